package dev.retort.teacher;

import ai.djl.Device;
import dev.retort.core.store.Location;
import dev.retort.core.store.Stores;
import dev.retort.teacher.djl.DjlBackend;
import dev.retort.teacher.djl.LocalTeacher;
import dev.retort.teacher.http.HttpTeacherPool;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds teacher clients from the {@code teacher} section, and keeps one per executor JVM: every
 * Spark task of an executor shares the same connection pool (so the per-executor in-flight bound
 * holds across tasks) or the same loaded model (so tasks' requests share batches and the weights
 * are loaded once). Clients are closed at JVM exit or by {@link #closeAll()}.
 */
public final class TeacherClients {
  private static final Logger LOG = LoggerFactory.getLogger(TeacherClients.class);
  private static final Map<String, TeacherClient> SHARED = new ConcurrentHashMap<>();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(TeacherClients::closeAll, "retort-teacher-close"));
  }

  private TeacherClients() {}

  /**
   * A new client; the caller closes it.
   *
   * @param gpuAddresses the GPUs Spark gave this task (for teacher.djl.device = auto); may be empty
   */
  public static TeacherClient create(TeacherSettings s, List<String> gpuAddresses) {
    if (s.backend() == TeacherSettings.Backend.HTTP) {
      return HttpTeacherPool.from(s);
    }
    Device device = DjlBackend.device(s.djl().device(), gpuAddresses);
    // A checkpoint on a shared store (hdfs://, s3a://) is copied to this JVM's local cache first.
    Location checkpoint = s.djl().checkpoint().orElseThrow();
    LOG.info("loading teacher checkpoint {} on {}", checkpoint, device);
    DjlBackend backend = DjlBackend.load(Stores.privateCopy(checkpoint), device);
    return new LocalTeacher(backend, s.model(), s.djl().maxBatch(), s.djl().batchWait());
  }

  /** The JVM's shared client for these settings (and device), created on first use. */
  public static TeacherClient shared(TeacherSettings s, List<String> gpuAddresses) {
    String key = s.toString() + (s.backend() == TeacherSettings.Backend.DJL
        ? "@" + DjlBackend.device(s.djl().device(), gpuAddresses) : "");
    return SHARED.computeIfAbsent(key, k -> create(s, gpuAddresses));
  }

  /** Closes every shared client (local-mode jobs call this at the end; executors at exit). */
  public static void closeAll() {
    List<TeacherClient> all = new ArrayList<>(SHARED.values());
    SHARED.clear();
    for (TeacherClient c : all) {
      try {
        c.close();
      } catch (RuntimeException e) {
        LOG.warn("closing teacher client failed: {}", e.toString());
      }
    }
  }
}
