"""Starter files from the top-level templates/ folder (shipped inside the package)."""

from __future__ import annotations

from importlib import resources


def read_template(name: str) -> str:
    """The text of ``templates/<name>``."""
    return resources.files("vertex_claude_setup.templates").joinpath(name).read_text(encoding="utf-8")


def starter_config(project: str) -> str:
    """``vertex-claude.toml`` for ``project``: every key present and commented."""
    from vertex_claude_setup import catalog

    models = ",\n".join(f'  "{m}"' for m in catalog.recommended_models())
    return read_template("vertex-claude.toml").replace("{project}", project).replace("{models}", models)
