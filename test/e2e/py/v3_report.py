"""PyIceberg's view of a format v3 table: what it reads of it, column by column, and why it cannot read the rest.

Usage: v3_report.py '{"table": "ns.name", "columns": ["id", "note", "at", "body"]}'
Prints: {"load_error": ...} when PyIceberg cannot load the table, else format_version, next_row_id, snapshots (first_row_id, added_rows), per column either its values
(ordered by the first column) or the error PyIceberg raised, and the planned files with their first_row_id.
"""

from __future__ import annotations

import json
import sys

import pyarrow as pa

from stack_catalog import emit, rest_catalog


def main() -> None:
    request = json.loads(sys.argv[1])
    try:
        table = rest_catalog().load_table(request["table"])
    except Exception as error:  # noqa: BLE001 - e.g. a type this PyIceberg does not know
        emit({"load_error": f"{type(error).__name__}: {error}"})
        return
    metadata = table.metadata
    report: dict = {
        "format_version": metadata.format_version,
        "next_row_id": getattr(metadata, "next_row_id", None),
        "snapshots": [
            {"first_row_id": getattr(s, "first_row_id", None), "added_rows": getattr(s, "added_rows", None)}
            for s in metadata.snapshots
        ],
        "columns": {},
    }
    try:
        report["files"] = [
            {"path": task.file.file_path, "record_count": task.file.record_count, "first_row_id": getattr(task.file, "first_row_id", None)}
            for task in table.scan().plan_files()
        ]
    except Exception as error:  # noqa: BLE001 - the report says what failed
        report["files_error"] = f"{type(error).__name__}: {error}"
    key = request["columns"][0]
    for column in request["columns"]:
        try:
            data = table.scan(selected_fields=(key, column) if column != key else (key,)).to_arrow().sort_by(key)
            values = data[column]
            entry: dict = {"type": str(values.type)}
            if pa.types.is_timestamp(values.type):
                # as integer strings in the column's own unit: nanoseconds since 1970 exceed what JSON numbers keep exactly
                entry["values"] = [None if v is None else str(v) for v in values.cast(pa.int64()).to_pylist()]
            else:
                entry["values"] = values.to_pylist()
            report["columns"][column] = entry
        except Exception as error:  # noqa: BLE001
            report["columns"][column] = {"error": f"{type(error).__name__}: {error}"}
    emit(report)


if __name__ == "__main__":
    main()
