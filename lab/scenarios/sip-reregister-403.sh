# order: 36
# A registration that succeeds, then a refresh in the same dialog (same
# Call-ID, higher CSeq) that is refused: the last word on the phone is 403.
SC_TITLE="The phone registers (401, then 200 OK, expires 120); 3 s later its refresh REGISTER"
SC_TITLE+=" (same Call-ID, CSeq 11..) carries a wrong password and gets 401 then 403 Forbidden;"
SC_TITLE+=" the last attempt failed"
SC_PEERS="kamailio 5.6 (FORBID_BAD_PASSWORD), sipp twice with -cid_str (second run: wrong"
SC_PEERS+=" password, CSeq 11/12); the rest as in healthy"
KAMAILIO_DEFINES="-A FORBID_BAD_PASSWORD"
sc_run() {
    local cid=mpp-5301-fixed@192.0.2.101 hex
    hex=$(phone_mac 1 | tr -d : | tr a-f A-F)
    run_phone 1 PH_SIP_CID=$cid
    sleep 3
    # The refresh: register2.xml is register.xml with CSeq 11 onwards.
    nsx psl-ph1 sipp -sf "$LAB/conf/register2.xml" -i 192.0.2.101 -p 5060 -t u1 \
        -s 5301 -au 5301 -ap Wrong-Pass-99 -key ua "Cisco-CP-8851-3PCC/12.0.2 ($hex)" \
        -cid_str "$cid" -m 1 -l 1 -nostdin -timeout 20s \
        "$IP_SBC1:5060" >"$WORK/log/sipp2.log" 2>&1 || true
}
sc_expect() {
    expect_phone 1 fail sip-register \
        "pass pass not_seen pass pass pass pass pass pass pass fail pass"
}
sc_verify() {
    check 'sip.Status-Code == 200' -eq 1
    check 'sip.Status-Code == 403' -eq 1
}
