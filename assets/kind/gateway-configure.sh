#!/usr/bin/env bash
# Makes the running gateway's BGP what the pool's modes need: runs the VyOS configuration
# script in the gateway container (VyOS command scripting: vbash in the vyattacfg group),
# then waits until FRR's running config shows it: every line of FRR_BGP_LINES (mode Never:
# `router bgp <AS>` and every node a neighbour in it), or, when there are none, no BGP at
# all. Re-runnable: the script commits only a real change. Nothing to undo on delete: the
# gateway goes with the containerlab lab.
# Env: GATEWAY_CONTAINER; GATEWAY_CONTAINER_ID (only there so a new container re-runs this);
#      VYOS_SCRIPT (vyosReconfigureScript), FRR_BGP_LINES (frrBgpLines: components/kind/vyos.ts);
#      WAIT_SECONDS, LAB_POLL_SECONDS
set -eu
. "$(dirname "$0")/lib.sh"
need GATEWAY_CONTAINER GATEWAY_CONTAINER_ID VYOS_SCRIPT FRR_BGP_LINES WAIT_SECONDS LAB_POLL_SECONDS

remote=/tmp/calico-ipip-lab-gateway.vbash
on_exit() { try docker exec "$GATEWAY_CONTAINER" rm -f "$remote"; }

run docker exec -i "$GATEWAY_CONTAINER" sh -c 'cat >"$1"' sh "$remote" <<<"$VYOS_SCRIPT"
# VyOS's scripting guide: configuration scripts run in the vyattacfg group, or commit is refused.
run docker exec "$GATEWAY_CONTAINER" sg vyattacfg -c "/bin/vbash $remote"

# bgp_as_expected: FRR's running config holds every line of FRR_BGP_LINES, or, when there
# are none, no BGP at all; prints what differs.
bgp_as_expected() {
  local conf have lacks
  conf=$(docker exec "$GATEWAY_CONTAINER" vtysh -c 'show running-config') || {
    printf '`docker exec %s vtysh -c show running-config` failed\n' "$GATEWAY_CONTAINER"
    return 1
  }
  if [ -z "$FRR_BGP_LINES" ]; then
    have=$(grep -A3 '^router bgp' <<<"$conf") || return 0
    printf 'the gateway still runs BGP, which no mode but Never needs:\n%s\n' "$have"
  else
    lacks=$(grep -vxF -f <(printf '%s\n' "$conf") <<<"$FRR_BGP_LINES") || return 0
    printf 'the gateway lacks:\n%s\n' "$lacks"
  fi
  return 1
}

until_ok "$WAIT_SECONDS" "the gateway's BGP as the pool's modes need it" bgp_as_expected
held=${FRR_BGP_LINES//$'\n'/;}
say "$GATEWAY_CONTAINER's FRR holds: ${held:-no BGP}"
