"""What the loader's walks of the root file found, kept between runs by unit.

Beside parsing it, loading a spec walks its root file twice: for its depth (``documents._deeper_than``, the
bound later code recurses within) and for its references (``Documents.check_refs``: each followed to its
target, the objects holding a ``oneOf``/``anyOf`` noted, ``allOf`` edges checked for cycles). On GitHub's spec
(13 MB, 70k containers) those were ~30 and ~70 ms of a ~250 ms load, taken again in full by a regeneration
after a change to one operation.

The file is cut into units: each member of a top-level object other than ``components`` (a path item, a
webhook, an entry of an ``x-`` map) and each component (``components/<kind>/<name>``); the rest, the
skeleton, is the file with each unit replaced by a ``documents.Cut``. What the walks find in a unit is a
function of its content and of its place (the way down to it, from which the state of a walk entering it
follows): its depth and, where the walk of the file enters it, its references (each with the pointer of its
first use, in the walk's order, and the order of their last uses; every use under an ``allOf``) and the ways to
its compositions, in the order the walk meets them. An earlier run's findings are kept under the digest of the
unit's place and content and replayed instead of walking the unit: ``check_refs`` follows the same references
in the same order as the walk of the whole file (which files it reads next depends on each file's last use
alone), so it leaves the same state, object for object (``tests/test_loader_kept.py``), and says the same
errors (any failure on this way is taken again by walking the file whole). Only the skeleton and the units
new to the cache are walked. A run with nothing to replay walks the whole file as before and lists the
references' uses; the process that keeps the component state (``normalise.kept``) tells the units' findings
apart by their ways and writes them, off the run's path.

The file is also parsed by units (``KeptWalks.parse``, ``_UnitParser``): the objects holding units key by key,
each unit by JSON's own scanner, without the duplicate-key check where an earlier run parsed the same text at the
same place (the digest of both is kept with the unit's digest, so it is not digested again either), with it
elsewhere; anything invalid or duplicated sends the file to the whole parse, which says the error as before.
Those units are not screened for lone surrogates either (a text holding one fails the load, so is never kept).
On GitHub's spec: the parse ~70-80 -> ~60 ms, the digests ~25 -> ~5, the screen ~11 -> ~3 (its text written by
``json.dumps``, its emoji escaped as pairs).

A unit is not parsed at all where its text at its place is the one an earlier run parsed there: the length of each
unit's text is kept by its place, and a text that long whose digest is known is left ``documents.Unparsed`` (its
bytes are kept until the run ends; the file is read a byte a character, so offsets are bytes', ``_UnitParser``).
It stands in the data where the unit would, until something
asks for the unit's data (``KeptWalks.value``, ``Documents.parsed``): the readers that know it read its
``documents.Summary`` instead, kept with its record (its own ``$ref`` for ``Documents.deref``, a path item's
operationIds for ``check_operation_ids``, a discriminator, string consts and unions of references for
``normalise.discriminators``, whether it is a path item given by reference for ``normalise.replay``);
``Documents.resolve`` parses the units it leads into, ``LoadedSpec.part`` those under a key, and
``LoadedSpec.data`` every unit left, so no other reader meets one. On GitHub's spec after one operation changed,
3 of 2,851 units are parsed: the parse ~90 -> ~15 ms, and ~8k fewer page faults.

The digests (~27 ms on GitHub's 2,852 units) are taken on every run but for units parsed from a known text, and
the normaliser's keys are made of them (``outside_paths_digest`` for the component pass, ``path_item_digests``
for the replay of path items): it digested the same data again (~25 ms). Data digested is JSON's alone (a JSON
root file, no overlay): ``marshal``'s first format writes it without references between objects or interning,
so equal data gives equal bytes (``normalise.replay.content``). Entries go through the cache's checks
(``cache.read_entry``) and are named by the generator's fingerprint and the root file's path: the walk they
record is this code's.
"""

from __future__ import annotations

import bisect
import hashlib
import json.decoder
import marshal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import cache
from .documents import (
    Cut,
    Summary,
    Unparsed,
    Way,
    _deeper_than,
    _json_object,
    join_pointer,
    references_union,
    string_consts,
    tokens_of,
)

KIND = "walked-units"
# One entry per spec file (GitHub's is ~0.7 MB): the specs being worked on.
KEPT_ENTRIES = 16
# Smaller root files are walked whole, keeping nothing: they pay little (lightsail, 0.8 MB: load 32 ms whole, 25 ms
# replayed after a change, 35 ms on a first run, whose records then take ~17 ms of CPU to write beside), and the
# first run of a small spec, benchmarked against another generator, stays as it was.
MIN_BYTES = 2 * 1024 * 1024

# What the walk of the file found in a unit, as kept: its references (text, pointer below the unit) in the
# order of their first uses; the order of their last uses (indexes into the first, None when alike); each use
# under an allOf (text, pointer below the unit); the ways below the unit to its compositions, as tokens.
WalkRecord = tuple[
    tuple[tuple[str, str], ...], tuple[int, ...] | None, tuple[tuple[str, str], ...], tuple[tuple[str | int, ...], ...]
]
# A unit's depth (the unit itself 1), what the walk of the file found in it (nothing where it does not
# enter the unit: an ``x-`` map's) and its ``Summary`` as a tuple (None where one cannot be had: it is then
# always parsed).
Record = tuple[int, WalkRecord, tuple[Any, ...] | None]
Uses = list[tuple[Any, Way]]  # references met by a walk, with their ways, in its order


class Unit:
    """A path item, a component or another member of a top-level object, with what is known of its walks."""

    __slots__ = ("compositions", "depth", "digest", "place", "summary", "text_digest", "uses", "value", "walked")

    def __init__(self, place: tuple[str, ...], value: Any) -> None:
        self.place = place  # the tokens of its way down
        self.value = value  # its data, or ``Unparsed`` until something asks for it (``KeptWalks.value``)
        self.digest: bytes | None = None
        self.text_digest: bytes | None = None  # of its place and its text in the file, where parsed by units
        self.depth: int | None = None  # how many levels down its deepest node sits, the unit 1
        self.walked: WalkRecord | None = None  # what an earlier run's walk found (the cache held its record)
        self.uses: Uses | None = None  # what this run's walk met, where it walked the unit
        self.compositions: list[Way] = []
        self.summary: Summary | None = None  # as recorded, where the unit was left unparsed

    @property
    def pointer(self) -> str:
        return join_pointer("", *self.place)

    def union_at(self, below: tuple[str | int, ...]) -> tuple[str, tuple[Any, ...]] | bool | None:
        """``references_union`` of the node ``below`` the unit, from its summary: False where the summary does not
        tell (no composition of its record there)."""
        assert self.summary is not None and self.walked is not None
        for tokens, union in zip(self.walked[3], self.summary.unions, strict=True):
            if tokens == below:
                return union
        return False

    def record(self) -> WalkRecord:
        """What this run's walk found in the unit, as kept (ways made pointers or tokens below the unit)."""
        below = len(self.place)
        firsts: dict[str, Way] = {}
        lasts: dict[str, int] = {}
        all_of: list[tuple[str, str]] = []
        for index, (ref, way) in enumerate(self.uses or ()):
            firsts.setdefault(ref, way)
            lasts[ref] = index
            if way is not None and way[0] is not None and way[0][1] == "allOf":  # as ``Documents._follow`` says
                all_of.append((ref, _pointer_below(way, below)))
        refs = list(firsts)
        order = sorted(range(len(refs)), key=lambda index: lasts[refs[index]])
        return (
            tuple((ref, _pointer_below(firsts[ref], below)) for ref in refs),
            None if order == list(range(len(refs))) else tuple(order),
            tuple(all_of),
            tuple(tuple(tokens_of(way)[below:]) for way in self.compositions),
        )


def _pointer_below(way: Way, below: int) -> str:
    return join_pointer("", *tokens_of(way)[below:])


class KeptWalks:
    """The root file cut into units and digested, each unit with an earlier run's findings where the cache holds
    them; what this run found in the others is kept by ``store``. A run with nothing kept walks the file whole
    as it always did, listing the references' uses: ``store`` tells the units' findings apart. The digests also
    key the normaliser's kept state (``outside_paths_digest``, ``path_item_digests``): taken once per run."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data: Any = None  # the root file's data, once cut
        self.skeleton: dict[str, Any] = {}
        self.units: list[Unit] = []
        self.replaying = False  # whether the cache held records of some unit: the file is walked by units
        self.uses: Uses = []  # the walk's of the whole file (a run with nothing to replay)
        self.compositions: list[Way] = []  # the walk's of the whole file
        self._held = 0  # records the cache held
        self._abandoned = False
        self._entry: _Entry | None = None  # the cache's, read once
        self._parsed: _UnitParser | None = None  # how the file was parsed, where it was parsed by units
        self.parsed_by_units = False
        self.checked: list[tuple[str, ...]] = []  # the units parsed with the duplicate-key check, in order
        self._skeleton_digest: bytes | None = None
        self._parsed_whole: bytes | None = None  # the file's bytes, where a first run parsed it whole (``parse``)
        self._raw: bytes | None = None  # the file's bytes, where units were left unparsed
        self.text = ""  # the file as the parse by units read it, a character a byte (``_UnitParser``)
        self.unparsed = 0  # units left unparsed, not yet asked for
        self._unfit = False  # a unit's recorded summary did not fit (``cut``)
        self._parsed_under: set[tuple[str, ...]] = set()  # places ``parse_under`` has parsed everything under

    def parse(self, raw: bytes) -> dict[str, Any] | None:
        """The root file's data (its bytes ``raw``: JSON's) parsed by units: the objects down to them key by key,
        each unit whose text at its place an earlier run checked without the duplicate-key check, everything else
        with it (``_UnitParser``); None where the file is not read this way (too small to pay, no cache) or the way
        fails (not a JSON object, invalid anywhere, not UTF-8): it is then parsed whole, which says the error.
        ``text``: the file as read here (a character a byte), until the loader's screen has read it."""
        if len(raw) < MIN_BYTES or not cache.enabled():
            return None
        records, known, lengths = self._stored()
        if not records:
            # A first run: parsed whole, which costs no more, and where one scan shares each key's text across
            # the file (by units, each unit holds its own: ~13 MB more of GitHub's). Its keeper reads the units'
            # texts again for their digests (``_texts``): the next run parses by units, the check only where a
            # unit's text is new.
            self._parsed_whole = raw
            return None
        parser = _UnitParser(raw, known, lengths=lengths)
        try:
            data = parser.parse()
        except Exception:  # any failure (invalid text, not UTF-8, a duplicate, Python's stack): parsed whole
            return None
        self.text = parser.text
        parser.done()
        self._parsed, self.parsed_by_units, self.checked = parser, True, parser.checked
        if parser.unparsed:
            self._raw = raw
        return data

    def parsed_before(self, at: int) -> bool:
        """Whether the text at ``at`` lies in a unit parsed from a text an earlier run parsed (at its place)."""
        parsed = self._parsed
        return parsed is not None and parsed.parsed_before(at)

    def cut(self, data: Any, size: int) -> bool:
        """Cuts the root file's ``data`` (JSON's, ``size`` bytes) into units, digests them and finds their
        records, or says the file is to be walked whole without keeping anything (too small to pay, no cache, a
        digest that cannot be had: every unit left unparsed is then parsed). A unit parsed from a text an earlier
        run digested is not digested again; a unit left unparsed keeps its record's summary, or is parsed now."""
        if self._raw is None and (size < MIN_BYTES or not cache.enabled() or type(data) is not dict):
            return False
        skeleton, units = _cut(data)
        self.data, self.units = data, units
        for unit in units:
            if type(unit.value) is Unparsed:
                unit.value.unit = unit
                self.unparsed += 1
        if size < MIN_BYTES or not cache.enabled() or not self._digested(units):
            self.parse_all()
            self.data, self.units = None, []
            return False
        records, _, _ = self._stored()
        if records:
            self._read_records(units, records)
        for unit in units:
            if type(unit.value) is Unparsed and unit.summary is None:  # no record of it to read instead
                self.value(unit.value)
        self.skeleton, self._held = skeleton, len(records)
        return True

    def _read_records(self, units: list[Unit], records: dict[bytes, Record]) -> None:
        """Each unit's record, where the cache holds one; with it, a unit left unparsed takes its summary."""
        for unit in units:
            record = records.get(unit.digest)  # type: ignore[arg-type]
            if type(record) is tuple and len(record) == 3 and type(record[0]) is int:  # a walk that does not fit
                summary: Any
                unit.depth, unit.walked, summary = record  # fails check_refs' replay, which then walks the file
                self.replaying = True  # whole
                if type(unit.value) is not Unparsed:
                    continue
                if _fits(summary, unit.walked):
                    unit.summary = Summary(*summary)
                elif summary is not None:  # not one this code wrote: kept anew
                    self._unfit = True

    def _digested(self, units: list[Unit]) -> bool:
        """Each unit's digest taken, or told by the digest of its text; False where one cannot be had."""
        texts = self._stored()[1]
        parsed = self._parsed
        for unit in units:
            if parsed is not None:
                unit.text_digest = parsed.text_digests.get(unit.place)
                digest = texts.get(unit.text_digest) if unit.text_digest is not None else None
                if digest is not None:
                    unit.digest = digest
                    continue
            unit.digest = _digest(unit)
            if unit.digest is None:
                return False
        return True

    def value(self, node: Any) -> Any:
        """``node``, or the data of the unit it stands for where it is ``Unparsed``: parsed now (a text the
        duplicate-key check passed before, at this place) and put in the root's data in its place."""
        if type(node) is not Unparsed:
            return node
        unit = node.unit
        assert unit is not None and self._raw is not None, "an unparsed unit is cut from the file's bytes"
        if type(unit.value) is Unparsed:
            text = self._raw[node.start : node.end].decode("utf-8")
            value, end = _PLAIN(text, 0)
            if end != len(text):  # the digest of its text is one an earlier run parsed whole: never so
                raise ValueError(f"unit {unit.pointer} does not read as it did")
            unit.value = value
            parent = self.data
            for token in unit.place[:-1]:
                parent = parent[token]
            parent[unit.place[-1]] = value
            self.unparsed -= 1
        return unit.value

    def parse_all(self) -> None:
        """Every unit left unparsed parsed now: for a reader that walks the data itself."""
        if self.unparsed:
            for unit in self.units:
                if type(unit.value) is Unparsed:
                    self.value(unit.value)

    def parse_under(self, place: tuple[str, ...]) -> None:
        """Every unit left unparsed at or below ``place`` parsed now."""
        if self.unparsed and place not in self._parsed_under:
            self._parsed_under.add(place)
            size = len(place)
            for unit in self.units:
                if type(unit.value) is Unparsed and unit.place[:size] == place:
                    self.value(unit.value)

    def deeper_than(self, limit: int) -> bool:
        """``_deeper_than(data, limit)``, from the units' depths (recorded, or measured now)."""
        if not self.replaying:
            return _deeper_than(self.data, limit)
        if _deeper_than(self.skeleton, limit):
            return True
        for unit in self.units:
            if unit.depth is None:
                unit.depth = _depth(self.value(unit.value))
            if len(unit.place) + unit.depth > limit:  # the unit sits len(place) + 1 levels down
                return True
        return False

    def abandon(self) -> None:
        """The walk by units failed: nothing of this run is kept."""
        self._abandoned = True

    def changed(self) -> bool:
        """Whether this run has records to keep: a unit new or gone since the records kept, a unit's text new
        (though its data is not: a file written out another way) or its length, a summary that did not fit."""
        if self._abandoned or self.data is None:
            return False
        held = sum(unit.walked is not None for unit in self.units)
        if held != len(self.units) or held != self._held or self._unfit:
            return True
        parsed = self._parsed
        if parsed is None:
            return False
        _, texts, lengths = self._stored()
        if len(texts) != len(self.units) or any(unit.text_digest not in texts for unit in self.units):
            return True
        spans = parsed.spans
        return any(lengths.get(place) != end - start for place, (start, end) in spans.items())

    def store(self) -> None:
        """Writes every unit's record, this run's findings included, and the digests of the units' texts."""
        if not self.changed():
            return
        if not self.replaying:
            self._share_whole_walk()
        records: dict[bytes, Record] = {}
        for unit in self.units:
            assert unit.digest is not None, "every unit is digested when cut"
            depth = unit.depth if unit.depth is not None else _depth(unit.value)
            walked = unit.walked if unit.walked is not None else unit.record()
            summary = tuple(unit.summary) if unit.summary is not None else _summary(unit.place, unit.value, walked)
            records[unit.digest] = (depth, walked, summary)
        texts, lengths = self._texts()
        cache.write_entry(KIND, self._key(), marshal.dumps((records, texts, lengths)))
        cache.keep_newest(KIND, KEPT_ENTRIES)

    def _texts(self) -> tuple[dict[bytes, bytes], dict[tuple[str, ...], int]]:
        """Each unit's digest by the digest of its place and text, and the length of its text by its place: where
        the file was parsed by units, as it was; where a first run parsed the file whole (the duplicate-key check
        on every object), its texts found again here, in the keeper's process (GitHub's: ~60 ms, beside a first
        run's rendering)."""
        if self._parsed is None and self._parsed_whole is not None:
            try:
                again = _UnitParser(self._parsed_whole, {}, checked_before=True)
                again.parse()
            except Exception:
                return {}, {}
            digests, spans = again.text_digests, again.spans
        elif self._parsed is not None:
            digests = {unit.place: unit.text_digest for unit in self.units if unit.text_digest is not None}
            spans = self._parsed.spans
        else:
            return {}, {}
        texts: dict[bytes, bytes] = {}
        lengths: dict[tuple[str, ...], int] = {}
        for unit in self.units:
            text_digest = digests.get(unit.place)
            span = spans.get(unit.place)
            if text_digest is None or unit.digest is None or span is None:
                return {}, {}
            texts[text_digest] = unit.digest
            lengths[unit.place] = span[1] - span[0]
        return texts, lengths

    def _stored(self) -> _Entry:
        """The cache's entry: records by unit digest, unit digests by the digest of their text at their place
        (a unit text an earlier run parsed, with the duplicate-key check or from a text checked before), and the
        length of each unit's text by its place."""
        if self._entry is None:
            stored = cache.read_view(KIND, self._key())
            self._entry = _entry(stored) if stored is not None else ({}, {}, {})
        return self._entry

    def _share_whole_walk(self) -> None:
        """Gives each unit the uses and compositions the walk of the whole file met in it (those whose way goes
        through it: a walk goes through a node's descendants in one stretch, in the order a walk of the node
        alone would)."""
        at = {unit.place: unit for unit in self.units}
        for ref, way in self.uses:
            unit = _unit_at(at, way)
            if unit is not None:
                if unit.uses is None:
                    unit.uses = []
                unit.uses.append((ref, way))
        for way in self.compositions:
            unit = _unit_at(at, way)
            if unit is not None:
                unit.compositions.append(way)

    def outside_paths_digest(self) -> bytes:
        """What tells the root file outside ``paths`` from any other (``normalise.kept.inputs_key``): the
        skeleton without ``paths``, each unit as its digest (bytes, which JSON's data never holds)."""
        outside = {key: _digested(value, 1) for key, value in self.skeleton.items() if key != "paths"}
        return b"units\0" + hashlib.sha256(marshal.dumps(outside, 0)).digest()

    def skeleton_digest(self) -> bytes:
        """What tells the skeleton from any other: its data, each unit as the same mark (bytes, which JSON's data
        never holds), so two files with the same digest differ only inside their units, which sit at the same
        places in the same order."""
        if self._skeleton_digest is None:
            shape = {key: _digested(value, 1, mark=b"") for key, value in self.skeleton.items()}
            self._skeleton_digest = hashlib.sha256(marshal.dumps(shape, 0)).digest()
        return self._skeleton_digest

    def path_item_digests(self) -> dict[str, str]:
        """Each path item's digest (``normalise.replay``), by its path."""
        return {unit.place[1]: unit.digest.hex() for unit in self.units if unit.place[0] == "paths" and unit.digest}

    def _key(self) -> str:
        from .writer import fingerprint

        return hashlib.sha256(f"{fingerprint()}\0{self.root}".encode("utf-8", "surrogatepass")).hexdigest()


def _digested(node: Any, depth: int, mark: bytes | None = None) -> Any:
    """A node of the skeleton with each unit in it as its digest, or as ``mark`` where given (units sit three
    levels down at most)."""
    if type(node) is Cut:
        return node.unit.digest if mark is None else mark
    if type(node) is dict and depth < 3:
        return {key: _digested(value, depth + 1, mark) for key, value in node.items()}
    return node


def _unit_at(units: dict[tuple[str, ...], Unit], way: Way) -> Unit | None:
    """The unit a way goes through, if any."""
    tokens = tokens_of(way)
    place = tuple(tokens[:3] if tokens[:1] == ["components"] else tokens[:2])
    return units.get(place)  # type: ignore[arg-type]


def _cut(data: dict[str, Any]) -> tuple[dict[str, Any], list[Unit]]:
    """The skeleton of a root file and its units. A ``$ref`` member is never cut or hollowed: the walk reads
    its value."""
    skeleton = dict(data)
    units: list[Unit] = []
    for key, members in data.items():
        if key == "$ref" or type(members) is not dict:
            continue
        if key != "components":
            skeleton[key] = _hollowed(members, (key,), units)
            continue
        shell = skeleton[key] = dict(members)
        for kind, named in members.items():
            if kind != "$ref" and type(named) is dict:
                shell[kind] = _hollowed(named, (key, kind), units)
    return skeleton, units


def _hollowed(members: dict[str, Any], place: tuple[str, ...], units: list[Unit]) -> dict[str, Any]:
    shell = dict(members)
    for name, value in members.items():
        if name != "$ref" and (type(value) is dict or type(value) is list or type(value) is Unparsed):
            unit = Unit((*place, name), value)
            units.append(unit)
            shell[name] = Cut(unit)
    return shell


def _digest(unit: Unit) -> bytes | None:
    """The digest of a unit's place and content. Its first byte, 0xFF, starts no UTF-8 text: no digest of
    ``normalise.replay.item_digest``'s (a path's text first) is taken of the same bytes."""
    digest = hashlib.sha256(b"\xff")
    try:
        digest.update(marshal.dumps((unit.place, unit.value), 0))
    except (ValueError, RecursionError):  # nested past marshal's bound: walked whole
        return None
    return digest.digest()


def _depth(data: Any) -> int:
    """How many levels down the deepest node of ``data`` (a dict or list) sits, ``data`` 1."""
    deepest = 1
    stack: list[tuple[Any, int]] = [(data, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if depth > deepest:
            deepest = depth
        for child in node.values() if type(node) is dict else node:
            if type(child) is dict or type(child) is list:
                push((child, depth + 1))
    return deepest


_Entry = tuple[dict[bytes, Record], dict[bytes, bytes], dict[tuple[str, ...], int]]


def _entry(stored: memoryview) -> _Entry:
    """The records, the units' text digests and their texts' lengths in an entry; none where it does not read as
    such."""
    try:
        entry = marshal.loads(stored)  # noqa: S302 - an entry this user's clientgen wrote (its HMAC checked)
    except (ValueError, EOFError, TypeError):
        return {}, {}, {}
    if type(entry) is not tuple or len(entry) != 3 or not all(type(part) is dict for part in entry):
        return {}, {}, {}
    records, texts, lengths = entry
    if not all(type(key) is bytes and type(value) is bytes for key, value in texts.items()):
        return records, {}, {}
    if not all(type(key) is tuple and type(value) is int and value > 0 for key, value in lengths.items()):
        lengths = {}
    return records, texts, lengths


def _summary(place: tuple[str, ...], value: Any, walked: WalkRecord) -> tuple[Any, ...] | None:
    """What the loader and the normaliser read of a unit without parsing it (``Summary``, as a tuple); None where
    it holds what a summary does not say (a ``$ref`` that is not a text, ``properties`` that are not an object)."""
    unions = []
    for tokens in walked[3]:
        node = value
        try:
            for token in tokens:
                node = node[token]
        except (KeyError, IndexError, TypeError):  # a record that is not this data's: no summary
            return None
        unions.append(references_union(node))
    if type(value) is not dict:
        return (False, None, (), False, (), tuple(unions))
    ref = value.get("$ref")
    properties = value.get("properties")
    if ("$ref" in value and type(ref) is not str) or (properties and type(properties) is not dict):
        return None
    operation_ids: tuple[tuple[str, str], ...] = ()
    if place[0] == "paths":  # as ``Documents.check_operation_ids`` reads them
        operation_ids = tuple(
            (str(key), str(member["operationId"]))
            for key, member in value.items()
            if type(member) is dict and "operationId" in member
        )
    consts = tuple(string_consts(value).items())
    return (True, ref, operation_ids, type(value.get("discriminator")) is dict, consts, tuple(unions))


def _fits(summary: Any, walked: WalkRecord | None) -> bool:
    """Whether a recorded summary reads as one, for the unit's record."""
    return (
        type(summary) is tuple
        and len(summary) == len(Summary._fields)
        and type(walked) is tuple
        and len(walked) == 4
        and type(summary[5]) is tuple
        and len(summary[5]) == len(walked[3])
    )


# JSON's own scanners (``json.loads``'s): with the duplicate-key check (``documents._json_object``) and without.
# (typeshed leaves these out: they are the json module's own, as ``json.loads`` uses them)
Scanner = Callable[[str, int], tuple[Any, int]]
_CHECKED: Scanner = json.decoder.JSONDecoder(object_pairs_hook=_json_object).scan_once  # type: ignore[attr-defined]
_PLAIN: Scanner = json.decoder.JSONDecoder().scan_once  # type: ignore[attr-defined]
_SPACE: Callable[[str, int], Any] = json.decoder.WHITESPACE.match  # type: ignore[attr-defined]
_STRING: Callable[[str, int, bool], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
Member = Callable[[int, tuple[str, ...], str], tuple[Any, int]]


class _NotByUnits(Exception):
    """The text does not read this way (not an object at the top, invalid where read here): parsed whole."""


class _UnitParser:
    """A JSON text whose top is an object, parsed as ``json.loads`` with the duplicate-key check parses it: the
    objects that hold units (``_cut``'s: the top object, its object members, ``components``' kinds) key by key
    here, as JSON's parser steps through an object; a unit by JSON's scanner without the check where the digest
    of its place and text is ``known`` (a text parsed with the check before), else with it; everything else with
    it. Anything invalid (not UTF-8 either), or a duplicate key, fails the parse (``_NotByUnits``, or the
    scanner's own error): the file is then parsed whole.

    The file is read as Latin-1, a character a byte, so that every offset is its bytes' (a unit's span, its
    length, its digest over the very bytes) and a text past ASCII is not made 2-4 bytes a character (GitHub's
    published file, one emoji in 13 MB: 52 MB): JSON's structure is ASCII, so the scanner steps through it
    alike, and a key, a value or a unit whose bytes are past ASCII is read again from its bytes as UTF-8, the
    scanner's error or a duplicate said there as on the whole text."""

    def __init__(
        self,
        raw: bytes,
        known: dict[bytes, bytes],
        checked_before: bool = False,
        lengths: dict[tuple[str, ...], int] | None = None,
    ) -> None:
        """``checked_before``: the whole text was parsed with the check already (a first run's, read again for its
        units' texts): each unit without it. ``lengths``: each unit's text's length in bytes when an earlier run
        parsed it, by its place: a unit whose text at its place is that long and ``known`` is left
        ``Unparsed``."""
        self.text = raw.decode("latin-1")
        self.raw = memoryview(raw)
        self.ascii = raw.isascii()  # no value read again from its bytes
        self.known = known
        self.checked_before = checked_before
        self.lengths = lengths or {}
        self.unparsed = 0
        self.spans: dict[tuple[str, ...], tuple[int, int]] = {}  # each unit's text, by its place
        self.text_digests: dict[tuple[str, ...], bytes] = {}
        self.checked: list[tuple[str, ...]] = []
        self._known_spans: list[tuple[int, int]] = []
        self._known_starts: list[int] | None = None

    def parse(self) -> dict[str, Any]:
        text = self.text
        start = _SPACE(text, 0).end()
        if not text.startswith("{", start):
            raise _NotByUnits
        data, end = self._object(start, (), self._top_member)
        if _SPACE(text, end).end() != len(text):
            raise _NotByUnits
        return data

    def parsed_before(self, at: int) -> bool:
        if self._known_starts is None:
            checked = set(self.checked)
            self._known_spans = [span for place, span in self.spans.items() if place not in checked]  # text order
            self._known_starts = [start for start, _ in self._known_spans]
        index = bisect.bisect_right(self._known_starts, at) - 1
        return index >= 0 and at < self._known_spans[index][1]

    def done(self) -> None:
        """The text and bytes are let go (the walks keep the bytes where units were left unparsed)."""
        self.text, self.raw = "", memoryview(b"")

    def text_digest(self, place: tuple[str, ...]) -> bytes:
        """The digest of a unit's place and text. Its first byte, 0xFE, is neither a unit digest's (0xFF) nor any
        UTF-8 text's."""
        start, end = self.spans[place]
        digest = hashlib.sha256(b"\xfe")
        digest.update(marshal.dumps(place, 0))
        digest.update(self.raw[start:end])
        return digest.digest()

    def _value(self, start: int, scan: Scanner) -> tuple[Any, int]:
        """The value at ``start`` scanned by ``scan``, read again from its bytes where they are past ASCII."""
        value, end = scan(self.text, start)
        if not self.ascii:
            piece = bytes(self.raw[start:end])
            if not piece.isascii():
                value = scan(piece.decode("utf-8"), 0)[0]
        return value, end

    def _object(self, start: int, place: tuple[str, ...], member: Member) -> tuple[dict[str, Any], int]:
        """The object at ``start``, each member's value read by ``member``; where it ends."""
        text = self.text
        found: dict[str, Any] = {}
        at = _SPACE(text, start + 1).end()
        if text.startswith("}", at):
            return found, at + 1
        while True:
            if not text.startswith('"', at):
                raise _NotByUnits
            key, end = _STRING(text, at + 1, True)
            if not key.isascii():  # read again from its bytes
                key = _STRING(bytes(self.raw[at:end]).decode("utf-8"), 1, True)[0]
            at = _SPACE(text, end).end()
            if not text.startswith(":", at) or key in found:
                raise _NotByUnits
            found[key], at = member(_SPACE(text, at + 1).end(), place, key)
            at = _SPACE(text, at).end()
            if text.startswith("}", at):
                return found, at + 1
            if not text.startswith(",", at):
                raise _NotByUnits
            at = _SPACE(text, at + 1).end()

    def _top_member(self, start: int, place: tuple[str, ...], key: str) -> tuple[Any, int]:
        if key != "$ref" and self.text.startswith("{", start):
            return self._object(start, (key,), self._kind if key == "components" else self._unit)
        return self._value(start, _CHECKED)

    def _kind(self, start: int, place: tuple[str, ...], kind: str) -> tuple[Any, int]:
        if kind != "$ref" and self.text.startswith("{", start):
            return self._object(start, (*place, kind), self._unit)
        return self._value(start, _CHECKED)

    def _unit(self, start: int, place: tuple[str, ...], name: str) -> tuple[Any, int]:
        text = self.text
        if name == "$ref" or not text.startswith(("{", "["), start):  # no unit: a scalar, or read by the walk
            return self._value(start, _CHECKED)
        here = (*place, name)
        length = self.lengths.get(here)
        if length is not None:  # the text an earlier run parsed here, if its digest is known: no need to read it
            end = start + length
            self.spans[here] = (start, end)
            digest = self.text_digest(here)
            if digest in self.known:
                self.text_digests[here] = digest
                self.unparsed += 1
                return Unparsed(start, end), end
        if self.checked_before:  # read for its text's digest alone: the data is let go at once (a first run's
            value, end = _PLAIN(text, start)  # keeper would hold all of it again: GitHub's peaked at 210 MiB)
            self.spans[here] = (start, end)
            self.text_digests[here] = self.text_digest(here)
            return None, end
        value, end = self._value(start, _PLAIN if self.known else _CHECKED)
        self.spans[here] = (start, end)
        digest = self.text_digests[here] = self.text_digest(here)
        if digest not in self.known:
            if self.known:
                value, end = self._value(start, _CHECKED)
            self.checked.append(here)
        return value, end
