/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Real PCI devices of the QEMU test bed for KUnit tests of DMA mapping:
 * edu (hw/misc/edu.c), whose DMA engine proves that DMA addresses reach the
 * right bytes, and ivshmem-plain, whose BAR2 serves as a P2P provider.
 *
 * Copyright 2026 The phyr developers
 */
#ifndef _KUNIT_PHYR_PCI_H
#define _KUNIT_PHYR_PCI_H

#include <linux/pci-p2pdma.h>
#include <linux/types.h>

struct device;
struct kunit;
struct p2pdma_provider;
struct pci_dev;

/**
 * struct phyr_kunit_edu - edu, borrowed by a KUnit test
 * @pdev: the PCI device, enabled and bus master for the test's lifetime
 *
 * The helpers behind it are the test bed's (drivers/misc/phyr_testbed/), which
 * holds the one description of edu's registers; a transfer moves at most
 * 4032 bytes (QEMU 7.2 aborts on one of edu's whole 4 KiB buffer).
 */
struct phyr_kunit_edu {
	struct pci_dev *pdev;
};

struct device *phyr_kunit_dma_device(struct kunit *test, const char *name,
				     unsigned int dma_bits);
struct phyr_kunit_edu *phyr_kunit_edu_get(struct kunit *test);
struct device *phyr_kunit_edu_dev(struct kunit *test);
int phyr_kunit_edu_dma(struct phyr_kunit_edu *edu, dma_addr_t addr,
		       u32 buf_off, u32 len, bool to_ram);
bool phyr_kunit_edu_translated(struct phyr_kunit_edu *edu);
bool phyr_kunit_dev_translated(struct device *dev);
phys_addr_t phyr_kunit_iova_to_phys(struct device *dev, dma_addr_t iova);
struct p2pdma_provider *phyr_kunit_ivshmem_provider(struct kunit *test,
						    struct pci_dev **pdev);
struct pci_dev *phyr_kunit_ivshmem_get(unsigned int nth);
struct p2pdma_provider *phyr_kunit_ivshmem_provider_nth(struct kunit *test,
							unsigned int nth,
							struct pci_dev **pdev);

/**
 * enum phyr_kunit_topology - the PCI topology of the test bed's boot
 * @PHYR_KUNIT_ROOT: every device on q35's root bus, whose host bridge is not
 *	whitelisted for P2P
 * @PHYR_KUNIT_SWITCH: edu and the first ivshmem behind one PCIe switch
 * @PHYR_KUNIT_HOST_BRIDGE: every device on q35's root bus, with a CPU model
 *	for which the host bridge is whitelisted for P2P
 */
enum phyr_kunit_topology {
	PHYR_KUNIT_ROOT,
	PHYR_KUNIT_SWITCH,
	PHYR_KUNIT_HOST_BRIDGE,
};

enum phyr_kunit_topology phyr_kunit_topology(struct kunit *test);
enum pci_p2pdma_map_type phyr_kunit_p2p_expected(struct kunit *test,
						 unsigned int nth);

/* ivshmem-plain's shared memory BAR */
#define PHYR_KUNIT_IVSHMEM_BAR	2

#endif /* _KUNIT_PHYR_PCI_H */
