/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dma-buf CPU access: the hooks of its KUnit tests.  Not for drivers.
 *
 * Copyright 2026 The phyr developers
 */
#ifndef _DMA_BUF_FLAVOUR_CPU_H
#define _DMA_BUF_FLAVOUR_CPU_H

#include <linux/types.h>

#if IS_ENABLED(CONFIG_KUNIT)
void *dma_buf_cpu_alloc(size_t size);
void __iomem *dma_buf_cpu_ioremap(phys_addr_t phys, size_t len);
#endif

#endif /* _DMA_BUF_FLAVOUR_CPU_H */
