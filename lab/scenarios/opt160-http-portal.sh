# order: 100
SC_TITLE="DHCP offers option 160 (http://192.0.2.10/CP-8851-3PCC.xml); a captive-portal web server"
SC_TITLE+=" answers every URL with 200 and an HTML login page: a web page, no profile"
SC_PEERS="dnsmasq 2.90 (dhcp-option=160), busybox udhcpc, curl against nginx 1.22 (return 200"
SC_PEERS+=" with an HTML page for every URL)"
sc_dnsmasq() { echo "dhcp-option=160,\"http://$IP_CFG/CP-8851-3PCC.xml\""; }
sc_net() {
    mkdir -p "$WORK/nginx"
    cat >"$WORK/nginx/nginx.conf" <<CONF
daemon off;
master_process off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/log/nginx-error.log;
events {}
http {
    access_log off;
    client_body_temp_path $WORK/nginx;
    proxy_temp_path $WORK/nginx;
    fastcgi_temp_path $WORK/nginx;
    uwsgi_temp_path $WORK/nginx;
    scgi_temp_path $WORK/nginx;
    server {
        listen $IP_CFG:80;
        location / {
            default_type text/html;
            return 200 '<!DOCTYPE html>\n<html><head><title>Guest network</title></head>
<body><form method="post" action="/login"><input name="user"><input name="pass"
type="password"><button>Sign in</button></form></body></html>\n';
        }
    }
}
CONF
    bg_in $NS_NET nginx nginx -c "$WORK/nginx/nginx.conf"
    wait_for 10 listening $NS_NET tcp $IP_CFG 80 || die "nginx did not start"
}
sc_expect() {
    expect_phone 1 fail dhcp-options \
        "pass fail fail not_seen not_seen not_seen
            not_seen not_seen not_seen not_seen not_seen not_seen"
}
sc_verify() {
    check 'http.response.code == 200' -eq 1
    check 'http.content_type contains "text/html"' -eq 1
}
