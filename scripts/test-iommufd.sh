#!/usr/bin/env bash
# The full run of upstream's iommufd selftests against our kernel: every test of
# iommufd and iommufd_fail_nth (the test command runs a subset, ~4 min; this takes
# ~13 min under TCG: 417 s + 165 s in the guest, measured 2026-12-02).  Builds like test.sh, boots the test kernel once and judges
# the layer iommufd-selftests-full and the boot's dmesg gate.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

t0=$(date +%s)
new_run iommufd-full
res=$RUN
info "this run: $res"
prepare_all
echo root >"$res/boot"
step "booting the test kernel and running the whole iommufd selftests (console: $res/console.txt)"
set +e
VM_CONSOLE=$res/console.txt bash "$TOP/scripts/vm.sh" --timeout "${TEST_TIMEOUT:-5400}" \
	--rw "$res" --rw "$UBUILD" -- bash "$TOP/scripts/guest-iommufd-full.sh" "$res" "$UBUILD"
vmrc=$?
PHYR_LAYERS=iommufd-selftests-full python3 "$TOP/scripts/results.py" "$res" "$PRISTINE" \
	"$TOP/scripts/expected"
rc=$?
set -e
cat "$res/iommufd-selftests.time" 2>/dev/null || true
info "results: $res; total time $(( $(date +%s) - t0 )) s"
[ $vmrc = 0 ] || { tail -n 40 "$res/console.txt"; echo "test-iommufd: FAILED: the guest did not finish (vm.sh exit $vmrc)"; exit 1; }
[ $rc = 0 ] || { echo "test-iommufd: FAILED: see the failures above"; exit 1; }
