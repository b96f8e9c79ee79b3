/* SPDX-License-Identifier: MIT */
/*
 * phyr_vgem: vgem's uAPI, kept at the same ioctl numbers, under the phyr_vgem name.
 *
 * Copyright 2016 Intel Corporation (vgem_drm.h, from which this is derived)
 * Copyright 2026 The phyr developers
 */

#ifndef _UAPI_PHYR_VGEM_DRM_H_
#define _UAPI_PHYR_VGEM_DRM_H_

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

/*
 * Modifications to all structs defined here are subject to
 * backwards-compatibility constraints.
 */
#define DRM_PHYR_VGEM_FENCE_ATTACH	0x1
#define DRM_PHYR_VGEM_FENCE_SIGNAL	0x2

#define DRM_IOCTL_PHYR_VGEM_FENCE_ATTACH \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_PHYR_VGEM_FENCE_ATTACH, \
		 struct drm_phyr_vgem_fence_attach)
#define DRM_IOCTL_PHYR_VGEM_FENCE_SIGNAL \
	DRM_IOW(DRM_COMMAND_BASE + DRM_PHYR_VGEM_FENCE_SIGNAL, \
		struct drm_phyr_vgem_fence_signal)

/**
 * struct drm_phyr_vgem_fence_attach - attach a fence to a GEM object
 *
 * Creates an unsignaled fence and adds it to the object's reservation object,
 * as a write (exclusive) fence if %PHYR_VGEM_FENCE_WRITE is set, else as a
 * read fence.  The fence signals on DRM_IOCTL_PHYR_VGEM_FENCE_SIGNAL, or by
 * itself after 10 seconds (then with -ETIMEDOUT).  Fails with -EBUSY if a
 * conflicting fence is still pending, -ENOENT for an unknown handle and
 * -EINVAL for unknown flags or nonzero padding.
 */
struct drm_phyr_vgem_fence_attach {
	/** @handle: GEM handle of the object to fence. */
	__u32 handle;
	/** @flags: %PHYR_VGEM_FENCE_WRITE or 0. */
	__u32 flags;
#define PHYR_VGEM_FENCE_WRITE	0x1
	/** @out_fence: returned id of the fence, for FENCE_SIGNAL. */
	__u32 out_fence;
	/** @pad: must be zero. */
	__u32 pad;
};

/**
 * struct drm_phyr_vgem_fence_signal - signal a fence made by FENCE_ATTACH
 *
 * Fails with -ENOENT for an unknown or already signaled fence id, -ETIMEDOUT
 * if the fence timed out before, and -EINVAL for nonzero flags.
 */
struct drm_phyr_vgem_fence_signal {
	/** @fence: the id returned in &drm_phyr_vgem_fence_attach.out_fence. */
	__u32 fence;
	/** @flags: must be zero. */
	__u32 flags;
};

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_PHYR_VGEM_DRM_H_ */
