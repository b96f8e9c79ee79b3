// SPDX-License-Identifier: GPL-2.0-only
/*
 * phyr_bench: phyr -> dma_vec against sg_table -> dma_map_sgtable, side by
 * side in one run, on one device.  Not a test: reading
 * /sys/kernel/debug/phyr/bench runs it and returns the table.
 *
 * Copyright 2026 The phyr developers
 */

#include <linux/cacheflush.h>
#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/phyr_dma.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>

#include "phyr_edu.h"
/* the page table's allocator, to time its table pages apart (bench only) */
#include "../../iommu/iommu-pages.h"

static u32 bench_size_mb = 1024;
static u32 bench_reps = 3;
static u32 bench_sweep_mb = 2048;
static struct dentry *bench_dir;

/* Seeks per seek bench: random byte offsets, the same for phyr and sg_table */
#define BENCH_SEEKS		256
/* The window a seek bench slices out of the phyr at each offset */
#define BENCH_SEEK_WINDOW	SZ_64K

struct bench_times {
	u64 build, map, unmap;
};

/* Bytes an sg_table of @nents entries allocates: chained blocks of 128 entries. */
static size_t sg_table_bytes(unsigned int nents)
{
	size_t per = SG_MAX_SINGLE_ALLOC - 1;

	if (nents <= SG_MAX_SINGLE_ALLOC)
		return nents * sizeof(struct scatterlist) + sizeof(struct sg_table);
	return DIV_ROUND_UP(nents, per) * SG_MAX_SINGLE_ALLOC *
	       sizeof(struct scatterlist) + sizeof(struct sg_table);
}

static void keep_best(struct bench_times *best, const struct bench_times *t)
{
	best->build = min(best->build, t->build);
	best->map = min(best->map, t->map);
	best->unmap = min(best->unmap, t->unmap);
}

/* The sg_table of @nr pages, merged where they are contiguous, as drivers build it */
static int bench_sg_build(struct sg_table *sgt, struct page **pages,
			  unsigned int nr)
{
	return sg_alloc_table_from_pages_segment(sgt, pages, nr, 0,
						 (unsigned long)nr << PAGE_SHIFT,
						 UINT_MAX & PAGE_MASK, GFP_KERNEL);
}

static int bench_sg(struct device *dev, struct page **pages, unsigned int nr,
		    struct bench_times *t, unsigned int *nents, size_t *bytes)
{
	struct sg_table sgt;
	u64 t0, t1, t2, t3;
	int ret;

	t0 = ktime_get_ns();
	ret = bench_sg_build(&sgt, pages, nr);
	if (ret)
		return ret;
	t1 = ktime_get_ns();
	ret = dma_map_sgtable(dev, &sgt, DMA_BIDIRECTIONAL, 0);
	if (ret) {
		sg_free_table(&sgt);
		return ret;
	}
	t2 = ktime_get_ns();
	dma_unmap_sgtable(dev, &sgt, DMA_BIDIRECTIONAL, 0);
	t3 = ktime_get_ns();
	*nents = sgt.orig_nents;
	*bytes = sg_table_bytes(sgt.orig_nents);
	sg_free_table(&sgt);
	t->build = t1 - t0;
	t->map = t2 - t1;
	t->unmap = t3 - t2;
	return 0;
}

static int bench_phyr(struct device *dev, struct page **pages,
		      struct folio **folios, unsigned int nr,
		      struct bench_times *t, unsigned long *nranges,
		      size_t *bytes, unsigned int *nvecs)
{
	struct phyr_dma map;
	struct phyr phyr;
	u64 t0, t1, t2, t3;
	int ret;

	t0 = ktime_get_ns();
	phyr_init(&phyr, GFP_KERNEL);
	if (folios)
		ret = phyr_append_folios(&phyr, folios, nr);
	else
		ret = phyr_append_pages(&phyr, pages, nr, 0,
					(size_t)nr << PAGE_SHIFT);
	if (ret)
		goto out;
	t1 = ktime_get_ns();
	ret = phyr_dma_map(&map, &phyr, dev, DMA_BIDIRECTIONAL, 0);
	if (ret)
		goto out;
	t2 = ktime_get_ns();
	*nvecs = map.nr_vecs;
	phyr_dma_unmap(&map);
	t3 = ktime_get_ns();
	*nranges = phyr_nr_ranges(&phyr);
	*bytes = phyr_metadata_bytes(&phyr);
	t->build = t1 - t0;
	t->map = t2 - t1;
	t->unmap = t3 - t2;
out:
	phyr_destroy(&phyr);
	return ret;
}

/*
 * Where the phyr path's map time goes: a walk of the phyr alone, and the
 * floor of the two-step DMA API on a flat, coalesced phys_vec array (no phyr
 * at all): one dma_iova_link() per range, and one dma_iova_link_phys_vec()
 * of the whole array (one IOMMU page table walk), each + dma_iova_sync(),
 * then dma_iova_destroy().
 */
struct bench_floor {
	u64 walk, link, destroy, fill, link_list, input, sg_list, store;
};

static unsigned long bench_sink;

/*
 * What any build from @pages (or @folios) must read: each pointer of the
 * array and the struct page behind it (for its memory type), turned into a
 * physical address.  The build's floor; ns.
 */
static u64 bench_input(struct page **pages, struct folio **folios,
		       unsigned int nr)
{
	unsigned long sum = 0;
	struct page *page;
	unsigned int i;
	u64 t0;

	t0 = ktime_get_ns();
	for (i = 0; i < nr; i++) {
		page = folios ? &folios[i]->page : pages[i];
		sum += page_to_phys(page) + is_zone_device_page(page);
	}
	t0 = ktime_get_ns() - t0;
	/* the sum is stored, so the loop is not optimised away */
	WRITE_ONCE(bench_sink, sum);
	return t0;
}

/* Link @vecs into a new IOVA range, one call per range or all in one; ns. */
static int bench_link(struct device *dev, const struct phys_vec *vecs,
		      unsigned int n, size_t total, bool list, u64 *link,
		      u64 *destroy)
{
	struct dma_iova_state state = {};
	size_t done = 0;
	unsigned int i;
	u64 t0, t1, t2;
	int ret = 0;

	t0 = ktime_get_ns();
	if (!dma_iova_try_alloc(dev, &state, vecs[0].paddr, total))
		return -EOPNOTSUPP;
	if (list) {
		ret = dma_iova_link_phys_vec(dev, &state, 0, vecs, n,
					     DMA_BIDIRECTIONAL, 0);
		if (!ret)
			done = total;
	} else {
		for (i = 0; i < n && !ret; i++) {
			ret = dma_iova_link(dev, &state, vecs[i].paddr, done,
					    vecs[i].len, DMA_BIDIRECTIONAL, 0);
			if (!ret)
				done += vecs[i].len;
		}
	}
	if (!ret)
		ret = dma_iova_sync(dev, &state, 0, done);
	t1 = ktime_get_ns();
	dma_iova_destroy(dev, &state, done, DMA_BIDIRECTIONAL, 0);
	t2 = ktime_get_ns();
	*link = t1 - t0;
	*destroy = t2 - t1;
	return ret;
}

/*
 * An sg_table mapped through the batched list map (bench only: what an
 * iommu_map_sg() feeding the page table's map_range_list() would do): its
 * entries copied into page-sized phys_vec batches, one
 * dma_iova_link_phys_vec() per batch, dma_iova_sync(); ns, without the
 * build of the sg_table or the destroy.
 */
static int bench_sg_list(struct device *dev, struct page **pages,
			 unsigned int nr, u64 *link)
{
	const unsigned int batch = PAGE_SIZE / sizeof(struct phys_vec);
	struct dma_iova_state state = {};
	struct scatterlist *sg;
	struct phys_vec *vecs;
	struct sg_table sgt;
	unsigned int i, n = 0;
	size_t done = 0, off = 0;
	int ret;
	u64 t0;

	vecs = (struct phys_vec *)__get_free_page(GFP_KERNEL);
	if (!vecs)
		return -ENOMEM;
	ret = bench_sg_build(&sgt, pages, nr);
	if (ret)
		goto out_page;
	t0 = ktime_get_ns();
	if (!dma_iova_try_alloc(dev, &state, sg_phys(sgt.sgl),
				(size_t)nr << PAGE_SHIFT)) {
		ret = -EOPNOTSUPP;
		goto out_sgt;
	}
	for_each_sgtable_sg(&sgt, sg, i) {
		vecs[n].paddr = sg_phys(sg);
		vecs[n++].len = sg->length;
		off += sg->length;
		if (n == batch || i == sgt.orig_nents - 1) {
			ret = dma_iova_link_phys_vec(dev, &state, done, vecs, n,
						     DMA_BIDIRECTIONAL, 0);
			if (ret)
				break;
			done = off;
			n = 0;
		}
	}
	if (!ret)
		ret = dma_iova_sync(dev, &state, 0, done);
	*link = ktime_get_ns() - t0;
	dma_iova_destroy(dev, &state, done, DMA_BIDIRECTIONAL, 0);
out_sgt:
	sg_free_table(&sgt);
out_page:
	free_page((unsigned long)vecs);
	return ret;
}

/*
 * The store floor of a map: @leaves 8-byte stores, as many as the map writes
 * leaf PTEs, into fresh zeroed pages (as the page table's new leaf tables
 * are), each a physical address with two flag bits; ns, the stores only.
 */
static u64 bench_store(unsigned long leaves)
{
	const unsigned int per = PAGE_SIZE / sizeof(u64);
	unsigned long nr = DIV_ROUND_UP(leaves, per), i, j, left = leaves;
	struct page **tables;
	u64 t = 0, t0;

	tables = kvcalloc(nr, sizeof(*tables), GFP_KERNEL);
	if (!tables)
		return 0;
	for (i = 0; i < nr; i++) {
		tables[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!tables[i])
			goto out;
	}
	t0 = ktime_get_ns();
	for (i = 0; i < nr; i++) {
		u64 *pte = page_address(tables[i]);

		for (j = 0; j < per && left; j++, left--)
			WRITE_ONCE(pte[j], ((i * per + j) << PAGE_SHIFT) | 3);
	}
	t = ktime_get_ns() - t0;
out:
	for (i = 0; i < nr && tables[i]; i++)
		__free_page(tables[i]);
	kvfree(tables);
	return t;
}

static int bench_floor(struct device *dev, struct page **pages,
		       struct folio **folios, unsigned int nr,
		       struct bench_floor *t)
{
	struct phys_vec *vecs;
	struct phyr_cursor cur;
	unsigned int i, n = 0;
	struct phyr phyr;
	size_t total = 0;
	phys_addr_t phys;
	u64 destroy;
	size_t len;
	u64 t0;
	int ret;

	t->input = bench_input(pages, folios, nr);
	/* the build with every block preloaded: no allocation in the timing */
	phyr_init(&phyr, GFP_KERNEL);
	ret = phyr_preload(&phyr, nr, GFP_KERNEL);
	if (ret)
		goto out_phyr;
	t0 = ktime_get_ns();
	ret = folios ? phyr_append_folios(&phyr, folios, nr) :
		       phyr_append_pages(&phyr, pages, nr, 0,
					 (size_t)nr << PAGE_SHIFT);
	t->fill = ktime_get_ns() - t0;
	if (ret)
		goto out_phyr;
	t0 = ktime_get_ns();
	phyr_cursor_init(&cur, &phyr);
	while (phyr_cursor_next(&cur))
		total += cur.len;
	t->walk = ktime_get_ns() - t0;

	vecs = kvmalloc_array(nr, sizeof(*vecs), GFP_KERNEL);
	if (!vecs) {
		ret = -ENOMEM;
		goto out_phyr;
	}
	for (i = 0; i < nr; i++) {
		phys = folios ? PFN_PHYS(folio_pfn(folios[i])) : page_to_phys(pages[i]);
		len = folios ? folio_size(folios[i]) : PAGE_SIZE;
		if (n && vecs[n - 1].paddr + vecs[n - 1].len == phys) {
			vecs[n - 1].len += len;
		} else {
			vecs[n].paddr = phys;
			vecs[n++].len = len;
		}
	}

	ret = bench_link(dev, vecs, n, total, false, &t->link, &t->destroy);
	if (!ret)
		ret = bench_link(dev, vecs, n, total, true, &t->link_list,
				 &destroy);
	kvfree(vecs);
	t->store = bench_store(n);
	if (!ret && !folios)
		ret = bench_sg_list(dev, pages, nr, &t->sg_list);
out_phyr:
	phyr_destroy(&phyr);
	return ret;
}

/*
 * The physical floor of a map: writing the IOMMU's leaf PTEs, 8 bytes each,
 * at the bandwidth memset() reaches here on a buffer larger than the caches.
 * Returns MB/s, 0 if the buffer cannot be had.
 */
static u64 bench_bandwidth(void)
{
	const size_t size = SZ_64M;
	u64 best = U64_MAX, t0, t;
	unsigned int i;
	void *buf;

	buf = vmalloc(size);
	if (!buf)
		return 0;
	memset(buf, 0, size);
	for (i = 0; i < 3; i++) {
		t0 = ktime_get_ns();
		memset(buf, i + 1, size);
		t = ktime_get_ns() - t0;
		best = min(best, t);
	}
	vfree(buf);
	return div64_u64((u64)size * 1000, max(best, 1ULL));
}

/* ratio of @a to @b with two decimals, as "x.yy" */
static void print_ratio(struct seq_file *m, u64 a, u64 b)
{
	u64 r = b ? div64_u64(a * 100, b) : 0;

	seq_printf(m, " %5llu.%02llux", r / 100, r % 100);
}

/* " @what N.NNx;": @a (which may be negative) against @floor */
static void print_vs(struct seq_file *m, const char *what, s64 a, u64 floor)
{
	u64 r = div64_u64((u64)(a < 0 ? -a : a) * 100, max(floor, 1ULL));

	seq_printf(m, " %s %s%llu.%02llux;", what, a < 0 ? "-" : "", r / 100,
		   r % 100);
}

static void print_times(struct seq_file *m, const struct bench_times *sg,
			const struct bench_times *ph)
{
	static const char *const names[] = { "build", "map", "unmap" };
	const u64 s[] = { sg->build, sg->map, sg->unmap };
	const u64 p[] = { ph->build, ph->map, ph->unmap };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		seq_printf(m, "  %-12s sg %10llu us   phyr %10llu us   sg/phyr",
			   names[i], div_u64(s[i], 1000), div_u64(p[i], 1000));
		print_ratio(m, s[i], p[i]);
		seq_putc(m, '\n');
	}
	seq_printf(m, "  %-12s sg %10llu us   phyr %10llu us   sg/phyr", "map+unmap",
		   div_u64(sg->map + sg->unmap, 1000), div_u64(ph->map + ph->unmap, 1000));
	print_ratio(m, sg->map + sg->unmap, ph->map + ph->unmap);
	seq_putc(m, '\n');
}

/*
 * Where the batched link's and the unmap's time goes (fragmented shape): the
 * parts of one dma_iova_link_phys_vec() of the flat array and of its unmap,
 * each timed alone in the same run; ns.
 */
struct bench_parts {
	u64 iova_alloc, link, sync, sync_batches, inval, unlink_pieces, relink;
	u64 unlink, iova_free, tbl_alloc, tbl_flush_new, tbl_flush_stores;
	u64 tbl_free;
	unsigned long tables;
};

/* phyr_dma_map()'s link calls per GiB of 4 KiB pages: 2048 ranges each */
#define BENCH_SYNC_BATCHES	128

/*
 * The page table's work per new leaf table, without the walk: @nr table
 * pages allocated as generic_pt allocates them (iommu_alloc_pages_node_sz(),
 * zeroed, accounted; GFP_ATOMIC as the DMA API's link), each flushed whole
 * as a new table of a non-coherent IOMMU is (iommu_pages_start_incoherent()),
 * filled with 512 PTEs and the stored span flushed (flush_writes_range() of
 * the fast leaf loop), then freed as unmap frees them (a list handed to
 * iommu_put_pages_list()).  The fill is not timed.
 */
static int bench_tables(int nid, unsigned long nr, struct bench_parts *p)
{
	struct iommu_pages_list list = IOMMU_PAGES_LIST_INIT(list);
	const unsigned int per = PAGE_SIZE / sizeof(u64);
	unsigned long i, j;
	void **tables;
	u64 t0;
	int ret = 0;

	tables = kvcalloc(nr, sizeof(*tables), GFP_KERNEL);
	if (!tables)
		return -ENOMEM;
	t0 = ktime_get_ns();
	for (i = 0; i < nr; i++) {
		tables[i] = iommu_alloc_pages_node_sz(nid, GFP_ATOMIC, SZ_4K);
		if (!tables[i]) {
			ret = -ENOMEM;
			break;
		}
	}
	p->tbl_alloc = ktime_get_ns() - t0;
	if (ret)
		goto out;
	t0 = ktime_get_ns();
	for (i = 0; i < nr; i++)
		clflush_cache_range(tables[i], PAGE_SIZE);
	p->tbl_flush_new = ktime_get_ns() - t0;
	for (i = 0; i < nr; i++) {
		u64 *pte = tables[i];

		for (j = 0; j < per; j++)
			WRITE_ONCE(pte[j], ((i * per + j) << PAGE_SHIFT) | 3);
	}
	t0 = ktime_get_ns();
	for (i = 0; i < nr; i++)
		clflush_cache_range(tables[i], PAGE_SIZE);
	p->tbl_flush_stores = ktime_get_ns() - t0;
	for (i = 0; i < nr; i++)
		iommu_pages_list_add(&list, tables[i]);
	t0 = ktime_get_ns();
	iommu_put_pages_list(&list);
	p->tbl_free = ktime_get_ns() - t0;
	kvfree(tables);
	return 0;
out:
	for (i = 0; i < nr && tables[i]; i++)
		iommu_free_pages(tables[i]);
	kvfree(tables);
	return ret;
}

/*
 * The batched link of the flat array and its unmap, in parts: IOVA
 * allocation, dma_iova_link_phys_vec() into an empty range (new tables),
 * one dma_iova_sync() of the whole, BENCH_SYNC_BATCHES syncs of its parts
 * (as phyr_dma_map()'s batches would if each synced), an IOTLB invalidation
 * of the whole range alone (what the unmap's iotlb_sync does, without the
 * tables to free), then an unlink in pieces that each straddle two leaf
 * tables (so no table is covered, none freed), a second link into the
 * tables left (walk, checks, PTE stores and their flushes, no table
 * allocated), the unlink of the whole (frees the tables) and the IOVA free.
 */
static int bench_parts(struct device *dev, struct page **pages,
		       unsigned int nr, struct bench_parts *p)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);
	struct dma_iova_state state = {};
	struct iommu_iotlb_gather gather;
	size_t total = (size_t)nr << PAGE_SHIFT, off, len;
	struct phys_vec *vecs;
	unsigned int i;
	u64 t0;
	int ret;

	if (!domain || !dma_get_merge_boundary(dev))
		return -EOPNOTSUPP;
	vecs = kvmalloc_array(nr, sizeof(*vecs), GFP_KERNEL);
	if (!vecs)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		vecs[i].paddr = page_to_phys(pages[i]);
		vecs[i].len = PAGE_SIZE;
	}
	t0 = ktime_get_ns();
	if (!dma_iova_try_alloc(dev, &state, vecs[0].paddr, total)) {
		ret = -EOPNOTSUPP;
		goto out_vecs;
	}
	p->iova_alloc = ktime_get_ns() - t0;

	t0 = ktime_get_ns();
	ret = dma_iova_link_phys_vec(dev, &state, 0, vecs, nr,
				     DMA_BIDIRECTIONAL, 0);
	p->link = ktime_get_ns() - t0;
	if (ret)
		goto out_free;
	t0 = ktime_get_ns();
	ret = dma_iova_sync(dev, &state, 0, total);
	p->sync = ktime_get_ns() - t0;
	if (ret)
		goto out_unlink;
	len = total / BENCH_SYNC_BATCHES;
	t0 = ktime_get_ns();
	for (i = 0; i < BENCH_SYNC_BATCHES && !ret; i++)
		ret = dma_iova_sync(dev, &state, i * len, len);
	p->sync_batches = ktime_get_ns() - t0;
	if (ret)
		goto out_unlink;

	iommu_iotlb_gather_init(&gather);
	iommu_iotlb_gather_add_range(&gather, state.addr, total);
	t0 = ktime_get_ns();
	iommu_iotlb_sync(domain, &gather);
	p->inval = ktime_get_ns() - t0;

	/* pieces from 4 KiB past one 2 MiB boundary to 4 KiB past the next */
	off = (SZ_4K - (state.addr & (SZ_2M - 1))) & (SZ_2M - 1);
	t0 = ktime_get_ns();
	if (off)
		dma_iova_unlink(dev, &state, 0, off, DMA_BIDIRECTIONAL, 0);
	for (; off < total; off += SZ_2M)
		dma_iova_unlink(dev, &state, off, min_t(size_t, SZ_2M, total - off),
				DMA_BIDIRECTIONAL, 0);
	p->unlink_pieces = ktime_get_ns() - t0;

	t0 = ktime_get_ns();
	ret = dma_iova_link_phys_vec(dev, &state, 0, vecs, nr,
				     DMA_BIDIRECTIONAL, 0);
	p->relink = ktime_get_ns() - t0;
	if (ret)
		goto out_free;
	ret = dma_iova_sync(dev, &state, 0, total);
out_unlink:
	t0 = ktime_get_ns();
	dma_iova_unlink(dev, &state, 0, total, DMA_BIDIRECTIONAL, 0);
	p->unlink = ktime_get_ns() - t0;
out_free:
	t0 = ktime_get_ns();
	dma_iova_free(dev, &state);
	p->iova_free = ktime_get_ns() - t0;
out_vecs:
	kvfree(vecs);
	/* a leaf table per 2 MiB and the table above them */
	p->tables = DIV_ROUND_UP(total, SZ_2M) + 1;
	if (!ret)
		ret = bench_tables(dev_to_node(dev), p->tables, p);
	return ret;
}

static void parts_best(struct bench_parts *best, const struct bench_parts *t)
{
	best->iova_alloc = min(best->iova_alloc, t->iova_alloc);
	best->link = min(best->link, t->link);
	best->sync = min(best->sync, t->sync);
	best->sync_batches = min(best->sync_batches, t->sync_batches);
	best->inval = min(best->inval, t->inval);
	best->unlink_pieces = min(best->unlink_pieces, t->unlink_pieces);
	best->relink = min(best->relink, t->relink);
	best->unlink = min(best->unlink, t->unlink);
	best->iova_free = min(best->iova_free, t->iova_free);
	best->tbl_alloc = min(best->tbl_alloc, t->tbl_alloc);
	best->tbl_flush_new = min(best->tbl_flush_new, t->tbl_flush_new);
	best->tbl_flush_stores = min(best->tbl_flush_stores, t->tbl_flush_stores);
	best->tbl_free = min(best->tbl_free, t->tbl_free);
	best->tables = t->tables;
}

static void print_parts(struct seq_file *m, const struct bench_parts *p,
			u64 floor, u64 store)
{
	const u64 tbl = p->tbl_alloc + p->tbl_flush_new + p->tbl_flush_stores;
	s64 loop_fresh = (s64)p->link - (s64)tbl;
	s64 loop_relink = (s64)p->relink - (s64)p->tbl_flush_stores;
	s64 unmap_rest = (s64)p->unlink - (s64)p->inval - (s64)p->tbl_free;

	seq_printf(m, "  link parts (flat array, one dma_iova_link_phys_vec, best of each): IOVA alloc %llu us; link into an empty range %llu us; dma_iova_sync %llu us (%u syncs of 1/%u: %llu us); %lu tables alone: alloc %llu us, flush new %llu us, flush stored %llu us, free %llu us; link into the tables a piecewise unlink left %llu us (that unlink: %llu us)\n",
		   div_u64(p->iova_alloc, 1000), div_u64(p->link, 1000),
		   div_u64(p->sync, 1000), BENCH_SYNC_BATCHES, BENCH_SYNC_BATCHES,
		   div_u64(p->sync_batches, 1000), p->tables,
		   div_u64(p->tbl_alloc, 1000), div_u64(p->tbl_flush_new, 1000),
		   div_u64(p->tbl_flush_stores, 1000), div_u64(p->tbl_free, 1000),
		   div_u64(p->relink, 1000), div_u64(p->unlink_pieces, 1000));
	seq_printf(m, "  unmap parts: dma_iova_unlink of the whole %llu us, dma_iova_free %llu us; IOTLB invalidation of the range alone %llu us; freeing the tables alone %llu us; rest (walk, read of the covered tables) %lld us\n",
		   div_u64(p->unlink, 1000), div_u64(p->iova_free, 1000),
		   div_u64(p->inval, 1000), div_u64(p->tbl_free, 1000),
		   div_s64(unmap_rest, 1000));
	if (!floor)
		return;
	seq_printf(m, "  x build floor (%llu us), link:", div_u64(floor, 1000));
	print_vs(m, "IOVA alloc", p->iova_alloc, floor);
	print_vs(m, "link", p->link, floor);
	print_vs(m, "sync", p->sync, floor);
	print_vs(m, "tables alloc", p->tbl_alloc, floor);
	print_vs(m, "flush new", p->tbl_flush_new, floor);
	print_vs(m, "flush stored", p->tbl_flush_stores, floor);
	print_vs(m, "link - tables - flushes (the loop)", loop_fresh, floor);
	print_vs(m, "link into kept tables - flush stored (the loop)",
		 loop_relink, floor);
	if (store != U64_MAX)
		print_vs(m, "store floor", store, floor);
	seq_putc(m, '\n');
	seq_printf(m, "  x build floor (%llu us), unmap:", div_u64(floor, 1000));
	print_vs(m, "unlink", p->unlink, floor);
	print_vs(m, "IOTLB invalidation", p->inval, floor);
	print_vs(m, "tables free", p->tbl_free, floor);
	print_vs(m, "rest", unmap_rest, floor);
	print_vs(m, "IOVA free", p->iova_free, floor);
	seq_putc(m, '\n');
}

/*
 * Seek: find the range holding byte offset X, as RDMA memory regions and
 * iommufd windows do.  phyr seeks with phyr_cursor_init_range() (a search of
 * its index, then at most one chunk); an sg_table user walks the entries from
 * the start, summing their lengths.  Both at the same BENCH_SEEKS
 * pseudo-random offsets (fixed seed); ns per seek.
 */
struct bench_seek {
	u64 phyr, slice, sg;
	bool mismatch;
};

/* xorshift64*: a fixed sequence, so every run seeks to the same offsets */
static u64 bench_random(u64 *state)
{
	u64 x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static void bench_offsets(u64 *offs, u64 len)
{
	u64 state = 0x9e3779b97f4a7c15ULL, rem;
	unsigned int i;

	for (i = 0; i < BENCH_SEEKS; i++) {
		div64_u64_rem(bench_random(&state), len, &rem);
		offs[i] = rem;
	}
}

/* The physical address of byte @off of @sgt, found as sg users must: a walk */
static phys_addr_t bench_sg_seek(struct sg_table *sgt, u64 off)
{
	struct scatterlist *sg;
	u64 pos = 0;
	unsigned int i;

	for_each_sgtable_sg(sgt, sg, i) {
		if (off < pos + sg->length)
			return sg_phys(sg) + (off - pos);
		pos += sg->length;
	}
	return 0;
}

static int bench_seek(struct page **pages, struct folio **folios,
		      unsigned int nr_pages, unsigned int nr_folios,
		      struct bench_seek *t)
{
	phys_addr_t *phys;
	struct phyr_cursor cur;
	struct sg_table sgt;
	struct phyr phyr, w;
	u64 *offs, len, t0;
	unsigned long sum = 0;
	unsigned int i;
	int ret;

	offs = kmalloc_array(BENCH_SEEKS, sizeof(*offs), GFP_KERNEL);
	phys = kmalloc_array(BENCH_SEEKS, sizeof(*phys), GFP_KERNEL);
	if (!offs || !phys) {
		ret = -ENOMEM;
		goto out_free;
	}
	phyr_init(&phyr, GFP_KERNEL);
	ret = folios ? phyr_append_folios(&phyr, folios, nr_folios) :
		       phyr_append_pages(&phyr, pages, nr_pages, 0,
					 (size_t)nr_pages << PAGE_SHIFT);
	if (ret)
		goto out_phyr;
	ret = bench_sg_build(&sgt, pages, nr_pages);
	if (ret)
		goto out_phyr;
	len = phyr_len(&phyr);
	bench_offsets(offs, len);

	t0 = ktime_get_ns();
	for (i = 0; i < BENCH_SEEKS; i++) {
		phyr_cursor_init_range(&cur, &phyr, offs[i], 1);
		phys[i] = phyr_cursor_next(&cur) ? cur.phys : 0;
	}
	t->phyr = div_u64(ktime_get_ns() - t0, BENCH_SEEKS);

	t0 = ktime_get_ns();
	for (i = 0; i < BENCH_SEEKS && !ret; i++) {
		phyr_init(&w, GFP_KERNEL);
		ret = phyr_append_slice(&w, &phyr, offs[i],
					min_t(u64, BENCH_SEEK_WINDOW,
					      len - offs[i]));
		phyr_destroy(&w);
	}
	t->slice = div_u64(ktime_get_ns() - t0, BENCH_SEEKS);

	t->mismatch = false;
	t0 = ktime_get_ns();
	for (i = 0; i < BENCH_SEEKS; i++) {
		phys_addr_t p = bench_sg_seek(&sgt, offs[i]);

		sum += p;
		t->mismatch |= p != phys[i];
	}
	t->sg = div_u64(ktime_get_ns() - t0, BENCH_SEEKS);
	WRITE_ONCE(bench_sink, sum);
	sg_free_table(&sgt);
out_phyr:
	phyr_destroy(&phyr);
out_free:
	kfree(phys);
	kfree(offs);
	return ret;
}

static void print_seek(struct seq_file *m, const struct bench_seek *t,
		       unsigned long nranges, u64 len)
{
	seq_printf(m, "  seek: %u pseudo-random byte offsets (fixed seed) of the %llu MiB, %lu ranges: phyr_cursor_init_range %llu ns, phyr_append_slice of a %u KiB window %llu ns, sg_table walk %llu ns each, sg walk/phyr seek",
		   BENCH_SEEKS, len >> 20, nranges, t->phyr, BENCH_SEEK_WINDOW / SZ_1K,
		   t->slice, t->sg);
	print_ratio(m, t->sg, max(t->phyr, 1ULL));
	seq_printf(m, "%s\n", t->mismatch ? " (MISMATCH: the walks found other addresses)" : "");
}

static int cmp_page(const void *a, const void *b)
{
	unsigned long pa = page_to_pfn(*(struct page * const *)a);
	unsigned long pb = page_to_pfn(*(struct page * const *)b);

	/* descending: no two neighbours in the array are physically contiguous */
	return pa < pb ? 1 : pa > pb ? -1 : 0;
}

/*
 * Leaf PTEs a mapping of the shape takes: one 4 KiB PTE per page where no two
 * pages are contiguous, one per folio where the IOMMU has 2 MiB pages.
 */
static unsigned long bench_leaves(struct device *dev, unsigned int nr_pages,
				  unsigned int nr_folios)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);

	if (nr_folios && domain && (domain->pgsize_bitmap & SZ_2M))
		return nr_folios;
	return nr_pages;
}

static void bench_shape(struct seq_file *m, struct device *dev, const char *name,
			struct page **pages, struct folio **folios,
			unsigned int nr_pages, unsigned int nr_folios, u64 mbps)
{
	unsigned long leaves = bench_leaves(dev, nr_pages, nr_folios);
	struct bench_times sg_best = { U64_MAX, U64_MAX, U64_MAX };
	struct bench_times ph_best = sg_best, t;
	struct bench_floor fl, fl_best;
	struct bench_seek seek;
	unsigned long nranges = 0;
	unsigned int nents = 0, nvecs = 0, i, k;
	size_t sg_bytes = 0, ph_bytes = 0;
	int ret;

	fl_best.walk = U64_MAX;
	fl_best.fill = U64_MAX;
	fl_best.input = U64_MAX;
	fl_best.link = U64_MAX;
	fl_best.destroy = U64_MAX;
	fl_best.link_list = U64_MAX;
	fl_best.sg_list = U64_MAX;
	fl_best.store = U64_MAX;
	/* the paths take turns at going first: no order effect favours one */
	for (i = 0; i < bench_reps; i++) {
		for (k = 0; k < 3; k++) {
			switch ((i + k) % 3) {
			case 0:
				ret = bench_sg(dev, pages, nr_pages, &t, &nents,
					       &sg_bytes);
				if (ret) {
					seq_printf(m, "%s: sg_table path failed: %d\n",
						   name, ret);
					return;
				}
				keep_best(&sg_best, &t);
				break;
			case 1:
				ret = bench_phyr(dev, pages, folios,
						 folios ? nr_folios : nr_pages, &t,
						 &nranges, &ph_bytes, &nvecs);
				if (ret) {
					seq_printf(m, "%s: phyr path failed: %d\n",
						   name, ret);
					return;
				}
				keep_best(&ph_best, &t);
				break;
			default:
				if (!dma_get_merge_boundary(dev) ||
				    bench_floor(dev, pages, folios,
						folios ? nr_folios : nr_pages, &fl))
					break;
				fl_best.walk = min(fl_best.walk, fl.walk);
				fl_best.fill = min(fl_best.fill, fl.fill);
				fl_best.input = min(fl_best.input, fl.input);
				fl_best.link = min(fl_best.link, fl.link);
				fl_best.destroy = min(fl_best.destroy, fl.destroy);
				fl_best.link_list = min(fl_best.link_list, fl.link_list);
				if (!folios)
					fl_best.sg_list = min(fl_best.sg_list, fl.sg_list);
				if (fl.store)
					fl_best.store = min(fl_best.store, fl.store);
				break;
			}
			cond_resched();
		}
	}

	seq_printf(m, "%s: %u pages, sg entries %u, phyr ranges %lu, dma_vecs %u\n",
		   name, nr_pages, nents, nranges, nvecs);
	seq_printf(m, "  metadata     sg %10zu B    phyr %10zu B    per page: sg %zu.%02zu B, phyr %zu.%02zu B\n",
		   sg_bytes, ph_bytes, sg_bytes / nr_pages, (sg_bytes * 100 / nr_pages) % 100,
		   ph_bytes / nr_pages, (ph_bytes * 100 / nr_pages) % 100);
	print_times(m, &sg_best, &ph_best);
	if (fl_best.link != U64_MAX)
		seq_printf(m, "  (phyr build into preloaded blocks %llu us; flat phys_vec array: dma_iova_link per range %llu us, dma_iova_link_phys_vec %llu us, destroy %llu us; walking the phyr %llu us)\n",
			   div_u64(fl_best.fill, 1000), div_u64(fl_best.link, 1000),
			   div_u64(fl_best.link_list, 1000),
			   div_u64(fl_best.destroy, 1000), div_u64(fl_best.walk, 1000));
	if (fl_best.link != U64_MAX)
		seq_printf(m, "  build floor: reading the %u array entries and their struct pages: %llu us\n",
			   folios ? nr_folios : nr_pages,
			   div_u64(fl_best.input, 1000));
	if (fl_best.store != U64_MAX)
		seq_printf(m, "  store floor: %lu leaf PTEs as 8-byte stores into %lu fresh zeroed pages: %llu us\n",
			   leaves, DIV_ROUND_UP(leaves, PAGE_SIZE / sizeof(u64)),
			   div_u64(fl_best.store, 1000));
	if (fl_best.sg_list != U64_MAX)
		seq_printf(m, "  sg_table through the batched list map (its entries in page-sized phys_vec batches, dma_iova_link_phys_vec each): %llu us, dma_map_sgtable %llu us, sg/that %llu.%02llux\n",
			   div_u64(fl_best.sg_list, 1000), div_u64(sg_best.map, 1000),
			   div64_u64(sg_best.map * 100, max(fl_best.sg_list, 1ULL)) / 100,
			   div64_u64(sg_best.map * 100, max(fl_best.sg_list, 1ULL)) % 100);
	if (fl_best.link != U64_MAX && fl_best.input) {
		seq_printf(m, "  x build floor (%llu us):", div_u64(fl_best.input, 1000));
		print_vs(m, "batched link", fl_best.link_list, fl_best.input);
		print_vs(m, "phyr map - batched link",
			 (s64)ph_best.map - (s64)fl_best.link_list, fl_best.input);
		print_vs(m, "phyr unmap", ph_best.unmap, fl_best.input);
		print_vs(m, "phyr map", ph_best.map, fl_best.input);
		print_vs(m, "phyr build", ph_best.build, fl_best.input);
		if (fl_best.store != U64_MAX)
			print_vs(m, "store floor", fl_best.store, fl_best.input);
		if (fl_best.sg_list != U64_MAX)
			print_vs(m, "sg via list map", fl_best.sg_list, fl_best.input);
		print_vs(m, "sg map", sg_best.map, fl_best.input);
		print_vs(m, "sg unmap", sg_best.unmap, fl_best.input);
		seq_putc(m, '\n');
	}
	if (!folios && fl_best.link != U64_MAX) {
		struct bench_parts pa, pa_best;

		memset(&pa_best, 0xff, sizeof(pa_best));
		for (i = 0; i < bench_reps; i++) {
			memset(&pa, 0, sizeof(pa));
			ret = bench_parts(dev, pages, nr_pages, &pa);
			if (ret)
				break;
			parts_best(&pa_best, &pa);
			cond_resched();
		}
		if (ret)
			seq_printf(m, "  link parts: failed: %d\n", ret);
		else
			print_parts(m, &pa_best, fl_best.input, fl_best.store);
	}
	if (mbps)
		seq_printf(m, "  floor: %lu leaf PTEs x 8 B = %lu KiB at %llu MB/s (memset): %llu us\n",
			   leaves, leaves * 8 / 1024, mbps,
			   div64_u64((u64)leaves * 8, mbps));
	if (!bench_seek(pages, folios, nr_pages, nr_folios, &seek))
		print_seek(m, &seek, nranges, (u64)nr_pages << PAGE_SHIFT);
}

/* The device to map for: QEMU's edu if present (behind the IOMMU), else none. */
static struct pci_dev *bench_device(void)
{
	return pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);
}

static int bench_show(struct seq_file *m, void *unused)
{
	unsigned int nr_pages = (u64)bench_size_mb << (20 - PAGE_SHIFT);
	unsigned int order = get_order(SZ_2M), nr_folios = 0, i;
	struct folio **folios = NULL;
	struct page **pages = NULL;
	struct phyr one;
	struct pci_dev *pdev;
	u64 mbps;
	struct device *dev;
	int ret = 0;

	pdev = bench_device();
	if (!pdev) {
		seq_puts(m, "phyr_bench: no edu device (QEMU -device edu)\n");
		return 0;
	}
	dev = &pdev->dev;
	if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64))) {
		seq_puts(m, "phyr_bench: cannot set a 64-bit DMA mask\n");
		goto out;
	}
	seq_printf(m, "phyr_bench: %u MiB, best of %u, device %s (%s), sizeof(struct scatterlist) %zu\n",
		   bench_size_mb, bench_reps, dev_name(dev),
		   dma_get_merge_boundary(dev) ? "behind an IOMMU" : "no IOMMU",
		   sizeof(struct scatterlist));
	mbps = bench_bandwidth();

	pages = kvmalloc_array(nr_pages, sizeof(*pages), GFP_KERNEL);
	if (!pages) {
		ret = -ENOMEM;
		goto out;
	}

	/* shape 1: every 4 KiB page discontiguous */
	for (i = 0; i < nr_pages; i++) {
		pages[i] = alloc_page(GFP_KERNEL | __GFP_NOWARN);
		if (!pages[i]) {
			nr_pages = i;
			seq_printf(m, "(only %u pages could be allocated)\n", i);
			break;
		}
	}
	sort(pages, nr_pages, sizeof(*pages), cmp_page, NULL);
	bench_shape(m, dev, "4k-fragmented", pages, NULL, nr_pages, 0, mbps);
	for (i = 0; i < nr_pages; i++)
		__free_page(pages[i]);

	/* shape 2: 2 MiB folios */
	nr_folios = nr_pages >> order;
	folios = kvmalloc_array(nr_folios, sizeof(*folios), GFP_KERNEL);
	if (!folios) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nr_folios; i++) {
		folios[i] = folio_alloc(GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY, order);
		if (!folios[i])
			break;
	}
	nr_folios = i;
	for (i = 0; i < nr_folios << order; i++)
		pages[i] = folio_page(folios[i >> order], i & ((1 << order) - 1));
	if (nr_folios)
		bench_shape(m, dev, "2m-folios", pages, folios, nr_folios << order,
			    nr_folios, mbps);
	for (i = 0; i < nr_folios; i++)
		folio_put(folios[i]);

	/* shape 3: one contiguous range (metadata only: nothing here is that big) */
	phyr_init(&one, GFP_KERNEL);
	ret = phyr_append(&one, SZ_4G, (size_t)bench_size_mb << 20, 0);
	if (!ret)
		seq_printf(m, "contiguous: 1 range of %u MiB, phyr metadata %zu B in total (sg: %zu B for one entry)\n",
			   bench_size_mb, phyr_metadata_bytes(&one), sg_table_bytes(1));
	phyr_destroy(&one);
out:
	kvfree(folios);
	kvfree(pages);
	pci_dev_put(pdev);
	if (ret)
		seq_printf(m, "phyr_bench: failed: %d\n", ret);
	return 0;
}

/*
 * One buffer for the whole report: seq_file would run the benchmark again
 * into a larger one if the first overflowed.
 */
#define BENCH_OUT_SIZE		SZ_64K

static int bench_open(struct inode *inode, struct file *file)
{
	return single_open_size(file, bench_show, inode->i_private,
				BENCH_OUT_SIZE);
}

static const struct file_operations bench_fops = {
	.owner = THIS_MODULE,
	.open = bench_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
};

/*
 * The sweep: phyr's build, map and unmap from 4 MiB up to bench_sweep_mb,
 * doubling, fragmented and folio-backed, in ns per 4 KiB page, and its seek
 * against the sg_table walk at each size: per-page cost that stays flat is a
 * linear cost, a seek that grows by a constant per doubling is logarithmic.
 * Each size is a prefix of the same pages, or 2 MiB folios, sorted by
 * descending address, so that no two are contiguous: one range per page, or
 * per folio.
 */
#define BENCH_SWEEP_MIN_MB	4
#define BENCH_SWEEP_SIZES	16

struct bench_sweep_row {
	u32 mb;
	struct bench_times t;
	struct bench_seek seek;
	unsigned long nranges;
};

/* ns per page, with two decimals */
static void print_per_page(struct seq_file *m, u64 ns, unsigned int nr)
{
	u64 r = div_u64(ns * 100, nr);

	seq_printf(m, " %6llu.%02llu", r / 100, r % 100);
}

/* Spread of a column: max/min, and +-% around the middle of min and max */
static void print_spread(struct seq_file *m, const char *what,
			 const struct bench_sweep_row *rows, unsigned int n,
			 u64 (*get)(const struct bench_sweep_row *))
{
	u64 lo = U64_MAX, hi = 0, v;
	unsigned int i;

	for (i = 0; i < n; i++) {
		/* ns per page, in hundredths */
		v = div_u64(get(&rows[i]) * 100,
			    (u32)((u64)rows[i].mb << (20 - PAGE_SHIFT)));
		lo = min(lo, v);
		hi = max(hi, v);
	}
	if (!n || !lo)
		return;
	v = div64_u64((hi - lo) * 1000, hi + lo);
	seq_printf(m, " %s %llu.%02llu..%llu.%02llu (+-%llu.%llu%%);", what,
		   lo / 100, lo % 100, hi / 100, hi % 100, v / 10, v % 10);
}

static u64 row_build(const struct bench_sweep_row *r)
{
	return r->t.build;
}

static u64 row_map(const struct bench_sweep_row *r)
{
	return r->t.map;
}

static u64 row_unmap(const struct bench_sweep_row *r)
{
	return r->t.unmap;
}

static void bench_seek_best(struct bench_seek *best, const struct bench_seek *t)
{
	best->phyr = min(best->phyr, t->phyr);
	best->slice = min(best->slice, t->slice);
	best->sg = min(best->sg, t->sg);
	best->mismatch |= t->mismatch;
}

/*
 * Rounds over all sizes, best of the rounds (and of more runs within a round
 * for the small sizes): a burst of load on the host hits one round of every
 * size rather than every run of one size.
 */
static void bench_sweep_shape(struct seq_file *m, struct device *dev,
			      const char *name, struct page **pages,
			      struct folio **folios, unsigned int max_pages,
			      struct bench_sweep_row *rows)
{
	const unsigned int per = folios ? 1 << get_order(SZ_2M) : 1;
	unsigned int n = 0, nr, i, k, round, nvecs;
	struct bench_seek seek;
	struct bench_times t;
	size_t bytes;
	u32 mb;
	int ret;

	for (mb = BENCH_SWEEP_MIN_MB; mb <= bench_sweep_mb && n < BENCH_SWEEP_SIZES;
	     mb *= 2) {
		if (((u64)mb << (20 - PAGE_SHIFT)) > max_pages)
			break;
		rows[n].mb = mb;
		rows[n].t.build = U64_MAX;
		rows[n].t.map = U64_MAX;
		rows[n].t.unmap = U64_MAX;
		rows[n].seek.phyr = U64_MAX;
		rows[n].seek.slice = U64_MAX;
		rows[n].seek.sg = U64_MAX;
		rows[n].seek.mismatch = false;
		n++;
	}
	for (round = 0; round < bench_reps; round++) {
		for (i = 0; i < n; i++) {
			nr = (u64)rows[i].mb << (20 - PAGE_SHIFT);
			/* at least 256 MiB of pages per round and size */
			for (k = 0; k < max(1U, 256U / rows[i].mb); k++) {
				ret = bench_phyr(dev, pages, folios, nr / per, &t,
						 &rows[i].nranges, &bytes, &nvecs);
				if (ret) {
					seq_printf(m, "%s, %u MiB: phyr path failed: %d\n",
						   name, rows[i].mb, ret);
					return;
				}
				keep_best(&rows[i].t, &t);
			}
			ret = bench_seek(pages, folios, nr, nr / per, &seek);
			if (ret) {
				seq_printf(m, "%s, %u MiB: seek failed: %d\n",
					   name, rows[i].mb, ret);
				return;
			}
			bench_seek_best(&rows[i].seek, &seek);
			cond_resched();
		}
	}

	seq_printf(m, "%s: ns per 4 KiB page, best of %u rounds; seek: ns per seek (%u offsets)\n",
		   name, bench_reps, BENCH_SEEKS);
	seq_puts(m, "      MiB     pages    ranges    build      map    unmap   seek phyr   sg walk   sg/phyr\n");
	for (i = 0; i < n; i++) {
		nr = (u64)rows[i].mb << (20 - PAGE_SHIFT);
		seq_printf(m, "  %7u %9u %9lu", rows[i].mb, nr, rows[i].nranges);
		print_per_page(m, rows[i].t.build, nr);
		print_per_page(m, rows[i].t.map, nr);
		print_per_page(m, rows[i].t.unmap, nr);
		seq_printf(m, " %8llu %9llu", rows[i].seek.phyr, rows[i].seek.sg);
		print_ratio(m, rows[i].seek.sg, max(rows[i].seek.phyr, 1ULL));
		seq_printf(m, "%s\n", rows[i].seek.mismatch ? " MISMATCH" : "");
	}
	if (mb <= bench_sweep_mb)
		seq_printf(m, "  %u MiB and up: not enough memory (%u pages allocated)\n",
			   mb, max_pages);
	if (!n)
		return;
	seq_printf(m, "  %s, ns/page from %u to %u MiB, min..max:", name,
		   rows[0].mb, rows[n - 1].mb);
	print_spread(m, "build", rows, n, row_build);
	print_spread(m, "map", rows, n, row_map);
	print_spread(m, "unmap", rows, n, row_unmap);
	seq_putc(m, '\n');
	seq_printf(m, "  %s, seek from %u to %u MiB (x%u the ranges): phyr %llu -> %llu ns,",
		   name, rows[0].mb, rows[n - 1].mb,
		   (u32)(rows[n - 1].nranges / max(rows[0].nranges, 1UL)),
		   rows[0].seek.phyr, rows[n - 1].seek.phyr);
	print_ratio(m, rows[n - 1].seek.phyr, max(rows[0].seek.phyr, 1ULL));
	seq_printf(m, "; sg walk %llu -> %llu ns,", rows[0].seek.sg,
		   rows[n - 1].seek.sg);
	print_ratio(m, rows[n - 1].seek.sg, max(rows[0].seek.sg, 1ULL));
	seq_putc(m, '\n');
}

static int cmp_folio(const void *a, const void *b)
{
	unsigned long pa = folio_pfn(*(struct folio * const *)a);
	unsigned long pb = folio_pfn(*(struct folio * const *)b);

	/* descending: no two neighbours in the array are physically contiguous */
	return pa < pb ? 1 : pa > pb ? -1 : 0;
}

static int sweep_show(struct seq_file *m, void *unused)
{
	unsigned int max_pages = (u64)bench_sweep_mb << (20 - PAGE_SHIFT);
	unsigned int order = get_order(SZ_2M), nr_folios, i;
	struct bench_sweep_row *rows = NULL;
	struct folio **folios = NULL;
	struct page **pages = NULL;
	struct pci_dev *pdev;
	struct device *dev;
	int ret = 0;

	pdev = bench_device();
	if (!pdev) {
		seq_puts(m, "phyr_bench: no edu device (QEMU -device edu)\n");
		return 0;
	}
	dev = &pdev->dev;
	if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64))) {
		seq_puts(m, "phyr_bench: cannot set a 64-bit DMA mask\n");
		goto out;
	}
	seq_printf(m, "phyr_bench sweep: %u MiB to %u MiB, best of %u or more, device %s (%s)\n",
		   BENCH_SWEEP_MIN_MB, bench_sweep_mb, bench_reps, dev_name(dev),
		   dma_get_merge_boundary(dev) ? "behind an IOMMU" : "no IOMMU");
	rows = kcalloc(BENCH_SWEEP_SIZES, sizeof(*rows), GFP_KERNEL);
	pages = kvmalloc_array(max_pages, sizeof(*pages), GFP_KERNEL);
	if (!rows || !pages) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < max_pages; i++) {
		pages[i] = alloc_page(GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY);
		if (!pages[i])
			break;
		if (!(i % 65536))
			cond_resched();
	}
	max_pages = i;
	sort(pages, max_pages, sizeof(*pages), cmp_page, NULL);
	bench_sweep_shape(m, dev, "4k-fragmented", pages, NULL, max_pages, rows);
	for (i = 0; i < max_pages; i++)
		__free_page(pages[i]);

	nr_folios = max_pages >> order;
	folios = kvmalloc_array(nr_folios, sizeof(*folios), GFP_KERNEL);
	if (!folios) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nr_folios; i++) {
		folios[i] = folio_alloc(GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY, order);
		if (!folios[i])
			break;
	}
	nr_folios = i;
	sort(folios, nr_folios, sizeof(*folios), cmp_folio, NULL);
	for (i = 0; i < nr_folios << order; i++)
		pages[i] = folio_page(folios[i >> order], i & ((1 << order) - 1));
	bench_sweep_shape(m, dev, "2m-folios-fragmented", pages, folios,
			  nr_folios << order, rows);
	for (i = 0; i < nr_folios; i++)
		folio_put(folios[i]);
out:
	kvfree(folios);
	kvfree(pages);
	kfree(rows);
	pci_dev_put(pdev);
	if (ret)
		seq_printf(m, "phyr_bench: sweep failed: %d\n", ret);
	return 0;
}

static int sweep_open(struct inode *inode, struct file *file)
{
	return single_open_size(file, sweep_show, inode->i_private,
				BENCH_OUT_SIZE);
}

static const struct file_operations sweep_fops = {
	.owner = THIS_MODULE,
	.open = sweep_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
};

static int __init phyr_bench_init(void)
{
	bench_dir = debugfs_create_dir("phyr", NULL);
	debugfs_create_u32("bench_size_mb", 0600, bench_dir, &bench_size_mb);
	debugfs_create_u32("bench_reps", 0600, bench_dir, &bench_reps);
	debugfs_create_file("bench", 0400, bench_dir, NULL, &bench_fops);
	debugfs_create_u32("bench_sweep_mb", 0600, bench_dir, &bench_sweep_mb);
	debugfs_create_file("sweep", 0400, bench_dir, NULL, &sweep_fops);
	return 0;
}
late_initcall(phyr_bench_init);
