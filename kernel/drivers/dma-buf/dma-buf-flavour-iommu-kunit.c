// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the dma-buf IOMMU converter: mock exporters over pages and
 * an ivshmem BAR, real IOMMU paging domains of QEMU's edu device, and edu's
 * DMA engine to prove that what the converter maps reaches the right bytes;
 * and of dma_buf_phys_vec_to_sgt(), VFIO's sg_table path.
 *
 * Copyright 2026 The phyr developers
 */

#include <kunit/dma-buf.h>
#include <kunit/phyr_pci.h>
#include <kunit/static_stub.h>
#include <kunit/test.h>

#include <linux/completion.h>
#include <linux/dma-buf.h>
#include <linux/dma-buf-flavour.h>
#include <linux/dma-buf-mapping.h>
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/fcntl.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/phyr.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "dma-buf-flavour-internal.h"

MODULE_IMPORT_NS("DMA_BUF");
MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");

/* pages of the mock buffer, each its own range (every other page taken) */
#define NR_PAGES	8
#define BUF_SIZE	(NR_PAGES * PAGE_SIZE)
/* where the tests map, below edu's 28-bit DMA limit */
#define IOVA_A		0x1000000UL
#define IOVA_B		0x2000000UL
#define RW		(IOMMU_READ | IOMMU_WRITE)

/*
 * A buffer of NR_PAGES pages, no two contiguous: NR_PAGES ranges; as many
 * spare pages after them, no two contiguous either, are a move's new place.
 */
static struct dma_buf_kunit_exporter *cb_create(struct kunit *test,
						enum dma_buf_kunit_kind kind)
{
	struct dma_buf_kunit_exporter *cb;

	cb = dma_buf_kunit_exporter(test, kind, 2 * NR_PAGES, BUF_SIZE,
				    DMA_BUF_KUNIT_PAGES_APART);
	KUNIT_ASSERT_EQ(test, phyr_nr_ranges(&cb->ram), NR_PAGES);
	cb->nr_offers = 1;	/* phyr of CPU RAM */
	return cb;
}

static struct page *spare_page(struct dma_buf_kunit_exporter *cb, unsigned int i)
{
	return cb->pages[NR_PAGES + i];
}

/* the importer */
struct conv_imp {
	struct dma_buf_iommu *conv;
	/* a lock of the importer's, nesting inside the reservation, like iommufd's */
	struct mutex lock;
	int invalidated;
	/* windows the callback unmaps (already gone: nothing to do) */
	struct iommu_domain *domain;
	unsigned long iova;
};

static void imp_invalidated(struct dma_buf_iommu *conv, void *priv)
{
	struct conv_imp *imp = priv;

	/* under the reservation, the converter's lock released */
	mutex_lock(&imp->lock);
	imp->invalidated++;
	if (imp->domain)
		dma_buf_iommu_unmap(conv, imp->domain, imp->iova, BUF_SIZE);
	mutex_unlock(&imp->lock);
}

static const struct dma_buf_iommu_ops imp_ops = {
	.invalidated = imp_invalidated,
};

static void imp_detach(void *data)
{
	struct conv_imp *imp = data;

	if (imp->conv)
		dma_buf_iommu_detach(imp->conv);
	imp->conv = NULL;
}

static struct conv_imp *imp_create(struct kunit *test)
{
	struct conv_imp *imp = kunit_kzalloc(test, sizeof(*imp), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, imp);
	mutex_init(&imp->lock);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, imp_detach, imp), 0);
	return imp;
}

/* Attach @imp through the converter; the errno or 0. */
static int imp_attach(struct conv_imp *imp, struct dma_buf_kunit_exporter *cb,
		      struct device *dev, u32 flags)
{
	struct dma_buf_iommu *conv;

	conv = dma_buf_iommu_attach(cb->dmabuf, dev, flags, &imp_ops, imp);
	if (IS_ERR(conv))
		return PTR_ERR(conv);
	imp->conv = conv;
	return 0;
}

/* a paging domain of edu's IOMMU, freed at the end of the test */
static void domain_free(void *data)
{
	iommu_domain_free(data);
}

struct group_attach {
	struct iommu_domain *domain;
	struct iommu_group *group;
};

static void group_detach(void *data)
{
	struct group_attach *ga = data;

	iommu_detach_group(ga->domain, ga->group);
	iommu_group_put(ga->group);
}

static struct iommu_domain *edu_domain(struct kunit *test,
				       struct phyr_kunit_edu *edu, bool attach)
{
	struct iommu_domain *domain;
	struct group_attach *ga;

	domain = iommu_paging_domain_alloc(&edu->pdev->dev);
	if (IS_ERR(domain))
		kunit_skip(test, "edu has no IOMMU paging domain: %ld", PTR_ERR(domain));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, domain_free, domain), 0);
	if (!attach)
		return domain;
	ga = kunit_kzalloc(test, sizeof(*ga), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ga);
	ga->domain = domain;
	ga->group = iommu_group_get(&edu->pdev->dev);
	KUNIT_ASSERT_NOT_NULL(test, ga->group);
	if (iommu_attach_group(domain, ga->group)) {
		iommu_group_put(ga->group);
		KUNIT_FAIL_AND_ABORT(test, "cannot attach a domain to edu's group");
	}
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, group_detach, ga), 0);
	/* edu's DMA now goes through this domain, whatever the boot's default */
	KUNIT_ASSERT_TRUE(test, phyr_kunit_edu_translated(edu));
	return domain;
}

/* how many pages of [iova, iova + len) @domain maps */
static unsigned int nr_mapped(struct iommu_domain *domain, unsigned long iova,
			      size_t len)
{
	unsigned int n = 0;
	size_t off;

	for (off = 0; off < len; off += PAGE_SIZE)
		n += !!iommu_iova_to_phys(domain, iova + off);
	return n;
}

/* @len bytes from @src_iova to @dst_iova through edu's buffer */
static int edu_copy(struct phyr_kunit_edu *edu, unsigned long src_iova,
		    unsigned long dst_iova, u32 len)
{
	int ret = phyr_kunit_edu_dma(edu, src_iova, 0, len, false);

	return ret ? ret : phyr_kunit_edu_dma(edu, dst_iova, 0, len, true);
}

/*
 * Only the converter can ask for the IOMMU flavour; it attaches to phyr
 * offers only, with the exporter's attach seeing the flavour; MMIO offers need
 * the MMIO flag, and then no P2P routing is asked.
 */
static void iommu_test_attach(struct kunit *test)
{
	struct dma_buf_kunit_exporter *cb = cb_create(test, DMA_BUF_KUNIT_BRIDGE);
	struct dma_buf_kunit_exporter *legacy = cb_create(test, DMA_BUF_KUNIT_LEGACY);
	struct device *dev = phyr_kunit_dma_device(test, "conv_imp", 64);
	struct dma_buf_flavour_req req = { .flavour = DMA_BUF_FLAVOUR_IOMMU };
	static const struct dma_buf_interconnect link = { .name = "link" };
	struct conv_imp *imp = imp_create(test);
	struct p2pdma_provider *provider;
	struct dma_buf_attachment *a;
	struct pci_dev *ivshmem;

	KUNIT_EXPECT_STREQ(test, dma_buf_flavour_name(DMA_BUF_FLAVOUR_IOMMU), "iommu");
	/* importers cannot ask for the converter's flavour themselves */
	a = dma_buf_flavour_attach(cb->dmabuf, dev, &req, 1, NULL, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(a), -EINVAL);
	KUNIT_EXPECT_EQ(test, imp_attach(imp, cb, dev, DMA_BUF_FLAVOUR_CPU), -EINVAL);
	KUNIT_EXPECT_EQ(test, imp_attach(imp, cb, dev, BIT(7)), -EINVAL);
	KUNIT_EXPECT_EQ(test, cb->attached, 0);

	KUNIT_ASSERT_EQ(test, imp_attach(imp, cb, dev, 0), 0);
	KUNIT_EXPECT_EQ(test, cb->seen_flavour, DMA_BUF_FLAVOUR_IOMMU);
	KUNIT_EXPECT_FALSE(test, cb->seen_p2p);
	KUNIT_EXPECT_EQ(test, cb->attached, 1);
	/* the ranges are taken at attach time */
	KUNIT_EXPECT_EQ(test, cb->phyr_maps, 1);
	KUNIT_EXPECT_EQ(test, dma_buf_iommu_size(imp->conv), BUF_SIZE);
	imp_detach(imp);
	KUNIT_EXPECT_EQ(test, cb->phyr_maps, 0);
	KUNIT_EXPECT_EQ(test, cb->attached, 0);

	/* no phyr on offer: an sg_table only, private only */
	KUNIT_EXPECT_EQ(test, imp_attach(imp, legacy, dev, DMA_BUF_FLAVOUR_MMIO), -EOPNOTSUPP);
	cb->offers[0] = (struct dma_buf_flavour_offer){
		.flavour = DMA_BUF_FLAVOUR_PRIVATE, .interconnect = &link };
	KUNIT_EXPECT_EQ(test, imp_attach(imp, cb, dev, DMA_BUF_FLAVOUR_MMIO), -EOPNOTSUPP);
	cb->offers[0] = (struct dma_buf_flavour_offer){
		.flavour = DMA_BUF_FLAVOUR_SG_TABLE, .flags = DMA_BUF_FLAVOUR_CPU };
	KUNIT_EXPECT_EQ(test, imp_attach(imp, cb, dev, DMA_BUF_FLAVOUR_MMIO), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, cb->attached, 0);

	/*
	 * MMIO of a BAR that a KUnit device cannot reach by P2P at all: the
	 * converter attaches with the MMIO flag (it maps through the IOMMU),
	 * and never without it.
	 */
	provider = phyr_kunit_ivshmem_provider(test, &ivshmem);
	KUNIT_ASSERT_EQ(test, pci_p2pdma_map_type(provider, dev), PCI_P2PDMA_MAP_NOT_SUPPORTED);
	cb->offers[0] = (struct dma_buf_flavour_offer){
		.flavour = DMA_BUF_FLAVOUR_PHYR, .flags = DMA_BUF_FLAVOUR_MMIO,
		.provider = provider };
	KUNIT_EXPECT_EQ(test, imp_attach(imp, cb, dev, 0), -EOPNOTSUPP);
	KUNIT_ASSERT_EQ(test, imp_attach(imp, cb, dev, DMA_BUF_FLAVOUR_MMIO), 0);
	KUNIT_EXPECT_TRUE(test, cb->seen_p2p);
	imp_detach(imp);

	/* a revoked buffer, and exporters that refuse */
	cb->offers[0] = (struct dma_buf_flavour_offer){
		.flavour = DMA_BUF_FLAVOUR_PHYR, .flags = DMA_BUF_FLAVOUR_CPU };
	KUNIT_ASSERT_EQ(test, dma_buf_revoke(cb->dmabuf, HZ), 0);
	KUNIT_EXPECT_EQ(test, imp_attach(imp, cb, dev, 0), -ENODEV);
	dma_buf_unrevoke(cb->dmabuf);
	cb->attach_err = -EPERM;
	KUNIT_EXPECT_EQ(test, imp_attach(imp, cb, dev, 0), -EPERM);
	cb->attach_err = 0;
	cb->map_err = -EIO;
	KUNIT_EXPECT_EQ(test, imp_attach(imp, cb, dev, 0), -EIO);
	cb->map_err = 0;
	KUNIT_EXPECT_EQ(test, cb->attached, 0);
	KUNIT_EXPECT_EQ(test, cb->phyr_maps, 0);
	KUNIT_EXPECT_EQ(test, cb->dmabuf->revocable_maps, 0U);
}

/*
 * An exporter that hands out MMIO to a converter that takes RAM only (here,
 * where it even offered CPU RAM) is refused (-EREMOTEIO) and keeps nothing;
 * as for every flavour, the ranges are held to what the importer accepts.
 */
static void iommu_test_broken_promise(struct kunit *test)
{
	struct dma_buf_kunit_exporter *cb = cb_create(test, DMA_BUF_KUNIT_BRIDGE);
	struct device *dev = phyr_kunit_dma_device(test, "conv_imp", 64);
	struct conv_imp *imp = imp_create(test);
	struct p2pdma_provider *provider;
	struct pci_dev *ivshmem;
	phys_addr_t bar;

	provider = phyr_kunit_ivshmem_provider(test, &ivshmem);
	bar = pci_resource_start(ivshmem, PHYR_KUNIT_IVSHMEM_BAR);
	KUNIT_ASSERT_EQ(test, phyr_append_pages(&cb->other, cb->pages, 1, 0, PAGE_SIZE), 0);
	KUNIT_ASSERT_EQ(test, phyr_append_mmio(&cb->other, provider, bar, PAGE_SIZE, 0), 0);
	cb->map = &cb->other;
	KUNIT_EXPECT_EQ(test, imp_attach(imp, cb, dev, 0), -EREMOTEIO);
	KUNIT_EXPECT_EQ(test, cb->phyr_maps, 0);
	KUNIT_EXPECT_EQ(test, cb->attached, 0);
	KUNIT_EXPECT_EQ(test, cb->dmabuf->revocable_maps, 0U);
	/* one that accepts MMIO takes them */
	KUNIT_ASSERT_EQ(test, imp_attach(imp, cb, dev, DMA_BUF_FLAVOUR_MMIO), 0);
	KUNIT_EXPECT_EQ(test, cb->phyr_maps, 1);
	imp_detach(imp);
	/* offered as MMIO: a RAM-only converter does not even attach */
	cb->offers[0].flags = DMA_BUF_FLAVOUR_MMIO;
	cb->offers[0].provider = provider;
	KUNIT_EXPECT_EQ(test, imp_attach(imp, cb, dev, 0), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, cb->attached, 0);
}

/*
 * RAM of NR_PAGES ranges mapped into a domain of edu's, whole and as windows:
 * the domain holds the right pages, and edu's DMA engine, translated by it,
 * copies between them.
 */
static void iommu_test_map_ram(struct kunit *test)
{
	struct phyr_kunit_edu *edu = phyr_kunit_edu_get(test);
	struct iommu_domain *domain = edu_domain(test, edu, true);
	struct dma_buf_kunit_exporter *cb = cb_create(test, DMA_BUF_KUNIT_BRIDGE);
	struct conv_imp *imp = imp_create(test);
	unsigned int i;
	u8 *src, *dst;

	KUNIT_ASSERT_EQ(test, imp_attach(imp, cb, &edu->pdev->dev, DMA_BUF_FLAVOUR_MMIO), 0);
	KUNIT_ASSERT_EQ(test, dma_buf_iommu_map(imp->conv, domain, IOVA_A, 0, BUF_SIZE,
						RW | IOMMU_CACHE), 0);
	for (i = 0; i < NR_PAGES; i++)
		KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, IOVA_A + i * PAGE_SIZE + 8),
				page_to_phys(cb->pages[i]) + 8);

	src = page_address(cb->pages[0]);
	dst = page_address(cb->pages[5]);
	for (i = 0; i < 256; i++)
		src[i] = i ^ 0x5a;
	memset(dst, 0, PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, edu_copy(edu, IOVA_A, IOVA_A + 5 * PAGE_SIZE + 100, 256), 0);
	KUNIT_EXPECT_EQ(test, memcmp(dst + 100, src, 256), 0);
	KUNIT_EXPECT_EQ(test, dst[99], 0);
	KUNIT_EXPECT_EQ(test, dst[356], 0);

	/* a window of pages 2..4 elsewhere in the same domain */
	KUNIT_ASSERT_EQ(test, dma_buf_iommu_map(imp->conv, domain, IOVA_B, 2 * PAGE_SIZE,
						3 * PAGE_SIZE, RW), 0);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, IOVA_B + i * PAGE_SIZE),
				page_to_phys(cb->pages[2 + i]));
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, IOVA_B + 3 * PAGE_SIZE), 0);
	/* the same IOVA again: the IOMMU refuses, the first stays */
	KUNIT_EXPECT_NE(test, dma_buf_iommu_map(imp->conv, domain, IOVA_B, 0, PAGE_SIZE, RW), 0);
	KUNIT_EXPECT_EQ(test, nr_mapped(domain, IOVA_B, 3 * PAGE_SIZE), 3);

	dma_buf_iommu_unmap(imp->conv, domain, IOVA_B, 3 * PAGE_SIZE);
	dma_buf_iommu_unmap(imp->conv, domain, IOVA_A, BUF_SIZE);
	KUNIT_EXPECT_EQ(test, nr_mapped(domain, IOVA_A, BUF_SIZE), 0);
	KUNIT_EXPECT_EQ(test, nr_mapped(domain, IOVA_B, 3 * PAGE_SIZE), 0);
	/* the ranges stay taken until the detach */
	KUNIT_EXPECT_EQ(test, cb->phyr_maps, 1);
}

/* the protection of every range the converter maps, seen through a stub */
struct prot_log {
	unsigned int n;
	phys_addr_t phys[8];
	int prot[8];
};

static struct prot_log *prot_log;

static int log_map_range(struct iommu_domain *domain, unsigned long iova,
			 phys_addr_t phys, size_t len, int prot)
{
	if (prot_log->n < ARRAY_SIZE(prot_log->prot)) {
		prot_log->phys[prot_log->n] = phys;
		prot_log->prot[prot_log->n] = prot;
	}
	prot_log->n++;
	return iommu_map_nosync(domain, iova, phys, len, prot, GFP_KERNEL);
}

/*
 * RAM and MMIO in one buffer: RAM with the importer's prot, MMIO without
 * IOMMU_CACHE and with IOMMU_MMIO; edu reads the BAR through the mapping
 * (the IOVA maps the BAR's CPU physical address) and writes RAM.
 */
static void iommu_test_map_mmio(struct kunit *test)
{
	struct phyr_kunit_edu *edu = phyr_kunit_edu_get(test);
	struct iommu_domain *domain = edu_domain(test, edu, true);
	struct dma_buf_kunit_exporter *cb = cb_create(test, DMA_BUF_KUNIT_BRIDGE);
	struct conv_imp *imp = imp_create(test);
	struct p2pdma_provider *provider;
	struct pci_dev *ivshmem;
	void __iomem *va;
	phys_addr_t bar;
	unsigned int i;
	u8 *dst;
	u8 pat[256];

	prot_log = kunit_kzalloc(test, sizeof(*prot_log), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, prot_log);
	provider = phyr_kunit_ivshmem_provider(test, &ivshmem);
	/* the last 64 KiB of the BAR */
	bar = pci_resource_end(ivshmem, PHYR_KUNIT_IVSHMEM_BAR) + 1 - SZ_64K;
	KUNIT_ASSERT_EQ(test, phyr_append_pages(&cb->other, cb->pages, 2, 0, 2 * PAGE_SIZE), 0);
	KUNIT_ASSERT_EQ(test, phyr_append_mmio(&cb->other, provider, bar, 2 * PAGE_SIZE,
					       PHYR_ATTR_WC), 0);
	KUNIT_ASSERT_EQ(test, phyr_nr_ranges(&cb->other), 3);
	cb->map = &cb->other;
	cb->offers[0] = (struct dma_buf_flavour_offer){
		.flavour = DMA_BUF_FLAVOUR_PHYR, .flags = DMA_BUF_FLAVOUR_MMIO,
		.provider = provider };

	va = ioremap_wc(bar, 2 * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, va);
	for (i = 0; i < sizeof(pat); i++)
		pat[i] = 0xa5 ^ (i * 7);
	memcpy_toio(va + PAGE_SIZE + 64, pat, sizeof(pat));
	/* the write-combined stores reach the BAR before edu reads it */
	wmb();
	iounmap(va);

	KUNIT_ASSERT_EQ(test, imp_attach(imp, cb, &edu->pdev->dev, DMA_BUF_FLAVOUR_MMIO), 0);
	kunit_activate_static_stub(test, dma_buf_iommu_map_range, log_map_range);
	KUNIT_ASSERT_EQ(test, dma_buf_iommu_map(imp->conv, domain, IOVA_A, 0, 4 * PAGE_SIZE,
						RW | IOMMU_CACHE), 0);
	kunit_deactivate_static_stub(test, dma_buf_iommu_map_range);
	KUNIT_ASSERT_EQ(test, prot_log->n, 3);
	KUNIT_EXPECT_EQ(test, prot_log->prot[0], RW | IOMMU_CACHE);
	KUNIT_EXPECT_EQ(test, prot_log->prot[1], RW | IOMMU_CACHE);
	KUNIT_EXPECT_EQ(test, prot_log->prot[2], RW | IOMMU_MMIO);
	KUNIT_EXPECT_EQ(test, prot_log->phys[2], bar);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, IOVA_A + 3 * PAGE_SIZE), bar + PAGE_SIZE);

	/* BAR page 1 (the buffer's page 3) into RAM page 1 by edu's DMA */
	dst = page_address(cb->pages[1]);
	memset(dst, 0, PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, edu_copy(edu, IOVA_A + 3 * PAGE_SIZE + 64, IOVA_A + PAGE_SIZE,
				       sizeof(pat)), 0);
	KUNIT_EXPECT_EQ(test, memcmp(dst, pat, sizeof(pat)), 0);
	dma_buf_iommu_unmap(imp->conv, domain, IOVA_A, 4 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, nr_mapped(domain, IOVA_A, 4 * PAGE_SIZE), 0);
}

/* Windows at the edges of the buffer and of the IOVA space, and beyond. */
static void iommu_test_window(struct kunit *test)
{
	struct phyr_kunit_edu *edu = phyr_kunit_edu_get(test);
	struct iommu_domain *domain = edu_domain(test, edu, false);
	struct dma_buf_kunit_exporter *cb = cb_create(test, DMA_BUF_KUNIT_BRIDGE);
	struct conv_imp *imp = imp_create(test);
	struct dma_buf_iommu *conv;

	KUNIT_ASSERT_EQ(test, imp_attach(imp, cb, &edu->pdev->dev, 0), 0);
	conv = imp->conv;
	KUNIT_EXPECT_EQ(test, dma_buf_iommu_map(conv, domain, IOVA_A, 0, 0, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, dma_buf_iommu_map(conv, domain, IOVA_A, BUF_SIZE, PAGE_SIZE, RW),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, dma_buf_iommu_map(conv, domain, IOVA_A, BUF_SIZE - PAGE_SIZE,
						2 * PAGE_SIZE, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, dma_buf_iommu_map(conv, domain, IOVA_A, 0, BUF_SIZE + PAGE_SIZE,
						RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, dma_buf_iommu_map(conv, domain, IOVA_A, U64_MAX - PAGE_SIZE + 1,
						2 * PAGE_SIZE, RW), -EINVAL);
	/* an IOVA range that wraps */
	KUNIT_EXPECT_EQ(test, dma_buf_iommu_map(conv, domain, ULONG_MAX - PAGE_SIZE + 1, 0,
						2 * PAGE_SIZE, RW), -EINVAL);
	/* the IOMMU maps pages: half a page in is refused, and leaves nothing */
	KUNIT_EXPECT_EQ(test, dma_buf_iommu_map(conv, domain, IOVA_A, PAGE_SIZE / 2,
						PAGE_SIZE, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, dma_buf_iommu_map(conv, domain, IOVA_A + PAGE_SIZE / 2, 0,
						PAGE_SIZE, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, nr_mapped(domain, IOVA_A, BUF_SIZE), 0);

	/* the first and the last page, and the whole buffer */
	KUNIT_ASSERT_EQ(test, dma_buf_iommu_map(conv, domain, IOVA_A, 0, PAGE_SIZE, RW), 0);
	KUNIT_ASSERT_EQ(test, dma_buf_iommu_map(conv, domain, IOVA_A + SZ_1M,
						BUF_SIZE - PAGE_SIZE, PAGE_SIZE, RW), 0);
	KUNIT_ASSERT_EQ(test, dma_buf_iommu_map(conv, domain, IOVA_B, 0, BUF_SIZE, RW), 0);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, IOVA_A), page_to_phys(cb->pages[0]));
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, IOVA_A + PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, IOVA_A + SZ_1M),
			page_to_phys(cb->pages[NR_PAGES - 1]));
	KUNIT_EXPECT_EQ(test, nr_mapped(domain, IOVA_B, BUF_SIZE), NR_PAGES);
	dma_buf_iommu_unmap(conv, domain, IOVA_A, PAGE_SIZE);
	dma_buf_iommu_unmap(conv, domain, IOVA_A + SZ_1M, PAGE_SIZE);
	dma_buf_iommu_unmap(conv, domain, IOVA_B, BUF_SIZE);
	KUNIT_EXPECT_EQ(test, nr_mapped(domain, IOVA_B, BUF_SIZE), 0);
}

/*
 * A revoke while the buffer is mapped into three windows of two domains: when
 * dma_buf_revoke() returns, no domain maps anything, the exporter has its
 * ranges back and the importer was told, under the reservation with the
 * converter's lock free (its callback unmaps, which takes that lock).  edu's
 * DMA to the old IOVA then faults (a DMAR fault in the log) and changes
 * nothing; no new map succeeds.
 */
static void iommu_test_revoke(struct kunit *test)
{
	struct phyr_kunit_edu *edu = phyr_kunit_edu_get(test);
	struct iommu_domain *d1 = edu_domain(test, edu, true);
	struct iommu_domain *d2 = edu_domain(test, edu, false);
	struct dma_buf_kunit_exporter *cb = cb_create(test, DMA_BUF_KUNIT_BRIDGE);
	struct conv_imp *imp = imp_create(test);
	u8 *page = page_address(cb->pages[3]);

	KUNIT_ASSERT_EQ(test, imp_attach(imp, cb, &edu->pdev->dev, 0), 0);
	/* mapped as iommufd does: with the importer's own lock held */
	mutex_lock(&imp->lock);
	KUNIT_ASSERT_EQ(test, dma_buf_iommu_map(imp->conv, d1, IOVA_A, 0, BUF_SIZE, RW), 0);
	KUNIT_ASSERT_EQ(test, dma_buf_iommu_map(imp->conv, d1, IOVA_B, PAGE_SIZE,
						PAGE_SIZE, RW), 0);
	KUNIT_ASSERT_EQ(test, dma_buf_iommu_map(imp->conv, d2, IOVA_A, 0, BUF_SIZE, RW), 0);
	imp->domain = d1;
	imp->iova = IOVA_A;
	mutex_unlock(&imp->lock);
	KUNIT_EXPECT_EQ(test, cb->dmabuf->revocable_maps, 1U);

	KUNIT_ASSERT_EQ(test, dma_buf_revoke(cb->dmabuf, HZ), 0);
	KUNIT_EXPECT_EQ(test, imp->invalidated, 1);
	KUNIT_EXPECT_EQ(test, cb->phyr_maps, 0);
	KUNIT_EXPECT_EQ(test, nr_mapped(d1, IOVA_A, BUF_SIZE), 0);
	KUNIT_EXPECT_EQ(test, nr_mapped(d1, IOVA_B, PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, nr_mapped(d2, IOVA_A, BUF_SIZE), 0);

	memset(page, 0x33, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, phyr_kunit_edu_dma(edu, IOVA_A + 3 * PAGE_SIZE, 0, 64, true), 0);
	KUNIT_EXPECT_EQ(test, page[0], 0x33);
	KUNIT_EXPECT_EQ(test, page[63], 0x33);

	KUNIT_EXPECT_EQ(test, dma_buf_iommu_map(imp->conv, d1, IOVA_A, 0, BUF_SIZE, RW),
			-ENODEV);
	/* the importer's own unmaps after the revoke find nothing to do */
	dma_buf_iommu_unmap(imp->conv, d1, IOVA_B, PAGE_SIZE);
	dma_buf_iommu_unmap(imp->conv, d2, IOVA_A, BUF_SIZE);
	imp_detach(imp);
	dma_buf_unrevoke(cb->dmabuf);
	KUNIT_EXPECT_EQ(test, cb->attached, 0);
	KUNIT_EXPECT_EQ(test, imp->invalidated, 1);
}

/*
 * A move (an invalidate without revoke) unmaps the same way; the importer
 * attaches again and maps the buffer's new place.
 */
static void iommu_test_move(struct kunit *test)
{
	struct phyr_kunit_edu *edu = phyr_kunit_edu_get(test);
	struct iommu_domain *domain = edu_domain(test, edu, false);
	struct dma_buf_kunit_exporter *cb = cb_create(test, DMA_BUF_KUNIT_BRIDGE);
	struct conv_imp *imp = imp_create(test);

	KUNIT_ASSERT_EQ(test, imp_attach(imp, cb, &edu->pdev->dev, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_append_pages(&cb->other, &cb->pages[NR_PAGES], NR_PAGES, 0,
						BUF_SIZE), 0);
	KUNIT_ASSERT_EQ(test, dma_buf_iommu_map(imp->conv, domain, IOVA_A, 0, BUF_SIZE, RW), 0);
	dma_resv_lock(cb->dmabuf->resv, NULL);
	cb->map = &cb->other;
	dma_buf_invalidate_mappings(cb->dmabuf);
	dma_resv_unlock(cb->dmabuf->resv);
	KUNIT_EXPECT_EQ(test, imp->invalidated, 1);
	KUNIT_EXPECT_EQ(test, cb->phyr_maps, 0);
	KUNIT_EXPECT_EQ(test, nr_mapped(domain, IOVA_A, BUF_SIZE), 0);
	KUNIT_EXPECT_EQ(test, dma_buf_iommu_map(imp->conv, domain, IOVA_A, 0, BUF_SIZE, RW),
			-ENODEV);
	imp_detach(imp);

	KUNIT_ASSERT_EQ(test, imp_attach(imp, cb, &edu->pdev->dev, 0), 0);
	KUNIT_ASSERT_EQ(test, dma_buf_iommu_map(imp->conv, domain, IOVA_A, 0, BUF_SIZE, RW), 0);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, IOVA_A + 2 * PAGE_SIZE),
			page_to_phys(spare_page(cb, 2)));
	dma_buf_iommu_unmap(imp->conv, domain, IOVA_A, BUF_SIZE);
}

/* how long a test waits for another thread to get somewhere */
#define WAIT_BOUND	(5 * HZ)

/*
 * A revoke started from the middle of a map, by a worker.  A second importer,
 * attached after the converter, is told of the revoke just before the
 * converter is (dma_buf_invalidate_mappings() goes newest first): the map
 * goes on only once the revoke has come that far.
 */
struct revoker {
	struct work_struct work;
	struct dma_buf *dmabuf;
	struct conv_imp *imp;
	struct completion revoking;
	int ret;
	bool started;
	/* the revoke told the importers while the map was under way */
	bool came_during_map;
	/* the converter was invalidated before the map had mapped everything */
	bool invalidated_during_map;
	unsigned int map_calls;
};

static struct revoker *revoker;

static void revoke_work(struct work_struct *work)
{
	struct revoker *r = container_of(work, struct revoker, work);

	r->ret = dma_buf_revoke(r->dmabuf, 5 * HZ);
}

static void sentinel_invalidate(struct dma_buf_attachment *a)
{
	struct revoker *r = a->importer_priv;

	complete(&r->revoking);
}

static const struct dma_buf_attach_ops sentinel_ops = {
	.invalidate_mappings = sentinel_invalidate,
};

static int revoke_in_map_range(struct iommu_domain *domain, unsigned long iova,
			       phys_addr_t phys, size_t len, int prot)
{
	struct revoker *r = revoker;

	if (!r->started) {
		r->started = true;
		schedule_work(&r->work);
		r->came_during_map = wait_for_completion_timeout(&r->revoking, WAIT_BOUND);
	} else if (READ_ONCE(r->imp->invalidated)) {
		r->invalidated_during_map = true;
	}
	r->map_calls++;
	return iommu_map_nosync(domain, iova, phys, len, prot, GFP_KERNEL);
}

/*
 * A revoke that comes while a map is writing the page tables waits for it and
 * then unmaps what it mapped: no window survives a revoke.  One that comes
 * between attach and map makes the map fail with nothing mapped.
 */
static void iommu_test_revoke_during_map(struct kunit *test)
{
	struct phyr_kunit_edu *edu = phyr_kunit_edu_get(test);
	struct iommu_domain *domain = edu_domain(test, edu, false);
	struct dma_buf_kunit_exporter *cb = cb_create(test, DMA_BUF_KUNIT_BRIDGE);
	struct conv_imp *imp = imp_create(test);
	struct dma_buf_attachment *sentinel;
	int ret;

	revoker = kunit_kzalloc(test, sizeof(*revoker), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, revoker);
	INIT_WORK(&revoker->work, revoke_work);
	init_completion(&revoker->revoking);
	revoker->dmabuf = cb->dmabuf;
	revoker->imp = imp;

	KUNIT_ASSERT_EQ(test, imp_attach(imp, cb, &edu->pdev->dev, 0), 0);
	sentinel = dma_buf_dynamic_attach(cb->dmabuf, &edu->pdev->dev, &sentinel_ops, revoker);
	KUNIT_ASSERT_FALSE(test, IS_ERR(sentinel));
	kunit_activate_static_stub(test, dma_buf_iommu_map_range, revoke_in_map_range);
	ret = dma_buf_iommu_map(imp->conv, domain, IOVA_A, 0, BUF_SIZE, RW);
	kunit_deactivate_static_stub(test, dma_buf_iommu_map_range);
	flush_work(&revoker->work);
	dma_buf_detach(cb->dmabuf, sentinel);
	KUNIT_EXPECT_TRUE_MSG(test, revoker->came_during_map,
			      "the revoke did not reach the importers during the map");
	KUNIT_EXPECT_FALSE_MSG(test, revoker->invalidated_during_map,
			       "the converter was invalidated in the middle of a map");
	KUNIT_EXPECT_EQ(test, revoker->map_calls, NR_PAGES);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, revoker->ret, 0);
	KUNIT_EXPECT_EQ(test, imp->invalidated, 1);
	KUNIT_EXPECT_EQ(test, nr_mapped(domain, IOVA_A, BUF_SIZE), 0);
	KUNIT_EXPECT_EQ(test, cb->phyr_maps, 0);
	imp_detach(imp);
	dma_buf_unrevoke(cb->dmabuf);

	KUNIT_ASSERT_EQ(test, imp_attach(imp, cb, &edu->pdev->dev, 0), 0);
	KUNIT_ASSERT_EQ(test, dma_buf_revoke(cb->dmabuf, HZ), 0);
	KUNIT_EXPECT_EQ(test, dma_buf_iommu_map(imp->conv, domain, IOVA_A, 0, BUF_SIZE, RW),
			-ENODEV);
	KUNIT_EXPECT_EQ(test, nr_mapped(domain, IOVA_A, BUF_SIZE), 0);
	imp_detach(imp);
	dma_buf_unrevoke(cb->dmabuf);
}

/* failing the n-th call of a step */
static int fail_at, calls;

static void *fail_alloc(size_t size)
{
	if (calls++ == fail_at)
		return NULL;
	return kzalloc(size, GFP_KERNEL);
}

static int fail_map_range(struct iommu_domain *domain, unsigned long iova,
			  phys_addr_t phys, size_t len, int prot)
{
	if (calls++ == fail_at)
		return -ENOMEM;
	return iommu_map_nosync(domain, iova, phys, len, prot, GFP_KERNEL);
}

static int fail_sync(struct iommu_domain *domain, unsigned long iova, size_t len)
{
	return -EIO;
}

/*
 * Every step that can fail, failed: the converter's allocation at attach
 * and at map, each range's page table write, the IOTLB sync.  Each time the
 * call fails with the step's error, nothing stays attached or mapped, and
 * the same call succeeds once the step works again.
 */
static void iommu_test_failures(struct kunit *test)
{
	struct phyr_kunit_edu *edu = phyr_kunit_edu_get(test);
	struct iommu_domain *domain = edu_domain(test, edu, false);
	struct dma_buf_kunit_exporter *cb = cb_create(test, DMA_BUF_KUNIT_BRIDGE);
	struct conv_imp *imp = imp_create(test);
	struct device *dev = &edu->pdev->dev;

	calls = 0;
	fail_at = 0;
	kunit_activate_static_stub(test, dma_buf_iommu_alloc, fail_alloc);
	KUNIT_EXPECT_EQ(test, imp_attach(imp, cb, dev, 0), -ENOMEM);
	KUNIT_EXPECT_EQ(test, cb->attached, 0);
	KUNIT_ASSERT_EQ(test, imp_attach(imp, cb, dev, 0), 0);
	calls = 0;
	KUNIT_EXPECT_EQ(test, dma_buf_iommu_map(imp->conv, domain, IOVA_A, 0, BUF_SIZE, RW),
			-ENOMEM);
	kunit_deactivate_static_stub(test, dma_buf_iommu_alloc);
	KUNIT_EXPECT_EQ(test, nr_mapped(domain, IOVA_A, BUF_SIZE), 0);

	kunit_activate_static_stub(test, dma_buf_iommu_map_range, fail_map_range);
	for (fail_at = 0; fail_at < NR_PAGES; fail_at++) {
		calls = 0;
		KUNIT_EXPECT_EQ(test, dma_buf_iommu_map(imp->conv, domain, IOVA_A, 0,
							BUF_SIZE, RW), -ENOMEM);
		KUNIT_EXPECT_EQ(test, calls, fail_at + 1);
		KUNIT_EXPECT_EQ(test, nr_mapped(domain, IOVA_A, BUF_SIZE), 0);
	}
	kunit_deactivate_static_stub(test, dma_buf_iommu_map_range);

	kunit_activate_static_stub(test, dma_buf_iommu_sync, fail_sync);
	KUNIT_EXPECT_EQ(test, dma_buf_iommu_map(imp->conv, domain, IOVA_A, 0, BUF_SIZE, RW),
			-EIO);
	kunit_deactivate_static_stub(test, dma_buf_iommu_sync);
	KUNIT_EXPECT_EQ(test, nr_mapped(domain, IOVA_A, BUF_SIZE), 0);

	/* nothing was left behind: the whole window maps, and unmaps */
	KUNIT_ASSERT_EQ(test, dma_buf_iommu_map(imp->conv, domain, IOVA_A, 0, BUF_SIZE, RW), 0);
	KUNIT_EXPECT_EQ(test, nr_mapped(domain, IOVA_A, BUF_SIZE), NR_PAGES);
	dma_buf_iommu_unmap(imp->conv, domain, IOVA_A, BUF_SIZE);
	imp_detach(imp);
	KUNIT_EXPECT_EQ(test, cb->phyr_maps, 0);
	KUNIT_EXPECT_EQ(test, cb->attached, 0);
	KUNIT_EXPECT_EQ(test, cb->dmabuf->revocable_maps, 0U);
}

/*
 * The ranges are handed to the converter only once the kernel fences
 * signalled: the attach returns after the fence signalled, which happens
 * only after the attach started waiting for it.
 */
static void iommu_test_fence(struct kunit *test)
{
	struct dma_buf_kunit_exporter *cb = cb_create(test, DMA_BUF_KUNIT_BRIDGE);
	struct device *dev = phyr_kunit_dma_device(test, "conv_imp", 64);
	struct conv_imp *imp = imp_create(test);
	/* a kernel fence (a move's copy, say) that signals once waited for */
	struct dma_buf_kunit_late_fence *f = dma_buf_kunit_late_fence(test, "conv_test");

	KUNIT_ASSERT_EQ(test, dma_buf_kunit_late_fence_add(f, cb->dmabuf->resv,
							   DMA_RESV_USAGE_KERNEL), 0);
	dma_buf_kunit_late_fence_signal_on_wait(f, WAIT_BOUND);
	KUNIT_EXPECT_EQ(test, imp_attach(imp, cb, dev, 0), 0);
	KUNIT_EXPECT_TRUE_MSG(test, dma_fence_is_signaled(&f->base),
			      "the attach returned before the fence signalled");
	flush_delayed_work(&f->work);
	KUNIT_EXPECT_TRUE_MSG(test, f->had_waiter, "the attach never waited for the fence");
	imp_detach(imp);
}

static struct kunit_case dma_buf_iommu_test_cases[] = {
	KUNIT_CASE(iommu_test_attach),
	KUNIT_CASE(iommu_test_broken_promise),
	KUNIT_CASE(iommu_test_map_ram),
	KUNIT_CASE(iommu_test_map_mmio),
	KUNIT_CASE(iommu_test_window),
	KUNIT_CASE(iommu_test_revoke),
	KUNIT_CASE(iommu_test_move),
	KUNIT_CASE(iommu_test_revoke_during_map),
	KUNIT_CASE(iommu_test_failures),
	KUNIT_CASE(iommu_test_fence),
	{}
};

static struct kunit_suite dma_buf_iommu_test_suite = {
	.name = "dma_buf_iommu",
	.test_cases = dma_buf_iommu_test_cases,
};

/*
 * dma_buf_phys_vec_to_sgt() and dma_buf_free_sgt(), as VFIO's sg_table path
 * uses them: an exporter of two ranges of an ivshmem BAR, mapped and unmapped
 * by an sg_table importer (edu) many times.  Behind the switch edu reaches
 * the BAR by bus address; on the root bus the map is refused.  Each table
 * that dma_buf_free_sgt() did not free would show up in the boot's kmemleak
 * report, which fails the run.
 */
struct vec_buf {
	struct p2pdma_provider *provider;
	struct phys_vec vecs[2];
};

static struct sg_table *vec_map(struct dma_buf_attachment *a, enum dma_data_direction dir)
{
	struct vec_buf *vb = a->dmabuf->priv;

	return dma_buf_phys_vec_to_sgt(a, vb->provider, vb->vecs, 2, 2 * PAGE_SIZE, dir);
}

static void vec_unmap(struct dma_buf_attachment *a, struct sg_table *sgt,
		      enum dma_data_direction dir)
{
	dma_buf_free_sgt(a, sgt, dir);
}

static void vec_release(struct dma_buf *dmabuf)
{
}

static int vec_attach(struct dma_buf *dmabuf, struct dma_buf_attachment *a)
{
	return a->peer2peer ? 0 : -EOPNOTSUPP;
}

static const struct dma_buf_ops vec_ops = {
	.attach = vec_attach,
	.map_dma_buf = vec_map,
	.unmap_dma_buf = vec_unmap,
	.release = vec_release,
};

static void vec_invalidate(struct dma_buf_attachment *a)
{
}

static const struct dma_buf_attach_ops vec_importer_ops = {
	.allow_peer2peer = true,
	.invalidate_mappings = vec_invalidate,
};

static void put_dmabuf(void *data)
{
	dma_buf_put(data);
}

static void phys_vec_test_free_sgt(struct kunit *test)
{
	enum pci_p2pdma_map_type want = phyr_kunit_p2p_expected(test, 0);
	struct phyr_kunit_edu *edu = phyr_kunit_edu_get(test);
	struct vec_buf *vb = kunit_kzalloc(test, sizeof(*vb), GFP_KERNEL);
	DEFINE_DMA_BUF_EXPORT_INFO(exp);
	struct dma_buf_attachment *a;
	struct pci_dev *ivshmem;
	struct dma_buf *dmabuf;
	struct sg_table *sgt;
	phys_addr_t bar;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, vb);
	vb->provider = phyr_kunit_ivshmem_provider(test, &ivshmem);
	bar = pci_resource_end(ivshmem, PHYR_KUNIT_IVSHMEM_BAR) + 1 - SZ_64K;
	vb->vecs[0] = (struct phys_vec){ .paddr = bar, .len = PAGE_SIZE };
	vb->vecs[1] = (struct phys_vec){ .paddr = bar + 2 * PAGE_SIZE, .len = PAGE_SIZE };
	exp.ops = &vec_ops;
	exp.size = 2 * PAGE_SIZE;
	exp.flags = O_RDWR;
	exp.priv = vb;
	dmabuf = dma_buf_export(&exp);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dmabuf));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, put_dmabuf, dmabuf), 0);
	a = dma_buf_dynamic_attach(dmabuf, &edu->pdev->dev, &vec_importer_ops, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(a));

	dma_resv_lock(dmabuf->resv, NULL);
	for (i = 0; i < 64; i++) {
		sgt = dma_buf_map_attachment(a, DMA_BIDIRECTIONAL);
		if (want == PCI_P2PDMA_MAP_NOT_SUPPORTED) {
			/* the host bridge is not whitelisted: no P2P at all */
			KUNIT_EXPECT_TRUE(test, IS_ERR(sgt));
			break;
		}
		if (IS_ERR(sgt)) {
			KUNIT_FAIL(test, "map %u: %ld", i, PTR_ERR(sgt));
			break;
		}
		if (want == PCI_P2PDMA_MAP_BUS_ADDR) {
			KUNIT_EXPECT_EQ(test, sgt->nents, 2);
			KUNIT_EXPECT_EQ(test, sg_dma_address(sgt->sgl),
					pci_p2pdma_bus_addr_map(vb->provider, bar));
		} else {
			/* through the host bridge: one IOVA range for both pages */
			KUNIT_EXPECT_EQ(test, sgt->nents, 1);
			KUNIT_EXPECT_EQ(test, phyr_kunit_iova_to_phys(&edu->pdev->dev,
								      sg_dma_address(sgt->sgl)),
					bar);
			KUNIT_EXPECT_EQ(test, phyr_kunit_iova_to_phys(&edu->pdev->dev,
								      sg_dma_address(sgt->sgl) +
								      PAGE_SIZE),
					bar + 2 * PAGE_SIZE);
		}
		dma_buf_unmap_attachment(a, sgt, DMA_BIDIRECTIONAL);
	}
	dma_resv_unlock(dmabuf->resv);
	dma_buf_detach(dmabuf, a);
}

static struct kunit_case dma_buf_phys_vec_test_cases[] = {
	KUNIT_CASE(phys_vec_test_free_sgt),
	{}
};

static struct kunit_suite dma_buf_phys_vec_test_suite = {
	.name = "dma_buf_phys_vec",
	.test_cases = dma_buf_phys_vec_test_cases,
};

kunit_test_suites(&dma_buf_iommu_test_suite, &dma_buf_phys_vec_test_suite);

MODULE_DESCRIPTION("KUnit tests for the dma-buf IOMMU converter");
MODULE_LICENSE("GPL");
