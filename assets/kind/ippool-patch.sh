#!/usr/bin/env bash
# Sets the default IPPool's ipipMode and vxlanMode together. CALICO_IPV4POOL_IPIP and
# _VXLAN only apply when calico-node first creates the pool (calico #1976, #2740), so a
# mode change on a running lab is a patch; one merge patch carries both, because Calico
# refuses a pool with both encapsulations on, which two patches in turn could pass
# through (IPIP → VXLAN). The pool is Calico's own: wait for it and patch it, never create
# it (creating would collide: AlreadyExists). Prints the modes the patched pool has,
# "<ipipMode> <vxlanMode>", which the program compares with the ones it validated.
# Env: LAB_KUBECONFIG, IPPOOL_RESOURCE, IPPOOL_NAME, IPPOOL_PATCH (ippoolPatch:
#      components/kind/steps.ts), WAIT_SECONDS, LAB_POLL_SECONDS
set -eu
. "$(dirname "$0")/lib.sh"
need LAB_KUBECONFIG IPPOOL_RESOURCE IPPOOL_NAME IPPOOL_PATCH WAIT_SECONDS LAB_POLL_SECONDS
use_kubeconfig

until_ok "$WAIT_SECONDS" "the IPPool $IPPOOL_NAME that calico-node creates" kubectl get "$IPPOOL_RESOURCE" "$IPPOOL_NAME" -o name
output kubectl patch "$IPPOOL_RESOURCE" "$IPPOOL_NAME" --type merge -p "$IPPOOL_PATCH" -o 'jsonpath={.spec.ipipMode} {.spec.vxlanMode}'
