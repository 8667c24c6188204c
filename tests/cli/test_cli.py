"""CLI conventions: exit codes, usage errors exit 1, every command documented with an example."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from conftest import Runner

from vertex_claude_setup.cli.main import LAZY_COMMANDS, cli


def _all_commands() -> list[tuple[str, click.Command]]:
    out: list[tuple[str, click.Command]] = []
    ctx = click.Context(cli)

    def walk(prefix: str, group: click.Group) -> None:
        for name in group.list_commands(ctx):
            cmd = group.get_command(ctx, name)
            assert cmd is not None, name
            full = f"{prefix} {name}".strip()
            out.append((full, cmd))  # groups too: `api --help` and `emulator --help` show an example
            if isinstance(cmd, click.Group):
                walk(full, cmd)

    walk("", cli)
    return out


@pytest.mark.parametrize(("name", "command"), _all_commands())
def test_every_command_has_help_with_example(name: str, command: click.Command) -> None:
    assert command.help, name
    assert "Example" in command.help, f"{name} help has no example"


def test_usage_error_exits_1_not_2(run: Runner) -> None:
    result = run("plan", "--no-such-flag")
    assert result.code == 1
    assert "No such option '--no-such-flag'" in result.err
    assert run("no-such-command").code == 1


def test_lazy_commands_are_listed_in_help(run: Runner) -> None:
    result = run("--help")
    assert result.code == 0
    for name in ["apply", "plan", "init", "show", "api", "emulator", *LAZY_COMMANDS]:
        assert f"  {name} " in result.out


def test_python_dash_m_and_help_imports_no_google_clients() -> None:
    code = ("import sys; from vertex_claude_setup.cli.main import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            # google-cloud-aiplatform's *-nspkg.pth makes the bare `google.cloud` namespace at interpreter start:
            # only modules inside it are client libraries.
            "heavy = [m for m in sys.modules if m.startswith(('google.cloud.', 'anthropic', 'grpc'))]\n"
            "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("HEAVY []")
    version = subprocess.run([sys.executable, "-m", "vertex_claude_setup", "--version"], capture_output=True,
                             text=True, check=False)
    assert version.returncode == 0 and "version" in version.stdout


def test_console_script_leaves_with_every_line_written_exit_handlers_run_and_the_exit_code() -> None:
    """``run`` (the console script) skips the interpreter's teardown: nothing it owes may be lost for it."""
    code = ("import atexit, sys\n"
            "atexit.register(lambda: sys.stderr.write('exit handler ran\\n'))\n"
            "from vertex_claude_setup.cli.main import run\n"
            "run()\n")
    listing = subprocess.run([sys.executable, "-c", code, "models"], capture_output=True, text=True, check=False)
    assert listing.returncode == 0
    expected = subprocess.run([sys.executable, "-c", "from vertex_claude_setup.cli.main import main; main()", "models"],
                              capture_output=True, text=True, check=False).stdout
    assert len(expected) > 8192 and listing.stdout == expected  # more than one pipe buffer, every byte of it
    assert listing.stderr == "exit handler ran\n"
    failed = subprocess.run([sys.executable, "-c", code, "models", "--no-such-flag"], capture_output=True, text=True,
                            check=False)
    assert failed.returncode == 1
    assert "No such option '--no-such-flag'" in failed.stderr and failed.stderr.endswith("exit handler ran\n")
