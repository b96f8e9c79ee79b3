#!/bin/bash
# Runs inside the test guest (from guest-test.sh): the iommufd layers, results into $1.
#   guest-iommufd.sh RESULTS_DIR USERSPACE_BUILD_DIR
# - iommufd-selftests: upstream's tools/testing/selftests/iommu (iommufd and
#   iommufd_fail_nth, built by userspace.sh), every TAP result a line of
#   results-iommufd-selftests.txt;
# - vfio: edu bound to vfio-pci, userspace/vfio/test-vfio (iommufd importing
#   phyr_vgem and VFIO dma-bufs through the dma-buf core's IOMMU converter, with
#   real DMA through the vIOMMU) and the phyrbuf CLI's vfio-dma command, into
#   results-vfio.txt.
# What must pass, and which skips are expected, is in scripts/expected/.
res=$1
ub=$2
. "$(dirname "$0")/guest-lib.sh"

# stamp: each line of stdin prefixed with the time it arrived (microseconds)
stamp() {
	local l
	while IFS= read -r l; do
		printf '%s %s\n' "${EPOCHREALTIME/./}" "$l"
	done
}

# tap FILE PREFIX: the stamped TAP of a kselftest binary as result lines, each
# with how long the test ran: "ok N name [# SKIP why]", "not ok N name"
tap() {
	local ts line rest name why start=0 dt
	while read -r ts line; do
		case "$line" in
		"#  RUN "*)
			start=$ts ;;
		"ok "*|"not ok "*)
			rest=${line#ok }
			[ "${line:0:3}" = "not" ] && rest=${line#not ok }
			rest=${rest#* }
			name=${rest%% *}
			dt=$(( (ts - start) / 100000 ))
			dt="($((dt / 10)).$((dt % 10)) s)"
			if [[ $rest == *"# SKIP"* ]]; then
				why=${rest#*# SKIP}
				echo "SKIP $2$name${why}"
			elif [ "${line:0:3}" = "not" ]; then
				echo "FAIL $2$name $dt"
			else
				echo "PASS $2$name $dt"
			fi ;;
		esac
	done <"$1"
}

# --- upstream's iommufd selftests ---------------------------------------------------
# The test command runs a subset (PHYR_IOMMUFD_SELFTESTS=subset, the default): every
# test of iommufd but the slowest groups, which exercise iommufd's own access, fork,
# IOVA allocator and dirty-tracking paths and take ~650 of the suite's ~850 s under TCG,
# and of iommufd_fail_nth the MAP_FILE sweep.  scripts/test-iommufd.sh runs the whole of
# both (PHYR_IOMMUFD_SELFTESTS=full, layer iommufd-selftests-full).  docs/iommufd.md.
mode=${PHYR_IOMMUFD_SELFTESTS:-subset}
st=$ub/iommufd-selftests
layer=iommufd-selftests
if [ "$mode" = full ]; then
	layer=iommufd-selftests-full
	out=$res/results-iommufd-selftests-full.txt
	args_iommufd=()
	args_fail_nth=()
else
	out=$res/results-iommufd-selftests.txt
	args_iommufd=(-T access_rw -T access_rw_unaligned -T fork_gone -T fork_present
		      -T ioas_iova_alloc -T all_aligns_copy -F iommufd_dirty_tracking)
	args_fail_nth=(-t map_file_domain)
fi
: >"$out"
if [ -x "$st/iommufd" ] && [ -x "$st/iommufd_fail_nth" ]; then
	# hugetlbfs pages for the *_hugepage variants, huge_map and the 128M dirty
	# tracking buffer (64 pages of 2 MiB)
	echo 80 >/proc/sys/vm/nr_hugepages
	for b in iommufd iommufd_fail_nth; do
		t0=$EPOCHSECONDS
		if [ $b = iommufd ]; then
			"$st/$b" "${args_iommufd[@]}" 2>&1 | stamp >"$res/$b.tap"
		else
			"$st/$b" "${args_fail_nth[@]}" 2>&1 | stamp >"$res/$b.tap"
		fi
		echo "${PIPESTATUS[0]}" >"$res/$layer.$b.rc"
		echo "$b ($mode): $((EPOCHSECONDS - t0)) s" >>"$res/iommufd-selftests.time"
		tap "$res/$b.tap" "$b:" >>"$out"
		# the harness's plan says how many tests it meant to run: none may be missing
		plan=$(sed -n 's/^[0-9]* 1\.\.\([0-9]*\)$/\1/p' "$res/$b.tap" | head -n 1)
		ran=$(grep -cE '^[0-9]+ (not )?ok ' "$res/$b.tap")
		if [ -n "$plan" ] && [ "$plan" = "$ran" ]; then
			echo "PASS $b:plan ($ran tests)" >>"$out"
		else
			echo "FAIL $b:plan planned ${plan:-nothing}, reported $ran" >>"$out"
		fi
	done
	echo 0 >/proc/sys/vm/nr_hugepages
else
	echo "FAIL build the selftests were not built ($st)" >>"$out"
fi

# --- end to end: edu behind VFIO and iommufd ------------------------------------
[ "$mode" = full ] && exit 0
out=$res/results-vfio.txt
: >"$out"
edu=
for d in /sys/bus/pci/devices/*; do
	[ "$(<"$d/vendor")" = 0x1234 ] && [ "$(<"$d/device")" = 0x11e8 ] && edu=${d##*/}
done
vfio_bind() {
	local i
	echo vfio-pci >"/sys/bus/pci/devices/$edu/driver_override" || return 1
	echo "$edu" >/sys/bus/pci/drivers_probe
	for ((i = 0; i < 50; i++)); do
		for d in /sys/bus/pci/devices/"$edu"/vfio-dev/vfio*; do
			[ -c "/dev/vfio/devices/${d##*/}" ] && return 0
		done
		sleep 0.1
	done
	return 1
}
if [ -z "$edu" ]; then
	echo "FAIL setup no edu device" >>"$out"
elif ! vfio_bind; then
	echo "FAIL setup cannot bind $edu to vfio-pci" >>"$out"
else
	# the tests have edu DMA to IOVAs that a move or a revoke took away: before each,
	# test-vfio declares the fault it expects (edu, the IOVA range) in the boot's
	# expected-reports.txt, and the dmesg gate passes only those
	PHYR_EXPECTED_REPORTS=$res/expected-reports.txt \
		"$ub/userspace/vfio/test-vfio" --results "$out" "$edu" >"$res/vfio.txt" 2>&1
	echo $? >"$res/vfio.rc"

	# the CLI: phyrbuf vfio-dma, in both placements, its help and its errors
	pb=$ub/userspace/phyrbuf/phyrbuf
	cli() {	# cli NAME EXPECTED_STATUS REGEX ARGS...: stdout+stderr must match
		local name=$1 want=$2 re=$3 o st
		shift 3
		o=$("$pb" "$@" 2>&1)
		st=$?
		printf '$ phyrbuf %s\n%s\nexit %s\n' "$*" "$o" "$st" >>"$res/vfio-cli.txt"
		if [ "$st" != "$want" ]; then
			echo "FAIL cli-$name exit $st, expected $want" >>"$out"
		elif ! [[ $o =~ $re ]]; then
			echo "FAIL cli-$name output does not match '$re'" >>"$out"
		else
			echo "PASS cli-$name" >>"$out"
		fi
	}
	cli system 0 "verified: +[0-9]+ bytes through the CPU mapping" vfio-dma --pci "$edu" --size 64K
	cli device 0 "placement: +device.*verified:" vfio-dma --pci "$edu" --size 256K \
		--placement device --iova 0x2000000
	cli help 0 "^usage: phyrbuf vfio-dma --pci ADDRESS" vfio-dma --help
	cli no-pci 2 "^phyrbuf: vfio-dma needs --pci" vfio-dma
	cli bad-iova 2 "beyond edu's 28 bits" vfio-dma --pci "$edu" --iova 0xfff8000
	cli no-device 1 "^phyrbuf: 0000:0f:1f.7: no such PCI device$" vfio-dma --pci 0000:0f:1f.7

	echo "$edu" >/sys/bus/pci/drivers/vfio-pci/unbind
	echo >"/sys/bus/pci/devices/$edu/driver_override"
fi
