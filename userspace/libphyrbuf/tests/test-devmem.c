// SPDX-License-Identifier: MIT
/*
 * libphyrbuf's devmem TX calls where no NIC is needed: every bad input gets
 * the errno phyrbuf.h documents, a failed bind leaves the caller's pointer
 * alone, a bind the kernel refuses (a memfd on the loopback device: not a
 * dma-buf, and a device without DMA) fails cleanly with its message, and
 * reaping completions of a socket that has none neither blocks nor counts
 * anything.  The sending itself needs two wired NICs (scripts/guest-demo.sh,
 * docs/devmem.md).
 *
 *   test-devmem
 *
 * Copyright 2026 The phyr developers
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "phyrbuf.h"
#include "phyr-test.h"

static int sentinel_word;

/* a failed check is reported and the test goes on (phyr-test's CHECK) */
#define check(cond)	CHECK(cond, "%s", #cond)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	struct phyrbuf_devmem_tx *tx = (struct phyrbuf_devmem_tx *)&sentinel_word;
	struct phyrbuf_devmem_tx *const sentinel = tx;
	struct phyrbuf_devmem_zc zc = { 0 };
	unsigned int lo = if_nametoindex("lo");
	char msg[256];
	double t;
	int fd, s, ret;

	pt_tap_stdout();
	pt_begin("devmem");
	fd = memfd_create("test-devmem", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 1 << 20)) {
		pt_fail(__FILE__, __LINE__, "memfd: %s", strerror(errno));
		pt_abort();
	}
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		pt_fail(__FILE__, __LINE__, "socket: %s", strerror(errno));
		pt_abort();
	}

	/* bind: arguments the library refuses before asking the kernel */
	strcpy(msg, "stale");
	check(phyrbuf_devmem_bind_tx(1, fd, NULL, msg, sizeof(msg)) == -EINVAL);
	check(!msg[0]);		/* the message is cleared first */
	check(phyrbuf_devmem_bind_tx(0, fd, &tx, NULL, 0) == -EINVAL);
	check(phyrbuf_devmem_bind_tx(1, -1, &tx, NULL, 0) == -EBADF);
	check(phyrbuf_devmem_bind_tx(1, 1000000, &tx, NULL, 0) == -EBADF);
	check(tx == sentinel);

	/* the kernel refuses: a memfd is no dma-buf, lo has no DMA device
	 * (a kernel without bind-tx: -EOPNOTSUPP); the message is a string
	 */
	if (lo) {
		memset(msg, 'x', sizeof(msg));
		ret = phyrbuf_devmem_bind_tx(lo, fd, &tx, msg, sizeof(msg));
		printf("bind-tx of a memfd on lo: %d (%s)%s%s\n", ret,
		       strerror(-ret), msg[0] ? ", kernel: " : "", msg);
		check(ret < 0);
		check(memchr(msg, 0, sizeof(msg)));
		check(tx == sentinel);
	}

	/* the other calls on a NULL binding, a bad socket, a NULL count */
	phyrbuf_devmem_tx_close(NULL);
	check(phyrbuf_devmem_tx_id(NULL) == 0);
	check(phyrbuf_devmem_tx_size(NULL) == 0);
	check(phyrbuf_devmem_socket(NULL, s) == -EINVAL);
	check(phyrbuf_devmem_send(NULL, s, 0, 4096, &zc) == -EINVAL);
	check(zc.sends == 0);
	check(phyrbuf_devmem_reap(s, NULL, 0) == -EINVAL);
	check(phyrbuf_devmem_reap(-1, &zc, 0) == -EBADF);
	zc.completed = 1;
	check(phyrbuf_devmem_reap(s, &zc, 0) == -EINVAL);	/* more done than sent */

	/* nothing sent: nothing to wait for */
	zc = (struct phyrbuf_devmem_zc){ 0 };
	check(phyrbuf_devmem_reap(s, &zc, -1) == 0);
	/* one send outstanding, no notification will come: non-blocking with
	 * 0, bounded by the timeout otherwise; nothing counted either way
	 */
	zc.sends = 1;
	t = now();
	check(phyrbuf_devmem_reap(s, &zc, 0) == 1);
	check(now() - t < 0.5);
	t = now();
	check(phyrbuf_devmem_reap(s, &zc, 100) == 1);
	t = now() - t;
	check(t >= 0.09 && t < 5);
	check(zc.completed == 0 && zc.copied == 0);
	/* a socket that is not a socket */
	check(phyrbuf_devmem_reap(fd, &zc, 0) == -ENOTSOCK);

	close(s);
	close(fd);
	pt_result_checks("devmem");
	return pt_done();
}
