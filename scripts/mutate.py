#!/usr/bin/env python3
"""make mutate: applies each one-line mistake of tests/mutate/catalogue.txt to a scratch copy of the
source tree (outside the clone, reused across runs so builds are incremental and ccache hits), builds
the targets the suites need, runs them, and counts the mistake killed when a suite fails or times out.
A `find` text that no longer occurs exactly once is an error (the catalogue needs updating), never a kill;
so is a mutation that does not compile (it says nothing about the tests)."""
import argparse, os, re, shutil, subprocess, sys, time

TARGETS = {"memmodel_tests": ["memmodel_tests"], "webhook_tests": ["webhook_tests", "flink-memguard"],
           "faults": ["flink-memguard", "fault_driver"]}


def parse(path):
    entries, cur = [], None
    for raw in open(path, encoding="utf-8"):
        line = raw.rstrip("\n")
        if line.startswith("#"):
            continue
        if not line.strip():
            cur = None
            continue
        key, _, value = line.partition(": ")
        if key not in ("id", "file", "find", "replace", "breaks", "run"):
            sys.exit(f"{path}: unknown field in line: {line}")
        if key == "id":
            cur = {"id": value, "run": []}
            entries.append(cur)
        elif cur is None:
            sys.exit(f"{path}: field before id: {line}")
        elif key == "run":
            cur["run"].append(value)
        else:
            cur[key] = value.replace("\\n", "\n")
    ids = [e["id"] for e in entries]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        sys.exit(f"{path}: duplicate ids: {sorted(dup)}")
    for e in entries:
        for k in ("file", "find", "replace", "breaks"):
            if k not in e:
                sys.exit(f"{path}: {e['id']} has no {k}")
        if not e["run"]:
            sys.exit(f"{path}: {e['id']} has no run")
    return entries


def sync_tree(repo, scratch):
    """Copies the clone's tracked and untracked-but-not-ignored files into scratch, touching only files
    whose content changed, so the scratch build stays incremental."""
    files = subprocess.run(["git", "-C", repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           check=True, capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        src, dst = os.path.join(repo, rel), os.path.join(scratch, rel)
        if not os.path.isfile(src):
            continue
        data = open(src, "rb").read()
        if os.path.exists(dst) and open(dst, "rb").read() == data:
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        # A fresh mtime, not the clone's (copy2 kept it): a file merged before the scratch's last build
        # was older than its object there, and make linked the stale object (undefined symbols).
        shutil.copyfile(src, dst)
        shutil.copymode(src, dst)


def run(cmd, cwd, timeout, log):
    log.write(f"$ {' '.join(cmd)}\n")
    log.flush()
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, timeout=timeout,
                           start_new_session=True)
        return p.returncode
    except subprocess.TimeoutExpired:
        log.write("TIMEOUT\n")
        return "timeout"


def suite_command(spec, build):
    words = spec.split(None, 1)
    name = words[0]
    if name == "faults":
        return ["ctest", "--test-dir", build, "-R", "^faults:", "--output-on-failure"]
    if name not in TARGETS:
        sys.exit(f"unknown suite {name}")
    cmd = [os.path.join(build, "tests", name)]
    if len(words) > 1:
        cmd.append(words[1])
    return cmd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--catalogue", default="tests/mutate/catalogue.txt")
    ap.add_argument("--scratch", required=True, help="scratch copy of the tree, outside the clone")
    ap.add_argument("--jobs", default=str(os.cpu_count() or 1))
    ap.add_argument("--timeout", type=int, default=600, help="seconds per suite run")
    ap.add_argument("--only", default="", help="regular expression over ids")
    ap.add_argument("--check", action="store_true", help="only check that every find text matches once")
    args = ap.parse_args()
    repo = os.path.abspath(".")
    entries = parse(args.catalogue)
    if args.only:
        entries = [e for e in entries if re.search(args.only, e["id"])]
    if not entries:
        sys.exit(f"no catalogue entry matches --only '{args.only}'")

    errors = []
    for e in entries:
        text = open(os.path.join(repo, e["file"]), encoding="utf-8").read() if os.path.exists(
            os.path.join(repo, e["file"])) else ""
        n = text.count(e["find"])
        if n != 1:
            errors.append(e["id"])
            print(f"ERROR {e['id']}: find text occurs {n} times in {e['file']}")
    if args.check or errors:
        print(f"{len(entries) - len(errors)} of {len(entries)} entries match exactly once")
        # A mistake whose line is gone is never skipped: the catalogue must follow the code first.
        return 1 if errors else 0

    scratch = os.path.abspath(args.scratch)
    if scratch == repo or scratch.startswith(repo + os.sep):
        sys.exit("the scratch copy must be outside the clone")
    build = os.path.join(scratch, "build")
    os.makedirs(scratch, exist_ok=True)
    sync_tree(repo, scratch)
    log = open(os.path.join(scratch, "mutate.log"), "w")
    env_cmake = ["cmake", "-S", scratch, "-B", build, "-DCMAKE_BUILD_TYPE=RelWithDebInfo"]
    if not os.path.exists(os.path.join(build, "CMakeCache.txt")):
        if run(env_cmake, scratch, 3600, log) != 0:
            sys.exit("configure failed, see " + log.name)
    all_targets = sorted({t for e in entries for r in e["run"] for t in TARGETS[r.split()[0]]})

    def build_targets(targets):
        return run(["cmake", "--build", build, "-j", args.jobs, "--target", *targets], scratch, 3600, log)

    start = time.time()
    if build_targets(all_targets) != 0:
        sys.exit("the unmutated tree does not build, see " + log.name)
    # Every suite must pass unmutated, or a failure would say nothing about a mutation (a Catch2 spec
    # that selects no test also fails here).
    for spec in sorted({r for e in entries for r in e["run"]}):
        if run(suite_command(spec, build), scratch, args.timeout, log) != 0:
            sys.exit(f"suite '{spec}' fails on the unmutated tree, see {log.name}")
    print(f"baseline: built and every suite passes ({time.time() - start:.0f} s)", flush=True)

    killed, survived, stillborn = [], [], []
    for e in entries:
        if e["id"] in errors:
            continue
        path = os.path.join(scratch, e["file"])
        original = open(path, encoding="utf-8").read()
        t0 = time.time()
        try:
            open(path, "w", encoding="utf-8").write(original.replace(e["find"], e["replace"], 1))
            log.write(f"\n=== {e['id']}\n")
            targets = sorted({t for r in e["run"] for t in TARGETS[r.split()[0]]})
            if build_targets(targets) != 0:
                stillborn.append(e)
                verdict = "DOES NOT COMPILE"
            else:
                verdict = "survived"
                for spec in e["run"]:
                    rc = run(suite_command(spec, build), scratch, args.timeout, log)
                    if rc != 0:
                        verdict = f"killed by {spec}" + (" (timeout)" if rc == "timeout" else "")
                        break
                (survived if verdict == "survived" else killed).append(e)
        finally:
            # Restore the content; the next build recompiles this file (a ccache hit: same text as before).
            open(path, "w", encoding="utf-8").write(original)
        print(f"{e['id']}: {verdict} ({time.time() - t0:.0f} s)", flush=True)

    judged = len(killed) + len(survived)
    print(f"\nmutation score: {len(killed)} of {judged} killed ({100.0 * len(killed) / max(judged, 1):.1f}%), "
          f"{len(stillborn)} did not compile, {len(errors)} catalogue errors, {time.time() - start:.0f} s")
    for e in survived:
        print(f"  survivor {e['id']} ({e['file']}): {e['breaks']}")
    for e in stillborn:
        print(f"  does not compile: {e['id']}")
    # The bar: at least 90% of the compiling mutations are killed.
    return 1 if stillborn or len(killed) * 10 < judged * 9 else 0


if __name__ == "__main__":
    sys.exit(main())
