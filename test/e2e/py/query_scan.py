"""PyIceberg's answer to a query: the same scan our `query` plans, aggregated with pyarrow, as the independent reference.

usage: query_scan.py '<json request>'
  {"table": "ns.name",
   "filter": "sensor_id == 'sensor-3'"   (optional, PyIceberg expression syntax),
   "snapshot_id": "123"                   (optional, time travel),
   "group_by": "sensor_id",               (optional)
   "value": "reading", "time": "timestamp"}
prints: {"count": n, "planned_files": [...], "groups": {key: {"count", "sum", "min", "max", "first"}}}
  (sum/min/max of `value`, first = min of `time` as ISO text with microseconds)
"""

from __future__ import annotations

import json
import sys

import pyarrow.compute as pc

from stack_catalog import emit, planned_scan, rest_catalog


def aggregate(data, value: str, time: str) -> dict:
    first = pc.min(data[time]).as_py()
    return {
        "count": data.num_rows,
        "sum": pc.sum(data[value]).as_py(),
        "min": pc.min(data[value]).as_py(),
        "max": pc.max(data[value]).as_py(),
        "first": None if first is None else first.isoformat(timespec="microseconds"),
    }


def main() -> None:
    request = json.loads(sys.argv[1])
    table = rest_catalog().load_table(request["table"])
    planned, data = planned_scan(table, request)
    value, time = request.get("value", "reading"), request.get("time", "timestamp")
    groups = {}
    if request.get("group_by"):
        column = request["group_by"]
        for key in sorted(set(data[column].to_pylist()), key=str):
            groups[str(key)] = aggregate(data.filter(pc.equal(data[column], key)), value, time)
    emit({"count": data.num_rows, "planned_files": planned, "groups": groups, "all": aggregate(data, value, time)})


if __name__ == "__main__":
    main()
