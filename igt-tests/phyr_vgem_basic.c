// SPDX-License-Identifier: MIT
/*
 * phyr_vgem_basic - basic uAPI tests for the phyr_vgem DRM driver.
 *
 * phyr_vgem is vgem under another name: shmem GEM objects made with dumb
 * create, mmap through MAP_DUMB, PRIME export/import, and vgem's fence
 * ioctls. The subtests follow what IGT's vgem_basic checks for vgem, plus
 * the error paths of the ioctls phyr_vgem exposes.
 *
 * Copyright 2026 The phyr developers
 */

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "drm.h"
#include "drm_mode.h"
#include "phyr_vgem_drm.h"

#include "igt_lite.h"
#include "phyr-test.h"

IGT_TEST_DESCRIPTION("Basic sanity checks of the phyr_vgem uAPI: GEM objects, mmap, "
		     "PRIME/dma-buf sharing and the fence ioctls.");

#define DRIVER_NAME	"phyr_vgem"
#define DRIVER_DESC	"phyr virtual GEM provider"
#define DRM_MAJOR	226
#define DEBUGFS_ROOT	"/sys/kernel/debug"
#define FAUX_DEVICE	"/sys/devices/faux/" DRIVER_NAME

/* Newer than the host's libdrm headers; numbers from Linux's uapi/drm/drm.h. */
#ifndef DRM_IOCTL_SET_CLIENT_NAME
struct drm_set_client_name {
	__u64 name_len;
	__u64 name;
};
#define DRM_IOCTL_SET_CLIENT_NAME	DRM_IOWR(0xD1, struct drm_set_client_name)
#endif

/* The primary node, opened by the first fixture. */
static int fd = -1;
static long page_size;

struct bo {
	uint32_t handle;
	uint32_t width, height, bpp;
	uint32_t pitch;
	uint64_t size;
};

/* ---- device nodes ---- */

static bool is_phyr_vgem(int dfd)
{
	char name[32] = "";
	struct drm_version v = { .name_len = sizeof(name) - 1, .name = name };
	struct drm_phyr_vgem_info info = {};

	if (ioctl(dfd, DRM_IOCTL_VERSION, &v) || v.name_len >= sizeof(name))
		return false;
	name[v.name_len] = '\0';

	if (strcmp(name, DRIVER_NAME))
		return false;

	/*
	 * The vgem-like device: the one without device memory (devices on
	 * ivshmem have some; phyr_vgem_memory tests those).
	 */
	return !ioctl(dfd, DRM_IOCTL_PHYR_VGEM_INFO, &info) && !info.device_size;
}

/* Open the /dev/dri/<prefix>N node of the system-memory phyr_vgem, or return -1. */
static int __open_phyr_vgem(const char *prefix)
{
	struct dirent *de;
	int dfd = -1;
	DIR *dir;

	dir = opendir("/dev/dri");
	if (!dir)
		return -1;

	while ((de = readdir(dir))) {
		char path[PATH_MAX];

		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;

		snprintf(path, sizeof(path), "/dev/dri/%s", de->d_name);
		dfd = open(path, O_RDWR | O_CLOEXEC);
		if (dfd < 0)
			continue;
		if (is_phyr_vgem(dfd))
			break;
		close(dfd);
		dfd = -1;
	}
	closedir(dir);

	return dfd;
}

/* A new DRM file on the node behind @dfd (a second client). */
static int reopen(int dfd)
{
	char path[64];
	int nfd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", dfd);
	nfd = open(path, O_RDWR | O_CLOEXEC);
	igt_assert_f(nfd >= 0, "reopen: %s\n", strerror(errno));

	return nfd;
}

static dev_t node_rdev(int dfd)
{
	struct stat st;

	igt_assert_eq(fstat(dfd, &st), 0);
	igt_assert(S_ISCHR(st.st_mode));

	return st.st_rdev;
}

/* ---- GEM objects ---- */

/* Outputs are copied back even on error (the kernel clears them then). */
static int __dumb_create(int dfd, struct bo *bo)
{
	struct drm_mode_create_dumb arg = {
		.width = bo->width,
		.height = bo->height,
		.bpp = bo->bpp,
		.handle = bo->handle,
		.pitch = bo->pitch,
		.size = bo->size,
	};
	int err = 0;

	if (igt_ioctl(dfd, DRM_IOCTL_MODE_CREATE_DUMB, &arg))
		err = -errno;

	bo->handle = arg.handle;
	bo->pitch = arg.pitch;
	bo->size = arg.size;

	return err;
}

static void dumb_create(int dfd, struct bo *bo, uint32_t width, uint32_t height, uint32_t bpp)
{
	memset(bo, 0, sizeof(*bo));
	bo->width = width;
	bo->height = height;
	bo->bpp = bpp;

	igt_assert_eq(__dumb_create(dfd, bo), 0);
	igt_assert_neq_u32(bo->handle, 0);
	igt_assert(bo->size >= (uint64_t)bo->pitch * height);
}

/* A small object, 64x64 at 32 bpp (16 KiB). */
static void small_bo(int dfd, struct bo *bo)
{
	dumb_create(dfd, bo, 64, 64, 32);
}

static int __dumb_offset(int dfd, uint32_t handle, uint64_t *offset)
{
	struct drm_mode_map_dumb arg = { .handle = handle, .offset = 0xdeadbeef };
	int err = 0;

	if (igt_ioctl(dfd, DRM_IOCTL_MODE_MAP_DUMB, &arg))
		err = -errno;
	*offset = arg.offset;

	return err;
}

static uint64_t dumb_offset(int dfd, uint32_t handle)
{
	uint64_t offset;

	igt_assert_eq(__dumb_offset(dfd, handle, &offset), 0);
	igt_assert_neq_u64(offset, 0);

	return offset;
}

static void *dumb_mmap(int dfd, const struct bo *bo)
{
	void *ptr;

	ptr = mmap(NULL, bo->size, PROT_READ | PROT_WRITE, MAP_SHARED, dfd,
		   dumb_offset(dfd, bo->handle));
	igt_assert_f(ptr != MAP_FAILED, "mmap of handle %u: %s\n", bo->handle, strerror(errno));

	return ptr;
}

/* mmap() result as 0 or -errno; unmaps on success. */
static int __try_mmap_flags(int dfd, size_t size, int prot, int flags, off_t offset)
{
	void *ptr = mmap(NULL, size, prot, flags, dfd, offset);

	if (ptr == MAP_FAILED)
		return -errno;
	munmap(ptr, size);

	return 0;
}

static int __try_mmap(int dfd, size_t size, int prot, off_t offset)
{
	return __try_mmap_flags(dfd, size, prot, MAP_SHARED, offset);
}

static int __gem_close(int dfd, uint32_t handle)
{
	struct drm_gem_close arg = { .handle = handle };

	return igt_ioctl(dfd, DRM_IOCTL_GEM_CLOSE, &arg) ? -errno : 0;
}

static void check(const uint32_t *ptr, uint64_t size, uint32_t seed)
{
	int64_t i = pt_check_words(ptr, size, seed);

	igt_assert_f(i < 0, "word %" PRId64 ": found %#x, expected %#x\n", i,
		     ptr[i < 0 ? 0 : i], pt_word(seed, i));
}

static void check_zero(const uint32_t *ptr, uint64_t size)
{
	for (uint64_t i = 0; i < size / sizeof(*ptr); i++)
		igt_assert_f(!ptr[i], "word %" PRIu64 " is %#x, not zero\n", i, ptr[i]);
}

/* ---- PRIME / dma-buf ---- */

static int __dmabuf_export(int dfd, uint32_t handle, uint32_t flags, int *out)
{
	struct drm_prime_handle arg = { .handle = handle, .flags = flags, .fd = -1 };

	if (igt_ioctl(dfd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &arg))
		return -errno;
	*out = arg.fd;

	return 0;
}

/* Export read-write, so that the dma-buf can be mapped for writing. */
static int dmabuf_export(int dfd, uint32_t handle)
{
	int dmabuf = -1;

	igt_assert_eq(__dmabuf_export(dfd, handle, DRM_CLOEXEC | DRM_RDWR, &dmabuf), 0);
	igt_assert_lte(0, dmabuf);

	return dmabuf;
}

static int __dmabuf_import(int dfd, int dmabuf, uint32_t *handle)
{
	struct drm_prime_handle arg = { .fd = dmabuf };

	if (igt_ioctl(dfd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &arg))
		return -errno;
	*handle = arg.handle;

	return 0;
}

static void dmabuf_sync(int dmabuf, uint64_t flags)
{
	struct dma_buf_sync arg = { .flags = flags };

	do_ioctl(dmabuf, DMA_BUF_IOCTL_SYNC, &arg);
}

/* Would a wait for @events (POLLIN: writers done, POLLOUT: all done) block? */
static bool dmabuf_busy(int dmabuf, short events)
{
	struct pollfd pfd = { .fd = dmabuf, .events = events };
	int ret;

	ret = poll(&pfd, 1, 0);
	igt_assert_f(ret >= 0, "poll: %s\n", strerror(errno));
	if (ret)
		igt_assert_eq(pfd.revents, events);

	return ret == 0;
}

static bool sync_file_busy(int sync_file)
{
	struct pollfd pfd = { .fd = sync_file, .events = POLLIN };
	int ret;

	ret = poll(&pfd, 1, 0);
	igt_assert_f(ret >= 0, "poll: %s\n", strerror(errno));

	return ret == 0;
}

static int __export_sync_file(int dmabuf, uint32_t flags, int *out)
{
	struct dma_buf_export_sync_file arg = { .flags = flags, .fd = -1 };

	if (igt_ioctl(dmabuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &arg))
		return -errno;
	*out = arg.fd;

	return 0;
}

/* ---- fences ---- */

static int __fence_attach(int dfd, struct drm_phyr_vgem_fence_attach *arg)
{
	return igt_ioctl(dfd, DRM_IOCTL_PHYR_VGEM_FENCE_ATTACH, arg) ? -errno : 0;
}

static int __fence_attach_simple(int dfd, uint32_t handle, uint32_t flags)
{
	struct drm_phyr_vgem_fence_attach arg = { .handle = handle, .flags = flags };

	return __fence_attach(dfd, &arg);
}

static uint32_t fence_attach(int dfd, uint32_t handle, uint32_t flags)
{
	struct drm_phyr_vgem_fence_attach arg = { .handle = handle, .flags = flags };

	igt_assert_eq(__fence_attach(dfd, &arg), 0);
	igt_assert_neq_u32(arg.out_fence, 0);

	return arg.out_fence;
}

static int __fence_signal(int dfd, uint32_t fence, uint32_t flags)
{
	struct drm_phyr_vgem_fence_signal arg = { .fence = fence, .flags = flags };

	return igt_ioctl(dfd, DRM_IOCTL_PHYR_VGEM_FENCE_SIGNAL, &arg) ? -errno : 0;
}

static void fence_signal(int dfd, uint32_t fence)
{
	igt_assert_eq(__fence_signal(dfd, fence, 0), 0);
}

/* ---- misc ---- */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);

	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Read a (small) file into @buf, NUL-terminated; length or -errno. */
static ssize_t read_text(const char *path, char *buf, size_t size)
{
	ssize_t len = 0, ret;
	int tfd;

	tfd = open(path, O_RDONLY | O_CLOEXEC);
	if (tfd < 0)
		return -errno;

	while ((size_t)len < size - 1) {
		ret = read(tfd, buf + len, size - 1 - len);
		if (ret < 0) {
			ret = -errno;
			close(tfd);
			return ret;
		}
		if (!ret)
			break;
		len += ret;
	}
	buf[len] = '\0';
	close(tfd);

	return len;
}

static bool debugfs_ready(void)
{
	if (access(DEBUGFS_ROOT "/dri", F_OK) == 0)
		return true;

	/* Not mounted yet: mount it as IGT itself would. */
	mount("debugfs", DEBUGFS_ROOT, "debugfs", 0, NULL);

	return access(DEBUGFS_ROOT "/dri", F_OK) == 0;
}

static void set_client_name(int dfd, const char *name)
{
	struct drm_set_client_name arg = {
		.name_len = strlen(name),
		.name = (uintptr_t)name,
	};

	do_ioctl(dfd, DRM_IOCTL_SET_CLIENT_NAME, &arg);
}

/*
 * Find @name in debugfs' "clients" list and return that client's tgid and
 * minor, or false. A line is "comm tgid dev master auth uid magic name id".
 */
static bool find_client(const char *clients, const char *name, int *pid, int *minor)
{
	const char *line = clients;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		char tok[8][72];
		char buf[512];
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
		memcpy(buf, line, len);
		buf[len] = '\0';

		if (sscanf(buf, "%71s %71s %71s %71s %71s %71s %71s %71s",
			   tok[0], tok[1], tok[2], tok[3], tok[4], tok[5], tok[6], tok[7]) == 8 &&
		    !strcmp(tok[7], name)) {
			*pid = atoi(tok[1]);
			*minor = atoi(tok[2]);
			return true;
		}
		line = end ? end + 1 : NULL;
	}

	return false;
}

/* ---- subtests ---- */

static void test_version(int dfd)
{
	char name[64] = "", desc[128] = "", date[64] = "", small[4];
	struct drm_version v = {
		.name_len = sizeof(name) - 1, .name = name,
		.date_len = sizeof(date) - 1, .date = date,
		.desc_len = sizeof(desc) - 1, .desc = desc,
	};

	do_ioctl(dfd, DRM_IOCTL_VERSION, &v);
	igt_info("%s %d.%d.%d: %s\n", name, v.version_major, v.version_minor,
		 v.version_patchlevel, desc);
	igt_assert_eq((int)v.name_len, (int)strlen(DRIVER_NAME));
	igt_assert_streq(name, DRIVER_NAME);
	igt_assert_streq(desc, DRIVER_DESC);
	igt_assert_eq(v.version_major, 1);
	igt_assert_eq(v.version_minor, 2);

	/* A short buffer gets a truncated copy and the full length. */
	memset(&v, 0, sizeof(v));
	memset(small, '@', sizeof(small));
	v.name_len = 3;
	v.name = small;
	do_ioctl(dfd, DRM_IOCTL_VERSION, &v);
	igt_assert_eq((int)v.name_len, (int)strlen(DRIVER_NAME));
	igt_assert(!memcmp(small, "phy@", 4));
}

static void test_caps(int dfd)
{
	struct drm_get_cap cap = { .capability = DRM_CAP_PRIME };

	do_ioctl(dfd, DRM_IOCTL_GET_CAP, &cap);
	igt_assert_eq_u64(cap.value, DRM_PRIME_CAP_IMPORT | DRM_PRIME_CAP_EXPORT);

	cap = (struct drm_get_cap){ .capability = DRM_CAP_TIMESTAMP_MONOTONIC };
	do_ioctl(dfd, DRM_IOCTL_GET_CAP, &cap);
	igt_assert_eq_u64(cap.value, 1);

	/* No DRIVER_SYNCOBJ. */
	cap = (struct drm_get_cap){ .capability = DRM_CAP_SYNCOBJ, .value = 1 };
	do_ioctl(dfd, DRM_IOCTL_GET_CAP, &cap);
	igt_assert_eq_u64(cap.value, 0);

	/* KMS-only caps are refused for a render-only driver. */
	cap = (struct drm_get_cap){ .capability = DRM_CAP_DUMB_BUFFER };
	do_ioctl_err(dfd, DRM_IOCTL_GET_CAP, &cap, EOPNOTSUPP);
}

static void test_create(int dfd)
{
	static const struct { uint32_t w, h, bpp; } sizes[] = {
		{ 1, 1, 8 }, { 1, 1, 32 }, { 64, 64, 32 }, { 100, 33, 24 },
		{ 1024, 768, 16 }, { 4096, 1, 32 }, { 3, 4097, 8 },
	};
	struct bo bo[sizeof(sizes) / sizeof(sizes[0])];
	struct bo zero;
	unsigned int n = sizeof(sizes) / sizeof(sizes[0]);

	for (unsigned int i = 0; i < n; i++) {
		uint32_t cpp = (sizes[i].bpp + 7) / 8;
		uint64_t min;

		dumb_create(dfd, &bo[i], sizes[i].w, sizes[i].h, sizes[i].bpp);
		igt_debug("%ux%u@%u: handle %u pitch %u size %" PRIu64 "\n", sizes[i].w,
			  sizes[i].h, sizes[i].bpp, bo[i].handle, bo[i].pitch, bo[i].size);

		igt_assert_lte(sizes[i].w * cpp, bo[i].pitch);
		min = (uint64_t)bo[i].pitch * sizes[i].h;
		igt_assert(bo[i].size >= min);
		igt_assert_eq_u64(bo[i].size % page_size, 0);
		igt_assert(bo[i].size < min + page_size);

		for (unsigned int j = 0; j < i; j++)
			igt_assert_neq_u32(bo[i].handle, bo[j].handle);
	}

	/* A zero dimension is refused, and the outputs are cleared. */
	zero = (struct bo){ .handle = 0xdead, .pitch = 1, .size = 1, .height = 16, .bpp = 32 };
	igt_assert_eq(__dumb_create(dfd, &zero), -EINVAL);
	igt_assert_eq_u32(zero.handle, 0);
	igt_assert_eq_u32(zero.pitch, 0);
	igt_assert_eq_u64(zero.size, 0);
	zero = (struct bo){ .width = 16, .height = 0, .bpp = 32 };
	igt_assert_eq(__dumb_create(dfd, &zero), -EINVAL);

	for (unsigned int i = 0; i < n; i++)
		igt_assert_eq(__gem_close(dfd, bo[i].handle), 0);
	for (unsigned int i = 0; i < n; i++)
		igt_assert_eq(__gem_close(dfd, bo[i].handle), -EINVAL);
}

static void test_bad_create(int dfd)
{
	static const struct { uint32_t w, h, bpp; } bad[] = {
		{ 64, 64, 0 },				/* no bpp */
		{ 64, 64, 0xffffffff },			/* bpp overflows cpp */
		{ 0xffffffff, 0xffffffff, 32 },		/* stride overflows */
		{ 65536, 65536, 32 },			/* 16 GiB: size overflows u32 */
		{ 0x4000, 0x10000, 32 },		/* exactly 4 GiB wraps to 0 */
		{ 0x80000000, 1, 16 },			/* pitch overflows u32 */
	};

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bo bo = {
			.width = bad[i].w, .height = bad[i].h, .bpp = bad[i].bpp,
		};
		int ret = __dumb_create(dfd, &bo);

		igt_assert_f(ret == -EINVAL, "%ux%u@%u: got %d (%s), handle %u size %" PRIu64
			     ", expected -EINVAL\n", bad[i].w, bad[i].h, bad[i].bpp, ret,
			     strerror(-ret), bo.handle, bo.size);
	}
}

static void test_bad_gem_handle(int dfd)
{
	struct drm_mode_destroy_dumb destroy = { .handle = 0xdeadbeef };
	struct bo bo;
	uint64_t offset;

	igt_assert_eq(__dumb_offset(dfd, 0, &offset), -ENOENT);
	igt_assert_eq(__dumb_offset(dfd, 0xdeadbeef, &offset), -ENOENT);
	igt_assert_eq_u64(offset, 0);

	igt_assert_eq(__gem_close(dfd, 0), -EINVAL);
	igt_assert_eq(__gem_close(dfd, 0xdeadbeef), -EINVAL);
	do_ioctl_err(dfd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy, EINVAL);

	/* A closed handle is gone for good. */
	small_bo(dfd, &bo);
	igt_assert_eq(__gem_close(dfd, bo.handle), 0);
	igt_assert_eq(__dumb_offset(dfd, bo.handle, &offset), -ENOENT);
	igt_assert_eq(__gem_close(dfd, bo.handle), -EINVAL);

	/* DESTROY_DUMB is GEM_CLOSE under another name. */
	small_bo(dfd, &bo);
	destroy.handle = bo.handle;
	do_ioctl(dfd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
	igt_assert_eq(__gem_close(dfd, bo.handle), -EINVAL);
}

static void test_mmap(int dfd)
{
	uint32_t *ptr;
	struct bo bo;

	small_bo(dfd, &bo);

	/* New objects are zeroed. */
	ptr = dumb_mmap(dfd, &bo);
	check_zero(ptr, bo.size);
	pt_fill_words(ptr, bo.size, 0x1234);
	igt_assert_eq(munmap(ptr, bo.size), 0);

	/* The offset is stable and the contents survive the unmap. */
	igt_assert_eq_u64(dumb_offset(dfd, bo.handle), dumb_offset(dfd, bo.handle));
	ptr = dumb_mmap(dfd, &bo);
	check(ptr, bo.size, 0x1234);

	/* A live mapping keeps the object after its handle is closed. */
	gem_close(dfd, bo.handle);
	pt_fill_words(ptr, bo.size, 0x5678);
	check(ptr, bo.size, 0x5678);
	igt_assert_eq(munmap(ptr, bo.size), 0);
}

static void test_bad_mmap(int dfd)
{
	uint64_t offset;
	struct bo bo;
	int fd2;

	small_bo(dfd, &bo);
	offset = dumb_offset(dfd, bo.handle);

	/* Nothing at offset 0; no map larger than the object. */
	igt_assert_eq(__try_mmap(dfd, bo.size, PROT_READ, 0), -EINVAL);
	igt_assert_eq(__try_mmap(dfd, 2 * bo.size, PROT_READ, offset), -EINVAL);
	igt_assert_eq(__try_mmap(dfd, bo.size, PROT_READ | PROT_WRITE, offset), 0);

	/* Private (copy-on-write) maps are refused. */
	igt_assert_eq(__try_mmap_flags(dfd, bo.size, PROT_READ | PROT_WRITE, MAP_PRIVATE, offset),
		      -EINVAL);

	/* Another client without a handle may not map it. */
	fd2 = reopen(dfd);
	igt_assert_eq(__try_mmap(fd2, bo.size, PROT_READ, offset), -EACCES);
	close(fd2);

	/* The offset dies with the object. */
	gem_close(dfd, bo.handle);
	igt_assert_eq(__try_mmap(dfd, bo.size, PROT_READ, offset), -EINVAL);
}

static void test_bad_flag(int dfd)
{
	static const uint32_t flags[] = {
		0x2, 0x80000000, PHYR_VGEM_FENCE_WRITE | 0x2, ~0u, ~PHYR_VGEM_FENCE_WRITE,
	};
	struct bo bo;
	int dmabuf;

	small_bo(dfd, &bo);
	dmabuf = dmabuf_export(dfd, bo.handle);

	for (unsigned int i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		struct drm_phyr_vgem_fence_attach arg = {
			.handle = bo.handle, .flags = flags[i], .out_fence = 0xdead,
		};

		igt_assert_eq(__fence_attach(dfd, &arg), -EINVAL);
	}

	/* Nothing was attached. */
	igt_assert(!dmabuf_busy(dmabuf, POLLOUT));

	close(dmabuf);
	gem_close(dfd, bo.handle);
}

static void test_bad_pad(int dfd)
{
	static const uint32_t pads[] = { 1, 0x80000000, ~0u };
	struct bo bo;
	int dmabuf;

	small_bo(dfd, &bo);
	dmabuf = dmabuf_export(dfd, bo.handle);

	for (unsigned int i = 0; i < sizeof(pads) / sizeof(pads[0]); i++) {
		struct drm_phyr_vgem_fence_attach arg = { .handle = bo.handle, .pad = pads[i] };

		igt_assert_eq(__fence_attach(dfd, &arg), -EINVAL);
		arg.flags = PHYR_VGEM_FENCE_WRITE;
		igt_assert_eq(__fence_attach(dfd, &arg), -EINVAL);
	}

	igt_assert(!dmabuf_busy(dmabuf, POLLOUT));

	close(dmabuf);
	gem_close(dfd, bo.handle);
}

static void test_bad_handle(int dfd)
{
	struct bo bo;

	igt_assert_eq(__fence_attach_simple(dfd, 0, 0), -ENOENT);
	igt_assert_eq(__fence_attach_simple(dfd, 0xdeadbeef, 0), -ENOENT);
	igt_assert_eq(__fence_attach_simple(dfd, 0xdeadbeef, PHYR_VGEM_FENCE_WRITE), -ENOENT);

	small_bo(dfd, &bo);
	gem_close(dfd, bo.handle);
	igt_assert_eq(__fence_attach_simple(dfd, bo.handle, 0), -ENOENT);
	igt_assert_eq(__fence_attach_simple(dfd, bo.handle, PHYR_VGEM_FENCE_WRITE), -ENOENT);
}

static void test_bad_fence(int dfd)
{
	uint32_t fence;
	struct bo bo;
	int dmabuf;

	igt_assert_eq(__fence_signal(dfd, 0, 0), -ENOENT);
	igt_assert_eq(__fence_signal(dfd, 0xdeadbeef, 0), -ENOENT);
	igt_assert_eq(__fence_signal(dfd, ~0u, 0), -ENOENT);

	small_bo(dfd, &bo);
	dmabuf = dmabuf_export(dfd, bo.handle);
	fence = fence_attach(dfd, bo.handle, PHYR_VGEM_FENCE_WRITE);

	/* An id never handed out, and nonzero flags, leave the fence pending. */
	igt_assert_eq(__fence_signal(dfd, fence + 1000, 0), -ENOENT);
	igt_assert_eq(__fence_signal(dfd, fence, 1), -EINVAL);
	igt_assert_eq(__fence_signal(dfd, fence, ~0u), -EINVAL);
	igt_assert(dmabuf_busy(dmabuf, POLLIN));

	/* Signalling consumes the id. */
	fence_signal(dfd, fence);
	igt_assert(!dmabuf_busy(dmabuf, POLLIN));
	igt_assert_eq(__fence_signal(dfd, fence, 0), -ENOENT);

	close(dmabuf);
	gem_close(dfd, bo.handle);
}

static void test_busy_fence(int dfd)
{
	uint32_t write, read1, read2;
	struct bo bo;
	int dmabuf;

	small_bo(dfd, &bo);
	dmabuf = dmabuf_export(dfd, bo.handle);

	/* A pending write excludes every other fence. */
	write = fence_attach(dfd, bo.handle, PHYR_VGEM_FENCE_WRITE);
	igt_assert_eq(__fence_attach_simple(dfd, bo.handle, PHYR_VGEM_FENCE_WRITE), -EBUSY);
	igt_assert_eq(__fence_attach_simple(dfd, bo.handle, 0), -EBUSY);
	igt_assert(dmabuf_busy(dmabuf, POLLIN));
	igt_assert(dmabuf_busy(dmabuf, POLLOUT));
	fence_signal(dfd, write);
	igt_assert(!dmabuf_busy(dmabuf, POLLIN));
	igt_assert(!dmabuf_busy(dmabuf, POLLOUT));

	/* Readers share, but exclude a writer until all are done. */
	read1 = fence_attach(dfd, bo.handle, 0);
	read2 = fence_attach(dfd, bo.handle, 0);
	igt_assert_neq_u32(read1, read2);
	igt_assert_eq(__fence_attach_simple(dfd, bo.handle, PHYR_VGEM_FENCE_WRITE), -EBUSY);
	igt_assert(!dmabuf_busy(dmabuf, POLLIN));
	igt_assert(dmabuf_busy(dmabuf, POLLOUT));

	fence_signal(dfd, read1);
	igt_assert(dmabuf_busy(dmabuf, POLLOUT));
	igt_assert_eq(__fence_attach_simple(dfd, bo.handle, PHYR_VGEM_FENCE_WRITE), -EBUSY);

	fence_signal(dfd, read2);
	igt_assert(!dmabuf_busy(dmabuf, POLLOUT));

	/* Idle again: a writer is welcome. */
	write = fence_attach(dfd, bo.handle, PHYR_VGEM_FENCE_WRITE);
	fence_signal(dfd, write);
	igt_assert(!dmabuf_busy(dmabuf, POLLOUT));

	close(dmabuf);
	gem_close(dfd, bo.handle);
}

/*
 * A fence id is used once per file: signalling a fence must not free its id for
 * the next FENCE_ATTACH, or a late (or repeated) FENCE_SIGNAL of the old id
 * would signal somebody else's fence instead of failing with -ENOENT.
 */
static void test_fence_id_reuse(int dfd)
{
	uint32_t first, second, ids[16];
	struct bo bo;
	int dmabuf, fd2, i, j;

	/* a new file, so that the ids start at 1 */
	fd2 = reopen(dfd);
	small_bo(fd2, &bo);
	dmabuf = dmabuf_export(fd2, bo.handle);

	first = fence_attach(fd2, bo.handle, PHYR_VGEM_FENCE_WRITE);
	igt_assert_eq_u32(first, 1);
	fence_signal(fd2, first);
	second = fence_attach(fd2, bo.handle, PHYR_VGEM_FENCE_WRITE);
	igt_assert_f(second != first, "fence id %u handed out again after it was signalled\n",
		     first);

	/* The old id is spent: signalling it again fails and leaves the new fence pending. */
	igt_assert_eq(__fence_signal(fd2, first, 0), -ENOENT);
	igt_assert(dmabuf_busy(dmabuf, POLLIN));
	fence_signal(fd2, second);
	igt_assert(!dmabuf_busy(dmabuf, POLLIN));
	igt_assert_eq(__fence_signal(fd2, second, 0), -ENOENT);

	/* Over a longer run, reads and writes, every id is new and stays spent. */
	for (i = 0; i < 16; i++) {
		ids[i] = fence_attach(fd2, bo.handle, i & 1 ? 0 : PHYR_VGEM_FENCE_WRITE);
		igt_assert_neq_u32(ids[i], first);
		igt_assert_neq_u32(ids[i], second);
		for (j = 0; j < i; j++)
			igt_assert_f(ids[i] != ids[j], "fence id %u handed out twice\n", ids[i]);
		fence_signal(fd2, ids[i]);
	}
	for (i = 0; i < 16; i++)
		igt_assert_eq(__fence_signal(fd2, ids[i], 0), -ENOENT);
	igt_assert(!dmabuf_busy(dmabuf, POLLOUT));

	close(dmabuf);
	gem_close(fd2, bo.handle);
	close(fd2);
}

static void test_dmabuf_export(int dfd)
{
	uint32_t handle, handle2;
	uint32_t *ptr, *ptr2;
	struct stat st1, st2;
	int dmabuf, again, fd2;
	struct bo bo;

	small_bo(dfd, &bo);
	ptr = dumb_mmap(dfd, &bo);
	pt_fill_words(ptr, bo.size, 0xabc);

	dmabuf = dmabuf_export(dfd, bo.handle);
	igt_assert_eq_u64(lseek(dmabuf, 0, SEEK_END), bo.size);

	/* One object, one dma-buf. */
	again = dmabuf_export(dfd, bo.handle);
	igt_assert_eq(fstat(dmabuf, &st1), 0);
	igt_assert_eq(fstat(again, &st2), 0);
	igt_assert_eq_u64(st1.st_ino, st2.st_ino);
	close(again);

	/* Importing into the exporter gives back the same handle. */
	handle = prime_fd_to_handle(dfd, dmabuf);
	igt_assert_eq_u32(handle, bo.handle);

	/* Another client sees the same pages, both ways. */
	fd2 = reopen(dfd);
	handle2 = prime_fd_to_handle(fd2, dmabuf);
	igt_assert_eq_u32(prime_fd_to_handle(fd2, dmabuf), handle2);
	ptr2 = dumb_mmap(fd2, &(struct bo){ .handle = handle2, .size = bo.size });
	check(ptr2, bo.size, 0xabc);
	pt_fill_words(ptr2, bo.size, 0xdef);
	check(ptr, bo.size, 0xdef);

	/* The import outlives the dma-buf fd and the exporter's handle. */
	close(dmabuf);
	igt_assert_eq(munmap(ptr, bo.size), 0);
	gem_close(dfd, bo.handle);
	check(ptr2, bo.size, 0xdef);
	igt_assert_eq(munmap(ptr2, bo.size), 0);
	ptr2 = dumb_mmap(fd2, &(struct bo){ .handle = handle2, .size = bo.size });
	check(ptr2, bo.size, 0xdef);
	igt_assert_eq(munmap(ptr2, bo.size), 0);

	gem_close(fd2, handle2);
	close(fd2);
}

static void test_dmabuf_bad(int dfd)
{
	uint32_t handle;
	struct bo bo;
	int out = -1;

	small_bo(dfd, &bo);

	igt_assert_eq(__dmabuf_export(dfd, 0xdeadbeef, DRM_CLOEXEC, &out), -ENOENT);
	igt_assert_eq(__dmabuf_export(dfd, 0, DRM_CLOEXEC, &out), -ENOENT);
	igt_assert_eq(__dmabuf_export(dfd, bo.handle, 0x1, &out), -EINVAL);
	igt_assert_eq(__dmabuf_export(dfd, bo.handle, ~0u, &out), -EINVAL);
	igt_assert_eq(out, -1);

	/* Only dma-buf fds can be imported. */
	igt_assert_eq(__dmabuf_import(dfd, -1, &handle), -EBADF);
	igt_assert_eq(__dmabuf_import(dfd, dfd, &handle), -EINVAL);

	gem_close(dfd, bo.handle);
}

static void test_dmabuf_mmap(int dfd)
{
	uint32_t *gem, *buf;
	struct bo bo;
	int dmabuf, ro = -1;

	small_bo(dfd, &bo);
	dmabuf = dmabuf_export(dfd, bo.handle);
	gem = dumb_mmap(dfd, &bo);

	buf = mmap(NULL, bo.size, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf, 0);
	igt_assert_f(buf != MAP_FAILED, "mmap of dma-buf: %s\n", strerror(errno));

	/* dma-buf -> GEM */
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	pt_fill_words(buf, bo.size, 0x600d);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	check(gem, bo.size, 0x600d);

	/* GEM -> dma-buf */
	pt_fill_words(gem, bo.size, 0xf00d);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	check(buf, bo.size, 0xf00d);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	igt_assert_eq(munmap(buf, bo.size), 0);

	/* Bad sync flags; maps past the end. */
	{
		struct dma_buf_sync sync = { .flags = DMA_BUF_SYNC_START };

		do_ioctl_err(dmabuf, DMA_BUF_IOCTL_SYNC, &sync, EINVAL);
		sync.flags = DMA_BUF_SYNC_RW | 0x8;
		do_ioctl_err(dmabuf, DMA_BUF_IOCTL_SYNC, &sync, EINVAL);
	}
	igt_assert_eq(__try_mmap(dmabuf, 2 * bo.size, PROT_READ, 0), -EINVAL);
	igt_assert_eq(__try_mmap(dmabuf, bo.size, PROT_READ, page_size), -EINVAL);

	igt_assert_eq(munmap(gem, bo.size), 0);
	close(dmabuf);
	gem_close(dfd, bo.handle);

	/*
	 * An object's dma-buf is made once, by its first export: export a
	 * fresh object without DRM_RDWR to get a read-only dma-buf.
	 */
	small_bo(dfd, &bo);
	igt_assert_eq(__dmabuf_export(dfd, bo.handle, DRM_CLOEXEC, &ro), 0);
	igt_assert_eq(__try_mmap(ro, bo.size, PROT_READ | PROT_WRITE, 0), -EACCES);
	igt_assert_eq(__try_mmap(ro, bo.size, PROT_READ, 0), 0);
	close(ro);
	gem_close(dfd, bo.handle);
}

static void test_dmabuf_fence(int dfd)
{
	uint32_t fence;
	struct bo bo;
	int dmabuf;

	small_bo(dfd, &bo);
	dmabuf = dmabuf_export(dfd, bo.handle);
	igt_assert(!dmabuf_busy(dmabuf, POLLIN));
	igt_assert(!dmabuf_busy(dmabuf, POLLOUT));

	/* A read fence blocks writers (POLLOUT) only. */
	fence = fence_attach(dfd, bo.handle, 0);
	igt_assert(!dmabuf_busy(dmabuf, POLLIN));
	igt_assert(dmabuf_busy(dmabuf, POLLOUT));
	fence_signal(dfd, fence);
	igt_assert(!dmabuf_busy(dmabuf, POLLIN));
	igt_assert(!dmabuf_busy(dmabuf, POLLOUT));

	/* A write fence blocks everyone. */
	fence = fence_attach(dfd, bo.handle, PHYR_VGEM_FENCE_WRITE);
	igt_assert(dmabuf_busy(dmabuf, POLLIN));
	igt_assert(dmabuf_busy(dmabuf, POLLOUT));
	fence_signal(dfd, fence);
	igt_assert(!dmabuf_busy(dmabuf, POLLIN));
	igt_assert(!dmabuf_busy(dmabuf, POLLOUT));

	close(dmabuf);
	gem_close(dfd, bo.handle);
}

static void test_dmabuf_fence_before(int dfd)
{
	uint32_t fence, handle2;
	struct bo bo;
	int dmabuf, fd2;

	/* Fences attached before the export show up on the dma-buf. */
	small_bo(dfd, &bo);
	fence = fence_attach(dfd, bo.handle, 0);
	dmabuf = dmabuf_export(dfd, bo.handle);
	igt_assert(!dmabuf_busy(dmabuf, POLLIN));
	igt_assert(dmabuf_busy(dmabuf, POLLOUT));
	fence_signal(dfd, fence);
	igt_assert(!dmabuf_busy(dmabuf, POLLOUT));
	close(dmabuf);
	gem_close(dfd, bo.handle);

	small_bo(dfd, &bo);
	fence = fence_attach(dfd, bo.handle, PHYR_VGEM_FENCE_WRITE);
	dmabuf = dmabuf_export(dfd, bo.handle);
	igt_assert(dmabuf_busy(dmabuf, POLLIN));
	igt_assert(dmabuf_busy(dmabuf, POLLOUT));

	/* An importer shares the reservation object, and so the conflict. */
	fd2 = reopen(dfd);
	handle2 = prime_fd_to_handle(fd2, dmabuf);
	igt_assert_eq(__fence_attach_simple(fd2, handle2, 0), -EBUSY);

	fence_signal(dfd, fence);
	igt_assert(!dmabuf_busy(dmabuf, POLLIN));
	igt_assert(!dmabuf_busy(dmabuf, POLLOUT));
	fence = fence_attach(fd2, handle2, PHYR_VGEM_FENCE_WRITE);
	igt_assert(dmabuf_busy(dmabuf, POLLIN));
	igt_assert_eq(__fence_attach_simple(dfd, bo.handle, 0), -EBUSY);
	fence_signal(fd2, fence);
	igt_assert(!dmabuf_busy(dmabuf, POLLOUT));

	close(fd2);
	close(dmabuf);
	gem_close(dfd, bo.handle);
}

struct signaler {
	int fd;
	uint32_t fence;
	unsigned int delay_ms;
	int ret;
};

static void *signal_later(void *data)
{
	struct signaler *s = data;

	usleep(s->delay_ms * 1000);
	s->ret = __fence_signal(s->fd, s->fence, 0);

	return NULL;
}

static void test_dmabuf_fence_wait(int dfd)
{
	struct signaler s = { .fd = dfd, .delay_ms = 100, .ret = 1 };
	short events[] = { POLLIN, POLLOUT };
	struct bo bo;
	int dmabuf;

	small_bo(dfd, &bo);
	dmabuf = dmabuf_export(dfd, bo.handle);

	/* A blocking poll() wakes up when, and only when, the fence signals. */
	for (unsigned int i = 0; i < 2; i++) {
		struct pollfd pfd = { .fd = dmabuf, .events = events[i] };
		pthread_t thread;
		int64_t start, elapsed;
		int ret;

		s.fence = fence_attach(dfd, bo.handle, PHYR_VGEM_FENCE_WRITE);
		s.ret = 1;
		start = now_ns();
		igt_assert_eq(pthread_create(&thread, NULL, signal_later, &s), 0);
		ret = poll(&pfd, 1, 5000);
		elapsed = (now_ns() - start) / 1000000;
		igt_assert_eq(pthread_join(thread, NULL), 0);

		igt_debug("poll(%#x) returned %d after %" PRId64 " ms\n", events[i], ret,
			  elapsed);
		igt_assert_eq(s.ret, 0);
		igt_assert_eq(ret, 1);
		igt_assert_eq(pfd.revents, events[i]);
		/* The signal comes at least delay_ms after start (in ns, so no rounding). */
		igt_assert_f(elapsed >= s.delay_ms, "poll returned after %" PRId64
			     " ms, before the fence was signalled\n", elapsed);
	}

	close(dmabuf);
	gem_close(dfd, bo.handle);
}

static void test_dmabuf_sync_file(int dfd)
{
	int dmabuf, rd = -1, wr = -1, out = -1;
	uint32_t fence;
	struct bo bo;
	int ret;

	small_bo(dfd, &bo);
	dmabuf = dmabuf_export(dfd, bo.handle);

	ret = __export_sync_file(dmabuf, DMA_BUF_SYNC_READ, &rd);
	igt_require_f(ret != -ENOTTY, "no DMA_BUF_IOCTL_EXPORT_SYNC_FILE (CONFIG_SYNC_FILE)\n");
	igt_assert_eq(ret, 0);
	igt_assert(!sync_file_busy(rd));
	close(rd);

	igt_assert_eq(__export_sync_file(dmabuf, 0, &out), -EINVAL);
	igt_assert_eq(__export_sync_file(dmabuf, DMA_BUF_SYNC_RW | 0x4, &out), -EINVAL);
	igt_assert_eq(out, -1);

	/* A read fence: readers need not wait, writers must. */
	fence = fence_attach(dfd, bo.handle, 0);
	igt_assert_eq(__export_sync_file(dmabuf, DMA_BUF_SYNC_READ, &rd), 0);
	igt_assert_eq(__export_sync_file(dmabuf, DMA_BUF_SYNC_WRITE, &wr), 0);
	igt_assert(!sync_file_busy(rd));
	igt_assert(sync_file_busy(wr));
	fence_signal(dfd, fence);
	igt_assert(!sync_file_busy(wr));
	close(rd);
	close(wr);

	/* A write fence: everyone waits; the sync file keeps its fence. */
	fence = fence_attach(dfd, bo.handle, PHYR_VGEM_FENCE_WRITE);
	igt_assert_eq(__export_sync_file(dmabuf, DMA_BUF_SYNC_READ, &rd), 0);
	igt_assert_eq(__export_sync_file(dmabuf, DMA_BUF_SYNC_RW, &wr), 0);
	igt_assert(sync_file_busy(rd));
	igt_assert(sync_file_busy(wr));
	fence_signal(dfd, fence);
	igt_assert(!sync_file_busy(rd));
	igt_assert(!sync_file_busy(wr));
	close(rd);
	close(wr);

	close(dmabuf);
	gem_close(dfd, bo.handle);
}

static void test_second_client(int dfd)
{
	uint32_t fence;
	uint64_t offset;
	struct bo bo, bo2;
	uint32_t *ptr;
	int dmabuf, fd2;

	small_bo(dfd, &bo);
	dmabuf = dmabuf_export(dfd, bo.handle);
	fd2 = reopen(dfd);

	/* Handles are per client... */
	igt_assert_eq(__dumb_offset(fd2, bo.handle, &offset), -ENOENT);
	igt_assert_eq(__fence_attach_simple(fd2, bo.handle, 0), -ENOENT);
	igt_assert_eq(__gem_close(fd2, bo.handle), -EINVAL);

	/* ...and so are fence ids. */
	fence = fence_attach(dfd, bo.handle, PHYR_VGEM_FENCE_WRITE);
	igt_assert_eq(__fence_signal(fd2, fence, 0), -ENOENT);
	igt_assert(dmabuf_busy(dmabuf, POLLIN));
	fence_signal(dfd, fence);
	igt_assert(!dmabuf_busy(dmabuf, POLLIN));

	/* A client's objects go away with it; the other client's stay. */
	small_bo(fd2, &bo2);
	ptr = dumb_mmap(fd2, &bo2);
	pt_fill_words(ptr, bo2.size, 0x2222);
	igt_assert_eq(munmap(ptr, bo2.size), 0);
	close(fd2);

	ptr = dumb_mmap(dfd, &bo);
	pt_fill_words(ptr, bo.size, 0x1111);
	check(ptr, bo.size, 0x1111);
	igt_assert_eq(munmap(ptr, bo.size), 0);

	close(dmabuf);
	gem_close(dfd, bo.handle);
}

static void test_fence_close(int dfd)
{
	uint32_t fence, handle2;
	struct bo bo;
	int dmabuf, fd2;

	small_bo(dfd, &bo);
	dmabuf = dmabuf_export(dfd, bo.handle);

	/* Closing a client signals its pending fences. */
	fd2 = reopen(dfd);
	handle2 = prime_fd_to_handle(fd2, dmabuf);
	fence_attach(fd2, handle2, PHYR_VGEM_FENCE_WRITE);
	igt_assert(dmabuf_busy(dmabuf, POLLIN));
	close(fd2);
	igt_assert(!dmabuf_busy(dmabuf, POLLIN));
	igt_assert(!dmabuf_busy(dmabuf, POLLOUT));

	/* Closing the object's handle does not; the id stays valid. */
	fence = fence_attach(dfd, bo.handle, PHYR_VGEM_FENCE_WRITE);
	gem_close(dfd, bo.handle);
	igt_assert(dmabuf_busy(dmabuf, POLLIN));
	fence_signal(dfd, fence);
	igt_assert(!dmabuf_busy(dmabuf, POLLIN));

	close(dmabuf);
}

static void test_render_node(int dfd)
{
	uint32_t handle, fence;
	char card[PATH_MAX], rend[PATH_MAX], path[64];
	struct drm_mode_create_dumb create = { .width = 64, .height = 64, .bpp = 32 };
	struct drm_mode_map_dumb map = { 0 };
	uint32_t *ptr, *buf;
	int rfd, dmabuf, rdmabuf;
	struct stat st1, st2;
	struct bo bo;

	rfd = __open_phyr_vgem("renderD");
	igt_require_f(rfd >= 0, "no phyr_vgem render node\n");
	igt_assert(is_phyr_vgem(rfd));

	/* The render node is the same device as the primary node. */
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/device",
		 major(node_rdev(dfd)), minor(node_rdev(dfd)));
	igt_assert(realpath(path, card));
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/device",
		 major(node_rdev(rfd)), minor(node_rdev(rfd)));
	igt_assert(realpath(path, rend));
	igt_assert_streq(rend, card);

	/* Dumb buffers are a primary-node (KMS) interface. */
	do_ioctl_err(rfd, DRM_IOCTL_MODE_CREATE_DUMB, &create, EACCES);
	do_ioctl_err(rfd, DRM_IOCTL_MODE_MAP_DUMB, &map, EACCES);

	/* Import from the primary node, fence, export again and map. */
	small_bo(dfd, &bo);
	ptr = dumb_mmap(dfd, &bo);
	pt_fill_words(ptr, bo.size, 0x4e4d);
	dmabuf = dmabuf_export(dfd, bo.handle);
	handle = prime_fd_to_handle(rfd, dmabuf);

	fence = fence_attach(rfd, handle, PHYR_VGEM_FENCE_WRITE);
	igt_assert(dmabuf_busy(dmabuf, POLLIN));
	igt_assert_eq(__fence_signal(dfd, fence, 0), -ENOENT);
	fence_signal(rfd, fence);
	igt_assert(!dmabuf_busy(dmabuf, POLLIN));

	rdmabuf = dmabuf_export(rfd, handle);
	igt_assert_eq(fstat(dmabuf, &st1), 0);
	igt_assert_eq(fstat(rdmabuf, &st2), 0);
	igt_assert_eq_u64(st1.st_ino, st2.st_ino);
	buf = mmap(NULL, bo.size, PROT_READ, MAP_SHARED, rdmabuf, 0);
	igt_assert_f(buf != MAP_FAILED, "mmap of dma-buf: %s\n", strerror(errno));
	dmabuf_sync(rdmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	check(buf, bo.size, 0x4e4d);
	dmabuf_sync(rdmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	igt_assert_eq(munmap(buf, bo.size), 0);

	/* Objects made by the render client can be fenced there too. */
	igt_assert_eq(__gem_close(rfd, handle), 0);
	igt_assert_eq(__gem_close(rfd, handle), -EINVAL);
	igt_assert_eq(__fence_attach_simple(rfd, handle, 0), -ENOENT);

	close(rdmabuf);
	close(dmabuf);
	igt_assert_eq(munmap(ptr, bo.size), 0);
	gem_close(dfd, bo.handle);
	close(rfd);
}

static void test_flink(int dfd)
{
	struct drm_gem_flink flink = { 0 };
	struct drm_gem_open open_arg = { 0 };
	char path[64], *text;
	uint32_t *ptr;
	struct bo bo;
	int fd2;

	small_bo(dfd, &bo);
	flink.handle = bo.handle;
	if (igt_ioctl(dfd, DRM_IOCTL_GEM_FLINK, &flink)) {
		int err = errno;

		gem_close(dfd, bo.handle);
		igt_require_f(err != EACCES, "not DRM master (another client holds the device)\n");
		igt_assert_f(0, "GEM_FLINK: %s\n", strerror(err));
	}
	igt_assert_neq_u32(flink.name, 0);

	/* A second client opens the object by name (authenticating if not root). */
	fd2 = reopen(dfd);
	open_arg.name = flink.name;
	if (igt_ioctl(fd2, DRM_IOCTL_GEM_OPEN, &open_arg)) {
		struct drm_auth auth = { 0 };

		igt_assert_eq(errno, EACCES);
		do_ioctl(fd2, DRM_IOCTL_GET_MAGIC, &auth);
		do_ioctl(dfd, DRM_IOCTL_AUTH_MAGIC, &auth);
		do_ioctl(fd2, DRM_IOCTL_GEM_OPEN, &open_arg);
	}
	igt_assert_neq_u32(open_arg.handle, 0);
	igt_assert_eq_u64(open_arg.size, bo.size);

	ptr = dumb_mmap(dfd, &bo);
	pt_fill_words(ptr, bo.size, 0xf11c);
	igt_assert_eq(munmap(ptr, bo.size), 0);
	ptr = dumb_mmap(fd2, &(struct bo){ .handle = open_arg.handle, .size = bo.size });
	check(ptr, bo.size, 0xf11c);
	igt_assert_eq(munmap(ptr, bo.size), 0);

	/* debugfs lists the name while the object lives. */
	if (debugfs_ready()) {
		char needle[32];

		text = malloc(16384);
		igt_assert(text);
		snprintf(path, sizeof(path), DEBUGFS_ROOT "/dri/%u/gem_names",
			 minor(node_rdev(dfd)));
		igt_assert_lte(0, read_text(path, text, 16384));
		snprintf(needle, sizeof(needle), "%6u %8" PRIu64 " ", flink.name, bo.size);
		igt_assert_f(strstr(text, needle), "\"%s\" not in gem_names:\n%s", needle, text);
		free(text);
	}

	/* Unknown names are refused. */
	open_arg = (struct drm_gem_open){ .name = 0xdeadbeef };
	do_ioctl_err(fd2, DRM_IOCTL_GEM_OPEN, &open_arg, ENOENT);

	close(fd2);
	gem_close(dfd, bo.handle);
}

static void test_sysfs(int dfd)
{
	char path[PATH_MAX], real[PATH_MAX], text[64], want[32], *base;
	dev_t rdev = node_rdev(dfd);
	struct dirent *de;
	int renders = 0;
	DIR *dir;

	igt_assert_eq(major(rdev), DRM_MAJOR);

	/* /sys/dev/char/226:N is our cardN, under the faux device. */
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u", major(rdev), minor(rdev));
	igt_assert_f(realpath(path, real), "%s: %s\n", path, strerror(errno));
	igt_info("%s -> %s\n", path, real);
	base = strrchr(real, '/') + 1;
	igt_assert_f(!strncmp(real, FAUX_DEVICE "/drm/card", strlen(FAUX_DEVICE "/drm/card")),
		     "%s is not under " FAUX_DEVICE "/drm\n", real);

	strcat(path, "/dev");
	igt_assert_lte(0, read_text(path, text, sizeof(text)));
	snprintf(want, sizeof(want), "%u:%u\n", major(rdev), minor(rdev));
	igt_assert_streq(text, want);

	/* /sys/class/drm/cardN/device is the faux device phyr_vgem... */
	snprintf(path, sizeof(path), "/sys/class/drm/%s/device", base);
	igt_assert_f(realpath(path, real), "%s: %s\n", path, strerror(errno));
	igt_assert_streq(real, FAUX_DEVICE);

	/* ...on the faux bus, bound to faux_driver. */
	igt_assert(realpath(FAUX_DEVICE "/subsystem", real));
	igt_assert_streq(strrchr(real, '/') + 1, "faux");
	igt_assert(realpath(FAUX_DEVICE "/driver", real));
	igt_assert_streq(strrchr(real, '/') + 1, "faux_driver");

	/* It has one primary and one render node. */
	dir = opendir(FAUX_DEVICE "/drm");
	igt_assert(dir);
	while ((de = readdir(dir)))
		renders += !strncmp(de->d_name, "renderD", 7);
	closedir(dir);
	igt_assert_eq(renders, 1);
}

static void test_dmabuf_flavours(int dfd)
{
	char path[PATH_MAX], *text, *line;
	int dmabuf;
	struct bo bo;

	text = malloc(65536);
	igt_assert(text);
	small_bo(dfd, &bo);
	dmabuf = dmabuf_export(dfd, bo.handle);

	/* fdinfo names the exporter and its offers, most preferred first */
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", dmabuf);
	igt_assert_lte(0, read_text(path, text, 65536));
	igt_debug("fdinfo:\n%s", text);
	igt_assert_f(strstr(text, "exp_name:\t" DRIVER_NAME "\n"), "%s", text);
	line = strstr(text, "flavours:\t");
	igt_assert_f(line, "no flavours in fdinfo:\n%s", text);
	igt_assert_f(!strncmp(line, "flavours:\tphyr+cpu sg_table+cpu cpu_access(bridge)\n",
			      51),
		     "unexpected: %s", line);

	/* debugfs bufinfo lists the buffer, with its exporter */
	if (debugfs_ready()) {
		igt_assert_lte(0, read_text(DEBUGFS_ROOT "/dma_buf/bufinfo", text, 65536));
		igt_assert_f(strstr(text, "\t" DRIVER_NAME "\t"), "%s", text);
	}

	close(dmabuf);
	igt_assert_eq(__gem_close(dfd, bo.handle), 0);
	free(text);
}

static void test_debugfs(int dfd)
{
	char path[PATH_MAX], real[PATH_MAX], name[64], name2[64], *text;
	unsigned int minor = minor(node_rdev(dfd));
	int pid, client_minor, fd2;

	igt_require_f(debugfs_ready(), "debugfs not available\n");
	text = malloc(65536);
	igt_assert(text);

	/* dri/<minor> links to the device's directory, named after it. */
	snprintf(path, sizeof(path), DEBUGFS_ROOT "/dri/%u", minor);
	igt_assert_f(realpath(path, real), "%s: %s\n", path, strerror(errno));
	igt_assert_streq(strrchr(real, '/') + 1, DRIVER_NAME);

	/* "name": "<driver> dev=<device> [master=...] unique=<unique>" */
	snprintf(path, sizeof(path), DEBUGFS_ROOT "/dri/%u/name", minor);
	igt_assert_lte(0, read_text(path, text, 65536));
	igt_info("name: %s", text);
	igt_assert(!strncmp(text, DRIVER_NAME " ", strlen(DRIVER_NAME " ")));
	igt_assert(strstr(text, " dev=" DRIVER_NAME));
	igt_assert(strstr(text, " unique=" DRIVER_NAME "\n"));

	snprintf(path, sizeof(path), DEBUGFS_ROOT "/dri/%u/gem_names", minor);
	igt_assert_lte(0, read_text(path, text, 65536));
	igt_assert(!strncmp(text, "  name     size handles refcount\n", 33));

	/* "clients" lists each open file, with its process and name. */
	snprintf(name, sizeof(name), "igt-phyr-vgem-%d", getpid());
	snprintf(name2, sizeof(name2), "igt-phyr-vgem-%d-2", getpid());
	set_client_name(dfd, name);
	fd2 = reopen(dfd);
	set_client_name(fd2, name2);

	snprintf(path, sizeof(path), DEBUGFS_ROOT "/dri/%u/clients", minor);
	igt_assert_lte(0, read_text(path, text, 65536));
	igt_debug("clients:\n%s", text);
	igt_assert_f(find_client(text, name, &pid, &client_minor),
		     "%s not in clients:\n%s", name, text);
	igt_assert_eq(pid, getpid());
	igt_assert_eq(client_minor, (int)minor);
	igt_assert_f(find_client(text, name2, &pid, &client_minor),
		     "%s not in clients:\n%s", name2, text);
	igt_assert_eq(pid, getpid());

	/* A closed file leaves the list. */
	close(fd2);
	igt_assert_lte(0, read_text(path, text, 65536));
	igt_assert(find_client(text, name, &pid, &client_minor));
	igt_assert_f(!find_client(text, name2, &pid, &client_minor),
		     "%s still in clients after close:\n%s", name2, text);

	free(text);
}

static void test_fence_timeout(int dfd)
{
	struct pollfd pfd = { .events = POLLIN };
	int64_t start, elapsed;
	uint32_t fence;
	struct bo bo;

	igt_require_f(getenv("PHYR_VGEM_SLOW_TESTS"),
		      "takes 10 s; set PHYR_VGEM_SLOW_TESTS=1 to run it\n");

	small_bo(dfd, &bo);
	pfd.fd = dmabuf_export(dfd, bo.handle);
	fence = fence_attach(dfd, bo.handle, PHYR_VGEM_FENCE_WRITE);

	/* An unsignalled fence expires by itself after 10 s... */
	start = now_ns();
	igt_assert_eq(poll(&pfd, 1, 30000), 1);
	elapsed = (now_ns() - start) / 1000000;
	igt_info("fence expired after %" PRId64 " ms\n", elapsed);
	igt_assert_lte(9000, (int)elapsed);

	/* ...and then reports -ETIMEDOUT once, and is gone. */
	igt_assert_eq(__fence_signal(dfd, fence, 0), -ETIMEDOUT);
	igt_assert_eq(__fence_signal(dfd, fence, 0), -ENOENT);

	close(pfd.fd);
	gem_close(dfd, bo.handle);
}

igt_main
{
	igt_fixture {
		page_size = sysconf(_SC_PAGESIZE);
		/* Let libigt's own device helpers pick our driver too. */
		__set_forced_driver(DRIVER_NAME);
		fd = __open_phyr_vgem("card");
		igt_require_f(fd >= 0, "no " DRIVER_NAME " device in /dev/dri\n");
	}

	igt_describe("DRM_IOCTL_VERSION reports phyr_vgem 1.0.");
	igt_subtest("version")
		test_version(fd);

	igt_describe("GET_CAP: PRIME import/export, no syncobj, no KMS caps.");
	igt_subtest("caps")
		test_caps(fd);

	igt_describe("Dumb create of several sizes gives unique handles with sane pitch/size.");
	igt_subtest("create")
		test_create(fd);

	igt_describe("Dumb create rejects zero bpp and sizes that overflow.");
	igt_subtest("bad-create")
		test_bad_create(fd);

	igt_describe("MAP_DUMB, GEM_CLOSE and DESTROY_DUMB reject unknown handles.");
	igt_subtest("bad-gem-handle")
		test_bad_gem_handle(fd);

	igt_describe("Write through a GEM mmap, unmap, remap and read back.");
	igt_subtest("mmap")
		test_mmap(fd);

	igt_describe("GEM mmap refuses bad offsets, oversized maps and clients without a handle.");
	igt_subtest("bad-mmap")
		test_bad_mmap(fd);

	igt_describe("FENCE_ATTACH rejects unknown flags.");
	igt_subtest("bad-flag")
		test_bad_flag(fd);

	igt_describe("FENCE_ATTACH rejects nonzero padding.");
	igt_subtest("bad-pad")
		test_bad_pad(fd);

	igt_describe("FENCE_ATTACH rejects unknown GEM handles.");
	igt_subtest("bad-handle")
		test_bad_handle(fd);

	igt_describe("FENCE_SIGNAL rejects unknown ids and flags, and consumes the id.");
	igt_subtest("bad-fence")
		test_bad_fence(fd);

	igt_describe("Conflicting fences are refused with EBUSY until signalled.");
	igt_subtest("busy-fence")
		test_busy_fence(fd);

	igt_describe("A signalled fence's id is never handed out again by the same client.");
	igt_subtest("fence-id-reuse")
		test_fence_id_reuse(fd);

	igt_describe("PRIME export/import within a client and across clients.");
	igt_subtest("dmabuf-export")
		test_dmabuf_export(fd);

	igt_describe("PRIME export/import reject bad handles, flags and fds.");
	igt_subtest("dmabuf-bad")
		test_dmabuf_bad(fd);

	igt_describe("mmap of the dma-buf shares pages with the GEM mmap.");
	igt_subtest("dmabuf-mmap")
		test_dmabuf_mmap(fd);

	igt_describe("Fences on the object show in poll() on its dma-buf.");
	igt_subtest("dmabuf-fence")
		test_dmabuf_fence(fd);

	igt_describe("Fences attached before export show in poll() on the dma-buf.");
	igt_subtest("dmabuf-fence-before")
		test_dmabuf_fence_before(fd);

	igt_describe("A blocking poll() on the dma-buf returns once the fence is signalled.");
	igt_subtest("dmabuf-fence-wait")
		test_dmabuf_fence_wait(fd);

	igt_describe("DMA_BUF_IOCTL_EXPORT_SYNC_FILE follows the object's fences.");
	igt_subtest("dmabuf-sync-file")
		test_dmabuf_sync_file(fd);

	igt_describe("A dma-buf's fdinfo lists the flavours phyr_vgem offers.");
	igt_subtest("dmabuf-flavours")
		test_dmabuf_flavours(fd);

	igt_describe("GEM handles and fence ids are private to each client.");
	igt_subtest("second-client")
		test_second_client(fd);

	igt_describe("Closing a client signals its fences; closing a handle does not.");
	igt_subtest("fence-close")
		test_fence_close(fd);

	igt_describe("The render node imports, fences and exports, but has no dumb ioctls.");
	igt_subtest("render-node")
		test_render_node(fd);

	igt_describe("GEM flink names can be opened by an authenticated client.");
	igt_subtest("flink")
		test_flink(fd);

	igt_describe("The DRM card's sysfs device is the faux device phyr_vgem.");
	igt_subtest("sysfs")
		test_sysfs(fd);

	igt_describe("debugfs dri/<minor> shows the driver's name and our clients.");
	igt_subtest("debugfs")
		test_debugfs(fd);

	igt_describe("An unsignalled fence expires after 10 s (opt-in: PHYR_VGEM_SLOW_TESTS=1).");
	igt_subtest("fence-timeout")
		test_fence_timeout(fd);

	igt_fixture
		close(fd);
}
