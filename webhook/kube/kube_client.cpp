// cpprestsdk-backed Kubernetes API client: TLS trusting only the cluster CA, bearer token, JSON via simdjson.
#include "webhook/kube/kube_client.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <simdjson.h>

#include <algorithm>
#include <cpprest/http_client.h>
#include <system_error>

#include "webhook/kube/api_error.h"

namespace memguard::kube {

namespace http = web::http;

namespace {

// The API server's object size limit is about 1.5 MiB (etcd's request limit); a watch line much
// larger than that means a broken stream, and buffering it without bound would be the bug.
constexpr size_t kMaxWatchLine = 8 * 1024 * 1024;
// Extra silence tolerated on a watch beyond its timeoutSeconds before the client gives up on it.
constexpr std::chrono::seconds kWatchGrace{30};

// Replaces the context's trust store with one holding only `ca_pem`'s certificates:
// cpprestsdk has already loaded the system roots (set_default_verify_paths), and a public CA must
// not be able to vouch for the API server.
void trust_only(boost::asio::ssl::context& ctx, const std::string& ca_pem) {
  X509_STORE* store = X509_STORE_new();
  BIO* bio = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, cert);
    X509_free(cert);
  }
  ERR_clear_error();
  BIO_free(bio);
  SSL_CTX_set_cert_store(ctx.native_handle(), store);  // takes ownership, frees the old store
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
}

http::client::http_client_config client_config(const ClusterConfig& config, std::chrono::milliseconds timeout) {
  http::client::http_client_config c;
  c.set_timeout(timeout);
  c.set_validate_certificates(true);
  std::string ca = config.ca_pem;
  c.set_ssl_context_callback([ca](boost::asio::ssl::context& ctx) { trust_only(ctx, ca); });
  return c;
}

std::string format_ms(std::chrono::milliseconds ms) { return std::to_string(ms.count()) + " ms"; }

// Why a request got no HTTP answer: timeout, TLS or transport.
Error transport_error(const std::exception& e, const ClusterConfig& config, std::chrono::milliseconds timeout,
                      const RequestDescription& r) {
  std::string target = describe_request(r);
  std::string what = e.what();
  if (const auto* he = dynamic_cast<const http::http_exception*>(&e)) {
    if (he->error_code() == std::errc::timed_out) {
      return {ErrorCode::kTimeout, "cannot " + target + ": no answer from " + config.server + " within " + format_ms(timeout)};
    }
  }
  if (what.find("SSL") != std::string::npos || what.find("handshake") != std::string::npos) {
    return {ErrorCode::kUnavailable, "cannot " + target + ": TLS handshake with " + config.server +
                                     " failed; its certificate must be signed by the CA in " + config.ca_origin +
                                     " and name the host (" + what + ")"};
  }
  return {ErrorCode::kUnavailable, "cannot " + target + ": cannot reach " + config.server + " (" + what + ")"};
}

Error malformed(const RequestDescription& r, std::string_view detail) {
  return {ErrorCode::kInvalidArgument, "cannot " + describe_request(r) + ": the API server sent malformed JSON (" +
                                           std::string(detail) + ")"};
}

std::string string_or_empty(simdjson::dom::element e, std::string_view key) {
  std::string_view v;
  return e[key].get(v) == simdjson::SUCCESS ? std::string(v) : std::string();
}

Expected<std::string> decode_object(int status, const std::string& body, const RequestDescription& r) {
  if (status != 200) return Unexpected{status_error(status, body, r)};
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(body).get(doc); err != simdjson::SUCCESS) return Unexpected{malformed(r, simdjson::error_message(err))};
  if (!doc.is_object()) return Unexpected{malformed(r, "expected an object")};
  return simdjson::minify(doc);
}

void append_param(std::string& target, std::string_view key, std::string_view value) {
  target += target.find('?') == std::string::npos ? '?' : '&';
  target.append(key).append("=").append(url_encode(value));
}

}  // namespace

std::string_view to_string(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded: return "ADDED";
    case WatchEventType::kModified: return "MODIFIED";
    case WatchEventType::kDeleted: return "DELETED";
    case WatchEventType::kBookmark: return "BOOKMARK";
  }
  return "?";
}

Expected<WatchEvent> parse_watch_line(std::string_view line, const ApiResource& r, std::string_view ns) {
  RequestDescription desc{"watch", r, ns, {}};
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(line.data(), line.size()).get(doc); err != simdjson::SUCCESS) {
    return Unexpected{malformed(desc, std::string("watch event: ") + simdjson::error_message(err))};
  }
  std::string_view type;
  simdjson::dom::object object;
  if (doc["type"].get(type) != simdjson::SUCCESS || doc["object"].get(object) != simdjson::SUCCESS) {
    return Unexpected{malformed(desc, "watch event without type and object")};
  }
  if (type == "ERROR") {
    std::string status_json = simdjson::minify(object);
    auto status = parse_status(status_json);
    int code = status && status->code != 0 ? status->code : 500;
    return Unexpected{status_error(code, status_json, desc)};
  }
  WatchEvent event;
  if (type == "ADDED") event.type = WatchEventType::kAdded;
  else if (type == "MODIFIED") event.type = WatchEventType::kModified;
  else if (type == "DELETED") event.type = WatchEventType::kDeleted;
  else if (type == "BOOKMARK") event.type = WatchEventType::kBookmark;
  else return Unexpected{malformed(desc, "unknown watch event type \"" + std::string(type) + "\"")};
  event.object = simdjson::minify(object);
  simdjson::dom::element metadata;
  if (object["metadata"].get(metadata) == simdjson::SUCCESS) {
    event.ns = string_or_empty(metadata, "namespace");
    event.name = string_or_empty(metadata, "name");
    event.resource_version = string_or_empty(metadata, "resourceVersion");
  }
  return event;
}

struct KubeClient::Impl {
  ClusterConfig config;
  ClientOptions options;
  mutable http::client::http_client client;  // request() is non-const but thread-safe

  Impl(ClusterConfig c, ClientOptions o)
      : config(std::move(c)), options(std::move(o)), client(config.server, client_config(config, options.request_timeout)) {}

  Expected<http::http_request> make_request(const std::string& target) const {
    auto token = config.token->current();
    if (!token) return Unexpected{token.error()};
    http::http_request req(http::methods::GET);
    req.set_request_uri(target);
    req.headers().add("Authorization", "Bearer " + *token);
    req.headers().add("Accept", "application/json");
    req.headers().add("User-Agent", options.user_agent);
    return req;
  }

  // One GET; the HTTP status and body, or why there was no answer.
  Expected<std::pair<int, std::string>> send(const std::string& target, const RequestDescription& r) const {
    auto req = make_request(target);
    if (!req) return Unexpected{req.error()};
    try {
      http::http_response resp = client.request(*req).get();
      std::string body = resp.extract_utf8string(true).get();
      return std::pair<int, std::string>{resp.status_code(), std::move(body)};
    } catch (const std::exception& e) {
      return Unexpected{transport_error(e, config, options.request_timeout, r)};
    }
  }
};

KubeClient::KubeClient(ClusterConfig config, ClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(config), std::move(options))) {}
KubeClient::~KubeClient() = default;

const ClusterConfig& KubeClient::config() const { return impl_->config; }

Expected<std::string> KubeClient::get(const ApiResource& r, std::string_view ns, std::string_view name) const {
  RequestDescription desc{"get", r, ns, name};
  auto reply = impl_->send(object_path(r, ns, name), desc);
  if (!reply) return Unexpected{reply.error()};
  return decode_object(reply->first, reply->second, desc);
}

void KubeClient::get_async(const ApiResource& r, std::string ns, std::string name,
                           std::function<void(Expected<std::string>)> done) const {
  auto req = impl_->make_request(object_path(r, ns, name));
  if (!req) {
    done(Unexpected{req.error()});
    return;
  }
  // The continuation keeps Impl alive, so the client may go away while the request is in flight.
  std::shared_ptr<Impl> impl = impl_;
  impl->client.request(*req)
      .then([](http::http_response resp) {
        int status = resp.status_code();
        return resp.extract_utf8string(true).then([status](std::string body) { return std::make_pair(status, std::move(body)); });
      })
      .then([impl, r, ns = std::move(ns), name = std::move(name), done = std::move(done)](pplx::task<std::pair<int, std::string>> t) {
        RequestDescription desc{"get", r, ns, name};
        Expected<std::string> result = make_error(ErrorCode::kInternal, "unreachable");
        try {
          auto [status, body] = t.get();
          result = decode_object(status, body, desc);
        } catch (const std::exception& e) {
          result = Unexpected{transport_error(e, impl->config, impl->options.request_timeout, desc)};
        }
        done(std::move(result));
      });
}

Expected<ObjectList> KubeClient::list(const ApiResource& r, std::string_view ns, const ListOptions& options) const {
  RequestDescription desc{"list", r, ns, {}};
  ObjectList out;
  std::string continue_token;
  int64_t limit = options.limit;
  bool restarted = false;
  simdjson::dom::parser parser;
  for (;;) {
    std::string target = collection_path(r, ns);
    if (limit > 0) append_param(target, "limit", std::to_string(limit));
    if (!continue_token.empty()) append_param(target, "continue", continue_token);
    if (!options.label_selector.empty()) append_param(target, "labelSelector", options.label_selector);
    if (!options.field_selector.empty()) append_param(target, "fieldSelector", options.field_selector);
    auto reply = impl_->send(target, desc);
    if (!reply) return Unexpected{reply.error()};
    auto& [status, body] = *reply;
    if (status == 410 && !continue_token.empty() && !restarted) {
      // The continue token outlived etcd's compaction: start over in one unpaginated request.
      out = ObjectList{};
      continue_token.clear();
      limit = 0;
      restarted = true;
      continue;
    }
    if (status != 200) return Unexpected{status_error(status, body, desc)};

    simdjson::dom::element doc;
    if (auto err = parser.parse(body).get(doc); err != simdjson::SUCCESS) return Unexpected{malformed(desc, simdjson::error_message(err))};
    simdjson::dom::array items;
    auto items_error = doc["items"].get(items);
    if (items_error == simdjson::INCORRECT_TYPE) {
      // "items": null is how the API server spells an empty list for some kinds.
      if (!doc["items"].is_null()) return Unexpected{malformed(desc, "items is not an array")};
    } else if (items_error != simdjson::SUCCESS) {
      return Unexpected{malformed(desc, "a list without items")};
    } else {
      for (simdjson::dom::element item : items) out.items.push_back(simdjson::minify(item));
    }
    simdjson::dom::element metadata;
    if (doc["metadata"].get(metadata) == simdjson::SUCCESS) {
      out.resource_version = string_or_empty(metadata, "resourceVersion");
      continue_token = string_or_empty(metadata, "continue");
    } else {
      continue_token.clear();
    }
    ++out.pages;
    if (continue_token.empty()) return out;
  }
}

Expected<WatchEnd> KubeClient::watch(const ApiResource& r, std::string_view ns, const WatchOptions& options,
                                     const std::function<void(const WatchEvent&)>& on_event, std::stop_token stop) const {
  RequestDescription desc{"watch", r, ns, {}};
  WatchEnd end{options.resource_version, 0, false};
  if (stop.stop_requested()) {
    end.stopped = true;
    return end;
  }
  std::string target = collection_path(r, ns);
  append_param(target, "watch", "1");
  if (!options.resource_version.empty()) append_param(target, "resourceVersion", options.resource_version);
  if (options.bookmarks) append_param(target, "allowWatchBookmarks", "true");
  if (options.timeout_seconds > 0) append_param(target, "timeoutSeconds", std::to_string(options.timeout_seconds));
  if (!options.label_selector.empty()) append_param(target, "labelSelector", options.label_selector);
  auto req = impl_->make_request(target);
  if (!req) return Unexpected{req.error()};

  // The inactivity timeout must outlast the server's own timeoutSeconds: a quiet watch is healthy.
  auto idle = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::seconds(options.timeout_seconds) + kWatchGrace);
  http::client::http_client client(impl_->config.server, client_config(impl_->config, idle));
  pplx::cancellation_token_source cancel;
  std::stop_callback on_stop(stop, [&cancel] { cancel.cancel(); });
  try {
    http::http_response resp = client.request(*req, cancel.get_token()).get();
    if (resp.status_code() != 200) {
      std::string body = resp.extract_utf8string(true).get();
      return Unexpected{status_error(resp.status_code(), body, desc)};
    }
    auto stream = resp.body().streambuf();
    std::string pending;
    std::vector<char> chunk(64 * 1024);
    for (;;) {
      // Ask for what is buffered (at least one byte) so each event is handled as soon as it arrives.
      size_t want = std::clamp<size_t>(static_cast<size_t>(std::max<std::streamsize>(stream.in_avail(), 0)), 1, chunk.size());
      size_t got = stream.getn(reinterpret_cast<uint8_t*>(chunk.data()), want).get();
      if (got == 0) break;  // the server ended the stream
      pending.append(chunk.data(), got);
      size_t start = 0;
      for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
        std::string_view line(pending.data() + start, nl - start);
        if (line.find_first_not_of(" \r\t") == std::string_view::npos) continue;
        auto event = parse_watch_line(line, r, ns);
        if (!event) return Unexpected{event.error()};
        if (!event->resource_version.empty()) end.resource_version = event->resource_version;
        ++end.events;
        on_event(*event);
      }
      pending.erase(0, start);
      if (pending.size() > kMaxWatchLine) return Unexpected{malformed(desc, "a watch event longer than 8 MiB")};
    }
    if (pending.find_first_not_of(" \r\n\t") != std::string::npos) {
      // A final event without its newline: still a complete JSON document in practice.
      auto event = parse_watch_line(pending, r, ns);
      if (!event) return Unexpected{event.error()};
      if (!event->resource_version.empty()) end.resource_version = event->resource_version;
      ++end.events;
      on_event(*event);
    }
  } catch (const std::exception& e) {
    if (!stop.stop_requested()) return Unexpected{transport_error(e, impl_->config, idle, desc)};
  }
  end.stopped = stop.stop_requested();
  return end;
}

}  // namespace memguard::kube
