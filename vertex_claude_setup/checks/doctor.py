"""``doctor``: credentials, principal, quota project, project, billing, the API and every IAM permission.

Each check reads only. Permissions are tested with Resource Manager ``testIamPermissions`` on the
project — exactly the permissions each command calls Google with (``steps.permissions``) — and every missing one is
printed with the narrowest predefined role that grants it. Exit 0 all pass, 3 a check failed,
1 no credentials, or Google out of reach (nothing else can be checked).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from vertex_claude_setup.errors import SetupError
from vertex_claude_setup.gcp.errors import GoogleUnavailable
from vertex_claude_setup.gcp.permissions import role_for

from .identity import Identity, discover

if TYPE_CHECKING:
    from vertex_claude_setup.gcp.session import GoogleApis

Result = Literal["PASS", "FAIL", "WARN", "SKIP"]
VERTEX = "aiplatform.googleapis.com"


@dataclass(frozen=True)
class Check:
    name: str
    result: Result
    detail: str
    fix: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"check": self.name, "result": self.result, "detail": self.detail, "fix": self.fix or None}


@dataclass(frozen=True)
class PermissionCheck:
    permission: str
    needed_by: tuple[str, ...]
    granted: bool | None  # None: not tested (no credentials, or the test call failed)

    @property
    def role(self) -> str:
        return role_for(self.permission)

    def to_json(self) -> dict[str, Any]:
        return {"permission": self.permission, "needed_by": list(self.needed_by), "granted": self.granted,
                "role": self.role}


@dataclass
class Report:
    project: str
    identity: Identity
    checks: list[Check] = field(default_factory=list)
    permissions: list[PermissionCheck] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if not self.identity.ok:
            return 1
        failed = any(c.result == "FAIL" for c in self.checks) or any(p.granted is False for p in self.permissions)
        return 3 if failed else 0

    def to_json(self) -> dict[str, Any]:
        return {"project": self.project, "identity": self.identity.to_json(),
                "checks": [c.to_json() for c in self.checks],
                "permissions": [p.to_json() for p in self.permissions], "exit_code": self.exit_code}


def _project_check(google: GoogleApis, project: str) -> Check:
    from vertex_claude_setup.gcp import projects

    try:
        found = projects.get_project(google, project)
    except GoogleUnavailable:
        raise  # every other check would wait out the same deadline: one error, at once
    except SetupError as exc:
        return Check("project", "FAIL", exc.message, exc.hint)
    if found["state"] != "ACTIVE":
        return Check("project", "FAIL", f"project {project} is {found['state']}",
                     f"restore it (`gcloud projects undelete {project}`) or pick another project")
    return Check("project", "PASS", f"{project} ({found['name']}) is ACTIVE")


def _billing_check(google: GoogleApis, project: str) -> Check:
    """Cloud Billing ``getBillingInfo``; when it cannot answer, infer from Vertex AI's answer."""
    from vertex_claude_setup.gcp import retry
    from vertex_claude_setup.gcp.errors import Where
    from vertex_claude_setup.gcp.failures import translate
    from vertex_claude_setup.gcp.vertex import HttpError, request_json

    link = f"https://console.cloud.google.com/billing/linkedaccount?project={project}"
    url = f"{google.endpoint('cloudbilling').rstrip('/')}/v1/projects/{project}/billingInfo"
    try:
        info = retry.call(lambda: request_json(google, "GET", url, api="cloudbilling.googleapis.com"))
    except retry.failures() as exc:
        raise translate(exc, Where("cloudbilling.googleapis.com", project), "projects.getBillingInfo", url) from None
    except HttpError as exc:
        why = f"Cloud Billing API answered {exc.code} {exc.error.get('status', '')}".strip()
        return _billing_inferred(google, project, why, link)
    if info.get("billingEnabled"):
        account = str(info.get("billingAccountName") or "a billing account")
        return Check("billing", "PASS", f"project {project} is linked to {account}")
    return Check("billing", "FAIL", f"billing is not enabled on project {project}", f"link a billing account: {link}")


def _billing_inferred(google: GoogleApis, project: str, why: str, link: str) -> Check:
    from vertex_claude_setup.gcp import retry
    from vertex_claude_setup.gcp.errors import Where
    from vertex_claude_setup.gcp.failures import translate
    from vertex_claude_setup.gcp.vertex import HttpError, request_json

    region = next((r for r in google.config.regions if r != "global"), google.config.regions[0])
    url = f"{google.vertex_endpoint(region)}/v1/projects/{project}/locations/{region}/operations"
    try:
        request_json(google, "GET", url, params={"pageSize": 1}, headers=google.vertex_headers(region))
    except retry.failures() as exc:
        raise translate(exc, Where(VERTEX, project, region), "operations.list", url) from None
    except HttpError as exc:
        if exc.reason == "BILLING_DISABLED":
            return Check("billing", "FAIL", f"billing is not enabled on project {project} (Vertex AI answered "
                                            f"BILLING_DISABLED; {why})", f"link a billing account: {link}")
        return Check("billing", "WARN", f"unknown: {why}, and Vertex AI answered {exc.code} "
                                        f"{exc.reason or exc.error.get('status', '')}",
                     "enable cloudbilling.googleapis.com on your quota project, or check the project at " + link)
    return Check("billing", "PASS", f"enabled (inferred: Vertex AI answers in {region}; {why})")


def _api_check(google: GoogleApis, project: str) -> Check:
    from vertex_claude_setup.gcp import services

    try:
        state = services.get_state(google, project, VERTEX)
    except GoogleUnavailable:
        raise
    except SetupError as exc:
        return Check("api", "FAIL", exc.message, exc.hint)
    if state == "ENABLED":
        return Check("api", "PASS", f"{VERTEX} is ENABLED")
    return Check("api", "FAIL", f"{VERTEX} is {state} on project {project}",
                 "run `vertex-claude-setup api enable` (or `vertex-claude-setup apply`)")


Rows = list[tuple[str, tuple[str, ...]]]  # permission, the commands that need it


def _org_policy_check(google: GoogleApis, project: str) -> Check:
    """The effective constraints/vertexai.allowedModels against the configured models, when it can be read."""
    from vertex_claude_setup.gcp.org_policy import CONSTRAINT, effective_policy

    policy = effective_policy(google, project)
    if not policy.readable:
        return Check("org policy", "WARN", f"{CONSTRAINT} not read: {policy.reason}",
                     f"{policy.hint or 'grant roles/orgpolicy.policyViewer'} (optional: then doctor and "
                     "`regions audit` say which models an organization policy blocks)")
    blocked = [m for m in google.config.models if policy.blocks(m)]
    if blocked:
        names = ", ".join(f"publishers/anthropic/models/{m.split('@')[0]}:predict" for m in blocked)
        return Check("org policy", "FAIL", f"{CONSTRAINT} blocks {', '.join(blocked)} ({policy.why(blocked[0])})",
                     f"ask an organization policy administrator to allow {names} for project {project}, or "
                     "configure models it allows")
    return Check("org policy", "PASS", f"{CONSTRAINT} allows every configured model")


def _permissions(google: GoogleApis, project: str, principal: str, checks: list[Check],
                 rows: Rows) -> list[PermissionCheck]:
    from vertex_claude_setup.gcp import projects

    try:
        held = set(projects.test_permissions(google, project, [perm for perm, _users in rows]))
    except GoogleUnavailable:
        raise
    except SetupError as exc:
        checks.append(Check("permissions", "FAIL", f"testIamPermissions failed: {exc.message}", exc.hint))
        return [PermissionCheck(perm, users, None) for perm, users in rows]
    out = [PermissionCheck(perm, users, perm in held) for perm, users in rows]
    missing = [p for p in out if not p.granted]
    if missing:
        roles = ", ".join(dict.fromkeys(p.role for p in missing))
        checks.append(Check("permissions", "FAIL", f"{len(missing)} of {len(out)} permissions missing",
                            f"grant {roles} to {principal or 'your principal'} on project {project}"))
    else:
        checks.append(Check("permissions", "PASS", f"all {len(out)} permissions held"))
    return out


def diagnose(google: GoogleApis, rows: Rows) -> Report:
    """Run every check; raises only when Google is out of reach (GoogleUnavailable), which no check can explain.

    ``rows`` are the permissions to test, each with the commands that need it: the caller derives them
    from the steps the config asks for (``steps.permissions``), the one place that knows what they call.
    """
    config = google.config
    project = config.project
    ident = discover(google)
    report = Report(project=project, identity=ident)
    if not ident.ok:
        report.checks.append(Check("credentials", "FAIL", ident.error, ident.hint))
        report.permissions = [PermissionCheck(p, users, None) for p, users in rows]
        return report
    who = ident.principal or "(principal not disclosed by the token)"
    report.checks.append(Check("credentials", "PASS", f"{ident.kind}: {who}"))
    for warning in ident.warnings:
        report.checks.append(Check("quota project", "WARN", warning.split(":")[0], warning.split(": ", 1)[-1]))
    report.checks.append(_project_check(google, project))
    report.checks.append(_billing_check(google, project))
    report.checks.append(_api_check(google, project))
    report.checks.append(_org_policy_check(google, project))
    report.permissions = _permissions(google, project, ident.principal, report.checks, rows)
    return report
