// Where a value sits in an object: a JSON Pointer (RFC 6901), and how a person names the same field.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace memguard::admission {

// A JSON Pointer from the object's root, held in its encoded form ("/spec/containers/0",
// '~' as "~0" and '/' as "~1"). Decoding builds one for every field it may report on or patch, so
// a pointer is one string rather than a vector of tokens: a child costs one allocation, not one per
// token, and a JSON Patch path is the string itself.
class Pointer {
 public:
  Pointer() = default;
  Pointer(std::initializer_list<std::string_view> tokens);

  // This pointer extended by one reference token (unescaped: "flink-memguard.io/skip").
  [[nodiscard]] Pointer child(std::string_view token) const;
  void push_back(std::string_view token);

  // "/spec/flinkConfiguration/taskmanager.memory.process.size"; "" for the root.
  const std::string& encoded() const { return encoded_; }
  std::string back() const;  // the last token, unescaped ("" for the root)

  friend bool operator==(const Pointer&, const Pointer&) = default;

 private:
  std::string encoded_;
};

// "spec.taskManager.resource.memory", "spec.podTemplate.spec.containers[0].resources": how a person
// names a field (array indices in brackets), for messages and warnings.
std::string field_path(const Pointer& pointer);

}  // namespace memguard::admission
