/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * phyr: lists of physical address ranges, the input of DMA mapping
 *
 * Copyright 2026 The phyr developers
 */
#ifndef _LINUX_PHYR_H
#define _LINUX_PHYR_H

#include <linux/align.h>
#include <linux/bits.h>
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/types.h>
#include <asm/page.h>

struct folio;
struct p2pdma_provider;
struct page;
struct phyr_chunk;
struct phyr_spare;
struct sg_table;

/**
 * enum phyr_mem_type - what backs a physical range
 * @PHYR_MEM_RAM: CPU memory (system RAM).
 * @PHYR_MEM_P2P: PCI MMIO (a BAR) of a &struct p2pdma_provider, the target
 *	of peer-to-peer DMA.
 */
enum phyr_mem_type {
	PHYR_MEM_RAM,
	PHYR_MEM_P2P,
};

/**
 * DOC: phyr attributes
 *
 * Each range carries attribute flags (``unsigned int attrs``) that the DMA
 * mapping of the range needs:
 *
 * - the cache mode, in %PHYR_ATTR_CACHE_MASK: %PHYR_ATTR_CACHED (the
 *   default, 0), %PHYR_ATTR_WC (write-combined) or %PHYR_ATTR_UNCACHED;
 * - %PHYR_ATTR_DECRYPTED: the memory is shared with the host (decrypted) in
 *   a confidential computing guest; without it, memory is private
 *   (encrypted) if the platform encrypts memory at all.
 *
 * Any other bit, or the cache mode value 3, is invalid.
 */
#define PHYR_ATTR_CACHE_MASK	GENMASK(1, 0)
#define PHYR_ATTR_CACHED	0
#define PHYR_ATTR_WC		1
#define PHYR_ATTR_UNCACHED	2
#define PHYR_ATTR_DECRYPTED	BIT(2)
#define PHYR_ATTR_MASK		(PHYR_ATTR_CACHE_MASK | PHYR_ATTR_DECRYPTED)

/**
 * PHYR_RANGE_MAX - the longest range a phyr holds, in bytes
 *
 * 2^62 bytes or %SIZE_MAX, whichever is smaller, rounded down to a multiple
 * of %PAGE_SIZE.  Appending a longer range fails, and coalescing never grows
 * a range beyond it: the next contiguous append starts a new range instead.
 */
#define PHYR_RANGE_MAX \
	ALIGN_DOWN(min_t(u64, SIZE_MAX, BIT_ULL(62) - 1), (u64)PAGE_SIZE)

/* Bytes of the blocks a phyr allocates: whole pages, for chunks and index nodes. */
#define PHYR_BLOCK_SIZE		PAGE_SIZE
/* Bytes of the smallest chunk: the first one, when the inline words overflow. */
#define PHYR_CHUNK_MIN_SIZE	128
/* 64-bit words of entries stored in struct phyr itself. */
#define PHYR_INLINE_WORDS	4

/**
 * struct phyr - a list of physical address ranges
 * @len: Sum of the lengths of all ranges, in bytes.  Read it with phyr_len().
 * @nr_ranges: Number of ranges.  Read it with phyr_nr_ranges().
 *
 * A phyr is built by appending ranges (phyr_append(), phyr_append_mmio() and
 * the builders), walked with a &struct phyr_cursor or a
 * &struct phyr_page_cursor and freed with phyr_destroy().  Each range has a
 * memory type (&enum phyr_mem_type), for %PHYR_MEM_P2P a
 * &struct p2pdma_provider, and attribute flags (PHYR_ATTR_*).
 *
 * The first entries are stored in the structure itself, so a phyr of one or
 * two ranges allocates nothing.  A phyr has no internal locking: the caller
 * serialises appends and destruction against each other and against walks.
 */
struct phyr {
	u64 len;
	unsigned long nr_ranges;
/* private: */
	/* memory type, provider and attributes of the last append */
	struct p2pdma_provider *provider;
	gfp_t gfp;
	u8 type;
	u8 attrs;
	/* index levels above the chunks (0: one chunk, the root) */
	u8 depth : 7;
	/* a range was written that starts or ends off a page boundary */
	u8 unaligned : 1;
	/* words used in @words, or U8_MAX once the entries live in chunks */
	u8 nr_inline;
	union {
		u64 words[PHYR_INLINE_WORDS];
		struct {
			void *root;
			struct phyr_chunk *tail;
			struct phyr_spare *spare;
			unsigned int nr_chunks;
			unsigned int nr_spare;
		};
	};
};

/**
 * struct phyr_cursor - a walk over the ranges of a phyr
 * @phys: Physical address of the current range.
 * @len: Length of the current range in bytes.
 * @offset: Byte offset of @phys from the start of the phyr.
 * @provider: Provider of the current range, %NULL for %PHYR_MEM_RAM.
 * @type: Memory type of the current range.
 * @attrs: Attributes (PHYR_ATTR_*) of the current range.
 *
 * Set up with phyr_cursor_init() or phyr_cursor_init_range() and advanced
 * with phyr_cursor_next(); the fields above are valid after
 * phyr_cursor_next() returned true.  Ranges are seen clipped to the window
 * the cursor was set up with.  The phyr must not change during the walk.
 */
struct phyr_cursor {
	phys_addr_t phys;
	size_t len;
	u64 offset;
	struct p2pdma_provider *provider;
	enum phyr_mem_type type;
	unsigned int attrs;
/* private: */
	const struct phyr *phyr;
	const struct phyr_chunk *chunk;
	const u64 *pos;
	const u64 *end;
	u64 next;
	u64 start;
	u64 limit;
};

/**
 * struct phyr_page_cursor - a walk over a phyr in page steps
 * @phys: Physical address of the current step.
 * @len: Length of the current step: %PAGE_SIZE, or less where a range starts
 *	or ends inside a page.  A step never crosses a page boundary.
 * @range: The range the current step is part of: its @type, @provider and
 *	@attrs apply to the step.
 *
 * Set up with phyr_page_cursor_init() or phyr_page_cursor_init_range() and
 * advanced with phyr_page_cursor_next().  phyr_page_cursor_page() gives the
 * &struct page of a step in RAM.
 */
struct phyr_page_cursor {
	phys_addr_t phys;
	size_t len;
	struct phyr_cursor range;
/* private: */
	phys_addr_t next;
	size_t left;
};

/**
 * phyr_len() - total length of a phyr
 * @phyr: the phyr
 *
 * Return: the sum of the lengths of all ranges, in bytes.
 */
static inline u64 phyr_len(const struct phyr *phyr)
{
	return phyr->len;
}

/**
 * phyr_nr_ranges() - number of ranges in a phyr
 * @phyr: the phyr
 *
 * Return: the number of ranges, after coalescing.
 */
static inline unsigned long phyr_nr_ranges(const struct phyr *phyr)
{
	return phyr->nr_ranges;
}

/**
 * phyr_empty() - check whether a phyr has no ranges
 * @phyr: the phyr
 *
 * Return: true if @phyr has no ranges.
 */
static inline bool phyr_empty(const struct phyr *phyr)
{
	return !phyr->nr_ranges;
}

/**
 * phyr_page_aligned() - check whether all ranges of a phyr are page-aligned
 * @phyr: the phyr
 *
 * Kept as ranges are appended, so it costs no walk: a mapping that needs
 * every range boundary on a page (or an IOMMU granule no larger) can skip
 * checking them one by one.  Once a range was written that starts or ends
 * off a page boundary, the answer stays false until phyr_destroy(), also if
 * a later append grew that range to page boundaries.
 *
 * Return: true if every range of @phyr starts and ends on a page boundary
 * (also for an empty phyr), false if some range does not or did.
 */
static inline bool phyr_page_aligned(const struct phyr *phyr)
{
	return !phyr->unaligned;
}

void phyr_init(struct phyr *phyr, gfp_t gfp);
void phyr_destroy(struct phyr *phyr);
int phyr_preload(struct phyr *phyr, unsigned long nr_ranges, gfp_t gfp);
void phyr_trim(struct phyr *phyr);
size_t phyr_metadata_bytes(const struct phyr *phyr);

int phyr_append(struct phyr *phyr, phys_addr_t phys, size_t len,
		unsigned int attrs);
int phyr_append_mmio(struct phyr *phyr, struct p2pdma_provider *provider,
		     phys_addr_t phys, size_t len, unsigned int attrs);
int phyr_append_pages(struct phyr *phyr, struct page **pages,
		      unsigned int nr_pages, unsigned int offset, size_t size);
int phyr_append_folios(struct phyr *phyr, struct folio **folios,
		       unsigned int nr_folios);
int phyr_append_phys_vec(struct phyr *phyr, struct p2pdma_provider *provider,
			 const struct phys_vec *vecs, unsigned int nr_vecs,
			 unsigned int attrs);
int phyr_append_sgtable(struct phyr *phyr, const struct sg_table *sgt);
int phyr_append_slice(struct phyr *dst, const struct phyr *src, u64 offset,
		      u64 len);

void phyr_cursor_init(struct phyr_cursor *cur, const struct phyr *phyr);
int phyr_cursor_init_range(struct phyr_cursor *cur, const struct phyr *phyr,
			   u64 offset, u64 len);
bool phyr_cursor_next(struct phyr_cursor *cur);
unsigned int phyr_cursor_next_vecs(struct phyr_cursor *cur,
				   struct phys_vec *vecs, unsigned int max);

void phyr_page_cursor_init(struct phyr_page_cursor *pc,
			   const struct phyr *phyr);
int phyr_page_cursor_init_range(struct phyr_page_cursor *pc,
				const struct phyr *phyr, u64 offset, u64 len);
bool phyr_page_cursor_next(struct phyr_page_cursor *pc);
struct page *phyr_page_cursor_page(const struct phyr_page_cursor *pc);

#endif /* _LINUX_PHYR_H */
