// JSON Patch encoding through the project's JSON writer (RFC 6901 escaping is Pointer's, in pointer.h).
#include "webhook/admission/json_patch.h"

#include "webhook/json/json_writer.h"

namespace memguard::admission {

namespace {
std::string quoted(std::string_view text) {
  std::string out;
  json::append_escaped(out, text);
  return out;
}
}  // namespace

PatchOperation PatchOperation::replace_string(Pointer path, std::string_view value) {
  return {Op::kReplace, std::move(path), quoted(value)};
}

PatchOperation PatchOperation::add_string(Pointer path, std::string_view value) {
  return {Op::kAdd, std::move(path), quoted(value)};
}

PatchOperation PatchOperation::add_map(Pointer path, std::string_view key, std::string_view value) {
  json::Writer w;
  w.begin_object().member(key, value).end_object();
  return {Op::kAdd, std::move(path), w.take()};
}

std::string_view op_name(PatchOperation::Op op) {
  switch (op) {
    case PatchOperation::Op::kAdd: return "add";
    case PatchOperation::Op::kReplace: return "replace";
    case PatchOperation::Op::kRemove: return "remove";
    case PatchOperation::Op::kTest: return "test";
  }
  return "replace";
}

std::string encode_patch(const std::vector<PatchOperation>& patch) {
  json::Writer w;
  w.begin_array();
  for (const auto& op : patch) {
    w.begin_object().member("op", op_name(op.op)).member("path", op.path.encoded());
    if (op.op != PatchOperation::Op::kRemove) w.key("value").raw(op.value_json);
    w.end_object();
  }
  w.end_array();
  return w.take();
}

}  // namespace memguard::admission
