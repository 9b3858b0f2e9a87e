#!/usr/bin/env bash
# One scenario's capture on the kind backend (the contract is in components/backend.ts):
# tcpdump listens on the client node's net0 — from the node's sidecar, which shares its
# network namespace — while the client pod pings and fetches from the server pod; the
# pcap is copied to CAPTURE_PCAP. Environment: captureEnvironment's (components/capture/
# result.ts) and kindCaptureTargets' (components/kind/steps.ts). Last stdout line is JSON,
# what it observed: {"client": {"pod", "ip"}, "server": {"pod", "ip"}, "routes": {"client",
# "server"}} (only the cluster knows which pod landed on which node).
set -eu
. "$(dirname "$0")/lib.sh"
need CAPTURE_PCAP CAPTURE_MAX_PACKETS CAPTURE_TIMEOUT CAPTURE_INTERFACE CLIENT_NODE SERVER_NODE \
  LAB_KUBECONFIG CLIENT_SIDECAR WORKLOAD_NAMESPACE WORKLOAD_SELECTOR PING_COUNT CURL_SECONDS TCPDUMP_START_SECONDS LAB_POLL_SECONDS
use_kubeconfig
. "$(dirname "$0")/../capture/folder.sh"
capture_folder_make "$(dirname -- "$CAPTURE_PCAP")" || exit 1

# pod_on NODE: "name ip" of the workload's Running pod on NODE.
pod_on() {
  local found name ip
  found=$(output kubectl get pods -n "$WORKLOAD_NAMESPACE" -l "$WORKLOAD_SELECTOR" \
    --field-selector "spec.nodeName=$1,status.phase=Running" \
    -o 'custom-columns=NAME:.metadata.name,IP:.status.podIP' --no-headers)
  read -r name ip <<<"$found" || true
  [ -n "${name:-}" ] && [ -n "${ip:-}" ] && [ "$ip" != "<none>" ] ||
    die "no Running pod with $WORKLOAD_SELECTOR and an IP on node $1 (kubectl printed: ${found:-nothing})"
  printf '%s %s\n' "$name" "$ip"
}
# Assigned first: a failing command substitution stops the script only in an assignment.
client=$(pod_on "$CLIENT_NODE")
server=$(pod_on "$SERVER_NODE")
read -r client_pod client_ip <<<"$client"
read -r server_pod server_ip <<<"$server"
say "client $client_pod ($client_ip) on $CLIENT_NODE, server $server_pod ($server_ip) on $SERVER_NODE"

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
  sh "$remote.pid" "$CAPTURE_TIMEOUT" "$CAPTURE_INTERFACE" "$CAPTURE_MAX_PACKETS" "$remote" "ip proto 4 or (host $client_ip and host $server_ip)" "$remote.err"
started=yes
# tcpdump creates the pcap once it listens.
deadline=$((SECONDS + TCPDUMP_START_SECONDS))
until try docker exec "$CLIENT_SIDECAR" test -e "$remote"; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    try docker exec "$CLIENT_SIDECAR" cat "$remote.err" || true
    die "tcpdump did not start in $CLIENT_SIDECAR within ${TCPDUMP_START_SECONDS}s ($remote never appeared); tcpdump said: $(seen)"
  fi
  sleep "$LAB_POLL_SECONDS"
done

# Traffic: a failure here is a finding (the pcap shows what left), not a reason to stop.
if try kubectl exec -n "$WORKLOAD_NAMESPACE" "$client_pod" -- ping -c "$PING_COUNT" -W 1 "$server_ip"; then
  say "ping $server_ip from $client_pod: $(grep -m 1 'transmitted' "$_lab_tmp/out" || true)"
else
  say "warning: \`$_lab_last\` failed (exit $_lab_rc): $(seen)"
fi
if try kubectl exec -n "$WORKLOAD_NAMESPACE" "$client_pod" -- curl -s -o /dev/null -w '%{http_code}' -m "$CURL_SECONDS" "http://$server_ip/"; then
  say "curl http://$server_ip/ from $client_pod: HTTP $(seen)"
else
  say "warning: \`$_lab_last\` failed (exit $_lab_rc): $(seen)"
fi

# Stop tcpdump by its PID (it flushes on SIGINT) and wait until it is gone.
sleep "$LAB_POLL_SECONDS"
pid=$(output docker exec "$CLIENT_SIDECAR" cat "$remote.pid")
try docker exec "$CLIENT_SIDECAR" sh -c 'kill -INT "$1"' sh "$pid" || say "tcpdump (pid $pid) had already stopped"
until_ok "$CAPTURE_TIMEOUT" "tcpdump (pid $pid) in $CLIENT_SIDECAR to exit" docker exec "$CLIENT_SIDECAR" sh -c '! kill -0 "$1" 2>/dev/null' sh "$pid"
run docker cp "$CLIENT_SIDECAR:$remote" "$CAPTURE_PCAP"
run docker exec "$CLIENT_SIDECAR" rm -f "$remote" "$remote.pid" "$remote.err"
started=no

# The route each side uses towards the other's pod, as `ip route get` prints it (the program drops its "cache" lines).
client_route=$(output docker exec "$CLIENT_NODE" ip route get "$server_ip")
server_route=$(output docker exec "$SERVER_NODE" ip route get "$client_ip")
jq -nc --arg cp "$client_pod" --arg ci "$client_ip" --arg sp "$server_pod" --arg si "$server_ip" --arg cr "$client_route" --arg sr "$server_route" \
  '{client: {pod: $cp, ip: $ci}, server: {pod: $sp, ip: $si}, routes: {client: ($cr | split("\n")), server: ($sr | split("\n"))}}'
