// The flag table's parser and usage renderer, shared by every flink-memguard command.
#include "webhook/cli/flags.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace memguard::cli {

namespace {

const Flag* find_flag(std::span<const Flag> table, std::string_view name) {
  for (const Flag& f : table) {
    if (f.name == name || (!f.short_name.empty() && f.short_name == name)) return &f;
  }
  return nullptr;
}

// A short flag with its value attached ("-Dkey=value", "-fconf.yaml"): the flag, or nullptr.
const Flag* attached_short(std::span<const Flag> table, std::string_view arg) {
  if (arg.size() <= 2 || arg[0] != '-' || arg[1] == '-') return nullptr;
  const Flag* f = find_flag(table, arg.substr(0, 2));
  return f && f->takes_value() ? f : nullptr;
}

std::string names(const Flag& f) {
  std::string out;
  if (!f.short_name.empty()) out += std::string(f.short_name) + ", ";
  out += f.name;
  if (f.takes_value()) out += " " + std::string(f.value_name);
  return out;
}

}  // namespace

FlagParse parse_flags(Args args, std::span<const Flag> table) {
  FlagParse out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "-h" || arg == "--help") {
      out.help = true;
      return out;
    }
    std::string_view name = arg, value;
    bool has_value = false;
    const Flag* flag = nullptr;
    if (const size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
      flag = find_flag(table, name);
    } else if ((flag = find_flag(table, arg)) == nullptr && (flag = attached_short(table, arg)) != nullptr) {
      name = arg.substr(0, 2);
      value = arg.substr(2);
      has_value = true;
    }
    if (!flag) {
      out.error = arg.starts_with("-") ? "unknown option '" + std::string(name) + "'"
                                       : "unexpected argument '" + std::string(arg) + "'";
      return out;
    }
    if (!flag->takes_value()) {
      if (has_value) {
        out.error = std::string(flag->name) + " takes no value";
        return out;
      }
    } else if (!has_value) {
      if (i + 1 >= args.size()) {
        out.error = std::string(name) + " needs " + std::string(flag->value_name);
        return out;
      }
      value = args[++i];
    }
    if (std::string refused = flag->set(value); !refused.empty()) {
      out.error = std::move(refused);
      return out;
    }
  }
  return out;
}

std::string flag_usage(std::span<const Flag> table) {
  size_t width = 0;
  for (const Flag& f : table) width = std::max(width, names(f).size());
  width = std::min<size_t>(width, 24);
  std::string out;
  for (const Flag& f : table) {
    std::string left = "  " + names(f);
    std::string_view help = f.help;
    bool first = true;
    do {
      const size_t nl = help.find('\n');
      const std::string_view line = help.substr(0, nl);
      std::string lead = first ? left : std::string();
      if (!first || lead.size() > width + 2) {
        if (first) out += lead + "\n";
        lead.clear();
      }
      lead.resize(width + 4, ' ');
      out += lead + std::string(line) + "\n";
      first = false;
      help = nl == std::string_view::npos ? std::string_view{} : help.substr(nl + 1);
    } while (!help.empty());
  }
  return out;
}

int usage_error(std::string_view command, std::string_view message, std::string_view usage) {
  std::fprintf(stderr, "flink-memguard %.*s: %.*s\n\n%.*s", static_cast<int>(command.size()), command.data(),
               static_cast<int>(message.size()), message.data(), static_cast<int>(usage.size()), usage.data());
  return kUsageExit;
}

int parse_or_exit(std::string_view command, Args args, std::span<const Flag> table, std::string_view usage) {
  const FlagParse parsed = parse_flags(args, table);
  if (parsed.help) {
    std::fwrite(usage.data(), 1, usage.size(), stdout);
    return 0;
  }
  if (!parsed.ok()) return usage_error(command, parsed.error, usage);
  return -1;
}

std::function<std::string(std::string_view)> text_into(std::string& target) {
  return [&target](std::string_view v) {
    target = std::string(v);
    return std::string();
  };
}

bool parse_whole_number(std::string_view text, unsigned long& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

std::function<std::string(std::string_view)> number_in(unsigned long low, unsigned long high, std::string error,
                                                       std::function<void(unsigned long)> store) {
  return [=](std::string_view text) {
    unsigned long n = 0;
    if (!parse_whole_number(text, n) || n < low || n > high) return error;
    store(n);
    return std::string();
  };
}

}  // namespace memguard::cli
