// Thread-safe object cache fed by list+watch loops and on-demand gets; every lookup has a deadline.
#include "webhook/kube/object_cache.h"

#include <simdjson.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "webhook/kube/api_error.h"

namespace memguard::kube {

namespace {

using Clock = std::chrono::steady_clock;

// Names cannot contain '/', so it separates the parts of a key unambiguously.
std::string object_key(const ApiResource& r, std::string_view ns, std::string_view name) {
  return r.qualified_name() + "/" + std::string(ns) + "/" + std::string(name);
}
std::string configmap_key(std::string_view ns, std::string_view name) { return std::string(ns) + "/" + std::string(name); }

struct Identity {
  std::string ns, name;
};

std::optional<Identity> identity_of(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS) return std::nullopt;
  std::string_view ns, name;
  if (doc["metadata"]["name"].get(name) != simdjson::SUCCESS) return std::nullopt;
  if (doc["metadata"]["namespace"].get(ns) != simdjson::SUCCESS) ns = {};
  return Identity{std::string(ns), std::string(name)};
}

std::string ms(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

}  // namespace

struct ObjectCache::State {
  struct Informer {
    InformerSpec spec;
    bool synced = false;
    std::string last_error;
    std::jthread thread;  // last member: joined first, while the rest is still alive

    bool covers(const ApiResource& r, std::string_view ns) const {
      return spec.resource == r && (spec.ns.empty() || spec.ns == ns);
    }
  };
  struct Entry {
    CachedObject object;
    bool absent = false;               // negative entry from a 404
    Clock::time_point fetched{};
    const Informer* owner = nullptr;   // informer that keeps it current, or null for on-demand
    std::vector<std::string> mounts;   // configmap keys (ns/name) it is indexed under
  };

  std::shared_ptr<const KubeClient> client;
  CacheOptions options;

  mutable std::mutex mu;
  std::condition_variable_any cv;
  std::map<std::string, Entry> objects;
  std::map<std::string, std::set<std::string>> mounted_by;  // configmap key -> object keys
  std::vector<std::unique_ptr<Informer>> informers;
  std::set<std::string> in_flight;           // keys with an on-demand get under way
  std::map<std::string, Error> fetch_errors;  // last failed on-demand get per key
  CacheStats stats;

  // --- index maintenance (mu held) ---
  void unindex(const std::string& key, Entry& e) {
    for (const auto& cm : e.mounts) {
      auto it = mounted_by.find(cm);
      if (it == mounted_by.end()) continue;
      it->second.erase(key);
      if (it->second.empty()) mounted_by.erase(it);
    }
    e.mounts.clear();
  }

  void upsert(const Informer& inf, std::string json) {
    auto id = identity_of(json);
    if (!id) return;  // an object without metadata.name cannot be looked up; skip it
    std::vector<std::string> mounts;
    if (inf.spec.mounts) {
      try {
        for (auto& cm : inf.spec.mounts(json)) mounts.push_back(configmap_key(id->ns, cm));
      } catch (const std::exception&) {
        // The extractor is caller code; a throw must not kill the informer thread. The object
        // stays cached, just not indexed.
        mounts.clear();
      }
    }
    std::string key = object_key(inf.spec.resource, id->ns, id->name);
    Entry& e = objects[key];
    unindex(key, e);
    e.object = CachedObject{inf.spec.resource.qualified_name(), id->ns, id->name, std::move(json)};
    e.absent = false;
    e.fetched = Clock::now();
    e.owner = &inf;
    e.mounts = std::move(mounts);
    for (const auto& cm : e.mounts) mounted_by[cm].insert(key);
  }

  void erase(const Informer& inf, std::string_view json) {
    auto id = identity_of(json);
    if (!id) return;
    std::string key = object_key(inf.spec.resource, id->ns, id->name);
    auto it = objects.find(key);
    if (it == objects.end()) return;
    unindex(key, it->second);
    objects.erase(it);
  }

  void replace(const Informer& inf, std::vector<std::string> items) {
    for (auto it = objects.begin(); it != objects.end();) {
      if (it->second.owner == &inf) {
        unindex(it->first, it->second);
        it = objects.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& item : items) upsert(inf, std::move(item));
  }

  // Sleeps for the backoff unless stopped; returns the next backoff.
  std::chrono::milliseconds pause(std::stop_token stop, std::chrono::milliseconds backoff) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, stop, backoff, [] { return false; });
    return std::min(backoff * 2, options.max_backoff);
  }

  void run_informer(std::stop_token stop, Informer& inf) {
    const InformerSpec& spec = inf.spec;
    std::chrono::milliseconds backoff = options.initial_backoff;
    while (!stop.stop_requested()) {
      auto list = client->list(spec.resource, spec.ns, ListOptions{spec.label_selector, {}, 500});
      {
        std::lock_guard lock(mu);
        ++stats.lists;
        if (list) {
          replace(inf, std::move(list->items));
          inf.synced = true;
          inf.last_error.clear();
        } else {
          // Earlier contents stay served (stale beats nothing); the error explains any "unknown".
          inf.last_error = list.error().message;
        }
      }
      cv.notify_all();
      if (!list) {
        backoff = pause(stop, backoff);
        continue;
      }
      backoff = options.initial_backoff;
      std::string rv = list->resource_version;
      while (!stop.stop_requested()) {
        WatchOptions wo{rv, spec.label_selector, options.watch_timeout_seconds, true};
        auto end = client->watch(spec.resource, spec.ns, wo, [&](const WatchEvent& ev) {
          {
            std::lock_guard lock(mu);
            ++stats.watch_events;
            switch (ev.type) {
              case WatchEventType::kAdded:
              case WatchEventType::kModified: upsert(inf, ev.object); break;
              case WatchEventType::kDeleted: erase(inf, ev.object); break;
              case WatchEventType::kBookmark: break;  // only moves the resourceVersion on
            }
          }
          cv.notify_all();
        }, stop);
        if (end) {
          rv = end->resource_version;
          // A stream that ends with nothing in it is paced, so a server that closes watches at
          // once is not hammered.
          if (end->events == 0) pause(stop, options.initial_backoff);
          continue;
        }
        if (end.error().code == kube::kGone) {
          std::lock_guard lock(mu);
          ++stats.relists_after_gone;
        } else {
          {
            std::lock_guard lock(mu);
            inf.last_error = end.error().message;
          }
          backoff = pause(stop, backoff);
        }
        break;  // relist
      }
    }
  }

  ObjectLookup answer(const Entry& e, bool stale, std::string reason) const {
    ObjectLookup out;
    out.presence = e.absent ? Presence::kAbsent : Presence::kFound;
    if (!e.absent) out.object = e.object.json;
    out.stale = stale;
    if (stale) out.reason = std::move(reason);
    return out;
  }
};

ObjectCache::ObjectCache(std::shared_ptr<const KubeClient> client, CacheOptions options)
    : state_(std::make_shared<State>()) {
  state_->client = std::move(client);
  state_->options = options;
}

ObjectCache::~ObjectCache() {
  std::vector<std::unique_ptr<State::Informer>> informers;
  {
    std::lock_guard lock(state_->mu);
    informers.swap(state_->informers);
  }
  for (auto& inf : informers) inf->thread.request_stop();
  for (auto& inf : informers) {
    if (inf->thread.joinable()) inf->thread.join();
  }
  // Informer-owned entries point at the informers being freed; drop them with the informers.
  std::lock_guard lock(state_->mu);
  for (auto it = state_->objects.begin(); it != state_->objects.end();) {
    it = it->second.owner != nullptr ? state_->objects.erase(it) : std::next(it);
  }
  // In-flight on-demand gets hold their own reference to the state and finish on their own.
}

void ObjectCache::inform(InformerSpec spec) {
  auto inf = std::make_unique<State::Informer>();
  inf->spec = std::move(spec);
  State::Informer& ref = *inf;
  {
    std::lock_guard lock(state_->mu);
    state_->informers.push_back(std::move(inf));
  }
  // The thread starts after the informer is registered so lookups can see it as "not synced".
  State* state = state_.get();
  ref.thread = std::jthread([state, &ref](std::stop_token stop) { state->run_informer(stop, ref); });
}

bool ObjectCache::wait_synced(std::chrono::milliseconds deadline) {
  std::unique_lock lock(state_->mu);
  return state_->cv.wait_for(lock, deadline, [&] {
    return std::all_of(state_->informers.begin(), state_->informers.end(), [](const auto& i) { return i->synced; });
  });
}

ObjectLookup ObjectCache::get(const ApiResource& r, std::string_view ns, std::string_view name, std::chrono::milliseconds deadline) {
  State& s = *state_;
  const auto until = Clock::now() + deadline;
  const std::string key = object_key(r, ns, name);
  std::unique_lock lock(s.mu);

  auto covering = std::find_if(s.informers.begin(), s.informers.end(), [&](const auto& i) {
    return i->covers(r, ns) && i->spec.label_selector.empty();
  });
  if (covering != s.informers.end()) {
    const State::Informer& inf = **covering;
    if (!s.cv.wait_until(lock, until, [&] { return inf.synced; })) {
      return ObjectLookup{Presence::kUnknown, {}, false,
                    "the " + r.qualified_name() + " cache has not completed its first list within " + ms(deadline) +
                        (inf.last_error.empty() ? std::string() : ": " + inf.last_error)};
    }
    auto it = s.objects.find(key);
    if (it == s.objects.end()) return ObjectLookup{Presence::kAbsent, {}, false, {}};
    return s.answer(it->second, false, {});
  }

  auto fresh = [&](const State::Entry& e) { return Clock::now() - e.fetched < s.options.ttl; };
  if (auto it = s.objects.find(key); it != s.objects.end() && fresh(it->second)) return s.answer(it->second, false, {});

  if (s.in_flight.insert(key).second) {
    ++s.stats.fetches;
    std::weak_ptr<State> weak = state_;
    CachedObject id{r.qualified_name(), std::string(ns), std::string(name), {}};
    lock.unlock();
    s.client->get_async(r, std::string(ns), std::string(name), [weak, key, id](Expected<std::string> result) {
      auto state = weak.lock();
      if (!state) return;
      {
        std::lock_guard guard(state->mu);
        state->in_flight.erase(key);
        auto existing = state->objects.find(key);
        bool informer_owned = existing != state->objects.end() && existing->second.owner != nullptr;
        if (result || result.error().code == ErrorCode::kNotFound) {
          state->fetch_errors.erase(key);
          if (!informer_owned) {
            State::Entry& e = state->objects[key];
            e.object = id;
            e.absent = !result;
            if (result) e.object.json = std::move(*result);
            e.fetched = Clock::now();
          }
        } else {
          state->fetch_errors[key] = result.error();
        }
      }
      state->cv.notify_all();
    });
    lock.lock();
  }

  bool finished = s.cv.wait_until(lock, until, [&] { return s.in_flight.count(key) == 0; });
  auto it = s.objects.find(key);
  if (finished) {
    if (it != s.objects.end() && fresh(it->second)) return s.answer(it->second, false, {});
    auto err = s.fetch_errors.find(key);
    std::string why = err != s.fetch_errors.end() ? err->second.message : "the object changed while it was fetched";
    if (it != s.objects.end()) return s.answer(it->second, true, "serving a copy older than the TTL: " + why);
    return ObjectLookup{Presence::kUnknown, {}, false, why};
  }
  std::string why = "no answer from the Kubernetes API within " + ms(deadline) + " for " + r.qualified_name() + " \"" +
                    std::string(ns) + "/" + std::string(name) + "\" (the lookup goes on in the background)";
  if (it != s.objects.end()) return s.answer(it->second, true, "serving a copy older than the TTL: " + why);
  return ObjectLookup{Presence::kUnknown, {}, false, why};
}

MountersLookup ObjectCache::mounting(std::string_view ns, std::string_view configmap, std::chrono::milliseconds deadline) {
  State& s = *state_;
  std::unique_lock lock(s.mu);
  std::vector<const State::Informer*> relevant;
  for (const auto& inf : s.informers) {
    if (inf->spec.mounts && (inf->spec.ns.empty() || inf->spec.ns == ns)) relevant.push_back(inf.get());
  }
  MountersLookup out;
  if (relevant.empty()) {
    out.reason = "no workload informer covers namespace \"" + std::string(ns) + "\"";
    return out;
  }
  bool synced = s.cv.wait_for(lock, deadline, [&] {
    return std::all_of(relevant.begin(), relevant.end(), [](const auto* i) { return i->synced; });
  });
  if (!synced) {
    out.reason = "the workload caches have not completed their first list within " + ms(deadline);
    for (const auto* inf : relevant) {
      if (!inf->synced) {
        out.reason += "; " + inf->spec.resource.qualified_name() +
                      (inf->last_error.empty() ? std::string(" still listing") : ": " + inf->last_error);
      }
    }
    return out;
  }
  out.known = true;
  if (auto it = s.mounted_by.find(configmap_key(ns, configmap)); it != s.mounted_by.end()) {
    for (const auto& key : it->second) {
      if (auto obj = s.objects.find(key); obj != s.objects.end()) out.workloads.push_back(obj->second.object);
    }
  }
  std::sort(out.workloads.begin(), out.workloads.end(), [](const CachedObject& a, const CachedObject& b) {
    return std::tie(a.resource, a.ns, a.name) < std::tie(b.resource, b.ns, b.name);
  });
  return out;
}

CacheStats ObjectCache::stats() const {
  std::lock_guard lock(state_->mu);
  return state_->stats;
}

}  // namespace memguard::kube
