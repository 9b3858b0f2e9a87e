#!/usr/bin/env bash
# Waits until the routes BIRD installed on every node match the IPIP mode, then prints
# each node's routing table as JSON: {"<node>": ["<route>", ...], ...}. After a mode
# change calico reprograms the routes within seconds; captures start only after this.
# Env: KIND_NODES (space-separated); ROUTE_EXPECTATIONS (lines "node peer-address device":
#      routes on node towards peer's blocks use device — tunl0 when encapsulated, net0
#      when not); WAIT_SECONDS, LAB_POLL_SECONDS
set -eu
. "$(dirname "$0")/lib.sh"
need KIND_NODES ROUTE_EXPECTATIONS WAIT_SECONDS LAB_POLL_SECONDS
read -r -a nodes <<<"$KIND_NODES"

# as_expected: succeeds when every node routes to every peer's blocks through the expected
# device and no other; prints the mismatches.
as_expected() {
  local node expect_node peer dev table line good bad ok=yes
  for node in "${nodes[@]}"; do
    table=$(docker exec "$node" ip route show proto bird) || {
      printf '%s: `docker exec %s ip route show proto bird` failed\n' "$node" "$node"
      ok=no
      continue
    }
    while read -r expect_node peer dev; do
      [ "$expect_node" = "$node" ] || continue
      good=0
      bad=()
      while IFS= read -r line; do
        [[ " $line " == *" via $peer "* ]] || continue
        if [[ " $line " == *" dev $dev "* ]]; then good=$((good + 1)); else bad+=("$line"); fi
      done <<<"$table"
      if [ "$good" -eq 0 ] || [ ${#bad[@]} -gt 0 ]; then
        printf '%s: routes via %s should use %s; %d do, and these do not: %s\n' "$node" "$peer" "$dev" "$good" "${bad[*]:-none}"
        ok=no
      fi
    done <<<"$ROUTE_EXPECTATIONS"
  done
  [ "$ok" = yes ]
}

until_ok "$WAIT_SECONDS" "routes that match the IPIP mode" as_expected

json=""
for node in "${nodes[@]}"; do
  table=$(output docker exec "$node" ip route)
  json+="${json:+,}$(json_string "$node"):$(json_lines "$table")"
done
printf '{%s}\n' "$json"
