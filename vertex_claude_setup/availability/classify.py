"""Availability classes: every answer to a Claude call on Vertex, classified — never a boolean.

Shared by the region audit, ``plan``'s availability check, the logging step and the smoke test,
so one (model, region) is explained the same way everywhere.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any

from vertex_claude_setup.catalog import model_garden_url
from vertex_claude_setup.gcp.errors import denied_permission, error_info
from vertex_claude_setup.gcp.permissions import role_for

# Model Garden's organization policy constraint: which publisher models (and actions) a project may use.
ORG_POLICY_CONSTRAINT = "constraints/vertexai.allowedModels"


class Availability(str, enum.Enum):
    """What a (project, model, location) answered, from most to least usable."""

    AVAILABLE = "AVAILABLE"
    NOT_SERVABLE_IN_REGION = "NOT_SERVABLE_IN_REGION"
    NOT_ENABLED = "NOT_ENABLED"
    ORG_POLICY_BLOCKED = "ORG_POLICY_BLOCKED"
    NOT_FOUND_OR_NO_ACCESS = "NOT_FOUND_OR_NO_ACCESS"
    DATA_SHARING_REQUIRED = "DATA_SHARING_REQUIRED"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    API_DISABLED = "API_DISABLED"
    BILLING_DISABLED = "BILLING_DISABLED"
    QUOTA_EXHAUSTED = "QUOTA_EXHAUSTED"
    ERROR = "ERROR"

    @property
    def transient(self) -> bool:
        """Worth retrying: capacity/quota blips and server errors, not configuration problems."""
        return self in {Availability.ERROR}

    @property
    def not_usable_here(self) -> bool:
        """The model cannot be called here until the user acts (another region, access, enablement): there is
        nothing to log, and no apply can change that; a finding, never a failed change."""
        return self in {Availability.NOT_SERVABLE_IN_REGION, Availability.NOT_FOUND_OR_NO_ACCESS,
                        Availability.NOT_ENABLED, Availability.ORG_POLICY_BLOCKED}


@dataclass(frozen=True)
class Verdict:
    """A classified answer: the class, the raw status and message, and the fix for a human."""

    availability: Availability
    http_status: int
    status: str
    message: str
    fix: str
    permission: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"class": self.availability.value, "http_status": self.http_status, "status": self.status,
                "message": self.message, "fix": self.fix, **({"permission": self.permission} if self.permission
                                                              else {})}


def parse_error_body(body: Any) -> dict[str, Any]:
    """The ``error`` object of a Google error body; Vertex sometimes sends it as a JSON array."""
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except ValueError:
            return {"message": str(body if isinstance(body, str) else body.decode(errors="replace"))[:500]}
    if isinstance(body, list):
        body = next((item for item in body if isinstance(item, dict)), {})
    if not isinstance(body, dict):
        return {}
    error = body.get("error")
    if isinstance(error, dict):
        # Anthropic-format errors ({"type": "error", "error": {"type", "message"}}) pass through Vertex too.
        return error
    return {}


def classify(http_status: int, body: Any, *, project: str, model: str, region: str) -> Verdict:
    """Classify one answer (status code + body) of rawPredict / count-tokens for (project, model, region)."""
    if 200 <= http_status < 300:
        return Verdict(Availability.AVAILABLE, http_status, "OK", "", "")
    error = parse_error_body(body)
    status = str(error.get("status") or error.get("type") or "")
    message = str(error.get("message") or "")
    info = error_info(error.get("details"))
    reason, metadata = str(info.get("reason") or ""), dict(info.get("metadata") or {})
    lowered = message.lower()
    where = f"{model} in {region}"
    if reason == "SERVICE_DISABLED" or "has not been used in project" in lowered:
        return Verdict(Availability.API_DISABLED, http_status, status, message,
                       f"enable the Vertex AI API: `vertex-claude-setup api enable` (project {project})")
    if reason == "BILLING_DISABLED" or "requires billing" in lowered:
        return Verdict(Availability.BILLING_DISABLED, http_status, status, message,
                       f"link a billing account: https://console.cloud.google.com/billing/linkedaccount?project={project}")
    if ORG_POLICY_CONSTRAINT.lower() in lowered or _names_constraint(error.get("details")):
        base = model.split("@")[0]
        return Verdict(Availability.ORG_POLICY_BLOCKED, http_status, status, message,
                       f"an organization policy ({ORG_POLICY_CONSTRAINT}) blocks {model} for project {project}: ask "
                       f"an organization policy administrator to allow publishers/anthropic/models/{base}:predict "
                       f"(`gcloud org-policies describe vertexai.allowedModels --project={project} --effective`), "
                       "or configure a model it allows")
    if "not servable in region" in lowered:
        hints = _served_regions(model)
        also = f"; the catalog hints it is served in {', '.join(hints)}" if hints else ""
        return Verdict(Availability.NOT_SERVABLE_IN_REGION, http_status, status, message,
                       f"call {model} from another region{also} (`vertex-claude-setup regions best {model}`)")
    if "is not allowed to use publisher model" in lowered:
        return Verdict(Availability.NOT_ENABLED, http_status, status, message,
                       f"enable {model} for project {project} in Model Garden (accept the terms): "
                       f"{model_garden_url(project, model)}")
    if http_status == 403 and "data sharing" in lowered:
        return Verdict(Availability.DATA_SHARING_REQUIRED, http_status, status, message,
                       f"enable data sharing with Anthropic for {model} in each location you call it from "
                       "(PublisherModelConfig.dataSharingEnabledProvider=ANTHROPIC via setPublisherModelConfig) "
                       f"after accepting the terms in Model Garden: {model_garden_url(project, model)}")
    if http_status == 403 or status == "PERMISSION_DENIED":
        permission = denied_permission(metadata, message) or "aiplatform.endpoints.predict"
        return Verdict(Availability.PERMISSION_DENIED, http_status, status, message,
                       f"grant {role_for(permission)} (has {permission}) to your principal on project {project}",
                       permission=permission)
    if http_status == 404 or status == "NOT_FOUND":
        return Verdict(Availability.NOT_FOUND_OR_NO_ACCESS, http_status, status, message,
                       f"check the model id {model} (`vertex-claude-setup models`) and that {region} uses its own "
                       "host (global: aiplatform.googleapis.com); the project may also lack access to this model")
    if http_status == 429 or status == "RESOURCE_EXHAUSTED":
        return Verdict(Availability.QUOTA_EXHAUSTED, http_status, status, message,
                       f"reachable, but the quota for {where} is 0 or spent: request an increase at "
                       f"https://console.cloud.google.com/iam-admin/quotas?project={project}")
    return Verdict(Availability.ERROR, http_status, status or "ERROR", message or f"HTTP {http_status}",
                   "retry later; if it persists, check https://status.cloud.google.com")


def _names_constraint(details: Any) -> bool:
    """A detail (PreconditionFailure violation, ErrorInfo metadata) that names the Model Garden constraint."""
    return ORG_POLICY_CONSTRAINT in json.dumps(details or [], default=str)


def _served_regions(model: str) -> list[str]:
    from vertex_claude_setup import catalog

    info = catalog.models().get(model)
    return list(info.region_hints) if info else []
