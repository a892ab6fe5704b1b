"""Id-level report of a crash-test table: counts, duplicates, Kafka id range, acknowledged HTTP ids missing.

Usage: crash_report.py <ns.table> <topic> <file with a JSON list of acknowledged http ids>
"""

import json
import sys

import pyarrow.compute as pc

from stack_catalog import emit, rest_catalog


def main() -> None:
    name, topic = sys.argv[1], sys.argv[2]
    with open(sys.argv[3], encoding="utf-8") as handle:
        acknowledged = json.load(handle)
    table = rest_catalog().load_table(name)
    data = table.scan(selected_fields=("id", "src")).to_arrow()
    ids = data["id"]
    kafka = pc.filter(ids, pc.equal(data["src"], "kafka"))
    present = set(ids.to_pylist())
    snapshot = table.current_snapshot()
    offsets = {}
    if snapshot is not None and snapshot.summary is not None:
        offsets = json.loads(snapshot.summary.additional_properties.get(f"ingest.kafka.{topic}", "{}"))
    emit(
        {
            "count": data.num_rows,
            "distinct": len(present),
            "kafka_ids": len(set(kafka.to_pylist())),
            "kafka_min": pc.min(kafka).as_py(),
            "kafka_max": pc.max(kafka).as_py(),
            "missing_acknowledged": sum(1 for i in acknowledged if i not in present),
            "offsets": offsets,
        }
    )


if __name__ == "__main__":
    main()
