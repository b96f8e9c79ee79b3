// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma-buf flavours: exporter and importer agree at attach time on what they
 * exchange -- physical ranges (phyr) for any DMA-API importer, addresses
 * private to two drivers on one interconnect, or the legacy sg_table.
 *
 * Copyright 2026 The phyr developers
 */

#include <kunit/static_stub.h>
#include <kunit/visibility.h>

#include <linux/dma-buf.h>
#include <linux/dma-buf-flavour.h>
#include <linux/dma-resv.h>
#include <linux/pci-p2pdma.h>
#include <linux/phyr.h>
#include <linux/phyr_dma.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

/**
 * DOC: flavours
 *
 * An exporter sets &dma_buf_ops.flavours and lists, per buffer and most
 * preferred first, the flavours it can produce now (&struct
 * dma_buf_flavour_offer): %DMA_BUF_FLAVOUR_PHYR for its physical ranges,
 * %DMA_BUF_FLAVOUR_PRIVATE for an interconnect it shares with a peer driver,
 * %DMA_BUF_FLAVOUR_SG_TABLE if it has an sg_table path of its own.
 *
 * An importer calls dma_buf_flavour_attach() with the flavours it accepts,
 * most preferred first (&struct dma_buf_flavour_req).  The core takes the
 * importer's first request that some offer satisfies:
 *
 * - same flavour; an sg_table request is also satisfied by a phyr offer,
 *   through the generic bridge (a DMA-only sg_table of the ranges mapped for
 *   the importer's device), unless it needs CPU RAM;
 * - an offer that may hold MMIO needs a request that accepts MMIO, and the
 *   importer's device must reach the offer's P2P provider:
 *   pci_p2pdma_map_type() is asked, never assumed;
 * - a request for CPU RAM needs an offer of CPU RAM only;
 * - a private request matches only an offer on the very same &struct
 *   dma_buf_interconnect object (identity, not name), and only if the
 *   exporter's &dma_buf_flavour_ops.accept_private, when it has one, agrees.
 *
 * The attachment records the flavour, the flags of the request and the
 * interconnect.  Each flavour has its own map and unmap calls; calling those
 * of another flavour fails with -EINVAL.  Attachments made by
 * dma_buf_attach() or dma_buf_dynamic_attach() are of the sg_table flavour,
 * as before, and every exporter keeps serving them.
 *
 * Offers describe the buffer as it is at attach time.  An exporter that moves
 * the buffer later (say from device memory to RAM) calls
 * dma_buf_invalidate_mappings() as always, and must keep honouring the flags
 * each attachment was matched with, or fail its next map.
 */

/**
 * DOC: locking and lifetimes
 *
 * As for sg_table mappings, dma_buf_map_phyr(), dma_buf_map_phyr_dma(),
 * dma_buf_map_private() and their unmaps are called with the buffer's
 * dma_resv lock held, and so are all &struct dma_buf_flavour_ops callbacks;
 * dma_buf_flavour_attach() and dma_buf_flavour_detach() take the lock
 * themselves and must be called without it.  Importers without
 * &dma_buf_attach_ops.invalidate_mappings get the buffer pinned for as long as
 * a mapping exists, and their maps wait for the kernel fences, like
 * dma_buf_map_attachment() does.
 *
 * A mapping lives until its unmap; an attachment with live phyr or private
 * mappings cannot be detached (-EBUSY).  dma_buf_set_revoked() revokes a
 * buffer: every importer's invalidate_mappings() is called, existing mappings
 * stay valid until their unmap (which importers must do within bounded
 * time), and every new map of any flavour and every new attachment fails
 * with -ENODEV until the exporter clears the revocation.
 */

static const char *const flavour_names[DMA_BUF_FLAVOUR_COUNT] = {
	[DMA_BUF_FLAVOUR_SG_TABLE] = "sg_table",
	[DMA_BUF_FLAVOUR_PHYR] = "phyr",
	[DMA_BUF_FLAVOUR_PRIVATE] = "private",
};

/**
 * dma_buf_flavour_name() - the name of a flavour, for logs and debugfs
 * @flavour: the flavour
 *
 * Return: "sg_table", "phyr", "private", or "unknown".
 */
const char *dma_buf_flavour_name(enum dma_buf_flavour flavour)
{
	if ((unsigned int)flavour >= DMA_BUF_FLAVOUR_COUNT)
		return "unknown";
	return flavour_names[flavour];
}
EXPORT_SYMBOL_NS_GPL(dma_buf_flavour_name, "DMA_BUF");

static int check_reqs(const struct dma_buf_flavour_req *reqs,
		      unsigned int nr_reqs)
{
	unsigned long seen = 0;
	unsigned int i;

	if (!reqs || !nr_reqs || nr_reqs > DMA_BUF_MAX_FLAVOURS)
		return -EINVAL;
	for (i = 0; i < nr_reqs; i++) {
		const struct dma_buf_flavour_req *req = &reqs[i];

		if ((unsigned int)req->flavour >= DMA_BUF_FLAVOUR_COUNT ||
		    (req->flags & ~DMA_BUF_FLAVOUR_FLAGS) ||
		    __test_and_set_bit(req->flavour, &seen))
			return -EINVAL;
		if (req->flavour == DMA_BUF_FLAVOUR_PRIVATE && !req->interconnect)
			return -EINVAL;
		if (req->flavour != DMA_BUF_FLAVOUR_PRIVATE && req->interconnect)
			return -EINVAL;
	}
	return 0;
}

/* Every RAM/MMIO promise of @offer holds for @req on @dev. */
static bool offer_fits(const struct dma_buf_flavour_offer *offer,
		       const struct dma_buf_flavour_req *req, struct device *dev)
{
	if ((req->flags & DMA_BUF_FLAVOUR_CPU) &&
	    !(offer->flags & DMA_BUF_FLAVOUR_CPU))
		return false;
	if (!(offer->flags & DMA_BUF_FLAVOUR_MMIO))
		return true;
	if (!(req->flags & DMA_BUF_FLAVOUR_MMIO) || !offer->provider)
		return false;
	return pci_p2pdma_map_type(offer->provider, dev) !=
	       PCI_P2PDMA_MAP_NOT_SUPPORTED;
}

/* -EOPNOTSUPP if nothing matched, another errno if the exporter refused */
static int match_one(struct dma_buf *dmabuf, struct device *dev,
		     const struct dma_buf_flavour_req *req,
		     const struct dma_buf_flavour_offer *offers,
		     unsigned int nr_offers, bool *bridged)
{
	const struct dma_buf_flavour_ops *ops = dmabuf->ops->flavours;
	int ret = -EOPNOTSUPP;
	unsigned int i;

	for (i = 0; i < nr_offers; i++) {
		const struct dma_buf_flavour_offer *offer = &offers[i];

		if (offer->flavour != req->flavour)
			continue;
		if (req->flavour == DMA_BUF_FLAVOUR_PRIVATE) {
			if (offer->interconnect != req->interconnect)
				continue;
			if (ops->accept_private) {
				ret = ops->accept_private(dmabuf, dev,
							  req->interconnect);
				if (ret)
					continue;
			}
		}
		if (offer_fits(offer, req, dev)) {
			*bridged = false;
			return 0;
		}
	}
	if (req->flavour != DMA_BUF_FLAVOUR_SG_TABLE ||
	    (req->flags & DMA_BUF_FLAVOUR_CPU))
		return ret;
	for (i = 0; i < nr_offers; i++) {
		if (offers[i].flavour == DMA_BUF_FLAVOUR_PHYR &&
		    offer_fits(&offers[i], req, dev)) {
			*bridged = true;
			return 0;
		}
	}
	return ret;
}

/*
 * Pick the first request that an offer satisfies, with the buffer's
 * reservation held.  An exporter without flavours offers its sg_table only.
 */
static int negotiate(struct dma_buf *dmabuf, struct device *dev,
		     const struct dma_buf_flavour_req *reqs,
		     unsigned int nr_reqs, unsigned int *chosen, bool *bridged)
{
	static const struct dma_buf_flavour_offer legacy = {
		.flavour = DMA_BUF_FLAVOUR_SG_TABLE,
		.flags = DMA_BUF_FLAVOUR_CPU,
	};
	const struct dma_buf_flavour_ops *ops = dmabuf->ops->flavours;
	struct dma_buf_flavour_offer offers[DMA_BUF_MAX_FLAVOURS];
	const struct dma_buf_flavour_offer *list = &legacy;
	int nr_offers = 1, ret = -EOPNOTSUPP, err;
	unsigned int i;

	dma_resv_assert_held(dmabuf->resv);
	if (dmabuf->revoked)
		return -ENODEV;
	if (ops) {
		memset(offers, 0, sizeof(offers));
		nr_offers = ops->offers(dmabuf, offers, ARRAY_SIZE(offers));
		if (nr_offers < 0)
			return nr_offers;
		if (WARN_ON_ONCE(nr_offers > DMA_BUF_MAX_FLAVOURS))
			return -EINVAL;
		list = offers;
	}
	for (i = 0; i < nr_reqs; i++) {
		/*
		 * Without flavours, the exporter's attach callback decides on
		 * MMIO (peer2peer), as it always did.
		 */
		err = match_one(dmabuf, dev, &reqs[i], list, nr_offers, bridged);
		if (!err) {
			*chosen = i;
			return 0;
		}
		if (err != -EOPNOTSUPP)
			ret = err;
	}
	return ret;
}

/**
 * dma_buf_flavour_attach() - attach a device, agreeing on a flavour
 * @dmabuf: the buffer
 * @dev: the importer's device (the one that will access the memory)
 * @reqs: the flavours the importer accepts, most preferred first, each once
 * @nr_reqs: how many, 1 to %DMA_BUF_MAX_FLAVOURS
 * @importer_ops: the importer's callbacks, as for dma_buf_dynamic_attach();
 *	may be NULL for a static importer
 * @importer_priv: the importer's data for @importer_ops
 *
 * Chooses the importer's first request that one of the exporter's current
 * offers satisfies (see DOC: flavours), then attaches with
 * dma_buf_dynamic_attach(), so that the exporter's &dma_buf_ops.attach can
 * still refuse.  Must be called without the buffer's dma_resv lock.
 *
 * Return: the attachment, with &dma_buf_attachment.flavour set, or an
 * ERR_PTR: -EINVAL for a bad request list (empty, too long, an unknown
 * flavour or flag, a flavour twice, a private request without an
 * interconnect or another with one), -EOPNOTSUPP if nothing matched, -ENODEV
 * if the buffer is revoked, or the error of the exporter's &dma_buf_flavour_ops
 * .offers, &dma_buf_flavour_ops.accept_private (when that refusal left nothing
 * else) or &dma_buf_ops.attach.  Nothing is left allocated on error.
 */
struct dma_buf_attachment *
dma_buf_flavour_attach(struct dma_buf *dmabuf, struct device *dev,
		       const struct dma_buf_flavour_req *reqs,
		       unsigned int nr_reqs,
		       const struct dma_buf_attach_ops *importer_ops,
		       void *importer_priv)
{
	struct dma_buf_attachment *attach;
	unsigned int chosen;
	bool bridged = false;
	int ret;

	if (WARN_ON_ONCE(!dmabuf || !dev))
		return ERR_PTR(-EINVAL);
	ret = check_reqs(reqs, nr_reqs);
	if (ret)
		return ERR_PTR(ret);

	dma_resv_lock(dmabuf->resv, NULL);
	ret = negotiate(dmabuf, dev, reqs, nr_reqs, &chosen, &bridged);
	dma_resv_unlock(dmabuf->resv);
	if (ret)
		return ERR_PTR(ret);

	attach = dma_buf_dynamic_attach(dmabuf, dev, importer_ops, importer_priv);
	if (IS_ERR(attach))
		return attach;

	dma_resv_lock(dmabuf->resv, NULL);
	if (dmabuf->revoked) {
		dma_resv_unlock(dmabuf->resv);
		dma_buf_detach(dmabuf, attach);
		return ERR_PTR(-ENODEV);
	}
	attach->flavour = reqs[chosen].flavour;
	attach->flavour_flags = reqs[chosen].flags;
	attach->flavour_bridged = bridged;
	attach->interconnect = reqs[chosen].interconnect;
	if (reqs[chosen].flags & DMA_BUF_FLAVOUR_MMIO)
		attach->peer2peer = true;
	dma_resv_unlock(dmabuf->resv);
	return attach;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_flavour_attach, "DMA_BUF");

/**
 * dma_buf_flavour_detach() - detach, unless mappings are still live
 * @dmabuf: the buffer
 * @attach: an attachment of @dmabuf, of any flavour
 *
 * Like dma_buf_detach(), but refuses while phyr or private mappings of
 * @attach exist instead of leaking them.  Must be called without the
 * buffer's dma_resv lock.
 *
 * Return: 0 when detached (@attach is freed), -EBUSY while mapped, -EINVAL
 * if @attach is not an attachment of @dmabuf.
 */
int dma_buf_flavour_detach(struct dma_buf *dmabuf,
			   struct dma_buf_attachment *attach)
{
	unsigned int maps;

	if (WARN_ON_ONCE(!dmabuf || !attach) || attach->dmabuf != dmabuf)
		return -EINVAL;
	dma_resv_lock(dmabuf->resv, NULL);
	maps = attach->flavour_maps;
	dma_resv_unlock(dmabuf->resv);
	if (maps)
		return -EBUSY;
	dma_buf_detach(dmabuf, attach);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_flavour_detach, "DMA_BUF");

static bool pin_on_map(struct dma_buf_attachment *attach)
{
	return attach->dmabuf->ops->pin && !attach->importer_ops;
}

/*
 * The common start of every flavour's map: right flavour, not revoked, the
 * exporter can do it; pin for static importers.
 */
static int map_begin(struct dma_buf_attachment *attach,
		     enum dma_buf_flavour flavour, bool has_op)
{
	struct dma_buf *dmabuf;
	int ret;

	might_sleep();
	if (WARN_ON_ONCE(!attach || !attach->dmabuf))
		return -EINVAL;
	dmabuf = attach->dmabuf;
	dma_resv_assert_held(dmabuf->resv);
	if (attach->flavour != flavour || !has_op)
		return -EINVAL;
	if (dmabuf->revoked)
		return -ENODEV;
	if (pin_on_map(attach)) {
		ret = dmabuf->ops->pin(attach);
		if (ret)
			return ret;
	}
	return 0;
}

/* Static importers do not wait for fences themselves. */
static int map_end(struct dma_buf_attachment *attach)
{
	long ret;

	if (attach->importer_ops)
		return 0;
	ret = dma_resv_wait_timeout(attach->dmabuf->resv, DMA_RESV_USAGE_KERNEL,
				    true, MAX_SCHEDULE_TIMEOUT);
	return ret < 0 ? ret : 0;
}

static void map_unpin(struct dma_buf_attachment *attach)
{
	if (pin_on_map(attach))
		attach->dmabuf->ops->unpin(attach);
}

/* Is @phyr within what @attach was matched with? */
static bool phyr_keeps_promise(struct dma_buf_attachment *attach,
			       const struct phyr *phyr)
{
	struct phyr_cursor cur;

	if (attach->flavour_flags & DMA_BUF_FLAVOUR_MMIO)
		return true;
	phyr_cursor_init(&cur, phyr);
	while (phyr_cursor_next(&cur))
		if (cur.type != PHYR_MEM_RAM)
			return false;
	return true;
}

static const struct phyr *__map_phyr(struct dma_buf_attachment *attach)
{
	const struct dma_buf_flavour_ops *ops = attach->dmabuf->ops->flavours;
	const struct phyr *phyr;

	phyr = ops->map_phyr(attach);
	if (!phyr)
		return ERR_PTR(-ENOMEM);
	if (IS_ERR(phyr))
		return phyr;
	if (!phyr_keeps_promise(attach, phyr)) {
		ops->unmap_phyr(attach, phyr);
		return ERR_PTR(-EREMOTEIO);
	}
	return phyr;
}

/**
 * dma_buf_map_phyr() - the physical ranges of a buffer
 * @attach: an attachment of the phyr flavour
 *
 * For importers that own their device's page tables (an IOMMU domain of
 * their own, RDMA memory keys) or map with phyr_dma_map(); others use
 * dma_buf_map_phyr_dma().  Called with the buffer's dma_resv lock held.
 *
 * Return: the ranges, valid until dma_buf_unmap_phyr(), or an ERR_PTR:
 * -EINVAL if @attach is not of the phyr flavour, -ENODEV if the buffer is
 * revoked, -EREMOTEIO if the exporter returned MMIO ranges to an importer
 * that was not matched for them, or the exporter's or fence wait's error.
 */
const struct phyr *dma_buf_map_phyr(struct dma_buf_attachment *attach)
{
	const struct dma_buf_flavour_ops *ops;
	const struct phyr *phyr;
	int ret;

	ops = attach && attach->dmabuf ? attach->dmabuf->ops->flavours : NULL;
	ret = map_begin(attach, DMA_BUF_FLAVOUR_PHYR, ops && ops->map_phyr);
	if (ret)
		return ERR_PTR(ret);
	phyr = __map_phyr(attach);
	if (IS_ERR(phyr))
		goto unpin;
	ret = map_end(attach);
	if (ret) {
		ops->unmap_phyr(attach, phyr);
		phyr = ERR_PTR(ret);
		goto unpin;
	}
	attach->flavour_maps++;
	return phyr;
unpin:
	map_unpin(attach);
	return phyr;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_map_phyr, "DMA_BUF");

/**
 * dma_buf_unmap_phyr() - release the ranges from dma_buf_map_phyr()
 * @attach: the attachment
 * @phyr: what dma_buf_map_phyr() returned
 *
 * Called with the buffer's dma_resv lock held.  Unmapping more often than
 * mapping is a kernel bug: it warns once and does nothing.
 */
void dma_buf_unmap_phyr(struct dma_buf_attachment *attach,
			const struct phyr *phyr)
{
	if (WARN_ON_ONCE(!attach || IS_ERR_OR_NULL(phyr) ||
			 attach->flavour != DMA_BUF_FLAVOUR_PHYR ||
			 !attach->flavour_maps))
		return;
	dma_resv_assert_held(attach->dmabuf->resv);
	attach->dmabuf->ops->flavours->unmap_phyr(attach, phyr);
	attach->flavour_maps--;
	map_unpin(attach);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_unmap_phyr, "DMA_BUF");

/**
 * dma_buf_map_phyr_dma() - map a buffer's ranges for the importer's device
 * @attach: an attachment of the phyr flavour
 * @map: the mapping to fill: @map->vecs and @map->nr_vecs are the result
 * @dir: the DMA direction
 * @attrs: DMA attributes, as for phyr_dma_map()
 *
 * dma_buf_map_phyr() followed by phyr_dma_map() on &dma_buf_attachment.dev:
 * behind an IOMMU the whole buffer is one contiguous IOVA range, P2P ranges
 * follow pci_p2pdma_map_type().  Called with the buffer's dma_resv lock held.
 *
 * Return: 0, or the error of dma_buf_map_phyr() or phyr_dma_map(); on error
 * nothing stays mapped.
 */
int dma_buf_map_phyr_dma(struct dma_buf_attachment *attach,
			 struct phyr_dma *map, enum dma_data_direction dir,
			 unsigned long attrs)
{
	const struct phyr *phyr = dma_buf_map_phyr(attach);
	int ret;

	if (IS_ERR(phyr))
		return PTR_ERR(phyr);
	ret = phyr_dma_map(map, phyr, attach->dev, dir, attrs);
	if (ret)
		dma_buf_unmap_phyr(attach, phyr);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_map_phyr_dma, "DMA_BUF");

/**
 * dma_buf_unmap_phyr_dma() - undo dma_buf_map_phyr_dma()
 * @attach: the attachment
 * @map: the mapping
 *
 * Called with the buffer's dma_resv lock held.
 */
void dma_buf_unmap_phyr_dma(struct dma_buf_attachment *attach,
			    struct phyr_dma *map)
{
	const struct phyr *phyr = map->phyr;

	phyr_dma_unmap(map);
	dma_buf_unmap_phyr(attach, phyr);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_unmap_phyr_dma, "DMA_BUF");

/**
 * dma_buf_map_private() - a buffer's addresses on a private interconnect
 * @attach: an attachment of the private flavour
 *
 * The format of what is returned is defined by the interconnect the two
 * drivers share; the core never looks at it.  Called with the buffer's
 * dma_resv lock held.
 *
 * Return: the exporter's addresses, valid until dma_buf_unmap_private(), or
 * an ERR_PTR: -EINVAL if @attach is not of the private flavour, -ENODEV if
 * the buffer is revoked, or the exporter's error.
 */
void *dma_buf_map_private(struct dma_buf_attachment *attach)
{
	const struct dma_buf_flavour_ops *ops;
	void *addrs;
	int ret;

	ops = attach && attach->dmabuf ? attach->dmabuf->ops->flavours : NULL;
	ret = map_begin(attach, DMA_BUF_FLAVOUR_PRIVATE,
			ops && ops->map_private && ops->unmap_private);
	if (ret)
		return ERR_PTR(ret);
	addrs = ops->map_private(attach);
	if (!addrs)
		addrs = ERR_PTR(-ENOMEM);
	if (IS_ERR(addrs))
		goto unpin;
	ret = map_end(attach);
	if (ret) {
		ops->unmap_private(attach, addrs);
		addrs = ERR_PTR(ret);
		goto unpin;
	}
	attach->flavour_maps++;
	return addrs;
unpin:
	map_unpin(attach);
	return addrs;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_map_private, "DMA_BUF");

/**
 * dma_buf_unmap_private() - release what dma_buf_map_private() returned
 * @attach: the attachment
 * @addrs: the addresses
 *
 * Called with the buffer's dma_resv lock held.  Unmapping more often than
 * mapping is a kernel bug: it warns once and does nothing.
 */
void dma_buf_unmap_private(struct dma_buf_attachment *attach, void *addrs)
{
	if (WARN_ON_ONCE(!attach || IS_ERR_OR_NULL(addrs) ||
			 attach->flavour != DMA_BUF_FLAVOUR_PRIVATE ||
			 !attach->flavour_maps))
		return;
	dma_resv_assert_held(attach->dmabuf->resv);
	attach->dmabuf->ops->flavours->unmap_private(attach, addrs);
	attach->flavour_maps--;
	map_unpin(attach);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_unmap_private, "DMA_BUF");

/* the legacy bridge: an sg_table made from the exporter's phyr */
struct phyr_bridge {
	struct sg_table sgt;
	struct phyr_dma dma;
};

/* One place for the bridge's allocation, so that tests can fail it. */
VISIBLE_IF_KUNIT void *dma_buf_flavour_alloc(size_t size)
{
	KUNIT_STATIC_STUB_REDIRECT(dma_buf_flavour_alloc, size);
	return kzalloc(size, GFP_KERNEL);
}
EXPORT_SYMBOL_IF_KUNIT(dma_buf_flavour_alloc);

/**
 * dma_buf_phyr_bridge_map() - &dma_buf_ops.map_dma_buf for phyr exporters
 * @attach: an attachment of the sg_table flavour
 * @dir: the DMA direction
 *
 * Maps the exporter's phyr (&dma_buf_flavour_ops.map_phyr) for the
 * attachment's device and returns it as a DMA-only sg_table, as 7.3 does for
 * VFIO's MMIO: no struct page, so the importer must not touch sg_page().
 * MMIO ranges need an importer that allows peer2peer and reaches the
 * provider.  The dma-buf core calls this with the dma_resv lock held, and
 * does the pinning and fence waiting itself.
 *
 * Return: the table, or an ERR_PTR: -EINVAL if @attach is not of the
 * sg_table flavour or the exporter has no phyr, -EREMOTEIO for MMIO that the
 * importer cannot take, or the error of the mapping.
 */
struct sg_table *dma_buf_phyr_bridge_map(struct dma_buf_attachment *attach,
					 enum dma_data_direction dir)
{
	const struct dma_buf_flavour_ops *ops = attach->dmabuf->ops->flavours;
	const struct phyr *phyr;
	struct phyr_bridge *b;
	int ret;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (attach->flavour != DMA_BUF_FLAVOUR_SG_TABLE || !ops || !ops->map_phyr)
		return ERR_PTR(-EINVAL);
	if (attach->dmabuf->revoked)
		return ERR_PTR(-ENODEV);
	b = dma_buf_flavour_alloc(sizeof(*b));
	if (!b)
		return ERR_PTR(-ENOMEM);
	phyr = ops->map_phyr(attach);
	if (IS_ERR_OR_NULL(phyr)) {
		ret = phyr ? PTR_ERR(phyr) : -ENOMEM;
		goto err_free;
	}
	if (!attach->peer2peer && !phyr_keeps_promise(attach, phyr)) {
		ret = -EREMOTEIO;
		goto err_unmap_phyr;
	}
	ret = phyr_dma_map(&b->dma, phyr, attach->dev, dir, 0);
	if (ret)
		goto err_unmap_phyr;
	ret = phyr_dma_to_sgt(&b->dma, &b->sgt, GFP_KERNEL);
	if (ret)
		goto err_unmap_dma;
	return &b->sgt;

err_unmap_dma:
	phyr_dma_unmap(&b->dma);
err_unmap_phyr:
	ops->unmap_phyr(attach, phyr);
err_free:
	kfree(b);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_phyr_bridge_map, "DMA_BUF");

/**
 * dma_buf_phyr_bridge_unmap() - &dma_buf_ops.unmap_dma_buf for phyr exporters
 * @attach: the attachment
 * @sgt: what dma_buf_phyr_bridge_map() returned
 * @dir: the DMA direction
 */
void dma_buf_phyr_bridge_unmap(struct dma_buf_attachment *attach,
			       struct sg_table *sgt,
			       enum dma_data_direction dir)
{
	struct phyr_bridge *b = container_of(sgt, struct phyr_bridge, sgt);
	const struct phyr *phyr = b->dma.phyr;

	phyr_dma_free_sgt(&b->sgt);
	phyr_dma_unmap(&b->dma);
	attach->dmabuf->ops->flavours->unmap_phyr(attach, phyr);
	kfree(b);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_phyr_bridge_unmap, "DMA_BUF");

/**
 * dma_buf_set_revoked() - revoke a buffer, or lift the revocation
 * @dmabuf: the buffer
 * @revoked: true to revoke
 *
 * Revoking tells every importer to drop its mappings
 * (dma_buf_invalidate_mappings()); from then on every map of any flavour and
 * every dma_buf_flavour_attach() fails with -ENODEV.  Mappings made before
 * stay valid until unmapped; an exporter that must know when importers are
 * done waits for the fences and for the unmaps, see
 * dma_buf_invalidate_mappings().  Called by the exporter with the buffer's
 * dma_resv lock held.
 */
void dma_buf_set_revoked(struct dma_buf *dmabuf, bool revoked)
{
	dma_resv_assert_held(dmabuf->resv);
	if (dmabuf->revoked == revoked)
		return;
	dmabuf->revoked = revoked;
	if (revoked)
		dma_buf_invalidate_mappings(dmabuf);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_set_revoked, "DMA_BUF");

/**
 * dma_buf_flavour_show_fdinfo() - list the exporter's current offers
 * @m: the fdinfo file
 * @dmabuf: the buffer
 *
 * Prints "flavours:" and the offered flavours, most preferred first, with
 * "+mmio"/"+cpu" for their flags and "sg_table(bridge)" when legacy importers
 * are served by the bridge; "revoked" replaces them for a revoked buffer.  Takes the buffer's
 * dma_resv lock; prints nothing if interrupted.
 */
void dma_buf_flavour_show_fdinfo(struct seq_file *m, struct dma_buf *dmabuf)
{
	const struct dma_buf_flavour_ops *ops = dmabuf->ops->flavours;
	struct dma_buf_flavour_offer offers[DMA_BUF_MAX_FLAVOURS] = {};
	bool sgt = false, phyr = false;
	int i, nr = 0;

	if (dma_resv_lock_interruptible(dmabuf->resv, NULL))
		return;
	seq_puts(m, "flavours:\t");
	if (dmabuf->revoked) {
		seq_puts(m, "revoked\n");
		goto out;
	}
	if (!ops) {
		seq_puts(m, "sg_table\n");
		goto out;
	}
	nr = ops->offers(dmabuf, offers, ARRAY_SIZE(offers));
	if (nr < 0) {
		seq_printf(m, "error %d\n", nr);
		goto out;
	}
	for (i = 0; i < min(nr, DMA_BUF_MAX_FLAVOURS); i++) {
		seq_printf(m, "%s%s%s%s", i ? " " : "",
			   dma_buf_flavour_name(offers[i].flavour),
			   offers[i].flags & DMA_BUF_FLAVOUR_MMIO ? "+mmio" : "",
			   offers[i].flags & DMA_BUF_FLAVOUR_CPU ? "+cpu" : "");
		sgt |= offers[i].flavour == DMA_BUF_FLAVOUR_SG_TABLE;
		phyr |= offers[i].flavour == DMA_BUF_FLAVOUR_PHYR;
	}
	if (phyr && !sgt)
		seq_puts(m, " sg_table(bridge)");
	seq_putc(m, '\n');
out:
	dma_resv_unlock(dmabuf->resv);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_flavour_show_fdinfo, "DMA_BUF");
