"""PyIceberg's view of a table for the maintenance tests: rows (as a digest), planned files, and every file the snapshots reference.

Usage: maintenance_report.py '<json request>'
  {"table": "ns.name", "snapshot_id": "123" (optional, time travel), "filter": "sensor_id == 'a'" (optional),
   "plan_only": true (optional: plan, read no data), "files": true (optional)}
Prints:
  count, distinct_ids, min_id, max_id  -- over the `id` column
  digest         sha256 of every row, sorted by id, as canonical JSON (same rows <=> same digest)
  planned_files  [{"path", "size", "partition"}] of the scan
  snapshots      [{"snapshot_id", "operation", "summary"}]
  referenced     (with "files") every manifest list, manifest and live data file of every snapshot, plus the
                 current metadata file and the metadata log: what object storage may hold
"""

from __future__ import annotations

import hashlib
import json
import sys

import pyarrow.compute as pc

from stack_catalog import emit, rest_catalog


def main() -> None:
    request = json.loads(sys.argv[1])
    table = rest_catalog().load_table(request["table"])
    scan_args = {}
    if request.get("snapshot_id"):
        scan_args["snapshot_id"] = int(request["snapshot_id"])
    if request.get("filter"):
        scan_args["row_filter"] = request["filter"]
    scan = table.scan(**scan_args)
    tasks = list(scan.plan_files())
    data = scan.select("id").to_arrow().slice(0, 0) if request.get("plan_only") else scan.to_arrow()
    data = data.sort_by("id") if data.num_rows else data
    digest = hashlib.sha256(json.dumps(data.to_pylist(), default=str, sort_keys=True).encode()).hexdigest()
    report = {
        "count": data.num_rows,
        "distinct_ids": pc.count_distinct(data["id"]).as_py() if data.num_rows else 0,
        "min_id": pc.min(data["id"]).as_py() if data.num_rows else None,
        "max_id": pc.max(data["id"]).as_py() if data.num_rows else None,
        "digest": digest,
        "planned_files": [
            {"path": t.file.file_path, "size": t.file.file_size_in_bytes, "partition": str(t.file.partition)} for t in tasks
        ],
        "snapshots": [
            {
                "snapshot_id": str(s.snapshot_id),
                "operation": s.summary.operation.value if s.summary else None,
                "summary": dict(s.summary.additional_properties) if s.summary else {},
            }
            for s in table.metadata.snapshots
        ],
    }
    if request.get("files"):
        io = table.io
        referenced = {table.metadata_location}
        referenced.update(entry.metadata_file for entry in table.metadata.metadata_log)
        manifests = {}
        for snapshot in table.metadata.snapshots:
            referenced.add(snapshot.manifest_list)
            for manifest in snapshot.manifests(io):
                manifests[manifest.manifest_path] = manifest
        for path, manifest in manifests.items():
            referenced.add(path)
            for entry in manifest.fetch_manifest_entry(io, discard_deleted=True):
                referenced.add(entry.data_file.file_path)
        report["referenced"] = sorted(referenced)
    emit(report)


if __name__ == "__main__":
    main()
