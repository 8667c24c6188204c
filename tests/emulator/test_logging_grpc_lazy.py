"""The gRPC Logging fake starts without the Logging client package (every ``--emulator`` command starts it)."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
from vertex_claude_setup.emulator import Emulator
emulator = Emulator()
emulator.start()
try:
    print("AT START", any(m.startswith("google.cloud.logging_v2") for m in sys.modules))
    from google.cloud.logging_v2.services.config_service_v2 import ConfigServiceV2Client
    import grpc
    from google.cloud.logging_v2.services.config_service_v2.transports import ConfigServiceV2GrpcTransport
    channel = grpc.insecure_channel(emulator.grpc_target)
    client = ConfigServiceV2Client(transport=ConfigServiceV2GrpcTransport(channel=channel))
    buckets = list(client.list_buckets(parent="projects/demo-project/locations/-"))
    print("BUCKETS", sorted(b.name.rsplit("/", 1)[-1] for b in buckets))
finally:
    emulator.stop()
"""


def test_the_logging_fake_imports_the_logging_types_at_its_first_call_not_at_start() -> None:
    done = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "AT START False" in done.stdout
    assert "BUCKETS ['_Default', '_Required']" in done.stdout
