#!/usr/bin/env bash
# Makes the lab's route reflectors known to Calico. With the Kubernetes datastore a Calico
# Node is the Kubernetes Node: its labels are the Node's and its routeReflectorClusterID is
# the Node's annotation RR_ANNOTATION, so one merge patch per node sets both (a reflector)
# or removes both (any other node), the patches rendered by the program.
#   up    patches every node with its NODE_PATCHES entry, then prints each node's label and
#         cluster ID as read back: {"<node>": {"label": ..., "clusterId": ...}} (null: none)
#   down  removes both from every node (NODE_UNPATCH): the switch back to the mesh; a
#         cluster that no longer answers took its nodes' labels with it
# Env: LAB_KUBECONFIG, KIND_NODES (space-separated), NODE_PATCHES ({"<node>": "<merge
#      patch>"}), NODE_UNPATCH, RR_LABEL, RR_ANNOTATION (components/kind/steps.ts)
set -eu
. "$(dirname "$0")/lib.sh"
need LAB_KUBECONFIG KIND_NODES NODE_PATCHES NODE_UNPATCH RR_LABEL RR_ANNOTATION
use_kubeconfig
read -r -a nodes <<<"$KIND_NODES"

case ${1:-} in
  up)
    for node in "${nodes[@]}"; do
      patch=$(jq -er --arg node "$node" '.[$node]' <<<"$NODE_PATCHES") || die "NODE_PATCHES has no patch for $node"
      output kubectl patch node "$node" --type merge -p "$patch" -o json >"$_lab_tmp/node"
      jq -c --arg node "$node" --arg key "$RR_LABEL" --arg annotation "$RR_ANNOTATION" \
        '{($node): {"label": (.metadata.labels[$key] // null), "clusterId": (.metadata.annotations[$annotation] // null)}}' "$_lab_tmp/node" >>"$_lab_tmp/nodes"
    done
    say "route reflectors: $(jq -cs 'add | with_entries(select(.value.label != null)) | keys' "$_lab_tmp/nodes")"
    jq -cs add "$_lab_tmp/nodes"
    ;;
  down)
    if ! try kubectl get nodes -o name; then
      say "the cluster does not answer ($(seen)): nothing to unlabel"
      exit 0
    fi
    for node in "${nodes[@]}"; do run kubectl patch node "$node" --type merge -p "$NODE_UNPATCH"; done
    ;;
  *) die "usage: route-reflectors.sh up|down (got '${1:-}')" ;;
esac
