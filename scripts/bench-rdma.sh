#!/usr/bin/env bash
# Benchmark (not a test): RDMA memory-region registration of a phyr_vgem dma-buf
# (ibv_reg_dmabuf_mr) against ibv_reg_mr of anonymous memory of the same size on the same
# soft-RoCE device, side by side in one guest run, and the peer's RDMA WRITE throughput
# into device and into system memory (phyrbuf rdma bench).  Results: docs/performance.md.
#   scripts/bench-rdma.sh [--release] [SIZE_MB [REPS]]     (default 1024 MiB, 5 rounds)
# --release builds and boots the release kernel (no debug fragment); the default is the
# test kernel (KASAN, lockdep, kmemleak: slower, for both sides alike).
# Registration is timed twice in one boot: the buffers as a fresh guest allocates them
# (long physical runs), then fully fragmented (--fragmented: each allocated right after
# free memory of its kind was fragmented, userspace/tests/common/phyr-frag.h, with
# transparent huge pages off): one physical range per 4 KiB page; each prints the ranges.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ "${1:-}" = --release ] && { set_kernel_kind release; shift; }

size=${1:-1024}
reps=${2:-5}
start_run "bench-rdma-$KCONFIG_KIND"
res=$RUN
# 6 GiB: the two fully fragmented 1 GiB buffers take every second page of 4 GiB, and
# rxe's ibv_reg_mr() of 1 GiB needs 4 MiB of physically contiguous memory (its page info
# is one kmalloc): in 4 GiB that allocation fails (order 10, ENOMEM)
step "booting the $KCONFIG_KIND kernel (6 GiB) and running the RDMA benchmark (~10 min)"
VM_MEMORY=6G VM_APPEND="dma_debug=off" VM_OUTPUT=$res/bench.txt \
	boot "$res" --timeout "${BENCH_TIMEOUT:-2400}" --rw "$UBUILD" -- bash -c \
	"bash $TOP/scripts/guest-rdma.sh >/dev/null &&
	 echo '== as allocated' &&
	 $UBUILD/userspace/phyrbuf/phyrbuf rdma bench --size ${size}M --reps $reps &&
	 for f in /sys/kernel/mm/transparent_hugepage/{enabled,shmem_enabled} \
		  /sys/kernel/mm/transparent_hugepage/hugepages-*/{enabled,shmem_enabled}; do
		echo never >\$f 2>/dev/null || :
	 done &&
	 echo '== fully fragmented (transparent huge pages off)' &&
	 $UBUILD/userspace/phyrbuf/phyrbuf rdma bench --size ${size}M --reps $reps --fragmented" ||
	fail "benchmark run failed (console: $res/console.txt)"
echo "kernel: $KCONFIG_KIND, $(date -u +%F), load $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$res/bench.txt"
