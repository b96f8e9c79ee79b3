#!/bin/bash
# Inside the guest: the layer rdma-core (results-rdma-core.txt, the exit codes in
# rdma-core.PROG.rc), ordinary ibverbs applications on the system's rdma-core (ours,
# scripts/rdma-core.sh), run with an empty environment:
#   ibverbs-app/system, ibverbs-app/device: ibv-dmabuf-rc (userspace/rdma), RC WRITE
#     and READ through a phyr_vgem buffer of each placement, rxe0 and its peer rxe1;
#   pyverbs-device/..., pyverbs-system/...: rdma-core's own dma-buf tests
#     (test_mr.DmaBufMRTest, test_mr.DmaBufTestCase, python3-pyverbs) on rxe0, their
#     buffers from the phyr_vgem device with device memory: VRAM (the default) is its
#     device memory, --gtt system memory (pyverbs/dmabuf_alloc.c, our patch).
#   guest-rdma-core.sh RESULTS_DIR USERSPACE_BUILD_DIR
res=$1
ub=$2
here=$(dirname "$0")
out=$res/results-rdma-core.txt
log=$res/rdma-core.txt
clean=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin)
: >"$out"

{
	bash "$here/guest-rdma.sh" >/dev/null 2>&1 || echo "guest-rdma.sh failed"
	for p in system device; do
		echo "== ibv-dmabuf-rc --placement $p"
		"${clean[@]}" timeout -k 5 300 "$ub/userspace/rdma/ibv-dmabuf-rc" --placement $p
		rc=$?
		echo $rc >"$res/rdma-core.ibv-dmabuf-rc-$p.rc"
		case $rc in 0) echo "PASS ibverbs-app/$p" ;; *) echo "FAIL ibverbs-app/$p (log: rdma-core.txt)" ;; esac >>"$out"
	done

	# the render node of the first phyr_vgem device with device memory, rxe0's
	# RoCE v2 IPv4 GID (the suite would pick the first GID of any address)
	node=$("$ub/userspace/phyrbuf/phyrbuf" --json info | python3 -c '
import json, sys
print(next(d["render_node"] for d in json.load(sys.stdin)["devices"] if d["device_size"]))')
	gpu=$((${node#/dev/dri/renderD} - 128))
	gid=
	for g in /sys/class/infiniband/rxe0/ports/1/gids/*; do
		read -r v <"$g"
		t=
		read -r t <"/sys/class/infiniband/rxe0/ports/1/gid_attrs/types/${g##*/}" 2>/dev/null
		case "$v $t" in 0000:0000:0000:0000:0000:ffff:*" RoCE v2") gid=${g##*/}; break ;; esac
	done
	echo "== rdma-core's tests on rxe0 (GID index $gid), buffers from $node (--gpu $gpu)"
	"${clean[@]}" PYTHONDONTWRITEBYTECODE=1 timeout -k 5 1800 python3 \
		"$here/../userspace/rdma-core/pyverbs-results.py" "$out" \
		pyverbs-device pyverbs-system:--gtt -- --dev rxe0 --port 1 --gid "$gid" \
		--gpu "$gpu" test_mr.DmaBufMRTest test_mr.DmaBufTestCase
	rc=$?
	echo $rc >"$res/rdma-core.pyverbs.rc"
	echo "exit $rc"
} >"$log" 2>&1
