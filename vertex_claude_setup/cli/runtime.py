"""Turns global CLI options into a resolved config, a Google access layer and (maybe) an emulator."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

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

    @property
    def live_ids(self) -> set[str] | None:
        """Model Garden's list of Claude ids when it was read (``models --live``), for "did you mean"."""
        from vertex_claude_setup.catalog import live

        found = live.load(self.config.state_dir, live.EMULATOR if self.google.emulator is not None else live.GOOGLE)
        return found.ids() if found is not None else None


def live_scope(opts: Options) -> str:
    """``emulator`` under ``--emulator`` or ``VERTEX_CLAUDE_EMULATOR_HOST``, else ``google``."""
    from vertex_claude_setup.catalog import live
    from vertex_claude_setup.gcp.session import EmulatorTarget

    return live.EMULATOR if opts.emulator or EmulatorTarget.from_env() is not None else live.GOOGLE


def live_ids(opts: Options) -> set[str] | None:
    """Model Garden's list from the cache beside the config, before a runtime is opened (flag checks)."""
    from vertex_claude_setup import config
    from vertex_claude_setup.catalog import live

    path, named = config.config_file(opts.config_path)
    found = live.load(config.state_dir_for(str(path) if named or path.exists() else ""), live_scope(opts))
    return found.ids() if found is not None else None


def load_config(opts: Options, *, check_models: bool = True) -> Config:
    from vertex_claude_setup import config

    return config.load(opts.config_path, opts.overrides, live_scope=live_scope(opts), check_models=check_models)


# How a command uses Model Garden's list: "" reads the cache only; "stale" also reads Model Garden again when
# the cache exists and has expired (plan, apply, regions audit); "refresh" when it exists at all (--refresh).
LiveCatalog = Literal["", "stale", "refresh"]


def _refresh_live(google: GoogleApis, cfg: Config, *, refresh: bool) -> None:
    """Bring an existing Model Garden cache up to date; a failure leaves the old list and says so."""
    import click

    from vertex_claude_setup.catalog import live

    cached = live.load(cfg.state_dir, live.EMULATOR if google.emulator is not None else live.GOOGLE)
    if cached is None or (cached.fresh() and not refresh):
        return  # nothing to bring up to date: the Model Garden module and its client stay unimported
    from vertex_claude_setup.errors import SetupError
    from vertex_claude_setup.gcp.model_garden import live_catalog

    try:
        live_catalog(google, cfg.state_dir, refresh=refresh)
    except SetupError as exc:
        click.echo(f"Warning: Model Garden's list of Claude models was not read again: {exc.message}; model ids "
                   "are checked against the cached list", err=True)


def emulator_state_path(cfg: Config) -> Path:
    return cfg.state_dir / STATE_FILE


@contextlib.contextmanager
def open_runtime(opts: Options, cfg: Config | None = None, limiter: RateLimiter | None = None, *,
                 live: LiveCatalog = "", check_models: bool = True) -> Iterator[Runtime]:
    """Resolve config and endpoints; under ``--emulator`` run the in-process emulator for the command.

    With ``live``, an expired Model Garden list is read again before the config's model ids are checked;
    ``check_models=False`` skips that check (``models --live``, which reads the list those ids are checked against).
    A fleet command passes its shared config (``cfg``) and its rate limiter.
    """
    from vertex_claude_setup.gcp.session import EmulatorTarget, GoogleApis

    cfg = cfg or load_config(opts, check_models=check_models and not live)
    if not opts.emulator:
        external = EmulatorTarget.from_env()
        target = f"emulator {external.http.removeprefix('http://')}" if external else "google"
        google = GoogleApis(cfg, external, limiter)
        if live:
            _refresh_live(google, cfg, refresh=live == "refresh")
            cfg = load_config(opts, check_models=check_models)
        yield Runtime(cfg, google, None, target)
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
        google = GoogleApis(cfg, EmulatorTarget(http=url, grpc=emu.grpc_target), limiter)
        if live:
            _refresh_live(google, cfg, refresh=live == "refresh")
            cfg = load_config(opts, check_models=check_models)
        yield Runtime(cfg, google, emu, "emulator")
    finally:
        emu.stop()
