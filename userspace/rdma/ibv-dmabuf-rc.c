// SPDX-License-Identifier: MIT
/*
 * ibv-dmabuf-rc: what a new user of dma-buf memory regions writes, with
 * nothing of phyr's but the driver's uAPI header: a phyr_vgem buffer (libdrm
 * and two phyr_vgem ioctls) registered with ibv_reg_dmabuf_mr() of the
 * system's libibverbs, and an RC queue pair to a peer that moves data
 * through it both ways, with RDMA WRITE and READ, every byte checked through
 * the buffer's mmap (the tests' byte pattern, phyr-test.h).  No libphyrbuf,
 * no special environment: the rxe provider's dma-buf verb is rdma-core's
 * (docs/rdma.md).
 *
 *   ibv-dmabuf-rc [--placement system|device] [--size BYTES]
 *                 [--nic DEV] [--peer DEV]
 *
 * The region is on --nic (rxe0), the peer's anonymous memory on --peer (rxe1;
 * scripts/guest-rdma.sh sets both up).  Exit status 0 when every transfer
 * arrived intact, 1 otherwise (the first failure on stderr), 2 on bad usage.
 *
 * Copyright 2026 The phyr developers
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>
#include <xf86drm.h>

#include "phyr_vgem_drm.h"
#include "phyr-test.h"

#define IOVA	0x7f0000001000ull	/* the region's address for the peer */

static double last_secs;	/* how long the last transfer took */

struct side {
	const char *name;
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	struct ibv_mr *mr;
	union ibv_gid gid;
	int gid_index;
	enum ibv_mtu mtu;
};

static int fail(const char *what, int err)
{
	fprintf(stderr, "ibv-dmabuf-rc: %s: %s\n", what, strerror(err));
	return 1;
}

/* the first phyr_vgem render node, with device memory if @device */
static int open_phyr_vgem(bool device, char *path, size_t len)
{
	int i;

	for (i = 128; i < 192; i++) {
		struct drm_phyr_vgem_info info = {};
		drmVersionPtr v;
		bool ours;
		int fd;

		snprintf(path, len, "/dev/dri/renderD%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		ours = v && !strcmp(v->name, "phyr_vgem");
		drmFreeVersion(v);
		if (ours && (!device ||
			     (!drmIoctl(fd, DRM_IOCTL_PHYR_VGEM_INFO, &info) &&
			      info.device_size)))
			return fd;
		close(fd);
	}
	return -ENODEV;
}

/* @name's context, PD, CQ and RC QP, and port 1's RoCE v2 GID of an IPv4
 * address (::ffff:a.b.c.d); a positive errno on failure */
static int open_side(struct side *s, const char *name)
{
	static const uint8_t v4[12] = { [10] = 0xff, [11] = 0xff };
	struct ibv_qp_init_attr init = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 8, .max_recv_wr = 8,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct ibv_device **list;
	struct ibv_port_attr port;
	int n, i;

	list = ibv_get_device_list(&n);
	if (!list)
		return errno;
	for (i = 0; i < n; i++)
		if (!strcmp(ibv_get_device_name(list[i]), name))
			s->ctx = ibv_open_device(list[i]);
	ibv_free_device_list(list);
	if (!s->ctx)
		return ENODEV;
	s->name = name;
	if (ibv_query_port(s->ctx, 1, &port))
		return errno;
	s->mtu = port.active_mtu;
	s->gid_index = -1;
	for (i = 0; i < port.gid_tbl_len && s->gid_index < 0; i++) {
		struct ibv_gid_entry e;

		if (!ibv_query_gid_ex(s->ctx, 1, i, &e, 0) &&
		    e.gid_type == IBV_GID_TYPE_ROCE_V2 && !memcmp(e.gid.raw, v4, 12)) {
			s->gid_index = i;
			s->gid = e.gid;
		}
	}
	if (s->gid_index < 0)
		return EADDRNOTAVAIL;
	s->pd = ibv_alloc_pd(s->ctx);
	if (!s->pd)
		return errno;
	s->cq = ibv_create_cq(s->ctx, 16, NULL, NULL, 0);
	if (!s->cq)
		return errno;
	init.send_cq = s->cq;
	init.recv_cq = s->cq;
	s->qp = ibv_create_qp(s->pd, &init);
	return s->qp ? 0 : errno;
}

static void close_side(struct side *s)
{
	if (s->mr)
		ibv_dereg_mr(s->mr);
	if (s->qp)
		ibv_destroy_qp(s->qp);
	if (s->cq)
		ibv_destroy_cq(s->cq);
	if (s->pd)
		ibv_dealloc_pd(s->pd);
	if (s->ctx)
		ibv_close_device(s->ctx);
}

/* INIT, RTR and RTS for @a, talking to @b */
static int connect_qp(struct side *a, struct side *b)
{
	struct ibv_qp_attr attr = {
		.qp_state = IBV_QPS_INIT, .port_num = 1,
		.qp_access_flags = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ,
	};

	if (ibv_modify_qp(a->qp, &attr, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			  IBV_QP_PORT | IBV_QP_ACCESS_FLAGS))
		return errno;
	memset(&attr, 0, sizeof(attr));
	attr.qp_state = IBV_QPS_RTR;
	attr.path_mtu = a->mtu < b->mtu ? a->mtu : b->mtu;
	attr.dest_qp_num = b->qp->qp_num;
	attr.max_dest_rd_atomic = 4;
	attr.min_rnr_timer = 12;
	attr.ah_attr.is_global = 1;
	attr.ah_attr.grh.dgid = b->gid;
	attr.ah_attr.grh.sgid_index = a->gid_index;
	attr.ah_attr.grh.hop_limit = 1;
	attr.ah_attr.port_num = 1;
	if (ibv_modify_qp(a->qp, &attr, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER))
		return errno;
	memset(&attr, 0, sizeof(attr));
	attr.qp_state = IBV_QPS_RTS;
	attr.timeout = 14;
	attr.retry_cnt = 7;
	attr.rnr_retry = 7;
	attr.max_rd_atomic = 4;
	if (ibv_modify_qp(a->qp, &attr, IBV_QP_STATE | IBV_QP_TIMEOUT |
			  IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN |
			  IBV_QP_MAX_QP_RD_ATOMIC))
		return errno;
	return 0;
}

/*
 * One RDMA WRITE or READ of @len bytes from @s, waited for: 120 s at most, as
 * rxe under TCG on a busy host may take tens of seconds for megabytes.
 */
static int rdma(struct side *s, enum ibv_wr_opcode op, struct ibv_mr *mr,
		uint64_t laddr, uint64_t raddr, uint32_t rkey, uint32_t len)
{
	struct ibv_sge sge = { .addr = laddr, .length = len, .lkey = mr->lkey };
	struct ibv_send_wr wr = {
		.sg_list = &sge, .num_sge = 1, .opcode = op,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = { .remote_addr = raddr, .rkey = rkey },
	}, *bad;
	struct timespec t0, t;
	struct ibv_wc wc;
	int n;

	if (ibv_post_send(s->qp, &wr, &bad))
		return errno;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		n = ibv_poll_cq(s->cq, 1, &wc);
		if (n < 0)
			return EIO;
		if (n) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			last_secs = t.tv_sec - t0.tv_sec + (t.tv_nsec - t0.tv_nsec) / 1e9;
			if (wc.status == IBV_WC_SUCCESS)
				return 0;
			fprintf(stderr, "ibv-dmabuf-rc: completion: %s\n",
				ibv_wc_status_str(wc.status));
			return EIO;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 120);
	return ETIMEDOUT;
}

static int checked(const char *what, const volatile uint8_t *p, size_t len,
		   uint8_t seed)
{
	int64_t bad = pt_check_bytes((const void *)p, 0, len, seed);

	if (bad < 0) {
		printf("  %-46s ok (%.2f s)\n", what, last_secs);
		return 0;
	}
	fprintf(stderr, "ibv-dmabuf-rc: %s: byte %" PRId64 " of %zu is wrong\n", what, bad, len);
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "placement", required_argument, NULL, 'p' },
		{ "size", required_argument, NULL, 's' },
		{ "nic", required_argument, NULL, 'n' },
		{ "peer", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *nic_name = "rxe0", *peer_name = "rxe1";
	struct side nic = {}, peer = {};
	struct drm_phyr_vgem_bo_create create = {};
	struct drm_phyr_vgem_bo_mmap_offset map = {};
	struct drm_gem_close gem_close = {};
	size_t size = 4 << 20, off, len;
	uint8_t *buf = MAP_FAILED, *local = NULL;
	bool device = false;
	char node[32];
	int drm = -1, dmabuf = -1, ret = 1, err, c;

	setvbuf(stdout, NULL, _IOLBF, 0);	/* in order with stderr in a log */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (strcmp(optarg, "system") && strcmp(optarg, "device"))
				goto usage;
			device = !strcmp(optarg, "device");
			break;
		case 's':
			size = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			nic_name = optarg;
			break;
		case 'r':
			peer_name = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc || size < 3 * 4096 || size % 4096)
		goto usage;

	/* the buffer: phyr_vgem's BO_CREATE, exported with PRIME, and its mmap */
	drm = open_phyr_vgem(device, node, sizeof(node));
	if (drm < 0)
		return fail(device ? "no phyr_vgem device with device memory" :
			    "no phyr_vgem device", -drm);
	create.size = size;
	create.placement = device ? PHYR_VGEM_PLACEMENT_DEVICE : PHYR_VGEM_PLACEMENT_SYSTEM;
	if (drmIoctl(drm, DRM_IOCTL_PHYR_VGEM_BO_CREATE, &create)) {
		ret = fail("BO_CREATE", errno);
		goto out;
	}
	gem_close.handle = create.handle;
	if (drmPrimeHandleToFD(drm, create.handle, DRM_CLOEXEC | DRM_RDWR, &dmabuf)) {
		ret = fail("PRIME export", errno);
		goto out;
	}
	map.handle = create.handle;
	if (drmIoctl(drm, DRM_IOCTL_PHYR_VGEM_BO_MMAP_OFFSET, &map)) {
		ret = fail("BO_MMAP_OFFSET", errno);
		goto out;
	}
	buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, drm, map.offset);
	if (buf == MAP_FAILED) {
		ret = fail("mmap", errno);
		goto out;
	}
	printf("%s: a %zu-byte buffer in %s memory, region on %s, peer %s\n", node, size,
	       device ? "device" : "system", nic_name, peer_name);

	/* the two ends; the region on the dma-buf, the peer's in malloc()ed memory */
	err = open_side(&nic, nic_name);
	if (!err)
		err = open_side(&peer, peer_name);
	if (err) {
		ret = fail("opening the RDMA devices", err);
		goto out;
	}
	nic.mr = ibv_reg_dmabuf_mr(nic.pd, 0, size, IOVA, dmabuf,
				   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ);
	if (!nic.mr) {
		ret = fail("ibv_reg_dmabuf_mr", errno);
		goto out;
	}
	printf("  %-46s ok (lkey 0x%x, rkey 0x%x)\n", "ibv_reg_dmabuf_mr", nic.mr->lkey,
	       nic.mr->rkey);
	local = aligned_alloc(4096, size);
	if (!local) {
		ret = fail("malloc", ENOMEM);
		goto out;
	}
	peer.mr = ibv_reg_mr(peer.pd, local, size, IBV_ACCESS_LOCAL_WRITE |
			     IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ);
	if (!peer.mr) {
		ret = fail("ibv_reg_mr", errno);
		goto out;
	}
	err = connect_qp(&nic, &peer);
	if (!err)
		err = connect_qp(&peer, &nic);
	if (err) {
		ret = fail("connecting the queue pairs", err);
		goto out;
	}

	/* the peer writes the whole region, then reads it back after the CPU wrote */
	pt_fill_bytes((void *)local, 0, size, 1);
	err = rdma(&peer, IBV_WR_RDMA_WRITE, peer.mr, (uintptr_t)local, IOVA,
		   nic.mr->rkey, size);
	if (err || checked("peer's RDMA WRITE into the region", buf, size, 1))
		goto fail;
	pt_fill_bytes((void *)buf, 0, size, 2);
	err = rdma(&peer, IBV_WR_RDMA_READ, peer.mr, (uintptr_t)local, IOVA,
		   nic.mr->rkey, size);
	if (err || checked("peer's RDMA READ of the region", local, size, 2))
		goto fail;

	/* the NIC's side: the region as the local buffer of its WRITE and READ */
	pt_fill_bytes((void *)buf, 0, size, 3);
	err = rdma(&nic, IBV_WR_RDMA_WRITE, nic.mr, IOVA, (uintptr_t)local,
		   peer.mr->rkey, size);
	if (err || checked("RDMA WRITE from the region", local, size, 3))
		goto fail;
	pt_fill_bytes((void *)local, 0, size, 4);
	err = rdma(&nic, IBV_WR_RDMA_READ, nic.mr, IOVA, (uintptr_t)local,
		   peer.mr->rkey, size);
	if (err || checked("RDMA READ into the region", buf, size, 4))
		goto fail;

	/* an odd piece across a page boundary: only it changes */
	off = 4096 - 3;
	len = 4096 + 5;
	pt_fill_bytes((void *)buf, 0, size, 5);
	pt_fill_bytes((void *)local, 0, len, 6);
	err = rdma(&peer, IBV_WR_RDMA_WRITE, peer.mr, (uintptr_t)local, IOVA + off,
		   nic.mr->rkey, len);
	if (err || checked("an odd piece: its bytes", buf + off, len, 6))
		goto fail;
	if (pt_check_bytes((const void *)buf, 0, off, 5) >= 0 || pt_check_bytes((const void *)buf, off + len, size - off - len, 5) >= 0) {
		err = 0;
		fprintf(stderr, "ibv-dmabuf-rc: the odd piece changed bytes around it\n");
		goto fail;
	}
	printf("  %-46s ok\n", "an odd piece: the bytes around it");
	printf("ibv-dmabuf-rc: OK\n");
	ret = 0;
	goto out;

fail:
	if (err)
		fail("transfer", err);
	ret = 1;
out:
	close_side(&nic);
	close_side(&peer);
	free(local);
	if (buf != MAP_FAILED)
		munmap(buf, size);
	if (dmabuf >= 0)
		close(dmabuf);
	if (gem_close.handle)
		drmIoctl(drm, DRM_IOCTL_GEM_CLOSE, &gem_close);
	if (drm >= 0)
		close(drm);
	return ret;

usage:
	fprintf(stderr, "usage: ibv-dmabuf-rc [--placement system|device] "
		"[--size BYTES (pages, at least 3)] [--nic DEV] [--peer DEV]\n");
	return 2;
}
