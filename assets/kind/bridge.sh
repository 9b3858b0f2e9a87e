#!/usr/bin/env bash
# One segment's Linux bridge on the host. `up` creates it and brings it up (containerlab's
# `kind: bridge` nodes need it to exist); re-runnable: an existing bridge is kept. `down`
# deletes it; a bridge already gone is fine.
# Env: BRIDGE_NAME
set -eu
. "$(dirname "$0")/lib.sh"
need BRIDGE_NAME

case ${1-} in
  up)
    if try ip -d link show "$BRIDGE_NAME"; then
      [[ $(seen) == *" bridge "* ]] || die "$BRIDGE_NAME exists and is not a bridge: $(seen)"
      say "bridge $BRIDGE_NAME exists"
    else
      run ip link add "$BRIDGE_NAME" type bridge
    fi
    run ip link set "$BRIDGE_NAME" up
    ;;
  down)
    try ip link show "$BRIDGE_NAME" || { say "bridge $BRIDGE_NAME is already gone"; exit 0; }
    run ip link set "$BRIDGE_NAME" down
    run ip link del "$BRIDGE_NAME"
    ;;
  *) die "usage: bridge.sh up | down" ;;
esac
