# Shared by the netns lab's scripts (sourced, not run): environment checks, the lab's
# namespaces, and the one teardown every script relies on. Nothing here touches the
# host's own network namespace: every `ip` call names a lab namespace (`ip -n NS`), and
# every name is checked to belong to this lab (it starts with "$NETNS_LAB-") before use.
#
# Environment (components/netns/topology.ts `topologyInvocation`, or by hand / by tests):
#   NETNS_LAB          lab name: 1-40 of [a-z0-9-]; every namespace is "<lab>-<something>"
#   NETNS_RUN_DIR      absolute folder for pid files, logs and batch files; its last part
#                      must be the lab name (default /run/calico-ipip-lab/<lab>)
#   NETNS_NAMESPACES   the lab's namespaces, one a line
#   NETNS_UNDERLAY     the one holding the segment bridges (up.sh creates the links there)
#   NETNS_TUNL0_NODES  up.sh: one line per node, "namespace underlayAddress"
#   NETNS_TUNL0_MTU    up.sh: tunl0's MTU
#   NETNS_TUNL0        up.sh: auto (kernel ipip when the module is loaded, else userspace) | userspace

NETNS_DIR=/var/run/netns
# The C locale: predictable tool output to parse, and fast pattern matching.
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# The helpers need only Python's standard library. NETNS_PYTHON picks the interpreter;
# else the system's /usr/bin/python3, else python3 from PATH. The system one comes first
# because version-manager shims on PATH (pyenv's) cost about half a second per start,
# which up.sh would pay once per node.
PYTHON=${NETNS_PYTHON:-/usr/bin/python3}
[ -n "${NETNS_PYTHON-}" ] || [ -x "$PYTHON" ] || PYTHON=python3

die() { echo "netns-lab: $*" >&2; exit 1; }

# Microseconds since the epoch, without starting a process (bash 5's EPOCHREALTIME).
now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$((10#$t))"; }
# Seconds since a now_us value, with milliseconds: "0.532".
elapsed() {
  local us=$(($(now_us) - $1))
  printf '%d.%03d' "$((us / 1000000))" "$((us / 1000 % 1000))"
}

# Validators use glob patterns, not =~: bash compiles a regex on every match, which
# costs about a millisecond each and adds up to half a second on a 64-node lab.
is_digits() { [[ -n $1 && $1 != *[!0-9]* ]]; }
# A namespace of this lab: "<lab>-" then lowercase letters, digits, '.', '-'.
is_lab_ns() { [[ $1 == "$NETNS_LAB-"?* && ${#1} -le 128 && $1 != *[!a-z0-9.-]* ]]; }

need_valid() {
  local name=$1 check=$2 value=${!1-}
  [ -n "$value" ] || die "$name is not set"
  "$check" "$value" || die "$name=$value is not valid ($check)"
}

# NETNS_LAB and the run dir: enough for down and for signalling helpers.
load_lab() {
  [[ ${NETNS_LAB-} =~ ^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$ ]] || die "NETNS_LAB=${NETNS_LAB-} is not a lab name (1-40 of a-z, 0-9, '-')"
  RUN=${NETNS_RUN_DIR:-/run/calico-ipip-lab/$NETNS_LAB}
  [[ $RUN == /* && $RUN != *..* && $RUN =~ ^[A-Za-z0-9_./@:+-]+$ ]] || die "NETNS_RUN_DIR=$RUN must be an absolute path of letters, digits and _./@:+-"
  [ "$(basename -- "$RUN")" = "$NETNS_LAB" ] || die "NETNS_RUN_DIR=$RUN must end in the lab name $NETNS_LAB (down removes it)"
}

# The lab's namespaces → ALL_NS, each checked to be this lab's.
load_namespaces() {
  load_lab
  local ns
  ALL_NS=()
  if [ -z "${NETNS_NAMESPACES-}" ] && [ -n "${NETNS_NODES-}" ]; then
    # A lab built before NETNS_NAMESPACES: its state still holds the old tables
    # (NETNS_NODES lines "nodeNs bridge port ip prefix gateway podNs podIp cali").
    local node pod _
    NETNS_NAMESPACES=$(printf '%s\n%s\n' "${NETNS_UNDERLAY-}" "${NETNS_ROUTER-}"
      while read -r node _ _ _ _ _ pod _; do printf '%s\n%s\n' "$node" "$pod"; done <<<"$NETNS_NODES")
  fi
  while read -r ns; do
    [ -n "$ns" ] || continue
    is_lab_ns "$ns" || die "NETNS_NAMESPACES: '$ns' is not a namespace of lab $NETNS_LAB"
    ALL_NS+=("$ns")
  done <<<"${NETNS_NAMESPACES-}"
  [ "${#ALL_NS[@]}" -gt 0 ] || die "NETNS_NAMESPACES lists no namespace"
}

# True when PID is alive and not a zombie (an unreaped child of a dead parent counts as gone).
# Builtins only: this runs in polling loops over many PIDs.
alive() {
  local stat
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# True when PID's command line holds the argument $2 (exactly, as one argument).
cmdline_has() {
  local args=() a
  { mapfile -d '' args <"/proc/$1/cmdline"; } 2>/dev/null || return 1
  for a in "${args[@]}"; do [ "$a" != "$2" ] || return 0; done
  return 1
}

# spawn PIDFILE LOG COMMAND...: COMMAND fully detached (own session, stdin /dev/null,
# output to a fresh LOG), so it never holds the caller's pipes open; $! is its PID. The
# subshell records its own PID before it execs setsid, which execs in place (a background
# job is no process-group leader), as `ip netns exec` does: the pid file names the
# command before it starts, so even a launcher killed right then leaves nothing that
# down.sh cannot stop.
spawn() {
  local pid_file=$1 log=$2
  shift 2
  (echo "$BASHPID" >"$pid_file" && exec setsid "$@" </dev/null >"$log" 2>&1) &
}

# Stop the process a pid file X.pid names, if its command line still holds X.pid or X
# (a pod's HTTP server names the folder it serves), so a recycled PID of an unrelated
# process is never signalled. Appends to STOPPING.
stop_pid_file() {
  local file=$1 signal=${2:-TERM} pid=""
  { read -r pid <"$file"; } 2>/dev/null || return 0
  is_digits "$pid" || return 0
  if cmdline_has "$pid" "$file" || cmdline_has "$pid" "${file%.pid}"; then
    kill "-$signal" "$pid" 2>/dev/null && STOPPING+=("$pid")
  fi
  return 0
}

# PIDs of processes living in any of the named namespaces (compared by namespace inode).
ns_pids() {
  local paths=() n
  for n in "$@"; do [ -e "$NETNS_DIR/$n" ] && paths+=("$NETNS_DIR/$n"); done
  [ "${#paths[@]}" -gt 0 ] || return 0
  local -A wanted=()
  local ino rest
  while read -r ino; do wanted[$ino]=1; done < <(stat -L -c '%i' -- "${paths[@]}" 2>/dev/null)
  while read -r ino rest; do
    [ -n "${wanted[$ino]-}" ] || continue
    rest=${rest#/proc/}
    echo "${rest%%/*}"
  done < <(stat -L -c '%i %n' /proc/[0-9]*/ns/net 2>/dev/null)
}

# Wait (up to $1 seconds) for the PIDs in STOPPING to exit; SIGKILL what is left.
wait_stopped() {
  local deadline pid left
  deadline=$(($(now_us) + $1 * 1000000))
  while :; do
    left=()
    for pid in "${STOPPING[@]}"; do alive "$pid" && left+=("$pid"); done
    [ "${#left[@]}" -gt 0 ] || return 0
    if (($(now_us) > deadline)); then
      echo "netns-lab: SIGKILL to ${left[*]} (still running after SIGTERM)" >&2
      kill -KILL "${left[@]}" 2>/dev/null || true
      return 0
    fi
    sleep 0.02
  done
}

# Tear down everything of this lab that exists: processes by pid file (SIGKILL: a BIRD's
# orderly shutdown of its sessions is work for peers that go too, and 256 of them at once
# took most of a second), then any process still inside the lab's namespaces (SIGTERM),
# then the namespaces (their devices go with them), then the run dir. Tolerant of
# anything already gone; fails, naming them, when a namespace is still there afterwards
# (the run dir is then kept). Sets REMOVED_NS.
lab_down() {
  STOPPING=()
  local f pid
  if [ -d "$RUN" ]; then
    for f in "$RUN"/*.pid "$RUN"/bird/*.pid; do [ -e "$f" ] && stop_pid_file "$f" KILL; done
  fi
  for pid in $(ns_pids "${ALL_NS[@]}"); do
    [ "$pid" = "$$" ] && continue
    kill -TERM "$pid" 2>/dev/null && STOPPING+=("$pid")
  done
  [ "${#STOPPING[@]}" -eq 0 ] || wait_stopped 2
  REMOVED_NS=0
  local batch="" n
  for n in "${ALL_NS[@]}"; do
    if [ -e "$NETNS_DIR/$n" ]; then
      batch+="netns del $n"$'\n'
      REMOVED_NS=$((REMOVED_NS + 1))
    fi
  done
  # ip says "Cannot remove namespace file" for a name another teardown (a killed run's
  # leftover, a second down) removed a moment ago: the end state wanted. So what ip says
  # is shown only when a namespace is still there afterwards, and then down fails.
  local said="" left=()
  [ -z "$batch" ] || said=$(printf '%s' "$batch" | ip -force -batch - 2>&1 >/dev/null) || true
  for n in "${ALL_NS[@]}"; do [ ! -e "$NETNS_DIR/$n" ] || left+=("$n"); done
  if [ "${#left[@]}" -gt 0 ]; then
    echo "netns-lab: could not delete the namespaces ${left[*]} of lab $NETNS_LAB${said:+; ip said: $(printf '%s' "$said" | tr '\n' ' ')}" >&2
    return 1
  fi
  rm -rf -- "$RUN"
  if [ "$(basename -- "$(dirname -- "$RUN")")" = calico-ipip-lab ]; then rmdir -- "$(dirname -- "$RUN")" 2>/dev/null || true; fi
}
