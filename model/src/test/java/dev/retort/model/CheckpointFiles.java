package dev.retort.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Byte-level edits of a single-file checkpoint's model.safetensors, to build the checkpoints
 * other writers produce (an extra lm_head.weight, a foreign tensor, a missing one) without
 * going through our writer.
 */
final class CheckpointFiles {
  private CheckpointFiles() {}

  /** One tensor as stored: safetensors dtype string, shape and raw little-endian bytes. */
  record Raw(String dtype, long[] shape, byte[] bytes) {}

  /** Reads model.safetensors of {@code dir}, lets {@code edit} change the tensors, writes it back. */
  static void edit(Path dir, Consumer<Map<String, Raw>> edit) throws IOException {
    Path file = dir.resolve(Checkpoint.WEIGHTS);
    byte[] all = Files.readAllBytes(file);
    long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    JsonObject header = JsonParser.parseString(
        new String(all, 8, (int) n, StandardCharsets.UTF_8)).getAsJsonObject();
    int data = 8 + (int) n;
    Map<String, Raw> tensors = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> e : header.entrySet()) {
      if (e.getKey().equals("__metadata__")) {
        continue;
      }
      JsonObject info = e.getValue().getAsJsonObject();
      JsonArray shape = info.getAsJsonArray("shape");
      long[] s = new long[shape.size()];
      for (int i = 0; i < s.length; i++) {
        s[i] = shape.get(i).getAsLong();
      }
      JsonArray off = info.getAsJsonArray("data_offsets");
      tensors.put(e.getKey(), new Raw(info.get("dtype").getAsString(), s,
          Arrays.copyOfRange(all, data + off.get(0).getAsInt(), data + off.get(1).getAsInt())));
    }
    edit.accept(tensors);
    JsonObject out = new JsonObject();
    if (header.has("__metadata__")) {
      out.add("__metadata__", header.get("__metadata__"));
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (Map.Entry<String, Raw> e : tensors.entrySet()) {
      JsonObject info = new JsonObject();
      info.addProperty("dtype", e.getValue().dtype());
      JsonArray shape = new JsonArray();
      for (long d : e.getValue().shape()) {
        shape.add(d);
      }
      info.add("shape", shape);
      JsonArray off = new JsonArray();
      off.add(body.size());
      body.write(e.getValue().bytes());
      off.add(body.size());
      info.add("data_offsets", off);
      out.add(e.getKey(), info);
    }
    byte[] h = out.toString().getBytes(StandardCharsets.UTF_8);
    int pad = (8 - h.length % 8) % 8;
    byte[] headerBytes = Arrays.copyOf(h, h.length + pad);
    Arrays.fill(headerBytes, h.length, headerBytes.length, (byte) ' ');
    ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
        .putLong(headerBytes.length);
    ByteArrayOutputStream whole = new ByteArrayOutputStream();
    whole.write(len.array());
    whole.write(headerBytes);
    whole.write(body.toByteArray());
    Files.write(file, whole.toByteArray());
  }

  /** Adds tensor {@code name} holding a copy of tensor {@code from}. */
  static void addTensor(Path dir, String name, String from) throws IOException {
    edit(dir, t -> t.put(name, t.get(from)));
  }
}
