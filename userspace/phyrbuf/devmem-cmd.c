// SPDX-License-Identifier: MIT
/*
 * phyrbuf devmem-send / devmem-recv: a phyr_vgem buffer sent over TCP by a
 * NIC's own DMA (devmem TCP TX, docs/devmem.md), and a plain receiver that
 * checks every byte.
 *
 *   phyrbuf devmem-send --ifname IF --peer ADDR:PORT [--size SIZE]
 *                       [--placement device|system] [--device N]
 *                       [--offset B] [--length B] [--chunk B]
 *   phyrbuf devmem-recv --listen ADDR:PORT [--offset B] [--length B]
 *
 * Copyright 2026 The phyr developers
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "phyrbuf.h"
#include "cli.h"
#include "phyr-test.h"

static const char devmem_send_usage[] =
	"usage: phyrbuf devmem-send --ifname IF --peer ADDR:PORT [--size SIZE]\n"
	"                           [--placement P] [--device N] [--offset B]\n"
	"                           [--length B] [--chunk B]\n"
	"\n"
	"Creates a buffer on a phyr_vgem device, writes a pattern into it through a\n"
	"CPU mapping (every byte a function of its offset), exports it as a dma-buf\n"
	"and binds it for devmem TCP TX on the NIC IF (netdev netlink bind-tx).  Then\n"
	"connects to ADDR:PORT (a 'phyrbuf devmem-recv') through IF and sends LENGTH\n"
	"bytes from OFFSET of the buffer with sendmsg(MSG_ZEROCOPY) and\n"
	"SCM_DEVMEM_DMABUF: the iovecs carry offsets into the dma-buf, the NIC reads\n"
	"the bytes by DMA.  Prints the flavour the NIC's attachment negotiated, the\n"
	"NIC's IOMMU domain, bytes, throughput, the zerocopy completions (none may\n"
	"say the kernel copied) and the receiver's verdict.\n"
	"\n"
	"  --ifname IF         the NIC (a driver with devmem TX: e1000e, bnxt, ...)\n"
	"  --peer ADDR:PORT    the receiver (IPv4)\n"
	"  --size SIZE         buffer size (K, M, G suffixes; default 16M)\n"
	"  --placement P       device (default) or system\n"
	"  --device N          phyr_vgem device N (default: the first, or the first\n"
	"                      with device memory for --placement device)\n"
	"  --offset B          where the bytes start in the buffer (default 0)\n"
	"  --length B          how many (default: the rest of the buffer)\n"
	"  --chunk B           bytes per sendmsg() (default 64K)\n"
	"\n"
	"Exit status: 0 when every byte arrived right and the kernel copied none,\n"
	"1 on failure, 2 on a usage error.\n";

static const char devmem_recv_usage[] =
	"usage: phyrbuf devmem-recv --listen ADDR:PORT [--offset B] [--length B]\n"
	"\n"
	"Accepts one TCP connection on ADDR:PORT, reads it to its end with a plain\n"
	"socket and checks every byte against devmem-send's pattern for a stream\n"
	"that starts at OFFSET of the buffer, and the count against LENGTH if\n"
	"given; answers the sender with its verdict and prints it.\n"
	"\n"
	"Exit status: 0 when every byte is right, 1 otherwise, 2 on a usage error.\n";

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "A.B.C.D:PORT" */
static bool parse_addr(const char *s, struct sockaddr_in *sa)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	char *end;
	long port;

	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(host))
		return false;
	memcpy(host, s, colon - s);
	host[colon - s] = 0;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port < 1 || port > 65535)
		return false;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1;
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

static uint64_t nic_stat(const char *ifname, const char *stat)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname, stat);
	return read_u64(path);
}

/* The NIC's PCI address (or its sysfs device name) into @pci, or "?". */
static void nic_device(const char *ifname, char *pci, size_t len)
{
	char path[256], dev[PATH_MAX];
	const char *p;

	snprintf(path, sizeof(path), "/sys/class/net/%s/device", ifname);
	if (!realpath(path, dev) || !(p = strrchr(dev, '/'))) {
		snprintf(pci, len, "?");
		return;
	}
	snprintf(pci, len, "%s", p + 1);
}

/* The first line of a small sysfs text file into @buf, or "?" */
static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f || !fgets(buf, len, f))
		snprintf(buf, len, "?");
	else
		buf[strcspn(buf, "\n")] = 0;
	if (f)
		fclose(f);
}

/*
 * The flavour the NIC's attachment negotiated and, if it was matched on MMIO,
 * how the NIC reaches that MMIO, as the kernel says them: the attachment's line
 * in debugfs's dma_buf/bufinfo ("\t<device>\t<flavour>[\tp2p:<kind>]").
 * @p2p is "" without a p2p field.  Return false if there is no such line.
 */
static bool nic_attachment(const char *pci, char *flavour, size_t len,
			   char *p2p, size_t p2p_len)
{
	char line[512];
	bool found = false;
	FILE *f;

	snprintf(flavour, len, "?");
	snprintf(p2p, p2p_len, "%s", "");
	f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, pci), *kind;

		if (!p || p[strlen(pci)] != '\t')
			continue;
		p += strlen(pci);
		p += strspn(p, " \t");
		p[strcspn(p, "\n")] = 0;
		kind = strstr(p, "\tp2p:");
		if (kind) {
			*kind = 0;
			snprintf(p2p, p2p_len, "%s", kind + strlen("\tp2p:"));
		}
		snprintf(flavour, len, "%s", p);
		found = true;
	}
	fclose(f);
	return found;
}

struct send_opts {
	const char *ifname;
	struct sockaddr_in peer;
	const char *peer_text;
	uint64_t size, offset, length, chunk;
	uint32_t placement;
	int device;
};

/* connect, retrying for a while: the receiver may still be starting */
static int connect_retry(int s, const struct sockaddr_in *sa)
{
	double end = now() + 30;

	while (connect(s, (const struct sockaddr *)sa, sizeof(*sa))) {
		if ((errno != ECONNREFUSED && errno != EINTR) || now() > end)
			return -errno;
		usleep(200 * 1000);
	}
	return 0;
}

static int send_run(const struct send_opts *o)
{
	char pci[64], flavour[64], p2p[64], domain[64], path[256], verdict[256], errmsg[256];
	struct phyrbuf_devmem_zc zc = { 0 };
	struct phyrbuf_devmem_tx *tx = NULL;
	struct phyrbuf_dev_info info;
	struct phyrbuf_dev *dev = NULL;
	struct phyrbuf_bo *bo = NULL;
	uint64_t sent = 0, tx_bytes0, tx_packets0, i;
	unsigned int ifindex;
	int ret, status = 1, s = -1, dmabuf_fd = -1, outstanding;
	double t0, t1, secs;
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);
	uint8_t *p;
	ssize_t n;

	ifindex = if_nametoindex(o->ifname);
	if (!ifindex)
		return fail("%s: no such network interface", o->ifname);
	nic_device(o->ifname, pci, sizeof(pci));

	ret = phyrbuf_open(o->device, o->placement == PHYRBUF_PLACEMENT_DEVICE ?
			   PHYRBUF_OPEN_DEVICE_MEMORY : 0, &dev);
	if (ret)
		return fail("opening a phyr_vgem device%s: %s",
			    o->placement == PHYRBUF_PLACEMENT_DEVICE ?
			    " with device memory" : "", strerror(-ret));
	ret = phyrbuf_bo_create(dev, o->size, o->placement, 0, &bo);
	if (ret) {
		fail("creating a %" PRIu64 "-byte buffer in %s memory: %s", o->size,
		     phyrbuf_placement_name(o->placement), strerror(-ret));
		goto out;
	}
	ret = phyrbuf_bo_mmap(bo, (void **)&p);
	if (ret) {
		fail("mapping the buffer: %s", strerror(-ret));
		goto out;
	}
	for (i = 0; i < o->size; i++)
		p[i] = pt_hash_byte(i);
	phyrbuf_bo_munmap(bo, p);
	if (phyrbuf_dev_info(dev, &info))
		snprintf(info.location, sizeof(info.location), "?");
	printf("buffer:       %" PRIu64 " bytes in %s memory of phyr_vgem device %s, pattern written through its mmap\n",
	       o->size, phyrbuf_placement_name(o->placement), info.location);

	ret = phyrbuf_bo_export(bo, &dmabuf_fd);
	if (ret) {
		fail("exporting the buffer: %s", strerror(-ret));
		goto out;
	}
	ret = phyrbuf_devmem_bind_tx(ifindex, dmabuf_fd, &tx, errmsg, sizeof(errmsg));
	if (ret) {
		fail("binding the dma-buf for TX on %s: %s%s%s", o->ifname,
		     strerror(-ret), errmsg[0] ? ": " : "", errmsg);
		goto out;
	}
	nic_attachment(pci, flavour, sizeof(flavour), p2p, sizeof(p2p));
	snprintf(path, sizeof(path), "/sys/class/net/%s/device/iommu_group/type", o->ifname);
	read_line(path, domain, sizeof(domain));
	printf("bound:        on %s (%s), binding %u; the NIC's attachment negotiated: %s\n",
	       o->ifname, pci, phyrbuf_devmem_tx_id(tx), flavour);
	if (!strcmp(p2p, "thru_host_bridge"))
		printf("p2p:          thru_host_bridge: the NIC reads device memory (a PCI BAR) by DMA through the host bridge, in IOMMU domain %s%s\n",
		       domain, !strncmp(domain, "DMA", 3) ? ", mapped through the IOMMU" : "");
	else if (!strcmp(p2p, "bus_addr"))
		printf("p2p:          bus_addr: the NIC reads device memory (a PCI BAR) by DMA at its PCI bus address, in IOMMU domain %s\n",
		       domain);
	else if (p2p[0])
		printf("p2p:          %s, in IOMMU domain %s\n", p2p, domain);
	else
		printf("p2p:          none (%s memory), the NIC's IOMMU domain: %s\n",
		       o->placement == PHYRBUF_PLACEMENT_DEVICE ? "device" : "system", domain);

	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		fail("socket: %s", strerror(errno));
		goto out;
	}
	ret = phyrbuf_devmem_socket(tx, s);
	if (ret) {
		fail("preparing the socket: %s", strerror(-ret));
		goto out;
	}
	ret = connect_retry(s, &o->peer);
	if (ret) {
		fail("connecting to %s through %s: %s", o->peer_text, o->ifname,
		     strerror(-ret));
		goto out;
	}
	tx_bytes0 = nic_stat(o->ifname, "tx_bytes");
	tx_packets0 = nic_stat(o->ifname, "tx_packets");
	t0 = now();
	while (sent < o->length) {
		uint64_t len = o->length - sent < o->chunk ? o->length - sent : o->chunk;
		int64_t r = phyrbuf_devmem_send(tx, s, o->offset + sent, len, &zc);

		if (r == -ENOBUFS) {	/* too many completions pending */
			ret = phyrbuf_devmem_reap(s, &zc, 100);
			if (ret < 0) {
				fail("reading completions: %s", strerror(-ret));
				goto out;
			}
			continue;
		}
		if (r < 0) {
			fail("sendmsg(SCM_DEVMEM_DMABUF) after %" PRIu64 " bytes: %s", sent,
			     strerror((int)-r));
			goto out;
		}
		sent += r;
		ret = phyrbuf_devmem_reap(s, &zc, 0);
		if (ret < 0) {
			fail("reading completions: %s", strerror(-ret));
			goto out;
		}
	}
	/* the end: the receiver reads to EOF, checks, and answers one line */
	shutdown(s, SHUT_WR);
	verdict[0] = 0;
	for (size_t got = 0; got < sizeof(verdict) - 1;) {
		struct pollfd pf = { .fd = s, .events = POLLIN };

		if (poll(&pf, 1, 300 * 1000) <= 0)
			break;
		n = recv(s, verdict + got, sizeof(verdict) - 1 - got, 0);
		if (n <= 0)
			break;
		got += n;
		verdict[got] = 0;
	}
	t1 = now();
	secs = t1 - t0;
	verdict[strcspn(verdict, "\n")] = 0;
	outstanding = phyrbuf_devmem_reap(s, &zc, 10000);
	if (outstanding < 0) {
		fail("reading completions: %s", strerror(-outstanding));
		goto out;
	}
	printf("sent:         %" PRIu64 " bytes from offset %" PRIu64 " in %u sendmsg() calls to %s, %.2f s, %.3f MB/s\n",
	       sent, o->offset, zc.sends, o->peer_text, secs,
	       secs > 0 ? sent / secs / 1e6 : 0.0);
	printf("completions:  %u of %u, copied %u%s\n", zc.completed, zc.sends, zc.copied,
	       zc.copied ? "" : " (the kernel copied nothing: the NIC read the bytes in place)");
	printf("nic:          %s tx_bytes +%" PRIu64 ", tx_packets +%" PRIu64 "\n", o->ifname,
	       nic_stat(o->ifname, "tx_bytes") - tx_bytes0,
	       nic_stat(o->ifname, "tx_packets") - tx_packets0);
	if (!getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &tl))
		printf("tcp:          %u retransmitted segments\n", ti.tcpi_total_retrans);
	printf("receiver:     %s\n", verdict[0] ? verdict : "(no answer)");

	if (strncmp(verdict, "OK ", 3)) {
		fail("the receiver did not confirm every byte");
		goto out;
	}
	if (outstanding || zc.copied) {
		fail("%d sends not completed, %u copied by the kernel", outstanding, zc.copied);
		goto out;
	}
	if (nic_stat(o->ifname, "tx_bytes") - tx_bytes0 < sent) {
		fail("%s counted fewer bytes than were sent", o->ifname);
		goto out;
	}
	printf("devmem-send: OK\n");
	status = 0;
out:
	if (s >= 0)
		close(s);
	phyrbuf_devmem_tx_close(tx);
	if (dmabuf_fd >= 0)
		close(dmabuf_fd);
	phyrbuf_bo_close(bo);
	phyrbuf_close(dev);
	return status;
}

int cmd_devmem_send(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ifname", required_argument, NULL, 'i' },
		{ "peer", required_argument, NULL, 'p' },
		{ "size", required_argument, NULL, 's' },
		{ "placement", required_argument, NULL, 'P' },
		{ "device", required_argument, NULL, 'd' },
		{ "offset", required_argument, NULL, 'o' },
		{ "length", required_argument, NULL, 'l' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct send_opts o = {
		.size = 16 << 20,
		.chunk = 64 << 10,
		.placement = PHYRBUF_PLACEMENT_DEVICE,
		.device = PHYRBUF_ANY,
	};
	bool have_length = false;
	int c, status;

	cli_opts_begin();
	while ((c = cli_getopt(argc, argv, ":h", opts, "devmem-send", devmem_send_usage,
			       &status)) != -1) {
		switch (c) {
		case CLI_EXIT:
			return status;
		case 'i':
			o.ifname = optarg;
			break;
		case 'p':
			if (!parse_addr(optarg, &o.peer))
				return usage_error("bad peer '%s' (IPv4 ADDR:PORT)", optarg);
			o.peer_text = optarg;
			break;
		case 's':
			if (!parse_size(optarg, &o.size) || !o.size)
				return usage_error("bad size '%s'", optarg);
			break;
		case 'P':
			if (opt_placement(optarg, &o.placement))
				return 2;
			break;
		case 'd':
			if (opt_device(optarg, &o.device))
				return 2;
			break;
		case 'o':
			if (!parse_size(optarg, &o.offset))
				return usage_error("bad offset '%s'", optarg);
			break;
		case 'l':
			if (!parse_size(optarg, &o.length) || !o.length)
				return usage_error("bad length '%s'", optarg);
			have_length = true;
			break;
		case 'c':
			if (!parse_size(optarg, &o.chunk) || !o.chunk)
				return usage_error("bad chunk '%s'", optarg);
			break;
		}
	}
	if (cli_no_args(argc, argv, &status))
		return status;
	if (!o.ifname || !o.peer_text)
		return usage_error("devmem-send needs --ifname IF and --peer ADDR:PORT");
	if (o.offset >= o.size)
		return usage_error("offset %" PRIu64 " beyond the %" PRIu64 "-byte buffer",
				   o.offset, o.size);
	if (!have_length)
		o.length = o.size - o.offset;
	if (o.length > o.size - o.offset)
		return usage_error("offset %" PRIu64 " + length %" PRIu64 " beyond the %"
				   PRIu64 "-byte buffer", o.offset, o.length, o.size);
	return send_run(&o);
}

int cmd_devmem_recv(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'L' },
		{ "offset", required_argument, NULL, 'o' },
		{ "length", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t offset = 0, length = 0, got = 0, bad = 0, first_bad = 0;
	const char *listen_text = NULL;
	struct sockaddr_in sa, from;
	socklen_t fl = sizeof(from);
	bool have_length = false;
	char buf[65536], reply[160], fromtext[INET_ADDRSTRLEN] = "?";
	int c, ls, s, one = 1, status;
	double t0 = 0, secs;
	ssize_t n;

	cli_opts_begin();
	while ((c = cli_getopt(argc, argv, ":h", opts, "devmem-recv", devmem_recv_usage,
			       &status)) != -1) {
		switch (c) {
		case CLI_EXIT:
			return status;
		case 'L':
			if (!parse_addr(optarg, &sa))
				return usage_error("bad address '%s' (IPv4 ADDR:PORT)", optarg);
			listen_text = optarg;
			break;
		case 'o':
			if (!parse_size(optarg, &offset))
				return usage_error("bad offset '%s'", optarg);
			break;
		case 'l':
			if (!parse_size(optarg, &length))
				return usage_error("bad length '%s'", optarg);
			have_length = true;
			break;
		}
	}
	if (cli_no_args(argc, argv, &status))
		return status;
	if (!listen_text)
		return usage_error("devmem-recv needs --listen ADDR:PORT");

	ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0)
		return fail("socket: %s", strerror(errno));
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 1)) {
		fail("listening on %s: %s", listen_text, strerror(errno));
		close(ls);
		return 1;
	}
	printf("listening:    %s\n", listen_text);
	fflush(stdout);
	s = accept4(ls, (struct sockaddr *)&from, &fl, SOCK_CLOEXEC);
	close(ls);
	if (s < 0)
		return fail("accept: %s", strerror(errno));
	inet_ntop(AF_INET, &from.sin_addr, fromtext, sizeof(fromtext));
	while ((n = recv(s, buf, sizeof(buf), 0)) > 0) {
		if (!got)
			t0 = now();
		for (ssize_t i = 0; i < n; i++) {
			if ((uint8_t)buf[i] != pt_hash_byte(offset + got + i)) {
				if (!bad)
					first_bad = got + i;
				bad++;
			}
		}
		got += n;
	}
	secs = got ? now() - t0 : 0;
	if (n < 0) {
		fail("recv after %" PRIu64 " bytes: %s", got, strerror(errno));
		close(s);
		return 1;
	}
	printf("received:     %" PRIu64 " bytes from %s, %.2f s from the first byte, %.3f MB/s\n",
	       got, fromtext, secs, secs > 0 ? got / secs / 1e6 : 0.0);
	if (bad)
		snprintf(reply, sizeof(reply), "BAD %" PRIu64 " of %" PRIu64
			 " bytes wrong, the first at %" PRIu64 "\n", bad, got, first_bad);
	else if (have_length && got != length)
		snprintf(reply, sizeof(reply), "SHORT %" PRIu64 " bytes, expected %" PRIu64
			 "\n", got, length);
	else
		snprintf(reply, sizeof(reply), "OK %" PRIu64
			 " bytes, every byte matches the pattern\n", got);
	/* the verdict to the sender: it waits for it */
	if (send(s, reply, strlen(reply), MSG_NOSIGNAL) < 0)
		fprintf(stderr, "phyrbuf: answering the sender: %s\n", strerror(errno));
	close(s);
	printf("checked:      %s", reply);
	if (strncmp(reply, "OK ", 3))
		return fail("devmem-recv: the stream is not the pattern");
	printf("devmem-recv: OK\n");
	return 0;
}
