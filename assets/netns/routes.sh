#!/usr/bin/env bash
# Programs the routes Calico installs for the lab's IPIP mode (lab/dataplane.ts renders
# them): per node, one ip process flushes the `proto bird` routes (the previous mode's)
# and installs every planned route with `ip route replace`; then SIGHUP to the node's
# tunl0 helper so it reloads its route map.
# Running it again with another mode's plan switches the mode in place.
#
# Environment: NETNS_LAB, NETNS_RUN_DIR (lib.sh), LAB_IPIP_MODE (reported only), and
#   NETNS_ROUTES  the plan, or "-" to read it from stdin. The plan is sections:
#                   @<node namespace>
#                   <route in `ip route` syntax>      (one a line)
# Last stdout line is JSON {"lab", "mode", "nodes", "routes", "seconds"}.
set -eu
. "$(dirname "$0")/lib.sh"
START=$(now_us)
load_lab
MODE=${LAB_IPIP_MODE:-unknown}
[[ $MODE =~ ^[A-Za-z]{1,20}$ ]] || die "LAB_IPIP_MODE=$MODE is not a mode name"
if [ "${NETNS_ROUTES-}" = - ]; then PLAN=$(cat); else PLAN=${NETNS_ROUTES-}; fi
[ -n "$PLAN" ] || die "NETNS_ROUTES is empty: expected @<namespace> sections of routes (or - for stdin)"
mkdir -p -- "$RUN/routes"

# Split the plan into one `ip -batch` file per node namespace. Each starts by flushing
# the node's `proto bird` routes, so whatever the plan no longer holds (a block routed
# the other mode's way, a block of an earlier topology) goes, in the same ip process
# that installs the new routes: one process per node, and a gap of microseconds.
SECTIONS=()
ns="" batch="" total=0
flush() { [ -z "$ns" ] || printf '%s' "$batch" >"$RUN/routes/$ns"; }
while IFS= read -r line; do
  case $line in
    "" | "#"*) continue ;;
    @*)
      flush
      ns=${line#@} batch="route flush proto bird"$'\n'
      is_lab_ns "$ns" || die "plan section @$ns is not a namespace of lab $NETNS_LAB"
      [ -e "$NETNS_DIR/$ns" ] || die "plan section @$ns: the namespace does not exist (is the lab up?)"
      SECTIONS+=("$ns")
      ;;
    *)
      [ -n "$ns" ] || die "route before any @<namespace> line: $line"
      [[ $line != *[!A-Za-z0-9./:\ -]* ]] || die "route line has characters ip routes never need: $line"
      batch+="route replace $line"$'\n'
      total=$((total + 1))
      ;;
  esac
done <<<"$PLAN"
flush
[ "${#SECTIONS[@]}" -gt 0 ] || die "the plan names no node namespace"

for ns in "${SECTIONS[@]}"; do
  ip -n "$ns" -batch "$RUN/routes/$ns"
  [ ! -e "$RUN/$ns.tunl0.pid" ] || stop_pid_file "$RUN/$ns.tunl0.pid" HUP
done

echo "netns-lab: $NETNS_LAB routes for $MODE: $total routes on ${#SECTIONS[@]} nodes, $(elapsed "$START") s" >&2
printf '{"lab":%s,"mode":%s,"nodes":%d,"routes":%d,"seconds":%s}\n' \
  "$(json_str "$NETNS_LAB")" "$(json_str "$MODE")" "${#SECTIONS[@]}" "$total" "$(elapsed "$START")"
