package dev.retort.train;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.sun.jna.Library;
import com.sun.jna.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PyTorch CPU threading for training. Two settings matter on small shared machines:
 *
 * <ul>
 *   <li>intra-op threads: the core count unless told otherwise (at::set_num_threads);
 *   <li>OpenMP's wait policy: libtorch's GNU OpenMP spins idle threads by default, which on an
 *       oversubscribed machine (other JVMs, Spark, tests) starves the thread another one waits for
 *       at a barrier ({@code OMP_WAIT_POLICY=PASSIVE} avoids it; figures in docs/performance.md).
 *       libgomp reads the variable when it is loaded, so it is set in the process
 *       environment (libc setenv through JNA) before the engine starts, unless already set.
 * </ul>
 */
public final class TorchThreads {
  private static final Logger LOG = LoggerFactory.getLogger(TorchThreads.class);
  private static boolean policySet;

  private TorchThreads() {}

  interface LibC extends Library {
    int setenv(String name, String value, int overwrite);
  }

  /** Sets OMP_WAIT_POLICY=PASSIVE for libtorch if the environment has no policy yet (before the engine loads). */
  public static synchronized void passiveWaitPolicy() {
    if (policySet || System.getenv("OMP_WAIT_POLICY") != null) {
      return;
    }
    policySet = true;
    try {
      LibC c = Native.load("c", LibC.class);
      c.setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      LOG.debug("cannot set OMP_WAIT_POLICY: {}", e.toString());
    }
  }

  /** Sets intra-op threads (0: all cores) and returns the number used. Starts the engine. */
  public static int configure(int threads) {
    int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    passiveWaitPolicy();
    if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(n));
    }
    Engine.getInstance();
    JniUtils.setNumThreads(n);
    return n;
  }
}
