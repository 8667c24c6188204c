"""Vertex AI (aiplatform v1/v1beta1): the control-plane calls; Claude endpoints are added beside them."""

from __future__ import annotations

from typing import Any

from .common import require_permission, require_project, require_service
from .server import Request, handles

SERVICE = "aiplatform.googleapis.com"


def vertex_project(req: Request, permission: str) -> dict[str, Any]:
    """The project of a Vertex call: exists, API enabled, billing on, permission held."""
    ref = req.params["projectsId"]
    project = require_project(req.state, ref, permission, SERVICE)
    require_service(req.state, project, SERVICE)
    resource = f"//{SERVICE}/projects/{ref}/locations/{req.params.get('locationsId', '')}"
    require_permission(project, permission, resource, SERVICE)
    return project


@handles("aiplatform.v1", "aiplatform.projects.locations.operations.list")
def list_operations(req: Request) -> dict[str, Any]:
    vertex_project(req, "aiplatform.operations.list")
    return {}
