// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * dma-buf umems through the phyr flavour: the buffer's physical ranges
 * mapped for the device into a dma_vec list, without a scatterlist.
 *
 * Copyright 2026 The phyr developers
 */

#include <kunit/visibility.h>

#include <linux/dma-buf.h>
#include <linux/dma-buf-flavour.h>
#include <linux/dma-resv.h>
#include <linux/phyr_dma.h>
#include <linux/slab.h>
#include <rdma/ib_umem.h>

#include "umem_dmabuf_phyr.h"

MODULE_IMPORT_NS("DMA_BUF");

/**
 * DOC: dma-buf umems mapped as dma_vecs
 *
 * ib_umem_dmabuf_get_phyr() attaches a dma-buf asking for the phyr flavour
 * first and an sg_table second (both with MMIO when the importer allows
 * peer2peer).  With phyr, ib_umem_dmabuf_map_pages() calls
 * dma_buf_map_phyr_dma(): the exporter's physical ranges (CPU RAM, or the
 * MMIO of a BAR the device reaches) mapped for the device with the two-step
 * DMA API -- one dma_vec for the whole buffer behind an IOMMU, bus addresses
 * for P2P -- and the umem keeps the window of that list that holds its
 * pages.  ib_umem_find_best_pgsz() and rdma_umem_for_each_dma_block() walk
 * that window through the block iterator with the code they run on the
 * sg_table of other umems: the same page size and the same blocks for the
 * same DMA layout.  An exporter without phyr gives an sg_table, and the
 * umem is what it always was.
 */

/**
 * ib_umem_dmabuf_phyr_attach() - attach a dma-buf umem, preferring phyr
 * @umem_dmabuf: the umem being made
 * @dmabuf: the buffer
 * @dev: the DMA device
 * @ops: the importer's callbacks
 *
 * Context: Process context; may sleep.
 * Return: the attachment (&ib_umem_dmabuf.phyr set if it is of the phyr
 * flavour), or an ERR_PTR.
 */
struct dma_buf_attachment *
ib_umem_dmabuf_phyr_attach(struct ib_umem_dmabuf *umem_dmabuf,
			   struct dma_buf *dmabuf, struct device *dev,
			   const struct dma_buf_attach_ops *ops)
{
	u32 mmio = ops && ops->allow_peer2peer ? DMA_BUF_FLAVOUR_MMIO : 0;
	const struct dma_buf_flavour_req reqs[] = {
		{ .flavour = DMA_BUF_FLAVOUR_PHYR, .flags = mmio },
		{ .flavour = DMA_BUF_FLAVOUR_SG_TABLE, .flags = mmio },
	};
	struct dma_buf_attachment *attach;

	attach = dma_buf_flavour_attach(dmabuf, dev, reqs, ARRAY_SIZE(reqs),
					ops, umem_dmabuf);
	if (IS_ERR(attach) || attach->flavour != DMA_BUF_FLAVOUR_PHYR)
		return attach;
	umem_dmabuf->phyr_map = kzalloc_obj(*umem_dmabuf->phyr_map);
	if (!umem_dmabuf->phyr_map) {
		dma_buf_detach(dmabuf, attach);
		return ERR_PTR(-ENOMEM);
	}
	umem_dmabuf->phyr = 1;
	return attach;
}

/**
 * ib_umem_dmabuf_phyr_window() - find the umem's pages in a dma_vec list
 * @umem_dmabuf: the umem
 * @vecs: the whole buffer, mapped
 * @nr_vecs: the number of @vecs
 *
 * The window runs from the start of the umem's first page to the end of its
 * last (the buffer's end, if that comes first), as the sg_table path trims
 * its list.
 *
 * Context: Any context.
 * Return: 0, or -EINVAL if @vecs do not cover the umem.
 */
VISIBLE_IF_KUNIT int ib_umem_dmabuf_phyr_window(struct ib_umem_dmabuf *umem_dmabuf,
						const struct dma_vec *vecs,
						unsigned int nr_vecs)
{
	struct ib_umem *umem = &umem_dmabuf->umem;
	u64 start = ALIGN_DOWN(umem->address, PAGE_SIZE);
	u64 end = ALIGN((u64)umem->address + umem->length, PAGE_SIZE);
	u64 cur = 0, total = 0;
	unsigned int i, first = 0;
	bool found = false;

	for (i = 0; i < nr_vecs; i++)
		total += vecs[i].len;
	end = min(end, total);
	if (start >= end)
		return -EINVAL;
	for (i = 0; i < nr_vecs; cur += vecs[i].len, i++) {
		if (!found && start < cur + vecs[i].len) {
			found = true;
			first = i;
			umem_dmabuf->first_vec_offset = start - cur;
		}
		if (found && end <= cur + vecs[i].len) {
			umem_dmabuf->vecs = &vecs[first];
			umem_dmabuf->nr_vecs = i - first + 1;
			umem_dmabuf->last_vec_len = end - cur;
			umem_dmabuf->phyr_start = vecs[first].addr +
						  umem_dmabuf->first_vec_offset;
			return 0;
		}
	}
	return -EINVAL;
}
EXPORT_SYMBOL_IF_KUNIT(ib_umem_dmabuf_phyr_window);

/**
 * ib_umem_dmabuf_phyr_map() - map a phyr umem for its device
 * @umem_dmabuf: the umem, attached with the phyr flavour
 *
 * Does nothing if it is mapped.  The caller waits for the fences.
 *
 * Context: Process context; may sleep.  The buffer's dma_resv lock must be
 * held.
 * Return: 0, or the error of dma_buf_map_phyr_dma(); -EINVAL if the
 * mapping does not cover the umem.
 */
int ib_umem_dmabuf_phyr_map(struct ib_umem_dmabuf *umem_dmabuf)
{
	struct phyr_dma *map = umem_dmabuf->phyr_map;
	int ret;

	dma_resv_assert_held(umem_dmabuf->attach->dmabuf->resv);
	if (umem_dmabuf->vecs)
		return 0;
	ret = dma_buf_map_phyr_dma(umem_dmabuf->attach, map, DMA_BIDIRECTIONAL, 0);
	if (ret)
		return ret;
	ret = ib_umem_dmabuf_phyr_window(umem_dmabuf, map->vecs, map->nr_vecs);
	if (ret) {
		dma_buf_unmap_phyr_dma(umem_dmabuf->attach, map);
		umem_dmabuf->vecs = NULL;
	}
	return ret;
}

/**
 * ib_umem_dmabuf_phyr_unmap() - undo ib_umem_dmabuf_phyr_map()
 * @umem_dmabuf: the umem
 *
 * Context: Process context; may sleep.  The buffer's dma_resv lock must be
 * held.
 */
void ib_umem_dmabuf_phyr_unmap(struct ib_umem_dmabuf *umem_dmabuf)
{
	dma_resv_assert_held(umem_dmabuf->attach->dmabuf->resv);
	if (!umem_dmabuf->vecs)
		return;
	dma_buf_unmap_phyr_dma(umem_dmabuf->attach, umem_dmabuf->phyr_map);
	umem_dmabuf->vecs = NULL;
	umem_dmabuf->nr_vecs = 0;
}
