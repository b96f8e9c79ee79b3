#!/usr/bin/env bash
# The demo inside the guest.  First the GPU-to-NIC demo (phyrbuf rdma demo): a buffer in
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
