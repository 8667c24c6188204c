"""The files the tool writes for itself are private (0600 in a 0700 folder), and a state folder that is a file,
or a damaged state file, is a one-line error naming it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from conftest import PROJECT, Runner


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_state_folder_that_is_a_file_is_one_line(run: Runner, foundation_only: Path) -> None:
    Path(".vertex-claude").write_text("oops", encoding="utf-8")
    result = run("--emulator", "plan")
    state_dir = Path(".vertex-claude").resolve()
    assert (result.code, result.out) == (1, "")
    assert result.err == (f"Error: {state_dir} is a file, not a folder: vertex-claude-setup keeps its state there\n"
                          f"  fix: move or delete the file {state_dir}\n")


def test_state_plans_and_caches_are_private(run: Runner, foundation_only: Path, tmp_path: Path) -> None:
    Path(".vertex-claude").mkdir(mode=0o755)  # as an older version left it
    plan = tmp_path / "plan.json"
    plan.write_text("old", encoding="utf-8")
    plan.chmod(0o644)
    assert run("--emulator", "plan", "--out", str(plan)).code == 0
    assert run("--emulator", "apply", str(plan)).code == 0
    assert _mode(Path(".vertex-claude")) == 0o700
    written = sorted(p.name for p in Path(".vertex-claude").iterdir())
    assert written == ["audit-cache.json", "emulator-state.json"]  # no temporary file left behind
    assert {name: _mode(Path(".vertex-claude") / name) for name in written} == dict.fromkeys(written, 0o600)
    assert _mode(plan) == 0o600


@pytest.mark.parametrize("text", ['{"projects": []}', '{"defaults": 1}', '{"faults": {}}', "[" * 50_000])
def test_a_damaged_emulator_state_is_one_line(run: Runner, text: str) -> None:
    state = Path(".vertex-claude/emulator-state.json")
    state.parent.mkdir()
    state.write_text(text, encoding="utf-8")
    result = run("--emulator", "--project", PROJECT, "plan")
    assert (result.code, result.out) == (1, "")
    assert result.err.startswith(f"Error: emulator state {state.resolve()} is not ")
    assert result.err.splitlines()[1].startswith("  fix: run `vertex-claude-setup emulator reset`")
    assert len(result.err.splitlines()) == 2


def test_a_state_file_the_user_placed_keeps_its_folder_as_it_is(tmp_path: Path) -> None:
    """`emulator serve --state FILE` may point anywhere (/tmp…): the file is private, the user's folder untouched."""
    from vertex_claude_setup.emulator import State

    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    State(path=shared / "state.json").save()
    State(path=tmp_path / "new" / "deeper" / "state.json").save()
    assert (_mode(shared), _mode(shared / "state.json")) == (0o755, 0o600)
    assert (_mode(tmp_path / "new" / "deeper"), _mode(tmp_path / "new" / "deeper" / "state.json")) == (0o700, 0o600)
