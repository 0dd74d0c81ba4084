// The limits of bounded YAML, counted on yaml-cpp's parser events (see yaml_limits.h).
#include "memmodel/yaml_limits.h"

#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <istream>
#include <optional>
#include <streambuf>
#include <string>
#include <vector>

#include "support/size_text.h"

namespace memguard::memmodel {
namespace {

// An istream over text we do not copy.
class ViewBuffer final : public std::streambuf {
 public:
  explicit ViewBuffer(std::string_view text) {
    char* begin = const_cast<char*>(text.data());  // only ever read
    setg(begin, begin, begin + text.size());
  }
};

// Thrown from inside the parser's callbacks when a limit is crossed, caught in read_yaml_events.
struct LimitCrossed {
  YAML::Mark mark;
  std::string message;
};


std::string at_line(const YAML::Mark& mark) { return "line " + std::to_string(mark.line + 1); }

// Counts each document as the nodes a full walk would visit. Everything inside one node arrives
// between its first and last event, so a node's size is the growth of the document's running
// totals over that span; an anchor keeps its node's size, and an alias adds it again.
class BoundedEvents final : public YAML::EventHandler {
 public:
  BoundedEvents(const YamlLimits& limits, YAML::EventHandler* inner) : limits_(limits), inner_(inner) {}

  size_t documents() const { return documents_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    // yaml-cpp 0.7 reports an empty document, again and again, at a token no node can start with
    // (a stray ',' at the top level) without consuming it (yaml-cpp #1040).
    if (previous_start_ && *previous_start_ == mark.pos) {
      throw YAML::ParserException(mark, "unexpected character, no value can start here");
    }
    previous_start_ = mark.pos;
    if (++documents_ > limits_.max_documents) {
      cross(mark, "more than " + std::to_string(limits_.max_documents) + " YAML documents");
    }
    nodes_ = bytes_ = 0;
    open_.clear();
    anchors_.clear();
    if (inner_) inner_->OnDocumentStart(mark);
  }
  void OnDocumentEnd() override {
    if (inner_) inner_->OnDocumentEnd();
  }

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    leaf(mark, anchor, 0);
    if (inner_) inner_->OnNull(mark, anchor);
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    leaf(mark, anchor, value.size());
    if (inner_) inner_->OnScalar(mark, tag, anchor, value);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const std::optional<Size>* size = anchor < anchors_.size() ? &anchors_[anchor] : nullptr;
    if (size == nullptr || !size->has_value()) {
      // Its node is still open: the alias repeats a node that contains it, without end.
      cross(mark, "the alias at " + at_line(mark) + " repeats a node that contains it, so the document nests deeper "
                  "than " + std::to_string(limits_.max_depth) + " levels");
    }
    const Size& s = **size;
    check_depth(mark, open_.size() + s.height);
    add(mark, s.nodes, s.bytes);
    if (!open_.empty()) open_.back().height = std::max(open_.back().height, s.height + 1);
    if (inner_) inner_->OnAlias(mark, anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override {
    open(mark, anchor);
    if (inner_) inner_->OnSequenceStart(mark, tag, anchor, style);
  }
  void OnSequenceEnd() override {
    close();
    if (inner_) inner_->OnSequenceEnd();
  }
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override {
    open(mark, anchor);
    if (inner_) inner_->OnMapStart(mark, tag, anchor, style);
  }
  void OnMapEnd() override {
    close();
    if (inner_) inner_->OnMapEnd();
  }
  void OnAnchor(const YAML::Mark& mark, const std::string& name) override {
    if (inner_) inner_->OnAnchor(mark, name);
  }

 private:
  struct Size {
    size_t nodes = 0, bytes = 0, height = 0;  // height: levels below the node (0 for a scalar)
  };
  struct Open {
    YAML::anchor_t anchor;
    size_t nodes_before, bytes_before;
    size_t height = 0;
  };

  [[noreturn]] void cross(const YAML::Mark& mark, std::string message) {
    throw LimitCrossed{mark, std::move(message)};
  }

  void check_depth(const YAML::Mark& mark, size_t depth) {
    if (depth > limits_.max_depth) {
      cross(mark, "the YAML nests deeper than " + std::to_string(limits_.max_depth) +
                      " levels (counting alias expansions) at " + at_line(mark));
    }
  }

  // Both terms are at most the limit, so the sums cannot overflow.
  void add(const YAML::Mark& mark, size_t nodes, size_t bytes) {
    nodes_ += nodes;
    bytes_ += bytes;
    if (nodes_ > limits_.max_nodes) {
      cross(mark, "more than " + std::to_string(limits_.max_nodes) +
                      " YAML nodes in one document (counting alias expansions) at " + at_line(mark));
    }
    if (bytes_ > limits_.max_scalar_bytes) {
      cross(mark, "more than " + size_text(limits_.max_scalar_bytes) +
                      " of scalar text in one YAML document (counting alias expansions) at " + at_line(mark));
    }
  }

  void remember(YAML::anchor_t anchor, std::optional<Size> size) {
    if (anchor == YAML::NullAnchor) return;
    // yaml-cpp numbers the anchors of a document 1, 2, 3... in order of appearance.
    if (anchor >= anchors_.size()) anchors_.resize(anchor + 1);
    anchors_[anchor] = size;
  }

  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor, size_t bytes) {
    check_depth(mark, open_.size());
    add(mark, 1, bytes);
    remember(anchor, Size{1, bytes, 0});
  }

  void open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    check_depth(mark, open_.size());
    const size_t nodes_before = nodes_, bytes_before = bytes_;
    add(mark, 1, 0);
    remember(anchor, std::nullopt);  // open: an alias to it now would be recursive
    open_.push_back(Open{anchor, nodes_before, bytes_before, 0});
  }

  void close() {
    const Open done = open_.back();
    open_.pop_back();
    remember(done.anchor, Size{nodes_ - done.nodes_before, bytes_ - done.bytes_before, done.height});
    if (!open_.empty()) open_.back().height = std::max(open_.back().height, done.height + 1);
  }

  const YamlLimits& limits_;
  YAML::EventHandler* inner_;
  size_t documents_ = 0;
  std::optional<int> previous_start_;
  size_t nodes_ = 0, bytes_ = 0;  // the current document's running totals
  std::vector<Open> open_;
  std::vector<std::optional<Size>> anchors_;  // by anchor number; empty while its node is open
};

Expected<size_t> read(std::string_view text, const YamlLimits& limits, YAML::EventHandler* handler) {
  ViewBuffer buffer(text);
  std::istream stream(&buffer);
  BoundedEvents events(limits, handler);
  try {
    YAML::Parser parser(stream);
    while (parser.HandleNextDocument(events)) {
    }
  } catch (const LimitCrossed& limit) {
    // A limit of ours, not a fault of the YAML: callers may admit what they cannot judge.
    return make_error(ErrorCode::kLimitExceeded, limit.message);
  } catch (const YAML::Exception& e) {
    return make_error(ErrorCode::kInvalidArgument, "invalid YAML at line " + std::to_string(e.mark.line + 1) +
                                                       ", column " + std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  return events.documents();
}

}  // namespace

Expected<size_t> read_yaml_events(std::string_view text, const YamlLimits& limits, YAML::EventHandler& handler) {
  return read(text, limits, &handler);
}

Expected<size_t> check_yaml_limits(std::string_view text, const YamlLimits& limits) {
  return read(text, limits, nullptr);
}

}  // namespace memguard::memmodel
