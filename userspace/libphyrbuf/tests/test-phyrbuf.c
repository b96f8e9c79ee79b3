// SPDX-License-Identifier: MIT
/*
 * test-phyrbuf: libphyrbuf against the real phyr_vgem driver.
 *
 *   test-phyrbuf SUBTEST
 *
 * One meson test per subtest.  Every subtest but "names" needs the driver
 * and its ioctls, and the device-memory ones need a phyr_vgem device with
 * device memory (the test guest's ivshmem).  Where there is no phyr_vgem
 * device at all (a developer's machine) they skip (TAP's "1..0 # SKIP"),
 * unless PHYR_REQUIRE_DEVICE is set (the test guest sets it); with the
 * driver but without a device they need, they fail.  Output is TAP on
 * stdout (phyr-test; meson runs them with the TAP protocol), the rest on
 * stderr; a failed check prints file, line and the expression, and the
 * subtest fails at once ("not ok", exit 1).
 *
 * Copyright 2026 The phyr developers
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/udmabuf.h>
#include <xf86drm.h>
#include <drm_fourcc.h>
#include <drm_mode.h>

#include "phyr_vgem_drm.h"
#include "phyrbuf.h"
#include "phyr-test.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MiB		(1024ull * 1024)

static long page_size;

/*
 * Opens of DRM nodes, counted by interposing open(): the library must find
 * devices without opening them.  Not in the sanitizer builds, whose runtimes
 * intercept open() themselves (there the count stays 0 and is not checked).
 */
static int dri_opens;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define COUNT_OPENS 0
#else
#define COUNT_OPENS 1
static int counted_open(const char *path, int flags, va_list ap)
{
	mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;

	if (!strncmp(path, "/dev/dri/", 9))
		__atomic_add_fetch(&dri_opens, 1, __ATOMIC_RELAXED);
	return syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

/* by their symbol names: <fcntl.h> maps open() to open64() with large files */
int interposed_open(const char *path, int flags, ...) __asm__("open");
int interposed_open64(const char *path, int flags, ...) __asm__("open64");

int interposed_open(const char *path, int flags, ...)
{
	va_list ap;
	int ret;

	va_start(ap, flags);
	ret = counted_open(path, flags, ap);
	va_end(ap);
	return ret;
}

int interposed_open64(const char *path, int flags, ...)
{
	va_list ap;
	int ret;

	va_start(ap, flags);
	ret = counted_open(path, flags, ap);
	va_end(ap);
	return ret;
}
#endif

/* a failed check ends the subtest (a TAP "not ok", exit 1) */
#define check(cond) do {							\
	if (!(cond)) {								\
		pt_fail(__FILE__, __LINE__, "%s", #cond);			\
		pt_abort();							\
	}									\
} while (0)

/* @a == @b for integer results (e.g. 0 or -errno), printing both when not */
#define check_eq(a, b) do {							\
	long long _a = (long long)(a), _b = (long long)(b);			\
	if (_a != _b) {								\
		pt_fail(__FILE__, __LINE__, "%s == %s (%lld%s%s != %lld%s%s)",	\
			#a, #b, _a, _a < 0 && _a > -4096 ? " " : "",		\
			_a < 0 && _a > -4096 ? strerror((int)-_a) : "",		\
			_b, _b < 0 && _b > -4096 ? " " : "",			\
			_b < 0 && _b > -4096 ? strerror((int)-_b) : "");	\
		pt_abort();							\
	}									\
} while (0)

#define check_ok(expr)	check_eq((expr), 0)

/* ---- helpers ---- */

/* Whether every word matches; prints the first that does not. */
static bool matches(const void *ptr, uint64_t size, uint32_t seed, const char *what)
{
	const uint32_t *p = ptr;
	int64_t i = pt_check_words(ptr, size, seed);

	if (i >= 0)
		fprintf(stderr, "%s: word %" PRId64 " is 0x%08x, expected 0x%08x\n",
			what, i, p[i], pt_word(seed, i));
	return i < 0;
}

static int popcount(uint32_t v)
{
	return __builtin_popcount(v);
}

/* The index of the device without device memory (the faux one). */
static int system_only_index(void)
{
	int nr = phyrbuf_device_count(), i;

	check(nr > 0);
	for (i = 0; i < nr; i++) {
		struct phyrbuf_dev_info info;
		struct phyrbuf_dev *dev;

		check_ok(phyrbuf_open(i, 0, &dev));
		check_ok(phyrbuf_dev_info(dev, &info));
		phyrbuf_close(dev);
		if (!info.device_size)
			return i;
	}
	pt_fail(__FILE__, __LINE__, "no phyr_vgem device with system memory only");
	pt_abort();
}

static struct phyrbuf_dev *open_system_only(void)
{
	struct phyrbuf_dev *dev;

	check_ok(phyrbuf_open(system_only_index(), 0, &dev));
	return dev;
}

/* The first device with device memory; failing, not skipping, without one. */
static struct phyrbuf_dev *open_device_memory(struct phyrbuf_dev_info *info)
{
	struct phyrbuf_dev *dev;
	int ret;

	ret = phyrbuf_open(PHYRBUF_ANY, PHYRBUF_OPEN_DEVICE_MEMORY, &dev);
	if (ret) {
		pt_fail(__FILE__, __LINE__, "no phyr_vgem device with device memory: %s",
			strerror(-ret));
		pt_abort();
	}
	check_ok(phyrbuf_dev_info(dev, info));
	check(info->device_size > 0);
	return dev;
}

static uint64_t device_free(struct phyrbuf_dev *dev)
{
	struct phyrbuf_dev_info info;

	check_ok(phyrbuf_dev_info(dev, &info));
	check(info.device_free <= info.device_size);
	return info.device_free;
}

/* dma-buf CPU access with the begin/end bracket. */
static void dmabuf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	check_ok(ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) ? -errno : 0);
}

/*
 * The coherency checks every placement must pass: two CPU mappings of the
 * buffer and the mapping of its dma-buf all see one memory, in every
 * direction.
 */
static void check_coherency(struct phyrbuf_bo *bo)
{
	uint64_t size = phyrbuf_bo_size(bo);
	void *a, *b, *d;
	int dmabuf;

	check_ok(phyrbuf_bo_mmap(bo, &a));
	check_ok(phyrbuf_bo_mmap(bo, &b));
	check(a != b);

	pt_fill_words(a, size, 0x1111);
	check(matches(b, size, 0x1111, "second mapping"));
	pt_fill_words(b, size, 0x2222);
	check(matches(a, size, 0x2222, "first mapping"));

	check_ok(phyrbuf_bo_export(bo, &dmabuf));
	d = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf, 0);
	check(d != MAP_FAILED);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	check(matches(d, size, 0x2222, "dma-buf mapping"));
	pt_fill_words(d, size, 0x3333);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	check(matches(a, size, 0x3333, "mapping after dma-buf write"));

	check_ok(munmap(d, size) ? -errno : 0);
	close(dmabuf);
	check_ok(phyrbuf_bo_munmap(bo, b));
	check_ok(phyrbuf_bo_munmap(bo, a));
}

static void query(struct phyrbuf_bo *bo, struct phyrbuf_bo_info *info)
{
	memset(info, 0xa5, sizeof(*info));
	check_ok(phyrbuf_bo_query(bo, info));
}

/* ---- subtests ---- */

/* Names and parsing: pure library code, also meaningful without the driver. */
static void test_names(void)
{
	enum phyrbuf_placement p = 77;
	char buf[64];

	check(!strcmp(phyrbuf_placement_name(PHYRBUF_PLACEMENT_SYSTEM), "system"));
	check(!strcmp(phyrbuf_placement_name(PHYRBUF_PLACEMENT_DEVICE), "device"));
	check(!strcmp(phyrbuf_placement_name(2), "unknown"));

	check_ok(phyrbuf_placement_parse("device", &p));
	check_eq(p, PHYRBUF_PLACEMENT_DEVICE);
	check_ok(phyrbuf_placement_parse("system", &p));
	check_eq(p, PHYRBUF_PLACEMENT_SYSTEM);
	check_eq(phyrbuf_placement_parse("vram", &p), -EINVAL);
	check_eq(phyrbuf_placement_parse("", &p), -EINVAL);
	check_eq(p, PHYRBUF_PLACEMENT_SYSTEM);

	check_ok(phyrbuf_flavour_names(0, buf, sizeof(buf)));
	check(!strcmp(buf, "none"));
	check_ok(phyrbuf_flavour_names(PHYRBUF_FLAVOUR_SG_TABLE | PHYRBUF_FLAVOUR_PHYR,
				       buf, sizeof(buf)));
	check(!strcmp(buf, "phyr sg_table"));
	check_ok(phyrbuf_flavour_names(PHYRBUF_FLAVOUR_PRIVATE | PHYRBUF_FLAVOUR_PHYR |
				       PHYRBUF_FLAVOUR_SG_TABLE, buf, sizeof(buf)));
	check(!strcmp(buf, "private phyr sg_table"));
	check_ok(phyrbuf_flavour_names(PHYRBUF_FLAVOUR_PHYR | 0x30, buf, sizeof(buf)));
	check(!strcmp(buf, "phyr 0x30"));
	check_eq(phyrbuf_flavour_names(PHYRBUF_FLAVOUR_PHYR, buf, 3), -ENOSPC);
	check(!strcmp(buf, "ph"));
	check_eq(phyrbuf_flavour_names(PHYRBUF_FLAVOUR_PHYR, buf, 0), -EINVAL);
	check_eq(phyrbuf_flavour_names(PHYRBUF_FLAVOUR_PHYR, NULL, 8), -EINVAL);

	/* fdinfo of things that are not dma-bufs */
	check_eq(phyrbuf_dmabuf_flavours(0x7fff, buf, sizeof(buf)), -EBADF);
	check_eq(phyrbuf_dmabuf_flavours(STDERR_FILENO, buf, 0), -EINVAL);
	{
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		check(fd >= 0);
		check_eq(phyrbuf_dmabuf_flavours(fd, buf, sizeof(buf)), -ENODATA);
		close(fd);
	}
	check_eq(phyrbuf_dmabuf_busy(0x7fff, 0), -EBADF);
	check_eq(phyrbuf_open(-2, 0, NULL), -EINVAL);
}

/* Finding devices: sysfs only, every index opens one node, faux and ivshmem are there. */
static void test_devices(void)
{
	int nr, i, faux = 0, with_devmem = 0;
	struct phyrbuf_dev_info info, desc;
	struct phyrbuf_dev *dev;

	dri_opens = 0;
	nr = phyrbuf_device_count();
	printf("%d phyr_vgem devices\n", nr);
	check(nr >= 2);
	for (i = 0; i < nr; i++)
		check_ok(phyrbuf_device_describe(i, &desc));
	/* enumeration reads sysfs: no DRM node was opened */
	if (COUNT_OPENS)
		check_eq(dri_opens, 0);

	for (i = 0; i < nr; i++) {
		check_ok(phyrbuf_device_describe(i, &desc));
		dri_opens = 0;
		check_ok(phyrbuf_open(i, 0, &dev));
		/* only the node asked for */
		if (COUNT_OPENS)
			check_eq(dri_opens, 1);
		check_ok(phyrbuf_dev_info(dev, &info));
		printf("%d: %s (primary %s, render %s) %s %s size %" PRIu64 " free %" PRIu64
		       " driver %u.%u\n", i, info.node, info.primary_node, info.render_node,
		       info.bus, info.location, info.device_size, info.device_free,
		       info.driver_major, info.driver_minor);
		check_eq(info.index, i);
		/* the render node by default, and sysfs said the same */
		check_eq(info.node_type, PHYRBUF_NODE_RENDER);
		check(!strncmp(info.node, "/dev/dri/renderD", 16));
		check(!strcmp(info.node, info.render_node));
		check(!strncmp(info.primary_node, "/dev/dri/card", 13));
		check(!strcmp(desc.primary_node, info.primary_node));
		check(!strcmp(desc.node, info.primary_node));
		check(!strcmp(desc.render_node, info.render_node));
		check(!strcmp(desc.bus, info.bus));
		check(!strcmp(desc.location, info.location));
		check_eq(desc.index, i);
		check_eq(desc.device_size, 0);
		check_eq(info.driver_major, 1);
		check_eq(info.driver_minor, 2);
		check(phyrbuf_dev_fd(dev) >= 0);
		if (!strcmp(info.bus, "faux")) {
			faux++;
			check_eq(info.device_size, 0);
			check_eq(info.device_free, 0);
			check(!strcmp(info.location, "phyr_vgem"));
		}
		if (info.device_size) {
			with_devmem++;
			check(!strcmp(info.bus, "pci"));
			check(info.device_size % page_size == 0);
		}
		phyrbuf_close(dev);

		/* the primary node when asked */
		check_ok(phyrbuf_open(i, PHYRBUF_OPEN_PRIMARY, &dev));
		check_ok(phyrbuf_dev_info(dev, &info));
		check_eq(info.node_type, PHYRBUF_NODE_PRIMARY);
		check(!strcmp(info.node, info.primary_node));
		phyrbuf_close(dev);

		/* the n-th device with device memory required */
		if (info.device_size) {
			check_ok(phyrbuf_open(i, PHYRBUF_OPEN_DEVICE_MEMORY, &dev));
			phyrbuf_close(dev);
		} else {
			check_eq(phyrbuf_open(i, PHYRBUF_OPEN_DEVICE_MEMORY, &dev), -ENODEV);
		}
	}
	check_eq(faux, 1);
	check(with_devmem >= 1);

	check_eq(phyrbuf_open(nr, 0, &dev), -ENODEV);
	check_eq(phyrbuf_device_describe(nr, &desc), -ENODEV);
	check_eq(phyrbuf_open(-2, 0, &dev), -EINVAL);
	check_eq(phyrbuf_open(0, 0x4, &dev), -EINVAL);

	check_ok(phyrbuf_open(PHYRBUF_ANY, PHYRBUF_OPEN_DEVICE_MEMORY, &dev));
	check_ok(phyrbuf_dev_info(dev, &info));
	check(info.device_size > 0);
	phyrbuf_close(dev);

	phyrbuf_close(NULL);
}

/* System memory on every device: create, query, map, coherency, flavours. */
static void test_system(void)
{
	int nr = phyrbuf_device_count(), i;

	check(nr > 0);
	for (i = 0; i < nr; i++) {
		struct phyrbuf_bo_info info;
		struct phyrbuf_dev *dev;
		struct phyrbuf_bo *bo;
		char line[128];
		int dmabuf;
		void *p;

		check_ok(phyrbuf_open(i, 0, &dev));
		check_ok(phyrbuf_bo_create(dev, 1 * MiB, PHYRBUF_PLACEMENT_SYSTEM, 0, &bo));
		check(phyrbuf_bo_handle(bo) != 0);
		check_eq(phyrbuf_bo_size(bo), 1 * MiB);
		check(phyrbuf_bo_dev(bo) == dev);

		query(bo, &info);
		check_eq(info.size, 1 * MiB);
		check_eq(info.placement, PHYRBUF_PLACEMENT_SYSTEM);
		check_eq(info.import_flavour, 0);
		/*
		 * system memory: physical ranges of CPU RAM, a page-backed sg_table,
		 * and CPU access served from the ranges
		 */
		check_eq(info.flavours, PHYRBUF_FLAVOUR_PHYR | PHYRBUF_FLAVOUR_SG_TABLE |
			 PHYRBUF_FLAVOUR_CPU_ACCESS);

		/* new memory reads as zeroes */
		check_ok(phyrbuf_bo_mmap(bo, &p));
		for (uint64_t j = 0; j < 1 * MiB; j += 4)
			check(((uint32_t *)p)[j / 4] == 0);
		check_ok(phyrbuf_bo_munmap(bo, p));

		check_coherency(bo);

		/* populated now: at least one range, at most one per page */
		query(bo, &info);
		check(info.nr_ranges >= 1);
		check(info.nr_ranges <= 1 * MiB / page_size);

		check_ok(phyrbuf_bo_export(bo, &dmabuf));
		check_ok(phyrbuf_dmabuf_flavours(dmabuf, line, sizeof(line)));
		printf("device %d: system memory fdinfo flavours: %s\n", i, line);
		check(strstr(line, "phyr+cpu"));
		check(strstr(line, "sg_table+cpu"));
		check(!strstr(line, "mmio"));
		close(dmabuf);

		check_ok(phyrbuf_bo_close(bo));
		phyrbuf_close(dev);
	}
}

/* Device memory: create, query, contiguous, map, coherency, accounting. */
static void test_device(void)
{
	struct phyrbuf_dev_info dinfo;
	struct phyrbuf_bo *bo, *cbo;
	struct phyrbuf_bo_info info;
	struct phyrbuf_dev *dev;
	uint64_t free0;
	char line[128];
	int dmabuf;
	void *p;

	dev = open_device_memory(&dinfo);
	free0 = device_free(dev);
	check(free0 >= 8 * MiB);

	check_ok(phyrbuf_bo_create(dev, 2 * MiB, PHYRBUF_PLACEMENT_DEVICE, 0, &bo));
	check(device_free(dev) <= free0 - 2 * MiB);
	query(bo, &info);
	check_eq(info.size, 2 * MiB);
	check_eq(info.placement, PHYRBUF_PLACEMENT_DEVICE);
	check_eq(info.import_flavour, 0);
	check(info.nr_ranges >= 1);
	check(info.nr_ranges <= 2 * MiB / page_size);
	/*
	 * device memory: private to phyr_vgem peers, MMIO ranges, bridged
	 * sg_table, CPU access to the MMIO
	 */
	check_eq(info.flavours, PHYRBUF_FLAVOUR_PRIVATE | PHYRBUF_FLAVOUR_PHYR |
		 PHYRBUF_FLAVOUR_SG_TABLE | PHYRBUF_FLAVOUR_CPU_ACCESS);

	/* device memory is handed out zeroed as well */
	check_ok(phyrbuf_bo_mmap(bo, &p));
	for (uint64_t j = 0; j < 2 * MiB; j += 4)
		check(((uint32_t *)p)[j / 4] == 0);
	check_ok(phyrbuf_bo_munmap(bo, p));

	check_coherency(bo);

	check_ok(phyrbuf_bo_export(bo, &dmabuf));
	check_ok(phyrbuf_dmabuf_flavours(dmabuf, line, sizeof(line)));
	printf("device memory fdinfo flavours: %s\n", line);
	check(strstr(line, "phyr+mmio"));
	check(strstr(line, "private"));
	/* CPU RAM to CPU importers too: the core moves the buffer at their map */
	check(strstr(line, "cpu_access+mmio"));
	check(strstr(line, "cpu_access+cpu"));
	close(dmabuf);

	/* contiguous: one range */
	check_ok(phyrbuf_bo_create(dev, 4 * MiB, PHYRBUF_PLACEMENT_DEVICE,
				   PHYRBUF_BO_CONTIGUOUS, &cbo));
	query(cbo, &info);
	check_eq(info.placement, PHYRBUF_PLACEMENT_DEVICE);
	check_eq(info.nr_ranges, 1);
	check_coherency(cbo);

	/* two buffers do not share memory */
	{
		void *a, *b;

		check_ok(phyrbuf_bo_mmap(bo, &a));
		check_ok(phyrbuf_bo_mmap(cbo, &b));
		pt_fill_words(a, 2 * MiB, 0xaaaa);
		pt_fill_words(b, 4 * MiB, 0xbbbb);
		check(matches(a, 2 * MiB, 0xaaaa, "first buffer"));
		check(matches(b, 4 * MiB, 0xbbbb, "second buffer"));
		check_ok(phyrbuf_bo_munmap(bo, a));
		check_ok(phyrbuf_bo_munmap(cbo, b));
	}

	check_ok(phyrbuf_bo_close(cbo));
	check_ok(phyrbuf_bo_close(bo));
	/* everything closed and unmapped: all device memory is back */
	check_eq(device_free(dev), free0);
	phyrbuf_close(dev);
}

/* Migrate both ways with a live mapping and an exported dma-buf. */
static void test_migrate(void)
{
	const uint64_t size = 2 * MiB;
	struct phyrbuf_dev_info dinfo;
	struct phyrbuf_bo_info info;
	struct phyrbuf_dev *dev;
	struct phyrbuf_bo *bo;
	char line[128];
	uint64_t free0;
	void *live, *fresh;
	int dmabuf;

	dev = open_device_memory(&dinfo);
	free0 = device_free(dev);

	check_ok(phyrbuf_bo_create(dev, size, PHYRBUF_PLACEMENT_SYSTEM, 0, &bo));
	check_ok(phyrbuf_bo_export(bo, &dmabuf));
	check_ok(phyrbuf_bo_mmap(bo, &live));
	pt_fill_words(live, size, 0xa1);
	check_eq(device_free(dev), free0);

	/* system -> device */
	check_ok(phyrbuf_bo_migrate(bo, PHYRBUF_PLACEMENT_DEVICE));
	query(bo, &info);
	check_eq(info.placement, PHYRBUF_PLACEMENT_DEVICE);
	check_eq(info.size, size);
	check(info.nr_ranges >= 1);
	check(info.flavours & PHYRBUF_FLAVOUR_PHYR);
	check(device_free(dev) <= free0 - size);
	check_ok(phyrbuf_dmabuf_flavours(dmabuf, line, sizeof(line)));
	printf("after migrating to device memory: %s\n", line);
	check(strstr(line, "phyr+mmio"));

	/* the live mapping faults in device memory with the old contents */
	check(matches(live, size, 0xa1, "live mapping after migrating to device"));
	check_ok(phyrbuf_bo_mmap(bo, &fresh));
	check(matches(fresh, size, 0xa1, "new mapping after migrating to device"));
	/* and it is the new memory: writes through it show in a new mapping */
	pt_fill_words(live, size, 0xb2);
	check(matches(fresh, size, 0xb2, "new mapping after a write to the live one"));
	check_ok(phyrbuf_bo_munmap(bo, fresh));

	/* to where it is: nothing happens */
	check_ok(phyrbuf_bo_migrate(bo, PHYRBUF_PLACEMENT_DEVICE));
	query(bo, &info);
	check_eq(info.placement, PHYRBUF_PLACEMENT_DEVICE);
	check(matches(live, size, 0xb2, "live mapping after a no-op migration"));

	/* bad placements leave it alone */
	check_eq(phyrbuf_bo_migrate(bo, 2), -EINVAL);
	check_eq(phyrbuf_bo_migrate(bo, ~0u), -EINVAL);
	query(bo, &info);
	check_eq(info.placement, PHYRBUF_PLACEMENT_DEVICE);

	/* device -> system */
	check_ok(phyrbuf_bo_migrate(bo, PHYRBUF_PLACEMENT_SYSTEM));
	query(bo, &info);
	check_eq(info.placement, PHYRBUF_PLACEMENT_SYSTEM);
	check(info.flavours & PHYRBUF_FLAVOUR_PHYR);
	check(info.flavours & PHYRBUF_FLAVOUR_SG_TABLE);
	check_eq(device_free(dev), free0);
	check_ok(phyrbuf_dmabuf_flavours(dmabuf, line, sizeof(line)));
	printf("after migrating back to system memory: %s\n", line);
	check(strstr(line, "phyr+cpu"));
	check(matches(live, size, 0xb2, "live mapping after migrating to system"));
	check_ok(phyrbuf_bo_mmap(bo, &fresh));
	check(matches(fresh, size, 0xb2, "new mapping after migrating to system"));
	pt_fill_words(live, size, 0xc3);
	check(matches(fresh, size, 0xc3, "new mapping after a write to the live one"));
	check_ok(phyrbuf_bo_munmap(bo, fresh));

	/* and once more there and back, checking the dma-buf's own mapping */
	check_ok(phyrbuf_bo_migrate(bo, PHYRBUF_PLACEMENT_DEVICE));
	fresh = mmap(NULL, size, PROT_READ, MAP_SHARED, dmabuf, 0);
	check(fresh != MAP_FAILED);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	check(matches(fresh, size, 0xc3, "dma-buf mapping in device memory"));
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	check_ok(phyrbuf_bo_migrate(bo, PHYRBUF_PLACEMENT_SYSTEM));
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	check(matches(fresh, size, 0xc3, "dma-buf mapping back in system memory"));
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	check_ok(munmap(fresh, size) ? -errno : 0);

	check_ok(phyrbuf_bo_munmap(bo, live));
	close(dmabuf);
	check_ok(phyrbuf_bo_close(bo));
	check_eq(device_free(dev), free0);
	phyrbuf_close(dev);

	/* no device memory on the faux device */
	dev = open_system_only();
	check_ok(phyrbuf_bo_create(dev, 64 * 1024, PHYRBUF_PLACEMENT_SYSTEM, 0, &bo));
	check_eq(phyrbuf_bo_migrate(bo, PHYRBUF_PLACEMENT_DEVICE), -ENODEV);
	query(bo, &info);
	check_eq(info.placement, PHYRBUF_PLACEMENT_SYSTEM);
	check_ok(phyrbuf_bo_migrate(bo, PHYRBUF_PLACEMENT_SYSTEM));
	check_ok(phyrbuf_bo_close(bo));
	phyrbuf_close(dev);
}

/* Import @dmabuf into @dev, check size, flavour and contents. */
static struct phyrbuf_bo *import_check(struct phyrbuf_dev *dev, int dmabuf, uint64_t size,
				       uint32_t offered, uint32_t seed)
{
	struct phyrbuf_dev_info dinfo;
	struct phyrbuf_bo_info info;
	struct phyrbuf_bo *bo;
	char names[64];
	void *p;

	check_ok(phyrbuf_bo_import(dev, dmabuf, &bo));
	check_eq(phyrbuf_bo_size(bo), size);
	query(bo, &info);
	check_eq(info.size, size);
	phyrbuf_flavour_names(info.import_flavour, names, sizeof(names));
	check_ok(phyrbuf_dev_info(dev, &dinfo));
	printf("imported into %s: import_flavour %s\n", dinfo.node, names);
	check_eq(popcount(info.import_flavour), 1);
	check(info.import_flavour & offered);
	check_eq(info.flavours, 0);

	check_ok(phyrbuf_bo_mmap(bo, &p));
	check(matches(p, size, seed, "importer's mapping"));
	check_ok(phyrbuf_bo_munmap(bo, p));
	return bo;
}

/* Export and import between and within devices. */
static void test_prime(void)
{
	const uint64_t size = 1 * MiB;
	struct phyrbuf_dev *sys, *dm, *sys2;
	struct phyrbuf_bo *bo, *imp, *again;
	struct phyrbuf_bo_info info, einfo;
	struct phyrbuf_dev_info dinfo;
	int dmabuf, dmabuf2, nullfd;
	void *p;

	sys = open_system_only();
	dm = open_device_memory(&dinfo);

	/* system memory of the faux device into the ivshmem device */
	check_ok(phyrbuf_bo_create(sys, size, PHYRBUF_PLACEMENT_SYSTEM, 0, &bo));
	check_ok(phyrbuf_bo_mmap(bo, &p));
	pt_fill_words(p, size, 0x51);
	check_ok(phyrbuf_bo_export(bo, &dmabuf));
	check(lseek(dmabuf, 0, SEEK_END) == (off_t)size);
	query(bo, &einfo);
	imp = import_check(dm, dmabuf, size, einfo.flavours, 0x51);
	/* the ivshmem device takes CPU RAM as physical ranges */
	query(imp, &info);
	check_eq(info.import_flavour, PHYRBUF_FLAVOUR_PHYR);
	/* an imported buffer stays where its exporter has it */
	check_eq(phyrbuf_bo_migrate(imp, PHYRBUF_PLACEMENT_DEVICE), -EINVAL);
	check_eq(phyrbuf_bo_migrate(imp, PHYRBUF_PLACEMENT_SYSTEM), -EINVAL);

	/* importing it again into the same file gives the same object */
	check_ok(phyrbuf_bo_import(dm, dmabuf, &again));
	check(again == imp);
	check_ok(phyrbuf_bo_close(again));
	query(imp, &info);		/* still open: one reference left */

	/* the importer writes, the exporter sees it */
	{
		void *q;

		check_ok(phyrbuf_bo_mmap(imp, &q));
		pt_fill_words(q, size, 0x52);
		check_ok(phyrbuf_bo_munmap(imp, q));
		check(matches(p, size, 0x52, "exporter's mapping after an importer's write"));
	}
	check_ok(phyrbuf_bo_close(imp));

	/* the exporter's own device in the same file: the same object */
	check_ok(phyrbuf_bo_import(sys, dmabuf, &again));
	check(again == bo);
	check_ok(phyrbuf_bo_close(again));
	query(bo, &info);

	/* the exporter's device through another file: its own buffer, no flavour */
	check_ok(phyrbuf_open(system_only_index(), 0, &sys2));
	check_ok(phyrbuf_bo_import(sys2, dmabuf, &again));
	query(again, &info);
	check_eq(info.import_flavour, 0);
	check_eq(info.placement, PHYRBUF_PLACEMENT_SYSTEM);
	check_eq(info.flavours, einfo.flavours);
	{
		void *q;

		check_ok(phyrbuf_bo_mmap(again, &q));
		check(matches(q, size, 0x52, "second file's mapping"));
		check_ok(phyrbuf_bo_munmap(again, q));
	}
	/* a dma-buf of the re-imported object is the same dma-buf */
	check_ok(phyrbuf_bo_export(again, &dmabuf2));
	{
		struct stat a, b;

		check_ok(fstat(dmabuf, &a));
		check_ok(fstat(dmabuf2, &b));
		check(a.st_ino == b.st_ino);
	}
	check_ok(phyrbuf_bo_close(again));
	phyrbuf_close(sys2);
	close(dmabuf2);

	check_ok(phyrbuf_bo_munmap(bo, p));
	close(dmabuf);
	check_ok(phyrbuf_bo_close(bo));

	/* device memory of the ivshmem device into its own device, another file */
	check_ok(phyrbuf_bo_create(dm, size, PHYRBUF_PLACEMENT_DEVICE, 0, &bo));
	check_ok(phyrbuf_bo_mmap(bo, &p));
	pt_fill_words(p, size, 0x61);
	check_ok(phyrbuf_bo_munmap(bo, p));
	check_ok(phyrbuf_bo_export(bo, &dmabuf));
	check_ok(phyrbuf_open(dinfo.index, 0, &sys2));
	check_ok(phyrbuf_bo_import(sys2, dmabuf, &again));
	query(again, &info);
	check_eq(info.import_flavour, 0);
	check_eq(info.placement, PHYRBUF_PLACEMENT_DEVICE);
	check_ok(phyrbuf_bo_mmap(again, &p));
	check(matches(p, size, 0x61, "device memory through a second file"));
	check_ok(phyrbuf_bo_munmap(again, p));
	check_ok(phyrbuf_bo_close(again));
	phyrbuf_close(sys2);

	/*
	 * The faux device reaches no BAR: device memory is refused to it (the
	 * exporter does not move buffers behind userspace's back) ...
	 */
	check_eq(phyrbuf_bo_import(sys, dmabuf, &imp), -EOPNOTSUPP);
	/* ... until userspace migrates the buffer to system memory */
	check_ok(phyrbuf_bo_migrate(bo, PHYRBUF_PLACEMENT_SYSTEM));
	query(bo, &einfo);
	imp = import_check(sys, dmabuf, size, einfo.flavours, 0x61);
	query(imp, &info);
	check_eq(info.import_flavour, PHYRBUF_FLAVOUR_SG_TABLE);
	check_ok(phyrbuf_bo_close(imp));
	check_ok(phyrbuf_bo_migrate(bo, PHYRBUF_PLACEMENT_DEVICE));
	close(dmabuf);
	check_ok(phyrbuf_bo_close(bo));

	/* another device with device memory, if any: they speak privately */
	for (int i = 0; i < phyrbuf_device_count(); i++) {
		struct phyrbuf_dev_info oinfo;
		struct phyrbuf_dev *other;

		if (i == dinfo.index ||
		    phyrbuf_open(i, PHYRBUF_OPEN_DEVICE_MEMORY, &other))
			continue;
		check_ok(phyrbuf_dev_info(other, &oinfo));
		printf("second device with device memory: %s\n", oinfo.node);
		check_ok(phyrbuf_bo_create(dm, size, PHYRBUF_PLACEMENT_DEVICE, 0, &bo));
		check_ok(phyrbuf_bo_mmap(bo, &p));
		pt_fill_words(p, size, 0x71);
		check_ok(phyrbuf_bo_munmap(bo, p));
		check_ok(phyrbuf_bo_export(bo, &dmabuf));
		query(bo, &einfo);
		imp = import_check(other, dmabuf, size, einfo.flavours, 0x71);
		query(imp, &info);
		check_eq(info.import_flavour, PHYRBUF_FLAVOUR_PRIVATE);
		check_ok(phyrbuf_bo_close(imp));
		close(dmabuf);
		check_ok(phyrbuf_bo_close(bo));
		phyrbuf_close(other);
	}

	/* not dma-bufs */
	check_eq(phyrbuf_bo_import(dm, -1, &imp), -EBADF);
	check_eq(phyrbuf_bo_import(dm, 0x7fff, &imp), -EBADF);
	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	check(nullfd >= 0);
	check_eq(phyrbuf_bo_import(dm, nullfd, &imp), -EINVAL);
	check_eq(phyrbuf_bo_import(dm, phyrbuf_dev_fd(sys), &imp), -EINVAL);
	close(nullfd);

	phyrbuf_close(dm);
	phyrbuf_close(sys);
}

/* Fences on one buffer, seen through its dma-buf. */
static void test_fences(void)
{
	uint32_t r1, r2, w, bad;
	struct phyrbuf_dev *dev;
	struct phyrbuf_bo *bo;
	int dmabuf;

	dev = open_system_only();
	check_ok(phyrbuf_bo_create(dev, 64 * 1024, PHYRBUF_PLACEMENT_SYSTEM, 0, &bo));
	check_ok(phyrbuf_bo_export(bo, &dmabuf));
	check_eq(phyrbuf_dmabuf_busy(dmabuf, 0), 0);
	check_eq(phyrbuf_dmabuf_busy(dmabuf, 1), 0);

	/* readers: other readers go on, writers wait; no writer may join */
	check_ok(phyrbuf_bo_fence_attach(bo, 0, &r1));
	check_ok(phyrbuf_bo_fence_attach(bo, 0, &r2));
	check(r1 != r2);
	check_eq(phyrbuf_dmabuf_busy(dmabuf, 0), 0);
	check_eq(phyrbuf_dmabuf_busy(dmabuf, 1), 1);
	check_eq(phyrbuf_bo_fence_attach(bo, PHYRBUF_FENCE_WRITE, &bad), -EBUSY);
	check_ok(phyrbuf_fence_signal(dev, r1));
	check_eq(phyrbuf_dmabuf_busy(dmabuf, 1), 1);
	check_ok(phyrbuf_fence_signal(dev, r2));
	check_eq(phyrbuf_dmabuf_busy(dmabuf, 1), 0);
	check_eq(phyrbuf_fence_signal(dev, r1), -ENOENT);

	/* a writer: everyone waits, nobody joins */
	check_ok(phyrbuf_bo_fence_attach(bo, PHYRBUF_FENCE_WRITE, &w));
	check_eq(phyrbuf_dmabuf_busy(dmabuf, 0), 1);
	check_eq(phyrbuf_dmabuf_busy(dmabuf, 1), 1);
	check_eq(phyrbuf_bo_fence_attach(bo, 0, &bad), -EBUSY);
	check_eq(phyrbuf_bo_fence_attach(bo, PHYRBUF_FENCE_WRITE, &bad), -EBUSY);
	check_ok(phyrbuf_fence_signal(dev, w));
	check_eq(phyrbuf_dmabuf_busy(dmabuf, 0), 0);
	check_eq(phyrbuf_dmabuf_busy(dmabuf, 1), 0);
	check_eq(phyrbuf_fence_signal(dev, w), -ENOENT);

	/* bad input */
	check_eq(phyrbuf_bo_fence_attach(bo, 0x2, &bad), -EINVAL);
	check_eq(phyrbuf_bo_fence_attach(bo, ~0u, &bad), -EINVAL);
	check_eq(phyrbuf_fence_signal(dev, 0xdeadbeef), -ENOENT);
	check_eq(phyrbuf_bo_fence_attach(bo, 0, NULL), -EINVAL);

	/* fence ids belong to the DRM file */
	{
		struct phyrbuf_dev *other;

		check_ok(phyrbuf_open(system_only_index(), 0, &other));
		check_ok(phyrbuf_bo_fence_attach(bo, PHYRBUF_FENCE_WRITE, &w));
		check_eq(phyrbuf_fence_signal(other, w), -ENOENT);
		check_eq(phyrbuf_dmabuf_busy(dmabuf, 0), 1);
		check_ok(phyrbuf_fence_signal(dev, w));
		check_eq(phyrbuf_dmabuf_busy(dmabuf, 0), 0);
		phyrbuf_close(other);
	}

	close(dmabuf);
	check_ok(phyrbuf_bo_close(bo));
	phyrbuf_close(dev);
}

/* Every documented error of create, and of the buffer calls on a dead handle. */
static void test_errors(void)
{
	struct phyrbuf_dev_info dinfo;
	struct phyrbuf_bo_info info;
	struct phyrbuf_dev *sys, *dm;
	struct phyrbuf_bo *bo, *big, *spare;
	uint32_t fence, handle;
	uint64_t free0;
	int dmabuf;
	void *p;

	sys = open_system_only();
	dm = open_device_memory(&dinfo);
	free0 = device_free(dm);
	check_eq(free0, dinfo.device_size);	/* nobody else holds device memory */

	/* sizes */
	check_eq(phyrbuf_bo_create(sys, 0, PHYRBUF_PLACEMENT_SYSTEM, 0, &bo), -EINVAL);
	check_eq(phyrbuf_bo_create(dm, 0, PHYRBUF_PLACEMENT_DEVICE, 0, &bo), -EINVAL);
	check_eq(phyrbuf_bo_create(sys, 1000, PHYRBUF_PLACEMENT_SYSTEM, 0, &bo), -EINVAL);
	check_eq(phyrbuf_bo_create(sys, page_size + 1, PHYRBUF_PLACEMENT_SYSTEM, 0, &bo),
		 -EINVAL);
	check_eq(phyrbuf_bo_create(dm, page_size / 2, PHYRBUF_PLACEMENT_DEVICE, 0, &bo),
		 -EINVAL);
	check_eq(phyrbuf_bo_create(dm, dinfo.device_size + page_size,
				   PHYRBUF_PLACEMENT_DEVICE, 0, &bo), -EINVAL);
	check_eq(phyrbuf_bo_create(dm, 1ull << 62, PHYRBUF_PLACEMENT_DEVICE, 0, &bo), -EINVAL);
	check_eq(phyrbuf_bo_create(dm, -(uint64_t)page_size, PHYRBUF_PLACEMENT_DEVICE, 0, &bo),
		 -EINVAL);

	/* placements and flags */
	check_eq(phyrbuf_bo_create(sys, page_size, 2, 0, &bo), -EINVAL);
	check_eq(phyrbuf_bo_create(dm, page_size, ~0u, 0, &bo), -EINVAL);
	check_eq(phyrbuf_bo_create(dm, page_size, PHYRBUF_PLACEMENT_DEVICE, 0x2, &bo), -EINVAL);
	check_eq(phyrbuf_bo_create(dm, page_size, PHYRBUF_PLACEMENT_DEVICE, ~0u, &bo), -EINVAL);
	check_eq(phyrbuf_bo_create(sys, page_size, PHYRBUF_PLACEMENT_SYSTEM, 0x80000000u, &bo),
		 -EINVAL);
	/* contiguous is for device memory only */
	check_eq(phyrbuf_bo_create(sys, page_size, PHYRBUF_PLACEMENT_SYSTEM,
				   PHYRBUF_BO_CONTIGUOUS, &bo), -EINVAL);
	check_eq(phyrbuf_bo_create(dm, page_size, PHYRBUF_PLACEMENT_SYSTEM,
				   PHYRBUF_BO_CONTIGUOUS, &bo), -EINVAL);

	/* device memory where there is none */
	check_eq(phyrbuf_bo_create(sys, page_size, PHYRBUF_PLACEMENT_DEVICE, 0, &bo), -ENODEV);
	check_eq(phyrbuf_bo_create(sys, 1 * MiB, PHYRBUF_PLACEMENT_DEVICE,
				   PHYRBUF_BO_CONTIGUOUS, &bo), -ENODEV);

	/* none of it allocated anything */
	check_eq(device_free(dm), free0);

	/* device memory exhausted: all of it in one buffer, then one page more */
	check_ok(phyrbuf_bo_create(dm, free0, PHYRBUF_PLACEMENT_DEVICE, 0, &big));
	check_eq(device_free(dm), 0);
	check_eq(phyrbuf_bo_create(dm, page_size, PHYRBUF_PLACEMENT_DEVICE, 0, &bo), -ENOSPC);
	/* and no room to migrate into */
	check_ok(phyrbuf_bo_create(dm, page_size, PHYRBUF_PLACEMENT_SYSTEM, 0, &spare));
	check_eq(phyrbuf_bo_migrate(spare, PHYRBUF_PLACEMENT_DEVICE), -ENOSPC);
	query(spare, &info);
	check_eq(info.placement, PHYRBUF_PLACEMENT_SYSTEM);
	check_ok(phyrbuf_bo_close(big));
	check_eq(device_free(dm), free0);
	check_ok(phyrbuf_bo_migrate(spare, PHYRBUF_PLACEMENT_DEVICE));
	check_ok(phyrbuf_bo_close(spare));
	check_eq(device_free(dm), free0);

	/* unknown handles */
	check_eq(phyrbuf_bo_wrap(sys, 0, &bo), -ENOENT);
	check_eq(phyrbuf_bo_wrap(sys, 0xdeadbeef, &bo), -ENOENT);

	/* a handle closed behind the library's back */
	check_ok(phyrbuf_bo_create(sys, page_size, PHYRBUF_PLACEMENT_SYSTEM, 0, &bo));
	handle = phyrbuf_bo_handle(bo);
	check_ok(phyrbuf_bo_wrap(sys, handle, &spare));
	check(spare == bo);		/* one object per handle */
	check_ok(phyrbuf_bo_close(spare));
	check_ok(drmCloseBufferHandle(phyrbuf_dev_fd(sys), handle) ? -errno : 0);
	check_eq(phyrbuf_bo_query(bo, &info), -ENOENT);
	check_eq(phyrbuf_bo_mmap(bo, &p), -ENOENT);
	check_eq(phyrbuf_bo_export(bo, &dmabuf), -ENOENT);
	check_eq(phyrbuf_bo_migrate(bo, PHYRBUF_PLACEMENT_SYSTEM), -ENOENT);
	check_eq(phyrbuf_bo_migrate(bo, PHYRBUF_PLACEMENT_DEVICE), -ENOENT);
	check_eq(phyrbuf_bo_fence_attach(bo, 0, &fence), -ENOENT);
	check_eq(phyrbuf_bo_close(bo), -EINVAL);
	check_eq(phyrbuf_bo_wrap(sys, handle, &bo), -ENOENT);

	/* a handle of another device's file is unknown here */
	check_ok(phyrbuf_bo_create(dm, page_size, PHYRBUF_PLACEMENT_DEVICE, 0, &bo));
	handle = phyrbuf_bo_handle(bo);
	check_ok(phyrbuf_bo_close(bo));
	check_eq(phyrbuf_bo_wrap(dm, handle, &bo), -ENOENT);

	/* NULL arguments */
	check_eq(phyrbuf_bo_create(sys, page_size, PHYRBUF_PLACEMENT_SYSTEM, 0, NULL), -EINVAL);
	check_eq(phyrbuf_bo_create(NULL, page_size, PHYRBUF_PLACEMENT_SYSTEM, 0, &bo), -EINVAL);
	check_eq(phyrbuf_dev_info(sys, NULL), -EINVAL);
	check_eq(phyrbuf_bo_close(NULL), 0);

	check_eq(device_free(dm), free0);
	phyrbuf_close(dm);
	phyrbuf_close(sys);
}

/* ---- helpers of the newer subtests ---- */

static int open_dev_null(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	check(fd >= 0);
	return fd;
}

static sigjmp_buf fault_jmp;

static void on_fault(int sig)
{
	(void)sig;
	siglongjmp(fault_jmp, 1);
}

/* Whether writing to @p raises SIGSEGV (or SIGBUS). */
static bool __attribute__((noinline)) write_faults(volatile uint32_t *p)
{
	struct sigaction sa = { .sa_handler = on_fault }, old_segv, old_bus;
	volatile bool faulted = false;

	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	if (sigsetjmp(fault_jmp, 1))
		faulted = true;
	else
		*p = 0x12345678;
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return faulted;
}

/* The index of the first device with device memory other than @not, or -1. */
static int other_device_memory_index(int not)
{
	int nr = phyrbuf_device_count(), i;

	for (i = 0; i < nr; i++) {
		struct phyrbuf_dev *dev;

		if (i == not || phyrbuf_open(i, PHYRBUF_OPEN_DEVICE_MEMORY, &dev))
			continue;
		phyrbuf_close(dev);
		return i;
	}
	return -1;
}

/* ---- the ABI, and bad input that needs no device ---- */

static void test_abi(void)
{
	struct phyrbuf_dev_info info;
	struct {
		struct phyrbuf_image image;
		uint64_t future;	/* a field a newer header might have */
	} img = { .image = { 16, 16, DRM_FORMAT_XRGB8888, 0, 0 } };
	struct phyrbuf_dev *dev;
	unsigned int cpp = 0;
	uint32_t format = 0;
	struct phyrbuf_bo *bo;
	char version[32];
	int fd, nullfd;
	size_t i;

	/* the version meson gave the project, in the header and at run time */
	check(!strcmp(PHYRBUF_VERSION, PHYR_PROJECT_VERSION));
	check(!strcmp(phyrbuf_version_string(), PHYR_PROJECT_VERSION));
	snprintf(version, sizeof(version), "%d.%d.%d", PHYRBUF_VERSION_MAJOR,
		 PHYRBUF_VERSION_MINOR, PHYRBUF_VERSION_MICRO);
	check(!strcmp(version, PHYR_PROJECT_VERSION));
	check_eq(phyrbuf_version(), PHYRBUF_VERSION_NUMBER);
	check_eq(PHYRBUF_VERSION_NUMBER, (PHYRBUF_VERSION_MAJOR << 16) |
		 (PHYRBUF_VERSION_MINOR << 8) | PHYRBUF_VERSION_MICRO);
	check(PHYRBUF_CHECK_VERSION(0, 2, 0));
	check(PHYRBUF_CHECK_VERSION(PHYRBUF_VERSION_MAJOR, PHYRBUF_VERSION_MINOR,
				    PHYRBUF_VERSION_MICRO));
	check(!PHYRBUF_CHECK_VERSION(PHYRBUF_VERSION_MAJOR, PHYRBUF_VERSION_MINOR,
				     PHYRBUF_VERSION_MICRO + 1));

	/* sized structures: too small for the first layout, or unknown fields set */
	check_eq(phyrbuf_device_describe_sized(0, &info, 8), -EINVAL);
	check_eq(phyrbuf_device_describe_sized(0, NULL, sizeof(info)), -EINVAL);
	check_eq(phyrbuf_device_describe(-1, &info), -ENODEV);
	check_eq(phyrbuf_device_describe(1000, &info), -ENODEV);
	img.future = 1;
	check_eq(phyrbuf_bo_create_image_sized(NULL, &img.image, sizeof(img),
					       PHYRBUF_PLACEMENT_SYSTEM, 0, &bo), -E2BIG);
	img.future = 0;
	check_eq(phyrbuf_bo_create_image_sized(NULL, &img.image, sizeof(img),
					       PHYRBUF_PLACEMENT_SYSTEM, 0, &bo), -EINVAL);
	check_eq(phyrbuf_bo_create_image_sized(NULL, &img.image, 8,
					       PHYRBUF_PLACEMENT_SYSTEM, 0, &bo), -EINVAL);
	check_eq(phyrbuf_bo_create_image(NULL, NULL, PHYRBUF_PLACEMENT_SYSTEM, 0, &bo), -EINVAL);

	/* formats: the names of drm_fourcc.h, both ways */
	check(!strcmp(phyrbuf_format_name(DRM_FORMAT_XRGB8888), "XRGB8888"));
	check(!strcmp(phyrbuf_format_name(DRM_FORMAT_RGB565), "RGB565"));
	check(!strcmp(phyrbuf_format_name(DRM_FORMAT_ABGR16161616F), "ABGR16161616F"));
	check(!phyrbuf_format_name(0));
	check(!phyrbuf_format_name(DRM_FORMAT_NV12));	/* two planes */
	check(!phyrbuf_format_name(DRM_FORMAT_C8));
	check_ok(phyrbuf_format_parse("xrgb8888", &format, &cpp));
	check_eq(format, DRM_FORMAT_XRGB8888);
	check_eq(cpp, 4);
	check_ok(phyrbuf_format_parse("R8", &format, &cpp));
	check_eq(format, DRM_FORMAT_R8);
	check_eq(cpp, 1);
	check_ok(phyrbuf_format_parse("XBGR16161616F", &format, NULL));
	check_eq(format, DRM_FORMAT_XBGR16161616F);
	check_eq(phyrbuf_format_parse("NV12", &format, &cpp), -EINVAL);
	check_eq(phyrbuf_format_parse("", &format, &cpp), -EINVAL);
	check_eq(phyrbuf_format_parse(NULL, &format, &cpp), -EINVAL);
	check_eq(phyrbuf_format_parse("R8", NULL, &cpp), -EINVAL);
	{
		static const uint32_t all[] = {
			DRM_FORMAT_R8, DRM_FORMAT_R16, DRM_FORMAT_RG88, DRM_FORMAT_GR88,
			DRM_FORMAT_RGB565, DRM_FORMAT_BGR565, DRM_FORMAT_XRGB8888,
			DRM_FORMAT_ARGB8888, DRM_FORMAT_XBGR8888, DRM_FORMAT_ABGR8888,
			DRM_FORMAT_RGBX8888, DRM_FORMAT_RGBA8888, DRM_FORMAT_BGRX8888,
			DRM_FORMAT_BGRA8888, DRM_FORMAT_XRGB2101010, DRM_FORMAT_ARGB2101010,
			DRM_FORMAT_XBGR2101010, DRM_FORMAT_ABGR2101010, DRM_FORMAT_GR1616,
			DRM_FORMAT_XRGB16161616, DRM_FORMAT_ARGB16161616,
			DRM_FORMAT_XBGR16161616, DRM_FORMAT_ABGR16161616,
			DRM_FORMAT_XRGB16161616F, DRM_FORMAT_ARGB16161616F,
			DRM_FORMAT_XBGR16161616F, DRM_FORMAT_ABGR16161616F,
		};

		for (i = 0; i < ARRAY_SIZE(all); i++) {
			const char *name = phyrbuf_format_name(all[i]);

			check(name);
			check_ok(phyrbuf_format_parse(name, &format, NULL));
			check_eq(format, all[i]);
		}
	}

	/* devices that are not */
	nullfd = open_dev_null();
	check_eq(phyrbuf_open_fd(-1, 0, &dev), -EBADF);
	check_eq(phyrbuf_open_fd(0x7fff, 0, &dev), -EBADF);
	check_eq(phyrbuf_open_fd(nullfd, 0, &dev), -ENODEV);
	check_eq(phyrbuf_open_fd(nullfd, 0, NULL), -EINVAL);
	check_eq(phyrbuf_open_fd(nullfd, PHYRBUF_OPEN_PRIMARY, &dev), -EINVAL);
	check_eq(phyrbuf_open_fd(nullfd, 0x80, &dev), -EINVAL);
	check_eq(phyrbuf_open_path("/dev/null", 0, &dev), -ENODEV);
	check_eq(phyrbuf_open_path("/nonexistent/renderD128", 0, &dev), -ENOENT);
	check_eq(phyrbuf_open_path(NULL, 0, &dev), -EINVAL);
	check_eq(phyrbuf_open_path("/dev/null", 0x80, &dev), -EINVAL);
	check_eq(phyrbuf_open(0, 0x80, &dev), -EINVAL);
	check_eq(phyrbuf_dev_fd(NULL), -EINVAL);
	check_eq(phyrbuf_dev_info(NULL, &info), -EINVAL);
	check_eq(phyrbuf_bo_handle(NULL), 0);
	check_eq(phyrbuf_bo_size(NULL), 0);
	check(phyrbuf_bo_dev(NULL) == NULL);
	check_eq(phyrbuf_bo_close(NULL), 0);
	check_eq(phyrbuf_bo_query(NULL, NULL), -EINVAL);
	check_eq(phyrbuf_bo_ranges(NULL, NULL, 0), -EINVAL);
	check_eq(phyrbuf_bo_map(NULL, 0, 1, PHYRBUF_MAP_READ, NULL), -EINVAL);
	check_eq(phyrbuf_bo_begin_cpu_access(NULL, PHYRBUF_ACCESS_READ), -EINVAL);
	check_eq(phyrbuf_bo_import(NULL, nullfd, &bo), -EINVAL);
	check_eq(phyrbuf_dmabuf_probe(NULL, nullfd, NULL), -EINVAL);
	check_eq(phyrbuf_fence_signal(NULL, 1), -EINVAL);

	/* dma-buf calls on things that are not dma-bufs */
	check_eq(phyrbuf_dmabuf_begin_cpu_access(nullfd, 0), -EINVAL);
	check_eq(phyrbuf_dmabuf_begin_cpu_access(nullfd, 0x4), -EINVAL);
	check_eq(phyrbuf_dmabuf_begin_cpu_access(nullfd, PHYRBUF_ACCESS_READ), -ENOTTY);
	check_eq(phyrbuf_dmabuf_end_cpu_access(nullfd, PHYRBUF_ACCESS_WRITE), -ENOTTY);
	check_eq(phyrbuf_dmabuf_begin_cpu_access(0x7fff, PHYRBUF_ACCESS_READ), -EBADF);
	check_eq(phyrbuf_dmabuf_export_sync_file(nullfd, PHYRBUF_ACCESS_READ, NULL), -EINVAL);
	check_eq(phyrbuf_dmabuf_export_sync_file(nullfd, 0, &fd), -EINVAL);
	check_eq(phyrbuf_dmabuf_export_sync_file(nullfd, PHYRBUF_ACCESS_READ, &fd), -ENOTTY);
	check_eq(phyrbuf_dmabuf_export_sync_file(0x7fff, PHYRBUF_ACCESS_READ, &fd), -EBADF);
	check_eq(phyrbuf_dmabuf_import_sync_file(nullfd, 0x8, nullfd), -EINVAL);
	check_eq(phyrbuf_dmabuf_import_sync_file(nullfd, PHYRBUF_ACCESS_WRITE, nullfd), -ENOTTY);
	close(nullfd);
}

/* ---- opening devices by path and by fd; lifetimes ---- */

static void test_open(void)
{
	struct phyrbuf_dev *dev, *again, *other;
	struct phyrbuf_dev_info desc, info;
	struct phyrbuf_bo_info binfo;
	struct phyrbuf_bo *bo;
	int fd, fd2, devfd, sys = system_only_index();
	void *p;

	check_ok(phyrbuf_device_describe(sys, &desc));
	check(desc.render_node[0]);

	/* by path: the render node and the primary node */
	check_ok(phyrbuf_open_path(desc.render_node, 0, &dev));
	check_ok(phyrbuf_dev_info(dev, &info));
	check_eq(info.index, sys);
	check_eq(info.node_type, PHYRBUF_NODE_RENDER);
	check(!strcmp(info.node, desc.render_node));
	check(!strcmp(info.primary_node, desc.primary_node));
	check(!strcmp(info.location, "phyr_vgem"));
	check_eq(phyrbuf_open_path(desc.render_node, PHYRBUF_OPEN_DEVICE_MEMORY, &other),
		 -ENODEV);
	phyrbuf_close(dev);
	check_ok(phyrbuf_open_path(desc.primary_node, 0, &dev));
	check_ok(phyrbuf_dev_info(dev, &info));
	check_eq(info.node_type, PHYRBUF_NODE_PRIMARY);
	check(!strcmp(info.node, desc.primary_node));
	phyrbuf_close(dev);

	/* by fd, as from logind: the caller's fd stays the caller's */
	fd = open(desc.render_node, O_RDWR | O_CLOEXEC);
	check(fd >= 0);
	check_ok(phyrbuf_open_fd(fd, 0, &dev));
	check(phyrbuf_dev_fd(dev) != fd);
	check_ok(phyrbuf_dev_info(dev, &info));
	check_eq(info.node_type, PHYRBUF_NODE_RENDER);
	check_eq(info.index, sys);
	/* the same DRM file again, by the same fd or a dup: the same device */
	check_ok(phyrbuf_open_fd(fd, 0, &again));
	check(again == dev);
	phyrbuf_close(again);
	fd2 = dup(fd);
	check(fd2 >= 0);
	check_ok(phyrbuf_open_fd(fd2, 0, &again));
	check(again == dev);
	phyrbuf_close(again);
	close(fd2);
	check_ok(phyrbuf_open_fd(phyrbuf_dev_fd(dev), 0, &again));
	check(again == dev);
	phyrbuf_close(again);
	/* a buffer made through the library is a handle of the caller's file */
	check_ok(phyrbuf_bo_create(dev, page_size, PHYRBUF_PLACEMENT_SYSTEM, 0, &bo));
	{
		struct drm_phyr_vgem_bo_query q = { .handle = phyrbuf_bo_handle(bo) };

		check_ok(ioctl(fd, DRM_IOCTL_PHYR_VGEM_BO_QUERY, &q) ? -errno : 0);
		check_eq(q.size, page_size);
	}
	close(fd);
	/* the caller closed its fd: the library's still works */
	query(bo, &binfo);
	check_ok(phyrbuf_bo_close(bo));
	/* another open of the same node is another DRM file: another device */
	check_ok(phyrbuf_open_path(desc.render_node, 0, &other));
	check(other != dev);
	phyrbuf_close(other);

	/* a buffer keeps its device: close the device first */
	check_ok(phyrbuf_bo_create(dev, 2 * page_size, PHYRBUF_PLACEMENT_SYSTEM, 0, &bo));
	devfd = phyrbuf_dev_fd(dev);
	phyrbuf_close(dev);
	check(fcntl(devfd, F_GETFD) >= 0);
	query(bo, &binfo);
	check_ok(phyrbuf_bo_mmap(bo, &p));
	pt_fill_words(p, 2 * page_size, 0x77);
	check(matches(p, 2 * page_size, 0x77, "buffer of a closed device"));
	check_ok(phyrbuf_bo_munmap(bo, p));
	check_ok(phyrbuf_bo_close(bo));
	/* and the last buffer closed the DRM file */
	check_eq(fcntl(devfd, F_GETFD), -1);
	check_eq(errno, EBADF);

	/* a device whose fd was closed behind the library: EBADF, nothing worse */
	check_ok(phyrbuf_open(sys, 0, &dev));
	close(phyrbuf_dev_fd(dev));
	check_eq(phyrbuf_dev_info(dev, &info), -EBADF);
	check_eq(phyrbuf_bo_create(dev, page_size, PHYRBUF_PLACEMENT_SYSTEM, 0, &bo), -EBADF);
	check_eq(phyrbuf_bo_import(dev, 0x7fff, &bo), -EBADF);
	phyrbuf_close(dev);
}

/* ---- buffers with images ---- */

static void check_image(struct phyrbuf_bo *bo, uint32_t w, uint32_t h, uint32_t format,
			uint32_t stride, uint64_t size)
{
	struct phyrbuf_bo_info info;

	query(bo, &info);
	check_eq(info.width, w);
	check_eq(info.height, h);
	check_eq(info.format, format);
	check_eq(info.stride, stride);
	check_eq(info.modifier, PHYRBUF_MODIFIER_LINEAR);
	check_eq(info.size, size);
	check_eq(phyrbuf_bo_size(bo), size);
}

static int create_image(struct phyrbuf_dev *dev, uint32_t w, uint32_t h, uint32_t format,
			uint32_t stride, uint64_t modifier, enum phyrbuf_placement placement,
			struct phyrbuf_bo **bo)
{
	struct phyrbuf_image img = {
		.width = w, .height = h, .format = format, .stride = stride,
		.modifier = modifier,
	};

	return phyrbuf_bo_create_image(dev, &img, placement, 0, bo);
}

static void test_image(void)
{
	struct phyrbuf_dev_info dinfo;
	struct phyrbuf_dev *sys, *dm;
	struct phyrbuf_bo_info info;
	struct phyrbuf_bo *bo, *imp;
	const uint64_t lin = PHYRBUF_MODIFIER_LINEAR;
	const uint32_t xrgb = DRM_FORMAT_XRGB8888;
	int dmabuf;

	sys = open_system_only();
	dm = open_device_memory(&dinfo);

	/* the compositor's buffer: 256x256 XRGB8888, the kernel's stride */
	check_ok(create_image(sys, 256, 256, xrgb, 0, lin, PHYRBUF_PLACEMENT_SYSTEM, &bo));
	/* 256 pixels of 4 bytes, a multiple of 64: 1024; 256 rows: 256 KiB */
	check_image(bo, 256, 256, xrgb, 1024, 256 * 1024);
	/* another device importing it gets the metadata too */
	check_ok(phyrbuf_bo_export(bo, &dmabuf));
	check_ok(phyrbuf_bo_import(dm, dmabuf, &imp));
	query(imp, &info);
	check_eq(info.import_flavour, PHYRBUF_FLAVOUR_PHYR);
	check_image(imp, 256, 256, xrgb, 1024, 256 * 1024);
	check_ok(phyrbuf_bo_close(imp));
	close(dmabuf);
	check_ok(phyrbuf_bo_close(bo));

	/* strides: rounded up to 64 bytes, or as asked; sizes to the page */
	check_ok(create_image(dm, 100, 50, DRM_FORMAT_RGB565, 0, lin, PHYRBUF_PLACEMENT_DEVICE,
			      &bo));
	check_image(bo, 100, 50, DRM_FORMAT_RGB565, 256, 16384);	/* 12800 bytes */
	/* the image stays with the buffer as it moves */
	check_ok(phyrbuf_bo_migrate(bo, PHYRBUF_PLACEMENT_SYSTEM));
	check_image(bo, 100, 50, DRM_FORMAT_RGB565, 256, 16384);
	check_ok(phyrbuf_bo_migrate(bo, PHYRBUF_PLACEMENT_DEVICE));
	check_image(bo, 100, 50, DRM_FORMAT_RGB565, 256, 16384);
	check_ok(phyrbuf_bo_close(bo));
	check_ok(create_image(dm, 256, 256, xrgb, 4096, lin, PHYRBUF_PLACEMENT_DEVICE, &bo));
	check_image(bo, 256, 256, xrgb, 4096, 1 * MiB);
	check_ok(phyrbuf_bo_close(bo));
	check_ok(create_image(sys, 200, 120, xrgb, 800, lin, PHYRBUF_PLACEMENT_SYSTEM, &bo));
	check_image(bo, 200, 120, xrgb, 800, 98304);	/* 96000 bytes, exactly 800/row */
	check_ok(phyrbuf_bo_close(bo));
	check_ok(create_image(sys, 1, 1, DRM_FORMAT_R8, 0, lin, PHYRBUF_PLACEMENT_SYSTEM, &bo));
	check_image(bo, 1, 1, DRM_FORMAT_R8, 64, page_size);
	check_ok(phyrbuf_bo_close(bo));
	check_ok(create_image(sys, 16384, 1, DRM_FORMAT_ABGR16161616F, 0, lin,
			      PHYRBUF_PLACEMENT_SYSTEM, &bo));
	check_image(bo, 16384, 1, DRM_FORMAT_ABGR16161616F, 131072, 131072);
	check_ok(phyrbuf_bo_close(bo));
	/* contiguous device memory with an image */
	{
		struct phyrbuf_image img = { 64, 64, xrgb, 0, lin };

		check_ok(phyrbuf_bo_create_image(dm, &img, PHYRBUF_PLACEMENT_DEVICE,
						 PHYRBUF_BO_CONTIGUOUS, &bo));
		query(bo, &info);
		check_eq(info.nr_ranges, 1);
		check_eq(info.stride, 256);
		check_ok(phyrbuf_bo_close(bo));
	}

	/* a buffer without an image says so */
	check_ok(phyrbuf_bo_create(sys, page_size, PHYRBUF_PLACEMENT_SYSTEM, 0, &bo));
	query(bo, &info);
	check_eq(info.format, 0);
	check_eq(info.width, 0);
	check_eq(info.height, 0);
	check_eq(info.stride, 0);
	check_eq(info.modifier, PHYRBUF_MODIFIER_INVALID);
	check_ok(phyrbuf_bo_close(bo));

	/* bad images */
	check_eq(create_image(sys, 0, 16, xrgb, 0, lin, PHYRBUF_PLACEMENT_SYSTEM, &bo), -EINVAL);
	check_eq(create_image(sys, 16, 0, xrgb, 0, lin, PHYRBUF_PLACEMENT_SYSTEM, &bo), -EINVAL);
	check_eq(create_image(sys, 16385, 1, xrgb, 0, lin, PHYRBUF_PLACEMENT_SYSTEM, &bo),
		 -EINVAL);
	check_eq(create_image(sys, 1, 16385, xrgb, 0, lin, PHYRBUF_PLACEMENT_SYSTEM, &bo),
		 -EINVAL);
	check_eq(create_image(sys, ~0u, ~0u, xrgb, 0, lin, PHYRBUF_PLACEMENT_SYSTEM, &bo),
		 -EINVAL);
	/* unknown formats */
	check_eq(create_image(sys, 16, 16, 0, 0, lin, PHYRBUF_PLACEMENT_SYSTEM, &bo), -EINVAL);
	check_eq(create_image(sys, 16, 16, DRM_FORMAT_NV12, 0, lin, PHYRBUF_PLACEMENT_SYSTEM,
			      &bo), -EINVAL);
	check_eq(create_image(sys, 16, 16, DRM_FORMAT_C8, 0, lin, PHYRBUF_PLACEMENT_SYSTEM, &bo),
		 -EINVAL);
	check_eq(create_image(sys, 16, 16, fourcc_code('P', 'H', 'Y', 'R'), 0, lin,
			      PHYRBUF_PLACEMENT_SYSTEM, &bo), -EINVAL);
	check_eq(create_image(sys, 16, 16, xrgb | DRM_FORMAT_BIG_ENDIAN, 0, lin,
			      PHYRBUF_PLACEMENT_SYSTEM, &bo), -EINVAL);
	/* layouts other than linear */
	check_eq(create_image(sys, 16, 16, xrgb, 0, PHYRBUF_MODIFIER_INVALID,
			      PHYRBUF_PLACEMENT_SYSTEM, &bo), -EINVAL);
	check_eq(create_image(sys, 16, 16, xrgb, 0, I915_FORMAT_MOD_X_TILED,
			      PHYRBUF_PLACEMENT_SYSTEM, &bo), -EINVAL);
	/* strides too small */
	check_eq(create_image(sys, 256, 16, xrgb, 1023, lin, PHYRBUF_PLACEMENT_SYSTEM, &bo),
		 -EINVAL);
	check_eq(create_image(sys, 256, 16, xrgb, 1, lin, PHYRBUF_PLACEMENT_SYSTEM, &bo),
		 -EINVAL);
	check_eq(create_image(sys, 16384, 16, DRM_FORMAT_ABGR16161616F, 131071, lin,
			      PHYRBUF_PLACEMENT_SYSTEM, &bo), -EINVAL);
	/* sizes that do not fit: width x height x bpp beyond device memory */
	check_eq(create_image(dm, 16384, 16384, DRM_FORMAT_ABGR16161616F, 0, lin,
			      PHYRBUF_PLACEMENT_DEVICE, &bo), -EINVAL);
	check_eq(create_image(dm, 1, 16384, DRM_FORMAT_R8, ~0u, lin, PHYRBUF_PLACEMENT_DEVICE,
			      &bo), -EINVAL);
	/* placements and flags */
	check_eq(create_image(sys, 16, 16, xrgb, 0, lin, 2, &bo), -EINVAL);
	check_eq(create_image(sys, 16, 16, xrgb, 0, lin, PHYRBUF_PLACEMENT_DEVICE, &bo), -ENODEV);
	{
		struct phyrbuf_image img = { 16, 16, xrgb, 0, lin };

		check_eq(phyrbuf_bo_create_image(sys, &img, PHYRBUF_PLACEMENT_SYSTEM,
						 PHYRBUF_BO_CONTIGUOUS, &bo), -EINVAL);
		check_eq(phyrbuf_bo_create_image(sys, &img, PHYRBUF_PLACEMENT_SYSTEM, 0x2, &bo),
			 -EINVAL);
		check_eq(phyrbuf_bo_create_image(sys, &img, PHYRBUF_PLACEMENT_SYSTEM, 0x80, &bo),
			 -EINVAL);
		check_eq(phyrbuf_bo_create_image(sys, &img, PHYRBUF_PLACEMENT_SYSTEM, 0, NULL),
			 -EINVAL);
		/* the image flag belongs to create_image, not to create */
		check_eq(phyrbuf_bo_create(sys, page_size, PHYRBUF_PLACEMENT_SYSTEM, 0x2, &bo),
			 -EINVAL);
	}
	/* nothing of it took device memory */
	check_eq(device_free(dm), dinfo.device_size);
	phyrbuf_close(dm);
	phyrbuf_close(sys);
}

/* ---- partial and read-only maps ---- */

static void check_partial_maps(struct phyrbuf_bo *bo, const char *what)
{
	uint64_t size = phyrbuf_bo_size(bo), off = 4 * page_size, len = 3 * page_size;
	uint32_t *whole, *part, *ro;
	void *p;

	check(size >= 8 * (uint64_t)page_size);
	check_ok(phyrbuf_bo_mmap(bo, &p));
	whole = p;
	pt_fill_words(whole, size, 0x4d4d);

	/* a window into the middle sees the same bytes */
	check_ok(phyrbuf_bo_map(bo, off, len, PHYRBUF_MAP_READ | PHYRBUF_MAP_WRITE, &p));
	part = p;
	for (uint64_t i = 0; i < len / 4; i++)
		check(part[i] == pt_word(0x4d4d, off / 4 + i));
	/* and writes through it land there */
	part[0] = 0xfeedf00d;
	part[len / 4 - 1] = 0xdecafbad;
	check_eq(whole[off / 4], 0xfeedf00d);
	check_eq(whole[(off + len) / 4 - 1], 0xdecafbad);
	check_eq(whole[off / 4 - 1], pt_word(0x4d4d, off / 4 - 1));
	check_eq(whole[(off + len) / 4], pt_word(0x4d4d, (off + len) / 4));
	check_ok(phyrbuf_bo_unmap(bo, part, len));

	/* read-only: reads work, a write faults and changes nothing */
	check_ok(phyrbuf_bo_map(bo, 0, size, PHYRBUF_MAP_READ, &p));
	ro = p;
	check_eq(ro[1], pt_word(0x4d4d, 1));
	check(write_faults(&ro[1]));
	check_eq(whole[1], pt_word(0x4d4d, 1));
	check_ok(phyrbuf_bo_unmap(bo, ro, size));
	/* the last page alone, less than a page long */
	check_ok(phyrbuf_bo_map(bo, size - page_size, 100, PHYRBUF_MAP_READ, &p));
	check_eq(((uint32_t *)p)[3], pt_word(0x4d4d, (size - page_size) / 4 + 3));
	check_ok(phyrbuf_bo_unmap(bo, p, 100));

	/* bad windows */
	check_eq(phyrbuf_bo_map(bo, 1, page_size, PHYRBUF_MAP_READ, &p), -EINVAL);
	check_eq(phyrbuf_bo_map(bo, page_size / 2, page_size, PHYRBUF_MAP_READ, &p), -EINVAL);
	check_eq(phyrbuf_bo_map(bo, 0, 0, PHYRBUF_MAP_READ, &p), -EINVAL);
	check_eq(phyrbuf_bo_map(bo, 0, size + 1, PHYRBUF_MAP_READ, &p), -EINVAL);
	check_eq(phyrbuf_bo_map(bo, size, page_size, PHYRBUF_MAP_READ, &p), -EINVAL);
	check_eq(phyrbuf_bo_map(bo, size - page_size, 2 * page_size, PHYRBUF_MAP_READ, &p),
		 -EINVAL);
	/* an offset + length that wraps around */
	check_eq(phyrbuf_bo_map(bo, page_size, UINT64_MAX - page_size + 2, PHYRBUF_MAP_READ, &p),
		 -EINVAL);
	check_eq(phyrbuf_bo_map(bo, UINT64_MAX & ~(uint64_t)(page_size - 1), page_size,
				PHYRBUF_MAP_READ, &p), -EINVAL);
	/* bad access */
	check_eq(phyrbuf_bo_map(bo, 0, page_size, 0, &p), -EINVAL);
	check_eq(phyrbuf_bo_map(bo, 0, page_size, PHYRBUF_MAP_WRITE, &p), -EINVAL);
	check_eq(phyrbuf_bo_map(bo, 0, page_size, PHYRBUF_MAP_READ | 0x4, &p), -EINVAL);
	check_eq(phyrbuf_bo_map(bo, 0, page_size, PHYRBUF_MAP_READ, NULL), -EINVAL);
	check_eq(phyrbuf_bo_unmap(bo, NULL, page_size), -EINVAL);
	check_eq(phyrbuf_bo_unmap(bo, whole, 0), -EINVAL);
	check_ok(phyrbuf_bo_munmap(bo, whole));
	printf("%s: partial, read-only and bad maps as expected\n", what);
}

static void test_maps(void)
{
	struct phyrbuf_dev_info dinfo;
	struct phyrbuf_dev *sys, *dm;
	struct phyrbuf_bo *bo, *imp;
	int dmabuf;

	sys = open_system_only();
	dm = open_device_memory(&dinfo);

	check_ok(phyrbuf_bo_create(sys, 16 * page_size, PHYRBUF_PLACEMENT_SYSTEM, 0, &bo));
	check_partial_maps(bo, "system memory");
	/* a buffer of another device, mapped through its dma-buf at an offset */
	check_ok(phyrbuf_bo_export(bo, &dmabuf));
	check_ok(phyrbuf_bo_import(dm, dmabuf, &imp));
	check_partial_maps(imp, "imported system memory");
	check_ok(phyrbuf_bo_close(imp));
	close(dmabuf);
	check_ok(phyrbuf_bo_close(bo));

	check_ok(phyrbuf_bo_create(dm, 16 * page_size, PHYRBUF_PLACEMENT_DEVICE, 0, &bo));
	check_partial_maps(bo, "device memory");
	check_ok(phyrbuf_bo_close(bo));
	phyrbuf_close(dm);
	phyrbuf_close(sys);
}

/* ---- CPU access brackets and sync_files ---- */

struct begin_job {
	struct phyrbuf_bo *bo;
	int ret;
	bool done;
};

static void *begin_thread(void *data)
{
	struct begin_job *job = data;

	job->ret = phyrbuf_bo_begin_cpu_access(job->bo, PHYRBUF_ACCESS_READ);
	__atomic_store_n(&job->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* 1 if the sync_file has signaled, 0 if not */
static int signaled(int sync_file)
{
	struct pollfd pfd = { .fd = sync_file, .events = POLLIN };
	int ret = poll(&pfd, 1, 0);

	check(ret >= 0);
	return ret;
}

static void test_sync(void)
{
	struct phyrbuf_bo *a, *b;
	struct phyrbuf_dev *dev;
	int da, db, sf, sf2;
	uint32_t w, r;

	dev = open_system_only();
	check_ok(phyrbuf_bo_create(dev, page_size, PHYRBUF_PLACEMENT_SYSTEM, 0, &a));
	check_ok(phyrbuf_bo_create(dev, page_size, PHYRBUF_PLACEMENT_SYSTEM, 0, &b));

	/* brackets on an idle buffer, every access */
	check_ok(phyrbuf_bo_begin_cpu_access(a, PHYRBUF_ACCESS_READ));
	check_ok(phyrbuf_bo_end_cpu_access(a, PHYRBUF_ACCESS_READ));
	check_ok(phyrbuf_bo_begin_cpu_access(a, PHYRBUF_ACCESS_WRITE));
	check_ok(phyrbuf_bo_end_cpu_access(a, PHYRBUF_ACCESS_WRITE));
	check_ok(phyrbuf_bo_begin_cpu_access(a, PHYRBUF_ACCESS_READ | PHYRBUF_ACCESS_WRITE));
	check_ok(phyrbuf_bo_end_cpu_access(a, PHYRBUF_ACCESS_READ | PHYRBUF_ACCESS_WRITE));
	check_eq(phyrbuf_bo_begin_cpu_access(a, 0), -EINVAL);
	check_eq(phyrbuf_bo_begin_cpu_access(a, 0x4), -EINVAL);
	check_eq(phyrbuf_bo_end_cpu_access(a, ~0u), -EINVAL);

	/* a pending writer: a read access waits for it */
	check_ok(phyrbuf_bo_fence_attach(a, PHYRBUF_FENCE_WRITE, &w));
	{
		struct begin_job job = { .bo = a };
		pthread_t thread;

		check_eq(pthread_create(&thread, NULL, begin_thread, &job), 0);
		usleep(300 * 1000);
		check(!__atomic_load_n(&job.done, __ATOMIC_ACQUIRE));
		check_ok(phyrbuf_fence_signal(dev, w));
		check_eq(pthread_join(thread, NULL), 0);
		check_ok(job.ret);
		check_ok(phyrbuf_bo_end_cpu_access(a, PHYRBUF_ACCESS_READ));
	}

	/* sync_file export: a snapshot of the fences an access waits for */
	check_ok(phyrbuf_bo_export(a, &da));
	check_ok(phyrbuf_bo_export(b, &db));
	check_ok(phyrbuf_dmabuf_export_sync_file(da, PHYRBUF_ACCESS_READ, &sf));
	check_eq(signaled(sf), 1);		/* nothing pending */
	close(sf);
	check_ok(phyrbuf_bo_fence_attach(a, PHYRBUF_FENCE_WRITE, &w));
	check_ok(phyrbuf_dmabuf_export_sync_file(da, PHYRBUF_ACCESS_READ, &sf));
	check_ok(phyrbuf_dmabuf_export_sync_file(da, PHYRBUF_ACCESS_READ | PHYRBUF_ACCESS_WRITE,
						 &sf2));
	check(fcntl(sf, F_GETFD) & FD_CLOEXEC);
	check_eq(signaled(sf), 0);
	check_eq(signaled(sf2), 0);

	/* sync_file import: b now waits for a's writer too */
	check_eq(phyrbuf_dmabuf_busy(db, 0), 0);
	check_ok(phyrbuf_dmabuf_import_sync_file(db, PHYRBUF_ACCESS_WRITE, sf));
	check_eq(phyrbuf_dmabuf_busy(db, 0), 1);
	check_eq(phyrbuf_dmabuf_busy(db, 1), 1);
	check_ok(phyrbuf_fence_signal(dev, w));
	check_eq(signaled(sf), 1);
	check_eq(signaled(sf2), 1);
	check_eq(phyrbuf_dmabuf_busy(db, 0), 0);
	check_eq(phyrbuf_dmabuf_busy(db, 1), 0);
	close(sf2);
	close(sf);

	/* a reader: a read snapshot does not wait for it, a write one does */
	check_ok(phyrbuf_bo_fence_attach(a, 0, &r));
	check_ok(phyrbuf_dmabuf_export_sync_file(da, PHYRBUF_ACCESS_READ, &sf));
	check_ok(phyrbuf_dmabuf_export_sync_file(da, PHYRBUF_ACCESS_WRITE, &sf2));
	check_eq(signaled(sf), 1);
	check_eq(signaled(sf2), 0);
	/* imported as a read fence: writers of b wait, readers do not */
	check_ok(phyrbuf_dmabuf_import_sync_file(db, PHYRBUF_ACCESS_READ, sf2));
	check_eq(phyrbuf_dmabuf_busy(db, 0), 0);
	check_eq(phyrbuf_dmabuf_busy(db, 1), 1);
	check_ok(phyrbuf_fence_signal(dev, r));
	check_eq(signaled(sf2), 1);
	check_eq(phyrbuf_dmabuf_busy(db, 1), 0);
	close(sf2);

	/* bad input */
	{
		int nullfd = open_dev_null();

		check_eq(phyrbuf_dmabuf_import_sync_file(db, PHYRBUF_ACCESS_WRITE, nullfd), -EINVAL);
		check_eq(phyrbuf_dmabuf_import_sync_file(db, PHYRBUF_ACCESS_WRITE, 0x7fff), -EINVAL);
		check_eq(phyrbuf_dmabuf_import_sync_file(db, PHYRBUF_ACCESS_WRITE, db), -EINVAL);
		check_eq(phyrbuf_dmabuf_import_sync_file(db, 0, sf), -EINVAL);
		check_eq(phyrbuf_dmabuf_import_sync_file(db, 0x4, sf), -EINVAL);
		check_eq(phyrbuf_dmabuf_export_sync_file(db, 0x4, &sf2), -EINVAL);
		check_eq(phyrbuf_dmabuf_export_sync_file(phyrbuf_dev_fd(dev), PHYRBUF_ACCESS_READ,
							 &sf2), -ENOTTY);
		check_eq(phyrbuf_dmabuf_begin_cpu_access(phyrbuf_dev_fd(dev), PHYRBUF_ACCESS_READ),
			 -ENOTTY);
		close(nullfd);
	}
	close(sf);
	close(da);
	close(db);
	check_ok(phyrbuf_bo_close(a));
	check_ok(phyrbuf_bo_close(b));
	phyrbuf_close(dev);
}

/* ---- what a dma-buf offers, and what a device would take ---- */

/* The offers of @d as the fdinfo line writes them. */
static void offers_text(const struct phyrbuf_dmabuf_info *d, char *out, size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	for (uint32_t i = 0; i < d->nr_offers; i++) {
		const struct phyrbuf_offer *o = &d->offers[i];
		char name[32];

		phyrbuf_flavour_names(o->flavour, name, sizeof(name));
		if (o->flags & PHYRBUF_OFFER_BRIDGE)
			n += snprintf(out + n, len - n, "%s%s(bridge)", n ? " " : "", name);
		else
			n += snprintf(out + n, len - n, "%s%s%s%s", n ? " " : "", name,
				      o->flags & PHYRBUF_OFFER_MMIO ? "+mmio" : "",
				      o->flags & PHYRBUF_OFFER_CPU ? "+cpu" : "");
	}
}

/* probe @dmabuf from @dev, print it, check it against the fdinfo line */
static void probe(struct phyrbuf_dev *dev, int dmabuf, struct phyrbuf_dmabuf_info *d)
{
	char text[256], line[256], imp[32];

	memset(d, 0xa5, sizeof(*d));
	check_ok(phyrbuf_dmabuf_probe(dev, dmabuf, d));
	check(d->nr_offers <= PHYRBUF_MAX_OFFERS);
	offers_text(d, text, sizeof(text));
	check_ok(phyrbuf_dmabuf_flavours(dmabuf, line, sizeof(line)));
	phyrbuf_flavour_names(d->import.flavour, imp, sizeof(imp));
	printf("probe: offers '%s' (fdinfo '%s'), status %#x, import %s%s%s, error %d\n",
	       text, line, d->status, imp, d->import.provider[0] ? " via " : "",
	       d->import.provider, d->import_error);
	if (!(d->status & PHYRBUF_DMABUF_LEGACY))
		check(!strcmp(text, line));
}

/* Import @dmabuf into @dev: the negotiated flavour is what the probe said. */
static void import_as_probed(struct phyrbuf_dev *dev, int dmabuf)
{
	struct phyrbuf_dmabuf_info d;
	struct phyrbuf_bo_info info;
	struct phyrbuf_bo *bo;

	probe(dev, dmabuf, &d);
	if (d.import_error) {
		check_eq(d.import.flavour, 0);
		check_eq(phyrbuf_bo_import(dev, dmabuf, &bo), d.import_error);
		return;
	}
	check_ok(phyrbuf_bo_import(dev, dmabuf, &bo));
	query(bo, &info);
	check_eq(info.import_flavour, d.import.flavour);
	check_ok(phyrbuf_bo_close(bo));
}

static void test_probe(void)
{
	struct phyrbuf_dev_info dinfo;
	struct phyrbuf_dmabuf_info d;
	struct phyrbuf_dev *sys, *dm, *dm2 = NULL;
	struct phyrbuf_bo *bo;
	int dmabuf, other, nullfd;

	sys = open_system_only();
	dm = open_device_memory(&dinfo);
	other = other_device_memory_index(dinfo.index);
	if (other >= 0)
		check_ok(phyrbuf_open(other, 0, &dm2));

	/* system memory of the faux device */
	check_ok(phyrbuf_bo_create(sys, 64 * 1024, PHYRBUF_PLACEMENT_SYSTEM, 0, &bo));
	check_ok(phyrbuf_bo_export(bo, &dmabuf));
	probe(sys, dmabuf, &d);
	check_eq(d.status, PHYRBUF_DMABUF_OWN);
	check_eq(d.nr_offers, 3);
	check_eq(d.offers[0].flavour, PHYRBUF_FLAVOUR_PHYR);
	check_eq(d.offers[0].flags, PHYRBUF_OFFER_CPU);
	check_eq(d.offers[1].flavour, PHYRBUF_FLAVOUR_SG_TABLE);
	check_eq(d.offers[1].flags, PHYRBUF_OFFER_CPU);
	/* CPU access to CPU RAM, which the core serves from the phyr */
	check_eq(d.offers[2].flavour, PHYRBUF_FLAVOUR_CPU_ACCESS);
	check_eq(d.offers[2].flags, PHYRBUF_OFFER_CPU | PHYRBUF_OFFER_BRIDGE);
	check_eq(d.import.flavour, 0);
	check_eq(d.import_error, 0);
	probe(dm, dmabuf, &d);
	check_eq(d.status, 0);
	check_eq(d.import.flavour, PHYRBUF_FLAVOUR_PHYR);
	check_eq(d.import.flags, 0);
	check_eq(d.import_error, 0);
	import_as_probed(dm, dmabuf);
	close(dmabuf);
	check_ok(phyrbuf_bo_close(bo));

	/*
	 * device memory: private, phyr of the BAR, CPU access to it, CPU access
	 * to CPU RAM (by a move), the bridge
	 */
	check_ok(phyrbuf_bo_create(dm, 64 * 1024, PHYRBUF_PLACEMENT_DEVICE, 0, &bo));
	check_ok(phyrbuf_bo_export(bo, &dmabuf));
	probe(sys, dmabuf, &d);
	check_eq(d.status, 0);
	check_eq(d.nr_offers, 5);
	check_eq(d.offers[0].flavour, PHYRBUF_FLAVOUR_PRIVATE);
	check_eq(d.offers[1].flavour, PHYRBUF_FLAVOUR_PHYR);
	check_eq(d.offers[1].flags, PHYRBUF_OFFER_MMIO);
	/* the MMIO is the exporting device's BAR: sysfs names the same device */
	check(!strcmp(d.offers[1].provider, dinfo.location));
	check_eq(d.offers[2].flavour, PHYRBUF_FLAVOUR_CPU_ACCESS);
	check_eq(d.offers[2].flags, PHYRBUF_OFFER_MMIO);
	check(!strcmp(d.offers[2].provider, dinfo.location));
	check_eq(d.offers[3].flavour, PHYRBUF_FLAVOUR_CPU_ACCESS);
	check_eq(d.offers[3].flags, PHYRBUF_OFFER_CPU);
	check_eq(d.offers[4].flavour, PHYRBUF_FLAVOUR_SG_TABLE);
	check_eq(d.offers[4].flags, PHYRBUF_OFFER_BRIDGE | PHYRBUF_OFFER_MMIO);
	check(!strcmp(d.offers[4].provider, dinfo.location));
	/* the faux device reaches no BAR */
	check_eq(d.import.flavour, 0);
	check_eq(d.import_error, -EOPNOTSUPP);
	import_as_probed(sys, dmabuf);
	probe(dm, dmabuf, &d);
	check_eq(d.status, PHYRBUF_DMABUF_OWN);
	if (dm2) {
		probe(dm2, dmabuf, &d);
		check_eq(d.import.flavour, PHYRBUF_FLAVOUR_PRIVATE);
		check_eq(d.import_error, 0);
		import_as_probed(dm2, dmabuf);
	}
	/* moved to system memory: the offers change, the faux device can take it */
	check_ok(phyrbuf_bo_migrate(bo, PHYRBUF_PLACEMENT_SYSTEM));
	probe(sys, dmabuf, &d);
	check_eq(d.offers[0].flavour, PHYRBUF_FLAVOUR_PHYR);
	check_eq(d.offers[0].flags, PHYRBUF_OFFER_CPU);
	check_eq(d.import.flavour, PHYRBUF_FLAVOUR_SG_TABLE);
	import_as_probed(sys, dmabuf);
	close(dmabuf);
	check_ok(phyrbuf_bo_close(bo));

	/* another exporter: udmabuf (no flavours of its own) */
	{
		int memfd = memfd_create("probe", MFD_ALLOW_SEALING | MFD_CLOEXEC);
		int udev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
		struct udmabuf_create c = { .memfd = memfd, .size = 64 * 1024 };

		check(memfd >= 0);
		check_ok(ftruncate(memfd, 64 * 1024) ? -errno : 0);
		check_ok(fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) ? -errno : 0);
		if (udev < 0) {
			printf("no /dev/udmabuf (%s): the foreign exporter is not tried\n",
			       strerror(errno));
		} else {
			dmabuf = ioctl(udev, UDMABUF_CREATE, &c);
			check(dmabuf >= 0);
			probe(sys, dmabuf, &d);
			check_eq(d.status, PHYRBUF_DMABUF_LEGACY);
			check_eq(d.nr_offers, 1);
			check_eq(d.offers[0].flavour, PHYRBUF_FLAVOUR_SG_TABLE);
			check_eq(d.offers[0].flags, 0);
			check_eq(d.import.flavour, PHYRBUF_FLAVOUR_SG_TABLE);
			import_as_probed(sys, dmabuf);
			probe(dm, dmabuf, &d);
			check_eq(d.import.flavour, PHYRBUF_FLAVOUR_SG_TABLE);
			import_as_probed(dm, dmabuf);
			close(dmabuf);
			close(udev);
		}
		close(memfd);
	}

	/* bad input */
	nullfd = open_dev_null();
	check_eq(phyrbuf_dmabuf_probe(sys, -1, &d), -EBADF);
	check_eq(phyrbuf_dmabuf_probe(sys, 0x7fff, &d), -EBADF);
	check_eq(phyrbuf_dmabuf_probe(sys, nullfd, &d), -EINVAL);
	check_eq(phyrbuf_dmabuf_probe(sys, phyrbuf_dev_fd(dm), &d), -EINVAL);
	check_eq(phyrbuf_dmabuf_probe(sys, nullfd, NULL), -EINVAL);
	check_eq(phyrbuf_dmabuf_probe_sized(sys, nullfd, &d, 16), -EINVAL);
	close(nullfd);
	if (dm2)
		phyrbuf_close(dm2);
	phyrbuf_close(dm);
	phyrbuf_close(sys);
}

/* ---- physical ranges ---- */

/*
 * Whether [@addr, @addr + @len) lies in one "System RAM" region of
 * /proc/iomem (which shows addresses to root).  pagemap cannot say where a
 * page of this buffer is: its mappings are VM_PFNMAP, which pagemap skips.
 */
static bool in_system_ram(uint64_t addr, uint64_t len)
{
	char line[256];
	bool found = false;
	FILE *f = fopen("/proc/iomem", "re");

	check(f);
	while (!found && fgets(line, sizeof(line), f)) {
		uint64_t start, end;
		int n = 0;

		/* top-level entries only: "00100000-bffdffff : System RAM" */
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " : %n", &start, &end, &n) == 2 && n &&
		    !strncmp(line + n, "System RAM", 10))
			found = addr >= start && addr + len - 1 <= end;
	}
	fclose(f);
	return found;
}

/* The ranges cover the buffer in order; returns how many. */
static int check_ranges(struct phyrbuf_bo *bo, uint32_t type, struct phyrbuf_range **out)
{
	struct phyrbuf_bo_info info;
	struct phyrbuf_range *r;
	uint64_t off = 0;
	int n, i;

	query(bo, &info);
	n = phyrbuf_bo_ranges(bo, NULL, 0);
	check(n >= 1);
	check_eq(n, info.nr_ranges);
	r = calloc(n + 1, sizeof(*r));
	check(r);
	memset(&r[n], 0xa5, sizeof(r[n]));
	check_eq(phyrbuf_bo_ranges(bo, r, n), n);
	for (i = 0; i < n; i++) {
		check_eq(r[i].offset, off);
		check(r[i].length > 0 && r[i].length % page_size == 0);
		check_eq(r[i].type, type);
		check(r[i].addr && r[i].addr % page_size == 0);	/* we are root */
		off += r[i].length;
	}
	check_eq(off, phyrbuf_bo_size(bo));
	check_eq(r[n].offset, 0xa5a5a5a5a5a5a5a5ull);	/* nothing past the count */
	*out = r;
	return n;
}

/* The CPU physical range of BAR @bar of PCI device @location, from sysfs. */
static void bar_range(const char *location, int bar, uint64_t *start, uint64_t *end)
{
	char path[128];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", location);
	f = fopen(path, "re");
	check(f);
	for (i = 0; i <= bar; i++)
		check(fscanf(f, "%" SCNx64 " %" SCNx64 " %*x", start, end) == 2);
	fclose(f);
	check(*end > *start);
}

static void test_ranges(void)
{
	const uint64_t size = 1 * MiB;
	struct phyrbuf_dev_info dinfo;
	struct phyrbuf_dev *sys, *dm;
	struct phyrbuf_range *r, few[1];
	struct phyrbuf_bo *bo, *imp;
	uint64_t bar0, bar1;
	int n, i, dmabuf;
	void *p;

	sys = open_system_only();
	dm = open_device_memory(&dinfo);

	/* system memory: none before it is populated */
	check_ok(phyrbuf_bo_create(sys, size, PHYRBUF_PLACEMENT_SYSTEM, 0, &bo));
	check_eq(phyrbuf_bo_ranges(bo, NULL, 0), 0);
	check_ok(phyrbuf_bo_mmap(bo, &p));
	pt_fill_words(p, size, 0x3131);
	n = check_ranges(bo, PHYRBUF_RANGE_RAM, &r);
	printf("1 MiB of system memory: %d ranges, the first %#" PRIx64 "+%#" PRIx64 "\n", n,
	       r[0].addr, r[0].length);
	/* the addresses are RAM (/proc/iomem), and no two ranges overlap */
	for (i = 0; i < n; i++) {
		check(in_system_ram(r[i].addr, r[i].length));
		for (int j = 0; j < i; j++)
			check(r[j].addr + r[j].length <= r[i].addr ||
			      r[i].addr + r[i].length <= r[j].addr);
	}
	/* a short array gets the first ranges and the count */
	check_eq(phyrbuf_bo_ranges(bo, few, 1), n);
	check_eq(few[0].offset, 0);
	check_eq(few[0].addr, r[0].addr);
	check_eq(few[0].length, r[0].length);
	free(r);
	/* an importer's buffer has no ranges of its own: its exporter has them */
	check_ok(phyrbuf_bo_export(bo, &dmabuf));
	check_ok(phyrbuf_bo_import(dm, dmabuf, &imp));
	check_eq(phyrbuf_bo_ranges(imp, NULL, 0), -EINVAL);
	check_ok(phyrbuf_bo_close(imp));
	close(dmabuf);
	check_ok(phyrbuf_bo_munmap(bo, p));
	check_eq(phyrbuf_bo_ranges(bo, NULL, 1), -EINVAL);
	check_ok(phyrbuf_bo_close(bo));

	/* device memory: MMIO ranges inside the device's BAR 2 (sysfs) */
	bar_range(dinfo.location, 2, &bar0, &bar1);
	check_ok(phyrbuf_bo_create(dm, 2 * MiB, PHYRBUF_PLACEMENT_DEVICE, PHYRBUF_BO_CONTIGUOUS,
				   &bo));
	n = check_ranges(bo, PHYRBUF_RANGE_MMIO, &r);
	check_eq(n, 1);
	printf("2 MiB contiguous device memory: %#" PRIx64 "+%#" PRIx64 " in BAR %#" PRIx64
	       "-%#" PRIx64 "\n", r[0].addr, r[0].length, bar0, bar1);
	check(r[0].addr >= bar0 && r[0].addr + r[0].length - 1 <= bar1);
	free(r);
	/* migrated to system memory: RAM ranges now */
	check_ok(phyrbuf_bo_migrate(bo, PHYRBUF_PLACEMENT_SYSTEM));
	n = check_ranges(bo, PHYRBUF_RANGE_RAM, &r);
	for (i = 0; i < n; i++)
		check(in_system_ram(r[i].addr, r[i].length));
	free(r);
	check_ok(phyrbuf_bo_close(bo));
	check_ok(phyrbuf_bo_create(dm, 3 * MiB, PHYRBUF_PLACEMENT_DEVICE, 0, &bo));
	n = check_ranges(bo, PHYRBUF_RANGE_MMIO, &r);
	for (i = 0; i < n; i++)
		check(r[i].addr >= bar0 && r[i].addr + r[i].length - 1 <= bar1);
	free(r);
	check_ok(phyrbuf_bo_close(bo));
	phyrbuf_close(dm);
	phyrbuf_close(sys);
}

/* ---- a compositor on a render node, with its own fd ---- */

static void test_render(void)
{
	const uint32_t w = 256, h = 256;
	int nr = phyrbuf_device_count(), i;

	check(nr > 0);
	for (i = 0; i < nr; i++) {
		struct drm_mode_map_dumb dumb = { 0 };
		struct phyrbuf_dev_info desc, info;
		struct phyrbuf_dev *dev, *viewer;
		struct phyrbuf_bo *bo, *seen;
		struct phyrbuf_bo_info binfo;
		int fd, dmabuf, placements;

		check_ok(phyrbuf_device_describe(i, &desc));
		fd = open(desc.render_node, O_RDWR | O_CLOEXEC);
		check(fd >= 0);
		check_ok(phyrbuf_open_fd(fd, 0, &dev));
		close(fd);
		check_ok(phyrbuf_dev_info(dev, &info));
		check_eq(info.node_type, PHYRBUF_NODE_RENDER);
		placements = info.device_size ? 2 : 1;
		for (int pl = 0; pl < placements; pl++) {
			struct phyrbuf_image img = { w, h, DRM_FORMAT_XRGB8888, 0,
						     PHYRBUF_MODIFIER_LINEAR };
			uint32_t *px;
			void *p;

			check_ok(phyrbuf_bo_create_image(dev, &img, pl, 0, &bo));
			query(bo, &binfo);
			check_eq(binfo.stride, w * 4);
			/* the render node cannot MAP_DUMB, the library does not need it */
			dumb.handle = phyrbuf_bo_handle(bo);
			check_eq(ioctl(phyrbuf_dev_fd(dev), DRM_IOCTL_MODE_MAP_DUMB, &dumb), -1);
			check_eq(errno, EACCES);
			check_ok(phyrbuf_bo_begin_cpu_access(bo, PHYRBUF_ACCESS_WRITE));
			check_ok(phyrbuf_bo_mmap(bo, &p));
			px = p;
			for (uint32_t y = 0; y < h; y++)
				for (uint32_t x = 0; x < w; x++)
					px[y * binfo.stride / 4 + x] = 0xff000000u | y << 8 | x;
			check_ok(phyrbuf_bo_end_cpu_access(bo, PHYRBUF_ACCESS_WRITE));
			check_ok(phyrbuf_bo_munmap(bo, p));

			/* another client on its own render node file sees the pixels */
			check_ok(phyrbuf_bo_export(bo, &dmabuf));
			check_ok(phyrbuf_open_path(desc.render_node, 0, &viewer));
			check(viewer != dev);
			check_ok(phyrbuf_bo_import(viewer, dmabuf, &seen));
			query(seen, &binfo);
			check_eq(binfo.format, DRM_FORMAT_XRGB8888);
			check_eq(binfo.width, w);
			check_ok(phyrbuf_bo_map(seen, 0, phyrbuf_bo_size(seen), PHYRBUF_MAP_READ, &p));
			px = p;
			for (uint32_t y = 0; y < h; y++)
				for (uint32_t x = 0; x < w; x++)
					check_eq(px[y * binfo.stride / 4 + x],
						 0xff000000u | y << 8 | x);
			check_ok(phyrbuf_bo_unmap(seen, p, phyrbuf_bo_size(seen)));
			check_ok(phyrbuf_bo_close(seen));
			phyrbuf_close(viewer);
			close(dmabuf);
			check_ok(phyrbuf_bo_close(bo));
			printf("%s: %ux%u XRGB8888 in %s memory through the render node\n",
			       info.node, w, h, pl ? "device" : "system");
		}
		phyrbuf_close(dev);
	}
}

static const struct {
	const char *name;
	void (*fn)(void);
} subtests[] = {
	{ "names", test_names },
	{ "abi", test_abi },
	{ "devices", test_devices },
	{ "open", test_open },
	{ "system", test_system },
	{ "device", test_device },
	{ "migrate", test_migrate },
	{ "prime", test_prime },
	{ "fences", test_fences },
	{ "errors", test_errors },
	{ "image", test_image },
	{ "maps", test_maps },
	{ "sync", test_sync },
	{ "probe", test_probe },
	{ "ranges", test_ranges },
	{ "render", test_render },
};

int main(int argc, char **argv)
{
	size_t i;

	page_size = sysconf(_SC_PAGESIZE);
	pt_tap_stdout();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2) {
		fprintf(stderr, "usage: test-phyrbuf SUBTEST\nsubtests:");
		for (i = 0; i < ARRAY_SIZE(subtests); i++)
			fprintf(stderr, " %s", subtests[i].name);
		fprintf(stderr, "\n");
		return 2;
	}
	for (i = 0; i < ARRAY_SIZE(subtests); i++) {
		if (!strcmp(argv[1], subtests[i].name)) {
			if (subtests[i].fn != test_names && subtests[i].fn != test_abi &&
			    phyrbuf_device_count() <= 0 &&
			    !getenv("PHYR_REQUIRE_DEVICE")) {
				pt_skip_all("needs the phyr_vgem driver (run it in the "
					    "test guest: scripts/test.sh)");
				return 0;
			}
			pt_begin(argv[1]);
			subtests[i].fn();
			pt_result_checks(argv[1]);
			return pt_done();
		}
	}
	fprintf(stderr, "test-phyrbuf: no subtest '%s'\n", argv[1]);
	return 2;
}
