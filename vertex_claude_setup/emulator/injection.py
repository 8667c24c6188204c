"""Chaos beyond plain faults: connection resets, per-endpoint propagation windows, failing or long-pending
operations, and concurrent writers that strike right after a matched request.

The chaos suite (``benchmarks/chaos.py``) needs what the real Google does to a tool under load, which the
plain ``[[faults]]`` rules cannot say. Everything here is off unless a scenario (or the admin surface) asks:

* a fault rule with ``reset = "before"`` drops the connection (TCP RST) without processing the call, with
  ``"after"`` it processes the call and loses the answer (with ``latency_ms``: a stall, then the drop);
* a fault rule with ``service_disabled = "<service>"`` answers Google's ``SERVICE_DISABLED`` error on the
  endpoints it matches while that service is already ENABLED on the path's project: propagation after an
  enable reaches endpoints one by one (``times`` is the window, in calls);
* ``[[operation_faults]]`` (``name`` glob, ``polls``, ``status``, ``message``, ``times``) make new
  operations stay pending for ``polls`` polls and/or finish with an error (their effect never happens);
* ``[[triggers]]`` (``method``, ``path`` glob, ``status``, ``nth``, ``writer``, ``args``) run a concurrent
  writer once, right after the ``nth`` matching call was answered: it *raises* a retention or sampling rate,
  or adds an IAM binding or audit config, bumping the etag as Google does.

Imports of sibling API modules are lazy: they import the server, which imports this module.
"""

from __future__ import annotations

import copy
import fnmatch
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .googleerrors import STATUS_FOR_HTTP, ApiError

if TYPE_CHECKING:
    from .state import State

TRIGGER_KEYS = {"method", "path", "status", "nth", "writer", "args", "seen", "fired"}
OPERATION_FAULT_KEYS = {"name", "polls", "status", "message", "times"}
RESETS = {"before", "after"}
_PROJECT_IN_PATH = re.compile(r"/projects/(?P<ref>[^/:]+)")


class ConnectionReset(Exception):
    """The server drops the connection instead of answering (a TCP reset)."""


# -- per-endpoint propagation windows ------------------------------------------------------------------
def _project_of(data: dict[str, Any], path: str) -> dict[str, Any] | None:
    match = _PROJECT_IN_PATH.search(path)
    if not match:
        return None
    ref = match.group("ref")
    projects: dict[str, dict[str, Any]] = data.get("projects", {})
    if ref in projects:
        return projects[ref]
    return next((p for p in projects.values() if p.get("projectNumber") == ref), None)


def window_open(data: dict[str, Any], service: str, path: str) -> bool:
    """A ``service_disabled`` rule applies only once the service is on for the project in the path."""
    project = _project_of(data, path)
    return project is not None and project.get("services", {}).get(service) == "ENABLED"


def propagation_error(data: dict[str, Any], service: str, path: str) -> ApiError:
    """Google's SERVICE_DISABLED answer for ``service`` on the project named in ``path``."""
    from .common import SERVICE_TITLES
    from .googleerrors import service_disabled

    project = _project_of(data, path) or {}
    return service_disabled(str(project.get("projectNumber", "")), service, SERVICE_TITLES.get(service, service))


# -- operations -------------------------------------------------------------------------------------
def operation_fault(state: State, name: str) -> tuple[int | None, ApiError | None]:
    """(polls to stay pending, error to finish with) for a new operation named ``name``, from the first
    matching ``operation_faults`` rule with shots left; (None, None) when none matches."""
    with state.lock:
        for rule in state.data.get("operation_faults", []):
            if not fnmatch.fnmatchcase(name, str(rule.get("name", "*"))):
                continue
            if rule.get("times") is not None:
                if int(rule["times"]) <= 0:
                    continue
                rule["times"] = int(rule["times"]) - 1
            polls = int(rule["polls"]) if rule.get("polls") is not None else None
            error = None
            if rule.get("status"):
                status = str(rule["status"])
                if status.isdigit():
                    status = STATUS_FOR_HTTP.get(int(status), "UNKNOWN")
                error = ApiError(status, str(rule.get("message") or f"Operation failed: {status}."))
            return polls, error
    return None, None


# -- concurrent writers -----------------------------------------------------------------------------
def after_request(state: State, method: str, path: str, status: int) -> None:
    """Count ``path`` against every trigger; run the writers whose ``nth`` matching call this was."""
    ran = False
    with state.lock:
        for rule in state.data.get("triggers", []):
            if rule.get("fired"):
                continue
            if rule.get("method") and str(rule["method"]).upper() != method:
                continue
            if rule.get("path") and not fnmatch.fnmatchcase(path, str(rule["path"])):
                continue
            if rule.get("status") is not None and int(rule["status"]) != status:
                continue
            rule["seen"] = int(rule.get("seen", 0)) + 1
            if rule["seen"] < int(rule.get("nth", 1)):
                continue
            rule["fired"] = WRITERS[str(rule["writer"])](state, **dict(rule.get("args") or {}))
            ran = ran or rule["fired"]
    if ran:
        state.save()


def _project(state: State, args: dict[str, Any]) -> dict[str, Any] | None:
    return state.project(str(args["project"]))


def _raise_ms(resource: dict[str, Any], key: str, ms: int) -> bool:
    """Raise an expiration to ``ms`` (absent = forever: never shortened). True when it changed."""
    current = resource.get(key)
    if current in (None, "", "0", 0) or int(current) >= ms:
        return False
    resource[key] = str(ms)
    return True


def _bump_bq(resource: dict[str, Any]) -> None:
    from .bigquery import now_ms

    resource["lastModifiedTime"] = now_ms()
    digits = re.sub(r"\D", "", str(resource.get("etag", ""))) or "0"
    resource["etag"] = f"e{int(digits) + 1}"


def dataset_partition_expiry(state: State, **args: Any) -> bool:
    """Another writer raises the dataset's default partition expiration (to ``ms``)."""
    from .bigquery import store

    project = _project(state, args)
    dataset = store(project)["datasets"].get(args["dataset"]) if project else None
    if dataset is None or not _raise_ms(dataset, "defaultPartitionExpirationMs", int(args["ms"])):
        return False
    _bump_bq(dataset)
    return True


def table_partition_expiry(state: State, **args: Any) -> bool:
    """Another writer raises a table's partition expiration (to ``ms``)."""
    from .bigquery import store

    project = _project(state, args)
    table = store(project)["tables"].get(f"{args['dataset']}/{args['table']}") if project else None
    partitioning = (table or {}).get("timePartitioning")
    if table is None or partitioning is None or not _raise_ms(partitioning, "expirationMs", int(args["ms"])):
        return False
    _bump_bq(table)
    return True


def bucket_retention(state: State, **args: Any) -> bool:
    """Another writer raises a log bucket's retention (to ``days``); a locked bucket cannot change."""
    from .logging_grpc import buckets

    project = _project(state, args)
    key = f"{args.get('location', 'global')}/{args.get('bucket', '_Default')}"
    bucket = buckets(project).get(key) if project else None
    if bucket is None or bucket.get("locked") or int(bucket.get("retentionDays", 30)) >= int(args["days"]):
        return False
    bucket["retentionDays"] = int(args["days"])
    return True


def sampling_rate(state: State, **args: Any) -> bool:
    """Another writer raises a pair's request-response logging sampling rate (only where logging is on)."""
    project = _project(state, args)
    config = (project or {}).get("publisherModelConfigs", {}).get(f"{args['location']}/{args['model']}") or {}
    logging = config.get("loggingConfig") or {}
    if not logging.get("enabled") or float(logging.get("samplingRate", 1.0)) >= float(args["rate"]):
        return False
    logging["samplingRate"] = float(args["rate"])
    return True


def _bump_iam(project: dict[str, Any]) -> None:
    from .resourcemanager import _next_etag

    project["iamPolicy"]["etag"] = _next_etag(project["iamPolicy"].get("etag", ""))


def iam_binding(state: State, **args: Any) -> bool:
    """Another writer grants ``role`` to ``member`` in the project IAM policy."""
    project = _project(state, args)
    if project is None:
        return False
    bindings = project["iamPolicy"].setdefault("bindings", [])
    found = next((b for b in bindings if b["role"] == args["role"] and not b.get("condition")), None)
    if found is None:
        bindings.append({"role": args["role"], "members": [args["member"]]})
    elif args["member"] not in found["members"]:
        found["members"].append(args["member"])
    else:
        return False
    _bump_iam(project)
    return True


def audit_config(state: State, **args: Any) -> bool:
    """Another writer turns on ``log_type`` audit logs for ``service`` (with ``exempted`` members)."""
    project = _project(state, args)
    if project is None:
        return False
    configs = project["iamPolicy"].setdefault("auditConfigs", [])
    config = next((c for c in configs if c["service"] == args["service"]), None)
    if config is None:
        config = {"service": args["service"], "auditLogConfigs": []}
        configs.append(config)
    entry = {"logType": args["log_type"]}
    if args.get("exempted"):
        entry["exemptedMembers"] = copy.deepcopy(list(args["exempted"]))
    config["auditLogConfigs"] = [c for c in config["auditLogConfigs"] if c.get("logType") != args["log_type"]]
    config["auditLogConfigs"].append(entry)
    _bump_iam(project)
    return True


WRITERS: dict[str, Callable[..., bool]] = {
    "dataset_partition_expiry": dataset_partition_expiry,
    "table_partition_expiry": table_partition_expiry,
    "bucket_retention": bucket_retention,
    "sampling_rate": sampling_rate,
    "iam_binding": iam_binding,
    "audit_config": audit_config,
}
