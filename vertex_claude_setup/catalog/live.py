"""Model Garden's live list of Claude models: a cache beside the audit cache, merged with the bundled catalog.

The bundled catalog is a hand-kept file; new Claude models ship every few weeks. ``models --live`` reads
Model Garden's Anthropic publisher models (``gcp/model_garden.py``) and stores them here
(``.vertex-claude/model-garden-cache.json``, mode 0600, 24 h); ``plan``, ``apply`` and ``regions audit``
refresh a cache that exists and has expired. Config validation and every "did you mean" read it when it
exists: a model Model Garden lists is a known model. Entries are kept per target (``google`` or
``emulator``), so the emulator's list never answers for Google.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import ModelInfo, models

CACHE_FILE = "model-garden-cache.json"
SCHEMA_VERSION = 1
TTL_S = 24 * 3600
GOOGLE, EMULATOR = "google", "emulator"


@dataclass(frozen=True)
class LiveModel:
    """One publisher model version Model Garden lists: the Vertex id and what Google says of it."""

    id: str
    model: str
    version_id: str
    launch_stage: str = ""
    version_state: str = ""

    def lifecycle(self) -> str:
        """``GA, stable`` / ``PUBLIC_PREVIEW, unstable`` …, for tables."""
        state = self.version_state.removeprefix("VERSION_STATE_").lower()
        return ", ".join(part for part in (self.launch_stage, state) if part) or "listed"


@dataclass(frozen=True)
class LiveCatalog:
    """What Model Garden listed, and when it was read."""

    read_at: float
    models: tuple[LiveModel, ...]

    def fresh(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) - self.read_at < TTL_S

    def ids(self) -> set[str]:
        return {m.id for m in self.models}


def cache_path(state_dir: Path) -> Path:
    return state_dir / CACHE_FILE


def load(state_dir: Path, scope: str) -> LiveCatalog | None:
    """The cached list for ``scope``, at any age (``fresh`` says whether it is current); None when absent."""
    try:
        data = json.loads(cache_path(state_dir).read_text(encoding="utf-8"))
        entry = data["scopes"][scope] if data.get("schema_version") == SCHEMA_VERSION else None
        if not isinstance(entry, dict):
            return None
        return LiveCatalog(float(entry["read_at"]), tuple(LiveModel(**raw) for raw in entry["models"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def save(state_dir: Path, scope: str, listed: list[LiveModel], now: float | None = None) -> LiveCatalog:
    """Store ``listed`` for ``scope`` (other scopes kept), readable by the owner only, written atomically."""
    stored = LiveCatalog(time.time() if now is None else now, tuple(sorted(listed, key=lambda m: m.id)))
    path = cache_path(state_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
            raise ValueError
    except (OSError, ValueError):
        data = {"schema_version": SCHEMA_VERSION, "scopes": {}}
    data.setdefault("scopes", {})[scope] = {"read_at": stored.read_at, "models": [asdict(m) for m in stored.models]}
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(data, indent=1, sort_keys=True))
    os.chmod(tmp, 0o600)  # an older file's mode must not survive the rename either
    tmp.replace(path)
    return stored


@dataclass(frozen=True)
class Row:
    """One model of the merged view: in the bundled catalog, in Model Garden, or both."""

    id: str
    info: ModelInfo | None
    live: LiveModel | None

    @property
    def source(self) -> str:
        if self.info is None:
            return "new in Model Garden"
        return "catalog and Model Garden" if self.live is not None else "not listed in Model Garden"

    @property
    def name(self) -> str:
        return self.info.name if self.info is not None else describe(self.id)[0]

    @property
    def family(self) -> str:
        return self.info.family if self.info is not None else describe(self.id)[1]


def merge(live: LiveCatalog) -> list[Row]:
    """The bundled catalog in its order, each with its Model Garden entry, then the models only Model Garden has."""
    listed = {m.id: m for m in live.models}
    rows = [Row(info.id, info, listed.pop(info.id, None)) for info in models().values()]
    return rows + [Row(model_id, None, entry) for model_id, entry in sorted(listed.items())]


def describe(model_id: str) -> tuple[str, str]:
    """(display name, family) of an id the catalog lacks: ``claude-sonnet-6@…`` -> (``Claude Sonnet 6``, ``sonnet``)."""
    parts = model_id.split("@")[0].split("-")
    words: list[str] = []
    for part in parts:
        if words and part.isdigit() and re.fullmatch(r"[\d.]+", words[-1]):
            words[-1] += f".{part}"
        else:
            words.append(part if part.isdigit() else part.capitalize())
    family = next((p for p in parts[1:] if p.isalpha()), "")
    return " ".join(words), family


def to_json(row: Row, today: Any = None) -> dict[str, Any]:
    """A row of ``models --live --format json``."""
    info, entry = row.info, row.live
    out: dict[str, Any] = {"id": row.id, "name": row.name, "family": row.family, "in_catalog": info is not None,
                           "in_model_garden": entry is not None, "source": row.source}
    if info is not None:
        out.update({"status": info.status(today), "status_text": info.status_text(today),
                    "deprecated_on": info.deprecated_on.isoformat() if info.deprecated_on else None,
                    "retired_on": info.retired_on.isoformat() if info.retired_on else None,
                    "replacement": info.replacement, "recommended": info.recommended,
                    "quota_base_model": info.quota_base_model, "region_hints": list(info.region_hints)})
    out["model_garden"] = None if entry is None else {
        "model": entry.model, "version_id": entry.version_id, "launch_stage": entry.launch_stage or None,
        "version_state": entry.version_state or None}
    return out
