// SPDX-License-Identifier: GPL-2.0-only
/*
 * phyr_dma: map a phyr (physical ranges, the input) for DMA into a list of
 * dma_vec (DMA ranges, the output) with the two-step DMA API.
 *
 * Copyright 2026 The phyr developers
 */

/**
 * DOC: phyr DMA mapping
 *
 * phyr_dma_map() maps every range of a phyr for one device and direction:
 *
 * - CPU RAM is mapped like dma_map_phys() maps it.
 * - P2P MMIO follows pci_p2pdma_map_type() for the range's provider and the
 *   device: %PCI_P2PDMA_MAP_BUS_ADDR gives the PCI bus address (nothing is
 *   mapped), %PCI_P2PDMA_MAP_THRU_HOST_BRIDGE maps the range with
 *   %DMA_ATTR_MMIO, anything else fails with -EREMOTEIO.
 * - %PHYR_ATTR_DECRYPTED ranges are mapped with %DMA_ATTR_CC_SHARED.
 *
 * Behind an IOMMU, every range that is mapped at all is linked into ONE
 * IOVA range allocated with dma_iova_try_alloc(), so the importer sees one
 * dma_vec for the whole phyr (plus one per run of bus-address ranges).  This
 * needs each range but the first to start, and each but the last to end, on
 * an IOMMU granule; where that does not hold, or without an IOMMU, each range
 * is mapped on its own with dma_map_phys() and gets its own dma_vec.
 *
 * Unmapping and syncing walk the phyr again, so the phyr must stay unchanged
 * while it is mapped.
 */

#include <linux/bitops.h>
#include <linux/device.h>
#include <linux/dma-map-ops.h>
#include <linux/log2.h>
#include <linux/pci-p2pdma.h>
#include <linux/phyr_dma.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

/* How one range reaches the device. */
enum phyr_dma_kind {
	PHYR_DMA_RAM,		/* mapped as CPU memory */
	PHYR_DMA_MMIO,		/* mapped with DMA_ATTR_MMIO */
	PHYR_DMA_BUS,		/* peer-to-peer by PCI bus address: not mapped */
};

static int phyr_dma_kind(const struct phyr_cursor *cur, struct device *dev)
{
	if (cur->type == PHYR_MEM_RAM)
		return PHYR_DMA_RAM;

	switch (pci_p2pdma_map_type(cur->provider, dev)) {
	case PCI_P2PDMA_MAP_BUS_ADDR:
		return PHYR_DMA_BUS;
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		return PHYR_DMA_MMIO;
	default:
		return -EREMOTEIO;
	}
}

static unsigned long phyr_dma_attrs(const struct phyr_dma *map,
				    const struct phyr_cursor *cur, int kind)
{
	unsigned long attrs = map->attrs;

	if (kind == PHYR_DMA_MMIO)
		attrs |= DMA_ATTR_MMIO;
	if (cur->attrs & PHYR_ATTR_DECRYPTED)
		attrs |= DMA_ATTR_CC_SHARED;
	return attrs;
}

/*
 * Unlink the first @len bytes of the IOVA range: in one call if every linked
 * range has the same DMA attributes, else in runs of ranges that share them
 * (they decide how each run is synced and unlinked).
 */
static void phyr_dma_unlink(struct phyr_dma *map, size_t len)
{
	unsigned long run_attrs = 0, attrs;
	size_t run_off = 0, run_len = 0;
	struct phyr_cursor cur;
	int kind;

	/* the common case: one call for everything */
	if (!map->mixed_attrs) {
		dma_iova_unlink(map->dev, &map->state, 0, len, map->dir,
				map->link_attrs);
		return;
	}

	phyr_cursor_init(&cur, map->phyr);
	while (len && phyr_cursor_next(&cur)) {
		kind = phyr_dma_kind(&cur, map->dev);
		if (kind == PHYR_DMA_BUS)
			continue;
		attrs = phyr_dma_attrs(map, &cur, kind);
		if (run_len && attrs != run_attrs) {
			dma_iova_unlink(map->dev, &map->state, run_off, run_len,
					map->dir, run_attrs);
			run_off += run_len;
			run_len = 0;
		}
		run_attrs = attrs;
		run_len += min(cur.len, len);
		len -= min(cur.len, len);
	}
	if (run_len)
		dma_iova_unlink(map->dev, &map->state, run_off, run_len,
				map->dir, run_attrs);
}

/* Unmap the first @nr ranges of a per-range mapping (one dma_vec each). */
static void phyr_dma_unmap_ranges(struct phyr_dma *map, unsigned int nr)
{
	struct phyr_cursor cur;
	unsigned int i = 0;
	int kind;

	phyr_cursor_init(&cur, map->phyr);
	while (i < nr && phyr_cursor_next(&cur)) {
		kind = phyr_dma_kind(&cur, map->dev);
		if (kind != PHYR_DMA_BUS)
			dma_unmap_phys(map->dev, map->vecs[i].addr, cur.len,
				       map->dir, phyr_dma_attrs(map, &cur, kind));
		i++;
	}
}

static void phyr_dma_free_vecs(struct phyr_dma *map)
{
	if (map->vecs != &map->vec)
		kvfree(map->vecs);
	map->vecs = NULL;
	map->nr_vecs = 0;
}

/* Append a DMA range; behind the IOVA, contiguous ranges share one entry. */
static void phyr_dma_add_vec(struct phyr_dma *map, dma_addr_t addr, size_t len)
{
	struct dma_vec *last = map->nr_vecs ? &map->vecs[map->nr_vecs - 1] : NULL;

	if (map->use_iova && last && last->addr + last->len == addr) {
		last->len += len;
		return;
	}
	map->vecs[map->nr_vecs].addr = addr;
	map->vecs[map->nr_vecs].len = len;
	map->nr_vecs++;
}

/*
 * First pass: refuse unreachable ranges, count the bus-address ranges and
 * decide whether the other ranges can share one IOVA range.
 */
static int phyr_dma_plan(struct phyr_dma *map, unsigned long *nr_bus)
{
	unsigned long granule = dma_get_merge_boundary(map->dev), attrs;
	phys_addr_t first = 0, end = 0;
	struct phyr_cursor cur;
	bool aligned = true;
	size_t link_len = 0;
	int kind;

	*nr_bus = 0;
	phyr_cursor_init(&cur, map->phyr);
	while (phyr_cursor_next(&cur)) {
		kind = phyr_dma_kind(&cur, map->dev);
		if (kind < 0)
			return kind;
		if (kind == PHYR_DMA_BUS) {
			(*nr_bus)++;
			continue;
		}
		attrs = phyr_dma_attrs(map, &cur, kind);
		if (link_len) {
			if ((cur.phys & granule) || (end & granule))
				aligned = false;
			if (attrs != map->link_attrs)
				map->mixed_attrs = true;
		} else {
			first = cur.phys;
			map->link_attrs = attrs;
		}
		end = cur.phys + cur.len;
		if (check_add_overflow(link_len, cur.len, &link_len))
			aligned = false;
	}

	if (link_len && aligned && granule)
		map->use_iova = dma_iova_try_alloc(map->dev, &map->state, first,
						   link_len);
	return 0;
}

/*
 * The common case in one pass: behind an IOMMU, a phyr of RAM ranges that
 * share their DMA attributes and meet on the granule is linked range by
 * range into one IOVA range of phyr_len() bytes, without phyr_dma_plan()'s
 * walk first.  Returns -EAGAIN, with nothing mapped, where the phyr is not
 * such a phyr (or no IOVA range can be had): phyr_dma_map() then plans.
 */
static int phyr_dma_link_all(struct phyr_dma *map, unsigned long granule)
{
	const struct phyr *phyr = map->phyr;
	struct device *dev = map->dev;
	struct phyr_cursor cur;
	phys_addr_t end = 0;
	int ret;

	phyr_cursor_init(&cur, phyr);
	if (!phyr_cursor_next(&cur) || cur.type != PHYR_MEM_RAM)
		return -EAGAIN;
	map->link_attrs = phyr_dma_attrs(map, &cur, PHYR_DMA_RAM);
	if (!dma_iova_try_alloc(dev, &map->state, cur.phys, phyr_len(phyr)))
		return -EAGAIN;

	do {
		if (cur.type != PHYR_MEM_RAM ||
		    phyr_dma_attrs(map, &cur, PHYR_DMA_RAM) != map->link_attrs ||
		    (map->iova_len && ((cur.phys | end) & granule))) {
			ret = -EAGAIN;
			goto undo;
		}
		ret = dma_iova_link(dev, &map->state, cur.phys, map->iova_len,
				    cur.len, map->dir, map->link_attrs);
		if (ret)
			goto undo;
		map->iova_len += cur.len;
		end = cur.phys + cur.len;
	} while (phyr_cursor_next(&cur));

	ret = dma_iova_sync(dev, &map->state, 0, map->iova_len);
	if (ret)
		goto undo;
	map->use_iova = true;
	map->vecs = &map->vec;
	map->nr_vecs = 1;
	map->vec.addr = map->state.addr;
	map->vec.len = map->iova_len;
	return 0;

undo:
	if (map->iova_len)
		dma_iova_unlink(dev, &map->state, 0, map->iova_len, map->dir,
				map->link_attrs);
	dma_iova_free(dev, &map->state);
	memset(&map->state, 0, sizeof(map->state));
	map->iova_len = 0;
	map->link_attrs = 0;
	return ret;
}

/**
 * phyr_dma_map() - map a phyr for DMA by a device
 * @map: the mapping to fill in
 * @phyr: the ranges to map; must stay unchanged until phyr_dma_unmap()
 * @dev: the device that will do the DMA
 * @dir: DMA direction
 * @attrs: DMA_ATTR_* flags for every range (e.g. %DMA_ATTR_SKIP_CPU_SYNC)
 *
 * Maps every range of @phyr as the DOC section above describes and fills in
 * @map->vecs in the order of the phyr's bytes.  Nothing stays mapped or
 * allocated when it fails.  May sleep.
 *
 * Return: 0 on success; -EINVAL for an empty @phyr or an invalid @dir;
 * -EREMOTEIO if @dev cannot reach the provider of a P2P range; -ENOMEM if
 * memory or DMA address space ran out; another negative errno from the
 * IOMMU.
 */
int phyr_dma_map(struct phyr_dma *map, const struct phyr *phyr,
		 struct device *dev, enum dma_data_direction dir,
		 unsigned long attrs)
{
	unsigned long nr_bus, max_vecs, granule;
	struct phyr_cursor cur;
	unsigned int mapped = 0;
	dma_addr_t addr;
	int kind, ret;

	memset(map, 0, sizeof(*map));
	if (!valid_dma_direction(dir) || phyr_empty(phyr))
		return -EINVAL;
	map->phyr = phyr;
	map->dev = dev;
	map->dir = dir;
	map->attrs = attrs;

	granule = dma_get_merge_boundary(dev);
	if (granule) {
		ret = phyr_dma_link_all(map, granule);
		if (ret != -EAGAIN) {
			if (ret)
				memset(map, 0, sizeof(*map));
			return ret;
		}
	}

	ret = phyr_dma_plan(map, &nr_bus);
	if (ret)
		return ret;

	max_vecs = map->use_iova ? 2 * nr_bus + 1 : phyr_nr_ranges(phyr);
	if (max_vecs > UINT_MAX) {
		ret = -ENOMEM;
		goto err_free_iova;
	}
	if (max_vecs == 1) {
		map->vecs = &map->vec;
	} else {
		map->vecs = kvcalloc(max_vecs, sizeof(*map->vecs), GFP_KERNEL);
		if (!map->vecs) {
			ret = -ENOMEM;
			goto err_free_iova;
		}
	}

	phyr_cursor_init(&cur, phyr);
	while (phyr_cursor_next(&cur)) {
		kind = phyr_dma_kind(&cur, dev);
		if (kind < 0) {
			ret = kind;
			goto err_unmap;
		}
		if (kind == PHYR_DMA_BUS) {
			addr = pci_p2pdma_bus_addr_map(cur.provider, cur.phys);
		} else if (map->use_iova) {
			ret = dma_iova_link(dev, &map->state, cur.phys,
					    map->iova_len, cur.len, dir,
					    phyr_dma_attrs(map, &cur, kind));
			if (ret)
				goto err_unmap;
			addr = map->state.addr + map->iova_len;
			map->iova_len += cur.len;
		} else {
			addr = dma_map_phys(dev, cur.phys, cur.len, dir,
					    phyr_dma_attrs(map, &cur, kind));
			ret = dma_mapping_error(dev, addr);
			if (ret)
				goto err_unmap;
		}
		phyr_dma_add_vec(map, addr, cur.len);
		mapped++;
	}

	if (map->use_iova) {
		ret = dma_iova_sync(dev, &map->state, 0, map->iova_len);
		if (ret)
			goto err_unmap;
	}
	return 0;

err_unmap:
	if (!map->use_iova)
		phyr_dma_unmap_ranges(map, mapped);
	else if (map->iova_len)
		phyr_dma_unlink(map, map->iova_len);
	phyr_dma_free_vecs(map);
err_free_iova:
	if (map->use_iova)
		dma_iova_free(dev, &map->state);
	memset(map, 0, sizeof(*map));
	return ret;
}
EXPORT_SYMBOL_GPL(phyr_dma_map);

/**
 * phyr_dma_unmap() - undo phyr_dma_map()
 * @map: a mapping made by phyr_dma_map()
 *
 * Unmaps every range and frees the dma_vec list; @map is cleared.  Unmapping
 * a cleared (or never mapped) @map is a kernel bug and only warns.  May sleep.
 */
void phyr_dma_unmap(struct phyr_dma *map)
{
	if (WARN_ON_ONCE(!map->phyr))
		return;

	if (map->use_iova) {
		if (map->iova_len)
			phyr_dma_unlink(map, map->iova_len);
		dma_iova_free(map->dev, &map->state);
	} else {
		phyr_dma_unmap_ranges(map, map->nr_vecs);
	}
	phyr_dma_free_vecs(map);
	memset(map, 0, sizeof(*map));
}
EXPORT_SYMBOL_GPL(phyr_dma_unmap);

/*
 * Linked IOVA ranges need syncing only on a non-coherent device or where a
 * range was bounced through swiotlb.  7.3 has no sync call for linked ranges:
 * dma_sync_single_*() on a range's IOVA does the right thing (iommu-dma looks
 * up each range), though DMA-API debug, which does not track linked ranges,
 * reports it.
 */
static bool phyr_dma_need_sync(const struct phyr_dma *map)
{
	if (map->attrs & DMA_ATTR_SKIP_CPU_SYNC)
		return false;
	if (!map->use_iova)
		return dma_dev_need_sync(map->dev);
	return !dev_is_dma_coherent(map->dev) ||
	       (map->state.__size & DMA_IOVA_USE_SWIOTLB);
}

static void phyr_dma_sync(struct phyr_dma *map, bool for_cpu)
{
	struct phyr_cursor cur;
	size_t iova_off = 0;
	unsigned int i = 0;
	dma_addr_t addr;
	int kind;

	if (!phyr_dma_need_sync(map))
		return;

	phyr_cursor_init(&cur, map->phyr);
	while (phyr_cursor_next(&cur)) {
		kind = phyr_dma_kind(&cur, map->dev);
		if (map->use_iova) {
			if (kind == PHYR_DMA_BUS)
				continue;
			addr = map->state.addr + iova_off;
			iova_off += cur.len;
		} else {
			addr = map->vecs[i++].addr;
		}
		if (kind != PHYR_DMA_RAM)
			continue;
		if (for_cpu)
			dma_sync_single_for_cpu(map->dev, addr, cur.len, map->dir);
		else
			dma_sync_single_for_device(map->dev, addr, cur.len,
						   map->dir);
	}
}

/**
 * phyr_dma_sync_for_cpu() - make the device's writes visible to the CPU
 * @map: a mapping made by phyr_dma_map()
 *
 * For devices that are not DMA coherent (or bounce through swiotlb): call
 * after the device wrote the buffer and before the CPU reads it.  MMIO and
 * bus-address ranges are not synced.  A no-op for coherent devices.
 */
void phyr_dma_sync_for_cpu(struct phyr_dma *map)
{
	phyr_dma_sync(map, true);
}
EXPORT_SYMBOL_GPL(phyr_dma_sync_for_cpu);

/**
 * phyr_dma_sync_for_device() - make the CPU's writes visible to the device
 * @map: a mapping made by phyr_dma_map()
 *
 * The counterpart of phyr_dma_sync_for_cpu(): call after the CPU wrote the
 * buffer and before the device reads it.
 */
void phyr_dma_sync_for_device(struct phyr_dma *map)
{
	phyr_dma_sync(map, false);
}
EXPORT_SYMBOL_GPL(phyr_dma_sync_for_device);

/**
 * phyr_dma_best_pgsz() - the largest page size that can map a phyr_dma
 * @map: a mapping made by phyr_dma_map()
 * @pgsz_bitmap: the page sizes the device's page tables support
 * @iova: the device virtual address the mapping will start at
 *
 * For devices with their own page tables (RDMA memory regions), with the
 * semantics of ib_umem_find_best_pgsz(): the largest page size in
 * @pgsz_bitmap whose low bits are equal in the IOVA and the DMA address at
 * every discontinuity of the DMA ranges (contiguous ranges count as one),
 * and at which the IOVA of every discontinuity but the first is aligned.  A
 * page may be larger than the mapping: the smallest supported page that
 * covers [@iova, @iova + length) whole is allowed.
 *
 * Return: the page size, or 0 if none in @pgsz_bitmap works.
 */
unsigned long phyr_dma_best_pgsz(const struct phyr_dma *map,
				 unsigned long pgsz_bitmap, u64 iova)
{
	u64 len = phyr_dma_len(map), va = iova, last_va, mask = 0;
	dma_addr_t end = 0;
	unsigned int i, bits;

	if (!map->nr_vecs || !len || check_add_overflow(iova, len - 1, &last_va))
		return 0;
	/* pages above the highest bit that changes over the span cover it whole */
	bits = fls64(iova ^ last_va);
	if (bits < BITS_PER_LONG)
		mask = pgsz_bitmap & GENMASK(BITS_PER_LONG - 1, bits);
	for (i = 0; i < map->nr_vecs; i++) {
		if (!i || end != map->vecs[i].addr) {
			mask |= map->vecs[i].addr ^ va;
			if (i)
				mask |= va;
		}
		end = map->vecs[i].addr + map->vecs[i].len;
		va += map->vecs[i].len;
	}
	if (mask)
		pgsz_bitmap &= GENMASK_ULL(__ffs64(mask), 0);
	return pgsz_bitmap ? rounddown_pow_of_two(pgsz_bitmap) : 0;
}
EXPORT_SYMBOL_GPL(phyr_dma_best_pgsz);

/* the longest DMA segment one scatterlist entry can describe */
#define PHYR_SG_MAX	ALIGN_DOWN(UINT_MAX, PAGE_SIZE)

/**
 * phyr_dma_to_sgt() - a DMA-only sg_table of a mapping, for legacy importers
 * @map: a mapping made by phyr_dma_map()
 * @sgt: the table to fill in
 * @gfp: allocation flags
 *
 * Fills @sgt with the DMA addresses of @map, one entry per dma_vec (split
 * where a dma_vec is longer than an entry can say), and no CPU side: every
 * sg_page() is %NULL and @sgt->orig_nents is 0, the convention of 7.3's
 * dma_buf_phys_vec_to_sgt().  The table describes @map's addresses and does
 * not own them: free it with phyr_dma_free_sgt() before phyr_dma_unmap().
 *
 * Return: 0 on success; -EINVAL if @map maps nothing; -E2BIG if the table
 * would need more than UINT_MAX entries; -ENOMEM.
 */
int phyr_dma_to_sgt(const struct phyr_dma *map, struct sg_table *sgt,
		    gfp_t gfp)
{
	unsigned int nents = 0, i;
	struct scatterlist *sg;
	int ret;

	if (!map->nr_vecs)
		return -EINVAL;
	for (i = 0; i < map->nr_vecs; i++)
		if (check_add_overflow(nents,
				       (unsigned int)DIV_ROUND_UP_ULL(map->vecs[i].len,
								     PHYR_SG_MAX),
				       &nents))
			return -E2BIG;

	ret = sg_alloc_table(sgt, nents, gfp);
	if (ret)
		return ret;

	sg = sgt->sgl;
	for (i = 0; i < map->nr_vecs; i++) {
		dma_addr_t addr = map->vecs[i].addr;
		size_t left = map->vecs[i].len, len;

		while (left) {
			len = min_t(size_t, left, PHYR_SG_MAX);
			sg_set_page(sg, NULL, 0, 0);
			sg_dma_address(sg) = addr;
			sg_dma_len(sg) = len;
			addr += len;
			left -= len;
			sg = sg_next(sg);
		}
	}
	/* no CPU list: orig_nents 0 tells importers so */
	sgt->orig_nents = 0;
	return 0;
}
EXPORT_SYMBOL_GPL(phyr_dma_to_sgt);

/**
 * phyr_dma_free_sgt() - free a table made by phyr_dma_to_sgt()
 * @sgt: the table
 *
 * sg_free_table() frees as many entries as @sgt->orig_nents says, which is 0
 * in a DMA-only table: the count of entries allocated, @sgt->nents, is put
 * back first.
 */
void phyr_dma_free_sgt(struct sg_table *sgt)
{
	sgt->orig_nents = sgt->nents;
	sg_free_table(sgt);
}
EXPORT_SYMBOL_GPL(phyr_dma_free_sgt);
