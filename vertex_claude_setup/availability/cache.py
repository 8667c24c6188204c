"""Per-project cache of probe results and quotas (``.vertex-claude/audit-cache.json``) with a TTL.

Where a model is served changes rarely; re-probing a 10 × 14 matrix on every command would not.
Only those facts are cached (``CACHEABLE``: available, not served here, not found). Every class a
user fixes in a minute (enable the API, billing, IAM, Model Garden terms, data sharing, a quota)
or that is transient (``ERROR``) is probed again each time, so the next audit shows the fix.
``--refresh`` bypasses the cache (and rewrites it). Each location's last median round trip is kept
for a week as a hint, only to send the next audit's slowest probes first.
Entries are keyed by target (real Google, an endpoint override, or the emulator), project and
probe mode, so emulator results never answer for real Google.
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from vertex_claude_setup.gcp.quotas import QuotaReport

from .classify import Availability
from .probe import ProbeMode, ProbeResult

CACHE_FILE = "audit-cache.json"
SCHEMA_VERSION = 1
DEFAULT_TTL_S = 15 * 60
# Round trips per location only order the next audit's probes (never reported): a week-old one still helps.
LATENCY_HINT_TTL_S = 7 * 24 * 3600
CACHEABLE = frozenset({Availability.AVAILABLE, Availability.NOT_SERVABLE_IN_REGION,
                       Availability.NOT_FOUND_OR_NO_ACCESS})


def ttl_from_env() -> float:
    """``VERTEX_CLAUDE_AUDIT_CACHE_TTL`` (seconds) overrides the 15-minute default; 0 disables reuse."""
    raw = os.environ.get("VERTEX_CLAUDE_AUDIT_CACHE_TTL", "")
    try:
        return float(raw) if raw else DEFAULT_TTL_S
    except ValueError:
        return DEFAULT_TTL_S


class AuditCache:
    """A JSON file of probe results per (target, project, mode, model, region); thread-safe, atomic writes."""

    def __init__(self, path: Path, target: str, project: str, ttl_s: float | None = None) -> None:
        self.path = path
        self.scope = f"{target}|{project}"
        self.ttl_s = ttl_from_env() if ttl_s is None else ttl_s
        self._lock = threading.Lock()

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"schema_version": SCHEMA_VERSION, "scopes": {}}
        if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
            return {"schema_version": SCHEMA_VERSION, "scopes": {}}
        return data

    def _fresh(self, stamp: float, now: float) -> bool:
        return now - stamp < self.ttl_s

    def get(self, mode: ProbeMode, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], ProbeResult]:
        """Cached, still-fresh results for ``pairs`` (marked ``cached``)."""
        scope = self._load()["scopes"].get(self.scope, {})
        entries = scope.get("probes", {}).get(mode, {})
        now = time.time()
        out: dict[tuple[str, str], ProbeResult] = {}
        for model, region in pairs:
            raw = entries.get(f"{model}|{region}")
            if raw and self._fresh(float(raw["probed_at"]), now):
                try:
                    result = ProbeResult.from_json(raw).as_cached()
                except (KeyError, ValueError):
                    continue
                if result.availability in CACHEABLE:  # a file written by an older version may hold others
                    out[(model, region)] = result
        return out

    def get_quotas(self) -> QuotaReport | None:
        raw = self._load()["scopes"].get(self.scope, {}).get("quotas")
        if raw and self._fresh(float(raw.get("read_at", 0)), time.time()):
            try:
                return QuotaReport.from_json(raw["report"])
            except (KeyError, ValueError):
                return None
        return None

    def latency_hints(self) -> dict[str, float]:
        """Median round trip (ms) per location from recent audits, to send the slowest probes first."""
        raw = self._load()["scopes"].get(self.scope, {}).get("latency_ms")
        if not isinstance(raw, dict):
            return {}
        now = time.time()
        hints: dict[str, float] = {}
        for region, entry in raw.items():
            try:
                if now - float(entry["at"]) < LATENCY_HINT_TTL_S:
                    hints[region] = float(entry["ms"])
            except (KeyError, TypeError, ValueError):
                continue
        return hints

    def put(self, mode: ProbeMode, results: list[ProbeResult], quotas: QuotaReport | None = None) -> None:
        """Store fresh ``CACHEABLE`` results, each location's round trip (any answer measures it) and a
        readable quota report; drop expired and fixable entries."""
        with self._lock:
            data = self._load()
            scope = data["scopes"].setdefault(self.scope, {})
            entries = scope.setdefault("probes", {}).setdefault(mode, {})
            now = time.time()
            for key in [k for k, v in entries.items() if not self._fresh(float(v.get("probed_at", 0)), now)]:
                del entries[key]
            for result in results:
                key = f"{result.model}|{result.region}"
                if result.cached:
                    continue
                if result.availability not in CACHEABLE:
                    entries.pop(key, None)  # a fresh answer replaces an older cached fact
                    continue
                entries[key] = {**result.to_json(), "cached": False}
            measured: dict[str, list[float]] = {}
            for result in results:
                if not result.cached and result.latency_ms is not None:
                    measured.setdefault(result.region, []).append(result.latency_ms)
            latencies = scope.setdefault("latency_ms", {})
            for region, samples in measured.items():
                latencies[region] = {"ms": round(statistics.median(samples), 1), "at": now}
            if quotas is not None and quotas.readable:
                scope["quotas"] = {"read_at": now, "report": quotas.to_json()}
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Per thread too: a fleet plans many projects at once, each writing its own scope.
            tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
            tmp.replace(self.path)
