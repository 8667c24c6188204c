"""``python -m vertex_claude_setup``."""

from vertex_claude_setup.cli.main import run

run()
