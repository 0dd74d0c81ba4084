// Typed option reads: fallback keys in order, YAML float narrowing, Java integer/boolean parsing.
#include <catch2/catch.hpp>

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
