#!/usr/bin/env bash
# The full run of upstream's generic page table KUnit suites (drivers/iommu/generic_pt,
# with our list-map cases): every case of every format, the very slow ones included.
# The test command runs every case but test_map_table_to_oa and test_random_map
# (marked very slow: minutes each under TCG with KASAN); this boots the test kernel
# once with no KUnit filter but the suites' names and judges the layer
# kunit-iommupt-full and the boot's dmesg gate.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

start_run iommupt-full --no-userspace
res=$RUN
echo root >"$res/boot"
# built-in KUnit runs in kernel_init: a very slow case (minutes under TCG) keeps PID 1
# waiting past the hung-task detector's 120 s (sysctl arguments apply only after KUnit)
printf '%s\t%s\n' "INFO: task swapper/0:1 blocked for more than [0-9]+ seconds" \
	"kunit-iommupt-full: kernel_init waits for a very slow KUnit case" \
	>"$res/expected-reports.txt"
step "booting the test kernel for every generic page table KUnit case (console: $res/console.txt)"
# the generic_pt suites are the only ones named *_test
vmrc=0
VM_KUNIT_FILTER='' VM_APPEND="kunit.filter_glob=*_test ${VM_APPEND:-}" \
	boot "$res" --timeout "${TEST_TIMEOUT:-5400}" --rw "$res" -- \
	bash "$TOP/scripts/guest-finish.sh" "$res" || vmrc=$?
rc=0
judge kunit-iommupt-full || rc=$?
end_run root=$vmrc $rc
