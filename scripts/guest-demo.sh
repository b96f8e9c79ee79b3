#!/usr/bin/env bash
# The demo inside the guest: phyr-demo (a PRIME round trip), then phyrbuf on device
# memory: allocate in the ivshmem BAR, show its ranges and offered flavours, import it
# into the second device (negotiated: private), and move it to system memory and
# import it into the faux device (negotiated: sg_table).
#   scripts/guest-demo.sh UBUILD [phyr-demo args...]
set -euo pipefail
ub=$1
shift

"$ub/userspace/demo/phyr-demo" "$@"
pb=$ub/userspace/phyrbuf/phyrbuf
echo
echo "== phyrbuf info"
"$pb" info
echo
echo "== a 16 MiB buffer in device memory, imported by the second phyr_vgem device"
"$pb" alloc --size 16M --placement device --import-into 2
echo
echo "== the same, moved to system memory, imported by the faux device"
"$pb" alloc --size 16M --placement device --migrate system --import-into 0
