"""Vertex AI v1beta1 publisher model config (fetch/set with updateMask, LRO) and request-response logging rows.

Configs live in ``project["publisherModelConfigs"]["{location}/{model}"]`` (claude.py reads
``dataSharingEnabledProvider`` there). When ``loggingConfig.enabled`` is on for a pair, every successful
Claude call appends a row to the BigQuery table named by ``bigqueryDestination.outputUri``, creating
``request_response_logging`` (day-partitioned on ``logging_time``) on first use, as Vertex does.
"""

from __future__ import annotations

import copy
import random
import re
import time
from typing import Any

from vertex_claude_setup.emulator import bigquery

from .claude import AFTER_CALL, _check_host, _model_path
from .common import EFFECTS, new_operation, poll_operation, require_project
from .faults import WRITERS
from .googleerrors import ApiError
from .server import Request, handles, handles_path
from .state import State
from .vertex import SERVICE, vertex_project

API = "aiplatform.v1beta1"
LOG_TABLE = "request_response_logging"
TOP_FIELDS = {"loggingConfig", "dataSharingEnabledProvider", "claudeFeatureConfig", "inferenceEventLoggingConfig"}
_URI_RE = re.compile(r"bq://(?P<project>[a-z][a-z0-9-]{4,28}[a-z0-9])(?:\.(?P<dataset>[A-Za-z0-9_]+)(?:\.(?P<table>[A-Za-z0-9_]+))?)?")
# The schema Vertex writes (request-response logging docs, "Understanding the BigQuery Table Schema").
LOG_SCHEMA: list[dict[str, str]] = [
    {"name": "endpoint", "type": "STRING", "mode": "NULLABLE"},
    {"name": "deployed_model_id", "type": "STRING", "mode": "NULLABLE"},
    {"name": "logging_time", "type": "TIMESTAMP", "mode": "NULLABLE"},
    {"name": "request_id", "type": "NUMERIC", "mode": "NULLABLE"},
    {"name": "request_payload", "type": "STRING", "mode": "NULLABLE"},
    {"name": "response_payload", "type": "STRING", "mode": "NULLABLE"},
    {"name": "model", "type": "STRING", "mode": "NULLABLE"},
    {"name": "model_version", "type": "STRING", "mode": "NULLABLE"},
    {"name": "api_method", "type": "STRING", "mode": "NULLABLE"},
    {"name": "full_request", "type": "JSON", "mode": "NULLABLE"},
    {"name": "full_response", "type": "JSON", "mode": "NULLABLE"},
    {"name": "metadata", "type": "JSON", "mode": "NULLABLE"},
    {"name": "otel_log", "type": "JSON", "mode": "NULLABLE"},
]
_rng = random.Random(0)


def configs(project: dict[str, Any]) -> dict[str, Any]:
    return project.setdefault("publisherModelConfigs", {})  # type: ignore[no-any-return]


def _pair(req: Request) -> tuple[str, str]:
    if req.params.get("publishersId") != "anthropic":
        raise ApiError("NOT_FOUND", f"Publisher `{req.params.get('publishersId')}` is not supported by this emulator.")
    return req.params["locationsId"], req.params["modelsId"]


# "To use request-response logging for Anthropic models, use a regional endpoint. The global endpoint and
# multi-regional endpoints don't support this feature." (Vertex AI request-response logging docs)
MULTI_REGIONS = {"us", "eu"}


def _check_location(req: Request, location: str, model: str, *, writing: bool) -> None:
    """Global refuses the config outright; a multi-region reads it (nothing set there) but refuses to set it."""
    path = _model_path(req.params["projectsId"], location, model)
    _check_host(req, location, path)
    if location == "global" or (writing and location in MULTI_REGIONS):
        raise ApiError("INVALID_ARGUMENT", "Request-response logging for Anthropic models is not supported on the "
                                           f"{location} endpoint. Use a regional endpoint.")


def _check_model(req: Request, project: dict[str, Any], location: str, model: str) -> None:
    from .claude import _not_found, availability_of

    if availability_of(req.state, project, location, model) in {"NOT_FOUND", "NOT_FOUND_OR_NO_ACCESS"}:
        raise _not_found(_model_path(req.params["projectsId"], location, model))


@handles(API, "aiplatform.projects.locations.publishers.models.fetchPublisherModelConfig")
def fetch_config(req: Request) -> dict[str, Any]:
    location, model = _pair(req)
    project = vertex_project(req, "aiplatform.endpoints.get")
    _check_location(req, location, model, writing=False)
    _check_model(req, project, location, model)
    with req.state.lock:
        return copy.deepcopy(configs(project).get(f"{location}/{model}", {}))


def _mask_paths(raw: Any) -> list[str]:
    def camel(path: str) -> str:
        return ".".join(re.sub(r"_([a-z])", lambda m: m.group(1).upper(), part) for part in path.split("."))

    return [camel(p.strip()) for p in str(raw or "").split(",") if p.strip()]


def _merge(current: dict[str, Any], new: dict[str, Any], mask: list[str]) -> dict[str, Any]:
    """``updateMask`` semantics: empty replaces the whole config; else only the listed paths change."""
    if not mask:
        return copy.deepcopy(new)
    out = copy.deepcopy(current)
    for path in mask:
        parts = path.split(".")
        if parts[0] not in TOP_FIELDS:
            raise ApiError("INVALID_ARGUMENT", f"Invalid update mask path: {path}.")
        src: Any = new
        for part in parts:
            src = src.get(part) if isinstance(src, dict) else None
        dst = out
        for part in parts[:-1]:
            dst = dst.setdefault(part, {})
        if src is None:
            dst.pop(parts[-1], None)
        else:
            dst[parts[-1]] = copy.deepcopy(src)
    return out


def _check_logging(req: Request, config: dict[str, Any]) -> None:
    logging = config.get("loggingConfig")
    if not logging:
        return
    logging.pop("requestResponseLoggingSchemaVersion", None)  # output only
    rate = logging.get("samplingRate")
    if rate is not None and not 0 < float(rate) <= 1:
        raise ApiError("INVALID_ARGUMENT", "sampling_rate must be in range (0, 1].")
    error_rate = logging.get("errorSamplingRate")
    if error_rate is not None and not 0 <= float(error_rate) <= 1:
        raise ApiError("INVALID_ARGUMENT", "error_sampling_rate must be in range [0, 1].")
    uri = str((logging.get("bigqueryDestination") or {}).get("outputUri") or "")
    if logging.get("enabled") and not uri:
        raise ApiError("INVALID_ARGUMENT", "bigquery_destination.output_uri is required when logging is enabled.")
    if not uri:
        return
    match = _URI_RE.fullmatch(uri)
    if not match:
        raise ApiError("INVALID_ARGUMENT", f"Invalid BigQuery output URI: {uri}. Expected bq://project[.dataset[.table]].")
    if match.group("dataset") and match.group("table"):
        target = req.state.project(match.group("project"))
        if target is None or match.group("dataset") not in bigquery.store(target)["datasets"]:
            raise ApiError("INVALID_ARGUMENT", f"BigQuery dataset {match.group('project')}:{match.group('dataset')} "
                                               "does not exist. When the full table is given, the dataset must exist.")
    logging["requestResponseLoggingSchemaVersion"] = "v1"


def _apply_config(state: State, project_id: str, key: str, config: dict[str, Any]) -> None:
    project = state.project(project_id)
    assert project is not None
    with state.lock:
        configs(project)[key] = config


EFFECTS["publisher_model_config"] = _apply_config


def _write_sampling(state: State, rule: dict[str, Any]) -> bool:
    """Another writer (scenario ``concurrent_writes``) sets a pair's request-response logging ``samplingRate``,
    only where logging is on; with ``only_raise`` only a higher one."""
    project = state.project(str(rule["project"]))
    with state.lock:
        config = configs(project).get(f"{rule['location']}/{rule['model']}") if project else None
        logging = (config or {}).get("loggingConfig") or {}
        rate = float(rule["samplingRate"])
        if not logging.get("enabled"):
            return False
        if rule.get("only_raise") and float(logging.get("samplingRate", 1.0)) >= rate:
            return False
        logging["samplingRate"] = rate
        return True


WRITERS["publisher_model_config"] = _write_sampling


@handles(API, "aiplatform.projects.locations.publishers.models.setPublisherModelConfig")
def set_config(req: Request) -> dict[str, Any]:
    location, model = _pair(req)
    project = vertex_project(req, "aiplatform.endpoints.update")
    _check_location(req, location, model, writing=True)
    _check_model(req, project, location, model)
    body = req.body or {}
    new = body.get("publisherModelConfig")
    if not isinstance(new, dict):
        raise ApiError("INVALID_ARGUMENT", "publisher_model_config is required.")
    key = f"{location}/{model}"
    with req.state.lock:
        merged = _merge(configs(project).get(key, {}), new, _mask_paths(body.get("updateMask")))
    _check_logging(req, merged)
    op_id = req.state.next_id("vertex-operation") + 1_000_000_000_000_000
    name = f"projects/{project['projectNumber']}/locations/{location}/operations/{op_id}"
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
    metadata = {"@type": "type.googleapis.com/google.cloud.aiplatform.v1beta1.SetPublisherModelConfigOperationMetadata",
                "genericMetadata": {"createTime": stamp, "updateTime": stamp}}
    response = {"@type": "type.googleapis.com/google.cloud.aiplatform.v1beta1.PublisherModelConfig", **merged}
    return new_operation(req.state, name, response, metadata=metadata,
                         effect=("publisher_model_config",
                                 {"project_id": project["projectId"], "key": key, "config": merged}))


def _get_operation(req: Request, name: str) -> dict[str, Any]:
    project_ref = name.split("/")[1]
    # Google's Vertex AI permissions page: a long-running operation's GET needs the resource's own get
    # permission (here the publisher model config's, read with aiplatform.endpoints.get); it lists no
    # aiplatform.operations.get.
    require_project(req.state, project_ref, "aiplatform.endpoints.get", SERVICE)
    return poll_operation(req.state, name)


@handles(API, "aiplatform.projects.locations.operations.get")
def get_operation(req: Request) -> dict[str, Any]:
    p = req.params
    return _get_operation(req, f"projects/{p['projectsId']}/locations/{p['locationsId']}/operations/"
                               f"{p['operationsId']}")


@handles_path("GET", r"^/ui/(?P<name>projects/[^/]+/locations/[^/]+/operations/[^/]+)$", service=SERVICE)
def get_operation_ui(req: Request) -> dict[str, Any]:
    """The generated aiplatform REST client polls ``GET /ui/{name}`` (its first http rule)."""
    return _get_operation(req, req.params["name"])


# -- request-response logging rows ------------------------------------------------------------------
def _log_row(record: dict[str, Any], location: str, model: str, project_number: str) -> dict[str, Any]:
    response = record.get("response") or {}
    return {
        "endpoint": f"projects/{project_number}/locations/{location}/publishers/anthropic/models/{model}",
        "deployed_model_id": "",
        "logging_time": int(record.get("time", time.time()) * 1_000_000),
        "request_id": str(_rng.randrange(10**17, 10**18)),
        "request_payload": None,  # partner models fill full_request / full_response
        "response_payload": None,
        "model": f"publishers/anthropic/models/{model.split('@')[0]}",
        "model_version": model.split("@")[1] if "@" in model else "",
        "api_method": record.get("api_method", "rawPredict"),
        "full_request": record.get("request"),
        "full_response": response,
        "metadata": {"request_latency": "12ms", "usage": response.get("usage")},
        "otel_log": None,
    }


def log_call(state: State, record: dict[str, Any]) -> None:
    """AFTER_CALL hook: append a row when logging is enabled for (project, location, model)."""
    project = state.project(record["project"])
    if project is None:
        return
    location, model = record["location"], record["model"]
    with state.lock:
        logging = (configs(project).get(f"{location}/{model}") or {}).get("loggingConfig") or {}
        if not logging.get("enabled"):
            return
        if _rng.random() >= float(logging.get("samplingRate", 1.0)):
            return
        match = _URI_RE.fullmatch(str((logging.get("bigqueryDestination") or {}).get("outputUri") or ""))
        if not match:
            return
        target = state.project(match.group("project"))
        dataset = match.group("dataset")
        if target is None or not dataset or dataset not in bigquery.store(target)["datasets"]:
            return  # Vertex cannot write: the rows are lost, as on Google
        table = match.group("table") or LOG_TABLE
        if f"{dataset}/{table}" not in bigquery.store(target)["tables"]:
            bigquery.create_table(target, dataset, table, {
                "schema": {"fields": copy.deepcopy(LOG_SCHEMA)},
                "timePartitioning": {"type": "DAY", "field": "logging_time"}})
        bigquery.append_row(state, target, dataset, table, _log_row(record, location, model, project["projectNumber"]))


AFTER_CALL.append(log_call)
