"""BigQuery v2: datasets and tables (expirations, time partitioning) and table rows, with BigQuery's error bodies.

BigQuery errors carry a legacy ``errors[]`` list (``reason`` notFound / duplicate / invalid) next to
``status``; the Python client reads both. Rows live in state so request-response logging can be proven.
"""

from __future__ import annotations

import copy
import re
import time
from typing import Any

from .common import require_project
from .faults import WRITERS, raises_expiration
from .googleerrors import ApiError
from .server import Request, handles
from .state import State

API = "bigquery.v2"
HOST = "bigquery.googleapis.com"
SERVICE = "bigquery.googleapis.com"
MIN_TABLE_EXPIRATION_MS = 3_600_000
_LOCATION_RE = re.compile(r"US|EU|[a-z]+-[a-z]+[0-9]+")


class BigQueryError(ApiError):
    """An ApiError with BigQuery's extra ``errors[]`` entry (``reason`` like ``notFound``)."""

    def __init__(self, status: str, message: str, reason: str, http_code: int | None = None) -> None:
        super().__init__(status, message, http_code=http_code)
        self.reason = reason

    def body(self) -> dict[str, Any]:
        out = super().body()
        out["error"]["errors"] = [{"message": self.message, "domain": "global", "reason": self.reason}]
        return out


def now_ms() -> str:
    return str(int(time.time() * 1000))


def store(project: dict[str, Any]) -> dict[str, Any]:
    """The project's BigQuery data: ``datasets``, ``tables`` ("d/t") and ``rows`` ("d/t")."""
    bq: dict[str, Any] = project.setdefault("bigquery", {})
    for key in ("datasets", "tables", "rows"):
        bq.setdefault(key, {})
    return bq


def _project(req: Request, permission: str) -> dict[str, Any]:
    project = require_project(req.state, req.params["projectsId"], permission, HOST)
    if project["services"].get(SERVICE) == "DISABLED":  # on by default in every project
        from .common import require_service

        require_service(req.state, project, SERVICE)
    return project


def _dataset_not_found(pid: str, dataset: str) -> BigQueryError:
    return BigQueryError("NOT_FOUND", f"Not found: Dataset {pid}:{dataset}", "notFound")


def _table_not_found(pid: str, dataset: str, table: str) -> BigQueryError:
    return BigQueryError("NOT_FOUND", f"Not found: Table {pid}:{dataset}.{table}", "notFound")


def _invalid(message: str) -> BigQueryError:
    return BigQueryError("INVALID_ARGUMENT", message, "invalid")


def check_if_match(req: Request, resource: dict[str, Any]) -> None:
    """``If-Match: <etag>`` on a patch: 412 when the resource changed since it was read (read-patch-write)."""
    wanted = req.headers.get("if-match", "").strip()
    if wanted and wanted != "*" and wanted != str(resource.get("etag", "")):
        raise BigQueryError("FAILED_PRECONDITION", "Precondition check failed.", "conditionNotMet", http_code=412)


def _int_ms(value: Any, field: str) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _invalid(f"Invalid value for {field}: {value}") from None


def _check_dataset_fields(body: dict[str, Any]) -> None:
    table_ms = _int_ms(body.get("defaultTableExpirationMs"), "defaultTableExpirationMs")
    if table_ms is not None and 0 < table_ms < MIN_TABLE_EXPIRATION_MS:
        raise _invalid("Invalid value for defaultTableExpirationMs: the minimum is 3600000 (one hour).")
    part_ms = _int_ms(body.get("defaultPartitionExpirationMs"), "defaultPartitionExpirationMs")
    if part_ms is not None and part_ms < 0:
        raise _invalid("Invalid value for defaultPartitionExpirationMs.")


def _dataset_json(pid: str, dataset_id: str, spec: dict[str, Any]) -> dict[str, Any]:
    out = {"kind": "bigquery#dataset", "id": f"{pid}:{dataset_id}",
           "selfLink": f"https://{HOST}/bigquery/v2/projects/{pid}/datasets/{dataset_id}",
           "datasetReference": {"projectId": pid, "datasetId": dataset_id}}
    out.update(spec)
    return out


def seed_dataset(project: dict[str, Any], dataset_id: str, **fields: Any) -> dict[str, Any]:
    """Create a dataset directly in state (scenarios and the logging hook use it)."""
    stamp = now_ms()
    record = {"location": "US", "creationTime": stamp, "lastModifiedTime": stamp, "etag": "e1",
              "access": [{"role": "OWNER", "specialGroup": "projectOwners"},
                         {"role": "WRITER", "specialGroup": "projectWriters"},
                         {"role": "READER", "specialGroup": "projectReaders"}]}
    record.update(fields)
    store(project)["datasets"][dataset_id] = _dataset_json(project["projectId"], dataset_id, record)
    return store(project)["datasets"][dataset_id]  # type: ignore[no-any-return]


def _bump(resource: dict[str, Any]) -> None:
    resource["lastModifiedTime"] = now_ms()
    digits = re.sub(r"\D", "", str(resource.get("etag", ""))) or "0"
    resource["etag"] = f"e{int(digits) + 1}"


# -- datasets ----------------------------------------------------------------------------------------
@handles(API, "bigquery.datasets.get")
def get_dataset(req: Request) -> dict[str, Any]:
    project = _project(req, "bigquery.datasets.get")
    with req.state.lock:
        found = store(project)["datasets"].get(req.params["datasetsId"])
        if found is None:
            raise _dataset_not_found(project["projectId"], req.params["datasetsId"])
        return copy.deepcopy(found)


@handles(API, "bigquery.datasets.insert")
def insert_dataset(req: Request) -> dict[str, Any]:
    project = _project(req, "bigquery.datasets.create")
    body = dict(req.body or {})
    ref = body.get("datasetReference") or {}
    dataset_id = str(ref.get("datasetId") or "")
    pid = project["projectId"]
    if not re.fullmatch(r"[A-Za-z0-9_]{1,1024}", dataset_id):
        raise _invalid(f"Invalid dataset ID \"{dataset_id}\". Dataset IDs must be alphanumeric (plus underscores) "
                       "and must be at most 1024 characters long.")
    location = str(body.get("location") or "US")
    if not _LOCATION_RE.fullmatch(location):
        raise _invalid(f"Invalid location: {location}")
    _check_dataset_fields(body)
    with req.state.lock:
        if dataset_id in store(project)["datasets"]:
            raise BigQueryError("ALREADY_EXISTS", f"Already Exists: Dataset {pid}:{dataset_id}", "duplicate")
        fields = {k: v for k, v in body.items() if k not in {"datasetReference", "id", "kind", "selfLink"}
                  and v is not None}
        fields["location"] = location
        for key in ("defaultTableExpirationMs", "defaultPartitionExpirationMs"):
            if key in fields:
                fields[key] = str(fields[key])
        return copy.deepcopy(seed_dataset(project, dataset_id, **fields))


@handles(API, "bigquery.datasets.patch")
def patch_dataset(req: Request) -> dict[str, Any]:
    project = _project(req, "bigquery.datasets.update")
    body = dict(req.body or {})
    _check_dataset_fields(body)
    with req.state.lock:
        found = store(project)["datasets"].get(req.params["datasetsId"])
        if found is None:
            raise _dataset_not_found(project["projectId"], req.params["datasetsId"])
        check_if_match(req, found)
        if "location" in body and body["location"] not in (None, found["location"]):
            raise _invalid("Cannot change dataset location.")
        for key, value in body.items():
            if key in {"datasetReference", "id", "kind", "selfLink", "etag", "creationTime", "lastModifiedTime",
                       "location"}:
                continue
            if key in {"defaultTableExpirationMs", "defaultPartitionExpirationMs"} and (
                    value is None or int(value) == 0):
                found.pop(key, None)  # "To clear an existing default expiration with a PATCH request, set to 0."
            elif value is None:
                found.pop(key, None)
            else:
                found[key] = str(value) if key.endswith("ExpirationMs") else value
        _bump(found)
        return copy.deepcopy(found)


# -- tables ------------------------------------------------------------------------------------------
def _table_key(req: Request) -> str:
    return f"{req.params['datasetsId']}/{req.params['tablesId']}"


def _need_dataset(project: dict[str, Any], dataset_id: str) -> dict[str, Any]:
    found = store(project)["datasets"].get(dataset_id)
    if found is None:
        raise _dataset_not_found(project["projectId"], dataset_id)
    return found  # type: ignore[no-any-return]


def _with_num_rows(project: dict[str, Any], key: str, table: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(table)
    out["numRows"] = str(len(store(project)["rows"].get(key, [])))
    return out


@handles(API, "bigquery.tables.get")
def get_table(req: Request) -> dict[str, Any]:
    project = _project(req, "bigquery.tables.get")
    with req.state.lock:
        key, found = _existing_table(req, project)
        return _with_num_rows(project, key, found)


def _existing_table(req: Request, project: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The table the path names, or BigQuery's 404 for its dataset or for it (call with the state lock held)."""
    _need_dataset(project, req.params["datasetsId"])
    key = _table_key(req)
    found = store(project)["tables"].get(key)
    if found is None:
        raise _table_not_found(project["projectId"], req.params["datasetsId"], req.params["tablesId"])
    return key, found


def create_table(project: dict[str, Any], dataset_id: str, table_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A new table inheriting the dataset's default expirations, as BigQuery does."""
    dataset = _need_dataset(project, dataset_id)
    pid = project["projectId"]
    stamp = now_ms()
    table: dict[str, Any] = {
        "kind": "bigquery#table", "id": f"{pid}:{dataset_id}.{table_id}", "etag": "t1",
        "selfLink": f"https://{HOST}/bigquery/v2/projects/{pid}/datasets/{dataset_id}/tables/{table_id}",
        "tableReference": {"projectId": pid, "datasetId": dataset_id, "tableId": table_id},
        "type": "TABLE", "location": dataset["location"], "creationTime": stamp, "lastModifiedTime": stamp}
    table.update({k: copy.deepcopy(v) for k, v in fields.items() if v is not None and k not in {
        "tableReference", "id", "kind", "selfLink", "etag", "creationTime", "lastModifiedTime", "location"}})
    partitioning = table.get("timePartitioning")
    if partitioning is not None and partitioning.get("expirationMs") is None and dataset.get(
            "defaultPartitionExpirationMs"):
        partitioning["expirationMs"] = dataset["defaultPartitionExpirationMs"]
    if "expirationTime" not in table and dataset.get("defaultTableExpirationMs") and not (
            partitioning is not None and dataset.get("defaultPartitionExpirationMs")):
        table["expirationTime"] = str(int(stamp) + int(dataset["defaultTableExpirationMs"]))
    store(project)["tables"][f"{dataset_id}/{table_id}"] = table
    return table


@handles(API, "bigquery.tables.insert")
def insert_table(req: Request) -> dict[str, Any]:
    project = _project(req, "bigquery.tables.create")
    body = dict(req.body or {})
    table_id = str((body.get("tableReference") or {}).get("tableId") or "")
    if not table_id:
        raise _invalid("Table ID is required.")
    _check_partitioning(body.get("timePartitioning"))
    with req.state.lock:
        dataset_id = req.params["datasetsId"]
        if f"{dataset_id}/{table_id}" in store(project)["tables"]:
            raise BigQueryError("ALREADY_EXISTS", f"Already Exists: Table {project['projectId']}:{dataset_id}."
                                                  f"{table_id}", "duplicate")
        return _with_num_rows(project, f"{dataset_id}/{table_id}",
                              create_table(project, dataset_id, table_id, body))


def _check_partitioning(partitioning: Any) -> None:
    if partitioning is None:
        return
    if partitioning.get("type") not in {"DAY", "HOUR", "MONTH", "YEAR"}:
        raise _invalid("Invalid value for timePartitioning.type: must be DAY, HOUR, MONTH or YEAR.")
    expiration = _int_ms(partitioning.get("expirationMs"), "timePartitioning.expirationMs")
    if expiration is not None and expiration <= 0:
        raise _invalid("Invalid value for timePartitioning.expirationMs: 0 is an invalid value.")


@handles(API, "bigquery.tables.patch")
def patch_table(req: Request) -> dict[str, Any]:
    project = _project(req, "bigquery.tables.update")
    body = dict(req.body or {})
    with req.state.lock:
        key, found = _existing_table(req, project)
        check_if_match(req, found)
        if "timePartitioning" in body and body["timePartitioning"] is not None:
            new = dict(body["timePartitioning"])
            old = found.get("timePartitioning")
            if old is None:
                raise _invalid("Cannot convert a non-partitioned table to a partitioned table.")
            if new.get("type", old["type"]) != old["type"] or new.get("field", old.get("field")) != old.get("field"):
                raise _invalid("Cannot change partitioning spec of a table.")
            merged = {**old, **{k: v for k, v in new.items() if v is not None}}
            if "expirationMs" in new and new["expirationMs"] is None:
                merged.pop("expirationMs", None)
            _check_partitioning(merged)
            found["timePartitioning"] = merged
        for field_name in ("expirationTime", "description", "labels", "friendlyName", "requirePartitionFilter"):
            if field_name in body:
                if body[field_name] is None:
                    found.pop(field_name, None)
                else:
                    found[field_name] = body[field_name]
        _bump(found)
        return _with_num_rows(project, key, found)


# -- another client's writes (scenario ``concurrent_writes``) --------------------------------------------
def _write_dataset(state: State, rule: dict[str, Any]) -> bool:
    """Another writer sets the dataset's ``defaultPartitionExpirationMs`` (its etag changes, as on any write);
    with ``only_raise`` only a longer one. False when nothing was written."""
    project = state.project(str(rule["project"]))
    with state.lock:
        found = None if project is None else store(project)["datasets"].get(str(rule["dataset"]))
        if found is None:
            return False  # nothing to change: the other writer's PATCH would have been a 404
        value = str(rule["defaultPartitionExpirationMs"])
        if rule.get("only_raise") and not raises_expiration(found.get("defaultPartitionExpirationMs"), value):
            return False
        found["defaultPartitionExpirationMs"] = value
        _bump(found)
        return True


def _write_table(state: State, rule: dict[str, Any]) -> bool:
    """Another writer sets the table's ``timePartitioning.expirationMs`` (with ``only_raise``: only a longer one)."""
    project = state.project(str(rule["project"]))
    with state.lock:
        found = None if project is None else store(project)["tables"].get(f"{rule['dataset']}/{rule['table']}")
        if found is None or found.get("timePartitioning") is None:
            return False
        value = str(rule["expirationMs"])
        if rule.get("only_raise") and not raises_expiration(found["timePartitioning"].get("expirationMs"), value):
            return False
        found["timePartitioning"]["expirationMs"] = value
        _bump(found)
        return True


WRITERS["dataset"] = _write_dataset
WRITERS["table"] = _write_table


# -- rows --------------------------------------------------------------------------------------------
def _cell(value: Any) -> Any:
    """tabledata.list sends every cell as a string (JSON columns as JSON text)."""
    import json

    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def _ts_cell(micros: Any, int64: bool) -> Any:
    """TIMESTAMP cells: microseconds with ``useInt64Timestamp``, else float seconds ("1.7E9")."""
    if micros is None:
        return None
    return str(int(micros)) if int64 else f"{int(micros) / 1e6:.6E}"


@handles(API, "bigquery.tabledata.list")
def list_rows(req: Request) -> dict[str, Any]:
    project = _project(req, "bigquery.tables.getData")
    with req.state.lock:
        key, table = _existing_table(req, project)
        rows = list(store(project)["rows"].get(key, []))
    fields = (table.get("schema") or {}).get("fields", [])
    names = [f["name"] for f in fields]
    int64_ts = req.q("formatOptions.useInt64Timestamp").lower() == "true"
    timestamps = {f["name"] for f in fields if f.get("type") == "TIMESTAMP"}
    start = int(req.q("startIndex", "0") or 0)
    limit = int(req.q("maxResults", "0") or 0) or len(rows)
    page = rows[start:start + limit]
    def cell(row: dict[str, Any], name: str) -> Any:
        return _ts_cell(row.get(name), int64_ts) if name in timestamps else _cell(row.get(name))

    out: dict[str, Any] = {"kind": "bigquery#tableDataList", "etag": f"r{len(rows)}", "totalRows": str(len(rows)),
                           "rows": [{"f": [{"v": cell(row, n)} for n in names]} for row in page]}
    if start + limit < len(rows):
        out["pageToken"] = str(start + limit)
    return out


def append_row(state: State, project: dict[str, Any], dataset_id: str, table_id: str, row: dict[str, Any]) -> None:
    """Append one row (already in column -> value form) to a table."""
    with state.lock:
        store(project)["rows"].setdefault(f"{dataset_id}/{table_id}", []).append(row)
