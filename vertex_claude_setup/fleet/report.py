"""The fleet report: one row per project, the projects skipped or unreadable and why, and the summary.

Renderers (``cli/render/fleet*.py``) format it; ``to_json`` is its stable, versioned JSON form.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

SCHEMA_VERSION = 1
Status = Literal["ok", "findings", "error"]
CheckStatus = Literal["PASS", "FAIL", "WARN", "INFO", "CHANGE"]
EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_FINDINGS = 0, 1, 2, 3


@dataclass(frozen=True)
class Check:
    """One line of a project's result: a (model, region) pair, a compliance check, a planned change…"""

    id: str
    name: str
    status: CheckStatus
    message: str
    fix: str = ""

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "status": self.status, "message": self.message, "fix": self.fix}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Check:
        return cls(str(raw["id"]), str(raw["name"]), raw["status"], str(raw["message"]), str(raw.get("fix", "")))


@dataclass
class ProjectResult:
    """What one command found for one project; ``fields`` are the command's columns."""

    project: str
    status: Status
    summary: str
    fields: dict[str, Any] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    error: str = ""
    hint: str = ""
    elapsed_s: float = 0.0
    parent: str = ""
    labels: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"project": self.project, "status": self.status, "summary": self.summary, "fields": self.fields,
                "checks": [c.to_json() for c in self.checks], "error": self.error, "hint": self.hint,
                "elapsed_s": round(self.elapsed_s, 3), "parent": self.parent, "labels": self.labels}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ProjectResult:
        return cls(str(raw["project"]), raw["status"], str(raw["summary"]), dict(raw.get("fields") or {}),
                   [Check.from_json(c) for c in raw.get("checks") or []], str(raw.get("error", "")),
                   str(raw.get("hint", "")), float(raw.get("elapsed_s", 0)), str(raw.get("parent", "")),
                   dict(raw.get("labels") or {}))


@dataclass(frozen=True)
class Skipped:
    """A project selected but not run, e.g. one being deleted."""

    project: str
    state: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"project": self.project, "state": self.state, "reason": self.reason}


@dataclass(frozen=True)
class Unreadable:
    """A project, folder or organization that could not be read: what Google said, and the fix."""

    name: str
    message: str
    fix: str = ""

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "message": self.message, "fix": self.fix}


@dataclass
class FleetReport:
    """Every row of one fleet command, in selection order, and what could not be run."""

    command: str
    columns: list[tuple[str, str]]  # (field key, column title): the command's own columns
    rows: list[ProjectResult] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    aggregates: dict[str, Any] = field(default_factory=dict)  # the command's fleet-wide counts
    usage: dict[str, Any] = field(default_factory=dict)  # requests per Google API, rate achieved
    generated_at: float = field(default_factory=time.time)
    elapsed_s: float = 0.0
    resumed: int = 0
    changes_exit: bool = False  # plan --detailed-exitcode: exit 2 when there are changes

    def counts(self) -> dict[str, int]:
        found = Counter(r.status for r in self.rows)
        return {"projects": len(self.rows), "ok": found["ok"], "findings": found["findings"],
                "error": found["error"], "skipped": len(self.skipped), "unreadable": len(self.unreadable)}

    def not_read(self) -> list[Unreadable]:
        """Everything that could not be read, projects and nodes alike, with why: the summary names them."""
        rows = [Unreadable(r.project, r.error, r.hint) for r in self.rows if r.status == "error"]
        return [*self.unreadable, *rows]

    @property
    def exit_code(self) -> int:
        """1 when anything could not be read or run, else 3 when any project has findings, else 0 (or 2)."""
        counts = self.counts()
        if counts["error"] or counts["unreadable"]:
            return EXIT_ERROR
        if counts["findings"]:
            return EXIT_FINDINGS
        if self.changes_exit and self.aggregates.get("changes"):
            return EXIT_CHANGES
        return EXIT_OK

    def summary(self) -> dict[str, Any]:
        return {**self.counts(), **self.aggregates}

    def to_json(self) -> dict[str, Any]:
        from vertex_claude_setup import __version__

        return {"schema_version": SCHEMA_VERSION, "tool": {"name": "vertex-claude-setup", "version": __version__},
                "command": self.command, "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                      time.gmtime(self.generated_at)),
                "elapsed_s": round(self.elapsed_s, 3), "summary": self.summary(), "exit_code": self.exit_code,
                "columns": [{"key": k, "title": t} for k, t in self.columns],
                "projects": [r.to_json() for r in self.rows], "skipped": [s.to_json() for s in self.skipped],
                "not_read": [u.to_json() for u in self.not_read()], "resumed": self.resumed,
                "requests": self.usage}
