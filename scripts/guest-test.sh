#!/bin/bash
# Runs inside the guest (scripts/vm.sh): every in-guest test layer, results into $1.
#   guest-test.sh RESULTS_DIR USERSPACE_BUILD_DIR
# KUnit suites ran at boot; their KTAP output is in the kernel log saved at the end.
# What must run, and which skips are expected, is in scripts/expected/ (results.py).
# Every program's exit code goes into LAYER.rc or LAYER.PROG.rc, which results.py reads:
# a program that printed its results and then crashed fails its layer.
res=$1
ub=$2
. "$(dirname "$0")/guest-lib.sh"

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
# the tests fail, rather than skip, where the driver or a device is missing
export PHYR_REQUIRE_DEVICE=1
# and IGT's slow subtests run too (fence-timeout: 10 s)
export PHYR_VGEM_SLOW_TESTS=1

{
	echo "kernel: $(uname -r), topology $(guest_topology)"
	lspci -nn 2>/dev/null || ls /sys/bus/pci/devices
	ls /sys/class/iommu 2>/dev/null
	# soft-RoCE on both ends of a veth pair, the peer's in another network namespace,
	# for the RDMA tests
	bash "$(dirname "$0")/guest-rdma.sh"
} >"$res/setup.txt" 2>&1
echo $? >"$res/rdma.setup.rc"

# userspace tests (meson test), built on the host
if [ -f "$ub/build.ninja" ]; then
	# a log of an earlier run must not pass for this one's
	rm -f "$ub/meson-logs/testlog.json"
	meson test -C "$ub" --no-rebuild --print-errorlogs --timeout-multiplier 4 \
		>"$res/meson.txt" 2>&1
	echo $? >"$res/userspace.rc"
	cp "$ub/meson-logs/testlog.json" "$res/meson-testlog.json" 2>/dev/null
fi

# stress: threads migrate, map, export, import, fence and churn shared buffers while
# edu writes one by DMA (the kernel's edu test importer); 60 s on the debug kernel
if [ -x "$ub/userspace/stress/phyr-stress" ]; then
	timeout -k 5 300 "$ub/userspace/stress/phyr-stress" --seconds "${PHYR_STRESS_SECONDS:-60}" \
		--results "$res/results-stress.txt" >"$res/stress.txt" 2>&1
	echo $? >"$res/stress.rc"
fi

# IGT tests: every executable meson built under igt-tests/, each with the list of
# subtests it says it has (a subtest that never reports is then seen)
for t in "$ub"/igt-tests/*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	name=${t##*/}
	"$t" --list-subtests >"$res/igt-$name.list" 2>/dev/null
	IGT_FORCE_DRIVER=phyr_vgem IGT_PLAIN_OUTPUT=1 timeout -k 5 300 "$t" \
		>"$res/igt-$name.txt" 2>&1
	echo $? >"$res/igt.$name.rc"
done

# fault-injection sweeps of phyr_vgem's uAPI: results-faults.txt, per-path counts in faults.log
timeout -k 5 600 "$ub/userspace/tests/phyr-faults" "$res" >"$res/faults.log" 2>&1
echo $? >"$res/faults.rc"
# the Mesa client: EGL on GBM imports phyr_vgem buffers (the "mesa" layer, one result
# line per case into results-mesa.txt); then a buffer that phyrbuf keeps alive is handed
# to it through "alloc ... -- CMD"
mesa=$ub/userspace/mesa/phyr-egl-test
if [ -x "$mesa" ]; then
	export MESA_SHADER_CACHE_DISABLE=true
	: >"$res/results-mesa.txt"
	for c in $("$mesa" --list); do
		timeout -k 5 300 "$mesa" "$c" >"$res/mesa-$c.txt" 2>&1
		rc=$?
		# a skip gives its reason: the last line the case printed
		why=
		while IFS= read -r l; do [ -n "$l" ] && why=$l; done <"$res/mesa-$c.txt"
		case $rc in 0) st=PASS why= ;; 77) st=SKIP ;; *) st=FAIL why="exit $rc: $why" ;; esac
		echo "$st mesa-$c${why:+ $why}" >>"$res/results-mesa.txt"
	done
	timeout -k 5 300 "$ub/userspace/phyrbuf/phyrbuf" alloc --width 160 --height 90 \
		--format XRGB8888 --placement device -- "$mesa" external \
		>"$res/mesa-phyrbuf-handoff.txt" 2>&1
	rc=$?
	case $rc in 0) st=PASS why= ;; *) st=FAIL why=" exit $rc" ;; esac
	echo "$st mesa-phyrbuf-handoff$why" >>"$res/results-mesa.txt"
fi
bash "$(dirname "$0")/guest-rdma-core.sh" "$res" "$ub"	# rdma-core: plain ibverbs apps, pyverbs' dma-buf tests
# rdma: dma-buf memory regions on soft-RoCE (rxe0 registers phyr_vgem buffers, rxe1 is
# the peer); after the others, since its revoke test unplugs an ivshmem device (and rescans it)
if [ -x "$ub/userspace/rdma/phyr-rdma-test" ]; then
	timeout -k 5 900 "$ub/userspace/rdma/phyr-rdma-test" --results "$res/results-rdma.txt" \
		--phyrbuf "$ub/userspace/phyrbuf/phyrbuf" >"$res/rdma.txt" 2>&1
	echo $? >"$res/rdma.rc"
fi
# iommufd: upstream's selftests, and the end-to-end tests with edu behind VFIO
# (layers iommufd-selftests and vfio; last, since they rebind edu and unplug an ivshmem)
bash "$(dirname "$0")/guest-iommufd.sh" "$res" "$ub"

finish "$res"
