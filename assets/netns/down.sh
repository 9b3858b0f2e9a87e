#!/usr/bin/env bash
# Removes a netns lab, as lib.sh's lab_down says, touching nothing that is not this lab's;
# tolerant of anything already gone, so it can run twice (or two at once) without a word.
# Input: the environment of up.sh (lib.sh). Last stdout line is JSON
#   {"lab", "removedNamespaces", "seconds"}
set -eu
. "$(dirname "$0")/lib.sh"
START=$(now_us)
# Before anything is removed, so a destroy without it fails whole and can simply run again.
command -v jq >/dev/null || die "jq is not installed (it writes the scripts' results): apt-get install jq"
load_namespaces
lab_down
echo "netns-lab: $NETNS_LAB down: $REMOVED_NS namespaces removed, $(elapsed "$START") s" >&2
jq -cn --arg lab "$NETNS_LAB" --argjson removedNamespaces "$REMOVED_NS" --argjson seconds "$(elapsed "$START")" '{$lab, $removedNamespaces, $seconds}'
