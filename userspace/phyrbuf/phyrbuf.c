// SPDX-License-Identifier: MIT
/*
 * phyrbuf: a command line for libphyrbuf.
 *
 *   phyrbuf [--json] info
 *   phyrbuf [--json] alloc (--size SIZE | --width W --height H --format F
 *                          [--stride S]) [--placement system|device]
 *                          [--contiguous] [--device N] [--migrate P]
 *                          [--import-into N] [-- CMD [ARGS...]]
 *   phyrbuf [--json] ranges (--fd FD | alloc options)
 *   phyrbuf [--json] probe --fd FD [--device N]
 *   phyrbuf [--json] import --fd FD [--device N] [--verify]
 *   phyrbuf rdma devices|demo|bench [OPTIONS]     (with rdma-core, rdma-cmd.c)
 *   phyrbuf vfio-dma --pci ADDRESS [--size SIZE] [--placement system|device]
 *                    [--device N] [--iova IOVA]   (vfio-dma.c)
 *   phyrbuf devmem-send --ifname IF --peer ADDR:PORT [--size SIZE]
 *                       [--placement device|system] [--device N] [--offset B]
 *                       [--length B] [--chunk B]     (devmem-cmd.c)
 *   phyrbuf devmem-recv --listen ADDR:PORT [--offset B] [--length B]
 *
 * Exit status: 0 on success, 1 on a failure (one line on stderr that says
 * what to do), 2 on a usage error; with "alloc ... -- CMD", CMD's.
 *
 * Copyright 2026 The phyr developers
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "phyrbuf.h"
#ifdef PHYRBUF_HAVE_RDMA
#include "rdma-cmd.h"
#endif
#include "cli.h"
#include "phyr-test.h"

/* the pattern alloc fills its buffer with, and import --verify checks */
#define SEED	0x5a5aa5a5u

static const char usage_text[] =
	"usage: phyrbuf [--help] [--version] [--json] COMMAND [OPTIONS]\n"
	"\n"
	"Commands:\n"
	"  info                  list every phyr_vgem device: index, DRM nodes, bus,\n"
	"                        device memory size and free\n"
	"  alloc                 create a buffer, fill it through a CPU mapping, query\n"
	"                        it, print its physical ranges, export it as a dma-buf\n"
	"                        and print what the dma-buf offers\n"
	"    --size SIZE         bytes (K, M, G: powers of 1024), a multiple of the page\n"
	"    --width W --height H --format F [--stride S]\n"
	"                        an image instead (F: a DRM format such as XRGB8888;\n"
	"                        S: bytes per row, default chosen by the kernel)\n"
	"    --placement P       system (default) or device\n"
	"    --contiguous        ask for physically contiguous device memory\n"
	"    --device N          on phyr_vgem device N (see 'info'); default: the\n"
	"                        first device, or the first with device memory for\n"
	"                        --placement device\n"
	"    --migrate P         then move it to placement P and check the contents\n"
	"    --import-into N     then import the dma-buf into device N and print the\n"
	"                        negotiated import flavour\n"
	"    -- CMD [ARGS...]    then run CMD with the buffer alive and its dma-buf\n"
	"                        open: the fd is in $PHYRBUF_DMABUF_FD, and an ARG\n"
	"                        '{fd}' is replaced by it; phyrbuf exits with CMD's\n"
	"                        status\n"
	"  ranges                the physical ranges of a buffer: --fd FD for a\n"
	"                        dma-buf of a phyr_vgem device, or alloc's options\n"
	"                        to make one\n"
	"  probe --fd FD         what a dma-buf (of any exporter) offers and which\n"
	"                        flavour each device would negotiate\n"
	"    --device N          only device N\n"
	"  import --fd FD        import a dma-buf into a device and print the\n"
	"                        negotiated flavour\n"
	"    --device N          into device N (default: the first)\n"
	"    --verify            check the contents are alloc's pattern\n"
	"  rdma devices          list the RDMA devices and their RoCE v2 GIDs\n"
	"  rdma demo             a buffer in device memory as an RDMA memory region of\n"
	"                        --nic (rxe0), written and read by --peer (rxe1), then\n"
	"                        migrated; --size (16M), --device N\n"
	"  rdma bench            ibv_reg_dmabuf_mr against ibv_reg_mr of --size (1G),\n"
	"                        --reps (5), and WRITE throughput into both placements;\n"
	"                        --fragmented: both buffers one range per page\n"
	"  vfio-dma --pci ADDR   map a buffer into an iommufd IOAS at an IOVA through\n"
	"                        its dma-buf and have QEMU's edu device (bound to\n"
	"                        vfio-pci, PCI address ADDR) copy out of it and into it\n"
	"                        by DMA, then check the bytes (see vfio-dma --help)\n"
	"  devmem-send --ifname IF --peer ADDR:PORT\n"
	"                        send a buffer (--size 16M, --placement device) over\n"
	"                        TCP by the NIC's own DMA (devmem TCP TX: bind-tx,\n"
	"                        SCM_DEVMEM_DMABUF, MSG_ZEROCOPY) and print what the\n"
	"                        NIC negotiated (see devmem-send --help)\n"
	"  devmem-recv --listen ADDR:PORT\n"
	"                        receive one connection and check every byte against\n"
	"                        devmem-send's pattern (see devmem-recv --help)\n"
	"  help                  this text\n"
	"\n"
	"--json prints one JSON document on stdout instead of text (errors stay on\n"
	"stderr).  Exit status: 0 on success, 1 on failure, 2 on a usage error.\n";

static bool json;

static void usage(FILE *out)
{
	fputs(usage_text, out);
}

/* ---- JSON output: a writer with one level of state per nesting ---- */

/*
 * The document goes to a memory stream and reaches stdout only when the
 * command succeeds (json_flush()): a failure prints no half document.
 */
static bool j_first[32] = { true };
static int j_depth;
static FILE *jout;
static char *jbuf;
static size_t jlen;

static int json_begin(void)
{
	jout = open_memstream(&jbuf, &jlen);
	return jout ? 0 : fail("out of memory");
}

/* What the document holds so far, onto stdout. */
static void json_flush(void)
{
	if (!jout)
		return;
	fflush(jout);
	fwrite(jbuf, 1, jlen, stdout);
	fflush(stdout);
	rewind(jout);
	jlen = 0;
}

static void json_end(bool print)
{
	if (!jout)
		return;
	if (print)
		json_flush();
	fclose(jout);
	free(jbuf);
	jout = NULL;
}

static void j_sep(const char *key)
{
	if (!j_first[j_depth])
		fputc(',', jout);
	j_first[j_depth] = false;
	if (key)
		fprintf(jout, "\"%s\":", key);
}

static void j_string(const char *s)
{
	fputc('"', jout);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(jout, "\\%c", c);
		else if (c < 0x20)
			fprintf(jout, "\\u%04x", c);
		else
			fputc(c, jout);
	}
	fputc('"', jout);
}

static void j_open(const char *key, char bracket)
{
	j_sep(key);
	fputc(bracket, jout);
	j_first[++j_depth] = true;
}

static void j_close(char bracket)
{
	fputc(bracket, jout);
	j_depth--;
	if (!j_depth)
		fputc('\n', jout);
}

static void j_str(const char *key, const char *v)
{
	j_sep(key);
	if (v)
		j_string(v);
	else
		fputs("null", jout);
}

static void j_u64(const char *key, uint64_t v)
{
	j_sep(key);
	fprintf(jout, "%" PRIu64, v);
}

static void j_int(const char *key, int64_t v)
{
	j_sep(key);
	fprintf(jout, "%" PRId64, v);
}

static void j_bool(const char *key, bool v)
{
	j_sep(key);
	fputs(v ? "true" : "false", jout);
}

/* PHYRBUF_FLAVOUR_* bits as an array of the library's names for them */
static void j_flavours(const char *key, uint32_t bits)
{
	char names[128], *save = NULL, *name;

	j_open(key, '[');
	if (bits && !phyrbuf_flavour_names(bits, names, sizeof(names)))
		for (name = strtok_r(names, " ", &save); name;
		     name = strtok_r(NULL, " ", &save))
			j_str(NULL, name);
	j_close(']');
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

/* ---- errors that say what to do ---- */

static int no_device_error(int ret, const char *what)
{
	if (ret == -ENODEV && phyrbuf_device_count() == 0)
		return fail("%s: no phyr_vgem device: is the phyr_vgem driver loaded "
			    "(CONFIG_DRM_PHYR_VGEM; /sys/class/drm lists none)? It runs in "
			    "the test guest: scripts/demo.sh, scripts/test.sh", what);
	return 0;
}

/* The error of opening a device, with what to do about it. */
static int open_error(int ret, int index, unsigned int flags)
{
	struct phyrbuf_dev_info desc;
	char what[64];
	int nr;

	if (index == PHYRBUF_ANY)
		snprintf(what, sizeof(what), "no phyr_vgem device%s",
			 flags & PHYRBUF_OPEN_DEVICE_MEMORY ? " with device memory" : "");
	else
		snprintf(what, sizeof(what), "opening phyr_vgem device %d", index);
	if (no_device_error(ret, what))
		return 1;
	nr = phyrbuf_device_count();
	if (ret == -ENODEV && index >= nr)
		return fail("%s: No such device: there are %d (phyrbuf info lists them)",
			    what, nr);
	if (ret == -ENODEV && (flags & PHYRBUF_OPEN_DEVICE_MEMORY))
		return fail("%s: No such device: none has device memory (an ivshmem-plain "
			    "PCI device); use --placement system", what);
	if ((ret == -EACCES || ret == -EPERM) &&
	    !phyrbuf_device_describe(index == PHYRBUF_ANY ? 0 : index, &desc)) {
		const char *node = desc.render_node[0] ? desc.render_node : desc.primary_node;
		struct stat st;
		struct group *g = NULL;

		if (!stat(node, &st))
			g = getgrgid(st.st_gid);
		return fail("%s: cannot open %s: %s: run as root, or as a member of the "
			    "group that owns it (%s)", what, node, strerror(-ret),
			    g ? g->gr_name : "see ls -l /dev/dri");
	}
	if (ret == -ENOENT)
		return fail("%s: %s: the device has no node in /dev/dri (is devtmpfs "
			    "mounted?)", what, strerror(-ret));
	return fail("%s: %s", what, strerror(-ret));
}

static int open_device(int index, unsigned int flags, struct phyrbuf_dev **dev)
{
	int ret = phyrbuf_open(index, flags, dev);

	return ret ? open_error(ret, index, flags) : 0;
}

/* ---- info ---- */

static void print_dev_json(const struct phyrbuf_dev_info *info)
{
	j_int("index", info->index);
	j_str("node", info->node);
	j_str("primary_node", info->primary_node);
	j_str("render_node", info->render_node[0] ? info->render_node : NULL);
	j_str("bus", info->bus);
	j_str("location", info->location);
	j_u64("device_size", info->device_size);
	j_u64("device_free", info->device_free);
	j_open("driver", '{');
	j_u64("major", info->driver_major);
	j_u64("minor", info->driver_minor);
	j_close('}');
}

static int cmd_info(void)
{
	int nr, i;

	nr = phyrbuf_device_count();
	if (nr < 0)
		return fail("finding phyr_vgem devices: %s", strerror(-nr));
	if (!nr)
		return no_device_error(-ENODEV, "info");

	if (json) {
		j_open(NULL, '{');
		j_open("devices", '[');
	}
	for (i = 0; i < nr; i++) {
		struct phyrbuf_dev_info info;
		struct phyrbuf_dev *dev;
		char a[32], b[32];
		int ret;

		if (open_device(i, PHYRBUF_OPEN_PRIMARY, &dev))
			return 1;
		ret = phyrbuf_dev_info(dev, &info);
		phyrbuf_close(dev);
		if (ret)
			return fail("device %d: info: %s", i, strerror(-ret));

		if (json) {
			j_open(NULL, '{');
			print_dev_json(&info);
			j_close('}');
			continue;
		}
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
		printf("  driver:         phyr_vgem %u.%u\n", info.driver_major,
		       info.driver_minor);
	}
	if (json) {
		j_close(']');
		j_close('}');
	}
	return 0;
}

/* ---- buffers ---- */


static int query(struct phyrbuf_bo *bo, struct phyrbuf_bo_info *info)
{
	int ret = phyrbuf_bo_query(bo, info);

	return ret ? fail("querying the buffer: %s", strerror(-ret)) : 0;
}

/* size, placement, ranges, flavours (and the image) of a buffer */
static int print_query(struct phyrbuf_bo *bo, const char *indent)
{
	struct phyrbuf_bo_info info;
	char names[64], sz[32];

	if (query(bo, &info))
		return 1;
	if (json) {
		j_u64("size", info.size);
		j_str("placement", phyrbuf_placement_name(info.placement));
		j_u64("nr_ranges", info.nr_ranges);
		j_flavours("flavours", info.flavours);
		if (info.format) {
			const char *f = phyrbuf_format_name(info.format);

			j_open("image", '{');
			j_u64("width", info.width);
			j_u64("height", info.height);
			j_str("format", f ? f : "?");
			j_u64("fourcc", info.format);
			j_u64("stride", info.stride);
			j_u64("modifier", info.modifier);
			j_close('}');
		} else {
			j_str("image", NULL);
		}
		return 0;
	}
	phyrbuf_flavour_names(info.flavours, names, sizeof(names));
	printf("%ssize:           %" PRIu64 " bytes (%s)\n", indent, info.size,
	       human(info.size, sz, sizeof(sz)));
	printf("%splacement:      %s\n", indent, phyrbuf_placement_name(info.placement));
	printf("%snr_ranges:      %" PRIu64 "\n", indent, info.nr_ranges);
	printf("%sflavours:       %s\n", indent, names);
	if (info.format)
		printf("%simage:          %ux%u %s, stride %u, modifier linear\n", indent,
		       info.width, info.height, phyrbuf_format_name(info.format) ?: "?",
		       info.stride);
	return 0;
}

/* The ranges of @bo: all of them in JSON, the first 16 as text. */
static int print_ranges(struct phyrbuf_bo *bo, const char *indent)
{
	struct phyrbuf_range *r;
	int n, i, shown;

	n = phyrbuf_bo_ranges(bo, NULL, 0);
	if (n < 0)
		return fail("reading the buffer's physical ranges: %s%s", strerror(-n),
			    n == -EINVAL ? " (a buffer imported from another device: ask "
			    "its exporter)" : n == -EPERM ? " (the physical layout is for "
			    "CAP_SYS_ADMIN)" : "");
	r = calloc(n ? n : 1, sizeof(*r));
	if (!r)
		return fail("out of memory");
	n = phyrbuf_bo_ranges(bo, r, n);
	if (n < 0) {
		free(r);
		return fail("reading the buffer's physical ranges: %s", strerror(-n));
	}
	if (json) {
		j_open("ranges", '[');
		for (i = 0; i < n; i++) {
			j_open(NULL, '{');
			j_u64("offset", r[i].offset);
			j_u64("length", r[i].length);
			j_str("type", r[i].type == PHYRBUF_RANGE_MMIO ? "mmio" : "ram");
			if (r[i].addr)
				j_u64("addr", r[i].addr);
			else
				j_str("addr", NULL);
			j_close('}');
		}
		j_close(']');
		free(r);
		return 0;
	}
	printf("%sranges:         %d%s\n", indent, n,
	       n && !r[0].addr ? " (addresses need CAP_SYS_ADMIN)" : "");
	shown = n < 16 ? n : 16;
	for (i = 0; i < shown; i++) {
		char len[32];

		char lenhex[24];

		snprintf(lenhex, sizeof(lenhex), "0x%" PRIx64, r[i].length);
		printf("%s  %-4s 0x%012" PRIx64 "+%-10s at offset 0x%" PRIx64 " (%s)\n", indent,
		       r[i].type == PHYRBUF_RANGE_MMIO ? "mmio" : "ram", r[i].addr, lenhex,
		       r[i].offset, human(r[i].length, len, sizeof(len)));
	}
	if (n > shown)
		printf("%s  ... %d more (phyrbuf --json ranges lists all)\n", indent, n - shown);
	free(r);
	return 0;
}

static const char *offer_flags(uint32_t flags, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", flags & PHYRBUF_OFFER_MMIO ? "+mmio" : "",
		 flags & PHYRBUF_OFFER_CPU ? "+cpu" : "",
		 flags & PHYRBUF_OFFER_BRIDGE ? "(bridge)" : "");
	return buf;
}

static void j_offer(const char *key, const struct phyrbuf_offer *o)
{
	char name[32];

	j_open(key, '{');
	phyrbuf_flavour_names(o->flavour, name, sizeof(name));
	j_str("flavour", o->flavour ? name : NULL);
	j_bool("mmio", o->flags & PHYRBUF_OFFER_MMIO);
	j_bool("cpu", o->flags & PHYRBUF_OFFER_CPU);
	j_bool("bridge", o->flags & PHYRBUF_OFFER_BRIDGE);
	j_str("provider", o->provider[0] ? o->provider : NULL);
	j_close('}');
}

/* What a dma-buf offers (the structured query, and the fdinfo line). */
static int print_offers(struct phyrbuf_dev *dev, int dmabuf, const char *indent)
{
	struct phyrbuf_dmabuf_info d;
	char line[256];
	int ret;

	ret = phyrbuf_dmabuf_probe(dev, dmabuf, &d);
	if (ret)
		return fail("asking what the dma-buf offers: %s", strerror(-ret));
	ret = phyrbuf_dmabuf_flavours(dmabuf, line, sizeof(line));
	if (ret)
		return fail("reading the dma-buf's fdinfo flavours: %s", strerror(-ret));
	if (json) {
		j_open("offers", '[');
		for (uint32_t i = 0; i < d.nr_offers; i++)
			j_offer(NULL, &d.offers[i]);
		j_close(']');
		j_bool("revoked", d.status & PHYRBUF_DMABUF_REVOKED);
		j_bool("legacy", d.status & PHYRBUF_DMABUF_LEGACY);
		j_str("fdinfo", line);
		return 0;
	}
	printf("%sfdinfo:         flavours:\t%s\n", indent, line);
	printf("%soffers:        ", indent);
	for (uint32_t i = 0; i < d.nr_offers; i++) {
		char name[32], fl[32];

		phyrbuf_flavour_names(d.offers[i].flavour, name, sizeof(name));
		printf(" %s%s%s%s", name, offer_flags(d.offers[i].flags, fl, sizeof(fl)),
		       d.offers[i].provider[0] ? "@" : "", d.offers[i].provider);
	}
	printf("%s\n", d.status & PHYRBUF_DMABUF_REVOKED ? " revoked" : "");
	return 0;
}

struct alloc_opts {
	uint64_t size;
	bool have_size;
	struct phyrbuf_image image;
	bool have_image;
	enum phyrbuf_placement placement;
	uint32_t flags;
	int device;
	bool migrate;
	enum phyrbuf_placement migrate_to;
	int import_into;
	char **cmd;		/* after "--" */
};

/* The device an import goes into, with what to say when it refuses. */
static int import_error(int ret, int index, const char *node)
{
	if (ret == -EOPNOTSUPP)
		return fail("importing into device %d (%s): %s: no flavour matches: device %d "
			    "cannot reach the buffer's device memory; migrate the buffer to "
			    "system memory first (--migrate system)", index, node,
			    strerror(-ret), index);
	if (ret == -ENODEV)
		return fail("importing into device %d (%s): %s: the exporter revoked the "
			    "buffer (its device is gone)", index, node, strerror(-ret));
	if (ret == -EINVAL)
		return fail("importing into device %d (%s): %s: not a dma-buf", index, node,
			    strerror(-ret));
	return fail("importing into device %d (%s): %s", index, node, strerror(-ret));
}

static int import_into(const struct alloc_opts *o, int dmabuf, uint64_t size, uint32_t seed)
{
	struct phyrbuf_dev_info dinfo;
	struct phyrbuf_bo_info info;
	struct phyrbuf_dev *dev;
	struct phyrbuf_bo *bo;
	char names[64];
	int64_t bad;
	void *ptr;
	int ret;

	if (open_device(o->import_into, 0, &dev))
		return 1;
	ret = phyrbuf_dev_info(dev, &dinfo);
	if (ret) {
		phyrbuf_close(dev);
		return fail("device %d: info: %s", o->import_into, strerror(-ret));
	}
	ret = phyrbuf_bo_import(dev, dmabuf, &bo);
	if (ret) {
		phyrbuf_close(dev);
		return import_error(ret, o->import_into, dinfo.node);
	}
	ret = query(bo, &info);
	if (ret)
		goto out;
	phyrbuf_flavour_names(info.import_flavour, names, sizeof(names));
	if (json) {
		j_open("import", '{');
		j_int("device", o->import_into);
		j_str("node", dinfo.node);
		j_u64("handle", phyrbuf_bo_handle(bo));
		j_str("import_flavour", info.import_flavour ? names : NULL);
	} else {
		printf("import into device %d (%s, %s %s):\n", o->import_into, dinfo.node,
		       dinfo.bus, dinfo.location);
		printf("  handle:         %u\n", phyrbuf_bo_handle(bo));
		printf("  import_flavour: %s\n", names);
	}

	ret = phyrbuf_bo_map(bo, 0, size, PHYRBUF_MAP_READ, &ptr);
	if (ret) {
		ret = fail("mapping the imported buffer: %s", strerror(-ret));
		goto out;
	}
	bad = pt_check_words(ptr, size, seed);
	phyrbuf_bo_unmap(bo, ptr, size);
	if (bad >= 0) {
		ret = fail("the importer's mapping differs at byte %" PRId64, bad * 4);
		goto out;
	}
	if (json) {
		j_u64("verified", size);
		j_close('}');
	} else {
		printf("  verified:       %" PRIu64 " bytes through the importer's mapping\n",
		       size);
	}
out:
	phyrbuf_bo_close(bo);
	phyrbuf_close(dev);
	return ret ? 1 : 0;
}

/* The error of creating a buffer, with what to do about it. */
static int create_error(int ret, const struct alloc_opts *o, struct phyrbuf_dev *dev)
{
	struct phyrbuf_dev_info info = { 0 };
	char a[32], b[32], what[96];

	phyrbuf_dev_info(dev, &info);
	if (o->have_image)
		snprintf(what, sizeof(what), "creating a %ux%u %s image in %s memory",
			 o->image.width, o->image.height,
			 phyrbuf_format_name(o->image.format) ?: "?",
			 phyrbuf_placement_name(o->placement));
	else
		snprintf(what, sizeof(what), "creating a %" PRIu64 "-byte buffer in %s memory%s",
			 o->size, phyrbuf_placement_name(o->placement),
			 o->flags & PHYRBUF_BO_CONTIGUOUS ? " (contiguous)" : "");
	if (ret == -ENODEV && o->placement == PHYRBUF_PLACEMENT_DEVICE && !info.device_size)
		return fail("%s: %s: device %d (%s %s) has no device memory: use --device N "
			    "of a device that has (phyrbuf info lists them) or --placement "
			    "system", what, strerror(-ret), info.index, info.bus, info.location);
	if (ret == -ENOSPC)
		return fail("%s: %s: device memory is full (%s free of %s): close other "
			    "buffers, or use --placement system", what, strerror(-ret),
			    human(info.device_free, a, sizeof(a)),
			    human(info.device_size, b, sizeof(b)));
	if (ret == -EINVAL && o->placement == PHYRBUF_PLACEMENT_DEVICE && info.device_size &&
	    o->size > info.device_size)
		return fail("%s: %s: larger than the device memory of device %d (%s)", what,
			    strerror(-ret), info.index, human(info.device_size, a, sizeof(a)));
	if (ret == -EINVAL && (o->flags & PHYRBUF_BO_CONTIGUOUS) &&
	    o->placement == PHYRBUF_PLACEMENT_SYSTEM)
		return fail("%s: %s: --contiguous is for device memory only", what,
			    strerror(-ret));
	if (ret == -EINVAL && o->have_image)
		return fail("%s: %s: the image is not one phyr_vgem takes (width and height "
			    "1 to 16384, a single-plane RGB format, a stride of at least the "
			    "row's bytes)", what, strerror(-ret));
	return fail("%s: %s", what, strerror(-ret));
}

/* Run CMD with the dma-buf open; its exit status. */
static int run_cmd(char **cmd, int dmabuf, struct phyrbuf_bo *bo, int device)
{
	struct phyrbuf_bo_info info;
	char num[24], **argv;
	int argc, i, status;
	pid_t pid;

	for (argc = 0; cmd[argc]; argc++)
		;
	argv = calloc(argc + 1, sizeof(*argv));
	if (!argv)
		return fail("out of memory");
	snprintf(num, sizeof(num), "%d", dmabuf);
	for (i = 0; i < argc; i++)
		argv[i] = !strcmp(cmd[i], "{fd}") ? num : cmd[i];
	if (query(bo, &info)) {
		free(argv);
		return 1;
	}
	json_flush();
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		free(argv);
		return fail("fork: %s", strerror(errno));
	}
	if (!pid) {
		char v[32];

		/* the child inherits the dma-buf (and nothing else of ours) */
		fcntl(dmabuf, F_SETFD, 0);
		setenv("PHYRBUF_DMABUF_FD", num, 1);
		snprintf(v, sizeof(v), "%" PRIu64, info.size);
		setenv("PHYRBUF_SIZE", v, 1);
		snprintf(v, sizeof(v), "%d", device);
		setenv("PHYRBUF_DEVICE", v, 1);
		setenv("PHYRBUF_PLACEMENT", phyrbuf_placement_name(info.placement), 1);
		if (info.format) {
			snprintf(v, sizeof(v), "%u", info.width);
			setenv("PHYRBUF_WIDTH", v, 1);
			snprintf(v, sizeof(v), "%u", info.height);
			setenv("PHYRBUF_HEIGHT", v, 1);
			setenv("PHYRBUF_FORMAT", phyrbuf_format_name(info.format) ?: "", 1);
			snprintf(v, sizeof(v), "%u", info.stride);
			setenv("PHYRBUF_STRIDE", v, 1);
			snprintf(v, sizeof(v), "%" PRIu64, info.modifier);
			setenv("PHYRBUF_MODIFIER", v, 1);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "phyrbuf: running %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	free(argv);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return fail("waitpid: %s", strerror(errno));
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* alloc, and ranges with alloc's options */
static int do_alloc(const struct alloc_opts *o, bool ranges_only)
{
	long page = sysconf(_SC_PAGESIZE);
	struct phyrbuf_dev_info dinfo;
	struct phyrbuf_bo_info info;
	struct phyrbuf_dev *dev;
	struct phyrbuf_bo *bo;
	int ret, status = 1, dmabuf = -1;
	uint64_t size, words;
	void *ptr = NULL;
	int64_t bad;
	char sz[32];

	if (o->have_size && (!o->size || o->size % page)) {
		uint64_t up = (o->size + page - 1) / page * page;

		return fail("size %" PRIu64 " is not a multiple of the page size (%ld): use %"
			    PRIu64 " (%s)", o->size, page, up ? up : (uint64_t)page,
			    human(up ? up : (uint64_t)page, sz, sizeof(sz)));
	}
	if (open_device(o->device,
			o->device == PHYRBUF_ANY && o->placement == PHYRBUF_PLACEMENT_DEVICE ?
			PHYRBUF_OPEN_DEVICE_MEMORY : 0, &dev))
		return 1;
	ret = phyrbuf_dev_info(dev, &dinfo);
	if (ret) {
		phyrbuf_close(dev);
		return fail("device info: %s", strerror(-ret));
	}
	if (json) {
		j_open(NULL, '{');
		j_open("device", '{');
		print_dev_json(&dinfo);
		j_close('}');
	} else {
		printf("device %d:          %s (%s %s)\n", dinfo.index, dinfo.node, dinfo.bus,
		       dinfo.location);
	}

	if (o->have_image)
		ret = phyrbuf_bo_create_image(dev, &o->image, o->placement, o->flags, &bo);
	else
		ret = phyrbuf_bo_create(dev, o->size, o->placement, o->flags, &bo);
	if (ret) {
		if (json)
			fflush(stdout);
		create_error(ret, o, dev);
		phyrbuf_close(dev);
		return 1;
	}
	size = phyrbuf_bo_size(bo);
	words = size / 4;
	if (json) {
		j_open("buffer", '{');
		j_u64("handle", phyrbuf_bo_handle(bo));
	} else {
		printf("buffer:\n");
		printf("  handle:         %u\n", phyrbuf_bo_handle(bo));
	}

	ret = phyrbuf_bo_mmap(bo, &ptr);
	if (ret) {
		fail("mapping the buffer: %s", strerror(-ret));
		goto out;
	}
	phyrbuf_bo_begin_cpu_access(bo, PHYRBUF_ACCESS_WRITE);
	pt_fill_words(ptr, words * 4, SEED);
	phyrbuf_bo_end_cpu_access(bo, PHYRBUF_ACCESS_WRITE);
	if (json)
		j_u64("filled", size);
	else
		printf("  filled:         %" PRIu64 " bytes through the CPU mapping\n", size);
	if (print_query(bo, "  ") || print_ranges(bo, "  "))
		goto out;
	if (json)
		j_close('}');
	if (ranges_only) {
		status = 0;
		goto out;
	}

	ret = phyrbuf_bo_export(bo, &dmabuf);
	if (ret) {
		fail("exporting the buffer: %s", strerror(-ret));
		goto out;
	}
	if (json) {
		j_open("dmabuf", '{');
		j_int("fd", dmabuf);
	} else {
		printf("dma-buf:\n");
		printf("  fd:             %d\n", dmabuf);
	}
	if (print_offers(dev, dmabuf, "  "))
		goto out;
	if (json)
		j_close('}');

	if (o->migrate) {
		ret = phyrbuf_bo_migrate(bo, o->migrate_to);
		if (ret) {
			if (ret == -ENODEV && !dinfo.device_size)
				fail("migrating to %s memory: %s: device %d has no device memory",
				     phyrbuf_placement_name(o->migrate_to), strerror(-ret),
				     dinfo.index);
			else if (ret == -ENOSPC)
				fail("migrating to %s memory: %s: device memory is full",
				     phyrbuf_placement_name(o->migrate_to), strerror(-ret));
			else
				fail("migrating to %s memory: %s",
				     phyrbuf_placement_name(o->migrate_to), strerror(-ret));
			goto out;
		}
		if (json)
			j_open("migrated", '{');
		else
			printf("migrated to %s:\n", phyrbuf_placement_name(o->migrate_to));
		if (print_query(bo, "  ") || print_offers(dev, dmabuf, "  "))
			goto out;
		bad = pt_check_words(ptr, words * 4, SEED);
		if (bad >= 0) {
			fail("after migrating, the contents differ at byte %" PRId64, bad * 4);
			goto out;
		}
		if (json)
			j_u64("verified", size);
		else
			printf("  verified:       %" PRIu64 " bytes survived, read through the "
			       "live mapping\n", size);
		if (json)
			j_close('}');
	}

	if (o->import_into >= 0 && import_into(o, dmabuf, size, SEED))
		goto out;

	if (query(bo, &info))
		goto out;
	if (o->cmd) {
		if (json) {
			j_open("command", '[');
			for (char **a = o->cmd; *a; a++)
				j_str(NULL, *a);
			j_close(']');
			j_close('}');
		} else {
			printf("running with the dma-buf as fd %d:", dmabuf);
			for (char **a = o->cmd; *a; a++) {
				if (!strcmp(*a, "{fd}"))
					printf(" %d", dmabuf);
				else
					printf(" %s", *a);
			}
			printf("\n");
		}
		status = run_cmd(o->cmd, dmabuf, bo, dinfo.index);
		goto done;
	}
	status = 0;
out:
	if (json && !status)
		j_close('}');
done:
	fflush(stdout);
	if (dmabuf >= 0)
		close(dmabuf);
	if (ptr)
		phyrbuf_bo_munmap(bo, ptr);
	phyrbuf_bo_close(bo);
	phyrbuf_close(dev);
	return status;
}

/* ---- commands on a dma-buf fd ---- */

static int check_fd(int fd, const char *cmd)
{
	if (fcntl(fd, F_GETFD) < 0)
		return fail("fd %d is not open: pass a dma-buf fd this process has (e.g. "
			    "phyrbuf alloc --size 1M -- phyrbuf %s --fd {fd})", fd, cmd);
	return 0;
}

/* ranges --fd: the exporting device's own buffer behind the dma-buf */
static int ranges_fd(int fd)
{
	int nr = phyrbuf_device_count(), i, ret;

	if (check_fd(fd, "ranges"))
		return 1;
	if (!nr)
		return no_device_error(-ENODEV, "ranges");
	for (i = 0; i < nr; i++) {
		struct phyrbuf_dmabuf_info d;
		struct phyrbuf_dev_info dinfo;
		struct phyrbuf_dev *dev;
		struct phyrbuf_bo *bo;

		if (open_device(i, 0, &dev))
			return 1;
		ret = phyrbuf_dmabuf_probe(dev, fd, &d);
		if (ret) {
			phyrbuf_close(dev);
			return fail("fd %d: %s%s", fd, strerror(-ret),
				    ret == -EINVAL ? ": not a dma-buf" : "");
		}
		if (!(d.status & PHYRBUF_DMABUF_OWN)) {
			phyrbuf_close(dev);
			continue;
		}
		ret = phyrbuf_bo_import(dev, fd, &bo);
		if (ret) {
			phyrbuf_close(dev);
			return fail("importing fd %d into its own device %d: %s", fd, i,
				    strerror(-ret));
		}
		phyrbuf_dev_info(dev, &dinfo);
		if (json) {
			j_open(NULL, '{');
			j_open("device", '{');
			print_dev_json(&dinfo);
			j_close('}');
			j_open("buffer", '{');
		} else {
			printf("device %d:          %s (%s %s)\n", i, dinfo.node, dinfo.bus,
			       dinfo.location);
			printf("buffer:\n");
		}
		ret = print_query(bo, "  ") || print_ranges(bo, "  ");
		if (json && !ret) {
			j_close('}');
			j_close('}');
		}
		phyrbuf_bo_close(bo);
		phyrbuf_close(dev);
		return ret;
	}
	return fail("fd %d is not a buffer of a phyr_vgem device (its ranges are its "
		    "exporter's to tell): phyrbuf probe --fd %d says what it offers", fd, fd);
}

static int cmd_probe(int fd, int device)
{
	int nr = phyrbuf_device_count(), i, ret, first = 1;
	char line[256];

	if (check_fd(fd, "probe"))
		return 1;
	if (!nr)
		return no_device_error(-ENODEV, "probe");
	for (i = 0; i < nr; i++) {
		struct phyrbuf_dmabuf_info d;
		struct phyrbuf_dev_info dinfo;
		struct phyrbuf_dev *dev;
		char name[32];

		if (device >= 0 && i != device)
			continue;
		if (open_device(i, 0, &dev))
			return 1;
		phyrbuf_dev_info(dev, &dinfo);
		ret = phyrbuf_dmabuf_probe(dev, fd, &d);
		phyrbuf_close(dev);
		if (ret)
			return fail("fd %d: %s%s", fd, strerror(-ret),
				    ret == -EINVAL ? ": not a dma-buf" : "");
		if (first) {
			first = 0;
			if (phyrbuf_dmabuf_flavours(fd, line, sizeof(line)))
				line[0] = '\0';
			if (json) {
				j_open(NULL, '{');
				j_int("fd", fd);
				j_open("offers", '[');
				for (uint32_t k = 0; k < d.nr_offers; k++)
					j_offer(NULL, &d.offers[k]);
				j_close(']');
				j_bool("revoked", d.status & PHYRBUF_DMABUF_REVOKED);
				j_bool("legacy", d.status & PHYRBUF_DMABUF_LEGACY);
				j_str("fdinfo", line);
				j_open("devices", '[');
			} else {
				printf("dma-buf fd %d:\n", fd);
				printf("  fdinfo:         flavours:\t%s\n", line);
				printf("  offers:        ");
				for (uint32_t k = 0; k < d.nr_offers; k++) {
					char fl[32];

					phyrbuf_flavour_names(d.offers[k].flavour, name,
							      sizeof(name));
					printf(" %s%s%s%s", name,
					       offer_flags(d.offers[k].flags, fl, sizeof(fl)),
					       d.offers[k].provider[0] ? "@" : "",
					       d.offers[k].provider);
				}
				printf("%s%s\n", d.status & PHYRBUF_DMABUF_LEGACY ?
				       " (legacy exporter)" : "",
				       d.status & PHYRBUF_DMABUF_REVOKED ? " revoked" : "");
			}
		}
		phyrbuf_flavour_names(d.import.flavour, name, sizeof(name));
		if (json) {
			j_open(NULL, '{');
			j_int("device", i);
			j_str("node", dinfo.node);
			j_bool("own", d.status & PHYRBUF_DMABUF_OWN);
			j_offer("import", &d.import);
			if (d.import_error)
				j_str("import_error", strerror(-d.import_error));
			else
				j_str("import_error", NULL);
			j_close('}');
		} else if (d.status & PHYRBUF_DMABUF_OWN) {
			printf("  device %d:       its own buffer (an import gives it back)\n", i);
		} else if (d.import_error) {
			printf("  device %d:       cannot import: %s\n", i,
			       strerror(-d.import_error));
		} else {
			char fl[32];

			printf("  device %d:       would negotiate %s%s%s%s\n", i, name,
			       offer_flags(d.import.flags, fl, sizeof(fl)),
			       d.import.provider[0] ? "@" : "", d.import.provider);
		}
	}
	if (first)
		return open_error(-ENODEV, device, 0);
	if (json) {
		j_close(']');
		j_close('}');
	}
	return 0;
}

static int cmd_import(int fd, int device, bool verify)
{
	struct phyrbuf_dev_info dinfo;
	struct phyrbuf_bo_info info;
	struct phyrbuf_dev *dev;
	struct phyrbuf_bo *bo;
	char names[64];
	int ret, status = 1;

	if (check_fd(fd, "import"))
		return 1;
	if (open_device(device, 0, &dev))
		return 1;
	phyrbuf_dev_info(dev, &dinfo);
	ret = phyrbuf_bo_import(dev, fd, &bo);
	if (ret) {
		phyrbuf_close(dev);
		return import_error(ret, dinfo.index, dinfo.node);
	}
	if (query(bo, &info))
		goto out;
	phyrbuf_flavour_names(info.import_flavour, names, sizeof(names));
	if (json) {
		j_open(NULL, '{');
		j_int("device", dinfo.index);
		j_str("node", dinfo.node);
		j_u64("handle", phyrbuf_bo_handle(bo));
		j_u64("size", info.size);
		j_str("placement", phyrbuf_placement_name(info.placement));
		j_str("import_flavour", info.import_flavour ? names : NULL);
		j_bool("own", !info.import_flavour && info.flavours);
	} else {
		printf("import into device %d (%s, %s %s):\n", dinfo.index, dinfo.node,
		       dinfo.bus, dinfo.location);
		printf("  size:           %" PRIu64 " bytes\n", info.size);
		printf("  placement:      %s\n", phyrbuf_placement_name(info.placement));
		printf("  import_flavour: %s\n", info.import_flavour ? names :
		       "none (the device's own buffer)");
	}
	if (verify) {
		void *ptr;
		int64_t bad;

		ret = phyrbuf_bo_map(bo, 0, info.size, PHYRBUF_MAP_READ, &ptr);
		if (ret) {
			fail("mapping the imported buffer: %s", strerror(-ret));
			goto out;
		}
		phyrbuf_bo_begin_cpu_access(bo, PHYRBUF_ACCESS_READ);
		bad = pt_check_words(ptr, info.size, SEED);
		phyrbuf_bo_end_cpu_access(bo, PHYRBUF_ACCESS_READ);
		phyrbuf_bo_unmap(bo, ptr, info.size);
		if (bad >= 0) {
			fail("the buffer is not phyrbuf alloc's pattern: byte %" PRId64
			     " differs", bad * 4);
			goto out;
		}
		if (json)
			j_u64("verified", info.size);
		else
			printf("  verified:       %" PRIu64 " bytes of phyrbuf alloc's pattern\n",
			       info.size);
	}
	if (json)
		j_close('}');
	status = 0;
out:
	fflush(stdout);
	phyrbuf_bo_close(bo);
	phyrbuf_close(dev);
	return status;
}

/* ---- command lines ---- */

enum { OPT_SIZE = 256, OPT_PLACEMENT, OPT_CONTIGUOUS, OPT_DEVICE, OPT_MIGRATE,
       OPT_IMPORT_INTO, OPT_WIDTH, OPT_HEIGHT, OPT_FORMAT, OPT_STRIDE, OPT_FD,
       OPT_VERIFY, OPT_HELP };

static const struct option all_opts[] = {
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "placement", required_argument, NULL, OPT_PLACEMENT },
	{ "contiguous", no_argument, NULL, OPT_CONTIGUOUS },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "migrate", required_argument, NULL, OPT_MIGRATE },
	{ "import-into", required_argument, NULL, OPT_IMPORT_INTO },
	{ "width", required_argument, NULL, OPT_WIDTH },
	{ "height", required_argument, NULL, OPT_HEIGHT },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "stride", required_argument, NULL, OPT_STRIDE },
	{ "fd", required_argument, NULL, OPT_FD },
	{ "verify", no_argument, NULL, OPT_VERIFY },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

struct cmdline {
	struct alloc_opts a;
	int fd;
	bool verify;
	unsigned int seen;	/* 1 << (OPT_* - OPT_SIZE) */
	bool help;
};

#define SEEN(opt)	(1u << ((opt) - OPT_SIZE))
#define ALLOC_OPTS	(SEEN(OPT_SIZE) | SEEN(OPT_PLACEMENT) | SEEN(OPT_CONTIGUOUS) | \
			 SEEN(OPT_DEVICE) | SEEN(OPT_MIGRATE) | SEEN(OPT_IMPORT_INTO) | \
			 SEEN(OPT_WIDTH) | SEEN(OPT_HEIGHT) | SEEN(OPT_FORMAT) | \
			 SEEN(OPT_STRIDE))
#define IMAGE_OPTS	(SEEN(OPT_WIDTH) | SEEN(OPT_HEIGHT) | SEEN(OPT_FORMAT) | \
			 SEEN(OPT_STRIDE))

static const char *opt_name(int opt)
{
	for (const struct option *o = all_opts; o->name; o++)
		if (o->val == opt)
			return o->name;
	return "?";
}

/* Parse the options of @cmd (allowed: @allowed); 0, or the exit status. */
static int parse(const char *cmd, int argc, char **argv, unsigned int allowed,
		 bool allow_cmd, struct cmdline *c)
{
	long v;
	int opt, status;

	memset(c, 0, sizeof(*c));
	c->a.placement = PHYRBUF_PLACEMENT_SYSTEM;
	c->a.device = PHYRBUF_ANY;
	c->a.import_into = -1;
	c->a.image.modifier = PHYRBUF_MODIFIER_LINEAR;
	c->fd = -1;
	cli_opts_begin();
	while ((opt = cli_getopt(argc, argv, "+:", all_opts, cmd, NULL, &status)) != -1) {
		if (opt == CLI_EXIT)
			return status;
		if (opt >= OPT_SIZE && opt < OPT_HELP) {
			if (!(allowed & SEEN(opt)))
				return usage_error("%s: option '--%s' is not for this command",
						   cmd, opt_name(opt));
			c->seen |= SEEN(opt);
		}
		switch (opt) {
		case OPT_SIZE:
			if (!parse_size(optarg, &c->a.size))
				return usage_error("bad size '%s'", optarg);
			c->a.have_size = true;
			break;
		case OPT_PLACEMENT:
			if (opt_placement(optarg, &c->a.placement))
				return 2;
			break;
		case OPT_CONTIGUOUS:
			c->a.flags |= PHYRBUF_BO_CONTIGUOUS;
			break;
		case OPT_DEVICE:
			if (opt_device(optarg, &c->a.device))
				return 2;
			break;
		case OPT_MIGRATE:
			if (opt_placement(optarg, &c->a.migrate_to))
				return 2;
			c->a.migrate = true;
			break;
		case OPT_IMPORT_INTO:
			if (opt_device(optarg, &c->a.import_into))
				return 2;
			break;
		case OPT_WIDTH:
		case OPT_HEIGHT:
		case OPT_STRIDE:
			if (!parse_uint(optarg, UINT32_MAX, &v))
				return usage_error("bad %s '%s'", opt_name(opt), optarg);
			if (opt == OPT_WIDTH)
				c->a.image.width = v;
			else if (opt == OPT_HEIGHT)
				c->a.image.height = v;
			else
				c->a.image.stride = v;
			break;
		case OPT_FORMAT:
			if (phyrbuf_format_parse(optarg, &c->a.image.format, NULL))
				return usage_error("unknown format '%s' (phyr_vgem takes "
						   "single-plane RGB formats: XRGB8888, "
						   "ARGB8888, RGB565, R8, ...)", optarg);
			break;
		case OPT_FD:
			if (!parse_uint(optarg, INT32_MAX, &v))
				return usage_error("bad fd '%s'", optarg);
			c->fd = v;
			break;
		case OPT_VERIFY:
			c->verify = true;
			break;
		case OPT_HELP:
			c->help = true;
			break;
		}
	}
	if (allow_cmd && optind > 1 && !strcmp(argv[optind - 1], "--")) {
		if (optind == argc)
			return usage_error("%s: '--' needs a command to run", cmd);
		c->a.cmd = &argv[optind];
		return 0;
	}
	return cli_no_args(argc, argv, &status) ? status : 0;
}

/* The buffer options of alloc (and ranges): a size or an image. */
static int check_alloc(const char *cmd, struct cmdline *c)
{
	if (c->seen & IMAGE_OPTS) {
		if (!(c->seen & SEEN(OPT_WIDTH)) || !(c->seen & SEEN(OPT_HEIGHT)) ||
		    !(c->seen & SEEN(OPT_FORMAT)))
			return usage_error("%s: an image needs --width, --height and --format",
					   cmd);
		c->a.have_image = true;
		/* --size with an image: a larger buffer than the image needs */
		if (c->a.have_size)
			return usage_error("%s: --size or an image, not both", cmd);
	} else if (!c->a.have_size) {
		return usage_error("%s needs --size (or --width, --height and --format)", cmd);
	}
	return 0;
}

static int run(int argc, char **argv);

int main(int argc, char **argv)
{
	int status = run(argc, argv);

	json_end(status == 0);
	return status;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct cmdline c;
	const char *cmd;
	int opt, ret;

	/* global options only up to the command */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+hVj", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("phyrbuf " PHYRBUF_VERSION " (libphyrbuf %s)\n",
			       phyrbuf_version_string());
			return 0;
		case 'j':
			if (!json && json_begin())
				return 1;
			json = true;
			break;
		default:
			return usage_error("bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("no command");
	cmd = argv[optind];
	argc -= optind;
	argv += optind;

	if (!strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "info")) {
		if (argc > 1)
			return usage_error("info takes no arguments");
		return cmd_info();
	}
	if (!strcmp(cmd, "alloc")) {
		ret = parse(cmd, argc, argv, ALLOC_OPTS, true, &c);
		if (ret || c.help)
			return c.help ? (usage(stdout), 0) : ret;
		ret = check_alloc(cmd, &c);
		return ret ? ret : do_alloc(&c.a, false);
	}
	if (!strcmp(cmd, "ranges")) {
		ret = parse(cmd, argc, argv, ALLOC_OPTS | SEEN(OPT_FD), false, &c);
		if (ret || c.help)
			return c.help ? (usage(stdout), 0) : ret;
		if (c.seen & SEEN(OPT_FD)) {
			if (c.seen & ALLOC_OPTS)
				return usage_error("ranges: --fd or alloc's options, not both");
			return ranges_fd(c.fd);
		}
		ret = check_alloc(cmd, &c);
		return ret ? ret : do_alloc(&c.a, true);
	}
	if (!strcmp(cmd, "probe") || !strcmp(cmd, "import")) {
		bool import = !strcmp(cmd, "import");

		ret = parse(cmd, argc, argv, SEEN(OPT_FD) | SEEN(OPT_DEVICE) |
			    (import ? SEEN(OPT_VERIFY) : 0), false, &c);
		if (ret || c.help)
			return c.help ? (usage(stdout), 0) : ret;
		if (!(c.seen & SEEN(OPT_FD)))
			return usage_error("%s needs --fd", cmd);
		if (import)
			return cmd_import(c.fd, c.a.device == PHYRBUF_ANY ? 0 : c.a.device,
					  c.verify);
		return cmd_probe(c.fd, c.a.device == PHYRBUF_ANY ? -1 : c.a.device);
	}
	if (!strcmp(cmd, "rdma")) {
#ifdef PHYRBUF_HAVE_RDMA
		return cmd_rdma(argc, argv);
#else
		return fail("rdma: built without rdma-core (libibverbs)");
#endif
	}
	if (!strcmp(cmd, "vfio-dma"))
		return cmd_vfio_dma(argc, argv);
	if (!strcmp(cmd, "devmem-send"))
		return cmd_devmem_send(argc, argv);
	if (!strcmp(cmd, "devmem-recv"))
		return cmd_devmem_recv(argc, argv);
	return usage_error("unknown command '%s'", cmd);
}
