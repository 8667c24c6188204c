"""On a terminal: colour and a progress line; NO_COLOR and --no-color honoured; piped output plain and stable;
Ctrl-C in apply stops starting changes, says what was applied and what never started, and exits 130."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT, Runner
from terminal_support import CLI, SGR, on_a_terminal, terminal_env


@pytest.fixture
def saved_plan(run: Runner, tmp_path: Path) -> Path:
    path = tmp_path / "plan.json"
    assert run("--emulator", "--project", PROJECT, "plan", "--out", str(path)).code == 0
    return path


def test_a_terminal_gets_colour_and_a_progress_line(tmp_path: Path) -> None:
    code, text = on_a_terminal(["--emulator", "--project", PROJECT, "plan"], tmp_path)
    assert code == 0
    assert "\x1b[32m  + enable service aiplatform.googleapis.com on project demo-project\x1b[0m" in text
    assert "\x1b[33m  ~ Data Access audit logs for aiplatform.googleapis.com" in text
    assert "\x1b[1mPlan: 2 to add, 4 to change, 0 to destroy.\x1b[0m" in text
    assert "Reading the state of project demo-project: 9 of 9 steps" in text
    assert text.index("9 of 9 steps") < text.index("will perform the following actions")  # erased before


@pytest.mark.parametrize("how", ["NO_COLOR", "--no-color before", "--no-color after"])
def test_no_color_and_the_flag_are_honoured(saved_plan: Path, tmp_path: Path, how: str) -> None:
    args = {"NO_COLOR": ["show", str(saved_plan)], "--no-color before": ["--no-color", "show", str(saved_plan)],
            "--no-color after": ["show", str(saved_plan), "--no-color"]}[how]
    code, text = on_a_terminal(args, tmp_path, **({"NO_COLOR": "1"} if how == "NO_COLOR" else {}))
    assert code == 0 and "  + enable service aiplatform.googleapis.com" in text
    assert not SGR.search(text)
    coloured = on_a_terminal(["show", str(saved_plan)], tmp_path)[1]
    assert SGR.search(coloured)  # the same command on the same terminal is coloured otherwise
    assert SGR.sub("", coloured) == text


def test_piped_output_is_plain_and_byte_stable(run: Runner, tmp_path: Path) -> None:
    args = [*CLI, "--emulator", "--project", PROJECT, "plan"]
    piped = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, env=terminal_env(), check=False)
    assert piped.stdout == run("--emulator", "--project", PROJECT, "plan").out  # two runs, the same bytes
    assert "\x1b" not in piped.stdout + piped.stderr
    assert "Reading the state" not in piped.stderr


def test_ctrl_c_in_apply_stops_starting_changes_and_exits_130(run: Runner, tmp_path: Path) -> None:
    # Enabling the API takes 2 s; the dataset and audit-log changes (no dependency on it) finish first.
    scenario = tmp_path / "slow-enable.json"
    scenario.write_text(json.dumps({"faults": [{"method": "POST", "path": "*:enable", "latency_ms": 2000}]}))
    (tmp_path / "vertex-claude.toml").write_text(
        f'project = "{PROJECT}"\nregions = ["us-east5"]\n[smoke_test]\nenabled = false\n', encoding="utf-8")
    proc = subprocess.Popen([*CLI, "--emulator", "--scenario", str(scenario), "apply", "--auto-approve"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                            env=terminal_env(PYTHONUNBUFFERED="1"))
    assert proc.stdout is not None
    seen = []
    independent = {"  ✓ create BigQuery dataset", "  ✓ Data Access audit logs"}  # they need no API
    for line in proc.stdout:  # wait until both have been applied, while the API enable is in flight
        seen.append(line)
        independent = {start for start in independent if not line.startswith(start)}
        if not independent:
            break
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=60)
    out = "".join(seen) + rest
    assert proc.returncode == 130, out + err
    assert "Interrupted: finishing the changes in progress; no new change starts" in err
    assert "  ✓ enable service aiplatform.googleapis.com" in out  # the change in flight finished
    never = [line for line in out.splitlines() if line.startswith("  · not started: ")]
    assert len(never) == 3 and all("enable request-response logging" in line for line in never)
    assert out.rstrip().endswith("3 never started. Re-run apply to resume: it reads the real state again and makes "
                                 "only what is left.")
    assert re.search(r"\nInterrupted: 3 applied, 0 failed, 3 never started\.", out)
    resumed = run("--emulator", "--scenario", str(scenario), "apply", "--auto-approve")
    assert resumed.code == 0, resumed.out + resumed.err
    assert "Apply complete! 3 applied." in resumed.out  # exactly what never started


def test_the_models_table_honours_no_color_too(tmp_path: Path) -> None:
    styled = on_a_terminal(["models", "--family", "opus"], tmp_path)[1]
    plain = on_a_terminal(["models", "--family", "opus", "--no-color"], tmp_path)[1]
    assert SGR.search(styled) and not SGR.search(plain)
    assert SGR.sub("", styled) == plain


def test_ctrl_c_inside_a_python_callback_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    """Ctrl-C that lands in a weakref finalizer (garbage collection) cannot be raised there: Python would print
    "Exception ignored ... KeyboardInterrupt" with a traceback and carry on (seen by the chaos suite)."""
    code = ("import sys, weakref\n"
            "from vertex_claude_setup.cli import main as m\n"
            "class Box: pass\n"
            "box = Box()\n"
            "def finalizer(_ref): raise KeyboardInterrupt\n"
            "ref = weakref.ref(box, finalizer)\n"
            "run = m.cli.main\n"
            "def command(*args, **kwargs):\n"
            "    result = run(*args, **kwargs)\n"
            "    del globals()['box']  # the finalizer runs here, inside the command\n"
            "    return result\n"
            "m.cli.main = command\n"
            "m.main(['models'])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert (done.returncode, done.stderr) == (130, "Interrupted (Ctrl-C arrived after the work had finished).\n")
