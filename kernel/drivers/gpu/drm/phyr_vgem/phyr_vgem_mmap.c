// SPDX-License-Identifier: MIT
/*
 * CPU mappings of phyr_vgem buffers: one fault handler for both placements,
 * GEM and dma-buf mmaps alike.
 *
 * Copyright 2026 The phyr developers
 */

#include <linux/dma-resv.h>
#include <linux/mm.h>
#include <linux/phyr_mm.h>

#include <drm/drm_drv.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_vma_manager.h>

#include "phyr_vgem_drv.h"

/**
 * phyr_vgem_bo_mmap() - &drm_gem_object_funcs.mmap
 * @obj: the object
 * @vma: the new mapping
 *
 * Both placements are VM_PFNMAP, write-combined, populated on fault.
 *
 * Context: Process context, with the mmap lock held.
 * Return: 0, or -EINVAL for a copy-on-write mapping.
 */
int phyr_vgem_bo_mmap(struct drm_gem_object *obj, struct vm_area_struct *vma)
{
	if (drm_gem_is_imported(obj))
		return drm_gem_shmem_mmap(to_drm_gem_shmem_obj(obj), vma);
	if (vma_is_cow_mapping(vma))
		return -EINVAL;
	vm_flags_set(vma, VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_page_prot = pgprot_writecombine(vma_get_page_prot(vma));
	return 0;
}

/*
 * The reservation, which a migration holds while it waits for fences (up to
 * %PHYR_VGEM_MOVE_TIMEOUT): a fault never sleeps on it uninterruptibly, and
 * on its first try not with the mmap lock held either -- as TTM's
 * ttm_bo_vm_reserve(), it waits killably without the lock and has the fault
 * retried, so that a process that only mapped the buffer can still be killed
 * and its address space used meanwhile.
 */
static vm_fault_t bo_fault_lock(struct vm_fault *vmf, struct drm_gem_object *obj)
{
	if (dma_resv_trylock(obj->resv))
		return 0;
	if (fault_flag_allow_retry_first(vmf->flags)) {
		if (!(vmf->flags & FAULT_FLAG_RETRY_NOWAIT)) {
			drm_gem_object_get(obj);
			release_fault_lock(vmf);
			if (!dma_resv_lock_interruptible(obj->resv, NULL))
				dma_resv_unlock(obj->resv);
			drm_gem_object_put(obj);
		}
		return VM_FAULT_RETRY;
	}
	return dma_resv_lock_interruptible(obj->resv, NULL) ? VM_FAULT_NOPAGE : 0;
}

/*
 * Under the reservation that migration holds: system memory inserts the page,
 * device memory the BAR's pfn found in the buffer's phyr.  The object offset
 * is counted from the GEM mmap offset, which holds for GEM and dma-buf mmaps
 * alike.  Once the device is unplugged (drm_dev_enter() fails) every fault is
 * SIGBUS: its BAR is gone.  An allocation that fails (the system pages) is
 * VM_FAULT_OOM, never SIGBUS.
 */
static vm_fault_t phyr_vgem_bo_fault(struct vm_fault *vmf)
{
	struct drm_gem_object *obj = vmf->vma->vm_private_data;
	struct phyr_vgem_bo *bo = to_phyr_vgem_bo(obj);
	pgoff_t pgoff = vmf->pgoff - drm_vma_node_start(&obj->vma_node);
	vm_fault_t ret;
	int idx, err;

	if (pgoff >= obj->size >> PAGE_SHIFT)
		return VM_FAULT_SIGBUS;
	ret = bo_fault_lock(vmf, obj);
	if (ret)
		return ret;
	if (!drm_dev_enter(obj->dev, &idx)) {
		ret = VM_FAULT_SIGBUS;
		goto out;
	}
	if (bo->placement == PHYR_VGEM_PLACEMENT_DEVICE) {
		ret = phyr_vmf_insert_pfn(vmf, &bo->vmem->phyr,
					  (u64)pgoff << PAGE_SHIFT);
	} else {
		/* a failed allocation is VM_FAULT_OOM, which the kernel retries */
		err = phyr_vgem_bo_sys_get(bo);
		ret = err ? vmf_error(err) :
		      vmf_insert_pfn(vmf->vma, vmf->address,
				     page_to_pfn(bo->shmem.pages[pgoff]));
	}
	drm_dev_exit(idx);
out:
	dma_resv_unlock(obj->resv);
	return ret;
}

const struct vm_operations_struct phyr_vgem_bo_vm_ops = {
	.fault = phyr_vgem_bo_fault,
	.open = drm_gem_vm_open,
	.close = drm_gem_vm_close,
};
