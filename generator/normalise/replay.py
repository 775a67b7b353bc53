"""The operations pass, replayed per path item from an earlier run.

After the component pass (``normalise.kept``), ``Operations.operations`` types the path items one by one, in
sorted order. What an item makes (its operations) and what it leaves in the normaliser's state for the items
after it (models, enums, aliases, memo entries, names, the class names it took, warnings, recursions found: its
``Effects``) are a function of the state it starts from and of the item. So a run that starts from the same
component state (the entry is kept under the component pass's key) replays an item unchanged since the run that
recorded it, as long as every item before it was replayed, or typed again and left the same effects, or was
added or removed without any. An item typed again that leaves other effects puts every item after it out of
step: they are typed as always. A path item given by a reference is never replayed, and a run whose pass read
a file the key does not hold, or followed a reference into ``paths``, keeps no records (``Normaliser.build``).
"""

from __future__ import annotations

import hashlib
import json
import marshal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from .. import ir
from ..documents import Location, Unparsed
from ..loader import LoadedSpec
from ..names import NameAllocator
from .modules import references


class Effects(NamedTuple):
    """What typing one path item left in the normaliser's state: each key it wrote, at its last value."""

    models: dict[str, ir.Model]
    enums: dict[str, ir.EnumModel]
    aliases: dict[str, ir.Alias]
    memo: dict[tuple[Location, str], ir.TypeExpr]
    names: dict[tuple[Location, str], str]
    classes: tuple[str, ...]  # class names taken
    warnings: tuple[tuple[str, Location], ...]
    recursive: frozenset[Location]

    def empty(self) -> bool:
        return not any(self)


class ItemRecord(NamedTuple):
    path: str
    digest: str | None  # of the item's content; None: never replayed (a path item given by a reference)
    effects: Effects
    operations: tuple[ir.Operation, ...]
    # the ``Traits`` of each of ``made()``, taken by the keeper's process (``KeptComponents.store``); None until then
    traits: tuple[Traits, ...] | None = None

    def made(self) -> tuple[object, ...]:
        """What typing the item made that a file is made from: its operations, and the models, enums and aliases
        it left."""
        effects = self.effects
        return (*self.operations, *effects.models.values(), *effects.enums.values(), *effects.aliases.values())

    def kept(self, sharing: ir.Sharing) -> ItemRecord:
        """This record as it is kept: what it made with its traits, its values ``sharing`` those of the other
        records kept anew (equal values as one object: GitHub's records read back in ~15 ms, not ~33). A record
        read back (with its traits) is kept as it was read."""
        if self.traits is not None:
            return self
        effects = self.effects
        shared = effects._replace(
            models=sharing.share_values(effects.models),
            enums=sharing.share_values(effects.enums),
            aliases=sharing.share_values(effects.aliases),
            memo=sharing.share_values(effects.memo),
        )
        record = self._replace(operations=tuple(sharing.share(op) for op in self.operations), effects=shared)
        return record._replace(traits=tuple(traits(value) for value in record.made()))


class Traits(NamedTuple):
    """What the stages after the normaliser work out of an IR value, kept with it between runs: its ``ir.digest``
    (the key of the files made from it, ``render.render_files``) and the names of the models it refers to
    (``modules.model_modules``)."""

    digest: str
    references: frozenset[str]


def traits(value: object) -> Traits:
    return Traits(ir.digest(value), references(value))


class Writes(dict[Any, Any]):
    """A dict that lists the keys written to it while ``recording`` (the normaliser's state during the pass)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.written: list[Any] | None = None

    def __setitem__(self, key: Any, value: Any) -> None:
        if self.written is not None:
            self.written.append(key)
        super().__setitem__(key, value)


class Taking(NameAllocator):
    """A ``NameAllocator`` that lists the names it hands out while ``recording``."""

    def __init__(self, allocator: NameAllocator) -> None:
        super().__init__()
        self._taken = allocator.copy()._taken
        self.taken_now: list[str] | None = None

    def take(self, name: str) -> str:
        taken = super().take(name)
        if self.taken_now is not None:
            self.taken_now.append(taken)
        return taken

    def add(self, names: tuple[str, ...]) -> None:
        self._taken.update(name.lower() for name in names)


class State(NamedTuple):
    """The parts of the normaliser's state an item may write, as ``recording`` watches them."""

    models: Writes
    enums: Writes
    aliases: Writes
    memo: Writes
    names: Writes
    classes: Taking
    warnings: list[tuple[str, Location]]
    recursive: set[Location]


@contextmanager
def recording(state: State) -> Iterator[list[Effects]]:
    """Lists, into the list yielded, the ``Effects`` of what runs inside (once it has run)."""
    dicts = (state.models, state.enums, state.aliases, state.memo, state.names)
    for watched in dicts:
        watched.written = []
    state.classes.taken_now = []
    warned, recursive = len(state.warnings), set(state.recursive)
    found: list[Effects] = []
    try:
        yield found
        models, enums, aliases, memo, names = ({key: seen[key] for key in seen.written or ()} for seen in dicts)
        found.append(
            Effects(
                models,
                enums,
                aliases,
                memo,
                names,
                tuple(state.classes.taken_now),
                tuple(state.warnings[warned:]),
                frozenset(state.recursive - recursive),
            )
        )
    finally:
        for watched in dicts:
            watched.written = None
        state.classes.taken_now = None


def apply(state: State, effects: Effects) -> None:
    """Leaves ``effects`` in ``state``, as typing their item did."""
    state.models.update(effects.models)
    state.enums.update(effects.enums)
    state.aliases.update(effects.aliases)
    state.memo.update(effects.memo)
    state.names.update(effects.names)
    state.classes.add(effects.classes)
    state.warnings.extend(effects.warnings)
    state.recursive.update(effects.recursive)


class ItemReplay:
    """Walks the path items of this run beside the records of an earlier one (both in sorted order)."""

    def __init__(self, records: tuple[ItemRecord, ...]) -> None:
        self._old = records
        self._next = 0
        self._in_step = True
        self._compared: ItemRecord | None = None
        self.records: list[ItemRecord] = []  # this run's, in order
        self.replayed = 0

    def recall(self, path: str, digest: str | None) -> ItemRecord | None:
        """The record to replay for the item at ``path`` (its content's ``digest``), or None: type it, then
        ``typed``."""
        while self._next < len(self._old) and self._old[self._next].path < path:  # an item removed since
            self._in_step = self._in_step and self._old[self._next].effects.empty()
            self._next += 1
        old = None
        if self._next < len(self._old) and self._old[self._next].path == path:
            old = self._old[self._next]
            self._next += 1
        if self._in_step and old is not None and digest is not None and old.digest == digest:
            self.records.append(old)
            self.replayed += 1
            return old
        self._compared = old
        return None

    def typed(self, path: str, digest: str | None, effects: Effects, operations: tuple[ir.Operation, ...]) -> None:
        """The item at ``path`` was typed: its record, and whether the items after it stay in step."""
        old, self._compared = self._compared, None
        if old is None:  # an item added since
            self._in_step = self._in_step and effects.empty()
        elif effects != old.effects:
            self._in_step = False
        self.records.append(ItemRecord(path, digest, effects, operations))

    def changed(self) -> bool:
        """Whether this run's records differ from the earlier run's (they are kept again)."""
        return self.replayed != len(self.records) or len(self.records) != len(self._old)


def item_digest(path: str, item: Any, from_json: bool, digested: dict[str, str] | None = None) -> str | None:
    """The digest of a path item's content, or None: a path item given by a reference (what it means is
    elsewhere), or one ``content`` cannot write. ``digested``: the loader's digests of the path items, by path
    (``walks.KeptWalks.path_item_digests``), taken instead where there is one."""
    if type(item) is Unparsed:  # what it is told by its summary; its digest is the loader's
        if not item.summary.is_object or item.summary.ref is not None or digested is None or path not in digested:
            return None
        return digested[path]
    if not isinstance(item, dict) or "$ref" in item:
        return None
    if digested is not None and path in digested:
        return digested[path]
    written = content(item, from_json)
    if written is None:
        return None
    return hashlib.sha256(path.encode("utf-8", "surrogatepass") + b"\0" + written).hexdigest()


def content(data: Any, from_json: bool) -> bytes | None:
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
    """What JSON cannot write (a YAML ``!!binary``, ``!!set``, a date left as one): TypeError, so that no digest is
    made of it. Written some other way it could read as text (``repr`` of b'hi' is the string "b'hi'")."""
    raise TypeError(type(value).__name__)


def from_json(spec: LoadedSpec) -> bool:
    """Whether the spec's data is JSON's alone (``content``): its root file is JSON, no overlay applied."""
    return spec.path.suffix.lower() == ".json" and not spec.overlays
