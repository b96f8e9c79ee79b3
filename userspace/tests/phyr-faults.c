// SPDX-License-Identifier: MIT
/*
 * phyr-faults - fault-injection sweeps of phyr_vgem's uAPI paths.
 *
 *   phyr-faults [--leaks] [--verbose] [--only NAME[,NAME...]] RESULTS_DIR
 *   phyr-faults --list
 *
 * For each path (an ioctl, or the first touch of a mapping), in the manner of
 * tools/testing/selftests/iommu/iommufd_fail_nth.c: set up, write N to
 * /proc/self/task/<tid>/fail-nth so that the Nth fault-injection point the
 * task passes fails (failslab and fail_page_alloc, with ignore-gfp-wait=N and
 * min-order=0: every slab and page allocation, order 0 included), run the
 * path, disarm, and check:
 *
 *  - the path succeeded, or failed with an errno it may fail with (ENOMEM,
 *    or what the uAPI documents for it, e.g. ENOSPC for device memory, and
 *    ENOSPC from shmem for a shmem-backed create: see the list of paths);
 *  - the state is consistent: after a failure the object is unchanged or
 *    absent (placement, contents through live mappings, no fence left, no
 *    attachment), after a success it is usable, and a retry without
 *    injection succeeds;
 *  - after cleanup nothing is left over: the lowest free fd, the number of
 *    dma-bufs and of attachments (debugfs dma_buf/bufinfo), the buffers each
 *    device lists (debugfs dri/N/buffers) and each device's free device
 *    memory are what they were before the sweep;
 *  - no kernel report (WARNING, BUG, KASAN, lockdep, ...) appeared in
 *    /dev/kmsg during the iteration.
 *
 * N goes 1, 2, ... until the path completes without reaching its Nth point;
 * N - 1 is the number of injection points swept.  Kernel-memory leaks show in
 * the run's kmemleak scan; --leaks also scans after every path (~25 s each
 * under TCG) to name the path that leaked.  --verbose copies the stack of each
 * injected failure (unless its allocation is __GFP_NOWARN) from the kernel
 * log under its path and N.
 *
 * A CPU-mapping fault: SIGBUS is documented only for an access beyond the
 * object or after unplug (docs/phyr_vgem.md).  An allocation failure while a
 * page is faulted in must not kill the process: the handler is expected to
 * return VM_FAULT_OOM (the kernel retries the access), so a SIGBUS at the
 * first touch of a page inside the object fails the path.
 *
 * Writes results-faults.txt into RESULTS_DIR ("PASS NAME count=N injection
 * points", "FAIL NAME why", "SKIP NAME why"; docs/pipeline.md: the test run
 * wants at least the minimum scripts/expected/faults.txt states for the path,
 * and a path that reaches no injection point fails here) and a line per path
 * with its number of injection points and time on stdout.  Three paths
 * allocate nothing (BO_QUERY, FENCE_SIGNAL, MAP_DUMB of a dumb buffer): for
 * them the check is the opposite, they must reach no injection point
 * ("PASS NAME allocates nothing").  Needs root, debugfs and a kernel with
 * FAULT_INJECTION_DEBUG_FS, FAILSLAB and FAIL_PAGE_ALLOC; with
 * PHYR_REQUIRE_DEVICE=1 (the test guest) a missing device or facility fails
 * the paths instead of skipping them.
 *
 * Copyright 2026 The phyr developers
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
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
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "drm.h"
#include "drm_mode.h"
#include "phyr_vgem_drm.h"

#include <phyrbuf.h>
#include "phyr-test.h"

#define DEBUGFS		"/sys/kernel/debug"
#define MAX_NTH		5000	/* more injection points than this: something is wrong */
#define BO_SIZE		(64 << 10)
#define MAX_NOTES	4	/* findings kept per path for its FAIL line */

/* ---- output ---- */

static bool require;	/* PHYR_REQUIRE_DEVICE: fail rather than skip */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *errname(int err)
{
	static char buf[32];

	switch (err) {
	case 0: return "success";
	case -ENOMEM: return "ENOMEM";
	case -ENOSPC: return "ENOSPC";
	case -EINVAL: return "EINVAL";
	case -ENOENT: return "ENOENT";
	case -EBUSY: return "EBUSY";
	case -EFAULT: return "EFAULT";
	case -ENODEV: return "ENODEV";
	case -EOPNOTSUPP: return "EOPNOTSUPP";
	case -EMFILE: return "EMFILE";
	case -ENFILE: return "ENFILE";
	case -EINTR: return "EINTR";
	case -EAGAIN: return "EAGAIN";
	case -ETIMEDOUT: return "ETIMEDOUT";
	case -EREMOTEIO: return "EREMOTEIO";
	}
	snprintf(buf, sizeof(buf), "errno %d", -err);
	return buf;
}

/* ---- small file helpers ---- */

static int write_file(const char *path, const char *val)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

/* the file's contents in a malloc'd, NUL-terminated buffer, or NULL */
static char *read_file(const char *path)
{
	size_t len = 0, cap = 16384;
	char *buf = malloc(cap);
	ssize_t n;
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* ---- fault injection ---- */

struct knob {
	const char *path;
	const char *value;
	char saved[32];
	bool set;
};

/* quiet unless --verbose: then every injected failure logs its stack */
static struct knob knobs[] = {
	{ .path = DEBUGFS "/failslab/ignore-gfp-wait", .value = "N" },
	{ .path = DEBUGFS "/failslab/verbose", .value = "0" },
	{ .path = DEBUGFS "/fail_page_alloc/ignore-gfp-wait", .value = "N" },
	{ .path = DEBUGFS "/fail_page_alloc/ignore-gfp-highmem", .value = "N" },
	{ .path = DEBUGFS "/fail_page_alloc/min-order", .value = "0" },
	{ .path = DEBUGFS "/fail_page_alloc/verbose", .value = "0" },
};
static bool verbose;

static int nth_fd = -1;

static int faults_setup(char *why, size_t len)
{
	char path[64];
	size_t i;

	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		char *old = read_file(knobs[i].path);
		int ret;

		if (!old) {
			snprintf(why, len, "no %s (FAULT_INJECTION_DEBUG_FS, FAILSLAB, "
				 "FAIL_PAGE_ALLOC, debugfs)", knobs[i].path);
			return -ENOENT;
		}
		snprintf(knobs[i].saved, sizeof(knobs[i].saved), "%s", old);
		free(old);
		ret = write_file(knobs[i].path,
				 verbose && strstr(knobs[i].path, "verbose") ? "2" : knobs[i].value);
		if (ret) {
			snprintf(why, len, "writing %s: %s", knobs[i].path, strerror(-ret));
			return ret;
		}
		knobs[i].set = true;
	}
	snprintf(path, sizeof(path), "/proc/self/task/%d/fail-nth", gettid());
	nth_fd = open(path, O_RDWR | O_CLOEXEC);
	if (nth_fd < 0) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

static void faults_restore(void)
{
	size_t i;

	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++)
		if (knobs[i].set)
			write_file(knobs[i].path, knobs[i].saved);
}

/* From now on, the @nth fault-injection point this task passes fails. */
static void arm(unsigned int nth)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", nth);

	if (pwrite(nth_fd, buf, len, 0) != len) {
		perror("fail-nth: arm");
		exit(2);
	}
}

/* Disarm; true if the armed fault was injected (the path reached it). */
static bool disarm(void)
{
	char buf[16] = "";
	ssize_t n;

	n = pread(nth_fd, buf, sizeof(buf) - 1, 0);
	if (pwrite(nth_fd, "0", 1, 0) != 1) {
		perror("fail-nth: disarm");
		exit(2);
	}
	if (n < 2) {
		perror("fail-nth: read");
		exit(2);
	}
	return buf[0] == '0' && buf[1] == '\n';
}

/* ---- kernel reports, from /dev/kmsg ---- */

static int kmsg_fd = -1;
static unsigned int oom_retries;	/* "VM_FAULT_OOM leaked out ... Retrying PF" */

static const char *const report_marks[] = {
	"WARNING:", "BUG:", "Oops", "kernel BUG at", "UBSAN:", "KASAN:",
	"general protection fault", "possible circular locking",
	"possible recursive locking", "inconsistent lock state",
	"DEBUG_LOCKS_WARN_ON", "suspicious RCU usage", "blocked for more than",
	"soft lockup", "DMA-API: ", "kmemleak:", "Kernel panic",
};

static void kmsg_open(void)
{
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
}

/*
 * The first kernel report since the last call, into @out; false if none.
 * Records from the report on are copied to stdout, all of them with --verbose
 * (the stacks of the injected failures, under the path and N they are of).
 */
static bool kmsg_report(char *out, size_t len)
{
	char rec[2048];
	bool found = false;
	ssize_t n;

	if (kmsg_fd < 0)
		return false;
	for (;;) {
		const char *text;
		size_t i;

		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten records: go on */
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		text = strchr(rec, ';');
		text = text ? text + 1 : rec;
		if (strstr(text, "VM_FAULT_OOM leaked out"))
			oom_retries++;
		for (i = 0; i < sizeof(report_marks) / sizeof(report_marks[0]); i++) {
			if (!found && strstr(text, report_marks[i])) {
				snprintf(out, len, "%.*s", (int)strcspn(text, "\n"), text);
				found = true;
			}
		}
		if (found || verbose)
			printf("  kmsg: %.*s\n", (int)strcspn(text, "\n"), text);
	}
	return found;
}

/* ---- devices ---- */

struct dev {
	struct phyrbuf_dev *pd;
	int fd;
	unsigned int minor;
	uint64_t size;		/* device memory, 0 for the faux device */
	const char *name;
};

static struct dev devs[3];	/* faux, ivshmem A, ivshmem B */
static int ndevs;
static struct dev *dsys, *da, *db;
static long page_size;

static int devices_open(char *why, size_t len)
{
	int n = phyrbuf_device_count(), i;

	if (n < 0) {
		snprintf(why, len, "finding phyr_vgem devices: %s", strerror(-n));
		return n;
	}
	for (i = 0; i < n && ndevs < 3; i++) {
		struct phyrbuf_dev_info info;
		struct phyrbuf_dev *pd;
		struct stat st;
		struct dev *d;

		/* the primary node: the dumb-buffer paths (MAP_DUMB) are swept too */
		if (phyrbuf_open(i, PHYRBUF_OPEN_PRIMARY, &pd))
			continue;
		if (phyrbuf_dev_info(pd, &info) ||
		    (info.device_size ? (da && db) : dsys != NULL)) {
			phyrbuf_close(pd);
			continue;
		}
		d = &devs[ndevs++];
		d->pd = pd;
		d->fd = phyrbuf_dev_fd(pd);
		d->size = info.device_size;
		fstat(d->fd, &st);
		d->minor = minor(st.st_rdev);
		if (!d->size) {
			dsys = d;
			d->name = "faux";
		} else if (!da) {
			da = d;
			d->name = "ivshmem-a";
		} else {
			db = d;
			d->name = "ivshmem-b";
		}
	}
	if (!dsys || !da || !db) {
		snprintf(why, len, "needs the faux phyr_vgem device and two with device memory "
			 "(ivshmem); found %d phyr_vgem device(s)", n);
		return -ENODEV;
	}
	return 0;
}

/* ---- ioctls: 0 or a negative errno, never retried ---- */

static int xioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

static int bo_create(struct dev *d, uint64_t size, uint32_t placement, uint32_t flags,
		     uint32_t *handle)
{
	struct drm_phyr_vgem_bo_create arg = {
		.size = size, .placement = placement, .flags = flags,
	};
	int ret = xioctl(d->fd, DRM_IOCTL_PHYR_VGEM_BO_CREATE, &arg);

	if (!ret)
		*handle = arg.handle;
	return ret;
}

static int bo_query(struct dev *d, uint32_t handle, struct drm_phyr_vgem_bo_query *q)
{
	memset(q, 0, sizeof(*q));
	q->handle = handle;
	return xioctl(d->fd, DRM_IOCTL_PHYR_VGEM_BO_QUERY, q);
}

static int bo_migrate(struct dev *d, uint32_t handle, uint32_t placement)
{
	struct drm_phyr_vgem_bo_migrate arg = { .handle = handle, .placement = placement };

	return xioctl(d->fd, DRM_IOCTL_PHYR_VGEM_BO_MIGRATE, &arg);
}

static void gem_close(struct dev *d, uint32_t *handle)
{
	struct drm_gem_close arg = { .handle = *handle };

	if (*handle && xioctl(d->fd, DRM_IOCTL_GEM_CLOSE, &arg))
		printf("  GEM_CLOSE %u on %s: %s\n", *handle, d->name, strerror(errno));
	*handle = 0;
}

static int map_dumb(struct dev *d, uint32_t handle, uint64_t *offset)
{
	struct drm_mode_map_dumb arg = { .handle = handle };
	int ret = xioctl(d->fd, DRM_IOCTL_MODE_MAP_DUMB, &arg);

	if (!ret)
		*offset = arg.offset;
	return ret;
}

static int prime_export(struct dev *d, uint32_t handle, int *fd)
{
	struct drm_prime_handle arg = { .handle = handle, .flags = DRM_CLOEXEC | DRM_RDWR };
	int ret = xioctl(d->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &arg);

	if (!ret)
		*fd = arg.fd;
	return ret;
}

static int prime_import(struct dev *d, int fd, uint32_t *handle)
{
	struct drm_prime_handle arg = { .fd = fd };
	int ret = xioctl(d->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &arg);

	if (!ret)
		*handle = arg.handle;
	return ret;
}

static int fence_attach(struct dev *d, uint32_t handle, uint32_t flags, uint32_t *id)
{
	struct drm_phyr_vgem_fence_attach arg = { .handle = handle, .flags = flags };
	int ret = xioctl(d->fd, DRM_IOCTL_PHYR_VGEM_FENCE_ATTACH, &arg);

	if (!ret)
		*id = arg.out_fence;
	return ret;
}

static int fence_signal(struct dev *d, uint32_t id)
{
	struct drm_phyr_vgem_fence_signal arg = { .fence = id };

	return xioctl(d->fd, DRM_IOCTL_PHYR_VGEM_FENCE_SIGNAL, &arg);
}

static int dev_free(struct dev *d, uint64_t *free_bytes)
{
	struct drm_phyr_vgem_info info = {};
	int ret = xioctl(d->fd, DRM_IOCTL_PHYR_VGEM_INFO, &info);

	*free_bytes = info.device_free;
	return ret;
}

/* Map @size bytes of a GEM object (MAP_DUMB offset) or a dma-buf (@offset 0). */
static void *map(int fd, uint64_t offset, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset);

	return p == MAP_FAILED ? NULL : p;
}

static void unmap(void **p, size_t size)
{
	if (*p)
		munmap(*p, size);
	*p = NULL;
}

static void close_fd(int *fd)
{
	if (*fd > 0)
		close(*fd);
	*fd = -1;
}

/* Would a wait for @events (POLLIN: writers done) on a dma-buf block? */
static bool dmabuf_busy(int fd, short events)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	return poll(&pfd, 1, 0) == 0;
}

/* The dma-buf's fdinfo "flavours:" line contains @word. */
static bool fdinfo_has(int fd, const char *word)
{
	char path[64], *text, *line;
	bool ok = false;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	text = read_file(path);
	if (!text)
		return false;
	line = strstr(text, "flavours:");
	if (line) {
		line[strcspn(line, "\n")] = '\0';
		ok = strstr(line, word) != NULL;
	}
	free(text);
	return ok;
}

/* ---- CPU access, with SIGBUS caught ---- */

static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_armed;
static const char *current_path;
static volatile unsigned int current_nth;

/*
 * SIGBUS in the armed first touch of a mapping is the path's result; any
 * other SIGBUS or SIGSEGV (a mapping that lost its memory, say) ends the run
 * with a FAIL line for the path, and the paths after it do not report.
 */
static void on_signal(int sig)
{
	if (sig == SIGBUS && bus_armed)
		siglongjmp(bus_jmp, 1);
	if (pt_results_fd() >= 0 && current_path)
		dprintf(pt_results_fd(), "FAIL %s %s outside the armed access, nth %u\n",
			current_path, sig == SIGBUS ? "SIGBUS" : "SIGSEGV", current_nth);
	_exit(3);
}

/* ---- what must be back to where it was after every iteration ---- */

struct snap {
	int lowest_fd;
	int dmabufs;
	int attachments;
	int buffers[3];
	uint64_t free[3];
};

static int count_lines(const char *text, const char *prefix)
{
	size_t plen = strlen(prefix);
	const char *l = text;
	int n = 0;

	while (l && *l) {
		if (!strncmp(l, prefix, plen))
			n++;
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return n;
}

static void bufinfo(int *dmabufs, int *attachments)
{
	char *text = read_file(DEBUGFS "/dma_buf/bufinfo"), *l;

	*dmabufs = -1;
	*attachments = 0;
	if (!text)
		return;
	for (l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		int n;

		if (strncmp(l, "Total ", 6) || sscanf(l, "Total %d", &n) != 1)
			continue;
		if (!strncmp(strchr(l + 6, ' '), " devices attached", 17))
			*attachments += n;
		else if (!strncmp(strchr(l + 6, ' '), " objects", 8))
			*dmabufs = n;
	}
	free(text);
}

static void take_snap(struct snap *s)
{
	char path[96], *text;
	int i;

	memset(s, 0, sizeof(*s));
	s->lowest_fd = fcntl(nth_fd, F_DUPFD_CLOEXEC, 0);
	close(s->lowest_fd);
	bufinfo(&s->dmabufs, &s->attachments);
	for (i = 0; i < ndevs; i++) {
		snprintf(path, sizeof(path), DEBUGFS "/dri/%u/buffers", devs[i].minor);
		text = read_file(path);
		s->buffers[i] = text ? count_lines(text, "size ") : -1;
		free(text);
		dev_free(&devs[i], &s->free[i]);
	}
}

/* "" if equal, else what differs */
static void diff_snap(const struct snap *a, const struct snap *b, char *out, size_t len)
{
	int i, n = 0;

	out[0] = '\0';
#define DIFF(fmt, x, y) do { \
	if ((x) != (y)) \
		n += snprintf(out + n, len - n, "%s" fmt, n ? ", " : "", x, y); \
} while (0)
	DIFF("lowest free fd %d -> %d", a->lowest_fd, b->lowest_fd);
	DIFF("dma-bufs %d -> %d", a->dmabufs, b->dmabufs);
	DIFF("attachments %d -> %d", a->attachments, b->attachments);
	for (i = 0; i < ndevs && n < (int)len - 80; i++) {
		if (a->buffers[i] != b->buffers[i])
			n += snprintf(out + n, len - n, "%s%s buffers %d -> %d", n ? ", " : "",
				      devs[i].name, a->buffers[i], b->buffers[i]);
		if (a->free[i] != b->free[i])
			n += snprintf(out + n, len - n, "%s%s device_free %" PRIu64 " -> %" PRIu64,
				      n ? ", " : "", devs[i].name, a->free[i], b->free[i]);
	}
#undef DIFF
}

/* ---- the paths ---- */

/* One iteration's objects; the path's hooks use what they need. */
struct ctx {
	uint32_t handle, handle2, handle3, fence;
	int dmabuf, dmabuf2;
	void *p1, *p2;
	size_t size;
	uint32_t seed;
	uint64_t offset;
	struct dev fdev;	/* a DRM file of its own (fences) */
	struct snap base;	/* before the sweep (for counts during one iteration) */
	char why[512];
};

struct path {
	const char *name;
	/* unarmed: objects the path needs; 0 or a negative errno */
	int (*setup)(struct ctx *c);
	/* armed: the path itself; 0 or a negative errno (1: SIGBUS) */
	int (*run)(struct ctx *c);
	/* negative errnos the path may fail with, 0-terminated */
	int errnos[4];
	/* unarmed, after a failed run: is the old state intact? 0 or -1 + c->why */
	int (*check_failed)(struct ctx *c, int ret);
	/* unarmed, after a successful run (or retry): is the result usable? */
	int (*check_ok)(struct ctx *c);
	void (*teardown)(struct ctx *c);
	/*
	 * the path allocates nothing: not a sweep, but a check that it reaches
	 * no injection point (it fails if it does: make it a sweep then).  Every
	 * other path must reach one.
	 */
	bool no_alloc;
};

#define FAILF(...) do { snprintf(c->why, sizeof(c->why), __VA_ARGS__); return -1; } while (0)

static void teardown_all(struct ctx *c)
{
	unmap(&c->p1, c->size);
	unmap(&c->p2, c->size);
	close_fd(&c->dmabuf);
	close_fd(&c->dmabuf2);
}

/* --- BO_CREATE --- */

static int check_new_bo(struct ctx *c, struct dev *d, uint32_t placement, bool one_range)
{
	struct drm_phyr_vgem_bo_query q;
	uint64_t offset, free_now;
	int64_t bad;
	int ret;

	ret = bo_query(d, c->handle, &q);
	if (ret)
		FAILF("BO_QUERY of the new buffer: %s", errname(ret));
	if (q.size != c->size || q.placement != placement)
		FAILF("new buffer: size %" PRIu64 " placement %u, asked %zu, %u", (uint64_t)q.size,
		      q.placement, c->size, placement);
	if (placement == PHYR_VGEM_PLACEMENT_DEVICE) {
		if (one_range ? q.nr_ranges != 1 : !q.nr_ranges)
			FAILF("new device buffer has %" PRIu64 " ranges", (uint64_t)q.nr_ranges);
		dev_free(d, &free_now);
		if (free_now != c->base.free[d - devs] - c->size)
			FAILF("device_free %" PRIu64 " with the new buffer, %" PRIu64 " before",
			      free_now, c->base.free[d - devs]);
	}
	ret = map_dumb(d, c->handle, &offset);
	if (ret)
		FAILF("MAP_DUMB of the new buffer: %s", errname(ret));
	c->p1 = map(d->fd, offset, c->size);
	if (!c->p1)
		FAILF("mmap of the new buffer: %s", strerror(errno));
	bad = pt_check_zero(c->p1, c->size);
	if (bad >= 0)
		FAILF("new buffer not zeroed at byte %" PRId64, bad);
	pt_fill_words(c->p1, c->size, 0x5a5a0000);
	if (pt_check_words(c->p1, c->size, 0x5a5a0000) >= 0)
		FAILF("new buffer does not keep what was written");
	return 0;
}

static int create_sys_run(struct ctx *c)
{
	return bo_create(dsys, c->size, PHYR_VGEM_PLACEMENT_SYSTEM, 0, &c->handle);
}

static int create_sys_ok(struct ctx *c)
{
	return check_new_bo(c, dsys, PHYR_VGEM_PLACEMENT_SYSTEM, false);
}

static int create_dev_setup(struct ctx *c)
{
	c->size = 5 * page_size;	/* two buddy blocks: 4 + 1 pages */
	return 0;
}

static int create_dev_run(struct ctx *c)
{
	return bo_create(da, c->size, PHYR_VGEM_PLACEMENT_DEVICE, 0, &c->handle);
}

static int create_dev_ok(struct ctx *c)
{
	return check_new_bo(c, da, PHYR_VGEM_PLACEMENT_DEVICE, false);
}

/*
 * Three pages: not a power of two, so the buddy allocator allocates four and
 * trims the block, which allocates too -- a trim that fails must fail the
 * allocation, not leave the buffer a page longer than itself.
 */
static int create_contig_setup(struct ctx *c)
{
	c->size = 3 * page_size;
	return 0;
}

static int create_contig_run(struct ctx *c)
{
	return bo_create(da, c->size, PHYR_VGEM_PLACEMENT_DEVICE, PHYR_VGEM_BO_CONTIGUOUS,
			 &c->handle);
}

static int create_contig_ok(struct ctx *c)
{
	return check_new_bo(c, da, PHYR_VGEM_PLACEMENT_DEVICE, true);
}

/* nothing of a failed create may be left: no buffer listed, no memory taken */
static int create_failed(struct ctx *c, int ret)
{
	struct snap s;
	char d[400];

	(void)ret;
	take_snap(&s);
	diff_snap(&c->base, &s, d, sizeof(d));
	if (*d)
		FAILF("after the failed create: %s", d);
	return 0;
}

static void create_teardown(struct ctx *c)
{
	teardown_all(c);
	gem_close(dsys, &c->handle);
}

static void create_dev_teardown(struct ctx *c)
{
	teardown_all(c);
	gem_close(da, &c->handle);
}

/* --- dumb create and MAP_DUMB --- */

static int dumb_create(struct dev *d, uint32_t *handle, uint64_t *size)
{
	struct drm_mode_create_dumb arg = { .width = 64, .height = 64, .bpp = 32 };
	int ret = xioctl(d->fd, DRM_IOCTL_MODE_CREATE_DUMB, &arg);

	if (!ret) {
		*handle = arg.handle;
		*size = arg.size;
	}
	return ret;
}

static int dumb_create_run(struct ctx *c)
{
	uint64_t size = 0;
	int ret = dumb_create(dsys, &c->handle, &size);

	if (!ret && size != c->size)
		printf("  dumb buffer of %" PRIu64 " bytes, expected %zu\n", size, c->size);
	return ret;
}

static int dumb_setup(struct ctx *c)
{
	c->size = 64 * 64 * 4;
	return 0;
}

static int dumb_ok(struct ctx *c)
{
	uint64_t offset;
	struct snap s;
	int ret;

	take_snap(&s);
	if (s.buffers[dsys - devs] != c->base.buffers[dsys - devs] + 1)
		FAILF("the dumb buffer is not listed in debugfs buffers (%d, %d before)",
		      s.buffers[dsys - devs], c->base.buffers[dsys - devs]);
	ret = map_dumb(dsys, c->handle, &offset);
	if (ret)
		FAILF("MAP_DUMB of the dumb buffer: %s", errname(ret));
	c->p1 = map(dsys->fd, offset, c->size);
	if (!c->p1)
		FAILF("mmap of the dumb buffer: %s", strerror(errno));
	if (pt_check_zero(c->p1, c->size) >= 0)
		FAILF("dumb buffer not zeroed");
	pt_fill_words(c->p1, c->size, 7);
	if (pt_check_words(c->p1, c->size, 7) >= 0)
		FAILF("dumb buffer loses writes");
	return 0;
}

static int dumb_map_setup(struct ctx *c)
{
	uint64_t size;

	c->size = 64 * 64 * 4;
	return dumb_create(dsys, &c->handle, &size);
}

static int dumb_map_run(struct ctx *c)
{
	uint64_t offset;
	int ret = map_dumb(dsys, c->handle, &offset);

	if (!ret)
		c->offset = offset;
	return ret;
}

static int dumb_map_ok(struct ctx *c)
{
	c->p1 = map(dsys->fd, c->offset, c->size);
	if (!c->p1)
		FAILF("mmap at the MAP_DUMB offset: %s", strerror(errno));
	pt_fill_words(c->p1, c->size, 9);
	if (pt_check_words(c->p1, c->size, 9) >= 0)
		FAILF("mapping loses writes");
	return 0;
}

/* --- BO_QUERY: system (populated), device, imported --- */

static struct drm_phyr_vgem_bo_query qs[3];

static int query_setup(struct ctx *c)
{
	uint64_t offset;
	int ret;

	memset(qs, 0, sizeof(qs));	/* present: the armed run only writes it */
	ret = bo_create(dsys, c->size, PHYR_VGEM_PLACEMENT_SYSTEM, 0, &c->handle);
	if (!ret)
		ret = map_dumb(dsys, c->handle, &offset);
	if (!ret) {
		c->p1 = map(dsys->fd, offset, c->size);
		if (!c->p1)
			return -errno;
		pt_fill_words(c->p1, c->size, 1);	/* populated: nr_ranges > 0 */
		ret = bo_create(da, c->size, PHYR_VGEM_PLACEMENT_DEVICE, 0, &c->handle2);
	}
	if (!ret)
		ret = prime_export(da, c->handle2, &c->dmabuf);
	if (!ret)
		ret = prime_import(db, c->dmabuf, &c->handle3);
	return ret;
}

static int query_run(struct ctx *c)
{
	int ret = bo_query(dsys, c->handle, &qs[0]);

	if (!ret)
		ret = bo_query(da, c->handle2, &qs[1]);
	if (!ret)
		ret = bo_query(db, c->handle3, &qs[2]);
	return ret;
}

static int query_ok(struct ctx *c)
{
	if (qs[0].placement != PHYR_VGEM_PLACEMENT_SYSTEM || !qs[0].nr_ranges ||
	    !(qs[0].flavours & PHYR_VGEM_FLAVOUR_PHYR))
		FAILF("system buffer: placement %u, %" PRIu64 " ranges, flavours %#x",
		      qs[0].placement, (uint64_t)qs[0].nr_ranges, qs[0].flavours);
	if (qs[1].placement != PHYR_VGEM_PLACEMENT_DEVICE || !qs[1].nr_ranges ||
	    !(qs[1].flavours & PHYR_VGEM_FLAVOUR_PRIVATE))
		FAILF("device buffer: placement %u, %" PRIu64 " ranges, flavours %#x",
		      qs[1].placement, (uint64_t)qs[1].nr_ranges, qs[1].flavours);
	if (qs[2].import_flavour != PHYR_VGEM_FLAVOUR_PRIVATE || qs[2].size != c->size)
		FAILF("imported buffer: import_flavour %#x, size %" PRIu64,
		      qs[2].import_flavour, (uint64_t)qs[2].size);
	return 0;
}

static void query_teardown(struct ctx *c)
{
	gem_close(db, &c->handle3);
	teardown_all(c);
	gem_close(da, &c->handle2);
	gem_close(dsys, &c->handle);
}

/* --- BO_MIGRATE with live mappings of the GEM object and its dma-buf --- */

static int migrate_setup(struct ctx *c, uint32_t from)
{
	uint64_t offset;
	int ret;

	c->seed = 0x1000 + (uint32_t)rand();
	ret = bo_create(da, c->size, from, 0, &c->handle);
	if (!ret)
		ret = map_dumb(da, c->handle, &offset);
	if (!ret)
		ret = prime_export(da, c->handle, &c->dmabuf);
	if (ret)
		return ret;
	c->p1 = map(da->fd, offset, c->size);
	c->p2 = map(c->dmabuf, 0, c->size);
	if (!c->p1 || !c->p2)
		return -errno;
	pt_fill_words(c->p1, c->size, c->seed);
	return 0;
}

static int migrate_to_dev_setup(struct ctx *c)
{
	return migrate_setup(c, PHYR_VGEM_PLACEMENT_SYSTEM);
}

static int migrate_to_sys_setup(struct ctx *c)
{
	return migrate_setup(c, PHYR_VGEM_PLACEMENT_DEVICE);
}

/* a contiguous buffer of three pages (see create_contig_setup()), in system memory */
static int migrate_contig_setup(struct ctx *c)
{
	uint64_t offset;
	int ret;

	c->size = 3 * page_size;
	c->seed = 0x2000 + (uint32_t)rand();
	ret = bo_create(da, c->size, PHYR_VGEM_PLACEMENT_DEVICE, PHYR_VGEM_BO_CONTIGUOUS,
			&c->handle);
	if (!ret)
		ret = bo_migrate(da, c->handle, PHYR_VGEM_PLACEMENT_SYSTEM);
	if (!ret)
		ret = map_dumb(da, c->handle, &offset);
	if (!ret)
		ret = prime_export(da, c->handle, &c->dmabuf);
	if (ret)
		return ret;
	c->p1 = map(da->fd, offset, c->size);
	c->p2 = map(c->dmabuf, 0, c->size);
	if (!c->p1 || !c->p2)
		return -errno;
	pt_fill_words(c->p1, c->size, c->seed);
	return 0;
}

static int migrate_to_dev_run(struct ctx *c)
{
	return bo_migrate(da, c->handle, PHYR_VGEM_PLACEMENT_DEVICE);
}

static int migrate_to_sys_run(struct ctx *c)
{
	return bo_migrate(da, c->handle, PHYR_VGEM_PLACEMENT_SYSTEM);
}

/*
 * placement as expected, contents through both live mappings, and the device
 * memory taken: the buffer's size in device memory, none in system memory
 */
static int migrate_state(struct ctx *c, uint32_t placement, const char *when)
{
	uint64_t free_now, expect = c->base.free[da - devs];
	struct drm_phyr_vgem_bo_query q;
	int64_t bad;
	int ret;

	ret = bo_query(da, c->handle, &q);
	if (ret)
		FAILF("%s: BO_QUERY: %s", when, errname(ret));
	if (q.placement != placement)
		FAILF("%s: placement %u, expected %u", when, q.placement, placement);
	bad = pt_check_words(c->p1, c->size, c->seed);
	if (bad >= 0)
		FAILF("%s: contents lost through the GEM mapping at word %" PRId64, when, bad);
	bad = pt_check_words(c->p2, c->size, c->seed);
	if (bad >= 0)
		FAILF("%s: contents lost through the dma-buf mapping at word %" PRId64, when,
		      bad);
	if (placement == PHYR_VGEM_PLACEMENT_DEVICE)
		expect -= c->size;
	dev_free(da, &free_now);
	if (free_now != expect)
		FAILF("%s: device_free %" PRIu64 ", expected %" PRIu64, when, free_now, expect);
	return 0;
}

static int migrate_to_dev_failed(struct ctx *c, int ret)
{
	(void)ret;
	return migrate_state(c, PHYR_VGEM_PLACEMENT_SYSTEM, "after the failed migration");
}

static int migrate_to_sys_failed(struct ctx *c, int ret)
{
	(void)ret;
	return migrate_state(c, PHYR_VGEM_PLACEMENT_DEVICE, "after the failed migration");
}

/* after the move: the new placement, both mappings follow it and stay coherent */
static int migrate_ok(struct ctx *c, uint32_t placement)
{
	if (migrate_state(c, placement, "after the migration"))
		return -1;
	c->seed ^= 0xffff;
	pt_fill_words(c->p2, c->size, c->seed);
	if (pt_check_words(c->p1, c->size, c->seed) >= 0)
		FAILF("after the migration: the two mappings disagree");
	return 0;
}

static int migrate_to_dev_ok(struct ctx *c)
{
	return migrate_ok(c, PHYR_VGEM_PLACEMENT_DEVICE);
}

static int migrate_to_sys_ok(struct ctx *c)
{
	return migrate_ok(c, PHYR_VGEM_PLACEMENT_SYSTEM);
}

/* --- PRIME export --- */

static int export_sys_setup(struct ctx *c)
{
	return bo_create(dsys, c->size, PHYR_VGEM_PLACEMENT_SYSTEM, 0, &c->handle);
}

static int export_dev_setup(struct ctx *c)
{
	return bo_create(da, c->size, PHYR_VGEM_PLACEMENT_DEVICE, 0, &c->handle);
}

static int export_sys_run(struct ctx *c)
{
	return prime_export(dsys, c->handle, &c->dmabuf);
}

static int export_dev_run(struct ctx *c)
{
	return prime_export(da, c->handle, &c->dmabuf);
}

/* no fd and no dma-buf left by the failed export; the buffer still there */
static int export_failed_on(struct ctx *c, struct dev *d)
{
	struct drm_phyr_vgem_bo_query q;
	struct snap s;
	int ret;

	/*
	 * No fd; the dma-buf may be there, cached in the GEM object until its
	 * last handle closes (drm_prime.c), which the check after cleanup sees.
	 */
	take_snap(&s);
	if (s.lowest_fd != c->base.lowest_fd)
		FAILF("after the failed export: lowest free fd %d, %d before", s.lowest_fd,
		      c->base.lowest_fd);
	if (s.dmabufs != c->base.dmabufs && s.dmabufs != c->base.dmabufs + 1)
		FAILF("after the failed export: %d dma-bufs, %d before", s.dmabufs,
		      c->base.dmabufs);
	ret = bo_query(d, c->handle, &q);
	if (ret)
		FAILF("after the failed export: BO_QUERY: %s", errname(ret));
	return 0;
}

static int export_sys_failed(struct ctx *c, int ret)
{
	(void)ret;
	return export_failed_on(c, dsys);
}

static int export_dev_failed(struct ctx *c, int ret)
{
	(void)ret;
	return export_failed_on(c, da);
}

static int export_ok_on(struct ctx *c, const char *flavour)
{
	struct stat st;

	if (fstat(c->dmabuf, &st))
		FAILF("fstat of the dma-buf: %s", strerror(errno));
	if (!fdinfo_has(c->dmabuf, flavour))
		FAILF("dma-buf fdinfo has no flavour %s", flavour);
	c->p2 = map(c->dmabuf, 0, c->size);
	if (!c->p2)
		FAILF("mmap of the dma-buf: %s", strerror(errno));
	if (pt_check_zero(c->p2, c->size) >= 0)
		FAILF("dma-buf of a new buffer is not zeroed");
	pt_fill_words(c->p2, c->size, 3);
	return 0;
}

static int export_sys_ok(struct ctx *c)
{
	return export_ok_on(c, "phyr+cpu");
}

static int export_dev_ok(struct ctx *c)
{
	return export_ok_on(c, "private");
}

static void export_sys_teardown(struct ctx *c)
{
	teardown_all(c);
	gem_close(dsys, &c->handle);
}

static void export_dev_teardown(struct ctx *c)
{
	teardown_all(c);
	gem_close(da, &c->handle);
}

/* --- PRIME import into another device --- */

struct import_case {
	struct dev **exporter, **importer;
	uint32_t placement;
	uint32_t flavour;
};

static const struct import_case imp_phyr = { &dsys, &da, PHYR_VGEM_PLACEMENT_SYSTEM,
					     PHYR_VGEM_FLAVOUR_PHYR };
static const struct import_case imp_private = { &da, &db, PHYR_VGEM_PLACEMENT_DEVICE,
						PHYR_VGEM_FLAVOUR_PRIVATE };
static const struct import_case imp_sg = { &da, &dsys, PHYR_VGEM_PLACEMENT_SYSTEM,
					   PHYR_VGEM_FLAVOUR_SG_TABLE };
static const struct import_case *imp;

static int import_setup(struct ctx *c)
{
	struct dev *e = *imp->exporter;
	int ret;

	c->seed = 0x2000 + (uint32_t)rand();
	ret = bo_create(e, c->size, imp->placement, 0, &c->handle);
	if (!ret)
		ret = prime_export(e, c->handle, &c->dmabuf);
	if (ret)
		return ret;
	c->p2 = map(c->dmabuf, 0, c->size);
	if (!c->p2)
		return -errno;
	pt_fill_words(c->p2, c->size, c->seed);
	return 0;
}

static int import_run(struct ctx *c)
{
	return prime_import(*imp->importer, c->dmabuf, &c->handle2);
}

static int import_failed(struct ctx *c, int ret)
{
	int dmabufs, attachments;

	(void)ret;
	bufinfo(&dmabufs, &attachments);
	if (attachments != c->base.attachments)
		FAILF("after the failed import: %d attachments, %d before", attachments,
		      c->base.attachments);
	if (dmabufs != c->base.dmabufs + 1)
		FAILF("after the failed import: %d dma-bufs, %d expected", dmabufs,
		      c->base.dmabufs + 1);
	return 0;
}

static int import_ok(struct ctx *c)
{
	struct drm_phyr_vgem_bo_query q;
	int dmabufs, attachments, ret;

	ret = bo_query(*imp->importer, c->handle2, &q);
	if (ret)
		FAILF("BO_QUERY of the import: %s", errname(ret));
	if (q.import_flavour != imp->flavour || q.size != c->size)
		FAILF("import: flavour %#x, size %" PRIu64 "; expected flavour %#x", q.import_flavour,
		      (uint64_t)q.size, imp->flavour);
	bufinfo(&dmabufs, &attachments);
	if (attachments != c->base.attachments + 1)
		FAILF("import: %d attachments, %d before", attachments, c->base.attachments);
	/* a second import of the same dma-buf is the same handle */
	ret = prime_import(*imp->importer, c->dmabuf, &c->handle3);
	if (ret || c->handle3 != c->handle2)
		FAILF("second import: %s, handle %u (first %u)", errname(ret), c->handle3,
		      c->handle2);
	c->handle3 = 0;
	if (pt_check_words(c->p2, c->size, c->seed) >= 0)
		FAILF("import changed the exporter's contents");
	return 0;
}

static void import_teardown(struct ctx *c)
{
	gem_close(*imp->importer, &c->handle2);
	teardown_all(c);
	gem_close(*imp->exporter, &c->handle);
}

/* --- first touch of a CPU mapping --- */

static struct dev *fault_dev;
static uint32_t fault_placement;

/*
 * Far from every other mapping, so that munmap() frees the page tables and
 * the first touch allocates them again (pud, pmd, pte): the pte table is
 * allocated inside vmf_insert_pfn(), in the driver's fault handler.
 */
#define FAULT_VA	((void *)0x5e0000000000ul)

static int fault_setup(struct ctx *c)
{
	uint64_t offset;
	int ret;

	ret = bo_create(fault_dev, c->size, fault_placement, 0, &c->handle);
	if (!ret)
		ret = map_dumb(fault_dev, c->handle, &offset);
	if (ret)
		return ret;
	c->p1 = mmap(FAULT_VA, c->size, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_FIXED_NOREPLACE, fault_dev->fd, offset);
	if (c->p1 == MAP_FAILED) {
		c->p1 = NULL;
		return -errno;
	}
	return 0;
}

/* 0, or 1 for a SIGBUS */
static int fault_run(struct ctx *c)
{
	volatile uint32_t *w = c->p1;

	if (sigsetjmp(bus_jmp, 1)) {
		bus_armed = 0;
		return 1;
	}
	bus_armed = 1;
	w[0] = 0xfeedf00d;
	bus_armed = 0;
	return 0;
}

static int fault_ok(struct ctx *c)
{
	volatile uint32_t *w = c->p1;
	size_t i;

	if (w[0] != 0xfeedf00d)
		FAILF("the first write did not land: %#x", w[0]);
	for (i = 1; i < c->size / 4; i++)
		if (w[i])
			FAILF("new buffer not zeroed at word %zu", i);
	return 0;
}

static void fault_teardown(struct ctx *c)
{
	teardown_all(c);
	gem_close(fault_dev, &c->handle);
}

/* --- fences, on a DRM file of their own --- */

static int fence_setup(struct ctx *c)
{
	char path[64];
	uint32_t id;
	int ret;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", dsys->fd);
	c->fdev = *dsys;
	c->fdev.fd = open(path, O_RDWR | O_CLOEXEC);
	if (c->fdev.fd < 0)
		return -errno;
	ret = bo_create(&c->fdev, c->size, PHYR_VGEM_PLACEMENT_SYSTEM, 0, &c->handle);
	if (!ret)
		ret = prime_export(&c->fdev, c->handle, &c->dmabuf);
	/* id 1 spent: the next one needs a node in the file's xarray */
	if (!ret)
		ret = fence_attach(&c->fdev, c->handle, 0, &id);
	if (!ret)
		ret = fence_signal(&c->fdev, id);
	return ret;
}

static int fence_attach_run(struct ctx *c)
{
	return fence_attach(&c->fdev, c->handle, PHYR_VGEM_FENCE_WRITE, &c->fence);
}

/* a failed attach leaves no fence on the buffer */
static int fence_attach_failed(struct ctx *c, int ret)
{
	(void)ret;
	if (dmabuf_busy(c->dmabuf, POLLIN))
		FAILF("a failed FENCE_ATTACH left a pending fence");
	return 0;
}

static int fence_attach_ok(struct ctx *c)
{
	int ret;

	if (c->fence < 2)
		FAILF("FENCE_ATTACH gave fence id %u after id 1 was spent", c->fence);
	if (!dmabuf_busy(c->dmabuf, POLLIN))
		FAILF("the attached write fence is not pending on the dma-buf");
	ret = fence_signal(&c->fdev, c->fence);
	if (ret)
		FAILF("FENCE_SIGNAL: %s", errname(ret));
	if (dmabuf_busy(c->dmabuf, POLLIN))
		FAILF("the dma-buf is still busy after FENCE_SIGNAL");
	ret = fence_signal(&c->fdev, c->fence);
	if (ret != -ENOENT)
		FAILF("a second FENCE_SIGNAL: %s, expected ENOENT", errname(ret));
	c->fence = 0;
	return 0;
}

static int fence_signal_setup(struct ctx *c)
{
	int ret = fence_setup(c);

	if (!ret)
		ret = fence_attach(&c->fdev, c->handle, PHYR_VGEM_FENCE_WRITE, &c->fence);
	return ret;
}

static int fence_signal_run(struct ctx *c)
{
	return fence_signal(&c->fdev, c->fence);
}

static int fence_signal_failed(struct ctx *c, int ret)
{
	(void)ret;
	if (!dmabuf_busy(c->dmabuf, POLLIN))
		FAILF("a failed FENCE_SIGNAL signalled the fence");
	return 0;
}

static int fence_signal_ok(struct ctx *c)
{
	int ret;

	if (dmabuf_busy(c->dmabuf, POLLIN))
		FAILF("the dma-buf is still busy after FENCE_SIGNAL");
	ret = fence_signal(&c->fdev, c->fence);
	if (ret != -ENOENT)
		FAILF("a second FENCE_SIGNAL: %s, expected ENOENT", errname(ret));
	c->fence = 0;
	return 0;
}

static void fence_teardown(struct ctx *c)
{
	if (c->fence)
		fence_signal(&c->fdev, c->fence);
	c->fence = 0;
	teardown_all(c);
	if (c->fdev.fd > 0) {
		gem_close(&c->fdev, &c->handle);
		close_fd(&c->fdev.fd);	/* the file, its ids with it */
	}
}

/* --- the list --- */

static int no_setup(struct ctx *c)
{
	(void)c;
	return 0;
}

static int select_import_phyr(struct ctx *c)
{
	imp = &imp_phyr;
	return import_setup(c);
}

static int select_import_private(struct ctx *c)
{
	imp = &imp_private;
	return import_setup(c);
}

static int select_import_sg(struct ctx *c)
{
	imp = &imp_sg;
	return import_setup(c);
}

static int select_fault_sys(struct ctx *c)
{
	fault_dev = dsys;
	fault_placement = PHYR_VGEM_PLACEMENT_SYSTEM;
	return fault_setup(c);
}

static int select_fault_dev(struct ctx *c)
{
	fault_dev = da;
	fault_placement = PHYR_VGEM_PLACEMENT_DEVICE;
	return fault_setup(c);
}

/*
 * The errnos: ENOMEM everywhere; ENOSPC where BO_CREATE and BO_MIGRATE
 * document it (device memory); none for BO_QUERY, FENCE_SIGNAL and a fault,
 * which have nothing to allocate or must retry (VM_FAULT_OOM).
 */
static const struct path paths[] = {
	/*
	 * ENOSPC for system memory too: shmem_file_setup() fails with it
	 * when new_inode() fails (mm/shmem.c, __shmem_get_inode()), for
	 * every shmem-backed GEM object (vgem's too).
	 */
	{ "bo-create-system", no_setup, create_sys_run, { -ENOMEM, -ENOSPC },
	  create_failed, create_sys_ok, create_teardown, false },
	{ "bo-create-device", create_dev_setup, create_dev_run, { -ENOMEM, -ENOSPC },
	  create_failed, create_dev_ok, create_dev_teardown, false },
	{ "bo-create-device-contiguous", create_contig_setup, create_contig_run,
	  { -ENOMEM, -ENOSPC },
	  create_failed, create_contig_ok, create_dev_teardown, false },
	{ "bo-query", query_setup, query_run, { 0 },
	  NULL, query_ok, query_teardown, true },
	{ "bo-migrate-to-device", migrate_to_dev_setup, migrate_to_dev_run,
	  { -ENOMEM, -ENOSPC }, migrate_to_dev_failed, migrate_to_dev_ok, create_dev_teardown,
	  false },
	{ "bo-migrate-to-device-contiguous", migrate_contig_setup, migrate_to_dev_run,
	  { -ENOMEM, -ENOSPC }, migrate_to_dev_failed, migrate_to_dev_ok, create_dev_teardown,
	  false },
	{ "bo-migrate-to-system", migrate_to_sys_setup, migrate_to_sys_run, { -ENOMEM },
	  migrate_to_sys_failed, migrate_to_sys_ok, create_dev_teardown, false },
	{ "prime-export-system", export_sys_setup, export_sys_run, { -ENOMEM },
	  export_sys_failed, export_sys_ok, export_sys_teardown, false },
	{ "prime-export-device", export_dev_setup, export_dev_run, { -ENOMEM },
	  export_dev_failed, export_dev_ok, export_dev_teardown, false },
	{ "prime-import-phyr", select_import_phyr, import_run, { -ENOMEM },
	  import_failed, import_ok, import_teardown, false },
	{ "prime-import-private", select_import_private, import_run, { -ENOMEM },
	  import_failed, import_ok, import_teardown, false },
	{ "prime-import-sg-table", select_import_sg, import_run, { -ENOMEM },
	  import_failed, import_ok, import_teardown, false },
	{ "mmap-fault-system", select_fault_sys, fault_run, { 0 },
	  NULL, fault_ok, fault_teardown, false },
	{ "mmap-fault-device", select_fault_dev, fault_run, { 0 },
	  NULL, fault_ok, fault_teardown, false },
	{ "fence-attach", fence_setup, fence_attach_run, { -ENOMEM },
	  fence_attach_failed, fence_attach_ok, fence_teardown, false },
	{ "fence-signal", fence_signal_setup, fence_signal_run, { 0 },
	  fence_signal_failed, fence_signal_ok, fence_teardown, true },
	{ "dumb-create", dumb_setup, dumb_create_run, { -ENOMEM, -ENOSPC },
	  create_failed, dumb_ok, create_teardown, false },
	{ "dumb-map", dumb_map_setup, dumb_map_run, { -ENOMEM },
	  NULL, dumb_map_ok, create_teardown, true },
};

#define NPATHS	(sizeof(paths) / sizeof(paths[0]))

/* ---- the sweep ---- */

static bool allowed(const struct path *p, int ret)
{
	int i;

	for (i = 0; i < 4 && p->errnos[i]; i++)
		if (p->errnos[i] == ret)
			return true;
	return false;
}

static const char *retname(int ret)
{
	return ret == 1 ? "SIGBUS" : errname(ret);
}

static bool kmemleak_on;

/* kmemleak: forget what is known, so that a later report is new */
static void kmemleak_clear(void)
{
	write_file(DEBUGFS "/kmemleak", "scan");
	write_file(DEBUGFS "/kmemleak", "clear");
}

/* objects kmemleak reports now (older than its 5 s minimum age), 0 if none */
static int kmemleak_new(char *first, size_t len)
{
	char *text, *l;
	int n;

	sleep(6);
	write_file(DEBUGFS "/kmemleak", "scan");
	text = read_file(DEBUGFS "/kmemleak");
	if (!text)
		return 0;
	n = count_lines(text, "unreferenced object");
	if (n) {
		printf("  kmemleak:\n%s", text);
		l = strstr(text, "backtrace:");
		snprintf(first, len, "%s", l ? l : "");
		for (l = first; *l; l++)
			if (*l == '\n' || *l == '\t')
				*l = ' ';
	}
	free(text);
	write_file(DEBUGFS "/kmemleak", "clear");
	return n;
}

struct tally {
	unsigned int points, failed_calls, errs[4];
};

static unsigned int total_points;

static void sweep(const struct path *p)
{
	char notes[MAX_NOTES][600], report[300], d[512];
	unsigned int nth, nnotes = 0, extra_notes = 0;
	struct tally t = {};
	bool consumed = true, broken = false;
	struct snap after;
	double t0 = now_s();
	struct ctx c;
	int ret, i;

/* every finding goes to the log; the first MAX_NOTES into the FAIL line */
#define NOTE(...) do { \
	char __n[sizeof(notes[0])]; \
	snprintf(__n, sizeof(__n), __VA_ARGS__); \
	printf("  %s: %s\n", p->name, __n); \
	if (nnotes < MAX_NOTES) \
		memcpy(notes[nnotes++], __n, sizeof(__n)); \
	else \
		extra_notes++; \
} while (0)

	current_path = p->name;
	memset(&c, 0, sizeof(c));
	take_snap(&c.base);
	kmsg_report(report, sizeof(report));	/* forget older messages */
	oom_retries = 0;

	for (nth = 1; consumed && !broken && nth <= MAX_NTH; nth++) {
		struct snap base = c.base;

		current_nth = nth;
		memset(&c, 0, sizeof(c));
		c.base = base;
		c.dmabuf = c.dmabuf2 = -1;
		c.size = BO_SIZE;
		ret = p->setup(&c);
		if (ret) {
			NOTE("nth %u: setup without injection failed: %s", nth, errname(ret));
			p->teardown(&c);
			broken = true;
			break;
		}

		if (verbose)
			printf("-- %s nth %u\n", p->name, nth);
		arm(nth);
		ret = p->run(&c);
		consumed = disarm();

		if (ret) {
			if (!consumed)
				NOTE("nth %u: %s without an injected fault", nth, retname(ret));
			else if (!allowed(p, ret))
				NOTE("nth %u: %s", nth, retname(ret));
			for (i = 0; i < 4 && p->errnos[i]; i++)
				t.errs[i] += p->errnos[i] == ret;
			t.failed_calls++;
			if (p->check_failed && p->check_failed(&c, ret))
				NOTE("nth %u (%s): %s", nth, retname(ret), c.why);
			/* a retry without injection must succeed */
			ret = p->run(&c);
			if (ret)
				NOTE("nth %u: the retry without injection: %s", nth, retname(ret));
		}
		if (!ret && p->check_ok(&c))
			NOTE("nth %u: %s", nth, c.why);
		p->teardown(&c);

		if (kmsg_report(report, sizeof(report))) {
			NOTE("nth %u: kernel report: %s", nth, report);
			broken = true;
		}
		take_snap(&after);
		diff_snap(&c.base, &after, d, sizeof(d));
		if (*d) {
			NOTE("nth %u: left behind after cleanup: %s", nth, d);
			broken = true;	/* it would show in every later iteration */
		}
		if (consumed)
			t.points++;
	}
	if (consumed && !broken)
		NOTE("more than %u injection points: not swept to the end", MAX_NTH);
	/* a sweep that passes no injection point tests nothing */
	if (!t.points && !broken && !p->no_alloc)
		NOTE("reached no fault-injection point: nothing was swept");
	if (t.points && p->no_alloc)
		NOTE("%u injection points in a path that allocated nothing: make it a sweep",
		     t.points);

	if (kmemleak_on && !broken) {
		int n = kmemleak_new(report, sizeof(report));

		if (n)
			NOTE("kmemleak: %d unreferenced object(s) after the sweep: %s", n, report);
	}

	current_path = NULL;
	total_points += t.points;
	printf("%-28s %4u injection points, %4u failed calls", p->name, t.points,
	       t.failed_calls);
	for (i = 0; i < 4 && p->errnos[i]; i++)
		if (t.errs[i])
			printf(", %s x%u", errname(p->errnos[i]), t.errs[i]);
	if (oom_retries)
		printf(", %u faults retried after VM_FAULT_OOM (ratelimited count)", oom_retries);
	oom_retries = 0;
	printf(", %.1f s\n", now_s() - t0);
	if (!nnotes && p->no_alloc) {
		pt_result(PT_PASS, p->name, "allocates nothing (no injection point)");
		return;
	}
	if (!nnotes) {
		/* the count is judged against the path's minimum in scripts/expected/faults.txt */
		pt_result(PT_PASS, p->name, "count=%u injection points", t.points);
		return;
	}
	{
		char why[MAX_NOTES * 600 + 64];
		size_t n = 0;

		for (i = 0; i < (int)nnotes; i++)
			n += snprintf(why + n, sizeof(why) - n, "%s%s", i ? "; " : "", notes[i]);
		if (extra_notes)
			snprintf(why + n, sizeof(why) - n, "; and %u more", extra_notes);
		pt_result(PT_FAIL, p->name, "%s", why);
	}
#undef NOTE
}

/* NAME is in the comma-separated list @only, or there is no list */
static bool selected(const char *only, const char *name)
{
	size_t len = strlen(name);
	const char *s = only;

	if (!only)
		return true;
	while ((s = strstr(s, name))) {
		if ((s == only || s[-1] == ',') && (s[len] == ',' || !s[len]))
			return true;
		s += len;
	}
	return false;
}

static void usage(void)
{
	fprintf(stderr, "usage: phyr-faults [--leaks] [--verbose] [--only NAME[,NAME...]] "
		"RESULTS_DIR | --list\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *only = NULL, *dir = NULL;
	char why[512], path[4096];
	struct sigaction sa = {};
	double t0 = now_s();
	cpu_set_t cpus;
	size_t i;
	int n;

	for (n = 1; n < argc; n++) {
		if (!strcmp(argv[n], "--leaks")) {
			kmemleak_on = true;
		} else if (!strcmp(argv[n], "--verbose")) {
			verbose = true;
		} else if (!strcmp(argv[n], "--list")) {
			for (i = 0; i < NPATHS; i++)
				puts(paths[i].name);
			return 0;
		} else if (!strcmp(argv[n], "--only") && n + 1 < argc) {
			only = argv[++n];
		} else if (argv[n][0] == '-' || dir) {
			usage();
		} else {
			dir = argv[n];
		}
	}
	if (!dir)
		usage();
	snprintf(path, sizeof(path), "%s/results-faults.txt", dir);
	if (pt_results_open(path, false)) {
		perror(path);
		return 2;
	}
	require = getenv("PHYR_REQUIRE_DEVICE") && strcmp(getenv("PHYR_REQUIRE_DEVICE"), "0");
	page_size = sysconf(_SC_PAGESIZE);
	srand(1);
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* one CPU: the same slab and page-allocator state every iteration */
	CPU_ZERO(&cpus);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);

	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);

	if (devices_open(why, sizeof(why)) || faults_setup(why, sizeof(why))) {
		for (i = 0; i < NPATHS; i++)
			if (selected(only, paths[i].name))
				pt_result(require ? PT_FAIL : PT_SKIP, paths[i].name, "%s", why);
		faults_restore();
		pt_done();
		return require ? 1 : 0;
	}
	kmsg_open();
	if (kmemleak_on)
		kmemleak_clear();
	/*
	 * Everything mapped now present (text, data, stack), so that the armed
	 * window faults in nothing but what the path itself touches: a first
	 * call of a function would otherwise take an injection point.
	 */
	if (mlockall(MCL_CURRENT))
		printf("mlockall: %s\n", strerror(errno));

	for (i = 0; i < NPATHS; i++)
		if (selected(only, paths[i].name))
			sweep(&paths[i]);

	faults_restore();
	printf("swept %u injection points in %.1f s\n", total_points, now_s() - t0);
	for (n = 0; n < ndevs; n++)
		phyrbuf_close(devs[n].pd);
	pt_done();
	return 0;
}
