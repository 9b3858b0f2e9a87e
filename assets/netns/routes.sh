#!/usr/bin/env bash
# Programs the routes Calico installs for the lab's IPIP mode (lab/dataplane.ts renders
# them): per node, `ip route replace` of every planned route in one ip process, then the
# removal of any `proto bird` route the plan no longer holds (a block of the previous
# mode or topology), then SIGHUP to the node's tunl0 helper so it reloads its route map.
# Running it again with another mode's plan switches the mode in place.
#
# Environment: NETNS_LAB, NETNS_RUN_DIR (lib.sh), LAB_IPIP_MODE (reported only), and
#   NETNS_ROUTES  the plan, or "-" to read it from stdin. The plan is sections:
#                   @<node namespace>
#                   <route in `ip route` syntax>      (one a line)
# Last stdout line is JSON {"lab", "mode", "nodes", "routes", "removed", "seconds"}.
set -eu
. "$(dirname "$0")/lib.sh"
START=$(now_us)
load_lab
MODE=${LAB_IPIP_MODE:-unknown}
[[ $MODE =~ ^[A-Za-z]{1,20}$ ]] || die "LAB_IPIP_MODE=$MODE is not a mode name"
if [ "${NETNS_ROUTES-}" = - ]; then PLAN=$(cat); else PLAN=${NETNS_ROUTES-}; fi
[ -n "$PLAN" ] || die "NETNS_ROUTES is empty: expected @<namespace> sections of routes (or - for stdin)"
mkdir -p -- "$RUN/routes"

# Split the plan into one `ip -batch` file per node namespace.
SECTIONS=()
ns=""
declare -A KEYS=()
total=0
while IFS= read -r line; do
  case $line in
    "" | "#"*) continue ;;
    @*)
      ns=${line#@}
      is_lab_ns "$ns" || die "plan section @$ns is not a namespace of lab $NETNS_LAB"
      [ -e "$NETNS_DIR/$ns" ] || die "plan section @$ns: the namespace does not exist (is the lab up?)"
      SECTIONS+=("$ns")
      : >"$RUN/routes/$ns"
      KEYS[$ns]=" "
      ;;
    *)
      [ -n "$ns" ] || die "route before any @<namespace> line: $line"
      [[ $line =~ ^[A-Za-z0-9./:\ -]+$ ]] || die "route line has characters ip routes never need: $line"
      read -r -a w <<<"$line"
      if [ "${w[0]}" = blackhole ]; then key=${w[1]}; else key=${w[0]}; fi
      echo "route replace $line" >>"$RUN/routes/$ns"
      KEYS[$ns]+="$key "
      total=$((total + 1))
      ;;
  esac
done <<<"$PLAN"
[ "${#SECTIONS[@]}" -gt 0 ] || die "the plan names no node namespace"

removed=0
for ns in "${SECTIONS[@]}"; do
  ip -n "$ns" -batch "$RUN/routes/$ns"
  stale=""
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    read -r -a w <<<"$line"
    if [ "${w[0]}" = blackhole ]; then key=${w[1]} type="blackhole "; else key=${w[0]} type=""; fi
    [[ ${KEYS[$ns]} == *" $key "* ]] && continue
    stale+="route del $type$key proto bird"$'\n'
    removed=$((removed + 1))
  done < <(ip -n "$ns" route show proto bird)
  [ -z "$stale" ] || printf '%s' "$stale" | ip -n "$ns" -batch -
  [ ! -e "$RUN/$ns.tunl0.pid" ] || stop_pid_file "$RUN/$ns.tunl0.pid" HUP
done

echo "netns-lab: $NETNS_LAB routes for $MODE: $total routes on ${#SECTIONS[@]} nodes, $removed stale removed, $(elapsed "$START") s" >&2
printf '{"lab":%s,"mode":%s,"nodes":%d,"routes":%d,"removed":%d,"seconds":%s}\n' \
  "$(json_str "$NETNS_LAB")" "$(json_str "$MODE")" "${#SECTIONS[@]}" "$total" "$removed" "$(elapsed "$START")"
