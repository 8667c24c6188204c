"""Resource Manager v3: projects.get, getIamPolicy/setIamPolicy (etag, updateMask), testIamPermissions."""

from __future__ import annotations

import base64
import copy
from typing import Any

from .common import caller_has, require_project
from .faults import WRITERS
from .googleerrors import ApiError
from .server import Request, handles
from .state import State

API = "cloudresourcemanager.v3"
HOST = "cloudresourcemanager.googleapis.com"
POLICY_FIELDS = {"version", "bindings", "auditConfigs", "etag"}
# ``$alt=json;enum-encoding=int`` clients send enums as numbers; Google stores the enum, not the JSON.
LOG_TYPES = {0: "LOG_TYPE_UNSPECIFIED", 1: "ADMIN_READ", 2: "DATA_WRITE", 3: "DATA_READ"}


def project_json(project: dict[str, Any]) -> dict[str, Any]:
    """The v3 ``Project`` resource (``labels`` only when it has some, as Google omits empty maps)."""
    out: dict[str, Any] = {
        "name": f"projects/{project['projectNumber']}",
        "parent": project["parent"],
        "projectId": project["projectId"],
        "state": project["state"],
        "displayName": project["displayName"],
        "createTime": "2025-01-01T00:00:00.000Z",
        "updateTime": "2025-01-01T00:00:00.000Z",
        "etag": f"W/\"{project['projectNumber'][-6:]}\"",
    }
    if project.get("labels"):
        out["labels"] = dict(project["labels"])
    if project["state"] == "DELETE_REQUESTED":
        out["deleteTime"] = "2026-01-01T00:00:00.000Z"
    return out


@handles(API, "cloudresourcemanager.projects.get")
def get_project(req: Request) -> dict[str, Any]:
    project = require_project(req.state, req.params["projectsId"], "resourcemanager.projects.get", HOST)
    return project_json(project)


@handles(API, "cloudresourcemanager.projects.getIamPolicy")
def get_iam_policy(req: Request) -> dict[str, Any]:
    project = require_project(req.state, req.params["projectsId"], "resourcemanager.projects.getIamPolicy", HOST)
    with req.state.lock:
        return copy.deepcopy(project["iamPolicy"])


def _next_etag(etag: str) -> str:
    """Etags look like Google's (``BwY…``): a version byte and a 7-byte counter, base64."""
    raw = base64.b64decode(etag) if etag else b"\x07" + b"\0" * 7
    counter = (int.from_bytes(raw[1:8], "big") + 1) % (1 << 56)
    return base64.b64encode(b"\x07" + counter.to_bytes(7, "big")).decode()


@handles(API, "cloudresourcemanager.projects.setIamPolicy")
def set_iam_policy(req: Request) -> dict[str, Any]:
    project = require_project(req.state, req.params["projectsId"], "resourcemanager.projects.setIamPolicy", HOST)
    body = req.body or {}
    policy = body.get("policy")
    if not isinstance(policy, dict):
        raise ApiError("INVALID_ARGUMENT", "Request contains an invalid argument.")
    mask = [p.strip() for p in str(body.get("updateMask") or "bindings,etag").split(",") if p.strip()]
    for path in mask:
        if path not in POLICY_FIELDS:
            raise ApiError("INVALID_ARGUMENT", f"Invalid update mask path: {path}.")
    with req.state.lock:
        current = project["iamPolicy"]
        # The etag is a field of the mask like any other (the default mask is "bindings,etag"): a write whose
        # mask leaves it out is the unchecked path, so a client that wants the check must name it, as gcloud
        # does (it puts every key of the policy it sends in the mask).
        if "etag" in mask and policy.get("etag") and policy["etag"] != current.get("etag"):
            raise ApiError("ABORTED", "There were concurrent policy changes. Please retry the whole "
                                      "read-modify-write with exponential backoff.", http_code=409)
        for binding in policy.get("bindings", []):
            if binding.get("condition") and int(policy.get("version", 1)) < 3:
                raise ApiError("INVALID_ARGUMENT", "Policy version must be 3 for policies with conditional "
                                                   "bindings.")
        for audit in policy.get("auditConfigs", []):
            for log_config in audit.get("auditLogConfigs", []):
                if isinstance(log_config.get("logType"), int):
                    log_config["logType"] = LOG_TYPES.get(log_config["logType"], "LOG_TYPE_UNSPECIFIED")
        updated = copy.deepcopy(current)
        for path in mask:
            if path == "etag":
                continue
            if policy.get(path) not in (None, []):  # an empty list is no field in proto3 JSON
                updated[path] = copy.deepcopy(policy[path])
            else:
                updated.pop(path, None)
        if "bindings" in mask and "version" in policy:
            updated["version"] = policy["version"]
        updated["etag"] = _next_etag(current.get("etag", ""))
        project["iamPolicy"] = updated
        return copy.deepcopy(updated)


def _merge_bindings(policy: dict[str, Any], bindings: list[dict[str, Any]]) -> None:
    """Each member joins the binding of the same role and condition, or a new binding is added."""
    current = policy.setdefault("bindings", [])
    for binding in bindings:
        found = next((b for b in current if b["role"] == binding["role"]
                      and (b.get("condition") or None) == (binding.get("condition") or None)), None)
        if found is None:
            current.append(copy.deepcopy(binding))
        else:
            found["members"] += [m for m in dict.fromkeys(binding.get("members", [])) if m not in found["members"]]


def _merge_audit_configs(policy: dict[str, Any], configs: list[dict[str, Any]]) -> None:
    """Each log type's entry replaces the same service's entry of that type, or is added."""
    current = policy.setdefault("auditConfigs", [])
    for config in configs:
        found = next((c for c in current if c["service"] == config["service"]), None)
        if found is None:
            current.append(copy.deepcopy(config))
            continue
        for entry in config.get("auditLogConfigs", []):
            kept = [e for e in found.get("auditLogConfigs", []) if e.get("logType") != entry.get("logType")]
            found["auditLogConfigs"] = [*kept, copy.deepcopy(entry)]


def _write_policy(state: State, rule: dict[str, Any]) -> bool:
    """Another writer's read-modify-write of the project's policy: ``bindings`` and ``auditConfigs`` merged in,
    a new etag (as on any setIamPolicy). With ``only_raise`` it writes only when that adds something."""
    project = state.project(str(rule["project"]))
    if project is None:
        return False
    with state.lock:
        policy = project["iamPolicy"]
        updated = copy.deepcopy(policy)
        _merge_bindings(updated, rule.get("bindings") or [])
        _merge_audit_configs(updated, rule.get("auditConfigs") or [])
        for key in ("bindings", "auditConfigs"):
            if not updated[key] and key not in policy:
                updated.pop(key)  # an empty list is no field in proto3 JSON
        if rule.get("only_raise") and updated == policy:
            return False
        if any(b.get("condition") for b in updated.get("bindings", [])):
            updated["version"] = 3
        updated["etag"] = _next_etag(policy.get("etag", ""))
        project["iamPolicy"] = updated
        return True


WRITERS["iam_policy"] = _write_policy


@handles(API, "cloudresourcemanager.projects.testIamPermissions")
def test_iam_permissions(req: Request) -> dict[str, Any]:
    project = req.state.project(req.params["projectsId"])
    asked = list((req.body or {}).get("permissions", []))
    for perm in asked:
        if "*" in perm:
            raise ApiError("INVALID_ARGUMENT", f"Permissions ({perm}) with wildcards (*) are not allowed.")
    if project is None:
        return {}
    held = [p for p in asked if caller_has(project, p)]
    return {"permissions": held} if held else {}
