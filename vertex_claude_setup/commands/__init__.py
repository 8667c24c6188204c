"""CLI commands that live in their own modules (registered lazily in ``cli.LAZY_COMMANDS``)."""
