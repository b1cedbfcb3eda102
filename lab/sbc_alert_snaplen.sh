#!/bin/bash
# live.sh (fixer cut): real dnsmasq (DHCP+DNS) + openssl s_server (self-signed: unknown CA to the client)
# on the SBC port 8934; phone = busybox udhcpc (MPP vendor class) + openssl s_client -tls1_2
# -verify_return_error (sends a plaintext unknown_ca alert). Captured at once, full and tcpdump -s 70 / -s 72.
set -u
D=${OUT:-/tmp/sbc-alert-snaplen}; mkdir -p $D; cd $D; rm -f *.pcap *.log pids
S=pscut-srv; P=pscut-ph
ip netns add $S; ip netns add $P
ip link add pscut-a type veth peer name pscut-b
ip link set pscut-a netns $S; ip link set pscut-b netns $P
ip netns exec $S ip link set lo up; ip netns exec $S ip link set pscut-a up
ip netns exec $S ip addr add 192.0.2.1/24 dev pscut-a
ip netns exec $S ip addr add 198.51.100.40/32 dev lo
ip netns exec $P ip link set lo up; ip netns exec $P ip link set pscut-b address 00:00:5e:00:53:41; ip netns exec $P ip link set pscut-b up
[ -f key.pem ] || openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 30 -subj /CN=sbc1.example.com -addext subjectAltName=DNS:sbc1.example.com 2>/dev/null
ip netns exec $S dnsmasq --no-daemon --conf-file=/dev/null --interface=pscut-a --bind-interfaces --no-resolv --no-hosts \
  --dhcp-range=192.0.2.100,192.0.2.150,1h --dhcp-option=3,192.0.2.1 --dhcp-option=6,192.0.2.1 \
  --address=/sbc1.example.com/198.51.100.40 --srv-host=_sips._tcp.example.com,sbc1.example.com,8934 \
  --dhcp-leasefile=$D/leases >dnsmasq.log 2>&1 &
echo $! > pids
ip netns exec $S openssl s_server -accept 198.51.100.40:8934 -cert cert.pem -key key.pem -quiet >sserver.log 2>&1 &
echo $! >> pids
ip netns exec $S tcpdump -Z root -U -i pscut-a -w full.pcap >/dev/null 2>&1 & echo $! >> pids
ip netns exec $S tcpdump -Z root -U -i pscut-a -s 70 -w s70.pcap >/dev/null 2>&1 & echo $! >> pids
ip netns exec $S tcpdump -Z root -U -i pscut-a -s 72 -w s72.pcap >/dev/null 2>&1 & echo $! >> pids
sleep 3
ip netns exec $P busybox udhcpc -i pscut-b -q -n -t 4 -T 2 -s /bin/true -x hostname:SEP00005E005341 -V "Cisco Systems, Inc. IP Phone CP-8851-3PCC" -O 66 -O 150 -O 160 > udhcpc.log 2>&1
L=$(grep -o "lease of [0-9.]*" udhcpc.log | awk '{print $3}'); [ -n "$L" ] && ip netns exec $P ip addr add $L/24 dev pscut-b
ip netns exec $P ip route add default via 192.0.2.1
sleep 0.3
ip netns exec $P dig +tries=1 +time=2 @192.0.2.1 _sips._tcp.example.com SRV > dig.log 2>&1
ip netns exec $P dig +tries=1 +time=2 @192.0.2.1 sbc1.example.com A >> dig.log 2>&1
echo | ip netns exec $P timeout 5 openssl s_client -connect 198.51.100.40:8934 -servername sbc1.example.com -tls1_2 -verify_return_error > sclient.log 2>&1
echo "s_client rc=$?" >> sclient.log
sleep 1.5
for p in $(tail -n +3 pids); do kill -INT $p; done; sleep 1.5
for p in $(head -2 pids); do kill $p; done; sleep 0.5
ip netns del $P; ip netns del $S
