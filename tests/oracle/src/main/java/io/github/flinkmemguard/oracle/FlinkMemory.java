package io.github.flinkmemguard.oracle;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Answers one request line (the format of {@code flink-memguard memory --batch}) with the Flink
 * release on the classpath: its own TaskExecutorProcessUtils, JobManagerProcessUtils,
 * ProcessMemoryUtils and, for 1.10's JobManager, BootstrapTools. Everything goes through
 * reflection so that one source serves 1.10 to 2.x, whose signatures differ.
 */
final class FlinkMemory {
  /** A Flink release rejected the configuration (as opposed to the harness failing). */
  static final class Rejected extends Exception {
    Rejected(Throwable cause) {
      super(cause.getClass().getSimpleName() + ": " + cause.getMessage(), cause);
    }
  }

  private final Class<?> configurationClass;
  private final Class<?> taskExecutorUtils;
  private final Class<?> processMemoryUtils;  // null in 1.10
  private final Class<?> jobManagerUtils;  // null in 1.10
  private final Class<?> taskManagerOptions;
  private final Class<?> jobManagerOptions;
  private final String version;

  FlinkMemory() throws ReflectiveOperationException {
    configurationClass = Class.forName("org.apache.flink.configuration.Configuration");
    taskExecutorUtils = Class.forName("org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils");
    processMemoryUtils = optionalClass("org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils");
    jobManagerUtils = optionalClass("org.apache.flink.runtime.jobmanager.JobManagerProcessUtils");
    taskManagerOptions = Class.forName("org.apache.flink.configuration.TaskManagerOptions");
    jobManagerOptions = Class.forName("org.apache.flink.configuration.JobManagerOptions");
    Package p = taskExecutorUtils.getPackage();
    version = p.getImplementationVersion();
  }

  /** The release as its flink-runtime jar names itself, or null. */
  String version() {
    return version;
  }

  private static Class<?> optionalClass(String name) {
    try {
      return Class.forName(name);
    } catch (ClassNotFoundException e) {
      return null;
    }
  }

  private static Object invoke(Class<?> owner, String name, Object target, Object... args)
      throws ReflectiveOperationException, Rejected {
    Method m = find(owner, name, args.length);
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      // A rejection is an exception the release throws on purpose (IllegalConfigurationException,
      // IllegalArgumentException, ArithmeticException, NumberFormatException); a LinkageError means the
      // classpath is incomplete, which must fail the harness, never count as Flink's answer.
      if (cause instanceof RuntimeException) throw new Rejected(cause);
      throw e;
    }
  }

  private static Method find(Class<?> owner, String name, int arity) throws NoSuchMethodException {
    for (Method m : owner.getMethods()) {
      if (m.getName().equals(name) && m.getParameterCount() == arity) return m;
    }
    throw new NoSuchMethodException(owner.getName() + "." + name + "/" + arity);
  }

  private static boolean has(Class<?> owner, String name, int arity) {
    if (owner == null) return false;
    for (Method m : owner.getMethods()) {
      if (m.getName().equals(name) && m.getParameterCount() == arity) return true;
    }
    return false;
  }

  private static Object field(Class<?> owner, String name) throws ReflectiveOperationException {
    return owner.getField(name).get(null);
  }

  private Object configuration(Map<String, Object> entries) throws ReflectiveOperationException, Rejected {
    Object conf = configurationClass.getConstructor().newInstance();
    Method set = configurationClass.getMethod("setString", String.class, String.class);
    for (Map.Entry<String, Object> e : entries.entrySet()) {
      set.invoke(conf, e.getKey(), String.valueOf(e.getValue()));
    }
    return conf;
  }

  private static long bytes(Object memorySize) throws ReflectiveOperationException {
    return (Long) memorySize.getClass().getMethod("getBytes").invoke(memorySize);
  }

  private static long bytesOf(Object spec, String getter) throws ReflectiveOperationException {
    return bytes(call(spec, getter));
  }

  private static Object call(Object target, String getter) throws ReflectiveOperationException {
    Method m = target.getClass().getMethod(getter);
    m.setAccessible(true);
    return m.invoke(target);
  }

  /**
   * A TaskManager component: 1.10's spec has its own getter; from 1.11 the Flink-side components
   * live in the spec's TaskExecutorFlinkMemory (getFrameworkHeap, getNetwork, ...).
   */
  private static long component(Object spec, String specGetter, String flinkMemoryGetter)
      throws ReflectiveOperationException {
    if (has(spec.getClass(), specGetter, 0)) return bytesOf(spec, specGetter);
    return bytesOf(call(spec, "getFlinkMemory"), flinkMemoryGetter);
  }

  /** Flink's "-D k=v -D k2=v2" string as a map (the caller compares it as a set, like the vectors). */
  static Map<String, String> dynamicConfigs(String text) {
    Map<String, String> out = new TreeMap<>();
    for (String part : (" " + text.trim()).split(" -D ")) {
      if (part.isBlank()) continue;
      int eq = part.indexOf('=');
      out.put(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
    }
    return out;
  }

  /** The answer line's members for one request: ok, components, jvmArgs, dynamicConfigs. */
  @SuppressWarnings("unchecked")
  Map<String, Object> answer(Map<String, Object> request) throws ReflectiveOperationException {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", request.get("id"));
    Map<String, Object> config = (Map<String, Object>) request.getOrDefault("config", Map.of());
    boolean processTotal = "processTotal".equals(request.get("legacyHeapMapsTo"));
    try {
      Object conf = configuration(config);
      if ("taskmanager".equals(request.get("role"))) {
        taskManager(conf, processTotal, out);
      } else if (jobManagerUtils != null) {
        jobManager(conf, processTotal, out);
      } else {
        jobManager110(conf, processTotal, out);
      }
    } catch (Rejected e) {
      out.put("ok", false);
      out.put("error", e.getMessage());
      out.remove("components");
      out.remove("jvmArgs");
      out.remove("dynamicConfigs");
    }
    return out;
  }

  private void taskManager(Object conf, boolean processTotal, Map<String, Object> out)
      throws ReflectiveOperationException, Rejected {
    if (has(taskExecutorUtils, "getConfigurationMapLegacyTaskManagerHeapSizeToConfigOption", 2)) {
      // BashJavaUtils (start scripts) maps the legacy heap to total Flink memory; the active
      // resource managers and the client's cluster specification map it to total process memory.
      Object target = field(taskManagerOptions, processTotal ? "TOTAL_PROCESS_MEMORY" : "TOTAL_FLINK_MEMORY");
      conf = invoke(taskExecutorUtils, "getConfigurationMapLegacyTaskManagerHeapSizeToConfigOption", null, conf, target);
    }
    Object spec = invoke(taskExecutorUtils, "processSpecFromConfig", null, conf);
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("frameworkHeap", component(spec, "getFrameworkHeapSize", "getFrameworkHeap"));
    c.put("taskHeap", component(spec, "getTaskHeapSize", "getTaskHeap"));
    c.put("frameworkOffHeap", component(spec, "getFrameworkOffHeapMemorySize", "getFrameworkOffHeap"));
    c.put("taskOffHeap", component(spec, "getTaskOffHeapSize", "getTaskOffHeap"));
    c.put("network", component(spec, "getNetworkMemSize", "getNetwork"));
    c.put("managed", component(spec, "getManagedMemorySize", "getManaged"));
    c.put("jvmHeap", bytesOf(spec, "getJvmHeapMemorySize"));
    c.put("jvmDirect", bytesOf(spec, "getJvmDirectMemorySize"));
    c.put("flinkTotal", bytesOf(spec, "getTotalFlinkMemorySize"));
    c.put("jvmMetaspace", bytesOf(spec, "getJvmMetaspaceSize"));
    c.put("jvmOverhead", bytesOf(spec, "getJvmOverheadSize"));
    c.put("processTotal", bytesOf(spec, "getTotalProcessMemorySize"));
    Object cpu = call(spec, "getCpuCores");
    BigDecimal cores = (BigDecimal) call(cpu, "getValue");
    c.put("cpuCores", new Json.Number(Double.toString(cores.doubleValue())));
    if (has(spec.getClass(), "getNumSlots", 0)) {
      c.put("numSlots", call(spec, "getNumSlots"));
    } else {
      // Before 1.13 the spec holds no slots, but the TaskManager (TaskManagerServicesConfiguration)
      // and the resource manager read the option at start-up with Flink's own Configuration:
      // an unreadable value fails the process, so it is Flink's answer too.
      Object slots = field(taskManagerOptions, "NUM_TASK_SLOTS");
      Method getInteger = configurationClass.getMethod("getInteger", Class.forName("org.apache.flink.configuration.ConfigOption"));
      try {
        c.put("numSlots", getInteger.invoke(conf, slots));
      } catch (InvocationTargetException e) {
        if (e.getCause() instanceof RuntimeException r) throw new Rejected(r);
        throw e;
      }
    }
    String jvmArgs = processMemoryUtils != null
        ? (String) invoke(processMemoryUtils, "generateJvmParametersStr", null, spec)
        : (String) invoke(taskExecutorUtils, "generateJvmParametersStr", null, spec);
    String dynamic = (String) invoke(taskExecutorUtils, "generateDynamicConfigsStr", null, spec);
    out.put("ok", true);
    out.put("components", c);
    out.put("jvmArgs", jvmArgs);
    out.put("dynamicConfigs", dynamicConfigs(dynamic));
  }

  private void jobManager(Object conf, boolean processTotal, Map<String, Object> out)
      throws ReflectiveOperationException, Rejected {
    Object spec;
    if (has(jobManagerUtils, "processSpecFromConfigWithNewOptionToInterpretLegacyHeap", 2)) {
      // jobmanager.sh maps the legacy heap to the JVM heap; the client's cluster specification
      // (YARN, native Kubernetes) to total process memory.
      Object target = field(jobManagerOptions, processTotal ? "TOTAL_PROCESS_MEMORY" : "JVM_HEAP_MEMORY");
      spec = invoke(jobManagerUtils, "processSpecFromConfigWithNewOptionToInterpretLegacyHeap", null, conf, target);
    } else {
      spec = invoke(jobManagerUtils, "processSpecFromConfig", null, conf);
    }
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("jvmHeap", bytesOf(spec, "getJvmHeapMemorySize"));
    c.put("offHeap", bytesOf(spec, "getJvmDirectMemorySize"));
    c.put("jvmDirect", bytesOf(spec, "getJvmDirectMemorySize"));
    c.put("flinkTotal", bytesOf(spec, "getTotalFlinkMemorySize"));
    c.put("jvmMetaspace", bytesOf(spec, "getJvmMetaspaceSize"));
    c.put("jvmOverhead", bytesOf(spec, "getJvmOverheadSize"));
    c.put("processTotal", bytesOf(spec, "getTotalProcessMemorySize"));
    String jvmArgs = (String) invoke(jobManagerUtils, "generateJvmParametersStr", null, spec, conf);
    // 1.11's BashJavaUtils prints only the JVM flags; the -D string arrived in 1.12.
    Map<String, String> dynamic = has(jobManagerUtils, "generateDynamicConfigsStr", 1)
        ? dynamicConfigs((String) invoke(jobManagerUtils, "generateDynamicConfigsStr", null, spec))
        : new TreeMap<>();
    out.put("ok", true);
    out.put("components", c);
    out.put("jvmArgs", jvmArgs);
    out.put("dynamicConfigs", dynamic);
  }

  /**
   * Flink 1.10's JobManager predates FLIP-116: jobmanager.heap.size (or .mb) is the JVM heap for the
   * start scripts, or the container for YARN/Kubernetes, which BootstrapTools.calculateHeapSize
   * shrinks by the containerized cut-off. Only the heap (and acceptance) is Flink's to answer.
   */
  private void jobManager110(Object conf, boolean processTotal, Map<String, Object> out)
      throws ReflectiveOperationException, Rejected {
    Class<?> utils = Class.forName("org.apache.flink.configuration.ConfigurationUtils");
    Object heap = invoke(utils, "getJobManagerHeapMemory", null, conf);
    long mebibytes = bytes(heap) >> 20;
    long heapBytes;
    Map<String, Object> c = new LinkedHashMap<>();
    if (processTotal) {
      Class<?> tools = Class.forName("org.apache.flink.runtime.clusterframework.BootstrapTools");
      int heapMb = (Integer) invoke(tools, "calculateHeapSize", null, (int) mebibytes, conf);
      heapBytes = (long) heapMb << 20;
      c.put("jvmHeap", heapBytes);
      c.put("processTotal", mebibytes << 20);
    } else {
      heapBytes = mebibytes << 20;
      c.put("jvmHeap", heapBytes);
    }
    out.put("ok", true);
    out.put("components", c);
  }
}
