"""The emulator: a stateful, faithful fake of every Google endpoint the tool calls (in-process or ``emulator serve``).

Independent of the tool: imports only ``catalog`` and ``errors``, never ``gcp`` or ``cli`` (they must not shape it).
"""

from .server import Emulator
from .state import State

__all__ = ["Emulator", "State"]
