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
import pickle
from collections.abc import Callable
from functools import partial
from typing import Any

from .. import cache, ir
from ..documents import Location
from ..loader import LoadedSpec
from .base import ComponentState, KeptApart, kept_apart
from .modules import model_modules, references
from .replay import ItemRecord, Traits, content, from_json, traits

KIND = "component-types"
ITEMS_KIND = "operation-items"  # the path items typed from a state (``normalise.replay``), under the state's key
MODULES_KIND = "model-modules"  # ``modules.model_modules``' answer, by what it depends on (``_modules_key``)
# At most this many models and aliases not read back (made by the items typed anew) are digested for the models
# modules' key (the renderer digests them for their files anyway); more (a first run) are in it by their references.
DIGESTED_HERE = 200
# Entries kept (GitHub's is ~9 MB): the specs being worked on, each at its last few component sets.
KEPT_ENTRIES = 6


def inputs_key(spec: LoadedSpec, tags: dict[Location, tuple[str, str]]) -> str | None:
    """The digest of what the component pass reads, or None when it cannot be had cheaply and surely: the
    cache is off, a reference leads into ``paths`` (a component may then mean what an operation says), or
    the root holds what JSON cannot write the same way every time (a YAML set). The root outside ``paths`` is
    taken from the loader's digests of its units where it has them (``walks``: GitHub's ~18 ms taken once)."""
    documents = spec.documents
    if not cache.enabled() or documents.refers_into_paths():
        return None
    walks = documents.walks()  # the loader's digests of the root file's units, where it took them
    if walks is not None:
        written: bytes | None = walks.outside_paths_digest()
    else:
        written = content({key: value for key, value in spec.data.items() if key != "paths"}, from_json(spec))
    if written is None:
        return None
    from ..writer import fingerprint

    digest = hashlib.sha256(f"{fingerprint()}\0{documents.root}\0".encode())
    for path in documents.files():
        if path != documents.root:
            digest.update(f"{path}\0{hashlib.sha256(documents.raw(path)).hexdigest()}\0".encode())
    variants = [(str(at.file), at.pointer, tag) for at, tag in tags.items()]  # in order: a base's union follows it
    digest.update(f"{variants!r}\0".encode())
    digest.update(written)
    return digest.hexdigest()


# The digest of each model, enum and alias read back, and of what each replayed item made, by the identity of
# the object (``KeptComponents.digests``).
Digests = dict[int, tuple[object, str]]
# An operation as named, by identity: itself, the operation as typed, and its names (``ir.renamed_digest``).
RenamedFrom = dict[int, tuple[object, object, tuple[object, ...]]]


class KeptComponents:
    """Reads the component pass's state back for a key, and keeps a new one until ``store`` (or
    ``store_beside``) writes it. The state is kept with the digest of each model, enum and alias in it (taken
    by the writer, off the run's path): the renderer digests a models module by its members
    (``render.render_files``), and those read back need not be digested again."""

    def __init__(self, digest_parts: Callable[[tuple[object, ...], Digests], list[str]] | None = None) -> None:
        """``digest_parts``: each of some parts' digests as the renderer keys the files made of them
        (``render.part_digests``), kept with the models modules (``model_modules``)."""
        self._pending: tuple[str, ComponentState] | None = None
        self.digests: Digests = {}  # of the values read back: each value is held, so no id is met twice
        self.references: dict[int, tuple[object, frozenset[str]]] = {}  # of them too (``modules.model_modules``)
        # operations renamed whose digest is not known (``renamed``), each with the one it was typed as and its names
        self.renamed_from: RenamedFrom = {}
        self._pending_items: tuple[str, tuple[ItemRecord, ...]] | None = None
        self._pending_modules: tuple[str, tuple[ir.ModelModule, ...], bool] | None = None
        self.digest_parts = digest_parts

    def model_modules(
        self,
        groups: tuple[ir.Group, ...],
        models: tuple[ir.Model, ...],
        enums: tuple[ir.EnumModel, ...],
        aliases: tuple[ir.Alias, ...],
    ) -> tuple[ir.ModelModule, ...]:
        """``modules.model_modules``' answer (GitHub's: ~12 ms), read back where an earlier run worked it out from
        the same inputs, else worked out and kept (``store``). Where every member's digest was known when it was
        kept, and is now, each module's digest as the renderer takes it is read back too (another ~8 ms)."""
        key, settled = _modules_key(self, groups, models, enums, aliases)
        stored = cache.read_view(MODULES_KIND, key) if key is not None else None
        found = _modules_from(stored, models, enums, aliases) if stored is not None else None
        if found is not None:
            modules, digests = found
            for module, digest in zip(modules, digests, strict=True):
                if settled and digest:
                    self.digests[id(module)] = (module, digest)
            return modules
        modules = model_modules(groups, models, enums, aliases, self.references)
        if key is not None:
            self._pending_modules = (key, modules, settled)
        return modules

    def recall(self, key: str) -> ComponentState | None:
        stored = cache.read_head(KIND, key)
        loaded = _loaded(*stored) if stored is not None else None
        if loaded is None:
            return None
        state, known = loaded
        digests, references = self.digests, self.references
        for value, (digest, referred) in zip(_values(state), known, strict=True):
            digests[id(value)] = (value, digest)
            references[id(value)] = (value, referred)
        return state

    def renamed(self, operation: ir.Operation, final: ir.Operation, fields: tuple[str, ...]) -> None:
        """``final`` is ``operation`` with only ``fields`` given anew (its names, given once every operation is
        typed): where the traits of ``operation`` are known, so are its. Its digest is made from ``operation``'s
        and those fields (equal digests, equal operations: the rest of it is ``operation``'s); its references are
        ``operation``'s (names refer to no model)."""
        named = tuple(getattr(final, field) for field in fields)
        digest, references = self.digests.get(id(operation)), self.references.get(id(operation))
        if digest is None or references is None or digest[0] is not operation or references[0] is not operation:
            # digested by the renderer the same way, from ``operation``'s digest once it takes it: the next run, which
            # knows it, finds the files made of it unchanged
            self.renamed_from[id(final)] = (final, operation, named)
            return
        self._know(final, Traits(ir.renamed_digest(digest[1], named), references[1]))

    def _know(self, value: object, known: Traits) -> None:
        self.digests[id(value)] = (value, known.digest)
        self.references[id(value)] = (value, known.references)

    def remember(self, key: str, state: ComponentState) -> None:
        self._pending = (key, state)

    def recall_items(self, key: str) -> tuple[ItemRecord, ...]:
        """The path items an earlier run typed from the state kept under ``key`` (``normalise.replay``)."""
        stored = cache.read_view(ITEMS_KIND, key)
        loaded = _unpickled(stored) if stored is not None else None
        if not isinstance(loaded, tuple) or not all(isinstance(record, ItemRecord) for record in loaded):
            return ()
        for record in loaded:  # what a replayed item made is not worked out again
            made = record.made()
            if record.traits is not None and len(record.traits) == len(made):
                for value, known in zip(made, record.traits, strict=True):
                    self._know(value, known)
        return loaded

    def remember_items(self, key: str, records: tuple[ItemRecord, ...]) -> None:
        self._pending_items = (key, records)

    def store_beside(self, also: Callable[[], None] | None = None) -> Callable[[], None]:
        """Writes the state in a process forked for it while the caller goes on (a state of GitHub's size takes
        ~0.25 s to write, on the core rendering leaves); the call returned waits for it. Written here where
        no process can be had, or it failed. ``also``: another keeper's writing, done in the same process (the
        loader's, ``LoadedSpec.store_walks``: one process forked instead of two)."""
        if self._pending is None and self._pending_items is None and self._pending_modules is None and also is None:
            return lambda: None
        from ..processes import Forked, can_fork

        def store() -> None:
            self.store()
            if also is not None:
                also()

        def stored() -> bool:
            store()
            return True

        if not can_fork():
            return store
        writer = Forked(stored)

        def finish() -> None:
            if writer.result() is None:
                store()
            self._pending = self._pending_items = self._pending_modules = None

        return finish

    def store(self) -> None:
        if self._pending_modules is not None:
            key, modules, settled = self._pending_modules
            self._pending_modules = None
            digests = self.digest_parts(modules, self.digests) if settled and self.digest_parts else [""] * len(modules)
            kept_modules = tuple(
                (
                    module.name,
                    module.groups,
                    tuple(model.name for model in module.models),
                    tuple(enum.name for enum in module.enums),
                    tuple(alias.name for alias in module.aliases),
                    module.imports,
                    digest,
                )
                for module, digest in zip(modules, digests, strict=True)
            )
            cache.write_entry(MODULES_KIND, key, pickle.dumps(kept_modules, protocol=pickle.HIGHEST_PROTOCOL))
            cache.keep_newest(MODULES_KIND, KEPT_ENTRIES)
        if self._pending_items is not None:
            key, records = self._pending_items
            self._pending_items = None
            sharing = ir.Sharing()
            records = tuple(record.kept(sharing) for record in records)
            cache.write_entry(ITEMS_KIND, key, pickle.dumps(records, protocol=pickle.HIGHEST_PROTOCOL))
            cache.keep_newest(ITEMS_KIND, KEPT_ENTRIES)
        if self._pending is None:
            return
        key, state = self._pending
        self._pending = None
        sharing = ir.Sharing()  # read back in ~half the time (GitHub's state: ~120 -> ~60 ms)
        state = state._replace(
            models=sharing.share_values(state.models),
            enums=sharing.share_values(state.enums),
            aliases=sharing.share_values(state.aliases),
            memo=sharing.share_values(state.memo),
        )
        known = tuple(tuple(traits(value)) for value in _values(state))  # plain tuples: read back in C
        up_front: dict[tuple[Location, str], ir.TypeExpr] = {}
        apart: dict[tuple[Location, str], ir.TypeExpr] = {}
        for entry, value in state.memo.items():
            (apart if kept_apart(entry) else up_front)[entry] = value
        kept = tuple(state._replace(memo=up_front, names={}, rest=None))
        head = pickle.dumps((kept, known), protocol=pickle.HIGHEST_PROTOCOL)
        cache.write_parts(KIND, key, head, pickle.dumps((apart, state.names), protocol=pickle.HIGHEST_PROTOCOL))
        cache.keep_newest(KIND, KEPT_ENTRIES)


def _modules_key(
    kept: KeptComponents,
    groups: tuple[ir.Group, ...],
    models: tuple[ir.Model, ...],
    enums: tuple[ir.EnumModel, ...],
    aliases: tuple[ir.Alias, ...],
) -> tuple[str | None, bool]:
    """The key ``model_modules``' answer is kept under, and whether every member's digest is in it (then the digests
    kept with the modules, which are of their members', hold too). The answer depends on this generator's code, the
    names of the models, enums and aliases in order, what each model and alias refers to and what each group's
    operations refer to: a model, alias or enum is in the key by its digest (which its references are a function
    of) where it is known, else by its references; a group by the names its operations refer to. None where
    nothing is kept."""
    if not cache.enabled():
        return None, False
    from ..writer import fingerprint

    def referred(value: object) -> frozenset[str]:
        found = kept.references.get(id(value))
        return found[1] if found is not None and found[0] is value else references(value)

    values: tuple[ir.Model | ir.Alias | ir.EnumModel, ...] = (*models, *aliases, *enums)
    held = kept.digests.get
    digests = [found[1] if (found := held(id(value))) is not None and found[0] is value else None for value in values]
    unknown = [index for index, digest in enumerate(digests) if digest is None]
    if len(unknown) <= DIGESTED_HERE:  # what an item typed anew made: digested here instead of by the renderer
        for index in unknown:
            kept._know(values[index], known := traits(values[index]))
            digests[index] = known.digest
    settled = None not in digests
    named = [  # a name never holds a line feed or a NUL (a class name), a digest neither
        f"{value.name}\0{digest if digest is not None else sorted(referred(value))!r}"
        for value, digest in zip(values, digests, strict=True)
    ]
    used = [(group.attr, sorted(frozenset().union(*map(referred, group.operations)))) for group in groups]
    key = hashlib.sha256(f"{fingerprint()}\0{len(models)}\0{len(aliases)}\0".encode())
    key.update("\n".join(named).encode("utf-8", "surrogatepass"))
    key.update(repr(used).encode("utf-8", "surrogatepass"))
    return key.hexdigest(), settled


def _modules_from(
    stored: memoryview,
    models: tuple[ir.Model, ...],
    enums: tuple[ir.EnumModel, ...],
    aliases: tuple[ir.Alias, ...],
) -> tuple[tuple[ir.ModelModule, ...], list[str]] | None:
    """The models modules an entry names, made of these models, enums and aliases, with the digest kept for each
    ("" where none was); None where the entry does not read as such or does not place each of them once."""
    kept = _unpickled(stored)
    by_name = ({model.name: model for model in models}, {enum.name: enum for enum in enums})
    aliased = {alias.name: alias for alias in aliases}
    try:
        modules: list[ir.ModelModule] = []
        digests: list[str] = []
        placed: set[tuple[int, str]] = set()
        count = 0
        for name, groups, model_names, enum_names, alias_names, imports, digest in kept:
            members = (
                tuple(by_name[0][each] for each in model_names),
                tuple(by_name[1][each] for each in enum_names),
                tuple(aliased[each] for each in alias_names),
            )
            named = (model_names, enum_names, alias_names)
            placed.update((kind, each) for kind, names in enumerate(named) for each in names)
            count += sum(map(len, members))
            modules.append(ir.ModelModule(name, groups, *members, imports))
            digests.append(digest)
    except (TypeError, ValueError, KeyError):  # an entry of another shape
        return None
    if not count == len(placed) == len(models) + len(enums) + len(aliases):
        return None
    return tuple(modules), digests


def _values(state: ComponentState) -> list[object]:
    """The state's models, enums and aliases, in order: their traits are kept in it."""
    return [*state.models.values(), *state.enums.values(), *state.aliases.values()]


def _loaded(head: memoryview, tail: cache.Tail) -> tuple[ComponentState, tuple[tuple[str, frozenset[str]], ...]] | None:
    """The state in an entry and its values' traits, or None where it does not read as such. The memo entries and
    the names kept apart, the entry's tail, are read when first needed (``NormaliserBase._read_rest``): not read at
    all by a regeneration that types and names no schema anew (GitHub's: 5.6 of the entry's 8.4 MB)."""
    try:
        kept, known = _unpickled(head)
        state = ComponentState(*kept)._replace(rest=partial(_rest, tail))
        if type(known) is not tuple or len(known) != len(_values(state)) or {type(k) for k in known} - {tuple}:
            return None
        return state, known
    except Exception:  # an entry of another shape: the pass runs
        return None


def _rest(tail: cache.Tail) -> KeptApart:
    content = tail()
    rest = _unpickled(content) if content is not None else None
    # written by this clientgen with the state it read (``cache``'s checks)
    if not (isinstance(rest, tuple) and len(rest) == 2 and all(isinstance(part, dict) for part in rest)):
        raise RuntimeError("the component state kept in the cache does not read back whole: clear the cache")
    return rest[0], rest[1]


def _unpickled(stored: bytes | memoryview) -> Any:
    """An entry's objects, or None where it does not unpickle."""
    collecting = gc.isenabled()
    gc.disable()  # ~200k objects, none of them garbage: the collector's passes over them cost ~3x the load
    try:
        return pickle.loads(stored)  # noqa: S301 - an entry this user's clientgen wrote (its HMAC checked)
    except Exception:  # an entry of another shape: nothing is read back
        return None
    finally:
        if collecting:
            gc.enable()
