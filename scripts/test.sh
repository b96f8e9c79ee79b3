#!/usr/bin/env bash
# The one test command: install what is missing, build our kernel and userspace, boot the
# kernel under QEMU with the test devices and run every layer inside (KUnit, meson test,
# IGT, dmesg gate), then judge the results against scripts/expected/.  Prints a line
# per layer and a final "N passed, N failed" line.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

start_run test
res=$RUN
step "style: checkpatch --strict and kernel-doc on our kernel files"
bash "$TOP/scripts/lint.sh" "$res/lint.txt" || fail "lint"
echo root >"$res/boot"
step "the gate's own tests: deliberately broken runs must fail it (2-4 min; scripts/tests/gate-selftest.sh)"
gsrc=0
bash "$TOP/scripts/tests/gate-selftest.sh" "$res" || gsrc=$?
echo $gsrc >"$res/gate-selftest.rc"
step "booting the test kernel under QEMU/TCG and running the tests (~30 min; console: $res/console.txt)"
# the root boot also runs upstream's iommufd selftests (150-600 s under TCG) and rdma-core's
# dma-buf tests in both placements (~10 min): its bound leaves room for a loaded host
vmrc=0
boot "$res" --timeout "${TEST_TIMEOUT:-3600}" --rw "$res" --rw "$UBUILD" -- \
	bash "$TOP/scripts/guest-test.sh" "$res" "$UBUILD" || vmrc=$?

# a second boot with edu and ivshmem behind one PCIe switch, where P2P between them is
# allowed: the KUnit suites run again there (the P2P cases expect a bus address), and
# with the IOMMU in passthrough, so that edu's real DMA also runs without translation
# (an identity domain: dma-direct behind the IOMMU)
mkdir -p "$res/switch"
echo switch >"$res/switch/boot"
step "booting again with edu and ivshmem behind a PCIe switch, IOMMU passthrough (~1 min)"
# Two e1000e NICs too: with -cpu max (no Zen) no ivshmem BAR is reachable from the
# NIC on the root bus, and devmem TX must refuse device memory (docs/devmem.md)
swrc=0
VM_APPEND="iommu.passthrough=1 ${VM_APPEND:-}" VM_NICS=1 \
	boot "$res/switch" --timeout "${TEST_TIMEOUT:-1500}" --topology switch \
	--rw "$res/switch" -- \
	bash "$TOP/scripts/guest-devmem.sh" "$res/switch" "$UBUILD" unreachable || swrc=$?

# a third boot with the devices of the first on q35's root bus and an AMD Zen CPU model,
# for which 7.3 whitelists the host bridge for P2P: P2P from ivshmem to edu goes through
# the host bridge, mapped by the IOMMU with edu in a translating domain; the KUnit suites
# run again there (the P2P cases move bytes through an IOVA that maps the BAR)
mkdir -p "$res/hostbridge"
echo hostbridge >"$res/hostbridge/boot"
step "booting again with P2P through the host bridge, edu behind the IOMMU, devmem TCP through e1000e (~12 min)"
# and the NIC part of the mission: two e1000e NICs, devmem TCP sending phyr_vgem
# buffers (ivshmem's BAR through the host bridge, system memory), migrated and
# unplugged while they are sent, checked byte by byte at the other NIC (docs/devmem.md)
hbrc=0
VM_NICS=1 boot "$res/hostbridge" --timeout "${TEST_TIMEOUT:-2400}" --topology hostbridge \
	--rw "$res/hostbridge" -- \
	bash "$TOP/scripts/guest-devmem.sh" "$res/hostbridge" "$UBUILD" \
	device system udmabuf migrate ncdevmem ncdevmem-device onebyte submss tso bar \
	badsend othernetdev badfd badifindex unpriv edufill unplug unbind || hbrc=$?
rc=0
judge || rc=$?
end_run root=$vmrc switch=$swrc hostbridge=$hbrc $rc
