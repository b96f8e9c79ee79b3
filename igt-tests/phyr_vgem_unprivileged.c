// SPDX-License-Identifier: MIT
/*
 * phyr_vgem_unprivileged - what a user without privileges, given access to
 * the DRM nodes (as the "render" and "video" groups give it), can and cannot
 * do to phyr_vgem: race its own ioctls against each other, sit in a page
 * fault behind a migration, and learn the physical layout of its buffers.
 *
 * Each case runs its user's side in a child process that dropped to
 * nobody (uid and gid 65534, no supplementary groups) before opening the
 * nodes, which the test opens up to everyone (0666) for the time of the case.
 * The kernel must stay intact (no report in the kernel log, no buffer listed
 * twice or lost in debugfs), a process killed while it waits must die, and
 * the layout must stay hidden.
 *
 * Copyright 2026 The phyr developers
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "drm.h"
#include "drm_mode.h"
#include "phyr_vgem_drm.h"

#include "igt_lite.h"

IGT_TEST_DESCRIPTION("phyr_vgem against an unprivileged user: ioctl races, killable faults "
		     "behind a migration, and a physical layout it may not see.");

#define DRIVER_NAME	"phyr_vgem"
#define DEBUGFS_ROOT	"/sys/kernel/debug"
#define NOBODY		65534
#define WHY_LEN		512

/* the nodes a case opens up to everyone, and their modes before */
struct node {
	char path[PATH_MAX];
	mode_t mode;
	bool opened_up;
};

/* the system-memory device's primary node, a device-memory device's render node */
static struct node card_sys, render_dev;
static long page_size;

/* ---- devices ---- */

static bool is_phyr_vgem(int fd)
{
	char name[32] = "";
	struct drm_version v = { .name_len = sizeof(name) - 1, .name = name };

	if (ioctl(fd, DRM_IOCTL_VERSION, &v) || v.name_len >= sizeof(name))
		return false;
	name[v.name_len] = '\0';
	return !strcmp(name, DRIVER_NAME);
}

static uint64_t device_size(int fd)
{
	struct drm_phyr_vgem_info info = {};

	return ioctl(fd, DRM_IOCTL_PHYR_VGEM_INFO, &info) ? 0 : info.device_size;
}

/* The first /dev/dri/PREFIX* node of phyr_vgem with (or without) device memory. */
static bool find_node(struct node *n, const char *prefix, bool with_memory)
{
	struct dirent **names;
	bool found = false;
	int i, count;

	count = scandir("/dev/dri", &names, NULL, alphasort);
	for (i = 0; i < count; i++) {
		char path[PATH_MAX];
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/%s", names[i]->d_name);
		if (!found && !strncmp(names[i]->d_name, prefix, strlen(prefix))) {
			fd = open(path, O_RDWR | O_CLOEXEC);
			if (fd >= 0 && is_phyr_vgem(fd) && !!device_size(fd) == with_memory) {
				snprintf(n->path, sizeof(n->path), "%s", path);
				found = true;
			}
			if (fd >= 0)
				close(fd);
		}
		free(names[i]);
	}
	free(names);
	return found;
}

/* Let everyone open @n for the time of a case (as a distribution's groups would). */
static void open_up(struct node *n)
{
	struct stat st;

	igt_assert_eq(stat(n->path, &st), 0);
	n->mode = st.st_mode & 07777;
	igt_assert_eq(chmod(n->path, 0666), 0);
	n->opened_up = true;
}

static void close_down(struct node *n)
{
	if (n->opened_up && !chmod(n->path, n->mode))
		n->opened_up = false;
}

/* ---- running as nobody ---- */

/*
 * Run @fn in a child that dropped to nobody; the child's failure message
 * comes back through a pipe.  Returns its wait status.
 */
static int as_nobody(int (*fn)(void *arg, char *why), void *arg, char *why)
{
	int p[2], status = 0;
	ssize_t n, got = 0;
	pid_t pid;

	igt_assert_eq(pipe(p), 0);
	pid = fork();
	igt_assert(pid >= 0);
	if (!pid) {
		char msg[WHY_LEN] = "";
		int ret;

		close(p[0]);
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY)) {
			snprintf(msg, sizeof(msg), "dropping privileges: %s", strerror(errno));
			ret = 2;
		} else {
			ret = fn(arg, msg);
		}
		if (write(p[1], msg, strlen(msg)) < 0)
			ret = 3;
		_exit(ret);
	}
	close(p[1]);
	while (got < WHY_LEN - 1 && (n = read(p[0], why + got, WHY_LEN - 1 - got)) > 0)
		got += n;
	why[got] = '\0';
	close(p[0]);
	igt_assert_eq(waitpid(pid, &status, 0), pid);
	return status;
}

#define FAIL(...) do { snprintf(why, WHY_LEN, __VA_ARGS__); return 1; } while (0)

static void assert_child_ok(int status, const char *why)
{
	igt_assert_f(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		     "the unprivileged side %s %d: %s\n",
		     WIFEXITED(status) ? "exited" : "was killed by signal",
		     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), why);
}

/* ---- the kernel log ---- */

/* /dev/kmsg from now on */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	igt_assert(fd >= 0);
	igt_assert(lseek(fd, 0, SEEK_END) >= 0);
	return fd;
}

/* The kernel must not have reported anything since kmsg_open(). */
static void kmsg_assert_clean(int fd)
{
	static const char *const bad[] = {
		"BUG:", "WARNING:", "KASAN", "UBSAN", "Oops", "list_add", "list_del",
		"corruption", "general protection",
	};
	char rec[8192];
	ssize_t n;
	size_t i;

	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;
		rec[n] = '\0';
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			igt_assert_f(!strstr(rec, bad[i]), "kernel report: %s", rec);
	}
	close(fd);
}

/* Lines of the device's debugfs "buffers" that list a buffer. */
static int debugfs_buffers(const char *node)
{
	char path[PATH_MAX], line[512];
	struct stat st;
	int n = 0;
	FILE *f;

	igt_assert_eq(stat(node, &st), 0);
	snprintf(path, sizeof(path), DEBUGFS_ROOT "/dri/%u/buffers", minor(st.st_rdev));
	f = fopen(path, "r");
	igt_assert_f(f, "%s: %s\n", path, strerror(errno));
	while (fgets(line, sizeof(line), f))
		n += !strncmp(line, "size ", 5);
	fclose(f);
	return n;
}

/* ---- buffers ---- */

static int bo_create(int fd, uint64_t size, uint32_t placement, uint32_t *handle)
{
	struct drm_phyr_vgem_bo_create arg = { .size = size, .placement = placement };

	if (ioctl(fd, DRM_IOCTL_PHYR_VGEM_BO_CREATE, &arg))
		return -errno;
	*handle = arg.handle;
	return 0;
}

static void gem_close_handle(int fd, uint32_t handle)
{
	struct drm_gem_close arg = { .handle = handle };

	ioctl(fd, DRM_IOCTL_GEM_CLOSE, &arg);
}

static void *bo_mmap(int fd, uint32_t handle, size_t size)
{
	struct drm_phyr_vgem_bo_mmap_offset arg = { .handle = handle };
	void *p;

	if (ioctl(fd, DRM_IOCTL_PHYR_VGEM_BO_MMAP_OFFSET, &arg))
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, arg.offset);
	return p == MAP_FAILED ? NULL : p;
}

/* ---- dumb-create-race ---- */

struct race {
	int fd;
	int dmabuf;		/* a buffer of ours, listed, without a handle */
	volatile bool stop;
	unsigned long dumbs, closes, creates;
};

static void *race_dumb(void *arg)
{
	struct race *r = arg;

	while (!r->stop) {
		struct drm_mode_create_dumb d = { .width = 64, .height = 8, .bpp = 8 };

		if (!ioctl(r->fd, DRM_IOCTL_MODE_CREATE_DUMB, &d)) {
			r->dumbs++;
			gem_close_handle(r->fd, d.handle);
		}
	}
	return NULL;
}

/*
 * closes the handles the dumb creates get, the lowest ones, and takes one
 * of them again at once, for a buffer that is listed already: importing
 * its dma-buf is a new handle made fast
 */
static void *race_close_import(void *arg)
{
	struct race *r = arg;
	uint32_t h;

	while (!r->stop) {
		struct drm_prime_handle p = { .fd = r->dmabuf };

		for (h = 1; h <= 2; h++) {
			struct drm_gem_close c = { .handle = h };

			r->closes += !ioctl(r->fd, DRM_IOCTL_GEM_CLOSE, &c);
		}
		r->creates += !ioctl(r->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p);
	}
	return NULL;
}

static int dumb_race_user(void *arg, char *why)
{
	const int seconds = *(int *)arg;
	struct race r = { .fd = open(card_sys.path, O_RDWR | O_CLOEXEC) };
	struct drm_prime_handle p = { .flags = DRM_CLOEXEC };
	pthread_t t[2];
	int i;

	if (r.fd < 0)
		FAIL("open the primary node: %s", strerror(errno));
	if (bo_create(r.fd, page_size, PHYR_VGEM_PLACEMENT_SYSTEM, &p.handle) ||
	    ioctl(r.fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p))
		FAIL("a buffer to import: %s", strerror(errno));
	gem_close_handle(r.fd, p.handle);
	r.dmabuf = p.fd;
	if (pthread_create(&t[0], NULL, race_dumb, &r) ||
	    pthread_create(&t[1], NULL, race_close_import, &r))
		FAIL("pthread_create");
	sleep(seconds);
	r.stop = true;
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	close(r.fd);
	close(r.dmabuf);
	snprintf(why, WHY_LEN, "%lu dumb creates, %lu closes, %lu imports",
		 r.dumbs, r.closes, r.creates);
	return r.dumbs && r.creates ? 0 : 1;
}

/*
 * A dumb buffer is listed (for debugfs and unplug) from its creation, once:
 * never found again through a handle that another thread may have closed
 * and reused meanwhile -- here for a buffer that is listed already (an
 * import of its dma-buf), which would then be listed twice.
 */
static void test_dumb_create_race(void)
{
	int seconds = getenv("PHYR_RACE_SECONDS") ? atoi(getenv("PHYR_RACE_SECONDS")) : 8;
	struct drm_mode_create_dumb d = { .width = 64, .height = 16, .bpp = 32 };
	int kmsg, before, fd, status;
	char why[WHY_LEN];

	igt_require_f(card_sys.path[0], "no primary node of the system-memory device\n");
	before = debugfs_buffers(card_sys.path);
	kmsg = kmsg_open();
	open_up(&card_sys);
	status = as_nobody(dumb_race_user, &seconds, why);
	close_down(&card_sys);
	igt_info("%s\n", why);
	assert_child_ok(status, why);
	kmsg_assert_clean(kmsg);
	igt_assert_eq(debugfs_buffers(card_sys.path), before);

	/* and a dumb buffer is listed while it lives */
	fd = open(card_sys.path, O_RDWR | O_CLOEXEC);
	igt_assert(fd >= 0);
	igt_assert_eq(ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &d), 0);
	igt_assert_eq(debugfs_buffers(card_sys.path), before + 1);
	close(fd);
	igt_assert_eq(debugfs_buffers(card_sys.path), before);
}

/* ---- fault-killable ---- */

struct fault_case {
	int fd;
	uint32_t handle;
	void *map;
	int go[2];		/* the faulting child says it touches the page now */
	volatile pid_t migrator; /* the thread in BO_MIGRATE */
};

/* the child that only mapped the buffer: it touches it, behind the migration */
static void fault_toucher(struct fault_case *fc)
{
	char c = 't';

	if (write(fc->go[1], &c, 1) != 1)
		_exit(2);
	*(volatile uint32_t *)fc->map = 0x5eed;
	_exit(0);
}

/* /proc/PID/stat's state letter (of a task of ours, if @task), or 0 once it is gone */
static char proc_state(pid_t pid, bool task)
{
	char path[64], buf[512], *p;
	FILE *f;

	if (task)
		snprintf(path, sizeof(path), "/proc/self/task/%d/stat", pid);
	else
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	p = p ? strrchr(buf, ')') : NULL;
	return p && p[1] ? p[2] : 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *migrate_thread(void *arg)
{
	struct fault_case *fc = arg;
	struct drm_phyr_vgem_bo_migrate m = {
		.handle = fc->handle, .placement = PHYR_VGEM_PLACEMENT_DEVICE,
	};

	fc->migrator = gettid();
	return (void *)(long)(ioctl(fc->fd, DRM_IOCTL_PHYR_VGEM_BO_MIGRATE, &m) ? errno : 0);
}

static int fault_user(void *arg, char *why)
{
	struct drm_phyr_vgem_fence_attach fa = { .flags = PHYR_VGEM_FENCE_WRITE };
	struct drm_phyr_vgem_fence_signal fs = {};
	struct fault_case fc = { .fd = open(render_dev.path, O_RDWR | O_CLOEXEC) };
	double t0, waited, killed = 0;
	int status, i;
	pthread_t mt;
	void *mret;
	pid_t pid;
	char c;

	(void)arg;
	if (fc.fd < 0)
		FAIL("open the render node: %s", strerror(errno));
	if (bo_create(fc.fd, 2 * page_size, PHYR_VGEM_PLACEMENT_SYSTEM, &fc.handle))
		FAIL("BO_CREATE: %s", strerror(errno));
	fc.map = bo_mmap(fc.fd, fc.handle, 2 * page_size);
	if (!fc.map)
		FAIL("mmap: %s", strerror(errno));
	/* a write fence that only we signal: the migration waits for it */
	fa.handle = fc.handle;
	if (ioctl(fc.fd, DRM_IOCTL_PHYR_VGEM_FENCE_ATTACH, &fa))
		FAIL("FENCE_ATTACH: %s", strerror(errno));
	if (pipe(fc.go))
		FAIL("pipe");
	if (pthread_create(&mt, NULL, migrate_thread, &fc))
		FAIL("pthread_create");
	/*
	 * The migration holds the reservation while it waits for the fence,
	 * which only we signal: once its thread sleeps, it is there.
	 */
	t0 = now_s();
	while (now_s() - t0 < 10 &&
	       (!fc.migrator || proc_state(fc.migrator, true) == 'R'))
		usleep(10 * 1000);
	if (proc_state(fc.migrator, true) != 'S')
		FAIL("BO_MIGRATE does not wait for the fence (thread state %c)",
		     proc_state(fc.migrator, true));
	pid = fork();
	if (!pid)
		fault_toucher(&fc);
	if (pid < 0 || read(fc.go[0], &c, 1) != 1)
		FAIL("fork");
	/* it sleeps in the fault (not running, not gone) */
	t0 = now_s();
	while (now_s() - t0 < 10 && (proc_state(pid, false) == 'R' || !proc_state(pid, false)))
		usleep(10 * 1000);
	snprintf(why, WHY_LEN, "the toucher's state in the fault: %c", proc_state(pid, false));
	kill(pid, SIGKILL);
	t0 = now_s();
	for (i = 0; i < 800 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(10 * 1000);
	waited = now_s() - t0;
	if (i < 800)
		killed = waited;
	/* now let the migration go */
	fs.fence = fa.out_fence;
	ioctl(fc.fd, DRM_IOCTL_PHYR_VGEM_FENCE_SIGNAL, &fs);
	pthread_join(mt, &mret);
	if (i == 800)
		waitpid(pid, &status, 0);
	if (!killed)
		FAIL("a process killed in a fault behind a migration still lived %.1f s later "
		     "(until the migration ended)", waited);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		FAIL("the toucher was not killed: status %#x", status);
	if (mret)
		FAIL("the migration failed: %s", strerror((int)(long)mret));
	snprintf(why, WHY_LEN, "killed in %.2f s while the migration waited", killed);
	return 0;
}

/*
 * A process that only mapped a buffer and faults while a migration holds the
 * buffer (waiting up to 15 s for fences) waits killably: SIGKILL ends it at
 * once, and the migration goes on.
 */
static void test_fault_killable(void)
{
	char why[WHY_LEN];
	int kmsg, status;

	igt_require_f(render_dev.path[0], "no render node of a device with device memory\n");
	kmsg = kmsg_open();
	open_up(&render_dev);
	status = as_nobody(fault_user, NULL, why);
	close_down(&render_dev);
	igt_info("%s\n", why);
	assert_child_ok(status, why);
	kmsg_assert_clean(kmsg);
}

/* ---- layout-hidden, layout-opener ---- */

/* A buffer of scattered pages, populated: something to hide. */
static uint32_t populated_bo(int fd, size_t size)
{
	uint32_t handle = 0;
	size_t i;
	char *p;

	if (bo_create(fd, size, PHYR_VGEM_PLACEMENT_SYSTEM, &handle))
		return 0;
	p = bo_mmap(fd, handle, size);
	if (!p)
		return 0;
	for (i = 0; i < size; i += page_size)
		p[i] = 1;
	munmap(p, size);
	return handle;
}

/* What BO_QUERY and BO_RANGES tell of @handle: the ranges' count, or -errno. */
static int layout(int fd, uint32_t handle, uint64_t *nr_ranges)
{
	struct drm_phyr_vgem_bo_query q = { .handle = handle };
	struct drm_phyr_vgem_range r[4];
	struct drm_phyr_vgem_bo_ranges arg = {
		.handle = handle, .ranges_ptr = (uintptr_t)r, .count = 4,
	};

	if (ioctl(fd, DRM_IOCTL_PHYR_VGEM_BO_QUERY, &q))
		return -errno;
	*nr_ranges = q.nr_ranges;
	return ioctl(fd, DRM_IOCTL_PHYR_VGEM_BO_RANGES, &arg) ? -errno : (int)arg.count;
}

static int hidden_user(void *arg, char *why)
{
	int fd = open(card_sys.path, O_RDWR | O_CLOEXEC), ret;
	uint64_t nr = 0;
	uint32_t h;

	(void)arg;
	if (fd < 0)
		FAIL("open: %s", strerror(errno));
	h = populated_bo(fd, 64 * page_size);
	if (!h)
		FAIL("a populated buffer: %s", strerror(errno));
	ret = layout(fd, h, &nr);
	if (nr)
		FAIL("BO_QUERY told nobody the buffer is %" PRIu64 " physical ranges", nr);
	if (ret != -EPERM)
		FAIL("BO_RANGES gave nobody %d (%s), expected EPERM", ret,
		     ret < 0 ? strerror(-ret) : "ranges");
	close(fd);
	return 0;
}

/*
 * The physical layout of a buffer (where its ranges are, and with their
 * number which pages are adjacent) is for CAP_SYS_ADMIN only, as pagemap's
 * frame numbers: an unprivileged user gets no count and no ranges.
 */
static void test_layout_hidden(void)
{
	char why[WHY_LEN];
	int status;

	igt_require_f(card_sys.path[0], "no primary node of the system-memory device\n");
	open_up(&card_sys);
	status = as_nobody(hidden_user, NULL, why);
	close_down(&card_sys);
	assert_child_ok(status, why);
}

/* nobody opens the node and hands the file over a socket */
static int opener_user(void *arg, char *why)
{
	int sock = *(int *)arg, fd = open(card_sys.path, O_RDWR | O_CLOEXEC);
	char cbuf[CMSG_SPACE(sizeof(int))] = {}, byte = 'f';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	if (fd < 0)
		FAIL("open: %s", strerror(errno));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(sock, &msg, 0) != 1)
		FAIL("sendmsg: %s", strerror(errno));
	return 0;
}

/* root's file, used by nobody after the fork: the opener's rights stay */
static int inherit_user(void *arg, char *why)
{
	int fd = *(int *)arg, ret;
	uint32_t h = populated_bo(fd, 16 * page_size);
	uint64_t nr = 0;

	if (!h)
		FAIL("a populated buffer: %s", strerror(errno));
	ret = layout(fd, h, &nr);
	if (ret < 1 || !nr)
		FAIL("a file root opened, used by nobody: %d ranges (%s), BO_QUERY %" PRIu64,
		     ret, ret < 0 ? strerror(-ret) : "ok", nr);
	return 0;
}

/*
 * As for pagemap, the credentials of whoever opened the DRM file count, not
 * those of whoever calls: a file that nobody opened and root uses shows no
 * layout; one that root opened keeps its rights in nobody's hands.
 */
static void test_layout_opener(void)
{
	char cbuf[CMSG_SPACE(sizeof(int))], byte, why[WHY_LEN];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	int sv[2], status, fd, ret;
	struct cmsghdr *cm;
	uint64_t nr = 0;
	uint32_t h;

	igt_require_f(card_sys.path[0], "no primary node of the system-memory device\n");
	igt_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	open_up(&card_sys);
	status = as_nobody(opener_user, &sv[1], why);
	close_down(&card_sys);
	assert_child_ok(status, why);
	igt_assert_eq(recvmsg(sv[0], &msg, 0), 1);
	cm = CMSG_FIRSTHDR(&msg);
	igt_assert(cm && cm->cmsg_type == SCM_RIGHTS);
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	close(sv[0]);
	close(sv[1]);

	h = populated_bo(fd, 16 * page_size);
	igt_assert_neq_u32(h, 0);
	ret = layout(fd, h, &nr);
	igt_assert_eq_u64(nr, 0);
	igt_assert_eq(ret, -EPERM);
	close(fd);

	fd = open(card_sys.path, O_RDWR | O_CLOEXEC);
	igt_assert(fd >= 0);
	status = as_nobody(inherit_user, &fd, why);
	close(fd);
	assert_child_ok(status, why);
}

igt_main
{
	igt_fixture {
		page_size = sysconf(_SC_PAGESIZE);
		igt_require_f(getuid() == 0, "needs root to open the nodes up and drop to nobody\n");
		find_node(&card_sys, "card", false);
		find_node(&render_dev, "renderD", true);
		igt_require_f(card_sys.path[0] || render_dev.path[0], "no %s device\n",
			      DRIVER_NAME);
	}

	igt_describe("Dumb buffers are listed once, from their creation, however a user "
		     "races creating, closing and reusing their handles.");
	igt_subtest("dumb-create-race")
		test_dumb_create_race();

	igt_describe("A process that faults behind a migration waiting for fences can be "
		     "killed at once.");
	igt_subtest("fault-killable")
		test_fault_killable();

	igt_describe("An unprivileged user gets neither the number nor the ranges of a "
		     "buffer's physical layout.");
	igt_subtest("layout-hidden")
		test_layout_hidden();

	igt_describe("The opener's credentials decide who sees the layout, not the caller's.");
	igt_subtest("layout-opener")
		test_layout_opener();

	igt_fixture {
		close_down(&card_sys);
		close_down(&render_dev);
	}
}
