#!/usr/bin/env bash
# Deletes one segment's bridge; a bridge already gone is fine.
# Env: BRIDGE_NAME
set -eu
. "$(dirname "$0")/lib.sh"
need BRIDGE_NAME

if ! try ip link show "$BRIDGE_NAME"; then
  say "bridge $BRIDGE_NAME is already gone"
  exit 0
fi
run ip link set "$BRIDGE_NAME" down
run ip link del "$BRIDGE_NAME"
