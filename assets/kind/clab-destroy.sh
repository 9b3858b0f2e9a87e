#!/usr/bin/env bash
# The delete a stack whose state predates clab.sh still runs: the same as `clab.sh down`.
exec bash "$(dirname "$0")/clab.sh" down
