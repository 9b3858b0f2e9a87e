#!/usr/bin/env bash
# Prints every node's BGP sessions as calico-node's BIRD reports them, as JSON:
# {"<node>": ["<line of birdcl show protocols>", ...], ...}, once each node's BGP
# protocols (the first column, where PEER_PROTOCOL matches) are the ones the program
# expects: the routes are the same under the mesh and route reflectors, so after a switch
# only the sessions show that confd rendered the new config. If they never match, it fails
# listing, per node, what each side has and the other lacks. Runs only where calico-node
# runs BIRD: with calico_backend vxlan Felix alone programs VXLAN's routes.
# Env: LAB_KUBECONFIG, KIND_NODES (space-separated), CALICO_NAMESPACE, CALICO_DAEMONSET,
#      CALICO_CONTAINER, BIRD_SOCKET, SESSION_EXPECTATIONS ({"<node>": ["<protocol>", ...]}),
#      PEER_PROTOCOL (a regular expression, as jq's test reads it), WAIT_SECONDS,
#      LAB_POLL_SECONDS, POOL_MODES (the pool's modes: logged; a switch changes it, so the
#      sessions are read again)
set -eu
. "$(dirname "$0")/lib.sh"
need LAB_KUBECONFIG KIND_NODES CALICO_NAMESPACE CALICO_DAEMONSET CALICO_CONTAINER BIRD_SOCKET SESSION_EXPECTATIONS PEER_PROTOCOL WAIT_SECONDS LAB_POLL_SECONDS POOL_MODES
use_kubeconfig
read -r -a nodes <<<"$KIND_NODES"

pods=$(output kubectl get pods -n "$CALICO_NAMESPACE" -l "k8s-app=$CALICO_DAEMONSET" -o json)
declare -A pod_of
for node in "${nodes[@]}"; do
  pod_of[$node]=$(jq -r --arg node "$node" 'first(.items[] | select(.spec.nodeName == $node) | .metadata.name) // ""' <<<"$pods")
  [ -n "${pod_of[$node]}" ] || die "no $CALICO_DAEMONSET pod on $node; kubectl listed: $(jq -c '[.items[] | {pod: .metadata.name, node: .spec.nodeName}]' <<<"$pods")"
done

# as_expected: every node's protocols into $_lab_tmp/sessions (node_lines); fails, printing
# what differs, unless each node's BGP protocols are the expected set.
as_expected() {
  local node
  : >"$_lab_tmp/sessions"
  for node in "${nodes[@]}"; do
    kubectl exec -n "$CALICO_NAMESPACE" "${pod_of[$node]}" -c "$CALICO_CONTAINER" -- birdcl -s "$BIRD_SOCKET" show protocols >"$_lab_tmp/raw" ||
      { printf '`birdcl show protocols` on %s failed: %s\n' "$node" "$(cat "$_lab_tmp/raw")"; return 1; }
    node_lines "$node" <"$_lab_tmp/raw" >>"$_lab_tmp/sessions" || return 1
  done
  jq -rs --arg peer "$PEER_PROTOCOL" --argjson expected "$SESSION_EXPECTATIONS" '
    def listed: if . == [] then "nothing" else sort | join(", ") end;
    [add | to_entries[] | ($expected[.key] // []) as $want | [.value[] | split(" ")[0] | select(test($peer))] as $have
     | select($want - $have != [] or $have - $want != [])
     | "\(.key): expected, BIRD lacks: \($want - $have | listed)\n\(.key): BIRD has, not expected: \($have - $want | listed)"]
    | join("\n") | if . == "" then empty else "\(.)\n" | halt_error(1) end' "$_lab_tmp/sessions"
}

say "reading BIRD's sessions on ${nodes[*]} (pool modes: $POOL_MODES)"
until_ok "$WAIT_SECONDS" "every node's BGP sessions as Calico's config gives them" as_expected
jq -cs add "$_lab_tmp/sessions"
