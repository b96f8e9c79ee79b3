// SPDX-License-Identifier: MIT
/*
 * libphyrbuf: devmem TCP TX, a NIC that sends a dma-buf by its own DMA
 * (docs/devmem.md).  The dma-buf is bound for TX on a netdev with the netdev
 * generic netlink family (bind-tx, raw netlink: no libynl), then sent with
 * sendmsg(MSG_ZEROCOPY) and an SCM_DEVMEM_DMABUF control message, whose
 * iovecs carry offsets into the dma-buf, not addresses; the zerocopy
 * completions come from the socket's error queue.  Built against the uAPI
 * headers of the kernel under test (7.3: NETDEV_CMD_BIND_TX).
 *
 * Copyright 2026 The phyr developers
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/errqueue.h>
#include <linux/genetlink.h>
#include <linux/netdev.h>
#include <linux/netlink.h>
#include <netinet/in.h>

#include "phyrbuf.h"
#include "phyrbuf-devmem-nl.h"

#define PHYRBUF_EXPORT	__attribute__((visibility("default")))

#ifndef SCM_DEVMEM_DMABUF
#define SCM_DEVMEM_DMABUF	79
#endif
#ifndef SO_BINDTOIFINDEX
#define SO_BINDTOIFINDEX	62
#endif

struct phyrbuf_devmem_tx {
	int nl;			/* the netlink socket: the binding lives with it */
	uint32_t id;		/* the binding's id, for SCM_DEVMEM_DMABUF */
	unsigned int ifindex;
	uint64_t size;		/* the dma-buf's size */
};

/* a request or an answer of the netdev family (bind-tx's are small) */
struct nlmsg {
	struct nlmsghdr n;
	struct genlmsghdr g;
	char buf[4096];
};

static void nla_put(struct nlmsghdr *n, int type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* The payload of attribute @type in the answer @m, or NULL. */
static const void *nla_find(const struct nlmsg *m, int type, size_t len)
{
	int left = m->n.nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	const struct nlattr *a = (const void *)((const char *)&m->g + GENL_HDRLEN);

	for (; left >= (int)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= left;
	     left -= NLA_ALIGN(a->nla_len),
	     a = (const void *)((const char *)a + NLA_ALIGN(a->nla_len)))
		if ((a->nla_type & NLA_TYPE_MASK) == type &&
		    a->nla_len >= NLA_HDRLEN + len)
			return (const char *)a + NLA_HDRLEN;
	return NULL;
}

/* Copy the extack message of the NLMSG_ERROR @m, if any, into @msg. */
static void extack_msg(const struct nlmsg *m, char *msg, size_t size)
{
	const struct nlmsgerr *e = NLMSG_DATA(&m->n);
	int left = m->n.nlmsg_len - NLMSG_HDRLEN - sizeof(*e);
	const struct nlattr *a;

	if (!msg || !size || !(m->n.nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* NETLINK_CAP_ACK: the request is not echoed, the TLVs follow */
	if (!(m->n.nlmsg_flags & NLM_F_CAPPED))
		return;
	a = (const void *)(e + 1);
	for (; left >= (int)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= left;
	     left -= NLA_ALIGN(a->nla_len),
	     a = (const void *)((const char *)a + NLA_ALIGN(a->nla_len)))
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
			snprintf(msg, size, "%.*s", (int)(a->nla_len - NLA_HDRLEN),
				 (const char *)a + NLA_HDRLEN);
			return;
		}
}

/*
 * Send @req and read up to its ACK; the last answer that is not the ACK
 * goes into @rsp.  Return 0 or the negative errno of the NLMSG_ERROR (its
 * extack message into @msg).
 */
static int nl_call(int fd, struct nlmsg *req, struct nlmsg *rsp, char *msg,
		   size_t size)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct nlmsg m;
	ssize_t n;

	req->n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	do
		n = sendto(fd, req, req->n.nlmsg_len, 0, (struct sockaddr *)&sa,
			   sizeof(sa));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (;;) {
		n = recv(fd, &m, sizeof(m), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n < (ssize_t)NLMSG_HDRLEN || m.n.nlmsg_len > (size_t)n)
			return -EPROTO;
		if (m.n.nlmsg_seq != req->n.nlmsg_seq)
			continue;
		if (m.n.nlmsg_type != NLMSG_ERROR) {
			memcpy(rsp, &m, n);
			continue;
		}
		if (m.n.nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
			return -EPROTO;
		if (((struct nlmsgerr *)NLMSG_DATA(&m.n))->error)
			extack_msg(&m, msg, size);
		return ((struct nlmsgerr *)NLMSG_DATA(&m.n))->error;
	}
}

/* The generic netlink id of the netdev family, or a negative errno. */
static int netdev_family(int fd, char *msg, size_t size)
{
	struct nlmsg req = { 0 }, rsp = { 0 };
	const uint16_t *id;
	int ret;

	req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req.n.nlmsg_type = GENL_ID_CTRL;
	req.n.nlmsg_seq = 1;
	req.g.cmd = CTRL_CMD_GETFAMILY;
	req.g.version = 1;
	nla_put(&req.n, CTRL_ATTR_FAMILY_NAME, NETDEV_FAMILY_NAME,
		sizeof(NETDEV_FAMILY_NAME));
	ret = nl_call(fd, &req, &rsp, msg, size);
	if (ret == -ENOENT)	/* a kernel without the netdev family */
		return -EOPNOTSUPP;
	if (ret)
		return ret;
	id = nla_find(&rsp, CTRL_ATTR_FAMILY_ID, sizeof(*id));
	return id ? *id : -EPROTO;
}

int phyrbuf_devmem_nl_bind(int nl, int cmd, unsigned int ifindex, int dmabuf_fd,
			   uint32_t *idp, char *errmsg, size_t errmsg_size)
{
	struct nlmsg req = { 0 }, rsp = { 0 };
	uint32_t fd32 = dmabuf_fd;
	const uint32_t *id;
	int one = 1, family, ret;

	if (errmsg && errmsg_size)
		errmsg[0] = 0;
	setsockopt(nl, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	family = netdev_family(nl, errmsg, errmsg_size);
	if (family < 0)
		return family;
	req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req.n.nlmsg_type = family;
	req.n.nlmsg_seq = 2;
	req.g.cmd = cmd;
	req.g.version = NETDEV_FAMILY_VERSION;
	nla_put(&req.n, NETDEV_A_DMABUF_IFINDEX, &ifindex, sizeof(uint32_t));
	nla_put(&req.n, NETDEV_A_DMABUF_FD, &fd32, sizeof(fd32));
	ret = nl_call(nl, &req, &rsp, errmsg, errmsg_size);
	if (ret)
		return ret;
	id = nla_find(&rsp, NETDEV_A_DMABUF_ID, sizeof(*id));
	if (!id)
		return -EPROTO;
	*idp = *id;
	return 0;
}

PHYRBUF_EXPORT int phyrbuf_devmem_bind_tx(unsigned int ifindex, int dmabuf_fd,
					  struct phyrbuf_devmem_tx **txp,
					  char *errmsg, size_t errmsg_size)
{
	struct phyrbuf_devmem_tx *tx;
	off_t size;
	int ret;

	if (errmsg && errmsg_size)
		errmsg[0] = 0;
	if (!txp || !ifindex)
		return -EINVAL;
	if (dmabuf_fd < 0)
		return -EBADF;
	/* a dma-buf's size: llseek(SEEK_END) is the one it supports */
	size = lseek(dmabuf_fd, 0, SEEK_END);
	if (size < 0)
		return errno == EBADF ? -EBADF : -EINVAL;
	if (!size)
		return -EINVAL;

	tx = calloc(1, sizeof(*tx));
	if (!tx)
		return -ENOMEM;
	tx->nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (tx->nl < 0) {
		ret = -errno;
		free(tx);
		return ret;
	}
	ret = phyrbuf_devmem_nl_bind(tx->nl, NETDEV_CMD_BIND_TX, ifindex, dmabuf_fd,
				     &tx->id, errmsg, errmsg_size);
	if (ret) {
		close(tx->nl);
		free(tx);
		return ret;
	}
	tx->ifindex = ifindex;
	tx->size = size;
	*txp = tx;
	return 0;
}

PHYRBUF_EXPORT void phyrbuf_devmem_tx_close(struct phyrbuf_devmem_tx *tx)
{
	if (!tx)
		return;
	close(tx->nl);	/* netdev_nl_sock_priv_destroy() unbinds */
	free(tx);
}

PHYRBUF_EXPORT uint32_t phyrbuf_devmem_tx_id(const struct phyrbuf_devmem_tx *tx)
{
	return tx ? tx->id : 0;
}

PHYRBUF_EXPORT uint64_t phyrbuf_devmem_tx_size(const struct phyrbuf_devmem_tx *tx)
{
	return tx ? tx->size : 0;
}

PHYRBUF_EXPORT int phyrbuf_devmem_socket(const struct phyrbuf_devmem_tx *tx,
					 int sock)
{
	int one = 1, ifindex;

	if (!tx)
		return -EINVAL;
	if (sock < 0)
		return -EBADF;
	if (setsockopt(sock, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)))
		return -errno;
	ifindex = tx->ifindex;
	if (setsockopt(sock, SOL_SOCKET, SO_BINDTOIFINDEX, &ifindex,
		       sizeof(ifindex)))
		return -errno;
	return 0;
}

PHYRBUF_EXPORT int64_t phyrbuf_devmem_send(const struct phyrbuf_devmem_tx *tx,
					   int sock, uint64_t offset,
					   uint64_t length,
					   struct phyrbuf_devmem_zc *zc)
{
	char control[CMSG_SPACE(sizeof(uint32_t))] = { 0 };
	struct iovec iov;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cm;
	ssize_t n;

	if (!tx || !zc)
		return -EINVAL;
	if (sock < 0)
		return -EBADF;
	if (!length || offset > tx->size || length > tx->size - offset ||
	    length > SSIZE_MAX)
		return -EINVAL;
	/* devmem TX: the "address" is the offset in the dma-buf */
	iov.iov_base = (void *)(uintptr_t)offset;
	iov.iov_len = length;
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_DEVMEM_DMABUF;
	cm->cmsg_len = CMSG_LEN(sizeof(uint32_t));
	memcpy(CMSG_DATA(cm), &tx->id, sizeof(uint32_t));
	do
		n = sendmsg(sock, &msg, MSG_ZEROCOPY);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* every sendmsg(MSG_ZEROCOPY) that queued bytes takes one id */
	zc->sends++;
	return n;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

PHYRBUF_EXPORT int phyrbuf_devmem_reap(int sock, struct phyrbuf_devmem_zc *zc,
				       int timeout_ms)
{
	char control[128];
	struct msghdr msg = { 0 };
	struct pollfd p = { .fd = sock };	/* POLLERR is always reported */
	int64_t end = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	struct sock_extended_err *ee;
	struct cmsghdr *cm;

	if (!zc || zc->completed > zc->sends)
		return -EINVAL;
	if (sock < 0)
		return -EBADF;
	while (zc->completed < zc->sends) {
		int wait;

		msg.msg_control = control;
		msg.msg_controllen = sizeof(control);
		if (recvmsg(sock, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			if (!timeout_ms)
				break;
			wait = timeout_ms < 0 ? -1 : (int)(end - now_ms());
			if (timeout_ms > 0 && wait <= 0)
				break;
			if (poll(&p, 1, wait) < 0 && errno != EINTR)
				return -errno;
			continue;
		}
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			uint32_t nr;

			if (!((cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR) ||
			      (cm->cmsg_level == SOL_IPV6 &&
			       cm->cmsg_type == IPV6_RECVERR)))
				continue;
			ee = (struct sock_extended_err *)CMSG_DATA(cm);
			if (ee->ee_origin != SO_EE_ORIGIN_ZEROCOPY)
				continue;
			/* a range of send ids, [ee_info, ee_data] */
			nr = ee->ee_data - ee->ee_info + 1;
			zc->completed += nr;
			if (ee->ee_code & SO_EE_CODE_ZEROCOPY_COPIED)
				zc->copied += nr;
		}
	}
	return zc->completed < zc->sends ? (int)(zc->sends - zc->completed) : 0;
}
