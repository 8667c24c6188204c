"""Resource Manager v3: the project, its permission checks, and listing projects (real client, REST)."""

from __future__ import annotations

from typing import Any

from vertex_claude_setup.errors import SetupError
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


def project_json(proj: Any) -> dict[str, Any]:
    """A ``resourcemanager_v3.Project`` as the plain data a fleet selection needs."""
    return {"projectId": proj.project_id, "name": proj.name, "state": proj.state.name,
            "displayName": proj.display_name, "parent": proj.parent, "labels": dict(proj.labels)}


def list_error(exc: Exception, node: str, permission: str) -> SetupError:
    """A listing refused on an organization or folder: which node, which permission, which role."""
    from .errors import error_info
    from .permissions import role_for

    code = int(getattr(exc, "code", 0) or 0)
    if code in (403, 404):
        return SetupError(f"cannot list {node}: permission {permission} denied (or {node} does not exist)",
                          f"grant {role_for(permission)} on {node} to your principal, or pick a node you can see")
    reason = str(error_info(getattr(exc, "details", None)).get("reason") or "")
    message = str(getattr(exc, "message", "") or exc).splitlines()[0]
    return SetupError(f"cannot list {node}: {code} {reason or ''} {message}".replace("  ", " "),
                      "retry later; see https://status.cloud.google.com")


def list_projects(google: GoogleApis, parent: str) -> list[dict[str, Any]]:
    """``projects.list``: the direct children of a folder or organization, deleted ones included."""
    from google.api_core import exceptions

    client = google.projects_client()
    try:
        return retry.call(lambda: [project_json(p) for p in client.list_projects(
            request={"parent": parent, "show_deleted": True, "page_size": 1000})])
    except exceptions.GoogleAPICallError as exc:
        raise list_error(exc, parent, "resourcemanager.projects.list") from None


def search_projects(google: GoogleApis, query: str) -> list[dict[str, Any]]:
    """``projects.search``: every project the caller may read that matches ``query`` (eventually consistent)."""
    from google.api_core import exceptions

    client = google.projects_client()
    try:
        return retry.call(lambda: [project_json(p) for p in client.search_projects(
            request={"query": query, "page_size": 1000})])
    except exceptions.GoogleAPICallError as exc:
        if int(getattr(exc, "code", 0) or 0) == 400:
            raise SetupError(f"projects.search refused the query {query!r}: {getattr(exc, 'message', exc)}",
                             "use label filters like key=value (letters, digits, - and _)") from None
        raise list_error(exc, "projects (search)", "resourcemanager.projects.get") from None
