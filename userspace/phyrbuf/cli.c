// SPDX-License-Identifier: MIT
/*
 * phyrbuf: what the CLI's commands share (cli.h): the one way to report a
 * failure or a usage error, the option loop, and the parsing of numbers,
 * sizes and the options several commands take.
 *
 * Copyright 2026 The phyr developers
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void cli_opts_begin(void)
{
	optind = 1;
	opterr = 0;
}

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *opts,
	       const char *cmd, const char *usage, int *status)
{
	int c = getopt_long(argc, argv, shortopts, opts, NULL);

	switch (c) {
	case 'h':
		fputs(usage, stdout);
		*status = 0;
		return CLI_EXIT;
	case ':':
		*status = usage_error("%s: option '%s' needs an argument", cmd,
				      argv[optind - 1]);
		return CLI_EXIT;
	case '?':
		*status = usage_error("%s: bad option '%s'", cmd, argv[optind - 1]);
		return CLI_EXIT;
	default:
		return c;
	}
}

bool cli_no_args(int argc, char **argv, int *status)
{
	if (optind >= argc)
		return false;
	*status = usage_error("unexpected argument '%s'", argv[optind]);
	return true;
}

int opt_placement(const char *arg, enum phyrbuf_placement *placement)
{
	if (phyrbuf_placement_parse(arg, placement))
		return usage_error("bad placement '%s'", arg);
	return 0;
}

int opt_device(const char *arg, int *index)
{
	if (!parse_index(arg, index))
		return usage_error("bad device index '%s'", arg);
	return 0;
}
