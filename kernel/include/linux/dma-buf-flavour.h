/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dma-buf flavours: what exporter and importer exchange, agreed at attach.
 *
 * Copyright 2026 The phyr developers
 */
#ifndef _LINUX_DMA_BUF_FLAVOUR_H
#define _LINUX_DMA_BUF_FLAVOUR_H

#include <linux/bits.h>
#include <linux/err.h>
#include <linux/dma-direction.h>
#include <linux/types.h>

struct device;
struct dma_buf;
struct dma_buf_attach_ops;
struct dma_buf_attachment;
struct dma_buf_iommu;
struct iommu_domain;
struct p2pdma_provider;
struct phyr;
struct phyr_dma;
struct seq_file;
struct sg_table;

/**
 * enum dma_buf_flavour - what a mapping of an attachment hands the importer
 * @DMA_BUF_FLAVOUR_SG_TABLE: an sg_table from dma_buf_map_attachment(), the
 *	legacy flavour and that of every attachment made by dma_buf_attach()
 *	or dma_buf_dynamic_attach().
 * @DMA_BUF_FLAVOUR_PHYR: the buffer's physical ranges (CPU RAM, or MMIO of a
 *	&struct p2pdma_provider): mapped for the importer's device with
 *	dma_buf_map_phyr_dma(), for any importer that maps with the DMA API.
 *	The raw &struct phyr (dma_buf_map_phyr()) is for the dma-buf core's
 *	converters and named modules only: importers never see physical
 *	addresses.
 * @DMA_BUF_FLAVOUR_PRIVATE: addresses private to two cooperating drivers on
 *	one &struct dma_buf_interconnect, from dma_buf_map_private(); opaque
 *	to the core and never handed to userspace.
 * @DMA_BUF_FLAVOUR_CPU_ACCESS: no addresses at all: an access handle
 *	(&struct dma_buf_cpu, from dma_buf_cpu_attach()) through which core
 *	helpers copy into and out of the buffer with the CPU, for importers
 *	that touch the memory with the CPU (soft-RoCE, siw).  Served from the
 *	exporter's phyr: an explicit offer for MMIO, by the core for CPU RAM.
 * @DMA_BUF_FLAVOUR_IOMMU: no addresses at all: the IOMMU converter of the
 *	dma-buf core maps the exporter's phyr into IOMMU domains the importer
 *	owns (dma_buf_iommu_attach(), for iommufd).  Exporters offer
 *	%DMA_BUF_FLAVOUR_PHYR for it; importers get it only through
 *	dma_buf_iommu_attach(), never from dma_buf_flavour_attach().
 * @DMA_BUF_FLAVOUR_COUNT: the number of flavours; not a flavour.
 */
enum dma_buf_flavour {
	DMA_BUF_FLAVOUR_SG_TABLE,
	DMA_BUF_FLAVOUR_PHYR,
	DMA_BUF_FLAVOUR_PRIVATE,
	DMA_BUF_FLAVOUR_CPU_ACCESS,
	DMA_BUF_FLAVOUR_IOMMU,
	DMA_BUF_FLAVOUR_COUNT,
};

/*
 * Flags of an offer (what the exporter's memory is) and of a request (what
 * the importer can take); see dma_buf_flavour_attach() for how they match.
 */
/* offer: ranges may be MMIO of the offer's provider; request: MMIO is fine */
#define DMA_BUF_FLAVOUR_MMIO	BIT(0)
/* offer: all ranges are CPU RAM; request: the importer needs CPU RAM */
#define DMA_BUF_FLAVOUR_CPU	BIT(1)
#define DMA_BUF_FLAVOUR_FLAGS	(DMA_BUF_FLAVOUR_MMIO | DMA_BUF_FLAVOUR_CPU)

/* the most offers an exporter may make, and requests an importer may list */
#define DMA_BUF_MAX_FLAVOURS	8

/**
 * struct dma_buf_interconnect - a link that two drivers share
 * @name: for debugging only; two interconnects never match by name
 *
 * The private flavour matches only when importer and exporter name the same
 * object: the one who owns the link (a bus driver, or the first of the two
 * drivers) creates it and hands it to both.  It must outlive every
 * attachment that uses it.
 */
struct dma_buf_interconnect {
	const char *name;
};

/**
 * struct dma_buf_flavour_offer - one flavour an exporter can produce now
 * @flavour: the flavour
 * @flags: %DMA_BUF_FLAVOUR_MMIO if some ranges are MMIO (then @provider is
 *	set), %DMA_BUF_FLAVOUR_CPU if all are CPU RAM
 * @provider: the P2P provider of the MMIO ranges
 * @interconnect: for %DMA_BUF_FLAVOUR_PRIVATE, the link the addresses are on
 */
struct dma_buf_flavour_offer {
	enum dma_buf_flavour flavour;
	u32 flags;
	struct p2pdma_provider *provider;
	const struct dma_buf_interconnect *interconnect;
};

/**
 * struct dma_buf_flavour_req - one flavour an importer accepts
 * @flavour: the flavour
 * @flags: %DMA_BUF_FLAVOUR_MMIO if the importer can take MMIO ranges (P2P),
 *	%DMA_BUF_FLAVOUR_CPU if it needs CPU RAM (a software importer)
 * @interconnect: for %DMA_BUF_FLAVOUR_PRIVATE, the link the importer is on;
 *	required
 */
struct dma_buf_flavour_req {
	enum dma_buf_flavour flavour;
	u32 flags;
	const struct dma_buf_interconnect *interconnect;
};

/**
 * struct dma_buf_flavour_ops - an exporter's flavours
 *
 * Set &dma_buf_ops.flavours to this to take part in the negotiation.  An
 * exporter that offers %DMA_BUF_FLAVOUR_PHYR but no sg_table of its own sets
 * &dma_buf_ops.map_dma_buf and &dma_buf_ops.unmap_dma_buf to
 * dma_buf_phyr_bridge_map() and dma_buf_phyr_bridge_unmap(), so that legacy
 * importers keep working.
 *
 * All callbacks are called with the dma_resv lock of the buffer held.  The
 * exporter's &dma_buf_ops.attach runs after the flavour was chosen: it sees
 * &dma_buf_attachment.flavour, its flags and provider and may refuse the
 * attachment, or clear &dma_buf_attachment.peer2peer to refuse P2P (an
 * attachment matched on MMIO then fails with -EOPNOTSUPP).
 */
struct dma_buf_flavour_ops {
	/**
	 * @offers: fill @offers with what the buffer can be mapped as now,
	 * most preferred first, and return how many (at most @max), or a
	 * negative errno.  An sg_table offer is implied only if listed, or
	 * through the bridge when phyr is.
	 */
	int (*offers)(struct dma_buf *dmabuf,
		      struct dma_buf_flavour_offer *offers, unsigned int max);
	/**
	 * @accept_private: [optional] last word on a private match: 0 to
	 * accept @dev on @interconnect, or a negative errno to refuse.
	 */
	int (*accept_private)(struct dma_buf *dmabuf, struct device *dev,
			      const struct dma_buf_interconnect *interconnect);
	/**
	 * @map_phyr: return the physical ranges of the buffer, valid until
	 * @unmap_phyr, or an ERR_PTR.  The ranges must keep the promises of
	 * the flags the attachment was matched with (&dma_buf_attachment
	 * .flavour_flags): no MMIO ranges unless %DMA_BUF_FLAVOUR_MMIO, and
	 * MMIO only of providers the importer's device reaches; the core
	 * checks every range and fails the map with -EREMOTEIO otherwise.
	 * Memory that @map_phyr handed out must stay allocated until
	 * @unmap_phyr, also after dma_buf_invalidate_mappings().
	 */
	const struct phyr *(*map_phyr)(struct dma_buf_attachment *attach);
	/** @unmap_phyr: release what @map_phyr returned. */
	void (*unmap_phyr)(struct dma_buf_attachment *attach,
			   const struct phyr *phyr);
	/**
	 * @map_private: return the buffer's addresses on the attachment's
	 * interconnect, in the interconnect's format, or an ERR_PTR.
	 */
	void *(*map_private)(struct dma_buf_attachment *attach);
	/** @unmap_private: release what @map_private returned. */
	void (*unmap_private)(struct dma_buf_attachment *attach, void *addrs);
};

struct dma_buf_attachment *
dma_buf_flavour_attach(struct dma_buf *dmabuf, struct device *dev,
		       const struct dma_buf_flavour_req *reqs,
		       unsigned int nr_reqs,
		       const struct dma_buf_attach_ops *importer_ops,
		       void *importer_priv);
int dma_buf_flavour_detach(struct dma_buf *dmabuf,
			   struct dma_buf_attachment *attach);
int dma_buf_flavour_offers(struct dma_buf *dmabuf,
			   struct dma_buf_flavour_offer *offers,
			   unsigned int max);

const struct phyr *dma_buf_map_phyr(struct dma_buf_attachment *attach);
void dma_buf_unmap_phyr(struct dma_buf_attachment *attach,
			const struct phyr *phyr);
int dma_buf_map_phyr_dma(struct dma_buf_attachment *attach,
			 struct phyr_dma *map, enum dma_data_direction dir,
			 unsigned long attrs);
void dma_buf_unmap_phyr_dma(struct dma_buf_attachment *attach,
			    struct phyr_dma *map);
void *dma_buf_map_private(struct dma_buf_attachment *attach);
void dma_buf_unmap_private(struct dma_buf_attachment *attach, void *addrs);

struct sg_table *dma_buf_phyr_bridge_map(struct dma_buf_attachment *attach,
					 enum dma_data_direction dir);
void dma_buf_phyr_bridge_unmap(struct dma_buf_attachment *attach,
			       struct sg_table *sgt,
			       enum dma_data_direction dir);

/**
 * struct dma_buf_iommu_ops - what the IOMMU converter tells its importer
 * @invalidated: [optional] the exporter moved or revoked the buffer, and the
 *	converter has removed every mapping of @conv from every domain and
 *	released the exporter's ranges; further dma_buf_iommu_map() calls fail
 *	with -ENODEV.  Called with the buffer's dma_resv lock held and no lock
 *	of the converter's: the importer may take its own locks that nest
 *	inside the reservation.
 */
struct dma_buf_iommu_ops {
	void (*invalidated)(struct dma_buf_iommu *conv, void *priv);
};

#if IS_ENABLED(CONFIG_DMABUF_FLAVOURS_IOMMU)
struct dma_buf_iommu *dma_buf_iommu_attach(struct dma_buf *dmabuf,
					   struct device *dev, u32 flags,
					   const struct dma_buf_iommu_ops *ops,
					   void *priv);
void dma_buf_iommu_detach(struct dma_buf_iommu *conv);
int dma_buf_iommu_map(struct dma_buf_iommu *conv, struct iommu_domain *domain,
		      unsigned long iova, u64 offset, size_t length, int prot);
void dma_buf_iommu_unmap(struct dma_buf_iommu *conv,
			 struct iommu_domain *domain, unsigned long iova,
			 size_t length);
u64 dma_buf_iommu_size(struct dma_buf_iommu *conv);
#else
static inline struct dma_buf_iommu *
dma_buf_iommu_attach(struct dma_buf *dmabuf, struct device *dev, u32 flags,
		     const struct dma_buf_iommu_ops *ops, void *priv)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void dma_buf_iommu_detach(struct dma_buf_iommu *conv)
{
}

static inline int dma_buf_iommu_map(struct dma_buf_iommu *conv,
				    struct iommu_domain *domain,
				    unsigned long iova, u64 offset,
				    size_t length, int prot)
{
	return -EOPNOTSUPP;
}

static inline void dma_buf_iommu_unmap(struct dma_buf_iommu *conv,
				       struct iommu_domain *domain,
				       unsigned long iova, size_t length)
{
}

static inline u64 dma_buf_iommu_size(struct dma_buf_iommu *conv)
{
	return 0;
}
#endif

#if IS_ENABLED(CONFIG_DMABUF_FLAVOURS)
const char *dma_buf_flavour_name(enum dma_buf_flavour flavour);
void dma_buf_flavour_show_fdinfo(struct seq_file *m, struct dma_buf *dmabuf);
#else
static inline const char *dma_buf_flavour_name(enum dma_buf_flavour flavour)
{
	return flavour == DMA_BUF_FLAVOUR_SG_TABLE ? "sg_table" : "unknown";
}

static inline void dma_buf_flavour_show_fdinfo(struct seq_file *m,
					       struct dma_buf *dmabuf)
{
}
#endif

#endif /* _LINUX_DMA_BUF_FLAVOUR_H */
