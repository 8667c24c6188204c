"""Cloud Logging ConfigServiceV2 over gRPC (ListBuckets, GetBucket, UpdateBucket): the real client has no REST
transport.

Buckets live in ``project["logBuckets"]["{location}/{bucket}"]`` as JSON (``retentionDays``, ``locked``,
``lifecycleState``…); ``_Default`` (30 days) and ``_Required`` (400 days, locked) exist in every project, in
``global`` unless the organization has a default storage location (scenario ``log_storage_location =
"europe-west1"``: both then live there, and ``locations/global/buckets/_Default`` is NOT_FOUND, as on Google).
``ListBuckets`` takes ``locations/-`` for every location. A scenario seeds buckets with
``log_buckets = {"_Default" = {retentionDays = 10, locked = true}}`` (a name without a location is in the
storage location). Latency and error faults apply with method ``POST`` and path
``/google.logging.v2.ConfigServiceV2/<Rpc>``; so do ``concurrent_writes`` (resource ``log_bucket``).
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Callable
from typing import Any

from .common import caller_has
from .faults import WRITERS, Faults, write_concurrently
from .googleerrors import ApiError
from .server import GRPC_STARTERS
from .state import State

SERVICE_NAME = "google.logging.v2.ConfigServiceV2"
HOST = "logging.googleapis.com"
_NAME_RE = re.compile(r"projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/buckets/(?P<bucket>[^/]+)")
_PARENT_RE = re.compile(r"projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)")
_DEFAULTS: dict[str, dict[str, Any]] = {
    "_Default": {"retentionDays": 30, "locked": False, "description": "Default bucket"},
    "_Required": {"retentionDays": 400, "locked": True, "description": "Audit bucket"},
}
PAGE_SIZE = 100


def buckets(project: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The project's buckets, seeded with Google's two built-in ones (scenario ``log_buckets`` merged in)."""
    found: dict[str, dict[str, Any]] | None = project.get("logBuckets")
    if found is None:
        location = str(project.get("log_storage_location") or "global")
        found = {f"{location}/{key}": {"lifecycleState": "ACTIVE", "createTime": "2025-01-01T00:00:00Z", **value}
                 for key, value in copy.deepcopy(_DEFAULTS).items()}
        for name, spec in (project.get("log_buckets") or {}).items():
            key = name if "/" in name else f"{location}/{name}"
            found.setdefault(key, {"lifecycleState": "ACTIVE", "retentionDays": 30, "locked": False}).update(spec)
        project["logBuckets"] = found
    return found


def _lookup(state: State, name: str, permission: str) -> tuple[dict[str, Any], dict[str, Any]]:
    match = _NAME_RE.fullmatch(name)
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


def list_buckets(state: State, request: Any) -> Any:
    """``ListBuckets`` of ``projects/P/locations/L``; ``L = -`` lists every location (paged)."""
    from google.cloud.logging_v2.types import ListBucketsResponse

    match = _PARENT_RE.fullmatch(request.parent)
    if not match:
        raise ApiError("INVALID_ARGUMENT", f"Invalid parent: \"{request.parent}\"")
    ref, location = match.group("project"), match.group("location")
    state.permissions_checked.add("logging.buckets.list")
    project = state.project(ref)
    if project is None or not caller_has(project, "logging.buckets.list"):
        raise ApiError("PERMISSION_DENIED", f"Permission 'logging.buckets.list' denied on resource "
                                            f"'{request.parent}' (or it may not exist).")
    try:
        start = int(request.page_token or 0)
    except ValueError:
        raise ApiError("INVALID_ARGUMENT", f"Invalid page token: \"{request.page_token}\"") from None
    size = request.page_size if request.page_size > 0 else PAGE_SIZE
    with state.lock:
        listed = [(key, bucket) for key, bucket in sorted(buckets(project).items())
                  if location == "-" or key.split("/")[0] == location]
        page = [_to_proto(f"projects/{ref}/locations/{key.split('/')[0]}/buckets/{key.split('/')[1]}", bucket)
                for key, bucket in listed[start:start + size]]
    more = start + size < len(listed)
    return ListBucketsResponse(buckets=page, next_page_token=str(start + size) if more else "")


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


def _write_bucket(state: State, rule: dict[str, Any]) -> bool:
    """Another writer sets a bucket's ``retentionDays`` (``bucket`` = ``_Default`` or ``location/name``); with
    ``only_raise`` only a longer one. A locked bucket's retention cannot change, for anyone: False, nothing written."""
    project = state.project(str(rule["project"]))
    if project is None:
        return False
    name = str(rule.get("bucket") or "_Default")
    with state.lock:
        found = buckets(project)
        key = name if "/" in name else next((k for k in sorted(found) if k.split("/")[1] == name), "")
        bucket = found.get(key)
        days = int(rule["retentionDays"])
        if bucket is None or bucket.get("locked"):
            return False
        if rule.get("only_raise") and int(bucket.get("retentionDays", 30)) >= days:
            return False
        bucket["retentionDays"] = days
        bucket["updateTime"] = "2026-01-01T00:00:00Z"
        return True


WRITERS["log_bucket"] = _write_bucket


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

    from .googleerrors import GRPC_CODE

    faults = Faults(state.data)
    stopping = threading.Event()

    def wrap(rpc: str, fn: Callable[[State, Any], Any]) -> Callable[[Any, Any], Any]:
        def handler(request: Any, context: Any) -> Any:
            path = f"/{SERVICE_NAME}/{rpc}"
            fault = faults.match("POST", path, HOST, "")
            if fault.latency_s and not _wait_out(fault.latency_s, context, stopping):
                context.abort(grpc.StatusCode.CANCELLED, "The operation was cancelled.")
            if fault.reset == "before":  # what a gRPC client reports for a dropped connection
                context.abort(grpc.StatusCode.UNAVAILABLE, "recvmsg:Connection reset by peer")
            try:
                if fault.error is not None:
                    raise fault.error
                write_concurrently(state, "POST", path, HOST, "before")
                result = fn(state, request)
            except ApiError as exc:
                if write_concurrently(state, "POST", path, HOST, "after", exc.http_code):
                    state.save()
                code = next(c for c in grpc.StatusCode if c.value[0] == GRPC_CODE.get(exc.status, 2))
                context.abort(code, exc.message)
            write_concurrently(state, "POST", path, HOST, "after", 200)
            state.save()
            if fault.reset == "after":
                context.abort(grpc.StatusCode.UNAVAILABLE, "recvmsg:Connection reset by peer")
            return result

        return handler

    handlers = grpc.method_handlers_generic_handler(SERVICE_NAME, {
        "ListBuckets": grpc.unary_unary_rpc_method_handler(
            wrap("ListBuckets", list_buckets), request_deserializer=_codec("ListBucketsRequest", "deserialize"),
            response_serializer=_codec("ListBucketsResponse", "serialize")),
        "GetBucket": grpc.unary_unary_rpc_method_handler(
            wrap("GetBucket", get_bucket), request_deserializer=_codec("GetBucketRequest", "deserialize"),
            response_serializer=_codec("LogBucket", "serialize")),
        "UpdateBucket": grpc.unary_unary_rpc_method_handler(
            wrap("UpdateBucket", update_bucket), request_deserializer=_codec("UpdateBucketRequest", "deserialize"),
            response_serializer=_codec("LogBucket", "serialize")),
    })
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=32))
    server.add_generic_rpc_handlers((handlers,))
    bound = server.add_insecure_port(f"{host}:{port if _free(host, port) else 0}")
    server.start()

    def stop() -> None:
        stopping.set()  # a call stalled by a fault ends now, so no worker thread outlives the server
        server.stop(grace=None)

    return bound, stop


def _codec(message: str, direction: str) -> Callable[[Any], Any]:
    """``Message.serialize``/``deserialize`` of a Logging type, imported at the first call, not at start.

    ``google.cloud.logging_v2`` loads the whole client package (~0.3 s of CPU): a command that never calls
    Logging (under ``--emulator``, every command starts this server) must not pay for it.
    """

    def convert(value: Any) -> Any:
        from google.cloud.logging_v2 import types

        return getattr(getattr(types, message), direction)(value)

    return convert


def _wait_out(latency_s: float, context: Any, stopping: threading.Event) -> bool:
    """Hold a call for its injected latency, like a stalled backend; False if the client gave up (its
    deadline passed, or it cancelled) or the server is stopping first."""
    import time

    ends = time.monotonic() + latency_s
    while (left := ends - time.monotonic()) > 0:
        if not context.is_active() or stopping.wait(min(left, 0.05)):
            return False
    return True


GRPC_STARTERS.append(start)
