/* SPDX-License-Identifier: MIT */
/*
 * phyr_vgem: vgem's uAPI, kept at the same ioctl numbers, under the phyr_vgem name.
 *
 * Copyright 2016 Intel Corporation (vgem_drm.h, from which this is derived)
 * Copyright 2026 The phyr developers
 */

#ifndef _UAPI_PHYR_VGEM_DRM_H_
#define _UAPI_PHYR_VGEM_DRM_H_

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

/*
 * Modifications to all structs defined here are subject to
 * backwards-compatibility constraints.
 */
#define DRM_PHYR_VGEM_FENCE_ATTACH	0x1
#define DRM_PHYR_VGEM_FENCE_SIGNAL	0x2
#define DRM_PHYR_VGEM_INFO		0x3
#define DRM_PHYR_VGEM_BO_CREATE		0x4
#define DRM_PHYR_VGEM_BO_QUERY		0x5
#define DRM_PHYR_VGEM_BO_MIGRATE	0x6

#define DRM_IOCTL_PHYR_VGEM_FENCE_ATTACH \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_PHYR_VGEM_FENCE_ATTACH, \
		 struct drm_phyr_vgem_fence_attach)
#define DRM_IOCTL_PHYR_VGEM_FENCE_SIGNAL \
	DRM_IOW(DRM_COMMAND_BASE + DRM_PHYR_VGEM_FENCE_SIGNAL, \
		struct drm_phyr_vgem_fence_signal)
#define DRM_IOCTL_PHYR_VGEM_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_PHYR_VGEM_INFO, \
		 struct drm_phyr_vgem_info)
#define DRM_IOCTL_PHYR_VGEM_BO_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_PHYR_VGEM_BO_CREATE, \
		 struct drm_phyr_vgem_bo_create)
#define DRM_IOCTL_PHYR_VGEM_BO_QUERY \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_PHYR_VGEM_BO_QUERY, \
		 struct drm_phyr_vgem_bo_query)
#define DRM_IOCTL_PHYR_VGEM_BO_MIGRATE \
	DRM_IOW(DRM_COMMAND_BASE + DRM_PHYR_VGEM_BO_MIGRATE, \
		struct drm_phyr_vgem_bo_migrate)

/**
 * enum drm_phyr_vgem_placement - where a buffer's memory lives
 * @PHYR_VGEM_PLACEMENT_SYSTEM: system RAM (shmem), as in vgem
 * @PHYR_VGEM_PLACEMENT_DEVICE: device memory: a PCI BAR of the device (QEMU's
 *	ivshmem-plain), without struct page; only on devices whose
 *	&drm_phyr_vgem_info.device_size is nonzero
 */
enum drm_phyr_vgem_placement {
	PHYR_VGEM_PLACEMENT_SYSTEM = 0,
	PHYR_VGEM_PLACEMENT_DEVICE = 1,
};

/*
 * Bits of &drm_phyr_vgem_bo_query.flavours: what the buffer's dma-buf offers
 * importers now (see the kernel's dma-buf flavours).
 */
#define PHYR_VGEM_FLAVOUR_SG_TABLE	0x1
#define PHYR_VGEM_FLAVOUR_PHYR		0x2
#define PHYR_VGEM_FLAVOUR_PRIVATE	0x4
/* CPU access for software importers (soft-RoCE): the core's copy helpers */
#define PHYR_VGEM_FLAVOUR_CPU_ACCESS	0x8

/**
 * struct drm_phyr_vgem_info - what the device has
 *
 * Fails with -EINVAL for nonzero padding.
 */
struct drm_phyr_vgem_info {
	/** @device_size: bytes of device memory, 0 without a device BAR. */
	__u64 device_size;
	/** @device_free: bytes of device memory not allocated. */
	__u64 device_free;
	/** @pad: must be zero. */
	__u64 pad;
};

/**
 * struct drm_phyr_vgem_bo_create - create a buffer in a placement
 *
 * The buffer can be mmapped through DRM_IOCTL_MODE_MAP_DUMB's offset (both
 * placements write-combined: the shmem pages, or the BAR) and exported with
 * PRIME like any other.  Fails with -EINVAL for a size of 0,
 * not a multiple of the page size, or above the placement's capacity, an
 * unknown placement or flag and nonzero padding; -ENODEV for device memory on
 * a device without it; -ENOSPC when device memory is exhausted; -ENOMEM.
 */
struct drm_phyr_vgem_bo_create {
	/** @size: bytes, a nonzero multiple of the page size. */
	__u64 size;
	/** @placement: an &enum drm_phyr_vgem_placement. */
	__u32 placement;
	/**
	 * @flags: %PHYR_VGEM_BO_CONTIGUOUS to ask for physically contiguous
	 * device memory (one range), or 0.
	 */
	__u32 flags;
#define PHYR_VGEM_BO_CONTIGUOUS	0x1
	/** @handle: returned GEM handle. */
	__u32 handle;
	/** @pad: must be zero. */
	__u32 pad;
};

/**
 * struct drm_phyr_vgem_bo_query - what a buffer is now
 *
 * Fails with -ENOENT for an unknown handle.
 */
struct drm_phyr_vgem_bo_query {
	/** @handle: GEM handle of the buffer. */
	__u32 handle;
	/** @placement: returned &enum drm_phyr_vgem_placement. */
	__u32 placement;
	/** @size: returned size in bytes. */
	__u64 size;
	/**
	 * @nr_ranges: returned number of physically contiguous ranges the
	 * buffer is made of now (0 for system memory not yet populated).
	 */
	__u64 nr_ranges;
	/**
	 * @flavours: returned %PHYR_VGEM_FLAVOUR_* bits the buffer's dma-buf
	 * offers importers now; for a buffer imported from another device, 0.
	 */
	__u32 flavours;
	/**
	 * @import_flavour: for a buffer imported from another device's dma-buf,
	 * the one %PHYR_VGEM_FLAVOUR_* bit this device negotiated with the
	 * exporter, or 0 once the exporter revoked the buffer (its device was
	 * unplugged); 0 for our own buffers.
	 */
	__u32 import_flavour;
};

/**
 * struct drm_phyr_vgem_bo_migrate - move a buffer to another placement
 *
 * Tells every importer to drop its mappings (dma_buf_invalidate_mappings())
 * and zaps CPU mappings, which fault in the new placement; waits for the
 * buffer's fences (up to 15 s: a fence attached with FENCE_ATTACH expires
 * after 10 s); then copies the contents.  Memory that importers still map
 * stays allocated until they unmap it.  Migrating to the current placement
 * does nothing.  Fails with -EINVAL for an unknown placement, nonzero flags
 * or padding, or an imported buffer; -ENOENT for an unknown handle; -ENODEV
 * for device memory on a device without it, or once the device is unplugged;
 * -ENOSPC when device memory is exhausted; -EBUSY while the buffer is pinned
 * (an importer that cannot be told to unmap, a static attachment, maps it,
 * or the kernel has it mapped); -ETIMEDOUT when its fences did not signal in
 * time; -EINTR when interrupted.  Nothing moved on failure.
 */
struct drm_phyr_vgem_bo_migrate {
	/** @handle: GEM handle of the buffer. */
	__u32 handle;
	/** @placement: the new &enum drm_phyr_vgem_placement. */
	__u32 placement;
	/** @flags: must be zero. */
	__u32 flags;
	/** @pad: must be zero. */
	__u32 pad;
};

/**
 * struct drm_phyr_vgem_fence_attach - attach a fence to a GEM object
 *
 * Creates an unsignaled fence and adds it to the object's reservation object,
 * as a write (exclusive) fence if %PHYR_VGEM_FENCE_WRITE is set, else as a
 * read fence.  The fence signals on DRM_IOCTL_PHYR_VGEM_FENCE_SIGNAL, or by
 * itself after 10 seconds (then with -ETIMEDOUT).  Fails with -EBUSY if a
 * conflicting fence is still pending, -ENOENT for an unknown handle and
 * -EINVAL for unknown flags or nonzero padding.
 */
struct drm_phyr_vgem_fence_attach {
	/** @handle: GEM handle of the object to fence. */
	__u32 handle;
	/** @flags: %PHYR_VGEM_FENCE_WRITE or 0. */
	__u32 flags;
#define PHYR_VGEM_FENCE_WRITE	0x1
	/** @out_fence: returned id of the fence, for FENCE_SIGNAL. */
	__u32 out_fence;
	/** @pad: must be zero. */
	__u32 pad;
};

/**
 * struct drm_phyr_vgem_fence_signal - signal a fence made by FENCE_ATTACH
 *
 * Fails with -ENOENT for an unknown or already signaled fence id, -ETIMEDOUT
 * if the fence timed out before, and -EINVAL for nonzero flags.
 */
struct drm_phyr_vgem_fence_signal {
	/** @fence: the id returned in &drm_phyr_vgem_fence_attach.out_fence. */
	__u32 fence;
	/** @flags: must be zero. */
	__u32 flags;
};

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_PHYR_VGEM_DRM_H_ */
