#!/usr/bin/env bash
# Prints the workload's pods as JSON: [{"name", "ip", "node"}, ...] sorted by name.
# Env: LAB_KUBECONFIG, WORKLOAD_NAMESPACE, WORKLOAD_SELECTOR
set -eu
. "$(dirname "$0")/lib.sh"
need LAB_KUBECONFIG WORKLOAD_NAMESPACE WORKLOAD_SELECTOR
use_kubeconfig

table=$(output pod_table)
jq -Rnc '[inputs | [splits("\\s+")] | select(.[0] != "") | {name: .[0], ip: .[1], node: .[2]}]' <<<"$table"
