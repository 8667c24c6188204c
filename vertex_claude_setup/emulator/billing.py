"""Cloud Billing v1: ``projects.getBillingInfo`` (is the project linked to an open billing account?)."""

from __future__ import annotations

from typing import Any

from .common import require_project
from .server import Request, handles

HOST = "cloudbilling.googleapis.com"


@handles("cloudbilling.v1", "cloudbilling.projects.getBillingInfo")
def get_billing_info(req: Request) -> dict[str, Any]:
    """Needs ``resourcemanager.projects.get`` on the project (documented), as Google does."""
    ref = req.params["projectsId"]
    project = require_project(req.state, ref, "resourcemanager.projects.get", HOST)
    pid = project["projectId"]
    enabled = bool(project.get("billingEnabled", True))
    out: dict[str, Any] = {"name": f"projects/{pid}/billingInfo", "projectId": pid, "billingEnabled": enabled,
                           "billingAccountName": ""}
    if enabled:
        out["billingAccountName"] = str(project.get("billingAccountName", "billingAccounts/012345-6789AB-CDEF01"))
    return out
