#!/usr/bin/env bash
# Brings a netns lab's control plane to the pool's modes: Felix's share of the data plane
# (tunl0's address, vxlan.calico with its neighbour and FDB entries and routes, the pods'
# MTU), each node's BIRD started or reloaded with the mode's config, and a bounded wait
# until every node's pool routes equal the plan's and every BGP session is Established
# (controlplane.py does the work). Re-runnable: running it with another mode's plan
# switches the mode in place, as confd and Felix do; a BIRD that died is started again.
#
# Environment: NETNS_LAB, NETNS_RUN_DIR (lib.sh), NETNS_GENERATION (optional identity),
#   and NETNS_CONTROL_PLAN: the plan as JSON (components/netns/controlPlane.ts
#   `controlPlanePlan`), or "-" to read it from stdin.
# Last stdout line is JSON: every node's (and the gateway's) BGP sessions and pool routes.
set -eu
. "$(dirname "$0")/lib.sh"
load_lab
command -v bird >/dev/null || die "bird (BIRD 2) is not installed: apt-get install bird2"
[ -d "$RUN" ] || die "the lab's run dir $RUN does not exist: is the lab up?"
[ -n "${NETNS_CONTROL_PLAN-}" ] || die "NETNS_CONTROL_PLAN is empty: expected the plan as JSON (or - for stdin)"
RESULT=$("$PYTHON" -B "$HERE/controlplane.py" apply "$RUN")
# The userspace tunl0 helper re-reads each node's routes on its next packet rather than
# on its next miss.
[ ! -e "$RUN/tunl0.pid" ] || stop_pid_file "$RUN/tunl0.pid" HUP
printf '%s\n' "$RESULT"
