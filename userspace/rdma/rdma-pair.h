/* SPDX-License-Identifier: MIT */
/*
 * Two RDMA devices and RC queue pairs between them, for the phyrbuf CLI's
 * rdma commands and the rdma tests: the "NIC" side that registers a
 * phyr_vgem buffer, and the peer that writes into it and reads it back.
 *
 * Copyright 2026 The phyr developers
 */
#ifndef RDMA_PAIR_H
#define RDMA_PAIR_H

#include <stdbool.h>
#include <stdint.h>
#include <infiniband/verbs.h>

/* an open RDMA device: its context, a PD, and the RoCE v2 IPv4 GID to use */
struct rp_dev {
	char name[64];
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	uint8_t port;
	int gid_index;
	union ibv_gid gid;
	enum ibv_mtu mtu;
};

/* an RC queue pair and its completion queue */
struct rp_qp {
	struct rp_dev *dev;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	struct ibv_qp_ex *qpx;	/* for ATOMIC WRITE */
	unsigned int depth;
	unsigned int outstanding;
};

int rp_dev_open(struct rp_dev *d, const char *name);
void rp_dev_close(struct rp_dev *d);
const char *rp_gid_str(const union ibv_gid *gid, char *buf, size_t len);

int rp_qp_create(struct rp_qp *q, struct rp_dev *d, unsigned int depth);
int rp_qp_connect(struct rp_qp *a, struct rp_qp *b);
void rp_qp_destroy(struct rp_qp *q);
/* both QPs of a pair again, after an error moved them to the error state */
int rp_pair_reset(struct rp_qp *a, struct rp_qp *b);

int rp_post(struct rp_qp *q, enum ibv_wr_opcode op, struct ibv_mr *lmr,
	    uint64_t laddr, uint32_t len, uint64_t raddr, uint32_t rkey,
	    uint64_t wr_id);
int rp_post_recv(struct rp_qp *q, struct ibv_mr *mr, uint64_t addr,
		 uint32_t len, uint64_t wr_id);
int rp_post_atomic(struct rp_qp *q, enum ibv_wr_opcode op, struct ibv_mr *lmr,
		   uint64_t laddr, uint64_t raddr, uint32_t rkey,
		   uint64_t compare_add, uint64_t swap, uint64_t wr_id);
int rp_post_atomic_write(struct rp_qp *q, uint64_t raddr, uint32_t rkey,
			 uint64_t value, uint64_t wr_id);
/* one completion within @timeout_ms: 0 (see wc->status), -ETIMEDOUT, -EIO */
int rp_poll(struct rp_qp *q, struct ibv_wc *wc, int timeout_ms);

/*
 * An operation of @len bytes in pieces of @chunk, up to the QP's depth in
 * flight: returns 0 when all completed successfully, the first bad
 * ibv_wc_status (> 0) otherwise (after draining), or a negative errno.
 */
int rp_transfer(struct rp_qp *q, enum ibv_wr_opcode op, struct ibv_mr *lmr,
		uint64_t laddr, uint64_t raddr, uint32_t rkey, uint64_t len,
		uint32_t chunk);

double rp_now(void);

/*
 * The importers of a dma-buf, from debugfs bufinfo: "DEVICE FLAVOUR" per
 * attachment, separated by ", " (needs root and debugfs).  Returns the
 * number of attachments, or a negative errno.
 */
int rp_dmabuf_importers(int dmabuf_fd, char *buf, size_t len);

#endif /* RDMA_PAIR_H */
