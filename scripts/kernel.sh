#!/usr/bin/env bash
# Prepare the kernel tree (pristine linux-source + kernel/patches + our overlaid files),
# configure it (tinyconfig + kernel/configs/*.config, every option verified) and build it
# with ccache into $KBUILD.  Usage: scripts/kernel.sh [prepare|config|build|all] (default all)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PRISTINE=$CACHE/src/pristine
STAMP=$KSRC/.phyr-series
MANIFEST=$KSRC/.phyr-overlay

series_id() {
	# the patch series and the source package version identify a work tree
	{ dpkg-query -W -f='${Version}\n' "$KSRC_PKG" 2>/dev/null || true
	  cat "$TOP"/kernel/patches/*.patch 2>/dev/null || true; } | sha1sum | cut -d' ' -f1
}

extract_pristine() {
	local ver
	ver=$(dpkg-query -W -f='${Version}' "$KSRC_PKG" 2>/dev/null) ||
		die "$KSRC_PKG is not installed (run scripts/deps.sh)"
	[ -f "$KSRC_TARBALL" ] || die "$KSRC_TARBALL missing: reinstall $KSRC_PKG from $KSRC_SUITE"
	if [ "$(cat "$PRISTINE/.phyr-version" 2>/dev/null)" != "$ver" ]; then
		step "extracting $KSRC_PKG $ver (~30 s)"
		rm -rf "$PRISTINE" "$PRISTINE.tmp"
		mkdir -p "$PRISTINE.tmp"
		tar -xf "$KSRC_TARBALL" -C "$PRISTINE.tmp" --strip-components=1 ||
			die "extracting $KSRC_TARBALL failed (disk space?)"
		echo "$ver" >"$PRISTINE.tmp/.phyr-version"
		mv "$PRISTINE.tmp" "$PRISTINE"
	fi
	info "kernel source: $KSRC_PKG $ver"
}

apply_patches() {
	local id p
	id=$(series_id)
	[ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$id" ] && return 0
	step "creating the work tree (pristine + kernel/patches)"
	rm -rf "$KSRC"
	# hard links: patch(1) and our overlay replace files, never write through a link
	cp -al "$PRISTINE" "$KSRC"
	for p in "$TOP"/kernel/patches/*.patch; do
		[ -e "$p" ] || continue
		info "patch $(basename "$p")"
		patch -p1 -s -N -d "$KSRC" <"$p" || die "patch $(basename "$p") does not apply"
	done
	echo "$id" >"$STAMP"
	: >"$MANIFEST"
}

overlay() {
	local f rel new=() old
	# our files: everything under kernel/ but patches/ and configs/
	while IFS= read -r -d '' f; do
		rel=${f#"$TOP/kernel/"}
		new+=("$rel")
		if ! cmp -s "$f" "$KSRC/$rel"; then
			mkdir -p "$(dirname "$KSRC/$rel")"
			rm -f "$KSRC/$rel"
			cp "$f" "$KSRC/$rel"
		fi
	done < <(find "$TOP/kernel" -type f ! -path "$TOP/kernel/patches/*" \
		 ! -path "$TOP/kernel/configs/*" -print0)
	# files we overlaid before but no longer have: back to pristine (or gone)
	while IFS= read -r old; do
		[ -n "$old" ] || continue
		printf '%s\n' "${new[@]}" | grep -qxF "$old" && continue
		rm -f "$KSRC/$old"
		[ -f "$PRISTINE/$old" ] && cp -al "$PRISTINE/$old" "$KSRC/$old"
	done <"$MANIFEST"
	printf '%s\n' "${new[@]}" >"$MANIFEST"
}

prepare() {
	extract_pristine
	apply_patches
	overlay
}

kmake() {
	make -C "$KSRC" O="$KBUILD" ARCH=x86_64 CC="ccache gcc" -j"$(nproc)" "$@"
}

check_config() {
	local frag line key want have bad=0
	for frag in "$TOP"/kernel/configs/*.config; do
		while IFS= read -r line; do
			case "$line" in
			CONFIG_*=*) key=${line%%=*}; want=${line#*=} ;;
			*) continue ;;
			esac
			have=$(grep -E "^$key=|^# $key is not set" "$KBUILD/.config" || true)
			if [ "$want" = n ]; then
				case "$have" in ""|"# $key is not set") continue ;; esac
			elif [ "$have" = "$key=$want" ]; then
				continue
			fi
			printf '    %s: wanted %s, got %s\n' "$(basename "$frag")" "$line" \
				"${have:-nothing (dependency missing?)}" >&2
			bad=1
		done <"$frag"
	done
	[ $bad = 0 ] || die "kernel config: options above were dropped by Kconfig"
}

config() {
	local frags=("$TOP"/kernel/configs/*.config) id
	mkdir -p "$KBUILD"
	# fragments, patch series and our own Kconfig files decide whether to reconfigure
	id=$( { cat "${frags[@]}" "$STAMP"; find "$TOP/kernel" -name 'Kconfig*' -exec cat {} +; } | sha1sum)
	if [ -f "$KBUILD/.config" ] && [ "$(cat "$KBUILD/.phyr-config" 2>/dev/null)" = "$id" ]; then
		return 0
	fi
	step "configuring (tinyconfig + ${frags[*]##*/})"
	kmake -s tinyconfig >"$LOGDIR/kconfig.log" 2>&1 || { tail -20 "$LOGDIR/kconfig.log"; die "make tinyconfig failed"; }
	(cd "$KBUILD" && ARCH=x86_64 "$KSRC/scripts/kconfig/merge_config.sh" -m -O "$KBUILD" \
		"$KBUILD/.config" "${frags[@]}") >>"$LOGDIR/kconfig.log" 2>&1 ||
		{ tail -20 "$LOGDIR/kconfig.log"; die "merge_config.sh failed"; }
	kmake -s olddefconfig >>"$LOGDIR/kconfig.log" 2>&1 || { tail -20 "$LOGDIR/kconfig.log"; die "make olddefconfig failed"; }
	check_config
	echo "$id" >"$KBUILD/.phyr-config"
}

build() {
	local t0 rc
	t0=$(date +%s)
	step "building the kernel (cold ~25 min on 2 cores, warm ~2 min; log: $LOGDIR/kbuild.log)"
	ccache -z >/dev/null 2>&1 || true
	set +e
	kmake bzImage >"$LOGDIR/kbuild.log" 2>&1 &
	local pid=$!
	# progress: a line a minute with the number of objects built so far
	while kill -0 $pid 2>/dev/null; do
		sleep 60 & wait $! 2>/dev/null
		kill -0 $pid 2>/dev/null &&
			info "still building: $(( $(date +%s) - t0 )) s, $(grep -c '^  CC' "$LOGDIR/kbuild.log") files compiled"
	done
	wait $pid; rc=$?
	set -e
	if [ $rc != 0 ]; then
		grep -E 'error|Error' "$LOGDIR/kbuild.log" | head -20 >&2
		df -h "$KBUILD" | tail -1 >&2
		die "kernel build failed (log: $LOGDIR/kbuild.log)"
	fi
	info "kernel built in $(( $(date +%s) - t0 )) s: $KBUILD/arch/x86/boot/bzImage ($(kmake -s kernelrelease 2>/dev/null))"
}

case "${1:-all}" in
prepare) prepare ;;
config) prepare; config ;;
build) build ;;
all) prepare; config; build ;;
headers) kmake -s headers_install INSTALL_HDR_PATH="$KBUILD/usr-headers" ;;
*) die "usage: $0 [prepare|config|build|all|headers]" ;;
esac
