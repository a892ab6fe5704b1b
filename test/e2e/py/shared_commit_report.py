"""PyIceberg's view of a shared-commit table: ids (count, distinct, range) and every snapshot on main's chain.

Usage: shared_commit_report.py <ns.table> <topic>
Prints {"count", "distinct", "min", "max", "offsets": {partition: next}, "snapshots": [{"operation", "added_records",
"timestamp_ms", "handoffs"}]} — snapshots oldest first; "handoffs" is how many handoffs the snapshot folded.
"""

import json
import sys

import pyarrow.compute as pc

from stack_catalog import emit, rest_catalog


def main() -> None:
    name, topic = sys.argv[1], sys.argv[2]
    table = rest_catalog().load_table(name)
    ids = table.scan(selected_fields=("id",)).to_arrow()["id"]
    snapshots = []
    for snapshot in table.snapshots():
        summary = snapshot.summary
        extra = summary.additional_properties if summary is not None else {}
        handoffs = extra.get("ingest.handoffs", "")
        snapshots.append(
            {
                "operation": summary.operation.value if summary is not None else None,
                "added_records": int(extra.get("added-records", "0")),
                "timestamp_ms": snapshot.timestamp_ms,
                "handoffs": len(handoffs.split(",")) if handoffs else 0,
            }
        )
    current = table.current_snapshot()
    offsets = {}
    if current is not None and current.summary is not None:
        offsets = json.loads(current.summary.additional_properties.get(f"ingest.kafka.{topic}", "{}"))
    emit(
        {
            "count": len(ids),
            "distinct": pc.count_distinct(ids).as_py(),
            "min": pc.min(ids).as_py(),
            "max": pc.max(ids).as_py(),
            "offsets": offsets,
            "snapshots": sorted(snapshots, key=lambda s: s["timestamp_ms"]),
        }
    )


if __name__ == "__main__":
    main()
