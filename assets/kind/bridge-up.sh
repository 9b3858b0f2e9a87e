#!/usr/bin/env bash
# Creates one segment's Linux bridge on the host and brings it up (containerlab's
# `kind: bridge` nodes need it to exist). Re-runnable: an existing bridge is kept.
# Env: BRIDGE_NAME
set -eu
. "$(dirname "$0")/lib.sh"
need BRIDGE_NAME

if try ip -d link show "$BRIDGE_NAME"; then
  [[ $(seen) == *" bridge "* ]] || die "$BRIDGE_NAME exists and is not a bridge: $(seen)"
  say "bridge $BRIDGE_NAME exists"
else
  run ip link add "$BRIDGE_NAME" type bridge
fi
run ip link set "$BRIDGE_NAME" up
