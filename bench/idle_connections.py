# Client half of bench/idle_connections.sh: opens N TLS keep-alive connections to 127.0.0.1:PORT, sends the
# review in BODY on each and reads its answer, prints "open N", then holds them all open and idle for SECONDS.
# Usage: python3 bench/idle_connections.py PORT BODY N [SECONDS]
import socket, ssl, sys, time
port, body, n = int(sys.argv[1]), open(sys.argv[2], 'rb').read(), int(sys.argv[3])
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
req = (b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
conns = []
for _ in range(n):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
    s.sendall(req)
    data = b""
    while b"\r\n\r\n" not in data: data += s.recv(65536)
    head, rest = data.split(b"\r\n\r\n", 1)
    length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1])
    while len(rest) < length: rest += s.recv(65536)
    conns.append(s)
print("open", len(conns), flush=True)
time.sleep(float(sys.argv[4]) if len(sys.argv) > 4 else 3)
