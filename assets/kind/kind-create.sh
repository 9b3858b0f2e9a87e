#!/usr/bin/env bash
# Creates the kind cluster from the config on stdin, then prints its kubeconfig (the
# Command's stdout, kept secret). Re-runnable: an existing cluster is not created again.
# Records KIND_BUILD_ID in LAB_WORK_DIR/KIND_BUILD_FILE once the cluster exists.
# Env: KIND_CLUSTER_NAME, KIND_NODE_IMAGE, LAB_WORK_DIR, KIND_BUILD_ID, KIND_BUILD_FILE;
#      stdin: the kind config (components/kind/kindConfig.ts)
set -eu
. "$(dirname "$0")/lib.sh"
need KIND_CLUSTER_NAME KIND_NODE_IMAGE LAB_WORK_DIR KIND_BUILD_ID KIND_BUILD_FILE

clusters=$(output kind get clusters)
if grep -qxF -- "$KIND_CLUSTER_NAME" <<<"$clusters"; then
  say "cluster $KIND_CLUSTER_NAME exists; not creating it again"
else
  # Without a CNI `--wait` only times out, so it is not used. kind hands proxy variables
  # to the nodes; like the seed, create the cluster without them.
  run env -u HTTP_PROXY -u HTTPS_PROXY -u http_proxy -u https_proxy \
    kind create cluster --name "$KIND_CLUSTER_NAME" --image "$KIND_NODE_IMAGE" --config -
fi
record_build "$KIND_BUILD_ID" "$KIND_BUILD_FILE"
output kind get kubeconfig --name "$KIND_CLUSTER_NAME"
