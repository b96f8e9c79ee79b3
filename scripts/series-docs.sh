#!/usr/bin/env bash
# Build our Documentation/ pages the kernel's way, warnings fatal, without building
# the whole of Documentation/ (~20 min):
#   scripts/series-docs.sh TREE [OUTDIR]
# TREE is a kernel tree with our files (scripts/series.sh passes its series tree).
# 1. kernel-doc -none -Wall on every source file the pages pull in;
# 2. sphinx-build -W of just our pages (kernel/Documentation/**.rst), with the
#    kernel's own kernel-doc Sphinx extension and C domain settings (from the tree's
#    Documentation/conf.py), into OUTDIR (default: a temporary directory).
# Installs Debian's python3-sphinx if sphinx-build is missing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

TREE=$(cd "${1:?usage: $0 TREE [OUTDIR]}" && pwd)
[ -f "$TREE/Documentation/sphinx/kerneldoc.py" ] || fail "$TREE is no kernel tree"
mapfile -t PAGES < <(cd "$TOP/kernel" && find Documentation -name '*.rst' | sort)
[ ${#PAGES[@]} -gt 0 ] || fail "no Documentation pages in kernel/"

if ! [ -x /usr/bin/sphinx-build ]; then
	step "installing python3-sphinx"
	SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO apt-get install -y -q python3-sphinx >"$LOGDIR/apt-sphinx.log" 2>&1 ||
		{ tail -n 20 "$LOGDIR/apt-sphinx.log"; fail "apt-get install python3-sphinx failed"; }
fi

bad=0
# --- 1. kernel-doc on what the pages pull in
mapfile -t SRCS < <(cd "$TOP/kernel" && sed -n 's/^\.\. kernel-doc:: *//p' "${PAGES[@]}" | sort -u)
for f in "${SRCS[@]}"; do
	[ -f "$TREE/$f" ] || { echo "FAIL docs: $f (named by a kernel-doc directive) is not in the tree" >&2; bad=1; continue; }
	out=$(cd "$TREE" && scripts/kernel-doc -none -Wall "$f" 2>&1 || true)
	if [ -n "$out" ]; then echo "$out" >&2; bad=1; fi
done

# --- 2. sphinx-build of our pages alone
src=$(mktemp -d)
out=${2:-$(mktemp -d)}
trap 'rm -rf "$src"; [ -n "${2:-}" ] || rm -rf "$out"' EXIT
for p in "${PAGES[@]}"; do
	mkdir -p "$src/$(dirname "$p")"
	cp "$TOP/kernel/$p" "$src/$p"
done
{
	printf '%s\n\n' "phyr pages" "==========" ".. toctree::" "   :maxdepth: 2" | sed '/^$/d'
	echo
	for p in "${PAGES[@]}"; do echo "   ${p%.rst}"; done
} >"$src/index.rst"
cat >"$src/conf.py" <<EOF
import ast, os, sys
tree = "$TREE"
sys.path.insert(0, os.path.join(tree, "Documentation/sphinx"))
project = "phyr"
master_doc = "index"
extensions = ["kerneldoc", "rstFlatTable", "kernel_include"]
kerneldoc_srctree = tree
primary_domain = "c"
highlight_language = "none"
# the kernel's C domain settings (attributes and macros Sphinx cannot parse)
for node in ast.parse(open(os.path.join(tree, "Documentation/conf.py")).read()).body:
    if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) and \\
       node.targets[0].id in ("c_id_attributes", "c_paren_attributes"):
        globals()[node.targets[0].id] = ast.literal_eval(node.value)
EOF
# cross-references to pages outside this small build (Documentation/...rst in the
# text) are plain text here; everything else must build without a warning
if ! (cd "$src" && srctree=$TREE /usr/bin/sphinx-build -q -W --keep-going -b html . "$out" \
	>"$LOGDIR/sphinx.log" 2>&1); then
	sed 's/^/      /' "$LOGDIR/sphinx.log" >&2
	bad=1
fi
[ $bad = 0 ] || fail "the docs build of ${PAGES[*]} has warnings (above)"
info "PASS docs: ${#PAGES[@]} pages (${PAGES[*]}) and the ${#SRCS[@]} files they pull in, no warning"
