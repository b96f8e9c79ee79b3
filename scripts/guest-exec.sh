#!/bin/bash
# Runs inside the guest (scripts/vm.sh): the command given, its output copied to $1/out
# and its exit code written to $1/rc.
st=$1
shift
"$@" 2>&1 | tee "$st/out"
echo "${PIPESTATUS[0]}" >"$st/rc"
sync
