"""Cloud Logging buckets through google-cloud-logging's ConfigServiceV2Client (gRPC: it has no REST transport).

Only ``retention_days`` is ever written, with an update mask; a locked bucket is never touched. The
``_Default`` bucket is not always in ``global`` (an organization's default storage location puts it
elsewhere): it is found with ``ListBuckets`` under ``locations/-`` and then addressed by its real name.
Buckets have no etag: a writer re-reads (``read_bucket``) right before ``UpdateBucket``.
"""

from __future__ import annotations

from typing import Any

from vertex_claude_setup.errors import SetupError
from vertex_claude_setup.gcp import retry

from .errors import Where
from .failures import translate
from .session import GoogleApis

API = "logging.googleapis.com"
DEFAULT_BUCKET = "_Default"


def config_client(google: GoogleApis) -> Any:
    """The gRPC client: an insecure channel for the emulator, TLS + credentials for Google."""

    def build() -> Any:
        from google.cloud.logging_v2.services.config_service_v2 import ConfigServiceV2Client

        if google.emulator is not None:
            quiet_grpc()
            import grpc
            from google.cloud.logging_v2.services.config_service_v2.transports import ConfigServiceV2GrpcTransport

            channel = grpc.insecure_channel(google.logging_target())
            return ConfigServiceV2Client(transport=ConfigServiceV2GrpcTransport(channel=channel))
        return ConfigServiceV2Client(credentials=google.credentials_for(API),
                                     client_options={"api_endpoint": google.logging_target()})

    return google._cached("logging-config", build)


def quiet_grpc() -> None:
    """gRPC core logs a GOAWAY line to stderr when a local server stops; keep the CLI output clean."""
    import os

    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")


def _as_json(bucket: Any) -> dict[str, Any]:
    return {"name": bucket.name, "retentionDays": int(bucket.retention_days), "locked": bool(bucket.locked),
            "lifecycleState": bucket.lifecycle_state.name}


def get_bucket(google: GoogleApis, project: str, bucket: str = DEFAULT_BUCKET) -> dict[str, Any]:
    """The project's ``bucket`` wherever it lives (``ListBuckets`` of ``locations/-``), as plain data:
    name (its real one), retentionDays, locked, lifecycleState."""
    client = config_client(google)
    parent = f"projects/{project}/locations/-"
    try:
        with retry.scope():  # every page under the one deadline, each request with our retry and timeout
            found = next((b for b in client.list_buckets(request={"parent": parent}, **retry.options())
                          if b.name.rsplit("/", 1)[-1] == bucket), None)
    except retry.failures() as exc:
        raise translate(exc, Where(API, project), "ListBuckets", google.logging_target()) from None
    if found is None:
        raise SetupError(f"{API} (project {project}): no {bucket} log bucket in any location of project {project}",
                         f"check `gcloud logging buckets list --project {project}`; Cloud Logging creates "
                         f"{bucket} in every project")
    return _as_json(found)


def read_bucket(google: GoogleApis, project: str, name: str) -> dict[str, Any]:
    """``GetBucket`` of a bucket's full name: the fresh state right before a write."""
    client = config_client(google)
    try:
        found = client.get_bucket(request={"name": name}, **retry.options())
    except retry.failures() as exc:
        raise translate(exc, Where(API, project), "GetBucket", google.logging_target()) from None
    return _as_json(found)


def set_retention(google: GoogleApis, project: str, name: str, days: int) -> dict[str, Any]:
    """``UpdateBucket`` of the bucket ``name`` with ``update_mask: retention_days`` only (a value set by mask:
    safe to repeat)."""
    client = config_client(google)
    request = {"name": name, "bucket": {"name": name, "retention_days": days},
               "update_mask": {"paths": ["retention_days"]}}
    try:
        updated = client.update_bucket(request=request, **retry.options())
    except retry.failures() as exc:
        raise translate(exc, Where(API, project), "UpdateBucket", google.logging_target()) from None
    return _as_json(updated)
