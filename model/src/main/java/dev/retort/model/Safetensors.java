package dev.retort.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reader and writer of the safetensors format: an 8-byte little-endian header length, a JSON
 * header ({@code name -> {dtype, shape, data_offsets}} plus {@code __metadata__}), then raw
 * little-endian data.
 *
 * <p>Our own rather than DJL's because DJL reads a whole file into one byte[] (2 GB limit) and
 * aborts on bf16. Here each tensor is read on its own and widened to fp32 in Java, in blocks of
 * rows of at most {@link #chunkBytes} (16 MiB), so files and even single tensors over 2 GB work.
 */
public final class Safetensors {
  /**
   * Largest fp32 buffer handled at once; a tensor above it is read or written in row blocks, so
   * reading or writing a checkpoint needs at most this much memory besides the tensors.
   */
  static long chunkBytes = 1L << 24; // not final: tests lower it to exercise the chunked path

  private Safetensors() {}

  /** Header entry of one tensor; offsets are relative to the start of the data section. */
  public record TensorInfo(String name, String dtype, long[] shape, long begin, long end) {
    public long numel() {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      return n;
    }
  }

  /** Bytes per element of a safetensors dtype string, or -1 if we cannot read it. */
  static int elementSize(String dtype) {
    switch (dtype) {
      case "F32":
        return 4;
      case "F16":
      case "BF16":
        return 2;
      default:
        return -1;
    }
  }

  /** An open file; tensors are read one at a time. */
  public static final class Reader implements Closeable {
    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private ByteBuffer floatBuf;
    private ByteBuffer rawBuf;

    private Reader(Path path) throws IOException {
      this.path = path;
      this.channel = FileChannel.open(path, StandardOpenOption.READ);
      try {
        long size = channel.size();
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(len, 0);
        long headerLen = len.flip().getLong();
        if (headerLen <= 0 || headerLen > 100_000_000L || 8 + headerLen > size) {
          throw new IOException(path + ": not a safetensors file (header length " + headerLen + ")");
        }
        ByteBuffer header = ByteBuffer.allocate((int) headerLen);
        readFully(header, 8);
        dataStart = 8 + headerLen;
        JsonObject root = JsonParser.parseString(
            new String(header.array(), StandardCharsets.UTF_8)).getAsJsonObject();
        for (Map.Entry<String, JsonElement> e : root.entrySet()) {
          if ("__metadata__".equals(e.getKey())) {
            e.getValue().getAsJsonObject().entrySet()
                .forEach(m -> metadata.put(m.getKey(), m.getValue().getAsString()));
            continue;
          }
          JsonObject t = e.getValue().getAsJsonObject();
          JsonArray shapeJson = t.getAsJsonArray("shape");
          long[] shape = new long[shapeJson.size()];
          for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeJson.get(i).getAsLong();
          }
          JsonArray off = t.getAsJsonArray("data_offsets");
          TensorInfo info = new TensorInfo(e.getKey(), t.get("dtype").getAsString(), shape,
              off.get(0).getAsLong(), off.get(1).getAsLong());
          int es = elementSize(info.dtype());
          if (es > 0 && info.end() - info.begin() != info.numel() * es) {
            throw new IOException(path + ": tensor " + info.name() + " has "
                + (info.end() - info.begin()) + " bytes, shape " + Arrays.toString(shape)
                + " of " + info.dtype() + " needs " + info.numel() * es);
          }
          if (info.begin() < 0 || dataStart + info.end() > size) {
            throw new IOException(path + ": tensor " + info.name() + " lies past the end of the file");
          }
          tensors.put(info.name(), info);
        }
      } catch (IOException | RuntimeException e) {
        channel.close();
        if (e instanceof IOException) {
          throw (IOException) e;
        }
        throw new IOException(path + ": malformed safetensors header: " + e.getMessage(), e);
      }
    }

    public static Reader open(Path path) throws IOException {
      return new Reader(path);
    }

    public Map<String, TensorInfo> tensors() {
      return Collections.unmodifiableMap(tensors);
    }

    public Map<String, String> metadata() {
      return Collections.unmodifiableMap(metadata);
    }

    public Path path() {
      return path;
    }

    private void readFully(ByteBuffer dst, long position) throws IOException {
      while (dst.hasRemaining()) {
        int n = channel.read(dst, position);
        if (n < 0) {
          throw new IOException(path + ": unexpected end of file");
        }
        position += n;
      }
    }

    private TensorInfo info(String name) {
      TensorInfo info = tensors.get(name);
      if (info == null) {
        throw new IllegalArgumentException(path + ": missing tensor " + name);
      }
      if (elementSize(info.dtype()) < 0) {
        throw new IllegalArgumentException(path + ": tensor " + name + " has dtype "
            + info.dtype() + "; only F32, F16 and BF16 are supported");
      }
      return info;
    }

    /**
     * Reads a tensor as fp32 into {@code manager} (widening F16/BF16). A tensor over
     * {@link #chunkBytes} is read a block of rows at a time into an array allocated once.
     */
    public NDArray read(String name, NDManager manager) throws IOException {
      TensorInfo info = info(name);
      long[] shape = info.shape();
      long n = info.numel();
      if (n * 4 <= chunkBytes || shape.length == 0 || shape[0] <= 1) {
        return toArray(manager, fill(info, 0, n), new Shape(shape));
      }
      long rowElems = n / shape[0];
      long rowsPerChunk = Math.max(1, chunkBytes / (rowElems * 4));
      NDArray whole = manager.create(new Shape(shape), DataType.FLOAT32); // uninitialized
      try {
        for (long r = 0; r < shape[0]; r += rowsPerChunk) {
          long rows = Math.min(rowsPerChunk, shape[0] - r);
          long[] partShape = shape.clone();
          partShape[0] = rows;
          try (NDArray part = toArray(manager, fill(info, r * rowElems, rows * rowElems), new Shape(partShape))) {
            whole.set(new NDIndex().addSliceDim(r, r + rows), part);
          }
        }
      } catch (IOException | RuntimeException e) {
        whole.close();
        throw e;
      }
      return whole;
    }

    /** Reads a tensor as fp32 values (for tests and small tensors). */
    public float[] readFloats(String name) throws IOException {
      TensorInfo info = info(name);
      ByteBuffer b = fill(info, 0, info.numel());
      float[] out = new float[Math.toIntExact(info.numel())];
      b.asFloatBuffer().get(out);
      return out;
    }

    /**
     * Elements [from, from+count) of a tensor as little-endian fp32 in this reader's scratch
     * buffer (valid until the next call). The file is read with positional reads, not mapped,
     * and the direct buffers are reused: mapped pages and per-tensor direct buffers would stay
     * resident until a garbage collection happens to free them, about the model's size in fp32
     * plus its file.
     */
    private ByteBuffer fill(TensorInfo info, long from, long count) throws IOException {
      int es = elementSize(info.dtype());
      ByteBuffer out = scratch(Math.toIntExact(count * 4));
      long position = dataStart + info.begin() + from * es;
      switch (info.dtype()) {
        case "F32":
          readFully(out, position);
          break;
        case "BF16":
        case "F16":
          ByteBuffer src = raw(Math.toIntExact(count * es));
          readFully(src, position);
          src.flip();
          boolean bf16 = info.dtype().equals("BF16");
          for (long i = 0; i < count; i++) {
            short h = src.getShort();
            if (bf16) {
              out.putInt((h & 0xFFFF) << 16);
            } else {
              out.putFloat(halfToFloat(h));
            }
          }
          break;
        default:
          throw new IllegalStateException(info.dtype());
      }
      return out.flip();
    }

    /** The fp32 scratch buffer, cleared, limited to {@code bytes}; grown when too small. */
    private ByteBuffer scratch(int bytes) {
      if (floatBuf == null || floatBuf.capacity() < bytes) {
        floatBuf = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
      }
      floatBuf.clear().limit(bytes);
      return floatBuf;
    }

    /** The scratch buffer for 16-bit file data, like {@link #scratch}. */
    private ByteBuffer raw(int bytes) {
      if (rawBuf == null || rawBuf.capacity() < bytes) {
        rawBuf = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
      }
      rawBuf.clear().limit(bytes);
      return rawBuf;
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }

  /** Wraps a direct fp32 buffer as an array whose memory belongs to the engine, not to Java. */
  private static NDArray toArray(NDManager manager, ByteBuffer data, Shape shape) {
    NDArray view = manager.create(data, shape, DataType.FLOAT32);
    if (manager.getDevice().isGpu()) {
      return view; // already copied to the device
    }
    // On CPU DJL keeps pointing at the Java buffer; clone so the buffer can be collected.
    NDArray owned = view.duplicate();
    view.close();
    return owned;
  }

  /** IEEE half to float. */
  static float halfToFloat(short h) {
    int bits = h & 0xFFFF;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1F;
    int mant = bits & 0x3FF;
    if (exp == 0x1F) {
      return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
    }
    if (exp == 0) {
      if (mant == 0) {
        return Float.intBitsToFloat(sign);
      }
      float v = mant / 1024f / 16384f; // subnormal: mant * 2^-24
      return sign == 0 ? v : -v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  /** Float to bf16 bits, round-to-nearest-even as torch's {@code .to(torch.bfloat16)}. */
  static short floatToBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return (short) ((bits >>> 16) | 0x40);
    }
    int lsb = (bits >>> 16) & 1;
    return (short) ((bits + 0x7FFF + lsb) >>> 16);
  }

  /** Float to IEEE half bits, round-to-nearest-even. */
  static short floatToHalf(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int exp = (bits >>> 23) & 0xFF;
    int mant = bits & 0x7FFFFF;
    if (exp == 0xFF) {
      return (short) (sign | 0x7C00 | (mant != 0 ? 0x200 : 0));
    }
    int e = exp - 127 + 15;
    if (e >= 0x1F) {
      return (short) (sign | 0x7C00);
    }
    if (e <= 0) {
      if (e < -10) {
        return (short) sign;
      }
      mant |= 0x800000;
      int shift = 14 - e;
      int half = mant >>> shift;
      int rem = mant & ((1 << shift) - 1);
      int mid = 1 << (shift - 1);
      if (rem > mid || (rem == mid && (half & 1) == 1)) {
        half++;
      }
      return (short) (sign | half);
    }
    int half = (e << 10) | (mant >>> 13);
    int rem = mant & 0x1FFF;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1) == 1)) {
      half++;
    }
    return (short) (sign | half);
  }

  /** The safetensors dtype string for a DJL type we can write. */
  static String dtypeName(DataType type) {
    switch (type) {
      case FLOAT32:
        return "F32";
      case BFLOAT16:
        return "BF16";
      case FLOAT16:
        return "F16";
      default:
        throw new IllegalArgumentException("cannot write dtype " + type
            + " (supported: FLOAT32, BFLOAT16, FLOAT16)");
    }
  }

  /**
   * Writes fp32 arrays to {@code file} as {@code dtype} (FLOAT32, BFLOAT16 or FLOAT16), in map
   * order, with {@code __metadata__ = {"format": "pt"}} that transformers requires.
   */
  public static void write(Path file, Map<String, NDArray> tensors, DataType dtype)
      throws IOException {
    String name = dtypeName(dtype);
    int es = elementSize(name);
    JsonObject header = new JsonObject();
    JsonObject meta = new JsonObject();
    meta.addProperty("format", "pt");
    header.add("__metadata__", meta);
    long offset = 0;
    for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
      JsonObject t = new JsonObject();
      t.addProperty("dtype", name);
      JsonArray shape = new JsonArray();
      for (long d : e.getValue().getShape().getShape()) {
        shape.add(d);
      }
      t.add("shape", shape);
      long bytes = e.getValue().size() * es;
      JsonArray off = new JsonArray();
      off.add(offset);
      off.add(offset + bytes);
      t.add("data_offsets", off);
      header.add(e.getKey(), t);
      offset += bytes;
    }
    byte[] json = new Gson().toJson(header).getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8; // data starts 8-byte aligned, padding is spaces
    ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded).put(json);
    while (head.hasRemaining()) {
      head.put((byte) ' ');
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      writeFully(ch, head.flip());
      for (NDArray a : tensors.values()) {
        for (NDArray part : rowBlocks(a)) {
          ByteBuffer src = part.toType(DataType.FLOAT32, false).toByteBuffer()
              .order(ByteOrder.nativeOrder());
          if (part != a) {
            part.close();
          }
          writeFully(ch, encode(src.asFloatBuffer(), name));
        }
      }
    }
  }

  private static ByteBuffer encode(FloatBuffer src, String dtype) {
    int n = src.remaining();
    ByteBuffer out = ByteBuffer.allocate(n * elementSize(dtype)).order(ByteOrder.LITTLE_ENDIAN);
    switch (dtype) {
      case "F32":
        out.asFloatBuffer().put(src);
        out.position(out.limit());
        break;
      case "BF16":
        for (int i = 0; i < n; i++) {
          out.putShort(floatToBf16(src.get()));
        }
        break;
      default:
        for (int i = 0; i < n; i++) {
          out.putShort(floatToHalf(src.get()));
        }
    }
    return out.flip();
  }

  /** The array itself, or views of row blocks of at most chunkBytes when it is larger. */
  private static List<NDArray> rowBlocks(NDArray a) {
    long bytes = a.size() * 4;
    if (bytes <= chunkBytes || a.getShape().dimension() == 0) {
      return List.of(a);
    }
    long rows = a.getShape().get(0);
    long rowBytes = bytes / rows;
    long step = Math.max(1, chunkBytes / rowBytes);
    List<NDArray> parts = new ArrayList<>();
    for (long r = 0; r < rows; r += step) {
      parts.add(a.get(new NDIndex().addSliceDim(r, Math.min(rows, r + step))));
    }
    return parts;
  }

  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }
}
