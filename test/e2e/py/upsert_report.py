"""Key-level report of an upsert table as PyIceberg reads it (its scan applies position deletes and, where supported, DVs).

Usage: upsert_report.py <ns.table> <topic>
Prints: count, distinct ids, rows as {"<id>": <version>}, the delete files of the current snapshot by format, the Kafka marker.
"""

import json
import sys

from stack_catalog import emit, rest_catalog


def main() -> None:
    name, topic = sys.argv[1], sys.argv[2]
    table = rest_catalog().load_table(name)
    data = table.scan(selected_fields=("id", "version")).to_arrow()
    ids = data["id"].to_pylist()
    versions = data["version"].to_pylist()
    snapshot = table.current_snapshot()
    offsets = {}
    delete_formats: dict = {}
    if snapshot is not None:
        if snapshot.summary is not None:
            offsets = json.loads(snapshot.summary.additional_properties.get(f"ingest.kafka.{topic}", "{}"))
        for task in table.scan().plan_files():
            for delete in task.delete_files:
                key = str(delete.file_format.value if hasattr(delete.file_format, "value") else delete.file_format)
                delete_formats[key] = delete_formats.get(key, 0) + 1
    emit(
        {
            "count": len(ids),
            "distinct": len(set(ids)),
            "rows": {str(i): v for i, v in zip(ids, versions)},
            "delete_formats": delete_formats,
            "offsets": offsets,
        }
    )


if __name__ == "__main__":
    main()
