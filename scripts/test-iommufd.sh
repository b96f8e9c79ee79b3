#!/usr/bin/env bash
# The full run of upstream's iommufd selftests against our kernel: every test of
# iommufd and iommufd_fail_nth (the test command runs a subset, ~4 min; this takes
# ~13 min under TCG: 417 s + 165 s in the guest, measured 2026-12-02).  Builds like test.sh, boots the test kernel once and judges
# the layer iommufd-selftests-full and the boot's dmesg gate.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

start_run iommufd-full
res=$RUN
echo root >"$res/boot"
step "booting the test kernel and running the whole iommufd selftests (console: $res/console.txt)"
# without the KUnit suites: they are the test command's (and their declared IOMMU
# fault, kunit.txt's, is not this command's to judge)
vmrc=0
VM_KUNIT_FILTER=" kunit.enable=0" boot "$res" --timeout "${TEST_TIMEOUT:-5400}" --rw "$res" --rw "$UBUILD" -- \
	bash "$TOP/scripts/guest-iommufd-full.sh" "$res" "$UBUILD" || vmrc=$?
rc=0
judge iommufd-selftests-full || rc=$?
cat "$res/iommufd-selftests.time" 2>/dev/null || true
end_run root=$vmrc $rc
