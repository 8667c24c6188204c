"""One config for every project of a fleet, with per-project overrides from a TOML file.

The overrides file holds one table per project, shaped like ``vertex-claude.toml``::

    [projects."team-a-prod"]
    regions = ["europe-west1"]

    [projects."team-a-prod".logging]
    retention_days = 90

Each project's config is ``config.load`` of the shared file with its overrides and its ID on top
(flags still win), validated like any config; an error names the overrides file and the project.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vertex_claude_setup import config
from vertex_claude_setup.errors import ConfigError

if TYPE_CHECKING:
    from vertex_claude_setup.config import Config

SELECTION_PROJECT = "fleet-selection"  # stands in for a project while nothing is project-specific yet


def read_overrides(path: Path | None) -> dict[str, dict[str, Any]]:
    """``{project: flat overrides}`` from the overrides file (types and keys checked, like the config)."""
    if path is None:
        return {}
    data = config.read_toml(path, "overrides file", "pass an existing TOML file to --overrides")
    unknown = sorted(set(data) - {"projects"})
    if unknown:
        raise ConfigError(f"{path}: unknown table '{unknown[0]}'", 'put every override under [projects."PROJECT-ID"]')
    if not isinstance(data.get("projects", {}), dict):
        raise ConfigError(f"{path}: 'projects' must hold one table per project", 'write [projects."PROJECT-ID"]')
    out: dict[str, dict[str, Any]] = {}
    for project, table in (data.get("projects") or {}).items():
        where = f'{path}: [projects."{project}"]'
        if not config.PROJECT_ID_RE.fullmatch(project):
            raise ConfigError(f"{where}: '{project}' is not a project ID",
                              "name each table by a project ID (6-30 chars: lowercase letters, digits, hyphens)")
        if not isinstance(table, dict):
            raise ConfigError(f"{where} must be a table", f'write it as [projects."{project}"]')
        flat = config.parse_table(where, table)
        if "project" in flat:
            raise ConfigError(f"{where}: key 'project' cannot be overridden", "remove it: the table names the project")
        out[str(project)] = flat
    return out


class FleetConfigs:
    """Each project's resolved config, loaded once (thread-safe)."""

    def __init__(self, path: Path | None, flags: Mapping[str, Any], overrides_path: Path | None = None, *,
                 live_scope: str = "google") -> None:
        self.path = path
        self.live_scope = live_scope  # whose Model Garden list validates model ids (emulator or Google)
        self.flags = {k: v for k, v in flags.items() if k != "project" and v is not None}
        self.overrides_path = overrides_path
        self.overrides = read_overrides(overrides_path)
        self._lock = threading.Lock()
        self._loaded: dict[str, Config] = {}
        self.base = self._load(None)

    def _load(self, project: str | None) -> Config:
        values: dict[str, Any] = dict(self.overrides.get(project, {})) if project else {}
        where = {key: f'{self.overrides_path}: [projects."{project}"] key \'{key}\'' for key in values}
        values.update(self.flags)
        if project:
            values["project"] = project
            where["project"] = "the fleet selection"
            return config.load(self.path, values, live_scope=self.live_scope, overrides_from=where)
        try:
            return config.load(self.path, values, live_scope=self.live_scope)
        except ConfigError as exc:
            if exc.message != "no project configured":
                raise
            return config.load(self.path, {**values, "project": SELECTION_PROJECT}, live_scope=self.live_scope)

    def for_project(self, project: str) -> Config:
        with self._lock:
            if project not in self._loaded:
                self._loaded[project] = self._load(project)
            return self._loaded[project]

    def digest(self) -> str:
        """What the run's configs depend on (for the resume key): the shared file and every override."""
        import hashlib
        import json

        blob = json.dumps({"base": self.base.digest(), "overrides": self.overrides}, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()
