package dev.retort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.config.ConfigError;
import dev.retort.core.config.RetortConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainSettingsTest {
  @Test
  void bindsFromAnySectionWithInheritance() {
    RetortConfig c = RetortConfig.fromString("pipeline.student = ${train} { lr = 5e-4, model.hidden-size = 64 }\n"
        + "pipeline.teacher = ${train} { init-from = \"/ckpt/teacher\" }", "test.conf");
    TrainSettings student = TrainSettings.from(c, "pipeline.student");
    TrainSettings teacher = TrainSettings.from(c, "pipeline.teacher");
    TrainSettings train = TrainSettings.from(c);
    assertEquals(5e-4, student.lr());
    assertEquals(64, student.model().hiddenSize());
    assertEquals(train.epochs(), student.epochs());
    assertEquals(Path.of("/ckpt/teacher"), teacher.initFrom().orElseThrow());
    assertTrue(train.initFrom().isEmpty());
    assertNotEquals(train.weightsHash(), student.weightsHash());
    // Logging and checkpoint cadence do not change the weights' identity.
    assertEquals(train.weightsHash(), TrainSettings.defaults("log-every=3", "checkpoint-every=7", "threads=1").weightsHash());
  }

  /** A section binds over the defaults as a GRPO section does: it names only what it changes. */
  @Test
  void aSectionOfItsOwnStartsFromTheDefaults() {
    RetortConfig c = RetortConfig.fromString("train { epochs = 9 }\nsweep.small { lr = 5e-4 }\nsweep.typo { lrr = 1 }",
        "sweep.conf");
    TrainSettings small = TrainSettings.from(c, "sweep.small");
    TrainSettings shipped = TrainSettings.defaults();
    assertEquals(5e-4, small.lr());
    // The shipped defaults, not the file's train section: ${train} is how a section inherits that.
    assertEquals(shipped.epochs(), small.epochs());
    assertEquals(9, TrainSettings.from(c).epochs());
    assertEquals(shipped.toMap().keySet(), small.toMap().keySet());
    ConfigError typo = assertThrows(ConfigError.class, () -> TrainSettings.from(c, "sweep.typo"));
    assertEquals("sweep.typo.lrr", typo.key());
    assertTrue(typo.getMessage().contains("sweep.conf"), typo.getMessage());
  }

  @Test
  void errorsNameTheKey() {
    ConfigError unknown = assertThrows(ConfigError.class, () -> TrainSettings.defaults("learning-rate=1"));
    assertTrue(unknown.getMessage().contains("train.learning-rate"), unknown.getMessage());
    ConfigError bad = assertThrows(ConfigError.class, () -> TrainSettings.defaults("epochs=0"));
    assertTrue(bad.getMessage().contains("epochs") && bad.getMessage().contains("train"), bad.getMessage());
    ConfigError dev = assertThrows(ConfigError.class, () -> TrainSettings.defaults("devices=tpu"));
    assertTrue(dev.getMessage().contains("devices"), dev.getMessage());
    ConfigError ctx = assertThrows(ConfigError.class, () -> TrainSettings.defaults("seq-len=4096"));
    assertTrue(ctx.getMessage().contains("max-position-embeddings"), ctx.getMessage());
  }

  @Test
  void methodDefaultsToSftAndDoesNotChangeTheWeightsIdentity() {
    assertEquals(TrainSettings.Method.SFT, TrainSettings.defaults().method());
    TrainSettings grpo = TrainSettings.defaults("method=grpo");
    assertEquals(TrainSettings.Method.GRPO, grpo.method());
    // SFT checkpoints made before the key existed keep their identity (and stay resumable).
    assertEquals(TrainSettings.defaults().weightsHash(), grpo.weightsHash());
    ConfigError bad = assertThrows(ConfigError.class, () -> TrainSettings.defaults("method=ppo"));
    assertTrue(bad.getMessage().contains("train.method") && bad.getMessage().contains("[sft, grpo]"), bad.getMessage());
  }

  @Test
  void devicesParse() {
    assertEquals(List.of(0, 1), DeviceSpec.parse("gpu:0,1").gpus());
    assertEquals(3, DeviceSpec.parse("cpu:3").cpuReplicas());
    assertTrue(DeviceSpec.parse("auto").auto());
    assertThrows(IllegalArgumentException.class, () -> DeviceSpec.parse("gpu:0,0"));
  }
}
