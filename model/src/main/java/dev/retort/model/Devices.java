package dev.retort.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.List;
import java.util.Locale;

/**
 * The one parser of a single-device setting (the in-process teacher, {@code serve}, eval's
 * checkpoints): {@code cpu}, {@code gpu} (GPU 0), {@code gpu:N} (or {@code cuda:N}) and
 * {@code auto}. Training's multi-device setting, which names several replicas, is the trainer's
 * {@code DeviceSpec}.
 */
public final class Devices {
  private Devices() {}

  /**
   * @param key the setting's name, for the error message
   * @param sparkGpus in a Spark task, the GPU addresses Spark assigned to it (auto takes the
   *     first, CPU when none: an executor may see GPUs that belong to other tasks); null outside
   *     Spark, where auto is GPU 0 when the engine sees a GPU, else the CPU
   * @throws IllegalArgumentException for anything else, naming the key
   */
  public static Device parse(String setting, String key, List<String> sparkGpus) {
    String s = setting == null ? "auto" : setting.trim().toLowerCase(Locale.ROOT);
    switch (s) {
      case "cpu":
        return Device.cpu();
      case "gpu":
        return Device.gpu(0);
      case "auto":
        if (sparkGpus == null) {
          return Engine.getInstance().getGpuCount() > 0 ? Device.gpu(0) : Device.cpu();
        }
        if (sparkGpus.isEmpty()) {
          return Device.cpu();
        }
        try {
          return Device.gpu(Integer.parseInt(sparkGpus.get(0).trim()));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("Spark GPU address is not a number: '" + sparkGpus.get(0) + "'");
        }
      default:
        break;
    }
    int colon = s.indexOf(':');
    if (colon > 0 && (s.startsWith("gpu:") || s.startsWith("cuda:"))) {
      try {
        int id = Integer.parseInt(s.substring(colon + 1));
        if (id >= 0) {
          return Device.gpu(id);
        }
      } catch (NumberFormatException e) {
        // the error below
      }
    }
    throw new IllegalArgumentException(key + " must be auto, cpu, gpu or gpu:N, got '" + setting + "'");
  }
}
