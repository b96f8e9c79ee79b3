#!/usr/bin/env bash
# The gate's own tests (layer gate-selftest of scripts/test.sh, docs/pipeline.md):
# deliberately broken runs must fail scripts/results.py, each in its own way.
#   scripts/tests/gate-selftest.sh RESULTS_DIR
# 1. on the host (seconds): gate-selftest.py parsing, a small results directory of
#    real excerpts and a broken copy of it per rule;
# 2. in a short guest (KUnit off, 1 GiB, 2-4 min under TCG): guest-gate.sh has edu
#    really DMA to a declared and to an undeclared IOVA, a program crash after its
#    PASS line and kmemleak switch itself off; gate-selftest.py guest judges each.
# One line per case into RESULTS_DIR/results-gate-selftest.txt.  Needs the run's
# kernel ($VM_KERNEL, set by prepare_all) and the kernel source ($PRISTINE).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

res=${1:?usage: gate-selftest.sh RESULTS_DIR}
out=$res/results-gate-selftest.txt
: >"$out"
python3 "$TOP/scripts/tests/gate-selftest.py" parsing "$out" "$PRISTINE"

g=$res/gate-selftest
mkdir -p "$g"
VM_KUNIT_FILTER=' kunit.enable=0' VM_MEMORY=1G VM_CONSOLE=$g/console.txt \
	bash "$TOP/scripts/vm.sh" --timeout "${GATE_SELFTEST_TIMEOUT:-600}" --rw "$g" \
	-- bash "$TOP/scripts/tests/guest-gate.sh" "$g"
vmrc=$?
[ $vmrc = 0 ] || { echo "gate-selftest: the guest failed (vm.sh exit $vmrc)"; tail -n 20 "$g/console.txt"; }
python3 "$TOP/scripts/tests/gate-selftest.py" guest "$out" "$PRISTINE" "$g"
