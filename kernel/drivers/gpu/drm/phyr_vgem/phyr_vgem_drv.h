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
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/phyr.h>
#include <linux/xarray.h>

#include <drm/drm_device.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>

#include <uapi/drm/phyr_vgem_drm.h>

struct dma_buf;
struct dma_buf_attachment;
struct dmem_cgroup_pool_state;
struct dmem_cgroup_region;
struct faux_device;
struct p2pdma_provider;
struct pci_dev;
struct seq_file;

/**
 * struct phyr_vgem_device - the phyr_vgem DRM device
 * @drm: the DRM device
 * @faux_dev: the faux device it hangs off (the system-memory-only device),
 *	or NULL for a device on an ivshmem PCI device
 * @vram: the device memory, or NULL
 * @bos_lock: protects @bos
 * @bos: our buffers (not imported ones), for debugfs and unplug
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

/*
 * How long a migration waits for the fences of a buffer (longer than a
 * phyr_vgem fence lives, 10 s), and how long unplug waits for the importers
 * of each buffer to let go of it.
 */
#define PHYR_VGEM_MOVE_TIMEOUT		(15 * HZ)
#define PHYR_VGEM_REVOKE_TIMEOUT	(10 * HZ)

/**
 * struct phyr_vgem_vram - device memory: a PCI BAR without struct page
 * @pdev: the PCI device (QEMU's ivshmem-plain)
 * @base: the BAR's CPU physical address
 * @size: its size
 * @provider: its P2P provider, for importers that map it; gone with the
 *	PCI device (devres), so used only inside drm_dev_enter()
 * @va: the BAR, mapped write-combined, to clear and copy; the same
 * @lock: protects @mm
 * @mm: the allocator of the BAR's pages; lives as long as the DRM device
 * @cg: the BAR as a region of the dmem cgroup controller ("drm/BDF/vram"),
 *	or NULL without it; lives as long as the DRM device
 */
struct phyr_vgem_vram {
	struct pci_dev *pdev;
	phys_addr_t base;
	u64 size;
	struct p2pdma_provider *provider;
	void __iomem *va;
	struct mutex lock;	/* protects @mm */
	struct gpu_buddy mm;
	struct dmem_cgroup_region *cg;
};

/**
 * struct phyr_vgem_vmem - a buffer's device memory, for as long as anyone
 *	may reach it
 * @ref: one for the buffer while it is the buffer's placement, one per
 *	importer mapping of it: a buffer that moved away keeps its old device
 *	memory allocated until the last importer unmapped it
 * @vdev: the device whose memory it is
 * @blocks: its buddy blocks, in buffer order
 * @phyr: @blocks as MMIO ranges of the BAR's provider, in buffer order,
 *	exactly @size bytes
 * @size: bytes of the buffer, charged to @pool
 * @pool: the dmem cgroup pool charged for it, or NULL
 */
struct phyr_vgem_vmem {
	struct kref ref;
	struct phyr_vgem_device *vdev;
	struct list_head blocks;
	struct phyr phyr;
	u64 size;
	struct dmem_cgroup_pool_state *pool;
};

/**
 * struct phyr_vgem_image - what a buffer holds, for graphics clients
 * @width: pixels per row
 * @height: rows
 * @format: DRM fourcc, 0 for a buffer without image metadata
 * @pitch: bytes from one row to the next
 * @modifier: DRM_FORMAT_MOD_LINEAR
 */
struct phyr_vgem_image {
	u32 width;
	u32 height;
	u32 format;
	u32 pitch;
	u64 modifier;
};

/**
 * struct phyr_vgem_bo - a phyr_vgem buffer
 * @shmem: the GEM object, shmem-backed for system memory
 * @placement: PHYR_VGEM_PLACEMENT_SYSTEM or PHYR_VGEM_PLACEMENT_DEVICE
 * @contiguous: device memory in one range
 * @sys_pinned: the object holds a pin of its shmem pages
 * @sys_populated: its shmem pages were populated (by anyone, importers
 *	included), so system memory holds its contents
 * @moving: a migration is under way (maps made from importers' invalidate
 *	callbacks then fail with -EAGAIN)
 * @pins: static importers, kernel vmaps and GEM pins: they keep the buffer
 *	in its placement, migration fails with -EBUSY
 * @vmem: its device memory, in PHYR_VGEM_PLACEMENT_DEVICE
 * @dmabuf_lock: protects @dmabuf
 * @dmabuf: its dma-buf while one lives (no reference: cleared by the
 *	dma-buf's release), whether or not a GEM handle still holds it as
 *	&drm_gem_object.dma_buf; phyr_vgem_bo_dmabuf_get() takes a reference
 * @node: in &phyr_vgem_device.bos
 * @image: its image metadata (BO_CREATE with %PHYR_VGEM_BO_IMAGE), set
 *	before the buffer has a handle or a dma-buf and never changed
 *
 * All fields but @dmabuf, @node and @image are protected by the object's
 * reservation.
 */
struct phyr_vgem_bo {
	struct drm_gem_shmem_object shmem;
	u32 placement;
	bool contiguous;
	bool sys_pinned;
	bool sys_populated;
	bool moving;
	unsigned int pins;
	struct phyr_vgem_vmem *vmem;
	spinlock_t dmabuf_lock;	/* protects @dmabuf */
	struct dma_buf *dmabuf;
	struct list_head node;
	struct phyr_vgem_image image;
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
/* private: the device memory these offsets are in, until the unmap */
	struct phyr_vgem_vmem *vmem;
/* public: */
	unsigned int nr_ranges;
	struct {
		u64 offset;
		u64 len;
	} ranges[] __counted_by(nr_ranges);
};

/**
 * struct phyr_vgem_file - per-DRM-file state
 * @fences: fences created by FENCE_ATTACH, by id, until signaled; a
 *          signaled fence's id stays allocated (never reused in a file)
 */
struct phyr_vgem_file {
	struct xarray fences;
};

/* phyr_vgem_fence.c */
int phyr_vgem_fence_open(struct phyr_vgem_file *file);
int phyr_vgem_fence_attach_ioctl(struct drm_device *dev, void *data,
				 struct drm_file *file);
int phyr_vgem_fence_signal_ioctl(struct drm_device *dev, void *data,
				 struct drm_file *file);
void phyr_vgem_fence_close(struct phyr_vgem_file *file);

/* phyr_vgem_drv.c */
int phyr_vgem_device_init(struct phyr_vgem_device *vdev);
extern const struct drm_driver phyr_vgem_driver;

/* phyr_vgem_pci.c */
extern struct pci_driver phyr_vgem_pci_driver;
bool phyr_vgem_is_pci_device(struct device *dev);

/* phyr_vgem_vram.c */
struct phyr_vgem_vmem *phyr_vgem_vmem_alloc(struct phyr_vgem_device *vdev,
					    u64 size, bool contiguous,
					    bool zero);
struct phyr_vgem_vmem *phyr_vgem_vmem_get(struct phyr_vgem_vmem *vmem);
void phyr_vgem_vmem_put(struct phyr_vgem_vmem *vmem);
void phyr_vgem_vmem_copy(struct phyr_vgem_vmem *vmem, struct page **pages,
			 bool to_device);

/* phyr_vgem_bo.c */
struct drm_gem_object *phyr_vgem_gem_create_object(struct drm_device *dev,
						   size_t size);
struct phyr_vgem_bo *phyr_vgem_bo_create(struct drm_device *dev, u64 size,
					 u32 placement, u32 flags);
int phyr_vgem_bo_sys_get(struct phyr_vgem_bo *bo);
void phyr_vgem_bo_sys_put(struct phyr_vgem_bo *bo);
int phyr_vgem_bo_pin_pages(struct phyr_vgem_bo *bo);
int phyr_vgem_bo_pin_locked(struct phyr_vgem_bo *bo);
void phyr_vgem_bo_unpin_locked(struct phyr_vgem_bo *bo);
u64 phyr_vgem_bo_nr_ranges(struct phyr_vgem_bo *bo);
extern const struct vm_operations_struct phyr_vgem_bo_vm_ops;

/* phyr_vgem_move.c */
int phyr_vgem_bo_migrate(struct phyr_vgem_bo *bo, u32 placement);
int phyr_vgem_bo_validate(struct phyr_vgem_bo *bo, u32 placements);

/* phyr_vgem_mmap.c */
int phyr_vgem_bo_mmap(struct drm_gem_object *obj, struct vm_area_struct *vma);

/* phyr_vgem_ioctl.c */
int phyr_vgem_info_ioctl(struct drm_device *dev, void *data,
			 struct drm_file *file);
int phyr_vgem_bo_create_ioctl(struct drm_device *dev, void *data,
			      struct drm_file *file);
int phyr_vgem_bo_query_ioctl(struct drm_device *dev, void *data,
			     struct drm_file *file);
int phyr_vgem_bo_migrate_ioctl(struct drm_device *dev, void *data,
			       struct drm_file *file);
int phyr_vgem_bo_mmap_offset_ioctl(struct drm_device *dev, void *data,
				   struct drm_file *file);
int phyr_vgem_bo_ranges_ioctl(struct drm_device *dev, void *data,
			      struct drm_file *file);
int phyr_vgem_dmabuf_flavours_ioctl(struct drm_device *dev, void *data,
				    struct drm_file *file);

/* phyr_vgem_image.c */
int phyr_vgem_image_init(struct phyr_vgem_image *img, u64 *size);

/* phyr_vgem_debugfs.c */
int phyr_vgem_debugfs_buffers(struct seq_file *m, void *data);

/* phyr_vgem_prime.c */
struct dma_buf *phyr_vgem_prime_export(struct drm_gem_object *obj, int flags);
struct drm_gem_object *phyr_vgem_prime_import(struct drm_device *dev,
					      struct dma_buf *dmabuf);
int phyr_vgem_shmem_phyr(struct drm_gem_shmem_object *shmem, struct phyr *phyr);
u32 phyr_vgem_bo_flavours(struct phyr_vgem_bo *bo);
struct phyr_vgem_bo *phyr_vgem_dmabuf_bo(struct dma_buf *dmabuf);
struct dma_buf_attachment *phyr_vgem_import_attach(struct drm_device *dev,
						   struct dma_buf *dmabuf);
struct dma_buf *phyr_vgem_bo_dmabuf_get(struct phyr_vgem_bo *bo);
void phyr_vgem_revoke_all(struct phyr_vgem_device *vdev);

#endif /* _PHYR_VGEM_DRV_H_ */
