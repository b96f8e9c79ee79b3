// SPDX-License-Identifier: MIT
/*
 * Moving phyr_vgem buffers between system and device memory while importers
 * and CPU mappings use them, by the dma-buf dynamic importer rules.
 *
 * Copyright 2026 The phyr developers
 */

#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/mm.h>

#include <drm/drm_drv.h>
#include <drm/drm_vma_manager.h>

#include "phyr_vgem_drv.h"

/**
 * DOC: phyr_vgem migration
 *
 * A move, with the buffer's reservation held (so that nobody adds fences or
 * maps meanwhile):
 *
 * 1. allocates the new placement (device memory, or the pinned shmem pages),
 *    so that a failure leaves everything as it was;
 * 2. waits for every fence of the reservation (%DMA_RESV_USAGE_BOOKKEEP: the
 *    writers, whose data must be copied, and the readers of the old
 *    placement), interruptibly.  CPU mappings still work meanwhile: a client
 *    that attached a write fence and writes through its mmap can finish and
 *    signal;
 * 3. tells every importer to drop its mappings (dma_buf_invalidate_mappings())
 *    and zaps the CPU mappings of the buffer (GEM and dma-buf mmaps), whose
 *    faults wait for the reservation (killably, without the mmap lock) and
 *    then find the new placement;
 * 4. waits again for the fences of the reservation: those that importers
 *    added when they were told, for DMA they still had in flight.  Both waits
 *    together take at most %PHYR_VGEM_MOVE_TIMEOUT;
 * 5. copies the contents, when there are any (system memory that was never
 *    populated is zeroes, as is new device memory);
 * 6. makes the new placement the buffer's and drops the buffer's hold on the
 *    old one.  Old device memory stays allocated while importers still map
 *    it (&struct phyr_vgem_vmem is refcounted by their mappings), old pages
 *    stay pinned by the importers that pinned them: nothing an importer may
 *    still reach, by the rules even only to read and discard, is freed or
 *    handed to another buffer before its unmap.
 *
 * Maps requested during a move (from an importer's invalidate callback) fail
 * with -EAGAIN.  A move fails with -EBUSY while the buffer is pinned (static
 * importers, kernel vmaps), -ETIMEDOUT if fences did not signal in time, and
 * with the error of an interrupted wait; nothing moved then.
 */

/* Importers and CPU mappings lose their access to the current placement. */
static void bo_invalidate(struct phyr_vgem_bo *bo)
{
	struct drm_gem_object *obj = &bo->shmem.base;
	struct dma_buf *dmabuf = phyr_vgem_bo_dmabuf_get(bo);

	if (dmabuf) {
		dma_buf_invalidate_mappings(dmabuf);
		unmap_mapping_range(dmabuf->file->f_mapping, 0, 0, 1);
		dma_buf_put(dmabuf);
	}
	drm_vma_node_unmap(&obj->vma_node, obj->dev->anon_inode->i_mapping);
}

/**
 * phyr_vgem_bo_migrate() - move a buffer to a placement
 * @bo: the buffer
 * @placement: PHYR_VGEM_PLACEMENT_SYSTEM or PHYR_VGEM_PLACEMENT_DEVICE
 *
 * See DOC: phyr_vgem migration.
 *
 * Context: Process context; sleeps, interruptibly.  The object's reservation
 * must be held.
 * Return: 0; -EINVAL for an imported buffer or an unknown placement; -ENODEV
 * for device memory on a device without it, or unplugged; -ENOSPC when it is
 * full; -EBUSY while the buffer is pinned; -EAGAIN during a move; -ETIMEDOUT
 * if fences did not signal in time; -ERESTARTSYS if interrupted; -ENOMEM.
 */
int phyr_vgem_bo_migrate(struct phyr_vgem_bo *bo, u32 placement)
{
	struct drm_gem_object *obj = &bo->shmem.base;
	struct phyr_vgem_device *vdev = to_phyr_vgem_device(obj->dev);
	struct phyr_vgem_vmem *new = NULL, *old;
	bool copy = bo->sys_populated, had_pin = bo->sys_pinned;
	long left;
	int idx, ret;

	dma_resv_assert_held(obj->resv);
	if (drm_gem_is_imported(obj) || placement > PHYR_VGEM_PLACEMENT_DEVICE)
		return -EINVAL;
	if (placement == bo->placement)
		return 0;
	if (placement == PHYR_VGEM_PLACEMENT_DEVICE && !vdev->vram)
		return -ENODEV;
	if (bo->moving)
		return -EAGAIN;
	if (bo->pins)
		return -EBUSY;
	/* the BAR and its provider go away with the PCI device */
	if (!drm_dev_enter(obj->dev, &idx))
		return -ENODEV;

	if (placement == PHYR_VGEM_PLACEMENT_DEVICE) {
		new = phyr_vgem_vmem_alloc(vdev, obj->size, bo->contiguous, !copy);
		if (IS_ERR(new)) {
			ret = PTR_ERR(new);
			goto out;
		}
		/* pages that were populated and unpinned since: back in */
		ret = copy ? phyr_vgem_bo_sys_get(bo) : 0;
	} else {
		ret = phyr_vgem_bo_sys_get(bo);
	}
	if (ret)
		goto undo;

	left = dma_resv_wait_timeout(obj->resv, DMA_RESV_USAGE_BOOKKEEP, true,
				     PHYR_VGEM_MOVE_TIMEOUT);
	if (left > 0) {
		bo->moving = true;
		bo_invalidate(bo);
		bo->moving = false;
		/* the fences the importers just told added: the lock is ours */
		left = dma_resv_wait_timeout(obj->resv, DMA_RESV_USAGE_BOOKKEEP,
					     true, left);
	}
	if (left <= 0) {
		/* importers told map again where the buffer still is */
		ret = left ? left : -ETIMEDOUT;
		goto undo;
	}

	if (placement == PHYR_VGEM_PLACEMENT_DEVICE) {
		if (copy)
			phyr_vgem_vmem_copy(new, bo->shmem.pages, true);
		bo->vmem = new;
		bo->placement = placement;
		/* the pages no longer hold the contents: reclaim may drop them */
		bo->shmem.pages_mark_dirty_on_put = false;
		phyr_vgem_bo_sys_put(bo);
	} else {
		phyr_vgem_vmem_copy(bo->vmem, bo->shmem.pages, false);
		old = bo->vmem;
		bo->vmem = NULL;
		bo->placement = placement;
		phyr_vgem_vmem_put(old);
	}
	ret = 0;
	goto out;

undo:
	if (!IS_ERR_OR_NULL(new))
		phyr_vgem_vmem_put(new);
	/* only the pin this move took */
	if (!had_pin)
		phyr_vgem_bo_sys_put(bo);
out:
	drm_dev_exit(idx);
	return ret;
}

/**
 * phyr_vgem_bo_validate() - put a buffer where an importer can use it
 * @bo: the buffer
 * @placements: the placements the importer can use, BIT(PHYR_VGEM_PLACEMENT_*)
 *
 * Called by the maps of the dma-buf: a buffer that userspace moved away from
 * where an attachment was matched comes back (device memory first, if the
 * importer can use it), as TTM exporters do.
 *
 * Context: Process context; sleeps.  The object's reservation must be held.
 * Return: 0, or the error of phyr_vgem_bo_migrate().
 */
int phyr_vgem_bo_validate(struct phyr_vgem_bo *bo, u32 placements)
{
	dma_resv_assert_held(bo->shmem.base.resv);
	if (bo->moving)
		return -EAGAIN;
	if (placements & BIT(bo->placement))
		return 0;
	return phyr_vgem_bo_migrate(bo, placements & BIT(PHYR_VGEM_PLACEMENT_DEVICE) ?
				    PHYR_VGEM_PLACEMENT_DEVICE :
				    PHYR_VGEM_PLACEMENT_SYSTEM);
}
