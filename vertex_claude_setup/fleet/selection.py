"""Which projects a fleet run covers: a list, a folder or an organization (walked), filtered by labels.

Folders and organizations are walked with ``folders.list``/``projects.list`` (strongly consistent);
an explicit list is looked up with ``projects.search`` (``id:a id:b …``, a few requests for hundreds
of projects instead of one ``projects.get`` each). ACTIVE projects are run; the others are reported as
skipped, and every project or node that cannot be read is reported with Google's reason and the fix.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vertex_claude_setup import config
from vertex_claude_setup.errors import ConfigError, SetupError

from .report import Skipped, Unreadable

if TYPE_CHECKING:
    from vertex_claude_setup.gcp.session import GoogleApis

LABEL_KEY_RE = re.compile(r"[a-z][a-z0-9_-]{0,62}")
LABEL_VALUE_RE = re.compile(r"[a-z0-9_-]{0,63}")
SEARCH_CHUNK = 50  # project IDs per projects.search query


@dataclass(frozen=True)
class Spec:
    """What the user asked for (flags); at least one of projects, folders, organizations or labels."""

    projects: tuple[str, ...] = ()
    folders: tuple[str, ...] = ()
    organizations: tuple[str, ...] = ()
    labels: tuple[tuple[str, str | None], ...] = ()  # (key, value); None: the label is present

    def to_json(self) -> dict[str, Any]:
        return {"projects": list(self.projects), "folders": list(self.folders),
                "organizations": list(self.organizations), "labels": [list(pair) for pair in self.labels]}


@dataclass(frozen=True)
class Target:
    """One project to run: its ID, where it sits, its labels."""

    project: str
    parent: str = ""
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class Fleet:
    targets: list[Target] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)


def parse_projects(value: str | None, file: Path | None) -> tuple[str, ...]:
    """``--projects a,b,c`` and/or ``--projects-file FILE`` (one ID a line; ``#`` comments)."""
    found: list[str] = [p.strip() for p in (value or "").split(",") if p.strip()]
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"--projects-file {file} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at "
                              f"offset {exc.start})", "save it as UTF-8 text, one project ID a line") from None
        except OSError as exc:
            raise ConfigError(f"--projects-file {file}: {exc.strerror}",
                              "pass a readable file, one ID a line") from None
        for number, line in enumerate(text.splitlines(), 1):
            entry = line.split("#", 1)[0].strip()
            if entry and not config.PROJECT_ID_RE.fullmatch(entry):
                raise ConfigError(f"--projects-file {file}, line {number}: '{entry}' is not a project ID",
                                  "one project ID a line (lowercase letters, digits, hyphens)")
            if entry:
                found.append(entry)
    for project in found:
        if not config.PROJECT_ID_RE.fullmatch(project):
            raise ConfigError(f"--projects: '{project}' is not a project ID",
                              "use project IDs (6-30 chars: lowercase letters, digits, hyphens), not names or numbers")
    return tuple(dict.fromkeys(found))


def parse_node(kind: str, value: str) -> str:
    """``--folder 123`` / ``folders/123`` -> ``folders/123`` (likewise organizations)."""
    ident = value.strip().removeprefix(f"{kind}/")
    if not ident.isdigit():
        raise ConfigError(f"--{kind.rstrip('s')} '{value}' is not a numeric {kind.rstrip('s')} ID",
                          f"e.g. --{kind.rstrip('s')} 123456789012 (`gcloud resource-manager {kind} list`)")
    return f"{kind}/{ident}"


def parse_labels(values: tuple[str, ...] | list[str]) -> tuple[tuple[str, str | None], ...]:
    """``--label team=red`` (value must match) or ``--label team`` (label present)."""
    out: list[tuple[str, str | None]] = []
    for value in values:
        key, sep, wanted = value.partition("=")
        if not LABEL_KEY_RE.fullmatch(key) or (sep and not LABEL_VALUE_RE.fullmatch(wanted)):
            raise ConfigError(f"--label '{value}' is not a label filter",
                              "write --label key=value or --label key (lowercase letters, digits, - and _)")
        out.append((key, wanted if sep else None))
    return tuple(out)


def _labels_match(labels: dict[str, str], wanted: tuple[tuple[str, str | None], ...]) -> bool:
    return all(key in labels and (value is None or labels[key] == value) for key, value in wanted)


def select(google: GoogleApis, spec: Spec, on_walk: Callable[[int, int], None] | None = None) -> Fleet:
    """Resolve ``spec`` into the projects to run, in a stable order (selection order, then ID).

    ``on_walk(nodes read, projects found)``: the walk's progress, summed over the roots walked.
    """
    from vertex_claude_setup.gcp import folders, projects

    if not (spec.projects or spec.folders or spec.organizations or spec.labels):
        raise ConfigError("no fleet selected",
                          "pass --projects a,b,c, --projects-file FILE, --folder ID, --organization ID or --label k=v")
    fleet = Fleet()
    found: dict[str, dict[str, Any]] = {}
    before = (0, 0)  # nodes and projects of the roots walked already
    for root in [*spec.organizations, *spec.folders]:
        start = before

        def node_read(read: int, found: int, start: tuple[int, int] = start) -> None:
            if on_walk is not None:
                on_walk(start[0] + read, start[1] + found)

        walked = folders.walk(google, root, on_node=node_read)
        before = (start[0] + 1 + len(walked.folders), start[1] + len(walked.projects))
        fleet.unreadable += [Unreadable(node, message, fix) for node, message, fix in walked.unreadable]
        for project in walked.projects:
            found.setdefault(project["projectId"], project)
    if spec.projects:
        looked_up = _lookup(google, spec.projects, fleet)
        for pid in spec.projects:
            if pid in looked_up:
                found.setdefault(pid, looked_up[pid])
    if spec.labels and not (spec.projects or spec.folders or spec.organizations):
        key, value = spec.labels[0]
        try:
            for project in projects.search_projects(google, f"labels.{key}:{value if value is not None else '*'}"):
                found.setdefault(project["projectId"], project)
        except SetupError as exc:
            fleet.unreadable.append(Unreadable("projects (search)", exc.message, exc.hint))
    for pid, project in sorted(found.items()):
        if spec.labels and not _labels_match(project.get("labels") or {}, spec.labels):
            continue
        if project["state"] != "ACTIVE":
            fleet.skipped.append(Skipped(pid, project["state"], f"project {pid} is {project['state']}: only ACTIVE "
                                                               "projects are run"))
            continue
        fleet.targets.append(Target(pid, str(project.get("parent", "")), dict(project.get("labels") or {})))
    return fleet


def _lookup(google: GoogleApis, wanted: tuple[str, ...], fleet: Fleet) -> dict[str, dict[str, Any]]:
    """The listed projects the caller can read (``projects.search`` by ID, a few IDs per query)."""
    from vertex_claude_setup.gcp import projects

    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), SEARCH_CHUNK):
        chunk = wanted[start:start + SEARCH_CHUNK]
        try:
            for project in projects.search_projects(google, " ".join(f"id:{pid}" for pid in chunk)):
                out[project["projectId"]] = project
        except SetupError as exc:
            fleet.unreadable += [Unreadable(pid, exc.message, exc.hint) for pid in chunk]
            out.update({pid: {"projectId": pid, "state": "UNREADABLE"} for pid in chunk})
    for pid in wanted:
        if pid not in out:
            fleet.unreadable.append(Unreadable(pid, f"project {pid} does not exist or you have no access to it "
                                                    "(projects.search did not return it)",
                                               f"check the ID and grant roles/browser on {pid} to your principal"))
    return {pid: p for pid, p in out.items() if p["state"] != "UNREADABLE"}
