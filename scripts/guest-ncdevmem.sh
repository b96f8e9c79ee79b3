#!/bin/bash
# Inside the guest, from guest-devmem.sh: upstream's ncdevmem in TX mode against the
# converted devmem TX path.  A plain TCP receiver (python3) in the network namespace
# devmem-peer stores what arrives; ncdevmem sends lines of stdin, each from offset 0
# of its buffer, in chunks of -z bytes; the bytes must arrive unchanged.
#   guest-ncdevmem.sh NCDEVMEM IFNAME LOCAL_ADDR PEER_ADDR [PROVIDER]
# PROVIDER is ncdevmem's memory provider (-m, kernel/patches/*ncdevmem*): udmabuf,
# phyr_vgem:system or phyr_vgem:device; without it ncdevmem runs as upstream's, with
# its default, udmabuf.  With a phyr_vgem provider the NIC's attachment to the
# dma-buf (debugfs dma_buf/bufinfo, read while ncdevmem sends) must be to phyr_vgem's
# buffer and have negotiated the phyr flavour, and ncdevmem must have made the buffer
# in the placement asked for.
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
nc=$1 ifname=$2 peer=$4 provider=${5:-}
port=5204
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# 64 lines of 1 to ~12000 bytes (several pages, an MSS and more), printable
# (one process: every process start costs ~0.5 s in the guest)
awk 'BEGIN { srand(24); for (i = 1; i <= 64; i++) { n = (i * i * 37) % 12000 + 1
	s = ""; for (j = 0; j < n; j++) s = s sprintf("%c", 33 + int(rand() * 90)); print s } }' \
	>"$tmp/in"
# the receiver: a plain socket, everything until EOF into a file
ip netns exec devmem-peer python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)
open(sys.argv[4], "w").close()
c, _ = s.accept()
with open(sys.argv[3], "wb") as f:
    while True:
        b = c.recv(65536)
        if not b:
            break
        f.write(b)
' "$peer" $port "$tmp/out" "$tmp/ready" &
rcv=$!
for _ in $(seq 100); do
	[ -e "$tmp/ready" ] && break
	sleep 0.1
done
args=()
[ -n "$provider" ] && args=(-m "$provider")
# -w (patch 0036): each send's completion may take longer than ncdevmem's 500 ms
# here, where TCP retransmits the frames QEMU's receiving e1000e drops
"$nc" -s "$peer" -p $port -f "$ifname" -t 0 -q 1 -z 4096 -w 10000 "${args[@]}" <"$tmp/in" \
	2>"$tmp/nc.err" &
ncpid=$!
# once bytes arrive, ncdevmem's binding exists: the dma-bufs the NIC is attached to
# then (bufinfo: a line per buffer, "size flags mode count exp_name ino name", then
# a line "\t<device>\t<flavour>[\tp2p:<kind>]" per attachment), read with bash's
# builtins only
pci=$(basename "$(readlink -f "/sys/class/net/$ifname/device")")
while [ ! -s "$tmp/out" ] && kill -0 $ncpid 2>/dev/null; do
	sleep 0.1
done
# (read again while ncdevmem runs and bufinfo shows no attachment of the NIC: one
# CI run of 2026-12-06 read none once, cause not found: docs/devmem.md)
att='' buf=''
while :; do
	mapfile -t lines </sys/kernel/debug/dma_buf/bufinfo
	for l in "${lines[@]}"; do
		case $l in
		[0-9]*) buf=$l ;;
		$'\t'"$pci"$'\t'*)
			IFS=$'\t' read -r size _ _ _ exp _ <<<"$buf"
			l=${l#$'\t'"$pci"$'\t'}
			att+="${att:+; }${l//$'\t'/ } (dma-buf of $((10#$size)) bytes, exporter $exp)" ;;
		esac
	done
	{ [ -n "$att" ] || ! kill -0 $ncpid 2>/dev/null; } && break
	sleep 0.1
done
# what bufinfo said, where it never showed the NIC attached
[ -n "$att" ] || printf 'bufinfo: %s\n' "${lines[@]}"
wait $ncpid
rc=$?
cat "$tmp/nc.err"
# (a receiver that no connection reached would wait for ever)
[ $rc = 0 ] || kill $rcv 2>/dev/null
wait $rcv
echo "ncdevmem exit $rc, sent $(wc -c <"$tmp/in") bytes, received $(wc -c <"$tmp/out")"
echo "nic_attachment=$pci ${att:-none seen}"
[ $rc = 0 ] || exit 1
# device memory: only where the NIC reaches the BAR through the host bridge (the
# hostbridge topology), mapped by its IOMMU domain; system memory: no P2P kind
case $provider in
phyr_vgem:device) want="phyr p2p:thru_host_bridge" ;;
*) want=phyr ;;
esac
case $provider in
phyr_vgem:*)
	[[ $att == *"$want (dma-buf of "*" bytes, exporter phyr_vgem)"* ]] ||
		{ echo "the NIC's attachment is not \"$want\" to a phyr_vgem buffer"; exit 1; }
	[[ $(<"$tmp/nc.err") == *"phyr_vgem: "*" bytes of ${provider#phyr_vgem:} memory on "* ]] ||
		{ echo "ncdevmem did not report a buffer in ${provider#phyr_vgem:} memory"; exit 1; } ;;
esac
cmp "$tmp/in" "$tmp/out"
