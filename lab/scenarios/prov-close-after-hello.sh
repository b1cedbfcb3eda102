# order: 27
# The provisioning server takes the TCP connection and the ClientHello, then
# closes without a ServerHello (a broken TLS proxy); activation before is fine.
SC_TITLE="cisco.sipflash.com:443 accepts TCP, reads the ClientHello and closes (FIN) without a"
SC_TITLE+=" ServerHello; the phone stops"
SC_PEERS="a 6-line python3 socket server in place of s_server for provisioning; dnsmasq, udhcpc,"
SC_PEERS+=" dig, curl as in healthy"
sc_net() {
    stop_bg s_server-prov4
    bg_in $NS_NET closer python3 -c "
import socket
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('$IP_PROV', 443)); s.listen(5)
while True:
    c,_=s.accept(); c.recv(4096); c.close()
"
    wait_for 10 listening $NS_NET tcp $IP_PROV 443 || die "the closer did not start"
}
sc_expect() {
    expect_phone 1 fail provisioning \
        "pass pass not_seen pass pass pass fail not_seen not_seen not_seen not_seen not_seen"
}
sc_verify() {
    check 'tls.handshake.type == 1' -eq 2
    check 'tls.handshake.type == 2' -eq 1
}
