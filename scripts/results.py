#!/usr/bin/env python3
"""Judge one test run against what must run (scripts/expected/*.txt).

    results.py RESULTS_DIR KERNEL_SRC EXPECTED_DIR

RESULTS_DIR holds the first boot's results, and one subdirectory per further boot
(switch/, hostbridge/); KERNEL_SRC is a kernel tree (for tools/testing/kunit's parser).  Prints one
line per layer and boot, the problems, and a final 'N passed, N failed' line; exits 1
on any failure.  docs/pipeline.md describes the rules; scripts/tests/ tests them.

Every layer of a boot is compared with its expected list: a test that is listed but
did not report, a test that reported but is not listed, a failure, a skip that is not
listed as expected or whose reason is not the listed one, and a count below its listed
minimum all fail the run with the test's name.  An expected skip that ran and passed
fails too (the list would no longer say what the run tests).

Expected lists: one file per layer, one test per line, '#' starts a comment:
    BOOT NAME [min: N] [skip: PATTERN]
BOOT is the boot the line is for (root, switch, hostbridge) or '*' for every boot in which the
layer runs; a line for one boot overrides a '*' line of the same name.  PATTERN is a
Python regular expression that must match the whole reason the test gave for its skip
(re.fullmatch, surrounding blanks ignored).  'min: N' (N >= 1): the test must pass
and report 'count=N' (or more) in its result line; a test that reports a count must
have a minimum.  NAME '*' lets a layer that checks its own completeness (a harness's
plan line, reported as a test) pass tests the list does not name; a failure or an
unlisted skip still fails.  Layers other than the built-in ones (kunit, userspace,
igt) report in the boot's directory as results-LAYER.txt, a line per test:
'PASS NAME [count=N] [detail]', 'FAIL NAME [why]', 'SKIP NAME [why]'; a results file
without an expected list fails.

Exit codes: a layer's programs write theirs into the boot's directory as LAYER.rc or
LAYER.PROG.rc; every one must be 0 (igt: 77 when every subtest of the binary
skipped), a missing one where the layer ran fails (RC_REQUIRED), and an .rc file no
layer reads fails.  A program killed by a signal or a timeout fails its layer even if
it printed every PASS line first.
"""
import glob
import io
import json
import os
import re
import signal
import sys

res, ksrc, expdir = sys.argv[1:4]
BOOTS = [("root", res)] + [(os.path.basename(d), d) for d in
                           sorted(glob.glob(os.path.join(res, "*")))
                           if os.path.isdir(d) and os.path.exists(os.path.join(d, "boot"))]
total = {"passed": 0, "failed": 0, "skipped": 0}
problems = []
claimed_rc = set()
list_faults = {}    # boot: [(device, start, end)] from the expected lists' iommu-fault:

# the exit codes each layer must have left where it ran (LAYER.rc, LAYER.PROG.rc);
# igt: one per binary (igt.BINARY.rc); further LAYER.*.rc files are read too
RC_REQUIRED = {
    "userspace": ["userspace"],
    "stress": ["stress"],
    "faults": ["faults"],
    "rdma": ["rdma.setup", "rdma"],
    "rdma-core": ["rdma-core.ibv-dmabuf-rc-system", "rdma-core.ibv-dmabuf-rc-device",
                  "rdma-core.pyverbs"],
    "vfio": ["vfio"],
    "iommufd-selftests": ["iommufd-selftests.iommufd", "iommufd-selftests.iommufd_fail_nth"],
    "iommufd-selftests-full": ["iommufd-selftests-full.iommufd",
                               "iommufd-selftests-full.iommufd_fail_nth"],
    "gate-selftest": ["gate-selftest"],
}
COUNT = re.compile(r"(?:^|\s)count=(\d+)\b")


def read(path):
    try:
        with open(path, errors="replace") as fh:
            return fh.read()
    except OSError:
        return None


_expected = {}


def load_expected(layer):
    """{boot: {name: (skip_pattern or None, min or None)}} as (star, per), or None."""
    if layer in _expected:
        return _expected[layer]
    text = read(os.path.join(expdir, layer + ".txt"))
    if text is None:
        _expected[layer] = None
        return None
    star, per = {}, {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.match(r"(\S+)\s+(\S+)(?:\s+min:\s*(\d+))?"
                     r"(?:\s+iommu-fault:\s*(\S+)\s+(0x[0-9a-fA-F]+)\s+(0x[0-9a-fA-F]+))?"
                     r"(?:\s+skip:\s*(.*))?$", line)
        if not m:
            problems.append(f"{layer}.txt:{n}: cannot parse '{line}'")
            continue
        boot, name, mn, skip = m.group(1), m.group(2), m.group(3), m.group(7)
        fault = None
        if m.group(4):
            fault = (m.group(4).lower(), int(m.group(5), 16), int(m.group(6), 16))
            if fault[2] <= fault[1]:
                problems.append(f"{layer}.txt:{n}: an empty IOVA range")
                continue
        if skip is not None:
            try:
                skip = re.compile(skip.strip())
            except re.error as e:
                problems.append(f"{layer}.txt:{n}: skip pattern '{skip}': {e}")
                continue
            if not skip.pattern:
                problems.append(f"{layer}.txt:{n}: a skip needs its reason (a pattern)")
                continue
        if mn is not None:
            mn = int(mn)
            if mn < 1:
                problems.append(f"{layer}.txt:{n}: min: {mn} proves nothing (at least 1)")
                continue
            if skip is not None:
                problems.append(f"{layer}.txt:{n}: a test is either counted or skipped")
                continue
        (star if boot == "*" else per.setdefault(boot, {}))[name] = (skip, mn, fault)
    _expected[layer] = (star, per)
    return _expected[layer]


def describe_rc(text):
    """None for a clean exit, else what happened (a crash, a timeout, a code)."""
    if text is None:
        return "left no exit code"
    try:
        rc = int(text.split()[0])
    except (ValueError, IndexError):
        return f"left an unreadable exit code '{text.strip()}'"
    if rc == 0:
        return None
    if rc == 124:
        return "timed out (exit 124)"
    if rc > 128:
        try:
            name = signal.Signals(rc - 128).name
        except ValueError:
            name = f"signal {rc - 128}"
        return f"was killed by {name} (exit {rc})"
    return f"exited {rc}"


def layer_rcs(layer, d, ran):
    """Problems of the exit codes of layer in directory d; ran: the layer reported."""
    out = []
    names = set(RC_REQUIRED.get(layer, [])) if ran else set()
    for path in glob.glob(os.path.join(d, layer + ".rc")) + \
            glob.glob(os.path.join(d, layer + ".*.rc")):
        names.add(os.path.basename(path)[:-3])
    for prog in sorted(names):
        path = os.path.join(d, prog + ".rc")
        claimed_rc.add(os.path.realpath(path))
        why = describe_rc(read(path))
        if why:
            out.append(f"{prog.split('.', 1)[-1] if '.' in prog else layer} {why}"
                       f" ({os.path.basename(path)})")
    return out


def judge(layer, boot, results, note="", extra=()):
    """Compare {name: (status, detail)} with the expected list of layer in boot;
    extra: further failures of the layer (exit codes, a missing log)."""
    exp = load_expected(layer)
    name = layer if boot == "root" else f"{layer}-{boot}"
    p = f = s = 0
    for e in extra:
        problems.append(f"{name}: {e}")
        f += 1
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
    anyname = want.pop("*", None) is not None
    for test, (skip, mn, fault) in sorted(want.items()):
        # an IOMMU fault the test provokes on purpose (a KUnit case cannot declare it
        # in expected-reports.txt): declared for the boot's gate if the test ran
        if fault and test in results:
            list_faults.setdefault(boot, []).append(fault)
        if test not in results:
            problems.append(f"{name}: {test} did not run (expected"
                            f"{' to skip: ' + skip.pattern if skip else ''})")
            f += 1
            continue
        st, detail = results[test]
        count = COUNT.search(detail or "")
        if st == "PASS" and skip is None:
            if mn is not None and not count:
                problems.append(f"{name}: {test} reported no count (count=N), "
                                f"its list wants at least {mn}")
                f += 1
            elif mn is not None and int(count.group(1)) < mn:
                problems.append(f"{name}: {test} did too little: count={count.group(1)}, "
                                f"its list wants at least {mn}")
                f += 1
            elif mn is None and count:
                problems.append(f"{name}: {test} reports a count but its line in "
                                f"scripts/expected/{layer}.txt states no minimum (min: N)")
                f += 1
            else:
                p += 1
        elif st == "SKIP" and skip is not None:
            if skip.fullmatch((detail or "").strip()):
                s += 1
            else:
                problems.append(f"{name}: {test} skipped for another reason: "
                                f"'{(detail or '').strip()}' (expected: '{skip.pattern}')")
                f += 1
        elif st == "SKIP":
            problems.append(f"{name}: {test} skipped, which is not expected"
                            f"{': ' + detail if detail else ''}")
            f += 1
        elif st == "PASS":
            problems.append(f"{name}: {test} passed but is listed as an expected skip"
                            f" ({skip.pattern}): update scripts/expected/{layer}.txt")
            f += 1
        else:
            problems.append(f"{name}: {test} {st}{': ' + detail if detail else ''}")
            f += 1
    for test in sorted(set(results) - set(want)):
        if anyname and results[test][0] == "PASS" and not COUNT.search(results[test][1] or ""):
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


WORST = {"PASS": 0, "SKIP": 1, "FAIL": 2}


def add(results, name, st, detail):
    """A test that reports twice keeps its worse result."""
    old = results.get(name)
    if old is None or WORST.get(st, 2) > WORST.get(old[0], 2):
        results[name] = (st, detail)


# --- KUnit: the tree's KTAP parser on the boot's kernel log ------------------------------
def kunit(boot, d, layer="kunit"):
    results = {}
    extra = []
    text = read(os.path.join(d, "dmesg.txt"))
    if text is None:
        extra.append("no kernel log from the guest")
    else:
        sys.path.insert(0, os.path.join(ksrc, "tools", "testing", "kunit"))
        try:
            import kunit_json
            import kunit_parser
            import kunit_printer
        finally:
            sys.path.pop(0)
        out = io.StringIO()
        printer = kunit_printer.Printer(print=True, output=out)
        test = kunit_parser.parse_run_tests(text.splitlines(), printer)
        kunit_parser.print_summary_line(test, printer)
        with open(os.path.join(d, "kunit.txt"), "w") as fh:
            fh.write(out.getvalue())
        with open(os.path.join(d, "kunit.json"), "w") as fh:
            fh.write(kunit_json.get_json_result(test=test, metadata=kunit_json.Metadata()))
        TS = kunit_parser.TestStatus

        def walk(t, prefix):
            for sub in t.subtests:
                if sub.subtests:
                    walk(sub, prefix + sub.name + ".")
                elif sub.status == TS.SUCCESS:
                    add(results, prefix + sub.name, "PASS", "")
                elif sub.status == TS.SKIPPED:
                    add(results, prefix + sub.name, "SKIP", sub.skip_reason)
                else:
                    add(results, prefix + sub.name, "FAIL", sub.status.name)

        walk(test, "")
        if not results:
            extra.append("no KTAP output parsed")
    suites = {t.split(".")[0] for t in results}
    judge(layer, boot, results, f"{len(suites)} suites", extra)


# --- userspace: meson test's testlog.json ------------------------------------------------
TAP_SKIP = re.compile(r"^(?:1\.\.0|ok\s+\d+\b[^#]*)\s*#\s*SKIP\b\s*(.*)$", re.I)


def tap_reason(out, st):
    """Why a meson test skipped or failed, from what it printed: a TAP test's
    (phyr-test's, meson's TAP protocol) SKIP directive or first 'not ok' line
    and the '# ' line after it; else the last line it printed (a skip: the
    reason; an exit-code test exits 77)."""
    lines = [l.strip() for l in out.splitlines() if l.strip()]
    for i, l in enumerate(lines):
        m = TAP_SKIP.match(l)
        if st == "SKIP" and m:
            return m.group(1).strip()
        if st == "FAIL" and l.startswith("not ok"):
            nxt = lines[i + 1] if i + 1 < len(lines) and lines[i + 1].startswith("#") else ""
            return (l + " " + nxt).strip()
    if st == "SKIP":
        return lines[-1] if lines else ""
    return ""


def userspace(boot, d):
    results = {}
    extra = []
    text = read(os.path.join(d, "meson-testlog.json"))
    if text is None:
        extra.append("meson test did not run" if read(os.path.join(d, "userspace.rc")) is None
                     else "meson test wrote no log")
    else:
        for line in text.splitlines():
            if not line.strip():
                continue
            t = json.loads(line)
            r = t.get("result")
            st = "PASS" if r in ("OK", "EXPECTEDFAIL") else "SKIP" if r == "SKIP" else "FAIL"
            why = tap_reason(t.get("stdout") or "", st)
            if st == "FAIL":
                why = r + (": " + why if why else "")
            # "project:suite / name" -> "project:suite/name": one word
            add(results, t.get("name", "?").replace(" / ", "/"), st,
                "" if st == "PASS" else why)
    extra += layer_rcs("userspace", d, text is not None)
    judge("userspace", boot, results, extra=extra)


# --- IGT: 'Subtest NAME: RESULT' lines of every binary, against its --list-subtests ----
def igt_subtests(text):
    """{subtest: (status, detail)} of one binary's output.  A skip's reason is
    igt_require_f()'s message after "Test requirement not met ..." (or the
    requirement itself): the subtest's own, else that of a fixture before it (a
    failed requirement outside any subtest skips every subtest after it)."""
    seen = {}
    fixture_why = own_why = ""
    inside = False
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Starting subtest: "):
            inside, own_why = True, ""
            continue
        m = re.match(r"Subtest (\S+): (SUCCESS|FAIL|SKIP|CRASH|TIMEOUT)", line)
        if m:
            st = {"SUCCESS": "PASS", "SKIP": "SKIP"}.get(m.group(2), "FAIL")
            why = (own_why or fixture_why) if st == "SKIP" else m.group(2)
            seen[m.group(1)] = (st, why)
            inside, own_why = False, ""
            continue
        if line.startswith("Test requirement not met"):
            req = msg = ""
            for l in lines[i + 1:i + 6]:
                if l.startswith(("Subtest ", "Starting subtest", "Test requirement not met")):
                    break
                if l.startswith("Test requirement: "):
                    req = req or l[len("Test requirement: "):]
                elif l.strip() and not l.startswith("Last errno") and not msg:
                    msg = l
            why = (msg or req).strip()
            if inside:
                own_why = why
            else:
                fixture_why = why
    return seen


def igt(boot, d):
    results = {}
    extra = []
    bins = sorted(glob.glob(os.path.join(d, "igt-*.txt")))
    for path in bins:
        binary = os.path.basename(path)[4:-4]
        text = read(path) or ""
        rcpath = os.path.join(d, f"igt.{binary}.rc")
        claimed_rc.add(os.path.realpath(rcpath))
        rctext = read(rcpath)
        rc = (rctext or "").strip()
        listed = (read(path[:-4] + ".list") or "").split()
        seen = igt_subtests(text)
        mine = {}
        for sub in listed:
            mine[f"{binary}@{sub}"] = seen.pop(sub, ("FAIL", f"never reported (exit {rc})"))
        for sub, r in seen.items():
            mine[f"{binary}@{sub}"] = r
        for k, v in mine.items():
            add(results, k, *v)
        if not listed:
            extra.append(f"{binary} --list-subtests listed nothing")
        # IGT: 0 success, 77 every subtest skipped; 98 (failure), a signal, anything
        # else fails, whatever the subtests printed
        all_skipped = mine and all(v[0] == "SKIP" for v in mine.values())
        if not (rc == "77" and all_skipped):
            why = describe_rc(rctext)
            if why:
                extra.append(f"{binary} {why}")
    judge("igt", boot, results, f"{len(bins)} binaries", extra)


# --- further layers: results-LAYER.txt --------------------------------------------------
def generic(layer, boot, d):
    results = {}
    extra = []
    text = read(os.path.join(d, f"results-{layer}.txt"))
    if text is None:
        extra.append(f"results-{layer}.txt missing")
    else:
        for line in text.splitlines():
            m = re.match(r"(PASS|FAIL|SKIP)\s+(\S+)\s*(.*)$", line)
            if m:
                add(results, m.group(2), m.group(1), m.group(3))
    extra += layer_rcs(layer, d, text is not None)
    judge(layer, boot, results, extra=extra)


# --- dmesg gate ----------------------------------------------------------------------------
GATE = re.compile(r"WARNING:|BUG:|Oops|kernel BUG at|UBSAN:|KASAN:|general protection fault|"
                  r"Kernel panic|possible circular locking|possible recursive locking|"
                  r"inconsistent lock state|DEBUG_LOCKS_WARN_ON|suspicious RCU usage|"
                  r"INFO: task .* blocked for more than|soft lockup|rcu: INFO:|"
                  r"self-detected stall|kmemleak: .*suspected memory leak|DMA-API: .*\[|"
                  # checkers that switched themselves off: what follows is unchecked
                  r"kmemleak: Kernel memory leak detector disabled|"
                  r"kmemleak: Cannot allocate a kmemleak_object|"
                  r"DMA-API: debugging out of memory|DMA-API: cacheline tracking ENOMEM|"
                  r"turning off the locking correctness validator|"
                  r"INFO: lockdep is turned off")

# IOMMU faults: only a fault of a declared device inside a declared IOVA range passes.
# (device, address) is taken from each driver's fault line; a line that names no device
# or address (interrupt remapping, other events, a context fault) cannot be declared.
BDF = r"(?:[0-9a-f]{4}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]"
FAULT_LINES = [
    # intel-iommu (drivers/iommu/intel/dmar.c, dmar_fault_do_one): the address of the
    # faulting page (4 KiB)
    (re.compile(r"DMAR: \[DMA (?:Read|Write)[^]]*\] Request device \[(" + BDF +
                r")\] fault addr (0x[0-9a-f]+)"), 4096),
    # AMD-Vi (drivers/iommu/amd/iommu.c, amd_iommu_print_event): with the device in
    # the message or as its prefix
    (re.compile(r"Event logged \[IO_PAGE_FAULT device=(" + BDF +
                r") domain=0x[0-9a-f]+ address=(0x[0-9a-f]+)"), 1),
    (re.compile(r"(" + BDF + r"): (?:AMD-Vi: )?Event logged \[IO_PAGE_FAULT domain=0x[0-9a-f]+ "
                r"address=(0x[0-9a-f]+)"), 1),
    # ARM SMMUv3 (arm-smmu-v3.c, arm_smmu_dump_event): the decoded line
    (re.compile(r"event: \S+ client: (" + BDF + r") sid: \S+ ssid: \S+ "
                r"iova: (0x[0-9a-f]+|0)\b"), 1),
]
FAULT_ANY = re.compile(
    r"DMAR: \[INTR-REMAP\]|DMAR: \[DMA (?:Read|Write)|AMD-Vi: Event logged \[|"
    r"Event logged \[(?:IO_PAGE_FAULT|ILLEGAL_|DEV_TAB|PAGE_TAB|INVALID|COMMAND|RMP_)|"
    r"arm-smmu.*event: |Unhandled context fault|"
    r"(?:dmar_fault|iommu_print_event|amd_iommu\w*|arm_smmu\w*): \d+ callbacks suppressed")
# announcements that go with a fault line: judged by what follows them
DRHD = re.compile(r"DMAR: DRHD: handling fault status reg ([0-9a-f]+)")
SMMU_EVENT = re.compile(r"arm-smmu-v3 .*: event 0x[0-9a-f]+ received:")


def norm_bdf(b):
    b = b.lower()
    return b if re.match(r"[0-9a-f]{4}:", b) else "0000:" + b


def expected_reports(d):
    """What the tests of a boot provoke on purpose, in expected-reports.txt of its
    directory, written before they provoke it:
      iommu-fault DEVICE START END REASON  an IOMMU fault of DEVICE (a PCI address)
                                           at an IOVA in [START, END) (hex)
      REGEX<TAB>REASON                     any other kernel report matching REGEX
    Returns (regexes, [(device, start, end)], problems)."""
    pats, faults, bad = [], [], []
    for n, line in enumerate((read(os.path.join(d, "expected-reports.txt")) or "").splitlines(), 1):
        if not line.strip():
            continue
        if line.startswith("iommu-fault"):
            m = re.match(r"iommu-fault\s+(" + BDF + r")\s+(0x[0-9a-fA-F]+)\s+(0x[0-9a-fA-F]+)"
                         r"\s+\S", line)
            if not m or int(m.group(3), 16) <= int(m.group(2), 16):
                bad.append(f"expected-reports.txt:{n}: cannot parse '{line}'")
                continue
            faults.append((norm_bdf(m.group(1)), int(m.group(2), 16), int(m.group(3), 16)))
            continue
        try:
            pats.append(re.compile(line.split("\t", 1)[0]))
        except re.error as e:
            bad.append(f"expected-reports.txt:{n}: {e}")
    return pats, faults, bad


def resolve_devices(d, faults):
    """Faults of the expected lists, whose device may be VENDOR:DEVICE (PCI ids, as in
    1234:11e8 for edu): each becomes one per device of those ids in the boot
    (pci.txt, written at the end of the boot: 'ADDRESS VENDOR:DEVICE' lines)."""
    ids = {}
    for line in (read(os.path.join(d, "pci.txt")) or "").splitlines():
        f = line.split()
        if len(f) == 2:
            ids.setdefault(f[1].lower(), []).append(norm_bdf(f[0]))
    out = []
    for dev, start, end in faults:
        if re.fullmatch(BDF, dev):
            out.append((norm_bdf(dev), start, end))
        else:
            out += [(b, start, end) for b in ids.get(dev, [])]
    return out


def fault_allowed(line, faults):
    """Whether an IOMMU fault line is one a test declared: its device, at an address in
    the declared range.  VT-d reports only the faulting page: that page must meet the
    range (a fault elsewhere in the same 4 KiB page cannot be told apart)."""
    for rx, granule in FAULT_LINES:
        m = rx.search(line)
        if m:
            dev, addr = norm_bdf(m.group(1)), int(m.group(2), 0)
            return any(dev == fd and addr < end and addr + granule > start
                       for fd, start, end in faults)
    return False


def gate_lines(lines, allowed, faults):
    """Indices of the report lines that fail the gate."""
    hits = []
    for i, l in enumerate(lines):
        m = DRHD.search(l)
        if m:
            # only 'primary fault pending' (bit 1); overflow or an invalidation error
            # means faults were lost or the IOMMU misbehaved
            if int(m.group(1), 16) & 0xff != 0x2:
                hits.append(i)
            continue
        if SMMU_EVENT.search(l):
            # the raw dump; its decoded line (judged below) follows within a few lines
            if not any(FAULT_LINES[3][0].search(x) for x in lines[i + 1:i + 8]):
                hits.append(i)
            continue
        if FAULT_ANY.search(l) or any(rx.search(l) for rx, _ in FAULT_LINES):
            if not fault_allowed(l, faults):
                hits.append(i)
            continue
        if GATE.search(l) and not any(a.search(l) for a in allowed):
            hits.append(i)
    return hits


def checkers(d):
    """The state of the checkers at the end of the boot (guest-lib.sh: finish):
    problems if one switched itself off or its scan failed."""
    text = read(os.path.join(d, "checkers.txt"))
    if text is None:
        return ["checkers.txt missing (the end of the boot did not run)"]
    kv = dict(l.split("=", 1) for l in text.splitlines() if "=" in l)
    out = []
    want = {"kmemleak_scan": ("ok", "a kmemleak scan failed (echo scan > "
                              "/sys/kernel/debug/kmemleak): kmemleak is off"),
            "debug_locks": ("1", "lockdep turned itself off (debug_locks 0)"),
            "dma_api_disabled": ("N", "DMA-API debugging turned itself off"),
            "dma_api_errors": ("0", "DMA-API debugging counted errors")}
    for k, (v, why) in want.items():
        if kv.get(k, "").strip() != v:
            out.append(f"{why} ({k}={kv.get(k, 'missing').strip()})")
    return out


def dmesg(boot, d):
    name = "dmesg" if boot == "root" else f"dmesg-{boot}"
    p = f = 0
    text = read(os.path.join(d, "dmesg.txt"))
    if text is None:
        f += 1
        problems.append(f"{name}: no kernel log from the guest")
    else:
        allowed, faults, bad = expected_reports(d)
        faults += resolve_devices(d, list_faults.get(boot, []))
        for b in bad:
            problems.append(f"{name}: {b}")
            f += 1
        lines = text.splitlines()
        hits = gate_lines(lines, allowed, faults)
        if hits:
            f += 1
            first = hits[0]
            problems.append(f"{name}: {len(hits)} report line(s), first: {lines[first].strip()}")
            print(f"---- {name} gate: kernel reports ----", file=sys.stderr)
            for i in hits[:20]:
                print("  " + lines[i], file=sys.stderr)
            print(f"---- {name}: the first in context ----", file=sys.stderr)
            for l in lines[max(0, first - 2):first + 40]:
                print("  " + l, file=sys.stderr)
            print("----", file=sys.stderr)
        else:
            p += 1
    off = checkers(d)
    if off:
        f += 1
        problems.extend(f"{name}: {o}" for o in off)
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
    layer_line(name, p, f, extra="warning/bug/kasan/lockdep/ubsan/iommu-fault gate, "
               "checkers on, kmemleak")


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
judged = set()
for layer, fn in BUILTIN:
    if wanted(layer):
        for boot, d in boots_of(layer):
            fn(boot, d)
            judged.add((layer, boot))
for path in sorted(glob.glob(os.path.join(expdir, "*.txt"))):
    layer = os.path.basename(path)[:-4]
    if layer not in dict(BUILTIN) and wanted(layer):
        for boot, d in boots_of(layer):
            generic(layer, boot, d)
            judged.add((layer, boot))
for boot, d in BOOTS:
    dmesg(boot, d)
    # results nobody judged: a layer without an expected list, or a boot its list
    # does not name
    for path in sorted(glob.glob(os.path.join(d, "results-*.txt"))):
        layer = os.path.basename(path)[8:-4]
        if (layer, boot) in judged or not wanted(layer):
            continue
        total["failed"] += 1
        why = " names no test of this boot" if load_expected(layer) else " missing"
        problems.append(f"{boot}: {os.path.basename(path)} is judged by no expected list "
                        f"(scripts/expected/{layer}.txt{why})")
    # exit codes nobody read
    for path in sorted(glob.glob(os.path.join(d, "*.rc"))):
        if os.path.realpath(path) not in claimed_rc:
            total["failed"] += 1
            problems.append(f"{boot}: {os.path.basename(path)} is read by no layer "
                            f"(name it LAYER.rc or LAYER.PROG.rc)")
for prob in problems:
    print("  " + prob)
line = f"{total['passed']} passed, {total['failed']} failed"
if total["skipped"]:
    line += f", {total['skipped']} skipped as expected"
print(line)
sys.exit(1 if total["failed"] or problems else 0)
