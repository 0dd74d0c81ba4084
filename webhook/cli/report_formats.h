// The check report for CI systems: SARIF 2.1.0 (code-scanning annotations) and JUnit XML (test
// reports), from the same Report as the text and JSON outputs.
#pragma once

#include <string>

#include "webhook/cli/report.h"

namespace memguard::cli {

// One SARIF run; a result per finding (deny: error, warn: warning) and per unreadable object
// (rule "unreadable"), located at the object's file with its kind/namespace/name as logical location.
std::string report_sarif(const Report& report);

// One testsuite; a testcase per judged or unreadable object: denied is a failure, unreadable an
// error, warnings go to the case's system-out.
std::string report_junit(const Report& report);

// The file part of a source ("k8s/a.yaml:2 items[3]" -> "k8s/a.yaml").
std::string source_file(const std::string& source);

}  // namespace memguard::cli
