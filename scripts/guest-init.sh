#!/bin/bash
# PID 1 of the test guest (scripts/vm.sh).  The root filesystem is the host's, read-only
# over 9p.  Kernel command line:
#   phyr.rw=TAG:PATH,...   9p exports to mount writable at PATH (the same path as on the
#                          host); the first one is the state directory, which holds the
#                          command to run (cmd) and receives its output (out) and exit code (rc)
#   phyr.ro=TAG:PATH,...   the same, read-only (the checkout, which may be under /tmp)
# Then the guest powers off; a missing rc file tells the host that the command never ended.
# Every exec costs ~0.5 s under TCG with KASAN: builtins and static busybox where possible.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp TERM=dumb LANG=C.UTF-8
bb=/bin/busybox

$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t tmpfs tmpfs /tmp
$bb mount -t tmpfs tmpfs /run
$bb mount -t debugfs debugfs /sys/kernel/debug
[ -e /dev/null ] || $bb mount -t devtmpfs devtmpfs /dev

read -r -a args </proc/cmdline
st=
for arg in "${args[@]}"; do
	case "$arg" in
	phyr.rw=*) opt=rw ;;
	phyr.ro=*) opt=ro ;;
	*) continue ;;
	esac
	IFS=, read -r -a mounts <<<"${arg#phyr.r?=}"
	for m in "${mounts[@]}"; do
		[ -d "${m#*:}" ] || $bb mkdir -p "${m#*:}"
		$bb mount -t 9p -o $opt,trans=virtio,version=9p2000.L,msize=262144 \
			"${m%%:*}" "${m#*:}" || echo "guest-init: cannot mount ${m%%:*} at ${m#*:}"
		[ -n "$st" ] || st=${m#*:}
	done
done

if [ -n "$st" ] && [ -f "$st/cmd" ]; then
	cd /tmp || true
	bash "$st/cmd" </dev/null 2>&1 | $bb tee "$st/out"
	echo "${PIPESTATUS[0]}" >"$st/rc"
else
	echo "guest-init: no state directory with a command (phyr.rw=)"
fi
$bb sync
$bb poweroff -f
