/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * KUnit helpers for tests of dma-buf importers and of the dma-buf core: a
 * mock exporter with configurable flavour offers, the same without flavours
 * (a legacy exporter), and a late fence.  Used by the suites of the dma-buf
 * core and of its importers in other subsystems (RDMA umems, devmem TCP).
 *
 * Copyright 2026 The phyr developers
 */
#ifndef _KUNIT_DMA_BUF_H
#define _KUNIT_DMA_BUF_H

#include <linux/completion.h>
#include <linux/dma-buf-flavour.h>
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/phyr.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

struct dma_buf;
struct kunit;
struct p2pdma_provider;
struct page;

/**
 * enum dma_buf_kunit_kind - what a mock exporter implements
 * @DMA_BUF_KUNIT_SG_TABLE: the flavours, and an sg_table of its own pages
 *	for legacy importers
 * @DMA_BUF_KUNIT_BRIDGE: the flavours only: legacy importers go through
 *	the core's bridge (dma_buf_phyr_bridge_map())
 * @DMA_BUF_KUNIT_PINNED: as @DMA_BUF_KUNIT_BRIDGE, with pin and unpin (an
 *	exporter that moves buffers)
 * @DMA_BUF_KUNIT_LEGACY: no flavours at all, an sg_table of its pages, as
 *	every exporter before the flavours
 */
enum dma_buf_kunit_kind {
	DMA_BUF_KUNIT_SG_TABLE,
	DMA_BUF_KUNIT_BRIDGE,
	DMA_BUF_KUNIT_PINNED,
	DMA_BUF_KUNIT_LEGACY,
};

/* no two pages of the mock are contiguous: each is a range of its own */
#define DMA_BUF_KUNIT_PAGES_APART	BIT(0)

/**
 * struct dma_buf_kunit_exporter - a mock exporter of one real dma-buf
 * @test: the test that owns it
 * @dmabuf: the dma-buf; the exporter's reference is dropped at the end of
 *	the test (its release callback touches nothing of the mock, so that
 *	the buffer may outlive the test)
 * @pages: @nr_pages zeroed pages; the buffer's are the first ones, the
 *	rest are spares for the test (a move's new place, say)
 * @nr_pages: the number of @pages
 * @ram: the buffer's pages as a phyr of CPU RAM
 * @other: an empty phyr for the test to fill (MMIO of a provider, another
 *	placement); destroyed with the mock
 * @map: what map_phyr hands out; @ram unless the test points it elsewhere
 * @provider: for the test's MMIO offers and ranges
 * @offers: what the exporter offers, @nr_offers of them: phyr of CPU RAM,
 *	then sg_table of CPU RAM, unless the test changes them
 * @nr_offers: the number of @offers, or an errno that offers() returns
 * @attach_err: an errno for the attach callback to fail with
 * @accept_err: what accept_private() returns
 * @map_err: an errno for map_phyr() and map_private() to fail with
 * @revocable_only: attach refuses importers that cannot be revoked
 * @refuse_p2p: attach clears the attachment's peer2peer
 * @move_to: if set, the attach callback makes it the only offer, under
 *	the reservation lock (a move while the attach is not yet published),
 *	then clears it
 * @seen_flavour: the flavour the last attach callback saw
 * @seen_flags: its flags
 * @seen_p2p: its peer2peer
 * @attach_calls: calls of the attach callback
 * @attached: live attachments (written with WRITE_ONCE())
 * @phyr_maps: live map_phyr() mappings
 * @phyr_map_calls: successful map_phyr() calls
 * @private_maps: live map_private() mappings, whose opaque addresses are
 *	the mock itself
 * @sg_maps: live sg_table mappings of the exporter's own
 * @pins: live pins
 * @priv: the test's
 *
 * The counters and the offers are read and written under the buffer's
 * reservation lock, as the exporter's callbacks are called.
 */
struct dma_buf_kunit_exporter {
	struct kunit *test;
	struct dma_buf *dmabuf;
	struct page **pages;
	unsigned int nr_pages;
	struct phyr ram;
	struct phyr other;
	const struct phyr *map;
	struct p2pdma_provider *provider;
	struct dma_buf_flavour_offer offers[DMA_BUF_MAX_FLAVOURS];
	int nr_offers;
	int attach_err;
	int accept_err;
	int map_err;
	bool revocable_only;
	bool refuse_p2p;
	struct dma_buf_flavour_offer move_to;
	enum dma_buf_flavour seen_flavour;
	u32 seen_flags;
	bool seen_p2p;
	int attach_calls;
	int attached;
	int phyr_maps;
	int phyr_map_calls;
	int private_maps;
	int sg_maps;
	int pins;
	void *priv;
};

struct dma_buf_kunit_exporter *
dma_buf_kunit_exporter(struct kunit *test, enum dma_buf_kunit_kind kind,
		       unsigned int nr_pages, size_t size, unsigned int flags);

/**
 * struct dma_buf_kunit_late_fence - a fence that a worker signals later
 * @base: the fence; first, as dma_fence_free() frees the whole
 * @lock: the fence's lock
 * @name: its driver and timeline name
 * @work: the worker that signals it
 * @waiter: completed when somebody waits for the fence (enable_signaling)
 * @wait_for_waiter: the worker signals only once somebody waits
 * @timeout: how long the worker waits for a waiter, at most
 * @had_waiter: a waiter came before the worker signalled
 */
struct dma_buf_kunit_late_fence {
	struct dma_fence base;
	spinlock_t lock;		/* the fence's */
	const char *name;
	struct delayed_work work;
	struct completion waiter;
	bool wait_for_waiter;
	unsigned long timeout;
	bool had_waiter;
};

struct dma_buf_kunit_late_fence *
dma_buf_kunit_late_fence(struct kunit *test, const char *name);
void dma_buf_kunit_late_fence_signal_in(struct dma_buf_kunit_late_fence *f,
					unsigned long delay);
void dma_buf_kunit_late_fence_signal_on_wait(struct dma_buf_kunit_late_fence *f,
					     unsigned long timeout);
int dma_buf_kunit_late_fence_add(struct dma_buf_kunit_late_fence *f,
				 struct dma_resv *resv,
				 enum dma_resv_usage usage);

#endif
