"""Deterministic fault injection: latency, error rates and one-shot errors, matched per request; and
concurrent writers, another client changing a resource when a given request arrives (``[[concurrent_writes]]``).

``[[concurrent_writes]]`` is the one way a scenario (or the chaos suite, through the admin surface) says "another
client writes concurrently". A rule matches like a fault (``method``, ``path``, ``host`` globs) and, with
``when = "after"``, on the HTTP ``status`` of the answer; it strikes from its ``nth`` matching call on, until its
writer has written ``times`` times (default 1). ``resource`` names the writer (``WRITERS``, registered by each API
module, so the write goes through the same bookkeeping as a request would: etags, timestamps) and the rule carries
its fields (``WRITER_FIELDS``). A writer SETS its value (it may lower it), unless ``only_raise = true``: then it
only raises (retention, expiration, sampling; "forever" is never shortened) or adds (IAM). The emulator counts
matching calls in ``seen`` and landed writes in ``fired``, which the chaos judge reads.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .googleerrors import STATUS_FOR_HTTP, ApiError, error_info, retry_info

if TYPE_CHECKING:
    from .state import State

# resource kind -> fn(state, rule) -> whether it wrote: what another client's write does to that resource.
WRITERS: dict[str, Callable[[State, dict[str, Any]], bool]] = {}
# resource kind -> (fields it needs, fields it may take): checked when a scenario or the admin surface sets rules.
WRITER_FIELDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "dataset": (frozenset({"project", "dataset", "defaultPartitionExpirationMs"}), frozenset()),
    "table": (frozenset({"project", "dataset", "table", "expirationMs"}), frozenset()),
    "log_bucket": (frozenset({"project", "retentionDays"}), frozenset({"bucket"})),
    "iam_policy": (frozenset({"project"}), frozenset({"bindings", "auditConfigs"})),
    "publisher_model_config": (frozenset({"project", "location", "model", "samplingRate"}), frozenset()),
}
# What every rule may say besides its writer's fields (``seen`` and ``fired`` are the emulator's own counts).
WRITE_MATCH_KEYS = frozenset({"method", "path", "host", "when", "status", "nth", "times", "only_raise", "resource",
                              "seen", "fired"})


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
    deterministic by the scenario ``seed``. ``reset`` drops the connection instead of answering (``injection``).
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
                elif rule.get("status"):
                    out.error = _error(rule)
        return out

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


def write_concurrently(state: State, method: str, path: str, host: str, when: str, status: int | None = None) -> bool:
    """Run the ``[[concurrent_writes]]`` rules this request sets off ``when`` ("before" it is handled, or "after"
    it was answered with ``status``); True when any of them wrote (the state then needs saving)."""
    if not state.data.get("concurrent_writes"):
        return False  # the common case: no other writer, no lock taken
    wrote = False
    with state.lock:
        for rule in state.data.get("concurrent_writes") or []:
            if rule.get("when", "before") != when or not Faults._applies(rule, method, path, host, ""):
                continue
            if rule.get("status") is not None and int(rule["status"]) != status:
                continue
            rule["seen"] = int(rule.get("seen", 0)) + 1
            if rule["seen"] < int(rule.get("nth", 1)) or int(rule.get("fired", 0)) >= int(rule.get("times", 1)):
                continue
            writer = WRITERS.get(str(rule.get("resource")))
            if writer is None:
                raise ApiError("INTERNAL", f"emulator scenario: no concurrent writer for {rule.get('resource')!r}")
            if writer(state, rule):
                rule["fired"] = int(rule.get("fired", 0)) + 1
                wrote = True
    return wrote


_FOREVER = (None, "", "0", 0)


def raises_expiration(current: Any, new: Any) -> bool:
    """Whether expiration ``new`` (ms) keeps data longer than ``current``; absent, empty or 0 is forever."""
    if current in _FOREVER:
        return False
    return new in _FOREVER or int(new) > int(current)
