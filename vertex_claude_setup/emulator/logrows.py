"""Request-response logging rows: what Vertex AI writes to BigQuery after each logged Claude call.

An ``AFTER_CALL`` hook of ``claude.py``: when the project's publisher model config for
``{location}/{model}`` has ``loggingConfig.enabled``, one row is appended to the table named by
``loggingConfig.bigqueryDestination.outputUri`` (``bq://P.D.T``; ``bq://P.D`` and ``bq://P`` mean the
default ``request_response_logging`` table). Rows live in
``state.data["bigquery"]["tables"]["P.D.T"]["rows"]`` (a list of ``{column: python value}``) and are
served by ``tabledata.list`` in the table's schema column order, as BigQuery does.
"""

from __future__ import annotations

import json
import random
from typing import Any

from .claude import AFTER_CALL
from .googleerrors import ApiError
from .server import Request, handles
from .state import State

DEFAULT_TABLE = "request_response_logging"
# The documented schema of the request-response logging table, in column order.
SCHEMA: list[tuple[str, str]] = [
    ("endpoint", "STRING"), ("deployed_model_id", "STRING"), ("logging_time", "TIMESTAMP"),
    ("request_id", "NUMERIC"), ("request_payload", "STRING"), ("response_payload", "STRING"),
    ("model", "STRING"), ("model_version", "STRING"), ("api_method", "STRING"), ("full_request", "JSON"),
    ("full_response", "JSON"), ("metadata", "JSON"), ("otel_log", "JSON"),
]


def table_key(output_uri: str, project: str) -> str:
    """``bq://P.D.T`` -> ``P.D.T``; a missing dataset gets Vertex's generated name, a missing table the default."""
    parts = output_uri.removeprefix("bq://").split(".") if output_uri else [project]
    if len(parts) == 1:
        parts.append("logging_publisher_anthropic")
    if len(parts) == 2:
        parts.append(DEFAULT_TABLE)
    return ".".join(parts[:3])


def tables(state: State) -> dict[str, Any]:
    with state.lock:
        bigquery = state.data.setdefault("bigquery", {})
        out: dict[str, Any] = bigquery.setdefault("tables", {})
        return out


def _log_row(state: State, record: dict[str, Any]) -> None:
    project = state.project(str(record["project"]))
    if project is None:
        return
    location, model = str(record["location"]), str(record["model"])
    config = (project.get("publisherModelConfigs") or {}).get(f"{location}/{model}") or {}
    logging_config = config.get("loggingConfig") or {}
    if not logging_config.get("enabled"):
        return
    rate = float(logging_config.get("samplingRate", 1.0) or 1.0)
    request_id = state.next_id("logged-request")
    if rate < 1.0 and random.Random(f"{state.data.get('seed', 0)}-{request_id}").random() >= rate:
        return
    uri = str((logging_config.get("bigqueryDestination") or {}).get("outputUri", ""))
    key = table_key(uri, project["projectId"])
    base, _, version = model.partition("@")
    started = float(record.get("started", record["time"]))
    row = {
        "endpoint": f"projects/{project['projectNumber']}/locations/{location}/publishers/anthropic/models/{base}",
        "deployed_model_id": None,
        "logging_time": float(record["time"]),
        "request_id": str(10**17 + request_id),
        "request_payload": None,
        "response_payload": None,
        "model": base,
        "model_version": version or None,
        "api_method": str(record["api_method"]),
        "full_request": record["request"],
        "full_response": record["response"],
        "metadata": {"request_latency": str(max(0, int((float(record["time"]) - started) * 1000)))},
        "otel_log": None,
    }
    with state.lock:
        table = tables(state).setdefault(key, {"schema": [{"name": n, "type": t} for n, t in SCHEMA], "rows": []})
        table["rows"].append(row)
    state.save()


AFTER_CALL.append(_log_row)


def _cell(kind: str, value: Any, int64_timestamps: bool) -> Any:
    """A value as tabledata.list encodes it: every scalar a string, JSON columns as JSON text."""
    if value is None:
        return None
    if kind == "TIMESTAMP":
        seconds = float(value)
        if int64_timestamps:
            return str(round(seconds * 1_000_000))
        mantissa, exponent = f"{seconds:.15E}".split("E")  # BigQuery's style: "1.700000000123456E9"
        return f"{mantissa.rstrip('0').rstrip('.')}E{int(exponent)}"
    if kind == "JSON":
        return json.dumps(value, separators=(",", ":"))
    if kind == "BOOLEAN":
        return "true" if value else "false"
    return str(value)


@handles("bigquery.v2", "bigquery.tabledata.list")
def list_rows(req: Request) -> dict[str, Any]:
    """``tabledata.list``: rows as ``{"f": [{"v": ...}]}`` in schema order, paged by ``pageToken``."""
    pid, dataset, table_id = req.params["projectsId"], req.params["datasetsId"], req.params["tablesId"]
    project = req.state.project(pid)
    if project is None:
        raise ApiError("NOT_FOUND", f"Not found: Project {pid}")
    permissions = project.get("permissions")
    if permissions is not None and "bigquery.tables.getData" not in permissions:
        raise ApiError("PERMISSION_DENIED", f"Access Denied: Table {pid}:{dataset}.{table_id}: Permission "
                                            "bigquery.tables.getData denied on table "
                                            f"{pid}:{dataset}.{table_id} (or it may not exist).")
    table = tables(req.state).get(f"{pid}.{dataset}.{table_id}")
    if table is None:
        raise ApiError("NOT_FOUND", f"Not found: Table {pid}:{dataset}.{table_id}")
    schema = [(str(f["name"]), str(f.get("type", "STRING"))) for f in table.get("schema") or []] or SCHEMA
    with req.state.lock:
        rows = list(table.get("rows", []))
    start = int(req.q("pageToken") or req.q("startIndex") or 0)
    size = int(req.q("maxResults") or 100_000)
    int64_ts = req.q("formatOptions.useInt64Timestamp").lower() == "true"
    page = rows[start:start + size]
    out: dict[str, Any] = {"kind": "bigquery#tableDataList", "etag": f"\"{len(rows)}\"", "totalRows": str(len(rows))}
    if page:
        out["rows"] = [{"f": [{"v": _cell(kind, row.get(name), int64_ts)} for name, kind in schema]} for row in page]
    if start + size < len(rows):
        out["pageToken"] = str(start + size)
    return out
