/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * phyr and the CPU's page tables: populate a VMA from a physical range list.
 *
 * Copyright 2026 The phyr developers
 */
#ifndef _LINUX_PHYR_MM_H
#define _LINUX_PHYR_MM_H

#include <linux/mm_types.h>
#include <linux/types.h>

struct phyr;

vm_fault_t phyr_vmf_insert_pfn(struct vm_fault *vmf, const struct phyr *phyr,
			       u64 offset);

#endif /* _LINUX_PHYR_MM_H */
