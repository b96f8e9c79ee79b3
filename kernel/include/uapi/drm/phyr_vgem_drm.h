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
#define DRM_PHYR_VGEM_BO_MMAP_OFFSET	0x7
#define DRM_PHYR_VGEM_BO_RANGES		0x8
#define DRM_PHYR_VGEM_DMABUF_FLAVOURS	0x9

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
#define DRM_IOCTL_PHYR_VGEM_BO_MMAP_OFFSET \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_PHYR_VGEM_BO_MMAP_OFFSET, \
		 struct drm_phyr_vgem_bo_mmap_offset)
#define DRM_IOCTL_PHYR_VGEM_BO_RANGES \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_PHYR_VGEM_BO_RANGES, \
		 struct drm_phyr_vgem_bo_ranges)
#define DRM_IOCTL_PHYR_VGEM_DMABUF_FLAVOURS \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_PHYR_VGEM_DMABUF_FLAVOURS, \
		 struct drm_phyr_vgem_dmabuf_flavours)

/*
 * Versions: the driver reports 1.0 for the ioctls up to BO_MIGRATE and 1.1
 * (DRM_IOCTL_VERSION) for BO_MMAP_OFFSET, BO_RANGES, DMABUF_FLAVOURS and the
 * image fields that BO_CREATE and BO_QUERY grew; 1.2 gives the physical layout
 * (BO_RANGES, BO_QUERY's @nr_ranges) to privileged callers only and charges
 * device memory to the dmem cgroup controller.  Structures only ever grow at
 * their end: DRM zero-fills what an older caller does not pass and copies
 * back only what it passed, so a zero in a new field keeps the old meaning.
 */

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

/*
 * Image formats of BO_CREATE (DRM fourccs, drm_fourcc.h), by bytes per pixel:
 * 1: R8; 2: R16, RG88, GR88, RGB565, BGR565; 4: the X/A RGB/BGR/RGBX/BGRX
 * 8888 and 2101010 orders, GR1616; 8: XRGB/ARGB/XBGR/ABGR16161616 and
 * XRGB/ARGB/XBGR/ABGR16161616F.
 */
#define PHYR_VGEM_IMAGE_MAX_DIM	16384

/**
 * struct drm_phyr_vgem_bo_create - create a buffer in a placement
 *
 * The buffer can be mmapped through the offset of
 * DRM_IOCTL_PHYR_VGEM_BO_MMAP_OFFSET (on every node) or of
 * DRM_IOCTL_MODE_MAP_DUMB (primary nodes only); both placements are mapped
 * write-combined (the shmem pages, or the BAR).  It is exported with PRIME
 * like any other.
 *
 * With %PHYR_VGEM_BO_IMAGE the buffer also holds an image: @width, @height,
 * @format and @modifier describe it, the kernel keeps them with the buffer
 * (BO_QUERY returns them, also to other phyr_vgem devices that import it) and
 * checks that the buffer holds @height rows of @pitch bytes.  @pitch 0 asks
 * for the smallest multiple of 64 bytes that holds a row; @size 0 asks for
 * the rows rounded up to the page size.  Without %PHYR_VGEM_BO_IMAGE, @width,
 * @height, @format, @pitch and @modifier must be 0.
 *
 * Fails with -EINVAL for: a @size of 0 (without an image), not a multiple of
 * the page size, above the placement's capacity, or (with an image) smaller
 * than @height times @pitch; an unknown placement or flag; nonzero padding;
 * with %PHYR_VGEM_BO_IMAGE a @width or @height of 0 or above
 * %PHYR_VGEM_IMAGE_MAX_DIM, a @format that is not one of the single-plane
 * formats above, a @modifier other than DRM_FORMAT_MOD_LINEAR, or a @pitch
 * below @width times the bytes per pixel; -ENODEV for device memory on a device
 * without it; -ENOSPC when device memory is exhausted; -ENOMEM.
 */
struct drm_phyr_vgem_bo_create {
	/**
	 * @size: bytes, a nonzero multiple of the page size; with
	 * %PHYR_VGEM_BO_IMAGE, 0 for the image's size.  Returned: the size.
	 */
	__u64 size;
	/** @placement: an &enum drm_phyr_vgem_placement. */
	__u32 placement;
	/**
	 * @flags: %PHYR_VGEM_BO_CONTIGUOUS to ask for physically contiguous
	 * device memory (one range), %PHYR_VGEM_BO_IMAGE for a buffer with
	 * image metadata (since 1.1), or 0.
	 */
	__u32 flags;
#define PHYR_VGEM_BO_CONTIGUOUS	0x1
#define PHYR_VGEM_BO_IMAGE	0x2
	/** @handle: returned GEM handle. */
	__u32 handle;
	/** @pad: must be zero. */
	__u32 pad;
	/** @width: with %PHYR_VGEM_BO_IMAGE, pixels per row (since 1.1). */
	__u32 width;
	/** @height: with %PHYR_VGEM_BO_IMAGE, rows (since 1.1). */
	__u32 height;
	/** @format: with %PHYR_VGEM_BO_IMAGE, a DRM fourcc (since 1.1). */
	__u32 format;
	/**
	 * @pitch: with %PHYR_VGEM_BO_IMAGE, bytes from one row to the next, or
	 * 0 to let the kernel choose.  Returned: the pitch (since 1.1).
	 */
	__u32 pitch;
	/**
	 * @modifier: with %PHYR_VGEM_BO_IMAGE, DRM_FORMAT_MOD_LINEAR (0), the
	 * only layout phyr_vgem has (since 1.1).
	 */
	__u64 modifier;
};

/**
 * struct drm_phyr_vgem_bo_query - what a buffer is now
 *
 * Fails with -ENOENT for an unknown handle and, since 1.1, -EINVAL for
 * nonzero @flags or @pad.
 */
struct drm_phyr_vgem_bo_query {
	/** @handle: GEM handle of the buffer. */
	__u32 handle;
	/**
	 * @placement: returned &enum drm_phyr_vgem_placement; for a buffer
	 * imported from another phyr_vgem device its exporter's (since 1.1),
	 * for other imports %PHYR_VGEM_PLACEMENT_SYSTEM.
	 */
	__u32 placement;
	/** @size: returned size in bytes. */
	__u64 size;
	/**
	 * @nr_ranges: returned number of physically contiguous ranges the
	 * buffer is made of now (0 for system memory not yet populated).
	 * The physical layout is for the privileged only: 0 when the DRM
	 * file was opened without CAP_SYS_ADMIN (since 1.2), see
	 * &drm_phyr_vgem_bo_ranges.
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
	/**
	 * @width: returned image width, see &drm_phyr_vgem_bo_create (since
	 * 1.1); also for a buffer imported from another phyr_vgem device.
	 */
	__u32 width;
	/** @height: returned image height (since 1.1). */
	__u32 height;
	/**
	 * @format: returned DRM fourcc of the image, 0 for a buffer without
	 * image metadata (then @width, @height and @pitch are 0 too) (since 1.1).
	 */
	__u32 format;
	/** @pitch: returned bytes per row of the image (since 1.1). */
	__u32 pitch;
	/**
	 * @modifier: returned DRM_FORMAT_MOD_LINEAR for an image,
	 * DRM_FORMAT_MOD_INVALID without one (since 1.1).
	 */
	__u64 modifier;
	/** @flags: must be zero (since 1.1). */
	__u32 flags;
	/** @pad: must be zero (since 1.1). */
	__u32 pad;
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
 * struct drm_phyr_vgem_bo_mmap_offset - where to mmap a buffer (since 1.1)
 *
 * The fake offset to pass to mmap() on this DRM file, like
 * DRM_IOCTL_MODE_MAP_DUMB but allowed on render nodes (v3d's and panfrost's
 * MMAP_BO).  DRM maps a GEM object from its start (the mapping may be
 * shorter than the buffer); a window that starts further in is mapped
 * through the buffer's dma-buf at that offset, and so is a buffer imported
 * from another device, as everywhere in DRM.  Fails with
 * -EINVAL for nonzero @flags or an imported buffer, -ENOENT for an unknown
 * handle, -ENOMEM.
 */
struct drm_phyr_vgem_bo_mmap_offset {
	/** @handle: GEM handle of the buffer. */
	__u32 handle;
	/** @flags: must be zero. */
	__u32 flags;
	/** @offset: returned offset for mmap(). */
	__u64 offset;
};

/*
 * &drm_phyr_vgem_range.type: CPU RAM, or MMIO (device memory, a PCI BAR
 * without struct page).
 */
#define PHYR_VGEM_RANGE_RAM	0
#define PHYR_VGEM_RANGE_MMIO	1

/**
 * struct drm_phyr_vgem_range - one physically contiguous range of a buffer
 */
struct drm_phyr_vgem_range {
	/** @offset: where the range starts in the buffer, in bytes. */
	__u64 offset;
	/** @length: bytes. */
	__u64 length;
	/**
	 * @addr: its CPU physical address (%PHYR_VGEM_RANGES_ADDR set, as it
	 * always is since 1.2: only privileged callers get ranges at all).
	 */
	__u64 addr;
	/** @type: %PHYR_VGEM_RANGE_RAM or %PHYR_VGEM_RANGE_MMIO. */
	__u32 type;
	/** @pad: returned 0. */
	__u32 pad;
};

/**
 * struct drm_phyr_vgem_bo_ranges - the physical ranges of a buffer now
 *	(since 1.1)
 *
 * Copies the first @count ranges of the buffer, in buffer order, to
 * @ranges_ptr and returns how many it has: call with @count 0 to learn the
 * number, then with an array that large.  The ranges are those of one
 * moment: a migration, or system memory being populated by a first mmap
 * fault or importer, changes them.  System memory not yet populated has no
 * ranges.
 *
 * The physical layout of a buffer -- where its ranges are, and with their
 * number and lengths which of its pages are physically adjacent -- is what
 * /proc/PID/pagemap hides from unprivileged users (Rowhammer needs it), so
 * since 1.2 only callers whose DRM file was opened with CAP_SYS_ADMIN (in
 * the initial user namespace; the opener's credentials count, as for
 * pagemap, not the caller's) get it; others get -EPERM.
 *
 * Fails with -EINVAL for nonzero @flags or @pad, or an imported buffer (its
 * exporter has the ranges); -EPERM without CAP_SYS_ADMIN; -ENOENT for an
 * unknown handle; -EFAULT for a bad @ranges_ptr; -ENOMEM; -EINTR when
 * interrupted.
 */
struct drm_phyr_vgem_bo_ranges {
	/** @handle: GEM handle of the buffer. */
	__u32 handle;
	/** @flags: must be zero. */
	__u32 flags;
	/**
	 * @ranges_ptr: user pointer to an array of @count
	 * &struct drm_phyr_vgem_range; may be 0 when @count is 0.
	 */
	__u64 ranges_ptr;
	/**
	 * @count: entries of the array; returned: the ranges the buffer has
	 * (which may be more than were copied).
	 */
	__u32 count;
	/** @placement: returned placement the ranges are in. */
	__u32 placement;
	/**
	 * @out_flags: returned %PHYR_VGEM_RANGES_ADDR if the ranges' @addr are
	 * filled in.
	 */
	__u32 out_flags;
#define PHYR_VGEM_RANGES_ADDR	0x1
	/** @pad: must be zero. */
	__u32 pad;
};

/*
 * &drm_phyr_vgem_offer.flags: the memory of an offer, or of a match.
 */
/* the ranges may be MMIO of the provider named in the offer */
#define PHYR_VGEM_OFFER_MMIO		0x1
/* all ranges are CPU RAM */
#define PHYR_VGEM_OFFER_CPU		0x2
/*
 * served by the dma-buf core from the exporter's phyr: an sg_table (the
 * bridge), or CPU access to CPU RAM
 */
#define PHYR_VGEM_OFFER_BRIDGE		0x4
/* provider_domain and provider_bdf name the PCI device of the MMIO */
#define PHYR_VGEM_OFFER_PROVIDER_PCI	0x8

/**
 * struct drm_phyr_vgem_offer - one flavour of a dma-buf
 */
struct drm_phyr_vgem_offer {
	/** @flavour: one %PHYR_VGEM_FLAVOUR_* bit, or 0 for none. */
	__u32 flavour;
	/** @flags: %PHYR_VGEM_OFFER_* bits. */
	__u32 flags;
	/**
	 * @provider_domain: with %PHYR_VGEM_OFFER_PROVIDER_PCI, the PCI
	 * domain of the device whose MMIO the ranges are.
	 */
	__u32 provider_domain;
	/**
	 * @provider_bdf: with %PHYR_VGEM_OFFER_PROVIDER_PCI, its bus number
	 * in bits 15:8, device in 7:3 and function in 2:0.
	 */
	__u32 provider_bdf;
};

/* entries of &drm_phyr_vgem_dmabuf_flavours.offers */
#define PHYR_VGEM_MAX_OFFERS	8

/*
 * &drm_phyr_vgem_dmabuf_flavours.status bits.
 */
/* the exporter revoked the buffer: no offers, no import */
#define PHYR_VGEM_DMABUF_REVOKED	0x1
/* a buffer of this device: an import gives back the buffer itself */
#define PHYR_VGEM_DMABUF_OWN		0x2
/* the exporter does not negotiate flavours: a legacy sg_table, no promise */
#define PHYR_VGEM_DMABUF_LEGACY		0x4
/* there were more offers than @offers holds */
#define PHYR_VGEM_DMABUF_TRUNCATED	0x8

/**
 * struct drm_phyr_vgem_dmabuf_flavours - what a dma-buf offers, and what
 *	this device would take (since 1.1)
 *
 * For any dma-buf, not only phyr_vgem's: the flavours its exporter offers
 * now, most preferred first, as the fdinfo "flavours:" line lists them (an
 * sg_table the core's bridge serves, and CPU access the core serves from
 * CPU RAM, are offers with %PHYR_VGEM_OFFER_BRIDGE), and the flavour an
 * import into this device (DRM_IOCTL_PRIME_FD_TO_HANDLE) would negotiate
 * now, found by attaching and detaching at once; nothing is imported.  The answer is that of one
 * moment: a migration changes the offers.
 *
 * Fails with -EINVAL for nonzero @flags or @pad, or an @fd that is not a
 * dma-buf; -EBADF for a bad @fd; -ENOMEM; -EINTR when interrupted.  That
 * the import would fail is not an error of this ioctl: @import_error says
 * why (-EOPNOTSUPP: no flavour matches).
 */
struct drm_phyr_vgem_dmabuf_flavours {
	/** @fd: the dma-buf. */
	__s32 fd;
	/** @flags: must be zero. */
	__u32 flags;
	/** @status: returned %PHYR_VGEM_DMABUF_* bits. */
	__u32 status;
	/** @nr_offers: returned number of entries in @offers. */
	__u32 nr_offers;
	/** @offers: returned offers, most preferred first. */
	struct drm_phyr_vgem_offer offers[PHYR_VGEM_MAX_OFFERS];
	/**
	 * @import: returned flavour this device would negotiate (flavour 0
	 * for a buffer of this device, or if the import would fail), with
	 * %PHYR_VGEM_OFFER_MMIO and its provider for a match on MMIO ranges,
	 * %PHYR_VGEM_OFFER_BRIDGE for an sg_table served by the bridge.
	 */
	struct drm_phyr_vgem_offer import;
	/**
	 * @import_error: returned 0 if the import would succeed, else its
	 * negative errno (-EOPNOTSUPP: no flavour matches; -ENODEV: revoked).
	 */
	__s32 import_error;
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
