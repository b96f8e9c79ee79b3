/* SPDX-License-Identifier: MIT */
/*
 * phyr-test: what every userspace test program of phyr shares (a static
 * library, userspace/tests/common; not part of libphyrbuf's ABI).
 *
 * - Patterns: a buffer filled on one side and checked on the other.  The
 *   functions are inline, so that a program that links nothing of ours
 *   (IGT's tests, the phyrbuf CLI's self-checking commands) includes this
 *   header alone.
 *   - words: pt_word(seed, i), 32-bit word i (a multiplicative hash of i
 *     XOR the seed; seed 0 is not zero);
 *   - bytes: pt_byte(seed, i), byte i; for i below 4096 it is the pattern
 *     of the kernel's edu test importer, (u8)(seed * 131 + i * 7), and the
 *     term i >> 12 makes it differ from page to page (a misplaced page
 *     shows);
 *   - pt_hash_byte(off): a byte that depends on every bit of the offset
 *     (devmem TCP: a stream checked at any offset).
 * - CHECK(cond, fmt, ...): a check that records its failure (the first one's
 *   message becomes the test's reason) and goes on; thread-safe.
 *   REQUIRE(cond, fmt, ...) records it and jumps to the caller's "out:".
 * - Results: pt_result() prints one TAP line per test on stdout (for meson's
 *   TAP protocol, and readable in a log) and, after pt_results_open(FILE),
 *   the line "PASS|FAIL|SKIP NAME [detail]" that scripts/results.py judges
 *   for the layers that are not meson tests (results-LAYER.txt).
 *   pt_done() prints the TAP plan and gives the exit code.
 */
#ifndef PHYR_TEST_H
#define PHYR_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- patterns ---- */

static inline uint32_t pt_word(uint32_t seed, uint64_t i)
{
	return (uint32_t)(i * 2654435761u) ^ seed;
}

static inline uint8_t pt_byte(uint64_t seed, uint64_t i)
{
	return (uint8_t)(seed * 131 + i * 7 + (i >> 12));
}

static inline uint8_t pt_hash_byte(uint64_t off)
{
	uint64_t x = off * 0x9e3779b97f4a7c15ull;

	return (uint8_t)(x >> 56) ^ (uint8_t)off;
}

/* @size bytes at @p (whole words) with pattern @seed */
static inline void pt_fill_words(void *p, uint64_t size, uint32_t seed)
{
	uint32_t *w = p;

	for (uint64_t i = 0; i < size / 4; i++)
		w[i] = pt_word(seed, i);
}

/* the index of the first word of @p that is not pattern @seed's, or -1 */
static inline int64_t pt_check_words(const void *p, uint64_t size, uint32_t seed)
{
	const uint32_t *w = p;

	for (uint64_t i = 0; i < size / 4; i++)
		if (w[i] != pt_word(seed, i))
			return (int64_t)i;
	return -1;
}

/* bytes [@from, @from + @len) of @p with pattern @seed (byte i: pt_byte(seed, i)) */
static inline void pt_fill_bytes(void *p, uint64_t from, uint64_t len, uint64_t seed)
{
	uint8_t *b = p;

	for (uint64_t i = from; i < from + len; i++)
		b[i] = pt_byte(seed, i);
}

/* the first of bytes [@from, @from + @len) of @p that is not pattern @seed's, or -1 */
static inline int64_t pt_check_bytes(const void *p, uint64_t from, uint64_t len, uint64_t seed)
{
	const uint8_t *b = p;

	for (uint64_t i = from; i < from + len; i++)
		if (b[i] != pt_byte(seed, i))
			return (int64_t)i;
	return -1;
}

/* the first byte of @p[0, @len) that is not zero, or -1 */
static inline int64_t pt_check_zero(const void *p, uint64_t len)
{
	const uint8_t *b = p;

	for (uint64_t i = 0; i < len; i++)
		if (b[i])
			return (int64_t)i;
	return -1;
}

/* ---- checks ---- */

/*
 * pt_fail() - record a failed check: "CHECK FAILED: MESSAGE (FILE:LINE)" on
 * stderr, the first message of the running test kept as its reason.
 */
void pt_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define CHECK(cond, ...) do {						\
	if (!(cond))							\
		pt_fail(__FILE__, __LINE__, __VA_ARGS__);		\
} while (0)

/* a check that ends the test at its first failure: goto out (its cleanup) */
#define REQUIRE(cond, ...) do {						\
	if (!(cond)) {							\
		pt_fail(__FILE__, __LINE__, __VA_ARGS__);		\
		goto out;						\
	}								\
} while (0)

/* the failed checks since the running test began (pt_begin()) */
int pt_failures(void);
/* the first failed check's message since pt_begin(), "" if none */
const char *pt_first_failure(void);
/* test @name begins: its failed checks and first failure start from nothing */
void pt_begin(const char *name);
/*
 * pt_abort() - the running test fails at once: its result (the first failed
 * check's message), the plan, exit(1).  For a check that cannot go on.
 */
void pt_abort(void) __attribute__((noreturn));

/* ---- results ---- */

enum pt_status { PT_PASS, PT_FAIL, PT_SKIP };

/*
 * results-LAYER.txt: where pt_result() also writes (0, or -errno); @append
 * where a guest script adds lines of its own to the same file
 */
int pt_results_open(const char *path, bool append);
/* its file descriptor, -1 if none: for a signal handler's last line (dprintf) */
int pt_results_fd(void);
/*
 * pt_result() - the result of one test: TAP on stdout ("ok N - NAME",
 * "not ok N - NAME", "ok N - NAME # SKIP WHY", the detail as a "# " line),
 * and "PASS|FAIL|SKIP NAME [DETAIL]" into the results file.  For a FAIL
 * without @fmt the reason is the first failed check's.
 */
void pt_result(enum pt_status st, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* the result of the running test from its checks (PASS, or FAIL with the first reason) */
void pt_result_checks(const char *name);
/*
 * pt_tap_stdout() - stdout carries TAP alone (a meson test with the TAP
 * protocol): what else the program prints on stdout goes to stderr.
 */
void pt_tap_stdout(void);
/* a whole program that skips: TAP's "1..0 # SKIP WHY" */
void pt_skip_all(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* the TAP plan, the results file closed; 0 if no test failed, else 1 */
int pt_done(void);
/* the tests that failed so far */
int pt_failed_tests(void);

#endif /* PHYR_TEST_H */
