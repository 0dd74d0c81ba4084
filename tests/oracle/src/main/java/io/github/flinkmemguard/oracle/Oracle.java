package io.github.flinkmemguard.oracle;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The differential test of flink-memguard's memory model against a Flink release's own classes.
 *
 * <pre>
 * java -cp harness.jar:FLINK_CLASSPATH io.github.flinkmemguard.oracle.Oracle answer &lt; requests.jsonl
 * java -cp harness.jar:FLINK_CLASSPATH io.github.flinkmemguard.oracle.Oracle compare \
 *     --memguard build/flink-memguard --version 2.3.0 --cases 2000 --seed 1
 * </pre>
 *
 * {@code answer} answers request lines as {@code flink-memguard memory --batch} does, with Flink's
 * code. {@code compare} generates configurations, asks Flink (in this JVM) and flink-memguard (one
 * {@code memory --batch} process for all of them) and fails on every disagreement, printing the
 * request and both answers.
 */
public final class Oracle {
  private static final int CHUNK = 20000;

  private Oracle() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0) usage("a mode is required");
    switch (args[0]) {
      case "answer" -> answer();
      case "compare" -> System.exit(compare(args));
      case "vectors" -> System.exit(vectors(args));
      default -> usage("unknown mode " + args[0]);
    }
  }

  private static void usage(String why) {
    System.err.println("oracle: " + why + "\nusage: Oracle answer < requests.jsonl\n"
        + "       Oracle compare --memguard BIN --version X.Y.Z [--cases N] [--seed S] [--show M] [--model-version V]\n"
        + "       Oracle vectors FILE LABEL   (the harness against recorded vectors whose flinkVersion is LABEL)");
    System.exit(2);
  }

  @SuppressWarnings("unchecked")
  private static void answer() throws Exception {
    FlinkMemory flink = new FlinkMemory();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    for (String line; (line = in.readLine()) != null; ) {
      if (line.isBlank()) continue;
      out.println(Json.write(flink.answer((Map<String, Object>) Json.parse(line))));
    }
    out.flush();
  }

  @SuppressWarnings("unchecked")
  private static int compare(String[] args) throws Exception {
    String memguard = null;
    String version = null;
    long cases = 1000;
    long seed = 1;
    int show = 10;
    String modelVersion = null;
    for (int i = 1; i < args.length; i++) {
      String value = i + 1 < args.length ? args[i + 1] : null;
      if (value == null) usage(args[i] + " needs a value");
      switch (args[i++]) {
        case "--memguard" -> memguard = value;
        case "--version" -> version = value;
        case "--cases" -> cases = Long.parseLong(value);
        case "--seed" -> seed = Long.parseLong(value);
        case "--show" -> show = Integer.parseInt(value);
        // Ask flink-memguard about another release than the classpath's: how many cases it takes
        // to tell neighbouring releases apart is how many `make test` needs (README: Fidelity).
        case "--model-version" -> modelVersion = value;
        default -> usage("unknown option " + args[i - 1]);
      }
    }
    if (memguard == null || version == null) usage("--memguard and --version are required");
    FlinkMemory flink = new FlinkMemory();
    if (flink.version() != null && !flink.version().equals(version)) {
      System.err.println("oracle: the classpath holds Flink " + flink.version() + ", not " + version);
      return 2;
    }
    Generator generator = new Generator(modelVersion != null ? modelVersion : version, seed);
    long firstDisagreement = -1;
    long accepted = 0;
    long disagreements = 0;
    long flinkNanos = 0;
    long memguardNanos = 0;
    // In chunks, so a long campaign holds a bounded number of lines; one flink-memguard process each.
    for (long done = 0; done < cases; ) {
      int chunk = (int) Math.min(CHUNK, cases - done);
      List<String> requests = new ArrayList<>(chunk);
      List<Map<String, Object>> expected = new ArrayList<>(chunk);
      long flinkStart = System.nanoTime();
      for (int i = 0; i < chunk; i++) {
        String line = Json.write(generator.next());
        requests.add(line);
        // Round-trip through the line, so Flink answers exactly what flink-memguard reads.
        expected.add(flink.answer((Map<String, Object>) Json.parse(line)));
      }
      flinkNanos += System.nanoTime() - flinkStart;
      long memguardStart = System.nanoTime();
      List<String> answers = runMemguard(memguard, requests);
      memguardNanos += System.nanoTime() - memguardStart;
      if (answers.size() != requests.size()) {
        System.err.println("oracle: flink-memguard answered " + answers.size() + " of " + requests.size() + " lines");
        return 1;
      }
      for (int i = 0; i < chunk; i++) {
        Map<String, Object> want = expected.get(i);
        Map<String, Object> got = (Map<String, Object>) Json.parse(answers.get(i));
        if (Boolean.TRUE.equals(want.get("ok"))) accepted++;
        String why = difference(want, got);
        if (why == null) continue;
        if (firstDisagreement < 0) firstDisagreement = done + i + 1;
        if (disagreements++ < show) {
          System.out.println("DISAGREEMENT (" + why + ")\n  request:     " + requests.get(i)
              + "\n  Flink:       " + Json.write(want) + "\n  memguard:    " + answers.get(i));
        }
      }
      done += chunk;
    }
    System.out.printf("Flink %s vs flink-memguard: %d configurations (seed %d; Flink accepted %d, rejected %d), "
            + "%d disagreements; Flink %.1f ms, flink-memguard %.1f ms%n",
        version, cases, seed, accepted, cases - accepted, disagreements, flinkNanos / 1e6, memguardNanos / 1e6);
    if (firstDisagreement > 0) System.out.println("first disagreement at configuration " + firstDisagreement);
    return disagreements == 0 ? 0 : 1;
  }

  /**
   * The harness checked against answers Flink gave once (shared/vectors): every vector line whose
   * flinkVersion is the label must get the recorded answer from the release on the classpath.
   */
  @SuppressWarnings("unchecked")
  private static int vectors(String[] args) throws Exception {
    if (args.length != 3) usage("vectors needs FILE and LABEL");
    FlinkMemory flink = new FlinkMemory();
    long total = 0;
    long wrong = 0;
    for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of(args[1]), StandardCharsets.UTF_8)) {
      if (line.isBlank()) continue;
      Map<String, Object> vector = (Map<String, Object>) Json.parse(line);
      if (!args[2].equals(vector.get("flinkVersion"))) continue;
      total++;
      Map<String, Object> expect = new java.util.LinkedHashMap<>((Map<String, Object>) vector.get("expect"));
      expect.put("id", vector.get("id"));
      Map<String, Object> got = flink.answer(vector);
      // The recorded answer plays flink-memguard's part: the same comparison, the other way round.
      String why = difference(got, expect);
      if (why != null && wrong++ < 10) {
        System.out.println("MISMATCH (" + why + ")\n  vector:  " + line + "\n  harness: " + Json.write(got));
      }
    }
    System.out.printf("Flink %s harness vs %d recorded vectors of %s: %d mismatches%n",
        flink.version(), total, args[2], wrong);
    return total > 0 && wrong == 0 ? 0 : 1;
  }

  private static List<String> runMemguard(String binary, List<String> requests) throws Exception {
    Process process = new ProcessBuilder(binary, "memory", "--batch")
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    Thread feeder = new Thread(() -> {
      try (Writer w = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8))) {
        for (String line : requests) w.write(line + "\n");
      } catch (IOException e) {
        System.err.println("oracle: writing to flink-memguard failed: " + e);
      }
    });
    feeder.start();
    List<String> answers = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) answers.add(line);
    }
    feeder.join();
    int rc = process.waitFor();
    if (rc != 0) throw new IllegalStateException("flink-memguard memory --batch exited with " + rc);
    return answers;
  }

  /** Null when the answers agree; else what differs. Rejection messages are each side's own. */
  @SuppressWarnings("unchecked")
  static String difference(Map<String, Object> flink, Map<String, Object> memguard) {
    if (!Objects.equals(flink.get("id"), memguard.get("id"))) return "answer ids differ";
    boolean ok = Boolean.TRUE.equals(flink.get("ok"));
    if (ok != Boolean.TRUE.equals(memguard.get("ok"))) return ok ? "Flink accepts, memguard rejects" : "Flink rejects, memguard accepts";
    if (!ok) return null;
    Map<String, Object> want = (Map<String, Object>) flink.get("components");
    Map<String, Object> got = (Map<String, Object>) memguard.get("components");
    if (got == null) return "memguard has no components";
    for (Map.Entry<String, Object> e : want.entrySet()) {
      Object g = got.get(e.getKey());
      if (g == null || new BigDecimal(e.getValue().toString()).compareTo(new BigDecimal(g.toString())) != 0) {
        return e.getKey() + " differs";
      }
    }
    if (flink.containsKey("jvmArgs") && !Objects.equals(flink.get("jvmArgs"), memguard.get("jvmArgs"))) {
      return "jvmArgs differ";
    }
    if (flink.containsKey("dynamicConfigs")) {
      Map<String, Object> gotDynamic = (Map<String, Object>) memguard.get("dynamicConfigs");
      if (gotDynamic == null || !new java.util.TreeMap<>(gotDynamic).equals(flink.get("dynamicConfigs"))) {
        return "dynamicConfigs differ";
      }
    }
    return null;
  }
}
