"""Read request-response log rows back from BigQuery (``tabledata.list``) to prove logging end to end.

Vertex AI writes one row per logged call to the table its ``loggingConfig.bigqueryDestination`` names
(``request_response_logging`` by default, created on the first logged request; rows appear after a delay).
We poll ``tabledata.list`` over REST with a bounded wait and match our request by the message id in
``full_response`` (else by model, prompt and time). Only rows that must arrive extend the wait: a sampled
call (``samplingRate`` < 1) may legitimately have none. Columns come from ``tables.get`` when it answers,
else from the documented schema order.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import retry
from .bigquery import LOG_TABLE
from .errors import Where
from .failures import translate
from .vertex import HttpError, request_json

if TYPE_CHECKING:
    from .session import GoogleApis

API = "bigquery.googleapis.com"
TABLE = LOG_TABLE
# The documented column order of the logging table (used when tables.get does not answer).
COLUMNS = ("endpoint", "deployed_model_id", "logging_time", "request_id", "request_payload", "response_payload",
           "model", "model_version", "api_method", "full_request", "full_response", "metadata", "otel_log")
CLOCK_SKEW_S = 120.0
TAIL_ROWS = 200  # rows before the baseline still scanned: tabledata.list order is not guaranteed
_URI_RE = re.compile(r"bq://(?P<project>[^.\s/]+)\.(?P<dataset>[A-Za-z0-9_]+)(?:\.(?P<table>[A-Za-z0-9_]+))?")


@dataclass(frozen=True)
class Table:
    project: str
    dataset: str
    table: str

    @classmethod
    def from_uri(cls, uri: str) -> Table | None:
        """The table a ``bq://project.dataset[.table]`` logging destination writes to (None if unparsable)."""
        match = _URI_RE.fullmatch(uri.strip())
        if not match:
            return None
        return cls(match.group("project"), match.group("dataset"), match.group("table") or TABLE)

    @property
    def ref(self) -> str:
        return f"{self.project}.{self.dataset}.{self.table}"

    def url(self, google: GoogleApis) -> str:
        base = google.endpoint("bigquery").rstrip("/")
        return f"{base}/bigquery/v2/projects/{self.project}/datasets/{self.dataset}/tables/{self.table}"


@dataclass(frozen=True)
class LogCheck:
    """Whether the request's row was found, where, and what to do if not.

    ``loggable`` is False when no row is owed (global endpoint, logging not configured for the pair, a
    sampled-out call): then a missing row is reported "n/a" and is not a failure.
    """

    found: bool
    table: str
    message: str
    hint: str = ""
    waited_s: float = 0.0
    loggable: bool = True

    @property
    def ok(self) -> bool:
        return self.found or not self.loggable

    @classmethod
    def not_loggable(cls, reason: str, hint: str = "", table: str = "") -> LogCheck:
        return cls(False, table, f"not loggable: {reason}", hint, loggable=False)

    def to_json(self) -> dict[str, Any]:
        return {"found": self.found, "loggable": self.loggable, "table": self.table or None,
                "message": self.message, "fix": self.hint or None, "waited_ms": round(self.waited_s * 1000)}


@dataclass(frozen=True)
class Wanted:
    """What identifies one request's row."""

    model: str
    message_id: str
    prompt_messages: Any
    since: float
    sampling_rate: float = 1.0  # < 1: the row may legitimately never come, so it does not extend the wait

    @property
    def required(self) -> bool:
        return self.sampling_rate >= 1.0

    def matches(self, row: dict[str, Any]) -> bool:
        response = _json(row.get("full_response"))
        if self.message_id and isinstance(response, dict) and response.get("id"):
            return bool(response.get("id") == self.message_id)
        base = self.model.split("@")[0]
        if str(row.get("model") or "") not in {base, self.model}:
            return False
        logged_at = _timestamp(row.get("logging_time"))
        if logged_at is not None and logged_at < self.since - CLOCK_SKEW_S:
            return False
        request = _json(row.get("full_request"))
        return self.prompt_messages is None or (isinstance(request, dict)
                                                and request.get("messages") == self.prompt_messages)


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _timestamp(value: Any) -> float | None:
    """A TIMESTAMP cell in seconds: int64 microseconds (we ask for them) or a float-seconds string."""
    if value is None:
        return None
    text = str(value)
    try:
        return int(text) / 1_000_000 if text.lstrip("-").isdigit() else float(text)
    except ValueError:
        return None


def _explain(exc: HttpError, table: Table) -> Exception:
    err = exc.explain(Where(API, table.project))
    if exc.code == 403 and not err.permission:
        err.hint = (f"grant roles/bigquery.dataViewer (bigquery.tables.getData) on dataset {table.dataset} "
                    f"of project {table.project}")
    return err


def _read(google: GoogleApis, table: Table, call: str, url: str, **kwargs: Any) -> Any:
    """One GET under the retry policy; no answer at all is a one-line error (HttpError for answers)."""
    try:
        return retry.call(lambda: request_json(google, "GET", url, api=API, **kwargs))
    except retry.failures() as exc:
        raise translate(exc, Where(API, table.project), call, url) from None


def columns(google: GoogleApis, table: Table) -> tuple[str, ...]:
    """Column names in order, from ``tables.get`` when it answers."""
    try:
        meta = _read(google, table, "tables.get", table.url(google))
    except HttpError:
        return COLUMNS
    fields = ((meta or {}).get("schema") or {}).get("fields") or []
    names = tuple(str(f.get("name")) for f in fields if isinstance(f, dict))
    return names or COLUMNS


def _page(google: GoogleApis, table: Table, start_index: int, page_token: str = "") -> dict[str, Any] | None:
    """One ``tabledata.list`` page; None when the table does not exist (yet)."""
    params: dict[str, Any] = {"formatOptions.useInt64Timestamp": "true", "maxResults": 500}
    if page_token:
        params["pageToken"] = page_token
    else:
        params["startIndex"] = start_index
    try:
        return dict(_read(google, table, "tabledata.list", table.url(google) + "/data", params=params))
    except HttpError as exc:
        if exc.code == 404:
            return None
        raise _explain(exc, table) from None


def row_count(google: GoogleApis, table: Table) -> int:
    """``totalRows`` now (0 when the table does not exist yet)."""
    try:
        page = _read(google, table, "tabledata.list", table.url(google) + "/data", params={"maxResults": 0})
    except HttpError as exc:
        if exc.code == 404:
            return 0
        raise _explain(exc, table) from None
    return int((page or {}).get("totalRows") or 0)


def read_rows(google: GoogleApis, table: Table, start_index: int = 0) -> list[dict[str, Any]] | None:
    """Every row from ``start_index`` on, as ``{column: value}``; None when the table does not exist."""
    names: tuple[str, ...] | None = None
    out: list[dict[str, Any]] = []
    token = ""
    while True:
        page = _page(google, table, start_index, token)
        if page is None:
            return None
        if names is None:
            names = columns(google, table)
        for row in page.get("rows") or []:
            cells = [cell.get("v") if isinstance(cell, dict) else None for cell in row.get("f") or []]
            out.append(dict(zip(names, cells, strict=False)))
        token = str(page.get("pageToken") or "")
        if not token:
            return out


def wait_for_rows(google: GoogleApis, table: Table, wanted: Sequence[Wanted], *, timeout_s: float,
                  start_index: int = 0, sleep: Callable[[float], None] = time.sleep) -> list[LogCheck]:
    """Poll until every required row is found or ``timeout_s`` passes (rows lag the call by seconds to minutes).

    Sampled calls (``samplingRate`` < 1) are looked for in the same reads but never extend the wait: when
    no row must arrive, the table is read once.
    """
    begin = time.monotonic()
    found: dict[int, float] = {}
    required = {i for i, want in enumerate(wanted) if want.required}
    interval = min(5.0, max(0.05, timeout_s / 20))
    table_seen = False
    first = max(0, start_index - TAIL_ROWS)
    while True:
        rows = read_rows(google, table, first)
        table_seen = table_seen or rows is not None
        for i, want in enumerate(wanted):
            if i not in found and any(want.matches(row) for row in rows or ()):
                found[i] = time.monotonic() - begin
        elapsed = time.monotonic() - begin
        if required <= found.keys() or elapsed >= timeout_s:
            break
        sleep(min(interval, max(0.0, timeout_s - elapsed)))
    waited = time.monotonic() - begin
    out: list[LogCheck] = []
    for i, want in enumerate(wanted):
        if i in found:
            out.append(LogCheck(True, table.ref, f"row found in {table.ref} after {found[i]:.1f}s", waited_s=found[i]))
        elif not want.required:
            out.append(LogCheck(False, table.ref, f"sampled out: samplingRate {want.sampling_rate:g} logs about "
                                f"{want.sampling_rate:.0%} of calls and this one has no row in {table.ref}",
                                "a missing row proves nothing at this sampling rate; raise [logging] sampling_rate "
                                "to 1.0 to check every call", waited_s=waited, loggable=False))
        else:
            what = "no row for this request" if table_seen else "the table does not exist yet"
            out.append(LogCheck(False, table.ref, f"{what} in {table.ref} after {timeout_s:g}s",
                                f"logging is on for {want.model}: check that Vertex AI can write to {table.ref} "
                                "(`vertex-claude-setup logging verify`); rows can take minutes: retry with a longer "
                                "--log-timeout",
                                waited_s=waited))
    return out
