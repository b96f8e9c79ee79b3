#!/usr/bin/env bash
# Install the Debian packages the build, the VM and the tests need (idempotent).
# Adds trixie / trixie-backports as extra apt sources with a low pin priority so that
# nothing on the host is upgraded; only the kernel source package is taken from them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

HOST_PKGS=(build-essential flex bison bc libelf-dev libssl-dev ccache cpio kmod xz-utils
	   python3 qemu-system-x86 qemu-utils meson ninja-build pkg-config libdrm-dev
	   intel-gpu-tools iproute2 rdma-core ibverbs-utils libibverbs-dev busybox-static
	   procps util-linux)

need_root() {
	if [ "$(id -u)" != 0 ]; then
		if command -v sudo >/dev/null; then SUDO=sudo; else
			die "installing packages needs root (or sudo)"
		fi
	else
		SUDO=
	fi
}

add_sources() {
	local f=/etc/apt/sources.list.d/phyr-extra.sources
	local p=/etc/apt/preferences.d/phyr-extra.pref
	[ -f "$f" ] && [ -f "$p" ] && return 0
	step "adding Debian trixie/trixie-backports as low-priority apt sources"
	$SUDO tee "$f" >/dev/null <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	$SUDO tee "$p" >/dev/null <<PREF
Package: *
Pin: release n=trixie
Pin-Priority: 100

Package: *
Pin: release n=trixie-backports
Pin-Priority: 100
PREF
	APT_UPDATED=
}

apt_update_once() {
	[ -n "${APT_UPDATED:-}" ] && return 0
	step "apt-get update"
	$SUDO apt-get update -q -o Dpkg::Progress-Fancy=0 >"$LOGDIR/apt-update.log" 2>&1 ||
		{ tail -n 20 "$LOGDIR/apt-update.log"; die "apt-get update failed"; }
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
		{ tail -n 30 "$LOGDIR/apt-install.log"; die "apt-get install failed: $miss"; }
}

main() {
	need_root
	APT_UPDATED=${APT_UPDATED:-}
	add_sources
	apt_install "${HOST_PKGS[@]}"
	# the kernel source package: one setting (lib.sh), cached .deb
	if ! dpkg-query -W -f='${Status}\n' "$KSRC_PKG" 2>/dev/null | grep -q "install ok installed"; then
		apt_update_once
		if ! apt-cache policy "$KSRC_PKG" | grep -q "$KSRC_SUITE"; then
			die "package $KSRC_PKG not found in Debian suite $KSRC_SUITE (backports keep only the newest kernel; set KSRC_PKG/KSRC_SUITE in scripts/lib.sh)"
		fi
		apt_install "$KSRC_PKG/$KSRC_SUITE"
	fi
	info "kernel source: $KSRC_PKG $(dpkg-query -W -f='${Version}' "$KSRC_PKG")"
}

main "$@"
