"""Saved plans: versioned JSON with the config hash and a fingerprint of every observed state.

``apply PLAN`` plans again from the real state and applies only when the saved plan equals that fresh
plan: the same steps, the same observed state, and every change equal to the one the current config and
state produce, matched by step and (model, region) pair (or by summary), never by position. A saved plan
can approve changes; it can never introduce one. The file is checked strictly first: every key present
with its type, known steps each listed once, known actions and severities.

The checksum is a plain SHA-256 that catches accidental edits and damage. It is deliberately not keyed
(no HMAC secret in ``.vertex-claude/``): since apply refuses any change that does not follow from the
current state, a forged plan with a recomputed checksum cannot make apply do anything a fresh ``apply``
would not do; a key would add nothing to that, tie every plan to the machine that made it (plan in CI,
apply elsewhere would break), and sit in the same folder an attacker able to write plans can read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

from vertex_claude_setup import __version__, localfiles
from vertex_claude_setup.config import PROJECT_ID_RE
from vertex_claude_setup.errors import PlanFileError

from .model import SYMBOLS, Change, Finding, Plan, StepPlan, fingerprint
from .runner import drift

FORMAT = "vertex-claude-setup-plan"
VERSION = 1
EDITED_FIX = "never edit a plan; make a new one with `plan --out FILE`"
SEVERITIES = ("error", "warning", "info")
_ANY = object()  # any JSON value
_TOP: dict[str, Any] = {"format": str, "version": int, "tool_version": str, "created": str, "project": str,
                        "config_digest": str, "summary": dict, "steps": list}
_STEP: dict[str, Any] = {"step": str, "observed": _ANY, "fingerprint": str, "changes": list, "findings": list,
                         "error": str, "hint": str, "skipped": str, "after_upstream": bool}
_CHANGE: dict[str, Any] = {"step": str, "action": str, "summary": str, "before": _ANY, "after": _ANY,
                           "reason": str, "data": dict}
_FINDING: dict[str, Any] = {"step": str, "severity": str, "message": str, "hint": str}
_TYPE_NAMES = {str: "a string", int: "an integer", bool: "true or false", list: "a list", dict: "an object"}


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
    """Write the plan file atomically, readable by its owner only (it records IAM policies and configs)."""
    text = json.dumps(to_json(plan), indent=2, sort_keys=False) + "\n"
    try:
        localfiles.write_private(path, text)
    except localfiles.LocalFileError as exc:
        raise PlanFileError(f"cannot write plan file {path}: {exc.reason}",
                            "pass a writable path to --out (its folder must exist)") from None


def change_key(change: Change) -> tuple[str, str]:
    """What a change is about: ("pair", "MODEL in REGION") when it has a pair, else ("summary", its summary)."""
    model, region = change.data.get("model"), change.data.get("region")
    if isinstance(model, str) and isinstance(region, str):
        return "pair", f"{model} in {region}"
    return "summary", change.summary


def load(path: Path, known_steps: Collection[str]) -> Plan:
    """Read and check a plan file: its shape, its checksum, its steps and every fingerprint."""
    try:
        return _load(path, known_steps)
    except RecursionError:  # parsing or hashing a document nested about as deep as Python's stack
        raise PlanFileError(f"plan file {path} is not a plan: nested too deeply",
                            "make a new plan with `plan --out FILE`") from None


def _load(path: Path, known_steps: Collection[str]) -> Plan:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanFileError(f"plan file {path} not found",
                            "create it with `vertex-claude-setup plan --out FILE`") from None
    except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PlanFileError(f"plan file {path} is not readable JSON: {reason}",
                            "make a new plan with `plan --out FILE`") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise PlanFileError(f"{path} is not a vertex-claude-setup plan file", "make one with `plan --out FILE`")
    if raw.get("version") != VERSION or isinstance(raw.get("version"), bool):
        raise PlanFileError(f"plan file {path} has version {raw.get('version')!r}, this tool reads {VERSION}",
                            "make a new plan with this version of the tool")
    claimed = raw.pop("checksum", None)
    if claimed != _checksum(raw):
        raise PlanFileError(f"plan file {path} was modified after it was written (checksum mismatch)", EDITED_FIX)
    problem = _shape_problem(raw, known_steps)
    if problem:
        raise PlanFileError(f"plan file {path}: {problem}", EDITED_FIX)
    steps = [
        StepPlan(step=s["step"], observed=s["observed"], fingerprint=s["fingerprint"],
                 changes=[Change.from_json(c) for c in s["changes"]],
                 findings=[Finding.from_json(f) for f in s["findings"]],
                 error=s["error"], hint=s["hint"], skipped=s["skipped"], after_upstream=s["after_upstream"])
        for s in raw["steps"]
    ]
    plan = Plan(project=raw["project"], config_digest=raw["config_digest"], steps=steps,
                target=str(raw.get("target", "google")))
    if raw["summary"] != plan.counts():
        raise PlanFileError(f"plan file {path}: the summary does not match its changes", EDITED_FIX)
    for s in steps:
        seen: set[tuple[str, str]] = set()
        for change in s.changes:
            key = change_key(change)
            if key in seen:
                what = f"changes {_printable(key[1])}" if key[0] == "pair" else f"lists the change {_short(key[1])}"
                raise PlanFileError(f"plan file {path}: step {s.step} {what} twice", EDITED_FIX)
            seen.add(key)
        if s.ok and s.fingerprint != fingerprint(s.observed):
            raise PlanFileError(f"plan file {path}: step {s.step} was modified (fingerprint mismatch)",
                                "make a new plan with `plan --out FILE`")
    return plan


def _shape_problem(raw: dict[str, Any], known_steps: Collection[str]) -> str:
    """The first way ``raw`` differs from the plan schema, or ``""``."""
    if not isinstance(raw.get("target", "google"), str):  # optional: plans from before targets were recorded
        return f"key 'target' must be a string, got {_short(raw['target'])}"
    problem = _object_problem({k: v for k, v in raw.items() if k != "target"}, _TOP, "")
    if problem:
        return problem
    if not PROJECT_ID_RE.fullmatch(raw["project"]):
        return f"key 'project' must be a project ID, got {_short(raw['project'])}"
    names: set[str] = set()
    for i, step in enumerate(raw["steps"]):
        where = f"steps[{i}]: "
        problem = _object_problem(step, _STEP, where)
        if problem:
            return problem
        name = step["step"]
        if name not in known_steps:
            return f"{where}unknown step {name!r}"
        if name in names:
            return f"step {name!r} appears twice"
        names.add(name)
        for kind, schema, allowed in (("changes", _CHANGE, tuple(SYMBOLS)), ("findings", _FINDING, SEVERITIES)):
            for j, item in enumerate(step[kind]):
                inner = f"steps[{i}].{kind}[{j}]: "
                problem = _object_problem(item, schema, inner)
                if problem:
                    return problem
                field = "action" if kind == "changes" else "severity"
                if item[field] not in allowed:
                    return f"{inner}key '{field}' must be one of {', '.join(allowed)}, got {_short(item[field])}"
                if item["step"] != name:
                    return (f"{inner}key 'step' must be {name!r} (the step it is listed under), "
                            f"got {_short(item['step'])}")
    return ""


def _object_problem(obj: Any, schema: dict[str, Any], where: str) -> str:
    if not isinstance(obj, dict):
        return f"{where}must be an object, got {_short(obj)}"
    for key, kind in schema.items():
        if key not in obj:
            return f"{where}missing key '{key}'"
        value = obj[key]
        if kind is not _ANY and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
            return f"{where}key '{key}' must be {_TYPE_NAMES[kind]}, got {_short(value)}"
    unknown = sorted(set(obj) - set(schema))
    return f"{where}unknown key {unknown[0]!r}" if unknown else ""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _printable(text: str) -> str:
    """``text`` as is when it is plain, else escaped: a value from a plan file never breaks an error line."""
    return text if text.isprintable() and len(text) <= 120 else _short(text)


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
    """Refuse a saved plan unless it is exactly what the current config and state produce.

    The caller then applies ``current``, the plan the tool itself just made, never the file's copy.
    """
    check_target(saved, current.target, path)
    if saved.project != current.project:
        raise PlanFileError(f"plan {path} is for project {saved.project}, the config says {current.project}",
                            "plan again for this project")
    if saved.config_digest != current.config_digest:
        raise PlanFileError(f"plan {path} is stale: the configuration changed since it was made",
                            "run `vertex-claude-setup plan --out FILE` again")
    saved_names, current_names = [s.step for s in saved.steps], [s.step for s in current.steps]
    if saved_names != current_names:
        raise PlanFileError(f"plan {path} lists the steps {', '.join(saved_names) or '(none)'}; this configuration "
                            f"plans {', '.join(current_names)} (the plan was altered or made by another version)",
                            "make a new plan with `plan --out FILE`")
    moved = drift(saved, current) + [
        f"{old.step}: was {_status(old)}, now {_status(new)}"
        for old, new in zip(saved.steps, current.steps, strict=True)
        if old.fingerprint == new.fingerprint and not new.error and _status(old) != _status(new)
    ]
    if moved:
        raise PlanFileError(f"plan {path} is stale: the world changed since it was made: {'; '.join(moved)}",
                            "run `vertex-claude-setup plan --out FILE` again and review it")
    for old, new in zip(saved.steps, current.steps, strict=True):
        wanted = {change_key(c): c.to_json() for c in new.changes}
        given = {change_key(c): c.to_json() for c in old.changes}
        for key in [*wanted, *(k for k in given if k not in wanted)]:
            if wanted.get(key) != given.get(key):
                about = f"for {_printable(key[1])}" if key[0] == "pair" else _short(key[1])
                raise PlanFileError(f"plan {path}: the change of step {old.step} {about} does not follow from "
                                    "the current state and configuration (the plan was altered)",
                                    "make a new plan with `plan --out FILE`")


def _status(step: StepPlan) -> str:
    if step.error:
        return f"failed ({step.error})"
    if step.skipped:
        return f"skipped ({step.skipped})"
    return "planned after an upstream change" if step.after_upstream else "planned"
