#!/usr/bin/env bash
# Deletes one capture's pcap on destroy; its folder goes too once it is empty.
# Tolerant of a pcap that is already gone.
set -eu
: "${CAPTURE_PCAP:?CAPTURE_PCAP must name the pcap to remove}"
rm -f -- "$CAPTURE_PCAP"
rmdir -- "$(dirname -- "$CAPTURE_PCAP")" 2>/dev/null || true
