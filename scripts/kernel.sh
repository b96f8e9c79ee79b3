#!/usr/bin/env bash
# Prepare the kernel work tree (pristine linux-source + kernel/patches + our overlaid
# files), configure it (tinyconfig + kernel/configs/*.config, every option verified)
# and build it with ccache into $KBUILD.
#   scripts/kernel.sh [prepare|config|build|all|headers]   (default all)
# The work tree and the build directories are shared by every checkout and run: the
# kernel lock serialises them (held by prepare_all for the scripts it runs, taken
# here when this script is run on its own).  The tree is kept in sync file by file: a file whose content
# changes is rewritten (a new mtime, so make rebuilds what depends on it), a file that
# no longer differs from pristine is restored as a fresh copy, and an unchanged tree is
# left alone, so that make rebuilds exactly what changed and nothing else.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lock_unless_held kernel

MANIFEST=$KSRC/.phyr-files	# the files of $KSRC that differ from pristine
STATE=$KSRC/.phyr-state		# source package + hash of those files' contents

prepare() {
	local stage rel changed=0 restored=0 id
	extract_pristine
	id=$(cat "$PRISTINE/.phyr-deb")
	if [ -f "$KSRC/.phyr-series" ] && [ ! -f "$KSRC/.phyr-deb" ] &&
	   [ "$(cat "$KSRC/.phyr-version" 2>/dev/null)" = "$(cat "$PRISTINE/.phyr-version" 2>/dev/null)" ]; then
		# a work tree of the scripts before per-file sync, of the same source
		echo "$id" >"$KSRC/.phyr-deb"
		cat "$KSRC/.phyr-overlay" <(for p in "$TOP"/kernel/patches/*.patch; do patch_files "$p"; done) |
			sort -u >"$MANIFEST"
		rm -f "$KSRC/.phyr-series" "$KSRC/.phyr-overlay"
		for b in "$CACHE"/build/kernel*; do
			if [ -d "$b" ]; then echo "$id" >"$b/.phyr-deb"; fi
		done
	fi
	if [ "$(cat "$KSRC/.phyr-deb" 2>/dev/null)" != "$id" ]; then
		step "creating the work tree from $id"
		rm -rf "$KSRC"
		# hard links: files we change are replaced, never written through a link
		cp -al "$PRISTINE" "$KSRC"
		: >"$MANIFEST"
	fi
	stage=$(mktemp -d "$CACHE/src/stage.XXXXXX")
	stage_tree "$stage"
	while IFS= read -r rel; do
		cmp -s "$stage/$rel" "$KSRC/$rel" && continue
		mkdir -p "$(dirname "$KSRC/$rel")"
		rm -f "$KSRC/$rel"
		cp "$stage/$rel" "$KSRC/$rel"
		changed=$((changed + 1))
	done < <(cd "$stage" && find . -type f -printf '%P\n' | sort | tee "$stage.list")
	# files we changed before but no longer do: back to pristine, as new files
	while IFS= read -r rel; do
		[ -n "$rel" ] || continue
		rm -f "$KSRC/$rel"
		[ -f "$PRISTINE/$rel" ] && cp "$PRISTINE/$rel" "$KSRC/$rel"
		restored=$((restored + 1))
	done < <(comm -23 <(sort "$MANIFEST") "$stage.list")
	mv "$stage.list" "$MANIFEST"
	{ echo "$id"; (cd "$stage" && sort -z < <(find . -type f -print0) | xargs -0 sha1sum) | sha1sum; } >"$STATE"
	rm -rf "$stage"
	info "work tree: $(wc -l <"$MANIFEST") files of ours, $changed rewritten, $restored restored to pristine"
}

kmake() {
	make -C "$KSRC" O="$KBUILD" ARCH=x86_64 CC="ccache gcc" -j"$(nproc)" "$@"
}

config_frags() {
	case "$KCONFIG_KIND" in
	test) echo "$TOP"/kernel/configs/*.config ;;
	release) ls "$TOP"/kernel/configs/*.config | grep -v '/debug\.config$' ;;
	esac
}

check_config() {
	local frag line key want have bad=0
	for frag in $(config_frags); do
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
	[ $bad = 0 ] || fail "kernel config: options above were dropped by Kconfig"
}

config() {
	local frags id
	read -r -a frags <<<"$(config_frags)"
	# objects built from another source version are stale whatever their mtime
	if [ -d "$KBUILD" ] && [ "$(cat "$KBUILD/.phyr-deb" 2>/dev/null)" != "$(cat "$KSRC/.phyr-deb")" ]; then
		info "$KBUILD was built from another source: starting afresh"
		rm -rf "$KBUILD"
	fi
	mkdir -p "$KBUILD"
	cp "$KSRC/.phyr-deb" "$KBUILD/.phyr-deb"
	# fragments, the tree's state and our own Kconfig files decide whether to reconfigure
	id=$( { cat "${frags[@]}"; head -n 1 "$STATE"; find "$TOP/kernel" -name 'Kconfig*' -exec cat {} +;
		cat "$TOP"/kernel/patches/*.patch; } | sha1sum)
	if [ -f "$KBUILD/.config" ] && [ "$(cat "$KBUILD/.phyr-config" 2>/dev/null)" = "$id" ]; then
		return 0
	fi
	step "configuring the $KCONFIG_KIND kernel (tinyconfig + ${frags[*]##*/})"
	kmake -s tinyconfig >"$LOGDIR/kconfig.log" 2>&1 || { tail -20 "$LOGDIR/kconfig.log"; fail "make tinyconfig failed"; }
	(cd "$KBUILD" && ARCH=x86_64 "$KSRC/scripts/kconfig/merge_config.sh" -m -O "$KBUILD" \
		"$KBUILD/.config" "${frags[@]}") >>"$LOGDIR/kconfig.log" 2>&1 ||
		{ tail -20 "$LOGDIR/kconfig.log"; fail "merge_config.sh failed"; }
	kmake -s olddefconfig >>"$LOGDIR/kconfig.log" 2>&1 || { tail -20 "$LOGDIR/kconfig.log"; fail "make olddefconfig failed"; }
	check_config
	echo "$id" >"$KBUILD/.phyr-config"
}

build() {
	local t0 rc pid n
	t0=$(date +%s)
	step "building the $KCONFIG_KIND kernel (cold ~25 min on 2 cores; log: $LOGDIR/kbuild.log)"
	set +e
	kmake bzImage >"$LOGDIR/kbuild.log" 2>&1 &
	pid=$!
	# progress: a line a minute with the number of objects built so far
	while kill -0 $pid 2>/dev/null; do
		sleep 1 & wait $! 2>/dev/null
		if kill -0 $pid 2>/dev/null && (( ($(date +%s) - t0) % 60 == 0 )); then
			info "still building: $(( $(date +%s) - t0 )) s, $(grep -c '^  CC' "$LOGDIR/kbuild.log") files compiled"
		fi
	done
	wait $pid; rc=$?
	set -e
	if [ $rc != 0 ]; then
		grep -E 'error|Error' "$LOGDIR/kbuild.log" | head -20 >&2
		df -h "$KBUILD" | tail -1 >&2
		fail "kernel build failed (log: $LOGDIR/kbuild.log)"
	fi
	n=$(grep -c '^  CC' "$LOGDIR/kbuild.log" || true)
	info "kernel built in $(( $(date +%s) - t0 )) s, $n files compiled: $KBUILD/arch/x86/boot/bzImage ($(kmake -s kernelrelease 2>/dev/null))"
}

case "${1:-all}" in
prepare) prepare ;;
config) prepare; config ;;
build) build ;;
all) prepare; config; build ;;
headers) kmake -s headers_install INSTALL_HDR_PATH="$KBUILD/usr-headers" ;;
*) fail "usage: $0 [prepare|config|build|all|headers]" ;;
esac
