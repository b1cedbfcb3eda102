#!/usr/bin/env python3
"""a SIP UA over TCP (or UDP) that writes its REGISTERs in small pieces.
usage: sip_small.py local_ip server port user password chunk delay crlf_pings
       [lport] [transport] [ping_bytes_between]
Registers with digest auth (401 challenge), chunk bytes per send() with TCP_NODELAY."""
import hashlib, re, socket, sys, time, random

local_ip, server, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
user, pw = sys.argv[4], sys.argv[5]
chunk, delay, pings = int(sys.argv[6]), float(sys.argv[7]), int(sys.argv[8])
lport = int(sys.argv[9]) if len(sys.argv) > 9 else 0
transport = sys.argv[10] if len(sys.argv) > 10 else "TCP"
rounds = int(sys.argv[11]) if len(sys.argv) > 11 else 1
ua = "Cisco-CP-8851-3PCC/12.0.2 (00005E005301)"
base = 0
cid = "t7-%d@%s" % (random.randint(1, 1 << 30), local_ip)
md5 = lambda s: hashlib.md5(s.encode()).hexdigest()

if transport == "TCP":
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((local_ip, lport))
s.connect((server, port))
s.settimeout(5)
lport = s.getsockname()[1]

def send(data):
    if transport != "TCP":
        s.send(data); return
    for i in range(0, len(data), chunk):
        s.send(data[i:i + chunk])
        if delay: time.sleep(delay)

buf = b""
def recv_msg():
    global buf
    while True:
        if transport != "TCP":
            return s.recv(65535).decode(errors="replace")
        while buf.startswith(b"\r\n"):
            buf = buf[2:]
        i = buf.find(b"\r\n\r\n")
        if i >= 0:
            head = buf[:i].decode(errors="replace")
            m = re.search(r"(?im)^(content-length|l)\s*:\s*(\d+)", head)
            n = int(m.group(2)) if m else 0
            if len(buf) >= i + 4 + n:
                msg, buf = buf[:i + 4 + n], buf[i + 4 + n:]
                return msg.decode(errors="replace")
        d = s.recv(4096)
        if not d:
            raise SystemExit("closed")
        buf += d

for _ in range(pings):
    send(b"\r\n\r\n")
    time.sleep(0.05)

def register(cseq, auth=""):
    global base
    cseq += base
    uri = "sip:sbc.example.com"
    msg = ("REGISTER %s SIP/2.0\r\nVia: SIP/2.0/%s %s:%d;branch=z9hG4bK-t7-%d;rport\r\n"
           "Max-Forwards: 70\r\nFrom: <sip:%s@sbc.example.com>;tag=t7%s\r\n"
           "To: <sip:%s@sbc.example.com>\r\n"
           "Call-ID: %s\r\nCSeq: %d REGISTER\r\n"
           "Contact: <sip:%s@%s:%d;transport=%s>;expires=3600\r\n%s"
           "User-Agent: %s\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n") % (
        uri, transport, local_ip, lport, random.randint(1, 1 << 30), user, user, user, cid, cseq,
        user, local_ip, lport, transport.lower(), auth, ua)
    send(msg.encode())
    while True:
        r = recv_msg()
        code = int(r.split(" ", 2)[1])
        print("got", r.splitlines()[0], flush=True)
        if code >= 200:
            return code, r

for rnd in range(rounds):
    if rnd: time.sleep(0.5)
    code, r = register(1)
    n = 2
    while code == 401 and n < 5:
        h = re.search(r"(?im)^www-authenticate:\s*digest\s+(.*)$", r).group(1)
        realm = re.search(r'realm="([^"]*)"', h).group(1)
        nonce = re.search(r'nonce="([^"]*)"', h).group(1)
        qop = "auth" if re.search(r'qop="?[^"]*auth', h) else None
        uri = "sip:sbc.example.com"
        ha1, ha2 = md5("%s:%s:%s" % (user, realm, pw)), md5("REGISTER:%s" % uri)
        if qop:
            cn, nc = "t7cnonce%d" % n, "00000001"
            resp = md5("%s:%s:%s:%s:%s:%s" % (ha1, nonce, nc, cn, qop, ha2))
            a = ('Authorization: Digest username="%s", realm="%s", nonce="%s", uri="%s", '
                 'response="%s", algorithm=MD5, cnonce="%s", qop=%s, nc=%s\r\n') % (
                     user, realm, nonce, uri, resp, cn, qop, nc)
        else:
            resp = md5("%s:%s:%s" % (ha1, nonce, ha2))
            a = ('Authorization: Digest username="%s", realm="%s", nonce="%s", uri="%s", '
                 'response="%s", algorithm=MD5\r\n') % (user, realm, nonce, uri, resp)
        code, r = register(n, a)
        n += 1
    base += 10
    print("final", code, flush=True)
for _ in range(pings):
    send(b"\r\n\r\n")
    time.sleep(0.05)
time.sleep(0.3)
s.close()
