// SPDX-License-Identifier: MIT
/*
 * phyrbuf: what the CLI's commands share (cli.h): the one way to report a
 * failure or a usage error, and the parsing of numbers and sizes.
 *
 * Copyright 2026 The phyr developers
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

/* One line on stderr: "phyrbuf: " FMT SUFFIX */
static void report(const char *suffix, const char *fmt, va_list ap)
{
	fputs("phyrbuf: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(suffix, stderr);
}

/* Returns the exit status for failures. */
int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report("\n", fmt, ap);
	va_end(ap);
	return 1;
}

/* Returns the exit status for usage errors. */
int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(" (see phyrbuf --help)\n", fmt, ap);
	va_end(ap);
	return 2;
}

/* "64M" -> 67108864; false for anything else or on overflow. */
bool parse_size(const char *s, uint64_t *size)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	default:
		return false;
	}
	if (*end && end[1])
		return false;
	if (shift && v > (UINT64_MAX >> shift))
		return false;
	*size = (uint64_t)v << shift;
	return true;
}

bool parse_uint(const char *s, long max, long *out)
{
	long v;
	char *end;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max)
		return false;
	*out = v;
	return true;
}

bool parse_index(const char *s, int *index)
{
	long v;

	if (!parse_uint(s, 1000, &v))
		return false;
	*index = (int)v;
	return true;
}
