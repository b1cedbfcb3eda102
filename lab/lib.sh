# lib.sh - shared pieces of the capture lab, sourced by build.sh.
# Topology of every scenario (all names start with psl-, all addresses are
# documentation ranges):
#
#   psl-ph1 eth0 00:00:5e:00:53:01 --+
#   psl-ph2 eth0 00:00:5e:00:53:02 --+-- br0 in psl-sw (tcpdump here) -- eth0 psl-net
#   psl-ph3 eth0 00:00:5e:00:53:03 --+                        00:00:5e:00:53:fe
#
# psl-net is the phones' whole world: gateway/DHCP/DNS 192.0.2.1, local config
# server 192.0.2.10, validating resolver 192.0.2.53 and, on its loopback, the
# "internet" servers (activation 198.51.100.10, provisioning 198.51.100.30,
# SBCs 198.51.100.20/.21 with the SIP registrar, NTP 203.0.113.123, an upstream
# DNS 203.0.113.53). Only the LAN side (br0) is captured.

NS_SW=psl-sw
NS_NET=psl-net
NET_MAC=00:00:5e:00:53:fe
IP_GW=192.0.2.1
IP_CFG=192.0.2.10
IP_RESOLVER=192.0.2.53
IP_ACT=198.51.100.10
IP6_ACT=2001:db8:100::10
IP_PROV=198.51.100.30
IP6_PROV=2001:db8:100::30
IP_SBC1=198.51.100.20
IP_SBC2=198.51.100.21
IP_NTP=203.0.113.123
IP_UPSTREAM=203.0.113.53
IP6_GW=2001:db8:1::1
SBC_PORT=8934

STAGES="dhcp dhcp-options local-config dns-activation activation dns-provisioning \
provisioning dns-srv sbc-connect sbc-tls sip-register ntp"

log() { echo "[lab] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
nsx() { ip netns exec "$@"; }
phone_mac() { printf '00:00:5e:00:53:%02x' "$1"; }

# Start a long-running process in a namespace; its pid goes to $WORK/pids.
bg_in() { # ns name cmd...
    local ns=$1 name=$2
    shift 2
    ip netns exec "$ns" "$@" >"$WORK/log/$name.log" 2>&1 </dev/null &
    echo "$! $name" >>"$WORK/pids"
}

wait_for() { # seconds command... : poll until the command succeeds
    local n=$(($1 * 10))
    shift
    while [ $n -gt 0 ]; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

listening() { # ns proto addr port
    nsx "$1" ss -Hln"${2:0:1}" | awk '{print $4}' | grep -qx "$3:$4"
}

# Stop what this lab started: first the recorded pids, then anything still
# inside a psl- namespace (only this lab creates those), then the namespaces.
teardown() {
    local pid name ns left
    if [ -f "${WORK:-/nonexistent}/pids" ]; then
        while read -r pid name; do
            kill -TERM "$pid" 2>/dev/null
        done <"$WORK/pids"
        sleep 0.3
        while read -r pid name; do
            kill -KILL "$pid" 2>/dev/null
        done <"$WORK/pids"
        : >"$WORK/pids"
    fi
    for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^psl-/ {print $1}'); do
        left=$(ip netns pids "$ns" 2>/dev/null)
        if [ -n "$left" ]; then
            # shellcheck disable=SC2086
            kill -KILL $left 2>/dev/null
            sleep 0.1
        fi
        ip netns del "$ns" 2>/dev/null
    done
    return 0
}

ns_new() { # ns [v6]
    ip netns add "$1"
    nsx "$1" ip link set lo up
    local v=1
    [ "${2:-0}" = 1 ] && v=0
    nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=$v net.ipv6.conf.default.disable_ipv6=$v
}

# Lab PKI: a root CA the phones trust, an "inspection" CA they do not, and
# server certificates (EC P-256) for every TLS name, plus expired and
# not-yet-valid root-signed ones for the two SBCs, and an issuing CA under the
# root with leaves for the provisioning server and sbc1 (a chain the servers
# must send).
make_pki() {
    local d=$WORK/pki name ca
    mkdir -p "$d"
    cd "$d" || return 1
    mkca() { # file cn
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
            -keyout "$1.key" -out "$1.crt" -days 3650 -subj "/O=PSL Lab/CN=$2" \
            -addext basicConstraints=critical,CA:TRUE \
            -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    }
    mkleaf() { # file cn ca
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout "$1.key" -out "$1.csr" -subj "/O=PSL Lab/CN=$2" 2>/dev/null
        printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
            "$2" >"$1.ext"
        openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial \
            -sha256 -days 825 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    }
    mkca_sub() { # file cn parent : a CA that may issue leaves only (pathlen 0)
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout "$1.key" -out "$1.csr" -subj "/O=PSL Lab/CN=$2" 2>/dev/null
        printf '%s\n' basicConstraints=critical,CA:TRUE,pathlen:0 \
            keyUsage=critical,keyCertSign,cRLSign >"$1.ext"
        openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial \
            -sha256 -days 1825 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    }
    mkleaf_dated() { # file cn ca notBefore notAfter (YYYYMMDDHHMMSSZ)
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout "$1.key" -out "$1.csr" -subj "/O=PSL Lab/CN=$2" 2>/dev/null
        # x509 -req can't backdate; openssl ca takes -startdate/-enddate.
        rm -rf ca-db && mkdir -p ca-db && : >ca-db/index.txt && echo 1000 >ca-db/serial
        cat >ca.cnf <<EOC
[ca]
default_ca=lab
[lab]
database=ca-db/index.txt
serial=ca-db/serial
new_certs_dir=ca-db
default_md=sha256
policy=pol
[pol]
commonName=supplied
organizationName=optional
[ext]
subjectAltName=DNS:$2
extendedKeyUsage=serverAuth
basicConstraints=CA:FALSE
EOC
        openssl ca -batch -config ca.cnf -cert "$3.crt" -keyfile "$3.key" -in "$1.csr" \
            -out "$1.crt" -startdate "$4" -enddate "$5" \
            -extensions ext -notext 2>/dev/null
    }
    mkca root-ca "PSL Lab Root CA"
    mkca inspect-ca "PSL Lab TLS Inspection CA"
    for name in activate.cisco.com cisco.sipflash.com sbc1.example.com sbc2.example.com; do
        mkleaf "$name" "$name" root-ca
    done
    mkca_sub inter-ca "PSL Lab Issuing CA 1" root-ca
    mkleaf prov-chained cisco.sipflash.com inter-ca
    mkleaf sbc1-chained sbc1.example.com inter-ca
    mkleaf cfg.lab.example.com cfg.lab.example.com root-ca
    mkleaf sbc1-inspected sbc1.example.com inspect-ca
    mkleaf sbc2-inspected sbc2.example.com inspect-ca
    mkleaf act-inspected activate.cisco.com inspect-ca
    # Expired (2024-01-01 to 2025-01-01) and not yet valid (from 2030-01-01).
    for name in sbc1 sbc2; do
        mkleaf_dated $name-expired $name.example.com root-ca 20240101000000Z 20250101000000Z
        mkleaf_dated $name-notyetvalid $name.example.com root-ca 20300101000000Z 20310101000000Z
    done
    cd - >/dev/null || return 1
}

# The dnsmasq configuration every scenario starts from; the scenario may add
# lines (sc_dnsmasq) that override or extend it.
dnsmasq_conf() {
    cat <<EOF
# dnsmasq for the lab LAN: DHCP and DNS on $IP_GW only
no-resolv
no-hosts
no-poll
bind-interfaces
listen-address=$IP_GW
user=root
pid-file=$WORK/dnsmasq.pid
dhcp-leasefile=$WORK/dnsmasq.leases
log-facility=-
log-queries
log-dhcp
dhcp-authoritative
dhcp-range=192.0.2.100,192.0.2.199,255.255.255.0,1h
dhcp-host=$(phone_mac 1),192.0.2.101,set:ph1
dhcp-host=$(phone_mac 2),192.0.2.102,set:ph2
dhcp-host=$(phone_mac 3),192.0.2.103,set:ph3
domain=lab.example.com
dhcp-option=option:router,$IP_GW
dhcp-option=option:dns-server,${DHCP_DNS:-$IP_GW}
dhcp-option=option:ntp-server,$IP_NTP
${SC_NO_ACT_RECORD:+# no record: }host-record=activate.cisco.com,$IP_ACT,$IP6_ACT
host-record=cisco.sipflash.com,$IP_PROV,$IP6_PROV
host-record=sbc1.example.com,$IP_SBC1
host-record=sbc2.example.com,$IP_SBC2
${SC_NO_SRV:+# no SRV: }srv-host=_sips._tcp.sbc.example.com,sbc1.example.com,$SBC_PORT,10,60
${SC_NO_SRV:+# no SRV: }srv-host=_sips._tcp.sbc.example.com,sbc2.example.com,$SBC_PORT,20,40
EOF
}

# Build the topology for phones 1..$1 and start the servers in psl-net.
build_net() { # nphones v6
    local n=$1 v6=$2 i
    ns_new $NS_SW 0
    nsx $NS_SW sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    nsx $NS_SW ip link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
    nsx $NS_SW ip link set br0 up
    ns_new $NS_NET "$v6"
    ip link add eth0 netns $NS_NET address $NET_MAC type veth peer name p-net netns $NS_SW
    nsx $NS_SW ip link set p-net master br0 up
    for i in $(seq 1 "$n"); do
        ns_new "psl-ph$i" "$v6"
        ip link add eth0 netns "psl-ph$i" address "$(phone_mac "$i")" type veth \
            peer name "p-ph$i" netns $NS_SW
        nsx $NS_SW ip link set "p-ph$i" master br0 up
    done
    # psl-net: LAN addresses on eth0, the remote servers on loopback.
    nsx $NS_NET ip link set eth0 up
    nsx $NS_NET ip addr add $IP_GW/24 dev eth0
    nsx $NS_NET ip addr add $IP_CFG/24 dev eth0
    nsx $NS_NET ip addr add $IP_RESOLVER/24 dev eth0
    for i in $IP_ACT $IP_PROV $IP_SBC1 $IP_SBC2 $IP_NTP $IP_UPSTREAM; do
        nsx $NS_NET ip addr add "$i/32" dev lo
    done
    if [ "$v6" = 1 ]; then
        nsx $NS_NET ip addr add $IP6_GW/64 dev eth0 nodad
        nsx $NS_NET ip addr add $IP6_ACT/128 dev lo
        nsx $NS_NET ip addr add $IP6_PROV/128 dev lo
    fi
}

start_servers() {
    local v6=$1 f
    # DHCP + DNS
    { dnsmasq_conf; declare -F sc_dnsmasq >/dev/null && sc_dnsmasq; } >"$WORK/dnsmasq.conf"
    rm -f "$WORK/dnsmasq.leases"
    bg_in $NS_NET dnsmasq dnsmasq -k -C "$WORK/dnsmasq.conf"
    # HTTPS: activation and provisioning (openssl s_server -WWW serves $WORK/www)
    mkdir -p "$WORK/www/activation"
    for i in 1 2 3; do
        f=$(printf '00005E00530%d' "$i")
        printf '<flat-profile><Profile_Rule>%s</Profile_Rule></flat-profile>\n' \
            'https://cisco.sipflash.com/$PSN.xml' >"$WORK/www/activation/$f.xml"
    done
    printf '<flat-profile><Proxy_1_>sbc.example.com</Proxy_1_></flat-profile>\n' \
        >"$WORK/www/CP-8851-3PCC.xml"
    https_server act4 "$IP_ACT:443" activate.cisco.com -WWW
    https_server prov4 "$IP_PROV:443" cisco.sipflash.com -WWW
    if [ "$v6" = 1 ]; then
        https_server act6 "[$IP6_ACT]:443" activate.cisco.com -WWW
        https_server prov6 "[$IP6_PROV]:443" cisco.sipflash.com -WWW
    fi
    # SBCs: TLS on 8934 (scenarios may replace or skip them)
    if declare -F sc_sbc >/dev/null; then
        sc_sbc
    else
        https_server sbc1 "$IP_SBC1:$SBC_PORT" sbc1.example.com -rev
        https_server sbc2 "$IP_SBC2:$SBC_PORT" sbc2.example.com -rev
    fi
    # NTP server (chronyd serving its own clock, never setting it)
    cat >"$WORK/chrony-server.conf" <<EOF
bindaddress $IP_NTP
port 123
allow 192.0.2.0/24
local stratum 8
cmdport 0
bindcmdaddress /
pidfile $WORK/chronyd-server.pid
EOF
    bg_in $NS_NET chronyd chronyd -d -x -u root -f "$WORK/chrony-server.conf"
    # SIP registrar on the SBC addresses
    mkdir -p "$WORK/kamailio"
    # shellcheck disable=SC2086
    bg_in $NS_NET kamailio kamailio -f "$LAB/conf/kamailio.cfg" -DD -E -m 32 -M 8 \
        -Y "$WORK/kamailio" -P "$WORK/kamailio/kamailio.pid" ${KAMAILIO_DEFINES:-}
    declare -F sc_net >/dev/null && sc_net
    wait_for 10 listening $NS_NET udp $IP_GW 53 || die "dnsmasq did not start"
    wait_for 10 listening $NS_NET tcp $IP_ACT 443 || die "s_server for activation did not start"
    wait_for 10 listening $NS_NET udp $IP_SBC1 5060 || die "kamailio did not start"
    wait_for 10 listening $NS_NET udp $IP_NTP 123 || die "chronyd did not start"
}

https_server() { # name accept cert-name mode [extra s_server options...]
    local name=$1 accept=$2 cert=$3 mode=$4
    shift 4
    # s_server -WWW serves files relative to its working directory.
    bg_in $NS_NET "s_server-$name" sh -c 'cd "$0" && exec "$@"' "$WORK/www" \
        openssl s_server -accept "$accept" -cert "$WORK/pki/$cert.crt" \
        -key "$WORK/pki/$cert.key" "$mode" -quiet "$@"
}

# With SC_EXTRA=1 three more tcpdumps record the same boot: <file>.sll.pcap and
# <file>.sll2.pcap inside psl-ph1 (-i any, Linux cooked v1 and v2) and
# <file>.nano.pcap on br0 with nanosecond timestamps.
start_capture() { # file
    local base=${1%.pcap} f
    bg_in $NS_SW tcpdump tcpdump -i br0 -n -s "${SC_SNAPLEN:-0}" -U -Z root -w "$1"
    CAPTURE_PID=$(tail -n 1 "$WORK/pids" | cut -d' ' -f1)
    wait_for 10 grep -q 'listening on' "$WORK/log/tcpdump.log" || die "tcpdump did not start"
    EXTRA_PIDS=""
    [ "${SC_EXTRA:-0}" = 1 ] || return 0
    bg_in psl-ph1 tcpdump-sll tcpdump -i any -y LINUX_SLL -n -s 0 -U -Z root -w "$base.sll.pcap"
    EXTRA_PIDS="$EXTRA_PIDS $(tail -n 1 "$WORK/pids" | cut -d' ' -f1)"
    bg_in psl-ph1 tcpdump-sll2 tcpdump -i any -y LINUX_SLL2 -n -s 0 -U -Z root -w "$base.sll2.pcap"
    EXTRA_PIDS="$EXTRA_PIDS $(tail -n 1 "$WORK/pids" | cut -d' ' -f1)"
    bg_in $NS_SW tcpdump-nano tcpdump -i br0 --time-stamp-precision nano -n -s 0 -U -Z root \
        -w "$base.nano.pcap"
    EXTRA_PIDS="$EXTRA_PIDS $(tail -n 1 "$WORK/pids" | cut -d' ' -f1)"
    for f in tcpdump-sll tcpdump-sll2 tcpdump-nano; do
        wait_for 10 grep -q 'listening on' "$WORK/log/$f.log" || die "$f did not start"
    done
}

stop_capture() {
    local p
    kill -INT "$CAPTURE_PID" 2>/dev/null
    wait "$CAPTURE_PID" 2>/dev/null
    for p in ${EXTRA_PIDS:-}; do
        kill -INT "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    return 0
}

# The phone driver is phone.sh, or the scenario's SC_PHONE_SCRIPT (phone6.sh for IPv6).
run_phone() { # index [VAR=value...]
    local i=$1
    shift
    nsx "psl-ph$i" env LAB="$LAB" PKI="$WORK/pki" PH_STATE="$WORK/ph$i" \
        PH_MAC="$(phone_mac "$i")" PH_SIP_USER="530$i" "$@" \
        bash "$LAB/${SC_PHONE_SCRIPT:-phone.sh}" >"$WORK/log/phone$i.log" 2>&1
}

# Expected verdicts: expect_phone index verdict root_cause "twelve statuses" [hidden]
# (hidden: "hostname", "model" or both, the identity fields the capture does
# not show and that are null, e.g. when a snaplen cuts the DHCP options).
expect_reset() { EXPECT_JSON=""; }
expect_phone() {
    local i=$1 verdict=$2 root=$3 statuses=$4 hidden=" ${5:-} " mac stages="" s st
    local host model=null
    mac=$(phone_mac "$i")
    set -- $statuses
    [ $# -eq 12 ] || die "expect_phone $i: need 12 statuses, got $#"
    for s in $STAGES; do
        st=$1
        shift
        stages="$stages${stages:+,
}        {\"stage\": \"$s\", \"status\": \"$st\"}"
    done
    [ "$root" = null ] || root="\"$root\""
    local hex
    hex=$(printf '%s' "$mac" | tr -d : | tr a-f A-F)
    host=null
    [[ $hidden == *" hostname "* ]] || host="\"SEP$hex\""
    [[ $hidden == *" model "* ]] || model='"CP-8851-3PCC"'
    # "mac" hidden: the frames carry a NAT device's MAC; the id is EXPECT_IP.
    local id="\"$mac\"" macj="\"$mac\""
    [[ $hidden == *" mac "* ]] && id="\"$EXPECT_IP\"" macj=null
    EXPECT_JSON="$EXPECT_JSON${EXPECT_JSON:+,
}    {
      \"id\": $id,
      \"mac\": $macj,
      \"hostname\": $host,
      \"model\": $model,
      \"verdict\": \"$verdict\",
      \"root_cause\": $root,
      \"stages\": [
$stages
      ]
    }"
}
expect_write() { # file
    printf '{\n  "version": 1,\n  "phones": [\n%s\n  ]\n}\n' "$EXPECT_JSON" >"$1"
}

# Scenario helpers -----------------------------------------------------------

# tftpd-hpa on the local config server address, serving the given files.
start_tftpd() { # files...
    local f
    rm -rf "$WORK/tftp"
    mkdir -p "$WORK/tftp"
    chmod 755 "$WORK/tftp"
    for f in "$@"; do
        printf '<flat-profile>\n<Profile_Rule>tftp://%s/%s</Profile_Rule>\n</flat-profile>\n' \
            "$IP_CFG" "$f" >"$WORK/tftp/$f"
        chmod 644 "$WORK/tftp/$f"
    done
    bg_in $NS_NET tftpd in.tftpd --foreground --listen --address "$IP_CFG:69" \
        --secure --verbose "$WORK/tftp"
    wait_for 10 listening $NS_NET udp $IP_CFG 69 || die "tftpd did not start"
}

# busybox httpd on the local config server address, serving the given files.
start_httpd() { # files...
    local f
    rm -rf "$WORK/http"
    mkdir -p "$WORK/http"
    for f in "$@"; do
        printf '<flat-profile>\n<Profile_Rule>http://%s/%s</Profile_Rule>\n</flat-profile>\n' \
            "$IP_CFG" "$f" >"$WORK/http/$f"
    done
    bg_in $NS_NET httpd busybox httpd -f -vv -p "$IP_CFG:80" -h "$WORK/http"
    wait_for 10 listening $NS_NET tcp $IP_CFG 80 || die "httpd did not start"
}

# lab/scripted_http.py on addr:port, answering every connection the same way
# (redirect to location, chunked 200, 404, or a reset after the ClientHello).
scripted_http() { # name addr port mode [location]
    bg_in $NS_NET "$1" python3 "$LAB/scripted_http.py" "${@:2}"
    wait_for 10 listening $NS_NET tcp "$2" "$3" || die "$1 did not start"
}

# One nftables rule in the input hook of the gateway namespace.
nft_rule() { # rule...
    nsx $NS_NET nft list table inet psl_lab >/dev/null 2>&1 ||
        nsx $NS_NET nft add table inet psl_lab
    nsx $NS_NET nft list chain inet psl_lab input >/dev/null 2>&1 ||
        nsx $NS_NET nft add chain inet psl_lab input \
            '{ type filter hook input priority 0; policy accept; }'
    nsx $NS_NET nft add rule inet psl_lab input "$@"
}

# unbound as the LAN's validating resolver on $IP_RESOLVER, forwarding to a
# second dnsmasq on $IP_UPSTREAM (loopback, not captured) that serves the
# lab's names unsigned. A made-up DS for <zone> makes every answer in it bogus.
start_unbound() { # zone
    mkdir -p "$WORK/unbound"
    { dnsmasq_conf | grep -E '^(host-record|srv-host|no-|bind-)'
        echo "listen-address=$IP_UPSTREAM"
        echo "pid-file=$WORK/dnsmasq-upstream.pid"
        echo "user=root"
        echo "log-facility=-"
        echo "log-queries"
    } >"$WORK/dnsmasq-upstream.conf"
    bg_in $NS_NET dnsmasq-upstream dnsmasq -k -C "$WORK/dnsmasq-upstream.conf"
    cat >"$WORK/unbound/unbound.conf" <<EOC
server:
    interface: $IP_RESOLVER
    port: 53
    access-control: 192.0.2.0/24 allow
    do-ip6: no
    chroot: ""
    username: ""
    directory: "$WORK/unbound"
    pidfile: "$WORK/unbound/unbound.pid"
    use-syslog: no
    verbosity: 1
    val-log-level: 2
    do-not-query-localhost: no
    qname-minimisation: no
    module-config: "validator iterator"
    trust-anchor: "$1. DS 31589 13 2 0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
forward-zone:
    name: "."
    forward-addr: $IP_UPSTREAM
EOC
    bg_in $NS_NET unbound unbound -d -c "$WORK/unbound/unbound.conf"
    wait_for 10 listening $NS_NET udp $IP_RESOLVER 53 || die "unbound did not start"
}

# 802.1Q without VLAN devices: compile vlan.c and attach it (clsact) to eth0
# of a namespace: tag on egress (section tc_push, or the one given, e.g.
# tc_push_ph1 to tag only frames to phone 1), untag on ingress.
vlan_attach() { # ns [egress-section]
    if [ ! -s "$WORK/vlan.o" ]; then
        clang -O2 -target bpf -I"/usr/include/$(uname -m)-linux-gnu" \
            -c "$LAB/vlan.c" -o "$WORK/vlan.o" || die "cannot compile vlan.c"
    fi
    nsx "$1" tc qdisc add dev eth0 clsact
    nsx "$1" tc filter add dev eth0 egress bpf da obj "$WORK/vlan.o" sec "${2:-tc_push}"
    nsx "$1" tc filter add dev eth0 ingress bpf da obj "$WORK/vlan.o" sec tc_pop
}

# Post-capture checks with tshark: a scenario's sc_verify calls
# `check FILTER OP COUNT`; a mismatch fails the build (the capture is kept).
check() { # display-filter test-op count
    local n
    n=$(tshark -r "$CAP" -Y "$1" 2>/dev/null | wc -l)
    local ok=1
    case $2 in
    -eq) [ "$n" -eq "$3" ] || ok=0 ;;
    -ge) [ "$n" -ge "$3" ] || ok=0 ;;
    -le) [ "$n" -le "$3" ] || ok=0 ;;
    *) die "check: unknown test $2" ;;
    esac
    if [ $ok = 0 ]; then
        log "CHECK FAILED: '$1' matched $n frames, want $2 $3"
        CHECK_FAILED=1
    fi
}
check_registered() {
    check 'sip.Status-Code == 200' -eq 1
    check 'ntp.flags.mode == 4' -ge 1
    check 'tls.alert_message.level == 2' -eq 0
}

# Stop background processes by the name bg_in recorded (e.g. s_server-prov4,
# dnsmasq), so a scenario can replace a server start_servers began.
stop_bg() { # name...
    local pid name want
    while read -r pid name; do
        for want in "$@"; do
            [ "$name" = "$want" ] && kill -TERM "$pid" 2>/dev/null
        done
    done <"$WORK/pids"
    sleep 0.5
}

# rogue_dhcp LINE...: a second DHCP server, dnsmasq at 192.0.2.66 in namespace
# psl-rogue on the phones' bridge, leasing 192.0.2.200-210 with the lab's
# router, DNS and NTP, plus the dnsmasq LINEs given (its option 66/150...).
rogue_dhcp() {
    ns_new psl-rogue 0
    ip link add eth0 netns psl-rogue address 00:00:5e:00:53:66 type veth \
        peer name p-rogue netns $NS_SW
    nsx $NS_SW ip link set p-rogue master br0 up
    nsx psl-rogue ip addr add 192.0.2.66/24 dev eth0
    nsx psl-rogue ip link set eth0 up
    {
        cat <<EOC
port=0
no-ping
bind-interfaces
interface=eth0
user=root
log-facility=-
log-dhcp
pid-file=$WORK/dnsmasq-rogue.pid
dhcp-leasefile=$WORK/dnsmasq-rogue.leases
dhcp-range=192.0.2.200,192.0.2.210,255.255.255.0,1h
dhcp-option=option:router,$IP_GW
dhcp-option=option:dns-server,$IP_GW
dhcp-option=option:ntp-server,$IP_NTP
EOC
        printf '%s\n' "$@"
    } >"$WORK/dnsmasq-rogue.conf"
    rm -f "$WORK/dnsmasq-rogue.leases"
    bg_in psl-rogue dnsmasq-rogue dnsmasq -k -C "$WORK/dnsmasq-rogue.conf"
}

# rogue_tftp: a TFTP server at 192.0.2.66 (after rogue_dhcp) with a profile
# for the lab phone's model.
rogue_tftp() {
    rm -rf "$WORK/tftp-rogue"; mkdir -p "$WORK/tftp-rogue"; chmod 755 "$WORK/tftp-rogue"
    printf '<flat-profile><Proxy_1_>rogue.example.net</Proxy_1_></flat-profile>\n' \
        >"$WORK/tftp-rogue/CP-8851-3PCC.xml"
    chmod 644 "$WORK/tftp-rogue/CP-8851-3PCC.xml"
    bg_in psl-rogue tftpd-rogue in.tftpd --foreground --listen --address "192.0.2.66:69" \
        --secure --verbose "$WORK/tftp-rogue"
}
