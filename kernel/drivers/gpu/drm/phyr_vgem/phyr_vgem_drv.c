// SPDX-License-Identifier: MIT
/*
 * Copyright 2011 Red Hat, Inc.
 * Copyright © 2014 The Chromium OS Authors
 * Copyright 2026 The phyr developers
 *
 * Derived from drivers/gpu/drm/vgem/vgem_drv.c.
 *
 * Authors:
 *	Adam Jackson <ajax@redhat.com>
 *	Ben Widawsky <ben@bwidawsk.net>
 */

/*
 * phyr_vgem is vgem, a (non-hardware-backed) GEM service, under its own name:
 * shmem-backed GEM objects with dumb buffers, mmap, PRIME and vgem's fence
 * uAPI.  It is the reference exporter of the phyr project, which hands buffers
 * to other devices through dma-buf without scatterlist and without struct page.
 */

#include <linux/dma-buf.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/device/faux.h>

#include <drm/drm_debugfs.h>
#include <drm/drm_drv.h>
#include <drm/drm_dumb_buffers.h>
#include <drm/drm_file.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>
#include <drm/drm_prime.h>

#include <kunit/visibility.h>

#include "phyr_vgem_drv.h"
#include "phyr_vgem_kunit.h"

#define DRIVER_NAME	"phyr_vgem"
#define DRIVER_DESC	"phyr virtual GEM provider"
#define DRIVER_MAJOR	1
#define DRIVER_MINOR	2

/* The one device; visible to the KUnit suite, which runs against it. */
VISIBLE_IF_KUNIT struct phyr_vgem_device *phyr_vgem_device;

static int phyr_vgem_open(struct drm_device *dev, struct drm_file *file)
{
	struct phyr_vgem_file *vfile;
	int ret;

	vfile = kzalloc_obj(*vfile);
	if (!vfile)
		return -ENOMEM;

	file->driver_priv = vfile;

	ret = phyr_vgem_fence_open(vfile);
	if (ret) {
		kfree(vfile);
		return ret;
	}

	return 0;
}

static void phyr_vgem_postclose(struct drm_device *dev, struct drm_file *file)
{
	struct phyr_vgem_file *vfile = file->driver_priv;

	phyr_vgem_fence_close(vfile);
	kfree(vfile);
}

static const struct drm_ioctl_desc phyr_vgem_ioctls[] = {
	DRM_IOCTL_DEF_DRV(PHYR_VGEM_FENCE_ATTACH, phyr_vgem_fence_attach_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(PHYR_VGEM_FENCE_SIGNAL, phyr_vgem_fence_signal_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(PHYR_VGEM_INFO, phyr_vgem_info_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(PHYR_VGEM_BO_CREATE, phyr_vgem_bo_create_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(PHYR_VGEM_BO_QUERY, phyr_vgem_bo_query_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(PHYR_VGEM_BO_MIGRATE, phyr_vgem_bo_migrate_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(PHYR_VGEM_BO_MMAP_OFFSET, phyr_vgem_bo_mmap_offset_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(PHYR_VGEM_BO_RANGES, phyr_vgem_bo_ranges_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(PHYR_VGEM_DMABUF_FLAVOURS, phyr_vgem_dmabuf_flavours_ioctl,
			  DRM_RENDER_ALLOW),
};

DEFINE_DRM_GEM_FOPS(phyr_vgem_driver_fops);

/**
 * phyr_vgem_device_init() - what both kinds of device have
 * @vdev: the device, not yet registered
 *
 * The buffer list and debugfs.
 *
 * Context: Process context.
 * Return: 0 or -ENOMEM.
 */
int phyr_vgem_device_init(struct phyr_vgem_device *vdev)
{
	int ret;

	INIT_LIST_HEAD(&vdev->bos);
	ret = drmm_mutex_init(&vdev->drm, &vdev->bos_lock);
	if (ret)
		return ret;
	drm_debugfs_add_file(&vdev->drm, "buffers", phyr_vgem_debugfs_buffers, NULL);
	return 0;
}

/*
 * vgem's dumb buffers (drm_gem_shmem_dumb_create()'s sizes), made like every
 * other buffer of ours: listed for debugfs and unplug before a handle makes
 * them visible, which another thread could close and reuse at once.
 */
static int phyr_vgem_dumb_create(struct drm_file *file, struct drm_device *dev,
				 struct drm_mode_create_dumb *args)
{
	struct phyr_vgem_bo *bo;
	int ret;

	ret = drm_mode_size_dumb(dev, args, 0, 0);
	if (ret)
		return ret;
	bo = phyr_vgem_bo_create(dev, args->size, PHYR_VGEM_PLACEMENT_SYSTEM, 0);
	if (IS_ERR(bo))
		return PTR_ERR(bo);
	ret = drm_gem_handle_create(file, &bo->shmem.base, &args->handle);
	drm_gem_object_put(&bo->shmem.base);
	return ret;
}

const struct drm_driver phyr_vgem_driver = {
	.driver_features	= DRIVER_GEM | DRIVER_RENDER,
	.open			= phyr_vgem_open,
	.postclose		= phyr_vgem_postclose,
	.ioctls			= phyr_vgem_ioctls,
	.num_ioctls		= ARRAY_SIZE(phyr_vgem_ioctls),
	.fops			= &phyr_vgem_driver_fops,

	.gem_prime_import	= phyr_vgem_prime_import,
	.dumb_create		= phyr_vgem_dumb_create,
	.gem_create_object	= phyr_vgem_gem_create_object,

	.name	= DRIVER_NAME,
	.desc	= DRIVER_DESC,
	.major	= DRIVER_MAJOR,
	.minor	= DRIVER_MINOR,
};

static int __init phyr_vgem_init(void)
{
	struct phyr_vgem_device *vdev;
	struct faux_device *fdev;
	int ret;

	fdev = faux_device_create(DRIVER_NAME, NULL, NULL);
	if (!fdev)
		return -ENODEV;

	if (!devres_open_group(&fdev->dev, NULL, GFP_KERNEL)) {
		ret = -ENOMEM;
		goto out_unregister;
	}

	dma_coerce_mask_and_coherent(&fdev->dev, DMA_BIT_MASK(64));

	vdev = devm_drm_dev_alloc(&fdev->dev, &phyr_vgem_driver,
				  struct phyr_vgem_device, drm);
	if (IS_ERR(vdev)) {
		ret = PTR_ERR(vdev);
		goto out_devres;
	}
	vdev->faux_dev = fdev;
	ret = phyr_vgem_device_init(vdev);
	if (ret)
		goto out_devres;

	/* Final step: expose the device/driver to userspace */
	ret = drm_dev_register(&vdev->drm, 0);
	if (ret)
		goto out_devres;

	phyr_vgem_device = vdev;

	/* then one more device per ivshmem-plain, with device memory */
	ret = pci_register_driver(&phyr_vgem_pci_driver);
	if (ret) {
		phyr_vgem_device = NULL;
		drm_dev_unregister(&vdev->drm);
		goto out_devres;
	}
	return 0;

out_devres:
	devres_release_group(&fdev->dev, NULL);
out_unregister:
	faux_device_destroy(fdev);
	return ret;
}

static void __exit phyr_vgem_exit(void)
{
	struct faux_device *fdev = phyr_vgem_device->faux_dev;

	pci_unregister_driver(&phyr_vgem_pci_driver);
	drm_dev_unregister(&phyr_vgem_device->drm);
	phyr_vgem_device = NULL;
	devres_release_group(&fdev->dev, NULL);
	faux_device_destroy(fdev);
}

module_init(phyr_vgem_init);
module_exit(phyr_vgem_exit);

MODULE_AUTHOR("Red Hat, Inc.");
MODULE_AUTHOR("Intel Corporation");
MODULE_AUTHOR("The phyr developers");
MODULE_DESCRIPTION(DRIVER_DESC);
MODULE_LICENSE("GPL and additional rights");
