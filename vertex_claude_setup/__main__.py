"""``python -m vertex_claude_setup``."""

from .cli import main

main()
