#!/usr/bin/env bash
# Deletes one capture's pcap on destroy. Its folder goes too once nothing else is in it,
# with the folders above it the lab made for it, but only a folder the lab made (its
# marker, folder.sh): a folder the user already had, or holding the user's files, stays.
# Tolerant of anything already gone, so it can run again after a failure.
set -eu
: "${CAPTURE_PCAP:?CAPTURE_PCAP must name the pcap to remove}"
. "$(dirname -- "$0")/folder.sh"
rm -f -- "$CAPTURE_PCAP"
capture_folder_release "$(dirname -- "$CAPTURE_PCAP")" || exit 1
