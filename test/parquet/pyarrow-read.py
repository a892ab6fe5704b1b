"""pyarrow as an independent Parquet reader for the interop test. Prints JSON describing the file.

  python pyarrow-read.py file.parquet -> {created_by, key_value, columns, field_ids, rows, stats}

Values cross as tagged JSON: {"$int": "..."} exact integers, {"$bytes": hex}, {"$float": repr} for
NaN/inf/-0.0, {"$decimal": [unscaled, exponent]}; temporal top-level columns are cast to their
integer storage (micros, days) first, so they compare exactly.
"""
import decimal
import json
import math
import sys
import uuid

import pyarrow as pa
import pyarrow.parquet as pq


def tag(v):
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return {"$int": str(v)}
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v) or (v == 0 and math.copysign(1, v) < 0):
            return {"$float": repr(v)}
        return v
    if isinstance(v, (bytes, bytearray)):
        return {"$bytes": bytes(v).hex()}
    if isinstance(v, uuid.UUID):
        return {"$bytes": v.bytes.hex()}
    if isinstance(v, decimal.Decimal):
        sign, digits, exponent = v.as_tuple()
        unscaled = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
        return {"$decimal": [str(unscaled), exponent]}
    if isinstance(v, dict):
        return {k: tag(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [tag(x) for x in v]
    raise TypeError(f"cannot tag {type(v)}")


def field_ids(field, prefix, out):
    path = f"{prefix}{field.name}"
    meta = field.metadata or {}
    out[path] = int(meta[b"PARQUET:field_id"]) if b"PARQUET:field_id" in meta else None
    t = field.type
    if pa.types.is_struct(t):
        for i in range(t.num_fields):
            field_ids(t.field(i), path + ".", out)
    elif pa.types.is_map(t):
        field_ids(t.key_field, path + ".", out)
        field_ids(t.item_field, path + ".", out)
    elif pa.types.is_list(t):
        field_ids(t.value_field, path + ".", out)


def main():
    path = sys.argv[1]
    f = pq.ParquetFile(path)
    table = f.read()
    for i, field in enumerate(table.schema):
        t = field.type
        if pa.types.is_timestamp(t) or pa.types.is_time64(t):
            table = table.set_column(i, field.name, table.column(i).cast(pa.int64()))
        elif pa.types.is_date32(t):
            table = table.set_column(i, field.name, table.column(i).cast(pa.int32()))
    ids = {}
    for field in f.schema_arrow:
        field_ids(field, "", ids)
    md = f.metadata
    columns = []
    for i in range(len(f.schema)):
        c = f.schema.column(i)
        columns.append({"path": c.path, "physical": c.physical_type, "logical": str(c.logical_type), "converted": c.converted_type})
    stats = []
    for g in range(md.num_row_groups):
        for j in range(md.num_columns):
            s = md.row_group(g).column(j).statistics
            stats.append({"group": g, "path": md.row_group(g).column(j).path_in_schema, "null_count": s.null_count if s else None, "has_min_max": bool(s and s.has_min_max)})
    print(json.dumps({
        "created_by": md.created_by,
        "key_value": {k.decode(): v.decode() for k, v in (md.metadata or {}).items()},
        "columns": columns,
        "field_ids": ids,
        "arrow_schema": {fl.name: str(fl.type) for fl in f.schema_arrow},
        "rows": tag(table.to_pylist()),
        "stats": stats,
    }))


main()
