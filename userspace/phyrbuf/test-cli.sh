#!/bin/bash
# SPDX-License-Identifier: MIT
# The phyrbuf CLI against the real driver (in the guest): runs its commands
# and checks what they print and their exit status.
#   test-cli.sh PATH_TO_PHYRBUF
set -u
pb=$1

# without the driver (a developer's machine): a skip for meson, unless the test
# guest asks for the device to be there
if [ ! -e /sys/devices/faux/phyr_vgem ] && [ -z "${PHYR_REQUIRE_DEVICE:-}" ]; then
	echo "test-cli: skipped: needs the phyr_vgem driver (run it in the test guest: scripts/test.sh)"
	exit 77
fi

fail() {
	echo "test-cli: FAILED: $*" >&2
	exit 1
}

# Only bash builtins besides phyrbuf itself: every exec costs ~0.5 s in the
# test guest (TCG, KASAN, 9p).
errf=${TMPDIR:-/tmp}/test-cli.$$.err
trap 'rm -f "$errf"' EXIT

# run NAME EXPECTED_STATUS ARGS...: sets $out (stdout) and $err (stderr)
run() {
	local name=$1 want=$2 st
	shift 2
	echo "\$ phyrbuf $*"
	out=$("$pb" "$@" 2>"$errf")
	st=$?
	err=$(<"$errf")
	[ -n "$out" ] && echo "$out"
	[ -n "$err" ] && echo "stderr: $err"
	[ "$st" = "$want" ] || fail "$name: exit status $st, expected $want"
}

# has NAME REGEX: $out has a line matching REGEX (extended)
has() {
	local line
	while IFS= read -r line; do
		[[ $line =~ $2 ]] && return 0
	done <<<"$out"
	fail "$1: no line matching '$2'"
}

# one_line_error NAME REGEX: $err is a single line matching REGEX
one_line_error() {
	if [ -z "$err" ] || [[ $err == *$'\n'* ]]; then
		fail "$1: expected a one-line error, got '$err'"
	fi
	[[ $err =~ $2 ]] || fail "$1: error '$err' does not match '$2'"
}

# usage and bad command lines
run help 0 --help
has help '^usage: phyrbuf'
has help 'alloc --size SIZE'
run version 0 --version
has version '^phyrbuf [0-9]+\.[0-9]+\.[0-9]+$'
run no-command 2
one_line_error no-command 'no command'
run bad-command 2 frobnicate
one_line_error bad-command "unknown command 'frobnicate'"
run bad-size 2 alloc --size 12X
one_line_error bad-size "bad size '12X'"
run no-size 2 alloc
one_line_error no-size 'needs --size'
run bad-placement 2 alloc --size 1M --placement vram
one_line_error bad-placement "bad placement 'vram'"

# info: every device, the faux one and one with device memory
run info 0 info
has info '^device 0:$'
faux=
dm=
dev=
while read -r line; do
	case "$line" in
	device\ *:) dev=${line#device }; dev=${dev%:} ;;
	bus:*\ faux\ phyr_vgem) faux=$dev ;;
	device\ memory:\ *bytes*) [ -n "$dm" ] || dm=$dev ;;
	esac
done <<<"$out"
[ -n "$faux" ] || fail "info: no faux phyr_vgem device listed"
[ -n "$dm" ] || fail "info: no device with device memory listed"
has info '^  node: +/dev/dri/card[0-9]+$'
has info '^  device memory: +none \(system memory only\)$'
has info '^  device memory: +[1-9][0-9]* bytes \([0-9]+ [KMG]iB\), [0-9]+ free'
has info '^  bus: +pci [0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-9]$'

# device memory, contiguous, migrated to system, imported into the faux device
run alloc-device 0 alloc --size 4M --placement device --contiguous \
	--migrate system --import-into "$faux"
has alloc-device "^device $dm: "
has alloc-device '^  size: +4194304 bytes \(4 MiB\)$'
has alloc-device '^  placement: +device$'
has alloc-device '^  nr_ranges: +1$'
has alloc-device '^  flavours: +.*phyr'
has alloc-device '^  fdinfo: +flavours:.*phyr\+mmio'
has alloc-device '^migrated to system:$'
has alloc-device '^  placement: +system$'
has alloc-device '^  fdinfo: +flavours:.*phyr\+cpu'
has alloc-device '^  verified: +4194304 bytes survived'
has alloc-device "^import into device $faux "
has alloc-device '^  import_flavour: +sg_table$'
has alloc-device '^  verified: +4194304 bytes through the importer'

# system memory on the faux device, into the ivshmem device
run alloc-system 0 alloc --size 256K --device "$faux" --import-into "$dm"
has alloc-system "^device $faux: "
has alloc-system '^  placement: +system$'
has alloc-system '^  fdinfo: +flavours:.*phyr\+cpu'
has alloc-system "^import into device $dm "
has alloc-system '^  import_flavour: +phyr$'
has alloc-system '^  verified: +262144 bytes through the importer'

# system memory migrated into device memory, then back on the host side
run alloc-migrate 0 alloc --size 1M --device "$dm" --migrate device
has alloc-migrate '^migrated to device:$'
has alloc-migrate '^  verified: +1048576 bytes survived'

# failures: one line, exit status 1
run devmem-on-faux 1 alloc --size 64K --placement device --device "$faux"
one_line_error devmem-on-faux 'No such device'
run migrate-on-faux 1 alloc --size 64K --device "$faux" --migrate device
one_line_error migrate-on-faux 'migrating to device memory: No such device'
run unaligned 1 alloc --size 5000
one_line_error unaligned 'Invalid argument'
run too-large 1 alloc --size 64G --placement device
one_line_error too-large 'Invalid argument'
run no-such-device 1 alloc --size 1M --device 99
one_line_error no-such-device 'device 99: No such device'

echo "test-cli: OK"
