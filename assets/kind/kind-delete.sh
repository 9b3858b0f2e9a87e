#!/usr/bin/env bash
# Deletes the kind cluster (kind treats a missing cluster as deleted), then its record in
# the lab's work folder and the folder once nothing else is in it.
# Env: KIND_CLUSTER_NAME; LAB_WORK_DIR and KIND_BUILD_FILE (absent in stacks created
#      before the cluster was recorded: then there is no record to remove)
set -eu
. "$(dirname "$0")/lib.sh"
need KIND_CLUSTER_NAME

run kind delete cluster --name "$KIND_CLUSTER_NAME"
if [ -n "${LAB_WORK_DIR:-}" ] && [ -n "${KIND_BUILD_FILE:-}" ]; then
  check_work_dir
  rm -f "$LAB_WORK_DIR/$KIND_BUILD_FILE"
  [ ! -d "$LAB_WORK_DIR" ] || rmdir --ignore-fail-on-non-empty "$LAB_WORK_DIR"
fi
