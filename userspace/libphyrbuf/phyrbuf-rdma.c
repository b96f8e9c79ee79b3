// SPDX-License-Identifier: MIT
/*
 * libphyrbuf: phyr_vgem buffers as RDMA memory regions, through
 * ibv_reg_dmabuf_mr() (rdma-core, optional: see meson.build).
 *
 * Copyright 2026 The phyr developers
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "phyrbuf.h"

#define PHYRBUF_EXPORT	__attribute__((visibility("default")))

#ifdef PHYRBUF_HAVE_RDMA

#include <dlfcn.h>
#include <infiniband/verbs.h>

/*
 * libibverbs' struct verbs_mr (libibverbs/driver.h, the providers' header,
 * which libibverbs-dev does not install): what ibv_cmd_reg_dmabuf_mr()
 * fills in and a provider's dereg_mr frees.
 */
struct phyrbuf_verbs_mr {
	struct ibv_mr ibv_mr;
	int mr_type;		/* enum ibv_mr_type */
	int access;
};

typedef int (*cmd_reg_dmabuf_mr_fn)(struct ibv_pd *pd, uint64_t offset,
				    size_t length, uint64_t iova, int fd,
				    int access, struct phyrbuf_verbs_mr *vmr);

/*
 * The dma-buf verb of providers that have none (rdma-core's rxe): the
 * kernel command, as such a provider's verb sends it.  Looked up at run
 * time: it is libibverbs' private provider interface.
 */
static struct ibv_mr *reg_dmabuf_mr_cmd(struct ibv_pd *pd, uint64_t offset,
					size_t length, uint64_t iova, int fd,
					int access)
{
	cmd_reg_dmabuf_mr_fn cmd;
	struct phyrbuf_verbs_mr *vmr;
	int ret;

	cmd = (cmd_reg_dmabuf_mr_fn)dlsym(RTLD_DEFAULT, "ibv_cmd_reg_dmabuf_mr");
	if (!cmd) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	/* the provider's dereg_mr free()s it */
	vmr = calloc(1, sizeof(*vmr));
	if (!vmr) {
		errno = ENOMEM;
		return NULL;
	}
	ret = cmd(pd, offset, length, iova, fd, access, vmr);
	if (ret) {
		free(vmr);
		errno = ret;
		return NULL;
	}
	return &vmr->ibv_mr;
}

PHYRBUF_EXPORT int phyrbuf_rdma_available(void)
{
	return 1;
}

PHYRBUF_EXPORT int phyrbuf_reg_dmabuf_mr(struct ibv_pd *pd, int dmabuf_fd,
					 uint64_t offset, size_t length,
					 uint64_t iova, int access,
					 struct ibv_mr **mr)
{
	struct ibv_mr *m;

	if (!pd || !mr)
		return -EINVAL;
	m = ibv_reg_dmabuf_mr(pd, offset, length, iova, dmabuf_fd, access);
	if (!m && errno == EOPNOTSUPP)
		m = reg_dmabuf_mr_cmd(pd, offset, length, iova, dmabuf_fd, access);
	if (!m)
		return errno ? -errno : -EIO;
	*mr = m;
	return 0;
}

PHYRBUF_EXPORT int phyrbuf_bo_reg_mr(struct phyrbuf_bo *bo, struct ibv_pd *pd,
				     uint64_t offset, size_t length,
				     uint64_t iova, int access,
				     struct ibv_mr **mr)
{
	int fd, ret;

	if (!bo || !pd || !mr)
		return -EINVAL;
	ret = phyrbuf_bo_export(bo, &fd);
	if (ret)
		return ret;
	ret = phyrbuf_reg_dmabuf_mr(pd, fd, offset, length, iova, access, mr);
	close(fd);
	return ret;
}

#else /* !PHYRBUF_HAVE_RDMA */

PHYRBUF_EXPORT int phyrbuf_rdma_available(void)
{
	return 0;
}

PHYRBUF_EXPORT int phyrbuf_bo_reg_mr(struct phyrbuf_bo *bo, struct ibv_pd *pd,
				     uint64_t offset, size_t length,
				     uint64_t iova, int access,
				     struct ibv_mr **mr)
{
	(void)bo; (void)pd; (void)offset; (void)length; (void)iova;
	(void)access; (void)mr;
	return -EOPNOTSUPP;
}

PHYRBUF_EXPORT int phyrbuf_reg_dmabuf_mr(struct ibv_pd *pd, int dmabuf_fd,
					 uint64_t offset, size_t length,
					 uint64_t iova, int access,
					 struct ibv_mr **mr)
{
	(void)pd; (void)dmabuf_fd; (void)offset; (void)length; (void)iova;
	(void)access; (void)mr;
	return -EOPNOTSUPP;
}

#endif
