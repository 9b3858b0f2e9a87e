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
  local table node count line wrong=()
  table=$(pod_table)
  printf '%s\n' "$table"
  for node in "${nodes[@]}"; do
    count=0
    while read -r -a line; do
      [ ${#line[@]} -ge 4 ] || continue
      if [ "${line[2]}" = "$node" ] && [ "${line[3]}" = Running ] && [ "${line[1]}" != "<none>" ]; then count=$((count + 1)); fi
    done <<<"$table"
    [ "$count" -eq 1 ] || wrong+=("$node runs $count")
  done
  [ ${#wrong[@]} -eq 0 ] || {
    printf 'expected one Running pod per node: %s\n' "$(IFS=,; printf '%s' "${wrong[*]}")"
    return 1
  }
}

run kubectl rollout status "statefulset/$WORKLOAD_NAME" -n "$WORKLOAD_NAMESPACE" --timeout="${WAIT_SECONDS}s"
until_ok "$WAIT_SECONDS" "one $WORKLOAD_SELECTOR pod on each of ${nodes[*]}" one_per_node
cat "$_lab_tmp/out" >&2
