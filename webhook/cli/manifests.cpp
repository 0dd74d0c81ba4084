// Manifest loading: bounded reading of files and directories, YAML -> JSON on the parser's events
// through the project's JSON writer, and the split of documents into objects with simdjson.
#include "webhook/cli/manifests.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <system_error>

#include <simdjson.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>

#include "support/read_file.h"
#include "webhook/json/json_writer.h"

namespace memguard::cli {

namespace {

namespace fs = std::filesystem;

constexpr const char* kNoKind =
    "no kind, so not a Kubernetes object (Helm values or another tool's YAML?)";

// ---------------------------------------------------------------------------------------------
// YAML 1.1 scalars as go-yaml v2 (kubectl) resolves them.

bool is_null_word(const std::string& s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

std::optional<bool> bool_word(const std::string& s) {
  static const std::set<std::string> yes = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
  static const std::set<std::string> no = {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
  if (yes.count(s) != 0) return true;
  if (no.count(s) != 0) return false;
  return std::nullopt;
}

std::optional<int64_t> int_word(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
  if (s.empty()) return std::nullopt;
  bool negative = s[0] == '-';
  size_t start = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  std::string digits = s.substr(start);
  int base = 10;
  if (digits.rfind("0x", 0) == 0) { base = 16; digits = digits.substr(2); }
  else if (digits.rfind("0o", 0) == 0) { base = 8; digits = digits.substr(2); }
  else if (digits.rfind("0b", 0) == 0) { base = 2; digits = digits.substr(2); }
  else if (digits.size() > 1 && digits[0] == '0') { base = 8; digits = digits.substr(1); }
  if (digits.empty()) return std::nullopt;
  const std::string allowed = base == 16 ? "0123456789abcdefABCDEF" : base == 8 ? "01234567" : base == 2 ? "01" : "0123456789";
  if (digits.find_first_not_of(allowed) != std::string::npos) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  long long value = std::strtoll(digits.c_str(), &end, base);
  if (errno == ERANGE || end != digits.c_str() + digits.size()) return std::nullopt;
  return negative ? -value : value;
}

std::optional<double> float_word(const std::string& s) {
  if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf" || s == "+.Inf" || s == "+.INF") return HUGE_VAL;
  if (s == "-.inf" || s == "-.Inf" || s == "-.INF") return -HUGE_VAL;
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return std::nan("");
  // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) { ++i; ++int_digits; }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) { ++i; ++frac_digits; }
  }
  if (int_digits == 0 && frac_digits == 0) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) { ++i; ++exp_digits; }
    if (exp_digits == 0) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  return std::strtod(s.c_str(), nullptr);
}

// A scalar with yaml-cpp's tag: "!" for quoted, "?" for plain, the resolved tag for explicit ones.
void write_scalar(json::Writer& w, const std::string& tag, const std::string& text) {
  if (tag == "!" || tag == "tag:yaml.org,2002:str") {  // quoted, or explicitly a string
    w.string(text);
    return;
  }
  if (tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" || tag == "tag:yaml.org,2002:bool" ||
      tag == "tag:yaml.org,2002:null" || tag == "?" || tag.empty()) {
    if (is_null_word(text) && tag != "tag:yaml.org,2002:int" && tag != "tag:yaml.org,2002:float") {
      w.null();
    } else if (auto b = bool_word(text)) {
      w.boolean(*b);
    } else if (auto i = int_word(text)) {
      w.integer(*i);
    } else if (auto f = float_word(text)) {
      w.number(*f);
    } else {
      w.string(text);
    }
    return;
  }
  w.string(text);  // any other tag (!!binary, custom): its text
}

// ---------------------------------------------------------------------------------------------
// YAML documents -> JSON text, one parser event at a time.

// Thrown from the event callbacks when the objects would outgrow the JSON budget.
struct JsonBudgetExceeded {
  std::string message;
};

// Writes each document of a stream as JSON through json::Writer. An alias repeats the JSON already
// written for its anchor (a collection) or resolves the anchored scalar again; the bounded reader
// in front (memmodel::read_yaml_events) has already checked that no alias repeats too much or
// refers to a node still open. A document that cannot be JSON (a key that is not a scalar) is
// marked failed and its remaining events are ignored.
class JsonDocuments final : public YAML::EventHandler {
 public:
  struct Document {
    YAML::Mark mark;    // of its root node
    std::string json;   // empty for an empty document
    std::string error;  // set when it cannot be JSON
  };

  using Sink = std::function<void(Document&)>;
  // `sink` takes each document as it ends; it may throw to stop the reading.
  JsonDocuments(size_t json_budget, Sink sink) : budget_(json_budget), sink_(std::move(sink)) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    writer_ = json::Writer{};
    open_.clear();
    anchors_.clear();
    error_.clear();
    root_mark_ = mark;
    started_ = false;
  }
  void OnDocumentEnd() override {
    Document doc{root_mark_, {}, error_};
    if (error_.empty() && started_) doc.json = writer_.take();
    writer_ = json::Writer{};
    if (!doc.json.empty() || !doc.error.empty()) {
      spent_ += doc.json.size();
      sink_(doc);
    }
  }

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (open_.empty()) return;  // an empty document
    if (!begin(mark)) return;
    if (expecting_key()) return mark_failed(mark, "a mapping key must be a scalar, not null or empty");
    writer_.null();
    if (anchor != YAML::NullAnchor) remember(anchor, Anchor{});
    value_done();
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    if (!begin(mark)) return;
    if (open_.empty()) return mark_failed(mark, "a manifest document must be an object");
    if (expecting_key()) {
      writer_.key(value);
      check_budget();
      open_.back().expect_key = false;
      if (anchor != YAML::NullAnchor) remember(anchor, Anchor{Anchor::kScalar, tag, value, 0, 0});
      return;
    }
    write_scalar(writer_, tag, value);
    check_budget();
    if (anchor != YAML::NullAnchor) remember(anchor, Anchor{Anchor::kScalar, tag, value, 0, 0});
    value_done();
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (!begin(mark)) return;
    // The bounded reader lets through only aliases to nodes already closed.
    if (anchor >= anchors_.size()) return mark_failed(mark, "an alias to an anchor this reader did not keep");
    const Anchor& a = anchors_[anchor];
    if (expecting_key()) {
      if (a.kind != Anchor::kScalar) return mark_failed(mark, "a mapping key must be a scalar");
      writer_.key(a.text);
      check_budget();
      open_.back().expect_key = false;
      return;
    }
    if (a.kind == Anchor::kScalar) {
      write_scalar(writer_, a.tag, a.text);
    } else if (a.kind == Anchor::kNull) {
      writer_.null();
    } else {
      const size_t length = a.end - a.begin;
      if (writer_.str().size() + length + spent_ > budget_) over_budget();
      const std::string copy = writer_.str().substr(a.begin, length);  // raw() may grow the buffer
      writer_.raw(copy);
    }
    check_budget();
    value_done();
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    if (!begin(mark)) return;
    if (open_.empty()) return mark_failed(mark, "a manifest document must be an object, not a list");
    if (expecting_key()) return mark_failed(mark, "a mapping key must be a scalar, not a list");
    const size_t at = position();
    writer_.begin_array();
    open_.push_back(Open{false, false, anchor, value_start(at)});
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    if (!begin(mark)) return;
    if (expecting_key()) return mark_failed(mark, "a mapping key must be a scalar, not a mapping");
    const size_t at = position();
    writer_.begin_object();
    open_.push_back(Open{true, true, anchor, value_start(at)});
  }
  void OnMapEnd() override { close(); }

 private:
  struct Open {
    bool map;
    bool expect_key;
    YAML::anchor_t anchor;
    size_t begin;  // where its JSON starts in writer_
  };
  struct Anchor {
    enum Kind { kNull, kScalar, kCollection } kind = kNull;
    std::string tag, text;  // a scalar's, resolved again where it is repeated
    size_t begin = 0, end = 0;  // a collection's JSON in writer_
  };

  // False while the document is failed: its events are ignored until it ends.
  bool begin(const YAML::Mark& mark) {
    if (!error_.empty()) return false;
    if (!started_) {
      started_ = true;
      root_mark_ = mark;
    }
    return true;
  }
  bool expecting_key() const { return !open_.empty() && open_.back().map && open_.back().expect_key; }
  size_t position() const { return writer_.str().size(); }
  // The writer puts a ',' before a value that follows another: the value itself starts after it.
  size_t value_start(size_t at) const { return at < writer_.str().size() && writer_.str()[at] == ',' ? at + 1 : at; }

  // The document's own line is in its source; a place inside it is named.
  void mark_failed(const YAML::Mark& mark, const std::string& message) {
    error_ = open_.empty() ? message : message + " (line " + std::to_string(mark.line + 1) + ")";
  }
  [[noreturn]] void over_budget() {
    throw JsonBudgetExceeded{"the objects read exceed " + size_text(budget_) +
                             " of JSON in total (counting alias expansions)"};
  }
  void check_budget() {
    if (writer_.str().size() + spent_ > budget_) over_budget();
  }

  void remember(YAML::anchor_t anchor, Anchor value) {
    if (anchor == YAML::NullAnchor) return;
    if (anchor >= anchors_.size()) anchors_.resize(anchor + 1);
    anchors_[anchor] = std::move(value);
  }

  // After a value in a mapping, a key comes.
  void value_done() {
    if (!open_.empty() && open_.back().map) open_.back().expect_key = true;
  }

  void close() {
    if (!error_.empty()) return;
    const Open done = open_.back();
    open_.pop_back();
    if (done.map) {
      writer_.end_object();
    } else {
      writer_.end_array();
    }
    check_budget();
    if (done.anchor != YAML::NullAnchor) {
      remember(done.anchor, Anchor{Anchor::kCollection, {}, {}, done.begin, position()});
    }
    value_done();
  }

  size_t budget_;
  size_t spent_ = 0;  // JSON of the documents already finished
  Sink sink_;
  json::Writer writer_;
  std::vector<Open> open_;
  std::vector<Anchor> anchors_;
  std::string error_;
  YAML::Mark root_mark_;
  bool started_ = false;
};

// ---------------------------------------------------------------------------------------------
// Documents -> objects: a document without kind is skipped, a List is split into its items.

// The object's kind; `present` is false when it has none (missing, null or ""). A kind that is not
// a string is present: the decoder reports it as the API server would.
std::string kind_of(simdjson::dom::element object, bool& present) {
  simdjson::dom::element field;
  std::string_view kind;
  if (object["kind"].get(field) != simdjson::SUCCESS || field.is_null()) {
    present = false;
    return {};
  }
  if (field.get(kind) != simdjson::SUCCESS) {
    present = true;
    return {};
  }
  present = !kind.empty();
  return std::string(kind);
}

// Thrown from a document sink to stop reading when a total limit is reached.
struct StopReading {};

// One reading of inputs, keeping the totals that the limits bound.
struct Reader {
  Reader(const ManifestLimits& l, Manifests& o) : limits(l), out(o) {}

  const ManifestLimits& limits;
  Manifests& out;
  size_t bytes_read = 0;
  size_t json_bytes = 0;
  size_t objects = 0;  // objects and documents counted against max_objects
  bool stopped = false;  // a total limit was reached: nothing more is read
  simdjson::dom::parser parser;

  void error(const std::string& source, const std::string& message) { out.objects.push_back({source, {}, message}); }

  // Every document and List item counts, skipped or not.
  bool count_object(const std::string& source) {
    if (++objects <= limits.max_objects) return true;
    error(source, "more than " + std::to_string(limits.max_objects) +
                      " documents and List items in total; nothing more is read");
    stopped = true;
    return false;
  }

  void add_document(const std::string& source, JsonDocuments::Document& doc) {
    if (!doc.error.empty()) {
      if (count_object(source)) error(source, doc.error);
      return;
    }
    simdjson::dom::element root;
    if (auto e = parser.parse(doc.json).get(root); e != simdjson::SUCCESS) {
      // The writer only writes JSON; this would be our bug, reported as this document's error.
      if (count_object(source)) error(source, std::string("internal error: not JSON: ") + simdjson::error_message(e));
      return;
    }
    bool has_kind = false;
    const std::string kind = kind_of(root, has_kind);
    if (!has_kind) {
      if (count_object(source)) out.skipped.push_back({source, kNoKind});
      return;
    }
    simdjson::dom::array items;
    const bool list = kind.size() >= 4 && kind.compare(kind.size() - 4, 4, "List") == 0 &&
                      root["items"].get(items) == simdjson::SUCCESS;
    if (!list) {
      if (count_object(source)) out.objects.push_back({source, std::move(doc.json), {}});
      return;
    }
    size_t index = 0;
    for (simdjson::dom::element item : items) {
      const std::string item_source = source + " items[" + std::to_string(index++) + "]";
      if (!item.is_object()) {
        if (!count_object(item_source)) return;
        error(item_source, "a List item must be an object");
        continue;
      }
      bool item_has_kind = false;
      (void)kind_of(item, item_has_kind);
      if (!count_object(item_source)) return;
      if (!item_has_kind) {
        out.skipped.push_back({item_source, kNoKind});
        continue;
      }
      out.objects.push_back({item_source, simdjson::minify(item), {}});
    }
  }

  void parse(std::string_view text, const std::string& name) {
    // Each document becomes objects as soon as it ends, so documents before an error are kept.
    JsonDocuments converter(limits.max_json_bytes - json_bytes, [&](JsonDocuments::Document& doc) {
      json_bytes += doc.json.size();
      add_document(name + ":" + std::to_string(doc.mark.line + 1), doc);
      if (stopped) throw StopReading{};
    });
    Expected<size_t> read = size_t{0};
    std::string budget_error;
    try {
      read = memmodel::read_yaml_events(text, limits.yaml, converter);
    } catch (const JsonBudgetExceeded& e) {
      budget_error = e.message;
    } catch (const StopReading&) {
      return;
    }
    if (!budget_error.empty()) {
      error(name, budget_error + "; nothing more is read");
      stopped = true;
    } else if (!read) {
      error(name, read.error().message);
    }
  }

  // Reads one file within max_file_bytes and what is left of max_total_bytes.
  void read_file(const std::string& path) {
    if (stopped) return;
    const std::string name = path == "-" ? "<stdin>" : path;
    auto input = read_input(path, limits.max_file_bytes);
    if (!input) {
      error(name, input.error().message);
      return;
    }
    if (input->too_large) {
      error(name, "larger than " + size_text(limits.max_file_bytes) + ", the limit for one file; not read");
      return;
    }
    if (input->text.size() > limits.max_total_bytes - bytes_read) {
      error(name, "the inputs exceed " + size_text(limits.max_total_bytes) + " in total; nothing more is read");
      stopped = true;
      return;
    }
    bytes_read += input->text.size();
    parse(input->text, name);
  }

  static bool manifest_name(const fs::path& path) {
    const std::string ext = path.extension().string();
    return ext == ".yaml" || ext == ".yml" || ext == ".json";
  }

  // Every manifest file below `root` in name order, like kubectl -R: symlinks to files are
  // followed, symlinked directories are not entered (no loops), and what cannot be listed or is
  // not a regular file is an entry with its error, in its place in the order.
  void read_directory(const std::string& root) {
    struct Found {
      std::string path, problem;
    };
    std::vector<Found> found;
    std::vector<fs::path> pending{root};
    while (!pending.empty() && !stopped) {
      const fs::path dir = pending.back();
      pending.pop_back();
      std::error_code ec;
      fs::directory_iterator it(dir, ec), end;
      if (ec) {
        found.push_back({dir.string(), "cannot list: " + ec.message()});
        continue;
      }
      for (; it != end; it.increment(ec)) {
        if (ec) break;
        const fs::directory_entry& entry = *it;
        std::error_code type_ec;
        const fs::file_status own = entry.symlink_status(type_ec);
        if (fs::is_directory(own)) {
          pending.push_back(entry.path());
          continue;
        }
        if (!manifest_name(entry.path())) continue;
        const fs::file_status target = entry.status(type_ec);  // through a symlink
        if (fs::is_directory(target)) continue;                // a symlinked directory: not entered
        if (type_ec) {
          found.push_back({entry.path().string(), "cannot read: " + type_ec.message()});
        } else if (!fs::is_regular_file(target)) {
          found.push_back({entry.path().string(), "not a regular file (a FIFO, socket or device); not read"});
        } else {
          found.push_back({entry.path().string(), {}});
        }
        if (found.size() > limits.max_files) {
          error(root, "more than " + std::to_string(limits.max_files) + " manifest files; nothing more is read");
          stopped = true;
          return;
        }
      }
      if (ec) found.push_back({dir.string(), "cannot list: " + ec.message()});
    }
    std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) { return a.path < b.path; });
    for (const auto& f : found) {
      if (stopped) return;
      if (f.problem.empty()) {
        read_file(f.path);
      } else {
        error(f.path, f.problem);
      }
    }
  }
};

}  // namespace

size_t Manifests::unreadable() const {
  return static_cast<size_t>(
      std::count_if(objects.begin(), objects.end(), [](const ManifestObject& o) { return !o.error.empty(); }));
}

std::string Manifests::first_error() const {
  for (const auto& o : objects) {
    if (!o.error.empty()) return o.source + ": " + o.error;
  }
  return "";
}

Manifests parse_manifests(std::string_view text, const std::string& name, const ManifestLimits& limits) {
  Manifests out;
  Reader reader(limits, out);
  reader.parse(text, name);
  return out;
}

Manifests load_manifests(const std::vector<std::string>& paths, const ManifestLimits& limits) {
  Manifests out;
  Reader reader(limits, out);
  for (const auto& path : paths) {
    if (reader.stopped) break;
    std::error_code ec;
    if (path != "-" && fs::is_directory(path, ec)) {
      reader.read_directory(path);
    } else {
      reader.read_file(path);
    }
  }
  return out;
}

}  // namespace memguard::cli
