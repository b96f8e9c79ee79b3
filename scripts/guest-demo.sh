#!/usr/bin/env bash
# The demo inside the guest (booted by scripts/demo.sh with VM_NICS=1 and the hostbridge
# topology).  First GPU-to-NIC by the NIC's own DMA: a 16 MiB phyr_vgem buffer in device
# memory (the ivshmem BAR, no struct page) is bound for devmem TCP TX on an e1000e NIC and
# sent by its DMA, through the IOMMU, to the other e1000e in the network namespace
# devmem-peer (phyrbuf devmem-send / devmem-recv), checked byte by byte there.  Then the
# GPU-to-NIC demo on soft-RoCE (phyrbuf rdma demo): a buffer in
# device memory (the ivshmem BAR, no struct page) exported as a dma-buf and registered as
# an RDMA memory region on soft-RoCE (rxe0, the "NIC"), written and read back by a peer
# (rxe1, in another network namespace), then migrated to system memory while the region
# stays registered.  Then phyr-demo (a PRIME round trip between two phyr_vgem devices),
# and phyrbuf on device memory: allocate in the ivshmem BAR, show its ranges and offered
# flavours, import it into the second device (negotiated: private), and move it to system
# memory and import it into the faux device (negotiated: sg_table).
# Every step's output is checked against what the topology must give: a wrong flavour,
# placement or a missing line fails the demo.
#   scripts/guest-demo.sh UBUILD RESULTS_DIR [phyr-demo args...]
set -uo pipefail
ub=$1
res=$2
shift 2
. "$(dirname "$0")/guest-lib.sh"
export PHYR_REQUIRE_DEVICE=1

bad=0
# expect WHAT REGEX: the last step's output ($out) has a line matching REGEX
expect() {
	local line
	while IFS= read -r line; do
		[[ $line =~ $2 ]] && return 0
	done <<<"$out"
	echo "demo check FAILED: $1 (no line matching '$2')"
	bad=1
}
# show CMD...: run it, print its output, keep it in $out; a failure fails the demo
show() {
	out=$("$@" 2>&1)
	local rc=$?
	printf '%s\n' "$out"
	[ $rc = 0 ] || { echo "demo check FAILED: $* exited $rc"; bad=1; }
}

pb=$ub/userspace/phyrbuf/phyrbuf

# ---- GPU-to-NIC by the NIC's DMA: devmem TCP TX over e1000e (docs/devmem.md) ----
# The NICs and the namespace: guest-lib.sh's devmem_nics, as the devmem layer sets them
# up: the first e1000e here (10.99.0.1, $nic), the second in devmem-peer (10.99.0.2).

echo "== GPU-to-NIC by the NIC's own DMA: 16 MiB of device memory sent by e1000e (devmem TCP TX)"
dmar='DMAR: \[DMA|DMAR: DRHD: handling fault'
# (not in a subshell: it sets $nic)
if ! devmem_nics >"$res/devmem-setup.txt" 2>&1; then
	cat "$res/devmem-setup.txt"
	echo "demo check FAILED: setting up the two e1000e NICs and netns devmem-peer"
	bad=1
else
	faults0=$(dmesg | grep -cE "$dmar")
	recv_out=$res/devmem-recv.txt
	ip netns exec devmem-peer "$pb" devmem-recv --listen 10.99.0.2:5300 \
		--length 16777216 >"$recv_out" 2>&1 &
	recv_pid=$!
	show "$pb" devmem-send --ifname "$nic" --peer 10.99.0.2:5300 --size 16M \
		--placement device
	expect "the buffer is in device memory" '^buffer: +16777216 bytes in device memory'
	expect "the NIC's attachment negotiated phyr (physical ranges, no sg_table)" \
		'^bound: +on .* the NIC.s attachment negotiated: phyr$'
	# the kernel's word (bufinfo), and what this topology must give: through the
	# host bridge (AMD Zen model), translated by the NIC's DMA domain
	expect "the kernel says the NIC reaches the BAR through the host bridge, via the IOMMU" \
		'^p2p: +thru_host_bridge: the NIC reads device memory .* in IOMMU domain DMA, mapped through the IOMMU$'
	expect "every zerocopy send completed, none copied by the kernel" \
		'^completions: +[0-9]+ of [0-9]+, copied 0 '
	expect "the receiver got every byte right" \
		'^receiver: +OK 16777216 bytes, every byte matches the pattern$'
	expect "devmem-send passed" '^devmem-send: OK$'
	wait "$recv_pid"
	recv_rc=$?
	out=$(<"$recv_out")
	printf '%s\n' "$out" | sed 's/^/peer| /'
	[ "$recv_rc" = 0 ] || { echo "demo check FAILED: devmem-recv exited $recv_rc"; bad=1; }
	expect "devmem-recv in devmem-peer checked every byte" '^devmem-recv: OK$'
	faults=$(( $(dmesg | grep -cE "$dmar") - faults0 ))
	echo "IOMMU faults while the NIC sent: $faults"
	[ "$faults" = 0 ] || { echo "demo check FAILED: the NIC's DMA faulted"; bad=1; }
	echo "No CPU copy: the iovecs carried offsets into the dma-buf, not addresses, so"
	echo "the skbs' frags are the binding's net_iovs (no struct page, unreadable by"
	echo "every CPU accessor), the kernel reported no zerocopy send as copied, and the"
	echo "bytes and TCP checksums the peer checked were read from the BAR by e1000e's DMA."
fi
echo

if ! out=$(bash "$(dirname "$0")/guest-rdma.sh" 2>&1); then
	printf '%s\n' "$out"
	echo "demo check FAILED: setting up rxe0 and rxe1"
	bad=1
fi
show "$pb" rdma demo --size 16M
expect "the buffer is in device memory" '^buffer: +16 MiB in the device memory'
expect "the NIC (rxe0) negotiated cpu_access" '^importers: .*rxe0 cpu_access'
expect "the second phyr_vgem device negotiated private" '^importers: .* private(,|$)'
expect "the peer's RDMA WRITE landed, checked through mmap" '^verified: +every byte'
expect "RDMA READ gave it back" '^RDMA READ: .*every byte matches$'
expect "the migration kept the region" '^migrate: +to system memory'
expect "the next write landed in system memory" '^verified: +it landed in system memory'
expect "the GPU-to-NIC demo passed" '^rdma demo: OK$'
echo

show "$ub/userspace/demo/phyr-demo" "$@"
expect "the import into the second device negotiated phyr" 'negotiated flavour phyr$'
expect "every byte came back" '^phyr-demo: OK$'

echo
echo "== phyrbuf info"
show "$pb" info
expect "a device with device memory" 'device memory: +[0-9]+ bytes'
echo
echo "== a 16 MiB buffer in device memory, imported by the second phyr_vgem device"
show "$pb" alloc --size 16M --placement device --import-into 2
expect "placed in device memory" '^  placement: +device$'
# (device memory also offers cpu_access in CPU RAM, served by a move at the map)
expect "the dma-buf offers private, phyr+mmio, cpu_access in both and the bridge" \
	'flavours:.*private phyr\+mmio cpu_access\+mmio cpu_access\+cpu sg_table\(bridge\)'
expect "the second device negotiated private" '^  import_flavour: private$'
echo
echo "== the same, moved to system memory, imported by the faux device"
show "$pb" alloc --size 16M --placement device --migrate system --import-into 0
expect "migrated to system memory" '^migrated to system:'
expect "the faux device negotiated sg_table" '^  import_flavour: sg_table$'

finish "$res"
if [ $bad != 0 ]; then
	echo "demo: a check failed"
	exit 1
fi
