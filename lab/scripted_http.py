"""scripted_http.py - a TCP server that answers every connection one fixed way.

    scripted_http.py ADDR PORT MODE [LOCATION]

MODE is one of
  redirect  HTTP/1.1 302 Found with Location: LOCATION
  chunked   HTTP/1.1 200 OK, a small flat profile in two chunks
  chunked-cut  the same head and first chunk, then the close (no last chunk)
  404       HTTP/1.1 404 Not Found
  rst       read the first bytes (a TLS ClientHello) and close with a reset
Used by lab scenarios where busybox httpd and openssl s_server cannot say it.
"""
import socket
import struct
import sys

PROFILE = b"<flat-profile>\n<Proxy_1_>sbc.example.com</Proxy_1_>\n</flat-profile>\n"


def answer(mode, location):
    if mode == "redirect":
        return (b"HTTP/1.1 302 Found\r\nLocation: " + location.encode()
                + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    if mode in ("chunked", "chunked-cut"):
        out = (b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
               b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        half = len(PROFILE) // 2
        parts = (PROFILE[:half], PROFILE[half:])
        if mode == "chunked-cut":
            parts = parts[:1]
        for part in parts:
            out += b"%x\r\n" % len(part) + part + b"\r\n"
        return out + (b"0\r\n\r\n" if mode == "chunked" else b"")
    if mode == "404":
        return b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    return None


def main():
    addr, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    location = sys.argv[4] if len(sys.argv) > 4 else ""
    if mode not in ("redirect", "chunked", "chunked-cut", "404", "rst"):
        sys.exit("unknown mode " + mode)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(5)
    while True:
        conn, _ = srv.accept()
        try:
            first = conn.recv(4096)
            print(mode, first[:80], flush=True)
            reply = answer(mode, location)
            if reply is None:
                # SO_LINGER with a zero timeout: close() sends RST, not FIN.
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                conn.sendall(reply)
        except OSError as err:
            print("error", err, flush=True)
        finally:
            conn.close()


main()
