"""Whether each configured model is enabled for the project in Model Garden, from what Vertex AI answers.

Enablement is per project, not per location, and the reliable signal is the probe itself: "is not allowed to
use Publisher Model" (``NOT_ENABLED``). Each model is probed in one configured location (one its catalog
hints serve first); a model whose answer there says nothing about enablement (not served there, not found,
an error) is probed in its other configured locations. For a model that is not enabled, Model Garden's EULA
check says whether the terms were accepted already (only then is the Model Garden client imported).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from vertex_claude_setup import catalog
from vertex_claude_setup.errors import SetupError

from .classify import Availability
from .fallback import probe_pairs_auto
from .probe import ProbeResult

if TYPE_CHECKING:
    from vertex_claude_setup.gcp.session import GoogleApis

State = Literal["ENABLED", "NOT_ENABLED", "ORG_POLICY_BLOCKED", "UNKNOWN"]
# Answers only a call that got past the project's enablement can give.
_PAST_ENABLEMENT = {Availability.AVAILABLE, Availability.DATA_SHARING_REQUIRED, Availability.QUOTA_EXHAUSTED}


@dataclass(frozen=True)
class ModelEnablement:
    """One configured model: its enablement state, the answer it was read from, and the EULA when asked."""

    model: str
    state: State
    region: str
    answer: str  # the availability class the probe got
    message: str = ""
    eula_accepted: bool | None = None  # None: not asked (enabled) or not readable

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "state": self.state, "region": self.region, "class": self.answer,
                "message": self.message, "eula_accepted": self.eula_accepted}


def _state(result: ProbeResult) -> State | None:
    cls = result.availability
    if cls is Availability.NOT_ENABLED:
        return "NOT_ENABLED"
    if cls in _PAST_ENABLEMENT:
        return "ENABLED"
    if cls is Availability.ORG_POLICY_BLOCKED:
        return "ORG_POLICY_BLOCKED"
    return None


def _ordered_regions(model: str, regions: Sequence[str]) -> list[str]:
    info = catalog.models().get(model)
    hinted = [r for r in regions if info is not None and r in info.region_hints]
    return hinted + [r for r in regions if r not in hinted]


def read(google: GoogleApis, project: str, models: Sequence[str], regions: Sequence[str]) -> list[ModelEnablement]:
    """The enablement of every model in ``models``, probing as few (model, location) pairs as tells it."""
    order = {m: _ordered_regions(m, regions) for m in models}
    found: dict[str, ModelEnablement] = {}
    last: dict[str, ProbeResult] = {}
    for round_ in range(max(len(r) for r in order.values()) if order else 0):
        pairs = [(m, order[m][round_]) for m in models if m not in found and round_ < len(order[m])]
        if not pairs:
            break
        for result in probe_pairs_auto(google, project, pairs):
            last[result.model] = result
            state = _state(result)
            if state is not None:
                found[result.model] = ModelEnablement(result.model, state, result.region,
                                                      result.availability.value, result.verdict.message)
    out: list[ModelEnablement] = []
    for model in models:
        entry = found.get(model)
        if entry is None:
            result = last[model]
            entry = ModelEnablement(model, "UNKNOWN", result.region, result.availability.value,
                                    result.verdict.message)
        elif entry.state == "NOT_ENABLED":
            entry = ModelEnablement(entry.model, entry.state, entry.region, entry.answer, entry.message,
                                    _eula(google, project, model))
        out.append(entry)
    return out


def _eula(google: GoogleApis, project: str, model: str) -> bool | None:
    """Model Garden's EULA check; None when it cannot be read (the probe already told the state)."""
    from vertex_claude_setup.gcp.model_garden import eula_accepted

    try:
        return eula_accepted(google, project, model)
    except SetupError:
        return None
