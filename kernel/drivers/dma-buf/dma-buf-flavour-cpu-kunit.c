// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of dma-buf CPU access (the cpu_access flavour), with a mock
 * exporter whose ranges are pages of the test, cut at odd byte offsets, and
 * MMIO of ivshmem's BAR2: every range boundary, both memory types, moves and
 * revokes while a thread keeps writing, and failures at every step.
 *
 * Copyright 2026 The phyr developers
 */

#include <kunit/device.h>
#include <kunit/dma-buf.h>
#include <kunit/phyr_pci.h>
#include <kunit/static_stub.h>
#include <kunit/test.h>

#include <linux/completion.h>
#include <linux/dma-buf.h>
#include <linux/dma-buf-cpu.h>
#include <linux/dma-buf-flavour.h>
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/fcntl.h>
#include <linux/io.h>
#include <linux/iopoll.h>
#include <linux/kthread.h>
#include <linux/pci.h>
#include <linux/phyr.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "dma-buf-flavour-cpu.h"

MODULE_IMPORT_NS("DMA_BUF");
MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");

#define CPU_PAGES	6
#define MAX_PIECES	8

/* where the test may write in ivshmem's BAR2: its last MiB */
#define BAR_WINDOW	SZ_1M

/* one range of the mock buffer: RAM of a page, or MMIO at a BAR offset */
struct piece {
	bool mmio;
	unsigned int page;	/* RAM: index into the placement's pages */
	size_t off;		/* in the page, or in the BAR window */
	size_t len;
};

/* Two layouts: RAM only, and RAM and MMIO mixed, both cut at odd places. */
static const struct piece ram_layout[] = {
	{ .page = 3, .off = 100, .len = PAGE_SIZE - 100 },
	{ .page = 0, .off = 0, .len = PAGE_SIZE },
	{ .page = 5, .off = 0, .len = 1 },
	{ .page = 1, .off = 7, .len = 2000 },
	{ .page = 2, .off = 0, .len = PAGE_SIZE },
	{ .page = 4, .off = 0, .len = PAGE_SIZE },
};

static const struct piece mixed_layout[] = {
	{ .mmio = true, .off = 0, .len = 5000 },
	{ .page = 0, .off = 0, .len = PAGE_SIZE },
	/* touches the first MMIO range in the BAR: one mapping for both */
	{ .mmio = true, .off = 5000, .len = 8192 - 5000 },
	{ .page = 1, .off = 1, .len = PAGE_SIZE - 1 },
	{ .mmio = true, .off = SZ_64K + 3, .len = 3 },
	{ .page = 2, .off = 0, .len = 10 },
	{ .mmio = true, .off = SZ_512K, .len = PAGE_SIZE },
};

struct cpu_mock {
	struct kunit *test;
	struct dma_buf_kunit_exporter *exp;	/* its pages: both placements */
	struct dma_buf *dmabuf;			/* the exporter's */
	struct phyr phyr[2];			/* the placements' ranges */
	const struct piece *layout;
	unsigned int nr_pieces;
	unsigned int place;			/* the current placement */
	size_t size;
	/* MMIO: ivshmem's BAR2 window, mapped by the test itself */
	struct p2pdma_provider *provider;
	phys_addr_t bar_phys;
	void __iomem *bar;
	u8 *bar_saved;
};

/* page @i of placement @p */
static struct page *mock_page(struct cpu_mock *m, unsigned int p, unsigned int i)
{
	return m->exp->pages[p * CPU_PAGES + i];
}

static void mock_free(void *data)
{
	struct cpu_mock *m = data;

	phyr_destroy(&m->phyr[0]);
	phyr_destroy(&m->phyr[1]);
	if (m->bar) {
		memcpy_toio(m->bar, m->bar_saved, BAR_WINDOW);
		iounmap(m->bar);
	}
	kvfree(m->bar_saved);
}

/* the byte at buffer offset @off of placement @p */
static void *piece_ram(struct cpu_mock *m, unsigned int p,
		       const struct piece *pc, size_t in)
{
	return page_address(mock_page(m, p, pc->page)) + pc->off + in;
}

static const struct piece *find_piece(struct cpu_mock *m, size_t *off)
{
	unsigned int i;

	for (i = 0; i < m->nr_pieces; i++) {
		if (*off < m->layout[i].len)
			return &m->layout[i];
		*off -= m->layout[i].len;
	}
	return NULL;
}

static u8 mock_get(struct cpu_mock *m, unsigned int p, size_t off)
{
	const struct piece *pc = find_piece(m, &off);

	if (pc->mmio)
		return readb(m->bar + pc->off + off);
	return *(u8 *)piece_ram(m, p, pc, off);
}

/* the whole buffer as placement @p holds it, into @out */
static void mock_snapshot(struct cpu_mock *m, unsigned int p, u8 *out)
{
	unsigned int i;

	for (i = 0; i < m->nr_pieces; i++) {
		const struct piece *pc = &m->layout[i];

		if (pc->mmio)
			memcpy_fromio(out, m->bar + pc->off, pc->len);
		else
			memcpy(out, piece_ram(m, p, pc, 0), pc->len);
		out += pc->len;
	}
}

static void mock_fill(struct cpu_mock *m, unsigned int p, u8 val)
{
	unsigned int i;

	for (i = 0; i < m->nr_pieces; i++) {
		const struct piece *pc = &m->layout[i];

		if (pc->mmio)
			memset_io(m->bar + pc->off, val, pc->len);
		else
			memset(piece_ram(m, p, pc, 0), val, pc->len);
	}
}

/* A dma-buf of @layout, offering @offers (or the RAM default). */
static struct cpu_mock *mock_create(struct kunit *test,
				    const struct piece *layout,
				    unsigned int nr_pieces)
{
	struct cpu_mock *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	bool mmio = false;
	unsigned int p, i;

	KUNIT_ASSERT_NOT_NULL(test, m);
	m->test = test;
	m->layout = layout;
	m->nr_pieces = nr_pieces;
	for (i = 0; i < nr_pieces; i++) {
		m->size += layout[i].len;
		mmio |= layout[i].mmio;
	}
	if (mmio) {
		struct pci_dev *pdev;

		/* the second ivshmem: the first is edu's P2P peer in tests */
		m->provider = phyr_kunit_ivshmem_provider_nth(test, 1, &pdev);
		KUNIT_ASSERT_GE(test, pci_resource_len(pdev, PHYR_KUNIT_IVSHMEM_BAR),
				(resource_size_t)BAR_WINDOW);
		m->bar_phys = pci_resource_end(pdev, PHYR_KUNIT_IVSHMEM_BAR) + 1 -
			      BAR_WINDOW;
	}
	/* both placements' pages; the buffer's size is the layout's */
	m->exp = dma_buf_kunit_exporter(test, DMA_BUF_KUNIT_BRIDGE, 2 * CPU_PAGES, m->size, 0);
	m->dmabuf = m->exp->dmabuf;
	phyr_init(&m->phyr[0], GFP_KERNEL);
	phyr_init(&m->phyr[1], GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, mock_free, m), 0);
	if (mmio) {
		m->bar_saved = kvmalloc(BAR_WINDOW, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, m->bar_saved);
		m->bar = ioremap_wc(m->bar_phys, BAR_WINDOW);
		KUNIT_ASSERT_NOT_NULL(test, m->bar);
		memcpy_fromio(m->bar_saved, m->bar, BAR_WINDOW);
	}
	for (p = 0; p < 2; p++) {
		for (i = 0; i < nr_pieces; i++) {
			const struct piece *pc = &layout[i];

			int ret;

			if (pc->mmio)
				ret = phyr_append_mmio(&m->phyr[p], m->provider,
						       m->bar_phys + pc->off, pc->len,
						       PHYR_ATTR_WC);
			else
				ret = phyr_append(&m->phyr[p],
						  page_to_phys(mock_page(m, p, pc->page)) +
						  pc->off, pc->len, 0);
			KUNIT_ASSERT_EQ(test, ret, 0);
		}
	}
	m->exp->map = &m->phyr[0];
	m->exp->nr_offers = 1;		/* phyr of CPU RAM */
	if (mmio) {
		m->exp->offers[0] = (struct dma_buf_flavour_offer){
			.flavour = DMA_BUF_FLAVOUR_CPU_ACCESS,
			.flags = DMA_BUF_FLAVOUR_MMIO, .provider = m->provider };
		/* the mixed layout is the same MMIO in both placements */
		m->exp->offers[1] = (struct dma_buf_flavour_offer){
			.flavour = DMA_BUF_FLAVOUR_PHYR,
			.flags = DMA_BUF_FLAVOUR_MMIO, .provider = m->provider };
		m->exp->nr_offers = 2;
	}
	return m;
}

/* a new importer device; each of a test's has its own name (and KUnit driver) */
static struct device *cpu_dev(struct kunit *test)
{
	static atomic_t seq = ATOMIC_INIT(0);
	struct device *dev;
	char name[32];

	snprintf(name, sizeof(name), "cpu_access_imp%d", atomic_inc_return(&seq));
	dev = kunit_device_register(test, name);

	KUNIT_ASSERT_FALSE(test, IS_ERR(dev));
	return dev;
}

struct importer {
	int invalidated;
};

static void importer_invalidated(struct dma_buf_cpu *cpu, void *priv)
{
	struct importer *imp = priv;

	if (imp)	/* NULL: a test that does not count */
		imp->invalidated++;
}

static const struct dma_buf_cpu_ops importer_ops = {
	.invalidated = importer_invalidated,
};

static void cpu_detach_action(void *data)
{
	dma_buf_cpu_detach(data);
}

static struct dma_buf_cpu *cpu_attach(struct kunit *test, struct cpu_mock *m,
				      u32 flags, struct importer *imp)
{
	struct dma_buf_cpu *cpu;

	cpu = dma_buf_cpu_attach(m->dmabuf, cpu_dev(test), flags, &importer_ops, imp);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(cpu), "attach: %ld", PTR_ERR(cpu));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, cpu_detach_action, cpu), 0);
	return cpu;
}

static long try_attach(struct kunit *test, struct cpu_mock *m, u32 flags)
{
	struct dma_buf_cpu *cpu;

	cpu = dma_buf_cpu_attach(m->dmabuf, cpu_dev(test), flags, NULL, NULL);
	if (IS_ERR(cpu))
		return PTR_ERR(cpu);
	dma_buf_cpu_detach(cpu);
	return 0;
}

/*
 * What matches: CPU RAM of any phyr offer (the core serves it), MMIO only
 * with the exporter's own cpu_access offer, never MMIO for an importer that
 * needs RAM, nothing from an exporter without flavours; bad flags.
 */
static void cpu_test_match(struct kunit *test)
{
	struct cpu_mock *m = mock_create(test, ram_layout, ARRAY_SIZE(ram_layout));
	struct dma_buf_cpu *cpu;
	struct dma_buf_kunit_exporter *legacy;
	struct seq_file s = {};
	char *buf = kunit_kzalloc(test, 256, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	/* phyr of CPU RAM: served by the core, bridged */
	cpu = dma_buf_cpu_attach(m->dmabuf, cpu_dev(test), DMA_BUF_FLAVOUR_MMIO,
				 NULL, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(cpu));
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_attachment(cpu)->flavour,
			DMA_BUF_FLAVOUR_CPU_ACCESS);
	KUNIT_EXPECT_TRUE(test, dma_buf_cpu_attachment(cpu)->flavour_bridged);
	dma_buf_cpu_detach(cpu);
	KUNIT_EXPECT_EQ(test, try_attach(test, m, DMA_BUF_FLAVOUR_CPU), 0);
	KUNIT_EXPECT_EQ(test, try_attach(test, m, 0), 0);
	s.buf = buf;
	s.size = 256;
	dma_buf_flavour_show_fdinfo(&s, m->dmabuf);
	KUNIT_EXPECT_STREQ(test, buf, "flavours:\tphyr+cpu sg_table(bridge) cpu_access(bridge)\n");

	/* phyr with MMIO but no cpu_access offer: MMIO needs consent */
	m->exp->offers[0] = (struct dma_buf_flavour_offer){
		.flavour = DMA_BUF_FLAVOUR_PHYR, .flags = DMA_BUF_FLAVOUR_MMIO,
		.provider = (void *)m };
	KUNIT_EXPECT_EQ(test, try_attach(test, m, DMA_BUF_FLAVOUR_MMIO), -EOPNOTSUPP);
	/* a cpu_access offer of MMIO: for importers that take MMIO only */
	m->exp->offers[1] = (struct dma_buf_flavour_offer){
		.flavour = DMA_BUF_FLAVOUR_CPU_ACCESS, .flags = DMA_BUF_FLAVOUR_MMIO,
		.provider = (void *)m };
	m->exp->nr_offers = 2;
	cpu = dma_buf_cpu_attach(m->dmabuf, cpu_dev(test), DMA_BUF_FLAVOUR_MMIO,
				 NULL, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(cpu));
	KUNIT_EXPECT_FALSE(test, dma_buf_cpu_attachment(cpu)->flavour_bridged);
	KUNIT_EXPECT_TRUE(test, dma_buf_cpu_attachment(cpu)->peer2peer);
	dma_buf_cpu_detach(cpu);
	KUNIT_EXPECT_EQ(test, try_attach(test, m, DMA_BUF_FLAVOUR_CPU), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, try_attach(test, m, 0), -EOPNOTSUPP);
	memset(buf, 0, 256);
	s.count = 0;
	dma_buf_flavour_show_fdinfo(&s, m->dmabuf);
	KUNIT_EXPECT_STREQ(test, buf,
			   "flavours:\tphyr+mmio cpu_access+mmio sg_table(bridge)\n");

	/* bad flags */
	KUNIT_EXPECT_EQ(test, try_attach(test, m, BIT(7)), -EINVAL);
	KUNIT_EXPECT_EQ(test, try_attach(test, m, DMA_BUF_FLAVOUR_MMIO |
					 DMA_BUF_FLAVOUR_CPU), -EINVAL);
	/* a revoked buffer */
	KUNIT_EXPECT_EQ(test, dma_buf_revoke(m->dmabuf, HZ), 0);
	KUNIT_EXPECT_EQ(test, try_attach(test, m, DMA_BUF_FLAVOUR_MMIO), -ENODEV);
	KUNIT_EXPECT_EQ(test, m->exp->phyr_maps, 0);

	/* an exporter without flavours offers no CPU access */
	legacy = dma_buf_kunit_exporter(test, DMA_BUF_KUNIT_LEGACY, 1, 0, 0);
	cpu = dma_buf_cpu_attach(legacy->dmabuf, cpu_dev(test), DMA_BUF_FLAVOUR_MMIO, NULL, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(cpu), -EOPNOTSUPP);
}

/* the offsets where ranges meet, the start and the end */
static unsigned int boundaries(struct cpu_mock *m, size_t *b)
{
	unsigned int i, n = 0;
	size_t off = 0;

	b[n++] = 0;
	for (i = 0; i < m->nr_pieces; i++) {
		off += m->layout[i].len;
		b[n++] = off;
	}
	return n;
}

/*
 * Writes and reads at every offset around every boundary, of lengths from 1
 * byte to the rest of the buffer: each lands exactly where the layout says
 * (checked through the pages and the test's own mapping of the BAR), nothing
 * around it changes, and reading gives it back.
 */
static void sweep(struct kunit *test, struct cpu_mock *m, struct dma_buf_cpu *cpu)
{
	static const size_t lens[] = { 1, 2, 3, 8, 64, 4095, 4096, 4097, 8192 };
	u8 *shadow = kunit_kzalloc(test, m->size, GFP_KERNEL);
	u8 *src = kunit_kzalloc(test, m->size, GFP_KERNEL);
	u8 *dst = kunit_kzalloc(test, m->size, GFP_KERNEL);
	u8 *now = kunit_kzalloc(test, m->size, GFP_KERNEL);
	size_t b[MAX_PIECES + 1], off, len, i;
	unsigned int nb, k, l, seed = 1;
	int d;

	KUNIT_ASSERT_TRUE(test, shadow && src && dst && now);
	mock_fill(m, m->place, 0);
	nb = boundaries(m, b);
	for (k = 0; k < nb; k++) {
		for (d = -9; d <= 9; d++) {
			if ((long)b[k] + d < 0 || b[k] + d >= m->size)
				continue;
			off = b[k] + d;
			for (l = 0; l <= ARRAY_SIZE(lens); l++) {
				len = l < ARRAY_SIZE(lens) ? lens[l] : m->size - off;
				if (len > m->size - off)
					continue;
				for (i = 0; i < len; i++)
					src[i] = (u8)(seed * 31 + i * 7 + 1);
				seed++;
				KUNIT_ASSERT_EQ(test, dma_buf_cpu_write(cpu, off, src, len), 0);
				memcpy(shadow + off, src, len);
				mock_snapshot(m, m->place, now);
				for (i = 0; i < m->size; i++)
					if (now[i] != shadow[i])
						break;
				KUNIT_ASSERT_EQ_MSG(test, i, m->size,
						    "write of %zu at %zu: byte %zu wrong",
						    len, off, i);
				memset(dst, 0, len);
				KUNIT_ASSERT_EQ(test, dma_buf_cpu_read(cpu, dst, off, len), 0);
				KUNIT_ASSERT_EQ_MSG(test, memcmp(dst, src, len), 0,
						    "read of %zu at %zu", len, off);
			}
		}
	}
}

/* dma_buf_cpu_map() stops at each range's end, and says what it mapped. */
static void map_walk(struct kunit *test, struct cpu_mock *m, struct dma_buf_cpu *cpu)
{
	size_t b[MAX_PIECES + 1], off = 0;
	struct iosys_map map;
	unsigned int nb, k = 1;
	ssize_t n;

	nb = boundaries(m, b);
	KUNIT_ASSERT_EQ(test, dma_buf_cpu_begin(cpu), 0);
	while (off < m->size) {
		const struct piece *pc = &m->layout[k - 1];

		n = dma_buf_cpu_map(cpu, off, m->size - off, &map);
		KUNIT_ASSERT_GT(test, n, 0);
		KUNIT_EXPECT_EQ(test, map.is_iomem, pc->mmio);
		if (!IS_ENABLED(CONFIG_HIGHMEM) || pc->mmio)
			KUNIT_EXPECT_EQ(test, off + n, b[k]);
		if (map.is_iomem)
			KUNIT_EXPECT_EQ(test, readb(map.vaddr_iomem), mock_get(m, m->place, off));
		else
			KUNIT_EXPECT_EQ(test, *(u8 *)map.vaddr, mock_get(m, m->place, off));
		dma_buf_cpu_unmap(cpu, &map);
		off += n;
		if (off == b[k])
			k++;
	}
	KUNIT_EXPECT_EQ(test, k, nb);
	/* a piece within one range is mapped whole */
	n = dma_buf_cpu_map(cpu, b[1] + 1, 2, &map);
	KUNIT_EXPECT_EQ(test, n, 2);
	dma_buf_cpu_unmap(cpu, &map);
	dma_buf_cpu_end(cpu);
}

static void cpu_test_ram_boundaries(struct kunit *test)
{
	struct cpu_mock *m = mock_create(test, ram_layout, ARRAY_SIZE(ram_layout));
	struct importer imp = {};
	struct dma_buf_cpu *cpu = cpu_attach(test, m, DMA_BUF_FLAVOUR_CPU, &imp);

	/* nothing mapped before the validation */
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_read(cpu, m, 0, 1), -EAGAIN);
	KUNIT_ASSERT_EQ(test, dma_buf_cpu_validate(cpu), 0);
	KUNIT_EXPECT_EQ(test, m->exp->phyr_maps, 1);
	/* validating a mapped buffer maps nothing more */
	KUNIT_ASSERT_EQ(test, dma_buf_cpu_validate(cpu), 0);
	KUNIT_EXPECT_EQ(test, m->exp->phyr_maps, 1);
	sweep(test, m, cpu);
	map_walk(test, m, cpu);
}

static void cpu_test_mmio_boundaries(struct kunit *test)
{
	struct cpu_mock *m = mock_create(test, mixed_layout, ARRAY_SIZE(mixed_layout));
	struct importer imp = {};
	struct dma_buf_cpu *cpu = cpu_attach(test, m, DMA_BUF_FLAVOUR_MMIO, &imp);

	KUNIT_EXPECT_FALSE(test, dma_buf_cpu_attachment(cpu)->flavour_bridged);
	KUNIT_ASSERT_EQ(test, dma_buf_cpu_validate(cpu), 0);
	sweep(test, m, cpu);
	map_walk(test, m, cpu);
}

/*
 * MMIO is mapped only where the exporter offered it for CPU access: an
 * exporter that breaks its promise -- MMIO for an importer that needs CPU
 * RAM, or MMIO behind a phyr offer of CPU RAM that the core serves -- fails
 * the validation with -EREMOTEIO, and nothing stays mapped.
 */
static void cpu_test_broken_promise(struct kunit *test)
{
	struct cpu_mock *m = mock_create(test, mixed_layout, ARRAY_SIZE(mixed_layout));
	struct dma_buf_cpu *cpu;

	/* it claims CPU RAM, and returns the mixed layout */
	m->exp->offers[0] = (struct dma_buf_flavour_offer){
		.flavour = DMA_BUF_FLAVOUR_PHYR, .flags = DMA_BUF_FLAVOUR_CPU };
	m->exp->nr_offers = 1;
	cpu = cpu_attach(test, m, DMA_BUF_FLAVOUR_CPU, NULL);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_validate(cpu), -EREMOTEIO);
	KUNIT_EXPECT_EQ(test, m->exp->phyr_maps, 0);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_write(cpu, 0, m, 1), -EAGAIN);
	/* an importer that would take MMIO, served from that RAM offer */
	cpu = cpu_attach(test, m, DMA_BUF_FLAVOUR_MMIO, NULL);
	KUNIT_EXPECT_TRUE(test, dma_buf_cpu_attachment(cpu)->flavour_bridged);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_validate(cpu), -EREMOTEIO);
	KUNIT_EXPECT_EQ(test, m->exp->phyr_maps, 0);
}

/* the exporter moves the buffer to its other placement, as phyr_vgem does */
static void mock_move(struct cpu_mock *m)
{
	dma_resv_lock(m->dmabuf->resv, NULL);
	dma_buf_invalidate_mappings(m->dmabuf);
	/* what the importer could still reach would be freed now */
	KUNIT_EXPECT_EQ(m->test, m->exp->phyr_maps, 0);
	m->place = !m->place;
	m->exp->map = &m->phyr[m->place];
	dma_resv_unlock(m->dmabuf->resv);
}

/*
 * After an invalidation the handle has unmapped (the exporter's map count is
 * back at zero before the invalidate returns), refuses access with -EAGAIN,
 * and after a new validation reaches the new placement only.
 */
static void cpu_test_invalidate(struct kunit *test)
{
	struct cpu_mock *m = mock_create(test, ram_layout, ARRAY_SIZE(ram_layout));
	struct importer imp = {};
	struct dma_buf_cpu *cpu = cpu_attach(test, m, DMA_BUF_FLAVOUR_MMIO, &imp);
	u8 byte = 0x42;

	KUNIT_ASSERT_EQ(test, dma_buf_cpu_validate(cpu), 0);
	mock_fill(m, 0, 0);
	mock_fill(m, 1, 0);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_write(cpu, 5000, &byte, 1), 0);
	KUNIT_EXPECT_EQ(test, mock_get(m, 0, 5000), 0x42);
	mock_move(m);
	KUNIT_EXPECT_EQ(test, imp.invalidated, 1);
	byte = 0x43;
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_write(cpu, 5000, &byte, 1), -EAGAIN);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_begin(cpu), -EAGAIN);
	KUNIT_ASSERT_EQ(test, dma_buf_cpu_validate(cpu), 0);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_write(cpu, 5000, &byte, 1), 0);
	KUNIT_EXPECT_EQ(test, mock_get(m, 1, 5000), 0x43);
	KUNIT_EXPECT_EQ(test, mock_get(m, 0, 5000), 0x42);
	/* an invalidation of an unmapped handle only tells */
	mock_move(m);
	mock_move(m);
	KUNIT_EXPECT_EQ(test, imp.invalidated, 3);
	KUNIT_EXPECT_EQ(test, m->exp->phyr_map_calls, 2);
}

/* how long a test waits for another thread to get somewhere */
#define WAIT_BOUND	(5 * HZ)

/*
 * A thread that keeps writing the whole buffer, validating when told to
 * (-EAGAIN).  It counts its writes and validations and wakes @progress at
 * each, so that tests wait for what it did instead of sleeping.  A failed
 * validation (a revoked buffer) is counted in @refused; the thread then waits
 * for a @kick before it tries again.
 */
struct writer {
	struct dma_buf_cpu *cpu;
	struct cpu_mock *m;
	u8 *src;
	atomic_t writes;
	atomic_t validations;
	atomic_t refused;
	atomic_t kicks;
	int last;		/* the last error of a validation */
	wait_queue_head_t progress;
	wait_queue_head_t kick;
	struct task_struct *task;
};

static int writer_fn(void *data)
{
	struct writer *w = data;
	int ret, kicks;

	while (!kthread_should_stop()) {
		ret = dma_buf_cpu_write(w->cpu, 0, w->src, w->m->size);
		if (!ret) {
			atomic_inc(&w->writes);
		} else if (ret == -EAGAIN) {
			kicks = atomic_read(&w->kicks);
			ret = dma_buf_cpu_validate(w->cpu);
			if (ret) {
				WRITE_ONCE(w->last, ret);
				atomic_inc(&w->refused);
			}
			atomic_inc(&w->validations);
			wake_up_all(&w->progress);
			if (ret)
				wait_event_idle(w->kick, kthread_should_stop() ||
						atomic_read(&w->kicks) != kicks);
			continue;
		}
		wake_up_all(&w->progress);
		cond_resched();
	}
	return 0;
}

static void writer_stop(void *data)
{
	struct writer *w = data;

	if (w->task)
		kthread_stop_put(w->task);
	w->task = NULL;
}

/* Wait, at most WAIT_BOUND, until @counter of @w is above @above. */
static bool writer_wait(struct writer *w, atomic_t *counter, int above)
{
	return wait_event_timeout(w->progress, atomic_read(counter) > above, WAIT_BOUND);
}

static struct writer *writer_start(struct kunit *test, struct cpu_mock *m,
				   struct dma_buf_cpu *cpu)
{
	struct writer *w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, w);
	w->src = kunit_kzalloc(test, m->size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w->src);
	memset(w->src, 0xa5, m->size);
	w->cpu = cpu;
	w->m = m;
	init_waitqueue_head(&w->progress);
	init_waitqueue_head(&w->kick);
	w->task = kthread_create(writer_fn, w, "cpu_access_writer");
	if (IS_ERR(w->task)) {
		w->task = NULL;
		KUNIT_FAIL_AND_ABORT(test, "no writer thread");
	}
	/* stoppable even after it died (an oops in the code under test) */
	get_task_struct(w->task);
	wake_up_process(w->task);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, writer_stop, w), 0);
	KUNIT_ASSERT_TRUE_MSG(test, writer_wait(w, &w->writes, 19),
			      "the writer wrote %d times", atomic_read(&w->writes));
	return w;
}

static bool all_bytes(struct cpu_mock *m, unsigned int p, u8 val)
{
	u8 *now = kvmalloc(m->size, GFP_KERNEL);
	bool all = !!now;
	size_t i;

	if (now)
		mock_snapshot(m, p, now);
	for (i = 0; all && i < m->size; i++)
		all = now[i] == val;
	kvfree(now);
	return all;
}

/*
 * Moves while a thread keeps writing: once the move's invalidate returned,
 * not one byte reaches the old placement (poisoned right after it), and the
 * writes go on in the new one after the thread validated again.  Each round
 * waits until the thread did both -- validated after the move, and wrote
 * after that validation -- before it looks at the old placement.
 */
static void cpu_test_move_while_writing(struct kunit *test)
{
	struct cpu_mock *m = mock_create(test, ram_layout, ARRAY_SIZE(ram_layout));
	struct dma_buf_cpu *cpu = cpu_attach(test, m, DMA_BUF_FLAVOUR_MMIO, NULL);
	int round, validations, writes;
	struct writer *w;

	KUNIT_ASSERT_EQ(test, dma_buf_cpu_validate(cpu), 0);
	w = writer_start(test, m, cpu);
	for (round = 0; round < 8; round++) {
		unsigned int old = m->place;

		/* the thread validates only after an invalidation: none is due */
		validations = atomic_read(&w->validations);
		mock_move(m);
		mock_fill(m, old, 0x5a);
		KUNIT_ASSERT_TRUE_MSG(test, writer_wait(w, &w->validations, validations),
				      "round %d: the writer never validated again", round);
		/* a write counted from now on was made after that validation */
		writes = atomic_read(&w->writes);
		KUNIT_ASSERT_TRUE_MSG(test, writer_wait(w, &w->writes, writes),
				      "round %d: the writer wrote nothing after validating",
				      round);
		KUNIT_EXPECT_TRUE_MSG(test, all_bytes(m, old, 0x5a),
				      "round %d: a write reached the old placement", round);
	}
	writer_stop(w);
	KUNIT_EXPECT_TRUE(test, all_bytes(m, m->place, 0xa5));
	KUNIT_EXPECT_EQ(test, atomic_read(&w->validations), 8);
	KUNIT_EXPECT_EQ(test, w->last, 0);
}

/*
 * dma_buf_revoke() while a thread keeps writing: it returns with the handle
 * unmapped, no write lands after it, and the thread's validations fail with
 * -ENODEV -- each of three tries after the revoke, waited for.  The same with
 * MMIO ranges.
 */
static void revoke_while_writing(struct kunit *test, const struct piece *layout,
				 unsigned int nr)
{
	struct cpu_mock *m = mock_create(test, layout, nr);
	struct dma_buf_cpu *cpu = cpu_attach(test, m, DMA_BUF_FLAVOUR_MMIO, NULL);
	struct writer *w;
	int try;

	KUNIT_ASSERT_EQ(test, dma_buf_cpu_validate(cpu), 0);
	w = writer_start(test, m, cpu);
	KUNIT_EXPECT_EQ(test, dma_buf_revoke(m->dmabuf, HZ), 0);
	KUNIT_EXPECT_EQ(test, m->exp->phyr_maps, 0);
	mock_fill(m, m->place, 0x5a);
	for (try = 0; try < 3; try++) {
		if (try) {
			atomic_inc(&w->kicks);
			wake_up_all(&w->kick);
		}
		KUNIT_ASSERT_TRUE_MSG(test, writer_wait(w, &w->refused, try),
				      "try %d: the writer was not refused", try);
		KUNIT_EXPECT_EQ(test, READ_ONCE(w->last), -ENODEV);
	}
	KUNIT_EXPECT_TRUE(test, all_bytes(m, m->place, 0x5a));
	writer_stop(w);
	KUNIT_EXPECT_EQ(test, atomic_read(&w->refused), 3);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_validate(cpu), -ENODEV);
	/* lifted: the handle maps again */
	dma_buf_unrevoke(m->dmabuf);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_validate(cpu), 0);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_write(cpu, 0, w->src, 1), 0);
	KUNIT_EXPECT_EQ(test, mock_get(m, m->place, 0), 0xa5);
}

static void cpu_test_revoke_while_writing(struct kunit *test)
{
	revoke_while_writing(test, ram_layout, ARRAY_SIZE(ram_layout));
}

static void cpu_test_revoke_mmio_while_writing(struct kunit *test)
{
	revoke_while_writing(test, mixed_layout, ARRAY_SIZE(mixed_layout));
}

struct revoker {
	struct work_struct work;
	struct dma_buf *dmabuf;
	int ret;
	bool done;
	/* set by the test right before it closes its window */
	bool closing;
	/* @closing as the revoke found it when it returned */
	bool closed_first;
};

static void revoke_work(struct work_struct *work)
{
	struct revoker *r = container_of(work, struct revoker, work);

	r->ret = dma_buf_revoke(r->dmabuf, 5 * HZ);
	r->closed_first = READ_ONCE(r->closing);
	WRITE_ONCE(r->done, true);
}

/* Whether new access windows of @cpu are refused (its mapping is going). */
static bool cpu_refuses_windows(struct dma_buf_cpu *cpu)
{
	if (dma_buf_cpu_begin(cpu))
		return true;
	dma_buf_cpu_end(cpu);
	return false;
}

/*
 * A revoke waits for an access window that is open: while it is, the memory
 * stays mapped (the exporter cannot free it); the revoke returns once the
 * window closes.  The test waits until the revoke has reached the handle (no
 * new window opens) and checks that it is still waiting; the revoke notes
 * whether the window was closing when it returned.
 */
static void cpu_test_revoke_waits_for_window(struct kunit *test)
{
	struct cpu_mock *m = mock_create(test, ram_layout, ARRAY_SIZE(ram_layout));
	struct dma_buf_cpu *cpu = cpu_attach(test, m, DMA_BUF_FLAVOUR_MMIO, NULL);
	struct revoker r = { .dmabuf = m->dmabuf };
	struct iosys_map map;
	bool refused;
	int ret;

	KUNIT_ASSERT_EQ(test, dma_buf_cpu_validate(cpu), 0);
	KUNIT_ASSERT_EQ(test, dma_buf_cpu_begin(cpu), 0);
	INIT_WORK_ONSTACK(&r.work, revoke_work);
	schedule_work(&r.work);
	ret = read_poll_timeout(cpu_refuses_windows, refused, refused, 1000,
				jiffies_to_usecs(WAIT_BOUND), false, cpu);
	KUNIT_EXPECT_EQ_MSG(test, ret, 0, "the revoke never reached the handle");
	KUNIT_EXPECT_FALSE(test, READ_ONCE(r.done));
	/* the exporter's ranges are still mapped, and the window still works */
	KUNIT_EXPECT_EQ(test, READ_ONCE(m->exp->phyr_maps), 1);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_map(cpu, 0, 1, &map), 1);
	dma_buf_cpu_unmap(cpu, &map);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_write(cpu, 0, m, 1), -EAGAIN);
	WRITE_ONCE(r.closing, true);
	dma_buf_cpu_end(cpu);
	flush_work(&r.work);
	destroy_work_on_stack(&r.work);
	KUNIT_EXPECT_TRUE(test, r.done);
	KUNIT_EXPECT_TRUE_MSG(test, r.closed_first,
			      "the revoke returned before the window closed");
	KUNIT_EXPECT_EQ(test, r.ret, 0);
	KUNIT_EXPECT_EQ(test, m->exp->phyr_maps, 0);
}

/*
 * A validation waits for the exporter's kernel fences (a move in progress):
 * it returns only after the fence signalled, which happens only after it
 * started waiting.
 */
static void cpu_test_waits_for_kernel_fence(struct kunit *test)
{
	struct cpu_mock *m = mock_create(test, ram_layout, ARRAY_SIZE(ram_layout));
	struct dma_buf_cpu *cpu = cpu_attach(test, m, DMA_BUF_FLAVOUR_MMIO, NULL);
	/* a fence that a worker signals only once somebody waits for it */
	struct dma_buf_kunit_late_fence *f = dma_buf_kunit_late_fence(test, "cpu_access_test");

	KUNIT_ASSERT_EQ(test, dma_buf_kunit_late_fence_add(f, m->dmabuf->resv,
							   DMA_RESV_USAGE_KERNEL), 0);
	dma_buf_kunit_late_fence_signal_on_wait(f, WAIT_BOUND);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_validate(cpu), 0);
	KUNIT_EXPECT_TRUE_MSG(test, dma_fence_is_signaled(&f->base),
			      "the validation returned before the fence signalled");
	flush_delayed_work(&f->work);
	KUNIT_EXPECT_TRUE_MSG(test, f->had_waiter, "the validation never waited for the fence");
}

static int fail_alloc_calls;

static void *fail_alloc(size_t size)
{
	fail_alloc_calls++;
	return NULL;
}

static int ioremap_calls, ioremap_fail_at;

static void __iomem *fail_ioremap(phys_addr_t phys, size_t len)
{
	if (++ioremap_calls == ioremap_fail_at)
		return NULL;
	return ioremap_wc(phys, len);
}

/*
 * Failures at every step of a validation leave nothing mapped (the exporter's
 * map count at zero) and the handle usable: the exporter's error, no memory
 * for the MMIO list, the n-th ioremap.
 */
static void cpu_test_failures(struct kunit *test)
{
	struct cpu_mock *m = mock_create(test, mixed_layout, ARRAY_SIZE(mixed_layout));
	struct dma_buf_cpu *cpu = cpu_attach(test, m, DMA_BUF_FLAVOUR_MMIO, NULL);
	int n;

	m->exp->map_err = -EIO;
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_validate(cpu), -EIO);
	m->exp->map_err = 0;

	fail_alloc_calls = 0;
	kunit_activate_static_stub(test, dma_buf_cpu_alloc, fail_alloc);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_validate(cpu), -ENOMEM);
	kunit_deactivate_static_stub(test, dma_buf_cpu_alloc);
	KUNIT_EXPECT_EQ(test, fail_alloc_calls, 1);
	KUNIT_EXPECT_EQ(test, m->exp->phyr_maps, 0);

	/* the mixed layout needs 3 mappings: fail each of them */
	for (n = 1; n <= 3; n++) {
		ioremap_calls = 0;
		ioremap_fail_at = n;
		kunit_activate_static_stub(test, dma_buf_cpu_ioremap, fail_ioremap);
		KUNIT_EXPECT_EQ(test, dma_buf_cpu_validate(cpu), -ENOMEM);
		kunit_deactivate_static_stub(test, dma_buf_cpu_ioremap);
		KUNIT_EXPECT_EQ(test, ioremap_calls, n);
		KUNIT_EXPECT_EQ(test, m->exp->phyr_maps, 0);
		KUNIT_EXPECT_EQ(test, dma_buf_cpu_read(cpu, m, 0, 1), -EAGAIN);
	}
	ioremap_calls = 0;
	ioremap_fail_at = 0;
	kunit_activate_static_stub(test, dma_buf_cpu_ioremap, fail_ioremap);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_validate(cpu), 0);
	kunit_deactivate_static_stub(test, dma_buf_cpu_ioremap);
	KUNIT_EXPECT_EQ(test, ioremap_calls, 3);
	KUNIT_EXPECT_EQ(test, m->exp->phyr_maps, 1);
}

/* Accesses outside the buffer, empty ones, and maps of nothing. */
static void cpu_test_bad_input(struct kunit *test)
{
	struct cpu_mock *m = mock_create(test, ram_layout, ARRAY_SIZE(ram_layout));
	struct dma_buf_cpu *cpu = cpu_attach(test, m, DMA_BUF_FLAVOUR_MMIO, NULL);
	struct iosys_map map;
	u8 b[2] = {};

	KUNIT_ASSERT_EQ(test, dma_buf_cpu_validate(cpu), 0);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_read(cpu, b, m->size, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_read(cpu, b, m->size - 1, 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_write(cpu, U64_MAX, b, 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_write(cpu, 1, b, SIZE_MAX), -EINVAL);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_read(cpu, b, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_read(cpu, b, m->size - 1, 1), 0);
	KUNIT_ASSERT_EQ(test, dma_buf_cpu_begin(cpu), 0);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_map(cpu, 0, 0, &map), -EINVAL);
	KUNIT_EXPECT_EQ(test, dma_buf_cpu_map(cpu, m->size, 1, &map), -EINVAL);
	dma_buf_cpu_end(cpu);
}

static struct kunit_case dma_buf_cpu_test_cases[] = {
	KUNIT_CASE(cpu_test_match),
	KUNIT_CASE(cpu_test_ram_boundaries),
	KUNIT_CASE(cpu_test_mmio_boundaries),
	KUNIT_CASE(cpu_test_broken_promise),
	KUNIT_CASE(cpu_test_invalidate),
	KUNIT_CASE(cpu_test_move_while_writing),
	KUNIT_CASE(cpu_test_revoke_while_writing),
	KUNIT_CASE(cpu_test_revoke_mmio_while_writing),
	KUNIT_CASE(cpu_test_revoke_waits_for_window),
	KUNIT_CASE(cpu_test_waits_for_kernel_fence),
	KUNIT_CASE(cpu_test_failures),
	KUNIT_CASE(cpu_test_bad_input),
	{}
};

static struct kunit_suite dma_buf_cpu_test_suite = {
	.name = "dma_buf_cpu_access",
	.test_cases = dma_buf_cpu_test_cases,
};

kunit_test_suite(dma_buf_cpu_test_suite);

MODULE_DESCRIPTION("KUnit tests of dma-buf CPU access");
MODULE_LICENSE("GPL");
