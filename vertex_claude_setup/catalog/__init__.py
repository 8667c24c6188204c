"""The Claude-on-Vertex catalog: model ids, lifecycle dates and regions, read from JSON data files.

Data, not code: updating a deprecation date or a region hint is a one-line JSON change.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from collections.abc import Collection
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


def model_garden_url(project: str, model_id: str) -> str:
    """The console page where a Claude model is enabled (terms accepted, use-case form) for a project."""
    return (f"https://console.cloud.google.com/vertex-ai/publishers/anthropic/model-garden/{model_id.split('@')[0]}"
            f"?project={project}")


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


@cache
def count_tokens_locations() -> frozenset[str]:
    """Locations Google documents ``count-tokens:rawPredict`` for (elsewhere it may not be served)."""
    return frozenset(_read("regions.json").get("count_tokens", {}).get("locations", ()))


def recommended_models() -> list[str]:
    """The default model set: the current recommended model of each family."""
    return [m.id for m in models().values() if m.recommended]


def claude_regions() -> list[str]:
    """Locations where Claude is known (hinted) to be served: the default for ``--all-regions``."""
    return [r.id for r in regions().values() if r.claude_hint]


def _did_you_mean(value: str, choices: list[str], cutoff: float = 0.6) -> str:
    close = difflib.get_close_matches(value, choices, n=1, cutoff=cutoff)
    return f"did you mean '{close[0]}'?" if close else ""


def _preferred(ids: list[str]) -> str:
    """Of one model's ids, the one Vertex serves as pinned: a dated id, the newest date first."""
    return sorted(ids, key=lambda m: ("@" in m, m.split("@")[-1]), reverse=True)[0]


def _shape(model_id: str) -> str:
    """The id with its version blanked: two ids of one shape are versions of one line, not typos of each other
    (``claude-sonnet-6`` and ``claude-sonnet-4-6`` are both ``claude-sonnet-#``)."""
    return re.sub(r"\d+(-\d+)*", "#", model_id)


def suggest_model(value: str, known: Collection[str] | None = None, cutoff: float = 0.92) -> str | None:
    """The id the user most likely meant, from ``known`` (default: the catalog), or None.

    The same model named without its date gets the dated id Vertex serves (``claude-sonnet-4-5`` ->
    ``claude-sonnet-4-5@20250929``). Otherwise the closest model above ``cutoff`` that is not merely another
    version of the same line: ``claude-sonnet-6`` is a newer model, not a typo of ``claude-sonnet-5``.
    """
    by_name: dict[str, list[str]] = {}
    for model_id in models() if known is None else known:
        by_name.setdefault(model_id.split("@")[0], []).append(model_id)
    name = value.lower().split("@")[0]
    if name in by_name:
        others = [m for m in by_name[name] if m != value]
        return _preferred(others) if others else None
    best, score = "", 0.0
    for candidate in by_name:
        if _shape(candidate) == _shape(name):
            continue
        ratio = difflib.SequenceMatcher(None, name, candidate).ratio()
        if ratio > score:
            best, score = candidate, ratio
    return _preferred(by_name[best]) if best and score >= cutoff else None


def check_model_id(model_id: str, live: Collection[str] | None = None) -> str:
    """Why ``model_id`` is malformed or a near miss (a one-line fix), or ``""`` when it has the Vertex form.

    ``live`` is Model Garden's list when it was read (``catalog.live``): its models are known too. Ids unknown
    to both but well-formed are allowed: Google ships models faster than catalogs.
    """
    known = set(models()) | set(live or ())
    dashed = _DASHED_DATE_RE.fullmatch(model_id)
    if dashed:
        return f"Vertex model ids put the date after '@': use '{dashed.group(1)}@{dashed.group(2)}'"
    if not MODEL_ID_RE.fullmatch(model_id):
        hint = suggest_model(model_id, known, cutoff=0.6)
        return "use a Vertex id like 'claude-sonnet-4@20250514' (see `vertex-claude-setup models`)" + (
            f"; did you mean '{hint}'?" if hint else "")
    if model_id not in known:
        hint = suggest_model(model_id, known)
        if hint and "@" not in model_id and hint.split("@")[0] == model_id:
            return f"Vertex AI serves this model with its date; did you mean '{hint}'?"
        if hint:
            where = "the catalog or Model Garden's list" if live is not None else "the catalog"
            return f"not in {where}; did you mean '{hint}'?"
        return _family_typo(model_id)
    return ""


def model_form_problem(model_id: str) -> str:
    """Why ``model_id`` is not a Vertex id at all, or ``""``: checked before any call, whatever Model Garden's
    list turns out to hold (only whether a well-formed id is known waits for that list)."""
    if _DASHED_DATE_RE.fullmatch(model_id) or not MODEL_ID_RE.fullmatch(model_id):
        return check_model_id(model_id)
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


def require_model(model_id: str, what: str = "model", live: Collection[str] | None = None) -> None:
    """Raise a ConfigError naming the model when it is malformed, a near miss or retired."""
    problem = check_model_id(model_id, live) or retired_error(model_id)
    if problem:
        raise ConfigError(f"{what} '{model_id}': {problem}", live_hint(model_id, problem, live))


def live_hint(model_id: str, problem: str, live: Collection[str] | None) -> str:
    """For another version of a catalog model, checked without Model Garden's list: how to read that list
    (the version may be newer than this catalog)."""
    meant = re.search(r"did you mean '([^']+)'", problem)
    if live is None and problem.startswith("not in the catalog") and meant and "@" in model_id and (
            meant.group(1).split("@")[0] == model_id.split("@")[0]):
        return "if it is newer than this catalog, `vertex-claude-setup models --live` reads Model Garden's list"
    return ""


def require_region(region: str, what: str = "region") -> None:
    """Raise a ConfigError naming the region when it is not a known location."""
    problem = check_region(region)
    if problem:
        raise ConfigError(f"{what} '{region}': {problem}")
