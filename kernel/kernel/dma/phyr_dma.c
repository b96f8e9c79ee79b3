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
 *   %DMA_ATTR_MMIO, anything else fails with -EREMOTEIO.  The answer is
 *   asked once per provider and recorded in the mapping: unmapping and
 *   syncing follow the record, never ask again (the provider's device may
 *   be gone by then).
 * - %PHYR_ATTR_DECRYPTED ranges are mapped with %DMA_ATTR_CC_SHARED.
 *
 * Behind an IOMMU, on a DMA-coherent device, every range that is mapped at
 * all is linked into ONE IOVA range allocated with dma_iova_try_alloc(), so
 * the importer sees one dma_vec for the whole phyr (plus one per run of
 * bus-address ranges).  This needs each range but the first to start, and
 * each but the last to end, on an IOMMU granule.  Ranges are linked with
 * %DMA_ATTR_REQUIRE_COHERENT, so that dma_iova_link() refuses a range it
 * could only link through a swiotlb bounce buffer (an untrusted device and a
 * range that does not fill its granules): linked ranges then never need a
 * sync, which 7.3 cannot do right for them.  Where the granules do not meet,
 * where linking is refused, or without an IOMMU, each range is mapped on its
 * own with dma_map_phys() and gets its own dma_vec.
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
#include <linux/sizes.h>
#include <linux/slab.h>
#include <kunit/static_stub.h>
#include <kunit/visibility.h>

#include "phyr_dma_internal.h"

/* How one range reaches the device. */
enum phyr_dma_kind {
	PHYR_DMA_RAM,		/* mapped as CPU memory */
	PHYR_DMA_MMIO,		/* mapped with DMA_ATTR_MMIO */
	PHYR_DMA_BUS,		/* peer-to-peer by PCI bus address: not mapped */
};

/*
 * Every call into the DMA and P2P APIs and every allocation goes through
 * these, which KUnit tests can redirect to inject failures and to watch what
 * is mapped and unmapped.
 */
VISIBLE_IF_KUNIT enum pci_p2pdma_map_type
phyr_dma_map_type(struct p2pdma_provider *provider, struct device *dev)
{
	KUNIT_STATIC_STUB_REDIRECT(phyr_dma_map_type, provider, dev);
	return pci_p2pdma_map_type(provider, dev);
}
EXPORT_SYMBOL_IF_KUNIT(phyr_dma_map_type);

VISIBLE_IF_KUNIT bool phyr_dma_iova_try_alloc(struct device *dev,
					      struct dma_iova_state *state,
					      phys_addr_t phys, size_t size)
{
	KUNIT_STATIC_STUB_REDIRECT(phyr_dma_iova_try_alloc, dev, state, phys,
				   size);
	return dma_iova_try_alloc(dev, state, phys, size);
}
EXPORT_SYMBOL_IF_KUNIT(phyr_dma_iova_try_alloc);

VISIBLE_IF_KUNIT void phyr_dma_iova_free(struct device *dev,
					 struct dma_iova_state *state)
{
	KUNIT_STATIC_STUB_REDIRECT(phyr_dma_iova_free, dev, state);
	dma_iova_free(dev, state);
}
EXPORT_SYMBOL_IF_KUNIT(phyr_dma_iova_free);

VISIBLE_IF_KUNIT int phyr_dma_iova_link(struct device *dev,
					struct dma_iova_state *state,
					phys_addr_t phys, size_t offset,
					size_t size,
					enum dma_data_direction dir,
					unsigned long attrs)
{
	KUNIT_STATIC_STUB_REDIRECT(phyr_dma_iova_link, dev, state, phys, offset,
				   size, dir, attrs);
	return dma_iova_link(dev, state, phys, offset, size, dir, attrs);
}
EXPORT_SYMBOL_IF_KUNIT(phyr_dma_iova_link);

VISIBLE_IF_KUNIT int phyr_dma_iova_link_vecs(struct device *dev,
					     struct dma_iova_state *state,
					     size_t offset,
					     const struct phys_vec *vecs,
					     unsigned int nr_vecs,
					     enum dma_data_direction dir,
					     unsigned long attrs)
{
	KUNIT_STATIC_STUB_REDIRECT(phyr_dma_iova_link_vecs, dev, state, offset,
				   vecs, nr_vecs, dir, attrs);
	return dma_iova_link_phys_vec(dev, state, offset, vecs, nr_vecs, dir,
				      attrs);
}
EXPORT_SYMBOL_IF_KUNIT(phyr_dma_iova_link_vecs);

VISIBLE_IF_KUNIT void phyr_dma_iova_unlink(struct device *dev,
					   struct dma_iova_state *state,
					   size_t offset, size_t size,
					   enum dma_data_direction dir,
					   unsigned long attrs)
{
	KUNIT_STATIC_STUB_REDIRECT(phyr_dma_iova_unlink, dev, state, offset,
				   size, dir, attrs);
	dma_iova_unlink(dev, state, offset, size, dir, attrs);
}
EXPORT_SYMBOL_IF_KUNIT(phyr_dma_iova_unlink);

VISIBLE_IF_KUNIT int phyr_dma_iova_sync(struct device *dev,
					struct dma_iova_state *state,
					size_t offset, size_t size)
{
	KUNIT_STATIC_STUB_REDIRECT(phyr_dma_iova_sync, dev, state, offset,
				   size);
	return dma_iova_sync(dev, state, offset, size);
}
EXPORT_SYMBOL_IF_KUNIT(phyr_dma_iova_sync);

VISIBLE_IF_KUNIT dma_addr_t phyr_dma_map_phys(struct device *dev,
					      phys_addr_t phys, size_t size,
					      enum dma_data_direction dir,
					      unsigned long attrs)
{
	KUNIT_STATIC_STUB_REDIRECT(phyr_dma_map_phys, dev, phys, size, dir,
				   attrs);
	return dma_map_phys(dev, phys, size, dir, attrs);
}
EXPORT_SYMBOL_IF_KUNIT(phyr_dma_map_phys);

VISIBLE_IF_KUNIT void phyr_dma_unmap_phys(struct device *dev, dma_addr_t addr,
					  size_t size,
					  enum dma_data_direction dir,
					  unsigned long attrs)
{
	KUNIT_STATIC_STUB_REDIRECT(phyr_dma_unmap_phys, dev, addr, size, dir,
				   attrs);
	dma_unmap_phys(dev, addr, size, dir, attrs);
}
EXPORT_SYMBOL_IF_KUNIT(phyr_dma_unmap_phys);

VISIBLE_IF_KUNIT void *phyr_dma_alloc(size_t n, size_t size)
{
	KUNIT_STATIC_STUB_REDIRECT(phyr_dma_alloc, n, size);
	return kvcalloc(n, size, GFP_KERNEL);
}
EXPORT_SYMBOL_IF_KUNIT(phyr_dma_alloc);

VISIBLE_IF_KUNIT void phyr_dma_free(void *p)
{
	KUNIT_STATIC_STUB_REDIRECT(phyr_dma_free, p);
	kvfree(p);
}
EXPORT_SYMBOL_IF_KUNIT(phyr_dma_free);

/*
 * The longest IOVA range phyr_dma asks for: dma_iova_try_alloc() takes a
 * size_t (32 bits on 32-bit kernels, even with a 64-bit phys_addr_t), and
 * refuses sizes with DMA_IOVA_USE_SWIOTLB, its top bit, set.  Longer phyrs
 * are mapped range by range.
 */
#define PHYR_DMA_IOVA_MAX	min_t(u64, SIZE_MAX, DMA_IOVA_USE_SWIOTLB - 1)

/*
 * The kind of the P2P ranges of @provider as phyr_dma_map() recorded it, or
 * -ENOENT for a provider it did not see.
 */
static int phyr_dma_p2p_find(const struct phyr_dma *map,
			     const struct p2pdma_provider *provider)
{
	unsigned int i;

	if (map->nr_p2p && map->p2p.provider == provider)
		return map->p2p.kind;
	for (i = 1; i < map->nr_p2p; i++)
		if (map->more_p2p[i - 1].provider == provider)
			return map->more_p2p[i - 1].kind;
	return -ENOENT;
}

/*
 * At map time, the kind of the P2P ranges of @provider: asked of
 * pci_p2pdma_map_type() once per provider and recorded, so that unmapping
 * and syncing do exactly what mapping did, whatever the provider (or its
 * device, which may be gone by then) would answer later.
 */
static int phyr_dma_p2p_learn(struct phyr_dma *map,
			      struct p2pdma_provider *provider)
{
	int kind = phyr_dma_p2p_find(map, provider);
	struct phyr_dma_p2p *more;
	unsigned int n;

	if (kind >= 0)
		return kind;
	switch (phyr_dma_map_type(provider, map->dev)) {
	case PCI_P2PDMA_MAP_BUS_ADDR:
		kind = PHYR_DMA_BUS;
		break;
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		kind = PHYR_DMA_MMIO;
		break;
	default:
		return -EREMOTEIO;
	}

	if (!map->nr_p2p) {
		map->p2p.provider = provider;
		map->p2p.kind = kind;
		map->nr_p2p = 1;
		return kind;
	}
	/* @more_p2p holds n entries, in room for 4, 8, 16, ... */
	n = map->nr_p2p - 1;
	if (n == UINT_MAX - 1)
		return -ENOMEM;
	if (!n || (n >= 4 && is_power_of_2(n))) {
		more = phyr_dma_alloc(n ? 2 * n : 4, sizeof(*more));
		if (!more)
			return -ENOMEM;
		if (n)
			memcpy(more, map->more_p2p, n * sizeof(*more));
		phyr_dma_free(map->more_p2p);
		map->more_p2p = more;
	}
	map->more_p2p[n].provider = provider;
	map->more_p2p[n].kind = kind;
	map->nr_p2p++;
	return kind;
}

/* How a range of a mapped phyr was mapped, from what phyr_dma_map() recorded. */
static int phyr_dma_kind(const struct phyr_dma *map,
			 const struct phyr_cursor *cur)
{
	int kind;

	if (cur->type == PHYR_MEM_RAM)
		return PHYR_DMA_RAM;
	kind = phyr_dma_p2p_find(map, cur->provider);
	/* only if the phyr changed while mapped: leave the range alone */
	if (WARN_ON_ONCE(kind < 0))
		return PHYR_DMA_BUS;
	return kind;
}

/* The DMA attributes of a range mapped on its own with dma_map_phys(). */
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
 * The DMA attributes of a range linked into the IOVA range.  Linked ranges
 * require coherent DMA: dma_iova_link() then refuses (-EPERM, -EOPNOTSUPP)
 * a range that it could only link through swiotlb bounce buffers or on a
 * device that is not DMA coherent, the cases where the linked ranges would
 * need syncing, which 7.3 cannot do correctly for linked ranges (a sync of a
 * range on its IOVA reaches only the first bounce buffer of it).  Such a
 * phyr is mapped range by range instead, where syncing works.
 */
static unsigned long phyr_dma_link_attrs(const struct phyr_dma *map,
					 const struct phyr_cursor *cur,
					 int kind)
{
	return phyr_dma_attrs(map, cur, kind) | DMA_ATTR_REQUIRE_COHERENT;
}

/* dma_iova_link() refused to link a range without bouncing or syncing. */
static bool phyr_dma_link_refused(int ret)
{
	return ret == -EPERM || ret == -EOPNOTSUPP;
}

/*
 * Unlink the first @len bytes of the IOVA range: in one call if every linked
 * range has the same DMA attributes, else in runs of ranges that share them.
 */
static void phyr_dma_unlink(struct phyr_dma *map, size_t len)
{
	unsigned long run_attrs = 0, attrs;
	size_t run_off = 0, run_len = 0;
	struct phyr_cursor cur;
	int kind;

	/* the common case: one call for everything */
	if (!map->mixed_attrs) {
		phyr_dma_iova_unlink(map->dev, &map->state, 0, len, map->dir,
				     map->link_attrs);
		return;
	}

	phyr_cursor_init(&cur, map->phyr);
	while (len && phyr_cursor_next(&cur)) {
		kind = phyr_dma_kind(map, &cur);
		if (kind == PHYR_DMA_BUS)
			continue;
		attrs = phyr_dma_link_attrs(map, &cur, kind);
		if (run_len && attrs != run_attrs) {
			phyr_dma_iova_unlink(map->dev, &map->state, run_off,
					     run_len, map->dir, run_attrs);
			run_off += run_len;
			run_len = 0;
		}
		run_attrs = attrs;
		run_len += min(cur.len, len);
		len -= min(cur.len, len);
	}
	if (run_len)
		phyr_dma_iova_unlink(map->dev, &map->state, run_off, run_len,
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
		kind = phyr_dma_kind(map, &cur);
		if (kind != PHYR_DMA_BUS)
			phyr_dma_unmap_phys(map->dev, map->vecs[i].addr,
					    cur.len, map->dir,
					    phyr_dma_attrs(map, &cur, kind));
		i++;
	}
}

/* The dma_vec array for up to @max_vecs entries: @map->vec for one. */
static int phyr_dma_alloc_vecs(struct phyr_dma *map, unsigned long max_vecs)
{
	if (max_vecs > UINT_MAX)
		return -ENOMEM;
	if (max_vecs == 1) {
		map->vecs = &map->vec;
		return 0;
	}
	map->vecs = phyr_dma_alloc(max_vecs, sizeof(*map->vecs));
	return map->vecs ? 0 : -ENOMEM;
}

static void phyr_dma_free_vecs(struct phyr_dma *map)
{
	if (map->vecs != &map->vec)
		phyr_dma_free(map->vecs);
	map->vecs = NULL;
	map->nr_vecs = 0;
}

static void phyr_dma_add_vec(struct phyr_dma *map, dma_addr_t addr, size_t len)
{
	map->vecs[map->nr_vecs].addr = addr;
	map->vecs[map->nr_vecs].len = len;
	map->nr_vecs++;
}

/* Give back the IOVA range, with nothing linked into it any more. */
static void phyr_dma_drop_iova(struct phyr_dma *map)
{
	phyr_dma_iova_free(map->dev, &map->state);
	memset(&map->state, 0, sizeof(map->state));
	map->use_iova = false;
	map->iova_len = 0;
	map->link_attrs = 0;
	map->mixed_attrs = false;
}

/*
 * First pass: record how each provider is reached, refuse unreachable
 * ranges, count the bus-address ranges and, behind an IOMMU (@granule not
 * 0), decide whether the other ranges can share one IOVA range and reserve
 * it.
 */
static int phyr_dma_plan(struct phyr_dma *map, unsigned long granule,
			 unsigned long *nr_bus)
{
	phys_addr_t first = 0, end = 0;
	struct phyr_cursor cur;
	unsigned long attrs;
	bool aligned = true;
	size_t link_len = 0;
	int kind;

	*nr_bus = 0;
	phyr_cursor_init(&cur, map->phyr);
	while (phyr_cursor_next(&cur)) {
		kind = PHYR_DMA_RAM;
		if (cur.type != PHYR_MEM_RAM) {
			kind = phyr_dma_p2p_learn(map, cur.provider);
			if (kind < 0)
				return kind;
		}
		if (kind == PHYR_DMA_BUS) {
			(*nr_bus)++;
			continue;
		}
		if (!granule)
			continue;
		attrs = phyr_dma_link_attrs(map, &cur, kind);
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

	if (link_len && aligned && link_len <= PHYR_DMA_IOVA_MAX)
		map->use_iova = phyr_dma_iova_try_alloc(map->dev, &map->state,
							first, link_len);
	if (!map->use_iova) {
		map->link_attrs = 0;
		map->mixed_attrs = false;
	}
	return 0;
}

/*
 * Ranges linked with one dma_iova_link_phys_vec() call, one page table walk:
 * a batch on the stack, or up to 32 KiB of them for a longer phyr.  Each
 * call walks down from the top of the page table and checks its arguments:
 * 2048 ranges of 4 KiB fill four leaf tables (2 MiB of IOVA each), so a
 * fragmented phyr pays that once per 8 MiB, and batches end on a leaf table
 * boundary wherever the IOVA range starts on one.
 */
#define PHYR_DMA_LINK_BATCH	32
#define PHYR_DMA_LINK_BATCH_BIG	(SZ_32K / sizeof(struct phys_vec))

/*
 * Link the @n ranges of @batch after what is linked; they end at byte @end
 * of the phyr, which is then linked up to there.  0 or the error.
 */
static int phyr_dma_link_batch(struct phyr_dma *map, struct phys_vec *batch,
			       unsigned int n, size_t end)
{
	int ret;

	if (!n)
		return 0;
	ret = phyr_dma_iova_link_vecs(map->dev, &map->state, map->iova_len,
				      batch, n, map->dir, map->link_attrs);
	if (ret)
		return ret;
	map->iova_len = end;
	return 0;
}

/*
 * The common case in one pass: behind an IOMMU, a phyr of RAM ranges that
 * share their DMA attributes and meet on the granule is linked into one IOVA
 * range of phyr_len() bytes, up to %PHYR_DMA_LINK_BATCH_BIG ranges per
 * dma_iova_link_phys_vec() call (%PHYR_DMA_LINK_BATCH for a short phyr, or
 * where the bigger batch cannot be had), without phyr_dma_plan()'s walk
 * first.
 * Returns -EAGAIN, with nothing mapped, where the phyr is not such a phyr
 * (or no IOVA range can be had): phyr_dma_map() then plans.
 */
static int phyr_dma_link_all(struct phyr_dma *map, unsigned long granule)
{
	struct phys_vec stack[PHYR_DMA_LINK_BATCH], *batch = stack, *big = NULL;
	unsigned int i, n, size = ARRAY_SIZE(stack);
	const struct phyr *phyr = map->phyr;
	struct device *dev = map->dev;
	struct phyr_cursor cur;
	phys_addr_t end = 0;
	bool check;
	int ret;

	phyr_cursor_init(&cur, phyr);
	if (!phyr_cursor_next(&cur) || cur.type != PHYR_MEM_RAM)
		return -EAGAIN;
	map->link_attrs = phyr_dma_link_attrs(map, &cur, PHYR_DMA_RAM);
	if (!phyr_dma_iova_try_alloc(dev, &map->state, cur.phys, phyr_len(phyr)))
		return -EAGAIN;
	map->use_iova = true;
	/* fewer walks for a long phyr; without the memory, more of them */
	if (phyr_nr_ranges(phyr) > size) {
		n = min_t(unsigned long, phyr_nr_ranges(phyr),
			  PHYR_DMA_LINK_BATCH_BIG);
		big = phyr_dma_alloc(n, sizeof(*big));
		if (big) {
			batch = big;
			size = n;
		}
	}

	/*
	 * In batches straight from the phyr: the IOMMU walks its page table
	 * once per batch.  A batch ends early only where the phyr ends or a
	 * range of another kind follows, which sends the phyr to the plan.
	 * Where the phyr knows all its ranges to be page-aligned, they meet
	 * on a granule no larger than a page without a look at each.  The
	 * ranges are linked in order, so the IOVA range is linked up to the
	 * phyr offset the cursor reached.
	 */
	check = !phyr_page_aligned(phyr) || (granule & PAGE_MASK);
	phyr_cursor_init(&cur, phyr);
	while ((n = phyr_cursor_next_vecs(&cur, batch, size))) {
		ret = -EAGAIN;
		if (cur.type != PHYR_MEM_RAM ||
		    phyr_dma_link_attrs(map, &cur, PHYR_DMA_RAM) != map->link_attrs)
			goto undo;
		for (i = 0; check && i < n; i++) {
			if ((map->iova_len || i) && ((batch[i].paddr | end) & granule))
				goto undo;
			end = batch[i].paddr + batch[i].len;
		}
		if (n < size && phyr_cursor_next(&cur))
			goto undo;
		ret = phyr_dma_link_batch(map, batch, n, cur.offset + cur.len);
		if (ret)
			goto undo;
		if (n < size)
			break;
	}

	ret = phyr_dma_iova_sync(dev, &map->state, 0, map->iova_len);
	if (ret)
		goto undo;
	phyr_dma_free(big);
	map->vecs = &map->vec;
	map->nr_vecs = 1;
	map->vec.addr = map->state.addr;
	map->vec.len = map->iova_len;
	return 0;

undo:
	phyr_dma_free(big);
	if (map->iova_len)
		phyr_dma_iova_unlink(dev, &map->state, 0, map->iova_len, map->dir,
				     map->link_attrs);
	phyr_dma_drop_iova(map);
	return ret;
}

/*
 * After phyr_dma_plan() reserved the IOVA range: link every range but the
 * bus-address ones into it, in order.  The dma_vec list holds one entry per
 * run of linked ranges (they are contiguous in the IOVA range) and one per
 * run of bus-address ranges that are contiguous on the bus.  On failure
 * nothing is linked, the IOVA range is given back and the list freed.
 */
static int phyr_dma_map_linked(struct phyr_dma *map, unsigned long nr_bus)
{
	struct device *dev = map->dev;
	struct dma_vec *last = NULL;
	struct phyr_cursor cur;
	bool last_bus = false;
	dma_addr_t addr;
	int kind, ret;

	ret = phyr_dma_alloc_vecs(map, 2 * nr_bus + 1);
	if (ret)
		goto err_free_iova;

	phyr_cursor_init(&cur, map->phyr);
	while (phyr_cursor_next(&cur)) {
		kind = phyr_dma_kind(map, &cur);
		if (kind == PHYR_DMA_BUS) {
			addr = pci_p2pdma_bus_addr_map(cur.provider, cur.phys);
			if (last && last_bus && last->addr + last->len == addr) {
				last->len += cur.len;
				continue;
			}
			last_bus = true;
		} else {
			ret = phyr_dma_iova_link(dev, &map->state, cur.phys,
						 map->iova_len, cur.len, map->dir,
						 phyr_dma_link_attrs(map, &cur, kind));
			if (ret)
				goto err_unlink;
			addr = map->state.addr + map->iova_len;
			map->iova_len += cur.len;
			if (last && !last_bus) {
				last->len += cur.len;
				continue;
			}
			last_bus = false;
		}
		phyr_dma_add_vec(map, addr, cur.len);
		last = &map->vecs[map->nr_vecs - 1];
	}

	ret = phyr_dma_iova_sync(dev, &map->state, 0, map->iova_len);
	if (ret)
		goto err_unlink;
	return 0;

err_unlink:
	if (map->iova_len)
		phyr_dma_unlink(map, map->iova_len);
	phyr_dma_free_vecs(map);
err_free_iova:
	phyr_dma_drop_iova(map);
	return ret;
}

/*
 * Without one IOVA range: map every range on its own, one dma_vec each.  On
 * failure nothing is mapped and the list is freed.
 */
static int phyr_dma_map_ranges(struct phyr_dma *map)
{
	struct device *dev = map->dev;
	struct phyr_cursor cur;
	dma_addr_t addr;
	int kind, ret;

	ret = phyr_dma_alloc_vecs(map, phyr_nr_ranges(map->phyr));
	if (ret)
		return ret;

	phyr_cursor_init(&cur, map->phyr);
	while (phyr_cursor_next(&cur)) {
		kind = phyr_dma_kind(map, &cur);
		if (kind == PHYR_DMA_BUS) {
			addr = pci_p2pdma_bus_addr_map(cur.provider, cur.phys);
		} else {
			addr = phyr_dma_map_phys(dev, cur.phys, cur.len, map->dir,
						 phyr_dma_attrs(map, &cur, kind));
			ret = dma_mapping_error(dev, addr);
			if (ret) {
				phyr_dma_unmap_ranges(map, map->nr_vecs);
				phyr_dma_free_vecs(map);
				return ret;
			}
		}
		phyr_dma_add_vec(map, addr, cur.len);
	}
	return 0;
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
 * @map->vecs in the order of the phyr's bytes.  How each P2P provider is
 * reached is decided here, once: unmapping and syncing do not ask again.
 * Nothing stays mapped or allocated when it fails.
 *
 * Context: Process context; may sleep.
 * Return: 0 on success; -EINVAL for an empty @phyr or an invalid @dir;
 * -EREMOTEIO if @dev cannot reach the provider of a P2P range; -ENOMEM if
 * memory or DMA address space ran out; another negative errno from the
 * IOMMU.
 */
int phyr_dma_map(struct phyr_dma *map, const struct phyr *phyr,
		 struct device *dev, enum dma_data_direction dir,
		 unsigned long attrs)
{
	unsigned long nr_bus, granule;
	int ret;

	memset(map, 0, sizeof(*map));
	if (!valid_dma_direction(dir) || phyr_empty(phyr))
		return -EINVAL;
	map->phyr = phyr;
	map->dev = dev;
	map->dir = dir;
	map->attrs = attrs;

	/*
	 * One IOVA range only behind an IOMMU, on a coherent device (linked
	 * ranges must need no sync) and for a length the IOVA API takes.
	 */
	granule = dma_get_merge_boundary(dev);
	if (!dev_is_dma_coherent(dev) || phyr_len(phyr) > PHYR_DMA_IOVA_MAX)
		granule = 0;
	if (granule) {
		ret = phyr_dma_link_all(map, granule);
		if (!ret)
			return 0;
		if (phyr_dma_link_refused(ret))
			granule = 0;
		else if (ret != -EAGAIN)
			goto err;
	}

	ret = phyr_dma_plan(map, granule, &nr_bus);
	if (ret)
		goto err;
	if (map->use_iova) {
		ret = phyr_dma_map_linked(map, nr_bus);
		if (!ret)
			return 0;
		if (!phyr_dma_link_refused(ret))
			goto err;
	}
	ret = phyr_dma_map_ranges(map);
	if (ret)
		goto err;
	return 0;

err:
	phyr_dma_free(map->more_p2p);
	memset(map, 0, sizeof(*map));
	return ret;
}
EXPORT_SYMBOL_GPL(phyr_dma_map);

/**
 * phyr_dma_unmap() - undo phyr_dma_map()
 * @map: a mapping made by phyr_dma_map()
 *
 * Unmaps every range, as phyr_dma_map() mapped it, and frees the dma_vec
 * list; @map is cleared.  Unmapping a cleared (or never mapped) @map is a
 * kernel bug and only warns.
 *
 * Context: Process context; may sleep.
 */
void phyr_dma_unmap(struct phyr_dma *map)
{
	if (WARN_ON_ONCE(!map->phyr))
		return;

	if (map->use_iova) {
		if (map->iova_len)
			phyr_dma_unlink(map, map->iova_len);
		phyr_dma_iova_free(map->dev, &map->state);
	} else {
		phyr_dma_unmap_ranges(map, map->nr_vecs);
	}
	phyr_dma_free_vecs(map);
	phyr_dma_free(map->more_p2p);
	memset(map, 0, sizeof(*map));
}
EXPORT_SYMBOL_GPL(phyr_dma_unmap);

/*
 * Linked ranges never need a sync: they are linked only on a coherent device
 * and with DMA_ATTR_REQUIRE_COHERENT, so never through a bounce buffer.
 * Ranges mapped on their own are synced like any dma_map_phys() mapping,
 * also when they were mapped with DMA_ATTR_SKIP_CPU_SYNC: that skips the
 * syncs of mapping and unmapping, not those the caller asks for.
 */
static void phyr_dma_sync(struct phyr_dma *map, bool for_cpu)
{
	struct phyr_cursor cur;
	unsigned int i = 0;

	if (map->use_iova || !dma_dev_need_sync(map->dev))
		return;

	phyr_cursor_init(&cur, map->phyr);
	while (i < map->nr_vecs && phyr_cursor_next(&cur)) {
		if (phyr_dma_kind(map, &cur) != PHYR_DMA_RAM) {
			i++;
			continue;
		}
		if (for_cpu)
			dma_sync_single_for_cpu(map->dev, map->vecs[i].addr,
						cur.len, map->dir);
		else
			dma_sync_single_for_device(map->dev, map->vecs[i].addr,
						   cur.len, map->dir);
		i++;
	}
}

/**
 * phyr_dma_sync_for_cpu() - make the device's writes visible to the CPU
 * @map: a mapping made by phyr_dma_map()
 *
 * For devices that are not DMA coherent, or whose ranges were bounced
 * through swiotlb: call after the device wrote the buffer and before the CPU
 * reads it.  MMIO and bus-address ranges are not synced.  A no-op where
 * nothing needs it (a coherent device, one IOVA range).
 *
 * Context: Any context.
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
 *
 * Context: Any context.
 */
void phyr_dma_sync_for_device(struct phyr_dma *map)
{
	phyr_dma_sync(map, false);
}
EXPORT_SYMBOL_GPL(phyr_dma_sync_for_device);
