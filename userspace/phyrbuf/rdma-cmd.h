/* SPDX-License-Identifier: MIT */
/*
 * phyrbuf rdma: the CLI's RDMA commands (rdma-cmd.c), built with rdma-core.
 *
 * Copyright 2026 The phyr developers
 */
#ifndef PHYRBUF_RDMA_CMD_H
#define PHYRBUF_RDMA_CMD_H

int cmd_rdma(int argc, char **argv);

#endif
