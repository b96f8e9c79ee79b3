#!/usr/bin/env bash
# The main job: build our kernel and userspace, boot the kernel under QEMU with the test
# devices, and run the demo inside (scripts/guest-demo.sh): phyr-demo (a phyr_vgem buffer
# created, written, exported as a dma-buf, imported back and read), then phyrbuf
# allocating in device memory (the ivshmem BAR) and printing the negotiated flavours.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

fail() { echo "demo: FAILED: $*"; exit 1; }

bash "$TOP/scripts/deps.sh" || fail "installing packages"
bash "$TOP/scripts/kernel.sh" all || fail "kernel build"
bash "$TOP/scripts/userspace.sh" || fail "userspace build"

res=$CACHE/results/demo-$(date +%Y%m%d-%H%M%S)
mkdir -p "$res"
step "booting the phyr kernel under QEMU/TCG (~1 min) and running the demo inside"
set +e
VM_CONSOLE=$res/console.txt VM_OUTPUT=$res/demo.txt bash "$TOP/scripts/vm.sh" \
	--timeout "${DEMO_TIMEOUT:-600}" -- bash "$TOP/scripts/guest-demo.sh" "$UBUILD" "$@"
rc=$?
set -e
if [ -f "$res/demo.txt" ]; then
	sed 's/^/  guest| /' "$res/demo.txt"
else
	tail -n 30 "$res/console.txt"
fi
[ $rc = 0 ] || fail "the demo exited $rc (guest console: $res/console.txt)"
echo "demo: OK (guest console: $res/console.txt)"
