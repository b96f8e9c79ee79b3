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

/* one line "phyrbuf: ..." on stderr; return 1 (failure) or 2 (usage error) */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* SIZE with an optional K, M or G suffix; a number 0..MAX; a device index */
bool parse_size(const char *s, uint64_t *size);
bool parse_uint(const char *s, long max, long *out);
bool parse_index(const char *s, int *index);

int cmd_vfio_dma(int argc, char **argv);
int cmd_devmem_send(int argc, char **argv);
int cmd_devmem_recv(int argc, char **argv);

#endif /* PHYRBUF_CLI_H */
