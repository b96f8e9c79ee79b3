// SPDX-License-Identifier: MIT
/*
 * phyr_vgem_memory - phyr_vgem's placements: system memory and device memory
 * (a PCI BAR of QEMU's ivshmem-plain, without struct page).
 *
 * Buffers made with BO_CREATE in either placement, their mmap (coherent in
 * both), BO_QUERY, BO_MIGRATE under a live mmap, PRIME export and import
 * between phyr_vgem devices with the negotiated dma-buf flavour, fences (a
 * migration waits for them), hot-unplug of a device with live buffers, and
 * every bad input of the new ioctls.
 *
 * Copyright 2026 The phyr developers
 */

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "drm.h"
#include "drm_fourcc.h"
#include "drm_mode.h"
#include "phyr_vgem_drm.h"

#include "igt_lite.h"
#include "phyr-test.h"

IGT_TEST_DESCRIPTION("phyr_vgem placements: system and device memory, migration, "
		     "export/import with flavours, and the errors of the memory ioctls.");

#define DRIVER_NAME	"phyr_vgem"
#define DEBUGFS_ROOT	"/sys/kernel/debug"
#define MAX_DEVS	8
#define SZ_64K		(64u << 10)

/* the system-memory device, and those with device memory */
static int sys_fd = -1;
static int dev_fd[MAX_DEVS];
static unsigned int nr_dev;
static long page_size;

/* ---- devices ---- */

static bool is_phyr_vgem(int fd)
{
	char name[32] = "";
	struct drm_version v = { .name_len = sizeof(name) - 1, .name = name };

	if (ioctl(fd, DRM_IOCTL_VERSION, &v) || v.name_len >= sizeof(name))
		return false;
	name[v.name_len] = '\0';
	return !strcmp(name, DRIVER_NAME);
}

static int __info(int fd, struct drm_phyr_vgem_info *info)
{
	return igt_ioctl(fd, DRM_IOCTL_PHYR_VGEM_INFO, info) ? -errno : 0;
}

static struct drm_phyr_vgem_info info(int fd)
{
	struct drm_phyr_vgem_info i = {};

	igt_assert_eq(__info(fd, &i), 0);
	return i;
}

/* Every phyr_vgem primary node, sorted by what it has. */
static void open_devices(void)
{
	struct dirent **names;
	int n, i;

	n = scandir("/dev/dri", &names, NULL, alphasort);
	igt_require_f(n > 0, "no /dev/dri\n");
	for (i = 0; i < n; i++) {
		char path[PATH_MAX];
		int fd;

		if (strncmp(names[i]->d_name, "card", 4))
			goto next;
		snprintf(path, sizeof(path), "/dev/dri/%s", names[i]->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			goto next;
		if (!is_phyr_vgem(fd)) {
			close(fd);
		} else if (!info(fd).device_size) {
			igt_assert_f(sys_fd < 0, "two phyr_vgem devices without device memory\n");
			sys_fd = fd;
		} else if (nr_dev < MAX_DEVS) {
			dev_fd[nr_dev++] = fd;
		} else {
			close(fd);
		}
next:
		free(names[i]);
	}
	free(names);
	igt_require_f(sys_fd >= 0, "no system-memory " DRIVER_NAME " device\n");
	igt_require_f(nr_dev, "no " DRIVER_NAME " device with device memory (ivshmem-plain)\n");
}

/* ---- buffers ---- */

static int __create(int fd, uint64_t size, uint32_t placement, uint32_t flags,
		    uint32_t *handle)
{
	struct drm_phyr_vgem_bo_create arg = {
		.size = size, .placement = placement, .flags = flags,
	};

	if (igt_ioctl(fd, DRM_IOCTL_PHYR_VGEM_BO_CREATE, &arg))
		return -errno;
	*handle = arg.handle;
	return 0;
}

static uint32_t create(int fd, uint64_t size, uint32_t placement, uint32_t flags)
{
	uint32_t handle = 0;

	igt_assert_eq(__create(fd, size, placement, flags, &handle), 0);
	igt_assert_neq_u32(handle, 0);
	return handle;
}

static int __query(int fd, uint32_t handle, struct drm_phyr_vgem_bo_query *q)
{
	memset(q, 0, sizeof(*q));
	q->handle = handle;
	return igt_ioctl(fd, DRM_IOCTL_PHYR_VGEM_BO_QUERY, q) ? -errno : 0;
}

static struct drm_phyr_vgem_bo_query query(int fd, uint32_t handle)
{
	struct drm_phyr_vgem_bo_query q;

	igt_assert_eq(__query(fd, handle, &q), 0);
	return q;
}

static int __migrate(int fd, uint32_t handle, uint32_t placement, uint32_t flags,
		     uint32_t pad)
{
	struct drm_phyr_vgem_bo_migrate arg = {
		.handle = handle, .placement = placement, .flags = flags, .pad = pad,
	};

	return igt_ioctl(fd, DRM_IOCTL_PHYR_VGEM_BO_MIGRATE, &arg) ? -errno : 0;
}

static void *map(int fd, uint32_t handle, uint64_t size)
{
	struct drm_mode_map_dumb arg = { .handle = handle };
	void *ptr;

	igt_assert_eq(igt_ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &arg), 0);
	ptr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, arg.offset);
	igt_assert_f(ptr != MAP_FAILED, "mmap: %s\n", strerror(errno));
	return ptr;
}

static void check(const uint32_t *ptr, uint64_t size, uint32_t seed)
{
	int64_t i = pt_check_words(ptr, size, seed);

	igt_assert_f(i < 0, "word %" PRId64 ": %#x, expected %#x\n", i,
		     ptr[i < 0 ? 0 : i], pt_word(seed, i));
}

static int export(int fd, uint32_t handle)
{
	struct drm_prime_handle arg = { .handle = handle, .flags = DRM_CLOEXEC | DRM_RDWR };

	igt_assert_eq(igt_ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &arg), 0);
	return arg.fd;
}

static int __import(int fd, int dmabuf, uint32_t *handle)
{
	struct drm_prime_handle arg = { .fd = dmabuf };

	if (igt_ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &arg))
		return -errno;
	*handle = arg.handle;
	return 0;
}

static void close_bo(int fd, uint32_t handle)
{
	struct drm_gem_close arg = { .handle = handle };

	igt_assert_eq(igt_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &arg), 0);
}

/* The "flavours:" line of a dma-buf's fdinfo, without its newline. */
static void fdinfo_flavours(int dmabuf, char *out, size_t len)
{
	char path[64], text[4096], *line, *end;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", dmabuf);
	fd = open(path, O_RDONLY);
	igt_assert(fd >= 0);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	igt_assert_lt(0, (int)n);
	text[n] = '\0';
	line = strstr(text, "flavours:\t");
	igt_assert_f(line, "no flavours in fdinfo:\n%s", text);
	line += strlen("flavours:\t");
	end = strchr(line, '\n');
	if (end)
		*end = '\0';
	snprintf(out, len, "%s", line);
}

/* ---- subtests ---- */

/* not inlined into igt_main, whose setjmp() would clobber their locals */
#define SUBTEST static void __attribute__((noinline))

SUBTEST test_info(void)
{
	struct drm_phyr_vgem_info i = info(sys_fd);

	igt_assert_eq_u64(i.device_size, 0);
	igt_assert_eq_u64(i.device_free, 0);
	for (unsigned int d = 0; d < nr_dev; d++) {
		i = info(dev_fd[d]);
		igt_info("device %u: %llu MiB, %llu MiB free\n", d,
			 (unsigned long long)i.device_size >> 20,
			 (unsigned long long)i.device_free >> 20);
		igt_assert_eq_u64(i.device_size, 64ull << 20);
		igt_assert(i.device_free <= i.device_size);
	}
}

/* Both placements: size, placement, flavours, and mmap coherency. */
SUBTEST test_placement(int fd, uint32_t placement)
{
	uint64_t size = 5 * page_size;
	struct drm_phyr_vgem_bo_query q;
	uint32_t handle, *a, *b;

	handle = create(fd, size, placement, 0);
	q = query(fd, handle);
	igt_assert_eq_u64(q.size, size);
	igt_assert_eq_u32(q.placement, placement);
	igt_assert_eq_u32(q.import_flavour, 0);
	if (placement == PHYR_VGEM_PLACEMENT_DEVICE) {
		igt_assert_eq_u32(q.flavours, PHYR_VGEM_FLAVOUR_PRIVATE |
				  PHYR_VGEM_FLAVOUR_PHYR | PHYR_VGEM_FLAVOUR_SG_TABLE |
				  PHYR_VGEM_FLAVOUR_CPU_ACCESS);
		igt_assert(q.nr_ranges >= 1 && q.nr_ranges <= 5);
	} else {
		igt_assert_eq_u32(q.flavours, PHYR_VGEM_FLAVOUR_PHYR |
				  PHYR_VGEM_FLAVOUR_SG_TABLE |
				  PHYR_VGEM_FLAVOUR_CPU_ACCESS);
		igt_assert_eq_u64(q.nr_ranges, 0);	/* not populated yet */
	}

	/* fresh memory reads as zero, in both placements */
	a = map(fd, handle, size);
	for (uint64_t i = 0; i < size / 4; i++)
		igt_assert_eq_u32(a[i], 0);
	/* two mappings of one buffer see each other's writes */
	b = map(fd, handle, size);
	pt_fill_words(a, size, 0x1234);
	check(b, size, 0x1234);
	pt_fill_words(b + page_size / 4, page_size, 0x777);
	check(a + page_size / 4, page_size, 0x777);
	if (placement == PHYR_VGEM_PLACEMENT_SYSTEM)
		igt_assert_lte(1, (int)query(fd, handle).nr_ranges);
	munmap(a, size);
	munmap(b, size);
	close_bo(fd, handle);
}

SUBTEST test_contiguous(void)
{
	uint64_t size = 7 * page_size;
	uint32_t handle = create(dev_fd[0], size, PHYR_VGEM_PLACEMENT_DEVICE,
				 PHYR_VGEM_BO_CONTIGUOUS);

	igt_assert_eq_u64(query(dev_fd[0], handle).nr_ranges, 1);
	close_bo(dev_fd[0], handle);
}

/* Allocations come out of device memory and go back to it. */
SUBTEST test_accounting(void)
{
	int fd = dev_fd[0];
	uint64_t before = info(fd).device_free;
	uint32_t handle = create(fd, 16 * page_size, PHYR_VGEM_PLACEMENT_DEVICE, 0);

	igt_assert_eq_u64(info(fd).device_free, before - 16 * page_size);
	close_bo(fd, handle);
	igt_assert_eq_u64(info(fd).device_free, before);
}

/* Device memory runs out with -ENOSPC, and is whole again afterwards. */
SUBTEST test_exhaustion(void)
{
	int fd = dev_fd[0];
	struct drm_phyr_vgem_info i = info(fd);
	uint32_t all, more;

	igt_assert_eq_u64(i.device_free, i.device_size);
	all = create(fd, i.device_size, PHYR_VGEM_PLACEMENT_DEVICE, 0);
	igt_assert_eq_u64(info(fd).device_free, 0);
	igt_assert_eq(__create(fd, page_size, PHYR_VGEM_PLACEMENT_DEVICE, 0, &more),
		      -ENOSPC);
	/* and a system buffer cannot move there either */
	more = create(fd, page_size, PHYR_VGEM_PLACEMENT_SYSTEM, 0);
	igt_assert_eq(__migrate(fd, more, PHYR_VGEM_PLACEMENT_DEVICE, 0, 0), -ENOSPC);
	igt_assert_eq_u32(query(fd, more).placement, PHYR_VGEM_PLACEMENT_SYSTEM);
	close_bo(fd, more);
	close_bo(fd, all);
	igt_assert_eq_u64(info(fd).device_free, i.device_size);
}

/*
 * Migrate both ways under a live mmap: the contents move, the mapping faults
 * again and then shows the new placement's memory (writes through it land
 * there), and so does the dma-buf's own mmap.
 */
SUBTEST test_migrate_live_mmap(void)
{
	int fd = dev_fd[0];
	uint64_t size = 9 * page_size;
	uint32_t handle, *ptr, *dptr;
	int dmabuf;

	handle = create(fd, size, PHYR_VGEM_PLACEMENT_SYSTEM, 0);
	ptr = map(fd, handle, size);
	pt_fill_words(ptr, size, 0xabc);
	dmabuf = export(fd, handle);
	dptr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf, 0);
	igt_assert(dptr != MAP_FAILED);
	check(dptr, size, 0xabc);

	igt_assert_eq(__migrate(fd, handle, PHYR_VGEM_PLACEMENT_DEVICE, 0, 0), 0);
	igt_assert_eq_u32(query(fd, handle).placement, PHYR_VGEM_PLACEMENT_DEVICE);
	check(ptr, size, 0xabc);
	check(dptr, size, 0xabc);
	pt_fill_words(ptr, size, 0xdef);
	check(dptr, size, 0xdef);

	/* migrating to where it is does nothing */
	igt_assert_eq(__migrate(fd, handle, PHYR_VGEM_PLACEMENT_DEVICE, 0, 0), 0);
	igt_assert_eq(__migrate(fd, handle, PHYR_VGEM_PLACEMENT_SYSTEM, 0, 0), 0);
	igt_assert_eq_u32(query(fd, handle).placement, PHYR_VGEM_PLACEMENT_SYSTEM);
	check(ptr, size, 0xdef);
	pt_fill_words(dptr, size, 0x5a5);
	check(ptr, size, 0x5a5);

	munmap(dptr, size);
	munmap(ptr, size);
	close(dmabuf);
	close_bo(fd, handle);
}

/*
 * A device-memory buffer's dma-buf offers private, phyr with MMIO and the
 * bridged sg_table; another phyr_vgem device imports it over the private
 * interconnect and maps the same bytes; the system device cannot reach the
 * BAR and is refused.
 */
SUBTEST test_export_import_device(void)
{
	uint64_t size = 4 * page_size;
	uint32_t handle, imported = 0, *ptr, *iptr;
	struct drm_phyr_vgem_bo_query q;
	char flavours[128];
	int dmabuf;

	igt_require_f(nr_dev >= 2, "needs two devices with device memory\n");
	handle = create(dev_fd[0], size, PHYR_VGEM_PLACEMENT_DEVICE, 0);
	ptr = map(dev_fd[0], handle, size);
	pt_fill_words(ptr, size, 0x31337);
	dmabuf = export(dev_fd[0], handle);
	fdinfo_flavours(dmabuf, flavours, sizeof(flavours));
	igt_info("device buffer offers: %s\n", flavours);
	igt_assert_streq(flavours,
			 "private phyr+mmio cpu_access+mmio cpu_access+cpu sg_table(bridge)");

	igt_assert_eq(__import(dev_fd[1], dmabuf, &imported), 0);
	q = query(dev_fd[1], imported);
	igt_assert_eq_u32(q.import_flavour, PHYR_VGEM_FLAVOUR_PRIVATE);
	igt_assert_eq_u32(q.flavours, 0);
	igt_assert_eq_u64(q.size, size);
	/* imported objects are CPU-mapped through their dma-buf, as in DRM */
	iptr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf, 0);
	igt_assert(iptr != MAP_FAILED);
	check(iptr, size, 0x31337);
	pt_fill_words(iptr, page_size, 0x4242);
	check(ptr, page_size, 0x4242);
	close_bo(dev_fd[1], imported);

	igt_assert_eq(__import(sys_fd, dmabuf, &imported), -EOPNOTSUPP);

	munmap(iptr, size);
	munmap(ptr, size);
	close(dmabuf);
	close_bo(dev_fd[0], handle);
}

/* System memory: a device with a BAR takes it as phyr, the system device as sg_table. */
SUBTEST test_export_import_system(void)
{
	uint64_t size = 3 * page_size;
	uint32_t handle, other, imported = 0, *iptr;
	char flavours[128];
	int dmabuf, odmabuf;

	handle = create(sys_fd, size, PHYR_VGEM_PLACEMENT_SYSTEM, 0);
	dmabuf = export(sys_fd, handle);
	fdinfo_flavours(dmabuf, flavours, sizeof(flavours));
	igt_assert_streq(flavours, "phyr+cpu sg_table+cpu cpu_access(bridge)");

	igt_assert_eq(__import(dev_fd[0], dmabuf, &imported), 0);
	igt_assert_eq_u32(query(dev_fd[0], imported).import_flavour, PHYR_VGEM_FLAVOUR_PHYR);
	close_bo(dev_fd[0], imported);
	/* the system device is no PCI device: it takes a buffer of another as sg_table */
	other = create(dev_fd[0], size, PHYR_VGEM_PLACEMENT_SYSTEM, 0);
	odmabuf = export(dev_fd[0], other);
	igt_assert_eq(__import(sys_fd, odmabuf, &imported), 0);
	igt_assert_eq_u32(query(sys_fd, imported).import_flavour, PHYR_VGEM_FLAVOUR_SG_TABLE);
	iptr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, odmabuf, 0);
	igt_assert(iptr != MAP_FAILED);
	pt_fill_words(iptr, size, 0x99);
	munmap(iptr, size);
	close_bo(sys_fd, imported);
	close(odmabuf);
	close_bo(dev_fd[0], other);

	/* the exporter itself gets its own buffer back */
	igt_assert_eq(__import(sys_fd, dmabuf, &imported), 0);
	igt_assert_eq_u32(imported, handle);
	close(dmabuf);
	close_bo(sys_fd, handle);
}

/* Buffers, dma-bufs and mappings released in every order. */
SUBTEST test_close_order(void)
{
	int fd = dev_fd[0];
	uint64_t size = 2 * page_size, before = info(fd).device_free;
	uint32_t handle, *dptr;
	int dmabuf;

	/* handle first: the dma-buf and its mapping keep the memory */
	handle = create(fd, size, PHYR_VGEM_PLACEMENT_DEVICE, 0);
	dmabuf = export(fd, handle);
	close_bo(fd, handle);
	dptr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf, 0);
	igt_assert(dptr != MAP_FAILED);
	close(dmabuf);
	pt_fill_words(dptr, size, 7);
	check(dptr, size, 7);
	igt_assert_eq_u64(info(fd).device_free, before - size);
	munmap(dptr, size);
	igt_assert_eq_u64(info(fd).device_free, before);

	/* dma-buf first */
	handle = create(fd, size, PHYR_VGEM_PLACEMENT_DEVICE, 0);
	dmabuf = export(fd, handle);
	close(dmabuf);
	close_bo(fd, handle);
	igt_assert_eq_u64(info(fd).device_free, before);
}

/* vgem's fences work on device memory, and show on its dma-buf. */
struct migrate_job {
	int fd;
	uint32_t handle, placement;
	volatile int ret;
	volatile bool done;
};

static void *migrate_thread(void *data)
{
	struct migrate_job *job = data;

	job->ret = __migrate(job->fd, job->handle, job->placement, 0, 0);
	job->done = true;
	return NULL;
}

/*
 * A busy buffer (a write fence: someone still writes it) does not move until
 * the fence signals: the move would copy data still being written and free
 * memory still in use.  Then it moves, with the data written meanwhile.
 */
SUBTEST test_fence(void)
{
	int fd = dev_fd[0];
	uint32_t handle = create(fd, page_size, PHYR_VGEM_PLACEMENT_DEVICE, 0);
	struct drm_phyr_vgem_fence_attach attach = {
		.handle = handle, .flags = PHYR_VGEM_FENCE_WRITE,
	};
	struct migrate_job job = {
		.fd = fd, .handle = handle, .placement = PHYR_VGEM_PLACEMENT_SYSTEM,
	};
	struct drm_phyr_vgem_fence_signal signal = {};
	int dmabuf = export(fd, handle);
	struct pollfd pfd = { .fd = dmabuf, .events = POLLIN };
	uint32_t *ptr = map(fd, handle, page_size);
	pthread_t thread;

	pt_fill_words(ptr, page_size, 0x111);
	igt_assert_eq(igt_ioctl(fd, DRM_IOCTL_PHYR_VGEM_FENCE_ATTACH, &attach), 0);
	igt_assert_eq(poll(&pfd, 1, 0), 0);	/* busy */
	igt_assert_eq(pthread_create(&thread, NULL, migrate_thread, &job), 0);
	usleep(500 * 1000);
	igt_assert_f(!job.done, "the migration returned (%d) while the write fence was pending\n",
		     job.ret);
	/* the writer finishes: its data is what moves */
	pt_fill_words(ptr, page_size, 0x222);
	signal.fence = attach.out_fence;
	igt_assert_eq(igt_ioctl(fd, DRM_IOCTL_PHYR_VGEM_FENCE_SIGNAL, &signal), 0);
	igt_assert_eq(pthread_join(thread, NULL), 0);
	igt_assert_eq(job.ret, 0);
	igt_assert_eq(poll(&pfd, 1, 0), 1);
	igt_assert_eq_u32(query(fd, handle).placement, PHYR_VGEM_PLACEMENT_SYSTEM);
	check(ptr, page_size, 0x222);
	munmap(ptr, page_size);
	close(dmabuf);
	close_bo(fd, handle);
}

/* debugfs "buffers" shows a device buffer as MMIO ranges of the ivshmem BAR. */
SUBTEST test_debugfs(void)
{
	char path[PATH_MAX], text[16384], want[64];
	int fd = dev_fd[0], dbg, dmabuf;
	uint32_t handle;
	struct stat st;
	ssize_t n;

	igt_assert_eq(fstat(fd, &st), 0);
	snprintf(path, sizeof(path), DEBUGFS_ROOT "/dri/%u/buffers", minor(st.st_rdev));
	handle = create(fd, 3 * page_size, PHYR_VGEM_PLACEMENT_DEVICE, PHYR_VGEM_BO_CONTIGUOUS);
	dmabuf = export(fd, handle);
	igt_assert_eq(fstat(dmabuf, &st), 0);

	dbg = open(path, O_RDONLY);
	igt_require_f(dbg >= 0, "%s: %s\n", path, strerror(errno));
	n = read(dbg, text, sizeof(text) - 1);
	close(dbg);
	igt_assert_lt(0, (int)n);
	text[n] = '\0';
	igt_debug("%s", text);
	snprintf(want, sizeof(want), "ranges 1 dmabuf-ino %lu\n", (unsigned long)st.st_ino);
	igt_assert_f(strstr(text, want), "no '%s' in:\n%s", want, text);
	igt_assert_f(strstr(strstr(text, want), "\tmmio 0x"), "no MMIO range:\n%s", text);
	igt_assert_f(strstr(strstr(text, want), " provider 0000:"), "no provider:\n%s", text);
	close(dmabuf);
	close_bo(fd, handle);
}

SUBTEST test_bad_create(void)
{
	int fd = dev_fd[0];
	uint64_t bar = info(fd).device_size;
	struct drm_phyr_vgem_bo_create arg = {
		.size = page_size, .placement = PHYR_VGEM_PLACEMENT_SYSTEM, .pad = 1,
	};
	uint32_t h;

	igt_assert_eq(__create(fd, 0, PHYR_VGEM_PLACEMENT_SYSTEM, 0, &h), -EINVAL);
	igt_assert_eq(__create(fd, 0, PHYR_VGEM_PLACEMENT_DEVICE, 0, &h), -EINVAL);
	igt_assert_eq(__create(fd, page_size + 1, PHYR_VGEM_PLACEMENT_DEVICE, 0, &h), -EINVAL);
	igt_assert_eq(__create(fd, 100, PHYR_VGEM_PLACEMENT_SYSTEM, 0, &h), -EINVAL);
	igt_assert_eq(__create(fd, bar + page_size, PHYR_VGEM_PLACEMENT_DEVICE, 0, &h), -EINVAL);
	igt_assert_eq(__create(fd, ~0ull & ~(uint64_t)(page_size - 1),
			       PHYR_VGEM_PLACEMENT_DEVICE, 0, &h), -EINVAL);
	igt_assert_eq(__create(fd, page_size, 2, 0, &h), -EINVAL);
	igt_assert_eq(__create(fd, page_size, ~0u, 0, &h), -EINVAL);
	igt_assert_eq(__create(fd, page_size, PHYR_VGEM_PLACEMENT_DEVICE, 0x2, &h), -EINVAL);
	igt_assert_eq(__create(fd, page_size, PHYR_VGEM_PLACEMENT_SYSTEM,
			       PHYR_VGEM_BO_CONTIGUOUS, &h), -EINVAL);
	igt_assert_eq(igt_ioctl(fd, DRM_IOCTL_PHYR_VGEM_BO_CREATE, &arg), -1);
	igt_assert_eq(errno, EINVAL);
	/* no device memory on the system device */
	igt_assert_eq(__create(sys_fd, page_size, PHYR_VGEM_PLACEMENT_DEVICE, 0, &h), -ENODEV);
}

SUBTEST test_bad_handle(void)
{
	struct drm_phyr_vgem_bo_query q;
	struct drm_phyr_vgem_info i = { .pad = 1 };
	int fd = dev_fd[0];

	igt_assert_eq(__query(fd, 0, &q), -ENOENT);
	igt_assert_eq(__query(fd, 0xdead, &q), -ENOENT);
	igt_assert_eq(__migrate(fd, 0xdead, PHYR_VGEM_PLACEMENT_SYSTEM, 0, 0), -ENOENT);
	igt_assert_eq(__info(fd, &i), -EINVAL);

}

SUBTEST test_bad_migrate(void)
{
	int fd = dev_fd[0];
	uint32_t handle = create(fd, page_size, PHYR_VGEM_PLACEMENT_SYSTEM, 0);
	uint32_t sys = create(sys_fd, page_size, PHYR_VGEM_PLACEMENT_SYSTEM, 0);
	uint32_t imported = 0;
	int dmabuf;

	igt_assert_eq(__migrate(fd, handle, 2, 0, 0), -EINVAL);
	igt_assert_eq(__migrate(fd, handle, PHYR_VGEM_PLACEMENT_DEVICE, 1, 0), -EINVAL);
	igt_assert_eq(__migrate(fd, handle, PHYR_VGEM_PLACEMENT_DEVICE, 0, 1), -EINVAL);
	igt_assert_eq(__migrate(sys_fd, sys, PHYR_VGEM_PLACEMENT_DEVICE, 0, 0), -ENODEV);
	igt_assert_eq_u32(query(fd, handle).placement, PHYR_VGEM_PLACEMENT_SYSTEM);

	/* an imported buffer belongs to its exporter: it does not move here */
	dmabuf = export(sys_fd, sys);
	igt_assert_eq(__import(fd, dmabuf, &imported), 0);
	igt_assert_eq(__migrate(fd, imported, PHYR_VGEM_PLACEMENT_DEVICE, 0, 0), -EINVAL);
	close(dmabuf);
	close_bo(fd, imported);
	close_bo(sys_fd, sys);
	close_bo(fd, handle);
}

static struct drm_phyr_vgem_dmabuf_flavours dmabuf_flavours(int fd, int dmabuf);

static sigjmp_buf bus_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(bus_jmp, 1);
}

/* Does reading @p raise SIGBUS? */
static bool __attribute__((noinline)) faults(volatile uint32_t *p)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	volatile bool bus = false;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(bus_jmp, 1))
		bus = true;
	else
		(void)*p;
	sigaction(SIGBUS, &old, NULL);
	return bus;
}

static void write_sysfs(const char *path, const char *what)
{
	int fd = open(path, O_WRONLY);

	igt_assert_f(fd >= 0, "%s: %s\n", path, strerror(errno));
	igt_assert_eq((int)write(fd, what, strlen(what)), (int)strlen(what));
	close(fd);
}

/* The PCI address of a DRM device, from sysfs. */
static void pci_address(int fd, char *out, size_t len)
{
	char link[PATH_MAX], target[PATH_MAX], *base;
	struct stat st;
	ssize_t n;

	igt_assert_eq(fstat(fd, &st), 0);
	snprintf(link, sizeof(link), "/sys/dev/char/%u:%u/device",
		 major(st.st_rdev), minor(st.st_rdev));
	n = readlink(link, target, sizeof(target) - 1);
	igt_assert_lt(0, (int)n);
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	igt_assert_lt(strlen(base), len);
	memcpy(out, base, strlen(base) + 1);
}

/* A phyr_vgem device with device memory on @pci, once it shows up, or -1. */
static int wait_for_device(const char *pci)
{
	for (int tries = 0; tries < 100; tries++) {
		struct dirent **names;
		int n = scandir("/dev/dri", &names, NULL, alphasort), fd = -1;

		for (int i = 0; i < n; i++) {
			char path[PATH_MAX], addr[64];
			int f;

			if (fd < 0 && !strncmp(names[i]->d_name, "card", 4)) {
				snprintf(path, sizeof(path), "/dev/dri/%s", names[i]->d_name);
				f = open(path, O_RDWR | O_CLOEXEC);
				if (f >= 0 && is_phyr_vgem(f)) {
					pci_address(f, addr, sizeof(addr));
					if (!strcmp(addr, pci))
						fd = f;
				}
				if (f >= 0 && f != fd)
					close(f);
			}
			free(names[i]);
		}
		free(names);
		if (fd >= 0)
			return fd;
		usleep(100 * 1000);
	}
	return -1;
}

/*
 * Remove a device whose buffer is mmapped, exported, mmapped through its
 * dma-buf and imported by another device: the mappings raise SIGBUS, the
 * device's ioctls fail with ENODEV, the dma-buf says it is revoked and the
 * importer's query sees it (no flavour any more).  Then the bus is rescanned
 * and the device comes back with all of its memory.
 */
SUBTEST test_hot_unplug(void)
{
	int fd = dev_fd[nr_dev - 1], other = dev_fd[0], dmabuf, back;
	uint64_t size = 4 * page_size;
	struct drm_phyr_vgem_bo_query q;
	char pci[64], path[PATH_MAX], flavours[128];
	uint32_t handle, imported = 0, *ptr, *dptr;

	igt_require_f(nr_dev >= 2, "needs two devices with device memory\n");
	pci_address(fd, pci, sizeof(pci));
	igt_info("removing %s\n", pci);
	handle = create(fd, size, PHYR_VGEM_PLACEMENT_DEVICE, 0);
	ptr = map(fd, handle, size);
	pt_fill_words(ptr, size, 0xfeed);
	dmabuf = export(fd, handle);
	dptr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf, 0);
	igt_assert(dptr != MAP_FAILED);
	check(dptr, size, 0xfeed);
	igt_assert_eq(__import(other, dmabuf, &imported), 0);
	igt_assert_eq_u32(query(other, imported).import_flavour, PHYR_VGEM_FLAVOUR_PRIVATE);

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", pci);
	write_sysfs(path, "1");

	igt_assert_eq(__query(fd, handle, &q), -ENODEV);
	igt_assert(faults(ptr));
	igt_assert(faults(dptr));
	fdinfo_flavours(dmabuf, flavours, sizeof(flavours));
	igt_assert_streq(flavours, "revoked");
	{
		struct drm_phyr_vgem_dmabuf_flavours f = dmabuf_flavours(other, dmabuf);

		igt_assert_eq_u32(f.status, PHYR_VGEM_DMABUF_REVOKED);
		igt_assert_eq_u32(f.nr_offers, 0);
		igt_assert_eq(f.import_error, -ENODEV);
	}
	q = query(other, imported);
	igt_assert_eq_u32(q.import_flavour, 0);

	close_bo(other, imported);
	munmap(dptr, size);
	munmap(ptr, size);
	close(dmabuf);
	close(fd);
	dev_fd[nr_dev - 1] = -1;

	write_sysfs("/sys/bus/pci/rescan", "1");
	back = wait_for_device(pci);
	igt_assert_f(back >= 0, "%s did not come back after a rescan\n", pci);
	dev_fd[nr_dev - 1] = back;
	igt_assert_eq_u64(info(back).device_free, info(back).device_size);
	handle = create(back, size, PHYR_VGEM_PLACEMENT_DEVICE, 0);
	close_bo(back, handle);
}

/* ---- 1.1: images, render-node mmap, ranges, what a dma-buf offers ---- */

static int __create_image(int fd, struct drm_phyr_vgem_bo_create *arg)
{
	arg->flags |= PHYR_VGEM_BO_IMAGE;
	return igt_ioctl(fd, DRM_IOCTL_PHYR_VGEM_BO_CREATE, arg) ? -errno : 0;
}

static int image_err(int fd, uint64_t size, uint32_t placement, uint32_t w, uint32_t h,
		     uint32_t format, uint32_t pitch, uint64_t modifier)
{
	struct drm_phyr_vgem_bo_create arg = {
		.size = size, .placement = placement, .width = w, .height = h,
		.format = format, .pitch = pitch, .modifier = modifier,
	};
	int ret = __create_image(fd, &arg);

	if (!ret)
		close_bo(fd, arg.handle);
	return ret;
}

/* The render node of the device of @fd, opened, or -1. */
static int render_node_of(int fd)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	int rfd = -1;
	DIR *dir;

	igt_assert_eq(fstat(fd, &st), 0);
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/device/drm",
		 major(st.st_rdev), minor(st.st_rdev));
	dir = opendir(path);
	if (!dir)
		return -1;
	while (rfd < 0 && (de = readdir(dir))) {
		if (strncmp(de->d_name, "renderD", 7))
			continue;
		snprintf(path, sizeof(path), "/dev/dri/%s", de->d_name);
		rfd = open(path, O_RDWR | O_CLOEXEC);
	}
	closedir(dir);
	return rfd;
}

SUBTEST test_image(void)
{
	struct drm_phyr_vgem_bo_create arg = {
		.placement = PHYR_VGEM_PLACEMENT_SYSTEM, .width = 256, .height = 256,
		.format = DRM_FORMAT_XRGB8888, .modifier = DRM_FORMAT_MOD_LINEAR,
	};
	struct drm_phyr_vgem_bo_query q;
	uint32_t imported = 0;
	int dmabuf;

	/* the kernel's pitch (a multiple of 64) and size (rows, page-aligned) */
	igt_assert_eq(__create_image(sys_fd, &arg), 0);
	igt_assert_eq_u32(arg.pitch, 1024);
	igt_assert_eq_u64(arg.size, 256 * 1024);
	q = query(sys_fd, arg.handle);
	igt_assert_eq_u32(q.width, 256);
	igt_assert_eq_u32(q.height, 256);
	igt_assert_eq_u32(q.format, DRM_FORMAT_XRGB8888);
	igt_assert_eq_u32(q.pitch, 1024);
	igt_assert_eq_u64(q.modifier, DRM_FORMAT_MOD_LINEAR);
	igt_assert_eq_u64(q.size, 256 * 1024);
	/* another phyr_vgem device importing it sees the image too */
	dmabuf = export(sys_fd, arg.handle);
	igt_assert_eq(__import(dev_fd[0], dmabuf, &imported), 0);
	q = query(dev_fd[0], imported);
	igt_assert_eq_u32(q.import_flavour, PHYR_VGEM_FLAVOUR_PHYR);
	igt_assert_eq_u32(q.format, DRM_FORMAT_XRGB8888);
	igt_assert_eq_u32(q.pitch, 1024);
	close_bo(dev_fd[0], imported);
	close(dmabuf);
	close_bo(sys_fd, arg.handle);

	/* device memory, a pitch and size of the caller's */
	arg = (struct drm_phyr_vgem_bo_create){
		.size = 2 * 1024 * 1024, .placement = PHYR_VGEM_PLACEMENT_DEVICE,
		.width = 100, .height = 50, .format = DRM_FORMAT_RGB565, .pitch = 640,
	};
	igt_assert_eq(__create_image(dev_fd[0], &arg), 0);
	igt_assert_eq_u32(arg.pitch, 640);
	igt_assert_eq_u64(arg.size, 2 * 1024 * 1024);
	q = query(dev_fd[0], arg.handle);
	igt_assert_eq_u32(q.placement, PHYR_VGEM_PLACEMENT_DEVICE);
	igt_assert_eq_u32(q.width, 100);
	igt_assert_eq_u32(q.format, DRM_FORMAT_RGB565);
	igt_assert_eq_u32(q.pitch, 640);
	/* it keeps its image through a migration */
	igt_assert_eq(__migrate(dev_fd[0], arg.handle, PHYR_VGEM_PLACEMENT_SYSTEM, 0, 0), 0);
	igt_assert_eq_u32(query(dev_fd[0], arg.handle).pitch, 640);
	close_bo(dev_fd[0], arg.handle);

	/* a buffer without one says so */
	arg = (struct drm_phyr_vgem_bo_create){ .size = page_size };
	igt_assert_eq(igt_ioctl(sys_fd, DRM_IOCTL_PHYR_VGEM_BO_CREATE, &arg), 0);
	q = query(sys_fd, arg.handle);
	igt_assert_eq_u32(q.format, 0);
	igt_assert_eq_u32(q.width, 0);
	igt_assert_eq_u32(q.pitch, 0);
	igt_assert_eq_u64(q.modifier, DRM_FORMAT_MOD_INVALID);
	close_bo(sys_fd, arg.handle);
}

SUBTEST test_bad_image(void)
{
	const uint32_t sys = PHYR_VGEM_PLACEMENT_SYSTEM, xrgb = DRM_FORMAT_XRGB8888;
	const uint64_t lin = DRM_FORMAT_MOD_LINEAR;
	uint64_t bar = info(dev_fd[0]).device_size, free0 = info(dev_fd[0]).device_free;
	struct drm_phyr_vgem_bo_create arg;
	struct drm_phyr_vgem_bo_query q = {};
	uint32_t h;

	igt_assert_eq(image_err(sys_fd, 0, sys, 0, 16, xrgb, 0, lin), -EINVAL);
	igt_assert_eq(image_err(sys_fd, 0, sys, 16, 0, xrgb, 0, lin), -EINVAL);
	igt_assert_eq(image_err(sys_fd, 0, sys, PHYR_VGEM_IMAGE_MAX_DIM + 1, 1, xrgb, 0, lin),
		      -EINVAL);
	igt_assert_eq(image_err(sys_fd, 0, sys, 1, PHYR_VGEM_IMAGE_MAX_DIM + 1, xrgb, 0, lin),
		      -EINVAL);
	igt_assert_eq(image_err(sys_fd, 0, sys, ~0u, ~0u, xrgb, 0, lin), -EINVAL);
	/* formats: none, two planes, a palette, nonsense, big-endian */
	igt_assert_eq(image_err(sys_fd, 0, sys, 16, 16, 0, 0, lin), -EINVAL);
	igt_assert_eq(image_err(sys_fd, 0, sys, 16, 16, DRM_FORMAT_NV12, 0, lin), -EINVAL);
	igt_assert_eq(image_err(sys_fd, 0, sys, 16, 16, DRM_FORMAT_C8, 0, lin), -EINVAL);
	igt_assert_eq(image_err(sys_fd, 0, sys, 16, 16, 0x12345678, 0, lin), -EINVAL);
	igt_assert_eq(image_err(sys_fd, 0, sys, 16, 16, xrgb | DRM_FORMAT_BIG_ENDIAN, 0, lin),
		      -EINVAL);
	/* layouts */
	igt_assert_eq(image_err(sys_fd, 0, sys, 16, 16, xrgb, 0, DRM_FORMAT_MOD_INVALID),
		      -EINVAL);
	igt_assert_eq(image_err(sys_fd, 0, sys, 16, 16, xrgb, 0, I915_FORMAT_MOD_X_TILED),
		      -EINVAL);
	/* pitches below a row */
	igt_assert_eq(image_err(sys_fd, 0, sys, 256, 16, xrgb, 1023, lin), -EINVAL);
	igt_assert_eq(image_err(sys_fd, 0, sys, 256, 16, xrgb, 1, lin), -EINVAL);
	/* sizes: below the image, not page-aligned, beyond device memory */
	igt_assert_eq(image_err(sys_fd, page_size, sys, 256, 16, xrgb, 0, lin), -EINVAL);
	igt_assert_eq(image_err(sys_fd, 16 * 1024 + 1, sys, 256, 16, xrgb, 0, lin), -EINVAL);
	igt_assert_eq(image_err(dev_fd[0], 0, PHYR_VGEM_PLACEMENT_DEVICE, PHYR_VGEM_IMAGE_MAX_DIM,
				PHYR_VGEM_IMAGE_MAX_DIM, DRM_FORMAT_ABGR16161616F, 0, lin), -EINVAL);
	igt_assert_eq(image_err(dev_fd[0], 0, PHYR_VGEM_PLACEMENT_DEVICE, 1,
				PHYR_VGEM_IMAGE_MAX_DIM, DRM_FORMAT_R8, ~0u, lin), -EINVAL);
	igt_assert_eq(image_err(dev_fd[0], bar + page_size, PHYR_VGEM_PLACEMENT_DEVICE, 16, 16,
				xrgb, 0, lin), -EINVAL);
	/* placements, and no device memory on the system device */
	igt_assert_eq(image_err(sys_fd, 0, 2, 16, 16, xrgb, 0, lin), -EINVAL);
	igt_assert_eq(image_err(sys_fd, 0, PHYR_VGEM_PLACEMENT_DEVICE, 16, 16, xrgb, 0, lin),
		      -ENODEV);
	/* image fields without the flag */
	arg = (struct drm_phyr_vgem_bo_create){ .size = page_size, .width = 16 };
	igt_assert_eq(igt_ioctl(sys_fd, DRM_IOCTL_PHYR_VGEM_BO_CREATE, &arg), -1);
	igt_assert_eq(errno, EINVAL);
	arg = (struct drm_phyr_vgem_bo_create){ .size = page_size, .modifier = 1 };
	igt_assert_eq(igt_ioctl(sys_fd, DRM_IOCTL_PHYR_VGEM_BO_CREATE, &arg), -1);
	igt_assert_eq(errno, EINVAL);
	/* padding, unknown flags */
	arg = (struct drm_phyr_vgem_bo_create){ .width = 16, .height = 16, .format = xrgb,
						.pad = 1 };
	igt_assert_eq(__create_image(sys_fd, &arg), -EINVAL);
	arg = (struct drm_phyr_vgem_bo_create){ .width = 16, .height = 16, .format = xrgb,
						.flags = 0x4 };
	igt_assert_eq(__create_image(sys_fd, &arg), -EINVAL);
	/* BO_QUERY's flags and padding */
	h = create(sys_fd, page_size, sys, 0);
	q.handle = h;
	q.flags = 1;
	igt_assert_eq(igt_ioctl(sys_fd, DRM_IOCTL_PHYR_VGEM_BO_QUERY, &q), -1);
	igt_assert_eq(errno, EINVAL);
	q.flags = 0;
	q.pad = 1;
	igt_assert_eq(igt_ioctl(sys_fd, DRM_IOCTL_PHYR_VGEM_BO_QUERY, &q), -1);
	igt_assert_eq(errno, EINVAL);
	close_bo(sys_fd, h);
	/* nothing was left allocated */
	igt_assert_eq_u64(info(dev_fd[0]).device_free, free0);
}

static int __mmap_offset(int fd, uint32_t handle, uint32_t flags, uint64_t *offset)
{
	struct drm_phyr_vgem_bo_mmap_offset arg = { .handle = handle, .flags = flags };

	if (igt_ioctl(fd, DRM_IOCTL_PHYR_VGEM_BO_MMAP_OFFSET, &arg))
		return -errno;
	*offset = arg.offset;
	return 0;
}

/*
 * On the render node, where MAP_DUMB is not allowed: every placement maps
 * through BO_MMAP_OFFSET, whole or from an offset, and shows what the
 * primary node's mapping wrote.
 */
SUBTEST test_mmap_offset(void)
{
	for (int d = -1; d < (int)nr_dev; d++) {
		int fd = d < 0 ? sys_fd : dev_fd[d], rfd = render_node_of(fd);
		uint32_t placements = d < 0 ? 1 : 2;

		igt_require_f(rfd >= 0, "no render node\n");
		for (uint32_t pl = 0; pl < placements; pl++) {
			uint64_t size = 8 * page_size, off = 0;
			struct drm_mode_map_dumb dumb = {};
			struct drm_prime_handle prime = {};
			uint32_t handle, rhandle;
			uint32_t *ptr, *rptr;
			int dmabuf;

			handle = create(fd, size, pl, 0);
			ptr = map(fd, handle, size);
			pt_fill_words(ptr, size, 0x600d + pl);
			dmabuf = export(fd, handle);
			prime.fd = dmabuf;
			igt_assert_eq(igt_ioctl(rfd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &prime), 0);
			rhandle = prime.handle;
			dumb.handle = rhandle;
			igt_assert_eq(igt_ioctl(rfd, DRM_IOCTL_MODE_MAP_DUMB, &dumb), -1);
			igt_assert_eq(errno, EACCES);
			igt_assert_eq(__mmap_offset(rfd, rhandle, 0, &off), 0);
			rptr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, rfd, off);
			igt_assert(rptr != MAP_FAILED);
			check(rptr, size, 0x600d + pl);
			rptr[3] = 0xabad1dea;
			igt_assert_eq_u32(ptr[3], 0xabad1dea);
			munmap(rptr, size);
			/* the first two pages only: DRM maps from an object's start */
			rptr = mmap(NULL, 2 * page_size, PROT_READ, MAP_SHARED, rfd, off);
			igt_assert(rptr != MAP_FAILED);
			igt_assert_eq_u32(rptr[page_size / 4 + 5], ptr[page_size / 4 + 5]);
			munmap(rptr, 2 * page_size);
			igt_assert(mmap(NULL, 2 * page_size, PROT_READ, MAP_SHARED, rfd,
					off + 2 * page_size) == MAP_FAILED);
			/* a window from the third page on, through the dma-buf */
			rptr = mmap(NULL, 2 * page_size, PROT_READ, MAP_SHARED, dmabuf,
				    2 * page_size);
			igt_assert(rptr != MAP_FAILED);
			igt_assert_eq_u32(rptr[0], ptr[2 * page_size / 4]);
			igt_assert_eq_u32(rptr[page_size / 4 + 5], ptr[3 * page_size / 4 + 5]);
			munmap(rptr, 2 * page_size);
			/* the same offset every time */
			igt_assert_eq(__mmap_offset(rfd, rhandle, 0, &size), 0);
			igt_assert_eq_u64(size, off);
			close_bo(rfd, rhandle);
			close(dmabuf);
			munmap(ptr, 8 * page_size);
			close_bo(fd, handle);
		}
		close(rfd);
	}
}

SUBTEST test_bad_mmap_offset(void)
{
	uint32_t handle = create(sys_fd, page_size, PHYR_VGEM_PLACEMENT_SYSTEM, 0), imported = 0;
	uint64_t off = 0;
	int dmabuf;

	igt_assert_eq(__mmap_offset(sys_fd, handle, 1, &off), -EINVAL);
	igt_assert_eq(__mmap_offset(sys_fd, handle, ~0u, &off), -EINVAL);
	igt_assert_eq(__mmap_offset(sys_fd, 0, 0, &off), -ENOENT);
	igt_assert_eq(__mmap_offset(sys_fd, 0xdead, 0, &off), -ENOENT);
	/* an imported buffer is mapped through its dma-buf */
	dmabuf = export(sys_fd, handle);
	igt_assert_eq(__import(dev_fd[0], dmabuf, &imported), 0);
	igt_assert_eq(__mmap_offset(dev_fd[0], imported, 0, &off), -EINVAL);
	close_bo(dev_fd[0], imported);
	close(dmabuf);
	/* a closed handle */
	close_bo(sys_fd, handle);
	igt_assert_eq(__mmap_offset(sys_fd, handle, 0, &off), -ENOENT);
}

static int __ranges(int fd, struct drm_phyr_vgem_bo_ranges *arg)
{
	return igt_ioctl(fd, DRM_IOCTL_PHYR_VGEM_BO_RANGES, arg) ? -errno : 0;
}

/* BAR @bar of the PCI device behind @fd, from sysfs. */
static void bar_of(int fd, int bar, uint64_t *start, uint64_t *end)
{
	char pci[64], path[PATH_MAX];
	FILE *f;

	pci_address(fd, pci, sizeof(pci));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", pci);
	f = fopen(path, "r");
	igt_assert(f);
	for (int i = 0; i <= bar; i++)
		igt_assert_eq(fscanf(f, "%" SCNx64 " %" SCNx64 " %*x", start, end), 2);
	fclose(f);
}

/* The ranges of @handle: they cover the buffer, in order, each of @type. */
static unsigned int check_ranges(int fd, uint32_t handle, uint64_t size, uint32_t type,
				 struct drm_phyr_vgem_range **out)
{
	struct drm_phyr_vgem_bo_ranges arg = { .handle = handle };
	struct drm_phyr_vgem_range *r;
	uint64_t off = 0;

	igt_assert_eq(__ranges(fd, &arg), 0);
	igt_assert_lt(0, (int)arg.count);
	igt_assert_eq_u64(arg.count, query(fd, handle).nr_ranges);
	r = calloc(arg.count, sizeof(*r));
	igt_assert(r);
	arg.ranges_ptr = (uintptr_t)r;
	igt_assert_eq(__ranges(fd, &arg), 0);
	igt_assert_eq_u32(arg.out_flags, PHYR_VGEM_RANGES_ADDR);	/* root */
	for (unsigned int i = 0; i < arg.count; i++) {
		igt_assert_eq_u64(r[i].offset, off);
		igt_assert_eq_u32(r[i].type, type);
		igt_assert_eq_u32(r[i].pad, 0);
		igt_assert(r[i].length && !(r[i].length % page_size) && r[i].addr);
		off += r[i].length;
	}
	igt_assert_eq_u64(off, size);
	*out = r;
	return arg.count;
}

SUBTEST test_ranges(void)
{
	int fd = dev_fd[0];
	uint64_t size = 16 * page_size, bar0, bar1;
	struct drm_phyr_vgem_bo_ranges arg = {};
	struct drm_phyr_vgem_range *r;
	uint32_t handle, *ptr;
	unsigned int n;

	/* device memory: MMIO in the device's BAR 2 (sysfs); contiguous: one */
	bar_of(fd, 2, &bar0, &bar1);	/* ivshmem-plain: BAR2 */
	handle = create(fd, size, PHYR_VGEM_PLACEMENT_DEVICE, PHYR_VGEM_BO_CONTIGUOUS);
	n = check_ranges(fd, handle, size, PHYR_VGEM_RANGE_MMIO, &r);
	igt_assert_eq(n, 1);
	igt_assert(r[0].addr >= bar0 && r[0].addr + size - 1 <= bar1);
	free(r);
	/* migrated: RAM outside the BAR */
	igt_assert_eq(__migrate(fd, handle, PHYR_VGEM_PLACEMENT_SYSTEM, 0, 0), 0);
	n = check_ranges(fd, handle, size, PHYR_VGEM_RANGE_RAM, &r);
	for (unsigned int i = 0; i < n; i++)
		igt_assert(r[i].addr + r[i].length - 1 < bar0 || r[i].addr > bar1);
	free(r);
	close_bo(fd, handle);

	/* system memory: none until populated */
	handle = create(fd, size, PHYR_VGEM_PLACEMENT_SYSTEM, 0);
	arg.handle = handle;
	igt_assert_eq(__ranges(fd, &arg), 0);
	igt_assert_eq_u32(arg.count, 0);
	igt_assert_eq_u32(arg.placement, PHYR_VGEM_PLACEMENT_SYSTEM);
	ptr = map(fd, handle, size);
	pt_fill_words(ptr, size, 1);
	n = check_ranges(fd, handle, size, PHYR_VGEM_RANGE_RAM, &r);
	free(r);
	/*
	 * The array may be a mapping of the very buffer: collected under the
	 * reservation, copied out after it (a fault there takes it).
	 */
	arg.ranges_ptr = (uintptr_t)ptr;
	arg.count = 1;
	igt_assert_eq(__ranges(fd, &arg), 0);
	igt_assert_eq_u32(arg.count, n);
	igt_assert_eq_u64(((struct drm_phyr_vgem_range *)ptr)->offset, 0);
	munmap(ptr, size);
	close_bo(fd, handle);
}

SUBTEST test_bad_ranges(void)
{
	uint32_t handle = create(sys_fd, 4 * page_size, PHYR_VGEM_PLACEMENT_SYSTEM, 0);
	struct drm_phyr_vgem_bo_ranges arg = { .handle = handle };
	uint32_t imported = 0, *ptr = map(sys_fd, handle, 4 * page_size);
	int dmabuf;

	ptr[0] = 1;	/* populated */
	arg.flags = 1;
	igt_assert_eq(__ranges(sys_fd, &arg), -EINVAL);
	arg.flags = 0;
	arg.pad = 1;
	igt_assert_eq(__ranges(sys_fd, &arg), -EINVAL);
	arg.pad = 0;
	arg.handle = 0xdead;
	igt_assert_eq(__ranges(sys_fd, &arg), -ENOENT);
	arg.handle = handle;
	/* a bad array */
	arg.count = 1;
	arg.ranges_ptr = 0;
	igt_assert_eq(__ranges(sys_fd, &arg), -EFAULT);
	arg.ranges_ptr = (uintptr_t)-4096;
	igt_assert_eq(__ranges(sys_fd, &arg), -EFAULT);
	/* an imported buffer's ranges are its exporter's */
	dmabuf = export(sys_fd, handle);
	igt_assert_eq(__import(dev_fd[0], dmabuf, &imported), 0);
	arg = (struct drm_phyr_vgem_bo_ranges){ .handle = imported };
	igt_assert_eq(__ranges(dev_fd[0], &arg), -EINVAL);
	close_bo(dev_fd[0], imported);
	close(dmabuf);
	munmap(ptr, 4 * page_size);
	close_bo(sys_fd, handle);
}

static int __dmabuf_flavours(int fd, int dmabuf, struct drm_phyr_vgem_dmabuf_flavours *arg)
{
	memset(arg, 0, sizeof(*arg));
	arg->fd = dmabuf;
	return igt_ioctl(fd, DRM_IOCTL_PHYR_VGEM_DMABUF_FLAVOURS, arg) ? -errno : 0;
}

static struct drm_phyr_vgem_dmabuf_flavours dmabuf_flavours(int fd, int dmabuf)
{
	struct drm_phyr_vgem_dmabuf_flavours arg;

	igt_assert_eq(__dmabuf_flavours(fd, dmabuf, &arg), 0);
	return arg;
}

/* The import the query predicted is the one PRIME makes. */
static void import_as_predicted(int fd, int dmabuf)
{
	struct drm_phyr_vgem_dmabuf_flavours f = dmabuf_flavours(fd, dmabuf);
	uint32_t h = 0;
	int ret = __import(fd, dmabuf, &h);

	igt_assert_eq(ret, f.import_error);
	if (!ret) {
		igt_assert_eq_u32(query(fd, h).import_flavour, f.import.flavour);
		close_bo(fd, h);
	}
}

SUBTEST test_dmabuf_flavours(void)
{
	uint32_t handle = create(sys_fd, 4 * page_size, PHYR_VGEM_PLACEMENT_SYSTEM, 0);
	struct drm_phyr_vgem_dmabuf_flavours f;
	char pci[64], who[64];
	int dmabuf = export(sys_fd, handle);

	/*
	 * system memory: phyr and sg_table of CPU RAM, and CPU access that the
	 * core serves from the phyr; its own device gets it back
	 */
	f = dmabuf_flavours(sys_fd, dmabuf);
	igt_assert_eq_u32(f.status, PHYR_VGEM_DMABUF_OWN);
	igt_assert_eq_u32(f.nr_offers, 3);
	igt_assert_eq_u32(f.offers[0].flavour, PHYR_VGEM_FLAVOUR_PHYR);
	igt_assert_eq_u32(f.offers[0].flags, PHYR_VGEM_OFFER_CPU);
	igt_assert_eq_u32(f.offers[1].flavour, PHYR_VGEM_FLAVOUR_SG_TABLE);
	igt_assert_eq_u32(f.offers[1].flags, PHYR_VGEM_OFFER_CPU);
	igt_assert_eq_u32(f.offers[2].flavour, PHYR_VGEM_FLAVOUR_CPU_ACCESS);
	igt_assert_eq_u32(f.offers[2].flags, PHYR_VGEM_OFFER_CPU | PHYR_VGEM_OFFER_BRIDGE);
	igt_assert_eq_u32(f.import.flavour, 0);
	igt_assert_eq(f.import_error, 0);
	/* a device with a BAR would take it as phyr */
	f = dmabuf_flavours(dev_fd[0], dmabuf);
	igt_assert_eq_u32(f.status, 0);
	igt_assert_eq_u32(f.import.flavour, PHYR_VGEM_FLAVOUR_PHYR);
	igt_assert_eq(f.import_error, 0);
	import_as_predicted(dev_fd[0], dmabuf);
	close(dmabuf);
	close_bo(sys_fd, handle);

	/*
	 * device memory: private, phyr of the BAR, CPU access to the BAR, CPU
	 * access to CPU RAM (served by a move), the bridge; the provider is that
	 * device
	 */
	handle = create(dev_fd[0], 4 * page_size, PHYR_VGEM_PLACEMENT_DEVICE, 0);
	dmabuf = export(dev_fd[0], handle);
	pci_address(dev_fd[0], pci, sizeof(pci));
	f = dmabuf_flavours(sys_fd, dmabuf);
	igt_assert_eq_u32(f.nr_offers, 5);
	igt_assert_eq_u32(f.offers[0].flavour, PHYR_VGEM_FLAVOUR_PRIVATE);
	igt_assert_eq_u32(f.offers[1].flavour, PHYR_VGEM_FLAVOUR_PHYR);
	igt_assert_eq_u32(f.offers[1].flags, PHYR_VGEM_OFFER_MMIO | PHYR_VGEM_OFFER_PROVIDER_PCI);
	snprintf(who, sizeof(who), "%04x:%02x:%02x.%x", f.offers[1].provider_domain,
		 f.offers[1].provider_bdf >> 8, (f.offers[1].provider_bdf >> 3) & 0x1f,
		 f.offers[1].provider_bdf & 7);
	igt_assert_streq(who, pci);
	igt_assert_eq_u32(f.offers[2].flavour, PHYR_VGEM_FLAVOUR_CPU_ACCESS);
	igt_assert_eq_u32(f.offers[2].flags, PHYR_VGEM_OFFER_MMIO | PHYR_VGEM_OFFER_PROVIDER_PCI);
	igt_assert_eq_u32(f.offers[2].provider_bdf, f.offers[1].provider_bdf);
	igt_assert_eq_u32(f.offers[3].flavour, PHYR_VGEM_FLAVOUR_CPU_ACCESS);
	igt_assert_eq_u32(f.offers[3].flags, PHYR_VGEM_OFFER_CPU);
	igt_assert_eq_u32(f.offers[4].flavour, PHYR_VGEM_FLAVOUR_SG_TABLE);
	igt_assert_eq_u32(f.offers[4].flags, PHYR_VGEM_OFFER_BRIDGE | PHYR_VGEM_OFFER_MMIO |
			  PHYR_VGEM_OFFER_PROVIDER_PCI);
	/* the system device reaches no BAR: refused, and PRIME agrees */
	igt_assert_eq_u32(f.import.flavour, 0);
	igt_assert_eq(f.import_error, -EOPNOTSUPP);
	import_as_predicted(sys_fd, dmabuf);
	if (nr_dev >= 2) {
		uint32_t h = 0;

		f = dmabuf_flavours(dev_fd[1], dmabuf);
		igt_assert_eq_u32(f.import.flavour, PHYR_VGEM_FLAVOUR_PRIVATE);
		import_as_predicted(dev_fd[1], dmabuf);
		/* the importer's query says where the exporter has it */
		igt_assert_eq(__import(dev_fd[1], dmabuf, &h), 0);
		igt_assert_eq_u32(query(dev_fd[1], h).placement, PHYR_VGEM_PLACEMENT_DEVICE);
		close_bo(dev_fd[1], h);
	}
	/* the query is of one moment: migrated, the offers are RAM */
	igt_assert_eq(__migrate(dev_fd[0], handle, PHYR_VGEM_PLACEMENT_SYSTEM, 0, 0), 0);
	f = dmabuf_flavours(sys_fd, dmabuf);
	igt_assert_eq_u32(f.offers[0].flavour, PHYR_VGEM_FLAVOUR_PHYR);
	igt_assert_eq_u32(f.offers[0].flags, PHYR_VGEM_OFFER_CPU);
	igt_assert_eq_u32(f.import.flavour, PHYR_VGEM_FLAVOUR_SG_TABLE);
	import_as_predicted(sys_fd, dmabuf);
	close(dmabuf);
	close_bo(dev_fd[0], handle);
}

SUBTEST test_bad_dmabuf_flavours(void)
{
	struct drm_phyr_vgem_dmabuf_flavours arg;
	uint32_t handle = create(sys_fd, page_size, PHYR_VGEM_PLACEMENT_SYSTEM, 0);
	int dmabuf = export(sys_fd, handle), null = open("/dev/null", O_RDWR);

	igt_assert_eq(__dmabuf_flavours(sys_fd, -1, &arg), -EBADF);
	igt_assert_eq(__dmabuf_flavours(sys_fd, 0x7fff, &arg), -EBADF);
	igt_assert_eq(__dmabuf_flavours(sys_fd, null, &arg), -EINVAL);
	igt_assert_eq(__dmabuf_flavours(sys_fd, sys_fd, &arg), -EINVAL);
	memset(&arg, 0, sizeof(arg));
	arg.fd = dmabuf;
	arg.flags = 1;
	igt_assert_eq(igt_ioctl(sys_fd, DRM_IOCTL_PHYR_VGEM_DMABUF_FLAVOURS, &arg), -1);
	igt_assert_eq(errno, EINVAL);
	arg.flags = 0;
	arg.pad = 1;
	igt_assert_eq(igt_ioctl(sys_fd, DRM_IOCTL_PHYR_VGEM_DMABUF_FLAVOURS, &arg), -1);
	igt_assert_eq(errno, EINVAL);
	close(null);
	close(dmabuf);
	close_bo(sys_fd, handle);
}

/* ---- what importers wrote, and reclaim ---- */

#define IMPORTER	DEBUGFS_ROOT "/phyr_edu_importer"
#define CGROUP		"/sys/fs/cgroup"

static void write_text(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void write_text(const char *path, const char *fmt, ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	write_sysfs(path, text);
}

/* A line of a text file that starts with @prefix, or "" */
static void read_line(const char *path, const char *prefix, char *out, size_t len)
{
	char line[512];
	FILE *f = fopen(path, "r");

	igt_assert(len >= sizeof(line));
	*out = '\0';
	igt_assert_f(f, "%s: %s\n", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, prefix, strlen(prefix))) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, len, "%s", line);
			break;
		}
	}
	fclose(f);
}

/* The edu importer's status line: dmas, errors, bad read-backs, last pattern. */
static void importer_status(uint64_t *dmas, uint64_t *errors, uint64_t *bad, uint64_t *seq)
{
	uint64_t maps, inval;
	int attached, running, last = 0, n;
	FILE *f = fopen(IMPORTER "/status", "r");

	igt_assert_f(f, "%s/status: %s\n", IMPORTER, strerror(errno));
	n = fscanf(f, "attached %d running %d maps %" SCNu64 " invalidations %" SCNu64
		   " dmas %" SCNu64 " errors %" SCNu64 " bad %" SCNu64 " seq %" SCNu64
		   " last_error %d", &attached, &running, &maps, &inval, dmas, errors, bad,
		   seq, &last);
	fclose(f);
	igt_assert_eq(n, 9);
}

/* cgroup2, mounted where distributions mount it */
static void mount_cgroup2(void)
{
	if (access(CGROUP "/cgroup.controllers", F_OK))
		igt_assert_f(!mount("cgroup2", CGROUP, "cgroup2", 0, NULL),
			     "mount cgroup2: %s\n", strerror(errno));
}

/* Bytes of swap in use, and of shmem, from /proc/meminfo. */
static void meminfo(uint64_t *swap_used, uint64_t *shmem)
{
	uint64_t total = 0, free_kb = 0, sh = 0, v;
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");

	igt_assert(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "SwapTotal: %" SCNu64, &v) == 1)
			total = v;
		else if (sscanf(line, "SwapFree: %" SCNu64, &v) == 1)
			free_kb = v;
		else if (sscanf(line, "Shmem: %" SCNu64, &v) == 1)
			sh = v;
	}
	fclose(f);
	*swap_used = (total - free_kb) << 10;
	*shmem = sh << 10;
}

/* 128 MiB of swap on zram, as on a laptop; off again with swap_off() */
static void swap_on(void)
{
	igt_require_f(!access("/sys/block/zram0", F_OK), "no zram (CONFIG_ZRAM)\n");
	write_sysfs("/sys/block/zram0/reset", "1");
	write_sysfs("/sys/block/zram0/disksize", "128M");
	igt_assert_eq(system("mkswap /dev/zram0 >/dev/null"), 0);
	igt_assert_f(!swapon("/dev/zram0", 0), "swapon: %s\n", strerror(errno));
}

/* Reclaim all the kernel can: asking for more than there is reclaims what it can. */
static void reclaim_all(void)
{
	int fd = open(CGROUP "/memory.reclaim", O_WRONLY);

	igt_assert_f(fd >= 0, "memory.reclaim: %s\n", strerror(errno));
	igt_assert_f(write(fd, "4G", 2) == 2 || errno == EAGAIN,
		     "memory.reclaim: %s\n", strerror(errno));
	close(fd);
}

static void swap_off(void)
{
	swapoff("/dev/zram0");
	write_sysfs("/sys/block/zram0/reset", "1");
}

/*
 * A buffer that only an importer wrote (edu's DMA, the CPU never touched it)
 * keeps what was written after the importer let go and the kernel reclaimed
 * memory: by dropping clean caches (drop_caches), or by pushing everything
 * it can to swap (memory.reclaim with swap on zram).  Neither DMA nor a PFN
 * mmap dirties a page; the exporter must, or reclaim drops the data.
 *
 * That reclaim really reached phyr_vgem's pages is shown by a second buffer,
 * whose system memory holds nothing any more (it moved to device memory):
 * its pages must go.
 */
SUBTEST test_importer_writes(bool swap)
{
	const uint32_t len = 2048, size = 8 << 20;
	uint64_t dmas = 0, errors, bad, seq, swap0, swap1, shmem0, shmem1;
	uint32_t handle = create(sys_fd, size, PHYR_VGEM_PLACEMENT_SYSTEM, 0);
	uint32_t moved = create(dev_fd[0], size, PHYR_VGEM_PLACEMENT_SYSTEM, 0);
	int dmabuf = export(sys_fd, handle);
	uint8_t *p;

	p = map(dev_fd[0], moved, size);
	pt_fill_words((uint32_t *)p, size, 0x77);
	munmap(p, size);
	igt_assert_eq(__migrate(dev_fd[0], moved, PHYR_VGEM_PLACEMENT_DEVICE, 0, 0), 0);

	igt_require_f(!access(IMPORTER "/control", W_OK), "no edu importer (debugfs)\n");
	write_text(IMPORTER "/control", "attach %d", dmabuf);
	write_text(IMPORTER "/control", "run 0 %u", len);
	for (int i = 0; i < 600 && dmas < 4; i++) {
		importer_status(&dmas, &errors, &bad, &seq);
		usleep(50 * 1000);
	}
	write_sysfs(IMPORTER "/control", "stop");
	write_sysfs(IMPORTER "/control", "detach");
	importer_status(&dmas, &errors, &bad, &seq);
	igt_assert_f(dmas >= 4 && !errors && !bad,
		     "edu: %" PRIu64 " DMAs, %" PRIu64 " errors, %" PRIu64 " bad\n",
		     dmas, errors, bad);
	/* the importer pinned the buffer's pages, wrote and let go: none are pinned */
	igt_assert_eq(query(sys_fd, handle).placement, PHYR_VGEM_PLACEMENT_SYSTEM);

	meminfo(&swap0, &shmem0);
	if (swap) {
		swap_on();
		mount_cgroup2();
		reclaim_all();
	} else {
		write_sysfs("/proc/sys/vm/drop_caches", "3");
	}
	meminfo(&swap1, &shmem1);
	igt_info("shmem %" PRIu64 " -> %" PRIu64 " KiB, swap %" PRIu64 " -> %" PRIu64 " KiB\n",
		 shmem0 >> 10, shmem1 >> 10, swap0 >> 10, swap1 >> 10);
	/* the case is real only if reclaim took pages of phyr_vgem's */
	igt_assert_f(shmem0 >= shmem1 + size / 2,
		     "reclaim left the pages of a buffer moved away in memory\n");

	p = map(sys_fd, handle, size);
	for (uint32_t i = 0; i < len; i++)
		igt_assert_f(p[i] == pt_byte(seq, i),
			     "byte %u: %#x, edu wrote %#x (pattern %" PRIu64 ")\n", i, p[i],
			     pt_byte(seq, i), seq);
	munmap(p, size);
	if (swap)
		swap_off();
	close(dmabuf);
	close_bo(sys_fd, handle);
	close_bo(dev_fd[0], moved);
}

/* ---- device memory and the dmem cgroup controller ---- */

struct dmem_child {
	int fd;
	char cg[128];
	char why[1024];
};

#define DMEM_FAIL(...) do { \
	snprintf(dc->why, sizeof(dc->why), __VA_ARGS__); \
	return 1; \
} while (0)

/* in the limited cgroup: what it may allocate in device memory */
static int dmem_limited(struct dmem_child *dc)
{
	const uint64_t four = 4 << 20;
	uint32_t h[3] = {}, sys = 0;
	char path[256], line[512];
	int ret;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dc->cg);
	write_text(path, "%d", getpid());
	if (__create(dc->fd, four, PHYR_VGEM_PLACEMENT_DEVICE, 0, &h[0]) ||
	    __create(dc->fd, four, PHYR_VGEM_PLACEMENT_DEVICE, 0, &h[1]))
		DMEM_FAIL("8 MiB of device memory under an 8 MiB limit: %s", strerror(errno));
	ret = __create(dc->fd, four, PHYR_VGEM_PLACEMENT_DEVICE, 0, &h[2]);
	if (ret != -ENOSPC)
		DMEM_FAIL("4 MiB more than the limit: %d (%s), expected ENOSPC", ret,
			  strerror(-ret));
	if (info(dc->fd).device_free < 2 * four)
		DMEM_FAIL("the device is full: the test says nothing of the limit");
	snprintf(path, sizeof(path), "%s/dmem.current", dc->cg);
	read_line(path, "drm/", line, sizeof(line));
	if (!strstr(line, " 8388608"))
		DMEM_FAIL("dmem.current: '%s', expected 8 MiB", line);
	/* moving into device memory is allocating it too */
	if (__create(dc->fd, four, PHYR_VGEM_PLACEMENT_SYSTEM, 0, &sys))
		DMEM_FAIL("a system buffer: %s", strerror(errno));
	ret = __migrate(dc->fd, sys, PHYR_VGEM_PLACEMENT_DEVICE, 0, 0);
	if (ret != -ENOSPC)
		DMEM_FAIL("migrating over the limit: %d, expected ENOSPC", ret);
	/* and a buffer freed gives its charge back */
	close_bo(dc->fd, h[1]);
	ret = __migrate(dc->fd, sys, PHYR_VGEM_PLACEMENT_DEVICE, 0, 0);
	if (ret)
		DMEM_FAIL("migrating under the limit again: %s", strerror(-ret));
	close_bo(dc->fd, sys);
	close_bo(dc->fd, h[0]);
	read_line(path, "drm/", line, sizeof(line));
	if (!strstr(line, " 0"))
		DMEM_FAIL("dmem.current after freeing everything: '%s'", line);
	return 0;
}

/*
 * Device memory is charged to the dmem cgroup controller, as xe and amdgpu
 * charge VRAM: the BAR is a region "drm/PCI/vram" of its size, and a cgroup
 * at its dmem.max gets ENOSPC, for a new buffer and for a migration, however
 * much the device has left.
 */
SUBTEST test_dmem_limit(void)
{
	struct dmem_child dc = { .fd = dev_fd[0] };
	char pci[32], region[96], line[512];
	int p[2], status;
	pid_t pid;

	mount_cgroup2();
	read_line(CGROUP "/cgroup.controllers", "", line, sizeof(line));
	igt_require_f(strstr(line, "dmem"), "no dmem cgroup controller (CONFIG_CGROUP_DMEM)\n");
	pci_address(dev_fd[0], pci, sizeof(pci));
	snprintf(region, sizeof(region), "drm/%s/vram", pci);
	read_line(CGROUP "/dmem.capacity", region, line, sizeof(line));
	igt_assert_f(line[0], "%s is not a region of dmem.capacity\n", region);
	igt_assert_eq_u64(strtoull(line + strlen(region), NULL, 10), info(dev_fd[0]).device_size);

	write_sysfs(CGROUP "/cgroup.subtree_control", "+dmem");
	snprintf(dc.cg, sizeof(dc.cg), CGROUP "/phyr-dmem-%d", getpid());
	igt_assert_eq(mkdir(dc.cg, 0755), 0);
	snprintf(line, sizeof(line), "%s/dmem.max", dc.cg);
	write_text(line, "%s 8388608", region);

	igt_assert_eq(pipe(p), 0);
	pid = fork();
	igt_assert(pid >= 0);
	if (!pid) {
		int ret = dmem_limited(&dc);

		if (write(p[1], dc.why, strlen(dc.why)) < 0)
			ret = 2;
		_exit(ret);
	}
	close(p[1]);
	memset(dc.why, 0, sizeof(dc.why));
	if (read(p[0], dc.why, sizeof(dc.why) - 1) < 0)
		dc.why[0] = '\0';
	close(p[0]);
	igt_assert_eq(waitpid(pid, &status, 0), pid);
	igt_assert_eq(rmdir(dc.cg), 0);
	igt_assert_f(WIFEXITED(status) && !WEXITSTATUS(status), "%s\n", dc.why);
}

igt_main
{
	igt_fixture {
		page_size = sysconf(_SC_PAGESIZE);
		open_devices();
	}

	igt_describe("INFO: 64 MiB of device memory on each ivshmem device, none on the other.");
	igt_subtest("info")
		test_info();

	igt_describe("System memory: query, zeroed, coherent mmaps.");
	igt_subtest("system")
		test_placement(dev_fd[0], PHYR_VGEM_PLACEMENT_SYSTEM);

	igt_describe("Device memory: query, zeroed, coherent write-combined mmaps.");
	igt_subtest("device")
		test_placement(dev_fd[0], PHYR_VGEM_PLACEMENT_DEVICE);

	igt_describe("A contiguous device buffer is one physical range.");
	igt_subtest("device-contiguous")
		test_contiguous();

	igt_describe("Device memory is taken and given back.");
	igt_subtest("device-accounting")
		test_accounting();

	igt_describe("Exhausted device memory: ENOSPC for create and migrate.");
	igt_subtest("device-exhaustion")
		test_exhaustion();

	igt_describe("Migrate both ways under live GEM and dma-buf mmaps.");
	igt_subtest("migrate-live-mmap")
		test_migrate_live_mmap();

	igt_describe("Device memory over the private interconnect to a second device.");
	igt_subtest("export-import-device")
		test_export_import_device();

	igt_describe("System memory imported as phyr by a device with a BAR.");
	igt_subtest("export-import-system")
		test_export_import_system();

	igt_describe("Handles, dma-bufs and mappings closed in any order.");
	igt_subtest("close-order")
		test_close_order();

	igt_describe("A migration waits for the buffer's write fence, then moves its data.");
	igt_subtest("fence")
		test_fence();

	igt_describe("debugfs buffers: MMIO ranges of the BAR with their provider.");
	igt_subtest("debugfs")
		test_debugfs();

	igt_describe("BO_CREATE: every bad size, placement, flag and padding.");
	igt_subtest("bad-create")
		test_bad_create();

	igt_describe("QUERY, MIGRATE and INFO reject unknown handles and padding.");
	igt_subtest("bad-handle")
		test_bad_handle();

	igt_describe("MIGRATE rejects bad placements, flags, imports and missing memory.");
	igt_subtest("bad-migrate")
		test_bad_migrate();

	igt_describe("BO_CREATE with an image: pitch, size and BO_QUERY's metadata.");
	igt_subtest("image")
		test_image();

	igt_describe("BO_CREATE's image fields and BO_QUERY's flags: every bad input.");
	igt_subtest("bad-image")
		test_bad_image();

	igt_describe("BO_MMAP_OFFSET on the render node, where MAP_DUMB is refused.");
	igt_subtest("mmap-offset")
		test_mmap_offset();

	igt_describe("BO_MMAP_OFFSET rejects flags, unknown handles and imports.");
	igt_subtest("bad-mmap-offset")
		test_bad_mmap_offset();

	igt_describe("BO_RANGES: RAM and MMIO ranges (in the BAR) covering the buffer.");
	igt_subtest("ranges")
		test_ranges();

	igt_describe("BO_RANGES rejects flags, padding, bad arrays and imports.");
	igt_subtest("bad-ranges")
		test_bad_ranges();

	igt_describe("DMABUF_FLAVOURS: offers as data, and the import PRIME then makes.");
	igt_subtest("dmabuf-flavours")
		test_dmabuf_flavours();

	igt_describe("DMABUF_FLAVOURS rejects bad fds, flags and padding.");
	igt_subtest("bad-dmabuf-flavours")
		test_bad_dmabuf_flavours();

	igt_describe("What only an importer wrote survives drop_caches after it let go.");
	igt_subtest("importer-writes-drop-caches")
		test_importer_writes(false);

	igt_describe("What only an importer wrote survives reclaim to swap (zram).");
	igt_subtest("importer-writes-swap")
		test_importer_writes(true);

	igt_describe("Device memory is charged to the dmem cgroup: ENOSPC at dmem.max.");
	igt_subtest("dmem-limit")
		test_dmem_limit();

	/* last: it removes a device and brings it back under a new minor */
	igt_describe("Hot-unplug with live mappings, an export and an import; rescan.");
	igt_subtest("hot-unplug")
		test_hot_unplug();

	igt_fixture {
		for (unsigned int d = 0; d < nr_dev; d++)
			if (dev_fd[d] >= 0)
				close(dev_fd[d]);
		close(sys_fd);
	}
}
