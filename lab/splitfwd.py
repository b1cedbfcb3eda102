#!/usr/bin/env python3
"""TCP forwarder that re-writes each direction in small pieces (TCP_NODELAY).
usage: splitfwd.py listen_ip listen_port target_ip target_port up_chunk down_chunk [bind_ip]"""
import socket, sys, threading, time
lip, lp, tip, tp = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
up, down = int(sys.argv[5]), int(sys.argv[6])
bind_ip = sys.argv[7] if len(sys.argv) > 7 else None
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((lip, lp)); ls.listen(8)
def pump(a, b, n):
    try:
        while True:
            d = a.recv(65536)
            if not d: break
            for i in range(0, len(d), n):
                b.send(d[i:i + n]); time.sleep(0.002)
    except OSError: pass
    try: b.shutdown(socket.SHUT_WR)
    except OSError: pass
while True:
    c, _ = ls.accept()
    t = socket.socket()
    if bind_ip: t.bind((bind_ip, 0))
    t.connect((tip, tp))
    for x in (c, t): x.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    threading.Thread(target=pump, args=(c, t, up), daemon=True).start()
    threading.Thread(target=pump, args=(t, c, down), daemon=True).start()
