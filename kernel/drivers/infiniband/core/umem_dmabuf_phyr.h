/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * The phyr path of dma-buf umems: what umem.c and umem_dmabuf.c call.
 *
 * Copyright 2026 The phyr developers
 */
#ifndef _UMEM_DMABUF_PHYR_H
#define _UMEM_DMABUF_PHYR_H

#include <linux/err.h>
#include <rdma/ib_umem.h>

struct device;
struct dma_buf;
struct dma_buf_attachment;
struct dma_buf_attach_ops;

#if IS_ENABLED(CONFIG_DMABUF_FLAVOURS)
struct dma_buf_attachment *
ib_umem_dmabuf_phyr_attach(struct ib_umem_dmabuf *umem_dmabuf,
			   struct dma_buf *dmabuf, struct device *dev,
			   const struct dma_buf_attach_ops *ops);
int ib_umem_dmabuf_phyr_map(struct ib_umem_dmabuf *umem_dmabuf);
void ib_umem_dmabuf_phyr_unmap(struct ib_umem_dmabuf *umem_dmabuf);
#if IS_ENABLED(CONFIG_KUNIT)
int ib_umem_dmabuf_phyr_window(struct ib_umem_dmabuf *umem_dmabuf,
			       const struct dma_vec *vecs,
			       unsigned int nr_vecs);
#endif
#else
#include <linux/dma-buf.h>

/* without flavours, the phyr getters attach for an sg_table */
static inline struct dma_buf_attachment *
ib_umem_dmabuf_phyr_attach(struct ib_umem_dmabuf *umem_dmabuf,
			   struct dma_buf *dmabuf, struct device *dev,
			   const struct dma_buf_attach_ops *ops)
{
	return dma_buf_dynamic_attach(dmabuf, dev, ops, umem_dmabuf);
}

static inline int ib_umem_dmabuf_phyr_map(struct ib_umem_dmabuf *umem_dmabuf)
{
	return -EOPNOTSUPP;
}

static inline void ib_umem_dmabuf_phyr_unmap(struct ib_umem_dmabuf *umem_dmabuf)
{
}
#endif

#endif /* _UMEM_DMABUF_PHYR_H */
