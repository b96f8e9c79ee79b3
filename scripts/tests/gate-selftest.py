#!/usr/bin/env python3
"""Tests of the test run's gate (scripts/results.py): deliberately broken runs must
fail it, each in the way it is broken, and the unbroken one must pass.

    gate-selftest.py parsing OUT KERNEL_SRC
    gate-selftest.py guest OUT KERNEL_SRC GUEST_DIR

parsing: a small results directory (scripts/tests/fixture/run, excerpts of a real
run: KTAP, IGT, meson, phyr-faults, phyr-stress and test-vfio output, DMAR faults of
edu) is judged against scripts/tests/fixture/expected as it is, then once per broken
case, each a copy with one thing changed.
guest: the directories scripts/tests/guest-gate.sh wrote in a real guest (a
declared and a stray DMA of edu, a crash after PASS, kmemleak switched off).

Appends one line per case to OUT: 'PASS gate/NAME' when results.py decided as it
must (exit code and the problem it names), else 'FAIL gate/NAME why' (the test
command judges OUT as the layer gate-selftest, scripts/expected/gate-selftest.txt).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "..", "results.py")
FIXTURE = os.path.join(HERE, "fixture")


def judge(run, expected, ksrc, layers=None):
    env = dict(os.environ)
    env.pop("PHYR_LAYERS", None)
    if layers:
        env["PHYR_LAYERS"] = layers
    p = subprocess.run([sys.executable, RESULTS, run, ksrc, expected], env=env,
                       capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def check(out, name, rc, text, want_rc, want=(), not_want=()):
    """One line into OUT: did results.py exit want_rc, naming every regex in want
    and none in not_want?"""
    why = []
    if rc != want_rc:
        why.append(f"results.py exited {rc}, expected {want_rc}")
    for w in want:
        if not re.search(w, text, re.M):
            why.append(f"no '{w}' in its output")
    for w in not_want:
        if re.search(w, text, re.M):
            why.append(f"'{w}' in its output")
    if why:
        last = [l for l in text.splitlines() if l.strip()][-12:]
        out.write(f"FAIL gate/{name} {'; '.join(why)} | " + " / ".join(last) + "\n")
    else:
        out.write(f"PASS gate/{name}\n")
    out.flush()


# --- the broken cases of the parsing test: (name, change, problem it must name) -----------
def append(path, text):
    with open(path, "a") as fh:
        fh.write(text)


def replace(path, old, new, count=1):
    with open(path) as fh:
        s = fh.read()
    if old not in s:
        raise RuntimeError(f"{os.path.basename(path)}: no '{old}' to replace")
    with open(path, "w") as fh:
        fh.write(s.replace(old, new, count))


def write(path, text):
    with open(path, "w") as fh:
        fh.write(text)


EDU = "0000:00:06.0"     # as in the fixture (pci.txt, its declared faults)
DMAR = "[  100.000000] DMAR: [DMA Write NO_PASID] Request device [{dev}] fault addr {addr} " \
       "[fault reason 0x05] PTE Write access is not set\n"
DRHD = "[  100.000000] DMAR: DRHD: handling fault status reg {st}\n"


def dmar(addr, dev=EDU):
    return DRHD.format(st=2) + DMAR.format(dev=dev, addr=addr)


def smmuv3(iova, dev=EDU):
    return ("[  101.000000] arm-smmu-v3 arm-smmu-v3.0.auto: event 0x10 received:\n"
            "[  101.000000] arm-smmu-v3 arm-smmu-v3.0.auto: \t0x0000001800000010\n"
            "[  101.000000] arm-smmu-v3 arm-smmu-v3.0.auto: event: F_TRANSLATION client: "
            f"{dev} sid: 0x18 ssid: 0x0 iova: {iova} ipa: 0x0\n")


PASSES = "passes"   # instead of a number of failures: the changed run must pass


# every case: (name, function(run_dir, expected_dir), regexes results.py must print
# [, the number of failures it must count: 1 unless given; a broken list line is a
# problem, not a test's failure])
CASES = [
    # 1. IOMMU faults: only a declared device at a declared IOVA passes
    ("iommu-fault-stray", lambda r, e: append(f"{r}/dmesg.txt", dmar("0x7200000")),
     [r"dmesg: 1 report line\(s\), first: .*fault addr 0x7200000"]),
    ("iommu-fault-other-device", lambda r, e: append(f"{r}/dmesg.txt",
                                                     dmar("0x1001000", "0000:00:07.0")),
     [r"dmesg: 1 report line\(s\), first: .*\[0000:00:07.0\] fault addr 0x1001000"]),
    ("iommu-fault-declared-passes", lambda r, e: append(f"{r}/dmesg.txt", dmar("0x1001000")),
     [r"^dmesg: 3 passed, 0 failed"], PASSES),
    ("iommu-fault-next-page", lambda r, e: append(f"{r}/dmesg.txt", dmar("0x1002000")),
     [r"dmesg: 1 report line.*fault addr 0x1002000"]),
    ("iommu-fault-regex-does-not-declare", lambda r, e: (
        append(f"{r}/expected-reports.txt", "DMAR: .*fault addr\tan old-style line\n"),
        append(f"{r}/dmesg.txt", dmar("0x7200000"))),
     [r"dmesg: 1 report line.*fault addr 0x7200000"]),
    ("iommu-fault-overflow", lambda r, e: append(f"{r}/dmesg.txt", DRHD.format(st=3)),
     [r"dmesg: 1 report line.*handling fault status reg 3"]),
    ("iommu-fault-suppressed", lambda r, e: append(
        f"{r}/dmesg.txt", "[  101.000000] dmar_fault: 7 callbacks suppressed\n"),
     [r"dmesg: 1 report line.*dmar_fault: 7 callbacks suppressed"]),
    ("iommu-fault-intr-remap", lambda r, e: append(
        f"{r}/dmesg.txt", "[  101.000000] DMAR: [INTR-REMAP] Request device [0000:00:03.0] "
        "fault index 0x3 [fault reason 0x25] Blocked a compatibility format interrupt request\n"),
     [r"dmesg: 1 report line.*INTR-REMAP"]),
    ("iommu-fault-amd", lambda r, e: append(
        f"{r}/dmesg.txt", "[  101.000000] vfio-pci 0000:00:06.0: AMD-Vi: Event logged "
        "[IO_PAGE_FAULT domain=0x0002 address=0x7200000 flags=0x0020]\n"),
     [r"dmesg: 1 report line.*IO_PAGE_FAULT domain=0x0002 address=0x7200000"]),
    ("iommu-fault-amd-declared-passes", lambda r, e: append(
        f"{r}/dmesg.txt", "[  101.000000] AMD-Vi: Event logged [IO_PAGE_FAULT "
        "device=0000:00:06.0 domain=0x0002 address=0x1001010 flags=0x0020]\n"),
     [r"^dmesg: 3 passed, 0 failed"], PASSES),
    ("iommu-fault-amd-other", lambda r, e: append(
        f"{r}/dmesg.txt", "[  101.000000] AMD-Vi: Event logged [ILLEGAL_DEV_TABLE_ENTRY "
        "device=0000:00:06.0 pasid=0x00000 address=0x1001000 flags=0x0000]\n"),
     [r"dmesg: 1 report line.*ILLEGAL_DEV_TABLE_ENTRY"]),
    ("iommu-fault-smmuv3", lambda r, e: append(f"{r}/dmesg.txt", smmuv3("0x7200000")),
     [r"dmesg: 1 report line.*F_TRANSLATION client: 0000:00:06.0 .*iova: 0x7200000"]),
    ("iommu-fault-smmuv3-declared-passes", lambda r, e: append(f"{r}/dmesg.txt",
                                                               smmuv3("0x1001020")),
     [r"^dmesg: 3 passed, 0 failed"], PASSES),
    ("iommu-fault-smmuv3-undecoded", lambda r, e: append(
        f"{r}/dmesg.txt", "[  101.000000] arm-smmu-v3 arm-smmu-v3.0.auto: event 0x02 received:\n"
        "[  101.000000] arm-smmu-v3 arm-smmu-v3.0.auto: \t0x0000001800000002\n"),
     [r"dmesg: 1 report line.*event 0x02 received"]),
    ("iommu-fault-kunit-declared-passes", lambda r, e: None,
     [r"^dmesg: 3 passed, 0 failed", r"^kunit: 45 passed"], PASSES),
    ("iommu-fault-kunit-not-run", lambda r, e: replace(
        f"{r}/dmesg.txt", "ok 6 iommu_test_revoke", "ok 6 iommu_test_revoked"),
     [r"dmesg: 1 report line\(s\), first: .*fault addr 0x1003000"], 3),
    ("iommu-fault-smmu-context", lambda r, e: append(
        f"{r}/dmesg.txt", "[  101.000000] arm-smmu 2b400000.iommu: Unhandled context fault: "
        "fsr=0x402, iova=0x07200000, fsynr=0x1, cbfrsynra=0x18, cb=0\n"),
     [r"dmesg: 1 report line.*Unhandled context fault"]),
    # 2. checkers that switched themselves off
    ("kmemleak-disabled-line", lambda r, e: append(
        f"{r}/dmesg.txt", "[  200.000000] kmemleak: Kernel memory leak detector disabled\n"),
     [r"dmesg: 1 report line.*Kernel memory leak detector disabled"]),
    ("kmemleak-scan-failed", lambda r, e: replace(f"{r}/checkers.txt", "kmemleak_scan=ok",
                                                  "kmemleak_scan=failed"),
     [r"dmesg: a kmemleak scan failed"]),
    ("dma-api-out-of-memory", lambda r, e: append(
        f"{r}/dmesg.txt", "[  200.000000] DMA-API: debugging out of memory - disabling\n"),
     [r"dmesg: 1 report line.*debugging out of memory"]),
    ("dma-api-disabled", lambda r, e: replace(f"{r}/checkers.txt", "dma_api_disabled=N",
                                              "dma_api_disabled=Y"),
     [r"DMA-API debugging turned itself off"]),
    ("lockdep-off-line", lambda r, e: append(
        f"{r}/dmesg.txt", "[  200.000000] turning off the locking correctness validator.\n"),
     [r"dmesg: 1 report line.*turning off the locking correctness validator"]),
    ("lockdep-off", lambda r, e: replace(f"{r}/checkers.txt", "debug_locks=1",
                                         "debug_locks=0"),
     [r"lockdep turned itself off"]),
    ("checkers-missing", lambda r, e: os.remove(f"{r}/checkers.txt"),
     [r"checkers.txt missing"]),
    # 3. exit codes
    ("crash-after-pass", lambda r, e: write(f"{r}/stress.rc", "139\n"),
     [r"stress: stress was killed by SIGSEGV \(exit 139\)"]),
    ("timeout-after-pass", lambda r, e: write(f"{r}/vfio.rc", "124\n"),
     [r"vfio: vfio timed out"]),
    ("rc-missing", lambda r, e: os.remove(f"{r}/faults.rc"),
     [r"faults: faults left no exit code"]),
    ("rc-nonzero", lambda r, e: write(f"{r}/rdma.setup.rc", "1\n"),
     [r"rdma: setup exited 1"]),
    ("meson-rc", lambda r, e: write(f"{r}/userspace.rc", "1\n"),
     [r"userspace: userspace exited 1"]),
    ("igt-98", lambda r, e: write(f"{r}/igt.phyr_vgem_basic.rc", "98\n"),
     [r"igt: phyr_vgem_basic exited 98"]),
    ("igt-77-with-passes", lambda r, e: write(f"{r}/igt.phyr_vgem_basic.rc", "77\n"),
     [r"igt: phyr_vgem_basic exited 77"]),
    ("rc-unread", lambda r, e: write(f"{r}/something.rc", "0\n"),
     [r"something.rc is read by no layer"]),
    # 4. skips: only the listed reason
    ("skip-other-reason-generic", lambda r, e: replace(
        f"{r}/results-vfio.txt", "PASS vfio-bar-dmabuf", "SKIP vfio-bar-dmabuf no VFIO here"),
     [r"vfio: vfio-bar-dmabuf skipped, which is not expected"]),
    ("skip-other-reason-kunit", lambda r, e: replace(
        f"{r}/dmesg.txt", "# SKIP needs edu to reach", "# SKIP needs a GPU to reach"),
     [r"kunit: dma_buf_flavour.flavour_test_provider_per_range skipped for another "
      r"reason: 'needs a GPU to reach"]),
    ("skip-other-reason-igt", lambda r, e: replace(
        f"{r}/igt-phyr_vgem_memory.txt", "no /dev/dri", "no /dev/drm"),
     [r"igt: phyr_vgem_memory@info skipped for another reason: 'no /dev/drm' "
      r"\(expected: 'no /dev/dri'\)"], 24),
    ("skip-reason-partial-match", lambda r, e: replace(
        f"{r}/igt-phyr_vgem_memory.txt", "no /dev/dri", "no /dev/dri (or so)"),
     [r"igt: phyr_vgem_memory@info skipped for another reason"], 24),
    ("skip-pattern-bad", lambda r, e: append(f"{e}/vfio.txt", "root\tnew-test\tskip: (\n"),
     [r"vfio.txt:\d+: skip pattern"], 0),
    ("skip-without-reason", lambda r, e: append(f"{e}/vfio.txt", "root\tnew-test\tskip:\n"),
     [r"vfio.txt:\d+: cannot parse|vfio.txt:\d+: a skip needs its reason"], 0),
    ("results-without-list", lambda r, e: write(f"{r}/results-newlayer.txt", "PASS x\n"),
     [r"results-newlayer.txt is judged by no expected list"]),
    # 5. sweeps and stress prove they did work
    ("sweep-no-points", lambda r, e: replace(
        f"{r}/results-faults.txt", "PASS bo-create-system count=", "PASS bo-create-system count=0"
        " was "),
     [r"faults: bo-create-system did too little: count=0"]),
    ("sweep-below-min", lambda r, e: replace(
        f"{r}/results-faults.txt", "PASS bo-create-device count=",
        "PASS bo-create-device count=35 was "),
     [r"faults: bo-create-device did too little: count=35, its list wants at least 36"]),
    ("sweep-no-count", lambda r, e: replace(
        f"{r}/results-faults.txt", "PASS bo-create-device count=", "PASS bo-create-device was="),
     [r"faults: bo-create-device reported no count"]),
    ("sweep-no-min", lambda r, e: replace(f"{e}/faults.txt", "bo-create-device\tmin:",
                                          "bo-create-device\t#"),
     [r"faults: bo-create-device reports a count but its line .* states no minimum"]),
    ("min-zero", lambda r, e: replace(f"{e}/faults.txt", "bo-create-device\tmin: ",
                                      "bo-create-device\tmin: 0 #"),
     [r"faults.txt:\d+: min: 0 proves nothing"]),
    ("no-alloc-path-allocates", lambda r, e: replace(
        f"{r}/results-faults.txt", "PASS bo-query allocates nothing (no injection point)",
        "FAIL bo-query 3 injection points in a path that allocated nothing: make it a sweep"),
     [r"faults: bo-query FAIL: 3 injection points"]),
    ("stress-edu-error", lambda r, e: replace(
        f"{r}/results-stress.txt", "PASS stress/edu-dma count=", "FAIL stress/edu-dma 3 errors "
        "(last -16), 0 bad read-backs, 0 read back at the IOVA written, of "),
     [r"stress: stress/edu-dma FAIL: 3 errors"]),
    ("stress-no-fence-waits", lambda r, e: replace(
        f"{r}/results-stress.txt", "PASS stress/fence-waits count=",
        "PASS stress/fence-waits count=0 "),
     [r"stress: stress/fence-waits did too little: count=0"]),
    ("stress-no-imports", lambda r, e: replace(
        f"{r}/results-stress.txt", "PASS stress/imports count=", "PASS stress/imports count=0 "),
     [r"stress: stress/imports did too little: count=0"]),
]


def parsing(out, ksrc):
    tmp = tempfile.mkdtemp(prefix="gate-selftest-")
    try:
        run, exp = os.path.join(tmp, "run"), os.path.join(tmp, "expected")
        shutil.copytree(os.path.join(FIXTURE, "run"), run)
        shutil.copytree(os.path.join(FIXTURE, "expected"), exp)
        rc, text = judge(run, exp, ksrc)
        check(out, "fixture-passes", rc, text, 0, [r"^0 failed|, 0 failed"])
        for name, change, want, *fails in CASES:
            fails = fails[0] if fails else 1
            want_rc = 0 if fails == PASSES else 1
            fails = 0 if fails == PASSES else fails
            shutil.rmtree(run)
            shutil.rmtree(exp)
            shutil.copytree(os.path.join(FIXTURE, "run"), run)
            shutil.copytree(os.path.join(FIXTURE, "expected"), exp)
            try:
                change(run, exp)
            except Exception as e:  # a case that no longer applies to the fixture
                out.write(f"FAIL gate/{name} the case does not apply: {e}\n")
                continue
            rc, text = judge(run, exp, ksrc)
            if os.environ.get("GATE_SELFTEST_VERBOSE"):
                print(name, [l for l in text.splitlines() if re.match(r"\d+ passed", l)])
            check(out, name, rc, text, want_rc, want + [rf"^\d+ passed, {fails} failed"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def guest(out, ksrc, gdir):
    exp = os.path.join(HERE, "gate-expected")
    # edu's address in that guest, as guest-gate.sh declared it
    decl = (open(os.path.join(gdir, "declared", "expected-reports.txt")).read().split()
            if os.path.exists(os.path.join(gdir, "declared", "expected-reports.txt"))
            else ["", "?"])
    edu = re.escape(decl[1])
    cases = [
        ("guest-declared-fault-passes", "declared", 0,
         [r"^dmesg: 3 passed, 0 failed", r"^gate: 1 passed, 0 failed", r"^4 passed, 0 failed"],
         [r"report line"]),
        ("guest-stray-dma-fails", "stray", 1,
         [r"dmesg: 1 report line\(s\), first: .*DMAR: \[DMA Write NO_PASID\] Request device "
          rf"\[{edu}\] fault addr 0x7200000", r"^3 passed, 1 failed"], []),
        ("guest-crash-after-pass-fails", "crash", 1,
         [r"^gate: 1 passed, 1 failed", r"gate: gate was killed by SIGSEGV \(exit 139\)",
          r"^4 passed, 1 failed"], []),
        ("guest-kmemleak-off-fails", "kmemleak-off", 1,
         [r"dmesg: 1 report line\(s\), first: .*kmemleak: Kernel memory leak detector disabled",
          r"a kmemleak scan failed", r"^2 passed, 2 failed"], [r"fault addr"]),
    ]
    for name, sub, want_rc, want, not_want in cases:
        d = os.path.join(gdir, sub)
        if not os.path.isdir(d):
            out.write(f"FAIL gate/{name} the guest wrote no {sub}/\n")
            continue
        rc, text = judge(d, exp, ksrc, layers="gate")
        with open(os.path.join(d, "results.txt"), "w") as fh:
            fh.write(text)
        check(out, name, rc, text, want_rc, want, not_want)


def main():
    mode, outpath, ksrc = sys.argv[1:4]
    with open(outpath, "a") as out:
        if mode == "parsing":
            parsing(out, ksrc)
        elif mode == "guest":
            guest(out, ksrc, sys.argv[4])
        else:
            sys.exit(f"usage: {sys.argv[0]} parsing|guest OUT KERNEL_SRC [GUEST_DIR]")


if __name__ == "__main__":
    main()
