// SPDX-License-Identifier: MIT
/*
 * phyr-devmem-test: send a dma-buf over TCP with devmem TCP TX (the NIC's
 * DMA reads the buffer, the CPU never touches the payload) and check every
 * byte at a receiver with a plain socket in another network namespace.
 *
 *   phyr-devmem-test --ifname IF --peer-netns NS --peer-addr A.B.C.D
 *                    [--memory device|system|udmabuf|copy|zerocopy] [--size BYTES]
 *                    [--offset BYTES] [--length BYTES] [--chunk BYTES]
 *                    [--port N] [--expect-bind-error ERRNO]
 *
 * The buffer (a phyr_vgem buffer in device or system memory, or a udmabuf)
 * is filled with a pattern through its mmap, exported as a dma-buf and bound
 * for TX on IF with the netdev netlink family (bind-tx).  A child process
 * enters NS, listens on A.B.C.D:PORT and checks what it receives against
 * the pattern; the parent connects from this namespace and sends LENGTH
 * bytes from OFFSET of the buffer with sendmsg(MSG_ZEROCOPY) and
 * SCM_DEVMEM_DMABUF, CHUNK bytes per call, then waits for the zerocopy
 * completions (none may say that the kernel copied).  It prints one
 * "key=value" line per fact and exits 0 only if every check passed.
 *
 * With --expect-bind-error ERRNO the bind must fail with that errno (for
 * a buffer whose memory the NIC cannot reach, say), and nothing is sent.
 *
 * With --migrate-at BYTES[,BYTES...] (a phyr_vgem buffer) and --repeat N,
 * N rounds (1 to 64) each make a new buffer, bind it, send it over a new
 * connection and, once the round's BYTES were sent, migrate it to the other
 * placement (rounds alternate: device to system memory, system to device):
 * the exporter invalidates the NIC's mapping, so the binding is revoked and
 * the next sendmsg() must fail with ENODEV.  The memory the buffer left is
 * poisoned (see revoke_round()), the connection is reset, and every byte
 * that reached the receiver must be right.  Then the buffer is bound again
 * (where it is now) and sent whole over a second connection, which must
 * arrive complete.  With --unplug-at BYTES[,...] (device memory) the
 * phyr_vgem PCI device is removed instead (phyr_vgem revokes its buffers):
 * ENODEV, a right prefix; the bus is rescanned, phyr_vgem probes the device
 * again and the BAR range the buffer had is poisoned before the connection
 * ends.  The round's BYTES are taken from the list in turn.
 *
 * With --unbind-nic, e1000e is unbound from the NIC while the binding exists
 * (nothing is sent), the netlink socket is closed, and the driver bound
 * again.
 *
 * Bad input, each with the errno upstream's code gives: --bad-send sends
 * beyond the end of the buffer (EFAULT), for an unknown binding and without
 * MSG_ZEROCOPY (EINVAL) before the real sends; --other-netdev sends with the
 * binding on a socket routed over lo (ENODEV); --bad-bind fd binds a memfd
 * (EINVAL) and a closed fd (EBADF), --bad-bind ifindex binds ifindex 0
 * (ERANGE), an unused one and --other-ifindex (ENODEV) and lo (EOPNOTSUPP),
 * then the right one (nothing sent); --unprivileged becomes nobody: bind-rx
 * EPERM, bind-tx and the send work.
 *
 * With --edu-fill PCI, edu's DMA writes the payload into the buffer (the
 * CPU writes only its complement): see edu_fill().
 *
 * For comparison, --memory copy and zerocopy send the same bytes from
 * anonymous memory without devmem: send() (the kernel copies) and
 * MSG_ZEROCOPY (the kernel pins the pages; the NIC reads them by DMA).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/errqueue.h>
#include <linux/netdev.h>
#include <linux/netlink.h>
#include <linux/udmabuf.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <grp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "edu.h"
#include "phyrbuf.h"
#include "phyrbuf-devmem-nl.h"
#include "phyr-test.h"

#ifndef SCM_DEVMEM_DMABUF
#define SCM_DEVMEM_DMABUF 79
#endif

static const char *ifname, *peer_netns, *peer_addr, *memory = "device";
static uint64_t size = 1 << 20, offset, length, chunk = 64 << 10;
/*
 * --migrate-at, --unplug-at: migrate the phyr_vgem buffer, or unplug its PCI
 * device, once revoke_at[round % nr_revoke_at] bytes were sent, in each of
 * --repeat rounds
 */
#define MAX_ROUNDS	64
static enum { REVOKE_NONE, REVOKE_MIGRATE, REVOKE_UNPLUG } revoke_mode;
static uint64_t revoke_at[MAX_ROUNDS];
static unsigned int nr_revoke_at, repeat = 1;
/* the round the receiver checks: it is forked per round and inherits it */
static struct {
	unsigned int nr;
	uint64_t at;		/* bytes sent before the revoke */
} round_now;
/*
 * The pattern of a round: every byte a function of its offset and of
 * pattern_salt (0 outside the rounds: pt_hash_byte() itself).  Version 0 is
 * what a round's buffer holds before its revoke, version 1 (its complement,
 * wrong in every byte) what it is rewritten with after a migration, poison
 * (version 0 ^ POISON_XOR, wrong for both) what the memory it left is
 * overwritten with.
 */
static uint8_t pattern_salt;
#define POISON_XOR	0x55
/* unbind the NIC's driver while the binding exists */
static bool unbind_nic;
static int port = 5201, expect_bind_error;
/*
 * Bad input (errnos from upstream's code, see the comments where they are
 * checked): --bad-send (sendmsg beyond the buffer, of an unknown binding,
 * without MSG_ZEROCOPY), --other-netdev (the binding on a socket routed over
 * lo), --bad-bind fd|ifindex (bind-tx refused), --unprivileged (as nobody).
 * A failed check clears bad_ok.
 */
static bool bad_send, other_netdev, unprivileged, bad_ok = true;
/*
 * --expect-tso: the NIC must have been handed fewer packets than the payload
 * has MSS-sized segments (skbs of several MSS, segmented by the NIC)
 */
static bool expect_tso;
static unsigned int snd_mss;	/* the connection's MSS (TCP_INFO) */
static const char *bad_bind;
/*
 * --edu-fill PCI (a phyr_vgem buffer): the CPU writes the complement of the
 * pattern into the buffer, then edu (bound to vfio-pci) writes the pattern
 * into OFFSET..OFFSET+LENGTH by DMA, from system memory, through iommufd:
 * every right byte at the receiver was put into the buffer by a device and
 * taken out of it by the NIC, none by the guest CPU.
 */
static const char *edu_pci;
/* IOVAs for edu (which addresses 28 bits): the source, the buffer */
#define EDU_IOVA_SRC	0x1000000ull
#define EDU_IOVA_BUF	0x4000000ull
static int other_ifindex;	/* a NIC in another network namespace */

static void usage(void)
{
	fprintf(stderr,
		"usage: phyr-devmem-test --ifname IF --peer-netns NS --peer-addr ADDR\n"
		"	[--memory device|system|udmabuf|copy|zerocopy] [--size B] [--offset B]\n"
		"	[--length B] [--chunk B] [--port N] [--expect-bind-error ERRNO]\n"
		"	[--migrate-at B[,B...] | --unplug-at B[,B...]] [--repeat N (1-64)]\n"
		"	[--unbind-nic]\n"
		"	[--bad-send | --other-netdev | --bad-bind fd|ifindex [--other-ifindex N]\n"
		"	 | --unprivileged] [--edu-fill PCI] [--expect-tso]\n");
	exit(2);
}

static void die(const char *what, int err)
{
	fprintf(stderr, "phyr-devmem-test: %s: %s\n", what, strerror(err));
	exit(1);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint8_t expected_byte(uint64_t off, int version)
{
	uint8_t v = pt_hash_byte(off) ^ pattern_salt;

	return version ? (uint8_t)~v : v;
}

static uint8_t poison_byte(uint64_t off)
{
	return expected_byte(off, 0) ^ POISON_XOR;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t read_u64(const char *path)
{
	unsigned long long v = 0;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static uint64_t nic_stat(const char *stat)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname, stat);
	return read_u64(path);
}

/*
 * The flavour the NIC's attachment negotiated and, for MMIO, how the NIC
 * reaches it: its lines in debugfs's dma_buf/bufinfo
 * ("<PCI device>\t<flavour>[\tp2p:<kind>]"), printed with spaces.  Returns
 * the number of those lines that name a P2P kind.
 */
static int print_nic_attachment(void)
{
	int nr_p2p = 0;
	char path[256], dev[PATH_MAX], line[512];
	const char *pci;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/device", ifname);
	if (!realpath(path, dev))
		return 0;
	pci = strrchr(dev, '/') + 1;
	f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, pci), *q;

		if (!p)
			continue;
		line[strcspn(line, "\n")] = 0;
		p += strlen(pci);
		p += strspn(p, " \t");
		for (q = p; (q = strchr(q, '\t')); )
			*q = ' ';
		printf("nic_attachment=%s %s\n", pci, p);
		nr_p2p += !!strstr(p, "p2p:");
	}
	fclose(f);
	return nr_p2p;
}

static void write_sysfs(const char *path, const char *what)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, what, strlen(what)) != (ssize_t)strlen(what))
		die(path, errno);
	close(fd);
}

/*
 * One bad-input check: @got is the errno the call failed with (0: it
 * succeeded), @want the one it must fail with (0: it must succeed).
 */
static void expect_errno(const char *what, int got, int want)
{
	bool ok = got == want;

	printf("%s_errno=%d expected=%d %s\n", what, got, want, ok ? "ok" : "WRONG");
	fflush(stdout);
	bad_ok &= ok;
}

/* ---- the buffer ---- */

struct buffer {
	uint8_t *anon;		/* copy, zerocopy: no dma-buf */
	enum phyrbuf_placement placement;
	char pci[64];		/* the phyr_vgem device's PCI address */
	char pci_remove[PATH_MAX];	/* its sysfs "remove" */
	int dmabuf_fd;
	struct phyrbuf_dev *dev;
	struct phyrbuf_bo *bo;
	int memfd;
};

static void fill_version(uint8_t *p, int version)
{
	for (uint64_t i = 0; i < size; i++)
		p[i] = expected_byte(i, version);
}

static void fill(uint8_t *p)
{
	fill_version(p, 0);
}

/* --edu-fill: what the CPU writes, wrong in every byte */
static void poison(uint8_t *p)
{
	for (uint64_t i = 0; i < size; i++)
		p[i] = ~pt_hash_byte(i);
}

/*
 * --edu-fill: edu copies the pattern from anonymous memory (written by the
 * CPU) through its own 4 KiB buffer into the phyr_vgem buffer (mapped into
 * edu's IOAS through its dma-buf: IOMMU_IOAS_MAP_FILE), EDU_MAX_XFER bytes
 * at a time.
 */
static void edu_fill(struct buffer *b)
{
	struct phyrbuf_vfio *vfio = NULL;
	struct phyrbuf_ioas *ioas = NULL;
	volatile void *bar0;
	unsigned int nr = 0;
	uint8_t *src;
	uint64_t off;
	double t = now();
	int ret;

	if (size > EDU_IOVA_BUF - EDU_IOVA_SRC || EDU_IOVA_BUF + size > (1ull << 28)) {
		fprintf(stderr, "phyr-devmem-test: --edu-fill: at most 48 MiB\n");
		exit(2);
	}
	src = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED)
		die("mmap", errno);
	fill(src);
	ret = phyrbuf_ioas_open(&ioas);
	if (!ret)
		ret = phyrbuf_ioas_map_memory(ioas, src, size, EDU_IOVA_SRC, 0);
	if (!ret)
		ret = phyrbuf_ioas_map_bo(ioas, b->bo, EDU_IOVA_BUF, 0);
	if (!ret)
		ret = phyrbuf_vfio_open(ioas, edu_pci, &vfio);
	if (!ret)
		ret = phyrbuf_vfio_bar_mmap(vfio, 0, &bar0, NULL);
	if (ret)
		die("--edu-fill: iommufd/VFIO", -ret);
	if ((edu_id(bar0) & 0xff) != 0xed)
		die("--edu-fill: not an edu device", ENODEV);
	for (off = offset; off < offset + length; off += EDU_MAX_XFER) {
		uint32_t len = offset + length - off < EDU_MAX_XFER ?
			       offset + length - off : EDU_MAX_XFER;

		ret = edu_dma(bar0, EDU_IOVA_SRC + off, 0, len, 0);
		if (!ret)
			ret = edu_dma(bar0, EDU_IOVA_BUF + off, 0, len, 1);
		if (ret)
			die("--edu-fill: edu DMA", -ret);
		nr += 2;
	}
	phyrbuf_vfio_close(vfio);
	phyrbuf_ioas_close(ioas);
	munmap(src, size);
	printf("edu_filled=%" PRIu64 " edu_transfers=%u edu_ms=%.0f (the CPU wrote ~pattern)\n",
	       length, nr, (now() - t) * 1e3);
}

/*
 * A phyr_vgem buffer in @placement, on the first device that fits
 * @open_flags, filled with the pattern through its mmap (its complement
 * with --edu-fill, then edu writes the pattern) and exported.
 */
static void vgem_buffer_create(struct buffer *b, enum phyrbuf_placement placement,
			       unsigned int open_flags)
{
	struct phyrbuf_dev_info info;
	void *p;
	int ret;

	ret = phyrbuf_open(PHYRBUF_ANY, open_flags, &b->dev);
	if (ret)
		die("phyrbuf_open", -ret);
	b->placement = placement;
	if (!phyrbuf_dev_info(b->dev, &info)) {
		snprintf(b->pci, sizeof(b->pci), "%s", info.location);
		snprintf(b->pci_remove, sizeof(b->pci_remove),
			 "/sys/bus/%s/devices/%s/remove", info.bus, info.location);
	}
	ret = phyrbuf_bo_create(b->dev, size, placement, 0, &b->bo);
	if (ret)
		die("phyrbuf_bo_create", -ret);
	ret = phyrbuf_bo_mmap(b->bo, &p);
	if (ret)
		die("phyrbuf_bo_mmap", -ret);
	if (edu_pci)
		poison(p);
	else
		fill(p);
	phyrbuf_bo_munmap(b->bo, p);
	ret = phyrbuf_bo_export(b->bo, &b->dmabuf_fd);
	if (ret)
		die("phyrbuf_bo_export", -ret);
	if (edu_pci)
		edu_fill(b);
}

static void buffer_init(struct buffer *b)
{
	memset(b, 0, sizeof(*b));
	b->memfd = -1;
	b->dmabuf_fd = -1;
}

static void buffer_create(struct buffer *b)
{
	void *p;

	buffer_init(b);
	if (!strcmp(memory, "copy") || !strcmp(memory, "zerocopy")) {
		b->anon = mmap(NULL, size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (b->anon == MAP_FAILED)
			die("mmap", errno);
		fill(b->anon);
		return;
	}
	if (!strcmp(memory, "udmabuf")) {
		struct udmabuf_create create = { 0 };
		int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);

		if (dev < 0)
			die("/dev/udmabuf", errno);
		b->memfd = memfd_create("phyr-devmem", MFD_ALLOW_SEALING);
		if (b->memfd < 0 || ftruncate(b->memfd, size) ||
		    fcntl(b->memfd, F_ADD_SEALS, F_SEAL_SHRINK))
			die("memfd", errno);
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, b->memfd, 0);
		if (p == MAP_FAILED)
			die("mmap memfd", errno);
		fill(p);
		munmap(p, size);
		create.memfd = b->memfd;
		create.flags = UDMABUF_FLAGS_CLOEXEC;
		create.offset = 0;
		create.size = size;
		b->dmabuf_fd = ioctl(dev, UDMABUF_CREATE, &create);
		if (b->dmabuf_fd < 0)
			die("UDMABUF_CREATE", errno);
		close(dev);
		return;
	}

	vgem_buffer_create(b, !strcmp(memory, "device") ?
			   PHYRBUF_PLACEMENT_DEVICE : PHYRBUF_PLACEMENT_SYSTEM,
			   !strcmp(memory, "device") ? PHYRBUF_OPEN_DEVICE_MEMORY : 0);
}

/* ---- netdev netlink: bind-tx, libphyrbuf's request (phyrbuf-devmem-nl.h) ---- */

/*
 * bind-tx (or bind-rx, @cmd) on @nl, as it is: the binding lives as long as
 * @nl stays open.  Return 0 with its id, or the negative errno (the kernel's
 * extack message printed).
 */
static int bind_cmd(int nl, int cmd, int ifindex, int dmabuf_fd, uint32_t *id)
{
	char msg[256];
	int ret;

	ret = phyrbuf_devmem_nl_bind(nl, cmd, ifindex, dmabuf_fd, id, msg, sizeof(msg));
	if (ret && *msg)
		printf("bind_extack=%s\n", msg);
	return ret;
}

static int bind_tx(int nl, int ifindex, int dmabuf_fd, uint32_t *id)
{
	return bind_cmd(nl, NETDEV_CMD_BIND_TX, ifindex, dmabuf_fd, id);
}

/* ---- the receiver, in the peer namespace ---- */

/*
 * Read one connection to its end, checking every byte against @version of
 * the pattern; true if all were right.  In the rounds, a wrong byte is also
 * told apart: the poison of the memory a buffer left, or the other version
 * (the contents the buffer had in its old placement).
 */
static bool receive_stream(int s, const char *tag, int version, uint64_t *gotp)
{
	uint64_t got = 0, bad = 0, poisoned = 0, other = 0, first_bad = UINT64_MAX;
	char buf[65536];
	ssize_t n;

	while ((n = recv(s, buf, sizeof(buf), 0)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			uint64_t off = offset + got + i;
			uint8_t c = buf[i];

			if (c == expected_byte(off, version))
				continue;
			if (first_bad == UINT64_MAX)
				first_bad = got + i;
			bad++;
			poisoned += c == poison_byte(off);
			other += c == expected_byte(off, !version);
		}
		got += n;
	}
	/* a reset connection (the sender's revoked binding) ends here too */
	if (n < 0 && errno != ECONNRESET)
		die("recv", errno);
	printf("%sreceived_bytes=%" PRIu64 "\n", tag, got);
	printf("%sreceived_bad_bytes=%" PRIu64 "\n", tag, bad);
	if (revoke_mode)
		printf("%sreceived_poison_bytes=%" PRIu64
		       " received_old_version_bytes=%" PRIu64 "\n", tag, poisoned, other);
	if (bad)
		printf("%sfirst_bad_byte=%" PRIu64 "\n", tag, first_bad);
	if (n < 0)
		printf("%sreset=1\n", tag);
	fflush(stdout);
	*gotp = got;
	return !bad;
}

static int receiver(int ready_fd)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int nsfd, ls, s, one = 1;
	char path[256], tag[32];
	uint64_t got;
	bool ok;

	snprintf(path, sizeof(path), "/run/netns/%s", peer_netns);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET))
		die(path, errno);
	inet_pton(AF_INET, peer_addr, &sa.sin_addr);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 1))
		die("receiver bind/listen", errno);
	if (write(ready_fd, "r", 1) != 1)
		die("ready pipe", errno);
	close(ready_fd);
	s = accept(ls, NULL, NULL);
	if (s < 0)
		die("accept", errno);
	if (!revoke_mode) {
		ok = receive_stream(s, "", 0, &got);
		return ok && got == length ? 0 : 1;
	}
	/*
	 * A round: the connection of the revoked binding, version 0 of the
	 * pattern up to the revoke at most (what was queued before it), then
	 * for a migration the second connection, the whole range again in
	 * version 1 (what the buffer was rewritten with where it is now).
	 */
	snprintf(tag, sizeof(tag), "round=%u first_", round_now.nr);
	ok = receive_stream(s, tag, 0, &got);
	close(s);
	if (got > round_now.at) {
		printf("round=%u FAIL %" PRIu64 " bytes arrived, %" PRIu64
		       " were sent before the revoke\n", round_now.nr, got, round_now.at);
		ok = false;
	}
	if (revoke_mode == REVOKE_MIGRATE) {
		s = accept(ls, NULL, NULL);
		if (s < 0)
			die("accept", errno);
		snprintf(tag, sizeof(tag), "round=%u second_", round_now.nr);
		ok &= receive_stream(s, tag, 1, &got);
		ok &= got == length;
		close(s);
	}
	fflush(stdout);
	return ok ? 0 : 1;
}

/* ---- zerocopy completions ---- */

struct completions {
	uint32_t sends;		/* successful sendmsg() calls */
	uint32_t next;		/* the next zerocopy send's sequence number */
	uint32_t done;		/* completions seen, in sends */
	uint32_t copied;	/* of which the kernel copied */
};

static void read_completions(int s, struct completions *c, int timeout_ms)
{
	char control[128];
	struct msghdr msg = { .msg_control = control, .msg_controllen = sizeof(control) };
	struct pollfd p = { .fd = s, .events = 0 };
	struct sock_extended_err *ee;
	struct cmsghdr *cm;

	while (c->done < c->next) {
		msg.msg_controllen = sizeof(control);
		if (recvmsg(s, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
			if (errno != EAGAIN)
				die("recvmsg(MSG_ERRQUEUE)", errno);
			if (timeout_ms <= 0 || poll(&p, 1, timeout_ms) <= 0)
				return;
			continue;
		}
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			if (!((cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR) ||
			      (cm->cmsg_level == SOL_IPV6 && cm->cmsg_type == IPV6_RECVERR)))
				continue;
			ee = (struct sock_extended_err *)CMSG_DATA(cm);
			if (ee->ee_origin != SO_EE_ORIGIN_ZEROCOPY)
				continue;
			c->done += ee->ee_data - ee->ee_info + 1;
			if (ee->ee_code & SO_EE_CODE_ZEROCOPY_COPIED)
				c->copied += ee->ee_data - ee->ee_info + 1;
		}
	}
}

/* ---- the sender ---- */

/*
 * One devmem sendmsg(): @len bytes from @off of the dma-buf of binding @id.
 * Return the bytes queued, or -errno.
 */
static long devmem_sendmsg(int s, uint64_t off, uint64_t len, uint32_t id, int flags)
{
	char control[CMSG_SPACE(sizeof(uint32_t))] = { 0 };
	struct iovec iov = { .iov_base = (void *)(uintptr_t)off, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	ssize_t n;

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_DEVMEM_DMABUF;
	cm->cmsg_len = CMSG_LEN(sizeof(uint32_t));
	memcpy(CMSG_DATA(cm), &id, sizeof(id));
	n = sendmsg(s, &msg, flags);
	return n < 0 ? -errno : n;
}

/*
 * --bad-send, on the connection to the receiver before the real sends:
 * what upstream's devmem TX refuses.  Nothing of it may reach the
 * receiver, which checks that it gets exactly OFFSET..OFFSET+LENGTH, the end
 * of the buffer.  Return how many bytes of that range were queued (by the
 * send that runs past the end).
 */
static uint64_t bad_sends(int s, uint32_t id, struct completions *c)
{
	long r;

	/*
	 * An iov_base at or beyond the dma-buf's end: net_devmem_get_niov_at()
	 * finds no net_iov, zerocopy_fill_skb_from_devmem() and
	 * skb_zerocopy_iter_stream() give -EFAULT, and tcp_sendmsg_locked()
	 * returns it as nothing was queued.
	 */
	r = devmem_sendmsg(s, size, 1, id, MSG_ZEROCOPY);
	expect_errno("send_at_end", r < 0 ? -r : 0, EFAULT);
	r = devmem_sendmsg(s, size + (1ull << 30), 4096, id, MSG_ZEROCOPY);
	expect_errno("send_far_beyond", r < 0 ? -r : 0, EFAULT);
	/* no binding of that id: net_devmem_get_binding() gives -EINVAL */
	r = devmem_sendmsg(s, offset, 1, 0xfffffffeu, MSG_ZEROCOPY);
	expect_errno("send_unknown_binding", r < 0 ? -r : 0, EINVAL);
	/* SCM_DEVMEM_DMABUF without MSG_ZEROCOPY: tcp_sendmsg_locked() -EINVAL */
	r = devmem_sendmsg(s, offset, 1, id, 0);
	expect_errno("send_without_zerocopy", r < 0 ? -r : 0, EINVAL);
	/*
	 * From OFFSET to 4096 bytes past the end: the skb append that reaches
	 * the end fails with -EFAULT and is taken back whole; what earlier
	 * appends queued is returned (a short count), else -EFAULT.  Never a
	 * byte beyond the buffer.
	 */
	r = devmem_sendmsg(s, offset, length + 4096, id, MSG_ZEROCOPY);
	printf("send_past_end=%ld (of %" PRIu64 " in the buffer)\n", r, length);
	if (r < 0) {
		expect_errno("send_past_end", -r, EFAULT);
		return 0;
	}
	if (r == 0 || (uint64_t)r > length) {
		printf("send_past_end WRONG\n");
		bad_ok = false;
		return 0;
	}
	c->next++;
	c->sends++;
	return r;
}

/*
 * --other-netdev: a socket routed over lo (127.0.0.1), not over the NIC
 * the buffer is bound to: the binding's DMA addresses are the NIC's only,
 * net_devmem_get_binding() compares the route's device and gives -ENODEV.
 */
static void other_netdev_send(uint32_t id)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port + 1000) };
	int ls, s, one = 1;
	long r;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || s < 0)
		die("socket", errno);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 1))
		die("lo bind/listen", errno);
	if (setsockopt(s, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)))
		die("SO_ZEROCOPY", errno);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)))
		die("connect 127.0.0.1", errno);
	r = devmem_sendmsg(s, offset, 4096, id, MSG_ZEROCOPY);
	expect_errno("send_over_lo", r < 0 ? -r : 0, ENODEV);
	close(s);
	close(ls);
}

/* A new TCP connection to the receiver, through the NIC, with SO_ZEROCOPY. */
static int connect_peer(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s, one = 1;

	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		die("socket", errno);
	if (setsockopt(s, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)))
		die("SO_ZEROCOPY", errno);
	if (setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, ifname, strlen(ifname)))
		die("SO_BINDTODEVICE", errno);
	inet_pton(AF_INET, peer_addr, &sa.sin_addr);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)))
		die("connect", errno);
	return s;
}

/*
 * Send the range from OFFSET + *@sent until @stop bytes of it were queued,
 * CHUNK bytes per sendmsg() at most (a send never crosses @stop), and count
 * them in *@sent.  Return 0, or the errno of a sendmsg() that failed.
 */
static int send_until(int s, struct buffer *b, uint32_t dmabuf_id, uint64_t *sent,
		      uint64_t stop, struct completions *c)
{
	char control[CMSG_SPACE(sizeof(uint32_t))];

	while (*sent < stop) {
		uint64_t len = stop - *sent < chunk ? stop - *sent : chunk;
		struct iovec iov = {
			/* devmem TX: the "address" is the offset in the dma-buf */
			.iov_base = (void *)(uintptr_t)(offset + *sent),
			.iov_len = len,
		};
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = control, .msg_controllen = sizeof(control),
		};
		struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
		int flags = MSG_ZEROCOPY;
		ssize_t n;

		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_DEVMEM_DMABUF;
		cm->cmsg_len = CMSG_LEN(sizeof(uint32_t));
		*(uint32_t *)CMSG_DATA(cm) = dmabuf_id;
		if (b->anon) {
			/* no devmem: the bytes from our own memory */
			iov.iov_base = b->anon + offset + *sent;
			msg.msg_control = NULL;
			msg.msg_controllen = 0;
			if (!strcmp(memory, "copy"))
				flags = 0;
		}
		n = sendmsg(s, &msg, flags);
		if (n < 0) {
			if (errno == ENOBUFS) {	/* too many completions pending */
				read_completions(s, c, 100);
				continue;
			}
			return errno;
		}
		if (flags & MSG_ZEROCOPY)
			c->next++;
		c->sends++;
		*sent += n;
		read_completions(s, c, 0);
	}
	return 0;
}

/* Abort a connection: a reset, so that what a revoked binding queued never goes. */
static void reset_close(int s)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(s);
}

/*
 * End a connection whose bytes were all queued: shut our side down, wait
 * for every zerocopy completion (10 s at most), print what TCP counted and
 * close it.
 */
static void finish_conn(int s, struct completions *c, const char *tag)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);

	shutdown(s, SHUT_WR);
	read_completions(s, c, 10000);
	if (!getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &l)) {
		printf("%stcp_total_retrans=%u snd_mss=%u\n", tag, ti.tcpi_total_retrans,
		       ti.tcpi_snd_mss);
		snd_mss = ti.tcpi_snd_mss;
	}
	close(s);
}

/* Send LENGTH bytes from OFFSET over a new connection; die if a send fails. */
static void sender(struct buffer *b, uint32_t dmabuf_id, struct completions *c,
		   double *secs)
{
	uint64_t sent = 0;
	double t0;
	int s, err;

	s = connect_peer();
	if (bad_send)
		sent = bad_sends(s, dmabuf_id, c);
	t0 = now();
	err = send_until(s, b, dmabuf_id, &sent, length, c);
	if (err) {
		printf("sendmsg_errno=%d\n", err);
		die("sendmsg", err);
	}
	/* every byte acknowledged by the peer and every completion in */
	finish_conn(s, c, "");
	*secs = now() - t0;
}

/*
 * The NIC's driver unbinds while a TX binding of it exists: the binding
 * must let go of the device (7.3 kept a dangling pointer to it, which
 * closing the netlink socket then dereferenced).  Then the socket closes,
 * and the driver binds again.
 */
static int unbind_nic_test(int nl, int ifindex, struct buffer *b)
{
	char path[256], dev[PATH_MAX];
	const char *pci;
	uint32_t id2;
	int ret;

	snprintf(path, sizeof(path), "/sys/class/net/%s/device", ifname);
	if (!realpath(path, dev))
		die(path, errno);
	pci = strrchr(dev, '/') + 1;
	write_sysfs("/sys/bus/pci/drivers/e1000e/unbind", pci);
	printf("nic_unbound=%s\n", pci);
	/* the device is gone: binding it again fails */
	ret = bind_tx(nl, ifindex, b->dmabuf_fd, &id2);
	printf("bind_after_unbind_errno=%d\n", -ret);
	close(nl);	/* netdev_nl_sock_priv_destroy(): unbinds */
	usleep(500 * 1000);
	write_sysfs("/sys/bus/pci/drivers/e1000e/bind", pci);
	printf("nic_bound_again=%s\n", pci);
	close(b->dmabuf_fd);
	printf("%s\n", ret == -ENODEV ? "PASS" : "FAIL");
	return ret == -ENODEV ? 0 : 1;
}

/*
 * --bad-bind fd|ifindex: bind-tx must refuse what is not a dma-buf or not a
 * device that can send from one, each with upstream's errno; then the same
 * request with the right fd and ifindex must bind (so the refusals came
 * from what was wrong).  Nothing is sent.
 */
static int bad_bind_test(int nl, int ifindex, struct buffer *b)
{
	uint32_t id;
	int fd, ret;

	if (!strcmp(bad_bind, "fd")) {
		/* dma_buf_get() of a file that is not a dma-buf: -EINVAL */
		fd = memfd_create("not-a-dma-buf", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, 4096))
			die("memfd", errno);
		expect_errno("bind_memfd", -bind_tx(nl, ifindex, fd, &id), EINVAL);
		/* dma_buf_get() of an fd that is not open: -EBADF */
		ret = dup(fd);
		if (ret < 0)
			die("dup", errno);
		close(ret);
		expect_errno("bind_closed_fd", -bind_tx(nl, ifindex, ret, &id), EBADF);
		close(fd);
	} else if (!strcmp(bad_bind, "ifindex")) {
		int idx = 0x7ffffff0, lo = if_nametoindex("lo");
		char name[IF_NAMESIZE];

		/* the YAML policy: ifindex min 1 (NLA_POLICY_MIN): -ERANGE */
		expect_errno("bind_ifindex_0", -bind_tx(nl, 0, b->dmabuf_fd, &id), ERANGE);
		/* netdev_get_by_index_lock() finds no device: -ENODEV */
		while (if_indextoname(idx, name))
			idx++;
		printf("unused_ifindex=%d\n", idx);
		expect_errno("bind_ifindex_unused", -bind_tx(nl, idx, b->dmabuf_fd, &id), ENODEV);
		/* lo cannot send netmem (netmem_tx NONE): -EOPNOTSUPP */
		if (!lo)
			die("lo", errno);
		expect_errno("bind_ifindex_lo", -bind_tx(nl, lo, b->dmabuf_fd, &id), EOPNOTSUPP);
		/* a NIC in another network namespace is not found here: -ENODEV */
		if (other_ifindex && !if_indextoname(other_ifindex, name))
			expect_errno("bind_ifindex_other_netns",
				     -bind_tx(nl, other_ifindex, b->dmabuf_fd, &id), ENODEV);
		else if (other_ifindex)
			printf("bind_ifindex_other_netns skipped: %d is %s here\n",
			       other_ifindex, name);
	} else {
		usage();
	}
	/* the control: the right fd on the right device binds */
	ret = bind_tx(nl, ifindex, b->dmabuf_fd, &id);
	expect_errno("bind_control", -ret, 0);
	if (!ret)
		printf("binding_id=%u\n", id);
	close(nl);
	close(b->dmabuf_fd);
	printf("%s\n", bad_ok ? "PASS" : "FAIL");
	return bad_ok ? 0 : 1;
}

/*
 * --unprivileged: become nobody (no capability left), with the buffer and
 * the receiver made before.  bind-rx needs CAP_NET_ADMIN (its genl op has
 * GENL_UNS_ADMIN_PERM: -EPERM, checked by genetlink before the request is
 * looked at); bind-tx is unprivileged upstream (no admin flag on purpose,
 * see netdev_nl_bind_tx_doit()), so the buffer binds and is sent.
 * Return the new netlink socket (opened as nobody: genetlink checks the
 * opener's capabilities too).
 */
static int become_nobody(int ifindex, struct buffer *b)
{
	uint32_t id;
	int nl;

	/* as root, bind-rx without queues gets as far as its own -EINVAL */
	nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl < 0)
		die("netlink socket", errno);
	expect_errno("root_bind_rx_without_queues",
		     -bind_cmd(nl, NETDEV_CMD_BIND_RX, ifindex, b->dmabuf_fd, &id), EINVAL);
	close(nl);
	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534))
		die("becoming nobody", errno);
	printf("uid=%d euid=%d\n", (int)getuid(), (int)geteuid());
	nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl < 0)
		die("netlink socket", errno);
	expect_errno("nobody_bind_rx",
		     -bind_cmd(nl, NETDEV_CMD_BIND_RX, ifindex, b->dmabuf_fd, &id), EPERM);
	return nl;
}

/* Fork the receiver and wait until it listens. */
static pid_t start_receiver(void)
{
	int pipefd[2];
	pid_t child;
	char r;

	if (pipe(pipefd))
		die("pipe", errno);
	fflush(stdout);	/* or the child prints what is buffered again */
	child = fork();
	if (child < 0)
		die("fork", errno);
	if (!child) {
		close(pipefd[0]);
		/* not left behind if the sender dies */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(receiver(pipefd[1]));
	}
	close(pipefd[1]);
	if (read(pipefd[0], &r, 1) != 1) {
		fprintf(stderr, "phyr-devmem-test: the receiver did not start\n");
		exit(1);
	}
	close(pipefd[0]);
	return child;
}

/* ---- revoke, migrate and unplug in rounds ---- */

/* phyr_vgem's device memory: ivshmem's BAR2 */
#define VGEM_BAR	2
/* physically contiguous pieces of a buffer we look at, at most */
#define MAX_PIECES	256

/* A physically contiguous piece of a buffer: where in it, where in the BAR. */
struct bar_piece {
	uint64_t bo_off;
	uint64_t bar_off;
	uint64_t len;
};

/* The poison buffers of a round, kept until it ends, and their device. */
struct poison {
	struct phyrbuf_dev *dev;	/* if not the round's buffer's */
	struct phyrbuf_bo *bo[2];
	unsigned int nr;
};

/* Where the phyr_vgem BAR of PCI device @pci starts now (sysfs). */
static uint64_t bar_start(const char *pci)
{
	unsigned long long start = 0, end, flags;
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", pci);
	f = fopen(path, "r");
	if (!f)
		die(path, errno);
	for (int i = 0; i <= VGEM_BAR; i++) {
		if (fscanf(f, "%llx %llx %llx", &start, &end, &flags) != 3)
			die(path, EPROTO);
	}
	fclose(f);
	return start;
}

/* @bo's physical ranges now, as pieces of the BAR at @base; return how many. */
static unsigned int bo_pieces(struct phyrbuf_bo *bo, uint64_t base, struct bar_piece *pc)
{
	struct phyrbuf_range r[MAX_PIECES];
	int n = phyrbuf_bo_ranges(bo, r, MAX_PIECES);

	if (n < 0)
		die("phyrbuf_bo_ranges", -n);
	if (n > MAX_PIECES) {
		fprintf(stderr, "phyr-devmem-test: a buffer of more than %d ranges\n", MAX_PIECES);
		exit(1);
	}
	for (int i = 0; i < n; i++) {
		if (r[i].type != PHYRBUF_RANGE_MMIO || r[i].addr < base) {
			fprintf(stderr, "phyr-devmem-test: range %d of a device buffer is not in the BAR at 0x%"
				PRIx64 "\n", i, base);
			exit(1);
		}
		pc[i].bo_off = r[i].offset;
		pc[i].bar_off = r[i].addr - base;
		pc[i].len = r[i].length;
	}
	return n;
}

/*
 * Fill the poison buffer @pbo (device memory, the BAR at @base): where it
 * holds a piece of @old, each byte is the poison of the offset the old
 * buffer had there, elsewhere 0xa5; then read back what lies over @old.
 * Return the bytes written over @old, and count in *@bad those that did not
 * read back as written.
 */
static uint64_t poison_write(unsigned int nr, struct phyrbuf_bo *pbo, uint64_t base,
			     const struct bar_piece *old, unsigned int nr_old,
			     uint64_t *bad)
{
	struct bar_piece pc[MAX_PIECES];
	unsigned int n = bo_pieces(pbo, base, pc);
	uint64_t covered = 0;
	uint8_t *p;
	int ret;

	ret = phyrbuf_bo_mmap(pbo, (void **)&p);
	if (ret)
		die("phyrbuf_bo_mmap (poison)", -ret);
	memset(p, 0xa5, phyrbuf_bo_size(pbo));
	for (unsigned int i = 0; i < n; i++) {
		for (unsigned int j = 0; j < nr_old; j++) {
			uint64_t lo = max_u64(pc[i].bar_off, old[j].bar_off);
			uint64_t hi = min_u64(pc[i].bar_off + pc[i].len,
					      old[j].bar_off + old[j].len);
			/* the poison buffer's and the old buffer's offsets of lo */
			uint64_t q = pc[i].bo_off + (lo - pc[i].bar_off);
			uint64_t o = old[j].bo_off + (lo - old[j].bar_off);

			if (lo >= hi)
				continue;
			for (uint64_t k = 0; k < hi - lo; k++)
				p[q + k] = poison_byte(o + k);
			for (uint64_t k = 0; k < hi - lo; k++)
				*bad += p[q + k] != poison_byte(o + k);
			covered += hi - lo;
			printf("round=%u poison BAR 0x%" PRIx64 "-0x%" PRIx64
			       " (old buffer 0x%" PRIx64 "-0x%" PRIx64 ")\n",
			       nr, lo, hi, o, o + (hi - lo));
		}
	}
	phyrbuf_bo_munmap(pbo, p);
	return covered;
}

/*
 * Overwrite the device memory a buffer left, @old (pieces of the BAR at
 * @base of @dev), with poison: a NIC that still read there would send it,
 * and the receiver tells it apart.  phyr_vgem's buddy allocator may hand a
 * new buffer of the same size the blocks just freed; whether it did is
 * checked against @old, not assumed, and if it did not cover them all, the
 * rest of the free device memory is allocated and poisoned too.  The poison
 * buffers stay in @p until the round ends.  Return true if the poison
 * covers every byte of @old and reads back right.
 */
static bool poison_left_memory(unsigned int nr, struct phyrbuf_dev *dev, uint64_t base,
			       const struct bar_piece *old, unsigned int nr_old,
			       struct poison *p)
{
	uint64_t total = 0, covered = 0, written = 0, bad = 0, sz = size;
	struct phyrbuf_dev_info info;
	double t = now();
	int ret;

	for (unsigned int j = 0; j < nr_old; j++) {
		printf("round=%u left BAR 0x%" PRIx64 "-0x%" PRIx64 " (buffer 0x%" PRIx64 ")\n",
		       nr, old[j].bar_off, old[j].bar_off + old[j].len, old[j].bo_off);
		total += old[j].len;
	}
	while (p->nr < 2 && covered < total && sz) {
		ret = phyrbuf_bo_create(dev, sz, PHYRBUF_PLACEMENT_DEVICE, 0, &p->bo[p->nr]);
		if (ret)
			die("phyrbuf_bo_create (poison)", -ret);
		covered += poison_write(nr, p->bo[p->nr], base, old, nr_old, &bad);
		written += sz;
		p->nr++;
		/* not all covered: then the whole of the free device memory */
		sz = 0;
		if (!phyrbuf_dev_info(dev, &info))
			sz = info.device_free & ~(uint64_t)(sysconf(_SC_PAGESIZE) - 1);
	}
	printf("round=%u poison_bytes=%" PRIu64 " in %u buffers, over the left range %" PRIu64
	       " of %" PRIu64 " bytes, read back wrong %" PRIu64 ", %.0f ms\n",
	       nr, written, p->nr, covered, total, bad, (now() - t) * 1e3);
	if (covered != total || bad)
		printf("round=%u FAIL the poison does not cover the memory the buffer left\n", nr);
	return covered == total && !bad;
}

static int tcp_info(int s, struct tcp_info *ti)
{
	socklen_t l = sizeof(*ti);

	return getsockopt(s, IPPROTO_TCP, TCP_INFO, ti, &l) ? -errno : 0;
}

/*
 * After the poison, on the connection of the revoked binding: what was queued
 * before the revoke and is not acknowledged yet, TCP retransmits, and the
 * kernel must drop (the binding is revoked) -- a NIC that still read the old
 * memory would send poison now.  Wait for TCP's first retransmission, 2 s
 * at most (none is due when everything was acknowledged).
 */
static void wait_retransmit(unsigned int nr, int s, uint64_t dropped0)
{
	struct tcp_info ti;
	unsigned int unacked, r0;
	double t0 = now();

	if (tcp_info(s, &ti))
		return;
	unacked = ti.tcpi_unacked;
	r0 = ti.tcpi_total_retrans;
	while (unacked && now() - t0 < 2.0 && !tcp_info(s, &ti) &&
	       ti.tcpi_total_retrans == r0)
		usleep(50 * 1000);
	if (ti.tcpi_total_retrans != r0)
		usleep(200 * 1000);	/* for the NIC, if it were handed one */
	printf("round=%u unacked_at_poison=%u retransmitted_after_poison=%u nic_tx_dropped=+%"
	       PRIu64 "\n", nr, unacked, ti.tcpi_total_retrans - r0,
	       nic_stat("tx_dropped") - dropped0);
}

/*
 * After a rescan: the phyr_vgem device at PCI address @pci, once it was
 * probed again and its node opens (30 s at most: a rescan took up to 3.6 s
 * under TCG on a loaded host).
 */
static int reopen_pci(const char *pci, struct phyrbuf_dev **devp)
{
	struct phyrbuf_dev_info info;

	for (int t = 0; t < 300; t++) {
		int n = phyrbuf_device_count();

		for (int i = 0; i < n; i++) {
			if (!phyrbuf_device_describe(i, &info) && !strcmp(info.location, pci) &&
			    !phyrbuf_open(i, PHYRBUF_OPEN_DEVICE_MEMORY, devp))
				return 0;
		}
		usleep(100 * 1000);
	}
	return -ETIMEDOUT;
}

/*
 * One round of --migrate-at or --unplug-at: a new buffer (device memory,
 * or for every other migration round system memory), filled with version 0
 * of the round's pattern and bound on a new netlink socket, is sent over a
 * new connection up to the round's revoke point, then
 *
 * - migrated to the other placement, or its PCI device removed (after which
 *   the bus is rescanned and phyr_vgem probes the device again);
 * - the next sendmsg() must fail with ENODEV;
 * - the memory it left is poisoned: device memory through a new buffer over
 *   the same BAR range (poison_left_memory()); shmem pages it left cannot be
 *   reached from here (they stay the object's, unpinned), so after a move to
 *   device memory the buffer is rewritten instead: its old contents on the
 *   wire would be wrong too;
 * - a migrated buffer is rewritten with version 1 where it is now (every byte
 *   differs from version 0 and from the poison);
 * - TCP gets time to retransmit what the revoked binding queued, and the
 *   connection is reset; the receiver must have got only right bytes of
 *   version 0, no more than were sent before the revoke;
 * - a migrated buffer is bound again and sent whole over a second
 *   connection, which must arrive complete in version 1, every completion
 *   in and none copied.
 *
 * Return true if the round passed.
 */
static bool revoke_round(unsigned int nr, int ifindex)
{
	enum phyrbuf_placement from = !strcmp(memory, "device") ?
		PHYRBUF_PLACEMENT_DEVICE : PHYRBUF_PLACEMENT_SYSTEM, to;
	struct completions c = { 0 }, c2 = { 0 };
	struct bar_piece old[MAX_PIECES];
	struct poison poison = { 0 };
	uint64_t sent = 0, base = 0, dropped0, tx0;
	unsigned int nr_old = 0;
	bool ok = true;
	int nl, s, err, status;
	char tag[32];
	struct buffer b;
	double t, t0;
	uint32_t id;
	pid_t child;
	long r;

	if (revoke_mode == REVOKE_MIGRATE && nr % 2)
		from = from == PHYRBUF_PLACEMENT_DEVICE ?
			PHYRBUF_PLACEMENT_SYSTEM : PHYRBUF_PLACEMENT_DEVICE;
	to = from == PHYRBUF_PLACEMENT_DEVICE ?
		PHYRBUF_PLACEMENT_SYSTEM : PHYRBUF_PLACEMENT_DEVICE;
	t0 = now();
	snprintf(tag, sizeof(tag), "round=%u ", nr);
	round_now.nr = nr;
	round_now.at = revoke_at[nr % nr_revoke_at];
	pattern_salt = nr * 0x1d;
	buffer_init(&b);
	vgem_buffer_create(&b, from, PHYRBUF_OPEN_DEVICE_MEMORY);
	printf("round=%u %s_at=%" PRIu64 " of %" PRIu64 " placement=%s device=%s\n", nr,
	       revoke_mode == REVOKE_MIGRATE ? "migrate" : "unplug", round_now.at, length,
	       phyrbuf_placement_name(from), b.pci);
	if (from == PHYRBUF_PLACEMENT_DEVICE) {
		base = bar_start(b.pci);
		nr_old = bo_pieces(b.bo, base, old);
	}
	nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl < 0)
		die("netlink socket", errno);
	err = bind_tx(nl, ifindex, b.dmabuf_fd, &id);
	if (err)
		die("bind-tx", -err);
	printf("round=%u binding_id=%u\n", nr, id);
	print_nic_attachment();
	child = start_receiver();

	s = connect_peer();
	err = send_until(s, &b, id, &sent, round_now.at, &c);
	if (err)
		die("sendmsg before the revoke", err);
	dropped0 = nic_stat("tx_dropped");
	t = now();
	if (revoke_mode == REVOKE_MIGRATE) {
		err = phyrbuf_bo_migrate(b.bo, to);
		if (err)
			die("phyrbuf_bo_migrate", -err);
		b.placement = to;
		printf("round=%u migrated_at=%" PRIu64 " to=%s migrate_ms=%.1f\n", nr, sent,
		       phyrbuf_placement_name(to), (now() - t) * 1e3);
	} else {
		write_sysfs(b.pci_remove, "1");
		printf("round=%u unplugged_at=%" PRIu64 " unplug_ms=%.1f\n", nr, sent,
		       (now() - t) * 1e3);
	}
	/* the binding is revoked: the next send fails at once */
	do {
		r = devmem_sendmsg(s, offset + sent, min_u64(length - sent, chunk), id,
				   MSG_ZEROCOPY);
		if (r == -ENOBUFS)
			read_completions(s, &c, 100);
	} while (r == -ENOBUFS);
	printf("round=%u sendmsg_after_revoke_errno=%d expected=%d\n", nr,
	       r < 0 ? (int)-r : 0, ENODEV);
	ok &= r == -ENODEV;

	if (revoke_mode == REVOKE_UNPLUG) {
		/*
		 * The revoked binding still holds its attachment, whose P2P
		 * provider went with the device: there is no P2P path to
		 * show any more (and nothing of the provider may be read)
		 */
		if (print_nic_attachment()) {
			printf("round=%u FAIL a P2P kind shown for a removed device\n", nr);
			ok = false;
		}
		t = now();
		write_sysfs("/sys/bus/pci/rescan", "1");
		err = reopen_pci(b.pci, &poison.dev);
		if (err)
			die("phyr_vgem did not probe the rescanned device again", -err);
		printf("round=%u rescan_ms=%.0f (phyr_vgem probed %s again)\n", nr,
		       (now() - t) * 1e3, b.pci);
		ok &= poison_left_memory(nr, poison.dev, bar_start(b.pci), old, nr_old, &poison);
	} else if (from == PHYRBUF_PLACEMENT_DEVICE) {
		ok &= poison_left_memory(nr, b.dev, base, old, nr_old, &poison);
	} else {
		printf("round=%u poison none: the buffer left shmem pages (the object's, unpinned)\n",
		       nr);
	}
	if (revoke_mode == REVOKE_MIGRATE) {
		void *p;

		t = now();
		err = phyrbuf_bo_mmap(b.bo, &p);
		if (err)
			die("phyrbuf_bo_mmap", -err);
		fill_version(p, 1);
		phyrbuf_bo_munmap(b.bo, p);
		printf("round=%u rewritten with version 1 in %s memory, %.0f ms\n", nr,
		       phyrbuf_placement_name(to), (now() - t) * 1e3);
	}
	wait_retransmit(nr, s, dropped0);
	reset_close(s);

	if (revoke_mode == REVOKE_MIGRATE) {
		struct phyrbuf_bo_info info;

		err = bind_tx(nl, ifindex, b.dmabuf_fd, &id);
		if (err)
			die("bind-tx again", -err);
		err = phyrbuf_bo_query(b.bo, &info);
		if (err)
			die("phyrbuf_bo_query", -err);
		printf("round=%u binding_id_2=%u placement=%s\n", nr, id,
		       phyrbuf_placement_name(info.placement));
		print_nic_attachment();
		ok &= info.placement == to;
		tx0 = nic_stat("tx_bytes");
		s = connect_peer();
		sent = 0;
		err = send_until(s, &b, id, &sent, length, &c2);
		if (err)
			die("sendmsg on the new binding", err);
		finish_conn(s, &c2, tag);
		printf("round=%u second_sends=%u completions=%u copied=%u nic_tx_bytes=+%"
		       PRIu64 "\n", nr, c2.sends, c2.done, c2.copied, nic_stat("tx_bytes") - tx0);
		ok &= c2.done == c2.next && !c2.copied && nic_stat("tx_bytes") - tx0 >= length;
	}
	if (waitpid(child, &status, 0) < 0)
		die("waitpid", errno);
	ok &= WIFEXITED(status) && !WEXITSTATUS(status);

	for (unsigned int i = 0; i < poison.nr; i++)
		phyrbuf_bo_close(poison.bo[i]);
	if (poison.dev)
		phyrbuf_close(poison.dev);
	close(nl);
	close(b.dmabuf_fd);
	/* after an unplug the ioctl fails (-ENODEV): closing the device frees it */
	phyrbuf_bo_close(b.bo);
	phyrbuf_close(b.dev);
	printf("round=%u %s seconds=%.1f\n", nr, ok ? "PASS" : "FAIL", now() - t0);
	return ok;
}

/*
 * Parse "BYTES[,BYTES...]" of --migrate-at or --unplug-at into revoke_at[];
 * false if it is not a list of at most MAX_ROUNDS numbers.
 */
static bool parse_revoke_at(const char *arg)
{
	char *end;

	nr_revoke_at = 0;
	do {
		if (nr_revoke_at == MAX_ROUNDS || *arg < '0' || *arg > '9')
			return false;
		errno = 0;
		revoke_at[nr_revoke_at++] = strtoull(arg, &end, 0);
		if (errno || (*end && *end != ','))
			return false;
		arg = end + 1;
	} while (*end);
	return true;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ifname", required_argument, NULL, 'i' },
		{ "peer-netns", required_argument, NULL, 'n' },
		{ "peer-addr", required_argument, NULL, 'a' },
		{ "memory", required_argument, NULL, 'm' },
		{ "size", required_argument, NULL, 's' },
		{ "offset", required_argument, NULL, 'o' },
		{ "length", required_argument, NULL, 'l' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "expect-bind-error", required_argument, NULL, 'e' },
		{ "migrate-at", required_argument, NULL, 'M' },
		{ "unplug-at", required_argument, NULL, 'U' },
		{ "repeat", required_argument, NULL, 'R' },
		{ "unbind-nic", no_argument, NULL, 'B' },
		{ "bad-send", no_argument, NULL, 'S' },
		{ "other-netdev", no_argument, NULL, 'O' },
		{ "bad-bind", required_argument, NULL, 'b' },
		{ "other-ifindex", required_argument, NULL, 'I' },
		{ "unprivileged", no_argument, NULL, 'u' },
		{ "edu-fill", required_argument, NULL, 'E' },
		{ "expect-tso", no_argument, NULL, 'T' },
		{ 0 }
	};
	struct completions c = { 0 };
	uint64_t tx_bytes0, tx_packets0;
	int opt, nl, ret, status, ifindex;
	struct buffer b;
	double secs = 0;
	uint32_t id;
	pid_t child;
	char *end;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'i': ifname = optarg; break;
		case 'n': peer_netns = optarg; break;
		case 'a': peer_addr = optarg; break;
		case 'm': memory = optarg; break;
		case 's': size = strtoull(optarg, NULL, 0); break;
		case 'o': offset = strtoull(optarg, NULL, 0); break;
		case 'l': length = strtoull(optarg, NULL, 0); break;
		case 'c': chunk = strtoull(optarg, NULL, 0); break;
		case 'p': port = atoi(optarg); break;
		case 'e': expect_bind_error = atoi(optarg); break;
		case 'M':
		case 'U':
			if (revoke_mode || !parse_revoke_at(optarg)) {
				fprintf(stderr, "phyr-devmem-test: one of --migrate-at and --unplug-at, BYTES[,BYTES...] (at most %d): %s\n",
					MAX_ROUNDS, strerror(EINVAL));
				return 2;
			}
			revoke_mode = opt == 'M' ? REVOKE_MIGRATE : REVOKE_UNPLUG;
			break;
		case 'R':
			errno = 0;
			repeat = strtoul(optarg, &end, 0);
			if (errno || *end || !*optarg || *optarg == '-' ||
			    repeat < 1 || repeat > MAX_ROUNDS) {
				fprintf(stderr, "phyr-devmem-test: --repeat %s: 1 to %d rounds: %s\n",
					optarg, MAX_ROUNDS, strerror(EINVAL));
				return 2;
			}
			break;
		case 'B': unbind_nic = true; break;
		case 'S': bad_send = true; break;
		case 'O': other_netdev = true; break;
		case 'b': bad_bind = optarg; break;
		case 'I': other_ifindex = atoi(optarg); break;
		case 'u': unprivileged = true; break;
		case 'E': edu_pci = optarg; break;
		case 'T': expect_tso = true; break;
		default: usage();
		}
	}
	if (!ifname || !peer_netns || !peer_addr || !chunk ||
	    (strcmp(memory, "device") && strcmp(memory, "system") &&
	     strcmp(memory, "udmabuf") && strcmp(memory, "copy") &&
	     strcmp(memory, "zerocopy")))
		usage();
	if (!length)
		length = size - offset;
	if (revoke_mode == REVOKE_UNPLUG && strcmp(memory, "device")) {
		fprintf(stderr, "phyr-devmem-test: --unplug-at needs device memory\n");
		return 2;
	}
	if (edu_pci && strcmp(memory, "device") && strcmp(memory, "system")) {
		fprintf(stderr, "phyr-devmem-test: --edu-fill needs a phyr_vgem buffer\n");
		return 2;
	}
	if (revoke_mode == REVOKE_MIGRATE && strcmp(memory, "device") && strcmp(memory, "system")) {
		fprintf(stderr, "phyr-devmem-test: --migrate-at needs a phyr_vgem buffer\n");
		return 2;
	}
	if (offset > size || length > size - offset) {
		fprintf(stderr, "phyr-devmem-test: offset + length beyond the buffer\n");
		return 2;
	}
	if (repeat > 1 && !revoke_mode) {
		fprintf(stderr, "phyr-devmem-test: --repeat needs --migrate-at or --unplug-at\n");
		return 2;
	}
	if (revoke_mode && (edu_pci || bad_send || other_netdev || bad_bind ||
			    unprivileged || unbind_nic || expect_bind_error)) {
		fprintf(stderr, "phyr-devmem-test: --migrate-at and --unplug-at go alone\n");
		return 2;
	}
	for (unsigned int i = 0; i < nr_revoke_at; i++) {
		/* a revoke while sending: before the last byte was queued */
		if (revoke_at[i] >= length) {
			fprintf(stderr, "phyr-devmem-test: revoke point %" PRIu64
				" not below the length %" PRIu64 ": %s\n",
				revoke_at[i], length, strerror(EINVAL));
			return 2;
		}
	}
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		die(ifname, errno);
	/* the receiver's lines and ours, in the order they happen */
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (revoke_mode) {
		unsigned int passed = 0;

		printf("memory=%s size=%" PRIu64 " offset=%" PRIu64 " length=%" PRIu64
		       " rounds=%u\n", memory, size, offset, length, repeat);
		for (unsigned int i = 0; i < repeat; i++)
			passed += revoke_round(i, ifindex);
		printf("rounds_passed=%u of %u\n", passed, repeat);
		printf("%s\n", passed == repeat ? "PASS" : "FAIL");
		return passed == repeat ? 0 : 1;
	}

	buffer_create(&b);
	printf("memory=%s size=%" PRIu64 " offset=%" PRIu64 " length=%" PRIu64 "\n",
	       memory, size, offset, length);

	child = 0;
	if (unprivileged) {
		if (b.anon)
			usage();
		/* the receiver needs setns() (CAP_SYS_ADMIN): before */
		child = start_receiver();
		nl = become_nobody(ifindex, &b);
	} else {
		nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	}
	if (nl < 0)
		die("netlink socket", errno);
	if (bad_bind)
		return bad_bind_test(nl, ifindex, &b);
	id = 0;
	if (!b.anon) {
		ret = bind_tx(nl, ifindex, b.dmabuf_fd, &id);
		if (expect_bind_error) {
			printf("bind_errno=%d\n", ret ? -ret : 0);
			return -ret == expect_bind_error ? 0 : 1;
		}
		if (ret)
			die("bind-tx", -ret);
		printf("binding_id=%u\n", id);
		print_nic_attachment();
	}
	fflush(stdout);
	if (unbind_nic)
		return unbind_nic_test(nl, ifindex, &b);

	if (other_netdev)
		other_netdev_send(id);
	if (!child)
		child = start_receiver();

	tx_bytes0 = nic_stat("tx_bytes");
	tx_packets0 = nic_stat("tx_packets");
	sender(&b, id, &c, &secs);
	if (waitpid(child, &status, 0) < 0)
		die("waitpid", errno);

	printf("sent_bytes=%" PRIu64 " sends=%u\n", length, c.sends);
	printf("zerocopy_completions=%u copied=%u\n", c.done, c.copied);
	printf("nic_tx_bytes=%" PRIu64 " nic_tx_packets=%" PRIu64 "\n",
	       nic_stat("tx_bytes") - tx_bytes0, nic_stat("tx_packets") - tx_packets0);
	printf("seconds=%.3f throughput_MBps=%.2f\n", secs,
	       secs > 0 ? length / secs / 1e6 : 0.0);

	ret = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		printf("FAIL receiver\n");
		ret = 1;
	}
	/* MSG_ZEROCOPY of anonymous memory may fall back to a copy: shown, allowed */
	if (c.done != c.next || (c.copied && !b.anon)) {
		printf("FAIL zerocopy completions\n");
		ret = 1;
	}
	if (nic_stat("tx_bytes") - tx_bytes0 < length) {
		printf("FAIL the NIC counted fewer bytes than were sent\n");
		ret = 1;
	}
	if (!bad_ok) {
		printf("FAIL bad input: a WRONG errno above\n");
		ret = 1;
	}
	if (expect_tso) {
		/* tx_packets counts what the driver handed the NIC (QEMU's GPTC) */
		uint64_t pkts = nic_stat("tx_packets") - tx_packets0;
		uint64_t segs = snd_mss ? (length + snd_mss - 1) / snd_mss : 0;

		printf("tso: %" PRIu64 " NIC packets for %" PRIu64 " MSS segments\n", pkts, segs);
		if (!snd_mss || pkts >= segs) {
			printf("FAIL no packet of several MSS reached the NIC\n");
			ret = 1;
		}
	}
	close(nl);
	if (b.dmabuf_fd >= 0)
		close(b.dmabuf_fd);
	if (b.bo)
		phyrbuf_bo_close(b.bo);
	if (b.dev)
		phyrbuf_close(b.dev);
	if (b.memfd >= 0)
		close(b.memfd);
	printf("%s\n", ret ? "FAIL" : "PASS");
	return ret;
}
