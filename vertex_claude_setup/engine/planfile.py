"""Saved plans: versioned JSON with the config hash and a fingerprint of every observed state.

``apply PLAN`` re-reads the world and refuses a plan that is stale (state or config changed since)
or tampered with (checksum, fingerprints or changes do not match what the state implies).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from vertex_claude_setup import __version__
from vertex_claude_setup.errors import PlanFileError

from .model import Change, Finding, Plan, StepPlan, fingerprint
from .runner import drift

FORMAT = "vertex-claude-setup-plan"
VERSION = 1


def _checksum(body: dict[str, Any]) -> str:
    blob = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()
    return "sha256:" + hashlib.sha256(blob).hexdigest()


def to_json(plan: Plan) -> dict[str, Any]:
    """The plan as the versioned, checksummed JSON document (also the ``--json`` output)."""
    body: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "tool_version": __version__,
        "created": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "project": plan.project,
        "target": plan.target,
        "config_digest": plan.config_digest,
        "summary": plan.counts(),
        "steps": [
            {
                "step": s.step,
                "observed": s.observed,
                "fingerprint": s.fingerprint,
                "changes": [c.to_json() for c in s.changes],
                "findings": [f.to_json() for f in s.findings],
                "error": s.error,
                "hint": s.hint,
                "skipped": s.skipped,
                "after_upstream": s.after_upstream,
            }
            for s in plan.steps
        ],
    }
    body["checksum"] = _checksum(body)
    return body


def save(plan: Plan, path: Path) -> None:
    """Write the plan file (atomically: a crash never leaves half a plan)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(to_json(plan), indent=2, sort_keys=False) + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise PlanFileError(f"cannot write plan file {path}: {exc.strerror}",
                            "pass a writable path to --out (its folder must exist)") from None


def load(path: Path) -> Plan:
    """Read and check a plan file; a bad checksum or fingerprint means it was edited."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanFileError(f"plan file {path} not found",
                            "create it with `vertex-claude-setup plan --out FILE`") from None
    except (OSError, ValueError) as exc:
        raise PlanFileError(f"plan file {path} is not readable JSON: {exc}",
                            "make a new plan with `plan --out FILE`") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise PlanFileError(f"{path} is not a vertex-claude-setup plan file", "make one with `plan --out FILE`")
    if raw.get("version") != VERSION:
        raise PlanFileError(f"plan file {path} has version {raw.get('version')}, this tool reads {VERSION}",
                            "make a new plan with this version of the tool")
    claimed = raw.pop("checksum", None)
    if claimed != _checksum(raw):
        raise PlanFileError(f"plan file {path} was modified after it was written (checksum mismatch)",
                            "never edit a plan; make a new one with `plan --out FILE`")
    try:
        steps = [
            StepPlan(
                step=s["step"], observed=s["observed"], fingerprint=s["fingerprint"],
                changes=[Change.from_json(c) for c in s["changes"]],
                findings=[Finding.from_json(f) for f in s["findings"]],
                error=s.get("error", ""), hint=s.get("hint", ""), skipped=s.get("skipped", ""),
                after_upstream=bool(s.get("after_upstream")),
            )
            for s in raw["steps"]
        ]
    except (KeyError, TypeError) as exc:
        raise PlanFileError(f"plan file {path} is malformed (missing {exc})", "make a new plan") from None
    for s in steps:
        if s.ok and s.fingerprint != fingerprint(s.observed):
            raise PlanFileError(f"plan file {path}: step {s.step} was modified (fingerprint mismatch)",
                                "make a new plan with `plan --out FILE`")
    return Plan(project=raw["project"], config_digest=raw["config_digest"], steps=steps,
                target=str(raw.get("target", "google")))


def _target_name(target: str) -> str:
    if target == "google":
        return "Google Cloud"
    if target == "emulator":
        return "the built-in emulator (--emulator)"
    return f"the emulator at {target.removeprefix('emulator ')} (VERTEX_CLAUDE_EMULATOR_HOST)"


def _target_fix(planned: str, path: Path) -> str:
    if planned == "emulator":
        return f"apply {path} against the emulator, as it was planned: add --emulator"
    if planned == "google":
        return f"drop --emulator and unset VERTEX_CLAUDE_EMULATOR_HOST to apply {path} to Google Cloud"
    return f"set VERTEX_CLAUDE_EMULATOR_HOST={planned.removeprefix('emulator ')} as when you planned, or plan again"


def check_target(saved: Plan, target: str, path: Path) -> None:
    """Refuse a plan made against Google when applying to an emulator, and the other way round."""
    if saved.target != target:
        raise PlanFileError(f"plan {path} was made against {_target_name(saved.target)}, but this apply runs "
                            f"against {_target_name(target)}", _target_fix(saved.target, path))


def check_still_valid(saved: Plan, current: Plan, path: Path) -> None:
    """Refuse a saved plan when the config or the world changed, or its changes were altered."""
    check_target(saved, current.target, path)
    if saved.project != current.project:
        raise PlanFileError(f"plan {path} is for project {saved.project}, the config says {current.project}",
                            "plan again for this project")
    if saved.config_digest != current.config_digest:
        raise PlanFileError(f"plan {path} is stale: the configuration changed since it was made",
                            "run `vertex-claude-setup plan --out FILE` again")
    moved = drift(saved, current)
    if moved:
        raise PlanFileError(f"plan {path} is stale: the world changed since it was made: {'; '.join(moved)}",
                            "run `vertex-claude-setup plan --out FILE` again and review it")
    for old, new in zip(saved.steps, current.steps, strict=False):
        if [c.to_json() for c in old.changes] != [c.to_json() for c in new.changes]:
            raise PlanFileError(f"plan {path}: the changes of step {old.step} do not follow from its state "
                                "(the plan was altered)", "make a new plan with `plan --out FILE`")
