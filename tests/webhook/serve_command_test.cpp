// Tests of `flink-memguard serve` as a process: flags, startup lines, SIGTERM drain, exit codes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <thread>

#include "server_test_support.h"
#include "webhook/cli/serve_command.h"

namespace {

using namespace memguard::testing;
namespace http = boost::beast::http;

struct Pki {
  TempDir dir;
  KeyPair ca = make_ca(dir.path(), "ca");
  KeyPair server = make_leaf(dir.path(), "server", ca);
  ClientOptions client() const { return ClientOptions{ca.cert, std::nullopt, 0, 0, false}; }
};

std::vector<std::string> serve_args(const Pki& pki, const std::string& listen = "127.0.0.1:0") {
  return {"serve", "--listen", listen, "--tls-cert", pki.server.cert.string(), "--tls-key", pki.server.key.string()};
}

}  // namespace

TEST_CASE("serve prints ready with the bound address and serves reviews", "[cli][serve]") {
  Pki pki;
  ChildProcess proc(serve_args(pki));
  auto ready = proc.wait_for_line(R"("msg":"ready")", std::chrono::seconds(20));
  REQUIRE(ready);
  const unsigned short port = port_from_line(*ready);
  REQUIRE(port != 0);
  TlsClient client(port, pki.client());
  REQUIRE_FALSE(client.connect());
  Reply r = client.request(http::verb::post, "/validate?timeout=10s", sample_review());
  CHECK(r.status() == 200);
  client.close();
  proc.signal(SIGINT);
  CHECK(proc.wait(std::chrono::seconds(20)) == 0);
  CHECK_THAT(proc.stdout_text(), Catch::Contains(R"("msg":"admission review")"));
}

TEST_CASE("SIGTERM lets a request in flight complete, then the process exits 0", "[cli][serve][shutdown]") {
  Pki pki;
  ChildProcess proc(serve_args(pki));
  auto ready = proc.wait_for_line(R"("msg":"ready")", std::chrono::seconds(20));
  REQUIRE(ready);
  const unsigned short port = port_from_line(*ready);

  // Start a request and send only part of its body.
  const std::string review = sample_review();
  TlsClient busy(port, pki.client());
  REQUIRE_FALSE(busy.connect());
  REQUIRE_FALSE(busy.write_raw("POST /validate?timeout=10s HTTP/1.1\r\nHost: localhost\r\n"
                               "Content-Type: application/json\r\nContent-Length: " +
                               std::to_string(review.size()) + "\r\n\r\n" + review.substr(0, 200)));
  // Wait until the server counts it as in flight (the scrape itself is the other one).
  bool in_flight = false;
  for (int i = 0; i < 100 && !in_flight; ++i) {
    TlsClient scrape(port, pki.client());
    REQUIRE_FALSE(scrape.connect());
    in_flight = scrape.request(http::verb::get, "/metrics", "", "").response.body().find("memguard_inflight_requests 2\n") !=
                std::string::npos;
    scrape.close();
    if (!in_flight) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(in_flight);

  proc.signal(SIGTERM);
  REQUIRE(proc.wait_for_line("shutting down", std::chrono::seconds(10)));
  // New connections are refused once the listener is closed.
  TlsClient late(port, pki.client());
  CHECK(late.connect());

  REQUIRE_FALSE(busy.write_raw(review.substr(200)));
  Reply r = busy.read_reply();
  REQUIRE_FALSE(r.ec);
  CHECK(r.status() == 200);
  CHECK_THAT(r.response.body(), Catch::Contains(R"("uid":"3b1f7c2e-9a64-4d0b-8f2a-61c0f5d2a9e1")"));
  CHECK_FALSE(r.response.keep_alive());
  busy.close();
  CHECK(proc.wait(std::chrono::seconds(30)) == 0);
  CHECK_THAT(proc.stdout_text(), Catch::Contains(R"("msg":"stopped")"));
}

TEST_CASE("serve rejects bad usage with exit code 2 and says why", "[cli][serve]") {
  Pki pki;
  auto run = [](std::vector<std::string> args) {
    ChildProcess proc(args);
    auto code = proc.wait(std::chrono::seconds(20));
    return std::make_pair(code, proc.stderr_text());
  };
  SECTION("no certificate") {
    auto [code, err] = run({"serve", "--listen", "127.0.0.1:0"});
    CHECK(code == 2);
    CHECK_THAT(err, Catch::Contains("--tls-cert and --tls-key are required"));
  }
  SECTION("an unknown option") {
    auto [code, err] = run({"serve", "--tls-cert", "a", "--tls-key", "b", "--http2"});
    CHECK(code == 2);
    CHECK_THAT(err, Catch::Contains("unknown option '--http2'"));
  }
  SECTION("a listen address that is not an IP address") {
    auto args = serve_args(pki, "webhook.example:8443");
    auto [code, err] = run(args);
    CHECK(code == 2);
    CHECK_THAT(err, Catch::Contains("is not an IP address"));
  }
  SECTION("a bad thread count") {
    auto args = serve_args(pki);
    args.insert(args.end(), {"--threads", "0"});
    auto [code, err] = run(args);
    CHECK(code == 2);
    CHECK_THAT(err, Catch::Contains("--threads needs a number"));
  }
  SECTION("a body budget smaller than one body at the limit") {
    auto args = serve_args(pki);
    args.insert(args.end(), {"--body-budget-mb", "2"});
    auto [code, err] = run(args);
    CHECK(code == 2);
    CHECK_THAT(err, Catch::Contains("--body-budget-mb needs a number of MiB from 3"));
  }
  SECTION("a heap cap that is neither a size nor auto") {
    auto args = serve_args(pki);
    args.insert(args.end(), {"--max-heap-mb", "lots"});
    auto [code, err] = run(args);
    CHECK(code == 2);
    CHECK_THAT(err, Catch::Contains("--max-heap-mb needs a number of MiB from 16, or auto"));
  }
  SECTION("a decision timeout below 100 ms") {
    auto args = serve_args(pki);
    args.insert(args.end(), {"--decision-timeout-ms", "10"});
    auto [code, err] = run(args);
    CHECK(code == 2);
    CHECK_THAT(err, Catch::Contains("--decision-timeout-ms needs"));
  }
}

TEST_CASE("serve caps its heap when asked, and says so", "[cli][serve][hostile]") {
  Pki pki;
  auto args = serve_args(pki);
  args.insert(args.end(), {"--max-heap-mb", "64", "--decision-threads", "1", "--body-budget-mb", "8"});
  ChildProcess proc(args);
  REQUIRE(proc.wait_for_line(R"("msg":"ready")", std::chrono::seconds(20)));
  proc.signal(SIGTERM);
  CHECK(proc.wait(std::chrono::seconds(20)) == 0);
  // A build without mimalloc (the sanitizer builds) cannot cap and says that instead.
  const bool capped = proc.stdout_text().find(R"("msg":"heap capped","bytes":"67108864","source":"--max-heap-mb")") !=
                      std::string::npos;
  const bool refused = proc.stderr_text().find("heap cap not applied: this build is not linked with mimalloc") !=
                       std::string::npos;
  CHECK(capped != refused);
  CHECK_THAT(proc.stdout_text(), Catch::Contains(R"("decision_threads":"1")"));
}

// A FlinkDeployment review near the 3 MiB body limit whose TaskManager is too small, so the fix
// search runs over ~400,000 external-resource names: about 50 MB of heap to decide
// (bench/hostile/make_reviews.py, fd-external-resources).
std::string hungry_review() {
  std::string names;
  for (int i = 0; names.size() < 3'000'000; ++i) names += (i ? ";r" : "r") + std::to_string(i);
  return R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"uid-hungry",)"
         R"("kind":{"group":"flink.apache.org","version":"v1beta1","kind":"FlinkDeployment"},)"
         R"("resource":{"group":"flink.apache.org","version":"v1beta1","resource":"flinkdeployments"},)"
         R"("name":"hungry","namespace":"hostile","operation":"CREATE","userInfo":{"username":"attacker"},)"
         R"("object":{"apiVersion":"flink.apache.org/v1beta1","kind":"FlinkDeployment",)"
         R"("metadata":{"name":"hungry","namespace":"hostile"},"spec":{"image":"flink:1.20","flinkVersion":"v1_20",)"
         R"("flinkConfiguration":{"external-resources":")" +
         names +
         R"(","external-resource.r0.amount":"1"},"jobManager":{"resource":{"memory":"2048Mi","cpu":1}},)"
         R"("taskManager":{"resource":{"memory":"100Mi","cpu":1}}}}}})";
}

TEST_CASE("Running out of a capped heap fails those reviews with a 500, and the server goes on", "[cli][serve][hostile]") {
  Pki pki;
  auto args = serve_args(pki);
  // 24 MiB: the server at rest fits, one hungry review does not.
  args.insert(args.end(), {"--max-heap-mb", "24", "--decision-threads", "2"});
  ChildProcess proc(args);
  auto ready = proc.wait_for_line(R"("msg":"ready")", std::chrono::seconds(20));
  REQUIRE(ready);
  const unsigned short port = port_from_line(*ready);
  const bool capped = proc.stdout_text().find(R"("msg":"heap capped")") != std::string::npos;
  const std::string body = hungry_review();
  std::vector<int> statuses(4, 0);
  std::vector<std::string> answers(4);
  std::vector<std::thread> clients;
  for (size_t i = 0; i < statuses.size(); ++i) {
    clients.emplace_back([&, i] {
      TlsClient client(port, pki.client());
      if (client.connect()) return;
      Reply r = client.request(http::verb::post, "/validate?timeout=10s", body);
      statuses[i] = r.status();
      answers[i] = r.response.body();
    });
  }
  for (auto& t : clients) t.join();
  for (size_t i = 0; i < statuses.size(); ++i) {
    CAPTURE(i, answers[i].substr(0, 300));
    if (capped) {
      // Out of heap (500) or, while others hold the body budget or the queue, 503: never a dead process.
      CHECK((statuses[i] == 500 || statuses[i] == 503));
      CHECK_THAT(answers[i], Catch::StartsWith("{\"error\":"));
    } else {
      CHECK(statuses[i] == 200);  // a build without mimalloc cannot cap: the review is decided
    }
  }
  if (capped) {
    CHECK(std::count(statuses.begin(), statuses.end(), 500) >= 1);
  }
  // The same process still answers: probes and an ordinary review.
  TlsClient after(port, pki.client());
  REQUIRE_FALSE(after.connect());
  CHECK(after.request(http::verb::get, "/healthz").status() == 200);
  CHECK(after.request(http::verb::post, "/validate?timeout=10s", sample_review()).status() == 200);
  after.close();
  proc.signal(SIGTERM);
  const auto code = proc.wait(std::chrono::seconds(20));
  INFO(proc.stdout_text().substr(proc.stdout_text().size() > 3000 ? proc.stdout_text().size() - 3000 : 0));
  INFO(proc.stderr_text());
  INFO("exit status: " << (code ? std::to_string(*code) : std::string("still running")));
  CHECK(code == 0);
}

TEST_CASE("The cgroup memory limit is read from v2 or v1 files", "[cli][serve]") {
  TempDir dir;
  CHECK_FALSE(memguard::cli::cgroup_memory_limit(dir.path().string()));
  write_text(dir / "memory.max", "max\n");
  CHECK_FALSE(memguard::cli::cgroup_memory_limit(dir.path().string()));
  write_text(dir / "memory.max", "134217728\n");
  CHECK(memguard::cli::cgroup_memory_limit(dir.path().string()) == 134217728u);
  CHECK(memguard::cli::default_heap_cap(134217728u) == 67108864u);
  write_text(dir / "memory.max", "0\n");  // no cap of 0 bytes, which would fail every review
  CHECK_FALSE(memguard::cli::cgroup_memory_limit(dir.path().string()));
  fs::remove(dir / "memory.max");
  fs::create_directories(dir / "memory");
  write_text(dir / "memory/memory.limit_in_bytes", "9223372036854771712\n");  // v1's "no limit"
  CHECK_FALSE(memguard::cli::cgroup_memory_limit(dir.path().string()));
  write_text(dir / "memory/memory.limit_in_bytes", "268435456\n");
  CHECK(memguard::cli::cgroup_memory_limit(dir.path().string()) == 268435456u);
}

TEST_CASE("serve exits 1 when the port is taken", "[cli][serve]") {
  Pki pki;
  ChildProcess first(serve_args(pki));
  auto ready = first.wait_for_line(R"("msg":"ready")", std::chrono::seconds(20));
  REQUIRE(ready);
  const std::string taken = "127.0.0.1:" + std::to_string(port_from_line(*ready));
  ChildProcess second(serve_args(pki, taken));
  CHECK(second.wait(std::chrono::seconds(20)) == 1);
  CHECK_THAT(second.stderr_text(), Catch::Contains("cannot bind"));
  first.signal(SIGTERM);
  CHECK(first.wait(std::chrono::seconds(20)) == 0);
}

TEST_CASE("serve applies the policy file and picks up a changed policy without a restart", "[cli][serve][policy]") {
  Pki pki;
  const auto policy = pki.dir.path() / "policy.yaml";
  // Start with every finding that the denied fixture triggers set to deny (the default).
  write_text(policy, "findings:\n  memory-config-rejected: deny\n");
  auto args = serve_args(pki);
  args.insert(args.end(), {"--policy", policy.string(), "--cert-poll-interval", "1"});
  ChildProcess proc(args);
  auto ready = proc.wait_for_line(R"("msg":"ready")", std::chrono::seconds(20));
  REQUIRE(ready);
  const unsigned short port = port_from_line(*ready);
  const std::string review = read_text(fs::path(MEMGUARD_TEST_DATA) / "reviews" / "fd-memory-config-rejected.json");

  auto allowed = [&] {
    TlsClient client(port, pki.client());
    REQUIRE_FALSE(client.connect());
    Reply r = client.request(http::verb::post, "/validate", review);
    REQUIRE(r.status() == 200);
    return r.response.body().find(R"("allowed":true)") != std::string::npos;
  };
  CHECK_FALSE(allowed());

  // kubelet swaps a mounted ConfigMap by renaming; a plain rewrite is detected the same way (bytes).
  write_text(policy, "findings:\n  memory-config-rejected: warn\n");
  REQUIRE(proc.wait_for_line(R"("msg":"policy reloaded")", std::chrono::seconds(10)));
  CHECK(allowed());

  // A broken policy is reported and the last good one stays in force.
  write_text(policy, "findings:\n  no-such-finding: deny\n");
  // Wait for the report itself (polled every second; 60 s is far beyond any scheduling delay).
  std::string errors;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (errors.find("keeping the previous policy") == std::string::npos && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    errors += proc.stderr_text();
  }
  CHECK_THAT(errors, Catch::Contains("keeping the previous policy") && Catch::Contains("no-such-finding"));
  CHECK(allowed());

  proc.signal(SIGTERM);
  CHECK(proc.wait(std::chrono::seconds(20)) == 0);
}

TEST_CASE("serve refuses to start with an invalid policy file", "[cli][serve][policy]") {
  Pki pki;
  const auto policy = pki.dir.path() / "policy.yaml";
  write_text(policy, "findings:\n  memory-config-rejected: maybe\n");
  auto args = serve_args(pki);
  args.insert(args.end(), {"--policy", policy.string()});
  ChildProcess proc(args);
  CHECK(proc.wait(std::chrono::seconds(20)) == 2);
  CHECK_THAT(proc.stderr_text(), Catch::Contains("maybe"));
}

TEST_CASE("SIGHUP reloads the certificate and the policy at once and the server keeps serving", "[cli][serve][reload]") {
  Pki pki;
  const auto policy = pki.dir.path() / "policy.yaml";
  write_text(policy, "findings:\n  memory-config-rejected: deny\n");
  // A poll interval of an hour: anything picked up within the test was picked up by the signal.
  auto args = serve_args(pki);
  args.insert(args.end(), {"--policy", policy.string(), "--cert-poll-interval", "3600"});
  ChildProcess proc(args);
  auto ready = proc.wait_for_line(R"("msg":"ready")", std::chrono::seconds(20));
  REQUIRE(ready);
  const unsigned short port = port_from_line(*ready);
  const std::string review = read_text(fs::path(MEMGUARD_TEST_DATA) / "reviews" / "fd-memory-config-rejected.json");
  auto verdict = [&](std::string* fingerprint) {
    TlsClient client(port, pki.client());
    REQUIRE_FALSE(client.connect());
    if (fingerprint) *fingerprint = client.peer_fingerprint();
    Reply r = client.request(http::verb::post, "/validate", review);
    REQUIRE(r.status() == 200);
    return r.response.body().find(R"("allowed":true)") != std::string::npos;
  };
  std::string served;
  CHECK_FALSE(verdict(&served));
  CHECK(served == fingerprint_of(pki.server.cert));

  // A new certificate and key in place of the old ones, and a new policy; then the signal.
  const KeyPair renewed = make_leaf(pki.dir.path(), "renewed", pki.ca);
  write_text(pki.server.cert, read_text(renewed.cert));
  write_text(pki.server.key, read_text(renewed.key));
  write_text(policy, "findings:\n  memory-config-rejected: warn\n");
  proc.signal(SIGHUP);
  REQUIRE(proc.wait_for_line(R"("msg":"policy reloaded")", std::chrono::seconds(10)));
  CHECK(verdict(&served));
  CHECK(served == fingerprint_of(renewed.cert));

  // SIGHUP never stops the server: it still drains and exits 0 on SIGTERM.
  proc.signal(SIGHUP);
  CHECK(verdict(nullptr));
  proc.signal(SIGTERM);
  CHECK(proc.wait(std::chrono::seconds(20)) == 0);
  CHECK_THAT(proc.stdout_text(), Catch::Contains("reloading on request"));
}
