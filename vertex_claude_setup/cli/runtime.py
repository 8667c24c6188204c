"""Turns global CLI options into a resolved config, a Google access layer and (maybe) an emulator."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vertex_claude_setup.config import Config
    from vertex_claude_setup.emulator import Emulator
    from vertex_claude_setup.engine.model import Context
    from vertex_claude_setup.gcp.ratelimit import RateLimiter
    from vertex_claude_setup.gcp.session import GoogleApis

STATE_FILE = "emulator-state.json"


@dataclass
class Options:
    """Global options shared by every command (flags beat environment beat file)."""

    config_path: Path | None = None
    emulator: bool = False
    scenario: Path | None = None
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass
class Runtime:
    config: Config
    google: GoogleApis
    emulator: Emulator | None

    def context(self) -> Context:
        from vertex_claude_setup.engine.model import Context

        return Context(self.config, self.google)


def load_config(opts: Options) -> Config:
    from vertex_claude_setup import config

    return config.load(opts.config_path, opts.overrides)


def emulator_state_path(cfg: Config) -> Path:
    return cfg.state_dir / STATE_FILE


@contextlib.contextmanager
def open_runtime(opts: Options, cfg: Config | None = None, limiter: RateLimiter | None = None) -> Iterator[Runtime]:
    """Resolve config and endpoints; under ``--emulator`` run the in-process emulator for the command.

    A fleet command passes its shared config (``cfg``) and its rate limiter.
    """
    from vertex_claude_setup.gcp.session import EmulatorTarget, GoogleApis

    cfg = cfg or load_config(opts)
    if not opts.emulator:
        yield Runtime(cfg, GoogleApis(cfg, EmulatorTarget.from_env(), limiter), None)
        return
    from vertex_claude_setup.emulator import Emulator, State
    from vertex_claude_setup.errors import SetupError

    if opts.scenario is not None and not opts.scenario.exists():
        raise SetupError(f"scenario file {opts.scenario} not found",
                         "pass an existing TOML or JSON scenario file")
    state = State.load(emulator_state_path(cfg), opts.scenario)
    emu = Emulator(state)
    url = emu.start()
    try:
        yield Runtime(cfg, GoogleApis(cfg, EmulatorTarget(http=url, grpc=emu.grpc_target), limiter), emu)
    finally:
        emu.stop()
