// SPDX-License-Identifier: GPL-2.0-only
/*
 * phyr and the CPU's page tables: the fault handler half of mapping a
 * physical range list to userspace, for exporters whose memory has no
 * struct page (a PCI BAR) as well as for RAM.
 *
 * Copyright 2026 The phyr developers
 */

#include <linux/mm.h>
#include <linux/phyr.h>
#include <linux/phyr_mm.h>

/**
 * phyr_vmf_insert_pfn() - fault in one page of a VMA from a phyr
 * @vmf: the fault, on a VM_PFNMAP VMA whose page protection the caller set
 *	(e.g. write-combined for MMIO)
 * @phyr: the ranges backing the VMA's object
 * @offset: the byte offset in @phyr of the faulting page
 *
 * Finds the page at @offset in O(log n) and inserts its pfn at the faulting
 * address with vmf_insert_pfn().  The caller serialises against changes of
 * @phyr (an exporter moving the memory zaps the VMA's PTEs under the same
 * lock, so that the next fault sees the new ranges).
 *
 * Context: A fault handler (&vm_operations_struct.fault): process context,
 * the mmap lock or the VMA lock held for reading.  May sleep (to allocate
 * page tables).
 * Return: VM_FAULT_NOPAGE once the pfn is mapped, VM_FAULT_SIGBUS for an
 * offset beyond @phyr or a range not made of whole pages, or the error of
 * vmf_insert_pfn().
 */
vm_fault_t phyr_vmf_insert_pfn(struct vm_fault *vmf, const struct phyr *phyr,
			       u64 offset)
{
	struct phyr_cursor cur;

	if (!PAGE_ALIGNED(offset) || offset >= phyr_len(phyr))
		return VM_FAULT_SIGBUS;
	if (phyr_cursor_init_range(&cur, phyr, offset, PAGE_SIZE) ||
	    !phyr_cursor_next(&cur))
		return VM_FAULT_SIGBUS;
	if (!PAGE_ALIGNED(cur.phys) || cur.len < PAGE_SIZE)
		return VM_FAULT_SIGBUS;
	return vmf_insert_pfn(vmf->vma, vmf->address, PHYS_PFN(cur.phys));
}
EXPORT_SYMBOL_GPL(phyr_vmf_insert_pfn);
