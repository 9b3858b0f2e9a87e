#!/usr/bin/env bash
# Waits until the workload runs one pod, with an IP, on every node.
# Env: LAB_KUBECONFIG, WORKLOAD_NAME, WORKLOAD_NAMESPACE, WORKLOAD_SELECTOR, KIND_NODES,
#      WAIT_SECONDS, LAB_POLL_SECONDS
set -eu
. "$(dirname "$0")/lib.sh"
need LAB_KUBECONFIG WORKLOAD_NAME WORKLOAD_NAMESPACE WORKLOAD_SELECTOR KIND_NODES WAIT_SECONDS LAB_POLL_SECONDS
use_kubeconfig
read -r -a nodes <<<"$KIND_NODES"

# one_per_node: succeeds when each node runs exactly one Running pod with an IP; prints what it saw.
one_per_node() {
  local table wrong
  table=$(pod_table) && printf '%s\n' "$table" || return 1
  wrong=$(jq -Rnr --arg nodes "$KIND_NODES" '[inputs | [splits("\\s+")] | select(.[3] == "Running" and .[1] != "<none>") | .[2]] as $running
    | [$nodes | splits(" +") | select(. != "") as $n | [$running[] | select(. == $n)] | length | select(. != 1) | "\($n) runs \(.)"] | join(",")' <<<"$table") || return 1
  [ -z "$wrong" ] || {
    printf 'expected one Running pod per node: %s\n' "$wrong"
    return 1
  }
}

run kubectl rollout status "statefulset/$WORKLOAD_NAME" -n "$WORKLOAD_NAMESPACE" --timeout="${WAIT_SECONDS}s"
until_ok "$WAIT_SECONDS" "one $WORKLOAD_SELECTOR pod on each of ${nodes[*]}" one_per_node
cat "$_lab_tmp/out" >&2
