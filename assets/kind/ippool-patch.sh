#!/usr/bin/env bash
# Sets the default IPPool's ipipMode and vxlanMode together. CALICO_IPV4POOL_IPIP and
# _VXLAN only apply when calico-node first creates the pool (calico #1976, #2740), so a
# mode change on a running lab is a patch; one merge patch carries both, because Calico
# refuses a pool with both encapsulations on, which two patches in turn could pass
# through (IPIP → VXLAN). The pool is Calico's own: wait for it and patch it, never create
# it (creating would collide: AlreadyExists). Prints the modes the pool has afterwards:
# "<ipipMode> <vxlanMode>".
# Env: LAB_KUBECONFIG, IPPOOL_RESOURCE, IPPOOL_NAME, IPIP_MODE, VXLAN_MODE, WAIT_SECONDS,
#      LAB_POLL_SECONDS
set -eu
. "$(dirname "$0")/lib.sh"
need LAB_KUBECONFIG IPPOOL_RESOURCE IPPOOL_NAME IPIP_MODE VXLAN_MODE WAIT_SECONDS LAB_POLL_SECONDS
[[ $IPIP_MODE =~ ^(Always|CrossSubnet|Never)$ ]] || die "IPIP_MODE is '$IPIP_MODE'; allowed values are Always, CrossSubnet, Never"
[[ $VXLAN_MODE =~ ^(Always|CrossSubnet|Never)$ ]] || die "VXLAN_MODE is '$VXLAN_MODE'; allowed values are Always, CrossSubnet, Never"
[ "$IPIP_MODE" = Never ] || [ "$VXLAN_MODE" = Never ] || die "IPIP_MODE $IPIP_MODE and VXLAN_MODE $VXLAN_MODE: Calico refuses a pool with both encapsulations on"
use_kubeconfig

until_ok "$WAIT_SECONDS" "the IPPool $IPPOOL_NAME that calico-node creates" kubectl get "$IPPOOL_RESOURCE" "$IPPOOL_NAME" -o name
patch=$(jq -nc --arg ipip "$IPIP_MODE" --arg vxlan "$VXLAN_MODE" '{spec: {ipipMode: $ipip, vxlanMode: $vxlan}}')
run kubectl patch "$IPPOOL_RESOURCE" "$IPPOOL_NAME" --type merge -p "$patch"
modes=$(output kubectl get "$IPPOOL_RESOURCE" "$IPPOOL_NAME" -o 'jsonpath={.spec.ipipMode} {.spec.vxlanMode}')
[ "$modes" = "$IPIP_MODE $VXLAN_MODE" ] || die "after the patch $IPPOOL_NAME has ipipMode and vxlanMode '$modes', not '$IPIP_MODE $VXLAN_MODE'"
printf '%s\n' "$modes"
