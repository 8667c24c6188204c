"""The emulator: a stateful, faithful fake of every Google REST endpoint the tool calls.

Run in-process (tests, ``--emulator``) or standalone (``vertex-claude-setup emulator serve``).
"""

from .server import Emulator
from .state import State

__all__ = ["Emulator", "State"]
