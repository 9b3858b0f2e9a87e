#!/usr/bin/env bash
# Deletes the kind cluster (kind treats a missing cluster as deleted).
# Env: KIND_CLUSTER_NAME
set -eu
. "$(dirname "$0")/lib.sh"
need KIND_CLUSTER_NAME

run kind delete cluster --name "$KIND_CLUSTER_NAME"
