#!/usr/bin/env python3
"""Writes the fuzz seed corpora (fuzz/corpus/<target>/) from the test inputs: the memory vectors,
the MemorySize parse vectors, the quantity and config.yaml cases in the Catch2 tests, and the
example config. Run it again after the test inputs change; the output is deterministic."""
import ast
import hashlib
import json
import os
import re
import shutil

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VECTORS = os.path.join(ROOT, "tests", "data", "vectors")
OUT = os.path.join(ROOT, "fuzz", "corpus")

# The version table of fuzz_derivation.cpp (kVersions), in the same order.
VERSIONS = ["1.10", "1.10.1", "1.11", "1.12", "1.12.2", "1.13", "1.14", "1.15", "1.16", "1.17", "1.18",
            "1.19", "1.20", "1.20.1", "2.0", "2.1"]
# fuzz_derivation.cpp's kKeys, read from the source so the two cannot drift apart.
KEYS = re.findall(r'"([a-z][^"]*)"',
                  open(os.path.join(ROOT, "fuzz", "fuzz_derivation.cpp")).read().split("kKeys{")[1].split("};")[0])


def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    directory = os.path.join(OUT, target)
    os.makedirs(directory, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def cpp_strings(path, pattern):
    """The C++ string literals that `pattern` (one group around a literal) finds in a test file."""
    text = open(os.path.join(ROOT, path)).read()
    return [ast.literal_eval(m) for m in re.findall(pattern, text, re.M)]


def vector_sample():
    lines = open(os.path.join(VECTORS, "memory-public.jsonl")).read().splitlines()
    seen, out = set(), []
    for line in lines:
        v = json.loads(line)
        shape = (tuple(sorted(v["config"])), v["flinkVersion"], v["expect"].get("ok"))
        if shape not in seen:  # one vector per key set, version and outcome
            seen.add(shape)
            out.append(v)
    return out


def fdp_encode(version_index, entries):
    """Bytes that FuzzedDataProvider hands fuzz_derivation.cpp as (version, context, entries), each
    value read as a raw string: strings from the front, integral choices from the back."""
    front, back = bytearray(), []
    back += [version_index, 0, 0, 1, len(entries)]  # version, legacy target, cpu fallback, no env, count
    for key, value in entries:
        back += [KEYS.index(key), 4]  # key, "raw string" value
        front += value.replace("\\", "\\\\").encode() + b"\\x"
    return bytes(front) + bytes(reversed(back))


# The targets whose corpora this script writes (and first empties); fuzz_http_request's seeds are written by
# hand and kept.
GENERATED = ["fuzz_memory_size", "fuzz_quantity", "fuzz_flink_conf", "fuzz_config_yaml", "fuzz_derivation",
             "fuzz_review", "fuzz_policy", "fuzz_manifests", "fuzz_tls_stream", "fuzz_session"]


def main():
    for target in GENERATED:
        shutil.rmtree(os.path.join(OUT, target), ignore_errors=True)
    sizes = [json.loads(l)["input"] for l in open(os.path.join(VECTORS, "memorysize-parse.jsonl"))]
    quantities = cpp_strings("tests/memmodel/quantity_test.cpp", r'^\s*\{("(?:[^"\\]|\\.)*"),')
    vectors = vector_sample()

    for s in sizes + ["1280m*0.4", "1 kb*0.1", "1.20", "1.20.1", "v1_20", "v2_x", "2.x", "1.10", "0.4", "1.0E7",
                      "0x1.8p1", "NaN", "-Infinity", "2147483648", "-9223372036854775808", "1e-400", "4.9E-324d"]:
        write("fuzz_memory_size", s)
    for q in quantities + sizes[:20]:
        write("fuzz_quantity", q)

    write("fuzz_flink_conf", open(os.path.join(ROOT, "examples", "flink-conf.yaml")).read())
    write("fuzz_config_yaml", open(os.path.join(ROOT, "examples", "flink-conf.yaml")).read())
    for text in ["# only a comment\n", "a: 1\r\nb: 2\rc: 3\nd: 4", "\ufeffkey: value\n", "k:v\n: x\nurl: h://x/#a\n",
                 "s3.secret-key: hunter2 # trailing\n"]:
        write("fuzz_flink_conf", text)
    for yaml, _ in zip(cpp_strings("tests/memmodel/config_file_test.cpp", r'^\s*\{("(?:[^"\\]|\\.)*"), (?:ValueKind|")'),
                       range(200)):
        write("fuzz_config_yaml", "key: " + yaml + "\n")
    for text in ["a: &x 1\nb: *x\n", "a: !!str 1\nb: !!float 2\n", "---\na: 1\n---\nb: 2\n", "a:\n  b:\n    c: [1, {d: e}]\n",
                 "a: 'open\n", "? [a]\n: 1\n", "a: 1\na: 2\n", "a: null\n", "a: !!binary aGk=\n"]:
        write("fuzz_config_yaml", text)

    for v in vectors[:120]:
        config = v["config"]
        write("fuzz_flink_conf", "".join(f"{k}: {val}\n" for k, val in config.items()))
        groups = {}
        for k, val in sorted(config.items()):
            head, _, rest = k.partition(".")
            groups.setdefault(head, []).append((rest, val))
        write("fuzz_config_yaml", "".join(f"{head}:\n" + "".join(f"  {rest}: {val}\n" for rest, val in items)
                                          for head, items in groups.items()))
        entries = [(k, str(val)) for k, val in config.items() if k in KEYS]
        if v["flinkVersion"] in VERSIONS and entries:
            write("fuzz_derivation", fdp_encode(VERSIONS.index(v["flinkVersion"]), entries))

    # The server's path: every review fixture of the tests, to /validate (0) and to /mutate (1).
    reviews = os.path.join(ROOT, "tests", "data", "reviews")
    for name in sorted(os.listdir(reviews)):
        body = open(os.path.join(reviews, name), "rb").read()
        write("fuzz_review", b"\x00" + body)
        write("fuzz_review", b"\x01" + body)
    # An object of the wrong shape: an in-band 400 on /validate, let through with a warning on /mutate.
    valid = open(os.path.join(reviews, "fd-valid.json"), "rb").read()
    write("fuzz_review", b"\x01" + valid.replace(b'"flinkConfiguration": {', b'"flinkConfiguration": "x", "y": {', 1))

    # Policy files: the embedded default, the README's annotated one and the tests' raw strings.
    policy_cpp = open(os.path.join(ROOT, "webhook", "engine", "policy.cpp")).read()
    write("fuzz_policy", policy_cpp.split('kEmbeddedPolicyYaml = R"(')[1].split(')"')[0])
    readme = open(os.path.join(ROOT, "README.md")).read()
    for block in re.findall(r"```yaml\n(.*?)```", readme, re.S):
        if "findings:" in block or "namespaces:" in block:
            write("fuzz_policy", block)
    for text in re.findall(r'R"\((.*?)\)"', open(os.path.join(ROOT, "tests", "webhook", "policy_test.cpp")).read(), re.S):
        write("fuzz_policy", text)
    for text in ["mode: warn\n", "excludeNamespaces: [kube-*, flink-dev]\n", "findings: {process-exceeds-limit: off}\n",
                 "namespaces:\n  team-a:\n    headroom: 10%\n    mutations: false\n", "thresholds:\n  jvmOverheadMinimum: 192m\n"]:
        write("fuzz_policy", text)

    # Manifests for `check`: the tests' manifest files, the objects of the review fixtures as JSON,
    # and YAML that takes the reader's other paths (aliases, Lists, documents without kind).
    manifests = os.path.join(ROOT, "tests", "data", "manifests")
    for dirpath, dirnames, files in os.walk(manifests):
        dirnames.sort()
        for name in sorted(files):
            write("fuzz_manifests", open(os.path.join(dirpath, name), "rb").read())
    for name in sorted(os.listdir(reviews)):
        try:
            obj = json.loads(open(os.path.join(reviews, name), "rb").read())["request"]["object"]
        except (ValueError, KeyError, TypeError):
            continue
        if isinstance(obj, dict):
            write("fuzz_manifests", json.dumps(obj))
    for text in ["replicaCount: 1\nimage: {repository: flink, tag: '1.20'}\n", '{"a": 1}',
                 "kind: ConfigMap\n---\nfoo: bar\n---\n", "kind: List\nitems:\n- {kind: ConfigMap}\n- 1\n- {a: b}\n",
                 "kind: T\nbase: &b {cpu: 1, mem: 2Gi}\ncopy: *b\nlist: [*b, *b]\n&k name: x\n*k : y\n",
                 "kind: T\nn: [~, null, yes, off, 0x1F, 0o17, 017, 1_000, 1e3, .inf, -.inf, .nan, !!str 12, !!binary aGk=]\n",
                 "kind: T\na: \"\\u00e9\\x00\\t\"\nb: |\n  text\n", "just text\n", "- a\n", "kind: T\n[a]: 1\n",
                 "%YAML 1.1\n--- !!map\nkind: T\n...\n"]:
        write("fuzz_manifests", text)

    # The TLS layer (fuzz_tls_stream.cpp: byte 0 bit 0 a real client, bit 1 corrupt after the records, bit 2
    # close_notify; byte 1 the send size less one): a raw record header, a real client's HTTP requests closed
    # cleanly, a binary payload cut without close_notify, records followed by a forged record header.
    write("fuzz_tls_stream", b"\x00\x07" + b"\x16\x03\x01\x00\x05hello")
    write("fuzz_tls_stream", b"\x05\x3f" + b"POST /validate HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}" * 4)
    write("fuzz_tls_stream", b"\x01\xff" + bytes(range(256)) * 8)
    write("fuzz_tls_stream", b"\x03\x0f" + b"\x17\x03\x03\x40\x00" + b"A" * 200)


    # A whole connection (fuzz_session.cpp: byte 0 the send size less one, then what the client sends):
    # each review fixture that fits the fuzzer's 12 KiB body limit posted to /validate or /mutate, two of
    # them pipelined, one chunked and one behind Expect: 100-continue, and a probe.
    def post(path, body, extra=b""):
        return (b"POST " + path + b"?timeout=10s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + extra +
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    small = [open(os.path.join(reviews, n), "rb").read() for n in sorted(os.listdir(reviews))]
    small = [b for b in small if len(b) < 12 * 1024]
    for i, body in enumerate(small):
        write("fuzz_session", bytes([255]) + post(b"/validate" if i % 2 == 0 else b"/mutate", body))
    if len(small) >= 2:
        write("fuzz_session", bytes([63]) + post(b"/validate", small[0]) + post(b"/mutate", small[1]))
        chunked = b"".join(b"%x\r\n" % len(small[0][i:i + 500]) + small[0][i:i + 500] + b"\r\n"
                           for i in range(0, len(small[0]), 500)) + b"0\r\n\r\n"
        write("fuzz_session", bytes([200]) + b"POST /validate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked)
        write("fuzz_session", bytes([7]) + post(b"/validate", small[1], b"Expect: 100-continue\r\n"))
    write("fuzz_session", bytes([0]) + b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\n\r\n")


if __name__ == "__main__":
    main()
