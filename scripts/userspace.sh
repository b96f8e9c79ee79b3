#!/usr/bin/env bash
# Build the userspace (libraries, demo, tests, IGT tests) with meson into $UBUILD, and
# upstream's iommufd selftests into $UBUILD/iommufd-selftests.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# The uAPI headers of the kernel under test (make headers_install): iommufd and VFIO
# of 7.3 are newer than the host's.  Our patches change no uAPI header, so the
# pristine tree's are ours; made once per kernel source, shared by every checkout.
UAPI=$CACHE/build/uapi
lock uapi
if [ "$(cat "$UAPI/.phyr-deb" 2>/dev/null)" != "$(cat "$PRISTINE/.phyr-deb")" ]; then
	step "installing the kernel's uAPI headers into $UAPI"
	rm -rf "$UAPI" "$UAPI.tmp"
	make -C "$PRISTINE" O="$UAPI.tmp/obj" ARCH=x86_64 headers_install \
		INSTALL_HDR_PATH="$UAPI.tmp" >"$LOGDIR/uapi.log" 2>&1 ||
		{ tail -n 20 "$LOGDIR/uapi.log"; fail "make headers_install failed"; }
	rm -rf "$UAPI.tmp/obj"
	cp "$PRISTINE/.phyr-deb" "$UAPI.tmp/.phyr-deb"
	mv "$UAPI.tmp" "$UAPI"
fi
unlock uapi

step "building userspace (meson, $UBUILD)"
# the test run needs every optional part: IGT, the Mesa client, the sanitizer builds
opts=(-Digt=enabled -Dmesa=enabled -Dsanitizers=enabled -Dkernel_uapi="$UAPI")
# A build dir kept from an older checkout at the same path may predate options the
# source has now ("meson configure" then refuses them as unknown): reconfigure from
# the source, which reads meson_options.txt again, and start afresh if even that fails.
if [ ! -f "$UBUILD/build.ninja" ]; then
	rm -rf "$UBUILD"
	meson setup "$UBUILD" "$TOP" "${opts[@]}" >"$LOGDIR/meson-setup.log" 2>&1 ||
		{ tail -n 30 "$LOGDIR/meson-setup.log"; fail "meson setup failed"; }
elif ! meson setup --reconfigure "$UBUILD" "$TOP" "${opts[@]}" \
	>"$LOGDIR/meson-setup.log" 2>&1; then
	info "the kept build dir could not be reconfigured (log: $LOGDIR/meson-setup.log): wiping it"
	meson setup --wipe "$UBUILD" "$TOP" "${opts[@]}" >"$LOGDIR/meson-wipe.log" 2>&1 ||
		{ tail -n 30 "$LOGDIR/meson-wipe.log"; fail "meson setup failed"; }
fi
ninja -C "$UBUILD" >"$LOGDIR/ninja.log" 2>&1 ||
	{ grep -E "error|warning" "$LOGDIR/ninja.log" | head -30; fail "userspace build failed (log: $LOGDIR/ninja.log)"; }

# Upstream's iommufd selftests, from the pristine tree (our patches change neither
# them nor the uAPI they test).  The harness gives each test 30 s of wall time, made
# for hardware: under TCG with KASAN on a shared 2-core host map_domain,
# map_two_domains and fork_present need more (docs/iommufd.md), so they are built
# with a copy of the harness whose default timeout is 600 s; nothing else changes.
ST=$UBUILD/iommufd-selftests
step "building upstream's iommufd selftests ($ST)"
mkdir -p "$ST/harness"
sed 's/^#define TEST_TIMEOUT_DEFAULT 30$/#define TEST_TIMEOUT_DEFAULT 600/' \
	"$PRISTINE/tools/testing/selftests/kselftest_harness.h" >"$ST/harness/kselftest_harness.h.new"
grep -q '^#define TEST_TIMEOUT_DEFAULT 600$' "$ST/harness/kselftest_harness.h.new" ||
	fail "kselftest_harness.h has no TEST_TIMEOUT_DEFAULT 30 to raise"
cmp -s "$ST/harness/kselftest_harness.h.new" "$ST/harness/kselftest_harness.h" ||
	mv "$ST/harness/kselftest_harness.h.new" "$ST/harness/kselftest_harness.h"
rm -f "$ST/harness/kselftest_harness.h.new"
make -C "$PRISTINE/tools/testing/selftests/iommu" OUTPUT="$ST" \
	KHDR_INCLUDES="-isystem $UAPI/include -I$ST/harness" >"$LOGDIR/iommufd-selftests.log" 2>&1 ||
	{ tail -n 20 "$LOGDIR/iommufd-selftests.log"; fail "building the iommufd selftests failed"; }

# Upstream's devmem TCP client, ncdevmem, from the pristine tree with our patch of it
# applied to a copy (kernel/patches/*ncdevmem*: a phyr_vgem memory provider; our
# patches do not change the netdev netlink family), for the devmem layer
# (scripts/guest-devmem.sh)
step "building upstream's ncdevmem ($UBUILD/ncdevmem)"
PATH=/usr/bin:$PATH bash "$TOP/userspace/devmem/build-ncdevmem.sh" "$PRISTINE" "$UAPI/include" \
	"$UBUILD/ncdevmem" >"$LOGDIR/ncdevmem.log" 2>&1 ||
	{ tail -n 20 "$LOGDIR/ncdevmem.log"; fail "building ncdevmem failed"; }
