# shellcheck shell=bash
# Common settings and helpers for the phyr build/VM/test scripts.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The kernel source package (one setting): Debian's linux-source-7.3 in trixie-backports.
KSRC_PKG=${KSRC_PKG:-linux-source-7.3}
KSRC_SUITE=${KSRC_SUITE:-trixie-backports}
KSRC_TARBALL=${KSRC_TARBALL:-/usr/src/${KSRC_PKG}.tar.xz}
# Everything built lives outside the repo.
CACHE=${PHYR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/phyr}
LOGDIR=${PHYR_LOGDIR:-$CACHE/logs}
KSRC=$CACHE/src/linux          # pristine + patches + overlay
KBUILD=$CACHE/build/kernel     # O= build dir
# meson build dir, one per checkout (a build dir is tied to its source dir)
UBUILD=$CACHE/build/user-$(printf '%s' "$TOP" | sha1sum | cut -c1-8)
export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}
mkdir -p "$LOGDIR" "$CCACHE_DIR"

step() { printf '==> %s\n' "$*" >&2; }
info() { printf '    %s\n' "$*" >&2; }
die() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }
