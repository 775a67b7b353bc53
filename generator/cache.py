"""Where clientgen keeps its caches (validation verdicts, black's output): ``$CLIENTGEN_CACHE_DIR``, else
``$XDG_CACHE_HOME/clientgen``, else ``~/.cache/clientgen``. Losing it only costs time."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    explicit = os.environ.get("CLIENTGEN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "clientgen"
