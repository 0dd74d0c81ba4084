#!/usr/bin/env python3
"""Writes a benchmark review in the form the Flink Kubernetes Operator's webhook of release 1.7.0 reads.

    operator_review.py SOURCE.json DEST.json

Two changes to the FlinkDeployment in request.object and request.oldObject, nothing else:
- spec.flinkVersion v1_20 becomes v1_19: operator 1.7.0's FlinkVersion enum ends at v1_19, and an
  unknown value makes its webhook answer HTTP 500 (a Jackson exception, logged with its stack trace).
- status.reconciliationStatus.lastReconciledSpec becomes what the operator itself writes there
  (SpecUtils.writeSpecWithMeta: {"spec": ..., "resource_metadata": {...}}) with oldObject's spec. The
  bench fixtures carry an abbreviated {"spec": {...}} without the job, which the operator reads as a
  session cluster's spec and answers "Cannot switch from session to job cluster".
"""
import json
import sys


def main():
    src, dst = sys.argv[1], sys.argv[2]
    with open(src) as f:
        review = json.load(f)
    request = review["request"]
    for key in ("object", "oldObject"):
        request[key]["spec"]["flinkVersion"] = "v1_19"
    last = json.dumps({"spec": request["oldObject"]["spec"],
                       "resource_metadata": {"apiVersion": "flink.apache.org/v1beta1", "firstDeployment": False}},
                      separators=(",", ":"))
    for key in ("object", "oldObject"):
        request[key]["status"]["reconciliationStatus"]["lastReconciledSpec"] = last
    with open(dst, "w") as f:
        json.dump(review, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
