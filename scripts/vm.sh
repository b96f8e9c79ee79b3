#!/usr/bin/env bash
# Boot the built test kernel under QEMU (TCG) and run one command inside.
#   scripts/vm.sh [--timeout S] [--topology root|switch|hostbridge] [--rw DIR]... -- CMD [ARGS...]
# The guest is q35 with 3 GiB (RAM above 4 GiB, so that x86 sets up a swiotlb pool, as
# on real machines: the bounce tests need it), an emulated intel-iommu (interrupt
# remapping on), QEMU's edu device and two ivshmem-plain devices backed by 64 MiB each (phyr_vgem's device memory,
# two devices for its private interconnect).  The host root filesystem is the
# guest's (read-only, 9p); DIRs given with --rw are writable.  The whole run is bounded:
# a hung guest is killed.  The kernel console (and the command's output) goes to
# $VM_CONSOLE (default: stderr); the command's output alone is copied to $VM_OUTPUT if set.
# The kernel is $VM_KERNEL (prepare_all in lib.sh sets it to the run's own copy), by
# default the last one built.  The kernel command line says which topology booted
# (phyr.topology=root|switch|hostbridge), so that tests can assert what that topology
# must give.  The CPU model is the topology's (-cpu max; hostbridge: an AMD Zen model,
# see below); $VM_CPU overrides it, for experiments only: the tests' expectations
# assume the topology's own model.
# Exit: the command's exit code as written by the guest, or 124 (timeout), or 125 (the
# guest never reported, e.g. a panic).  Ctrl-C or TERM stops QEMU at once.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

timeout_s=${VM_TIMEOUT:-900}
topology=${VM_TOPOLOGY:-root}
rw=()
while [ $# -gt 0 ]; do
	case "$1" in
	--timeout) timeout_s=$2; shift 2 ;;
	--topology) topology=$2; shift 2 ;;
	--rw) rw+=("$2"); shift 2 ;;
	--) shift; break ;;
	*) fail "unknown option $1" ;;
	esac
done
[ $# -gt 0 ] || fail "usage: vm.sh [options] -- CMD [ARGS...]"

kernel=${VM_KERNEL:-$KBUILD/arch/x86/boot/bzImage}
[ -f "$kernel" ] || fail "no kernel at $kernel (run scripts/kernel.sh)"
command -v qemu-system-x86_64 >/dev/null || fail "QEMU missing: run scripts/deps.sh"

# the exit code travels back through a writable directory
# (exported to the guest as a 9p share, like every --rw directory)
mkdir -p "$CACHE/vm"
st=$(mktemp -d "$CACHE/vm/run.XXXXXX")
trap 'rm -rf "$st"' EXIT

cpu=max
devs="-device intel-iommu,intremap=on,caching-mode=on"
devs+=" -object memory-backend-ram,id=ivmem,size=64M"
devs+=" -object memory-backend-ram,id=ivmem2,size=64M"
case "$topology" in
root)
	devs+=" -device edu,dma_mask=0xffffffffffffffff -device ivshmem-plain,memdev=ivmem"
	devs+=" -device ivshmem-plain,memdev=ivmem2" ;;
switch)
	# edu and the first ivshmem behind one PCIe switch: P2P between them is
	# allowed; the second ivshmem on the root bus, where edu cannot reach it
	devs+=" -device pcie-root-port,id=rp1,bus=pcie.0,chassis=1"
	devs+=" -device x3130-upstream,id=up,bus=rp1"
	devs+=" -device xio3130-downstream,id=dn1,bus=up,chassis=2,slot=1"
	devs+=" -device xio3130-downstream,id=dn2,bus=up,chassis=3,slot=2"
	devs+=" -device edu,bus=dn1,dma_mask=0xffffffffffffffff"
	devs+=" -device ivshmem-plain,memdev=ivmem,bus=dn2"
	devs+=" -device ivshmem-plain,memdev=ivmem2" ;;
hostbridge)
	# the devices of root, with a CPU that makes 7.3 whitelist q35's host bridge
	# for P2P (cpu_supports_p2pdma(): AMD, family 0x17 or later): P2P from either
	# ivshmem to edu goes through the host bridge, mapped by the IOMMU
	# (PCI_P2PDMA_MAP_THRU_HOST_BRIDGE), with edu in a translating domain
	cpu=max,family=23,vendor=AuthenticAMD
	devs+=" -device edu,dma_mask=0xffffffffffffffff -device ivshmem-plain,memdev=ivmem"
	devs+=" -device ivshmem-plain,memdev=ivmem2" ;;
*) fail "unknown topology $topology" ;;
esac
# VM_NICS=1: two e1000e NICs (82574L, PCIe) wired to each other through a QEMU hub, for
# devmem TCP (docs/devmem.md); added last, so that every other device keeps its address
if [ "${VM_NICS:-0}" = 1 ]; then
	devs+=" -netdev hubport,id=nic0,hubid=0 -device e1000e,netdev=nic0"
	devs+=" -netdev hubport,id=nic1,hubid=0 -device e1000e,netdev=nic1"
fi

# writable 9p exports, mounted by the guest's init at the same paths
rwdev="-fsdev local,id=st,path=$st,security_model=none"
rwdev+=" -device virtio-9p-pci,fsdev=st,mount_tag=st"
rwarg="st:$st"
i=0
for d in "${rw[@]}"; do
	[ -d "$d" ] || fail "no directory $d"
	d=$(cd "$d" && pwd)
	rwdev+=" -fsdev local,id=rw$i,path=$d,security_model=none"
	rwdev+=" -device virtio-9p-pci,fsdev=rw$i,mount_tag=rw$i"
	rwarg+=",rw$i:$d"
	i=$((i + 1))
done
# the checkout itself, read-only, mounted back at its path: it may live under /tmp,
# which the guest covers with its own tmpfs
rwdev+=" -fsdev local,id=top,path=$TOP,security_model=none,readonly=on"
rwdev+=" -device virtio-9p-pci,fsdev=top,mount_tag=top"
# the command, as a script in the state directory (the first writable export)
printf '%q ' "$@" >"$st/cmd"

# Plain QEMU, not virtme-ng: vng's guest init (a bash script, Debian ships no
# virtme-ng-init) takes minutes under TCG with KASAN; ours runs the command at once.
append="console=ttyS0 root=/dev/root rootfstype=9p"
append+=" rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose ro"
append+=" init=$TOP/scripts/guest-init.sh intel_iommu=on iommu.strict=1 panic=-1"
# 4-level paging: -cpu max has LA57, and 7.3's identify_cpu() clears the boot CPU's
# capability bits for a moment with interrupts on; an interrupt in that window sees
# pgtable_l5_enabled() false, and KASAN reports a wild access to the (5-level) direct
# map in do_raw_spin_lock() under handle_edge_irq() (2 of ~15 boots, 2026-12-02)
append+=" no5lvl"
# Under TCG on a loaded host the IO-APIC timer check can miss its ticks and panic
# ("timer doesn't work through Interrupt-remapped IO-APIC": 3 boots at load ~20,
# 2026-12-06); the timer works, the check's timing does not hold under TCG
append+=" no_timer_check"
# The KUnit suites run at every boot; the very slow cases (upstream's exhaustive
# generic page table tests: minutes each under TCG) only where VM_KUNIT_FILTER says
# so (scripts/test-iommupt.sh: VM_KUNIT_FILTER= runs every case)
append+=" log_buf_len=8M kmemleak=on"
append+="${VM_KUNIT_FILTER-" kunit.filter=speed>very_slow"} ${VM_APPEND:-}"
append+=" phyr.rw=$rwarg phyr.ro=top:$TOP phyr.topology=$topology"

set +e
# --foreground: QEMU stays in our process group, so that Ctrl-C reaches it too
# shellcheck disable=SC2086
timeout --foreground -k 15 "$timeout_s" qemu-system-x86_64 -machine q35,accel=tcg -cpu "${VM_CPU:-$cpu}" \
	-m "${VM_MEMORY:-3G}" -smp 2 -nographic -no-reboot -nic none -vga none \
	-kernel "$kernel" -append "$append" \
	-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root \
	$rwdev $devs </dev/null >"${VM_CONSOLE:-/dev/stderr}" 2>&1
rc=$?
set -e
if [ $rc -gt 128 ] && [ $rc != 137 ]; then
	echo "vm.sh: QEMU ended by signal $((rc - 128))" >&2
	exit $rc
fi
if [ $rc = 124 ] || [ $rc = 137 ]; then
	echo "vm.sh: guest killed after ${timeout_s} s (hung)" >&2
	exit 124
fi
if [ ! -f "$st/rc" ]; then
	echo "vm.sh: the guest never reported an exit code (qemu exit $rc: panic or boot failure?)" >&2
	exit 125
fi
[ -n "${VM_OUTPUT:-}" ] && cp "$st/out" "$VM_OUTPUT"
exit "$(cat "$st/rc")"
