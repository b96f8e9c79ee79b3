/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * phyr_dma: a phyr (the input) mapped for DMA into a dma_vec list (the output)
 *
 * Copyright 2026 The phyr developers
 */
#ifndef _LINUX_PHYR_DMA_H
#define _LINUX_PHYR_DMA_H

#include <linux/dma-direction.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/phyr.h>

struct device;
struct p2pdma_provider;

/*
 * How the ranges of one P2P provider reach the device, decided by
 * phyr_dma_map() (private to kernel/dma/phyr_dma.c).
 */
struct phyr_dma_p2p {
	struct p2pdma_provider *provider;
	unsigned int kind;
};

/**
 * struct phyr_dma - a phyr mapped for DMA by one device
 * @vecs: The DMA address ranges, in the order of the phyr's bytes: byte
 *	offset @off of the phyr is at DMA address vecs[i].addr + (@off minus
 *	the lengths of vecs[0..i-1]).
 * @nr_vecs: Number of entries in @vecs.  Behind an IOMMU that can link the
 *	whole phyr into one IOVA range, this is 1.
 *
 * Made by phyr_dma_map() and undone by phyr_dma_unmap().  The phyr must not
 * change, and must outlive the mapping: unmapping and syncing walk it again.
 *
 * A mapping must not be copied or moved while it is mapped: @vecs may point
 * into the structure itself (a mapping of one dma_vec allocates nothing), so
 * a copy's @vecs points into the original.  Pass it by reference.
 */
struct phyr_dma {
	struct dma_vec *vecs;
	unsigned int nr_vecs;
/* private: */
	const struct phyr *phyr;
	struct device *dev;
	enum dma_data_direction dir;
	unsigned long attrs;
	/* bytes linked into @state, if it is in use */
	size_t iova_len;
	/* DMA attributes of every linked range, unless @mixed_attrs */
	unsigned long link_attrs;
	bool mixed_attrs;
	bool use_iova;
	struct dma_iova_state state;
	/* how each P2P provider of the phyr is reached: @p2p, then @more_p2p */
	unsigned int nr_p2p;
	struct phyr_dma_p2p p2p;
	struct phyr_dma_p2p *more_p2p;
	/* the one entry of @vecs when that is all that is needed */
	struct dma_vec vec;
};

int phyr_dma_map(struct phyr_dma *map, const struct phyr *phyr,
		 struct device *dev, enum dma_data_direction dir,
		 unsigned long attrs);
void phyr_dma_unmap(struct phyr_dma *map);
void phyr_dma_sync_for_cpu(struct phyr_dma *map);
void phyr_dma_sync_for_device(struct phyr_dma *map);

/**
 * phyr_dma_len() - total length of a mapping
 * @map: a mapping made by phyr_dma_map()
 *
 * Context: Any context.
 * Return: the length of the mapped phyr in bytes.
 */
static inline u64 phyr_dma_len(const struct phyr_dma *map)
{
	return phyr_len(map->phyr);
}

#endif /* _LINUX_PHYR_DMA_H */
