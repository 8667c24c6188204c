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


def list_error(exc: BaseException, google: GoogleApis, node: str, call: str, permission: str) -> SetupError:
    """A listing that failed: refused on ``node`` (which permission, which role), or Google's one-line error."""
    from .permissions import role_for

    err = translate(exc, Where(API, "", node=node), call, google.endpoint("resourcemanager"))
    if err.http_code in (403, 404) and err.reason not in {"SERVICE_DISABLED", "BILLING_DISABLED"}:
        err.message = f"cannot list {node}: permission {permission} denied (or {node} does not exist)"
        err.hint = f"grant {role_for(permission)} on {node} to your principal, or pick a node you can see"
        err.permission = permission
    return err


def list_all(google: GoogleApis, method: str, request: dict[str, Any]) -> list[Any]:
    """Every page of a Resource Manager listing, each request with our retry and timeout, all in one deadline."""
    client = google.folders_client() if method == "list_folders" else google.projects_client()
    with retry.scope():  # the libraries' default retry (up to 60 s, inside ours) and timeout never run
        return list(getattr(client, method)(request=request, **retry.options()))


def list_projects(google: GoogleApis, parent: str) -> list[dict[str, Any]]:
    """``projects.list``: the direct children of a folder or organization, deleted ones included."""
    try:
        found = list_all(google, "list_projects", {"parent": parent, "show_deleted": True, "page_size": 1000})
    except retry.failures() as exc:
        raise list_error(exc, google, parent, "projects.list", "resourcemanager.projects.list") from None
    return [project_json(p) for p in found]


def search_projects(google: GoogleApis, query: str) -> list[dict[str, Any]]:
    """``projects.search``: every project the caller may read that matches ``query`` (eventually consistent)."""
    try:
        found = list_all(google, "search_projects", {"query": query, "page_size": 1000})
    except retry.failures() as exc:
        if int(getattr(exc, "code", 0) or 0) == 400:
            raise SetupError(f"projects.search refused the query {query!r}: {getattr(exc, 'message', exc)}",
                             "use label filters like key=value (letters, digits, - and _)") from None
        raise list_error(exc, google, "projects (search)", "projects.search", "resourcemanager.projects.get") from None
    return [project_json(p) for p in found]
