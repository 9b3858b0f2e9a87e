#!/usr/bin/env bash
# Prints the workload's pods as JSON: [{"name", "ip", "node"}, ...] sorted by name.
# Env: LAB_KUBECONFIG, WORKLOAD_NAMESPACE, WORKLOAD_SELECTOR
set -eu
. "$(dirname "$0")/lib.sh"
need LAB_KUBECONFIG WORKLOAD_NAMESPACE WORKLOAD_SELECTOR
use_kubeconfig

table=$(output pod_table)
json=""
while read -r name ip node _phase; do
  [ -n "$name" ] || continue
  json+="${json:+,}{\"name\":$(json_string "$name"),\"ip\":$(json_string "$ip"),\"node\":$(json_string "$node")}"
done <<<"$table"
printf '[%s]\n' "$json"
