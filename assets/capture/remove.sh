#!/usr/bin/env bash
# Deletes one capture's pcap on destroy, then the folders the lab made for it as far as
# they hold nothing else (folder.sh; the program names them). Tolerant of anything already
# gone, so it can run again after a failure.
set -eu
: "${CAPTURE_PCAP:?CAPTURE_PCAP must name the pcap to remove}"
. "$(dirname -- "$0")/folder.sh"
rm -f -- "$CAPTURE_PCAP"
capture_folder_release "$(dirname -- "$CAPTURE_PCAP")" || exit 1
