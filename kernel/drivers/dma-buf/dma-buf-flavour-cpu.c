// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma-buf CPU access: the cpu_access flavour, for importers that touch a
 * buffer with the CPU.  The importer gets a handle, never an address; the
 * core copies, RAM through the kernel's direct map, MMIO through a
 * write-combined ioremap, and drops its mapping when the exporter moves or
 * revokes the buffer.
 *
 * Copyright 2026 The phyr developers
 */

#include <kunit/static_stub.h>
#include <kunit/visibility.h>

#include <linux/dma-buf.h>
#include <linux/dma-buf-cpu.h>
#include <linux/dma-buf-flavour.h>
#include <linux/dma-resv.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/phyr.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "dma-buf-flavour-internal.h"
#include "dma-buf-flavour-cpu.h"

/**
 * DOC: cpu access
 *
 * A software importer (soft-RoCE, siw, a software device) reads and writes a
 * buffer with the CPU.  Handing it a kernel virtual address does not work for
 * every buffer: device memory is MMIO, which must be mapped uncached or
 * write-combined and copied with memcpy_toio()/memcpy_fromio() (a plain
 * memcpy() or an atomic instruction on it is wrong, and a vmap of it is an
 * __iomem pointer that the importer would have to treat apart), and memory
 * the exporter moves or revokes must not be reached after that.  So the
 * importer gets neither an address nor a scatterlist, but a handle:
 *
 * - dma_buf_cpu_attach() attaches with the cpu_access flavour.  Exporters
 *   offer it for MMIO explicitly (%DMA_BUF_FLAVOUR_CPU_ACCESS with
 *   %DMA_BUF_FLAVOUR_MMIO: "this MMIO is memory the CPU may map
 *   write-combined"); any phyr offer of CPU RAM only serves it too, through
 *   the core.  An importer that cannot live with MMIO (atomics) asks for
 *   CPU RAM (%DMA_BUF_FLAVOUR_CPU).
 * - dma_buf_cpu_validate() maps the buffer under its reservation: the
 *   exporter's phyr (&dma_buf_flavour_ops.map_phyr, which may move the
 *   buffer where the attachment can use it), every range checked against
 *   what the attachment was matched for (MMIO only for an importer that takes
 *   it, and only of a provider the exporter offers for CPU access now: an
 *   attachment that the core served from CPU RAM follows the buffer into
 *   device memory that the exporter offers so), each run of MMIO ranges
 *   mapped with ioremap_wc(), and the exporter's kernel fences waited for.
 * - dma_buf_cpu_read(), dma_buf_cpu_write() and, for other accesses,
 *   dma_buf_cpu_map() within dma_buf_cpu_begin()/dma_buf_cpu_end(), work at
 *   any byte offset and across every range boundary: RAM through
 *   kmap_local_pfn() (the direct map, a whole range at once, without
 *   HIGHMEM), MMIO through the ioremap, with memcpy_toio()/memcpy_fromio().
 *   They do not sleep and take no lock but the handle's spinlock.
 * - When the exporter invalidates the attachment (a move, a revoke, an
 *   unplug), the handle stops new accesses at once, waits for those in
 *   progress (a copy is bounded, and takes nothing the exporter holds) and
 *   unmaps: exporter's phyr, ioremaps, all before the invalidate returns.  So
 *   once the exporter's move or dma_buf_revoke() goes on, no copy of this
 *   importer reaches the old memory.  Accesses then fail with -EAGAIN until
 *   the importer validates again (where the buffer is now), or -ENODEV from
 *   the validation of a revoked buffer.
 *
 * An access window (dma_buf_cpu_begin() to dma_buf_cpu_end()) must not wait
 * for the buffer's reservation, or for anything that waits for it: the
 * invalidate that holds it waits for the window.
 */

/* a run of MMIO ranges, mapped write-combined */
struct dma_buf_cpu_mmio {
	phys_addr_t phys;
	size_t len;
	void __iomem *vaddr;
};

/*
 * struct dma_buf_cpu - a CPU-access importer's handle on a dma-buf, made by
 * dma_buf_cpu_attach() and freed by dma_buf_cpu_detach(); opaque to importers.
 */
struct dma_buf_cpu {
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	const struct dma_buf_cpu_ops *ops;
	void *priv;
	u64 size;
	/*
	 * The mapping: set by a validation, cleared by an invalidation, both
	 * with the reservation held; read by accesses in their window.
	 */
	const struct phyr *phyr;
	struct dma_buf_cpu_mmio *mmio;
	unsigned int nr_mmio;
	/* the access windows */
	spinlock_t lock;
	bool mapped;		/* new windows may open */
	unsigned int active;	/* windows open */
	wait_queue_head_t idle;
};

/* Allocations and ioremaps go through here, so that tests can fail them. */
VISIBLE_IF_KUNIT void *dma_buf_cpu_alloc(size_t size)
{
	KUNIT_STATIC_STUB_REDIRECT(dma_buf_cpu_alloc, size);
	return kvzalloc(size, GFP_KERNEL);
}
EXPORT_SYMBOL_IF_KUNIT(dma_buf_cpu_alloc);

VISIBLE_IF_KUNIT void __iomem *dma_buf_cpu_ioremap(phys_addr_t phys, size_t len)
{
	KUNIT_STATIC_STUB_REDIRECT(dma_buf_cpu_ioremap, phys, len);
	return ioremap_wc(phys, len);
}
EXPORT_SYMBOL_IF_KUNIT(dma_buf_cpu_ioremap);

static void cpu_invalidate(struct dma_buf_attachment *attach);

static const struct dma_buf_attach_ops cpu_attach_ops = {
	.allow_peer2peer = true,
	.invalidate_mappings = cpu_invalidate,
};

/**
 * dma_buf_cpu_attach() - attach for CPU access
 * @dmabuf: the buffer
 * @dev: the importer's device, for the exporter and for debugfs; it does no
 *	DMA
 * @flags: %DMA_BUF_FLAVOUR_MMIO if the importer can live with MMIO (it only
 *	copies), %DMA_BUF_FLAVOUR_CPU if it needs CPU RAM (e.g. for atomic
 *	operations), or 0 (CPU RAM, and no promise asked)
 * @ops: the importer's callbacks, or %NULL
 * @priv: passed to @ops
 *
 * Attaches with the cpu_access flavour (see DOC: cpu access) as a revocable
 * importer: the exporter may move the buffer, and dma_buf_revoke() ends the
 * importer's access in bounded time.  The handle holds its own reference on
 * @dmabuf.  Nothing is mapped yet: dma_buf_cpu_validate() does that.
 *
 * Context: Process context; may sleep.  Takes the buffer's dma_resv lock:
 * must be called without it.
 * Return: the handle, or an ERR_PTR: -EINVAL for bad @flags, -EOPNOTSUPP if
 * the exporter offers no CPU access (for the buffer where it is now, or for
 * MMIO to an importer that needs RAM), -ENODEV if it is revoked, -ENOMEM, or
 * the exporter's error.
 */
struct dma_buf_cpu *dma_buf_cpu_attach(struct dma_buf *dmabuf,
				       struct device *dev, u32 flags,
				       const struct dma_buf_cpu_ops *ops,
				       void *priv)
{
	struct dma_buf_flavour_req req = {
		.flavour = DMA_BUF_FLAVOUR_CPU_ACCESS,
		.flags = flags,
	};
	struct dma_buf_attachment *attach;
	struct dma_buf_cpu *cpu;

	if ((flags & ~DMA_BUF_FLAVOUR_FLAGS) || flags == DMA_BUF_FLAVOUR_FLAGS)
		return ERR_PTR(-EINVAL);
	cpu = kzalloc_obj(*cpu);
	if (!cpu)
		return ERR_PTR(-ENOMEM);
	spin_lock_init(&cpu->lock);
	init_waitqueue_head(&cpu->idle);
	cpu->ops = ops;
	cpu->priv = priv;
	cpu->size = dmabuf->size;
	cpu->dmabuf = dmabuf;
	attach = dma_buf_flavour_attach(dmabuf, dev, &req, 1, &cpu_attach_ops,
					cpu);
	if (IS_ERR(attach)) {
		kfree(cpu);
		return ERR_CAST(attach);
	}
	cpu->attach = attach;
	get_dma_buf(dmabuf);
	return cpu;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_cpu_attach, "DMA_BUF");

/**
 * dma_buf_cpu_attachment() - the attachment behind a handle
 * @cpu: the handle
 *
 * For what the importer may want to know of it (&dma_buf_attachment.flavour,
 * whether it is bridged); the attachment belongs to the handle.
 *
 * Context: Any context.
 * Return: the attachment.
 */
struct dma_buf_attachment *dma_buf_cpu_attachment(struct dma_buf_cpu *cpu)
{
	return cpu->attach;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_cpu_attachment, "DMA_BUF");

static bool cpu_idle(struct dma_buf_cpu *cpu)
{
	unsigned long flags;
	bool idle;

	spin_lock_irqsave(&cpu->lock, flags);
	idle = !cpu->active;
	spin_unlock_irqrestore(&cpu->lock, flags);
	return idle;
}

static void cpu_unmap_mmio(struct dma_buf_cpu *cpu)
{
	unsigned int i;

	for (i = 0; i < cpu->nr_mmio; i++)
		iounmap(cpu->mmio[i].vaddr);
	kvfree(cpu->mmio);
	cpu->mmio = NULL;
	cpu->nr_mmio = 0;
}

/*
 * Drop the mapping, with the reservation held: no new window opens, those
 * open are waited for, then the MMIO and the exporter's ranges are released.
 */
static void cpu_unmap_locked(struct dma_buf_cpu *cpu)
{
	struct dma_buf_attachment *attach = cpu->attach;
	unsigned long flags;
	bool mapped;

	dma_resv_assert_held(cpu->dmabuf->resv);
	spin_lock_irqsave(&cpu->lock, flags);
	mapped = cpu->mapped;
	cpu->mapped = false;
	spin_unlock_irqrestore(&cpu->lock, flags);
	if (!mapped)
		return;
	wait_event(cpu->idle, cpu_idle(cpu));
	cpu_unmap_mmio(cpu);
	attach->dmabuf->ops->flavours->unmap_phyr(attach, cpu->phyr);
	dma_buf_count_unmap(attach);
	cpu->phyr = NULL;
}

/* &dma_buf_attach_ops.invalidate_mappings of every handle */
static void cpu_invalidate(struct dma_buf_attachment *attach)
{
	struct dma_buf_cpu *cpu = attach->importer_priv;

	cpu_unmap_locked(cpu);
	if (cpu->ops && cpu->ops->invalidated)
		cpu->ops->invalidated(cpu, cpu->priv);
}

/**
 * dma_buf_cpu_detach() - drop a handle
 * @cpu: the handle, with no access window open
 *
 * Unmaps the buffer if it is mapped, detaches and drops the handle's
 * reference on the buffer.
 *
 * Context: Process context; may sleep.  Takes the buffer's dma_resv lock:
 * must be called without it.
 */
void dma_buf_cpu_detach(struct dma_buf_cpu *cpu)
{
	struct dma_buf *dmabuf;

	if (IS_ERR_OR_NULL(cpu))
		return;
	dmabuf = cpu->dmabuf;
	dma_resv_lock(dmabuf->resv, NULL);
	cpu_unmap_locked(cpu);
	dma_resv_unlock(dmabuf->resv);
	WARN_ON_ONCE(dma_buf_flavour_detach(dmabuf, cpu->attach));
	dma_buf_put(dmabuf);
	kfree(cpu);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_cpu_detach, "DMA_BUF");

static int mmio_cmp(const void *a, const void *b)
{
	const struct dma_buf_cpu_mmio *x = a, *y = b;

	if (x->phys != y->phys)
		return x->phys < y->phys ? -1 : 1;
	return 0;
}

/*
 * Whether the exporter lets the CPU map MMIO of @provider now: it offers it
 * for CPU access (%DMA_BUF_FLAVOUR_CPU_ACCESS with %DMA_BUF_FLAVOUR_MMIO).
 * Asked at every validation, not only at attach: the offers describe where
 * the buffer is now, and an attachment that the core served from a phyr of
 * CPU RAM may find the buffer moved to device memory, which the exporter
 * offers for CPU access just as well.
 */
static bool cpu_mmio_offered(struct dma_buf *dmabuf,
			     struct p2pdma_provider *provider)
{
	struct dma_buf_flavour_offer offers[DMA_BUF_MAX_FLAVOURS];
	int i, n;

	n = dmabuf->ops->flavours->offers(dmabuf, offers, ARRAY_SIZE(offers));
	for (i = 0; i < n; i++) {
		if (offers[i].flavour == DMA_BUF_FLAVOUR_CPU_ACCESS &&
		    (offers[i].flags & DMA_BUF_FLAVOUR_MMIO) &&
		    offers[i].provider == provider)
			return true;
	}
	return false;
}

/*
 * Check every range against what the attachment was matched with and map the
 * MMIO: MMIO only for an attachment that takes it, and only of a provider
 * the exporter offers for CPU access now; the ranges sorted by address,
 * overlapping and touching ones merged, so that each piece of a range lies
 * in exactly one mapping.
 */
static int cpu_map_ranges(struct dma_buf_cpu *cpu, const struct phyr *phyr)
{
	bool mmio_ok = cpu->attach->flavour_flags & DMA_BUF_FLAVOUR_MMIO;
	struct p2pdma_provider *offered = NULL;
	struct dma_buf_cpu_mmio *m;
	struct phyr_cursor cur;
	unsigned int n = 0, i, j;

	phyr_cursor_init(&cur, phyr);
	while (phyr_cursor_next(&cur)) {
		if (cur.type == PHYR_MEM_RAM)
			continue;
		if (!mmio_ok || !cur.provider)
			return -EREMOTEIO;
		if (cur.provider != offered) {
			if (!cpu_mmio_offered(cpu->dmabuf, cur.provider))
				return -EREMOTEIO;
			offered = cur.provider;
		}
		n++;
	}
	if (!n)
		return 0;

	m = dma_buf_cpu_alloc(array_size(n, sizeof(*m)));
	if (!m)
		return -ENOMEM;
	i = 0;
	phyr_cursor_init(&cur, phyr);
	while (phyr_cursor_next(&cur) && i < n) {
		if (cur.type == PHYR_MEM_RAM)
			continue;
		m[i].phys = cur.phys;
		m[i].len = cur.len;
		i++;
	}
	sort(m, n, sizeof(*m), mmio_cmp, NULL);
	for (i = 1, j = 0; i < n; i++) {
		if (m[i].phys <= m[j].phys + m[j].len) {
			u64 end = max(m[j].phys + m[j].len, m[i].phys + m[i].len);

			m[j].len = end - m[j].phys;
			continue;
		}
		m[++j] = m[i];
	}
	cpu->mmio = m;
	cpu->nr_mmio = 0;
	for (i = 0; i <= j; i++) {
		m[i].vaddr = dma_buf_cpu_ioremap(m[i].phys, m[i].len);
		if (!m[i].vaddr) {
			cpu_unmap_mmio(cpu);
			return -ENOMEM;
		}
		cpu->nr_mmio++;
	}
	return 0;
}

/**
 * dma_buf_cpu_validate_locked() - map a buffer for CPU access
 * @cpu: the handle
 *
 * Does nothing if the buffer is mapped.  Otherwise gets the exporter's ranges
 * (&dma_buf_flavour_ops.map_phyr, which may move the buffer to a placement
 * the attachment can use), checks them (MMIO only for an attachment that
 * takes it), maps the MMIO write-combined, and waits for the exporter's
 * kernel fences (a move still copying).  From then on accesses work, until
 * the exporter invalidates the attachment.
 *
 * Context: Process context; may sleep.  The buffer's dma_resv lock must be
 * held.
 * Return: 0; -ENODEV if the buffer is revoked; -EREMOTEIO if the exporter
 * returned MMIO for an importer that needs CPU RAM; -ENOMEM; or the error of
 * the exporter or of the fence wait.
 */
int dma_buf_cpu_validate_locked(struct dma_buf_cpu *cpu)
{
	struct dma_buf_attachment *attach = cpu->attach;
	struct dma_buf *dmabuf = cpu->dmabuf;
	const struct dma_buf_flavour_ops *ops = dmabuf->ops->flavours;
	const struct phyr *phyr;
	unsigned long flags;
	long left;
	int ret;

	might_sleep();
	dma_resv_assert_held(dmabuf->resv);
	if (cpu->mapped)
		return 0;
	if (dmabuf->revoked)
		return -ENODEV;
	if (WARN_ON_ONCE(!ops || !ops->map_phyr))
		return -EINVAL;
	phyr = ops->map_phyr(attach);
	if (!phyr)
		return -ENOMEM;
	if (IS_ERR(phyr))
		return PTR_ERR(phyr);
	ret = phyr_len(phyr) < cpu->size ? -EREMOTEIO : cpu_map_ranges(cpu, phyr);
	if (ret)
		goto err_unmap;
	left = dma_resv_wait_timeout(dmabuf->resv, DMA_RESV_USAGE_KERNEL, false,
				     MAX_SCHEDULE_TIMEOUT);
	if (left <= 0) {
		ret = left ? left : -ETIMEDOUT;
		cpu_unmap_mmio(cpu);
		goto err_unmap;
	}
	dma_buf_count_map(attach);
	spin_lock_irqsave(&cpu->lock, flags);
	cpu->phyr = phyr;
	cpu->mapped = true;
	spin_unlock_irqrestore(&cpu->lock, flags);
	return 0;

err_unmap:
	ops->unmap_phyr(attach, phyr);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_cpu_validate_locked, "DMA_BUF");

/**
 * dma_buf_cpu_validate() - map a buffer for CPU access, taking its lock
 * @cpu: the handle
 *
 * dma_buf_cpu_validate_locked() under the buffer's reservation: what an
 * importer calls when an access returned -EAGAIN, before trying again.
 *
 * Context: Process context; sleeps.  Takes the buffer's dma_resv lock: must
 * be called without it, and outside an access window.
 * Return: as dma_buf_cpu_validate_locked().
 */
int dma_buf_cpu_validate(struct dma_buf_cpu *cpu)
{
	struct dma_resv *resv = cpu->dmabuf->resv;
	int ret;

	dma_resv_lock(resv, NULL);
	ret = dma_buf_cpu_validate_locked(cpu);
	dma_resv_unlock(resv);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_cpu_validate, "DMA_BUF");

/**
 * dma_buf_cpu_begin() - open an access window
 * @cpu: the handle
 *
 * Between this and dma_buf_cpu_end() the mapping stays: an invalidation
 * waits for the window to close.  Keep windows short, and never wait in one
 * for the buffer's reservation.  dma_buf_cpu_read() and dma_buf_cpu_write()
 * open their own window; dma_buf_cpu_map() needs one.
 *
 * Context: Any context; does not sleep.
 * Return: 0 with the window open; -EAGAIN if the buffer is not mapped (it
 * never was, or the exporter invalidated it): dma_buf_cpu_validate() first.
 */
int dma_buf_cpu_begin(struct dma_buf_cpu *cpu)
{
	unsigned long flags;
	int ret = -EAGAIN;

	spin_lock_irqsave(&cpu->lock, flags);
	if (cpu->mapped) {
		cpu->active++;
		ret = 0;
	}
	spin_unlock_irqrestore(&cpu->lock, flags);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_cpu_begin, "DMA_BUF");

/**
 * dma_buf_cpu_end() - close an access window
 * @cpu: the handle
 *
 * Context: Any context; does not sleep.
 */
void dma_buf_cpu_end(struct dma_buf_cpu *cpu)
{
	unsigned long flags;

	spin_lock_irqsave(&cpu->lock, flags);
	if (!WARN_ON_ONCE(!cpu->active) && !--cpu->active && !cpu->mapped)
		wake_up(&cpu->idle);
	spin_unlock_irqrestore(&cpu->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_cpu_end, "DMA_BUF");

/* the run of MMIO that holds @phys */
static const struct dma_buf_cpu_mmio *mmio_find(struct dma_buf_cpu *cpu,
						phys_addr_t phys)
{
	unsigned int lo = 0, hi = cpu->nr_mmio;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct dma_buf_cpu_mmio *m = &cpu->mmio[mid];

		if (phys < m->phys)
			hi = mid;
		else if (phys - m->phys >= m->len)
			lo = mid + 1;
		else
			return m;
	}
	return NULL;
}

/*
 * Map up to @len bytes at @phys, of memory type @type, for the CPU: RAM up
 * to the end of the page (of the range, without HIGHMEM: the direct map is
 * linear), MMIO up to the end of its run.  Returns the bytes mapped.
 */
static size_t map_at(struct dma_buf_cpu *cpu, enum phyr_mem_type type,
		     phys_addr_t phys, size_t len, struct iosys_map *map)
{
	const struct dma_buf_cpu_mmio *m;
	size_t off;

	if (type == PHYR_MEM_RAM) {
		off = offset_in_page(phys);
		iosys_map_set_vaddr(map, kmap_local_pfn(PHYS_PFN(phys)) + off);
		if (IS_ENABLED(CONFIG_HIGHMEM))
			len = min_t(size_t, len, PAGE_SIZE - off);
		return len;
	}
	m = mmio_find(cpu, phys);
	if (WARN_ON_ONCE(!m))
		return 0;
	iosys_map_set_vaddr_iomem(map, m->vaddr + (phys - m->phys));
	return min_t(size_t, len, m->len - (phys - m->phys));
}

static void unmap_at(struct iosys_map *map)
{
	if (!map->is_iomem)
		kunmap_local(map->vaddr);
	iosys_map_clear(map);
}

static bool in_buffer(struct dma_buf_cpu *cpu, u64 offset, size_t len)
{
	return offset < cpu->size && len <= cpu->size - offset;
}

/**
 * dma_buf_cpu_map() - map a piece of the buffer for the CPU
 * @cpu: the handle, with an access window open
 * @offset: the byte offset in the buffer
 * @len: the most bytes wanted, at least 1
 * @map: filled with the CPU address (&iosys_map.is_iomem for MMIO: use the
 *	iosys_map accessors, never plain loads and stores or atomics on it)
 *
 * Maps as much of [@offset, @offset + @len) as is contiguous for the CPU: at
 * most to the end of the physical range @offset is in, and for RAM with
 * HIGHMEM to the end of the page.  Unmap with dma_buf_cpu_unmap() in the
 * reverse order of mapping, in the same context and window
 * (kmap_local_pfn() rules).
 *
 * Context: Any context; does not sleep.
 * Return: the bytes mapped (1 to @len), or -EINVAL for a piece outside the
 * buffer or no window open.
 */
ssize_t dma_buf_cpu_map(struct dma_buf_cpu *cpu, u64 offset, size_t len,
			struct iosys_map *map)
{
	struct phyr_cursor cur;
	size_t n;

	if (!len || !in_buffer(cpu, offset, len) ||
	    WARN_ON_ONCE(!READ_ONCE(cpu->active) || !cpu->phyr))
		return -EINVAL;
	if (phyr_cursor_init_range(&cur, cpu->phyr, offset, len) ||
	    !phyr_cursor_next(&cur))
		return -EINVAL;
	n = map_at(cpu, cur.type, cur.phys, cur.len, map);
	return n ? n : -EINVAL;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_cpu_map, "DMA_BUF");

/**
 * dma_buf_cpu_unmap() - undo dma_buf_cpu_map()
 * @cpu: the handle
 * @map: what dma_buf_cpu_map() filled in; cleared
 *
 * Context: Any context; does not sleep.
 */
void dma_buf_cpu_unmap(struct dma_buf_cpu *cpu, struct iosys_map *map)
{
	unmap_at(map);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_cpu_unmap, "DMA_BUF");

/* Copy @len bytes at @offset from (@to_buf: to) @buf, in a window. */
static int cpu_copy(struct dma_buf_cpu *cpu, u64 offset, void *buf, size_t len,
		    bool to_buf)
{
	struct phyr_cursor cur;
	struct iosys_map map;
	bool iomem = false;
	int ret;

	if (!len)
		return 0;
	if (!in_buffer(cpu, offset, len))
		return -EINVAL;
	ret = dma_buf_cpu_begin(cpu);
	if (ret)
		return ret;
	ret = phyr_cursor_init_range(&cur, cpu->phyr, offset, len);
	while (!ret && phyr_cursor_next(&cur)) {
		phys_addr_t phys = cur.phys;
		size_t left = cur.len;

		while (left) {
			size_t n = map_at(cpu, cur.type, phys, left, &map);

			if (!n) {
				ret = -EINVAL;
				break;
			}
			if (to_buf)
				iosys_map_memcpy_to(&map, 0, buf, n);
			else
				iosys_map_memcpy_from(buf, &map, 0, n);
			iomem |= map.is_iomem;
			unmap_at(&map);
			buf += n;
			phys += n;
			left -= n;
		}
	}
	/* posted write-combined stores: done before the importer's next step */
	if (to_buf && iomem)
		wmb();	/* orders the MMIO writes before later stores */
	dma_buf_cpu_end(cpu);
	return ret;
}

/**
 * dma_buf_cpu_read() - copy out of a buffer
 * @cpu: the handle
 * @dst: where to copy to
 * @offset: the byte offset in the buffer
 * @len: how many bytes
 *
 * Opens its own access window; works at any offset and across ranges of any
 * kind.
 *
 * Context: Any context; does not sleep.
 * Return: 0; -EINVAL for a piece outside the buffer; -EAGAIN if the buffer
 * is not mapped (dma_buf_cpu_validate(), then again).
 */
int dma_buf_cpu_read(struct dma_buf_cpu *cpu, void *dst, u64 offset,
		     size_t len)
{
	return cpu_copy(cpu, offset, dst, len, false);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_cpu_read, "DMA_BUF");

/**
 * dma_buf_cpu_write() - copy into a buffer
 * @cpu: the handle
 * @offset: the byte offset in the buffer
 * @src: where to copy from
 * @len: how many bytes
 *
 * Like dma_buf_cpu_read(), the other way.  A write that fails with -EAGAIN
 * wrote nothing; once an invalidation began, nothing of this handle is
 * written into the old memory.
 *
 * Context: Any context; does not sleep.
 * Return: as dma_buf_cpu_read().
 */
int dma_buf_cpu_write(struct dma_buf_cpu *cpu, u64 offset, const void *src,
		      size_t len)
{
	return cpu_copy(cpu, offset, (void *)src, len, true);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_cpu_write, "DMA_BUF");
