// SPDX-License-Identifier: MIT
/*
 * A fake phyr_vgem kernel: the GEM handle rules that libphyrbuf's locking is
 * about, as DRM has them (drivers/gpu/drm/drm_gem.c, drm_prime.c):
 *
 * - a DRM file has one handle per object: PRIME_FD_TO_HANDLE of a dma-buf
 *   whose object the file already has returns that handle;
 * - a new handle is the lowest free one from 1 (idr_alloc()), so a closed
 *   handle's number comes back at once;
 * - an object has one dma-buf (every export returns a new fd of it), which
 *   keeps the object alive after its last handle is closed;
 * - GEM_CLOSE of a handle that is not open is -EINVAL;
 * - an object is freed when no file has a handle and no fd its dma-buf.
 *
 * DRM files are memfds (each its own inode; dup()s share it), dma-bufs are
 * memfds of the object's size.  Everything is behind one lock, as the kernel
 * serializes a file's handle table; a yield before each handle ioctl widens
 * the windows that a library race would need.
 *
 * Copyright 2026 The phyr developers
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include <drm.h>
#include <drm_fourcc.h>

#include "phyr_vgem_drm.h"
#include "fake-kernel.h"

#define MAX_FILES	16

struct fobj {
	uint64_t size;
	int dmabuf;		/* the object's dma-buf, kept open here, or -1 */
	ino_t dmabuf_ino;
};

struct ffile {
	ino_t ino;
	struct fobj **handles;	/* handles[h] for handle h, NULL if free */
	unsigned int cap;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct ffile files[MAX_FILES];
static unsigned int nr_files;
static struct fobj **objs;
static unsigned int nr_objs;
static unsigned int seed = 1;

static int fail(int err)
{
	errno = err;
	return -1;
}

/*
 * The inode of @fd, by the raw system call: the fake is the kernel, whose
 * look at descriptors that other threads may be closing is no access of the
 * program's (ThreadSanitizer models descriptors as memory and would report it).
 */
static ino_t fd_ino(int fd)
{
	struct stat st;

	return syscall(SYS_fstat, fd, &st) ? 0 : st.st_ino;
}

int fake_kernel_open(void)
{
	int fd = memfd_create("fake-phyr_vgem", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	pthread_mutex_lock(&lock);
	if (nr_files == MAX_FILES) {
		pthread_mutex_unlock(&lock);
		close(fd);
		return fail(EMFILE);
	}
	files[nr_files++] = (struct ffile){ .ino = fd_ino(fd) };
	pthread_mutex_unlock(&lock);
	return fd;
}

static struct ffile *find_file(ino_t ino)
{
	unsigned int i;

	for (i = 0; i < nr_files; i++)
		if (files[i].ino == ino)
			return &files[i];
	return NULL;
}

int fake_kernel_nr_handles(int fd)
{
	struct ffile *f;
	unsigned int h;
	int n = -1;

	pthread_mutex_lock(&lock);
	f = find_file(fd_ino(fd));
	if (f)
		for (n = 0, h = 1; h < f->cap; h++)
			n += !!f->handles[h];
	pthread_mutex_unlock(&lock);
	return n;
}

void fake_kernel_shutdown(void)
{
	unsigned int i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < nr_objs; i++) {
		if (objs[i]->dmabuf >= 0)
			close(objs[i]->dmabuf);
		free(objs[i]);
	}
	free(objs);
	objs = NULL;
	nr_objs = 0;
	for (i = 0; i < nr_files; i++)
		free(files[i].handles);
	nr_files = 0;
	pthread_mutex_unlock(&lock);
}

/* The lowest free handle of @f for @obj (idr_alloc(..., 1, 0)); 0 on ENOMEM. */
static uint32_t handle_alloc(struct ffile *f, struct fobj *obj)
{
	unsigned int h;

	for (h = 1; h < f->cap && f->handles[h]; h++)
		;
	if (h >= f->cap) {
		unsigned int cap = f->cap ? 2 * f->cap : 64;
		struct fobj **grown = realloc(f->handles, cap * sizeof(*grown));

		if (!grown)
			return 0;
		memset(grown + f->cap, 0, (cap - f->cap) * sizeof(*grown));
		f->handles = grown;
		f->cap = cap;
	}
	f->handles[h] = obj;
	return h;
}

static struct fobj *handle_obj(struct ffile *f, uint32_t h)
{
	return h && h < f->cap ? f->handles[h] : NULL;
}

static int bo_create(struct ffile *f, struct drm_phyr_vgem_bo_create *arg)
{
	struct fobj *obj, **grown;

	if (!arg->size || (arg->size & 4095) || arg->placement || arg->flags || arg->pad)
		return fail(EINVAL);
	obj = calloc(1, sizeof(*obj));
	grown = realloc(objs, (nr_objs + 1) * sizeof(*grown));
	if (!obj || !grown) {
		free(obj);
		if (grown)
			objs = grown;
		return fail(ENOMEM);
	}
	objs = grown;
	obj->size = arg->size;
	obj->dmabuf = -1;
	arg->handle = handle_alloc(f, obj);
	if (!arg->handle) {
		free(obj);
		return fail(ENOMEM);
	}
	objs[nr_objs++] = obj;
	return 0;
}

/* Whether a descriptor of the process other than @except is the file @ino. */
static bool fd_open_on(ino_t ino, int except)
{
	struct dirent *de;
	bool found = false;
	DIR *dir;

	dir = opendir("/proc/self/fd");
	if (!dir)
		return true;	/* keep it, to be safe */
	while (!found && (de = readdir(dir))) {
		int fd = atoi(de->d_name);

		if (de->d_name[0] != '.' && fd != except && fd != dirfd(dir))
			found = fd_ino(fd) == ino;
	}
	closedir(dir);
	return found;
}

/* After a handle of @obj was closed: free it if nothing holds it any more. */
static void obj_release(struct fobj *obj)
{
	unsigned int i, h;

	for (i = 0; i < nr_files; i++)
		for (h = 1; h < files[i].cap; h++)
			if (files[i].handles[h] == obj)
				return;
	if (obj->dmabuf >= 0 && fd_open_on(obj->dmabuf_ino, obj->dmabuf))
		return;
	for (i = 0; i < nr_objs; i++) {
		if (objs[i] == obj) {
			objs[i] = objs[--nr_objs];
			break;
		}
	}
	if (obj->dmabuf >= 0)
		close(obj->dmabuf);
	free(obj);
}

static int handle_to_fd(struct ffile *f, struct drm_prime_handle *arg)
{
	struct fobj *obj = handle_obj(f, arg->handle);

	if (!obj)
		return fail(ENOENT);
	if (obj->dmabuf < 0) {
		obj->dmabuf = memfd_create("fake-dmabuf", MFD_CLOEXEC);
		if (obj->dmabuf < 0)
			return -1;
		if (ftruncate(obj->dmabuf, obj->size)) {
			close(obj->dmabuf);
			obj->dmabuf = -1;
			return -1;
		}
		obj->dmabuf_ino = fd_ino(obj->dmabuf);
	}
	arg->fd = fcntl(obj->dmabuf, F_DUPFD_CLOEXEC, 0);
	return arg->fd < 0 ? -1 : 0;
}

static struct fobj *dmabuf_obj(int fd)
{
	ino_t ino = fd_ino(fd);
	unsigned int i;

	for (i = 0; ino && i < nr_objs; i++)
		if (objs[i]->dmabuf >= 0 && objs[i]->dmabuf_ino == ino)
			return objs[i];
	return NULL;
}

static int fd_to_handle(struct ffile *f, struct drm_prime_handle *arg)
{
	struct fobj *obj;
	unsigned int h;

	if (fcntl(arg->fd, F_GETFD) < 0)
		return fail(EBADF);
	obj = dmabuf_obj(arg->fd);
	if (!obj)
		return fail(EINVAL);
	for (h = 1; h < f->cap; h++) {
		if (f->handles[h] == obj) {
			arg->handle = h;
			return 0;
		}
	}
	arg->handle = handle_alloc(f, obj);
	return arg->handle ? 0 : fail(ENOMEM);
}

static int version(struct drm_version *v)
{
	static const char name[] = "phyr_vgem";
	size_t n = sizeof(name) - 1;

	if (v->name && v->name_len)
		memcpy(v->name, name, v->name_len < n ? v->name_len : n);
	v->name_len = n;
	v->version_major = 1;
	v->version_minor = 1;
	v->date_len = 0;
	v->desc_len = 0;
	return 0;
}

static int query(struct ffile *f, struct drm_phyr_vgem_bo_query *q)
{
	struct fobj *obj = handle_obj(f, q->handle);

	if (!obj)
		return fail(ENOENT);
	q->size = obj->size;
	q->placement = PHYR_VGEM_PLACEMENT_SYSTEM;
	q->nr_ranges = 0;
	q->flavours = PHYR_VGEM_FLAVOUR_PHYR | PHYR_VGEM_FLAVOUR_SG_TABLE;
	q->import_flavour = 0;
	q->modifier = DRM_FORMAT_MOD_INVALID;
	return 0;
}

int fake_ioctl(int fd, unsigned long request, ...)
{
	struct drm_gem_close *close_arg;
	struct ffile *f;
	va_list ap;
	void *arg;
	int ret;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);

	if (fcntl(fd, F_GETFD) < 0)
		return fail(EBADF);
	/* let other threads in where a library race would need it */
	if (__atomic_add_fetch(&seed, 2654435761u, __ATOMIC_RELAXED) >> 30 == 0)
		sched_yield();

	pthread_mutex_lock(&lock);
	f = find_file(fd_ino(fd));
	if (!f) {
		/* a dma-buf: CPU access brackets are fine, the rest is not ours */
		ret = request == DMA_BUF_IOCTL_SYNC && dmabuf_obj(fd) ? 0 : fail(ENOTTY);
		pthread_mutex_unlock(&lock);
		return ret;
	}
	switch (request) {
	case DRM_IOCTL_VERSION:
		ret = version(arg);
		break;
	case DRM_IOCTL_PHYR_VGEM_INFO:
		memset(arg, 0, sizeof(struct drm_phyr_vgem_info));
		ret = 0;
		break;
	case DRM_IOCTL_PHYR_VGEM_BO_CREATE:
		ret = bo_create(f, arg);
		break;
	case DRM_IOCTL_PHYR_VGEM_BO_QUERY:
		ret = query(f, arg);
		break;
	case DRM_IOCTL_GEM_CLOSE:
		close_arg = arg;
		if (handle_obj(f, close_arg->handle)) {
			struct fobj *obj = f->handles[close_arg->handle];

			f->handles[close_arg->handle] = NULL;
			obj_release(obj);
			ret = 0;
		} else {
			ret = fail(EINVAL);
		}
		break;
	case DRM_IOCTL_PRIME_HANDLE_TO_FD:
		ret = handle_to_fd(f, arg);
		break;
	case DRM_IOCTL_PRIME_FD_TO_HANDLE:
		ret = fd_to_handle(f, arg);
		break;
	default:
		ret = fail(EINVAL);	/* DRM's answer to an unknown driver ioctl */
		break;
	}
	pthread_mutex_unlock(&lock);
	return ret;
}
