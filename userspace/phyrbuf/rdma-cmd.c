// SPDX-License-Identifier: MIT
/*
 * phyrbuf rdma: phyr_vgem buffers as RDMA memory regions on soft-RoCE.
 *
 *   phyrbuf rdma devices
 *   phyrbuf rdma demo  [--size SIZE] [--nic DEV] [--peer DEV] [--device N]
 *   phyrbuf rdma bench [--size SIZE] [--reps N] [--nic DEV] [--peer DEV] [--fragmented]
 *
 * Copyright 2026 The phyr developers
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "phyrbuf.h"
#include "rdma-cmd.h"
#include "rdma-pair.h"
#include "cli.h"
#include "phyr-frag.h"
#include "phyr-test.h"

/* where the demo's memory region sits for the peer */
#define DEMO_IOVA	0x40000000ULL
#define CHUNK		(256u << 10)
#define DEPTH		16

static int rfail(const char *what, int err)
{
	fprintf(stderr, "phyrbuf: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return 1;
}

static int check_failed(const char *what)
{
	printf("CHECK FAILED: %s\n", what);
	return 1;
}

static int cmd_devices(void)
{
	struct ibv_device **list;
	int n, i;

	list = ibv_get_device_list(&n);
	if (!list)
		return rfail("ibv_get_device_list", errno);
	if (!n)
		printf("no RDMA devices\n");
	for (i = 0; i < n; i++) {
		struct rp_dev d;
		char gid[64];
		int ret = rp_dev_open(&d, ibv_get_device_name(list[i]));

		if (ret) {
			printf("%s: %s\n", ibv_get_device_name(list[i]), strerror(-ret));
			continue;
		}
		printf("%s: port %u active, mtu %d, RoCE v2 GID %d %s\n", d.name,
		       d.port, 128 << d.mtu, d.gid_index,
		       rp_gid_str(&d.gid, gid, sizeof(gid)));
		rp_dev_close(&d);
	}
	ibv_free_device_list(list);
	return 0;
}

/* the side that owns the buffer (the "NIC") and the peer, connected */
struct pair {
	struct rp_dev nic, peer;
	struct rp_qp nq, pq;
	uint8_t *pbuf;			/* the peer's own memory */
	struct ibv_mr *pmr;
	uint64_t plen;
};

static int pair_open(struct pair *p, const char *nic, const char *peer,
		     uint64_t len)
{
	int ret;

	memset(p, 0, sizeof(*p));
	ret = rp_dev_open(&p->nic, nic);
	if (ret)
		return rfail(nic, ret);
	ret = rp_dev_open(&p->peer, peer);
	if (ret)
		return rfail(peer, ret);
	ret = rp_qp_create(&p->nq, &p->nic, DEPTH);
	if (!ret)
		ret = rp_qp_create(&p->pq, &p->peer, DEPTH);
	if (!ret)
		ret = rp_qp_connect(&p->nq, &p->pq);
	if (ret)
		return rfail("connecting the queue pairs", ret);
	p->plen = len;
	p->pbuf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p->pbuf == MAP_FAILED)
		return rfail("peer memory", errno);
	p->pmr = ibv_reg_mr(p->peer.pd, p->pbuf, len, IBV_ACCESS_LOCAL_WRITE |
			    IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE);
	if (!p->pmr)
		return rfail("ibv_reg_mr of the peer's memory", errno);
	return 0;
}

static void pair_close(struct pair *p)
{
	if (p->pmr)
		ibv_dereg_mr(p->pmr);
	if (p->pbuf && p->pbuf != MAP_FAILED)
		munmap(p->pbuf, p->plen);
	rp_qp_destroy(&p->nq);
	rp_qp_destroy(&p->pq);
	rp_dev_close(&p->nic);
	rp_dev_close(&p->peer);
}

/* The peer writes (or reads) @len bytes of the MR; MB/s, or < 0. */
static double timed(struct pair *p, enum ibv_wr_opcode op, struct ibv_mr *mr,
		    uint64_t len, int *status)
{
	double t0 = rp_now(), t;

	*status = rp_transfer(&p->pq, op, p->pmr, (uintptr_t)p->pbuf, DEMO_IOVA,
			      mr->rkey, len, CHUNK);
	t = rp_now() - t0;
	return t > 0 ? len / t / 1e6 : 0;
}

static const char *status_str(int status)
{
	if (status < 0)
		return strerror(-status);
	return ibv_wc_status_str(status);
}

struct demo_opts {
	uint64_t size;
	const char *nic, *peer;
	int device;
	bool fragmented;
};

static int demo(const struct demo_opts *o)
{
	struct phyrbuf_dev *dev = NULL, *other = NULL;
	struct phyrbuf_bo *bo = NULL, *imp = NULL;
	struct phyrbuf_bo_info info;
	struct phyrbuf_dev_info di;
	struct ibv_mr *mr = NULL;
	char line[256], gid[64];
	int ret, status, fd = -1, bad = 0, i;
	struct pair p;
	double t0, mbs;
	uint8_t *map = NULL;

	printf("== GPU-to-NIC: a buffer in device memory as an RDMA memory region\n");
	ret = phyrbuf_open(o->device, PHYRBUF_OPEN_DEVICE_MEMORY, &dev);
	if (ret)
		return rfail("no phyr_vgem device with device memory", ret);
	phyrbuf_dev_info(dev, &di);
	ret = phyrbuf_bo_create(dev, o->size, PHYRBUF_PLACEMENT_DEVICE, 0, &bo);
	if (ret) {
		bad = rfail("creating the buffer in device memory", ret);
		goto out;
	}
	ret = phyrbuf_bo_mmap(bo, (void **)&map);
	if (!ret)
		ret = phyrbuf_bo_query(bo, &info);
	if (!ret)
		ret = phyrbuf_bo_export(bo, &fd);
	if (ret) {
		bad = rfail("buffer", ret);
		goto out;
	}
	printf("buffer:      %" PRIu64 " MiB in the device memory of %s (%s %s), %" PRIu64 " range(s)\n",
	       o->size >> 20, di.node, di.bus, di.location, (uint64_t)info.nr_ranges);
	if (!phyrbuf_dmabuf_flavours(fd, line, sizeof(line)))
		printf("dma-buf:     flavours %s\n", line);

	if (pair_open(&p, o->nic, o->peer, o->size)) {
		bad = 1;
		goto out_pair;
	}
	t0 = rp_now();
	ret = phyrbuf_bo_reg_mr(bo, p.nic.pd, 0, o->size, DEMO_IOVA,
				IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
				IBV_ACCESS_REMOTE_READ, &mr);
	if (ret) {
		bad = rfail("ibv_reg_dmabuf_mr", ret);
		goto out_pair;
	}
	printf("NIC MR:      %s (%s), ibv_reg_dmabuf_mr in %.2f ms, rkey %#x\n",
	       p.nic.name, rp_gid_str(&p.nic.gid, gid, sizeof(gid)),
	       (rp_now() - t0) * 1e3, mr->rkey);

	/* a second importer: the other phyr_vgem device with device memory */
	for (i = 0; i < phyrbuf_device_count() && !other; i++) {
		struct phyrbuf_dev_info oi;

		if (phyrbuf_open(i, PHYRBUF_OPEN_DEVICE_MEMORY, &other))
			continue;
		phyrbuf_dev_info(other, &oi);
		if (!strcmp(oi.node, di.node) || phyrbuf_bo_import(other, fd, &imp)) {
			phyrbuf_close(other);
			other = NULL;
		}
	}
	if (rp_dmabuf_importers(fd, line, sizeof(line)) > 0)
		printf("importers:   %s\n", line);
	if (!strstr(line, "cpu_access"))
		bad |= check_failed("the NIC negotiated cpu_access");
	printf("peer:        %s (%s, the other end of the veth, its own network namespace)\n",
	       p.peer.name, rp_gid_str(&p.peer.gid, gid, sizeof(gid)));

	pt_fill_bytes(p.pbuf, 0, o->size, 1);
	mbs = timed(&p, IBV_WR_RDMA_WRITE, mr, o->size, &status);
	printf("RDMA WRITE:  %" PRIu64 " MiB from the peer into device memory: %.1f MB/s, %s\n",
	       o->size >> 20, mbs, status_str(status));
	if (status)
		bad |= check_failed("the peer's RDMA WRITE completed");
	if (memcmp(map, p.pbuf, o->size))
		bad |= check_failed("the pattern is in the buffer, through its mmap");
	else
		printf("verified:    every byte, through the buffer's mmap\n");

	memset(p.pbuf, 0, o->size);
	mbs = timed(&p, IBV_WR_RDMA_READ, mr, o->size, &status);
	if (status || memcmp(map, p.pbuf, o->size))
		bad |= check_failed("RDMA READ gives the buffer back");
	printf("RDMA READ:   %" PRIu64 " MiB back to the peer: %.1f MB/s, %s\n",
	       o->size >> 20, mbs, status || memcmp(map, p.pbuf, o->size) ?
	       "DIFFERENT" : "every byte matches");

	ret = phyrbuf_bo_migrate(bo, PHYRBUF_PLACEMENT_SYSTEM);
	if (!ret)
		ret = phyrbuf_bo_query(bo, &info);
	if (ret) {
		bad = rfail("migrating to system memory", ret);
		goto out_pair;
	}
	printf("migrate:     to %s memory; the MR stays registered (the kernel dropped its mapping)\n",
	       phyrbuf_placement_name(info.placement));
	pt_fill_bytes(p.pbuf, 0, o->size, 2);
	mbs = timed(&p, IBV_WR_RDMA_WRITE, mr, o->size, &status);
	printf("RDMA WRITE:  %" PRIu64 " MiB into the moved buffer: %.1f MB/s, %s\n",
	       o->size >> 20, mbs, status_str(status));
	if (status)
		bad |= check_failed("the write after the migration completed");
	if (memcmp(map, p.pbuf, o->size))
		bad |= check_failed("the new pattern is in system memory");
	else
		printf("verified:    it landed in system memory: the MR followed the buffer\n");
	if (rp_dmabuf_importers(fd, line, sizeof(line)) > 0)
		printf("importers:   %s\n", line);

out_pair:
	if (mr)
		ibv_dereg_mr(mr);
	pair_close(&p);
out:
	if (imp)
		phyrbuf_bo_close(imp);
	if (other)
		phyrbuf_close(other);
	if (fd >= 0)
		close(fd);
	if (map)
		phyrbuf_bo_munmap(bo, map);
	if (bo)
		phyrbuf_bo_close(bo);
	phyrbuf_close(dev);
	printf("%s\n", bad ? "rdma demo: FAILED" : "rdma demo: OK");
	return bad ? 1 : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Registration of a phyr_vgem dma-buf against ibv_reg_mr() of anonymous
 * memory of the same size on the same device, both populated first, best
 * and median of @reps; then the peer's RDMA WRITE throughput into device
 * and system memory.  With --fragmented each of the two buffers is
 * allocated right after free memory of its kind was fragmented
 * (phyr-frag.h): one physical range per page, as a long-running system has
 * them, rather than a fresh guest's long runs; the ranges are printed.
 */
static int bench(const struct demo_opts *o, int reps)
{
	double *tdma = calloc(reps, sizeof(double)), *tanon = calloc(reps, sizeof(double));
	struct phyrbuf_dev *sys = NULL, *dev = NULL;
	struct phyrbuf_bo *bo = NULL;
	const int acc = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			IBV_ACCESS_REMOTE_READ;
	struct phyrbuf_bo_info info;
	struct pt_frag frag;
	struct ibv_mr *mr;
	struct rp_dev nic;
	uint8_t *anon, *map;
	int ret, r, status;
	uint64_t wsize, runs;
	struct pair p;
	double t0;

	if (!tdma || !tanon)
		return rfail("memory", ENOMEM);
	ret = rp_dev_open(&nic, o->nic);
	if (ret)
		return rfail(o->nic, ret);
	ret = phyrbuf_open(PHYRBUF_ANY, 0, &sys);
	if (!ret && o->fragmented)
		ret = pt_frag_begin(&frag, PT_FRAG_UNMOVABLE, o->size / PT_FRAG_PAGE);
	if (!ret)
		ret = phyrbuf_bo_create(sys, o->size, PHYRBUF_PLACEMENT_SYSTEM, 0, &bo);
	if (!ret)
		ret = phyrbuf_bo_mmap(bo, (void **)&map);
	if (ret)
		return rfail("a system-memory buffer", ret);
	memset(map, 1, o->size);
	if (o->fragmented)
		pt_frag_end(&frag);
	ret = phyrbuf_bo_query(bo, &info);
	if (ret)
		return rfail("BO_QUERY", ret);
	if (o->fragmented) {
		ret = pt_frag_begin(&frag, PT_FRAG_MOVABLE, o->size / PT_FRAG_PAGE);
		if (ret)
			return rfail("fragmenting free memory", ret);
	}
	anon = mmap(NULL, o->size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (anon == MAP_FAILED)
		return rfail("anonymous memory", errno);
	memset(anon, 1, o->size);
	if (o->fragmented)
		pt_frag_end(&frag);
	runs = pt_pfn_runs(anon, o->size);
	printf("buffers of %" PRIu64 " pages%s: phyr_vgem %" PRIu64 " physical ranges, anonymous %" PRIu64 "%s\n",
	       o->size / PT_FRAG_PAGE,
	       o->fragmented ? ", allocated after fragmenting free memory" : "",
	       (uint64_t)info.nr_ranges, runs, runs ? "" : " (unknown)");
	for (r = 0; r < reps; r++) {
		/* take turns at going first */
		int k;

		for (k = 0; k < 2; k++) {
			if ((r + k) % 2 == 0) {
				t0 = rp_now();
				ret = phyrbuf_bo_reg_mr(bo, nic.pd, 0, o->size, 0, acc, &mr);
				tdma[r] = rp_now() - t0;
				if (ret)
					return rfail("ibv_reg_dmabuf_mr", ret);
			} else {
				t0 = rp_now();
				mr = ibv_reg_mr(nic.pd, anon, o->size, acc);
				tanon[r] = rp_now() - t0;
				if (!mr)
					return rfail("ibv_reg_mr", errno);
			}
			ibv_dereg_mr(mr);
		}
	}
	qsort(tdma, reps, sizeof(double), cmp_double);
	qsort(tanon, reps, sizeof(double), cmp_double);
	printf("register %" PRIu64 " MiB on %s, best / median of %d:\n", o->size >> 20,
	       nic.name, reps);
	printf("  ibv_reg_dmabuf_mr (phyr_vgem, system memory)  %9.2f ms / %9.2f ms\n",
	       tdma[0] * 1e3, tdma[reps / 2] * 1e3);
	printf("  ibv_reg_mr (anonymous memory, pinned)         %9.2f ms / %9.2f ms\n",
	       tanon[0] * 1e3, tanon[reps / 2] * 1e3);
	printf("  ratio ibv_reg_mr / ibv_reg_dmabuf_mr          %9.2fx   / %9.2fx\n",
	       tanon[0] / tdma[0], tanon[reps / 2] / tdma[reps / 2]);
	munmap(anon, o->size);
	phyrbuf_bo_munmap(bo, map);
	phyrbuf_bo_close(bo);
	phyrbuf_close(sys);
	rp_dev_close(&nic);

	/* WRITE throughput: device memory, then system memory, same MR */
	ret = phyrbuf_open(PHYRBUF_ANY, PHYRBUF_OPEN_DEVICE_MEMORY, &dev);
	if (ret)
		return rfail("no device memory", ret);
	wsize = 32u << 20;
	if (pair_open(&p, o->nic, o->peer, wsize))
		return 1;
	ret = phyrbuf_bo_create(dev, wsize, PHYRBUF_PLACEMENT_DEVICE, 0, &bo);
	if (!ret)
		ret = phyrbuf_bo_reg_mr(bo, p.nic.pd, 0, wsize, DEMO_IOVA, acc, &mr);
	if (ret)
		return rfail("a device-memory MR", ret);
	printf("peer's RDMA WRITE of %" PRIu64 " MiB into the MR, best of %d:\n",
	       wsize >> 20, reps);
	for (int place = 0; place < 2; place++) {
		double best = 0, mbs;

		if (place) {
			ret = phyrbuf_bo_migrate(bo, PHYRBUF_PLACEMENT_SYSTEM);
			if (ret)
				return rfail("migrate", ret);
		}
		for (r = 0; r < reps; r++) {
			mbs = timed(&p, IBV_WR_RDMA_WRITE, mr, wsize, &status);
			if (status)
				return rfail("RDMA WRITE", status < 0 ? status : EIO);
			best = mbs > best ? mbs : best;
		}
		printf("  into %s memory  %8.1f MB/s\n", place ? "system" : "device", best);
	}
	ibv_dereg_mr(mr);
	phyrbuf_bo_close(bo);
	pair_close(&p);
	phyrbuf_close(dev);
	free(tdma);
	free(tanon);
	return 0;
}

static const char rdma_usage[] =
	"usage: phyrbuf rdma devices\n"
	"       phyrbuf rdma demo  [--size SIZE] [--nic DEV] [--peer DEV] [--device N]\n"
	"       phyrbuf rdma bench [--size SIZE] [--reps N] [--nic DEV] [--peer DEV] [--fragmented]\n";

int cmd_rdma(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "nic", required_argument, NULL, 'n' },
		{ "peer", required_argument, NULL, 'p' },
		{ "device", required_argument, NULL, 'd' },
		{ "reps", required_argument, NULL, 'r' },
		{ "fragmented", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct demo_opts o = {
		.size = 16u << 20, .nic = "rxe0", .peer = "rxe1", .device = PHYRBUF_ANY,
	};
	const char *sub;
	int c, reps = 5, status;
	long v;

	if (argc < 2) {
		fputs(rdma_usage, stderr);
		return 2;
	}
	sub = argv[1];
	argc--;
	argv++;
	cli_opts_begin();
	while ((c = cli_getopt(argc, argv, "+:", opts, "rdma", rdma_usage, &status)) != -1) {
		switch (c) {
		case CLI_EXIT:
			return status;
		case 's':
			if (!parse_size(optarg, &o.size) || !o.size || o.size % 4096)
				return usage_error("bad size '%s' (a multiple of 4K)", optarg);
			break;
		case 'n':
			o.nic = optarg;
			break;
		case 'p':
			o.peer = optarg;
			break;
		case 'd':
			if (opt_device(optarg, &o.device))
				return 2;
			break;
		case 'f':
			o.fragmented = true;
			break;
		case 'r':
			if (!parse_uint(optarg, 100, &v) || v < 1)
				return usage_error("bad --reps '%s' (1 to 100)", optarg);
			reps = v;
			break;
		}
	}
	if (cli_no_args(argc, argv, &status))
		return status;
	if (!strcmp(sub, "devices"))
		return cmd_devices();
	if (!strcmp(sub, "demo"))
		return demo(&o);
	if (!strcmp(sub, "bench")) {
		if (o.size == 16u << 20)
			o.size = 1u << 30;
		return bench(&o, reps);
	}
	return usage_error("unknown rdma command '%s'", sub);
}
