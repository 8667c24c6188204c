"""Typed, validated configuration from ``vertex-claude.toml``, the environment and flags.

Precedence: flags > environment > file > defaults. Every error names where the value came from
(file and key, environment variable, or flag), what is wrong and the fix, on one line.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from vertex_claude_setup import catalog, urls

from .envnumbers import ENV_NUMBERS, env_number
from .errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DEFAULT_FILE = "vertex-claude.toml"
# Ids are checked with fullmatch: `$` would also accept a trailing newline, which then reaches a URL or header.
PROJECT_ID_RE = re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]")
DATASET_RE = re.compile(r"[A-Za-z0-9_]{1,1024}")
# User-managed (NAME@PROJECT.iam…, domain-scoped PROJECT.example.com too) and Google's default service accounts
# (NUMBER-compute@developer…, PROJECT@appspot…): full-matched, so nothing a shell or a header would act on passes.
SERVICE_ACCOUNT_RE = re.compile(
    r"[a-z0-9][a-z0-9-]{0,62}@(?:[a-z0-9][a-z0-9.-]{0,90}\.iam|developer|appspot)\.gserviceaccount\.com")
BIGQUERY_LOCATION_RE = re.compile(r"US|EU|[a-z]+-[a-z]+[0-9]+")
MIN_RETENTION_DAYS = 30

DEFAULT_ENDPOINTS: dict[str, str] = {
    "serviceusage": "https://serviceusage.googleapis.com",
    "resourcemanager": "https://cloudresourcemanager.googleapis.com",
    # {region} is replaced per location; global and the multi-regions have their own hosts.
    "aiplatform": "https://{region}-aiplatform.googleapis.com",
    "aiplatform_global": "https://aiplatform.googleapis.com",
    "bigquery": "https://bigquery.googleapis.com",
    "logging": "logging.googleapis.com:443",
    "cloudquotas": "https://cloudquotas.googleapis.com",
    "oauth2": "https://oauth2.googleapis.com",
    "cloudbilling": "https://cloudbilling.googleapis.com",
    "orgpolicy": "https://orgpolicy.googleapis.com",
    # Base URL for Claude calls (AnthropicVertex base_url); empty = the SDK's per-region host.
    "claude": "",
}


@dataclass(frozen=True)
class LoggingConfig:
    """Request-response logging to BigQuery and the audit-log settings around it."""

    enabled: bool = True
    dataset: str = "claude_logs"
    location: str = "US"
    retention_days: int = 30
    sampling_rate: float = 1.0
    audit_logs: bool = True
    admin_read: bool = False


@dataclass(frozen=True)
class SmokeTestConfig:
    """The "Hey Claude!" request that ends every apply."""

    enabled: bool = True
    model: str = ""
    region: str = ""
    prompt: str = "Hey Claude!"
    max_tokens: int = 100


@dataclass(frozen=True)
class ModelGardenConfig:
    """``[model_garden]``: whether ``apply`` may enable configured models (accepting the publisher's terms)."""

    enable: bool = False


@dataclass(frozen=True)
class Config:
    """The whole resolved configuration; ``source`` is the file it came from, if any."""

    project: str
    regions: tuple[str, ...]
    models: tuple[str, ...]
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    smoke_test: SmokeTestConfig = field(default_factory=SmokeTestConfig)
    model_garden: ModelGardenConfig = field(default_factory=ModelGardenConfig)
    endpoints: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_ENDPOINTS))
    impersonate_service_account: str = ""
    quota_project: str = ""
    # [endpoints] allow_insecure_http: plain http:// to a host that is not loopback (bearer tokens in cleartext).
    allow_insecure_http: bool = False
    source: str = ""
    # Where `project` came from ("flag --project", "environment GOOGLE_CLOUD_PROJECT", the file), and the
    # file's own `project` when the flag or the environment overrode it: plan and apply name both.
    project_from: str = ""
    project_in_file: str = ""

    def digest(self) -> str:
        """A stable hash of everything that shapes a plan (not where the file lives or the project came from)."""
        data = asdict(self)
        for key in ("source", "project_from", "project_in_file"):
            data.pop(key)
        data["endpoints"] = dict(self.endpoints)
        blob = json.dumps(data, sort_keys=True, default=str).encode()
        return "sha256:" + hashlib.sha256(blob).hexdigest()

    @property
    def state_dir(self) -> Path:
        """Where local state lives (emulator state, audit cache, Model Garden's list): beside the config file."""
        return state_dir_for(self.source)


def state_dir_for(source: str) -> Path:
    """``.vertex-claude`` beside the config file ``source`` (the working directory without one)."""
    base = Path(source).resolve().parent if source else Path.cwd()
    return base / ".vertex-claude"


# ---------------------------------------------------------------------------------------------
# Schema: key path -> (kind, default). Kinds: str, int, float, bool, list.
_Kind = str
_SCHEMA: dict[str, tuple[_Kind, Any]] = {
    "project": ("str", ""),
    "regions": ("list", ["us-east5", "global"]),
    "models": ("list", None),  # None: the catalog's recommended set
    "impersonate_service_account": ("str", ""),
    "quota_project": ("str", ""),
    **{f"logging.{k}": (_kind, v) for k, (_kind, v) in {
        "enabled": ("bool", True),
        "dataset": ("str", "claude_logs"),
        "location": ("str", "US"),
        "retention_days": ("int", 30),
        "sampling_rate": ("float", 1.0),
        "audit_logs": ("bool", True),
        "admin_read": ("bool", False),
    }.items()},
    **{f"smoke_test.{k}": (_kind, v) for k, (_kind, v) in {
        "enabled": ("bool", True),
        "model": ("str", ""),
        "region": ("str", ""),
        "prompt": ("str", "Hey Claude!"),
        "max_tokens": ("int", 100),
    }.items()},
    # Off by default: enabling a model in Model Garden accepts its publisher's terms; only the user may decide that.
    "model_garden.enable": ("bool", False),
    **{f"endpoints.{k}": ("str", v) for k, v in DEFAULT_ENDPOINTS.items()},
    "endpoints.allow_insecure_http": ("bool", False),
}
_SECTIONS = {"logging", "smoke_test", "model_garden", "endpoints"}
_TYPE_NAMES = {"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false",
               "list": "a list of strings"}


def env_name(key: str) -> str:
    """``logging.retention_days`` -> ``VERTEX_CLAUDE_LOGGING_RETENTION_DAYS``."""
    return "VERTEX_CLAUDE_" + key.replace(".", "_").upper()


def _check_type(where: str, key: str, kind: _Kind, value: Any) -> Any:
    ok = {
        "str": isinstance(value, str),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "list": isinstance(value, list) and all(isinstance(v, str) for v in value),
    }[kind]
    if not ok:
        raise ConfigError(f"{where}: key '{key}' must be {_TYPE_NAMES[kind]}, got {_short(value)}",
                          f"write it as {_example(kind)}")
    return float(value) if kind == "float" else value


def _short(value: Any) -> str:
    """A value as it may appear in a one-line message: repr (so a newline shows as \\n), cut at 80 chars."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _example(kind: _Kind) -> str:
    return {"str": '"text"', "int": "30", "float": "1.0", "bool": "true", "list": '["a", "b"]'}[kind]


def _parse_env(name: str, key: str, kind: _Kind, raw: str) -> Any:
    where = f"environment {name}"
    try:
        if kind == "list":
            return [part.strip() for part in raw.split(",") if part.strip()]
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            lowered = raw.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
    except ValueError:
        raise ConfigError(f"{where}: {_short(raw)} is not {_TYPE_NAMES[kind]} (for key '{key}')",
                          f"set it like {name}={_example(kind).strip(chr(34))}") from None
    return raw


def parse_table(where: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Flatten and type-check one table shaped like the config file (the file; a fleet's per-project overrides)."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key in _SECTIONS:
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: '{key}' must be a table", f"write it as [{key}]")
            for sub, subval in value.items():
                flat[f"{key}.{sub}"] = subval
        else:
            flat[key] = value
    for key, value in flat.items():
        if key not in _SCHEMA:
            section, _, name = key.rpartition(".")
            known = sorted(k.rpartition(".")[2] for k in _SCHEMA if k.rpartition(".")[0] == section)
            close = catalog._did_you_mean(name, known)  # compare names within the section, not the prefix
            where_in = f" in [{section}]" if section else ""
            raise ConfigError(f"{where}: unknown key {_short(key)}",
                              close.replace("did you mean", "rename it to").rstrip("?") if close
                              else f"remove it; known keys{where_in}: {', '.join(known)}")
        flat[key] = _check_type(where, key, _SCHEMA[key][0], value)
    return flat


def read_toml(path: Path, what: str = "config file",
              missing_fix: str = "run `vertex-claude-setup init --project PROJECT` or pass --config") -> dict[str, Any]:
    """A TOML file the user wrote (the config, a fleet's overrides), or a one-line error naming ``what`` it is."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark (Windows editors write one) is not TOML
        return dict(tomllib.loads(text))
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} not found", missing_fix) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} {path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
                          f"{exc.start})", "save it as UTF-8: TOML files are UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{what} {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}", "fix the syntax at that line") from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise ConfigError(f"{path}: invalid TOML: nested too deeply", "a config needs no nesting deeper than "
                          "one table and one list") from None


def config_file(path: Path | None = None, environ: Mapping[str, str] | None = None) -> tuple[Path, bool]:
    """(the config file to read, whether it was named): ``path``, ``$VERTEX_CLAUDE_CONFIG`` or the default."""
    environ = os.environ if environ is None else environ
    if path is None and environ.get("VERTEX_CLAUDE_CONFIG"):
        path = Path(environ["VERTEX_CLAUDE_CONFIG"])
    return (path, True) if path is not None else (Path(DEFAULT_FILE), False)


def load(
    path: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    live_scope: str = "google",
    check_models: bool = True,
    overrides_from: Mapping[str, str] | None = None,
) -> Config:
    """Resolve the config: flags (``overrides``) > environment > file > defaults.

    ``path`` None means ``./vertex-claude.toml`` if present (or ``$VERTEX_CLAUDE_CONFIG``), else defaults only.
    Model ids are checked against the catalog and, when it was read, Model Garden's list for ``live_scope``
    (``google``/``emulator``); ``check_models=False`` leaves that for a second load once the list is fresh;
    ``overrides_from``: where overrides that are not flags came from (a fleet's overrides file).
    """
    environ = os.environ if environ is None else environ
    for name in ENV_NUMBERS:
        env_number(name, 0.0, environ)
    path, explicit = config_file(path, environ)
    values: dict[str, Any] = {key: default for key, (_k, default) in _SCHEMA.items()}
    where: dict[str, str] = dict.fromkeys(_SCHEMA, "default")
    source = file_project = ""
    if explicit or path.exists():
        for key, value in parse_table(str(path), read_toml(path)).items():
            values[key], where[key] = value, f"{path}: key '{key}'"
        source = str(path)
        file_project = str(values["project"]) if where["project"] != "default" else ""
    env_map = {env_name(k): k for k in _SCHEMA}
    env_map["GOOGLE_CLOUD_PROJECT"] = "project"
    env_map["CLOUD_ML_REGION"] = "smoke_test.region"
    # Google's convention first, our own prefix wins when both are set.
    for name in sorted(env_map, key=lambda n: n.startswith("VERTEX_CLAUDE_")):
        if name in environ and environ[name] != "":
            key = env_map[name]
            values[key] = _parse_env(name, key, _SCHEMA[key][0], environ[name])
            where[key] = f"environment {name}"
    for key, value in (overrides or {}).items():
        if value is not None and value != ():
            values[key] = list(value) if isinstance(value, tuple) else value
            where[key] = (overrides_from or {}).get(key) or f"flag --{key.split('.')[-1].replace('_', '-')}"
    config = _build(values, where, source, _live_ids(source, live_scope) if check_models else None, check_models)
    from_file = where["project"] == f"{path}: key 'project'"
    return replace(config, project_from=source if from_file else where["project"],
                   project_in_file="" if from_file else file_project)


def _live_ids(source: str, scope: str) -> set[str] | None:
    """Model Garden's list from the cache beside the config, when it was read (any age)."""
    from vertex_claude_setup.catalog import live

    found = live.load(state_dir_for(source), scope)
    return found.ids() if found is not None else None


def _build(values: dict[str, Any], where: dict[str, str], source: str, live: set[str] | None = None,
           check_models: bool = True) -> Config:
    def fail(key: str, problem: str, fix: str = "") -> ConfigError:
        return ConfigError(f"{where[key]}: {problem}", fix)

    project = values["project"]
    if not project:
        raise ConfigError("no project configured",
                          "set project = \"my-project\" in vertex-claude.toml, GOOGLE_CLOUD_PROJECT, or --project")
    if not PROJECT_ID_RE.fullmatch(project):
        raise fail("project", f"{_short(project)} is not a valid project ID",
                   "use the project ID (6-30 chars: lowercase letters, digits, hyphens; starts with a letter), "
                   "not the display name or number")
    regions = tuple(dict.fromkeys(values["regions"]))
    if not regions:
        raise fail("regions", "no regions configured", 'list at least one, e.g. regions = ["us-east5"]')
    for region in regions:
        problem = catalog.check_region(region)
        if problem:
            raise fail("regions", f"region {_short(region)}: {problem}")
    models = tuple(dict.fromkeys(values["models"] if values["models"] is not None else catalog.recommended_models()))
    if not models:
        raise fail("models", "no models configured", "list at least one, or remove the key for the defaults")
    for model in models:
        problem = (catalog.check_model_id(model, live) or catalog.retired_error(model)) if check_models \
            else catalog.model_form_problem(model)
        if problem:
            raise fail("models", f"model {_short(model)}: {problem}", catalog.live_hint(model, problem, live))
    log = LoggingConfig(**{k.split(".")[1]: values[k] for k in _SCHEMA if k.startswith("logging.")})
    if log.retention_days != 0 and log.retention_days < MIN_RETENTION_DAYS:
        raise fail("logging.retention_days", f"retention_days = {log.retention_days} is below the minimum 30",
                   "set retention_days = 30 or more (0 keeps logs forever)")
    if log.retention_days < 0 or log.retention_days > 36500:
        raise fail("logging.retention_days", f"retention_days = {log.retention_days} is out of range",
                   "use 30..36500, or 0 to keep logs forever")
    if not 0 < log.sampling_rate <= 1:
        raise fail("logging.sampling_rate", f"sampling_rate = {log.sampling_rate} is outside (0, 1]",
                   "use a number greater than 0 and at most 1, e.g. 1.0")
    if not BIGQUERY_LOCATION_RE.fullmatch(log.location):
        raise fail("logging.location", f"location {_short(log.location)} is not a BigQuery location",
                   'use a multi-region ("US" or "EU") or a region such as "us-east5"')
    if not DATASET_RE.fullmatch(log.dataset):
        raise fail("logging.dataset", f"dataset {_short(log.dataset)} is not a valid BigQuery dataset ID",
                   "use letters, digits and underscores only")
    smoke_values = {k.split(".")[1]: values[k] for k in _SCHEMA if k.startswith("smoke_test.")}
    smoke_values["model"] = smoke_values["model"] or models[0]
    smoke_values["region"] = smoke_values["region"] or regions[0]
    smoke = SmokeTestConfig(**smoke_values)
    problem = (catalog.check_model_id(smoke.model, live) or catalog.retired_error(smoke.model)) if check_models \
        else catalog.model_form_problem(smoke.model)
    if problem:
        raise fail("smoke_test.model", f"model {_short(smoke.model)}: {problem}",
                   catalog.live_hint(smoke.model, problem, live))
    problem = catalog.check_region(smoke.region)
    if problem:
        raise fail("smoke_test.region", f"region {_short(smoke.region)}: {problem}")
    if not 1 <= smoke.max_tokens <= 64000:
        raise fail("smoke_test.max_tokens", f"max_tokens = {smoke.max_tokens} is out of range", "use 1..64000")
    allow_http = values["endpoints.allow_insecure_http"]
    endpoints = {k.split(".")[1]: values[k] for k in _SCHEMA
                 if k.startswith("endpoints.") and k != "endpoints.allow_insecure_http"}
    for name, url in endpoints.items():
        wrong = urls.endpoint_problem(name, url, allow_http, shown=_short(url))
        if wrong:
            raise fail(f"endpoints.{name}", *wrong)
    sa = values["impersonate_service_account"]
    if sa and not SERVICE_ACCOUNT_RE.fullmatch(sa):
        raise fail("impersonate_service_account", f"{_short(sa)} is not a service account email",
                   "use NAME@PROJECT.iam.gserviceaccount.com")
    quota_project = values["quota_project"]
    if quota_project and not PROJECT_ID_RE.fullmatch(quota_project):
        raise fail("quota_project", f"{_short(quota_project)} is not a valid project ID", "use a project ID")
    model_garden = ModelGardenConfig(enable=values["model_garden.enable"])
    return Config(project=project, regions=regions, models=models, logging=log, smoke_test=smoke,
                  model_garden=model_garden, endpoints=endpoints, impersonate_service_account=sa,
                  quota_project=quota_project, allow_insecure_http=allow_http, source=source)

