# t7lib.sh - helpers sourced by the t7-* scenarios (certificates, an SBC pair, one SRV target,
# SIP lines).
# mkcert_t7 file subject ext-lines [ca]: a leaf signed by the lab root (or ca), written to
# $WORK/pki.
mkcert_t7() {
    local d=$WORK/pki f=$1 subj=$2 ext=$3 ca=${4:-root-ca}
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$d/$f.key" -out "$d/$f.csr" -subj "$subj" 2>/dev/null || die "csr $f"
    printf '%b' "$ext" >"$d/$f.ext"
    openssl x509 -req -in "$d/$f.csr" -CA "$d/$ca.crt" -CAkey "$d/$ca.key" -CAcreateserial \
        -sha256 -days 825 -extfile "$d/$f.ext" -out "$d/$f.crt" 2>/dev/null || die "crt $f"
}
# The usual SBC pair, sbc1 with cert $1 (TLS 1.2 by default), sbc2 normal.
sbc_pair_t7() { # cert-for-sbc1 [extra options for sbc1]
    local c=$1
    shift
    https_server sbc1 "$IP_SBC1:$SBC_PORT" "$c" -rev -tls1_2 "$@"
    https_server sbc2 "$IP_SBC2:$SBC_PORT" sbc2.example.com -rev -tls1_2
}
# Own SRV to one target name (A of that name -> sbc1).
srv_one_t7() { # target
    echo "host-record=$1,$IP_SBC1"
    echo "srv-host=_sips._tcp.sbc.example.com,$1,$SBC_PORT,10,60"
}
# SIP line helper for PH_SIP_CMD (evaluated inside phone.sh): t7line user pass lport transport
T7LINE='t7line() { timeout 60 sipp -sf "$PH_SIP_SCENARIO" -i "$ip4" -p "$3" -t "$4" -s "$1" '
T7LINE+='-au "$1" -ap "$2" -key ua "$ua" -m 1 -l 1 -nostdin -timeout 20s "$sbc:${5:-5060}" '
T7LINE+='>"sipp-$1-$3.out" 2>&1; echo "line $1 port $3 rc $?"; sleep 0.3; }; '
