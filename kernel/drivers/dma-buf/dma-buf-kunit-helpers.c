// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit helpers for tests of dma-buf importers and of the dma-buf core: a
 * mock exporter of a real dma-buf over pages of the test, with the flavour
 * offers, callbacks and failures the test configures, or without flavours;
 * and a late fence, which a worker signals after a delay or once somebody
 * waits for it.  Everything is released by KUnit actions at the end of the
 * test.  See include/kunit/dma-buf.h.
 *
 * Copyright 2026 The phyr developers
 */

#include <kunit/dma-buf.h>
#include <kunit/resource.h>
#include <kunit/test.h>
#include <kunit/visibility.h>

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/fcntl.h>
#include <linux/gfp.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/sort.h>

MODULE_IMPORT_NS("DMA_BUF");

static struct dma_buf_kunit_exporter *to_mock(struct dma_buf *dmabuf)
{
	return dmabuf->priv;
}

static int mock_attach(struct dma_buf *dmabuf, struct dma_buf_attachment *a)
{
	struct dma_buf_kunit_exporter *m = to_mock(dmabuf);

	m->attach_calls++;
	m->seen_flavour = a->flavour;
	m->seen_flags = a->flavour_flags;
	m->seen_p2p = a->peer2peer;
	if (m->attach_err)
		return m->attach_err;
	if (m->revocable_only && !dma_buf_attach_revocable(a))
		return -EOPNOTSUPP;
	if (m->refuse_p2p)
		a->peer2peer = false;
	if (m->move_to.flavour || m->move_to.flags) {
		/* the buffer moves while this attach is not yet published */
		dma_resv_lock(dmabuf->resv, NULL);
		m->offers[0] = m->move_to;
		m->nr_offers = 1;
		dma_resv_unlock(dmabuf->resv);
		m->move_to = (struct dma_buf_flavour_offer){};
	}
	WRITE_ONCE(m->attached, m->attached + 1);
	return 0;
}

static void mock_detach(struct dma_buf *dmabuf, struct dma_buf_attachment *a)
{
	struct dma_buf_kunit_exporter *m = to_mock(dmabuf);

	WRITE_ONCE(m->attached, m->attached - 1);
}

/* the buffer's pages, as every exporter before the flavours hands them out */
static struct sg_table *mock_map_dma_buf(struct dma_buf_attachment *a,
					 enum dma_data_direction dir)
{
	struct dma_buf_kunit_exporter *m = to_mock(a->dmabuf);
	struct sg_table *sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	size_t size = a->dmabuf->size;
	int ret;

	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table_from_pages(sgt, m->pages, DIV_ROUND_UP(size, PAGE_SIZE),
					0, size, GFP_KERNEL);
	if (ret)
		goto err_free;
	ret = dma_map_sgtable(a->dev, sgt, dir, 0);
	if (ret)
		goto err_table;
	m->sg_maps++;
	return sgt;
err_table:
	sg_free_table(sgt);
err_free:
	kfree(sgt);
	return ERR_PTR(ret);
}

static void mock_unmap_dma_buf(struct dma_buf_attachment *a,
			       struct sg_table *sgt, enum dma_data_direction dir)
{
	struct dma_buf_kunit_exporter *m = to_mock(a->dmabuf);

	dma_unmap_sgtable(a->dev, sgt, dir, 0);
	sg_free_table(sgt);
	kfree(sgt);
	m->sg_maps--;
}

static int mock_pin(struct dma_buf_attachment *a)
{
	to_mock(a->dmabuf)->pins++;
	return 0;
}

static void mock_unpin(struct dma_buf_attachment *a)
{
	to_mock(a->dmabuf)->pins--;
}

/* the dma-buf may be released after the test: touch nothing of the mock */
static void mock_release(struct dma_buf *dmabuf)
{
}

static int mock_offers(struct dma_buf *dmabuf,
		       struct dma_buf_flavour_offer *offers, unsigned int max)
{
	struct dma_buf_kunit_exporter *m = to_mock(dmabuf);

	if (m->nr_offers < 0)
		return m->nr_offers;
	memcpy(offers, m->offers, min_t(int, m->nr_offers, max) * sizeof(*offers));
	return m->nr_offers;
}

static int mock_accept_private(struct dma_buf *dmabuf, struct device *dev,
			       const struct dma_buf_interconnect *ic)
{
	return to_mock(dmabuf)->accept_err;
}

static const struct phyr *mock_map_phyr(struct dma_buf_attachment *a)
{
	struct dma_buf_kunit_exporter *m = to_mock(a->dmabuf);

	dma_resv_assert_held(a->dmabuf->resv);
	if (m->map_err)
		return ERR_PTR(m->map_err);
	m->phyr_maps++;
	m->phyr_map_calls++;
	return m->map;
}

static void mock_unmap_phyr(struct dma_buf_attachment *a, const struct phyr *phyr)
{
	struct dma_buf_kunit_exporter *m = to_mock(a->dmabuf);

	dma_resv_assert_held(a->dmabuf->resv);
	m->phyr_maps--;
}

static void *mock_map_private(struct dma_buf_attachment *a)
{
	struct dma_buf_kunit_exporter *m = to_mock(a->dmabuf);

	if (m->map_err)
		return ERR_PTR(m->map_err);
	m->private_maps++;
	/* opaque addresses: the mock itself, for the test to compare */
	return m;
}

static void mock_unmap_private(struct dma_buf_attachment *a, void *addrs)
{
	to_mock(a->dmabuf)->private_maps--;
}

static const struct dma_buf_flavour_ops mock_flavour_ops = {
	.offers = mock_offers,
	.accept_private = mock_accept_private,
	.map_phyr = mock_map_phyr,
	.unmap_phyr = mock_unmap_phyr,
	.map_private = mock_map_private,
	.unmap_private = mock_unmap_private,
};

static const struct dma_buf_ops mock_ops[] = {
	[DMA_BUF_KUNIT_SG_TABLE] = {
		.attach = mock_attach,
		.detach = mock_detach,
		.map_dma_buf = mock_map_dma_buf,
		.unmap_dma_buf = mock_unmap_dma_buf,
		.release = mock_release,
		.flavours = &mock_flavour_ops,
	},
	[DMA_BUF_KUNIT_BRIDGE] = {
		.attach = mock_attach,
		.detach = mock_detach,
		.map_dma_buf = dma_buf_phyr_bridge_map,
		.unmap_dma_buf = dma_buf_phyr_bridge_unmap,
		.release = mock_release,
		.flavours = &mock_flavour_ops,
	},
	[DMA_BUF_KUNIT_PINNED] = {
		.attach = mock_attach,
		.detach = mock_detach,
		.pin = mock_pin,
		.unpin = mock_unpin,
		.map_dma_buf = dma_buf_phyr_bridge_map,
		.unmap_dma_buf = dma_buf_phyr_bridge_unmap,
		.release = mock_release,
		.flavours = &mock_flavour_ops,
	},
	[DMA_BUF_KUNIT_LEGACY] = {
		.attach = mock_attach,
		.detach = mock_detach,
		.map_dma_buf = mock_map_dma_buf,
		.unmap_dma_buf = mock_unmap_dma_buf,
		.release = mock_release,
	},
};

static void free_pages_of(struct page **pages, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (pages[i])
			__free_page(pages[i]);
}

static void mock_free(void *data)
{
	struct dma_buf_kunit_exporter *m = data;

	dma_buf_put(m->dmabuf);
	phyr_destroy(&m->ram);
	phyr_destroy(&m->other);
	free_pages_of(m->pages, m->nr_pages);
}

static int cmp_pfn(const void *a, const void *b)
{
	unsigned long pa = page_to_pfn(*(struct page *const *)a);
	unsigned long pb = page_to_pfn(*(struct page *const *)b);

	return pa < pb ? -1 : pa > pb;
}

/*
 * @nr zeroed pages; with @apart, every other one of twice as many in
 * address order, so that no two are contiguous whatever order the
 * allocator gave them in.
 */
static int alloc_pages_of(struct page **pages, unsigned int nr, bool apart)
{
	unsigned int n = apart ? 2 * nr : nr, i;
	struct page **all = pages;

	if (apart) {
		all = kcalloc(n, sizeof(*all), GFP_KERNEL);
		if (!all)
			return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		all[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!all[i]) {
			free_pages_of(all, i);
			memset(pages, 0, nr * sizeof(*pages));
			if (apart)
				kfree(all);
			return -ENOMEM;
		}
	}
	if (apart) {
		sort(all, n, sizeof(*all), cmp_pfn, NULL);
		for (i = 0; i < nr; i++) {
			pages[i] = all[2 * i];
			__free_page(all[2 * i + 1]);
		}
		kfree(all);
	}
	return 0;
}

/**
 * dma_buf_kunit_exporter() - a mock exporter of a real dma-buf
 * @test: the test
 * @kind: what the exporter implements
 * @nr_pages: how many pages to allocate (at least one)
 * @size: the buffer's size, at most @nr_pages pages; 0 for all of them
 * @flags: %DMA_BUF_KUNIT_PAGES_APART or 0
 *
 * Exports a dma-buf of @size bytes over the first pages of @nr_pages, with
 * the flavour callbacks of &struct dma_buf_kunit_exporter (but for
 * %DMA_BUF_KUNIT_LEGACY): it offers phyr of CPU RAM, then sg_table, and maps
 * @ram.  The test changes the offers, what map_phyr hands out and the
 * failures in the returned structure.  The exporter's reference of the
 * dma-buf, its lists and its pages are released at the end of the test;
 * the test detaches its attachments before that (or by KUnit actions that
 * it adds later).
 *
 * Context: Process context.  Fails and aborts the test when out of memory.
 * Return: the mock exporter.
 */
struct dma_buf_kunit_exporter *
dma_buf_kunit_exporter(struct kunit *test, enum dma_buf_kunit_kind kind,
		       unsigned int nr_pages, size_t size, unsigned int flags)
{
	struct dma_buf_kunit_exporter *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	DEFINE_DMA_BUF_EXPORT_INFO(exp);
	struct page **pages;

	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_ASSERT_LT(test, (unsigned int)kind, ARRAY_SIZE(mock_ops));
	KUNIT_ASSERT_GT(test, nr_pages, 0U);
	if (!size)
		size = (size_t)nr_pages * PAGE_SIZE;
	KUNIT_ASSERT_LE(test, size, (size_t)nr_pages * PAGE_SIZE);
	pages = kunit_kcalloc(test, nr_pages, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	if (alloc_pages_of(pages, nr_pages, flags & DMA_BUF_KUNIT_PAGES_APART))
		KUNIT_FAIL_AND_ABORT(test, "no memory for %u pages", nr_pages);
	m->test = test;
	m->pages = pages;
	m->nr_pages = nr_pages;
	phyr_init(&m->ram, GFP_KERNEL);
	phyr_init(&m->other, GFP_KERNEL);
	exp.ops = &mock_ops[kind];
	exp.size = size;
	exp.flags = O_RDWR;
	exp.priv = m;
	m->dmabuf = dma_buf_export(&exp);
	if (IS_ERR(m->dmabuf)) {
		free_pages_of(pages, nr_pages);
		KUNIT_FAIL_AND_ABORT(test, "dma_buf_export: %ld", PTR_ERR(m->dmabuf));
	}
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, mock_free, m), 0);
	KUNIT_ASSERT_EQ(test, phyr_append_pages(&m->ram, pages,
						DIV_ROUND_UP(size, PAGE_SIZE), 0, size), 0);
	m->map = &m->ram;
	m->offers[0] = (struct dma_buf_flavour_offer){
		.flavour = DMA_BUF_FLAVOUR_PHYR, .flags = DMA_BUF_FLAVOUR_CPU };
	m->offers[1] = (struct dma_buf_flavour_offer){
		.flavour = DMA_BUF_FLAVOUR_SG_TABLE, .flags = DMA_BUF_FLAVOUR_CPU };
	m->nr_offers = 2;
	return m;
}
EXPORT_SYMBOL_IF_KUNIT(dma_buf_kunit_exporter);

static struct dma_buf_kunit_late_fence *to_late(struct dma_fence *fence)
{
	return container_of(fence, struct dma_buf_kunit_late_fence, base);
}

static const char *late_fence_name(struct dma_fence *fence)
{
	return to_late(fence)->name;
}

static bool late_fence_enable_signaling(struct dma_fence *fence)
{
	complete(&to_late(fence)->waiter);
	return true;
}

static const struct dma_fence_ops late_fence_ops = {
	.get_driver_name = late_fence_name,
	.get_timeline_name = late_fence_name,
	.enable_signaling = late_fence_enable_signaling,
};

static void late_fence_work(struct work_struct *work)
{
	struct dma_buf_kunit_late_fence *f =
		container_of(to_delayed_work(work), struct dma_buf_kunit_late_fence, work);

	if (f->wait_for_waiter)
		f->had_waiter = wait_for_completion_timeout(&f->waiter, f->timeout);
	dma_fence_signal(&f->base);
}

static void late_fence_put(void *data)
{
	struct dma_buf_kunit_late_fence *f = data;

	cancel_delayed_work_sync(&f->work);
	/* nobody may wait for it forever: a failed test signals it here */
	if (!dma_fence_is_signaled(&f->base))
		dma_fence_signal(&f->base);
	dma_fence_put(&f->base);
}

/**
 * dma_buf_kunit_late_fence() - a fence for the test to signal later
 * @test: the test
 * @name: its driver and timeline name, a string that outlives the fence
 *	(a literal)
 *
 * A fence of a context of its own, signalled by the test itself, or by a
 * worker after dma_buf_kunit_late_fence_signal_in() or
 * dma_buf_kunit_late_fence_signal_on_wait().  At the end of the test the
 * worker is cancelled, the fence signalled if it is not yet, and the test's
 * reference dropped; the fence itself is freed by its last reference, which
 * a reservation object may hold beyond the test.
 *
 * Context: Process context.  Fails and aborts the test when out of memory.
 * Return: the fence.
 */
struct dma_buf_kunit_late_fence *
dma_buf_kunit_late_fence(struct kunit *test, const char *name)
{
	/* freed by the fence's last reference, not by the test */
	struct dma_buf_kunit_late_fence *f = kzalloc(sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->name = name;
	spin_lock_init(&f->lock);
	init_completion(&f->waiter);
	INIT_DELAYED_WORK(&f->work, late_fence_work);
	dma_fence_init(&f->base, &late_fence_ops, &f->lock, dma_fence_context_alloc(1), 1);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, late_fence_put, f), 0);
	return f;
}
EXPORT_SYMBOL_IF_KUNIT(dma_buf_kunit_late_fence);

/**
 * dma_buf_kunit_late_fence_signal_in() - signal a late fence after a delay
 * @f: the fence
 * @delay: the delay, in jiffies
 *
 * A worker signals @f @delay jiffies from now, like a device finishing.
 *
 * Context: Any context.
 */
void dma_buf_kunit_late_fence_signal_in(struct dma_buf_kunit_late_fence *f,
					unsigned long delay)
{
	f->wait_for_waiter = false;
	schedule_delayed_work(&f->work, delay);
}
EXPORT_SYMBOL_IF_KUNIT(dma_buf_kunit_late_fence_signal_in);

/**
 * dma_buf_kunit_late_fence_signal_on_wait() - signal a fence once waited for
 * @f: the fence
 * @timeout: how long the worker waits for a waiter, in jiffies
 *
 * A worker signals @f only once somebody waits for it (the wait enables
 * signalling, &dma_fence_ops.enable_signaling), or after @timeout; it
 * records in &dma_buf_kunit_late_fence.had_waiter whether a waiter came.
 * The test reads it after flush_delayed_work() of &dma_buf_kunit_late_fence.work.
 *
 * Context: Any context.
 */
void dma_buf_kunit_late_fence_signal_on_wait(struct dma_buf_kunit_late_fence *f,
					     unsigned long timeout)
{
	f->wait_for_waiter = true;
	f->timeout = timeout;
	schedule_delayed_work(&f->work, 0);
}
EXPORT_SYMBOL_IF_KUNIT(dma_buf_kunit_late_fence_signal_on_wait);

/**
 * dma_buf_kunit_late_fence_add() - add a late fence to a reservation object
 * @f: the fence
 * @resv: the reservation object, not locked by the caller
 * @usage: how the fence uses the buffer
 *
 * Context: Process context; takes and releases the lock of @resv.
 * Return: 0, or the errno of dma_resv_reserve_fences().
 */
int dma_buf_kunit_late_fence_add(struct dma_buf_kunit_late_fence *f,
				 struct dma_resv *resv, enum dma_resv_usage usage)
{
	int ret;

	dma_resv_lock(resv, NULL);
	ret = dma_resv_reserve_fences(resv, 1);
	if (!ret)
		dma_resv_add_fence(resv, &f->base, usage);
	dma_resv_unlock(resv);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(dma_buf_kunit_late_fence_add);

MODULE_DESCRIPTION("KUnit helpers for dma-buf tests");
MODULE_LICENSE("GPL");
