// Iceberg Java (the reference implementation) as another engine on the worker's tables, for the interop tests.
//
// Run with Java 17's single-file launch, on the REST catalog fat jar plus iceberg-data/iceberg-parquet and
// Parquet's jars (scripts/stack/maven.ts downloads both; test/e2e/java-writer.ts builds the class path):
//
//   java -cp '<iceberg-open-api.jar>:<.stack/java-writer/libs>/*' IcebergJavaWriter.java '<request json>'
//   java -cp ... IcebergJavaWriter.java --serve      one request per stdin line, one JSON answer per stdout line
//
// Request: {"catalog": {...}, "table": "ns.name", "ops": [{"op": "...", ...}, ...]}
//   catalog {"type": "jdbc", "name": "default", "uri": "jdbc:sqlite:/path/catalog.db", "warehouse": "file:/path/warehouse"}
//           {"type": "rest", "uri": "http://...", "warehouse": "s3://...", "s3.endpoint": "...", ...} (other keys are catalog properties)
// Ops: create {schema: [{name, type, required}], formatVersion}, append {rows: [{...}]}, add-column {name, type},
//      rename-column {from, to}, add-partition-field {column, transform: identity|bucket, width}, sort-order {column},
//      tag {name}, branch {name}, set-properties {properties}, compact, expire {retainLast},
//      read {columns, rowLineage}, files, describe.
//   read with rowLineage: true also returns the v3 metadata columns _row_id and _last_updated_sequence_number
//   (MetadataColumns.ROW_ID, LAST_UPDATED_SEQUENCE_NUMBER; null for rows of a v2 table). Values: timestamps as
//   microseconds, timestamp_ns / timestamptz_ns as a string of nanoseconds (exact past 2^53), variant as its JSON.
//   files: every live data file of the current snapshot with its (inherited) firstRowId and recordCount.
// Answer: {"results": [one object per op]} or {"error": "...", "stack": "..."}.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.HasTableOperations;
import org.apache.iceberg.MetadataColumns;
import org.apache.iceberg.PartitionKey;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.RewriteFiles;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotRef;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.GenericAppenderFactory;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.InternalRecordWrapper;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.encryption.EncryptedOutputFile;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.OutputFileFactory;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.apache.iceberg.rest.RESTCatalog;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;
import org.apache.iceberg.util.DateTimeUtil;
import org.apache.iceberg.variants.Variant;
import org.apache.iceberg.variants.VariantArray;
import org.apache.iceberg.variants.VariantObject;
import org.apache.iceberg.variants.VariantValue;

public class IcebergJavaWriter {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] args) throws Exception {
    if (args.length == 1 && args[0].equals("--serve")) {
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      // Tell the caller the JVM is up and the program compiled, so its first request is not timed with start-up.
      System.out.println("{\"ready\":true}");
      System.out.flush();
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.isBlank()) continue;
        System.out.println(JSON.writeValueAsString(answer(line)));
        System.out.flush();
      }
      return;
    }
    if (args.length != 1) {
      System.err.println("usage: IcebergJavaWriter '<request json>' | --serve");
      System.exit(2);
    }
    ObjectNode result = answer(args[0]);
    System.out.println(JSON.writeValueAsString(result));
    System.exit(result.has("error") ? 1 : 0);
  }

  private static ObjectNode answer(String text) {
    try {
      return handle(JSON.readTree(text));
    } catch (Exception e) {
      ObjectNode error = JSON.createObjectNode();
      error.put("error", e.toString());
      StringWriter stack = new StringWriter();
      e.printStackTrace(new PrintWriter(stack));
      error.put("stack", stack.toString());
      return error;
    }
  }

  private static ObjectNode handle(JsonNode request) throws Exception {
    Catalog catalog = openCatalog(request.get("catalog"));
    try {
      TableIdentifier id = TableIdentifier.parse(request.get("table").asText());
      ArrayNode results = JSON.createArrayNode();
      for (JsonNode op : request.get("ops")) results.add(run(catalog, id, op));
      ObjectNode out = JSON.createObjectNode();
      out.set("results", results);
      return out;
    } finally {
      if (catalog instanceof Closeable closeable) closeable.close();
    }
  }

  private static Catalog openCatalog(JsonNode spec) {
    Map<String, String> properties = new HashMap<>();
    spec.fields().forEachRemaining(e -> properties.put(e.getKey(), e.getValue().asText()));
    String type = properties.remove("type");
    String name = properties.getOrDefault("name", "default");
    properties.remove("name");
    if ("jdbc".equals(type)) {
      // The worker's SQLite file has the V1 layout (iceberg_type column); Java's default, V0, would not look for it.
      properties.putIfAbsent("jdbc.schema-version", "V1");
      JdbcCatalog catalog = new JdbcCatalog();
      catalog.setConf(new Configuration());
      catalog.initialize(name, properties);
      return catalog;
    }
    if ("rest".equals(type)) {
      properties.putIfAbsent("io-impl", "org.apache.iceberg.aws.s3.S3FileIO");
      properties.putIfAbsent("s3.path-style-access", "true");
      RESTCatalog catalog = new RESTCatalog();
      catalog.setConf(new Configuration());
      catalog.initialize(name, properties);
      return catalog;
    }
    throw new IllegalArgumentException("catalog.type must be jdbc or rest, got " + type);
  }

  private static ObjectNode run(Catalog catalog, TableIdentifier id, JsonNode op) throws Exception {
    String name = op.get("op").asText();
    ObjectNode out = JSON.createObjectNode();
    out.put("op", name);
    if (name.equals("create")) {
      if (catalog instanceof SupportsNamespaces namespaces && !namespaces.namespaceExists(id.namespace())) {
        namespaces.createNamespace(id.namespace());
      }
      String version = op.path("formatVersion").asText("2");
      Table created = catalog.createTable(id, schemaOf(op.get("schema")), PartitionSpec.unpartitioned(), Map.of("format-version", version));
      out.put("location", created.location());
      return out;
    }
    Table table = catalog.loadTable(id);
    switch (name) {
      case "append" -> {
        List<DataFile> files = writeFiles(table, recordsOf(table.schema(), op.get("rows")));
        var append = table.newAppend();
        files.forEach(append::appendFile);
        append.commit();
        putFiles(out, files);
      }
      case "add-column" -> table.updateSchema().addColumn(op.get("name").asText(), typeOf(op.get("type").asText())).commit();
      case "rename-column" -> table.updateSchema().renameColumn(op.get("from").asText(), op.get("to").asText()).commit();
      case "add-partition-field" -> {
        String column = op.get("column").asText();
        String transform = op.path("transform").asText("identity");
        var update = table.updateSpec();
        if (transform.equals("bucket")) update.addField(Expressions.bucket(column, op.get("width").asInt()));
        else update.addField(column);
        update.commit();
      }
      case "sort-order" -> table.replaceSortOrder().asc(op.get("column").asText()).commit();
      case "tag" -> table.manageSnapshots().createTag(op.get("name").asText(), table.currentSnapshot().snapshotId()).commit();
      case "branch" -> table.manageSnapshots().createBranch(op.get("name").asText(), table.currentSnapshot().snapshotId()).commit();
      case "set-properties" -> {
        var update = table.updateProperties();
        op.get("properties").fields().forEachRemaining(e -> update.set(e.getKey(), e.getValue().asText()));
        update.commit();
      }
      case "compact" -> compact(table, out);
      case "expire" -> {
        int before = sizeOf(table.snapshots());
        // Every snapshot is old enough; retainLast keeps the newest N of main (refs keep their own).
        table.expireSnapshots().expireOlderThan(System.currentTimeMillis() + 1).retainLast(op.path("retainLast").asInt(1)).commit();
        table.refresh();
        out.put("expired", before - sizeOf(table.snapshots()));
        out.put("left", sizeOf(table.snapshots()));
      }
      case "read" -> read(table, op, out);
      case "files" -> files(table, out);
      case "describe" -> describe(table, out);
      default -> throw new IllegalArgumentException("unknown op " + name);
    }
    return out;
  }

  /** Reads every live row, writes them again as one file per partition of the current spec, and commits a rewrite. */
  private static void compact(Table table, ObjectNode out) throws Exception {
    List<DataFile> old = new ArrayList<>();
    try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
      for (FileScanTask task : tasks) old.add(task.file());
    }
    List<Record> rows = new ArrayList<>();
    try (CloseableIterable<Record> records = IcebergGenerics.read(table).build()) {
      for (Record record : records) rows.add(record.copy());
    }
    List<DataFile> rewritten = writeFiles(table, rows);
    RewriteFiles rewrite = table.newRewrite().validateFromSnapshot(table.currentSnapshot().snapshotId());
    old.forEach(rewrite::deleteFile);
    rewritten.forEach(rewrite::addFile);
    rewrite.commit();
    out.put("replaced", old.size());
    out.put("rows", rows.size());
    putFiles(out, rewritten);
  }

  private static void read(Table table, JsonNode op, ObjectNode out) throws Exception {
    List<String> columns = new ArrayList<>();
    op.path("columns").forEach(c -> columns.add(c.asText()));
    boolean lineage = op.path("rowLineage").asBoolean(false);
    var scan = IcebergGenerics.read(table);
    if (lineage) {
      // The metadata columns are not in the table schema, so they are asked for by projection, not by name.
      Schema base = columns.isEmpty() ? table.schema() : table.schema().select(columns);
      scan = scan.project(MetadataColumns.schemaWithRowLineage(base));
      if (!columns.isEmpty()) {
        columns.add(MetadataColumns.ROW_ID.name());
        columns.add(MetadataColumns.LAST_UPDATED_SEQUENCE_NUMBER.name());
      }
    } else if (!columns.isEmpty()) {
      scan = scan.select(columns);
    }
    ArrayNode rows = JSON.createArrayNode();
    try (CloseableIterable<Record> records = scan.build()) {
      for (Record record : records) {
        ObjectNode row = JSON.createObjectNode();
        for (Types.NestedField field : record.struct().fields()) {
          if (!columns.isEmpty() && !columns.contains(field.name())) continue;
          putValue(row, field.name(), field.type(), record.getField(field.name()));
        }
        rows.add(row);
      }
    }
    out.set("rows", rows);
  }

  private static void files(Table table, ObjectNode out) throws Exception {
    ArrayNode files = out.putArray("files");
    try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
      for (FileScanTask task : tasks) {
        ObjectNode f = files.addObject();
        f.put("path", task.file().location());
        f.put("recordCount", task.file().recordCount());
        if (task.file().firstRowId() != null) f.put("firstRowId", task.file().firstRowId());
        else f.putNull("firstRowId");
        if (task.file().fileSequenceNumber() != null) f.put("fileSequenceNumber", task.file().fileSequenceNumber());
      }
    }
  }

  private static void describe(Table table, ObjectNode out) {
    out.put("location", table.location());
    var metadata = ((HasTableOperations) table).operations().current();
    out.put("metadataLocation", metadata.metadataFileLocation());
    out.put("formatVersion", metadata.formatVersion());
    if (metadata.formatVersion() >= 3) out.put("nextRowId", metadata.nextRowId());
    Snapshot current = table.currentSnapshot();
    if (current != null) out.put("currentSnapshotId", String.valueOf(current.snapshotId()));
    ArrayNode snapshots = out.putArray("snapshots");
    for (Snapshot snapshot : table.snapshots()) {
      ObjectNode s = snapshots.addObject();
      s.put("snapshotId", String.valueOf(snapshot.snapshotId()));
      if (snapshot.parentId() != null) s.put("parentId", String.valueOf(snapshot.parentId()));
      s.put("operation", snapshot.operation());
      s.put("sequenceNumber", snapshot.sequenceNumber());
      if (snapshot.firstRowId() != null) s.put("firstRowId", snapshot.firstRowId());
      if (snapshot.addedRows() != null) s.put("addedRows", snapshot.addedRows());
      ObjectNode summary = s.putObject("summary");
      snapshot.summary().forEach(summary::put);
    }
    ObjectNode refs = out.putObject("refs");
    for (Map.Entry<String, SnapshotRef> ref : table.refs().entrySet()) {
      ObjectNode r = refs.putObject(ref.getKey());
      r.put("type", ref.getValue().isBranch() ? "branch" : "tag");
      r.put("snapshotId", String.valueOf(ref.getValue().snapshotId()));
    }
    ObjectNode properties = out.putObject("properties");
    table.properties().forEach(properties::put);
    out.put("specId", table.spec().specId());
    out.put("specs", table.specs().size());
    out.put("spec", table.spec().toString());
    out.put("sortOrderId", table.sortOrder().orderId());
    out.put("statistics", table.statisticsFiles().size());
    ArrayNode fields = out.putArray("columns");
    for (Types.NestedField field : table.schema().columns()) fields.add(field.name());
    out.put("schemaId", table.schema().schemaId());
  }

  private static List<DataFile> writeFiles(Table table, List<Record> records) throws Exception {
    Schema schema = table.schema();
    PartitionSpec spec = table.spec();
    GenericAppenderFactory factory = new GenericAppenderFactory(schema, spec);
    // The table's write.* properties (codec, row group size), as Iceberg's own writers apply them.
    factory.setAll(table.properties());
    OutputFileFactory files = OutputFileFactory.builderFor(table, 1, System.nanoTime()).format(FileFormat.PARQUET).build();
    PartitionKey key = new PartitionKey(spec, schema);
    InternalRecordWrapper wrapper = new InternalRecordWrapper(schema.asStruct());
    Map<PartitionKey, DataWriter<Record>> writers = new LinkedHashMap<>();
    for (Record record : records) {
      key.partition(wrapper.wrap(record));
      DataWriter<Record> writer = writers.get(key);
      if (writer == null) {
        PartitionKey partition = key.copy();
        EncryptedOutputFile file = spec.isUnpartitioned() ? files.newOutputFile() : files.newOutputFile(spec, partition);
        writer = factory.newDataWriter(file, FileFormat.PARQUET, spec.isUnpartitioned() ? null : partition);
        writers.put(partition, writer);
      }
      writer.write(record);
    }
    List<DataFile> written = new ArrayList<>();
    for (DataWriter<Record> writer : writers.values()) {
      writer.close();
      written.add(writer.toDataFile());
    }
    return written;
  }

  private static void putFiles(ObjectNode out, List<DataFile> files) {
    ArrayNode paths = out.putArray("files");
    for (DataFile file : files) paths.add(file.location());
  }

  private static List<Record> recordsOf(Schema schema, JsonNode rows) {
    List<Record> records = new ArrayList<>();
    for (JsonNode row : rows) {
      GenericRecord record = GenericRecord.create(schema);
      for (Types.NestedField field : schema.columns()) {
        JsonNode value = row.get(field.name());
        record.setField(field.name(), value == null || value.isNull() ? null : valueOf(field.type(), value));
      }
      records.add(record);
    }
    return records;
  }

  private static Object valueOf(Type type, JsonNode value) {
    return switch (type.typeId()) {
      case LONG -> value.asLong();
      case INTEGER -> value.asInt();
      case DOUBLE -> value.asDouble();
      case FLOAT -> (float) value.asDouble();
      case BOOLEAN -> value.asBoolean();
      case STRING -> value.asText();
      // Timestamps travel as microseconds since the epoch, as the worker's rows hold them.
      case TIMESTAMP_NANO -> ((Types.TimestampNanoType) type).shouldAdjustToUTC()
          ? DateTimeUtil.timestamptzFromNanos(Long.parseLong(value.asText()))
          : DateTimeUtil.timestampFromNanos(Long.parseLong(value.asText()));
      case TIMESTAMP -> ((Types.TimestampType) type).shouldAdjustToUTC()
          ? DateTimeUtil.timestamptzFromMicros(value.asLong())
          : DateTimeUtil.timestampFromMicros(value.asLong());
      default -> throw new IllegalArgumentException("unsupported column type " + type);
    };
  }

  private static void putValue(ObjectNode row, String name, Type type, Object value) {
    if (value != null && type.typeId() == Type.TypeID.TIMESTAMP_NANO) {
      long nanos = value instanceof OffsetDateTime t ? DateTimeUtil.nanosFromTimestamptz(t) : DateTimeUtil.nanosFromTimestamp((LocalDateTime) value);
      row.put(name, Long.toString(nanos));
    } else if (value instanceof Variant variant) {
      row.set(name, variantJson(variant.value()));
    } else {
      putValue(row, name, value);
    }
  }

  /** A variant value as JSON: objects and arrays as such, numbers, strings and booleans as themselves, binary as base64. */
  private static JsonNode variantJson(VariantValue value) {
    JsonNodeFactory nodes = JSON.getNodeFactory();
    switch (value.type()) {
      case OBJECT -> {
        VariantObject object = value.asObject();
        ObjectNode node = nodes.objectNode();
        for (String field : object.fieldNames()) node.set(field, variantJson(object.get(field)));
        return node;
      }
      case ARRAY -> {
        VariantArray array = value.asArray();
        ArrayNode node = nodes.arrayNode();
        for (int i = 0; i < array.numElements(); i++) node.add(variantJson(array.get(i)));
        return node;
      }
      case NULL -> {
        return nodes.nullNode();
      }
      default -> {
        Object primitive = value.asPrimitive().get();
        if (primitive instanceof Boolean b) return nodes.booleanNode(b);
        if (primitive instanceof Byte || primitive instanceof Short || primitive instanceof Integer || primitive instanceof Long) return nodes.numberNode(((Number) primitive).longValue());
        if (primitive instanceof Float || primitive instanceof Double) return nodes.numberNode(((Number) primitive).doubleValue());
        if (primitive instanceof BigDecimal d) return nodes.numberNode(d);
        if (primitive instanceof ByteBuffer bytes) return nodes.textNode(Base64.getEncoder().encodeToString(toArray(bytes)));
        return nodes.textNode(String.valueOf(primitive));
      }
    }
  }

  private static byte[] toArray(ByteBuffer buffer) {
    byte[] out = new byte[buffer.remaining()];
    buffer.duplicate().get(out);
    return out;
  }

  private static void putValue(ObjectNode row, String name, Object value) {
    if (value == null) row.putNull(name);
    else if (value instanceof Long l) row.put(name, l);
    else if (value instanceof Integer i) row.put(name, i);
    else if (value instanceof Double d) row.put(name, d);
    else if (value instanceof Float f) row.put(name, f);
    else if (value instanceof Boolean b) row.put(name, b);
    else if (value instanceof LocalDateTime t) row.put(name, DateTimeUtil.microsFromTimestamp(t));
    else if (value instanceof OffsetDateTime t) row.put(name, DateTimeUtil.microsFromTimestamptz(t));
    else row.put(name, value.toString());
  }

  private static Schema schemaOf(JsonNode columns) {
    List<Types.NestedField> fields = new ArrayList<>();
    int id = 1;
    for (JsonNode column : columns) {
      Type type = typeOf(column.get("type").asText());
      String name = column.get("name").asText();
      fields.add(column.path("required").asBoolean(false) ? Types.NestedField.required(id++, name, type) : Types.NestedField.optional(id++, name, type));
    }
    return new Schema(fields);
  }

  private static Type typeOf(String name) {
    return switch (name) {
      case "long" -> Types.LongType.get();
      case "int" -> Types.IntegerType.get();
      case "double" -> Types.DoubleType.get();
      case "float" -> Types.FloatType.get();
      case "boolean" -> Types.BooleanType.get();
      case "string" -> Types.StringType.get();
      case "timestamp" -> Types.TimestampType.withoutZone();
      case "timestamptz" -> Types.TimestampType.withZone();
      case "timestamp_ns" -> Types.TimestampNanoType.withoutZone();
      case "timestamptz_ns" -> Types.TimestampNanoType.withZone();
      case "variant" -> Types.VariantType.get();
      default -> throw new IllegalArgumentException("unsupported column type " + name);
    };
  }

  private static int sizeOf(Iterable<?> items) {
    int n = 0;
    for (Iterator<?> it = items.iterator(); it.hasNext(); it.next()) n++;
    return n;
  }
}
