// SPDX-License-Identifier: MIT
/*
 * test-threads: several threads hammer one phyr_vgem device through
 * libphyrbuf at once, each doing what a compositor's or a media pipeline's
 * threads do: importing the same dma-buf and closing it again (the
 * close-vs-import race: the kernel hands a DRM file one handle per object, so
 * an import that races with the close of the last reference gets a handle
 * that is closed under it unless the library serializes the two), creating,
 * exporting and re-importing their own buffers, importing a buffer the
 * device has open (which must give back that very object), CPU access
 * brackets on a shared buffer (whose dma-buf the library exports once, on
 * first use), and opening the device again from its fd (which must give back
 * the same device).  Every result is checked; run under ASan (leaks, use
 * after free) and TSan (data races) as well.
 *
 *   test-threads [THREADS [ITERATIONS]]
 *
 * Built against the real driver (in the guest; TAP's skip without a device
 * unless PHYR_REQUIRE_DEVICE is set) and, with -DPHYRBUF_FAKE_KERNEL, against
 * tests/fake-kernel.c, which runs anywhere.
 *
 * Copyright 2026 The phyr developers
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "phyrbuf.h"
#include "phyr-test.h"
#ifdef PHYRBUF_FAKE_KERNEL
#include "fake-kernel.h"
#define KERNEL "fake kernel"
#else
#define KERNEL "phyr_vgem"
#endif

#define SHARED_SIZE	(64 * 1024)

static struct phyrbuf_dev *dev;
static struct phyrbuf_bo *held;	/* a buffer the main thread keeps open */
static int held_fd = -1;	/* its dma-buf */
static int orphan_fd = -1;	/* the dma-buf of a buffer whose handle is closed */
static long page_size;
static int iterations;
static atomic_long imports;

/* a failed check (phyr-test) ends the thread's work */
#define check(cond, ...) do {							\
	if (!(cond)) {								\
		char _m[256];							\
		snprintf(_m, sizeof(_m), __VA_ARGS__);				\
		pt_fail(__FILE__, __LINE__, "thread %d, iteration %d: %s: %s",	\
			id, i, #cond, _m);					\
		return NULL;							\
	}									\
} while (0)

/* import the orphan, use it, close it: races with the other threads' closes */
static void *orphan_op(int id, int i)
{
	struct phyrbuf_bo_info info;
	struct phyrbuf_bo *bo;
	int ret;

	ret = phyrbuf_bo_import(dev, orphan_fd, &bo);
	check(!ret, "import: %s", strerror(-ret));
	atomic_fetch_add(&imports, 1);
	ret = phyrbuf_bo_query(bo, &info);
	check(!ret, "query of a fresh import: %s (its handle was closed under it)",
	      strerror(-ret));
	check(info.size == SHARED_SIZE, "size %llu", (unsigned long long)info.size);
#ifndef PHYRBUF_FAKE_KERNEL
	{
		volatile const uint32_t *p;
		void *ptr;

		ret = phyrbuf_bo_map(bo, 0, page_size, PHYRBUF_MAP_READ, &ptr);
		check(!ret, "map: %s", strerror(-ret));
		p = ptr;
		check(p[1] == 0x5eed0001u, "word 1 is %#x", p[1]);
		phyrbuf_bo_unmap(bo, ptr, page_size);
	}
#endif
	ret = phyrbuf_bo_close(bo);
	check(!ret, "close: %s", strerror(-ret));
	return NULL;
}

/* a buffer of one's own: create, export, import back (the same object), close */
static void *own_op(int id, int i)
{
	struct phyrbuf_bo *bo, *again;
	int fd, ret;

	ret = phyrbuf_bo_create(dev, page_size, PHYRBUF_PLACEMENT_SYSTEM, 0, &bo);
	check(!ret, "create: %s", strerror(-ret));
	ret = phyrbuf_bo_export(bo, &fd);
	check(!ret, "export: %s", strerror(-ret));
	ret = phyrbuf_bo_import(dev, fd, &again);
	check(!ret, "import of one's own buffer: %s", strerror(-ret));
	check(again == bo, "the import of one's own buffer is another object");
	close(fd);
	check(!phyrbuf_bo_close(again), "first close");
	ret = phyrbuf_bo_close(bo);
	check(!ret, "last close: %s", strerror(-ret));
	return NULL;
}

/* the buffer the main thread holds: its import is that object; CPU access */
static void *held_op(int id, int i)
{
	struct phyrbuf_bo *bo;
	int ret;

	ret = phyrbuf_bo_import(dev, held_fd, &bo);
	check(!ret, "import of the held buffer: %s", strerror(-ret));
	check(bo == held, "the held buffer came back as another object");
	ret = phyrbuf_bo_begin_cpu_access(held, PHYRBUF_ACCESS_READ);
	check(!ret, "begin_cpu_access: %s", strerror(-ret));
	ret = phyrbuf_bo_end_cpu_access(held, PHYRBUF_ACCESS_READ);
	check(!ret, "end_cpu_access: %s", strerror(-ret));
	ret = phyrbuf_bo_close(bo);
	check(!ret, "close: %s", strerror(-ret));
	return NULL;
}

/* the device again from its own fd: the same object */
static void *device_op(int id, int i)
{
	struct phyrbuf_dev_info info;
	struct phyrbuf_dev *again;
	int ret;

	ret = phyrbuf_open_fd(phyrbuf_dev_fd(dev), 0, &again);
	check(!ret, "open_fd: %s", strerror(-ret));
	check(again == dev, "open_fd of the device's own file made another device");
	ret = phyrbuf_dev_info(again, &info);
	check(!ret, "dev_info: %s", strerror(-ret));
	phyrbuf_close(again);
	return NULL;
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg, i;

	for (i = 0; i < iterations && !pt_failures(); i++) {
		switch ((i + id) % 5) {
		case 0:
		case 1:
			orphan_op(id, i);
			break;
		case 2:
			own_op(id, i);
			break;
		case 3:
			held_op(id, i);
			break;
		default:
			device_op(id, i);
			break;
		}
	}
	return NULL;
}

static int open_device(void)
{
#ifdef PHYRBUF_FAKE_KERNEL
	int fd = fake_kernel_open(), ret;

	if (fd < 0)
		return -errno;
	/* the caller's fd stays the caller's: the library works on a dup */
	ret = phyrbuf_open_fd(fd, 0, &dev);
	close(fd);
	return ret;
#else
	int ret = phyrbuf_open(PHYRBUF_ANY, 0, &dev);

	if (ret == -ENODEV && !getenv("PHYR_REQUIRE_DEVICE")) {
		pt_skip_all("needs the phyr_vgem driver (run it in the test guest: "
			    "scripts/test.sh)");
		exit(0);
	}
	return ret;
#endif
}

int main(int argc, char **argv)
{
	int nr_threads = argc > 1 ? atoi(argv[1]) : 8, t, ret;
	struct phyrbuf_bo *orphan;
	pthread_t threads[64];
	void *ptr;

	iterations = argc > 2 ? atoi(argv[2]) : 2000;
	page_size = sysconf(_SC_PAGESIZE);
	if (nr_threads < 1 || nr_threads > 64 || iterations < 1) {
		fprintf(stderr, "usage: test-threads [THREADS (1-64) [ITERATIONS]]\n");
		return 2;
	}
	pt_tap_stdout();
	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = open_device();
	if (ret) {
		fprintf(stderr, "test-threads: no phyr_vgem device: %s\n", strerror(-ret));
		return 1;
	}

	/* the orphan: only its dma-buf is left, every import makes a new handle */
	ret = phyrbuf_bo_create(dev, SHARED_SIZE, PHYRBUF_PLACEMENT_SYSTEM, 0, &orphan);
	if (ret || phyrbuf_bo_export(orphan, &orphan_fd)) {
		fprintf(stderr, "test-threads: create/export: %s\n", strerror(-ret));
		return 1;
	}
	(void)ptr;
#ifndef PHYRBUF_FAKE_KERNEL
	if (phyrbuf_bo_mmap(orphan, &ptr) == 0) {
		((uint32_t *)ptr)[1] = 0x5eed0001u;
		phyrbuf_bo_munmap(orphan, ptr);
	}
#endif
	phyrbuf_bo_close(orphan);
	ret = phyrbuf_bo_create(dev, SHARED_SIZE, PHYRBUF_PLACEMENT_SYSTEM, 0, &held);
	if (ret || phyrbuf_bo_export(held, &held_fd)) {
		fprintf(stderr, "test-threads: create/export: %s\n", strerror(-ret));
		return 1;
	}

	for (t = 0; t < nr_threads; t++) {
		ret = pthread_create(&threads[t], NULL, worker, (void *)(intptr_t)t);
		if (ret) {
			fprintf(stderr, "pthread_create: %s\n", strerror(ret));
			return 1;
		}
	}
	for (t = 0; t < nr_threads; t++)
		pthread_join(threads[t], NULL);

#ifdef PHYRBUF_FAKE_KERNEL
	/* nothing left open in the kernel but the held buffer */
	ret = fake_kernel_nr_handles(phyrbuf_dev_fd(dev));
	if (ret != 1) {
		pt_fail(__FILE__, __LINE__, "%d GEM handles open, expected 1", ret);
	}
#endif
	if (phyrbuf_bo_close(held)) {
		pt_fail(__FILE__, __LINE__, "closing the held buffer failed");
	}
	close(held_fd);
	close(orphan_fd);
	phyrbuf_close(dev);
#ifdef PHYRBUF_FAKE_KERNEL
	fake_kernel_shutdown();
#endif
	if (pt_failures())
		pt_result(PT_FAIL, "threads", "%d failures, the first: %s (" KERNEL ")",
			  pt_failures(), pt_first_failure());
	else
		pt_result(PT_PASS, "threads", "%d threads x %d iterations, %ld racing imports ("
			  KERNEL ")", nr_threads, iterations, atomic_load(&imports));
	return pt_done();
}
