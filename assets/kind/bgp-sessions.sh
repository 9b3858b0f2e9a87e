#!/usr/bin/env bash
# Prints every node's BGP sessions as calico-node's BIRD reports them, as JSON:
# {"<node>": ["<line of birdcl show protocols>", ...], ...}. Runs only where calico-node
# runs BIRD: with calico_backend vxlan Felix alone programs VXLAN's routes, and the
# program asks nothing.
# Env: LAB_KUBECONFIG, KIND_NODES (space-separated), CALICO_NAMESPACE, CALICO_DAEMONSET,
#      CALICO_CONTAINER, BIRD_SOCKET, POOL_MODES (the pool's modes: logged; a switch
#      changes it, so the sessions are read again)
set -eu
. "$(dirname "$0")/lib.sh"
need LAB_KUBECONFIG KIND_NODES CALICO_NAMESPACE CALICO_DAEMONSET CALICO_CONTAINER BIRD_SOCKET POOL_MODES
use_kubeconfig
read -r -a nodes <<<"$KIND_NODES"

pods=$(output kubectl get pods -n "$CALICO_NAMESPACE" -l "k8s-app=$CALICO_DAEMONSET" -o json)
say "reading BIRD's sessions on ${nodes[*]} (pool modes: $POOL_MODES)"
for node in "${nodes[@]}"; do
  pod=$(jq -r --arg node "$node" 'first(.items[] | select(.spec.nodeName == $node) | .metadata.name) // ""' <<<"$pods")
  [ -n "$pod" ] || die "no $CALICO_DAEMONSET pod on $node; kubectl listed: $(jq -c '[.items[] | {pod: .metadata.name, node: .spec.nodeName}]' <<<"$pods")"
  protocols=$(output kubectl exec -n "$CALICO_NAMESPACE" "$pod" -c "$CALICO_CONTAINER" -- birdcl -s "$BIRD_SOCKET" show protocols)
  node_lines "$node" <<<"$protocols" >>"$_lab_tmp/sessions"
done
jq -cs add "$_lab_tmp/sessions"
