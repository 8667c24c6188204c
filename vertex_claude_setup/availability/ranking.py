"""``regions best``: rank the locations of one model for this project (available first, then latency)."""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vertex_claude_setup import catalog
from vertex_claude_setup.gcp.quotas import QuotaReport, quotas_read_meanwhile

from .classify import Availability
from .probe import Limits, ProbeMode, Prober, ProbeResult

if TYPE_CHECKING:
    from vertex_claude_setup.gcp.session import GoogleApis

# A quota-exhausted location is reachable (a quota request away): rank it right after the available ones.
_ORDER = {cls: i for i, cls in enumerate([Availability.AVAILABLE, Availability.QUOTA_EXHAUSTED,
                                          *(c for c in Availability if c not in {Availability.AVAILABLE,
                                                                                 Availability.QUOTA_EXHAUSTED})])}


@dataclass(frozen=True)
class Ranked:
    """One location for the model: its class, median latency over the samples, and its quota."""

    region: str
    result: ProbeResult
    latency_ms: float | None
    quota_rpm: int | None


@dataclass(frozen=True)
class Ranking:
    """The locations best first, and the quota report they were ranked with."""

    locations: list[Ranked]
    quotas: QuotaReport


def rank_regions(google: GoogleApis, project: str, model: str, regions: Sequence[str], *, samples: int = 3,
                 mode: ProbeMode = "count_tokens", limits: Limits | None = None) -> Ranking:
    """Probe ``model`` in every location (fresh, concurrently) while reading the quotas; re-probe the
    available ones for a latency median."""

    async def main() -> tuple[list[ProbeResult], dict[str, list[float]], QuotaReport]:
        async with quotas_read_meanwhile(google, project) as quota_read, \
                Prober(google, project, mode, limits) as prober:
            first = await prober.probe_all([(model, r) for r in regions])
            extra = [(model, r.region) for r in first if r.availability is Availability.AVAILABLE
                     for _ in range(max(0, samples - 1))]
            more = await prober.probe_all(extra) if extra else []
            quotas = await quota_read
        latencies: dict[str, list[float]] = {}
        for result in [*first, *more]:
            if result.availability is Availability.AVAILABLE and result.latency_ms is not None:
                latencies.setdefault(result.region, []).append(result.latency_ms)
        return first, latencies, quotas

    first, latencies, quotas = asyncio.run(main())
    info = catalog.models().get(model)
    ranked = [Ranked(r.region, r, statistics.median(latencies[r.region]) if r.region in latencies else None,
                     quotas.limit(info.quota_base_model, r.region) if info and quotas.readable else None)
              for r in first]
    # Available first; among them a zero quota last, then lowest latency; the rest by class.
    return Ranking(sorted(ranked, key=lambda x: (_ORDER[x.result.availability], x.quota_rpm == 0,
                                                 x.latency_ms if x.latency_ms is not None else float("inf"),
                                                 x.region)), quotas)
