#!/usr/bin/env python3
"""Judge one test run against what must run (scripts/expected/*.txt).

    results.py RESULTS_DIR KERNEL_SRC EXPECTED_DIR

RESULTS_DIR holds the first boot's results, and one subdirectory per further boot
(switch/); KERNEL_SRC is a kernel tree (for tools/testing/kunit/kunit.py).  Prints one
line per layer and boot, the problems, and a final 'N passed, N failed' line; exits 1
on any failure.

Every layer of a boot is compared with its expected list: a test that is listed but
did not report, a test that reported but is not listed, a failure, and a skip that
is not listed as expected all fail the run with the test's name.  An expected skip
that ran and passed fails too (the list would no longer say what the run tests).

Expected lists: one file per layer, one test per line, '#' starts a comment:
    BOOT NAME [skip: REASON]
BOOT is the boot the line is for (root, switch) or '*' for every boot in which the
layer runs; a line for one boot overrides a '*' line of the same name.  NAME '*' lets a
layer that checks its own completeness (a harness's plan line, reported as a test)
pass tests the list does not name; a failure or an unlisted skip still fails.  Layers other
than the built-in ones (kunit, userspace, igt) report in the boot's directory as
results-LAYER.txt, a line per test: 'PASS NAME', 'FAIL NAME [why]', 'SKIP NAME [why]'.
"""
import glob
import json
import os
import re
import subprocess
import sys

res, ksrc, expdir = sys.argv[1:4]
BOOTS = [("root", res)] + [(os.path.basename(d), d) for d in
                           sorted(glob.glob(os.path.join(res, "*")))
                           if os.path.isdir(d) and os.path.exists(os.path.join(d, "boot"))]
total = {"passed": 0, "failed": 0, "skipped": 0}
problems = []


def read(path):
    try:
        with open(path, errors="replace") as fh:
            return fh.read()
    except OSError:
        return None


def load_expected(layer):
    """{boot: {name: skip_reason or None}}, with '*' lines copied into every boot."""
    text = read(os.path.join(expdir, layer + ".txt"))
    if text is None:
        return None
    star, per = {}, {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.match(r"(\S+)\s+(\S+)(?:\s+skip:\s*(.*))?$", line)
        if not m:
            problems.append(f"{layer}.txt:{n}: cannot parse '{line}'")
            continue
        boot, name, skip = m.group(1), m.group(2), m.group(3)
        (star if boot == "*" else per.setdefault(boot, {}))[name] = skip
    return star, per


def judge(layer, boot, results, note=""):
    """Compare {name: (status, detail)} with the expected list of layer in boot."""
    exp = load_expected(layer)
    name = layer if boot == "root" else f"{layer}-{boot}"
    p = f = s = 0
    if exp is None:
        problems.append(f"{name}: no expected list scripts/expected/{layer}.txt")
        f += 1
        want = {}
    else:
        star, per = exp
        want = dict(star)
        want.update(per.get(boot, {}))
    # NAME '*': a layer that counts its tests itself (a harness's plan line) accepts
    # tests it does not list, if they pass
    anyname = want.pop("*", "none") != "none"
    for test, skip in sorted(want.items()):
        if test not in results:
            problems.append(f"{name}: {test} did not run (expected"
                            f"{' to skip: ' + skip if skip else ''})")
            f += 1
            continue
        st, detail = results[test]
        if st == "PASS" and skip is None:
            p += 1
        elif st == "SKIP" and skip is not None:
            s += 1
        elif st == "SKIP":
            problems.append(f"{name}: {test} skipped, which is not expected"
                            f"{': ' + detail if detail else ''}")
            f += 1
        elif st == "PASS":
            problems.append(f"{name}: {test} passed but is listed as an expected skip"
                            f" ({skip}): update scripts/expected/{layer}.txt")
            f += 1
        else:
            problems.append(f"{name}: {test} {st}{': ' + detail if detail else ''}")
            f += 1
    for test in sorted(set(results) - set(want)):
        if anyname and results[test][0] == "PASS":
            p += 1
            continue
        problems.append(f"{name}: {test} reported {results[test][0]} but is not in "
                        f"scripts/expected/{layer}.txt")
        f += 1
    layer_line(name, p, f, s, note)


def layer_line(name, p, f, s=0, extra=""):
    total["passed"] += p
    total["failed"] += f
    total["skipped"] += s
    line = f"{name}: {p} passed, {f} failed"
    if s:
        line += f", {s} skipped as expected"
    print(line + (f" ({extra})" if extra else ""))


# --- KUnit: kunit.py parse of the boot's kernel log --------------------------------------
def kunit(boot, d, layer="kunit"):
    results = {}
    log = os.path.join(d, "dmesg.txt")
    if read(log) is None:
        problems.append(f"kunit ({boot}): no kernel log from the guest")
    else:
        out = os.path.join(d, "kunit.json")
        tool = os.path.join(ksrc, "tools", "testing", "kunit", "kunit.py")
        proc = subprocess.run([sys.executable, tool, "parse", "--json=" + out, log],
                              capture_output=True, text=True)
        with open(os.path.join(d, "kunit.txt"), "w") as fh:
            fh.write(proc.stdout + proc.stderr)
        try:
            with open(out) as fh:
                data = json.load(fh)
        except (OSError, ValueError):
            data = None
            problems.append(f"kunit ({boot}): no KTAP output parsed")

        def walk(group, prefix):
            for case in group.get("test_cases", []):
                st = case.get("status", "FAIL")
                results[prefix + case.get("name", "?")] = (
                    st if st in ("PASS", "SKIP") else "FAIL", "")
            for sub in group.get("sub_groups", []):
                walk(sub, prefix + sub.get("name", "?") + ".")

        if data:
            walk(data, "")
    suites = {t.split(".")[0] for t in results}
    judge(layer, boot, results, f"{len(suites)} suites")


# --- userspace: meson test's testlog.json ------------------------------------------------
def userspace(boot, d):
    results = {}
    text = read(os.path.join(d, "meson-testlog.json"))
    if text is None:
        rc = read(os.path.join(d, "meson.rc"))
        problems.append("userspace: " + ("meson test did not run" if rc is None
                                         else "meson test wrote no log"))
    else:
        for line in text.splitlines():
            if not line.strip():
                continue
            t = json.loads(line)
            r = t.get("result")
            st = "PASS" if r in ("OK", "EXPECTEDFAIL") else "SKIP" if r == "SKIP" else "FAIL"
            # "project:suite / name" -> "project:suite/name": one word
            results[t.get("name", "?").replace(" / ", "/")] = (st, "" if st == "PASS" else r)
    judge("userspace", boot, results)


# --- IGT: 'Subtest NAME: RESULT' lines of every binary, against its --list-subtests ----
def igt(boot, d):
    results = {}
    bins = sorted(glob.glob(os.path.join(d, "igt-*.txt")))
    for path in bins:
        binary = os.path.basename(path)[4:-4]
        text = read(path) or ""
        rc = (read(path[:-4] + ".rc") or "").strip()
        listed = (read(path[:-4] + ".list") or "").split()
        seen = {}
        for m in re.finditer(r"^Subtest (\S+): (SUCCESS|FAIL|SKIP|CRASH|TIMEOUT)", text, re.M):
            st = {"SUCCESS": "PASS", "SKIP": "SKIP"}.get(m.group(2), "FAIL")
            why = ""
            if st == "SKIP":
                sk = re.search(r"^Test requirement not met.*\n(?:Test requirement: .*\n)?(.*)$",
                               text[:m.start()], re.M)
                why = sk.group(1).strip() if sk else ""
            seen[m.group(1)] = (st, why if st != "PASS" else m.group(2))
        for sub in listed:
            results[f"{binary}@{sub}"] = seen.pop(sub, ("FAIL", f"never reported (exit {rc})"))
        for sub, r in seen.items():
            results[f"{binary}@{sub}"] = r
        if not listed:
            problems.append(f"igt: {binary} --list-subtests listed nothing")
        if rc not in ("0", "77", "98"):
            problems.append(f"igt: {binary} exited {rc or 'without a code'}")
    judge("igt", boot, results, f"{len(bins)} binaries")


# --- further layers: results-LAYER.txt --------------------------------------------------
def generic(layer, boot, d):
    results = {}
    text = read(os.path.join(d, f"results-{layer}.txt"))
    if text is None:
        problems.append(f"{layer} ({boot}): results-{layer}.txt missing")
    else:
        for line in text.splitlines():
            m = re.match(r"(PASS|FAIL|SKIP)\s+(\S+)\s*(.*)$", line)
            if m:
                results[m.group(2)] = (m.group(1), m.group(3))
    judge(layer, boot, results)


# --- dmesg gate ----------------------------------------------------------------------------
GATE = re.compile(r"WARNING:|BUG:|Oops|kernel BUG at|UBSAN:|KASAN:|general protection fault|"
                  r"Kernel panic|possible circular locking|possible recursive locking|"
                  r"inconsistent lock state|DEBUG_LOCKS_WARN_ON|suspicious RCU usage|"
                  r"INFO: task .* blocked for more than|soft lockup|rcu: INFO:|"
                  r"self-detected stall|kmemleak: .*suspected memory leak|DMA-API: .*\[")


def expected_reports(d):
    """Kernel reports a test provoked on purpose: the test writes the regex into
    expected-reports.txt in its boot's directory, one per line, with a reason."""
    pats = []
    for line in (read(os.path.join(d, "expected-reports.txt")) or "").splitlines():
        if line.strip():
            pats.append(re.compile(line.split("\t", 1)[0]))
    return pats


def dmesg(boot, d):
    name = "dmesg" if boot == "root" else f"dmesg-{boot}"
    p = f = 0
    text = read(os.path.join(d, "dmesg.txt"))
    if text is None:
        f += 1
        problems.append(f"{name}: no kernel log from the guest")
    else:
        allowed = expected_reports(d)
        lines = text.splitlines()
        hits = [i for i, l in enumerate(lines)
                if GATE.search(l) and not any(a.search(l) for a in allowed)]
        if hits:
            f += 1
            first = hits[0]
            problems.append(f"{name}: {len(hits)} report line(s), first: {lines[first].strip()}")
            print(f"---- {name} gate: kernel reports ----", file=sys.stderr)
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
    layer_line(name, p, f, extra="warning/bug/kasan/lockdep/ubsan gate, kmemleak")


def lint():
    text = read(os.path.join(res, "lint.txt"))
    if text is None:
        layer_line("style", 0, 1, extra="lint did not run")
        problems.append("style: lint did not run")
        return
    p = f = 0
    for line in text.splitlines():
        if line.startswith("PASS "):
            p += 1
        elif line.startswith("FAIL "):
            f += 1
            problems.append(f"style: {line[5:]} (checkpatch/kernel-doc, see lint.txt.log)")
    layer_line("style", p, f, extra="checkpatch --strict, kernel-doc")
    log = read(os.path.join(res, "lint.txt.log"))
    if f and log:
        print(log.rstrip(), file=sys.stderr)


def boots_of(layer):
    """The boots a layer's expected list names ('*': those that ran)."""
    exp = load_expected(layer)
    if exp is None:
        return []
    star, per = exp
    names = set(per)
    if star:
        names |= {b for b, _ in BOOTS}
    if not names:
        problems.append(f"{layer}: scripts/expected/{layer}.txt lists no test")
        total["failed"] += 1
    return [(b, d) for b, d in BOOTS if b in names] + \
           [(b, os.path.join(res, b)) for b in sorted(names - {b for b, _ in BOOTS})]


# PHYR_LAYERS: the layers a run has (a separate command's, e.g. scripts/test-iommufd.sh);
# by default every layer but the '-full' ones, which only their own command runs
ONLY = os.environ.get("PHYR_LAYERS", "").split()


def wanted(layer):
    return layer in ONLY if ONLY else not layer.endswith("-full")


if not ONLY:
    lint()
# kunit-iommupt-full: the KUnit log of scripts/test-iommupt.sh's boot, every case of
# the generic page table suites (the test command leaves out the very slow ones)
BUILTIN = (("kunit", kunit), ("kunit-iommupt-full", lambda b, d: kunit(b, d, "kunit-iommupt-full")),
           ("userspace", userspace), ("igt", igt))
for layer, fn in BUILTIN:
    if wanted(layer):
        for boot, d in boots_of(layer):
            fn(boot, d)
for path in sorted(glob.glob(os.path.join(expdir, "*.txt"))):
    layer = os.path.basename(path)[:-4]
    if layer not in dict(BUILTIN) and wanted(layer):
        for boot, d in boots_of(layer):
            generic(layer, boot, d)
for boot, d in BOOTS:
    dmesg(boot, d)
for prob in problems:
    print("  " + prob)
line = f"{total['passed']} passed, {total['failed']} failed"
if total["skipped"]:
    line += f", {total['skipped']} skipped as expected"
print(line)
sys.exit(1 if total["failed"] or problems else 0)
