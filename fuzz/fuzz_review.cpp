// Fuzzes the whole admission path the server runs for every request: AdmissionReview decoding,
// the decision engine and the response encoding. No crash, no internal error (as an HTTP 500 or in
// band), an answer that is JSON with the request's uid, /mutate never denying, and the same answer
// twice (no hidden state between reviews).
#include <cstdint>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "fuzz/fuzz_check.h"
#include "webhook/engine/handle_review.h"

namespace {

using memguard::admission::Mode;

void check_answer(Mode mode, const memguard::admission::ReviewOutcome& outcome, std::string_view body) {
  // 500 is the engine catching its own exception: a bug, whatever the input.
  FUZZ_CHECK(outcome.http_status == 200 || outcome.http_status == 400, outcome.error);
  FUZZ_CHECK(!outcome.body.empty());
  if (outcome.http_status != 200) return;
  simdjson::dom::parser parser;
  simdjson::dom::element answer;
  FUZZ_CHECK(parser.parse(outcome.body).get(answer) == simdjson::SUCCESS, outcome.body);
  std::string_view kind, uid;
  FUZZ_CHECK(answer["kind"].get(kind) == simdjson::SUCCESS && kind == "AdmissionReview", outcome.body);
  FUZZ_CHECK(answer["response"]["uid"].get(uid) == simdjson::SUCCESS, outcome.body);
  bool allowed = false;
  FUZZ_CHECK(answer["response"]["allowed"].get(allowed) == simdjson::SUCCESS, outcome.body);
  int64_t code = 0;
  if (answer["response"]["status"]["code"].get(code) == simdjson::SUCCESS) FUZZ_CHECK(code != 500, outcome.body);
  // README: "A /mutate answer never denies in any case."
  if (mode == Mode::kMutate) FUZZ_CHECK(allowed, outcome.body);
  // The uid is the request's: read it back from the body the engine was given.
  simdjson::dom::parser request_parser;
  std::string_view request_uid;
  if (request_parser.parse(body.data(), body.size()).at_pointer("/request/uid").get(request_uid) ==
      simdjson::SUCCESS) {
    FUZZ_CHECK(uid == request_uid, outcome.body);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the endpoint; the rest is the HTTP body.
  const Mode mode = (data[0] & 1) ? Mode::kMutate : Mode::kValidate;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto& policy = memguard::engine::default_policy();
  const auto first = memguard::engine::handle_review(mode, body, policy);
  check_answer(mode, first, body);
  const auto second = memguard::engine::handle_review(mode, body, policy);
  FUZZ_CHECK(second.http_status == first.http_status && second.body == first.body, first.body + "\n" + second.body);
  return 0;
}
