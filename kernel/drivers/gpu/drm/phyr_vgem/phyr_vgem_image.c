// SPDX-License-Identifier: MIT
/*
 * Image metadata of phyr_vgem buffers: width, height, DRM format, pitch and
 * modifier, given at BO_CREATE and returned by BO_QUERY, so that graphics
 * clients (EGL_EXT_image_dma_buf_import, KMS) can use a buffer without a side
 * channel.
 *
 * Copyright 2026 The phyr developers
 */

#include <linux/align.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/mm.h>

#include <drm/drm_fourcc.h>

#include "phyr_vgem_drv.h"

/* rows of a pitch the kernel chooses are a multiple of this */
#define PHYR_VGEM_PITCH_ALIGN	64

/* The formats of BO_CREATE: single-plane, one pixel per block. */
static const struct {
	u32 format;
	u8 cpp;
} phyr_vgem_formats[] = {
	{ DRM_FORMAT_R8, 1 },
	{ DRM_FORMAT_R16, 2 },
	{ DRM_FORMAT_RG88, 2 },
	{ DRM_FORMAT_GR88, 2 },
	{ DRM_FORMAT_RGB565, 2 },
	{ DRM_FORMAT_BGR565, 2 },
	{ DRM_FORMAT_XRGB8888, 4 },
	{ DRM_FORMAT_ARGB8888, 4 },
	{ DRM_FORMAT_XBGR8888, 4 },
	{ DRM_FORMAT_ABGR8888, 4 },
	{ DRM_FORMAT_RGBX8888, 4 },
	{ DRM_FORMAT_RGBA8888, 4 },
	{ DRM_FORMAT_BGRX8888, 4 },
	{ DRM_FORMAT_BGRA8888, 4 },
	{ DRM_FORMAT_XRGB2101010, 4 },
	{ DRM_FORMAT_ARGB2101010, 4 },
	{ DRM_FORMAT_XBGR2101010, 4 },
	{ DRM_FORMAT_ABGR2101010, 4 },
	{ DRM_FORMAT_GR1616, 4 },
	{ DRM_FORMAT_XRGB16161616, 8 },
	{ DRM_FORMAT_ARGB16161616, 8 },
	{ DRM_FORMAT_XBGR16161616, 8 },
	{ DRM_FORMAT_ABGR16161616, 8 },
	{ DRM_FORMAT_XRGB16161616F, 8 },
	{ DRM_FORMAT_ARGB16161616F, 8 },
	{ DRM_FORMAT_XBGR16161616F, 8 },
	{ DRM_FORMAT_ABGR16161616F, 8 },
};

static unsigned int format_cpp(u32 format)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(phyr_vgem_formats); i++)
		if (phyr_vgem_formats[i].format == format)
			return phyr_vgem_formats[i].cpp;
	return 0;
}

/**
 * phyr_vgem_image_init() - check an image of BO_CREATE and size its buffer
 * @img: the image: width, height, format, pitch (0: chosen here) and
 *	modifier as userspace gave them; the pitch is filled in on success
 * @size: the buffer's size as userspace gave it (0: the image's size, page
 *	aligned); the size to create on success
 *
 * See &struct drm_phyr_vgem_bo_create.  The sizes cannot overflow: width
 * and height are at most %PHYR_VGEM_IMAGE_MAX_DIM and a pixel is at most 8
 * bytes, so a row fits in 32 bits and the image in 64.
 *
 * Context: Any context.
 * Return: 0, or -EINVAL for a bad image or a @size that does not hold it.
 */
int phyr_vgem_image_init(struct phyr_vgem_image *img, u64 *size)
{
	unsigned int cpp = format_cpp(img->format);
	u64 min_pitch, bytes;

	if (!cpp || img->modifier != DRM_FORMAT_MOD_LINEAR ||
	    !img->width || img->width > PHYR_VGEM_IMAGE_MAX_DIM ||
	    !img->height || img->height > PHYR_VGEM_IMAGE_MAX_DIM)
		return -EINVAL;
	min_pitch = (u64)img->width * cpp;
	if (!img->pitch)
		img->pitch = ALIGN(min_pitch, PHYR_VGEM_PITCH_ALIGN);
	else if (img->pitch < min_pitch)
		return -EINVAL;
	bytes = (u64)img->pitch * img->height;
	if (!*size)
		*size = PAGE_ALIGN(bytes);
	else if (*size < bytes)
		return -EINVAL;
	return 0;
}
