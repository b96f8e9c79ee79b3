/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * QEMU's edu device (hw/misc/edu.c) as a DMA engine for the phyr test bed:
 * borrowed without a driver, one transfer at a time.  Private to lib/.
 *
 * Copyright 2026 The phyr developers
 */
#ifndef _LIB_PHYR_EDU_H
#define _LIB_PHYR_EDU_H

#include <linux/types.h>

struct pci_dev;

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

#endif /* _LIB_PHYR_EDU_H */
