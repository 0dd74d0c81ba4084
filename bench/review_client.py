#!/usr/bin/env python3
"""Sends N copies of one review over one keep-alive TLS connection and checks every answer is a 200.

Used by bench/instructions.sh: the server's instructions for N requests minus those for 0
requests on the same connection are its cost per review (TLS + HTTP + decision), free of the
machine's load.
"""
import socket
import ssl
import sys


def main() -> int:
    port, path, body_file, count = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    body = open(body_file, "rb").read()
    request = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
               f"Accept: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port)) as raw, context.wrap_socket(raw) as tls:
        pending = b""
        for _ in range(count):
            tls.sendall(request)
            while b"\r\n\r\n" not in pending:
                chunk = tls.recv(65536)
                if not chunk:
                    raise SystemExit("connection closed early")
                pending += chunk
            head, pending = pending.split(b"\r\n\r\n", 1)
            if not head.startswith(b"HTTP/1.1 200"):
                raise SystemExit("answer was " + head.split(b"\r\n")[0].decode())
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            while len(pending) < length:
                pending += tls.recv(65536)
            pending = pending[length:]
    return 0


if __name__ == "__main__":
    sys.exit(main())
