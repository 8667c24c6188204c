"""Checks every emulated API shares: project lookup, permissions, service enablement, operations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .googleerrors import ApiError, billing_disabled, permission_denied, service_disabled
from .injection import operation_fault
from .state import State

SERVICE_TITLES = {
    "aiplatform.googleapis.com": "Vertex AI API",
    "bigquery.googleapis.com": "BigQuery API",
    "logging.googleapis.com": "Cloud Logging API",
    "cloudquotas.googleapis.com": "Cloud Quotas API",
    "serviceusage.googleapis.com": "Service Usage API",
    "cloudresourcemanager.googleapis.com": "Cloud Resource Manager API",
}

# Effects run when a pending operation completes: kind -> fn(state, **args)
EFFECTS: dict[str, Callable[..., None]] = {}


def caller_has(project: dict[str, Any], permission: str) -> bool:
    granted = project.get("permissions")
    return granted is None or permission in granted


def require_permission(project: dict[str, Any], permission: str, resource: str, domain: str) -> None:
    """403 IAM_PERMISSION_DENIED unless the scenario grants ``permission`` on the project."""
    if not caller_has(project, permission):
        raise permission_denied(permission, resource, domain)


def require_project(state: State, ref: str, permission: str, api_host: str) -> dict[str, Any]:
    """The project, or the 403 Google gives for both "missing" and "no access"."""
    state.permissions_checked.add(permission)
    project = state.project(ref)
    if project is None:
        raise permission_denied(permission, f"//{api_host}/projects/{ref}", "iam.googleapis.com")
    require_permission(project, permission, f"//{api_host}/projects/{ref}", "iam.googleapis.com")
    return project


def require_service(state: State, project: dict[str, Any], service: str) -> None:
    """SERVICE_DISABLED or BILLING_DISABLED, like Google (propagation after an enable: ``injection.propagating``)."""
    with state.lock:
        if project["services"].get(service) != "ENABLED":
            raise service_disabled(project["projectNumber"], service, SERVICE_TITLES.get(service, service))
        if not project.get("billingEnabled", True):
            raise billing_disabled(project["projectId"], service)


def new_operation(
    state: State,
    name: str,
    response: dict[str, Any] | None,
    *,
    metadata: dict[str, Any] | None = None,
    effect: tuple[str, dict[str, Any]] | None = None,
    error: ApiError | None = None,
) -> dict[str, Any]:
    """Create an Operation; done at once unless the scenario sets ``operation_polls`` (or an operation fault)."""
    polls = int(state.data["defaults"].get("operation_polls", 0))
    forced_polls, forced_error = operation_fault(state, name)
    polls = polls if forced_polls is None else forced_polls
    error = error or forced_error
    record: dict[str, Any] = {"name": name, "polls_left": polls, "response": response, "metadata": metadata,
                              "effect": list(effect) if effect else None,
                              "error": error.status_json() if error else None}
    with state.lock:
        state.data["operations"][name] = record
    if polls == 0:
        _finish(state, record)
    return operation_json(record)


def _finish(state: State, record: dict[str, Any]) -> None:
    if record.get("effect") and not record.get("error"):
        kind, args = record["effect"]
        EFFECTS[kind](state, **args)
        record["effect"] = None


def operation_json(record: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": record["name"]}
    if record.get("metadata"):
        out["metadata"] = record["metadata"]
    if record["polls_left"] > 0:
        out["done"] = False
        return out
    out["done"] = True
    if record.get("error"):
        out["error"] = record["error"]
    elif record.get("response") is not None:
        out["response"] = record["response"]
    return out


def poll_operation(state: State, name: str) -> dict[str, Any]:
    """``operations.get``: each poll brings a pending operation one step closer to done."""
    with state.lock:
        record = state.data["operations"].get(name)
        if record is None:
            raise ApiError("NOT_FOUND", f"Operation {name} not found.")
        if record["polls_left"] > 0:
            record["polls_left"] -= 1
            if record["polls_left"] == 0:
                _finish(state, record)
        return operation_json(record)
