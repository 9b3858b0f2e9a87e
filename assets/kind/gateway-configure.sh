#!/usr/bin/env bash
# Makes the running gateway's BGP what the pool's modes need: runs the VyOS configuration
# script in the gateway container (VyOS command scripting: vbash in the vyattacfg group),
# then waits until FRR's running config shows it: in mode Never `router bgp <AS>` with every
# node as a neighbour in that AS, else no BGP at all. Re-runnable: the script commits only
# a real change. Nothing to undo on delete: the gateway goes with the containerlab lab.
# Env: GATEWAY_CONTAINER; GATEWAY_CONTAINER_ID (only there so a new container re-runs this);
#      VYOS_SCRIPT (components/kind/vyos.ts vyosReconfigureScript); BGP_AS; BGP_NEIGHBORS
#      (space-separated node addresses; empty: no BGP); WAIT_SECONDS, LAB_POLL_SECONDS
set -eu
. "$(dirname "$0")/lib.sh"
need GATEWAY_CONTAINER GATEWAY_CONTAINER_ID VYOS_SCRIPT BGP_AS BGP_NEIGHBORS WAIT_SECONDS LAB_POLL_SECONDS
[[ $BGP_AS =~ ^[0-9]+$ ]] || die "BGP_AS is '$BGP_AS'; expected an AS number"
read -r -a neighbors <<<"$BGP_NEIGHBORS"
for n in "${neighbors[@]}"; do
  [[ $n =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "BGP_NEIGHBORS holds '$n'; expected IPv4 addresses"
done

remote=/tmp/calico-ipip-lab-gateway.vbash
on_exit() { try docker exec "$GATEWAY_CONTAINER" rm -f "$remote"; }

run docker exec -i "$GATEWAY_CONTAINER" sh -c 'cat >"$1"' sh "$remote" <<<"$VYOS_SCRIPT"
# VyOS's scripting guide: configuration scripts run in the vyattacfg group, or commit is refused.
run docker exec "$GATEWAY_CONTAINER" sg vyattacfg -c "/bin/vbash $remote"

# bgp_as_expected: FRR's running config holds exactly the BGP the modes need; prints what differs.
bgp_as_expected() {
  local conf n missing=()
  conf=$(docker exec "$GATEWAY_CONTAINER" vtysh -c 'show running-config') || {
    printf '`docker exec %s vtysh -c show running-config` failed\n' "$GATEWAY_CONTAINER"
    return 1
  }
  if [ ${#neighbors[@]} -eq 0 ]; then
    if grep -q '^router bgp' <<<"$conf"; then
      printf 'the gateway still runs BGP, which no mode but Never needs:\n%s\n' "$(grep -A3 '^router bgp' <<<"$conf")"
      return 1
    fi
    return 0
  fi
  grep -qx "router bgp $BGP_AS" <<<"$conf" || missing+=("router bgp $BGP_AS")
  for n in "${neighbors[@]}"; do
    grep -qx " neighbor $n remote-as $BGP_AS" <<<"$conf" || missing+=("neighbor $n remote-as $BGP_AS")
  done
  [ ${#missing[@]} -eq 0 ] || {
    printf 'the gateway lacks: %s\n' "${missing[*]}"
    return 1
  }
}

until_ok "$WAIT_SECONDS" "the gateway's BGP as the pool's modes need it" bgp_as_expected
if [ ${#neighbors[@]} -gt 0 ]; then
  say "$GATEWAY_CONTAINER peers in AS $BGP_AS with ${neighbors[*]}"
else
  say "$GATEWAY_CONTAINER runs no BGP"
fi
