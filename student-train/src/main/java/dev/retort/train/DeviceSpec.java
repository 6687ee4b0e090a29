package dev.retort.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The {@code devices} setting: which devices of this one node train. Data parallelism is the
 * only multi-device mode (each device holds a full replica and a slice of the batch; gradients are
 * summed on the first device), so a student must fit one device's memory. Multi-node training is
 * out of scope: see the TRL handoff.
 *
 * @param value the setting as written
 * @param gpus GPU ids asked for ("gpu:0,1"); empty otherwise
 * @param cpuReplicas replicas on the CPU ("cpu" is 1, "cpu:N" is N); 0 for auto and gpu
 * @param auto every visible GPU, else the CPU
 */
public record DeviceSpec(String value, List<Integer> gpus, int cpuReplicas, boolean auto) {

  public static DeviceSpec parse(String value) {
    String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
    if (v.equals("auto")) {
      return new DeviceSpec(v, List.of(), 0, true);
    }
    if (v.equals("cpu")) {
      return new DeviceSpec(v, List.of(), 1, false);
    }
    try {
      if (v.startsWith("cpu:")) {
        int n = Integer.parseInt(v.substring(4).trim());
        if (n < 1 || n > 64) {
          throw new NumberFormatException();
        }
        return new DeviceSpec(v, List.of(), n, false);
      }
      if (v.startsWith("gpu:") || v.startsWith("cuda:")) {
        List<Integer> ids = new ArrayList<>();
        for (String s : v.substring(v.indexOf(':') + 1).split(",")) {
          int id = Integer.parseInt(s.trim());
          if (id < 0 || ids.contains(id)) {
            throw new NumberFormatException();
          }
          ids.add(id);
        }
        return new DeviceSpec(v, List.copyOf(ids), 0, false);
      }
    } catch (NumberFormatException e) {
      // fall through to the error below
    }
    throw new IllegalArgumentException("devices must be \"auto\", \"cpu\", \"cpu:N\" or \"gpu:I,J,...\", got '" + value + "'");
  }

  /**
   * The devices to train on, first one holding the master weights and optimizer state.
   *
   * @throws IllegalArgumentException when a GPU asked for is not visible
   */
  public List<Device> resolve() {
    int visible = Engine.getInstance().getGpuCount();
    if (auto) {
      if (visible == 0) {
        return List.of(Device.cpu());
      }
      List<Device> all = new ArrayList<>();
      for (int i = 0; i < visible; i++) {
        all.add(Device.gpu(i));
      }
      return all;
    }
    if (cpuReplicas > 0) {
      return Collections.nCopies(cpuReplicas, Device.cpu());
    }
    List<Device> out = new ArrayList<>();
    for (int id : gpus) {
      if (id >= visible) {
        throw new IllegalArgumentException("devices: gpu " + id + " asked for, but " + visible
            + " GPU(s) are visible to PyTorch" + (visible == 0 ? " (CPU-only libtorch or no CUDA device; use devices=auto or cpu)" : ""));
      }
      out.add(Device.gpu(id));
    }
    return out;
  }
}
