// SPDX-License-Identifier: MIT
/*
 * KUnit tests for phyr_vgem, run at boot against the registered device.
 *
 * Copyright 2026 The phyr developers
 */

#include <kunit/device.h>
#include <kunit/dma-buf.h>
#include <kunit/phyr_pci.h>
#include <kunit/test.h>

#include <linux/dma-buf.h>
#include <linux/dma-buf-cpu.h>
#include <linux/dma-buf-flavour.h>
#include <linux/dma-resv.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/phyr_dma.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/iosys-map.h>
#include <linux/pagemap.h>
#include <linux/scatterlist.h>
#include <linux/workqueue.h>

#include <drm/drm_drv.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_prime.h>

#include "phyr_vgem_drv.h"
#include "phyr_vgem_kunit.h"

MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");

#define TEST_SIZE	(16 * PAGE_SIZE + 1)

struct phyr_vgem_test {
	struct drm_device *drm;
	struct device *importer;
};

/*
 * An importer device on the KUnit bus, with what a real DMA device declares:
 * a DMA mask and a maximum segment size.
 */
static struct device *importer(struct kunit *test, const char *name, int bits)
{
	return phyr_kunit_dma_device(test, name, bits);
}

static int phyr_vgem_test_init(struct kunit *test)
{
	struct phyr_vgem_test *t;

	if (!phyr_vgem_device)
		kunit_skip(test, "phyr_vgem did not register");

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	t->drm = &phyr_vgem_device->drm;

	/* a DMA-capable importer device without an IOMMU */
	t->importer = importer(test, "phyr_vgem_importer", 64);

	test->priv = t;
	return 0;
}

static struct drm_gem_shmem_object *create(struct kunit *test, size_t size)
{
	struct phyr_vgem_test *t = test->priv;
	struct drm_gem_shmem_object *shmem;

	shmem = drm_gem_shmem_create(t->drm, size);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(shmem), "drm_gem_shmem_create: %ld", PTR_ERR(shmem));
	return shmem;
}

static u32 pattern(size_t i)
{
	return (u32)i * 2654435761u ^ 0xa5a55a5au;
}

/* Objects are page-rounded, belong to our device and are write-combined. */
static void phyr_vgem_test_create(struct kunit *test)
{
	struct phyr_vgem_test *t = test->priv;
	struct drm_gem_shmem_object *shmem = create(test, TEST_SIZE);

	KUNIT_EXPECT_EQ(test, shmem->base.size, PAGE_ALIGN(TEST_SIZE));
	KUNIT_EXPECT_PTR_EQ(test, shmem->base.dev, t->drm);
	KUNIT_EXPECT_TRUE(test, shmem->map_wc);
	drm_gem_object_put(&shmem->base);
}

/* A PRIME export has our object's size and ops, and importing it back is a no-op. */
static void phyr_vgem_test_export_import_self(struct kunit *test)
{
	struct phyr_vgem_test *t = test->priv;
	struct drm_gem_shmem_object *shmem = create(test, TEST_SIZE);
	struct drm_gem_object *obj = &shmem->base, *back;
	struct dma_buf *dmabuf;

	dmabuf = obj->funcs->export(obj, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dmabuf));
	KUNIT_EXPECT_EQ(test, dmabuf->size, obj->size);
	KUNIT_EXPECT_PTR_EQ(test, dmabuf->priv, (void *)obj);

	back = t->drm->driver->gem_prime_import(t->drm, dmabuf);
	KUNIT_EXPECT_PTR_EQ(test, back, obj);
	if (!IS_ERR(back))
		drm_gem_object_put(back);

	dma_buf_put(dmabuf);
	drm_gem_object_put(obj);
}

/*
 * An importer's mapping covers the whole object, and bytes written through the
 * exporter's kernel mapping are the bytes of the pages the importer maps.
 */
static void phyr_vgem_test_attach_map(struct kunit *test)
{
	struct phyr_vgem_test *t = test->priv;
	struct drm_gem_shmem_object *shmem = create(test, TEST_SIZE);
	struct dma_buf_attachment *attach;
	struct sg_page_iter piter;
	struct iosys_map map;
	struct dma_buf *dmabuf;
	struct scatterlist *sg;
	struct sg_table *sgt;
	size_t dma_len = 0, cpu_len = 0, i, bad = 0;
	unsigned int n;
	u32 *va;

	dmabuf = shmem->base.funcs->export(&shmem->base, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dmabuf));

	KUNIT_ASSERT_EQ(test, dma_buf_vmap_unlocked(dmabuf, &map), 0);
	va = map.vaddr;
	for (i = 0; i < dmabuf->size / sizeof(u32); i++)
		va[i] = pattern(i);
	dma_buf_vunmap_unlocked(dmabuf, &map);

	attach = dma_buf_attach(dmabuf, t->importer);
	KUNIT_ASSERT_FALSE(test, IS_ERR(attach));
	sgt = dma_buf_map_attachment_unlocked(attach, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(sgt));

	for_each_sgtable_dma_sg(sgt, sg, n)
		dma_len += sg_dma_len(sg);
	KUNIT_EXPECT_EQ(test, dma_len, dmabuf->size);

	/* walk the CPU side of the same table: the pattern, page by page, in order */
	for_each_sgtable_page(sgt, &piter, 0) {
		u32 *p = kmap_local_page(sg_page_iter_page(&piter));
		size_t w, base = cpu_len / sizeof(u32);

		for (w = 0; w < PAGE_SIZE / sizeof(u32); w++)
			bad += p[w] != pattern(base + w);
		kunmap_local(p);
		cpu_len += PAGE_SIZE;
	}
	KUNIT_EXPECT_EQ(test, cpu_len, dmabuf->size);
	KUNIT_EXPECT_EQ(test, bad, 0);

	dma_buf_unmap_attachment_unlocked(attach, sgt, DMA_BIDIRECTIONAL);
	dma_buf_detach(dmabuf, attach);
	dma_buf_put(dmabuf);
	drm_gem_object_put(&shmem->base);
}

/* Two importers attach to one buffer at once and each gets a full mapping. */
static void phyr_vgem_test_two_importers(struct kunit *test)
{
	struct phyr_vgem_test *t = test->priv;
	struct drm_gem_shmem_object *shmem = create(test, 4 * PAGE_SIZE);
	struct dma_buf_attachment *a, *b;
	struct sg_table *sa, *sb;
	struct dma_buf *dmabuf;
	struct device *other;

	other = importer(test, "phyr_vgem_importer2", 32);

	dmabuf = shmem->base.funcs->export(&shmem->base, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dmabuf));
	a = dma_buf_attach(dmabuf, t->importer);
	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	b = dma_buf_attach(dmabuf, other);
	KUNIT_ASSERT_FALSE(test, IS_ERR(b));

	sa = dma_buf_map_attachment_unlocked(a, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(sa));
	sb = dma_buf_map_attachment_unlocked(b, DMA_FROM_DEVICE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(sb));
	KUNIT_EXPECT_GE(test, sa->nents, 1U);
	KUNIT_EXPECT_GE(test, sb->nents, 1U);

	dma_buf_unmap_attachment_unlocked(b, sb, DMA_FROM_DEVICE);
	dma_buf_unmap_attachment_unlocked(a, sa, DMA_TO_DEVICE);
	dma_buf_detach(dmabuf, b);
	dma_buf_detach(dmabuf, a);
	dma_buf_put(dmabuf);
	drm_gem_object_put(&shmem->base);
}

/* The DMA address of byte @off of a dma_vec list, if @len bytes follow it in one vec. */
static dma_addr_t vec_addr(struct kunit *test, const struct dma_vec *vecs,
			   unsigned int nr, size_t off, size_t len)
{
	unsigned int i;

	for (i = 0; i < nr; off -= vecs[i].len, i++) {
		if (off < vecs[i].len) {
			KUNIT_ASSERT_LE(test, off + len, vecs[i].len);
			return vecs[i].addr + off;
		}
	}
	KUNIT_FAIL_AND_ABORT(test, "offset %zu beyond the mapping", off);
	return 0;
}

/* The same for an sg_table's DMA side, turned into dma_vecs. */
static dma_addr_t sgt_addr(struct kunit *test, struct sg_table *sgt,
			   size_t off, size_t len)
{
	struct dma_vec *vecs;
	struct scatterlist *sg;
	unsigned int i;

	vecs = kunit_kcalloc(test, sgt->nents, sizeof(*vecs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, vecs);
	for_each_sgtable_dma_sg(sgt, sg, i) {
		vecs[i].addr = sg_dma_address(sg);
		vecs[i].len = sg_dma_len(sg);
	}
	return vec_addr(test, vecs, sgt->nents, off, len);
}

#define EDU_SRC		(PAGE_SIZE + 100)	/* in page 1 */
#define EDU_DST		(3 * PAGE_SIZE + 200)	/* in page 3 */
#define EDU_LEN		1024

/*
 * phyr_vgem exports through the negotiation, offering phyr and sg_table.
 * With each importer preference edu attaches, the chosen flavour is the
 * importer's first, and edu's DMA engine copies bytes of page 1 to page 3
 * through the mapped addresses: the CPU finds them there.
 */
static void phyr_vgem_test_flavours_edu(struct kunit *test)
{
	static const struct dma_buf_flavour_req phyr = { .flavour = DMA_BUF_FLAVOUR_PHYR };
	static const struct dma_buf_flavour_req sg = { .flavour = DMA_BUF_FLAVOUR_SG_TABLE };
	const struct {
		struct dma_buf_flavour_req reqs[2];
		unsigned int nr;
	} prefs[] = {
		{ { phyr }, 1 }, { { sg }, 1 }, { { phyr, sg }, 2 }, { { sg, phyr }, 2 },
	};
	struct phyr_kunit_edu *edu = phyr_kunit_edu_get(test);
	struct drm_gem_shmem_object *shmem = create(test, 4 * PAGE_SIZE);
	struct dma_buf *dmabuf;
	struct iosys_map vmap;
	unsigned int p, i;
	u8 *va;

	dmabuf = shmem->base.funcs->export(&shmem->base, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dmabuf));
	KUNIT_ASSERT_EQ(test, dma_buf_vmap_unlocked(dmabuf, &vmap), 0);
	va = vmap.vaddr;
	for (i = 0; i < dmabuf->size; i++)
		va[i] = (u8)(i * 7 + i / PAGE_SIZE);

	for (p = 0; p < ARRAY_SIZE(prefs); p++) {
		enum dma_buf_flavour want = prefs[p].reqs[0].flavour;
		struct dma_buf_attachment *a;
		dma_addr_t src, dst;
		struct phyr_dma map;
		struct sg_table *sgt = NULL;

		memset(va + EDU_DST, 0, EDU_LEN);
		a = dma_buf_flavour_attach(dmabuf, &edu->pdev->dev, prefs[p].reqs,
					   prefs[p].nr, NULL, NULL);
		KUNIT_ASSERT_FALSE(test, IS_ERR(a));
		KUNIT_EXPECT_EQ(test, a->flavour, want);
		KUNIT_EXPECT_FALSE(test, a->flavour_bridged);

		dma_resv_lock(dmabuf->resv, NULL);
		if (want == DMA_BUF_FLAVOUR_PHYR) {
			KUNIT_ASSERT_EQ(test, dma_buf_map_phyr_dma(a, &map,
								   DMA_BIDIRECTIONAL, 0), 0);
			if (phyr_kunit_edu_translated(edu))
				KUNIT_EXPECT_EQ(test, map.nr_vecs, 1U);
			src = vec_addr(test, map.vecs, map.nr_vecs, EDU_SRC, EDU_LEN);
			dst = vec_addr(test, map.vecs, map.nr_vecs, EDU_DST, EDU_LEN);
		} else {
			sgt = dma_buf_map_attachment(a, DMA_BIDIRECTIONAL);
			KUNIT_ASSERT_FALSE(test, IS_ERR(sgt));
			src = sgt_addr(test, sgt, EDU_SRC, EDU_LEN);
			dst = sgt_addr(test, sgt, EDU_DST, EDU_LEN);
		}
		KUNIT_EXPECT_EQ(test, phyr_kunit_edu_dma(edu, src, 0, EDU_LEN, false), 0);
		KUNIT_EXPECT_EQ(test, phyr_kunit_edu_dma(edu, dst, 0, EDU_LEN, true), 0);
		if (sgt)
			dma_buf_unmap_attachment(a, sgt, DMA_BIDIRECTIONAL);
		else
			dma_buf_unmap_phyr_dma(a, &map);
		dma_resv_unlock(dmabuf->resv);
		KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(dmabuf, a), 0);

		KUNIT_EXPECT_MEMEQ_MSG(test, va + EDU_DST, va + EDU_SRC, EDU_LEN,
				       "preference %u (%s)", p, dma_buf_flavour_name(want));
	}
	dma_buf_vunmap_unlocked(dmabuf, &vmap);
	dma_buf_put(dmabuf);
	drm_gem_object_put(&shmem->base);
}

/* The shmem builder: one range per contiguous run, the pages in order. */
static void phyr_vgem_test_shmem_phyr(struct kunit *test)
{
	struct drm_gem_shmem_object *shmem = create(test, 8 * PAGE_SIZE);
	struct phyr_page_cursor pc;
	unsigned int n = 0;
	struct phyr phyr;

	phyr_init(&phyr, GFP_KERNEL);
	dma_resv_lock(shmem->base.resv, NULL);
	KUNIT_EXPECT_EQ(test, phyr_vgem_shmem_phyr(shmem, &phyr), -EINVAL);
	KUNIT_EXPECT_TRUE(test, phyr_empty(&phyr));
	KUNIT_ASSERT_EQ(test, drm_gem_shmem_pin_locked(shmem), 0);
	KUNIT_ASSERT_EQ(test, phyr_vgem_shmem_phyr(shmem, &phyr), 0);
	KUNIT_EXPECT_EQ(test, phyr_len(&phyr), (u64)8 * PAGE_SIZE);
	KUNIT_EXPECT_LE(test, phyr_nr_ranges(&phyr), 8UL);
	phyr_page_cursor_init(&pc, &phyr);
	while (phyr_page_cursor_next(&pc)) {
		KUNIT_ASSERT_LT(test, n, 8U);
		KUNIT_EXPECT_EQ(test, pc.phys, page_to_phys(shmem->pages[n]));
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, 8U);
	phyr_destroy(&phyr);
	drm_gem_shmem_unpin_locked(shmem);
	dma_resv_unlock(shmem->base.resv);
	drm_gem_object_put(&shmem->base);
}

/*
 * The phyr_vgem device on ivshmem-plain @n, as phyr_kunit_ivshmem_get()
 * counts them (0 is behind the PCIe switch in the switch boot), or skip.
 */
static struct phyr_vgem_device *pci_vdev(struct kunit *test, unsigned int n)
{
	struct pci_dev *pdev = phyr_kunit_ivshmem_get(n);
	struct phyr_vgem_device *vdev = NULL;

	if (pdev && phyr_vgem_is_pci_device(&pdev->dev))
		vdev = pci_get_drvdata(pdev);
	pci_dev_put(pdev);
	if (!vdev)
		kunit_skip(test, "no phyr_vgem device on ivshmem-plain %u", n);
	return vdev;
}

/*
 * Device memory between two phyr_vgem devices: the importer negotiates the
 * private flavour and gets BAR offsets of the exporter's blocks, not bus
 * addresses.
 */
static void phyr_vgem_test_private(struct kunit *test)
{
	struct phyr_vgem_device *a = pci_vdev(test, 0), *b = pci_vdev(test, 1);
	struct phyr_vgem_private *priv;
	struct drm_gem_object *imported;
	struct phyr_vgem_bo *bo;
	struct dma_buf *dmabuf;
	struct phyr_cursor cur;
	unsigned int i = 0;

	bo = phyr_vgem_bo_create(&a->drm, 5 * PAGE_SIZE, PHYR_VGEM_PLACEMENT_DEVICE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(bo));
	dmabuf = bo->shmem.base.funcs->export(&bo->shmem.base, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dmabuf));

	imported = phyr_vgem_prime_import(&b->drm, dmabuf);
	KUNIT_ASSERT_FALSE(test, IS_ERR(imported));
	KUNIT_EXPECT_EQ(test, imported->import_attach->flavour, DMA_BUF_FLAVOUR_PRIVATE);
	KUNIT_EXPECT_PTR_EQ(test, imported->import_attach->dev, &b->vram->pdev->dev);

	dma_resv_lock(dmabuf->resv, NULL);
	priv = dma_buf_map_private(imported->import_attach);
	KUNIT_ASSERT_FALSE(test, IS_ERR(priv));
	KUNIT_EXPECT_PTR_EQ(test, priv->owner, a->vram->pdev);
	KUNIT_EXPECT_EQ(test, priv->bar, PHYR_VGEM_BAR);
	KUNIT_EXPECT_EQ(test, priv->nr_ranges, phyr_nr_ranges(&bo->vmem->phyr));
	phyr_cursor_init(&cur, &bo->vmem->phyr);
	while (phyr_cursor_next(&cur) && i < priv->nr_ranges) {
		KUNIT_EXPECT_EQ(test, priv->ranges[i].offset, cur.phys - a->vram->base);
		KUNIT_EXPECT_EQ(test, priv->ranges[i].len, (u64)cur.len);
		i++;
	}
	dma_buf_unmap_private(imported->import_attach, priv);
	dma_resv_unlock(dmabuf->resv);

	drm_gem_object_put(imported);
	dma_buf_put(dmabuf);
	drm_gem_object_put(&bo->shmem.base);
}

/*
 * A static importer pins the buffer while it maps it: migration is refused
 * with -EBUSY.  Once userspace moved the buffer to device memory, which the
 * attachment (matched for RAM) cannot use, its next map moves it back to
 * system memory, contents and all, rather than handing it MMIO or failing.
 */
static void phyr_vgem_test_pinned_migrate(struct kunit *test)
{
	static const struct dma_buf_flavour_req ram = { .flavour = DMA_BUF_FLAVOUR_PHYR };
	struct phyr_vgem_test *t = test->priv;
	struct phyr_vgem_device *vdev = pci_vdev(test, 0);
	struct dma_buf_attachment *attach;
	struct phyr_page_cursor pc;
	const struct phyr *phyr;
	struct phyr_vgem_bo *bo;
	struct dma_buf *dmabuf;
	size_t bad = 0;
	pgoff_t i = 0;

	bo = phyr_vgem_bo_create(&vdev->drm, 2 * PAGE_SIZE, PHYR_VGEM_PLACEMENT_SYSTEM, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(bo));
	dmabuf = bo->shmem.base.funcs->export(&bo->shmem.base, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dmabuf));
	attach = dma_buf_flavour_attach(dmabuf, t->importer, &ram, 1, NULL, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(attach));

	dma_resv_lock(dmabuf->resv, NULL);
	phyr = dma_buf_map_phyr(attach);
	KUNIT_ASSERT_FALSE(test, IS_ERR(phyr));
	KUNIT_EXPECT_EQ(test, bo->pins, 1U);
	KUNIT_EXPECT_EQ(test, phyr_vgem_bo_migrate(bo, PHYR_VGEM_PLACEMENT_DEVICE), -EBUSY);
	/* the importer writes the buffer through its pages */
	phyr_page_cursor_init(&pc, phyr);
	while (phyr_page_cursor_next(&pc)) {
		u32 *p = kmap_local_page(phyr_page_cursor_page(&pc));
		size_t w;

		for (w = 0; w < PAGE_SIZE / 4; w++)
			p[w] = pattern(i * PAGE_SIZE / 4 + w);
		kunmap_local(p);
		i++;
	}
	dma_buf_unmap_phyr(attach, phyr);
	KUNIT_EXPECT_EQ(test, bo->pins, 0U);
	KUNIT_EXPECT_EQ(test, phyr_vgem_bo_migrate(bo, PHYR_VGEM_PLACEMENT_DEVICE), 0);
	KUNIT_EXPECT_EQ(test, bo->placement, PHYR_VGEM_PLACEMENT_DEVICE);

	phyr = dma_buf_map_phyr(attach);
	KUNIT_ASSERT_FALSE(test, IS_ERR(phyr));
	KUNIT_EXPECT_EQ(test, bo->placement, PHYR_VGEM_PLACEMENT_SYSTEM);
	i = 0;
	phyr_page_cursor_init(&pc, phyr);
	while (phyr_page_cursor_next(&pc)) {
		struct page *page = phyr_page_cursor_page(&pc);
		u32 *p;
		size_t w;

		KUNIT_ASSERT_NOT_NULL(test, page);
		p = kmap_local_page(page);
		for (w = 0; w < PAGE_SIZE / 4; w++)
			bad += p[w] != pattern(i * PAGE_SIZE / 4 + w);
		kunmap_local(p);
		i++;
	}
	KUNIT_EXPECT_EQ(test, bad, 0);
	dma_buf_unmap_phyr(attach, phyr);
	KUNIT_EXPECT_EQ(test, bo->pins, 0U);
	dma_resv_unlock(dmabuf->resv);

	KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(dmabuf, attach), 0);
	dma_buf_put(dmabuf);
	drm_gem_object_put(&bo->shmem.base);
}

/* A dynamic importer that unmaps when told (from a worker, after @delay). */
struct test_importer {
	struct dma_buf_attachment *a;
	const struct phyr *phyr;
	void *priv;
	struct delayed_work work;
	unsigned long delay;
	int invalidated;
};

static void test_importer_unmap(struct test_importer *imp)
{
	dma_resv_assert_held(imp->a->dmabuf->resv);
	if (imp->phyr)
		dma_buf_unmap_phyr(imp->a, imp->phyr);
	if (imp->priv)
		dma_buf_unmap_private(imp->a, imp->priv);
	imp->phyr = NULL;
	imp->priv = NULL;
}

static void test_importer_work(struct work_struct *work)
{
	struct test_importer *imp = container_of(work, struct test_importer, work.work);

	dma_resv_lock(imp->a->dmabuf->resv, NULL);
	test_importer_unmap(imp);
	dma_resv_unlock(imp->a->dmabuf->resv);
}

static void test_importer_invalidate(struct dma_buf_attachment *a)
{
	struct test_importer *imp = a->importer_priv;

	imp->invalidated++;
	if (imp->delay)
		schedule_delayed_work(&imp->work, imp->delay);
	else
		test_importer_unmap(imp);
}

static const struct dma_buf_attach_ops test_importer_ops = {
	.invalidate_mappings = test_importer_invalidate,
};

static struct test_importer *test_importer_attach(struct kunit *test,
						  struct dma_buf *dmabuf,
						  struct device *dev,
						  const struct dma_buf_flavour_req *req)
{
	struct test_importer *imp = kunit_kzalloc(test, sizeof(*imp), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, imp);
	INIT_DELAYED_WORK(&imp->work, test_importer_work);
	imp->a = dma_buf_flavour_attach(dmabuf, dev, req, 1, &test_importer_ops, imp);
	if (IS_ERR(imp->a))
		return ERR_CAST(imp->a);
	return imp;
}

static void test_importer_detach(struct kunit *test, struct test_importer *imp)
{
	cancel_delayed_work_sync(&imp->work);
	dma_resv_lock(imp->a->dmabuf->resv, NULL);
	test_importer_unmap(imp);
	dma_resv_unlock(imp->a->dmabuf->resv);
	KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(imp->a->dmabuf, imp->a), 0);
}

/* Do the MMIO ranges of @a and @b share a byte? */
static bool phyrs_overlap(const struct phyr *a, const struct phyr *b)
{
	struct phyr_cursor ca, cb;

	phyr_cursor_init(&ca, a);
	while (phyr_cursor_next(&ca)) {
		phyr_cursor_init(&cb, b);
		while (phyr_cursor_next(&cb))
			if (ca.phys < cb.phys + cb.len && cb.phys < ca.phys + ca.len)
				return true;
	}
	return false;
}

/*
 * Device memory that an importer still maps after the buffer moved away (it
 * was told, and unmaps later, as importers whose hardware must stop first
 * do) is not handed to the next buffer: it is freed at the importer's unmap.
 * The importer's unmap waits for the test (a deferred work that only the
 * test runs), so the next buffer is made while the old memory is mapped.
 */
static void phyr_vgem_test_move_keeps_mapped_memory(struct kunit *test)
{
	struct phyr_vgem_device *a = pci_vdev(test, 0), *b = pci_vdev(test, 1);
	const struct dma_buf_interconnect *ic;
	struct dma_buf_flavour_req priv = { .flavour = DMA_BUF_FLAVOUR_PRIVATE };
	struct phyr_vgem_bo *bo, *next, *after;
	struct test_importer *imp;
	struct dma_buf *dmabuf;
	struct phyr old;
	u64 free_before;

	bo = phyr_vgem_bo_create(&a->drm, 4 * PAGE_SIZE, PHYR_VGEM_PLACEMENT_DEVICE,
				 PHYR_VGEM_BO_CONTIGUOUS);
	KUNIT_ASSERT_FALSE(test, IS_ERR(bo));
	dmabuf = bo->shmem.base.funcs->export(&bo->shmem.base, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dmabuf));
	/* the private flavour's interconnect is phyr_vgem's own: take it from an offer */
	{
		struct dma_buf_flavour_offer offers[DMA_BUF_MAX_FLAVOURS] = {};

		dma_resv_lock(dmabuf->resv, NULL);
		KUNIT_ASSERT_GT(test, dmabuf->ops->flavours->offers(dmabuf, offers,
								    ARRAY_SIZE(offers)), 0);
		dma_resv_unlock(dmabuf->resv);
		KUNIT_ASSERT_EQ(test, offers[0].flavour, DMA_BUF_FLAVOUR_PRIVATE);
		ic = offers[0].interconnect;
	}
	priv.interconnect = ic;
	imp = test_importer_attach(test, dmabuf, &b->vram->pdev->dev, &priv);
	KUNIT_ASSERT_FALSE(test, IS_ERR(imp));
	/* told to unmap, the importer defers it: far beyond the test, never by itself */
	imp->delay = 3600 * HZ;

	phyr_init(&old, GFP_KERNEL);
	dma_resv_lock(dmabuf->resv, NULL);
	imp->priv = dma_buf_map_private(imp->a);
	KUNIT_ASSERT_FALSE(test, IS_ERR(imp->priv));
	KUNIT_ASSERT_EQ(test, phyr_append_slice(&old, &bo->vmem->phyr, 0, bo->shmem.base.size), 0);
	KUNIT_EXPECT_EQ(test, phyr_vgem_bo_migrate(bo, PHYR_VGEM_PLACEMENT_SYSTEM), 0);
	KUNIT_EXPECT_EQ(test, imp->invalidated, 1);
	KUNIT_EXPECT_NOT_NULL(test, imp->priv);	/* not yet unmapped */
	dma_resv_unlock(dmabuf->resv);

	free_before = a->vram->mm.avail;
	next = phyr_vgem_bo_create(&a->drm, 4 * PAGE_SIZE, PHYR_VGEM_PLACEMENT_DEVICE,
				   PHYR_VGEM_BO_CONTIGUOUS);
	KUNIT_ASSERT_FALSE(test, IS_ERR(next));
	KUNIT_EXPECT_FALSE_MSG(test, phyrs_overlap(&next->vmem->phyr, &old),
			       "a new buffer got device memory an importer still maps");

	/* the importer still mapped it all along: its unmap is still pending */
	KUNIT_EXPECT_TRUE(test, cancel_delayed_work_sync(&imp->work));
	dma_resv_lock(dmabuf->resv, NULL);
	KUNIT_EXPECT_NOT_NULL(test, imp->priv);
	test_importer_unmap(imp);
	dma_resv_unlock(dmabuf->resv);
	KUNIT_EXPECT_NULL(test, imp->priv);
	/* the importer let go: its old memory is free again, and can be reused */
	KUNIT_EXPECT_EQ(test, a->vram->mm.avail, free_before);
	after = phyr_vgem_bo_create(&a->drm, 4 * PAGE_SIZE, PHYR_VGEM_PLACEMENT_DEVICE,
				    PHYR_VGEM_BO_CONTIGUOUS);
	KUNIT_ASSERT_FALSE(test, IS_ERR(after));

	phyr_destroy(&old);
	test_importer_detach(test, imp);
	drm_gem_object_put(&after->shmem.base);
	drm_gem_object_put(&next->shmem.base);
	dma_buf_put(dmabuf);
	drm_gem_object_put(&bo->shmem.base);
}

/* Write pattern @seed into the pages of @phyr (RAM), or count the bytes that differ. */
static size_t phyr_pages_pattern(struct kunit *test, const struct phyr *phyr, u32 seed,
				 bool check)
{
	struct phyr_page_cursor pc;
	size_t bad = 0, w;
	pgoff_t i = 0;

	phyr_page_cursor_init(&pc, phyr);
	while (phyr_page_cursor_next(&pc)) {
		struct page *page = phyr_page_cursor_page(&pc);
		u32 *p;

		KUNIT_ASSERT_NOT_NULL(test, page);
		p = kmap_local_page(page);
		for (w = 0; w < PAGE_SIZE / 4; w++) {
			u32 want = pattern(i * PAGE_SIZE / 4 + w) ^ seed;

			if (check)
				bad += p[w] != want;
			else
				p[w] = want;
		}
		kunmap_local(p);
		i++;
	}
	return bad;
}

/*
 * A buffer written only by an importer (through the pages it mapped, the
 * object itself never touched them) keeps its data across a move to device
 * memory and back: the move copies whenever system memory holds data.
 */
static void phyr_vgem_test_move_keeps_importer_writes(struct kunit *test)
{
	static const struct dma_buf_flavour_req ram = { .flavour = DMA_BUF_FLAVOUR_PHYR };
	struct phyr_vgem_test *t = test->priv;
	struct phyr_vgem_device *vdev = pci_vdev(test, 0);
	struct test_importer *imp;
	struct phyr_vgem_bo *bo;
	struct dma_buf *dmabuf;

	bo = phyr_vgem_bo_create(&vdev->drm, 3 * PAGE_SIZE, PHYR_VGEM_PLACEMENT_SYSTEM, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(bo));
	dmabuf = bo->shmem.base.funcs->export(&bo->shmem.base, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dmabuf));
	imp = test_importer_attach(test, dmabuf, t->importer, &ram);
	KUNIT_ASSERT_FALSE(test, IS_ERR(imp));

	dma_resv_lock(dmabuf->resv, NULL);
	imp->phyr = dma_buf_map_phyr(imp->a);
	KUNIT_ASSERT_FALSE(test, IS_ERR(imp->phyr));
	phyr_pages_pattern(test, imp->phyr, 0x5eed, false);
	dma_buf_unmap_phyr(imp->a, imp->phyr);
	imp->phyr = NULL;
	KUNIT_EXPECT_FALSE(test, bo->sys_pinned);	/* only the importer had them */

	KUNIT_EXPECT_EQ(test, phyr_vgem_bo_migrate(bo, PHYR_VGEM_PLACEMENT_DEVICE), 0);
	KUNIT_EXPECT_EQ(test, phyr_vgem_bo_migrate(bo, PHYR_VGEM_PLACEMENT_SYSTEM), 0);
	imp->phyr = dma_buf_map_phyr(imp->a);
	KUNIT_ASSERT_FALSE(test, IS_ERR(imp->phyr));
	KUNIT_EXPECT_EQ(test, phyr_pages_pattern(test, imp->phyr, 0x5eed, true), 0);
	dma_buf_unmap_phyr(imp->a, imp->phyr);
	imp->phyr = NULL;
	dma_resv_unlock(dmabuf->resv);

	test_importer_detach(test, imp);
	dma_buf_put(dmabuf);
	drm_gem_object_put(&bo->shmem.base);
}

/*
 * A move waits for the buffer's fences before it copies and frees: here a
 * write fence (a device still writing the buffer) that signals 200 ms later.
 */
static void phyr_vgem_test_move_waits_for_fences(struct kunit *test)
{
	struct phyr_vgem_device *vdev = pci_vdev(test, 0);
	/* a fence that a worker signals later, like a device finishing */
	struct dma_buf_kunit_late_fence *f = dma_buf_kunit_late_fence(test, "phyr_vgem_test");
	struct phyr_vgem_bo *bo;
	unsigned long t0;

	bo = phyr_vgem_bo_create(&vdev->drm, 2 * PAGE_SIZE, PHYR_VGEM_PLACEMENT_SYSTEM, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(bo));
	KUNIT_ASSERT_EQ(test, dma_buf_kunit_late_fence_add(f, bo->shmem.base.resv,
							   DMA_RESV_USAGE_WRITE), 0);

	dma_resv_lock(bo->shmem.base.resv, NULL);
	dma_buf_kunit_late_fence_signal_in(f, msecs_to_jiffies(200));
	t0 = jiffies;
	KUNIT_EXPECT_EQ(test, phyr_vgem_bo_migrate(bo, PHYR_VGEM_PLACEMENT_DEVICE), 0);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(&f->base));
	KUNIT_EXPECT_GE(test, jiffies - t0, msecs_to_jiffies(150));
	KUNIT_EXPECT_EQ(test, phyr_vgem_bo_migrate(bo, PHYR_VGEM_PLACEMENT_SYSTEM), 0);
	dma_resv_unlock(bo->shmem.base.resv);

	drm_gem_object_put(&bo->shmem.base);
}

/*
 * Device memory to edu: offered as phyr with the BAR's MMIO and provider, so
 * edu attaches only where it reaches the provider.  What the topology must
 * give: refused on q35's root bus; behind the PCIe switch, the BAR's bus
 * address; through a whitelisted host bridge, an IOVA that edu's domain maps
 * to the BAR.  Device memory takes revocable importers only: a static one is
 * refused whatever the topology.
 */
static void phyr_vgem_test_device_p2p(struct kunit *test)
{
	static const struct dma_buf_flavour_req mmio = {
		.flavour = DMA_BUF_FLAVOUR_PHYR, .flags = DMA_BUF_FLAVOUR_MMIO };
	struct phyr_kunit_edu *edu = phyr_kunit_edu_get(test);
	struct phyr_vgem_device *vdev = pci_vdev(test, 0);
	struct device *dev = &edu->pdev->dev;
	enum pci_p2pdma_map_type want;
	struct test_importer *imp;
	struct phyr_vgem_bo *bo;
	struct dma_buf *dmabuf;
	struct phyr_cursor cur;
	struct phyr_dma map;

	bo = phyr_vgem_bo_create(&vdev->drm, 4 * PAGE_SIZE, PHYR_VGEM_PLACEMENT_DEVICE,
				 PHYR_VGEM_BO_CONTIGUOUS);
	KUNIT_ASSERT_FALSE(test, IS_ERR(bo));
	dmabuf = bo->shmem.base.funcs->export(&bo->shmem.base, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dmabuf));

	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_buf_flavour_attach(dmabuf, dev, &mmio, 1, NULL, NULL)),
			-EOPNOTSUPP);
	imp = test_importer_attach(test, dmabuf, dev, &mmio);
	want = phyr_kunit_p2p_expected(test, 0);
	if (want == PCI_P2PDMA_MAP_NOT_SUPPORTED) {
		KUNIT_EXPECT_EQ(test, PTR_ERR(imp), -EOPNOTSUPP);
		goto out;
	}
	KUNIT_ASSERT_FALSE(test, IS_ERR(imp));
	dma_resv_lock(dmabuf->resv, NULL);
	KUNIT_ASSERT_EQ(test, dma_buf_map_phyr_dma(imp->a, &map, DMA_TO_DEVICE, 0), 0);
	KUNIT_EXPECT_EQ(test, map.nr_vecs, 1U);
	phyr_cursor_init(&cur, &bo->vmem->phyr);
	KUNIT_ASSERT_TRUE(test, phyr_cursor_next(&cur));
	if (want == PCI_P2PDMA_MAP_BUS_ADDR)
		KUNIT_EXPECT_EQ(test, map.vecs[0].addr,
				cur.phys - vdev->vram->base +
				pci_bus_address(vdev->vram->pdev, PHYR_VGEM_BAR));
	else
		KUNIT_EXPECT_EQ(test, phyr_kunit_iova_to_phys(dev, map.vecs[0].addr), cur.phys);
	dma_buf_unmap_phyr_dma(imp->a, &map);
	dma_resv_unlock(dmabuf->resv);
	test_importer_detach(test, imp);
out:
	dma_buf_put(dmabuf);
	drm_gem_object_put(&bo->shmem.base);
}

/*
 * Unplug waits for the importers of all of a device's buffers out of one
 * budget: buffers whose fences never signal (a user keeps them busy) hold
 * the removal %PHYR_VGEM_REVOKE_TIMEOUT in all, not that long each.  And no
 * export starts once the unplug began: a buffer that had no dma-buf gets
 * none.  The bus is rescanned at the end.
 */
static void phyr_vgem_test_unplug_budget(struct kunit *test)
{
	struct phyr_vgem_device *b = pci_vdev(test, 1);
	struct pci_dev *pdev = b->vram->pdev;
	struct pci_bus *bus = pdev->bus;
	unsigned int devfn = pdev->devfn, i;
	struct dma_buf_kunit_late_fence *f[3] = {};
	struct dma_buf *dmabuf[3] = {};
	struct phyr_vgem_bo *bo[3], *late;
	struct dma_buf *late_buf;
	unsigned long t0, took;

	for (i = 0; i < ARRAY_SIZE(bo); i++) {
		bo[i] = phyr_vgem_bo_create(&b->drm, PAGE_SIZE, PHYR_VGEM_PLACEMENT_DEVICE, 0);
		KUNIT_ASSERT_FALSE(test, IS_ERR(bo[i]));
		dmabuf[i] = bo[i]->shmem.base.funcs->export(&bo[i]->shmem.base, O_RDWR);
		KUNIT_ASSERT_FALSE(test, IS_ERR(dmabuf[i]));
		/* signalled by the test, at the end */
		f[i] = dma_buf_kunit_late_fence(test, "phyr_vgem_test");
		KUNIT_ASSERT_EQ(test, dma_buf_kunit_late_fence_add(f[i], dmabuf[i]->resv,
								   DMA_RESV_USAGE_READ), 0);
	}
	late = phyr_vgem_bo_create(&b->drm, PAGE_SIZE, PHYR_VGEM_PLACEMENT_DEVICE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(late));

	pci_dev_get(pdev);
	t0 = jiffies;
	pci_stop_and_remove_bus_device_locked(pdev);
	took = jiffies - t0;
	/* the fences held it for the whole budget, once */
	KUNIT_EXPECT_GE(test, took, PHYR_VGEM_REVOKE_TIMEOUT);
	KUNIT_EXPECT_LT_MSG(test, took, PHYR_VGEM_REVOKE_TIMEOUT * 3 / 2,
			    "%u ms for %zu buffers", jiffies_to_msecs(took), ARRAY_SIZE(bo));
	for (i = 0; i < ARRAY_SIZE(bo); i++)
		KUNIT_EXPECT_TRUE(test, dmabuf[i]->revoked);
	late_buf = late->shmem.base.funcs->export(&late->shmem.base, O_RDWR);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(late_buf), -ENODEV);
	if (!IS_ERR(late_buf))
		dma_buf_put(late_buf);

	for (i = 0; i < ARRAY_SIZE(bo); i++) {
		dma_fence_signal(&f[i]->base);
		dma_buf_put(dmabuf[i]);
		drm_gem_object_put(&bo[i]->shmem.base);
	}
	drm_gem_object_put(&late->shmem.base);
	pci_dev_put(pdev);

	pci_lock_rescan_remove();
	pci_rescan_bus(bus);
	pci_unlock_rescan_remove();
	pdev = pci_get_slot(bus, devfn);
	KUNIT_ASSERT_NOT_NULL(test, pdev);
	KUNIT_EXPECT_TRUE(test, phyr_vgem_is_pci_device(&pdev->dev));
	pci_dev_put(pdev);
}

/*
 * Hot-unplug of a device whose buffer is exported and mapped: the remove
 * revokes it (the importer is told and unmaps; maps and attaches then fail
 * with -ENODEV), the device's ioctls are gone, and nothing of the BAR is
 * reached afterwards (KASAN would say).  The bus is rescanned at the end:
 * the device comes back and takes buffers again.  Runs last in the suite.
 */
static void phyr_vgem_test_unplug(struct kunit *test)
{
	struct phyr_vgem_device *a = pci_vdev(test, 0), *b = pci_vdev(test, 1);
	struct dma_buf_flavour_req priv = { .flavour = DMA_BUF_FLAVOUR_PRIVATE };
	struct dma_buf_flavour_offer offers[DMA_BUF_MAX_FLAVOURS] = {};
	struct pci_dev *pdev = b->vram->pdev;
	struct pci_bus *bus = pdev->bus;
	struct phyr_vgem_device *back;
	struct test_importer *imp;
	struct phyr_vgem_bo *bo;
	struct dma_buf *dmabuf;
	unsigned int devfn = pdev->devfn;

	bo = phyr_vgem_bo_create(&b->drm, 4 * PAGE_SIZE, PHYR_VGEM_PLACEMENT_DEVICE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(bo));
	dmabuf = bo->shmem.base.funcs->export(&bo->shmem.base, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dmabuf));
	dma_resv_lock(dmabuf->resv, NULL);
	KUNIT_ASSERT_GT(test, dmabuf->ops->flavours->offers(dmabuf, offers, ARRAY_SIZE(offers)), 0);
	dma_resv_unlock(dmabuf->resv);
	priv.interconnect = offers[0].interconnect;
	imp = test_importer_attach(test, dmabuf, &a->vram->pdev->dev, &priv);
	KUNIT_ASSERT_FALSE(test, IS_ERR(imp));
	imp->delay = msecs_to_jiffies(50);
	dma_resv_lock(dmabuf->resv, NULL);
	imp->priv = dma_buf_map_private(imp->a);
	KUNIT_ASSERT_FALSE(test, IS_ERR(imp->priv));
	dma_resv_unlock(dmabuf->resv);

	pci_dev_get(pdev);
	pci_stop_and_remove_bus_device_locked(pdev);
	KUNIT_EXPECT_EQ(test, imp->invalidated, 1);
	KUNIT_EXPECT_NULL(test, imp->priv);	/* the remove waited for the unmap */
	dma_resv_lock(dmabuf->resv, NULL);
	KUNIT_EXPECT_TRUE(test, dmabuf->revoked);
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_buf_map_private(imp->a)), -ENODEV);
	KUNIT_EXPECT_EQ(test, phyr_vgem_bo_migrate(bo, PHYR_VGEM_PLACEMENT_SYSTEM), -ENODEV);
	dma_resv_unlock(dmabuf->resv);
	KUNIT_EXPECT_TRUE(test, drm_dev_is_unplugged(&b->drm));
	test_importer_detach(test, imp);
	dma_buf_put(dmabuf);
	drm_gem_object_put(&bo->shmem.base);
	pci_dev_put(pdev);

	pci_lock_rescan_remove();
	pci_rescan_bus(bus);
	pci_unlock_rescan_remove();
	pdev = pci_get_slot(bus, devfn);
	KUNIT_ASSERT_NOT_NULL(test, pdev);
	KUNIT_EXPECT_TRUE(test, phyr_vgem_is_pci_device(&pdev->dev));
	back = pci_get_drvdata(pdev);
	pci_dev_put(pdev);
	KUNIT_ASSERT_NOT_NULL(test, back);
	bo = phyr_vgem_bo_create(&back->drm, PAGE_SIZE, PHYR_VGEM_PLACEMENT_DEVICE, 0);
	KUNIT_EXPECT_FALSE(test, IS_ERR(bo));
	if (!IS_ERR(bo))
		drm_gem_object_put(&bo->shmem.base);
}

/*
 * A buffer written only by an importer, which then unmapped: nobody pins its
 * pages any more, so reclaim may take them -- and must write them to swap,
 * not drop them as clean (neither DMA nor our PFN mmaps dirty the folios).
 * Here the shmem mapping is stripped of its clean pages, as drop_caches does.
 */
static void phyr_vgem_test_importer_writes_survive_reclaim(struct kunit *test)
{
	static const struct dma_buf_flavour_req ram = { .flavour = DMA_BUF_FLAVOUR_PHYR };
	struct phyr_vgem_test *t = test->priv;
	struct test_importer *imp;
	struct phyr_vgem_bo *bo;
	struct dma_buf *dmabuf;

	bo = phyr_vgem_bo_create(t->drm, 3 * PAGE_SIZE, PHYR_VGEM_PLACEMENT_SYSTEM, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(bo));
	dmabuf = bo->shmem.base.funcs->export(&bo->shmem.base, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dmabuf));
	imp = test_importer_attach(test, dmabuf, t->importer, &ram);
	KUNIT_ASSERT_FALSE(test, IS_ERR(imp));

	dma_resv_lock(dmabuf->resv, NULL);
	imp->phyr = dma_buf_map_phyr(imp->a);
	KUNIT_ASSERT_FALSE(test, IS_ERR(imp->phyr));
	phyr_pages_pattern(test, imp->phyr, 0xd1e7, false);
	dma_buf_unmap_phyr(imp->a, imp->phyr);
	imp->phyr = NULL;
	/* the precondition: nobody holds the pages, only the shmem file has them */
	KUNIT_EXPECT_FALSE(test, bo->sys_pinned);
	KUNIT_EXPECT_NULL(test, bo->shmem.pages);
	dma_resv_unlock(dmabuf->resv);

	invalidate_mapping_pages(bo->shmem.base.filp->f_mapping, 0, -1);

	dma_resv_lock(dmabuf->resv, NULL);
	imp->phyr = dma_buf_map_phyr(imp->a);
	KUNIT_ASSERT_FALSE(test, IS_ERR(imp->phyr));
	KUNIT_EXPECT_EQ_MSG(test, phyr_pages_pattern(test, imp->phyr, 0xd1e7, true), 0,
			    "the importer's writes were dropped with clean pages");
	dma_buf_unmap_phyr(imp->a, imp->phyr);
	imp->phyr = NULL;
	dma_resv_unlock(dmabuf->resv);

	test_importer_detach(test, imp);
	dma_buf_put(dmabuf);
	drm_gem_object_put(&bo->shmem.base);
}

/*
 * An importer that, when told to drop its mapping, still has DMA in flight:
 * it adds a fence for it to the reservation and lets a worker finish the
 * "DMA" (a write into the pages it still maps) and signal the fence.
 */
struct inflight {
	struct dma_buf_kunit_late_fence *f;	/* signalled by the worker */
	struct dma_buf_attachment *a;
	const struct phyr *phyr;
	struct work_struct work;
	struct completion moved;	/* the migration returned */
	bool early;			/* ... before the fence signaled */
};

static void inflight_work(struct work_struct *work)
{
	struct inflight *in = container_of(work, struct inflight, work);
	struct phyr_page_cursor pc;
	pgoff_t i = 0;
	size_t w;

	/*
	 * A move that waits for the fence cannot return before it signals:
	 * waiting a bounded time for it to return proves that it waits.
	 */
	in->early = wait_for_completion_timeout(&in->moved, msecs_to_jiffies(500));
	phyr_page_cursor_init(&pc, in->phyr);
	while (phyr_page_cursor_next(&pc)) {
		u32 *p = kmap_local_page(phyr_page_cursor_page(&pc));

		for (w = 0; w < PAGE_SIZE / 4; w++)
			p[w] = pattern(i * PAGE_SIZE / 4 + w) ^ 0x1a7e;
		kunmap_local(p);
		i++;
	}
	dma_fence_signal(&in->f->base);
}

static void inflight_invalidate(struct dma_buf_attachment *a)
{
	struct inflight *in = a->importer_priv;

	if (dma_resv_reserve_fences(a->dmabuf->resv, 1))
		return;
	dma_resv_add_fence(a->dmabuf->resv, &in->f->base, DMA_RESV_USAGE_WRITE);
	schedule_work(&in->work);
}

static const struct dma_buf_attach_ops inflight_ops = {
	.invalidate_mappings = inflight_invalidate,
};

/*
 * A move copies only after the fences that importers add when they are told
 * to unmap (DMA still in flight) signaled: the copy holds the importer's
 * last write.
 */
static void phyr_vgem_test_move_waits_for_invalidate_fences(struct kunit *test)
{
	static const struct dma_buf_flavour_req ram = { .flavour = DMA_BUF_FLAVOUR_PHYR };
	struct phyr_vgem_test *t = test->priv;
	struct phyr_vgem_device *vdev = pci_vdev(test, 0);
	struct inflight *in = kunit_kzalloc(test, sizeof(*in), GFP_KERNEL);
	struct phyr_vgem_vram *vram = vdev->vram;
	struct phyr_page_cursor pc;
	struct phyr_vgem_bo *bo;
	struct dma_buf *dmabuf;
	size_t w, bad = 0;
	pgoff_t i = 0;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, in);
	in->f = dma_buf_kunit_late_fence(test, "phyr_vgem_test");
	INIT_WORK(&in->work, inflight_work);
	init_completion(&in->moved);
	bo = phyr_vgem_bo_create(&vdev->drm, 2 * PAGE_SIZE, PHYR_VGEM_PLACEMENT_SYSTEM, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(bo));
	dmabuf = bo->shmem.base.funcs->export(&bo->shmem.base, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dmabuf));
	in->a = dma_buf_flavour_attach(dmabuf, t->importer, &ram, 1, &inflight_ops, in);
	KUNIT_ASSERT_FALSE(test, IS_ERR(in->a));

	dma_resv_lock(dmabuf->resv, NULL);
	in->phyr = dma_buf_map_phyr(in->a);
	KUNIT_ASSERT_FALSE(test, IS_ERR(in->phyr));
	phyr_pages_pattern(test, in->phyr, 0x01d, false);
	ret = phyr_vgem_bo_migrate(bo, PHYR_VGEM_PLACEMENT_DEVICE);
	complete(&in->moved);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_TRUE_MSG(test, dma_fence_is_signaled(&in->f->base),
			      "the move returned before the importer's DMA ended");
	/* what the move copied is the importer's last write */
	phyr_page_cursor_init(&pc, &bo->vmem->phyr);
	while (ret == 0 && phyr_page_cursor_next(&pc)) {
		u32 __iomem *p = vram->va + (pc.phys - vram->base);

		for (w = 0; w < PAGE_SIZE / 4; w++)
			bad += readl(p + w) != (pattern(i * PAGE_SIZE / 4 + w) ^ 0x1a7e);
		i++;
	}
	KUNIT_EXPECT_EQ(test, bad, 0);
	/* the "DMA" is done before its memory goes */
	flush_work(&in->work);
	dma_buf_unmap_phyr(in->a, in->phyr);
	dma_resv_unlock(dmabuf->resv);

	KUNIT_EXPECT_FALSE(test, in->early);
	KUNIT_EXPECT_EQ(test, dma_buf_flavour_detach(dmabuf, in->a), 0);
	dma_buf_put(dmabuf);
	drm_gem_object_put(&bo->shmem.base);
}

/*
 * A CPU-access importer that attached while the buffer was in system memory
 * (the core served it from the phyr of the pages) follows the buffer into
 * device memory, which phyr_vgem offers for CPU access: the move is
 * invisible to it, and does not bounce the buffer back.
 */
static void phyr_vgem_test_cpu_access_follows_move(struct kunit *test)
{
	struct phyr_vgem_test *t = test->priv;
	struct phyr_vgem_device *vdev = pci_vdev(test, 0);
	char a[64] = "written in system memory", b[64] = "written in device memory";
	char back[64];
	struct phyr_vgem_bo *bo;
	struct dma_buf_cpu *cpu;
	struct dma_buf *dmabuf;

	bo = phyr_vgem_bo_create(&vdev->drm, 2 * PAGE_SIZE, PHYR_VGEM_PLACEMENT_SYSTEM, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(bo));
	dmabuf = bo->shmem.base.funcs->export(&bo->shmem.base, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dmabuf));
	cpu = dma_buf_cpu_attach(dmabuf, t->importer, DMA_BUF_FLAVOUR_MMIO, NULL, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(cpu));
	KUNIT_EXPECT_TRUE(test, dma_buf_cpu_attachment(cpu)->flavour_bridged);
	KUNIT_ASSERT_EQ(test, dma_buf_cpu_validate(cpu), 0);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_write(cpu, PAGE_SIZE - 8, a, sizeof(a)), 0);

	dma_resv_lock(dmabuf->resv, NULL);
	KUNIT_EXPECT_EQ(test, phyr_vgem_bo_migrate(bo, PHYR_VGEM_PLACEMENT_DEVICE), 0);
	dma_resv_unlock(dmabuf->resv);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_read(cpu, back, PAGE_SIZE - 8, sizeof(back)), -EAGAIN);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_validate(cpu), 0);
	KUNIT_EXPECT_EQ(test, bo->placement, PHYR_VGEM_PLACEMENT_DEVICE);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_read(cpu, back, PAGE_SIZE - 8, sizeof(back)), 0);
	KUNIT_EXPECT_MEMEQ(test, back, a, sizeof(a));
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_write(cpu, PAGE_SIZE - 8, b, sizeof(b)), 0);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_read(cpu, back, PAGE_SIZE - 8, sizeof(back)), 0);
	KUNIT_EXPECT_MEMEQ(test, back, b, sizeof(b));
	KUNIT_EXPECT_EQ(test, bo->placement, PHYR_VGEM_PLACEMENT_DEVICE);

	dma_buf_cpu_detach(cpu);
	dma_buf_put(dmabuf);
	drm_gem_object_put(&bo->shmem.base);
}

/*
 * CPU access that needs CPU RAM (a software importer's atomics) is offered
 * for device memory too: attaching there moves nothing, and the first map
 * moves the buffer to system memory with its contents -- as the next map
 * after userspace moved it back to device memory does again.
 */
static void phyr_vgem_test_cpu_ram_from_device(struct kunit *test)
{
	struct phyr_vgem_test *t = test->priv;
	struct phyr_vgem_device *vdev = pci_vdev(test, 0);
	char a[32] = "written in device memory", back[32];
	struct phyr_cursor cur;
	struct phyr_vgem_bo *bo;
	struct dma_buf_cpu *cpu;
	struct dma_buf *dmabuf;

	bo = phyr_vgem_bo_create(&vdev->drm, 2 * PAGE_SIZE, PHYR_VGEM_PLACEMENT_DEVICE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(bo));
	phyr_cursor_init(&cur, &bo->vmem->phyr);
	KUNIT_ASSERT_TRUE(test, phyr_cursor_next(&cur));
	memcpy_toio(vdev->vram->va + (cur.phys - vdev->vram->base) + 100, a, sizeof(a));
	dmabuf = bo->shmem.base.funcs->export(&bo->shmem.base, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dmabuf));

	cpu = dma_buf_cpu_attach(dmabuf, t->importer, DMA_BUF_FLAVOUR_CPU, NULL, NULL);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(cpu), "attach: %ld", PTR_ERR(cpu));
	KUNIT_EXPECT_EQ(test, bo->placement, PHYR_VGEM_PLACEMENT_DEVICE);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_validate(cpu), 0);
	KUNIT_EXPECT_EQ(test, bo->placement, PHYR_VGEM_PLACEMENT_SYSTEM);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_read(cpu, back, 100, sizeof(back)), 0);
	KUNIT_EXPECT_MEMEQ(test, back, a, sizeof(a));

	dma_resv_lock(dmabuf->resv, NULL);
	KUNIT_EXPECT_EQ(test, phyr_vgem_bo_migrate(bo, PHYR_VGEM_PLACEMENT_DEVICE), 0);
	dma_resv_unlock(dmabuf->resv);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_validate(cpu), 0);
	KUNIT_EXPECT_EQ(test, bo->placement, PHYR_VGEM_PLACEMENT_SYSTEM);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_read(cpu, back, 100, sizeof(back)), 0);
	KUNIT_EXPECT_MEMEQ(test, back, a, sizeof(a));

	dma_buf_cpu_detach(cpu);
	dma_buf_put(dmabuf);
	drm_gem_object_put(&bo->shmem.base);
}

static struct kunit_case phyr_vgem_test_cases[] = {
	KUNIT_CASE(phyr_vgem_test_create),
	KUNIT_CASE(phyr_vgem_test_export_import_self),
	KUNIT_CASE(phyr_vgem_test_attach_map),
	KUNIT_CASE(phyr_vgem_test_two_importers),
	KUNIT_CASE_SLOW(phyr_vgem_test_flavours_edu),
	KUNIT_CASE(phyr_vgem_test_shmem_phyr),
	KUNIT_CASE(phyr_vgem_test_private),
	KUNIT_CASE(phyr_vgem_test_pinned_migrate),
	KUNIT_CASE(phyr_vgem_test_move_keeps_mapped_memory),
	KUNIT_CASE(phyr_vgem_test_move_keeps_importer_writes),
	KUNIT_CASE(phyr_vgem_test_move_waits_for_fences),
	KUNIT_CASE(phyr_vgem_test_move_waits_for_invalidate_fences),
	KUNIT_CASE(phyr_vgem_test_importer_writes_survive_reclaim),
	KUNIT_CASE(phyr_vgem_test_cpu_access_follows_move),
	KUNIT_CASE(phyr_vgem_test_cpu_ram_from_device),
	KUNIT_CASE(phyr_vgem_test_device_p2p),
	KUNIT_CASE_SLOW(phyr_vgem_test_unplug_budget),
	KUNIT_CASE_SLOW(phyr_vgem_test_unplug),
	{}
};

static struct kunit_suite phyr_vgem_test_suite = {
	.name = "phyr_vgem",
	.init = phyr_vgem_test_init,
	.test_cases = phyr_vgem_test_cases,
};

kunit_test_suite(phyr_vgem_test_suite);
