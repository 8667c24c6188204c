"""One root error for everything the user can fix; each carries a one-line hint.

The CLI prints ``Error: <message>`` and, when present, ``  fix: <hint>`` and exits 1 —
never a traceback for a condition we understand.
"""

from __future__ import annotations


class SetupError(Exception):
    """A failure the user can act on: a message naming the thing, and the fix."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        """The message and the fix on one line, as the CLI prints them."""
        return f"{self.message} — fix: {self.hint}" if self.hint else self.message


class ConfigError(SetupError):
    """The config file, an environment variable or a flag holds a bad value."""


class PlanFileError(SetupError):
    """A saved plan is unreadable, stale or tampered with."""


class GoogleApiError(SetupError):
    """A Google API answered with an error we translated for the user.

    ``reason`` is the ErrorInfo reason (``SERVICE_DISABLED``…) or the status name.
    """

    def __init__(
        self,
        message: str,
        hint: str = "",
        *,
        status: str = "",
        reason: str = "",
        http_code: int = 0,
        permission: str = "",
    ) -> None:
        super().__init__(message, hint)
        self.status = status
        self.reason = reason
        self.http_code = http_code
        self.permission = permission
