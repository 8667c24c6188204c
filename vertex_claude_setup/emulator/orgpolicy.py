"""Organization Policy v2: the effective ``vertexai.allowedModels`` policy of a project, and what it blocks.

Scenario ``[org_policies."RESOURCE"]`` holds policies by resource (``organizations/123456789012``,
``folders/42`` — a project's ``parent`` — or ``projects/ID``), each a constraint name mapped to a ``PolicySpec``
in the API's JSON (``rules`` with ``values.allowedValues``/``deniedValues``, ``allowAll``/``denyAll``,
``inheritFromParent``, ``reset``). The effective policy merges the project's parent and then the project: a
policy that does not inherit replaces what is above it, one that inherits adds its values (a denied value
always wins). A Claude call the effective policy blocks answers Google's 400 FAILED_PRECONDITION naming
``constraints/vertexai.allowedModels`` (claude.py). Values name models as
``publishers/anthropic/models/{model}:predict`` (Google's "Control access to Model Garden models");
a value without an action covers every action; the version is not part of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .common import require_project
from .googleerrors import ApiError
from .server import Request, handles
from .state import State

API = "orgpolicy.v2"
HOST = "orgpolicy.googleapis.com"
MODELS_CONSTRAINT = "vertexai.allowedModels"


@dataclass
class Effective:
    """A list constraint's merged values: ``allowed`` None means no allowlist."""

    allowed: set[str] | None = None
    denied: set[str] = field(default_factory=set)
    deny_all: bool = False
    set_anywhere: bool = False

    def spec(self) -> dict[str, Any]:
        if not self.set_anywhere:
            return {}
        if self.deny_all:
            return {"rules": [{"denyAll": True}]}
        values: dict[str, Any] = {}
        if self.allowed is not None:
            values["allowedValues"] = sorted(self.allowed)
        if self.denied:
            values["deniedValues"] = sorted(self.denied)
        return {"rules": [{"values": values}] if values else [{"allowAll": True}]}


def _values(raw: str) -> str:
    return raw.removeprefix("is:")


def effective(state: State, project: dict[str, Any], constraint: str) -> Effective:
    """Merge the policies of the project's parent and the project itself, top down."""
    policies = state.data.get("org_policies") or {}
    chain = [project.get("parent", ""), f"projects/{project['projectId']}", f"projects/{project['projectNumber']}"]
    out = Effective()
    for resource in chain:
        spec = (policies.get(resource) or {}).get(constraint)
        if not isinstance(spec, dict):
            continue
        out.set_anywhere = True
        if spec.get("reset") or not spec.get("inheritFromParent"):
            out = Effective(set_anywhere=True)
        for rule in spec.get("rules") or []:
            if rule.get("denyAll"):
                out.deny_all = True
            if rule.get("allowAll") and not spec.get("inheritFromParent"):
                out.allowed = None
            values = rule.get("values") or {}
            allowed = {_values(v) for v in values.get("allowedValues") or ()}
            if allowed:
                out.allowed = (out.allowed or set()) | allowed
            out.denied |= {_values(v) for v in values.get("deniedValues") or ()}
    return out


def blocks(state: State, project: dict[str, Any], model: str, action: str = "predict") -> bool:
    """Whether the effective ``vertexai.allowedModels`` policy blocks ``action`` on ``model`` for the project."""
    merged = effective(state, project, MODELS_CONSTRAINT)
    if not merged.set_anywhere:
        return False
    name = f"publishers/anthropic/models/{model.split('@')[0]}"
    names = {f"{name}:{action}", name}
    if merged.deny_all or names & merged.denied:
        return True
    return merged.allowed is not None and not names & merged.allowed


def blocked_error(project: dict[str, Any], model: str) -> ApiError:
    name = f"publishers/anthropic/models/{model.split('@')[0]}"
    message = (f"Organization Policy constraint `constraints/{MODELS_CONSTRAINT}` violated for "
               f"`projects/{project['projectNumber']}` attempting to use a disallowed Gen AI model {name}. Please "
               "contact your organization administrator to fix this issue.")
    return ApiError("FAILED_PRECONDITION", message, [{
        "@type": "type.googleapis.com/google.rpc.PreconditionFailure",
        "violations": [{"type": f"constraints/{MODELS_CONSTRAINT}", "subject": f"projects/{project['projectNumber']}",
                        "description": f"{name}:predict is not allowed"}]}])


@handles(API, "orgpolicy.projects.policies.getEffectivePolicy")
def get_effective_policy(req: Request) -> dict[str, Any]:
    ref, constraint = req.params["projectsId"], req.params["policiesId"]
    project = require_project(req.state, ref, "orgpolicy.policy.get", HOST)
    if "." not in constraint:
        raise ApiError("INVALID_ARGUMENT", f"Invalid policy name: projects/{ref}/policies/{constraint}.")
    out: dict[str, Any] = {"name": f"projects/{project['projectNumber']}/policies/{constraint}"}
    spec = effective(req.state, project, constraint).spec()
    if spec:
        out["spec"] = spec
    return out
