// SPDX-License-Identifier: MIT
/*
 * libphyrbuf: buffers of the phyr_vgem DRM driver from userspace.
 *
 * Copyright 2026 The phyr developers
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <xf86drm.h>
#include <drm_mode.h>

#include "phyr_vgem_drm.h"
#include "phyrbuf.h"

#define PHYRBUF_EXPORT	__attribute__((visibility("default")))
#define DRIVER_NAME	"phyr_vgem"
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Our public values are the kernel's. */
_Static_assert((int)PHYRBUF_PLACEMENT_SYSTEM == (int)PHYR_VGEM_PLACEMENT_SYSTEM, "placement");
_Static_assert((int)PHYRBUF_PLACEMENT_DEVICE == (int)PHYR_VGEM_PLACEMENT_DEVICE, "placement");
_Static_assert(PHYRBUF_BO_CONTIGUOUS == PHYR_VGEM_BO_CONTIGUOUS, "bo flags");
_Static_assert(PHYRBUF_FLAVOUR_SG_TABLE == PHYR_VGEM_FLAVOUR_SG_TABLE, "flavour");
_Static_assert(PHYRBUF_FLAVOUR_PHYR == PHYR_VGEM_FLAVOUR_PHYR, "flavour");
_Static_assert(PHYRBUF_FLAVOUR_PRIVATE == PHYR_VGEM_FLAVOUR_PRIVATE, "flavour");
_Static_assert(PHYRBUF_FLAVOUR_CPU_ACCESS == PHYR_VGEM_FLAVOUR_CPU_ACCESS, "flavour");
_Static_assert(PHYRBUF_FENCE_WRITE == PHYR_VGEM_FENCE_WRITE, "fence flags");

struct phyrbuf_dev {
	int fd;
	struct phyrbuf_dev_info info;	/* all but device_size/free */
	struct phyrbuf_bo *bos;		/* open buffers, one per GEM handle */
};

struct phyrbuf_bo {
	struct phyrbuf_dev *dev;
	struct phyrbuf_bo *next;
	unsigned int refs;
	uint32_t handle;
	uint64_t size;
	int dmabuf_fd;		/* imported: our dup of the dma-buf, else -1 */
};

/* A phyr_vgem device found by enumerate(). */
struct node {
	char primary[PHYRBUF_PATH_MAX];
	char render[PHYRBUF_PATH_MAX];
	dev_t rdev;			/* of the primary node */
};

/* ioctl() on the DRM file, restarted on EINTR/EAGAIN; 0 or -errno. */
static int xioctl(int fd, unsigned long req, void *arg)
{
	return drmIoctl(fd, req, arg) ? -errno : 0;
}

/* snprintf() into a buffer of PHYRBUF_PATH_MAX; false if it did not fit. */
static bool copy_path(char *dst, const char *src)
{
	size_t n = strlen(src);

	if (n >= PHYRBUF_PATH_MAX)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

/*
 * Whether the DRM node at @path belongs to phyr_vgem; false if it cannot be
 * opened, with the first such error kept in *@open_err.
 */
static bool is_phyr_vgem(const char *path, int *open_err)
{
	drmVersionPtr v;
	bool match;
	int fd;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		if (!*open_err)
			*open_err = -errno;
		return false;
	}
	v = drmGetVersion(fd);
	match = v && v->name && !strcmp(v->name, DRIVER_NAME);
	drmFreeVersion(v);
	close(fd);
	return match;
}

/* The render node of the device of the primary node @rdev, via sysfs; "" if none. */
static void find_render_node(dev_t rdev, char *render)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	render[0] = '\0';
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/device/drm",
		 major(rdev), minor(rdev));
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (!strncmp(de->d_name, "renderD", 7)) {
			snprintf(path, sizeof(path), "%s/%s", DRM_DIR_NAME, de->d_name);
			if (copy_path(render, path))
				break;
		}
	}
	closedir(dir);
}

static int add_node(struct node **nodes, int *nr, const struct node *n)
{
	struct node *grown;

	grown = realloc(*nodes, (*nr + 1) * sizeof(**nodes));
	if (!grown)
		return -ENOMEM;
	grown[(*nr)++] = *n;
	*nodes = grown;
	return 0;
}

static bool have_rdev(const struct node *nodes, int nr, dev_t rdev)
{
	int i;

	for (i = 0; i < nr; i++)
		if (nodes[i].rdev == rdev)
			return true;
	return false;
}

/* The phyr_vgem devices libdrm's drmGetDevices2() knows, with a primary node. */
static int enumerate_libdrm(struct node **nodes, int *nr, int *open_err)
{
	drmDevicePtr *devs;
	int nr_devs, i, ret = 0;

	nr_devs = drmGetDevices2(0, NULL, 0);
	if (nr_devs <= 0)
		return 0;	/* none, or no /dev/dri: the scan decides */
	devs = calloc(nr_devs, sizeof(*devs));
	if (!devs)
		return -ENOMEM;
	nr_devs = drmGetDevices2(0, devs, nr_devs);
	for (i = 0; i < nr_devs && !ret; i++) {
		struct node n = { 0 };
		struct stat st;

		if (!(devs[i]->available_nodes & (1 << DRM_NODE_PRIMARY)) ||
		    !copy_path(n.primary, devs[i]->nodes[DRM_NODE_PRIMARY]) ||
		    stat(n.primary, &st) || !is_phyr_vgem(n.primary, open_err))
			continue;
		if (!(devs[i]->available_nodes & (1 << DRM_NODE_RENDER)) ||
		    !copy_path(n.render, devs[i]->nodes[DRM_NODE_RENDER]))
			n.render[0] = '\0';
		n.rdev = st.st_rdev;
		if (!have_rdev(*nodes, *nr, n.rdev))
			ret = add_node(nodes, nr, &n);
	}
	if (nr_devs > 0)
		drmFreeDevices(devs, nr_devs);
	free(devs);
	return ret;
}

/*
 * The phyr_vgem devices drmGetDevices2() left out: libdrm skips devices on
 * buses it does not know, such as the faux bus of the system-memory device.
 */
static int enumerate_scan(struct node **nodes, int *nr, int *open_err)
{
	struct dirent *de;
	int ret = 0;
	DIR *dir;

	dir = opendir(DRM_DIR_NAME);
	if (!dir)
		return 0;
	while (!ret && (de = readdir(dir))) {
		struct node n = { 0 };
		char path[PATH_MAX];
		struct stat st;

		if (strncmp(de->d_name, DRM_PRIMARY_MINOR_NAME,
			    strlen(DRM_PRIMARY_MINOR_NAME)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", DRM_DIR_NAME, de->d_name);
		if (!copy_path(n.primary, path) || stat(path, &st) ||
		    !S_ISCHR(st.st_mode) || have_rdev(*nodes, *nr, st.st_rdev) ||
		    !is_phyr_vgem(path, open_err))
			continue;
		n.rdev = st.st_rdev;
		find_render_node(n.rdev, n.render);
		ret = add_node(nodes, nr, &n);
	}
	closedir(dir);
	return ret;
}

static int cmp_node(const void *a, const void *b)
{
	const struct node *x = a, *y = b;

	if (minor(x->rdev) != minor(y->rdev))
		return minor(x->rdev) < minor(y->rdev) ? -1 : 1;
	return 0;
}

/*
 * Every phyr_vgem device, ordered by primary minor; the count or -errno.
 * *@open_err: the first error opening a DRM node (whose driver is unknown
 * then), or 0.
 */
static int enumerate(struct node **nodes, int *open_err)
{
	int nr = 0, ret;

	*nodes = NULL;
	*open_err = 0;
	ret = enumerate_libdrm(nodes, &nr, open_err);
	if (!ret)
		ret = enumerate_scan(nodes, &nr, open_err);
	if (ret) {
		free(*nodes);
		*nodes = NULL;
		return ret;
	}
	if (nr)
		qsort(*nodes, nr, sizeof(**nodes), cmp_node);
	return nr;
}

PHYRBUF_EXPORT int phyrbuf_device_count(void)
{
	struct node *nodes;
	int nr, open_err;

	nr = enumerate(&nodes, &open_err);
	free(nodes);
	/* none readable: say why rather than "none" */
	return nr == 0 && open_err ? open_err : nr;
}

/* The basename of the symlink target of @path into @out ("" if none). */
static void link_name(const char *path, char *out)
{
	char target[PATH_MAX];
	const char *base;
	ssize_t n;

	out[0] = '\0';
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (!copy_path(out, base))
		out[0] = '\0';
}

static void bus_location(dev_t rdev, struct phyrbuf_dev_info *info)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/device/subsystem",
		 major(rdev), minor(rdev));
	link_name(path, info->bus);
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/device",
		 major(rdev), minor(rdev));
	link_name(path, info->location);
}

static int query_info(int fd, struct drm_phyr_vgem_info *arg)
{
	memset(arg, 0, sizeof(*arg));
	return xioctl(fd, DRM_IOCTL_PHYR_VGEM_INFO, arg);
}

/* Open @n as device @index; *devp on success. */
static int open_node(const struct node *n, int index, struct phyrbuf_dev **devp)
{
	struct phyrbuf_dev *dev;

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->fd = open(n->primary, O_RDWR | O_CLOEXEC);
	if (dev->fd < 0) {
		int err = -errno;

		free(dev);
		return err;
	}
	dev->info.index = index;
	memcpy(dev->info.node, n->primary, sizeof(dev->info.node));
	memcpy(dev->info.render_node, n->render, sizeof(dev->info.render_node));
	bus_location(n->rdev, &dev->info);
	*devp = dev;
	return 0;
}

/* Whether the open device has device memory: 1, 0 or -errno. */
static int has_device_memory(struct phyrbuf_dev *dev)
{
	struct drm_phyr_vgem_info arg;
	int ret;

	ret = query_info(dev->fd, &arg);
	if (ret)
		return ret;
	return arg.device_size > 0;
}

PHYRBUF_EXPORT int phyrbuf_open(int index, unsigned int flags, struct phyrbuf_dev **devp)
{
	bool need_devmem = flags & PHYRBUF_OPEN_DEVICE_MEMORY;
	struct phyrbuf_dev *dev = NULL;
	struct node *nodes;
	int nr, i, ret, open_err;

	if (!devp || (flags & ~PHYRBUF_OPEN_DEVICE_MEMORY) ||
	    (index < 0 && index != PHYRBUF_ANY))
		return -EINVAL;

	nr = enumerate(&nodes, &open_err);
	if (nr < 0)
		return nr;

	/* nothing found: a node we could not open may have been it */
	ret = nr == 0 && open_err ? open_err : -ENODEV;
	for (i = 0; i < nr; i++) {
		if (index != PHYRBUF_ANY && i != index)
			continue;
		ret = open_node(&nodes[i], i, &dev);
		if (ret)
			break;
		if (need_devmem) {
			ret = has_device_memory(dev);
			if (ret <= 0) {
				phyrbuf_close(dev);
				dev = NULL;
				/* a kernel without INFO has no device memory */
				ret = -ENODEV;
				if (index == PHYRBUF_ANY)
					continue;
				break;
			}
			ret = 0;
		}
		break;
	}
	free(nodes);
	if (!ret)
		*devp = dev;
	return ret;
}

PHYRBUF_EXPORT void phyrbuf_close(struct phyrbuf_dev *dev)
{
	struct phyrbuf_bo *bo, *next;

	if (!dev)
		return;
	/* buffers left open: their handles go with the file */
	for (bo = dev->bos; bo; bo = next) {
		next = bo->next;
		if (bo->dmabuf_fd >= 0)
			close(bo->dmabuf_fd);
		free(bo);
	}
	close(dev->fd);
	free(dev);
}

PHYRBUF_EXPORT int phyrbuf_dev_fd(const struct phyrbuf_dev *dev)
{
	return dev->fd;
}

PHYRBUF_EXPORT int phyrbuf_dev_info(struct phyrbuf_dev *dev, struct phyrbuf_dev_info *info)
{
	struct drm_phyr_vgem_info arg;
	int ret;

	if (!dev || !info)
		return -EINVAL;
	ret = query_info(dev->fd, &arg);
	if (ret)
		return ret;
	*info = dev->info;
	info->device_size = arg.device_size;
	info->device_free = arg.device_free;
	return 0;
}

/* ---- buffers ---- */

static struct phyrbuf_bo *find_bo(struct phyrbuf_dev *dev, uint32_t handle)
{
	struct phyrbuf_bo *bo;

	for (bo = dev->bos; bo; bo = bo->next)
		if (bo->handle == handle)
			return bo;
	return NULL;
}

/*
 * The object for a handle the kernel just gave us: a new one, or the one the
 * library already has for it with one more reference.
 */
static int get_bo(struct phyrbuf_dev *dev, uint32_t handle, uint64_t size,
		  struct phyrbuf_bo **bop)
{
	struct phyrbuf_bo *bo = find_bo(dev, handle);

	if (bo) {
		bo->refs++;
		*bop = bo;
		return 0;
	}
	bo = calloc(1, sizeof(*bo));
	if (!bo)
		return -ENOMEM;
	bo->dev = dev;
	bo->refs = 1;
	bo->handle = handle;
	bo->size = size;
	bo->dmabuf_fd = -1;
	bo->next = dev->bos;
	dev->bos = bo;
	*bop = bo;
	return 0;
}

PHYRBUF_EXPORT int phyrbuf_bo_create(struct phyrbuf_dev *dev, uint64_t size,
				     uint32_t placement, uint32_t flags,
				     struct phyrbuf_bo **bop)
{
	struct drm_phyr_vgem_bo_create arg = {
		.size = size,
		.placement = placement,
		.flags = flags,
	};
	int ret;

	if (!dev || !bop)
		return -EINVAL;
	ret = xioctl(dev->fd, DRM_IOCTL_PHYR_VGEM_BO_CREATE, &arg);
	if (ret)
		return ret;
	ret = get_bo(dev, arg.handle, arg.size, bop);
	if (ret)
		drmCloseBufferHandle(dev->fd, arg.handle);
	return ret;
}

static int bo_query(struct phyrbuf_dev *dev, uint32_t handle,
		    struct drm_phyr_vgem_bo_query *arg)
{
	memset(arg, 0, sizeof(*arg));
	arg->handle = handle;
	return xioctl(dev->fd, DRM_IOCTL_PHYR_VGEM_BO_QUERY, arg);
}

PHYRBUF_EXPORT int phyrbuf_bo_wrap(struct phyrbuf_dev *dev, uint32_t handle,
				   struct phyrbuf_bo **bop)
{
	struct drm_phyr_vgem_bo_query arg;
	int ret;

	if (!dev || !bop)
		return -EINVAL;
	ret = bo_query(dev, handle, &arg);
	if (ret)
		return ret;
	return get_bo(dev, handle, arg.size, bop);
}

PHYRBUF_EXPORT int phyrbuf_bo_close(struct phyrbuf_bo *bo)
{
	struct phyrbuf_dev *dev;
	struct phyrbuf_bo **p;
	int ret;

	if (!bo)
		return 0;
	if (--bo->refs)
		return 0;
	dev = bo->dev;
	for (p = &dev->bos; *p; p = &(*p)->next) {
		if (*p == bo) {
			*p = bo->next;
			break;
		}
	}
	ret = drmCloseBufferHandle(dev->fd, bo->handle) ? -errno : 0;
	if (bo->dmabuf_fd >= 0)
		close(bo->dmabuf_fd);
	free(bo);
	return ret;
}

PHYRBUF_EXPORT uint32_t phyrbuf_bo_handle(const struct phyrbuf_bo *bo)
{
	return bo->handle;
}

PHYRBUF_EXPORT uint64_t phyrbuf_bo_size(const struct phyrbuf_bo *bo)
{
	return bo->size;
}

PHYRBUF_EXPORT struct phyrbuf_dev *phyrbuf_bo_dev(const struct phyrbuf_bo *bo)
{
	return bo->dev;
}

PHYRBUF_EXPORT int phyrbuf_bo_query(struct phyrbuf_bo *bo, struct phyrbuf_bo_info *info)
{
	struct drm_phyr_vgem_bo_query arg;
	int ret;

	if (!bo || !info)
		return -EINVAL;
	ret = bo_query(bo->dev, bo->handle, &arg);
	if (ret)
		return ret;
	info->size = arg.size;
	info->placement = arg.placement;
	info->nr_ranges = arg.nr_ranges;
	info->flavours = arg.flavours;
	info->import_flavour = arg.import_flavour;
	return 0;
}

PHYRBUF_EXPORT int phyrbuf_bo_mmap(struct phyrbuf_bo *bo, void **ptr)
{
	struct drm_mode_map_dumb arg = { 0 };
	int fd = bo ? bo->dev->fd : -1;
	void *p;
	int ret;

	if (!bo || !ptr)
		return -EINVAL;
	arg.handle = bo->handle;
	ret = xioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &arg);
	if (ret == -EINVAL && bo->dmabuf_fd >= 0) {
		/*
		 * DRM refuses GEM mmap offsets for objects imported from
		 * another device: map the dma-buf, which the exporter maps.
		 * The handle must still be ours.
		 */
		struct drm_phyr_vgem_bo_query q;

		ret = bo_query(bo->dev, bo->handle, &q);
		if (ret)
			return ret;
		fd = bo->dmabuf_fd;
		arg.offset = 0;
	}
	if (ret)
		return ret;
	p = mmap(NULL, bo->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, arg.offset);
	if (p == MAP_FAILED)
		return -errno;
	*ptr = p;
	return 0;
}

PHYRBUF_EXPORT int phyrbuf_bo_munmap(struct phyrbuf_bo *bo, void *ptr)
{
	if (!bo || !ptr)
		return -EINVAL;
	return munmap(ptr, bo->size) ? -errno : 0;
}

PHYRBUF_EXPORT int phyrbuf_bo_export(struct phyrbuf_bo *bo, int *dmabuf_fd)
{
	int fd;

	if (!bo || !dmabuf_fd)
		return -EINVAL;
	if (drmPrimeHandleToFD(bo->dev->fd, bo->handle, DRM_CLOEXEC | DRM_RDWR, &fd))
		return -errno;
	*dmabuf_fd = fd;
	return 0;
}

PHYRBUF_EXPORT int phyrbuf_bo_import(struct phyrbuf_dev *dev, int dmabuf_fd,
				     struct phyrbuf_bo **bop)
{
	uint32_t handle;
	off_t size;
	int ret;

	if (!dev || !bop)
		return -EINVAL;
	if (drmPrimeFDToHandle(dev->fd, dmabuf_fd, &handle))
		return -errno;
	/* a dma-buf's size: lseek to its end */
	size = lseek(dmabuf_fd, 0, SEEK_END);
	if (size < 0) {
		ret = -errno;
		goto err_close;
	}
	lseek(dmabuf_fd, 0, SEEK_SET);
	ret = get_bo(dev, handle, (uint64_t)size, bop);
	if (ret)
		goto err_close;
	/* kept for CPU mappings of buffers imported from other devices */
	if ((*bop)->dmabuf_fd < 0 && (*bop)->refs == 1) {
		(*bop)->dmabuf_fd = fcntl(dmabuf_fd, F_DUPFD_CLOEXEC, 0);
		if ((*bop)->dmabuf_fd < 0) {
			ret = -errno;
			phyrbuf_bo_close(*bop);
			return ret;
		}
	}
	return 0;

err_close:
	/* only a handle nobody else in the library holds */
	if (!find_bo(dev, handle))
		drmCloseBufferHandle(dev->fd, handle);
	return ret;
}

PHYRBUF_EXPORT int phyrbuf_bo_migrate(struct phyrbuf_bo *bo, uint32_t placement)
{
	struct drm_phyr_vgem_bo_migrate arg = { 0 };

	if (!bo)
		return -EINVAL;
	arg.handle = bo->handle;
	arg.placement = placement;
	return xioctl(bo->dev->fd, DRM_IOCTL_PHYR_VGEM_BO_MIGRATE, &arg);
}

/* ---- fences ---- */

PHYRBUF_EXPORT int phyrbuf_bo_fence_attach(struct phyrbuf_bo *bo, uint32_t flags,
					   uint32_t *fence)
{
	struct drm_phyr_vgem_fence_attach arg = { 0 };
	int ret;

	if (!bo || !fence)
		return -EINVAL;
	arg.handle = bo->handle;
	arg.flags = flags;
	ret = xioctl(bo->dev->fd, DRM_IOCTL_PHYR_VGEM_FENCE_ATTACH, &arg);
	if (ret)
		return ret;
	*fence = arg.out_fence;
	return 0;
}

PHYRBUF_EXPORT int phyrbuf_fence_signal(struct phyrbuf_dev *dev, uint32_t fence)
{
	struct drm_phyr_vgem_fence_signal arg = { .fence = fence };

	if (!dev)
		return -EINVAL;
	return xioctl(dev->fd, DRM_IOCTL_PHYR_VGEM_FENCE_SIGNAL, &arg);
}

/* ---- dma-bufs ---- */

/* Copy @src into @buf of @len; -ENOSPC if truncated. */
static int copy_out(char *buf, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n < len) {
		memcpy(buf, src, n + 1);
		return 0;
	}
	memcpy(buf, src, len - 1);
	buf[len - 1] = '\0';
	return -ENOSPC;
}

PHYRBUF_EXPORT int phyrbuf_dmabuf_flavours(int dmabuf_fd, char *buf, size_t len)
{
	static const char key[] = "flavours:";
	char path[64], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int ret = -ENODATA;
	FILE *f;

	if (!buf || !len)
		return -EINVAL;
	buf[0] = '\0';
	if (fcntl(dmabuf_fd, F_GETFD) < 0)
		return -errno;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", dmabuf_fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while ((n = getline(&line, &cap, f)) > 0) {
		char *v;

		if (strncmp(line, key, strlen(key)))
			continue;
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		v = line + strlen(key);
		v += strspn(v, " \t");
		ret = copy_out(buf, len, v);
		break;
	}
	free(line);
	fclose(f);
	return ret;
}

PHYRBUF_EXPORT int phyrbuf_dmabuf_busy(int dmabuf_fd, int write)
{
	struct pollfd pfd = {
		.fd = dmabuf_fd,
		/* dma-buf: POLLIN waits for writers, POLLOUT for every fence */
		.events = write ? POLLOUT : POLLIN,
	};
	int ret;

	ret = poll(&pfd, 1, 0);
	if (ret < 0)
		return -errno;
	if (pfd.revents & POLLNVAL)
		return -EBADF;
	return ret == 0 || !(pfd.revents & pfd.events);
}

/* ---- names ---- */

PHYRBUF_EXPORT const char *phyrbuf_placement_name(uint32_t placement)
{
	switch (placement) {
	case PHYRBUF_PLACEMENT_SYSTEM:
		return "system";
	case PHYRBUF_PLACEMENT_DEVICE:
		return "device";
	default:
		return "unknown";
	}
}

PHYRBUF_EXPORT int phyrbuf_placement_parse(const char *name, uint32_t *placement)
{
	if (!name || !placement)
		return -EINVAL;
	if (!strcmp(name, "system"))
		*placement = PHYRBUF_PLACEMENT_SYSTEM;
	else if (!strcmp(name, "device"))
		*placement = PHYRBUF_PLACEMENT_DEVICE;
	else
		return -EINVAL;
	return 0;
}

PHYRBUF_EXPORT int phyrbuf_flavour_names(uint32_t flavours, char *buf, size_t len)
{
	/* highest bit first, as the kernel's fdinfo lists them */
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ PHYRBUF_FLAVOUR_CPU_ACCESS, "cpu_access" },
		{ PHYRBUF_FLAVOUR_PRIVATE, "private" },
		{ PHYRBUF_FLAVOUR_PHYR, "phyr" },
		{ PHYRBUF_FLAVOUR_SG_TABLE, "sg_table" },
	};
	char text[128] = "";
	size_t i, n = 0;

	if (!buf || !len)
		return -EINVAL;
	if (!flavours)
		return copy_out(buf, len, "none");
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!(flavours & names[i].bit))
			continue;
		n += snprintf(text + n, sizeof(text) - n, "%s%s", n ? " " : "",
			      names[i].name);
		flavours &= ~names[i].bit;
	}
	if (flavours)
		snprintf(text + n, sizeof(text) - n, "%s0x%x", n ? " " : "", flavours);
	return copy_out(buf, len, text);
}
