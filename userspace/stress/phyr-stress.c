// SPDX-License-Identifier: MIT
/*
 * phyr-stress: phyr_vgem under concurrency, with a device doing DMA.
 *
 *   phyr-stress [--seconds N] [--results FILE]
 *
 * Threads share a few buffers of a phyr_vgem device with device memory and,
 * in random order for a bounded time, migrate them, write and check them
 * through GEM and dma-buf mmaps, export them and import them into a second
 * device, attach and signal fences, and create, fill, move and free buffers
 * of their own.  Meanwhile QEMU's edu device, through the kernel's edu test
 * importer (debugfs phyr_edu_importer, docs/phyr_vgem.md), writes and reads
 * back a pattern in the first buffer by DMA, the read-back through a second
 * attachment at another IOVA (a misdirected DMA does not read back).  Every
 * byte written is checked while the others move the memory around; at the end
 * the last patterns must all be there.  A migration that starts while one of
 * the writers' fences is pending must return only after it was signalled.
 * The kernel's side (lockdep, KASAN, kmemleak) is judged by the test run's
 * dmesg gate.
 *
 * Exit 0 when every check held, 1 otherwise, 77 without the driver (unless
 * PHYR_REQUIRE_DEVICE is set).  With --results, one line per check:
 * "PASS NAME [count=N what]" or "FAIL NAME why".  The counts say how much the
 * run did (imports, edu's maps and writes, migrations, fence waits, invalidations of
 * edu's mapping); their minimums are the test run's (scripts/expected/stress.txt),
 * not this program's.
 *
 * Copyright 2026 The phyr developers
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>
#include <drm_mode.h>

#include "phyr_vgem_drm.h"
#include "phyr-test.h"

#define NR_BUFS		4
#define BUF_SIZE	(256u << 10)
#define PAGE		4096u
#define IMPORTER_LEN	2048u	/* edu's range: page 0 of buffer 0 */
#define IMPORTER_CTL	"/sys/kernel/debug/phyr_edu_importer/control"
#define IMPORTER_STATUS	"/sys/kernel/debug/phyr_edu_importer/status"

static int dev_fd = -1, peer_fd = -1;
static uint32_t bufs[NR_BUFS];
static atomic_bool stop;
/* a failed check: its first message is the reason of stress/cpu-and-ioctls */
#define fail(...)	pt_fail(__FILE__, __LINE__, __VA_ARGS__)

static int ioc(int fd, unsigned long req, void *arg)
{
	return drmIoctl(fd, req, arg) ? -errno : 0;
}

static uint32_t rnd(unsigned int *seed, uint32_t n)
{
	return (uint32_t)rand_r(seed) % n;
}

static void *map_gem(int fd, uint32_t handle, size_t size)
{
	struct drm_mode_map_dumb arg = { .handle = handle };
	void *p;

	if (ioc(fd, DRM_IOCTL_MODE_MAP_DUMB, &arg))
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, arg.offset);
	return p == MAP_FAILED ? NULL : p;
}

static int create(int fd, size_t size, uint32_t placement, uint32_t *handle)
{
	struct drm_phyr_vgem_bo_create arg = { .size = size, .placement = placement };
	int ret = ioc(fd, DRM_IOCTL_PHYR_VGEM_BO_CREATE, &arg);

	*handle = arg.handle;
	return ret;
}

static int migrate(int fd, uint32_t handle, uint32_t placement)
{
	struct drm_phyr_vgem_bo_migrate arg = { .handle = handle, .placement = placement };

	return ioc(fd, DRM_IOCTL_PHYR_VGEM_BO_MIGRATE, &arg);
}

static void close_bo(int fd, uint32_t handle)
{
	struct drm_gem_close arg = { .handle = handle };

	if (ioc(fd, DRM_IOCTL_GEM_CLOSE, &arg))
		fail("GEM_CLOSE %u: %s", handle, strerror(errno));
}

/* migration may find device memory full or the buffer pinned */
static bool move_ok(int ret)
{
	return !ret || ret == -ENOSPC || ret == -EBUSY;
}

struct counts {
	atomic_ulong migrations, moves, fence_waits, cpu_checks, dmabuf_checks, imports,
		     imported, fences, churn;
};

static struct counts counts;

/*
 * The fencer's fences on each shared buffer: how many it attached, and up to
 * which one it has begun to signal (set before FENCE_SIGNAL).
 */
static atomic_ulong fence_attached[NR_BUFS], fence_signalling[NR_BUFS];

static int placement_of(int fd, uint32_t handle, uint32_t *placement)
{
	struct drm_phyr_vgem_bo_query q = { .handle = handle };
	int ret = ioc(fd, DRM_IOCTL_PHYR_VGEM_BO_QUERY, &q);

	*placement = q.placement;
	return ret;
}

/*
 * Moves the shared buffers around.  A move waits for every fence of the
 * buffer: one that started while a fence of the fencer was pending and moved
 * the buffer must return after that fence began to be signalled (whoever moved
 * it meanwhile waited for that fence too).
 */
static void *migrator(void *data)
{
	unsigned int seed = 1;

	(void)data;
	while (!stop) {
		unsigned int b = rnd(&seed, NR_BUFS);
		uint32_t to = rnd(&seed, 2), from;
		unsigned long pending = fence_attached[b];
		bool fenced = pending > fence_signalling[b];
		int ret = placement_of(dev_fd, bufs[b], &from);

		if (ret) {
			fail("BO_QUERY: %s", strerror(-ret));
			break;
		}
		ret = migrate(dev_fd, bufs[b], to);
		if (!move_ok(ret))
			fail("migrate: %s", strerror(-ret));
		if (!ret && from != to) {
			counts.moves++;
			if (fenced && fence_signalling[b] < pending)
				fail("buffer %u moved while its fence %lu was pending", b, pending);
			else if (fenced)
				counts.fence_waits++;
		}
		counts.migrations++;
		usleep(rnd(&seed, 20000));
	}
	return NULL;
}

/* Writes and checks its own page of each buffer: @page, through @how. */
struct writer {
	int page;
	bool via_dmabuf;
	uint64_t last[NR_BUFS];	/* 0: never written */
};

static void *writer(void *data)
{
	struct writer *w = data;
	unsigned int seed = 100 + w->page;
	uint64_t n = 1;

	while (!stop) {
		unsigned int b = rnd(&seed, NR_BUFS);
		uint8_t *p;
		int dmabuf = -1;
		int64_t bad;

		if (w->via_dmabuf) {
			if (drmPrimeHandleToFD(dev_fd, bufs[b], DRM_CLOEXEC | DRM_RDWR, &dmabuf)) {
				fail("export: %s", strerror(errno));
				break;
			}
			p = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf, 0);
			if (p == MAP_FAILED)
				p = NULL;
		} else {
			p = map_gem(dev_fd, bufs[b], BUF_SIZE);
		}
		if (!p) {
			fail("mmap of buffer %u: %s", b, strerror(errno));
			break;
		}
		/* what this thread wrote last must still be there, wherever it moved */
		if (w->last[b] && (bad = pt_check_bytes(p + w->page * PAGE, 0, PAGE, w->last[b])) >= 0)
			fail("buffer %u page %d byte %" PRId64 ": lost pattern %" PRIu64 " across moves",
			     b, w->page, bad, w->last[b]);
		pt_fill_bytes(p + w->page * PAGE, 0, PAGE, n);
		if ((bad = pt_check_bytes(p + w->page * PAGE, 0, PAGE, n)) >= 0)
			fail("buffer %u page %d byte %" PRId64 ": read back differs", b, w->page, bad);
		w->last[b] = n++;
		munmap(p, BUF_SIZE);
		if (dmabuf >= 0)
			close(dmabuf);
		if (w->via_dmabuf)
			counts.dmabuf_checks++;
		else
			counts.cpu_checks++;
	}
	return NULL;
}

/* Exports the buffers and imports them into the second device. */
static void *importer(void *data)
{
	unsigned int seed = 7;

	(void)data;
	while (!stop) {
		struct drm_phyr_vgem_bo_query q = {};
		int dmabuf, ret;

		if (drmPrimeHandleToFD(dev_fd, bufs[rnd(&seed, NR_BUFS)],
				       DRM_CLOEXEC | DRM_RDWR, &dmabuf)) {
			fail("export: %s", strerror(errno));
			break;
		}
		ret = drmPrimeFDToHandle(peer_fd, dmabuf, &q.handle) ? -errno : 0;
		if (!ret) {
			ret = ioc(peer_fd, DRM_IOCTL_PHYR_VGEM_BO_QUERY, &q);
			if (ret || !q.import_flavour)
				fail("query of an import: %s, flavour %#x", strerror(-ret),
				     q.import_flavour);
			else
				counts.imported++;
			close_bo(peer_fd, q.handle);
		} else if (ret != -EOPNOTSUPP) {
			/* EOPNOTSUPP: no flavour matched where the buffer is now */
			fail("import: %s", strerror(-ret));
		}
		close(dmabuf);
		counts.imports++;
		usleep(rnd(&seed, 10000));
	}
	return NULL;
}

/* Writers' fences: a migration must wait for them. */
static void *fencer(void *data)
{
	unsigned int seed = 11;

	(void)data;
	while (!stop) {
		unsigned int b = 1 + rnd(&seed, NR_BUFS - 1);
		struct drm_phyr_vgem_fence_attach a = {
			.handle = bufs[b], .flags = PHYR_VGEM_FENCE_WRITE,
		};
		struct drm_phyr_vgem_fence_signal s = {};
		int ret = ioc(dev_fd, DRM_IOCTL_PHYR_VGEM_FENCE_ATTACH, &a);

		if (ret == -EBUSY)
			continue;
		if (ret) {
			fail("fence attach: %s", strerror(-ret));
			break;
		}
		fence_attached[b]++;
		usleep(1000 + rnd(&seed, 50000));
		s.fence = a.out_fence;
		fence_signalling[b] = fence_attached[b];
		ret = ioc(dev_fd, DRM_IOCTL_PHYR_VGEM_FENCE_SIGNAL, &s);
		if (ret)
			fail("fence signal: %s", strerror(-ret));
		counts.fences++;
	}
	return NULL;
}

/* Buffers of its own: created, filled, moved, checked and freed. */
static void *churn(void *data)
{
	unsigned int seed = 23;
	uint64_t n = 1;

	(void)data;
	while (!stop) {
		size_t size = (1 + rnd(&seed, 16)) * PAGE;
		uint32_t h;
		uint8_t *p;
		int64_t bad;
		int ret = create(dev_fd, size, rnd(&seed, 2), &h);

		if (ret == -ENOSPC)
			continue;
		if (ret) {
			fail("create: %s", strerror(-ret));
			break;
		}
		p = map_gem(dev_fd, h, size);
		if (!p) {
			fail("mmap of a new buffer: %s", strerror(errno));
			close_bo(dev_fd, h);
			break;
		}
		pt_fill_bytes(p, 0, size, n);
		ret = migrate(dev_fd, h, rnd(&seed, 2));
		if (!move_ok(ret))
			fail("migrate of a new buffer: %s", strerror(-ret));
		if ((bad = pt_check_bytes(p, 0, size, n)) >= 0)
			fail("new buffer byte %" PRId64 ": differs after a move", bad);
		munmap(p, size);
		close_bo(dev_fd, h);
		n++;
		counts.churn++;
	}
	return NULL;
}

static bool is_phyr_vgem(int fd, uint64_t *device_size)
{
	struct drm_phyr_vgem_info info = {};
	drmVersionPtr v = drmGetVersion(fd);
	bool ok = v && !strcmp(v->name, "phyr_vgem");

	drmFreeVersion(v);
	if (ok && !ioc(fd, DRM_IOCTL_PHYR_VGEM_INFO, &info))
		*device_size = info.device_size;
	return ok;
}

/* The first two phyr_vgem devices with device memory. */
static void open_devices(void)
{
	struct dirent **names;
	int n = scandir("/dev/dri", &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		char path[300];
		uint64_t size = 0;
		int fd;

		if (!strncmp(names[i]->d_name, "card", 4)) {
			snprintf(path, sizeof(path), "/dev/dri/%s", names[i]->d_name);
			fd = open(path, O_RDWR | O_CLOEXEC);
			if (fd >= 0 && is_phyr_vgem(fd, &size) && size && dev_fd < 0)
				dev_fd = fd;
			else if (fd >= 0 && size && peer_fd < 0)
				peer_fd = fd;
			else if (fd >= 0)
				close(fd);
		}
		free(names[i]);
	}
	if (n > 0)
		free(names);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

struct edu_status {
	uint64_t maps, invalidations, dmas, errors, bad, seq, aliased;
	int last_error;
};

static int read_status(struct edu_status *st)
{
	char text[512];
	int attached, running;
	FILE *f = fopen(IMPORTER_STATUS, "r");

	if (!f)
		return -errno;
	if (!fgets(text, sizeof(text), f))
		text[0] = '\0';
	fclose(f);
	if (sscanf(text, "attached %d running %d maps %" SCNu64 " invalidations %" SCNu64
		   " dmas %" SCNu64 " errors %" SCNu64 " bad %" SCNu64 " seq %" SCNu64
		   " last_error %d aliased %" SCNu64, &attached, &running, &st->maps,
		   &st->invalidations, &st->dmas, &st->errors, &st->bad, &st->seq,
		   &st->last_error, &st->aliased) != 10)
		return -EINVAL;
	return 0;
}

static void result(const char *name, bool ok, const char *why)
{
	if (ok)
		pt_result(PT_PASS, name, NULL);
	else
		pt_result(PT_FAIL, name, "%s", why);
}

/* how much of something the run did; the minimum is the caller's to judge */
static void count(const char *name, unsigned long n, const char *what)
{
	pt_result(PT_PASS, name, "count=%lu %s", n, what);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "results", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct writer writers[2] = { { .page = 1 }, { .page = 2, .via_dmabuf = true } };
	void *(*fns[])(void *) = { migrator, importer, fencer, churn };
	pthread_t threads[6];
	struct edu_status st = {};
	char why[256] = "";
	unsigned int seconds = 60, i, nt = 0;
	int c, dmabuf, ret;
	bool edu_ok, checks_ok;
	uint8_t *p;
	int64_t bad;

	while ((c = getopt_long(argc, argv, "s:r:", opts, NULL)) != -1) {
		if (c == 's')
			seconds = strtoul(optarg, NULL, 0);
		else if (c == 'r' && pt_results_open(optarg, false))
			return 2;
		else if (c != 'r')
			return 2;
	}
	open_devices();
	if (dev_fd < 0 || peer_fd < 0) {
		fprintf(stderr, "phyr-stress: needs two phyr_vgem devices with device memory\n");
		result("stress", false, "needs two phyr_vgem devices with device memory");
		pt_done();
		return getenv("PHYR_REQUIRE_DEVICE") ? 1 : 77;
	}
	for (i = 0; i < NR_BUFS; i++) {
		ret = create(dev_fd, BUF_SIZE, i % 2, &bufs[i]);
		if (ret) {
			fprintf(stderr, "phyr-stress: create: %s\n", strerror(-ret));
			return 1;
		}
	}

	/* edu writes page 0 of buffer 0 */
	if (drmPrimeHandleToFD(dev_fd, bufs[0], DRM_CLOEXEC | DRM_RDWR, &dmabuf))
		return 1;
	snprintf(why, sizeof(why), "attach %d", dmabuf);
	ret = write_file(IMPORTER_CTL, why);
	if (!ret) {
		snprintf(why, sizeof(why), "run 0 %u", IMPORTER_LEN);
		ret = write_file(IMPORTER_CTL, why);
	}
	if (ret) {
		fprintf(stderr, "phyr-stress: the edu importer (%s): %s\n", IMPORTER_CTL,
			strerror(-ret));
		result("stress", false, "the edu importer did not start");
		return 1;
	}

	for (i = 0; i < 2; i++)
		pthread_create(&threads[nt++], NULL, writer, &writers[i]);
	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		pthread_create(&threads[nt++], NULL, fns[i], NULL);
	sleep(seconds);
	stop = true;
	for (i = 0; i < nt; i++)
		pthread_join(threads[i], NULL);

	write_file(IMPORTER_CTL, "stop");
	ret = read_status(&st);
	write_file(IMPORTER_CTL, "detach");
	close(dmabuf);

	/* the last patterns: edu's, and each writer's on every buffer */
	checks_ok = !pt_failures();
	for (i = 0; i < NR_BUFS; i++) {
		p = map_gem(dev_fd, bufs[i], BUF_SIZE);
		if (!p) {
			fail("final mmap: %s", strerror(errno));
			continue;
		}
		for (unsigned int w = 0; w < 2; w++) {
			uint64_t n = writers[w].last[i];

			if (n && (bad = pt_check_bytes(p + writers[w].page * PAGE, 0, PAGE, n)) >= 0)
				fail("buffer %u page %d byte %" PRId64 ": the last pattern is not there",
				     i, writers[w].page, bad);
		}
		if (!i && !ret && st.seq &&
		    (bad = pt_check_bytes(p, 0, IMPORTER_LEN, st.seq)) >= 0)
			fail("buffer 0 byte %" PRId64 ": edu's last pattern %" PRIu64 " is not there",
			     bad, st.seq);
		munmap(p, BUF_SIZE);
		close_bo(dev_fd, bufs[i]);
	}
	checks_ok = !pt_failures();

	/*
	 * edu: every write read back right, through another IOVA than it was
	 * written to, and no error at all (a failed map or DMA is a failure of
	 * the importer or the exporter: moves back to system memory must work)
	 */
	edu_ok = !ret && st.maps && st.seq && !st.bad && !st.errors && !st.aliased;
	printf("phyr-stress: %u s: %lu migrations (%lu moved, %lu waited for a fence), "
	       "%lu+%lu checked writes (GEM+dma-buf mmap), %lu imports (%lu imported), "
	       "%lu fences, %lu own buffers; edu: %" PRIu64 " writes, %" PRIu64 " DMAs, %"
	       PRIu64 " maps, %" PRIu64 " invalidations, %" PRIu64 " errors (last %d), %"
	       PRIu64 " bad read-backs, %" PRIu64 " read back at the IOVA written\n", seconds,
	       (unsigned long)counts.migrations, (unsigned long)counts.moves,
	       (unsigned long)counts.fence_waits, (unsigned long)counts.cpu_checks,
	       (unsigned long)counts.dmabuf_checks, (unsigned long)counts.imports,
	       (unsigned long)counts.imported, (unsigned long)counts.fences,
	       (unsigned long)counts.churn, st.seq, st.dmas, st.maps, st.invalidations,
	       st.errors, st.last_error, st.bad, st.aliased);
	result("stress/cpu-and-ioctls", checks_ok, pt_first_failure());
	if (ret)
		snprintf(why, sizeof(why), "the importer's status: %s", strerror(-ret));
	else if (!st.maps || !st.seq)
		snprintf(why, sizeof(why), "edu did not run: %" PRIu64 " maps, %" PRIu64
			 " writes", st.maps, st.seq);
	else
		snprintf(why, sizeof(why), "%" PRIu64 " errors (last %d), %" PRIu64
			 " bad read-backs, %" PRIu64 " read back at the IOVA written, of %"
			 PRIu64 " writes", st.errors, st.last_error, st.bad, st.aliased, st.seq);
	if (edu_ok)
		count("stress/edu-dma", st.seq, "writes read back through another IOVA");
	else
		result("stress/edu-dma", false, why);
	count("stress/edu-maps", st.maps, "maps of edu's attachments");
	count("stress/edu-invalidations", st.invalidations,
	      "invalidations of edu's mapping");
	count("stress/imports", counts.imported, "imports into the second device");
	count("stress/migrations", counts.moves, "migrations that moved a buffer");
	count("stress/fence-waits", counts.fence_waits,
	      "migrations that waited for a pending fence");
	pt_done();
	return checks_ok && edu_ok ? 0 : 1;
}
