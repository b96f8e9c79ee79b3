/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dma-buf CPU access: a handle through which an importer that touches a
 * buffer with the CPU (soft-RoCE, siw) reads and writes it, whatever backs it.
 *
 * Copyright 2026 The phyr developers
 */
#ifndef _LINUX_DMA_BUF_CPU_H
#define _LINUX_DMA_BUF_CPU_H

#include <linux/iosys-map.h>
#include <linux/types.h>

struct device;
struct dma_buf;
struct dma_buf_attachment;
struct dma_buf_cpu;

/**
 * struct dma_buf_cpu_ops - what a CPU-access importer is told
 * @invalidated: [optional] the handle dropped its mapping because the
 *	exporter moves or revokes the buffer.  Called with the buffer's
 *	reservation held, after every access in progress has ended: from now
 *	on accesses fail with -EAGAIN until dma_buf_cpu_validate() maps the
 *	buffer again.  Must not map it again itself.
 */
struct dma_buf_cpu_ops {
	void (*invalidated)(struct dma_buf_cpu *cpu, void *priv);
};

struct dma_buf_cpu *dma_buf_cpu_attach(struct dma_buf *dmabuf,
				       struct device *dev, u32 flags,
				       const struct dma_buf_cpu_ops *ops,
				       void *priv);
void dma_buf_cpu_detach(struct dma_buf_cpu *cpu);
struct dma_buf_attachment *dma_buf_cpu_attachment(struct dma_buf_cpu *cpu);

int dma_buf_cpu_validate(struct dma_buf_cpu *cpu);
int dma_buf_cpu_validate_locked(struct dma_buf_cpu *cpu);

int dma_buf_cpu_begin(struct dma_buf_cpu *cpu);
void dma_buf_cpu_end(struct dma_buf_cpu *cpu);
ssize_t dma_buf_cpu_map(struct dma_buf_cpu *cpu, u64 offset, size_t len,
			struct iosys_map *map);
void dma_buf_cpu_unmap(struct dma_buf_cpu *cpu, struct iosys_map *map);

int dma_buf_cpu_read(struct dma_buf_cpu *cpu, void *dst, u64 offset,
		     size_t len);
int dma_buf_cpu_write(struct dma_buf_cpu *cpu, u64 offset, const void *src,
		      size_t len);

#endif /* _LINUX_DMA_BUF_CPU_H */
