// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * KUnit tests of devmem TCP's TX bindings attached through the dma-buf
 * flavours: a mock exporter (a real dma-buf over pages of the test), a KUnit
 * device as the NIC's DMA device (dma-direct: DMA addresses are physical
 * addresses) and a net_device whose TX queue's byte queue limits stand for
 * what the hardware was given and completed.
 *
 * Copyright 2026 The phyr developers
 */

#include <kunit/dma-buf.h>
#include <kunit/phyr_pci.h>
#include <kunit/test.h>
#include <kunit/visibility.h>

#include <linux/delay.h>
#include <linux/dma-buf.h>
#include <linux/dma-buf-flavour.h>
#include <linux/dma-resv.h>
#include <linux/dynamic_queue_limits.h>
#include <linux/etherdevice.h>
#include <linux/jiffies.h>
#include <linux/netdevice.h>
#include <linux/phyr.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <linux/workqueue.h>
#include <net/netdev_netlink.h>
#include <net/netmem.h>
#include <net/page_pool/helpers.h>

#include "devmem.h"

MODULE_IMPORT_NS("DMA_BUF");
MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");

#define NR_PAGES	4
/* what a revoke may wait for the device (NET_DEVMEM_TX_DRAIN_MS) */
#define DRAIN_MS	1000

/*
 * A dma-buf over NR_PAGES pages that are not contiguous: an exporter of
 * the phyr flavour of CPU RAM (legacy importers through the bridge,
 * DMA_BUF_KUNIT_BRIDGE), or one that knows nothing of flavours, as udmabuf
 * (DMA_BUF_KUNIT_LEGACY).
 */
static struct dma_buf_kunit_exporter *mock_buf_create(struct kunit *test,
						      enum dma_buf_kunit_kind kind)
{
	struct dma_buf_kunit_exporter *mb;

	mb = dma_buf_kunit_exporter(test, kind, NR_PAGES, 0, DMA_BUF_KUNIT_PAGES_APART);
	mb->nr_offers = 1;
	return mb;
}

static netdev_tx_t kunit_xmit(struct sk_buff *skb, struct net_device *dev)
{
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;
}

static const struct net_device_ops kunit_netdev_ops = {
	.ndo_start_xmit = kunit_xmit,
};

static void kunit_netdev_setup(struct net_device *dev)
{
	ether_setup(dev);
	dev->netdev_ops = &kunit_netdev_ops;
	dev->netmem_tx = NETMEM_TX_DMA;
}

struct env {
	struct kunit *test;
	struct net_device *dev;
	bool registered;
	struct device *dma_dev;
	struct netdev_nl_sock priv;
	struct dma_buf_kunit_exporter *mb;
	struct net_devmem_dmabuf_binding *binding;
};

static void env_free(void *data)
{
	struct env *env = data;

	if (env->registered)
		unregister_netdev(env->dev);
	free_netdev(env->dev);
}

static struct env *env_create(struct kunit *test, enum dma_buf_kunit_kind kind,
			      bool registered)
{
	struct env *env = kunit_kzalloc(test, sizeof(*env), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, env);
	env->test = test;
	env->mb = mock_buf_create(test, kind);
	env->dma_dev = phyr_kunit_dma_device(test, "devmem-kunit-nic", 64);
	INIT_LIST_HEAD(&env->priv.bindings);
	mutex_init(&env->priv.lock);
	env->dev = alloc_netdev(0, "devmemkunit%d", NET_NAME_ENUM,
				kunit_netdev_setup);
	KUNIT_ASSERT_NOT_NULL(test, env->dev);
	if (registered && register_netdev(env->dev)) {
		free_netdev(env->dev);
		KUNIT_FAIL_AND_ABORT(test, "register_netdev failed");
	}
	env->registered = registered;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, env_free, env), 0);
	return env;
}

static void env_bind(struct env *env)
{
	struct kunit *test = env->test;
	struct netlink_ext_ack extack = {};

	get_dma_buf(env->mb->dmabuf);
	env->binding = __net_devmem_bind_dmabuf(env->dev, NULL, env->dma_dev,
						DMA_TO_DEVICE, env->mb->dmabuf,
						PAGE_SHIFT, &env->priv, &extack);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(env->binding), "bind: %ld (%s)",
			       PTR_ERR(env->binding), extack._msg ?: "");
}

/* Unbind as closing the netlink socket does, and wait until it is freed. */
static void env_unbind(struct env *env)
{
	struct kunit *test = env->test;
	unsigned long deadline = jiffies + 10 * HZ;

	net_devmem_unbind_dmabuf(env->binding);
	env->binding = NULL;
	while (READ_ONCE(env->mb->attached) && time_before(jiffies, deadline))
		msleep(20);
	KUNIT_EXPECT_EQ_MSG(test, READ_ONCE(env->mb->attached), 0,
			    "the binding never let go of the buffer");
}

static dma_addr_t niov_dma(struct net_iov *niov)
{
	return page_pool_get_dma_addr_netmem(net_iov_to_netmem(niov));
}

/* Every page of the buffer is at its physical address (dma-direct). */
static void expect_tx_vec(struct kunit *test, struct env *env)
{
	unsigned int i;

	for (i = 0; i < NR_PAGES; i++)
		KUNIT_EXPECT_EQ_MSG(test, niov_dma(env->binding->tx_vec[i]),
				    (dma_addr_t)page_to_phys(env->mb->pages[i]),
				    "page %u", i);
}

/* An skb whose one frag is the binding's page @idx, as sendmsg() makes it. */
static struct sk_buff *devmem_skb(struct kunit *test, struct env *env,
				  unsigned int idx)
{
	struct net_iov *niov = env->binding->tx_vec[idx];
	struct sk_buff *skb = alloc_skb(128, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	get_netmem(net_iov_to_netmem(niov));
	skb_add_rx_frag_netmem(skb, 0, net_iov_to_netmem(niov), 0, 100,
			       PAGE_SIZE);
	KUNIT_EXPECT_FALSE(test, skb_frags_readable(skb));
	return skb;
}

static void devmem_test_bind_phyr(struct kunit *test)
{
	struct env *env = env_create(test, DMA_BUF_KUNIT_BRIDGE, false);

	env_bind(env);
	KUNIT_EXPECT_EQ(test, env->binding->attachment->flavour,
			DMA_BUF_FLAVOUR_PHYR);
	KUNIT_EXPECT_TRUE(test, dma_buf_attach_revocable(env->binding->attachment));
	KUNIT_EXPECT_TRUE(test, env->binding->attachment->peer2peer);
	KUNIT_EXPECT_EQ(test, env->mb->phyr_maps, 1);
	KUNIT_EXPECT_NULL(test, env->binding->sgt);
	expect_tx_vec(test, env);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(env->binding->tx_revoked));
	env_unbind(env);
	KUNIT_EXPECT_EQ(test, env->mb->phyr_maps, 0);
}

static void devmem_test_bind_legacy(struct kunit *test)
{
	struct env *env = env_create(test, DMA_BUF_KUNIT_LEGACY, false);

	env_bind(env);
	KUNIT_EXPECT_EQ(test, env->binding->attachment->flavour,
			DMA_BUF_FLAVOUR_SG_TABLE);
	KUNIT_EXPECT_EQ(test, env->mb->sg_maps, 1);
	expect_tx_vec(test, env);
	env_unbind(env);
	KUNIT_EXPECT_EQ(test, env->mb->sg_maps, 0);
}

/* The exporter revokes the buffer: the binding stops, then unmaps. */
static void devmem_test_revoke(struct kunit *test)
{
	struct env *env = env_create(test, DMA_BUF_KUNIT_BRIDGE, false);
	struct sk_buff *skb;

	env_bind(env);
	skb = devmem_skb(test, env, 1);
	KUNIT_EXPECT_FALSE(test, net_devmem_skb_tx_revoked(skb));

	KUNIT_EXPECT_EQ(test, dma_buf_revoke(env->mb->dmabuf, 5 * HZ), 0);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(env->binding->tx_revoked));
	KUNIT_EXPECT_EQ(test, env->mb->phyr_maps, 0);
	KUNIT_EXPECT_FALSE(test, env->binding->tx_mapped);
	KUNIT_EXPECT_TRUE(test, net_devmem_skb_tx_revoked(skb));

	/* an skb holds the binding: it is freed after the skb */
	kfree_skb(skb);
	env_unbind(env);
	dma_buf_unrevoke(env->mb->dmabuf);
}

struct late_completion {
	struct delayed_work work;
	struct net_device *dev;
	struct dma_buf_kunit_exporter *mb;
	unsigned int bytes;
	int maps_then;		/* the buffer's phyr maps when it completed */
};

static void late_complete(struct work_struct *work)
{
	struct late_completion *lc = container_of(to_delayed_work(work),
						  struct late_completion, work);

	lc->maps_then = READ_ONCE(lc->mb->phyr_maps);
	dql_completed(&netdev_get_tx_queue(lc->dev, 0)->dql, lc->bytes);
}

/*
 * What the device was given before the revoke is completed 200 ms later:
 * the mapping goes after that, not before.
 */
static void devmem_test_revoke_waits_for_device(struct kunit *test)
{
	struct env *env = env_create(test, DMA_BUF_KUNIT_BRIDGE, false);
	struct dql *dql = &netdev_get_tx_queue(env->dev, 0)->dql;
	struct late_completion lc = { .dev = env->dev, .mb = env->mb,
				      .bytes = 3000, .maps_then = -1 };
	unsigned long start;

	env_bind(env);
	dql_queued(dql, lc.bytes);
	INIT_DELAYED_WORK_ONSTACK(&lc.work, late_complete);
	start = jiffies;
	schedule_delayed_work(&lc.work, msecs_to_jiffies(200));

	KUNIT_EXPECT_EQ(test, dma_buf_revoke(env->mb->dmabuf, 5 * HZ), 0);
	KUNIT_EXPECT_GE(test, jiffies_to_msecs(jiffies - start), 200);
	KUNIT_EXPECT_LT(test, jiffies_to_msecs(jiffies - start), DRAIN_MS);
	flush_delayed_work(&lc.work);
	destroy_delayed_work_on_stack(&lc.work);
	KUNIT_EXPECT_EQ_MSG(test, lc.maps_then, 1,
			    "unmapped before the device completed");
	KUNIT_EXPECT_EQ(test, env->mb->phyr_maps, 0);

	env_unbind(env);
	dma_buf_unrevoke(env->mb->dmabuf);
}

/* A device that never completes holds the revoke for the bound, no longer. */
static void devmem_test_revoke_bound(struct kunit *test)
{
	struct env *env = env_create(test, DMA_BUF_KUNIT_BRIDGE, false);
	struct dql *dql = &netdev_get_tx_queue(env->dev, 0)->dql;
	unsigned long start;

	env_bind(env);
	dql_queued(dql, 1500);
	start = jiffies;
	KUNIT_EXPECT_EQ(test, dma_buf_revoke(env->mb->dmabuf, 10 * HZ), 0);
	KUNIT_EXPECT_GE(test, jiffies_to_msecs(jiffies - start), DRAIN_MS);
	KUNIT_EXPECT_LT(test, jiffies_to_msecs(jiffies - start), 3 * DRAIN_MS);
	KUNIT_EXPECT_EQ(test, env->mb->phyr_maps, 0);
	dql_completed(dql, 1500);

	env_unbind(env);
	dma_buf_unrevoke(env->mb->dmabuf);
}

struct late_reset {
	struct delayed_work work;
	struct dql *dql;
};

static void late_reset(struct work_struct *work)
{
	struct late_reset *lr = container_of(to_delayed_work(work),
					     struct late_reset, work);

	dql_reset(lr->dql);
	dql_queued(lr->dql, 100);	/* new work after the reset */
}

/* A queue reset 200 ms later (the driver cleaned its ring) drains it. */
static void devmem_test_revoke_after_reset(struct kunit *test)
{
	struct env *env = env_create(test, DMA_BUF_KUNIT_BRIDGE, false);
	struct late_reset lr = {
		.dql = &netdev_get_tx_queue(env->dev, 0)->dql,
	};
	unsigned long start;

	env_bind(env);
	dql_queued(lr.dql, 1500);
	INIT_DELAYED_WORK_ONSTACK(&lr.work, late_reset);
	start = jiffies;
	schedule_delayed_work(&lr.work, msecs_to_jiffies(200));
	KUNIT_EXPECT_EQ(test, dma_buf_revoke(env->mb->dmabuf, 10 * HZ), 0);
	KUNIT_EXPECT_GE(test, jiffies_to_msecs(jiffies - start), 200);
	KUNIT_EXPECT_LT(test, jiffies_to_msecs(jiffies - start), DRAIN_MS);
	flush_delayed_work(&lr.work);
	destroy_delayed_work_on_stack(&lr.work);
	dql_completed(lr.dql, 100);

	env_unbind(env);
	dma_buf_unrevoke(env->mb->dmabuf);
}

/*
 * A TX binding lets go of its device when the device unregisters: no
 * dangling pointer to a freed net_device, no mapping for a DMA device whose
 * driver is gone.
 */
static void devmem_test_unregister(struct kunit *test)
{
	struct env *env = env_create(test, DMA_BUF_KUNIT_BRIDGE, true);
	struct net_devmem_dmabuf_binding *binding;

	env_bind(env);
	binding = env->binding;
	KUNIT_EXPECT_PTR_EQ(test, READ_ONCE(binding->dev), env->dev);

	unregister_netdev(env->dev);
	env->registered = false;
	KUNIT_EXPECT_NULL(test, READ_ONCE(binding->dev));
	KUNIT_EXPECT_TRUE(test, READ_ONCE(binding->tx_revoked));
	KUNIT_EXPECT_NULL(test, binding->attachment);
	KUNIT_EXPECT_EQ(test, env->mb->phyr_maps, 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(env->mb->attached), 0);

	env_unbind(env);
}

static struct kunit_case devmem_tx_cases[] = {
	KUNIT_CASE(devmem_test_bind_phyr),
	KUNIT_CASE(devmem_test_bind_legacy),
	KUNIT_CASE(devmem_test_revoke),
	KUNIT_CASE(devmem_test_revoke_waits_for_device),
	KUNIT_CASE(devmem_test_revoke_bound),
	KUNIT_CASE(devmem_test_revoke_after_reset),
	KUNIT_CASE(devmem_test_unregister),
	{}
};

static struct kunit_suite devmem_tx_suite = {
	.name = "net_devmem_tx",
	.test_cases = devmem_tx_cases,
};

kunit_test_suite(devmem_tx_suite);

MODULE_DESCRIPTION("KUnit tests of devmem TCP TX bindings");
MODULE_LICENSE("GPL");
