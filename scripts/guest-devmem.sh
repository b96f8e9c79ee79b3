#!/bin/bash
# Inside the guest (booted with VM_NICS=1): devmem TCP TX through a real NIC's DMA.
# The two e1000e NICs are wired to each other by a QEMU hub: the first stays here
# (10.99.0.1), the second goes into the network namespace devmem-peer (10.99.0.2).
# Then phyr-devmem-test binds dma-bufs for TX on the first NIC (netdev netlink
# bind-tx), sends them over TCP (SCM_DEVMEM_DMABUF, MSG_ZEROCOPY) and checks every
# byte at a plain socket in devmem-peer.
#   guest-devmem.sh OUTDIR USERSPACE_BUILD_DIR [CASE...]
# Cases (default: all but bar): device, system, udmabuf, unreachable, migrate, ncdevmem,
# ncdevmem-device;
# sizes: onebyte, submss, tso, bar (the whole 64 MiB BAR: slow under TCG); bad input:
# badsend, othernetdev, badfd, badifindex, unpriv; edufill (the payload written into the
# BAR by edu's DMA, not by the CPU); for comparison, copy and zerocopy
# (the same bytes from anonymous memory, no devmem); bench (not a test: the four ways
# of sending side by side, scripts/bench-devmem.sh); last, as they change the devices:
# unplug (the ivshmem device is removed while its memory is being sent, then rescanned)
# and unbind (the NIC's driver unbinds under a binding).
# Each case writes "PASS|FAIL|SKIP devmem-CASE [why]" to OUTDIR/results-devmem.txt,
# its exit code to OUTDIR/devmem.CASE.rc and its output to OUTDIR/devmem-CASE.log;
# the kernel log ends up in OUTDIR/dmesg.txt.
set -u
. "$(dirname "$0")/guest-lib.sh"
out=${1:?usage: guest-devmem.sh OUTDIR USERSPACE_BUILD_DIR [CASE...]}
ubuild=${2:?usage: guest-devmem.sh OUTDIR USERSPACE_BUILD_DIR [CASE...]}
shift 2
cases=${*:-device system udmabuf unreachable migrate ncdevmem ncdevmem-device onebyte submss tso badsend othernetdev badfd badifindex unpriv edufill copy zerocopy unplug unbind}
top=$(cd "$(dirname "$0")/.." && pwd)
test=$ubuild/userspace/devmem/phyr-devmem-test
res=$out/results-devmem.txt
: >"$res"

# the two e1000e NICs: the first here, the second in devmem-peer (guest-lib.sh)
if ! devmem_nics >"$out/devmem-nics.log" 2>&1; then
	echo "FAIL devmem-setup $(tr '\n' ' ' <"$out/devmem-nics.log")" >>"$res"
	finish "$out"
	exit 1
fi
tx=$nic rx=$peer_nic
pci=$(basename "$(readlink -f "/sys/class/net/$tx/device")")
{
	echo "tx=$tx ($pci) rx=$rx (netns devmem-peer)"
	echo "carrier=$(cat "/sys/class/net/$tx/carrier" 2>/dev/null)"
	echo "topology=$(guest_topology)"
	grep -m3 -E '^(vendor_id|cpu family|model name)' /proc/cpuinfo
	echo "iommu_group_type=$(cat "/sys/class/net/$tx/device/iommu_group/type" 2>/dev/null)"
	ip addr show dev "$tx"
} >"$out/devmem-setup.log" 2>&1

# run NAME CMD...: one case
# (a DMAR fault while it ran fails it: the NIC read where it should not; so does a
# kernel report)
splats='DMAR: \[DMA|BUG:|WARNING:|KASAN|UBSAN|circular locking|Oops'
run() {
	local name=$1 rc faults before t0 t1
	shift
	before=$(dmesg | grep -cE "$splats")
	t0=${EPOCHREALTIME/./}
	"$@" >"$out/devmem-$name.log" 2>&1
	rc=$?
	t1=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))	# ms
	echo $rc >"$out/devmem.$name.rc"
	faults=$(( $(dmesg | grep -cE "$splats") - before ))
	printf 'kernel_reports=%s case_seconds=%d.%03d\n' "$faults" $((t1 / 1000)) $((t1 % 1000)) \
		>>"$out/devmem-$name.log"
	if [ $rc = 0 ] && [ "$faults" = 0 ]; then echo "PASS devmem-$name" >>"$res"
	else echo "FAIL devmem-$name (exit $rc, $faults DMAR faults or kernel reports)" >>"$res"; fi
}

common=(--ifname "$tx" --peer-netns devmem-peer --peer-addr 10.99.0.2)
# edu_vfio PCI: edu to vfio-pci (from whichever driver has it), its cdev there
edu_vfio() {
	local i d
	[ -e "/sys/bus/pci/devices/$1/driver" ] &&
		echo "$1" >"/sys/bus/pci/devices/$1/driver/unbind"
	echo vfio-pci >"/sys/bus/pci/devices/$1/driver_override" || return 1
	echo "$1" >/sys/bus/pci/drivers_probe
	for ((i = 0; i < 50; i++)); do
		for d in /sys/bus/pci/devices/"$1"/vfio-dev/vfio*; do
			[ -c "/dev/vfio/devices/${d##*/}" ] && return 0
		done
		sleep 0.1
	done
	return 1
}
# P2P from ivshmem's BAR to the NIC through q35's host bridge: 7.3 whitelists it for AMD
# CPUs of family 0x17 (Zen) or later (cpu_supports_p2pdma()), the CPU model of vm.sh's
# hostbridge topology.  What the topology must give, not what the CPU looks like: the
# other topologies' -cpu max is, under TCG, an AMD family 0xf (AuthenticAMD, no Zen)
p2p=0
[ "$(guest_topology)" = hostbridge ] && p2p=1

# bench: not a test (scripts/bench-devmem.sh).  The same bytes sent four ways, side by
# side in this boot: devmem TX from device memory and from system memory (the NIC reads
# them by DMA), MSG_ZEROCOPY and send() from anonymous memory.  The guest's busy CPU
# time (all vCPUs, /proc/stat) is counted around each: the receiver in devmem-peer runs
# in this guest too and costs the same for every kind, so the differences are the
# sender's.  Ratios are against send().
busy() { awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
bench_all() {
	local size=${DEVMEM_BENCH_SIZE:-67108864} port=5230 m b0 b1 hz t
	local kinds="system zerocopy copy"
	hz=$(getconf CLK_TCK)
	[ $p2p = 1 ] && kinds="device $kinds"
	t=$out/devmem-bench.tsv
	: >"$t"
	for m in $kinds; do
		b0=$(busy)
		run bench-$m "$test" "${common[@]}" --memory $m --size "$size" \
			--chunk 1048576 --port $((port++))
		b1=$(busy)
		awk -v m=$m -v cpu=$(( b1 - b0 )) -v hz="$hz" '
			/^sent_bytes=/ { split($1, a, "="); bytes = a[2] }
			/^seconds=/ { split($1, a, "="); secs = a[2] }
			/^zerocopy_completions=/ { split($2, a, "="); copied = a[2] }
			END { printf "%s\t%d\t%.3f\t%.3f\t%s\n", m, bytes, secs, cpu / hz, copied }' \
			"$out/devmem-bench-$m.log" >>"$t"
	done
	awk -F'\t' -v n="$(nproc)" '
		{ kind[NR] = $1; bytes[NR] = $2; secs[NR] = $3; cpu[NR] = $4; copied[NR] = $5
		  if ($1 == "copy") ref = NR }
		END {
			printf "devmem TX benchmark: %d bytes per kind, %d vCPUs; ratios against send()\n", bytes[1], n
			printf "%-9s %9s %9s %7s %11s %12s %9s %s\n", "kind", "seconds", "MB/s", "x send", "guest cpu s", "cpu ns/byte", "x send", "copied"
			for (i = 1; i <= NR; i++) {
				mbps = bytes[i] / secs[i] / 1e6; nspb = cpu[i] * 1e9 / bytes[i]
				rm = bytes[ref] / secs[ref] / 1e6; rn = cpu[ref] * 1e9 / bytes[ref]
				printf "%-9s %9.2f %9.3f %7.2f %11.2f %12.1f %9.2f %s\n", kind[i], secs[i], mbps, mbps / rm, cpu[i], nspb, nspb / rn, copied[i] == "" ? "-" : copied[i]
			}
		}' "$t" >"$out/devmem-bench.txt"
	cat "$out/devmem-bench.txt"
}
# attached WANT CMD...: CMD, whose nic_attachment= line (the NIC's attachment in
# debugfs bufinfo) must then say WANT: the flavour and, for device memory, the P2P kind
# that the topology must give
attached() {
	local want=$1 o rc
	shift
	o=$("$@" 2>&1)
	rc=$?
	printf '%s\n' "$o"
	[ $rc = 0 ] || return $rc
	printf '%s\n' "$o" | grep -qx "nic_attachment=[^ ]* $want" && return 0
	echo "FAIL the NIC's attachment is not \"$want\" in bufinfo"
	return 1
}
# both placements, one after the other (device memory only where the NIC reaches it):
# placements PORT ARGS...
placements() {
	local port=$1 rc=0
	shift
	if [ $p2p = 1 ]; then
		"$test" "${common[@]}" --memory device --port "$port" "$@" || rc=1
	else
		echo "device memory skipped: no P2P through q35's host bridge in this topology"
	fi
	"$test" "${common[@]}" --memory system --port $((port + 1)) "$@" || rc=1
	return $rc
}
for c in $cases; do
	case $c in
	device)
		# 8 MiB of ivshmem's BAR (phyr_vgem device memory): reachable from the
		# NIC only where the host bridge is whitelisted for P2P
		if [ $p2p = 1 ]; then
			# (through the host bridge, mapped by the NIC's IOMMU domain)
			run device attached "phyr p2p:thru_host_bridge" \
				"$test" "${common[@]}" --memory device --size 8388608 \
				--offset 4095 --length 8380000 --port 5201
		else
			echo "SKIP devmem-device no P2P through q35's host bridge in this topology" >>"$res"
		fi ;;
	system)
		# (CPU RAM: no P2P kind)
		run system attached phyr "$test" "${common[@]}" --memory system \
			--size 8388608 --offset 1 --length 8388000 --port 5202 ;;
	udmabuf)
		# (an exporter without flavours: the legacy sg_table)
		run udmabuf attached sg_table "$test" "${common[@]}" --memory udmabuf \
			--size 4194304 --port 5203 ;;
	unreachable)
		# device memory where 7.3 refuses P2P (q35's host bridge with an Intel
		# CPU model): no flavour matches, bind-tx fails with EOPNOTSUPP (95)
		if [ $p2p = 1 ]; then
			echo "SKIP devmem-unreachable the host bridge is whitelisted in this topology" >>"$res"
		else
			run unreachable "$test" "${common[@]}" --memory device --size 1048576 \
				--expect-bind-error 95
		fi ;;
	migrate)
		# four rounds, each a new buffer migrated while it is being sent (device
		# to system memory, then system to device, ...) at another byte (one
		# inside the first 64 KiB sendmsg): the binding is revoked (sendmsg:
		# ENODEV), the device memory left is poisoned, no wrong byte arrives, and
		# a new binding sends the buffer, rewritten, from where it is now
		if [ $p2p = 1 ]; then
			run migrate "$test" "${common[@]}" --memory device --size 786432 \
				--repeat 4 --migrate-at 4095,150000,450001,750000 --port 5206
		else
			echo "SKIP devmem-migrate no P2P through q35's host bridge in this topology" >>"$res"
		fi ;;
	ncdevmem)
		nc=$ubuild/ncdevmem/ncdevmem
		if [ -x "$nc" ]; then
			run ncdevmem bash "$top/scripts/guest-ncdevmem.sh" "$nc" "$tx" 10.99.0.1 10.99.0.2
		else
			echo "SKIP devmem-ncdevmem not built ($nc)" >>"$res"
		fi ;;
	ncdevmem-device)
		# upstream's ncdevmem with its phyr_vgem provider (our patch): its
		# buffer in device memory, read by the NIC through the host bridge
		nc=$ubuild/ncdevmem/ncdevmem
		if [ $p2p != 1 ]; then
			echo "SKIP devmem-ncdevmem-device no P2P through q35's host bridge in this topology" >>"$res"
		elif [ -x "$nc" ]; then
			run ncdevmem-device bash "$top/scripts/guest-ncdevmem.sh" "$nc" "$tx" \
				10.99.0.1 10.99.0.2 phyr_vgem:device
		else
			echo "FAIL devmem-ncdevmem-device not built ($nc)" >>"$res"
		fi ;;
	onebyte)
		# one byte, the last of a page: the smallest send, byte-exact
		run onebyte placements 5210 --size 65536 --offset 4095 --length 1 ;;
	submss)
		# 1000 bytes (below the MSS of 1448) straddling a page boundary
		run submss placements 5212 --size 65536 --offset 4000 --length 1000 ;;
	tso)
		# 500,000 bytes in one sendmsg(): skbs of several MSS, which the NIC
		# segments (TSO: fewer packets than MSS reach it) and checksums from what
		# it reads by DMA
		run tso placements 5214 --size 1048576 --offset 12345 --length 500000 \
			--chunk 500000 --expect-tso ;;
	bar)
		# the whole 64 MiB BAR (ivshmem's memory-backend) in one buffer
		if [ $p2p = 1 ]; then
			run bar "$test" "${common[@]}" --memory device --size 67108864 \
				--chunk 1048576 --port 5216
		else
			echo "SKIP devmem-bar no P2P through q35's host bridge in this topology" >>"$res"
		fi ;;
	badsend)
		# sendmsg beyond the end of the buffer (EFAULT, never a byte past it),
		# of an unknown binding and without MSG_ZEROCOPY (EINVAL), then the last
		# 5000 bytes of the buffer arrive exactly
		run badsend placements 5218 --size 65536 --offset 60536 --bad-send ;;
	othernetdev)
		# the binding of the NIC on a socket routed over lo: ENODEV; then the
		# same binding sends over the NIC
		run othernetdev "$test" "${common[@]}" --memory system --size 65536 \
			--length 8192 --other-netdev --port 5220 ;;
	badfd)
		# bind-tx of a memfd (EINVAL) and of a closed fd (EBADF); the dma-buf binds
		run badfd "$test" "${common[@]}" --memory system --size 65536 --bad-bind fd ;;
	badifindex)
		# bind-tx on ifindex 0 (ERANGE), an unused one and the peer NIC in the
		# other netns (ENODEV), lo (EOPNOTSUPP); the NIC's binds
		run badifindex "$test" "${common[@]}" --memory system --size 65536 \
			--bad-bind ifindex --other-ifindex \
			"$(ip netns exec devmem-peer cat "/sys/class/net/$rx/ifindex")" ;;
	unpriv)
		# as nobody: bind-rx needs CAP_NET_ADMIN (EPERM), bind-tx is
		# unprivileged upstream: the buffer binds and arrives byte-exact
		run unpriv placements 5222 --size 65536 --offset 100 --length 20000 \
			--unprivileged ;;
	edufill)
		# the payload put into the BAR by edu's DMA (the CPU wrote only its
		# complement there), sent by the NIC's DMA: no guest CPU ever wrote or
		# read a byte of it in device memory
		edu=
		for d in /sys/bus/pci/devices/*; do
			[ "$(<"$d/vendor")" = 0x1234 ] && [ "$(<"$d/device")" = 0x11e8 ] &&
				edu=${d##*/}
		done
		if [ $p2p != 1 ]; then
			echo "SKIP devmem-edufill no P2P through q35's host bridge in this topology" >>"$res"
		elif [ -z "$edu" ] || ! edu_vfio "$edu"; then
			echo "FAIL devmem-edufill cannot bind edu ($edu) to vfio-pci" >>"$res"
		else
			run edufill "$test" "${common[@]}" --memory device --size 65536 \
				--offset 4000 --length 16000 --edu-fill "$edu" --port 5224
			echo "$edu" >/sys/bus/pci/drivers/vfio-pci/unbind
			echo >"/sys/bus/pci/devices/$edu/driver_override"
		fi ;;
	unplug)
		# three rounds: the ivshmem device is removed while its memory is being
		# sent (at another byte each round): phyr_vgem revokes the buffer, the
		# binding stops and unmaps before the BAR goes; sendmsg: ENODEV; the bus is
		# rescanned, the BAR range the buffer had poisoned; no wrong byte on the wire
		if [ $p2p = 1 ]; then
			run unplug "$test" "${common[@]}" --memory device --size 1048576 \
				--repeat 3 --unplug-at 4095,300000,900001 --port 5207
		else
			echo "SKIP devmem-unplug no P2P through q35's host bridge in this topology" >>"$res"
		fi ;;
	unbind)
		# e1000e unbinds from the NIC under a TX binding (7.3: a dangling
		# pointer, used when the netlink socket closes)
		run unbind "$test" "${common[@]}" --memory system --size 1048576 --unbind-nic ;;
	bench)
		bench_all ;;
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
