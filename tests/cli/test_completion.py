"""Shell completion as docs/shell-completion.md tells users to enable it, for bash, zsh and fish."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "shell-completion.md"
BIN = str(Path(sys.executable).parent)  # where pip put the vertex-claude-setup script


def _documented(shell: str) -> str:
    """The first line of the page's ```<shell> block."""
    match = re.search(rf"^```{shell}\n(.+)$", PAGE.read_text(encoding="utf-8"), re.M)
    assert match, f"no ```{shell} block in {PAGE.name}"
    return match.group(1)


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **extra}


def test_bash_completion_as_documented_completes_commands_and_subcommands(tmp_path: Path) -> None:
    line = _documented("bash")
    assert line == 'eval "$(_VERTEX_CLAUDE_SETUP_COMPLETE=bash_source vertex-claude-setup)"'
    script = f"""{line}
complete -p vertex-claude-setup
words() {{ COMPREPLY=(); COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _vertex_claude_setup_completion "$1"; }}
words vertex-claude-setup re; echo "${{COMPREPLY[*]}}"
words vertex-claude-setup regions ''; echo "${{COMPREPLY[*]}}"
"""
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=_env(), cwd=tmp_path,
                         check=True, timeout=60).stdout.splitlines()
    assert out[0].endswith("-F _vertex_claude_setup_completion vertex-claude-setup")
    assert out[1] == "regions"
    assert sorted(out[2].split()) == ["audit", "best", "list"]


@pytest.mark.parametrize(("shell", "first_line"), [("zsh", "#compdef vertex-claude-setup"),
                                                   ("fish", "function _vertex_claude_setup_completion;")])
def test_zsh_and_fish_scripts_as_documented(shell: str, first_line: str, tmp_path: Path) -> None:
    line = _documented(shell)
    if shell == "fish":  # written to a file: here, to one in the test's folder
        assert line.endswith("> ~/.config/fish/completions/vertex-claude-setup.fish")
        line = line.replace("~/.config/fish/completions/", f"{tmp_path}/")
    else:
        assert line == f'eval "$(_VERTEX_CLAUDE_SETUP_COMPLETE={shell}_source vertex-claude-setup)"'
        line = line.removeprefix('eval "$(').removesuffix(')"')  # what the eval runs: the script on stdout
    result = subprocess.run(["bash", "-c", line], capture_output=True, text=True, env=_env(), cwd=tmp_path,
                            check=True, timeout=60)
    script = (tmp_path / "vertex-claude-setup.fish").read_text() if shell == "fish" else result.stdout
    assert script.lstrip().splitlines()[0] == first_line
    executable = shutil.which(shell)
    if executable:  # when the shell is installed, it must also accept the script
        check = ["zsh", "-n", "-c", script] if shell == "zsh" else ["fish", "--no-execute", "-c", script]
        subprocess.run(check, check=True, capture_output=True, timeout=60)
