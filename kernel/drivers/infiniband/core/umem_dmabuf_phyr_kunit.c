// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * KUnit tests of dma-buf umems mapped through the phyr flavour: page size
 * and DMA blocks against the sg_table path of the same layout, and real
 * mappings of system memory and of ivshmem's BAR (P2P) for QEMU's edu.
 *
 * Copyright 2026 The phyr developers
 */

#include <kunit/device.h>
#include <kunit/dma-buf.h>
#include <kunit/phyr_pci.h>
#include <kunit/test.h>

#include <linux/dma-buf.h>
#include <linux/dma-buf-flavour.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/dmaengine.h>
#include <linux/fcntl.h>
#include <linux/fdtable.h>
#include <linux/pci.h>
#include <linux/phyr.h>
#include <linux/phyr_dma.h>
#include <linux/prandom.h>
#include <linux/scatterlist.h>
#include <rdma/ib_umem.h>
#include <rdma/ib_verbs.h>
#include <rdma/iter.h>

#include "umem_dmabuf_phyr.h"

MODULE_IMPORT_NS("DMA_BUF");
MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");

#define MAX_SEGS	8

/*
 * The reference: what umem_dmabuf.c's sg_table path makes of a DMA layout --
 * the list trimmed to the umem's first and last page -- as a plain umem, for
 * upstream's ib_umem_find_best_pgsz() and block iterator.
 */
static void sg_umem(struct kunit *test, struct ib_umem *umem,
		    const struct dma_vec *segs, unsigned int nr,
		    unsigned long address, size_t length)
{
	u64 start = ALIGN_DOWN(address, PAGE_SIZE);
	u64 end = ALIGN((u64)address + length, PAGE_SIZE), cur = 0;
	struct sg_table *sgt = &umem->sgt_append.sgt;
	struct scatterlist *sg;
	unsigned int i, n = 0;

	memset(umem, 0, sizeof(*umem));
	umem->address = address;
	umem->length = length;
	KUNIT_ASSERT_EQ(test, sg_alloc_table(sgt, nr, GFP_KERNEL), 0);
	sg = sgt->sgl;
	for (i = 0; i < nr; cur += segs[i].len, i++) {
		u64 s = max(cur, start), e = min(cur + segs[i].len, end);

		if (s >= e)
			continue;
		sg_dma_address(sg) = segs[i].addr + (s - cur);
		sg_dma_len(sg) = e - s;
		sg = sg_next(sg);
		n++;
	}
	sgt->nents = n;
}

/* A phyr umem of the same layout, through the code under test. */
static void phyr_umem(struct kunit *test, struct ib_umem_dmabuf *pu,
		      const struct dma_vec *segs, unsigned int nr,
		      unsigned long address, size_t length)
{
	memset(pu, 0, sizeof(*pu));
	pu->umem.is_dmabuf = 1;
	pu->umem.address = address;
	pu->umem.length = length;
	pu->phyr = 1;
	KUNIT_ASSERT_EQ(test, ib_umem_dmabuf_phyr_window(pu, segs, nr), 0);
}

/* Both give the same page size, and the same blocks at it. */
static void compare(struct kunit *test, const struct dma_vec *segs,
		    unsigned int nr, unsigned long address, size_t length,
		    unsigned long bitmap, u64 virt, const char *what)
{
	struct ib_block_iter a, b;
	struct ib_umem_dmabuf pu;
	struct ib_umem su;
	unsigned long want, got;
	size_t blocks = 0;
	bool more_a, more_b;

	sg_umem(test, &su, segs, nr, address, length);
	phyr_umem(test, &pu, segs, nr, address, length);
	want = ib_umem_find_best_pgsz(&su, bitmap, virt);
	got = ib_umem_find_best_pgsz(&pu.umem, bitmap, virt);
	KUNIT_EXPECT_EQ_MSG(test, got, want, "%s: at %lu+%zu, virt %#llx, bitmap %#lx",
			    what, address, length, virt, bitmap);
	KUNIT_EXPECT_EQ_MSG(test, ib_umem_start_dma_addr(&pu.umem),
			    ib_umem_start_dma_addr(&su), "%s", what);
	if (want && want == got) {
		__rdma_umem_block_iter_start(&a, &su, want);
		__rdma_umem_block_iter_start(&b, &pu.umem, want);
		for (;;) {
			more_a = __rdma_umem_block_iter_next(&a);
			more_b = __rdma_umem_block_iter_next(&b);
			KUNIT_ASSERT_EQ_MSG(test, more_a, more_b, "%s: block %zu", what, blocks);
			if (!more_a)
				break;
			KUNIT_ASSERT_EQ_MSG(test, rdma_block_iter_dma_address(&b),
					    rdma_block_iter_dma_address(&a),
					    "%s: block %zu", what, blocks);
			blocks++;
		}
		KUNIT_EXPECT_EQ(test, blocks, ib_umem_num_dma_blocks(&su, want));
	}
	sg_free_table(&su.sgt_append.sgt);
}

/*
 * The page size and the blocks of a phyr umem are those of the sg_table
 * path for the same layout: hand-picked cases (the 8 KiB buffer at a
 * 2 MiB-aligned VA and PA gets a 2 MiB page, as ib_umem_find_best_pgsz()
 * gives), then random layouts, windows, IOVAs and page size sets.
 */
static void umem_phyr_test_best_pgsz(struct kunit *test)
{
	const unsigned long all = SZ_4K | SZ_64K | SZ_2M | SZ_1G;
	struct dma_vec segs[MAX_SEGS];
	struct ib_umem_dmabuf pu;
	struct rnd_state rnd;
	unsigned int i, n, k;
	u64 total, addr;

	segs[0] = (struct dma_vec){ .addr = SZ_1G, .len = SZ_8K };
	compare(test, segs, 1, 0, SZ_8K, all, SZ_2M, "8 KiB at 2 MiB");
	compare(test, segs, 1, 0, SZ_8K, SZ_4K | SZ_2M | SZ_1G, SZ_2M,
		"8 KiB at 2 MiB, x86 page sizes");
	/*
	 * By hand, from ib_umem_find_best_pgsz()'s definition: the smallest
	 * page size that maps the whole span in the fewest pages.  With the
	 * x86 sizes that is 2 MiB (an earlier copy of the algorithm gave
	 * 4 KiB, capping the page at the span); with 64 KiB pages too, one
	 * 64 KiB page.
	 */
	phyr_umem(test, &pu, segs, 1, 0, SZ_8K);
	KUNIT_EXPECT_EQ(test, ib_umem_find_best_pgsz(&pu.umem, SZ_4K | SZ_2M | SZ_1G, SZ_2M),
			(unsigned long)SZ_2M);
	KUNIT_EXPECT_EQ(test, ib_umem_find_best_pgsz(&pu.umem, all, SZ_2M),
			(unsigned long)SZ_64K);
	/* a 4 MiB range, the IOVA off by 4 KiB within a 2 MiB page */
	segs[0] = (struct dma_vec){ .addr = SZ_1G, .len = SZ_4M };
	compare(test, segs, 1, 0, SZ_4M, all, SZ_4K, "4 MiB, IOVA off");
	compare(test, segs, 1, 0, SZ_4M, SZ_2M, SZ_4K, "no 4 KiB pages");
	/* two ranges, the first ending on 4 KiB only */
	segs[0] = (struct dma_vec){ .addr = SZ_1G, .len = SZ_2M + SZ_4K };
	segs[1] = (struct dma_vec){ .addr = 2ULL * SZ_1G, .len = SZ_2M };
	compare(test, segs, 2, 0, SZ_4M + SZ_4K, all, 0, "two ranges");
	/* a window starting and ending inside ranges, at odd bytes */
	compare(test, segs, 2, SZ_4K + 100, SZ_2M + 5, all, 100, "window");
	/* contiguous entries count as one */
	segs[0] = (struct dma_vec){ .addr = SZ_1G, .len = SZ_4K };
	segs[1] = (struct dma_vec){ .addr = SZ_1G + SZ_4K, .len = SZ_2M - SZ_4K };
	compare(test, segs, 2, 0, SZ_2M, all, 0, "contiguous");

	prandom_seed_state(&rnd, 0x7068797275ULL);
	for (k = 0; k < 400; k++) {
		n = 1 + prandom_u32_state(&rnd) % MAX_SEGS;
		total = 0;
		addr = SZ_1G;
		for (i = 0; i < n; i++) {
			u32 r = prandom_u32_state(&rnd);

			/* contiguous with the last, or somewhere aligned */
			if (i && (r & 3) == 0)
				addr = segs[i - 1].addr + segs[i - 1].len;
			else
				addr = SZ_1G * (1 + (r >> 28)) +
				       ((u64)((r >> 4) & 0x3ff) << ((r & 0x30) ? 12 : 21));
			segs[i].addr = addr;
			segs[i].len = (1 + prandom_u32_state(&rnd) % 600) * SZ_4K;
			total += segs[i].len;
		}
		{
			u64 off = prandom_u32_state(&rnd) % total;
			u64 len = 1 + prandom_u32_state(&rnd) % (total - off);
			u64 virt = (prandom_u32_state(&rnd) & 1) ?
				   (u64)prandom_u32_state(&rnd) << 12 | (off & ~PAGE_MASK) :
				   (u64)(prandom_u32_state(&rnd) & 0xff) << 21 | (off & ~PAGE_MASK);
			unsigned long bitmap = all & (prandom_u32_state(&rnd) | SZ_4K);

			compare(test, segs, n, off, len, bitmap, virt, "random");
		}
	}
}

/*
 * Page sizes worked out by hand, from the rule the hardware sets: a page of
 * size P maps IOVA v to DMA address a only if v and a agree in their low
 * log2(P) bits, every break in the DMA addresses falls on a page boundary of
 * the IOVA, and the best page is the largest such P up to the smallest
 * supported page that holds the whole IOVA span.  (These were the cases of
 * phyr_dma_best_pgsz(), a copy of the algorithm that is gone.)
 */
static void umem_phyr_test_best_pgsz_by_hand(struct kunit *test)
{
	const unsigned long all = SZ_4K | SZ_2M | SZ_1G;
	struct dma_vec segs[2];
	struct ib_umem_dmabuf pu;

	/* one 4 MiB range at DMA 1 GiB + 2 MiB */
	segs[0] = (struct dma_vec){ .addr = SZ_1G + SZ_2M, .len = SZ_4M };
	phyr_umem(test, &pu, segs, 1, 0, SZ_4M);
	/* IOVA 0 and the DMA address agree up to bit 20: 2 MiB */
	KUNIT_EXPECT_EQ(test, ib_umem_find_best_pgsz(&pu.umem, all, 0), (unsigned long)SZ_2M);
	/* IOVA 4 KiB: they differ in bit 12, 4 KiB pages only */
	KUNIT_EXPECT_EQ(test, ib_umem_find_best_pgsz(&pu.umem, all, SZ_4K), (unsigned long)SZ_4K);
	/* and a device without 4 KiB pages cannot map it at that IOVA */
	KUNIT_EXPECT_EQ(test, ib_umem_find_best_pgsz(&pu.umem, SZ_2M, SZ_4K), 0UL);
	/* pages below PAGE_SIZE count: 1 KiB pages fit any 1 KiB-agreeing IOVA */
	KUNIT_EXPECT_EQ(test, ib_umem_find_best_pgsz(&pu.umem, SZ_1K, 0), (unsigned long)SZ_1K);

	/* two ranges, the first ending 4 KiB past a 2 MiB boundary: 4 KiB */
	segs[0] = (struct dma_vec){ .addr = SZ_1G, .len = SZ_2M + SZ_4K };
	segs[1] = (struct dma_vec){ .addr = 2ULL * SZ_1G, .len = SZ_2M };
	phyr_umem(test, &pu, segs, 2, 0, SZ_4M + SZ_4K);
	KUNIT_EXPECT_EQ(test, ib_umem_find_best_pgsz(&pu.umem, all, 0), (unsigned long)SZ_4K);
	/* the same lengths contiguous in DMA space: no break, 2 MiB */
	segs[0] = (struct dma_vec){ .addr = SZ_1G + SZ_2M, .len = SZ_2M + SZ_4K };
	segs[1] = (struct dma_vec){ .addr = SZ_1G + SZ_4M + SZ_4K, .len = SZ_2M };
	phyr_umem(test, &pu, segs, 2, 0, SZ_4M + SZ_4K);
	KUNIT_EXPECT_EQ(test, ib_umem_find_best_pgsz(&pu.umem, all, 0), (unsigned long)SZ_2M);

	/*
	 * 8 KiB at a 2 MiB-aligned IOVA and DMA address: the smallest supported
	 * page that holds it whole, 2 MiB; without 2 MiB pages, 1 GiB (the
	 * IOVA 2 MiB and DMA 1 GiB + 2 MiB agree up to bit 29).
	 */
	segs[0] = (struct dma_vec){ .addr = SZ_1G + SZ_2M, .len = SZ_8K };
	phyr_umem(test, &pu, segs, 1, 0, SZ_8K);
	KUNIT_EXPECT_EQ(test, ib_umem_find_best_pgsz(&pu.umem, all, SZ_2M), (unsigned long)SZ_2M);
	KUNIT_EXPECT_EQ(test, ib_umem_find_best_pgsz(&pu.umem, SZ_4K | SZ_1G, SZ_2M),
			(unsigned long)SZ_1G);
}

/*
 * The input where the two copies of the algorithm disagreed: one byte, with
 * every page size allowed (the bitmap ib_umem_is_contiguous() passes).  The
 * byte is at DMA address 1 GiB + 0x202 and IOVA 0x206: they differ first in
 * bit 2, so by the hardware rule pages of 1, 2 or 4 bytes map it, each in
 * one page.  phyr_dma_best_pgsz() gave 1 (it counted no bit for a one-byte
 * span); ib_umem_find_best_pgsz() gives 2, by hand: it counts one bit
 * (bits_per(0) == 1), so pages from 2 bytes up hold the span, and the
 * largest of them that keeps the low bits is 2.  One algorithm now: the
 * phyr umem gets what the sg_table umem of the same layout gets.
 */
static void umem_phyr_test_best_pgsz_one_byte(struct kunit *test)
{
	const struct dma_vec seg = { .addr = SZ_1G, .len = SZ_4K };
	const u64 virt = 0x206;
	const dma_addr_t byte = SZ_1G + 0x202;
	struct ib_umem_dmabuf pu;
	unsigned long got;
	struct ib_umem su;

	phyr_umem(test, &pu, &seg, 1, 0x202, 1);
	KUNIT_EXPECT_EQ(test, ib_umem_start_dma_addr(&pu.umem), byte);
	got = ib_umem_find_best_pgsz(&pu.umem, ULONG_MAX, virt);
	/* the hardware rule */
	KUNIT_ASSERT_TRUE_MSG(test, got == 1 || got == 2 || got == 4, "got %lu", got);
	KUNIT_EXPECT_EQ(test, ib_umem_num_dma_blocks(&pu.umem, got), (size_t)1);
	/* the one algorithm's choice */
	KUNIT_EXPECT_EQ(test, got, 2UL);
	sg_umem(test, &su, &seg, 1, 0x202, 1);
	KUNIT_EXPECT_EQ(test, ib_umem_find_best_pgsz(&su, ULONG_MAX, virt), got);
	sg_free_table(&su.sgt_append.sgt);
	KUNIT_EXPECT_TRUE(test, ib_umem_is_contiguous(&pu.umem));
}

/* the DMA ranges of @umem, against @want */
static void expect_ranges(struct kunit *test, struct ib_umem *umem,
			  const struct dma_vec *want, unsigned int nr,
			  const char *what)
{
	struct ib_block_iter biter;
	unsigned int k = 0;
	dma_addr_t addr;
	size_t len;

	rdma_umem_range_iter_start(&biter, umem);
	while (rdma_block_iter_next_range(&biter, &addr, &len)) {
		if (k < nr) {
			KUNIT_EXPECT_EQ_MSG(test, addr, want[k].addr, "%s: range %u", what, k);
			KUNIT_EXPECT_EQ_MSG(test, len, want[k].len, "%s: range %u", what, k);
		}
		k++;
	}
	KUNIT_EXPECT_EQ_MSG(test, k, nr, "%s", what);
}

/*
 * The DMA ranges of a phyr umem (rdma_umem_range_iter_start(),
 * rdma_block_iter_next_range()): the window's dma_vecs, the first from the
 * umem's first page, the last cut at the end of its last page; the
 * sg_table umem of the same layout gives the same ranges.
 */
static void umem_phyr_test_dma_ranges(struct kunit *test)
{
	const struct dma_vec segs[] = {
		{ .addr = 0x100000, .len = 3 * SZ_4K },
		{ .addr = 0x900000, .len = 2 * SZ_4K },
		{ .addr = 0x500000, .len = SZ_4K },
	};
	static const struct {
		unsigned long address;
		size_t length;
		unsigned int nr;
		struct dma_vec want[3];
	} cases[] = {
		/* pages 1 to 4 of the buffer */
		{ SZ_4K + 10, 3 * SZ_4K, 2,
		  { { 0x101000, 2 * SZ_4K }, { 0x900000, 2 * SZ_4K } } },
		/* the last page only */
		{ 5 * SZ_4K + 1, 1, 1, { { 0x500000, SZ_4K } } },
		/* pages 0 and 1: the first range cut short */
		{ 0, SZ_4K + 1, 1, { { 0x100000, 2 * SZ_4K } } },
		/* everything: contiguous or not, one range per entry */
		{ 0, 6 * SZ_4K, 3,
		  { { 0x100000, 3 * SZ_4K }, { 0x900000, 2 * SZ_4K },
		    { 0x500000, SZ_4K } } },
	};
	struct ib_umem_dmabuf pu;
	struct ib_umem su;
	unsigned int c;

	for (c = 0; c < ARRAY_SIZE(cases); c++) {
		phyr_umem(test, &pu, segs, ARRAY_SIZE(segs), cases[c].address,
			  cases[c].length);
		expect_ranges(test, &pu.umem, cases[c].want, cases[c].nr, "phyr");
		sg_umem(test, &su, segs, ARRAY_SIZE(segs), cases[c].address,
			cases[c].length);
		expect_ranges(test, &su, cases[c].want, cases[c].nr, "sg_table");
		sg_free_table(&su.sgt_append.sgt);
	}
}

/* The window of the umem's pages in the dma_vec list, and its limits. */
static void umem_phyr_test_window(struct kunit *test)
{
	const struct dma_vec segs[] = {
		{ .addr = 0x100000, .len = 3 * SZ_4K },
		{ .addr = 0x900000, .len = 2 * SZ_4K },
		{ .addr = 0x500000, .len = SZ_4K },
	};
	struct ib_umem_dmabuf pu = {};

	pu.umem.address = SZ_4K + 10;
	pu.umem.length = 3 * SZ_4K;
	KUNIT_ASSERT_EQ(test, ib_umem_dmabuf_phyr_window(&pu, segs, 3), 0);
	KUNIT_EXPECT_PTR_EQ(test, pu.vecs, &segs[0]);
	KUNIT_EXPECT_EQ(test, pu.nr_vecs, 2U);
	KUNIT_EXPECT_EQ(test, pu.first_vec_offset, (size_t)SZ_4K);
	KUNIT_EXPECT_EQ(test, pu.last_vec_len, (size_t)2 * SZ_4K);
	KUNIT_EXPECT_EQ(test, pu.phyr_start, (dma_addr_t)0x101000);
	/* the last page only */
	pu.umem.address = 5 * SZ_4K + 1;
	pu.umem.length = 1;
	KUNIT_ASSERT_EQ(test, ib_umem_dmabuf_phyr_window(&pu, segs, 3), 0);
	KUNIT_EXPECT_PTR_EQ(test, pu.vecs, &segs[2]);
	KUNIT_EXPECT_EQ(test, pu.nr_vecs, 1U);
	KUNIT_EXPECT_EQ(test, pu.first_vec_offset, (size_t)0);
	/* beyond the list */
	pu.umem.address = 6 * SZ_4K;
	KUNIT_EXPECT_EQ(test, ib_umem_dmabuf_phyr_window(&pu, segs, 3), -EINVAL);
	KUNIT_EXPECT_EQ(test, ib_umem_dmabuf_phyr_window(&pu, segs, 0), -EINVAL);
}

/* a dma-buf of pages, or of a BAR range, with flavours or without */
#define UMEM_PAGES	6

static struct dma_buf_kunit_exporter *mock_create(struct kunit *test,
						  enum dma_buf_kunit_kind kind)
{
	struct dma_buf_kunit_exporter *m;

	m = dma_buf_kunit_exporter(test, kind, UMEM_PAGES, 0, 0);
	m->nr_offers = 1;	/* phyr of CPU RAM */
	return m;
}

struct umem_importer {
	int invalidated;
};

static void umem_invalidate(struct dma_buf_attachment *a)
{
	struct ib_umem_dmabuf *umem_dmabuf = a->importer_priv;
	struct umem_importer *imp = umem_dmabuf->private;

	ib_umem_dmabuf_unmap_pages(umem_dmabuf);
	if (imp)
		imp->invalidated++;
}

static const struct dma_buf_attach_ops umem_ops = {
	.allow_peer2peer = true,
	.invalidate_mappings = umem_invalidate,
};

static void umem_release(void *data)
{
	ib_umem_release(data);
}

/* ib_umem_dmabuf_get_phyr() of @dmabuf, for @dma_device, through an fd */
static struct ib_umem_dmabuf *get_umem(struct kunit *test, struct dma_buf *dmabuf,
				       struct device *dma_device,
				       unsigned long offset, size_t size)
{
	struct ib_device *ibdev = kunit_kzalloc(test, sizeof(*ibdev), GFP_KERNEL);
	struct ib_umem_dmabuf *umem_dmabuf;
	int fd;

	KUNIT_ASSERT_NOT_NULL(test, ibdev);
	ibdev->dma_device = dma_device;
	get_dma_buf(dmabuf);
	fd = dma_buf_fd(dmabuf, O_CLOEXEC);
	if (fd < 0) {
		dma_buf_put(dmabuf);
		KUNIT_FAIL_AND_ABORT(test, "dma_buf_fd: %d", fd);
	}
	umem_dmabuf = ib_umem_dmabuf_get_phyr(ibdev, offset, size, fd,
					      IB_ACCESS_LOCAL_WRITE, &umem_ops);
	close_fd(fd);
	if (!IS_ERR(umem_dmabuf))
		KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, umem_release,
								&umem_dmabuf->umem), 0);
	return umem_dmabuf;
}

static int map_pages(struct ib_umem_dmabuf *umem_dmabuf)
{
	struct dma_resv *resv = umem_dmabuf->attach->dmabuf->resv;
	int ret;

	dma_resv_lock(resv, NULL);
	ret = ib_umem_dmabuf_map_pages(umem_dmabuf);
	dma_resv_unlock(resv);
	return ret;
}

/*
 * System memory for edu, behind the IOMMU (root boot) or in an identity
 * domain (switch boot): the umem is mapped as dma_vecs, its page size is
 * the sg_table path's for that layout, and edu's DMA engine, writing at the
 * address of each block, writes the page the block stands for.
 */
static void umem_phyr_test_edu_system(struct kunit *test)
{
	struct phyr_kunit_edu *edu = phyr_kunit_edu_get(test);
	struct dma_buf_kunit_exporter *m = mock_create(test, DMA_BUF_KUNIT_BRIDGE);
	struct ib_umem_dmabuf *umem_dmabuf;
	const unsigned long all = SZ_4K | SZ_2M;
	struct ib_block_iter biter;
	unsigned int k = 0, i;
	dma_addr_t pattern_dma;
	struct ib_umem su;
	u8 *pattern;
	int ret;

	umem_dmabuf = get_umem(test, m->dmabuf, &edu->pdev->dev, PAGE_SIZE + 8,
			       3 * PAGE_SIZE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(umem_dmabuf));
	KUNIT_EXPECT_EQ(test, umem_dmabuf->attach->flavour, DMA_BUF_FLAVOUR_PHYR);
	KUNIT_EXPECT_TRUE(test, ib_umem_is_phyr(&umem_dmabuf->umem));
	KUNIT_ASSERT_EQ(test, map_pages(umem_dmabuf), 0);
	KUNIT_EXPECT_EQ(test, m->phyr_maps, 1);
	/* four pages: the one holding the start to the one holding the end */
	sg_umem(test, &su, umem_dmabuf->phyr_map->vecs,
		umem_dmabuf->phyr_map->nr_vecs, PAGE_SIZE + 8, 3 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, ib_umem_find_best_pgsz(&umem_dmabuf->umem, all, 8),
			ib_umem_find_best_pgsz(&su, all, 8));
	sg_free_table(&su.sgt_append.sgt);

	/*
	 * edu writes a pattern at each 4 KiB block: edu's DMA engine takes it
	 * into its own buffer, then out to the block's address; it must land
	 * in the page the block stands for.
	 */
	pattern = kunit_kzalloc(test, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pattern);
	pattern_dma = dma_map_single(&edu->pdev->dev, pattern, 64, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(&edu->pdev->dev, pattern_dma));
	ib_umem_find_best_pgsz(&umem_dmabuf->umem, SZ_4K, 8);
	rdma_umem_for_each_dma_block(&umem_dmabuf->umem, &biter, SZ_4K) {
		if (k >= 4)
			break;
		for (i = 0; i < 64; i++)
			pattern[i] = (u8)(k * 17 + i + 1);
		dma_sync_single_for_device(&edu->pdev->dev, pattern_dma, 64, DMA_TO_DEVICE);
		ret = phyr_kunit_edu_dma(edu, pattern_dma, 0, 64, false);
		if (!ret)
			ret = phyr_kunit_edu_dma(edu, rdma_block_iter_dma_address(&biter),
						 0, 64, true);
		KUNIT_EXPECT_EQ(test, ret, 0);
		KUNIT_EXPECT_EQ_MSG(test, memcmp(page_address(m->pages[1 + k]), pattern, 64),
				    0, "block %u", k);
		k++;
	}
	dma_unmap_single(&edu->pdev->dev, pattern_dma, 64, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, k, 4U);
	dma_resv_lock(m->dmabuf->resv, NULL);
	ib_umem_dmabuf_unmap_pages(umem_dmabuf);
	dma_resv_unlock(m->dmabuf->resv);
	KUNIT_EXPECT_EQ(test, m->phyr_maps, 0);
}

/*
 * A PCI BAR for edu, by the boot's topology: on q35's root bus edu cannot
 * reach ivshmem (no flavour at all: -EOPNOTSUPP); behind the switch the
 * umem's dma_vecs hold the BAR's bus address, and so do its blocks; through
 * a whitelisted host bridge they hold an IOVA that edu's domain maps to the
 * BAR.
 */
static void umem_phyr_test_p2p(struct kunit *test)
{
	struct phyr_kunit_edu *edu = phyr_kunit_edu_get(test);
	struct dma_buf_kunit_exporter *m = mock_create(test, DMA_BUF_KUNIT_BRIDGE);
	struct ib_umem_dmabuf *umem_dmabuf;
	enum pci_p2pdma_map_type want;
	struct p2pdma_provider *provider;
	struct ib_block_iter biter;
	struct pci_dev *ivshmem;
	phys_addr_t bar;
	dma_addr_t bus;
	unsigned int k = 0;

	provider = phyr_kunit_ivshmem_provider(test, &ivshmem);
	bar = pci_resource_end(ivshmem, PHYR_KUNIT_IVSHMEM_BAR) + 1 - SZ_2M;
	bus = pci_bus_address(ivshmem, PHYR_KUNIT_IVSHMEM_BAR) +
	      (bar - pci_resource_start(ivshmem, PHYR_KUNIT_IVSHMEM_BAR));
	KUNIT_ASSERT_EQ(test, phyr_append_mmio(&m->other, provider, bar,
					       UMEM_PAGES * PAGE_SIZE, 0), 0);
	m->map = &m->other;
	m->offers[0] = (struct dma_buf_flavour_offer){
		.flavour = DMA_BUF_FLAVOUR_PHYR, .flags = DMA_BUF_FLAVOUR_MMIO,
		.provider = provider };

	umem_dmabuf = get_umem(test, m->dmabuf, &edu->pdev->dev, PAGE_SIZE,
			       2 * PAGE_SIZE);
	want = phyr_kunit_p2p_expected(test, 0);
	if (want == PCI_P2PDMA_MAP_NOT_SUPPORTED) {
		KUNIT_EXPECT_EQ(test, PTR_ERR(umem_dmabuf), -EOPNOTSUPP);
		return;
	}
	KUNIT_ASSERT_FALSE(test, IS_ERR(umem_dmabuf));
	KUNIT_EXPECT_TRUE(test, ib_umem_is_phyr(&umem_dmabuf->umem));
	KUNIT_ASSERT_EQ(test, map_pages(umem_dmabuf), 0);
	KUNIT_EXPECT_EQ(test, umem_dmabuf->phyr_map->nr_vecs, 1U);
	if (want == PCI_P2PDMA_MAP_BUS_ADDR) {
		KUNIT_EXPECT_EQ(test, umem_dmabuf->phyr_map->vecs[0].addr, bus);
	} else {
		bus = umem_dmabuf->phyr_map->vecs[0].addr;
		KUNIT_EXPECT_EQ(test, phyr_kunit_iova_to_phys(&edu->pdev->dev, bus), bar);
	}
	KUNIT_EXPECT_EQ(test, ib_umem_start_dma_addr(&umem_dmabuf->umem),
			bus + PAGE_SIZE);
	/*
	 * a 2 MiB-aligned BAR range, IOVA 0: one 2 MiB block covers it where its
	 * DMA address is 2 MiB-aligned too (the bus address is; an IOVA may not be)
	 */
	KUNIT_EXPECT_EQ(test, ib_umem_find_best_pgsz(&umem_dmabuf->umem,
						     SZ_4K | SZ_2M, PAGE_SIZE),
			IS_ALIGNED(bus, SZ_2M) ? (unsigned long)SZ_2M : SZ_4K);
	ib_umem_find_best_pgsz(&umem_dmabuf->umem, SZ_4K, PAGE_SIZE);
	rdma_umem_for_each_dma_block(&umem_dmabuf->umem, &biter, SZ_4K) {
		KUNIT_EXPECT_EQ(test, rdma_block_iter_dma_address(&biter),
				bus + (k + 1) * PAGE_SIZE);
		k++;
	}
	KUNIT_EXPECT_EQ(test, k, 2U);
}

/*
 * An exporter without flavours: the phyr getter falls back to the
 * sg_table, and the umem is a classic one.
 */
static void umem_phyr_test_sg_fallback(struct kunit *test)
{
	struct device *dev = phyr_kunit_dma_device(test, "umem_phyr_dev", 64);
	struct dma_buf_kunit_exporter *m = mock_create(test, DMA_BUF_KUNIT_LEGACY);
	struct ib_umem_dmabuf *umem_dmabuf;
	struct ib_block_iter biter;
	unsigned int k = 0;

	umem_dmabuf = get_umem(test, m->dmabuf, dev, 0, UMEM_PAGES * PAGE_SIZE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(umem_dmabuf));
	KUNIT_EXPECT_EQ(test, umem_dmabuf->attach->flavour, DMA_BUF_FLAVOUR_SG_TABLE);
	KUNIT_EXPECT_FALSE(test, ib_umem_is_phyr(&umem_dmabuf->umem));
	KUNIT_EXPECT_NULL(test, umem_dmabuf->phyr_map);
	KUNIT_ASSERT_EQ(test, map_pages(umem_dmabuf), 0);
	KUNIT_EXPECT_EQ(test, m->sg_maps, 1);
	KUNIT_EXPECT_NOT_NULL(test, umem_dmabuf->sgt);
	ib_umem_find_best_pgsz(&umem_dmabuf->umem, SZ_4K, 0);
	/* dma-direct, no IOMMU: the blocks are the pages */
	rdma_umem_for_each_dma_block(&umem_dmabuf->umem, &biter, SZ_4K) {
		KUNIT_EXPECT_EQ(test, rdma_block_iter_dma_address(&biter),
				phys_to_dma(dev, page_to_phys(m->pages[k])));
		k++;
	}
	KUNIT_EXPECT_EQ(test, k, UMEM_PAGES);
}

/*
 * The exporter invalidates: the importer unmaps from its callback (the
 * exporter's map count back at zero), maps again on demand; after a revoke
 * the map fails with -ENODEV.
 */
static void umem_phyr_test_invalidate(struct kunit *test)
{
	struct device *dev = phyr_kunit_dma_device(test, "umem_phyr_dev", 64);
	struct dma_buf_kunit_exporter *m = mock_create(test, DMA_BUF_KUNIT_BRIDGE);
	struct umem_importer imp = {};
	struct ib_umem_dmabuf *umem_dmabuf;

	umem_dmabuf = get_umem(test, m->dmabuf, dev, 0, 2 * PAGE_SIZE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(umem_dmabuf));
	umem_dmabuf->private = &imp;
	KUNIT_ASSERT_EQ(test, map_pages(umem_dmabuf), 0);
	KUNIT_EXPECT_EQ(test, ib_umem_start_dma_addr(&umem_dmabuf->umem),
			phys_to_dma(dev, page_to_phys(m->pages[0])));
	dma_resv_lock(m->dmabuf->resv, NULL);
	dma_buf_invalidate_mappings(m->dmabuf);
	dma_resv_unlock(m->dmabuf->resv);
	KUNIT_EXPECT_EQ(test, imp.invalidated, 1);
	KUNIT_EXPECT_EQ(test, m->phyr_maps, 0);
	KUNIT_EXPECT_NULL(test, umem_dmabuf->vecs);
	KUNIT_ASSERT_EQ(test, map_pages(umem_dmabuf), 0);
	KUNIT_EXPECT_EQ(test, m->phyr_maps, 1);
	KUNIT_EXPECT_EQ(test, dma_buf_revoke(m->dmabuf, HZ), 0);
	KUNIT_EXPECT_EQ(test, m->phyr_maps, 0);
	KUNIT_EXPECT_EQ(test, map_pages(umem_dmabuf), -ENODEV);
}

static struct kunit_case umem_phyr_test_cases[] = {
	KUNIT_CASE(umem_phyr_test_best_pgsz),
	KUNIT_CASE(umem_phyr_test_best_pgsz_by_hand),
	KUNIT_CASE(umem_phyr_test_best_pgsz_one_byte),
	KUNIT_CASE(umem_phyr_test_dma_ranges),
	KUNIT_CASE(umem_phyr_test_window),
	KUNIT_CASE(umem_phyr_test_edu_system),
	KUNIT_CASE(umem_phyr_test_p2p),
	KUNIT_CASE(umem_phyr_test_sg_fallback),
	KUNIT_CASE(umem_phyr_test_invalidate),
	{}
};

static struct kunit_suite umem_phyr_test_suite = {
	.name = "ib_umem_phyr",
	.test_cases = umem_phyr_test_cases,
};

kunit_test_suite(umem_phyr_test_suite);

MODULE_DESCRIPTION("KUnit tests of dma-buf umems through the phyr flavour");
MODULE_LICENSE("Dual BSD/GPL");
