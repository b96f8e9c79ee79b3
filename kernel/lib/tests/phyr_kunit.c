// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for phyr
 *
 * Copyright 2026 The phyr developers
 */

#include <kunit/resource.h>
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/phyr.h>
#include <linux/pci-p2pdma.h>
#include <linux/prandom.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "../phyr_internal.h"

MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");

/* Providers are only compared by address here. */
static struct p2pdma_provider prov_a, prov_b;

/* Pages in one short entry. */
#define SHORT_MAX_PAGES		BIT_ULL(20)
/* Bytes in the largest short entry. */
#define SHORT_MAX		((u64)PAGE_SIZE * SHORT_MAX_PAGES)

/* ---- helpers ------------------------------------------------------------ */

KUNIT_DEFINE_ACTION_WRAPPER(phyr_destroy_action, phyr_destroy, struct phyr *);
KUNIT_DEFINE_ACTION_WRAPPER(kvfree_action, kvfree, const void *);
KUNIT_DEFINE_ACTION_WRAPPER(sg_free_table_action, sg_free_table,
			    struct sg_table *);
KUNIT_DEFINE_ACTION_WRAPPER(folio_put_action, folio_put, struct folio *);

static int defer(struct kunit *test, kunit_action_t *action, void *ctx)
{
	return kunit_add_action_or_reset(test, action, ctx);
}

static struct phyr *new_phyr(struct kunit *test, gfp_t gfp)
{
	struct phyr *phyr = kunit_kzalloc(test, sizeof(*phyr), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, phyr);
	phyr_init(phyr, gfp);
	KUNIT_ASSERT_EQ(test, defer(test, phyr_destroy_action, phyr), 0);
	return phyr;
}

struct test_pages {
	struct page *page;
	unsigned int order;
};

static void free_test_pages(void *ctx)
{
	struct test_pages *tp = ctx;

	__free_pages(tp->page, tp->order);
}

/* 2^order physically contiguous order-0 pages, freed at the end. */
static struct page *new_pages(struct kunit *test, unsigned int order)
{
	struct test_pages *tp = kunit_kzalloc(test, sizeof(*tp), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, tp);
	tp->order = order;
	tp->page = alloc_pages(GFP_KERNEL, order);
	KUNIT_ASSERT_NOT_NULL(test, tp->page);
	KUNIT_ASSERT_EQ(test, defer(test, free_test_pages, tp), 0);
	return tp->page;
}

static void *new_array(struct kunit *test, size_t n, size_t size)
{
	void *p = kvcalloc(n, size, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, kvfree_action, p),
			0);
	return p;
}

/* A reference model: an array of maximal ranges, coalesced like phyr. */
struct ref_range {
	phys_addr_t phys;
	u64 len;
	u64 offset;
	struct p2pdma_provider *provider;
	enum phyr_mem_type type;
	unsigned int attrs;
};

struct ref {
	struct ref_range *r;
	unsigned int nr;
	unsigned int cap;
	u64 len;
};

static struct ref *new_ref(struct kunit *test, unsigned int cap)
{
	struct ref *ref = kunit_kzalloc(test, sizeof(*ref), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ref);
	ref->r = new_array(test, cap, sizeof(*ref->r));
	ref->cap = cap;
	return ref;
}

static void ref_reset(struct ref *ref)
{
	ref->nr = 0;
	ref->len = 0;
}

static void ref_add(struct kunit *test, struct ref *ref,
		    struct p2pdma_provider *provider, unsigned int attrs,
		    phys_addr_t phys, u64 len)
{
	enum phyr_mem_type type = provider ? PHYR_MEM_P2P : PHYR_MEM_RAM;
	struct ref_range *last = ref->nr ? &ref->r[ref->nr - 1] : NULL;

	if (last && last->type == type && last->provider == provider &&
	    last->attrs == attrs && last->phys + last->len == phys &&
	    last->len + len <= PHYR_RANGE_MAX) {
		last->len += len;
	} else {
		KUNIT_ASSERT_LT(test, ref->nr, ref->cap);
		last = &ref->r[ref->nr++];
		last->phys = phys;
		last->len = len;
		last->offset = ref->len;
		last->provider = provider;
		last->type = type;
		last->attrs = attrs;
	}
	ref->len += len;
}

/* Append to both the phyr and the reference; @provider NULL means RAM. */
static int add(struct kunit *test, struct phyr *phyr, struct ref *ref,
	       struct p2pdma_provider *provider, unsigned int attrs,
	       phys_addr_t phys, u64 len)
{
	size_t before = phyr_metadata_bytes(phyr);
	unsigned long words = phyr_nr_words(phyr);
	int ret;

	if (provider)
		ret = phyr_append_mmio(phyr, provider, phys, len, attrs);
	else
		ret = phyr_append(phyr, phys, len, attrs);
	if (ret) {
		/* a failed append changes nothing */
		KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr), before);
		KUNIT_EXPECT_EQ(test, phyr_nr_words(phyr), words);
		return ret;
	}
	if (ref)
		ref_add(test, ref, provider, attrs, phys, len);
	return 0;
}

static void add_ok(struct kunit *test, struct phyr *phyr, struct ref *ref,
		   struct p2pdma_provider *provider, unsigned int attrs,
		   phys_addr_t phys, u64 len)
{
	KUNIT_ASSERT_EQ(test, add(test, phyr, ref, provider, attrs, phys, len),
			0);
}

/* Index of the reference range holding byte @off. */
static unsigned int ref_find(const struct ref *ref, u64 off)
{
	unsigned int lo = 0, hi = ref->nr, mid;

	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (ref->r[mid].offset <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Check that @cur yields the window [@off, @off + @len) of @ref, with
 * offsets reduced by @bias.
 */
static void expect_cursor(struct kunit *test, struct phyr_cursor *cur,
			  const struct ref *ref, u64 off, u64 len, u64 bias)
{
	unsigned int i = ref_find(ref, off);
	u64 pos = off, end = off + len, skip, n;
	const struct ref_range *r;

	while (pos < end) {
		KUNIT_ASSERT_LT(test, i, ref->nr);
		r = &ref->r[i++];
		skip = pos - r->offset;
		n = min(r->len - skip, end - pos);
		KUNIT_ASSERT_TRUE(test, phyr_cursor_next(cur));
		KUNIT_ASSERT_EQ(test, cur->phys, r->phys + skip);
		KUNIT_ASSERT_EQ(test, cur->len, n);
		KUNIT_ASSERT_EQ(test, cur->offset, pos - bias);
		KUNIT_ASSERT_EQ(test, cur->type, r->type);
		KUNIT_ASSERT_PTR_EQ(test, cur->provider, r->provider);
		KUNIT_ASSERT_EQ(test, cur->attrs, r->attrs);
		pos += n;
	}
	KUNIT_ASSERT_FALSE(test, phyr_cursor_next(cur));
	KUNIT_ASSERT_FALSE(test, phyr_cursor_next(cur));
}

static void expect_ref(struct kunit *test, const struct phyr *phyr,
		       const struct ref *ref)
{
	struct phyr_cursor cur;

	KUNIT_ASSERT_EQ(test, phyr_len(phyr), ref->len);
	KUNIT_ASSERT_EQ(test, phyr_nr_ranges(phyr), ref->nr);
	KUNIT_ASSERT_EQ(test, phyr_empty(phyr), !ref->nr);
	phyr_cursor_init(&cur, phyr);
	expect_cursor(test, &cur, ref, 0, ref->len, 0);
}

static void expect_window(struct kunit *test, const struct phyr *phyr,
			  const struct ref *ref, u64 off, u64 len)
{
	struct phyr_cursor cur;

	KUNIT_ASSERT_EQ(test, phyr_cursor_init_range(&cur, phyr, off, len), 0);
	expect_cursor(test, &cur, ref, off, len, 0);
}

/* Check the single range of @phyr and the words it takes. */
static void expect_one(struct kunit *test, const struct phyr *phyr,
		       phys_addr_t phys, u64 len, unsigned long words)
{
	struct phyr_cursor cur;

	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), 1);
	KUNIT_EXPECT_EQ(test, phyr_len(phyr), len);
	KUNIT_EXPECT_EQ(test, phyr_nr_words(phyr), words);
	phyr_cursor_init(&cur, phyr);
	KUNIT_ASSERT_TRUE(test, phyr_cursor_next(&cur));
	KUNIT_EXPECT_EQ(test, cur.phys, phys);
	KUNIT_EXPECT_EQ(test, cur.len, len);
	KUNIT_EXPECT_EQ(test, cur.offset, 0);
	KUNIT_EXPECT_FALSE(test, phyr_cursor_next(&cur));
}

/* Fragmented one-page ranges: range i is page 2i, at byte offset i pages. */
static phys_addr_t frag_phys(unsigned long i)
{
	return (phys_addr_t)(2 * i + 1) * PAGE_SIZE;
}

static void add_frag(struct kunit *test, struct phyr *phyr, unsigned long n)
{
	unsigned long i, first = phyr_nr_ranges(phyr);

	for (i = first; i < first + n; i++)
		KUNIT_ASSERT_EQ(test, phyr_append(phyr, frag_phys(i),
						  PAGE_SIZE, 0), 0);
}

/* Check a window of a phyr built by add_frag() alone. */
static void expect_frag_window(struct kunit *test, const struct phyr *phyr,
			       u64 off, u64 len)
{
	u64 pos = off, end = off + len, n;
	struct phyr_cursor cur;
	unsigned long i;

	KUNIT_ASSERT_EQ(test, phyr_cursor_init_range(&cur, phyr, off, len), 0);
	while (pos < end) {
		i = pos >> PAGE_SHIFT;
		n = min_t(u64, end - pos, PAGE_SIZE - (pos & (PAGE_SIZE - 1)));
		KUNIT_ASSERT_TRUE(test, phyr_cursor_next(&cur));
		KUNIT_ASSERT_EQ(test, cur.phys,
				frag_phys(i) + (pos & (PAGE_SIZE - 1)));
		KUNIT_ASSERT_EQ(test, cur.len, n);
		KUNIT_ASSERT_EQ(test, cur.offset, pos);
		pos += n;
	}
	KUNIT_ASSERT_FALSE(test, phyr_cursor_next(&cur));
}

/*
 * Words in a chunk, found from the outside: fragmented page ranges take a
 * word each and the second chunk starts when the first is full.
 */
static unsigned long chunk_words(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	size_t one_chunk = sizeof(*phyr) + PHYR_BLOCK_SIZE;
	unsigned long n;

	for (n = 0; n < PHYR_BLOCK_SIZE / sizeof(u64); n++) {
		add_frag(test, phyr, 1);
		if (phyr_metadata_bytes(phyr) > one_chunk)
			break;
	}
	KUNIT_ASSERT_GT(test, phyr_metadata_bytes(phyr), one_chunk);
	phyr_destroy(phyr);
	/* the (n + 1)th range did not fit */
	KUNIT_ASSERT_GE(test, n, 200);
	return n;
}

/* Index nodes of a phyr of @chunks chunks, from the documented shape. */
static unsigned long index_nodes(unsigned long chunks, unsigned long slots)
{
	unsigned long nodes = 0;

	while (chunks > 1) {
		chunks = DIV_ROUND_UP(chunks, slots);
		nodes += chunks;
	}
	return nodes;
}

#define NODE_SLOTS \
	((PHYR_BLOCK_SIZE - sizeof(u64)) / (sizeof(u64) + sizeof(void *)))

/* ---- fault injection ---------------------------------------------------- */

struct fault {
	long fail_at;		/* allocation to fail, counted from 0 */
	bool fail_all;
	unsigned long calls;
	unsigned long allocs;
	unsigned long frees;
	unsigned long failed;
};

static void *fault_alloc_block(size_t size, gfp_t gfp)
{
	struct fault *f = kunit_get_current_test()->priv;

	if (f->fail_all || f->calls++ == f->fail_at) {
		f->failed++;
		return NULL;
	}
	f->allocs++;
	return phyr_block_new(size, gfp);
}

static void fault_free_block(void *block, size_t size)
{
	struct fault *f = kunit_get_current_test()->priv;

	f->frees++;
	phyr_block_del(block, size);
}

static struct fault *fault_start(struct kunit *test)
{
	struct fault *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->fail_at = -1;
	test->priv = f;
	kunit_activate_static_stub(test, phyr_alloc_block, fault_alloc_block);
	kunit_activate_static_stub(test, phyr_free_block, fault_free_block);
	return f;
}

static void fault_arm(struct fault *f, long fail_at)
{
	f->fail_at = fail_at;
	f->calls = 0;
	f->failed = 0;
}

/* ---- encoding ----------------------------------------------------------- */

static void phyr_test_empty(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct phyr_page_cursor pc;
	struct phyr_cursor cur;

	KUNIT_EXPECT_TRUE(test, phyr_empty(phyr));
	KUNIT_EXPECT_EQ(test, phyr_len(phyr), 0);
	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), 0);
	KUNIT_EXPECT_EQ(test, phyr_nr_words(phyr), 0);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr), sizeof(*phyr));
	phyr_cursor_init(&cur, phyr);
	KUNIT_EXPECT_FALSE(test, phyr_cursor_next(&cur));
	phyr_page_cursor_init(&pc, phyr);
	KUNIT_EXPECT_FALSE(test, phyr_page_cursor_next(&pc));
	KUNIT_EXPECT_EQ(test, phyr_cursor_init_range(&cur, phyr, 0, 1),
			-EINVAL);
	KUNIT_EXPECT_FALSE(test, phyr_cursor_next(&cur));

	/* an empty but chunked phyr, after a preload */
	KUNIT_ASSERT_EQ(test, phyr_preload(phyr, 100, GFP_KERNEL), 0);
	KUNIT_EXPECT_GT(test, phyr_metadata_bytes(phyr), sizeof(*phyr));
	KUNIT_EXPECT_TRUE(test, phyr_empty(phyr));
	phyr_cursor_init(&cur, phyr);
	KUNIT_EXPECT_FALSE(test, phyr_cursor_next(&cur));
	KUNIT_EXPECT_EQ(test, phyr_cursor_init_range(&cur, phyr, 0, 1),
			-EINVAL);

	phyr_destroy(phyr);
	phyr_destroy(phyr);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr), sizeof(*phyr));
}

static void phyr_test_short_page(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);

	add_ok(test, phyr, NULL, NULL, 0, PAGE_SIZE, PAGE_SIZE);
	expect_one(test, phyr, PAGE_SIZE, PAGE_SIZE, 1);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr), sizeof(*phyr));
	KUNIT_EXPECT_LE(test, sizeof(*phyr), 64);
}

static void phyr_test_short_max(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);

	/* the largest short entry: 2^20 pages */
	add_ok(test, phyr, NULL, NULL, 0, SZ_1G, SHORT_MAX);
	expect_one(test, phyr, SZ_1G, SHORT_MAX, 1);
}

static void phyr_test_first_long(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);

	/* one page more than the largest short entry */
	add_ok(test, phyr, NULL, NULL, 0, SZ_1G, SHORT_MAX + PAGE_SIZE);
	expect_one(test, phyr, SZ_1G, SHORT_MAX + PAGE_SIZE, 2);
}

static void phyr_test_huge(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	u64 len = SHORT_MAX * 256 + 3;

	if (len > PHYR_RANGE_MAX)
		kunit_skip(test, "ranges are limited to %llu bytes",
			   PHYR_RANGE_MAX);
	add_ok(test, phyr, NULL, NULL, 0, 5, len);
	expect_one(test, phyr, 5, len, 2);
}

static void phyr_test_byte_granular(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);

	add_ok(test, phyr, NULL, NULL, 0, PAGE_SIZE + 1, PAGE_SIZE);
	expect_one(test, phyr, PAGE_SIZE + 1, PAGE_SIZE, 2);
	phyr_destroy(phyr);

	add_ok(test, phyr, NULL, NULL, 0, PAGE_SIZE, PAGE_SIZE + 1);
	expect_one(test, phyr, PAGE_SIZE, PAGE_SIZE + 1, 2);
	phyr_destroy(phyr);

	add_ok(test, phyr, NULL, NULL, 0, 0, 1);
	expect_one(test, phyr, 0, 1, 2);
	phyr_destroy(phyr);

	add_ok(test, phyr, NULL, NULL, 0, 4095 * 3, 17);
	expect_one(test, phyr, 4095 * 3, 17, 2);
}

static void phyr_test_pfn_limit(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	u64 top = (1ULL << 42) << PAGE_SHIFT;

	if (sizeof(phys_addr_t) < sizeof(u64))
		kunit_skip(test, "32-bit physical addresses");

	/* the last page frame a short entry holds */
	add_ok(test, phyr, NULL, NULL, 0, top - PAGE_SIZE, PAGE_SIZE);
	expect_one(test, phyr, top - PAGE_SIZE, PAGE_SIZE, 1);
	phyr_destroy(phyr);

	/* the first one it does not */
	add_ok(test, phyr, NULL, NULL, 0, top, PAGE_SIZE);
	expect_one(test, phyr, top, PAGE_SIZE, 2);
	phyr_destroy(phyr);

	/* a range ending at the last byte of the address space */
	add_ok(test, phyr, NULL, NULL, 0, PHYS_ADDR_MAX - PAGE_SIZE + 1,
	       PAGE_SIZE - 1);
	expect_one(test, phyr, PHYS_ADDR_MAX - PAGE_SIZE + 1, PAGE_SIZE - 1,
		   2);
}

static void phyr_test_bad_input(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);

	add_ok(test, phyr, NULL, NULL, 0, PAGE_SIZE, PAGE_SIZE);

	KUNIT_EXPECT_EQ(test, add(test, phyr, NULL, NULL, 0, 0, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, add(test, phyr, NULL, &prov_a, 0, 0, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, add(test, phyr, NULL, NULL, 0, PHYS_ADDR_MAX, 1),
			-EOVERFLOW);
	KUNIT_EXPECT_EQ(test, add(test, phyr, NULL, NULL, 0,
				  PHYS_ADDR_MAX - PAGE_SIZE + 1, PAGE_SIZE),
			-EOVERFLOW);
	KUNIT_EXPECT_EQ(test, add(test, phyr, NULL, &prov_a, 0,
				  PHYS_ADDR_MAX - 1, 2), -EOVERFLOW);
	KUNIT_EXPECT_EQ(test, add(test, phyr, NULL, NULL, 3, 0, PAGE_SIZE),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, add(test, phyr, NULL, NULL, BIT(3), 0,
				  PAGE_SIZE), -EINVAL);
	KUNIT_EXPECT_EQ(test, add(test, phyr, NULL, NULL, BIT(31), 0,
				  PAGE_SIZE), -EINVAL);
	KUNIT_EXPECT_EQ(test, phyr_append_mmio(phyr, NULL, 0, PAGE_SIZE, 0),
			-EINVAL);

	/* nothing changed */
	expect_one(test, phyr, PAGE_SIZE, PAGE_SIZE, 1);

	/* every valid attribute combination is accepted */
	add_ok(test, phyr, NULL, NULL, PHYR_ATTR_WC | PHYR_ATTR_DECRYPTED, 0, 1);
	add_ok(test, phyr, NULL, NULL,
	       PHYR_ATTR_UNCACHED | PHYR_ATTR_DECRYPTED, 0, 1);
	add_ok(test, phyr, NULL, &prov_a, PHYR_ATTR_UNCACHED, 0, 1);
	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), 4);
}

static void phyr_test_range_max(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct ref *ref = new_ref(test, 8);
	int i;

	if (PHYR_RANGE_MAX + 1 > SIZE_MAX)
		kunit_skip(test, "size_t cannot exceed the limit");
	KUNIT_EXPECT_EQ(test, add(test, phyr, NULL, NULL, 0, 0,
				  PHYR_RANGE_MAX + 1), -EOVERFLOW);

	/* a contiguous append beyond the limit starts a new range */
	add_ok(test, phyr, ref, NULL, 0, 0, PHYR_RANGE_MAX);
	add_ok(test, phyr, ref, NULL, 0, PHYR_RANGE_MAX, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), 2);
	expect_ref(test, phyr, ref);
	expect_window(test, phyr, ref, PHYR_RANGE_MAX - 1, 2);

	if (sizeof(size_t) < sizeof(u64))
		return;
	/* the total length must not overflow either */
	phyr_destroy(phyr);
	for (i = 0; i < 4; i++)
		KUNIT_ASSERT_EQ(test, phyr_append(phyr, 0, PHYR_RANGE_MAX, 0),
				0);
	KUNIT_EXPECT_EQ(test, add(test, phyr, NULL, NULL, 0, 0,
				  PHYR_RANGE_MAX), -EOVERFLOW);
	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), 4);
}

static void phyr_test_type_marker(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct ref *ref = new_ref(test, 8);

	/* a first P2P range costs a marker */
	add_ok(test, phyr, ref, &prov_a, PHYR_ATTR_WC, SZ_1G, SZ_1M);
	KUNIT_EXPECT_EQ(test, phyr_nr_words(phyr), 3);
	expect_ref(test, phyr, ref);

	/* a second one of the same provider and attributes does not */
	add_ok(test, phyr, ref, &prov_a, PHYR_ATTR_WC, SZ_2G, SZ_1M);
	KUNIT_EXPECT_EQ(test, phyr_nr_words(phyr), 4);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr), sizeof(*phyr));

	/* back to RAM: another marker */
	add_ok(test, phyr, ref, NULL, 0, SZ_4G, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, phyr_nr_words(phyr), 7);
	add_ok(test, phyr, ref, NULL, PHYR_ATTR_DECRYPTED, SZ_4G + SZ_1M,
	       PAGE_SIZE);
	add_ok(test, phyr, ref, &prov_b, PHYR_ATTR_DECRYPTED, SZ_4G + SZ_2M,
	       PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, phyr_nr_words(phyr), 13);
	expect_ref(test, phyr, ref);
}

static void phyr_test_inline(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct ref *ref = new_ref(test, 8);
	int i;

	/* four short ranges stay inline */
	for (i = 0; i < PHYR_INLINE_WORDS; i++)
		add_ok(test, phyr, ref, NULL, 0, frag_phys(i), PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr), sizeof(*phyr));
	expect_ref(test, phyr, ref);

	/* growing the last one into a long entry moves them to a chunk */
	add_ok(test, phyr, ref, NULL, 0, frag_phys(3) + PAGE_SIZE, 1);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr),
			sizeof(*phyr) + PHYR_CHUNK_MIN_SIZE);
	expect_ref(test, phyr, ref);

	add_ok(test, phyr, ref, NULL, 0, frag_phys(5), PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr),
			sizeof(*phyr) + PHYR_CHUNK_MIN_SIZE);
	KUNIT_EXPECT_EQ(test, phyr_nr_words(phyr), 6);
	phyr_destroy(phyr);

	/* as does a fifth short range */
	for (i = 0; i <= PHYR_INLINE_WORDS; i++)
		add_ok(test, phyr, NULL, NULL, 0, frag_phys(i), PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr),
			sizeof(*phyr) + PHYR_CHUNK_MIN_SIZE);
	KUNIT_EXPECT_EQ(test, phyr_nr_words(phyr), PHYR_INLINE_WORDS + 1);
}

/* ---- coalescing --------------------------------------------------------- */

static void phyr_test_merge_contiguous(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	int i;

	for (i = 0; i < 1000; i++)
		add_ok(test, phyr, NULL, NULL, 0, SZ_1G + i * PAGE_SIZE,
		       PAGE_SIZE);
	expect_one(test, phyr, SZ_1G, 1000 * PAGE_SIZE, 1);

	phyr_destroy(phyr);
	for (i = 0; i < 1000; i++)
		add_ok(test, phyr, NULL, &prov_a, PHYR_ATTR_WC,
		       SZ_1G + i * 100, 100);
	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), 1);
	KUNIT_EXPECT_EQ(test, phyr_len(phyr), 100000);
	KUNIT_EXPECT_EQ(test, phyr_nr_words(phyr), 4);
}

static void phyr_test_merge_gap(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct ref *ref = new_ref(test, 8);

	add_ok(test, phyr, ref, NULL, 0, SZ_1G, PAGE_SIZE);
	/* a one-byte gap */
	add_ok(test, phyr, ref, NULL, 0, SZ_1G + PAGE_SIZE + 1, PAGE_SIZE);
	/* adjacent, but before the last range */
	add_ok(test, phyr, ref, NULL, 0, SZ_1G + 1 - PAGE_SIZE, PAGE_SIZE);
	/* the same range again */
	add_ok(test, phyr, ref, NULL, 0, SZ_1G + 1 - PAGE_SIZE, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), 4);
	expect_ref(test, phyr, ref);
}

static void phyr_test_merge_attrs(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct ref *ref = new_ref(test, 8);

	add_ok(test, phyr, ref, NULL, 0, SZ_1G, PAGE_SIZE);
	add_ok(test, phyr, ref, NULL, PHYR_ATTR_WC, SZ_1G + PAGE_SIZE,
	       PAGE_SIZE);
	add_ok(test, phyr, ref, NULL, PHYR_ATTR_UNCACHED,
	       SZ_1G + 2 * PAGE_SIZE, PAGE_SIZE);
	add_ok(test, phyr, ref, NULL,
	       PHYR_ATTR_UNCACHED | PHYR_ATTR_DECRYPTED,
	       SZ_1G + 3 * PAGE_SIZE, PAGE_SIZE);
	add_ok(test, phyr, ref, NULL, 0, SZ_1G + 4 * PAGE_SIZE, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), 5);
	expect_ref(test, phyr, ref);
}

static void phyr_test_merge_type(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct ref *ref = new_ref(test, 8);

	add_ok(test, phyr, ref, NULL, 0, SZ_1G, PAGE_SIZE);
	add_ok(test, phyr, ref, &prov_a, 0, SZ_1G + PAGE_SIZE, PAGE_SIZE);
	add_ok(test, phyr, ref, NULL, 0, SZ_1G + 2 * PAGE_SIZE, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), 3);
	expect_ref(test, phyr, ref);
}

static void phyr_test_merge_provider(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct ref *ref = new_ref(test, 8);

	add_ok(test, phyr, ref, &prov_a, 0, SZ_1G, PAGE_SIZE);
	add_ok(test, phyr, ref, &prov_a, 0, SZ_1G + PAGE_SIZE, PAGE_SIZE);
	add_ok(test, phyr, ref, &prov_b, 0, SZ_1G + 2 * PAGE_SIZE, PAGE_SIZE);
	add_ok(test, phyr, ref, &prov_a, 0, SZ_1G + 3 * PAGE_SIZE, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), 3);
	expect_ref(test, phyr, ref);
}

static void phyr_test_merge_reencode(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);

	/* two byte-granular halves make a page: long becomes short */
	add_ok(test, phyr, NULL, NULL, 0, PAGE_SIZE, PAGE_SIZE / 2);
	expect_one(test, phyr, PAGE_SIZE, PAGE_SIZE / 2, 2);
	add_ok(test, phyr, NULL, NULL, 0, PAGE_SIZE + PAGE_SIZE / 2,
	       PAGE_SIZE / 2);
	expect_one(test, phyr, PAGE_SIZE, PAGE_SIZE, 1);

	/* growing past the largest short entry: short becomes long */
	add_ok(test, phyr, NULL, NULL, 0, 2 * PAGE_SIZE,
	       SHORT_MAX - PAGE_SIZE);
	expect_one(test, phyr, PAGE_SIZE, SHORT_MAX, 1);
	add_ok(test, phyr, NULL, NULL, 0, SHORT_MAX + PAGE_SIZE, PAGE_SIZE);
	expect_one(test, phyr, PAGE_SIZE, SHORT_MAX + PAGE_SIZE, 2);
	add_ok(test, phyr, NULL, NULL, 0, SHORT_MAX + 2 * PAGE_SIZE, 1);
	expect_one(test, phyr, PAGE_SIZE, SHORT_MAX + PAGE_SIZE + 1, 2);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr), sizeof(*phyr));
}

static void phyr_test_merge_chunk_end(struct kunit *test)
{
	unsigned long cw = chunk_words(test), i;
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct ref *ref = new_ref(test, cw + 8);
	phys_addr_t big = SZ_1G * 64ULL;

	/* fill the first chunk with short ranges, the last one 4 GiB */
	for (i = 0; i < cw - 1; i++)
		add_ok(test, phyr, ref, NULL, 0, frag_phys(i), PAGE_SIZE);
	add_ok(test, phyr, ref, NULL, 0, big, SHORT_MAX);
	KUNIT_EXPECT_EQ(test, phyr_nr_words(phyr), cw);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr),
			sizeof(*phyr) + PHYR_BLOCK_SIZE);

	/* growing it needs a long entry: it moves to a new chunk */
	add_ok(test, phyr, ref, NULL, 0, big + SHORT_MAX, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), cw);
	KUNIT_EXPECT_EQ(test, phyr_nr_words(phyr), cw + 1);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr),
			sizeof(*phyr) + 3 * PHYR_BLOCK_SIZE);
	expect_ref(test, phyr, ref);
	for (i = cw - 3; i < cw; i++) {
		expect_window(test, phyr, ref, ref->r[i].offset, 1);
		expect_window(test, phyr, ref, ref->r[i].offset - 1, 2);
	}
	expect_window(test, phyr, ref, ref->len - 1, 1);

	/* and keeps growing there */
	add_ok(test, phyr, ref, NULL, 0, big + SHORT_MAX + PAGE_SIZE, 5);
	add_ok(test, phyr, ref, NULL, 0, frag_phys(0), 5);
	KUNIT_EXPECT_EQ(test, phyr_nr_words(phyr), cw + 3);
	expect_ref(test, phyr, ref);
}

static void phyr_test_merge_after_marker(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct ref *ref = new_ref(test, 8);

	add_ok(test, phyr, ref, &prov_a, 0, SZ_1G, PAGE_SIZE);
	add_ok(test, phyr, ref, NULL, 0, SZ_1G + PAGE_SIZE, PAGE_SIZE);
	/* contiguous with the first range, but not with the last */
	add_ok(test, phyr, ref, &prov_a, 0, SZ_1G + PAGE_SIZE, PAGE_SIZE);
	add_ok(test, phyr, ref, &prov_a, 0, SZ_1G + 2 * PAGE_SIZE, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), 3);
	expect_ref(test, phyr, ref);
}

/* ---- cursors, seek and slice -------------------------------------------- */

/* Append @n pseudo-random ranges of every kind. */
static void add_mixed(struct kunit *test, struct phyr *phyr, struct ref *ref,
		      unsigned int n, u64 seed)
{
	static const unsigned int attrs[] = {
		0, PHYR_ATTR_WC, PHYR_ATTR_UNCACHED, PHYR_ATTR_DECRYPTED,
	};
	struct p2pdma_provider *provider = NULL;
	phys_addr_t next = SZ_1G;
	struct rnd_state rnd;
	unsigned int a = 0;
	u64 len;
	u32 r;

	prandom_seed_state(&rnd, seed);
	while (n--) {
		r = prandom_u32_state(&rnd);
		len = (1 + r % 16) * PAGE_SIZE;
		switch ((r >> 8) % 10) {
		case 0: /* contiguous with the last range */
			break;
		case 1: /* byte-granular */
			next += 1 + r % 97;
			len -= r % 61;
			break;
		case 2: /* long */
			next += PAGE_SIZE;
			len = SHORT_MAX + len;
			break;
		case 3: /* change of type, provider or attributes */
			provider = (r >> 12) % 3 ? NULL :
				   (r >> 14) & 1 ? &prov_a : &prov_b;
			a = (r >> 16) % ARRAY_SIZE(attrs);
			fallthrough;
		default: /* page-granular, not contiguous */
			next = ALIGN(next, PAGE_SIZE) + PAGE_SIZE;
			break;
		}
		add_ok(test, phyr, ref, provider, attrs[a], next, len);
		next += len;
	}
}

static void phyr_test_cursor_walk(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct ref *ref = new_ref(test, 3000);

	add_mixed(test, phyr, ref, 3000, 1);
	KUNIT_EXPECT_GT(test, phyr_metadata_bytes(phyr),
			sizeof(*phyr) + 8 * PHYR_BLOCK_SIZE);
	expect_ref(test, phyr, ref);
}

/*
 * Check that batches of at most @max ranges from phyr_cursor_next_vecs()
 * yield the window [@off, @off + @len) of @ref, each batch of one kind and
 * ending only where the kind changes, @max is reached or the window ends.
 */
static void expect_vecs(struct kunit *test, const struct phyr *phyr,
			const struct ref *ref, u64 off, u64 len,
			struct phys_vec *vecs, unsigned int max)
{
	unsigned int i = ref_find(ref, off), k, n;
	u64 pos = off, end = off + len, skip;
	const struct ref_range *r;
	struct phyr_cursor cur;

	KUNIT_ASSERT_EQ(test, phyr_cursor_init_range(&cur, phyr, off, len), 0);
	while (pos < end) {
		n = phyr_cursor_next_vecs(&cur, vecs, max);
		KUNIT_ASSERT_GE(test, n, 1);
		KUNIT_ASSERT_LE(test, n, max);
		for (k = 0; k < n; k++) {
			KUNIT_ASSERT_LT(test, i, ref->nr);
			r = &ref->r[i++];
			skip = pos - r->offset;
			KUNIT_ASSERT_EQ(test, vecs[k].paddr, r->phys + skip);
			KUNIT_ASSERT_EQ(test, vecs[k].len,
					min(r->len - skip, end - pos));
			KUNIT_ASSERT_EQ(test, cur.type, r->type);
			KUNIT_ASSERT_PTR_EQ(test, cur.provider, r->provider);
			KUNIT_ASSERT_EQ(test, cur.attrs, r->attrs);
			pos += vecs[k].len;
		}
		/* the cursor describes the last range of the batch */
		KUNIT_ASSERT_EQ(test, cur.phys, vecs[n - 1].paddr);
		KUNIT_ASSERT_EQ(test, cur.len, vecs[n - 1].len);
		KUNIT_ASSERT_EQ(test, cur.offset, pos - vecs[n - 1].len);
		/* a short batch ends before a change of kind or at the end */
		if (n < max && pos < end)
			KUNIT_ASSERT_TRUE(test, ref->r[i].type != r->type ||
					  ref->r[i].provider != r->provider ||
					  ref->r[i].attrs != r->attrs);
	}
	KUNIT_ASSERT_EQ(test, phyr_cursor_next_vecs(&cur, vecs, max), 0);
	KUNIT_ASSERT_FALSE(test, phyr_cursor_next(&cur));
}

/*
 * phyr_cursor_next_vecs() over a long mixed phyr (several chunks, every
 * kind of entry, changes of type, provider and attributes): whole, from
 * inside a range to inside another, and with every batch size from one up.
 */
static void phyr_test_cursor_vecs(struct kunit *test)
{
	static const unsigned int max[] = { 1, 2, 3, 17, 64, 1000, 5000 };
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct ref *ref = new_ref(test, 3000);
	struct phys_vec *vecs = new_array(test, 5000, sizeof(*vecs));
	struct phyr_cursor cur;
	unsigned int i, j;
	u64 off;

	phyr_cursor_init(&cur, phyr);
	KUNIT_EXPECT_EQ(test, phyr_cursor_next_vecs(&cur, vecs, 4), 0);

	add_mixed(test, phyr, ref, 3000, 3);
	KUNIT_ASSERT_GT(test, phyr_metadata_bytes(phyr),
			sizeof(*phyr) + 4 * PHYR_BLOCK_SIZE);
	for (i = 0; i < ARRAY_SIZE(max); i++) {
		expect_vecs(test, phyr, ref, 0, ref->len, vecs, max[i]);
		for (j = 1; j < 8; j++) {
			off = ref->r[j * ref->nr / 8].offset + 1;
			expect_vecs(test, phyr, ref, off,
				    ref->r[ref->nr - j * 5].offset + 3 - off,
				    vecs, max[i]);
		}
	}
	phyr_cursor_init(&cur, phyr);
	KUNIT_EXPECT_EQ(test, phyr_cursor_next_vecs(&cur, vecs, 0), 0);
}

/*
 * Batches of one-page entries, the cursor's fast path, across chunk ends:
 * 1500 discontiguous pages (every other page from 1 GiB: the expected
 * addresses follow from that) take three chunks of 508 one-word entries.
 * Batches of 7, 508, 509, 1000 and 2000 cross the chunk ends at various
 * offsets; a window that starts and ends inside pages clips the first and
 * the last range; a three-page short entry and a long (byte-granular) entry
 * between one-page ones are decoded in the same batch.
 */
static void phyr_test_cursor_vecs_pages(struct kunit *test)
{
	static const unsigned int max[] = { 7, 508, 509, 1000, 2000 };
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct phys_vec *vecs = new_array(test, 2000, sizeof(*vecs));
	const phys_addr_t base = SZ_1G;
	struct phyr_cursor cur;
	unsigned int i, k, n, seen;
	u64 pos, len;

	for (i = 0; i < 1500; i++)
		KUNIT_ASSERT_EQ(test, phyr_append(phyr, base + 2ULL * i * PAGE_SIZE,
						  PAGE_SIZE, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_nr_ranges(phyr), 1500UL);
	KUNIT_ASSERT_EQ(test, phyr_nr_words(phyr), 1500UL);

	for (k = 0; k < ARRAY_SIZE(max); k++) {
		phyr_cursor_init(&cur, phyr);
		seen = 0;
		while ((n = phyr_cursor_next_vecs(&cur, vecs, max[k]))) {
			KUNIT_ASSERT_EQ(test, n, min(max[k], 1500 - seen));
			for (i = 0; i < n; i++) {
				KUNIT_ASSERT_EQ(test, vecs[i].paddr, base +
						2ULL * (seen + i) * PAGE_SIZE);
				KUNIT_ASSERT_EQ(test, vecs[i].len, PAGE_SIZE);
			}
			seen += n;
			KUNIT_ASSERT_EQ(test, cur.phys,
					base + 2ULL * (seen - 1) * PAGE_SIZE);
			KUNIT_ASSERT_EQ(test, cur.len, PAGE_SIZE);
			KUNIT_ASSERT_EQ(test, cur.offset,
					(u64)(seen - 1) * PAGE_SIZE);
		}
		KUNIT_EXPECT_EQ(test, seen, 1500U);
	}

	/* pages 3.5 to 1200.25: 1198 ranges, the first and last clipped */
	pos = 3 * PAGE_SIZE + PAGE_SIZE / 2;
	len = 1200 * PAGE_SIZE + PAGE_SIZE / 4 - pos;
	KUNIT_ASSERT_EQ(test, phyr_cursor_init_range(&cur, phyr, pos, len), 0);
	n = phyr_cursor_next_vecs(&cur, vecs, 2000);
	KUNIT_ASSERT_EQ(test, n, 1198U);
	KUNIT_EXPECT_EQ(test, vecs[0].paddr, base + 6 * PAGE_SIZE + PAGE_SIZE / 2);
	KUNIT_EXPECT_EQ(test, vecs[0].len, PAGE_SIZE / 2);
	KUNIT_EXPECT_EQ(test, vecs[1].paddr, base + 8 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vecs[1].len, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vecs[1197].paddr, base + 2400 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vecs[1197].len, PAGE_SIZE / 4);
	KUNIT_EXPECT_EQ(test, cur.offset, 1200ULL * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, phyr_cursor_next_vecs(&cur, vecs, 2000), 0U);

	/* a three-page and a long entry amid one-page ones, in one batch */
	KUNIT_ASSERT_EQ(test, phyr_append(phyr, SZ_4G, 3 * PAGE_SIZE, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_append(phyr, SZ_4G + 8 * PAGE_SIZE,
					  PAGE_SIZE + 512, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_append(phyr, SZ_4G + 16 * PAGE_SIZE,
					  PAGE_SIZE, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_nr_words(phyr), 1500UL + 1 + 2 + 1);
	pos = 1499ULL * PAGE_SIZE;
	len = 6 * PAGE_SIZE + 512;
	KUNIT_ASSERT_EQ(test, phyr_cursor_init_range(&cur, phyr, pos, len), 0);
	KUNIT_ASSERT_EQ(test, phyr_cursor_next_vecs(&cur, vecs, 8), 4U);
	KUNIT_EXPECT_EQ(test, vecs[0].paddr, base + 2998ULL * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vecs[0].len, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vecs[1].paddr, (phys_addr_t)SZ_4G);
	KUNIT_EXPECT_EQ(test, vecs[1].len, 3 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vecs[2].paddr, SZ_4G + 8ULL * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vecs[2].len, PAGE_SIZE + 512);
	KUNIT_EXPECT_EQ(test, vecs[3].paddr, SZ_4G + 16ULL * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vecs[3].len, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, cur.offset, 1504ULL * PAGE_SIZE + 512);
	KUNIT_EXPECT_EQ(test, phyr_cursor_next_vecs(&cur, vecs, 8), 0U);
}

/*
 * phyr_page_aligned() as appends go: true for an empty phyr and after
 * page-aligned appends of every builder, false from the first range that
 * starts or ends inside a page, also once a later append grew that range to
 * page boundaries, until phyr_destroy(); a failed append changes nothing; a
 * slice is aligned where its window and the source's ranges are.
 */
static void phyr_test_page_aligned(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct phyr *dst = new_phyr(test, GFP_KERNEL);
	struct page *pages[3], *p = new_pages(test, 2);
	struct fault *f;
	unsigned int i;

	KUNIT_EXPECT_TRUE(test, phyr_page_aligned(phyr));
	KUNIT_ASSERT_EQ(test, phyr_append(phyr, SZ_1G, PAGE_SIZE, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_append(phyr, SZ_4G, SZ_2M, 0), 0);
	KUNIT_ASSERT_EQ(test, phyr_append(phyr, SZ_1G + PAGE_SIZE,
					  PAGE_SIZE, PHYR_ATTR_WC), 0);
	KUNIT_EXPECT_TRUE(test, phyr_page_aligned(phyr));

	/* a slice at page offsets of it, then one at byte offsets */
	KUNIT_ASSERT_EQ(test, phyr_append_slice(dst, phyr, PAGE_SIZE,
						SZ_2M + PAGE_SIZE), 0);
	KUNIT_EXPECT_TRUE(test, phyr_page_aligned(dst));
	KUNIT_ASSERT_EQ(test, phyr_append_slice(dst, phyr, PAGE_SIZE + 8,
						PAGE_SIZE), 0);
	KUNIT_EXPECT_FALSE(test, phyr_page_aligned(dst));
	phyr_destroy(dst);
	KUNIT_EXPECT_TRUE(test, phyr_page_aligned(dst));

	/* half a page, then the other half: one aligned range, still false */
	KUNIT_ASSERT_EQ(test, phyr_append(phyr, SZ_8G, PAGE_SIZE / 2, 0), 0);
	KUNIT_EXPECT_FALSE(test, phyr_page_aligned(phyr));
	KUNIT_ASSERT_EQ(test, phyr_append(phyr, SZ_8G + PAGE_SIZE / 2,
					  PAGE_SIZE / 2, 0), 0);
	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), 4UL);
	KUNIT_EXPECT_FALSE(test, phyr_page_aligned(phyr));
	phyr_destroy(phyr);
	KUNIT_EXPECT_TRUE(test, phyr_page_aligned(phyr));

	/* the page builder: whole pages, then an offset into the first */
	for (i = 0; i < 3; i++)
		pages[i] = p + (i ? 3 - i : 0);
	KUNIT_ASSERT_EQ(test, phyr_append_pages(phyr, pages, 3, 0,
						3 * PAGE_SIZE), 0);
	KUNIT_EXPECT_TRUE(test, phyr_page_aligned(phyr));
	KUNIT_ASSERT_EQ(test, phyr_append_pages(phyr, pages, 3, 0,
						2 * PAGE_SIZE + 1), 0);
	KUNIT_EXPECT_FALSE(test, phyr_page_aligned(phyr));
	phyr_destroy(phyr);
	KUNIT_ASSERT_EQ(test, phyr_append_pages(phyr, pages, 3, 16,
						3 * PAGE_SIZE - 16), 0);
	KUNIT_EXPECT_FALSE(test, phyr_page_aligned(phyr));
	phyr_destroy(phyr);

	/* an unaligned append that fails (no memory) leaves it aligned */
	f = fault_start(test);
	for (i = 0; i < PHYR_INLINE_WORDS; i++)
		KUNIT_ASSERT_EQ(test, phyr_append(phyr, SZ_1G + 2ULL * i * PAGE_SIZE,
						  PAGE_SIZE, 0), 0);
	fault_arm(f, 0);
	KUNIT_EXPECT_EQ(test, phyr_append(phyr, SZ_8G + 1, PAGE_SIZE, 0),
			-ENOMEM);
	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), (unsigned long)PHYR_INLINE_WORDS);
	KUNIT_EXPECT_TRUE(test, phyr_page_aligned(phyr));
	fault_arm(f, -1);
	KUNIT_EXPECT_EQ(test, phyr_append(phyr, SZ_8G + 1, PAGE_SIZE, 0), 0);
	KUNIT_EXPECT_FALSE(test, phyr_page_aligned(phyr));
}

static void phyr_test_seek_ranges(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct ref *ref = new_ref(test, 1200);
	const struct ref_range *r;
	unsigned int i;

	add_mixed(test, phyr, ref, 1200, 2);
	for (i = 0; i < ref->nr; i++) {
		r = &ref->r[i];
		/* start, whole, middle and end of each range */
		expect_window(test, phyr, ref, r->offset, 1);
		expect_window(test, phyr, ref, r->offset, r->len);
		expect_window(test, phyr, ref, r->offset + r->len / 2, 1);
		expect_window(test, phyr, ref, r->offset + r->len - 1, 1);
		/* across the boundary with the previous and next ones */
		if (i)
			expect_window(test, phyr, ref, r->offset - 1, 2);
		if (i + 2 < ref->nr)
			expect_window(test, phyr, ref, r->offset + 1,
				      ref->r[i + 2].offset - r->offset);
		/* from here to the end */
		if (i % 64 == 0)
			expect_window(test, phyr, ref, r->offset + r->len / 3,
				      ref->len - r->offset - r->len / 3);
	}
	expect_window(test, phyr, ref, 0, ref->len);
	expect_window(test, phyr, ref, ref->len - 1, 1);
}

static void phyr_test_seek_inline(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct ref *ref = new_ref(test, 4);
	u64 off, len;

	add_ok(test, phyr, ref, NULL, 0, PAGE_SIZE, 3 * PAGE_SIZE);
	add_ok(test, phyr, ref, NULL, 0, SZ_1G + 7, 5);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr), sizeof(*phyr));
	for (off = 0; off < ref->len; off += 511)
		for (len = 1; off + len <= ref->len; len += 1021)
			expect_window(test, phyr, ref, off, len);
	expect_window(test, phyr, ref, ref->len - 1, 1);
}

static void phyr_test_seek_chunks(struct kunit *test)
{
	unsigned long cw = chunk_words(test), chunks = NODE_SLOTS + 13, k;
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	u64 b, total;

	/* more chunks than a node holds: two index levels */
	add_frag(test, phyr, chunks * cw);
	total = phyr_len(phyr);
	KUNIT_ASSERT_EQ(test, total, (u64)chunks * cw * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr),
			sizeof(*phyr) + (chunks + index_nodes(chunks, NODE_SLOTS)) *
			PHYR_BLOCK_SIZE);
	KUNIT_EXPECT_EQ(test, index_nodes(chunks, NODE_SLOTS), 3);

	for (k = 1; k < chunks; k++) {
		/* the first byte of chunk k */
		b = (u64)k * cw * PAGE_SIZE;
		expect_frag_window(test, phyr, b, 1);
		expect_frag_window(test, phyr, b - 1, 2);
		expect_frag_window(test, phyr, b - PAGE_SIZE, 3 * PAGE_SIZE);
		expect_frag_window(test, phyr, b + 17, PAGE_SIZE);
		expect_frag_window(test, phyr, b - 1, 1);
	}
	expect_frag_window(test, phyr, 0, 1);
	expect_frag_window(test, phyr, 0, 3 * cw * PAGE_SIZE + 5);
	expect_frag_window(test, phyr, total - 1, 1);
	expect_frag_window(test, phyr, total - 3 * cw * PAGE_SIZE - 7,
			   3 * cw * PAGE_SIZE + 7);
}

static void phyr_test_seek_errors(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct phyr_page_cursor pc;
	struct phyr_cursor cur;
	u64 len;

	add_frag(test, phyr, 10);
	len = phyr_len(phyr);
	KUNIT_EXPECT_EQ(test, phyr_cursor_init_range(&cur, phyr, 0, 0),
			-EINVAL);
	KUNIT_EXPECT_FALSE(test, phyr_cursor_next(&cur));
	KUNIT_EXPECT_EQ(test, phyr_cursor_init_range(&cur, phyr, len, 1),
			-EINVAL);
	KUNIT_EXPECT_FALSE(test, phyr_cursor_next(&cur));
	KUNIT_EXPECT_EQ(test, phyr_cursor_init_range(&cur, phyr, 1, len),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, phyr_cursor_init_range(&cur, phyr, 1, U64_MAX),
			-EOVERFLOW);
	KUNIT_EXPECT_FALSE(test, phyr_cursor_next(&cur));
	KUNIT_EXPECT_EQ(test, phyr_page_cursor_init_range(&pc, phyr, len, 1),
			-EINVAL);
	KUNIT_EXPECT_FALSE(test, phyr_page_cursor_next(&pc));
	KUNIT_EXPECT_EQ(test, phyr_cursor_init_range(&cur, phyr, 0, len), 0);
	KUNIT_EXPECT_EQ(test, phyr_cursor_init_range(&cur, phyr, len - 1, 1),
			0);
}

static void phyr_test_slice(struct kunit *test)
{
	struct phyr *src = new_phyr(test, GFP_KERNEL);
	struct phyr *dst = new_phyr(test, GFP_KERNEL);
	struct ref *ref = new_ref(test, 600);
	struct phyr_cursor cur;
	u64 off, len;
	unsigned int i;

	add_mixed(test, src, ref, 600, 3);
	for (i = 0; i < ref->nr; i += 7) {
		off = ref->r[i].offset + ref->r[i].len / 2;
		len = ref->len - off;
		len = i % 2 ? len / 3 + 1 : len;
		KUNIT_ASSERT_EQ(test, phyr_append_slice(dst, src, off, len), 0);
		KUNIT_ASSERT_EQ(test, phyr_len(dst), len);
		phyr_cursor_init(&cur, dst);
		expect_cursor(test, &cur, ref, off, len, off);
		phyr_destroy(dst);
	}

	/* slices at the exact range boundaries */
	for (i = 0; i + 3 < ref->nr; i += 5) {
		off = ref->r[i].offset;
		len = ref->r[i + 3].offset - off;
		KUNIT_ASSERT_EQ(test, phyr_append_slice(dst, src, off, len), 0);
		KUNIT_EXPECT_EQ(test, phyr_nr_ranges(dst), 3);
		phyr_cursor_init(&cur, dst);
		expect_cursor(test, &cur, ref, off, len, off);
		phyr_destroy(dst);
	}

	/* errors leave dst unchanged */
	KUNIT_EXPECT_EQ(test, phyr_append_slice(dst, src, 0, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, phyr_append_slice(dst, src, ref->len, 1),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, phyr_append_slice(dst, src, 1, U64_MAX),
			-EOVERFLOW);
	KUNIT_EXPECT_EQ(test, phyr_append_slice(src, src, 0, 1), -EINVAL);
	KUNIT_EXPECT_TRUE(test, phyr_empty(dst));
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(dst), sizeof(*dst));
}

static void phyr_test_slice_merge(struct kunit *test)
{
	struct phyr *src = new_phyr(test, GFP_KERNEL);
	struct phyr *dst = new_phyr(test, GFP_KERNEL);
	struct ref *ref = new_ref(test, 8);

	add_ok(test, src, NULL, &prov_a, PHYR_ATTR_WC, SZ_1G, SZ_1M);
	add_ok(test, src, NULL, NULL, 0, SZ_2G, SZ_1M);
	/* dst ends where the slice starts: they merge */
	add_ok(test, dst, ref, &prov_a, PHYR_ATTR_WC, SZ_1G - PAGE_SIZE,
	       PAGE_SIZE + 100);
	KUNIT_ASSERT_EQ(test, phyr_append_slice(dst, src, 100, SZ_1M), 0);
	ref_add(test, ref, &prov_a, PHYR_ATTR_WC, SZ_1G + 100, SZ_1M - 100);
	ref_add(test, ref, NULL, 0, SZ_2G, 100);
	expect_ref(test, dst, ref);
	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(dst), 2);
}

static void phyr_test_page_cursor(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct page *pages = new_pages(test, 2);
	phys_addr_t base = page_to_phys(pages);
	struct phyr_page_cursor pc;
	struct {
		phys_addr_t phys;
		size_t len;
		struct page *page;
	} want[] = {
		{ base, PAGE_SIZE, pages },
		{ base + PAGE_SIZE, PAGE_SIZE, pages + 1 },
		{ base + 3 * PAGE_SIZE + 100, PAGE_SIZE - 100, pages + 3 },
		{ SZ_1G + 10, PAGE_SIZE - 10, NULL },
		{ SZ_1G + PAGE_SIZE, 10, NULL },
		{ base + 2 * PAGE_SIZE, 1, pages + 2 },
	};
	unsigned int i = 0;

	add_ok(test, phyr, NULL, NULL, 0, base, 2 * PAGE_SIZE);
	add_ok(test, phyr, NULL, NULL, 0, base + 3 * PAGE_SIZE + 100,
	       PAGE_SIZE - 100);
	add_ok(test, phyr, NULL, &prov_a, 0, SZ_1G + 10, PAGE_SIZE);
	add_ok(test, phyr, NULL, NULL, 0, base + 2 * PAGE_SIZE, 1);

	phyr_page_cursor_init(&pc, phyr);
	while (phyr_page_cursor_next(&pc)) {
		KUNIT_ASSERT_LT(test, i, ARRAY_SIZE(want));
		KUNIT_EXPECT_EQ(test, pc.phys, want[i].phys);
		KUNIT_EXPECT_EQ(test, pc.len, want[i].len);
		KUNIT_EXPECT_PTR_EQ(test, phyr_page_cursor_page(&pc),
				    want[i].page);
		KUNIT_EXPECT_EQ(test, pc.range.type,
				want[i].page ? PHYR_MEM_RAM : PHYR_MEM_P2P);
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, ARRAY_SIZE(want));

	/* a window starting inside a page */
	KUNIT_ASSERT_EQ(test, phyr_page_cursor_init_range(&pc, phyr, 5,
							  PAGE_SIZE), 0);
	KUNIT_ASSERT_TRUE(test, phyr_page_cursor_next(&pc));
	KUNIT_EXPECT_EQ(test, pc.phys, base + 5);
	KUNIT_EXPECT_EQ(test, pc.len, PAGE_SIZE - 5);
	KUNIT_ASSERT_TRUE(test, phyr_page_cursor_next(&pc));
	KUNIT_EXPECT_EQ(test, pc.phys, base + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, pc.len, 5);
	KUNIT_EXPECT_FALSE(test, phyr_page_cursor_next(&pc));
}

/* ---- builders ----------------------------------------------------------- */

/* Check that a page walk of @phyr yields @pages, whole pages each. */
static void expect_pages(struct kunit *test, const struct phyr *phyr,
			 struct page **pages, unsigned int nr)
{
	struct phyr_page_cursor pc;
	unsigned int i = 0;

	phyr_page_cursor_init(&pc, phyr);
	while (phyr_page_cursor_next(&pc)) {
		KUNIT_ASSERT_LT(test, i, nr);
		KUNIT_ASSERT_EQ(test, pc.len, PAGE_SIZE);
		KUNIT_ASSERT_PTR_EQ(test, phyr_page_cursor_page(&pc),
				    pages[i]);
		i++;
	}
	KUNIT_ASSERT_EQ(test, i, nr);
}

static void phyr_test_build_pages(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct page *p = new_pages(test, 3);
	struct page *pages[] = {
		p, p + 1, p + 2, p + 5, p + 4, p + 5, p + 7, p + 6, p + 7, p,
	};
	unsigned int nr = ARRAY_SIZE(pages);

	KUNIT_ASSERT_EQ(test, phyr_append_pages(phyr, pages, nr, 0,
						nr * PAGE_SIZE), 0);
	/* p0-2, p5, p4-5, p7, p6-7, p0 */
	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), 6);
	KUNIT_EXPECT_EQ(test, phyr_len(phyr), nr * PAGE_SIZE);
	expect_pages(test, phyr, pages, nr);

	/* appending again continues the last range if contiguous */
	KUNIT_ASSERT_EQ(test, phyr_append_pages(phyr, pages, 1, 0, PAGE_SIZE),
			0);
	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), 7);
}

static void phyr_test_build_pages_offset(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct page *p = new_pages(test, 2);
	struct page *pages[] = { p, p + 1, p + 3 };
	struct ref *ref = new_ref(test, 4);

	KUNIT_ASSERT_EQ(test, phyr_append_pages(phyr, pages, 3, 100,
						2 * PAGE_SIZE), 0);
	ref_add(test, ref, NULL, 0, page_to_phys(p) + 100,
		2 * PAGE_SIZE - 100);
	ref_add(test, ref, NULL, 0, page_to_phys(p + 3), 100);
	expect_ref(test, phyr, ref);

	/* bad input changes nothing */
	KUNIT_EXPECT_EQ(test, phyr_append_pages(phyr, pages, 3, PAGE_SIZE, 1),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, phyr_append_pages(phyr, pages, 3, 0, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, phyr_append_pages(phyr, pages, 0, 0, 1),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, phyr_append_pages(phyr, pages, 3, 1,
						3 * PAGE_SIZE), -EINVAL);
	expect_ref(test, phyr, ref);
	KUNIT_ASSERT_EQ(test, phyr_append_pages(phyr, pages, 3, 1,
						3 * PAGE_SIZE - 1), 0);
	KUNIT_EXPECT_EQ(test, phyr_len(phyr), 5 * PAGE_SIZE - 1);
}

static void phyr_test_build_folios(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct page *p = new_pages(test, 2);
	struct folio *big = folio_alloc(GFP_KERNEL, 2);
	struct folio *folios[6];
	struct page *pages[16];
	unsigned int i, j, n = 0, nr_pages = 0;

	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_ASSERT_EQ(test, defer(test, folio_put_action, big), 0);
	/* single-page folios of a non-compound allocation are contiguous */
	folios[n++] = page_folio(p);
	folios[n++] = page_folio(p + 1);
	folios[n++] = big;
	folios[n++] = page_folio(p + 3);
	folios[n++] = page_folio(p + 2);
	folios[n++] = big;
	KUNIT_ASSERT_EQ(test, phyr_append_folios(phyr, folios, n), 0);
	for (i = 0; i < n; i++)
		for (j = 0; j < folio_nr_pages(folios[i]); j++)
			pages[nr_pages++] = folio_page(folios[i], j);
	expect_pages(test, phyr, pages, nr_pages);
	/* p0-1, big, p3, p2, big */
	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), 5);
	KUNIT_EXPECT_EQ(test, phyr_len(phyr), 12 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, phyr_append_folios(phyr, folios, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), 5);
}

static void phyr_test_build_phys_vec(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct ref *ref = new_ref(test, 16);
	struct phys_vec vecs[] = {
		{ SZ_1G, PAGE_SIZE },
		{ SZ_1G + PAGE_SIZE, 3 },
		{ SZ_1G + PAGE_SIZE + 3, 5 },
		{ SZ_2G, SZ_1M },
		{ SZ_4G, SHORT_MAX },
		{ SZ_4G + SHORT_MAX, PAGE_SIZE },
	};
	struct phys_vec bad[] = {
		{ SZ_1G, PAGE_SIZE },
		{ SZ_2G, 0 },
	};
	struct phys_vec wrap[] = {
		{ PHYS_ADDR_MAX, 2 },
	};
	unsigned int i;

	KUNIT_ASSERT_EQ(test, phyr_append_phys_vec(phyr, NULL, vecs,
						   ARRAY_SIZE(vecs), 0), 0);
	for (i = 0; i < ARRAY_SIZE(vecs); i++)
		ref_add(test, ref, NULL, 0, vecs[i].paddr, vecs[i].len);
	KUNIT_ASSERT_EQ(test, phyr_append_phys_vec(phyr, &prov_a, vecs,
						   ARRAY_SIZE(vecs),
						   PHYR_ATTR_WC), 0);
	for (i = 0; i < ARRAY_SIZE(vecs); i++)
		ref_add(test, ref, &prov_a, PHYR_ATTR_WC, vecs[i].paddr,
			vecs[i].len);
	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), 6);
	expect_ref(test, phyr, ref);

	/* bad input anywhere changes nothing */
	KUNIT_EXPECT_EQ(test, phyr_append_phys_vec(phyr, NULL, bad,
						   ARRAY_SIZE(bad), 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, phyr_append_phys_vec(phyr, NULL, wrap, 1, 0),
			-EOVERFLOW);
	KUNIT_EXPECT_EQ(test, phyr_append_phys_vec(phyr, NULL, vecs, 1, 3),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, phyr_append_phys_vec(phyr, NULL, vecs, 0, 0),
			-EINVAL);
	expect_ref(test, phyr, ref);
}

static void phyr_test_build_sgtable(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct phyr *back = new_phyr(test, GFP_KERNEL);
	struct page *p = new_pages(test, 3);
	struct ref *ref = new_ref(test, 16);
	struct sg_table *sgt, *sgt2;
	struct scatterlist *sg;
	struct phyr_cursor cur;
	unsigned int i;
	static const struct {
		unsigned int page, offset, len;
	} ents[] = {
		{ 0, 0, PAGE_SIZE }, { 1, 0, PAGE_SIZE }, { 2, 0, 100 },
		{ 2, 100, 200 }, { 5, 0, 2 * PAGE_SIZE }, { 4, 8, 8 },
		{ 0, 0, PAGE_SIZE },
	};

	sgt = kunit_kzalloc(test, sizeof(*sgt), GFP_KERNEL);
	sgt2 = kunit_kzalloc(test, sizeof(*sgt2), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sgt);
	KUNIT_ASSERT_NOT_NULL(test, sgt2);
	KUNIT_ASSERT_EQ(test, sg_alloc_table(sgt, ARRAY_SIZE(ents),
					     GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, defer(test, sg_free_table_action, sgt), 0);
	for_each_sgtable_sg(sgt, sg, i) {
		sg_set_page(sg, p + ents[i].page, ents[i].len, ents[i].offset);
		ref_add(test, ref, NULL, 0, sg_phys(sg), sg->length);
	}
	KUNIT_ASSERT_EQ(test, phyr_append_sgtable(phyr, sgt), 0);
	/* p0-p2+300, p5-6, p4+8, p0 */
	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), 4);
	expect_ref(test, phyr, ref);

	/* and back: phyr -> sg_table -> phyr */
	KUNIT_ASSERT_EQ(test, sg_alloc_table(sgt2, phyr_nr_ranges(phyr),
					     GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, defer(test, sg_free_table_action, sgt2), 0);
	sg = sgt2->sgl;
	phyr_cursor_init(&cur, phyr);
	while (phyr_cursor_next(&cur)) {
		sg_set_page(sg, pfn_to_page(PHYS_PFN(cur.phys)), cur.len,
			    offset_in_page(cur.phys));
		sg = sg_next(sg);
	}
	KUNIT_ASSERT_EQ(test, phyr_append_sgtable(back, sgt2), 0);
	expect_ref(test, back, ref);

	/* a zero-length entry or one without a page changes nothing */
	sg_set_page(sgt2->sgl, p, 0, 0);
	KUNIT_EXPECT_EQ(test, phyr_append_sgtable(phyr, sgt2), -EINVAL);
	sg_assign_page(sgt2->sgl, NULL);
	sgt2->sgl->length = PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, phyr_append_sgtable(phyr, sgt2), -EINVAL);
	expect_ref(test, phyr, ref);
}

/* ---- metadata size ------------------------------------------------------ */

static void phyr_test_metadata_fragmented(struct kunit *test)
{
	unsigned long cw = chunk_words(test);
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	unsigned long n[] = { 64 * cw, 100000 }, i, milli;

	for (i = 0; i < ARRAY_SIZE(n); i++) {
		add_frag(test, phyr, n[i]);
		KUNIT_ASSERT_EQ(test, phyr_nr_ranges(phyr), n[i]);
		milli = phyr_metadata_bytes(phyr) * 1000 / n[i];
		kunit_info(test, "%lu fragmented pages: %zu bytes, %lu.%03lu bytes/page\n",
			   n[i], phyr_metadata_bytes(phyr), milli / 1000,
			   milli % 1000);
		KUNIT_EXPECT_LE(test, milli, 8500);
		phyr_destroy(phyr);
	}
}

static void phyr_test_metadata_1g(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);

	add_ok(test, phyr, NULL, NULL, 0, SZ_4G, SZ_1G);
	kunit_info(test, "one 1 GiB RAM range: %zu bytes\n",
		   phyr_metadata_bytes(phyr));
	KUNIT_EXPECT_LE(test, phyr_metadata_bytes(phyr), 64);
	phyr_destroy(phyr);

	add_ok(test, phyr, NULL, &prov_a, PHYR_ATTR_WC | PHYR_ATTR_DECRYPTED,
	       SZ_4G, SZ_1G);
	kunit_info(test, "one 1 GiB P2P range: %zu bytes\n",
		   phyr_metadata_bytes(phyr));
	KUNIT_EXPECT_LE(test, phyr_metadata_bytes(phyr), 64);
	phyr_destroy(phyr);

	/* built from single pages */
	add_ok(test, phyr, NULL, NULL, 0, SZ_4G, PAGE_SIZE);
	while (phyr_len(phyr) < SZ_1G)
		add_ok(test, phyr, NULL, NULL, 0, SZ_4G + phyr_len(phyr),
		       PAGE_SIZE);
	expect_one(test, phyr, SZ_4G, SZ_1G, 1);
	KUNIT_EXPECT_LE(test, phyr_metadata_bytes(phyr), 64);
}

static void phyr_test_metadata_long(struct kunit *test)
{
	unsigned long cw = chunk_words(test), n = 10 * cw, i;
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);

	/* byte-granular ranges take two words each */
	for (i = 0; i < n; i++)
		add_ok(test, phyr, NULL, NULL, 0, frag_phys(i) + 1, 100);
	KUNIT_EXPECT_EQ(test, phyr_nr_words(phyr), 2 * n);
	KUNIT_EXPECT_LE(test, phyr_metadata_bytes(phyr),
			sizeof(*phyr) + (n * 2 / (cw - 1) + 2) * PHYR_BLOCK_SIZE);
}

/* ---- one-pass appends of pages and folios ------------------------------- */

/* phyr_append_pages() done with one phyr_append() per page, to compare */
static int append_pages_slow(struct phyr *phyr, struct page **pages,
			     unsigned int offset, size_t size)
{
	unsigned int i, off = offset;
	size_t left = size, step;
	int ret;

	for (i = 0; left; i++, off = 0) {
		step = min_t(size_t, left, PAGE_SIZE - off);
		ret = phyr_append(phyr, page_to_phys(pages[i]) + off, step, 0);
		if (ret)
			return ret;
		left -= step;
	}
	return 0;
}

static void expect_same_step(struct kunit *test, struct phyr_cursor *a,
			     struct phyr_cursor *b)
{
	bool more = phyr_cursor_next(a);

	KUNIT_ASSERT_EQ(test, more, phyr_cursor_next(b));
	if (!more)
		return;
	KUNIT_ASSERT_EQ(test, a->phys, b->phys);
	KUNIT_ASSERT_EQ(test, a->len, b->len);
	KUNIT_ASSERT_EQ(test, a->offset, b->offset);
	KUNIT_ASSERT_EQ(test, a->type, b->type);
	KUNIT_ASSERT_PTR_EQ(test, a->provider, b->provider);
	KUNIT_ASSERT_EQ(test, a->attrs, b->attrs);
}

/* @a and @b hold the same ranges in the same words and blocks */
static void expect_same(struct kunit *test, const struct phyr *a,
			const struct phyr *b)
{
	struct phyr_cursor ca, cb;
	unsigned long i;
	u64 off;

	KUNIT_ASSERT_EQ(test, phyr_len(a), phyr_len(b));
	KUNIT_ASSERT_EQ(test, phyr_nr_ranges(a), phyr_nr_ranges(b));
	KUNIT_ASSERT_EQ(test, phyr_nr_words(a), phyr_nr_words(b));
	KUNIT_ASSERT_EQ(test, phyr_metadata_bytes(a), phyr_metadata_bytes(b));
	phyr_cursor_init(&ca, a);
	phyr_cursor_init(&cb, b);
	for (i = 0; i <= phyr_nr_ranges(a); i++)
		expect_same_step(test, &ca, &cb);
	/* seeks through the index */
	for (i = 0; i < 32 && phyr_len(a); i++) {
		off = div64_u64(phyr_len(a) * i, 32);
		KUNIT_ASSERT_EQ(test, phyr_cursor_init_range(&ca, a, off,
							     phyr_len(a) - off), 0);
		KUNIT_ASSERT_EQ(test, phyr_cursor_init_range(&cb, b, off,
							     phyr_len(b) - off), 0);
		expect_same_step(test, &ca, &cb);
		expect_same_step(test, &ca, &cb);
	}
}

#define FILL_PAGES	700

/* What a phyr holds before an append of pages or folios starting at @next. */
static void fill_prefix(struct kunit *test, struct phyr *phyr,
			unsigned long cw, u32 r, struct page *next)
{
	phys_addr_t prev = page_to_phys(next) - PAGE_SIZE;

	switch (r % 7) {
	case 0:	/* empty */
		break;
	case 1:	/* inline, continued by the append */
		KUNIT_ASSERT_EQ(test, phyr_append(phyr, prev, PAGE_SIZE, 0), 0);
		break;
	case 2:	/* inline, another memory type */
		KUNIT_ASSERT_EQ(test, phyr_append_mmio(phyr, &prov_a, prev,
						       PAGE_SIZE, 0), 0);
		break;
	case 3:	/* a chunk that is (almost) full, continued by the append */
		add_frag(test, phyr, cw - 1 - (r >> 8) % 4);
		KUNIT_ASSERT_EQ(test, phyr_append(phyr, prev, PAGE_SIZE, 0), 0);
		break;
	case 4:	/* a full chunk ending in a marker and a range */
		add_frag(test, phyr, cw - 3);
		KUNIT_ASSERT_EQ(test, phyr_append_mmio(phyr, &prov_b, prev,
						       PAGE_SIZE, 0), 0);
		break;
	case 5:	/* a byte-granular (long) last range */
		add_frag(test, phyr, (r >> 8) % (2 * cw));
		KUNIT_ASSERT_EQ(test, phyr_append(phyr, prev + 100,
						  PAGE_SIZE - 100, 0), 0);
		break;
	default: /* preloaded */
		add_frag(test, phyr, (r >> 8) % (2 * cw));
		KUNIT_ASSERT_EQ(test, phyr_preload(phyr, (r >> 12) % 1000,
						   GFP_KERNEL), 0);
		break;
	}
}

/*
 * Random page arrays (runs of contiguous pages, offsets, partial last
 * pages, folios) appended to phyrs in every state give exactly what
 * appending each page on its own gives.
 */
static void phyr_test_fill_same(struct kunit *test)
{
	unsigned long cw = chunk_words(test);
	struct page *p = new_pages(test, 4);
	struct page **pages = new_array(test, FILL_PAGES, sizeof(*pages));
	struct folio **folios = new_array(test, FILL_PAGES, sizeof(*folios));
	struct phyr *a = new_phyr(test, GFP_KERNEL);
	struct phyr *b = new_phyr(test, GFP_KERNEL);
	unsigned int iter, i, nr, offset, cut, k;
	struct rnd_state rnd;
	size_t size;
	u32 r;

	prandom_seed_state(&rnd, 7);
	for (iter = 0; iter < 128; iter++) {
		r = prandom_u32_state(&rnd);
		nr = 1 + prandom_u32_state(&rnd) % FILL_PAGES;
		/* the first page continues the prefix's last range or not */
		k = 1 + r % 15;
		for (i = 0; i < nr; i++) {
			if (i && k < 15 && prandom_u32_state(&rnd) % 3 == 0)
				k++;
			else if (i)
				k = prandom_u32_state(&rnd) % 16;
			pages[i] = p + k;
			folios[i] = page_folio(pages[i]);
		}
		fill_prefix(test, a, cw, r, pages[0]);
		fill_prefix(test, b, cw, r, pages[0]);

		if (iter % 4 == 3) {
			KUNIT_ASSERT_EQ(test, phyr_append_folios(a, folios, nr),
					0);
			KUNIT_ASSERT_EQ(test, append_pages_slow(b, pages, 0,
								nr * PAGE_SIZE),
					0);
		} else {
			r = prandom_u32_state(&rnd);
			offset = r % 2 ? 0 : (r >> 1) % PAGE_SIZE;
			cut = r % 3 ? 0 : (r >> 13) % (PAGE_SIZE - offset);
			size = (size_t)nr * PAGE_SIZE - offset - cut;
			KUNIT_ASSERT_EQ(test, phyr_append_pages(a, pages, nr,
								offset, size),
					0);
			KUNIT_ASSERT_EQ(test, append_pages_slow(b, pages,
								offset, size),
					0);
		}
		expect_same(test, a, b);
		phyr_destroy(a);
		phyr_destroy(b);
	}
}

/* Appends that fill a chunk exactly, from empty and from inline. */
static void phyr_test_fill_chunk_exact(struct kunit *test)
{
	unsigned long cw = chunk_words(test), i;
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct page **pages = new_array(test, 2 * cw, sizeof(*pages));
	struct page *p = new_pages(test, 2);
	struct phyr_cursor cur;

	/* p and p + 2 in turn: no two neighbours are contiguous */
	for (i = 0; i < 2 * cw; i++)
		pages[i] = p + 2 * (i % 2);

	KUNIT_ASSERT_EQ(test, phyr_append_pages(phyr, pages, cw, 0,
						cw * PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), cw);
	KUNIT_EXPECT_EQ(test, phyr_nr_words(phyr), cw);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr),
			sizeof(*phyr) + PHYR_BLOCK_SIZE);
	expect_pages(test, phyr, pages, cw);
	/* the next page starts a second chunk and the root node */
	KUNIT_ASSERT_EQ(test, phyr_append_pages(phyr, pages + cw, 1, 0,
						PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, phyr_nr_words(phyr), cw + 1);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr),
			sizeof(*phyr) + 3 * PHYR_BLOCK_SIZE);
	expect_pages(test, phyr, pages, cw + 1);
	phyr_destroy(phyr);

	/* three inline ranges, then exactly two chunks in one append */
	KUNIT_ASSERT_EQ(test, phyr_append_pages(phyr, pages, 3, 0,
						3 * PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr), sizeof(*phyr));
	KUNIT_ASSERT_EQ(test, phyr_append_pages(phyr, pages + 3, 2 * cw - 3, 0,
						(2 * cw - 3) * PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), 2 * cw);
	KUNIT_EXPECT_EQ(test, phyr_nr_words(phyr), 2 * cw);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr),
			sizeof(*phyr) + 3 * PHYR_BLOCK_SIZE);
	expect_pages(test, phyr, pages, 2 * cw);
	/* a seek across the chunk boundary */
	KUNIT_ASSERT_EQ(test, phyr_cursor_init_range(&cur, phyr,
						     cw * PAGE_SIZE - 1, 2), 0);
	KUNIT_ASSERT_TRUE(test, phyr_cursor_next(&cur));
	KUNIT_EXPECT_EQ(test, cur.phys, page_to_phys(pages[cw - 1]) +
			PAGE_SIZE - 1);
	KUNIT_ASSERT_TRUE(test, phyr_cursor_next(&cur));
	KUNIT_EXPECT_EQ(test, cur.phys, page_to_phys(pages[cw]));
	KUNIT_EXPECT_EQ(test, cur.offset, cw * PAGE_SIZE);
	KUNIT_EXPECT_FALSE(test, phyr_cursor_next(&cur));
}

/* Contiguous pages coalesce across the end of a chunk. */
static void phyr_test_fill_coalesce_chunk(struct kunit *test)
{
	unsigned long cw = chunk_words(test), i;
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct ref *ref = new_ref(test, cw + 8);
	struct page *p = new_pages(test, 3);
	struct page *run[] = { p, p + 2, p + 3, p + 4 };
	struct page *more[] = { p + 5, p + 6 };
	struct page *grow[] = { p, p + 1, p + 2, p + 3 };

	/* one word left: p fills it, the run p2-4 goes whole to a new chunk */
	for (i = 0; i < cw - 1; i++)
		add_ok(test, phyr, ref, NULL, 0, frag_phys(i), PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, phyr_append_pages(phyr, run, 4, 0,
						4 * PAGE_SIZE), 0);
	for (i = 0; i < 4; i++)
		ref_add(test, ref, NULL, 0, page_to_phys(run[i]), PAGE_SIZE);
	expect_ref(test, phyr, ref);
	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), cw + 1);
	KUNIT_EXPECT_EQ(test, phyr_nr_words(phyr), cw + 1);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr),
			sizeof(*phyr) + 3 * PHYR_BLOCK_SIZE);
	expect_window(test, phyr, ref, ref->r[cw - 1].offset, PAGE_SIZE + 1);
	expect_window(test, phyr, ref, ref->r[cw].offset - 1, 2);

	/* continuing the last range grows it in place */
	KUNIT_ASSERT_EQ(test, phyr_append_pages(phyr, more, 2, 0,
						2 * PAGE_SIZE), 0);
	for (i = 0; i < 2; i++)
		ref_add(test, ref, NULL, 0, page_to_phys(more[i]), PAGE_SIZE);
	expect_ref(test, phyr, ref);
	KUNIT_EXPECT_EQ(test, phyr_nr_words(phyr), cw + 1);
	phyr_destroy(phyr);

	/* the last word of a full chunk grows: in place while it is short */
	ref_reset(ref);
	for (i = 0; i < cw - 1; i++)
		add_ok(test, phyr, ref, NULL, 0, frag_phys(i), PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, phyr_append_pages(phyr, grow, 1, 0, PAGE_SIZE),
			0);
	KUNIT_ASSERT_EQ(test, phyr_append_pages(phyr, grow + 1, 1, 0,
						PAGE_SIZE), 0);
	for (i = 0; i < 2; i++)
		ref_add(test, ref, NULL, 0, page_to_phys(grow[i]), PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, phyr_nr_words(phyr), cw);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr),
			sizeof(*phyr) + PHYR_BLOCK_SIZE);
	/* p2 and 100 bytes of p3: a long entry, so it moves to a new chunk */
	KUNIT_ASSERT_EQ(test, phyr_append_pages(phyr, grow + 2, 2, 0,
						PAGE_SIZE + 100), 0);
	ref_add(test, ref, NULL, 0, page_to_phys(grow[2]), PAGE_SIZE);
	ref_add(test, ref, NULL, 0, page_to_phys(grow[3]), 100);
	expect_ref(test, phyr, ref);
	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), cw);
	KUNIT_EXPECT_EQ(test, phyr_nr_words(phyr), cw + 1);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr),
			sizeof(*phyr) + 3 * PHYR_BLOCK_SIZE);
	expect_window(test, phyr, ref, ref->r[cw - 1].offset - 1, 2);
	expect_window(test, phyr, ref, ref->len - 1, 1);
}

/* A P2P page: only its struct page is looked at, never its memory. */
static struct page *fake_p2p_page(struct kunit *test)
{
#if IS_ENABLED(CONFIG_PCI_P2PDMA)
	struct dev_pagemap *pgmap = kunit_kzalloc(test, sizeof(*pgmap),
						  GFP_KERNEL);
	struct folio *folio = kunit_kzalloc(test, sizeof(*folio), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, pgmap);
	KUNIT_ASSERT_NOT_NULL(test, folio);
	pgmap->type = MEMORY_DEVICE_PCI_P2PDMA;
	set_page_zone(&folio->page, ZONE_DEVICE);
	folio->pgmap = pgmap;
	KUNIT_ASSERT_TRUE(test, is_pci_p2pdma_page(&folio->page));
	return &folio->page;
#else
	return NULL;
#endif
}

/*
 * Append @n whole pages with the k-th allocation failing, for k = 0, 1, ...
 * until the append succeeds: each failure leaves the phyr as @ref says and
 * holds no block.  Returns the number of failures.
 */
static long append_pages_until_ok(struct kunit *test, struct fault *f,
				  struct phyr *phyr, const struct ref *ref,
				  struct page **pages, unsigned int n)
{
	size_t bytes = phyr_metadata_bytes(phyr);
	unsigned long words = phyr_nr_words(phyr);
	unsigned long held = f->allocs - f->frees;
	long k;
	int ret;

	for (k = 0; ; k++) {
		fault_arm(f, k);
		ret = phyr_append_pages(phyr, pages, n, 0,
					(size_t)n * PAGE_SIZE);
		if (!ret)
			return k;
		KUNIT_ASSERT_EQ(test, ret, -ENOMEM);
		KUNIT_ASSERT_EQ(test, phyr_metadata_bytes(phyr), bytes);
		KUNIT_ASSERT_EQ(test, phyr_nr_words(phyr), words);
		KUNIT_ASSERT_EQ(test, f->allocs - f->frees, held);
		expect_ref(test, phyr, ref);
	}
}

/*
 * Appends that fail part-way (no memory for a chunk or the index, a P2P
 * page, a length overflow) leave the phyr as it was, including a last range
 * the append had grown and the blocks it took from the spare list.
 */
static void phyr_test_fill_fail(struct kunit *test)
{
	unsigned long cw = chunk_words(test), n = 3 * cw, i;
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct page **pages = new_array(test, n, sizeof(*pages));
	struct folio **folios = new_array(test, n, sizeof(*folios));
	struct ref *ref = new_ref(test, 5 * cw);
	struct page *p = new_pages(test, 2);
	unsigned int preload, nr_ref;
	struct page *fake, *other;
	struct fault *f;
	size_t bytes;
	long k;

	/* p + 2 continues the prefix's last range, then p, p + 2, ... */
	for (i = 0; i < n; i++)
		pages[i] = p + 2 * ((i + 1) % 2);
	f = fault_start(test);

	for (preload = 0; preload < 2; preload++) {
		fault_arm(f, -1);
		ref_reset(ref);
		for (i = 0; i < cw - 2; i++)
			add_ok(test, phyr, ref, NULL, 0, frag_phys(i),
			       PAGE_SIZE);
		add_ok(test, phyr, ref, NULL, 0, page_to_phys(p + 1),
		       PAGE_SIZE);
		/* two blocks: the first new chunks come from there */
		if (preload)
			KUNIT_ASSERT_EQ(test, phyr_preload(phyr, 10, GFP_KERNEL),
					0);
		k = append_pages_until_ok(test, f, phyr, ref, pages, n);
		/* three chunks and a root node, two of them preloaded */
		KUNIT_EXPECT_EQ(test, k, preload ? 2 : 4);
		for (i = 0; i < n; i++)
			ref_add(test, ref, NULL, 0, page_to_phys(pages[i]),
				PAGE_SIZE);
		expect_ref(test, phyr, ref);
		phyr_destroy(phyr);
	}
	KUNIT_EXPECT_EQ(test, f->allocs, f->frees);

	/* a P2P page late in the array */
	fault_arm(f, -1);
	ref_reset(ref);
	for (i = 0; i < cw - 2; i++)
		add_ok(test, phyr, ref, NULL, 0, frag_phys(i), PAGE_SIZE);
	add_ok(test, phyr, ref, NULL, 0, page_to_phys(p + 1), PAGE_SIZE);
	bytes = phyr_metadata_bytes(phyr);
	fake = fake_p2p_page(test);
	if (fake) {
		other = pages[n - 2];
		pages[n - 2] = fake;
		KUNIT_EXPECT_EQ(test, phyr_append_pages(phyr, pages, n, 0,
							n * PAGE_SIZE),
				-EINVAL);
		KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr), bytes);
		expect_ref(test, phyr, ref);
		folios[0] = page_folio(p + 2);
		folios[1] = page_folio(fake);
		KUNIT_EXPECT_EQ(test, phyr_append_folios(phyr, folios, 2),
				-EINVAL);
		expect_ref(test, phyr, ref);
		pages[n - 2] = other;
	}

	/* the length overflows at the last of n folios */
	phyr_destroy(phyr);
	ref_reset(ref);
	for (i = 0; i < 3; i++)
		add_ok(test, phyr, ref, NULL, 0, 0, PHYR_RANGE_MAX);
	add_ok(test, phyr, ref, NULL, 0, PAGE_SIZE,
	       U64_MAX - 3 * PHYR_RANGE_MAX - n * PAGE_SIZE + 1);
	nr_ref = ref->nr;
	bytes = phyr_metadata_bytes(phyr);
	for (i = 0; i < n; i++)
		folios[i] = page_folio(pages[i]);
	KUNIT_EXPECT_EQ(test, phyr_append_folios(phyr, folios, n),
			-EOVERFLOW);
	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), nr_ref);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr), bytes);
	expect_ref(test, phyr, ref);
	KUNIT_EXPECT_EQ(test, phyr_append_folios(phyr, folios, n - 1), 0);
	KUNIT_EXPECT_EQ(test, phyr_len(phyr), U64_MAX - PAGE_SIZE + 1);
}

/* ---- allocation failures ------------------------------------------------ */

#define SCENARIO_PAGES	64
#define SCENARIO_VECS	40

/* Operations of every kind; stops at the first error. */
static int scenario(struct kunit *test, struct phyr *phyr, struct ref *ref,
		    struct page *p, struct page **pages, struct phys_vec *vecs)
{
	unsigned long i;
	int ret;

	for (i = 0; i < 6; i++) {
		ret = add(test, phyr, ref, NULL, 0, frag_phys(i), PAGE_SIZE);
		if (ret)
			return ret;
	}
	ret = add(test, phyr, ref, &prov_a, 0, SZ_1G, 100);
	if (ret)
		return ret;
	for (i = 0; i < 600; i++) {
		ret = add(test, phyr, ref, i % 5 ? NULL : &prov_b, 0,
			  frag_phys(i) + i % 3, PAGE_SIZE);
		if (ret)
			return ret;
	}
	/* a short range that grows into a long one */
	ret = add(test, phyr, ref, NULL, 0, SZ_4G, SHORT_MAX);
	if (ret)
		return ret;
	ret = add(test, phyr, ref, NULL, 0, SZ_4G + SHORT_MAX, 1);
	if (ret)
		return ret;

	ret = phyr_preload(phyr, 300, GFP_KERNEL);
	if (ret)
		return ret;
	for (i = 0; i < 300; i++) {
		ret = add(test, phyr, ref, NULL, 0, frag_phys(i), PAGE_SIZE);
		if (ret)
			return ret;
	}

	for (i = 0; i < SCENARIO_PAGES; i++)
		pages[i] = p + (i % 2) * 2;
	ret = phyr_append_pages(phyr, pages, SCENARIO_PAGES, 0,
				SCENARIO_PAGES * PAGE_SIZE);
	if (ret)
		return ret;
	for (i = 0; i < SCENARIO_PAGES; i++)
		ref_add(test, ref, NULL, 0, page_to_phys(pages[i]), PAGE_SIZE);

	for (i = 0; i < SCENARIO_VECS; i++) {
		vecs[i].paddr = frag_phys(i) + 8;
		vecs[i].len = 8;
	}
	ret = phyr_append_phys_vec(phyr, &prov_b, vecs, SCENARIO_VECS, 0);
	if (ret)
		return ret;
	for (i = 0; i < SCENARIO_VECS; i++)
		ref_add(test, ref, &prov_b, 0, vecs[i].paddr, vecs[i].len);
	return 0;
}

static void phyr_test_fail_every_alloc(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct ref *ref = new_ref(test, 2000);
	struct page *p = new_pages(test, 2);
	struct page **pages = new_array(test, SCENARIO_PAGES, sizeof(*pages));
	struct phys_vec *vecs = new_array(test, SCENARIO_VECS, sizeof(*vecs));
	struct fault *f = fault_start(test);
	long n;
	int ret;

	for (n = 0; ; n++) {
		fault_arm(f, n);
		ref_reset(ref);
		ret = scenario(test, phyr, ref, p, pages, vecs);
		/* the list holds what succeeded before the failure */
		expect_ref(test, phyr, ref);
		phyr_destroy(phyr);
		KUNIT_ASSERT_EQ(test, f->allocs, f->frees);
		if (!ret)
			break;
		KUNIT_ASSERT_EQ(test, ret, -ENOMEM);
		KUNIT_ASSERT_EQ(test, f->failed, 1);
	}
	KUNIT_EXPECT_EQ(test, f->failed, 0);
	kunit_info(test, "failed each of %ld allocations\n", n);
	KUNIT_EXPECT_GE(test, n, 8);
}

static void phyr_test_fail_unfold(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct ref *ref = new_ref(test, 8);
	struct fault *f = fault_start(test);

	add_ok(test, phyr, ref, NULL, 0, PAGE_SIZE, 1);
	add_ok(test, phyr, ref, NULL, 0, 3 * PAGE_SIZE, 1);
	f->fail_all = true;
	/* neither a long range nor a marker fits inline any more */
	KUNIT_EXPECT_EQ(test, add(test, phyr, ref, NULL, 0, 0, 1), -ENOMEM);
	KUNIT_EXPECT_EQ(test, add(test, phyr, ref, &prov_a, 0, 0, PAGE_SIZE),
			-ENOMEM);
	KUNIT_EXPECT_EQ(test, phyr_preload(phyr, 1, GFP_KERNEL), -ENOMEM);
	/* growing the last range in place needs nothing */
	add_ok(test, phyr, ref, NULL, 0, 3 * PAGE_SIZE + 1, 2);
	expect_ref(test, phyr, ref);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr), sizeof(*phyr));
	KUNIT_EXPECT_EQ(test, f->allocs, 0);
}

static void phyr_test_fail_root_split(struct kunit *test)
{
	unsigned long cw = chunk_words(test);
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct fault *f = fault_start(test);
	unsigned long held;
	size_t bytes;
	long k;

	/* 127 full chunks: the next one needs a chunk, a leaf and a root */
	add_frag(test, phyr, NODE_SLOTS * cw);
	bytes = phyr_metadata_bytes(phyr);
	held = f->allocs - f->frees;
	KUNIT_EXPECT_EQ(test, held, NODE_SLOTS + 1);
	KUNIT_EXPECT_EQ(test, bytes, sizeof(*phyr) +
			(NODE_SLOTS + 1) * PHYR_BLOCK_SIZE);
	for (k = 0; k < 3; k++) {
		fault_arm(f, k);
		KUNIT_EXPECT_EQ(test, phyr_append(phyr, 0, PAGE_SIZE, 0),
				-ENOMEM);
		KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr), bytes);
		KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), NODE_SLOTS * cw);
		KUNIT_EXPECT_EQ(test, f->allocs - f->frees, held);
	}
	fault_arm(f, 3);
	KUNIT_EXPECT_EQ(test, phyr_append(phyr, 0, PAGE_SIZE, 0), 0);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr),
			bytes + 3 * PHYR_BLOCK_SIZE);
	expect_frag_window(test, phyr, 0, phyr_len(phyr) - PAGE_SIZE);
	expect_frag_window(test, phyr, (u64)NODE_SLOTS * cw * PAGE_SIZE - 1, 1);
	phyr_destroy(phyr);
	KUNIT_EXPECT_EQ(test, f->allocs, f->frees);
}

#define BUILD_N		700

struct build_input {
	struct phyr *src;
	struct phys_vec *vecs;
	struct page **pages;
	struct folio **folios;
	struct sg_table sgt;
};

static int build(struct phyr *phyr, struct build_input *in, unsigned int what)
{
	switch (what) {
	case 0:
		return phyr_append_phys_vec(phyr, NULL, in->vecs, BUILD_N, 0);
	case 1:
		return phyr_append_pages(phyr, in->pages, BUILD_N, 0,
					 BUILD_N * PAGE_SIZE);
	case 2:
		return phyr_append_folios(phyr, in->folios, BUILD_N);
	case 3:
		return phyr_append_sgtable(phyr, &in->sgt);
	default:
		return phyr_append_slice(phyr, in->src, 1,
					 phyr_len(in->src) - 1);
	}
}

static void phyr_test_fail_builders(struct kunit *test)
{
	struct build_input *in = kunit_kzalloc(test, sizeof(*in), GFP_KERNEL);
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct ref *ref = new_ref(test, 1000);
	struct page *p = new_pages(test, 2);
	unsigned long want[5];
	struct scatterlist *sg;
	unsigned int i, what;
	struct fault *f;
	size_t bytes;
	long n;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, in);
	in->src = new_phyr(test, GFP_KERNEL);
	in->vecs = new_array(test, BUILD_N, sizeof(*in->vecs));
	in->pages = new_array(test, BUILD_N, sizeof(*in->pages));
	in->folios = new_array(test, BUILD_N, sizeof(*in->folios));
	KUNIT_ASSERT_EQ(test, sg_alloc_table(&in->sgt, BUILD_N, GFP_KERNEL),
			0);
	KUNIT_ASSERT_EQ(test, defer(test, sg_free_table_action, &in->sgt), 0);
	f = fault_start(test);

	add_mixed(test, in->src, ref, BUILD_N, 4);
	for (what = 0; what < 4; what++)
		want[what] = 3 + BUILD_N;
	want[4] = 3 + ref->nr;
	for (i = 0; i < BUILD_N; i++) {
		in->vecs[i].paddr = frag_phys(i);
		in->vecs[i].len = PAGE_SIZE;
		in->pages[i] = p + (i % 2) * 2;
		in->folios[i] = page_folio(in->pages[i]);
	}
	for_each_sgtable_sg(&in->sgt, sg, i)
		sg_set_page(sg, in->pages[i], PAGE_SIZE, 0);

	for (what = 0; what < ARRAY_SIZE(want); what++) {
		add_frag(test, phyr, 3);
		bytes = phyr_metadata_bytes(phyr);
		for (n = 0; ; n++) {
			fault_arm(f, n);
			ret = build(phyr, in, what);
			if (!ret)
				break;
			KUNIT_ASSERT_EQ(test, ret, -ENOMEM);
			/* all or nothing */
			KUNIT_ASSERT_EQ(test, phyr_nr_ranges(phyr), 3);
			KUNIT_ASSERT_EQ(test, phyr_metadata_bytes(phyr), bytes);
			expect_frag_window(test, phyr, 0, phyr_len(phyr));
		}
		KUNIT_EXPECT_GE(test, n, 2);
		KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), want[what]);
		phyr_destroy(phyr);
	}
	phyr_destroy(in->src);
	KUNIT_EXPECT_EQ(test, f->allocs, f->frees);
}

/*
 * Preload for @budget ranges, then append with every allocation failing:
 * all appends within the budget must succeed.
 */
static void preload_and_fill(struct kunit *test, struct phyr *phyr,
			     struct ref *ref, struct fault *f,
			     unsigned long budget, unsigned int pattern)
{
	struct p2pdma_provider *provider = NULL;
	phys_addr_t next = SZ_1G;
	unsigned long i = 0;
	struct rnd_state rnd;
	u32 r;

	KUNIT_ASSERT_EQ(test, phyr_preload(phyr, budget, GFP_KERNEL), 0);
	f->fail_all = true;
	prandom_seed_state(&rnd, pattern);
	while (budget >= 2) {
		r = prandom_u32_state(&rnd);
		switch (pattern) {
		case 0:	/* fragmented pages */
			add_ok(test, phyr, ref, NULL, 0, frag_phys(i++),
			       PAGE_SIZE);
			budget--;
			break;
		case 1:	/* byte-granular */
			add_ok(test, phyr, ref, NULL, 0, frag_phys(i++) + 1, 3);
			budget--;
			break;
		case 2:	/* 4 GiB short ranges grown into long ones */
			next += SZ_1G;
			add_ok(test, phyr, ref, NULL, 0, next, SHORT_MAX);
			next += SHORT_MAX;
			add_ok(test, phyr, ref, NULL, 0, next, PAGE_SIZE);
			next += PAGE_SIZE;
			budget--;
			break;
		case 3:	/* a change of type with every range */
			provider = provider ? NULL : &prov_a;
			add_ok(test, phyr, ref, provider, 0, frag_phys(i++) + 1,
			       3);
			budget -= 2;
			break;
		default: /* a mix */
			if (r % 4 == 0) {
				provider = r & 16 ? &prov_b : NULL;
				budget--;
			}
			next += r % 3 ? PAGE_SIZE : 0;
			add_ok(test, phyr, ref, provider, 0, next,
			       r % 5 ? PAGE_SIZE : SHORT_MAX);
			next += r % 5 ? PAGE_SIZE : SHORT_MAX;
			budget--;
			break;
		}
	}
	f->fail_all = false;
	expect_ref(test, phyr, ref);
}

static void phyr_test_preload(struct kunit *test)
{
	unsigned long cw = chunk_words(test);
	struct phyr *phyr = new_phyr(test, GFP_NOWAIT);
	struct ref *ref = new_ref(test, 8 * cw);
	struct fault *f = fault_start(test);
	unsigned int pattern;
	unsigned long budget;

	for (pattern = 0; pattern < 5; pattern++) {
		for (budget = 2; budget < 3 * cw; budget = budget * 3 + 1) {
			/* from empty, from inline and from chunked */
			ref_reset(ref);
			preload_and_fill(test, phyr, ref, f, budget, pattern);
			preload_and_fill(test, phyr, ref, f, budget, pattern);
			phyr_destroy(phyr);
			ref_reset(ref);
			add_ok(test, phyr, ref, NULL, 0, 0, 1);
			preload_and_fill(test, phyr, ref, f, budget, pattern);
			phyr_destroy(phyr);
		}
	}
	KUNIT_EXPECT_EQ(test, f->allocs, f->frees);
}

/*
 * phyr_preload(1) after two short entries inline, then an append that
 * coalesces into the last range and grows it from a short entry into a long
 * one (it adds no range), then one range more: the preload covers both, so
 * neither may allocate.
 */
static void phyr_test_preload_grow_inline(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_NOWAIT);
	struct ref *ref = new_ref(test, 8);
	struct fault *f = fault_start(test);

	add_ok(test, phyr, ref, NULL, 0, PAGE_SIZE, PAGE_SIZE);
	add_ok(test, phyr, ref, NULL, 0, 3 * PAGE_SIZE, PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, phyr_nr_words(phyr), 2);
	KUNIT_ASSERT_EQ(test, phyr_preload(phyr, 1, GFP_KERNEL), 0);
	f->fail_all = true;
	add_ok(test, phyr, ref, NULL, 0, 4 * PAGE_SIZE, 1);
	KUNIT_EXPECT_EQ(test, phyr_nr_ranges(phyr), 2);
	add_ok(test, phyr, ref, NULL, 0, 8 * PAGE_SIZE + 1, 3);
	f->fail_all = false;
	expect_ref(test, phyr, ref);
	phyr_destroy(phyr);
	KUNIT_EXPECT_EQ(test, f->allocs, f->frees);
}

/* Fake RAM that no test touches, far from the pages of new_pages(). */
#define GROW_BASE	SZ_64G

/* Append [@phys, @phys + @len) with phyr_append(), or as a page of @pages. */
static void grow_add(struct kunit *test, struct phyr *phyr, struct ref *ref,
		     bool pages, struct page *page, struct p2pdma_provider *provider,
		     phys_addr_t phys, u64 len)
{
	if (!pages || provider) {
		add_ok(test, phyr, ref, provider, 0, phys, len);
		return;
	}
	KUNIT_ASSERT_EQ(test, page_to_phys(page), phys & PAGE_MASK);
	KUNIT_ASSERT_EQ(test, phyr_append_pages(phyr, &page, 1, phys & ~PAGE_MASK, len), 0);
	ref_add(test, ref, NULL, 0, phys, len);
}

/*
 * After @n short ranges (the last in page p), phyr_preload(@nr) and then,
 * with every allocation failing: p + 1 grows the last range into a long
 * one, then long ranges use up the budget, or with @marker changes of type
 * (MMIO, RAM, ...), counting two each.  Through phyr_append(), or where
 * @pages through the one-pass phyr_append_pages() for RAM.
 */
static void preload_grow(struct kunit *test, struct phyr *phyr, struct ref *ref,
			 struct fault *f, struct page *p, unsigned long n,
			 unsigned int nr, bool pages, bool marker)
{
	phys_addr_t last = page_to_phys(p);
	struct p2pdma_provider *provider = NULL;
	unsigned long i;

	ref_reset(ref);
	for (i = 0; i + 1 < n; i++)
		add_ok(test, phyr, ref, NULL, 0, GROW_BASE + 2 * i * PAGE_SIZE,
		       PAGE_SIZE);
	add_ok(test, phyr, ref, NULL, 0, last, PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, phyr_nr_words(phyr), n);

	KUNIT_ASSERT_EQ(test, phyr_preload(phyr, nr, GFP_KERNEL), 0);
	f->fail_all = true;
	grow_add(test, phyr, ref, pages, p + 1, NULL, last + PAGE_SIZE, 100);
	for (i = 0; i < (marker ? nr / 2 : nr); i++) {
		if (marker)
			provider = provider ? NULL : &prov_a;
		grow_add(test, phyr, ref, pages, p + 3, provider,
			 page_to_phys(p + 3) + 1, 3);
	}
	f->fail_all = false;
	expect_ref(test, phyr, ref);
	phyr_destroy(phyr);
}

/*
 * The same wherever the tail stands: inline, just before, at and just after
 * the end of the first and of the second chunk.
 */
static void phyr_test_preload_grow(struct kunit *test)
{
	unsigned long cw = chunk_words(test);
	const unsigned long prefix[] = {
		1, 2, 3, 4, cw - 3, cw - 2, cw - 1, cw, cw + 1, 2 * cw - 1, 2 * cw,
	};
	struct phyr *phyr = new_phyr(test, GFP_NOWAIT);
	struct ref *ref = new_ref(test, 2 * cw + 8);
	struct fault *f = fault_start(test);
	struct page *p = new_pages(test, 2);
	unsigned int n, nr, pages;

	for (n = 0; n < ARRAY_SIZE(prefix); n++) {
		for (nr = 1; nr <= 4; nr++) {
			for (pages = 0; pages < 2; pages++) {
				preload_grow(test, phyr, ref, f, p, prefix[n], nr,
					     pages, false);
				if (nr >= 2)
					preload_grow(test, phyr, ref, f, p, prefix[n],
						     nr, pages, true);
			}
		}
	}
	KUNIT_EXPECT_EQ(test, f->allocs, f->frees);
}

static DEFINE_SPINLOCK(phyr_test_lock);

static void phyr_test_preload_atomic(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_ATOMIC);
	struct ref *ref = new_ref(test, 3000);
	unsigned long i;

	KUNIT_ASSERT_EQ(test, phyr_preload(phyr, 2000, GFP_KERNEL), 0);
	spin_lock(&phyr_test_lock);
	for (i = 0; i < 2000; i++)
		if (add(test, phyr, ref, NULL, 0, frag_phys(i), PAGE_SIZE))
			break;
	spin_unlock(&phyr_test_lock);
	KUNIT_EXPECT_EQ(test, i, 2000);
	expect_ref(test, phyr, ref);

	/* GFP_ATOMIC appends allocate without sleeping */
	spin_lock(&phyr_test_lock);
	for (i = 2000; i < 3000; i++)
		if (add(test, phyr, ref, NULL, 0, frag_phys(i), PAGE_SIZE))
			break;
	spin_unlock(&phyr_test_lock);
	KUNIT_EXPECT_EQ(test, i, 3000);
	expect_ref(test, phyr, ref);
}

static void phyr_test_preload_fail(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct fault *f = fault_start(test);
	unsigned long held;
	size_t bytes;
	long n;

	/* from inline and from chunked: all or nothing */
	add_frag(test, phyr, 2);
	for (n = 0; n < 2; n++) {
		bytes = phyr_metadata_bytes(phyr);
		held = f->allocs - f->frees;
		fault_arm(f, 3);
		KUNIT_EXPECT_EQ(test, phyr_preload(phyr, 2000, GFP_KERNEL),
				-ENOMEM);
		KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr), bytes);
		KUNIT_EXPECT_EQ(test, f->allocs - f->frees, held);
		add_frag(test, phyr, 500);
	}
	expect_frag_window(test, phyr, 0, phyr_len(phyr));

	/* a preload that fits changes nothing */
	bytes = phyr_metadata_bytes(phyr);
	fault_arm(f, 0);
	KUNIT_EXPECT_EQ(test, phyr_preload(phyr, 0, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr), bytes);
}

/*
 * Bytes the first chunk of a phyr whose entries live in its only chunk may
 * take, by the documented layout: %PHYR_CHUNK_MIN_SIZE, doubled until the
 * entries fit, at most a block.  @words is what the entries take.
 */
static void expect_first_chunk(struct kunit *test, const struct phyr *phyr,
			       unsigned long words)
{
	size_t chunk = phyr_metadata_bytes(phyr) - sizeof(*phyr);

	KUNIT_EXPECT_TRUE(test, is_power_of_2(chunk));
	KUNIT_EXPECT_GE(test, chunk, PHYR_CHUNK_MIN_SIZE);
	KUNIT_EXPECT_LE(test, chunk, PHYR_BLOCK_SIZE);
	KUNIT_EXPECT_GT(test, chunk, words * sizeof(u64));
	/* no more than twice what the entries and a header need */
	if (chunk > PHYR_CHUNK_MIN_SIZE)
		KUNIT_EXPECT_LE(test, chunk, 2 * (words * sizeof(u64) + 64));
}

/*
 * Short lists cost what their entries take: the first chunk grows in steps
 * (one range at a time, in one fill of pages, and preloaded), and five
 * ranges, the folio shape, stay under 200 bytes.
 */
static void phyr_test_metadata_small(struct kunit *test)
{
	unsigned long cw = chunk_words(test), n, i;
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct phyr *fill = new_phyr(test, GFP_KERNEL);
	struct page **pages = new_array(test, cw + 1, sizeof(*pages));
	struct page *p = new_pages(test, 2);
	struct ref *ref = new_ref(test, cw + 1);
	struct fault *f = fault_start(test);

	for (i = 0; i <= cw; i++)
		pages[i] = p + 2 * (i % 2);

	for (n = 1; n <= cw; n++) {
		add_ok(test, phyr, ref, NULL, 0, frag_phys(n - 1), PAGE_SIZE);
		if (n <= PHYR_INLINE_WORDS)
			KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr),
					sizeof(*phyr));
		else
			expect_first_chunk(test, phyr, n);
		if (n == PHYR_INLINE_WORDS + 1) {
			KUNIT_EXPECT_LE(test, phyr_metadata_bytes(phyr), 200);
			KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr),
					sizeof(*phyr) + PHYR_CHUNK_MIN_SIZE);
		}
	}
	/* a full first chunk is one block; the next range starts a second */
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr),
			sizeof(*phyr) + PHYR_BLOCK_SIZE);
	expect_ref(test, phyr, ref);
	add_ok(test, phyr, ref, NULL, 0, frag_phys(cw), PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr),
			sizeof(*phyr) + 3 * PHYR_BLOCK_SIZE);
	expect_ref(test, phyr, ref);
	phyr_destroy(phyr);

	/* one fill of n pages takes what n appends take */
	for (n = PHYR_INLINE_WORDS + 1; n <= cw + 1; n += n < 40 ? 1 : 37) {
		for (i = 0; i < n; i++)
			add_ok(test, phyr, NULL, NULL, 0,
			       page_to_phys(pages[i]), PAGE_SIZE);
		KUNIT_ASSERT_EQ(test, phyr_append_pages(fill, pages, n, 0,
							n * PAGE_SIZE), 0);
		KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(fill),
				phyr_metadata_bytes(phyr));
		KUNIT_EXPECT_EQ(test, phyr_nr_words(fill), n);
		expect_pages(test, fill, pages, n);
		/* and a fill onto a short list grows it the same way */
		phyr_destroy(fill);
		if (n > 7) {
			KUNIT_ASSERT_EQ(test,
					phyr_append_pages(fill, pages, 7, 0,
							  7 * PAGE_SIZE), 0);
			KUNIT_ASSERT_EQ(test,
					phyr_append_pages(fill, pages + 7,
							  n - 7, 0,
							  (n - 7) * PAGE_SIZE),
					0);
			KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(fill),
					phyr_metadata_bytes(phyr));
			expect_pages(test, fill, pages, n);
		}
		phyr_destroy(fill);
		phyr_destroy(phyr);
	}

	/* a preload for a few ranges takes a small first chunk, exactly */
	KUNIT_ASSERT_EQ(test, phyr_preload(phyr, 5, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr),
			sizeof(*phyr) + PHYR_CHUNK_MIN_SIZE);
	f->fail_all = true;
	ref_reset(ref);
	for (i = 0; i < 5; i++)
		add_ok(test, phyr, ref, NULL, 0, frag_phys(i), PAGE_SIZE);
	/* and from a small first chunk, one that holds what is announced */
	f->fail_all = false;
	KUNIT_ASSERT_EQ(test, phyr_preload(phyr, 60, GFP_KERNEL), 0);
	expect_first_chunk(test, phyr, 5 + 120);
	f->fail_all = true;
	for (i = 5; i < 65; i++)
		add_ok(test, phyr, ref, NULL, 0, frag_phys(i), PAGE_SIZE);
	/* past a block: a whole first chunk and spare blocks */
	f->fail_all = false;
	KUNIT_ASSERT_EQ(test, phyr_preload(phyr, cw, GFP_KERNEL), 0);
	KUNIT_EXPECT_GE(test, phyr_metadata_bytes(phyr),
			sizeof(*phyr) + 3 * PHYR_BLOCK_SIZE);
	f->fail_all = true;
	for (i = 65; i < cw + 1; i++)
		add_ok(test, phyr, ref, NULL, 0, frag_phys(i), PAGE_SIZE);
	expect_ref(test, phyr, ref);
	f->fail_all = false;
	phyr_destroy(phyr);
	KUNIT_EXPECT_EQ(test, f->allocs, f->frees);
}

/*
 * Growing the first chunk needs a new block: when that allocation fails,
 * the append fails and changes nothing, one range at a time and in fills
 * from inline, from a small first chunk and from a first range that the
 * fill grows.
 */
static void phyr_test_fail_grow(struct kunit *test)
{
	unsigned long cw = chunk_words(test), n, i, grows = 0;
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct page **pages = new_array(test, cw + 2, sizeof(*pages));
	struct page *p = new_pages(test, 2);
	struct ref *ref = new_ref(test, 2 * cw + 8);
	struct fault *f = fault_start(test);
	size_t bytes;
	long k;
	int ret;

	/* each growth fails once (add() checks nothing changed), then works */
	for (i = 0; i <= cw; i++) {
		bytes = phyr_metadata_bytes(phyr);
		f->fail_all = true;
		ret = add(test, phyr, ref, NULL, 0, frag_phys(i), PAGE_SIZE);
		f->fail_all = false;
		if (!ret) {
			KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr), bytes);
			continue;
		}
		KUNIT_ASSERT_EQ(test, ret, -ENOMEM);
		grows++;
		add_ok(test, phyr, ref, NULL, 0, frag_phys(i), PAGE_SIZE);
		KUNIT_EXPECT_GT(test, phyr_metadata_bytes(phyr), bytes);
	}
	/* from the smallest chunk to a block in doublings, then a second chunk */
	KUNIT_EXPECT_EQ(test, grows,
			ilog2(PHYR_BLOCK_SIZE / PHYR_CHUNK_MIN_SIZE) + 2);
	expect_ref(test, phyr, ref);
	phyr_destroy(phyr);
	KUNIT_EXPECT_EQ(test, f->allocs, f->frees);

	/* p, p + 2, p, ...: no two neighbours are contiguous */
	for (i = 0; i < cw + 2; i++)
		pages[i] = p + 2 * (i % 2);
	for (n = 0; n < 3; n++) {
		fault_arm(f, -1);
		ref_reset(ref);
		/* n = 1: a small first chunk; n = 2: the fill grows its range */
		if (n == 1)
			for (i = 0; i < 6; i++)
				add_ok(test, phyr, ref, NULL, 0,
				       page_to_phys(pages[i]), PAGE_SIZE);
		if (n == 2)
			add_ok(test, phyr, ref, NULL, 0,
			       page_to_phys(pages[1]) - PAGE_SIZE, PAGE_SIZE);
		k = append_pages_until_ok(test, f, phyr, ref, pages + 1, cw + 1);
		/* each doubling up to a block, a second chunk, the root */
		KUNIT_EXPECT_GE(test, k, 4);
		for (i = 1; i < cw + 2; i++)
			ref_add(test, ref, NULL, 0, page_to_phys(pages[i]),
				PAGE_SIZE);
		expect_ref(test, phyr, ref);
		phyr_destroy(phyr);
		KUNIT_EXPECT_EQ(test, f->allocs, f->frees);
	}
}

static void phyr_test_trim(struct kunit *test)
{
	struct phyr *phyr = new_phyr(test, GFP_KERNEL);
	struct fault *f = fault_start(test);
	size_t bytes;

	add_frag(test, phyr, 300);
	bytes = phyr_metadata_bytes(phyr);
	KUNIT_ASSERT_EQ(test, phyr_preload(phyr, 5000, GFP_KERNEL), 0);
	/* room for 5000 long ranges */
	KUNIT_EXPECT_GT(test, phyr_metadata_bytes(phyr),
			bytes + 5000 * 2 * sizeof(u64));
	phyr_trim(phyr);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr), bytes);
	KUNIT_EXPECT_EQ(test, f->allocs - f->frees,
			(bytes - sizeof(*phyr)) / PHYR_BLOCK_SIZE);
	expect_frag_window(test, phyr, 0, phyr_len(phyr));
	phyr_destroy(phyr);
	KUNIT_EXPECT_EQ(test, f->allocs, f->frees);
	KUNIT_EXPECT_EQ(test, phyr_metadata_bytes(phyr), sizeof(*phyr));
}

static struct kunit_case phyr_encoding_cases[] = {
	KUNIT_CASE(phyr_test_empty),
	KUNIT_CASE(phyr_test_short_page),
	KUNIT_CASE(phyr_test_short_max),
	KUNIT_CASE(phyr_test_first_long),
	KUNIT_CASE(phyr_test_huge),
	KUNIT_CASE(phyr_test_byte_granular),
	KUNIT_CASE(phyr_test_pfn_limit),
	KUNIT_CASE(phyr_test_bad_input),
	KUNIT_CASE(phyr_test_range_max),
	KUNIT_CASE(phyr_test_type_marker),
	KUNIT_CASE(phyr_test_inline),
	{}
};

static struct kunit_suite phyr_encoding_suite = {
	.name = "phyr_encoding",
	.test_cases = phyr_encoding_cases,
};

static struct kunit_case phyr_coalesce_cases[] = {
	KUNIT_CASE(phyr_test_merge_contiguous),
	KUNIT_CASE(phyr_test_merge_gap),
	KUNIT_CASE(phyr_test_merge_attrs),
	KUNIT_CASE(phyr_test_merge_type),
	KUNIT_CASE(phyr_test_merge_provider),
	KUNIT_CASE(phyr_test_merge_reencode),
	KUNIT_CASE(phyr_test_merge_chunk_end),
	KUNIT_CASE(phyr_test_merge_after_marker),
	{}
};

static struct kunit_suite phyr_coalesce_suite = {
	.name = "phyr_coalesce",
	.test_cases = phyr_coalesce_cases,
};

static struct kunit_case phyr_cursor_cases[] = {
	KUNIT_CASE(phyr_test_cursor_walk),
	KUNIT_CASE(phyr_test_cursor_vecs),
	KUNIT_CASE(phyr_test_cursor_vecs_pages),
	KUNIT_CASE(phyr_test_page_aligned),
	KUNIT_CASE(phyr_test_seek_ranges),
	KUNIT_CASE(phyr_test_seek_inline),
	KUNIT_CASE(phyr_test_seek_chunks),
	KUNIT_CASE(phyr_test_seek_errors),
	KUNIT_CASE(phyr_test_slice),
	KUNIT_CASE(phyr_test_slice_merge),
	KUNIT_CASE(phyr_test_page_cursor),
	{}
};

static struct kunit_suite phyr_cursor_suite = {
	.name = "phyr_cursor",
	.test_cases = phyr_cursor_cases,
};

static struct kunit_case phyr_builder_cases[] = {
	KUNIT_CASE(phyr_test_build_pages),
	KUNIT_CASE(phyr_test_build_pages_offset),
	KUNIT_CASE(phyr_test_build_folios),
	KUNIT_CASE(phyr_test_build_phys_vec),
	KUNIT_CASE(phyr_test_build_sgtable),
	KUNIT_CASE(phyr_test_fill_same),
	KUNIT_CASE(phyr_test_fill_chunk_exact),
	KUNIT_CASE(phyr_test_fill_coalesce_chunk),
	KUNIT_CASE(phyr_test_fill_fail),
	{}
};

static struct kunit_suite phyr_builder_suite = {
	.name = "phyr_builder",
	.test_cases = phyr_builder_cases,
};

static struct kunit_case phyr_memory_cases[] = {
	KUNIT_CASE(phyr_test_metadata_fragmented),
	KUNIT_CASE(phyr_test_metadata_1g),
	KUNIT_CASE(phyr_test_metadata_long),
	KUNIT_CASE(phyr_test_fail_every_alloc),
	KUNIT_CASE(phyr_test_fail_unfold),
	KUNIT_CASE(phyr_test_fail_root_split),
	KUNIT_CASE(phyr_test_fail_builders),
	KUNIT_CASE(phyr_test_preload),
	KUNIT_CASE(phyr_test_preload_grow_inline),
	KUNIT_CASE(phyr_test_preload_grow),
	KUNIT_CASE(phyr_test_preload_atomic),
	KUNIT_CASE(phyr_test_preload_fail),
	KUNIT_CASE(phyr_test_trim),
	KUNIT_CASE(phyr_test_metadata_small),
	KUNIT_CASE(phyr_test_fail_grow),
	{}
};

static struct kunit_suite phyr_memory_suite = {
	.name = "phyr_memory",
	.test_cases = phyr_memory_cases,
};

kunit_test_suites(&phyr_encoding_suite, &phyr_coalesce_suite,
		  &phyr_cursor_suite, &phyr_builder_suite, &phyr_memory_suite);

MODULE_DESCRIPTION("KUnit tests for phyr");
MODULE_LICENSE("GPL");
