// SPDX-License-Identifier: GPL-2.0-only
/*
 * phyr: lists of physical address ranges, the input of DMA mapping
 *
 * Copyright 2026 The phyr developers
 */

/**
 * DOC: phyr encoding
 *
 * A phyr is a sequence of 64-bit words holding entries of one or two words.
 * The two low bits of an entry's first word are its tag:
 *
 * - ``01`` short range, one word: bits 21:2 hold the number of pages minus
 *   one and bits 63:22 the page frame number.  It encodes a page-aligned
 *   range of up to 2^20 pages (4 GiB with 4 KiB pages) whose frame number
 *   fits in 42 bits: a page-granular range costs 8 bytes.
 * - ``10`` long range, two words: bits 63:2 of the first hold the length in
 *   bytes, the second the physical address.  It encodes any other range
 *   exactly: byte-granular ones, longer ones and high addresses.
 * - ``11`` type marker, two words: bit 4 of the first holds the memory type
 *   and bits 15:8 the attributes, the second the provider pointer.  It sets
 *   the memory type, provider and attributes of the ranges that follow it.
 * - ``00`` is never a valid entry.
 *
 * Ranges start out as RAM with no attributes (cached, encrypted), so a phyr
 * of one memory type and attributes carries at most one marker, and mixing
 * types costs a marker per change rather than bytes in every entry.  Each
 * range is encoded in the shortest entry that holds it exactly.  Appending a
 * range that continues the last one (physically contiguous, same type,
 * provider and attributes) grows the last entry instead, re-encoding it in
 * place, so the list always holds maximal ranges.
 *
 * The first %PHYR_INLINE_WORDS words live in &struct phyr itself, so one
 * range of any size costs no allocation: a 1 GiB range costs 64 bytes, the
 * size of &struct phyr.  When they overflow, the words move to the first of
 * a singly linked list of chunks.  An entry never straddles two chunks.  The
 * header of each chunk records the byte offset its first range starts at and
 * the memory type, provider and attributes in force there, so a walk can
 * start at any chunk.
 *
 * Chunks are blocks of %PHYR_BLOCK_SIZE bytes, whole pages from the page
 * allocator, but for the first while it is the only one: that one starts at
 * %PHYR_CHUNK_MIN_SIZE bytes (from the slab) and moves to a block twice its
 * size whenever it is full, up to a whole one, so a short list costs about
 * what its entries take (five ranges: 192 bytes).  Only then does a second
 * chunk start.
 *
 * The chunks are the leaves of an append-only B+tree of index nodes, also
 * %PHYR_BLOCK_SIZE bytes, that map each chunk's starting byte offset to the
 * chunk.  All nodes but the rightmost at each level are full, so the tree
 * shape follows from the number of chunks.  Seeking to a byte offset is a
 * binary search in each node on the way down and a scan of at most one chunk:
 * O(log n).  With 4 KiB pages a full chunk holds 508 entries and a node 255
 * children, so fragmented 4 KiB pages cost about 8.1 bytes each.
 *
 * Appends allocate all the blocks they need before publishing anything (the
 * page and folio builders as they go, see "phyr fill" below), so a failed
 * append leaves the phyr unchanged.  phyr_preload() grows the first chunk
 * and keeps spare blocks so that later appends need no allocation.
 */

#include <linux/bitfield.h>
#include <linux/export.h>
#include <linux/limits.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/phyr.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <kunit/static_stub.h>
#include <kunit/visibility.h>

#include "phyr_internal.h"

#define PHYR_TAG		GENMASK_ULL(1, 0)
#define PHYR_TAG_SHORT		1
#define PHYR_TAG_LONG		2
#define PHYR_TAG_TYPE		3

#define PHYR_SHORT_PAGES	GENMASK_ULL(21, 2)
#define PHYR_SHORT_PFN		GENMASK_ULL(63, 22)
#define PHYR_LONG_LEN		GENMASK_ULL(63, 2)
#define PHYR_TYPE_MEM		BIT_ULL(4)
#define PHYR_TYPE_ATTRS		GENMASK_ULL(15, 8)

#define PHYR_SHORT_MAX_PAGES \
	min_t(u64, FIELD_MAX(PHYR_SHORT_PAGES) + 1, PHYR_RANGE_MAX >> PAGE_SHIFT)

/* nr_inline once the entries live in chunks */
#define PHYR_CHUNKED		U8_MAX

/* unsigned int chunk counts need at most 5 levels of >= 127 children */
#define PHYR_MAX_DEPTH		6

/**
 * struct phyr_chunk - a block of entries
 * @next: The next chunk, %NULL for the last one.
 * @start: Byte offset in the phyr of the first range of the chunk.
 * @provider: Provider in force at the start of the chunk.
 * @used: Words used in @words.
 * @last: Index in @words of the last entry.
 * @cap: Number of words in @words: %PHYR_CHUNK_WORDS but in a first chunk
 *	that is still the only one and smaller than a block.
 * @type: Memory type in force at the start of the chunk.
 * @attrs: Attributes in force at the start of the chunk.
 * @words: The entries.
 */
struct phyr_chunk {
	struct phyr_chunk *next;
	u64 start;
	struct p2pdma_provider *provider;
	u16 used;
	u16 last;
	u16 cap;
	u8 type;
	u8 attrs;
	u64 words[];
};

#define PHYR_CHUNK_WORDS \
	((PHYR_BLOCK_SIZE - sizeof(struct phyr_chunk)) / sizeof(u64))

#define PHYR_NODE_SLOTS \
	((PHYR_BLOCK_SIZE - sizeof(u64)) / (sizeof(u64) + sizeof(void *)))

/**
 * struct phyr_node - an index node
 * @nr: Number of children.
 * @start: Byte offset in the phyr at which each child starts.
 * @slot: The children: chunks in the lowest level, nodes above.
 */
struct phyr_node {
	unsigned int nr;
	u64 start[PHYR_NODE_SLOTS];
	void *slot[PHYR_NODE_SLOTS];
};

/**
 * struct phyr_spare - a preallocated block
 * @next: The next spare block.
 */
struct phyr_spare {
	struct phyr_spare *next;
};

static_assert(sizeof(struct phyr_chunk) % sizeof(u64) == 0);
static_assert(PHYR_CHUNK_WORDS < U16_MAX);
static_assert(sizeof(struct phyr_node) <= PHYR_BLOCK_SIZE);
static_assert(PHYR_BLOCK_SIZE == PAGE_SIZE);
/* the smallest chunk: a power of two that holds the inline words and more */
static_assert(!(PHYR_CHUNK_MIN_SIZE & (PHYR_CHUNK_MIN_SIZE - 1)));
static_assert(PHYR_BLOCK_SIZE > PHYR_CHUNK_MIN_SIZE);
static_assert(sizeof(struct phyr_chunk) + PHYR_INLINE_WORDS * sizeof(u64) <
	      PHYR_CHUNK_MIN_SIZE);
static_assert(PHYR_INLINE_WORDS >= 4);
/* phyr_short() shifts page-aligned values into the fields */
static_assert(PAGE_SHIFT >= 2 && PAGE_SHIFT <= 22);
/* the attributes take the 8 bits of PHYR_TYPE_ATTRS */
static_assert(!(PHYR_ATTR_MASK & ~GENMASK(7, 0)));

/*
 * A block of @size bytes: a whole block is a page, a smaller first chunk
 * comes from the slab.  The fault-injection stubs of the KUnit tests
 * allocate through these too.
 */
VISIBLE_IF_KUNIT void *phyr_block_new(size_t size, gfp_t gfp)
{
	if (size == PHYR_BLOCK_SIZE)
		return (void *)__get_free_page(gfp);
	return kmalloc(size, gfp);
}
EXPORT_SYMBOL_IF_KUNIT(phyr_block_new);

VISIBLE_IF_KUNIT void phyr_block_del(void *block, size_t size)
{
	if (size == PHYR_BLOCK_SIZE)
		free_page((unsigned long)block);
	else
		kfree(block);
}
EXPORT_SYMBOL_IF_KUNIT(phyr_block_del);

/*
 * Every block a phyr allocates or frees goes through these two, which KUnit
 * tests can redirect to inject allocation failures.
 */
VISIBLE_IF_KUNIT void *phyr_alloc_block(size_t size, gfp_t gfp)
{
	KUNIT_STATIC_STUB_REDIRECT(phyr_alloc_block, size, gfp);
	return phyr_block_new(size, gfp);
}
EXPORT_SYMBOL_IF_KUNIT(phyr_alloc_block);

VISIBLE_IF_KUNIT void phyr_free_block(void *block, size_t size)
{
	KUNIT_STATIC_STUB_REDIRECT(phyr_free_block, block, size);
	phyr_block_del(block, size);
}
EXPORT_SYMBOL_IF_KUNIT(phyr_free_block);

/* Bytes of the block of a chunk of @cap words. */
static size_t phyr_chunk_bytes(unsigned int cap)
{
	return sizeof(struct phyr_chunk) + cap * sizeof(u64);
}

/*
 * Words of a first chunk that is to hold @words words and is at least twice
 * @old bytes: a power of two from %PHYR_CHUNK_MIN_SIZE bytes up, at most a
 * whole block.
 */
static unsigned int phyr_first_cap(unsigned long words, size_t old)
{
	size_t size = max_t(size_t, PHYR_CHUNK_MIN_SIZE, 2 * old);

	while (size < PHYR_BLOCK_SIZE && phyr_chunk_bytes(0) +
	       words * sizeof(u64) > size)
		size *= 2;
	size = min_t(size_t, size, PHYR_BLOCK_SIZE);
	return (size - sizeof(struct phyr_chunk)) / sizeof(u64);
}

/* Allocate a chunk block of @cap words. */
static struct phyr_chunk *phyr_alloc_chunk(unsigned int cap, gfp_t gfp)
{
	struct phyr_chunk *chunk = phyr_alloc_block(phyr_chunk_bytes(cap), gfp);

	if (chunk)
		chunk->cap = cap;
	return chunk;
}

static void phyr_free_chunk(struct phyr_chunk *chunk)
{
	phyr_free_block(chunk, phyr_chunk_bytes(chunk->cap));
}

static bool phyr_chunked(const struct phyr *phyr)
{
	return phyr->nr_inline == PHYR_CHUNKED;
}

static unsigned int phyr_entry_words(u64 word)
{
	return FIELD_GET(PHYR_TAG, word) == PHYR_TAG_SHORT ? 1 : 2;
}

/*
 * Whether a range (of at least one byte) fits a short entry: page-aligned,
 * at most %PHYR_SHORT_MAX_PAGES pages, its frame number in PHYR_SHORT_PFN.
 * Inline in the fill's fast path, so in few steps.
 */
static __always_inline bool phyr_fits_short(phys_addr_t phys, u64 len)
{
	return !(((u64)phys | len) & ~PAGE_MASK) &&
	       ((len - 1) >> PAGE_SHIFT) < PHYR_SHORT_MAX_PAGES &&
	       !((u64)phys >> (PAGE_SHIFT + 64 - __bf_shf(PHYR_SHORT_PFN)));
}

/* The short entry of a range that phyr_fits_short() accepts (page-aligned). */
static __always_inline u64 phyr_short(phys_addr_t phys, u64 len)
{
	return FIELD_PREP(PHYR_TAG, PHYR_TAG_SHORT) |
	       ((len - PAGE_SIZE) >> (PAGE_SHIFT - __bf_shf(PHYR_SHORT_PAGES))) |
	       ((u64)phys << (__bf_shf(PHYR_SHORT_PFN) - PAGE_SHIFT));
}

static unsigned int phyr_range_words(phys_addr_t phys, u64 len)
{
	return phyr_fits_short(phys, len) ? 1 : 2;
}

/* Encode the range in the shortest entry; return its number of words. */
static unsigned int phyr_encode(u64 *w, phys_addr_t phys, u64 len)
{
	if (phyr_fits_short(phys, len)) {
		w[0] = phyr_short(phys, len);
		return 1;
	}
	w[0] = FIELD_PREP(PHYR_TAG, PHYR_TAG_LONG) |
	       FIELD_PREP(PHYR_LONG_LEN, len);
	w[1] = phys;
	return 2;
}

/* Decode the range entry at @w; return false if it is a type marker. */
static bool phyr_decode(const u64 *w, phys_addr_t *phys, u64 *len)
{
	switch (FIELD_GET(PHYR_TAG, w[0])) {
	case PHYR_TAG_SHORT:
		*phys = (phys_addr_t)FIELD_GET(PHYR_SHORT_PFN, w[0]) << PAGE_SHIFT;
		*len = (FIELD_GET(PHYR_SHORT_PAGES, w[0]) + 1) << PAGE_SHIFT;
		return true;
	case PHYR_TAG_LONG:
		*phys = w[1];
		*len = FIELD_GET(PHYR_LONG_LEN, w[0]);
		return true;
	default:
		return false;
	}
}

static void phyr_encode_type(u64 *w, enum phyr_mem_type type,
			     struct p2pdma_provider *provider,
			     unsigned int attrs)
{
	w[0] = FIELD_PREP(PHYR_TAG, PHYR_TAG_TYPE) |
	       FIELD_PREP(PHYR_TYPE_MEM, type) |
	       FIELD_PREP(PHYR_TYPE_ATTRS, attrs);
	w[1] = (unsigned long)provider;
}

/* Number of index nodes of a phyr of @nr_chunks chunks. */
static unsigned long phyr_index_nodes(unsigned long nr_chunks)
{
	unsigned long nodes = 0;

	while (nr_chunks > 1) {
		nr_chunks = DIV_ROUND_UP(nr_chunks, PHYR_NODE_SLOTS);
		nodes += nr_chunks;
	}
	return nodes;
}

/* The words of the last chunk (or inline), their use and capacity. */
static u64 *phyr_tail(struct phyr *phyr, unsigned int *used,
		      unsigned int *last, unsigned int *cap)
{
	unsigned int i;

	if (phyr_chunked(phyr)) {
		*used = phyr->tail->used;
		*last = phyr->tail->last;
		*cap = phyr->tail->cap;
		return phyr->tail->words;
	}
	*used = phyr->nr_inline;
	*cap = PHYR_INLINE_WORDS;
	*last = 0;
	for (i = 0; i < *used; i += phyr_entry_words(phyr->words[i]))
		*last = i;
	return phyr->words;
}

static void phyr_free_list(struct phyr_spare *list)
{
	struct phyr_spare *next;

	for (; list; list = next) {
		next = list->next;
		phyr_free_block(list, PHYR_BLOCK_SIZE);
	}
}

/* Allocate @nr blocks onto @list: all of them, or none and -ENOMEM. */
static int phyr_alloc_list(struct phyr_spare **list, unsigned long nr,
			   gfp_t gfp)
{
	struct phyr_spare *new = NULL, *block;

	while (nr--) {
		block = phyr_alloc_block(PHYR_BLOCK_SIZE, gfp);
		if (!block) {
			phyr_free_list(new);
			return -ENOMEM;
		}
		block->next = new;
		new = block;
	}
	*list = new;
	return 0;
}

/* Make the spare list of a chunked phyr at least @nr blocks long. */
static int phyr_reserve(struct phyr *phyr, unsigned long nr, gfp_t gfp)
{
	struct phyr_spare *list, *last;
	unsigned long more;
	int ret;

	if (nr <= phyr->nr_spare)
		return 0;
	more = nr - phyr->nr_spare;
	if (more > UINT_MAX - phyr->nr_spare)
		return -ENOMEM;
	ret = phyr_alloc_list(&list, more, gfp);
	if (ret)
		return ret;
	for (last = list; last->next; last = last->next)
		;
	last->next = phyr->spare;
	phyr->spare = list;
	phyr->nr_spare += more;
	return 0;
}

static void *phyr_take(struct phyr *phyr)
{
	struct phyr_spare *block = phyr->spare;

	phyr->spare = block->next;
	phyr->nr_spare--;
	return block;
}

static void phyr_trim_to(struct phyr *phyr, unsigned int keep)
{
	if (!phyr_chunked(phyr))
		return;
	while (phyr->nr_spare > keep)
		phyr_free_block(phyr_take(phyr), PHYR_BLOCK_SIZE);
}

/* Move the inline words into @chunk, the first chunk. */
static void phyr_unfold(struct phyr *phyr, struct phyr_chunk *chunk)
{
	unsigned int used, last, cap;

	phyr_tail(phyr, &used, &last, &cap);
	chunk->next = NULL;
	chunk->start = 0;
	chunk->provider = NULL;
	chunk->type = PHYR_MEM_RAM;
	chunk->attrs = 0;
	chunk->used = used;
	chunk->last = last;
	memcpy(chunk->words, phyr->words, used * sizeof(u64));

	phyr->root = chunk;
	phyr->tail = chunk;
	phyr->spare = NULL;
	phyr->nr_chunks = 1;
	phyr->nr_spare = 0;
	phyr->depth = 0;
	phyr->nr_inline = PHYR_CHUNKED;
}

/* Whether @phyr has a first chunk that is the only one and can still grow. */
static bool phyr_first_small(const struct phyr *phyr)
{
	return phyr_chunked(phyr) && phyr->nr_chunks == 1 &&
	       phyr->tail->cap < PHYR_CHUNK_WORDS;
}

/*
 * Copy the only chunk of @phyr into @chunk, a larger block, and free it.
 * The words are where they were, so the tail state stays valid.
 */
static void phyr_move_first(struct phyr *phyr, struct phyr_chunk *chunk)
{
	struct phyr_chunk *old = phyr->tail;
	unsigned int cap = chunk->cap;

	memcpy(chunk, old, phyr_chunk_bytes(old->used));
	chunk->cap = cap;
	phyr->root = chunk;
	phyr->tail = chunk;
	phyr_free_chunk(old);
}

/* Blocks needed to add @nr_new chunks to a phyr of @nr_chunks chunks. */
static unsigned long phyr_chunk_blocks(unsigned long nr_chunks,
				       unsigned long nr_new)
{
	return nr_new + phyr_index_nodes(nr_chunks + nr_new) -
	       phyr_index_nodes(nr_chunks);
}

/* Hook @chunk, taken from the spare list, into the list and the index. */
static void phyr_link_chunk(struct phyr *phyr, struct phyr_chunk *chunk)
{
	struct phyr_node *path[PHYR_MAX_DEPTH], *node;
	void *item = chunk;
	unsigned int level;

	phyr->tail->next = chunk;
	phyr->tail = chunk;
	phyr->nr_chunks++;

	/* the rightmost node of each level, from the root down */
	node = phyr->root;
	for (level = phyr->depth; level > 0; level--) {
		path[level - 1] = node;
		node = node->slot[node->nr - 1];
	}

	for (level = 0; level < phyr->depth; level++) {
		node = path[level];
		if (node->nr < PHYR_NODE_SLOTS) {
			node->start[node->nr] = chunk->start;
			node->slot[node->nr++] = item;
			return;
		}
		node = phyr_take(phyr);
		node->nr = 1;
		node->start[0] = chunk->start;
		node->slot[0] = item;
		item = node;
	}

	/* the root is full (or a lone chunk): grow the tree by a level */
	node = phyr_take(phyr);
	node->nr = 2;
	node->start[0] = 0;
	node->slot[0] = phyr->root;
	node->start[1] = chunk->start;
	node->slot[1] = item;
	phyr->root = node;
	phyr->depth++;
}

static int phyr_check(phys_addr_t phys, size_t len, unsigned int attrs)
{
	phys_addr_t end;

	if (!len || attrs & ~PHYR_ATTR_MASK ||
	    (attrs & PHYR_ATTR_CACHE_MASK) > PHYR_ATTR_UNCACHED)
		return -EINVAL;
	if (check_add_overflow(phys, len, &end) || len > PHYR_RANGE_MAX)
		return -EOVERFLOW;
	return 0;
}

static bool phyr_same_state(const struct phyr *phyr, enum phyr_mem_type type,
			    struct p2pdma_provider *provider,
			    unsigned int attrs)
{
	return phyr->type == type && phyr->provider == provider &&
	       phyr->attrs == attrs;
}

/*
 * DOC: phyr fill
 *
 * Every append is a fill: phyr_append() and phyr_append_mmio() of one range,
 * phyr_append_pages() and phyr_append_folios() of RAM in one pass.  A fill
 * coalesces the input into maximal ranges as it goes and writes each range
 * straight into the words of the tail (inline or the last chunk), after a
 * type marker where the memory type, provider or attributes change, growing
 * the first chunk and moving on to new chunks as the words fill up (a chunk
 * starts in the state of its first range, so it needs no marker there).
 * Nothing is published before
 * phyr_fill_commit(): the new chunks are linked into the list and the index
 * only there, once per chunk, and the tail's word count, the length and the
 * range count of the phyr are set once.  The only visible word written
 * before that is the last entry of the tail when the first range grows it;
 * phyr_fill_abort() puts it back and frees the new chunks (or returns them to
 * the spare list they came from), so a failed append leaves the phyr
 * unchanged.  The result is the list that appending the ranges one by one
 * would give.
 */

/* What the inner loop of a fill keeps in registers. */
struct phyr_fill_hot {
	u64 *w;			/* the words being filled */
	unsigned int pos;	/* next free word of @w */
	unsigned int last;	/* index in @w of the last entry */
	unsigned int lim;	/* free words for a short entry, 0 if a marker is due */
	unsigned long nr;	/* ranges written by the fast path */
};

struct phyr_fill {
	struct phyr *phyr;
	struct phyr_fill_hot h;
	struct p2pdma_provider *provider;	/* the state of the ranges */
	enum phyr_mem_type type;
	unsigned int attrs;
	unsigned int cap;		/* words of h.w */
	bool marker;			/* a type marker must precede the next range */
	bool grown;			/* the first range grows the last one */
	bool moved;			/* the old tail is finished: @tail_used */
	bool unaligned;			/* a range is not page-aligned */
	unsigned int tail_used;		/* words of the old tail chunk, when @moved */
	unsigned int tail_last;
	struct phyr_chunk *bigger;	/* the only chunk of the phyr, grown */
	struct phyr_chunk *first;	/* the new chunks, in order */
	struct phyr_chunk *chunk;	/* the new chunk being filled, or NULL */
	unsigned int nr_new;		/* new chunks */
	unsigned int nr_taken;		/* of them taken from the spare list */
	unsigned long nr;		/* ranges written by the slow path */
	unsigned int saved_at;		/* words of the tail restored on failure */
	unsigned int saved_n;
	u64 saved[PHYR_INLINE_WORDS];
};

/*
 * Start a fill of ranges of the given memory type, provider and attributes
 * whose first range is [@phys, @phys + @len): set *@run and *@rlen to the
 * pending range, which is the last range of @phyr grown by the new one if it
 * continues it.
 */
static void phyr_fill_begin(struct phyr_fill *f, struct phyr *phyr,
			    enum phyr_mem_type type,
			    struct p2pdma_provider *provider, unsigned int attrs,
			    phys_addr_t phys, u64 len, phys_addr_t *run,
			    u64 *rlen)
{
	bool same = phyr_same_state(phyr, type, provider, attrs);
	unsigned int used, last, cap;
	phys_addr_t lphys;
	u64 llen, *w;

	w = phyr_tail(phyr, &used, &last, &cap);
	f->phyr = phyr;
	f->provider = provider;
	f->type = type;
	f->attrs = attrs;
	f->h.w = w;
	f->h.pos = used;
	f->h.last = last;
	f->h.lim = same ? cap : 0;
	f->h.nr = 0;
	f->cap = cap;
	f->marker = !same;
	f->grown = false;
	f->moved = false;
	f->unaligned = false;
	f->bigger = NULL;
	f->first = NULL;
	f->chunk = NULL;
	f->nr_new = 0;
	f->nr_taken = 0;
	f->nr = 0;

	/* a failure puts back the inline words, or the last entry of the tail */
	f->saved_at = phyr_chunked(phyr) ? last : 0;
	f->saved_n = !used ? 0 : phyr_chunked(phyr) ?
		     phyr_entry_words(w[last]) : used;
	memcpy(f->saved, w + f->saved_at, f->saved_n * sizeof(u64));

	*run = phys;
	*rlen = len;
	if (same && used && phyr_decode(w + last, &lphys, &llen) &&
	    lphys + llen == phys && llen + len <= PHYR_RANGE_MAX) {
		/* the last entry is written again, grown */
		f->h.pos = last;
		f->grown = true;
		*run = lphys;
		*rlen = llen + len;
	}
}

/*
 * The words being filled are those of the first chunk, or inline, and have
 * no room left: move them to a larger block with room for @words words.  A
 * new first chunk of this fill is replaced at once; the phyr's own chunk is
 * replaced by phyr_fill_commit() (its words stay as they were until then).
 */
static int phyr_fill_grow(struct phyr_fill *f, unsigned long words)
{
	struct phyr *phyr = f->phyr;
	struct phyr_chunk *chunk, *old;

	old = phyr_chunked(phyr) ? f->bigger ?: phyr->tail : f->chunk;
	chunk = phyr_alloc_chunk(phyr_first_cap(words, old ?
				 phyr_chunk_bytes(old->cap) : 0), phyr->gfp);
	if (!chunk)
		return -ENOMEM;
	chunk->next = NULL;
	chunk->start = 0;
	chunk->provider = old ? old->provider : NULL;
	chunk->type = old ? old->type : PHYR_MEM_RAM;
	chunk->attrs = old ? old->attrs : 0;
	chunk->used = 0;
	chunk->last = 0;
	memcpy(chunk->words, f->h.w, f->h.pos * sizeof(u64));

	if (phyr_chunked(phyr)) {
		if (f->bigger)
			phyr_free_chunk(f->bigger);
		f->bigger = chunk;
	} else {
		/* the inline words, or the new first chunk, move */
		if (old)
			phyr_free_chunk(old);
		else
			f->nr_new = 1;
		f->first = chunk;
		f->chunk = chunk;
	}
	f->h.w = chunk->words;
	f->cap = chunk->cap;
	f->h.lim = f->marker ? 0 : f->cap;
	return 0;
}

/* Move on to a new chunk whose first range starts at byte offset @start. */
static int phyr_fill_next_chunk(struct phyr_fill *f, u64 start)
{
	struct phyr *phyr = f->phyr;
	bool chunked = phyr_chunked(phyr);
	struct phyr_chunk *chunk;

	if ((chunked ? phyr->nr_chunks : 0) + f->nr_new >=
	    UINT_MAX - PHYR_MAX_DEPTH)
		return -ENOMEM;
	if (chunked && phyr->nr_spare) {
		chunk = phyr_take(phyr);
		chunk->cap = PHYR_CHUNK_WORDS;
		f->nr_taken++;
	} else {
		chunk = phyr_alloc_chunk(PHYR_CHUNK_WORDS, phyr->gfp);
		if (!chunk)
			return -ENOMEM;
	}
	chunk->next = NULL;
	chunk->provider = f->provider;
	chunk->type = f->type;
	chunk->attrs = f->attrs;
	chunk->used = 0;
	chunk->last = 0;

	/* the range starts the chunk in the chunk's state: no marker */
	chunk->start = start;
	f->marker = false;
	if (f->chunk) {
		f->chunk->used = f->h.pos;
		f->chunk->last = f->h.last;
		f->chunk->next = chunk;
	} else {
		f->moved = true;
		f->tail_used = f->h.pos;
		f->tail_last = f->h.last;
		f->first = chunk;
	}
	f->h.pos = 0;
	f->h.last = 0;
	f->chunk = chunk;
	f->nr_new++;
	f->h.w = chunk->words;
	f->cap = PHYR_CHUNK_WORDS;
	f->h.lim = f->cap;
	return 0;
}

/* Write a range that the fast path does not take: long, marker or no room. */
static noinline int phyr_fill_write(struct phyr_fill *f, phys_addr_t phys,
				    u64 len, u64 start)
{
	unsigned int words = f->h.pos + phyr_range_words(phys, len) +
			     (f->marker ? 2 : 0);
	int ret;

	if (words > f->cap) {
		/* the first chunk grows before a second one starts */
		if (f->cap < PHYR_CHUNK_WORDS)
			ret = phyr_fill_grow(f, words);
		else
			ret = phyr_fill_next_chunk(f, start);
		if (ret)
			return ret;
	}
	if (f->marker) {
		phyr_encode_type(f->h.w + f->h.pos, f->type, f->provider,
				 f->attrs);
		f->h.pos += 2;
		f->marker = false;
		f->h.lim = f->cap;
	}
	f->h.last = f->h.pos;
	f->h.pos += phyr_encode(f->h.w + f->h.pos, phys, len);
	/* the fast path writes only short entries, which are page-aligned */
	if (((u64)phys | len) & ~PAGE_MASK)
		f->unaligned = true;
	f->nr++;
	return 0;
}

/*
 * Write the range [@phys, @phys + @len), which starts at byte offset @start
 * of the phyr: a short entry with room for it straight away, anything else
 * through phyr_fill_write().
 */
static __always_inline int phyr_fill_put(struct phyr_fill *f,
					 struct phyr_fill_hot *h,
					 phys_addr_t phys, u64 len, u64 start)
{
	int ret;

	if (likely(h->pos < h->lim && phyr_fits_short(phys, len))) {
		h->w[h->pos] = phyr_short(phys, len);
		h->last = h->pos++;
		h->nr++;
		return 0;
	}
	f->h.w = h->w;
	f->h.pos = h->pos;
	f->h.last = h->last;
	f->h.lim = h->lim;
	ret = phyr_fill_write(f, phys, len, start);
	h->w = f->h.w;
	h->pos = f->h.pos;
	h->last = f->h.last;
	h->lim = f->h.lim;
	return ret;
}

/* Undo a fill: the phyr is as before phyr_fill_begin(). */
static void phyr_fill_abort(struct phyr_fill *f)
{
	struct phyr *phyr = f->phyr;
	struct phyr_chunk *chunk, *next;
	struct phyr_spare *block;
	u64 *w;

	w = phyr_chunked(phyr) ? phyr->tail->words : phyr->words;
	memcpy(w + f->saved_at, f->saved, f->saved_n * sizeof(u64));
	if (f->bigger)
		phyr_free_chunk(f->bigger);
	for (chunk = f->first; chunk; chunk = next) {
		next = chunk->next;
		if (f->nr_taken) {
			f->nr_taken--;
			block = (void *)chunk;
			block->next = phyr->spare;
			phyr->spare = block;
			phyr->nr_spare++;
		} else {
			phyr_free_chunk(chunk);
		}
	}
}

/*
 * Publish a fill that took the phyr to @total bytes; on failure (no memory
 * for the index) nothing changed.
 */
static int phyr_fill_commit(struct phyr_fill *f, u64 total)
{
	struct phyr_fill_hot *h = &f->h;
	struct phyr *phyr = f->phyr;
	bool chunked = phyr_chunked(phyr);
	struct phyr_spare *nodes = NULL;
	struct phyr_chunk *chunk, *next;
	unsigned long nr_nodes = 0;

	if (f->nr_new && chunked) {
		nr_nodes = phyr_chunk_blocks(phyr->nr_chunks, f->nr_new) -
			   f->nr_new;
		if (phyr_reserve(phyr, nr_nodes, phyr->gfp))
			return -ENOMEM;
	} else if (f->nr_new) {
		nr_nodes = phyr_index_nodes(f->nr_new);
		if (phyr_alloc_list(&nodes, nr_nodes, phyr->gfp))
			return -ENOMEM;
	}

	if (f->bigger) {
		/* the grown only chunk replaces the old one */
		chunk = phyr->tail;
		phyr->root = f->bigger;
		phyr->tail = f->bigger;
		phyr_free_chunk(chunk);
	}
	if (f->chunk) {
		f->chunk->used = h->pos;
		f->chunk->last = h->last;
	} else if (chunked) {
		phyr->tail->used = h->pos;
		phyr->tail->last = h->last;
	} else {
		phyr->nr_inline = h->pos;
	}
	if (f->moved) {
		phyr->tail->used = f->tail_used;
		phyr->tail->last = f->tail_last;
	}

	chunk = f->first;
	if (chunk && !chunked) {
		/* the first new chunk holds the inline words: the root */
		next = chunk->next;
		chunk->next = NULL;
		phyr->root = chunk;
		phyr->tail = chunk;
		phyr->spare = nodes;
		phyr->nr_chunks = 1;
		phyr->nr_spare = nr_nodes;
		phyr->depth = 0;
		phyr->nr_inline = PHYR_CHUNKED;
		chunk = next;
	}
	for (; chunk; chunk = next) {
		next = chunk->next;
		chunk->next = NULL;
		phyr_link_chunk(phyr, chunk);
	}

	phyr->type = f->type;
	phyr->provider = f->provider;
	phyr->attrs = f->attrs;
	if (f->unaligned)
		phyr->unaligned = true;
	phyr->len = total;
	phyr->nr_ranges += f->nr + h->nr - f->grown;
	return 0;
}

/*
 * Append one range: a fill of one range (see "phyr fill" below), so that
 * every append writes entries, markers and chunks through the same code.
 */
static int phyr_add(struct phyr *phyr, enum phyr_mem_type type,
		    struct p2pdma_provider *provider, unsigned int attrs,
		    phys_addr_t phys, size_t len)
{
	struct phyr_fill f;
	phys_addr_t run;
	u64 rlen, total;
	int ret;

	ret = phyr_check(phys, len, attrs);
	if (ret)
		return ret;
	if (check_add_overflow(phyr->len, (u64)len, &total))
		return -EOVERFLOW;
	phyr_fill_begin(&f, phyr, type, provider, attrs, phys, len, &run,
			&rlen);
	ret = phyr_fill_write(&f, run, rlen, total - rlen);
	if (!ret)
		ret = phyr_fill_commit(&f, total);
	if (ret)
		phyr_fill_abort(&f);
	return ret;
}

/**
 * phyr_init() - initialise an empty phyr
 * @phyr: the phyr
 * @gfp: allocation flags of the appends to @phyr
 *
 * Appends that need memory allocate it with @gfp, which must be %GFP_NOWAIT
 * or %GFP_ATOMIC to build the phyr in atomic context (or use phyr_preload()).
 * An initialised phyr holds no memory until it grows beyond a couple of
 * ranges.
 *
 * Context: Any context.
 */
void phyr_init(struct phyr *phyr, gfp_t gfp)
{
	memset(phyr, 0, sizeof(*phyr));
	phyr->gfp = gfp;
}
EXPORT_SYMBOL_GPL(phyr_init);

static void phyr_free_tree(void *p, unsigned int level)
{
	struct phyr_node *node = p;
	unsigned int i;

	if (!level) {
		phyr_free_chunk(p);
		return;
	}
	for (i = 0; i < node->nr; i++)
		phyr_free_tree(node->slot[i], level - 1);
	phyr_free_block(p, PHYR_BLOCK_SIZE);
}

/**
 * phyr_destroy() - free a phyr
 * @phyr: the phyr, may be uninitialised if zeroed
 *
 * Frees all memory of @phyr, including preloaded blocks, and leaves it empty
 * and ready for reuse with the same allocation flags.
 *
 * Context: Any context but NMI.  The caller serialises against other users
 * of @phyr.
 */
void phyr_destroy(struct phyr *phyr)
{
	if (phyr_chunked(phyr)) {
		phyr_free_tree(phyr->root, phyr->depth);
		phyr_free_list(phyr->spare);
	}
	phyr_init(phyr, phyr->gfp);
}
EXPORT_SYMBOL_GPL(phyr_destroy);

/**
 * phyr_preload() - preallocate memory for appends
 * @phyr: the phyr
 * @nr_ranges: number of ranges the coming appends add
 * @gfp: allocation flags for the preallocation
 *
 * Allocates, with @gfp, the memory that appends adding up to @nr_ranges
 * ranges to @phyr may need, so that they cannot fail with -ENOMEM whatever
 * the allocation flags of @phyr.  This allows building a phyr in atomic
 * context, by preloading with %GFP_KERNEL before taking the lock to append.
 *
 * An append that coalesces into the last range adds no range, also where it
 * grows that range from a short entry into a long one, and an append that
 * changes the memory type, provider or attributes counts as two.  Any mix of
 * byte-granular, page-granular, short and long ranges is covered.
 * Preloaded memory that the appends did not use stays with @phyr until
 * phyr_trim() or phyr_destroy().
 *
 * Context: Process context if @gfp may sleep (%GFP_KERNEL); any context with
 * %GFP_NOWAIT or %GFP_ATOMIC.  The caller serialises against other users of
 * @phyr.
 * Return: 0 on success, -ENOMEM if the allocation failed, in which case
 * @phyr is unchanged.
 */
int phyr_preload(struct phyr *phyr, unsigned long nr_ranges, gfp_t gfp)
{
	unsigned long words, room, nr_chunks, chunks = 0, blocks, grow;
	bool chunked = phyr_chunked(phyr);
	unsigned int used, last, cap;
	struct phyr_spare *list = NULL;
	struct phyr_chunk *first;
	u64 *w;
	int ret;

	if (!nr_ranges)
		return 0;
	/*
	 * Each range takes at most two words and a marker counts as a range.
	 * An append that coalesces into the last range adds no range but may
	 * re-encode a short last entry into a long one: one word more.
	 */
	w = phyr_tail(phyr, &used, &last, &cap);
	grow = used && phyr_entry_words(w[last]) == 1;
	if (check_mul_overflow(nr_ranges, 2UL, &words) ||
	    check_add_overflow(words, grow, &words))
		return -ENOMEM;
	if ((!chunked || phyr_first_small(phyr)) && words <= cap - used)
		return 0;

	/* an entry that does not fit wastes at most one word per chunk */
	room = PHYR_CHUNK_WORDS - used;
	if (words + 1 > room)
		chunks = DIV_ROUND_UP(words + 1 - room, PHYR_CHUNK_WORDS - 1);
	nr_chunks = chunked ? phyr->nr_chunks : 1;
	if (chunks > UINT_MAX - PHYR_MAX_DEPTH - nr_chunks)
		return -ENOMEM;
	blocks = phyr_chunk_blocks(nr_chunks, chunks);

	if (chunked && !phyr_first_small(phyr))
		return phyr_reserve(phyr, blocks, gfp);

	/* a first chunk that holds it all, or a whole one and spare blocks */
	first = phyr_alloc_chunk(chunks ? PHYR_CHUNK_WORDS :
				 phyr_first_cap(used + words, 0), gfp);
	if (!first)
		return -ENOMEM;
	ret = chunked ? phyr_reserve(phyr, blocks, gfp) :
			phyr_alloc_list(&list, blocks, gfp);
	if (ret) {
		phyr_free_chunk(first);
		return ret;
	}
	if (chunked) {
		phyr_move_first(phyr, first);
		return 0;
	}
	phyr_unfold(phyr, first);
	phyr->spare = list;
	phyr->nr_spare = blocks;
	return 0;
}
EXPORT_SYMBOL_GPL(phyr_preload);

/**
 * phyr_trim() - free preloaded memory
 * @phyr: the phyr
 *
 * Frees the memory that phyr_preload() allocated and appends did not use.
 *
 * Context: Any context but NMI.  The caller serialises against other users
 * of @phyr.
 */
void phyr_trim(struct phyr *phyr)
{
	phyr_trim_to(phyr, 0);
}
EXPORT_SYMBOL_GPL(phyr_trim);

/**
 * phyr_metadata_bytes() - memory used by a phyr
 * @phyr: the phyr
 *
 * Context: Any context.
 * Return: the size of &struct phyr plus that of every block it allocated,
 * including preloaded ones.
 */
size_t phyr_metadata_bytes(const struct phyr *phyr)
{
	size_t blocks;

	if (!phyr_chunked(phyr))
		return sizeof(*phyr);
	/* all chunks are whole blocks but an only one */
	blocks = phyr->nr_chunks - 1 + phyr_index_nodes(phyr->nr_chunks) +
		 phyr->nr_spare;
	return sizeof(*phyr) + blocks * PHYR_BLOCK_SIZE +
	       (phyr->nr_chunks == 1 ? phyr_chunk_bytes(phyr->tail->cap) :
		PHYR_BLOCK_SIZE);
}
EXPORT_SYMBOL_GPL(phyr_metadata_bytes);

#if IS_ENABLED(CONFIG_KUNIT)
/* Number of words the entries of @phyr take. */
unsigned long phyr_nr_words(const struct phyr *phyr)
{
	const struct phyr_chunk *chunk;
	const struct phyr_node *node;
	unsigned long words = 0;
	unsigned int level;

	if (!phyr_chunked(phyr))
		return phyr->nr_inline;
	node = phyr->root;
	for (level = phyr->depth; level > 0; level--)
		node = node->slot[0];
	for (chunk = (const void *)node; chunk; chunk = chunk->next)
		words += chunk->used;
	return words;
}
EXPORT_SYMBOL_IF_KUNIT(phyr_nr_words);
#endif

/**
 * phyr_append() - append a range of RAM
 * @phyr: the phyr
 * @phys: physical address of the range
 * @len: length of the range in bytes
 * @attrs: attributes of the range (PHYR_ATTR_*)
 *
 * Appends the range to @phyr, or grows the last range of @phyr if the new
 * one continues it (physically contiguous RAM with the same attributes).
 * The range may be byte-granular.  May allocate with the flags given to
 * phyr_init().
 *
 * Context: Any context if the allocation flags given to phyr_init() do not
 * sleep, or if phyr_preload() reserved the memory; else process context, and
 * it may sleep.  The caller serialises against other users of @phyr.
 * Return: 0 on success; -EINVAL if @len is zero or @attrs is invalid;
 * -EOVERFLOW if @phys + @len overflows, @len exceeds %PHYR_RANGE_MAX or the
 * total length of @phyr would overflow; -ENOMEM if allocation failed.
 * @phyr is unchanged on error.
 */
int phyr_append(struct phyr *phyr, phys_addr_t phys, size_t len,
		unsigned int attrs)
{
	return phyr_add(phyr, PHYR_MEM_RAM, NULL, attrs, phys, len);
}
EXPORT_SYMBOL_GPL(phyr_append);

/**
 * phyr_append_mmio() - append a range of PCI MMIO
 * @phyr: the phyr
 * @provider: the P2P provider whose BAR holds the range
 * @phys: CPU physical address of the range
 * @len: length of the range in bytes
 * @attrs: attributes of the range (PHYR_ATTR_*)
 *
 * Appends a %PHYR_MEM_P2P range to @phyr, or grows the last range of @phyr
 * if the new one continues it (physically contiguous, same provider and
 * attributes).  May allocate with the flags given to phyr_init().
 *
 * Context: Any context if the allocation flags given to phyr_init() do not
 * sleep, or if phyr_preload() reserved the memory; else process context, and
 * it may sleep.  The caller serialises against other users of @phyr.
 * Return: 0 on success; -EINVAL if @provider is %NULL, @len is zero or
 * @attrs is invalid; -EOVERFLOW if @phys + @len overflows, @len exceeds
 * %PHYR_RANGE_MAX or the total length of @phyr would overflow; -ENOMEM if
 * allocation failed.  @phyr is unchanged on error.
 */
int phyr_append_mmio(struct phyr *phyr, struct p2pdma_provider *provider,
		     phys_addr_t phys, size_t len, unsigned int attrs)
{
	if (!provider)
		return -EINVAL;
	return phyr_add(phyr, PHYR_MEM_P2P, provider, attrs, phys, len);
}
EXPORT_SYMBOL_GPL(phyr_append_mmio);

/*
 * Builders check their whole input and preload for it first, so that they
 * either fail without changing the phyr or append everything.  @nr_ranges
 * counts the ranges the input adds, plus one for a change of state.
 */
static int phyr_build_begin(struct phyr *phyr, unsigned long nr_ranges,
			    unsigned int *keep)
{
	*keep = phyr_chunked(phyr) ? phyr->nr_spare : 0;
	return phyr_preload(phyr, nr_ranges, phyr->gfp);
}

static void phyr_build_end(struct phyr *phyr, unsigned int keep)
{
	phyr_trim_to(phyr, keep);
}

/*
 * Counts the ranges that appending a sequence of ranges adds, as
 * phyr_add() coalesces them, plus one for a change of state.
 */
struct phyr_runs {
	unsigned long nr;
	phys_addr_t end;
	u64 len;
};

static void phyr_runs_init(struct phyr_runs *runs, const struct phyr *phyr,
			   enum phyr_mem_type type,
			   struct p2pdma_provider *provider, unsigned int attrs)
{
	runs->nr = !phyr_same_state(phyr, type, provider, attrs);
	runs->end = 0;
	runs->len = 0;
}

static void phyr_runs_add(struct phyr_runs *runs, bool first,
			  phys_addr_t phys, u64 len)
{
	if (first || phys != runs->end || runs->len + len > PHYR_RANGE_MAX) {
		runs->nr++;
		runs->len = 0;
	}
	runs->len += len;
	runs->end = phys + len;
}

static bool phyr_page_ok(const struct page *page)
{
	return !is_pci_p2pdma_page(page) && !is_device_private_page(page);
}

/* phyr_page_ok() with one load for the common case, memory that is not ZONE_DEVICE */
static __always_inline bool phyr_page_ok_fast(const struct page *page)
{
	return likely(!is_zone_device_page(page)) || phyr_page_ok(page);
}

/**
 * phyr_append_pages() - append RAM pages
 * @phyr: the phyr
 * @pages: the pages
 * @nr_pages: number of entries in @pages
 * @offset: offset of the data in the first page
 * @size: number of bytes from @offset on
 *
 * Appends @size bytes of the pages, starting at @offset in the first page,
 * as RAM with no attributes, coalescing physically contiguous pages.  Like
 * sg_alloc_table_from_pages(), the data continues at the start of each next
 * page.  The pages must be CPU memory, not P2P or device-private pages.
 * Allocates with the flags given to phyr_init(), after using up the blocks
 * phyr_preload() left.
 *
 * Context: Any context if the allocation flags given to phyr_init() do not
 * sleep, or if phyr_preload() reserved the memory; else process context, and
 * it may sleep.  The caller serialises against other users of @phyr.
 * Return: 0 on success; -EINVAL if @size is zero, @offset is not within the
 * first page, @size exceeds the pages or a page is not CPU memory;
 * -EOVERFLOW if the total length of @phyr would overflow; -ENOMEM if
 * allocation failed.  @phyr is unchanged on error.
 */
int phyr_append_pages(struct phyr *phyr, struct page **pages,
		      unsigned int nr_pages, unsigned int offset, size_t size)
{
	phys_addr_t first, run, end, phys;
	u64 base, total, rlen, left, step;
	struct phyr_fill_hot h;
	struct phyr_fill f;
	unsigned int i, n;
	int ret;

	if (!size || !nr_pages || offset >= PAGE_SIZE ||
	    size > ((u64)nr_pages << PAGE_SHIFT) - offset)
		return -EINVAL;
	base = phyr->len;
	if (check_add_overflow(base, (u64)size, &total))
		return -EOVERFLOW;
	if (!phyr_page_ok(pages[0]))
		return -EINVAL;

	/* the first page, which may start at @offset */
	step = min_t(u64, size, PAGE_SIZE - offset);
	phyr_fill_begin(&f, phyr, PHYR_MEM_RAM, NULL, 0,
			page_to_phys(pages[0]) + offset, step, &first, &rlen);
	h = f.h;
	left = size - step;

	/*
	 * Whole pages: byte offset i * PAGE_SIZE - @offset is page i's.  The
	 * pending range [@run, @end) stays in registers (no address taken).
	 */
	run = first;
	end = first + rlen;
	n = left >> PAGE_SHIFT;
	for (i = 1; i <= n; i++) {
		struct page *page = pages[i];

		if (unlikely(!phyr_page_ok_fast(page))) {
			ret = -EINVAL;
			goto fail;
		}
		phys = page_to_phys(page);
		if (phys == end && end - run <= PHYR_RANGE_MAX - PAGE_SIZE) {
			end += PAGE_SIZE;
			continue;
		}
		ret = phyr_fill_put(&f, &h, run, end - run,
				    base + ((u64)i << PAGE_SHIFT) - offset -
				    (end - run));
		if (unlikely(ret))
			goto fail;
		run = phys;
		end = phys + PAGE_SIZE;
	}
	rlen = end - run;

	/* a last, partial page */
	step = left & ~PAGE_MASK;
	if (step) {
		if (!phyr_page_ok(pages[i])) {
			ret = -EINVAL;
			goto fail;
		}
		phys = page_to_phys(pages[i]);
		if (phys == run + rlen && rlen + step <= PHYR_RANGE_MAX) {
			rlen += step;
		} else {
			ret = phyr_fill_put(&f, &h, run, rlen,
					    total - step - rlen);
			if (ret)
				goto fail;
			run = phys;
			rlen = step;
		}
	}

	ret = phyr_fill_put(&f, &h, run, rlen, total - rlen);
	f.h = h;
	if (!ret)
		ret = phyr_fill_commit(&f, total);
	if (!ret)
		return 0;
fail:
	phyr_fill_abort(&f);
	return ret;
}
EXPORT_SYMBOL_GPL(phyr_append_pages);

/**
 * phyr_append_folios() - append RAM folios
 * @phyr: the phyr
 * @folios: the folios
 * @nr_folios: number of entries in @folios
 *
 * Appends each whole folio as RAM with no attributes, coalescing physically
 * contiguous folios.  The folios must be CPU memory, not P2P or
 * device-private memory.  Allocates with the flags given to phyr_init(),
 * after using up the blocks phyr_preload() left.
 *
 * Context: Any context if the allocation flags given to phyr_init() do not
 * sleep, or if phyr_preload() reserved the memory; else process context, and
 * it may sleep.  The caller serialises against other users of @phyr.
 * Return: 0 on success; -EINVAL if @nr_folios is zero or a folio is not CPU
 * memory; -EOVERFLOW if the total length of @phyr would overflow; -ENOMEM if
 * allocation failed.  @phyr is unchanged on error.
 */
int phyr_append_folios(struct phyr *phyr, struct folio **folios,
		       unsigned int nr_folios)
{
	struct phyr_fill_hot h;
	struct phyr_fill f;
	phys_addr_t run, phys;
	u64 total, rlen, len;
	unsigned int i;
	int ret;

	if (!nr_folios)
		return -EINVAL;
	if (!phyr_page_ok(&folios[0]->page))
		return -EINVAL;
	len = folio_size(folios[0]);
	if (check_add_overflow(phyr->len, len, &total))
		return -EOVERFLOW;
	phyr_fill_begin(&f, phyr, PHYR_MEM_RAM, NULL, 0,
			PFN_PHYS(folio_pfn(folios[0])), len, &run, &rlen);
	h = f.h;

	for (i = 1; i < nr_folios; i++) {
		struct folio *folio = folios[i];

		if (unlikely(!phyr_page_ok_fast(&folio->page))) {
			ret = -EINVAL;
			goto fail;
		}
		len = folio_size(folio);
		if (unlikely(check_add_overflow(total, len, &total))) {
			ret = -EOVERFLOW;
			goto fail;
		}
		phys = PFN_PHYS(folio_pfn(folio));
		if (phys == run + rlen && rlen + len <= PHYR_RANGE_MAX) {
			rlen += len;
			continue;
		}
		ret = phyr_fill_put(&f, &h, run, rlen, total - len - rlen);
		if (unlikely(ret))
			goto fail;
		run = phys;
		rlen = len;
	}

	ret = phyr_fill_put(&f, &h, run, rlen, total - rlen);
	f.h = h;
	if (!ret)
		ret = phyr_fill_commit(&f, total);
	if (!ret)
		return 0;
fail:
	phyr_fill_abort(&f);
	return ret;
}
EXPORT_SYMBOL_GPL(phyr_append_folios);

/**
 * phyr_append_phys_vec() - append an array of &struct phys_vec
 * @phyr: the phyr
 * @provider: the P2P provider of the ranges, %NULL for RAM
 * @vecs: the ranges
 * @nr_vecs: number of entries in @vecs
 * @attrs: attributes of the ranges (PHYR_ATTR_*)
 *
 * Appends each range of @vecs, coalescing physically contiguous ones, as
 * RAM if @provider is %NULL and as MMIO of @provider otherwise.  Allocates
 * with the flags given to phyr_init().
 *
 * Context: Any context if the allocation flags given to phyr_init() do not
 * sleep, or if phyr_preload() reserved the memory; else process context, and
 * it may sleep.  The caller serialises against other users of @phyr.
 * Return: 0 on success; -EINVAL if @nr_vecs is zero, a range has length
 * zero or @attrs is invalid; -EOVERFLOW if a range overflows or exceeds
 * %PHYR_RANGE_MAX, or the total length of @phyr would overflow; -ENOMEM if
 * allocation failed.  @phyr is unchanged on error.
 */
int phyr_append_phys_vec(struct phyr *phyr, struct p2pdma_provider *provider,
			 const struct phys_vec *vecs, unsigned int nr_vecs,
			 unsigned int attrs)
{
	enum phyr_mem_type type = provider ? PHYR_MEM_P2P : PHYR_MEM_RAM;
	struct phyr_runs runs;
	unsigned int i, keep;
	u64 total = phyr->len;
	int ret = 0;

	if (!nr_vecs)
		return -EINVAL;
	phyr_runs_init(&runs, phyr, type, provider, attrs);
	for (i = 0; i < nr_vecs; i++) {
		ret = phyr_check(vecs[i].paddr, vecs[i].len, attrs);
		if (ret)
			return ret;
		if (check_add_overflow(total, (u64)vecs[i].len, &total))
			return -EOVERFLOW;
		phyr_runs_add(&runs, !i, vecs[i].paddr, vecs[i].len);
	}

	ret = phyr_build_begin(phyr, runs.nr, &keep);
	if (ret)
		return ret;
	for (i = 0; i < nr_vecs; i++) {
		ret = phyr_add(phyr, type, provider, attrs, vecs[i].paddr,
			       vecs[i].len);
		if (WARN_ON_ONCE(ret))
			break;
	}
	phyr_build_end(phyr, keep);
	return ret;
}
EXPORT_SYMBOL_GPL(phyr_append_phys_vec);

/**
 * phyr_append_sgtable() - append the CPU side of a scatterlist
 * @phyr: the phyr
 * @sgt: the table; its CPU entries (orig_nents) are used
 *
 * A bridge from legacy code: appends sg_phys() and the length of each entry
 * of @sgt as RAM with no attributes, coalescing physically contiguous
 * entries.  The DMA side of @sgt is ignored.  Allocates with the flags given
 * to phyr_init().
 *
 * Context: Any context if the allocation flags given to phyr_init() do not
 * sleep, or if phyr_preload() reserved the memory; else process context, and
 * it may sleep.  The caller serialises against other users of @phyr.
 * Return: 0 on success; -EINVAL if @sgt has no entries, or an entry has
 * length zero, no page or a page that is not CPU memory; -EOVERFLOW if an
 * entry overflows or the total length of @phyr would overflow; -ENOMEM if
 * allocation failed.  @phyr is unchanged on error.
 */
int phyr_append_sgtable(struct phyr *phyr, const struct sg_table *sgt)
{
	struct phyr_runs runs;
	struct scatterlist *sg;
	u64 total = phyr->len;
	unsigned int i, keep;
	int ret;

	if (!sgt->orig_nents)
		return -EINVAL;
	phyr_runs_init(&runs, phyr, PHYR_MEM_RAM, NULL, 0);
	for_each_sgtable_sg(sgt, sg, i) {
		if (!sg_page(sg) || !phyr_page_ok(sg_page(sg)))
			return -EINVAL;
		ret = phyr_check(sg_phys(sg), sg->length, 0);
		if (ret)
			return ret;
		if (check_add_overflow(total, (u64)sg->length, &total))
			return -EOVERFLOW;
		phyr_runs_add(&runs, !i, sg_phys(sg), sg->length);
	}

	ret = phyr_build_begin(phyr, runs.nr, &keep);
	if (ret)
		return ret;
	for_each_sgtable_sg(sgt, sg, i) {
		ret = phyr_add(phyr, PHYR_MEM_RAM, NULL, 0, sg_phys(sg),
			       sg->length);
		if (WARN_ON_ONCE(ret))
			break;
	}
	phyr_build_end(phyr, keep);
	return ret;
}
EXPORT_SYMBOL_GPL(phyr_append_sgtable);

static int phyr_check_window(const struct phyr *phyr, u64 offset, u64 len)
{
	u64 end;

	if (!len)
		return -EINVAL;
	if (check_add_overflow(offset, len, &end))
		return -EOVERFLOW;
	if (end > phyr->len)
		return -EINVAL;
	return 0;
}

/**
 * phyr_append_slice() - append a byte window of another phyr
 * @dst: the phyr to append to
 * @src: the phyr to take the ranges from
 * @offset: byte offset of the window in @src
 * @len: length of the window in bytes
 *
 * Appends the ranges of @src that overlap [@offset, @offset + @len), clipped
 * to the window, with their memory types, providers and attributes.  On an
 * empty @dst this makes @dst a slice of @src.  Finding the window costs
 * O(log n) in the size of @src.  Allocates with the flags of @dst.
 *
 * Context: Any context if the allocation flags of @dst do not sleep, or if
 * phyr_preload() reserved the memory; else process context, and it may
 * sleep.  @src must not change meanwhile.
 * Return: 0 on success; -EINVAL if @len is zero, the window does not lie
 * within @src or @dst is @src; -EOVERFLOW if @offset + @len overflows or
 * the total length of @dst would overflow; -ENOMEM if allocation failed.
 * @dst is unchanged on error.
 */
int phyr_append_slice(struct phyr *dst, const struct phyr *src, u64 offset,
		      u64 len)
{
	enum phyr_mem_type type = dst->type;
	struct p2pdma_provider *provider = dst->provider;
	unsigned int attrs = dst->attrs, keep;
	struct phyr_cursor cur;
	unsigned long nr = 0;
	u64 total;
	int ret;

	if (dst == src)
		return -EINVAL;
	ret = phyr_cursor_init_range(&cur, src, offset, len);
	if (ret)
		return ret;
	if (check_add_overflow(dst->len, len, &total))
		return -EOVERFLOW;

	while (phyr_cursor_next(&cur)) {
		nr++;
		if (cur.type != type || cur.provider != provider ||
		    cur.attrs != attrs) {
			type = cur.type;
			provider = cur.provider;
			attrs = cur.attrs;
			nr++;
		}
	}

	ret = phyr_build_begin(dst, nr, &keep);
	if (ret)
		return ret;
	phyr_cursor_init_range(&cur, src, offset, len);
	while (phyr_cursor_next(&cur)) {
		ret = phyr_add(dst, cur.type, cur.provider, cur.attrs, cur.phys,
			       cur.len);
		if (WARN_ON_ONCE(ret))
			break;
	}
	phyr_build_end(dst, keep);
	return ret;
}
EXPORT_SYMBOL_GPL(phyr_append_slice);

/* The chunk holding byte offset @offset, which is within the phyr. */
static const struct phyr_chunk *phyr_find_chunk(const struct phyr *phyr,
						u64 offset)
{
	const struct phyr_node *node = phyr->root;
	unsigned int level, lo, hi, mid;

	for (level = phyr->depth; level > 0; level--) {
		/* the last child starting at or before @offset */
		lo = 0;
		hi = node->nr;
		while (hi - lo > 1) {
			mid = lo + (hi - lo) / 2;
			if (node->start[mid] <= offset)
				lo = mid;
			else
				hi = mid;
		}
		node = node->slot[lo];
	}
	return (const void *)node;
}

static void phyr_cursor_load(struct phyr_cursor *cur,
			     const struct phyr_chunk *chunk)
{
	cur->chunk = chunk;
	cur->pos = chunk->words;
	cur->end = chunk->words + chunk->used;
	cur->next = chunk->start;
	cur->type = chunk->type;
	cur->provider = chunk->provider;
	cur->attrs = chunk->attrs;
}

static void phyr_cursor_start(struct phyr_cursor *cur, const struct phyr *phyr,
			      u64 offset, u64 len)
{
	cur->phyr = phyr;
	cur->start = offset;
	cur->limit = offset + len;
	cur->phys = 0;
	cur->len = 0;
	cur->offset = 0;
	if (phyr_chunked(phyr) && len) {
		phyr_cursor_load(cur, phyr_find_chunk(phyr, offset));
		return;
	}
	cur->chunk = NULL;
	cur->pos = phyr->words;
	cur->end = phyr_chunked(phyr) ? phyr->words : phyr->words +
						      phyr->nr_inline;
	cur->next = 0;
	cur->type = PHYR_MEM_RAM;
	cur->provider = NULL;
	cur->attrs = 0;
}

/**
 * phyr_cursor_init() - start a walk over all ranges of a phyr
 * @cur: the cursor
 * @phyr: the phyr
 *
 * The first call of phyr_cursor_next() then yields the first range.
 *
 * Context: Any context.  The phyr must not change during the walk.
 */
void phyr_cursor_init(struct phyr_cursor *cur, const struct phyr *phyr)
{
	phyr_cursor_start(cur, phyr, 0, phyr->len);
}
EXPORT_SYMBOL_GPL(phyr_cursor_init);

/**
 * phyr_cursor_init_range() - start a walk over a byte window of a phyr
 * @cur: the cursor
 * @phyr: the phyr
 * @offset: byte offset of the window in @phyr
 * @len: length of the window in bytes
 *
 * Seeks to @offset in O(log n): phyr_cursor_next() then yields the ranges
 * overlapping [@offset, @offset + @len), clipped to that window, starting
 * with the one containing @offset.
 *
 * Context: Any context.  The phyr must not change during the walk.
 * Return: 0 on success; -EINVAL if @len is zero or the window does not lie
 * within @phyr; -EOVERFLOW if @offset + @len overflows.  On error the
 * cursor yields nothing.
 */
int phyr_cursor_init_range(struct phyr_cursor *cur, const struct phyr *phyr,
			   u64 offset, u64 len)
{
	int ret = phyr_check_window(phyr, offset, len);

	if (ret) {
		phyr_cursor_start(cur, phyr, 0, 0);
		return ret;
	}
	phyr_cursor_start(cur, phyr, offset, len);
	return 0;
}
EXPORT_SYMBOL_GPL(phyr_cursor_init_range);

/**
 * phyr_cursor_next() - advance a cursor to the next range
 * @cur: the cursor
 *
 * Context: Any context.
 * Return: true if the cursor fields now describe the next range, false at
 * the end of the walk.
 */
bool phyr_cursor_next(struct phyr_cursor *cur)
{
	phys_addr_t phys;
	u64 len, off, skip;

	while (cur->next < cur->limit) {
		if (cur->pos == cur->end) {
			if (WARN_ON_ONCE(!cur->chunk || !cur->chunk->next))
				break;
			phyr_cursor_load(cur, cur->chunk->next);
			continue;
		}
		if (!phyr_decode(cur->pos, &phys, &len)) {
			cur->type = FIELD_GET(PHYR_TYPE_MEM, cur->pos[0]);
			cur->attrs = FIELD_GET(PHYR_TYPE_ATTRS, cur->pos[0]);
			cur->provider = (void *)(unsigned long)cur->pos[1];
			cur->pos += 2;
			continue;
		}
		cur->pos += phyr_entry_words(cur->pos[0]);
		off = cur->next;
		cur->next += len;
		if (cur->next <= cur->start)
			continue;

		if (off < cur->start) {
			skip = cur->start - off;
			phys += skip;
			len -= skip;
			off = cur->start;
		}
		cur->phys = phys;
		cur->len = min(len, cur->limit - off);
		cur->offset = off;
		return true;
	}
	cur->limit = 0;
	return false;
}
EXPORT_SYMBOL_GPL(phyr_cursor_next);

/**
 * phyr_cursor_next_vecs() - advance a cursor by up to @max ranges at once
 * @cur: the cursor
 * @vecs: where to store the ranges
 * @max: room in @vecs
 *
 * Stores the next ranges of the walk in @vecs, in order and clipped to the
 * window of the cursor, as phyr_cursor_next() would give them one by one,
 * but only as many as share the memory type, provider and attributes of the
 * first: the walk stops before a range of another kind, which the next call
 * starts with.  Afterwards the fields of @cur describe the last range stored,
 * and its @type, @provider and @attrs apply to all of them.  A batch for
 * interfaces that take an array of &struct phys_vec, such as
 * dma_iova_link_phys_vec(), without a call per range.
 *
 * Context: Any context.  The phyr must not change during the walk.
 * Return: the number of ranges stored, 0 at the end of the walk (or if @max
 * is 0).
 */
unsigned int phyr_cursor_next_vecs(struct phyr_cursor *cur,
				   struct phys_vec *vecs, unsigned int max)
{
	const struct phyr_chunk *chunk;
	u64 next, limit, word, len, off;
	const u64 *pos, *end;
	unsigned int n = 1;
	phys_addr_t phys;

	if (!max || !phyr_cursor_next(cur))
		return 0;
	vecs[0].paddr = cur->phys;
	vecs[0].len = cur->len;

	/*
	 * The walk in locals, written back once: the stores into @vecs may
	 * alias @cur as far as the compiler knows.  The first range is past
	 * the window's start: so are the next ones.
	 */
	pos = cur->pos;
	end = cur->end;
	next = cur->next;
	limit = cur->limit;
	off = cur->offset;
	while (n < max && next < limit) {
		if (unlikely(pos == end)) {
			chunk = cur->chunk ? cur->chunk->next : NULL;
			/*
			 * A chunk starts in the state of its first range, with
			 * no marker: another kind starts the next batch there
			 * (and phyr_cursor_next() warns about a missing chunk).
			 */
			if (!chunk || chunk->type != cur->type ||
			    chunk->provider != cur->provider ||
			    chunk->attrs != cur->attrs)
				break;
			cur->chunk = chunk;
			pos = chunk->words;
			end = chunk->words + chunk->used;
			continue;
		}
		word = *pos;
		if (likely((word & (PHYR_TAG | PHYR_SHORT_PAGES)) ==
			   PHYR_TAG_SHORT)) {
			/* the common entry: one page, one word */
			phys = (phys_addr_t)FIELD_GET(PHYR_SHORT_PFN, word) <<
			       PAGE_SHIFT;
			len = PAGE_SIZE;
			pos++;
		} else if (phyr_decode(pos, &phys, &len)) {
			pos += phyr_entry_words(word);
		} else {
			break;
		}
		off = next;
		next += len;
		vecs[n].paddr = phys;
		vecs[n++].len = min(len, limit - off);
	}

	cur->pos = pos;
	cur->end = end;
	cur->next = next;
	cur->phys = vecs[n - 1].paddr;
	cur->len = vecs[n - 1].len;
	cur->offset = off;
	return n;
}
EXPORT_SYMBOL_GPL(phyr_cursor_next_vecs);

/**
 * phyr_page_cursor_init() - start a walk over a phyr in page steps
 * @pc: the page cursor
 * @phyr: the phyr
 *
 * Context: Any context.  The phyr must not change during the walk.
 */
void phyr_page_cursor_init(struct phyr_page_cursor *pc,
			   const struct phyr *phyr)
{
	phyr_cursor_init(&pc->range, phyr);
	pc->phys = 0;
	pc->len = 0;
	pc->next = 0;
	pc->left = 0;
}
EXPORT_SYMBOL_GPL(phyr_page_cursor_init);

/**
 * phyr_page_cursor_init_range() - start a page walk over a byte window
 * @pc: the page cursor
 * @phyr: the phyr
 * @offset: byte offset of the window in @phyr
 * @len: length of the window in bytes
 *
 * Like phyr_cursor_init_range(), for a walk in page steps.
 *
 * Context: Any context.  The phyr must not change during the walk.
 * Return: 0 on success; -EINVAL if @len is zero or the window does not lie
 * within @phyr; -EOVERFLOW if @offset + @len overflows.  On error the
 * cursor yields nothing.
 */
int phyr_page_cursor_init_range(struct phyr_page_cursor *pc,
				const struct phyr *phyr, u64 offset, u64 len)
{
	pc->phys = 0;
	pc->len = 0;
	pc->next = 0;
	pc->left = 0;
	return phyr_cursor_init_range(&pc->range, phyr, offset, len);
}
EXPORT_SYMBOL_GPL(phyr_page_cursor_init_range);

/**
 * phyr_page_cursor_next() - advance a page cursor
 * @pc: the page cursor
 *
 * Moves to the next page step: the next page of the current range, or the
 * first page of the next range.
 *
 * Context: Any context.
 * Return: true if @pc->phys and @pc->len now describe the next step, false
 * at the end of the walk.
 */
bool phyr_page_cursor_next(struct phyr_page_cursor *pc)
{
	if (!pc->left) {
		if (!phyr_cursor_next(&pc->range))
			return false;
		pc->next = pc->range.phys;
		pc->left = pc->range.len;
	}
	pc->phys = pc->next;
	pc->len = min_t(size_t, pc->left,
			PAGE_SIZE - (pc->phys & (PAGE_SIZE - 1)));
	pc->next += pc->len;
	pc->left -= pc->len;
	return true;
}
EXPORT_SYMBOL_GPL(phyr_page_cursor_next);

/**
 * phyr_page_cursor_page() - the page of the current step
 * @pc: the page cursor
 *
 * Context: Any context.
 * Return: the &struct page of the current step, or %NULL if the step is not
 * in RAM or its memory has no &struct page.
 */
struct page *phyr_page_cursor_page(const struct phyr_page_cursor *pc)
{
	unsigned long pfn = PHYS_PFN(pc->phys);

	if (pc->range.type != PHYR_MEM_RAM || !pfn_valid(pfn))
		return NULL;
	return pfn_to_page(pfn);
}
EXPORT_SYMBOL_GPL(phyr_page_cursor_page);
