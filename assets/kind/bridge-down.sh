#!/usr/bin/env bash
# The delete a stack whose state predates bridge.sh still runs: the same as `bridge.sh down`.
exec bash "$(dirname "$0")/bridge.sh" down
