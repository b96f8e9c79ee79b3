/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * phyr_dma internals shared by kernel/dma/phyr_dma.c and its KUnit tests
 * (kernel/dma/phyr_dma_kunit.c): the functions that the tests redirect with
 * static stubs (to inject failures or to watch what the mapping code asks of
 * the DMA and P2P APIs).  Not an API: nothing else includes this.
 *
 * Copyright 2026 The phyr developers
 */
#ifndef _KERNEL_DMA_PHYR_DMA_INTERNAL_H
#define _KERNEL_DMA_PHYR_DMA_INTERNAL_H

#include <linux/dma-mapping.h>
#include <linux/pci-p2pdma.h>
#include <linux/types.h>

struct device;

#if IS_ENABLED(CONFIG_KUNIT)
/* phyr_dma.c: every call phyr_dma makes into the DMA and P2P APIs */
enum pci_p2pdma_map_type phyr_dma_map_type(struct p2pdma_provider *provider,
					   struct device *dev);
bool phyr_dma_iova_try_alloc(struct device *dev, struct dma_iova_state *state,
			     phys_addr_t phys, size_t size);
void phyr_dma_iova_free(struct device *dev, struct dma_iova_state *state);
int phyr_dma_iova_link(struct device *dev, struct dma_iova_state *state,
		       phys_addr_t phys, size_t offset, size_t size,
		       enum dma_data_direction dir, unsigned long attrs);
int phyr_dma_iova_link_vecs(struct device *dev, struct dma_iova_state *state,
			    size_t offset, const struct phys_vec *vecs,
			    unsigned int nr_vecs, enum dma_data_direction dir,
			    unsigned long attrs);
void phyr_dma_iova_unlink(struct device *dev, struct dma_iova_state *state,
			  size_t offset, size_t size,
			  enum dma_data_direction dir, unsigned long attrs);
int phyr_dma_iova_sync(struct device *dev, struct dma_iova_state *state,
		       size_t offset, size_t size);
dma_addr_t phyr_dma_map_phys(struct device *dev, phys_addr_t phys,
			     size_t size, enum dma_data_direction dir,
			     unsigned long attrs);
void phyr_dma_unmap_phys(struct device *dev, dma_addr_t addr, size_t size,
			 enum dma_data_direction dir, unsigned long attrs);
/* phyr_dma.c: every allocation of a mapping (kvcalloc()/kvfree()) */
void *phyr_dma_alloc(size_t n, size_t size);
void phyr_dma_free(void *p);
#endif

#endif /* _KERNEL_DMA_PHYR_DMA_INTERNAL_H */
