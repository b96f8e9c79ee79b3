// SPDX-License-Identifier: MIT
/*
 * phyr_vgem buffers: their life, from creation (in system memory, shmem pages
 * as vgem's, or in device memory) to the end, and what keeps them in their
 * placement.  Migration is in phyr_vgem_move.c, CPU mappings in
 * phyr_vgem_mmap.c, export in phyr_vgem_prime.c.
 *
 * Copyright 2026 The phyr developers
 */

#include <linux/dma-resv.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_gem_shmem_helper.h>

#include "phyr_vgem_drv.h"

/**
 * phyr_vgem_bo_pin_pages() - pin a buffer's shmem pages
 * @bo: the buffer, in system memory
 *
 * The one way to pin the pages, for the object itself and for importers, so
 * that the buffer knows its system memory holds its contents from then on.
 * Whoever pinned them may have written them, the CPU through our mmap or an
 * importer by DMA, neither of which dirties the folios: they are put dirty
 * (as the shmem helpers' vmap does), so that reclaim writes them to swap
 * instead of dropping them, until a move to device memory takes the
 * contents away from them.
 *
 * Context: Process context; may sleep.  The object's reservation must be
 * held.
 * Return: 0 or -ENOMEM.
 */
int phyr_vgem_bo_pin_pages(struct phyr_vgem_bo *bo)
{
	int ret;

	dma_resv_assert_held(bo->shmem.base.resv);
	ret = drm_gem_shmem_pin_locked(&bo->shmem);
	if (!ret) {
		bo->sys_populated = true;
		bo->shmem.pages_mark_dirty_on_put = true;
		bo->shmem.pages_mark_accessed_on_put = true;
	}
	return ret;
}

/**
 * phyr_vgem_bo_sys_get() - populate a buffer's system memory
 * @bo: the buffer
 *
 * The object keeps its pages pinned from the first use to the move to device
 * memory or its end, so that mmap, dma-buf maps and migration find them.
 *
 * Context: Process context; may sleep.  The object's reservation must be
 * held.
 * Return: 0 or -ENOMEM.
 */
int phyr_vgem_bo_sys_get(struct phyr_vgem_bo *bo)
{
	int ret;

	if (bo->sys_pinned)
		return 0;
	ret = phyr_vgem_bo_pin_pages(bo);
	if (!ret)
		bo->sys_pinned = true;
	return ret;
}

/**
 * phyr_vgem_bo_sys_put() - drop the object's own pin of its pages
 * @bo: the buffer
 *
 * Importers that still map the pages keep them pinned until they unmap.
 *
 * Context: Process context.  The object's reservation must be held.
 */
void phyr_vgem_bo_sys_put(struct phyr_vgem_bo *bo)
{
	dma_resv_assert_held(bo->shmem.base.resv);
	if (bo->sys_pinned) {
		drm_gem_shmem_unpin_locked(&bo->shmem);
		bo->sys_pinned = false;
	}
}

static void phyr_vgem_bo_free(struct drm_gem_object *obj)
{
	struct phyr_vgem_bo *bo = to_phyr_vgem_bo(obj);
	struct phyr_vgem_vmem *vmem = bo->vmem;

	if (!list_empty(&bo->node)) {
		struct phyr_vgem_device *vdev = to_phyr_vgem_device(obj->dev);

		mutex_lock(&vdev->bos_lock);
		list_del(&bo->node);
		mutex_unlock(&vdev->bos_lock);
	}
	if (!drm_gem_is_imported(obj)) {
		dma_resv_lock(obj->resv, NULL);
		phyr_vgem_bo_sys_put(bo);
		dma_resv_unlock(obj->resv);
	}
	drm_gem_shmem_free(&bo->shmem);
	/* last: device memory holds the DRM device, which the free still uses */
	phyr_vgem_vmem_put(vmem);
}

/**
 * phyr_vgem_bo_pin_locked() - keep a buffer in its placement
 * @bo: the buffer
 *
 * For static importers, kernel vmaps and GEM pins: migration fails with
 * -EBUSY until the matching phyr_vgem_bo_unpin_locked().
 *
 * Context: Process context; may sleep.  The object's reservation must be
 * held.
 * Return: 0, or the error of populating system memory.
 */
int phyr_vgem_bo_pin_locked(struct phyr_vgem_bo *bo)
{
	int ret = 0;

	dma_resv_assert_held(bo->shmem.base.resv);
	if (bo->placement == PHYR_VGEM_PLACEMENT_SYSTEM)
		ret = phyr_vgem_bo_sys_get(bo);
	if (!ret)
		bo->pins++;
	return ret;
}

/**
 * phyr_vgem_bo_unpin_locked() - undo phyr_vgem_bo_pin_locked()
 * @bo: the buffer
 *
 * Context: Process context.  The object's reservation must be held.
 */
void phyr_vgem_bo_unpin_locked(struct phyr_vgem_bo *bo)
{
	dma_resv_assert_held(bo->shmem.base.resv);
	if (!WARN_ON_ONCE(!bo->pins))
		bo->pins--;
}

static int phyr_vgem_bo_pin(struct drm_gem_object *obj)
{
	return phyr_vgem_bo_pin_locked(to_phyr_vgem_bo(obj));
}

static void phyr_vgem_bo_unpin(struct drm_gem_object *obj)
{
	phyr_vgem_bo_unpin_locked(to_phyr_vgem_bo(obj));
}

static struct sg_table *phyr_vgem_bo_get_sg_table(struct drm_gem_object *obj)
{
	struct phyr_vgem_bo *bo = to_phyr_vgem_bo(obj);

	if (bo->placement != PHYR_VGEM_PLACEMENT_SYSTEM)
		return ERR_PTR(-EOPNOTSUPP);
	return drm_gem_shmem_get_sg_table(&bo->shmem);
}

/*
 * A kernel mapping of system memory pins the buffer there: it points at the
 * pages, which a move to device memory would leave behind.  Device memory has
 * no kernel mapping (-EOPNOTSUPP).
 */
static int phyr_vgem_bo_vmap(struct drm_gem_object *obj, struct iosys_map *map)
{
	struct phyr_vgem_bo *bo = to_phyr_vgem_bo(obj);
	int ret;

	if (bo->placement != PHYR_VGEM_PLACEMENT_SYSTEM)
		return -EOPNOTSUPP;
	ret = phyr_vgem_bo_pin_locked(bo);
	if (ret)
		return ret;
	ret = drm_gem_shmem_vmap_locked(&bo->shmem, map);
	if (ret)
		phyr_vgem_bo_unpin_locked(bo);
	return ret;
}

static void phyr_vgem_bo_vunmap(struct drm_gem_object *obj,
				struct iosys_map *map)
{
	drm_gem_shmem_vunmap_locked(to_drm_gem_shmem_obj(obj), map);
	phyr_vgem_bo_unpin_locked(to_phyr_vgem_bo(obj));
}

static const struct drm_gem_object_funcs phyr_vgem_bo_funcs = {
	.free = phyr_vgem_bo_free,
	.print_info = drm_gem_shmem_object_print_info,
	.pin = phyr_vgem_bo_pin,
	.unpin = phyr_vgem_bo_unpin,
	.get_sg_table = phyr_vgem_bo_get_sg_table,
	.vmap = phyr_vgem_bo_vmap,
	.vunmap = phyr_vgem_bo_vunmap,
	.mmap = phyr_vgem_bo_mmap,
	.export = phyr_vgem_prime_export,
	.vm_ops = &phyr_vgem_bo_vm_ops,
};

/**
 * phyr_vgem_gem_create_object() - &drm_driver.gem_create_object
 * @dev: the device
 * @size: the object's size
 *
 * Context: Process context; may sleep.
 * Return: a new system-memory buffer, to be initialised by the shmem helpers.
 */
struct drm_gem_object *phyr_vgem_gem_create_object(struct drm_device *dev,
						   size_t size)
{
	struct phyr_vgem_bo *bo = kzalloc_obj(*bo);

	if (!bo)
		return ERR_PTR(-ENOMEM);
	/*
	 * There are no begin/end CPU access ioctls, therefore the memory must
	 * be coherent or dma-buf sharing just won't work.
	 */
	bo->shmem.map_wc = true;
	bo->shmem.base.funcs = &phyr_vgem_bo_funcs;
	bo->placement = PHYR_VGEM_PLACEMENT_SYSTEM;
	spin_lock_init(&bo->dmabuf_lock);
	INIT_LIST_HEAD(&bo->node);
	return &bo->shmem.base;
}

/* List a new buffer of ours for debugfs and unplug, before it has a handle. */
static void phyr_vgem_bo_track(struct phyr_vgem_bo *bo)
{
	struct phyr_vgem_device *vdev = to_phyr_vgem_device(bo->shmem.base.dev);

	mutex_lock(&vdev->bos_lock);
	list_add_tail(&bo->node, &vdev->bos);
	mutex_unlock(&vdev->bos_lock);
}

/**
 * phyr_vgem_bo_create() - a buffer in a placement
 * @dev: the device
 * @size: bytes, a nonzero multiple of the page size
 * @placement: PHYR_VGEM_PLACEMENT_SYSTEM or PHYR_VGEM_PLACEMENT_DEVICE
 * @flags: PHYR_VGEM_BO_CONTIGUOUS (device memory only) or 0
 *
 * Context: Process context; may sleep.
 * Return: the buffer, or an ERR_PTR: -EINVAL for a bad size, placement or
 * flag, -ENODEV for device memory on a device without it (or unplugged),
 * -ENOSPC when device memory is full, -ENOMEM.
 */
struct phyr_vgem_bo *phyr_vgem_bo_create(struct drm_device *dev, u64 size,
					 u32 placement, u32 flags)
{
	struct phyr_vgem_vram *vram = to_phyr_vgem_device(dev)->vram;
	struct drm_gem_shmem_object *shmem;
	struct phyr_vgem_bo *bo;
	int ret;

	if (!size || !PAGE_ALIGNED(size) || size > SIZE_MAX ||
	    placement > PHYR_VGEM_PLACEMENT_DEVICE ||
	    (flags & ~PHYR_VGEM_BO_CONTIGUOUS))
		return ERR_PTR(-EINVAL);
	if (placement == PHYR_VGEM_PLACEMENT_SYSTEM) {
		if (flags)
			return ERR_PTR(-EINVAL);
	} else if (!vram) {
		return ERR_PTR(-ENODEV);
	} else if (size > vram->size) {
		return ERR_PTR(-EINVAL);
	}

	shmem = drm_gem_shmem_create(dev, size);
	if (IS_ERR(shmem))
		return ERR_CAST(shmem);
	bo = to_phyr_vgem_bo(&shmem->base);
	phyr_vgem_bo_track(bo);
	bo->contiguous = flags & PHYR_VGEM_BO_CONTIGUOUS;
	if (placement == PHYR_VGEM_PLACEMENT_DEVICE) {
		dma_resv_lock(shmem->base.resv, NULL);
		ret = phyr_vgem_bo_migrate(bo, placement);
		dma_resv_unlock(shmem->base.resv);
		if (ret) {
			drm_gem_object_put(&shmem->base);
			return ERR_PTR(ret);
		}
	}
	return bo;
}

/**
 * phyr_vgem_bo_nr_ranges() - the physically contiguous runs of a buffer now
 * @bo: the buffer
 *
 * Context: Process context.  The object's reservation must be held.
 * Return: the number of ranges, 0 for system memory not populated.
 */
u64 phyr_vgem_bo_nr_ranges(struct phyr_vgem_bo *bo)
{
	pgoff_t i, n = bo->shmem.base.size >> PAGE_SHIFT;
	struct page **pages = bo->shmem.pages;
	u64 runs = 0;

	if (bo->placement == PHYR_VGEM_PLACEMENT_DEVICE)
		return phyr_nr_ranges(&bo->vmem->phyr);
	if (!bo->sys_pinned)
		return 0;
	for (i = 0; i < n; i++)
		runs += !i || page_to_pfn(pages[i]) != page_to_pfn(pages[i - 1]) + 1;
	return runs;
}
