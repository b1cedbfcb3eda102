#!/usr/bin/env python3
"""a plain-text TCP service: optional banner on connect, answers whatever comes with a line,
then closes.
usage: banner_server.py ip port banner|- reply"""
import socket, sys
ip, port, banner, reply = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((ip, port)); ls.listen(8)
while True:
    c, _ = ls.accept()
    c.settimeout(3)
    try:
        if banner != "-": c.sendall(banner.encode().decode('unicode_escape').encode())
        c.recv(4096)
        c.sendall(reply.encode().decode('unicode_escape').encode())
    except OSError: pass
    c.close()
