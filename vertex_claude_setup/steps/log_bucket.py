"""Step: the Cloud Logging ``_Default`` bucket (where Data Access audit logs land) keeps them long enough.

Retention is raised to ``retention_days`` when shorter, never lowered; a locked bucket cannot change and
is reported, not touched. ``retention_days = 0`` (keep forever) asks for Cloud Logging's maximum, 3650 days,
and the plan warns about it: ``_Default`` holds every log of the project, and storage past 30 days is billed.

The bucket is found wherever it lives (an organization default storage location may put it outside ``global``).
Buckets have no etag, so ``apply`` re-reads the bucket right before writing and never writes less than that
fresh value (another writer may have raised it since the plan); ``verify`` reads back and names a lost race.
"""

from __future__ import annotations

from typing import Any

from vertex_claude_setup.engine.model import Change, Context, Finding, Step
from vertex_claude_setup.errors import SetupError
from vertex_claude_setup.gcp import cloud_logging

MAX_BUCKET_DAYS = 3650


def target_days(ctx: Context) -> int:
    days = ctx.config.logging.retention_days
    return MAX_BUCKET_DAYS if days == 0 else days


def dedicated_bucket(project: str, days: int) -> str:
    """The commands for a bucket of its own for the Data Access audit logs, and the sink that fills it."""
    return (f"`gcloud logging buckets create claude-audit --project {project} --location global --retention-days "
            f"{days}` and `gcloud logging sinks create claude-audit logging.googleapis.com/projects/{project}/"
            "locations/global/buckets/claude-audit --log-filter 'logName:\"cloudaudit.googleapis.com%2Fdata_access\"'`")


def locked_fix(project: str, days: int) -> str:
    return (f"the lock is permanent: route the audit logs to a new bucket with at least {days} days, e.g. "
            + dedicated_bucket(project, days))


def forever_warning(step: str, project: str, current_days: int) -> Finding:
    """``retention_days = 0`` on ``_Default``: every log of the project kept ten years, and billed for it."""
    return Finding(step, "warning",
                   f"retention_days = 0 raises the project-wide {cloud_logging.DEFAULT_BUCKET} log bucket from "
                   f"{current_days} to {MAX_BUCKET_DAYS} days: it holds ALL of the project's logs (not only Claude's "
                   "audit logs), and Cloud Logging bills retention past 30 days per GiB per month",
                   "to keep only the audit logs that long, set [logging] retention_days to a finite value (e.g. 30) "
                   f"and give them a dedicated bucket and sink: {dedicated_bucket(project, MAX_BUCKET_DAYS)}")


class LogBucketStep(Step):
    """Cloud Logging ConfigServiceV2 ListBuckets/GetBucket/UpdateBucket (gRPC)."""

    name = "log-bucket"
    depends_on = ("project",)
    read_permissions = ("logging.buckets.list",)  # _Default is found wherever it lives (ListBuckets)
    apply_permissions = ("logging.buckets.get", "logging.buckets.update")  # a fresh read right before the write

    def read(self, ctx: Context) -> Any:
        return cloud_logging.get_bucket(ctx.google, ctx.config.project)

    def diff(self, ctx: Context, observed: Any) -> list[Change]:
        target = target_days(ctx)
        if observed["locked"] or observed["retentionDays"] >= target:
            return []
        return [Change(self.name, "update", f"raise {cloud_logging.DEFAULT_BUCKET} log bucket retention",
                       before=f"{observed['retentionDays']} days", after=f"{target} days",
                       reason="Data Access audit logs are kept in _Default; never lowered",
                       data={"days": target, "bucket": observed["name"]})]

    def check(self, ctx: Context, observed: Any) -> list[Finding]:
        target = target_days(ctx)
        if observed["locked"] and observed["retentionDays"] < target:
            return [Finding(self.name, "error",
                            f"non-compliant: log bucket {observed['name']} is locked at {observed['retentionDays']} "
                            f"days (< {target}); not touched", locked_fix(ctx.config.project, target))]
        if ctx.config.logging.retention_days == 0 and observed["retentionDays"] < target:
            return [forever_warning(self.name, ctx.config.project, int(observed["retentionDays"]))]
        return []

    def apply(self, ctx: Context, change: Change) -> str:
        project, target = ctx.config.project, int(change.data["days"])
        name = change.data.get("bucket") or cloud_logging.get_bucket(ctx.google, project)["name"]
        fresh = cloud_logging.read_bucket(ctx.google, project, name)  # no etag: re-read right before writing
        if fresh["locked"]:
            raise SetupError(f"log bucket {name} was locked at {fresh['retentionDays']} days while apply ran; "
                             "not touched", locked_fix(project, target))
        if fresh["retentionDays"] >= target:
            return (f"retention is already {fresh['retentionDays']} days (changed by another writer since the "
                    "plan): kept, not lowered")
        updated = cloud_logging.set_retention(ctx.google, project, name, target)
        return f"retention {updated['retentionDays']} days"

    def verify(self, ctx: Context) -> None:
        """Read back: a retention short again right after apply raised it is a race lost to another writer."""
        observed = self.read(ctx)
        target = target_days(ctx)
        if not observed["locked"] and observed["retentionDays"] < target:
            raise SetupError(f"{self.name}: lost a race: another writer set log bucket {observed['name']} to "
                             f"{observed['retentionDays']} days right after apply raised it to {target}",
                             "re-run `vertex-claude-setup apply`, and find who else sets this retention (the "
                             "project's Admin Activity audit log names them)")
        left = self.diff(ctx, observed)
        if left:
            raise SetupError(f"{self.name}: still differs after apply: {left[0].summary}",
                             "re-run `vertex-claude-setup apply`; if it persists, check the resource by hand")
