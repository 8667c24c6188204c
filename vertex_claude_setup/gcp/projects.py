"""Resource Manager v3: the project, its IAM policy and permission checks (real client, REST)."""

from __future__ import annotations

from typing import Any

from vertex_claude_setup.gcp import retry

from .errors import Where
from .failures import translate
from .session import GoogleApis

API = "cloudresourcemanager.googleapis.com"


def get_project(google: GoogleApis, project: str) -> dict[str, Any]:
    """``projects.get`` as plain data. A 403 means missing *or* no access: the API will not say which."""
    client = google.projects_client()
    try:
        proj = client.get_project(name=f"projects/{project}", **retry.options())
    except retry.failures() as exc:
        err = translate(exc, Where(API, project), "projects.get", google.endpoint("resourcemanager"))
        if err.http_code in (403, 404) and err.reason not in {"SERVICE_DISABLED", "BILLING_DISABLED"}:
            err.message = (f"project {project} does not exist or you have no access to it "
                           f"(Resource Manager answered {err.http_code} {err.status}; it does not say which)")
            err.hint = (f"check the project ID (`gcloud projects list`) and that your principal holds a role on "
                        f"{project}, e.g. roles/browser")
        raise err from None
    return {
        "projectId": proj.project_id,
        "name": proj.name,
        "state": proj.state.name,
        "displayName": proj.display_name,
        "parent": proj.parent,
    }


def test_permissions(google: GoogleApis, project: str, permissions: list[str]) -> list[str]:
    """The subset of ``permissions`` the caller holds on the project (``testIamPermissions``)."""
    client = google.projects_client()
    try:
        resp = client.test_iam_permissions(request={"resource": f"projects/{project}", "permissions": permissions},
                                           **retry.options())
    except retry.failures() as exc:
        raise translate(exc, Where(API, project), "projects.testIamPermissions",
                        google.endpoint("resourcemanager")) from None
    return list(resp.permissions)
