#!/bin/bash
# Runs inside a short guest of scripts/tests/gate-selftest.sh (the KUnit suites off):
# real cases of what the test run's gate must pass and must fail, each written as a
# results directory under $1 for scripts/results.py (layer "gate", expected list
# scripts/tests/gate-expected/):
#   declared/     edu's DMA to an IOVA range declared in expected-reports.txt, which
#                 the IOMMU faults; a program that printed its PASS line and exited 0
#   stray/        the same, then edu's DMA to an IOVA nobody declared
#   crash/        the program printed its PASS line and then crashed (SIGSEGV)
#   kmemleak-off/ kmemleak switched off (echo off > /sys/kernel/debug/kmemleak): the
#                 kernel says so and the scans at the end of the boot fail
# edu is used without a driver: its registers through sysfs (resource0), bus
# mastering on, in the default (translating) domain the IOMMU gave it at boot, where
# nothing is mapped at these IOVAs.
res=$1
here=$(dirname "$0")
. "$here/../guest-lib.sh"

DECLARED=0x7000000	# the declared range: [DECLARED, DECLARED + 64)
STRAY=0x7200000		# 2 MiB further: nobody declared it

edu=
for d in /sys/bus/pci/devices/*; do
	[ "$(<"$d/vendor")" = 0x1234 ] && [ "$(<"$d/device")" = 0x11e8 ] && edu=${d##*/}
done
if [ -z "$edu" ]; then
	echo "guest-gate: no edu device" >&2
	exit 1
fi

# edu_dma IOVA: edu writes 64 bytes of its buffer to IOVA, waits for the transfer,
# then up to 3 s for the IOMMU's report of the fault at that page
edu_dma() {
	python3 - "$edu" "$1" <<'EOF'
import ctypes, mmap, os, struct, sys, time
dev, iova = sys.argv[1], int(sys.argv[2], 0)
cfg = os.open(f"/sys/bus/pci/devices/{dev}/config", os.O_RDWR)
cmd = struct.unpack("<H", os.pread(cfg, 2, 4))[0]
os.pwrite(cfg, struct.pack("<H", cmd | 0x6), 4)     # memory space, bus master
fd = os.open(f"/sys/bus/pci/devices/{dev}/resource0", os.O_RDWR | os.O_SYNC)
regs = mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
def reg(off):
    return ctypes.c_uint64.from_buffer(regs, off)
# edu: 0x80 source, 0x88 destination, 0x90 count, 0x98 command (1 start, 2 to RAM);
# its own buffer is at 0x40000 in its DMA space
reg(0x80).value = 0x40000
reg(0x88).value = iova
reg(0x90).value = 64
reg(0x98).value = 1 | 2
for _ in range(150):
    if not reg(0x98).value & 1:
        break
    time.sleep(0.02)
else:
    sys.exit("edu: the transfer did not finish")
want = f"fault addr {iova & ~0xfff:#x}"
kmsg = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
deadline = time.time() + 3
while time.time() < deadline:
    try:
        rec = os.read(kmsg, 8192).decode(errors="replace")
    except BlockingIOError:
        time.sleep(0.05)
        continue
    except BrokenPipeError:
        continue
    if want in rec and dev in rec:
        sys.exit(0)
sys.exit(f"no IOMMU fault of {dev} at {iova:#x} in the kernel log")
EOF
}

# prog DIR: a program that prints its PASS line and exits 0, its exit code in
# DIR/gate.rc; with crash, it then dereferences NULL
prog() {
	python3 -c '
import ctypes, sys
print("PASS gate/program", flush=True)
if sys.argv[1:] == ["crash"]:
    ctypes.string_at(0)
' "${@:2}" >"$1/results-gate.txt" 2>"$1/gate.err"
	echo $? >"$1/gate.rc"
}

mkdir -p "$res/declared" "$res/stray" "$res/crash" "$res/kmemleak-off"
printf -v decl 'iommu-fault %s %#x %#x gate selftest: a declared fault' \
	"$edu" "$DECLARED" "$((DECLARED + 64))"
echo "$decl" >"$res/declared/expected-reports.txt"
edu_dma "$DECLARED" || exit 1
prog "$res/declared"
finish "$res/declared"

cp "$res/declared/expected-reports.txt" "$res/declared/results-gate.txt" \
	"$res/declared/gate.rc" "$res/declared/kmemleak.txt" "$res/declared/checkers.txt" \
	"$res/stray/"
edu_dma "$STRAY" || exit 1
dmesg >"$res/stray/dmesg.txt"

cp "$res/declared/expected-reports.txt" "$res/declared/kmemleak.txt" \
	"$res/declared/checkers.txt" "$res/declared/dmesg.txt" "$res/crash/"
prog "$res/crash" crash

# last: kmemleak cannot be switched on again.  The stray DMA is in this log too:
# declared here, so that only kmemleak's switching off is left to fail the gate
cp "$res/declared/results-gate.txt" "$res/declared/gate.rc" "$res/kmemleak-off/"
{
	echo "$decl"
	printf 'iommu-fault %s %#x %#x gate selftest: the stray DMA of stray/\n' \
		"$edu" "$STRAY" "$((STRAY + 64))"
} >"$res/kmemleak-off/expected-reports.txt"
echo off >/sys/kernel/debug/kmemleak
finish "$res/kmemleak-off"
