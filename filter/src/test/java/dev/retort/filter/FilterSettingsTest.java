package dev.retort.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.config.ConfigError;
import dev.retort.core.config.RetortConfig;
import dev.retort.core.data.Completions;
import org.junit.jupiter.api.Test;

class FilterSettingsTest {
  @Test
  void defaultsBind() {
    FilterSettings s = FilterSettings.from(RetortConfig.defaults());
    assertTrue(s.requireCorrect());
    assertEquals(10, s.decontamination().ngram());
    assertEquals(0, s.minhash().numPerm() % s.minhash().bands());
    assertEquals("{problem}\n" + Completions.MATH_SUFFIX, s.promptTemplate(), "must match teacher-gen's default template");
  }

  @Test
  void unknownKeysAndBadValuesNameTheKey() {
    ConfigError unknown = assertThrows(ConfigError.class, () -> FilterSettings.from(RetortConfig.defaults("filter.keep-per-promt=2")));
    assertTrue(unknown.getMessage().contains("filter.keep-per-promt"), unknown.getMessage());
    ConfigError nested = assertThrows(ConfigError.class, () -> FilterSettings.from(RetortConfig.defaults("filter.minhash.bands=7")));
    assertTrue(nested.getMessage().contains("bands"), nested.getMessage());
    ConfigError template = assertThrows(ConfigError.class, () -> FilterSettings.from(RetortConfig.defaults("filter.prompt-template=\"no slot\"")));
    assertTrue(template.getMessage().contains("prompt-template"), template.getMessage());
  }

  @Test
  void partitionsDefaultToOnePerCore() {
    FilterSettings auto = FilterSettings.from(RetortConfig.defaults());
    assertEquals(2, auto.partitionsFor(2));
    assertEquals(16, auto.partitionsFor(16));
    assertEquals(3, FilterSettings.from(RetortConfig.defaults("filter.partitions=3")).partitionsFor(16));
    ConfigError negative = assertThrows(ConfigError.class, () -> FilterSettings.from(RetortConfig.defaults("filter.partitions=-1")));
    assertTrue(negative.getMessage().contains("partitions"), negative.getMessage());
  }
}
