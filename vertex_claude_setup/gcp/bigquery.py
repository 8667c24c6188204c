"""BigQuery v2 through google-cloud-bigquery: the log dataset, the log table's retention, and recent rows.

Read-merge-write only: patches name the fields they change (``update_dataset``/``update_table`` with a
field list), so access lists, labels and anything else the tool does not own stay as they are. A patch
given the ``etag`` its resource was read with goes out with ``If-Match: <etag>`` (google-cloud-bigquery
sends it when the resource carries an etag): a resource another writer changed since then answers 412,
raised as ``StaleEtag`` so the caller re-reads and decides again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vertex_claude_setup.errors import GoogleApiError
from vertex_claude_setup.gcp import retry

from .errors import Where, from_api_core
from .failures import translate
from .session import GoogleApis

API = "bigquery.googleapis.com"
LOG_TABLE = "request_response_logging"
DAY_MS = 86_400_000


class StaleEtag(GoogleApiError):
    """412: the resource changed since it was read (``If-Match`` failed): re-read it before writing again."""


def client(google: GoogleApis) -> Any:
    """A ``bigquery.Client`` on the configured (or emulated) endpoint, built once per GoogleApis."""

    def build() -> Any:
        from google.cloud import bigquery

        return bigquery.Client(project=google.config.project, credentials=google.credentials_for(API),
                               client_options={"api_endpoint": google.endpoint("bigquery")})

    return google._cached("bigquery", build)


def _call(google: GoogleApis, project: str, call: str, fn: Any, *, missing_ok: bool = False) -> Any:
    """Run ``fn`` (which passes ``**retry.float_options()`` to the client) within one deadline; errors translated."""
    from google.api_core import exceptions

    try:
        with retry.scope():
            return fn()
    except exceptions.NotFound:
        if missing_ok:
            return None
        raise
    except exceptions.PreconditionFailed as exc:
        err = from_api_core(exc, Where(API, project))
        raise StaleEtag(err.message, err.hint, status=err.status, reason=err.reason, http_code=412) from None
    except retry.failures() as exc:
        raise translate(exc, Where(API, project), call, google.endpoint("bigquery")) from None


def get_dataset(google: GoogleApis, project: str, dataset: str) -> dict[str, Any] | None:
    """The dataset resource as JSON, or None when it does not exist."""
    bq = client(google)
    found = _call(google, project, "datasets.get",
                  lambda: bq.get_dataset(f"{project}.{dataset}", **retry.float_options()), missing_ok=True)
    return None if found is None else dict(found.to_api_repr())


def create_dataset(google: GoogleApis, project: str, dataset: str, location: str,
                   partition_expiration_ms: int | None, description: str = "",
                   retry_if: Callable[[Exception], bool] = retry.is_retryable) -> dict[str, Any]:
    """``datasets.insert`` with a default partition expiration (never a default *table* expiration).

    Retried like a safe write: a create whose answer was lost (500, timeout) may have landed, and then the
    retry answers 409 Already Exists, which the logging step adopts and verifies like any existing dataset.
    A caller that cannot take a 409 passes ``retry_if=retry.is_transient`` (429 and 503 only: not acted on).
    """
    from google.cloud import bigquery

    bq = client(google)
    resource = bigquery.Dataset(f"{project}.{dataset}")
    resource.location = location
    resource.description = description
    if partition_expiration_ms:
        resource.default_partition_expiration_ms = partition_expiration_ms
    created = _call(google, project, "datasets.insert",
                    lambda: bq.create_dataset(resource, **retry.float_options(retry_if)))
    return dict(created.to_api_repr())


def set_default_partition_expiration(google: GoogleApis, project: str, dataset: str,
                                     expiration_ms: int | None, etag: str | None = None) -> dict[str, Any]:
    """Patch only ``defaultPartitionExpirationMs`` (None clears it: partitions kept forever).

    With ``etag`` (of the read the decision was made on) the patch is ``If-Match``-guarded: StaleEtag if the
    dataset changed since.
    """
    from google.cloud import bigquery

    bq = client(google)
    resource = bigquery.Dataset.from_api_repr({"datasetReference": {"projectId": project, "datasetId": dataset},
                                               **({"etag": etag} if etag else {})})
    resource.default_partition_expiration_ms = expiration_ms
    updated = _call(google, project, "datasets.patch", lambda: bq.update_dataset(
        resource, ["default_partition_expiration_ms"], **retry.float_options()))
    return dict(updated.to_api_repr())


def get_table(google: GoogleApis, project: str, dataset: str, table: str = LOG_TABLE) -> dict[str, Any] | None:
    """The table resource as JSON, or None when it (or its dataset) does not exist."""
    bq = client(google)
    found = _call(google, project, "tables.get",
                  lambda: bq.get_table(f"{project}.{dataset}.{table}", **retry.float_options()), missing_ok=True)
    return None if found is None else dict(found.to_api_repr())


def set_partition_expiration(google: GoogleApis, project: str, dataset: str, table: str,
                             partitioning: dict[str, Any], expiration_ms: int | None,
                             etag: str | None = None) -> dict[str, Any]:
    """Patch ``timePartitioning.expirationMs`` of a partitioned table, keeping its type and field
    (``If-Match``-guarded with ``etag``, like ``set_default_partition_expiration``)."""
    from google.cloud import bigquery

    bq = client(google)
    resource = bigquery.Table.from_api_repr({"tableReference": {"projectId": project, "datasetId": dataset,
                                                                "tableId": table},
                                             **({"etag": etag} if etag else {})})
    resource.time_partitioning = bigquery.TimePartitioning(
        type_=partitioning.get("type", "DAY"), field=partitioning.get("field"), expiration_ms=expiration_ms)
    updated = _call(google, project, "tables.patch",
                    lambda: bq.update_table(resource, ["time_partitioning"], **retry.float_options()))
    return dict(updated.to_api_repr())


def recent_rows(google: GoogleApis, project: str, dataset: str, table: str = LOG_TABLE,
                limit: int = 20) -> list[dict[str, Any]]:
    """Up to ``limit`` rows of the log table (``tabledata.list``); ``[]`` when the table does not exist yet."""
    bq = client(google)

    def read() -> list[dict[str, Any]]:
        rows = bq.list_rows(f"{project}.{dataset}.{table}", max_results=limit, **retry.float_options())
        return [dict(row.items()) for row in rows]

    found = _call(google, project, "tabledata.list", read, missing_ok=True)
    return list(found or [])
