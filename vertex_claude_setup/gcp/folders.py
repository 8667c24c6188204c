"""Resource Manager v3 folders: walk an organization or a folder down to every project in it (REST).

``folders.list`` and ``projects.list`` are strongly consistent and need only the list permissions on
each node; a node that cannot be listed is reported and the walk goes on with the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from vertex_claude_setup.errors import SetupError
from vertex_claude_setup.gcp import retry

from .projects import list_all, list_error, list_projects
from .session import GoogleApis

API = "cloudresourcemanager.googleapis.com"


def list_folders(google: GoogleApis, parent: str) -> list[dict[str, Any]]:
    """The ACTIVE folders directly under ``parent`` (``organizations/N`` or ``folders/N``)."""
    try:
        found = list_all(google, "list_folders", {"parent": parent, "page_size": 1000})
    except retry.failures() as exc:
        raise list_error(exc, google, parent, "folders.list", "resourcemanager.folders.list") from None
    return [{"name": f.name, "displayName": f.display_name, "parent": f.parent, "state": f.state.name} for f in found]


@dataclass
class Walk:
    """What a walk found: every project (any state), the folders visited, the nodes it could not list."""

    projects: list[dict[str, Any]] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    unreadable: list[tuple[str, str, str]] = field(default_factory=list)  # (node, message, fix)


def walk(google: GoogleApis, root: str, *, workers: int = 8,
         on_node: Callable[[int, int], None] | None = None) -> Walk:
    """Every project under ``root``, recursively, level by level (each level's nodes listed concurrently).

    ``on_node(nodes read, projects found)`` after each node: walking thousands of folders at Google's
    list quota takes minutes, which a terminal should show.
    """
    out = Walk()
    level = [root]
    read = 0

    def visit(node: str) -> tuple[list[dict[str, Any]], list[str]]:
        errors: list[SetupError] = []
        try:
            projects = list_projects(google, node)
        except SetupError as exc:
            projects, errors = [], [exc]
        try:
            children = [f["name"] for f in list_folders(google, node)]
        except SetupError as exc:
            children, errors = [], [*errors, exc]
        denied = [str(getattr(e, "permission", "")) for e in errors if getattr(e, "permission", "")]
        if len(errors) == 2 and len(denied) == 2:  # one node, one line: both listings refused
            errors = [SetupError(f"cannot list {node}: permissions {denied[0]} and {denied[1]} denied (or {node} "
                                 "does not exist)", errors[0].hint)]
        for error in errors:
            out.unreadable.append((node, error.message, error.hint))
        return projects, children

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="walk") as pool:
        while level:
            nxt: list[str] = []
            for projects, children in pool.map(visit, level):
                out.projects.extend(projects)
                nxt.extend(children)
                read += 1
                if on_node is not None:
                    on_node(read, len(out.projects))
            out.folders.extend(nxt)
            level = nxt
    return out
