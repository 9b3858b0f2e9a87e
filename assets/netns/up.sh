#!/usr/bin/env bash
# Builds a netns lab: the LabSpec's topology as network namespaces, wired as Calico wires
# nodes and pods (DESIGN.md section 4). What depends on the pool's modes — tunl0's
# address, vxlan.calico, the pods' MTU, and BIRD, which installs the blackhole of each
# node's block and every route to other blocks — is controlplane.sh's.
#
#   <lab>-ul      the underlay: one bridge per segment (no uplink, nothing else)
#   <router ns>   the gateway: ethN on each segment with the gateway address, forwarding
#   <node ns>     net0 on its segment (address/prefix, default via the gateway),
#                 forwarding, tunl0 (MTU - 20, no address until IPIP is on),
#                 cali<11 hex> (ee:ee:ee:ee:ee:ee, proxy ARP) and the pod's host route
#   <pod ns>      eth0 with the pod's /32 and default via 169.254.1.1 onlink
#
# The program renders every link, sysctl, address and route (components/netns/topology.ts);
# this script applies them in order. tunl0 alone is the host's choice: the kernel's when
# the ipip module is already loaded (its fallback tunl0 then appears in every new
# namespace); otherwise a TUN device in each node, and one tunl0_helper.py serving them
# all does the encapsulation in user space. The module is never loaded from here:
# loading it would add a tunl0 to the host's own namespace too.
#
# Re-runnable: it first removes whatever of this lab exists (a failed or killed earlier
# run), and removes what it built if it fails. Input: the environment described in
# lib.sh, and on stdin the sections `=links`, `=sysctl` and `=<namespace>` (its ip batch).
# Output: progress on stderr; the last stdout line is JSON
#   {"lab", "dataplane": "kernel-ipip"|"userspace-ipip", "runDir", "namespaces", "nodes", "seconds", "createdAt"}
set -eu
. "$(dirname "$0")/lib.sh"
START=$(now_us)
load_namespaces
# Checked before anything exists: the lab's control plane is one BIRD 2 per node.
command -v bird >/dev/null && command -v birdc >/dev/null || die "BIRD 2 is not installed (the lab's control plane): apt-get install bird2"
command -v jq >/dev/null || die "jq is not installed (it writes the scripts' results): apt-get install jq"
need_valid NETNS_UNDERLAY is_lab_ns
need_valid NETNS_TUNL0_MTU is_digits
# The names a stdin section may have: its two own and the lab's namespaces.
declare -A KNOWN=([links]=1 [sysctl]=1)
for ns in "${ALL_NS[@]}"; do KNOWN[$ns]=1; done
NODE_NS=() NODE_IP=()
while read -r ns ip; do
  [ -n "$ns" ] || continue
  [ -n "${KNOWN[$ns]-}" ] && [ -n "$ip" ] || die "NETNS_TUNL0_NODES line '$ns $ip' is not 'namespace address' of this lab"
  NODE_NS+=("$ns") NODE_IP+=("$ip")
done <<<"${NETNS_TUNL0_NODES-}"
N=${#NODE_NS[@]}
case ${NETNS_TUNL0:-auto} in
  userspace) DATAPLANE=userspace-ipip ;;
  auto) if [ -d /sys/module/ipip ]; then DATAPLANE=kernel-ipip; else DATAPLANE=userspace-ipip; fi ;;
  *) die "NETNS_TUNL0=$NETNS_TUNL0 must be auto or userspace" ;;
esac

# Progress with the time since start, on stderr.
phase() { echo "netns-lab: $NETNS_LAB $(elapsed "$START") s: $*" >&2; }

lab_down
phase "leftovers removed"
mkdir -p -- "$RUN/batch"

BUILT=0
on_exit() {
  local rc=$?
  if [ "$rc" -ne 0 ] && [ "$BUILT" -eq 0 ]; then
    for f in "$RUN"/*.log; do [ -e "$f" ] && { echo "--- $f" >&2; tail -n 20 -- "$f" >&2; }; done
    if [ "${NETNS_KEEP_ON_FAILURE:-0}" = 1 ]; then
      echo "netns-lab: up failed; NETNS_KEEP_ON_FAILURE=1 keeps what was built" >&2
    else
      echo "netns-lab: up failed; removing what it built" >&2
      lab_down
    fi
  fi
}
trap on_exit EXIT
# A cancelled update stops this script with SIGTERM (SIGINT, SIGHUP from a terminal): bash
# runs the EXIT trap for those only when they are trapped, so the cleanup runs too.
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

# The sections on stdin, one batch file each; a name that is neither a section nor one
# of this lab's namespaces stops the build.
awk -v dir="$RUN/batch" '/^=/ { if (substr($0, 2) !~ /^[a-z0-9.-]+$/) exit 1; if (f != "") close(f); f = dir "/" substr($0, 2); printf "" > f; next }
  f != "" { print > f }' || die "stdin: a section name is not of [a-z0-9.-]"
for f in "$RUN/batch"/*; do [ ! -e "$f" ] || [ -n "${KNOWN[${f##*/}]-}" ] || die "stdin: section ${f##*/} is not a namespace of lab $NETNS_LAB"; done
[ -s "$RUN/batch/links" ] || die "stdin holds no =links section: expected the topology (components/netns/topology.ts)"
# The namespaces the links and sysctls reach into are this lab's too.
while read -r ns; do
  [ -n "${KNOWN[$ns]-}" ] || die "stdin: $ns (a link's netns or a sysctl's namespace) is not a namespace of lab $NETNS_LAB"
done < <({ grep -o 'netns [^ ]*' "$RUN/batch/links" | cut -d' ' -f2; cut -d' ' -f1 "$RUN/batch/sysctl"; } | sort -u)

# 1. Namespaces, in one ip process.
for ns in "${ALL_NS[@]}"; do echo "netns add $ns"; done >"$RUN/batch/namespaces"
ip -batch "$RUN/batch/namespaces"
phase "${#ALL_NS[@]} namespaces"

# 2. Every link, created from inside the underlay namespace straight into its final
#    namespaces, all down for now.
ip -n "$NETNS_UNDERLAY" -batch "$RUN/batch/links"
phase "links"

# 3. sysctls, in one python process entering each namespace.
"$PYTHON" -B "$HERE/labns.py" sysctl <"$RUN/batch/sysctl"
phase "sysctls"

# 4. Addresses, links up, routes: one ip process per namespace, each started inside its
#    namespace by one python process; each node's batch also makes its tunl0 (a TUN for
#    the userspace helper, else the kernel's catch-all device).
for ns in "${NODE_NS[@]}"; do
  if [ "$DATAPLANE" = userspace-ipip ]; then
    echo "tuntap add dev tunl0 mode tun"
  elif ! ip -n "$ns" link show tunl0 >/dev/null 2>&1; then
    # The module is loaded but makes no fallback tunl0 in new namespaces
    # (net.core.fb_tunnels_only_for_init_net): create the catch-all device by name.
    echo "link add name tunl0 type ipip"
  fi >>"$RUN/batch/$ns"
  echo "link set tunl0 mtu $NETNS_TUNL0_MTU up" >>"$RUN/batch/$ns"
done
"$PYTHON" -B "$HERE/labns.py" batch "$RUN/batch" "${ALL_NS[@]}"
phase "addresses and routes"

# 5. Userspace tunl0: one helper for every node, spawned detached with its pid file; it
#    logs "ready:" once it serves each node's tunl0.
if [ "$DATAPLANE" = userspace-ipip ]; then
  for i in "${!NODE_NS[@]}"; do printf '%s %s\n' "${NODE_NS[$i]}" "${NODE_IP[$i]}"; done >"$RUN/tunl0.nodes"
  spawn "$RUN/tunl0.pid" "$RUN/tunl0.log" "$PYTHON" -B "$HERE/tunl0_helper.py" --nodes "$RUN/tunl0.nodes" --pid-file "$RUN/tunl0.pid"
  HELPER=$!
  deadline=$(($(now_us) + 10 * 1000000))
  until grep -q -F ']: ready: ' "$RUN/tunl0.log" 2>/dev/null; do
    alive "$HELPER" || die "the tunl0 helper exited: $(tail -n 3 "$RUN/tunl0.log")"
    (($(now_us) < deadline)) || die "the tunl0 helper was not ready within 10 s: $(tail -n 3 "$RUN/tunl0.log")"
    sleep 0.02
  done
  phase "tunl0 helper ready for $N nodes"
fi

BUILT=1
# The identity the program gave this build: while it reads it back, the lab is whole.
[ -z "${NETNS_BUILD_ID-}" ] || printf '%s\n' "$NETNS_BUILD_ID" >"$RUN/build-id"
echo "netns-lab: $NETNS_LAB up: ${#ALL_NS[@]} namespaces, $N nodes, $DATAPLANE, $(elapsed "$START") s" >&2
jq -cn --arg lab "$NETNS_LAB" --arg dataplane "$DATAPLANE" --arg runDir "$RUN" --argjson namespaces "${#ALL_NS[@]}" --argjson nodes "$N" \
  --argjson seconds "$(elapsed "$START")" --arg createdAt "$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)" \
  '{$lab, $dataplane, $runDir, $namespaces, $nodes, $seconds, $createdAt}'
