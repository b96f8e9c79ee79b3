#!/usr/bin/env bash
# Build upstream's devmem TCP selftest client, ncdevmem
# (tools/testing/selftests/drivers/net/hw/ncdevmem.c), from a kernel source tree,
# without writing into that tree: ncdevmem.c is copied into OUTDIR/src and our
# patches of it (kernel/patches/*ncdevmem*: the phyr_vgem memory provider, -m; the
# wait for the socket, -w)
# are applied there; libynl (tools/net/ynl) and the netdev and ethtool families
# it uses are generated from the tree's YAML specs (Documentation/netlink/specs,
# python3 with PyYAML and jsonschema) into OUTDIR.
#   build-ncdevmem.sh KSRC UAPI_INCLUDE OUTDIR      -> OUTDIR/ncdevmem
set -euo pipefail
ksrc=${1:?usage: build-ncdevmem.sh KSRC UAPI_INCLUDE OUTDIR}
uapi=${2:?usage: build-ncdevmem.sh KSRC UAPI_INCLUDE OUTDIR}
out=${3:?usage: build-ncdevmem.sh KSRC UAPI_INCLUDE OUTDIR}
top=$(cd "$(dirname "$0")/../.." && pwd)
ynl=$ksrc/tools/net/ynl
src=tools/testing/selftests/drivers/net/hw/ncdevmem.c
rm -rf "$out/src" "$out/include"
mkdir -p "$out/gen" "$out/src/${src%/*}" "$out/include/drm"
cp "$ksrc/$src" "$out/src/$src"
patches=("$top"/kernel/patches/*ncdevmem*.patch)
[ -e "${patches[0]}" ] || { echo "no ncdevmem patch in $top/kernel/patches" >&2; exit 1; }
for p in "${patches[@]}"; do
	patch -p1 -s -d "$out/src" <"$p"
done
# phyr_vgem's uAPI header is ours (kernel/include/uapi/drm): the pristine tree's
# headers_install output (UAPI_INCLUDE) does not have it.  It includes "drm.h" from
# its own directory: copies of drm.h and drm_mode.h (which includes "drm.h") go
# next to it, ahead of UAPI_INCLUDE.
cp "$top/kernel/include/uapi/drm/phyr_vgem_drm.h" "$uapi/drm/drm.h" "$uapi/drm/drm_mode.h" \
	"$out/include/drm/"
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
cflags=(-std=gnu11 -O2 -g -Wall -isystem "$out/include" -isystem "$uapi"
	-I"$ynl/lib" -I"$out/gen")
gcc "${cflags[@]}" -o "$out/ncdevmem" \
	"$out/src/$src" \
	"$out/gen/netdev-user.c" "$out/gen/ethtool-user.c" "$ynl"/lib/*.c
echo "$out/ncdevmem"
