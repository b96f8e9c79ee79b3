// SPDX-License-Identifier: MIT
/*
 * phyr_vgem's own ioctls beyond vgem's: device info, buffers in a placement,
 * what a buffer is now, and migration.  See include/uapi/drm/phyr_vgem_drm.h.
 *
 * Copyright 2026 The phyr developers
 */

#include <linux/dma-buf.h>
#include <linux/dma-resv.h>

#include <drm/drm_file.h>
#include <drm/drm_gem.h>

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
	struct phyr_vgem_bo *bo;
	int ret;

	if (args->pad)
		return -EINVAL;
	bo = phyr_vgem_bo_create(dev, args->size, args->placement, args->flags);
	if (IS_ERR(bo))
		return PTR_ERR(bo);
	ret = drm_gem_handle_create(file, &bo->shmem.base, &args->handle);
	drm_gem_object_put(&bo->shmem.base);
	return ret;
}

int phyr_vgem_bo_query_ioctl(struct drm_device *dev, void *data,
			     struct drm_file *file)
{
	struct drm_phyr_vgem_bo_query *args = data;
	struct drm_gem_object *obj;
	struct phyr_vgem_bo *bo;
	int ret;

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
		/* the exporter revoked the buffer: nothing is negotiated any more */
		if (!obj->import_attach->dmabuf->revoked)
			args->import_flavour = BIT(obj->import_attach->flavour);
	} else {
		args->nr_ranges = phyr_vgem_bo_nr_ranges(bo);
		args->flavours = phyr_vgem_bo_flavours(bo);
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
