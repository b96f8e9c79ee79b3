#!/usr/bin/env bash
# Build upstream's devmem TCP selftest client, ncdevmem
# (tools/testing/selftests/drivers/net/hw/ncdevmem.c), from a kernel source tree,
# without writing into that tree: libynl (tools/net/ynl) and the netdev and
# ethtool families it uses are generated from the tree's YAML specs
# (Documentation/netlink/specs, python3 with PyYAML and jsonschema) into OUTDIR.
#   build-ncdevmem.sh KSRC UAPI_INCLUDE OUTDIR      -> OUTDIR/ncdevmem
set -euo pipefail
ksrc=${1:?usage: build-ncdevmem.sh KSRC UAPI_INCLUDE OUTDIR}
uapi=${2:?usage: build-ncdevmem.sh KSRC UAPI_INCLUDE OUTDIR}
out=${3:?usage: build-ncdevmem.sh KSRC UAPI_INCLUDE OUTDIR}
ynl=$ksrc/tools/net/ynl
mkdir -p "$out/gen"
for fam in netdev ethtool; do
	args=()
	# as tools/net/ynl/generated/Makefile generates them
	[ $fam = ethtool ] && args=(--user-header linux/ethtool_netlink.h --exclude-op stats-get)
	for mode in header source; do
		ext=h; [ $mode = source ] && ext=c
		# (the generator names the header it includes after its output file)
		python3 "$ynl/pyynl/ynl_gen_c.py" --mode user --$mode \
			--spec "$ksrc/Documentation/netlink/specs/$fam.yaml" \
			-o "$out/gen/$fam-user.$ext" "${args[@]}"
	done
done
cflags=(-std=gnu11 -O2 -g -Wall -isystem "$uapi"
	-I"$ynl/lib" -I"$out/gen")
gcc "${cflags[@]}" -o "$out/ncdevmem" \
	"$ksrc/tools/testing/selftests/drivers/net/hw/ncdevmem.c" \
	"$out/gen/netdev-user.c" "$out/gen/ethtool-user.c" "$ynl"/lib/*.c
echo "$out/ncdevmem"
