// SPDX-License-Identifier: MIT
/*
 * libphyrbuf: buffers of the phyr_vgem DRM driver from userspace.
 *
 * Locking: devices_lock protects the list of open devices and every device's
 * reference count; a device's lock protects its table of buffers, every
 * buffer's reference count and cached dma-buf, and is held across the GEM
 * handle ioctls whose result must agree with the table (PRIME import, the
 * close of a last reference, wrap).  A device's lock nests outside
 * devices_lock.
 *
 * Copyright 2026 The phyr developers
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/kcmp.h>

#include <drm.h>
#include <drm_fourcc.h>

#include "phyr_vgem_drm.h"
#include "phyrbuf.h"

#define PHYRBUF_EXPORT	__attribute__((visibility("default")))
#define DRIVER_NAME	"phyr_vgem"
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define DRM_DIR		"/dev/dri"
#define SYS_DRM		"/sys/class/drm"
#define NR_BUCKETS	64

/*
 * The one way into the kernel; the thread tests replace it with a fake
 * kernel (tests/fake-kernel.c) to run on machines without the driver.
 */
#ifdef PHYRBUF_SYS_IOCTL
int PHYRBUF_SYS_IOCTL(int fd, unsigned long request, ...);
#else
#define PHYRBUF_SYS_IOCTL ioctl
#endif

/* Our public values are the kernel's. */
_Static_assert((int)PHYRBUF_PLACEMENT_SYSTEM == (int)PHYR_VGEM_PLACEMENT_SYSTEM, "placement");
_Static_assert((int)PHYRBUF_PLACEMENT_DEVICE == (int)PHYR_VGEM_PLACEMENT_DEVICE, "placement");
_Static_assert(PHYRBUF_BO_CONTIGUOUS == PHYR_VGEM_BO_CONTIGUOUS, "bo flags");
_Static_assert(PHYRBUF_FLAVOUR_SG_TABLE == PHYR_VGEM_FLAVOUR_SG_TABLE, "flavour");
_Static_assert(PHYRBUF_FLAVOUR_PHYR == PHYR_VGEM_FLAVOUR_PHYR, "flavour");
_Static_assert(PHYRBUF_FLAVOUR_PRIVATE == PHYR_VGEM_FLAVOUR_PRIVATE, "flavour");
_Static_assert(PHYRBUF_FLAVOUR_CPU_ACCESS == PHYR_VGEM_FLAVOUR_CPU_ACCESS, "flavour");
_Static_assert(PHYRBUF_FENCE_WRITE == PHYR_VGEM_FENCE_WRITE, "fence flags");
_Static_assert(PHYRBUF_ACCESS_READ == DMA_BUF_SYNC_READ, "access");
_Static_assert(PHYRBUF_ACCESS_WRITE == DMA_BUF_SYNC_WRITE, "access");
_Static_assert(PHYRBUF_MODIFIER_LINEAR == DRM_FORMAT_MOD_LINEAR, "modifier");
_Static_assert(PHYRBUF_MODIFIER_INVALID == DRM_FORMAT_MOD_INVALID, "modifier");
_Static_assert(PHYRBUF_RANGE_RAM == PHYR_VGEM_RANGE_RAM, "range type");
_Static_assert(PHYRBUF_RANGE_MMIO == PHYR_VGEM_RANGE_MMIO, "range type");
_Static_assert(PHYRBUF_OFFER_MMIO == PHYR_VGEM_OFFER_MMIO, "offer flags");
_Static_assert(PHYRBUF_OFFER_CPU == PHYR_VGEM_OFFER_CPU, "offer flags");
_Static_assert(PHYRBUF_OFFER_BRIDGE == PHYR_VGEM_OFFER_BRIDGE, "offer flags");
_Static_assert(PHYRBUF_DMABUF_REVOKED == PHYR_VGEM_DMABUF_REVOKED, "dmabuf status");
_Static_assert(PHYRBUF_DMABUF_OWN == PHYR_VGEM_DMABUF_OWN, "dmabuf status");
_Static_assert(PHYRBUF_DMABUF_LEGACY == PHYR_VGEM_DMABUF_LEGACY, "dmabuf status");
_Static_assert(PHYRBUF_DMABUF_TRUNCATED == PHYR_VGEM_DMABUF_TRUNCATED, "dmabuf status");
_Static_assert(PHYRBUF_MAX_OFFERS == PHYR_VGEM_MAX_OFFERS, "offers");
/* the ranges are copied by the kernel straight into the caller's array */
_Static_assert(sizeof(struct phyrbuf_range) == sizeof(struct drm_phyr_vgem_range), "range");
_Static_assert(offsetof(struct phyrbuf_range, addr) ==
	       offsetof(struct drm_phyr_vgem_range, addr), "range");
_Static_assert(offsetof(struct phyrbuf_range, type) ==
	       offsetof(struct drm_phyr_vgem_range, type), "range");

/* The smallest structures a caller may pass: their first published layout. */
#define DEV_INFO_MIN	offsetof(struct phyrbuf_dev_info, primary_node)
#define BO_INFO_MIN	offsetof(struct phyrbuf_bo_info, width)
#define IMAGE_MIN	sizeof(struct phyrbuf_image)
#define DMABUF_INFO_MIN	sizeof(struct phyrbuf_dmabuf_info)

struct phyrbuf_dev {
	int fd;
	struct phyrbuf_dev_info info;	/* all but device_size/free */
	struct phyrbuf_dev *next;	/* in devices */
	unsigned int refs;		/* under devices_lock */
	pthread_mutex_t lock;		/* the buffer table, see the top */
	struct phyrbuf_bo *table[NR_BUCKETS];
};

struct phyrbuf_bo {
	struct phyrbuf_dev *dev;	/* with a reference */
	struct phyrbuf_bo *next;	/* in dev->table */
	unsigned int refs;		/* under dev->lock */
	uint32_t handle;
	uint64_t size;
	int import_fd;	/* imported from another device: our dup of its dma-buf */
	int export_fd;	/* its dma-buf for CPU access brackets, under dev->lock */
};

/* A phyr_vgem device found in sysfs. */
struct node {
	char primary[PHYRBUF_PATH_MAX];
	char render[PHYRBUF_PATH_MAX];
	char bus[PHYRBUF_PATH_MAX];
	char location[PHYRBUF_PATH_MAX];
	char devpath[PATH_MAX];		/* realpath of its device in sysfs */
	unsigned int minor;		/* of the primary node */
};

static pthread_mutex_t devices_lock = PTHREAD_MUTEX_INITIALIZER;
static struct phyrbuf_dev *devices;	/* open devices, for phyrbuf_open_fd() */

/* ioctl(), restarted on EINTR/EAGAIN as drmIoctl() does; 0 or -errno. */
static int xioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = PHYRBUF_SYS_IOCTL(fd, req, arg);
	} while (ret == -1 && (errno == EINTR || errno == EAGAIN));
	return ret == -1 ? -errno : 0;
}

/* Copy a NUL-terminated @src into a PHYRBUF_PATH_MAX buffer; false if too long. */
static bool copy_path(char *dst, const char *src)
{
	size_t n = strlen(src);

	if (n >= PHYRBUF_PATH_MAX)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

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

/*
 * A structure the library filled into the caller's of @size bytes: as much
 * as the caller knows, zeroes for what it knows and we do not.
 */
static int give_sized(void *dst, size_t size, const void *src, size_t ours, size_t min)
{
	if (!dst || size < min)
		return -EINVAL;
	memcpy(dst, src, size < ours ? size : ours);
	if (size > ours)
		memset((char *)dst + ours, 0, size - ours);
	return 0;
}

/* A structure the caller passes in: bytes we do not know must be zero. */
static int take_sized(void *dst, size_t ours, const void *src, size_t size, size_t min)
{
	size_t i;

	if (!src || size < min)
		return -EINVAL;
	for (i = ours; i < size; i++)
		if (((const unsigned char *)src)[i])
			return -E2BIG;
	memset(dst, 0, ours);
	memcpy(dst, src, size < ours ? size : ours);
	return 0;
}

/* ---- version ---- */

PHYRBUF_EXPORT unsigned int phyrbuf_version(void)
{
	return PHYRBUF_VERSION_NUMBER;
}

PHYRBUF_EXPORT const char *phyrbuf_version_string(void)
{
	return PHYRBUF_VERSION;
}

/* ---- finding devices in sysfs ---- */

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

/* "card3" -> 3 with *render false, "renderD129" -> 129 with true; -1 else. */
static int node_number(const char *name, bool *render)
{
	const char *digits;
	char *end;
	long v;

	if (!strncmp(name, "card", 4)) {
		digits = name + 4;
		*render = false;
	} else if (!strncmp(name, "renderD", 7)) {
		digits = name + 7;
		*render = true;
	} else {
		return -1;
	}
	if (!isdigit((unsigned char)*digits))
		return -1;
	v = strtol(digits, &end, 10);
	return *end || v > INT_MAX ? -1 : (int)v;	/* "card0-DP-1" is a connector */
}

/*
 * Whether the device at sysfs path @dev (a real path) is phyr_vgem's: the PCI driver of
 * that name, or the faux device of that name (faux devices are named by
 * their driver, and all share the faux bus's driver).
 */
static bool sysfs_is_phyr_vgem(const char *dev, char *bus, char *location)
{
	char path[PATH_MAX + 16], driver[PHYRBUF_PATH_MAX];
	const char *base;

	snprintf(path, sizeof(path), "%s/subsystem", dev);
	link_name(path, bus);
	snprintf(path, sizeof(path), "%s/driver", dev);
	link_name(path, driver);
	base = strrchr(dev, '/');
	if (!copy_path(location, base ? base + 1 : dev))
		location[0] = '\0';
	if (!strcmp(bus, "pci"))
		return !strcmp(driver, DRIVER_NAME);
	if (!strcmp(bus, "faux"))
		return !strcmp(location, DRIVER_NAME);
	return false;
}

static int cmp_node(const void *a, const void *b)
{
	const struct node *x = a, *y = b;

	return x->minor < y->minor ? -1 : x->minor > y->minor;
}

/*
 * Every phyr_vgem device, ordered by primary minor, from /sys/class/drm alone:
 * no node is opened.  The count or -ENOMEM; 0 without sysfs.
 */
static int enumerate(struct node **nodesp)
{
	struct node *nodes = NULL, *grown;
	struct dirent *de;
	int nr = 0, i;
	DIR *dir;

	*nodesp = NULL;
	dir = opendir(SYS_DRM);
	if (!dir)
		return 0;
	while ((de = readdir(dir))) {
		char path[PATH_MAX], real[PATH_MAX], bus[PHYRBUF_PATH_MAX];
		char location[PHYRBUF_PATH_MAX], dev[sizeof(DRM_DIR) + 256];
		bool render;
		int num = node_number(de->d_name, &render);

		if (num < 0)
			continue;
		snprintf(path, sizeof(path), SYS_DRM "/%s/device", de->d_name);
		if (!realpath(path, real) || !sysfs_is_phyr_vgem(real, bus, location))
			continue;
		snprintf(dev, sizeof(dev), DRM_DIR "/%s", de->d_name);
		if (strlen(dev) >= PHYRBUF_PATH_MAX)
			continue;
		for (i = 0; i < nr; i++)
			if (!strcmp(nodes[i].devpath, real))
				break;
		if (i == nr) {
			grown = realloc(nodes, (nr + 1) * sizeof(*nodes));
			if (!grown) {
				free(nodes);
				closedir(dir);
				return -ENOMEM;
			}
			nodes = grown;
			memset(&nodes[nr], 0, sizeof(nodes[nr]));
			nodes[nr].minor = UINT_MAX;
			snprintf(nodes[nr].devpath, sizeof(nodes[nr].devpath), "%s", real);
			copy_path(nodes[nr].bus, bus);
			copy_path(nodes[nr].location, location);
			nr++;
		}
		if (render) {
			copy_path(nodes[i].render, dev);
		} else {
			copy_path(nodes[i].primary, dev);
			nodes[i].minor = num;
		}
	}
	closedir(dir);
	/* a device always has a primary node; one we did not see is left out */
	for (i = 0; i < nr; ) {
		if (!nodes[i].primary[0])
			nodes[i] = nodes[--nr];
		else
			i++;
	}
	if (nr > 1)
		qsort(nodes, nr, sizeof(*nodes), cmp_node);
	*nodesp = nodes;
	return nr;
}

PHYRBUF_EXPORT int phyrbuf_device_count(void)
{
	struct node *nodes;
	int nr = enumerate(&nodes);

	free(nodes);
	return nr;
}

static void node_info(const struct node *n, int index, struct phyrbuf_dev_info *info)
{
	memset(info, 0, sizeof(*info));
	info->index = index;
	memcpy(info->node, n->primary, sizeof(info->node));
	memcpy(info->primary_node, n->primary, sizeof(info->primary_node));
	memcpy(info->render_node, n->render, sizeof(info->render_node));
	memcpy(info->bus, n->bus, sizeof(info->bus));
	memcpy(info->location, n->location, sizeof(info->location));
	info->node_type = PHYRBUF_NODE_PRIMARY;
}

PHYRBUF_EXPORT int phyrbuf_device_describe_sized(int index, struct phyrbuf_dev_info *info,
						 size_t size)
{
	struct phyrbuf_dev_info out;
	struct node *nodes;
	int nr;

	if (!info || size < DEV_INFO_MIN)
		return -EINVAL;
	nr = enumerate(&nodes);
	if (nr < 0)
		return nr;
	if (index < 0 || index >= nr) {
		free(nodes);
		return -ENODEV;
	}
	node_info(&nodes[index], index, &out);
	free(nodes);
	return give_sized(info, size, &out, sizeof(out), DEV_INFO_MIN);
}

/* ---- opening devices ---- */

/* DRM_IOCTL_VERSION: 0 if @fd is phyr_vgem's (with its version), else -errno. */
static int check_driver(int fd, uint32_t *major, uint32_t *minor)
{
	char name[sizeof(DRIVER_NAME) + 1] = "";
	struct drm_version v = { .name_len = sizeof(name) - 1, .name = name };
	int ret;

	ret = xioctl(fd, DRM_IOCTL_VERSION, &v);
	if (ret == -EBADF)
		return ret;
	/* not DRM (-ENOTTY, -EINVAL), or another driver */
	if (ret || v.name_len != strlen(DRIVER_NAME) || memcmp(name, DRIVER_NAME, v.name_len))
		return -ENODEV;
	*major = v.version_major;
	*minor = v.version_minor;
	return 0;
}

/* Whether two descriptors are one open file: kcmp(), else the same number. */
static bool same_file(int a, int b)
{
	pid_t pid = getpid();
	long ret;

	if (a == b)
		return true;
	ret = syscall(SYS_kcmp, pid, pid, KCMP_FILE, a, b);
	return ret == 0;
}

static int query_info(int fd, struct drm_phyr_vgem_info *arg)
{
	memset(arg, 0, sizeof(*arg));
	return xioctl(fd, DRM_IOCTL_PHYR_VGEM_INFO, arg);
}

/* Whether the open device has device memory: 1, 0 or -errno. */
static int has_device_memory(int fd)
{
	struct drm_phyr_vgem_info arg;
	int ret = query_info(fd, &arg);

	return ret ? ret : arg.device_size > 0;
}

/*
 * What sysfs knows about the node behind @fd: its device's nodes, bus and
 * index.  Left as "unknown" (index -1, empty strings) where it knows nothing,
 * as for a node that is not in /sys/class/drm.
 */
static void fd_info(int fd, struct phyrbuf_dev_info *info)
{
	char path[PATH_MAX], real[PATH_MAX], name[PHYRBUF_PATH_MAX];
	struct node *nodes;
	struct stat st;
	bool render;
	int nr, i;

	memset(info, 0, sizeof(*info));
	info->index = -1;
	if (fstat(fd, &st) || !S_ISCHR(st.st_mode))
		return;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u", major(st.st_rdev),
		 minor(st.st_rdev));
	link_name(path, name);
	if (node_number(name, &render) < 0)
		return;
	info->node_type = render ? PHYRBUF_NODE_RENDER : PHYRBUF_NODE_PRIMARY;
	snprintf(path, sizeof(path), DRM_DIR "/%s", name);
	if (!copy_path(info->node, path))
		return;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u", major(st.st_rdev),
		 minor(st.st_rdev));
	strcat(path, "/device");
	if (!realpath(path, real))
		return;
	nr = enumerate(&nodes);
	for (i = 0; i < nr; i++) {
		if (!strcmp(nodes[i].devpath, real)) {
			char node[PHYRBUF_PATH_MAX];

			memcpy(node, info->node, sizeof(node));
			node_info(&nodes[i], i, info);
			memcpy(info->node, node, sizeof(info->node));
			info->node_type = render ? PHYRBUF_NODE_RENDER : PHYRBUF_NODE_PRIMARY;
			break;
		}
	}
	free(nodes);
}

static void dev_free(struct phyrbuf_dev *dev)
{
	pthread_mutex_destroy(&dev->lock);
	close(dev->fd);
	free(dev);
}

static void dev_get(struct phyrbuf_dev *dev)
{
	pthread_mutex_lock(&devices_lock);
	dev->refs++;
	pthread_mutex_unlock(&devices_lock);
}

static void dev_put(struct phyrbuf_dev *dev)
{
	struct phyrbuf_dev **p;
	bool last;

	pthread_mutex_lock(&devices_lock);
	last = !--dev->refs;
	if (last) {
		for (p = &devices; *p; p = &(*p)->next) {
			if (*p == dev) {
				*p = dev->next;
				break;
			}
		}
	}
	pthread_mutex_unlock(&devices_lock);
	if (last)
		dev_free(dev);
}

/*
 * A device for @fd, which the new device owns (closed on failure): the open
 * device of the same DRM file with one more reference if there is one, else
 * a new one.
 */
static int dev_adopt(int fd, unsigned int flags, struct phyrbuf_dev **devp)
{
	struct phyrbuf_dev *dev;
	uint32_t major, minor;
	int ret;

	ret = check_driver(fd, &major, &minor);
	if (!ret && (flags & PHYRBUF_OPEN_DEVICE_MEMORY)) {
		ret = has_device_memory(fd);
		/* a kernel without INFO has no device memory */
		ret = ret > 0 ? 0 : -ENODEV;
	}
	if (ret) {
		close(fd);
		return ret;
	}

	pthread_mutex_lock(&devices_lock);
	for (dev = devices; dev; dev = dev->next) {
		if (same_file(dev->fd, fd)) {
			dev->refs++;
			pthread_mutex_unlock(&devices_lock);
			close(fd);
			*devp = dev;
			return 0;
		}
	}
	pthread_mutex_unlock(&devices_lock);

	dev = calloc(1, sizeof(*dev));
	if (!dev) {
		close(fd);
		return -ENOMEM;
	}
	ret = pthread_mutex_init(&dev->lock, NULL);
	if (ret) {
		free(dev);
		close(fd);
		return -ret;
	}
	dev->fd = fd;
	dev->refs = 1;
	fd_info(fd, &dev->info);
	dev->info.driver_major = major;
	dev->info.driver_minor = minor;

	/* a second thread may have adopted the same file meanwhile */
	pthread_mutex_lock(&devices_lock);
	{
		struct phyrbuf_dev *other;

		for (other = devices; other; other = other->next)
			if (same_file(other->fd, fd))
				break;
		if (other) {
			other->refs++;
			pthread_mutex_unlock(&devices_lock);
			dev_free(dev);
			*devp = other;
			return 0;
		}
	}
	dev->next = devices;
	devices = dev;
	pthread_mutex_unlock(&devices_lock);
	*devp = dev;
	return 0;
}

PHYRBUF_EXPORT int phyrbuf_open_fd(int fd, unsigned int flags, struct phyrbuf_dev **devp)
{
	int dup;

	if (!devp || (flags & ~PHYRBUF_OPEN_DEVICE_MEMORY))
		return -EINVAL;
	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dup < 0)
		return -errno;
	return dev_adopt(dup, flags, devp);
}

PHYRBUF_EXPORT int phyrbuf_open_path(const char *path, unsigned int flags,
				     struct phyrbuf_dev **devp)
{
	int fd;

	if (!path || !devp || (flags & ~PHYRBUF_OPEN_DEVICE_MEMORY))
		return -EINVAL;
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	return dev_adopt(fd, flags, devp);
}

PHYRBUF_EXPORT int phyrbuf_open(int index, unsigned int flags, struct phyrbuf_dev **devp)
{
	const unsigned int known = PHYRBUF_OPEN_DEVICE_MEMORY | PHYRBUF_OPEN_PRIMARY;
	struct node *nodes;
	int nr, i, ret;

	if (!devp || (flags & ~known) || (index < 0 && index != PHYRBUF_ANY))
		return -EINVAL;
	nr = enumerate(&nodes);
	if (nr < 0)
		return nr;
	ret = -ENODEV;
	for (i = 0; i < nr; i++) {
		const struct node *n = &nodes[i];
		const char *path = n->render[0] && !(flags & PHYRBUF_OPEN_PRIMARY) ?
				   n->render : n->primary;

		if (index != PHYRBUF_ANY && i != index)
			continue;
		ret = phyrbuf_open_path(path, flags & PHYRBUF_OPEN_DEVICE_MEMORY, devp);
		/* with PHYRBUF_ANY, the next device may have device memory */
		if (ret == -ENODEV && index == PHYRBUF_ANY)
			continue;
		break;
	}
	free(nodes);
	return ret;
}

PHYRBUF_EXPORT void phyrbuf_close(struct phyrbuf_dev *dev)
{
	if (dev)
		dev_put(dev);
}

PHYRBUF_EXPORT int phyrbuf_dev_fd(const struct phyrbuf_dev *dev)
{
	return dev ? dev->fd : -EINVAL;
}

PHYRBUF_EXPORT int phyrbuf_dev_info_sized(struct phyrbuf_dev *dev,
					  struct phyrbuf_dev_info *info, size_t size)
{
	struct drm_phyr_vgem_info arg;
	struct phyrbuf_dev_info out;
	int ret;

	if (!dev || !info || size < DEV_INFO_MIN)
		return -EINVAL;
	ret = query_info(dev->fd, &arg);
	if (ret)
		return ret;
	out = dev->info;
	out.device_size = arg.device_size;
	out.device_free = arg.device_free;
	return give_sized(info, size, &out, sizeof(out), DEV_INFO_MIN);
}

/* ---- the buffer table ---- */

static struct phyrbuf_bo **bucket(struct phyrbuf_dev *dev, uint32_t handle)
{
	return &dev->table[handle % NR_BUCKETS];
}

/* With dev->lock held. */
static struct phyrbuf_bo *find_bo(struct phyrbuf_dev *dev, uint32_t handle)
{
	struct phyrbuf_bo *bo;

	for (bo = *bucket(dev, handle); bo; bo = bo->next)
		if (bo->handle == handle)
			return bo;
	return NULL;
}

/*
 * With dev->lock held: the object for a handle the kernel just gave us, a new
 * one (owning @import_fd) or the one the library already has for it with one
 * more reference (then @import_fd is closed).
 */
static int get_bo(struct phyrbuf_dev *dev, uint32_t handle, uint64_t size,
		  int import_fd, struct phyrbuf_bo **bop)
{
	struct phyrbuf_bo *bo = find_bo(dev, handle);

	if (bo) {
		bo->refs++;
		if (import_fd >= 0)
			close(import_fd);
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
	bo->import_fd = import_fd;
	bo->export_fd = -1;
	bo->next = *bucket(dev, handle);
	*bucket(dev, handle) = bo;
	dev_get(dev);
	*bop = bo;
	return 0;
}

static int gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close arg = { .handle = handle };

	return xioctl(fd, DRM_IOCTL_GEM_CLOSE, &arg);
}

static int bo_query(struct phyrbuf_dev *dev, uint32_t handle,
		    struct drm_phyr_vgem_bo_query *arg)
{
	memset(arg, 0, sizeof(*arg));
	arg->handle = handle;
	return xioctl(dev->fd, DRM_IOCTL_PHYR_VGEM_BO_QUERY, arg);
}

/* BO_CREATE, then the table. */
static int bo_create(struct phyrbuf_dev *dev, struct drm_phyr_vgem_bo_create *arg,
		     struct phyrbuf_bo **bop)
{
	int ret;

	if (!dev || !bop)
		return -EINVAL;
	ret = xioctl(dev->fd, DRM_IOCTL_PHYR_VGEM_BO_CREATE, arg);
	if (ret)
		return ret;
	pthread_mutex_lock(&dev->lock);
	ret = get_bo(dev, arg->handle, arg->size, -1, bop);
	if (ret)
		gem_close(dev->fd, arg->handle);
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

PHYRBUF_EXPORT int phyrbuf_bo_create(struct phyrbuf_dev *dev, uint64_t size,
				     enum phyrbuf_placement placement, uint32_t flags,
				     struct phyrbuf_bo **bop)
{
	struct drm_phyr_vgem_bo_create arg = {
		.size = size,
		.placement = placement,
		.flags = flags,
	};

	/* the image flag is phyrbuf_bo_create_image()'s */
	if (flags & PHYR_VGEM_BO_IMAGE)
		return -EINVAL;
	return bo_create(dev, &arg, bop);
}

PHYRBUF_EXPORT int phyrbuf_bo_create_image_sized(struct phyrbuf_dev *dev,
						 const struct phyrbuf_image *image,
						 size_t image_size,
						 enum phyrbuf_placement placement,
						 uint32_t flags, struct phyrbuf_bo **bop)
{
	struct drm_phyr_vgem_bo_create arg = {
		.placement = placement,
	};
	struct phyrbuf_image img;
	int ret;

	if (flags & PHYR_VGEM_BO_IMAGE)
		return -EINVAL;
	ret = take_sized(&img, sizeof(img), image, image_size, IMAGE_MIN);
	if (ret)
		return ret;
	arg.flags = flags | PHYR_VGEM_BO_IMAGE;
	arg.width = img.width;
	arg.height = img.height;
	arg.format = img.format;
	arg.pitch = img.stride;
	arg.modifier = img.modifier;
	return bo_create(dev, &arg, bop);
}

PHYRBUF_EXPORT int phyrbuf_bo_wrap(struct phyrbuf_dev *dev, uint32_t handle,
				   struct phyrbuf_bo **bop)
{
	struct drm_phyr_vgem_bo_query arg;
	int ret;

	if (!dev || !bop)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	ret = bo_query(dev, handle, &arg);
	if (!ret)
		ret = get_bo(dev, handle, arg.size, -1, bop);
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

PHYRBUF_EXPORT int phyrbuf_bo_close(struct phyrbuf_bo *bo)
{
	struct phyrbuf_dev *dev;
	struct phyrbuf_bo **p;
	int ret;

	if (!bo)
		return 0;
	dev = bo->dev;
	pthread_mutex_lock(&dev->lock);
	if (--bo->refs) {
		pthread_mutex_unlock(&dev->lock);
		return 0;
	}
	for (p = bucket(dev, bo->handle); *p; p = &(*p)->next) {
		if (*p == bo) {
			*p = bo->next;
			break;
		}
	}
	/*
	 * Under the lock: an import of the same object on another thread
	 * must not be handed this handle by the kernel and then see it closed.
	 */
	ret = gem_close(dev->fd, bo->handle);
	pthread_mutex_unlock(&dev->lock);
	if (bo->import_fd >= 0)
		close(bo->import_fd);
	if (bo->export_fd >= 0)
		close(bo->export_fd);
	free(bo);
	dev_put(dev);
	return ret;
}

PHYRBUF_EXPORT uint32_t phyrbuf_bo_handle(const struct phyrbuf_bo *bo)
{
	return bo ? bo->handle : 0;
}

PHYRBUF_EXPORT uint64_t phyrbuf_bo_size(const struct phyrbuf_bo *bo)
{
	return bo ? bo->size : 0;
}

PHYRBUF_EXPORT struct phyrbuf_dev *phyrbuf_bo_dev(const struct phyrbuf_bo *bo)
{
	return bo ? bo->dev : NULL;
}

PHYRBUF_EXPORT int phyrbuf_bo_query_sized(struct phyrbuf_bo *bo, struct phyrbuf_bo_info *info,
					  size_t size)
{
	struct drm_phyr_vgem_bo_query arg;
	struct phyrbuf_bo_info out;
	int ret;

	if (!bo || !info || size < BO_INFO_MIN)
		return -EINVAL;
	ret = bo_query(bo->dev, bo->handle, &arg);
	if (ret)
		return ret;
	memset(&out, 0, sizeof(out));
	out.size = arg.size;
	out.placement = arg.placement;
	out.nr_ranges = arg.nr_ranges;
	out.flavours = arg.flavours;
	out.import_flavour = arg.import_flavour;
	out.width = arg.width;
	out.height = arg.height;
	out.format = arg.format;
	out.stride = arg.pitch;
	/* a 1.0 kernel leaves the 1.1 fields as we sent them: zero */
	out.modifier = arg.format ? arg.modifier : PHYRBUF_MODIFIER_INVALID;
	return give_sized(info, size, &out, sizeof(out), BO_INFO_MIN);
}

PHYRBUF_EXPORT int phyrbuf_bo_ranges(struct phyrbuf_bo *bo, struct phyrbuf_range *ranges,
				     size_t max)
{
	struct drm_phyr_vgem_bo_ranges arg = { 0 };
	int ret;

	if (!bo || (max && !ranges))
		return -EINVAL;
	arg.handle = bo->handle;
	arg.ranges_ptr = (uintptr_t)ranges;
	arg.count = max > UINT32_MAX ? UINT32_MAX : (uint32_t)max;
	ret = xioctl(bo->dev->fd, DRM_IOCTL_PHYR_VGEM_BO_RANGES, &arg);
	if (ret)
		return ret;
	return arg.count > INT_MAX ? INT_MAX : (int)arg.count;
}

/* ---- CPU access ---- */

static int prime_export(struct phyrbuf_bo *bo, int *fd)
{
	struct drm_prime_handle arg = {
		.handle = bo->handle,
		.flags = DRM_CLOEXEC | DRM_RDWR,
	};
	int ret = xioctl(bo->dev->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &arg);

	if (!ret)
		*fd = arg.fd;
	return ret;
}

/* The dma-buf of @bo for CPU access brackets: the imported one, or our export. */
static int bo_dmabuf(struct phyrbuf_bo *bo, int *fd)
{
	int ret = 0;

	if (bo->import_fd >= 0) {
		*fd = bo->import_fd;
		return 0;
	}
	pthread_mutex_lock(&bo->dev->lock);
	if (bo->export_fd < 0)
		ret = prime_export(bo, &bo->export_fd);
	*fd = bo->export_fd;
	pthread_mutex_unlock(&bo->dev->lock);
	return ret;
}


PHYRBUF_EXPORT int phyrbuf_bo_map(struct phyrbuf_bo *bo, uint64_t offset, uint64_t length,
				  uint32_t flags, void **ptr)
{
	struct drm_phyr_vgem_bo_mmap_offset arg = { 0 };
	long page = sysconf(_SC_PAGESIZE);
	int prot = PROT_READ, fd;
	uint64_t base = 0;
	void *p;
	int ret;

	if (!bo || !ptr || !length || (offset & (page - 1)) ||
	    offset > bo->size || length > bo->size - offset ||
	    !(flags & PHYRBUF_MAP_READ) || (flags & ~(PHYRBUF_MAP_READ | PHYRBUF_MAP_WRITE)))
		return -EINVAL;
	if (flags & PHYRBUF_MAP_WRITE)
		prot |= PROT_WRITE;
	if (offset && bo->import_fd < 0) {
		/* DRM maps GEM objects from their start: a window through the dma-buf */
		ret = bo_dmabuf(bo, &fd);
		if (ret)
			return ret;
	} else if (bo->import_fd >= 0) {
		/*
		 * DRM gives no mmap offset for objects imported from another
		 * device: map the dma-buf, which the exporter serves.  The
		 * handle must still be ours.
		 */
		struct drm_phyr_vgem_bo_query q;

		ret = bo_query(bo->dev, bo->handle, &q);
		if (ret)
			return ret;
		fd = bo->import_fd;
	} else {
		arg.handle = bo->handle;
		ret = xioctl(bo->dev->fd, DRM_IOCTL_PHYR_VGEM_BO_MMAP_OFFSET, &arg);
		if (ret)
			return ret;
		fd = bo->dev->fd;
		base = arg.offset;
	}
	p = mmap(NULL, length, prot, MAP_SHARED, fd, (off_t)(base + offset));
	if (p == MAP_FAILED)
		return -errno;
	*ptr = p;
	return 0;
}

PHYRBUF_EXPORT int phyrbuf_bo_unmap(struct phyrbuf_bo *bo, void *ptr, uint64_t length)
{
	if (!bo || !ptr || !length)
		return -EINVAL;
	return munmap(ptr, length) ? -errno : 0;
}

PHYRBUF_EXPORT int phyrbuf_bo_mmap(struct phyrbuf_bo *bo, void **ptr)
{
	if (!bo)
		return -EINVAL;
	return phyrbuf_bo_map(bo, 0, bo->size, PHYRBUF_MAP_READ | PHYRBUF_MAP_WRITE, ptr);
}

PHYRBUF_EXPORT int phyrbuf_bo_munmap(struct phyrbuf_bo *bo, void *ptr)
{
	if (!bo)
		return -EINVAL;
	return phyrbuf_bo_unmap(bo, ptr, bo->size);
}

static bool bad_access(uint32_t access)
{
	return !access || (access & ~(PHYRBUF_ACCESS_READ | PHYRBUF_ACCESS_WRITE));
}

static int dmabuf_sync(int fd, uint32_t access, uint64_t start_end)
{
	struct dma_buf_sync arg = { .flags = start_end | access };

	if (bad_access(access))
		return -EINVAL;
	return xioctl(fd, DMA_BUF_IOCTL_SYNC, &arg);
}

PHYRBUF_EXPORT int phyrbuf_dmabuf_begin_cpu_access(int dmabuf_fd, uint32_t access)
{
	return dmabuf_sync(dmabuf_fd, access, DMA_BUF_SYNC_START);
}

PHYRBUF_EXPORT int phyrbuf_dmabuf_end_cpu_access(int dmabuf_fd, uint32_t access)
{
	return dmabuf_sync(dmabuf_fd, access, DMA_BUF_SYNC_END);
}

static int bo_sync(struct phyrbuf_bo *bo, uint32_t access, uint64_t start_end)
{
	int fd, ret;

	if (!bo || bad_access(access))
		return -EINVAL;
	ret = bo_dmabuf(bo, &fd);
	return ret ? ret : dmabuf_sync(fd, access, start_end);
}

PHYRBUF_EXPORT int phyrbuf_bo_begin_cpu_access(struct phyrbuf_bo *bo, uint32_t access)
{
	return bo_sync(bo, access, DMA_BUF_SYNC_START);
}

PHYRBUF_EXPORT int phyrbuf_bo_end_cpu_access(struct phyrbuf_bo *bo, uint32_t access)
{
	return bo_sync(bo, access, DMA_BUF_SYNC_END);
}

/* ---- placements ---- */

PHYRBUF_EXPORT int phyrbuf_bo_migrate(struct phyrbuf_bo *bo, enum phyrbuf_placement placement)
{
	struct drm_phyr_vgem_bo_migrate arg = { 0 };

	if (!bo)
		return -EINVAL;
	arg.handle = bo->handle;
	arg.placement = placement;
	return xioctl(bo->dev->fd, DRM_IOCTL_PHYR_VGEM_BO_MIGRATE, &arg);
}

/* ---- dma-bufs ---- */

PHYRBUF_EXPORT int phyrbuf_bo_export(struct phyrbuf_bo *bo, int *dmabuf_fd)
{
	if (!bo || !dmabuf_fd)
		return -EINVAL;
	return prime_export(bo, dmabuf_fd);
}

PHYRBUF_EXPORT int phyrbuf_bo_import(struct phyrbuf_dev *dev, int dmabuf_fd,
				     struct phyrbuf_bo **bop)
{
	struct drm_prime_handle arg = { .fd = dmabuf_fd };
	struct drm_phyr_vgem_bo_query q;
	int ret, dup = -1;
	off_t size;

	if (!dev || !bop)
		return -EINVAL;
	if (dmabuf_fd < 0)
		return -EBADF;
	/*
	 * The whole import under the table's lock, so that a close of the same
	 * object's last reference on another thread either happened before
	 * (the kernel makes a new handle) or happens after (it sees our
	 * reference): the race libdrm_amdgpu guards too.
	 */
	pthread_mutex_lock(&dev->lock);
	ret = xioctl(dev->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &arg);
	if (ret)
		goto out;
	if (find_bo(dev, arg.handle)) {
		ret = get_bo(dev, arg.handle, 0, -1, bop);
		goto out;
	}
	/* a new handle: the dma-buf's size is its end */
	size = lseek(dmabuf_fd, 0, SEEK_END);
	if (size < 0)
		ret = -errno;
	else
		lseek(dmabuf_fd, 0, SEEK_SET);
	/* another device's buffer (no flavours of its own): mapped through its dma-buf */
	if (!ret)
		ret = bo_query(dev, arg.handle, &q);
	if (!ret && !q.flavours) {
		dup = fcntl(dmabuf_fd, F_DUPFD_CLOEXEC, 0);
		if (dup < 0)
			ret = -errno;
	}
	if (!ret)
		ret = get_bo(dev, arg.handle, (uint64_t)size, dup, bop);
	if (ret) {
		/* nobody in the library holds this handle */
		if (dup >= 0)
			close(dup);
		gem_close(dev->fd, arg.handle);
	}
out:
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

static void offer_out(struct phyrbuf_offer *out, const struct drm_phyr_vgem_offer *in)
{
	memset(out, 0, sizeof(*out));
	out->flavour = in->flavour;
	out->flags = in->flags & (PHYRBUF_OFFER_MMIO | PHYRBUF_OFFER_CPU | PHYRBUF_OFFER_BRIDGE);
	if (in->flags & PHYR_VGEM_OFFER_PROVIDER_PCI)
		snprintf(out->provider, sizeof(out->provider), "%04x:%02x:%02x.%x",
			 in->provider_domain & 0xffff, (in->provider_bdf >> 8) & 0xff,
			 (in->provider_bdf >> 3) & 0x1f, in->provider_bdf & 0x7);
}

PHYRBUF_EXPORT int phyrbuf_dmabuf_probe_sized(struct phyrbuf_dev *dev, int dmabuf_fd,
					      struct phyrbuf_dmabuf_info *info, size_t size)
{
	struct drm_phyr_vgem_dmabuf_flavours arg = { .fd = dmabuf_fd };
	struct phyrbuf_dmabuf_info out;
	unsigned int i;
	int ret;

	if (!dev || !info || size < DMABUF_INFO_MIN)
		return -EINVAL;
	if (dmabuf_fd < 0)
		return -EBADF;
	ret = xioctl(dev->fd, DRM_IOCTL_PHYR_VGEM_DMABUF_FLAVOURS, &arg);
	if (ret)
		return ret;
	memset(&out, 0, sizeof(out));
	out.status = arg.status;
	out.nr_offers = arg.nr_offers > PHYRBUF_MAX_OFFERS ? PHYRBUF_MAX_OFFERS : arg.nr_offers;
	for (i = 0; i < out.nr_offers; i++)
		offer_out(&out.offers[i], &arg.offers[i]);
	offer_out(&out.import, &arg.import);
	out.import_error = arg.import_error;
	return give_sized(info, size, &out, sizeof(out), DMABUF_INFO_MIN);
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

PHYRBUF_EXPORT int phyrbuf_dmabuf_export_sync_file(int dmabuf_fd, uint32_t access,
						   int *sync_file_fd)
{
	struct dma_buf_export_sync_file arg = { .flags = access, .fd = -1 };
	int ret;

	if (!sync_file_fd || bad_access(access))
		return -EINVAL;
	ret = xioctl(dmabuf_fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &arg);
	if (!ret)
		*sync_file_fd = arg.fd;
	return ret;
}

PHYRBUF_EXPORT int phyrbuf_dmabuf_import_sync_file(int dmabuf_fd, uint32_t access,
						   int sync_file_fd)
{
	struct dma_buf_import_sync_file arg = { .flags = access, .fd = sync_file_fd };

	if (bad_access(access))
		return -EINVAL;
	return xioctl(dmabuf_fd, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &arg);
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

/* ---- names ---- */

PHYRBUF_EXPORT const char *phyrbuf_placement_name(enum phyrbuf_placement placement)
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

PHYRBUF_EXPORT int phyrbuf_placement_parse(const char *name, enum phyrbuf_placement *placement)
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

/* The formats of phyr_vgem's BO_CREATE (kernel: phyr_vgem_image.c). */
#define FMT(name, cpp)	{ DRM_FORMAT_##name, cpp, #name }
static const struct {
	uint32_t format;
	unsigned int cpp;
	const char *name;
} formats[] = {
	FMT(R8, 1), FMT(R16, 2), FMT(RG88, 2), FMT(GR88, 2), FMT(RGB565, 2),
	FMT(BGR565, 2), FMT(XRGB8888, 4), FMT(ARGB8888, 4), FMT(XBGR8888, 4),
	FMT(ABGR8888, 4), FMT(RGBX8888, 4), FMT(RGBA8888, 4), FMT(BGRX8888, 4),
	FMT(BGRA8888, 4), FMT(XRGB2101010, 4), FMT(ARGB2101010, 4),
	FMT(XBGR2101010, 4), FMT(ABGR2101010, 4), FMT(GR1616, 4),
	FMT(XRGB16161616, 8), FMT(ARGB16161616, 8), FMT(XBGR16161616, 8),
	FMT(ABGR16161616, 8), FMT(XRGB16161616F, 8), FMT(ARGB16161616F, 8),
	FMT(XBGR16161616F, 8), FMT(ABGR16161616F, 8),
};
#undef FMT

PHYRBUF_EXPORT const char *phyrbuf_format_name(uint32_t format)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(formats); i++)
		if (formats[i].format == format)
			return formats[i].name;
	return NULL;
}

PHYRBUF_EXPORT int phyrbuf_format_parse(const char *name, uint32_t *format, unsigned int *cpp)
{
	size_t i;

	if (!name || !format)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(formats); i++) {
		if (!strcasecmp(formats[i].name, name)) {
			*format = formats[i].format;
			if (cpp)
				*cpp = formats[i].cpp;
			return 0;
		}
	}
	return -EINVAL;
}
