#!/usr/bin/env bash
# Check that the series bisects: build the kernel with the test configuration after
# every patch of it (or of patches FIRST..LAST, numbered as in the mail).
#   scripts/series-bisect.sh [FIRST [LAST]]
#   scripts/series-bisect.sh --estimate
# --estimate builds nothing: for each patch it counts the objects of the last test
# kernel build ($CACHE/build/kernel) that depend on a C file or header the patch
# changes (their .o.cmd dependency lists), i.e. what the build after that patch
# recompiles besides the relink.
# The series is the one scripts/series.sh built last (its commits in $CACHE/series/work).
# Each step checks the commit out in a work tree of its own ($CACHE/series/bisect),
# configures tinyconfig + kernel/configs/*.config (options of later patches are simply
# not there yet; nothing is verified but the build) and builds bzImage with ccache
# into its own build directory ($CACHE/build/series-bisect) at nice 19 (and its
# scheduler autogroup at nice 19), without the
# kernel lock: it shares nothing with scripts/kernel.sh's tree and build directory, and
# a background check must not hold up the builds it runs beside.  The first step builds
# cold (~25 min on 2 idle cores), every later one what the patch changed.  Slow: not part of
# scripts/test.sh.  Prints one line per patch and the time of each build.
set -euo pipefail
# nice alone does not yield to the builds and guests of other sessions: with
# autogroup scheduling each session's group gets an equal share whatever its
# nice.  So run in a session of our own and lower its group (where the kernel
# has autogroups), never the caller's session.
if [ -z "${PHYR_BISECT_SESSION:-}" ] && command -v setsid >/dev/null; then
	PHYR_BISECT_SESSION=1 exec setsid -w bash "$0" "$@"
fi
echo 19 2>/dev/null >/proc/self/autogroup || true
. "$(dirname "$0")/lib.sh"

SDIR=$CACHE/series
BASE=$SDIR/base.git
WORK=$SDIR/work
TREE=$SDIR/bisect
BUILD=$CACHE/build/series-bisect
[ -d "$WORK" ] && git -C "$WORK" rev-parse -q --verify pristine >/dev/null ||
	fail "no series: run scripts/series.sh OUTDIR first"
mapfile -t COMMITS < <(git -C "$WORK" rev-list --reverse pristine..HEAD)
N=${#COMMITS[@]}
[ "$N" -gt 0 ] || fail "the series in $WORK is empty"
if [ "${1:-}" = --estimate ]; then
	SHARED=$CACHE/build/kernel
	[ -d "$SHARED" ] || fail "no test kernel build in $SHARED (run scripts/kernel.sh)"
	cmds=$(mktemp)
	pats=$(mktemp)
	trap 'rm -f "$cmds" "$pats"' EXIT
	(cd "$SHARED" && find . -path ./.tmp\* -prune -o -name '*.o.cmd' -print) >"$cmds"
	total=0
	for ((i = 1; i <= N; i++)); do
		c=${COMMITS[i - 1]}
		git -C "$WORK" diff --name-only "$c~1" "$c" | grep -E '\.(c|h)$' | sed "s|^|$KSRC/|" >"$pats" || true
		n=0
		[ ! -s "$pats" ] || n=$(cd "$SHARED" && { xargs -a "$cmds" grep -lF -f "$pats" || true; } | wc -l)
		[ "$i" = 1 ] || total=$((total + n))
		printf '%02d/%02d %5d objects  %s\n' "$i" "$N" "$n" "$(git -C "$WORK" log -1 --format=%s "$c")"
	done
	info "patches 2..$N recompile $total objects in all (a whole build: $(wc -l <"$cmds"); the first build is a whole one)"
	exit 0
fi
FIRST=${1:-1}
LAST=${2:-$N}
[[ $FIRST =~ ^[0-9]+$ && $LAST =~ ^[0-9]+$ ]] && [ "$FIRST" -ge 1 ] && [ "$LAST" -le "$N" ] &&
	[ "$FIRST" -le "$LAST" ] || fail "usage: $0 [FIRST [LAST]] with 1 <= FIRST <= LAST <= $N"

lock series-bisect
if ! [ -e "$TREE/.git" ]; then
	git -C "$BASE" worktree prune
	git -C "$BASE" worktree add -q --detach "$TREE" pristine
fi
mkdir -p "$BUILD"
frags=("$TOP"/kernel/configs/*.config)
kmake() {
	# niced: a check in the background, on cores that others build and boot on
	nice -n 19 make -C "$TREE" O="$BUILD" ARCH=x86_64 CC="ccache gcc" -j"$(nproc)" "$@"
}

configure() {
	kmake -s tinyconfig &&
	(cd "$BUILD" && ARCH=x86_64 "$TREE/scripts/kconfig/merge_config.sh" -m -O "$BUILD" \
		"$BUILD/.config" "${frags[@]}") &&
	kmake -s olddefconfig
}

T0=$(date +%s)
failed=0
for ((i = FIRST; i <= LAST; i++)); do
	c=${COMMITS[i - 1]}
	subj=$(git -C "$WORK" log -1 --format=%s "$c")
	# only the files that differ are rewritten: make rebuilds what the patch changed
	git -C "$TREE" checkout -q -f --detach "$c"
	t=$(date +%s)
	log=$LOGDIR/bisect-$(printf '%02d' "$i").log
	# reconfigure when a Kconfig file or a fragment changed since the last step
	cid=$( { cat "${frags[@]}"; git -C "$TREE" ls-files -s -- '*Kconfig*'; } | sha1sum)
	if [ -f "$BUILD/.config" ] && [ "$(cat "$BUILD/.phyr-config" 2>/dev/null)" = "$cid" ]; then
		config=:
	else
		config=configure
	fi
	if { $config && kmake bzImage; } >"$log" 2>&1; then
		echo "$cid" >"$BUILD/.phyr-config"
		r=ok
	else
		r=FAILED
		failed=$((failed + 1))
	fi
	printf '%s %02d/%02d %4d s %4d files compiled  %s\n' "$r" "$i" "$N" "$(( $(date +%s) - t ))" \
		"$(grep -c '^  CC' "$log" || true)" "$subj"
	[ $r = ok ] || grep -E 'error|Error' "$log" | head -n 10 | sed 's/^/      /'
done
info "built patches $FIRST..$LAST of $N in $(( $(date +%s) - T0 )) s; logs: $LOGDIR/bisect-*.log"
[ $failed = 0 ] || fail "$failed of the patches $FIRST..$LAST do not build"
