"""PyIceberg's report of one table, for tests to compare with what they wrote.

Usage: table_report.py '<json request>'
  {"table": "ns.name",
   "catalog": {"type": "rest"} | {"type": "sql", "uri": "sqlite:////path/catalog.db", "name": "default", "warehouse": "file:///..."},
   "filter": "sensor_id == 'sensor-3'"     (optional, PyIceberg expression syntax),
   "snapshot_id": "123"                     (optional, time travel),
   "sum": ["reading"], "min": ["timestamp"], "max": ["timestamp"],
   "group_count": "sensor_id",
   "rows": true                             (optional: every row, as JSON)}
Prints: count, snapshots (id, parent, operation, summary), planned_files, schema, and the requested aggregates.
"""

from __future__ import annotations

import json
import sys

import pyarrow.compute as pc
from pyiceberg.catalog import load_catalog

from stack_catalog import emit, planned_scan, rest_catalog


def open_catalog(spec: dict):
    if spec.get("type", "rest") == "rest":
        return rest_catalog()
    props = {"type": "sql", "uri": spec["uri"]}
    if "warehouse" in spec:
        props["warehouse"] = spec["warehouse"]
    return load_catalog(spec.get("name", "default"), **props)


def main() -> None:
    request = json.loads(sys.argv[1])
    table = open_catalog(request.get("catalog", {})).load_table(request["table"])
    planned, data = planned_scan(table, request)
    report = {
        "count": data.num_rows,
        "planned_files": planned,
        "schema": json.loads(table.schema().model_dump_json()),
        "spec": json.loads(table.spec().model_dump_json()),
        "snapshots": [
            {
                "snapshot_id": str(s.snapshot_id),
                "parent_snapshot_id": None if s.parent_snapshot_id is None else str(s.parent_snapshot_id),
                "sequence_number": s.sequence_number,
                "operation": s.summary.operation.value if s.summary else None,
                "summary": dict(s.summary.additional_properties) if s.summary else {},
            }
            for s in table.metadata.snapshots
        ],
    }
    for column in request.get("sum", []):
        value = pc.sum(data[column]).as_py()
        report.setdefault("sum", {})[column] = value
    for column in request.get("min", []):
        report.setdefault("min", {})[column] = pc.min(data[column]).as_py()
    for column in request.get("max", []):
        report.setdefault("max", {})[column] = pc.max(data[column]).as_py()
    if request.get("group_count"):
        column = request["group_count"]
        counts = data.group_by(column).aggregate([([], "count_all")])
        report["group_count"] = {str(k): v for k, v in zip(counts[column].to_pylist(), counts["count_all"].to_pylist())}
    if request.get("rows"):
        report["rows"] = data.to_pylist()
    emit(report)


if __name__ == "__main__":
    main()
