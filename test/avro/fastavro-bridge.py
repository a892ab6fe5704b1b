"""fastavro as an independent Avro reader/writer for the interop tests. Values cross as tagged JSON:
{"$int": "..."} exact integers, {"$bytes": hex}, {"$float": "nan"|"inf"|"-inf"}, {"$decimal": "..."},
{"$uuid": "..."}, {"$date"|"$time"|"$datetime": iso}.

  python fastavro-bridge.py read  < file.avro   -> JSON {metadata, codec, writer_schema, records}
  python fastavro-bridge.py write < request.json -> Avro bytes ({schema, records, codec, metadata?})
"""
import datetime
import decimal
import io
import json
import math
import sys
import uuid

import fastavro


def to_json(v):
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return {"$int": str(v)}
    if isinstance(v, float):
        return {"$float": repr(v)} if math.isnan(v) or math.isinf(v) else v
    if isinstance(v, (bytes, bytearray)):
        return {"$bytes": bytes(v).hex()}
    if isinstance(v, decimal.Decimal):
        return {"$decimal": str(v)}
    if isinstance(v, uuid.UUID):
        return {"$uuid": str(v)}
    if isinstance(v, datetime.datetime):
        return {"$datetime": v.isoformat()}
    if isinstance(v, datetime.date):
        return {"$date": v.isoformat()}
    if isinstance(v, datetime.time):
        return {"$time": v.isoformat()}
    if isinstance(v, dict):
        return {k: to_json(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [to_json(x) for x in v]
    raise TypeError(f"cannot tag {type(v)}")


def from_json(obj):
    if len(obj) == 1:
        (tag, value), = obj.items()
        if tag == "$int":
            return int(value)
        if tag == "$bytes":
            return bytes.fromhex(value)
        if tag == "$float":
            return float(value)
        if tag == "$decimal":
            return decimal.Decimal(value)
        if tag == "$uuid":
            return uuid.UUID(value)
    return obj


def main():
    mode = sys.argv[1]
    if mode == "read":
        reader = fastavro.reader(io.BytesIO(sys.stdin.buffer.read()))
        records = [to_json(r) for r in reader]
        metadata = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in reader.metadata.items()}
        out = {"metadata": metadata, "codec": reader.codec, "writer_schema": reader.writer_schema, "records": records}
        sys.stdout.write(json.dumps(out))
    elif mode == "write":
        request = json.loads(sys.stdin.buffer.read(), object_hook=from_json)
        buf = io.BytesIO()
        schema = fastavro.parse_schema(request["schema"])
        fastavro.writer(buf, schema, request["records"], codec=request.get("codec", "null"), metadata=request.get("metadata"))
        sys.stdout.buffer.write(buf.getvalue())
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
