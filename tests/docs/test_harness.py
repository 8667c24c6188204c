"""The docs tests can fail: a wrong output, a hidden exit code or an unsupported command is caught, and
--update-examples writes back what the tool prints (keeping an elision)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .shell import Session, matches
from .test_examples import check_page

PAGE = """\
# A page

```console
$ vertex-claude-setup --emulator --project demo-project api status
aiplatform.googleapis.com on project demo-project: {state}
$ vertex-claude-setup --emulator --project demo-project plan --detailed-exitcode
Project demo-project (from flag --project)
...
{echo}```
"""


def _page(tmp_path: Path, state: str = "DISABLED", echo: str = "$ echo $?\n2\n") -> Path:
    page = tmp_path / "page.md"
    page.write_text(PAGE.format(state=state, echo=echo), encoding="utf-8")
    return page


@pytest.fixture
def session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Session:
    folder = tmp_path / "session"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return Session(folder, monkeypatch)


def test_a_page_that_matches_passes(tmp_path: Path, session: Session) -> None:
    assert check_page(_page(tmp_path), session) == []


def test_a_wrong_output_is_a_diff(tmp_path: Path, session: Session) -> None:
    problems = check_page(_page(tmp_path, state="ENABLED"), session)
    assert len(problems) == 1 and "the output differs" in problems[0]
    assert "-aiplatform.googleapis.com on project demo-project: ENABLED" in problems[0]
    assert "+aiplatform.googleapis.com on project demo-project: DISABLED" in problems[0]


def test_a_non_zero_exit_must_be_shown(tmp_path: Path, session: Session) -> None:
    problems = check_page(_page(tmp_path, echo=""), session)
    assert problems == ["page.md:3 `$ vertex-claude-setup --emulator --project demo-project plan --detailed-exitcode`: "
                        "exits 2; show it with `$ echo $?` right after the command"]
    wrong = check_page(_page(tmp_path, echo="$ echo $?\n0\n"), session)
    assert len(wrong) == 1 and "-0" in wrong[0] and "+2" in wrong[0]


def test_an_unsupported_command_is_named(tmp_path: Path, session: Session) -> None:
    page = tmp_path / "page.md"
    page.write_text("```console\n$ ls -l\n```\n", encoding="utf-8")
    assert check_page(page, session) == ["page.md:1 `$ ls -l`: the docs shell runs only vertex-claude-setup, echo, "
                                         "cat, export, unset, rm and eval: 'ls -l'"]


def test_update_writes_what_the_tool_prints_and_keeps_the_elision(tmp_path: Path, session: Session,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    page = _page(tmp_path, state="ENABLED")
    assert check_page(page, session, update=True) == []
    text = page.read_text(encoding="utf-8")
    assert "demo-project: DISABLED\n$ vertex-claude-setup" in text
    assert "Project demo-project (from flag --project)\n...\n$ echo $?" in text  # the elision is kept
    fresh = tmp_path / "again"
    fresh.mkdir()
    monkeypatch.chdir(fresh)
    assert check_page(page, Session(fresh, monkeypatch)) == []


def test_an_elision_matches_any_number_of_lines_but_not_a_wrong_head_or_tail() -> None:
    assert matches(["a", "...", "z"], ["a", "z"])
    assert matches(["a", "...", "z"], ["a", "b", "c", "z"])
    assert matches(["a", "...", "m", "...", "z"], ["a", "b", "m", "y", "z"])
    assert not matches(["a", "...", "z"], ["b", "z"])
    assert not matches(["a", "...", "z"], ["a", "y"])
    assert not matches(["a", "...", "m", "...", "z"], ["a", "b", "z"])
    assert not matches(["a", "b"], ["a", "b", "c"])
