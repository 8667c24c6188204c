"""The plan/apply engine: steps read real state, diff it against the config, and apply changes.

Learned from Terraform and pyinfra: ``read`` only reads (safe in ``plan``), ``diff`` is pure,
``apply`` makes one change and ``verify`` reads back. Steps declare dependencies; independent
steps run concurrently. Read-only checks (like Terraform ``check`` blocks) surface as findings.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from vertex_claude_setup.errors import SetupError

if TYPE_CHECKING:
    from vertex_claude_setup.config import Config
    from vertex_claude_setup.gcp.session import GoogleApis

Action = Literal["create", "update", "delete"]
SYMBOLS: dict[str, str] = {"create": "+", "update": "~", "delete": "-"}
Severity = Literal["error", "warning", "info"]
Json = Any


@dataclass(frozen=True)
class Change:
    """One proposed change: what, from → to, and the data ``apply`` needs to make it."""

    step: str
    action: Action
    summary: str
    before: Json = None
    after: Json = None
    reason: str = ""
    data: dict[str, Json] = field(default_factory=dict)

    def to_json(self) -> dict[str, Json]:
        return {"step": self.step, "action": self.action, "summary": self.summary, "before": self.before,
                "after": self.after, "reason": self.reason, "data": self.data}

    @classmethod
    def from_json(cls, raw: dict[str, Json]) -> Change:
        return cls(step=raw["step"], action=raw["action"], summary=raw["summary"], before=raw.get("before"),
                   after=raw.get("after"), reason=raw.get("reason", ""), data=dict(raw.get("data") or {}))


@dataclass(frozen=True)
class Finding:
    """A read-only check result: an unavailable model, a deprecated id, a non-compliant retention."""

    step: str
    severity: Severity
    message: str
    hint: str = ""

    def to_json(self) -> dict[str, Json]:
        return {"step": self.step, "severity": self.severity, "message": self.message, "hint": self.hint}

    @classmethod
    def from_json(cls, raw: dict[str, Json]) -> Finding:
        return cls(step=raw["step"], severity=raw["severity"], message=raw["message"], hint=raw.get("hint", ""))


@dataclass
class Context:
    """What every step gets: the resolved config and the Google API access layer."""

    config: Config
    google: GoogleApis
    # Names of steps whose changes are not applied yet: a dependent step reads "known after apply".
    pending_upstream: frozenset[str] = frozenset()


class Step:
    """Base class of a plan/apply step. Subclasses set ``name`` and override the hooks."""

    name: str = ""
    depends_on: tuple[str, ...] = ()
    # True when the step's changes are independent of each other: apply runs them concurrently.
    concurrent_apply: bool = False
    # The IAM permissions ``read`` calls Google with (so plan needs them), and those ``apply`` adds: `doctor`
    # tests exactly these, and a test checks them against what the emulator is asked for.
    read_permissions: tuple[str, ...] = ()
    apply_permissions: tuple[str, ...] = ()

    def read(self, ctx: Context) -> Json:
        """Observe the real state (JSON-able). Must not change anything."""
        raise NotImplementedError

    def diff(self, ctx: Context, observed: Json) -> list[Change]:
        """The smallest changes that bring ``observed`` to the config. Pure."""
        return []

    def check(self, ctx: Context, observed: Json) -> list[Finding]:
        """Read-only findings about ``observed`` (errors make ``plan`` fail the check)."""
        return []

    def apply(self, ctx: Context, change: Change) -> str:
        """Make one change; return a one-line result. Raise SetupError on failure."""
        raise NotImplementedError

    def unresolved(self, ctx: Context, observed: Json, planned: Change) -> SetupError | None:
        """After the re-read that follows an upstream change: why ``planned`` cannot be made now, else None.

        A change planned "known after apply" that the re-read no longer proposes is either already true
        (None) or impossible now (the error): only the step knows which, and an impossible change is a
        failed change, never a warning.
        """
        return None

    def verify(self, ctx: Context) -> None:
        """Read back after apply; raise SetupError if the step has not converged."""
        observed = self.read(ctx)
        left = self.diff(ctx, observed)
        if left:
            raise SetupError(f"{self.name}: still differs after apply: {left[0].summary}",
                             "re-run `vertex-claude-setup apply`; if it persists, check the resource by hand")


def fingerprint(observed: Json) -> str:
    """A stable hash of observed state: a saved plan is stale when any fingerprint changed."""
    blob = json.dumps(observed, sort_keys=True, separators=(",", ":"), default=str).encode()
    return "sha256:" + hashlib.sha256(blob).hexdigest()


@dataclass
class StepPlan:
    """What one step observed and proposes."""

    step: str
    observed: Json = None
    fingerprint: str = ""
    changes: list[Change] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    error: str = ""
    hint: str = ""
    skipped: str = ""
    # True when read while an upstream change was pending: apply re-reads it after that change.
    after_upstream: bool = False

    @property
    def ok(self) -> bool:
        return not self.error and not self.skipped


@dataclass
class Plan:
    """The plan for a whole config: one StepPlan per step, in dependency order."""

    project: str
    config_digest: str
    steps: list[StepPlan]
    # What the plan was made against: "google", "emulator" (--emulator) or "emulator HOST:PORT".
    target: str = "google"

    @property
    def changes(self) -> list[Change]:
        return [c for s in self.steps for c in s.changes]

    @property
    def findings(self) -> list[Finding]:
        return [f for s in self.steps for f in s.findings]

    @property
    def errors(self) -> list[StepPlan]:
        return [s for s in self.steps if s.error]

    def counts(self) -> dict[str, int]:
        out = {"create": 0, "update": 0, "delete": 0}
        for change in self.changes:
            out[change.action] += 1
        return out


@dataclass
class Outcome:
    """The result of applying one change (or of skipping it)."""

    step: str
    summary: str
    status: Literal["applied", "failed", "skipped", "not_started"]  # not_started: apply was interrupted
    message: str = ""
    hint: str = ""
