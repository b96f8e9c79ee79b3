/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * QEMU's edu device (hw/misc/edu.c) as a DMA engine for the phyr test bed:
 * borrowed without a driver, one transfer at a time.  The one description of
 * edu's registers in the kernel; private to the test bed.
 *
 * Copyright 2026 The phyr developers
 */
#ifndef _PHYR_TESTBED_EDU_H
#define _PHYR_TESTBED_EDU_H

#include <linux/bits.h>
#include <linux/types.h>

struct pci_dev;

/* its PCI IDs and the registers of its DMA engine in BAR0 */
#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_COUNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_START	BIT(0)
#define EDU_CMD_TO_RAM	BIT(1)
#define EDU_BUF_ADDR	0x40000	/* edu's own 4 KiB buffer, in its DMA space */

/* edu's own buffer: the most one transfer moves (QEMU 7.2 aborts at 4096) */
#define PHYR_EDU_BUF_SIZE	4096
#define PHYR_EDU_MAX_XFER	(PHYR_EDU_BUF_SIZE - 64)

/**
 * struct phyr_edu - edu, borrowed
 * @pdev: the PCI device, enabled and bus master while borrowed
 * @regs: its BAR0
 */
struct phyr_edu {
	struct pci_dev *pdev;
	void __iomem *regs;
};

int phyr_edu_get(struct phyr_edu *edu);
void phyr_edu_put(struct phyr_edu *edu);
int phyr_edu_dma(struct phyr_edu *edu, dma_addr_t addr, u32 buf_off, u32 len,
		 bool to_ram);

#endif /* _PHYR_TESTBED_EDU_H */
