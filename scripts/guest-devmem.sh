#!/bin/bash
# Inside the guest (booted with VM_NICS=1): devmem TCP TX through a real NIC's DMA.
# The two e1000e NICs are wired to each other by a QEMU hub: the first stays here
# (10.99.0.1), the second goes into the network namespace devmem-peer (10.99.0.2).
# Then phyr-devmem-test binds dma-bufs for TX on the first NIC (netdev netlink
# bind-tx), sends them over TCP (SCM_DEVMEM_DMABUF, MSG_ZEROCOPY) and checks every
# byte at a plain socket in devmem-peer.
#   guest-devmem.sh OUTDIR USERSPACE_BUILD_DIR [CASE...]
# Cases (default: all): device, system, udmabuf, unreachable, migrate, ncdevmem; for
# comparison, copy and zerocopy (the same bytes from anonymous memory, no devmem); last,
# as they change the devices: unplug (the ivshmem device is removed while its memory is
# being sent, then rescanned) and unbind (the NIC's driver unbinds under a binding).
# Each case writes "PASS|FAIL|SKIP devmem-CASE [why]" to OUTDIR/results-devmem.txt,
# its exit code to OUTDIR/devmem.CASE.rc and its output to OUTDIR/devmem-CASE.log;
# the kernel log ends up in OUTDIR/dmesg.txt.
set -u
. "$(dirname "$0")/guest-lib.sh"
out=${1:?usage: guest-devmem.sh OUTDIR USERSPACE_BUILD_DIR [CASE...]}
ubuild=${2:?usage: guest-devmem.sh OUTDIR USERSPACE_BUILD_DIR [CASE...]}
shift 2
cases=${*:-device system udmabuf unreachable migrate ncdevmem copy zerocopy unplug unbind}
top=$(cd "$(dirname "$0")/.." && pwd)
test=$ubuild/userspace/devmem/phyr-devmem-test
res=$out/results-devmem.txt
: >"$res"

# the e1000e NICs, in PCI order
nics=()
for n in /sys/class/net/*; do
	[ "$(basename "$(readlink -f "$n/device/driver" 2>/dev/null)")" = e1000e ] &&
		nics+=("${n##*/}")
done
if [ ${#nics[@]} -lt 2 ]; then
	echo "FAIL devmem-setup fewer than two e1000e NICs (boot with VM_NICS=1)" >>"$res"
	finish "$out"
	exit 1
fi
tx=${nics[0]} rx=${nics[1]}
ip netns add devmem-peer &&
ip link set "$rx" netns devmem-peer &&
ip addr add 10.99.0.1/24 dev "$tx" && ip link set "$tx" up && ip link set lo up &&
ip -n devmem-peer addr add 10.99.0.2/24 dev "$rx" &&
ip -n devmem-peer link set "$rx" up && ip -n devmem-peer link set lo up || exit 1
# the link comes up asynchronously (e1000e's watchdog): wait for the carrier, 20 s at most
for _ in $(seq 200); do
	[ "$(cat "/sys/class/net/$tx/carrier" 2>/dev/null)" = 1 ] && break
	sleep 0.1
done
pci=$(basename "$(readlink -f "/sys/class/net/$tx/device")")
{
	echo "tx=$tx ($pci) rx=$rx (netns devmem-peer)"
	echo "carrier=$(cat "/sys/class/net/$tx/carrier" 2>/dev/null)"
	echo "cpu_vendor=$(grep -m1 vendor_id /proc/cpuinfo)"
	echo "iommu_group_type=$(cat "/sys/class/net/$tx/device/iommu_group/type" 2>/dev/null)"
	ip addr show dev "$tx"
} >"$out/devmem-setup.log" 2>&1

# run NAME CMD...: one case
# (a DMAR fault while it ran fails it: the NIC read where it should not; so does a
# kernel report)
splats='DMAR: \[DMA|BUG:|WARNING:|KASAN|UBSAN|circular locking|Oops'
run() {
	local name=$1 rc faults before
	shift
	before=$(dmesg | grep -cE "$splats")
	"$@" >"$out/devmem-$name.log" 2>&1
	rc=$?
	echo $rc >"$out/devmem.$name.rc"
	faults=$(( $(dmesg | grep -cE "$splats") - before ))
	echo "kernel_reports=$faults" >>"$out/devmem-$name.log"
	if [ $rc = 0 ] && [ "$faults" = 0 ]; then echo "PASS devmem-$name" >>"$res"
	else echo "FAIL devmem-$name (exit $rc, $faults DMAR faults or kernel reports)" >>"$res"; fi
}

common=(--ifname "$tx" --peer-netns devmem-peer --peer-addr 10.99.0.2)
for c in $cases; do
	case $c in
	device)
		# 8 MiB of ivshmem's BAR (phyr_vgem device memory): reachable from the
		# NIC only where the host bridge is whitelisted for P2P
		if grep -q AuthenticAMD /proc/cpuinfo; then
			run device "$test" "${common[@]}" --memory device --size 8388608 \
				--offset 4095 --length 8380000 --port 5201
		else
			echo "SKIP devmem-device P2P through q35's host bridge needs an AMD CPU model" >>"$res"
		fi ;;
	system)
		run system "$test" "${common[@]}" --memory system --size 8388608 \
			--offset 1 --length 8388000 --port 5202 ;;
	udmabuf)
		run udmabuf "$test" "${common[@]}" --memory udmabuf --size 4194304 \
			--port 5203 ;;
	unreachable)
		# device memory where 7.3 refuses P2P (q35's host bridge with an Intel
		# CPU model): no flavour matches, bind-tx fails with EOPNOTSUPP (95)
		if grep -q AuthenticAMD /proc/cpuinfo; then
			echo "SKIP devmem-unreachable the host bridge is whitelisted on this CPU model" >>"$res"
		else
			run unreachable "$test" "${common[@]}" --memory device --size 1048576 \
				--expect-bind-error 95
		fi ;;
	migrate)
		# device memory migrated to system memory while it is being sent: the
		# binding is revoked (sendmsg: ENODEV), no wrong byte arrives, and a
		# new binding sends the buffer from where it is now
		if grep -q AuthenticAMD /proc/cpuinfo; then
			run migrate "$test" "${common[@]}" --memory device --size 8388608 \
				--migrate-at 2097152 --port 5206
		else
			echo "SKIP devmem-migrate P2P through q35's host bridge needs an AMD CPU model" >>"$res"
		fi ;;
	ncdevmem)
		nc=$ubuild/ncdevmem/ncdevmem
		if [ -x "$nc" ]; then
			run ncdevmem bash "$top/scripts/guest-ncdevmem.sh" "$nc" "$tx" 10.99.0.1 10.99.0.2
		else
			echo "SKIP devmem-ncdevmem not built ($nc)" >>"$res"
		fi ;;
	unplug)
		# the ivshmem device is removed while its memory is being sent:
		# phyr_vgem revokes the buffer, the binding stops and unmaps before the
		# BAR goes; sendmsg: ENODEV, no wrong byte on the wire
		if grep -q AuthenticAMD /proc/cpuinfo; then
			run unplug "$test" "${common[@]}" --memory device --size 8388608 \
				--unplug-at 2097152 --port 5207
		else
			echo "SKIP devmem-unplug P2P through q35's host bridge needs an AMD CPU model" >>"$res"
		fi ;;
	unbind)
		# e1000e unbinds from the NIC under a TX binding (7.3: a dangling
		# pointer, used when the netlink socket closes)
		run unbind "$test" "${common[@]}" --memory system --size 1048576 --unbind-nic ;;
	copy|zerocopy)
		run $c "$test" "${common[@]}" --memory $c --size 8388608 \
			--offset 1 --length 8388000 --port 5205 ;;
	*) echo "FAIL devmem-$c unknown case" >>"$res" ;;
	esac
done
cat /sys/kernel/debug/dma_buf/bufinfo >"$out/bufinfo.txt" 2>&1
# both NICs' counters (drops, missed frames: where retransmits come from)
{
	ip -s -s link show dev "$tx"
	ip -n devmem-peer -s -s link show dev "$rx"
	nstat -a -z 2>/dev/null | grep -E 'Retrans|Lost|Timeouts|OutSegs|InSegs'
} >"$out/devmem-stats.log" 2>&1
cat "$res"
finish "$out"
! grep -q '^FAIL' "$res"
