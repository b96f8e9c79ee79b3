// SPDX-License-Identifier: MIT
/*
 * phyr_vgem on QEMU's ivshmem-plain: a device with device memory (its BAR2,
 * without struct page), from probe to hot-unplug.
 *
 * Copyright 2026 The phyr developers
 */

#include <linux/cgroup_dmem.h>
#include <linux/io.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>

#include <drm/drm_drv.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#include "phyr_vgem_drv.h"

static void phyr_vgem_vram_fini(struct drm_device *drm, void *data)
{
	struct phyr_vgem_vram *vram = data;

	gpu_buddy_fini(&vram->mm);
	mutex_destroy(&vram->lock);
}

static int phyr_vgem_pci_probe(struct pci_dev *pdev,
			       const struct pci_device_id *id)
{
	struct dmem_cgroup_init cg = {};
	struct phyr_vgem_device *vdev;
	struct phyr_vgem_vram *vram;
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	if (!(pci_resource_flags(pdev, PHYR_VGEM_BAR) & IORESOURCE_MEM) ||
	    pci_resource_len(pdev, PHYR_VGEM_BAR) < PAGE_SIZE)
		return -ENODEV;
	ret = pcim_p2pdma_init(pdev);
	if (ret)
		return ret;

	vdev = devm_drm_dev_alloc(&pdev->dev, &phyr_vgem_driver,
				  struct phyr_vgem_device, drm);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);
	vram = drmm_kzalloc(&vdev->drm, sizeof(*vram), GFP_KERNEL);
	if (!vram)
		return -ENOMEM;
	vram->pdev = pdev;
	vram->base = pci_resource_start(pdev, PHYR_VGEM_BAR);
	vram->size = rounddown_pow_of_two(pci_resource_len(pdev, PHYR_VGEM_BAR));
	vram->provider = pcim_p2pdma_provider(pdev, PHYR_VGEM_BAR);
	if (!vram->provider)
		return -ENODEV;
	vram->va = devm_ioremap_wc(&pdev->dev, vram->base, vram->size);
	if (!vram->va)
		return -ENOMEM;
	mutex_init(&vram->lock);
	ret = gpu_buddy_init(&vram->mm, vram->size, PAGE_SIZE);
	if (ret)
		return ret;
	gpu_buddy_driver_set_lock(&vram->mm, &vram->lock);
	ret = drmm_add_action_or_reset(&vdev->drm, phyr_vgem_vram_fini, vram);
	if (ret)
		return ret;
	/* device memory is charged to the allocating task's dmem cgroup */
	cg.size = vram->size;
	vram->cg = drmm_cgroup_register_region(&vdev->drm, "vram", &cg);
	if (IS_ERR(vram->cg))
		return PTR_ERR(vram->cg);
	vdev->vram = vram;
	ret = phyr_vgem_device_init(vdev);
	if (ret)
		return ret;

	ret = drm_dev_register(&vdev->drm, 0);
	if (ret)
		return ret;
	pci_set_drvdata(pdev, vdev);
	drm_info(&vdev->drm, "device memory: %llu MiB of BAR%d at %pa\n",
		 vram->size >> 20, PHYR_VGEM_BAR, &vram->base);
	return 0;
}

/**
 * DOC: phyr_vgem hot-unplug
 *
 * The BAR's mapping and its P2P provider are device-managed: they go away
 * right after remove() returns, while importers may hold the provider and the
 * BAR's addresses.  So remove() first unplugs the DRM device: new ioctls fail
 * with -ENODEV (the DRM core checks), those in flight and faults in flight
 * finish (drm_dev_enter() sections), and CPU mappings of GEM mmaps are
 * zapped; faults then find the device gone and raise SIGBUS.  Then it
 * revokes every buffer it exported (phyr_vgem_revoke_all()): importers are
 * told, fences and their unmaps are waited for, at most
 * %PHYR_VGEM_REVOKE_TIMEOUT per buffer, and dma-buf mmaps are zapped.  Only
 * then does devres unmap the BAR.  The buffers themselves and their
 * (now unreachable) device memory live until their last reference goes.
 */
static void phyr_vgem_pci_remove(struct pci_dev *pdev)
{
	struct phyr_vgem_device *vdev = pci_get_drvdata(pdev);

	drm_dev_unplug(&vdev->drm);
	phyr_vgem_revoke_all(vdev);
}

static const struct pci_device_id phyr_vgem_pci_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_REDHAT_QUMRANET, 0x1110) },	/* ivshmem */
	{ }
};
MODULE_DEVICE_TABLE(pci, phyr_vgem_pci_ids);

struct pci_driver phyr_vgem_pci_driver = {
	.name = "phyr_vgem",
	.id_table = phyr_vgem_pci_ids,
	.probe = phyr_vgem_pci_probe,
	.remove = phyr_vgem_pci_remove,
};

/**
 * phyr_vgem_is_pci_device() - whether a device is a phyr_vgem with a BAR
 * @dev: any device
 *
 * Context: Any context.
 * Return: true for the PCI devices phyr_vgem drives (and so for the peers
 * of its private interconnect).
 */
bool phyr_vgem_is_pci_device(struct device *dev)
{
	return dev_is_pci(dev) && to_pci_dev(dev)->driver == &phyr_vgem_pci_driver;
}
