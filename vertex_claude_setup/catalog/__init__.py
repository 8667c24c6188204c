"""The Claude-on-Vertex catalog: model ids, lifecycle dates and regions, read from JSON data files.

Data, not code: updating a deprecation date or a region hint is a one-line JSON change.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from vertex_claude_setup.errors import ConfigError

# fullmatch only: `$` would accept a trailing newline; [0-9], not \d, which also matches non-ASCII digits.
MODEL_ID_RE = re.compile(r"claude-[a-z0-9-]+(@[0-9]{8})?")
_DASHED_DATE_RE = re.compile(r"(claude-[a-z0-9-]+?)-([0-9]{8})")

Status = Literal["active", "deprecated", "retired"]


@dataclass(frozen=True)
class ModelInfo:
    """One Claude model as Vertex AI names it (publisher ``anthropic``)."""

    id: str
    name: str
    family: str
    quota_base_model: str
    deprecated_on: dt.date | None
    retired_on: dt.date | None
    replacement: str | None
    recommended: bool
    region_hints: tuple[str, ...]
    claude_code_region_env: str | None

    def status(self, today: dt.date | None = None) -> Status:
        """Lifecycle status on ``today`` (default: the real date)."""
        today = today or dt.date.today()
        if self.retired_on and today >= self.retired_on:
            return "retired"
        if self.deprecated_on and today >= self.deprecated_on:
            return "deprecated"
        return "active"

    def status_text(self, today: dt.date | None = None) -> str:
        """``active`` / ``deprecated since DATE`` / ``retired since DATE``, for tables."""
        state = self.status(today)
        if state == "retired":
            return f"retired since {self.retired_on}"
        if state == "deprecated":
            tail = f", retires {self.retired_on}" if self.retired_on else ""
            return f"deprecated since {self.deprecated_on}{tail}"
        return "active"


RegionKind = Literal["region", "multi-region", "global"]


@dataclass(frozen=True)
class RegionInfo:
    """A Vertex AI location: a region, a multi-region (``us``/``eu``) or ``global``."""

    id: str
    kind: RegionKind
    claude_hint: bool

    @property
    def host(self) -> str:
        """The Google host that serves this location (as the anthropic SDK builds it)."""
        if self.kind == "global":
            return "aiplatform.googleapis.com"
        if self.kind == "multi-region":
            return f"aiplatform.{self.id}.rep.googleapis.com"
        return f"{self.id}-aiplatform.googleapis.com"


def location_kind(location: str) -> RegionKind:
    """``global``, ``multi-region`` (``us``/``eu``) or ``region``; a location the catalog does not list is a region."""
    info = regions().get(location)
    if info is not None:
        return info.kind
    return "global" if location == "global" else "region"


def logs_requests(location: str) -> bool:
    """Whether request-response logging (``setPublisherModelConfig``) can be set for Claude in ``location``.

    Google: "To use request-response logging for Anthropic models, use a regional endpoint. The global
    endpoint and multi-regional endpoints don't support this feature." (Vertex AI request-response logging)
    """
    return location_kind(location) == "region"


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _read(name: str) -> Any:
    return json.loads(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))


@cache
def models() -> dict[str, ModelInfo]:
    """Every model in the catalog, by Vertex model id."""
    return parse_models(_read("models.json"))


def parse_models(data: dict[str, Any]) -> dict[str, ModelInfo]:
    """``models.json`` content -> ModelInfo by id."""
    out: dict[str, ModelInfo] = {}
    for raw in data["models"]:
        out[raw["id"]] = ModelInfo(
            id=raw["id"],
            name=raw["name"],
            family=raw["family"],
            quota_base_model=raw["quota_base_model"],
            deprecated_on=_date(raw.get("deprecated_on")),
            retired_on=_date(raw.get("retired_on")),
            replacement=raw.get("replacement"),
            recommended=bool(raw.get("recommended")),
            region_hints=tuple(raw.get("region_hints", ())),
            claude_code_region_env=raw.get("claude_code_region_env"),
        )
    return out


@cache
def regions() -> dict[str, RegionInfo]:
    """Every Vertex AI location the tool knows, by id."""
    return {
        raw["id"]: RegionInfo(id=raw["id"], kind=raw["kind"], claude_hint=bool(raw.get("claude_hint")))
        for raw in _read("regions.json")["regions"]
    }


def recommended_models() -> list[str]:
    """The default model set: the current recommended model of each family."""
    return [m.id for m in models().values() if m.recommended]


def claude_regions() -> list[str]:
    """Locations where Claude is known (hinted) to be served: the default for ``--all-regions``."""
    return [r.id for r in regions().values() if r.claude_hint]


def _did_you_mean(value: str, choices: list[str], cutoff: float = 0.6) -> str:
    close = difflib.get_close_matches(value, choices, n=1, cutoff=cutoff)
    return f"did you mean '{close[0]}'?" if close else ""


def check_model_id(model_id: str) -> str:
    """Why ``model_id`` is malformed (a one-line fix), or ``""`` when it has the Vertex form.

    Ids unknown to the catalog but well-formed are allowed: Google ships models faster than catalogs.
    """
    dashed = _DASHED_DATE_RE.fullmatch(model_id)
    if dashed:
        return f"Vertex model ids put the date after '@': use '{dashed.group(1)}@{dashed.group(2)}'"
    if not MODEL_ID_RE.fullmatch(model_id):
        hint = _did_you_mean(model_id, list(models()))
        return "use a Vertex id like 'claude-sonnet-4@20250514' (see `vertex-claude-setup models`)" + (
            f"; {hint}" if hint else ""
        )
    if model_id not in models():
        # Only a very near miss is an error: a new model may be close to an old one.
        hint = _did_you_mean(model_id, list(models()), cutoff=0.92)
        if hint:
            return f"not in the catalog; {hint}"
        return _family_typo(model_id)
    return ""


def _family_typo(model_id: str) -> str:
    """A misspelt family (``claude-sonet-4-5``) is a typo, however far the id is from a catalog id.

    A new model keeps a known family word, or brings a new one that is not a near miss of one.
    """
    families = sorted({m.family for m in models().values()})
    words = model_id.split("@")[0].split("-")
    if any(word in families for word in words):
        return ""
    for i, word in enumerate(words):
        close = difflib.get_close_matches(word, families, n=1, cutoff=0.75) if word.isalpha() else []
        if close:
            fixed = "-".join([*words[:i], close[0], *words[i + 1:]])
            same = [known for known in models() if known.split("@")[0] == fixed]
            suggestion = same[0] if same else (difflib.get_close_matches(fixed, list(models()), n=1) or [fixed])[0]
            return f"not in the catalog, and '{word}' is not a Claude family; did you mean '{suggestion}'?"
    return ""


def active_replacement(model_id: str, today: dt.date | None = None,
                       known: dict[str, ModelInfo] | None = None) -> str | None:
    """The first active model down the ``replacement`` chain (a replacement may itself be deprecated).

    A model outside the catalog counts as active (it is newer than the catalog). A chain that ends or
    loops before reaching an active model yields its last model that is not retired, else ``None``.
    """
    known = models() if known is None else known
    seen = {model_id}
    fallback: str | None = None
    info = known.get(model_id)
    while info is not None and info.replacement and info.replacement not in seen:
        nxt = info.replacement
        seen.add(nxt)
        info = known.get(nxt)
        if info is None or info.status(today) == "active":
            return nxt
        if info.status(today) == "deprecated" and fallback is None:
            fallback = nxt
    return fallback


def _replacement_text(info: ModelInfo, today: dt.date | None) -> str:
    """``claude-x`` or, when the listed replacement is itself old, ``claude-y (claude-x is deprecated too)``."""
    target = active_replacement(info.id, today)
    if target is None or info.replacement is None:
        return ""
    listed = models().get(info.replacement)
    if target != info.replacement and listed is not None:
        return f"{target} ({info.replacement} is {listed.status(today)} too)"
    return target


def model_warning(model_id: str, today: dt.date | None = None) -> str:
    """A warning for a deprecated model naming its (active) replacement, else ``""``."""
    info = models().get(model_id)
    if info is None or info.status(today) != "deprecated":
        return ""
    target = _replacement_text(info, today)
    rep = f"; move to {target}" if target else ""
    return f"model {model_id} ({info.name}) is {info.status_text(today)}{rep}"


def retired_error(model_id: str, today: dt.date | None = None) -> str:
    """An error text for a retired model naming its (active) replacement, else ``""``."""
    info = models().get(model_id)
    if info is None or info.status(today) != "retired":
        return ""
    target = _replacement_text(info, today)
    rep = f"use {target}" if target else "pick an active model (`vertex-claude-setup models`)"
    return f"model {model_id} ({info.name}) is {info.status_text(today)}; {rep}"


def check_region(region: str) -> str:
    """Why ``region`` is not a Vertex AI location (with a suggestion), or ``""``."""
    if region in regions():
        return ""
    hint = _did_you_mean(region, list(regions()))
    return "unknown Vertex AI location" + (f"; {hint}" if hint else "; e.g. us-east5, europe-west1 or global")


def require_model(model_id: str, what: str = "model") -> None:
    """Raise a ConfigError naming the model when it is malformed or retired."""
    problem = check_model_id(model_id) or retired_error(model_id)
    if problem:
        raise ConfigError(f"{what} '{model_id}': {problem}")


def require_region(region: str, what: str = "region") -> None:
    """Raise a ConfigError naming the region when it is not a known location."""
    problem = check_region(region)
    if problem:
        raise ConfigError(f"{what} '{region}': {problem}")
