"""``emulator serve|reset``: the built-in fake Google, standalone or its saved ``--emulator`` state."""

from __future__ import annotations

import os
from pathlib import Path

import click

from .common import options


@click.group()
def emulator() -> None:
    """Run the built-in fake Google APIs, or reset their saved state.

    \b
    Example:
      vertex-claude-setup emulator serve --port 8089
      vertex-claude-setup emulator reset
    """


@emulator.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8089, show_default=True, type=click.IntRange(1, 65534),
              help="HTTP port (every REST API).")
@click.option("--grpc-port", default=None, type=click.IntRange(1, 65535),
              help="gRPC port for Cloud Logging (default: port + 1).")
@click.option("--scenario", "serve_scenario", type=click.Path(path_type=Path, exists=True), default=None,
              help="Scenario file (TOML/JSON).")
@click.option("--state", "state_file", type=click.Path(path_type=Path), default=None,
              help="Persist state to this file.")
def emulator_serve(host: str, port: int, grpc_port: int | None, serve_scenario: Path | None,
                   state_file: Path | None) -> None:
    """Serve the emulator until interrupted; point tools at it with VERTEX_CLAUDE_EMULATOR_HOST.

    \b
    Example:
      vertex-claude-setup emulator serve --port 8089 --scenario scenario.toml
      VERTEX_CLAUDE_EMULATOR_HOST=127.0.0.1:8089 vertex-claude-setup plan --project demo-project
    """
    import threading

    from vertex_claude_setup.emulator import Emulator, State

    if state_file is not None:
        state = State.load(state_file, serve_scenario)
    else:
        state = State.from_scenario(serve_scenario) if serve_scenario else State()
    emu = Emulator(state)
    try:
        url = emu.start(host, port, grpc_port)
    except OSError as exc:
        from vertex_claude_setup.errors import SetupError

        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise SetupError(f"cannot listen on {host}:{port}: {reason}",
                         "pick a free port with --port (and --grpc-port), or stop what uses it") from None
    # A long-running server: set the startup heap (discovery documents, modules) aside from the
    # collector, or every few thousand requests a full collection stalls all calls in flight.
    import gc

    gc.freeze()
    click.echo(f"Emulator listening on {url} (gRPC {emu.grpc_target})")
    click.echo(f"  export VERTEX_CLAUDE_EMULATOR_HOST={url.removeprefix('http://')}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()


@emulator.command("reset")
@click.pass_context
def emulator_reset(ctx: click.Context) -> None:
    """Forget the --emulator state beside the config, so the next run starts fresh.

    \b
    Example:
      vertex-claude-setup emulator reset
    """
    from .runtime import emulator_state_path, load_config

    path = emulator_state_path(load_config(options(ctx)))
    if path.exists():
        path.unlink()
        click.echo(f"Removed {path}.")
    else:
        click.echo(f"No emulator state at {path}.")
