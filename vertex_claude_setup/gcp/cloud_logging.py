"""Cloud Logging buckets through google-cloud-logging's ConfigServiceV2Client (gRPC: it has no REST transport).

Only ``retention_days`` is ever written, with an update mask; a locked bucket is never touched.
"""

from __future__ import annotations

from typing import Any

from vertex_claude_setup.gcp import retry

from .errors import Where, from_api_core
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


def bucket_name(project: str, bucket: str = DEFAULT_BUCKET, location: str = "global") -> str:
    return f"projects/{project}/locations/{location}/buckets/{bucket}"


def _as_json(bucket: Any) -> dict[str, Any]:
    return {"name": bucket.name, "retentionDays": int(bucket.retention_days), "locked": bool(bucket.locked),
            "lifecycleState": bucket.lifecycle_state.name}


def get_bucket(google: GoogleApis, project: str, bucket: str = DEFAULT_BUCKET) -> dict[str, Any]:
    """``GetBucket`` as plain data: name, retentionDays, locked, lifecycleState."""
    from google.api_core import exceptions

    client = config_client(google)
    try:
        found = retry.call(lambda: client.get_bucket(request={"name": bucket_name(project, bucket)}))
    except exceptions.GoogleAPICallError as exc:
        raise from_api_core(exc, Where(API, project)) from None
    return _as_json(found)


def set_retention(google: GoogleApis, project: str, days: int, bucket: str = DEFAULT_BUCKET) -> dict[str, Any]:
    """``UpdateBucket`` with ``update_mask: retention_days`` only."""
    from google.api_core import exceptions

    client = config_client(google)
    name = bucket_name(project, bucket)
    request = {"name": name, "bucket": {"name": name, "retention_days": days},
               "update_mask": {"paths": ["retention_days"]}}
    try:
        updated = retry.call(lambda: client.update_bucket(request=request))
    except exceptions.GoogleAPICallError as exc:
        raise from_api_core(exc, Where(API, project)) from None
    return _as_json(updated)
