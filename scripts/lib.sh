# shellcheck shell=bash
# Common settings and helpers of the phyr build/VM/test scripts (docs/pipeline.md).

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The kernel source package (one setting) and the Debian suites searched for it, in
# order: backports keep only the newest kernel, so the same version is also looked
# for in the others.  A downloaded .deb is kept in $DEBS and used from then on.
KSRC_PKG=${KSRC_PKG:-linux-source-7.3}
KSRC_SUITES=${KSRC_SUITES:-trixie-backports trixie sid}
# Everything built lives outside the repo.
CACHE=${PHYR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/phyr}
DEBS=$CACHE/debs
PRISTINE=$CACHE/src/pristine  # the extracted kernel source, never modified
KSRC=$CACHE/src/linux         # pristine + kernel/patches + our files
# O= build dirs: the test kernel (phyr.config + debug.config) and, for benchmarks,
# a release kernel (phyr.config only); both are built from $KSRC
# set_kernel_kind test|release: which of the two this script builds and boots (exported
# to the scripts it runs); the benchmarks take --release as their first argument for it
set_kernel_kind() {
	case "$1" in
	test) KBUILD=$CACHE/build/kernel ;;
	release) KBUILD=$CACHE/build/kernel-release ;;
	*) echo "lib.sh: KCONFIG_KIND must be test or release" >&2; exit 1 ;;
	esac
	export KCONFIG_KIND=$1
}
set_kernel_kind "${KCONFIG_KIND:-test}"
# meson build dir, one per checkout (a build dir is tied to its source dir)
UKEY=$(printf '%s' "$TOP" | sha1sum | cut -c1-8)
UBUILD=$CACHE/build/user-$UKEY
export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}
# Logs of this run: the top-level command (test.sh, demo.sh, bench.sh) makes a run
# directory and exports PHYR_LOGDIR; a script started on its own logs to a new
# directory of its own.
if [ -z "${PHYR_LOGDIR:-}" ]; then
	mkdir -p "$CACHE/logs"
	PHYR_LOGDIR=$(mktemp -d "$CACHE/logs/$(date +%Y%m%d-%H%M%S)-XXXX")
	export PHYR_LOGDIR
fi
LOGDIR=$PHYR_LOGDIR
mkdir -p "$LOGDIR" "$CCACHE_DIR" "$CACHE/locks"

step() { printf '==> %s\n' "$*" >&2; }
info() { printf '    %s\n' "$*" >&2; }
# fail WHAT: the one way a script fails: "SCRIPT: FAILED: WHAT", exit 1
fail() { printf '%s: FAILED: %s\n' "$(basename "$0" .sh)" "$*" >&2; exit 1; }

# new_run KIND: a new, unique results directory; sets RUN and points the logs there
new_run() {
	mkdir -p "$CACHE/results"
	RUN=$(mktemp -d "$CACHE/results/$1-$(date +%Y%m%d-%H%M%S)-XXXX")
	PHYR_LOGDIR=$RUN/logs
	LOGDIR=$PHYR_LOGDIR
	export PHYR_LOGDIR
	mkdir -p "$LOGDIR"
}

# lock NAME: take the lock NAME (waiting, and saying so, while another run holds it);
# held until unlock NAME or the end of the process
declare -A LOCK_FDS=()
lock() {
	local f=$CACHE/locks/$1.lock fd
	exec {fd}>>"$f"
	if ! flock -n "$fd"; then
		info "waiting for the $1 lock, held by $(cat "$f.owner" 2>/dev/null || echo 'another run') ..."
		flock "$fd"
		info "got the $1 lock"
	fi
	printf 'pid %s (%s, since %s)\n' "$$" "$TOP" "$(date +%T)" >"$f.owner"
	LOCK_FDS[$1]=$fd
	# children (kernel.sh under prepare_all) know that it is held for them
	export "PHYR_HOLDS_${1//[^a-zA-Z0-9]/_}_LOCK=$$"
}
unlock() {
	local fd=${LOCK_FDS[$1]:-}
	[ -n "$fd" ] || return 0
	: >"$CACHE/locks/$1.lock.owner"
	flock -u "$fd"
	exec {fd}>&-
	unset "LOCK_FDS[$1]"
	unset "PHYR_HOLDS_${1//[^a-zA-Z0-9]/_}_LOCK"
}

# lock_unless_held NAME: take the lock NAME unless a parent process holds it for us
lock_unless_held() {
	local v="PHYR_HOLDS_${1//[^a-zA-Z0-9]/_}_LOCK"

	[ -n "${!v:-}" ] && kill -0 "${!v}" 2>/dev/null && return 0
	lock "$1"
}

# Ctrl-C (SIGINT to the terminal's foreground group) and TERM end the whole run at
# once: every process this script started (QEMU, make, a guest still booting) is
# killed, deepest first, and the EXIT traps clean up.  Every script calls this.
kill_tree() {
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		kill_tree "$c"
		kill -TERM "$c" 2>/dev/null
	done
}
on_signal() {
	trap - INT TERM
	[ "$PHYR_TOP_PID" != $$ ] || info "interrupted: stopping $(basename "$0") and what it started"
	kill_tree $$
	kill_tree $$
	exit 130
}
trap on_signal INT TERM
# the script the user started: the one that says it was interrupted
export PHYR_TOP_PID=${PHYR_TOP_PID:-$$}

# prepare_all [--no-userspace]: the common first half of demo.sh, test.sh and
# bench.sh: packages, the kernel (its bzImage copied to $RUN/bzImage, so that this
# run boots the kernel built from this checkout whatever other runs build later),
# then the userspace of this checkout.  Takes the kernel lock while it builds, and
# this checkout's userspace lock for the rest of the run (the guest writes test
# logs into the userspace build directory).
prepare_all() {
	bash "$TOP/scripts/deps.sh" || fail "installing packages"
	lock kernel
	bash "$TOP/scripts/kernel.sh" all || fail "kernel build"
	cp "$KBUILD/arch/x86/boot/bzImage" "$RUN/bzImage"
	cp "$KBUILD/.config" "$RUN/kernel.config"
	cp "$KSRC/.phyr-state" "$RUN/kernel.state" 2>/dev/null || true
	unlock kernel
	export VM_KERNEL=$RUN/bzImage
	[ "${1:-}" = --no-userspace ] && return 0
	lock "user-$UKEY"
	bash "$TOP/scripts/userspace.sh" || fail "userspace build"
}

# start_run KIND [--no-userspace]: the first half of every entry script (test.sh,
# demo.sh, bench*.sh, test-*.sh): a new results directory ($RUN), then prepare_all
start_run() {
	T0=$(date +%s)
	new_run "$1"
	info "this run: $RUN"
	shift
	prepare_all "$@"
}

# boot DIR VM_SH_ARGS... -- CMD...: the second half: boot this run's kernel under QEMU
# (scripts/vm.sh, whose environment settings VM_* the caller may set) and run CMD in
# the guest; the console goes to DIR/console.txt.  A guest that did not finish gets
# the console's last lines printed.  Returns vm.sh's exit code, which guest_rc explains.
boot() {
	local dir=$1 rc=0
	shift
	mkdir -p "$dir"
	VM_CONSOLE=$dir/console.txt bash "$TOP/scripts/vm.sh" "$@" || rc=$?
	if [ $rc != 0 ]; then
		echo "---- last lines of the guest console ($dir/console.txt) ----"
		tail -n 40 "$dir/console.txt" 2>/dev/null
		echo "----"
	fi >&2
	return $rc
}

# guest_rc RC: what vm.sh's exit code RC says
guest_rc() {
	case $1 in
	124) echo "vm.sh exit 124: the guest hung and was killed" ;;
	125) echo "vm.sh exit 125: a kernel panic or boot failure" ;;
	*) echo "vm.sh exit $1: the guest command exited $1" ;;
	esac
}

# judge [LAYER...]: the results of this run ($RUN) against scripts/expected/, every
# layer or only LAYER... (scripts/results.py); returns its exit code
judge() {
	local layers=${*:-}

	PHYR_LAYERS=$layers python3 "$TOP/scripts/results.py" "$RUN" "$PRISTINE" \
		"$TOP/scripts/expected"
}

# end_run BOOT=RC... JUDGE_RC: the verdict of an entry script: the run's time, then
# a failure for every boot whose guest did not end well (vm.sh's exit code RC) and
# for a failed judgement
end_run() {
	local a bad=0 judged=${*: -1}

	info "results: $RUN; total time $(( $(date +%s) - T0 )) s"
	for a in "${@:1:$#-1}"; do
		[ "${a#*=}" = 0 ] && continue
		printf '%s: FAILED: the %s boot (%s)\n' "$(basename "$0" .sh)" \
			"${a%%=*}" "$(guest_rc "${a#*=}")" >&2
		bad=1
	done
	[ "$judged" = 0 ] || fail "see the failures above"
	[ $bad = 0 ] || exit 1
}

# ksrc_deb: the kernel source .deb to use: $KSRC_DEB, else the newest in $DEBS
ksrc_deb() {
	local d
	if [ -n "${KSRC_DEB:-}" ]; then
		[ -f "$KSRC_DEB" ] || return 1
		echo "$KSRC_DEB"
		return 0
	fi
	d=$(ls "$DEBS/${KSRC_PKG}_"*.deb 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] || return 1
	echo "$d"
}

# The overlay (kernel.sh prepare, series.sh): our kernel files laid onto pristine.
# the files a patch touches, relative to the tree
patch_files() {
	sed -n -e 's|^+++ b/\([^[:space:]]*\).*|\1|p' -e 's|^--- a/\([^[:space:]]*\).*|\1|p' "$1" |
		sort -u
}

# Stage the wanted content of every file we change: the pristine versions of the
# patched files with the series applied, then our own files on top.
stage_tree() {
	local stage=$1 p f rel
	for p in "$TOP"/kernel/patches/*.patch; do
		[ -e "$p" ] || continue
		while IFS= read -r f; do
			[ -f "$stage/$f" ] || [ ! -f "$PRISTINE/$f" ] && continue
			mkdir -p "$(dirname "$stage/$f")"
			cp "$PRISTINE/$f" "$stage/$f"
		done < <(patch_files "$p")
		patch -p1 -s -N --no-backup-if-mismatch -d "$stage" <"$p" >"$LOGDIR/patch.log" 2>&1 ||
			{ cat "$LOGDIR/patch.log" >&2; fail "patch $(basename "$p") does not apply to $(cat "$PRISTINE/.phyr-deb")"; }
	done
	while IFS= read -r rel; do
		mkdir -p "$(dirname "$stage/$rel")"
		cp "$TOP/kernel/$rel" "$stage/$rel"
	done < <(overlay_files)
}

# our own kernel files (new files of the tree), relative to kernel/ and to the tree
overlay_files() {
	(cd "$TOP/kernel" && find . -type f ! -path './patches/*' ! -path './configs/*' -printf '%P\n' | sort)
}

# the pristine source, extracted once from the .deb (kernel.sh prepare, series.sh)
extract_pristine() {
	local deb id
	deb=$(ksrc_deb) || fail "no $KSRC_PKG .deb in $DEBS (run scripts/deps.sh)"
	id=$(basename "$deb")
	[ "$(cat "$PRISTINE/.phyr-deb" 2>/dev/null)" = "$id" ] && return 0
	# a tree extracted by the scripts before they kept the .deb: the same version
	if [ -f "$PRISTINE/.phyr-version" ] && [[ $id == *"_$(cat "$PRISTINE/.phyr-version")_"* ]]; then
		echo "$id" >"$PRISTINE/.phyr-deb"
		return 0
	fi
	step "extracting $id (~30 s)"
	rm -rf "$PRISTINE" "$PRISTINE.tmp"
	mkdir -p "$PRISTINE.tmp"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$KSRC_PKG.tar.xz" |
		tar -xJ --strip-components=1 -C "$PRISTINE.tmp" ||
		fail "extracting the kernel source from $deb failed (disk space? a broken .deb: delete it)"
	echo "$id" >"$PRISTINE.tmp/.phyr-deb"
	mv "$PRISTINE.tmp" "$PRISTINE"
}
