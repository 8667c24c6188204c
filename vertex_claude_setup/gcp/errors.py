"""Translate Google error answers into one-line SetupErrors that name project, API, region, model and fix."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from vertex_claude_setup.errors import GoogleApiError

from . import retry
from .permissions import role_for

_PERMISSION_RE = re.compile(r"[Pp]ermission '?([a-z]+\.[a-zA-Z]+\.[a-zA-Z]+)'?")


@dataclass(frozen=True)
class Where:
    """What a call was about, so every message can name it."""

    api: str
    project: str
    region: str = ""
    model: str = ""
    node: str = ""  # a folder or organization the call was about, instead of a project

    def describe(self) -> str:
        parts = [self.node or f"project {self.project}"]
        if self.region:
            parts.append(f"region {self.region}")
        if self.model:
            parts.append(f"model {self.model}")
        return f"{self.api} ({', '.join(parts)})"


class GoogleUnavailable(GoogleApiError):
    """Google gave no usable answer within the deadline: 5xx, no answer at all, or an endpoint out of reach."""


def error_info(details: Any) -> dict[str, Any]:
    """The first ``google.rpc.ErrorInfo`` in a details list (JSON form), or ``{}``."""
    for detail in details or ():
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.ErrorInfo"):
            return detail
        if type(detail).__name__ == "ErrorInfo":  # gRPC: the protobuf message itself
            return {"reason": detail.reason, "domain": detail.domain, "metadata": dict(detail.metadata)}
    return {}


def denied_permission(metadata: dict[str, Any], message: str) -> str:
    """The missing permission: ErrorInfo metadata first, else ``Permission 'x.y.z' denied`` in the text."""
    permission = str(metadata.get("permission") or "")
    if not permission:
        match = _PERMISSION_RE.search(message)
        permission = match.group(1) if match else ""
    return permission


def explain(
    where: Where,
    *,
    http_code: int,
    status: str,
    message: str,
    details: Any = None,
    attempts: int = 1,
) -> GoogleApiError:
    """Build the user-facing error for one Google error answer (after ``attempts`` tries)."""
    info = error_info(details)
    reason = str(info.get("reason") or "")
    metadata = info.get("metadata") or {}
    project = where.project
    first = message.strip().splitlines()[0] if message.strip() else status
    if reason == "SERVICE_DISABLED":
        service = metadata.get("service", "aiplatform.googleapis.com")
        url = metadata.get("activationUrl") or f"https://console.cloud.google.com/apis/api/{service}/overview?project={project}"
        return GoogleApiError(f"{where.describe()}: API {service} is not enabled on project {project}",
                              f"run `vertex-claude-setup api enable` or enable it at {url}",
                              status=status, reason=reason, http_code=http_code)
    if reason == "BILLING_DISABLED" or ("billing" in message.lower() and status in {"PERMISSION_DENIED",
                                                                                   "FAILED_PRECONDITION"}):
        return GoogleApiError(f"{where.describe()}: billing is not enabled on project {project}",
                              f"link a billing account at https://console.cloud.google.com/billing/linkedaccount?project={project}",
                              status=status, reason=reason or "BILLING_DISABLED", http_code=http_code)
    if http_code == 401 or status == "UNAUTHENTICATED":
        return GoogleApiError(f"{where.describe()}: the credentials were rejected ({first})",
                              "run `gcloud auth application-default login` (or fix GOOGLE_APPLICATION_CREDENTIALS)",
                              status=status, reason=reason or "UNAUTHENTICATED", http_code=http_code)
    if http_code == 403 or status == "PERMISSION_DENIED":
        permission = denied_permission(metadata, message)
        what = f"permission {permission} denied" if permission else "permission denied"
        hint = (f"grant {role_for(permission)} to your principal on project {project}" if permission
                else f"check that project {project} exists and that your principal has a role on it")
        return GoogleApiError(f"{where.describe()}: {what}: {first}", hint, status=status,
                              reason=reason or "PERMISSION_DENIED", http_code=http_code, permission=permission)
    if http_code == 429 or status == "RESOURCE_EXHAUSTED":
        return GoogleApiError(f"{where.describe()}: quota exhausted or rate limited: {first}",
                              "wait and retry, or request a quota increase in the console (IAM & Admin > Quotas)",
                              status=status, reason=reason or "RESOURCE_EXHAUSTED", http_code=http_code)
    if http_code >= 500 or status in {"UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED"}:
        tried = f" ({attempts} attempts)" if attempts > 1 else ""
        return GoogleUnavailable(f"{where.describe()}: Google answered {http_code} {status}{tried}: {first}",
                                 "retry later; see https://status.cloud.google.com",
                                 status=status, reason=reason or status, http_code=http_code)
    return GoogleApiError(f"{where.describe()}: {http_code} {status}: {first}", "", status=status,
                          reason=reason or status, http_code=http_code)


def from_api_core(exc: Exception, where: Where) -> GoogleApiError:
    """Translate a ``google.api_core.exceptions.GoogleAPICallError`` (REST or gRPC)."""
    code = getattr(exc, "code", 0)
    grpc_status = getattr(exc, "grpc_status_code", None)
    status = _status_from_body(getattr(exc, "response", None)) or getattr(grpc_status, "name", "") or (
        _STATUS_BY_HTTP.get(int(code or 0), "UNKNOWN"))
    message = str(getattr(exc, "message", "") or exc)
    # REST errors carry "METHOD URL: message"; keep only the message for users.
    message = re.sub(r"^[A-Z]+ https?://\S+: ", "", message)
    return explain(where, http_code=int(code or 0), status=status, message=message,
                   details=getattr(exc, "details", None), attempts=retry.attempts_of(exc))


_STATUS_BY_HTTP = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                   409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE",
                   504: "DEADLINE_EXCEEDED"}


def _status_from_body(response: Any) -> str:
    """The ``error.status`` string of a REST error body (api_core keeps only the HTTP code)."""
    try:
        body = response.json()
    except Exception:
        return ""
    if isinstance(body, list):
        body = next((item for item in body if isinstance(item, dict)), {})
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("status") or "") if isinstance(error, dict) else ""
