"""Resolved spec -> IR, in passes: one module per concern (see docs/DEVELOPING.md). Every decision
about the generated client is taken here."""

from ..normalise.api import Normaliser, normalise
from ..normalise.operations import media_kind

__all__ = ["Normaliser", "media_kind", "normalise"]
