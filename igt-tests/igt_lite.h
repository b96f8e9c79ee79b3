/* SPDX-License-Identifier: MIT */
/*
 * igt_lite.h - the small part of the IGT test API that phyr's tests use.
 *
 * Debian ships libigt.so without its headers. This header declares the
 * libigt entry points that IGT's core macros expand to and defines those
 * macros on top of them, so a test written against it links with -ligt and
 * behaves like any IGT test (subtest listing, output format, exit codes).
 *
 * Copyright 2026 The phyr developers
 */

#ifndef PHYR_IGT_LITE_H
#define PHYR_IGT_LITE_H

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- libigt entry points (igt-gpu-tools 1.27.1 ABI) ---- */

enum igt_log_level {
	IGT_LOG_DEBUG,
	IGT_LOG_INFO,
	IGT_LOG_WARN,
	IGT_LOG_CRITICAL,
	IGT_LOG_NONE,
};

typedef int (*igt_opt_handler_t)(int opt, int opt_index, void *data);

extern jmp_buf igt_subtest_jmpbuf;
extern enum igt_log_level igt_log_level;
extern int (*igt_ioctl)(int fd, unsigned long request, void *arg);

int igt_subtest_init_parse_opts(int *argc, char **argv, const char *extra_short_opts,
				const struct option *extra_long_opts, const char *help_str,
				igt_opt_handler_t extra_opt_handler, void *handler_data);
bool __igt_fixture(void);
void __igt_fixture_complete(void);
bool __igt_run_subtest(const char *subtest_name, const char *file, const int line);
void __igt_subtest_group_save(int *save, int *desc);
void __igt_subtest_group_restore(int save, int desc);
void igt_describe_f(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void igt_success(void);
void igt_exit(void) __attribute__((noreturn));
void igt_fail(int exitcode) __attribute__((noreturn));
const char *igt_subtest_name(void);
bool igt_only_list_subtests(void);

void igt_skip(const char *f, ...) __attribute__((format(printf, 1, 2), noreturn));
void __igt_skip_check(const char *file, const int line, const char *func, const char *check,
		      const char *format, ...)
	__attribute__((format(printf, 5, 6), noreturn));
void __igt_fail_assert(const char *domain, const char *file, const int line, const char *func,
		       const char *assertion, const char *format, ...)
	__attribute__((format(printf, 6, 7), noreturn));
void igt_log(const char *domain, enum igt_log_level level, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

/* drmtest / ioctl wrappers; the non-__ variants skip or fail on error. */
#define DRIVER_VGEM	(1 << 2)
#define DRIVER_ANY	(~DRIVER_VGEM)
int drm_open_driver(int chipset);
int __drm_open_driver(int chipset);
int drm_open_driver_render(int chipset);
int __drm_open_driver_render(int chipset);
void __set_forced_driver(const char *name);
void gem_close(int fd, uint32_t handle);
int prime_handle_to_fd(int fd, uint32_t handle);
uint32_t prime_fd_to_handle(int fd, int dma_buf_fd);

/* ---- test structure ---- */

#define __igt_cat2(a, b)	a##b
#define __igt_cat(a, b)		__igt_cat2(a, b)
#define __igt_unique(name)	__igt_cat(name, __LINE__)

/* Description of the whole binary, shown by --help-description. */
#define IGT_TEST_DESCRIPTION(str)	const char *__igt_test_description = str

/* main(): parse IGT's options, run the body, report and exit. */
#define igt_main \
	static void __igt_real_main(void); \
	int main(int argc, char **argv) \
	{ \
		igt_subtest_init_parse_opts(&argc, argv, NULL, NULL, NULL, NULL, NULL); \
		__igt_real_main(); \
		igt_exit(); \
	} \
	static void __igt_real_main(void)

/* Setup/teardown code; runs once unless everything is skipped or listed. */
#define igt_fixture \
	for (volatile int __igt_unique(__fix) = 0; \
	     __igt_unique(__fix) < 1 && __igt_fixture() && \
	     sigsetjmp(igt_subtest_jmpbuf, 1) == 0; \
	     __igt_unique(__fix)++, __igt_fixture_complete())

/* A named subtest; never leave its body with break, return or goto. */
#define igt_subtest(name) \
	for (; __igt_run_subtest((name), __FILE__, __LINE__) && \
	       sigsetjmp(igt_subtest_jmpbuf, 1) == 0; \
	     igt_success())

#define igt_subtest_f(...) \
	for (char __igt_unique(__name)[256]; \
	     snprintf(__igt_unique(__name), sizeof(__igt_unique(__name)), __VA_ARGS__), \
	     __igt_run_subtest(__igt_unique(__name), __FILE__, __LINE__) && \
	     sigsetjmp(igt_subtest_jmpbuf, 1) == 0; \
	     igt_success())

/* Scope for fixtures whose skips only affect the subtests in the group. */
#define igt_subtest_group \
	for (int __igt_unique(__grp) = 0, __igt_unique(__save) = 0, __igt_unique(__desc) = 0; \
	     __igt_unique(__grp) < 1 && \
	     (__igt_subtest_group_save(&__igt_unique(__save), &__igt_unique(__desc)), true); \
	     __igt_unique(__grp)++, \
	     __igt_subtest_group_restore(__igt_unique(__save), __igt_unique(__desc)))

/* Documents the next subtest (or group). */
#define igt_describe(str)	igt_describe_f("%s", (str))

/* ---- logging ---- */

#define igt_debug(...)	igt_log(NULL, IGT_LOG_DEBUG, __VA_ARGS__)
#define igt_info(...)	igt_log(NULL, IGT_LOG_INFO, __VA_ARGS__)
#define igt_warn(...)	igt_log(NULL, IGT_LOG_WARN, __VA_ARGS__)

/* ---- assertions: fail the current subtest ---- */

#define igt_assert(expr) do { \
	if (!(expr)) \
		__igt_fail_assert(NULL, __FILE__, __LINE__, __func__, #expr, NULL); \
} while (0)

#define igt_assert_f(expr, ...) do { \
	if (!(expr)) \
		__igt_fail_assert(NULL, __FILE__, __LINE__, __func__, #expr, __VA_ARGS__); \
} while (0)

#define igt_fail_on(expr)		igt_assert(!(expr))
#define igt_fail_on_f(expr, ...)	igt_assert_f(!(expr), __VA_ARGS__)

/* Compare two values of type @T, printing both with @fmt on failure. */
#define __igt_assert_cmp(T, fmt, a, op, b) do { \
	T __a = (a), __b = (b); \
	if (!(__a op __b)) \
		__igt_fail_assert(NULL, __FILE__, __LINE__, __func__, #a " " #op " " #b, \
				  "error: " fmt " " #op " " fmt " is false\n", __a, __b); \
} while (0)

#define igt_assert_cmpint(a, op, b)	__igt_assert_cmp(int, "%d", a, op, b)
#define igt_assert_cmpuint(a, op, b)	__igt_assert_cmp(unsigned int, "%#x", a, op, b)
#define igt_assert_cmpu64(a, op, b)	__igt_assert_cmp(uint64_t, "%#" PRIx64, a, op, b)
#define igt_assert_cmps64(a, op, b)	__igt_assert_cmp(int64_t, "%" PRId64, a, op, b)

#define igt_assert_eq(a, b)		igt_assert_cmpint(a, ==, b)
#define igt_assert_neq(a, b)		igt_assert_cmpint(a, !=, b)
#define igt_assert_lt(a, b)		igt_assert_cmpint(a, <, b)
#define igt_assert_lte(a, b)		igt_assert_cmpint(a, <=, b)
#define igt_assert_eq_u32(a, b)		igt_assert_cmpuint(a, ==, b)
#define igt_assert_neq_u32(a, b)	igt_assert_cmpuint(a, !=, b)
#define igt_assert_eq_u64(a, b)		igt_assert_cmpu64(a, ==, b)
#define igt_assert_neq_u64(a, b)	igt_assert_cmpu64(a, !=, b)

/* String equality, printing both strings on failure. */
#define igt_assert_streq(a, b) do { \
	const char *__sa = (a), *__sb = (b); \
	if (strcmp(__sa, __sb)) \
		__igt_fail_assert(NULL, __FILE__, __LINE__, __func__, #a " == " #b, \
				  "error: \"%s\" != \"%s\"\n", __sa, __sb); \
} while (0)

/* ---- requirements: skip the current subtest ---- */

#define igt_require(expr) do { \
	if (!(expr)) \
		__igt_skip_check(__FILE__, __LINE__, __func__, #expr, NULL); \
} while (0)

#define igt_require_f(expr, ...) do { \
	if (!(expr)) \
		__igt_skip_check(__FILE__, __LINE__, __func__, #expr, __VA_ARGS__); \
} while (0)

#define igt_skip_on(expr) do { \
	if ((expr)) \
		__igt_skip_check(__FILE__, __LINE__, __func__, "!(" #expr ")", NULL); \
} while (0)

#define igt_skip_on_f(expr, ...) do { \
	if ((expr)) \
		__igt_skip_check(__FILE__, __LINE__, __func__, "!(" #expr ")", __VA_ARGS__); \
} while (0)

/* ---- ioctl helpers ---- */

/* The ioctl must succeed. */
#define do_ioctl(fd, req, arg) do { \
	igt_assert_f(igt_ioctl((fd), (req), (arg)) == 0, \
		     "%s failed: %s\n", #req, strerror(errno)); \
	errno = 0; \
} while (0)

/* The ioctl must fail with errno @err. */
#define do_ioctl_err(fd, req, arg, err) do { \
	int __ret = igt_ioctl((fd), (req), (arg)); \
	int __err = __ret ? errno : 0; \
	igt_assert_f(__ret == -1 && __err == (err), \
		     "%s returned %d (%s), expected -1 (%s)\n", #req, __ret, \
		     strerror(__err), strerror(err)); \
	errno = 0; \
} while (0)

#endif /* PHYR_IGT_LITE_H */
