// SPDX-License-Identifier: MIT
/*
 * QEMU's edu device as a DMA engine (edu.h).
 *
 * Copyright 2026 The phyr developers
 */
#include <errno.h>
#include <time.h>

#include "edu.h"

#define EDU_REG_ID	0x00
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_COUNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_START	0x1
#define EDU_CMD_TO_HOST	0x2
/* edu's own buffer, in its DMA address space */
#define EDU_BUF_ADDR	0x40000
#define EDU_BUF_SIZE	4096

static uint32_t rd32(volatile void *bar0, unsigned int reg)
{
	return *(volatile uint32_t *)((volatile char *)bar0 + reg);
}

static uint64_t rd64(volatile void *bar0, unsigned int reg)
{
	return *(volatile uint64_t *)((volatile char *)bar0 + reg);
}

static void wr64(volatile void *bar0, unsigned int reg, uint64_t v)
{
	*(volatile uint64_t *)((volatile char *)bar0 + reg) = v;
}

uint32_t edu_id(volatile void *bar0)
{
	return rd32(bar0, EDU_REG_ID);
}

int edu_dma(volatile void *bar0, uint64_t addr, uint32_t off, uint32_t len, int to_host)
{
	struct timespec ts = { .tv_nsec = 2 * 1000 * 1000 };
	unsigned int tries;

	if (!len || len > EDU_MAX_XFER || off > EDU_BUF_SIZE - len)
		return -EINVAL;
	wr64(bar0, EDU_DMA_SRC, to_host ? EDU_BUF_ADDR + off : addr);
	wr64(bar0, EDU_DMA_DST, to_host ? addr : EDU_BUF_ADDR + off);
	wr64(bar0, EDU_DMA_COUNT, len);
	wr64(bar0, EDU_DMA_CMD, EDU_CMD_START | (to_host ? EDU_CMD_TO_HOST : 0));
	/* edu runs a transfer from a 100 ms timer of QEMU's */
	for (tries = 0; tries < 2500; tries++) {
		if (!(rd64(bar0, EDU_DMA_CMD) & EDU_CMD_START))
			return 0;
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}
