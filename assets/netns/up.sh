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
# tunl0 is the kernel's when the ipip module is already loaded (its fallback tunl0 then
# appears in every new namespace); otherwise a TUN device with one tunl0_helper.py per
# node doing the encapsulation in user space. The module is never loaded from here:
# loading it would add a tunl0 to the host's own namespace too.
#
# Re-runnable: it first removes whatever of this lab exists (a failed or killed earlier
# run), and removes what it built if it fails. Input: the environment described in
# lib.sh. Output: progress on stderr; the last stdout line is JSON
#   {"lab", "dataplane": "kernel-ipip"|"userspace-ipip", "runDir", "namespaces", "nodes", "seconds", "createdAt"}
set -eu
. "$(dirname "$0")/lib.sh"
START=$(now_us)
load_topology
# Checked before anything exists: the lab's control plane is one BIRD 2 per node.
command -v bird >/dev/null && command -v birdc >/dev/null || die "BIRD 2 is not installed (the lab's control plane): apt-get install bird2"
need NETNS_MTU is_uint
MTU=$((10#$NETNS_MTU))
((MTU >= 1280 && MTU <= 9000)) || die "NETNS_MTU=$MTU must be 1280-9000"
TUN_MTU=$((MTU - 20))
[ -z "${NETNS_BUILD_ID-}" ] || [[ $NETNS_BUILD_ID =~ ^[a-z0-9-]{1,64}$ ]] || die "NETNS_BUILD_ID=$NETNS_BUILD_ID is not an identity (a-z, 0-9, -)"
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
mkdir -p -- "$RUN"
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

# 1. Namespaces, in one ip process.
for ns in "${ALL_NS[@]}"; do echo "netns add $ns"; done >"$RUN/batch/namespaces"
ip -batch "$RUN/batch/namespaces"
phase "${#ALL_NS[@]} namespaces"

# 2. Every link, created from inside the underlay namespace straight into its final
#    namespaces (`netns` on each end), all down for now.
{
  for i in "${!SUB_BRIDGE[@]}"; do
    b=${SUB_BRIDGE[$i]}
    echo "link add $b mtu $MTU type bridge forward_delay 0 stp_state 0 mcast_snooping 0"
    echo "link add $b-net0 mtu $MTU type veth peer name ${SUB_IF[$i]} netns $ROUTER mtu $MTU"
    echo "link set $b-net0 master $b"
  done
  for i in "${!NODE_NS[@]}"; do
    echo "link add ${NODE_PORT[$i]} mtu $MTU type veth peer name net0 netns ${NODE_NS[$i]} mtu $MTU"
    echo "link set ${NODE_PORT[$i]} master ${NODE_BRIDGE[$i]}"
    echo "link add ${CALI[$i]} netns ${NODE_NS[$i]} mtu $TUN_MTU address ee:ee:ee:ee:ee:ee type veth peer name eth0 netns ${POD_NS[$i]} mtu $TUN_MTU"
  done
} >"$RUN/batch/links"
ip -n "$UL" -batch "$RUN/batch/links"
phase "links"

# 3. sysctls, in one python process entering each namespace: no IPv6 anywhere (keeps the
#    captures to the lab's IPv4), forwarding on router and nodes, loose reverse-path
#    filtering on the nodes' underlay and tunnel (packets of a remote pod arrive on net0
#    or tunl0 depending on the mode), Felix's settings on each cali interface.
{
  for ns in "${ALL_NS[@]}"; do
    echo "$ns net.ipv6.conf.all.disable_ipv6 1"
    echo "$ns net.ipv6.conf.default.disable_ipv6 1"
  done
  echo "$ROUTER net.ipv4.ip_forward 1"
  echo "$ROUTER net.ipv4.conf.all.rp_filter 0"
  echo "$ROUTER net.ipv4.conf.default.rp_filter 0"
  for i in "${!NODE_NS[@]}"; do
    ns=${NODE_NS[$i]} c=${CALI[$i]}
    echo "$ns net.ipv4.ip_forward 1"
    echo "$ns net.ipv4.conf.all.rp_filter 0"
    echo "$ns net.ipv4.conf.default.rp_filter 0"
    echo "$ns net.ipv4.conf.net0.rp_filter 0"
    echo "$ns net.ipv4.conf.$c.rp_filter 1"
    echo "$ns net.ipv4.conf.$c.proxy_arp 1"
    echo "$ns net.ipv4.conf.$c.route_localnet 1"
    echo "$ns net.ipv4.neigh.$c.proxy_delay 0"
  done
} >"$RUN/batch/sysctl"
"$PYTHON" -B "$HERE/labns.py" sysctl <"$RUN/batch/sysctl"
phase "sysctls"

# 4. Addresses, links up, routes: one ip process per namespace.
{
  for b in "${SUB_BRIDGE[@]}"; do echo "link set $b up"; echo "link set $b-net0 up"; done
  for p in "${NODE_PORT[@]}"; do echo "link set $p up"; done
} >"$RUN/batch/$UL"
{
  echo "link set lo up"
  for i in "${!SUB_IF[@]}"; do
    echo "address add ${SUB_GW[$i]}/${SUB_PREFIX[$i]} dev ${SUB_IF[$i]}"
    echo "link set ${SUB_IF[$i]} up"
  done
} >"$RUN/batch/$ROUTER"
for i in "${!NODE_NS[@]}"; do
  {
    echo "link set lo up"
    echo "address add ${NODE_IP[$i]}/${NODE_PREFIX[$i]} dev net0"
    echo "link set net0 up"
    echo "route add default via ${NODE_GW[$i]} dev net0"
    if [ "$DATAPLANE" = userspace-ipip ]; then
      echo "tuntap add dev tunl0 mode tun"
    elif ! ip -n "${NODE_NS[$i]}" link show tunl0 >/dev/null 2>&1; then
      # The module is loaded but makes no fallback tunl0 in new namespaces
      # (net.core.fb_tunnels_only_for_init_net): create the catch-all device by name.
      echo "link add name tunl0 type ipip"
    fi
    echo "link set tunl0 mtu $TUN_MTU up"
    echo "link set ${CALI[$i]} up"
    echo "route replace ${POD_IP[$i]} dev ${CALI[$i]} scope link"
  } >"$RUN/batch/${NODE_NS[$i]}"
  {
    echo "link set lo up"
    echo "address add ${POD_IP[$i]}/32 dev eth0"
    echo "link set eth0 up"
    echo "route add default via 169.254.1.1 dev eth0 onlink"
  } >"$RUN/batch/${POD_NS[$i]}"
done
for ns in "${ALL_NS[@]}"; do ip -n "$ns" -batch "$RUN/batch/$ns"; done
phase "addresses and routes"

# 5. Userspace tunl0: one helper per node, fully detached (own session, stdin from
#    /dev/null, output to a log) so it never holds the caller's pipes open. Its PID is
#    recorded the moment it is spawned (setsid execs in place: a background job is no
#    process-group leader), so even a run killed right here leaves nothing that down.sh
#    cannot stop; each helper writes its ready file once it serves tunl0.
printf '%s\n' "${NODE_IP[@]}" >"$RUN/peers"
if [ "$DATAPLANE" = userspace-ipip ]; then
  declare -A HELPER=()
  for i in "${!NODE_NS[@]}"; do
    ns=${NODE_NS[$i]}
    setsid "$PYTHON" -B "$HERE/tunl0_helper.py" --netns "$ns" --node-ip "${NODE_IP[$i]}" --peers "$RUN/peers" \
      --pid-file "$RUN/$ns.tunl0.pid" --ready-file "$RUN/$ns.tunl0.ready" </dev/null >"$RUN/$ns.tunl0.log" 2>&1 &
    HELPER[$ns]=$!
    echo "$!" >"$RUN/$ns.tunl0.pid"
  done
  deadline=$(($(now_us) + (10 + N / 4) * 1000000))
  while :; do
    waiting=()
    for ns in "${NODE_NS[@]}"; do
      [ ! -e "$RUN/$ns.tunl0.ready" ] || continue
      alive "${HELPER[$ns]}" || die "the tunl0 helper of $ns exited: $(tail -n 3 "$RUN/$ns.tunl0.log")"
      waiting+=("$ns")
    done
    [ "${#waiting[@]}" -gt 0 ] || break
    (($(now_us) < deadline)) || die "tunl0 helpers not ready in time: ${waiting[*]}"
    sleep 0.02
  done
  phase "$N tunl0 helpers ready"
fi

BUILT=1
# The identity the program gave this build: while it reads it back, the lab is whole.
[ -z "${NETNS_BUILD_ID-}" ] || printf '%s\n' "$NETNS_BUILD_ID" >"$RUN/build-id"
echo "netns-lab: $NETNS_LAB up: ${#ALL_NS[@]} namespaces, $N nodes, $DATAPLANE, $(elapsed "$START") s" >&2
printf '{"lab":%s,"dataplane":%s,"runDir":%s,"namespaces":%d,"nodes":%d,"seconds":%s,"createdAt":%s}\n' \
  "$(json_str "$NETNS_LAB")" "$(json_str "$DATAPLANE")" "$(json_str "$RUN")" "${#ALL_NS[@]}" "$N" "$(elapsed "$START")" \
  "$(json_str "$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)")"
