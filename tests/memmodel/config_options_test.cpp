// Typed option reads: fallback keys in order, YAML float narrowing, Java integer/boolean parsing.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "memmodel/config_options.h"

using namespace memguard::memmodel;

TEST_CASE("An option's own key wins over its deprecated keys", "[memmodel][config]") {
  const auto options = taskmanager_options(FlinkVersion{1, 20, 0});
  FlinkConfig config{{"taskmanager.network.memory.min", "10m"}};
  ConfigReader reader(config);
  CHECK(reader.lookup(options.network_min.name).key == "taskmanager.network.memory.min");
  CHECK(reader.read(options.network_min)->bytes() == 10LL << 20);
  config.set("taskmanager.memory.network.min", "20m");
  CHECK(ConfigReader(config).read(options.network_min)->bytes() == 20LL << 20);
  CHECK(ConfigReader(FlinkConfig{}).read(options.network_min)->bytes() == 64LL << 20);
}

TEST_CASE("Version-dependent defaults follow the spec's table", "[memmodel][config]") {
  CHECK(taskmanager_options(FlinkVersion{1, 16, 0}).network_max.default_value->bytes() == 1LL << 30);
  CHECK(taskmanager_options(FlinkVersion{1, 17, 0}).network_max.default_value->bytes() == MemorySize::kMaxBytes);
  CHECK(taskmanager_options(FlinkVersion{1, 10, 0}).jvm_metaspace.default_value->bytes() == 96LL << 20);
  CHECK(taskmanager_options(FlinkVersion{1, 10, 1}).jvm_metaspace.default_value->bytes() == 256LL << 20);
}

TEST_CASE("YAML floats narrow to float only within float range", "[memmodel][config]") {
  CHECK(*convert_to_float({ValueKind::kFloat, "0.25"}) == 0.25f);
  CHECK(*convert_to_float({ValueKind::kFloat, "0.0"}) == 0.0f);
  CHECK_FALSE(convert_to_float({ValueKind::kFloat, "1e-50"}).has_value());
  CHECK_FALSE(convert_to_float({ValueKind::kFloat, "1e50"}).has_value());
  CHECK_FALSE(convert_to_float({ValueKind::kFloat, "NaN"}).has_value());
  // The same text in flink-conf.yaml is a string and parses to 0.0f.
  CHECK(*convert_to_float(ConfigValue::string("1e-50")) == 0.0f);
}

TEST_CASE("Integer and boolean options parse as Flink's converters do", "[memmodel][config]") {
  const IntOption slots{{"taskmanager.numberOfTaskSlots"}, 1};
  CHECK(*ConfigReader(FlinkConfig{{"taskmanager.numberOfTaskSlots", "+4"}}).read(slots) == 4);
  auto bad = ConfigReader(FlinkConfig{{"taskmanager.numberOfTaskSlots", "4.0"}}).read(slots);
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains("taskmanager.numberOfTaskSlots"));
  const BoolOption flag{{"jobmanager.memory.enable-jvm-direct-memory-limit"}, false};
  CHECK(*ConfigReader(FlinkConfig{{"jobmanager.memory.enable-jvm-direct-memory-limit", "True"}}).read(flag));
  CHECK_FALSE(ConfigReader(FlinkConfig{{"jobmanager.memory.enable-jvm-direct-memory-limit", " true"}}).read(flag));
}

TEST_CASE("An unreadable value is quoted, unless its key may hold a secret", "[memmodel][config][sensitive]") {
  const std::string secret = "hunter2-do-not-log-me";
  // A memory-model key: the user needs to see what Flink would reject.
  const MemoryOption process_size{{"taskmanager.memory.process.size"}, std::nullopt};
  auto shown = ConfigReader(FlinkConfig{{"taskmanager.memory.process.size", secret}}).read(process_size);
  REQUIRE_FALSE(shown);
  CHECK_THAT(shown.error().message, Catch::Contains("'taskmanager.memory.process.size' (value '" + secret + "')"));
  // Every typed read goes through the same rule, so a sensitive key (here a fallback key, as a
  // renamed option would have) is named and its value kept out of the message, reason included.
  const MemoryOption keyed{{"my.buffer.size", {"s3.secret-key"}}, std::nullopt};
  auto hidden = ConfigReader(FlinkConfig{{"s3.secret-key", secret}}).read(keyed);
  REQUIRE_FALSE(hidden);
  CHECK_THAT(hidden.error().message, Catch::Contains("'s3.secret-key'") && Catch::Contains("not shown"));
  CHECK_THAT(hidden.error().message, !Catch::Contains("hunter2"));
  const FloatOption token{{"security.token.fraction"}, std::nullopt};
  auto hidden_float = ConfigReader(FlinkConfig{{"security.token.fraction", secret}}).read(token);
  REQUIRE_FALSE(hidden_float);
  CHECK_THAT(hidden_float.error().message, !Catch::Contains("hunter2"));
}

TEST_CASE("YAML's special float spellings overflow a float option, as Flink's narrowing refuses them",
          "[memmodel][config]") {
  // snakeyaml reads .nan and .inf as Double NaN and Infinity; convertToFloat accepts neither.
  for (const char* text : {".nan", ".NaN", ".NAN", ".inf", "+.inf", ".Inf", ".INF", "-.inf", "-.Inf", "-.INF"}) {
    CAPTURE(text);
    auto f = convert_to_float({ValueKind::kFloat, text});
    REQUIRE_FALSE(f);
    CHECK(f.error().message == std::string("the YAML number ") + text + " overflows or underflows the float type");
  }
  // A YAML float that is none of them is not a number at all.
  auto bogus = convert_to_float({ValueKind::kFloat, "1.5.5"});
  REQUIRE_FALSE(bogus);
  CHECK(bogus.error().message == "'1.5.5' is not a valid float");
  // Negative values within float range narrow like positive ones.
  CHECK(*convert_to_float({ValueKind::kFloat, "-0.5"}) == -0.5f);
  CHECK_FALSE(convert_to_float({ValueKind::kFloat, "-1e-50"}));
}

TEST_CASE("A double option reads YAML's .nan and .inf as the special values, a string spelling them is an error",
          "[memmodel][config]") {
  const DoubleOption cpu{{"kubernetes.taskmanager.cpu.amount"}, -1.0};
  auto read_yaml_float = [&](const char* text) {
    FlinkConfig config;
    config.set("kubernetes.taskmanager.cpu.amount", ConfigValue{ValueKind::kFloat, text});
    return ConfigReader(config).read(cpu);
  };
  CHECK(std::isnan(*read_yaml_float(".nan")));
  CHECK(*read_yaml_float(".inf") == std::numeric_limits<double>::infinity());
  CHECK(*read_yaml_float("-.inf") == -std::numeric_limits<double>::infinity());
  CHECK(*read_yaml_float("2.5") == 2.5);
  auto other = read_yaml_float(".Infinity");
  REQUIRE_FALSE(other);
  CHECK_THAT(other.error().message, Catch::Contains("cannot read a number from 'kubernetes.taskmanager.cpu.amount'"));
  auto text = ConfigReader(FlinkConfig{{"kubernetes.taskmanager.cpu.amount", ".inf"}}).read(cpu);
  REQUIRE_FALSE(text);
  CHECK_THAT(text.error().message, Catch::Contains("(value '.inf')") && Catch::Contains("write a decimal number such as 2.0"));
  CHECK(*ConfigReader(FlinkConfig{}).read(cpu) == -1.0);
}

TEST_CASE("Reading an unset option without a default is an internal error naming the option", "[memmodel][config]") {
  // The derivation checks contains() before reading such an option; a read without that check is a bug.
  const FlinkConfig none;  // the reader keeps a reference: the configuration must outlive it
  const ConfigReader empty(none);
  auto expect_missing = [](const auto& read, const char* key) {
    REQUIRE_FALSE(read);
    CHECK(read.error().code == memguard::ErrorCode::kInternal);
    CHECK(read.error().message == std::string("option '") + key + "' has no value and no default");
  };
  expect_missing(empty.read(MemoryOption{{"taskmanager.memory.process.size"}, std::nullopt}),
                 "taskmanager.memory.process.size");
  expect_missing(empty.read(FloatOption{{"taskmanager.memory.managed.fraction"}, std::nullopt}),
                 "taskmanager.memory.managed.fraction");
  expect_missing(empty.read(DoubleOption{{"taskmanager.cpu.cores"}, std::nullopt}), "taskmanager.cpu.cores");
  expect_missing(empty.read(IntOption{{"taskmanager.heap.mb"}, std::nullopt}), "taskmanager.heap.mb");
  expect_missing(empty.read(BoolOption{{"jobmanager.memory.enable-jvm-direct-memory-limit"}, std::nullopt}),
                 "jobmanager.memory.enable-jvm-direct-memory-limit");
}

TEST_CASE("Unset options with defaults read as their defaults", "[memmodel][config]") {
  const FlinkConfig none;  // the reader keeps a reference: the configuration must outlive it
  const ConfigReader empty(none);
  const auto tm = taskmanager_options(FlinkVersion{1, 20, 0});
  CHECK(*empty.read(tm.managed_fraction) == 0.4f);
  CHECK(*empty.read(tm.num_slots) == 1);
  CHECK(*empty.read(tm.kubernetes_cpu) == -1.0);
  CHECK_FALSE(*empty.read(jobmanager_options(FlinkVersion{1, 20, 0}).direct_memory_limit));
  CHECK(*ConfigReader(FlinkConfig{{"jobmanager.memory.enable-jvm-direct-memory-limit", "fAlSe"}})
             .read(jobmanager_options(FlinkVersion{1, 20, 0}).direct_memory_limit) == false);
}
