#!/usr/bin/env bash
# The containerlab lab: the gateway and one sidecar per kind node, which gives the node
# net0 with its underlay address and default route. Both actions first write the topology
# and the gateway's boot config into LAB_WORK_DIR (so a removed work folder does not stop
# a destroy).
# `up` deploys it; re-runnable: a stale net0 from an earlier attempt is removed and the lab
# is redeployed (--reconfigure). Records CLAB_BUILD_ID in LAB_WORK_DIR/CLAB_BUILD_FILE once
# the lab is in place, and prints the gateway container's id: the gateway's live
# configuration re-runs for a new one.
# `down` destroys it and removes its files (a lab already gone is fine); KIND_BUILD_FILE, the
# cluster's record, stays (absent in stacks created before the cluster was recorded).
# Env: LAB_NAME, LAB_WORK_DIR, CLAB_BUILD_ID, CLAB_BUILD_FILE, CLAB_TOPOLOGY (+ _FILE), GATEWAY_BOOT_CONFIG (+ _FILE) — the files
#      written there; GATEWAY_CONTAINER; NODE_ADDRESSES (one `node address/prefix gateway`
#      a line); KIND_BUILD_FILE
set -eu
. "$(dirname "$0")/lib.sh"
need LAB_NAME LAB_WORK_DIR CLAB_TOPOLOGY CLAB_TOPOLOGY_FILE GATEWAY_BOOT_CONFIG GATEWAY_BOOT_FILE
check_work_dir
mkdir -p "$LAB_WORK_DIR" "$(dirname "$LAB_WORK_DIR/$GATEWAY_BOOT_FILE")"
printf '%s\n' "$CLAB_TOPOLOGY" >"$LAB_WORK_DIR/$CLAB_TOPOLOGY_FILE"
printf '%s\n' "$GATEWAY_BOOT_CONFIG" >"$LAB_WORK_DIR/$GATEWAY_BOOT_FILE"
topology=$LAB_WORK_DIR/$CLAB_TOPOLOGY_FILE

case ${1-} in
  up)
    need CLAB_BUILD_ID CLAB_BUILD_FILE GATEWAY_CONTAINER NODE_ADDRESSES
    # net0 lives in the kind node's namespace, which outlives the sidecar that created it:
    # after a failed or earlier deploy containerlab would find it in the way.
    while read -r node _ <&3; do
      if try docker exec "$node" ip link show dev net0; then
        say "removing a stale net0 from $node"
        run docker exec "$node" ip link del dev net0
      fi
    done 3<<<"$NODE_ADDRESSES"
    run containerlab deploy -t "$topology" --reconfigure
    # containerlab logs a failed `exec` without failing the deploy: check what it should have done.
    while read -r node address gateway <&3; do
      have=$(output docker exec "$node" ip -4 -o addr show dev net0)
      [[ " $have " == *" inet $address "* ]] || die "$node: net0 should hold $address after deploy; \`docker exec $node ip -4 -o addr show dev net0\` shows: ${have:-(nothing)}"
      route=$(output docker exec "$node" ip route show default)
      [[ $route == "default via $gateway "* ]] || die "$node: the default route should go via $gateway after deploy; \`docker exec $node ip route show default\` shows: ${route:-(nothing)}"
    done 3<<<"$NODE_ADDRESSES"
    say "net0 addresses and default routes in place on every node"
    record_build "$CLAB_BUILD_ID" "$CLAB_BUILD_FILE"
    output docker inspect -f '{{.Id}}' "$GATEWAY_CONTAINER"
    ;;
  down)
    if ! try containerlab destroy -t "$topology" --cleanup; then
      # Tolerated only when no container of the lab is left.
      destroy_failure=$(seen)
      left=$(output docker ps -a -q --filter "label=containerlab=$LAB_NAME")
      [ -z "$left" ] || die "\`containerlab destroy\` failed and containers of lab $LAB_NAME remain ($left): $destroy_failure"
      say "lab $LAB_NAME is already gone ($destroy_failure)"
    else
      cat "$_lab_tmp/err" "$_lab_tmp/out" >&2
    fi
    # The cluster outlives a redeploy, so its record stays; `kind.sh down` removes it and the folder.
    find "$LAB_WORK_DIR" -mindepth 1 -maxdepth 1 ! -name "${KIND_BUILD_FILE:-}" -exec rm -rf -- {} +
    rmdir --ignore-fail-on-non-empty "$LAB_WORK_DIR"
    ;;
  *) die "usage: clab.sh up | down" ;;
esac
