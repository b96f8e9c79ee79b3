#!/usr/bin/env bash
# Make the mailable patch series of our kernel work against pristine 7.3.
#   scripts/series.sh OUTDIR
# kernel/patches/series.conf says which patches of kernel/patches/, in which order,
# make the series, and which of our new files (kernel/...) land with each: every
# patch and every new file exactly once, fixes of upstream first (each with Fixes:).
# On a git tree of the pristine source (made once, in $CACHE/series/base.git) each
# step is applied and committed with the user's own git identity; OUTDIR gets
# `git format-patch --cover-letter --thread -n` of it, the cover letter filled in from
# kernel/patches/cover-letter.txt.  Then it checks, and fails if any check fails:
#   1. the series' tree is the tree scripts/kernel.sh overlays (every file we change
#      has the overlay's content, and no other file differs from pristine);
#   2. `git am` of OUTDIR onto pristine gives that same tree;
#   3. checkpatch --strict passes every patch as mailed;
#   4. our Documentation pages build without a warning (scripts/series-docs.sh).
# docs/series.md says more.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { fail "usage: $0 OUTDIR"; }
[ $# = 1 ] || usage
OUT=$1
CONF=$TOP/kernel/patches/series.conf
COVER=$TOP/kernel/patches/cover-letter.txt
SDIR=$CACHE/series
BASE=$SDIR/base.git
WORK=$SDIR/work	# the series is built here
AMWT=$SDIR/am	# and git am'ed here
T0=$(date +%s)

NAME=$(git -C "$TOP" config user.name || true)
EMAIL=$(git -C "$TOP" config user.email || true)
[ -n "$NAME" ] && [ -n "$EMAIL" ] ||
	fail "no git identity: set git config user.name and user.email (the series' author and Signed-off-by)"
export GIT_AUTHOR_NAME=$NAME GIT_AUTHOR_EMAIL=$EMAIL GIT_COMMITTER_NAME=$NAME GIT_COMMITTER_EMAIL=$EMAIL
command -v git >/dev/null && command -v patch >/dev/null && command -v perl >/dev/null ||
	fail "git, patch and perl are needed (scripts/deps.sh installs them)"

mkdir -p "$OUT" "$SDIR"
OUT=$(cd "$OUT" && pwd)
if find "$OUT" -mindepth 1 ! -name '*.patch' | grep -q .; then
	fail "$OUT holds other files than patches: give an empty or a series directory"
fi
lock series

# --- the manifest
declare -a KIND=() PATCHES=() FILES=() MSG=() SPECS=() NOFIXES=()
n=-1
ln=0
while IFS= read -r line || [ -n "$line" ]; do
	ln=$((ln + 1))
	line=${line%%#*}
	[[ $line =~ [^[:space:]] ]] || continue
	read -r -a w <<<"$line"
	case "$line" in
	fix[[:space:]]*|feature[[:space:]]*)
		n=$((n + 1))
		KIND[n]=${w[0]}
		PATCHES[n]=""
		SPECS[n]=""
		MSG[n]=""
		NOFIXES[n]=""
		for num in "${w[@]:1}"; do
			# a number, or a number and the start of the name where two share it
			[[ $num =~ ^[0-9]{4}(-[A-Za-z0-9_-]+)?$ ]] ||
				fail "series.conf:$ln: '$num' is not a patch number"
			m=("$TOP"/kernel/patches/"$num"-*.patch)
			[ ${#m[@]} = 1 ] && [ -f "${m[0]}" ] ||
				fail "series.conf:$ln: ${#m[@]} patches numbered $num in kernel/patches/ (want one)"
			PATCHES[n]+="${m[0]} "
		done
		[ -n "${PATCHES[n]}" ] || fail "series.conf:$ln: a step without a patch"
		;;
	[[:space:]]*)
		[ $n -ge 0 ] || fail "series.conf:$ln: files before the first step"
		if [ "${w[0]}" = message ]; then
			[ -f "$TOP/kernel/patches/series/${w[1]:-}" ] ||
				fail "series.conf:$ln: no message file kernel/patches/series/${w[1]:-}"
			MSG[n]=$TOP/kernel/patches/series/${w[1]}
		elif [ "${w[0]}" = no-fixes ]; then
			NOFIXES[n]=${w[*]:1}
			[ -n "${NOFIXES[n]}" ] || fail "series.conf:$ln: no-fixes needs the reason"
		else
			SPECS[n]+="${w[*]} "
		fi
		;;
	*) fail "series.conf:$ln: not a step (fix|feature NNNN...) nor an indented file list" ;;
	esac
done <"$CONF"
STEPS=$((n + 1))
[ $STEPS -gt 0 ] || fail "series.conf lists no step"

# every patch once
mapfile -t ALLP < <(ls "$TOP"/kernel/patches/*.patch)
for p in "${ALLP[@]}"; do
	c=$(printf '%s\n' "${PATCHES[@]}" | tr ' ' '\n' | grep -cxF "$p" || true)
	[ "$c" = 1 ] || fail "kernel/patches/$(basename "$p") is in series.conf $c times (want once)"
done
# every new file once: expand the specs (a file, DIR/, or a glob) against our files
mapfile -t OVL < <(overlay_files)
declare -A OWNER=()
for ((i = 0; i < STEPS; i++)); do
	FILES[i]=""
	for s in ${SPECS[i]}; do
		hit=0
		for f in "${OVL[@]}"; do
			# shellcheck disable=SC2053  # the spec is a pattern
			if [ "$f" = "$s" ] || [[ $s == */ && $f == "$s"* ]] || [[ $f == $s ]]; then
				[ -z "${OWNER[$f]:-}" ] ||
					fail "kernel/$f lands in two steps of series.conf (${OWNER[$f]} and $((i + 1)))"
				OWNER[$f]=$((i + 1))
				FILES[i]+="$f "
				hit=1
			fi
		done
		[ $hit = 1 ] || fail "series.conf: '$s' is none of our files (kernel/...)"
	done
done
missing=()
for f in "${OVL[@]}"; do [ -n "${OWNER[$f]:-}" ] || missing+=("kernel/$f"); done
[ ${#missing[@]} = 0 ] ||
	fail "new files that series.conf does not place in any step (add them to the step of the patch that builds them): ${missing[*]}"
# fixes first, each with Fixes:
seen_feature=0
for ((i = 0; i < STEPS; i++)); do
	first=${PATCHES[i]%% *}
	if [ "${KIND[i]}" = fix ]; then
		[ $seen_feature = 0 ] || fail "series.conf: the fix $(basename "$first") comes after a feature (fixes first)"
		if grep -q '^Fixes: [0-9a-f]\{12,\} ("' "$first"; then
			[ -z "${NOFIXES[i]}" ] || fail "series.conf: $(basename "$first") has a Fixes: tag and a no-fixes line"
		elif [ -n "${NOFIXES[i]}" ]; then
			info "note: the fix $(basename "$first") has no Fixes: tag: ${NOFIXES[i]}"
		else
			fail "$(basename "$first") is listed as a fix but has no Fixes: tag (or a no-fixes line saying why)"
		fi
	else
		seen_feature=1
	fi
done

# --- the pristine source, and a git tree of it (made once per source package)
if [ "$(cat "$PRISTINE/.phyr-deb" 2>/dev/null)" != "$(basename "$(ksrc_deb 2>/dev/null || echo none)")" ]; then
	lock kernel
	extract_pristine
	unlock kernel
fi
ID=$(cat "$PRISTINE/.phyr-deb")
g() { git -C "$WORK" "$@"; }
if [ "$(cat "$BASE/phyr-deb" 2>/dev/null)" != "$ID" ]; then
	step "making a git tree of pristine $ID (once: ~2 min)"
	rm -rf "$BASE" "$WORK" "$AMWT"
	git init -q --bare "$BASE"
	git -C "$BASE" config gc.auto 0
	# the index of ~80000 files: version 4 and the untracked cache
	git -C "$BASE" config feature.manyFiles true
	idx=$(mktemp "$SDIR/index.XXXXXX")
	rm -f "$idx"
	# -f: the source package ships files that the tree's .gitignore names
	GIT_DIR=$BASE GIT_WORK_TREE=$PRISTINE GIT_INDEX_FILE=$idx git add -A -f -- . ':!.phyr-*'
	tree=$(GIT_DIR=$BASE GIT_INDEX_FILE=$idx git write-tree)
	rm -f "$idx"
	ver=$(sed -n 's/^[^_]*_\([^_]*\)_.*/\1/p' <<<"$ID")
	commit=$(GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' GIT_COMMITTER_DATE='2026-01-01T00:00:00Z' \
		GIT_DIR=$BASE git commit-tree "$tree" -m "Linux 7.3 ($KSRC_PKG $ver)" -m "Debian's $ID, as extracted.")
	git -C "$BASE" update-ref refs/tags/pristine "$commit"
	echo "$ID" >"$BASE/phyr-deb"
fi
# a work tree at pristine: made once, then reset (only what changed is rewritten)
worktree_at_pristine() {
	if [ -d "$1/.git" ] || [ -f "$1/.git" ]; then
		git -C "$1" am --abort >/dev/null 2>&1 || true
		git -C "$1" checkout -q -f --detach pristine
		git -C "$1" clean -q -f -d -x
	else
		rm -rf "$1"
		git -C "$BASE" worktree prune
		git -C "$BASE" worktree add -q --detach "$1" pristine
	fi
}

# the commit message of a step: the message file, or the first patch's subject and
# body; the patches' Signed-off-by lines give way to the user's (git commit -s)
message_of() {
	if [ -n "$2" ]; then
		cat "$2"
		return
	fi
	awk '
		BEGIN { hdr = 1 }
		hdr && /^Subject:/ { sub(/^Subject:[ \t]*/, ""); subj = $0; insub = 1; next }
		hdr && insub && /^[ \t]/ { sub(/^[ \t]+/, " "); subj = subj $0; next }
		hdr { insub = 0 }
		hdr && /^$/ { if (subj != "") hdr = 0; next }
		hdr { next }
		/^---$/ { exit }
		/^Signed-off-by:/ { next }
		{ body[++nb] = $0 }
		END {
			sub(/^\[PATCH[^]]*\][ \t]*/, "", subj)
			print subj; print ""
			while (nb > 0 && body[nb] == "") nb--
			s = 1; while (s <= nb && body[s] == "") s++
			for (i = s; i <= nb; i++) print body[i]
		}' "$1"
}

# --- build the series
info "manifest checked: $(( $(date +%s) - T0 )) s"
step "building the series: $STEPS patches from $(basename "$CONF")"
worktree_at_pristine "$WORK"
date0=$(git -C "$TOP" log -1 --format=%ct)
: >"$LOGDIR/series-apply.log"
declare -a UNCOVERED=()
for ((i = 0; i < STEPS; i++)); do
	for p in ${PATCHES[i]}; do
		echo "== $(basename "$p")" >>"$LOGDIR/series-apply.log"
		patch -p1 -N --no-backup-if-mismatch -d "$WORK" <"$p" >>"$LOGDIR/series-apply.log" 2>&1 ||
			{ tail -20 "$LOGDIR/series-apply.log" >&2
			  fail "step $((i + 1)): $(basename "$p") does not apply after the steps before it (order in series.conf?)"; }
	done
	for f in ${FILES[i]}; do
		mkdir -p "$(dirname "$WORK/$f")"
		cp "$TOP/kernel/$f" "$WORK/$f"
	done
	# only what the step touches (git add -A would stat the whole tree)
	{ for p in ${PATCHES[i]}; do patch_files "$p"; done; printf '%s\n' ${FILES[i]}; } | grep -v '^$' | sort -u >"$SDIR/paths"
	g add -A -f --pathspec-from-file="$SDIR/paths"
	message_of "${PATCHES[i]%% *}" "${MSG[i]}" >"$SDIR/msg"
	d="@$((date0 + i)) +0000"
	GIT_AUTHOR_DATE=$d GIT_COMMITTER_DATE=$d g commit -q -s --allow-empty-message -F "$SDIR/msg" ||
		fail "step $((i + 1)) ($(basename "${PATCHES[i]%% *}")) changes nothing"
	[ -z "$(g status --porcelain | head -n 1)" ] ||
		fail "step $((i + 1)): files changed that its patches do not name: $(g status --porcelain | head -n 5 | tr '\n' ' ')"
	# a new file no MAINTAINERS section but THE REST covers needs an entry in its step
	UNCOVERED[i]=""
	for f in $(g diff --name-only --diff-filter=A HEAD~1 HEAD); do
		secs=$(cd "$WORK" && perl scripts/get_maintainer.pl --no-git --no-git-fallback --sections -f "$f" 2>/dev/null |
			grep -vE '^[A-Z]:|^$|^THE REST$' || true)
		[ -n "$secs" ] || UNCOVERED[i]+="$f "
	done
done
if grep -q 'with fuzz' "$LOGDIR/series-apply.log"; then
	info "applied with fuzz (the checks below catch a hunk in the wrong place):"
	grep -B3 'with fuzz' "$LOGDIR/series-apply.log" | grep -E '^==|fuzz' | sed 's/^/      /' >&2
fi

info "built: $(( $(date +%s) - T0 )) s"
# --- format-patch, and the cover letter
rm -f "$OUT"/*.patch
g format-patch -q --cover-letter --thread -n -o "$OUT" pristine..HEAD
cover=$OUT/0000-cover-letter.patch
[ -f "$cover" ] || fail "git format-patch wrote no cover letter"
[ -f "$COVER" ] || fail "no cover letter template kernel/patches/cover-letter.txt"
ver=$(sed -n 's/^[^_]*_\([^_]*\)_.*/\1/p' <<<"$ID")
SUBJ=$(head -n 1 "$COVER") BLURB=$(tail -n +3 "$COVER" | sed -e "s|@KSRC@|$KSRC_PKG $ver|g" -e "s|@N@|$STEPS|g") \
	perl -0pi -e 's/\*\*\* SUBJECT HERE \*\*\*/$ENV{SUBJ}/; s/\*\*\* BLURB HERE \*\*\*/$ENV{BLURB}/' "$cover"
grep -q '\*\*\*' "$cover" && fail "the cover letter still has a placeholder"
info "wrote $STEPS patches and the cover letter to $OUT"

bad=0
# --- check 1: the series' tree is the overlay of scripts/kernel.sh
stage=$(mktemp -d "$SDIR/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
stage_tree "$stage"
mapfile -t want < <(cd "$stage" && find . -type f -printf '%P\n' | sort)
mapfile -t have < <(g diff --name-only pristine HEAD | sort)
diffs=$(comm -3 <(printf '%s\n' "${want[@]}") <(printf '%s\n' "${have[@]}"))
for f in "${want[@]}"; do
	cmp -s "$stage/$f" "$WORK/$f" || diffs+=$'\n'"content: $f"
done
if [ -n "${diffs//[[:space:]]/}" ]; then
	printf '%s\n' "$diffs" | sed '/^$/d; s/^/      /' >&2
	echo "FAIL overlay: the series' tree is not the overlaid tree (above: files only one of them changes, or that differ)" >&2
	bad=1
else
	info "PASS overlay: the series' tree is the overlaid tree (${#want[@]} files changed from pristine, same content)"
fi

# --- check 2: git am of the mail onto pristine gives the same tree
worktree_at_pristine "$AMWT"
mapfile -t MAILED < <(ls "$OUT"/[0-9][0-9][0-9][0-9]-*.patch | grep -v '/0000-cover-letter\.patch$')
if GIT_COMMITTER_DATE="@$date0 +0000" git -C "$AMWT" am -q "${MAILED[@]}" \
	>"$LOGDIR/series-am.log" 2>&1 &&
   [ "$(git -C "$AMWT" rev-parse 'HEAD^{tree}')" = "$(g rev-parse 'HEAD^{tree}')" ]; then
	info "PASS git am: the $STEPS patches apply to pristine and give the same tree"
else
	tail -20 "$LOGDIR/series-am.log" >&2
	echo "FAIL git am: the series does not apply to pristine, or gives another tree" >&2
	bad=1
fi

# --- check 3: checkpatch --strict of every patch as mailed (outside any git tree:
# the Fixes: commits are upstream's, which this tree has not; FILE_PATH_CHANGES is
# accepted where a MAINTAINERS section other than THE REST covers every new file)
mail=$(mktemp -d)
trap 'rm -rf "$stage" "$mail"' EXIT
: >"$LOGDIR/series-checkpatch.log"
cbad=0
for ((i = 0; i < STEPS; i++)); do
	p=$(ls "$OUT"/"$(printf '%04d' $((i + 1)))"-*.patch)
	cp "$p" "$mail/"
	ign=UNKNOWN_COMMIT_ID
	[ -n "${UNCOVERED[i]}" ] || ign+=,FILE_PATH_CHANGES
	msg=$(cd "$mail" && perl "$PRISTINE/scripts/checkpatch.pl" --no-tree --strict --terse --show-types \
		--ignore "$ign" "$(basename "$p")" 2>&1 | grep -E 'ERROR|WARNING|CHECK' || true)
	if [ -n "$msg" ]; then
		echo "$msg" >>"$LOGDIR/series-checkpatch.log"
		[ -z "${UNCOVERED[i]}" ] || echo "    (no MAINTAINERS section for: ${UNCOVERED[i]})" >>"$LOGDIR/series-checkpatch.log"
		cbad=$((cbad + 1))
	fi
done
if [ $cbad = 0 ]; then
	info "PASS checkpatch --strict: all $STEPS patches"
else
	sed 's/^/      /' "$LOGDIR/series-checkpatch.log" >&2
	echo "FAIL checkpatch --strict: $cbad of $STEPS patches (above; $LOGDIR/series-checkpatch.log)" >&2
	bad=1
fi

# --- check 4: the docs build of our Documentation pages on the series' tree
bash "$TOP/scripts/series-docs.sh" "$WORK" || bad=1

[ $bad = 0 ] || fail "the series in $OUT did not pass its checks (above)"
info "series: $STEPS patches + cover letter in $OUT, all checks passed, $(( $(date +%s) - T0 )) s"
