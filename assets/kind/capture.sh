#!/usr/bin/env bash
# One scenario's capture on the kind backend (the contract is in components/backend.ts):
# tcpdump listens on the client node's net0 — from the node's sidecar, which shares its
# network namespace — while the client pod pings and fetches from the server pod; the
# pcap is copied to CAPTURE_PCAP. Environment: captureEnvironment's (components/capture/
# result.ts) and kindCaptureTargets' (components/kind/steps.ts: the pods as the workload
# step read them back). Last stdout line is JSON, what it observed: {"routes": {"client",
# "server"}}.
set -eu
. "$(dirname "$0")/lib.sh"
need CAPTURE_PCAP CAPTURE_MAX_PACKETS CAPTURE_TIMEOUT CAPTURE_INTERFACE CLIENT_NODE SERVER_NODE LAB_KUBECONFIG CLIENT_SIDECAR \
  WORKLOAD_NAMESPACE CLIENT_POD CLIENT_POD_IP SERVER_POD_IP PING_COUNT CURL_SECONDS TCPDUMP_START_SECONDS LAB_POLL_SECONDS
use_kubeconfig
. "$(dirname "$0")/../capture/folder.sh"
capture_folder_make "$(dirname -- "$CAPTURE_PCAP")" || exit 1

# Files inside the sidecar; named after the pcap so concurrent scenarios never share them.
remote=/tmp/calico-ipip-lab-$(basename "$CAPTURE_PCAP")
started=no
# Stop a capture left running by a failure (tcpdump also stops by itself: -c and timeout).
on_exit() {
  [ "$started" = no ] ||
    docker exec "$CLIENT_SIDECAR" sh -c 'kill -INT "$(cat "$1")" 2>/dev/null; rm -f "$1" "$2" "$3"' sh "$remote.pid" "$remote" "$remote.err" >/dev/null 2>&1 || true
}

# sh records its PID and becomes `timeout`, which passes SIGINT on to tcpdump. Encapsulated
# packets (IP protocol 4) or the two pods' own packets: nothing else on net0 matters.
run docker exec -d "$CLIENT_SIDECAR" sh -c 'echo $$ >"$1"; exec timeout -s INT "$2" tcpdump -i "$3" --immediate-mode -U -c "$4" -w "$5" "$6" 2>"$7"' \
  sh "$remote.pid" "$CAPTURE_TIMEOUT" "$CAPTURE_INTERFACE" "$CAPTURE_MAX_PACKETS" "$remote" "ip proto 4 or (host $CLIENT_POD_IP and host $SERVER_POD_IP)" "$remote.err"
started=yes
# tcpdump creates the pcap once it listens; until then, what it said.
listening() { docker exec "$CLIENT_SIDECAR" test -e "$remote" || { docker exec "$CLIENT_SIDECAR" cat "$remote.err"; return 1; }; }
until_ok "$TCPDUMP_START_SECONDS" "tcpdump listening in $CLIENT_SIDECAR ($remote)" listening

# traffic CMD...: CMD in the client pod. A failure is a finding (the pcap shows what left),
# not a reason to stop: it is logged as a warning, and the status returned.
traffic() { try kubectl exec -n "$WORKLOAD_NAMESPACE" "$CLIENT_POD" -- "$@" || { say "warning: \`$_lab_last\` failed (exit $_lab_rc): $(seen)"; return 1; }; }
traffic ping -c "$PING_COUNT" -W 1 "$SERVER_POD_IP" && say "ping $SERVER_POD_IP from $CLIENT_POD: $(grep -m 1 'transmitted' "$_lab_tmp/out" || true)"
traffic curl -s -o /dev/null -w '%{http_code}' -m "$CURL_SECONDS" "http://$SERVER_POD_IP/" && say "curl http://$SERVER_POD_IP/ from $CLIENT_POD: HTTP $(seen)"

# Stop tcpdump by its PID (it flushes on SIGINT) and wait until it is gone.
sleep "$LAB_POLL_SECONDS"
pid=$(output docker exec "$CLIENT_SIDECAR" cat "$remote.pid")
try docker exec "$CLIENT_SIDECAR" sh -c 'kill -INT "$1"' sh "$pid" || say "tcpdump (pid $pid) had already stopped"
until_ok "$CAPTURE_TIMEOUT" "tcpdump (pid $pid) in $CLIENT_SIDECAR to exit" docker exec "$CLIENT_SIDECAR" sh -c '! kill -0 "$1" 2>/dev/null' sh "$pid"
run docker cp "$CLIENT_SIDECAR:$remote" "$CAPTURE_PCAP"
run docker exec "$CLIENT_SIDECAR" rm -f "$remote" "$remote.pid" "$remote.err"
started=no

# The route each side uses towards the other's pod, as `ip route get` prints it (the program drops its "cache" lines).
client_route=$(output docker exec "$CLIENT_NODE" ip route get "$SERVER_POD_IP")
server_route=$(output docker exec "$SERVER_NODE" ip route get "$CLIENT_POD_IP")
jq -nc --arg cr "$client_route" --arg sr "$server_route" '{routes: {client: ($cr | split("\n")), server: ($sr | split("\n"))}}'
