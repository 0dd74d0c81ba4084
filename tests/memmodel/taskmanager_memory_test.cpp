// TaskManager derivation: spec worked examples, every rejection rule (E1-E16) with a message that
// names the key to change, legacy keys, cpu and external resources.
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <string>

#include "memmodel/derivation.h"
#include "memmodel/flink_config.h"

using namespace memguard::memmodel;
using memguard::ErrorCode;

namespace {

DerivationContext at(const char* version) {
  DerivationContext c;
  c.version = *FlinkVersion::parse(version);
  return c;
}

// Expects a rejection whose message names every given fragment.
void require_rejected(const FlinkConfig& config, const DerivationContext& context,
                      std::initializer_list<const char*> fragments) {
  auto m = derive_taskmanager(config, context);
  REQUIRE_FALSE(m.has_value());
  CAPTURE(m.error().message);
  CHECK(m.error().code != ErrorCode::kInternal);
  for (const char* f : fragments) CHECK_THAT(m.error().message, Catch::Contains(f));
}

}  // namespace

TEST_CASE("A 1728m TaskManager derives exactly as real Flink 2.0 does", "[memmodel][taskmanager]") {
  auto m = derive_taskmanager({{"taskmanager.memory.process.size", "1728m"}}, at("2.0"));
  REQUIRE(m);
  CHECK(m->framework_heap.size.bytes() == 134217728);
  CHECK(m->task_heap.size.bytes() == 402653174);
  CHECK(m->network.size.bytes() == 134217730);
  CHECK(m->managed.size.bytes() == 536870920);
  CHECK(m->jvm.overhead.size.bytes() == 201326592);
  CHECK(m->flink_total().bytes() == 1342177280);
  CHECK(m->process_total().bytes() == 1811939328);
  CHECK(jvm_args(*m) == "-Xmx536870902 -Xms536870902 -XX:MaxDirectMemorySize=268435458 -XX:MaxMetaspaceSize=268435456");
}

TEST_CASE("Spec worked examples derive to the byte", "[memmodel][taskmanager]") {
  SECTION("process 20g before 1.17 caps network at 1g") {
    auto m = derive_taskmanager({{"taskmanager.memory.process.size", "20g"}}, at("1.12"));
    REQUIRE(m);
    CHECK(m->network.size.bytes() == 1073741824);
    CHECK(m->task_heap.size.bytes() == 10737418120);
    CHECK(m->jvm.overhead.size.bytes() == 1073741824);
  }
  SECTION("process 20g from 1.17 on leaves network unbounded") {
    auto m = derive_taskmanager({{"taskmanager.memory.process.size", "20g"}}, at("1.17"));
    REQUIRE(m);
    CHECK(m->network.size.bytes() == 2013265950);
    CHECK(m->task_heap.size.bytes() == 9797893994);
  }
  SECTION("fine-grained without totals uses the inverse network fraction") {
    auto m = derive_taskmanager({{"taskmanager.memory.task.heap.size", "1g"}, {"taskmanager.memory.managed.size", "512m"}},
                                at("1.20"));
    REQUIRE(m);
    CHECK(m->network.size.bytes() == 208783135);
    CHECK(m->flink_total().bytes() == 2087831327);
    CHECK(m->jvm.overhead.size.bytes() == 261807424);
    CHECK(m->process_total().bytes() == 2618074207);
  }
  SECTION("1.10.0 has a 96m metaspace default") {
    auto m = derive_taskmanager({{"taskmanager.memory.process.size", "1568m"}}, at("1.10.0"));
    REQUIRE(m);
    CHECK(m->jvm.metaspace.size.bytes() == 100663296);
    CHECK(m->flink_total().bytes() == 1342177280);
  }
  SECTION("the overhead is the remainder when process and flink sizes are set") {
    auto m = derive_taskmanager({{"taskmanager.memory.process.size", "1000m"}, {"taskmanager.memory.flink.size", "800m"},
                                 {"taskmanager.memory.jvm-metaspace.size", "100m"},
                                 {"taskmanager.memory.jvm-overhead.min", "50m"},
                                 {"taskmanager.memory.jvm-overhead.max", "200m"},
                                 {"taskmanager.memory.jvm-overhead.fraction", "0.5"}},
                                at("1.20"));
    REQUIRE(m);
    CHECK(m->jvm.overhead.size.bytes() == 104857600);
  }
}

TEST_CASE("Each TaskManager rejection names the keys to change", "[memmodel][taskmanager][rejection]") {
  const auto v = at("1.20");
  SECTION("E1 nothing to derive from") {
    require_rejected({}, v, {"taskmanager.memory.task.heap.size", "taskmanager.memory.flink.size",
                             "taskmanager.memory.process.size"});
  }
  SECTION("E2 unparsable memory value the path reads") {
    require_rejected({{"taskmanager.memory.process.size", "1,5g"}}, v, {"taskmanager.memory.process.size", "1,5g"});
    require_rejected({{"taskmanager.memory.process.size", "2g"}, {"taskmanager.memory.task.off-heap.size", "x"}}, v,
                     {"taskmanager.memory.task.off-heap.size"});
  }
  SECTION("E3 unparsable fraction") {
    require_rejected({{"taskmanager.memory.process.size", "2g"}, {"taskmanager.memory.managed.fraction", "abc"}}, v,
                     {"taskmanager.memory.managed.fraction"});
  }
  SECTION("E4 range with min above max or fraction outside [0,1)") {
    require_rejected({{"taskmanager.memory.process.size", "2g"}, {"taskmanager.memory.network.min", "200m"},
                      {"taskmanager.memory.network.max", "50m"}},
                     v, {"taskmanager.memory.network.min", "taskmanager.memory.network.max"});
    require_rejected({{"taskmanager.memory.process.size", "2g"}, {"taskmanager.memory.jvm-overhead.fraction", "1.0"}}, v,
                     {"taskmanager.memory.jvm-overhead.fraction"});
    require_rejected({{"taskmanager.memory.process.size", "2g"}, {"taskmanager.memory.managed.fraction", "0.99999999"}},
                     v, {"taskmanager.memory.managed.fraction"});
  }
  SECTION("E5 configured components exceed Total Flink") {
    require_rejected({{"taskmanager.memory.flink.size", "500m"}, {"taskmanager.memory.task.heap.size", "400m"}}, v,
                     {"taskmanager.memory.task.heap.size", "taskmanager.memory.flink.size"});
  }
  SECTION("E6 fraction-derived components leave nothing for task heap") {
    require_rejected({{"taskmanager.memory.process.size", "981m"}}, v, {"Task Heap", "Total Flink Memory"});
    require_rejected({{"taskmanager.memory.process.size", "1536m"}, {"taskmanager.memory.network.fraction", "0.6"},
                      {"taskmanager.memory.managed.fraction", "0.6"}},
                     v, {"taskmanager.memory.network.fraction", "taskmanager.memory.managed.fraction"});
  }
  SECTION("E7 network remainder outside its range") {
    require_rejected({{"taskmanager.memory.flink.size", "1280m"}, {"taskmanager.memory.task.heap.size", "324m"},
                      {"taskmanager.memory.managed.size", "200m"}, {"taskmanager.memory.network.min", "900m"},
                      {"taskmanager.memory.network.max", "1000m"}},
                     v, {"Network Memory", "taskmanager.memory.network.min"});
    // Path TP with task heap: network is the remainder (~25 MiB) and below the 64m minimum.
    require_rejected({{"taskmanager.memory.process.size", "1000m"}, {"taskmanager.memory.task.heap.size", "50m"}}, v,
                     {"Network Memory", "taskmanager.memory.network.min"});
  }
  SECTION("E7 network remainder differs from the legacy buffers") {
    require_rejected({{"taskmanager.memory.flink.size", "1280m"}, {"taskmanager.memory.task.heap.size", "100m"},
                      {"taskmanager.network.numberOfBuffers", "1024"}},
                     v, {"taskmanager.network.numberOfBuffers"});
  }
  SECTION("E9 process smaller than Flink plus metaspace") {
    require_rejected({{"taskmanager.memory.process.size", "1g"}, {"taskmanager.memory.flink.size", "1g"}}, v,
                     {"taskmanager.memory.process.size", "JVM Metaspace"});
  }
  SECTION("E10 overhead remainder outside its range") {
    require_rejected({{"taskmanager.memory.process.size", "1000m"}, {"taskmanager.memory.flink.size", "800m"},
                      {"taskmanager.memory.jvm-metaspace.size", "100m"},
                      {"taskmanager.memory.jvm-overhead.min", "150m"}},
                     v, {"JVM Overhead", "taskmanager.memory.jvm-overhead.min"});
  }
  SECTION("E11 metaspace and overhead exceed the process") {
    require_rejected({{"taskmanager.memory.process.size", "200m"}}, v,
                     {"taskmanager.memory.jvm-metaspace.size", "taskmanager.memory.process.size"});
  }
  SECTION("E12 non-positive cpu") {
    require_rejected({{"taskmanager.memory.process.size", "2g"}, {"taskmanager.cpu.cores", "-0.1"}}, v,
                     {"taskmanager.cpu.cores"});
    require_rejected({{"taskmanager.memory.process.size", "2g"}, {"taskmanager.numberOfTaskSlots", "0"}}, v,
                     {"taskmanager.numberOfTaskSlots"});
  }
  SECTION("E13 negative legacy heap in MB") {
    require_rejected({{"taskmanager.heap.mb", "-1"}}, v, {"taskmanager.heap.mb"});
  }
  SECTION("E14 invalid legacy page size") {
    require_rejected({{"taskmanager.memory.process.size", "2g"}, {"taskmanager.network.numberOfBuffers", "1024"},
                      {"taskmanager.memory.segment-size", "3000"}},
                     v, {"taskmanager.memory.segment-size"});
  }
  SECTION("E15 overflow in sums") {
    require_rejected({{"taskmanager.memory.task.heap.size", "8388607t"}, {"taskmanager.memory.managed.size", "8388607t"}},
                     v, {"2^63-1"});
  }
}

TEST_CASE("Options a path does not read may hold invalid values", "[memmodel][taskmanager][lazy]") {
  // The managed fraction is only read when the managed size is not configured.
  auto m = derive_taskmanager({{"taskmanager.memory.process.size", "2g"}, {"taskmanager.memory.managed.size", "0"},
                               {"taskmanager.memory.managed.fraction", "abc"}},
                              at("1.20"));
  REQUIRE(m);
  CHECK(m->managed.size.bytes() == 0);
  CHECK(m->task_heap.size.bytes() == 1229434384);
}

TEST_CASE("Legacy keys are honoured where Flink honours them", "[memmodel][taskmanager][legacy]") {
  SECTION("legacy network buffers size the network in 1.20 but not in 2.0") {
    FlinkConfig config{{"taskmanager.memory.process.size", "2g"}, {"taskmanager.network.numberOfBuffers", "1024"}};
    CHECK(derive_taskmanager(config, at("1.20"))->network.size.bytes() == 33554432);
    CHECK(derive_taskmanager(config, at("2.0"))->network.size.bytes() != 33554432);
  }
  SECTION("the deprecated managed and network keys still count") {
    auto m = derive_taskmanager({{"taskmanager.memory.process.size", "2g"}, {"taskmanager.memory.size", "100m"},
                                 {"taskmanager.network.memory.min", "300m"}, {"taskmanager.network.memory.max", "300m"}},
                                at("2.0"));
    REQUIRE(m);
    CHECK(m->managed.size.bytes() == 100LL << 20);
    CHECK(m->network.size.bytes() == 300LL << 20);
  }
  SECTION("the legacy heap is total Flink for the scripts and the process for containers") {
    FlinkConfig config{{"taskmanager.heap.size", "2g"}};
    CHECK(derive_taskmanager(config, at("1.20"))->flink_total().bytes() == 2LL << 30);
    DerivationContext k8s = at("1.20");
    k8s.legacy_heap = LegacyHeapTarget::kProcessTotal;
    CHECK(derive_taskmanager(config, k8s)->process_total().bytes() == 2LL << 30);
    CHECK_FALSE(derive_taskmanager(config, at("2.0")).has_value());
  }
  SECTION("FLINK_TM_HEAP wins over the legacy keys and must parse") {
    DerivationContext c = at("1.13");
    c.legacy_heap_env = "1g";
    CHECK(derive_taskmanager({{"taskmanager.heap.size", "2g"}}, c)->flink_total().bytes() == 1LL << 30);
    c.legacy_heap_env = "lots";
    require_rejected({}, c, {"FLINK_TM_HEAP"});
  }
}

TEST_CASE("Legacy network buffers take Flink's page size checks and give way to any network option",
          "[memmodel][taskmanager][legacy]") {
  // ConfigurationParserUtils.getPageSize: a power of two, at least 4096 bytes, at most Integer.MAX_VALUE.
  SECTION("the legacy network is buffers times a page size from 4096 bytes that fits 32 bits") {
    FlinkConfig config{{"taskmanager.memory.process.size", "2g"}, {"taskmanager.network.numberOfBuffers", "1024"},
                       {"taskmanager.memory.segment-size", "4096"}};
    CHECK(derive_taskmanager(config, at("1.20"))->network.size.bytes() == 1024 * 4096);
    config.set("taskmanager.memory.segment-size", "2048");
    require_rejected(config, at("1.20"), {"taskmanager.memory.segment-size", "below the minimum page size of 4096"});
    config.set("taskmanager.memory.segment-size", "4g");
    require_rejected(config, at("1.20"), {"taskmanager.memory.segment-size", "does not fit a 32-bit page size"});
  }
  SECTION("a negative number of buffers is rejected and named") {
    require_rejected({{"taskmanager.memory.process.size", "2g"}, {"taskmanager.network.numberOfBuffers", "-1"}},
                     at("1.20"), {"taskmanager.network.numberOfBuffers = -1 is negative"});
  }
  SECTION("network min, max or fraction each turns the buffer count off") {
    for (const char* key : {"taskmanager.memory.network.min", "taskmanager.memory.network.max",
                            "taskmanager.memory.network.fraction"}) {
      CAPTURE(key);
      FlinkConfig config{{"taskmanager.memory.process.size", "2g"}, {"taskmanager.network.numberOfBuffers", "1024"},
                         {key, std::string(key).ends_with("fraction") ? "0.1" : "64m"}};
      auto m = derive_taskmanager(config, at("1.20"));
      REQUIRE(m);
      CHECK(m->network.size.bytes() != 33554432);
    }
  }
}

TEST_CASE("CPU cores fall back to slots and are truncated to 8 decimals since 1.14", "[memmodel][taskmanager][cpu]") {
  FlinkConfig config{{"taskmanager.memory.process.size", "2g"}, {"taskmanager.numberOfTaskSlots", "3"}};
  CHECK(derive_taskmanager(config, at("1.20"))->cpu_cores == 3.0);
  config.set("taskmanager.cpu.cores", "1.123456789");
  CHECK(derive_taskmanager(config, at("1.20"))->cpu_cores == 1.12345678);
  CHECK(derive_taskmanager(config, at("1.13"))->cpu_cores == 1.123456789);
  // The gate is exactly 1.14: its last 1.13 patch release does not truncate, 1.14.0 does.
  CHECK(derive_taskmanager(config, at("1.14"))->cpu_cores == 1.12345678);
  CHECK(derive_taskmanager(config, at("1.13.6"))->cpu_cores == 1.123456789);
  DerivationContext k8s = at("1.20");
  k8s.kubernetes_cpu_fallback = true;
  FlinkConfig kube{{"taskmanager.memory.process.size", "2g"}, {"kubernetes.taskmanager.cpu.amount", "2.5"}};
  CHECK(derive_taskmanager(kube, k8s)->cpu_cores == 2.5);
}

TEST_CASE("External resources enter the -D properties in HashMap order", "[memmodel][taskmanager][cpu]") {
  FlinkConfig config{{"taskmanager.memory.process.size", "2g"}, {"external-resources", "gpu;fpga"},
                     {"external-resource.gpu.amount", "2"}, {"external-resource.fpga.amount", "1"}};
  auto m = derive_taskmanager(config, at("1.20"));
  REQUIRE(m);
  REQUIRE(m->external_resources.size() == 2);
  auto props = dynamic_properties(*m, at("1.20").version);
  std::map<std::string, std::string> map(props.begin(), props.end());
  // Java's String.hashCode puts "fpga" in bucket 4 and "gpu" in bucket 13 of a 16-bucket HashMap, so
  // Flink lists fpga first whatever order the configuration names them in.
  CHECK(map["external-resources"] == "\"fpga;gpu\"");
  FlinkConfig swapped = config;
  swapped.set("external-resources", "fpga;gpu");
  auto s = derive_taskmanager(swapped, at("1.20"));
  REQUIRE(s);
  auto swapped_props = dynamic_properties(*s, at("1.20").version);
  CHECK(std::map<std::string, std::string>(swapped_props.begin(), swapped_props.end())["external-resources"] ==
        "\"fpga;gpu\"");
  CHECK(map["external-resource.gpu.amount"] == "2");
  CHECK(props.size() == 15);
  config.set("external-resource.gpu.amount", "two");
  require_rejected(config, at("1.20"), {"external-resource.gpu.amount"});
}

TEST_CASE("External resources are read from Flink 1.13 on, and ignored by 1.12", "[memmodel][taskmanager][cpu]") {
  FlinkConfig config{{"taskmanager.memory.process.size", "2g"}, {"external-resources", "gpu"},
                     {"external-resource.gpu.amount", "2"}};
  auto m113 = derive_taskmanager(config, at("1.13"));
  REQUIRE(m113);
  REQUIRE(m113->external_resources.size() == 1);
  CHECK(m113->external_resources[0] == std::pair<std::string, int64_t>{"gpu", 2});
  auto m112 = derive_taskmanager(config, at("1.12"));
  REQUIRE(m112);
  CHECK(m112->external_resources.empty());
}

TEST_CASE("External resources: names de-duplicated in linear time, skipped by probes that ask to", "[memmodel][taskmanager][limits]") {
  FlinkConfig config{{"taskmanager.memory.process.size", "2g"}, {"external-resources", "gpu;fpga;gpu; fpga ;gpu"},
                     {"external-resource.gpu.amount", "2"}, {"external-resource.fpga.amount", "1"}};
  auto m = derive_taskmanager(config, at("1.20"));
  REQUIRE(m);
  CHECK(m->external_resources.size() == 2);

  // A duplicate after a kept name that moved: every name once, first occurrence first.
  FlinkConfig shuffled{{"taskmanager.memory.process.size", "2g"}, {"external-resources", "a;b;a;c;b;d;c;d"},
                       {"external-resource.a.amount", "1"}, {"external-resource.b.amount", "1"},
                       {"external-resource.c.amount", "1"}, {"external-resource.d.amount", "1"}};
  m = derive_taskmanager(shuffled, at("1.20"));
  REQUIRE(m);
  CHECK(m->external_resources.size() == 4);

  // Issue 12: 300,000 names (2.4 MB, a 3 MiB review) cost O(n) per derivation, not O(n^2).
  std::string names;
  for (int i = 0; i < 300'000; ++i) names += "r" + std::to_string(i % 150'000) + ";";
  config.set("external-resources", names);
  config.set("external-resource.r7.amount", "3");
  auto start = std::chrono::steady_clock::now();
  m = derive_taskmanager(config, at("1.20"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(15));  // ~200 ms
  REQUIRE(m);
  REQUIRE(m->external_resources.size() == 1);  // only r7 has an amount; duplicates counted once
  CHECK(m->external_resources[0] == std::pair<std::string, int64_t>{"r7", 3});

  auto probe = at("1.20");
  probe.external_resources = false;
  m = derive_taskmanager(config, probe);
  REQUIRE(m);
  CHECK(m->external_resources.empty());
  config.set("external-resource.r7.amount", "three");
  CHECK_FALSE(derive_taskmanager(config, at("1.20")));
  CHECK(derive_taskmanager(config, probe));  // the one probe that reads them is the caller's
}

TEST_CASE("An unreadable external-resource amount is quoted unless its key may hold a secret",
          "[memmodel][taskmanager][sensitive]") {
  FlinkConfig config{{"taskmanager.memory.process.size", "2g"}, {"external-resources", "gpu;api-key"},
                     {"external-resource.gpu.amount", "two"}};
  auto shown = derive_taskmanager(config, at("1.20"));
  REQUIRE_FALSE(shown);
  CHECK_THAT(shown.error().message, Catch::Contains("external-resource.gpu.amount = 'two'"));
  config.set("external-resource.gpu.amount", "2");
  config.set("external-resource.api-key.amount", "hunter2-do-not-log-me");
  auto hidden = derive_taskmanager(config, at("1.20"));
  REQUIRE_FALSE(hidden);
  CHECK_THAT(hidden.error().message, Catch::Contains("cannot read external-resource.api-key.amount as a whole number"));
  CHECK_THAT(hidden.error().message, !Catch::Contains("hunter2"));
}

TEST_CASE("A legacy page size that is not a power of two is rejected and named", "[memmodel][taskmanager][legacy]") {
  require_rejected({{"taskmanager.memory.process.size", "2g"}, {"taskmanager.network.numberOfBuffers", "1024"},
                    {"taskmanager.memory.segment-size", "5000"}},
                   at("1.20"), {"taskmanager.memory.segment-size = 5000 bytes is not a power of two"});
  require_rejected({{"taskmanager.memory.process.size", "2g"}, {"taskmanager.network.numberOfBuffers", "many"}},
                   at("1.20"), {"taskmanager.network.numberOfBuffers"});
  require_rejected({{"taskmanager.memory.process.size", "2g"}, {"taskmanager.network.numberOfBuffers", "1024"},
                    {"taskmanager.memory.segment-size", "32 kilo"}},
                   at("1.20"), {"taskmanager.memory.segment-size"});
}

TEST_CASE("CPU options that cannot be read, or give no positive finite number, are rejected and named",
          "[memmodel][taskmanager][cpu]") {
  const FlinkConfig base{{"taskmanager.memory.process.size", "2g"}};
  auto with = [&](std::initializer_list<std::pair<const char*, const char*>> entries) {
    FlinkConfig config = base;
    for (const auto& [key, value] : entries) config.set(key, value);
    return config;
  };
  require_rejected(with({{"taskmanager.cpu.cores", "two"}}), at("1.20"), {"taskmanager.cpu.cores", "'two'"});
  require_rejected(with({{"taskmanager.cpu.cores", "Infinity"}}), at("1.20"),
                   {"positive, finite number of CPU cores, but taskmanager.cpu.cores gives Infinity"});
  require_rejected(with({{"taskmanager.cpu.cores", "2"}, {"taskmanager.numberOfTaskSlots", "2 slots"}}), at("1.20"),
                   {"taskmanager.numberOfTaskSlots", "'2 slots'"});
  require_rejected(with({{"taskmanager.numberOfTaskSlots", "x"}}), at("1.20"), {"taskmanager.numberOfTaskSlots"});

  DerivationContext k8s = at("1.20");
  k8s.kubernetes_cpu_fallback = true;
  require_rejected(with({{"kubernetes.taskmanager.cpu.amount", "lots"}}), k8s, {"kubernetes.taskmanager.cpu.amount"});
  // Not positive: the fallback does not apply and the slots decide, as in Flink's KubernetesUtils.
  auto zero = derive_taskmanager(with({{"kubernetes.taskmanager.cpu.amount", "0"}, {"taskmanager.numberOfTaskSlots", "4"}}), k8s);
  REQUIRE(zero);
  CHECK(zero->cpu_cores == 4.0);
  // The fallback is read only where the deployment has one.
  CHECK(derive_taskmanager(with({{"kubernetes.taskmanager.cpu.amount", "lots"}}), at("1.20"))->cpu_cores == 1.0);
}

TEST_CASE("CPU cores below the 8th decimal truncate to zero since 1.14", "[memmodel][taskmanager][cpu]") {
  FlinkConfig config{{"taskmanager.memory.process.size", "2g"}, {"taskmanager.cpu.cores", "0.000000001"}};
  CHECK(derive_taskmanager(config, at("1.20"))->cpu_cores == 0.0);
  CHECK(derive_taskmanager(config, at("1.13"))->cpu_cores == 0.000000001);
}

TEST_CASE("External resources given as a config.yaml list are read like the semicolon-separated form",
          "[memmodel][taskmanager][cpu]") {
  auto parsed = parse_config_file(
      "taskmanager.memory.process.size: 2g\n"
      "external-resources: [gpu, '1', gpu]\n"
      "external-resource.gpu.amount: 2\n"
      "external-resource.1.amount: 3\n",
      ConfigFileFormat::kConfigYaml);
  REQUIRE(parsed);
  REQUIRE(parsed->config.find("external-resources")->kind == ValueKind::kList);
  auto m = derive_taskmanager(parsed->config, at("1.20"));
  REQUIRE(m);
  std::map<std::string, int64_t> resources(m->external_resources.begin(), m->external_resources.end());
  CHECK(resources == std::map<std::string, int64_t>{{"1", 3}, {"gpu", 2}});
  // A string that merely looks like a list is split at ';' only: one name, "[gpu, fpga]", with no amount.
  FlinkConfig text{{"taskmanager.memory.process.size", "2g"}, {"external-resources", "[gpu, fpga]"},
                   {"external-resource.gpu.amount", "2"}};
  CHECK(derive_taskmanager(text, at("1.20"))->external_resources.empty());
}
