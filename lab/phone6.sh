#!/bin/bash
# phone6.sh - an IPv6-only phone driver (SC_PHONE_SCRIPT=phone6.sh). No DHCPv4:
# a static address in 2001:db8:1::/64 with the gateway as DNS server, then the
# MPP order over IPv6 only: DNS AAAA (and A) activate.cisco.com -> HTTPS
# activation -> AAAA cisco.sipflash.com -> HTTPS provisioning -> SRV
# _sips._tcp -> AAAA sbc1 -> TCP+TLS to [sbc1]:8934 -> SIP REGISTER over UDP.
# No NTP (option 42 is DHCPv4). Knobs: PH_MAC PH_STATE LAB PKI (as phone.sh).
set -u
hexmac=$(printf '%s' "$PH_MAC" | tr -d : | tr 'a-f' 'A-F')
ua="Cisco-CP-8851-3PCC/12.0.2 ($hexmac)"
addr=2001:db8:1::101
dns=2001:db8:1::1
mkdir -p "$PH_STATE"
cd "$PH_STATE" || exit 1
ip link set lo up
ip link set eth0 up
ip -6 addr add $addr/64 dev eth0 nodad
ip -6 route add default via $dns dev eth0
sleep 0.5
echo "addr $addr"
resolve() { # name type : first address of the answer
    dig +time=2 +nocookie +short @"$dns" "$1" "$2" | grep -E '^[0-9.]+$|^[0-9a-f:]+$' | head -n 1
}
https_get() { # name address path
    curl -sS -o /dev/null -w '%{http_code}\n' --max-time 15 --cacert "$PKI/root-ca.crt" \
        -A "$ua" --resolve "$1:443:[$2]" "https://$1$3"
}
act=$(resolve activate.cisco.com AAAA)
resolve activate.cisco.com A >/dev/null
https_get activate.cisco.com "$act" "/activation/$hexmac.xml"
prov=$(resolve cisco.sipflash.com AAAA)
https_get cisco.sipflash.com "$prov" /CP-8851-3PCC.xml
dig +nocookie +short @"$dns" _sips._tcp.sbc.example.com SRV
sbc=$(resolve sbc1.example.com AAAA)
echo "sbc $sbc"
timeout 40 openssl s_client -connect "[$sbc]:8934" -servername sbc1.example.com \
    -CAfile "$PKI/root-ca.crt" -verify_return_error -brief </dev/null 2>&1
timeout 60 sipp -sf "$LAB/conf/register.xml" -i "$addr" -p 5060 -t u1 \
    -s 5301 -au 5301 -ap Lab-Pass-53 -key ua "$ua" \
    -m 1 -l 1 -nostdin -timeout 30s "[$sbc]:5060" >sipp.out 2>&1
echo "sipp rc $?"
