/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * phyr internals shared by lib/phyr.c and its KUnit tests
 * (lib/tests/phyr_kunit.c): the functions that the tests redirect with static
 * stubs (to inject allocation failures) and what they inspect.  Not an API:
 * nothing else includes this.
 *
 * Copyright 2026 The phyr developers
 */
#ifndef _LIB_PHYR_INTERNAL_H
#define _LIB_PHYR_INTERNAL_H

#include <linux/types.h>

struct phyr;

#if IS_ENABLED(CONFIG_KUNIT)
/* lib/phyr.c: every block a phyr allocates or frees (the stubbed pair) */
void *phyr_alloc_block(size_t size, gfp_t gfp);
void phyr_free_block(void *block, size_t size);
/* lib/phyr.c: the allocator behind them, for the stubs to allocate with */
void *phyr_block_new(size_t size, gfp_t gfp);
void phyr_block_del(void *block, size_t size);
/* lib/phyr.c: the number of 64-bit words the entries of a phyr take */
unsigned long phyr_nr_words(const struct phyr *phyr);
#endif

#endif /* _LIB_PHYR_INTERNAL_H */
