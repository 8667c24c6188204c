"""Service Usage v1: services get/enable/batchGet and operations.get."""

from __future__ import annotations

from typing import Any

from .common import EFFECTS, SERVICE_TITLES, new_operation, poll_operation, require_project
from .googleerrors import ApiError, error_info
from .injection import open_windows
from .server import Request, handles
from .state import State

API = "serviceusage.v1"
HOST = "serviceusage.googleapis.com"


def _service_json(project: dict[str, Any], service: str) -> dict[str, Any]:
    number = project["projectNumber"]
    return {
        "name": f"projects/{number}/services/{service}",
        "parent": f"projects/{number}",
        "config": {"name": service, "title": SERVICE_TITLES.get(service, service)},
        "state": project["services"].get(service, "DISABLED"),
    }


def _enable_effect(state: State, project: str, service: str) -> None:
    proj = state.project(project)
    if proj is None:
        return
    with state.lock:
        proj["services"][service] = "ENABLED"
        # [[propagation]]: Vertex AI's endpoints do not all see an enable at once.
        open_windows(state, proj, service)


EFFECTS["enable_service"] = _enable_effect


def _project_ref(req: Request) -> str:
    if req.params.get("v1Id") != "projects":
        raise ApiError("INVALID_ARGUMENT", f"Invalid resource parent: {req.params.get('v1Id')}/.")
    return req.params["v1Id1"]


@handles(API, "serviceusage.services.get")
def get_service(req: Request) -> dict[str, Any]:
    ref = _project_ref(req)
    project = require_project(req.state, ref, "serviceusage.services.get", HOST)
    return _service_json(project, req.params["servicesId"])


@handles(API, "serviceusage.services.batchGet")
def batch_get(req: Request) -> dict[str, Any]:
    ref = _project_ref(req)
    project = require_project(req.state, ref, "serviceusage.services.get", HOST)
    names = req.query.get("names", [])
    if len(names) > 30:
        raise ApiError("INVALID_ARGUMENT", "Too many services requested; the maximum is 30.")
    return {"services": [_service_json(project, n.rsplit("/", 1)[-1]) for n in names]}


@handles(API, "serviceusage.services.enable")
def enable_service(req: Request) -> dict[str, Any]:
    ref = _project_ref(req)
    service = req.params["servicesId"]
    project = require_project(req.state, ref, "serviceusage.services.enable", HOST)
    if service not in SERVICE_TITLES and not service.endswith(".googleapis.com"):
        raise ApiError("PERMISSION_DENIED", f"Not found or permission denied for service(s): {service}.",
                       [error_info("SERVICE_CONFIG_NOT_FOUND_OR_PERMISSION_DENIED", HOST, {"services": service})])
    if not project.get("billingEnabled", True) and service == "aiplatform.googleapis.com":
        number = project["projectNumber"]
        raise ApiError("FAILED_PRECONDITION",
                       f"Billing account for project '{number}' is not found. Billing must be enabled for "
                       f"activation of service(s) '{service}' to proceed.",
                       [error_info("UREQ_PROJECT_BILLING_NOT_FOUND", HOST,
                                   {"services": service, "project": number})])
    op_id = req.state.next_id("serviceusage-op")
    already = project["services"].get(service) == "ENABLED"
    name = "operations/noop.DONE_OPERATION" if already else f"operations/acf.p2-{project['projectNumber']}-{op_id:08d}"
    response = {"@type": "type.googleapis.com/google.api.serviceusage.v1.EnableServiceResponse",
                "service": {**_service_json(project, service), "state": "ENABLED"}}
    if already:
        return {"name": name, "done": True, "response": response}
    return new_operation(req.state, name, response, effect=("enable_service", {"project": project["projectId"],
                                                                               "service": service}),
                         metadata={"@type": "type.googleapis.com/google.api.serviceusage.v1.OperationMetadata",
                                   "resourceNames": [f"services/{service}/projectSettings/{project['projectNumber']}"]})


@handles(API, "serviceusage.operations.get")
def get_operation(req: Request) -> dict[str, Any]:
    return poll_operation(req.state, f"operations/{req.params['operationsId']}")
