/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dma-buf flavours: what the dma-buf core and the flavour core share, and the
 * hooks of the flavour core's KUnit tests.  Not for drivers.
 *
 * Copyright 2026 The phyr developers
 */
#ifndef _DMA_BUF_FLAVOUR_INTERNAL_H
#define _DMA_BUF_FLAVOUR_INTERNAL_H

#include <linux/dma-buf.h>
#include <linux/wait_bit.h>

struct dma_buf_attachment *
__dma_buf_dynamic_attach(struct dma_buf *dmabuf, struct device *dev,
			 const struct dma_buf_attach_ops *importer_ops,
			 void *importer_priv,
			 const struct dma_buf_flavour_req *reqs,
			 unsigned int nr_reqs);

#if IS_ENABLED(CONFIG_DMABUF_FLAVOURS)
int dma_buf_flavour_choose(struct dma_buf_attachment *attach,
			   const struct dma_buf_flavour_req *reqs,
			   unsigned int nr_reqs);
int dma_buf_flavour_confirm(struct dma_buf_attachment *attach,
			    const struct dma_buf_flavour_req *reqs,
			    unsigned int nr_reqs);
const char *dma_buf_flavour_p2p_name(struct dma_buf_attachment *attach);
#else
static inline int dma_buf_flavour_choose(struct dma_buf_attachment *attach,
					 const struct dma_buf_flavour_req *reqs,
					 unsigned int nr_reqs)
{
	return -EOPNOTSUPP;
}

static inline int dma_buf_flavour_confirm(struct dma_buf_attachment *attach,
					  const struct dma_buf_flavour_req *reqs,
					  unsigned int nr_reqs)
{
	return -EOPNOTSUPP;
}

static inline const char *
dma_buf_flavour_p2p_name(struct dma_buf_attachment *attach)
{
	return NULL;
}
#endif

/*
 * A mapping of @attach was made or released, of any flavour; with the
 * buffer's reservation held.  dma_buf_revoke() waits for the mappings of
 * revocable attachments to end.
 */
static inline void dma_buf_count_map(struct dma_buf_attachment *attach)
{
	attach->nr_maps++;
	if (dma_buf_attach_revocable(attach))
		attach->dmabuf->revocable_maps++;
}

static inline void dma_buf_count_unmap(struct dma_buf_attachment *attach)
{
	struct dma_buf *dmabuf = attach->dmabuf;

	if (WARN_ON_ONCE(!attach->nr_maps))
		return;
	attach->nr_maps--;
	if (dma_buf_attach_revocable(attach) && !--dmabuf->revocable_maps &&
	    dmabuf->revoked)
		wake_up_var(&dmabuf->revocable_maps);
}

#if IS_ENABLED(CONFIG_KUNIT)
void *dma_buf_flavour_alloc(size_t size);
#endif

/* the steps of the IOMMU converter that its KUnit tests can fail */
#if IS_ENABLED(CONFIG_KUNIT) && IS_ENABLED(CONFIG_DMABUF_FLAVOURS_IOMMU)
struct iommu_domain;
void *dma_buf_iommu_alloc(size_t size);
int dma_buf_iommu_map_range(struct iommu_domain *domain, unsigned long iova,
			    phys_addr_t phys, size_t len, int prot);
int dma_buf_iommu_sync(struct iommu_domain *domain, unsigned long iova,
		       size_t len);
#endif

#endif /* _DMA_BUF_FLAVOUR_INTERNAL_H */
