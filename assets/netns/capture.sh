#!/usr/bin/env bash
# One capture on a netns lab (the contract of components/backend.ts): tcpdump on the
# client node's underlay NIC while the client pod pings the server pod and fetches
# http://<server pod>/ from it; then the route lookups both nodes make towards the other
# pod. The server pod's HTTP server is started here if it is not running yet, detached
# and with a pid file, and stays until down.sh.
# Environment: captureEnvironment's (components/capture/result.ts) and netnsCaptureTargets'
# (components/netns/capture.ts), and optionally CAPTURE_PINGS (echo requests, default 4).
# Last stdout line is JSON, what it observed: {"routes": {"client": [...], "server": [...]},
# "packets", "ping", "http"} (the pods and the pcap's path are the program's own).
# Fails, saying what it ran and what it saw, when traffic does not pass.
set -eu
. "$(dirname "$0")/lib.sh"
load_lab
command -v curl >/dev/null || die "curl is not installed (the capture's HTTP client): apt-get install curl"
is_pcap() { [[ $1 == /* && $1 =~ ^[A-Za-z0-9_./@:+-]+$ ]]; }
: "${CAPTURE_INTERFACE:=net0}" "${CAPTURE_PINGS:=4}"
# The program validated every value (set -u names one it did not set); the namespaces and
# the file root writes are checked again.
for v in CAPTURE_PCAP:is_pcap {CLIENT,SERVER}_{NODE,POD}_NS:is_lab_ns; do need_valid "${v%:*}" "${v#*:}"; done
for ns in "$CLIENT_NODE_NS" "$SERVER_NODE_NS" "$CLIENT_POD_NS" "$SERVER_POD_NS"; do [ -e "$NETNS_DIR/$ns" ] || die "namespace $ns does not exist: is lab $NETNS_LAB up?"; done
[ -d "$RUN" ] || die "run dir $RUN does not exist: is lab $NETNS_LAB up?"
# await_line FILE PATTERN PID WHAT: wait up to 5 s for a line of FILE, PID's output, to
# match PATTERN; fail, saying WHAT and what FILE ends with, if PID exits first or time is up.
await_line() {
  local deadline=$(($(now_us) + 5000000))
  until grep -qs -- "$2" "$1"; do
    alive "$3" || die "$4 exited before it was ready: $(tail -n 5 -- "$1" 2>/dev/null)"
    (($(now_us) < deadline)) || die "$4 was not ready in 5 s: $(tail -n 5 -- "$1" 2>/dev/null)"
    sleep 0.02
  done
}
WHAT="$CLIENT_POD ($CLIENT_POD_IP, node ${CLIENT_NODE:-$CLIENT_NODE_NS}) -> $SERVER_POD ($SERVER_POD_IP, node ${SERVER_NODE:-$SERVER_NODE_NS}), mode ${LAB_IPIP_MODE:-?}"

# The server pod's HTTP server (podhttp.py) serving one file that names the pod, in the
# pod's namespace. Reuse a running one, else spawn it (lib.sh: detached, its PID
# recorded); its log's "Serving HTTP" line says it listens. Captures may run at once
# (one per scenario): the lock makes check-and-start atomic.
SERVER=$RUN/$SERVER_POD_NS.http
exec 9>"$SERVER.lock"
flock -w 10 9 || die "could not lock $SERVER.lock in 10 s"
mkdir -p -- "$SERVER"
printf '%s %s\n' "$SERVER_POD" "$SERVER_POD_IP" >"$SERVER/index.html"
pid=""
{ read -r pid <"$SERVER.pid"; } 2>/dev/null || true
if ! { is_digits "$pid" && alive "$pid" && cmdline_has "$pid" "$SERVER" && grep -qs '^Serving HTTP' "$SERVER.log"; }; then
  STOPPING=()
  stop_pid_file "$SERVER.pid"
  [ "${#STOPPING[@]}" -eq 0 ] || wait_stopped 2
  rm -f -- "$SERVER.log"
  spawn "$SERVER.pid" "$SERVER.log" ip netns exec "$SERVER_POD_NS" "$PYTHON" -B "$HERE/podhttp.py" "$SERVER" 9>&-
  await_line "$SERVER.log" '^Serving HTTP' "$!" "the HTTP server of $SERVER_POD"
fi
exec 9>&-

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
trap 'stop_tcpdump; rm -f -- "$ERR"' EXIT
ip netns exec "$CLIENT_NODE_NS" timeout "$CAPTURE_TIMEOUT" tcpdump -Z root -i "$CAPTURE_INTERFACE" -nn -U --immediate-mode \
  -c "$CAPTURE_MAX_PACKETS" -w "$CAPTURE_PCAP" 2>"$ERR" </dev/null &
TCPDUMP_PID=$!
await_line "$ERR" "listening on" "$TCPDUMP_PID" "tcpdump on $CAPTURE_INTERFACE in $CLIENT_NODE_NS"

# What the nodes say about the path, for a failure message.
path_report() {
  local ns
  STOPPING=()
  [ ! -e "$RUN/tunl0.pid" ] || stop_pid_file "$RUN/tunl0.pid" USR1
  sleep 0.2
  for ns in "$CLIENT_NODE_NS" "$SERVER_NODE_NS"; do
    printf 'tunl0 of %s: %s; ' "$ns" "$(ip -n "$ns" -s -o link show tunl0 2>&1 | tr -s ' ' | cut -c1-400)"
    [ ! -e "$RUN/tunl0.log" ] || printf 'tunl0 helper on %s: %s; ' "$ns" "$(grep -F -- "]: $ns: " "$RUN/tunl0.log" | tail -n 4 | tr '\n' ' ')"
  done
  printf 'route on %s: %s; ' "$CLIENT_NODE_NS" "$(ip -n "$CLIENT_NODE_NS" route get "$SERVER_POD_IP" 2>&1 | head -n 1)" \
    "$SERVER_NODE_NS" "$(ip -n "$SERVER_NODE_NS" route get "$CLIENT_POD_IP" 2>&1 | head -n 1)"
}

# Traffic: ping, then one HTTP GET (curl prints the status code last).
PING=(ip netns exec "$CLIENT_POD_NS" ping -n -c "$CAPTURE_PINGS" -i 0.2 -W 2 "$SERVER_POD_IP")
PING_OUT=$("${PING[@]}" 2>&1) || die "ping failed for $WHAT; ran: ${PING[*]}; saw: $(tail -n 4 <<<"$PING_OUT" | tr '\n' ' '); $(path_report)"
PING_STAT=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\2\/\1/p' <<<"$PING_OUT")
HTTP=(ip netns exec "$CLIENT_POD_NS" curl -sS -m 5 -w '\n%{http_code}' "http://$SERVER_POD_IP/")
HTTP_OUT=$("${HTTP[@]}" 2>&1) || true
HTTP_CODE=$(tail -n 1 <<<"$HTTP_OUT")
if [ "$HTTP_CODE" != 200 ] || ! grep -qF "$SERVER_POD $SERVER_POD_IP" <<<"$HTTP_OUT"; then
  die "HTTP GET failed for $WHAT; ran: ${HTTP[*]}; saw: $(tr '\n' ' ' <<<"$HTTP_OUT"); $(path_report)"
fi

# Let the last ACKs reach the wire, then stop tcpdump by its PID.
sleep 0.2
stop_tcpdump
PACKETS=$(sed -n 's/^\([0-9]*\) packets\{0,1\} captured.*/\1/p' "$ERR")
[ -s "$CAPTURE_PCAP" ] || die "tcpdump wrote no pcap at $CAPTURE_PCAP: $(cat "$ERR")"
echo "netns-lab: captured ${PACKETS:-?} packets on $CAPTURE_INTERFACE of $CLIENT_NODE_NS for $WHAT (ping ${PING_STAT:-?}, HTTP $HTTP_CODE)" >&2
# `ip route get` as printed; the program drops its blank and "cache" lines.
jq -nc --arg client "$(ip -n "$CLIENT_NODE_NS" route get "$SERVER_POD_IP" 2>&1)" --arg server "$(ip -n "$SERVER_NODE_NS" route get "$CLIENT_POD_IP" 2>&1)" \
  --argjson packets "${PACKETS:-0}" --arg ping "${PING_STAT:-}" --argjson http "$HTTP_CODE" \
  '{routes: {client: ($client | split("\n")), server: ($server | split("\n"))}, packets: $packets, ping: $ping, http: $http}'
