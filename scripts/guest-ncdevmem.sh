#!/bin/bash
# Inside the guest, from guest-devmem.sh: upstream's ncdevmem in TX mode (its udmabuf
# provider) against the converted devmem TX path.  A plain TCP receiver (python3)
# in the network namespace devmem-peer stores what arrives; ncdevmem sends lines of
# stdin, each from offset 0 of its udmabuf, in chunks of -z bytes; the bytes must
# arrive unchanged.
#   guest-ncdevmem.sh NCDEVMEM IFNAME LOCAL_ADDR PEER_ADDR
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
nc=$1 ifname=$2 peer=$4
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
"$nc" -s "$peer" -p $port -f "$ifname" -t 0 -q 1 -z 4096 <"$tmp/in"
rc=$?
wait $rcv
echo "ncdevmem exit $rc, sent $(wc -c <"$tmp/in") bytes, received $(wc -c <"$tmp/out")"
[ $rc = 0 ] && cmp "$tmp/in" "$tmp/out"
