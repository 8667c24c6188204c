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
    from vertex_claude_setup.gcp.session import GoogleApis

STATE_FILE = "emulator-state.json"


@dataclass
class Options:
    """Global options shared by every command (flags beat environment beat file)."""

    config_path: Path | None = None
    emulator: bool = False
    scenario: Path | None = None
    no_color: bool = False
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass
class Runtime:
    config: Config
    google: GoogleApis
    emulator: Emulator | None
    # What Google calls go to: "google", "emulator" (--emulator) or "emulator HOST:PORT" (a saved plan keeps it).
    target: str = "google"

    def context(self) -> Context:
        from vertex_claude_setup.engine.model import Context

        return Context(self.config, self.google)


def load_config(opts: Options) -> Config:
    from vertex_claude_setup import config

    return config.load(opts.config_path, opts.overrides)


def emulator_state_path(cfg: Config) -> Path:
    return cfg.state_dir / STATE_FILE


@contextlib.contextmanager
def open_runtime(opts: Options) -> Iterator[Runtime]:
    """Resolve config and endpoints; under ``--emulator`` run the in-process emulator for the command."""
    from vertex_claude_setup.gcp.retry import RetryPolicy
    from vertex_claude_setup.gcp.session import EmulatorTarget, GoogleApis

    cfg = load_config(opts)
    RetryPolicy.from_env()  # a bad VERTEX_CLAUDE_RETRY_* setting is an error before any call, not in the middle
    if not opts.emulator:
        external = EmulatorTarget.from_env()
        target = f"emulator {external.http.removeprefix('http://')}" if external else "google"
        yield Runtime(cfg, GoogleApis(cfg, external), None, target)
        return
    from vertex_claude_setup import localfiles
    from vertex_claude_setup.emulator import Emulator, State
    from vertex_claude_setup.errors import SetupError

    if opts.scenario is not None and not opts.scenario.exists():
        raise SetupError(f"scenario file {opts.scenario} not found",
                         "pass an existing TOML or JSON scenario file")
    localfiles.private_dir(cfg.state_dir)  # the state is saved there: a file in its place fails now, not mid-run
    state = State.load(emulator_state_path(cfg), opts.scenario)
    emu = Emulator(state)
    url = emu.start()
    try:
        yield Runtime(cfg, GoogleApis(cfg, EmulatorTarget(http=url, grpc=emu.grpc_target)), emu, "emulator")
    finally:
        emu.stop()
