#!/usr/bin/env bash
# The main job: build our kernel and userspace, boot the kernel under QEMU with the test
# devices, and run the demo inside (scripts/guest-demo.sh), which checks what it shows
# and fails if anything is not as it must be.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

fail() { echo "demo: FAILED: $*"; exit 1; }

new_run demo
prepare_all
res=$RUN
step "booting the phyr kernel under QEMU/TCG and running the demo inside (~5-10 min under TCG)"
set +e
# two e1000e NICs wired to each other (VM_NICS=1), and the hostbridge topology: the
# root topology's devices with an AMD CPU model, for which 7.3 lets a NIC reach
# ivshmem's BAR through q35's host bridge, mapped by the IOMMU (docs/devmem.md); the
# KUnit suites are the test command's, not the demo's
VM_KUNIT_FILTER=" kunit.enable=0" VM_CONSOLE=$res/console.txt VM_OUTPUT=$res/demo.txt VM_NICS=1 \
	bash "$TOP/scripts/vm.sh" \
	--timeout "${DEMO_TIMEOUT:-1200}" --topology hostbridge --rw "$res" -- \
	bash "$TOP/scripts/guest-demo.sh" "$UBUILD" "$res" "$@"
rc=$?
set -e
if [ -f "$res/demo.txt" ]; then
	sed 's/^/  guest| /' "$res/demo.txt"
else
	tail -n 30 "$res/console.txt"
fi
[ $rc = 0 ] || fail "the demo exited $rc (guest console: $res/console.txt)"
echo "demo: OK (guest console: $res/console.txt)"
