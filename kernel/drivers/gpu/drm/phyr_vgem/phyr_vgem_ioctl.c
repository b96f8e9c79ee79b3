// SPDX-License-Identifier: MIT
/*
 * phyr_vgem's own ioctls beyond vgem's: device info, buffers in a placement
 * (with image metadata), what a buffer is now, migration, mmap offsets for
 * every node, a buffer's physical ranges, and what a dma-buf offers.  See
 * include/uapi/drm/phyr_vgem_drm.h.
 *
 * Copyright 2026 The phyr developers
 */

#include <linux/capability.h>
#include <linux/dma-buf.h>
#include <linux/dma-buf-flavour.h>
#include <linux/dma-resv.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <drm/drm_file.h>
#include <drm/drm_fourcc.h>
#include <drm/drm_gem.h>
#include <drm/drm_vma_manager.h>

#include "phyr_vgem_drv.h"

int phyr_vgem_info_ioctl(struct drm_device *dev, void *data,
			 struct drm_file *file)
{
	struct phyr_vgem_vram *vram = to_phyr_vgem_device(dev)->vram;
	struct drm_phyr_vgem_info *args = data;

	if (args->pad)
		return -EINVAL;
	args->device_size = 0;
	args->device_free = 0;
	if (vram) {
		args->device_size = vram->size;
		mutex_lock(&vram->lock);
		args->device_free = vram->mm.avail;
		mutex_unlock(&vram->lock);
	}
	return 0;
}

int phyr_vgem_bo_create_ioctl(struct drm_device *dev, void *data,
			      struct drm_file *file)
{
	struct drm_phyr_vgem_bo_create *args = data;
	struct phyr_vgem_image img = {};
	struct phyr_vgem_bo *bo;
	u64 size = args->size;
	int ret;

	if (args->pad)
		return -EINVAL;
	if (args->flags & PHYR_VGEM_BO_IMAGE) {
		img = (struct phyr_vgem_image){
			.width = args->width,
			.height = args->height,
			.format = args->format,
			.pitch = args->pitch,
			.modifier = args->modifier,
		};
		ret = phyr_vgem_image_init(&img, &size);
		if (ret)
			return ret;
	} else if (args->width || args->height || args->format ||
		   args->pitch || args->modifier) {
		return -EINVAL;
	}
	bo = phyr_vgem_bo_create(dev, size, args->placement,
				 args->flags & ~PHYR_VGEM_BO_IMAGE);
	if (IS_ERR(bo))
		return PTR_ERR(bo);
	/* before the handle: nobody else sees the buffer yet */
	bo->image = img;
	ret = drm_gem_handle_create(file, &bo->shmem.base, &args->handle);
	drm_gem_object_put(&bo->shmem.base);
	if (ret)
		return ret;
	args->size = size;
	args->pitch = img.pitch;
	return 0;
}

/* An image's metadata into a query; none is format 0, DRM_FORMAT_MOD_INVALID. */
static void query_image(struct drm_phyr_vgem_bo_query *args,
			const struct phyr_vgem_image *img)
{
	args->width = img ? img->width : 0;
	args->height = img ? img->height : 0;
	args->format = img ? img->format : 0;
	args->pitch = img ? img->pitch : 0;
	args->modifier = img && img->format ? img->modifier :
			 DRM_FORMAT_MOD_INVALID;
}

/*
 * Whether the caller may see a buffer's physical layout: where its ranges
 * are, and with their number or lengths which of its pages are physically
 * adjacent -- what /proc/PID/pagemap hides from unprivileged users (Rowhammer
 * needs exactly that).  As there, the credentials of whoever opened the DRM
 * file count, not those of the caller of the ioctl: a file handed to another
 * process keeps the rights it was opened with.
 */
static bool layout_visible(struct drm_file *file)
{
	return file_ns_capable(file->filp, &init_user_ns, CAP_SYS_ADMIN);
}

int phyr_vgem_bo_query_ioctl(struct drm_device *dev, void *data,
			     struct drm_file *file)
{
	struct drm_phyr_vgem_bo_query *args = data;
	struct drm_gem_object *obj;
	struct phyr_vgem_bo *bo;
	int ret;

	if (args->flags || args->pad)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	bo = to_phyr_vgem_bo(obj);
	ret = dma_resv_lock_interruptible(obj->resv, NULL);
	if (ret)
		goto out;
	args->size = obj->size;
	args->placement = bo->placement;
	args->nr_ranges = 0;
	args->flavours = 0;
	args->import_flavour = 0;
	if (drm_gem_is_imported(obj)) {
		struct dma_buf *dmabuf = obj->import_attach->dmabuf;
		struct phyr_vgem_bo *exporter = phyr_vgem_dmabuf_bo(dmabuf);

		/* the exporter revoked the buffer: nothing is negotiated any more */
		if (!dmabuf->revoked)
			args->import_flavour = BIT(obj->import_attach->flavour);
		/*
		 * Another phyr_vgem device's buffer: where it is (the lock held
		 * is its reservation), and its image.
		 */
		if (exporter)
			args->placement = exporter->placement;
		query_image(args, exporter ? &exporter->image : NULL);
	} else {
		args->nr_ranges = layout_visible(file) ?
				  phyr_vgem_bo_nr_ranges(bo) : 0;
		args->flavours = phyr_vgem_bo_flavours(bo);
		query_image(args, &bo->image);
	}
	dma_resv_unlock(obj->resv);
out:
	drm_gem_object_put(obj);
	return ret;
}

int phyr_vgem_bo_migrate_ioctl(struct drm_device *dev, void *data,
			       struct drm_file *file)
{
	struct drm_phyr_vgem_bo_migrate *args = data;
	struct drm_gem_object *obj;
	int ret;

	if (args->flags || args->pad ||
	    args->placement > PHYR_VGEM_PLACEMENT_DEVICE)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	ret = dma_resv_lock_interruptible(obj->resv, NULL);
	if (!ret) {
		ret = phyr_vgem_bo_migrate(to_phyr_vgem_bo(obj), args->placement);
		dma_resv_unlock(obj->resv);
	}
	drm_gem_object_put(obj);
	return ret;
}

int phyr_vgem_bo_mmap_offset_ioctl(struct drm_device *dev, void *data,
				   struct drm_file *file)
{
	struct drm_phyr_vgem_bo_mmap_offset *args = data;
	struct drm_gem_object *obj;
	int ret;

	if (args->flags)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	/* as MAP_DUMB: imported buffers are mapped through their dma-buf */
	if (drm_gem_is_imported(obj)) {
		ret = -EINVAL;
		goto out;
	}
	ret = drm_gem_create_mmap_offset(obj);
	if (!ret)
		args->offset = drm_vma_node_offset_addr(&obj->vma_node);
out:
	drm_gem_object_put(obj);
	return ret;
}

/*
 * Up to @max ranges of @bo into @out, in buffer order; the number it has.
 * System memory: runs of physically contiguous shmem pages, as
 * phyr_vgem_bo_nr_ranges() counts them; device memory: its phyr.
 */
static u64 bo_ranges(struct phyr_vgem_bo *bo, struct drm_phyr_vgem_range *out,
		     u64 max)
{
	struct drm_gem_object *obj = &bo->shmem.base;
	struct phyr_cursor cur;
	u64 n = 0;

	dma_resv_assert_held(obj->resv);
	if (bo->placement == PHYR_VGEM_PLACEMENT_DEVICE) {
		phyr_cursor_init(&cur, &bo->vmem->phyr);
		while (phyr_cursor_next(&cur)) {
			if (n < max)
				out[n] = (struct drm_phyr_vgem_range){
					.offset = cur.offset,
					.length = cur.len,
					.addr = cur.phys,
					.type = cur.type == PHYR_MEM_P2P ?
						PHYR_VGEM_RANGE_MMIO :
						PHYR_VGEM_RANGE_RAM,
				};
			n++;
		}
	} else if (bo->sys_pinned) {
		struct page **pages = bo->shmem.pages;
		pgoff_t i, nr = obj->size >> PAGE_SHIFT;

		for (i = 0; i < nr; i++) {
			if (i && page_to_pfn(pages[i]) == page_to_pfn(pages[i - 1]) + 1) {
				if (n <= max)
					out[n - 1].length += PAGE_SIZE;
				continue;
			}
			if (n < max)
				out[n] = (struct drm_phyr_vgem_range){
					.offset = (u64)i << PAGE_SHIFT,
					.length = PAGE_SIZE,
					.addr = page_to_phys(pages[i]),
					.type = PHYR_VGEM_RANGE_RAM,
				};
			n++;
		}
	}
	return n;
}

int phyr_vgem_bo_ranges_ioctl(struct drm_device *dev, void *data,
			      struct drm_file *file)
{
	struct drm_phyr_vgem_bo_ranges *args = data;
	struct drm_phyr_vgem_range *ranges = NULL;
	struct drm_gem_object *obj;
	struct phyr_vgem_bo *bo;
	u64 total, want;
	int ret;

	if (args->flags || args->pad)
		return -EINVAL;
	if (!layout_visible(file))
		return -EPERM;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	if (drm_gem_is_imported(obj)) {
		ret = -EINVAL;
		goto out;
	}
	bo = to_phyr_vgem_bo(obj);
	/*
	 * Collect under the reservation, copy out after: the user's array may
	 * be a mapping of this very buffer, whose faults take the reservation.
	 */
	ret = dma_resv_lock_interruptible(obj->resv, NULL);
	if (ret)
		goto out;
	total = phyr_vgem_bo_nr_ranges(bo);
	want = min_t(u64, args->count, total);
	if (want) {
		ranges = kvcalloc(want, sizeof(*ranges), GFP_KERNEL);
		if (!ranges) {
			dma_resv_unlock(obj->resv);
			ret = -ENOMEM;
			goto out;
		}
	}
	total = bo_ranges(bo, ranges, want);
	args->placement = bo->placement;
	dma_resv_unlock(obj->resv);

	if (want && copy_to_user(u64_to_user_ptr(args->ranges_ptr), ranges,
				 want * sizeof(*ranges)))
		ret = -EFAULT;
	args->count = min_t(u64, total, U32_MAX);
	args->out_flags = PHYR_VGEM_RANGES_ADDR;
	kvfree(ranges);
out:
	drm_gem_object_put(obj);
	return ret;
}

/* One flavour offer as userspace sees it. */
static void offer_out(struct drm_phyr_vgem_offer *out, enum dma_buf_flavour flavour,
		      u32 flags, struct p2pdma_provider *provider)
{
	out->flavour = BIT(flavour);
	out->flags = 0;
	if (flags & DMA_BUF_FLAVOUR_MMIO)
		out->flags |= PHYR_VGEM_OFFER_MMIO;
	if (flags & DMA_BUF_FLAVOUR_CPU)
		out->flags |= PHYR_VGEM_OFFER_CPU;
	out->provider_domain = 0;
	out->provider_bdf = 0;
	if (provider && provider->owner && dev_is_pci(provider->owner)) {
		struct pci_dev *pdev = to_pci_dev(provider->owner);

		out->flags |= PHYR_VGEM_OFFER_PROVIDER_PCI;
		out->provider_domain = pci_domain_nr(pdev->bus);
		out->provider_bdf = PCI_DEVID(pdev->bus->number, pdev->devfn);
	}
}

/* An offer the core serves from the exporter's @phyr offer, appended. */
static void bridge_out(struct drm_phyr_vgem_dmabuf_flavours *args,
		       enum dma_buf_flavour flavour,
		       const struct dma_buf_flavour_offer *phyr)
{
	struct drm_phyr_vgem_offer *o;

	if (args->nr_offers >= PHYR_VGEM_MAX_OFFERS) {
		args->status |= PHYR_VGEM_DMABUF_TRUNCATED;
		return;
	}
	o = &args->offers[args->nr_offers++];
	offer_out(o, flavour, phyr->flags,
		  phyr->flags & DMA_BUF_FLAVOUR_MMIO ? phyr->provider : NULL);
	o->flags |= PHYR_VGEM_OFFER_BRIDGE;
}

/* The offers of @dmabuf into @args, as fdinfo lists them. */
static int dmabuf_offers(struct dma_buf *dmabuf,
			 struct drm_phyr_vgem_dmabuf_flavours *args)
{
	struct dma_buf_flavour_offer offers[DMA_BUF_MAX_FLAVOURS];
	const struct dma_buf_flavour_offer *phyr = NULL;
	bool sgt = false, cpu = false;
	int i, nr;

	nr = dma_buf_flavour_offers(dmabuf, offers, ARRAY_SIZE(offers));
	if (nr == -ENODEV) {
		args->status |= PHYR_VGEM_DMABUF_REVOKED;
		return 0;
	}
	if (nr < 0)
		return nr;
	if (!dmabuf->ops->flavours)
		args->status |= PHYR_VGEM_DMABUF_LEGACY;
	for (i = 0; i < nr; i++) {
		if (i >= PHYR_VGEM_MAX_OFFERS) {
			args->status |= PHYR_VGEM_DMABUF_TRUNCATED;
			break;
		}
		offer_out(&args->offers[i], offers[i].flavour, offers[i].flags,
			  offers[i].flags & DMA_BUF_FLAVOUR_MMIO ?
			  offers[i].provider : NULL);
		sgt |= offers[i].flavour == DMA_BUF_FLAVOUR_SG_TABLE;
		cpu |= offers[i].flavour == DMA_BUF_FLAVOUR_CPU_ACCESS;
		if (offers[i].flavour == DMA_BUF_FLAVOUR_PHYR && !phyr)
			phyr = &offers[i];
	}
	args->nr_offers = i;
	/* legacy importers are served by the bridge from the phyr */
	if (phyr && !sgt)
		bridge_out(args, DMA_BUF_FLAVOUR_SG_TABLE, phyr);
	/* and CPU access by the core, from a phyr of CPU RAM */
	if (phyr && (phyr->flags & DMA_BUF_FLAVOUR_CPU) && !cpu)
		bridge_out(args, DMA_BUF_FLAVOUR_CPU_ACCESS, phyr);
	return 0;
}

int phyr_vgem_dmabuf_flavours_ioctl(struct drm_device *dev, void *data,
				    struct drm_file *file)
{
	struct drm_phyr_vgem_dmabuf_flavours *args = data;
	struct dma_buf_attachment *attach;
	struct phyr_vgem_bo *bo;
	struct dma_buf *dmabuf;
	int ret;

	if (args->flags || args->pad)
		return -EINVAL;
	dmabuf = dma_buf_get(args->fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);

	args->status = 0;
	args->nr_offers = 0;
	memset(args->offers, 0, sizeof(args->offers));
	memset(&args->import, 0, sizeof(args->import));
	args->import_error = 0;
	ret = dmabuf_offers(dmabuf, args);
	if (ret)
		goto out;

	bo = phyr_vgem_dmabuf_bo(dmabuf);
	if (bo && bo->shmem.base.dev == dev) {
		/* an import gives back the buffer itself: nothing to negotiate */
		args->status |= PHYR_VGEM_DMABUF_OWN;
		goto out;
	}
	/* what phyr_vgem_prime_import() would get, attached and let go */
	attach = phyr_vgem_import_attach(dev, dmabuf);
	if (IS_ERR(attach)) {
		args->import_error = PTR_ERR(attach);
		goto out;
	}
	offer_out(&args->import, attach->flavour,
		  attach->flavour_provider ? DMA_BUF_FLAVOUR_MMIO : 0,
		  attach->flavour_provider);
	if (attach->flavour_bridged)
		args->import.flags |= PHYR_VGEM_OFFER_BRIDGE;
	ret = dma_buf_flavour_detach(dmabuf, attach);
out:
	dma_buf_put(dmabuf);
	return ret;
}
