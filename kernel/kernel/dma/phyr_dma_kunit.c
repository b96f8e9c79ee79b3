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
#include <kunit/static_stub.h>
#include <kunit/test.h>

#include <linux/delay.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/phyr_dma.h>
#include <linux/sizes.h>
#include <linux/swiotlb.h>

#include "phyr_dma_internal.h"

MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");

static struct device *plain_device(struct kunit *test)
{
	return phyr_kunit_dma_device(test, "phyr_dma_plain", 64);
}

/*
 * edu's device behind a translating IOMMU for a test that maps but does no
 * DMA (the test skips otherwise, before it allocates anything).
 */
static struct device *translated_edu(struct kunit *test)
{
	struct device *dev = phyr_kunit_edu_dev(test);

	if (!phyr_kunit_dev_translated(dev))
		kunit_skip(test, "edu is not behind a translating IOMMU domain");
	return dev;
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
	struct device *dev = translated_edu(test);
	struct phyr_kunit_edu *edu = phyr_kunit_edu_get(test);
	const unsigned int nr = 128, len = 2048;
	struct page **pages = alloc_pages_kunit(test, nr);
	struct page *dst = alloc_page(GFP_KERNEL | __GFP_ZERO);
	struct phyr_dma map, out;
	struct phyr phyr, dphyr;
	unsigned int i, bad = 0;
	u8 *va;

	KUNIT_ASSERT_NOT_NULL(test, dst);
	phyr_init(&phyr, GFP_KERNEL);
	phyr_init(&dphyr, GFP_KERNEL);
	for (i = 0; i < nr; i++) {
		memset(page_address(pages[i]), i, PAGE_SIZE);
		KUNIT_ASSERT_EQ(test, phyr_append(&phyr, page_to_phys(pages[i]), PAGE_SIZE, 0), 0);
	}
	KUNIT_ASSERT_EQ(test, phyr_append(&dphyr, page_to_phys(dst), PAGE_SIZE, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_dma_map(&map, &phyr, dev, DMA_TO_DEVICE, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_dma_map(&out, &dphyr, dev, DMA_FROM_DEVICE, 0), 0);
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
	struct device *dev = translated_edu(test);
	struct page **pages = alloc_pages_kunit(test, 2);
	struct phyr_dma map;
	struct phyr phyr;

	phyr_init(&phyr, GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, phyr_append(&phyr, page_to_phys(pages[0]), PAGE_SIZE, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_append(&phyr, page_to_phys(pages[1]) + 512, 1024, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_dma_map(&map, &phyr, dev, DMA_TO_DEVICE, 0), 0);
	KUNIT_EXPECT_EQ(test, map.nr_vecs, 2U);
	KUNIT_EXPECT_EQ(test, map.vecs[0].len, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, map.vecs[1].len, 1024UL);
	KUNIT_EXPECT_EQ(test, map.vecs[1].addr & (PAGE_SIZE - 1), 512ULL);
	phyr_dma_unmap(&map);
	phyr_destroy(&phyr);
	free_pages_array(pages, 2);
}

/* where the P2P test moves bytes: the last 64 KiB of ivshmem's BAR2 */
#define P2P_WINDOW	SZ_64K

struct p2p_window {
	void __iomem *va;
	u8 *saved;
};

static void p2p_window_restore(void *data)
{
	struct p2p_window *win = data;

	memcpy_toio(win->va, win->saved, P2P_WINDOW);
	iounmap(win->va);
	kvfree(win->saved);
}

/* The BAR window at @bar, its contents saved and restored when @test ends. */
static void __iomem *p2p_window_map(struct kunit *test, phys_addr_t bar)
{
	struct p2p_window *win = kunit_kzalloc(test, sizeof(*win), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, win);
	win->saved = kvmalloc(P2P_WINDOW, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, win->saved);
	win->va = ioremap(bar, P2P_WINDOW);
	if (!win->va) {
		kvfree(win->saved);
		KUNIT_FAIL_AND_ABORT(test, "cannot map ivshmem's BAR");
	}
	memcpy_fromio(win->saved, win->va, P2P_WINDOW);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, p2p_window_restore, win), 0);
	return win->va;
}

static u8 p2p_byte(unsigned int off)
{
	return (u8)(off * 29 + (off >> 12) + 11);
}

/*
 * edu moves bytes between the BAR window (@va for the CPU, @p2p its DMA
 * address for edu) and a page of RAM: BAR -> edu -> RAM, then RAM -> edu ->
 * BAR, each transfer crossing a page of the BAR; every byte moved is
 * checked, and the bytes next to them are untouched.
 */
static void p2p_move_bytes(struct kunit *test, struct phyr_kunit_edu *edu,
			   void __iomem *va, dma_addr_t p2p)
{
	const u32 rd = 2 * PAGE_SIZE - 1000, wr = 5 * PAGE_SIZE - 700, len = 3000;
	u8 *pat = kunit_kmalloc(test, P2P_WINDOW, GFP_KERNEL);
	struct device *dev = &edu->pdev->dev;
	unsigned int i, bad = 0;
	struct phyr_dma ram;
	struct page *page;
	struct phyr phyr;
	u8 *cpu;

	KUNIT_ASSERT_NOT_NULL(test, pat);
	for (i = 0; i < P2P_WINDOW; i++)
		pat[i] = p2p_byte(i);
	memcpy_toio(va, pat, P2P_WINDOW);
	/* the stores reach the BAR before edu reads it */
	wmb();

	page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, page);
	cpu = page_address(page);
	phyr_init(&phyr, GFP_KERNEL);
	if (phyr_append(&phyr, page_to_phys(page), PAGE_SIZE, 0) ||
	    phyr_dma_map(&ram, &phyr, dev, DMA_BIDIRECTIONAL, 0)) {
		KUNIT_FAIL(test, "cannot map a page of RAM for edu");
		goto out;
	}

	/* the device reads the BAR */
	KUNIT_EXPECT_EQ(test, phyr_kunit_edu_dma(edu, p2p + rd, 0, len, false), 0);
	KUNIT_EXPECT_EQ(test, phyr_kunit_edu_dma(edu, ram.vecs[0].addr + 100, 0, len, true), 0);
	phyr_dma_sync_for_cpu(&ram);
	for (i = 0; i < len; i++)
		bad += cpu[100 + i] != pat[rd + i];
	KUNIT_EXPECT_EQ_MSG(test, bad, 0U, "bytes edu read from the BAR");
	KUNIT_EXPECT_EQ(test, cpu[99], 0);
	KUNIT_EXPECT_EQ(test, cpu[100 + len], 0);

	/* the device writes the BAR */
	for (i = 0; i < PAGE_SIZE; i++)
		cpu[i] = ~p2p_byte(i + 7);
	phyr_dma_sync_for_device(&ram);
	KUNIT_EXPECT_EQ(test, phyr_kunit_edu_dma(edu, ram.vecs[0].addr, 0, len, false), 0);
	KUNIT_EXPECT_EQ(test, phyr_kunit_edu_dma(edu, p2p + wr, 0, len, true), 0);
	memcpy_fromio(pat, va, P2P_WINDOW);
	for (i = 0, bad = 0; i < len; i++)
		bad += pat[wr + i] != cpu[i];
	KUNIT_EXPECT_EQ_MSG(test, bad, 0U, "bytes edu wrote into the BAR");
	KUNIT_EXPECT_EQ(test, pat[wr - 1], p2p_byte(wr - 1));
	KUNIT_EXPECT_EQ(test, pat[wr + len], p2p_byte(wr + len));
	KUNIT_EXPECT_EQ(test, pat[rd], p2p_byte(rd));
	phyr_dma_unmap(&ram);
out:
	phyr_destroy(&phyr);
	__free_page(page);
}

/*
 * P2P: ivshmem's BAR2 as the provider, edu as the client, and what the booted
 * topology must give (phyr_kunit_p2p_expected()), not what the P2P core
 * computes -- which must agree:
 *
 * - root: the host bridge is not on the P2P whitelist: -EREMOTEIO, and
 *   nothing left mapped;
 * - switch: one dma_vec holding the BAR's bus address, nothing mapped;
 * - hostbridge: through the whitelisted host bridge, linked into edu's
 *   translating IOMMU domain with DMA_ATTR_MMIO: one dma_vec holding an IOVA
 *   that the domain maps to the BAR.
 *
 * Where P2P is allowed, edu's DMA engine reads and writes the BAR through
 * that dma_vec, byte-checked.  By bus address QEMU delivers edu's requests
 * only untranslated (its vIOMMU translates switch-local requests too): the
 * switch boot runs edu in an identity domain, and elsewhere that part skips.
 * The provider lives in a devres group released at the end, so that no
 * resources stay on a device without a driver.
 */
static void phyr_dma_test_p2p(struct kunit *test)
{
	enum pci_p2pdma_map_type want = phyr_kunit_p2p_expected(test, 0);
	struct phyr_kunit_edu *edu = phyr_kunit_edu_get(test);
	struct device *client = &edu->pdev->dev;
	bool translated = phyr_kunit_edu_translated(edu);
	struct p2pdma_provider *provider;
	struct pci_dev *ivshmem;
	bool skip_dma = false;
	struct phyr_dma map;
	void __iomem *va;
	struct phyr phyr;
	phys_addr_t bar;
	dma_addr_t bus;
	int ret;

	provider = phyr_kunit_ivshmem_provider(test, &ivshmem);
	bar = pci_resource_end(ivshmem, PHYR_KUNIT_IVSHMEM_BAR) + 1 - P2P_WINDOW;
	bus = pci_bus_address(ivshmem, PHYR_KUNIT_IVSHMEM_BAR) +
	      (bar - pci_resource_start(ivshmem, PHYR_KUNIT_IVSHMEM_BAR));
	KUNIT_EXPECT_EQ_MSG(test, pci_p2pdma_map_type(provider, client), want,
			    "the P2P core disagrees with the booted topology");
	if (want == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE)
		KUNIT_ASSERT_TRUE_MSG(test, translated,
				      "edu must sit in a translating IOMMU domain here");
	va = p2p_window_map(test, bar);

	phyr_init(&phyr, GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, phyr_append_mmio(&phyr, provider, bar, P2P_WINDOW,
					       PHYR_ATTR_WC), 0);
	ret = phyr_dma_map(&map, &phyr, client, DMA_BIDIRECTIONAL, 0);
	kunit_info(test, "ivshmem -> edu: %s expected, map %d, IOMMU %s\n",
		   want == PCI_P2PDMA_MAP_BUS_ADDR ? "bus address" :
		   want == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE ? "through the host bridge" :
		   "no P2P", ret, translated ? "translating" : "not translating");
	if (want == PCI_P2PDMA_MAP_NOT_SUPPORTED) {
		KUNIT_EXPECT_EQ(test, ret, -EREMOTEIO);
		KUNIT_EXPECT_NULL(test, map.vecs);
		if (!ret)
			phyr_dma_unmap(&map);
		phyr_destroy(&phyr);
		return;
	}
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, map.nr_vecs, 1U);
	KUNIT_EXPECT_EQ(test, map.vecs[0].len, P2P_WINDOW);
	if (want == PCI_P2PDMA_MAP_BUS_ADDR) {
		KUNIT_EXPECT_EQ(test, map.vecs[0].addr, bus);
		KUNIT_EXPECT_FALSE(test, map.use_iova);
		skip_dma = translated;
	} else {
		/* an IOVA (the IOVA space keeps clear of the host bridge's windows) */
		KUNIT_EXPECT_NE(test, map.vecs[0].addr, bus);
		KUNIT_EXPECT_TRUE(test, map.use_iova);
		KUNIT_EXPECT_TRUE(test, map.link_attrs & DMA_ATTR_MMIO);
		KUNIT_EXPECT_EQ(test, phyr_kunit_iova_to_phys(client, map.vecs[0].addr), bar);
		KUNIT_EXPECT_EQ(test, phyr_kunit_iova_to_phys(client, map.vecs[0].addr +
							      P2P_WINDOW - PAGE_SIZE),
				bar + P2P_WINDOW - PAGE_SIZE);
	}
	if (!skip_dma && map.nr_vecs == 1)
		p2p_move_bytes(test, edu, va, map.vecs[0].addr);
	phyr_dma_unmap(&map);
	phyr_destroy(&phyr);
	if (skip_dma)
		kunit_skip(test, "bus-address DMA needs edu in an identity domain: %s",
			   "QEMU's vIOMMU translates it");
}

/* --- watching and failing the DMA API calls of phyr_dma ------------------- */

/*
 * What phyr_dma asked of the DMA API, through the stub-able wrappers of
 * kernel/dma/phyr_dma.c: the stubs below call the real functions (unless told to
 * fail) and keep count of what is live, so that a test can check that
 * nothing stays mapped, linked or allocated.
 */
struct dma_watch {
	/* pci_p2pdma_map_type() answers: for fake_prov[i], answer[i % 2] */
	enum pci_p2pdma_map_type answer[2];
	unsigned int type_queries;
	/* live: IOVA ranges, linked bytes, dma_map_phys() mappings, arrays */
	long iovas;
	u64 linked;
	long maps;
	long allocs;
	/* dma_unmap_phys() calls, and those of them with DMA_ATTR_MMIO */
	unsigned int unmaps;
	unsigned int unmap_mmio;
	/* the largest size dma_iova_try_alloc() was asked for */
	u64 max_iova_size;
	bool refuse_iova;
	/* put fake_prov[1]'s bus address of fake_mmio(0) at the IOVA + this */
	bool collide;
	s64 collide_at;
	/* the call (counted from 0) that fails, -1 for none, and how */
	long fail_link, fail_map, fail_alloc;
	int link_err;
	bool fail_sync;
	long links, map_calls, alloc_calls;
};

#define NR_FAKE_PROV	6
/* P2P providers that no device backs: pci_p2pdma_map_type() is stubbed */
static struct p2pdma_provider fake_prov[NR_FAKE_PROV] = {
	[0 ... NR_FAKE_PROV - 1] = { .bus_offset = SZ_1T },
};

/*
 * A CPU physical address for the MMIO of the fake providers: above all RAM
 * (DMA-API debug refuses RAM mapped as MMIO), below what an IOMMU maps.
 */
static phys_addr_t fake_mmio(unsigned int i)
{
	return ALIGN(PFN_PHYS(max_pfn), SZ_1G) + SZ_1G + (phys_addr_t)i * SZ_1M;
}

static struct dma_watch *watch(void)
{
	return kunit_get_current_test()->priv;
}

static enum pci_p2pdma_map_type watch_map_type(struct p2pdma_provider *provider,
					       struct device *dev)
{
	struct dma_watch *w = watch();

	w->type_queries++;
	return w->answer[(provider - fake_prov) % 2];
}

static bool watch_iova_try_alloc(struct device *dev, struct dma_iova_state *state,
				 phys_addr_t phys, size_t size)
{
	struct dma_watch *w = watch();

	w->max_iova_size = max_t(u64, w->max_iova_size, size);
	if (w->refuse_iova) {
		memset(state, 0, sizeof(*state));
		return false;
	}
	if (!dma_iova_try_alloc(dev, state, phys, size))
		return false;
	w->iovas++;
	if (w->collide)
		fake_prov[1].bus_offset = state->addr + w->collide_at - fake_mmio(0);
	return true;
}

static void watch_iova_free(struct device *dev, struct dma_iova_state *state)
{
	watch()->iovas--;
	dma_iova_free(dev, state);
}

static int watch_iova_link(struct device *dev, struct dma_iova_state *state,
			   phys_addr_t phys, size_t offset, size_t size,
			   enum dma_data_direction dir, unsigned long attrs)
{
	struct dma_watch *w = watch();
	int ret;

	if (w->links++ == w->fail_link)
		return w->link_err;
	ret = dma_iova_link(dev, state, phys, offset, size, dir, attrs);
	if (!ret)
		w->linked += size;
	return ret;
}

/* A list link counts as one link per range: a failure of any fails the list. */
static int watch_iova_link_vecs(struct device *dev, struct dma_iova_state *state,
				size_t offset, const struct phys_vec *vecs,
				unsigned int nr_vecs, enum dma_data_direction dir,
				unsigned long attrs)
{
	struct dma_watch *w = watch();
	unsigned int i;
	int ret;

	if (w->fail_link >= w->links && w->fail_link < w->links + nr_vecs) {
		w->links += nr_vecs;
		return w->link_err;
	}
	w->links += nr_vecs;
	ret = dma_iova_link_phys_vec(dev, state, offset, vecs, nr_vecs, dir, attrs);
	for (i = 0; !ret && i < nr_vecs; i++)
		w->linked += vecs[i].len;
	return ret;
}

static void watch_iova_unlink(struct device *dev, struct dma_iova_state *state,
			      size_t offset, size_t size,
			      enum dma_data_direction dir, unsigned long attrs)
{
	watch()->linked -= size;
	dma_iova_unlink(dev, state, offset, size, dir, attrs);
}

static int watch_iova_sync(struct device *dev, struct dma_iova_state *state,
			   size_t offset, size_t size)
{
	if (watch()->fail_sync)
		return -EIO;
	return dma_iova_sync(dev, state, offset, size);
}

static dma_addr_t watch_map_phys(struct device *dev, phys_addr_t phys,
				 size_t size, enum dma_data_direction dir,
				 unsigned long attrs)
{
	struct dma_watch *w = watch();
	dma_addr_t addr;

	if (w->map_calls++ == w->fail_map)
		return DMA_MAPPING_ERROR;
	addr = dma_map_phys(dev, phys, size, dir, attrs);
	if (!dma_mapping_error(dev, addr))
		w->maps++;
	return addr;
}

static void watch_unmap_phys(struct device *dev, dma_addr_t addr, size_t size,
			     enum dma_data_direction dir, unsigned long attrs)
{
	struct dma_watch *w = watch();

	w->maps--;
	w->unmaps++;
	if (attrs & DMA_ATTR_MMIO)
		w->unmap_mmio++;
	dma_unmap_phys(dev, addr, size, dir, attrs);
}

static void *watch_alloc(size_t n, size_t size)
{
	struct dma_watch *w = watch();
	void *p;

	if (w->alloc_calls++ == w->fail_alloc)
		return NULL;
	p = kvcalloc(n, size, GFP_KERNEL);
	if (p)
		w->allocs++;
	return p;
}

static void watch_free(void *p)
{
	if (p)
		watch()->allocs--;
	kvfree(p);
}

static struct dma_watch *watch_start(struct kunit *test)
{
	struct dma_watch *w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, w);
	w->answer[0] = PCI_P2PDMA_MAP_THRU_HOST_BRIDGE;
	w->answer[1] = PCI_P2PDMA_MAP_THRU_HOST_BRIDGE;
	w->fail_link = -1;
	w->fail_map = -1;
	w->fail_alloc = -1;
	test->priv = w;
	kunit_activate_static_stub(test, phyr_dma_map_type, watch_map_type);
	kunit_activate_static_stub(test, phyr_dma_iova_try_alloc, watch_iova_try_alloc);
	kunit_activate_static_stub(test, phyr_dma_iova_free, watch_iova_free);
	kunit_activate_static_stub(test, phyr_dma_iova_link, watch_iova_link);
	kunit_activate_static_stub(test, phyr_dma_iova_link_vecs, watch_iova_link_vecs);
	kunit_activate_static_stub(test, phyr_dma_iova_unlink, watch_iova_unlink);
	kunit_activate_static_stub(test, phyr_dma_iova_sync, watch_iova_sync);
	kunit_activate_static_stub(test, phyr_dma_map_phys, watch_map_phys);
	kunit_activate_static_stub(test, phyr_dma_unmap_phys, watch_unmap_phys);
	kunit_activate_static_stub(test, phyr_dma_alloc, watch_alloc);
	kunit_activate_static_stub(test, phyr_dma_free, watch_free);
	return w;
}

/* Arm one failure (or none, with all -1) and reset the call counts. */
static void watch_arm(struct dma_watch *w, long link, int link_err, long map,
		      long alloc, bool sync)
{
	w->fail_link = link;
	w->link_err = link_err;
	w->fail_map = map;
	w->fail_alloc = alloc;
	w->fail_sync = sync;
	w->links = 0;
	w->map_calls = 0;
	w->alloc_calls = 0;
}

/* Nothing of a failed (or unmapped) mapping is left. */
static void expect_nothing_left(struct kunit *test, const struct dma_watch *w,
				const struct phyr_dma *map)
{
	KUNIT_EXPECT_EQ(test, w->iovas, 0);
	KUNIT_EXPECT_EQ(test, w->linked, 0);
	KUNIT_EXPECT_EQ(test, w->maps, 0);
	KUNIT_EXPECT_EQ(test, w->allocs, 0);
	KUNIT_EXPECT_NULL(test, map->vecs);
	KUNIT_EXPECT_EQ(test, map->nr_vecs, 0);
}

/*
 * The P2P kind of a range is decided when it is mapped: a provider whose
 * answer changes afterwards (its device unbound, say) changes nothing that
 * unmapping or syncing does, and neither asks pci_p2pdma_map_type() again.
 * MMIO ranges are unmapped with DMA_ATTR_MMIO; bus-address ranges, never
 * mapped, are never unmapped.  Six providers, half of them MMIO and half
 * bus address, between RAM ranges.
 */
static void phyr_dma_test_p2p_kind_recorded(struct kunit *test)
{
	struct device *dev = plain_device(test);
	struct page **pages = alloc_pages_kunit(test, 2 * NR_FAKE_PROV);
	struct dma_watch *w = watch_start(test);
	unsigned int i, queries, pass;
	struct phyr_dma map;
	struct phyr phyr;

	phyr_init(&phyr, GFP_KERNEL);
	for (i = 0; i < 2 * NR_FAKE_PROV; i++) {
		/* a page every other time, so that no two ranges coalesce */
		if (!(i % 2))
			KUNIT_ASSERT_EQ(test, phyr_append(&phyr, page_to_phys(pages[i]),
							  PAGE_SIZE, 0), 0);
		KUNIT_ASSERT_EQ(test, phyr_append_mmio(&phyr, &fake_prov[i % NR_FAKE_PROV],
						       fake_mmio(i), SZ_64K, 0), 0);
	}
	KUNIT_ASSERT_EQ(test, phyr_nr_ranges(&phyr), 3UL * NR_FAKE_PROV);

	for (pass = 0; pass < 2; pass++) {
		/* first with fake_prov[even] MMIO and [odd] bus address, then the other way */
		w->answer[0] = pass ? PCI_P2PDMA_MAP_BUS_ADDR : PCI_P2PDMA_MAP_THRU_HOST_BRIDGE;
		w->answer[1] = pass ? PCI_P2PDMA_MAP_THRU_HOST_BRIDGE : PCI_P2PDMA_MAP_BUS_ADDR;
		w->type_queries = 0;
		w->unmaps = 0;
		w->unmap_mmio = 0;
		KUNIT_ASSERT_EQ(test, phyr_dma_map(&map, &phyr, dev, DMA_TO_DEVICE, 0), 0);
		KUNIT_EXPECT_EQ(test, map.nr_vecs, 3U * NR_FAKE_PROV);
		KUNIT_EXPECT_GE(test, w->type_queries, NR_FAKE_PROV);
		/* RAM and MMIO ranges are mapped, bus-address ranges not */
		KUNIT_EXPECT_EQ(test, w->maps, 2 * NR_FAKE_PROV);
		for (i = 0; i < 2 * NR_FAKE_PROV; i++) {
			/* range 3k + 1 is fake_prov[2k], 3k + 2 fake_prov[2k + 1] */
			unsigned int r = 3 * (i / 2) + 1 + i % 2;
			bool bus = w->answer[i % NR_FAKE_PROV % 2] == PCI_P2PDMA_MAP_BUS_ADDR;

			KUNIT_EXPECT_EQ(test, map.vecs[r].len, SZ_64K);
			if (bus)
				KUNIT_EXPECT_EQ(test, map.vecs[r].addr, fake_mmio(i) + SZ_1T);
		}

		/* every provider now answers what half of them did not */
		queries = w->type_queries;
		w->answer[0] = pass ? PCI_P2PDMA_MAP_THRU_HOST_BRIDGE : PCI_P2PDMA_MAP_BUS_ADDR;
		w->answer[1] = w->answer[0];
		phyr_dma_sync_for_cpu(&map);
		phyr_dma_sync_for_device(&map);
		phyr_dma_unmap(&map);
		KUNIT_EXPECT_EQ(test, w->type_queries, queries);
		KUNIT_EXPECT_EQ(test, w->unmaps, 2U * NR_FAKE_PROV);
		KUNIT_EXPECT_EQ(test, w->unmap_mmio, NR_FAKE_PROV);
		expect_nothing_left(test, w, &map);
	}
	phyr_destroy(&phyr);
	free_pages_array(pages, 2 * NR_FAKE_PROV);
}

/* @nr discontiguous RAM pages, after a fake MMIO range if @mmio_first. */
static void build_phyr(struct kunit *test, struct phyr *phyr, struct page **pages,
		       unsigned int nr, bool mmio_first)
{
	unsigned int i;

	phyr_init(phyr, GFP_KERNEL);
	if (mmio_first)
		KUNIT_ASSERT_EQ(test, phyr_append_mmio(phyr, &fake_prov[0], fake_mmio(0),
						       SZ_64K, 0), 0);
	for (i = 0; i < nr; i++)
		KUNIT_ASSERT_EQ(test, phyr_append(phyr, page_to_phys(pages[2 * i]),
						  PAGE_SIZE, 0), 0);
}

/*
 * Failures part-way through phyr_dma_map(): a link failing at the first, a
 * middle and the last range, in the one-pass link of RAM (all RAM, linked
 * in batches: the failing range fails its whole batch, here all four) and in
 * the planned link (an MMIO range first, linked range by range), and
 * dma_iova_sync() failing: the error comes back and nothing stays linked,
 * reserved or allocated.
 */
static void phyr_dma_test_edu_fail_link(struct kunit *test)
{
	struct device *dev = translated_edu(test);
	struct page **pages = alloc_pages_kunit(test, 8);
	static const long at[] = { 0, 2, 3 };
	struct dma_watch *w = watch_start(test);
	struct phyr_dma map;
	struct phyr phyr;
	unsigned int i;
	int mmio;

	for (mmio = 0; mmio < 2; mmio++) {
		/* four ranges either way */
		build_phyr(test, &phyr, pages, mmio ? 3 : 4, mmio);
		for (i = 0; i < ARRAY_SIZE(at); i++) {
			watch_arm(w, at[i], -ENOMEM, -1, -1, false);
			KUNIT_EXPECT_EQ(test, phyr_dma_map(&map, &phyr, dev, DMA_TO_DEVICE, 0),
					-ENOMEM);
			KUNIT_EXPECT_EQ(test, w->links, mmio ? at[i] + 1 : 4);
			expect_nothing_left(test, w, &map);
		}
		watch_arm(w, -1, 0, -1, -1, true);
		KUNIT_EXPECT_EQ(test, phyr_dma_map(&map, &phyr, dev, DMA_TO_DEVICE, 0), -EIO);
		KUNIT_EXPECT_EQ(test, w->links, 4);
		expect_nothing_left(test, w, &map);

		/* and without a failure, all of it */
		watch_arm(w, -1, 0, -1, -1, false);
		KUNIT_ASSERT_EQ(test, phyr_dma_map(&map, &phyr, dev, DMA_TO_DEVICE, 0), 0);
		KUNIT_EXPECT_EQ(test, w->linked, phyr_len(&phyr));
		KUNIT_EXPECT_EQ(test, map.nr_vecs, 1U);
		phyr_dma_unmap(&map);
		expect_nothing_left(test, w, &map);
		phyr_destroy(&phyr);
	}
	free_pages_array(pages, 8);
}

/* ranges per link call of a long phyr: 32 KiB of struct phys_vec */
#define LINK_BATCH	(SZ_32K / sizeof(struct phys_vec))

/*
 * The one-pass link of many RAM ranges goes in batches, each one IOMMU page
 * table walk: 32 KiB of them, or 32 (on the stack) where those cannot be
 * had.  A failure in the second batch undoes the first, which was linked;
 * without a failure every page is where its range says.
 */
static void phyr_dma_test_edu_fail_batch(struct kunit *test)
{
	const unsigned int n = LINK_BATCH + 44;
	struct device *dev = translated_edu(test);
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);
	struct page **pages = alloc_pages_kunit(test, 2 * n);
	const long at[] = { 0, LINK_BATCH - 1, LINK_BATCH, n - 1 };
	static const long at_stack[] = { 0, 31, 32, 63 };
	struct dma_watch *w = watch_start(test);
	struct phyr_dma map;
	struct phyr phyr;
	unsigned int i;

	build_phyr(test, &phyr, pages, n, false);
	KUNIT_ASSERT_EQ(test, phyr_nr_ranges(&phyr), (unsigned long)n);
	for (i = 0; i < ARRAY_SIZE(at); i++) {
		watch_arm(w, at[i], -ENOMEM, -1, -1, false);
		KUNIT_EXPECT_EQ(test, phyr_dma_map(&map, &phyr, dev, DMA_TO_DEVICE, 0),
				-ENOMEM);
		KUNIT_EXPECT_EQ(test, w->links, at[i] < LINK_BATCH ? LINK_BATCH : n);
		expect_nothing_left(test, w, &map);
	}
	/* no page for the batch: batches of 32 */
	for (i = 0; i < ARRAY_SIZE(at_stack); i++) {
		watch_arm(w, at_stack[i], -ENOMEM, -1, 0, false);
		KUNIT_EXPECT_EQ(test, phyr_dma_map(&map, &phyr, dev, DMA_TO_DEVICE, 0),
				-ENOMEM);
		KUNIT_EXPECT_EQ(test, w->links, at_stack[i] < 32 ? 32 : 64);
		expect_nothing_left(test, w, &map);
	}
	watch_arm(w, -1, 0, -1, 0, false);
	KUNIT_ASSERT_EQ(test, phyr_dma_map(&map, &phyr, dev, DMA_TO_DEVICE, 0), 0);
	KUNIT_EXPECT_EQ(test, w->links, (long)n);
	phyr_dma_unmap(&map);
	expect_nothing_left(test, w, &map);

	watch_arm(w, -1, 0, -1, -1, false);
	KUNIT_ASSERT_EQ(test, phyr_dma_map(&map, &phyr, dev, DMA_TO_DEVICE, 0), 0);
	KUNIT_EXPECT_EQ(test, map.nr_vecs, 1U);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, map.vecs[0].addr +
							 (dma_addr_t)i * PAGE_SIZE),
				page_to_phys(pages[2 * i]));
	phyr_dma_unmap(&map);
	expect_nothing_left(test, w, &map);
	phyr_destroy(&phyr);
	free_pages_array(pages, 2 * n);
}

/*
 * Where dma_iova_link() refuses a range that it could only link with a
 * bounce buffer or on a non-coherent device (-EPERM, -EOPNOTSUPP with
 * DMA_ATTR_REQUIRE_COHERENT), phyr_dma_map() maps the whole phyr range by
 * range instead: one dma_vec per range, each translated by the IOMMU to its
 * own page.  A dma_map_phys() failing there is undone like any other.
 */
static void phyr_dma_test_edu_link_refused(struct kunit *test)
{
	struct device *dev = translated_edu(test);
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);
	struct page **pages = alloc_pages_kunit(test, 8);
	static const int errs[] = { -EPERM, -EOPNOTSUPP };
	struct dma_watch *w = watch_start(test);
	static const long at[] = { 0, 2, 3 };
	unsigned int n, j, first;
	struct phyr_dma map;
	struct phyr phyr;
	int mmio;

	for (mmio = 0; mmio < 2; mmio++) {
		build_phyr(test, &phyr, pages, mmio ? 3 : 4, mmio);
		/* the RAM pages are ranges first..3 */
		first = mmio;
		for (n = 0; n < ARRAY_SIZE(errs) * ARRAY_SIZE(at); n++) {
			watch_arm(w, at[n % ARRAY_SIZE(at)], errs[n / ARRAY_SIZE(at)], -1, -1,
				  false);
			KUNIT_ASSERT_EQ(test, phyr_dma_map(&map, &phyr, dev, DMA_TO_DEVICE, 0), 0);
			KUNIT_EXPECT_EQ(test, map.nr_vecs, 4U);
			KUNIT_EXPECT_EQ(test, w->iovas, 0);
			KUNIT_EXPECT_EQ(test, w->linked, 0);
			KUNIT_EXPECT_EQ(test, w->maps, 4);
			for (j = first; j < 4; j++)
				KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, map.vecs[j].addr),
						page_to_phys(pages[2 * (j - first)]));
			phyr_dma_unmap(&map);
			expect_nothing_left(test, w, &map);
		}
		/* refused, then the range-by-range mapping fails at range 2 */
		watch_arm(w, 0, -EPERM, 2, -1, false);
		KUNIT_EXPECT_EQ(test, phyr_dma_map(&map, &phyr, dev, DMA_TO_DEVICE, 0), -ENOMEM);
		expect_nothing_left(test, w, &map);
		phyr_destroy(&phyr);
	}
	free_pages_array(pages, 8);
}

/*
 * Range by range (no IOMMU): dma_map_phys() failing at the first, a middle
 * or the last range, and the dma_vec array or the table of providers not
 * allocated: the error comes back, nothing stays mapped or allocated.
 */
static void phyr_dma_test_fail_map_phys(struct kunit *test)
{
	struct device *dev = plain_device(test);
	struct page **pages = alloc_pages_kunit(test, 8);
	static const long at[] = { 0, 2, 3 };
	struct dma_watch *w = watch_start(test);
	struct phyr_dma map;
	struct phyr phyr;
	unsigned int i;

	build_phyr(test, &phyr, pages, 4, false);
	for (i = 0; i < ARRAY_SIZE(at); i++) {
		watch_arm(w, -1, 0, at[i], -1, false);
		KUNIT_EXPECT_EQ(test, phyr_dma_map(&map, &phyr, dev, DMA_TO_DEVICE, 0), -ENOMEM);
		KUNIT_EXPECT_EQ(test, w->map_calls, at[i] + 1);
		expect_nothing_left(test, w, &map);
	}
	watch_arm(w, -1, 0, -1, 0, false);
	KUNIT_EXPECT_EQ(test, phyr_dma_map(&map, &phyr, dev, DMA_TO_DEVICE, 0), -ENOMEM);
	KUNIT_EXPECT_EQ(test, w->map_calls, 0);
	expect_nothing_left(test, w, &map);
	phyr_destroy(&phyr);

	/* two providers and a RAM range: whichever allocation fails */
	phyr_init(&phyr, GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, phyr_append_mmio(&phyr, &fake_prov[0], fake_mmio(0), SZ_64K, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_append_mmio(&phyr, &fake_prov[2], fake_mmio(1), SZ_64K, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_append(&phyr, page_to_phys(pages[0]), PAGE_SIZE, 0), 0);
	for (i = 0; ; i++) {
		int ret;

		watch_arm(w, -1, 0, -1, i, false);
		ret = phyr_dma_map(&map, &phyr, dev, DMA_TO_DEVICE, 0);
		if (!ret)
			break;
		KUNIT_ASSERT_EQ(test, ret, -ENOMEM);
		expect_nothing_left(test, w, &map);
	}
	KUNIT_EXPECT_GE(test, i, 1U);
	KUNIT_EXPECT_EQ(test, map.nr_vecs, 3U);
	phyr_dma_unmap(&map);
	expect_nothing_left(test, w, &map);
	phyr_destroy(&phyr);
	free_pages_array(pages, 8);
}

/*
 * Behind the IOMMU, a bus-address range between RAM ranges needs a dma_vec
 * array (RAM, bus address, RAM): when it cannot be allocated the IOVA range
 * already reserved is given back.
 */
static void phyr_dma_test_edu_fail_alloc(struct kunit *test)
{
	struct device *dev = translated_edu(test);
	struct page **pages = alloc_pages_kunit(test, 4);
	struct dma_watch *w = watch_start(test);
	struct phyr_dma map;
	struct phyr phyr;

	w->answer[0] = PCI_P2PDMA_MAP_BUS_ADDR;
	phyr_init(&phyr, GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, phyr_append(&phyr, page_to_phys(pages[0]), PAGE_SIZE, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_append_mmio(&phyr, &fake_prov[0], fake_mmio(0), SZ_64K, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_append(&phyr, page_to_phys(pages[2]), PAGE_SIZE, 0), 0);
	watch_arm(w, -1, 0, -1, 0, false);
	KUNIT_EXPECT_EQ(test, phyr_dma_map(&map, &phyr, dev, DMA_TO_DEVICE, 0), -ENOMEM);
	expect_nothing_left(test, w, &map);

	watch_arm(w, -1, 0, -1, -1, false);
	KUNIT_ASSERT_EQ(test, phyr_dma_map(&map, &phyr, dev, DMA_TO_DEVICE, 0), 0);
	KUNIT_EXPECT_EQ(test, map.nr_vecs, 3U);
	KUNIT_EXPECT_EQ(test, map.vecs[1].addr, fake_mmio(0) + SZ_1T);
	KUNIT_EXPECT_EQ(test, map.vecs[2].addr, map.vecs[0].addr + PAGE_SIZE);
	phyr_dma_unmap(&map);
	expect_nothing_left(test, w, &map);
	phyr_destroy(&phyr);
	free_pages_array(pages, 4);
}

/*
 * A phyr longer than one IOVA range can be: dma_iova_try_alloc() takes a
 * size_t and refuses sizes with bit 63 set (DMA_IOVA_USE_SWIOTLB) with a
 * warning, so phyr_dma_map() must not ask for one (nor for one truncated to
 * a 32-bit size_t) and maps range by range.  The ranges are made up: the
 * range-by-range mapping is made to fail before it maps anything.
 */
static void phyr_dma_test_edu_huge(struct kunit *test)
{
	struct device *dev = translated_edu(test);
	struct dma_watch *w = watch_start(test);
	struct phyr_dma map;
	struct phyr phyr;
	unsigned int i;

	w->refuse_iova = true;
	phyr_init(&phyr, GFP_KERNEL);
	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_EQ(test, phyr_append(&phyr, (phys_addr_t)i * BIT_ULL(62),
						  PHYR_RANGE_MAX, 0), 0);
	KUNIT_ASSERT_GE(test, phyr_len(&phyr), BIT_ULL(63));
	watch_arm(w, -1, 0, 0, -1, false);
	KUNIT_EXPECT_EQ(test, phyr_dma_map(&map, &phyr, dev, DMA_TO_DEVICE, 0), -ENOMEM);
	KUNIT_EXPECT_LT(test, w->max_iova_size, BIT_ULL(63));
	KUNIT_EXPECT_EQ(test, w->map_calls, 1);
	expect_nothing_left(test, w, &map);
	phyr_destroy(&phyr);
}

/*
 * dma_iova_link_phys_vec()'s refusals, which phyr_dma_map() relies on to
 * fall back: a middle range that starts off a granule or is empty is
 * -EINVAL with nothing linked, both where the list starts and ends on a
 * granule (the page table checks it) and where its first range starts
 * inside one (checked before the partial granules are mapped); the valid
 * list then links, each page where its range says.
 */
static void phyr_dma_test_edu_link_vecs_refused(struct kunit *test)
{
	struct device *dev = translated_edu(test);
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);
	struct page **pages = alloc_pages_kunit(test, 3);
	struct dma_iova_state state;
	struct phys_vec vecs[3];
	unsigned int i, k, pad;
	dma_addr_t base;

	for (pad = 0; pad <= 256; pad += 256) {
		memset(&state, 0, sizeof(state));
		KUNIT_ASSERT_TRUE(test, dma_iova_try_alloc(dev, &state,
							   page_to_phys(pages[0]) + pad,
							   3 * PAGE_SIZE - pad));
		/* the IOVA of page i is base + i pages */
		base = state.addr - pad;
		for (k = 0; k < 2; k++) {
			for (i = 0; i < 3; i++) {
				vecs[i].paddr = page_to_phys(pages[i]);
				vecs[i].len = PAGE_SIZE;
			}
			vecs[0].paddr += pad;
			vecs[0].len -= pad;
			if (k)
				vecs[1].len = 0;
			else
				vecs[1].paddr += PAGE_SIZE / 2;
			KUNIT_EXPECT_EQ(test, dma_iova_link_phys_vec(dev, &state, 0,
								     vecs, 3,
								     DMA_TO_DEVICE, 0),
					-EINVAL);
			for (i = 0; i < 3; i++)
				KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, base +
									 i * PAGE_SIZE),
						0);
		}
		vecs[1].paddr = page_to_phys(pages[1]);
		vecs[1].len = PAGE_SIZE;
		KUNIT_ASSERT_EQ(test, dma_iova_link_phys_vec(dev, &state, 0, vecs, 3,
							     DMA_TO_DEVICE, 0), 0);
		for (i = 0; i < 3; i++)
			KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, base +
								 i * PAGE_SIZE + 256),
					page_to_phys(pages[i]) + 256);
		dma_iova_unlink(dev, &state, 0, 3 * PAGE_SIZE - pad, DMA_TO_DEVICE, 0);
		dma_iova_free(dev, &state);
	}
	free_pages_array(pages, 3);
}

static void restore_bus_offset(void *data)
{
	fake_prov[1].bus_offset = SZ_1T;
}

/*
 * Behind the IOMMU a bus-address range gets its own dma_vec, also where its
 * bus address happens to end where the IOVA of the next linked range starts,
 * or to start where the IOVA range ends: the two are different address
 * spaces of the device, never one run.  fake_prov[1]'s bus offset is set
 * when the IOVA range is reserved to make them meet.
 */
static void phyr_dma_test_edu_bus_meets_iova(struct kunit *test)
{
	struct device *dev = translated_edu(test);
	struct page *page = alloc_page(GFP_KERNEL);
	struct dma_watch *w = watch_start(test);
	unsigned int bus_first, r;
	struct phyr_dma map;
	struct phyr phyr;

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, restore_bus_offset, NULL), 0);
	w->answer[1] = PCI_P2PDMA_MAP_BUS_ADDR;
	w->collide = true;
	for (bus_first = 0; bus_first < 2; bus_first++) {
		phyr_init(&phyr, GFP_KERNEL);
		if (bus_first)
			KUNIT_ASSERT_EQ(test, phyr_append_mmio(&phyr, &fake_prov[1], fake_mmio(0),
							       SZ_64K, 0), 0);
		KUNIT_ASSERT_EQ(test, phyr_append(&phyr, page_to_phys(page), PAGE_SIZE, 0), 0);
		if (!bus_first)
			KUNIT_ASSERT_EQ(test, phyr_append_mmio(&phyr, &fake_prov[1], fake_mmio(0),
							       SZ_64K, 0), 0);
		w->collide_at = bus_first ? -SZ_64K : PAGE_SIZE;
		KUNIT_ASSERT_EQ(test, phyr_dma_map(&map, &phyr, dev, DMA_TO_DEVICE, 0), 0);
		KUNIT_EXPECT_EQ(test, map.nr_vecs, 2U);
		r = bus_first ? 1 : 0;
		KUNIT_EXPECT_EQ(test, map.vecs[r].len, PAGE_SIZE);
		KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(iommu_get_domain_for_dev(dev),
							 map.vecs[r].addr),
				page_to_phys(page));
		KUNIT_EXPECT_EQ(test, map.vecs[!r].len, SZ_64K);
		KUNIT_EXPECT_EQ(test, map.vecs[!r].addr, fake_mmio(0) + fake_prov[1].bus_offset);
		phyr_dma_unmap(&map);
		expect_nothing_left(test, w, &map);
		phyr_destroy(&phyr);
	}
	__free_page(page);
}

static void restore_trusted(void *data)
{
	struct pci_dev *pdev = data;

	pdev->untrusted = 0;
	dma_set_min_align_mask(&pdev->dev, 0);
}

/*
 * edu writes a pattern into @len bytes at @off of @buf (two pages), the CPU
 * reads it after phyr_dma_sync_for_cpu(); the CPU writes another and edu
 * reads it after phyr_dma_sync_for_device(), into @dst, where it is checked.
 * @src holds the first pattern for edu to read.
 */
static void edu_bounce_once(struct kunit *test, struct phyr_kunit_edu *edu,
			    unsigned long attrs, u8 *b, u8 *d,
			    struct phyr *pbuf, struct phyr *psrc, struct phyr *pdst)
{
	const u32 off = PAGE_SIZE - 1096, len = 2000;
	struct device *dev = &edu->pdev->dev;
	struct phyr_dma mbuf, msrc, mdst;
	unsigned int i, bad = 0;

	memset(b, 0, 2 * PAGE_SIZE);
	memset(d, 0, PAGE_SIZE);

	/* edu -> buf: edu reads the pattern from src, writes it into buf */
	KUNIT_ASSERT_EQ(test, phyr_dma_map(&msrc, psrc, dev, DMA_TO_DEVICE, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_dma_map(&mbuf, pbuf, dev, DMA_BIDIRECTIONAL, attrs), 0);
	KUNIT_EXPECT_EQ(test, mbuf.nr_vecs, 1U);
	KUNIT_ASSERT_EQ(test, phyr_kunit_edu_dma(edu, msrc.vecs[0].addr, 0, len, false), 0);
	KUNIT_ASSERT_EQ(test, phyr_kunit_edu_dma(edu, mbuf.vecs[0].addr, 0, len, true), 0);
	phyr_dma_sync_for_cpu(&mbuf);
	for (i = 0; i < len; i++)
		bad += b[off + i] != test_byte(1, i);
	KUNIT_EXPECT_EQ(test, bad, 0U);
	KUNIT_EXPECT_EQ(test, b[off - 1], 0);
	KUNIT_EXPECT_EQ(test, b[off + len], 0);

	/* buf -> edu: the CPU writes another pattern, edu copies it to dst */
	for (i = 0; i < len; i++)
		b[off + i] = test_byte(2, i);
	phyr_dma_sync_for_device(&mbuf);
	KUNIT_ASSERT_EQ(test, phyr_dma_map(&mdst, pdst, dev, DMA_FROM_DEVICE, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_kunit_edu_dma(edu, mbuf.vecs[0].addr, 0, len, false), 0);
	KUNIT_ASSERT_EQ(test, phyr_kunit_edu_dma(edu, mdst.vecs[0].addr, 0, len, true), 0);
	phyr_dma_sync_for_cpu(&mdst);
	bad = 0;
	for (i = 0; i < len; i++)
		bad += d[i] != test_byte(2, i);
	KUNIT_EXPECT_EQ(test, bad, 0U);

	phyr_dma_unmap(&mdst);
	phyr_dma_unmap(&mbuf);
	phyr_dma_unmap(&msrc);
}

/*
 * An untrusted device behind the IOMMU gets swiotlb bounce buffers for what
 * does not fill whole IOMMU granules.  2000 bytes that start 1096 bytes
 * before a page boundary start and end inside a granule: linked with
 * dma_iova_link(), their head and tail bounce through two bounce slots,
 * which no sync of the IOVA reaches both of.  Once with the bounce buffers
 * keeping the offset in the granule (a min_align_mask of a page, as NVMe
 * has), once as edu is (no minimum alignment: 7.3's dma_iova_link() then
 * cannot link a bounced head at all).
 */
static void edu_bounce(struct kunit *test, unsigned long attrs)
{
	struct device *dev = translated_edu(test);
	const u32 off = PAGE_SIZE - 1096, len = 2000;
	struct phyr pbuf, psrc, pdst;
	struct page *buf, *src, *dst;
	struct phyr_kunit_edu *edu;
	unsigned int i;
	u8 *s;

	if (!is_swiotlb_active(dev))
		kunit_skip(test, "no swiotlb pool (needs RAM above 4 GiB, or iommu=soft)");
	edu = phyr_kunit_edu_get(test);
	buf = alloc_pages(GFP_KERNEL | __GFP_ZERO, 1);
	src = alloc_page(GFP_KERNEL);
	dst = alloc_page(GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, src);
	KUNIT_ASSERT_NOT_NULL(test, dst);
	KUNIT_ASSERT_EQ(test, dma_get_min_align_mask(dev), 0U);
	edu->pdev->untrusted = 1;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, restore_trusted, edu->pdev), 0);

	s = page_address(src);
	for (i = 0; i < len; i++)
		s[i] = test_byte(1, i);
	phyr_init(&pbuf, GFP_KERNEL);
	phyr_init(&psrc, GFP_KERNEL);
	phyr_init(&pdst, GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, phyr_append(&pbuf, page_to_phys(buf) + off, len, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_append(&psrc, page_to_phys(src), PAGE_SIZE, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_append(&pdst, page_to_phys(dst), PAGE_SIZE, 0), 0);

	dma_set_min_align_mask(dev, PAGE_SIZE - 1);
	edu_bounce_once(test, edu, attrs, page_address(buf), page_address(dst),
			&pbuf, &psrc, &pdst);
	dma_set_min_align_mask(dev, 0);
	edu_bounce_once(test, edu, attrs, page_address(buf), page_address(dst),
			&pbuf, &psrc, &pdst);

	phyr_destroy(&pdst);
	phyr_destroy(&psrc);
	phyr_destroy(&pbuf);
	__free_page(dst);
	__free_page(src);
	__free_pages(buf, 1);
}

static void phyr_dma_test_edu_bounce(struct kunit *test)
{
	edu_bounce(test, 0);
}

/*
 * The same mapped with DMA_ATTR_SKIP_CPU_SYNC, which skips the syncs of
 * mapping and unmapping, not those the caller asks for.
 */
static void phyr_dma_test_edu_bounce_skip_sync(struct kunit *test)
{
	edu_bounce(test, DMA_ATTR_SKIP_CPU_SYNC);
}

static struct kunit_case phyr_dma_test_cases[] = {
	KUNIT_CASE(phyr_dma_test_empty),
	KUNIT_CASE(phyr_dma_test_bad_dir),
	KUNIT_CASE(phyr_dma_test_direct),
	KUNIT_CASE(phyr_dma_test_direct_one_range),
	KUNIT_CASE(phyr_dma_test_edu_round_trip),
	KUNIT_CASE(phyr_dma_test_edu_many_ranges),
	KUNIT_CASE(phyr_dma_test_edu_unaligned),
	KUNIT_CASE(phyr_dma_test_p2p),
	KUNIT_CASE(phyr_dma_test_p2p_kind_recorded),
	KUNIT_CASE(phyr_dma_test_edu_fail_link),
	KUNIT_CASE(phyr_dma_test_edu_fail_batch),
	KUNIT_CASE(phyr_dma_test_edu_link_refused),
	KUNIT_CASE(phyr_dma_test_fail_map_phys),
	KUNIT_CASE(phyr_dma_test_edu_fail_alloc),
	KUNIT_CASE(phyr_dma_test_edu_huge),
	KUNIT_CASE(phyr_dma_test_edu_link_vecs_refused),
	KUNIT_CASE(phyr_dma_test_edu_bus_meets_iova),
	KUNIT_CASE(phyr_dma_test_edu_bounce),
	KUNIT_CASE(phyr_dma_test_edu_bounce_skip_sync),
	{}
};

static struct kunit_suite phyr_dma_test_suite = {
	.name = "phyr_dma",
	.test_cases = phyr_dma_test_cases,
};

kunit_test_suite(phyr_dma_test_suite);

MODULE_DESCRIPTION("KUnit tests for phyr's DMA mapping");
MODULE_LICENSE("GPL");
