// SPDX-License-Identifier: MIT
/*
 * phyr_vgem buffers: system memory (shmem pages, as vgem) or device memory (a
 * range of a PCI BAR managed by the buddy allocator, without struct page),
 * CPU-mapped through one fault handler for both, and moved between the two.
 *
 * Copyright 2026 The phyr developers
 */

#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/phyr.h>
#include <linux/phyr_mm.h>
#include <linux/pci-p2pdma.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include <drm/drm_debugfs.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_prime.h>
#include <drm/drm_vma_manager.h>

#include "phyr_vgem_drv.h"

static struct phyr_vgem_vram *bo_vram(struct phyr_vgem_bo *bo)
{
	return to_phyr_vgem_device(bo->shmem.base.dev)->vram;
}

/**
 * phyr_vgem_bo_sys_get() - populate a system-memory buffer
 * @bo: the buffer, with its reservation held
 *
 * The object keeps its pages pinned from the first use to the move to device
 * memory or its end, so that mmap, dma-buf maps and migration find them.
 *
 * Return: 0 or -ENOMEM.
 */
int phyr_vgem_bo_sys_get(struct phyr_vgem_bo *bo)
{
	int ret;

	dma_resv_assert_held(bo->shmem.base.resv);
	if (bo->sys_pinned)
		return 0;
	ret = drm_gem_shmem_pin_locked(&bo->shmem);
	if (!ret)
		bo->sys_pinned = true;
	return ret;
}

static void bo_sys_put(struct phyr_vgem_bo *bo)
{
	if (bo->sys_pinned) {
		drm_gem_shmem_unpin_locked(&bo->shmem);
		bo->sys_pinned = false;
	}
}

static void bo_dev_free(struct phyr_vgem_bo *bo)
{
	struct phyr_vgem_vram *vram = bo_vram(bo);

	if (bo->dev_phyr) {
		phyr_destroy(bo->dev_phyr);
		kfree(bo->dev_phyr);
		bo->dev_phyr = NULL;
	}
	if (!list_empty(&bo->blocks)) {
		mutex_lock(&vram->lock);
		gpu_buddy_free_list(&vram->mm, &bo->blocks, 0);
		mutex_unlock(&vram->lock);
	}
}

/*
 * Allocate the object's size in device memory, zeroed, and describe it as
 * MMIO ranges of the BAR's provider, in the object's byte order.
 */
static int bo_dev_alloc(struct phyr_vgem_bo *bo)
{
	struct phyr_vgem_vram *vram = bo_vram(bo);
	size_t size = bo->shmem.base.size;
	struct gpu_buddy_block *block;
	unsigned long flags = 0;
	int ret;

	if (!vram)
		return -ENODEV;
	if (bo->contiguous)
		flags |= GPU_BUDDY_CONTIGUOUS_ALLOCATION;
	mutex_lock(&vram->lock);
	ret = gpu_buddy_alloc_blocks(&vram->mm, 0, vram->size, size, PAGE_SIZE,
				     &bo->blocks, flags);
	mutex_unlock(&vram->lock);
	if (ret)
		return ret == -ENOMEM ? -ENOSPC : ret;

	bo->dev_phyr = kmalloc_obj(*bo->dev_phyr, GFP_KERNEL);
	if (!bo->dev_phyr) {
		ret = -ENOMEM;
		goto err;
	}
	phyr_init(bo->dev_phyr, GFP_KERNEL);
	list_for_each_entry(block, &bo->blocks, link) {
		u64 off = gpu_buddy_block_offset(block);
		u64 len = gpu_buddy_block_size(&vram->mm, block);

		memset_io(vram->va + off, 0, len);
		ret = phyr_append_mmio(bo->dev_phyr, vram->provider,
				       vram->base + off, len, PHYR_ATTR_WC);
		if (ret)
			goto err;
	}
	return 0;
err:
	bo_dev_free(bo);
	return ret;
}

/* Copy between the pinned pages and device memory, page by page. */
static void bo_copy(struct phyr_vgem_bo *bo, bool to_device)
{
	struct phyr_vgem_vram *vram = bo_vram(bo);
	struct phyr_page_cursor pc;
	pgoff_t i = 0;

	phyr_page_cursor_init(&pc, bo->dev_phyr);
	while (phyr_page_cursor_next(&pc)) {
		void __iomem *io = vram->va + (pc.phys - vram->base);
		void *va = kmap_local_page(bo->shmem.pages[i++]);

		if (to_device)
			memcpy_toio(io, va, PAGE_SIZE);
		else
			memcpy_fromio(va, io, PAGE_SIZE);
		kunmap_local(va);
	}
}

/* Importers drop their mappings; CPU mappings fault again. */
static void bo_moved(struct phyr_vgem_bo *bo)
{
	struct drm_gem_object *obj = &bo->shmem.base;

	if (obj->dma_buf) {
		dma_buf_invalidate_mappings(obj->dma_buf);
		unmap_mapping_range(obj->dma_buf->file->f_mapping, 0, 0, 1);
	}
	drm_vma_node_unmap(&obj->vma_node, obj->dev->anon_inode->i_mapping);
}

/**
 * phyr_vgem_bo_migrate() - move a buffer to a placement
 * @bo: the buffer, with its reservation held
 * @placement: PHYR_VGEM_PLACEMENT_SYSTEM or PHYR_VGEM_PLACEMENT_DEVICE
 *
 * Copies the contents, invalidates importers' mappings and zaps CPU mappings.
 *
 * Return: 0, -EINVAL for an imported buffer or an unknown placement,
 * -ENODEV for device memory without it, -ENOSPC when it is full, -EBUSY while
 * a static importer has the buffer pinned, or -ENOMEM.
 */
int phyr_vgem_bo_migrate(struct phyr_vgem_bo *bo, u32 placement)
{
	bool had_pages;
	int ret;

	dma_resv_assert_held(bo->shmem.base.resv);
	if (drm_gem_is_imported(&bo->shmem.base) ||
	    placement > PHYR_VGEM_PLACEMENT_DEVICE)
		return -EINVAL;
	if (placement == bo->placement)
		return 0;
	if (placement == PHYR_VGEM_PLACEMENT_DEVICE && !bo_vram(bo))
		return -ENODEV;
	if (bo->pins)
		return -EBUSY;

	if (placement == PHYR_VGEM_PLACEMENT_DEVICE) {
		had_pages = bo->sys_pinned;
		ret = bo_dev_alloc(bo);
		if (ret)
			return ret;
		if (had_pages)
			bo_copy(bo, true);
		bo->placement = placement;
		bo_moved(bo);
		bo_sys_put(bo);
		return 0;
	}

	ret = phyr_vgem_bo_sys_get(bo);
	if (ret)
		return ret;
	bo_copy(bo, false);
	bo->placement = placement;
	bo_moved(bo);
	bo_dev_free(bo);
	return 0;
}

/* --- GEM object functions --------------------------------------------------- */

static void phyr_vgem_bo_free(struct drm_gem_object *obj)
{
	struct phyr_vgem_bo *bo = to_phyr_vgem_bo(obj);

	if (!list_empty(&bo->node)) {
		struct phyr_vgem_device *vdev = to_phyr_vgem_device(obj->dev);

		mutex_lock(&vdev->bos_lock);
		list_del(&bo->node);
		mutex_unlock(&vdev->bos_lock);
	}
	if (!drm_gem_is_imported(obj)) {
		dma_resv_lock(obj->resv, NULL);
		bo_sys_put(bo);
		dma_resv_unlock(obj->resv);
		bo_dev_free(bo);
	}
	drm_gem_shmem_free(&bo->shmem);
}

/**
 * phyr_vgem_bo_pin_locked() - keep a buffer in its placement
 * @bo: the buffer, with its reservation held
 *
 * For static importers and GEM pins: migration fails with -EBUSY until the
 * matching phyr_vgem_bo_unpin_locked().
 *
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
 * @bo: the buffer, with its reservation held
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

static int phyr_vgem_bo_vmap(struct drm_gem_object *obj, struct iosys_map *map)
{
	struct phyr_vgem_bo *bo = to_phyr_vgem_bo(obj);
	int ret;

	if (bo->placement != PHYR_VGEM_PLACEMENT_SYSTEM)
		return -EOPNOTSUPP;
	ret = phyr_vgem_bo_sys_get(bo);
	if (ret)
		return ret;
	return drm_gem_shmem_vmap_locked(&bo->shmem, map);
}

static void phyr_vgem_bo_vunmap(struct drm_gem_object *obj,
				struct iosys_map *map)
{
	drm_gem_shmem_vunmap_locked(to_drm_gem_shmem_obj(obj), map);
}

static int phyr_vgem_bo_mmap(struct drm_gem_object *obj,
			     struct vm_area_struct *vma)
{
	if (drm_gem_is_imported(obj))
		return drm_gem_shmem_mmap(to_drm_gem_shmem_obj(obj), vma);
	if (vma_is_cow_mapping(vma))
		return -EINVAL;
	/* both placements: pfns inserted on fault, write-combined */
	vm_flags_set(vma, VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_page_prot = pgprot_writecombine(vma_get_page_prot(vma));
	return 0;
}

/*
 * One fault handler for both placements, under the reservation that
 * migration holds: system memory inserts the page, device memory the BAR's
 * pfn found in the buffer's phyr.  The object offset is counted from the
 * GEM mmap offset, which holds for GEM and dma-buf mmaps alike.
 */
static vm_fault_t phyr_vgem_bo_fault(struct vm_fault *vmf)
{
	struct drm_gem_object *obj = vmf->vma->vm_private_data;
	struct phyr_vgem_bo *bo = to_phyr_vgem_bo(obj);
	pgoff_t pgoff = vmf->pgoff - drm_vma_node_start(&obj->vma_node);
	vm_fault_t ret = VM_FAULT_SIGBUS;

	if (pgoff >= obj->size >> PAGE_SHIFT)
		return VM_FAULT_SIGBUS;
	dma_resv_lock(obj->resv, NULL);
	if (bo->placement == PHYR_VGEM_PLACEMENT_DEVICE) {
		ret = phyr_vmf_insert_pfn(vmf, bo->dev_phyr,
					  (u64)pgoff << PAGE_SHIFT);
	} else if (!phyr_vgem_bo_sys_get(bo)) {
		ret = vmf_insert_pfn(vmf->vma, vmf->address,
				     page_to_pfn(bo->shmem.pages[pgoff]));
	}
	dma_resv_unlock(obj->resv);
	return ret;
}

static const struct vm_operations_struct phyr_vgem_bo_vm_ops = {
	.fault = phyr_vgem_bo_fault,
	.open = drm_gem_vm_open,
	.close = drm_gem_vm_close,
};

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
	INIT_LIST_HEAD(&bo->blocks);
	INIT_LIST_HEAD(&bo->node);
	return &bo->shmem.base;
}

/**
 * phyr_vgem_bo_track() - list a new buffer of ours for debugfs
 * @bo: the buffer
 */
void phyr_vgem_bo_track(struct phyr_vgem_bo *bo)
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
 * Return: the buffer, or an ERR_PTR: -EINVAL for a bad size, placement or
 * flag, -ENODEV for device memory on a device without it, -ENOSPC when
 * device memory is full, -ENOMEM.
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

/* The number of physically contiguous runs of the buffer's memory now. */
static u64 bo_nr_ranges(struct phyr_vgem_bo *bo)
{
	pgoff_t i, n = bo->shmem.base.size >> PAGE_SHIFT;
	u64 runs = 0;

	if (bo->placement == PHYR_VGEM_PLACEMENT_DEVICE)
		return phyr_nr_ranges(bo->dev_phyr);
	if (!bo->sys_pinned)
		return 0;
	for (i = 0; i < n; i++)
		runs += !i || page_to_pfn(bo->shmem.pages[i]) !=
			      page_to_pfn(bo->shmem.pages[i - 1]) + 1;
	return runs;
}

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

	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	bo = to_phyr_vgem_bo(obj);
	dma_resv_lock(obj->resv, NULL);
	args->size = obj->size;
	args->placement = bo->placement;
	args->nr_ranges = 0;
	args->flavours = 0;
	args->import_flavour = 0;
	if (drm_gem_is_imported(obj)) {
		args->import_flavour = BIT(obj->import_attach->flavour);
	} else {
		args->nr_ranges = bo_nr_ranges(bo);
		args->flavours = phyr_vgem_bo_flavours(bo);
	}
	dma_resv_unlock(obj->resv);
	drm_gem_object_put(obj);
	return 0;
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

/**
 * phyr_vgem_debugfs_buffers() - debugfs "buffers": our buffers and their memory
 * @m: the seq_file
 * @data: unused
 *
 * One line per buffer (size, placement, ranges, the inode of its dma-buf if
 * exported, as fstat() on the dma-buf fd shows it), then for device memory
 * one line per range: the MMIO address and length, and the P2P provider.
 *
 * Return: 0.
 */
int phyr_vgem_debugfs_buffers(struct seq_file *m, void *data)
{
	struct drm_debugfs_entry *entry = m->private;
	struct phyr_vgem_device *vdev = to_phyr_vgem_device(entry->dev);
	struct phyr_vgem_bo *bo;

	mutex_lock(&vdev->bos_lock);
	list_for_each_entry(bo, &vdev->bos, node) {
		struct drm_gem_object *obj = &bo->shmem.base;
		struct phyr_cursor cur;

		dma_resv_lock(obj->resv, NULL);
		seq_printf(m, "size %zu placement %s ranges %llu dmabuf-ino %lu\n",
			   obj->size, bo->placement ? "device" : "system",
			   bo_nr_ranges(bo),
			   obj->dma_buf ? file_inode(obj->dma_buf->file)->i_ino : 0);
		if (bo->placement == PHYR_VGEM_PLACEMENT_DEVICE) {
			phyr_cursor_init(&cur, bo->dev_phyr);
			while (phyr_cursor_next(&cur))
				seq_printf(m, "\t%s %pa+%#zx provider %s\n",
					   cur.type == PHYR_MEM_P2P ? "mmio" : "ram",
					   &cur.phys, cur.len,
					   cur.provider ? dev_name(cur.provider->owner) : "-");
		}
		dma_resv_unlock(obj->resv);
	}
	mutex_unlock(&vdev->bos_lock);
	return 0;
}
