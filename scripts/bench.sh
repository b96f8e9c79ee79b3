#!/usr/bin/env bash
# Benchmark (not a test): phyr -> dma_vec against sg_alloc_table_from_pages +
# dma_map_sgtable on QEMU's edu behind the emulated intel-iommu, side by side in one run
# inside the guest.  Prints the table of the test bed's phyr_bench.c (ratios are sg_table / phyr).
#   scripts/bench.sh [--release] [SIZE_MB [REPS]]     (default 1024 MiB, best of 3)
#   scripts/bench.sh [--release] --sweep [MAX_MB [REPS]]  (default 2048 MiB, best of 3)
# --release builds and boots the release kernel (phyr.config without the debug
# fragment, its own build directory); the default is the test kernel.
# --sweep reads /sys/kernel/debug/phyr/sweep instead: phyr's build, map, unmap and
# seek per page from 4 MiB to MAX_MB, doubling, fragmented and folio-backed; the guest
# gets MAX_MB + 3 GiB (at least 4 GiB).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ "${1:-}" = --release ] && { set_kernel_kind release; shift; }
sweep=
[ "${1:-}" = --sweep ] && { sweep=1; shift; }

reps=${2:-3}
if [ -n "$sweep" ]; then
	size=${1:-2048}
	# 3 GiB beside the largest size: in a 4 GiB guest the 2 GiB row cost up to 1.5x
	# per page in one run of three (docs/performance.md)
	mem=$(( (size + 1023) / 1024 + 3 ))
	[ "$mem" -ge 4 ] || mem=4
	file=sweep knob=bench_sweep_mb what="sweep to $size MiB"
else
	size=${1:-1024}
	mem=4
	file=bench knob=bench_size_mb what="benchmark (~5 min)"
fi
start_run "bench-$KCONFIG_KIND" --no-userspace
res=$RUN
step "booting the $KCONFIG_KIND kernel ($mem GiB, dma_debug=off) and running the $what"
# the test kernel: KASAN, lockdep and kmemleak slow both paths alike; DMA-API debug would
# slow the sg_table path more (it tracks every entry), so it is switched off at boot
# (without the KUnit suites: minutes of the test kernel's boot, nothing the bench needs)
VM_MEMORY=${mem}G VM_APPEND="dma_debug=off" VM_KUNIT_FILTER=" kunit.enable=0" \
	VM_OUTPUT=$res/bench.txt boot "$res" --timeout "${BENCH_TIMEOUT:-2400}" -- bash -c \
	"echo $size >/sys/kernel/debug/phyr/$knob &&
	 echo $reps >/sys/kernel/debug/phyr/bench_reps &&
	 cat /sys/kernel/debug/phyr/$file" || fail "benchmark run failed (console: $res/console.txt)"
echo "kernel: $KCONFIG_KIND ($(grep -c . "$res/kernel.config") config lines), $(date -u +%F), load $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$res/bench.txt"
