/* SPDX-License-Identifier: MIT */
/*
 * Copyright 2011 Red Hat, Inc.
 * Copyright 2026 The phyr developers
 *
 * Derived from drivers/gpu/drm/vgem/vgem_drv.h.
 *
 * Authors:
 *    Ben Widawsky <ben@bwidawsk.net>
 */

#ifndef _PHYR_VGEM_DRV_H_
#define _PHYR_VGEM_DRV_H_

#include <linux/xarray.h>

#include <drm/drm_device.h>
#include <drm/drm_gem.h>

#include <uapi/drm/phyr_vgem_drm.h>

struct faux_device;

/**
 * struct phyr_vgem_device - the phyr_vgem DRM device
 * @drm: the DRM device
 * @faux_dev: the faux device it hangs off
 */
struct phyr_vgem_device {
	struct drm_device drm;
	struct faux_device *faux_dev;
};

#if IS_ENABLED(CONFIG_KUNIT)
extern struct phyr_vgem_device *phyr_vgem_device;
#endif

/**
 * struct phyr_vgem_file - per-DRM-file state
 * @fences: fences created by FENCE_ATTACH, by id, until signaled; a
 *          signaled fence's id stays allocated (never reused in a file)
 */
struct phyr_vgem_file {
	struct xarray fences;
};

int phyr_vgem_fence_open(struct phyr_vgem_file *file);
int phyr_vgem_fence_attach_ioctl(struct drm_device *dev, void *data,
				 struct drm_file *file);
int phyr_vgem_fence_signal_ioctl(struct drm_device *dev, void *data,
				 struct drm_file *file);
void phyr_vgem_fence_close(struct phyr_vgem_file *file);

#endif /* _PHYR_VGEM_DRV_H_ */
