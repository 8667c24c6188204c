"""``--probe auto``: the free count-tokens probe first; a 1-token generate request where it is not served.

Google documents ``count-tokens:rawPredict`` for some locations only (``catalog.count_tokens_locations``).
Where it is not served, its answer says nothing about the model: a 404 for ``…/models/count-tokens`` (or a 404
in a location without it documented) would report a model unavailable that the location serves. Those pairs,
and only those, are probed again with a real 1-token request, which costs a token when the model answers;
the result says so (``ProbeResult.by_generate``). This module decides and re-probes; sending stays in
``probe.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

from vertex_claude_setup import catalog

from .classify import Availability
from .probe import Limits, Prober, ProbeResult, quiet_gc

if TYPE_CHECKING:
    from vertex_claude_setup.gcp.session import GoogleApis

# What ``regions audit --probe`` and ``run_audit(mode=…)`` accept: auto is count-tokens with the fallback.
AuditProbe = Literal["auto", "count_tokens", "generate"]
_NOT_HERE = {Availability.NOT_FOUND_OR_NO_ACCESS, Availability.NOT_SERVABLE_IN_REGION}


def needs_generate(result: ProbeResult) -> bool:
    """A count-tokens answer that may only mean count-tokens is not served where the model may be."""
    if result.availability not in _NOT_HERE or result.cached:
        return False
    if "/models/count-tokens" in result.verdict.message:  # Google named the count-tokens endpoint itself
        return True
    return (result.availability is Availability.NOT_FOUND_OR_NO_ACCESS
            and result.region not in catalog.count_tokens_locations())


async def reprobe(google: GoogleApis, project: str, results: Sequence[ProbeResult],
                  limits: Limits | None = None) -> list[ProbeResult]:
    """``results`` with every pair ``needs_generate`` picks answered again by a 1-token generate request."""
    pairs = [(r.model, r.region) for r in results if needs_generate(r)]
    if not pairs:
        return list(results)
    async with Prober(google, project, "generate", limits) as prober:
        again = {(r.model, r.region): replace(r, by_generate=True) for r in await prober.probe_all(pairs)}
    return [again.get((r.model, r.region), r) for r in results]


def probe_pairs_auto(google: GoogleApis, project: str, pairs: Sequence[tuple[str, str]],
                     limits: Limits | None = None) -> list[ProbeResult]:
    """Synchronous ``--probe auto`` over ``pairs`` (count-tokens, then generate where it is not served)."""
    import asyncio

    async def run() -> list[ProbeResult]:
        async with Prober(google, project, "count_tokens", limits) as prober:
            with quiet_gc():
                first = await prober.probe_all(pairs)
        return await reprobe(google, project, first, limits)

    return asyncio.run(run())
