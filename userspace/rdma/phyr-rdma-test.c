// SPDX-License-Identifier: MIT
/*
 * phyr-rdma-test: phyr_vgem buffers as RDMA memory regions on soft-RoCE, the
 * "rdma" layer of the test command (scripts/guest-test.sh).
 *
 *   phyr-rdma-test [--results FILE] [--nic DEV] [--peer DEV] [--phyrbuf PATH]
 *                  [--only NAME]
 *
 * The "NIC" (rxe0) registers a buffer with ibv_reg_dmabuf_mr() (through
 * libphyrbuf); the peer (rxe1, on the other end of a veth pair, in another
 * network namespace) writes into it, reads it, sends to it, and keeps writing
 * while the buffer is migrated, revoked (its device unplugged) and closed.
 * Every result is checked through the buffer's own mmap, never through the
 * code under test.  One "PASS|FAIL|SKIP rdma/NAME [why]" line per test.
 *
 * Copyright 2026 The phyr developers
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <grp.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/udmabuf.h>

#include <infiniband/verbs.h>

#include "phyrbuf.h"
#include "phyr-test.h"
#include "rdma-pair.h"

#define IOVA		0x40000000ULL
#define PEER_LEN	(64u << 20)
#define DEPTH		16
#define GUARD		4096
#define RW		(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			 IBV_ACCESS_REMOTE_READ)

static const char *nic_name = "rxe0", *peer_name = "rxe1", *phyrbuf_path;
static struct rp_dev nic, peer;
static struct rp_qp nq, pq;
static uint8_t *pbuf;		/* the peer's memory */
static struct ibv_mr *pmr;

/* ---- checks ---- */

/* a failed check (phyr-test's CHECK): the first one is the case's reason */
#define note(...)	pt_fail(__FILE__, __LINE__, __VA_ARGS__)
#define CHECK_OK(ret, what)	do { int __r = (ret); \
	if (__r) note("%s: %s", what, strerror(-__r)); } while (0)

static const char *st(int status)
{
	return status < 0 ? strerror(-status) : ibv_wc_status_str(status);
}

/* ---- buffers ---- */

struct buf {
	struct phyrbuf_dev *dev;
	struct phyrbuf_bo *bo;
	uint8_t *map;
	uint64_t size;
	int fd;			/* its dma-buf, for debugfs */
};

static int buf_new(struct buf *b, uint32_t placement, uint64_t size, uint32_t flags)
{
	int ret;

	memset(b, 0, sizeof(*b));
	b->fd = -1;
	b->size = size;
	/*
	 * a device with device memory also for system memory, so that tests can
	 * migrate the buffer (PHYRBUF_ANY alone may give the faux device)
	 */
	ret = phyrbuf_open(PHYRBUF_ANY, PHYRBUF_OPEN_DEVICE_MEMORY, &b->dev);
	if (ret && placement == PHYRBUF_PLACEMENT_SYSTEM)
		ret = phyrbuf_open(PHYRBUF_ANY, 0, &b->dev);
	if (!ret)
		ret = phyrbuf_bo_create(b->dev, size, placement, flags, &b->bo);
	if (!ret)
		ret = phyrbuf_bo_mmap(b->bo, (void **)&b->map);
	if (!ret)
		ret = phyrbuf_bo_export(b->bo, &b->fd);
	return ret;
}

static void buf_free(struct buf *b)
{
	if (b->fd >= 0)
		close(b->fd);
	if (b->map)
		phyrbuf_bo_munmap(b->bo, b->map);
	if (b->bo)
		phyrbuf_bo_close(b->bo);
	if (b->dev)
		phyrbuf_close(b->dev);
	memset(b, 0, sizeof(*b));
	b->fd = -1;
}

static uint64_t device_free(void)
{
	struct phyrbuf_dev_info di;
	struct phyrbuf_dev *d;

	if (phyrbuf_open(PHYRBUF_ANY, PHYRBUF_OPEN_DEVICE_MEMORY, &d))
		return 0;
	phyrbuf_dev_info(d, &di);
	phyrbuf_close(d);
	return di.device_free;
}

/* ---- operations by the peer and the NIC, waited for ---- */

static int peer_op(enum ibv_wr_opcode op, uint64_t off, uint64_t len, uint32_t rkey)
{
	return rp_transfer(&pq, op, pmr, (uintptr_t)pbuf, IOVA + off, rkey, len, 1u << 20);
}

/*
 * How long one completion may take: a single message of up to 64 MiB, which
 * rxe moves at ~4.5 MB/s under TCG and at a quarter of that on a loaded host
 * (a 64 MiB SEND once took more than 60 s).
 */
#define COMPLETION_MS	180000

/* wait for @n completions of @q, all successful; the first bad status */
static int wait_all(struct rp_qp *q, int n)
{
	struct ibv_wc wc;
	int bad = 0, ret;

	while (n--) {
		ret = rp_poll(q, &wc, COMPLETION_MS);
		if (ret)
			return ret;
		if (wc.status && !bad)
			bad = wc.status;
	}
	return bad;
}

/* a SEND of @len bytes from @from into a receive posted on @to */
static int send_recv(struct rp_qp *from, struct ibv_mr *fmr, uint64_t faddr,
		     struct rp_qp *to, struct ibv_mr *tmr, uint64_t taddr,
		     uint64_t len)
{
	int ret = rp_post_recv(to, tmr, taddr, len, 1);

	if (!ret)
		ret = rp_post(from, IBV_WR_SEND, fmr, faddr, len, 0, 0, 2);
	if (ret)
		return ret;
	ret = wait_all(from, 1);
	return wait_all(to, 1) ?: ret;
}

static void reset_qps(void)
{
	int ret = rp_pair_reset(&nq, &pq);

	if (ret)
		note("recreating the queue pairs: %s", strerror(-ret));
}

/* [off, off + len) of the buffer holds @want; GUARD bytes around as @shadow */
static void check_range(struct buf *b, const uint8_t *shadow, uint64_t off,
			uint64_t len, const char *what)
{
	uint64_t lo = off > GUARD ? off - GUARD : 0;
	uint64_t hi = off + len + GUARD < b->size ? off + len + GUARD : b->size;
	uint64_t i;

	for (i = lo; i < hi; i++)
		if (b->map[i] != shadow[i])
			break;
	CHECK(i == hi, "%s of %" PRIu64 " at %" PRIu64 ": byte %" PRIu64 " is %#x, not %#x",
	      what, len, off, i, i < hi ? b->map[i] : 0, i < hi ? shadow[i] : 0);
}

/*
 * Every copy path of rxe on one (offset, length): the peer's RDMA WRITE, RDMA
 * READ and SEND into the region (the responder), and the NIC's SEND from it,
 * RDMA WRITE from it and RDMA READ into it (requester and completer).
 */
static void all_paths(struct buf *b, struct ibv_mr *mr, uint8_t *shadow,
		      uint64_t off, uint64_t len, unsigned int seed, bool all)
{
	int ret;

	pt_fill_bytes(pbuf, 0, len, seed);
	ret = peer_op(IBV_WR_RDMA_WRITE, off, len, mr->rkey);
	CHECK(!ret, "peer RDMA WRITE %" PRIu64 "@%" PRIu64 ": %s", len, off, st(ret));
	memcpy(shadow + off, pbuf, len);
	check_range(b, shadow, off, len, "RDMA WRITE");

	memset(pbuf, 0, len);
	ret = peer_op(IBV_WR_RDMA_READ, off, len, mr->rkey);
	CHECK(!ret && !memcmp(pbuf, shadow + off, len),
	      "peer RDMA READ %" PRIu64 "@%" PRIu64 ": %s", len, off, st(ret));

	pt_fill_bytes(pbuf, 0, len, seed + 1000);
	ret = send_recv(&pq, pmr, (uintptr_t)pbuf, &nq, mr, IOVA + off, len);
	CHECK(!ret, "SEND %" PRIu64 " into the region at %" PRIu64 ": %s", len, off, st(ret));
	memcpy(shadow + off, pbuf, len);
	check_range(b, shadow, off, len, "SEND into");
	if (!all)
		return;

	memset(pbuf, 0, len);
	ret = send_recv(&nq, mr, IOVA + off, &pq, pmr, (uintptr_t)pbuf, len);
	CHECK(!ret && !memcmp(pbuf, shadow + off, len),
	      "SEND %" PRIu64 " from the region at %" PRIu64 ": %s", len, off, st(ret));

	memset(pbuf, 0, len);
	ret = rp_post(&nq, IBV_WR_RDMA_WRITE, mr, IOVA + off, len, (uintptr_t)pbuf,
		      pmr->rkey, 3);
	ret = ret ?: wait_all(&nq, 1);
	CHECK(!ret && !memcmp(pbuf, shadow + off, len),
	      "NIC RDMA WRITE of %" PRIu64 " from the region at %" PRIu64 ": %s",
	      len, off, st(ret));

	pt_fill_bytes(pbuf, 0, len, seed + 2000);
	ret = rp_post(&nq, IBV_WR_RDMA_READ, mr, IOVA + off, len, (uintptr_t)pbuf,
		      pmr->rkey, 4);
	ret = ret ?: wait_all(&nq, 1);
	CHECK(!ret, "NIC RDMA READ of %" PRIu64 " into the region at %" PRIu64 ": %s",
	      len, off, st(ret));
	memcpy(shadow + off, pbuf, len);
	check_range(b, shadow, off, len, "RDMA READ into");
}

static int reg(struct buf *b, uint64_t off, uint64_t len, uint64_t iova,
	       int access, struct ibv_mr **mr)
{
	return phyrbuf_bo_reg_mr(b->bo, nic.pd, off, len, iova, access, mr);
}

static void check_importer(struct buf *b, const char *want)
{
	char line[256] = "";
	int n = rp_dmabuf_importers(b->fd, line, sizeof(line));

	CHECK(n >= 0 && strstr(line, want), "importers '%s' (want '%s')", line, want);
}

/* ---- the tests ---- */

/*
 * The two devices: different GIDs, the peer's on a netdev that is not in
 * this network namespace, and a 4 KiB RDMA WRITE over the link.
 */
static void test_devices(void)
{
	uint8_t *src = malloc(4096);
	char a[64], b[64], path[256], ndev[64] = "";
	struct ibv_mr *smr = NULL;
	FILE *f;
	int ret;

	CHECK(memcmp(&nic.gid, &peer.gid, sizeof(nic.gid)),
	      "%s and %s have one GID", nic_name, peer_name);
	snprintf(path, sizeof(path), "/sys/class/infiniband/%s/ports/1/gid_attrs/ndevs/%d",
		 peer_name, peer.gid_index);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(ndev, sizeof(ndev), f))
			ndev[0] = '\0';
		ndev[strcspn(ndev, "\n")] = '\0';
		fclose(f);
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s", ndev);
	printf("    %s %s <-> %s %s (netdev %s), QP %u <-> %u\n", nic.name,
	       rp_gid_str(&nic.gid, a, sizeof(a)), peer.name,
	       rp_gid_str(&peer.gid, b, sizeof(b)), ndev, nq.qp->qp_num, pq.qp->qp_num);
	CHECK(ndev[0] && access(path, F_OK), "%s's netdev '%s' is in another network namespace",
	      peer_name, ndev);
	if (src)
		smr = ibv_reg_mr(nic.pd, src, 4096, IBV_ACCESS_LOCAL_WRITE);
	CHECK(smr, "a 4 KiB MR on %s", nic_name);
	if (smr) {
		pt_fill_bytes(src, 0, 4096, 9);
		memset(pbuf, 0, 4096);
		ret = rp_post(&nq, IBV_WR_RDMA_WRITE, smr, (uintptr_t)src, 4096,
			      (uintptr_t)pbuf, pmr->rkey, 1);
		ret = ret ?: wait_all(&nq, 1);
		CHECK(!ret && !memcmp(pbuf, src, 4096), "a 4 KiB RDMA WRITE to the peer: %s",
		      st(ret));
		ibv_dereg_mr(smr);
	}
	free(src);
}

static void transfers(uint32_t placement)
{
	uint64_t size = 64u << 20, cases[][2] = {
		{ 0, 1 }, { 1, 2 }, { 4095, 2 }, { 4095, 4097 }, { 4096, 4096 },
		{ 8191, 65536 + 3 }, { 12345, (1u << 20) + 1 }, { 0, 0 /* end */ },
	};
	struct ibv_mr *mr = NULL;
	uint8_t *shadow = NULL;
	struct buf b;
	unsigned int i;
	int ret;

	if (placement == PHYRBUF_PLACEMENT_DEVICE) {
		uint64_t avail = device_free();

		while (size > (1u << 20) && size > avail)
			size >>= 1;
	}
	ret = buf_new(&b, placement, size, 0);
	if (ret) {
		note("a %" PRIu64 "-byte buffer: %s", size, strerror(-ret));
		return;
	}
	printf("    %" PRIu64 " MiB in %s memory\n", size >> 20, phyrbuf_placement_name(placement));
	shadow = calloc(1, size);
	ret = reg(&b, 0, size, IOVA, RW, &mr);
	if (ret || !shadow) {
		note("ibv_reg_dmabuf_mr of %" PRIu64 " bytes: %s", size, strerror(-ret));
		goto out;
	}
	check_importer(&b, placement == PHYRBUF_PLACEMENT_DEVICE ? "cpu_access" :
		       "cpu_access(bridge)");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		all_paths(&b, mr, shadow, cases[i][0], cases[i][1] ? cases[i][1] : 7,
			  10 * i, true);
	/* the end of the region: the last byte, the last page and then some */
	all_paths(&b, mr, shadow, size - 1, 1, 100, true);
	all_paths(&b, mr, shadow, size - 4097, 4097, 101, true);
	all_paths(&b, mr, shadow, size - 7, 7, 102, false);
	/* 16 MiB, and the whole buffer */
	all_paths(&b, mr, shadow, 3, 16u << 20, 103, false);
	if (size <= PEER_LEN)
		all_paths(&b, mr, shadow, 0, size, 104, false);
	/* everything else unchanged */
	CHECK(!memcmp(b.map, shadow, size), "the whole buffer is as written");
out:
	if (mr)
		ibv_dereg_mr(mr);
	free(shadow);
	buf_free(&b);
}

static void test_system(void)
{
	transfers(PHYRBUF_PLACEMENT_SYSTEM);
}

static void test_device(void)
{
	transfers(PHYRBUF_PLACEMENT_DEVICE);
}

/* The buffer offsets where device memory ranges meet (debugfs "buffers"). */
static int range_starts(struct buf *b, uint64_t *starts, int max)
{
	struct phyrbuf_dev_info di;
	char path[128], line[256], ino[32];
	uint64_t off = 0;
	bool mine = false;
	struct stat s;
	int n = 0;
	FILE *f;

	phyrbuf_dev_info(b->dev, &di);
	if (fstat(b->fd, &s))
		return -errno;
	snprintf(ino, sizeof(ino), "dmabuf-ino %" PRIu64, (uint64_t)s.st_ino);
	/* debugfs names the device by its primary node's minor (cardN) */
	snprintf(path, sizeof(path), "/sys/kernel/debug/dri/%s/buffers",
		 strrchr(di.primary_node, 'd') + 1);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long phys, len;

		if (line[0] != '\t') {
			line[strcspn(line, "\n")] = '\0';
			mine = strstr(line, ino) && !strcmp(strstr(line, ino), ino);
			continue;
		}
		if (mine && sscanf(line, "\tmmio %llx+%llx", &phys, &len) == 2) {
			if (n && n < max)
				starts[n - 1] = off;
			off += len;
			n++;
		}
	}
	fclose(f);
	return n;
}

/*
 * Device memory made of several ranges (the buddy allocator's holes):
 * operations that straddle every range boundary land right.
 */
static void test_device_ranges(void)
{
	struct buf holes[8], b;
	struct ibv_mr *mr = NULL;
	struct phyrbuf_bo_info info;
	uint64_t starts[16], size = (4u << 20) + 8192;
	uint8_t *shadow;
	int n, i, ret;

	memset(holes, 0, sizeof(holes));
	for (i = 0; i < 8; i++)
		CHECK_OK(buf_new(&holes[i], PHYRBUF_PLACEMENT_DEVICE, 1u << 20, 0), "a 1 MiB buffer");
	for (i = 1; i < 8; i += 2)
		buf_free(&holes[i]);
	ret = buf_new(&b, PHYRBUF_PLACEMENT_DEVICE, size, 0);
	if (ret) {
		note("a fragmented buffer: %s", strerror(-ret));
		goto out;
	}
	ret = phyrbuf_bo_query(b.bo, &info);
	n = range_starts(&b, starts, 16);
	printf("    %" PRIu64 " bytes in %" PRIu64 " ranges, %d boundaries\n", size,
	       (uint64_t)info.nr_ranges, n - 1);
	CHECK(!ret && info.nr_ranges >= 2, "a buffer of several ranges (%" PRIu64 ")",
	      (uint64_t)info.nr_ranges);
	CHECK(n == (int)info.nr_ranges, "debugfs lists %d ranges", n);
	shadow = calloc(1, size);
	ret = reg(&b, 0, size, IOVA, RW, &mr);
	CHECK_OK(ret, "ibv_reg_dmabuf_mr");
	for (i = 0; !ret && shadow && i < n - 1 && i < 15; i++) {
		all_paths(&b, mr, shadow, starts[i] - 5, 10, 200 + i, true);
		all_paths(&b, mr, shadow, starts[i] - 4099, 8198, 300 + i, true);
	}
	if (shadow)
		CHECK(!memcmp(b.map, shadow, size), "the whole buffer is as written");
	if (mr)
		ibv_dereg_mr(mr);
	free(shadow);
	buf_free(&b);
out:
	for (i = 0; i < 8; i++)
		buf_free(&holes[i]);
}

/*
 * A region on part of a buffer: operations up to its last byte work; one
 * byte beyond it, or before its start, is a remote access error and writes
 * nothing (checked through the buffer's mmap).
 */
static void test_mr_end(void)
{
	const uint64_t off = 3 * 4096, len = (1u << 20) + 123;
	uint32_t placements[] = { PHYRBUF_PLACEMENT_SYSTEM, PHYRBUF_PLACEMENT_DEVICE };
	unsigned int p;

	for (p = 0; p < 2; p++) {
		struct ibv_mr *mr = NULL;
		uint8_t *before;
		struct buf b;
		int ret;

		ret = buf_new(&b, placements[p], 4u << 20, 0);
		if (ret) {
			note("buffer: %s", strerror(-ret));
			continue;
		}
		memset(b.map, 0xee, b.size);
		before = malloc(b.size);
		memcpy(before, b.map, b.size);
		ret = reg(&b, off, len, IOVA, RW, &mr);
		CHECK_OK(ret, "ibv_reg_dmabuf_mr of a part");
		if (ret)
			goto next;
		/* the last 1000 bytes: fine */
		pt_fill_bytes(pbuf, 0, 1000, 7);
		ret = peer_op(IBV_WR_RDMA_WRITE, len - 1000, 1000, mr->rkey);
		CHECK(!ret, "WRITE up to the region's end: %s", st(ret));
		memcpy(before + off + len - 1000, pbuf, 1000);
		CHECK(!memcmp(b.map, before, b.size), "WRITE up to the end landed");
		/* one byte more */
		pt_fill_bytes(pbuf, 0, 11, 8);
		ret = peer_op(IBV_WR_RDMA_WRITE, len - 10, 11, mr->rkey);
		CHECK(ret == IBV_WC_REM_ACCESS_ERR, "WRITE past the end: %s", st(ret));
		reset_qps();
		CHECK(!memcmp(b.map, before, b.size), "WRITE past the end wrote nothing");
		ret = peer_op(IBV_WR_RDMA_READ, len - 1, 2, mr->rkey);
		CHECK(ret == IBV_WC_REM_ACCESS_ERR, "READ past the end: %s", st(ret));
		reset_qps();
		ret = rp_transfer(&pq, IBV_WR_RDMA_WRITE, pmr, (uintptr_t)pbuf,
				  IOVA - 1, mr->rkey, 2, 4096);
		CHECK(ret == IBV_WC_REM_ACCESS_ERR, "WRITE before the start: %s", st(ret));
		reset_qps();
		CHECK(!memcmp(b.map, before, b.size), "WRITE before the start wrote nothing");
		/* and the region still works */
		pt_fill_bytes(pbuf, 0, 64, 9);
		ret = peer_op(IBV_WR_RDMA_WRITE, 0, 64, mr->rkey);
		CHECK(!ret && !memcmp(b.map + off, pbuf, 64), "WRITE at the start: %s", st(ret));
next:
		if (mr)
			ibv_dereg_mr(mr);
		free(before);
		buf_free(&b);
	}
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void wr64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* one atomic by the peer: its status; the old value in pbuf[0..8) */
static int atomic(enum ibv_wr_opcode op, uint64_t off, uint32_t rkey,
		  uint64_t compare_add, uint64_t swap)
{
	int ret;

	memset(pbuf, 0, 8);
	ret = rp_post_atomic(&pq, op, pmr, (uintptr_t)pbuf, IOVA + off, rkey,
			     compare_add, swap, 1);
	return ret ?: wait_all(&pq, 1);
}

/*
 * Remote atomics need CPU RAM: on system memory they work; a move of the
 * buffer to device memory is undone by the region's next atomic (the
 * buffer comes back), and registering a buffer that is in device memory
 * moves it to system memory, contents and all (one rule); a misaligned one
 * is refused.  ATOMIC WRITE, which needs only write access, works in device
 * memory too.
 */
static void test_atomics(void)
{
	const int acc = RW | IBV_ACCESS_REMOTE_ATOMIC;
	struct phyrbuf_bo_info info;
	struct ibv_mr *mr = NULL;
	struct buf b;
	int ret;

	ret = buf_new(&b, PHYRBUF_PLACEMENT_SYSTEM, 1u << 20, 0);
	if (ret) {
		note("buffer: %s", strerror(-ret));
		return;
	}
	ret = reg(&b, 0, b.size, IOVA, acc, &mr);
	CHECK_OK(ret, "ibv_reg_dmabuf_mr with remote atomics");
	if (ret)
		goto out;
	check_importer(&b, "cpu_access");
	wr64(b.map + 4096, 100);
	ret = atomic(IBV_WR_ATOMIC_FETCH_AND_ADD, 4096, mr->rkey, 5, 0);
	CHECK(!ret && rd64(pbuf) == 100 && rd64(b.map + 4096) == 105,
	      "FETCH_ADD: %s, old %" PRIu64 ", now %" PRIu64, st(ret), rd64(pbuf),
	      rd64(b.map + 4096));
	ret = atomic(IBV_WR_ATOMIC_CMP_AND_SWP, 4096, mr->rkey, 105, 7);
	CHECK(!ret && rd64(pbuf) == 105 && rd64(b.map + 4096) == 7,
	      "CMP_SWAP: %s, old %" PRIu64 ", now %" PRIu64, st(ret), rd64(pbuf),
	      rd64(b.map + 4096));
	ret = atomic(IBV_WR_ATOMIC_CMP_AND_SWP, 4096, mr->rkey, 1, 9);
	CHECK(!ret && rd64(pbuf) == 7 && rd64(b.map + 4096) == 7,
	      "CMP_SWAP that does not match: %s, now %" PRIu64, st(ret), rd64(b.map + 4096));
	ret = atomic(IBV_WR_ATOMIC_FETCH_AND_ADD, 4097, mr->rkey, 1, 0);
	CHECK(ret && ret != IBV_WC_SUCCESS, "misaligned FETCH_ADD refused: %s", st(ret));
	reset_qps();
	CHECK(rd64(b.map + 4096) == 7, "misaligned FETCH_ADD changed nothing");

	/* moved to device memory: the next atomic brings it back */
	ret = phyrbuf_bo_migrate(b.bo, PHYRBUF_PLACEMENT_DEVICE);
	CHECK_OK(ret, "migrate to device memory");
	ret = phyrbuf_bo_query(b.bo, &info);
	CHECK(!ret && info.placement == PHYRBUF_PLACEMENT_DEVICE, "in device memory");
	ret = atomic(IBV_WR_ATOMIC_FETCH_AND_ADD, 4096, mr->rkey, 1, 0);
	CHECK(!ret && rd64(pbuf) == 7 && rd64(b.map + 4096) == 8,
	      "FETCH_ADD after the move: %s, old %" PRIu64 ", now %" PRIu64, st(ret),
	      rd64(pbuf), rd64(b.map + 4096));
	ret = phyrbuf_bo_query(b.bo, &info);
	CHECK(!ret && info.placement == PHYRBUF_PLACEMENT_SYSTEM,
	      "the atomic moved the buffer back to system memory (now %s)",
	      phyrbuf_placement_name(info.placement));
	ibv_dereg_mr(mr);
	mr = NULL;
	buf_free(&b);

	/* registered while in device memory: the registration brings it to RAM */
	ret = buf_new(&b, PHYRBUF_PLACEMENT_DEVICE, 1u << 20, 0);
	CHECK_OK(ret, "a device-memory buffer");
	if (ret)
		goto out;
	wr64(b.map + 8192, 41);
	ret = reg(&b, 0, b.size, IOVA, acc, &mr);
	CHECK_OK(ret, "ibv_reg_dmabuf_mr with remote atomics on device memory");
	if (ret)
		goto out;
	ret = phyrbuf_bo_query(b.bo, &info);
	CHECK(!ret && info.placement == PHYRBUF_PLACEMENT_SYSTEM,
	      "the registration moved the buffer to system memory (now %s)",
	      phyrbuf_placement_name(info.placement));
	ret = atomic(IBV_WR_ATOMIC_FETCH_AND_ADD, 8192, mr->rkey, 1, 0);
	CHECK(!ret && rd64(pbuf) == 41 && rd64(b.map + 8192) == 42,
	      "FETCH_ADD on what device memory held: %s, old %" PRIu64 ", now %" PRIu64,
	      st(ret), rd64(pbuf), rd64(b.map + 8192));
	ibv_dereg_mr(mr);
	mr = NULL;
	buf_free(&b);

	/* ATOMIC WRITE into device memory */
	ret = buf_new(&b, PHYRBUF_PLACEMENT_DEVICE, 1u << 20, 0);
	if (!ret)
		ret = reg(&b, 0, b.size, IOVA, RW, &mr);
	CHECK_OK(ret, "a device-memory region");
	if (!ret) {
		ret = rp_post_atomic_write(&pq, IOVA + 64, mr->rkey, 0x1122334455667788ULL, 1);
		if (ret == -EOPNOTSUPP) {
			printf("    (no ATOMIC WRITE in this rdma-core)\n");
		} else {
			ret = ret ?: wait_all(&pq, 1);
			CHECK(!ret && rd64(b.map + 64) == 0x1122334455667788ULL,
			      "ATOMIC WRITE into device memory: %s, %#" PRIx64, st(ret),
			      rd64(b.map + 64));
		}
	}
out:
	if (mr)
		ibv_dereg_mr(mr);
	buf_free(&b);
}

/* the peer writing a buffer over and over, each chunk with a new pattern */
struct writer {
	pthread_t thread;
	uint32_t rkey;
	uint64_t size, chunk;
	unsigned int seq;		/* writes done */
	unsigned int *last;		/* per chunk: the seq written last */
	int first_bad;			/* the first bad status */
	unsigned int bad_at;		/* at which seq */
	volatile bool stop;
	unsigned int max;
};

static void *writer_fn(void *data)
{
	struct writer *w = data;

	while (!w->stop && w->seq < w->max) {
		uint64_t c = w->seq % (w->size / w->chunk);
		uint8_t *src = pbuf + c * w->chunk;
		int ret;

		pt_fill_bytes(src, 0, w->chunk, w->seq + 1);
		ret = rp_transfer(&pq, IBV_WR_RDMA_WRITE, pmr, (uintptr_t)src,
				  IOVA + c * w->chunk, w->rkey, w->chunk, w->chunk);
		if (ret) {
			w->first_bad = ret;
			w->bad_at = w->seq;
			break;
		}
		w->last[c] = w->seq + 1;
		__atomic_add_fetch(&w->seq, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static int writer_start(struct writer *w, uint32_t rkey, uint64_t size)
{
	memset(w, 0, sizeof(*w));
	w->rkey = rkey;
	w->size = size;
	w->chunk = 256u << 10;
	w->max = 100000;
	w->last = calloc(size / w->chunk, sizeof(*w->last));
	return pthread_create(&w->thread, NULL, writer_fn, w);
}

/* wait until @n more writes were done (or the writer stopped): false on timeout */
static bool writer_wait(struct writer *w, unsigned int n, int timeout_s)
{
	unsigned int target = __atomic_load_n(&w->seq, __ATOMIC_SEQ_CST) + n;
	double end = rp_now() + timeout_s;

	while (__atomic_load_n(&w->seq, __ATOMIC_SEQ_CST) < target && !w->first_bad) {
		if (rp_now() > end)
			return false;
		usleep(10000);
	}
	return !w->first_bad;
}

static void writer_stop(struct writer *w)
{
	w->stop = true;
	pthread_join(w->thread, NULL);
}

/* each chunk holds the pattern the writer wrote there last */
static void check_writes(struct buf *b, struct writer *w)
{
	uint8_t *want = malloc(w->chunk);
	uint64_t c;

	for (c = 0; want && c < w->size / w->chunk; c++) {
		if (!w->last[c])
			continue;
		pt_fill_bytes(want, 0, w->chunk, w->last[c]);
		CHECK(!memcmp(b->map + c * w->chunk, want, w->chunk),
		      "chunk %" PRIu64 " holds write %u", c, w->last[c]);
	}
	free(want);
}

/*
 * Migration while the peer keeps writing: every write completes successfully
 * (the region follows the buffer), each chunk holds what was written last,
 * and no byte is written into the old device memory after the move (it is
 * given to a new buffer, zeroed, which stays all zeroes).  The buffer starts
 * in @first and moves four times, ending in system memory.
 */
static void migrate_while_writing(uint32_t first)
{
	struct phyrbuf_bo *filler[4] = {};
	uint8_t *fmap[4] = {};
	uint64_t fsize[4] = {};
	struct ibv_mr *mr = NULL;
	struct phyrbuf_dev_info di;
	struct writer w;
	struct buf b;
	int ret, i, moves = 0;

	ret = buf_new(&b, first, 8u << 20, 0);
	if (!ret)
		ret = reg(&b, 0, b.size, IOVA, RW, &mr);
	if (ret) {
		note("a region on a buffer in %s memory: %s",
		     first == PHYRBUF_PLACEMENT_DEVICE ? "device" : "system", strerror(-ret));
		goto out;
	}
	if (writer_start(&w, mr->rkey, b.size)) {
		note("writer thread");
		goto out;
	}
	CHECK(writer_wait(&w, 8, 120), "the peer writes (%s)", st(w.first_bad));
	for (i = 0; i < 4; i++) {
		uint32_t to = (i % 2) ^ (first == PHYRBUF_PLACEMENT_SYSTEM) ?
			      PHYRBUF_PLACEMENT_DEVICE : PHYRBUF_PLACEMENT_SYSTEM;

		ret = phyrbuf_bo_migrate(b.bo, to);
		CHECK_OK(ret, "migrate");
		moves += !ret;
		CHECK(writer_wait(&w, 8, 120), "writes after move %d (%s at %u)", i,
		      st(w.first_bad), w.bad_at);
	}
	/* now in system memory: the device memory it left is a new buffer */
	phyrbuf_dev_info(b.dev, &di);
	for (i = 0; i < 4 && di.device_free >= 4096; i++) {
		fsize[i] = di.device_free & ~4095ULL;
		if (phyrbuf_bo_create(b.dev, fsize[i], PHYRBUF_PLACEMENT_DEVICE, 0, &filler[i]) ||
		    phyrbuf_bo_mmap(filler[i], (void **)&fmap[i]))
			break;
		phyrbuf_dev_info(b.dev, &di);
	}
	CHECK(fmap[0], "the freed device memory as a new buffer");
	CHECK(writer_wait(&w, 16, 120), "writes after the last move (%s)", st(w.first_bad));
	writer_stop(&w);
	printf("    %u writes of 256 KiB, %d moves\n", w.seq, moves);
	CHECK(!w.first_bad, "every write completed: %s at %u", st(w.first_bad), w.bad_at);
	check_writes(&b, &w);
	for (i = 0; i < 4 && fmap[i]; i++) {
		uint64_t k;

		for (k = 0; k < fsize[i]; k++)
			if (fmap[i][k])
				break;
		CHECK(k == fsize[i], "the old placement stays zero: byte %" PRIu64 " of %" PRIu64
		      " is %#x", k, fsize[i], k < fsize[i] ? fmap[i][k] : 0);
	}
	free(w.last);
out:
	for (i = 0; i < 4; i++) {
		if (fmap[i])
			phyrbuf_bo_munmap(filler[i], fmap[i]);
		if (filler[i])
			phyrbuf_bo_close(filler[i]);
	}
	if (mr)
		ibv_dereg_mr(mr);
	buf_free(&b);
	reset_qps();
}

static void test_migrate_while_writing(void)
{
	migrate_while_writing(PHYRBUF_PLACEMENT_DEVICE);
}

/* A region registered on system memory follows its buffer into device memory. */
static void test_migrate_system_first(void)
{
	migrate_while_writing(PHYRBUF_PLACEMENT_SYSTEM);
}

static const char *open_pair(void);

/* the nodes nobody needs, opened up for a test and closed down again */
static const char *const nodes_glob[] = { "/dev/dri/*", "/dev/infiniband/uverbs*" };

static void nodes_chmod(glob_t *g, mode_t *modes, bool open_up)
{
	struct stat st;
	size_t i;

	for (i = 0; i < g->gl_pathc; i++) {
		if (open_up) {
			modes[i] = stat(g->gl_pathv[i], &st) ? 0600 : st.st_mode & 07777;
			chmod(g->gl_pathv[i], 0666);
		} else {
			chmod(g->gl_pathv[i], modes[i]);
		}
	}
}

/*
 * The system-first migration as a user without privileges: nobody, with the
 * DRM and uverbs nodes open to everyone and no memlock limit (what a
 * distribution's groups and limits.conf give an RDMA user), on queue pairs
 * of its own.
 */
static void test_migrate_system_first_nobody(void)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	char why[512] = "";
	mode_t *modes;
	int p[2], status = 0;
	glob_t g = {};
	ssize_t n;
	pid_t pid;

	glob(nodes_glob[0], 0, NULL, &g);
	glob(nodes_glob[1], GLOB_APPEND, NULL, &g);
	modes = calloc(g.gl_pathc + 1, sizeof(*modes));
	if (!modes || pipe(p)) {
		note("setting up");
		goto out;
	}
	nodes_chmod(&g, modes, true);
	pid = fork();
	if (!pid) {
		const char *err = NULL;

		close(p[0]);
		pt_begin("rdma/migrate-system-first-nobody");
		if (setrlimit(RLIMIT_MEMLOCK, &unlimited) || setgroups(0, NULL) ||
		    setgid(65534) || setuid(65534))
			err = "dropping privileges";
		if (!err)
			err = open_pair();
		if (err)
			note("as nobody: %s", err);
		else
			migrate_while_writing(PHYRBUF_PLACEMENT_SYSTEM);
		if (write(p[1], pt_first_failure(), strlen(pt_first_failure())) < 0)
			_exit(1);
		_exit(pt_failures() ? 1 : 0);
	}
	close(p[1]);
	n = pid > 0 ? read(p[0], why, sizeof(why) - 1) : -1;
	why[n > 0 ? n : 0] = '\0';
	close(p[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	nodes_chmod(&g, modes, false);
	CHECK(pid > 0 && WIFEXITED(status) && !WEXITSTATUS(status), "as nobody: %s",
	      why[0] ? why : "the child did not finish");
out:
	free(modes);
	globfree(&g);
}

/*
 * The owner lets go while the peer keeps writing: unmapped, the GEM handle
 * and the dma-buf closed, the writes go on (the region holds the buffer);
 * once the region is deregistered the peer's next write is a remote access
 * error.
 */
static void test_close_while_writing(void)
{
	struct ibv_mr *mr = NULL;
	struct writer w;
	struct buf b;
	int ret;

	ret = buf_new(&b, PHYRBUF_PLACEMENT_SYSTEM, 4u << 20, 0);
	if (!ret)
		ret = reg(&b, 0, b.size, IOVA, RW, &mr);
	if (ret || writer_start(&w, mr->rkey, b.size)) {
		note("a region and a writer: %s", strerror(-ret));
		buf_free(&b);
		return;
	}
	CHECK(writer_wait(&w, 4, 120), "the peer writes");
	buf_free(&b);
	CHECK(writer_wait(&w, 8, 120), "writes after the close: %s", st(w.first_bad));
	ibv_dereg_mr(mr);
	writer_wait(&w, 1000, 20);
	writer_stop(&w);
	CHECK(w.first_bad == IBV_WC_REM_ACCESS_ERR,
	      "after the deregistration the peer gets a remote access error: %s at %u",
	      st(w.first_bad), w.bad_at);
	free(w.last);
	reset_qps();
}

static int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Revoke (the device unplugged) while the peer keeps writing: the writes
 * that started before complete, the next one is a remote access error, as
 * documented; the device comes back on a rescan.
 */
static void test_revoke_while_writing(void)
{
	struct phyrbuf_dev_info di;
	struct ibv_mr *mr = NULL;
	struct phyrbuf_dev *d;
	char path[256];
	int count = phyrbuf_device_count(), i, ret;
	struct writer w;
	struct buf b = { .fd = -1 };

	/* the last device with device memory */
	for (i = count - 1; i >= 0; i--) {
		if (!phyrbuf_open(i, PHYRBUF_OPEN_DEVICE_MEMORY, &d))
			break;
	}
	if (i < 0) {
		note("no device with device memory");
		return;
	}
	phyrbuf_dev_info(d, &di);
	b.dev = d;
	b.size = 4u << 20;
	ret = phyrbuf_bo_create(d, b.size, PHYRBUF_PLACEMENT_DEVICE, 0, &b.bo);
	if (!ret)
		ret = phyrbuf_bo_mmap(b.bo, (void **)&b.map);
	if (!ret)
		ret = phyrbuf_bo_export(b.bo, &b.fd);
	if (!ret)
		ret = reg(&b, 0, b.size, IOVA, RW, &mr);
	if (ret || writer_start(&w, mr->rkey, b.size)) {
		note("a region and a writer: %s", strerror(-ret));
		goto out;
	}
	CHECK(writer_wait(&w, 4, 120), "the peer writes");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", di.location);
	printf("    unplugging %s\n", di.location);
	ret = sysfs_write(path, "1");
	CHECK_OK(ret, "removing the PCI device");
	writer_wait(&w, 1000, 30);
	writer_stop(&w);
	printf("    %u writes, then %s\n", w.seq, st(w.first_bad));
	CHECK(w.first_bad == IBV_WC_REM_ACCESS_ERR,
	      "after the revoke the peer gets a remote access error: %s at %u",
	      st(w.first_bad), w.bad_at);
	free(w.last);
	/* its dma-buf, registered again: revoked */
	{
		struct ibv_mr *again;

		ret = phyrbuf_reg_dmabuf_mr(nic.pd, b.fd, 0, 4096, IOVA, RW, &again);
		CHECK(ret == -ENODEV, "registering the revoked dma-buf: %s", strerror(-ret));
		if (!ret)
			ibv_dereg_mr(again);
	}
out:
	if (mr)
		ibv_dereg_mr(mr);
	buf_free(&b);
	reset_qps();
	ret = sysfs_write("/sys/bus/pci/rescan", "1");
	CHECK_OK(ret, "rescan");
	for (i = 0; i < 100 && phyrbuf_device_count() < count; i++)
		usleep(100000);
	CHECK(phyrbuf_device_count() == count, "the device came back (%d of %d)",
	      phyrbuf_device_count(), count);
}

/* Every bad registration fails with its errno, and leaves no attachment. */
static void test_bad_input(void)
{
	struct buf sys, dev;
	struct ibv_mr *mr;
	char line[256];
	int ret, fd, mfd;

	ret = buf_new(&sys, PHYRBUF_PLACEMENT_SYSTEM, 1u << 20, 0);
	CHECK_OK(ret, "system buffer");
	ret = buf_new(&dev, PHYRBUF_PLACEMENT_DEVICE, 1u << 20, 0);
	CHECK_OK(ret, "device buffer");
	if (!sys.bo || !dev.bo)
		goto out;
#define BAD(call, want, what) do { mr = NULL; ret = (call); \
	CHECK(ret == (want), "%s: %s, not %s", what, strerror(-ret), strerror(-(want))); \
	if (!ret && mr) ibv_dereg_mr(mr); } while (0)
	BAD(reg(&sys, 4096, sys.size, IOVA, RW, &mr), -EINVAL, "beyond the buffer");
	BAD(reg(&sys, sys.size, 1, IOVA, RW, &mr), -EINVAL, "at its end");
	BAD(reg(&sys, 0, 4096, IOVA + 1, RW, &mr), -EINVAL, "an iova at another page offset");
	BAD(reg(&sys, 1, 4096, IOVA, RW, &mr), -EINVAL, "an offset at another page offset");
	BAD(reg(&sys, 0, 4096, IOVA, RW | IBV_ACCESS_ON_DEMAND, &mr), -EINVAL,
	    "on-demand paging");
	BAD(phyrbuf_reg_dmabuf_mr(nic.pd, 1 << 20, 0, 4096, IOVA, RW, &mr), -EBADF, "a bad fd");
	mfd = memfd_create("phyr-rdma-test", MFD_ALLOW_SEALING);
	CHECK(mfd >= 0 && !ftruncate(mfd, 1 << 20), "a memfd");
	BAD(phyrbuf_reg_dmabuf_mr(nic.pd, mfd, 0, 4096, IOVA, RW, &mr), -EINVAL,
	    "an fd that is no dma-buf");
	/* udmabuf: an exporter without flavours, so without CPU access */
	fd = open("/dev/udmabuf", O_RDWR);
	if (fd >= 0 && mfd >= 0 && !fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		struct udmabuf_create c = { .memfd = mfd, .size = 1 << 20 };
		int ufd = ioctl(fd, UDMABUF_CREATE, &c);

		CHECK(ufd >= 0, "a udmabuf: %s", strerror(errno));
		if (ufd >= 0) {
			BAD(phyrbuf_reg_dmabuf_mr(nic.pd, ufd, 0, 4096, IOVA, RW, &mr),
			    -EOPNOTSUPP, "an exporter that offers no CPU access");
			close(ufd);
		}
	} else {
		note("no /dev/udmabuf");
	}
	if (fd >= 0)
		close(fd);
	if (mfd >= 0)
		close(mfd);
	/* nothing stayed attached */
	CHECK(rp_dmabuf_importers(sys.fd, line, sizeof(line)) == 0,
	      "system buffer importers: '%s'", line);
	CHECK(rp_dmabuf_importers(dev.fd, line, sizeof(line)) == 0,
	      "device buffer importers: '%s'", line);

	/*
	 * a good one cannot be reregistered with other access (rdma-core 44's
	 * rxe provider has no rereg verb: it fails there; the kernel refuses
	 * too, with -EOPNOTSUPP)
	 */
	ret = reg(&sys, 0, sys.size, IOVA, RW, &mr);
	CHECK_OK(ret, "a good registration");
	if (!ret) {
		ret = ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_ACCESS, NULL, NULL, 0,
				   RW | IBV_ACCESS_REMOTE_ATOMIC);
		CHECK(ret, "reregistering a dma-buf region with atomics");
		pt_fill_bytes(pbuf, 0, 64, 3);
		ret = peer_op(IBV_WR_RDMA_WRITE, 0, 64, mr->rkey);
		CHECK(!ret && !memcmp(sys.map, pbuf, 64), "the region still works: %s", st(ret));
		ibv_dereg_mr(mr);
	}
	CHECK(rp_dmabuf_importers(sys.fd, line, sizeof(line)) == 0,
	      "importers after the deregistration: '%s'", line);
out:
	buf_free(&sys);
	buf_free(&dev);
#undef BAD
}

/* the CLI's rdma commands, as the demo runs them */
static void test_cli(void)
{
	char cmd[512];
	int ret;

	if (!phyrbuf_path) {
		note("no --phyrbuf");
		return;
	}
	snprintf(cmd, sizeof(cmd), "%s rdma devices | grep -q '^%s: port 1 active' &&"
		 " %s rdma devices | grep -q '^%s: port 1 active'", phyrbuf_path, nic_name,
		 phyrbuf_path, peer_name);
	ret = system(cmd);
	CHECK(ret == 0, "phyrbuf rdma devices lists %s and %s", nic_name, peer_name);
	snprintf(cmd, sizeof(cmd), "%s rdma demo --size 1M --nic %s --peer %s >/tmp/rdma-demo.txt 2>&1 &&"
		 " grep -q '^rdma demo: OK$' /tmp/rdma-demo.txt && grep -q 'rxe0 cpu_access' /tmp/rdma-demo.txt",
		 phyrbuf_path, nic_name, peer_name);
	ret = system(cmd);
	CHECK(ret == 0, "phyrbuf rdma demo --size 1M");
	if (ret)
		system("cat /tmp/rdma-demo.txt");
	snprintf(cmd, sizeof(cmd), "%s rdma demo --size 3 >/dev/null 2>&1; test $? = 2", phyrbuf_path);
	CHECK(system(cmd) == 0, "a bad size is a usage error");
}

/*
 * Both devices, a connected queue pair on each, and the peer's memory, as
 * whoever runs this: NULL, or what failed.
 */
static const char *open_pair(void)
{
	int ret = rp_dev_open(&nic, nic_name);

	if (!ret)
		ret = rp_dev_open(&peer, peer_name);
	if (!ret)
		ret = rp_qp_create(&nq, &nic, DEPTH);
	if (!ret)
		ret = rp_qp_create(&pq, &peer, DEPTH);
	if (!ret)
		ret = rp_qp_connect(&nq, &pq);
	if (ret)
		return strerror(-ret);
	pbuf = mmap(NULL, PEER_LEN, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	pmr = pbuf == MAP_FAILED ? NULL :
	      ibv_reg_mr(peer.pd, pbuf, PEER_LEN, RW | IBV_ACCESS_REMOTE_ATOMIC);
	return pmr ? NULL : "the peer's memory";
}

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "devices", test_devices },
	{ "system", test_system },
	{ "device", test_device },
	{ "device-ranges", test_device_ranges },
	{ "mr-end", test_mr_end },
	{ "atomics", test_atomics },
	{ "migrate-while-writing", test_migrate_while_writing },
	{ "migrate-system-first", test_migrate_system_first },
	{ "migrate-system-first-nobody", test_migrate_system_first_nobody },
	{ "close-while-writing", test_close_while_writing },
	{ "bad-input", test_bad_input },
	{ "cli", test_cli },
	/* last: it unplugs a device */
	{ "revoke-while-writing", test_revoke_while_writing },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "results", required_argument, NULL, 'r' },
		{ "nic", required_argument, NULL, 'n' },
		{ "peer", required_argument, NULL, 'p' },
		{ "phyrbuf", required_argument, NULL, 'c' },
		{ "only", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *only = NULL, *setup = NULL;
	char name[128];
	unsigned int i;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (pt_results_open(optarg, false)) {
				perror(optarg);
				return 1;
			}
			break;
		case 'n':
			nic_name = optarg;
			break;
		case 'p':
			peer_name = optarg;
			break;
		case 'c':
			phyrbuf_path = optarg;
			break;
		case 'o':
			only = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [--results FILE] [--nic DEV] [--peer DEV]"
				" [--phyrbuf PATH] [--only NAME]\n", argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	setup = open_pair();
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		double t0 = rp_now();

		if (only && strcmp(only, tests[i].name))
			continue;
		snprintf(name, sizeof(name), "rdma/%s", tests[i].name);
		pt_begin(name);
		printf("# %s\n", name);
		if (setup)
			note("setting up %s and %s: %s", nic_name, peer_name, setup);
		else
			tests[i].fn();
		printf("# %.1f s\n", rp_now() - t0);
		pt_result_checks(name);
		/*
		 * A failed case may leave work requests in flight or the queue
		 * pairs in the error state (a completion that timed out under
		 * load, say): the next case starts on a fresh pair, so that one
		 * failure is reported once.
		 */
		if (pt_failures() && !setup)
			reset_qps();
	}
	if (pmr)
		ibv_dereg_mr(pmr);
	rp_qp_destroy(&nq);
	rp_qp_destroy(&pq);
	rp_dev_close(&nic);
	rp_dev_close(&peer);
	return pt_done();
}
