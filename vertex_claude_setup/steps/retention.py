"""Retention rules for the request-response log in BigQuery, shared by plan/apply and ``logging verify``.

Rows must be kept at least 30 days on a rolling basis. A *partition* expiration drops only old rows;
a *table* expiration (or a dataset default table expiration) deletes the whole table, young rows
included — the tool never sets one and reports any it finds. Existing longer retention is never shortened.
A dataset default table expiration is ignored only for a *partitioned* table created while the dataset also
has a default partition expiration (BigQuery ``Dataset`` reference), so the log table's actual
``timePartitioning`` decides when it exists; before it exists, the default is a risk.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Literal

DAY_MS = 86_400_000
MIN_DAYS = 30


@dataclass(frozen=True)
class Problem:
    """A retention setting that would drop rows younger than 30 days, with the exact fix."""

    message: str
    fix: str
    # A too-short partition expiration: apply raises it (plan shows a change, verify a FAIL).
    raisable: bool = False
    # "warning": a risk that depends on what Vertex does later (plan "!", verify WARN), not a violation now.
    severity: Literal["error", "warning"] = "error"


def target_ms(retention_days: int) -> int | None:
    """The configured rolling window in ms; None means keep forever (``retention_days = 0``)."""
    return retention_days * DAY_MS if retention_days > 0 else None


def days(ms: Any) -> str:
    value = int(ms) / DAY_MS
    return f"{value:g} days" if value != 1 else "1 day"


def needs_raise(current_ms: Any, retention_days: int) -> bool:
    """True when an expiration is set and shorter than the configured window (None = forever, never raised)."""
    if current_ms in (None, "", 0, "0"):
        return False
    target = target_ms(retention_days)
    return target is None or int(current_ms) < target


def _set(ms: Any) -> Any:
    """An expiration that is actually set (``"0"``/empty mean none), else None."""
    return None if ms in (None, "", 0, "0") else ms


def dataset_problems(dataset: dict[str, Any], table: dict[str, Any] | None) -> list[Problem]:
    """Dataset-level settings that could delete logs younger than 30 days (``table``: the log table, if any)."""
    ref = dataset["datasetReference"]
    name = f"{ref['projectId']}:{ref['datasetId']}"
    out: list[Problem] = []
    table_ms = _set(dataset.get("defaultTableExpirationMs"))
    partition_ms = _set(dataset.get("defaultPartitionExpirationMs"))
    fix = f"bq update --default_table_expiration 0 {name}"
    expiry = f"dataset {name} has a default table expiration of {days(table_ms)}" if table_ms else ""
    if table_ms and table is None:
        if partition_ms:  # ignored only if Vertex creates the table partitioned: not documented, so a risk
            out.append(Problem(
                f"{expiry}: if the log table Vertex creates there is not partitioned, it inherits that expiration "
                "and is deleted whole, rows younger than 30 days included (a partitioned one takes the default "
                "partition expiration instead)", fix, severity="warning"))
        else:
            out.append(Problem(
                f"{expiry}: the log table Vertex creates there would be deleted whole, rows younger than 30 days "
                "included", fix))
    elif table_ms and table is not None:
        table_name = f"{name}.{table['tableReference']['tableId']}"
        if not table.get("timePartitioning"):
            out.append(Problem(
                f"{expiry} and log table {table_name} is not partitioned: the table (and any re-created one) "
                "expires whole, rows younger than 30 days included", fix))
        elif not partition_ms:
            out.append(Problem(
                f"{expiry} and no default partition expiration: a re-created log table {table_name} would inherit "
                "the table expiration and be deleted whole, rows younger than 30 days included", fix))
    if partition_ms and int(partition_ms) < MIN_DAYS * DAY_MS:
        out.append(Problem(
            f"dataset {name} default partition expiration is {days(partition_ms)} (< 30 days)",
            f"bq update --default_partition_expiration {MIN_DAYS * 86400} {name}", raisable=True))
    return out


def table_problems(table: dict[str, Any]) -> list[Problem]:
    """Table-level settings that could delete logs younger than 30 days."""
    ref = table["tableReference"]
    name = f"{ref['projectId']}:{ref['datasetId']}.{ref['tableId']}"
    out: list[Problem] = []
    if table.get("expirationTime"):
        when = datetime.datetime.fromtimestamp(int(table["expirationTime"]) / 1000, tz=datetime.timezone.utc)
        out.append(Problem(f"table {name} expires at {when:%Y-%m-%d %H:%M} UTC: the whole table, every row "
                           "included, is deleted then", f"bq update --expiration 0 {name}"))
    partition_ms = (table.get("timePartitioning") or {}).get("expirationMs")
    if partition_ms and int(partition_ms) < MIN_DAYS * DAY_MS:
        out.append(Problem(f"table {name} partition expiration is {days(partition_ms)} (< 30 days)",
                           f"bq update --time_partitioning_expiration {MIN_DAYS * 86400} {name}", raisable=True))
    return out


def location_covers(dataset_location: str, region: str) -> bool:
    """Whether a dataset in ``dataset_location`` is in the same geography as a Vertex ``region``.

    Google does not document a cross-location rule for request-response logging; Vertex generally refuses
    cross-region resources, so the tool asks for the same region or the multi-region that contains it.
    """
    loc = dataset_location.lower()
    if loc == region.lower():
        return True
    if loc == "us":
        return region.startswith("us-")
    if loc == "eu":
        return region.startswith("europe-")
    return False
