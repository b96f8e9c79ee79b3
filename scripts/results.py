#!/usr/bin/env python3
"""Summarise one test run: KUnit (from the guest's kernel log), userspace (meson test),
IGT and the dmesg gate.  Prints one line per layer and a final 'N passed, N failed' line;
exits 1 on any failure.   results.py RESULTS_DIR KERNEL_SRC OUR_KERNEL_DIR"""
import glob
import json
import os
import re
import subprocess
import sys

res, ksrc, ours = sys.argv[1:4]
total = {"passed": 0, "failed": 0, "skipped": 0}
problems = []


def layer(name, p, f, s=0, extra=""):
    total["passed"] += p
    total["failed"] += f
    total["skipped"] += s
    line = f"{name}: {p} passed, {f} failed"
    if s:
        line += f", {s} skipped"
    print(line + (f" ({extra})" if extra else ""))


def read(path):
    try:
        with open(path, errors="replace") as fh:
            return fh.read()
    except OSError:
        return None


# --- KUnit: kunit.py parse of the guest's kernel log -----------------------------------
def our_suites():
    names = set()
    for path in glob.glob(os.path.join(ours, "**", "*.c"), recursive=True):
        text = read(path) or ""
        if "kunit_test_suite" not in text:
            continue
        for m in re.finditer(r"struct kunit_suite\s+\w+\s*=\s*\{[^}]*?\.name\s*=\s*\"([^\"]+)\"",
                             text, re.S):
            names.add(m.group(1))
    return names


def kunit(d=res, name="kunit"):
    log = os.path.join(d, "dmesg.txt")
    if read(log) is None:
        layer(name, 0, 1, extra="no kernel log from the guest")
        problems.append(f"{name}: no kernel log")
        return
    out = os.path.join(d, "kunit.json")
    tool = os.path.join(ksrc, "tools", "testing", "kunit", "kunit.py")
    proc = subprocess.run([sys.executable, tool, "parse", "--json=" + out, log],
                          capture_output=True, text=True)
    with open(os.path.join(d, "kunit.txt"), "w") as fh:
        fh.write(proc.stdout + proc.stderr)
    data = None
    try:
        with open(out) as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        pass
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    seen = set()

    def walk(group, top):
        for case in group.get("test_cases", []):
            st = case.get("status", "FAIL")
            counts["PASS" if st == "PASS" else "SKIP" if st == "SKIP" else "FAIL"] += 1
            if st not in ("PASS", "SKIP"):
                problems.append(f"{name}: {group.get('name')}.{case.get('name')} {st}")
        for sub in group.get("sub_groups", []):
            if top:
                seen.add(sub.get("name"))
            walk(sub, False)

    if data:
        walk(data, True)
    missing = sorted(our_suites() - seen)
    for suite in missing:
        problems.append(f"{name}: suite {suite} did not report")
    failed = counts["FAIL"] + len(missing)
    if not data:
        failed += 1
        problems.append(f"{name}: no KTAP output parsed")
    layer(name, counts["PASS"], failed, counts["SKIP"],
          f"{len(seen)} suites" + (f", missing: {' '.join(missing)}" if missing else ""))


# --- userspace: meson test's testlog.json ---------------------------------------------
def userspace():
    path = os.path.join(res, "meson-testlog.json")
    text = read(path)
    if text is None:
        rc = read(os.path.join(res, "meson.rc"))
        layer("userspace", 0, 1, extra="meson test did not run" if rc is None else "no test log")
        problems.append("userspace: meson test produced no log")
        return
    p = f = s = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        t = json.loads(line)
        r = t.get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            p += 1
        elif r == "SKIP":
            s += 1
        else:
            f += 1
            problems.append(f"userspace: {t.get('name')} {r}")
    layer("userspace", p, f, s)


# --- IGT: 'Subtest NAME: RESULT' lines of every binary ---------------------------------
def igt():
    p = f = s = 0
    bins = sorted(glob.glob(os.path.join(res, "igt-*.txt")))
    for path in bins:
        name = os.path.basename(path)[4:-4]
        text = read(path) or ""
        rc = (read(path[:-4] + ".rc") or "").strip()
        n = 0
        for m in re.finditer(r"^Subtest (\S+): (SUCCESS|FAIL|SKIP|CRASH|TIMEOUT)", text, re.M):
            n += 1
            if m.group(2) == "SUCCESS":
                p += 1
            elif m.group(2) == "SKIP":
                s += 1
            else:
                f += 1
                problems.append(f"igt: {name}@{m.group(1)} {m.group(2)}")
        if rc not in ("0", "77") and not any(x.startswith(f"igt: {name}@") for x in problems):
            f += 1
            problems.append(f"igt: {name} exited {rc or 'without a code'}")
        elif n == 0:
            f += 1
            problems.append(f"igt: {name} ran no subtest")
    if not bins:
        f += 1
        problems.append("igt: no IGT binary ran")
    layer("igt", p, f, s, f"{len(bins)} binaries")


# --- dmesg gate -------------------------------------------------------------------------
GATE = re.compile(r"WARNING:|BUG:|Oops|kernel BUG at|UBSAN:|KASAN:|general protection fault|"
                  r"Kernel panic|possible circular locking|possible recursive locking|"
                  r"inconsistent lock state|DEBUG_LOCKS_WARN_ON|suspicious RCU usage|"
                  r"INFO: task .* blocked for more than|soft lockup|rcu: INFO:|"
                  r"self-detected stall|kmemleak: .*suspected memory leak|DMA-API: .*\[")


def dmesg(d=res, name="dmesg"):
    p = f = 0
    text = read(os.path.join(d, "dmesg.txt"))
    if text is None:
        f += 1
        problems.append(f"{name}: no kernel log from the guest")
    else:
        hits = [i for i, l in enumerate(text.splitlines()) if GATE.search(l)]
        if hits:
            f += 1
            lines = text.splitlines()
            first = hits[0]
            problems.append(f"{name}: {len(hits)} report line(s), first: {lines[first].strip()}")
            print("---- dmesg gate: kernel reports ----", file=sys.stderr)
            for l in lines[max(0, first - 2):first + 40]:
                print("  " + l, file=sys.stderr)
            print("----", file=sys.stderr)
        else:
            p += 1
    leak = read(os.path.join(d, "kmemleak.txt"))
    if leak is None:
        f += 1
        problems.append(f"{name}: kmemleak report missing")
    elif leak.strip():
        f += 1
        problems.append(f"{name}: kmemleak found unreferenced objects")
        print("---- kmemleak ----\n" + leak[:6000] + "\n----", file=sys.stderr)
    else:
        p += 1
    layer(name, p, f, extra="warning/bug/kasan/lockdep/ubsan gate, kmemleak")


def lint():
    text = read(os.path.join(res, "lint.txt"))
    if text is None:
        layer("style", 0, 1, extra="lint did not run")
        problems.append("style: lint did not run")
        return
    p = f = 0
    for line in text.splitlines():
        if line.startswith("PASS "):
            p += 1
        elif line.startswith("FAIL "):
            f += 1
            problems.append(f"style: {line[5:]} (checkpatch/kernel-doc, see lint.txt.log)")
    layer("style", p, f, extra="checkpatch --strict, kernel-doc")
    log = read(os.path.join(res, "lint.txt.log"))
    if f and log:
        print(log.rstrip(), file=sys.stderr)


lint()
kunit()
userspace()
igt()
dmesg()
if os.path.isdir(os.path.join(res, "switch")):
    kunit(os.path.join(res, "switch"), "kunit-switch")
    dmesg(os.path.join(res, "switch"), "dmesg-switch")
for prob in problems:
    print("  " + prob)
line = f"{total['passed']} passed, {total['failed']} failed"
if total["skipped"]:
    line += f", {total['skipped']} skipped"
print(line)
sys.exit(1 if total["failed"] else 0)
