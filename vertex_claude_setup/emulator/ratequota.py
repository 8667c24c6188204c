"""Per-minute request quotas per API and consumer project, enforced like Google's and counted.

Scenario ``[rate_quotas]``: a service name (or ``"*"`` for every other one) →
``{ per_minute = 600, window_s = 60, scope = "consumer" }``. A request that finds ``per_minute ×
window_s / 60`` requests already admitted in the last ``window_s`` seconds (a sliding window; 60 s is
Google's per-minute quota, a shorter window enforces the same rate more tightly) is answered 429
RESOURCE_EXHAUSTED with ``ErrorInfo`` ``RATE_LIMIT_EXCEEDED`` (quota metadata as Google sends it) and a
``RetryInfo`` naming when the window has room again — and counted as over the cap.

The consumer project is Google's quota project: for the client-based APIs (Resource Manager, Service
Usage, Cloud Quotas, Cloud Billing) the caller's (``x-goog-user-project``, else the scenario's
``principal.quota_project``, else ``caller``); for the resource-based ones (Vertex AI, BigQuery) the
project the request is about. ``scope = "api"`` shares one window between every consumer: a gateway's
cap, or a benchmark's. ``GET /_emulator/rate_quotas`` reports what was admitted and refused.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from typing import Any

from .googleerrors import ApiError, error_info, retry_info
from .state import State, project_number

CLIENT_BASED = frozenset({"cloudresourcemanager.googleapis.com", "serviceusage.googleapis.com",
                          "cloudquotas.googleapis.com", "cloudbilling.googleapis.com"})
QUOTA_KEYS = {"per_minute", "window_s", "scope"}


def check(where: str, table: Any) -> None:
    """Refuse a malformed ``[rate_quotas]`` table by name."""
    from vertex_claude_setup.errors import SetupError

    if not isinstance(table, dict):
        raise SetupError(f"{where}: rate_quotas must be a table", 'write [rate_quotas."aiplatform.googleapis.com"]')
    for service, spec in table.items():
        if not isinstance(spec, dict) or set(spec) - QUOTA_KEYS or float(spec.get("per_minute", 0)) <= 0:
            raise SetupError(f"{where}: rate_quotas.{service} must be {{per_minute > 0, window_s, scope}}",
                             'e.g. { per_minute = 6000, window_s = 1, scope = "api" }')
        if spec.get("scope", "consumer") not in {"consumer", "api"}:
            raise SetupError(f"{where}: rate_quotas.{service}.scope must be \"consumer\" or \"api\"",
                             'use scope = "consumer" (Google\'s per-project quota) or "api" (one shared cap)')


class RateQuotas:
    """Sliding windows of admitted request times, one per (service, consumer)."""

    def __init__(self, state: State, clock: Any = time.monotonic) -> None:
        self.state = state
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], collections.deque[float]] = {}

    def _quota(self, service: str) -> dict[str, Any] | None:
        table = self.state.data.get("rate_quotas") or {}
        found = table.get(service) or table.get("*")
        return found if isinstance(found, dict) else None

    def consumer(self, service: str, headers: dict[str, str], params: dict[str, str]) -> str:
        """Google's quota project for this request (see the module docstring)."""
        if service not in CLIENT_BASED:
            for key in ("projectsId", "projectId", "project"):
                if params.get(key):
                    return params[key]
            if params.get("v1Id") == "projects" and params.get("v1Id1"):
                return params["v1Id1"]
        principal = self.state.data.get("principal") or {}
        return headers.get("x-goog-user-project") or str(principal.get("quota_project") or "caller")

    def admit(self, service: str, headers: dict[str, str], params: dict[str, str]) -> ApiError | None:
        """None when the request fits its quota (and is counted), else the 429 to answer."""
        quota = self._quota(service)
        if quota is None:
            return None
        stats = self.state.data.setdefault("rateQuotaStats", {"admitted": {}, "over_cap": {}})
        window = float(quota.get("window_s", 60))
        limit = max(1, math.floor(float(quota["per_minute"]) * window / 60))
        shared = quota.get("scope", "consumer") == "api"
        consumer = self.consumer(service, headers, params)
        key = (service, "*" if shared else consumer)
        now = self._clock()
        with self._lock:
            times = self._windows.setdefault(key, collections.deque())
            while times and times[0] <= now - window:
                times.popleft()
            if len(times) < limit:
                times.append(now)
                stats["admitted"][service] = stats["admitted"].get(service, 0) + 1
                return None
            stats["over_cap"][service] = stats["over_cap"].get(service, 0) + 1
            wait = math.ceil(max(0.001, times[0] + window - now) * 1000) / 1000  # room again after it, not before
        return _exhausted(service, consumer, int(quota["per_minute"]), wait)


def _exhausted(service: str, consumer: str, per_minute: int, wait: float) -> ApiError:
    """The 429 Google sends for a per-minute request quota (shape of a real Resource Manager answer)."""
    number = consumer if consumer.isdigit() else project_number(consumer)
    message = (f"Quota exceeded for quota metric 'Requests' and limit 'Requests per minute' of service "
               f"'{service}' for consumer 'project_number:{number}'.")
    return ApiError("RESOURCE_EXHAUSTED", message, [
        error_info("RATE_LIMIT_EXCEEDED", "googleapis.com", {
            "consumer": f"projects/{number}", "service": service, "quota_location": "global",
            "quota_metric": f"{service}/requests", "quota_limit": "RequestsPerMinutePerProject",
            "quota_limit_value": str(per_minute)}),
        retry_info(f"{wait:.3f}s"),
        {"@type": "type.googleapis.com/google.rpc.Help",
         "links": [{"description": "Request a higher quota limit.",
                    "url": "https://cloud.google.com/docs/quotas/help/request_increase"}]},
    ], http_code=429)


def stats(state: State) -> dict[str, Any]:
    """Requests admitted and refused per service since the emulator started (``GET /_emulator/rate_quotas``)."""
    data = state.data.get("rateQuotaStats") or {"admitted": {}, "over_cap": {}}
    return {"admitted": dict(data.get("admitted", {})), "over_cap": dict(data.get("over_cap", {}))}
