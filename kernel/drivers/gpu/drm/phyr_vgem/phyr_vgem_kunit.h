/* SPDX-License-Identifier: MIT */
/*
 * What phyr_vgem's KUnit suite (phyr_vgem_test.c) reaches of the driver.
 *
 * Copyright 2026 The phyr developers
 */

#ifndef _PHYR_VGEM_KUNIT_H_
#define _PHYR_VGEM_KUNIT_H_

#if IS_ENABLED(CONFIG_KUNIT)
/* the system-memory device, registered at module init */
extern struct phyr_vgem_device *phyr_vgem_device;
#endif

#endif /* _PHYR_VGEM_KUNIT_H_ */
