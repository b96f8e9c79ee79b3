// SPDX-License-Identifier: MIT
/*
 * phyr_vgem's device memory: ranges of a PCI BAR without struct page, handed
 * out by the buddy allocator, described as MMIO ranges of the BAR's P2P
 * provider, and kept allocated for as long as a buffer or an importer's
 * mapping may reach them.
 *
 * Copyright 2026 The phyr developers
 */

#include <linux/cgroup_dmem.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>

#include "phyr_vgem_drv.h"

static void vmem_free(struct phyr_vgem_vmem *vmem)
{
	struct phyr_vgem_vram *vram = vmem->vdev->vram;

	phyr_destroy(&vmem->phyr);
	if (!list_empty(&vmem->blocks)) {
		mutex_lock(&vram->lock);
		gpu_buddy_free_list(&vram->mm, &vmem->blocks, 0);
		mutex_unlock(&vram->lock);
	}
	/* the region lives as long as the DRM device */
	dmem_cgroup_uncharge(vmem->pool, vmem->size);
	drm_dev_put(&vmem->vdev->drm);
	kfree(vmem);
}

/* Bytes in @blocks. */
static u64 blocks_size(struct gpu_buddy *mm, struct list_head *blocks)
{
	struct gpu_buddy_block *block;
	u64 size = 0;

	list_for_each_entry(block, blocks, link)
		size += gpu_buddy_block_size(mm, block);
	return size;
}

/* @vmem's blocks as MMIO ranges, in buffer order. */
static int vmem_ranges(struct phyr_vgem_vmem *vmem, bool zero)
{
	struct phyr_vgem_vram *vram = vmem->vdev->vram;
	struct gpu_buddy_block *block;
	int ret;

	list_for_each_entry(block, &vmem->blocks, link) {
		u64 off = gpu_buddy_block_offset(block);
		u64 len = gpu_buddy_block_size(&vram->mm, block);

		if (zero)
			memset_io(vram->va + off, 0, len);
		ret = phyr_append_mmio(&vmem->phyr, vram->provider,
				       vram->base + off, len, PHYR_ATTR_WC);
		if (ret)
			return ret;
	}
	/* the copies walk the phyr page by page, against the buffer's pages */
	if (WARN_ON_ONCE(phyr_len(&vmem->phyr) != vmem->size))
		return -EINVAL;
	return 0;
}

/**
 * phyr_vgem_vmem_alloc() - allocate device memory
 * @vdev: a device with device memory
 * @size: bytes, a nonzero multiple of the page size
 * @contiguous: in one range
 * @zero: clear it (else its contents are whatever was there)
 *
 * The memory is charged to the dmem cgroup of the calling task, until it is
 * freed (docs/phyr_vgem.md).
 *
 * Context: Process context; sleeps.  Touches the BAR: the caller is inside
 * drm_dev_enter().
 * Return: the memory, with one reference for the caller, or an ERR_PTR:
 * -ENOSPC when device memory is full or the caller's cgroup is at its dmem
 * limit, -ENOMEM.
 */
struct phyr_vgem_vmem *phyr_vgem_vmem_alloc(struct phyr_vgem_device *vdev,
					    u64 size, bool contiguous,
					    bool zero)
{
	struct phyr_vgem_vram *vram = vdev->vram;
	struct phyr_vgem_vmem *vmem;
	int ret;

	vmem = kzalloc_obj(*vmem);
	if (!vmem)
		return ERR_PTR(-ENOMEM);
	kref_init(&vmem->ref);
	INIT_LIST_HEAD(&vmem->blocks);
	phyr_init(&vmem->phyr, GFP_KERNEL);
	vmem->vdev = vdev;
	drm_dev_get(&vdev->drm);

	ret = dmem_cgroup_try_charge(vram->cg, size, &vmem->pool, NULL);
	if (ret) {
		ret = ret == -EAGAIN ? -ENOSPC : ret;
		goto err;
	}
	vmem->size = size;
	mutex_lock(&vram->lock);
	ret = gpu_buddy_alloc_blocks(&vram->mm, 0, vram->size, size, PAGE_SIZE,
				     &vmem->blocks,
				     contiguous ? GPU_BUDDY_CONTIGUOUS_ALLOCATION : 0);
	/*
	 * A contiguous allocation is a power of two that the allocator trims
	 * to the size asked for; the trim allocates, and when that fails the
	 * block is left whole, more than the buffer: fail as the trim did.
	 */
	if (ret) {
		ret = ret == -ENOMEM ? -ENOSPC : ret;
	} else if (blocks_size(&vram->mm, &vmem->blocks) != size) {
		gpu_buddy_free_list(&vram->mm, &vmem->blocks, 0);
		ret = -ENOMEM;
	}
	mutex_unlock(&vram->lock);
	if (ret)
		goto err;
	ret = vmem_ranges(vmem, zero);
	if (ret)
		goto err;
	return vmem;
err:
	vmem_free(vmem);
	return ERR_PTR(ret);
}

/**
 * phyr_vgem_vmem_get() - take a reference on device memory
 * @vmem: the memory
 *
 * Context: Any context.
 * Return: @vmem.
 */
struct phyr_vgem_vmem *phyr_vgem_vmem_get(struct phyr_vgem_vmem *vmem)
{
	kref_get(&vmem->ref);
	return vmem;
}

static void vmem_release(struct kref *ref)
{
	vmem_free(container_of(ref, struct phyr_vgem_vmem, ref));
}

/**
 * phyr_vgem_vmem_put() - drop a reference on device memory
 * @vmem: the memory, or NULL
 *
 * The last reference gives the blocks back to the allocator, where the next
 * buffer may get them: nobody may reach them any more.
 *
 * Context: Process context; may sleep (takes the allocator's lock).
 */
void phyr_vgem_vmem_put(struct phyr_vgem_vmem *vmem)
{
	if (vmem)
		kref_put(&vmem->ref, vmem_release);
}

/**
 * phyr_vgem_vmem_copy() - copy between pages and device memory
 * @vmem: the device memory
 * @pages: as many pages as @vmem is long, in buffer order
 * @to_device: from @pages to @vmem, else back
 *
 * Context: Process context.  Touches the BAR: the caller is inside
 * drm_dev_enter().
 */
void phyr_vgem_vmem_copy(struct phyr_vgem_vmem *vmem, struct page **pages,
			 bool to_device)
{
	struct phyr_vgem_vram *vram = vmem->vdev->vram;
	struct phyr_page_cursor pc;
	pgoff_t i = 0;

	phyr_page_cursor_init(&pc, &vmem->phyr);
	while (phyr_page_cursor_next(&pc)) {
		void __iomem *io = vram->va + (pc.phys - vram->base);
		void *va = kmap_local_page(pages[i++]);

		if (to_device)
			memcpy_toio(io, va, PAGE_SIZE);
		else
			memcpy_fromio(va, io, PAGE_SIZE);
		kunmap_local(va);
		cond_resched();
	}
}
