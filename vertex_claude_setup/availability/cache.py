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
import math
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vertex_claude_setup import envnumbers, localfiles
from vertex_claude_setup.errors import SetupError
from vertex_claude_setup.gcp.quotas import QuotaReport

from .classify import Availability
from .fallback import AuditProbe
from .probe import ProbeResult

CACHE_FILE = "audit-cache.json"
SCHEMA_VERSION = 1
DEFAULT_TTL_S = 15 * 60
# Round trips per location only order the next audit's probes (never reported): a week-old one still helps.
LATENCY_HINT_TTL_S = 7 * 24 * 3600
CACHEABLE = frozenset({Availability.AVAILABLE, Availability.NOT_SERVABLE_IN_REGION,
                       Availability.NOT_FOUND_OR_NO_ACCESS})


def ttl_from_env() -> float:
    """``VERTEX_CLAUDE_AUDIT_CACHE_TTL`` (seconds) overrides the 15-minute default; 0 disables reuse."""
    return envnumbers.env_number("VERTEX_CLAUDE_AUDIT_CACHE_TTL", DEFAULT_TTL_S)


def _stderr(message: str) -> None:
    print(f"Warning: {message}", file=sys.stderr)


_FILE_LOCKS: dict[str, threading.Lock] = {}
_FILE_LOCKS_GUARD = threading.Lock()


def _file_lock(path: Path) -> threading.Lock:
    """The lock of one cache file, shared by every ``AuditCache`` on it in this process: each writes the whole
    file, so two writers of different scopes must not interleave their read-modify-write."""
    with _FILE_LOCKS_GUARD:
        return _FILE_LOCKS.setdefault(str(path.resolve()), threading.Lock())


class AuditCache:
    """A JSON file of probe results per (target, project, mode, model, region); thread-safe, atomic writes.

    ``path`` lives in the tool's state folder (``.vertex-claude/``), which a write creates or tightens to 0700.

    A cache is only a shortcut: a damaged file (not JSON, the wrong shapes, impossible values) or one that
    cannot be written costs one warning line (``warn``) and a re-probe, never the command.
    """

    def __init__(self, path: Path, target: str, project: str, ttl_s: float | None = None,
                 warn: Callable[[str], None] = _stderr) -> None:
        self.path = path
        self.scope = f"{target}|{project}"
        self.ttl_s = ttl_from_env() if ttl_s is None else ttl_s
        self._warn = warn
        self._warned = False
        self._lock = _file_lock(path)  # one per file: a fleet's projects write their scopes of it at once

    def _warn_once(self, message: str) -> None:
        if not self._warned:
            self._warned = True
            self._warn(message)

    def _load(self) -> dict[str, Any]:
        """The file's well-formed parts (a missing file is an empty cache; damaged parts are dropped, once warned)."""
        try:
            text = self.path.read_bytes()
        except OSError:
            return _empty()
        try:
            data, problem = _sanitize(json.loads(text))
        except (ValueError, RecursionError):  # JSONDecodeError/UnicodeDecodeError are ValueErrors
            data, problem = _empty(), "not JSON"
        if problem:
            self._warn_once(f"audit cache {self.path} is damaged ({problem}): ignoring what is damaged; the next "
                            "probes rewrite it")
        return data

    def _fresh(self, stamp: float, now: float) -> bool:
        return now - stamp < self.ttl_s

    def get(self, mode: AuditProbe, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], ProbeResult]:
        """Cached, still-fresh results for ``pairs`` (marked ``cached``)."""
        entries = self._load()["scopes"].get(self.scope, {}).get("probes", {}).get(mode, {})
        now = time.time()
        out: dict[tuple[str, str], ProbeResult] = {}
        for model, region in pairs:
            raw = entries.get(f"{model}|{region}")
            if raw and self._fresh(float(raw["probed_at"]), now):
                result = ProbeResult.from_json(raw).as_cached()
                if result.availability in CACHEABLE:  # a file written by an older version may hold others
                    out[(model, region)] = result
        return out

    def get_quotas(self) -> QuotaReport | None:
        raw = self._load()["scopes"].get(self.scope, {}).get("quotas")
        if raw and self._fresh(float(raw["read_at"]), time.time()):
            return QuotaReport.from_json(raw["report"])
        return None

    def latency_hints(self) -> dict[str, float]:
        """Median round trip (ms) per location from recent audits, to send the slowest probes first."""
        raw = self._load()["scopes"].get(self.scope, {}).get("latency_ms", {})
        now = time.time()
        return {region: float(entry["ms"]) for region, entry in raw.items()
                if now - float(entry["at"]) < LATENCY_HINT_TTL_S}

    def put(self, mode: AuditProbe, results: list[ProbeResult], quotas: QuotaReport | None = None) -> None:
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
            try:
                localfiles.private_dir(self.path.parent)  # the state folder (.vertex-claude/): 0700
                localfiles.write_private(self.path, json.dumps(data, sort_keys=True))  # compact: C encoder
            except SetupError as exc:
                self._warn_once(f"audit cache not saved: {exc.one_line()}")


def _empty() -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, "scopes": {}}


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _sanitize(raw: Any) -> tuple[dict[str, Any], str]:
    """(the well-formed part of a parsed cache, the first problem found or "")."""
    if not isinstance(raw, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(raw), "a number")
        return _empty(), f"{kind} instead of an object"
    version = raw.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version != SCHEMA_VERSION:
        return _empty(), ""  # another version's cache: start afresh, nothing is damaged
    if version != SCHEMA_VERSION:
        return _empty(), "no schema_version"
    scopes = raw.get("scopes")
    if not isinstance(scopes, dict):
        return _empty(), "'scopes' is not an object"
    problems: list[str] = []
    clean: dict[str, Any] = {}
    for name, scope in scopes.items():
        if isinstance(scope, dict):
            clean[name] = _clean_scope(scope, problems)
        else:
            problems.append(f"scope {name!r} is not an object")
    return {**raw, "scopes": clean}, (problems[0] if problems else "")


def _clean_scope(scope: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    probes = scope.get("probes", {})
    if not isinstance(probes, dict):
        problems.append("'probes' is not an object")
        probes = {}
    out["probes"] = {}
    for mode, entries in probes.items():
        if not isinstance(entries, dict):
            problems.append(f"probes of {mode!r} are not an object")
            continue
        kept = {key: entry for key, entry in entries.items() if _entry_ok(key, entry)}
        if len(kept) < len(entries):
            problems.append(f"{len(entries) - len(kept)} malformed {mode} entries")
        out["probes"][mode] = kept
    latency = scope.get("latency_ms", {})
    if not isinstance(latency, dict):
        problems.append("'latency_ms' is not an object")
        latency = {}
    out["latency_ms"] = {region: entry for region, entry in latency.items()
                         if isinstance(entry, dict) and _number(entry.get("ms")) and _number(entry.get("at"))}
    if len(out["latency_ms"]) < len(latency):
        problems.append("malformed latency_ms entries")
    if "quotas" in scope:
        if _quotas_ok(scope["quotas"]):
            out["quotas"] = scope["quotas"]
        else:
            problems.append("malformed quotas")
    return out


def _entry_ok(key: str, raw: Any) -> bool:
    """A probe entry ``ProbeResult.from_json`` reads back exactly, under its own key."""
    if not isinstance(raw, dict):
        return False
    strings = ("model", "region", "status", "message", "fix")
    if not all(isinstance(raw.get(k), str) for k in strings) or not isinstance(raw.get("permission", ""), str):
        return False
    if raw.get("class") not in {a.value for a in Availability} or key != f"{raw['model']}|{raw['region']}":
        return False
    ints = (raw.get("http_status"), raw.get("attempts", 1))
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in ints):
        return False
    latency = raw.get("latency_ms")
    return (latency is None or _number(latency)) and _number(raw.get("probed_at")) and \
        isinstance(raw.get("cached", False), bool)


def _quotas_ok(raw: Any) -> bool:
    if not isinstance(raw, dict) or not _number(raw.get("read_at")) or not isinstance(raw.get("report"), dict):
        return False
    report = raw["report"]
    if not isinstance(report.get("readable"), bool) or not isinstance(report.get("entries", []), list):
        return False
    if not all(isinstance(report.get(k, ""), str) for k in ("reason", "hint")):
        return False
    fields = {"base_model": str, "location": str, "kind": str, "metric": str, "quota_id": str}
    return all(isinstance(e, dict) and isinstance(e.get("value"), int) and not isinstance(e.get("value"), bool)
               and all(isinstance(e.get(k), kind) for k, kind in fields.items()) for e in report.get("entries", []))
