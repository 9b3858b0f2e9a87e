#!/usr/bin/env bash
# Prints Calico's manifest, downloaded from calico.manifest's http(s) URL (a path, the
# program reads itself). Runs at deploy time only (a Command's create never runs in preview).
# Env: CALICO_MANIFEST  the URL; DOWNLOAD_SECONDS  curl's time limit
set -eu
. "$(dirname "$0")/lib.sh"
need CALICO_MANIFEST DOWNLOAD_SECONDS

try curl -fsSL --retry 2 --max-time "$DOWNLOAD_SECONDS" "$CALICO_MANIFEST" || failed "calico.manifest: cannot download $CALICO_MANIFEST"
cat "$_lab_tmp/out"
