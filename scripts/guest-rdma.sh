#!/bin/bash
# Inside the guest: the RDMA test bed.  Two soft-RoCE devices on the two ends of one veth
# pair: rxe0 on veth0 (10.77.0.1) here, rxe1 on veth1 (10.77.0.2) in the network
# namespace phyr-peer -- two rxe devices in one namespace cannot reach each other (the
# route between their addresses goes through lo).  RDMA devices are shared by all
# namespaces (the default netns mode), so one process can use both.  MTU 9000: rxe's path
# MTU is then 4096, a quarter of the packets of the default.
#   guest-rdma.sh        set it up (nothing to do if rxe1 exists), print it
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
if [ ! -e /sys/class/infiniband/rxe1 ]; then
	ip netns add phyr-peer &&
	ip link add veth0 mtu 9000 type veth peer name veth1 mtu 9000 netns phyr-peer &&
	ip addr add 10.77.0.1/24 dev veth0 && ip link set veth0 up && ip link set lo up &&
	ip -n phyr-peer addr add 10.77.0.2/24 dev veth1 &&
	ip -n phyr-peer link set veth1 up && ip -n phyr-peer link set lo up &&
	rdma link add rxe0 type rxe netdev veth0 &&
	ip netns exec phyr-peer rdma link add rxe1 type rxe netdev veth1 || exit 1
fi
# the GIDs appear asynchronously: wait (at most 10 s) for both IPv4 ones
for _ in $(seq 100); do
	n=0
	for d in rxe0 rxe1; do
		grep -qs '^0000:0000:0000:0000:0000:ffff:' /sys/class/infiniband/$d/ports/1/gids/* &&
			n=$((n + 1))
	done
	[ $n = 2 ] && break
	sleep 0.1
done
rdma link show
[ $n = 2 ]
