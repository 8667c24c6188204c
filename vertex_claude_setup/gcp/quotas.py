"""Cloud Quotas API (google-cloud-quotas, REST): Claude per-base-model quotas per location.

Lists every QuotaInfo of ``aiplatform.googleapis.com`` and keeps the ``dimensionsInfos`` whose
``base_model`` is a Claude one (``anthropic-claude-…``), rather than hard-coding quota IDs, which
Google renames. A caller who may not read quotas gets a report saying so, never a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from vertex_claude_setup.errors import SetupError
from vertex_claude_setup.gcp import retry

from .errors import Where
from .failures import translate
from .session import GoogleApis

SERVICE = "aiplatform.googleapis.com"
API = "cloudquotas.googleapis.com"
_PREFIX_LOCATION = {"global_": "global", "us_multi_region_": "us", "eu_multi_region_": "eu"}
_KINDS = (("requests", "requests_per_minute"), ("input_tokens", "input_tokens_per_minute"),
          ("output_tokens", "output_tokens_per_minute"))


@dataclass(frozen=True)
class QuotaEntry:
    """One limit: ``value`` per minute for (base model, location); -1 means unlimited."""

    base_model: str
    location: str  # a location id, or "*" for the default of every region not listed
    kind: str  # requests_per_minute / input_tokens_per_minute / output_tokens_per_minute
    value: int
    metric: str
    quota_id: str

    def to_json(self) -> dict[str, Any]:
        return {"base_model": self.base_model, "location": self.location, "kind": self.kind, "value": self.value,
                "metric": self.metric, "quota_id": self.quota_id}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> QuotaEntry:
        return cls(raw["base_model"], raw["location"], raw["kind"], int(raw["value"]), raw["metric"],
                   raw["quota_id"])


@dataclass
class QuotaReport:
    """The Claude quotas the caller could read, or why none could be read (and the fix)."""

    readable: bool
    entries: list[QuotaEntry] = field(default_factory=list)
    reason: str = ""
    hint: str = ""

    def limit(self, base_model: str, location: str, kind: str = "requests_per_minute") -> int | None:
        """The limit for (base model, location), falling back to a region-wide default entry."""
        for loc in (location, "*"):
            for entry in self.entries:
                if entry.base_model == base_model and entry.location == loc and entry.kind == kind:
                    return entry.value
        return None

    def to_json(self) -> dict[str, Any]:
        return {"readable": self.readable, "reason": self.reason, "hint": self.hint,
                "entries": [e.to_json() for e in self.entries]}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> QuotaReport:
        return cls(bool(raw["readable"]), [QuotaEntry.from_json(e) for e in raw.get("entries", [])],
                   raw.get("reason", ""), raw.get("hint", ""))


def _kind_and_location(metric: str) -> tuple[str, str] | None:
    """``…/global_online_prediction_requests_per_base_model`` -> ("requests_per_minute", "global")."""
    short = metric.rsplit("/", 1)[-1]
    if not short.endswith("_per_base_model"):
        return None
    location = ""
    for prefix, loc in _PREFIX_LOCATION.items():
        if short.startswith(prefix):
            short, location = short[len(prefix):], loc
            break
    for word, kind in _KINDS:
        if re.search(rf"(^|_){word}(_|$)", short):
            return kind, location
    return None


def parse_quota_infos(infos: list[dict[str, Any]]) -> list[QuotaEntry]:
    """Claude entries of QuotaInfo JSON objects (REST shape: camelCase, int64 values as strings)."""
    entries: list[QuotaEntry] = []
    for info in infos:
        found = _kind_and_location(str(info.get("metric", "")))
        if found is None:
            continue
        kind, fixed_location = found
        for dims_info in info.get("dimensionsInfos") or ():
            dims = dims_info.get("dimensions") or {}
            base = str(dims.get("base_model", ""))
            if not base.startswith("anthropic-claude"):
                continue
            locations = [fixed_location] if fixed_location else (
                [str(dims["region"])] if dims.get("region") else list(dims_info.get("applicableLocations") or ["*"]))
            value = int((dims_info.get("details") or {}).get("value", -1))
            for loc in locations:
                entries.append(QuotaEntry(base, loc, kind, value, str(info.get("metric")), str(info.get("quotaId"))))
    return entries


def client(google: GoogleApis) -> Any:
    """The Cloud Quotas client (REST), built once and shared (its quota is the caller's, not the project's)."""
    from google.cloud import cloudquotas_v1

    def build() -> Any:
        return cloudquotas_v1.CloudQuotasClient(credentials=google.credentials_for(API), transport="rest",
                                                client_options=google.client_options("cloudquotas"))

    return google._cached("cloudquotas", build)


def read_claude_quotas(google: GoogleApis, project: str) -> QuotaReport:
    """All Claude per-base-model quotas of ``project``; a readable reason instead when access is denied."""
    parent = f"projects/{project}/locations/global/services/{SERVICE}"

    def list_all(client: Any) -> list[dict[str, Any]]:
        with retry.scope():  # every page within one deadline
            pager = client.list_quota_infos(request={"parent": parent, "page_size": 100}, **retry.options())
            return [type(info).to_dict(info, use_integers_for_enums=False, preserving_proto_field_name=False)
                    for info in pager]

    try:
        infos = list_all(client(google))
    except SetupError as exc:  # no credentials: the caller reports it; quotas alone never fail the audit
        return QuotaReport(False, reason=exc.message, hint=exc.hint)
    except retry.failures() as exc:  # quotas are extra information: whatever happened, the audit goes on
        err = translate(exc, Where(API, project), "quotaInfos.list", google.endpoint("cloudquotas"))
        if err.reason == "SERVICE_DISABLED":
            return QuotaReport(False, reason=f"the Cloud Quotas API is not enabled on project {project}",
                               hint=f"gcloud services enable {API} --project {project}")
        if err.http_code == 403:
            return QuotaReport(False, reason=f"your principal may not read quotas of project {project} "
                                             f"(needs {err.permission or 'cloudquotas.quotas.get'})",
                               hint=f"grant roles/cloudquotas.viewer on project {project}")
        return QuotaReport(False, reason=err.message, hint=err.hint)
    return QuotaReport(True, parse_quota_infos(infos))


@contextlib.asynccontextmanager
async def quotas_read_meanwhile(google: GoogleApis, project: str) -> AsyncIterator[asyncio.Future[QuotaReport]]:
    """Read the Claude quotas in a worker thread while the caller's probes are in flight.

    The read is one more round trip; overlapped with the probes it costs none. Its outcome is
    retrieved on every path, so no "exception was never retrieved" at exit.
    """
    _ = google.credentials  # loaded here, once, not raced for by the worker and the probes
    task = asyncio.ensure_future(asyncio.to_thread(read_claude_quotas, google, project))
    try:
        yield task
    finally:
        task.cancel()  # a no-op once it is done
        await asyncio.gather(task, return_exceptions=True)
