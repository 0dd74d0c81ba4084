// JSON Patch encoding through the project's JSON writer; pointer escaping and base64 live here only.
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

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  auto at = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(kAlphabet[(n >> 6) & 63]);
    out.push_back(kAlphabet[n & 63]);
  }
  if (i + 1 == bytes.size()) {
    uint32_t n = at(i) << 16;
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out += "==";
  } else if (i + 2 == bytes.size()) {
    uint32_t n = (at(i) << 16) | (at(i + 1) << 8);
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(kAlphabet[(n >> 6) & 63]);
    out.push_back('=');
  }
  return out;
}

}  // namespace memguard::admission
