// SPDX-License-Identifier: MIT
/*
 * phyrbuf: a command line for libphyrbuf.
 *
 *   phyrbuf info
 *   phyrbuf alloc --size SIZE [--placement system|device] [--contiguous]
 *                 [--device N] [--migrate system|device] [--import-into N]
 *   phyrbuf vfio-dma --pci ADDRESS [--size SIZE] [--placement system|device]
 *                    [--device N] [--iova IOVA]   (vfio-dma.c)
 *
 * Exit status: 0 on success, 1 on a failure (one line on stderr), 2 on a
 * usage error.
 *
 * Copyright 2026 The phyr developers
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "phyrbuf.h"
#include "cli.h"

#define VERSION	"0.1.0"

static const char usage_text[] =
	"usage: phyrbuf [--help] [--version] COMMAND [OPTIONS]\n"
	"\n"
	"Commands:\n"
	"  info                  list every phyr_vgem device: index, DRM nodes, bus,\n"
	"                        device memory size and free\n"
	"  alloc --size SIZE     create a buffer, fill it through a CPU mapping, query\n"
	"                        it, export it as a dma-buf and print its flavours\n"
	"    --placement P       system (default) or device\n"
	"    --contiguous        ask for physically contiguous device memory\n"
	"    --device N          on phyr_vgem device N (see 'info'); default: the\n"
	"                        first device, or the first with device memory for\n"
	"                        --placement device\n"
	"    --migrate P         then move it to placement P and check the contents\n"
	"    --import-into N     then import the dma-buf into device N and print the\n"
	"                        negotiated import flavour\n"
	"  vfio-dma --pci ADDR   map a buffer into an iommufd IOAS at an IOVA through\n"
	"                        its dma-buf and have QEMU's edu device (bound to\n"
	"                        vfio-pci, PCI address ADDR) copy out of it and into it\n"
	"                        by DMA, then check the bytes (see vfio-dma --help)\n"
	"  help                  this text\n"
	"\n"
	"SIZE is in bytes, or with a K, M or G suffix (powers of 1024).\n"
	"Exit status: 0 on success, 1 on failure, 2 on a usage error.\n";

static void usage(FILE *out)
{
	fputs(usage_text, out);
}

/* One line on stderr; returns the exit status for failures. */
int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("phyrbuf: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("phyrbuf: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see phyrbuf --help)\n", stderr);
	return 2;
}

/* "64M" -> 67108864; false for anything else or on overflow. */
bool parse_size(const char *s, uint64_t *size)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	default:
		return false;
	}
	if (*end && end[1])
		return false;
	if (shift && v > (UINT64_MAX >> shift))
		return false;
	*size = (uint64_t)v << shift;
	return true;
}

bool parse_index(const char *s, int *index)
{
	long v;
	char *end;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 1000)
		return false;
	*index = (int)v;
	return true;
}

/* "64 MiB" style text for sizes, exact when it is not a whole unit. */
static const char *human(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	unsigned int u = 0;

	while (u + 1 < sizeof(units) / sizeof(units[0]) && bytes >= 1024 && !(bytes % 1024)) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, len, "%" PRIu64 " %s", bytes, units[u]);
	return buf;
}

static int cmd_info(void)
{
	int nr, i;

	nr = phyrbuf_device_count();
	if (nr < 0)
		return fail("finding phyr_vgem devices: %s", strerror(-nr));
	if (!nr)
		return fail("no phyr_vgem device found");

	for (i = 0; i < nr; i++) {
		struct phyrbuf_dev_info info;
		struct phyrbuf_dev *dev;
		char a[32], b[32];
		int ret;

		ret = phyrbuf_open(i, 0, &dev);
		if (ret)
			return fail("opening device %d: %s", i, strerror(-ret));
		ret = phyrbuf_dev_info(dev, &info);
		phyrbuf_close(dev);
		if (ret)
			return fail("device %d: info: %s", i, strerror(-ret));

		printf("device %d:\n", i);
		printf("  node:           %s\n", info.node);
		printf("  render node:    %s\n", info.render_node[0] ? info.render_node : "none");
		printf("  bus:            %s %s\n", info.bus[0] ? info.bus : "?",
		       info.location[0] ? info.location : "?");
		if (info.device_size)
			printf("  device memory:  %" PRIu64 " bytes (%s), %" PRIu64
			       " free (%s)\n", info.device_size,
			       human(info.device_size, a, sizeof(a)), info.device_free,
			       human(info.device_free, b, sizeof(b)));
		else
			printf("  device memory:  none (system memory only)\n");
	}
	return 0;
}

static inline uint32_t pattern(uint64_t i, uint32_t seed)
{
	return (uint32_t)(i * 2654435761u) ^ seed;
}

static void fill(uint32_t *p, uint64_t words, uint32_t seed)
{
	uint64_t i;

	for (i = 0; i < words; i++)
		p[i] = pattern(i, seed);
}

/* Index of the first word that differs, or -1. */
static int64_t check(const uint32_t *p, uint64_t words, uint32_t seed)
{
	uint64_t i;

	for (i = 0; i < words; i++)
		if (p[i] != pattern(i, seed))
			return (int64_t)i;
	return -1;
}

static int print_query(struct phyrbuf_bo *bo, const char *indent)
{
	struct phyrbuf_bo_info info;
	char names[64], sz[32];
	int ret;

	ret = phyrbuf_bo_query(bo, &info);
	if (ret)
		return fail("querying the buffer: %s", strerror(-ret));
	phyrbuf_flavour_names(info.flavours, names, sizeof(names));
	printf("%ssize:           %" PRIu64 " bytes (%s)\n", indent, info.size,
	       human(info.size, sz, sizeof(sz)));
	printf("%splacement:      %s\n", indent, phyrbuf_placement_name(info.placement));
	printf("%snr_ranges:      %" PRIu64 "\n", indent, info.nr_ranges);
	printf("%sflavours:       %s\n", indent, names);
	return 0;
}

static int print_fdinfo(int dmabuf, const char *indent)
{
	char line[256];
	int ret;

	ret = phyrbuf_dmabuf_flavours(dmabuf, line, sizeof(line));
	if (ret)
		return fail("reading the dma-buf's fdinfo flavours: %s", strerror(-ret));
	printf("%sfdinfo:         flavours:\t%s\n", indent, line);
	return 0;
}

struct alloc_opts {
	uint64_t size;
	uint32_t placement;
	uint32_t flags;
	int device;
	bool migrate;
	uint32_t migrate_to;
	int import_into;
};

static int import_into(const struct alloc_opts *o, int dmabuf, uint32_t seed)
{
	struct phyrbuf_dev_info dinfo;
	struct phyrbuf_bo_info info;
	struct phyrbuf_dev *dev;
	struct phyrbuf_bo *bo;
	char names[64];
	int64_t bad;
	void *ptr;
	int ret;

	ret = phyrbuf_open(o->import_into, 0, &dev);
	if (ret)
		return fail("opening device %d to import into: %s", o->import_into,
			    strerror(-ret));
	ret = phyrbuf_dev_info(dev, &dinfo);
	if (ret) {
		phyrbuf_close(dev);
		return fail("device %d: info: %s", o->import_into, strerror(-ret));
	}
	ret = phyrbuf_bo_import(dev, dmabuf, &bo);
	if (ret) {
		phyrbuf_close(dev);
		return fail("importing into device %d (%s): %s", o->import_into,
			    dinfo.node, strerror(-ret));
	}
	ret = phyrbuf_bo_query(bo, &info);
	if (ret) {
		fail("querying the imported buffer: %s", strerror(-ret));
		goto out;
	}
	phyrbuf_flavour_names(info.import_flavour, names, sizeof(names));
	printf("import into device %d (%s, %s %s):\n", o->import_into, dinfo.node,
	       dinfo.bus, dinfo.location);
	printf("  handle:         %u\n", phyrbuf_bo_handle(bo));
	printf("  import_flavour: %s\n", names);

	ret = phyrbuf_bo_mmap(bo, &ptr);
	if (ret) {
		fail("mapping the imported buffer: %s", strerror(-ret));
		goto out;
	}
	bad = check(ptr, o->size / 4, seed);
	phyrbuf_bo_munmap(bo, ptr);
	if (bad >= 0) {
		ret = fail("the importer's mapping differs at byte %" PRId64, bad * 4);
		goto out;
	}
	printf("  verified:       %" PRIu64 " bytes through the importer's mapping\n",
	       o->size);
out:
	phyrbuf_bo_close(bo);
	phyrbuf_close(dev);
	return ret ? 1 : 0;
}

static int do_alloc(const struct alloc_opts *o)
{
	struct phyrbuf_dev_info dinfo;
	struct phyrbuf_dev *dev;
	struct phyrbuf_bo *bo;
	uint32_t seed = 0x5a5aa5a5u;
	int ret, status = 1, dmabuf = -1;
	uint64_t words = o->size / 4;
	void *ptr = NULL;
	int64_t bad;

	ret = phyrbuf_open(o->device,
			   o->device == PHYRBUF_ANY && o->placement == PHYRBUF_PLACEMENT_DEVICE ?
			   PHYRBUF_OPEN_DEVICE_MEMORY : 0, &dev);
	if (ret) {
		if (o->device == PHYRBUF_ANY)
			return fail("no phyr_vgem device%s: %s",
				    o->placement == PHYRBUF_PLACEMENT_DEVICE ?
				    " with device memory" : "", strerror(-ret));
		return fail("opening phyr_vgem device %d: %s", o->device, strerror(-ret));
	}
	ret = phyrbuf_dev_info(dev, &dinfo);
	if (ret) {
		phyrbuf_close(dev);
		return fail("device info: %s", strerror(-ret));
	}
	printf("device %d:          %s (%s %s)\n", dinfo.index, dinfo.node, dinfo.bus,
	       dinfo.location);

	ret = phyrbuf_bo_create(dev, o->size, o->placement, o->flags, &bo);
	if (ret) {
		phyrbuf_close(dev);
		return fail("creating a %" PRIu64 "-byte buffer in %s memory%s: %s", o->size,
			    phyrbuf_placement_name(o->placement),
			    o->flags & PHYRBUF_BO_CONTIGUOUS ? " (contiguous)" : "",
			    strerror(-ret));
	}
	printf("buffer:\n");
	printf("  handle:         %u\n", phyrbuf_bo_handle(bo));

	ret = phyrbuf_bo_mmap(bo, &ptr);
	if (ret) {
		fail("mapping the buffer: %s", strerror(-ret));
		goto out;
	}
	fill(ptr, words, seed);
	printf("  filled:         %" PRIu64 " bytes through the CPU mapping\n", o->size);
	if (print_query(bo, "  "))
		goto out;

	ret = phyrbuf_bo_export(bo, &dmabuf);
	if (ret) {
		fail("exporting the buffer: %s", strerror(-ret));
		goto out;
	}
	printf("dma-buf:\n");
	printf("  fd:             %d\n", dmabuf);
	if (print_fdinfo(dmabuf, "  "))
		goto out;

	if (o->migrate) {
		ret = phyrbuf_bo_migrate(bo, o->migrate_to);
		if (ret) {
			fail("migrating to %s memory: %s", phyrbuf_placement_name(o->migrate_to),
			     strerror(-ret));
			goto out;
		}
		printf("migrated to %s:\n", phyrbuf_placement_name(o->migrate_to));
		if (print_query(bo, "  ") || print_fdinfo(dmabuf, "  "))
			goto out;
		bad = check(ptr, words, seed);
		if (bad >= 0) {
			fail("after migrating, the contents differ at byte %" PRId64, bad * 4);
			goto out;
		}
		printf("  verified:       %" PRIu64 " bytes survived, read through the live mapping\n",
		       o->size);
	}

	if (o->import_into >= 0 && import_into(o, dmabuf, seed))
		goto out;

	status = 0;
out:
	if (dmabuf >= 0)
		close(dmabuf);
	if (ptr)
		phyrbuf_bo_munmap(bo, ptr);
	phyrbuf_bo_close(bo);
	phyrbuf_close(dev);
	return status;
}

static int cmd_alloc(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "placement", required_argument, NULL, 'p' },
		{ "contiguous", no_argument, NULL, 'c' },
		{ "device", required_argument, NULL, 'd' },
		{ "migrate", required_argument, NULL, 'm' },
		{ "import-into", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct alloc_opts o = {
		.placement = PHYRBUF_PLACEMENT_SYSTEM,
		.device = PHYRBUF_ANY,
		.import_into = -1,
	};
	bool have_size = false;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:p:cd:m:i:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!parse_size(optarg, &o.size))
				return usage_error("bad size '%s'", optarg);
			have_size = true;
			break;
		case 'p':
			if (phyrbuf_placement_parse(optarg, &o.placement))
				return usage_error("bad placement '%s'", optarg);
			break;
		case 'c':
			o.flags |= PHYRBUF_BO_CONTIGUOUS;
			break;
		case 'd':
			if (!parse_index(optarg, &o.device))
				return usage_error("bad device index '%s'", optarg);
			break;
		case 'm':
			if (phyrbuf_placement_parse(optarg, &o.migrate_to))
				return usage_error("bad placement '%s'", optarg);
			o.migrate = true;
			break;
		case 'i':
			if (!parse_index(optarg, &o.import_into))
				return usage_error("bad device index '%s'", optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return usage_error("alloc: option '%s' needs an argument",
					   argv[optind - 1]);
		default:
			return usage_error("alloc: bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!have_size)
		return usage_error("alloc needs --size");
	return do_alloc(&o);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd;
	int c;

	/* global options only up to the command */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("phyrbuf " VERSION "\n");
			return 0;
		default:
			return usage_error("bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("no command");
	cmd = argv[optind];
	argc -= optind;
	argv += optind;

	if (!strcmp(cmd, "info")) {
		if (argc > 1)
			return usage_error("info takes no arguments");
		return cmd_info();
	}
	if (!strcmp(cmd, "alloc"))
		return cmd_alloc(argc, argv);
	if (!strcmp(cmd, "vfio-dma"))
		return cmd_vfio_dma(argc, argv);
	if (!strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	return usage_error("unknown command '%s'", cmd);
}
