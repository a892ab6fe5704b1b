"""PyIceberg's view of the test stack: load the REST catalog from arguments or the stack's env, print JSON results.

Scripts run by test/e2e/pyiceberg.ts get the keys of .stack/stack.env in their environment
(ICEBERG_REST_URI, S3_ENDPOINT, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_REGION) and this
folder on PYTHONPATH, so `from stack_catalog import rest_catalog, emit` works from anywhere.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import decimal
import json
import os
import sys
import uuid
from typing import Any, Optional

from pyiceberg.catalog import Catalog, load_catalog


def _setting(value: Optional[str], env_key: str) -> str:
    if value:
        return value
    found = os.environ.get(env_key)
    if not found:
        raise SystemExit(f"stack_catalog: no {env_key} in the environment and no argument for it: run through test/e2e/pyiceberg.ts or pass it")
    return found


def rest_catalog(
    uri: Optional[str] = None,
    s3_endpoint: Optional[str] = None,
    access_key_id: Optional[str] = None,
    secret_access_key: Optional[str] = None,
    region: Optional[str] = None,
    name: str = "stack",
) -> Catalog:
    """The stack's REST catalog with S3 access through the stack's S3 server (path-style, SigV4).

    Every argument falls back to the stack env key of the same meaning.
    """
    return load_catalog(
        name,
        **{
            "type": "rest",
            "uri": _setting(uri, "ICEBERG_REST_URI"),
            "s3.endpoint": _setting(s3_endpoint, "S3_ENDPOINT"),
            "s3.access-key-id": _setting(access_key_id, "S3_ACCESS_KEY_ID"),
            "s3.secret-access-key": _setting(secret_access_key, "S3_SECRET_ACCESS_KEY"),
            "s3.region": _setting(region, "S3_REGION"),
            # A custom endpoint on 127.0.0.1 has no bucket sub-domains: address buckets by path.
            "s3.force-virtual-addressing": "false",
        },
    )


def catalog_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Adds --uri, --s3-endpoint, --access-key-id, --secret-access-key and --region (all optional)."""
    parser.add_argument("--uri")
    parser.add_argument("--s3-endpoint")
    parser.add_argument("--access-key-id")
    parser.add_argument("--secret-access-key")
    parser.add_argument("--region")
    return parser


def catalog_from_args(args: argparse.Namespace) -> Catalog:
    """rest_catalog() from what catalog_arguments() parsed, env for anything not given."""
    return rest_catalog(args.uri, args.s3_endpoint, args.access_key_id, args.secret_access_key, args.region)


def _jsonable(value: Any) -> Any:
    # Keeps values exact for comparison in TypeScript: big ints and decimals as strings, bytes as base64.
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"stack_catalog.emit: cannot encode {type(value).__name__} {value!r} as JSON")


def emit(value: Any) -> None:
    """Prints `value` as the script's one JSON document on stdout (what runPython parses)."""
    json.dump(value, sys.stdout, default=_jsonable)
    sys.stdout.write("\n")
    sys.stdout.flush()


def main_args(description: str = "") -> argparse.ArgumentParser:
    """An ArgumentParser that already has the catalog arguments."""
    return catalog_arguments(argparse.ArgumentParser(description=description))


def planned_scan(table: Any, request: dict) -> tuple[list, Any]:
    """The scan a test request describes (optional "filter" and "snapshot_id"): its planned file paths, sorted, and its rows as Arrow."""
    scan_args = {}
    if request.get("filter"):
        scan_args["row_filter"] = request["filter"]
    if request.get("snapshot_id"):
        scan_args["snapshot_id"] = int(request["snapshot_id"])
    scan = table.scan(**scan_args)
    return sorted(task.file.file_path for task in scan.plan_files()), scan.to_arrow()

