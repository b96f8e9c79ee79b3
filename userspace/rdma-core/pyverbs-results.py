#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run rdma-core's own tests as their run_tests.py does, once per variant, in one
process, and append one line per test and variant to a results file:
'PASS|FAIL|SKIP PREFIX/ID [why]' (ID without 'tests.').

    pyverbs-results.py RESULTS PREFIX[:OPTION...]... -- [run_tests.py's options] TEST...

e.g.  pyverbs-results.py r.txt pyverbs-device pyverbs-system:--gtt -- \\
          --dev rxe0 --gid 1 --gpu 1 test_mr.DmaBufMRTest test_mr.DmaBufTestCase

The tests are python3-pyverbs' (/usr/share/doc/rdma-core/tests, or $RDMA_CORE_TESTS,
e.g. a built rdma-core tree's tests/); options as run_tests.py's (--dev, --gid,
--gpu, --gtt, ...), a variant's own after its prefix; names as unittest's.  One
process for all variants: loading pyverbs takes about a minute in the TCG guest.
The unittest output, each test's time included, goes to stderr; the exit status is
0 when every test of every variant passed or skipped.
"""
import os
import sys
import time
import unittest
from importlib.machinery import SourceFileLoader

TESTS = os.environ.get("RDMA_CORE_TESTS", "/usr/share/doc/rdma-core/tests")

if len(sys.argv) < 5 or "--" not in sys.argv[3:]:
    sys.exit(__doc__)
argv0, results = sys.argv[0], sys.argv[1]
sep = sys.argv.index("--", 3)
variants, common = sys.argv[2:sep], sys.argv[sep + 1:]

t_start = time.monotonic()
sys.path.insert(0, TESTS)
from args_parser import parser  # noqa: E402  (rdma-core's, from TESTS)

tests = SourceFileLoader("tests", os.path.join(TESTS, "__init__.py")).load_module()
print(f"pyverbs-results: the tests loaded in {time.monotonic() - t_start:.1f} s",
      file=sys.stderr)
lines = []
durations = []
prefix = None


def one_line(text):
    return " ".join(str(text).split())[:300]


class Result(unittest.TextTestResult):
    def name(self, test):
        tid = test.id()
        return f"{prefix}/{tid[len('tests.'):] if tid.startswith('tests.') else tid}"

    def startTest(self, test):
        self.t0 = time.monotonic()
        super().startTest(test)

    def stopTest(self, test):
        super().stopTest(test)
        durations.append((time.monotonic() - self.t0, self.name(test)))

    def addSuccess(self, test):
        super().addSuccess(test)
        lines.append(f"PASS {self.name(test)}")

    def addError(self, test, err):
        super().addError(test, err)
        lines.append(f"FAIL {self.name(test)} {one_line(f'{err[0].__name__}: {err[1]}')}")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        lines.append(f"FAIL {self.name(test)} {one_line(f'{err[0].__name__}: {err[1]}')}")

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        lines.append(f"SKIP {self.name(test)} {one_line(reason)}")

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        lines.append(f"FAIL {self.name(test)} expected failure (the suite's marker)")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        lines.append(f"PASS {self.name(test)}")


ok = True
for variant in variants:
    prefix, *options = variant.split(":")
    print(f"pyverbs-results: {prefix}: {' '.join(options + common)}", file=sys.stderr)
    # run_tests.py's order: the options parsed, the rest is unittest's command line
    sys.argv = [argv0] + options + common
    parser.parse_args()
    runner = unittest.TextTestRunner(stream=sys.stderr, verbosity=2, resultclass=Result)
    prog = unittest.main(module=tests, testRunner=runner, exit=False)
    ok = ok and prog.result.wasSuccessful()
for d, name in sorted(durations, reverse=True):
    print(f"pyverbs-results: {d:7.1f} s  {name}", file=sys.stderr)
with open(results, "a") as f:
    for line in lines:
        f.write(line + "\n")
sys.exit(0 if ok else 1)
