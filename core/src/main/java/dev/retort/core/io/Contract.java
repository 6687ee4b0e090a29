package dev.retort.core.io;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.parquet.avro.AvroSchemaConverter;
import org.apache.parquet.schema.MessageType;

/**
 * One data contract: its columns in file order, each with its name, type, nullability and meaning.
 * Everything else about the contract is derived from this list: the Avro schema the codecs and
 * writers use ({@link #avroSchema()}), the Parquet schema of the files ({@link #parquetSchema()}),
 * Spark's read schema (in the filter job), the positions writers and decoders use
 * ({@link #index(String)}), and the tables of docs/data-contracts.md (a test compares them).
 * The definitions themselves are in {@link Contracts}.
 *
 * <p>Plain Java: usable without Spark. In the Avro form a nullable column is a union with null
 * first and default null; lists and maps are required and default to empty, except a
 * {@link Type#MESSAGE_LIST}, which has no default. core's {@code ContractsTest} holds the resulting
 * schemas of the files as fixtures.
 */
public final class Contract {
  /** The Avro namespace of every contract's record. */
  static final String NAMESPACE = "dev.retort";

  /** The element of a {@link Type#MESSAGE_LIST}: one chat turn. */
  static final Schema MESSAGE = SchemaBuilder.record("message").namespace(NAMESPACE)
      .fields().requiredString("role").requiredString("content").endRecord();

  /** A column's type, with the name docs/data-contracts.md gives it. */
  public enum Type {
    STRING("string", true),
    INT("int", true),
    LONG("long", true),
    DOUBLE("double", true),
    BOOLEAN("boolean", true),
    /** A list of strings, never null (empty instead). */
    STRING_LIST("list<string>", false),
    /** A map of string to string, never null (empty instead). */
    STRING_MAP("map<string,string>", false),
    /** Chat messages: a list of {@code {role, content}} structs, never null (empty instead). */
    MESSAGE_LIST("list<struct<role: string, content: string>>", false);

    private final String doc;
    private final boolean scalar;

    Type(String doc, boolean scalar) {
      this.doc = doc;
      this.scalar = scalar;
    }

    /** A scalar: one value, null or not; the others are collections that are empty rather than null. */
    public boolean scalar() {
      return scalar;
    }
  }

  /**
   * One column.
   *
   * @param name snake_case column name
   * @param type its type
   * @param nullable whether a row may hold null (only scalars may)
   * @param meaning what it holds, as docs/data-contracts.md says it
   */
  public record Column(String name, Type type, boolean nullable, String meaning) {
    public Column {
      if (nullable && !type.scalar()) {
        throw new IllegalArgumentException("column " + name + ": a " + type.doc + " is empty, never null");
      }
    }

    public static Column required(String name, Type type, String meaning) {
      return new Column(name, type, false, meaning);
    }

    public static Column nullable(String name, Type type, String meaning) {
      return new Column(name, type, true, meaning);
    }

    /** The type as the tables of docs/data-contracts.md write it: {@code string, required}, {@code long, null}, {@code list<string>}. */
    public String docType() {
      return type.scalar() ? type.doc + (nullable ? ", null" : ", required") : type.doc;
    }
  }

  private final String name;
  private final List<Column> columns;
  private final Map<String, Integer> index = new HashMap<>();
  private final Schema avro;
  private final MessageType parquet;

  /**
   * @param name the record name (the Avro record and Parquet message name)
   * @param columns the columns in file order; names unique
   */
  public Contract(String name, List<Column> columns) {
    this.name = name;
    this.columns = List.copyOf(columns);
    for (int i = 0; i < this.columns.size(); i++) {
      if (index.put(this.columns.get(i).name(), i) != null) {
        throw new IllegalArgumentException("contract " + name + ": column " + this.columns.get(i).name() + " twice");
      }
    }
    this.avro = avro(name, this.columns);
    this.parquet = new AvroSchemaConverter(ParquetIO.conf()).convert(avro);
  }

  /** A contract of this one's columns followed by {@code more}, under another record name. */
  public Contract plus(String name, List<Column> more) {
    List<Column> all = new ArrayList<>(columns);
    all.addAll(more);
    return new Contract(name, all);
  }

  public String name() {
    return name;
  }

  public List<Column> columns() {
    return columns;
  }

  public List<String> names() {
    return columns.stream().map(Column::name).toList();
  }

  public int size() {
    return columns.size();
  }

  public boolean has(String column) {
    return index.containsKey(column);
  }

  /** The column's position in file order. */
  public int index(String column) {
    Integer i = index.get(column);
    if (i == null) {
      throw new IllegalArgumentException("no column " + column + " in the " + name + " contract");
    }
    return i;
  }

  public Column column(String column) {
    return columns.get(index(column));
  }

  /** The Avro schema the contract's files are written with (and which their footer carries). */
  public Schema avroSchema() {
    return avro;
  }

  /** The Parquet schema of the contract's files (standard 3-level lists). */
  public MessageType parquetSchema() {
    return parquet;
  }

  private static Schema avro(String name, List<Column> columns) {
    SchemaBuilder.FieldAssembler<Schema> f = SchemaBuilder.record(name).namespace(NAMESPACE).fields();
    for (Column c : columns) {
      String n = c.name();
      boolean opt = c.nullable();
      f = switch (c.type()) {
        case STRING -> opt ? f.optionalString(n) : f.requiredString(n);
        case INT -> opt ? f.optionalInt(n) : f.requiredInt(n);
        case LONG -> opt ? f.optionalLong(n) : f.requiredLong(n);
        case DOUBLE -> opt ? f.optionalDouble(n) : f.requiredDouble(n);
        case BOOLEAN -> opt ? f.optionalBoolean(n) : f.requiredBoolean(n);
        case STRING_LIST -> f.name(n).type().array().items().stringType().arrayDefault(List.of());
        case STRING_MAP -> f.name(n).type().map().values().stringType().mapDefault(Map.of());
        case MESSAGE_LIST -> f.name(n).type().array().items(MESSAGE).noDefault();
      };
    }
    return f.endRecord();
  }

  @Override
  public String toString() {
    return name + names();
  }
}
