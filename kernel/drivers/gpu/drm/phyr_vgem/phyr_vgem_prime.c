// SPDX-License-Identifier: MIT
/*
 * phyr_vgem's dma-buf export: the GEM PRIME helpers plus dma-buf flavours, so
 * that importers can take the buffer as physical ranges (phyr) as well as an
 * sg_table.
 *
 * Copyright 2026 The phyr developers
 */

#include <linux/dma-buf.h>
#include <linux/dma-buf-flavour.h>
#include <linux/dma-resv.h>
#include <linux/phyr.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_prime.h>

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
 * offsets, &struct phyr_vgem_private) and phyr with the BAR's MMIO ranges and
 * P2P provider; legacy importers get a DMA-only sg_table through the bridge,
 * if they allow peer2peer and reach the BAR.  An importer that cannot reach
 * the provider is refused at attach time (-EOPNOTSUPP): phyr_vgem does not
 * move the buffer behind userspace's back; userspace migrates it to system
 * memory first if it wants to share it with such a device.
 */

/* one interconnect for all phyr_vgem devices: the QEMU machine they share */
static const struct dma_buf_interconnect phyr_vgem_link = {
	.name = "phyr_vgem",
};

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
		return 2;
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

/**
 * phyr_vgem_bo_flavours() - the flavours a buffer's dma-buf offers now
 * @bo: the buffer, with its reservation held
 *
 * Return: PHYR_VGEM_FLAVOUR_* bits; sg_table is always served, by the
 * bridge for device memory.
 */
u32 phyr_vgem_bo_flavours(struct phyr_vgem_bo *bo)
{
	struct dma_buf_flavour_offer offers[2];
	u32 bits = PHYR_VGEM_FLAVOUR_SG_TABLE;
	int i, n = bo_offers(bo, offers);

	for (i = 0; i < n; i++)
		bits |= BIT(offers[i].flavour);
	return bits;
}

static int phyr_vgem_offers(struct dma_buf *dmabuf,
			    struct dma_buf_flavour_offer *offers,
			    unsigned int max)
{
	if (max < 2)
		return -EINVAL;
	return bo_offers(to_phyr_vgem_bo(dmabuf->priv), offers);
}

/* Only another phyr_vgem device on a PCI BAR speaks our private format. */
static int phyr_vgem_accept_private(struct dma_buf *dmabuf, struct device *dev,
				    const struct dma_buf_interconnect *ic)
{
	return phyr_vgem_is_pci_device(dev) ? 0 : -EOPNOTSUPP;
}

/* a phyr handed to an importer, and whether it holds system pages */
struct phyr_vgem_map {
	struct phyr phyr;
	bool sys;
};

static const struct phyr *phyr_vgem_map_phyr(struct dma_buf_attachment *attach)
{
	struct phyr_vgem_bo *bo = to_phyr_vgem_bo(attach->dmabuf->priv);
	struct drm_gem_shmem_object *shmem = &bo->shmem;
	struct phyr_vgem_map *m;
	int ret;

	m = kzalloc_obj(*m);
	if (!m)
		return ERR_PTR(-ENOMEM);
	phyr_init(&m->phyr, GFP_KERNEL);
	if (bo->placement == PHYR_VGEM_PLACEMENT_DEVICE) {
		ret = phyr_append_slice(&m->phyr, bo->dev_phyr, 0,
					phyr_len(bo->dev_phyr));
		if (ret)
			goto err;
		return &m->phyr;
	}
	/* the importer's own hold on the pages, until it unmaps */
	ret = drm_gem_shmem_pin_locked(shmem);
	if (ret)
		goto err;
	m->sys = true;
	ret = phyr_vgem_shmem_phyr(shmem, &m->phyr);
	if (ret) {
		drm_gem_shmem_unpin_locked(shmem);
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
		drm_gem_shmem_unpin_locked(to_drm_gem_shmem_obj(attach->dmabuf->priv));
	phyr_destroy(&m->phyr);
	kfree(m);
}

static void *phyr_vgem_map_private(struct dma_buf_attachment *attach)
{
	struct phyr_vgem_bo *bo = to_phyr_vgem_bo(attach->dmabuf->priv);
	struct phyr_vgem_vram *vram = to_phyr_vgem_device(bo->shmem.base.dev)->vram;
	struct phyr_vgem_private *priv;
	struct phyr_cursor cur;
	unsigned int i = 0;

	if (bo->placement != PHYR_VGEM_PLACEMENT_DEVICE)
		return ERR_PTR(-EREMOTEIO);
	priv = kzalloc_flex(*priv, ranges, phyr_nr_ranges(bo->dev_phyr));
	if (!priv)
		return ERR_PTR(-ENOMEM);
	priv->owner = vram->pdev;
	priv->bar = PHYR_VGEM_BAR;
	phyr_cursor_init(&cur, bo->dev_phyr);
	while (phyr_cursor_next(&cur)) {
		priv->ranges[i].offset = cur.phys - vram->base;
		priv->ranges[i].len = cur.len;
		i++;
	}
	priv->nr_ranges = i;
	return priv;
}

static void phyr_vgem_unmap_private(struct dma_buf_attachment *attach,
				    void *addrs)
{
	kfree(addrs);
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
	struct phyr_vgem_bo *bo = to_phyr_vgem_bo(attach->dmabuf->priv);
	struct sg_table *sgt;
	int ret;

	if (bo->placement == PHYR_VGEM_PLACEMENT_DEVICE)
		return dma_buf_phyr_bridge_map(attach, dir);
	ret = drm_gem_shmem_pin_locked(&bo->shmem);
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
	struct phyr_vgem_bo *bo = to_phyr_vgem_bo(attach->dmabuf->priv);

	/* the bridge's tables are DMA-only: no struct page behind them */
	if (!sg_page(sgt->sgl)) {
		dma_buf_phyr_bridge_unmap(attach, sgt, dir);
		return;
	}
	drm_gem_unmap_dma_buf(attach, sgt, dir);
	drm_gem_shmem_unpin_locked(&bo->shmem);
}

/* Static importers pin the buffer in its placement while they map it. */
static int phyr_vgem_dmabuf_pin(struct dma_buf_attachment *attach)
{
	return phyr_vgem_bo_pin_locked(to_phyr_vgem_bo(attach->dmabuf->priv));
}

static void phyr_vgem_dmabuf_unpin(struct dma_buf_attachment *attach)
{
	phyr_vgem_bo_unpin_locked(to_phyr_vgem_bo(attach->dmabuf->priv));
}

static const struct dma_buf_ops phyr_vgem_dmabuf_ops = {
	.pin = phyr_vgem_dmabuf_pin,
	.unpin = phyr_vgem_dmabuf_unpin,
	.map_dma_buf = phyr_vgem_map_dma_buf,
	.unmap_dma_buf = phyr_vgem_unmap_dma_buf,
	.release = drm_gem_dmabuf_release,
	.mmap = drm_gem_dmabuf_mmap,
	.vmap = drm_gem_dmabuf_vmap,
	.vunmap = drm_gem_dmabuf_vunmap,
	.flavours = &phyr_vgem_flavour_ops,
};

/**
 * phyr_vgem_prime_export() - &drm_gem_object_funcs.export of phyr_vgem
 * @obj: the object
 * @flags: the dma-buf file's flags
 *
 * drm_gem_prime_export() with dma-buf ops that add the phyr flavour.
 *
 * Return: the dma-buf, or an ERR_PTR.
 */
struct dma_buf *phyr_vgem_prime_export(struct drm_gem_object *obj, int flags)
{
	struct drm_device *dev = obj->dev;
	struct dma_buf_export_info exp_info = {
		.exp_name = KBUILD_MODNAME,
		.owner = dev->driver->fops->owner,
		.ops = &phyr_vgem_dmabuf_ops,
		.size = obj->size,
		.flags = flags,
		.priv = obj,
		.resv = obj->resv,
	};

	return drm_gem_dmabuf_export(dev, &exp_info);
}

/**
 * phyr_vgem_prime_import() - &drm_driver.gem_prime_import of phyr_vgem
 * @dev: our device
 * @dmabuf: the dma-buf to import
 *
 * Our own buffers come back as the same object.  Others are attached through
 * the flavour negotiation, preferring our private interconnect, then phyr
 * (MMIO too, if this device reaches the exporter's provider), then an
 * sg_table; the object is not mapped (like drm_gem_shmem_prime_import_no_map())
 * and CPU access goes through the exporter's mmap.
 *
 * Return: the object, or an ERR_PTR: -EOPNOTSUPP if no flavour matched.
 */
struct drm_gem_object *phyr_vgem_prime_import(struct drm_device *dev,
					      struct dma_buf *dmabuf)
{
	struct phyr_vgem_vram *vram = to_phyr_vgem_device(dev)->vram;
	const struct dma_buf_flavour_req reqs[] = {
		{ .flavour = DMA_BUF_FLAVOUR_PRIVATE, .interconnect = &phyr_vgem_link },
		{ .flavour = DMA_BUF_FLAVOUR_PHYR, .flags = DMA_BUF_FLAVOUR_MMIO },
		{ .flavour = DMA_BUF_FLAVOUR_SG_TABLE },
	};
	struct device *attach_dev = vram ? &vram->pdev->dev : dev->dev;
	struct dma_buf_attachment *attach;
	struct drm_gem_object *obj = dmabuf->priv;
	size_t size = PAGE_ALIGN(dmabuf->size);
	int ret;

	if (dmabuf->ops == &phyr_vgem_dmabuf_ops && obj->dev == dev) {
		drm_gem_object_get(obj);
		return obj;
	}

	/* only a PCI device can be on our interconnect or reach MMIO */
	attach = dma_buf_flavour_attach(dmabuf, attach_dev, vram ? reqs : &reqs[2],
					vram ? ARRAY_SIZE(reqs) : 1, NULL, NULL);
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
