"""A whole organization from a few lines: folders and N projects in a mixed state, generated from a seed.

Scenario ``[organization]`` (every key optional)::

    id = "123456789012"        # the organization (default: the emulator's default organization)
    seed = 7                   # same seed, same organization: folder tree, parents, states, labels
    projects = 500
    folders = [4, 3]           # folders per level: 4 under the organization, 3 under each of those
    prefix = "fleet"           # project IDs fleet-0001 … fleet-0500
    models = [...]             # what "logging" and "unavailable" are about (default: the catalog's
    regions = ["us-east5"]     #   recommended models, in us-east5)
    labels = { team = ["red", "blue"], env = ["prod", "dev"] }
    [organization.mix]         # share of the projects in each state; the rest are "ready" (API on)
    api_off = 0.15             # the Vertex AI API disabled (apply enables it)
    billing_off = 0.05         # billing off, API off: cannot converge (enabling needs billing)
    no_permission = 0.05       # listed in its folder, but the caller may not read it
    delete_requested = 0.04    # being deleted (DELETE_REQUESTED)
    logging_on = 0.15          # request-response logging, audit logs and the dataset all configured
    logging_partial = 0.15     # the dataset and one (model, region) logged; the rest not
    unavailable = 0.10         # the first model is not enabled in Model Garden (NOT_ENABLED)

Each project's state kind is kept in its ``fleet_kind`` field, so tests can check the tool's verdicts
against what the scenario made.
"""

from __future__ import annotations

import random
from typing import Any

from .state import DEFAULT_ORGANIZATION, State

KINDS = ("api_off", "billing_off", "no_permission", "delete_requested", "logging_on", "logging_partial",
         "unavailable")
ORGANIZATION_KEYS = {"id", "display_name", "seed", "projects", "folders", "prefix", "models", "regions", "labels",
                     "mix"}
VERTEX = "aiplatform.googleapis.com"
SERVICES_ON = [VERTEX, "cloudquotas.googleapis.com"]
DATASET = "claude_logs"
TABLE = "request_response_logging"


def _defaults(spec: dict[str, Any]) -> tuple[list[str], list[str]]:
    from vertex_claude_setup import catalog

    models = list(spec.get("models") or catalog.recommended_models())
    regions = [r for r in (spec.get("regions") or ["us-east5"]) if r not in {"global", "us", "eu"}]
    return models, regions


def populate(state: State, spec: dict[str, Any]) -> None:
    """Add the organization's folders and projects to ``state`` (deterministic for one ``seed``)."""
    rng = random.Random(int(spec.get("seed", 0)))
    org = str(spec.get("id", DEFAULT_ORGANIZATION))
    state.data.setdefault("organizations", {}).setdefault(org, {"display_name": spec.get("display_name",
                                                                                          "example.com")})
    parents = [f"organizations/{org}", *_folders(state, org, [int(n) for n in spec.get("folders", [3])])]
    count = int(spec.get("projects", 10))
    prefix = str(spec.get("prefix", "fleet"))
    ids = [f"{prefix}-{i:04d}" for i in range(1, count + 1)]
    kinds = _kinds(rng, ids, dict(spec.get("mix") or {}))
    labels: dict[str, list[str]] = {k: list(v) for k, v in (spec.get("labels") or {}).items()}
    models, regions = _defaults(spec)
    for pid in ids:
        kind = kinds.get(pid, "ready")
        project = state.add_project(pid, parent=rng.choice(parents), fleet_kind=kind,
                                    labels={k: rng.choice(v) for k, v in sorted(labels.items()) if v},
                                    **_spec(kind, models))
        _configure(project, kind, models, regions)


def _folders(state: State, org: str, per_level: list[int]) -> list[str]:
    """Create the folder tree breadth first; returns every folder's name."""
    tree: dict[str, dict[str, Any]] = state.data.setdefault("folders", {})
    level, made = [f"organizations/{org}"], []
    serial = 0
    for depth, width in enumerate(per_level, 1):
        nxt = []
        for parent in level:
            for i in range(1, width + 1):
                serial += 1
                ident = str(200000000000 + int(org) % 1000 * 1000 + serial)
                tree[ident] = {"display_name": f"team-{depth}-{serial:03d}-{i}", "parent": parent}
                nxt.append(f"folders/{ident}")
        made += nxt
        level = nxt
    return made


def _kinds(rng: random.Random, ids: list[str], mix: dict[str, Any]) -> dict[str, str]:
    unknown = sorted(set(mix) - set(KINDS))
    if unknown:
        from vertex_claude_setup.errors import SetupError

        raise SetupError(f"scenario: unknown organization.mix state {unknown[0]!r}", f"use {', '.join(KINDS)}")
    shuffled = list(ids)
    rng.shuffle(shuffled)
    out: dict[str, str] = {}
    for kind in KINDS:
        take = round(float(mix.get(kind, 0)) * len(ids))
        for pid in shuffled[:take]:
            out[pid] = kind
        shuffled = shuffled[take:]
    return out


def _spec(kind: str, models: list[str]) -> dict[str, Any]:
    if kind == "api_off":
        return {"enabled_services": []}
    if kind == "billing_off":
        return {"enabled_services": [], "billing_enabled": False}
    if kind == "no_permission":
        return {"enabled_services": SERVICES_ON, "permissions": []}
    if kind == "delete_requested":
        return {"enabled_services": SERVICES_ON, "state": "DELETE_REQUESTED"}
    if kind == "unavailable":
        return {"enabled_services": SERVICES_ON, "availability": {f"{models[0]}|*": "NOT_ENABLED"}}
    return {"enabled_services": SERVICES_ON}


def _configure(project: dict[str, Any], kind: str, models: list[str], regions: list[str]) -> None:
    """Logging already (partly) in place: the dataset, the per-pair configs, the audit config."""
    if kind not in {"logging_on", "logging_partial"}:
        return
    from .bigquery import seed_dataset

    pid = project["projectId"]
    seed_dataset(project, DATASET)
    pairs = [(m, r) for r in regions for m in models]
    if kind == "logging_partial":
        pairs = pairs[:1]
    uri = f"bq://{pid}.{DATASET}.{TABLE}"
    project["publisherModelConfigs"] = {
        f"{region}/{model}": {"loggingConfig": {"enabled": True, "samplingRate": 1.0,
                                                "bigqueryDestination": {"outputUri": uri}}}
        for model, region in pairs}
    if kind == "logging_on":
        project["iamPolicy"].setdefault("auditConfigs", []).append(
            {"service": VERTEX, "auditLogConfigs": [{"logType": "DATA_READ"}, {"logType": "DATA_WRITE"}]})
