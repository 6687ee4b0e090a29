package dev.retort.train.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.config.ConfigError;
import dev.retort.core.config.RetortConfig;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GrpoSettingsTest {
  @Test
  void bindsAnySectionOnTopOfTheShippedDefaults() {
    RetortConfig c = RetortConfig.fromString("pipeline { rl { init-from = \"models/base\", group-size = 4, variant = dr-grpo } }", "t.conf");
    GrpoSettings s = GrpoSettings.from(c, "pipeline.rl");
    assertEquals(Path.of("models/base"), s.initFrom());
    assertEquals(4, s.groupSize());
    assertEquals(GrpoSettings.Variant.DR_GRPO, s.variant());
    // the rest comes from grpo-defaults.conf
    assertEquals(0.2, s.clipEps());
    assertEquals(Optional.empty(), s.budgetFlops());
    assertTrue(s.promptTemplate().contains(GrpoSettings.PROBLEM));
    assertTrue(s.promptTemplate().endsWith("within \\boxed{}."));
  }

  @Test
  void overridesAndOptionalBudget() {
    GrpoSettings s = GrpoSettings.defaults("init-from=/m", "budget-flops=2.5e12", "kl-coef=0.04", "updates-per-batch=2");
    assertEquals(Optional.of(2.5e12), s.budgetFlops());
    assertEquals(0.04, s.klCoef());
    assertEquals(2, s.updatesPerBatch());
    assertEquals("dr-grpo", GrpoSettings.defaults("init-from=/m", "variant=dr-grpo").toMap().get("variant"));
  }

  @Test
  void errorsNameTheKey() {
    ConfigError unknown = assertThrows(ConfigError.class,
        () -> GrpoSettings.from(RetortConfig.fromString("rl { init-from = x, grop-size = 4 }", "t.conf"), "rl"));
    assertEquals("rl.grop-size", unknown.key());
    ConfigError missing = assertThrows(ConfigError.class, () -> GrpoSettings.defaults());
    assertEquals("grpo.init-from", missing.key());
    ConfigError variant = assertThrows(ConfigError.class, () -> GrpoSettings.defaults("init-from=/m", "variant=ppo"));
    assertEquals("grpo.variant", variant.key());
    ConfigError group = assertThrows(ConfigError.class, () -> GrpoSettings.defaults("init-from=/m", "group-size=1"));
    assertTrue(group.getMessage().contains("group-size"), group.getMessage());
    ConfigError template = assertThrows(ConfigError.class, () -> GrpoSettings.defaults("init-from=/m", "prompt-template=\"no slot\""));
    assertTrue(template.getMessage().contains("prompt-template"), template.getMessage());
  }

  @Test
  void weightsHashIgnoresCadenceAndThreadsButNotHyperparameters() {
    GrpoSettings a = GrpoSettings.defaults("init-from=/m");
    assertEquals(a.weightsHash(), GrpoSettings.defaults("init-from=/m", "log-every=1", "threads=1", "checkpoint-every=3").weightsHash());
    assertTrue(!a.weightsHash().equals(GrpoSettings.defaults("init-from=/m", "lr=1e-5").weightsHash()));
  }
}
