"""Rows of a fault-suite table by source, as PyIceberg reads them: committed, duplicated, lost.

Usage: fault_report.py <ns.table> <topic> [<file: JSON {"http": [acknowledged ids], "kafka_total": N}>]
Kafka messages carry ids 0..N-1; HTTP rows the acknowledged ids (others may be present: sent, not acknowledged).
Without the file: only the newest snapshot's Kafka offsets for <topic> (no scan), for polling.
"""

import json
import sys
from collections import Counter

from stack_catalog import emit, rest_catalog


def offsets_of(table, topic: str) -> dict:
    snapshot = table.current_snapshot()
    if snapshot is None or snapshot.summary is None:
        return {}
    return json.loads(snapshot.summary.additional_properties.get(f"ingest.kafka.{topic}", "{}"))


def main() -> None:
    name, topic = sys.argv[1], sys.argv[2]
    table = rest_catalog().load_table(name)
    if len(sys.argv) < 4:
        emit({"offsets": offsets_of(table, topic)})
        return
    with open(sys.argv[3], encoding="utf-8") as handle:
        expected = json.load(handle)
    data = table.scan(selected_fields=("id", "src")).to_arrow().to_pylist()
    by_source = {"http": Counter(), "kafka": Counter()}
    for row in data:
        by_source.setdefault(row["src"], Counter())[row["id"]] += 1
    http, kafka = by_source["http"], by_source["kafka"]
    acknowledged = set(expected["http"])
    offsets = offsets_of(table, topic)
    emit(
        {
            "http": {
                "committed": sum(http.values()),
                "distinct": len(http),
                "duplicated": sum(n - 1 for n in http.values() if n > 1),
                "acknowledged_duplicated": sum(http[i] - 1 for i in acknowledged if http[i] > 1),
                "lost": sum(1 for i in acknowledged if http[i] == 0),
                "unacknowledged_present": sum(1 for i in http if i not in acknowledged),
            },
            "kafka": {
                "committed": sum(kafka.values()),
                "distinct": len(kafka),
                "duplicated": sum(n - 1 for n in kafka.values() if n > 1),
                "lost": sum(1 for i in range(expected["kafka_total"]) if kafka[i] == 0),
                "out_of_range": sum(1 for i in kafka if not 0 <= i < expected["kafka_total"]),
            },
            "offsets": offsets,
            "snapshots": len(table.metadata.snapshots),
            "data_files": sum(1 for _ in table.scan().plan_files()),
        }
    )


if __name__ == "__main__":
    main()
