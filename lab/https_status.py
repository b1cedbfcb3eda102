"""https_status.py ADDR PORT CERT KEY STATUS - a TLS server answering every request with STATUS
(e.g. "403 Forbidden") and an empty body. Lab helper."""
import socket, ssl, sys
addr, port = sys.argv[1], int(sys.argv[2])
cert, key, status = sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((addr, port))
srv.listen(5)
while True:
    conn, _ = srv.accept()
    try:
        with ctx.wrap_socket(conn, server_side=True) as tls:
            req = tls.recv(4096)
            print(status, req[:60], flush=True)
            head = "HTTP/1.1 %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n" % status
            tls.sendall(head.encode())
    except (OSError, ssl.SSLError) as err:
        print("error", err, flush=True)
