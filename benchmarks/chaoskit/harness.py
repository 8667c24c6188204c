"""Real processes: ``vertex-claude-setup emulator serve`` on a free loopback port with a state file, and the tool
itself, each run under a hard cap (killed past it: a hang) and optionally sent a signal at a chosen moment.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TOOL = [sys.executable, "-m", "vertex_claude_setup"]
SIGINT_GRACE_S = 10.0  # an interrupted run must be gone this long after Ctrl-C, or it hangs on the interrupt


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Emulator:
    """``emulator serve`` in its own process; its ``/_emulator/`` admin surface changes faults and reads state."""

    def __init__(self, workdir: Path, scenario: dict[str, Any]) -> None:
        self.workdir = workdir
        scenario_file = workdir / "scenario.json"
        scenario_file.write_text(json.dumps(scenario, indent=1), encoding="utf-8")
        self.log = workdir / "emulator.log"
        port, grpc_port = free_port(), free_port()
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [*TOOL, "emulator", "serve", "--port", str(port), "--grpc-port", str(grpc_port),
                 "--scenario", str(scenario_file), "--state", str(workdir / "state.json")],
                stdout=log, stderr=subprocess.STDOUT, cwd=workdir, env=_clean_env(workdir),
                start_new_session=True)
        self.http, self.grpc = self._wait_listening()

    def _wait_listening(self, timeout_s: float = 60.0) -> tuple[str, str]:
        deadline = time.monotonic() + timeout_s
        pattern = re.compile(r"listening on http://(\S+) \(gRPC (\S+)\)")
        while time.monotonic() < deadline:
            found = pattern.search(self.log.read_text(encoding="utf-8", errors="replace"))
            if found:
                return found.group(1), found.group(2)
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the emulator did not start: {self.log.read_text(errors='replace')[-2000:]}")

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"http://{self.http}/_emulator/{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as resp:
            return json.loads(resp.read())

    def state(self) -> dict[str, Any]:
        return dict(self.call("GET", "state"))

    def calm(self) -> None:
        """No more faults, writers, propagation windows, failing or slow operations: what a re-run on a quiet day
        meets (replacing the ``propagation`` rules closes the windows they opened)."""
        self.call("POST", "faults", {"faults": [], "concurrent_writes": [], "propagation": [], "operation_faults": []})
        self.call("POST", "state", {"defaults": {"operation_polls": 0}})

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@dataclass
class Run:
    """One tool process: what it printed, how it ended."""

    label: str
    args: list[str]
    code: int | None  # None: killed (by us, on purpose or at the cap)
    seconds: float
    output: str
    hung: bool = False  # ran past the cap (or ignored SIGINT past the grace period)
    signalled: str = ""  # the signal we sent on purpose, if it was still running then

    @property
    def claimed_success(self) -> bool:
        """Exit 0, or 3 ("applied, but checks failed"): either way it says the planned changes were made."""
        return self.code in (0, 3)

    def tail(self, lines: int = 25) -> str:
        return "\n".join(self.output.rstrip().splitlines()[-lines:])


def _clean_env(workdir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """No developer setting leaks in: no ADC, no project, no config path; HOME inside the work dir."""
    drop = ("VERTEX_CLAUDE_", "GOOGLE_", "CLOUDSDK_", "ANTHROPIC_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop) and k != "CLOUD_ML_REGION"}
    # Unbuffered: a run killed mid-way still shows what it printed up to then.
    env.update(HOME=str(workdir / "home"), CLOUDSDK_CONFIG=str(workdir / "gcloud"), NO_COLOR="1", COLUMNS="200",
               PYTHONUNBUFFERED="1")
    env.update(extra or {})
    return env


def run_tool(label: str, args: list[str], workdir: Path, emulator: Emulator, *, cap_s: float,
             env: dict[str, str], kill: Any = None) -> Run:
    """Run the tool to its end, or until ``kill`` (a schedules.Kill) strikes, or until ``cap_s`` (a hang)."""
    out_file = workdir / f"{label}.out"
    tool_env = _clean_env(workdir, {"VERTEX_CLAUDE_EMULATOR_HOST": emulator.http,
                                    "VERTEX_CLAUDE_EMULATOR_GRPC_HOST": emulator.grpc, **env})
    start = time.monotonic()
    with out_file.open("wb") as out:
        proc = subprocess.Popen([*TOOL, *args], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=workdir, env=tool_env, start_new_session=True)
        signalled = ""
        hung = False
        try:
            if kill is not None:
                try:
                    proc.wait(timeout=kill.after_s)
                except subprocess.TimeoutExpired:
                    signalled = kill.signal
                    proc.send_signal(getattr(signal, kill.signal))
                    if kill.signal == "SIGINT":
                        try:
                            proc.wait(timeout=SIGINT_GRACE_S)
                        except subprocess.TimeoutExpired:
                            hung = True
            if not hung:
                proc.wait(timeout=max(0.0, cap_s - (time.monotonic() - start)))
        except subprocess.TimeoutExpired:
            hung = True
        if hung:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    seconds = time.monotonic() - start
    code = None if hung or proc.returncode < 0 else proc.returncode
    return Run(label, args, code, seconds, out_file.read_text(encoding="utf-8", errors="replace"), hung, signalled)
