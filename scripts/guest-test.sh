#!/bin/bash
# Runs inside the guest (scripts/vm.sh): every in-guest test layer, results into $1.
#   guest-test.sh RESULTS_DIR USERSPACE_BUILD_DIR
# KUnit suites ran at boot; their KTAP output is in the kernel log saved at the end.
res=$1
ub=$2
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug

{
	echo "kernel: $(uname -r)"
	lspci -nn 2>/dev/null || ls /sys/bus/pci/devices
	ls /sys/class/iommu 2>/dev/null
	# a veth pair with soft-RoCE on one end, for the RDMA importer's tests
	ip link add veth0 type veth peer name veth1 &&
		ip addr add 10.77.0.1/24 dev veth0 && ip addr add 10.77.0.2/24 dev veth1 &&
		ip link set veth0 up && ip link set veth1 up && ip link set lo up &&
		rdma link add rxe0 type rxe netdev veth0 && rdma link show
} >"$res/setup.txt" 2>&1
echo $? >"$res/setup.rc"

# userspace tests (meson test), built on the host
if [ -f "$ub/build.ninja" ]; then
	meson test -C "$ub" --no-rebuild --print-errorlogs --timeout-multiplier 4 \
		>"$res/meson.txt" 2>&1
	echo $? >"$res/meson.rc"
	cp "$ub/meson-logs/testlog.json" "$res/meson-testlog.json" 2>/dev/null
fi

# IGT tests: every executable meson built under igt-tests/
for t in "$ub"/igt-tests/*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	name=$(basename "$t")
	IGT_FORCE_DRIVER=phyr_vgem IGT_PLAIN_OUTPUT=1 timeout -k 5 300 "$t" \
		>"$res/igt-$name.txt" 2>&1
	echo $? >"$res/igt-$name.rc"
done

# kmemleak: two scans, a report of anything unreferenced
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak >"$res/kmemleak.txt"
else
	echo "kmemleak not available" >"$res/kmemleak.unavailable"
fi

dmesg >"$res/dmesg.txt"
sync
