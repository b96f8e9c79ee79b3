// SPDX-License-Identifier: MIT
/*
 * phyr_vgem's dma-buf export: the GEM PRIME helpers plus dma-buf flavours, so
 * that importers can take the buffer as physical ranges (phyr) as well as an
 * sg_table; and its import of other devices' dma-bufs.
 *
 * Copyright 2026 The phyr developers
 */

#include <linux/dma-buf.h>
#include <linux/dma-buf-flavour.h>
#include <linux/dma-resv.h>
#include <linux/mm.h>
#include <linux/pci-p2pdma.h>
#include <linux/phyr.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_prime.h>
#include <drm/drm_print.h>

#include "phyr_vgem_drv.h"

MODULE_IMPORT_NS("DMA_BUF");

/**
 * phyr_vgem_shmem_phyr() - append the ranges of a shmem-backed GEM object
 * @shmem: the object, with its pages pinned
 * @phyr: the list to append to
 *
 * The builder of a phyr from a shmem GEM object: its page array, with
 * physically contiguous pages (large folios) coalesced into one range.
 *
 * Context: Process context; may sleep.  The object's reservation must be
 * held.
 * Return: 0, -EINVAL without pinned pages, or the error of
 * phyr_append_pages() (which leaves @phyr unchanged).
 */
int phyr_vgem_shmem_phyr(struct drm_gem_shmem_object *shmem, struct phyr *phyr)
{
	size_t size = shmem->base.size;

	dma_resv_assert_held(shmem->base.resv);
	if (!shmem->pages || !refcount_read(&shmem->pages_pin_count))
		return -EINVAL;
	return phyr_append_pages(phyr, shmem->pages, size >> PAGE_SHIFT, 0, size);
}

/**
 * DOC: phyr_vgem flavours
 *
 * System memory offers phyr (CPU RAM) and its own sg_table of the pages.
 * Device memory offers the private flavour to other phyr_vgem devices (BAR
 * offsets, &struct phyr_vgem_private), phyr with the BAR's MMIO ranges and
 * P2P provider, and CPU access to them (the BAR is plain memory, which the
 * CPU may map write-combined, as our own mmap does); legacy importers get a
 * DMA-only sg_table through the bridge, if they allow peer2peer and reach
 * the BAR.  CPU access to system memory is served by the flavour core from
 * the phyr of the pages.  An importer that cannot reach
 * the provider is refused at attach time (-EOPNOTSUPP): phyr_vgem does not
 * move the buffer behind userspace's back when an importer attaches.
 *
 * One exception, offered last in device memory: CPU access to CPU RAM.  A
 * software importer that needs RAM (atomics, which are not atomic for other
 * agents on write-combined MMIO) reaches any placement by a move: it gets
 * the buffer in system memory at its first map, as it would at its next map
 * after userspace moved the buffer to device memory (below).  One rule for
 * such an importer, whether the buffer was in device memory when it
 * attached or went there later.
 *
 * Device memory goes away with its PCI device, so only importers that can be
 * revoked (dma_buf_attach_revocable()) may map it: a static importer is
 * refused while the buffer is in device memory.  Each attachment knows the
 * placements it can use (private: device memory; phyr, sg_table or CPU
 * access without MMIO: system memory; with MMIO of a BAR it reaches, or CPU
 * access with MMIO, and revocable: both; the dma-buf core's IOMMU
 * converter, which reaches the BAR through the importer's IOMMU: both).
 * When userspace moved the buffer to a placement an attachment cannot use,
 * that attachment's next map moves it back (device memory first), as TTM
 * exporters do, or fails with the error of the move (-EBUSY while another
 * importer has it pinned, -ENOSPC).
 */

/* one interconnect for all phyr_vgem devices: the QEMU machine they share */
static const struct dma_buf_interconnect phyr_vgem_link = {
	.name = "phyr_vgem",
};

/* the most offers a buffer makes (device memory) */
#define BO_MAX_OFFERS	4

/* what an attachment can use, decided when it attaches */
struct phyr_vgem_attach {
	u32 placements;
};

static struct phyr_vgem_bo *dmabuf_bo(struct dma_buf *dmabuf)
{
	return to_phyr_vgem_bo(dmabuf->priv);
}

static int bo_offers(struct phyr_vgem_bo *bo,
		     struct dma_buf_flavour_offer *offers)
{
	if (bo->placement == PHYR_VGEM_PLACEMENT_DEVICE) {
		offers[0] = (struct dma_buf_flavour_offer){
			.flavour = DMA_BUF_FLAVOUR_PRIVATE,
			.interconnect = &phyr_vgem_link,
		};
		offers[1] = (struct dma_buf_flavour_offer){
			.flavour = DMA_BUF_FLAVOUR_PHYR,
			.flags = DMA_BUF_FLAVOUR_MMIO,
			.provider = to_phyr_vgem_device(bo->shmem.base.dev)->vram->provider,
		};
		offers[2] = (struct dma_buf_flavour_offer){
			.flavour = DMA_BUF_FLAVOUR_CPU_ACCESS,
			.flags = DMA_BUF_FLAVOUR_MMIO,
			.provider = offers[1].provider,
		};
		/* served by moving the buffer to system memory at the map */
		offers[3] = (struct dma_buf_flavour_offer){
			.flavour = DMA_BUF_FLAVOUR_CPU_ACCESS,
			.flags = DMA_BUF_FLAVOUR_CPU,
		};
		return 4;
	}
	offers[0] = (struct dma_buf_flavour_offer){
		.flavour = DMA_BUF_FLAVOUR_PHYR,
		.flags = DMA_BUF_FLAVOUR_CPU,
	};
	offers[1] = (struct dma_buf_flavour_offer){
		.flavour = DMA_BUF_FLAVOUR_SG_TABLE,
		.flags = DMA_BUF_FLAVOUR_CPU,
	};
	return 2;
}

/* BO_QUERY's flavour bits are BIT() of the kernel's flavours */
static_assert(BIT(DMA_BUF_FLAVOUR_SG_TABLE) == PHYR_VGEM_FLAVOUR_SG_TABLE);
static_assert(BIT(DMA_BUF_FLAVOUR_PHYR) == PHYR_VGEM_FLAVOUR_PHYR);
static_assert(BIT(DMA_BUF_FLAVOUR_PRIVATE) == PHYR_VGEM_FLAVOUR_PRIVATE);
static_assert(BIT(DMA_BUF_FLAVOUR_CPU_ACCESS) == PHYR_VGEM_FLAVOUR_CPU_ACCESS);

/**
 * phyr_vgem_bo_flavours() - the flavours a buffer's dma-buf offers now
 * @bo: the buffer
 *
 * Context: Process context.  The object's reservation must be held.
 * Return: PHYR_VGEM_FLAVOUR_* bits; sg_table is always served, by the
 * bridge for device memory, and so is CPU access, by the flavour core for
 * system memory.
 */
u32 phyr_vgem_bo_flavours(struct phyr_vgem_bo *bo)
{
	struct dma_buf_flavour_offer offers[BO_MAX_OFFERS];
	u32 bits = PHYR_VGEM_FLAVOUR_SG_TABLE | PHYR_VGEM_FLAVOUR_CPU_ACCESS;
	int i, n = bo_offers(bo, offers);

	for (i = 0; i < n; i++)
		bits |= BIT(offers[i].flavour);
	return bits;
}

static int phyr_vgem_offers(struct dma_buf *dmabuf,
			    struct dma_buf_flavour_offer *offers,
			    unsigned int max)
{
	if (max < BO_MAX_OFFERS)
		return -EINVAL;
	return bo_offers(dmabuf_bo(dmabuf), offers);
}

/* Only another phyr_vgem device on a PCI BAR speaks our private format. */
static int phyr_vgem_accept_private(struct dma_buf *dmabuf, struct device *dev,
				    const struct dma_buf_interconnect *ic)
{
	return phyr_vgem_is_pci_device(dev) ? 0 : -EOPNOTSUPP;
}

/*
 * &dma_buf_ops.attach, after the flavour core matched the attachment: which
 * placements can it use?  See DOC: phyr_vgem flavours.
 */
static int phyr_vgem_dmabuf_attach(struct dma_buf *dmabuf,
				   struct dma_buf_attachment *attach)
{
	struct phyr_vgem_bo *bo = dmabuf_bo(dmabuf);
	struct phyr_vgem_vram *vram = to_phyr_vgem_device(bo->shmem.base.dev)->vram;
	bool revocable = dma_buf_attach_revocable(attach);
	struct phyr_vgem_attach *pa;
	u32 ok = 0;
	int idx;

	if (attach->flavour != DMA_BUF_FLAVOUR_PRIVATE)
		ok |= BIT(PHYR_VGEM_PLACEMENT_SYSTEM);
	if (vram && revocable && drm_dev_enter(bo->shmem.base.dev, &idx)) {
		/*
		 * the CPU reaches the BAR, the IOMMU converter through the
		 * importer's IOMMU; a device must reach it by P2P
		 */
		if (attach->flavour == DMA_BUF_FLAVOUR_PRIVATE ||
		    attach->flavour == DMA_BUF_FLAVOUR_IOMMU ||
		    (attach->peer2peer &&
		     (attach->flavour == DMA_BUF_FLAVOUR_CPU_ACCESS ||
		      pci_p2pdma_map_type(vram->provider, attach->dev) !=
		      PCI_P2PDMA_MAP_NOT_SUPPORTED)))
			ok |= BIT(PHYR_VGEM_PLACEMENT_DEVICE);
		drm_dev_exit(idx);
	}
	/*
	 * no silent move at attach: the importer must use where the buffer is
	 * now -- but for CPU access to CPU RAM, offered in every placement:
	 * its maps move the buffer to system memory
	 */
	if (!(ok & BIT(READ_ONCE(bo->placement))) &&
	    !(attach->flavour == DMA_BUF_FLAVOUR_CPU_ACCESS &&
	      !(attach->flavour_flags & DMA_BUF_FLAVOUR_MMIO)))
		return -EOPNOTSUPP;
	pa = kzalloc_obj(*pa);
	if (!pa)
		return -ENOMEM;
	pa->placements = ok;
	attach->priv = pa;
	return 0;
}

static void phyr_vgem_dmabuf_detach(struct dma_buf *dmabuf,
				    struct dma_buf_attachment *attach)
{
	kfree(attach->priv);
	attach->priv = NULL;
}

/* Put the buffer where @attach can use it (see phyr_vgem_bo_validate()). */
static int attach_validate(struct dma_buf_attachment *attach)
{
	struct phyr_vgem_attach *pa = attach->priv;

	return phyr_vgem_bo_validate(dmabuf_bo(attach->dmabuf), pa->placements);
}

/*
 * A phyr handed to an importer, and what keeps its memory: the importer's own
 * pin of the pages, or a reference on the device memory.
 */
struct phyr_vgem_map {
	struct phyr phyr;
	bool sys;
	struct phyr_vgem_vmem *vmem;
};

static const struct phyr *phyr_vgem_map_phyr(struct dma_buf_attachment *attach)
{
	struct phyr_vgem_bo *bo = dmabuf_bo(attach->dmabuf);
	struct phyr_vgem_map *m;
	int ret;

	ret = attach_validate(attach);
	if (ret)
		return ERR_PTR(ret);
	m = kzalloc_obj(*m);
	if (!m)
		return ERR_PTR(-ENOMEM);
	phyr_init(&m->phyr, GFP_KERNEL);
	if (bo->placement == PHYR_VGEM_PLACEMENT_DEVICE) {
		ret = phyr_append_slice(&m->phyr, &bo->vmem->phyr, 0,
					phyr_len(&bo->vmem->phyr));
		if (ret)
			goto err;
		m->vmem = phyr_vgem_vmem_get(bo->vmem);
		return &m->phyr;
	}
	ret = phyr_vgem_bo_pin_pages(bo);
	if (ret)
		goto err;
	m->sys = true;
	ret = phyr_vgem_shmem_phyr(&bo->shmem, &m->phyr);
	if (ret) {
		drm_gem_shmem_unpin_locked(&bo->shmem);
		goto err;
	}
	return &m->phyr;
err:
	phyr_destroy(&m->phyr);
	kfree(m);
	return ERR_PTR(ret);
}

static void phyr_vgem_unmap_phyr(struct dma_buf_attachment *attach,
				 const struct phyr *phyr)
{
	struct phyr_vgem_map *m = container_of(phyr, struct phyr_vgem_map, phyr);

	if (m->sys)
		drm_gem_shmem_unpin_locked(&dmabuf_bo(attach->dmabuf)->shmem);
	phyr_vgem_vmem_put(m->vmem);
	phyr_destroy(&m->phyr);
	kfree(m);
}

static void *phyr_vgem_map_private(struct dma_buf_attachment *attach)
{
	struct phyr_vgem_bo *bo = dmabuf_bo(attach->dmabuf);
	struct phyr_vgem_vram *vram = to_phyr_vgem_device(bo->shmem.base.dev)->vram;
	struct phyr_vgem_private *priv;
	struct phyr_cursor cur;
	unsigned int i = 0;
	int ret;

	ret = attach_validate(attach);
	if (ret)
		return ERR_PTR(ret);
	if (WARN_ON_ONCE(bo->placement != PHYR_VGEM_PLACEMENT_DEVICE))
		return ERR_PTR(-EREMOTEIO);
	priv = kzalloc_flex(*priv, ranges, phyr_nr_ranges(&bo->vmem->phyr));
	if (!priv)
		return ERR_PTR(-ENOMEM);
	priv->owner = vram->pdev;
	priv->bar = PHYR_VGEM_BAR;
	priv->nr_ranges = phyr_nr_ranges(&bo->vmem->phyr);
	phyr_cursor_init(&cur, &bo->vmem->phyr);
	while (phyr_cursor_next(&cur)) {
		priv->ranges[i].offset = cur.phys - vram->base;
		priv->ranges[i].len = cur.len;
		i++;
	}
	priv->vmem = phyr_vgem_vmem_get(bo->vmem);
	return priv;
}

static void phyr_vgem_unmap_private(struct dma_buf_attachment *attach,
				    void *addrs)
{
	struct phyr_vgem_private *priv = addrs;

	phyr_vgem_vmem_put(priv->vmem);
	kfree(priv);
}

static const struct dma_buf_flavour_ops phyr_vgem_flavour_ops = {
	.offers = phyr_vgem_offers,
	.accept_private = phyr_vgem_accept_private,
	.map_phyr = phyr_vgem_map_phyr,
	.unmap_phyr = phyr_vgem_unmap_phyr,
	.map_private = phyr_vgem_map_private,
	.unmap_private = phyr_vgem_unmap_private,
};

/* sg_table: the shmem helpers' table for system memory, else the bridge */
static struct sg_table *phyr_vgem_map_dma_buf(struct dma_buf_attachment *attach,
					      enum dma_data_direction dir)
{
	struct phyr_vgem_bo *bo = dmabuf_bo(attach->dmabuf);
	struct sg_table *sgt;
	int ret;

	ret = attach_validate(attach);
	if (ret)
		return ERR_PTR(ret);
	if (bo->placement == PHYR_VGEM_PLACEMENT_DEVICE)
		return dma_buf_phyr_bridge_map(attach, dir);
	ret = phyr_vgem_bo_pin_pages(bo);
	if (ret)
		return ERR_PTR(ret);
	sgt = drm_gem_map_dma_buf(attach, dir);
	if (IS_ERR(sgt))
		drm_gem_shmem_unpin_locked(&bo->shmem);
	return sgt;
}

static void phyr_vgem_unmap_dma_buf(struct dma_buf_attachment *attach,
				    struct sg_table *sgt,
				    enum dma_data_direction dir)
{
	struct phyr_vgem_bo *bo = dmabuf_bo(attach->dmabuf);

	/* the bridge's tables are DMA-only: no struct page behind them */
	if (!sg_page(sgt->sgl)) {
		dma_buf_phyr_bridge_unmap(attach, sgt, dir);
		return;
	}
	drm_gem_unmap_dma_buf(attach, sgt, dir);
	drm_gem_shmem_unpin_locked(&bo->shmem);
}

/* Static importers pin the buffer (in system memory) while they map it. */
static int phyr_vgem_dmabuf_pin(struct dma_buf_attachment *attach)
{
	int ret = attach_validate(attach);

	return ret ? ret : phyr_vgem_bo_pin_locked(dmabuf_bo(attach->dmabuf));
}

static void phyr_vgem_dmabuf_unpin(struct dma_buf_attachment *attach)
{
	phyr_vgem_bo_unpin_locked(dmabuf_bo(attach->dmabuf));
}

/* The dma-buf goes: the buffer no longer has one to tell about moves. */
static void phyr_vgem_dmabuf_release(struct dma_buf *dmabuf)
{
	struct phyr_vgem_bo *bo = dmabuf_bo(dmabuf);

	spin_lock(&bo->dmabuf_lock);
	if (bo->dmabuf == dmabuf)
		bo->dmabuf = NULL;
	spin_unlock(&bo->dmabuf_lock);
	drm_gem_dmabuf_release(dmabuf);
}

static const struct dma_buf_ops phyr_vgem_dmabuf_ops = {
	.attach = phyr_vgem_dmabuf_attach,
	.detach = phyr_vgem_dmabuf_detach,
	.pin = phyr_vgem_dmabuf_pin,
	.unpin = phyr_vgem_dmabuf_unpin,
	.map_dma_buf = phyr_vgem_map_dma_buf,
	.unmap_dma_buf = phyr_vgem_unmap_dma_buf,
	.release = phyr_vgem_dmabuf_release,
	.mmap = drm_gem_dmabuf_mmap,
	.vmap = drm_gem_dmabuf_vmap,
	.vunmap = drm_gem_dmabuf_vunmap,
	.flavours = &phyr_vgem_flavour_ops,
};

/**
 * phyr_vgem_bo_dmabuf_get() - a buffer's live dma-buf
 * @bo: the buffer
 *
 * The buffer's one dma-buf, also after the last GEM handle went (DRM then
 * clears &drm_gem_object.dma_buf, but importers still hold the dma-buf, and
 * moves and unplug must still reach them).
 *
 * Context: Any context; takes &phyr_vgem_bo.dmabuf_lock.
 * Return: the dma-buf with a reference (dma_buf_put() it), or NULL.
 */
struct dma_buf *phyr_vgem_bo_dmabuf_get(struct phyr_vgem_bo *bo)
{
	struct dma_buf *dmabuf;

	spin_lock(&bo->dmabuf_lock);
	dmabuf = bo->dmabuf;
	if (dmabuf && !get_file_active(&dmabuf->file))
		dmabuf = NULL;
	spin_unlock(&bo->dmabuf_lock);
	return dmabuf;
}

/* The buffer's dma-buf: the live one, or a new one. */
static struct dma_buf *bo_export(struct phyr_vgem_bo *bo, int flags)
{
	struct drm_gem_object *obj = &bo->shmem.base;
	struct drm_device *dev = obj->dev;
	struct dma_buf *dmabuf, *other;
	struct dma_buf_export_info exp_info = {
		.exp_name = KBUILD_MODNAME,
		.owner = dev->driver->fops->owner,
		.ops = &phyr_vgem_dmabuf_ops,
		.size = obj->size,
		.flags = flags,
		.priv = obj,
		.resv = obj->resv,
	};

	dmabuf = phyr_vgem_bo_dmabuf_get(bo);
	if (dmabuf)
		return dmabuf;
	dmabuf = drm_gem_dmabuf_export(dev, &exp_info);
	if (IS_ERR(dmabuf))
		return dmabuf;
	spin_lock(&bo->dmabuf_lock);
	other = bo->dmabuf;
	if (other && get_file_active(&other->file)) {
		/* another export won */
		spin_unlock(&bo->dmabuf_lock);
		dma_buf_put(dmabuf);
		return other;
	}
	bo->dmabuf = dmabuf;
	spin_unlock(&bo->dmabuf_lock);
	return dmabuf;
}

/**
 * phyr_vgem_prime_export() - &drm_gem_object_funcs.export of phyr_vgem
 * @obj: the object
 * @flags: the dma-buf file's flags
 *
 * drm_gem_prime_export() with dma-buf ops that add the flavours.  A buffer
 * has one dma-buf at a time: while one lives, exporting again returns it, so
 * that every importer shares one reservation and is reached by moves and
 * revokes.
 *
 * An export is a drm_dev_enter() section: once unplug began, none starts
 * (-ENODEV), and every one that did is done, its dma-buf known to the buffer,
 * before the unplug revokes the device's dma-bufs.
 *
 * Context: Process context; may sleep.
 * Return: the dma-buf, or an ERR_PTR: -ENODEV once the device is unplugged.
 */
struct dma_buf *phyr_vgem_prime_export(struct drm_gem_object *obj, int flags)
{
	struct dma_buf *dmabuf;
	int idx;

	if (!drm_dev_enter(obj->dev, &idx))
		return ERR_PTR(-ENODEV);
	dmabuf = bo_export(to_phyr_vgem_bo(obj), flags);
	drm_dev_exit(idx);
	return dmabuf;
}

/**
 * phyr_vgem_revoke_all() - end every importer's access to a device's buffers
 * @vdev: the device, unplugged (drm_dev_unplug())
 *
 * For the removal of the PCI device, before devres unmaps the BAR and frees
 * its P2P provider: every exported buffer of @vdev is revoked and its
 * dma-buf's CPU mappings are zapped; their faults find the device gone
 * (SIGBUS).  All importers are told first, then waited for (fences, and the
 * unmaps of revocable importers), all of them together at most
 * %PHYR_VGEM_REVOKE_TIMEOUT: a user who keeps fences of many buffers
 * unsignaled delays the removal by that much, not by that much per buffer.
 * A buffer whose importers did not let go in time is reported; its device
 * memory stays allocated until they do.  No export starts after the unplug
 * (phyr_vgem_prime_export()), so no dma-buf escapes this.
 *
 * Context: Process context; sleeps.  Takes &phyr_vgem_device.bos_lock and
 * each buffer's reservation.
 */
void phyr_vgem_revoke_all(struct phyr_vgem_device *vdev)
{
	unsigned long deadline = jiffies + PHYR_VGEM_REVOKE_TIMEOUT;
	struct phyr_vgem_bo *bo;
	unsigned int n = 0, i;
	struct {
		struct drm_gem_object *obj;
		struct dma_buf *dmabuf;
	} *rv;

	mutex_lock(&vdev->bos_lock);
	list_for_each_entry(bo, &vdev->bos, node)
		n++;
	rv = kvcalloc(n, sizeof(*rv), GFP_KERNEL);
	n = 0;
	list_for_each_entry(bo, &vdev->bos, node) {
		if (rv && kref_get_unless_zero(&bo->shmem.base.refcount))
			rv[n++].obj = &bo->shmem.base;
	}
	mutex_unlock(&vdev->bos_lock);
	if (!rv) {
		drm_err(&vdev->drm, "unplug: no memory to revoke the buffers\n");
		return;
	}

	/* tell every importer of every buffer, waiting for nobody yet */
	for (i = 0; i < n; i++) {
		rv[i].dmabuf = phyr_vgem_bo_dmabuf_get(to_phyr_vgem_bo(rv[i].obj));
		if (rv[i].dmabuf)
			dma_buf_revoke(rv[i].dmabuf, 0);
	}
	/* then wait for them all, out of one budget */
	for (i = 0; i < n; i++) {
		struct dma_buf *dmabuf = rv[i].dmabuf;

		if (dmabuf) {
			if (dma_buf_revoke(dmabuf, max_t(long, deadline - jiffies, 0)))
				drm_err(&vdev->drm,
					"unplug: importers of a %zu-byte buffer still map it after %u s\n",
					rv[i].obj->size, PHYR_VGEM_REVOKE_TIMEOUT / HZ);
			unmap_mapping_range(dmabuf->file->f_mapping, 0, 0, 1);
			dma_buf_put(dmabuf);
		}
		drm_gem_object_put(rv[i].obj);
	}
	kvfree(rv);
}

/* Our imports map nothing (CPU access goes through the exporter's mmap). */
static void phyr_vgem_import_invalidate(struct dma_buf_attachment *attach)
{
}

static const struct dma_buf_attach_ops phyr_vgem_import_ops = {
	.allow_peer2peer = true,
	.invalidate_mappings = phyr_vgem_import_invalidate,
};

/**
 * phyr_vgem_dmabuf_bo() - the phyr_vgem buffer behind a dma-buf
 * @dmabuf: a dma-buf
 *
 * Context: Any context.
 * Return: the buffer if phyr_vgem (any of its devices) exported @dmabuf, else
 * NULL.  It lives as long as @dmabuf.
 */
struct phyr_vgem_bo *phyr_vgem_dmabuf_bo(struct dma_buf *dmabuf)
{
	return dmabuf->ops == &phyr_vgem_dmabuf_ops ? dmabuf_bo(dmabuf) : NULL;
}

/**
 * phyr_vgem_import_attach() - attach a device to another's dma-buf
 * @dev: our device, the importer
 * @dmabuf: a dma-buf that is not one of @dev's buffers
 *
 * The attachment phyr_vgem_prime_import() makes: through the flavour
 * negotiation, preferring our private interconnect, then phyr (MMIO too, if
 * this device reaches the exporter's provider), then an sg_table, as a
 * dynamic importer that maps nothing.  Only a device on a PCI BAR can be on
 * our interconnect or reach MMIO: the faux device asks for an sg_table only.
 *
 * Context: Process context; may sleep.  Takes the buffer's reservation.
 * Return: the attachment (dma_buf_flavour_detach() it), or an ERR_PTR:
 * -EOPNOTSUPP if no flavour matched, -ENODEV for a revoked buffer, or the
 * exporter's error.
 */
struct dma_buf_attachment *phyr_vgem_import_attach(struct drm_device *dev,
						   struct dma_buf *dmabuf)
{
	struct phyr_vgem_vram *vram = to_phyr_vgem_device(dev)->vram;
	const struct dma_buf_flavour_req reqs[] = {
		{ .flavour = DMA_BUF_FLAVOUR_PRIVATE, .interconnect = &phyr_vgem_link },
		{ .flavour = DMA_BUF_FLAVOUR_PHYR, .flags = DMA_BUF_FLAVOUR_MMIO },
		{ .flavour = DMA_BUF_FLAVOUR_SG_TABLE },
	};
	struct device *attach_dev = vram ? &vram->pdev->dev : dev->dev;

	return dma_buf_flavour_attach(dmabuf, attach_dev, vram ? reqs : &reqs[2],
				      vram ? ARRAY_SIZE(reqs) : 1,
				      &phyr_vgem_import_ops, NULL);
}

/**
 * phyr_vgem_prime_import() - &drm_driver.gem_prime_import of phyr_vgem
 * @dev: our device
 * @dmabuf: the dma-buf to import
 *
 * Our own buffers come back as the same object.  Others are attached with
 * phyr_vgem_import_attach(), as a dynamic importer that maps nothing (like
 * drm_gem_shmem_prime_import_no_map()): CPU access goes through the
 * exporter's mmap, and a revoke or move has nothing to take from it.
 *
 * Context: Process context; may sleep.
 * Return: the object, or an ERR_PTR: -EOPNOTSUPP if no flavour matched.
 */
struct drm_gem_object *phyr_vgem_prime_import(struct drm_device *dev,
					      struct dma_buf *dmabuf)
{
	struct dma_buf_attachment *attach;
	struct drm_gem_object *obj = dmabuf->priv;
	size_t size = PAGE_ALIGN(dmabuf->size);
	int ret;

	if (dmabuf->ops == &phyr_vgem_dmabuf_ops && obj->dev == dev) {
		drm_gem_object_get(obj);
		return obj;
	}

	attach = phyr_vgem_import_attach(dev, dmabuf);
	if (IS_ERR(attach))
		return ERR_CAST(attach);
	get_dma_buf(dmabuf);

	obj = phyr_vgem_gem_create_object(dev, size);
	if (IS_ERR(obj)) {
		ret = PTR_ERR(obj);
		goto err_detach;
	}
	drm_gem_private_object_init(dev, obj, size);
	to_drm_gem_shmem_obj(obj)->map_wc = false;
	INIT_LIST_HEAD(&to_drm_gem_shmem_obj(obj)->madv_list);
	ret = drm_gem_create_mmap_offset(obj);
	if (ret) {
		drm_gem_private_object_fini(obj);
		kfree(to_phyr_vgem_bo(obj));
		goto err_detach;
	}
	obj->import_attach = attach;
	obj->resv = dmabuf->resv;
	return obj;

err_detach:
	dma_buf_flavour_detach(dmabuf, attach);
	dma_buf_put(dmabuf);
	return ERR_PTR(ret);
}
