// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the dma-buf flavour negotiation, with mock exporters (real
 * dma-bufs over pages allocated by the test) and importers (KUnit devices,
 * and QEMU's edu for P2P reachability).
 *
 * Copyright 2026 The phyr developers
 */

#include <kunit/device.h>
#include <kunit/dma-buf.h>
#include <kunit/phyr_pci.h>
#include <kunit/static_stub.h>
#include <kunit/test.h>

#include <linux/dma-buf.h>
#include <linux/dma-buf-mapping.h>
#include <linux/dma-buf-flavour.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fcntl.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/phyr.h>
#include <linux/phyr_dma.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/workqueue.h>

#include "dma-buf-flavour-internal.h"

MODULE_IMPORT_NS("DMA_BUF");
MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");

#define NR_PAGES	4

/* A real dma-buf over NR_PAGES pages, offering phyr+cpu then sg_table. */
static struct dma_buf_kunit_exporter *mock_buf_create(struct kunit *test,
						      enum dma_buf_kunit_kind kind)
{
	return dma_buf_kunit_exporter(test, kind, NR_PAGES, 0, 0);
}

static struct device *importer_device(struct kunit *test, const char *name)
{
	return phyr_kunit_dma_device(test, name, 64);
}

struct importer {
	int invalidated;
};

static void importer_invalidate(struct dma_buf_attachment *a)
{
	struct importer *imp = a->importer_priv;

	dma_resv_assert_held(a->dmabuf->resv);
	imp->invalidated++;
}

static const struct dma_buf_attach_ops importer_ops = {
	.allow_peer2peer = false,
	.invalidate_mappings = importer_invalidate,
};

#define REQ(f, fl)	((struct dma_buf_flavour_req){ .flavour = (f), .flags = (fl) })

/* Attach with @reqs; return the chosen flavour or the errno. */
static int try_attach(struct kunit *test, struct dma_buf_kunit_exporter *mb, struct device *dev,
		      const struct dma_buf_flavour_req *reqs, unsigned int nr,
		      struct dma_buf_attachment **out)
{
	struct dma_buf_attachment *a;
	int flavour;

	a = dma_buf_flavour_attach(mb->dmabuf, dev, reqs, nr, NULL, NULL);
	if (IS_ERR(a))
		return PTR_ERR(a);
	flavour = a->flavour;
	if (out)
		*out = a;
	else
		KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(mb->dmabuf, a), 0);
	return flavour;
}

static void flavour_test_names(struct kunit *test)
{
	KUNIT_EXPECT_STREQ(test, dma_buf_flavour_name(DMA_BUF_FLAVOUR_SG_TABLE), "sg_table");
	KUNIT_EXPECT_STREQ(test, dma_buf_flavour_name(DMA_BUF_FLAVOUR_PHYR), "phyr");
	KUNIT_EXPECT_STREQ(test, dma_buf_flavour_name(DMA_BUF_FLAVOUR_PRIVATE), "private");
	KUNIT_EXPECT_STREQ(test, dma_buf_flavour_name(DMA_BUF_FLAVOUR_COUNT), "unknown");
	KUNIT_EXPECT_STREQ(test, dma_buf_flavour_name(-1), "unknown");
}

/* Every malformed request list is -EINVAL, and the exporter never hears of it. */
static void flavour_test_bad_requests(struct kunit *test)
{
	struct dma_buf_kunit_exporter *mb = mock_buf_create(test, DMA_BUF_KUNIT_SG_TABLE);
	struct device *dev = importer_device(test, "flavour_imp");
	static const struct dma_buf_interconnect ic = { .name = "link" };
	struct dma_buf_flavour_req reqs[DMA_BUF_MAX_FLAVOURS + 1];
	struct dma_buf_attachment *a;
	unsigned int i;

	memset(reqs, 0, sizeof(reqs));
	a = dma_buf_flavour_attach(mb->dmabuf, dev, NULL, 0, NULL, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(a), -EINVAL);
	reqs[0] = REQ(DMA_BUF_FLAVOUR_PHYR, 0);
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, reqs, 0, NULL), -EINVAL);
	/* too long, even though the rest would be duplicates anyway */
	for (i = 0; i < ARRAY_SIZE(reqs); i++)
		reqs[i] = REQ(DMA_BUF_FLAVOUR_SG_TABLE, 0);
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, reqs, ARRAY_SIZE(reqs), NULL), -EINVAL);
	/* unknown flavour */
	reqs[0] = REQ(DMA_BUF_FLAVOUR_COUNT, 0);
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, reqs, 1, NULL), -EINVAL);
	reqs[0] = REQ(-1, 0);
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, reqs, 1, NULL), -EINVAL);
	/* unknown flag */
	reqs[0] = REQ(DMA_BUF_FLAVOUR_PHYR, BIT(7));
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, reqs, 1, NULL), -EINVAL);
	/* duplicated, even with other flags */
	reqs[0] = REQ(DMA_BUF_FLAVOUR_PHYR, 0);
	reqs[1] = REQ(DMA_BUF_FLAVOUR_SG_TABLE, 0);
	reqs[2] = REQ(DMA_BUF_FLAVOUR_PHYR, DMA_BUF_FLAVOUR_MMIO);
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, reqs, 3, NULL), -EINVAL);
	/* private without an interconnect; another flavour with one */
	reqs[0] = REQ(DMA_BUF_FLAVOUR_PRIVATE, 0);
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, reqs, 1, NULL), -EINVAL);
	reqs[0] = REQ(DMA_BUF_FLAVOUR_PHYR, 0);
	reqs[0].interconnect = &ic;
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, reqs, 1, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, mb->attached, 0);
}

/* The importer's order decides, whatever the exporter prefers. */
static void flavour_test_importer_order(struct kunit *test)
{
	struct dma_buf_kunit_exporter *mb = mock_buf_create(test, DMA_BUF_KUNIT_SG_TABLE);
	struct device *dev = importer_device(test, "flavour_imp");
	struct dma_buf_flavour_req sg_first[] = {
		REQ(DMA_BUF_FLAVOUR_SG_TABLE, 0), REQ(DMA_BUF_FLAVOUR_PHYR, 0) };
	struct dma_buf_flavour_req phyr_first[] = {
		REQ(DMA_BUF_FLAVOUR_PHYR, 0), REQ(DMA_BUF_FLAVOUR_SG_TABLE, 0) };

	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, sg_first, 2, NULL),
			DMA_BUF_FLAVOUR_SG_TABLE);
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, phyr_first, 2, NULL),
			DMA_BUF_FLAVOUR_PHYR);
	/* the exporter preferring sg_table changes nothing */
	swap(mb->offers[0], mb->offers[1]);
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, phyr_first, 2, NULL),
			DMA_BUF_FLAVOUR_PHYR);
	KUNIT_EXPECT_EQ(test, mb->attached, 0);
}

/* Nothing in common: -EOPNOTSUPP and nothing left allocated or attached. */
static void flavour_test_no_match(struct kunit *test)
{
	struct dma_buf_kunit_exporter *mb = mock_buf_create(test, DMA_BUF_KUNIT_SG_TABLE);
	struct device *dev = importer_device(test, "flavour_imp");
	struct dma_buf_flavour_req phyr = REQ(DMA_BUF_FLAVOUR_PHYR, 0);

	mb->offers[0] = mb->offers[1];
	mb->nr_offers = 1;
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, &phyr, 1, NULL), -EOPNOTSUPP);
	mb->nr_offers = 0;
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, &phyr, 1, NULL), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, mb->attached, 0);
}

/* An exporter without flavours serves sg_table requests only. */
static void flavour_test_legacy_exporter(struct kunit *test)
{
	struct dma_buf_kunit_exporter *mb = mock_buf_create(test, DMA_BUF_KUNIT_LEGACY);
	struct device *dev = importer_device(test, "flavour_imp");
	struct dma_buf_flavour_req reqs[] = {
		REQ(DMA_BUF_FLAVOUR_PHYR, 0), REQ(DMA_BUF_FLAVOUR_SG_TABLE, 0) };
	struct dma_buf_attachment *a;
	struct sg_table *sgt;

	struct dma_buf_flavour_req sg_cpu = REQ(DMA_BUF_FLAVOUR_SG_TABLE, DMA_BUF_FLAVOUR_CPU);

	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, reqs, 1, NULL), -EOPNOTSUPP);
	/* nothing says what backs a legacy exporter's sg_table: no CPU promise */
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, &sg_cpu, 1, NULL), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, mb->attach_calls, 0);
	KUNIT_ASSERT_EQ(test, try_attach(test, mb, dev, reqs, 2, &a),
			DMA_BUF_FLAVOUR_SG_TABLE);
	/* and the exporter decides on MMIO by peer2peer, which the request cleared */
	KUNIT_EXPECT_EQ(test, mb->seen_flavour, DMA_BUF_FLAVOUR_SG_TABLE);
	KUNIT_EXPECT_FALSE(test, mb->seen_p2p);
	sgt = dma_buf_map_attachment_unlocked(a, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(sgt));
	KUNIT_EXPECT_EQ(test, mb->sg_maps, 1);
	dma_buf_unmap_attachment_unlocked(a, sgt, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(mb->dmabuf, a), 0);
	KUNIT_EXPECT_EQ(test, mb->attached, 0);
	KUNIT_EXPECT_EQ(test, mb->sg_maps, 0);
}

/* Check a DMA-only table against the pages (no IOMMU: DMA address = phys). */
static void expect_sgt_is_pages(struct kunit *test, struct dma_buf_kunit_exporter *mb,
				struct sg_table *sgt)
{
	struct scatterlist *sg;
	u64 total = 0;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		u64 off = 0;

		while (off < sg_dma_len(sg)) {
			unsigned int pg = (total + off) >> PAGE_SHIFT;

			KUNIT_ASSERT_LT(test, pg, NR_PAGES);
			KUNIT_EXPECT_EQ(test, sg_dma_address(sg) + off,
					(dma_addr_t)page_to_phys(mb->pages[pg]));
			off += PAGE_SIZE;
		}
		total += sg_dma_len(sg);
	}
	KUNIT_EXPECT_EQ(test, total, (u64)NR_PAGES * PAGE_SIZE);
}

/*
 * A phyr-only exporter still serves legacy importers (dma_buf_attach) and
 * sg_table requests through the bridge, but not those that need CPU RAM
 * behind an sg_table: the bridge's table has no struct page.
 */
static void flavour_test_bridge(struct kunit *test)
{
	struct dma_buf_kunit_exporter *mb = mock_buf_create(test, DMA_BUF_KUNIT_BRIDGE);
	struct device *dev = importer_device(test, "flavour_imp");
	struct dma_buf_flavour_req sg = REQ(DMA_BUF_FLAVOUR_SG_TABLE, 0);
	struct dma_buf_flavour_req sg_cpu = REQ(DMA_BUF_FLAVOUR_SG_TABLE,
						DMA_BUF_FLAVOUR_CPU);
	struct dma_buf_attachment *a;
	struct sg_table *sgt;

	mb->nr_offers = 1;	/* phyr only */
	a = dma_buf_attach(mb->dmabuf, dev);
	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	KUNIT_EXPECT_EQ(test, a->flavour, DMA_BUF_FLAVOUR_SG_TABLE);
	sgt = dma_buf_map_attachment_unlocked(a, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(sgt));
	KUNIT_EXPECT_EQ(test, mb->phyr_maps, 1);
	expect_sgt_is_pages(test, mb, sgt);
	dma_buf_unmap_attachment_unlocked(a, sgt, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, mb->phyr_maps, 0);
	dma_buf_detach(mb->dmabuf, a);

	KUNIT_ASSERT_EQ(test, try_attach(test, mb, dev, &sg, 1, &a),
			DMA_BUF_FLAVOUR_SG_TABLE);
	KUNIT_EXPECT_TRUE(test, a->flavour_bridged);
	sgt = dma_buf_map_attachment_unlocked(a, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(sgt));
	expect_sgt_is_pages(test, mb, sgt);
	dma_buf_unmap_attachment_unlocked(a, sgt, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(mb->dmabuf, a), 0);

	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, &sg_cpu, 1, NULL), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, mb->attached, 0);
	KUNIT_EXPECT_EQ(test, mb->phyr_maps, 0);
}

/*
 * The bridge's table, from dma_buf_dma_vec_to_sgt(): one entry per dma_vec,
 * no pages, orig_nents 0, a range longer than an entry can hold split at
 * the longest page-aligned entry, 4 GiB - 4 KiB (as in
 * dma_buf_phys_vec_to_sgt()); nothing to describe is -EINVAL.  A table
 * dma_buf_dma_vec_free_sgt() did not free would show up in the boot's
 * kmemleak scan.
 */
static void flavour_test_dma_vec_sgt(struct kunit *test)
{
	const struct dma_vec vecs[] = {
		{ .addr = SZ_1G, .len = SZ_4K },
		{ .addr = SZ_4G, .len = 5ULL * SZ_1G },
		{ .addr = SZ_2G, .len = SZ_8K },
	};
	const u64 longest = SZ_4G - SZ_4K;
	struct scatterlist *sg;
	struct sg_table sgt;

	KUNIT_ASSERT_EQ(test, dma_buf_dma_vec_to_sgt(&sgt, vecs, ARRAY_SIZE(vecs),
						     GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, sgt.nents, 4U);
	KUNIT_EXPECT_EQ(test, sgt.orig_nents, 0U);
	sg = sgt.sgl;
	KUNIT_EXPECT_EQ(test, sg_dma_address(sg), (dma_addr_t)SZ_1G);
	KUNIT_EXPECT_EQ(test, sg_dma_len(sg), (unsigned int)SZ_4K);
	KUNIT_EXPECT_NULL(test, sg_page(sg));
	sg = sg_next(sg);
	KUNIT_EXPECT_EQ(test, sg_dma_address(sg), (dma_addr_t)SZ_4G);
	KUNIT_EXPECT_EQ(test, (u64)sg_dma_len(sg), longest);
	KUNIT_EXPECT_NULL(test, sg_page(sg));
	sg = sg_next(sg);
	KUNIT_EXPECT_EQ(test, sg_dma_address(sg), (dma_addr_t)(SZ_4G + longest));
	KUNIT_EXPECT_EQ(test, (u64)sg_dma_len(sg), 5ULL * SZ_1G - longest);
	sg = sg_next(sg);
	KUNIT_EXPECT_EQ(test, sg_dma_address(sg), (dma_addr_t)SZ_2G);
	KUNIT_EXPECT_EQ(test, sg_dma_len(sg), (unsigned int)SZ_8K);
	KUNIT_EXPECT_NULL(test, sg_next(sg));
	dma_buf_dma_vec_free_sgt(&sgt);
	KUNIT_EXPECT_NULL(test, sgt.sgl);

	KUNIT_EXPECT_EQ(test, dma_buf_dma_vec_to_sgt(&sgt, vecs, 0, GFP_KERNEL), -EINVAL);
}

/* The phyr flavour hands over the ranges, and maps them for the device. */
static void flavour_test_map_phyr(struct kunit *test)
{
	struct dma_buf_kunit_exporter *mb = mock_buf_create(test, DMA_BUF_KUNIT_SG_TABLE);
	struct device *dev = importer_device(test, "flavour_imp");
	struct dma_buf_flavour_req phyr = REQ(DMA_BUF_FLAVOUR_PHYR, DMA_BUF_FLAVOUR_CPU);
	struct dma_buf_attachment *a;
	const struct phyr *ranges;
	struct phyr_dma map;
	u64 total = 0;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, try_attach(test, mb, dev, &phyr, 1, &a), DMA_BUF_FLAVOUR_PHYR);
	dma_resv_lock(mb->dmabuf->resv, NULL);
	ranges = dma_buf_map_phyr(a);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ranges));
	KUNIT_EXPECT_PTR_EQ(test, ranges, (const struct phyr *)&mb->ram);
	KUNIT_EXPECT_EQ(test, phyr_len(ranges), (u64)NR_PAGES * PAGE_SIZE);
	dma_buf_unmap_phyr(a, ranges);

	KUNIT_ASSERT_EQ(test, dma_buf_map_phyr_dma(a, &map, DMA_TO_DEVICE, 0), 0);
	KUNIT_EXPECT_EQ(test, a->nr_maps, 1U);
	for (i = 0; i < map.nr_vecs; i++) {
		u64 off;

		for (off = 0; off < map.vecs[i].len; off += PAGE_SIZE) {
			struct page *page = mb->pages[(total + off) >> PAGE_SHIFT];

			KUNIT_EXPECT_EQ(test, map.vecs[i].addr + off,
					(dma_addr_t)page_to_phys(page));
		}
		total += map.vecs[i].len;
	}
	KUNIT_EXPECT_EQ(test, total, (u64)NR_PAGES * PAGE_SIZE);
	dma_buf_unmap_phyr_dma(a, &map);
	KUNIT_EXPECT_EQ(test, a->nr_maps, 0U);
	dma_resv_unlock(mb->dmabuf->resv);
	KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(mb->dmabuf, a), 0);
	KUNIT_EXPECT_EQ(test, mb->phyr_maps, 0);
}

/* A request for CPU RAM passes over an offer that may hold anything else. */
static void flavour_test_cpu_constraint(struct kunit *test)
{
	struct dma_buf_kunit_exporter *mb = mock_buf_create(test, DMA_BUF_KUNIT_SG_TABLE);
	struct device *dev = importer_device(test, "flavour_imp");
	struct dma_buf_flavour_req reqs[] = {
		REQ(DMA_BUF_FLAVOUR_PHYR, DMA_BUF_FLAVOUR_CPU),
		REQ(DMA_BUF_FLAVOUR_SG_TABLE, 0) };

	mb->offers[0].flags = 0;
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, reqs, 2, NULL),
			DMA_BUF_FLAVOUR_SG_TABLE);
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, reqs, 1, NULL), -EOPNOTSUPP);
	mb->offers[0].flags = DMA_BUF_FLAVOUR_CPU;
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, reqs, 1, NULL),
			DMA_BUF_FLAVOUR_PHYR);
}

/*
 * An offer holding MMIO needs a request that takes MMIO from a device that
 * reaches the provider: a KUnit device is no PCI device and never does.
 */
static void flavour_test_mmio_unreachable(struct kunit *test)
{
	struct dma_buf_kunit_exporter *mb = mock_buf_create(test, DMA_BUF_KUNIT_BRIDGE);
	struct device *dev = importer_device(test, "flavour_imp");
	struct dma_buf_flavour_req mmio = REQ(DMA_BUF_FLAVOUR_PHYR, DMA_BUF_FLAVOUR_MMIO);
	struct dma_buf_flavour_req ram = REQ(DMA_BUF_FLAVOUR_PHYR, 0);
	struct dma_buf_flavour_req sg = REQ(DMA_BUF_FLAVOUR_SG_TABLE, DMA_BUF_FLAVOUR_MMIO);
	struct pci_dev *ivshmem;

	mb->provider = phyr_kunit_ivshmem_provider(test, &ivshmem);
	mb->offers[0] = (struct dma_buf_flavour_offer){
		.flavour = DMA_BUF_FLAVOUR_PHYR, .flags = DMA_BUF_FLAVOUR_MMIO,
		.provider = mb->provider };
	mb->nr_offers = 1;
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, &ram, 1, NULL), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, &mmio, 1, NULL), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, &sg, 1, NULL), -EOPNOTSUPP);
	/* an offer claiming MMIO without naming its provider matches nobody */
	mb->offers[0].provider = NULL;
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, &mmio, 1, NULL), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, mb->attached, 0);
}

/*
 * P2P reachability on real PCI devices: ivshmem's BAR as the provider, edu
 * as the importer.  What the boot's topology must give: refused on q35's root
 * bus, the BAR's bus address behind one PCIe switch, an IOVA that edu's
 * domain maps to the BAR through a whitelisted host bridge.
 */
static void flavour_test_p2p_reachability(struct kunit *test)
{
	struct phyr_kunit_edu *edu = phyr_kunit_edu_get(test);
	struct dma_buf_kunit_exporter *mb = mock_buf_create(test, DMA_BUF_KUNIT_BRIDGE);
	struct dma_buf_flavour_req mmio = REQ(DMA_BUF_FLAVOUR_PHYR, DMA_BUF_FLAVOUR_MMIO);
	struct device *dev = &edu->pdev->dev;
	enum pci_p2pdma_map_type want;
	struct dma_buf_attachment *a;
	struct pci_dev *ivshmem;
	struct phyr_dma map;
	int ret;

	mb->provider = phyr_kunit_ivshmem_provider(test, &ivshmem);
	KUNIT_ASSERT_EQ(test, phyr_append_mmio(&mb->other, mb->provider,
					       pci_resource_start(ivshmem, PHYR_KUNIT_IVSHMEM_BAR),
					       SZ_64K, PHYR_ATTR_WC), 0);
	mb->map = &mb->other;
	mb->offers[0] = (struct dma_buf_flavour_offer){
		.flavour = DMA_BUF_FLAVOUR_PHYR, .flags = DMA_BUF_FLAVOUR_MMIO,
		.provider = mb->provider };
	mb->nr_offers = 1;
	ret = try_attach(test, mb, dev, &mmio, 1, &a);
	kunit_info(test, "ivshmem -> edu: attach %d\n", ret);
	want = phyr_kunit_p2p_expected(test, 0);
	if (want == PCI_P2PDMA_MAP_NOT_SUPPORTED) {
		KUNIT_EXPECT_EQ(test, ret, -EOPNOTSUPP);
		return;
	}
	KUNIT_ASSERT_EQ(test, ret, DMA_BUF_FLAVOUR_PHYR);
	KUNIT_EXPECT_TRUE(test, a->peer2peer);
	KUNIT_EXPECT_PTR_EQ(test, a->flavour_provider, mb->provider);
	dma_resv_lock(mb->dmabuf->resv, NULL);
	ret = dma_buf_map_phyr_dma(a, &map, DMA_TO_DEVICE, 0);
	KUNIT_EXPECT_EQ(test, ret, 0);
	if (!ret) {
		KUNIT_EXPECT_EQ(test, map.nr_vecs, 1U);
		if (want == PCI_P2PDMA_MAP_BUS_ADDR)
			KUNIT_EXPECT_EQ(test, map.vecs[0].addr,
					pci_bus_address(ivshmem, PHYR_KUNIT_IVSHMEM_BAR));
		else
			KUNIT_EXPECT_EQ(test, phyr_kunit_iova_to_phys(dev, map.vecs[0].addr),
					pci_resource_start(ivshmem, PHYR_KUNIT_IVSHMEM_BAR));
		dma_buf_unmap_phyr_dma(a, &map);
	}
	dma_resv_unlock(mb->dmabuf->resv);
	KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(mb->dmabuf, a), 0);
}

/*
 * An exporter that hands MMIO to an attachment matched for RAM (say, the
 * buffer moved) is caught: -EREMOTEIO, and its mapping is released.
 */
static void flavour_test_broken_promise(struct kunit *test)
{
	struct dma_buf_kunit_exporter *mb = mock_buf_create(test, DMA_BUF_KUNIT_BRIDGE);
	struct device *dev = importer_device(test, "flavour_imp");
	struct dma_buf_flavour_req phyr = REQ(DMA_BUF_FLAVOUR_PHYR, 0);
	struct p2pdma_provider fake = { .owner = dev };
	struct dma_buf_attachment *a;
	struct sg_table *sgt;

	KUNIT_ASSERT_EQ(test, phyr_append_mmio(&mb->other, &fake, 0x100000000ULL,
					       PAGE_SIZE, 0), 0);
	KUNIT_ASSERT_EQ(test, try_attach(test, mb, dev, &phyr, 1, &a), DMA_BUF_FLAVOUR_PHYR);
	mb->map = &mb->other;
	dma_resv_lock(mb->dmabuf->resv, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_buf_map_phyr(a)), -EREMOTEIO);
	dma_resv_unlock(mb->dmabuf->resv);
	KUNIT_EXPECT_EQ(test, mb->phyr_maps, 0);
	KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(mb->dmabuf, a), 0);

	/* and a legacy importer without peer2peer gets no MMIO either */
	a = dma_buf_attach(mb->dmabuf, dev);
	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	sgt = dma_buf_map_attachment_unlocked(a, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, PTR_ERR(sgt), -EREMOTEIO);
	dma_buf_detach(mb->dmabuf, a);
	KUNIT_EXPECT_EQ(test, mb->phyr_maps, 0);
}

/*
 * The exporter's attach callback runs after the match and sees it: the
 * flavour, the request's flags and peer2peer as the request says (MMIO or
 * not, whatever &dma_buf_attach_ops.allow_peer2peer says).  Clearing
 * peer2peer refuses P2P: an attachment matched on an MMIO offer then fails,
 * and nothing is left.
 */
static void flavour_test_exporter_decides(struct kunit *test)
{
	static const struct dma_buf_attach_ops p2p_ops = {
		.allow_peer2peer = true,
		.invalidate_mappings = importer_invalidate,
	};
	struct phyr_kunit_edu *edu = phyr_kunit_edu_get(test);
	struct dma_buf_kunit_exporter *mb = mock_buf_create(test, DMA_BUF_KUNIT_BRIDGE);
	struct dma_buf_flavour_req mmio = REQ(DMA_BUF_FLAVOUR_PHYR, DMA_BUF_FLAVOUR_MMIO);
	struct dma_buf_flavour_req cpu = REQ(DMA_BUF_FLAVOUR_PHYR, DMA_BUF_FLAVOUR_CPU);
	struct device *dev = &edu->pdev->dev;
	struct dma_buf_attachment *a;
	struct importer imp = {};
	struct pci_dev *ivshmem;

	/* a CPU-only request from an importer that could take P2P: no peer2peer */
	a = dma_buf_flavour_attach(mb->dmabuf, dev, &cpu, 1, &p2p_ops, &imp);
	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	KUNIT_EXPECT_EQ(test, mb->seen_flavour, DMA_BUF_FLAVOUR_PHYR);
	KUNIT_EXPECT_EQ(test, mb->seen_flags, DMA_BUF_FLAVOUR_CPU);
	KUNIT_EXPECT_FALSE(test, mb->seen_p2p);
	KUNIT_EXPECT_FALSE(test, a->peer2peer);
	KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(mb->dmabuf, a), 0);

	if (phyr_kunit_topology(test) == PHYR_KUNIT_ROOT)
		return;	/* edu reaches no BAR: no MMIO match to refuse */
	mb->provider = phyr_kunit_ivshmem_provider(test, &ivshmem);
	mb->offers[0] = (struct dma_buf_flavour_offer){
		.flavour = DMA_BUF_FLAVOUR_PHYR, .flags = DMA_BUF_FLAVOUR_MMIO,
		.provider = mb->provider };
	mb->nr_offers = 1;
	KUNIT_ASSERT_EQ(test, try_attach(test, mb, dev, &mmio, 1, &a), DMA_BUF_FLAVOUR_PHYR);
	KUNIT_EXPECT_TRUE(test, mb->seen_p2p);
	KUNIT_EXPECT_EQ(test, mb->seen_flags, DMA_BUF_FLAVOUR_MMIO);
	KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(mb->dmabuf, a), 0);
	/* the exporter refuses P2P to this importer: no attachment, not forced */
	mb->refuse_p2p = true;
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, &mmio, 1, NULL), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, mb->attached, 0);
}

/*
 * The buffer moves between the match and the publication of the attachment
 * (here: during the exporter's attach callback): the attach starts over and
 * the importer gets what the buffer offers now, not what it offered before.
 */
static void flavour_test_attach_race(struct kunit *test)
{
	struct dma_buf_kunit_exporter *mb = mock_buf_create(test, DMA_BUF_KUNIT_SG_TABLE);
	struct device *dev = importer_device(test, "flavour_imp");
	struct dma_buf_flavour_req reqs[] = {
		REQ(DMA_BUF_FLAVOUR_PHYR, 0), REQ(DMA_BUF_FLAVOUR_SG_TABLE, 0) };
	struct dma_buf_attachment *a;

	mb->move_to = (struct dma_buf_flavour_offer){
		.flavour = DMA_BUF_FLAVOUR_SG_TABLE, .flags = DMA_BUF_FLAVOUR_CPU };
	KUNIT_ASSERT_EQ(test, try_attach(test, mb, dev, reqs, 2, &a),
			DMA_BUF_FLAVOUR_SG_TABLE);
	KUNIT_EXPECT_EQ(test, mb->attach_calls, 2);
	KUNIT_EXPECT_EQ(test, mb->seen_flavour, DMA_BUF_FLAVOUR_SG_TABLE);
	KUNIT_EXPECT_EQ(test, mb->attached, 1);	/* the first one was undone */
	KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(mb->dmabuf, a), 0);
	KUNIT_EXPECT_EQ(test, mb->attached, 0);
}

/*
 * The provider of each MMIO range is checked, not just the offer's: an
 * exporter that matched edu on the first ivshmem's BAR (behind the switch,
 * reachable) but maps ranges of the second (on the root bus, unreachable)
 * is caught with -EREMOTEIO.  Ranges of the matched provider map.
 */
static void flavour_test_provider_per_range(struct kunit *test)
{
	struct phyr_kunit_edu *edu = phyr_kunit_edu_get(test);
	struct dma_buf_kunit_exporter *mb = mock_buf_create(test, DMA_BUF_KUNIT_BRIDGE);
	struct dma_buf_flavour_req mmio = REQ(DMA_BUF_FLAVOUR_PHYR, DMA_BUF_FLAVOUR_MMIO);
	struct device *dev = &edu->pdev->dev;
	struct p2pdma_provider *other;
	struct dma_buf_attachment *a;
	struct pci_dev *iv0, *iv1;
	const struct phyr *phyr;

	if (phyr_kunit_p2p_expected(test, 0) == PCI_P2PDMA_MAP_NOT_SUPPORTED ||
	    phyr_kunit_p2p_expected(test, 1) != PCI_P2PDMA_MAP_NOT_SUPPORTED)
		kunit_skip(test, "needs edu to reach one BAR and not the other (switch boot)");
	mb->provider = phyr_kunit_ivshmem_provider_nth(test, 0, &iv0);
	other = phyr_kunit_ivshmem_provider_nth(test, 1, &iv1);
	KUNIT_ASSERT_EQ(test, phyr_append_mmio(&mb->other, mb->provider,
					       pci_resource_start(iv0, PHYR_KUNIT_IVSHMEM_BAR),
					       PAGE_SIZE, PHYR_ATTR_WC), 0);
	KUNIT_ASSERT_EQ(test, phyr_append_mmio(&mb->other, other,
					       pci_resource_start(iv1, PHYR_KUNIT_IVSHMEM_BAR),
					       PAGE_SIZE, PHYR_ATTR_WC), 0);
	mb->map = &mb->other;
	mb->offers[0] = (struct dma_buf_flavour_offer){
		.flavour = DMA_BUF_FLAVOUR_PHYR, .flags = DMA_BUF_FLAVOUR_MMIO,
		.provider = mb->provider };
	mb->nr_offers = 1;
	KUNIT_ASSERT_EQ(test, try_attach(test, mb, dev, &mmio, 1, &a), DMA_BUF_FLAVOUR_PHYR);
	dma_resv_lock(mb->dmabuf->resv, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_buf_map_phyr(a)), -EREMOTEIO);
	KUNIT_EXPECT_EQ(test, mb->phyr_maps, 0);
	/* without the second provider's range it maps */
	phyr_destroy(&mb->other);
	KUNIT_ASSERT_EQ(test, phyr_append_mmio(&mb->other, mb->provider,
					       pci_resource_start(iv0, PHYR_KUNIT_IVSHMEM_BAR),
					       PAGE_SIZE, PHYR_ATTR_WC), 0);
	phyr = dma_buf_map_phyr(a);
	KUNIT_EXPECT_FALSE(test, IS_ERR(phyr));
	if (!IS_ERR(phyr))
		dma_buf_unmap_phyr(a, phyr);
	dma_resv_unlock(mb->dmabuf->resv);
	KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(mb->dmabuf, a), 0);
}

/* Private: identity of the interconnect, the exporter's veto, opaque addresses. */
static void flavour_test_private(struct kunit *test)
{
	static const struct dma_buf_interconnect link = { .name = "link" };
	static const struct dma_buf_interconnect lookalike = { .name = "link" };
	struct dma_buf_kunit_exporter *mb = mock_buf_create(test, DMA_BUF_KUNIT_SG_TABLE);
	struct device *dev = importer_device(test, "flavour_imp");
	struct dma_buf_flavour_req reqs[2] = {
		{ .flavour = DMA_BUF_FLAVOUR_PRIVATE, .interconnect = &link },
		REQ(DMA_BUF_FLAVOUR_PHYR, 0) };
	struct dma_buf_flavour_req other = {
		.flavour = DMA_BUF_FLAVOUR_PRIVATE, .interconnect = &lookalike };
	struct dma_buf_attachment *a;
	void *addrs;

	mb->offers[2] = (struct dma_buf_flavour_offer){
		.flavour = DMA_BUF_FLAVOUR_PRIVATE, .interconnect = &link };
	mb->nr_offers = 3;
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, &other, 1, NULL), -EOPNOTSUPP);
	mb->accept_err = -EPERM;
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, reqs, 1, NULL), -EPERM);
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, reqs, 2, NULL), DMA_BUF_FLAVOUR_PHYR);
	mb->accept_err = 0;
	KUNIT_ASSERT_EQ(test, try_attach(test, mb, dev, reqs, 2, &a), DMA_BUF_FLAVOUR_PRIVATE);
	KUNIT_EXPECT_PTR_EQ(test, a->interconnect, &link);
	dma_resv_lock(mb->dmabuf->resv, NULL);
	addrs = dma_buf_map_private(a);
	KUNIT_EXPECT_PTR_EQ(test, addrs, (void *)mb);
	KUNIT_EXPECT_EQ(test, mb->private_maps, 1);
	if (!IS_ERR(addrs))
		dma_buf_unmap_private(a, addrs);
	dma_resv_unlock(mb->dmabuf->resv);
	KUNIT_EXPECT_EQ(test, mb->private_maps, 0);
	KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(mb->dmabuf, a), 0);
	KUNIT_EXPECT_EQ(test, mb->attached, 0);
}

/* Each flavour's map refuses the attachments of the others. */
static void flavour_test_wrong_flavour(struct kunit *test)
{
	static const struct dma_buf_interconnect link = { .name = "link" };
	struct dma_buf_kunit_exporter *mb = mock_buf_create(test, DMA_BUF_KUNIT_SG_TABLE);
	struct device *dev = importer_device(test, "flavour_imp");
	struct dma_buf_flavour_req phyr = REQ(DMA_BUF_FLAVOUR_PHYR, 0);
	struct dma_buf_flavour_req sg = REQ(DMA_BUF_FLAVOUR_SG_TABLE, 0);
	struct dma_buf_flavour_req priv = {
		.flavour = DMA_BUF_FLAVOUR_PRIVATE, .interconnect = &link };
	struct dma_buf_attachment *ap, *as, *ax;
	struct phyr_dma map;

	mb->offers[2] = (struct dma_buf_flavour_offer){
		.flavour = DMA_BUF_FLAVOUR_PRIVATE, .interconnect = &link };
	mb->nr_offers = 3;
	KUNIT_ASSERT_EQ(test, try_attach(test, mb, dev, &phyr, 1, &ap), DMA_BUF_FLAVOUR_PHYR);
	KUNIT_ASSERT_EQ(test, try_attach(test, mb, dev, &sg, 1, &as), DMA_BUF_FLAVOUR_SG_TABLE);
	KUNIT_ASSERT_EQ(test, try_attach(test, mb, dev, &priv, 1, &ax), DMA_BUF_FLAVOUR_PRIVATE);
	KUNIT_EXPECT_FALSE(test, as->flavour_bridged);

	dma_resv_lock(mb->dmabuf->resv, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_buf_map_attachment(ap, DMA_TO_DEVICE)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_buf_map_attachment(ax, DMA_TO_DEVICE)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_buf_map_private(ap)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_buf_map_private(as)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_buf_map_phyr(as)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_buf_map_phyr(ax)), -EINVAL);
	KUNIT_EXPECT_EQ(test, dma_buf_map_phyr_dma(ax, &map, DMA_TO_DEVICE, 0), -EINVAL);
	dma_resv_unlock(mb->dmabuf->resv);
	KUNIT_EXPECT_EQ(test, mb->phyr_maps + mb->private_maps + mb->sg_maps, 0);
	KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(mb->dmabuf, ap), 0);
	KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(mb->dmabuf, as), 0);
	KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(mb->dmabuf, ax), 0);
	KUNIT_EXPECT_EQ(test, mb->attached, 0);
}

/* No detach under a live mapping: -EBUSY, and the attachment stays usable. */
static void flavour_test_detach_while_mapped(struct kunit *test)
{
	struct dma_buf_kunit_exporter *mb = mock_buf_create(test, DMA_BUF_KUNIT_SG_TABLE);
	struct device *dev = importer_device(test, "flavour_imp");
	struct dma_buf_flavour_req phyr = REQ(DMA_BUF_FLAVOUR_PHYR, 0);
	struct dma_buf_attachment *a;
	const struct phyr *ranges;

	KUNIT_ASSERT_EQ(test, try_attach(test, mb, dev, &phyr, 1, &a), DMA_BUF_FLAVOUR_PHYR);
	dma_resv_lock(mb->dmabuf->resv, NULL);
	ranges = dma_buf_map_phyr(a);
	dma_resv_unlock(mb->dmabuf->resv);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ranges));
	KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(mb->dmabuf, a), -EBUSY);
	KUNIT_EXPECT_EQ(test, mb->attached, 1);
	dma_resv_lock(mb->dmabuf->resv, NULL);
	dma_buf_unmap_phyr(a, ranges);
	dma_resv_unlock(mb->dmabuf->resv);
	KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(mb->dmabuf, a), 0);
	KUNIT_EXPECT_EQ(test, mb->attached, 0);
	KUNIT_EXPECT_EQ(test, mb->phyr_maps, 0);
}

/*
 * Revoke while mapped by an importer that unmaps at once when told: the revoke
 * returns with no mapping left, then no flavour maps and nobody attaches until
 * it is lifted.  A static importer is not told and not waited for.
 */
struct prompt_importer {
	struct dma_buf_attachment *a;
	struct phyr_dma map;
	bool mapped;
	int invalidated;
};

static void prompt_invalidate(struct dma_buf_attachment *a)
{
	struct prompt_importer *imp = a->importer_priv;

	dma_resv_assert_held(a->dmabuf->resv);
	imp->invalidated++;
	if (imp->mapped) {
		dma_buf_unmap_phyr_dma(a, &imp->map);
		imp->mapped = false;
	}
}

static const struct dma_buf_attach_ops prompt_ops = {
	.invalidate_mappings = prompt_invalidate,
};

static void flavour_test_revoke(struct kunit *test)
{
	static const struct dma_buf_interconnect link = { .name = "link" };
	struct dma_buf_kunit_exporter *mb = mock_buf_create(test, DMA_BUF_KUNIT_BRIDGE);
	struct device *dev = importer_device(test, "flavour_imp");
	struct dma_buf_flavour_req phyr = REQ(DMA_BUF_FLAVOUR_PHYR, 0);
	struct dma_buf_flavour_req priv = {
		.flavour = DMA_BUF_FLAVOUR_PRIVATE, .interconnect = &link };
	struct dma_buf_attachment *a, *ax, *legacy;
	struct prompt_importer imp = {};
	struct importer impx = {};
	struct phyr_dma map;
	struct sg_table *sgt, *lsgt;

	mb->offers[1] = (struct dma_buf_flavour_offer){
		.flavour = DMA_BUF_FLAVOUR_PRIVATE, .interconnect = &link };
	a = dma_buf_flavour_attach(mb->dmabuf, dev, &phyr, 1, &prompt_ops, &imp);
	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	KUNIT_EXPECT_TRUE(test, dma_buf_attach_revocable(a));
	ax = dma_buf_flavour_attach(mb->dmabuf, dev, &priv, 1, &importer_ops, &impx);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ax));
	legacy = dma_buf_attach(mb->dmabuf, dev);
	KUNIT_ASSERT_FALSE(test, IS_ERR(legacy));
	KUNIT_EXPECT_FALSE(test, dma_buf_attach_revocable(legacy));

	dma_resv_lock(mb->dmabuf->resv, NULL);
	KUNIT_ASSERT_EQ(test, dma_buf_map_phyr_dma(a, &imp.map, DMA_FROM_DEVICE, 0), 0);
	imp.mapped = true;
	lsgt = dma_buf_map_attachment(legacy, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(lsgt));
	KUNIT_EXPECT_EQ(test, mb->dmabuf->revocable_maps, 1U);
	dma_resv_unlock(mb->dmabuf->resv);

	KUNIT_EXPECT_EQ(test, dma_buf_revoke(mb->dmabuf, HZ), 0);
	KUNIT_EXPECT_EQ(test, imp.invalidated, 1);
	KUNIT_EXPECT_EQ(test, impx.invalidated, 1);
	KUNIT_EXPECT_FALSE(test, imp.mapped);
	KUNIT_EXPECT_EQ(test, a->nr_maps, 0U);
	/* the static importer's mapping is its own to end, later */
	KUNIT_EXPECT_EQ(test, legacy->nr_maps, 1U);

	dma_resv_lock(mb->dmabuf->resv, NULL);
	KUNIT_EXPECT_EQ(test, dma_buf_map_phyr_dma(a, &map, DMA_FROM_DEVICE, 0), -ENODEV);
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_buf_map_private(ax)), -ENODEV);
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_buf_map_attachment(legacy, DMA_TO_DEVICE)), -ENODEV);
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_buf_phyr_bridge_map(legacy, DMA_TO_DEVICE)), -ENODEV);
	dma_buf_unmap_attachment(legacy, lsgt, DMA_TO_DEVICE);
	dma_resv_unlock(mb->dmabuf->resv);
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, &phyr, 1, NULL), -ENODEV);
	KUNIT_EXPECT_TRUE(test, IS_ERR(dma_buf_attach(mb->dmabuf, dev)));
	KUNIT_EXPECT_EQ(test, mb->phyr_maps + mb->private_maps, 0);

	dma_buf_unrevoke(mb->dmabuf);
	KUNIT_EXPECT_EQ(test, imp.invalidated, 1);
	dma_resv_lock(mb->dmabuf->resv, NULL);
	KUNIT_EXPECT_EQ(test, dma_buf_map_phyr_dma(a, &map, DMA_FROM_DEVICE, 0), 0);
	dma_buf_unmap_phyr_dma(a, &map);
	dma_resv_unlock(mb->dmabuf->resv);
	sgt = dma_buf_map_attachment_unlocked(legacy, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(sgt));
	dma_buf_unmap_attachment_unlocked(legacy, sgt, DMA_TO_DEVICE);

	KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(mb->dmabuf, a), 0);
	KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(mb->dmabuf, ax), 0);
	dma_buf_detach(mb->dmabuf, legacy);
	KUNIT_EXPECT_EQ(test, mb->attached, 0);
}

/*
 * Revoke waits, bounded: for a fence that signals later, and for an importer
 * that unmaps later (from a worker, as importers whose hardware must first be
 * stopped do).  An importer that never unmaps makes it return -ETIMEDOUT after
 * the timeout, with the buffer revoked all the same.
 */
struct late_importer {
	struct dma_buf_attachment *a;
	const struct phyr *phyr;
	struct delayed_work work;
	unsigned long delay;	/* 0: never unmaps by itself */
	bool unmapped;
};

static void late_unmap(struct work_struct *work)
{
	struct late_importer *imp = container_of(work, struct late_importer, work.work);

	dma_resv_lock(imp->a->dmabuf->resv, NULL);
	/* before the unmap, which lets the revoke return */
	imp->unmapped = true;
	dma_buf_unmap_phyr(imp->a, imp->phyr);
	dma_resv_unlock(imp->a->dmabuf->resv);
}

static void late_invalidate(struct dma_buf_attachment *a)
{
	struct late_importer *imp = a->importer_priv;

	if (imp->delay)
		schedule_delayed_work(&imp->work, imp->delay);
}

static const struct dma_buf_attach_ops late_ops = {
	.invalidate_mappings = late_invalidate,
};

static void flavour_test_revoke_waits(struct kunit *test)
{
	struct dma_buf_kunit_exporter *mb = mock_buf_create(test, DMA_BUF_KUNIT_BRIDGE);
	struct device *dev = importer_device(test, "flavour_imp");
	struct dma_buf_flavour_req phyr = REQ(DMA_BUF_FLAVOUR_PHYR, 0);
	struct late_importer imp = { .delay = msecs_to_jiffies(300) };
	struct dma_buf_kunit_late_fence *f = dma_buf_kunit_late_fence(test, "flavour_test");
	unsigned long t0;

	INIT_DELAYED_WORK(&imp.work, late_unmap);
	imp.a = dma_buf_flavour_attach(mb->dmabuf, dev, &phyr, 1, &late_ops, &imp);
	KUNIT_ASSERT_FALSE(test, IS_ERR(imp.a));

	dma_resv_lock(mb->dmabuf->resv, NULL);
	imp.phyr = dma_buf_map_phyr(imp.a);
	KUNIT_ASSERT_FALSE(test, IS_ERR(imp.phyr));
	KUNIT_ASSERT_EQ(test, dma_resv_reserve_fences(mb->dmabuf->resv, 1), 0);
	dma_resv_add_fence(mb->dmabuf->resv, &f->base, DMA_RESV_USAGE_WRITE);
	dma_resv_unlock(mb->dmabuf->resv);
	dma_buf_kunit_late_fence_signal_in(f, msecs_to_jiffies(100));

	t0 = jiffies;
	KUNIT_EXPECT_EQ(test, dma_buf_revoke(mb->dmabuf, 5 * HZ), 0);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(&f->base));
	KUNIT_EXPECT_TRUE(test, imp.unmapped);
	KUNIT_EXPECT_EQ(test, mb->phyr_maps, 0);
	KUNIT_EXPECT_GE(test, jiffies - t0, msecs_to_jiffies(300));
	dma_buf_unrevoke(mb->dmabuf);

	/* an importer that does not unmap: the bound holds */
	imp.delay = 0;
	imp.unmapped = false;
	dma_resv_lock(mb->dmabuf->resv, NULL);
	imp.phyr = dma_buf_map_phyr(imp.a);
	KUNIT_ASSERT_FALSE(test, IS_ERR(imp.phyr));
	dma_resv_unlock(mb->dmabuf->resv);
	t0 = jiffies;
	KUNIT_EXPECT_EQ(test, dma_buf_revoke(mb->dmabuf, msecs_to_jiffies(200)), -ETIMEDOUT);
	KUNIT_EXPECT_LT(test, jiffies - t0, 2 * HZ);
	dma_resv_lock(mb->dmabuf->resv, NULL);
	KUNIT_EXPECT_TRUE(test, mb->dmabuf->revoked);
	dma_buf_unmap_phyr(imp.a, imp.phyr);
	dma_resv_unlock(mb->dmabuf->resv);
	dma_buf_unrevoke(mb->dmabuf);

	KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(mb->dmabuf, imp.a), 0);
}

/*
 * The revoke cycle of an exporter whose memory comes back (VFIO's BAR, when
 * the device's memory is enabled again after a reset), as documented in
 * DOC: revoke of dma-buf.c: the exporter serves revocable importers only and
 * its own sg_table; an importer attached with plain dma_buf_dynamic_attach()
 * unmaps when told.  dma_buf_revoke() without a bound returns with no
 * mapping left; while revoked, maps and attaches of every kind fail with
 * -ENODEV and a second revoke tells nobody again; dma_buf_unrevoke() tells
 * nobody, and attaching and mapping work again; a revoke after that is a
 * full one again, of old and new importers alike.
 */
struct sg_importer {
	struct sg_table *sgt;
	int invalidated;
};

static void sg_importer_invalidate(struct dma_buf_attachment *a)
{
	struct sg_importer *imp = a->importer_priv;

	dma_resv_assert_held(a->dmabuf->resv);
	imp->invalidated++;
	if (imp->sgt) {
		dma_buf_unmap_attachment(a, imp->sgt, DMA_BIDIRECTIONAL);
		imp->sgt = NULL;
	}
}

static const struct dma_buf_attach_ops sg_importer_ops = {
	.invalidate_mappings = sg_importer_invalidate,
};

static int sg_importer_map(struct dma_buf_attachment *a)
{
	struct sg_importer *imp = a->importer_priv;
	struct sg_table *sgt;

	dma_resv_lock(a->dmabuf->resv, NULL);
	sgt = dma_buf_map_attachment(a, DMA_BIDIRECTIONAL);
	if (!IS_ERR(sgt))
		imp->sgt = sgt;
	dma_resv_unlock(a->dmabuf->resv);
	return PTR_ERR_OR_ZERO(sgt);
}

static void flavour_test_revoke_unrevoke(struct kunit *test)
{
	struct dma_buf_kunit_exporter *mb = mock_buf_create(test, DMA_BUF_KUNIT_SG_TABLE);
	struct device *dev = importer_device(test, "flavour_imp");
	struct dma_buf_flavour_req phyr = REQ(DMA_BUF_FLAVOUR_PHYR, 0);
	struct sg_importer old = {}, new = {};
	struct dma_buf_attachment *a, *b, *f;
	struct prompt_importer fimp = {};

	mb->revocable_only = true;
	a = dma_buf_dynamic_attach(mb->dmabuf, dev, &sg_importer_ops, &old);
	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	KUNIT_ASSERT_EQ(test, sg_importer_map(a), 0);
	KUNIT_EXPECT_EQ(test, mb->sg_maps, 1);

	KUNIT_EXPECT_EQ(test, dma_buf_revoke(mb->dmabuf, MAX_SCHEDULE_TIMEOUT), 0);
	KUNIT_EXPECT_EQ(test, old.invalidated, 1);
	KUNIT_EXPECT_NULL(test, old.sgt);
	KUNIT_EXPECT_EQ(test, mb->sg_maps, 0);

	/* revoked: nothing maps or attaches, the exporter is not asked to map */
	KUNIT_EXPECT_EQ(test, sg_importer_map(a), -ENODEV);
	KUNIT_EXPECT_EQ(test, mb->sg_maps, 0);
	b = dma_buf_dynamic_attach(mb->dmabuf, dev, &sg_importer_ops, &new);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(b), -ENODEV);
	f = dma_buf_flavour_attach(mb->dmabuf, dev, &phyr, 1, &prompt_ops, &fimp);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(f), -ENODEV);
	KUNIT_EXPECT_EQ(test, mb->attached, 1);
	/* a second revoke only waits: nobody is told again */
	KUNIT_EXPECT_EQ(test, dma_buf_revoke(mb->dmabuf, HZ), 0);
	KUNIT_EXPECT_EQ(test, old.invalidated, 1);

	/* lifted: nobody is told, and everything works again */
	dma_buf_unrevoke(mb->dmabuf);
	KUNIT_EXPECT_EQ(test, old.invalidated, 1);
	KUNIT_EXPECT_EQ(test, sg_importer_map(a), 0);
	b = dma_buf_dynamic_attach(mb->dmabuf, dev, &sg_importer_ops, &new);
	KUNIT_ASSERT_FALSE(test, IS_ERR(b));
	KUNIT_EXPECT_EQ(test, sg_importer_map(b), 0);
	f = dma_buf_flavour_attach(mb->dmabuf, dev, &phyr, 1, &prompt_ops, &fimp);
	KUNIT_ASSERT_FALSE(test, IS_ERR(f));
	dma_resv_lock(mb->dmabuf->resv, NULL);
	KUNIT_ASSERT_EQ(test, dma_buf_map_phyr_dma(f, &fimp.map, DMA_FROM_DEVICE, 0), 0);
	fimp.mapped = true;
	dma_resv_unlock(mb->dmabuf->resv);
	KUNIT_EXPECT_EQ(test, mb->sg_maps, 2);
	KUNIT_EXPECT_EQ(test, mb->phyr_maps, 1);

	/* and the next revoke is a whole one again */
	KUNIT_EXPECT_EQ(test, dma_buf_revoke(mb->dmabuf, MAX_SCHEDULE_TIMEOUT), 0);
	KUNIT_EXPECT_EQ(test, old.invalidated, 2);
	KUNIT_EXPECT_EQ(test, new.invalidated, 1);
	KUNIT_EXPECT_EQ(test, fimp.invalidated, 1);
	KUNIT_EXPECT_EQ(test, mb->sg_maps, 0);
	KUNIT_EXPECT_EQ(test, mb->phyr_maps, 0);
	KUNIT_EXPECT_EQ(test, sg_importer_map(b), -ENODEV);

	dma_buf_unrevoke(mb->dmabuf);
	KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(mb->dmabuf, f), 0);
	dma_buf_detach(mb->dmabuf, b);
	dma_buf_detach(mb->dmabuf, a);
	KUNIT_EXPECT_EQ(test, mb->attached, 0);
}

/*
 * An exporter that only serves revocable importers (as VFIO does) refuses a
 * static importer in its attach callback, after the match: nothing is left.
 */
static void flavour_test_revocable_only(struct kunit *test)
{
	struct dma_buf_kunit_exporter *mb = mock_buf_create(test, DMA_BUF_KUNIT_BRIDGE);
	struct device *dev = importer_device(test, "flavour_imp");
	struct dma_buf_flavour_req phyr = REQ(DMA_BUF_FLAVOUR_PHYR, 0);
	struct dma_buf_attachment *a;
	struct importer imp = {};

	mb->revocable_only = true;
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, &phyr, 1, NULL), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, mb->attached, 0);
	a = dma_buf_flavour_attach(mb->dmabuf, dev, &phyr, 1, &importer_ops, &imp);
	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	KUNIT_EXPECT_EQ(test, a->flavour, DMA_BUF_FLAVOUR_PHYR);
	KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(mb->dmabuf, a), 0);
}

/* Static importers get the buffer pinned while mapped; dynamic ones do not. */
static void flavour_test_pin(struct kunit *test)
{
	struct dma_buf_kunit_exporter *mb = mock_buf_create(test, DMA_BUF_KUNIT_PINNED);
	struct device *dev = importer_device(test, "flavour_imp");
	struct dma_buf_flavour_req phyr = REQ(DMA_BUF_FLAVOUR_PHYR, 0);
	struct dma_buf_attachment *st, *dyn;
	const struct phyr *r1, *r2;
	struct importer imp = {};

	KUNIT_ASSERT_EQ(test, try_attach(test, mb, dev, &phyr, 1, &st), DMA_BUF_FLAVOUR_PHYR);
	dyn = dma_buf_flavour_attach(mb->dmabuf, dev, &phyr, 1, &importer_ops, &imp);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dyn));
	dma_resv_lock(mb->dmabuf->resv, NULL);
	r1 = dma_buf_map_phyr(st);
	KUNIT_ASSERT_FALSE(test, IS_ERR(r1));
	KUNIT_EXPECT_EQ(test, mb->pins, 1);
	r2 = dma_buf_map_phyr(dyn);
	KUNIT_ASSERT_FALSE(test, IS_ERR(r2));
	KUNIT_EXPECT_EQ(test, mb->pins, 1);
	/* a failed map leaves no pin behind */
	mb->map_err = -ENOSPC;
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_buf_map_phyr(st)), -ENOSPC);
	KUNIT_EXPECT_EQ(test, mb->pins, 1);
	mb->map_err = 0;
	dma_buf_unmap_phyr(dyn, r2);
	dma_buf_unmap_phyr(st, r1);
	KUNIT_EXPECT_EQ(test, mb->pins, 0);
	dma_resv_unlock(mb->dmabuf->resv);
	KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(mb->dmabuf, st), 0);
	KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(mb->dmabuf, dyn), 0);
}

static void *fail_alloc(size_t size)
{
	return NULL;
}

/*
 * Failures at every point of attach and map: the exporter's offers, its
 * attach callback, its map, the bridge's allocation, the DMA mapping.  Each
 * returns its errno and leaves nothing attached, mapped or allocated (the
 * guest's kmemleak scan checks the last).
 */
static void flavour_test_failures(struct kunit *test)
{
	struct dma_buf_kunit_exporter *mb = mock_buf_create(test, DMA_BUF_KUNIT_BRIDGE);
	struct device *dev = importer_device(test, "flavour_imp");
	struct dma_buf_flavour_req phyr = REQ(DMA_BUF_FLAVOUR_PHYR, 0);
	struct dma_buf_attachment *a;
	struct phyr_dma map;
	struct sg_table *sgt;

	mb->nr_offers = -ENOMEM;
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, &phyr, 1, NULL), -ENOMEM);
	mb->nr_offers = 1;
	mb->attach_err = -ENOMEM;
	KUNIT_EXPECT_EQ(test, try_attach(test, mb, dev, &phyr, 1, NULL), -ENOMEM);
	mb->attach_err = 0;
	KUNIT_EXPECT_EQ(test, mb->attached, 0);

	KUNIT_ASSERT_EQ(test, try_attach(test, mb, dev, &phyr, 1, &a), DMA_BUF_FLAVOUR_PHYR);
	dma_resv_lock(mb->dmabuf->resv, NULL);
	mb->map_err = -ENOMEM;
	KUNIT_EXPECT_EQ(test, dma_buf_map_phyr_dma(a, &map, DMA_TO_DEVICE, 0), -ENOMEM);
	mb->map_err = 0;
	/* an empty list cannot be DMA mapped: phyr_dma_map() fails, all undone */
	mb->map = &mb->other;	/* empty here */
	KUNIT_EXPECT_EQ(test, dma_buf_map_phyr_dma(a, &map, DMA_TO_DEVICE, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, mb->phyr_maps, 0);
	mb->map = &mb->ram;
	dma_resv_unlock(mb->dmabuf->resv);
	KUNIT_EXPECT_EQ(test, a->nr_maps, 0U);
	KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(mb->dmabuf, a), 0);

	a = dma_buf_attach(mb->dmabuf, dev);
	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	kunit_activate_static_stub(test, dma_buf_flavour_alloc, fail_alloc);
	sgt = dma_buf_map_attachment_unlocked(a, DMA_TO_DEVICE);
	kunit_deactivate_static_stub(test, dma_buf_flavour_alloc);
	KUNIT_EXPECT_EQ(test, PTR_ERR(sgt), -ENOMEM);
	mb->map_err = -EIO;
	sgt = dma_buf_map_attachment_unlocked(a, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, PTR_ERR(sgt), -EIO);
	mb->map_err = 0;
	dma_buf_detach(mb->dmabuf, a);
	KUNIT_EXPECT_EQ(test, mb->attached, 0);
	KUNIT_EXPECT_EQ(test, mb->phyr_maps, 0);
}

/* What fdinfo says a buffer offers. */
static void flavour_test_fdinfo(struct kunit *test)
{
	struct dma_buf_kunit_exporter *mb = mock_buf_create(test, DMA_BUF_KUNIT_BRIDGE);
	struct dma_buf_kunit_exporter *legacy = mock_buf_create(test, DMA_BUF_KUNIT_LEGACY);
	struct seq_file m = {};
	char *buf = kunit_kzalloc(test, 256, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	m.buf = buf;
	m.size = 256;
#define SHOW(b) ({ m.count = 0; memset(buf, 0, 256); \
		   dma_buf_flavour_show_fdinfo(&m, (b)->dmabuf); buf; })
	/* CPU access to CPU RAM is served from the phyr offer, by the core */
	KUNIT_EXPECT_STREQ(test, SHOW(mb),
			   "flavours:\tphyr+cpu sg_table+cpu cpu_access(bridge)\n");
	mb->nr_offers = 1;
	KUNIT_EXPECT_STREQ(test, SHOW(mb),
			   "flavours:\tphyr+cpu sg_table(bridge) cpu_access(bridge)\n");
	mb->offers[0].flags = DMA_BUF_FLAVOUR_MMIO;
	KUNIT_EXPECT_STREQ(test, SHOW(mb), "flavours:\tphyr+mmio sg_table(bridge)\n");
	mb->nr_offers = -EIO;
	KUNIT_EXPECT_STREQ(test, SHOW(mb), "flavours:\terror -5\n");
	KUNIT_EXPECT_EQ(test, dma_buf_revoke(mb->dmabuf, HZ), 0);
	KUNIT_EXPECT_STREQ(test, SHOW(mb), "flavours:\trevoked\n");
	KUNIT_EXPECT_STREQ(test, SHOW(legacy), "flavours:\tsg_table\n");
#undef SHOW
}

static struct kunit_case dma_buf_flavour_test_cases[] = {
	KUNIT_CASE(flavour_test_names),
	KUNIT_CASE(flavour_test_bad_requests),
	KUNIT_CASE(flavour_test_importer_order),
	KUNIT_CASE(flavour_test_no_match),
	KUNIT_CASE(flavour_test_legacy_exporter),
	KUNIT_CASE(flavour_test_bridge),
	KUNIT_CASE(flavour_test_dma_vec_sgt),
	KUNIT_CASE(flavour_test_map_phyr),
	KUNIT_CASE(flavour_test_cpu_constraint),
	KUNIT_CASE(flavour_test_mmio_unreachable),
	KUNIT_CASE(flavour_test_p2p_reachability),
	KUNIT_CASE(flavour_test_broken_promise),
	KUNIT_CASE(flavour_test_exporter_decides),
	KUNIT_CASE(flavour_test_attach_race),
	KUNIT_CASE(flavour_test_provider_per_range),
	KUNIT_CASE(flavour_test_private),
	KUNIT_CASE(flavour_test_wrong_flavour),
	KUNIT_CASE(flavour_test_detach_while_mapped),
	KUNIT_CASE(flavour_test_revoke),
	KUNIT_CASE(flavour_test_revoke_waits),
	KUNIT_CASE(flavour_test_revoke_unrevoke),
	KUNIT_CASE(flavour_test_revocable_only),
	KUNIT_CASE(flavour_test_pin),
	KUNIT_CASE(flavour_test_failures),
	KUNIT_CASE(flavour_test_fdinfo),
	{}
};

static struct kunit_suite dma_buf_flavour_test_suite = {
	.name = "dma_buf_flavour",
	.test_cases = dma_buf_flavour_test_cases,
};

kunit_test_suite(dma_buf_flavour_test_suite);

MODULE_DESCRIPTION("KUnit tests for dma-buf flavours");
MODULE_LICENSE("GPL");
