// SPDX-License-Identifier: MIT
/*
 * libphyrbuf: phyr_vgem buffers as RDMA memory regions, through
 * ibv_reg_dmabuf_mr() (rdma-core, optional: see meson.build).
 *
 * Copyright 2026 The phyr developers
 */

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "phyrbuf.h"

#define PHYRBUF_EXPORT	__attribute__((visibility("default")))

#ifdef PHYRBUF_HAVE_RDMA

#include <infiniband/verbs.h>

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
	errno = 0;
	m = ibv_reg_dmabuf_mr(pd, offset, length, iova, dmabuf_fd, access);
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
