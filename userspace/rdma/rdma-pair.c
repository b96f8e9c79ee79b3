// SPDX-License-Identifier: MIT
/*
 * Two RDMA devices and RC queue pairs between them (rdma-pair.h).
 *
 * Copyright 2026 The phyr developers
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rdma-pair.h"

#define RP_RD_ATOMIC	8

double rp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

const char *rp_gid_str(const union ibv_gid *gid, char *buf, size_t len)
{
	/* a RoCE v2 IPv4 GID is ::ffff:a.b.c.d */
	if (!inet_ntop(AF_INET6, gid->raw, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

static bool ipv4_gid(const union ibv_gid *gid)
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(gid->raw, prefix, sizeof(prefix));
}

int rp_dev_open(struct rp_dev *d, const char *name)
{
	struct ibv_device **list;
	struct ibv_port_attr port;
	int n, i, ret = -ENODEV;

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->gid_index = -1;
	list = ibv_get_device_list(&n);
	if (!list)
		return -errno;
	for (i = 0; i < n; i++) {
		if (strcmp(ibv_get_device_name(list[i]), name))
			continue;
		d->ctx = ibv_open_device(list[i]);
		ret = d->ctx ? 0 : -errno;
		break;
	}
	ibv_free_device_list(list);
	if (ret)
		return ret;
	d->port = 1;
	if (ibv_query_port(d->ctx, d->port, &port)) {
		ret = -errno;
		goto err;
	}
	if (port.state != IBV_PORT_ACTIVE) {
		ret = -ENETDOWN;
		goto err;
	}
	d->mtu = port.active_mtu;
	for (i = 0; i < port.gid_tbl_len; i++) {
		struct ibv_gid_entry e;

		if (ibv_query_gid_ex(d->ctx, d->port, i, &e, 0))
			continue;
		if (e.gid_type == IBV_GID_TYPE_ROCE_V2 && ipv4_gid(&e.gid)) {
			d->gid_index = i;
			d->gid = e.gid;
			break;
		}
	}
	if (d->gid_index < 0) {
		ret = -EADDRNOTAVAIL;
		goto err;
	}
	d->pd = ibv_alloc_pd(d->ctx);
	if (!d->pd) {
		ret = -errno;
		goto err;
	}
	return 0;
err:
	ibv_close_device(d->ctx);
	d->ctx = NULL;
	return ret;
}

void rp_dev_close(struct rp_dev *d)
{
	if (d->pd)
		ibv_dealloc_pd(d->pd);
	if (d->ctx)
		ibv_close_device(d->ctx);
	memset(d, 0, sizeof(*d));
}

int rp_qp_create(struct rp_qp *q, struct rp_dev *d, unsigned int depth)
{
	struct ibv_qp_init_attr_ex init = {};
	struct ibv_qp_attr attr = {};

	memset(q, 0, sizeof(*q));
	q->dev = d;
	q->depth = depth;
	q->cq = ibv_create_cq(d->ctx, 2 * depth + 4, NULL, NULL, 0);
	if (!q->cq)
		return -errno;
	init.send_cq = q->cq;
	init.recv_cq = q->cq;
	init.cap.max_send_wr = depth;
	init.cap.max_recv_wr = depth;
	init.cap.max_send_sge = 1;
	init.cap.max_recv_sge = 1;
	init.qp_type = IBV_QPT_RC;
	init.pd = d->pd;
	init.comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_SEND_OPS_FLAGS;
	init.send_ops_flags = IBV_QP_EX_WITH_RDMA_WRITE | IBV_QP_EX_WITH_SEND |
			      IBV_QP_EX_WITH_RDMA_READ | IBV_QP_EX_WITH_ATOMIC_WRITE;
	q->qp = ibv_create_qp_ex(d->ctx, &init);
	if (q->qp) {
		q->qpx = ibv_qp_to_qp_ex(q->qp);
	} else {
		struct ibv_qp_init_attr plain = {
			.send_cq = q->cq, .recv_cq = q->cq, .cap = init.cap,
			.qp_type = IBV_QPT_RC,
		};

		q->qp = ibv_create_qp(d->pd, &plain);
		if (!q->qp) {
			int ret = -errno;

			ibv_destroy_cq(q->cq);
			q->cq = NULL;
			return ret;
		}
	}
	attr.qp_state = IBV_QPS_INIT;
	attr.port_num = d->port;
	attr.qp_access_flags = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			       IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC;
	if (ibv_modify_qp(q->qp, &attr, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			  IBV_QP_PORT | IBV_QP_ACCESS_FLAGS)) {
		int ret = -errno;

		rp_qp_destroy(q);
		return ret;
	}
	return 0;
}

void rp_qp_destroy(struct rp_qp *q)
{
	if (q->qp)
		ibv_destroy_qp(q->qp);
	if (q->cq)
		ibv_destroy_cq(q->cq);
	q->qp = NULL;
	q->qpx = NULL;
	q->cq = NULL;
	q->outstanding = 0;
}

/* @x to RTR and RTS, talking to @y */
static int rp_qp_rts(struct rp_qp *x, struct rp_qp *y)
{
	struct ibv_qp_attr attr = {};

	attr.qp_state = IBV_QPS_RTR;
	attr.path_mtu = x->dev->mtu < y->dev->mtu ? x->dev->mtu : y->dev->mtu;
	attr.dest_qp_num = y->qp->qp_num;
	attr.rq_psn = 0;
	attr.max_dest_rd_atomic = RP_RD_ATOMIC;
	attr.min_rnr_timer = 12;
	attr.ah_attr.is_global = 1;
	attr.ah_attr.grh.dgid = y->dev->gid;
	attr.ah_attr.grh.sgid_index = x->dev->gid_index;
	attr.ah_attr.grh.hop_limit = 1;
	attr.ah_attr.port_num = x->dev->port;
	if (ibv_modify_qp(x->qp, &attr, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER))
		return -errno;
	memset(&attr, 0, sizeof(attr));
	attr.qp_state = IBV_QPS_RTS;
	/*
	 * 4.096 us << 18 = 1 s per try, 7 tries: a responder that waits for
	 * a buffer's reservation while it moves must not look like a dead
	 * link under TCG
	 */
	attr.timeout = 18;
	attr.retry_cnt = 7;
	attr.rnr_retry = 7;
	attr.sq_psn = 0;
	attr.max_rd_atomic = RP_RD_ATOMIC;
	if (ibv_modify_qp(x->qp, &attr, IBV_QP_STATE | IBV_QP_TIMEOUT |
			  IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN |
			  IBV_QP_MAX_QP_RD_ATOMIC))
		return -errno;
	return 0;
}

int rp_qp_connect(struct rp_qp *a, struct rp_qp *b)
{
	int ret = rp_qp_rts(a, b);

	return ret ? ret : rp_qp_rts(b, a);
}

int rp_pair_reset(struct rp_qp *a, struct rp_qp *b)
{
	struct rp_dev *da = a->dev, *db = b->dev;
	unsigned int depth = a->depth;
	int ret;

	rp_qp_destroy(a);
	rp_qp_destroy(b);
	ret = rp_qp_create(a, da, depth);
	if (!ret)
		ret = rp_qp_create(b, db, depth);
	return ret ? ret : rp_qp_connect(a, b);
}

int rp_post(struct rp_qp *q, enum ibv_wr_opcode op, struct ibv_mr *lmr,
	    uint64_t laddr, uint32_t len, uint64_t raddr, uint32_t rkey,
	    uint64_t wr_id)
{
	struct ibv_sge sge = {
		.addr = laddr, .length = len, .lkey = lmr ? lmr->lkey : 0,
	};
	struct ibv_send_wr wr = {
		.wr_id = wr_id, .sg_list = &sge, .num_sge = len ? 1 : 0,
		.opcode = op, .send_flags = IBV_SEND_SIGNALED,
	}, *bad;
	int ret;

	wr.wr.rdma.remote_addr = raddr;
	wr.wr.rdma.rkey = rkey;
	ret = ibv_post_send(q->qp, &wr, &bad);
	if (ret)
		return -ret;
	q->outstanding++;
	return 0;
}

int rp_post_recv(struct rp_qp *q, struct ibv_mr *mr, uint64_t addr,
		 uint32_t len, uint64_t wr_id)
{
	struct ibv_sge sge = { .addr = addr, .length = len, .lkey = mr->lkey };
	struct ibv_recv_wr wr = {
		.wr_id = wr_id, .sg_list = &sge, .num_sge = 1,
	}, *bad;
	int ret;

	ret = ibv_post_recv(q->qp, &wr, &bad);
	if (ret)
		return -ret;
	q->outstanding++;
	return 0;
}

int rp_post_atomic(struct rp_qp *q, enum ibv_wr_opcode op, struct ibv_mr *lmr,
		   uint64_t laddr, uint64_t raddr, uint32_t rkey,
		   uint64_t compare_add, uint64_t swap, uint64_t wr_id)
{
	struct ibv_sge sge = { .addr = laddr, .length = 8, .lkey = lmr->lkey };
	struct ibv_send_wr wr = {
		.wr_id = wr_id, .sg_list = &sge, .num_sge = 1,
		.opcode = op, .send_flags = IBV_SEND_SIGNALED,
	}, *bad;
	int ret;

	wr.wr.atomic.remote_addr = raddr;
	wr.wr.atomic.rkey = rkey;
	wr.wr.atomic.compare_add = compare_add;
	wr.wr.atomic.swap = swap;
	ret = ibv_post_send(q->qp, &wr, &bad);
	if (ret)
		return -ret;
	q->outstanding++;
	return 0;
}

int rp_post_atomic_write(struct rp_qp *q, uint64_t raddr, uint32_t rkey,
			 uint64_t value, uint64_t wr_id)
{
	int ret;

	if (!q->qpx)
		return -EOPNOTSUPP;
	ibv_wr_start(q->qpx);
	q->qpx->wr_id = wr_id;
	q->qpx->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_atomic_write(q->qpx, rkey, raddr, &value);
	ret = ibv_wr_complete(q->qpx);
	if (ret)
		return -ret;
	q->outstanding++;
	return 0;
}

int rp_poll(struct rp_qp *q, struct ibv_wc *wc, int timeout_ms)
{
	double end = rp_now() + timeout_ms / 1000.0;
	unsigned int empty = 0;
	int n;

	for (;;) {
		n = ibv_poll_cq(q->cq, 1, wc);
		if (n < 0)
			return -EIO;
		if (n) {
			if (q->outstanding)
				q->outstanding--;
			return 0;
		}
		if (rp_now() > end)
			return -ETIMEDOUT;
		/* leave the CPU to rxe's workers after a while */
		if (++empty > 64)
			usleep(50);
	}
}

int rp_transfer(struct rp_qp *q, enum ibv_wr_opcode op, struct ibv_mr *lmr,
		uint64_t laddr, uint64_t raddr, uint32_t rkey, uint64_t len,
		uint32_t chunk)
{
	unsigned int inflight = 0;
	uint64_t off = 0;
	int bad = 0, ret;
	struct ibv_wc wc;

	while (off < len || inflight) {
		while (!bad && off < len && inflight < q->depth) {
			uint32_t n = len - off < chunk ? len - off : chunk;

			ret = rp_post(q, op, lmr, laddr + off, n, raddr + off, rkey, off);
			if (ret) {
				bad = bad ? bad : ret;
				break;
			}
			inflight++;
			off += n;
		}
		if (bad)
			off = len;
		if (!inflight)
			break;
		ret = rp_poll(q, &wc, 60000);
		if (ret)
			return ret;
		inflight--;
		if (wc.status != IBV_WC_SUCCESS && !bad)
			bad = wc.status;
	}
	return bad;
}

int rp_dmabuf_importers(int dmabuf_fd, char *buf, size_t len)
{
	char line[512], ino[32];
	bool mine = false, devs = false;
	struct stat st;
	size_t used = 0;
	int n = 0;
	FILE *f;

	if (fstat(dmabuf_fd, &st))
		return -errno;
	snprintf(ino, sizeof(ino), "%08" PRIu64, (uint64_t)st.st_ino);
	f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "r");
	if (!f)
		return -errno;
	buf[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		char *fields[8], *save, *t;
		int k = 0;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] != '\t') {
			/* size flags mode count exp_name ino name */
			char copy[512];

			snprintf(copy, sizeof(copy), "%s", line);
			for (t = strtok_r(copy, "\t", &save); t && k < 8; t = strtok_r(NULL, "\t", &save))
				fields[k++] = t;
			mine = k >= 6 && !strcmp(fields[5], ino);
			devs = false;
			continue;
		}
		if (!mine)
			continue;
		if (!strcmp(line, "\tAttached Devices:")) {
			devs = true;
			continue;
		}
		if (!devs)
			continue;
		/* "\tDEVICE\tFLAVOUR" */
		t = line + 1;
		t[strcspn(t, "\t")] = ' ';
		used += snprintf(buf + used, used < len ? len - used : 0, "%s%s",
				 n ? ", " : "", t);
		n++;
	}
	fclose(f);
	return n;
}
