/* SPDX-License-Identifier: MIT */
/*
 * phyrbuf: what the CLI's commands share (cli.c) and the commands of the
 * other files (phyrbuf.c dispatches them).
 *
 * Copyright 2026 The phyr developers
 */
#ifndef PHYRBUF_CLI_H
#define PHYRBUF_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "phyrbuf.h"

/* one line "phyrbuf: ..." on stderr; return 1 (failure) or 2 (usage error) */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* SIZE with an optional K, M or G suffix; a number 0..MAX; a device index */
bool parse_size(const char *s, uint64_t *size);
bool parse_uint(const char *s, long max, long *out);
bool parse_index(const char *s, int *index);

/*
 * The option loop every command shares:
 *
 *	cli_opts_begin();
 *	while ((c = cli_getopt(argc, argv, ":h", opts, "CMD", usage, &status)) != -1) {
 *		switch (c) {
 *		case CLI_EXIT:
 *			return status;
 *		case ...: the command's own options
 *		}
 *	}
 *	if (cli_no_args(argc, argv, &status))
 *		return status;
 *
 * cli_getopt() is getopt_long() that handles what is the same everywhere:
 * 'h' (--help) prints @usage on stdout and exits 0; a missing argument or an
 * unknown option is a usage error naming @cmd.  It returns CLI_EXIT with
 * the exit status in *@status for those.
 */
#define CLI_EXIT	0x10000
struct option;
void cli_opts_begin(void);
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *opts,
	       const char *cmd, const char *usage, int *status);
/* true (with the usage error in *@status) if arguments are left after the options */
bool cli_no_args(int argc, char **argv, int *status);
/* the options several commands take: 0, or the usage error (2) */
int opt_placement(const char *arg, enum phyrbuf_placement *placement);
int opt_device(const char *arg, int *index);

int cmd_vfio_dma(int argc, char **argv);
int cmd_devmem_send(int argc, char **argv);
int cmd_devmem_recv(int argc, char **argv);

#endif /* PHYRBUF_CLI_H */
