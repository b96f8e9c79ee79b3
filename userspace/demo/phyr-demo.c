// SPDX-License-Identifier: MIT
/*
 * phyr-demo: the project's main job, step by step, on a real phyr_vgem device.
 *
 * Finds the phyr_vgem DRM device by driver name, creates a buffer, writes a pattern
 * through a CPU mapping, exports it as a dma-buf, imports it back through a second
 * DRM file (as another process would), and reads every byte back through the
 * importer's mapping and through the dma-buf's own mmap.
 *
 * Copyright 2026 The phyr developers
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <xf86drm.h>
#include <drm_mode.h>

#include "phyr_vgem_drm.h"

static bool quiet;

static void say(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "phyr-demo: %s: %s\n", what, strerror(err));
	return 1;
}

/* Open the first DRM node (card* first) whose driver is phyr_vgem; -errno if none. */
static int open_phyr_vgem(char *path, size_t len)
{
	static const char *const pats[] = { "/dev/dri/card*", "/dev/dri/renderD*" };
	unsigned int p;
	size_t i;

	for (p = 0; p < sizeof(pats) / sizeof(pats[0]); p++) {
		glob_t g;

		if (glob(pats[p], 0, NULL, &g))
			continue;
		for (i = 0; i < g.gl_pathc; i++) {
			int fd = open(g.gl_pathv[i], O_RDWR | O_CLOEXEC);
			drmVersionPtr v;
			bool match;

			if (fd < 0)
				continue;
			v = drmGetVersion(fd);
			match = v && !strcmp(v->name, "phyr_vgem");
			drmFreeVersion(v);
			if (match) {
				snprintf(path, len, "%s", g.gl_pathv[i]);
				globfree(&g);
				return fd;
			}
			close(fd);
		}
		globfree(&g);
	}
	return -ENODEV;
}

static void *map_handle(int fd, uint32_t handle, uint64_t size)
{
	struct drm_mode_map_dumb map = { .handle = handle };
	void *ptr;

	if (drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map))
		return NULL;
	ptr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, map.offset);
	return ptr == MAP_FAILED ? NULL : ptr;
}

static inline uint32_t pattern(uint64_t i)
{
	return (uint32_t)(i * 2654435761u) ^ 0x5a5aa5a5u;
}

/* Index of the first word that differs from the pattern, or -1. */
static int64_t check(const uint32_t *p, uint64_t words)
{
	uint64_t i;

	for (i = 0; i < words; i++)
		if (p[i] != pattern(i))
			return (int64_t)i;
	return -1;
}

static void print_fdinfo(int fd)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "exp_name", 8) || !strncmp(line, "size", 4))
			say("      %s", line);
	fclose(f);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: phyr-demo [--size BYTES] [--quiet]\n"
		"Creates a phyr_vgem buffer, writes it, exports it as a dma-buf, imports it\n"
		"back through a second DRM file and checks every byte. Exit 0 on success.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct drm_mode_create_dumb create = { .width = 1024, .bpp = 32 };
	struct dma_buf_sync sync = { 0 };
	uint64_t size = 4 << 20, words;
	uint32_t *cpu, *imp, *dbuf;
	uint32_t handle2;
	int fd, fd2, dmabuf, c;
	char node[64];
	int64_t bad;

	while ((c = getopt_long(argc, argv, "s:qh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			size = strtoull(optarg, NULL, 0);
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!size || size % 4096) {
		fprintf(stderr, "phyr-demo: --size must be a nonzero multiple of 4096\n");
		return 2;
	}
	words = size / 4;

	fd = open_phyr_vgem(node, sizeof(node));
	if (fd < 0)
		return fail("no phyr_vgem DRM device found", -fd);
	say("[1/6] found phyr_vgem at %s\n", node);

	create.height = size / (create.width * 4);
	if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create))
		return fail("DRM_IOCTL_MODE_CREATE_DUMB", errno);
	say("[2/6] created buffer: handle %u, %" PRIu64 " bytes (%ux%u, pitch %u)\n",
	    create.handle, (uint64_t)create.size, create.width, create.height, create.pitch);

	cpu = map_handle(fd, create.handle, size);
	if (!cpu)
		return fail("mapping the buffer", errno);
	for (uint64_t i = 0; i < words; i++)
		cpu[i] = pattern(i);
	say("[3/6] wrote a %" PRIu64 "-word pattern through the CPU mapping\n", words);

	if (drmPrimeHandleToFD(fd, create.handle, DRM_CLOEXEC | DRM_RDWR, &dmabuf))
		return fail("exporting (DRM_IOCTL_PRIME_HANDLE_TO_FD)", errno);
	say("[4/6] exported as dma-buf fd %d\n", dmabuf);
	print_fdinfo(dmabuf);

	fd2 = open(node, O_RDWR | O_CLOEXEC);
	if (fd2 < 0)
		return fail("opening a second DRM file", errno);
	if (drmPrimeFDToHandle(fd2, dmabuf, &handle2))
		return fail("importing (DRM_IOCTL_PRIME_FD_TO_HANDLE)", errno);
	imp = map_handle(fd2, handle2, size);
	if (!imp)
		return fail("mapping the imported buffer", errno);
	bad = check(imp, words);
	if (bad >= 0) {
		fprintf(stderr, "phyr-demo: imported buffer differs at word %" PRId64 "\n", bad);
		return 1;
	}
	say("[5/6] imported into a second DRM file as handle %u: all %" PRIu64 " bytes match\n",
	    handle2, size);

	dbuf = mmap(NULL, size, PROT_READ, MAP_SHARED, dmabuf, 0);
	if (dbuf == MAP_FAILED)
		return fail("mmap of the dma-buf", errno);
	sync.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ;
	if (ioctl(dmabuf, DMA_BUF_IOCTL_SYNC, &sync))
		return fail("DMA_BUF_IOCTL_SYNC start", errno);
	bad = check(dbuf, words);
	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
	if (ioctl(dmabuf, DMA_BUF_IOCTL_SYNC, &sync))
		return fail("DMA_BUF_IOCTL_SYNC end", errno);
	if (bad >= 0) {
		fprintf(stderr, "phyr-demo: dma-buf mapping differs at word %" PRId64 "\n", bad);
		return 1;
	}
	say("[6/6] read back through the dma-buf's own mmap: all %" PRIu64 " bytes match\n", size);

	munmap(dbuf, size);
	munmap(imp, size);
	munmap(cpu, size);
	drmCloseBufferHandle(fd2, handle2);
	drmCloseBufferHandle(fd, create.handle);
	close(dmabuf);
	close(fd2);
	close(fd);
	say("phyr-demo: OK\n");
	return 0;
}
