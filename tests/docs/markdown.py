"""The shell examples of a Markdown page: fenced blocks, their commands and the output each one shows.

A ```console block is an example the docs tests run: `$ ` starts a command (a trailing backslash continues
it; `<<'EOF'` takes the lines up to `EOF` as its input), and the lines up to the next `$ ` are its output.
A block of a shell language (bash, sh, shell, zsh, fish) or a ```console block may instead carry the visible
marker `# not run by the docs tests: <why>`: it is then reported as skipped, never silently ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

SHELLS = {"bash", "sh", "shell", "zsh", "fish", "console"}
NOT_RUN = "# not run by the docs tests:"
REHEARSED = "# rehearsed by the docs tests with --emulator"
_HEREDOC = re.compile(r"<<\s*'?(\w+)'?")


@dataclass
class Command:
    text: str  # the command line (continuations joined), without the prompt
    source: list[str]  # the lines as written, prompt included (kept verbatim when the page is rewritten)
    stdin: str | None  # the here-document, if any
    expected: list[str]  # the output the page shows
    gap: int = 0  # blank lines after the output, before the next command (kept when the page is rewritten)


@dataclass
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    lang: str
    preamble: list[str] = field(default_factory=list)  # comment lines before the first command
    commands: list[Command] = field(default_factory=list)
    body: list[str] = field(default_factory=list)  # every line inside the fences (without the fence's indent)
    indent: str = ""

    @property
    def not_run(self) -> str:
        """Why the block is not run ("" when it is)."""
        for line in self.body:
            if line.strip().startswith(NOT_RUN):
                return line.strip()[len(NOT_RUN):].strip()
        return ""

    @property
    def rehearsed(self) -> bool:
        return any(line.strip().startswith(REHEARSED) for line in self.preamble)

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line}"


def blocks(path: Path) -> list[Block]:
    """Every fenced block of the page, in order (commands parsed for ```console blocks)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    out: list[Block] = []
    i = 0
    while i < len(lines):
        fence = re.match(r"^( *)```(\S*)", lines[i])  # indented too: a block inside a list item
        if not fence:
            i += 1
            continue
        indent = fence.group(1)
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip().startswith("```")), len(lines))
        body = [line.removeprefix(indent) for line in lines[i + 1:end]]
        block = Block(path, i + 1, fence.group(2).lower(), body=body, indent=indent)
        if block.lang == "console":
            _parse_console(block)
        out.append(block)
        i = end + 1
    return out


def looks_like_a_shell_example(block: Block) -> bool:
    return block.lang in SHELLS or any(line.startswith("$ vertex-claude-setup") for line in block.body)


def _parse_console(block: Block) -> None:
    body = block.body
    i = 0
    while i < len(body) and not body[i].startswith("$ "):
        block.preamble.append(body[i])
        i += 1
    while i < len(body):
        source = [body[i]]
        text = body[i][2:]
        while text.endswith("\\") and i + 1 < len(body):
            i += 1
            source.append(body[i])
            text = text[:-1].rstrip() + " " + body[i].strip()
        i += 1
        stdin = None
        heredoc = _HEREDOC.search(text)
        if heredoc:
            end = next((j for j in range(i, len(body)) if body[j] == heredoc.group(1)), len(body))
            stdin = "\n".join(body[i:end]) + "\n"
            source += body[i:end + 1]
            i = end + 1
        expected = []
        while i < len(body) and not body[i].startswith("$ "):
            expected.append(body[i])
            i += 1
        gap = 0
        while expected and not expected[-1].strip():
            expected.pop()
            gap += 1
        block.commands.append(Command(text.strip(), source, stdin, expected, gap))


def rewrite(path: Path, outputs: dict[int, dict[int, list[str]]]) -> None:
    """Write new outputs into the page: ``{block line: {command index: output lines}}``."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    for block in reversed(blocks(path)):
        new = outputs.get(block.line)
        if not new:
            continue
        body = list(block.preamble)
        for index, command in enumerate(block.commands):
            body += command.source
            body += new.get(index, command.expected)
            body += [""] * command.gap
        start = block.line  # index of the first line inside the fences
        lines[start:start + len(block.body)] = [block.indent + line if line else line for line in body]
    path.write_text("\n".join(lines), encoding="utf-8")
