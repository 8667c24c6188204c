"""``doctor``: credentials, principal, quota project, project, billing, the API and every IAM permission.

Each check reads only. Permissions are tested with Resource Manager ``testIamPermissions`` on the
project — exactly the permissions each command calls Google with — and every missing one is
printed with the narrowest predefined role that grants it. Exit 0 all pass, 3 a check failed,
1 no credentials (nothing else can be checked).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from vertex_claude_setup.errors import SetupError
from vertex_claude_setup.gcp.permissions import role_for

from .identity import Identity, discover

if TYPE_CHECKING:
    from vertex_claude_setup.config import Config
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


def command_permissions(config: Config) -> dict[str, tuple[str, ...]]:
    """Command -> the IAM permissions it calls Google with, for this config."""
    logging = config.logging
    plan = ["resourcemanager.projects.get", "serviceusage.services.get"]
    apply = [*plan, "serviceusage.services.enable"]
    if logging.enabled:
        plan += ["aiplatform.endpoints.get", "bigquery.datasets.get", "bigquery.tables.get"]
        apply += ["aiplatform.endpoints.get", "aiplatform.endpoints.update", "bigquery.datasets.get",
                  "bigquery.datasets.create", "bigquery.datasets.update", "bigquery.tables.get",
                  "bigquery.tables.update"]
    if logging.enabled and logging.audit_logs:
        plan += ["resourcemanager.projects.getIamPolicy"]
        apply += ["resourcemanager.projects.getIamPolicy", "resourcemanager.projects.setIamPolicy"]
    smoke = ["aiplatform.endpoints.predict"]
    out = {
        "doctor": ("resourcemanager.projects.get", "serviceusage.services.get"),
        "plan": tuple(plan),
        "apply": (*apply, "aiplatform.endpoints.predict"),
        "smoke-test": tuple(smoke),
        "env": ("aiplatform.endpoints.predict",),
        "regions audit": ("aiplatform.endpoints.predict", "cloudquotas.quotas.get"),
    }
    if logging.enabled:
        out["smoke-test --verify-logged"] = (*smoke, "bigquery.tables.getData")
    return out


def permission_rows(config: Config) -> list[tuple[str, tuple[str, ...]]]:
    """Each permission once, with the commands that need it, in first-use order."""
    needed: dict[str, list[str]] = {}
    for command, perms in command_permissions(config).items():
        for perm in perms:
            users = needed.setdefault(perm, [])
            if command not in users:
                users.append(command)
    return [(perm, tuple(users)) for perm, users in needed.items()]


def _project_check(google: GoogleApis, project: str) -> Check:
    from vertex_claude_setup.gcp import projects

    try:
        found = projects.get_project(google, project)
    except SetupError as exc:
        return Check("project", "FAIL", exc.message, exc.hint)
    if found["state"] != "ACTIVE":
        return Check("project", "FAIL", f"project {project} is {found['state']}",
                     f"restore it (`gcloud projects undelete {project}`) or pick another project")
    return Check("project", "PASS", f"{project} ({found['name']}) is ACTIVE")


def _billing_check(google: GoogleApis, project: str) -> Check:
    """Cloud Billing ``getBillingInfo``; when it cannot answer, infer from Vertex AI's answer."""
    from vertex_claude_setup.gcp import retry
    from vertex_claude_setup.gcp.vertex import HttpError, request_json

    link = f"https://console.cloud.google.com/billing/linkedaccount?project={project}"
    url = f"{google.endpoint('cloudbilling').rstrip('/')}/v1/projects/{project}/billingInfo"
    try:
        info = retry.call(lambda: request_json(google, "GET", url, api="cloudbilling.googleapis.com"))
    except HttpError as exc:
        why = f"Cloud Billing API answered {exc.code} {exc.error.get('status', '')}".strip()
        return _billing_inferred(google, project, why, link)
    if info.get("billingEnabled"):
        account = str(info.get("billingAccountName") or "a billing account")
        return Check("billing", "PASS", f"project {project} is linked to {account}")
    return Check("billing", "FAIL", f"billing is not enabled on project {project}", f"link a billing account: {link}")


def _billing_inferred(google: GoogleApis, project: str, why: str, link: str) -> Check:
    from vertex_claude_setup.gcp.vertex import HttpError, request_json

    region = next((r for r in google.config.regions if r != "global"), google.config.regions[0])
    url = f"{google.vertex_endpoint(region)}/v1/projects/{project}/locations/{region}/operations"
    try:
        request_json(google, "GET", url, params={"pageSize": 1})
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
    except SetupError as exc:
        return Check("api", "FAIL", exc.message, exc.hint)
    if state == "ENABLED":
        return Check("api", "PASS", f"{VERTEX} is ENABLED")
    return Check("api", "FAIL", f"{VERTEX} is {state} on project {project}",
                 "run `vertex-claude-setup api enable` (or `vertex-claude-setup apply`)")


def _permissions(google: GoogleApis, project: str, principal: str, checks: list[Check]) -> list[PermissionCheck]:
    from vertex_claude_setup.gcp import projects

    rows = permission_rows(google.config)
    try:
        held = set(projects.test_permissions(google, project, [perm for perm, _users in rows]))
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


def diagnose(google: GoogleApis) -> Report:
    """Run every check; never raises for a condition it can explain."""
    config = google.config
    project = config.project
    ident = discover(google)
    report = Report(project=project, identity=ident)
    if not ident.ok:
        report.checks.append(Check("credentials", "FAIL", ident.error, ident.hint))
        report.permissions = [PermissionCheck(p, users, None) for p, users in permission_rows(config)]
        return report
    who = ident.principal or "(principal not disclosed by the token)"
    report.checks.append(Check("credentials", "PASS", f"{ident.kind}: {who}"))
    for warning in ident.warnings:
        report.checks.append(Check("quota project", "WARN", warning.split(":")[0], warning.split(": ", 1)[-1]))
    report.checks.append(_project_check(google, project))
    report.checks.append(_billing_check(google, project))
    report.checks.append(_api_check(google, project))
    report.permissions = _permissions(google, project, ident.principal, report.checks)
    return report
