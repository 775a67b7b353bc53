"""The component pass, kept between runs.

``Normaliser.build`` types every component schema before any operation. On GitHub's spec that pass is
1.35 s of normalising's 1.8, and it reads nothing of ``paths`` unless a ``$ref`` leads there. A spec changed
in its operations alone (the usual regeneration: an endpoint added, a parameter described) reads the state
the pass left back instead (~0.15 s).

The state is kept under a digest of everything the pass can read (the root file outside ``paths``, every
other file it refers to, the discriminated variants found beforehand) and of this generator's code and
templates (``writer.fingerprint``); any other change misses, and the pass runs as it always does. Read back,
the state is equal, object for object, to the one the pass leaves: the output cannot tell the difference
(tests/test_kept_components.py generates both ways and compares bytes). Entries go through the cache's
checks (``cache.read_entry``: written by this user's clientgen, for this key, unaltered).
"""

from __future__ import annotations

import gc
import hashlib
import json
import marshal
import pickle
from collections.abc import Callable
from typing import Any

from .. import cache, ir
from ..documents import Location
from ..loader import LoadedSpec
from .base import ComponentState

KIND = "component-types"
# Entries kept (GitHub's is ~9 MB): the specs being worked on, each at its last few component sets.
KEPT_ENTRIES = 6


def inputs_key(spec: LoadedSpec, tags: dict[Location, tuple[str, str]]) -> str | None:
    """The digest of what the component pass reads, or None when it cannot be had cheaply and surely: the
    cache is off, a reference leads into ``paths`` (a component may then mean what an operation says), or
    the root holds what JSON cannot write the same way every time (a YAML set)."""
    documents = spec.documents
    if not cache.enabled() or documents.refers_into_paths():
        return None
    outside_paths = {key: value for key, value in spec.data.items() if key != "paths"}
    content = _content(outside_paths, from_json=spec.path.suffix.lower() == ".json" and not spec.overlays)
    if content is None:
        return None
    from ..writer import fingerprint

    digest = hashlib.sha256(f"{fingerprint()}\0{documents.root}\0".encode())
    for path in documents.files():
        if path != documents.root:
            digest.update(f"{path}\0{hashlib.sha256(documents.raw(path)).hexdigest()}\0".encode())
    variants = [(str(at.file), at.pointer, tag) for at, tag in tags.items()]  # in order: a base's union follows it
    digest.update(f"{variants!r}\0".encode())
    digest.update(content)
    return digest.hexdigest()


def _content(data: dict[str, Any], from_json: bool) -> bytes | None:
    """``data`` as bytes that tell it from any other, or None. Data parsed from JSON (dicts, lists, text, numbers,
    booleans, null) as ``marshal``'s first format writes it: ~3x faster than JSON text here; no references
    between objects and no interning, so equal data gives equal bytes whatever objects hold it. Other data
    (YAML's, overlaid) as JSON text: a YAML set would be written in an order that differs per process."""
    if from_json:
        try:
            return b"marshal\0" + marshal.dumps(data, 0)
        except (ValueError, RecursionError):
            pass
    try:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), check_circular=False, default=_text)
    except (TypeError, ValueError, RecursionError):
        return None
    return b"json\0" + text.encode("utf-8", "surrogatepass")


def _text(value: object) -> str:
    """What JSON cannot write, as text that is the same in every process (a YAML ``!!binary``), or TypeError
    (a ``!!set``, whose order is not: a key made of it would never be met again)."""
    if isinstance(value, bytes):
        return repr(value)
    raise TypeError(type(value).__name__)


# Each model's, enum's and alias's digest, by the identity of the object read back (``KeptComponents.digests``).
Digests = dict[int, tuple[object, str]]


class KeptComponents:
    """Reads the component pass's state back for a key, and keeps a new one until ``store`` (or
    ``store_beside``) writes it. The state is kept with the digest of each model, enum and alias in it (taken
    by the writer, off the run's path): the renderer digests a models module by its members
    (``render.render_files``), and those read back need not be digested again."""

    def __init__(self) -> None:
        self._pending: tuple[str, ComponentState] | None = None
        self.digests: Digests = {}  # of the values read back: each value is held, so no id is met twice

    def recall(self, key: str) -> ComponentState | None:
        stored = cache.read_entry(KIND, key)
        loaded = _loaded(stored) if stored is not None else None
        if loaded is None:
            return None
        state, digests = loaded
        for kind in (state.models, state.enums, state.aliases):
            for name, value in kind.items():
                digest = digests.get((type(value).__name__, name))
                if digest is not None:
                    self.digests[id(value)] = (value, digest)
        return state

    def remember(self, key: str, state: ComponentState) -> None:
        self._pending = (key, state)

    def store_beside(self) -> Callable[[], None]:
        """Writes the state in a process forked for it while the caller goes on (a state of GitHub's size takes
        ~0.25 s to write, on the core rendering leaves); the call returned waits for it. Written here where
        no process can be had, or it failed."""
        if self._pending is None:
            return lambda: None
        from ..processes import Forked, can_fork

        if not can_fork():
            return self.store
        writer = Forked(self._store_pending)

        def finish() -> None:
            if writer.result() is None:
                self.store()
            self._pending = None

        return finish

    def _store_pending(self) -> bool:
        self.store()
        return True

    def store(self) -> None:
        if self._pending is None:
            return
        key, state = self._pending
        self._pending = None
        digests = {
            (type(value).__name__, name): ir.digest(value)
            for kind in (state.models, state.enums, state.aliases)
            for name, value in kind.items()
        }
        cache.write_entry(KIND, key, pickle.dumps((tuple(state), digests), protocol=pickle.HIGHEST_PROTOCOL))
        cache.keep_newest(KIND, KEPT_ENTRIES)


def _loaded(stored: bytes) -> tuple[ComponentState, dict[tuple[str, str], str]] | None:
    """The state in an entry and its values' digests, or None where it does not read as such."""
    collecting = gc.isenabled()
    gc.disable()  # ~200k objects, none of them garbage: the collector's passes over them cost ~3x the load
    try:
        loaded: Any = pickle.loads(stored)  # noqa: S301 - an entry this user's clientgen wrote (its HMAC checked)
        state, digests = loaded
        return ComponentState(*state), dict(digests)
    except Exception:  # an entry of another shape: the pass runs
        return None
    finally:
        if collecting:
            gc.enable()
