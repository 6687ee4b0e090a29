package dev.retort.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.retort.model.Transformer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Single-node data parallelism as DJL's own trainer does it: one full replica per device, each
 * step's rows split across them, gradients summed onto the first device, the update done there
 * once, and the new weights copied back out. No NCCL, no sharding: a model must fit one device,
 * and the copies go through PyTorch's device-to-device path. With one device this is a no-op
 * wrapper around the model.
 */
public final class DataParallel implements AutoCloseable {
  private final List<Transformer> replicas = new ArrayList<>();
  private final List<Device> devices;

  /** @param master the model whose weights the optimizer updates; on {@code devices.get(0)} */
  public DataParallel(Transformer master, List<Device> devices, NDManager root) {
    this.devices = List.copyOf(devices);
    replicas.add(master);
    for (int i = 1; i < devices.size(); i++) {
      replicas.add(StudentModel.replica(master, devices.get(i), root));
    }
  }

  public int size() {
    return replicas.size();
  }

  public Transformer replica(int i) {
    return replicas.get(i);
  }

  public Transformer master() {
    return replicas.get(0);
  }

  public List<Device> devices() {
    return devices;
  }

  /** Contiguous near-equal chunks of {@code items}, one per replica (trailing ones may be empty). */
  public <T> List<List<T>> split(List<T> items) {
    List<List<T>> out = new ArrayList<>();
    int n = replicas.size();
    int per = (items.size() + n - 1) / n;
    for (int i = 0; i < n; i++) {
      int from = Math.min(items.size(), i * per);
      int to = Math.min(items.size(), from + per);
      out.add(items.subList(from, to));
    }
    return out;
  }

  /** Adds every replica's gradients into the master's and zeroes the replicas' gradients. */
  public void reduceGradients() {
    if (replicas.size() == 1) {
      return;
    }
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (NDManager tmp = master().manager().newSubManager()) {
      Map<String, NDArray> target = master().weights();
      for (int r = 1; r < replicas.size(); r++) {
        try (NDManager rt = replicas.get(r).manager().newSubManager()) {
          for (Map.Entry<String, NDArray> e : replicas.get(r).weights().entrySet()) {
            NDArray g = e.getValue().getGradient();
            g.attach(rt);
            NDArray onMaster = g.toDevice(devices.get(0), false);
            if (onMaster != g) {
              onMaster.attach(rt);
            }
            NDArray mg = target.get(e.getKey()).getGradient();
            mg.attach(tmp);
            mg.addi(onMaster);
            JniUtils.zeroGrad((PtNDArray) e.getValue());
          }
        }
      }
    } finally {
      JniUtils.setGradMode(grad);
    }
  }

  /** Copies the master's weights into every other replica (after the optimizer step or a restore). */
  public void broadcast() {
    if (replicas.size() == 1) {
      return;
    }
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      Map<String, NDArray> src = master().weights();
      for (int r = 1; r < replicas.size(); r++) {
        try (NDManager rt = replicas.get(r).manager().newSubManager()) {
          for (Map.Entry<String, NDArray> e : replicas.get(r).weights().entrySet()) {
            NDArray s = src.get(e.getKey());
            NDArray c = s.toDevice(devices.get(r), false);
            if (c != s) {
              c.attach(rt);
            }
            e.getValue().set(new NDIndex("..."), c);
          }
        }
      }
    } finally {
      JniUtils.setGradMode(grad);
    }
  }

  /** Frees the replicas (not the master, which its creator owns). */
  @Override
  public void close() {
    for (int r = 1; r < replicas.size(); r++) {
      replicas.get(r).manager().close();
    }
  }
}
