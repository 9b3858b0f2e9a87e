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

# as_expected: every node's table into $_lab_tmp/tables (node_lines); fails, printing what
# differs, unless each node's selected routes are the expected set.
as_expected() {
  local node
  : >"$_lab_tmp/tables"
  for node in "${nodes[@]}"; do
    docker exec "$node" ip route >"$_lab_tmp/raw" || { printf '`docker exec %s ip route` failed\n' "$node"; return 1; }
    node_lines "$node" <"$_lab_tmp/raw" >>"$_lab_tmp/tables" || return 1
  done
  jq -rs --arg filter "$ROUTE_FILTER" --argjson expected "$ROUTE_EXPECTATIONS" '
    def listed: if . == [] then "nothing" else sort | join("; ") end;
    [add | to_entries[] | ($expected[.key] // []) as $want | [.value[] | select(test($filter))] as $have
     | select($want - $have != [] or $have - $want != [])
     | "\(.key): expected, the node lacks: \($want - $have | listed)\n\(.key): the node has, not expected: \($have - $want | listed)"]
    | join("\n") | if . == "" then empty else "\(.)\n" | halt_error(1) end' "$_lab_tmp/tables"
}

until_ok "$WAIT_SECONDS" "every node's pool routes as the model has them" as_expected
jq -cs add "$_lab_tmp/tables"
