package dev.retort.eval;

import com.typesafe.config.ConfigRenderOptions;
import dev.retort.core.config.RetortConfig;
import dev.retort.core.run.RunLayout;
import dev.retort.teacher.TeacherSettings;
import dev.retort.teacher.http.HttpTeacherPool;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A model resolved on the driver, small and serializable, so Spark tasks can open it on
 * executors: checkpoint paths are absolute, and the endpoint's HTTP settings (timeouts, retries)
 * travel as the rendered {@code teacher} section.
 *
 * @param checkpoint absolute checkpoint folder, or null for an endpoint
 * @param endpoint base URL, or null for a checkpoint
 * @param apiKeyEnv name of the variable with the endpoint's key (never the key), or null
 * @param teacherHocon the {@code teacher} section, for the HTTP client's timeouts and retries
 */
public record ModelRef(String name, String role, String checkpoint, String endpoint, String servedModel,
    String apiKeyEnv, String device, int batchSize, String teacherHocon) implements Serializable {

  /** Models opened in this JVM: a Spark executor loads a checkpoint once, whatever the number of tasks. */
  private static final Map<ModelRef, ModelUnderTest> OPEN = new ConcurrentHashMap<>();
  /** Models opened by this JVM so far (tests check that an executor loads a checkpoint once). */
  static final AtomicInteger OPENED = new AtomicInteger();

  /**
   * Resolves a configured model. A relative checkpoint path that does not exist is tried under
   * {@code <run>/models/}.
   *
   * @throws IllegalArgumentException when the checkpoint folder does not exist
   */
  public static ModelRef resolve(EvalSettings.ModelSpec spec, EvalSettings settings, RunLayout layout, RetortConfig config) {
    dev.retort.core.store.Location models = layout.models();
    String ckpt = null;
    if (spec.checkpoint().isPresent()) {
      Path p = Path.of(spec.checkpoint().get());
      if (!Files.isDirectory(p) && !p.isAbsolute() && isDirectory(models.resolve(spec.checkpoint().get()))) {
        // The run's own model, on any store: DJL loads local files, so a remote one is copied to the cache.
        p = dev.retort.core.store.Stores.localCopy(models.resolve(spec.checkpoint().get()));
      }
      if (!Files.isDirectory(p)) {
        throw new IllegalArgumentException("model '" + spec.name() + "': checkpoint folder not found: " + p.toAbsolutePath()
            + " (also looked in " + models + ")");
      }
      ckpt = p.toAbsolutePath().normalize().toString();
    }
    // As JSON under its key: a form RetortConfig.fromString parses back exactly.
    String teacher = config.raw().hasPath(TeacherSettings.SECTION)
        ? TeacherSettings.SECTION + " = " + config.raw().getValue(TeacherSettings.SECTION).render(ConfigRenderOptions.concise())
        : "";
    return new ModelRef(spec.name(), spec.roleOrDefault(), ckpt, spec.endpoint().orElse(null),
        spec.servedModel().orElse(spec.name()), spec.apiKeyEnv().orElse(null), settings.device(),
        settings.batchSize(), teacher);
  }

  private static boolean isDirectory(dev.retort.core.store.Location l) {
    try {
      return dev.retort.core.store.Store.of(l).isDirectory(l);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot check " + l + ": " + e.getMessage(), e);
    }
  }

  /** Computed without loading anything: a hash of the checkpoint's files, or the endpoint and name. */
  public String identity() {
    return checkpoint != null ? CheckpointModel.identityOf(Path.of(checkpoint)) : EndpointModel.identityOf(endpoint, servedModel);
  }

  /** Opens a new instance; the caller closes it. */
  public ModelUnderTest open() {
    OPENED.incrementAndGet();
    if (checkpoint != null) {
      return new CheckpointModel(Path.of(checkpoint), device, batchSize);
    }
    HttpTeacherPool.Builder b = HttpTeacherPool.builder();
    if (!teacherHocon.isEmpty()) {
      // Timeouts, retries and backoff as the pipeline configured them for its teacher pool.
      b.settings(TeacherSettings.from(RetortConfig.fromString(teacherHocon, "teacher section")));
    }
    // Never the teacher's key: an eval endpoint may be another server.
    b.setEndpoints(java.util.List.of(endpoint)).setModel(servedModel).optApiKeyFile(null)
        .optApiKeyEnv(apiKeyEnv)
        .optMaxInFlight(batchSize, batchSize);
    return new EndpointModel(b.build(), identity());
  }

  /** The instance shared by every task of this JVM (opened on first use). */
  public ModelUnderTest shared() {
    return OPEN.computeIfAbsent(this, ModelRef::open);
  }

  /** Closes the shared instance of this model, if this JVM opened one. */
  public void closeShared() {
    ModelUnderTest m = OPEN.remove(this);
    if (m != null) {
      m.close();
    }
  }
}
