#!/usr/bin/env bash
# Prints the kind cluster's kubeconfig.
# Env: KIND_CLUSTER_NAME
set -eu
. "$(dirname "$0")/lib.sh"
need KIND_CLUSTER_NAME

output kind get kubeconfig --name "$KIND_CLUSTER_NAME"
