#!/bin/bash
# SPDX-License-Identifier: MIT
# A program built against the installed libphyrbuf: meson installs the build
# into a scratch DESTDIR, pkg-config (with that sysroot) gives the flags, and a
# consumer that includes <phyrbuf.h> and the uAPI header <phyr_vgem_drm.h>
# compiles, links and finds the library's runtime version equal to its header's.
#   install-check.sh BUILD_DIR PREFIX LIBDIR VERSION CC...
set -eu
build=$1 prefix=$2 libdir=$3 version=$4
shift 4
case "$libdir" in /*) ;; *) libdir=$prefix/$libdir ;; esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/phyrbuf-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

meson install -C "$build" --no-rebuild --quiet --destdir "$tmp/root" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; echo "install-check: meson install failed"; exit 1; }
for f in "$prefix/include/phyrbuf/phyrbuf.h" "$prefix/include/phyrbuf/phyrbuf-version.h" \
	 "$prefix/include/phyrbuf/phyr_vgem_drm.h" "$libdir/pkgconfig/libphyrbuf.pc" \
	 "$libdir/libphyrbuf.so"; do
	[ -e "$tmp/root$f" ] || { echo "install-check: $f not installed"; exit 1; }
done

# the installed .pc, its prefix moved to where DESTDIR put it (libdrm stays the system's)
mkdir -p "$tmp/pc"
sed "s|^prefix=.*|prefix=$tmp/root$prefix|" "$tmp/root$libdir/pkgconfig/libphyrbuf.pc" \
	>"$tmp/pc/libphyrbuf.pc"
grep -q "^libdir=\${prefix}" "$tmp/pc/libphyrbuf.pc" ||
	{ echo "install-check: libphyrbuf.pc's libdir is not under its prefix"; exit 1; }
export PKG_CONFIG_PATH=$tmp/pc
[ "$(pkg-config --modversion libphyrbuf)" = "$version" ] ||
	{ echo "install-check: pkg-config says $(pkg-config --modversion libphyrbuf), not $version"; exit 1; }
cat >"$tmp/consumer.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <phyrbuf.h>
#include <phyr_vgem_drm.h>

#if !PHYRBUF_CHECK_VERSION(0, 2, 0)
#error "PHYRBUF_CHECK_VERSION"
#endif

int main(void)
{
	struct drm_phyr_vgem_bo_mmap_offset arg = { 0 };
	struct phyrbuf_bo_info info;

	(void)arg;
	(void)info;
	if (phyrbuf_version() != PHYRBUF_VERSION_NUMBER ||
	    strcmp(phyrbuf_version_string(), PHYRBUF_VERSION)) {
		printf("runtime %s, header %s\n", phyrbuf_version_string(), PHYRBUF_VERSION);
		return 1;
	}
	printf("%s\n", phyrbuf_version_string());
	return 0;
}
C
# shellcheck disable=SC2046
"$@" -Wall -Werror -o "$tmp/consumer" "$tmp/consumer.c" $(pkg-config --cflags --libs libphyrbuf) \
	-Wl,-rpath,"$tmp/root$libdir" ||
	{ echo "install-check: the consumer does not build against the installed tree"; exit 1; }
out=$("$tmp/consumer") || { echo "install-check: $out"; exit 1; }
[ "$out" = "$version" ] || { echo "install-check: consumer printed '$out'"; exit 1; }
echo "install-check: OK: libphyrbuf $out installed, built against and run"
