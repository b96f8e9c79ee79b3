// SPDX-License-Identifier: MIT
/*
 * phyr-demo: a PRIME round trip between two phyr_vgem devices, step by step.
 *
 * Finds phyr_vgem's system-memory device and one with device memory, creates a
 * buffer on the first, writes a pattern through a CPU mapping, exports it as a
 * dma-buf and imports it into the second device, which attaches to it (an import
 * into the same device would only return the same GEM object).  Checks the flavour
 * the two devices negotiated and reads every byte back through the dma-buf's mmap.
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
#include "phyr-test.h"

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

/*
 * Without the driver (a developer's machine, not the test guest) there is nothing to
 * show: exit 77, which meson counts as a skip, unless PHYR_REQUIRE_DEVICE is set.
 */
static int no_device(const char *what)
{
	if (getenv("PHYR_REQUIRE_DEVICE")) {
		fprintf(stderr, "phyr-demo: %s\n", what);
		return 1;
	}
	fprintf(stderr, "phyr-demo: skipped: %s (needs the phyr_vgem driver: run it in the "
		"test guest, scripts/demo.sh)\n", what);
	return 77;
}

/*
 * Open the first phyr_vgem primary node with (@with_vram) or without device memory,
 * other than @skip; -errno if there is none.
 */
static int open_phyr_vgem(bool with_vram, const char *skip, char *path, size_t len)
{
	glob_t g;
	size_t i;

	if (glob("/dev/dri/card*", 0, NULL, &g))
		return -ENODEV;
	for (i = 0; i < g.gl_pathc; i++) {
		struct drm_phyr_vgem_info info = { 0 };
		int fd;
		drmVersionPtr v;
		bool match;

		if (skip && !strcmp(skip, g.gl_pathv[i]))
			continue;
		fd = open(g.gl_pathv[i], O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		match = v && !strcmp(v->name, "phyr_vgem") &&
			!drmIoctl(fd, DRM_IOCTL_PHYR_VGEM_INFO, &info) &&
			!!info.device_size == with_vram;
		drmFreeVersion(v);
		if (match) {
			snprintf(path, len, "%s", g.gl_pathv[i]);
			globfree(&g);
			return fd;
		}
		close(fd);
	}
	globfree(&g);
	return -ENODEV;
}

static const char *flavour_name(uint32_t bit)
{
	switch (bit) {
	case PHYR_VGEM_FLAVOUR_SG_TABLE: return "sg_table";
	case PHYR_VGEM_FLAVOUR_PHYR: return "phyr";
	case PHYR_VGEM_FLAVOUR_PRIVATE: return "private";
	default: return "none";
	}
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

#define SEED	0x5a5aa5a5u	/* the demo's word pattern (phyr-test.h) */

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
		"Creates a buffer on phyr_vgem's system-memory device, writes it, exports it\n"
		"as a dma-buf, imports it into a second phyr_vgem device (one with device\n"
		"memory), checks the flavour the two negotiated (phyr) and every byte.\n"
		"Exit 0 on success, 1 on a failed check, 77 without the driver.\n");
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
	struct drm_phyr_vgem_bo_query query = { 0 };
	uint32_t *cpu, *dbuf;
	uint32_t handle2;
	int fd, fd2, dmabuf, c;
	char node[64], node2[64];
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

	fd = open_phyr_vgem(false, NULL, node, sizeof(node));
	if (fd < 0)
		return no_device("no phyr_vgem DRM device without device memory found");
	say("[1/7] exporter: phyr_vgem (system memory) at %s\n", node);
	fd2 = open_phyr_vgem(true, node, node2, sizeof(node2));
	if (fd2 < 0)
		return no_device("no second phyr_vgem device (one with device memory) found");
	say("[2/7] importer: phyr_vgem with device memory at %s\n", node2);

	create.height = size / (create.width * 4);
	if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create))
		return fail("DRM_IOCTL_MODE_CREATE_DUMB", errno);
	say("[3/7] created buffer: handle %u, %" PRIu64 " bytes (%ux%u, pitch %u)\n",
	    create.handle, (uint64_t)create.size, create.width, create.height, create.pitch);

	cpu = map_handle(fd, create.handle, size);
	if (!cpu)
		return fail("mapping the buffer", errno);
	pt_fill_words(cpu, words * 4, SEED);
	say("[4/7] wrote a %" PRIu64 "-word pattern through the CPU mapping\n", words);

	if (drmPrimeHandleToFD(fd, create.handle, DRM_CLOEXEC | DRM_RDWR, &dmabuf))
		return fail("exporting (DRM_IOCTL_PRIME_HANDLE_TO_FD)", errno);
	say("[5/7] exported as dma-buf fd %d\n", dmabuf);
	print_fdinfo(dmabuf);

	/*
	 * Another device's import attaches to the dma-buf: system memory offers phyr
	 * (CPU RAM) first, which a phyr_vgem importer takes before an sg_table.
	 */
	if (drmPrimeFDToHandle(fd2, dmabuf, &handle2))
		return fail("importing into the second device (DRM_IOCTL_PRIME_FD_TO_HANDLE)", errno);
	query.handle = handle2;
	if (drmIoctl(fd2, DRM_IOCTL_PHYR_VGEM_BO_QUERY, &query))
		return fail("DRM_IOCTL_PHYR_VGEM_BO_QUERY of the import", errno);
	say("[6/7] imported into %s as handle %u: negotiated flavour %s\n", node2, handle2,
	    flavour_name(query.import_flavour));
	if (query.import_flavour != PHYR_VGEM_FLAVOUR_PHYR || query.size != size) {
		fprintf(stderr, "phyr-demo: the import negotiated %s (0x%x) for %" PRIu64
			" bytes; expected phyr for %" PRIu64 "\n",
			flavour_name(query.import_flavour), query.import_flavour,
			(uint64_t)query.size, size);
		return 1;
	}

	dbuf = mmap(NULL, size, PROT_READ, MAP_SHARED, dmabuf, 0);
	if (dbuf == MAP_FAILED)
		return fail("mmap of the dma-buf", errno);
	sync.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ;
	if (ioctl(dmabuf, DMA_BUF_IOCTL_SYNC, &sync))
		return fail("DMA_BUF_IOCTL_SYNC start", errno);
	bad = pt_check_words(dbuf, words * 4, SEED);
	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
	if (ioctl(dmabuf, DMA_BUF_IOCTL_SYNC, &sync))
		return fail("DMA_BUF_IOCTL_SYNC end", errno);
	if (bad >= 0) {
		fprintf(stderr, "phyr-demo: dma-buf mapping differs at word %" PRId64 "\n", bad);
		return 1;
	}
	say("[7/7] read back through the dma-buf's own mmap: all %" PRIu64 " bytes match\n", size);

	munmap(dbuf, size);
	munmap(cpu, size);
	drmCloseBufferHandle(fd2, handle2);
	drmCloseBufferHandle(fd, create.handle);
	close(dmabuf);
	close(fd2);
	close(fd);
	say("phyr-demo: OK\n");
	return 0;
}
