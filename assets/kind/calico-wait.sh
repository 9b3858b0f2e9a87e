#!/usr/bin/env bash
# Waits until calico-node runs ready on every node.
# Env: LAB_KUBECONFIG, CALICO_NAMESPACE, CALICO_DAEMONSET, CALICO_BACKEND (bird | vxlan),
#      WAIT_SECONDS, GATEWAY_CONTAINER
set -eu
. "$(dirname "$0")/lib.sh"
need LAB_KUBECONFIG CALICO_NAMESPACE CALICO_DAEMONSET CALICO_BACKEND WAIT_SECONDS GATEWAY_CONTAINER
use_kubeconfig

if ! try kubectl rollout status "daemonset/$CALICO_DAEMONSET" -n "$CALICO_NAMESPACE" --timeout="${WAIT_SECONDS}s"; then
  waited="\`$_lab_last\` failed (exit $_lab_rc): $(seen)"
  try kubectl get pods -n "$CALICO_NAMESPACE" -l "k8s-app=$CALICO_DAEMONSET" -o wide || true
  # With BIRD, readiness also waits for its sessions; without (vxlan), for Felix alone.
  if [ "$CALICO_BACKEND" = bird ]; then
    why="calico-node is ready only when BIRD has a BGP session with every other node, and the sessions between subnets cross the gateway $GATEWAY_CONTAINER"
  else
    why="without BIRD (calico_backend $CALICO_BACKEND) calico-node is ready when Felix is; the VXLAN packets between subnets cross the gateway $GATEWAY_CONTAINER"
  fi
  die "$CALICO_DAEMONSET is not ready: $waited; its pods: $(seen); $why: see \`docker logs $GATEWAY_CONTAINER\` and \`kubectl logs -n $CALICO_NAMESPACE <calico-node pod>\`"
fi
cat "$_lab_tmp/err" "$_lab_tmp/out" >&2
