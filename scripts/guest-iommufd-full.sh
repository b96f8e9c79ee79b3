#!/bin/bash
# Runs inside the guest for scripts/test-iommufd.sh: the whole of upstream's iommufd
# selftests (layer iommufd-selftests-full), then the kmemleak scan and the kernel log.
#   guest-iommufd-full.sh RESULTS_DIR USERSPACE_BUILD_DIR
. "$(dirname "$0")/guest-lib.sh"
PHYR_IOMMUFD_SELFTESTS=full bash "$(dirname "$0")/guest-iommufd.sh" "$1" "$2"
finish "$1"
