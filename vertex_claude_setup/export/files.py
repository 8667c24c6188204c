"""Writing an export into a folder without clobbering anyone's files.

A file is the export's when its first line is the export's header. Such a file is overwritten, and removed when
the new export no longer has it (the folder then matches the project); any other file of the same name stops
the export before anything is written, and files of other names are never touched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from vertex_claude_setup.errors import SetupError


@dataclass(frozen=True)
class Written:
    directory: Path
    written: list[str]
    removed: list[str]


def _ours(path: Path, header: str) -> bool:
    try:
        with path.open(encoding="utf-8") as handle:
            return handle.readline().startswith(header)
    except (OSError, UnicodeDecodeError):
        return False


def write(files: dict[str, str], directory: Path, header: str, managed: tuple[str, ...]) -> Written:
    """Write ``files`` into ``directory`` (created if missing); remove this export's files it no longer has."""
    if directory.exists() and not directory.is_dir():
        raise SetupError(f"--dir {directory} is a file, not a folder", "pass a folder path (it is created if missing)")
    foreign = [name for name in files if (directory / name).exists() and not _ours(directory / name, header)]
    if foreign:
        raise SetupError(f"{directory / foreign[0]} exists and was not written by vertex-claude-setup",
                         "export into another folder with --dir, or move that file away")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            tmp = directory / f".{name}.tmp"
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, directory / name)
        stale = [name for name in managed if name not in files and _ours(directory / name, header)]
        for name in stale:
            (directory / name).unlink()
    except OSError as exc:
        raise SetupError(f"cannot write the export to {directory}: {exc.strerror}",
                         "pass a writable folder with --dir") from None
    return Written(directory, list(files), stale)
