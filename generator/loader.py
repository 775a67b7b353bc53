"""Read spec files, apply overlays, check and resolve ``$ref``s, validate.

Everything that reaches later stages is plain JSON-shaped data plus a ``Documents`` object that can
resolve references and say on which line of which file a JSON pointer sits (used only for errors, so
line maps are built lazily).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.cache import cache_dir
from generator.documents import Documents, Location, join_pointer
from generator.errors import SpecError


@dataclass
class LoadedSpec:
    """A parsed, overlaid, reference-checked and validated spec."""

    path: Path
    data: dict[str, Any]
    documents: Documents
    sha256: str
    openapi_version: str

    @property
    def root(self) -> Location:
        return Location(self.documents.root, "")


def load_spec(path: Path, overlays: tuple[Path, ...] = (), *, validate: bool = True) -> LoadedSpec:
    from generator.overlay import apply_overlay

    documents = Documents(path)
    root = documents.root
    if not root.is_file():
        raise SpecError("spec file does not exist", file=path)
    data = documents.get(root)
    if not isinstance(data, dict):
        raise SpecError("a spec must be a mapping at the top level", file=path, line=1, pointer="")
    for overlay_path in overlays:
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
    spec = LoadedSpec(path, data, documents, _spec_digest(documents, overlays), version)
    if validate:
        validate_spec(spec)
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


# -- validation ----------------------------------------------------------------------------------


def start_validation(spec: LoadedSpec) -> Callable[[], None]:
    """Validate in a forked child while the caller renders; the returned function waits for the
    verdict and raises its SpecError. Where fork is unavailable, validates right away."""
    if _validation_marker(spec).exists():
        return lambda: None
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods() or os.name != "posix":
        validate_spec(spec)
        return lambda: None
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def child() -> None:
        try:
            validate_spec(spec)
            sender.send(None)
        except SpecError as exc:
            sender.send((exc.message, exc.file, exc.line, exc.pointer))
        except BaseException as exc:  # the parent reports it; a child must not print tracebacks
            sender.send((f"spec failed validation ({type(exc).__name__}: {exc})", spec.path, None, None))

    process = context.Process(target=child, daemon=True)
    process.start()
    sender.close()

    def verdict() -> None:
        try:
            outcome = receiver.recv()
        except EOFError:
            outcome = ("validator process died", spec.path, None, None)
        finally:
            process.join()
            receiver.close()
        if outcome is not None:
            message, file, line, pointer = outcome
            raise SpecError(message, file=file, line=line, pointer=pointer)

    return verdict


def _validation_marker(spec: LoadedSpec) -> Path:
    from importlib.metadata import version as dist_version

    return cache_dir() / "valid" / f"{spec.sha256}-{dist_version('openapi-spec-validator')}"


def validate_spec(spec: LoadedSpec) -> None:
    """Validate with openapi-spec-validator; a spec that passed before (same bytes, same
    validator version) is remembered in a cache keyed by content hash."""
    from jsonschema.exceptions import ValidationError
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

    data, documents, version = spec.data, spec.documents, spec.openapi_version
    marker = _validation_marker(spec)
    if marker.exists():
        return
    cls = OpenAPIV31SpecValidator if version.startswith("3.1.") else OpenAPIV30SpecValidator
    validator = cls(data, base_uri=documents.root.as_uri())
    try:
        first = next(iter(validator.iter_errors()), None)
    except (KeyError, TypeError, ValueError, RecursionError) as exc:  # the validator's own crashes
        raise SpecError(f"spec failed validation ({type(exc).__name__}: {exc})", file=documents.root) from None
    if first is not None:
        error = _deepest(first)
        at = Location(documents.root, join_pointer("", *error.absolute_path))
        assert isinstance(error, ValidationError)
        raise documents.error(f"invalid spec: {error.message}", at)
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        pass  # a read-only cache only costs time


def _deepest(error: Any) -> Any:
    """The most useful error in jsonschema's tree of alternatives: the deepest path, a concrete
    complaint ("'in' is a required property") over "not valid under any of the given schemas",
    never the "'$ref' is required" branch, and of equals the one nearest the top of the tree
    (a complaint every alternative shares, not one that only a sub-alternative raises)."""
    leaves: list[tuple[Any, int]] = []
    stack = [(error, 0)]
    while stack:
        current, depth = stack.pop()
        if current.context:
            stack.extend((child, depth + 1) for child in current.context)
        else:
            leaves.append((current, depth))
    if not leaves:
        return error
    specific = {"required", "type", "enum", "const", "additionalProperties", "pattern", "format", "minItems"}

    def rank(leaf: tuple[Any, int]) -> tuple[int, int, int, str]:
        e, depth = leaf
        kind = 0 if "'$ref'" in e.message else 2 if e.validator in specific else 1
        return (len(e.absolute_path), kind, -depth, e.message)

    return max(leaves, key=rank)[0]
