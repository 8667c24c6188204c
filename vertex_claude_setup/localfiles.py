"""Files the tool writes for itself: owner-only (0600) in an owner-only state folder (0700), atomically.

Saved plans record IAM policies and logging configs; the audit cache and the emulator state describe a
project: none of it is for other local users. A write goes to a fresh temporary file created 0600 beside
the target and is renamed over it, so a crash never leaves half a file and concurrent writers never share
a temporary file. Every failure a user can cause (the state folder is a file, no permission) is one
``SetupError`` naming the path.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from .errors import SetupError

FILE_MODE = 0o600
DIR_MODE = 0o700


class LocalFileError(SetupError):
    """A local file or folder cannot be written; ``reason`` is the bare cause (``No such file or directory``)."""

    def __init__(self, message: str, hint: str, reason: str) -> None:
        super().__init__(message, hint)
        self.reason = reason


def private_dir(folder: Path) -> Path:
    """Create ``folder`` (and missing parents) as 0700, or tighten an existing one to 0700."""
    try:
        folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise _not_a_folder(folder) from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise LocalFileError(f"cannot create the folder {folder}: {reason}",
                             "check its permissions, or point --config at a config in a writable folder",
                             reason) from None
    if not folder.is_dir():
        raise _not_a_folder(folder)
    with contextlib.suppress(OSError):  # not ours to change (another owner): still usable, just not tightened
        if stat.S_IMODE(folder.stat().st_mode) != DIR_MODE:
            folder.chmod(DIR_MODE)
    return folder


def write_private(path: Path, text: str, *, create_folder: bool = False) -> None:
    """Write ``text`` to ``path`` atomically as a 0600 file.

    ``create_folder``: a missing folder is created 0700 (an existing one is left as it is: it may be the
    user's, like ``/tmp``; only ``private_dir`` tightens, and only the tool's own state folder).
    """
    folder = path.parent
    if create_folder and not folder.is_dir():
        private_dir(folder)
    try:
        handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except (FileNotFoundError, NotADirectoryError) as exc:
        if folder.exists():
            raise _not_a_folder(folder) from None
        raise _cannot_write(path, exc, "create its folder first") from None
    except OSError as exc:
        raise _cannot_write(path, exc, "check the folder's permissions") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            if hasattr(os, "fchmod"):  # mkstemp makes 0600 already; explicit against any platform quirk
                os.fchmod(out.fileno(), FILE_MODE)
            out.write(text)
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise _cannot_write(path, exc, "check that it is not a folder and that you may write there") from None


def _cannot_write(path: Path, exc: OSError, hint: str) -> LocalFileError:
    reason = exc.strerror or str(exc)
    return LocalFileError(f"cannot write {path}: {reason}", hint, reason)


def _not_a_folder(folder: Path) -> LocalFileError:
    return LocalFileError(f"{folder} is a file, not a folder: vertex-claude-setup keeps its state there",
                          f"move or delete the file {folder}", "Not a directory")
