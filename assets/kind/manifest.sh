#!/usr/bin/env bash
# Prints Calico's manifest: downloaded when calico.manifest is an http(s) URL, read from
# disk otherwise. Runs at deploy time only (a Command's create never runs in preview).
# Env: CALICO_MANIFEST  URL or path; DOWNLOAD_SECONDS  curl's time limit
set -eu
. "$(dirname "$0")/lib.sh"
need CALICO_MANIFEST DOWNLOAD_SECONDS

case $CALICO_MANIFEST in
  http://* | https://*)
    try curl -fsSL --retry 2 --max-time "$DOWNLOAD_SECONDS" "$CALICO_MANIFEST" || failed "calico.manifest: cannot download $CALICO_MANIFEST"
    cat "$_lab_tmp/out"
    ;;
  *)
    [ -f "$CALICO_MANIFEST" ] && [ -r "$CALICO_MANIFEST" ] || die "calico.manifest: cannot read $CALICO_MANIFEST: no such readable file"
    cat "$CALICO_MANIFEST"
    ;;
esac
