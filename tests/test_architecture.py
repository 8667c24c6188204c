"""ARCHITECTURE.md stays the map: every folder it names exists, every package folder is on it, no module sprawls."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "vertex_claude_setup"
MAX_LINES = 400


def _named_folders() -> set[str]:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    return set(re.findall(r"`([a-z_]+(?:/[a-z_]+)*)/`", text))


def _package_folders() -> set[str]:
    return {str(p.parent.relative_to(PACKAGE)) for p in PACKAGE.rglob("__init__.py") if p.parent != PACKAGE}


def test_every_folder_the_map_names_exists() -> None:
    named = _named_folders()
    assert named, "ARCHITECTURE.md names no folder"
    missing = [f for f in sorted(named) if not (PACKAGE / f).is_dir() and not (ROOT / f).is_dir()]
    assert missing == []


def test_every_package_folder_is_on_the_map() -> None:
    assert sorted(_package_folders() - _named_folders()) == []


def test_every_package_folder_says_what_lives_there() -> None:
    for init in PACKAGE.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc, f"{init.relative_to(ROOT)} has no docstring"


def test_no_module_sprawls() -> None:
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_package_root_holds_only_entry_points_and_cross_cutting_modules() -> None:
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert modules == ["__init__.py", "__main__.py", "config.py", "envnumbers.py", "errors.py", "localfiles.py",
                       "urls.py"]
