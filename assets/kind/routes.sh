#!/usr/bin/env bash
# Waits until every node's Calico routes (the lines of its `ip route` that ROUTE_FILTER
# selects) are exactly the ones the program expects (components/kind/routes.ts), then
# prints the tables it matched as JSON: {"<node>": ["<route>", ...], ...}. After a mode
# change calico reprograms the routes within seconds; captures start only after this.
# If they never match, it fails listing, per node, what each side has and the other lacks.
# Env: KIND_NODES (space-separated); ROUTE_EXPECTATIONS ({"<node>": ["<route>", ...]});
#      ROUTE_FILTER (a regular expression, as jq's test reads it); WAIT_SECONDS, LAB_POLL_SECONDS
set -eu
. "$(dirname "$0")/lib.sh"
need KIND_NODES ROUTE_EXPECTATIONS ROUTE_FILTER WAIT_SECONDS LAB_POLL_SECONDS
read -r -a nodes <<<"$KIND_NODES"

# as_expected: every node's table into $_lab_tmp/table.<i> (node_lines); fails,
# printing what differs, unless each node's selected routes are the expected set.
as_expected() {
  local i node differs ok=yes
  for i in "${!nodes[@]}"; do
    node=${nodes[i]}
    docker exec "$node" ip route >"$_lab_tmp/raw" || {
      printf '%s: `docker exec %s ip route` failed\n' "$node" "$node"
      return 1
    }
    node_lines "$node" <"$_lab_tmp/raw" >"$_lab_tmp/table.$i" || return 1
    differs=$(jq -rn --arg node "$node" --arg filter "$ROUTE_FILTER" --argjson expected "$ROUTE_EXPECTATIONS" --slurpfile table "$_lab_tmp/table.$i" '
      def listed: if . == [] then "nothing" else sort | join("; ") end;
      ($expected[$node] // []) as $want | [$table[0][$node][] | select(test($filter))] as $have
      | select($want - $have != [] or $have - $want != [])
      | "\($node): expected, the node lacks: \($want - $have | listed)\n\($node): the node has, not expected: \($have - $want | listed)"') || return 1
    [ -z "$differs" ] || { printf '%s\n' "$differs"; ok=no; }
  done
  [ "$ok" = yes ]
}

until_ok "$WAIT_SECONDS" "every node's pool routes as the model has them" as_expected
for i in "${!nodes[@]}"; do cat "$_lab_tmp/table.$i"; done | jq -cs add
