#!/usr/bin/env bash
# Install the Debian packages the build, the VM and the tests need (idempotent), and
# fetch the kernel source package's .deb into the cache ($DEBS).
# Adds trixie / trixie-backports (and, only if the kernel source is in neither, sid)
# as extra apt sources with a low pin priority, so that nothing on the host is
# upgraded: only what is named from them is taken.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
# rdma_core: our rdma-core build (the rxe provider's dma-buf verb, pyverbs)
. "$here/rdma-core.sh"

HOST_PKGS=(build-essential flex bison bc libelf-dev libssl-dev ccache cpio kmod xz-utils
	   python3 qemu-system-x86 qemu-utils meson ninja-build pkg-config libdrm-dev
	   intel-gpu-tools iproute2 rdma-core ibverbs-utils libibverbs-dev busybox-static
	   procps util-linux ibverbs-providers
	   # the Mesa client (EGL on GBM, GLES2; kms_swrast + llvmpipe in libgl1-mesa-dri)
	   libgbm-dev libegl-dev libgles-dev libegl-mesa0 libgl1-mesa-dri
	   # headers_install; upstream's iommufd selftests
	   rsync libcap-dev
	   # ncdevmem's netlink code, generated from the kernel's YAML specs (tools/net/ynl)
	   python3-yaml python3-jsonschema)

need_root() {
	if [ "$(id -u)" != 0 ]; then
		if command -v sudo >/dev/null; then SUDO=sudo; else
			fail "installing packages needs root (or sudo)"
		fi
	else
		SUDO=
	fi
}

# add_suites NAME SUITE...: a deb822 source with its pin file (priority 100)
add_suites() {
	local name=$1 s
	shift
	local f=/etc/apt/sources.list.d/phyr-$name.sources
	local p=/etc/apt/preferences.d/phyr-$name.pref
	[ -f "$f" ] && [ -f "$p" ] && return 0
	step "adding Debian $* as low-priority apt sources"
	$SUDO tee "$f" >/dev/null <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: $*
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	for s in "$@"; do
		printf 'Package: *\nPin: release n=%s\nPin-Priority: 100\n\n' "$s"
	done | $SUDO tee "$p" >/dev/null
	APT_UPDATED=
}

apt_update_once() {
	[ -n "${APT_UPDATED:-}" ] && return 0
	step "apt-get update"
	$SUDO apt-get update -q -o Dpkg::Progress-Fancy=0 >"$LOGDIR/apt-update.log" 2>&1 ||
		{ tail -n 20 "$LOGDIR/apt-update.log"; fail "apt-get update failed"; }
	APT_UPDATED=1
}

missing() {
	local p out=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "${p%%/*}" 2>/dev/null | grep -q "install ok installed" ||
			out+=("$p")
	done
	echo "${out[@]:-}"
}

apt_install() {
	local miss
	miss=$(missing "$@")
	[ -z "$miss" ] && return 0
	apt_update_once
	step "apt-get install $miss"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
		-o Dpkg::Progress-Fancy=0 $miss >"$LOGDIR/apt-install.log" 2>&1 ||
		{ tail -n 30 "$LOGDIR/apt-install.log"; fail "apt-get install failed: $miss"; }
}

# The version of $KSRC_PKG in the first suite of $KSRC_SUITES that has it: "VERSION SUITE"
find_ksrc() {
	local s line
	for s in $KSRC_SUITES; do
		line=$(apt-cache madison "$KSRC_PKG" 2>/dev/null |
		       awk -F' [|] ' -v s="$s" '{ split($3, a, " "); split(a[2], b, "/");
						   if (b[1] == s) { print $2; exit } }')
		[ -n "$line" ] && { echo "$line $s"; return 0; }
	done
	return 1
}

# the kernel source .deb, downloaded once into $DEBS
fetch_ksrc() {
	local found ver suite
	ksrc_deb >/dev/null && return 0
	apt_update_once
	if ! found=$(find_ksrc) && [[ " $KSRC_SUITES " == *" sid "* ]]; then
		add_suites sid sid
		apt_update_once
		found=$(find_ksrc) || true
	fi
	[ -n "${found:-}" ] ||
		fail "the kernel source package $KSRC_PKG is in none of the Debian suites $KSRC_SUITES: put its .deb into $DEBS (or set KSRC_DEB=/path/to.deb), or set KSRC_PKG in scripts/lib.sh to a version that exists"
	read -r ver suite <<<"$found"
	mkdir -p "$DEBS"
	# apt's own cache may hold it already (an earlier install of the package)
	for d in /var/cache/apt/archives/"${KSRC_PKG}_${ver//:/%3a}"_*.deb; do
		[ -f "$d" ] || continue
		info "taking $(basename "$d") from apt's cache"
		cp "$d" "$DEBS/"
		return 0
	done
	step "downloading $KSRC_PKG $ver from $suite into $DEBS (~170 MB)"
	mkdir -p "$DEBS.tmp"
	(cd "$DEBS.tmp" && apt-get download -q "$KSRC_PKG=$ver" >"$LOGDIR/apt-download.log" 2>&1) ||
		{ tail -n 10 "$LOGDIR/apt-download.log"; fail "downloading $KSRC_PKG $ver failed"; }
	mv "$DEBS.tmp"/*.deb "$DEBS/"
	rmdir "$DEBS.tmp"
}

main() {
	need_root
	APT_UPDATED=${APT_UPDATED:-}
	add_suites extra trixie trixie-backports
	apt_install "${HOST_PKGS[@]}"
	rdma_core
	fetch_ksrc
	info "kernel source: $(basename "$(ksrc_deb)")"
}

main "$@"
