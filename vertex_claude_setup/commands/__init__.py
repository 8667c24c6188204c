"""CLI commands that live in their own modules (imported lazily by ``cli.LAZY_COMMANDS``)."""
