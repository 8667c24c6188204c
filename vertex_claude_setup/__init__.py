"""vertex-claude-setup: take a Google Cloud project to "Claude on Vertex AI works, is audited and logged"."""

__version__ = "0.1.0"
