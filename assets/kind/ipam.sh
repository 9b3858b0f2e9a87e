#!/usr/bin/env bash
# Prints what Calico's IPAM gave each node, once every node has it, as JSON:
# {"<node>": {"blocks": ["<cidr>", ...], "vtep": "<address>" | null}, ...}: its confirmed
# block affinities and its VXLAN tunnel address (the Kubernetes Node's annotation
# VTEP_ANNOTATION), which calico-node allocates only while the pool has VXLAN on
# (NEED_VTEPS=yes waits for them too).
# Env: LAB_KUBECONFIG; KIND_NODES; BLOCK_AFFINITY_RESOURCE; VTEP_ANNOTATION; NEED_VTEPS
#      (yes | no); WAIT_SECONDS, LAB_POLL_SECONDS; POOL_MODES (logged; a switch re-reads)
set -eu
. "$(dirname "$0")/lib.sh"
need LAB_KUBECONFIG KIND_NODES BLOCK_AFFINITY_RESOURCE VTEP_ANNOTATION NEED_VTEPS WAIT_SECONDS LAB_POLL_SECONDS POOL_MODES
use_kubeconfig

# complete: IPAM by node into $_lab_tmp/ipam; fails, printing it, while a node lacks a block (or a needed VTEP).
complete() {
  kubectl get "$BLOCK_AFFINITY_RESOURCE" -o json >"$_lab_tmp/affinities" && kubectl get nodes -o json >"$_lab_tmp/nodes" || return 1
  jq -c --arg names "$KIND_NODES" --arg vtep "$VTEP_ANNOTATION" --slurpfile nodes "$_lab_tmp/nodes" '
    [.items[].spec | select(.state == "confirmed")] as $confirmed
    | [$names | splits(" +") | select(. != "") as $n | {key: $n, value: {
        blocks: [$confirmed[] | select(.node == $n) | .cidr],
        vtep: ([$nodes[0].items[] | select(.metadata.name == $n) | .metadata.annotations[$vtep] // empty] | first // null)}}]
    | from_entries' "$_lab_tmp/affinities" >"$_lab_tmp/ipam" || return 1
  jq -e --arg vteps "$NEED_VTEPS" 'all(.[]; (.blocks | length) > 0 and ($vteps != "yes" or .vtep != null))' "$_lab_tmp/ipam" >/dev/null || { cat "$_lab_tmp/ipam"; return 1; }
}

say "reading Calico's IPAM (pool modes: $POOL_MODES)"
until_ok "$WAIT_SECONDS" "a block$([ "$NEED_VTEPS" = yes ] && printf ' and a VXLAN tunnel address') on every node" complete
cat "$_lab_tmp/ipam"
