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
# OUT.unavailable instead if this kernel has no kmemleak
kmemleak_scan() {
	if [ -w /sys/kernel/debug/kmemleak ]; then
		echo scan >/sys/kernel/debug/kmemleak
		sleep 6
		echo scan >/sys/kernel/debug/kmemleak
		cat /sys/kernel/debug/kmemleak >"$1"
	else
		echo "kmemleak not available" >"$1.unavailable"
	fi
}

# finish DIR: the kmemleak report and the kernel log of this boot, into DIR
finish() {
	kmemleak_scan "$1/kmemleak.txt"
	dmesg >"$1/dmesg.txt"
	sync
}
