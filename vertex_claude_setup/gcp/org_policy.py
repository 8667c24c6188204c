"""Organization Policy v2: the effective ``constraints/vertexai.allowedModels`` of a project, read when permitted.

An organization policy on this constraint decides, for whole organizations or folders, which Model Garden
models (and actions) a project may use. The effective policy (``getEffectivePolicy``: the hierarchy merged) is
read through the generated ``orgpolicy_v2`` client (REST); reading needs ``orgpolicy.policy.get``
(``roles/orgpolicy.policyViewer``), which a caller may lack: then the answer says why and nothing fails.
Values name ``publishers/{publisher}/models/{model}:{action}`` (Google: "Control access to Model Garden
models"); a value without an action covers every action, and a policy applies to every version of a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vertex_claude_setup.gcp import retry

from .errors import Where
from .session import GoogleApis

API = "orgpolicy.googleapis.com"
POLICY = "vertexai.allowedModels"
CONSTRAINT = f"constraints/{POLICY}"
ACTION = "predict"  # what calling Claude is, for this constraint


@dataclass(frozen=True)
class ModelPolicy:
    """The effective allowed-models policy, or why it could not be read."""

    readable: bool
    reason: str = ""
    hint: str = ""
    deny_all: bool = False
    allowed: tuple[str, ...] | None = None  # None: no allowlist
    denied: tuple[str, ...] = ()

    @staticmethod
    def _names(model_id: str) -> set[str]:
        name = f"publishers/anthropic/models/{model_id.split('@')[0]}"
        return {name, f"{name}:{ACTION}"}

    def blocks(self, model_id: str) -> bool | None:
        """Whether the policy blocks calling ``model_id``; None when it could not be read."""
        if not self.readable:
            return None
        names = self._names(model_id)
        if self.deny_all or names & set(self.denied):
            return True
        return self.allowed is not None and not names & set(self.allowed)

    def why(self, model_id: str) -> str:
        """One phrase: how the effective policy treats ``model_id``."""
        if not self.readable:
            return f"the effective policy could not be read: {self.reason}"
        names = self._names(model_id)
        if self.deny_all:
            return f"the effective {CONSTRAINT} policy denies every model"
        if names & set(self.denied):
            return f"the effective {CONSTRAINT} policy denies {sorted(names & set(self.denied))[0]}"
        if self.allowed is not None and not names & set(self.allowed):
            return (f"the effective {CONSTRAINT} policy allows only {len(self.allowed)} value(s), not "
                    f"publishers/anthropic/models/{model_id.split('@')[0]}:{ACTION}")
        return f"the effective {CONSTRAINT} policy allows it"

    def to_json(self) -> dict[str, Any]:
        return {"constraint": CONSTRAINT, "readable": self.readable, "reason": self.reason or None,
                "fix": self.hint or None, "deny_all": self.deny_all,
                "allowed_values": list(self.allowed) if self.allowed is not None else None,
                "denied_values": list(self.denied)}


def _strip(value: str) -> str:
    return value.removeprefix("is:")


def parse(spec: Any) -> ModelPolicy:
    """A ``PolicySpec`` (generated message) as the merged lists this constraint is about."""
    deny_all, allowed, denied = False, None, []
    for rule in getattr(spec, "rules", None) or ():
        deny_all = deny_all or bool(rule.deny_all)
        values = rule.values
        if values is not None and list(values.allowed_values):
            allowed = [*(allowed or []), *(_strip(v) for v in values.allowed_values)]
        if values is not None:
            denied += [_strip(v) for v in values.denied_values]
    return ModelPolicy(True, deny_all=deny_all, allowed=tuple(allowed) if allowed is not None else None,
                       denied=tuple(denied))


def effective_policy(google: GoogleApis, project: str) -> ModelPolicy:
    """``projects.policies.getEffectivePolicy`` for ``vertexai.allowedModels``; unreadable is an answer, not an
    error (a principal may lack ``orgpolicy.policy.get``, the network may refuse)."""
    from .failures import translate

    client = google.org_policy_client()
    name = f"projects/{project}/policies/{POLICY}"
    try:
        with retry.scope():  # our retry and attempt timeout, not the client's own (60 s, inside ours)
            policy = client.get_effective_policy(name=name, **retry.options())
    except retry.failures() as exc:
        error = translate(exc, Where(API, project), "getEffectivePolicy", google.endpoint("orgpolicy"))
        return ModelPolicy(False, error.message, error.hint)
    return parse(policy.spec)
