"""A fleet run on a terminal gets what the single commands get from cli/terminal.py: the progress line (erased
when done, cut to the width, none with TERM=dumb) and a coloured status column, never with NO_COLOR or
--no-color; piped, the report is plain."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from terminal_support import CLI, SGR, on_a_terminal, terminal_env

from .conftest import ORG

SCENARIO = """\
[organization]
seed = 7
projects = 6
folders = [2]
[organization.mix]
api_off = 0.34
"""
PROGRESS = re.compile(r"doctor: \d/6 projects · ETA")


def _doctor(tmp_path: Path, *extra: str, **env: str) -> tuple[int, str]:
    (tmp_path / "scenario.toml").write_text(SCENARIO, encoding="utf-8")
    return on_a_terminal(["--emulator", "--scenario", "scenario.toml", "fleet", "doctor", "--organization", ORG,
                          "--max-qps", "500", *extra], tmp_path, **env)


def test_a_terminal_gets_the_progress_line_and_a_coloured_status_column(tmp_path: Path) -> None:
    code, text = _doctor(tmp_path)
    assert code == 3, text
    assert "doctor: 6/6 projects · ETA 00:00" in text
    assert "\r\x1b[2K" in text  # the line is redrawn in place and erased before the report
    assert text.index("6/6 projects") < text.index("Fleet doctor: 6 projects")
    rows = [line for line in text.splitlines() if line.startswith("fleet-000")]
    assert len(rows) == 6
    assert any("  \x1b[32mok\x1b[0m  " in line for line in rows)
    assert any("  \x1b[33mfindings\x1b[0m  " in line for line in rows)
    assert "Exit 3: findings in" in text and "\x1b[33mfindings in" not in text  # only the table's status column


@pytest.mark.parametrize("how", ["NO_COLOR", "--no-color"])
def test_no_color_and_the_flag_leave_the_table_plain(tmp_path: Path, how: str) -> None:
    code, text = _doctor(tmp_path, *(["--no-color"] if how == "--no-color" else []),
                         **({"NO_COLOR": "1"} if how == "NO_COLOR" else {}))
    assert code == 3 and "Fleet doctor: 6 projects" in text
    assert not SGR.search(text)
    assert PROGRESS.search(text)  # the progress line stays (plain)


def test_a_dumb_terminal_gets_no_progress_line(tmp_path: Path) -> None:
    code, text = _doctor(tmp_path, TERM="dumb")
    assert code == 3 and "Fleet doctor: 6 projects" in text
    assert not PROGRESS.search(text) and "\x1b[2K" not in text


def test_the_progress_line_is_cut_to_the_terminal_width(tmp_path: Path) -> None:
    code, text = _doctor(tmp_path, COLUMNS="20")
    assert code == 3
    drawn = [SGR.sub("", part) for part in text.split("\r\x1b[2K") if part.startswith(("doctor:", "\x1b[2mdoctor:"))]
    assert drawn and all(len(line.split("\n")[0].split("\r")[0]) <= 19 for line in drawn)
    assert "doctor: 6/6 project" in text and "doctor: 6/6 projects · ETA" not in text


def test_piped_the_report_is_plain_and_there_is_no_progress_line(tmp_path: Path) -> None:
    (tmp_path / "scenario.toml").write_text(SCENARIO, encoding="utf-8")
    piped = subprocess.run([*CLI, "--emulator", "--scenario", "scenario.toml", "fleet", "doctor", "--organization",
                            ORG, "--max-qps", "500"], capture_output=True, text=True, cwd=tmp_path,
                           env=terminal_env(), check=False)
    assert piped.returncode == 3 and "fleet-0001" in piped.stdout
    assert "\x1b" not in piped.stdout + piped.stderr and "projects · ETA" not in piped.stderr


def test_walking_an_organization_shows_its_progress_then_erases_it(tmp_path: Path) -> None:
    code, text = _doctor(tmp_path)
    assert code == 3, text
    walked = re.findall(r"walking: (\d+) folders and organizations read, (\d+) projects found", text)
    assert walked and walked[-1] == ("3", "6")  # the organization and its 2 folders; 6 projects
    assert [int(n) for n, _ in walked] == sorted(int(n) for n, _ in walked)  # counts only go up
    assert text.index("walking:") < text.index("doctor: 1/6 projects")  # erased before the projects run
