// SPDX-License-Identifier: MIT
/*
 * Copyright 2016 Intel Corporation
 * Copyright 2026 The phyr developers
 *
 * Fences for phyr_vgem, derived from drivers/gpu/drm/vgem/vgem_fence.c.
 */

#include <linux/dma-buf.h>
#include <linux/dma-resv.h>

#include <drm/drm_file.h>

#include "phyr_vgem_drv.h"

#define PHYR_VGEM_FENCE_TIMEOUT (10 * HZ)

struct phyr_vgem_fence {
	struct dma_fence base;
	spinlock_t lock; /* the dma_fence lock */
	struct timer_list timer;
};

static const char *phyr_vgem_fence_get_driver_name(struct dma_fence *fence)
{
	return "phyr_vgem";
}

static const char *phyr_vgem_fence_get_timeline_name(struct dma_fence *fence)
{
	return "unbound";
}

static void phyr_vgem_fence_release(struct dma_fence *base)
{
	struct phyr_vgem_fence *fence = container_of(base, typeof(*fence), base);

	timer_delete_sync(&fence->timer);
	dma_fence_free(&fence->base);
}

static const struct dma_fence_ops phyr_vgem_fence_ops = {
	.get_driver_name = phyr_vgem_fence_get_driver_name,
	.get_timeline_name = phyr_vgem_fence_get_timeline_name,
	.release = phyr_vgem_fence_release,
};

static void phyr_vgem_fence_timeout(struct timer_list *t)
{
	struct phyr_vgem_fence *fence = timer_container_of(fence, t, timer);

	dma_fence_signal(&fence->base);
}

static struct dma_fence *phyr_vgem_fence_create(struct phyr_vgem_file *vfile,
						unsigned int flags)
{
	struct phyr_vgem_fence *fence;

	fence = kzalloc_obj(*fence);
	if (!fence)
		return NULL;

	spin_lock_init(&fence->lock);
	dma_fence_init(&fence->base, &phyr_vgem_fence_ops, &fence->lock,
		       dma_fence_context_alloc(1), 1);

	timer_setup(&fence->timer, phyr_vgem_fence_timeout, TIMER_IRQSAFE);

	/* We force the fence to expire within 10s to prevent driver hangs */
	mod_timer(&fence->timer, jiffies + PHYR_VGEM_FENCE_TIMEOUT);

	return &fence->base;
}

/**
 * phyr_vgem_fence_attach_ioctl() - DRM_IOCTL_PHYR_VGEM_FENCE_ATTACH
 * @dev: the device
 * @data: &struct drm_phyr_vgem_fence_attach
 * @file: the DRM file
 *
 * Create and attach a fence to the phyr_vgem handle. This fence is then exposed
 * via the dma-buf reservation object and visible to consumers of the exported
 * dma-buf. If the flags contain PHYR_VGEM_FENCE_WRITE, the fence indicates the
 * phyr_vgem buffer is being written to by the client and is exposed as an exclusive
 * fence, otherwise the fence indicates the client is current reading from the
 * buffer and all future writes should wait for the client to signal its
 * completion. Note that if a conflicting fence is already on the dma-buf (i.e.
 * an exclusive fence when adding a read, or any fence when adding a write),
 * -EBUSY is reported. Serialisation between operations should be handled
 * by waiting upon the dma-buf.
 *
 * This returns the id of the new fence, which must be signaled within 10
 * seconds (or otherwise it will automatically expire). See
 * phyr_vgem_fence_signal_ioctl() (DRM_IOCTL_PHYR_VGEM_FENCE_SIGNAL). Ids start
 * at 1 and are never reused within a DRM file, as with vgem: an id stays
 * allocated after its fence is signaled, until the file is closed.
 *
 * The id is reserved first, so that nothing can fail once the fence is on
 * the reservation object: a failed call leaves no fence behind.
 *
 * Context: Process context. Takes and releases the object's reservation lock.
 * Return: 0; -ENOENT if the handle does not exist; -EINVAL for unknown flags
 * or nonzero padding; -EBUSY if a conflicting fence is pending; -ENOSPC when
 * the file has used up its 2^31 - 1 ids; -ENOMEM.
 */
int phyr_vgem_fence_attach_ioctl(struct drm_device *dev, void *data,
				 struct drm_file *file)
{
	struct drm_phyr_vgem_fence_attach *arg = data;
	struct phyr_vgem_file *vfile = file->driver_priv;
	struct dma_resv *resv;
	struct drm_gem_object *obj;
	enum dma_resv_usage usage;
	struct dma_fence *fence;
	u32 id;
	int ret;

	if (arg->flags & ~PHYR_VGEM_FENCE_WRITE)
		return -EINVAL;

	if (arg->pad)
		return -EINVAL;

	obj = drm_gem_object_lookup(file, arg->handle);
	if (!obj)
		return -ENOENT;

	/*
	 * Reserve an id: the entry reads as NULL until the fence is stored,
	 * and storing into a reserved entry needs no memory.  The ids live as
	 * long as the file, so their memory is charged to its user.
	 */
	ret = xa_alloc(&vfile->fences, &id, NULL, xa_limit_31b,
		       GFP_KERNEL_ACCOUNT);
	if (ret) {
		if (ret == -EBUSY)	/* no free id: vgem's idr said -ENOSPC */
			ret = -ENOSPC;
		goto err;
	}

	fence = phyr_vgem_fence_create(vfile, arg->flags);
	if (!fence) {
		ret = -ENOMEM;
		goto err_id;
	}

	/* Check for a conflicting fence */
	resv = obj->resv;
	usage = dma_resv_usage_rw(arg->flags & PHYR_VGEM_FENCE_WRITE);
	if (!dma_resv_test_signaled(resv, usage)) {
		ret = -EBUSY;
		goto err_fence;
	}

	/* Expose the fence via the dma-buf */
	dma_resv_lock(resv, NULL);
	ret = dma_resv_reserve_fences(resv, 1);
	if (!ret)
		dma_resv_add_fence(resv, fence, arg->flags & PHYR_VGEM_FENCE_WRITE ?
				   DMA_RESV_USAGE_WRITE : DMA_RESV_USAGE_READ);
	dma_resv_unlock(resv);
	if (ret)
		goto err_fence;

	/* Record the fence for later signaling, in its reserved entry */
	xa_store(&vfile->fences, id, fence, GFP_KERNEL);
	arg->out_fence = id;
	drm_gem_object_put(obj);
	return 0;

err_fence:
	dma_fence_signal(fence);
	dma_fence_put(fence);
err_id:
	/* never handed out: give the reservation back */
	xa_release(&vfile->fences, id);
err:
	drm_gem_object_put(obj);
	return ret;
}

/**
 * phyr_vgem_fence_signal_ioctl() - DRM_IOCTL_PHYR_VGEM_FENCE_SIGNAL
 * @dev: the device
 * @data: &struct drm_phyr_vgem_fence_signal
 * @file: the DRM file
 *
 * Signal and consume a fence earlier attached to a phyr_vgem handle using
 * phyr_vgem_fence_attach_ioctl() (DRM_IOCTL_PHYR_VGEM_FENCE_ATTACH).
 *
 * All fences must be signaled within 10s of attachment or otherwise they
 * will automatically expire (and a phyr_vgem_fence_signal_ioctl returns -ETIMEDOUT).
 *
 * Signaling a fence indicates to all consumers of the dma-buf that the
 * client has completed the operation associated with the fence, and that the
 * buffer is then ready for consumption.
 *
 * If the fence does not exist (or has already been signaled by the client),
 * phyr_vgem_fence_signal_ioctl returns -ENOENT.  Its id is not reused by a
 * later FENCE_ATTACH of the same file, so a late or repeated signal can never
 * hit another fence.
 *
 * Context: Process context. Takes and releases the xa_lock of the file's
 * fences.
 * Return: 0; -ETIMEDOUT if the fence had expired (it is consumed all the
 * same); -ENOENT for an unknown or consumed id; -EINVAL for nonzero flags.
 */
int phyr_vgem_fence_signal_ioctl(struct drm_device *dev, void *data,
				 struct drm_file *file)
{
	struct phyr_vgem_file *vfile = file->driver_priv;
	struct drm_phyr_vgem_fence_signal *arg = data;
	struct dma_fence *fence;
	int ret = 0;

	if (arg->flags)
		return -EINVAL;

	/*
	 * Consume the fence but keep its id allocated: in an allocating
	 * xarray, storing NULL leaves the index reserved (it reads as NULL,
	 * xa_alloc() skips it), where xa_erase() or a compare-and-exchange to
	 * NULL would free it for reuse.  Overwriting a present entry needs no
	 * memory.  Under the lock, exactly one of two racing callers gets the
	 * fence; the other sees NULL.
	 */
	xa_lock(&vfile->fences);
	fence = xa_load(&vfile->fences, arg->fence);
	if (fence)
		__xa_store(&vfile->fences, arg->fence, NULL, 0);
	xa_unlock(&vfile->fences);
	if (!fence)
		return -ENOENT;

	if (dma_fence_is_signaled(fence))
		ret = -ETIMEDOUT;

	dma_fence_signal(fence);
	dma_fence_put(fence);
	return ret;
}

/**
 * phyr_vgem_fence_open() - set up a new DRM file's fences
 * @vfile: the file's phyr_vgem state
 *
 * Context: Process context.
 * Return: 0.
 */
int phyr_vgem_fence_open(struct phyr_vgem_file *vfile)
{
	xa_init_flags(&vfile->fences, XA_FLAGS_ALLOC1);

	return 0;
}

/**
 * phyr_vgem_fence_close() - signal and free a closing DRM file's fences
 * @vfile: the file's phyr_vgem state
 *
 * Signals every fence not signaled through FENCE_SIGNAL yet and frees the
 * ids, reserved ones included.
 *
 * Context: Process context; nothing else uses the file any more.
 */
void phyr_vgem_fence_close(struct phyr_vgem_file *vfile)
{
	struct dma_fence *fence;
	unsigned long id;

	xa_for_each(&vfile->fences, id, fence) {
		dma_fence_signal(fence);
		dma_fence_put(fence);
	}
	xa_destroy(&vfile->fences);
}
