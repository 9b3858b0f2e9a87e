# shellcheck shell=bash
# Helpers shared by the kind backend's scripts (sourced, never run). Every script takes
# its values from environment variables set by components/kind/steps.ts, quotes them,
# and on failure says what ran and what it printed.

# The step's name in messages: the script's, and its action (`up`, `down`) if it takes one.
LAB_STEP=$(basename "$0" .sh)${1:+ $1}
_lab_tmp=$(mktemp -d "${TMPDIR:-/tmp}/calico-ipip-lab.XXXXXX")
_lab_last=""
_lab_rc=0

_lab_exit() {
  local rc=$?
  if declare -F on_exit >/dev/null; then on_exit || true; fi
  rm -rf "$_lab_tmp"
  exit "$rc"
}
trap _lab_exit EXIT

# say TEXT: a log line on stderr, prefixed with the step's name.
say() { printf '%s: %s\n' "$LAB_STEP" "$*" >&2; }

# die TEXT: say TEXT and stop the script.
die() { say "$*"; exit 1; }

# need VAR...: stop, naming every one of them that is not set.
need() {
  local v missing=()
  for v in "$@"; do [ -n "${!v+x}" ] || missing+=("$v"); done
  [ ${#missing[@]} -eq 0 ] || die "missing environment variables: ${missing[*]} (components/kind/steps.ts sets them)"
}

# words ARG...: a command line as readable text (for messages, never evaluated).
words() {
  local w out=()
  for w in "$@"; do
    case $w in
      "" | *[[:space:]\'\"\\\$\`\;\&\|\<\>\(\)\*\?]*) out+=("${w@Q}") ;;
      *) out+=("$w") ;;
    esac
  done
  printf '%s' "${out[*]}"
}

# seen: what the last `try` printed (stderr, then stdout), or "(no output)".
seen() {
  local t
  t=$(cat "$_lab_tmp/err" "$_lab_tmp/out" 2>/dev/null || true)
  printf '%s' "${t:-(no output)}"
}

# try CMD...: run CMD and return its status; its output is kept for `seen` and `failed`.
try() {
  _lab_last=$(words "$@")
  _lab_rc=0
  "$@" >"$_lab_tmp/out" 2>"$_lab_tmp/err" || _lab_rc=$?
  return "$_lab_rc"
}

# failed [WHY]: stop after a `try`, saying what ran, its exit status and what it printed.
failed() {
  die "${1:+$1: }\`$_lab_last\` failed (exit $_lab_rc): $(seen)"
}

# output CMD...: run CMD and print its stdout (its stderr goes to the log); stop if it fails.
output() {
  try "$@" || failed
  cat "$_lab_tmp/err" >&2
  cat "$_lab_tmp/out"
}

# run CMD...: like output, but CMD's stdout is logged too: stdout stays for results.
run() { output "$@" >&2; }

# until_ok SECONDS WHAT CMD...: retry CMD every LAB_POLL_SECONDS until it succeeds; after
# SECONDS stop, saying what was awaited and what CMD printed last.
until_ok() {
  local limit=$1 what=$2 start=$SECONDS
  shift 2
  until try "$@"; do
    if [ $((SECONDS - start)) -ge "$limit" ]; then failed "$what: not reached within ${limit}s"; fi
    sleep "$LAB_POLL_SECONDS"
  done
}

# use_kubeconfig: kubectl talks to the lab's cluster through LAB_KUBECONFIG (the text kind
# printed), written to a private file that is removed on exit.
use_kubeconfig() {
  need LAB_KUBECONFIG
  (umask 077 && printf '%s\n' "$LAB_KUBECONFIG" >"$_lab_tmp/kubeconfig")
  export KUBECONFIG="$_lab_tmp/kubeconfig"
}

# node_lines NODE: stdin's non-blank lines, trimmed, as the JSON object {"NODE": [line, ...]}.
node_lines() { jq -Rnc --arg node "$1" '{($node): [inputs | gsub("^\\s+|\\s+$"; "") | select(. != "")]}'; }

# check_work_dir: LAB_WORK_DIR is an absolute folder of its own (`clab.sh down` empties it).
check_work_dir() { [[ $LAB_WORK_DIR == /*/* ]] || die "LAB_WORK_DIR must be an absolute folder below another, not '$LAB_WORK_DIR'"; }

# record_build ID FILE: the identity the program gave this step, into LAB_WORK_DIR/FILE,
# where the program reads it back to tell a whole lab from a lost one (labPresence.ts).
record_build() {
  check_work_dir
  mkdir -p "$LAB_WORK_DIR"
  printf '%s\n' "$1" >"$LAB_WORK_DIR/$2"
}
