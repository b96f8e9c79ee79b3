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
jdir=${TMPDIR:-/tmp}/test-cli.$$.json
mkdir -p "$jdir"
trap 'rm -rf "$errf" "$jdir"' EXIT

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
has help '--size SIZE'
run version 0 --version
has version '^phyrbuf [0-9]+\.[0-9]+\.[0-9]+ \(libphyrbuf [0-9]+\.[0-9]+\.[0-9]+\)$'
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
# devmem-send/-recv (devmem-cmd.c): option errors, a NIC that is not there,
# and one without devmem TX (lo: the kernel's refusal, with its message)
run devmem-help 0 devmem-send --help
has devmem-help '^usage: phyrbuf devmem-send'
run devmem-no-args 2 devmem-send
one_line_error devmem-no-args 'devmem-send needs --ifname IF and --peer ADDR:PORT'
run devmem-bad-peer 2 devmem-send --ifname lo --peer 10.0.0.1
one_line_error devmem-bad-peer "bad peer '10.0.0.1' \\(IPv4 ADDR:PORT\\)"
run devmem-beyond 2 devmem-send --ifname lo --peer 127.0.0.1:9 --size 1M --offset 512K --length 768K
one_line_error devmem-beyond 'offset 524288 \+ length 786432 beyond the 1048576-byte buffer'
run devmem-recv-no-listen 2 devmem-recv
one_line_error devmem-recv-no-listen 'devmem-recv needs --listen ADDR:PORT'
run devmem-no-nic 1 devmem-send --ifname nonic0 --peer 127.0.0.1:9
one_line_error devmem-no-nic 'nonic0: no such network interface'
run devmem-lo 1 devmem-send --ifname lo --peer 127.0.0.1:9 --size 64K --placement system
one_line_error devmem-lo 'binding the dma-buf for TX on lo: Operation not supported'

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
one_line_error unaligned 'size 5000 is not a multiple of the page size \(4096\): use 8192'
run too-large 1 alloc --size 64G --placement device
one_line_error too-large 'Invalid argument'
run no-such-device 1 alloc --size 1M --device 99
one_line_error no-such-device 'device 99: No such device: there are [0-9]+ \(phyrbuf info lists them\)'
run devmem-on-faux-hint 1 alloc --size 64K --placement device --device "$faux"
one_line_error devmem-on-faux-hint 'has no device memory: use --device N'
run too-large-hint 1 alloc --size 64G --placement device
one_line_error too-large-hint 'larger than the device memory of device [0-9]+ \(64 MiB\)'
run bad-format 2 alloc --width 64 --height 64 --format NV12
one_line_error bad-format "unknown format 'NV12'"
run image-incomplete 2 alloc --width 64 --height 64
one_line_error image-incomplete 'an image needs --width, --height and --format'
run bad-image 1 alloc --width 64 --height 64 --format XRGB8888 --stride 100
one_line_error bad-image 'the image is not one phyr_vgem takes'
run no-cmd 2 alloc --size 1M --
one_line_error no-cmd "'--' needs a command"
run import-bad-fd 1 import --fd 99
one_line_error import-bad-fd 'fd 99 is not open'
run probe-no-dmabuf 1 probe --fd 2
one_line_error probe-no-dmabuf 'fd 2: Invalid argument: not a dma-buf'
run wrong-option 2 import --fd 0 --migrate system
one_line_error wrong-option "import: option '--migrate' is not for this command"

# physical ranges: system memory (RAM, populated by the fill), contiguous device memory
run ranges-system 0 ranges --size 1M --device "$faux"
has ranges-system '^  ranges: +[1-9][0-9]*$'
has ranges-system '^    ram +0x[0-9a-f]+\+0x[0-9a-f]+ +at offset 0x0 '
run ranges-device 0 ranges --size 2M --placement device --contiguous
has ranges-device '^  ranges: +1$'
has ranges-device '^    mmio +0x[0-9a-f]+\+0x200000 +at offset 0x0 \(2 MiB\)$'
# alloc prints them too, and what the dma-buf offers as data
run alloc-offers 0 alloc --size 64K --placement device
has alloc-offers '^  ranges: +[1-9]'
has alloc-offers '^  offers: +private phyr\+mmio@[0-9a-f:.]+ cpu_access\+mmio@[0-9a-f:.]+ cpu_access\+cpu sg_table\+mmio\(bridge\)@'

# an image buffer
run alloc-image 0 alloc --width 256 --height 256 --format XRGB8888
has alloc-image '^  image: +256x256 XRGB8888, stride 1024, modifier linear$'
has alloc-image '^  size: +262144 bytes \(256 KiB\)$'

# a buffer kept alive and handed to another program: phyrbuf itself imports it
# into the second device with device memory and checks alloc's pattern
dm2=
while read -r line; do
	case "$line" in
	device\ *:) dev=${line#device }; dev=${dev%:} ;;
	device\ memory:\ *bytes*) [ "$dev" != "$dm" ] && [ -z "$dm2" ] && dm2=$dev ;;
	esac
done <<<"$("$pb" info)"
[ -n "$dm2" ] || fail "info: no second device with device memory"
run handoff 0 alloc --size 1M --placement device -- "$pb" import --fd '{fd}' --device "$dm2" --verify
has handoff '^running with the dma-buf as fd [0-9]+: .*phyrbuf import --fd [0-9]+ '
has handoff "^import into device $dm2 "
has handoff '^  import_flavour: private$'
has handoff '^  verified: +1048576 bytes of phyrbuf alloc.s pattern$'
run handoff-probe 0 alloc --size 64K --placement device -- "$pb" probe --fd '{fd}'
has handoff-probe "^  device $faux: +cannot import: Operation not supported$"
has handoff-probe "^  device $dm: +its own buffer"
has handoff-probe "^  device $dm2: +would negotiate private$"
has handoff-probe '^  offers: +private phyr\+mmio@'
run handoff-ranges 0 alloc --size 2M --placement device --contiguous -- "$pb" ranges --fd '{fd}'
has handoff-ranges '^    mmio +0x[0-9a-f]+\+0x200000 '
# the command's exit status is phyrbuf's, and the environment names the buffer
run handoff-status 3 alloc --size 64K -- "$BASH" -c 'exit 3'
run handoff-env 0 alloc --width 64 --height 32 --format RGB565 -- "$BASH" -c \
	'echo "fd=$PHYRBUF_DMABUF_FD size=$PHYRBUF_SIZE ${PHYRBUF_WIDTH}x$PHYRBUF_HEIGHT $PHYRBUF_FORMAT stride $PHYRBUF_STRIDE"; [ -e /proc/self/fd/$PHYRBUF_DMABUF_FD ]'
has handoff-env '^fd=[0-9]+ size=4096 64x32 RGB565 stride 128$'

# --json for every command: one document each, checked at the end
json() {
	local name=$1 st
	shift
	echo "\$ phyrbuf --json $*"
	"$pb" --json "$@" >"$jdir/$name.json" 2>"$errf"
	st=$?
	[ $st = 0 ] || fail "$name: --json exit status $st: $(<"$errf")"
}
json info info
json alloc alloc --size 4M --placement device --contiguous --migrate system --import-into "$faux"
json alloc-image alloc --width 100 --height 50 --format RGB565 --device "$dm" --placement device
json ranges ranges --size 2M --placement device --contiguous
json ranges-fd alloc --size 1M --device "$faux" -- "$pb" --json ranges --fd '{fd}'
json probe alloc --size 64K --placement device -- "$pb" --json probe --fd '{fd}'
json import alloc --size 64K --device "$faux" -- "$pb" --json import --fd '{fd}' --device "$dm" --verify
# a failure prints no half document
echo "\$ phyrbuf --json alloc --size 5000"
out=$("$pb" --json alloc --size 5000 2>"$errf") && fail "json-failure: exit status 0"
[ -z "$out" ] || fail "json-failure: printed '$out' on stdout"
python3 - "$jdir" "$faux" "$dm" "$dm2" <<'PY' || fail "--json output"
import json, sys
d, faux, dm, dm2 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def load(name):
    text = open(f"{d}/{name}.json").read()
    docs = [l for l in text.splitlines() if l.startswith("{")]
    return [json.loads(l) for l in docs]
def need(cond, what):
    if not cond:
        sys.exit(f"test-cli: FAILED: json: {what}")
info = load("info")[0]
need(len(info["devices"]) >= 3, "info lists the devices")
need(info["devices"][faux]["bus"] == "faux" and info["devices"][faux]["device_size"] == 0, "faux")
need(info["devices"][dm]["device_size"] == 64 << 20, "device memory size")
need(info["devices"][dm]["driver"] == {"major": 1, "minor": 2}, "driver version")
a = load("alloc")[0]
need(a["buffer"]["placement"] == "device" and a["buffer"]["nr_ranges"] == 1, "alloc buffer")
need(a["buffer"]["ranges"][0]["type"] == "mmio" and a["buffer"]["ranges"][0]["length"] == 4 << 20, "alloc ranges")
need([o["flavour"] for o in a["dmabuf"]["offers"]] == ["private", "phyr", "cpu_access", "cpu_access", "sg_table"], "alloc offers")
need(a["dmabuf"]["offers"][1]["mmio"] and a["dmabuf"]["offers"][1]["provider"] == info["devices"][dm]["location"], "MMIO provider")
need(a["dmabuf"]["offers"][2]["mmio"] and not a["dmabuf"]["offers"][2]["bridge"], "CPU access to the BAR")
need(a["dmabuf"]["offers"][3]["cpu"] and not a["dmabuf"]["offers"][3]["mmio"], "CPU access to CPU RAM, by a move")
need(a["dmabuf"]["offers"][4]["bridge"], "the bridge")
need(a["migrated"]["placement"] == "system" and a["migrated"]["verified"] == 4 << 20, "migrated")
need(a["import"]["import_flavour"] == "sg_table" and a["import"]["verified"] == 4 << 20, "import")
im = load("alloc-image")[0]["buffer"]
need(im["image"] == {"width": 100, "height": 50, "format": "RGB565", "fourcc": 0x36314752,
                     "stride": 256, "modifier": 0}, f"image {im['image']}")
r = load("ranges")[0]["buffer"]["ranges"]
need(len(r) == 1 and r[0]["type"] == "mmio" and r[0]["addr"], "ranges")
rf = load("ranges-fd")
need(len(rf) == 2 and rf[1]["buffer"]["ranges"][0]["type"] == "ram" and rf[1]["device"]["index"] == faux, "ranges --fd")
pr = load("probe")[1]
need(pr["offers"][0]["flavour"] == "private", "probe offers")
by = {x["device"]: x for x in pr["devices"]}
need(by[faux]["import"]["flavour"] is None and by[faux]["import_error"], "probe: faux refused")
need(by[dm]["own"], "probe: own")
need(by[dm2]["import"]["flavour"] == "private", "probe: private")
imp = load("import")[1]
need(imp["import_flavour"] == "phyr" and imp["verified"] == 64 << 10, "import --verify")
print("test-cli: --json output of every command checked")
PY

echo "test-cli: OK"
