// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit helpers for the QEMU test bed's PCI devices: borrow edu for real DMA
 * and ivshmem-plain's BAR2 as a P2P provider.  Both have no driver at boot;
 * the tests take them for their own lifetime and give them back.
 *
 * Copyright 2026 The phyr developers
 */

#include <kunit/device.h>
#include <kunit/phyr_pci.h>
#include <kunit/test.h>
#include <kunit/visibility.h>

#include <linux/moduleparam.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/string.h>

#include "phyr_edu.h"

/* QEMU's ivshmem-plain */
#define IVSHMEM_VENDOR	0x1af4
#define IVSHMEM_DEVICE	0x1110

/**
 * phyr_kunit_dma_device() - a DMA-capable device on the KUnit bus
 * @test: the test, which owns the device
 * @name: its name
 * @dma_bits: the width of its DMA mask
 *
 * With what a real DMA device declares (a DMA mask and a maximum segment
 * size, which DMA-API debug checks), and no IOMMU: dma-direct maps for it.
 *
 * Return: the device.
 */
struct device *phyr_kunit_dma_device(struct kunit *test, const char *name,
				     unsigned int dma_bits)
{
	struct device_dma_parameters *parms;
	struct device *dev;

	dev = kunit_device_register(test, name);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dev));
	parms = kunit_kzalloc(test, sizeof(*parms), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, parms);
	dev->dma_parms = parms;
	dma_set_max_seg_size(dev, UINT_MAX);
	KUNIT_ASSERT_EQ(test, dma_coerce_mask_and_coherent(dev, DMA_BIT_MASK(dma_bits)), 0);
	return dev;
}
EXPORT_SYMBOL_IF_KUNIT(phyr_kunit_dma_device);

/* what phyr_kunit_edu_get() hands out: the test's view of a borrowed edu */
struct kunit_edu {
	struct phyr_kunit_edu pub;
	struct phyr_edu edu;
};

static void edu_release(void *data)
{
	struct kunit_edu *kedu = data;

	phyr_edu_put(&kedu->edu);
}

/**
 * phyr_kunit_edu_get() - borrow edu for the rest of a test
 * @test: the test
 *
 * Skips @test when there is no edu or a driver holds it; enables it, makes it
 * bus master with a 64-bit DMA mask (phyr_edu_get()), and gives it back when
 * @test ends.
 *
 * Return: the borrowed device.
 */
struct phyr_kunit_edu *phyr_kunit_edu_get(struct kunit *test)
{
	struct kunit_edu *kedu = kunit_kzalloc(test, sizeof(*kedu), GFP_KERNEL);
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, kedu);
	ret = phyr_edu_get(&kedu->edu);
	if (ret == -ENODEV)
		kunit_skip(test, "no edu device (QEMU -device edu)");
	if (ret == -EBUSY)
		kunit_skip(test, "edu is bound to a driver");
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "cannot borrow edu");
	kedu->pub.pdev = kedu->edu.pdev;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, edu_release, kedu), 0);
	return &kedu->pub;
}
EXPORT_SYMBOL_IF_KUNIT(phyr_kunit_edu_get);

static void edu_put(void *data)
{
	pci_dev_put(data);
}

/**
 * phyr_kunit_edu_dev() - edu's device, for a test that maps but never DMAs
 * @test: the test
 *
 * Skips @test like phyr_kunit_edu_get(), but neither enables edu nor maps its
 * registers (which together take about a second under TCG): enough for tests
 * of DMA mapping behind the IOMMU that start no transfer.
 *
 * Context: Process context.
 * Return: edu's &struct device, referenced until @test ends.
 */
struct device *phyr_kunit_edu_dev(struct kunit *test)
{
	struct pci_dev *pdev = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);

	if (!pdev)
		kunit_skip(test, "no edu device (QEMU -device edu)");
	if (pdev->dev.driver) {
		pci_dev_put(pdev);
		kunit_skip(test, "edu is bound to a driver");
	}
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, edu_put, pdev), 0);
	return &pdev->dev;
}
EXPORT_SYMBOL_IF_KUNIT(phyr_kunit_edu_dev);

/**
 * phyr_kunit_edu_dma() - one transfer by edu's DMA engine
 * @edu: the borrowed device
 * @addr: the DMA address on the host side
 * @buf_off: the offset in edu's own buffer
 * @len: bytes to move, at most %PHYR_EDU_MAX_XFER - @buf_off
 * @to_ram: true to move from edu's buffer to @addr, false the other way
 *
 * Context: Process context; sleeps while it polls.
 * Return: 0, -EINVAL for a transfer edu cannot do, or -ETIMEDOUT if the
 * engine did not finish within 3 seconds (phyr_edu_dma()).
 */
int phyr_kunit_edu_dma(struct phyr_kunit_edu *edu, dma_addr_t addr,
		       u32 buf_off, u32 len, bool to_ram)
{
	struct kunit_edu *kedu = container_of(edu, struct kunit_edu, pub);

	return phyr_edu_dma(&kedu->edu, addr, buf_off, len, to_ram);
}
EXPORT_SYMBOL_IF_KUNIT(phyr_kunit_edu_dma);

/**
 * phyr_kunit_dev_translated() - whether a device's DMA goes through IOMMU paging
 * @dev: the device
 *
 * Return: true when @dev sits in a translating (paging) IOMMU domain, false
 * without an IOMMU or in an identity domain.
 */
bool phyr_kunit_dev_translated(struct device *dev)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);

	return domain && (domain->type & __IOMMU_DOMAIN_PAGING);
}
EXPORT_SYMBOL_IF_KUNIT(phyr_kunit_dev_translated);

/**
 * phyr_kunit_iova_to_phys() - where a device's IOMMU domain maps an IOVA
 * @dev: the device
 * @iova: a DMA address of @dev
 *
 * Context: Any context.
 * Return: the CPU physical address that @iova translates to in @dev's
 * translating (paging) IOMMU domain; 0 if it is not mapped, or @dev sits in
 * no such domain.
 */
phys_addr_t phyr_kunit_iova_to_phys(struct device *dev, dma_addr_t iova)
{
	if (!phyr_kunit_dev_translated(dev))
		return 0;
	return iommu_iova_to_phys(iommu_get_domain_for_dev(dev), iova);
}
EXPORT_SYMBOL_IF_KUNIT(phyr_kunit_iova_to_phys);

/**
 * phyr_kunit_edu_translated() - whether edu's DMA goes through IOMMU paging
 * @edu: the borrowed device
 *
 * Return: true when edu sits in a translating (paging) IOMMU domain, false
 * without an IOMMU or in an identity domain.
 */
bool phyr_kunit_edu_translated(struct phyr_kunit_edu *edu)
{
	return phyr_kunit_dev_translated(&edu->pdev->dev);
}
EXPORT_SYMBOL_IF_KUNIT(phyr_kunit_edu_translated);

struct ivshmem_borrow {
	struct pci_dev *pdev;
	void *group;
};

static void ivshmem_put(void *data)
{
	pci_dev_put(data);
}

static void ivshmem_release(void *data)
{
	struct ivshmem_borrow *b = data;

	devres_release_group(&b->pdev->dev, b->group);
	pci_dev_put(b->pdev);
}

/**
 * phyr_kunit_ivshmem_get() - the @nth ivshmem-plain of the test bed
 * @nth: counted from 0: first those behind a PCIe switch, then those on the
 *	root bus, each in PCI device order
 *
 * In the switch boot, device 0 is the ivshmem that shares the switch with
 * edu (phyr_kunit_topology()).
 *
 * Return: the device with a reference (pci_dev_put() it), or NULL.
 */
struct pci_dev *phyr_kunit_ivshmem_get(unsigned int nth)
{
	struct pci_dev *pdev;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		pdev = NULL;
		while ((pdev = pci_get_device(IVSHMEM_VENDOR, IVSHMEM_DEVICE, pdev))) {
			/* pass 0: behind a switch (not on a root bus) */
			if (pci_is_root_bus(pdev->bus) != !!pass)
				continue;
			if (!nth--)
				return pdev;
		}
	}
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(phyr_kunit_ivshmem_get);

/**
 * phyr_kunit_ivshmem_provider_nth() - an ivshmem's BAR2 as a P2P provider
 * @test: the test
 * @nth: which ivshmem-plain, as phyr_kunit_ivshmem_get() counts
 * @pdev: where to store the device (valid until @test ends)
 *
 * Skips @test when there is no such ivshmem-plain.  If a driver holds it, its
 * provider is used (the driver must have called pcim_p2pdma_init()).
 * Otherwise the provider lives in a devres group released when @test ends,
 * so that no resources stay on a device without a driver.
 *
 * Return: the provider of BAR %PHYR_KUNIT_IVSHMEM_BAR.
 */
struct p2pdma_provider *phyr_kunit_ivshmem_provider_nth(struct kunit *test,
							unsigned int nth,
							struct pci_dev **pdev)
{
	struct ivshmem_borrow *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	struct p2pdma_provider *provider;

	KUNIT_ASSERT_NOT_NULL(test, b);
	b->pdev = phyr_kunit_ivshmem_get(nth);
	if (!b->pdev)
		kunit_skip(test, "no ivshmem device %u (QEMU -device ivshmem-plain)",
			   nth);
	if (b->pdev->dev.driver) {
		/* its driver set up P2P (phyr_vgem does): use its provider */
		provider = pcim_p2pdma_provider(b->pdev, PHYR_KUNIT_IVSHMEM_BAR);
		if (!provider) {
			pci_dev_put(b->pdev);
			kunit_skip(test, "ivshmem's driver is no P2P provider");
		}
		KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, ivshmem_put, b->pdev), 0);
		*pdev = b->pdev;
		return provider;
	}
	b->group = devres_open_group(&b->pdev->dev, NULL, GFP_KERNEL);
	if (!b->group) {
		pci_dev_put(b->pdev);
		KUNIT_FAIL_AND_ABORT(test, "no devres group");
	}
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, ivshmem_release, b), 0);
	KUNIT_ASSERT_EQ(test, pcim_p2pdma_init(b->pdev), 0);
	provider = pcim_p2pdma_provider(b->pdev, PHYR_KUNIT_IVSHMEM_BAR);
	devres_close_group(&b->pdev->dev, b->group);
	KUNIT_ASSERT_NOT_NULL(test, provider);
	*pdev = b->pdev;
	return provider;
}
EXPORT_SYMBOL_IF_KUNIT(phyr_kunit_ivshmem_provider_nth);

/**
 * phyr_kunit_ivshmem_provider() - the first ivshmem's BAR2 as a P2P provider
 * @test: the test
 * @pdev: where to store the device (valid until @test ends)
 *
 * phyr_kunit_ivshmem_provider_nth() of ivshmem 0: behind the switch, if
 * there is one.
 *
 * Return: the provider of BAR %PHYR_KUNIT_IVSHMEM_BAR.
 */
struct p2pdma_provider *phyr_kunit_ivshmem_provider(struct kunit *test,
						    struct pci_dev **pdev)
{
	return phyr_kunit_ivshmem_provider_nth(test, 0, pdev);
}
EXPORT_SYMBOL_IF_KUNIT(phyr_kunit_ivshmem_provider);

/* phyr.topology= on the kernel command line: what the test bed booted */
#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "phyr."
static char phyr_kunit_topology_arg[16];
module_param_string(topology, phyr_kunit_topology_arg, sizeof(phyr_kunit_topology_arg), 0444);
MODULE_PARM_DESC(topology,
		 "the PCI topology of the test bed's boot: root, switch or hostbridge");

static const char *const topology_names[] = {
	[PHYR_KUNIT_ROOT] = "root",
	[PHYR_KUNIT_SWITCH] = "switch",
	[PHYR_KUNIT_HOST_BRIDGE] = "hostbridge",
};

/**
 * phyr_kunit_topology() - the PCI topology this boot says it has
 * @test: the test
 *
 * The test bed (scripts/vm.sh) boots with ``phyr.topology=root`` (edu and the
 * ivshmem devices on q35's root bus, where P2P between them is refused),
 * ``phyr.topology=switch`` (edu and the first ivshmem behind one PCIe switch,
 * where P2P goes by bus address; the second ivshmem on the root bus) or
 * ``phyr.topology=hostbridge`` (the devices of root, with an AMD Zen CPU
 * model: 7.3 then whitelists the host bridge, and P2P from either ivshmem to
 * edu goes through it, mapped by the IOMMU).  Tests assert what the topology
 * must give, not what the code computes.  Fails @test when the boot said
 * nothing.
 *
 * Context: Process context.
 * Return: the topology.
 */
enum phyr_kunit_topology phyr_kunit_topology(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(topology_names); i++)
		if (!strcmp(phyr_kunit_topology_arg, topology_names[i]))
			return i;
	KUNIT_FAIL_AND_ABORT(test, "boot without phyr.topology=root|switch|hostbridge ('%s')",
			     phyr_kunit_topology_arg);
	return PHYR_KUNIT_ROOT;
}
EXPORT_SYMBOL_IF_KUNIT(phyr_kunit_topology);

/**
 * phyr_kunit_p2p_expected() - how edu must reach an ivshmem's BAR, by topology
 * @test: the test
 * @nth: which ivshmem-plain, as phyr_kunit_ivshmem_get() counts
 *
 * What the booted topology must give as pci_p2pdma_map_type() of ivshmem
 * @nth's BAR for edu, from phyr_kunit_topology() alone: on q35's root bus
 * nothing (%PCI_P2PDMA_MAP_NOT_SUPPORTED); behind the switch the first
 * ivshmem by bus address (%PCI_P2PDMA_MAP_BUS_ADDR) and the second, on the
 * root bus, not at all; with the host bridge whitelisted both through it
 * (%PCI_P2PDMA_MAP_THRU_HOST_BRIDGE).
 *
 * Context: Process context.
 * Return: the map type the topology must give.
 */
enum pci_p2pdma_map_type phyr_kunit_p2p_expected(struct kunit *test,
						 unsigned int nth)
{
	switch (phyr_kunit_topology(test)) {
	case PHYR_KUNIT_SWITCH:
		return nth ? PCI_P2PDMA_MAP_NOT_SUPPORTED : PCI_P2PDMA_MAP_BUS_ADDR;
	case PHYR_KUNIT_HOST_BRIDGE:
		return PCI_P2PDMA_MAP_THRU_HOST_BRIDGE;
	case PHYR_KUNIT_ROOT:
	default:
		return PCI_P2PDMA_MAP_NOT_SUPPORTED;
	}
}
EXPORT_SYMBOL_IF_KUNIT(phyr_kunit_p2p_expected);
