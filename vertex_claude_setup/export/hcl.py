"""HCL literals and the layout ``terraform fmt`` gives a file, so the export needs no Terraform binary.

``fmt`` ports the two whitespace passes of ``hclwrite`` (hashicorp/hcl, ``hclwrite/format.go``) that decide a
file's layout: indentation is two spaces per bracket level still open at the start of a line, and the ``=`` of
consecutive lines that assign a one-line value are aligned one space after the longest name (a blank line, a
comment line, a block line or a line that opens a multi-line value ends the group); trailing comments of
consecutive lines are aligned the same way. Spacing *inside* a line is left as written: the export writes it
canonically. Heredocs and ``/* */`` comments are refused (the export writes neither).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
OPENERS, CLOSERS = "{[(", "}])"


def string(value: str) -> str:
    """A quoted HCL string: quotes, backslashes, control characters and template sequences escaped."""
    out = value.replace("\\", "\\\\").replace('"', '\\"')
    out = out.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    out = out.replace("${", "$${").replace("%{", "%%{")
    return f'"{out}"'


def literal(value: object) -> str:
    """One value as an HCL expression; dicts become multi-line objects (``fmt`` indents them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"HCL has no literal for {value!r}")
        return repr(value)
    if isinstance(value, str):
        return string(value)
    if isinstance(value, Mapping):
        lines = [f"{key if KEY_RE.match(key) else string(key)} = {literal(item)}"
                 for key, item in value.items()]
        return "{\n" + "\n".join(lines) + "\n}" if lines else "{}"
    if isinstance(value, Sequence):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    raise TypeError(f"no HCL literal for {type(value).__name__}")


def attribute(name: str, value: object) -> str:
    return f"{name} = {literal(value)}"


def block(kind: str, labels: Sequence[str], body: Sequence[str]) -> str:
    """``kind "label" ... {`` + body lines + ``}``; indentation is left to ``fmt``."""
    head = " ".join([kind, *(string(label) for label in labels)])
    return "\n".join([f"{head} {{", *body, "}"])


# ---------------------------------------------------------------------------------------------
# fmt: indentation and alignment, as hclwrite computes them.


@dataclass
class _Line:
    lead: str  # code before the assignment (or the whole code), stripped
    assign: str  # "= value" when the line assigns a one-line value, else ""
    comment: str  # a trailing comment after code, else ""
    brackets: int  # net brackets opened by the line (comments excluded)


def _scan_string(text: str, start: int) -> int:
    """Index just past the string that opens at ``text[start] == '"'`` (template sequences nested)."""
    i, depth = start + 1, 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if depth == 0 and char == '"':
            return i + 1
        if text.startswith(("${", "%{"), i) and not text.startswith(("$${", "%%{"), i - 1 if i else 0):
            depth += 1
            i += 2
            continue
        if depth and char == '"':  # a string inside an interpolation
            i = _scan_string(text, i)
            continue
        if depth and char == "}":
            depth -= 1
        i += 1
    raise ValueError(f"unterminated string: {text}")


def _split(code: str) -> _Line:
    """Find the trailing comment, the assignment cell and the bracket balance of one line of code."""
    i, tokens = 0, []  # (index, kind) of '=' and brackets outside strings
    comment_at = -1
    while i < len(code):
        char = code[i]
        if char == '"':
            i = _scan_string(code, i)
            continue
        if char == "#" or code.startswith("//", i):
            comment_at = i
            break
        if code.startswith("/*", i) or re.match(r"<<-?[A-Za-z_]", code[i:]):
            raise ValueError(f"heredocs and block comments are not supported: {code}")
        if char in OPENERS or char in CLOSERS:
            tokens.append((i, char))
        elif char == "=" and code[i + 1:i + 2] not in ("=", ">") and (i == 0 or code[i - 1] not in "=!<>"):
            tokens.append((i, "="))
        i += 1
    body = code if comment_at < 0 else code[:comment_at]
    comment = "" if comment_at < 0 else code[comment_at:].rstrip()
    if not body.strip():  # a comment-only line is all lead (hclwrite: no comment cell on a one-token line)
        return _Line(lead=comment, assign="", comment="", brackets=0)
    balance = sum(1 if k in OPENERS else -1 for _, k in tokens if k != "=")
    equals = next((idx for idx, (pos, k) in enumerate(tokens) if k == "=" and body[:pos].strip()), None)
    lead, assign = body.strip(), ""
    if equals is not None:
        pos = tokens[equals][0]
        rest = sum(1 if k in OPENERS else -1 for _, k in tokens[equals:] if k != "=")
        if rest == 0:
            lead, assign = body[:pos].strip(), body[pos:].strip()
    return _Line(lead=lead, assign=assign, comment=comment, brackets=balance)


def fmt(text: str) -> str:
    """``text`` laid out as ``terraform fmt`` lays it out (indentation and alignment)."""
    lines = [_split(line) if line.strip() else None for line in text.split("\n")]
    leads = [" " * indent + line.lead if line else "" for line, indent in zip(lines, _indents(lines), strict=True)]
    assigns = [line.assign if line else "" for line in lines]
    pads = _align([len(lead) if assign else None for lead, assign in zip(leads, assigns, strict=True)])
    cells = [lead + (" " * pad + assign if assign else "")
             for lead, assign, pad in zip(leads, assigns, pads, strict=True)]
    comments = [line.comment if line else "" for line in lines]
    pads = _align([len(cell) if comment else None for cell, comment in zip(cells, comments, strict=True)])
    return "\n".join(cell + (" " * pad + comment if comment else "")
                     for cell, comment, pad in zip(cells, comments, pads, strict=True))


def _indents(lines: list[_Line | None]) -> list[int]:
    """Two spaces per open bracket level; a line that closes brackets is indented at the level it returns to."""
    stack: list[int] = []  # brackets opened by each line that opened some
    out: list[int] = []
    for line in lines:
        if line is None:
            out.append(0)
        elif line.brackets > 0:
            out.append(2 * len(stack))
            stack.append(line.brackets)
        else:
            closed = -line.brackets
            while closed > 0 and stack:
                if closed >= stack[-1]:
                    closed -= stack.pop()
                else:
                    stack[-1] -= closed
                    closed = 0
            out.append(2 * len(stack))
    return out


def _align(columns: list[int | None]) -> list[int]:
    """Spaces before each cell: one past the widest line of its chain of consecutive lines (None ends a chain)."""
    pads = [1] * len(columns)
    start = 0
    while start < len(columns):
        if columns[start] is None:
            start += 1
            continue
        end = start
        while end < len(columns) and columns[end] is not None:
            end += 1
        widest = max(c for c in columns[start:end] if c is not None)
        for i in range(start, end):
            pads[i] = widest - (columns[i] or 0) + 1
        start = end
    return pads
