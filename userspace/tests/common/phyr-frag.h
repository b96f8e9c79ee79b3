/* SPDX-License-Identifier: MIT */
/*
 * phyr-frag: fragmented free memory for the benchmarks, so that a buffer
 * allocated next gets one physical range per 4 KiB page (not the long runs a
 * fresh guest's page allocator hands out).  Header only: the benchmarks that
 * use it (bench-iommufd, phyrbuf rdma bench) link nothing of the tests.
 *
 * How: 2 * N + margin pages are allocated one after the other on one CPU and
 * one page of each pair of buddies among them is freed: pipe buffers in the
 * order written, two pipes taking turns (the page allocator hands a fresh
 * block out in ascending order), a memfd's pages by their frame numbers
 * (/proc/self/pagemap, root).  Each freed page's buddy is still held, so it
 * stays a free single page, and the allocator serves the next single-page
 * allocations of the same kind (migrate type) from these pages before it
 * splits a larger block: an allocation of N pages then lands on pages no two
 * of which are adjacent.  The kind matters: phyr_vgem's shmem pages are
 * unmovable (GFP_HIGHUSER), as pipe buffers are; memfd and anonymous pages
 * are movable, as a memfd's pages are.  pt_frag_end() frees the held half.
 * Nothing guarantees the outcome (other allocations may take some of the
 * pages): the benchmarks count the ranges they got and print them.
 *
 * Copyright 2026 The phyr developers
 */
#ifndef PHYR_FRAG_H
#define PHYR_FRAG_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PT_FRAG_PAGE		4096u
/* pages of one pipe: its ring is allocated when the size is set (4096 slots) */
#define PT_FRAG_PIPE_PAGES	4096u

enum pt_frag_kind {
	PT_FRAG_UNMOVABLE,	/* pipe buffers: as shmem pages of a DRM GEM object */
	PT_FRAG_MOVABLE,	/* a memfd's pages: as memfd and anonymous memory */
};

struct pt_frag {
	enum pt_frag_kind kind;
	int *fds;		/* unmovable: the read ends of the held pipes */
	unsigned int nr_fds;
	int memfd;		/* movable: the memfd that holds half of its pages */
	cpu_set_t was;
	int pinned;
};

/* One CPU for the whole allocation: the page allocator's per-CPU lists */
static inline void pt_frag_pin(struct pt_frag *f)
{
	cpu_set_t here;
	int cpu = sched_getcpu();

	f->pinned = 0;
	if (cpu < 0 || sched_getaffinity(0, sizeof(f->was), &f->was))
		return;
	CPU_ZERO(&here);
	CPU_SET(cpu, &here);
	f->pinned = !sched_setaffinity(0, sizeof(here), &here);
}

static inline int pt_frag_pipes(struct pt_frag *f, uint64_t pairs)
{
	unsigned int nr = (pairs + PT_FRAG_PIPE_PAGES - 1) / PT_FRAG_PIPE_PAGES, i;
	int (*p)[2], ret = 0;
	uint64_t k;
	char *page;

	p = calloc(2 * nr, sizeof(*p));
	f->fds = calloc(2 * nr, sizeof(int));
	page = calloc(1, PT_FRAG_PAGE);
	if (!p || !f->fds || !page) {
		ret = -ENOMEM;
		goto out;
	}
	/* pipe 2i holds, pipe 2i + 1 gives its pages back */
	for (i = 0; i < 2 * nr; i++) {
		if (pipe(p[i])) {
			ret = -errno;
			goto out_close;
		}
		f->fds[f->nr_fds++] = p[i][0];
		if (fcntl(p[i][1], F_SETPIPE_SZ, PT_FRAG_PIPE_PAGES * PT_FRAG_PAGE) < 0) {
			ret = -errno;
			goto out_close;
		}
	}
	errno = 0;
	for (k = 0; k < pairs && !ret; k++) {
		i = k / PT_FRAG_PIPE_PAGES;
		if (write(p[2 * i][1], page, PT_FRAG_PAGE) != PT_FRAG_PAGE ||
		    write(p[2 * i + 1][1], page, PT_FRAG_PAGE) != PT_FRAG_PAGE)
			ret = errno ? -errno : -EIO;
	}
out_close:
	/* the write ends all go; the read ends of the giving half too */
	for (i = 0; i < f->nr_fds; i++)
		close(p[i][1]);
	for (i = 1; i < f->nr_fds; i += 2)
		close(f->fds[i]);
out:
	free(page);
	free(p);
	return ret;
}

struct pt_frag_pfn {
	uint64_t pfn, page;
};

static inline int pt_frag_cmp_pfn(const void *a, const void *b)
{
	const struct pt_frag_pfn *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

/*
 * Movable pages (a memfd's, as anonymous memory's) do not come in ascending
 * order: the frame numbers from /proc/self/pagemap (root) tell which pages
 * are buddies (frame numbers 2k and 2k + 1), and one page of every pair the
 * memfd holds is punched out of it (not unmapped one by one: every munmap of
 * a page in the middle splits the mapping, up to vm.max_map_count).
 */
static inline int pt_frag_movable(struct pt_frag *f, uint64_t pairs)
{
	uint64_t n = 2 * pairs, k, freed = 0, *ent;
	struct pt_frag_pfn *pf;
	int fd = -1, ret = 0;
	char *a;

	f->memfd = memfd_create("pt-frag", MFD_CLOEXEC);
	if (f->memfd < 0 || ftruncate(f->memfd, n * PT_FRAG_PAGE))
		return -errno;
	a = mmap(NULL, n * PT_FRAG_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 f->memfd, 0);
	if (a == MAP_FAILED)
		return -errno;
	for (k = 0; k < n; k++)
		a[k * PT_FRAG_PAGE] = 1;
	ent = malloc(n * sizeof(*ent));
	pf = malloc(n * sizeof(*pf));
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (!ent || !pf || fd < 0) {
		ret = -errno;
		goto out;
	}
	if (pread(fd, ent, n * sizeof(*ent), (uintptr_t)a / PT_FRAG_PAGE * sizeof(*ent)) !=
	    (ssize_t)(n * sizeof(*ent))) {
		ret = -EIO;
		goto out;
	}
	for (k = 0; k < n; k++) {
		pf[k].pfn = ent[k] & ((1ull << 55) - 1);
		pf[k].page = k;
	}
	munmap(a, n * PT_FRAG_PAGE);
	a = NULL;
	qsort(pf, n, sizeof(*pf), pt_frag_cmp_pfn);
	for (k = 0; k + 1 < n; k++) {
		if (!pf[k].pfn || pf[k].pfn % 2 || pf[k + 1].pfn != pf[k].pfn + 1)
			continue;
		if (fallocate(f->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      pf[k + 1].page * PT_FRAG_PAGE, PT_FRAG_PAGE)) {
			ret = -errno;
			break;
		}
		freed++;
		k++;
	}
	if (!ret && freed < pairs / 2)
		ret = -EAGAIN;	/* no frame numbers (not root?), or few buddies */
out:
	if (a)
		munmap(a, n * PT_FRAG_PAGE);
	if (fd >= 0)
		close(fd);
	free(pf);
	free(ent);
	return ret;
}

/*
 * Leave at least @pages free single pages of @kind whose buddies are held;
 * the caller allocates its buffer next (on this CPU: the call leaves the
 * thread pinned until pt_frag_end()), then calls pt_frag_end().
 */
static inline int pt_frag_begin(struct pt_frag *f, enum pt_frag_kind kind,
				uint64_t pages)
{
	uint64_t pairs = pages + pages / 8 + 1024;	/* a margin for others */

	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->memfd = -1;
	pt_frag_pin(f);
	return kind == PT_FRAG_UNMOVABLE ? pt_frag_pipes(f, pairs) :
					   pt_frag_movable(f, pairs);
}

static inline void pt_frag_end(struct pt_frag *f)
{
	unsigned int i;

	for (i = 0; i < f->nr_fds; i += 2)
		close(f->fds[i]);
	free(f->fds);
	f->fds = NULL;
	f->nr_fds = 0;
	if (f->memfd >= 0)
		close(f->memfd);
	f->memfd = -1;
	if (f->pinned)
		sched_setaffinity(0, sizeof(f->was), &f->was);
	f->pinned = 0;
}

/*
 * Physically contiguous runs of the @len bytes at @p (mapped, present), from
 * /proc/self/pagemap (root sees the frame numbers); 0 if it cannot tell.
 */
static inline uint64_t pt_pfn_runs(const void *p, uint64_t len)
{
	uint64_t n = len / PT_FRAG_PAGE, i, e, prev = 0, runs = 0;
	uint64_t *ent;
	off_t off = (uintptr_t)p / PT_FRAG_PAGE * sizeof(uint64_t);
	int fd;

	ent = malloc(n * sizeof(*ent));
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (!ent || fd < 0 ||
	    pread(fd, ent, n * sizeof(*ent), off) != (ssize_t)(n * sizeof(*ent))) {
		runs = 0;
		goto out;
	}
	for (i = 0; i < n; i++) {
		e = ent[i] & ((1ull << 55) - 1);
		if (!(ent[i] >> 63) || !e) {
			runs = 0;	/* not present, or no frame numbers for us */
			goto out;
		}
		runs += !i || e != prev + 1;
		prev = e;
	}
out:
	if (fd >= 0)
		close(fd);
	free(ent);
	return runs;
}

#endif /* PHYR_FRAG_H */
