/* SPDX-License-Identifier: MIT */
/*
 * libphyrbuf: buffers of the phyr_vgem DRM driver from userspace.
 *
 * A small C library over the phyr_vgem uAPI: find and open a phyr_vgem device
 * (by index, path or a file descriptor the caller already has), create
 * buffers in system or device memory, with image metadata for graphics,
 * query them, map them (whole or in part, read-only or read-write), bracket
 * CPU access, move them between placements, share them as dma-bufs, ask what
 * a dma-buf offers and what a device would negotiate, pass fences as
 * sync_files, and use phyr_vgem's own fences.  docs/libphyrbuf.md is the
 * guide; this header is the reference.
 *
 * Conventions:
 * - Every function that can fail returns 0 (or a count) on success and a
 *   negative errno value on failure; errno itself is never the interface.
 *   Calls interrupted by a signal are restarted (as drmIoctl() does).
 *   Pointer arguments a call needs may not be NULL (-EINVAL).
 * - Objects (&struct phyrbuf_dev, &struct phyrbuf_bo) are opaque and
 *   reference counted.  A buffer holds a reference on its device: the DRM
 *   file is closed when the device and all of its buffers are closed.
 * - Structures the library fills in (&struct phyrbuf_dev_info, &struct
 *   phyrbuf_bo_info, &struct phyrbuf_dmabuf_info) and &struct phyrbuf_image,
 *   which it reads, only grow at their end.  The calls that take them are
 *   inline wrappers that pass sizeof() of the caller's structure to the
 *   library (the *_sized() symbols): a program built against an older header
 *   keeps working with a newer library, which fills in only what the caller
 *   knows; a newer caller's fields that an older library does not know are
 *   zeroed on output and must be zero on input (-E2BIG otherwise).
 *
 * Threads: every call may be made from any thread, concurrently with any
 * other call, on the same device and the same buffers: the library's table
 * of GEM handles and its reference counts are locked, and closing the last
 * reference of a buffer is serialized with imports on its device (the kernel
 * hands one DRM file the same GEM handle for one object, so an import racing
 * with the close of that handle would otherwise get a handle that is closed
 * under it).  What is not allowed, as with free(): using a reference after
 * closing it, and closing one reference twice.  Two &struct phyrbuf_dev on
 * one DRM file description (phyrbuf_open_fd() of duplicated descriptors) are
 * the same object, so that their handles stay consistent; a program that
 * also makes or closes GEM handles on that file behind the library (another
 * library on the same fd) must not close handles the library holds.
 *
 * Copyright 2026 The phyr developers
 */
#ifndef PHYRBUF_H
#define PHYRBUF_H

#include <stddef.h>
#include <stdint.h>

#include "phyrbuf-version.h"

#ifdef __cplusplus
extern "C" {
#endif

/** struct phyrbuf_dev - an open phyr_vgem device (opaque). */
struct phyrbuf_dev;

/** struct phyrbuf_bo - a buffer (GEM object) on a phyr_vgem device (opaque). */
struct phyrbuf_bo;

/**
 * enum phyrbuf_placement - where a buffer's memory lives
 * @PHYRBUF_PLACEMENT_SYSTEM: system RAM (shmem pages), on every phyr_vgem device
 * @PHYRBUF_PLACEMENT_DEVICE: device memory (the PCI BAR of an ivshmem device),
 *	only on devices whose &phyrbuf_dev_info.device_size is nonzero
 *
 * The values are those of the kernel's enum drm_phyr_vgem_placement.
 */
enum phyrbuf_placement {
	PHYRBUF_PLACEMENT_SYSTEM = 0,
	PHYRBUF_PLACEMENT_DEVICE = 1,
};

/*
 * Flags of phyrbuf_bo_create() and phyrbuf_bo_create_image().
 * PHYRBUF_BO_CONTIGUOUS: physically contiguous device memory (one range).
 */
#define PHYRBUF_BO_CONTIGUOUS		(1u << 0)

/*
 * dma-buf flavour bits (&phyrbuf_bo_info.flavours and .import_flavour,
 * &phyrbuf_offer.flavour), the kernel's PHYR_VGEM_FLAVOUR_*: what a buffer's
 * dma-buf hands an importer.
 */
#define PHYRBUF_FLAVOUR_SG_TABLE	(1u << 0)	/* a scatterlist */
#define PHYRBUF_FLAVOUR_PHYR		(1u << 1)	/* physical ranges */
#define PHYRBUF_FLAVOUR_PRIVATE		(1u << 2)	/* interconnect-private */
#define PHYRBUF_FLAVOUR_CPU_ACCESS	(1u << 3)	/* copies by the kernel's CPU */

/*
 * Flags of phyrbuf_open(), phyrbuf_open_path() and phyrbuf_open_fd().
 * PHYRBUF_OPEN_DEVICE_MEMORY: the device must have device memory.
 * PHYRBUF_OPEN_PRIMARY: phyrbuf_open() opens the device's primary node
 *	(/dev/dri/cardN) rather than its render node; for programs that need
 *	it, such as Mesa's kms_swrast.  Opening a primary node can make the
 *	caller DRM master of the device for as long as it is open.
 */
#define PHYRBUF_OPEN_DEVICE_MEMORY	(1u << 0)
#define PHYRBUF_OPEN_PRIMARY		(1u << 1)

/* Index argument of phyrbuf_open(): the first device that fits the flags. */
#define PHYRBUF_ANY			(-1)

/* Flags of phyrbuf_bo_fence_attach(): a write (exclusive) fence, else read. */
#define PHYRBUF_FENCE_WRITE		(1u << 0)

/*
 * Access of phyrbuf_bo_map() (PHYRBUF_MAP_*), of the CPU access brackets and
 * of the sync_file calls (PHYRBUF_ACCESS_*): reading, writing, or both.
 */
#define PHYRBUF_MAP_READ		(1u << 0)
#define PHYRBUF_MAP_WRITE		(1u << 1)
#define PHYRBUF_ACCESS_READ		(1u << 0)
#define PHYRBUF_ACCESS_WRITE		(1u << 1)

/* The one layout phyr_vgem has: DRM_FORMAT_MOD_LINEAR. */
#define PHYRBUF_MODIFIER_LINEAR		0ull
/* DRM_FORMAT_MOD_INVALID: &phyrbuf_bo_info.modifier of a buffer without image */
#define PHYRBUF_MODIFIER_INVALID	0x00ffffffffffffffull

/** Longest node path or bus location kept in &struct phyrbuf_dev_info. */
#define PHYRBUF_PATH_MAX		64

/*
 * &phyrbuf_dev_info.node_type: which node of the device a handle uses.
 */
#define PHYRBUF_NODE_PRIMARY		0
#define PHYRBUF_NODE_RENDER		2

/**
 * struct phyrbuf_dev_info - what a phyr_vgem device is and has
 * @index: its position among the phyr_vgem devices (see phyrbuf_open()), -1
 *	if it is not among them (a device opened by fd or path that sysfs does
 *	not show)
 * @node: the DRM node this handle uses, e.g. "/dev/dri/renderD129"; for
 *	phyrbuf_device_describe(), the primary node
 * @render_node: the device's render node, "" if it has none
 * @bus: the bus the device sits on, e.g. "pci" or "faux"
 * @location: the device on that bus, e.g. "0000:00:04.0" or "phyr_vgem"
 * @device_size: bytes of device memory, 0 for a device with system memory
 *	only (and from phyrbuf_device_describe(), which opens nothing)
 * @device_free: bytes of device memory not allocated now
 * @primary_node: the device's primary node, e.g. "/dev/dri/card1"
 * @node_type: %PHYRBUF_NODE_PRIMARY or %PHYRBUF_NODE_RENDER: the kind of
 *	@node
 * @driver_major: the driver's major version (DRM_IOCTL_VERSION), 0 from
 *	phyrbuf_device_describe()
 * @driver_minor: its minor version: 1 has image metadata, render-node mmap,
 *	ranges and the dma-buf query
 */
struct phyrbuf_dev_info {
	int index;
	char node[PHYRBUF_PATH_MAX];
	char render_node[PHYRBUF_PATH_MAX];
	char bus[PHYRBUF_PATH_MAX];
	char location[PHYRBUF_PATH_MAX];
	uint64_t device_size;
	uint64_t device_free;
	/* since 0.2 */
	char primary_node[PHYRBUF_PATH_MAX];
	uint32_t node_type;
	uint32_t driver_major;
	uint32_t driver_minor;
};

/**
 * struct phyrbuf_image - an image in a buffer, for graphics clients
 * @width: pixels per row, 1 to 16384
 * @height: rows, 1 to 16384
 * @format: a DRM fourcc (drm_fourcc.h), one of the single-plane formats
 *	phyr_vgem knows (phyrbuf_format_name() names them)
 * @stride: bytes from one row to the next; 0 to let the kernel choose (the
 *	smallest multiple of 64 that holds a row); otherwise at least @width
 *	times the bytes per pixel
 * @modifier: %PHYRBUF_MODIFIER_LINEAR
 *
 * What EGL_EXT_image_dma_buf_import and KMS need besides the dma-buf: the
 * plane's offset is always 0.
 */
struct phyrbuf_image {
	uint32_t width;
	uint32_t height;
	uint32_t format;
	uint32_t stride;
	uint64_t modifier;
};

/**
 * struct phyrbuf_bo_info - what a buffer is now (phyrbuf_bo_query())
 * @size: bytes
 * @placement: where it is
 * @nr_ranges: physically contiguous ranges it is made of now (0 for system
 *	memory not populated yet, and since driver 1.2 for a device opened
 *	without CAP_SYS_ADMIN: see phyrbuf_bo_ranges())
 * @flavours: PHYRBUF_FLAVOUR_* bits its dma-buf offers importers now; 0 for
 *	a buffer imported from another device
 * @import_flavour: for a buffer imported from another device's dma-buf, the
 *	one PHYRBUF_FLAVOUR_* bit negotiated with the exporter (0 once the
 *	exporter revoked it); 0 for own buffers
 * @width: image width, 0 without an image
 * @height: image height
 * @format: image DRM fourcc, 0 for a buffer without image metadata; a
 *	buffer imported from another phyr_vgem device has its exporter's
 * @stride: bytes per row of the image
 * @modifier: %PHYRBUF_MODIFIER_LINEAR for an image, %PHYRBUF_MODIFIER_INVALID
 *	without one
 */
struct phyrbuf_bo_info {
	uint64_t size;
	enum phyrbuf_placement placement;
	uint64_t nr_ranges;
	uint32_t flavours;
	uint32_t import_flavour;
	/* since 0.2 */
	uint32_t width;
	uint32_t height;
	uint32_t format;
	uint32_t stride;
	uint64_t modifier;
};

/*
 * &phyrbuf_range.type: CPU RAM, or MMIO (device memory: a PCI BAR without
 * struct page).
 */
#define PHYRBUF_RANGE_RAM		0
#define PHYRBUF_RANGE_MMIO		1

/**
 * struct phyrbuf_range - one physically contiguous range of a buffer
 * @offset: where it starts in the buffer, in bytes
 * @length: bytes
 * @addr: its CPU physical address, 0 for callers without CAP_SYS_ADMIN
 * @type: %PHYRBUF_RANGE_RAM or %PHYRBUF_RANGE_MMIO
 */
struct phyrbuf_range {
	uint64_t offset;
	uint64_t length;
	uint64_t addr;
	uint32_t type;
	uint32_t reserved;
};

/*
 * &phyrbuf_offer.flags: the memory of an offer, or of a match.
 * PHYRBUF_OFFER_MMIO: the ranges may be MMIO of the device in @provider
 * PHYRBUF_OFFER_CPU: all ranges are CPU RAM
 * PHYRBUF_OFFER_BRIDGE: served by the kernel's dma-buf core from the
 *	exporter's physical ranges: an sg_table (the bridge, for importers that
 *	know only sg_table), or CPU access to CPU RAM (for software devices)
 */
#define PHYRBUF_OFFER_MMIO		(1u << 0)
#define PHYRBUF_OFFER_CPU		(1u << 1)
#define PHYRBUF_OFFER_BRIDGE		(1u << 2)

/**
 * struct phyrbuf_offer - one flavour of a dma-buf, as data
 * @flavour: one PHYRBUF_FLAVOUR_* bit (0 in &phyrbuf_dmabuf_info.import: none)
 * @flags: PHYRBUF_OFFER_* bits
 * @provider: for MMIO ranges, the PCI device they belong to
 *	("0000:00:04.0"), else ""
 */
struct phyrbuf_offer {
	uint32_t flavour;
	uint32_t flags;
	char provider[16];
};

/** Entries of &phyrbuf_dmabuf_info.offers. */
#define PHYRBUF_MAX_OFFERS		8

/*
 * &phyrbuf_dmabuf_info.status bits.
 * PHYRBUF_DMABUF_REVOKED: the exporter revoked the buffer (its device went)
 * PHYRBUF_DMABUF_OWN: a buffer of the asking device: an import gives it back
 * PHYRBUF_DMABUF_LEGACY: the exporter does not negotiate flavours: an
 *	sg_table with no promise about what backs it
 * PHYRBUF_DMABUF_TRUNCATED: more offers than @offers holds
 */
#define PHYRBUF_DMABUF_REVOKED		(1u << 0)
#define PHYRBUF_DMABUF_OWN		(1u << 1)
#define PHYRBUF_DMABUF_LEGACY		(1u << 2)
#define PHYRBUF_DMABUF_TRUNCATED	(1u << 3)

/**
 * struct phyrbuf_dmabuf_info - what a dma-buf offers, and what one device
 *	would negotiate (phyrbuf_dmabuf_probe())
 * @status: PHYRBUF_DMABUF_* bits
 * @nr_offers: entries of @offers
 * @offers: what the exporter offers now, most preferred first
 * @import: the flavour an import into the asking device would negotiate
 *	now (flavour 0: none, because the import would fail or the buffer is
 *	the device's own)
 * @import_error: 0 if the import would succeed, else its negative errno
 *	(-EOPNOTSUPP: no flavour matches; -ENODEV: revoked)
 */
struct phyrbuf_dmabuf_info {
	uint32_t status;
	uint32_t nr_offers;
	struct phyrbuf_offer offers[PHYRBUF_MAX_OFFERS];
	struct phyrbuf_offer import;
	int import_error;
};

/* ---- version ---- */

/**
 * phyrbuf_version() - the version of the library that runs
 *
 * Return: PHYRBUF_VERSION_NUMBER of the library (major << 16 | minor << 8 |
 * micro), which may be newer than the header a program was built with.
 */
unsigned int phyrbuf_version(void);

/**
 * phyrbuf_version_string() - the same as text
 *
 * Return: e.g. "0.2.0"; a static string.
 */
const char *phyrbuf_version_string(void);

/* ---- devices ---- */

/**
 * phyrbuf_device_count() - count the phyr_vgem devices
 *
 * Devices are found in sysfs (/sys/class/drm), by driver (the PCI driver
 * phyr_vgem) or by name (the faux device phyr_vgem), without opening any
 * node; they are ordered by primary node number, which is the index that
 * phyrbuf_open() and phyrbuf_device_describe() take.  Indices are stable as
 * long as no device is added or removed; for a device that must not change
 * under a program, keep its path or an open file descriptor.
 *
 * Return: the number of phyr_vgem devices (0 if none), or -ENOMEM.
 */
int phyrbuf_device_count(void);

int phyrbuf_device_describe_sized(int index, struct phyrbuf_dev_info *info,
				  size_t size);
/**
 * phyrbuf_device_describe() - what sysfs says about a device, opening nothing
 * @index: the index of the device (see phyrbuf_device_count())
 * @info: filled in on success; @node is the primary node, @node_type
 *	%PHYRBUF_NODE_PRIMARY, and @device_size, @device_free and the driver
 *	version are 0 (they need the device open)
 *
 * Return: 0; -ENODEV for an @index past the last (or negative); -ENOMEM.
 */
static inline int phyrbuf_device_describe(int index, struct phyrbuf_dev_info *info)
{
	return phyrbuf_device_describe_sized(index, info, sizeof(*info));
}

/**
 * phyrbuf_open() - open a phyr_vgem device by index
 * @index: the index of the device (0 for the first, see
 *	phyrbuf_device_count()), or %PHYRBUF_ANY for the first that fits @flags
 * @flags: %PHYRBUF_OPEN_DEVICE_MEMORY, %PHYRBUF_OPEN_PRIMARY or 0
 * @devp: the opened device, on success
 *
 * Opens the device's render node (its primary node with
 * %PHYRBUF_OPEN_PRIMARY, or if it has no render node).  Only the chosen
 * device's node is opened.
 *
 * Return: 0; -ENODEV if there is no such phyr_vgem device (none at all, @index
 * beyond the last, or with %PHYRBUF_OPEN_DEVICE_MEMORY: no device memory on
 * the device asked for, or on any device); -EINVAL for unknown @flags or a
 * negative @index other than %PHYRBUF_ANY; -ENOMEM; or the error of opening
 * the node (-EACCES: no permission for /dev/dri/...; -ENOENT: no device
 * node, e.g. devtmpfs not mounted).
 */
int phyrbuf_open(int index, unsigned int flags, struct phyrbuf_dev **devp);

/**
 * phyrbuf_open_path() - open a phyr_vgem device by its node's path
 * @path: a primary or render node, e.g. "/dev/dri/renderD128"
 * @flags: %PHYRBUF_OPEN_DEVICE_MEMORY or 0
 * @devp: the opened device, on success
 *
 * Return: 0; -ENODEV if @path is not a phyr_vgem DRM node (another driver,
 * not DRM at all) or, with %PHYRBUF_OPEN_DEVICE_MEMORY, has no device
 * memory; -EINVAL for unknown @flags; -ENOMEM; or the error of opening
 * @path (-ENOENT, -EACCES).
 */
int phyrbuf_open_path(const char *path, unsigned int flags, struct phyrbuf_dev **devp);

/**
 * phyrbuf_open_fd() - a phyr_vgem device from a file descriptor the caller has
 * @fd: an open primary or render node of a phyr_vgem device (from logind,
 *	libseat, a portal, or the caller's own open()); it stays the caller's:
 *	the library works on a duplicate (close-on-exec) and the caller may
 *	close @fd at any time
 * @flags: %PHYRBUF_OPEN_DEVICE_MEMORY or 0
 * @devp: the device, on success
 *
 * The duplicate shares @fd's DRM file: GEM handles are the same for both.
 * Called again with a descriptor of the same DRM file (the same open file
 * description, e.g. @fd again or a dup() of it) while that device is open,
 * it returns the same &struct phyrbuf_dev with one more reference (as
 * libdrm_amdgpu does), so that its handle table stays the only one for that
 * file.  (This needs the kcmp() system call; without it only the same
 * descriptor number is recognized.)
 *
 * Return: 0; -EBADF if @fd is not open; -ENODEV if it is not a phyr_vgem
 * DRM node (or, with %PHYRBUF_OPEN_DEVICE_MEMORY, has no device memory);
 * -EINVAL for unknown @flags; -ENOMEM; -EMFILE.
 */
int phyrbuf_open_fd(int fd, unsigned int flags, struct phyrbuf_dev **devp);

/**
 * phyrbuf_close() - drop a reference to a device
 * @dev: the device, or NULL (then nothing happens)
 *
 * Every phyrbuf_open*() needs one.  The DRM file is closed when the last
 * reference goes, and every buffer holds one: buffers stay usable after
 * phyrbuf_close() until they are closed themselves.  dma-bufs exported from
 * the device stay valid after that.
 */
void phyrbuf_close(struct phyrbuf_dev *dev);

/**
 * phyrbuf_dev_fd() - the DRM file descriptor behind a device
 * @dev: the device
 *
 * For ioctls the library does not wrap, and for other libraries that need
 * the device (gbm_create_device() needs a primary node: see
 * %PHYRBUF_OPEN_PRIMARY).  It stays owned by @dev; GEM handles made on it
 * behind the library must not be handles the library holds.
 *
 * Return: the file descriptor, or -EINVAL for a NULL @dev.
 */
int phyrbuf_dev_fd(const struct phyrbuf_dev *dev);

int phyrbuf_dev_info_sized(struct phyrbuf_dev *dev, struct phyrbuf_dev_info *info,
			   size_t size);
/**
 * phyrbuf_dev_info() - what a device is and has now
 * @dev: the device
 * @info: filled in on success (device_free is read from the kernel now)
 *
 * Return: 0; -EINVAL for NULL arguments; -E2BIG (see Conventions); -ENODEV
 * once the device is unplugged; or another negative errno of
 * DRM_IOCTL_PHYR_VGEM_INFO.
 */
static inline int phyrbuf_dev_info(struct phyrbuf_dev *dev, struct phyrbuf_dev_info *info)
{
	return phyrbuf_dev_info_sized(dev, info, sizeof(*info));
}

/* ---- buffers ---- */

/**
 * phyrbuf_bo_create() - create a buffer
 * @dev: the device
 * @size: bytes, a nonzero multiple of the page size
 * @placement: where
 * @flags: 0 or %PHYRBUF_BO_CONTIGUOUS
 * @bop: the new buffer, on success
 *
 * Return: 0; -EINVAL for a @size of 0, not a multiple of the page size or
 * above the placement's capacity, an unknown @placement or @flags,
 * %PHYRBUF_BO_CONTIGUOUS for system memory; -ENODEV for device memory on a
 * device without it (or once the device is unplugged); -ENOSPC when device
 * memory is exhausted; -ENOMEM.
 */
int phyrbuf_bo_create(struct phyrbuf_dev *dev, uint64_t size,
		      enum phyrbuf_placement placement, uint32_t flags,
		      struct phyrbuf_bo **bop);

int phyrbuf_bo_create_image_sized(struct phyrbuf_dev *dev,
				  const struct phyrbuf_image *image, size_t image_size,
				  enum phyrbuf_placement placement, uint32_t flags,
				  struct phyrbuf_bo **bop);
/**
 * phyrbuf_bo_create_image() - create a buffer that holds an image
 * @dev: the device
 * @image: the image; a @stride of 0 lets the kernel choose it
 * @placement: where
 * @flags: 0 or %PHYRBUF_BO_CONTIGUOUS
 * @bop: the new buffer, on success; phyrbuf_bo_query() returns its image
 *	(with the stride chosen) and its size, @image->height rows of the
 *	stride rounded up to the page size
 *
 * Needs driver 1.1 (&phyrbuf_dev_info.driver_minor).
 *
 * Return: 0; -EINVAL for a NULL argument, a @width or @height of 0 or above
 * 16384, a @format phyr_vgem does not know, a @modifier other than
 * %PHYRBUF_MODIFIER_LINEAR, a @stride below @width times the bytes per
 * pixel, an unknown @placement or @flags; -E2BIG (see Conventions); and the
 * errors of phyrbuf_bo_create() for the size.
 */
static inline int phyrbuf_bo_create_image(struct phyrbuf_dev *dev,
					  const struct phyrbuf_image *image,
					  enum phyrbuf_placement placement,
					  uint32_t flags, struct phyrbuf_bo **bop)
{
	return phyrbuf_bo_create_image_sized(dev, image, sizeof(*image), placement,
					     flags, bop);
}

/**
 * phyrbuf_bo_wrap() - take over a GEM handle made elsewhere on a device
 * @dev: the device the handle belongs to
 * @handle: the GEM handle (e.g. from DRM_IOCTL_MODE_CREATE_DUMB)
 * @bop: the buffer object, on success; it owns @handle from now on (if
 *	the library already has an object for @handle, that one, with one more
 *	reference, as for phyrbuf_bo_import())
 *
 * Return: 0; -ENOENT for an unknown handle; -ENOMEM.
 */
int phyrbuf_bo_wrap(struct phyrbuf_dev *dev, uint32_t handle, struct phyrbuf_bo **bop);

/**
 * phyrbuf_bo_close() - drop a reference to a buffer
 * @bo: the buffer, or NULL (then 0)
 *
 * Drops a reference (see phyrbuf_bo_import()); the last one closes the GEM
 * handle and frees the object, and the memory is freed when no mapping,
 * dma-buf or importer holds it any more.  @bo is freed even when the kernel
 * refuses.
 *
 * Return: 0, or a negative errno of DRM_IOCTL_GEM_CLOSE (-EINVAL for a handle
 * that was already closed behind the library).
 */
int phyrbuf_bo_close(struct phyrbuf_bo *bo);

/**
 * phyrbuf_bo_handle() - the GEM handle of a buffer
 * @bo: the buffer
 *
 * Return: the handle, valid on the DRM file of phyrbuf_bo_dev(@bo); 0 for a
 * NULL @bo.
 */
uint32_t phyrbuf_bo_handle(const struct phyrbuf_bo *bo);

/**
 * phyrbuf_bo_size() - the size of a buffer
 * @bo: the buffer
 *
 * Return: bytes; 0 for a NULL @bo.
 */
uint64_t phyrbuf_bo_size(const struct phyrbuf_bo *bo);

/**
 * phyrbuf_bo_dev() - the device a buffer belongs to
 * @bo: the buffer
 *
 * Return: the device (no new reference), or NULL for a NULL @bo.
 */
struct phyrbuf_dev *phyrbuf_bo_dev(const struct phyrbuf_bo *bo);

int phyrbuf_bo_query_sized(struct phyrbuf_bo *bo, struct phyrbuf_bo_info *info,
			   size_t size);
/**
 * phyrbuf_bo_query() - what a buffer is now
 * @bo: the buffer
 * @info: filled in on success
 *
 * Return: 0; -EINVAL for NULL arguments; -E2BIG (see Conventions); -ENOENT
 * for a handle that is gone; -ENODEV once the device is unplugged.
 */
static inline int phyrbuf_bo_query(struct phyrbuf_bo *bo, struct phyrbuf_bo_info *info)
{
	return phyrbuf_bo_query_sized(bo, info, sizeof(*info));
}

/**
 * phyrbuf_bo_ranges() - the physical ranges of a buffer now
 * @bo: the buffer (not one imported from another device: its exporter has
 *	the ranges)
 * @ranges: receives up to @max ranges, in buffer order; may be NULL if @max
 *	is 0
 * @max: entries of @ranges
 *
 * The ranges of one moment: a migration, or system memory being populated
 * (by a first CPU access or an importer), changes them.  System memory not
 * populated yet has none.  Needs driver 1.1.  The physical layout is for the
 * privileged: since driver 1.2 only a device opened with CAP_SYS_ADMIN gets
 * ranges (with their physical addresses), others -EPERM (driver 1.1 gave
 * them the ranges without addresses).
 *
 * Return: the number of ranges the buffer has (which may be more than
 * @max: call again with a larger array); -EINVAL for a NULL @bo or @ranges
 * with a nonzero @max, or an imported buffer; -EPERM without CAP_SYS_ADMIN;
 * -ENOENT for a handle that is gone; -ENOMEM.
 */
int phyrbuf_bo_ranges(struct phyrbuf_bo *bo, struct phyrbuf_range *ranges, size_t max);

/* ---- CPU access ---- */

/**
 * phyrbuf_bo_mmap() - map a whole buffer, readable and writable
 * @bo: the buffer
 * @ptr: the mapping (shared), on success
 *
 * phyrbuf_bo_map(@bo, 0, size, %PHYRBUF_MAP_READ | %PHYRBUF_MAP_WRITE, @ptr).
 * Unmap with phyrbuf_bo_munmap().
 *
 * Return: as phyrbuf_bo_map().
 */
int phyrbuf_bo_mmap(struct phyrbuf_bo *bo, void **ptr);

/**
 * phyrbuf_bo_munmap() - unmap a mapping made by phyrbuf_bo_mmap()
 * @bo: the buffer
 * @ptr: the mapping
 *
 * Return: 0; -EINVAL for NULL arguments; or the error of munmap().
 */
int phyrbuf_bo_munmap(struct phyrbuf_bo *bo, void *ptr);

/**
 * phyrbuf_bo_map() - map a part of a buffer into the CPU's address space
 * @bo: the buffer
 * @offset: where the mapping starts in the buffer, a multiple of the page size
 * @length: bytes, nonzero; @offset + @length at most the buffer's size
 * @flags: %PHYRBUF_MAP_READ, with %PHYRBUF_MAP_WRITE for a writable mapping
 * @ptr: the mapping (shared), on success
 *
 * The mapping follows the buffer: after phyrbuf_bo_migrate() it faults in the
 * new placement.  phyr_vgem maps both placements write-combined and
 * coherent: no cache maintenance is needed, but phyrbuf_bo_begin_cpu_access()
 * waits for the buffer's fences.  Buffers of the device itself are mapped
 * through the DRM file (DRM_IOCTL_PHYR_VGEM_BO_MMAP_OFFSET, allowed on render
 * nodes) when the window starts at 0, and through the buffer's dma-buf (which
 * the library exports once and keeps) when it starts further in: DRM maps
 * GEM objects from their start only.  A buffer imported from another device
 * is mapped through its dma-buf (a duplicate of the fd given to
 * phyrbuf_bo_import(), kept until the buffer is closed), which its exporter
 * serves.  Writing to a mapping without
 * %PHYRBUF_MAP_WRITE raises SIGSEGV.  Unmap with phyrbuf_bo_unmap().
 *
 * Return: 0; -EINVAL for NULL arguments, an @offset not page-aligned, a
 * @length of 0 or past the end, @flags without %PHYRBUF_MAP_READ or with
 * unknown bits; -ENOENT for a handle that is gone; or the error of mmap().
 */
int phyrbuf_bo_map(struct phyrbuf_bo *bo, uint64_t offset, uint64_t length,
		   uint32_t flags, void **ptr);

/**
 * phyrbuf_bo_unmap() - unmap a mapping made by phyrbuf_bo_map()
 * @bo: the buffer
 * @ptr: the mapping
 * @length: its length, as given to phyrbuf_bo_map()
 *
 * Return: 0; -EINVAL for NULL arguments or a @length of 0; or the error of
 * munmap().
 */
int phyrbuf_bo_unmap(struct phyrbuf_bo *bo, void *ptr, uint64_t length);

/**
 * phyrbuf_bo_begin_cpu_access() - start accessing a buffer's memory
 * @bo: the buffer
 * @access: %PHYRBUF_ACCESS_READ, %PHYRBUF_ACCESS_WRITE or both
 *
 * DMA_BUF_IOCTL_SYNC with DMA_BUF_SYNC_START on the buffer's dma-buf (which
 * the library exports once and keeps): waits for the fences an access of
 * that kind must wait for (a read for writers, a write for everyone), and
 * lets the exporter make the memory coherent for the CPU.  Pair it with
 * phyrbuf_bo_end_cpu_access() and the same @access.
 *
 * Return: 0; -EINVAL for a NULL @bo, an @access of 0 or with unknown bits;
 * or the error of exporting the buffer.  Interrupted waits are restarted.
 */
int phyrbuf_bo_begin_cpu_access(struct phyrbuf_bo *bo, uint32_t access);

/**
 * phyrbuf_bo_end_cpu_access() - end an access started with
 *	phyrbuf_bo_begin_cpu_access()
 * @bo: the buffer
 * @access: as given to phyrbuf_bo_begin_cpu_access()
 *
 * Return: as phyrbuf_bo_begin_cpu_access().
 */
int phyrbuf_bo_end_cpu_access(struct phyrbuf_bo *bo, uint32_t access);

/* ---- placements ---- */

/**
 * phyrbuf_bo_migrate() - move a buffer to another placement
 * @bo: the buffer
 * @placement: the new placement
 *
 * Copies the contents; importers drop their mappings and CPU mappings fault
 * in the new placement.  Waits for the buffer's fences first (up to 15 s).
 * Migrating to the current placement does nothing.
 *
 * Return: 0; -EINVAL for an unknown @placement or an imported buffer;
 * -ENOENT for a handle that is gone; -ENODEV for device memory on a device
 * without it, or once it is unplugged; -ENOSPC when device memory is
 * exhausted; -EBUSY while an importer that cannot be told to unmap holds a
 * mapping; -ETIMEDOUT when the fences did not signal in time.  Interrupted
 * waits are restarted.
 */
int phyrbuf_bo_migrate(struct phyrbuf_bo *bo, enum phyrbuf_placement placement);

/* ---- dma-bufs ---- */

/**
 * phyrbuf_bo_export() - export a buffer as a dma-buf
 * @bo: the buffer
 * @dmabuf_fd: the new dma-buf file descriptor (read-write, close-on-exec),
 *	on success; the caller closes it
 *
 * Return: 0; -EINVAL for NULL arguments; -ENOENT for a handle that is gone;
 * or another negative errno from DRM_IOCTL_PRIME_HANDLE_TO_FD.
 */
int phyrbuf_bo_export(struct phyrbuf_bo *bo, int *dmabuf_fd);

/**
 * phyrbuf_bo_import() - import a dma-buf into a device
 * @dev: the importing device (any phyr_vgem device)
 * @dmabuf_fd: the dma-buf; it stays owned by the caller
 * @bop: the new buffer, on success
 *
 * A dma-buf of the same device gives back the exporting buffer's object;
 * one of another device is attached with a negotiated flavour, which
 * phyrbuf_bo_query() reports in &phyrbuf_bo_info.import_flavour.
 *
 * The kernel gives one DRM file one GEM handle per object, so importing a
 * dma-buf of a buffer that @dev already has open (exported from it, or
 * imported before) returns that same &struct phyrbuf_bo with one more
 * reference; every phyrbuf_bo_import() needs its phyrbuf_bo_close(), and the
 * handle is closed with the last one.
 *
 * Return: 0; -EINVAL for NULL arguments or an fd that is not a dma-buf;
 * -EBADF for a bad @dmabuf_fd; -EOPNOTSUPP if no flavour matches (device
 * memory that the importing device cannot reach: migrate it to system
 * memory first); -ENODEV for a revoked buffer; or another negative errno
 * from DRM_IOCTL_PRIME_FD_TO_HANDLE.
 */
int phyrbuf_bo_import(struct phyrbuf_dev *dev, int dmabuf_fd, struct phyrbuf_bo **bop);

int phyrbuf_dmabuf_probe_sized(struct phyrbuf_dev *dev, int dmabuf_fd,
			       struct phyrbuf_dmabuf_info *info, size_t size);
/**
 * phyrbuf_dmabuf_probe() - what a dma-buf offers, and what @dev would take
 * @dev: a phyr_vgem device, the importer asked about
 * @dmabuf_fd: any dma-buf (not only phyr_vgem's)
 * @info: filled in on success
 *
 * The structured form of the fdinfo "flavours:" line, plus the flavour an
 * import into @dev would negotiate now (the kernel attaches and detaches at
 * once; nothing is imported), so that a program chooses an importer without
 * trial imports.  Needs driver 1.1 (DRM_IOCTL_PHYR_VGEM_DMABUF_FLAVOURS).
 *
 * Return: 0; -EINVAL for NULL arguments or an fd that is not a dma-buf;
 * -E2BIG (see Conventions); -EBADF for a bad @dmabuf_fd; -ENOMEM.
 */
static inline int phyrbuf_dmabuf_probe(struct phyrbuf_dev *dev, int dmabuf_fd,
				       struct phyrbuf_dmabuf_info *info)
{
	return phyrbuf_dmabuf_probe_sized(dev, dmabuf_fd, info, sizeof(*info));
}

/**
 * phyrbuf_dmabuf_flavours() - the "flavours:" line of a dma-buf's fdinfo
 * @dmabuf_fd: the dma-buf
 * @buf: receives the line's text after the tab, without the newline, e.g.
 *	"phyr+cpu sg_table+cpu"
 * @len: the size of @buf
 *
 * Text for people (logs, the CLI); programs use phyrbuf_dmabuf_probe().
 *
 * Return: 0; -ENODATA if the fdinfo has no such line (a kernel without
 * dma-buf flavours, or not a dma-buf); -ENOSPC if @buf is too small (it holds
 * the truncated text); -EINVAL for a NULL @buf or a @len of 0; or the error of
 * reading /proc/self/fdinfo.
 */
int phyrbuf_dmabuf_flavours(int dmabuf_fd, char *buf, size_t len);

/**
 * phyrbuf_dmabuf_busy() - whether a dma-buf's fences would block an access
 * @dmabuf_fd: the dma-buf
 * @write: 1 to ask for a write access (which waits for every fence), 0 for a
 *	read (which waits for write fences only)
 *
 * Asks poll() with a timeout of 0: it never waits.
 *
 * Return: 1 if busy, 0 if idle; -EBADF; or the negative errno of poll().
 */
int phyrbuf_dmabuf_busy(int dmabuf_fd, int write);

/**
 * phyrbuf_dmabuf_begin_cpu_access() - DMA_BUF_IOCTL_SYNC, DMA_BUF_SYNC_START
 * @dmabuf_fd: the dma-buf
 * @access: %PHYRBUF_ACCESS_READ, %PHYRBUF_ACCESS_WRITE or both
 *
 * See phyrbuf_bo_begin_cpu_access(); for a dma-buf of any exporter.
 *
 * Return: 0; -EINVAL for an @access of 0 or with unknown bits; -EBADF;
 * -ENOTTY for an fd that is not a dma-buf; or the exporter's error.
 */
int phyrbuf_dmabuf_begin_cpu_access(int dmabuf_fd, uint32_t access);

/**
 * phyrbuf_dmabuf_end_cpu_access() - DMA_BUF_IOCTL_SYNC, DMA_BUF_SYNC_END
 * @dmabuf_fd: the dma-buf
 * @access: as given to phyrbuf_dmabuf_begin_cpu_access()
 *
 * Return: as phyrbuf_dmabuf_begin_cpu_access().
 */
int phyrbuf_dmabuf_end_cpu_access(int dmabuf_fd, uint32_t access);

/**
 * phyrbuf_dmabuf_export_sync_file() - the fences of a dma-buf as a sync_file
 * @dmabuf_fd: the dma-buf
 * @access: %PHYRBUF_ACCESS_READ for the fences a reader waits for (the
 *	writers), with %PHYRBUF_ACCESS_WRITE for all of them
 * @sync_file_fd: the new sync_file (close-on-exec), on success; the caller
 *	closes it
 *
 * DMA_BUF_IOCTL_EXPORT_SYNC_FILE: a snapshot of the fences now, signaled
 * when they all are (poll() it, or hand it to a compositor or a GPU driver).
 *
 * Return: 0; -EINVAL for a NULL @sync_file_fd, an @access of 0 or with
 * unknown bits; -EBADF; -ENOTTY for an fd that is not a dma-buf; -ENOMEM.
 */
int phyrbuf_dmabuf_export_sync_file(int dmabuf_fd, uint32_t access, int *sync_file_fd);

/**
 * phyrbuf_dmabuf_import_sync_file() - add a sync_file's fence to a dma-buf
 * @dmabuf_fd: the dma-buf
 * @access: %PHYRBUF_ACCESS_WRITE to add it as a write fence (readers and
 *	writers wait for it), %PHYRBUF_ACCESS_READ alone as a read fence
 *	(writers wait for it)
 * @sync_file_fd: the sync_file; it stays the caller's
 *
 * DMA_BUF_IOCTL_IMPORT_SYNC_FILE: from then on, the buffer's users (CPU
 * access brackets, poll(), migrations, importers) wait for that fence.
 *
 * Return: 0; -EINVAL for an @access of 0 or with unknown bits, or a
 * @sync_file_fd that is not a sync_file (or not open); -EBADF for a bad
 * @dmabuf_fd; -ENOTTY for a @dmabuf_fd that is not a dma-buf; -ENOMEM.
 */
int phyrbuf_dmabuf_import_sync_file(int dmabuf_fd, uint32_t access, int sync_file_fd);

/* ---- fences ---- */

/**
 * phyrbuf_bo_fence_attach() - attach an unsignaled fence to a buffer
 * @bo: the buffer
 * @flags: %PHYRBUF_FENCE_WRITE for a write (exclusive) fence, 0 for a read
 * @fence: the fence id, for phyrbuf_fence_signal(), on success
 *
 * The fence signals on phyrbuf_fence_signal() or by itself, with an error,
 * after 10 seconds.  Waiters see it through the buffer's dma-buf (poll(),
 * see phyrbuf_dmabuf_busy()).
 *
 * Return: 0; -EBUSY if a conflicting fence is pending; -ENOENT for a handle
 * that is gone; -EINVAL for unknown @flags or NULL arguments.
 */
int phyrbuf_bo_fence_attach(struct phyrbuf_bo *bo, uint32_t flags, uint32_t *fence);

/**
 * phyrbuf_fence_signal() - signal a fence made by phyrbuf_bo_fence_attach()
 * @dev: the device of the fenced buffer (fence ids are per DRM file)
 * @fence: the fence id
 *
 * Return: 0; -ENOENT for an unknown or already signaled fence; -ETIMEDOUT if
 * the fence had timed out; -EINVAL for a NULL @dev.
 */
int phyrbuf_fence_signal(struct phyrbuf_dev *dev, uint32_t fence);

/* ---- names ---- */

/**
 * phyrbuf_placement_name() - the name of a placement
 * @placement: a placement
 *
 * Return: "system", "device" or "unknown".
 */
const char *phyrbuf_placement_name(enum phyrbuf_placement placement);

/**
 * phyrbuf_placement_parse() - a placement from its name
 * @name: "system" or "device"
 * @placement: the placement, on success
 *
 * Return: 0, or -EINVAL for another name or NULL arguments.
 */
int phyrbuf_placement_parse(const char *name, enum phyrbuf_placement *placement);

/**
 * phyrbuf_flavour_names() - PHYRBUF_FLAVOUR_* bits as text
 * @flavours: the bits
 * @buf: receives the names separated by spaces, highest bit first (the
 *	order of the kernel's fdinfo), e.g. "phyr sg_table"; "none" for 0;
 *	unknown bits as one hexadecimal number, e.g. "phyr 0x10"
 * @len: the size of @buf
 *
 * Return: 0; -ENOSPC if @buf is too small (it holds the truncated text);
 * -EINVAL for a NULL @buf or a @len of 0.
 */
int phyrbuf_flavour_names(uint32_t flavours, char *buf, size_t len);

/**
 * phyrbuf_format_name() - the name of a DRM format phyr_vgem knows
 * @format: a DRM fourcc
 *
 * Return: its name without the DRM_FORMAT_ prefix, e.g. "XRGB8888", or NULL
 * for a format phyr_vgem does not take.
 */
const char *phyrbuf_format_name(uint32_t format);

/**
 * phyrbuf_format_parse() - a DRM format from its name
 * @name: a name as phyrbuf_format_name() gives it (any case), e.g. "xrgb8888"
 * @format: the fourcc, on success
 * @cpp: if not NULL, its bytes per pixel, on success
 *
 * Return: 0, or -EINVAL for NULL arguments or a name phyr_vgem does not know.
 */
int phyrbuf_format_parse(const char *name, uint32_t *format, unsigned int *cpp);

/*
 * RDMA memory regions (phyrbuf-rdma.c).  libphyrbuf has them when it was
 * built with rdma-core's libibverbs; phyrbuf_rdma_available() says so.
 */
struct ibv_pd;
struct ibv_mr;

/**
 * phyrbuf_rdma_available() - whether this libphyrbuf registers RDMA MRs
 *
 * Return: 1 if it was built with libibverbs, 0 otherwise (then
 * phyrbuf_bo_reg_mr() fails with -EOPNOTSUPP).
 */
int phyrbuf_rdma_available(void);

/**
 * phyrbuf_bo_reg_mr() - register a buffer as an RDMA memory region
 * @bo: the buffer, in either placement
 * @pd: the protection domain (of any RDMA device)
 * @offset: where the region starts in the buffer
 * @length: its length
 * @iova: its address for the peer; must have @offset's offset in a page
 * @access: IBV_ACCESS_* flags
 * @mr: the region, on success; ibv_dereg_mr() it
 *
 * Exports @bo as a dma-buf and registers it with ibv_reg_dmabuf_mr(), as
 * any ibverbs application does: the RDMA device maps the buffer where it is
 * and follows it when it moves (see the kernel's docs).  The dma-buf fd is
 * closed again: the region holds the buffer until it is deregistered.
 *
 * Return: 0; -EINVAL for NULL pointers, or the range outside the buffer, or
 * an @iova not in @offset's place in a page; -EOPNOTSUPP if the device or
 * the buffer's exporter cannot do it (e.g. remote atomics on device memory,
 * which is write-combined), the device's libibverbs provider has no dma-buf
 * verb (rdma-core's rxe provider without its patch, docs/rdma.md) or
 * libphyrbuf has no RDMA; -ENODEV if the buffer is revoked; another errno of
 * the kernel.
 */
int phyrbuf_bo_reg_mr(struct phyrbuf_bo *bo, struct ibv_pd *pd,
		      uint64_t offset, size_t length, uint64_t iova, int access,
		      struct ibv_mr **mr);

/**
 * phyrbuf_reg_dmabuf_mr() - register any dma-buf as an RDMA memory region
 * @pd: the protection domain
 * @dmabuf_fd: the dma-buf (the caller keeps it; the region holds its own
 *	reference)
 * @offset: where the region starts in the dma-buf
 * @length: its length
 * @iova: its address for the peer
 * @access: IBV_ACCESS_* flags
 * @mr: the region, on success
 *
 * What phyrbuf_bo_reg_mr() does once it has the dma-buf.
 *
 * Return: as phyrbuf_bo_reg_mr(); -EBADF for a bad fd, -EINVAL for one
 * that is not a dma-buf, -EOPNOTSUPP for an exporter that offers no CPU
 * access (to a software device such as rxe).
 */
int phyrbuf_reg_dmabuf_mr(struct ibv_pd *pd, int dmabuf_fd, uint64_t offset,
			  size_t length, uint64_t iova, int access,
			  struct ibv_mr **mr);

/* ---- iommufd: buffers in an I/O address space (phyrbuf-iommufd.c) ---- */

/**
 * struct phyrbuf_ioas - an iommufd context (/dev/iommu) with one I/O address
 *	space (IOAS), into which dma-bufs and memory are mapped at IOVAs of
 *	the caller's choice (opaque)
 */
struct phyrbuf_ioas;

/** struct phyrbuf_vfio - a PCI device of vfio-pci, bound to an IOAS (opaque) */
struct phyrbuf_vfio;

/* Flags of the map calls: how devices may access the mapping (both if 0). */
#define PHYRBUF_MAP_READ		(1u << 0)
#define PHYRBUF_MAP_WRITE		(1u << 1)

/**
 * phyrbuf_ioas_open() - open /dev/iommu and allocate an IOAS
 * @ioasp: the new context, on success
 *
 * Return: 0; -ENOENT without /dev/iommu (a kernel without iommufd); the
 * error of open() (-EACCES) or of IOMMU_IOAS_ALLOC; -EINVAL for a NULL
 * @ioasp; -ENOMEM.
 */
int phyrbuf_ioas_open(struct phyrbuf_ioas **ioasp);

/**
 * phyrbuf_ioas_close() - destroy the IOAS and close the context
 * @ioas: the context, or NULL
 *
 * Whatever is still mapped is unmapped; devices still attached lose their
 * mappings with it (close them first).
 */
void phyrbuf_ioas_close(struct phyrbuf_ioas *ioas);

/**
 * phyrbuf_ioas_fd() - the iommufd file descriptor of a context
 * @ioas: the context
 *
 * Return: the descriptor, owned by @ioas.
 */
int phyrbuf_ioas_fd(const struct phyrbuf_ioas *ioas);

/**
 * phyrbuf_ioas_id() - the iommufd object id of a context's IOAS
 * @ioas: the context
 *
 * Return: the id.
 */
uint32_t phyrbuf_ioas_id(const struct phyrbuf_ioas *ioas);

/**
 * phyrbuf_ioas_map_dmabuf() - map a window of a dma-buf at a fixed IOVA
 * @ioas: the context
 * @dmabuf_fd: the dma-buf (the mapping holds its own reference: the fd may
 *	be closed afterwards)
 * @offset: where the window starts in the dma-buf, in bytes
 * @length: the length of the window, in bytes
 * @iova: where it is mapped
 * @flags: PHYRBUF_MAP_READ, PHYRBUF_MAP_WRITE, or 0 for both
 *
 * IOMMU_IOAS_MAP_FILE with IOMMU_IOAS_MAP_FIXED_IOVA.  The kernel maps the
 * exporter's memory through the dma-buf core (RAM and device memory alike)
 * into every IOMMU domain of the IOAS, also those of devices attached later.
 * When the exporter moves or revokes the buffer, the mapping is taken away
 * and not made again: unmap it, and map the dma-buf anew.
 *
 * Return: 0; -EBADF for a bad fd; -EOPNOTSUPP for a dma-buf whose exporter
 * offers no physical ranges to the dma-buf core (udmabuf, say), -ENODEV for
 * a revoked one; -EINVAL for an empty window, one beyond the dma-buf, or an
 * @iova, @offset or @length the IOMMU cannot map (not page-aligned); -EEXIST
 * or -EADDRINUSE if @iova is taken; -EINVAL for unknown @flags; or another
 * error of the ioctl.
 */
int phyrbuf_ioas_map_dmabuf(struct phyrbuf_ioas *ioas, int dmabuf_fd,
			    uint64_t offset, uint64_t length, uint64_t iova,
			    unsigned int flags);

/**
 * phyrbuf_ioas_map_bo() - map a whole buffer at a fixed IOVA through its dma-buf
 * @ioas: the context
 * @bo: the buffer, exported as a dma-buf for the mapping (the dma-buf's fd is
 *	closed again; the mapping keeps the dma-buf)
 * @iova: where it is mapped
 * @flags: as for phyrbuf_ioas_map_dmabuf()
 *
 * Return: as phyrbuf_ioas_map_dmabuf(), or the error of phyrbuf_bo_export().
 */
int phyrbuf_ioas_map_bo(struct phyrbuf_ioas *ioas, struct phyrbuf_bo *bo,
			uint64_t iova, unsigned int flags);

/**
 * phyrbuf_ioas_map_memory() - map process memory at a fixed IOVA
 * @ioas: the context
 * @ptr: page-aligned memory of this process (pinned while mapped)
 * @length: its length, a multiple of the page size
 * @iova: where it is mapped
 * @flags: as for phyrbuf_ioas_map_dmabuf()
 *
 * IOMMU_IOAS_MAP with IOMMU_IOAS_MAP_FIXED_IOVA.
 *
 * Return: 0, -EINVAL for NULL or unaligned arguments, or the ioctl's error.
 */
int phyrbuf_ioas_map_memory(struct phyrbuf_ioas *ioas, void *ptr,
			    uint64_t length, uint64_t iova, unsigned int flags);

/**
 * phyrbuf_ioas_unmap() - unmap what was mapped at an IOVA
 * @ioas: the context
 * @iova: the IOVA of the mapping
 * @length: its length
 *
 * Works the same whether or not the exporter has taken the mapping away.
 *
 * Return: 0; -ENOENT if nothing is mapped exactly there; or the ioctl's
 * error.
 */
int phyrbuf_ioas_unmap(struct phyrbuf_ioas *ioas, uint64_t iova, uint64_t length);

/**
 * phyrbuf_vfio_open() - open a vfio-pci device and attach it to an IOAS
 * @ioas: the context whose IOAS the device's DMA goes through
 * @pci: the device's PCI address, e.g. "0000:00:03.0"
 * @vfiop: the device, on success
 *
 * Opens the device's VFIO cdev (/dev/vfio/devices/vfioN), binds it to
 * @ioas's iommufd (VFIO_DEVICE_BIND_IOMMUFD), attaches it to the IOAS
 * (VFIO_DEVICE_ATTACH_IOMMUFD_PT) and enables its memory decoding and bus
 * mastering.
 *
 * Return: 0; -ENODEV if there is no such PCI device; -ENXIO if it is not
 * bound to vfio-pci (or the kernel has no VFIO cdev); -EINVAL for a NULL
 * argument; or the error of open() or an ioctl (-EBUSY: opened elsewhere).
 */
int phyrbuf_vfio_open(struct phyrbuf_ioas *ioas, const char *pci,
		      struct phyrbuf_vfio **vfiop);

/**
 * phyrbuf_vfio_close() - detach, unbind and close a device
 * @vfio: the device, or NULL
 *
 * Unmaps what phyrbuf_vfio_bar_mmap() mapped and disables bus mastering.
 */
void phyrbuf_vfio_close(struct phyrbuf_vfio *vfio);

/**
 * phyrbuf_vfio_bar_mmap() - map one of the device's BARs for the CPU
 * @vfio: the device
 * @bar: the BAR number, 0 to 5
 * @ptr: the mapping, valid until phyrbuf_vfio_close()
 * @size: the BAR's size, if not NULL
 *
 * Return: 0; -EINVAL for a bad @bar or an empty or unmappable BAR; or the
 * error of the region query or of mmap().
 */
int phyrbuf_vfio_bar_mmap(struct phyrbuf_vfio *vfio, unsigned int bar,
			  volatile void **ptr, uint64_t *size);

/**
 * phyrbuf_vfio_bar_dmabuf() - a dma-buf of a window of one of the device's BARs
 * @vfio: the device
 * @bar: the BAR number
 * @offset: where the window starts in the BAR (page-aligned)
 * @length: its length (page-aligned)
 * @dmabuf_fd: the new dma-buf's file descriptor, on success
 *
 * VFIO_DEVICE_FEATURE_DMA_BUF: VFIO exports the BAR memory, which another
 * importer (an IOAS with phyrbuf_ioas_map_dmabuf()) can map.
 *
 * Return: 0, -EINVAL for bad arguments, or the ioctl's error (-ENOTTY or
 * -EOPNOTSUPP without VFIO dma-buf support).
 */
int phyrbuf_vfio_bar_dmabuf(struct phyrbuf_vfio *vfio, unsigned int bar,
			    uint64_t offset, uint64_t length, int *dmabuf_fd);

/**
 * phyrbuf_vfio_memory() - enable or disable the device's memory decoding
 * @vfio: the device
 * @enable: 1 to enable PCI_COMMAND_MEMORY, 0 to disable it
 *
 * While the device's memory is disabled, VFIO revokes every dma-buf of its
 * BARs (phyrbuf_vfio_bar_dmabuf()): their importers' mappings are taken away
 * and new ones fail with -ENODEV; enabling it lets them be mapped again.
 * The BAR mappings of phyrbuf_vfio_bar_mmap() must not be touched meanwhile.
 *
 * Return: 0, or the error of the config space access.
 */
int phyrbuf_vfio_memory(struct phyrbuf_vfio *vfio, int enable);

/**
 * phyrbuf_vfio_hwpt_alloc() - a second IOMMU domain for the device's IOAS
 * @vfio: the device, whose IOMMU allocates the domain
 * @hwpt_id: the id of the new paging hardware page table, on success
 *
 * IOMMU_HWPT_ALLOC on the context's IOAS: iommufd fills the new domain with
 * every mapping of the IOAS, and keeps it in step with later ones;
 * phyrbuf_vfio_attach() moves the device to it.
 *
 * Return: 0, or the ioctl's error.
 */
int phyrbuf_vfio_hwpt_alloc(struct phyrbuf_vfio *vfio, uint32_t *hwpt_id);

/**
 * phyrbuf_vfio_attach() - attach the device to a page table of the context
 * @vfio: the device
 * @pt_id: a hardware page table of phyrbuf_vfio_hwpt_alloc(), or 0 for the
 *	context's IOAS (the domain iommufd chooses for it)
 *
 * Return: 0, or the ioctl's error.
 */
int phyrbuf_vfio_attach(struct phyrbuf_vfio *vfio, uint32_t pt_id);

/**
 * phyrbuf_ioas_destroy() - destroy an iommufd object of the context
 * @ioas: the context
 * @id: the object, e.g. a hardware page table no device is attached to
 *
 * Return: 0, or the ioctl's error (-EBUSY while in use).
 */
int phyrbuf_ioas_destroy(struct phyrbuf_ioas *ioas, uint32_t id);

/* ---- devmem TCP TX: a NIC sends a dma-buf by DMA (phyrbuf-devmem.c) ---- */

/**
 * struct phyrbuf_devmem_tx - a dma-buf bound for TX on a netdev (opaque):
 *	the binding and the netlink socket it lives with
 *
 * Immutable once made: any thread may send with it concurrently; closing
 * it is the caller's business, as with free().
 */
struct phyrbuf_devmem_tx;

/**
 * struct phyrbuf_devmem_zc - MSG_ZEROCOPY bookkeeping of one TCP socket
 * @sends: sendmsg() calls that queued bytes (each took one zerocopy id);
 *	phyrbuf_devmem_send() counts them
 * @completed: of which the kernel reported completion (the NIC is done
 *	with their bytes); phyrbuf_devmem_reap() counts them
 * @copied: of the completed ones, those reported SO_EE_CODE_ZEROCOPY_COPIED
 *	(the kernel copied the bytes instead of the NIC reading them in
 *	place; devmem never should)
 * @reserved: zero
 *
 * Zero it for a new socket.  Its layout is fixed: a later version that
 * needs more adds a new structure.
 */
struct phyrbuf_devmem_zc {
	uint32_t sends;
	uint32_t completed;
	uint32_t copied;
	uint32_t reserved;
};

/**
 * phyrbuf_devmem_bind_tx() - bind a dma-buf for devmem TCP TX on a netdev
 * @ifindex: the netdev (if_nametoindex()), in the caller's network namespace
 * @dmabuf_fd: the dma-buf, of any exporter (the binding holds its own
 *	reference: the fd may be closed afterwards)
 * @txp: the binding, on success; phyrbuf_devmem_tx_close() it
 * @errmsg: if not NULL, the kernel's extended ack message on failure (e.g.
 *	"dmabuf memory not reachable by the device"), or an empty string
 * @errmsg_size: the size of @errmsg
 *
 * NETDEV_CMD_BIND_TX of the netdev generic netlink family on a netlink
 * socket of its own: the netdev's DMA device attaches to the dma-buf
 * (through the flavour negotiation, docs/devmem.md) and maps it once; the
 * binding lives until the handle is closed and the last skb that holds
 * one of its pages is freed.  When the exporter moves or revokes the
 * buffer, the binding is revoked: phyrbuf_devmem_send() fails with -ENODEV
 * from then on, and a new binding gets the buffer where it is now.
 *
 * Return: 0; -EINVAL for a NULL @txp, an @ifindex of 0, an empty dma-buf or
 * an fd that is not a dma-buf; -EBADF for a bad fd; -EOPNOTSUPP for a
 * kernel without the netdev family or bind-tx, a netdev that cannot send
 * from memory it does not own (no NETMEM_TX_DMA, no DMA device) or memory
 * the netdev cannot reach (see @errmsg); -ENODEV for no such netdev;
 * -ENOMEM; or another errno of the kernel.
 */
int phyrbuf_devmem_bind_tx(unsigned int ifindex, int dmabuf_fd,
			   struct phyrbuf_devmem_tx **txp, char *errmsg,
			   size_t errmsg_size);

/**
 * phyrbuf_devmem_tx_close() - unbind: close the binding's netlink socket
 * @tx: the binding, or NULL
 *
 * Bytes still queued on sockets keep the binding alive in the kernel until
 * they are sent or dropped.
 */
void phyrbuf_devmem_tx_close(struct phyrbuf_devmem_tx *tx);

/**
 * phyrbuf_devmem_tx_id() - the kernel's id of a binding
 * @tx: the binding
 *
 * Return: the id that SCM_DEVMEM_DMABUF names, or 0 for a NULL @tx.
 */
uint32_t phyrbuf_devmem_tx_id(const struct phyrbuf_devmem_tx *tx);

/**
 * phyrbuf_devmem_tx_size() - the size of a bound dma-buf
 * @tx: the binding
 *
 * Return: the size in bytes, or 0 for a NULL @tx.
 */
uint64_t phyrbuf_devmem_tx_size(const struct phyrbuf_devmem_tx *tx);

/**
 * phyrbuf_devmem_socket() - prepare a TCP socket for sending with a binding
 * @tx: the binding
 * @sock: a TCP socket, not yet connected
 *
 * Turns on SO_ZEROCOPY and binds the socket to the binding's netdev
 * (SO_BINDTOIFINDEX), so that its route goes out there: the kernel refuses
 * (-ENODEV) to send a binding's memory through another device.
 *
 * Return: 0; -EINVAL for a NULL @tx; -EBADF for a bad @sock; or the error
 * of setsockopt() (-EOPNOTSUPP for a socket that is not TCP).
 */
int phyrbuf_devmem_socket(const struct phyrbuf_devmem_tx *tx, int sock);

/**
 * phyrbuf_devmem_send() - send bytes of a bound dma-buf on a TCP socket
 * @tx: the binding
 * @sock: a connected TCP socket made ready by phyrbuf_devmem_socket()
 * @offset: where the bytes start in the dma-buf
 * @length: how many
 * @zc: the socket's zerocopy bookkeeping (@zc->sends is counted here)
 *
 * One sendmsg(MSG_ZEROCOPY) with an SCM_DEVMEM_DMABUF control message that
 * names the binding and an iovec of (@offset, @length): the skbs' frags are
 * the binding's net_iovs, the NIC reads the bytes by DMA and the CPU never
 * touches them.  The bytes must stay unchanged until phyrbuf_devmem_reap()
 * counts the send complete.  As for send(), fewer bytes than @length may be
 * queued (a signal, a non-blocking socket): send the rest.
 *
 * Return: the number of bytes queued; -EINVAL for a NULL pointer, an empty
 * range or one beyond the dma-buf; -EBADF for a bad @sock; -ENODEV if the
 * binding was revoked (the exporter moved or revoked the buffer: bind it
 * again; the connection cannot get past the bytes it did not send, close
 * it) or the socket's route is not the binding's netdev; -ENOBUFS when too
 * many completions are pending (reap them, then send again); or another
 * error of sendmsg().
 */
int64_t phyrbuf_devmem_send(const struct phyrbuf_devmem_tx *tx, int sock,
			    uint64_t offset, uint64_t length,
			    struct phyrbuf_devmem_zc *zc);

/**
 * phyrbuf_devmem_reap() - collect a socket's zerocopy completions
 * @sock: the TCP socket
 * @zc: its bookkeeping: @zc->completed and @zc->copied are counted here
 * @timeout_ms: 0 to take only what is there, -1 to wait until every send
 *	completed, else how long to wait for that at most
 *
 * Reads the socket's error queue (MSG_ERRQUEUE): each zerocopy notification
 * covers a range of sends.  Other notifications on the queue are dropped.
 *
 * Return: the number of sends not completed yet (0: all), -EINVAL for a
 * NULL @zc or one that counts more completions than sends, -EBADF for a bad
 * @sock, or another error of recvmsg().
 */
int phyrbuf_devmem_reap(int sock, struct phyrbuf_devmem_zc *zc, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* PHYRBUF_H */
