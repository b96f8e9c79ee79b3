// SPDX-License-Identifier: MIT
/*
 * KUnit tests for phyr_vgem, run at boot against the registered device.
 *
 * Copyright 2026 The phyr developers
 */

#include <kunit/device.h>
#include <kunit/test.h>

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/iosys-map.h>
#include <linux/scatterlist.h>

#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_prime.h>

#include "phyr_vgem_drv.h"

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
	struct device_dma_parameters *parms;
	struct device *dev;

	dev = kunit_device_register(test, name);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dev));
	parms = kunit_kzalloc(test, sizeof(*parms), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, parms);
	dev->dma_parms = parms;
	dma_set_max_seg_size(dev, UINT_MAX);
	KUNIT_ASSERT_EQ(test, dma_coerce_mask_and_coherent(dev, DMA_BIT_MASK(bits)), 0);
	return dev;
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

	dmabuf = drm_gem_prime_export(obj, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dmabuf));
	KUNIT_EXPECT_EQ(test, dmabuf->size, obj->size);
	KUNIT_EXPECT_PTR_EQ(test, dmabuf->priv, (void *)obj);

	back = drm_gem_prime_import(t->drm, dmabuf);
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

	dmabuf = drm_gem_prime_export(&shmem->base, O_RDWR);
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

	dmabuf = drm_gem_prime_export(&shmem->base, O_RDWR);
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

static struct kunit_case phyr_vgem_test_cases[] = {
	KUNIT_CASE(phyr_vgem_test_create),
	KUNIT_CASE(phyr_vgem_test_export_import_self),
	KUNIT_CASE(phyr_vgem_test_attach_map),
	KUNIT_CASE(phyr_vgem_test_two_importers),
	{}
};

static struct kunit_suite phyr_vgem_test_suite = {
	.name = "phyr_vgem",
	.init = phyr_vgem_test_init,
	.test_cases = phyr_vgem_test_cases,
};

kunit_test_suite(phyr_vgem_test_suite);
