#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""libphyrbuf's ABI check, as libdrm's symbols-check: the shared library
exports exactly the functions of libphyrbuf.map, each with the version node
the map gives it, and phyrbuf.h declares exactly those (the static inline
wrappers of the *_sized() calls aside).  And it imports only other
libraries' public API: no symbol of a private version node (libibverbs'
IBVERBS_PRIVATE_*, its providers' interface) and no run-time lookup
(dlopen/dlsym), which would tie it to one build of a library.  Fails naming
what differs.

    symbols-check.py LIBRARY MAPFILE HEADER NM
"""
import re
import subprocess
import sys

lib, mapfile, header, nm = sys.argv[1:5]
problems = []

# the map: node -> symbols
nodes = {}
text = re.sub(r"/\*.*?\*/", "", open(mapfile).read(), flags=re.S)
for m in re.finditer(r"(PHYRBUF_[0-9.]+)\s*\{(.*?)\}", text, re.S):
    body = m.group(2)
    glob = re.search(r"global:(.*?)(local:|$)", body, re.S)
    names = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*;", glob.group(1) if glob else "")
    nodes[m.group(1)] = set(names)
    if "*" in (glob.group(1) if glob else ""):
        problems.append(f"{mapfile}: node {m.group(1)} exports a wildcard")
mapped = {s: n for n, syms in nodes.items() for s in syms}
if not mapped:
    problems.append(f"{mapfile}: no symbols")

# the library: defined dynamic symbols with their versions
out = subprocess.run([nm, "-D", "--defined-only", "--with-symbol-versions", lib],
                     capture_output=True, text=True, check=True).stdout
exported = {}
for line in out.splitlines():
    parts = line.split()
    if len(parts) < 3:
        continue
    kind, name = parts[1], parts[2]
    if kind == "A" and name in nodes:
        continue    # the version node itself
    if "@" not in name:
        problems.append(f"{lib}: {name} is exported without a version")
        continue
    sym, ver = re.split(r"@+", name, maxsplit=1)
    if kind == "A" and sym == ver:
        continue
    exported[sym] = ver

# what it imports: public symbols only, none looked up at run time
out = subprocess.run([nm, "-D", "--undefined-only", "--with-symbol-versions", lib],
                     capture_output=True, text=True, check=True).stdout
for line in out.splitlines():
    name = line.split()[-1]
    sym, _, ver = name.partition("@")
    ver = ver.lstrip("@")
    if "PRIVATE" in ver:
        problems.append(f"{lib}: imports {sym} of the private version node {ver}")
    if sym in ("dlopen", "dlmopen", "dlsym", "dlvsym"):
        problems.append(f"{lib}: imports {sym}: symbols looked up at run time")

# the header: prototypes of exported functions (not static inline ones)
hdr = re.sub(r"/\*.*?\*/", "", open(header).read(), flags=re.S)
declared = set()
for m in re.finditer(r"^(?!static)[A-Za-z][^;{}()#]*?\b(phyrbuf_[a-z0-9_]+)\s*\(", hdr, re.M):
    declared.add(m.group(1))

for s in sorted(set(exported) - set(mapped)):
    problems.append(f"{s} is exported but not in {mapfile}")
for s in sorted(set(mapped) - set(exported)):
    problems.append(f"{s} is in {mapfile} but not exported (PHYRBUF_EXPORT missing?)")
for s in sorted(set(exported) & set(mapped)):
    if exported[s] != mapped[s]:
        problems.append(f"{s} has version {exported[s]}, the map says {mapped[s]}")
for s in sorted(declared - set(mapped)):
    problems.append(f"{s} is declared in phyrbuf.h but not in {mapfile}")
for s in sorted(set(mapped) - declared):
    problems.append(f"{s} is in {mapfile} but not declared in phyrbuf.h")

for p in problems:
    print("symbols-check: " + p)
if problems:
    sys.exit(1)
print(f"symbols-check: OK: {len(exported)} symbols in "
      f"{', '.join(sorted(nodes))}, declared in phyrbuf.h")
