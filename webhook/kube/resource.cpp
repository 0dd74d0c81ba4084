// REST paths for Kubernetes resources: /api for the core group, /apis/{group} for the others.
#include "webhook/kube/resource.h"

namespace memguard::kube {

std::string ApiResource::qualified_name() const {
  std::string out(resource);
  if (!group.empty()) out.append(".").append(group);
  return out;
}

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string collection_path(const ApiResource& r, std::string_view ns) {
  std::string path = r.group.empty() ? std::string("/api/") : "/apis/" + std::string(r.group) + "/";
  path.append(r.version);
  if (!ns.empty()) path.append("/namespaces/").append(url_encode(ns));
  path.append("/").append(r.resource);
  return path;
}

std::string object_path(const ApiResource& r, std::string_view ns, std::string_view name) {
  return collection_path(r, ns) + "/" + url_encode(name);
}

}  // namespace memguard::kube
