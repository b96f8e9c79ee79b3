/* SPDX-License-Identifier: MIT */
/*
 * libphyrbuf, internal: the netdev netlink request under
 * phyrbuf_devmem_bind_tx(), for the library and for phyr-devmem-test (which
 * links the static part of the library, libphyrbuf_iommufd_dep).  Not part
 * of the ABI: hidden, not installed.
 */
#ifndef PHYRBUF_DEVMEM_NL_H
#define PHYRBUF_DEVMEM_NL_H

#include <stddef.h>
#include <stdint.h>

/*
 * phyrbuf_devmem_nl_bind() - one bind request of the netdev generic netlink
 * family (@cmd: NETDEV_CMD_BIND_TX or NETDEV_CMD_BIND_RX) for @dmabuf_fd on
 * @ifindex, on the caller's NETLINK_GENERIC socket @nl, sent as it is (the
 * arguments are not checked first: a test of the kernel's errnos sends
 * them); the binding lives as long as @nl stays open.  Return 0 with the
 * binding's id in *@id, or the negative errno of the answer, its extack
 * message in @errmsg (may be NULL).
 */
int phyrbuf_devmem_nl_bind(int nl, int cmd, unsigned int ifindex, int dmabuf_fd,
			   uint32_t *id, char *errmsg, size_t errmsg_size);

#endif /* PHYRBUF_DEVMEM_NL_H */
