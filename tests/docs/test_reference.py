"""docs/commands.md is generated from the commands (cog) and must say exactly what `--help` says."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from . import reference

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "commands.md"


def _cog(*args: str) -> int:
    from cogapp import Cog

    saved = list(sys.path)
    sys.path.insert(0, str(ROOT / "tests" / "docs"))
    try:
        return int(Cog().main(["cog", *args, str(PAGE)]))
    finally:
        sys.path[:] = saved


def _documented() -> dict[str, str]:
    """Section title -> the help text shown under it."""
    text = PAGE.read_text(encoding="utf-8")
    return {m.group(1): m.group(2) for m in re.finditer(r"^## (`[^`]+`)\n\n```text\n(.*?)\n```$", text, re.M | re.S)}


def test_the_reference_is_what_help_prints(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    if request.config.getoption("--update-examples"):
        assert _cog("-r") == 0
    documented = _documented()
    paths = reference.command_paths()
    assert sorted(documented) == sorted(reference.title(p) for p in paths), "commands missing from or extra in the page"
    for path in paths:
        assert documented[reference.title(path)] == reference.help_text(path).rstrip("\n"), (
            f"docs/commands.md differs from {reference.title(path)} --help: run "
            "`python -m pytest tests/docs --update-examples`")
    assert _cog("--check") == 0  # and the page is what its generator writes now
