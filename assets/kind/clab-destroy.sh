#!/usr/bin/env bash
# Destroys the containerlab lab and removes its files; a lab already gone is fine.
# Env: as clab-deploy.sh (the topology is written again, so a removed work folder does
#      not stop the destroy), LAB_NAME; KIND_BUILD_FILE, the cluster's record, which stays
#      (absent in stacks created before the cluster was recorded)
set -eu
. "$(dirname "$0")/lib.sh"
need LAB_NAME LAB_WORK_DIR CLAB_TOPOLOGY CLAB_TOPOLOGY_FILE GATEWAY_BOOT_CONFIG GATEWAY_BOOT_FILE

write_lab_files
if ! try containerlab destroy -t "$LAB_WORK_DIR/$CLAB_TOPOLOGY_FILE" --cleanup; then
  # Tolerated only when no container of the lab is left.
  destroy_failure=$(seen)
  left=$(output docker ps -a -q --filter "label=containerlab=$LAB_NAME")
  [ -z "$left" ] || die "\`containerlab destroy\` failed and containers of lab $LAB_NAME remain ($left): $destroy_failure"
  say "lab $LAB_NAME is already gone ($destroy_failure)"
else
  cat "$_lab_tmp/err" "$_lab_tmp/out" >&2
fi
# The cluster outlives a redeploy, so its record stays; kind-delete.sh removes it and the folder.
find "$LAB_WORK_DIR" -mindepth 1 -maxdepth 1 ! -name "${KIND_BUILD_FILE:-}" -exec rm -rf -- {} +
rmdir --ignore-fail-on-non-empty "$LAB_WORK_DIR"
