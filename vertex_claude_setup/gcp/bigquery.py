"""BigQuery v2 through google-cloud-bigquery: the log dataset, the log table's retention, and recent rows.

Read-merge-write only: patches name the fields they change (``update_dataset``/``update_table`` with a
field list), so access lists, labels and anything else the tool does not own stay as they are.
"""

from __future__ import annotations

from typing import Any

from vertex_claude_setup.gcp import retry

from .errors import Where, from_api_core
from .session import GoogleApis

API = "bigquery.googleapis.com"
LOG_TABLE = "request_response_logging"
DAY_MS = 86_400_000


def client(google: GoogleApis) -> Any:
    """A ``bigquery.Client`` on the configured (or emulated) endpoint, built once per GoogleApis."""

    def build() -> Any:
        from google.cloud import bigquery

        return bigquery.Client(project=google.config.project, credentials=google.credentials_for(API),
                               client_options={"api_endpoint": google.endpoint("bigquery")})

    return google._cached("bigquery", build)


def _call(project: str, fn: Any, *, missing_ok: bool = False) -> Any:
    from google.api_core import exceptions

    try:
        return retry.call(fn)
    except exceptions.NotFound:
        if missing_ok:
            return None
        raise
    except exceptions.GoogleAPICallError as exc:
        raise from_api_core(exc, Where(API, project)) from None


def get_dataset(google: GoogleApis, project: str, dataset: str) -> dict[str, Any] | None:
    """The dataset resource as JSON, or None when it does not exist."""
    bq = client(google)
    found = _call(project, lambda: bq.get_dataset(f"{project}.{dataset}", retry=None), missing_ok=True)
    return None if found is None else dict(found.to_api_repr())


def create_dataset(google: GoogleApis, project: str, dataset: str, location: str,
                   partition_expiration_ms: int | None, description: str = "") -> dict[str, Any]:
    """``datasets.insert`` with a default partition expiration (never a default *table* expiration)."""
    from google.cloud import bigquery

    bq = client(google)
    resource = bigquery.Dataset(f"{project}.{dataset}")
    resource.location = location
    resource.description = description
    if partition_expiration_ms:
        resource.default_partition_expiration_ms = partition_expiration_ms
    created = _call(project, lambda: bq.create_dataset(resource, retry=None))
    return dict(created.to_api_repr())


def set_default_partition_expiration(google: GoogleApis, project: str, dataset: str,
                                     expiration_ms: int | None) -> dict[str, Any]:
    """Patch only ``defaultPartitionExpirationMs`` (None clears it: partitions kept forever)."""
    from google.cloud import bigquery

    bq = client(google)
    resource = bigquery.Dataset(f"{project}.{dataset}")
    resource.default_partition_expiration_ms = expiration_ms
    updated = _call(project, lambda: bq.update_dataset(resource, ["default_partition_expiration_ms"], retry=None))
    return dict(updated.to_api_repr())


def get_table(google: GoogleApis, project: str, dataset: str, table: str = LOG_TABLE) -> dict[str, Any] | None:
    """The table resource as JSON, or None when it (or its dataset) does not exist."""
    bq = client(google)
    found = _call(project, lambda: bq.get_table(f"{project}.{dataset}.{table}", retry=None), missing_ok=True)
    return None if found is None else dict(found.to_api_repr())


def set_partition_expiration(google: GoogleApis, project: str, dataset: str, table: str,
                             partitioning: dict[str, Any], expiration_ms: int | None) -> dict[str, Any]:
    """Patch ``timePartitioning.expirationMs`` of a partitioned table, keeping its type and field."""
    from google.cloud import bigquery

    bq = client(google)
    resource = bigquery.Table(f"{project}.{dataset}.{table}")
    resource.time_partitioning = bigquery.TimePartitioning(
        type_=partitioning.get("type", "DAY"), field=partitioning.get("field"), expiration_ms=expiration_ms)
    updated = _call(project, lambda: bq.update_table(resource, ["time_partitioning"], retry=None))
    return dict(updated.to_api_repr())


def recent_rows(google: GoogleApis, project: str, dataset: str, table: str = LOG_TABLE,
                limit: int = 20) -> list[dict[str, Any]]:
    """Up to ``limit`` rows of the log table (``tabledata.list``); ``[]`` when the table does not exist yet."""
    bq = client(google)

    def read() -> list[dict[str, Any]]:
        rows = bq.list_rows(f"{project}.{dataset}.{table}", max_results=limit, retry=None)
        return [dict(row.items()) for row in rows]

    found = _call(project, read, missing_ok=True)
    return list(found or [])
