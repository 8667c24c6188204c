"""Property-based: a saved plan mutated anywhere (a key dropped, a value replaced by any JSON, a step duplicated),
its checksum recomputed, is shown or refused in one line — and apply makes a change only when the plan's changes
are exactly the ones the current state produces."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from conftest import Runner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from vertex_claude_setup.engine.planfile import _checksum

PROPERTY = settings(max_examples=40, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
STATE = Path(".vertex-claude/emulator-state.json")

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20),
              st.sampled_from(["request-logging", "update", "delete", "error", "sha256:", "us-east5"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=3)),
    max_leaves=8)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in ``doc`` (dict keys and list indexes), the root excluded."""
    out: list[tuple[Any, ...]] = []
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in items:
        out.append((*prefix, key))
        out.extend(_paths(value, (*prefix, key)))
    return out


@st.composite
def mutations(draw: st.DrawFn, doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["drop", "replace", "replace", "duplicate-step", "add-key", "payload"]))
        if kind == "duplicate-step":
            doc["steps"].append(copy.deepcopy(draw(st.sampled_from(doc["steps"]))))
            continue
        changes = [c for s in doc["steps"] if isinstance(s, dict) for c in s.get("changes") or ()
                   if isinstance(c, dict) and isinstance(c.get("data"), dict)]
        if kind == "payload" and changes:  # what apply would send, with summary and before/after untouched
            draw(st.sampled_from(changes))["data"][draw(st.sampled_from(["loggingConfig", "model", "region"]))] = (
                draw(json_values))
            continue
        path = draw(st.sampled_from(_paths(doc)))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if kind == "drop":
            del parent[path[-1]]
        elif kind == "replace":
            parent[path[-1]] = draw(json_values)
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = draw(json_values)
    return doc


def _changes(doc: Any) -> Any:
    """What apply would act on: each step's changes (order-insensitive), or the raw value if it is no plan."""
    try:
        return sorted(json.dumps([s["step"], sorted(json.dumps(c, sort_keys=True) for c in s["changes"])])
                      for s in doc["steps"])
    except (KeyError, TypeError, AttributeError):
        return None


def _projects(state: bytes) -> Any:
    """The emulated projects (what a change would touch; counters and operations aside)."""
    return json.loads(state)["projects"]


def _write(path: Path, doc: dict[str, Any]) -> None:
    body = {k: v for k, v in doc.items() if k != "checksum"}
    try:
        checksum = _checksum(body)
    except (TypeError, ValueError):
        checksum = "sha256:0"
    path.write_text(json.dumps({**body, "checksum": checksum}), encoding="utf-8")


def _assert_clean(result: Any) -> None:
    assert result.code in (0, 1, 3), result
    assert "unexpected" not in result.err and "Traceback" not in result.err, result.err
    if result.code == 1:
        err = result.err.split("\n", 1)[1] if result.err.startswith("Project ") else result.err  # apply's header
        assert err.startswith("Error: ") and len(err.splitlines()) <= 2, result.err


def test_mutated_plans_are_shown_or_refused_in_one_line(run: Runner, plan_path: Path, tmp_path: Path) -> None:
    original = json.loads(plan_path.read_text(encoding="utf-8"))

    @PROPERTY
    @given(doc=mutations(original))
    @example(doc={k: v for k, v in original.items() if k != "project"})  # the KeyError
    def check(doc: dict[str, Any]) -> None:
        mutated = tmp_path / "mutated.json"
        _write(mutated, doc)
        _assert_clean(run("show", str(mutated)))

    check()


def test_apply_makes_only_the_changes_the_state_produces(run: Runner, plan_path: Path, tmp_path: Path) -> None:
    original = json.loads(plan_path.read_text(encoding="utf-8"))
    snapshot = STATE.read_bytes()

    attack = copy.deepcopy(original)  # the forgery: a second request-logging step sending elsewhere
    evil = copy.deepcopy(next(s for s in attack["steps"] if s["step"] == "request-logging"))
    for change in evil["changes"]:
        change["data"]["loggingConfig"] = {"enabled": True, "samplingRate": 0.0001,
                                           "bigqueryDestination": {"outputUri": "bq://other-project.loot"}}
    attack["steps"].append(evil)

    @settings(PROPERTY, max_examples=15)
    @given(doc=mutations(original))
    @example(doc=attack)
    def check(doc: dict[str, Any]) -> None:
        STATE.write_bytes(snapshot)  # every example starts from the state the plan was made for
        mutated = tmp_path / "mutated.json"
        _write(mutated, doc)
        result = run("--emulator", "apply", str(mutated))
        _assert_clean(result)
        if _changes(doc) != _changes(original):
            assert result.code == 1, result.out
            assert _projects(STATE.read_bytes()) == _projects(snapshot)  # refused before any change

    check()
