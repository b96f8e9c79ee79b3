// SPDX-License-Identifier: MIT
/*
 * phyr-test: checks and results of the userspace test programs (phyr-test.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "phyr-test.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int failures;		/* failed checks of the running test */
static char first[512];			/* the first one's message */
static FILE *results;
static FILE *tap;			/* TAP: stdout, or its copy */
static char current[256];		/* the running test (pt_begin()) */
static int tests, failed_tests;

void pt_fail(const char *file, int line, const char *fmt, ...)
{
	char msg[sizeof(first)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&lock);
	if (!atomic_fetch_add(&failures, 1))
		snprintf(first, sizeof(first), "%s", msg);
	fprintf(stderr, "CHECK FAILED: %s (%s:%d)\n", msg, file, line);
	fflush(stderr);
	pthread_mutex_unlock(&lock);
}

int pt_failures(void)
{
	return atomic_load(&failures);
}

const char *pt_first_failure(void)
{
	return first;
}

void pt_begin(const char *name)
{
	pthread_mutex_lock(&lock);
	snprintf(current, sizeof(current), "%s", name ? name : "");
	atomic_store(&failures, 0);
	first[0] = 0;
	pthread_mutex_unlock(&lock);
}

int pt_results_open(const char *path, bool append)
{
	results = fopen(path, append ? "a" : "w");
	return results ? 0 : -errno;
}

int pt_results_fd(void)
{
	return results ? fileno(results) : -1;
}

void pt_tap_stdout(void)
{
	int fd;

	fflush(stdout);
	fd = dup(STDOUT_FILENO);
	tap = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!tap) {
		tap = stdout;
		return;
	}
	dup2(STDERR_FILENO, STDOUT_FILENO);
}

static FILE *tap_out(void)
{
	return tap ? tap : stdout;
}

/* one line, no newline in it: a reason may hold one (an error message) */
static void flatten(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

static void vresult(enum pt_status st, const char *name, const char *fmt, va_list ap)
{
	static const char *const word[] = { "PASS", "FAIL", "SKIP" };
	char detail[4096] = "";

	if (fmt)
		vsnprintf(detail, sizeof(detail), fmt, ap);
	else if (st == PT_FAIL)
		snprintf(detail, sizeof(detail), "%s", *first ? first : "failed");
	flatten(detail);
	pthread_mutex_lock(&lock);
	tests++;
	if (st == PT_FAIL)
		failed_tests++;
	if (st == PT_SKIP)
		fprintf(tap_out(), "ok %d - %s # SKIP %s\n", tests, name, detail);
	else
		fprintf(tap_out(), "%s %d - %s\n%s%s%s", st == PT_FAIL ? "not ok" : "ok", tests,
			name, *detail ? "# " : "", detail, *detail ? "\n" : "");
	fflush(tap_out());
	if (results) {
		fprintf(results, "%s %s%s%s\n", word[st], name, *detail ? " " : "", detail);
		fflush(results);
	}
	pthread_mutex_unlock(&lock);
}

void pt_result(enum pt_status st, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vresult(st, name, fmt, ap);
	va_end(ap);
}

void pt_result_checks(const char *name)
{
	pt_result(pt_failures() ? PT_FAIL : PT_PASS, name, NULL);
}

void pt_skip_all(const char *fmt, ...)
{
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	flatten(why);
	fprintf(tap_out(), "1..0 # SKIP %s\n", why);
	fflush(tap_out());
}

void pt_abort(void)
{
	pt_result(PT_FAIL, *current ? current : "?", NULL);
	pt_done();
	exit(1);
}

int pt_failed_tests(void)
{
	return failed_tests;
}

int pt_done(void)
{
	fprintf(tap_out(), "1..%d\n", tests);
	fflush(tap_out());
	if (results) {
		fclose(results);
		results = NULL;
	}
	return failed_tests ? 1 : 0;
}
