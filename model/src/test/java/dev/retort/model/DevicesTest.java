package dev.retort.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.List;
import org.junit.jupiter.api.Test;

class DevicesTest {
  @Test
  void settingsParseToDevices() {
    assertEquals(Device.cpu(), Devices.parse("cpu", "k", null));
    assertEquals(Device.gpu(0), Devices.parse("GPU", "k", null));
    assertEquals(Device.gpu(3), Devices.parse("gpu:3", "k", null));
    assertEquals(Device.gpu(2), Devices.parse("cuda:2", "k", List.of("0")));
    assertEquals(Device.gpu(1), Devices.parse("auto", "k", List.of("1", "0")), "a Spark task: its first GPU");
    assertEquals(Device.cpu(), Devices.parse("auto", "k", List.of()), "a Spark task without a GPU: the CPU");
  }

  @Test
  void anythingElseNamesTheKey() {
    for (String bad : List.of("gpu:-1", "gpu:x", "tpu", "cpu:2")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Devices.parse(bad, "teacher.djl.device", null));
      assertTrue(e.getMessage().startsWith("teacher.djl.device must be"), e.getMessage());
    }
  }
}
