#!/usr/bin/env bash
# The demo inside the guest: phyr-demo (a PRIME round trip between two phyr_vgem
# devices), then phyrbuf on device memory: allocate in the ivshmem BAR, show its ranges
# and offered flavours, import it into the second device (negotiated: private), and move
# it to system memory and import it into the faux device (negotiated: sg_table).
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

show "$ub/userspace/demo/phyr-demo" "$@"
expect "the import into the second device negotiated phyr" 'negotiated flavour phyr$'
expect "every byte came back" '^phyr-demo: OK$'

pb=$ub/userspace/phyrbuf/phyrbuf
echo
echo "== phyrbuf info"
show "$pb" info
expect "a device with device memory" 'device memory: +[0-9]+ bytes'
echo
echo "== a 16 MiB buffer in device memory, imported by the second phyr_vgem device"
show "$pb" alloc --size 16M --placement device --import-into 2
expect "placed in device memory" '^  placement: +device$'
expect "the dma-buf offers private, phyr+mmio and the bridge" \
	'flavours:.*private phyr\+mmio cpu_access\+mmio sg_table\(bridge\)'
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
