#!/usr/bin/env bash
# The delete a stack whose state predates kind.sh still runs: the same as `kind.sh down`.
exec bash "$(dirname "$0")/kind.sh" down
