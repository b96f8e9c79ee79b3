// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Memory regions on dma-bufs, through the dma-buf CPU-access flavour: rxe
 * copies with the CPU, so it asks the exporter for CPU access, and the
 * dma-buf core does the copies (RAM through the direct map, device memory
 * through a write-combined mapping) on a handle that stops working the
 * moment the exporter moves or revokes the buffer.
 *
 * Copyright 2026 The phyr developers
 */

#include <linux/dma-buf.h>
#include <linux/dma-buf-cpu.h>
#include <linux/io.h>

#include "rxe.h"
#include "rxe_loc.h"

MODULE_IMPORT_NS("DMA_BUF");

/**
 * DOC: rxe dma-buf memory regions
 *
 * ibv_reg_dmabuf_mr() on rxe attaches the dma-buf with the cpu_access
 * flavour (include/linux/dma-buf-cpu.h) and maps it at once, so that a
 * buffer rxe cannot use fails the registration with a clear errno:
 * -EOPNOTSUPP when the exporter offers no CPU access (or only to device
 * memory, for a region that allows remote atomics, see below), -ENODEV when
 * it is revoked, -EINVAL for a range outside the buffer.
 *
 * Every access to the region's memory -- the responder's RDMA WRITE, SEND
 * and RDMA READ, the requester's SEND and RDMA READ response data, atomics --
 * goes through the handle.  When the exporter moves the buffer (a
 * migration) or revokes it (an unplug), the handle drops its mapping before
 * the exporter goes on, waiting for a copy in progress: no later copy can
 * reach the old memory.  The next access maps the buffer again, under its
 * reservation lock: rxe's tasks run on a workqueue and may sleep, as its
 * on-demand-paging regions do when they fault.  So:
 *
 * - after a migration the region follows the buffer: the peer's operations
 *   keep completing successfully and their data lands in the new placement
 *   (or, for a region that needs CPU RAM, the access moves the buffer back
 *   to system memory, as the exporter's rules say);
 * - after a revoke (an unplug) mapping fails with -ENODEV: the access fails
 *   as an rkey violation, the peer's work request completes with
 *   IB_WC_REM_ACCESS_ERR (an RC QP then goes to the error state, as for
 *   any remote access error), and so does every later access to the
 *   region until it is deregistered.
 *
 * Revalidating rather than failing every access after an invalidation is
 * what makes a migration invisible to the peer, as ODP page faults make
 * page migration invisible; failing is kept for the case where the memory
 * is really gone.
 *
 * Remote atomics (compare-and-swap, fetch-and-add) need CPU RAM: device
 * memory is mapped write-combined, where a locked read-modify-write is not
 * atomic for other agents.  A region registered with
 * IB_ACCESS_REMOTE_ATOMIC therefore asks for CPU RAM: registering it on a
 * buffer in device memory fails with -EOPNOTSUPP, and when the buffer is
 * moved to device memory later, the region's next access moves it back
 * (the exporter's job).  ATOMIC WRITE, which needs only remote write
 * access, is handled on device memory too: one aligned 64-bit store after a
 * write barrier.
 */

/* how often an access maps the buffer again before it gives up */
#define RXE_DMABUF_TRIES	4

static void rxe_dmabuf_invalidated(struct dma_buf_cpu *cpu, void *priv)
{
	struct rxe_mr *mr = priv;

	rxe_dbg_mr(mr, "dma-buf moved or revoked: next access maps it again\n");
}

static const struct dma_buf_cpu_ops rxe_dmabuf_ops = {
	.invalidated = rxe_dmabuf_invalidated,
};

/**
 * rxe_mr_init_dmabuf() - set up a memory region on a dma-buf
 * @rxe: the device
 * @offset: where the region starts in the buffer
 * @length: its length
 * @iova: its address for the peer
 * @fd: the dma-buf
 * @access: IB_ACCESS_* flags
 * @mr: the region, added to the pool
 *
 * Context: Process context; may sleep.
 * Return: 0, or a negative errno (see DOC: rxe dma-buf memory regions).
 */
int rxe_mr_init_dmabuf(struct rxe_dev *rxe, u64 offset, u64 length, u64 iova,
		       int fd, int access, struct rxe_mr *mr)
{
	struct dma_buf_cpu *cpu;
	struct dma_buf *dmabuf;
	u32 flags;
	u64 end;
	int err;

	rxe_mr_init(access, mr);
	if (!length || check_add_overflow(offset, length, &end))
		return -EINVAL;
	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	if (end > dmabuf->size) {
		dma_buf_put(dmabuf);
		return -EINVAL;
	}
	/* atomics need CPU RAM; copies live with write-combined MMIO */
	flags = access & IB_ACCESS_REMOTE_ATOMIC ? DMA_BUF_FLAVOUR_CPU :
						   DMA_BUF_FLAVOUR_MMIO;
	cpu = dma_buf_cpu_attach(dmabuf, &rxe->ib_dev.dev, flags,
				 &rxe_dmabuf_ops, mr);
	dma_buf_put(dmabuf);
	if (IS_ERR(cpu))
		return PTR_ERR(cpu);
	err = dma_buf_cpu_validate(cpu);
	if (err) {
		dma_buf_cpu_detach(cpu);
		return err;
	}

	mr->dmabuf = cpu;
	mr->dmabuf_offset = offset;
	mr->ibmr.iova = iova;
	mr->ibmr.length = length;
	mr->ibmr.type = IB_MR_TYPE_USER;
	mr->state = RXE_MR_STATE_VALID;
	return 0;
}

/* Open an access window, mapping the buffer again where it was dropped. */
static int rxe_dmabuf_begin(struct rxe_mr *mr)
{
	int tries, err;

	for (tries = 0; tries < RXE_DMABUF_TRIES; tries++) {
		err = dma_buf_cpu_begin(mr->dmabuf);
		if (err != -EAGAIN)
			return err;
		err = dma_buf_cpu_validate(mr->dmabuf);
		if (err)
			return err;
	}
	return -EAGAIN;
}

static u64 rxe_dmabuf_offset(struct rxe_mr *mr, u64 iova)
{
	return mr->dmabuf_offset + (iova - mr->ibmr.iova);
}

/**
 * rxe_dmabuf_mr_copy() - copy into or out of a dma-buf memory region
 * @mr: the region
 * @iova: where, checked against the region by the caller
 * @addr: the other side of the copy
 * @length: how many bytes
 * @dir: RXE_TO_MR_OBJ or RXE_FROM_MR_OBJ
 *
 * Context: Process context (rxe's tasks); may sleep to map the buffer again.
 * Return: 0; -ENODEV if the buffer was revoked; another negative errno of
 * mapping it again.
 */
int rxe_dmabuf_mr_copy(struct rxe_mr *mr, u64 iova, void *addr,
		       unsigned int length, enum rxe_mr_copy_dir dir)
{
	u64 off = rxe_dmabuf_offset(mr, iova);
	int tries, err;

	for (tries = 0; tries < RXE_DMABUF_TRIES; tries++) {
		if (dir == RXE_TO_MR_OBJ)
			err = dma_buf_cpu_write(mr->dmabuf, off, addr, length);
		else
			err = dma_buf_cpu_read(mr->dmabuf, addr, off, length);
		if (err != -EAGAIN)
			break;
		err = dma_buf_cpu_validate(mr->dmabuf);
		if (err)
			break;
		err = -EAGAIN;
	}
	if (err)
		rxe_dbg_mr(mr, "dma-buf access failed, err = %d\n", err);
	return err;
}

/*
 * Map the u64 at @iova for an atomic: RESPST_NONE with @map set and the
 * window open, or the error state (nothing left open).
 */
static enum resp_states rxe_dmabuf_map_u64(struct rxe_mr *mr, u64 iova,
					   struct iosys_map *map)
{
	enum resp_states state = RESPST_NONE;
	ssize_t n;

	if (mr_check_range(mr, iova, sizeof(u64)))
		return RESPST_ERR_RKEY_VIOLATION;
	if (rxe_dmabuf_begin(mr))
		return RESPST_ERR_RKEY_VIOLATION;
	n = dma_buf_cpu_map(mr->dmabuf, rxe_dmabuf_offset(mr, iova),
			    sizeof(u64), map);
	if (n < 0) {
		dma_buf_cpu_end(mr->dmabuf);
		return RESPST_ERR_RKEY_VIOLATION;
	}
	/* See IBA A19.4.2: the address must be 8-byte aligned */
	if (n < sizeof(u64) ||
	    !IS_ALIGNED((unsigned long)(map->is_iomem ?
					(void __force *)map->vaddr_iomem :
					map->vaddr), sizeof(u64)))
		state = RESPST_ERR_MISALIGNED_ATOMIC;
	if (state != RESPST_NONE) {
		dma_buf_cpu_unmap(mr->dmabuf, map);
		dma_buf_cpu_end(mr->dmabuf);
	}
	return state;
}

static void rxe_dmabuf_unmap_u64(struct rxe_mr *mr, struct iosys_map *map)
{
	dma_buf_cpu_unmap(mr->dmabuf, map);
	dma_buf_cpu_end(mr->dmabuf);
}

/**
 * rxe_dmabuf_atomic_op() - compare-and-swap or fetch-and-add on a region
 * @mr: the region, which allows remote atomics and so maps CPU RAM only
 * @iova: the address of the u64
 * @opcode: IB_OPCODE_RC_COMPARE_SWAP or IB_OPCODE_RC_FETCH_ADD
 * @compare: the value to compare with
 * @swap_add: the value to swap in or add
 * @orig_val: where the old value goes
 *
 * Context: Process context (rxe's tasks); may sleep to map the buffer again.
 * Return: RESPST_NONE, or the responder's error state.
 */
enum resp_states rxe_dmabuf_atomic_op(struct rxe_mr *mr, u64 iova, int opcode,
				      u64 compare, u64 swap_add, u64 *orig_val)
{
	struct iosys_map map;
	enum resp_states state;
	u64 *va, value;

	state = rxe_dmabuf_map_u64(mr, iova, &map);
	if (state != RESPST_NONE)
		return state;
	/* the region asked for CPU RAM: the exporter broke its promise */
	if (WARN_ON_ONCE(map.is_iomem)) {
		rxe_dmabuf_unmap_u64(mr, &map);
		return RESPST_ERR_RKEY_VIOLATION;
	}
	va = map.vaddr;
	spin_lock_bh(&atomic_ops_lock);
	value = *orig_val = *va;
	if (opcode == IB_OPCODE_RC_COMPARE_SWAP) {
		if (value == compare)
			*va = swap_add;
	} else {
		*va = value + swap_add;
	}
	spin_unlock_bh(&atomic_ops_lock);
	rxe_dmabuf_unmap_u64(mr, &map);
	return RESPST_NONE;
}

/**
 * rxe_dmabuf_atomic_write() - ATOMIC WRITE into a region
 * @mr: the region
 * @iova: the address of the u64
 * @value: what to store
 *
 * After every earlier write: a release store in RAM, a write barrier and
 * one aligned 64-bit store in device memory.
 *
 * Context: Process context (rxe's tasks); may sleep to map the buffer again.
 * Return: RESPST_NONE, or the responder's error state.
 */
enum resp_states rxe_dmabuf_atomic_write(struct rxe_mr *mr, u64 iova, u64 value)
{
	struct iosys_map map;
	enum resp_states state;

	state = rxe_dmabuf_map_u64(mr, iova, &map);
	if (state != RESPST_NONE)
		return state;
	if (map.is_iomem) {
		/* the earlier writes of the QP, also write-combined, go first */
		wmb();
		writeq(value, map.vaddr_iomem);
	} else {
		/* after every earlier write, as for other regions */
		smp_store_release((u64 *)map.vaddr, value);
	}
	rxe_dmabuf_unmap_u64(mr, &map);
	return RESPST_NONE;
}

/**
 * rxe_dmabuf_mr_cleanup() - release a region's dma-buf
 * @mr: the region
 *
 * Context: Process context; may sleep.
 */
void rxe_dmabuf_mr_cleanup(struct rxe_mr *mr)
{
	dma_buf_cpu_detach(mr->dmabuf);
	mr->dmabuf = NULL;
}
