"""Cloud Logging ConfigServiceV2 over gRPC (GetBucket, UpdateBucket): the real client has no REST transport.

Buckets live in ``project["logBuckets"]["{location}/{bucket}"]`` as JSON (``retentionDays``, ``locked``,
``lifecycleState``…); ``_Default`` (30 days) and ``_Required`` (400 days, locked) exist in every project.
A scenario seeds them with ``log_buckets = {"_Default" = {retentionDays = 10, locked = true}}``.
Latency and error faults apply with method ``POST`` and path ``/google.logging.v2.ConfigServiceV2/<Rpc>``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from .common import caller_has
from .faults import Faults
from .googleerrors import ApiError
from .server import GRPC_STARTERS
from .state import State

SERVICE_NAME = "google.logging.v2.ConfigServiceV2"
HOST = "logging.googleapis.com"
_NAME_RE = re.compile(r"^projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/buckets/(?P<bucket>[^/]+)$")
_DEFAULTS: dict[str, dict[str, Any]] = {
    "global/_Default": {"retentionDays": 30, "locked": False, "description": "Default bucket"},
    "global/_Required": {"retentionDays": 400, "locked": True, "description": "Audit bucket"},
}


def buckets(project: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The project's buckets, seeded with Google's two built-in ones (scenario ``log_buckets`` merged in)."""
    found: dict[str, dict[str, Any]] | None = project.get("logBuckets")
    if found is None:
        found = {key: {"lifecycleState": "ACTIVE", "createTime": "2025-01-01T00:00:00Z", **value}
                 for key, value in copy.deepcopy(_DEFAULTS).items()}
        for name, spec in (project.get("log_buckets") or {}).items():
            key = name if "/" in name else f"global/{name}"
            found.setdefault(key, {"lifecycleState": "ACTIVE", "retentionDays": 30, "locked": False}).update(spec)
        project["logBuckets"] = found
    return found


def _lookup(state: State, name: str, permission: str) -> tuple[dict[str, Any], dict[str, Any]]:
    match = _NAME_RE.match(name)
    if not match:
        raise ApiError("INVALID_ARGUMENT", f"Invalid bucket name: \"{name}\"")
    state.permissions_checked.add(permission)
    project = state.project(match.group("project"))
    if project is None or not caller_has(project, permission):
        raise ApiError("PERMISSION_DENIED", f"Permission '{permission}' denied on resource '{name}' "
                                            "(or it may not exist).")
    bucket = buckets(project).get(f"{match.group('location')}/{match.group('bucket')}")
    if bucket is None:
        raise ApiError("NOT_FOUND", f"Bucket `{name}` does not exist.")
    return project, bucket


def _to_proto(name: str, bucket: dict[str, Any]) -> Any:
    from google.cloud.logging_v2.types import LogBucket

    return LogBucket(name=name, description=bucket.get("description", ""),
                     retention_days=int(bucket.get("retentionDays", 30)), locked=bool(bucket.get("locked")),
                     lifecycle_state=bucket.get("lifecycleState", "ACTIVE"),
                     analytics_enabled=bool(bucket.get("analyticsEnabled", False)),
                     restricted_fields=list(bucket.get("restrictedFields", [])))


def get_bucket(state: State, request: Any) -> Any:
    with state.lock:
        _project, bucket = _lookup(state, request.name, "logging.buckets.get")
        return _to_proto(request.name, bucket)


_MUTABLE = {"retention_days": "retentionDays", "description": "description", "analytics_enabled": "analyticsEnabled",
            "restricted_fields": "restrictedFields"}


def update_bucket(state: State, request: Any) -> Any:
    paths = list(request.update_mask.paths)
    if not paths:
        raise ApiError("INVALID_ARGUMENT", "update_mask is required.")
    with state.lock:
        _project, bucket = _lookup(state, request.name, "logging.buckets.update")
        if bucket.get("lifecycleState") == "DELETE_REQUESTED":
            raise ApiError("FAILED_PRECONDITION", f"Bucket `{request.name}` is in DELETE_REQUESTED state.")
        for path in paths:
            if path not in _MUTABLE and path != "locked":
                raise ApiError("INVALID_ARGUMENT", f"Invalid update_mask path: {path}")
        if bucket.get("locked") and "retention_days" in paths and (
                request.bucket.retention_days != int(bucket.get("retentionDays", 30))):
            raise ApiError("FAILED_PRECONDITION", f"Bucket `{request.name}` is locked: its retention period "
                                                  "cannot be changed.")
        if "retention_days" in paths and not 1 <= request.bucket.retention_days <= 3650:
            raise ApiError("INVALID_ARGUMENT", "retention_days must be between 1 and 3650.")
        for path in paths:
            if path == "locked":
                if bucket.get("locked") and not request.bucket.locked:
                    raise ApiError("FAILED_PRECONDITION", "A locked bucket cannot be unlocked.")
                bucket["locked"] = bool(request.bucket.locked)
            else:
                value = getattr(request.bucket, path)
                bucket[_MUTABLE[path]] = list(value) if path == "restricted_fields" else value
        bucket["updateTime"] = "2026-01-01T00:00:00Z"
        return _to_proto(request.name, bucket)


def _free(host: str, port: int) -> bool:
    """Whether ``port`` can be bound (the HTTP port + 1 may be taken when many emulators run)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def start(state: State, host: str, port: int) -> tuple[int, Callable[[], None]]:
    """Serve ConfigServiceV2 on ``host:port`` (any free port if that one is taken)."""
    import os
    from concurrent import futures

    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")  # no GOAWAY line on stderr when the server stops
    import grpc
    from google.cloud.logging_v2.types import GetBucketRequest, LogBucket, UpdateBucketRequest

    from .googleerrors import GRPC_CODE

    faults = Faults(state.data)

    def wrap(rpc: str, fn: Callable[[State, Any], Any]) -> Callable[[Any, Any], Any]:
        def handler(request: Any, context: Any) -> Any:
            import time

            fault = faults.match("POST", f"/{SERVICE_NAME}/{rpc}", HOST, "")
            if fault.latency_s:
                time.sleep(fault.latency_s)
            try:
                if fault.error is not None:
                    raise fault.error
                result = fn(state, request)
            except ApiError as exc:
                code = next(c for c in grpc.StatusCode if c.value[0] == GRPC_CODE.get(exc.status, 2))
                context.abort(code, exc.message)
            state.save()
            return result

        return handler

    handlers = grpc.method_handlers_generic_handler(SERVICE_NAME, {
        "GetBucket": grpc.unary_unary_rpc_method_handler(
            wrap("GetBucket", get_bucket), request_deserializer=GetBucketRequest.deserialize,
            response_serializer=LogBucket.serialize),
        "UpdateBucket": grpc.unary_unary_rpc_method_handler(
            wrap("UpdateBucket", update_bucket), request_deserializer=UpdateBucketRequest.deserialize,
            response_serializer=LogBucket.serialize),
    })
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=32))
    server.add_generic_rpc_handlers((handlers,))
    bound = server.add_insecure_port(f"{host}:{port if _free(host, port) else 0}")
    server.start()
    return bound, lambda: server.stop(grace=None)


GRPC_STARTERS.append(start)
