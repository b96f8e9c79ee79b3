#!/usr/bin/env bash
# The main job: build our kernel and userspace, boot the kernel under QEMU with the test
# devices, and run the demo inside (scripts/guest-demo.sh), which checks what it shows
# and fails if anything is not as it must be.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

start_run demo
res=$RUN
step "booting the phyr kernel under QEMU/TCG and running the demo inside (~5-10 min under TCG)"
# two e1000e NICs wired to each other (VM_NICS=1), and the hostbridge topology: the
# root topology's devices with an AMD CPU model, for which 7.3 lets a NIC reach
# ivshmem's BAR through q35's host bridge, mapped by the IOMMU (docs/devmem.md); the
# KUnit suites are the test command's, not the demo's
rc=0
VM_KUNIT_FILTER=" kunit.enable=0" VM_OUTPUT=$res/demo.txt VM_NICS=1 \
	boot "$res" --timeout "${DEMO_TIMEOUT:-1200}" --topology hostbridge --rw "$res" -- \
	bash "$TOP/scripts/guest-demo.sh" "$UBUILD" "$res" "$@" || rc=$?
[ -f "$res/demo.txt" ] && sed 's/^/  guest| /' "$res/demo.txt"
[ $rc = 0 ] || fail "the demo did not pass ($(guest_rc $rc); guest console: $res/console.txt)"
echo "demo: OK (guest console: $res/console.txt)"
