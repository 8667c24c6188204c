"""The invariants, judged on the emulator's state (``GET /_emulator/state``), never on what the tool printed.

* ``unmet``: what the config asks for and the state lacks (used for false success and convergence);
* ``lost``: an IAM binding, condition, exemption or audit config, an enabled API, or a field the tool does not
  own (publisher-model config, dataset, table, log bucket) that was there before, or that a concurrent writer
  added, and is gone;
* ``weakened``: a retention or sampling rate lower than before, or lower than a concurrent writer raised it to;
* ``unexpected``: a run that printed "unexpected" or a traceback.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .harness import Run
from .world import DATASET, DAY_MS, TABLE, World

VERTEX = "aiplatform.googleapis.com"
OWNED_LOGGING = {"enabled", "samplingRate", "bigqueryDestination.outputUri", "requestResponseLoggingSchemaVersion"}
_UNEXPECTED = re.compile(r"\bunexpected\b|Traceback \(most recent call last\)", re.IGNORECASE)


def project(state: dict[str, Any], world: World) -> dict[str, Any]:
    return dict(state["projects"].get(world.project) or {})


def dataset(proj: dict[str, Any]) -> dict[str, Any] | None:
    return ((proj.get("bigquery") or {}).get("datasets") or {}).get(DATASET)


def table(proj: dict[str, Any]) -> dict[str, Any] | None:
    return ((proj.get("bigquery") or {}).get("tables") or {}).get(f"{DATASET}/{TABLE}")


def bucket(proj: dict[str, Any]) -> dict[str, Any]:
    """``_Default`` as the emulator has it (materialised on first use, else the scenario's seed)."""
    if "logBuckets" in proj:
        return dict(proj["logBuckets"].get("global/_Default") or {})
    return {"retentionDays": 30, "locked": False, **(proj.get("log_buckets") or {}).get("_Default", {})}


def pair_config(proj: dict[str, Any], model: str, region: str) -> dict[str, Any]:
    return dict((proj.get("publisherModelConfigs") or {}).get(f"{region}/{model}") or {})


def _ms(value: Any) -> int | None:
    """An expiration in ms; None means never (absent, empty or 0)."""
    return None if value in (None, "", 0, "0") else int(value)


def _days(ms: int | None) -> str:
    return "never" if ms is None else f"{ms / DAY_MS:g} days"


def _at_least(value: int | None, floor: int | None) -> bool:
    """Expiration ``value`` keeps data at least as long as ``floor`` (None = forever)."""
    if floor is None:
        return value is None
    return value is None or value >= floor


def _audit(proj: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    out: dict[tuple[str, str], set[str]] = {}
    for config in proj.get("iamPolicy", {}).get("auditConfigs", []):
        for entry in config.get("auditLogConfigs", []):
            out.setdefault((config["service"], str(entry.get("logType"))), set()).update(
                entry.get("exemptedMembers", []))
    return out


def _bindings(proj: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    out: dict[tuple[str, str], set[str]] = {}
    for binding in proj.get("iamPolicy", {}).get("bindings", []):
        condition = {k: v for k, v in (binding.get("condition") or {}).items() if v}
        out.setdefault((binding["role"], json.dumps(condition, sort_keys=True)), set()).update(binding["members"])
    return out


def _leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_leaves(item, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): value}


def _ours(world: World, uri: str) -> bool:
    return uri in {world.destination, f"bq://{world.project}.{DATASET}"}


# -- what the config asks for -------------------------------------------------------------------------
def unmet(world: World, before: dict[str, Any], state: dict[str, Any]) -> list[str]:
    """Everything the config asks for that the state lacks (empty: the project is set up)."""
    proj, seed = project(state, world), project(before, world)
    out: list[str] = []
    if proj.get("services", {}).get(VERTEX) != "ENABLED":
        out.append(f"{VERTEX} is not ENABLED")
    found = dataset(proj)
    if found is None:
        out.append(f"dataset {DATASET} does not exist")
    else:
        expiry = _ms(found.get("defaultPartitionExpirationMs"))
        created = dataset(seed) is None
        if (created and expiry is None) or not _at_least(expiry, world.target_ms):
            out.append(f"dataset {DATASET} partition expiry {_days(expiry)} < {world.retention_days} days")
    log_table = table(proj)
    if log_table and not _at_least(_ms((log_table.get("timePartitioning") or {}).get("expirationMs")),
                                   world.target_ms):
        out.append(f"table {TABLE} partition expiry below {world.retention_days} days")
    default = bucket(proj)
    if not default.get("locked") and int(default.get("retentionDays", 30)) < world.retention_days:
        out.append(f"_Default retention {default.get('retentionDays')} < {world.retention_days} days")
    audit = _audit(proj)
    for log_type in ["DATA_READ", "DATA_WRITE", *(["ADMIN_READ"] if world.admin_read else [])]:
        if (VERTEX, log_type) not in audit and ("allServices", log_type) not in audit:
            out.append(f"{log_type} audit logs for {VERTEX} are off")
    for model, region in world.pairs():
        logging = pair_config(proj, model, region).get("loggingConfig") or {}
        uri = str((logging.get("bigqueryDestination") or {}).get("outputUri") or "")
        seeded = (pair_config(seed, model, region).get("loggingConfig") or {})
        seeded_uri = str((seeded.get("bigqueryDestination") or {}).get("outputUri") or "") if seeded.get(
            "enabled") else ""
        if not logging.get("enabled"):
            out.append(f"request-response logging {model} in {region} is off")
        elif float(logging.get("samplingRate", 0)) < world.sampling:
            out.append(f"request-response logging {model} in {region} samples {logging.get('samplingRate')} "
                       f"< {world.sampling}")
        elif not (_ours(world, uri) or (uri and uri == seeded_uri)):
            out.append(f"request-response logging {model} in {region} goes to {uri or 'nowhere'}")
    return out


# -- never lose, never weaken -------------------------------------------------------------------------
def lost(world: World, before: dict[str, Any], after: dict[str, Any], fired: list[dict[str, Any]]) -> list[str]:
    seed, proj = project(before, world), project(after, world)
    out: list[str] = []
    now = _bindings(proj)
    for (role, condition), members in _bindings(seed).items():
        if missing := members - now.get((role, condition), set()):
            out.append(f"IAM binding {role} {condition if condition != '{}' else ''} lost {sorted(missing)}")
    audit_now = _audit(proj)
    for (service, log_type), exempted in _audit(seed).items():
        if (service, log_type) not in audit_now:
            out.append(f"audit config {service} {log_type} lost")
        elif missing := exempted - audit_now[(service, log_type)]:
            out.append(f"audit exemption {service} {log_type} lost {sorted(missing)}")
    for service, value in seed.get("services", {}).items():
        if value == "ENABLED" and proj.get("services", {}).get(service) != "ENABLED":
            out.append(f"service {service} was disabled")
    out += _lost_fields(world, seed, proj)
    for rule in fired:
        if rule["resource"] != "iam_policy":
            continue
        for binding in rule.get("bindings") or []:
            condition = json.dumps({k: v for k, v in (binding.get("condition") or {}).items() if v}, sort_keys=True)
            if missing := set(binding.get("members", [])) - now.get((binding["role"], condition), set()):
                out.append(f"IAM binding {binding['role']} {sorted(missing)} (a concurrent writer's) lost")
        for config in rule.get("auditConfigs") or []:
            for entry in config.get("auditLogConfigs", []):
                key = (config["service"], str(entry.get("logType")))
                if key not in audit_now:
                    out.append(f"audit config {key[0]} {key[1]} (a concurrent writer's) lost")
                elif missing := set(entry.get("exemptedMembers", [])) - audit_now[key]:
                    out.append(f"audit exemption {key[0]} {key[1]} {sorted(missing)} (a concurrent writer's) lost")
    return out


def writers_that_struck(now: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``[[concurrent_writes]]`` rules that wrote (the emulator counts them in ``fired``; read before the calm,
    which replaces the rules)."""
    return [rule for rule in now.get("concurrent_writes", []) if int(rule.get("fired", 0)) > 0]


MATCH_KEYS = {"method", "path", "host", "when", "status", "nth", "times", "only_raise", "resource", "seen", "fired"}


def describe(rule: dict[str, Any]) -> str:
    """``resource {what it wrote}`` for the report."""
    return f"{rule['resource']} {json.dumps({k: v for k, v in rule.items() if k not in MATCH_KEYS}, sort_keys=True)}"


def _lost_fields(world: World, seed: dict[str, Any], proj: dict[str, Any]) -> list[str]:
    """Fields the tool does not own, compared leaf by leaf."""
    out: list[str] = []
    for key, config in (seed.get("publisherModelConfigs") or {}).items():
        region, model = key.split("/", 1)
        now = _leaves(pair_config(proj, model, region))
        for path, value in _leaves(config).items():
            field = path.removeprefix("loggingConfig.")
            if path.startswith("loggingConfig.") and field in OWNED_LOGGING:
                continue
            if now.get(path) != value:
                out.append(f"publisher config {model}@{region} field {path} {value!r} -> {now.get(path)!r}")
        logging = config.get("loggingConfig") or {}
        uri = str((logging.get("bigqueryDestination") or {}).get("outputUri") or "")
        adopted = logging.get("enabled") and uri and not _ours(world, uri)
        if adopted and now.get("loggingConfig.bigqueryDestination.outputUri") != uri:
            out.append(f"publisher config {model}@{region} foreign destination {uri} replaced")
    pairs = [(dataset(seed), dataset(proj), ("labels", "description", "access", "friendlyName"), "dataset"),
             (table(seed), table(proj), ("labels", "schema", "description"), "table"),
             (bucket(seed), bucket(proj), ("description", "analyticsEnabled", "locked"), "_Default bucket")]
    for old, new, fields, name in pairs:
        if old is None:
            continue
        for field in fields:
            if old.get(field) is not None and (new or {}).get(field) != old.get(field):
                out.append(f"{name} field {field} changed: {old.get(field)!r} -> {(new or {}).get(field)!r}")
    return out


def weakened(world: World, before: dict[str, Any], after: dict[str, Any], fired: list[dict[str, Any]]) -> list[str]:
    seed, proj = project(before, world), project(after, world)
    out: list[str] = []
    floors: dict[str, int | None] = {}  # what must be kept at least
    if dataset(seed) is not None:
        floors["dataset"] = _ms(dataset(seed).get("defaultPartitionExpirationMs"))  # type: ignore[union-attr]
    if table(seed) is not None:
        floors["table"] = _ms((table(seed).get("timePartitioning") or {}).get("expirationMs"))  # type: ignore[union-attr]
    retention = {"bucket": int(bucket(seed).get("retentionDays", 30))}
    rates: dict[tuple[str, str], float] = {}
    for key, config in (seed.get("publisherModelConfigs") or {}).items():
        logging = config.get("loggingConfig") or {}
        if logging.get("enabled"):
            region, model = key.split("/", 1)
            rates[(model, region)] = float(logging.get("samplingRate", 1.0))
    for rule in fired:  # what a writer raised is a floor (a writer that may lower sets none)
        if not rule.get("only_raise"):
            continue
        kind = rule["resource"]
        if kind == "dataset" and floors.get(kind, 0) is not None:  # it raises only a set expiry (never "forever")
            floors[kind] = max(int(floors.get(kind) or 0), int(rule["defaultPartitionExpirationMs"]))
        if kind == "table" and floors.get(kind, 0) is not None:
            floors[kind] = max(int(floors.get(kind) or 0), int(rule["expirationMs"]))
        if kind == "log_bucket" and rule.get("bucket", "_Default") in ("_Default", "global/_Default"):
            retention["bucket"] = max(retention["bucket"], int(rule["retentionDays"]))
        if kind == "publisher_model_config":
            pair = (rule["model"], rule["location"])
            rates[pair] = max(rates.get(pair, 0.0), float(rule["samplingRate"]))
    if "dataset" in floors:
        now = _ms((dataset(proj) or {}).get("defaultPartitionExpirationMs"))
        if dataset(proj) is None or not _at_least(now, floors["dataset"]):
            out.append(f"dataset partition expiry {_days(floors['dataset'])} -> {_days(now)}")
    if "table" in floors:
        now = _ms(((table(proj) or {}).get("timePartitioning") or {}).get("expirationMs"))
        if table(proj) is None or not _at_least(now, floors["table"]):
            out.append(f"table partition expiry {_days(floors['table'])} -> {_days(now)}")
    now_days = int(bucket(proj).get("retentionDays", 30))
    if now_days < retention["bucket"]:
        out.append(f"_Default retention {retention['bucket']} days -> {now_days} days")
    for (model, region), rate in rates.items():
        logging = pair_config(proj, model, region).get("loggingConfig") or {}
        if not logging.get("enabled") or float(logging.get("samplingRate", 0)) < rate:
            out.append(f"sampling {model}@{region} {rate} -> "
                       f"{logging.get('samplingRate') if logging.get('enabled') else 'logging off'}")
    return out


def unexpected(runs: list[Run]) -> list[str]:
    """Runs whose output says "unexpected" or shows a traceback: a bug, not a one-line error."""
    out = []
    for run in runs:
        found = next((line for line in run.output.splitlines() if _UNEXPECTED.search(line)), None)
        if found:
            out.append(f"{run.label}: {found.strip()[:300]}")
    return out
