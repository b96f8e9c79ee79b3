// SPDX-License-Identifier: MIT
/*
 * libphyrbuf: buffers in an iommufd I/O address space, and vfio-pci devices
 * whose DMA goes through it (docs/libphyrbuf.md).  Built against the uAPI
 * headers of the kernel under test (7.3: IOMMU_IOAS_MAP_FILE, VFIO cdevs,
 * VFIO_DEVICE_FEATURE_DMA_BUF).
 *
 * Copyright 2026 The phyr developers
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "phyrbuf.h"

#define PHYRBUF_EXPORT	__attribute__((visibility("default")))

struct phyrbuf_ioas {
	int fd;
	uint32_t ioas_id;
};

struct phyrbuf_vfio {
	struct phyrbuf_ioas *ioas;
	int fd;
	uint32_t devid;
	uint16_t command;	/* PCI_COMMAND before we enabled the device */
	struct {
		void *ptr;
		size_t size;
	} bars[6];
};

/* the ioctl's negative errno, or 0 */
static int xioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

static uint32_t map_flags(unsigned int flags)
{
	uint32_t f = 0;

	if (!flags)
		flags = PHYRBUF_MAP_READ | PHYRBUF_MAP_WRITE;
	if (flags & PHYRBUF_MAP_READ)
		f |= IOMMU_IOAS_MAP_READABLE;
	if (flags & PHYRBUF_MAP_WRITE)
		f |= IOMMU_IOAS_MAP_WRITEABLE;
	return f;
}

PHYRBUF_EXPORT int phyrbuf_ioas_open(struct phyrbuf_ioas **ioasp)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct phyrbuf_ioas *ioas;
	int ret;

	if (!ioasp)
		return -EINVAL;
	ioas = calloc(1, sizeof(*ioas));
	if (!ioas)
		return -ENOMEM;
	ioas->fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (ioas->fd < 0) {
		ret = -errno;
		free(ioas);
		return ret;
	}
	ret = xioctl(ioas->fd, IOMMU_IOAS_ALLOC, &alloc);
	if (ret) {
		close(ioas->fd);
		free(ioas);
		return ret;
	}
	ioas->ioas_id = alloc.out_ioas_id;
	*ioasp = ioas;
	return 0;
}

PHYRBUF_EXPORT void phyrbuf_ioas_close(struct phyrbuf_ioas *ioas)
{
	struct iommu_destroy destroy = { .size = sizeof(destroy) };

	if (!ioas)
		return;
	destroy.id = ioas->ioas_id;
	xioctl(ioas->fd, IOMMU_DESTROY, &destroy);
	close(ioas->fd);
	free(ioas);
}

PHYRBUF_EXPORT int phyrbuf_ioas_fd(const struct phyrbuf_ioas *ioas)
{
	return ioas->fd;
}

PHYRBUF_EXPORT uint32_t phyrbuf_ioas_id(const struct phyrbuf_ioas *ioas)
{
	return ioas->ioas_id;
}

PHYRBUF_EXPORT int phyrbuf_ioas_map_dmabuf(struct phyrbuf_ioas *ioas, int dmabuf_fd,
					   uint64_t offset, uint64_t length,
					   uint64_t iova, unsigned int flags)
{
	struct iommu_ioas_map_file map = {
		.size = sizeof(map),
		.fd = dmabuf_fd,
		.start = offset,
		.length = length,
		.iova = iova,
	};

	if (!ioas || (flags & ~(PHYRBUF_MAP_READ | PHYRBUF_MAP_WRITE)))
		return -EINVAL;
	map.flags = IOMMU_IOAS_MAP_FIXED_IOVA | map_flags(flags);
	map.ioas_id = ioas->ioas_id;
	return xioctl(ioas->fd, IOMMU_IOAS_MAP_FILE, &map);
}

PHYRBUF_EXPORT int phyrbuf_ioas_map_bo(struct phyrbuf_ioas *ioas, struct phyrbuf_bo *bo,
				       uint64_t iova, unsigned int flags)
{
	int fd, ret;

	if (!ioas || !bo)
		return -EINVAL;
	ret = phyrbuf_bo_export(bo, &fd);
	if (ret)
		return ret;
	ret = phyrbuf_ioas_map_dmabuf(ioas, fd, 0, phyrbuf_bo_size(bo), iova, flags);
	close(fd);
	return ret;
}

PHYRBUF_EXPORT int phyrbuf_ioas_map_memory(struct phyrbuf_ioas *ioas, void *ptr,
					   uint64_t length, uint64_t iova,
					   unsigned int flags)
{
	long page = sysconf(_SC_PAGESIZE);
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.user_va = (uintptr_t)ptr,
		.length = length,
		.iova = iova,
	};

	if (!ioas || !ptr || ((uintptr_t)ptr | length) % page ||
	    (flags & ~(PHYRBUF_MAP_READ | PHYRBUF_MAP_WRITE)))
		return -EINVAL;
	map.flags = IOMMU_IOAS_MAP_FIXED_IOVA | map_flags(flags);
	map.ioas_id = ioas->ioas_id;
	return xioctl(ioas->fd, IOMMU_IOAS_MAP, &map);
}

PHYRBUF_EXPORT int phyrbuf_ioas_unmap(struct phyrbuf_ioas *ioas, uint64_t iova,
				      uint64_t length)
{
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.iova = iova,
		.length = length,
	};
	int ret;

	if (!ioas)
		return -EINVAL;
	unmap.ioas_id = ioas->ioas_id;
	ret = xioctl(ioas->fd, IOMMU_IOAS_UNMAP, &unmap);
	/* iommufd says ENOENT for "nothing there", and for a partial hit too */
	if (!ret && unmap.length != length)
		return -ENOENT;
	return ret;
}

/* /dev/vfio/devices/vfioN of the PCI device @pci */
static int vfio_cdev(const char *pci, char *path, size_t len)
{
	char dir[128];
	struct dirent *e;
	DIR *d;
	int n;

	n = snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", pci);
	if (n < 0 || (size_t)n >= sizeof(dir) || strchr(pci, '/'))
		return -EINVAL;
	if (access(dir, F_OK))
		return -ENODEV;
	strcat(dir, "/vfio-dev");
	d = opendir(dir);
	if (!d)
		return -ENXIO;
	while ((e = readdir(d))) {
		if (!strncmp(e->d_name, "vfio", 4)) {
			n = snprintf(path, len, "/dev/vfio/devices/%s", e->d_name);
			closedir(d);
			return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
		}
	}
	closedir(d);
	return -ENXIO;
}

static int region_info(struct phyrbuf_vfio *vfio, unsigned int index,
		       struct vfio_region_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	return xioctl(vfio->fd, VFIO_DEVICE_GET_REGION_INFO, info);
}

/* PCI_COMMAND, read or written through the config region */
static int pci_command(struct phyrbuf_vfio *vfio, uint16_t *cmd, int write)
{
	struct vfio_region_info cfg;
	ssize_t n;
	int ret;

	ret = region_info(vfio, VFIO_PCI_CONFIG_REGION_INDEX, &cfg);
	if (ret)
		return ret;
	if (write)
		n = pwrite(vfio->fd, cmd, sizeof(*cmd), cfg.offset + PCI_COMMAND);
	else
		n = pread(vfio->fd, cmd, sizeof(*cmd), cfg.offset + PCI_COMMAND);
	if (n < 0)
		return -errno;
	return n == sizeof(*cmd) ? 0 : -EIO;
}

PHYRBUF_EXPORT int phyrbuf_vfio_open(struct phyrbuf_ioas *ioas, const char *pci,
				     struct phyrbuf_vfio **vfiop)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	struct phyrbuf_vfio *vfio;
	char path[64];
	int ret;

	if (!ioas || !pci || !vfiop)
		return -EINVAL;
	ret = vfio_cdev(pci, path, sizeof(path));
	if (ret)
		return ret;
	vfio = calloc(1, sizeof(*vfio));
	if (!vfio)
		return -ENOMEM;
	vfio->ioas = ioas;
	vfio->fd = open(path, O_RDWR | O_CLOEXEC);
	if (vfio->fd < 0) {
		ret = -errno;
		free(vfio);
		return ret;
	}
	bind.iommufd = ioas->fd;
	ret = xioctl(vfio->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind);
	if (ret)
		goto err_close;
	vfio->devid = bind.out_devid;
	attach.pt_id = ioas->ioas_id;
	ret = xioctl(vfio->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);
	if (ret)
		goto err_close;
	ret = pci_command(vfio, &vfio->command, 0);
	if (!ret) {
		uint16_t cmd = vfio->command | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;

		ret = pci_command(vfio, &cmd, 1);
	}
	if (ret)
		goto err_close;
	*vfiop = vfio;
	return 0;

err_close:
	/* closing the cdev unbinds and detaches */
	close(vfio->fd);
	free(vfio);
	return ret;
}

PHYRBUF_EXPORT void phyrbuf_vfio_close(struct phyrbuf_vfio *vfio)
{
	unsigned int i;

	if (!vfio)
		return;
	for (i = 0; i < 6; i++)
		if (vfio->bars[i].ptr)
			munmap(vfio->bars[i].ptr, vfio->bars[i].size);
	pci_command(vfio, &vfio->command, 1);
	close(vfio->fd);
	free(vfio);
}

PHYRBUF_EXPORT int phyrbuf_vfio_bar_mmap(struct phyrbuf_vfio *vfio, unsigned int bar,
					 volatile void **ptr, uint64_t *size)
{
	struct vfio_region_info info;
	void *p;
	int ret;

	if (!vfio || !ptr || bar > 5)
		return -EINVAL;
	if (!vfio->bars[bar].ptr) {
		ret = region_info(vfio, VFIO_PCI_BAR0_REGION_INDEX + bar, &info);
		if (ret)
			return ret;
		if (!info.size || !(info.flags & VFIO_REGION_INFO_FLAG_MMAP))
			return -EINVAL;
		p = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 vfio->fd, info.offset);
		if (p == MAP_FAILED)
			return -errno;
		vfio->bars[bar].ptr = p;
		vfio->bars[bar].size = info.size;
	}
	*ptr = vfio->bars[bar].ptr;
	if (size)
		*size = vfio->bars[bar].size;
	return 0;
}

PHYRBUF_EXPORT int phyrbuf_vfio_bar_dmabuf(struct phyrbuf_vfio *vfio, unsigned int bar,
					   uint64_t offset, uint64_t length,
					   int *dmabuf_fd)
{
	/* the feature header, then the dma-buf request with one range */
	union {
		uint64_t align;
		unsigned char bytes[sizeof(struct vfio_device_feature) +
				    sizeof(struct vfio_device_feature_dma_buf) +
				    sizeof(struct vfio_region_dma_range)];
	} arg;
	struct vfio_device_feature *feature = (void *)arg.bytes;
	struct vfio_device_feature_dma_buf *dma_buf = (void *)feature->data;
	struct vfio_region_dma_range *range = (void *)(dma_buf + 1);
	int fd;

	if (!vfio || !dmabuf_fd || bar > 5 || !length)
		return -EINVAL;
	memset(&arg, 0, sizeof(arg));
	feature->argsz = sizeof(arg.bytes);
	feature->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	dma_buf->region_index = VFIO_PCI_BAR0_REGION_INDEX + bar;
	dma_buf->open_flags = O_RDWR | O_CLOEXEC;
	dma_buf->nr_ranges = 1;
	range->offset = offset;
	range->length = length;
	fd = ioctl(vfio->fd, VFIO_DEVICE_FEATURE, arg.bytes);
	if (fd < 0)
		return -errno;
	*dmabuf_fd = fd;
	return 0;
}

PHYRBUF_EXPORT int phyrbuf_vfio_memory(struct phyrbuf_vfio *vfio, int enable)
{
	uint16_t cmd;
	int ret;

	if (!vfio)
		return -EINVAL;
	ret = pci_command(vfio, &cmd, 0);
	if (ret)
		return ret;
	if (enable)
		cmd |= PCI_COMMAND_MEMORY;
	else
		cmd &= ~PCI_COMMAND_MEMORY;
	return pci_command(vfio, &cmd, 1);
}

PHYRBUF_EXPORT int phyrbuf_vfio_hwpt_alloc(struct phyrbuf_vfio *vfio, uint32_t *hwpt_id)
{
	struct iommu_hwpt_alloc alloc = { .size = sizeof(alloc) };
	int ret;

	if (!vfio || !hwpt_id)
		return -EINVAL;
	alloc.dev_id = vfio->devid;
	alloc.pt_id = vfio->ioas->ioas_id;
	ret = xioctl(vfio->ioas->fd, IOMMU_HWPT_ALLOC, &alloc);
	if (!ret)
		*hwpt_id = alloc.out_hwpt_id;
	return ret;
}

PHYRBUF_EXPORT int phyrbuf_vfio_attach(struct phyrbuf_vfio *vfio, uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };

	if (!vfio)
		return -EINVAL;
	attach.pt_id = pt_id ? pt_id : vfio->ioas->ioas_id;
	return xioctl(vfio->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);
}

PHYRBUF_EXPORT int phyrbuf_ioas_destroy(struct phyrbuf_ioas *ioas, uint32_t id)
{
	struct iommu_destroy destroy = { .size = sizeof(destroy), .id = id };

	if (!ioas)
		return -EINVAL;
	return xioctl(ioas->fd, IOMMU_DESTROY, &destroy);
}
