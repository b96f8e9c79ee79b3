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
#include <linux/dma-buf-mapping.h>
#include <linux/dma-buf-flavour.h>
#include <linux/dma-resv.h>
#include <linux/pci-p2pdma.h>
#include <linux/phyr.h>
#include <linux/phyr_dma.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "dma-buf-flavour-internal.h"

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
 *   exporter's &dma_buf_flavour_ops.accept_private, when it has one, agrees;
 * - a cpu_access request (an importer that touches the memory with the CPU,
 *   through the helpers of dma-buf-flavour-cpu.c) matches a cpu_access
 *   offer, with no P2P question: the CPU reaches any MMIO whose exporter
 *   offers it for CPU access.  The core also serves it from a phyr offer of
 *   CPU RAM only: RAM needs no consent, MMIO always does (it may be device
 *   registers rather than memory).
 *
 * The match happens inside the attach, before the exporter's
 * &dma_buf_ops.attach runs: the attachment already holds the flavour, the
 * flags of the request, the provider of the offer that matched (for offers
 * that may hold MMIO) and the interconnect, and &dma_buf_attachment.peer2peer
 * says whether the request accepts MMIO.  The exporter may refuse the
 * attachment, or clear peer2peer to refuse P2P; an attachment that was
 * matched on an MMIO offer then fails with -EOPNOTSUPP: the core never
 * overrides the exporter.  Once the exporter agreed, the match is checked
 * again under the reservation lock that publishes the attachment; if the
 * buffer changed in between (it moved, or was revoked), the attach starts
 * over, or fails with -ENODEV for a revoked buffer.
 *
 * An exporter without &dma_buf_ops.flavours offers its sg_table with no
 * promise about what backs it: an sg_table request that needs CPU RAM does
 * not match it, any other does, and the exporter decides on MMIO by
 * &dma_buf_attachment.peer2peer as it always did.
 *
 * Each flavour has its own map and unmap calls; calling those of another
 * flavour fails with -EINVAL.  Attachments made by dma_buf_attach() or
 * dma_buf_dynamic_attach() are of the sg_table flavour, as before, and every
 * exporter keeps serving them.
 *
 * Offers describe the buffer as it is at attach time.  An exporter that moves
 * the buffer later (say from device memory to RAM) calls
 * dma_buf_invalidate_mappings() as always, and must keep honouring what each
 * attachment was matched with: move the buffer back where the attachment can
 * use it when it maps again (as TTM exporters do), or fail that map.
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
 * A mapping lives until its unmap; an attachment with live mappings cannot
 * be detached with dma_buf_flavour_detach() (-EBUSY).
 */

/**
 * DOC: phyr for importers
 *
 * An importer never sees a phyr.  DMA-API importers get DMA addresses from
 * dma_buf_map_phyr_dma(); importers that own IOMMU page tables (iommufd)
 * give the IOMMU converter their domains and IOVAs, and the core maps the
 * exporter's ranges there and takes them away again on a move or revoke
 * (dma_buf_iommu_attach()).  Raw physical addresses in a driver outside the
 * core would let it map MMIO or RAM where the exporter can neither see nor
 * revoke the mapping, which is why the dma-buf maintainers refused handing
 * them out: dma_buf_map_phyr() is exported only to the modules that
 * EXPORT_SYMBOL_FOR_MODULES() names (phyr_vgem, whose tests check its own
 * ranges).
 */

static const char *const flavour_names[DMA_BUF_FLAVOUR_COUNT] = {
	[DMA_BUF_FLAVOUR_SG_TABLE] = "sg_table",
	[DMA_BUF_FLAVOUR_PHYR] = "phyr",
	[DMA_BUF_FLAVOUR_PRIVATE] = "private",
	[DMA_BUF_FLAVOUR_CPU_ACCESS] = "cpu_access",
	[DMA_BUF_FLAVOUR_IOMMU] = "iommu",
};

/**
 * dma_buf_flavour_name() - the name of a flavour, for logs and debugfs
 * @flavour: the flavour
 *
 * Context: Any context.
 * Return: "sg_table", "phyr", "private", "cpu_access", "iommu", or "unknown".
 */
const char *dma_buf_flavour_name(enum dma_buf_flavour flavour)
{
	if ((unsigned int)flavour >= DMA_BUF_FLAVOUR_COUNT)
		return "unknown";
	return flavour_names[flavour];
}
EXPORT_SYMBOL_NS_GPL(dma_buf_flavour_name, "DMA_BUF");

/**
 * dma_buf_flavour_p2p_name() - how an attachment's device reaches MMIO
 * @attach: the attachment
 *
 * For debugfs: the way the importer's device reaches the MMIO of the
 * provider its attachment was matched with, as pci_p2pdma_map_type() decides
 * it and as every mapping of the attachment then does it.  Only for the
 * flavours whose importer DMAs to the exporter's ranges with its own DMA
 * mapping (phyr, and sg_table): the IOMMU converter maps MMIO into the
 * importer's domains and the CPU-access flavour is not DMA.
 *
 * A revoked buffer has no P2P path: an exporter revokes before its provider
 * goes (the PCI device's removal frees it), while importers may hold their
 * attachments for longer, so the provider is not looked at then.
 *
 * Context: Process context; the buffer's dma_resv lock must be held.
 * Return: "bus_addr", "thru_host_bridge", or %NULL if the attachment was not
 * matched on MMIO, is of another flavour, its device cannot reach it, or the
 * buffer is revoked.
 */
const char *dma_buf_flavour_p2p_name(struct dma_buf_attachment *attach)
{
	dma_resv_assert_held(attach->dmabuf->resv);
	if (attach->dmabuf->revoked || !attach->flavour_provider ||
	    (attach->flavour != DMA_BUF_FLAVOUR_PHYR &&
	     attach->flavour != DMA_BUF_FLAVOUR_SG_TABLE))
		return NULL;
	switch (pci_p2pdma_map_type(attach->flavour_provider, attach->dev)) {
	case PCI_P2PDMA_MAP_BUS_ADDR:
		return "bus_addr";
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		return "thru_host_bridge";
	default:
		return NULL;
	}
}

static int check_reqs(const struct dma_buf_flavour_req *reqs,
		      unsigned int nr_reqs)
{
	unsigned long seen = 0;
	unsigned int i;

	if (!reqs || !nr_reqs || nr_reqs > DMA_BUF_MAX_FLAVOURS)
		return -EINVAL;
	for (i = 0; i < nr_reqs; i++) {
		const struct dma_buf_flavour_req *req = &reqs[i];

		/* the IOMMU converter is asked for with dma_buf_iommu_attach() */
		if ((unsigned int)req->flavour >= DMA_BUF_FLAVOUR_COUNT ||
		    req->flavour == DMA_BUF_FLAVOUR_IOMMU ||
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
	/*
	 * the CPU reaches whatever MMIO its exporter lets it map, and the IOMMU
	 * converter maps MMIO through the importer's own domains
	 */
	if (req->flavour == DMA_BUF_FLAVOUR_CPU_ACCESS ||
	    req->flavour == DMA_BUF_FLAVOUR_IOMMU)
		return true;
	return pci_p2pdma_map_type(offer->provider, dev) !=
	       PCI_P2PDMA_MAP_NOT_SUPPORTED;
}

/*
 * A request that the core serves from a phyr offer: sg_table through the
 * bridge (a DMA-only table, so not for a request that needs CPU RAM), and
 * CPU access to CPU RAM (MMIO needs the exporter's own cpu_access offer).
 */
static bool bridge_fits(const struct dma_buf_flavour_offer *offer,
			const struct dma_buf_flavour_req *req, struct device *dev)
{
	if (offer->flavour != DMA_BUF_FLAVOUR_PHYR)
		return false;
	if (req->flavour == DMA_BUF_FLAVOUR_SG_TABLE)
		return !(req->flags & DMA_BUF_FLAVOUR_CPU) &&
		       offer_fits(offer, req, dev);
	if (req->flavour == DMA_BUF_FLAVOUR_CPU_ACCESS)
		return offer->flags & DMA_BUF_FLAVOUR_CPU;
	return false;
}

/* what a negotiation chose */
struct flavour_match {
	unsigned int req;
	bool bridged;
	struct p2pdma_provider *provider;
};

/* -EOPNOTSUPP if nothing matched, another errno if the exporter refused */
static int match_one(struct dma_buf *dmabuf, struct device *dev,
		     const struct dma_buf_flavour_req *req,
		     const struct dma_buf_flavour_offer *offers,
		     unsigned int nr_offers, struct flavour_match *m)
{
	const struct dma_buf_flavour_ops *ops = dmabuf->ops->flavours;
	/* the IOMMU converter maps what the exporter offers as phyr */
	enum dma_buf_flavour want = req->flavour == DMA_BUF_FLAVOUR_IOMMU ?
				    DMA_BUF_FLAVOUR_PHYR : req->flavour;
	int ret = -EOPNOTSUPP;
	unsigned int i;

	for (i = 0; i < nr_offers; i++) {
		const struct dma_buf_flavour_offer *offer = &offers[i];

		if (offer->flavour != want)
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
			m->bridged = false;
			m->provider = offer->flags & DMA_BUF_FLAVOUR_MMIO ?
				      offer->provider : NULL;
			return 0;
		}
	}
	for (i = 0; i < nr_offers; i++) {
		if (bridge_fits(&offers[i], req, dev)) {
			m->bridged = true;
			m->provider = offers[i].flags & DMA_BUF_FLAVOUR_MMIO ?
				      offers[i].provider : NULL;
			return 0;
		}
	}
	return ret;
}

/*
 * Pick the first request that an offer satisfies, with the buffer's
 * reservation held.  An exporter without flavours offers its sg_table only,
 * and promises nothing about what backs it (see DOC: flavours).
 */
static int negotiate(struct dma_buf *dmabuf, struct device *dev,
		     const struct dma_buf_flavour_req *reqs,
		     unsigned int nr_reqs, struct flavour_match *m)
{
	static const struct dma_buf_flavour_offer legacy = {
		.flavour = DMA_BUF_FLAVOUR_SG_TABLE,
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
		err = match_one(dmabuf, dev, &reqs[i], list, nr_offers, m);
		if (!err) {
			m->req = i;
			return 0;
		}
		if (err != -EOPNOTSUPP)
			ret = err;
	}
	return ret;
}

/**
 * dma_buf_flavour_choose() - match an attachment before the exporter's attach
 * @attach: the new attachment, not yet published
 * @reqs: the importer's requests, checked
 * @nr_reqs: their number
 *
 * For __dma_buf_dynamic_attach() only.  Records the match in @attach and
 * sets &dma_buf_attachment.peer2peer to whether the request accepts MMIO.
 *
 * Context: Process context.  Takes and releases nothing; the buffer's
 * dma_resv lock must be held.
 * Return: 0, -ENODEV for a revoked buffer, -EOPNOTSUPP if nothing matched,
 * or the exporter's error.
 */
int dma_buf_flavour_choose(struct dma_buf_attachment *attach,
			   const struct dma_buf_flavour_req *reqs,
			   unsigned int nr_reqs)
{
	struct dma_buf *dmabuf = attach->dmabuf;
	const struct dma_buf_flavour_req *req;
	struct flavour_match m = {};
	int ret;

	dma_resv_assert_held(dmabuf->resv);
	ret = negotiate(dmabuf, attach->dev, reqs, nr_reqs, &m);
	if (ret)
		return ret;
	req = &reqs[m.req];
	attach->flavour = req->flavour;
	attach->flavour_flags = req->flags;
	attach->flavour_bridged = m.bridged;
	attach->flavour_provider = m.provider;
	attach->interconnect = req->interconnect;
	attach->peer2peer = req->flags & DMA_BUF_FLAVOUR_MMIO;
	return 0;
}

/**
 * dma_buf_flavour_confirm() - check a match again before publishing it
 * @attach: the attachment, which the exporter's attach accepted
 * @reqs: the importer's requests
 * @nr_reqs: their number
 *
 * For __dma_buf_dynamic_attach() only, under the reservation lock that adds
 * @attach to the buffer's list: the buffer must still give what @attach was
 * matched with, and the exporter must not have refused P2P to an attachment
 * that was matched on MMIO.
 *
 * Context: Process context; the buffer's dma_resv lock must be held.
 * Return: 0; -EAGAIN if the match changed (the caller starts over);
 * -EOPNOTSUPP if the exporter cleared peer2peer for an MMIO match; -ENODEV
 * for a revoked buffer; or the exporter's error.
 */
int dma_buf_flavour_confirm(struct dma_buf_attachment *attach,
			    const struct dma_buf_flavour_req *reqs,
			    unsigned int nr_reqs)
{
	struct flavour_match m = {};
	int ret;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (attach->flavour_provider && !attach->peer2peer)
		return -EOPNOTSUPP;
	ret = negotiate(attach->dmabuf, attach->dev, reqs, nr_reqs, &m);
	if (ret == -EOPNOTSUPP)
		return -EAGAIN;
	if (ret)
		return ret;
	if (reqs[m.req].flavour != attach->flavour ||
	    reqs[m.req].flags != attach->flavour_flags ||
	    m.bridged != attach->flavour_bridged ||
	    m.provider != attach->flavour_provider)
		return -EAGAIN;
	return 0;
}

/* how often an attach starts over because the buffer changed meanwhile */
#define FLAVOUR_ATTACH_TRIES	4

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
 * offers satisfies (see DOC: flavours), then lets the exporter's
 * &dma_buf_ops.attach decide on that match, and publishes the attachment if
 * the buffer still gives it.  &dma_buf_attachment.peer2peer follows the
 * request (whether it accepts MMIO), not &dma_buf_attach_ops.allow_peer2peer.
 *
 * Context: Process context; may sleep.  Takes the buffer's dma_resv lock:
 * must be called without it.
 * Return: the attachment, with &dma_buf_attachment.flavour set, or an
 * ERR_PTR: -EINVAL for a bad request list (empty, too long, an unknown
 * flavour or flag, a flavour twice, a private request without an
 * interconnect or another with one), -EOPNOTSUPP if nothing matched or the
 * exporter refused P2P to an MMIO match, -ENODEV if the buffer is revoked,
 * -EAGAIN if the buffer kept changing under the attach, or the error of the
 * exporter's &dma_buf_flavour_ops.offers, &dma_buf_flavour_ops.accept_private
 * (when that refusal left nothing else) or &dma_buf_ops.attach.  Nothing is
 * left allocated on error.
 */
struct dma_buf_attachment *
dma_buf_flavour_attach(struct dma_buf *dmabuf, struct device *dev,
		       const struct dma_buf_flavour_req *reqs,
		       unsigned int nr_reqs,
		       const struct dma_buf_attach_ops *importer_ops,
		       void *importer_priv)
{
	struct dma_buf_attachment *attach;
	unsigned int tries = 0;
	int ret;

	if (WARN_ON_ONCE(!dmabuf || !dev))
		return ERR_PTR(-EINVAL);
	ret = check_reqs(reqs, nr_reqs);
	if (ret)
		return ERR_PTR(ret);

	do {
		attach = __dma_buf_dynamic_attach(dmabuf, dev, importer_ops,
						  importer_priv, reqs, nr_reqs);
	} while (PTR_ERR(attach) == -EAGAIN && ++tries < FLAVOUR_ATTACH_TRIES);
	return attach;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_flavour_attach, "DMA_BUF");

/**
 * dma_buf_flavour_detach() - detach, unless mappings are still live
 * @dmabuf: the buffer
 * @attach: an attachment of @dmabuf, of any flavour
 *
 * Like dma_buf_detach(), but refuses while mappings of @attach (of any
 * flavour) exist instead of leaking them.
 *
 * Context: Process context; may sleep.  Takes the buffer's dma_resv lock:
 * must be called without it.
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
	maps = attach->nr_maps;
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

/*
 * Is @phyr within what @attach was matched with?  RAM always is; MMIO only if
 * the attachment takes MMIO (@mmio_ok) and its device reaches the range's
 * provider: the provider of the offer it was matched on was asked at attach
 * time, any other is asked now (once per run of ranges of one provider).
 */
static bool phyr_keeps_promise(struct dma_buf_attachment *attach,
			       const struct phyr *phyr, bool mmio_ok)
{
	struct p2pdma_provider *ok = attach->flavour_provider;
	struct phyr_cursor cur;

	phyr_cursor_init(&cur, phyr);
	while (phyr_cursor_next(&cur)) {
		if (cur.type == PHYR_MEM_RAM)
			continue;
		if (!mmio_ok || !cur.provider)
			return false;
		if (cur.provider == ok)
			continue;
		if (pci_p2pdma_map_type(cur.provider, attach->dev) ==
		    PCI_P2PDMA_MAP_NOT_SUPPORTED)
			return false;
		ok = cur.provider;
	}
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
	if (!phyr_keeps_promise(attach, phyr,
				attach->flavour_flags & DMA_BUF_FLAVOUR_MMIO)) {
		ops->unmap_phyr(attach, phyr);
		return ERR_PTR(-EREMOTEIO);
	}
	return phyr;
}

/**
 * dma_buf_map_phyr() - the physical ranges of a buffer
 * @attach: an attachment of the phyr flavour
 *
 * Physical addresses are not for importers: a driver that holds them can
 * map the memory where the exporter cannot see or revoke it.  Importers use
 * dma_buf_map_phyr_dma() (DMA addresses for their device) or, if they own
 * IOMMU page tables, the IOMMU converter (dma_buf_iommu_attach()), which
 * maps and unmaps for them and hands them no address at all.  This is for
 * the dma-buf core's own converters and is exported only to the modules
 * named below (see DOC: phyr for importers).  Every range is checked against
 * what @attach was matched with: MMIO only for a request that accepts it,
 * and only of providers the attachment's device reaches.
 *
 * Context: Process context; may sleep.  The buffer's dma_resv lock must be
 * held.
 * Return: the ranges, valid until dma_buf_unmap_phyr(), or an ERR_PTR:
 * -EINVAL if @attach is not of the phyr flavour, -ENODEV if the buffer is
 * revoked, -EREMOTEIO if the exporter returned MMIO ranges that the importer
 * was not matched for or does not reach, or the exporter's or fence wait's
 * error.
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
	dma_buf_count_map(attach);
	return phyr;
unpin:
	map_unpin(attach);
	return phyr;
}
EXPORT_SYMBOL_FOR_MODULES(dma_buf_map_phyr, "phyr_vgem");

/**
 * dma_buf_unmap_phyr() - release the ranges from dma_buf_map_phyr()
 * @attach: the attachment
 * @phyr: what dma_buf_map_phyr() returned
 *
 * Unmapping more often than mapping is a kernel bug: it warns once and does
 * nothing.
 *
 * Context: Process context; may sleep.  The buffer's dma_resv lock must be
 * held.
 */
void dma_buf_unmap_phyr(struct dma_buf_attachment *attach,
			const struct phyr *phyr)
{
	if (WARN_ON_ONCE(!attach || IS_ERR_OR_NULL(phyr) ||
			 attach->flavour != DMA_BUF_FLAVOUR_PHYR ||
			 !attach->nr_maps))
		return;
	dma_resv_assert_held(attach->dmabuf->resv);
	attach->dmabuf->ops->flavours->unmap_phyr(attach, phyr);
	dma_buf_count_unmap(attach);
	map_unpin(attach);
}
EXPORT_SYMBOL_FOR_MODULES(dma_buf_unmap_phyr, "phyr_vgem");

/**
 * dma_buf_map_phyr_dma() - map a buffer's ranges for the importer's device
 * @attach: an attachment of the phyr flavour
 * @map: the mapping to fill: @map->vecs and @map->nr_vecs are the result
 * @dir: the DMA direction
 * @attrs: DMA attributes, as for phyr_dma_map()
 *
 * dma_buf_map_phyr() followed by phyr_dma_map() on &dma_buf_attachment.dev:
 * behind an IOMMU the whole buffer is one contiguous IOVA range, P2P ranges
 * follow pci_p2pdma_map_type().
 *
 * Context: Process context; may sleep.  The buffer's dma_resv lock must be
 * held.
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
 * Context: Process context; may sleep.  The buffer's dma_resv lock must be
 * held.
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
 * drivers share; the core never looks at it.
 *
 * Context: Process context; may sleep.  The buffer's dma_resv lock must be
 * held.
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
	dma_buf_count_map(attach);
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
 * Unmapping more often than mapping is a kernel bug: it warns once and does
 * nothing.
 *
 * Context: Process context; may sleep.  The buffer's dma_resv lock must be
 * held.
 */
void dma_buf_unmap_private(struct dma_buf_attachment *attach, void *addrs)
{
	if (WARN_ON_ONCE(!attach || IS_ERR_OR_NULL(addrs) ||
			 attach->flavour != DMA_BUF_FLAVOUR_PRIVATE ||
			 !attach->nr_maps))
		return;
	dma_resv_assert_held(attach->dmabuf->resv);
	attach->dmabuf->ops->flavours->unmap_private(attach, addrs);
	dma_buf_count_unmap(attach);
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
 * provider.  The dma-buf core does the pinning and fence waiting itself.
 *
 * Context: Process context; may sleep.  Called by the dma-buf core with the
 * buffer's dma_resv lock held.
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
	if (!phyr_keeps_promise(attach, phyr, attach->peer2peer)) {
		ret = -EREMOTEIO;
		goto err_unmap_phyr;
	}
	ret = phyr_dma_map(&b->dma, phyr, attach->dev, dir, 0);
	if (ret)
		goto err_unmap_phyr;
	ret = dma_buf_dma_vec_to_sgt(&b->sgt, b->dma.vecs, b->dma.nr_vecs,
				     GFP_KERNEL);
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
 *
 * Context: Process context; may sleep.  Called by the dma-buf core with the
 * buffer's dma_resv lock held.
 */
void dma_buf_phyr_bridge_unmap(struct dma_buf_attachment *attach,
			       struct sg_table *sgt,
			       enum dma_data_direction dir)
{
	struct phyr_bridge *b = container_of(sgt, struct phyr_bridge, sgt);
	const struct phyr *phyr = b->dma.phyr;

	dma_buf_dma_vec_free_sgt(&b->sgt);
	phyr_dma_unmap(&b->dma);
	attach->dmabuf->ops->flavours->unmap_phyr(attach, phyr);
	kfree(b);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_phyr_bridge_unmap, "DMA_BUF");

/**
 * dma_buf_flavour_show_fdinfo() - list the exporter's current offers
 * @m: the fdinfo file
 * @dmabuf: the buffer
 *
 * Prints "flavours:" and the offered flavours, most preferred first, with
 * "+mmio"/"+cpu" for their flags, "sg_table(bridge)" when legacy importers
 * are served by the bridge and "cpu_access(bridge)" when the core serves CPU
 * access from a phyr of CPU RAM; "revoked" replaces them for a revoked
 * buffer.
 *
 * Context: Process context.  Takes the buffer's dma_resv lock
 * (interruptibly: prints nothing if interrupted).
 */
void dma_buf_flavour_show_fdinfo(struct seq_file *m, struct dma_buf *dmabuf)
{
	const struct dma_buf_flavour_ops *ops = dmabuf->ops->flavours;
	struct dma_buf_flavour_offer offers[DMA_BUF_MAX_FLAVOURS] = {};
	bool sgt = false, phyr = false, phyr_cpu = false, cpu = false;
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
		phyr_cpu |= offers[i].flavour == DMA_BUF_FLAVOUR_PHYR &&
			    (offers[i].flags & DMA_BUF_FLAVOUR_CPU);
		cpu |= offers[i].flavour == DMA_BUF_FLAVOUR_CPU_ACCESS;
	}
	if (phyr && !sgt)
		seq_puts(m, " sg_table(bridge)");
	if (phyr_cpu && !cpu)
		seq_puts(m, " cpu_access(bridge)");
	seq_putc(m, '\n');
out:
	dma_resv_unlock(dmabuf->resv);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_flavour_show_fdinfo, "DMA_BUF");

/**
 * dma_buf_flavour_offers() - what a buffer's exporter offers now
 * @dmabuf: the buffer
 * @offers: filled with the offers, most preferred first
 * @max: entries of @offers, at least %DMA_BUF_MAX_FLAVOURS
 *
 * For importers that want to know before they attach, and for userspace
 * queries: the offers the negotiation would see now.  An exporter without
 * &dma_buf_ops.flavours is reported as one %DMA_BUF_FLAVOUR_SG_TABLE offer
 * without flags (no promise about what backs it).  The answer may be stale
 * as soon as the lock is dropped (the buffer may move).
 *
 * Context: Process context.  Takes the buffer's dma_resv lock
 * (interruptibly): must be called without it.
 * Return: the number of offers; -EINVAL if @max is too small; -ENODEV for a
 * revoked buffer; -EINTR if interrupted; or the error of the exporter's
 * &dma_buf_flavour_ops.offers.
 */
int dma_buf_flavour_offers(struct dma_buf *dmabuf,
			   struct dma_buf_flavour_offer *offers,
			   unsigned int max)
{
	const struct dma_buf_flavour_ops *ops = dmabuf->ops->flavours;
	int nr;

	if (max < DMA_BUF_MAX_FLAVOURS)
		return -EINVAL;
	memset(offers, 0, max * sizeof(*offers));
	if (dma_resv_lock_interruptible(dmabuf->resv, NULL))
		return -EINTR;
	if (dmabuf->revoked) {
		nr = -ENODEV;
	} else if (!ops) {
		offers[0].flavour = DMA_BUF_FLAVOUR_SG_TABLE;
		nr = 1;
	} else {
		nr = ops->offers(dmabuf, offers, DMA_BUF_MAX_FLAVOURS);
		if (WARN_ON_ONCE(nr > DMA_BUF_MAX_FLAVOURS))
			nr = -EINVAL;
	}
	dma_resv_unlock(dmabuf->resv);
	return nr;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_flavour_offers, "DMA_BUF");
