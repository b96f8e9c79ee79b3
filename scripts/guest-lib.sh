# shellcheck shell=bash
# Helpers of the scripts that run inside the test guest (scripts/vm.sh).  Every process
# start costs ~0.3-0.6 s there (TCG, KASAN, 9p): builtins where possible.

export PATH=/usr/sbin:/usr/bin:/sbin:/bin

# the topology this guest booted with (vm.sh --topology): root or switch
guest_topology() {
	local a
	read -r -a a </proc/cmdline
	for a in "${a[@]}"; do
		case "$a" in phyr.topology=*) echo "${a#phyr.topology=}"; return ;; esac
	done
	echo unknown
}

# kmemleak_scan OUT: two scans (objects freed late are not reported), then the report;
# OUT.unavailable instead if this kernel has no kmemleak.  KMEMLEAK_SCAN says how the
# scans went: ok, failed (a write of "scan" was refused: kmemleak switched itself off)
# or unavailable
kmemleak_scan() {
	KMEMLEAK_SCAN=ok
	if [ -w /sys/kernel/debug/kmemleak ]; then
		echo scan >/sys/kernel/debug/kmemleak || KMEMLEAK_SCAN=failed
		sleep 6
		echo scan >/sys/kernel/debug/kmemleak || KMEMLEAK_SCAN=failed
		cat /sys/kernel/debug/kmemleak >"$1"
	else
		KMEMLEAK_SCAN=unavailable
		echo "kmemleak not available" >"$1.unavailable"
	fi
}

# checkers DIR: whether the kernel's checkers are still on at the end of the boot, as
# key=value lines in DIR/checkers.txt (results.py fails the boot otherwise): the
# kmemleak scans, lockdep's debug_locks, DMA-API debugging's disabled flag and error
# count.  Run after kmemleak_scan.
checkers() {
	local l v
	{
		echo "kmemleak_scan=${KMEMLEAK_SCAN:-not run}"
		while read -r l; do
			case "$l" in debug_locks:*) echo "debug_locks=${l##* }" ;; esac
		done </proc/lockdep_stats
		for v in disabled:disabled errors:error_count; do
			l=missing
			[ -r "/sys/kernel/debug/dma-api/${v#*:}" ] &&
				l=$(<"/sys/kernel/debug/dma-api/${v#*:}")
			echo "dma_api_${v%%:*}=$l"
		done
	} >"$1/checkers.txt" 2>&1
}

# pci_ids DIR: every PCI device of this boot as "ADDRESS VENDOR:DEVICE" lines in
# DIR/pci.txt (results.py finds there the device of an IOMMU fault that an expected
# list declares by its ids)
pci_ids() {
	local d v i
	for d in /sys/bus/pci/devices/*; do
		read -r v <"$d/vendor"
		read -r i <"$d/device"
		echo "${d##*/} ${v#0x}:${i#0x}"
	done >"$1/pci.txt"
}

# devmem_nics: the two e1000e NICs of a boot with VM_NICS=1 (wired to each other by a
# QEMU hub), set up for devmem TCP (docs/devmem.md): the first stays here as $nic
# (10.99.0.1), the second, $peer_nic, goes into the network namespace devmem-peer
# (10.99.0.2); then waits for the carrier, 20 s at most (e1000e's watchdog brings the
# link up).  Returns 1 with a message if there are fewer than two or the link stays down.
devmem_nics() {
	local n nics=()

	for n in /sys/class/net/*; do
		[ "$(basename "$(readlink -f "$n/device/driver" 2>/dev/null)")" = e1000e ] &&
			nics+=("${n##*/}")
	done
	if [ ${#nics[@]} -lt 2 ]; then
		echo "fewer than two e1000e NICs (boot with VM_NICS=1)"
		return 1
	fi
	nic=${nics[0]} peer_nic=${nics[1]}
	ip netns add devmem-peer &&
		ip link set "$peer_nic" netns devmem-peer &&
		ip addr add 10.99.0.1/24 dev "$nic" && ip link set "$nic" up &&
		ip link set lo up &&
		ip -n devmem-peer addr add 10.99.0.2/24 dev "$peer_nic" &&
		ip -n devmem-peer link set "$peer_nic" up &&
		ip -n devmem-peer link set lo up || return 1
	for n in $(seq 200); do
		[ "$(cat "/sys/class/net/$nic/carrier" 2>/dev/null)" = 1 ] && return 0
		sleep 0.1
	done
	echo "$nic: no carrier"
	return 1
}

# finish DIR: the kmemleak report, the checkers' state, the PCI devices and the
# kernel log of this boot, into DIR
finish() {
	kmemleak_scan "$1/kmemleak.txt"
	checkers "$1"
	pci_ids "$1"
	dmesg >"$1/dmesg.txt"
	sync
}
