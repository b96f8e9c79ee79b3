// SPDX-License-Identifier: MIT
/*
 * phyrbuf vfio-dma: a phyr_vgem buffer in an iommufd IOAS, reached by DMA of
 * QEMU's edu device through the IOMMU.
 *
 *   phyrbuf vfio-dma --pci ADDRESS [--size SIZE] [--placement system|device]
 *                    [--device N] [--iova IOVA]
 *
 * Copyright 2026 The phyr developers
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "phyrbuf.h"
#include "cli.h"
#include "edu.h"
#include "phyr-test.h"

static const char vfio_dma_usage[] =
	"usage: phyrbuf vfio-dma --pci ADDRESS [--size SIZE] [--placement P]\n"
	"                        [--device N] [--iova IOVA]\n"
	"\n"
	"Creates a buffer on phyr_vgem device N, fills its first half through a CPU\n"
	"mapping, maps its dma-buf into a new iommufd I/O address space at IOVA\n"
	"(IOMMU_IOAS_MAP_FILE), binds the edu device at PCI ADDRESS (bound to\n"
	"vfio-pci; its VFIO cdev) to the same iommufd and attaches it to the IOAS,\n"
	"then has edu's DMA engine copy the first half out of the buffer and into\n"
	"its second half, through the IOMMU, and checks every byte through the CPU\n"
	"mapping.\n"
	"\n"
	"  --pci ADDRESS       edu's PCI address, e.g. 0000:00:03.0\n"
	"  --size SIZE         buffer size, at least 8K (default 64K)\n"
	"  --placement P       system (default) or device\n"
	"  --device N          phyr_vgem device N (default: the first, or the first\n"
	"                      with device memory for --placement device)\n"
	"  --iova IOVA         where the buffer is mapped (default 0x1000000); edu\n"
	"                      reaches 28 bits: IOVA + SIZE must stay below 256 MiB\n"
	"\n"
	"Exit status: 0 on success, 1 on failure, 2 on a usage error.\n";

#define EDU_LIMIT	(1ull << 28)

struct vfio_dma_opts {
	const char *pci;
	uint64_t size;
	uint32_t placement;
	int device;
	uint64_t iova;
};

static int run(const struct vfio_dma_opts *o)
{
	struct phyrbuf_bo_info info;
	struct phyrbuf_vfio *vfio = NULL;
	struct phyrbuf_ioas *ioas = NULL;
	struct phyrbuf_dev *dev = NULL;
	struct phyrbuf_bo *bo = NULL;
	volatile void *bar0;
	uint64_t half = o->size / 2, off, i, nr = 0;
	uint8_t *p = NULL;
	int ret, status = 1;
	uint32_t id;

	ret = phyrbuf_open(o->device, o->placement == PHYRBUF_PLACEMENT_DEVICE ?
			   PHYRBUF_OPEN_DEVICE_MEMORY : 0, &dev);
	if (ret)
		return fail("opening a phyr_vgem device: %s", strerror(-ret));
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
	for (i = 0; i < half; i++)
		p[i] = pt_byte(0x5c, i);
	memset(p + half, 0, o->size - half);
	ret = phyrbuf_bo_query(bo, &info);
	if (ret) {
		fail("querying the buffer: %s", strerror(-ret));
		goto out;
	}
	printf("buffer:\n");
	printf("  size:           %" PRIu64 " bytes\n", info.size);
	printf("  placement:      %s\n", phyrbuf_placement_name(info.placement));
	printf("  nr_ranges:      %" PRIu64 "\n", (uint64_t)info.nr_ranges);

	ret = phyrbuf_ioas_open(&ioas);
	if (ret) {
		fail("opening /dev/iommu: %s", strerror(-ret));
		goto out;
	}
	ret = phyrbuf_ioas_map_bo(ioas, bo, o->iova, 0);
	if (ret) {
		fail("IOMMU_IOAS_MAP_FILE of the buffer's dma-buf at 0x%" PRIx64 ": %s",
		     o->iova, strerror(-ret));
		goto out;
	}
	printf("ioas %u:\n", phyrbuf_ioas_id(ioas));
	printf("  mapped:         0x%" PRIx64 "-0x%" PRIx64 " (the dma-buf, MAP_FILE)\n",
	       o->iova, o->iova + o->size - 1);

	ret = phyrbuf_vfio_open(ioas, o->pci, &vfio);
	if (ret) {
		if (ret == -ENXIO)
			fail("%s: not bound to vfio-pci (echo vfio-pci > /sys/bus/pci/devices/%s/driver_override, then bind it)",
			     o->pci, o->pci);
		else if (ret == -ENODEV)
			fail("%s: no such PCI device", o->pci);
		else
			fail("%s: binding to iommufd and attaching to the IOAS: %s",
			     o->pci, strerror(-ret));
		goto out;
	}
	ret = phyrbuf_vfio_bar_mmap(vfio, 0, &bar0, NULL);
	if (ret) {
		fail("%s: mapping BAR0: %s", o->pci, strerror(-ret));
		goto out;
	}
	id = edu_id(bar0);
	if ((id & 0xff) != 0xed) {
		fail("%s: not an edu device (id 0x%08x)", o->pci, id);
		goto out;
	}
	printf("edu %s:\n", o->pci);
	printf("  id:             0x%08x, bound to iommufd, attached to ioas %u\n", id,
	       phyrbuf_ioas_id(ioas));

	for (off = 0; off < half; off += EDU_MAX_XFER) {
		uint32_t len = half - off < EDU_MAX_XFER ? half - off : EDU_MAX_XFER;

		ret = edu_dma(bar0, o->iova + off, 0, len, 0);
		if (!ret)
			ret = edu_dma(bar0, o->iova + half + off, 0, len, 1);
		if (ret) {
			fail("edu DMA at IOVA 0x%" PRIx64 ": %s", o->iova + off,
			     strerror(-ret));
			goto out;
		}
		nr += 2;
	}
	printf("  copied:         %" PRIu64 " bytes out of 0x%" PRIx64 " and into 0x%" PRIx64
	       " in %" PRIu64 " transfers\n", half, o->iova, o->iova + half, nr);
	for (i = 0; i < half; i++) {
		if (p[half + i] != pt_byte(0x5c, i)) {
			fail("byte %" PRIu64 " of the copy is 0x%02x, not 0x%02x (the DMA did not reach the buffer)",
			     half + i, p[half + i], pt_byte(0x5c, i));
			goto out;
		}
	}
	printf("  verified:       %" PRIu64 " bytes through the CPU mapping\n", half);
	ret = phyrbuf_ioas_unmap(ioas, o->iova, o->size);
	if (ret) {
		fail("unmapping 0x%" PRIx64 ": %s", o->iova, strerror(-ret));
		goto out;
	}
	printf("  unmapped:       0x%" PRIx64 "\n", o->iova);
	status = 0;
out:
	phyrbuf_vfio_close(vfio);
	phyrbuf_ioas_close(ioas);
	if (p)
		phyrbuf_bo_munmap(bo, p);
	phyrbuf_bo_close(bo);
	phyrbuf_close(dev);
	return status;
}

int cmd_vfio_dma(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pci", required_argument, NULL, 'p' },
		{ "size", required_argument, NULL, 's' },
		{ "placement", required_argument, NULL, 'P' },
		{ "device", required_argument, NULL, 'd' },
		{ "iova", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vfio_dma_opts o = {
		.size = 64 << 10,
		.placement = PHYRBUF_PLACEMENT_SYSTEM,
		.device = PHYRBUF_ANY,
		.iova = 0x1000000,
	};
	char *end, path[96];
	int c, status;

	cli_opts_begin();
	while ((c = cli_getopt(argc, argv, ":h", opts, "vfio-dma", vfio_dma_usage,
			       &status)) != -1) {
		switch (c) {
		case CLI_EXIT:
			return status;
		case 'p':
			o.pci = optarg;
			break;
		case 's':
			if (!parse_size(optarg, &o.size) || o.size < (8 << 10))
				return usage_error("bad size '%s' (at least 8K)", optarg);
			break;
		case 'P':
			if (opt_placement(optarg, &o.placement))
				return 2;
			break;
		case 'd':
			if (opt_device(optarg, &o.device))
				return 2;
			break;
		case 'i':
			errno = 0;
			o.iova = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end || *optarg == '-')
				return usage_error("bad IOVA '%s'", optarg);
			break;
		}
	}
	if (cli_no_args(argc, argv, &status))
		return status;
	if (!o.pci)
		return usage_error("vfio-dma needs --pci ADDRESS (edu's, bound to vfio-pci)");
	if (o.iova >= EDU_LIMIT || o.size > EDU_LIMIT - o.iova)
		return usage_error("IOVA 0x%" PRIx64 " + size 0x%" PRIx64
				   " beyond edu's 28 bits (256 MiB)", o.iova, o.size);
	/* before anything is made: a device that is not there is the whole answer */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", o.pci);
	if (access(path, F_OK))
		return fail("%s: no such PCI device", o.pci);
	return run(&o);
}
