#!/usr/bin/env python3
"""A hostile HTTP/1.1 server for bench/hostile.sh, written on raw sockets.

Paths: /endless-chunked (a chunked body that never ends), /endless (a body delimited by the end of
the connection, never ending), /big (50,000,000 bytes with Content-Length), /deep (50,000 nested
<div>s, 300 KB). Prints `listening on http://127.0.0.1:PORT` and serves until killed.
"""
import socket
import socketserver
import sys

PIECE = b"a" * 65536
DEEP = b"<html><head><title>deep</title></head><body>" + b"<div>" * 50000 + b"x" + b"</div>" * 50000 + b"</body></html>"


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = s.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                path = head.split(b" ")[1].decode()
                if path == "/endless-chunked":
                    s.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                    chunk = b"%x\r\n" % len(PIECE) + PIECE + b"\r\n"
                    while True:
                        s.sendall(chunk)
                elif path == "/endless":
                    s.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
                    while True:
                        s.sendall(PIECE)
                elif path == "/big":
                    size = 50_000_000
                    s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
                    sent = 0
                    while sent < size:
                        n = min(len(PIECE), size - sent)
                        s.sendall(PIECE[:n])
                        sent += n
                elif path == "/deep":
                    s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(DEEP) + DEEP)
                else:
                    s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        except OSError:
            return


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


with Server(("127.0.0.1", 0), Handler) as server:
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    sys.stdout.flush()
    server.serve_forever()
