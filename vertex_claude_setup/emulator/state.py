"""The emulator's one state object: projects, services, IAM, operations, faults — JSON, persistable.

Scenario files (TOML or JSON) seed it; ``--emulator`` keeps it in a file beside the config so that
plan → apply → plan converges across separate runs, as it would against Google.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import sys
import threading
from pathlib import Path
from typing import Any

from vertex_claude_setup import localfiles
from vertex_claude_setup.errors import SetupError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PROJECT_ID_RE = re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]")  # fullmatch: `$` accepts a trailing newline
DEFAULT_ORGANIZATION = "123456789012"  # the parent of every project a scenario does not place elsewhere

DEFAULTS: dict[str, Any] = {
    # Any well-formed project ID is an existing, billed, ACTIVE project with the Vertex AI API off.
    "auto_create_projects": True,
    "billing_enabled": True,
    "enabled_services": [],
    "permissions": None,  # None: the caller holds every permission
    "operation_polls": 0,  # how many polls an LRO stays pending
}


# The top-level keys a saved state must have the right type for (absent ones take their defaults).
_SHAPE: tuple[tuple[str, type], ...] = (("defaults", dict), ("projects", dict), ("operations", dict),
                                       ("counters", dict), ("faults", list))


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""  # from_scenario names the missing or unreadable file


def project_number(project_id: str) -> str:
    """A stable 12-digit project number derived from the ID (deterministic across runs)."""
    return str(100000000000 + int(hashlib.sha256(project_id.encode()).hexdigest()[:10], 16) % 899999999999)


class State:
    """Thread-safe JSON state; ``path`` set means it is saved after every change."""

    def __init__(self, data: dict[str, Any] | None = None, path: Path | None = None) -> None:
        self.data: dict[str, Any] = data or {}
        self.data.setdefault("version", 1)
        self.data.setdefault("defaults", {})
        for key, value in DEFAULTS.items():
            self.data["defaults"].setdefault(key, copy.deepcopy(value))
        for key in ("projects", "operations", "counters"):
            self.data.setdefault(key, {})
        self.data.setdefault("faults", [])
        self.data.setdefault("concurrent_writes", [])
        self.data.setdefault("seed", 0)
        self.path = path
        self.lock = threading.RLock()
        # Every IAM permission a call was checked against (not saved): tests compare it with what doctor tests.
        self.permissions_checked: set[str] = set()

    # -- persistence ---------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path, scenario: Path | None = None) -> State:
        """Load saved state from ``path`` if it exists, else start from ``scenario`` (or defaults).

        A scenario only seeds new state: passing a different one once state exists is refused, not ignored.
        """
        digest = _file_digest(scenario) if scenario else ""
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError, RecursionError) as exc:
                reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
                raise SetupError(f"emulator state {path} is not readable: {reason}",
                                 "run `vertex-claude-setup emulator reset` (or delete the file)") from None
            if not isinstance(data, dict) or any(not isinstance(data.get(key, kind()), kind) for key, kind in _SHAPE):
                raise SetupError(f"emulator state {path} is not a state file",
                                 "run `vertex-claude-setup emulator reset` to start fresh")
            if scenario and data.get("scenario_sha256") != digest:
                made_from = data.get("scenario_file") or "the default scenario"
                raise SetupError(f"scenario {scenario} is not used: the emulator state {path} already exists, made "
                                 f"from {made_from}", "run `vertex-claude-setup emulator reset` to start again from "
                                 "the scenario, or drop --scenario to go on with the current state")
            return cls(data, path=path)
        state = cls.from_scenario(scenario) if scenario else cls()
        if scenario:
            state.data["scenario_file"], state.data["scenario_sha256"] = str(scenario), digest
        state.path = path
        return state

    @classmethod
    def from_scenario(cls, scenario: Path | dict[str, Any]) -> State:
        """Build state from a scenario (file path or parsed dict); unknown keys are refused by name."""
        if isinstance(scenario, Path):
            try:
                text = scenario.read_text(encoding="utf-8")
                raw = tomllib.loads(text) if scenario.suffix == ".toml" else json.loads(text)
            except FileNotFoundError:
                raise SetupError(f"scenario file {scenario} not found",
                                 "pass an existing TOML or JSON scenario file") from None
            except (OSError, ValueError, RecursionError) as exc:  # TOML/JSON decode errors are ValueErrors
                reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
                raise SetupError(f"scenario file {scenario} is not valid {scenario.suffix.lstrip('.') or 'JSON'}: "
                                 f"{reason}", "fix the syntax at that line") from None
            where = str(scenario)
        else:
            raw = copy.deepcopy(scenario)
            where = "scenario"
        check_scenario(raw, where)
        state = cls({"defaults": raw.get("defaults", {}), "faults": raw.get("faults", []),
                     "seed": raw.get("seed", 0), "extra": raw.get("extra", {})})
        for key, value in raw.items():
            if key not in {"defaults", "faults", "seed", "projects", "extra"}:
                state.data[key] = value  # modules' own scenario sections (e.g. availability)
        if raw.get("organization"):
            from .organization import populate

            populate(state, raw["organization"])
        for project_id, spec in raw.get("projects", {}).items():
            state.add_project(project_id, **spec)
        return state

    def save(self) -> None:
        """Write the state (0600; a missing folder is created 0700): it describes a project, for its owner only."""
        if self.path is None:
            return
        with self.lock:
            localfiles.write_private(self.path, json.dumps(self.data, indent=1, sort_keys=True), create_folder=True)

    # -- projects ------------------------------------------------------------------------
    def add_project(self, project_id: str, **spec: Any) -> dict[str, Any]:
        """Create a project from a scenario spec (missing keys take the defaults)."""
        defaults = self.data["defaults"]
        services = dict.fromkeys(spec.get("enabled_services", defaults["enabled_services"]), "ENABLED")
        project = {
            "projectId": project_id,
            "projectNumber": str(spec.get("number", project_number(project_id))),
            "state": spec.get("state", "ACTIVE"),
            "displayName": spec.get("display_name", project_id),
            "parent": spec.get("parent", f"organizations/{DEFAULT_ORGANIZATION}"),
            "billingEnabled": spec.get("billing_enabled", defaults["billing_enabled"]),
            "services": services,
            "permissions": spec.get("permissions", defaults["permissions"]),
            "exists": spec.get("exists", True),
            "iamPolicy": spec.get("iam_policy") or {
                "version": 1, "etag": "BwYAAAAAAAA=",
                "bindings": [{"role": "roles/owner", "members": ["user:owner@example.com"]}]},
        }
        for key, value in spec.items():
            if key not in {"number", "state", "display_name", "parent", "billing_enabled", "enabled_services",
                           "permissions", "exists", "iam_policy"}:
                project[key] = value
        with self.lock:
            self.data["projects"][project_id] = project
        return project

    def project(self, ref: str) -> dict[str, Any] | None:
        """A project by ID or number; auto-created for a well-formed ID under the default scenario."""
        with self.lock:
            projects: dict[str, dict[str, Any]] = self.data["projects"]
            if ref in projects:
                found = projects[ref]
                return found if found.get("exists", True) else None
            for proj in projects.values():
                if proj["projectNumber"] == ref:
                    return proj if proj.get("exists", True) else None
            if self.data["defaults"]["auto_create_projects"] and PROJECT_ID_RE.fullmatch(ref):
                return self.add_project(ref)
            return None

    def next_id(self, kind: str) -> int:
        with self.lock:
            counters: dict[str, int] = self.data["counters"]
            counters[kind] = counters.get(kind, 0) + 1
            return counters[kind]


# What a scenario may say. Emulator modules read their own sections (availability, quotas, principal…).
SCENARIO_KEYS = {"defaults", "faults", "seed", "projects", "extra", "availability", "quotas", "principal",
                 "region_latency_ms", "propagation", "concurrent_writes", "operation_faults",
                 "model_garden", "org_policies", "organization", "organizations", "folders", "rate_quotas"}
PROJECT_KEYS = {"number", "state", "display_name", "parent", "billing_enabled", "enabled_services", "permissions",
                "exists", "iam_policy", "availability", "quotas", "publisherModelConfigs", "bigquery", "log_buckets",
                "billingAccountName", "log_storage_location", "model_enablement", "labels", "fleet_kind"}
NODE_KEYS = {"display_name", "parent", "state", "permissions"}  # [organizations."ID"] and [folders."ID"]
FAULT_KEYS = {"method", "path", "host", "region", "status", "grpc_status", "message", "reason", "domain", "metadata",
              "times", "rate", "latency_ms", "retry_delay", "reset"}
# Keys that said the same thing as another mechanism, and what says it now (refused, naming the replacement).
_RACE = '[[concurrent_writes]] before setIamPolicy (resource = "iam_policy", times = N, auditConfigs = [...])'
MOVED = {
    "triggers": '[[concurrent_writes]] (when = "after", status, nth, only_raise = true)',
    "defaults.propagation_calls": '[[propagation]] with path = "*" and calls = N',
    "faults.service_disabled": "[[propagation]] with the fault's method and path, and calls = its times",
    "projects.iam_races": _RACE,
    "projects.iam_race_audit_config": _RACE,
    "projects.propagation": "[[propagation]] (a top-level list of windows)",
}


def check_scenario(raw: Any, where: str) -> None:
    """Refuse unknown keys with a suggestion: a typo must not silently leave the default in place."""
    if not isinstance(raw, dict):
        raise SetupError(f"{where}: a scenario must be a table/object", "see the README's scenario example")
    _known(where, "", raw, SCENARIO_KEYS)
    _known(where, "defaults.", raw.get("defaults") or {}, set(DEFAULTS), "defaults.")
    for project_id, spec in (raw.get("projects") or {}).items():
        if not isinstance(spec, dict):
            raise SetupError(f"{where}: projects.{project_id} must be a table", "see the README's scenario example")
        _known(where, f"projects.{project_id}.", spec, PROJECT_KEYS, "projects.")
    for section in ("organizations", "folders"):
        for ident, spec in (raw.get(section) or {}).items():
            if not isinstance(spec, dict) or not str(ident).isdigit():
                raise SetupError(f"{where}: {section}.{ident} must be a table under a numeric ID",
                                 f'write it as [{section}."123456789"]')
            _known(where, f"{section}.{ident}.", spec, NODE_KEYS)
    if raw.get("organization"):
        from .organization import ORGANIZATION_KEYS

        _known(where, "organization.", raw["organization"], ORGANIZATION_KEYS)
    if raw.get("rate_quotas"):
        from .ratequota import check

        check(where, raw["rate_quotas"])
    for i, rule in enumerate(_rules(raw, "faults", where)):
        _known(where, f"faults[{i}].", rule, FAULT_KEYS, "faults.")
        if rule.get("reset") not in (None, "before", "after"):
            raise SetupError(f"{where}: faults[{i}].reset must be \"before\" or \"after\"",
                             "\"before\" drops the call unprocessed, \"after\" loses its answer")
    _check_propagation(raw, where)
    _check_concurrent_writes(raw, where)
    from .injection import OPERATION_FAULT_KEYS

    for i, rule in enumerate(_rules(raw, "operation_faults", where)):
        _known(where, f"operation_faults[{i}].", rule, OPERATION_FAULT_KEYS)
    _check_model_garden(raw, where)


def _rules(raw: dict[str, Any], section: str, where: str) -> list[dict[str, Any]]:
    """The rules of a ``[[section]]`` list, each a table."""
    rules = raw.get(section) or []
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            raise SetupError(f"{where}: {section}[{i}] must be a table", f"write it as [[{section}]] with keys")
    return list(rules)


def _check_propagation(raw: dict[str, Any], where: str) -> None:
    """``[[propagation]]``: windows after an enable (``injection``), each on an endpoint glob."""
    from .injection import PROPAGATION_KEYS

    for i, rule in enumerate(_rules(raw, "propagation", where)):
        _known(where, f"propagation[{i}].", rule, PROPAGATION_KEYS)
        if not rule.get("path"):
            raise SetupError(f"{where}: propagation[{i}] needs a path",
                             'name the endpoint with a glob on the URL path, e.g. path = "*count-tokens:rawPredict" '
                             '(path = "*": every endpoint of the service)')
        for key in ("calls", "seconds"):
            _number(where, f"propagation[{i}].{key}", rule.get(key))


def _check_concurrent_writes(raw: dict[str, Any], where: str) -> None:
    """``[[concurrent_writes]]`` (``faults``): a known writer, the fields it needs and no other writer's."""
    from .faults import WRITE_MATCH_KEYS, WRITER_FIELDS

    every_field = set().union(*(needs | takes for needs, takes in WRITER_FIELDS.values()))
    for i, rule in enumerate(_rules(raw, "concurrent_writes", where)):
        name = f"concurrent_writes[{i}]"
        _known(where, f"{name}.", rule, set(WRITE_MATCH_KEYS) | every_field)
        resource = rule.get("resource")
        if resource not in WRITER_FIELDS:
            raise SetupError(f"{where}: {name}.resource must be one of {', '.join(sorted(WRITER_FIELDS))}",
                             "name what the other client writes")
        needs, takes = WRITER_FIELDS[str(resource)]
        if missing := sorted(needs - set(rule)):
            raise SetupError(f"{where}: {name} (resource {resource}) needs {', '.join(missing)}",
                             f"add {' and '.join(missing)} to the rule")
        if foreign := sorted((set(rule) & every_field) - needs - takes):
            raise SetupError(f"{where}: {name}.{foreign[0]} is not a field of resource {resource}",
                             f"its fields: {', '.join(sorted(needs | takes))}")
        if rule.get("when", "before") not in ("before", "after"):
            raise SetupError(f"{where}: {name}.when must be \"before\" or \"after\"",
                             "\"before\": the other client writes just before the request is handled, \"after\": "
                             "right after it was answered")
        if rule.get("status") is not None and rule.get("when", "before") != "after":
            raise SetupError(f"{where}: {name}.status needs when = \"after\"",
                             "the status is that of the answer, known only after the request")
        for key in ("status", "nth", "times", "seen", "fired"):
            _number(where, f"{name}.{key}", rule.get(key), integer=True)


def _number(where: str, name: str, value: Any, *, integer: bool = False) -> None:
    """A rule's count or duration: a finite number, not negative (absent is fine)."""
    import math

    kinds = (int,) if integer else (int, float)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, kinds) or value < 0 or not math.isfinite(value):
        raise SetupError(f"{where}: {name} must be a{' whole' if integer else ''} number, 0 or more",
                         f"write it like {name.rsplit('.', 1)[-1]} = 2")


def _check_model_garden(raw: dict[str, Any], where: str) -> None:
    """``[model_garden]`` (extra and withdrawn publisher models) and each project's ``model_enablement``."""
    from .model_garden import ENABLEMENT, EXTRA_MODEL_KEYS, MODEL_GARDEN_KEYS

    section = raw.get("model_garden") or {}
    _known(where, "model_garden.", section, MODEL_GARDEN_KEYS)
    for resource, constraints in (raw.get("org_policies") or {}).items():
        if not resource.startswith(("organizations/", "folders/", "projects/")) or not isinstance(constraints, dict):
            raise SetupError(f"{where}: org_policies.{resource} must be a table of constraint -> policy spec, keyed "
                             "by organizations/N, folders/N or projects/ID",
                             '[org_policies."folders/42"] with "vertexai.allowedModels" = {rules = [...]}')
    for i, extra in enumerate(section.get("extra_models") or []):
        if not isinstance(extra, dict) or not extra.get("id"):
            raise SetupError(f"{where}: model_garden.extra_models[{i}] needs an id",
                             'write it as {id = "claude-x@20270101", launch_stage = "GA"}')
        _known(where, f"model_garden.extra_models[{i}].", extra, EXTRA_MODEL_KEYS)
    for project_id, spec in (raw.get("projects") or {}).items():
        for model, value in ((spec or {}).get("model_enablement") or {}).items():
            if value not in ENABLEMENT:
                raise SetupError(f"{where}: projects.{project_id}.model_enablement.{model} = {value!r}",
                                 f"use one of {', '.join(ENABLEMENT)}")


def _known(where: str, prefix: str, table: Any, allowed: set[str], section: str = "") -> None:
    """Unknown keys refused with the closest known one; a removed key names what replaced it (``MOVED``)."""
    import difflib

    for key in table if isinstance(table, dict) else ():
        if key not in allowed:
            moved = MOVED.get(f"{section}{key}")
            if moved:
                raise SetupError(f"{where}: scenario key '{prefix}{key}' was removed", f"use {moved}")
            close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.5)
            hint = f"did you mean '{prefix}{close[0]}'?" if close else f"known keys: {', '.join(sorted(allowed))}"
            raise SetupError(f"{where}: unknown scenario key '{prefix}{key}'", hint)
