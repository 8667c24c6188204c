"""Starter files shipped with the package (see vertex_claude_setup.cli.templating)."""
