// Iceberg Java (1.10.1) as the independent judge of our Puffin files and deletion vectors (src/puffin/).
//
// Run with Java 17's single-file launch on the class path test/e2e/java-writer.ts javaWriterClassPath() gives:
//
//   java -cp '<iceberg-open-api.jar>:<.stack/java-writer/libs>/*' DeletionVectorCheck.java read <file.puffin>
//     Reads the file with Iceberg's PuffinReader and every deletion-vector-v1 blob with PositionDeleteIndex.deserialize
//     (which checks length, magic, CRC and the cardinality the manifest would claim). Prints
//     {"properties": {...}, "blobs": [{type, fields, snapshotId, sequenceNumber, offset, length, compressionCodec,
//      properties, positions: [...], javaBlob: "<base64 of Java's own serialization of the same positions>"}]}
//
//   java -cp ... DeletionVectorCheck.java write <dir> <deletes.json>
//     deletes.json: {"<data file path>": [positions...], ...}
//     Writes the deletes with Iceberg's own BaseDVFileWriter into a v3 Hadoop table under <dir> (one Puffin file, one
//     DV per data file). Prints {"deleteFiles": [{location, referencedDataFile, contentOffset, contentSizeInBytes,
//     recordCount, format}]}.
//
// Any failure prints {"error": "...", "stack": "..."} and exits 1.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.FileMetadata;
import org.apache.iceberg.Files;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.SortOrder;
import org.apache.iceberg.Table;
import org.apache.iceberg.deletes.BaseDVFileWriter;
import org.apache.iceberg.deletes.Deletes;
import org.apache.iceberg.deletes.PositionDeleteIndex;
import org.apache.iceberg.hadoop.HadoopTables;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.DeleteWriteResult;
import org.apache.iceberg.io.OutputFileFactory;
import org.apache.iceberg.puffin.BlobMetadata;
import org.apache.iceberg.puffin.Puffin;
import org.apache.iceberg.puffin.PuffinReader;
import org.apache.iceberg.types.Types;
import org.apache.iceberg.util.Pair;

public class DeletionVectorCheck {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] args) {
    ObjectNode out;
    try {
      out = switch (args.length > 0 ? args[0] : "") {
        case "read" -> read(args[1]);
        case "write" -> write(args[1], JSON.readTree(new java.io.File(args[2])));
        default -> throw new IllegalArgumentException("usage: DeletionVectorCheck read <file.puffin> | write <dir> <deletes.json>");
      };
    } catch (Exception e) {
      out = JSON.createObjectNode();
      out.put("error", e.toString());
      StringWriter stack = new StringWriter();
      e.printStackTrace(new PrintWriter(stack));
      out.put("stack", stack.toString());
    }
    System.out.println(out.toString());
    System.exit(out.has("error") ? 1 : 0);
  }

  private static ObjectNode read(String path) throws Exception {
    ObjectNode out = JSON.createObjectNode();
    ArrayNode blobs = out.putArray("blobs");
    try (PuffinReader reader = Puffin.read(Files.localInput(path)).build()) {
      org.apache.iceberg.puffin.FileMetadata metadata = reader.fileMetadata();
      ObjectNode properties = out.putObject("properties");
      metadata.properties().forEach(properties::put);
      for (Pair<BlobMetadata, ByteBuffer> pair : reader.readAll(metadata.blobs())) {
        BlobMetadata blob = pair.first();
        ObjectNode node = blobs.addObject();
        node.put("type", blob.type());
        ArrayNode fields = node.putArray("fields");
        blob.inputFields().forEach(fields::add);
        node.put("snapshotId", blob.snapshotId());
        node.put("sequenceNumber", blob.sequenceNumber());
        node.put("offset", blob.offset());
        node.put("length", blob.length());
        if (blob.compressionCodec() != null) node.put("compressionCodec", blob.compressionCodec());
        ObjectNode blobProperties = node.putObject("properties");
        blob.properties().forEach(blobProperties::put);
        if (!blob.type().equals("deletion-vector-v1")) continue;
        byte[] bytes = new byte[pair.second().remaining()];
        pair.second().duplicate().get(bytes);
        // The DeleteFile a manifest entry would describe: deserialize checks the blob against its size and cardinality.
        DeleteFile dv = FileMetadata.deleteFileBuilder(PartitionSpec.unpartitioned())
            .ofPositionDeletes()
            .withFormat(FileFormat.PUFFIN)
            .withPath(path)
            .withFileSizeInBytes(new java.io.File(path).length())
            .withRecordCount(Long.parseLong(blob.properties().get("cardinality")))
            .withReferencedDataFile(blob.properties().get("referenced-data-file"))
            .withContentOffset(blob.offset())
            .withContentSizeInBytes(blob.length())
            .build();
        PositionDeleteIndex index = PositionDeleteIndex.deserialize(bytes, dv);
        List<Long> positions = new ArrayList<>();
        index.forEach(positions::add);
        ArrayNode list = node.putArray("positions");
        positions.forEach(list::add);
        ByteBuffer own = Deletes.toPositionIndex(CloseableIterable.withNoopClose(positions)).serialize();
        byte[] ownBytes = new byte[own.remaining()];
        own.get(ownBytes);
        node.put("javaBlob", Base64.getEncoder().encodeToString(ownBytes));
      }
    }
    return out;
  }

  private static ObjectNode write(String dir, JsonNode deletes) throws Exception {
    Schema schema = new Schema(Types.NestedField.required(1, "id", Types.LongType.get()));
    Table table = new HadoopTables(new Configuration())
        .create(schema, PartitionSpec.unpartitioned(), SortOrder.unsorted(), Map.of("format-version", "3"), dir + "/table");
    OutputFileFactory files = OutputFileFactory.builderFor(table, 1, 1).format(FileFormat.PUFFIN).build();
    BaseDVFileWriter writer = new BaseDVFileWriter(files, path -> null);
    for (Iterator<Map.Entry<String, JsonNode>> it = deletes.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      for (JsonNode position : entry.getValue()) writer.delete(entry.getKey(), position.asLong(), table.spec(), null);
    }
    writer.close();
    DeleteWriteResult result = writer.result();
    ObjectNode out = JSON.createObjectNode();
    ArrayNode list = out.putArray("deleteFiles");
    for (DeleteFile file : result.deleteFiles()) {
      ObjectNode node = list.addObject();
      node.put("location", file.location());
      node.put("referencedDataFile", file.referencedDataFile());
      node.put("contentOffset", file.contentOffset());
      node.put("contentSizeInBytes", file.contentSizeInBytes());
      node.put("recordCount", file.recordCount());
      node.put("format", file.format().name());
    }
    return out;
  }
}
