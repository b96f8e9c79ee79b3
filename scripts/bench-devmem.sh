#!/usr/bin/env bash
# Benchmark (not a test): TCP send of the same bytes four ways through QEMU's e1000e,
# side by side in one guest run: devmem TX from phyr_vgem device memory (ivshmem's BAR,
# read by the NIC through its IOMMU domain) and from system memory, MSG_ZEROCOPY and
# send() from anonymous memory; throughput and the guest's CPU time per byte, with
# ratios against send() (scripts/guest-devmem.sh, case bench).
#   scripts/bench-devmem.sh [SIZE_MB]   (default 64 MiB)
# Results: docs/performance.md.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

size=${1:-64}
start_run bench-devmem
res=$RUN
step "booting the test kernel (hostbridge topology, two e1000e NICs, no KUnit) and sending $size MiB four ways"
VM_NICS=1 VM_KUNIT_FILTER=" kunit.enable=0" \
	boot "$res" --timeout "${BENCH_TIMEOUT:-3600}" \
	--topology hostbridge --rw "$res" -- \
	env DEVMEM_BENCH_SIZE=$((size << 20)) bash "$TOP/scripts/guest-devmem.sh" "$res" "$UBUILD" bench ||
	fail "benchmark run failed (results: $res, console: $res/console.txt)"
echo "kernel: test kernel ($KCONFIG_KIND: KASAN, lockdep, DMA-API debug), $(date -u +%F), host load $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$res/devmem-bench.txt"
