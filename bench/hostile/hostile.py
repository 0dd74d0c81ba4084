#!/usr/bin/env python3
"""Hostile-input benchmark of issue 12 (server side): RSS of `flink-memguard serve` under the
worst attacks we know, against the chart's 128Mi memory limit, and whether a probe on a new
connection is still answered during each attack.

Loopback only. Starts the server itself (throwaway certificate made with the openssl CLI), runs
each attack, samples VmRSS of the server every 50 ms during it and reports the peak, then checks
/healthz on a fresh connection while the attack is still holding its connections.

  python3 bench/hostile/hostile.py --binary build/flink-memguard [--max-heap-mb N|auto] [--markdown]
"""
import argparse
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

HOST = "127.0.0.1"
MIB = 1024 * 1024


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


class Sampler:
    def __init__(self, pid):
        self.pid, self.peak, self.stop = pid, 0.0, False
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop:
            try:
                self.peak = max(self.peak, rss_mb(self.pid))
            except OSError:
                return
            time.sleep(0.05)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop = True
        self.thread.join()


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def connect(port, ctx, timeout=10):
    raw = socket.create_connection((HOST, port), timeout=timeout)
    return ctx.wrap_socket(raw, server_hostname="localhost")


def read_status(conn):
    """Status code of the next response, or None if the connection ended first."""
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return None
            data += chunk
    except (OSError, ssl.SSLError):
        return None
    try:
        return int(data.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def probe(port, ctx):
    """Seconds for GET /healthz on a new connection, or None if it was not answered 200."""
    start = time.monotonic()
    try:
        c = connect(port, ctx, timeout=10)
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        status = read_status(c)
        c.close()
    except (OSError, ssl.SSLError) as e:
        print(f"probe failed: {e!r}", file=sys.stderr)
        return None
    if status != 200:
        print(f"probe answered {status}", file=sys.stderr)
    return time.monotonic() - start if status == 200 else None


def head(extra):
    return ("POST /validate?timeout=5s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" +
            extra + "\r\n").encode()


def open_many(port, ctx, n):
    conns = []
    for _ in range(n):
        try:
            conns.append(connect(port, ctx))
        except (OSError, ssl.SSLError):
            pass
    return conns


def attack_big_bodies(port, ctx, n=100):
    """n connections each announce 3 MiB - 1 and send all of it but the last byte."""
    length = 3 * MIB - 1
    conns = open_many(port, ctx, n)
    answered = {}
    body = b" " * (length - 1)

    def one(c):
        try:
            c.sendall(head(f"Content-Length: {length}\r\n") + body)
        except (OSError, ssl.SSLError):
            answered[id(c)] = "closed"
            return
        c.settimeout(0.5)
        try:
            s = read_status(c)
            answered[id(c)] = s
        except Exception:
            pass

    threads = [threading.Thread(target=one, args=(c,)) for c in conns]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refused = sum(1 for v in answered.values() if v == 503)
    return conns, f"{len(conns)} connections x 3 MiB-1 body, held one byte short: {refused} answered 503 (body budget)"


def attack_chunk_extensions(port, ctx, n=100):
    """n connections each send one chunk header with a 1 MiB extension."""
    conns = open_many(port, ctx, n)
    statuses = []
    for c in conns:
        try:
            c.sendall(head("Transfer-Encoding: chunked\r\n") + b"1;" + b"e" * MIB)
        except (OSError, ssl.SSLError):
            pass
    for c in conns:
        c.settimeout(2)
        statuses.append(read_status(c))
    return conns, f"{len(conns)} connections x 1 MiB chunk extension: {statuses.count(431)} answered 431"


def attack_trailers(port, ctx, n=100):
    conns = open_many(port, ctx, n)
    statuses = []
    for c in conns:
        try:
            c.sendall(head("Transfer-Encoding: chunked\r\n") + b"2\r\n{}\r\n0\r\nX-T: " + b"v" * (64 * 1024) + b"\r\n\r\n")
        except (OSError, ssl.SSLError):
            pass
    for c in conns:
        c.settimeout(2)
        statuses.append(read_status(c))
    return conns, f"{len(conns)} connections x 64 KiB trailer field: {statuses.count(431)} answered 431"


def attack_idle(port, ctx, n=700):
    conns = open_many(port, ctx, n)
    return conns, f"{n} idle TLS connections (cap 512): {len(conns)} handshakes completed, the oldest evicted"


def attack_request_flood(port, ctx, review, n=64, seconds=5):
    """n keep-alive connections sending the review as fast as answers come."""
    stop = time.monotonic() + seconds
    counts = {"200": 0, "other": 0}
    lock = threading.Lock()
    req = head(f"Content-Length: {len(review)}\r\n") + review

    def one():
        try:
            c = connect(port, ctx)
        except (OSError, ssl.SSLError):
            return
        c.settimeout(10)
        while time.monotonic() < stop:
            try:
                c.sendall(req)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = c.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                headers, _, rest = data.partition(b"\r\n\r\n")
                length = 0
                for line in headers.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                while len(rest) < length:
                    rest += c.recv(65536)
                status = headers.split(b" ", 2)[1]
                with lock:
                    counts["200" if status == b"200" else "other"] += 1
            except (OSError, ssl.SSLError):
                return
        c.close()

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [], f"{n} connections flooding a 13.5 KB review for {seconds} s: {counts['200']} answered 200, {counts['other']} other"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--port", type=int, default=18643)
    ap.add_argument("--max-heap-mb", default="", help="passed to serve when set (N or auto)")
    ap.add_argument("--review", default=os.path.join(os.path.dirname(__file__), "..", "fixtures", "update-flinkdeployment-allowed.json"))
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="memguard-hostile-")
    cert, key = os.path.join(tmp, "tls.crt"), os.path.join(tmp, "tls.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    log = open(os.path.join(tmp, "server.log"), "w")
    server = subprocess.Popen([a.binary, "serve", "--listen", f"{HOST}:{a.port}", "--tls-cert", cert, "--tls-key", key,
                               "--log-level", "warn"] + ([f"--max-heap-mb={a.max_heap_mb}"] if a.max_heap_mb else []),
                              stdout=log, stderr=log)
    ctx = tls_context()
    for _ in range(200):
        if probe(a.port, ctx) is not None:
            break
        time.sleep(0.05)
    review = open(a.review, "rb").read() if os.path.exists(a.review) else b"{}"
    rows = []
    base = rss_mb(server.pid)
    rows.append(("at rest after start", "", base, base, "yes"))
    attacks = [
        ("big bodies", lambda: attack_big_bodies(a.port, ctx)),
        ("chunk extensions", lambda: attack_chunk_extensions(a.port, ctx)),
        ("64 KiB trailers", lambda: attack_trailers(a.port, ctx)),
        ("idle connections", lambda: attack_idle(a.port, ctx)),
        ("request flood", lambda: attack_request_flood(a.port, ctx, review)),
    ]
    for name, attack in attacks:
        with Sampler(server.pid) as s:
            conns, detail = attack()
            p = probe(a.port, ctx)  # while the attack still holds its connections
            time.sleep(0.5)
        for c in conns:
            try:
                c.close()
            except OSError:
                pass
        alive = server.poll() is None
        rows.append((name, detail, s.peak, rss_mb(server.pid) if alive else 0,
                     ("yes, %.0f ms" % (p * 1000)) if p is not None else "NO"))
        if not alive:
            break
        time.sleep(1)
    server.terminate()
    server.wait(timeout=30)
    log.close()
    ok = all(r[4] != "NO" for r in rows)
    if a.markdown:
        print("| Attack | What happened | Peak RSS, MB | RSS after, MB | /healthz on a new connection during it |")
        print("|---|---|---|---|---|")
        for name, detail, peak, after, probed in rows:
            print(f"| {name} | {detail} | {peak:.1f} | {after:.1f} | {probed} |")
    else:
        for r in rows:
            print(r)
    print(f"server exit code {server.returncode}; chart memory limit 128 MiB", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
