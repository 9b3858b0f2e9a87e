#!/usr/bin/env bash
# Lets pods run on the control plane (the workload puts one pod on every node).
# Re-runnable: a taint already removed is fine.
# Env: LAB_KUBECONFIG, CONTROL_PLANE_NODE, CONTROL_PLANE_TAINT (key:effect)
set -eu
. "$(dirname "$0")/lib.sh"
need LAB_KUBECONFIG CONTROL_PLANE_NODE CONTROL_PLANE_TAINT
use_kubeconfig

if try kubectl taint nodes "$CONTROL_PLANE_NODE" "$CONTROL_PLANE_TAINT-"; then
  say "$(seen)"
elif [[ $(seen) == *"not found"* ]]; then
  say "$CONTROL_PLANE_NODE has no taint $CONTROL_PLANE_TAINT"
else
  failed "untainting the control plane"
fi
