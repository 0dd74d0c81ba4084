package io.github.flinkmemguard.oracle;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Random request lines for one Flink release: TaskManager and JobManager configurations along every
 * derivation path (fine-grained, total Flink, total process, legacy heap keys, none at all), with
 * sizes in every unit spelling, fractions, min/max ranges, deprecated and removed keys of every
 * release (a key a release does not know must be ignored by both sides), and invalid values.
 */
final class Generator {
  private final Random random;
  private final String version;
  private long count;

  Generator(String version, long seed) {
    this.version = version;
    this.random = new Random(seed);
  }

  private boolean chance(double p) {
    return random.nextDouble() < p;
  }

  private <T> T pick(T[] options) {
    return options[random.nextInt(options.length)];
  }

  private static final String[] BAD_SIZES = {
    "abc", "-1m", "1.5g", "10 MiB", "1g b", "9999999999t", "100000000000000 tb", "m", " ", "0x10", "1e3",
    "\"1g\"", "12345678901234567890",
  };

  /** A size between lo and hi MiB, in one of the spellings Flink accepts, sometimes not MiB-aligned. */
  private String size(long loMb, long hiMb) {
    if (chance(0.03)) return pick(BAD_SIZES);
    long mb = loMb + (long) (random.nextDouble() * random.nextDouble() * (hiMb - loMb + 1));
    if (chance(0.05)) mb = loMb;
    if (chance(0.15)) {
      long bytes = (mb << 20) + random.nextInt(1 << 20);
      return chance(0.5) ? Long.toString(bytes) : bytes + pick(new String[] {"b", " bytes", "B"});
    }
    if (mb % 1024 == 0 && mb > 0 && chance(0.5)) {
      return (mb / 1024) + pick(new String[] {"g", "gb", " gibibytes", "G", " g"});
    }
    if (chance(0.1)) return (mb * 1024) + pick(new String[] {"k", "kb", " kibibytes", "K"});
    return mb + pick(new String[] {"m", "m", "m", "mb", " mebibytes", "M", " m", "MB"});
  }

  private static final String[] BAD_FRACTIONS = {"1", "1.0", "-0.1", "NaN", "x", "0.99999999", "1e-50", "2"};

  private String fraction() {
    if (chance(0.06)) return pick(BAD_FRACTIONS);
    if (chance(0.2)) return pick(new String[] {"0", "0.1", "0.2", "0.25", "0.4", "0.5", "0.05", " 0.3 ", "0.33333"});
    // Full-precision values too: each becomes a float, widened to double, whose Double.toString
    // (JDK <= 18 FloatingDecimal in Flink's JVMs, not always the shortest digits) feeds BigDecimal.
    if (chance(0.4)) return Double.toString(random.nextDouble() * 0.7);
    if (chance(0.2)) return Float.toString(random.nextFloat() * 0.7f);
    return Double.toString(Math.round(random.nextDouble() * 0.7 * 1000) / 1000.0);
  }

  private void maybe(Map<String, String> config, double p, String key, String value) {
    if (chance(p)) config.put(key, value);
  }

  private Map<String, String> taskManager() {
    Map<String, String> c = new LinkedHashMap<>();
    switch (random.nextInt(9)) {
      case 0 -> c.put("taskmanager.memory.process.size", size(256, 16384));
      case 1 -> c.put("taskmanager.memory.flink.size", size(128, 12288));
      case 2 -> {
        c.put("taskmanager.memory.task.heap.size", size(0, 4096));
        c.put(chance(0.8) ? "taskmanager.memory.managed.size" : "taskmanager.memory.size", size(0, 4096));
      }
      case 3 -> {
        c.put("taskmanager.memory.process.size", size(512, 16384));
        c.put("taskmanager.memory.task.heap.size", size(0, 4096));
      }
      case 4 -> {
        c.put("taskmanager.memory.flink.size", size(256, 8192));
        c.put("taskmanager.memory.task.heap.size", size(0, 2048));
        maybe(c, 0.6, "taskmanager.memory.managed.size", size(0, 2048));
      }
      case 5 -> {
        c.put("taskmanager.memory.process.size", size(512, 16384));
        c.put("taskmanager.memory.flink.size", size(256, 12288));
      }
      case 6 -> {
        if (chance(0.6)) c.put("taskmanager.heap.size", size(256, 8192));
        else c.put("taskmanager.heap.mb", Integer.toString(random.nextInt(8192) - (chance(0.05) ? 8192 : 0)));
        maybe(c, 0.2, "taskmanager.memory.process.size", size(512, 8192));
        maybe(c, 0.2, "taskmanager.memory.flink.size", size(256, 8192));
      }
      case 7 -> consistentTaskManager(c);
      default -> {
        // Nothing chosen: only whatever the extras below add (often rejected as unconfigured).
      }
    }
    double p = 0.12;
    maybe(c, p, "taskmanager.memory.managed.fraction", fraction());
    maybe(c, p, "taskmanager.memory.framework.heap.size", size(0, 512));
    maybe(c, p, "taskmanager.memory.framework.off-heap.size", size(0, 512));
    maybe(c, p, "taskmanager.memory.task.off-heap.size", size(0, 1024));
    maybe(c, 0.05, "taskmanager.memory.managed.size", size(0, 2048));
    maybe(c, 0.03, "taskmanager.memory.size", size(0, 2048));
    maybe(c, p, "taskmanager.memory.network.min", size(0, 512));
    maybe(c, p, "taskmanager.memory.network.max", size(0, 4096));
    maybe(c, p, "taskmanager.memory.network.fraction", fraction());
    maybe(c, 0.04, "taskmanager.network.memory.min", size(0, 512));
    maybe(c, 0.04, "taskmanager.network.memory.max", size(0, 4096));
    maybe(c, 0.04, "taskmanager.network.memory.fraction", fraction());
    maybe(c, 0.03, "taskmanager.memory.shuffle.min", size(0, 512));
    if (chance(0.06)) {
      c.put("taskmanager.network.numberOfBuffers", Integer.toString(chance(0.1) ? -1 : random.nextInt(16384)));
      maybe(c, 0.5, "taskmanager.memory.segment-size",
          pick(new String[] {"32kb", "4096", "16k", "64 kb", "3000", "1m", "2k", "x"}));
    }
    maybe(c, p, "taskmanager.memory.jvm-metaspace.size", size(16, 1024));
    maybe(c, p, "taskmanager.memory.jvm-overhead.min", size(0, 1024));
    maybe(c, p, "taskmanager.memory.jvm-overhead.max", size(0, 2048));
    maybe(c, p, "taskmanager.memory.jvm-overhead.fraction", fraction());
    maybe(c, 0.03, "taskmanager.heap.size", size(256, 4096));
    if (chance(0.2)) {
      // Many decimals: from 1.14 CPU values are cut to 8 decimal places.
      c.put("taskmanager.cpu.cores", chance(0.5) ? Double.toString(random.nextDouble() * 8)
          : pick(new String[] {"1", "2", "0.5", "1.25", "4.0", "0", "-1", "abc", "1.123456789", "1e2", "3", "1e-9"}));
    }
    maybe(c, 0.15, "taskmanager.numberOfTaskSlots",
        pick(new String[] {"1", "2", "4", "8", "16", "3", "0", "-1", "x", " 2"}));
    if (chance(0.08)) {
      c.put("external-resources", pick(new String[] {"gpu", "gpu;fpga", "none"}));
      c.put("external-resource.gpu.amount", pick(new String[] {"1", "2", "0"}));
      maybe(c, 0.5, "external-resource.fpga.amount", "1");
    }
    return c;
  }

  private static String mb(long mebibytes) {
    return mebibytes + "m";
  }

  /**
   * Totals that add up exactly, so the deep checks run: every component explicit plus a total Flink
   * size that equals their sum (network is then the rest, within its range), and sometimes a total
   * process size that leaves a JVM overhead inside its range.
   */
  private void consistentTaskManager(Map<String, String> c) {
    long frameworkHeap = 128, frameworkOffHeap = 128, taskHeap = 64 + random.nextInt(2048);
    long taskOffHeap = random.nextInt(4) == 0 ? random.nextInt(256) : 0;
    long managed = random.nextInt(2048), network = 64 + random.nextInt(512), metaspace = 256;
    long flink = frameworkHeap + frameworkOffHeap + taskHeap + taskOffHeap + managed + network;
    c.put("taskmanager.memory.task.heap.size", mb(taskHeap));
    c.put("taskmanager.memory.managed.size", mb(managed));
    if (taskOffHeap > 0) c.put("taskmanager.memory.task.off-heap.size", mb(taskOffHeap));
    c.put("taskmanager.memory.flink.size", mb(flink));
    if (chance(0.5)) {
      long overhead = 192 + random.nextInt(832);
      c.put("taskmanager.memory.process.size", mb(flink + metaspace + overhead + (chance(0.2) ? 1024 : 0)));
    }
  }

  private Map<String, String> jobManager() {
    Map<String, String> c = new LinkedHashMap<>();
    switch (random.nextInt(8)) {
      case 0 -> c.put("jobmanager.memory.process.size", size(256, 16384));
      case 1 -> c.put("jobmanager.memory.flink.size", size(64, 12288));
      case 2 -> c.put("jobmanager.memory.heap.size", size(16, 8192));
      case 3 -> {
        c.put("jobmanager.memory.flink.size", size(128, 8192));
        c.put("jobmanager.memory.heap.size", size(16, 4096));
      }
      case 4 -> {
        c.put("jobmanager.memory.process.size", size(512, 8192));
        c.put(chance(0.5) ? "jobmanager.memory.heap.size" : "jobmanager.memory.flink.size", size(64, 4096));
      }
      case 5 -> {
        if (chance(0.6)) c.put("jobmanager.heap.size", size(256, 8192));
        else c.put("jobmanager.heap.mb", Integer.toString(random.nextInt(8192) - (chance(0.05) ? 8192 : 0)));
        maybe(c, 0.2, "jobmanager.memory.process.size", size(512, 8192));
        maybe(c, 0.2, "jobmanager.memory.heap.size", size(128, 4096));
      }
      case 6 -> {
        // Heap, off-heap and total Flink that add up: 1.11.0/1.11.1 reject these (FLINK-18993).
        long heap = 64 + random.nextInt(4096), offHeap = random.nextInt(512);
        c.put("jobmanager.memory.heap.size", mb(heap));
        c.put("jobmanager.memory.off-heap.size", mb(offHeap));
        c.put("jobmanager.memory.flink.size", mb(heap + offHeap));
      }
      default -> { }
    }
    double p = 0.15;
    maybe(c, p, "jobmanager.memory.off-heap.size", size(0, 1024));
    maybe(c, p, "jobmanager.memory.jvm-metaspace.size", size(16, 1024));
    maybe(c, p, "jobmanager.memory.jvm-overhead.min", size(0, 1024));
    maybe(c, p, "jobmanager.memory.jvm-overhead.max", size(0, 2048));
    maybe(c, p, "jobmanager.memory.jvm-overhead.fraction", fraction());
    maybe(c, 0.1, "jobmanager.memory.enable-jvm-direct-memory-limit",
        pick(new String[] {"true", "false", "TRUE", "yes"}));
    maybe(c, 0.03, "jobmanager.heap.size", size(256, 4096));
    maybe(c, 0.08, "containerized.heap-cutoff-ratio", pick(new String[] {"0.25", "0.1", "0.5", "0", "1", "-0.1", "x"}));
    maybe(c, 0.08, "containerized.heap-cutoff-min", pick(new String[] {"600", "100", "0", "5000", "-1", "x"}));
    maybe(c, 0.03, "yarn.heap-cutoff-ratio", pick(new String[] {"0.3", "0.1"}));
    maybe(c, 0.03, "yarn.heap-cutoff-min", pick(new String[] {"300", "1000"}));
    return c;
  }

  /** The next request line as a map (id, flinkVersion, role, config, maybe legacyHeapMapsTo). */
  Map<String, Object> next() {
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("id", version + "-" + (count++));
    request.put("flinkVersion", version);
    boolean taskManager = chance(0.6);
    request.put("role", taskManager ? "taskmanager" : "jobmanager");
    if (chance(0.4)) request.put("legacyHeapMapsTo", "processTotal");
    request.put("config", taskManager ? taskManager() : jobManager());
    return request;
  }
}
