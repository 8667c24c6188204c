"""``env``: the environment that hands a working setup to Claude Code or the ``anthropic`` SDK.

Variable names follow Claude Code's documentation (code.claude.com/docs/en/google-vertex-ai and
/env-vars): ``CLAUDE_CODE_USE_VERTEX``, ``CLOUD_ML_REGION``, ``ANTHROPIC_VERTEX_PROJECT_ID``,
``ANTHROPIC_VERTEX_BASE_URL``, ``ANTHROPIC_MODEL``, ``ANTHROPIC_DEFAULT_{OPUS,SONNET,HAIKU,FABLE}_MODEL``
and the per-model ``VERTEX_REGION_CLAUDE_*`` overrides (catalog field ``claude_code_region_env``).
The SDK reads only ``CLOUD_ML_REGION``, ``ANTHROPIC_VERTEX_PROJECT_ID`` and ``ANTHROPIC_VERTEX_BASE_URL``.

Which model is served where comes from the last availability audit (``.vertex-claude/audit-cache.json``,
read through ``AuditCache``: same scope and TTL as ``regions audit``) and, for pairs it does not
hold, a quick count-tokens probe whose answers go into the same cache.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from vertex_claude_setup.availability.classify import Availability, Verdict

if TYPE_CHECKING:
    from vertex_claude_setup.availability.cache import AuditCache
    from vertex_claude_setup.availability.fallback import AuditProbe
    from vertex_claude_setup.config import Config
    from vertex_claude_setup.gcp.session import GoogleApis

Target = Literal["claude-code", "sdk"]
Format = Literal["sh", "fish", "dotenv", "json"]
FORMATS: tuple[str, ...] = ("sh", "fish", "dotenv", "json")
CACHE_FILE = "audit-cache.json"  # = auditcache.CACHE_FILE (not imported: keeps `env --for sdk` light)
# Later modes override earlier ones: auto (count-tokens, generate where it is not served) is the most exact.
PROBE_ORDER: tuple[AuditProbe, ...] = ("generate", "count_tokens", "auto")
SERVED = {Availability.AVAILABLE, Availability.QUOTA_EXHAUSTED}  # quota is a limit, not a region problem
FAMILY_VARS = {"opus": "ANTHROPIC_DEFAULT_OPUS_MODEL", "sonnet": "ANTHROPIC_DEFAULT_SONNET_MODEL",
               "haiku": "ANTHROPIC_DEFAULT_HAIKU_MODEL", "fable": "ANTHROPIC_DEFAULT_FABLE_MODEL"}


@dataclass
class Environment:
    """The variables, in the order they are printed, plus warnings for a human (never in the values)."""

    variables: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    source: str = ""  # where availability came from


# -- availability: the audit cache, or a probe -------------------------------------------------------
def _cache(google: GoogleApis) -> AuditCache:
    """The audit's own cache, scoped like ``regions audit`` scopes it (emulator results never answer for Google)."""
    from vertex_claude_setup.availability.audit import cache_target
    from vertex_claude_setup.availability.cache import CACHE_FILE, AuditCache

    return AuditCache(google.config.state_dir / CACHE_FILE, cache_target(google), google.config.project)


def read_audit_cache(google: GoogleApis, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], Availability]:
    """Fresh (within the TTL) classes the last audit cached for ``pairs``; a count-tokens answer wins."""
    cache = _cache(google)
    out: dict[tuple[str, str], Availability] = {}
    for mode in PROBE_ORDER:
        out.update({pair: result.availability for pair, result in cache.get(mode, pairs).items()})
    return out


def probe(google: GoogleApis, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], Verdict]:
    """A count-tokens call per (model, region), concurrently: cheap, no quota spent, classified and cached
    (``--probe auto``: a 1-token generate request only where count-tokens is not served)."""
    from vertex_claude_setup.availability.fallback import probe_pairs_auto

    results = probe_pairs_auto(google, google.config.project, pairs)
    _cache(google).put("auto", results)
    return {(r.model, r.region): r.verdict for r in results}


def availability(google: GoogleApis, *, use_cache: bool = True,
                 region: str | None = None) -> tuple[dict[tuple[str, str], Availability], str]:
    """Classes for every configured (model, region), and where they came from.

    ``region`` (``env --region``) is probed too when it is not configured: the variables handed out
    must rest on what that location answered, not on "unknown".
    """
    config = google.config
    regions = [*config.regions, *([region] if region and region not in config.regions else [])]
    pairs = [(m, r) for m in config.models for r in regions]
    cached = read_audit_cache(google, pairs) if use_cache else {}
    where = f"audit cache {config.state_dir / CACHE_FILE}"
    missing = [p for p in pairs if p not in cached]
    if not missing:
        return cached, where
    verdicts = probe(google, missing)
    merged = {**cached, **{p: v.availability for p, v in verdicts.items()}}
    if not cached:
        return merged, "count-tokens probe (no complete audit cache)"
    return merged, f"{where} and a count-tokens probe of {len(missing)} uncached pair(s)"


# -- building the environment ---------------------------------------------------------------------
def build(config: Config, classes: dict[tuple[str, str], Availability], *, target: Target,
          region: str | None = None) -> Environment:
    """The variables for ``target`` from config and availability (pure: tests feed it directly)."""
    from vertex_claude_setup import catalog

    env = Environment()
    chosen = region or config.smoke_test.region
    v = env.variables
    if target == "claude-code":
        v["CLAUDE_CODE_USE_VERTEX"] = "1"
    v["CLOUD_ML_REGION"] = chosen
    v["ANTHROPIC_VERTEX_PROJECT_ID"] = config.project
    if config.endpoints.get("claude"):
        v["ANTHROPIC_VERTEX_BASE_URL"] = config.endpoints["claude"].replace("{region}", chosen)
    if target == "sdk":
        return env
    usable: list[str] = []
    overrides: dict[str, str] = {}
    for model in config.models:
        here = classes.get((model, chosen))
        if here in SERVED:
            usable.append(model)
            continue
        alternatives = [r for r in config.regions if r != chosen and classes.get((model, r)) in SERVED]
        status = here.value if here else "UNKNOWN"
        if here is None or here not in {Availability.NOT_SERVABLE_IN_REGION, Availability.NOT_FOUND_OR_NO_ACCESS}:
            env.warnings.append(f"{model} in {chosen}: {status}; left out (run `vertex-claude-setup smoke-test "
                                f"--model {model} --region {chosen}` for the fix)")
            continue
        if not alternatives:
            env.warnings.append(f"{model} is not served in any configured region ({', '.join(config.regions)}); "
                                "left out")
            continue
        info = catalog.models().get(model)
        var = info.claude_code_region_env if info else None
        if not var:
            env.warnings.append(f"{model} is not served in {chosen} (served in {alternatives[0]}) and Claude Code "
                                "has no per-model region variable for it; left out")
            continue
        overrides[var] = alternatives[0]
        usable.append(model)
    primary = config.smoke_test.model if config.smoke_test.model in usable else (usable[0] if usable else "")
    if primary:
        v["ANTHROPIC_MODEL"] = primary
    else:
        env.warnings.append("no configured model is usable: ANTHROPIC_MODEL not set")
    for family, var in FAMILY_VARS.items():
        pick = next((m for m in usable if _family(m) == family), None)
        if pick:
            v[var] = pick
    v.update(sorted(overrides.items()))
    return env


def _family(model: str) -> str:
    from vertex_claude_setup import catalog

    info = catalog.models().get(model)
    if info:
        return info.family
    return next((f for f in FAMILY_VARS if f in model), "")


# -- formats --------------------------------------------------------------------------------------
def _fish_quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _dotenv_value(value: str) -> str:
    if value and all(c.isalnum() or c in "-_.:/@[]" for c in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def as_format(name: str) -> Format:
    """Narrow a CLI choice to a Format."""
    for fmt in ("sh", "fish", "dotenv", "json"):
        if name == fmt:
            return fmt
    raise ValueError(f"unknown format {name!r}")


def render(env: Environment, fmt: Format, *, header: str = "") -> str:
    """The variables in ``fmt``; sh/fish/dotenv start with a comment header, JSON is a flat object."""
    if fmt == "json":
        return json.dumps(env.variables, indent=2)
    comment = [f"# {line}" for line in header.splitlines()] if header else []
    if fmt == "sh":
        body = [f"export {k}={shlex.quote(val)}" for k, val in env.variables.items()]
    elif fmt == "fish":
        body = [f"set -gx {k} {_fish_quote(val)}" for k, val in env.variables.items()]
    else:
        body = [f"{k}={_dotenv_value(val)}" for k, val in env.variables.items()]
    return "\n".join([*comment, *body])
