#!/usr/bin/env bash
# Preflight: every tool the kind backend needs is installed and answers. Names every
# problem at once and exits non-zero if there is any.
# Env: PREFLIGHT_PROBES  one probe per line, fields separated by \x1f: tool, probe command
#                        (space-separated words), text when missing, text when the probe
#                        fails, reject pattern (ERE on the probe's output), reject text
#                        (components/kind/tools.ts)
set -eu
. "$(dirname "$0")/lib.sh"
need PREFLIGHT_PROBES

problems=()
found=()
while IFS=$'\x1f' read -r tool probe missing failing reject_pattern reject_text; do
  read -r -a argv <<<"$probe"
  if ! command -v "$tool" >/dev/null 2>&1; then
    problems+=("$missing")
  elif ! try "${argv[@]}" </dev/null; then
    problems+=("$failing: \`$_lab_last\` said: $(seen)")
  elif [ -n "$reject_pattern" ] && [[ $(seen) =~ $reject_pattern ]]; then
    problems+=("$reject_text")
  else
    found+=("$tool")
  fi
done <<<"$PREFLIGHT_PROBES"

[ ${#problems[@]} -eq 0 ] || die "the kind backend cannot run on this host:$(printf '\n  - %s' "${problems[@]}")"
say "found ${found[*]}"
