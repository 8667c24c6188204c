"""Project IAM policy audit configs (Resource Manager v3): read, merge, write with etag and update mask.

``setIamPolicy`` carries the etag read by ``getIamPolicy`` (v3, so conditions survive) and
``updateMask: auditConfigs,etag``, so bindings are never rewritten and the etag check certainly applies
(the etag is a policy field like any other: gcloud puts every key it sends in the mask, etag included).
A 409 ABORTED etag race is retried by re-reading the policy and merging again. Nothing is removed:
bindings, conditions, exemptions and other services' audit configs come back as they were.
"""

from __future__ import annotations

from typing import Any

from vertex_claude_setup.gcp import retry

from .errors import Where
from .failures import translate
from .session import GoogleApis

API = "cloudresourcemanager.googleapis.com"
ALL_SERVICES = "allServices"
LOG_TYPES = ("ADMIN_READ", "DATA_WRITE", "DATA_READ")


def _policy(google: GoogleApis, project: str) -> Any:
    client = google.projects_client()
    return client.get_iam_policy(request={"resource": f"projects/{project}",
                                          "options": {"requested_policy_version": 3}}, **retry.options())


def audit_configs(policy: Any) -> dict[str, dict[str, list[str]]]:
    """``{service: {logType: [exempted members]}}`` of a policy proto."""
    from google.iam.v1 import policy_pb2

    out: dict[str, dict[str, list[str]]] = {}
    for config in policy.audit_configs:
        types = out.setdefault(config.service, {})
        for log in config.audit_log_configs:
            name = policy_pb2.AuditLogConfig.LogType.Name(log.log_type)
            types.setdefault(name, []).extend(log.exempted_members)
    return out


def read_audit_configs(google: GoogleApis, project: str) -> dict[str, dict[str, list[str]]]:
    """The project's audit configs as plain data (read-only)."""
    try:
        return audit_configs(_policy(google, project))
    except retry.failures() as exc:
        raise translate(exc, Where(API, project), "projects.getIamPolicy", google.endpoint("resourcemanager")) from None


def merge(policy: Any, service: str, log_types: list[str]) -> list[str]:
    """Add the missing ``log_types`` for ``service`` to the policy proto in place; return what was added."""
    from google.iam.v1 import policy_pb2

    config = next((c for c in policy.audit_configs if c.service == service), None)
    if config is None:
        config = policy.audit_configs.add(service=service)
    present = {policy_pb2.AuditLogConfig.LogType.Name(c.log_type) for c in config.audit_log_configs}
    added = [t for t in log_types if t not in present]
    for name in added:
        config.audit_log_configs.add(log_type=policy_pb2.AuditLogConfig.LogType.Value(name))
    return added


def _aborted(exc: BaseException) -> bool:
    """An etag race: read, merge and write again (each call retries its own transient errors)."""
    from google.api_core import exceptions

    return isinstance(exc, (exceptions.Aborted, exceptions.Conflict))


def ensure_audit_logs(google: GoogleApis, project: str, service: str, log_types: list[str]) -> list[str]:
    """Turn on ``log_types`` for ``service``; re-read and merge again on an etag race. Returns what was added.

    The whole read-merge-write, races included, lives within one deadline. ``setIamPolicy`` carries the
    etag, so repeating it after a 500 or a timeout is safe: a write that did land makes the etag stale
    (409 ABORTED), and the re-read then finds nothing left to add.
    """
    from google.iam.v1 import iam_policy_pb2
    from google.protobuf import field_mask_pb2

    client = google.projects_client()
    added: list[str] = []
    call = "projects.getIamPolicy"

    def attempt() -> None:
        nonlocal call
        call = "projects.getIamPolicy"
        policy = _policy(google, project)
        added[:] = merge(policy, service, log_types)
        if not added:
            return
        if any(b.HasField("condition") for b in policy.bindings):
            policy.version = 3
        call = "projects.setIamPolicy"
        client.set_iam_policy(request=iam_policy_pb2.SetIamPolicyRequest(
            resource=f"projects/{project}", policy=policy,
            update_mask=field_mask_pb2.FieldMask(paths=["audit_configs", "etag"])), **retry.options())

    try:
        retry.call(attempt, retry_if=_aborted)
    except retry.failures() as exc:
        err = translate(exc, Where(API, project), call, google.endpoint("resourcemanager"))
        if err.status == "ABORTED" or err.http_code == 409:
            err.hint = "another writer keeps changing the IAM policy; run apply again when it is quiet"
        raise err from None
    return added
