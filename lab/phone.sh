#!/bin/bash
# phone.sh - the phone-side driver. Runs inside one phone namespace and walks the
# MPP boot sequence with real clients, stopping where a real phone would stop:
#   DHCP (busybox udhcpc) -> local profile from option 66/150 (tftp-hpa) or
#   160 (curl) -> DNS activate.cisco.com (dig) -> HTTPS activation (curl) ->
#   DNS cisco.sipflash.com -> HTTPS provisioning -> DNS SRV _sips._tcp + A ->
#   TCP+TLS to the SBC port (openssl s_client) -> NTP (chronyd -Q) ->
#   SIP REGISTER with digest auth (sipp).
# Knobs (environment, set by build.sh from the scenario):
#   PH_MAC PH_MODEL PH_FW PH_STATE LAB PKI
#   PH_CAFILE     trust store used for every TLS check (default: the lab root CA)
#   PH_TLS_OPTS   extra s_client options for the SBC (e.g. -tls1_2)
#   PH_SIP_USER PH_SIP_PASS PH_SIP_TRANSPORT (u1 = UDP, t1 = TCP)
#   PH_DNS        DNS server to use instead of DHCP option 6 (e.g. an IPv6 one)
#   PH_V6ADDR     static IPv6 address/len for eth0, PH_V6GW its gateway
#   PH_PREFER_V6  1: reach activation/provisioning over the AAAA answer
#   PH_DIG_TRIES  dig tries per query (default 2)
#   PH_NTP_FIRST  1: NTP right after DHCP instead of after the SBC handshake
#   PH_SIP_PORT   the registrar's port (default 5060)
#   PH_SIP_CID    a fixed SIP Call-ID (default: sipp makes one)
#   PH_SIP_SCENARIO  the sipp scenario (default conf/register.xml)
#   PH_NO_SNI     1: activation and provisioning HTTPS to the IP literal (no SNI,
#                 no certificate check)
#   PH_TFTP_CLIENT  curl: fetch the option 66/150 profile with curl, which asks
#                 for blksize 1024 and tsize (the server answers OACK)
#   PH_CURL_FOLLOW  1: the option 159/160 fetch follows redirects (curl -L)
#   PH_CURL_EXTRA extra curl options for that fetch (e.g. a --resolve entry for
#                 the host a redirect names)
#   PH_TLS_RESET_NEXT  1: a TCP reset during the SBC handshake moves on to the
#                 next SRV target, as a refused connect does
set -u
: "${PH_MODEL:=CP-8851-3PCC}" "${PH_FW:=12.0.2}" "${PH_CAFILE:=$PKI/root-ca.crt}"
: "${PH_TLS_OPTS:=}" "${PH_SIP_USER:=5301}" "${PH_SIP_PASS:=Lab-Pass-53}"
: "${PH_SIP_TRANSPORT:=u1}" "${PH_DNS:=}" "${PH_V6ADDR:=}" "${PH_V6GW:=}"
: "${PH_PREFER_V6:=0}" "${PH_DIG_TRIES:=2}" "${PH_NTP_FIRST:=0}" "${PH_SIP_PORT:=5060}"
: "${PH_SIP_SCENARIO:=$LAB/conf/register.xml}" "${PH_NO_SNI:=0}"
# Scenario switches, all off by default: PH_DHCP_BG (udhcpc stays and renews
# the lease at the end), PH_DNS_FAILOVER_ALL (the SRV query too goes to each
# option-6 server in turn), PH_HTTP_STRICT (stop on a non-200 HTTPS answer),
# PH_SIP_IN_TLS (a REGISTER sent inside the SBC's TLS session, no cleartext
# SIP), PH_FAKETIME (every TLS client under libfaketime with that clock),
# PH_SBC_VIA (host:port to connect to instead of the SBC, e.g. a forwarder),
# PH_SIP_CMD (a command run instead of the SIP step), PH_TLS_CLIENT=gnutls
# (gnutls-cli makes the SBC handshake: in TLS 1.3 it sends its alerts
# encrypted, where openssl s_client sends them in clear).
: "${PH_DHCP_BG:=0}" "${PH_DNS_FAILOVER_ALL:=0}" "${PH_HTTP_STRICT:=0}" "${PH_SIP_IN_TLS:=0}"
: "${PH_FAKETIME:=}" "${PH_TLS_CLIENT:=openssl}"
ft() { if [ -n "$PH_FAKETIME" ]; then faketime "$PH_FAKETIME" "$@"; else "$@"; fi; }
: "${PH_TFTP_CLIENT:=tftp}" "${PH_CURL_FOLLOW:=0}" "${PH_CURL_EXTRA:=}" "${PH_TLS_RESET_NEXT:=0}"

hexmac=$(printf '%s' "$PH_MAC" | tr -d : | tr 'a-f' 'A-F')
ua="Cisco-$PH_MODEL/$PH_FW ($hexmac)"
log() { echo "phone $PH_MAC: $*"; }
stop() { log "gives up: $*"; exit 0; }

mkdir -p "$PH_STATE"
cd "$PH_STATE" || exit 1
ip link set lo up
ip link set eth0 up
# Classic exponential SYN back-off (1 s, 2 s, 4 s) and four SYNs per connect.
sysctl -qw net.ipv4.tcp_syn_linear_timeouts=0 2>/dev/null || true
sysctl -qw net.ipv4.tcp_syn_retries=3
if [ -n "$PH_V6ADDR" ]; then
    ip -6 addr add "$PH_V6ADDR" dev eth0 nodad
    [ -n "$PH_V6GW" ] && ip -6 route add default via "$PH_V6GW" dev eth0
fi
sleep 0.5

# 1. DHCP: hostname SEP<MAC>, the MPP vendor class, and the provisioning options
#    a 3PCC phone asks for (66 TFTP server, 150 Cisco TFTP, 159/160 profile URL).
export PH_STATE
if [ "$PH_DHCP_BG" = 1 ]; then
    # udhcpc stays running (no -q) so that a later SIGUSR1 renews the lease.
    rm -f "$PH_STATE/lease.env"
    busybox udhcpc -i eth0 -f -n -t 4 -T 2 -A 1 -s "$LAB/udhcpc.script" \
        -x "hostname:SEP$hexmac" -V "Cisco Systems, Inc. IP Phone $PH_MODEL" \
        -O 66 -O 150 -O 159 -O 160 -O ntpsrv -O domain >"$PH_STATE/udhcpc.log" 2>&1 &
    udhcpc_pid=$!
    for _ in $(seq 1 100); do [ -s "$PH_STATE/lease.env" ] && break; sleep 0.1; done
    [ -s "$PH_STATE/lease.env" ] || stop "no DHCP lease"
else
busybox udhcpc -i eth0 -f -q -n -t 4 -T 2 -A 1 -s "$LAB/udhcpc.script" \
    -x "hostname:SEP$hexmac" -V "Cisco Systems, Inc. IP Phone $PH_MODEL" \
    -O 66 -O 150 -O 159 -O 160 -O ntpsrv -O domain 2>&1 || stop "no DHCP lease"
fi
# shellcheck disable=SC1091
. "$PH_STATE/lease.env"
log "lease ${dhcp_ip:-?} dns ${dhcp_dns:-?} ntp ${dhcp_ntpsrv:-?}"

# 12. NTP (option 42): one chronyd -Q exchange, by default after the SBC handshake.
ntp_sync() {
    if [ -n "${dhcp_ntpsrv:-}" ]; then
        timeout 15 chronyd -Q -t 10 -u root "server ${dhcp_ntpsrv%% *} iburst maxsamples 1" \
            "pidfile $PH_STATE/chronyd.pid" "cmdport 0" "bindcmdaddress /" 2>&1 || log "ntp failed"
    fi
}
[ "$PH_NTP_FIRST" = 1 ] && ntp_sync

# DNS helper: the first address of the given type from the first option-6 server
# (or PH_DNS) that gives one, trying them in order; empty when none does.
# CNAME lines of the answer are skipped.
dns=${PH_DNS:-${dhcp_dns%% *}}
resolve() { # name type
    local s out
    for s in ${PH_DNS:-${dhcp_dns:-}}; do
        out=$(dig +tries="$PH_DIG_TRIES" +time=2 +nocookie +short @"$s" "$1" "$2" 2>/dev/null |
            grep -E '^[0-9.]+$|^[0-9a-f:]+$' | head -n 1)
        if [ -n "$out" ]; then
            echo "$out"
            return 0
        fi
    done
}

# 2./3. Local configuration: a TFTP or HTTP server from DHCP wins over activation.
hex2str() { printf '%s' "$1" | xxd -r -p | tr -d '\0'; }
tftp_server=""
if [ -n "${dhcp_tftp:-}" ]; then
    tftp_server=$dhcp_tftp
elif [ -n "${dhcp_opt150:-}" ]; then
    h=${dhcp_opt150:0:8}
    tftp_server=$(printf '%d.%d.%d.%d' "0x${h:0:2}" "0x${h:2:2}" "0x${h:4:2}" "0x${h:6:2}")
fi
profile_url=""
[ -n "${dhcp_opt160:-}" ] && profile_url=$(hex2str "$dhcp_opt160")
[ -z "$profile_url" ] && [ -n "${dhcp_opt159:-}" ] && profile_url=$(hex2str "$dhcp_opt159")
# Option 66 may name a host; it is resolved with option 6 like every other name.
if [ -n "$tftp_server" ] && ! printf '%s' "$tftp_server" | grep -qE '^[0-9.]+$'; then
    tftp_name=$tftp_server
    tftp_server=$(resolve "$tftp_name" A)
    log "option 66 host $tftp_name resolves to ${tftp_server:-nothing}"
fi
if [ -n "$tftp_server" ]; then
    rm -f profile.xml
    if [ "$PH_TFTP_CLIENT" = curl ]; then
        timeout 20 curl -sS --tftp-blksize 1024 -o profile.xml \
            "tftp://$tftp_server/$PH_MODEL.xml" 2>&1
    else
        timeout 20 tftp -m binary "$tftp_server" -c get "$PH_MODEL.xml" profile.xml 2>&1
    fi
    if [ -s profile.xml ]; then stop "took the local profile tftp://$tftp_server/$PH_MODEL.xml"; fi
    log "no profile on tftp://$tftp_server/, falling back to activation"
elif [ -n "$profile_url" ]; then
    # A host name in the URL is resolved with option 6 like every other name (curl
    # would ask the lab host's resolver); one that does not resolve is not fetched.
    purl_host=$(printf '%s' "$profile_url" | sed -E 's#^[a-z]+://([^/:]+).*#\1#')
    purl_port=$(printf '%s' "$profile_url" | sed -nE 's#^[a-z]+://[^/:]+:([0-9]+).*#\1#p')
    case $profile_url in
    https:*) purl_port=${purl_port:-443} ;;
    tftp:*) purl_port=${purl_port:-69} ;;
    *) purl_port=${purl_port:-80} ;;
    esac
    purl_resolve=() purl_ok=1
    if ! printf '%s' "$purl_host" | grep -qE '^[0-9.]+$'; then
        a=$(resolve "$purl_host" A)
        if [ -n "$a" ]; then
            purl_resolve=(--resolve "$purl_host:$purl_port:$a")
        else
            purl_ok=0
        fi
    fi
    code=000
    curl_opts=()
    [ "$PH_CURL_FOLLOW" = 1 ] && curl_opts+=(-L)
    # shellcheck disable=SC2206
    curl_opts+=($PH_CURL_EXTRA)
    if [ $purl_ok = 1 ]; then
        code=$(curl -sS "${curl_opts[@]}" "${purl_resolve[@]}" --cacert "$PH_CAFILE" \
            -o profile.xml -w '%{http_code}' --max-time 10 -A "$ua" "$profile_url")
    else
        log "profile host $purl_host does not resolve"
    fi
    # curl gives no status code for tftp:// (option 159 may carry one): a file is a find.
    if [ "$code" = 200 ] || { [ "${profile_url%%:*}" = tftp ] && [ -s profile.xml ]; }; then
        stop "took the local profile $profile_url"
    fi
    log "profile $profile_url answered $code, falling back to activation"
fi

https_get() { # name address path
    local host=$2
    case $host in *:*) host="[$host]" ;; esac
    if [ "$PH_NO_SNI" = 1 ]; then
        ft curl -sS -k -o /dev/null -w '%{http_code}\n' --max-time 15 -A "$ua" "https://$host$3"
        return
    fi
    ft curl -sS -o /dev/null -w '%{http_code}\n' --max-time 15 --cacert "$PH_CAFILE" \
        -A "$ua" --resolve "$1:443:$host" "https://$1$3"
}
pick() { # prefer AAAA when asked to
    if [ "$PH_PREFER_V6" = 1 ] && [ -n "$2" ]; then echo "$2"; else echo "$1"; fi
}

# 4./5. Activation (EDOS).
act4=$(resolve activate.cisco.com A)
act6=$(resolve activate.cisco.com AAAA)
act=$(pick "$act4" "$act6")
[ -n "$act" ] || stop "couldn't resolve activate.cisco.com"
code=$(https_get activate.cisco.com "$act" "/activation/$hexmac.xml") || stop "activation failed"
log "activation HTTP $code"
[ "$PH_HTTP_STRICT" = 1 ] && [ "$code" != 200 ] && stop "activation answered HTTP $code"

# 6./7. Provisioning from the profile rule the activation handed back.
prov4=$(resolve cisco.sipflash.com A)
prov6=$(resolve cisco.sipflash.com AAAA)
prov=$(pick "$prov4" "$prov6")
[ -n "$prov" ] || stop "couldn't resolve cisco.sipflash.com"
code=$(https_get cisco.sipflash.com "$prov" "/$PH_MODEL.xml") || stop "provisioning failed"
log "provisioning HTTP $code"
[ "$PH_HTTP_STRICT" = 1 ] && [ "$code" != 200 ] && stop "provisioning answered HTTP $code"

# 8. Outbound proxy: SRV, then A of every target in priority order.
srv=()
for s in $( [ "$PH_DNS_FAILOVER_ALL" = 1 ] && echo ${PH_DNS:-${dhcp_dns:-}} || echo "$dns"); do
    mapfile -t srv < <(dig +tries="$PH_DIG_TRIES" +time=2 +nocookie +short @"$s" \
        _sips._tcp.sbc.example.com SRV 2>/dev/null | grep -v '^;' | grep . | sort -n -k1,1 -k2,2r)
    [ "${#srv[@]}" -gt 0 ] && break
done
[ "${#srv[@]}" -gt 0 ] || stop "no SRV for _sips._tcp.sbc.example.com"

# 9./10. TCP then TLS to each target until one handshake completes.
sbc=""
for rec in "${srv[@]}"; do
    read -r _prio _weight port target <<<"$rec"
    target=${target%.}
    addr=$(resolve "$target" A)
    [ -n "$addr" ] || continue
    # shellcheck disable=SC2086
    sip_in=/dev/null
    if [ "$PH_SIP_IN_TLS" = 1 ]; then
        reg='REGISTER sip:sbc.example.com SIP/2.0\r\n'
        reg+='Via: SIP/2.0/TLS %s:5061;branch=z9hG4bK-psl\r\n'
        reg+='From: <sip:%s@sbc.example.com>;tag=psl\r\nTo: <sip:%s@sbc.example.com>\r\n'
        reg+='Call-ID: psl-tls-1\r\nCSeq: 1 REGISTER\r\nUser-Agent: %s\r\n'
        reg+='Content-Length: 0\r\n\r\n'
        # shellcheck disable=SC2059
        printf "$reg" "${dhcp_ip:-}" "$PH_SIP_USER" "$PH_SIP_USER" "$ua" >sip-in-tls.txt
        sip_in=sip-in-tls.txt
    fi
    # Without SIP inside, stdin is empty at once (s_client ends after the handshake).
    [ "$PH_SIP_IN_TLS" = 1 ] || sip_wait=0
    via=${PH_SBC_VIA:-$addr:$port}
    if [ "$PH_TLS_CLIENT" = gnutls ]; then
        # shellcheck disable=SC2086
        out=$( { cat "$sip_in"; sleep "${sip_wait:-2}"; } | ft timeout 40 gnutls-cli \
            --x509cafile "$PH_CAFILE" --sni-hostname "$target" --verify-hostname "$target" \
            -p "${via##*:}" "${via%:*}" $PH_TLS_OPTS 2>&1)
    else
        # shellcheck disable=SC2086
        out=$( { cat "$sip_in"; sleep "${sip_wait:-2}"; } | ft timeout 40 openssl s_client \
            -connect "$via" -servername "$target" \
            -CAfile "$PH_CAFILE" -verify_return_error -verify_hostname "$target" \
            $PH_TLS_OPTS $( [ "$PH_SIP_IN_TLS" = 1 ] && echo -nocommands) -brief 2>&1)
    fi
    rc=$?
    printf '%s\n' "$out" | sed "s/^/  $PH_TLS_CLIENT: /"
    if [ $rc -eq 0 ]; then sbc=$addr; break; fi
    if printf '%s' "$out" | grep -q 'connect:errno\|Connection refused\|timed out'; then
        log "no TCP to $target $addr:$port, next target"
        continue
    fi
    if [ "$PH_TLS_RESET_NEXT" = 1 ] && printf '%s' "$out" | grep -q 'errno=104\|reset'; then
        log "$target $addr:$port reset the handshake, next target"
        continue
    fi
    stop "TLS with $target failed"
done
[ -n "$sbc" ] || stop "no SBC reachable"

# NTP before registering, unless it ran right after DHCP.
[ "$PH_NTP_FIRST" = 1 ] || ntp_sync

if [ "$PH_SIP_IN_TLS" = 1 ]; then
    log "SIP went inside TLS to $sbc:8934"
    log "boot done"
    exit 0
fi
# 11. SIP REGISTER with digest authentication.
ip4=${dhcp_ip:-}
rm -f register.ok
[ -n "${PH_SIP_CMD:-}" ] && { eval "$PH_SIP_CMD"; log "custom sip done"; exit 0; }
timeout 60 sipp -sf "$PH_SIP_SCENARIO" -i "$ip4" -p 5060 -t "$PH_SIP_TRANSPORT" \
    -s "$PH_SIP_USER" -au "$PH_SIP_USER" -ap "$PH_SIP_PASS" -key ua "$ua" \
    -m 1 -l 1 -nostdin -timeout 30s ${PH_SIP_CID:+-cid_str "$PH_SIP_CID"} \
    "$sbc:$PH_SIP_PORT" >sipp.out 2>&1 || true
# sipp runs its exec action in a child: give the marker a moment to appear.
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -e register.ok ] && break; sleep 0.1; done
if [ -e register.ok ]; then log "registered"; else log "registration failed"; fi
log "boot done"
if [ "$PH_DHCP_BG" = 1 ]; then
    sleep 2
    log "renewing the lease (SIGUSR1 to udhcpc)"
    kill -USR1 "$udhcpc_pid"
    sleep 3
    kill -TERM "$udhcpc_pid"
fi
