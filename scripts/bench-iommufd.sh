#!/usr/bin/env bash
# Benchmark (not a test): IOMMU_IOAS_MAP_FILE of a phyr_vgem dma-buf (through the
# dma-buf core's IOMMU converter) against IOMMU_IOAS_MAP_FILE of a memfd (iommufd pins
# its folios) and IOMMU_IOAS_MAP of anonymous memory, into an IOAS with edu's domain
# (edu bound to vfio-pci, the emulated intel-iommu), side by side in one guest run.
#   scripts/bench-iommufd.sh [--release] [SIZE_MB [REPS]]   (default 1024 MiB, best of 3)
# Two rounds in one boot: the buffers as a fresh guest allocates them (long physical
# runs, transparent huge pages), then fully fragmented: each allocated right after
# free memory of its kind was fragmented (userspace/tests/common/phyr-frag.h) with
# transparent huge pages off, so that every buffer has one physical range per 4 KiB
# page; each round prints the ranges each buffer got.  Results: docs/performance.md.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ "${1:-}" = --release ] && { set_kernel_kind release; shift; }

size=${1:-1024}
reps=${2:-3}
start_run "bench-iommufd-$KCONFIG_KIND"
res=$RUN
step "booting the $KCONFIG_KIND kernel (4 GiB, dma_debug=off) and running the benchmark"
VM_MEMORY=4G VM_APPEND="dma_debug=off kunit.enable=0" \
	VM_OUTPUT=$res/bench.txt boot "$res" --timeout "${BENCH_TIMEOUT:-2400}" \
	--rw "$UBUILD" -- bash -c '
	for d in /sys/bus/pci/devices/*; do
		[ "$(<$d/vendor)" = 0x1234 ] && [ "$(<$d/device)" = 0x11e8 ] && edu=${d##*/}
	done
	echo vfio-pci >/sys/bus/pci/devices/$edu/driver_override &&
	echo $edu >/sys/bus/pci/drivers_probe && sleep 1 &&
	echo "== as allocated (transparent huge pages: $(</sys/kernel/mm/transparent_hugepage/enabled))" &&
	'"$UBUILD"'/userspace/vfio/bench-iommufd $edu '"$size $reps"' &&
	for f in /sys/kernel/mm/transparent_hugepage/{enabled,shmem_enabled} \
		 /sys/kernel/mm/transparent_hugepage/hugepages-*/{enabled,shmem_enabled}; do
		echo never >"$f" 2>/dev/null || :
	done &&
	echo "== fully fragmented (transparent huge pages off)" &&
	'"$UBUILD"'/userspace/vfio/bench-iommufd --fragmented $edu '"$size $reps" ||
	fail "benchmark run failed (console: $res/console.txt)"
echo "kernel: $KCONFIG_KIND, $(date -u +%F), host load $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$res/bench.txt"
