#!/usr/bin/env bash
# Waits until calico-node runs ready on every node; if it does not, says why that may be
# with CALICO_NOT_READY_HINT (calicoNotReadyHint: components/kind/steps.ts).
# Env: LAB_KUBECONFIG, CALICO_NAMESPACE, CALICO_DAEMONSET, CALICO_NOT_READY_HINT, WAIT_SECONDS
set -eu
. "$(dirname "$0")/lib.sh"
need LAB_KUBECONFIG CALICO_NAMESPACE CALICO_DAEMONSET CALICO_NOT_READY_HINT WAIT_SECONDS
use_kubeconfig

if ! try kubectl rollout status "daemonset/$CALICO_DAEMONSET" -n "$CALICO_NAMESPACE" --timeout="${WAIT_SECONDS}s"; then
  waited="\`$_lab_last\` failed (exit $_lab_rc): $(seen)"
  try kubectl get pods -n "$CALICO_NAMESPACE" -l "k8s-app=$CALICO_DAEMONSET" -o wide || true
  die "$CALICO_DAEMONSET is not ready: $waited; its pods: $(seen); $CALICO_NOT_READY_HINT"
fi
cat "$_lab_tmp/err" "$_lab_tmp/out" >&2
