"""PyIceberg as another engine on a table the worker writes, and as the reader of what schema evolution did.

Usage: schema_ops.py '<json request>'
  {"table": "ns.name", "op": "add_column", "name": "site", "type": "string"}   → the new schema
  {"table": "ns.name", "op": "rename_column", "from": "reading", "to": "value"}
  {"table": "ns.name", "op": "field_ids"}   → {"schema": {name path: id}, "files": [{"path", "field_ids": {name path: id}}]}
     (the Parquet field ids each data file of the current snapshot carries, read from its footer with pyarrow)
"""

from __future__ import annotations

import json
import sys

import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.types import StringType

from stack_catalog import emit, rest_catalog

TYPES = {"string": StringType}


def names_with_ids(fields, prefix=""):
    out = {}
    for field in fields:
        path = f"{prefix}{field.name}"
        out[path] = field.field_id
        inner = getattr(field, "field_type", None)
        if inner is not None and hasattr(inner, "fields"):
            out.update(names_with_ids(inner.fields, f"{path}."))
    return out


def parquet_ids(arrow_fields, prefix=""):
    out = {}
    for field in arrow_fields:
        path = f"{prefix}{field.name}"
        meta = field.metadata or {}
        if b"PARQUET:field_id" in meta:
            out[path] = int(meta[b"PARQUET:field_id"])
        if pa.types.is_struct(field.type):
            out.update(parquet_ids([field.type.field(i) for i in range(field.type.num_fields)], f"{path}."))
    return out


def main() -> None:
    request = json.loads(sys.argv[1])
    table = rest_catalog().load_table(request["table"])
    op = request["op"]
    if op == "add_column":
        with table.update_schema() as update:
            update.add_column(request["name"], TYPES[request["type"]]())
    elif op == "rename_column":
        with table.update_schema() as update:
            update.rename_column(request["from"], request["to"])
    elif op == "field_ids":
        files = []
        for task in table.scan().plan_files():
            path = task.file.file_path
            with table.io.new_input(path).open() as stream:
                schema = pq.ParquetFile(stream).schema_arrow
            files.append({"path": path, "field_ids": parquet_ids(list(schema))})
        emit({"schema": names_with_ids(table.schema().fields), "files": files})
        return
    else:
        raise SystemExit(f"schema_ops: unknown op {op}")
    emit({"schema": names_with_ids(table.refresh().schema().fields)})


if __name__ == "__main__":
    main()
