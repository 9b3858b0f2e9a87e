#!/usr/bin/env bash
# Deploys the containerlab topology: the gateway and one sidecar per kind node, which
# gives the node net0 with its underlay address and default route. Re-runnable: a stale
# net0 from an earlier attempt is removed and the lab is redeployed (--reconfigure).
# Prints the gateway container's id: the gateway's live configuration re-runs for a new one.
# Records CLAB_BUILD_ID in LAB_WORK_DIR/CLAB_BUILD_FILE once the lab is in place.
# Env: LAB_WORK_DIR, CLAB_BUILD_ID, CLAB_BUILD_FILE, CLAB_TOPOLOGY (+ _FILE), GATEWAY_BOOT_CONFIG (+ _FILE) — the files
#      written there; GATEWAY_CONTAINER; KIND_NODES (space-separated); NODE_ADDRESSES
#      (one `node address/prefix gateway` a line)
set -eu
. "$(dirname "$0")/lib.sh"
need LAB_WORK_DIR CLAB_BUILD_ID CLAB_BUILD_FILE CLAB_TOPOLOGY CLAB_TOPOLOGY_FILE GATEWAY_BOOT_CONFIG GATEWAY_BOOT_FILE GATEWAY_CONTAINER KIND_NODES NODE_ADDRESSES

write_lab_files
read -r -a nodes <<<"$KIND_NODES"

# net0 lives in the kind node's namespace, which outlives the sidecar that created it:
# after a failed or earlier deploy containerlab would find it in the way.
for node in "${nodes[@]}"; do
  if try docker exec "$node" ip link show dev net0; then
    say "removing a stale net0 from $node"
    run docker exec "$node" ip link del dev net0
  fi
done

run containerlab deploy -t "$LAB_WORK_DIR/$CLAB_TOPOLOGY_FILE" --reconfigure

# containerlab logs a failed `exec` without failing the deploy: check what it should have done.
while read -r node address gateway <&3; do
  have=$(output docker exec "$node" ip -4 -o addr show dev net0)
  [[ " $have " == *" inet $address "* ]] || die "$node: net0 should hold $address after deploy; \`docker exec $node ip -4 -o addr show dev net0\` shows: ${have:-(nothing)}"
  route=$(output docker exec "$node" ip route show default)
  [[ $route == "default via $gateway "* ]] || die "$node: the default route should go via $gateway after deploy; \`docker exec $node ip route show default\` shows: ${route:-(nothing)}"
done 3<<<"$NODE_ADDRESSES"
say "net0 addresses and default routes in place on ${nodes[*]}"
record_build "$CLAB_BUILD_ID" "$CLAB_BUILD_FILE"
output docker inspect -f '{{.Id}}' "$GATEWAY_CONTAINER"
