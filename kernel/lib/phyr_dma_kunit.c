// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for phyr_dma: mapping a phyr into a dma_vec list, on a device
 * without an IOMMU (a KUnit device) and on QEMU's edu PCI device behind the
 * emulated intel-iommu, where edu's DMA engine proves that the addresses reach
 * the right bytes.
 *
 * Copyright 2026 The phyr developers
 */

#include <kunit/device.h>
#include <kunit/phyr_pci.h>
#include <kunit/test.h>

#include <linux/delay.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/phyr_dma.h>

static struct device *plain_device(struct kunit *test)
{
	return phyr_kunit_dma_device(test, "phyr_dma_plain", 64);
}

/* @nr single pages, allocated in reverse so that they are rarely contiguous */
static struct page **alloc_pages_kunit(struct kunit *test, unsigned int nr)
{
	struct page **pages = kunit_kcalloc(test, nr, sizeof(*pages), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, pages);
	for (i = nr; i-- > 0;) {
		pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, pages[i]);
	}
	return pages;
}

static void free_pages_array(struct page **pages, unsigned int nr)
{
	while (nr--)
		__free_page(pages[nr]);
}

static void phyr_dma_test_empty(struct kunit *test)
{
	struct device *dev = plain_device(test);
	struct phyr_dma map;
	struct phyr phyr;

	phyr_init(&phyr, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, phyr_dma_map(&map, &phyr, dev, DMA_TO_DEVICE, 0), -EINVAL);
	KUNIT_EXPECT_NULL(test, map.vecs);
	phyr_destroy(&phyr);
}

static void phyr_dma_test_bad_dir(struct kunit *test)
{
	struct device *dev = plain_device(test);
	struct page *page = alloc_page(GFP_KERNEL);
	struct phyr_dma map;
	struct phyr phyr;

	KUNIT_ASSERT_NOT_NULL(test, page);
	phyr_init(&phyr, GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, phyr_append(&phyr, page_to_phys(page), PAGE_SIZE, 0), 0);
	KUNIT_EXPECT_EQ(test, phyr_dma_map(&map, &phyr, dev, DMA_NONE, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, phyr_dma_map(&map, &phyr, dev, 17, 0), -EINVAL);
	phyr_destroy(&phyr);
	__free_page(page);
}

/* Without an IOMMU: one dma_vec per range, at the range's physical address. */
static void phyr_dma_test_direct(struct kunit *test)
{
	struct device *dev = plain_device(test);
	struct page **pages = alloc_pages_kunit(test, 8);
	struct phyr_cursor cur;
	struct phyr_dma map;
	struct phyr phyr;
	unsigned int i;
	u64 total = 0;

	phyr_init(&phyr, GFP_KERNEL);
	/* every other page, so that no two ranges coalesce */
	for (i = 0; i < 8; i += 2)
		KUNIT_ASSERT_EQ(test, phyr_append(&phyr, page_to_phys(pages[i]) + 16,
						  PAGE_SIZE - 32, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_dma_map(&map, &phyr, dev, DMA_BIDIRECTIONAL, 0), 0);
	KUNIT_EXPECT_EQ(test, map.nr_vecs, phyr_nr_ranges(&phyr));

	i = 0;
	phyr_cursor_init(&cur, &phyr);
	while (phyr_cursor_next(&cur) && i < map.nr_vecs) {
		KUNIT_EXPECT_EQ(test, map.vecs[i].addr, phys_to_dma(dev, cur.phys));
		KUNIT_EXPECT_EQ(test, map.vecs[i].len, cur.len);
		total += map.vecs[i].len;
		i++;
	}
	KUNIT_EXPECT_EQ(test, total, phyr_len(&phyr));
	KUNIT_EXPECT_EQ(test, phyr_dma_len(&map), phyr_len(&phyr));

	phyr_dma_sync_for_cpu(&map);
	phyr_dma_sync_for_device(&map);
	phyr_dma_unmap(&map);
	KUNIT_EXPECT_NULL(test, map.vecs);
	KUNIT_EXPECT_EQ(test, map.nr_vecs, 0);
	phyr_destroy(&phyr);
	free_pages_array(pages, 8);
}

/* A device with a 32-bit mask still gets every range (swiotlb bounces if needed). */
static void phyr_dma_test_direct_one_range(struct kunit *test)
{
	struct device *dev = plain_device(test);
	struct page *page = alloc_pages(GFP_KERNEL, 2);
	struct phyr_dma map;
	struct phyr phyr;

	KUNIT_ASSERT_NOT_NULL(test, page);
	phyr_init(&phyr, GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, phyr_append(&phyr, page_to_phys(page), 4 * PAGE_SIZE, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_dma_map(&map, &phyr, dev, DMA_TO_DEVICE, 0), 0);
	KUNIT_EXPECT_EQ(test, map.nr_vecs, 1U);
	KUNIT_EXPECT_PTR_EQ(test, map.vecs, &map.vec);
	KUNIT_EXPECT_EQ(test, map.vecs[0].len, 4 * PAGE_SIZE);
	phyr_dma_unmap(&map);
	phyr_destroy(&phyr);
	__free_pages(page, 2);
}

/* phyr_dma_best_pgsz() on hand-made dma_vec lists. */
static void phyr_dma_test_best_pgsz(struct kunit *test)
{
	struct dma_vec vecs[3];
	struct phyr_dma map = { .vecs = vecs };
	struct phyr phyr;
	unsigned long all = SZ_4K | SZ_2M | SZ_1G;

	phyr_init(&phyr, GFP_KERNEL);
	map.phyr = &phyr;

	/* one 4 MiB range, 2 MiB aligned on both sides */
	KUNIT_ASSERT_EQ(test, phyr_append(&phyr, SZ_1G + SZ_2M, SZ_4M, 0), 0);
	vecs[0] = (struct dma_vec){ .addr = SZ_1G + SZ_2M, .len = SZ_4M };
	map.nr_vecs = 1;
	KUNIT_EXPECT_EQ(test, phyr_dma_best_pgsz(&map, all, 0), SZ_2M);
	/* the same at an IOVA with a different offset in a 2 MiB page */
	KUNIT_EXPECT_EQ(test, phyr_dma_best_pgsz(&map, all, SZ_4K), SZ_4K);
	/* a device without 4 KiB pages cannot map that */
	KUNIT_EXPECT_EQ(test, phyr_dma_best_pgsz(&map, SZ_2M, SZ_4K), 0UL);
	/* pages below PAGE_SIZE count, as for ib_umem_find_best_pgsz() */
	KUNIT_EXPECT_EQ(test, phyr_dma_best_pgsz(&map, SZ_1K, 0), SZ_1K);

	/* two ranges: the first ends on 4 KiB only */
	phyr_destroy(&phyr);
	phyr_init(&phyr, GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, phyr_append(&phyr, SZ_1G, SZ_2M + SZ_4K, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_append(&phyr, 2ULL * SZ_1G, SZ_2M, 0), 0);
	vecs[0] = (struct dma_vec){ .addr = SZ_1G, .len = SZ_2M + SZ_4K };
	vecs[1] = (struct dma_vec){ .addr = 2ULL * SZ_1G, .len = SZ_2M };
	map.nr_vecs = 2;
	KUNIT_EXPECT_EQ(test, phyr_dma_best_pgsz(&map, all, 0), SZ_4K);
	/* two entries contiguous in DMA space are one: nothing to align */
	vecs[0] = (struct dma_vec){ .addr = SZ_1G + SZ_2M, .len = SZ_2M + SZ_4K };
	vecs[1] = (struct dma_vec){ .addr = SZ_1G + SZ_4M + SZ_4K, .len = SZ_2M };
	KUNIT_EXPECT_EQ(test, phyr_dma_best_pgsz(&map, all, 0), SZ_2M);

	/*
	 * As ib_umem_find_best_pgsz(): an 8 KiB buffer at a 2 MiB-aligned IOVA
	 * and address takes one 2 MiB page (the smallest supported page that
	 * covers it whole), not a page capped at its span; without 2 MiB pages,
	 * the 1 GiB page that covers it.
	 */
	phyr_destroy(&phyr);
	phyr_init(&phyr, GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, phyr_append(&phyr, SZ_1G + SZ_2M, SZ_8K, 0), 0);
	vecs[0] = (struct dma_vec){ .addr = SZ_1G + SZ_2M, .len = SZ_8K };
	map.nr_vecs = 1;
	KUNIT_EXPECT_EQ(test, phyr_dma_best_pgsz(&map, all, SZ_2M), SZ_2M);
	KUNIT_EXPECT_EQ(test, phyr_dma_best_pgsz(&map, SZ_4K | SZ_1G, SZ_2M), SZ_1G);
	phyr_destroy(&phyr);
}

/* DMA-only sg_table: one entry per dma_vec, no pages, split above 4 GiB. */
static void phyr_dma_test_to_sgt(struct kunit *test)
{
	struct device *dev = plain_device(test);
	struct page **pages = alloc_pages_kunit(test, 6);
	struct dma_vec vecs[2];
	struct phyr_dma map, fake = { .vecs = vecs, .nr_vecs = 2 };
	struct scatterlist *sg;
	struct sg_table sgt;
	struct phyr phyr;
	unsigned int i;

	phyr_init(&phyr, GFP_KERNEL);
	for (i = 0; i < 6; i += 2)
		KUNIT_ASSERT_EQ(test, phyr_append(&phyr, page_to_phys(pages[i]), PAGE_SIZE, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_dma_map(&map, &phyr, dev, DMA_TO_DEVICE, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_dma_to_sgt(&map, &sgt, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, sgt.nents, map.nr_vecs);
	KUNIT_EXPECT_EQ(test, sgt.orig_nents, 0U);
	for_each_sgtable_dma_sg(&sgt, sg, i) {
		KUNIT_EXPECT_NULL(test, sg_page(sg));
		KUNIT_EXPECT_EQ(test, sg_dma_address(sg), map.vecs[i].addr);
		KUNIT_EXPECT_EQ(test, sg_dma_len(sg), map.vecs[i].len);
	}
	phyr_dma_free_sgt(&sgt);
	KUNIT_EXPECT_NULL(test, sgt.sgl);
	phyr_dma_unmap(&map);
	phyr_destroy(&phyr);
	free_pages_array(pages, 6);

	/* a 5 GiB dma_vec takes two entries, the first as long as an entry can be */
	vecs[0] = (struct dma_vec){ .addr = SZ_4G, .len = 5ULL * SZ_1G };
	vecs[1] = (struct dma_vec){ .addr = SZ_1G, .len = SZ_4K };
	KUNIT_ASSERT_EQ(test, phyr_dma_to_sgt(&fake, &sgt, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, sgt.nents, 3U);
	sg = sgt.sgl;
	KUNIT_EXPECT_EQ(test, sg_dma_len(sg), ALIGN_DOWN(UINT_MAX, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, sg_dma_address(sg_next(sg)),
			SZ_4G + ALIGN_DOWN(UINT_MAX, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, (u64)sg_dma_len(sg) + sg_dma_len(sg_next(sg)), 5ULL * SZ_1G);
	KUNIT_EXPECT_EQ(test, sg_dma_address(sg_next(sg_next(sg))), SZ_1G);
	phyr_dma_free_sgt(&sgt);

	fake.nr_vecs = 0;
	KUNIT_EXPECT_EQ(test, phyr_dma_to_sgt(&fake, &sgt, GFP_KERNEL), -EINVAL);
}

/* --- edu: a real PCI device behind the emulated IOMMU ----------------------- */

static u8 test_byte(unsigned int page, unsigned int off)
{
	return (u8)(page * 67 + off * 13 + 5);
}

/*
 * Behind the IOMMU, four discontiguous pages link into ONE dma_vec; edu copies
 * 3000 bytes that start in the middle of the second page (so they cross into
 * the third) to its buffer and back into a second phyr_dma mapping of one
 * page: the bytes that arrive are the bytes of the right physical pages.
 */
static void phyr_dma_test_edu_round_trip(struct kunit *test)
{
	struct phyr_kunit_edu *edu = phyr_kunit_edu_get(test);
	struct page **pages = alloc_pages_kunit(test, 4);
	struct page *dst = alloc_page(GFP_KERNEL | __GFP_ZERO);
	const u32 start = PAGE_SIZE + 2500, len = 3000;
	struct phyr_dma map, out;
	struct phyr phyr, dphyr;
	unsigned int i, bad = 0;
	u8 *va;

	KUNIT_ASSERT_NOT_NULL(test, dst);
	for (i = 0; i < 4; i++) {
		unsigned int off;

		va = page_address(pages[i]);
		for (off = 0; off < PAGE_SIZE; off++)
			va[off] = test_byte(i, off);
	}

	phyr_init(&phyr, GFP_KERNEL);
	phyr_init(&dphyr, GFP_KERNEL);
	for (i = 0; i < 4; i++)
		KUNIT_ASSERT_EQ(test, phyr_append(&phyr, page_to_phys(pages[i]), PAGE_SIZE, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_append(&dphyr, page_to_phys(dst), PAGE_SIZE, 0), 0);

	KUNIT_ASSERT_EQ(test, phyr_dma_map(&map, &phyr, &edu->pdev->dev, DMA_TO_DEVICE, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_dma_map(&out, &dphyr, &edu->pdev->dev, DMA_FROM_DEVICE, 0), 0);
	if (phyr_kunit_edu_translated(edu)) {
		/* the IOMMU case: exactly one dma_vec for the whole buffer */
		KUNIT_EXPECT_EQ(test, map.nr_vecs, 1U);
		KUNIT_EXPECT_EQ(test, map.vecs[0].len, 4 * PAGE_SIZE);
	} else {
		KUNIT_EXPECT_EQ(test, map.nr_vecs, phyr_nr_ranges(&phyr));
	}

	/*
	 * edu reads bytes @start..@start + @len of the buffer into its own buffer:
	 * one transfer from the one IOVA range behind a translating IOMMU, one
	 * per range touched without translation (an identity domain).
	 */
	{
		unsigned int transfers = 0;
		u64 pos = 0;
		u32 done = 0;

		phyr_dma_sync_for_device(&map);
		for (i = 0; i < map.nr_vecs && done < len; pos += map.vecs[i].len, i++) {
			u64 from = max_t(u64, start + done, pos);
			u64 to = min_t(u64, start + len, pos + map.vecs[i].len);

			if (from >= to)
				continue;
			dma_addr_t addr = map.vecs[i].addr + (from - pos);

			KUNIT_ASSERT_EQ(test, phyr_kunit_edu_dma(edu, addr, from - start,
								 to - from, false), 0);
			done += to - from;
			transfers++;
		}
		KUNIT_ASSERT_EQ(test, done, len);
		kunit_info(test, "edu read %u bytes in %u transfer(s), IOMMU %s\n", len,
			   transfers, phyr_kunit_edu_translated(edu) ?
			   "translating" : "not translating (identity)");
	}
	KUNIT_ASSERT_EQ(test, phyr_kunit_edu_dma(edu, out.vecs[0].addr + 100, 0, len, true), 0);
	phyr_dma_sync_for_cpu(&out);

	va = page_address(dst);
	for (i = 0; i < len; i++) {
		u32 pos = start + i;

		bad += va[100 + i] != test_byte(pos / PAGE_SIZE, pos % PAGE_SIZE);
	}
	KUNIT_EXPECT_EQ(test, bad, 0U);
	/* nothing before or after the transfer was touched */
	KUNIT_EXPECT_EQ(test, va[99], 0);
	KUNIT_EXPECT_EQ(test, va[100 + len], 0);

	phyr_dma_unmap(&out);
	phyr_dma_unmap(&map);
	phyr_destroy(&dphyr);
	phyr_destroy(&phyr);
	__free_page(dst);
	free_pages_array(pages, 4);
}

/*
 * Many single-page ranges behind the IOMMU: one dma_vec, IOVA-contiguous, and
 * the pages land where the vec says (edu reads the last bytes of page 63 and
 * the first of page 64 of a 128-page list).
 */
static void phyr_dma_test_edu_many_ranges(struct kunit *test)
{
	struct phyr_kunit_edu *edu = phyr_kunit_edu_get(test);
	const unsigned int nr = 128, len = 2048;
	struct page **pages = alloc_pages_kunit(test, nr);
	struct page *dst = alloc_page(GFP_KERNEL | __GFP_ZERO);
	struct phyr_dma map, out;
	struct phyr phyr, dphyr;
	unsigned int i, bad = 0;
	u8 *va;

	KUNIT_ASSERT_NOT_NULL(test, dst);
	if (!phyr_kunit_edu_translated(edu))
		kunit_skip(test, "edu is not behind a translating IOMMU domain");
	phyr_init(&phyr, GFP_KERNEL);
	phyr_init(&dphyr, GFP_KERNEL);
	for (i = 0; i < nr; i++) {
		memset(page_address(pages[i]), i, PAGE_SIZE);
		KUNIT_ASSERT_EQ(test, phyr_append(&phyr, page_to_phys(pages[i]), PAGE_SIZE, 0), 0);
	}
	KUNIT_ASSERT_EQ(test, phyr_append(&dphyr, page_to_phys(dst), PAGE_SIZE, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_dma_map(&map, &phyr, &edu->pdev->dev, DMA_TO_DEVICE, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_dma_map(&out, &dphyr, &edu->pdev->dev, DMA_FROM_DEVICE, 0), 0);
	KUNIT_EXPECT_EQ(test, map.nr_vecs, 1U);
	KUNIT_EXPECT_EQ(test, map.vecs[0].len, (size_t)nr * PAGE_SIZE);

	KUNIT_ASSERT_EQ(test, phyr_kunit_edu_dma(edu,
						 map.vecs[0].addr + 64 * PAGE_SIZE - len / 2,
						 0, len, false), 0);
	KUNIT_ASSERT_EQ(test, phyr_kunit_edu_dma(edu, out.vecs[0].addr, 0, len, true), 0);
	phyr_dma_sync_for_cpu(&out);
	va = page_address(dst);
	for (i = 0; i < len; i++)
		bad += va[i] != (i < len / 2 ? 63 : 64);
	KUNIT_EXPECT_EQ(test, bad, 0U);

	phyr_dma_unmap(&out);
	phyr_dma_unmap(&map);
	phyr_destroy(&dphyr);
	phyr_destroy(&phyr);
	__free_page(dst);
	free_pages_array(pages, nr);
}

/* A range that starts off an IOMMU granule after the first: one vec per range. */
static void phyr_dma_test_edu_unaligned(struct kunit *test)
{
	struct phyr_kunit_edu *edu = phyr_kunit_edu_get(test);
	struct page **pages = alloc_pages_kunit(test, 2);
	struct phyr_dma map;
	struct phyr phyr;

	if (!phyr_kunit_edu_translated(edu))
		kunit_skip(test, "edu is not behind a translating IOMMU domain");
	phyr_init(&phyr, GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, phyr_append(&phyr, page_to_phys(pages[0]), PAGE_SIZE, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_append(&phyr, page_to_phys(pages[1]) + 512, 1024, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_dma_map(&map, &phyr, &edu->pdev->dev, DMA_TO_DEVICE, 0), 0);
	KUNIT_EXPECT_EQ(test, map.nr_vecs, 2U);
	KUNIT_EXPECT_EQ(test, map.vecs[0].len, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, map.vecs[1].len, 1024UL);
	KUNIT_EXPECT_EQ(test, map.vecs[1].addr & (PAGE_SIZE - 1), 512ULL);
	phyr_dma_unmap(&map);
	phyr_destroy(&phyr);
	free_pages_array(pages, 2);
}

/*
 * P2P: ivshmem's BAR2 as the provider, edu as the client.  On q35's root bus
 * the host bridge is not on the P2P whitelist: pci_p2pdma_distance() refuses
 * and so must phyr_dma_map(), with -EREMOTEIO and nothing left mapped.  Behind
 * one PCIe switch the two can talk by bus address: one dma_vec holding the
 * BAR's bus address.  The provider lives in a devres group released at the
 * end, so that no resources stay on a device without a driver.
 */
static void phyr_dma_test_p2p(struct kunit *test)
{
	struct phyr_kunit_edu *edu = phyr_kunit_edu_get(test);
	struct p2pdma_provider *provider;
	struct device *client = &edu->pdev->dev;
	struct pci_dev *ivshmem;
	struct phyr_dma map;
	struct phyr phyr;
	int dist, ret;

	provider = phyr_kunit_ivshmem_provider(test, &ivshmem);

	phyr_init(&phyr, GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, phyr_append_mmio(&phyr, provider,
					       pci_resource_start(ivshmem, PHYR_KUNIT_IVSHMEM_BAR),
					       SZ_64K, PHYR_ATTR_WC), 0);
	dist = pci_p2pdma_distance(ivshmem, client, false);
	ret = phyr_dma_map(&map, &phyr, client, DMA_TO_DEVICE, 0);
	if (dist < 0) {
		KUNIT_EXPECT_EQ(test, ret, -EREMOTEIO);
		KUNIT_EXPECT_NULL(test, map.vecs);
	} else {
		KUNIT_EXPECT_EQ(test, ret, 0);
		if (!ret) {
			KUNIT_EXPECT_EQ(test, map.nr_vecs, 1U);
			if (pci_p2pdma_map_type(provider, client) == PCI_P2PDMA_MAP_BUS_ADDR)
				KUNIT_EXPECT_EQ(test, map.vecs[0].addr,
						pci_bus_address(ivshmem, PHYR_KUNIT_IVSHMEM_BAR));
			KUNIT_EXPECT_EQ(test, map.vecs[0].len, SZ_64K);
			phyr_dma_unmap(&map);
		}
	}
	kunit_info(test, "ivshmem -> edu P2P distance %d: map %d\n", dist, ret);
	phyr_destroy(&phyr);
}

static struct kunit_case phyr_dma_test_cases[] = {
	KUNIT_CASE(phyr_dma_test_empty),
	KUNIT_CASE(phyr_dma_test_bad_dir),
	KUNIT_CASE(phyr_dma_test_direct),
	KUNIT_CASE(phyr_dma_test_direct_one_range),
	KUNIT_CASE(phyr_dma_test_best_pgsz),
	KUNIT_CASE(phyr_dma_test_to_sgt),
	KUNIT_CASE(phyr_dma_test_edu_round_trip),
	KUNIT_CASE(phyr_dma_test_edu_many_ranges),
	KUNIT_CASE(phyr_dma_test_edu_unaligned),
	KUNIT_CASE(phyr_dma_test_p2p),
	{}
};

static struct kunit_suite phyr_dma_test_suite = {
	.name = "phyr_dma",
	.test_cases = phyr_dma_test_cases,
};

kunit_test_suite(phyr_dma_test_suite);
