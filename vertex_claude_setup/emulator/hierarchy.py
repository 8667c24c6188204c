"""Resource Manager v3, the hierarchy: organizations.get, folders.get/list, projects.list/search.

As documented in the ``cloudresourcemanager.v3`` discovery document: ``list`` returns the direct children
of ``parent`` sorted by display name (strongly consistent), only ACTIVE ones unless ``showDeleted``;
``search`` returns every project the caller may ``resourcemanager.projects.get`` matching ``query``
(terms joined by a space match *any* of them), in no particular order. Pages carry an opaque
``nextPageToken``.

Scenario: ``[organizations."ID"]`` and ``[folders."ID"]`` (``display_name``, ``parent``, ``state``,
``permissions``); a node's ``permissions`` are granted there and inherited below it, an organization
without the key grants everything (the default organization ``123456789012`` exists implicitly).
"""

from __future__ import annotations

import base64
import fnmatch
from typing import Any

from .discovery import validate_query
from .googleerrors import ApiError, permission_denied
from .resourcemanager import project_json
from .server import Request, handles
from .state import DEFAULT_ORGANIZATION, State

API = "cloudresourcemanager.v3"
HOST = "cloudresourcemanager.googleapis.com"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_STAMP = "2025-01-01T00:00:00.000Z"


def organizations(state: State) -> dict[str, dict[str, Any]]:
    orgs: dict[str, dict[str, Any]] = state.data.setdefault("organizations", {})
    orgs.setdefault(DEFAULT_ORGANIZATION, {"display_name": "example.com"})
    return orgs


def folders(state: State) -> dict[str, dict[str, Any]]:
    return state.data.setdefault("folders", {})  # type: ignore[no-any-return]


def _node(state: State, name: str) -> dict[str, Any] | None:
    kind, _, ident = name.partition("/")
    if kind == "organizations":
        return organizations(state).get(ident)
    if kind == "folders":
        return folders(state).get(ident)
    return None


def holds(state: State, name: str, permission: str) -> bool:
    """Whether the caller holds ``permission`` on ``name`` (granted there or on an ancestor)."""
    seen: set[str] = set()
    while name and name not in seen:
        seen.add(name)
        node = _node(state, name)
        if node is None:
            return False
        granted = node.get("permissions", None if name.startswith("organizations/") else [])
        if granted is None or permission in granted:
            return True
        name = str(node.get("parent", ""))
    return False


def _require(state: State, name: str, permission: str) -> dict[str, Any]:
    """The node, or the 403 Google answers for both "missing" and "no access"."""
    node = _node(state, name)
    if node is None or not holds(state, name, permission):
        raise permission_denied(permission, f"//{HOST}/{name}", "iam.googleapis.com")
    return node


def _parent(req: Request) -> str:
    parent = req.q("parent")
    if not parent:
        raise ApiError("INVALID_ARGUMENT", "Request contains an invalid argument: parent is required.")
    kind, _, ident = parent.partition("/")
    if kind not in {"organizations", "folders"} or not ident.isdigit():
        raise ApiError("INVALID_ARGUMENT", f"Invalid parent: {parent}. Expected folders/{{folder_id}} or "
                                           "organizations/{org_id}.")
    return parent


def _page(req: Request, items: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """One page of ``items`` under ``key``, with an opaque token for the next one."""
    try:
        size = int(req.q("pageSize") or DEFAULT_PAGE_SIZE)
        token = req.q("pageToken")
        start = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
    except ValueError:
        raise ApiError("INVALID_ARGUMENT", "Request contains an invalid argument: bad pageSize or pageToken.") from None
    if size < 0 or start < 0:
        raise ApiError("INVALID_ARGUMENT", "Request contains an invalid argument: bad pageSize or pageToken.")
    size = min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    out: dict[str, Any] = {}
    if items[start:start + size]:
        out[key] = items[start:start + size]
    if start + size < len(items):
        out["nextPageToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
    return out


def _show_deleted(req: Request) -> bool:
    return req.q("showDeleted").lower() == "true"


def folder_json(ident: str, folder: dict[str, Any]) -> dict[str, Any]:
    out = {"name": f"folders/{ident}", "parent": str(folder.get("parent", f"organizations/{DEFAULT_ORGANIZATION}")),
           "displayName": str(folder.get("display_name", f"folder-{ident}")),
           "state": str(folder.get("state", "ACTIVE")), "createTime": _STAMP, "updateTime": _STAMP,
           "etag": f'W/"{ident[-6:]}"'}
    if out["state"] == "DELETE_REQUESTED":
        out["deleteTime"] = "2026-01-01T00:00:00.000Z"
    return out


@handles(API, "cloudresourcemanager.organizations.get")
def get_organization(req: Request) -> dict[str, Any]:
    name = f"organizations/{req.params['organizationsId']}"
    org = _require(req.state, name, "resourcemanager.organizations.get")
    return {"name": name, "displayName": str(org.get("display_name", "example.com")), "state": "ACTIVE",
            "directoryCustomerId": "C0123abcd", "createTime": _STAMP, "updateTime": _STAMP,
            "etag": f'W/"{name[-6:]}"'}


@handles(API, "cloudresourcemanager.folders.get")
def get_folder(req: Request) -> dict[str, Any]:
    ident = req.params["foldersId"]
    folder = _require(req.state, f"folders/{ident}", "resourcemanager.folders.get")
    return folder_json(ident, folder)


@handles(API, "cloudresourcemanager.folders.list")
def list_folders(req: Request) -> dict[str, Any]:
    validate_query(API, "cloudresourcemanager.folders.list", req.query)
    parent = _parent(req)
    with req.state.lock:
        _require(req.state, parent, "resourcemanager.folders.list")
        found = [folder_json(ident, f) for ident, f in folders(req.state).items()
                 if f.get("parent", f"organizations/{DEFAULT_ORGANIZATION}") == parent
                 and (_show_deleted(req) or f.get("state", "ACTIVE") == "ACTIVE")]
    found.sort(key=lambda f: (str(f["displayName"]).lower(), f["name"]))
    return _page(req, found, "folders")


@handles(API, "cloudresourcemanager.projects.list")
def list_projects(req: Request) -> dict[str, Any]:
    validate_query(API, "cloudresourcemanager.projects.list", req.query)
    parent = _parent(req)
    with req.state.lock:
        _require(req.state, parent, "resourcemanager.projects.list")
        found = [project_json(p) for p in req.state.data["projects"].values()
                 if p.get("exists", True) and p["parent"] == parent
                 and (_show_deleted(req) or p["state"] == "ACTIVE")]
    found.sort(key=lambda p: (str(p["displayName"]).lower(), p["projectId"]))
    return _page(req, found, "projects")


@handles(API, "cloudresourcemanager.projects.search")
def search_projects(req: Request) -> dict[str, Any]:
    validate_query(API, "cloudresourcemanager.projects.search", req.query)
    terms = parse_query(req.q("query"))
    with req.state.lock:
        found = [project_json(p) for p in req.state.data["projects"].values()
                 if p.get("exists", True) and _may_get(p) and (not terms or any(_matches(p, t) for t in terms))]
    found.sort(key=lambda p: str(p["projectId"]))  # "unspecified order": stable here, for paging
    return _page(req, found, "projects")


def _may_get(project: dict[str, Any]) -> bool:
    granted = project.get("permissions")
    return granted is None or "resourcemanager.projects.get" in granted


_FIELDS = {"name": "displayName", "displayname": "displayName", "id": "projectId", "projectid": "projectId",
           "parent": "parent", "parent.type": "parent.type", "parent.id": "parent.id", "state": "state",
           "lifecyclestate": "state", "labels": "labels"}


def parse_query(query: str) -> list[tuple[str, str]]:
    """``field:value`` terms (``=`` also accepted); ``OR`` between terms is the default and may be written."""
    terms: list[tuple[str, str]] = []
    for raw in query.split():
        if raw.upper() == "OR":
            continue
        sep = ":" if ":" in raw else "=" if "=" in raw else ""
        if not sep:
            raise ApiError("INVALID_ARGUMENT", f"Invalid query: {query!r}: expected field:value terms.")
        field, _, value = raw.partition(sep)
        key = field.lower()
        if key.startswith("labels."):
            terms.append((f"labels.{field[len('labels.'):]}", value.strip('"')))
            continue
        if key not in _FIELDS:
            raise ApiError("INVALID_ARGUMENT", f"Invalid query: unknown field {field!r}.")
        terms.append((_FIELDS[key], value.strip('"')))
    return terms


def _like(actual: str, pattern: str) -> bool:
    """Case-insensitive; a trailing ``*`` is a prefix match (and ``*`` alone matches anything)."""
    return fnmatch.fnmatchcase(actual.lower(), pattern.lower()) if pattern.endswith("*") else (
        actual.lower() == pattern.lower())


def _matches(project: dict[str, Any], term: tuple[str, str]) -> bool:
    field, value = term
    labels: dict[str, str] = dict(project.get("labels") or {})
    parent = str(project["parent"])
    if field.startswith("labels."):
        key = field[len("labels."):]
        return key in labels and (value == "*" or _like(labels[key], value))
    if field == "labels":
        return any(_like(k, value) or _like(v, value) for k, v in labels.items())
    if field == "parent.type":
        return _like(parent.partition("/")[0].rstrip("s"), value)
    if field == "parent.id":
        return _like(parent.partition("/")[2], value)
    actual = {"displayName": project["displayName"], "projectId": project["projectId"], "parent": parent,
              "state": project["state"]}[field]
    return _like(str(actual), value)
