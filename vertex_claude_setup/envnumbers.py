"""Numeric settings (seconds) read from the environment beside the config keys: bounded, finite, named.

``config.load`` checks every one, so junk fails before any call instead of deep inside one.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

from vertex_claude_setup.errors import ConfigError

ENV_NUMBERS: dict[str, tuple[float, float, str]] = {  # name -> (minimum, maximum, example)
    "VERTEX_CLAUDE_RETRY_DEADLINE": (0.1, 3600.0, "60"),  # > 0: no operation ends before its first attempt
    "VERTEX_CLAUDE_RETRY_INITIAL": (0.001, 60.0, "0.5"),
    "VERTEX_CLAUDE_AUDIT_CACHE_TTL": (0.0, 30 * 86400.0, "900"),
    "VERTEX_CLAUDE_PROPAGATION_DEADLINE": (0.0, 86400.0, "180"),  # how long an API this run enabled may take
}


def env_number(name: str, default: float, environ: Mapping[str, str] | None = None) -> float:
    """A number of seconds from the environment (``ENV_NUMBERS`` gives its range), or ``default`` when unset.

    ``nan``, ``inf``, words and out-of-range values are a one-line error naming the variable.
    """
    environ = os.environ if environ is None else environ
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    low, high, example = ENV_NUMBERS[name]
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and low <= value <= high):
        raise ConfigError(f"environment {name}: {_shown(raw)} is not a number of seconds from {low:g} to {high:g}",
                          f"set it like {name}={example}, or unset it")
    return value


def _shown(raw: str) -> str:
    text = repr(raw)
    return text if len(text) <= 80 else text[:77] + "..."
