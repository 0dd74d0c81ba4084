// Installation tests: charts/flink-memguard rendered by Helm 3 and Helm 4 over several value sets,
// and deploy/ rendered by kubectl kustomize, checked object by object for what keeps a cluster safe.
#include <catch2/catch.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

const fs::path kSource = MEMGUARD_SOURCE_DIR;
const fs::path kChart = kSource / "charts" / "flink-memguard";
const std::string kNamespace = "guard-ns";
const std::string kRelease = "fmg";
const std::string kFullname = "fmg-flink-memguard";

struct Helm {
  const char* label;
  const char* path;
};
const Helm kHelm3{"helm3", MEMGUARD_HELM3};
const Helm kHelm4{"helm4", MEMGUARD_HELM4};

struct Result {
  int status = -1;
  std::string out;
  std::string err;
};

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs a command with no shell interpretation of its arguments; stdout and stderr are captured
// through files so that neither can fill a pipe and stall the tool.
Result run(const std::vector<std::string>& argv) {
  static int counter = 0;
  const fs::path dir = fs::temp_directory_path() / ("memguard-install-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path out = dir / (std::to_string(counter) + ".out");
  const fs::path err = dir / (std::to_string(counter++) + ".err");
  std::string cmd;
  for (const auto& a : argv) cmd += shell_quote(a) + " ";
  cmd += "</dev/null >" + shell_quote(out.string()) + " 2>" + shell_quote(err.string());
  const int raw = std::system(cmd.c_str());
  Result r;
  r.status = (raw != -1 && WIFEXITED(raw)) ? WEXITSTATUS(raw) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  fs::remove(out);
  fs::remove(err);
  return r;
}

std::vector<YAML::Node> parse_documents(const std::string& text) {
  std::vector<YAML::Node> docs;
  for (const auto& d : YAML::LoadAll(text)) {
    if (d.IsMap()) docs.push_back(d);
  }
  return docs;
}

// helm template for release kRelease in kNamespace; fails the test if Helm refuses.
std::vector<YAML::Node> render(const Helm& helm, const std::vector<std::string>& args) {
  std::vector<std::string> argv{helm.path, "template", kRelease, kChart.string(), "--namespace", kNamespace};
  argv.insert(argv.end(), args.begin(), args.end());
  const Result r = run(argv);
  INFO(helm.label << " stderr: " << r.err);
  REQUIRE(r.status == 0);
  return parse_documents(r.out);
}

Result render_failure(const Helm& helm, const std::vector<std::string>& args) {
  std::vector<std::string> argv{helm.path, "template", kRelease, kChart.string(), "--namespace", kNamespace};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

std::string str(const YAML::Node& n) { return n && n.IsScalar() ? n.as<std::string>() : std::string(); }

std::vector<std::string> strings(const YAML::Node& n) {
  std::vector<std::string> v;
  if (n && n.IsSequence()) {
    for (const auto& e : n) v.push_back(e.as<std::string>());
  }
  return v;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::vector<YAML::Node> of_kind(const std::vector<YAML::Node>& docs, const std::string& kind) {
  std::vector<YAML::Node> found;
  for (const auto& d : docs) {
    if (str(d["kind"]) == kind) found.push_back(d);
  }
  return found;
}

YAML::Node one(const std::vector<YAML::Node>& docs, const std::string& kind, const std::string& name = "") {
  std::vector<YAML::Node> found;
  for (const auto& d : of_kind(docs, kind)) {
    if (name.empty() || str(d["metadata"]["name"]) == name) found.push_back(d);
  }
  INFO("kind " << kind << " name '" << name << "'");
  REQUIRE(found.size() == 1);
  return found.front();
}

std::string base64_decode(const std::string& in) {
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=' || c == '\n') continue;
    const auto pos = alphabet.find(c);
    if (pos == std::string::npos) FAIL("not base64: " << in);
    buffer = (buffer << 6) | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFFu);
    }
  }
  return out;
}

YAML::Node webhook_named(const YAML::Node& config, const std::string& name) {
  for (const auto& w : config["webhooks"]) {
    if (str(w["name"]) == name) return w;
  }
  FAIL("no webhook " << name << " in " << str(config["metadata"]["name"]));
  return {};
}

YAML::Node find_expression(const YAML::Node& selector, const std::string& key) {
  for (const auto& e : selector["matchExpressions"]) {
    if (str(e["key"]) == key) return e;
  }
  return {};
}

std::string arg_after(const std::vector<std::string>& args, const std::string& flag) {
  const auto it = std::find(args.begin(), args.end(), flag);
  return (it == args.end() || it + 1 == args.end()) ? std::string() : *(it + 1);
}

bool labels_select(const YAML::Node& selector_labels, const YAML::Node& labels) {
  if (!selector_labels || selector_labels.size() == 0) return false;
  for (const auto& kv : selector_labels) {
    if (str(labels[kv.first.as<std::string>()]) != kv.second.as<std::string>()) return false;
  }
  return true;
}

enum class Tls { selfSigned, certManager, userSecret };

struct Install {
  std::vector<YAML::Node> docs;
  std::string ns;
  std::string fullname;
};

// Every rule that keeps the webhook from locking the cluster, for one webhook entry.
void check_webhook_entry(const YAML::Node& w, const Install& in, const std::string& path) {
  INFO("webhook " << str(w["name"]));
  CHECK(strings(w["admissionReviewVersions"]) == std::vector<std::string>{"v1"});
  CHECK(str(w["sideEffects"]) == "None");
  const std::string policy = str(w["failurePolicy"]);
  CHECK((policy == "Fail" || policy == "Ignore"));
  REQUIRE(w["timeoutSeconds"]);
  const int timeout = w["timeoutSeconds"].as<int>();
  CHECK(timeout >= 1);
  CHECK(timeout <= 10);
  const YAML::Node svc = w["clientConfig"]["service"];
  CHECK(str(svc["name"]) == in.fullname);
  CHECK(str(svc["namespace"]) == in.ns);
  CHECK(str(svc["path"]) == path);
  CHECK(svc["port"].as<int>() == 443);
  const YAML::Node names = find_expression(w["namespaceSelector"], "kubernetes.io/metadata.name");
  REQUIRE(names);
  CHECK(str(names["operator"]) == "NotIn");
  CHECK(contains(strings(names["values"]), "kube-system"));
  CHECK(contains(strings(names["values"]), in.ns));
  for (const auto& rule : w["rules"]) {
    for (const auto& r : strings(rule["resources"])) {
      CHECK_THAT(r, !Catch::Contains("*"));
      CHECK_THAT(r, !Catch::Contains("/"));  // never status or other subresources
    }
    for (const auto& op : strings(rule["operations"])) {
      CHECK((op == "CREATE" || op == "UPDATE"));
    }
  }
}

void check_flinkdeployment_rules(const YAML::Node& w) {
  REQUIRE(w["rules"].size() == 1);
  const YAML::Node rule = w["rules"][0];
  CHECK(strings(rule["apiGroups"]) == std::vector<std::string>{"flink.apache.org"});
  CHECK(strings(rule["resources"]) == std::vector<std::string>{"flinkdeployments"});
  CHECK(strings(rule["operations"]) == std::vector<std::string>{"CREATE", "UPDATE"});
}

void check_configmap_rules(const YAML::Node& w) {
  REQUIRE(w["rules"].size() == 1);
  const YAML::Node rule = w["rules"][0];
  CHECK(strings(rule["apiGroups"]) == std::vector<std::string>{""});
  CHECK(strings(rule["resources"]) == std::vector<std::string>{"configmaps"});
  CHECK(strings(rule["operations"]) == std::vector<std::string>{"CREATE", "UPDATE"});
  const YAML::Node ha = find_expression(w["objectSelector"], "configmap-type");
  REQUIRE(ha);
  CHECK(str(ha["operator"]) == "NotIn");
  CHECK(strings(ha["values"]) == std::vector<std::string>{"high-availability"});
  // ConfigMaps are written cluster-wide by core controllers: never fail closed on them.
  CHECK(str(w["failurePolicy"]) == "Ignore");
}

std::string the_ca_bundle(const YAML::Node& vwc, const YAML::Node& mwc) {
  std::set<std::string> bundles;
  for (const auto& config : {vwc, mwc}) {
    for (const auto& w : config["webhooks"]) bundles.insert(str(w["clientConfig"]["caBundle"]));
  }
  REQUIRE(bundles.size() == 1);
  return *bundles.begin();
}

// The pod template's TLS secret (volume "tls").
std::string tls_secret_of(const YAML::Node& deployment) {
  for (const auto& v : deployment["spec"]["template"]["spec"]["volumes"]) {
    if (str(v["name"]) == "tls") return str(v["secret"]["secretName"]);
  }
  return {};
}

void check_tls(const Install& in, Tls mode, const std::string& user_ca = "") {
  const YAML::Node vwc = one(in.docs, "ValidatingWebhookConfiguration");
  const YAML::Node mwc = one(in.docs, "MutatingWebhookConfiguration");
  const std::string secret = tls_secret_of(one(in.docs, "Deployment"));
  const std::string svc_dns = in.fullname + "." + in.ns + ".svc";
  switch (mode) {
    case Tls::selfSigned: {
      const YAML::Node s = one(in.docs, "Secret", secret);
      CHECK(str(s["type"]) == "kubernetes.io/tls");
      const std::string ca = base64_decode(str(s["data"]["ca.crt"]));
      const std::string crt = base64_decode(str(s["data"]["tls.crt"]));
      CHECK_THAT(base64_decode(str(s["data"]["tls.key"])), Catch::Contains("PRIVATE KEY-----"));
      CHECK(base64_decode(the_ca_bundle(vwc, mwc)) == ca);
      // The serving certificate chains to the bundle and names the Service the API server dials.
      const fs::path dir = fs::temp_directory_path() / ("memguard-tls-" + std::to_string(::getpid()));
      fs::create_directories(dir);
      std::ofstream(dir / "ca.crt") << ca;
      std::ofstream(dir / "tls.crt") << crt;
      const Result verify = run({"openssl", "verify", "-CAfile", (dir / "ca.crt").string(), (dir / "tls.crt").string()});
      INFO(verify.out << verify.err);
      CHECK(verify.status == 0);
      const Result text = run({"openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", (dir / "tls.crt").string()});
      CHECK_THAT(text.out, Catch::Contains("DNS:" + svc_dns));
      fs::remove_all(dir);
      break;
    }
    case Tls::certManager: {
      CHECK(of_kind(in.docs, "Secret").empty());  // cert-manager writes it
      CHECK(the_ca_bundle(vwc, mwc).empty());     // cainjector fills it
      const std::string inject = in.ns + "/" + in.fullname + "-serving";
      CHECK(str(vwc["metadata"]["annotations"]["cert-manager.io/inject-ca-from"]) == inject);
      CHECK(str(mwc["metadata"]["annotations"]["cert-manager.io/inject-ca-from"]) == inject);
      const YAML::Node cert = one(in.docs, "Certificate", in.fullname + "-serving");
      CHECK(str(cert["metadata"]["namespace"]) == in.ns);
      CHECK(str(cert["spec"]["secretName"]) == secret);
      CHECK(contains(strings(cert["spec"]["dnsNames"]), svc_dns));
      // Its issuer is one the installation creates, and that CA issuer is itself issued.
      const YAML::Node ca_issuer = one(in.docs, "Issuer", str(cert["spec"]["issuerRef"]["name"]));
      const YAML::Node ca_cert = one(in.docs, "Certificate", in.fullname + "-ca");
      CHECK(str(ca_issuer["spec"]["ca"]["secretName"]) == str(ca_cert["spec"]["secretName"]));
      CHECK(ca_cert["spec"]["isCA"].as<bool>());
      one(in.docs, "Issuer", str(ca_cert["spec"]["issuerRef"]["name"]));
      break;
    }
    case Tls::userSecret: {
      CHECK(of_kind(in.docs, "Secret").empty());
      CHECK(of_kind(in.docs, "Certificate").empty());
      CHECK(secret == "my-webhook-tls");
      CHECK(base64_decode(the_ca_bundle(vwc, mwc)) == user_ca);
      break;
    }
  }
}

// Everything but TLS, shared by every value set and by the plain manifests.
void check_installation(const Install& in, bool expect_match_conditions) {
  const YAML::Node vwc = one(in.docs, "ValidatingWebhookConfiguration");
  const YAML::Node mwc = one(in.docs, "MutatingWebhookConfiguration");
  for (const auto& w : vwc["webhooks"]) check_webhook_entry(w, in, "/validate");
  for (const auto& w : mwc["webhooks"]) check_webhook_entry(w, in, "/mutate");
  // Ordinary release objects, so that uninstalling deletes them: never hooks.
  for (const auto& config : {vwc, mwc}) {
    const YAML::Node annotations = config["metadata"]["annotations"];
    CHECK_FALSE((annotations && annotations["helm.sh/hook"]));
    for (const auto& w : config["webhooks"]) CHECK(bool(w["matchConditions"]) == expect_match_conditions);
  }

  const YAML::Node vfd = webhook_named(vwc, "flinkdeployments.validate.flink-memguard.io");
  check_flinkdeployment_rules(vfd);
  CHECK(str(vfd["failurePolicy"]) == "Fail");
  const YAML::Node mfd = webhook_named(mwc, "flinkdeployments.mutate.flink-memguard.io");
  check_flinkdeployment_rules(mfd);
  CHECK(str(mfd["failurePolicy"]) == "Ignore");
  check_configmap_rules(webhook_named(vwc, "configmaps.validate.flink-memguard.io"));
  check_configmap_rules(webhook_named(mwc, "configmaps.mutate.flink-memguard.io"));

  // Deployment: replicated, spread, locked down, probed.
  const YAML::Node d = one(in.docs, "Deployment", in.fullname);
  CHECK(str(d["metadata"]["namespace"]) == in.ns);
  CHECK(d["spec"]["replicas"].as<int>() >= 2);
  CHECK(d["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"].as<int>() == 0);
  const YAML::Node pod = d["spec"]["template"]["spec"];
  const YAML::Node pod_labels = d["spec"]["template"]["metadata"]["labels"];
  CHECK(pod["affinity"]["podAntiAffinity"]);
  CHECK(pod["securityContext"]["runAsNonRoot"].as<bool>());
  CHECK(str(pod["securityContext"]["seccompProfile"]["type"]) == "RuntimeDefault");
  REQUIRE(pod["containers"].size() == 1);
  const YAML::Node c = pod["containers"][0];
  const YAML::Node sc = c["securityContext"];
  CHECK(sc["runAsNonRoot"].as<bool>());
  CHECK(sc["readOnlyRootFilesystem"].as<bool>());
  CHECK_FALSE(sc["allowPrivilegeEscalation"].as<bool>());
  CHECK(strings(sc["capabilities"]["drop"]) == std::vector<std::string>{"ALL"});
  CHECK(str(sc["seccompProfile"]["type"]) == "RuntimeDefault");
  for (const char* kind : {"requests", "limits"}) {
    for (const char* res : {"cpu", "memory"}) {
      INFO(kind << "." << res);
      CHECK_FALSE(str(c["resources"][kind][res]).empty());
    }
  }
  REQUIRE(c["ports"].size() == 1);
  const std::string port_name = str(c["ports"][0]["name"]);
  const int container_port = c["ports"][0]["containerPort"].as<int>();
  for (const auto& [probe, path] : {std::pair{"readinessProbe", "/readyz"}, std::pair{"livenessProbe", "/healthz"}}) {
    INFO(probe);
    CHECK(str(c[probe]["httpGet"]["path"]) == path);
    CHECK(str(c[probe]["httpGet"]["scheme"]) == "HTTPS");
    CHECK(str(c[probe]["httpGet"]["port"]) == port_name);
  }
  const std::vector<std::string> args = strings(c["args"]);
  REQUIRE_FALSE(args.empty());
  CHECK(args[0] == "serve");
  CHECK(arg_after(args, "--listen") == "0.0.0.0:" + std::to_string(container_port));
  // A bounded thread pool: the server's default (one per node core) ignores the cpu limit.
  CHECK(std::atoi(arg_after(args, "--threads").c_str()) >= 1);
  // Counterpart lookups through the API, bounded well inside the API server's wait for a review.
  CHECK(arg_after(args, "--kube-api") == "in-cluster");
  const int lookup_ms = std::atoi(arg_after(args, "--kube-timeout-ms").c_str());
  CHECK(lookup_ms >= 1);
  CHECK(lookup_ms * 2 <= webhook_named(vwc, "flinkdeployments.validate.flink-memguard.io")["timeoutSeconds"].as<int>() * 1000);
  // The certificate, key and policy the server is told about are the mounted ones.
  std::set<std::string> mounted;
  for (const auto& m : c["volumeMounts"]) mounted.insert(str(m["mountPath"]));
  for (const char* flag : {"--tls-cert", "--tls-key", "--policy"}) {
    const std::string file = arg_after(args, flag);
    INFO(flag << " " << file);
    CHECK(mounted.count(fs::path(file).parent_path().string()) == 1);
  }

  // The ServiceAccount it runs as, read-only RBAC bound to it.
  const std::string sa = str(pod["serviceAccountName"]);
  one(in.docs, "ServiceAccount", sa);
  const YAML::Node role = one(in.docs, "ClusterRole");
  std::set<std::string> readable;
  for (const auto& rule : role["rules"]) {
    CHECK(strings(rule["verbs"]) == std::vector<std::string>{"get", "list", "watch"});
    for (const auto& r : strings(rule["resources"])) readable.insert(r);
  }
  for (const char* r : {"configmaps", "flinkdeployments", "deployments", "statefulsets", "jobs", "pods"}) {
    CHECK(readable.count(r) == 1);
  }
  const YAML::Node binding = one(in.docs, "ClusterRoleBinding");
  CHECK(str(binding["roleRef"]["name"]) == str(role["metadata"]["name"]));
  CHECK(str(binding["subjects"][0]["name"]) == sa);
  CHECK(str(binding["subjects"][0]["namespace"]) == in.ns);

  // The Service the webhooks call: 443 onto the named container port, selecting these pods.
  const YAML::Node svc = one(in.docs, "Service", in.fullname);
  CHECK(svc["spec"]["ports"][0]["port"].as<int>() == 443);
  CHECK(str(svc["spec"]["ports"][0]["targetPort"]) == port_name);
  CHECK(labels_select(svc["spec"]["selector"], pod_labels));

  // The PDB protects the same pods.
  const YAML::Node pdb = one(in.docs, "PodDisruptionBudget");
  CHECK(pdb["spec"]["minAvailable"].as<int>() >= 1);
  CHECK(labels_select(pdb["spec"]["selector"]["matchLabels"], pod_labels));

  // The policy ConfigMap is the one mounted where --policy points.
  std::string policy_cm;
  for (const auto& v : pod["volumes"]) {
    if (str(v["name"]) == "policy") policy_cm = str(v["configMap"]["name"]);
  }
  const YAML::Node cm = one(in.docs, "ConfigMap", policy_cm);
  CHECK(fs::path(arg_after(args, "--policy")).filename() == "policy.yaml");
  CHECK(cm["data"]["policy.yaml"]);

  for (const auto& doc : in.docs) {
    const std::string kind = str(doc["kind"]);
    if (kind == "ClusterRole" || kind == "ClusterRoleBinding" || kind == "Namespace" ||
        kind == "ValidatingWebhookConfiguration" || kind == "MutatingWebhookConfiguration") {
      continue;
    }
    INFO(kind << " " << str(doc["metadata"]["name"]));
    CHECK(str(doc["metadata"]["namespace"]) == in.ns);
  }
}

Install helm_install(const Helm& helm, const std::vector<std::string>& args) {
  return Install{render(helm, args), kNamespace, kFullname};
}

std::string user_ca_file() { return (kSource / "tests" / "data" / "install" / "user-ca.crt").string(); }

const std::vector<std::string> kCertManager{"--set", "tls.mode=certManager"};
std::vector<std::string> user_secret_args() {
  return {"--set", "tls.mode=secret", "--set", "tls.existingSecret=my-webhook-tls", "--set-file", "tls.caBundle=" + user_ca_file()};
}

}  // namespace

TEST_CASE("helm lint --strict accepts the chart with every TLS mode", "[install][helm]") {
  const Helm helm = GENERATE(kHelm3, kHelm4);
  const auto args = GENERATE(std::vector<std::string>{}, kCertManager, user_secret_args(),
                             std::vector<std::string>{"--set", "webhook.workloads.enabled=true"});
  std::vector<std::string> argv{helm.path, "lint", "--strict", kChart.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  const Result r = run(argv);
  INFO(helm.label << "\n" << r.out << r.err);
  CHECK(r.status == 0);
}

TEST_CASE("the default install generates its own CA and serving certificate, so it works on a bare cluster", "[install][helm]") {
  const Helm helm = GENERATE(kHelm3, kHelm4);
  INFO(helm.label);
  const Install in = helm_install(helm, {});
  check_installation(in, true);
  check_tls(in, Tls::selfSigned);
  CHECK(one(in.docs, "Deployment")["spec"]["replicas"].as<int>() == 2);
}

TEST_CASE("the cert-manager install issues the certificate from a private CA and injects that CA", "[install][helm]") {
  const Helm helm = GENERATE(kHelm3, kHelm4);
  INFO(helm.label);
  const Install in = helm_install(helm, kCertManager);
  check_installation(in, true);
  check_tls(in, Tls::certManager);
}

TEST_CASE("the cert-manager install can use the cluster's own issuer instead of creating a CA", "[install][helm]") {
  const Helm helm = GENERATE(kHelm3, kHelm4);
  INFO(helm.label);
  const auto docs = render(helm, {"--set", "tls.mode=certManager", "--set", "tls.certManager.issuerRef.name=corp-ca",
                                  "--set", "tls.certManager.issuerRef.kind=ClusterIssuer"});
  CHECK(of_kind(docs, "Issuer").empty());
  const YAML::Node cert = one(docs, "Certificate");
  CHECK(str(cert["spec"]["issuerRef"]["name"]) == "corp-ca");
  CHECK(str(cert["spec"]["issuerRef"]["kind"]) == "ClusterIssuer");
}

TEST_CASE("a user-supplied TLS secret is mounted and its CA is the webhooks' caBundle", "[install][helm]") {
  const Helm helm = GENERATE(kHelm3, kHelm4);
  INFO(helm.label);
  const Install in = helm_install(helm, user_secret_args());
  check_installation(in, true);
  check_tls(in, Tls::userSecret, slurp(user_ca_file()));
}

TEST_CASE("a user-supplied TLS secret without its CA is refused with the value to set", "[install][helm]") {
  const Helm helm = GENERATE(kHelm3, kHelm4);
  const Result r = render_failure(helm, {"--set", "tls.mode=secret", "--set", "tls.existingSecret=x"});
  CHECK(r.status != 0);
  CHECK_THAT(r.err, Catch::Contains("tls.caBundle"));
  const Result no_secret = render_failure(helm, {"--set", "tls.mode=secret"});
  CHECK(no_secret.status != 0);
  CHECK_THAT(no_secret.err, Catch::Contains("tls.existingSecret"));
}

TEST_CASE("matchConditions are rendered only where the API server supports them", "[install][helm]") {
  const Helm helm = GENERATE(kHelm3, kHelm4);
  INFO(helm.label);
  check_installation(helm_install(helm, {"--kube-version", "1.27.9"}), false);
  check_installation(helm_install(helm, {"--kube-version", "1.28.0"}), true);
  check_installation(helm_install(helm, {"--kube-version", "1.30.0", "--set", "webhook.matchConditions=false"}), false);

  const auto docs = render(helm, {"--kube-version", "1.30.0"});
  const YAML::Node cm = webhook_named(one(docs, "ValidatingWebhookConfiguration"), "configmaps.validate.flink-memguard.io");
  std::string only_flink;
  for (const auto& c : cm["matchConditions"]) {
    if (str(c["name"]) == "only-flink-configuration") only_flink = str(c["expression"]);
  }
  CHECK(only_flink == "has(object.data) && ('config.yaml' in object.data || 'flink-conf.yaml' in object.data)");
}

TEST_CASE("the release namespace stays excluded whatever excludeNamespaces says", "[install][helm]") {
  const Helm helm = GENERATE(kHelm3, kHelm4);
  const auto docs = render(helm, {"--set", "webhook.excludeNamespaces={team-a}", "--set", "webhook.ignoreNamespaceLabel="});
  for (const auto& w : one(docs, "ValidatingWebhookConfiguration")["webhooks"]) {
    const YAML::Node names = find_expression(w["namespaceSelector"], "kubernetes.io/metadata.name");
    CHECK(strings(names["values"]) == std::vector<std::string>{"team-a", kNamespace});
    CHECK(w["namespaceSelector"]["matchExpressions"].size() == 1);
  }
}

TEST_CASE("workload webhooks appear only when enabled and then fail open", "[install][helm]") {
  const Helm helm = GENERATE(kHelm3, kHelm4);
  INFO(helm.label);
  for (const auto& w : one(render(helm, {}), "ValidatingWebhookConfiguration")["webhooks"]) {
    CHECK(str(w["name"]) != "workloads.validate.flink-memguard.io");
  }
  const Install in = helm_install(helm, {"--set", "webhook.workloads.enabled=true", "--set",
                                         "webhook.workloads.objectSelector.matchLabels.type=flink-native-kubernetes"});
  check_installation(in, true);
  const YAML::Node w = webhook_named(one(in.docs, "ValidatingWebhookConfiguration"), "workloads.validate.flink-memguard.io");
  CHECK(str(w["failurePolicy"]) == "Ignore");
  CHECK(str(w["objectSelector"]["matchLabels"]["type"]) == "flink-native-kubernetes");
  std::set<std::string> resources;
  for (const auto& rule : w["rules"]) {
    for (const auto& r : strings(rule["resources"])) resources.insert(r);
    if (contains(strings(rule["resources"]), "pods")) {
      CHECK(strings(rule["operations"]) == std::vector<std::string>{"CREATE"});
    }
  }
  CHECK(resources == std::set<std::string>{"deployments", "statefulsets", "jobs", "pods"});
}

TEST_CASE("without kubeApi the server is not told to read the API", "[install][helm]") {
  const Helm helm = GENERATE(kHelm3, kHelm4);
  const auto docs = render(helm, {"--set", "kubeApi.enabled=false"});
  const std::vector<std::string> args = strings(one(docs, "Deployment", kFullname)["spec"]["template"]["spec"]["containers"][0]["args"]);
  CHECK_FALSE(contains(args, "--kube-api"));
  CHECK_FALSE(contains(args, "--kube-timeout-ms"));
  CHECK(arg_after(strings(one(render(helm, {"--set", "kubeApi.timeoutMs=750"}), "Deployment", kFullname)["spec"]["template"]["spec"]["containers"][0]["args"]),
                  "--kube-timeout-ms") == "750");
}

TEST_CASE("the audit runs as one locked-down replica of its own that exports metrics and takes no reviews", "[install][helm]") {
  const Helm helm = GENERATE(kHelm3, kHelm4);
  INFO(helm.label);
  CHECK(of_kind(render(helm, {}), "Deployment").size() == 1);
  const Install in = helm_install(helm, {"--set", "audit.enabled=true", "--set", "audit.namespaces={flink,team-a}",
                                         "--set", "audit.intervalSeconds=120"});
  check_installation(in, true);
  const YAML::Node d = one(in.docs, "Deployment", kFullname + "-audit");
  CHECK(d["spec"]["replicas"].as<int>() == 1);
  const YAML::Node pod = d["spec"]["template"]["spec"];
  const YAML::Node labels = d["spec"]["template"]["metadata"]["labels"];
  CHECK(labels_select(d["spec"]["selector"]["matchLabels"], labels));
  CHECK(str(pod["serviceAccountName"]) == str(one(in.docs, "Deployment", kFullname)["spec"]["template"]["spec"]["serviceAccountName"]));
  REQUIRE(pod["containers"].size() == 1);
  const YAML::Node c = pod["containers"][0];
  const std::vector<std::string> args = strings(c["args"]);
  REQUIRE_FALSE(args.empty());
  CHECK(args[0] == "audit");
  CHECK(contains(args, "--in-cluster"));
  CHECK(arg_after(args, "--interval") == "120");
  CHECK(arg_after(args, "--listen") == "0.0.0.0:9090");
  std::vector<std::string> namespaces;
  for (auto it = args.begin(); it != args.end(); ++it) {
    if (*it == "--namespace" && it + 1 != args.end()) namespaces.push_back(*(it + 1));
  }
  CHECK(namespaces == std::vector<std::string>{"flink", "team-a"});
  // It judges with the webhook's own policy file.
  std::set<std::string> mounted;
  for (const auto& m : c["volumeMounts"]) mounted.insert(str(m["mountPath"]));
  CHECK(mounted.count(fs::path(arg_after(args, "--policy")).parent_path().string()) == 1);
  CHECK(str(pod["volumes"][0]["configMap"]["name"]) == kFullname + "-policy");
  const YAML::Node sc = c["securityContext"];
  CHECK(sc["runAsNonRoot"].as<bool>());
  CHECK(sc["readOnlyRootFilesystem"].as<bool>());
  CHECK_FALSE(sc["allowPrivilegeEscalation"].as<bool>());
  CHECK(strings(sc["capabilities"]["drop"]) == std::vector<std::string>{"ALL"});
  CHECK_FALSE(str(c["resources"]["limits"]["memory"]).empty());
  // Liveness asks the cheap probe the audit's listener serves, on the metrics port.
  CHECK(str(c["livenessProbe"]["httpGet"]["path"]) == "/healthz");
  CHECK(str(c["livenessProbe"]["httpGet"]["port"]) == str(c["ports"][0]["name"]));
  // The webhook's Service and PodDisruptionBudget never select the auditor; its own Service does.
  CHECK_FALSE(labels_select(one(in.docs, "Service", kFullname)["spec"]["selector"], labels));
  CHECK_FALSE(labels_select(one(in.docs, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"], labels));
  const YAML::Node metrics = one(in.docs, "Service", kFullname + "-audit");
  CHECK(labels_select(metrics["spec"]["selector"], labels));
  CHECK(metrics["spec"]["ports"][0]["port"].as<int>() == 9090);
  CHECK(str(metrics["spec"]["ports"][0]["targetPort"]) == str(c["ports"][0]["name"]));
}

TEST_CASE("the policy value becomes the policy.yaml the server reads", "[install][helm]") {
  const Helm helm = GENERATE(kHelm3, kHelm4);
  const auto docs = render(helm, {"--set-json", R"(policy={"mode":"warn","namespaces":{"analytics":{"headroom":"10%"}}})"});
  const YAML::Node policy = YAML::Load(str(one(docs, "ConfigMap", kFullname + "-policy")["data"]["policy.yaml"]));
  CHECK(str(policy["mode"]) == "warn");
  CHECK(str(policy["namespaces"]["analytics"]["headroom"]) == "10%");
  const YAML::Node empty = YAML::Load(str(one(render(helm, {}), "ConfigMap", kFullname + "-policy")["data"]["policy.yaml"]));
  CHECK(empty.IsMap());
  CHECK(empty.size() == 0);
}

TEST_CASE("a single replica gets no PodDisruptionBudget, which could never be satisfied during a drain", "[install][helm]") {
  const Helm helm = GENERATE(kHelm3, kHelm4);
  CHECK(of_kind(render(helm, {"--set", "replicaCount=1"}), "PodDisruptionBudget").empty());
  CHECK(of_kind(render(helm, {"--set", "replicaCount=3"}), "PodDisruptionBudget").size() == 1);
}

TEST_CASE("values.schema.json rejects misspelt keys and out-of-range values", "[install][helm][schema]") {
  const Helm helm = GENERATE(kHelm3, kHelm4);
  const auto bad = GENERATE(as<std::vector<std::string>>{},
                            std::vector<std::string>{"--set", "replicaCont=3"},
                            std::vector<std::string>{"--set", "webhook.timeoutSecond=3"},
                            std::vector<std::string>{"--set", "tls.certmanager.duration=24h"},
                            std::vector<std::string>{"--set", "webhook.timeoutSeconds=11"},
                            std::vector<std::string>{"--set", "webhook.timeoutSeconds=0"},
                            std::vector<std::string>{"--set", "webhook.flinkDeployments.failurePolicy=fail"},
                            std::vector<std::string>{"--set", "tls.mode=selfsigned"},
                            std::vector<std::string>{"--set", "podAntiAffinity=always"},
                            std::vector<std::string>{"--set", "kubeApi.timeoutMs=0"},
                            std::vector<std::string>{"--set", "audit.intervalSeconds=5"},
                            std::vector<std::string>{"--set", "audit.namespace=flink"});
  INFO(helm.label << " " << bad[1]);
  const Result r = render_failure(helm, bad);
  CHECK(r.status != 0);
  CHECK_THAT(r.err, Catch::Contains("flink-memguard"));
}

// Helm 3's `install --dry-run=client` still asks a cluster for its version, so the notes are
// rendered with Helm 4 only (helm lint renders them with both).
TEST_CASE("the install notes show how to try the webhook with a server-side dry run", "[install][helm]") {
  const Result r = run({kHelm4.path, "install", kRelease, kChart.string(), "--namespace", kNamespace, "--dry-run=client"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Catch::Contains("kubectl apply --dry-run=server -f -"));
  CHECK_THAT(r.out, Catch::Contains("kubectl delete validatingwebhookconfiguration " + kFullname));
}

TEST_CASE("kubectl kustomize renders deploy/ as the chart's cert-manager installation", "[install][kustomize]") {
  const Result r = run({MEMGUARD_KUBECTL, "kustomize", (kSource / "deploy").string()});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const Install in{parse_documents(r.out), "flink-memguard", "flink-memguard"};
  check_installation(in, true);
  check_tls(in, Tls::certManager);
  const YAML::Node ns = one(in.docs, "Namespace", "flink-memguard");
  CHECK(str(ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]) == "restricted");
  // The policy comes from deploy/policy.yaml.
  const YAML::Node cm = one(in.docs, "ConfigMap", "flink-memguard-policy");
  CHECK(str(cm["data"]["policy.yaml"]) == slurp(kSource / "deploy" / "policy.yaml"));
}

TEST_CASE("deploy/flink-memguard.yaml is what the chart renders today", "[install][kustomize]") {
  const fs::path fresh = fs::temp_directory_path() / ("memguard-deploy-" + std::to_string(::getpid()) + ".yaml");
  const Result r = run({"env", std::string("HELM=") + MEMGUARD_HELM4, "bash", (kSource / "scripts" / "render-deploy.sh").string(), fresh.string()});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const bool same = slurp(fresh) == slurp(kSource / "deploy" / "flink-memguard.yaml");
  fs::remove(fresh);
  INFO("the chart changed: run scripts/render-deploy.sh and commit deploy/flink-memguard.yaml");
  CHECK(same);
}
