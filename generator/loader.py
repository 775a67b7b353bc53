"""Read spec files, apply overlays, check and resolve ``$ref``s, validate.

Everything that reaches later stages is plain JSON-shaped data plus a ``Documents`` object that can
resolve references and say on which line of which file a JSON pointer sits (used only for errors, so
line maps are built lazily).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .documents import Documents, Location
from .errors import SpecError
from .ir import Diagnostic


@dataclass
class LoadedSpec:
    """A parsed, overlaid, reference-checked and validated spec."""

    path: Path
    # The root file's data, where units of it may be left unparsed (``documents.Unparsed``): for the readers that
    # know them (``part``, ``Documents.resolve``, the summaries); every other reader takes ``data``.
    tree: dict[str, Any]
    documents: Documents
    sha256: str
    openapi_version: str
    # validation's warnings (harmless slips), when ``load_spec`` validated
    diagnostics: tuple[Diagnostic, ...] = ()
    overlays: tuple[Path, ...] = ()
    files_at_load: int = 0  # how many files ``sha256`` covers

    def digest_of_all_read(self) -> str:
        """``sha256``, of every file read so far: a file reached only through a reference under an ``x-`` key
        (which ``check_refs`` does not walk) is first read by the normaliser, and the output comes from it too."""
        if len(self.documents.files()) == self.files_at_load:
            return self.sha256
        return _spec_digest(self.documents, self.overlays)

    def store_walks(self) -> Callable[[], None] | None:
        """What keeps this run's walks of the root file's units for the next run (``walks``), or None when
        there is nothing new to keep."""
        walks = self.documents.walks()
        return walks.store if walks is not None and walks.changed() else None

    @property
    def root(self) -> Location:
        return Location(self.documents.root, "")

    @property
    def data(self) -> dict[str, Any]:
        """The root file's data, every unit of it parsed (those left unparsed, now: once)."""
        self.documents.parse_all()
        return self.tree

    def part(self, *tokens: str) -> Any:
        """The root's data at ``tokens`` (a top-level key, or one and a key below it: ``components``,
        ``securitySchemes``), every unit there parsed; None where it is not there."""
        walks = self.documents.walks()
        if walks is not None:
            walks.parse_under(tokens)
        node: Any = self.tree
        for token in tokens:
            if not isinstance(node, dict):
                return None
            node = walks.value(node.get(token)) if walks is not None else node.get(token)
        return node


def load_spec(
    path: Path, overlays: tuple[Path, ...] = (), *, validate: bool = True, keep_walks: bool = False
) -> LoadedSpec:
    """``keep_walks``: the root file is walked by units, replaying an earlier run's walks of the units unchanged
    since (``walks``); the caller stores this run's (``LoadedSpec.store_walks``)."""
    documents = Documents(path)
    if keep_walks and not overlays:
        documents.keep_walks()
    root = documents.root
    if not root.is_file():
        raise SpecError("spec file does not exist", file=path)
    data = documents.get(root)
    if not isinstance(data, dict):
        raise SpecError("a spec must be a mapping at the top level", file=path, line=1, pointer="")
    for overlay_path in overlays:
        from .overlay import apply_overlay  # its target grammar compiles ~7 ms of patterns: only when used

        overlay_docs = Documents(overlay_path)
        if not overlay_docs.root.is_file():
            raise SpecError("overlay file does not exist", file=overlay_path)
        data = apply_overlay(data, overlay_docs)
    documents.replace(root, data)

    version = data.get("openapi")
    if not isinstance(version, str) or not version.startswith(("3.0.", "3.1.")):
        raise documents.error(
            f"unsupported OpenAPI version {version!r} (3.0.x and 3.1.x are supported)",
            Location(root, "/openapi" if "openapi" in data else ""),
        )
    documents.check_refs()
    documents.check_operation_ids()
    digest = _spec_digest(documents, overlays)
    spec = LoadedSpec(path, data, documents, digest, version, overlays=overlays, files_at_load=len(documents.files()))
    if validate:
        from .validation import validate_spec

        spec.diagnostics = validate_spec(spec)
    return spec


def _spec_digest(documents: Documents, overlays: tuple[Path, ...]) -> str:
    """sha256 of the root file alone when it is the only input, else of every input file."""
    others = [p for p in documents.files() if p != documents.root]
    if not others and not overlays:
        return hashlib.sha256(documents.raw(documents.root)).hexdigest()
    digest = hashlib.sha256()
    for p in [documents.root, *others]:
        rel = p.relative_to(documents.root.parent).as_posix()
        digest.update(f"{rel}\0{hashlib.sha256(documents.raw(p)).hexdigest()}\n".encode())
    for p in overlays:
        digest.update(f"overlay\0{hashlib.sha256(p.read_bytes()).hexdigest()}\n".encode())
    return digest.hexdigest()
