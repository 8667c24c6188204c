"""Every shell example in README.md and docs/ runs against the emulator, and its output and exit code match.

Each page is one shell session in a fresh folder (state carries from block to block, as for a reader
following along). A command that exits non-zero must be followed by `$ echo $?` showing the code. Blocks
marked `# not run by the docs tests: <why>` are reported as skipped. After a change to the output,
regenerate every page with: `python -m pytest tests/docs --update-examples` (see docs/contributing.md).
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import pytest

from . import markdown
from .shell import Session, Unsupported, matches, shown_again

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _page_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _not_run() -> list[tuple[str, str]]:
    return [(block.where, block.not_run) for page in PAGES for block in markdown.blocks(page) if block.not_run]


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_page_examples(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                       request: pytest.FixtureRequest) -> None:
    update = bool(request.config.getoption("--update-examples"))
    problems = check_page(page, Session(tmp_path, monkeypatch), update=update)
    assert not problems, "\n\n".join(problems)


def check_page(page: Path, session: Session, *, update: bool = False) -> list[str]:
    """Run every example of ``page`` in ``session``; what differs (or, with ``update``, rewrite the page)."""
    problems: list[str] = []
    rewrites: dict[int, dict[int, list[str]]] = {}
    for block in markdown.blocks(page):
        if block.lang != "console" or block.not_run:
            continue
        for index, command in enumerate(block.commands):
            where = f"{block.where} `$ {command.text}`"
            try:
                code, actual = session.run(command, rehearse=block.rehearsed)
            except Unsupported as exc:
                problems.append(f"{where}: {exc}")
                continue
            shown = session.normalize(command.expected)
            if not matches(shown, session.normalize(actual)):
                if update:
                    rewrites.setdefault(block.line, {})[index] = shown_again(command.expected, session.tidy(actual))
                else:
                    diff = difflib.unified_diff(shown, session.normalize(actual), "shown", "actual", lineterm="")
                    problems.append(f"{where}: the output differs\n" + "\n".join(diff))
            following = block.commands[index + 1].text if index + 1 < len(block.commands) else ""
            if code != 0 and following != "echo $?":
                problems.append(f"{where}: exits {code}; show it with `$ echo $?` right after the command")
    if rewrites:
        markdown.rewrite(page, rewrites)
    return problems


@pytest.mark.parametrize(("where", "why"), _not_run())
def test_examples_not_run_are_listed(where: str, why: str) -> None:
    """One skip per example not run, with its reason, so they show up in every test run's summary."""
    pytest.skip(f"{where}: not run by the docs tests: {why}")


def test_every_shell_example_is_run_or_marked() -> None:
    unmarked = [block.where for page in PAGES for block in markdown.blocks(page)
                if markdown.looks_like_a_shell_example(block) and block.lang != "console" and not block.not_run]
    assert not unmarked, (f"shell examples that are neither ```console (run) nor marked "
                          f"'{markdown.NOT_RUN} <why>': {', '.join(unmarked)}")


def test_the_scenario_reference_is_a_scenario_the_emulator_accepts() -> None:
    """docs/emulator.md lists every scenario key: the emulator must accept the page's example as written."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib

    from vertex_claude_setup.emulator import State

    toml_blocks = [b for b in markdown.blocks(ROOT / "docs" / "emulator.md") if b.lang == "toml"]
    assert toml_blocks
    for block in toml_blocks:
        State.from_scenario(tomllib.loads("\n".join(block.body)))  # unknown keys raise with a suggestion
