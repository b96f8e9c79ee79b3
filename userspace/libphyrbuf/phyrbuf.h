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

#ifdef __cplusplus
}
#endif

#endif /* PHYRBUF_H */
