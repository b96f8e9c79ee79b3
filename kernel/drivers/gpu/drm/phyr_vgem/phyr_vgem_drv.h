/* SPDX-License-Identifier: MIT */
/*
 * Copyright 2011 Red Hat, Inc.
 * Copyright 2026 The phyr developers
 *
 * Derived from drivers/gpu/drm/vgem/vgem_drv.h.
 *
 * Authors:
 *    Ben Widawsky <ben@bwidawsk.net>
 */

#ifndef _PHYR_VGEM_DRV_H_
#define _PHYR_VGEM_DRV_H_

#include <linux/gpu_buddy.h>
#include <linux/mutex.h>
#include <linux/xarray.h>

#include <drm/drm_device.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>

#include <uapi/drm/phyr_vgem_drm.h>

struct faux_device;
struct p2pdma_provider;
struct pci_dev;

/**
 * struct phyr_vgem_device - the phyr_vgem DRM device
 * @drm: the DRM device
 * @faux_dev: the faux device it hangs off (the system-memory-only device),
 *	or NULL for a device on an ivshmem PCI device
 * @vram: the device memory, or NULL
 * @bos_lock: protects @bos
 * @bos: our buffers (not imported ones), for debugfs
 */
struct phyr_vgem_device {
	struct drm_device drm;
	struct faux_device *faux_dev;
	struct phyr_vgem_vram *vram;
	struct mutex bos_lock;	/* protects @bos */
	struct list_head bos;
};

#define to_phyr_vgem_device(dev) container_of(dev, struct phyr_vgem_device, drm)

/* ivshmem-plain's shared-memory BAR, our device memory */
#define PHYR_VGEM_BAR	2

/**
 * struct phyr_vgem_vram - device memory: a PCI BAR without struct page
 * @pdev: the PCI device (QEMU's ivshmem-plain)
 * @base: the BAR's CPU physical address
 * @size: its size
 * @provider: its P2P provider, for importers that map it
 * @va: the BAR, mapped write-combined, to clear and copy
 * @lock: protects @mm
 * @mm: the allocator of the BAR's pages
 */
struct phyr_vgem_vram {
	struct pci_dev *pdev;
	phys_addr_t base;
	u64 size;
	struct p2pdma_provider *provider;
	void __iomem *va;
	struct mutex lock;	/* protects @mm */
	struct gpu_buddy mm;
};

/**
 * struct phyr_vgem_bo - a phyr_vgem buffer
 * @shmem: the GEM object, shmem-backed for system memory
 * @placement: PHYR_VGEM_PLACEMENT_SYSTEM or PHYR_VGEM_PLACEMENT_DEVICE
 * @contiguous: device memory in one range
 * @sys_pinned: the object holds a pin of its shmem pages
 * @pins: importers and GEM users that keep it in its placement
 * @blocks: its device memory, buddy blocks in object order
 * @dev_phyr: @blocks as MMIO ranges of the BAR's provider
 * @node: in &phyr_vgem_device.bos
 *
 * All fields but @node are protected by the object's reservation.
 */
struct phyr_vgem_bo {
	struct drm_gem_shmem_object shmem;
	u32 placement;
	bool contiguous;
	bool sys_pinned;
	unsigned int pins;
	struct list_head blocks;
	struct phyr *dev_phyr;
	struct list_head node;
};

#define to_phyr_vgem_bo(obj) \
	container_of(to_drm_gem_shmem_obj(obj), struct phyr_vgem_bo, shmem)

/**
 * struct phyr_vgem_private - what the private flavour hands the importer
 * @owner: the exporter's PCI device
 * @bar: the BAR the offsets are in
 * @nr_ranges: entries of @ranges
 * @ranges: offsets and lengths in the BAR, in buffer order
 */
struct phyr_vgem_private {
	struct pci_dev *owner;
	unsigned int bar;
	unsigned int nr_ranges;
	struct {
		u64 offset;
		u64 len;
	} ranges[] __counted_by(nr_ranges);
};

#if IS_ENABLED(CONFIG_KUNIT)
extern struct phyr_vgem_device *phyr_vgem_device;
#endif

/**
 * struct phyr_vgem_file - per-DRM-file state
 * @fences: fences created by FENCE_ATTACH, by id, until signaled; a
 *          signaled fence's id stays allocated (never reused in a file)
 */
struct phyr_vgem_file {
	struct xarray fences;
};

int phyr_vgem_fence_open(struct phyr_vgem_file *file);
int phyr_vgem_fence_attach_ioctl(struct drm_device *dev, void *data,
				 struct drm_file *file);
int phyr_vgem_fence_signal_ioctl(struct drm_device *dev, void *data,
				 struct drm_file *file);
void phyr_vgem_fence_close(struct phyr_vgem_file *file);

struct dma_buf;
struct device;
struct drm_gem_shmem_object;
struct phyr;
struct seq_file;

bool phyr_vgem_is_pci_device(struct device *dev);

struct drm_gem_object *phyr_vgem_gem_create_object(struct drm_device *dev,
						   size_t size);
struct phyr_vgem_bo *phyr_vgem_bo_create(struct drm_device *dev, u64 size,
					 u32 placement, u32 flags);
int phyr_vgem_bo_sys_get(struct phyr_vgem_bo *bo);
int phyr_vgem_bo_migrate(struct phyr_vgem_bo *bo, u32 placement);
int phyr_vgem_bo_pin_locked(struct phyr_vgem_bo *bo);
void phyr_vgem_bo_unpin_locked(struct phyr_vgem_bo *bo);
u32 phyr_vgem_bo_flavours(struct phyr_vgem_bo *bo);
void phyr_vgem_bo_track(struct phyr_vgem_bo *bo);
int phyr_vgem_debugfs_buffers(struct seq_file *m, void *data);
int phyr_vgem_info_ioctl(struct drm_device *dev, void *data,
			 struct drm_file *file);
int phyr_vgem_bo_create_ioctl(struct drm_device *dev, void *data,
			      struct drm_file *file);
int phyr_vgem_bo_query_ioctl(struct drm_device *dev, void *data,
			     struct drm_file *file);
int phyr_vgem_bo_migrate_ioctl(struct drm_device *dev, void *data,
			       struct drm_file *file);

struct dma_buf *phyr_vgem_prime_export(struct drm_gem_object *obj, int flags);
struct drm_gem_object *phyr_vgem_prime_import(struct drm_device *dev,
					      struct dma_buf *dmabuf);
int phyr_vgem_shmem_phyr(struct drm_gem_shmem_object *shmem, struct phyr *phyr);

#endif /* _PHYR_VGEM_DRV_H_ */
