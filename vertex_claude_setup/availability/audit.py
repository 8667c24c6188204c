"""The region × model audit: cached probes plus Cloud Quotas, in about one network round trip.

Library first: ``run_audit`` returns an ``Audit`` that the CLI renders (table, JSON, CSV, Markdown,
HTML) and that ``plan`` turns into findings. The JSON form (``Audit.to_json``) is a stable,
versioned schema: see the README, "JSON report".
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vertex_claude_setup import catalog
from vertex_claude_setup.gcp.quotas import QuotaReport, quotas_read_meanwhile

from .classify import Availability
from .fallback import AuditProbe, reprobe
from .probe import Limits, Prober, ProbeResult, quiet_gc, slowest_first

if TYPE_CHECKING:
    from vertex_claude_setup.gcp.org_policy import ModelPolicy
    from vertex_claude_setup.gcp.session import GoogleApis

    from .cache import AuditCache

SCHEMA_VERSION = 1
EXIT_OK, EXIT_ERROR, EXIT_FINDINGS = 0, 1, 3


@dataclass
class Audit:
    """Every probed (model, location) of one project, the Claude quotas, and when it was read."""

    project: str
    probe: AuditProbe
    models: list[str]
    regions: list[str]
    results: dict[tuple[str, str], ProbeResult]
    quotas: QuotaReport
    generated_at: float = field(default_factory=time.time)
    elapsed_s: float = 0.0
    # The effective constraints/vertexai.allowedModels, read (when permitted) only if a pair was blocked by it.
    org_policy: ModelPolicy | None = None

    def result(self, model: str, region: str) -> ProbeResult:
        return self.results[(model, region)]

    def ordered(self) -> list[ProbeResult]:
        """Results in matrix order: models as given, then regions as given."""
        return [self.results[(m, r)] for m in self.models for r in self.regions]

    @property
    def problems(self) -> list[ProbeResult]:
        return [r for r in self.ordered() if r.availability is not Availability.AVAILABLE]

    @property
    def exit_code(self) -> int:
        """0 when every pair is AVAILABLE, 3 when some are not."""
        return EXIT_FINDINGS if self.problems else EXIT_OK

    @property
    def cached_count(self) -> int:
        return sum(r.cached for r in self.results.values())

    def probed_by(self, result: ProbeResult) -> str:
        """``generate`` when a real 1-token request answered for the pair, else ``count_tokens``."""
        return "generate" if self.probe == "generate" or result.by_generate else "count_tokens"

    def costs_tokens(self, result: ProbeResult) -> bool:
        """The pair's probe cost tokens: a generate request the model answered, sent by this run."""
        return (self.probed_by(result) == "generate" and result.availability is Availability.AVAILABLE
                and not result.cached)

    @property
    def by_generate(self) -> list[ProbeResult]:
        """Pairs ``--probe auto`` answered with a generate request (count-tokens is not served there)."""
        return [r for r in self.ordered() if r.by_generate]

    def quota_rpm(self, model: str, region: str) -> int | None:
        """Requests-per-minute quota of the model's base model in ``region``, if readable."""
        info = catalog.models().get(model)
        if info is None or not self.quotas.readable:
            return None
        return self.quotas.limit(info.quota_base_model, region)

    def quota_state(self, result: ProbeResult) -> str:
        """For a 429: ``zero`` (the quota is 0), ``spent`` (a positive quota used up) or ``unknown``."""
        rpm = self.quota_rpm(result.model, result.region)
        if rpm is None:
            return "unknown"
        return "zero" if rpm == 0 else "spent"

    def explanation(self, result: ProbeResult) -> str:
        """One line: the class in words, with the quota named when a 429 is a zero quota."""
        cls = result.availability
        text = DESCRIPTIONS[cls]
        if cls is Availability.QUOTA_EXHAUSTED:
            state = self.quota_state(result)
            info = catalog.models().get(result.model)
            base = info.quota_base_model if info else "its base model"
            if state == "zero":
                text = f"quota is 0 requests/min for {base} in {result.region} (not throttling)"
            elif state == "spent":
                text = (f"quota of {self.quota_rpm(result.model, result.region)} requests/min for {base} in "
                        f"{result.region} is used up")
        if cls is Availability.ORG_POLICY_BLOCKED and self.org_policy is not None:
            text += f"; {self.org_policy.why(result.model)}"
        return text

    def summary(self) -> dict[str, Any]:
        counts = Counter(r.availability.value for r in self.ordered())
        return {"pairs": len(self.results), "available": counts.get("AVAILABLE", 0),
                "unavailable": len(self.results) - counts.get("AVAILABLE", 0),
                "by_class": {cls.value: counts[cls.value] for cls in Availability if counts.get(cls.value)},
                "from_cache": self.cached_count}

    def to_json(self) -> dict[str, Any]:
        """The documented, versioned JSON report (``schema_version`` changes only on breaking changes)."""
        from vertex_claude_setup import __version__

        models = catalog.models()
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "vertex-claude-setup", "version": __version__},
            "project": self.project,
            "generated_at": _iso(self.generated_at),
            "probe": self.probe,
            "models": [_model_json(m, models.get(m)) for m in self.models],
            "regions": [_region_json(r) for r in self.regions],
            "legend": {cls.value: {"symbol": SYMBOLS[cls], "meaning": DESCRIPTIONS[cls]} for cls in Availability},
            "results": [self._result_json(r) for r in self.ordered()],
            "quotas": self.quotas.to_json(),
            "org_policy": self.org_policy.to_json() if self.org_policy is not None else None,
            "summary": self.summary(),
            "exit_code": self.exit_code,
        }

    def _result_json(self, result: ProbeResult) -> dict[str, Any]:
        out = result.to_json()
        out.pop("by_generate", None)
        out["probe"] = self.probed_by(result)
        out["costs_tokens"] = self.costs_tokens(result)
        out["probed_at"] = _iso(result.probed_at)
        out["symbol"] = SYMBOLS[result.availability]
        out["explanation"] = self.explanation(result)
        out["quota_requests_per_minute"] = self.quota_rpm(result.model, result.region)
        if result.availability is Availability.QUOTA_EXHAUSTED:
            out["quota_state"] = self.quota_state(result)
        return out


SYMBOLS: dict[Availability, str] = {
    Availability.AVAILABLE: "✓",
    Availability.NOT_SERVABLE_IN_REGION: "·",
    Availability.NOT_ENABLED: "○",
    Availability.ORG_POLICY_BLOCKED: "⊗",
    Availability.NOT_FOUND_OR_NO_ACCESS: "?",
    Availability.DATA_SHARING_REQUIRED: "⇄",
    Availability.PERMISSION_DENIED: "✗",
    Availability.API_DISABLED: "⊘",
    Availability.BILLING_DISABLED: "$",
    Availability.QUOTA_EXHAUSTED: "∅",
    Availability.ERROR: "!",
}

DESCRIPTIONS: dict[Availability, str] = {
    Availability.AVAILABLE: "available: the project can call this model here",
    Availability.NOT_SERVABLE_IN_REGION: "not served in this location (400 FAILED_PRECONDITION)",
    Availability.NOT_ENABLED: "not enabled for the project in Model Garden (400 FAILED_PRECONDITION)",
    Availability.ORG_POLICY_BLOCKED: "an organization policy (constraints/vertexai.allowedModels) blocks this model",
    Availability.NOT_FOUND_OR_NO_ACCESS: "model not found here, or the project has no access (404)",
    Availability.DATA_SHARING_REQUIRED: "needs data sharing with Anthropic enabled (403)",
    Availability.PERMISSION_DENIED: "your principal lacks an IAM permission (403)",
    Availability.API_DISABLED: "the Vertex AI API is not enabled (403 SERVICE_DISABLED)",
    Availability.BILLING_DISABLED: "billing is not enabled on the project (403 BILLING_DISABLED)",
    Availability.QUOTA_EXHAUSTED: "reachable, but the quota is 0 or spent (429 RESOURCE_EXHAUSTED)",
    Availability.ERROR: "server error or timeout after retries (5xx / network)",
}


def _iso(stamp: float) -> str:
    return dt.datetime.fromtimestamp(stamp, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _model_json(model_id: str, info: catalog.ModelInfo | None) -> dict[str, Any]:
    if info is None:
        return {"id": model_id, "in_catalog": False}
    return {"id": info.id, "in_catalog": True, "name": info.name, "family": info.family, "status": info.status(),
            "status_text": info.status_text(), "replacement": info.replacement,
            "quota_base_model": info.quota_base_model, "region_hints": list(info.region_hints)}


def _region_json(region: str) -> dict[str, Any]:
    from vertex_claude_setup.gcp.session import vertex_host

    info = catalog.regions().get(region)
    return {"id": region, "kind": info.kind if info else "region", "host": vertex_host(region)}


def cache_target(google: GoogleApis) -> str:
    """Which backend answered: results from the emulator or an endpoint override never answer for Google."""
    if google.emulator is not None:
        return "emulator"
    return google.config.endpoints.get("claude") or google.config.endpoints["aiplatform"]


def run_audit(
    google: GoogleApis,
    project: str,
    models: Sequence[str],
    regions: Sequence[str],
    *,
    mode: AuditProbe = "auto",
    limits: Limits | None = None,
    cache: AuditCache | None = None,
    refresh: bool = False,
    quotas: bool = True,
    on_result: Callable[[ProbeResult], None] | None = None,
) -> Audit:
    """Probe every (model, region) not fresh in the cache, concurrently, while reading quotas.

    ``auto`` probes with count-tokens and answers again with a 1-token generate request the pairs where
    count-tokens is not served (``fallback``); its results are cached apart from the other modes'.
    """
    return asyncio.run(audit_async(google, project, models, regions, mode=mode, limits=limits, cache=cache,
                                   refresh=refresh, quotas=quotas, on_result=on_result))


async def audit_async(
    google: GoogleApis,
    project: str,
    models: Sequence[str],
    regions: Sequence[str],
    *,
    mode: AuditProbe = "auto",
    limits: Limits | None = None,
    cache: AuditCache | None = None,
    refresh: bool = False,
    quotas: bool = True,
    on_result: Callable[[ProbeResult], None] | None = None,
) -> Audit:
    """``run_audit`` inside a running event loop: a fleet audits many projects on one loop."""
    started = time.monotonic()
    pairs = [(m, r) for m in models for r in regions]
    known = cache.get(mode, pairs) if cache is not None and not refresh else {}
    missing = [p for p in pairs if p not in known]
    if cache is not None:
        missing = slowest_first(missing, cache.latency_hints())
    cached_quotas = cache.get_quotas() if cache is not None and not refresh else None
    if on_result is not None:
        for result in known.values():
            on_result(result)

    read_quotas = quotas and cached_quotas is None
    if missing or read_quotas:
        # Resolve credentials here, once: a missing ADC is then one SetupError, not one per worker.
        _ = google.credentials

    async def answered(probes: list[asyncio.Task[ProbeResult]]) -> list[ProbeResult]:
        results = list(await asyncio.gather(*probes))
        return await reprobe(google, project, results, limits) if mode == "auto" else results

    async with Prober(google, project, "count_tokens" if mode == "auto" else mode, limits) as prober:
        with quiet_gc():
            probes = await prober.dispatch(missing, on_result)
            if not read_quotas:
                report = cached_quotas or QuotaReport(False, reason="not read (--no-quotas)")
                fresh = await answered(probes)
            else:
                # Read once every probe is on the wire: the read then runs while they are in flight
                # instead of competing with the SDK for the CPU while they are built.
                async with quotas_read_meanwhile(google, project) as quota_read:
                    fresh, report = await answered(probes), await quota_read
    if cache is not None:
        cache.put(mode, fresh, report if cached_quotas is None else None)
    results = {**known, **{(r.model, r.region): r for r in fresh}}
    policy = None
    if any(r.availability is Availability.ORG_POLICY_BLOCKED for r in results.values()):
        from vertex_claude_setup.gcp.org_policy import effective_policy

        # Which value blocks them, when the caller may read it; off the loop, which other projects may share.
        policy = await asyncio.to_thread(effective_policy, google, project)
    return Audit(project, mode, list(models), list(regions), results, report,
                 elapsed_s=time.monotonic() - started, org_policy=policy)
