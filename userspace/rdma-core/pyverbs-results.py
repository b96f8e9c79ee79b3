#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run rdma-core's own tests as their run_tests.py does, and append one line per
test to a results file: 'PASS|FAIL|SKIP PREFIX/ID [why]' (ID without 'tests.').

    pyverbs-results.py RESULTS PREFIX [run_tests.py's options] TEST...

The tests are python3-pyverbs' (/usr/share/doc/rdma-core/tests, or $RDMA_CORE_TESTS,
e.g. a built rdma-core tree's tests/); options as run_tests.py's (--dev, --gid,
--gpu, --gtt, ...), names as unittest's (test_mr.DmaBufMRTest).  The unittest
output goes to stderr; the exit status is 0 when every test passed or skipped.
"""
import os
import sys
import unittest
from importlib.machinery import SourceFileLoader

TESTS = os.environ.get("RDMA_CORE_TESTS", "/usr/share/doc/rdma-core/tests")

if len(sys.argv) < 4:
    sys.exit(__doc__)
results, prefix = sys.argv[1:3]
del sys.argv[1:3]
sys.path.insert(0, TESTS)
from args_parser import parser  # noqa: E402  (rdma-core's, from TESTS)

tests = SourceFileLoader("tests", os.path.join(TESTS, "__init__.py")).load_module()
parser.parse_args()
lines = []


def one_line(text):
    text = " ".join(str(text).split())
    return text[:300]


class Result(unittest.TextTestResult):
    def name(self, test):
        tid = test.id()
        return f"{prefix}/{tid[len('tests.'):] if tid.startswith('tests.') else tid}"

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


runner = unittest.TextTestRunner(stream=sys.stderr, verbosity=2, resultclass=Result)
prog = unittest.main(module=tests, testRunner=runner, exit=False)
with open(results, "a") as f:
    for line in lines:
        f.write(line + "\n")
sys.exit(0 if prog.result.wasSuccessful() else 1)
