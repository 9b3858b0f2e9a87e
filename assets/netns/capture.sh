#!/usr/bin/env bash
# One capture on a netns lab (the contract of components/backend.ts): tcpdump on the
# client node's underlay NIC while the client pod pings the server pod and fetches
# http://<server pod>/ from it; then the route lookups both nodes make towards the other
# pod. The server pod's HTTP server (podserver.py) is started here if it is not running
# yet, detached and with a pid file, and stays until down.sh.
#
# Environment:
#   CAPTURE_PCAP         absolute path of the pcap to write (replaced)
#   CAPTURE_FOLDERS, CAPTURE_MARKER, CAPTURE_MARKER_TEXT  the pcaps' folder (../capture/folder.sh)
#   CAPTURE_MAX_PACKETS  tcpdump -c bound
#   CAPTURE_TIMEOUT      seconds tcpdump may run at most
#   CAPTURE_INTERFACE    interface in the client node (net0)
#   CLIENT_NODE, SERVER_NODE, LAB_IPIP_MODE   reported in messages
#   NETNS_LAB, NETNS_RUN_DIR                  the lab (lib.sh)
#   CLIENT_NODE_NS, SERVER_NODE_NS            the nodes' namespaces
#   CLIENT_POD, CLIENT_POD_NS, CLIENT_POD_IP  the client pod
#   SERVER_POD, SERVER_POD_NS, SERVER_POD_IP  the server pod
#   CAPTURE_PINGS        echo requests to send (default 4)
#   NETNS_HTTP_CLIENT    auto (curl when installed, else python3; default) | curl | python
# Last stdout line is JSON, what it observed: {"routes": {"client": [...], "server": [...]},
#   "packets", "ping", "http"} (the pods and the pcap's path are the program's own).
# Fails, saying what it ran and what it saw, when traffic does not pass.
set -eu
. "$(dirname "$0")/lib.sh"
load_lab
is_pcap() { [[ $1 == /* && $1 =~ ^[A-Za-z0-9_./@:+-]+$ ]]; }
is_pod() { [[ $1 =~ ^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$ ]]; }
is_seconds() { is_uint "$1" && ((10#$1 >= 1 && 10#$1 <= 3600)); }
need CAPTURE_PCAP is_pcap
need CAPTURE_MAX_PACKETS is_uint
need CAPTURE_TIMEOUT is_seconds
IFACE=${CAPTURE_INTERFACE:-net0}
is_ifname "$IFACE" || die "CAPTURE_INTERFACE=$IFACE is not an interface name"
PINGS=${CAPTURE_PINGS:-4}
is_uint "$PINGS" && ((PINGS >= 1 && PINGS <= 100)) || die "CAPTURE_PINGS=$PINGS must be 1-100"
for v in CLIENT_NODE_NS SERVER_NODE_NS CLIENT_POD_NS SERVER_POD_NS; do need "$v" is_lab_ns; done
for v in CLIENT_POD SERVER_POD; do need "$v" is_pod; done
for v in CLIENT_POD_IP SERVER_POD_IP; do need "$v" is_ipv4; done
for ns in "$CLIENT_NODE_NS" "$SERVER_NODE_NS" "$CLIENT_POD_NS" "$SERVER_POD_NS"; do
  [ -e "$NETNS_DIR/$ns" ] || die "namespace $ns does not exist: is lab $NETNS_LAB up?"
done
[ -d "$RUN" ] || die "run dir $RUN does not exist: is lab $NETNS_LAB up?"
WHAT="${CLIENT_POD} (${CLIENT_POD_IP}, node ${CLIENT_NODE:-$CLIENT_NODE_NS}) -> ${SERVER_POD} (${SERVER_POD_IP}, node ${SERVER_NODE:-$SERVER_NODE_NS}), mode ${LAB_IPIP_MODE:-?}"

# The server pod's HTTP server: reuse a running one, else start it detached (own
# session, stdin /dev/null, output to a log), its PID recorded at spawn.
SERVER_PID_FILE="$RUN/$SERVER_POD_NS.http.pid"
SERVER_READY="$RUN/$SERVER_POD_NS.http.ready"
server_alive() {
  local pid=""
  { read -r pid <"$SERVER_PID_FILE"; } 2>/dev/null || return 1
  is_digits "$pid" && alive "$pid" && cmdline_has "$pid" "$SERVER_PID_FILE"
}
# Captures may run in parallel (one per scenario): the lock makes check-and-start atomic.
exec 9>"$RUN/$SERVER_POD_NS.http.lock"
flock -w 10 9 || die "could not lock $RUN/$SERVER_POD_NS.http.lock in 10 s"
if ! server_alive || [ ! -e "$SERVER_READY" ]; then
  STOPPING=()
  [ ! -e "$SERVER_PID_FILE" ] || stop_pid_file "$SERVER_PID_FILE"
  [ "${#STOPPING[@]}" -eq 0 ] || wait_stopped 2
  rm -f -- "$SERVER_PID_FILE" "$SERVER_READY"
  setsid "$PYTHON" -B "$HERE/podserver.py" serve --netns "$SERVER_POD_NS" --ip "$SERVER_POD_IP" --port 80 --name "$SERVER_POD" \
    --pid-file "$SERVER_PID_FILE" --ready-file "$SERVER_READY" </dev/null >>"$RUN/$SERVER_POD_NS.http.log" 2>&1 9>&- &
  SERVER_PID=$!
  echo "$SERVER_PID" >"$SERVER_PID_FILE"
  deadline=$(($(now_us) + 5000000))
  until [ -e "$SERVER_READY" ]; do
    # Only alive: until it has exec'd python its command line is still this script's.
    alive "$SERVER_PID" || die "the HTTP server of $SERVER_POD exited: $(tail -n 5 "$RUN/$SERVER_POD_NS.http.log" 2>/dev/null)"
    (($(now_us) < deadline)) || die "the HTTP server of $SERVER_POD was not ready in 5 s: $(tail -n 5 "$RUN/$SERVER_POD_NS.http.log" 2>/dev/null)"
    sleep 0.02
  done
fi
exec 9>&-

# The pcap's folder: made and marked as this stack's when missing (../capture/folder.sh).
. "$HERE/../capture/folder.sh"
capture_folder_make "$(dirname -- "$CAPTURE_PCAP")" || exit 1

# tcpdump, bounded by -c and timeout; `ip netns exec` and `timeout` exec in place, so $!
# is timeout's PID, and timeout passes the SIGINT it gets on to tcpdump.
rm -f -- "$CAPTURE_PCAP"
ERR="$RUN/capture.$$.tcpdump.err"
TCPDUMP_PID=""
stop_tcpdump() {
  [ -n "$TCPDUMP_PID" ] || return 0
  kill -INT "$TCPDUMP_PID" 2>/dev/null || true
  wait "$TCPDUMP_PID" 2>/dev/null || true
  TCPDUMP_PID=""
}
cleanup() {
  stop_tcpdump
  rm -f -- "$ERR"
}
trap cleanup EXIT
ip netns exec "$CLIENT_NODE_NS" timeout "$CAPTURE_TIMEOUT" tcpdump -Z root -i "$IFACE" -nn -U --immediate-mode \
  -c "$CAPTURE_MAX_PACKETS" -w "$CAPTURE_PCAP" 2>"$ERR" </dev/null &
TCPDUMP_PID=$!
deadline=$(($(now_us) + 5000000))
until grep -q "listening on" "$ERR" 2>/dev/null; do
  if ! kill -0 "$TCPDUMP_PID" 2>/dev/null; then
    TCPDUMP_PID=""
    die "tcpdump on $IFACE in $CLIENT_NODE_NS exited before capturing: $(cat "$ERR")"
  fi
  (($(now_us) < deadline)) || die "tcpdump on $IFACE in $CLIENT_NODE_NS did not start capturing in 5 s: $(cat "$ERR")"
  sleep 0.02
done

# Traffic: ping, then one HTTP GET (curl when present, else podserver.py get).
PING_CMD="ip netns exec $CLIENT_POD_NS ping -n -c $PINGS -i 0.2 -W 2 $SERVER_POD_IP"
# What the nodes say about the path, for a failure message.
path_report() {
  local ns
  STOPPING=()
  for ns in "$CLIENT_NODE_NS" "$SERVER_NODE_NS"; do [ ! -e "$RUN/$ns.tunl0.pid" ] || stop_pid_file "$RUN/$ns.tunl0.pid" USR1; done
  sleep 0.2
  for ns in "$CLIENT_NODE_NS" "$SERVER_NODE_NS"; do
    printf 'tunl0 of %s: %s; ' "$ns" "$(ip -n "$ns" -s -o link show tunl0 2>&1 | tr -s ' ' | cut -c1-400)"
  done
  printf 'route on %s: %s; ' "$CLIENT_NODE_NS" "$(ip -n "$CLIENT_NODE_NS" route get "$SERVER_POD_IP" 2>&1 | head -n 1)"
  printf 'route on %s: %s; ' "$SERVER_NODE_NS" "$(ip -n "$SERVER_NODE_NS" route get "$CLIENT_POD_IP" 2>&1 | head -n 1)"
  for ns in "$CLIENT_NODE_NS" "$SERVER_NODE_NS"; do
    [ ! -e "$RUN/$ns.tunl0.log" ] || printf 'tunl0 helper of %s: %s; ' "$ns" "$(tail -n 4 "$RUN/$ns.tunl0.log" | tr '\n' ' ')"
  done
}
if ! PING_OUT=$($PING_CMD 2>&1); then
  die "ping failed for $WHAT; ran: $PING_CMD; saw: $(printf '%s' "$PING_OUT" | tail -n 4 | tr '\n' ' '); $(path_report)"
fi
PING_STAT=$(printf '%s\n' "$PING_OUT" | sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\2\/\1/p')
URL="http://$SERVER_POD_IP/"
HTTP_CLIENT=${NETNS_HTTP_CLIENT:-auto}
case $HTTP_CLIENT in
  auto) if command -v curl >/dev/null 2>&1; then HTTP_CLIENT=curl; else HTTP_CLIENT=python; fi ;;
  curl | python) ;;
  *) die "NETNS_HTTP_CLIENT=$HTTP_CLIENT must be auto, curl or python" ;;
esac
if [ "$HTTP_CLIENT" = curl ]; then
  HTTP_CMD="ip netns exec $CLIENT_POD_NS curl -sS -m 5 -w \\n%{http_code} $URL"
  HTTP_OUT=$(ip netns exec "$CLIENT_POD_NS" curl -sS -m 5 -w '\n%{http_code}' "$URL" 2>&1) || true
  HTTP_CODE=$(printf '%s\n' "$HTTP_OUT" | tail -n 1)
else
  HTTP_CMD="$PYTHON -B $HERE/podserver.py get --netns $CLIENT_POD_NS --url $URL"
  HTTP_OUT=$("$PYTHON" -B "$HERE/podserver.py" get --netns "$CLIENT_POD_NS" --url "$URL" 2>&1) || true
  HTTP_CODE=$(printf '%s\n' "$HTTP_OUT" | head -n 1 | cut -d' ' -f1)
fi
if [ "$HTTP_CODE" != 200 ] || ! grep -qF "$SERVER_POD $SERVER_POD_IP" <<<"$HTTP_OUT"; then
  die "HTTP GET failed for $WHAT; ran: $HTTP_CMD; saw: $(printf '%s' "$HTTP_OUT" | tr '\n' ' '); $(path_report)"
fi

# Let the last ACKs reach the wire, then stop tcpdump by its PID.
sleep 0.2
stop_tcpdump
PACKETS=$(sed -n 's/^\([0-9]*\) packets\{0,1\} captured.*/\1/p' "$ERR")
[ -s "$CAPTURE_PCAP" ] || die "tcpdump wrote no pcap at $CAPTURE_PCAP: $(cat "$ERR")"

route_lines() {
  ip -n "$1" route get "$2" 2>&1 | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' | grep -v '^$' | while IFS= read -r l; do printf '%s,' "$(json_str "$l")"; done
}
CLIENT_ROUTES=$(route_lines "$CLIENT_NODE_NS" "$SERVER_POD_IP")
SERVER_ROUTES=$(route_lines "$SERVER_NODE_NS" "$CLIENT_POD_IP")
echo "netns-lab: captured ${PACKETS:-?} packets on $IFACE of $CLIENT_NODE_NS for $WHAT (ping ${PING_STAT:-?}, HTTP $HTTP_CODE)" >&2
printf '{"routes":{"client":[%s],"server":[%s]},"packets":%s,"ping":%s,"http":%s}\n' \
  "${CLIENT_ROUTES%,}" "${SERVER_ROUTES%,}" "${PACKETS:-0}" "$(json_str "${PING_STAT:-}")" "$HTTP_CODE"
