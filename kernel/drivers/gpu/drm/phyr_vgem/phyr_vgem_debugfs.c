// SPDX-License-Identifier: MIT
/*
 * phyr_vgem's debugfs: the buffers of a device and their memory.
 *
 * Copyright 2026 The phyr developers
 */

#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/pci-p2pdma.h>
#include <linux/seq_file.h>

#include <drm/drm_debugfs.h>
#include <drm/drm_file.h>

#include "phyr_vgem_drv.h"

/**
 * phyr_vgem_debugfs_buffers() - debugfs "buffers": our buffers and their memory
 * @m: the seq_file
 * @data: unused
 *
 * One line per buffer (size, placement, ranges, the inode of its dma-buf if
 * exported, as fstat() on the dma-buf fd shows it), then for device memory
 * one line per range: the MMIO address and length, and the P2P provider.
 *
 * Context: Process context; takes &phyr_vgem_device.bos_lock and each
 * buffer's reservation.
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
		seq_printf(m, "size %zu placement %s ranges %llu dmabuf-ino %llu\n",
			   obj->size, bo->placement ? "device" : "system",
			   phyr_vgem_bo_nr_ranges(bo),
			   (unsigned long long)(obj->dma_buf ?
					      file_inode(obj->dma_buf->file)->i_ino : 0));
		if (bo->placement == PHYR_VGEM_PLACEMENT_DEVICE) {
			phyr_cursor_init(&cur, &bo->vmem->phyr);
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
