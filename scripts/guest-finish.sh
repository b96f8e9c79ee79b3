#!/bin/bash
# Runs inside the guest: the end of a boot that only runs the KUnit suites (they ran
# at boot): the kmemleak report and the kernel log, into $1.
. "$(dirname "$0")/guest-lib.sh"
finish "$1"
