"""Step: Data Access audit logs for ``aiplatform.googleapis.com`` in the project IAM policy.

Who called Claude shows up only in Data Access audit logs, which are off by default. The step adds
the missing log types (DATA_READ, DATA_WRITE, optionally ADMIN_READ) and nothing else: bindings,
conditions, other services' configs and exemptions are kept exactly.
"""

from __future__ import annotations

from typing import Any

from vertex_claude_setup.engine.model import Change, Context, Finding, Step
from vertex_claude_setup.gcp import iam_policy

SERVICE = "aiplatform.googleapis.com"


def wanted(ctx: Context) -> list[str]:
    return ["DATA_READ", "DATA_WRITE", *(["ADMIN_READ"] if ctx.config.logging.admin_read else [])]


def effective(observed: dict[str, dict[str, list[str]]]) -> dict[str, list[str]]:
    """Log types in force for the service: its own plus ``allServices`` (Google applies the union)."""
    out: dict[str, list[str]] = {}
    for service in (SERVICE, iam_policy.ALL_SERVICES):
        for log_type, exempted in observed.get(service, {}).items():
            out.setdefault(log_type, []).extend(m for m in exempted if m not in out.get(log_type, []))
    return out


def missing(ctx: Context, observed: dict[str, dict[str, list[str]]]) -> list[str]:
    on = effective(observed)
    return [t for t in wanted(ctx) if t not in on]


class AuditLogsStep(Step):
    """Resource Manager v3 getIamPolicy → merge → setIamPolicy (etag, ``updateMask: auditConfigs,etag``)."""

    name = "audit-logs"
    depends_on = ("project",)
    read_permissions = ("resourcemanager.projects.getIamPolicy",)
    apply_permissions = ("resourcemanager.projects.setIamPolicy",)

    def read(self, ctx: Context) -> Any:
        configs = iam_policy.read_audit_configs(ctx.google, ctx.config.project)
        return {k: v for k, v in configs.items() if k in {SERVICE, iam_policy.ALL_SERVICES}}

    def diff(self, ctx: Context, observed: Any) -> list[Change]:
        absent = missing(ctx, observed)
        if not absent:
            return []
        return [Change(self.name, "update", f"Data Access audit logs for {SERVICE}: {', '.join(absent)}",
                       before=sorted(effective(observed)) or None, after=sorted({*effective(observed), *absent}),
                       reason="records who called Claude (Data Access audit logs are off by default)",
                       data={"log_types": absent})]

    def check(self, ctx: Context, observed: Any) -> list[Finding]:
        out = []
        for log_type, exempted in sorted(effective(observed).items()):
            if exempted and log_type in wanted(ctx):
                out.append(Finding(self.name, "warning",
                                   f"{len(exempted)} principal(s) exempted from {log_type} audit logs for {SERVICE} "
                                   f"({', '.join(exempted)}): their Claude calls are not audited",
                                   "kept as is; remove the exemption in IAM & Admin > Audit Logs if it is unintended"))
        return out

    def apply(self, ctx: Context, change: Change) -> str:
        added = iam_policy.ensure_audit_logs(ctx.google, ctx.config.project, SERVICE, list(change.data["log_types"]))
        return f"added {', '.join(added)}" if added else "already on (another writer added them)"
