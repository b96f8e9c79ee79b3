/* SPDX-License-Identifier: MIT */
/*
 * QEMU's edu device (hw/misc/edu.c) as a DMA engine, driven through its BAR0
 * as mapped by VFIO: it copies between host memory, at a DMA address (an IOVA
 * of the device's IOMMU domain), and a 4 KiB buffer of its own.
 *
 * Copyright 2026 The phyr developers
 */
#ifndef PHYR_EDU_H
#define PHYR_EDU_H

#include <stdint.h>

/* PCI vendor and device of edu */
#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8

/*
 * The most one transfer moves: edu's buffer is 4096 bytes, and QEMU 7.2's edu
 * aborts QEMU on a transfer of exactly 4096 bytes.
 */
#define EDU_MAX_XFER	4000u

/* edu's identification register: 0xRRrr00ed, RR.rr the version */
uint32_t edu_id(volatile void *bar0);

/*
 * One transfer of @len bytes between the DMA address @addr and offset @off of
 * edu's buffer: to_host 1 from edu to @addr, 0 from @addr to edu.  Waits for
 * the engine (at most 5 s).  Returns 0, -EINVAL for a @len or @off out of
 * edu's buffer, or -ETIMEDOUT.  A DMA address the IOMMU does not map is a
 * fault of the IOMMU's: the transfer "finishes" and moves nothing.
 */
int edu_dma(volatile void *bar0, uint64_t addr, uint32_t off, uint32_t len, int to_host);

#endif /* PHYR_EDU_H */
