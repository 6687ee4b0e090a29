package dev.retort.pipelines.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * {@code retort serve}'s limits on the command line: listed in --help, a bad value is a usage error
 * naming it. It has no fault injection: the benchmarks that need a faulty teacher start their own.
 */
class ServeCommandTest {
  private static final String[] LIMITS = {"--max-n", "--max-tokens-cap", "--max-body-bytes", "--max-connections",
      "--idle-timeout-s", "--queue-capacity", "--slice-tokens"};

  @Test
  void helpListsEveryLimit() {
    CliRun r = CliRun.of("serve", "--help");
    assertEquals(0, r.code(), r.err());
    for (String option : LIMITS) {
      assertTrue(r.out().contains(option), option + " in " + r.out());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"--max-n", "--max-tokens-cap", "--max-body-bytes", "--max-connections", "--idle-timeout-s",
      "--queue-capacity", "--slice-tokens"})
  void aLimitBelowOneIsAUsageErrorNamingTheOption(String option) {
    CliRun r = CliRun.of("serve", "--mock", "--port", "0", option, "0");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("retort serve: " + option + " must be"), r.err());
  }

  @ParameterizedTest
  @ValueSource(strings = {"--error-rate", "--drop-rate", "--hang-rate", "--hang-ms", "--latency-ms"})
  void faultOptionsAreNotServeOptions(String option) {
    CliRun help = CliRun.of("serve", "--help");
    assertFalse(help.out().contains(option), option + " in " + help.out());
    CliRun r = CliRun.of("serve", "--mock", "--port", "0", option, "1");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains(option), "the error names the option: " + r.err());
  }
}
