// SPDX-License-Identifier: MIT
/*
 * End-to-end tests of iommufd's dma-buf import through the dma-buf core's
 * IOMMU converter, with a real device: QEMU's edu, bound to vfio-pci (its VFIO
 * cdev, iommufd, the emulated intel-iommu translating), whose DMA engine
 * reads and writes phyr_vgem buffers in system and device memory, and VFIO's
 * own dma-buf of edu's BAR, mapped into the IOAS at IOVAs below 256 MiB.
 * Every byte a DMA should have moved is checked through the buffer's CPU
 * mapping; a DMA that should fault is checked to move nothing and to be
 * reported by the IOMMU (a DMAR fault in the kernel log).
 *
 *   test-vfio [--results FILE] PCI_ADDRESS_OF_EDU [SUBTEST...]
 *
 * One result per subtest (phyr-test): TAP on stdout and, with --results,
 * "PASS name [detail]", "FAIL name why" or "SKIP name why" appended to FILE
 * (scripts/guest-iommufd.sh: results-vfio.txt).
 *
 * Copyright 2026 The phyr developers
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/udmabuf.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "phyrbuf.h"
#include "edu.h"
#include "phyr-test.h"

#define PAGE		4096u
#define IOVA_SCRATCH	0x100000ull	/* 64 KiB of this process's memory */
#define SCRATCH_SIZE	(64u << 10)
#define IOVA_A		0x1000000ull
#define IOVA_B		0x2000000ull
#define IOVA_V		0x3000000ull
#define FRAG_PAGES	64		/* the fragmented buffer: 32 ranges or more */

static const char *pci;
static const char *current_test = "";

struct ctx {
	struct phyrbuf_ioas *ioas;
	struct phyrbuf_vfio *vfio;
	volatile void *bar0;
	uint8_t *scratch;
};

/* the reason of a failing helper */
static char err[256];

/* a check that ends the subtest (phyr-test's REQUIRE): its message is the reason */
#define CHECK_OK(call, what) do {					\
	int __r = (call);						\
	REQUIRE(!__r, "%s: %s", (what), strerror(-__r));		\
} while (0)

#define UNUSED	__attribute__((unused))

static void report(const char *name, int ret, const char *detail)
{
	if (ret == 77)
		pt_result(PT_SKIP, name, "%s", pt_first_failure());
	else if (ret)
		pt_result(PT_FAIL, name, NULL);
	else if (detail && *detail)
		pt_result(PT_PASS, name, "%s", detail);
	else
		pt_result(PT_PASS, name, NULL);
}

static int ctx_open(struct ctx *c, bool attach)
{
	int ret;

	memset(c, 0, sizeof(*c));
	ret = phyrbuf_ioas_open(&c->ioas);
	if (ret)
		return ret;
	c->scratch = mmap(NULL, SCRATCH_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (c->scratch == MAP_FAILED) {
		c->scratch = NULL;
		return -errno;
	}
	ret = phyrbuf_ioas_map_memory(c->ioas, c->scratch, SCRATCH_SIZE, IOVA_SCRATCH, 0);
	if (ret)
		return ret;
	if (!attach)
		return 0;
	ret = phyrbuf_vfio_open(c->ioas, pci, &c->vfio);
	if (ret)
		return ret;
	ret = phyrbuf_vfio_bar_mmap(c->vfio, 0, &c->bar0, NULL);
	if (ret)
		return ret;
	return (edu_id(c->bar0) & 0xff) == 0xed ? 0 : -ENODEV;
}

static int ctx_attach(struct ctx *c)
{
	int ret = phyrbuf_vfio_open(c->ioas, pci, &c->vfio);

	if (ret)
		return ret;
	return phyrbuf_vfio_bar_mmap(c->vfio, 0, &c->bar0, NULL);
}

static void ctx_close(struct ctx *c)
{
	phyrbuf_vfio_close(c->vfio);
	phyrbuf_ioas_close(c->ioas);
	if (c->scratch)
		munmap(c->scratch, SCRATCH_SIZE);
	memset(c, 0, sizeof(*c));
}

/*
 * edu writes a pattern over [iova, iova + size): one transfer fills edu's
 * buffer from the scratch memory, then chunks of EDU_MAX_XFER (which straddle
 * every page, and so every range, boundary) go out to the IOVA.
 */
static int dma_fill(struct ctx *c, uint64_t iova, uint64_t size, uint8_t seed)
{
	uint64_t off;
	int ret;

	pt_fill_bytes(c->scratch, 0, EDU_MAX_XFER, seed);
	ret = edu_dma(c->bar0, IOVA_SCRATCH, 0, EDU_MAX_XFER, 0);
	for (off = 0; !ret && off < size; off += EDU_MAX_XFER) {
		uint32_t len = size - off < EDU_MAX_XFER ? size - off : EDU_MAX_XFER;

		ret = edu_dma(c->bar0, iova + off, 0, len, 1);
	}
	return ret;
}

/* what dma_fill() wrote, checked through @p; the first bad offset or -1 */
static int64_t check_fill(const volatile uint8_t *p, uint64_t size, uint8_t seed)
{
	uint64_t i;

	for (i = 0; i < size; i++)
		if (p[i] != pt_byte(seed, i % EDU_MAX_XFER))
			return i;
	return -1;
}

/*
 * The CPU writes a pattern through @p; edu reads 64 bytes across each page
 * boundary of [iova, iova + size) into its buffer, then hands them to the
 * scratch memory, where they are compared.  At most 63 boundaries.
 */
static int dma_read_check(struct ctx *c, volatile uint8_t *p, uint64_t iova,
			  uint64_t size, uint8_t seed, char *err, size_t errlen)
{
	unsigned int k, nr = size / PAGE - 1, i;
	int ret = 0;

	if (nr > 63)
		nr = 63;
	pt_fill_bytes((void *)p, 0, size, seed);
	memset(c->scratch, 0, 4096);
	for (k = 1; !ret && k <= nr; k++)
		ret = edu_dma(c->bar0, iova + (uint64_t)k * PAGE - 32, (k - 1) * 64, 64, 0);
	if (!ret)
		ret = edu_dma(c->bar0, IOVA_SCRATCH, 0, nr * 32, 1);
	if (!ret)
		ret = edu_dma(c->bar0, IOVA_SCRATCH + nr * 32, nr * 32, nr * 32, 1);
	if (ret) {
		snprintf(err, errlen, "edu DMA: %s", strerror(-ret));
		return ret;
	}
	for (k = 1; k <= nr; k++) {
		for (i = 0; i < 64; i++) {
			uint64_t at = (uint64_t)k * PAGE - 32 + i;

			if (c->scratch[(k - 1) * 64 + i] != pt_byte(seed, at)) {
				snprintf(err, errlen, "edu read 0x%02x at offset %" PRIu64
					 ", the buffer holds 0x%02x", c->scratch[(k - 1) * 64 + i],
					 at, pt_byte(seed, at));
				return -EIO;
			}
		}
	}
	return 0;
}

/* the kernel log from now on */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* whether the IOMMU reported a fault of edu at the page of @iova (waits 3 s) */
static bool kmsg_fault(int fd, uint64_t iova)
{
	char rec[1024], want[64];
	unsigned int tries;
	ssize_t n;

	snprintf(want, sizeof(want), "fault addr 0x%" PRIx64, iova & ~(uint64_t)(PAGE - 1));
	for (tries = 0; tries < 60; tries++) {
		while ((n = read(fd, rec, sizeof(rec) - 1)) > 0) {
			rec[n] = 0;
			if (strstr(rec, "DMAR") && strstr(rec, pci) && strstr(rec, want))
				return true;
		}
		if (n < 0 && errno == EPIPE)
			continue;
		usleep(50000);
	}
	return false;
}

/*
 * The IOMMU fault that a DMA of edu to [@iova, @iova + @len) is about to
 * provoke, declared in the file PHYR_EXPECTED_REPORTS names (the boot's
 * expected-reports.txt: the test run's dmesg gate passes only the faults
 * declared there, by device and IOVA range; docs/pipeline.md).  Without the
 * variable (a run by hand) nothing is declared.
 */
static void declare_fault(uint64_t iova, uint32_t len)
{
	const char *path = getenv("PHYR_EXPECTED_REPORTS");
	FILE *f;

	if (!path)
		return;
	f = fopen(path, "a");
	if (!f) {
		fprintf(stderr, "test-vfio: %s: %s\n", path, strerror(errno));
		return;
	}
	fprintf(f, "iommu-fault %s 0x%" PRIx64 " 0x%" PRIx64
		" test-vfio %s: edu's DMA to an IOVA the IOMMU does not map\n",
		pci, iova, iova + len, current_test);
	fclose(f);
}

/*
 * A DMA of edu to @iova, which the IOMMU no longer maps, moves nothing into
 * the @len bytes at @p (preset to 0x77) and is reported as a DMAR fault.
 */
static int expect_fault(struct ctx *c, uint64_t iova, volatile uint8_t *p, char *err,
			size_t errlen)
{
	int fd = kmsg_open(), ret;
	uint32_t i;

	if (fd < 0) {
		snprintf(err, errlen, "/dev/kmsg: %s", strerror(errno));
		return -errno;
	}
	for (i = 0; i < 64; i++)
		p[i] = 0x77;
	declare_fault(iova, 64);
	ret = edu_dma(c->bar0, iova, 0, 64, 1);
	if (ret) {
		snprintf(err, errlen, "edu DMA: %s", strerror(-ret));
		goto out;
	}
	for (i = 0; i < 64; i++) {
		if (p[i] != 0x77) {
			snprintf(err, errlen, "a DMA to the unmapped IOVA 0x%" PRIx64
				 " reached the buffer", iova);
			ret = -EIO;
			goto out;
		}
	}
	if (!kmsg_fault(fd, iova)) {
		snprintf(err, errlen, "no DMAR fault of %s at 0x%" PRIx64 " in the log",
			 pci, iova);
		ret = -EIO;
	}
out:
	close(fd);
	return ret;
}

/*
 * A phyr_vgem buffer in system memory of @pages pages with at least @pages / 2
 * physical ranges.  Its pages must come from pages just freed with holes
 * between them, freed as what phyr_vgem allocates (drm_gem_shmem asks for
 * GFP_HIGHUSER, unmovable: a punched memfd's movable pages sit on other free
 * lists), on the CPU that then allocates them (the per-CPU lists): twice
 * @pages one-page buffers are populated, every other one closed, and the
 * buffer populated, all on one CPU.  What else allocates there may still take
 * some of the pages, hence the margin and the attempts.
 */
#define FRAG_ATTEMPTS	8

static int populate(struct phyrbuf_bo *bo, struct phyrbuf_bo_info *info)
{
	uint8_t *p;
	int ret;

	ret = phyrbuf_bo_mmap(bo, (void **)&p);
	if (ret)
		return ret;
	p[0] = 1;	/* populates the whole buffer */
	phyrbuf_bo_munmap(bo, p);
	return info ? phyrbuf_bo_query(bo, info) : 0;
}

static int fragmented_try(struct phyrbuf_dev *dev, unsigned int pages,
			  struct phyrbuf_bo **bop, uint64_t *nr_ranges)
{
	struct phyrbuf_bo **spacer, *bo = NULL;
	struct phyrbuf_bo_info info;
	unsigned int i;
	int ret = 0;

	spacer = calloc(2 * pages, sizeof(*spacer));
	if (!spacer)
		return -ENOMEM;
	for (i = 0; !ret && i < 2 * pages; i++) {
		ret = phyrbuf_bo_create(dev, PAGE, PHYRBUF_PLACEMENT_SYSTEM, 0, &spacer[i]);
		if (!ret)
			ret = populate(spacer[i], NULL);
	}
	for (i = 0; !ret && i < 2 * pages; i += 2) {
		phyrbuf_bo_close(spacer[i]);
		spacer[i] = NULL;
	}
	if (!ret)
		ret = phyrbuf_bo_create(dev, (uint64_t)pages * PAGE, PHYRBUF_PLACEMENT_SYSTEM,
					0, &bo);
	if (!ret)
		ret = populate(bo, &info);
	if (!ret && info.nr_ranges < pages / 2)
		ret = -EAGAIN;
	if (!ret) {
		*bop = bo;
		*nr_ranges = info.nr_ranges;
	} else {
		phyrbuf_bo_close(bo);
	}
	for (i = 0; i < 2 * pages; i++)
		phyrbuf_bo_close(spacer[i]);
	free(spacer);
	return ret;
}

static int fragmented_bo(struct phyrbuf_dev *dev, unsigned int pages,
			 struct phyrbuf_bo **bop, uint64_t *nr_ranges)
{
	unsigned int attempt;
	cpu_set_t was, here;
	bool pinned = false;
	int cpu, ret = -EAGAIN;

	cpu = sched_getcpu();
	if (cpu >= 0 && !sched_getaffinity(0, sizeof(was), &was)) {
		CPU_ZERO(&here);
		CPU_SET(cpu, &here);
		pinned = !sched_setaffinity(0, sizeof(here), &here);
	}
	for (attempt = 0; ret == -EAGAIN && attempt < FRAG_ATTEMPTS; attempt++)
		ret = fragmented_try(dev, pages, bop, nr_ranges);
	if (pinned)
		sched_setaffinity(0, sizeof(was), &was);
	return ret;
}

/*
 * A buffer of 64 pages in 32 ranges or more in system memory, mapped into an
 * IOAS without any device (iommufd fills no domain yet), then edu attached:
 * iommufd fills the new domain lazily through the converter.  edu writes every
 * byte and reads across every page (range) boundary.
 */
static int test_system_lazy(struct phyrbuf_dev *dev, char *detail)
{
	uint64_t size = FRAG_PAGES * PAGE, nr = 0;
	struct phyrbuf_bo *bo = NULL;
	struct ctx c;
	uint8_t *p = NULL;
	int64_t bad;
	int ret = 1;

	CHECK_OK(ctx_open(&c, false), "opening the IOAS");
	CHECK_OK(fragmented_bo(dev, FRAG_PAGES, &bo, &nr), "a fragmented buffer");
	CHECK_OK(phyrbuf_bo_mmap(bo, (void **)&p), "mmap");
	CHECK_OK(phyrbuf_ioas_map_bo(c.ioas, bo, IOVA_A, 0), "IOMMU_IOAS_MAP_FILE");
	CHECK_OK(ctx_attach(&c), "attaching edu");
	CHECK_OK(dma_fill(&c, IOVA_A, size, 0x21), "edu writing the buffer");
	bad = check_fill(p, size, 0x21);
	REQUIRE(bad < 0, "byte %" PRId64 " of the buffer is not what edu wrote", bad);
	REQUIRE(!dma_read_check(&c, p, IOVA_A, size, 0x42, err, sizeof(err)), "%s", err);
	CHECK_OK(phyrbuf_ioas_unmap(c.ioas, IOVA_A, size), "IOMMU_IOAS_UNMAP");
	snprintf(detail, 64, "(%" PRIu64 " ranges)", nr);
	ret = 0;
out:
	ctx_close(&c);
	if (p)
		phyrbuf_bo_munmap(bo, p);
	phyrbuf_bo_close(bo);
	return ret;
}

/* The same in device memory (an ivshmem BAR, MMIO): edu attached first. */
static int test_device_memory(struct phyrbuf_dev *vdev, char *detail)
{
	uint64_t size = 64 * PAGE;
	struct phyrbuf_bo_info info;
	struct phyrbuf_bo *bo = NULL;
	struct ctx c;
	uint8_t *p = NULL;
	int64_t bad;
	int ret = 1;

	CHECK_OK(ctx_open(&c, true), "opening the IOAS with edu");
	CHECK_OK(phyrbuf_bo_create(vdev, size, PHYRBUF_PLACEMENT_DEVICE, 0, &bo),
		 "a buffer in device memory");
	CHECK_OK(phyrbuf_bo_mmap(bo, (void **)&p), "mmap");
	CHECK_OK(phyrbuf_ioas_map_bo(c.ioas, bo, IOVA_A, 0), "IOMMU_IOAS_MAP_FILE");
	CHECK_OK(dma_fill(&c, IOVA_A, size, 0x13), "edu writing the buffer");
	bad = check_fill(p, size, 0x13);
	REQUIRE(bad < 0, "byte %" PRId64 " of the device memory is not what edu wrote", bad);
	REQUIRE(!dma_read_check(&c, p, IOVA_A, size, 0x77, err, sizeof(err)), "%s", err);
	CHECK_OK(phyrbuf_bo_query(bo, &info), "BO_QUERY");
	REQUIRE(info.placement == PHYRBUF_PLACEMENT_DEVICE, "the buffer moved");
	CHECK_OK(phyrbuf_ioas_unmap(c.ioas, IOVA_A, size), "IOMMU_IOAS_UNMAP");
	snprintf(detail, 64, "(%" PRIu64 " ranges of MMIO)", (uint64_t)info.nr_ranges);
	ret = 0;
out:
	ctx_close(&c);
	if (p)
		phyrbuf_bo_munmap(bo, p);
	phyrbuf_bo_close(bo);
	return ret;
}

/*
 * A window of the dma-buf (pages 3 to 7 of the fragmented buffer): edu's
 * writes at its first and last bytes land at offsets 3 pages and 8 pages - 64
 * of the buffer; one past its end faults.
 */
static int test_window(struct phyrbuf_dev *dev, char *detail UNUSED)
{
	struct phyrbuf_bo *bo = NULL;
	uint64_t nr;
	struct ctx c;
	uint8_t *p = NULL;
	int fd = -1, ret = 1;
	uint32_t i;

	CHECK_OK(ctx_open(&c, true), "opening the IOAS with edu");
	CHECK_OK(fragmented_bo(dev, 16, &bo, &nr), "a fragmented buffer");
	CHECK_OK(phyrbuf_bo_mmap(bo, (void **)&p), "mmap");
	memset(p, 0, 16 * PAGE);
	CHECK_OK(phyrbuf_bo_export(bo, &fd), "export");
	CHECK_OK(phyrbuf_ioas_map_dmabuf(c.ioas, fd, 3 * PAGE, 5 * PAGE, IOVA_B, 0),
		 "IOMMU_IOAS_MAP_FILE of pages 3..7");
	for (i = 0; i < 64; i++)
		c.scratch[i] = 0xc0 + i;
	CHECK_OK(edu_dma(c.bar0, IOVA_SCRATCH, 0, 64, 0), "edu reading scratch");
	CHECK_OK(edu_dma(c.bar0, IOVA_B, 0, 64, 1), "edu writing the window's start");
	CHECK_OK(edu_dma(c.bar0, IOVA_B + 5 * PAGE - 64, 0, 64, 1), "edu writing its end");
	for (i = 0; i < 64; i++) {
		REQUIRE(p[3 * PAGE + i] == 0xc0 + i, "the window's first byte %u is not at offset 3 pages", i);
		REQUIRE(p[8 * PAGE - 64 + i] == 0xc0 + i, "the window's last bytes are not before offset 8 pages");
	}
	REQUIRE(p[3 * PAGE - 1] == 0 && p[8 * PAGE] == 0, "a DMA of the window wrote outside it");
	REQUIRE(!expect_fault(&c, IOVA_B + 5 * PAGE, p + 8 * PAGE, err, sizeof(err)), "%s", err);
	CHECK_OK(phyrbuf_ioas_unmap(c.ioas, IOVA_B, 5 * PAGE), "IOMMU_IOAS_UNMAP");
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	ctx_close(&c);
	if (p)
		phyrbuf_bo_munmap(bo, p);
	phyrbuf_bo_close(bo);
	return ret;
}

/*
 * Migration takes the mapping away (from system to device memory and back):
 * each time a DMA to the IOVA faults and reaches neither placement, the old
 * area still unmaps, and mapping the dma-buf again reaches the new one.
 */
static int test_migrate(struct phyrbuf_dev *vdev, char *detail UNUSED)
{
	uint64_t size = 16 * PAGE;
	struct phyrbuf_bo_info info;
	struct phyrbuf_bo *bo = NULL;
	static const uint32_t to[] = { PHYRBUF_PLACEMENT_DEVICE, PHYRBUF_PLACEMENT_SYSTEM };
	struct ctx c;
	uint8_t *p = NULL;
	unsigned int i;
	int64_t bad;
	int ret = 1;

	CHECK_OK(ctx_open(&c, true), "opening the IOAS with edu");
	CHECK_OK(phyrbuf_bo_create(vdev, size, PHYRBUF_PLACEMENT_SYSTEM, 0, &bo), "a buffer");
	CHECK_OK(phyrbuf_bo_mmap(bo, (void **)&p), "mmap");
	CHECK_OK(phyrbuf_ioas_map_bo(c.ioas, bo, IOVA_A, 0), "IOMMU_IOAS_MAP_FILE");
	CHECK_OK(dma_fill(&c, IOVA_A, size, 0x31), "edu writing system memory");
	bad = check_fill(p, size, 0x31);
	REQUIRE(bad < 0, "byte %" PRId64 " is not what edu wrote", bad);
	for (i = 0; i < 2; i++) {
		CHECK_OK(phyrbuf_bo_migrate(bo, to[i]), "BO_MIGRATE");
		CHECK_OK(phyrbuf_bo_query(bo, &info), "BO_QUERY");
		REQUIRE(info.placement == to[i], "not migrated");
		REQUIRE(!expect_fault(&c, IOVA_A + PAGE, p + PAGE, err, sizeof(err)),
		      "after the move to %s: %s", phyrbuf_placement_name(to[i]), err);
		CHECK_OK(phyrbuf_ioas_unmap(c.ioas, IOVA_A, size), "IOMMU_IOAS_UNMAP of the taken mapping");
		CHECK_OK(phyrbuf_ioas_map_bo(c.ioas, bo, IOVA_A, 0), "IOMMU_IOAS_MAP_FILE again");
		CHECK_OK(dma_fill(&c, IOVA_A, size, 0x40 + i), "edu writing the new placement");
		bad = check_fill(p, size, 0x40 + i);
		REQUIRE(bad < 0, "in %s memory byte %" PRId64 " is not what edu wrote",
		      phyrbuf_placement_name(to[i]), bad);
	}
	CHECK_OK(phyrbuf_ioas_unmap(c.ioas, IOVA_A, size), "IOMMU_IOAS_UNMAP");
	ret = 0;
out:
	ctx_close(&c);
	if (p)
		phyrbuf_bo_munmap(bo, p);
	phyrbuf_bo_close(bo);
	return ret;
}

/*
 * Two domains in one IOAS: a mapping made while edu sits in the first is
 * filled into a second domain allocated later; edu, moved there, reaches the
 * buffer; a migration unmaps it from both domains.
 */
static int test_second_domain(struct phyrbuf_dev *vdev, char *detail UNUSED)
{
	uint64_t size = 8 * PAGE;
	struct phyrbuf_bo *bo = NULL;
	uint32_t hwpt = 0;
	struct ctx c;
	uint8_t *p = NULL;
	int64_t bad;
	int ret = 1;

	CHECK_OK(ctx_open(&c, true), "opening the IOAS with edu");
	CHECK_OK(phyrbuf_bo_create(vdev, size, PHYRBUF_PLACEMENT_DEVICE, 0, &bo), "a buffer");
	CHECK_OK(phyrbuf_bo_mmap(bo, (void **)&p), "mmap");
	CHECK_OK(phyrbuf_ioas_map_bo(c.ioas, bo, IOVA_A, 0), "IOMMU_IOAS_MAP_FILE");
	CHECK_OK(phyrbuf_vfio_hwpt_alloc(c.vfio, &hwpt), "IOMMU_HWPT_ALLOC");
	CHECK_OK(phyrbuf_vfio_attach(c.vfio, hwpt), "moving edu to the new domain");
	CHECK_OK(dma_fill(&c, IOVA_A, size, 0x55), "edu writing through the new domain");
	bad = check_fill(p, size, 0x55);
	REQUIRE(bad < 0, "byte %" PRId64 " is not what edu wrote", bad);
	CHECK_OK(phyrbuf_bo_migrate(bo, PHYRBUF_PLACEMENT_SYSTEM), "BO_MIGRATE");
	REQUIRE(!expect_fault(&c, IOVA_A, p, err, sizeof(err)), "second domain: %s", err);
	CHECK_OK(phyrbuf_vfio_attach(c.vfio, 0), "moving edu back to the first domain");
	REQUIRE(!expect_fault(&c, IOVA_A + PAGE, p + PAGE, err, sizeof(err)), "first domain: %s", err);
	CHECK_OK(phyrbuf_ioas_destroy(c.ioas, hwpt), "IOMMU_DESTROY of the second domain");
	hwpt = 0;
	CHECK_OK(phyrbuf_ioas_unmap(c.ioas, IOVA_A, size), "IOMMU_IOAS_UNMAP");
	ret = 0;
out:
	if (hwpt) {
		phyrbuf_vfio_attach(c.vfio, 0);
		phyrbuf_ioas_destroy(c.ioas, hwpt);
	}
	ctx_close(&c);
	if (p)
		phyrbuf_bo_munmap(bo, p);
	phyrbuf_bo_close(bo);
	return ret;
}

/*
 * VFIO's own dma-buf of edu's BAR0 offers phyr (MMIO of edu's P2P provider)
 * and goes through the converter: edu reads its own identification register
 * through the IOAS.  With edu's memory decoding disabled VFIO revokes the
 * dma-buf -- the dma-buf core's revoke, so its fdinfo says "revoked" --:
 * mapping it fails with -ENODEV, and works again once enabled.
 */
static int test_vfio_bar(struct phyrbuf_dev *dev UNUSED, char *detail)
{
	char flavours[128] = "";
	struct ctx c;
	uint32_t id, got;
	int fd = -1, ret = 1, r;

	CHECK_OK(ctx_open(&c, true), "opening the IOAS with edu");
	CHECK_OK(phyrbuf_vfio_bar_dmabuf(c.vfio, 0, 0, PAGE, &fd), "VFIO_DEVICE_FEATURE_DMA_BUF");
	CHECK_OK(phyrbuf_dmabuf_flavours(fd, flavours, sizeof(flavours)), "its fdinfo flavours");
	REQUIRE(!strcmp(flavours, "phyr+mmio sg_table+mmio"), "VFIO's dma-buf offers '%s'", flavours);
	CHECK_OK(phyrbuf_ioas_map_dmabuf(c.ioas, fd, 0, PAGE, IOVA_V, 0), "IOMMU_IOAS_MAP_FILE");
	id = edu_id(c.bar0);
	memset(c.scratch, 0, 8);
	CHECK_OK(edu_dma(c.bar0, IOVA_V, 0, 4, 0), "edu reading its BAR through the IOAS");
	CHECK_OK(edu_dma(c.bar0, IOVA_SCRATCH, 0, 4, 1), "edu writing scratch");
	memcpy(&got, c.scratch, 4);
	REQUIRE(got == id, "edu read 0x%08x through the IOAS, its id is 0x%08x", got, id);

	CHECK_OK(phyrbuf_vfio_memory(c.vfio, 0), "disabling edu's memory");
	CHECK_OK(phyrbuf_dmabuf_flavours(fd, flavours, sizeof(flavours)), "fdinfo when revoked");
	CHECK(!strcmp(flavours, "revoked"), "the revoked dma-buf's fdinfo says '%s'", flavours);
	r = phyrbuf_ioas_map_dmabuf(c.ioas, fd, 0, PAGE, IOVA_V + PAGE, 0);
	REQUIRE(r == -ENODEV, "IOMMU_IOAS_MAP_FILE of the revoked dma-buf: %s, expected ENODEV",
	      strerror(-r));
	CHECK_OK(phyrbuf_vfio_memory(c.vfio, 1), "enabling edu's memory");
	CHECK_OK(phyrbuf_dmabuf_flavours(fd, flavours, sizeof(flavours)), "fdinfo when enabled");
	CHECK(!strcmp(flavours, "phyr+mmio sg_table+mmio"), "enabled again, it offers '%s'",
	      flavours);
	CHECK_OK(phyrbuf_ioas_unmap(c.ioas, IOVA_V, PAGE), "IOMMU_IOAS_UNMAP of the revoked area");
	CHECK_OK(phyrbuf_ioas_map_dmabuf(c.ioas, fd, 0, PAGE, IOVA_V, 0), "IOMMU_IOAS_MAP_FILE again");
	memset(c.scratch, 0, 8);
	CHECK_OK(edu_dma(c.bar0, IOVA_V, 0, 4, 0), "edu reading its BAR again");
	CHECK_OK(edu_dma(c.bar0, IOVA_SCRATCH, 0, 4, 1), "edu writing scratch");
	memcpy(&got, c.scratch, 4);
	REQUIRE(got == id, "after the revoke edu read 0x%08x, expected 0x%08x", got, id);
	CHECK_OK(phyrbuf_ioas_unmap(c.ioas, IOVA_V, PAGE), "IOMMU_IOAS_UNMAP");
	snprintf(detail, 160, "(flavours: %s)", flavours);
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	ctx_close(&c);
	return ret;
}

/* Bad input: the errno of each refused IOMMU_IOAS_MAP_FILE. */
static int test_bad_input(struct phyrbuf_dev *dev, char *detail UNUSED)
{
	struct udmabuf_create create = { .flags = UDMABUF_FLAGS_CLOEXEC };
	struct phyrbuf_bo *bo = NULL;
	int fd = -1, mfd = -1, ufd = -1, udev = -1, pipefd[2] = { -1, -1 };
	uint64_t size = 4 * PAGE;
	struct ctx c;
	int ret = 1, r;

	CHECK_OK(ctx_open(&c, true), "opening the IOAS with edu");
	CHECK_OK(phyrbuf_bo_create(dev, size, PHYRBUF_PLACEMENT_SYSTEM, 0, &bo), "a buffer");
	CHECK_OK(phyrbuf_bo_export(bo, &fd), "export");
#define EXPECT_MAP(e, f, off, len, what) do {					\
	r = phyrbuf_ioas_map_dmabuf(c.ioas, (f), (off), (len), IOVA_A, 0);	\
	REQUIRE(r == (e), "%s: %s, expected %s", (what), r ? strerror(-r) : "mapped", \
	      strerror(-(e)));							\
} while (0)
	EXPECT_MAP(-EINVAL, fd, 0, 0, "an empty window");
	EXPECT_MAP(-EINVAL, fd, size, PAGE, "a window at the end");
	EXPECT_MAP(-EINVAL, fd, PAGE, size, "a window past the end");
	EXPECT_MAP(-EINVAL, fd, 0, size + PAGE, "a window longer than the buffer");
	EXPECT_MAP(-EINVAL, fd, 100, PAGE, "an unaligned offset");
	EXPECT_MAP(-EINVAL, fd, 0, PAGE + 100, "an unaligned length");
	EXPECT_MAP(-EBADF, 1000, 0, PAGE, "a closed fd");
	REQUIRE(!pipe2(pipefd, O_CLOEXEC), "pipe: %s", strerror(errno));
	/* 7.3's path for files that are not dma-bufs: only memfds can be pinned */
	EXPECT_MAP(-EINVAL, pipefd[0], 0, PAGE, "a pipe");
	/* udmabuf exports an sg_table only: no phyr for the converter */
	udev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	REQUIRE(udev >= 0, "/dev/udmabuf: %s", strerror(errno));
	mfd = memfd_create("udmabuf", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	REQUIRE(mfd >= 0 && !ftruncate(mfd, PAGE) && !fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK),
	      "a sealed memfd: %s", strerror(errno));
	create.memfd = mfd;
	create.size = PAGE;
	ufd = ioctl(udev, UDMABUF_CREATE, &create);
	REQUIRE(ufd >= 0, "UDMABUF_CREATE: %s", strerror(errno));
	EXPECT_MAP(-EOPNOTSUPP, ufd, 0, PAGE, "a udmabuf");
	/* and nothing of all that is mapped */
	CHECK_OK(phyrbuf_ioas_map_dmabuf(c.ioas, fd, 0, size, IOVA_A, 0), "the good window");
	CHECK_OK(phyrbuf_ioas_unmap(c.ioas, IOVA_A, size), "IOMMU_IOAS_UNMAP");
#undef EXPECT_MAP
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (ufd >= 0)
		close(ufd);
	if (mfd >= 0)
		close(mfd);
	if (udev >= 0)
		close(udev);
	if (pipefd[0] >= 0) {
		close(pipefd[0]);
		close(pipefd[1]);
	}
	ctx_close(&c);
	phyrbuf_bo_close(bo);
	return ret;
}

/*
 * Closing the dma-buf fd, the IOAS, the device and the buffer in every one of
 * the 24 orders, with a device-memory buffer mapped and edu attached: each
 * time the device memory comes back whole (phyr_vgem keeps memory that an
 * importer still maps), and the boot's kmemleak scan and splat gate judge the
 * rest.
 */
static int test_close_orders(struct phyrbuf_dev *vdev, char *detail)
{
	static const char order_names[] = "FIDB";	/* fd, IOAS, device, buffer */
	struct phyrbuf_dev_info info;
	uint64_t free0;
	unsigned int perm, done = 0;
	int ret = 1;

	CHECK_OK(phyrbuf_dev_info(vdev, &info), "INFO");
	free0 = info.device_free;
	for (perm = 0; perm < 24; perm++) {
		unsigned int order[4], left[4] = { 0, 1, 2, 3 }, n = 4, x = perm, i, j;
		struct phyrbuf_bo *bo = NULL;
		struct ctx c;
		char name[5] = "";
		int fd = -1;

		for (i = 0; i < 4; i++) {
			j = x % n;
			x /= n;
			order[i] = left[j];
			left[j] = left[--n];
			name[i] = order_names[order[i]];
		}
		CHECK_OK(ctx_open(&c, true), "opening the IOAS with edu");
		CHECK_OK(phyrbuf_bo_create(vdev, 16 * PAGE, PHYRBUF_PLACEMENT_DEVICE, 0, &bo),
			 "a buffer");
		CHECK_OK(phyrbuf_bo_export(bo, &fd), "export");
		CHECK_OK(phyrbuf_ioas_map_dmabuf(c.ioas, fd, 0, 16 * PAGE, IOVA_A, 0),
			 "IOMMU_IOAS_MAP_FILE");
		for (i = 0; i < 4; i++) {
			switch (order[i]) {
			case 0:
				close(fd);
				break;
			case 1:
				/* the device keeps the iommufd context alive */
				phyrbuf_ioas_close(c.ioas);
				c.ioas = NULL;
				break;
			case 2:
				phyrbuf_vfio_close(c.vfio);
				c.vfio = NULL;
				break;
			case 3:
				phyrbuf_bo_close(bo);
				break;
			}
		}
		munmap(c.scratch, SCRATCH_SIZE);
		CHECK_OK(phyrbuf_dev_info(vdev, &info), "INFO");
		REQUIRE(info.device_free == free0, "after closing in the order %s %" PRIu64
		      " bytes of device memory are still in use", name, free0 - info.device_free);
		done++;
	}
	snprintf(detail, 64, "(%u orders)", done);
	ret = 0;
out:
	return ret;
}

/*
 * A real revoke: the ivshmem device under a buffer in its device memory is
 * removed, phyr_vgem revokes the buffer's dma-buf (dma_buf_revoke()), and the
 * converter has unmapped the IOAS before the revoke returns: edu's DMA
 * faults, and mapping the revoked dma-buf again fails with -ENODEV.  The
 * device comes back with a PCI rescan.
 */
static int test_unplug(int vdev_index, char *detail)
{
	char path[128], loc[PHYRBUF_PATH_MAX];
	struct phyrbuf_dev_info info;
	struct phyrbuf_dev *vdev = NULL;
	struct phyrbuf_bo *bo = NULL;
	struct ctx c;
	uint8_t *p = NULL;
	int fd = -1, ret = 1, r, sys;

	CHECK_OK(ctx_open(&c, true), "opening the IOAS with edu");
	CHECK_OK(phyrbuf_open(vdev_index, PHYRBUF_OPEN_DEVICE_MEMORY, &vdev), "opening the device");
	CHECK_OK(phyrbuf_dev_info(vdev, &info), "INFO");
	snprintf(loc, sizeof(loc), "%s", info.location);
	CHECK_OK(phyrbuf_bo_create(vdev, 8 * PAGE, PHYRBUF_PLACEMENT_DEVICE, 0, &bo), "a buffer");
	CHECK_OK(phyrbuf_bo_mmap(bo, (void **)&p), "mmap");
	CHECK_OK(phyrbuf_bo_export(bo, &fd), "export");
	CHECK_OK(phyrbuf_ioas_map_dmabuf(c.ioas, fd, 0, 8 * PAGE, IOVA_A, 0), "IOMMU_IOAS_MAP_FILE");
	CHECK_OK(dma_fill(&c, IOVA_A, 8 * PAGE, 0x66), "edu writing device memory");
	phyrbuf_bo_munmap(bo, p);
	p = NULL;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", loc);
	sys = open(path, O_WRONLY | O_CLOEXEC);
	REQUIRE(sys >= 0 && write(sys, "1", 1) == 1, "removing %s: %s", loc, strerror(errno));
	close(sys);
	/* the buffer's memory is gone with the device: edu writes scratch memory now */
	REQUIRE(!expect_fault(&c, IOVA_A, c.scratch + 8192, err, sizeof(err)), "%s", err);
	r = phyrbuf_ioas_map_dmabuf(c.ioas, fd, 0, 8 * PAGE, IOVA_B, 0);
	REQUIRE(r == -ENODEV, "IOMMU_IOAS_MAP_FILE of the revoked dma-buf: %s, expected ENODEV",
	      r ? strerror(-r) : "mapped");
	CHECK_OK(phyrbuf_ioas_unmap(c.ioas, IOVA_A, 8 * PAGE), "IOMMU_IOAS_UNMAP of the revoked area");
	snprintf(detail, 96, "(%.80s)", loc);
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	ctx_close(&c);
	if (p)
		phyrbuf_bo_munmap(bo, p);
	phyrbuf_bo_close(bo);
	phyrbuf_close(vdev);
	sys = open("/sys/bus/pci/rescan", O_WRONLY | O_CLOEXEC);
	if (sys >= 0) {
		if (write(sys, "1", 1) != 1)
			ret = ret ? ret : 1;
		close(sys);
	}
	return ret;
}

/* the last phyr_vgem device with device memory (the second ivshmem) */
static int last_vram_device(void)
{
	int nr = phyrbuf_device_count(), i, last = -1;

	for (i = 0; i < nr; i++) {
		struct phyrbuf_dev *d;

		if (!phyrbuf_open(i, PHYRBUF_OPEN_DEVICE_MEMORY, &d)) {
			last = i;
			phyrbuf_close(d);
		}
	}
	return last;
}

static bool wanted(int argc, char **argv, const char *name)
{
	int i;

	if (argc <= 2)
		return true;
	for (i = 2; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct phyrbuf_dev *dev, char *detail);
		bool vram;
	} tests[] = {
		{ "system-lazy-fill", test_system_lazy, false },
		{ "device-memory", test_device_memory, true },
		{ "window", test_window, false },
		{ "migrate-fault-remap", test_migrate, true },
		{ "second-domain", test_second_domain, true },
		{ "vfio-bar-dmabuf", test_vfio_bar, false },
		{ "bad-input", test_bad_input, false },
		{ "close-orders", test_close_orders, true },
	};
	struct phyrbuf_dev *sys = NULL, *vram = NULL;
	char detail[192];
	unsigned int i;
	int ret;

	if (argc > 2 && !strcmp(argv[1], "--results")) {
		if (pt_results_open(argv[2], true)) {
			perror(argv[2]);
			return 2;
		}
		argc -= 2;
		argv += 2;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: test-vfio [--results FILE] PCI_ADDRESS_OF_EDU [SUBTEST...]\n");
		return 2;
	}
	pci = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = phyrbuf_open(PHYRBUF_ANY, 0, &sys);
	if (!ret)
		ret = phyrbuf_open(PHYRBUF_ANY, PHYRBUF_OPEN_DEVICE_MEMORY, &vram);
	if (ret) {
		fprintf(stderr, "test-vfio: no phyr_vgem device with device memory: %s\n",
			strerror(-ret));
		return 1;
	}
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (!wanted(argc, argv, tests[i].name))
			continue;
		detail[0] = 0;
		pt_begin(tests[i].name);
		current_test = tests[i].name;
		ret = tests[i].fn(tests[i].vram ? vram : sys, detail);
		report(tests[i].name, ret, detail);
	}
	phyrbuf_close(vram);
	phyrbuf_close(sys);
	/* last: it unplugs (and rescans) the second ivshmem */
	if (wanted(argc, argv, "unplug-revoke")) {
		detail[0] = 0;
		pt_begin("unplug-revoke");
		current_test = "unplug-revoke";
		ret = test_unplug(last_vram_device(), detail);
		report("unplug-revoke", ret, detail);
	}
	return pt_done();
}
