#!/usr/bin/env bash
# Benchmark (not a test): phyr -> dma_vec against sg_alloc_table_from_pages +
# dma_map_sgtable on QEMU's edu behind the emulated intel-iommu, side by side in one run
# inside the guest.  Prints the table of the test bed's phyr_bench.c (ratios are sg_table / phyr).
#   scripts/bench.sh [--release] [SIZE_MB [REPS]]     (default 1024 MiB, best of 3)
# --release builds and boots the release kernel (phyr.config without the debug
# fragment, its own build directory); the default is the test kernel.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ "${1:-}" = --release ] && { set_kernel_kind release; shift; }

size=${1:-1024}
reps=${2:-3}
start_run "bench-$KCONFIG_KIND" --no-userspace
res=$RUN
step "booting the $KCONFIG_KIND kernel (4 GiB, dma_debug=off) and running the benchmark (~5 min)"
# the test kernel: KASAN, lockdep and kmemleak slow both paths alike; DMA-API debug would
# slow the sg_table path more (it tracks every entry), so it is switched off at boot
# (without the KUnit suites: minutes of the test kernel's boot, nothing the bench needs)
VM_MEMORY=4G VM_APPEND="dma_debug=off" VM_KUNIT_FILTER=" kunit.enable=0" VM_OUTPUT=$res/bench.txt \
	boot "$res" --timeout "${BENCH_TIMEOUT:-2400}" -- bash -c \
	"echo $size >/sys/kernel/debug/phyr/bench_size_mb &&
	 echo $reps >/sys/kernel/debug/phyr/bench_reps &&
	 cat /sys/kernel/debug/phyr/bench" || fail "benchmark run failed (console: $res/console.txt)"
echo "kernel: $KCONFIG_KIND ($(grep -c . "$res/kernel.config") config lines), $(date -u +%F), load $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$res/bench.txt"
