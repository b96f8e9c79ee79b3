/* SPDX-License-Identifier: MIT */
/*
 * A fake phyr_vgem kernel for tests that must run where the driver is not
 * (a developer's machine, the host side of scripts/test.sh): libphyrbuf is
 * compiled with -DPHYRBUF_SYS_IOCTL=fake_ioctl and its ioctls land here.
 *
 * Copyright 2026 The phyr developers
 */
#ifndef PHYRBUF_FAKE_KERNEL_H
#define PHYRBUF_FAKE_KERNEL_H

/* A new DRM file of the fake device (a memfd; close() it when done). */
int fake_kernel_open(void);

/* GEM handles open on the DRM file of @fd, or -1 for an unknown fd. */
int fake_kernel_nr_handles(int fd);

/* Free everything the fake holds (objects and their dma-bufs). */
void fake_kernel_shutdown(void);

/* The ioctl() libphyrbuf calls. */
int fake_ioctl(int fd, unsigned long request, ...);

#endif /* PHYRBUF_FAKE_KERNEL_H */
