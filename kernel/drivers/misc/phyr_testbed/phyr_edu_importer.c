// SPDX-License-Identifier: GPL-2.0-only
/*
 * A dma-buf importer on QEMU's edu, driven from debugfs, for the test bed's
 * stress tests: real device DMA into a buffer while userspace migrates,
 * exports, maps and frees buffers around it.
 *
 * Copyright 2026 The phyr developers
 */

/**
 * DOC: phyr edu importer
 *
 * /sys/kernel/debug/phyr_edu_importer/control takes one command per write:
 *
 * - ``attach FD``: attach the dma-buf FD (of the writing process) twice with
 *   edu as the importer's device, asking for phyr (MMIO too, where edu
 *   reaches it), as a dynamic importer;
 * - ``run OFFSET LEN``: start a thread that, until ``stop``, writes a new
 *   pattern into [OFFSET, OFFSET + LEN) of the buffer with edu's DMA engine
 *   through the first attachment's mapping and reads it back with a second
 *   transfer through the second one's, comparing every byte.  Behind an
 *   IOMMU the two mappings are two IOVA ranges of the same memory: a DMA
 *   that a wrong mapping sends elsewhere does not read back;
 * - ``stop``: stop the thread and unmap;
 * - ``detach``: drop the attachment and the dma-buf.
 *
 * Pattern number N (``seq`` in the status) is the byte sequence
 * (u8)(N * 131 + i * 7) for byte i of the range: after ``stop`` the range
 * holds pattern ``seq``.  OFFSET must be page-aligned and LEN at most
 * %PHYR_EDU_MAX_XFER, so the range is one DMA segment in every placement.
 *
 * It follows the dynamic importer rules: each write is covered by a fence
 * added to the buffer's reservation before the DMA and signalled after it,
 * and an invalidation only marks the mapping stale; the thread unmaps it
 * when no DMA is in flight (within one iteration, well under a second) and
 * maps again, which may move the buffer back where edu reaches it.
 *
 * /sys/kernel/debug/phyr_edu_importer/status reads as one line:
 * ``attached A running R maps M invalidations I dmas D errors E bad B seq S
 * last_error X aliased L``, where M counts the mappings of the pair, I the
 * invalidations of a mapped pair, E the failed maps and transfers, B the
 * read-backs that differed from what was written and L the writes read back
 * at the address they were written to (no IOMMU between edu and the memory:
 * the read-back proves less).
 */

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dma-buf.h>
#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/init.h>
#include <linux/kthread.h>
#include <linux/phyr_dma.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "phyr_edu.h"

MODULE_IMPORT_NS("DMA_BUF");

/* the attachment edu writes through, and the one it reads back through */
#define EDU_WRITE	0
#define EDU_READ	1

struct edu_importer {
	struct mutex lock;		/* serialises the commands */
	struct phyr_edu edu;
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach[2];
	struct task_struct *thread;
	u8 *scratch;			/* pattern, then read-back */
	dma_addr_t scratch_dma;
	u64 offset;
	u32 len;
	u64 fence_context;
	/* under the buffer's reservation: both mapped, or neither */
	struct phyr_dma map[2];
	bool mapped;
	bool stale;
	/* what it did */
	u64 maps, invalidations, dmas, errors, bad, seq, aliased;
	int last_error;
};

static struct edu_importer importer = {
	.lock = __MUTEX_INITIALIZER(importer.lock),
};

struct edu_fence {
	struct dma_fence base;
	spinlock_t lock;	/* the fence's */
};

static const char *edu_fence_name(struct dma_fence *fence)
{
	return "phyr_edu_importer";
}

static const struct dma_fence_ops edu_fence_ops = {
	.get_driver_name = edu_fence_name,
	.get_timeline_name = edu_fence_name,
};

static void edu_invalidate(struct dma_buf_attachment *attach)
{
	struct edu_importer *imp = attach->importer_priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (imp->mapped && !imp->stale) {
		imp->stale = true;
		imp->invalidations++;
	}
}

static const struct dma_buf_attach_ops edu_importer_ops = {
	.allow_peer2peer = true,
	.invalidate_mappings = edu_invalidate,
};

/* with the reservation held */
static void edu_unmap(struct edu_importer *imp)
{
	if (imp->mapped) {
		dma_buf_unmap_phyr_dma(imp->attach[EDU_READ], &imp->map[EDU_READ]);
		dma_buf_unmap_phyr_dma(imp->attach[EDU_WRITE], &imp->map[EDU_WRITE]);
	}
	imp->mapped = false;
	imp->stale = false;
}

/*
 * With the reservation held: both attachments mapped.  The first map may move
 * the buffer back where edu reaches it; the second then finds it there.
 */
static int edu_map(struct edu_importer *imp)
{
	int ret;

	ret = dma_buf_map_phyr_dma(imp->attach[EDU_WRITE], &imp->map[EDU_WRITE],
				   DMA_BIDIRECTIONAL, 0);
	if (ret)
		return ret;
	ret = dma_buf_map_phyr_dma(imp->attach[EDU_READ], &imp->map[EDU_READ],
				   DMA_BIDIRECTIONAL, 0);
	if (ret) {
		dma_buf_unmap_phyr_dma(imp->attach[EDU_WRITE], &imp->map[EDU_WRITE]);
		return ret;
	}
	imp->mapped = true;
	imp->stale = false;
	imp->maps++;
	return 0;
}

/* The DMA address of the range in @map, which must lie in one dma_vec. */
static int edu_range_addr(struct edu_importer *imp, struct phyr_dma *map,
			  dma_addr_t *addr)
{
	u64 off = imp->offset;
	unsigned int i;

	for (i = 0; i < map->nr_vecs; off -= map->vecs[i].len, i++) {
		if (off < map->vecs[i].len) {
			if (off + imp->len > map->vecs[i].len)
				return -ERANGE;
			*addr = map->vecs[i].addr + off;
			return 0;
		}
	}
	return -ERANGE;
}

static void edu_fail(struct edu_importer *imp, int err)
{
	imp->errors++;
	imp->last_error = err;
}

/* One pattern written and read back; returns false to stop. */
static bool edu_step(struct edu_importer *imp)
{
	struct dma_resv *resv = imp->dmabuf->resv;
	struct edu_fence *fence;
	dma_addr_t waddr, raddr;
	u64 seq;
	u32 i;
	int ret;

	fence = kzalloc_obj(*fence);
	if (!fence)
		return true;
	spin_lock_init(&fence->lock);

	dma_resv_lock(resv, NULL);
	if (imp->stale)
		edu_unmap(imp);
	if (!imp->mapped) {
		ret = edu_map(imp);
		if (ret) {
			dma_resv_unlock(resv);
			kfree(fence);
			edu_fail(imp, ret);
			/* revoked: nothing more to do until it is lifted */
			msleep(ret == -ENODEV ? 200 : 20);
			return true;
		}
	}
	ret = edu_range_addr(imp, &imp->map[EDU_WRITE], &waddr);
	if (!ret)
		ret = edu_range_addr(imp, &imp->map[EDU_READ], &raddr);
	if (!ret)
		ret = dma_resv_reserve_fences(resv, 1);
	if (ret) {
		dma_resv_unlock(resv);
		kfree(fence);
		edu_fail(imp, ret);
		msleep(20);
		return true;
	}
	dma_fence_init(&fence->base, &edu_fence_ops, &fence->lock,
		       imp->fence_context, lower_32_bits(imp->seq + 1));
	dma_resv_add_fence(resv, &fence->base, DMA_RESV_USAGE_WRITE);
	seq = ++imp->seq;
	if (waddr == raddr)
		imp->aliased++;
	dma_resv_unlock(resv);

	/*
	 * The device writes the pattern into the buffer through one mapping,
	 * then reads it back through the other
	 */
	for (i = 0; i < imp->len; i++)
		imp->scratch[i] = (u8)(seq * 131 + i * 7);
	memset(imp->scratch + PHYR_EDU_BUF_SIZE, 0, imp->len);
	ret = phyr_edu_dma(&imp->edu, imp->scratch_dma, 0, imp->len, false);
	if (!ret)
		ret = phyr_edu_dma(&imp->edu, waddr, 0, imp->len, true);
	if (!ret)
		ret = phyr_edu_dma(&imp->edu, raddr, 0, imp->len, false);
	if (!ret)
		ret = phyr_edu_dma(&imp->edu, imp->scratch_dma + PHYR_EDU_BUF_SIZE,
				   0, imp->len, true);
	if (ret)
		edu_fail(imp, ret);
	else if (memcmp(imp->scratch, imp->scratch + PHYR_EDU_BUF_SIZE, imp->len))
		imp->bad++;
	imp->dmas += 4;
	dma_fence_signal(&fence->base);
	dma_fence_put(&fence->base);
	return true;
}

static int edu_thread(void *data)
{
	struct edu_importer *imp = data;

	while (!kthread_should_stop() && edu_step(imp))
		cond_resched();
	return 0;
}

static int cmd_attach(struct edu_importer *imp, int fd)
{
	static const struct dma_buf_flavour_req req = {
		.flavour = DMA_BUF_FLAVOUR_PHYR, .flags = DMA_BUF_FLAVOUR_MMIO,
	};
	struct dma_buf *dmabuf;
	int i, ret;

	if (imp->dmabuf)
		return -EBUSY;
	ret = phyr_edu_get(&imp->edu);
	if (ret)
		return ret;
	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto err_edu;
	}
	for (i = 0; i < ARRAY_SIZE(imp->attach); i++) {
		imp->attach[i] = dma_buf_flavour_attach(dmabuf, &imp->edu.pdev->dev,
							&req, 1, &edu_importer_ops,
							imp);
		if (IS_ERR(imp->attach[i])) {
			ret = PTR_ERR(imp->attach[i]);
			goto err_detach;
		}
	}
	imp->scratch = dma_alloc_coherent(&imp->edu.pdev->dev, 2 * PHYR_EDU_BUF_SIZE,
					  &imp->scratch_dma, GFP_KERNEL);
	if (!imp->scratch) {
		ret = -ENOMEM;
		goto err_detach;
	}
	imp->dmabuf = dmabuf;
	imp->fence_context = dma_fence_context_alloc(1);
	imp->maps = 0;
	imp->invalidations = 0;
	imp->dmas = 0;
	imp->errors = 0;
	imp->bad = 0;
	imp->seq = 0;
	imp->aliased = 0;
	imp->last_error = 0;
	return 0;

err_detach:
	while (i--)
		dma_buf_flavour_detach(dmabuf, imp->attach[i]);
	dma_buf_put(dmabuf);
err_edu:
	phyr_edu_put(&imp->edu);
	return ret;
}

static int cmd_stop(struct edu_importer *imp)
{
	if (imp->thread) {
		kthread_stop(imp->thread);
		imp->thread = NULL;
	}
	if (imp->dmabuf) {
		dma_resv_lock(imp->dmabuf->resv, NULL);
		edu_unmap(imp);
		dma_resv_unlock(imp->dmabuf->resv);
	}
	return 0;
}

static int cmd_run(struct edu_importer *imp, u64 offset, u32 len)
{
	if (!imp->dmabuf || imp->thread)
		return imp->dmabuf ? -EBUSY : -ENOENT;
	if (!PAGE_ALIGNED(offset) || !len || len > PHYR_EDU_MAX_XFER ||
	    offset >= imp->dmabuf->size || len > imp->dmabuf->size - offset)
		return -EINVAL;
	imp->offset = offset;
	imp->len = len;
	imp->thread = kthread_run(edu_thread, imp, "phyr_edu_importer");
	if (IS_ERR(imp->thread)) {
		int ret = PTR_ERR(imp->thread);

		imp->thread = NULL;
		return ret;
	}
	return 0;
}

static int cmd_detach(struct edu_importer *imp)
{
	cmd_stop(imp);
	if (!imp->dmabuf)
		return 0;
	dma_free_coherent(&imp->edu.pdev->dev, 2 * PHYR_EDU_BUF_SIZE,
			  imp->scratch, imp->scratch_dma);
	WARN_ON(dma_buf_flavour_detach(imp->dmabuf, imp->attach[EDU_READ]));
	WARN_ON(dma_buf_flavour_detach(imp->dmabuf, imp->attach[EDU_WRITE]));
	dma_buf_put(imp->dmabuf);
	imp->dmabuf = NULL;
	phyr_edu_put(&imp->edu);
	return 0;
}

static ssize_t control_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	struct edu_importer *imp = &importer;
	char buf[64];
	u64 offset;
	u32 len;
	int fd, ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';

	mutex_lock(&imp->lock);
	if (sscanf(buf, "attach %d", &fd) == 1)
		ret = cmd_attach(imp, fd);
	else if (sscanf(buf, "run %llu %u", &offset, &len) == 2)
		ret = cmd_run(imp, offset, len);
	else if (sysfs_streq(buf, "stop"))
		ret = cmd_stop(imp);
	else if (sysfs_streq(buf, "detach"))
		ret = cmd_detach(imp);
	else
		ret = -EINVAL;
	mutex_unlock(&imp->lock);
	return ret ? ret : count;
}

static const struct file_operations control_fops = {
	.owner = THIS_MODULE,
	.write = control_write,
	.llseek = noop_llseek,
};

static int status_show(struct seq_file *m, void *data)
{
	struct edu_importer *imp = &importer;

	mutex_lock(&imp->lock);
	seq_printf(m, "attached %d running %d maps %llu invalidations %llu dmas %llu errors %llu bad %llu seq %llu last_error %d aliased %llu\n",
		   !!imp->dmabuf, !!imp->thread, imp->maps, imp->invalidations,
		   imp->dmas, imp->errors, imp->bad, imp->seq, imp->last_error,
		   imp->aliased);
	mutex_unlock(&imp->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(status);

static int __init phyr_edu_importer_init(void)
{
	struct dentry *dir = debugfs_create_dir("phyr_edu_importer", NULL);

	debugfs_create_file("control", 0200, dir, NULL, &control_fops);
	debugfs_create_file("status", 0444, dir, NULL, &status_fops);
	return 0;
}
late_initcall(phyr_edu_importer_init);
