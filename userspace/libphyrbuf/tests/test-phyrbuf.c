// SPDX-License-Identifier: MIT
/*
 * test-phyrbuf: libphyrbuf against the real phyr_vgem driver.
 *
 *   test-phyrbuf SUBTEST
 *
 * One meson test per subtest.  Every subtest but "names" needs the driver
 * and its ioctls, and the device-memory ones need a phyr_vgem device with
 * device memory (the test guest's ivshmem).  Where there is no phyr_vgem
 * device at all (a developer's machine) they exit 77, which meson counts as
 * a skip, unless PHYR_REQUIRE_DEVICE is set (the test guest sets it); with
 * the driver but without a device they need, they fail.  A failed check
 * prints file, line and the expression and exits 1.
 *
 * Copyright 2026 The phyr developers
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <xf86drm.h>

#include "phyrbuf.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MiB		(1024ull * 1024)

static long page_size;

#define check(cond) do {							\
	if (!(cond)) {								\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		exit(1);							\
	}									\
} while (0)

/* @a == @b for integer results (e.g. 0 or -errno), printing both when not */
#define check_eq(a, b) do {							\
	long long _a = (long long)(a), _b = (long long)(b);			\
	if (_a != _b) {								\
		fprintf(stderr, "%s:%d: check failed: %s == %s (%lld",		\
			__FILE__, __LINE__, #a, #b, _a);			\
		if (_a < 0 && _a > -4096)					\
			fprintf(stderr, " %s", strerror((int)-_a));		\
		fprintf(stderr, " != %lld", _b);				\
		if (_b < 0 && _b > -4096)					\
			fprintf(stderr, " %s", strerror((int)-_b));		\
		fprintf(stderr, ")\n");						\
		exit(1);							\
	}									\
} while (0)

#define check_ok(expr)	check_eq((expr), 0)

/* ---- helpers ---- */

static inline uint32_t pattern(uint64_t i, uint32_t seed)
{
	return (uint32_t)(i * 2654435761u) ^ seed;
}

static void fill(void *ptr, uint64_t size, uint32_t seed)
{
	uint32_t *p = ptr;
	uint64_t i;

	for (i = 0; i < size / 4; i++)
		p[i] = pattern(i, seed);
}

/* Whether every word matches; prints the first that does not. */
static bool matches(const void *ptr, uint64_t size, uint32_t seed, const char *what)
{
	const uint32_t *p = ptr;
	uint64_t i;

	for (i = 0; i < size / 4; i++) {
		if (p[i] != pattern(i, seed)) {
			fprintf(stderr, "%s: word %" PRIu64 " is 0x%08x, expected 0x%08x\n",
				what, i, p[i], pattern(i, seed));
			return false;
		}
	}
	return true;
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
	fprintf(stderr, "no phyr_vgem device with system memory only\n");
	exit(1);
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
		fprintf(stderr, "no phyr_vgem device with device memory: %s\n", strerror(-ret));
		exit(1);
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

	fill(a, size, 0x1111);
	check(matches(b, size, 0x1111, "second mapping"));
	fill(b, size, 0x2222);
	check(matches(a, size, 0x2222, "first mapping"));

	check_ok(phyrbuf_bo_export(bo, &dmabuf));
	d = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf, 0);
	check(d != MAP_FAILED);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	check(matches(d, size, 0x2222, "dma-buf mapping"));
	fill(d, size, 0x3333);
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
	char buf[64];
	uint32_t p = 77;

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

/* Finding devices: every index opens, the faux and ivshmem ones are there. */
static void test_devices(void)
{
	int nr, i, faux = 0, with_devmem = 0;
	struct phyrbuf_dev_info info;
	struct phyrbuf_dev *dev;

	nr = phyrbuf_device_count();
	printf("%d phyr_vgem devices\n", nr);
	check(nr >= 2);

	for (i = 0; i < nr; i++) {
		check_ok(phyrbuf_open(i, 0, &dev));
		check_ok(phyrbuf_dev_info(dev, &info));
		printf("%d: %s %s %s %s size %" PRIu64 " free %" PRIu64 "\n", i, info.node,
		       info.render_node, info.bus, info.location, info.device_size,
		       info.device_free);
		check_eq(info.index, i);
		check(!strncmp(info.node, "/dev/dri/card", 13));
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
	check_eq(phyrbuf_open(-2, 0, &dev), -EINVAL);
	check_eq(phyrbuf_open(0, 0x2, &dev), -EINVAL);

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
	check(!strstr(line, "+cpu"));
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
		fill(a, 2 * MiB, 0xaaaa);
		fill(b, 4 * MiB, 0xbbbb);
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
	fill(live, size, 0xa1);
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
	fill(live, size, 0xb2);
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
	fill(live, size, 0xc3);
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
	fill(p, size, 0x51);
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
		fill(q, size, 0x52);
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
	fill(p, size, 0x61);
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
		fill(p, size, 0x71);
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

static const struct {
	const char *name;
	void (*fn)(void);
} subtests[] = {
	{ "names", test_names },
	{ "devices", test_devices },
	{ "system", test_system },
	{ "device", test_device },
	{ "migrate", test_migrate },
	{ "prime", test_prime },
	{ "fences", test_fences },
	{ "errors", test_errors },
};

int main(int argc, char **argv)
{
	size_t i;

	page_size = sysconf(_SC_PAGESIZE);
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
			if (subtests[i].fn != test_names && phyrbuf_device_count() <= 0 &&
			    !getenv("PHYR_REQUIRE_DEVICE")) {
				printf("%s: skipped: needs the phyr_vgem driver (run it in "
				       "the test guest: scripts/test.sh)\n", argv[1]);
				return 77;
			}
			subtests[i].fn();
			printf("%s: OK\n", argv[1]);
			return 0;
		}
	}
	fprintf(stderr, "test-phyrbuf: no subtest '%s'\n", argv[1]);
	return 2;
}
