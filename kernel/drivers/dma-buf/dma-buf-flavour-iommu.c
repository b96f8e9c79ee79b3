// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma-buf flavours: the IOMMU converter.  An importer that owns IOMMU page
 * tables (iommufd) names its domains and IOVAs; the dma-buf core maps the
 * exporter's physical ranges there, and takes them away again when the
 * exporter moves or revokes the buffer.  The importer never sees an address.
 *
 * Copyright 2026 The phyr developers
 */

#include <kunit/static_stub.h>
#include <kunit/visibility.h>

#include <linux/dma-buf.h>
#include <linux/dma-buf-flavour.h>
#include <linux/dma-resv.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/phyr.h>
#include <linux/slab.h>

#include "dma-buf-flavour-internal.h"

/**
 * DOC: IOMMU converter
 *
 * Importers that own IOMMU page tables used to ask exporters for physical
 * addresses (7.3's vfio_pci_dma_buf_iommufd_map(), one range, found with
 * symbol_get()).  The converter turns this around: the exporter offers its
 * ranges as %DMA_BUF_FLAVOUR_PHYR, as for any importer; the importer attaches
 * with dma_buf_iommu_attach() and then asks for windows of the buffer to be
 * mapped into its domains at IOVAs of its choice with dma_buf_iommu_map().
 * Only this file sees both the ranges and the domains.
 *
 * - RAM ranges are mapped with the importer's prot; MMIO ranges (P2P, a
 *   provider's BAR) with ``(prot & ~IOMMU_CACHE) | IOMMU_MMIO``, at their
 *   CPU physical address: the device's transaction goes through its IOMMU to
 *   the root complex, as for every IOMMU_MMIO mapping (VFIO type1, 7.3's
 *   iommufd), so the P2P whitelist of the DMA API is not asked; MMIO is
 *   accepted only with %DMA_BUF_FLAVOUR_MMIO and only of a provider.
 * - A window is any (offset, length) inside the buffer whose pieces the
 *   domain can map: each range's IOVA, physical address and length aligned
 *   to the domain's smallest page size, else -EINVAL.  All ranges of a
 *   window are written into the page table first and synchronised once
 *   (iommu_map_nosync(), then iommu_sync_map()), so that a window of many
 *   ranges costs one IOTLB sync.
 *   A failure at any step unmaps what the call mapped: a window is mapped
 *   whole or not at all.
 * - The exporter's ranges are taken once, at attach time (the exporter's
 *   &dma_buf_flavour_ops.map_phyr under the reservation, after the kernel
 *   fences, e.g. of a move, have signalled) and kept until the attachment
 *   is invalidated or detached.
 *
 * The converter is a revocable importer (&dma_buf_attach_ops
 * .invalidate_mappings).  When the exporter moves or revokes the buffer,
 * the converter, inside the invalidate and so before dma_buf_revoke() can
 * return, removes every window it mapped from every domain (with the IOTLB
 * flushed, as iommu_unmap() does), gives the ranges back to the exporter
 * and then tells the importer (&dma_buf_iommu_ops.invalidated).  From then
 * on dma_buf_iommu_map() fails with -ENODEV and dma_buf_iommu_unmap() has
 * nothing left to do: the importer detaches and attaches again to see the
 * new placement (7.3's rule for iommufd: no automatic remap).
 */

/**
 * DOC: IOMMU converter locking
 *
 * Each converter has a mutex that protects its ranges and its list of mapped
 * windows; it nests inside the buffer's dma_resv lock (the invalidate runs
 * under the reservation) and inside whatever the importer holds while it
 * maps (iommufd's iopt_pages mutex), and nothing is taken inside it but the
 * IOMMU driver's page table locks.  dma_buf_iommu_map() and
 * dma_buf_iommu_unmap() do not take the reservation, so an importer may call
 * them with locks that nest inside it; dma_buf_iommu_attach() and
 * dma_buf_iommu_detach() take it and must be called without.  The importer's
 * &dma_buf_iommu_ops.invalidated runs under the reservation with the mutex
 * released.
 *
 * Revoke bound: an invalidate waits for at most one dma_buf_iommu_map() in
 * flight (the mutex), then unmaps each window once; it never waits for the
 * importer.  A map and an invalidate never interleave: a map that wins the
 * mutex is unmapped by the invalidate that follows it, one that loses it
 * finds the converter invalidated (-ENODEV).
 *
 * Domains must outlive their windows: the importer unmaps every window of a
 * domain before freeing it.
 */

/* a window mapped into one domain */
struct dma_buf_iommu_window {
	struct list_head node;
	struct iommu_domain *domain;
	unsigned long iova;
	size_t length;
};

/**
 * struct dma_buf_iommu - an importer's attachment through the converter
 * @attach: the attachment, of the %DMA_BUF_FLAVOUR_IOMMU flavour
 * @ops: the importer's callbacks
 * @priv: the importer's data for @ops
 * @lock: protects @phyr, @dead and @windows (DOC: IOMMU converter locking)
 * @phyr: the exporter's ranges, from attach until invalidated or detached
 * @size: the length of @phyr
 * @dead: invalidated or detached: nothing more is mapped
 * @windows: the windows mapped now, in any domain
 */
struct dma_buf_iommu {
	struct dma_buf_attachment *attach;
	const struct dma_buf_iommu_ops *ops;
	void *priv;
	struct mutex lock;		/* see DOC: IOMMU converter locking */
	const struct phyr *phyr;
	u64 size;
	bool dead;
	struct list_head windows;
};

/* how often an attach starts over because the buffer changed meanwhile */
#define IOMMU_ATTACH_TRIES	4

/* The steps that can fail, one function each, so that KUnit can fail them. */
VISIBLE_IF_KUNIT void *dma_buf_iommu_alloc(size_t size)
{
	KUNIT_STATIC_STUB_REDIRECT(dma_buf_iommu_alloc, size);
	return kzalloc(size, GFP_KERNEL_ACCOUNT);
}
EXPORT_SYMBOL_IF_KUNIT(dma_buf_iommu_alloc);

VISIBLE_IF_KUNIT int dma_buf_iommu_map_range(struct iommu_domain *domain,
					     unsigned long iova,
					     phys_addr_t phys, size_t len,
					     int prot)
{
	KUNIT_STATIC_STUB_REDIRECT(dma_buf_iommu_map_range, domain, iova, phys,
				   len, prot);
	return iommu_map_nosync(domain, iova, phys, len, prot,
				GFP_KERNEL_ACCOUNT);
}
EXPORT_SYMBOL_IF_KUNIT(dma_buf_iommu_map_range);

VISIBLE_IF_KUNIT int dma_buf_iommu_sync(struct iommu_domain *domain,
					unsigned long iova, size_t len)
{
	KUNIT_STATIC_STUB_REDIRECT(dma_buf_iommu_sync, domain, iova, len);
	return iommu_sync_map(domain, iova, len);
}
EXPORT_SYMBOL_IF_KUNIT(dma_buf_iommu_sync);

static void unmap_window(struct dma_buf_iommu_window *w)
{
	size_t done = iommu_unmap(w->domain, w->iova, w->length);

	/* a window was mapped whole: the IOMMU must unmap it whole */
	WARN_ON_ONCE(done != w->length);
	list_del(&w->node);
	kfree(w);
}

/*
 * Every range of @phyr within what @attach was matched with: RAM, or MMIO of
 * a provider if the importer accepts MMIO (the IOMMU reaches it, see DOC:
 * IOMMU converter).
 */
static bool ranges_keep_promise(struct dma_buf_attachment *attach,
				const struct phyr *phyr)
{
	struct phyr_cursor cur;

	phyr_cursor_init(&cur, phyr);
	while (phyr_cursor_next(&cur)) {
		if (cur.type == PHYR_MEM_RAM)
			continue;
		if (!(attach->flavour_flags & DMA_BUF_FLAVOUR_MMIO) ||
		    !cur.provider)
			return false;
	}
	return true;
}

/* Take the exporter's ranges, with the reservation held. */
static int take_ranges(struct dma_buf_iommu *conv)
{
	struct dma_buf_attachment *attach = conv->attach;
	struct dma_buf *dmabuf = attach->dmabuf;
	const struct dma_buf_flavour_ops *ops = dmabuf->ops->flavours;
	const struct phyr *phyr;
	long left;

	dma_resv_assert_held(dmabuf->resv);
	if (dmabuf->revoked)
		return -ENODEV;
	phyr = ops->map_phyr(attach);
	if (!phyr)
		return -ENOMEM;
	if (IS_ERR(phyr))
		return PTR_ERR(phyr);
	if (!ranges_keep_promise(attach, phyr) || phyr_empty(phyr)) {
		ops->unmap_phyr(attach, phyr);
		return -EREMOTEIO;
	}
	/* the memory is ready for the device only once a move has finished */
	left = dma_resv_wait_timeout(dmabuf->resv, DMA_RESV_USAGE_KERNEL, true,
				     MAX_SCHEDULE_TIMEOUT);
	if (left < 0) {
		ops->unmap_phyr(attach, phyr);
		return left;
	}
	dma_buf_count_map(attach);
	conv->phyr = phyr;
	conv->size = phyr_len(phyr);
	return 0;
}

/* Give the ranges back to the exporter, with the reservation held. */
static void release_ranges(struct dma_buf_iommu *conv, const struct phyr *phyr)
{
	struct dma_buf_attachment *attach = conv->attach;

	dma_resv_assert_held(attach->dmabuf->resv);
	attach->dmabuf->ops->flavours->unmap_phyr(attach, phyr);
	dma_buf_count_unmap(attach);
}

/*
 * Unmap everything and mark @conv dead; with the lock held.  Returns the
 * ranges to give back (with the reservation held), or NULL.
 */
static const struct phyr *kill(struct dma_buf_iommu *conv)
{
	struct dma_buf_iommu_window *w, *tmp;
	const struct phyr *phyr = conv->phyr;

	lockdep_assert_held(&conv->lock);
	list_for_each_entry_safe(w, tmp, &conv->windows, node)
		unmap_window(w);
	conv->phyr = NULL;
	conv->dead = true;
	return phyr;
}

/* &dma_buf_attach_ops.invalidate_mappings: the buffer moves or goes away */
static void dma_buf_iommu_invalidate(struct dma_buf_attachment *attach)
{
	struct dma_buf_iommu *conv = attach->importer_priv;
	const struct phyr *phyr;

	dma_resv_assert_held(attach->dmabuf->resv);
	mutex_lock(&conv->lock);
	/* not mapped yet: the attach takes the ranges of the new placement */
	if (!conv->phyr) {
		mutex_unlock(&conv->lock);
		return;
	}
	phyr = kill(conv);
	mutex_unlock(&conv->lock);
	release_ranges(conv, phyr);
	if (conv->ops && conv->ops->invalidated)
		conv->ops->invalidated(conv, conv->priv);
}

static const struct dma_buf_attach_ops dma_buf_iommu_attach_ops = {
	.allow_peer2peer = true,
	.invalidate_mappings = dma_buf_iommu_invalidate,
};

/**
 * dma_buf_iommu_attach() - attach an importer that owns IOMMU domains
 * @dmabuf: the buffer
 * @dev: the device the attachment is made for (iommufd's global device):
 *	only a name for the exporter, the memory is reached through the
 *	domains that dma_buf_iommu_map() is given
 * @flags: %DMA_BUF_FLAVOUR_MMIO if MMIO ranges may be mapped (with
 *	IOMMU_MMIO), else 0 for RAM only
 * @ops: the importer's callbacks, may be NULL
 * @priv: the importer's data for @ops
 *
 * Attaches through the flavour negotiation with a %DMA_BUF_FLAVOUR_IOMMU
 * request, which an exporter's %DMA_BUF_FLAVOUR_PHYR offer satisfies (an
 * offer that may hold MMIO needs @flags to accept it), then takes the
 * exporter's ranges (see DOC: IOMMU converter).  The attachment is revocable:
 * the exporter may move or revoke the buffer at any time, and the converter
 * unmaps on its own.
 *
 * Context: Process context; may sleep.  Takes the buffer's dma_resv lock
 * (its wait for kernel fences is interruptible): must be called without it.
 * Return: the converter, or an ERR_PTR: -EINVAL for unknown @flags,
 * -EOPNOTSUPP if the exporter offers no phyr that fits @flags, -ENODEV if
 * the buffer is revoked, -EREMOTEIO if the exporter's ranges break what it
 * offered, -EAGAIN if the buffer kept changing, -ENOMEM, -ERESTARTSYS, or
 * the exporter's error.  Nothing is left attached on error.
 */
struct dma_buf_iommu *dma_buf_iommu_attach(struct dma_buf *dmabuf,
					   struct device *dev, u32 flags,
					   const struct dma_buf_iommu_ops *ops,
					   void *priv)
{
	const struct dma_buf_flavour_req req = {
		.flavour = DMA_BUF_FLAVOUR_IOMMU,
		.flags = flags,
	};
	struct dma_buf_attachment *attach;
	struct dma_buf_iommu *conv;
	unsigned int tries = 0;
	int ret;

	if (WARN_ON_ONCE(!dmabuf || !dev))
		return ERR_PTR(-EINVAL);
	if (flags & ~DMA_BUF_FLAVOUR_MMIO)
		return ERR_PTR(-EINVAL);
	conv = dma_buf_iommu_alloc(sizeof(*conv));
	if (!conv)
		return ERR_PTR(-ENOMEM);
	mutex_init(&conv->lock);
	INIT_LIST_HEAD(&conv->windows);
	conv->ops = ops;
	conv->priv = priv;

	do {
		attach = __dma_buf_dynamic_attach(dmabuf, dev,
						  &dma_buf_iommu_attach_ops,
						  conv, &req, 1);
	} while (PTR_ERR(attach) == -EAGAIN && ++tries < IOMMU_ATTACH_TRIES);
	if (IS_ERR(attach)) {
		ret = PTR_ERR(attach);
		goto err_free;
	}
	conv->attach = attach;

	ret = dma_resv_lock_interruptible(dmabuf->resv, NULL);
	if (ret)
		goto err_detach;
	mutex_lock(&conv->lock);
	ret = take_ranges(conv);
	mutex_unlock(&conv->lock);
	dma_resv_unlock(dmabuf->resv);
	if (ret)
		goto err_detach;
	return conv;

err_detach:
	WARN_ON_ONCE(dma_buf_flavour_detach(dmabuf, attach));
err_free:
	mutex_destroy(&conv->lock);
	kfree(conv);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_iommu_attach, "DMA_BUF");

/**
 * dma_buf_iommu_detach() - undo dma_buf_iommu_attach()
 * @conv: the converter
 *
 * The importer unmaps every window first; one still mapped is a bug of the
 * importer's (it warns once) and is unmapped here.  The exporter gets its
 * ranges back.
 *
 * Context: Process context; may sleep.  Takes the buffer's dma_resv lock:
 * must be called without it.
 */
void dma_buf_iommu_detach(struct dma_buf_iommu *conv)
{
	struct dma_buf *dmabuf = conv->attach->dmabuf;
	const struct phyr *phyr;

	dma_resv_lock(dmabuf->resv, NULL);
	mutex_lock(&conv->lock);
	WARN_ON_ONCE(!list_empty(&conv->windows));
	phyr = kill(conv);
	mutex_unlock(&conv->lock);
	if (phyr)
		release_ranges(conv, phyr);
	dma_resv_unlock(dmabuf->resv);
	WARN_ON_ONCE(dma_buf_flavour_detach(dmabuf, conv->attach));
	mutex_destroy(&conv->lock);
	kfree(conv);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_iommu_detach, "DMA_BUF");

/**
 * dma_buf_iommu_size() - how many bytes the converter can map
 * @conv: the converter
 *
 * Context: Any context.
 * Return: the length of the exporter's ranges as taken at attach time
 * (windows of dma_buf_iommu_map() lie within it).
 */
u64 dma_buf_iommu_size(struct dma_buf_iommu *conv)
{
	return conv->size;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_iommu_size, "DMA_BUF");

/**
 * dma_buf_iommu_map() - map a window of the buffer into a domain
 * @conv: the converter
 * @domain: a paging domain the importer owns
 * @iova: where the window starts in @domain
 * @offset: where the window starts in the buffer, in bytes
 * @length: the length of the window, in bytes
 * @prot: IOMMU_READ, IOMMU_WRITE, IOMMU_CACHE...: for RAM as given, for MMIO
 *	without IOMMU_CACHE and with IOMMU_MMIO
 *
 * Maps [@offset, @offset + @length) of the buffer at [@iova, @iova +
 * @length) of @domain, whole or not at all, until dma_buf_iommu_unmap() with
 * the same @domain, @iova and @length, or until the exporter moves or
 * revokes the buffer (see DOC: IOMMU converter).
 *
 * Context: Process context; may sleep.  Takes the converter's mutex, not the
 * buffer's reservation: may be called with locks that nest inside it.
 * Return: 0; -EINVAL for an empty window, one beyond the buffer, an IOVA
 * range that wraps, or a range piece not aligned to @domain's smallest page
 * size at its IOVA; -ENODEV once
 * the buffer was moved or revoked; -ENOMEM; or the IOMMU's error (-EEXIST,
 * say, for an IOVA already mapped).
 */
int dma_buf_iommu_map(struct dma_buf_iommu *conv, struct iommu_domain *domain,
		      unsigned long iova, u64 offset, size_t length, int prot)
{
	struct dma_buf_iommu_window *w;
	struct phyr_cursor cur;
	unsigned long last, pgsize;
	size_t done = 0;
	int ret;

	might_sleep();
	if (!length || check_add_overflow(iova, length - 1, &last) ||
	    WARN_ON_ONCE(!domain->pgsize_bitmap))
		return -EINVAL;
	pgsize = 1UL << __ffs(domain->pgsize_bitmap);
	w = dma_buf_iommu_alloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->domain = domain;
	w->iova = iova;
	w->length = length;

	mutex_lock(&conv->lock);
	if (conv->dead || !conv->phyr) {
		ret = -ENODEV;
		goto err_unlock;
	}
	if (offset > conv->size || length > conv->size - offset) {
		ret = -EINVAL;
		goto err_unlock;
	}
	ret = phyr_cursor_init_range(&cur, conv->phyr, offset, length);
	if (ret)
		goto err_unlock;
	while (phyr_cursor_next(&cur)) {
		int p = prot;

		if (cur.type != PHYR_MEM_RAM)
			p = (prot & ~IOMMU_CACHE) | IOMMU_MMIO;
		if (!IS_ALIGNED(iova + done, pgsize) ||
		    !IS_ALIGNED(cur.phys | cur.len, pgsize)) {
			ret = -EINVAL;
			goto err_unmap;
		}
		ret = dma_buf_iommu_map_range(domain, iova + done, cur.phys,
					      cur.len, p);
		if (ret)
			goto err_unmap;
		done += cur.len;
	}
	if (WARN_ON_ONCE(done != length)) {
		ret = -EINVAL;
		goto err_unmap;
	}
	ret = dma_buf_iommu_sync(domain, iova, length);
	if (ret)
		goto err_unmap;
	list_add_tail(&w->node, &conv->windows);
	mutex_unlock(&conv->lock);
	return 0;

err_unmap:
	if (done)
		WARN_ON_ONCE(iommu_unmap(domain, iova, done) != done);
err_unlock:
	mutex_unlock(&conv->lock);
	kfree(w);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_iommu_map, "DMA_BUF");

/**
 * dma_buf_iommu_unmap() - unmap a window that dma_buf_iommu_map() mapped
 * @conv: the converter
 * @domain: the domain it was mapped into
 * @iova: its IOVA
 * @length: its length
 *
 * After the exporter moved or revoked the buffer the converter has unmapped
 * every window already, and this does nothing.  Unmapping a window that was
 * never mapped is a bug of the importer's: it warns once.
 *
 * Context: Process context; may sleep.  Takes the converter's mutex, not the
 * buffer's reservation.
 */
void dma_buf_iommu_unmap(struct dma_buf_iommu *conv,
			 struct iommu_domain *domain, unsigned long iova,
			 size_t length)
{
	struct dma_buf_iommu_window *w;

	mutex_lock(&conv->lock);
	list_for_each_entry(w, &conv->windows, node) {
		if (w->domain == domain && w->iova == iova &&
		    w->length == length) {
			unmap_window(w);
			mutex_unlock(&conv->lock);
			return;
		}
	}
	WARN_ON_ONCE(!conv->dead);
	mutex_unlock(&conv->lock);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_iommu_unmap, "DMA_BUF");
