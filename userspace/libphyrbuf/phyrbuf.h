/* SPDX-License-Identifier: MIT */
/*
 * libphyrbuf: buffers of the phyr_vgem DRM driver from userspace.
 *
 * A small C library over libdrm: find and open a phyr_vgem device, create
 * buffers in system or device memory, query them, map them, move them between
 * placements, share them as dma-bufs between phyr_vgem devices, and use
 * phyr_vgem's fences.
 *
 * Conventions:
 * - Every function that can fail returns 0 (or a count) on success and a
 *   negative errno value on failure; errno itself is never the interface.
 * - Objects (&struct phyrbuf_dev, &struct phyrbuf_bo) are opaque.  A buffer
 *   belongs to the device it was created on or imported into, and must be
 *   closed before that device.
 * - Nothing is thread-safe beyond what the kernel guarantees: use one object
 *   from one thread at a time.
 *
 * Copyright 2026 The phyr developers
 */
#ifndef PHYRBUF_H
#define PHYRBUF_H

#include <stddef.h>
#include <stdint.h>

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
 * Flags of phyrbuf_bo_create().
 * PHYRBUF_BO_CONTIGUOUS: physically contiguous device memory (one range).
 */
#define PHYRBUF_BO_CONTIGUOUS		(1u << 0)

/*
 * dma-buf flavour bits (&phyrbuf_bo_info.flavours and .import_flavour), the
 * kernel's PHYR_VGEM_FLAVOUR_*: what a buffer's dma-buf hands an importer.
 */
#define PHYRBUF_FLAVOUR_SG_TABLE	(1u << 0)	/* a scatterlist */
#define PHYRBUF_FLAVOUR_PHYR		(1u << 1)	/* physical ranges */
#define PHYRBUF_FLAVOUR_PRIVATE		(1u << 2)	/* interconnect-private */
#define PHYRBUF_FLAVOUR_CPU_ACCESS	(1u << 3)	/* copies by the kernel's CPU */

/*
 * Flags of phyrbuf_open().
 * PHYRBUF_OPEN_DEVICE_MEMORY: the device must have device memory.
 */
#define PHYRBUF_OPEN_DEVICE_MEMORY	(1u << 0)

/* Index argument of phyrbuf_open(): the first device that fits the flags. */
#define PHYRBUF_ANY			(-1)

/* Flags of phyrbuf_bo_fence_attach(): a write (exclusive) fence, else read. */
#define PHYRBUF_FENCE_WRITE		(1u << 0)

/** Longest node path or bus location kept in &struct phyrbuf_dev_info. */
#define PHYRBUF_PATH_MAX		64

/**
 * struct phyrbuf_dev_info - what a phyr_vgem device is and has
 * @index: its position among the phyr_vgem devices (see phyrbuf_open())
 * @node: the DRM node this handle opened, e.g. "/dev/dri/card1" (the
 *	primary node: mapping buffers needs it)
 * @render_node: the device's render node, "" if it has none
 * @bus: the bus the device sits on, e.g. "pci" or "faux"
 * @location: the device on that bus, e.g. "0000:00:04.0" or "phyr_vgem"
 * @device_size: bytes of device memory, 0 for a device with system memory only
 * @device_free: bytes of device memory not allocated now
 */
struct phyrbuf_dev_info {
	int index;
	char node[PHYRBUF_PATH_MAX];
	char render_node[PHYRBUF_PATH_MAX];
	char bus[PHYRBUF_PATH_MAX];
	char location[PHYRBUF_PATH_MAX];
	uint64_t device_size;
	uint64_t device_free;
};

/**
 * struct phyrbuf_bo_info - what a buffer is now (phyrbuf_bo_query())
 * @size: bytes
 * @placement: an &enum phyrbuf_placement
 * @nr_ranges: physically contiguous ranges it is made of now (0 for system
 *	memory not populated yet)
 * @flavours: PHYRBUF_FLAVOUR_* bits its dma-buf offers importers now; 0 for
 *	a buffer imported from another device
 * @import_flavour: for a buffer imported from another device's dma-buf, the
 *	one PHYRBUF_FLAVOUR_* bit negotiated with the exporter; 0 for own buffers
 */
struct phyrbuf_bo_info {
	uint64_t size;
	uint32_t placement;
	uint64_t nr_ranges;
	uint32_t flavours;
	uint32_t import_flavour;
};

/* ---- devices ---- */

/**
 * phyrbuf_device_count() - count the phyr_vgem devices
 *
 * Devices are found by driver name through libdrm (drmGetDevices2() and
 * drmGetVersion()), never by a fixed path; devices on buses libdrm does not
 * know (the faux bus of the system-memory-only device) are found by a scan of
 * /dev/dri.  They are ordered by primary node number, which is the index
 * phyrbuf_open() takes.
 *
 * Nodes that cannot be opened (permissions) are left out, as their driver
 * cannot be asked.
 *
 * Return: the number of phyr_vgem devices (0 if none), or a negative errno:
 * the error of opening a DRM node (e.g. -EACCES) when no device was found and
 * some node could not be opened; -ENOMEM.
 */
int phyrbuf_device_count(void);

/**
 * phyrbuf_open() - open a phyr_vgem device
 * @index: the index of the device (0 for the first, see
 *	phyrbuf_device_count()), or %PHYRBUF_ANY for the first that fits @flags
 * @flags: 0 or %PHYRBUF_OPEN_DEVICE_MEMORY
 * @devp: the opened device, on success
 *
 * Return: 0; -ENODEV if there is no such phyr_vgem device (none at all, @index
 * beyond the last, or with %PHYRBUF_OPEN_DEVICE_MEMORY: no device memory on
 * the device asked for, or on any device); -EINVAL for unknown @flags or a
 * negative @index other than %PHYRBUF_ANY; -ENOMEM; or the error of opening
 * a node (e.g. -EACCES: the device's, or, when no phyr_vgem device was found
 * at all, one that could not be asked for its driver).
 */
int phyrbuf_open(int index, unsigned int flags, struct phyrbuf_dev **devp);

/**
 * phyrbuf_close() - close a device opened by phyrbuf_open()
 * @dev: the device, or NULL (then nothing happens)
 *
 * Buffers of @dev must be closed before.  The kernel drops every GEM handle
 * of the DRM file anyway; dma-bufs exported from it stay valid.
 */
void phyrbuf_close(struct phyrbuf_dev *dev);

/**
 * phyrbuf_dev_fd() - the DRM file descriptor behind a device
 * @dev: the device
 *
 * For ioctls the library does not wrap.  It stays owned by @dev.
 *
 * Return: the file descriptor.
 */
int phyrbuf_dev_fd(const struct phyrbuf_dev *dev);

/**
 * phyrbuf_dev_info() - what a device is and has now
 * @dev: the device
 * @info: filled in on success (device_free is read from the kernel now)
 *
 * Return: 0, or a negative errno from DRM_IOCTL_PHYR_VGEM_INFO (-EINVAL or
 * -ENOTTY from a kernel without it).
 */
int phyrbuf_dev_info(struct phyrbuf_dev *dev, struct phyrbuf_dev_info *info);

/* ---- buffers ---- */

/**
 * phyrbuf_bo_create() - create a buffer
 * @dev: the device
 * @size: bytes, a nonzero multiple of the page size
 * @placement: an &enum phyrbuf_placement
 * @flags: 0 or %PHYRBUF_BO_CONTIGUOUS
 * @bop: the new buffer, on success
 *
 * Return: 0; -EINVAL for a @size of 0, not a multiple of the page size or
 * above the placement's capacity, an unknown @placement or @flags; -ENODEV
 * for device memory on a device without it; -ENOSPC when device memory is
 * exhausted; -ENOMEM.
 */
int phyrbuf_bo_create(struct phyrbuf_dev *dev, uint64_t size, uint32_t placement,
		      uint32_t flags, struct phyrbuf_bo **bop);

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
 * phyrbuf_bo_close() - close a buffer and free its object
 * @bo: the buffer, or NULL (then 0)
 *
 * Drops a reference (see phyrbuf_bo_import()); the last one closes the GEM
 * handle, and the memory is freed when no mapping, dma-buf or importer holds
 * it any more.  @bo is freed even when the kernel refuses.
 *
 * Return: 0, or a negative errno of DRM_IOCTL_GEM_CLOSE (-EINVAL for a handle
 * that was already closed).
 */
int phyrbuf_bo_close(struct phyrbuf_bo *bo);

/**
 * phyrbuf_bo_handle() - the GEM handle of a buffer
 * @bo: the buffer
 *
 * Return: the handle, valid on the DRM file of phyrbuf_bo_dev(@bo).
 */
uint32_t phyrbuf_bo_handle(const struct phyrbuf_bo *bo);

/**
 * phyrbuf_bo_size() - the size of a buffer
 * @bo: the buffer
 *
 * Return: bytes.
 */
uint64_t phyrbuf_bo_size(const struct phyrbuf_bo *bo);

/**
 * phyrbuf_bo_dev() - the device a buffer belongs to
 * @bo: the buffer
 *
 * Return: the device.
 */
struct phyrbuf_dev *phyrbuf_bo_dev(const struct phyrbuf_bo *bo);

/**
 * phyrbuf_bo_query() - what a buffer is now
 * @bo: the buffer
 * @info: filled in on success
 *
 * Return: 0; -ENOENT for a handle that is gone.
 */
int phyrbuf_bo_query(struct phyrbuf_bo *bo, struct phyrbuf_bo_info *info);

/**
 * phyrbuf_bo_mmap() - map a whole buffer into the CPU's address space
 * @bo: the buffer
 * @ptr: the mapping (readable and writable, shared), on success
 *
 * The mapping follows the buffer: after phyrbuf_bo_migrate() it faults in the
 * new placement.  phyr_vgem maps both placements write-combined and
 * coherent.  DRM gives no GEM mmap offset for a buffer imported from another
 * device; for those the library maps the dma-buf (a duplicate of the fd
 * given to phyrbuf_bo_import(), kept until the buffer is closed), which its
 * exporter serves.  Unmap with phyrbuf_bo_munmap().
 *
 * Return: 0; -ENOENT for a handle that is gone; or the error of mmap().
 */
int phyrbuf_bo_mmap(struct phyrbuf_bo *bo, void **ptr);

/**
 * phyrbuf_bo_munmap() - unmap a mapping made by phyrbuf_bo_mmap()
 * @bo: the buffer
 * @ptr: the mapping
 *
 * Return: 0, or the error of munmap().
 */
int phyrbuf_bo_munmap(struct phyrbuf_bo *bo, void *ptr);

/**
 * phyrbuf_bo_export() - export a buffer as a dma-buf
 * @bo: the buffer
 * @dmabuf_fd: the new dma-buf file descriptor (read-write, close-on-exec),
 *	on success; the caller closes it
 *
 * Return: 0; -ENOENT for a handle that is gone; or another negative errno
 * from DRM_IOCTL_PRIME_HANDLE_TO_FD.
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
 * Return: 0; -EBADF for a bad @dmabuf_fd; -EOPNOTSUPP if no flavour
 * matches; or another negative errno from DRM_IOCTL_PRIME_FD_TO_HANDLE.
 */
int phyrbuf_bo_import(struct phyrbuf_dev *dev, int dmabuf_fd, struct phyrbuf_bo **bop);

/**
 * phyrbuf_bo_migrate() - move a buffer to another placement
 * @bo: the buffer
 * @placement: the new &enum phyrbuf_placement
 *
 * Copies the contents; importers drop their mappings and CPU mappings fault
 * in the new placement.  Migrating to the current placement does nothing.
 *
 * Return: 0; -EINVAL for an unknown @placement; -ENOENT for a handle that is
 * gone; -ENODEV for device memory on a device without it; -ENOSPC when device
 * memory is exhausted; -EBUSY while an importer that cannot be told to unmap
 * holds a mapping.
 */
int phyrbuf_bo_migrate(struct phyrbuf_bo *bo, uint32_t placement);

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
 * that is gone; -EINVAL for unknown @flags.
 */
int phyrbuf_bo_fence_attach(struct phyrbuf_bo *bo, uint32_t flags, uint32_t *fence);

/**
 * phyrbuf_fence_signal() - signal a fence made by phyrbuf_bo_fence_attach()
 * @dev: the device of the fenced buffer (fence ids are per DRM file)
 * @fence: the fence id
 *
 * Return: 0; -ENOENT for an unknown or already signaled fence; -ETIMEDOUT if
 * the fence had timed out.
 */
int phyrbuf_fence_signal(struct phyrbuf_dev *dev, uint32_t fence);

/* ---- dma-bufs ---- */

/**
 * phyrbuf_dmabuf_flavours() - the "flavours:" line of a dma-buf's fdinfo
 * @dmabuf_fd: the dma-buf
 * @buf: receives the line's text after the tab, without the newline, e.g.
 *	"phyr+cpu sg_table+cpu"
 * @len: the size of @buf
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
 * Return: 1 if busy, 0 if idle, or the negative errno of poll().
 */
int phyrbuf_dmabuf_busy(int dmabuf_fd, int write);

/* ---- names ---- */

/**
 * phyrbuf_placement_name() - the name of a placement
 * @placement: an &enum phyrbuf_placement
 *
 * Return: "system", "device" or "unknown".
 */
const char *phyrbuf_placement_name(uint32_t placement);

/**
 * phyrbuf_placement_parse() - a placement from its name
 * @name: "system" or "device"
 * @placement: the placement, on success
 *
 * Return: 0, or -EINVAL for another name.
 */
int phyrbuf_placement_parse(const char *name, uint32_t *placement);

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
 * Exports @bo as a dma-buf and registers it with ibv_reg_dmabuf_mr(): the
 * RDMA device maps the buffer where it is and follows it when it moves (see
 * the kernel's docs).  For a provider without the dma-buf verb (rdma-core's
 * rxe provider has none), the registration goes to the kernel through
 * libibverbs' own command, ibv_cmd_reg_dmabuf_mr(), which is what such a
 * provider's verb would do.  The dma-buf fd is closed again: the region
 * holds the buffer until it is deregistered.
 *
 * Return: 0; -EINVAL for NULL pointers, or the range outside the buffer, or
 * an @iova not in @offset's place in a page; -EOPNOTSUPP if the device or
 * the buffer's exporter cannot do it (e.g. remote atomics on device memory,
 * which is write-combined) or libphyrbuf has no RDMA; -ENODEV if the buffer
 * is revoked; another errno of the kernel.
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

#ifdef __cplusplus
}
#endif

#endif /* PHYRBUF_H */
