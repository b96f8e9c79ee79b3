// SPDX-License-Identifier: GPL-2.0-only
/*
 * QEMU's edu device as a DMA engine for the phyr test bed: the KUnit helpers,
 * the edu test importer and the benchmark borrow it without binding a driver.
 *
 * Copyright 2026 The phyr developers
 */

#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/pci.h>

#include "phyr_edu.h"

/**
 * phyr_edu_get() - borrow edu
 * @edu: filled in
 *
 * Enables edu, maps its registers and makes it bus master with a 64-bit DMA
 * mask (the test bed's edu has dma_mask=0xffffffffffffffff).
 *
 * Context: Process context; may sleep.
 * Return: 0; -ENODEV without edu; -EBUSY when a driver holds it (vfio-pci);
 * -ENOMEM or the error of enabling it.
 */
int phyr_edu_get(struct phyr_edu *edu)
{
	int ret;

	edu->pdev = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);
	if (!edu->pdev)
		return -ENODEV;
	ret = -EBUSY;
	if (edu->pdev->dev.driver)
		goto err_put;
	ret = pci_enable_device(edu->pdev);
	if (ret)
		goto err_put;
	ret = -ENOMEM;
	edu->regs = pci_iomap(edu->pdev, 0, 0);
	if (!edu->regs)
		goto err_disable;
	pci_set_master(edu->pdev);
	ret = dma_set_mask_and_coherent(&edu->pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		goto err_unmap;
	return 0;

err_unmap:
	pci_clear_master(edu->pdev);
	pci_iounmap(edu->pdev, edu->regs);
err_disable:
	pci_disable_device(edu->pdev);
err_put:
	pci_dev_put(edu->pdev);
	edu->pdev = NULL;
	return ret;
}

/**
 * phyr_edu_put() - give edu back
 * @edu: borrowed with phyr_edu_get()
 *
 * Context: Process context.
 */
void phyr_edu_put(struct phyr_edu *edu)
{
	pci_clear_master(edu->pdev);
	pci_iounmap(edu->pdev, edu->regs);
	pci_disable_device(edu->pdev);
	pci_dev_put(edu->pdev);
	edu->pdev = NULL;
}

/**
 * phyr_edu_dma() - one transfer by edu's DMA engine
 * @edu: the borrowed device
 * @addr: the DMA address on the host side
 * @buf_off: the offset in edu's own buffer
 * @len: bytes to move, at most %PHYR_EDU_MAX_XFER - @buf_off
 * @to_ram: true to move from edu's buffer to @addr, false the other way
 *
 * Context: Process context; sleeps while it polls (20 ms steps).
 * Return: 0, -EINVAL for a transfer edu cannot do, or -ETIMEDOUT if the
 * engine did not finish within 3 seconds.
 */
int phyr_edu_dma(struct phyr_edu *edu, dma_addr_t addr, u32 buf_off, u32 len,
		 bool to_ram)
{
	unsigned int tries;

	if (!len || buf_off > PHYR_EDU_MAX_XFER || len > PHYR_EDU_MAX_XFER - buf_off)
		return -EINVAL;
	writeq(to_ram ? EDU_BUF_ADDR + buf_off : addr, edu->regs + EDU_DMA_SRC);
	writeq(to_ram ? addr : EDU_BUF_ADDR + buf_off, edu->regs + EDU_DMA_DST);
	writeq(len, edu->regs + EDU_DMA_COUNT);
	writeq(EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0), edu->regs + EDU_DMA_CMD);
	for (tries = 0; tries < 150; tries++) {
		if (!(readq(edu->regs + EDU_DMA_CMD) & EDU_CMD_START))
			return 0;
		msleep(20);
	}
	return -ETIMEDOUT;
}
