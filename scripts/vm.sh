#!/usr/bin/env bash
# Boot the built test kernel under QEMU (TCG) with virtme-ng and run one command inside.
#   scripts/vm.sh [--timeout S] [--topology root|switch] [--rw DIR]... -- CMD [ARGS...]
# The guest is q35 with an emulated intel-iommu (interrupt remapping on), QEMU's edu
# device and an ivshmem-plain device backed by 64 MiB.  The host root filesystem is the
# guest's (read-only, 9p); DIRs given with --rw are writable.  The whole run is bounded:
# a hung guest is killed.  The kernel console (and the command's output) goes to
# $VM_CONSOLE (default: stderr); the command's output alone is copied to $VM_OUTPUT if set.
# Exit: the command's exit code as written by the guest, or 124 (timeout), or 125 (the
# guest never reported, e.g. a panic).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

timeout_s=${VM_TIMEOUT:-900}
topology=${VM_TOPOLOGY:-root}
rw=()
while [ $# -gt 0 ]; do
	case "$1" in
	--timeout) timeout_s=$2; shift 2 ;;
	--topology) topology=$2; shift 2 ;;
	--rw) rw+=("--rwdir=$2"); shift 2 ;;
	--) shift; break ;;
	*) die "vm.sh: unknown option $1" ;;
	esac
done
[ $# -gt 0 ] || die "usage: vm.sh [options] -- CMD [ARGS...]"

kernel=${VM_KERNEL:-$KBUILD/arch/x86/boot/bzImage}
[ -f "$kernel" ] || die "no kernel at $kernel (run scripts/kernel.sh)"
command -v vng >/dev/null || die "virtme-ng (vng) missing: run scripts/deps.sh"

# the exit code travels back through a writable directory
st=$(mktemp -d "${TMPDIR:-/tmp}/phyr-vm.XXXXXX")
trap 'rm -rf "$st"' EXIT

devs="-device intel-iommu,intremap=on,caching-mode=on"
devs+=" -object memory-backend-ram,id=ivmem,size=64M"
case "$topology" in
root)
	devs+=" -device edu,dma_mask=0xffffffffffffffff -device ivshmem-plain,memdev=ivmem" ;;
switch)
	# edu and ivshmem behind one PCIe switch: P2P between them is allowed
	devs+=" -device pcie-root-port,id=rp1,bus=pcie.0,chassis=1"
	devs+=" -device x3130-upstream,id=up,bus=rp1"
	devs+=" -device xio3130-downstream,id=dn1,bus=up,chassis=2,slot=1"
	devs+=" -device xio3130-downstream,id=dn2,bus=up,chassis=3,slot=2"
	devs+=" -device edu,bus=dn1,dma_mask=0xffffffffffffffff"
	devs+=" -device ivshmem-plain,memdev=ivmem,bus=dn2" ;;
*) die "unknown topology $topology" ;;
esac

# the guest runs the command through a wrapper that records its exit code
cmd=$(printf '%q ' "$@")
guest="$TOP/scripts/guest-exec.sh $st $cmd"

set +e
timeout --foreground -k 15 "$timeout_s" \
	vng --run "$kernel" --disable-kvm --disable-microvm --force-9p --verbose \
	--memory 2G --cpus 2 --rwdir="$st" "${rw[@]}" \
	--qemu-opts="-nic none -vga none $devs" \
	--append "intel_iommu=on iommu.strict=1 panic=-1 log_buf_len=8M kmemleak=on ${VM_APPEND:-}" \
	--exec "$guest" </dev/null >"${VM_CONSOLE:-/dev/stderr}" 2>&1
rc=$?
set -e
if [ $rc = 124 ] || [ $rc = 137 ]; then
	echo "vm.sh: guest killed after ${timeout_s} s (hung)" >&2
	exit 124
fi
if [ ! -f "$st/rc" ]; then
	echo "vm.sh: the guest never reported an exit code (vng exit $rc: panic or boot failure?)" >&2
	exit 125
fi
[ -n "${VM_OUTPUT:-}" ] && cp "$st/out" "$VM_OUTPUT"
exit "$(cat "$st/rc")"
