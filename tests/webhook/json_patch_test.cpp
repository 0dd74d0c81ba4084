// JSON Patch encoding: pointer escaping (Pointer), operation shape, and the base64 the response carries.
#include <catch2/catch.hpp>

#include "support/base64.h"
#include "webhook/admission/json_patch.h"

using memguard::admission::PatchOperation;
using memguard::base64_encode;
using memguard::admission::encode_patch;
using memguard::admission::Pointer;

TEST_CASE("JSON pointers escape '~' and '/' but keep dots", "[admission][patch]") {
  CHECK(Pointer{"spec", "flinkConfiguration", "taskmanager.memory.process.size"}.encoded() ==
        "/spec/flinkConfiguration/taskmanager.memory.process.size");
  CHECK(Pointer{"metadata", "annotations", "flink-memguard.io/skip"}.encoded() == "/metadata/annotations/flink-memguard.io~1skip");
  CHECK(Pointer{"a~b", "c/~d"}.encoded() == "/a~0b/c~1~0d");
  CHECK(Pointer{}.encoded() == "");
}

TEST_CASE("A patch is a JSON array of operations with escaped string values", "[admission][patch]") {
  std::vector<PatchOperation> patch{
      PatchOperation::replace_string({"spec", "taskManager", "resource", "memory"}, "2048Mi"),
      PatchOperation::add_string({"spec", "flinkConfiguration", "x\"y"}, "a\"b"),
      PatchOperation::add_map({"spec", "flinkConfiguration"}, "taskmanager.memory.managed.size", "0"),
      PatchOperation{PatchOperation::Op::kRemove, {"spec", "x"}, ""},
  };
  CHECK(encode_patch(patch) ==
        R"([{"op":"replace","path":"/spec/taskManager/resource/memory","value":"2048Mi"},)"
        R"({"op":"add","path":"/spec/flinkConfiguration/x\"y","value":"a\"b"},)"
        R"({"op":"add","path":"/spec/flinkConfiguration","value":{"taskmanager.memory.managed.size":"0"}},)"
        R"({"op":"remove","path":"/spec/x"}])");
  CHECK(encode_patch({}) == "[]");
}

TEST_CASE("Base64 follows RFC 4648 with padding", "[admission][patch]") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_encode("[]") == "W10=");
  CHECK(base64_encode(std::string("\xff\xfe\x00", 3)) == "//4A");
}
