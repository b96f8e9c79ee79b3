#!/usr/bin/env bash
# Style layer: checkpatch --strict and kernel-doc on our kernel files and patches.
# Writes one "PASS|FAIL <file>" line per file to $1 (the details to $1.log).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

out=${1:?usage: lint.sh OUTFILE}
cp=$PRISTINE/scripts/checkpatch.pl
kd=$PRISTINE/scripts/kernel-doc
[ -f "$cp" ] || fail "no kernel tree at $KSRC (run scripts/kernel.sh prepare)"
: >"$out"
: >"$out.log"
cd "$TOP" || exit 1
while IFS= read -r f; do
	msg=$(perl "$cp" --no-tree --strict --terse --show-types -f "$f" 2>&1 | grep -E 'ERROR|WARNING|CHECK')
	doc=$("$kd" -none -Wall "$f" 2>&1)
	if [ -z "$msg$doc" ]; then
		echo "PASS $f" >>"$out"
	else
		echo "FAIL $f" >>"$out"
		printf '%s\n%s\n' "$msg" "$doc" | sed '/^$/d' >>"$out.log"
	fi
done < <(find kernel -type f \( -name '*.c' -o -name '*.h' \) ! -path 'kernel/patches/*' | sort)
# patches are checked as a maintainer gets them, outside this git checkout: inside it,
# checkpatch reads the whole file rather than the mail (it flags blank context lines)
mail=$(mktemp -d)
trap 'rm -rf "$mail"' EXIT
for p in kernel/patches/*.patch; do
	[ -e "$p" ] || continue
	cp "$p" "$mail/"
	# (without the kernel's git history here, checkpatch cannot look up the
	# commit of a Fixes: tag: UNKNOWN_COMMIT_ID would flag every one)
	msg=$(cd "$mail" && perl "$cp" --no-tree --strict --terse --ignore UNKNOWN_COMMIT_ID \
	      "$(basename "$p")" 2>&1 |
	      grep -E 'ERROR|WARNING|CHECK' | sed "s|^|$p: |")
	if [ -z "$msg" ]; then echo "PASS $p" >>"$out"; else
		echo "FAIL $p" >>"$out"; echo "$msg" >>"$out.log"; fi
done
