/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * phyr internals shared by lib/phyr.c and its KUnit tests: the functions
 * that the tests redirect with static stubs (to inject failures) and what
 * they inspect.  Not an API: nothing outside lib/phyr*.c includes this.
 *
 * Copyright 2026 The phyr developers
 */
#ifndef _LIB_PHYR_INTERNAL_H
#define _LIB_PHYR_INTERNAL_H

#include <linux/types.h>

struct phyr;

#if IS_ENABLED(CONFIG_KUNIT)
/* lib/phyr.c: every block a phyr allocates or frees */
void *phyr_alloc_block(gfp_t gfp);
void phyr_free_block(void *block);
/* lib/phyr.c: the number of 64-bit words the entries of a phyr take */
unsigned long phyr_nr_words(const struct phyr *phyr);
#endif

#endif /* _LIB_PHYR_INTERNAL_H */
