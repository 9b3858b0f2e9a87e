#!/usr/bin/env bash
# Sets the default IPPool's ipipMode. CALICO_IPV4POOL_IPIP only applies when calico-node
# first creates the pool (calico #1976, #2740), so a mode change on a running lab is a
# patch. The pool is Calico's own: wait for it and patch it, never create it (creating
# would collide: AlreadyExists). Prints the mode the pool has afterwards.
# Env: LAB_KUBECONFIG, IPPOOL_RESOURCE, IPPOOL_NAME, IPIP_MODE, WAIT_SECONDS, LAB_POLL_SECONDS
set -eu
. "$(dirname "$0")/lib.sh"
need LAB_KUBECONFIG IPPOOL_RESOURCE IPPOOL_NAME IPIP_MODE WAIT_SECONDS LAB_POLL_SECONDS
[[ $IPIP_MODE =~ ^(Always|CrossSubnet|Never)$ ]] || die "IPIP_MODE is '$IPIP_MODE'; allowed values are Always, CrossSubnet, Never"
use_kubeconfig

until_ok "$WAIT_SECONDS" "the IPPool $IPPOOL_NAME that calico-node creates" kubectl get "$IPPOOL_RESOURCE" "$IPPOOL_NAME" -o name
run kubectl patch "$IPPOOL_RESOURCE" "$IPPOOL_NAME" --type merge -p "{\"spec\":{\"ipipMode\":\"$IPIP_MODE\",\"vxlanMode\":\"Never\"}}"
mode=$(output kubectl get "$IPPOOL_RESOURCE" "$IPPOOL_NAME" -o 'jsonpath={.spec.ipipMode}')
[ "$mode" = "$IPIP_MODE" ] || die "after the patch $IPPOOL_NAME has ipipMode '$mode', not '$IPIP_MODE'"
printf '%s\n' "$mode"
