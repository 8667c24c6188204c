"""Deterministic fault injection: latency, error rates and one-shot errors, matched per request; and
concurrent writers, another client changing a resource when a given request arrives (``[[concurrent_writes]]``)."""

from __future__ import annotations

import fnmatch
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import injection
from .googleerrors import STATUS_FOR_HTTP, ApiError, error_info, retry_info

if TYPE_CHECKING:
    from .state import State

# resource kind -> fn(state, rule): what another client's write does to that resource (each API module
# registers its own, so the write goes through the same bookkeeping as a request would: etags, timestamps).
WRITERS: dict[str, Callable[[State, dict[str, Any]], None]] = {}


@dataclass
class Matched:
    """What the faults decided for one request."""

    latency_s: float = 0.0
    error: ApiError | None = None
    reset: str = ""  # "before" (never processed) or "after" (processed, answer lost): the connection is reset


class Faults:
    """Rules from the scenario's ``[[faults]]`` list, evaluated in order for every request.

    A rule matches on ``method``, ``path`` (glob on the URL path), ``host`` and ``region`` (glob),
    then adds ``latency_ms`` and/or answers ``status`` (HTTP code) with ``message``/``reason``.
    ``times`` makes it one-shot (or N-shot, latency included); ``rate`` fires it with that probability,
    deterministic by the scenario ``seed``. ``reset`` drops the connection instead of answering and
    ``service_disabled`` answers a per-endpoint propagation window after an enable (both in ``injection``).
    The friendlier ``[region_latency_ms]`` table (``"us-east5" = 200``, ``"*" = 20``) adds latency per
    Vertex location: an exact name wins over the first matching glob.
    """

    def __init__(self, state_data: dict[str, Any]) -> None:
        self.data = state_data
        self._seed = state_data.get("seed", 0)
        self._rng = random.Random(self._seed)
        self._lock = threading.Lock()

    def match(self, method: str, path: str, host: str, region: str) -> Matched:
        out = Matched(latency_s=self._region_latency(region))
        with self._lock:
            if self.data.get("seed", 0) != self._seed:  # reseeded at runtime (admin surface): restart the draws
                self._seed = self.data.get("seed", 0)
                self._rng = random.Random(self._seed)
            for rule in self.data.get("faults", []):
                if not self._applies(rule, method, path, host, region):
                    continue
                disabled = rule.get("service_disabled")
                if disabled and not injection.window_open(self.data, str(disabled), path):
                    continue
                if rule.get("rate") is not None and self._rng.random() >= float(rule["rate"]):
                    continue
                if rule.get("times") is not None:  # an N-shot rule: each firing (latency included) counts
                    if int(rule["times"]) <= 0:
                        continue
                    if out.error is not None or out.reset:
                        continue  # an earlier rule already answers this call: this one keeps its shots
                    rule["times"] = int(rule["times"]) - 1
                out.latency_s += float(rule.get("latency_ms", 0)) / 1000
                if out.error is not None or out.reset:
                    continue
                if rule.get("reset"):
                    out.reset = str(rule["reset"])
                elif disabled:
                    out.error = injection.propagation_error(self.data, str(disabled), path)
                elif rule.get("status"):
                    out.error = _error(rule)
        return out

    def concurrent_writes(self, method: str, path: str, host: str, when: str) -> list[dict[str, Any]]:
        """The ``[[concurrent_writes]]`` rules a request sets off ``before`` or ``after`` it is handled.

        A rule matches like a fault (``method``, ``path``, ``host`` globs); ``when`` says whether the other
        writer gets there just before the request (default) or right after it; ``times`` (default 1) bounds
        how often it fires. The rule's ``resource`` names the writer (``WRITERS``) and carries its fields.
        """
        fired: list[dict[str, Any]] = []
        with self._lock:
            for rule in self.data.get("concurrent_writes", []):
                if rule.get("when", "before") != when or not self._applies(rule, method, path, host, ""):
                    continue
                left = int(rule.get("times", 1))
                if left <= 0:
                    continue
                rule["times"] = left - 1
                fired.append(dict(rule))
        return fired

    def _region_latency(self, region: str) -> float:
        table = self.data.get("region_latency_ms") or {}
        if not region or not table:
            return 0.0
        if region in table:
            return float(table[region]) / 1000
        for pattern, ms in table.items():
            if fnmatch.fnmatchcase(region, pattern):
                return float(ms) / 1000
        return 0.0

    @staticmethod
    def _applies(rule: dict[str, Any], method: str, path: str, host: str, region: str) -> bool:
        if rule.get("method") and rule["method"].upper() != method:
            return False
        if rule.get("path") and not fnmatch.fnmatchcase(path, rule["path"]):
            return False
        if rule.get("host") and not fnmatch.fnmatchcase(host, rule["host"]):
            return False
        return not (rule.get("region") and not fnmatch.fnmatchcase(region, rule["region"]))


def _error(rule: dict[str, Any]) -> ApiError:
    code = int(rule["status"])
    status = rule.get("grpc_status") or STATUS_FOR_HTTP.get(code, "UNKNOWN")
    details: list[dict[str, Any]] = []
    if rule.get("reason"):
        details.append(error_info(rule["reason"], rule.get("domain", "googleapis.com"), rule.get("metadata", {})))
    if rule.get("retry_delay"):
        details.append(retry_info(rule["retry_delay"]))
    message = rule.get("message") or {503: "The service is currently unavailable.",
                                      429: "Resource has been exhausted (e.g. check quota).",
                                      500: "Internal error encountered."}.get(code, status)
    return ApiError(status, message, details, http_code=code)


def write_concurrently(state: State, rules: list[dict[str, Any]]) -> None:
    """Apply what the other writers of ``rules`` write (``concurrent_writes`` picked them)."""
    for rule in rules:
        writer = WRITERS.get(str(rule.get("resource")))
        if writer is None:
            raise ApiError("INTERNAL", f"emulator scenario: no concurrent writer for resource {rule.get('resource')!r}")
        writer(state, rule)
