#!/usr/bin/env bash
# Waits until the workload runs one pod, Running and with an IP, on every node and on no
# other, then prints them as JSON: [{"name", "ip", "node"}, ...] sorted by name.
# Env: LAB_KUBECONFIG, WORKLOAD_NAME, WORKLOAD_NAMESPACE, WORKLOAD_SELECTOR, KIND_NODES
#      (space-separated), WAIT_SECONDS, LAB_POLL_SECONDS
set -eu
. "$(dirname "$0")/lib.sh"
need LAB_KUBECONFIG WORKLOAD_NAME WORKLOAD_NAMESPACE WORKLOAD_SELECTOR KIND_NODES WAIT_SECONDS LAB_POLL_SECONDS
use_kubeconfig

# one_per_node: the Running pods with an IP into $_lab_tmp/pods; fails, printing them,
# unless their nodes are KIND_NODES, each once.
one_per_node() {
  kubectl get pods -n "$WORKLOAD_NAMESPACE" -l "$WORKLOAD_SELECTOR" -o json >"$_lab_tmp/all" || return 1
  jq -c '[.items[] | select(.status.phase == "Running" and .status.podIP != null)
    | {name: .metadata.name, ip: .status.podIP, node: .spec.nodeName}] | sort_by(.name)' "$_lab_tmp/all" >"$_lab_tmp/pods" || return 1
  jq -e --arg nodes "$KIND_NODES" 'map(.node) | sort == ($nodes | [splits(" +")] | sort)' "$_lab_tmp/pods" >/dev/null || {
    printf 'expected one Running pod with an IP on each node and none elsewhere, found: %s\n' "$(cat "$_lab_tmp/pods")"
    return 1
  }
}

run kubectl rollout status "statefulset/$WORKLOAD_NAME" -n "$WORKLOAD_NAMESPACE" --timeout="${WAIT_SECONDS}s"
until_ok "$WAIT_SECONDS" "one $WORKLOAD_SELECTOR pod on each of $KIND_NODES" one_per_node
cat "$_lab_tmp/pods"
