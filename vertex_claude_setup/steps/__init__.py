"""The steps of ``plan``/``apply``, one module per concern, in dependency order."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import Config
    from ..engine import Step


def all_steps(config: Config) -> list[Step]:
    """Every step the config asks for (later steps: availability, logging, smoke test)."""
    from .api import ApiStep
    from .availability import AvailabilityStep
    from .project import ProjectStep

    return [ProjectStep(), ApiStep(), AvailabilityStep()]
