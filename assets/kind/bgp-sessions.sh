#!/usr/bin/env bash
# Prints every node's BGP sessions as calico-node's BIRD reports them, as JSON:
# {"<node>": ["<line of birdcl show protocols>", ...], ...}; {} when calico-node runs
# without BIRD (calico_backend vxlan: Felix alone programs VXLAN's routes).
# Env: LAB_KUBECONFIG, KIND_NODES (space-separated), CALICO_NAMESPACE, CALICO_DAEMONSET,
#      CALICO_CONTAINER, CALICO_BACKEND (bird | vxlan), BIRD_SOCKET, POOL_MODES (the
#      pool's modes: logged; a switch changes it, so the sessions are read again)
set -eu
. "$(dirname "$0")/lib.sh"
need LAB_KUBECONFIG KIND_NODES CALICO_NAMESPACE CALICO_DAEMONSET CALICO_CONTAINER CALICO_BACKEND BIRD_SOCKET POOL_MODES
case $CALICO_BACKEND in
  bird) ;;
  vxlan)
    say "calico_backend is vxlan: no BIRD, no BGP sessions"
    printf '{}\n'
    exit 0
    ;;
  *) die "CALICO_BACKEND is '$CALICO_BACKEND'; allowed values are bird, vxlan" ;;
esac
use_kubeconfig
read -r -a nodes <<<"$KIND_NODES"

# calico-node's pod on each node: pod_on[node]=pod.
declare -A pod_on
table=$(output kubectl get pods -n "$CALICO_NAMESPACE" -l "k8s-app=$CALICO_DAEMONSET" -o 'custom-columns=NAME:.metadata.name,NODE:.spec.nodeName' --no-headers)
while read -r pod node; do
  [ -n "$pod" ] && pod_on[$node]=$pod
done <<<"$table"

say "reading BIRD's sessions on ${nodes[*]} (pool modes: $POOL_MODES)"
for node in "${nodes[@]}"; do
  [ -n "${pod_on[$node]+x}" ] || die "no $CALICO_DAEMONSET pod on $node (kubectl printed: ${table:-nothing})"
  protocols=$(output kubectl exec -n "$CALICO_NAMESPACE" "${pod_on[$node]}" -c "$CALICO_CONTAINER" -- birdcl -s "$BIRD_SOCKET" show protocols)
  node_lines "$node" <<<"$protocols" >>"$_lab_tmp/sessions"
done
jq -cs add "$_lab_tmp/sessions"
