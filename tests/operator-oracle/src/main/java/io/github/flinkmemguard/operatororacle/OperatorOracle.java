package io.github.flinkmemguard.operatororacle;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The Flink Kubernetes Operator as an oracle for FlinkDeployments (issue 19, part 3). Generated
 * FlinkDeployments go through the operator's own FlinkConfigBuilder.buildFrom and DefaultValidator
 * (the release on the classpath) and through `flink-memguard check --output json`; the memory options
 * of the two Flink configurations must agree, and whatever the operator refuses for a memory reason
 * flink-memguard must deny. Every call into the operator is reflective: its classes moved from
 * ...operator.crd to ...operator.api between releases, and the harness builds without any of them.
 *
 * <pre>OperatorOracle compare --memguard BIN --version 1.7.0 --work DIR --cases N --seed S --show M</pre>
 */
public final class OperatorOracle {

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new LinkedHashMap<>();
    if (args.length < 1 || !args[0].equals("compare")) usage();
    for (int i = 1; i + 1 < args.length; i += 2) options.put(args[i], args[i + 1]);
    String memguard = required(options, "--memguard");
    String version = required(options, "--version");
    Path work = Path.of(required(options, "--work"));
    int cases = Integer.parseInt(options.getOrDefault("--cases", "300"));
    long seed = Long.parseLong(options.getOrDefault("--seed", "1"));
    int show = Integer.parseInt(options.getOrDefault("--show", "10"));
    // Always exit: the operator's FlinkConfigManager starts a non-daemon thread for config updates,
    // so an exception ending main would otherwise leave the JVM (and the test) hanging.
    int status;
    try {
      status = new OperatorOracle(version).compare(memguard, work, cases, seed, show);
    } catch (Throwable t) {
      t.printStackTrace();
      status = 1;
    }
    System.exit(status);
  }

  private static void usage() {
    System.err.println("usage: OperatorOracle compare --memguard BIN --version V --work DIR [--cases N] [--seed S] [--show M]");
    System.exit(2);
  }

  private static String required(Map<String, String> options, String name) {
    String value = options.get(name);
    if (value == null) usage();
    return value;
  }

  // ---- the operator, reflectively ----

  private final String version;
  private final Object mapper;  // the operator's own Jackson ObjectMapper class
  private final Method readValue, writeValueAsString;
  private final Class<?> deploymentClass, specClass, configurationClass, memorySizeClass;
  private final Method buildFrom, cleanupTmpFiles, toMap, getSpec, validateDeployment, parseMemory, memoryBytes;
  private final Object validator;
  private final List<String> flinkVersions = new ArrayList<>();
  private final boolean hasMode;
  private final boolean parsesKubernetesQuantities;

  OperatorOracle(String version) throws Exception {
    this.version = version;
    String base = "org.apache.flink.kubernetes.operator.";
    String pkg = classExists(base + "api.FlinkDeployment") ? base + "api." : base + "crd.";
    deploymentClass = Class.forName(pkg + "FlinkDeployment");
    specClass = Class.forName(pkg + "spec.FlinkDeploymentSpec");
    Class<?> flinkVersion = Class.forName(pkg + "spec.FlinkVersion");
    for (Object constant : flinkVersion.getEnumConstants()) flinkVersions.add(((Enum<?>) constant).name());
    boolean mode;
    try {
      specClass.getDeclaredField("mode");
      mode = true;
    } catch (NoSuchFieldException e) {
      mode = false;
    }
    hasMode = mode;

    Class<?> mapperClass = Class.forName("com.fasterxml.jackson.databind.ObjectMapper");
    mapper = mapperClass.getConstructor().newInstance();
    readValue = mapperClass.getMethod("readValue", String.class, Class.class);
    writeValueAsString = mapperClass.getMethod("writeValueAsString", Object.class);

    configurationClass = Class.forName("org.apache.flink.configuration.Configuration");
    memorySizeClass = Class.forName("org.apache.flink.configuration.MemorySize");
    parseMemory = memorySizeClass.getMethod("parse", String.class);
    memoryBytes = memorySizeClass.getMethod("getBytes");
    toMap = configurationClass.getMethod("toMap");
    getSpec = deploymentClass.getMethod("getSpec");

    Class<?> builder = Class.forName(base + "config.FlinkConfigBuilder");
    buildFrom = builder.getDeclaredMethod("buildFrom", String.class, String.class, specClass, configurationClass);
    buildFrom.setAccessible(true);  // protected in 1.1, public later
    cleanupTmpFiles = builder.getDeclaredMethod("cleanupTmpFiles", configurationClass);
    cleanupTmpFiles.setAccessible(true);
    boolean quantities;
    try {
      builder.getMethod("parseResourceMemoryString", String.class);
      quantities = true;
    } catch (NoSuchMethodException e) {
      quantities = false;
    }
    parsesKubernetesQuantities = quantities;

    Class<?> configManager = Class.forName(base + "config.FlinkConfigManager");
    Object manager = configManager.getConstructor(configurationClass).newInstance(newConfiguration());
    Class<?> validatorClass = Class.forName(base + "validation.DefaultValidator");
    validator = validatorClass.getConstructor(configManager).newInstance(manager);
    validateDeployment = validatorClass.getMethod("validateDeployment", deploymentClass);
  }

  private static boolean classExists(String name) {
    try {
      Class.forName(name);
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  private Object newConfiguration() throws Exception {
    return configurationClass.getConstructor().newInstance();
  }

  private String json(Object value) throws Exception {
    return (String) writeValueAsString.invoke(mapper, value);
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> parseJson(String text) throws Exception {
    return (Map<String, Object>) readValue.invoke(mapper, text, Map.class);
  }

  private static Throwable root(Throwable t) {
    while ((t instanceof java.lang.reflect.InvocationTargetException || t.getCause() != null) && t.getCause() != null
        && t.getCause() != t) {
      t = t.getCause();
    }
    return t;
  }

  /** What the operator makes of one FlinkDeployment. */
  static final class OperatorAnswer {
    String buildError;        // FlinkConfigBuilder.buildFrom threw: the operator deploys nothing
    String validationError;   // DefaultValidator's message: the operator rejects the resource
    Map<String, String> memory = new TreeMap<>();
  }

  OperatorAnswer ask(Map<String, Object> deployment) throws Exception {
    OperatorAnswer answer = new OperatorAnswer();
    String text = json(deployment);
    Object validated = readValue.invoke(mapper, text, deploymentClass);
    try {
      Optional<?> error = (Optional<?>) validateDeployment.invoke(validator, validated);
      if (error.isPresent()) answer.validationError = String.valueOf(error.get());
    } catch (java.lang.reflect.InvocationTargetException e) {
      answer.validationError = "validator threw " + root(e);
    }
    // A fresh object: the validator may have touched the one it saw.
    Object built = readValue.invoke(mapper, text, deploymentClass);
    try {
      Object config = buildFrom.invoke(null, "default", name(deployment), getSpec.invoke(built), newConfiguration());
      @SuppressWarnings("unchecked")
      Map<String, String> all = (Map<String, String>) toMap.invoke(config);
      for (Map.Entry<String, String> e : all.entrySet()) {
        if (isMemoryKey(e.getKey())) answer.memory.put(e.getKey(), e.getValue());
      }
      cleanupTmpFiles.invoke(null, config);
    } catch (java.lang.reflect.InvocationTargetException e) {
      answer.buildError = String.valueOf(root(e));
    }
    return answer;
  }

  @SuppressWarnings("unchecked")
  private static String name(Map<String, Object> deployment) {
    return (String) ((Map<String, Object>) deployment.get("metadata")).get("name");
  }

  /** The same selection as flink-memguard's effectiveConfiguration (webhook/cli/report.cpp). */
  static boolean isMemoryKey(String key) {
    return key.contains(".memory.") || key.contains(".heap.") || key.endsWith(".heap.mb");
  }

  // ---- the generator ----

  private static final String[] FLINK_UNITS = {
    "", "b", "bytes", "k", "kb", "kibibytes", "m", "mb", "mebibytes", "g", "gb", "gibibytes", "M", "G", "MB", "Gb"
  };
  private static final String[] KUBERNETES_SUFFIXES = {"Ki", "Mi", "Gi", "K", "G", "k", "gib", "GiB", "mi", "KiB"};
  private static final String[] MEMORY_OPTIONS = {
    "taskmanager.memory.process.size", "jobmanager.memory.process.size", "taskmanager.memory.flink.size",
    "jobmanager.memory.flink.size", "taskmanager.memory.managed.fraction", "taskmanager.memory.jvm-overhead.fraction",
    "jobmanager.memory.heap.size", "taskmanager.memory.task.heap.size", "taskmanager.memory.managed.size",
    "taskmanager.heap.size", "jobmanager.heap.size", "taskmanager.heap.mb", "jobmanager.heap.mb",
    "kubernetes.taskmanager.memory.limit-factor", "kubernetes.jobmanager.memory.limit-factor",
    "taskmanager.memory.jvm-metaspace.size", "taskmanager.memory.network.fraction"
  };

  /** Memory text in a spelling this operator release accepts (and now and then one it cannot read). */
  String memoryText(Random r) {
    int choice = r.nextInt(20);
    if (choice == 0) {
      String[] invalid = {"abc", "0", "-1g", "1.5", "2 gigs", "1.5g", "", " "};
      return invalid[r.nextInt(invalid.length)];
    }
    long mib = 256L * (1 + r.nextInt(32));
    if (parsesKubernetesQuantities && choice <= 8) {
      String suffix = KUBERNETES_SUFFIXES[r.nextInt(KUBERNETES_SUFFIXES.length)];
      switch (suffix.toLowerCase(Locale.ROOT)) {
        case "ki": case "kib": case "k": return (mib * 1024) + suffix;
        case "gi": case "gib": case "g": return (r.nextBoolean() ? "1.5" : Long.toString(1 + r.nextInt(8))) + suffix;
        default: return mib + (r.nextBoolean() ? " " : "") + suffix;
      }
    }
    String unit = FLINK_UNITS[r.nextInt(FLINK_UNITS.length)];
    String space = r.nextInt(4) == 0 ? " " : "";
    switch (unit.toLowerCase(Locale.ROOT)) {
      case "": case "b": case "bytes": return (mib << 20) + space + unit;
      case "k": case "kb": case "kibibytes": return (mib << 10) + space + unit;
      case "g": case "gb": case "gibibytes": return (1 + r.nextInt(8)) + space + unit;
      default: return mib + space + unit;
    }
  }

  String optionValue(Random r, String key) {
    if (key.endsWith("limit-factor")) {
      String[] factors = {"1", "1.0", "1.5", "2", "0.5", "3.25", "abc"};
      return factors[r.nextInt(factors.length)];
    }
    if (key.endsWith("fraction")) {
      String[] fractions = {"0.1", "0.25", "0.4", "0.05", "1.5"};
      return fractions[r.nextInt(fractions.length)];
    }
    if (key.endsWith(".mb")) return Integer.toString(512 + r.nextInt(4096));
    String[] sizes = {"1024m", "2g", "1728m", "512mb", "4096 m", "256m", "3 gb", "1073741824", "8g", "64m"};
    return sizes[r.nextInt(sizes.length)];
  }

  Map<String, Object> resource(Random r) {
    Map<String, Object> resource = new LinkedHashMap<>();
    if (r.nextInt(12) != 0) resource.put("memory", memoryText(r));
    // Without cpu the operator's buildFrom throws (a null value), which tells nothing about memory.
    if (r.nextInt(10) != 0) resource.put("cpu", r.nextBoolean() ? 1 : 0.5);
    return resource;
  }

  Map<String, Object> podTemplate(Random r) {
    Map<String, Object> resources = new LinkedHashMap<>();
    Map<String, Object> requests = new LinkedHashMap<>();
    requests.put("memory", (1 + r.nextInt(4)) + "Gi");
    resources.put("requests", requests);
    if (r.nextBoolean()) {
      Map<String, Object> limits = new LinkedHashMap<>();
      limits.put("memory", (4 + r.nextInt(4)) + "Gi");
      resources.put("limits", limits);
    }
    Map<String, Object> container = new LinkedHashMap<>();
    container.put("name", "flink-main-container");
    container.put("resources", resources);
    Map<String, Object> podSpec = new LinkedHashMap<>();
    podSpec.put("containers", List.of(container));
    Map<String, Object> pod = new LinkedHashMap<>();
    pod.put("apiVersion", "v1");
    pod.put("kind", "Pod");
    pod.put("spec", podSpec);
    return pod;
  }

  Map<String, Object> generate(Random r, int index) {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("image", "flink:1.17");
    spec.put("serviceAccount", "flink");
    if (r.nextInt(15) != 0) spec.put("flinkVersion", flinkVersions.get(r.nextInt(flinkVersions.size())));
    Map<String, String> flinkConfiguration = new LinkedHashMap<>();
    int options = r.nextInt(5);
    for (int i = 0; i < options; i++) {
      String key = MEMORY_OPTIONS[r.nextInt(MEMORY_OPTIONS.length)];
      flinkConfiguration.put(key, optionValue(r, key));
    }
    if (r.nextBoolean()) flinkConfiguration.put("taskmanager.numberOfTaskSlots", Integer.toString(1 + r.nextInt(4)));
    if (!flinkConfiguration.isEmpty() || r.nextBoolean()) spec.put("flinkConfiguration", flinkConfiguration);
    if (r.nextInt(6) == 0) spec.put("podTemplate", podTemplate(r));
    Map<String, Object> jobManager = new LinkedHashMap<>();
    if (r.nextInt(10) != 0) jobManager.put("resource", resource(r));
    if (r.nextInt(5) == 0) jobManager.put("replicas", r.nextInt(4) == 0 ? 2 : 1);  // 2 needs HA: refused
    if (r.nextInt(6) == 0) jobManager.put("podTemplate", podTemplate(r));
    spec.put("jobManager", jobManager);
    Map<String, Object> taskManager = new LinkedHashMap<>();
    if (r.nextInt(10) != 0) taskManager.put("resource", resource(r));
    if (r.nextInt(6) == 0) taskManager.put("podTemplate", podTemplate(r));
    spec.put("taskManager", taskManager);
    if (hasMode && r.nextInt(4) == 0) spec.put("mode", r.nextBoolean() ? "standalone" : "native");
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("name", "case-" + index);
    metadata.put("namespace", "default");
    Map<String, Object> deployment = new LinkedHashMap<>();
    deployment.put("apiVersion", "flink.apache.org/v1beta1");
    deployment.put("kind", "FlinkDeployment");
    deployment.put("metadata", metadata);
    deployment.put("spec", spec);
    return deployment;
  }

  // ---- the comparison ----

  /** A memory-reason refusal: the operator cannot read, or refuses, a memory value. */
  static boolean isMemoryReason(String message) {
    String m = message.toLowerCase(Locale.ROOT);
    return m.contains("memory") || m.contains("heap") || m.contains("memorysize") || m.contains("limit-factor")
        || m.contains("could not parse value") || m.contains("numberformat");
  }

  private Long bytes(String text) {
    try {
      return (Long) memoryBytes.invoke(parseMemory.invoke(null, text));
    } catch (Exception e) {
      return null;
    }
  }

  private boolean sameValue(String key, String operator, String memguard) {
    if (operator.equals(memguard)) return true;
    if (key.endsWith("limit-factor") || key.endsWith("fraction")) {
      try {
        return Double.parseDouble(operator) == Double.parseDouble(memguard);
      } catch (NumberFormatException e) {
        return false;
      }
    }
    Long a = bytes(operator), b = bytes(memguard);
    return a != null && a.equals(b);
  }

  /** flink-memguard's judgement of each deployment, by name: one `check` per batch, within its manifest limits. */
  @SuppressWarnings("unchecked")
  private Map<String, Map<String, Object>> judge(String memguard, Path work, List<Map<String, Object>> deployments)
      throws Exception {
    Map<String, Map<String, Object>> byName = new LinkedHashMap<>();
    Files.createDirectories(work);
    Path manifests = work.resolve("operator-" + version + "-cases.json");
    for (int from = 0; from < deployments.size(); from += BATCH) {
      Map<String, Object> list = new LinkedHashMap<>();
      list.put("apiVersion", "v1");
      list.put("kind", "List");
      list.put("items", deployments.subList(from, Math.min(deployments.size(), from + BATCH)));
      Files.writeString(manifests, json(list), StandardCharsets.UTF_8);
      Process process = new ProcessBuilder(memguard, "check", "-f", manifests.toString(), "--output", "json")
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      byte[] out = process.getInputStream().readAllBytes();
      if (!process.waitFor(600, TimeUnit.SECONDS) || process.exitValue() > 1) {
        throw new IOException("flink-memguard check failed (exit " + process.exitValue() + ") on " + manifests);
      }
      Map<String, Object> report = parseJson(new String(out, StandardCharsets.UTF_8));
      for (Object o : (List<Object>) report.get("objects")) {
        Map<String, Object> judged = (Map<String, Object>) o;
        byName.put((String) judged.get("name"), judged);
      }
    }
    return byName;
  }

  private static final int BATCH = 2000;

  @SuppressWarnings("unchecked")
  int compare(String memguard, Path work, int cases, long seed, int show) throws Exception {
    Random random = new Random(seed);
    List<Map<String, Object>> deployments = new ArrayList<>();
    List<OperatorAnswer> answers = new ArrayList<>();
    for (int i = 0; i < cases; i++) {
      Map<String, Object> deployment = generate(random, i);
      deployments.add(deployment);
      answers.add(ask(deployment));
    }
    Map<String, Map<String, Object>> byName = judge(memguard, work, deployments);

    int disagreements = 0, operatorRefused = 0, stricter = 0;
    Map<String, Integer> stricterCodes = new TreeMap<>();
    Map<String, Integer> refusals = new TreeMap<>();
    for (int i = 0; i < cases; i++) {
      Map<String, Object> deployment = deployments.get(i);
      OperatorAnswer answer = answers.get(i);
      Map<String, Object> judged = byName.get(name(deployment));
      List<String> problems = new ArrayList<>();
      if (judged == null) {
        problems.add("flink-memguard did not report this object");
      } else {
        String decision = (String) judged.get("decision");
        boolean denied = "denied".equals(decision);
        String refusal = answer.buildError != null ? "FlinkConfigBuilder.buildFrom threw: " + answer.buildError
            : answer.validationError != null ? "DefaultValidator: " + answer.validationError : null;
        if (refusal != null) {
          operatorRefused++;
          refusals.merge(refusal.replaceAll("[0-9]+", "N").replaceAll("'[^']*'", "'…'"), 1, Integer::sum);
        }
        if (refusal != null && isMemoryReason(refusal) && !denied) {
          problems.add("the operator refuses it for a memory reason (" + refusal + ") but flink-memguard says " + decision);
        }
        if (answer.buildError == null) {
          Map<String, Object> effective = (Map<String, Object>) judged.get("effectiveConfiguration");
          if (effective == null) effective = Map.of();
          TreeMap<String, String> keys = new TreeMap<>(answer.memory);
          for (Map.Entry<String, Object> e : effective.entrySet()) keys.putIfAbsent(e.getKey(), null);
          for (String key : keys.keySet()) {
            String ours = effective.get(key) == null ? null : String.valueOf(effective.get(key));
            String theirs = answer.memory.get(key);
            if (theirs != null && ours != null && sameValue(key, theirs, ours)) continue;
            // A value Flink cannot read fails the process at start: denying it is the agreement.
            Long theirBytes = theirs == null ? null : bytes(theirs);
            boolean unreadable = theirs != null && (theirBytes == null || theirBytes <= 0)
                && !key.endsWith("limit-factor") && !key.endsWith("fraction") && !key.endsWith(".mb");
            if (unreadable && denied) continue;
            problems.add(key + ": operator '" + theirs + "', flink-memguard '" + ours + "'");
          }
        }
        if (refusal == null && denied) {
          stricter++;
          for (Object f : (List<Object>) judged.get("findings")) {
            Map<String, Object> finding = (Map<String, Object>) f;
            if ("deny".equals(finding.get("action"))) stricterCodes.merge((String) finding.get("code"), 1, Integer::sum);
          }
        }
      }
      if (!problems.isEmpty()) {
        disagreements++;
        if (disagreements <= show) {
          System.out.println("DISAGREEMENT on " + json(deployment.get("spec")));
          for (String p : problems) System.out.println("  " + p);
        }
      }
    }
    for (Map.Entry<String, Integer> e : refusals.entrySet()) {
      System.out.println("  refused " + e.getValue() + "x: " + e.getKey());
    }
    System.out.println("Flink Kubernetes Operator " + version + " vs flink-memguard: " + cases
        + " FlinkDeployments (seed " + seed + "; the operator refused " + operatorRefused + "), " + disagreements
        + " disagreements; flink-memguard alone denied " + stricter + " " + stricterCodes);
    return disagreements == 0 ? 0 : 1;
  }
}
