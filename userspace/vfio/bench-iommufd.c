// SPDX-License-Identifier: MIT
/*
 * Benchmark (not a test): IOMMU_IOAS_MAP_FILE of a phyr_vgem dma-buf (the
 * dma-buf core's IOMMU converter) against IOMMU_IOAS_MAP_FILE of a memfd
 * (iommufd pins the folios) and IOMMU_IOAS_MAP of anonymous memory (it pins
 * user pages), each into an IOAS that holds one real IOMMU domain (edu's,
 * through VFIO), best of REPS, in one run.
 *
 *   bench-iommufd [--fragmented] PCI_ADDRESS_OF_EDU SIZE_MB REPS
 *
 * --fragmented: each buffer is allocated right after free memory of its kind
 * was fragmented (phyr-frag.h), so that it gets one physical range per page
 * rather than the long runs of a fresh guest; the ranges each one got are
 * printed (memfd and anonymous memory: from /proc/self/pagemap).
 *
 * Copyright 2026 The phyr developers
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "phyr-frag.h"
#include "phyrbuf.h"

#define IOVA	0x100000000ull

enum { DMABUF, MEMFD, ANON, NR_SHAPES };
static const char *const shape_names[NR_SHAPES] = { "dma-buf", "memfd", "anon" };

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int die(const char *what, int err)
{
	fprintf(stderr, "bench-iommufd: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return 1;
}

int main(int argc, char **argv)
{
	uint64_t best_map[NR_SHAPES], best_unmap[NR_SHAPES], size;
	struct phyrbuf_bo_info info;
	struct phyrbuf_ioas *ioas;
	struct phyrbuf_vfio *vfio;
	struct phyrbuf_dev *dev;
	uint64_t runs[NR_SHAPES] = { 0 };
	struct phyrbuf_bo *bo;
	unsigned int reps, r, s;
	bool frag = false;
	struct pt_frag f;
	int ret;

	if (argc > 1 && !strcmp(argv[1], "--fragmented")) {
		frag = true;
		argc--;
		argv++;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: bench-iommufd [--fragmented] PCI_ADDRESS_OF_EDU SIZE_MB REPS\n");
		return 2;
	}
	size = strtoull(argv[2], NULL, 0) << 20;
	reps = strtoul(argv[3], NULL, 0);
	if (!size || !reps)
		return die("size and reps", EINVAL);
	ret = phyrbuf_ioas_open(&ioas);
	if (ret)
		return die("/dev/iommu", ret);
	ret = phyrbuf_vfio_open(ioas, argv[1], &vfio);
	if (ret)
		return die(argv[1], ret);
	ret = phyrbuf_open(PHYRBUF_ANY, 0, &dev);
	if (ret)
		return die("phyr_vgem", ret);
	for (s = 0; s < NR_SHAPES; s++) {
		best_map[s] = UINT64_MAX;
		best_unmap[s] = UINT64_MAX;
	}

	/* one shape at a time, so that only one of them holds SIZE of memory */
	for (s = 0; s < NR_SHAPES; s++) {
		void *p = NULL;
		int fd = -1;

		if (frag) {
			ret = pt_frag_begin(&f, s == DMABUF ? PT_FRAG_UNMOVABLE :
						PT_FRAG_MOVABLE, size / PT_FRAG_PAGE);
			if (ret)
				return die("fragmenting free memory", ret);
		}
		switch (s) {
		case DMABUF:
			ret = phyrbuf_bo_create(dev, size, PHYRBUF_PLACEMENT_SYSTEM, 0, &bo);
			if (ret)
				return die("BO_CREATE", ret);
			ret = phyrbuf_bo_mmap(bo, &p);
			if (ret)
				return die("mmap", ret);
			*(volatile char *)p = 1;	/* populates the buffer */
			phyrbuf_bo_munmap(bo, p);
			p = NULL;
			ret = phyrbuf_bo_query(bo, &info);
			if (ret)
				return die("BO_QUERY", ret);
			ret = phyrbuf_bo_export(bo, &fd);
			if (ret)
				return die("export", ret);
			break;
		case MEMFD:
			fd = memfd_create("bench", MFD_CLOEXEC);
			if (fd < 0 || ftruncate(fd, size) || fallocate(fd, 0, 0, size))
				return die("memfd", errno);
			p = mmap(NULL, size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
			if (p != MAP_FAILED) {
				runs[s] = pt_pfn_runs(p, size);
				munmap(p, size);
			}
			p = NULL;
			break;
		case ANON:
			p = mmap(NULL, size, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
			if (p == MAP_FAILED)
				return die("mmap", errno);
			runs[s] = pt_pfn_runs(p, size);
			break;
		}
		if (frag)
			pt_frag_end(&f);
		for (r = 0; r < reps; r++) {
			uint64_t t0, t1, t2;

			t0 = now_us();
			if (s == ANON)
				ret = phyrbuf_ioas_map_memory(ioas, p, size, IOVA, 0);
			else
				ret = phyrbuf_ioas_map_dmabuf(ioas, fd, 0, size, IOVA, 0);
			t1 = now_us();
			if (ret)
				return die(shape_names[s], ret);
			ret = phyrbuf_ioas_unmap(ioas, IOVA, size);
			t2 = now_us();
			if (ret)
				return die("unmap", ret);
			if (t1 - t0 < best_map[s])
				best_map[s] = t1 - t0;
			if (t2 - t1 < best_unmap[s])
				best_unmap[s] = t2 - t1;
		}
		if (fd >= 0)
			close(fd);
		if (s == DMABUF)
			phyrbuf_bo_close(bo);
		if (s == ANON)
			munmap(p, size);
	}

	printf("%" PRIu64 " MiB into one IOAS with edu's intel-iommu domain, best of %u\n",
	       size >> 20, reps);
	printf("  phyr_vgem buffer: %" PRIu64 " physical ranges (%" PRIu64 " pages)%s\n",
	       (uint64_t)info.nr_ranges, size / PT_FRAG_PAGE,
	       frag ? ", allocated after fragmenting free memory" : "");
	for (s = MEMFD; s < NR_SHAPES; s++)
		if (runs[s])
			printf("  %s: %" PRIu64 " physical ranges\n", shape_names[s], runs[s]);
	for (s = 0; s < NR_SHAPES; s++)
		printf("  %-8s  map %9" PRIu64 " us   unmap %9" PRIu64 " us   map+unmap %9" PRIu64
		       " us\n", shape_names[s], best_map[s], best_unmap[s],
		       best_map[s] + best_unmap[s]);
	printf("  memfd/dma-buf: map %.2fx, unmap %.2fx, map+unmap %.2fx\n",
	       (double)best_map[MEMFD] / best_map[DMABUF],
	       (double)best_unmap[MEMFD] / best_unmap[DMABUF],
	       (double)(best_map[MEMFD] + best_unmap[MEMFD]) /
	       (best_map[DMABUF] + best_unmap[DMABUF]));
	printf("  anon/dma-buf:  map %.2fx, unmap %.2fx, map+unmap %.2fx\n",
	       (double)best_map[ANON] / best_map[DMABUF],
	       (double)best_unmap[ANON] / best_unmap[DMABUF],
	       (double)(best_map[ANON] + best_unmap[ANON]) /
	       (best_map[DMABUF] + best_unmap[DMABUF]));
	phyrbuf_close(dev);
	phyrbuf_vfio_close(vfio);
	phyrbuf_ioas_close(ioas);
	return 0;
}
