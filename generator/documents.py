"""The files of one spec: parsed once, references resolved, JSON pointers mapped to lines.

Shared by the loader and the overlay engine (each imports this module, never the other). Line maps
are built lazily: they are needed only when an error must say where it is.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import unquote

from .errors import SpecError

if TYPE_CHECKING:
    import yaml

    from .walks import KeptWalks

# Bounds on what one spec file may make clientgen do. The largest public spec known (GitHub's,
# dereferenced) is 73 MB; the deepest of 2,702 public specs nests 35 levels.
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 200
# Nodes a YAML file may expand to through its aliases (a billion-laughs file expands to 10^9).
MAX_EXPANDED_NODES = 5_000_000
# libyaml's composer recurses in C: far below the depth where it overflows the stack (about 20,000),
# a file is first measured event by event.
_DEPTH_SCREEN = 5_000
_ANCHOR = re.compile(r"(?:^|[\s\[{,])&[^\s\[\]{},]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]|\\U0000[dD][89a-fA-F]")
# In a JSON text, escaped backslashes and surrogate pairs (json decodes a high surrogate escape right before
# a low one as one character), taken left to right: with them taken out, a surrogate escape left is lone.
_JSON_PAIRED = re.compile(r"\\\\|\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_LONG_DIGITS = re.compile(r"\d{4000,}")


# A YAML file's composed nodes (~20x its size in memory) are kept from parsing up to this size.
_KEPT_NODES_MAX_CHARS = 2_000_000


@cache
def _spec_loader() -> Any:
    """The YAML loader class, made on first use: a JSON spec never needs PyYAML (~15 ms to import)."""
    import yaml

    class SpecLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        """Safe YAML loader that keeps the data JSON-shaped: timestamps stay strings, every mapping key is
        the text it was written as (``200``, ``true`` and ``null`` keys are strings, as in JSON), and a key
        written twice in one mapping is refused at its line instead of silently replacing the first."""

        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[str, Any]:
            seen: set[str] = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                if not isinstance(key_node, yaml.ScalarNode):
                    raise yaml.constructor.ConstructorError(
                        None, None, "a mapping key must be a string, not a list or mapping", key_node.start_mark
                    )
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key_node.value!r} in one mapping", key_node.start_mark
                    )
                seen.add(key_node.value)
            self.flatten_mapping(node)  # YAML merge keys (<<): merged entries first, the mapping's own win
            mapping: dict[str, Any] = {}
            for key_node, value_node in node.value:
                mapping[str(key_node.value)] = self.construct_object(value_node, deep=deep)
            return mapping

    SpecLoader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return SpecLoader


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        seen: set[str] = set()
        raise _DuplicateKey(next(k for k, _ in pairs if k in seen or seen.add(k)))  # type: ignore[func-returns-value]
    return mapping


class Location(NamedTuple):
    """Where a node lives: a file and a JSON pointer inside it ("" is the whole document). A named tuple, not
    a frozen dataclass: normalising GitHub's spec makes ~64k of them and hashes ~280k."""

    file: Path
    pointer: str

    def child(self, *tokens: str | int) -> Location:
        return Location(self.file, join_pointer(self.pointer, *tokens))


def join_pointer(pointer: str, *tokens: str | int) -> str:
    for token in tokens:
        text = str(token)
        pointer += "/" + (text.replace("~", "~0").replace("/", "~1") if "~" in text or "/" in text else text)
    return pointer


def split_pointer(pointer: str) -> list[str]:
    if pointer in ("", "/"):
        return []
    if not pointer.startswith("/"):
        raise ValueError(pointer)
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


class Documents:
    """Every file of one spec, parsed once; resolves references and maps pointers to lines."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._base_dir = self.root.parent
        self._data: dict[Path, Any] = {}
        self._raw: dict[Path, bytes] = {}
        self._line_maps: dict[Path, yaml.Node | None] = {}
        self._json_lookups: dict[Path, int] = {}
        self._derefs: dict[tuple[Location, str], tuple[Any, Location]] = {}  # a $ref -> the end of its chain
        self._resolved: dict[tuple[Path, str], tuple[Any, Location]] = {}  # a $ref in a file -> its target
        self._compositions: dict[Path, list[Way]] = {}  # where each file has a oneOf or anyOf (check_refs)
        self._single_file: bool | None = None  # as the process that read every file found (read_elsewhere)
        self._into_paths = False  # a $ref resolved so far leads into the root's paths (or is the whole root)
        self._walks: KeptWalks | None = None  # the root file's units and earlier runs' walks of them

    @classmethod
    def read_elsewhere(cls, root: Path, raw: bytes, data: Any, single_file: bool) -> Documents:
        """The documents of a spec whose root file another process read (``raw``) and parsed, overlays
        applied (``data``), and found to be the whole spec or not (``single_file``); any other file it refers
        to is read here when asked for."""
        documents = cls(root)
        documents._raw[documents.root] = raw
        documents._data[documents.root] = data
        documents._single_file = single_file
        return documents

    # -- files ---------------------------------------------------------------------------------

    def get(self, path: Path) -> Any:
        if path in self._data:  # the paths of Locations are resolved already
            return self._data[path]
        path = path.resolve()
        if path not in self._data:
            self._data[path] = self._parse(path)
        return self._data[path]

    def replace(self, path: Path, data: Any) -> None:
        """Install modified data for a file (after overlays)."""
        self._data[path.resolve()] = data
        self._derefs.clear()
        self._resolved.clear()

    def files(self) -> list[Path]:
        return sorted(self._raw)

    def keep_walks(self) -> None:
        """Walk the root file by units, replaying what earlier runs found in units unchanged since and keeping
        what this run finds (``walks``): called before the root file is read."""
        from .walks import KeptWalks

        self._walks = KeptWalks(self.root)

    def walks(self) -> KeptWalks | None:
        """The root file's units as ``check_refs`` walked them, or None where it walked the file whole."""
        walks = self._walks
        return walks if walks is not None and walks.data is self._data.get(self.root) else None

    def raw(self, path: Path) -> bytes:
        return self._raw[path.resolve()]

    def _parse(self, path: Path) -> Any:
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise SpecError(
                    f"file is {size / 2**20:.0f} MB; clientgen reads spec files up to {MAX_FILE_BYTES // 2**20} MB",
                    file=path,
                )
            raw = path.read_bytes()
        except OSError as exc:
            raise SpecError(f"cannot read spec file: {exc.strerror}", file=path) from None
        self._raw[path] = raw
        is_json = path.suffix.lower() == ".json"
        walks = self._walks if path == self.root else None
        data = walks.parse(raw) if walks is not None and is_json else None  # by units: its bytes checked there
        by_units = data is not None
        text = walks.text if walks is not None and by_units else _utf8(path, raw)  # offsets: bytes', by units
        if data is None:
            data = self._parse_json(path, text) if is_json else self._parse_yaml(path, text)
        if walks is not None and not (is_json and walks.cut(data, len(raw))):
            walks = self._walks = None  # YAML's data is not digested (``walks``): the file is walked whole
        if walks.deeper_than(MAX_DEPTH) if walks is not None else _deeper_than(data, MAX_DEPTH):
            if by_units:  # parsed a few levels down: what the whole parse could not read (Python's stack), it says
                self._parse_json(path, _utf8(path, raw))
            if walks is not None:
                walks.parse_all()
            pointer = _deep_pointer(data, MAX_DEPTH)
            raise self.error(f"nesting deeper than {MAX_DEPTH} levels", Location(path, pointer))
        if _may_hold_lone_surrogates(text, is_json, walks.parsed_before if walks is not None and by_units else None):
            self._refuse_lone_surrogates(path, data)
        if walks is not None:
            walks.text = ""  # read: let go
        return data

    def _parse_json(self, path: Path, text: str) -> Any:
        try:
            return json.loads(text, object_pairs_hook=_json_object)
        except json.JSONDecodeError as exc:
            raise SpecError(f"invalid JSON: {exc.msg}", file=path, line=exc.lineno) from None
        except _DuplicateKey as exc:
            line, pointer = _duplicate_key_place(text, exc.key)
            raise SpecError(f"duplicate key {exc.key!r} in one object", file=path, line=line, pointer=pointer) from None
        except RecursionError:
            raise SpecError(
                f"nesting deeper than {MAX_DEPTH} levels", file=path, line=_json_too_deep_line(text)
            ) from None
        except ValueError as exc:  # an integer past Python's digit limit
            raise self._number_error(path, text, exc) from None

    def _parse_yaml(self, path: Path, text: str) -> Any:
        import yaml

        if _ANCHOR.search(text) or _may_nest_deeper_than(text, _DEPTH_SCREEN):
            self._check_yaml_shape(path, text)
        try:
            if len(text) > _KEPT_NODES_MAX_CHARS or "<<" in text or _ANCHOR.search(text):
                return yaml.load(text, Loader=_spec_loader())  # noqa: S506 - a safe loader subclass
            # yaml.load's own two steps, the nodes kept for line_of: nearly every Airflow spec draws a
            # warning, and composing the file again for its line was ~50 ms of each run. Merge keys are
            # flattened into their nodes as they are built, hence never kept then.
            loader = _spec_loader()(text)
            try:
                node = loader.get_single_node()
                data = loader.construct_document(node) if node is not None else None
            finally:
                loader.dispose()
            self._line_maps[path] = node
            return data
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            line = mark.line + 1 if mark is not None else None
            raise SpecError(f"invalid YAML: {problem}", file=path, line=line) from None
        except (ValueError, RecursionError) as exc:
            raise self._number_error(path, text, exc) from None

    @staticmethod
    def _number_error(path: Path, text: str, exc: Exception) -> SpecError:
        found = _LONG_DIGITS.search(text)
        if found is None:
            return SpecError(f"cannot read spec file: {' '.join(str(exc).split())}", file=path)
        line = text.count("\n", 0, found.start()) + 1
        return SpecError("a number of more than 4,000 digits (no API needs one)", file=path, line=line)

    def _check_yaml_shape(self, path: Path, text: str) -> None:
        """Measure a YAML file from its events, before anything builds it: nesting depth, and the
        nodes its aliases expand to (an alias inside its own anchor expands forever)."""
        import yaml

        shape = _YamlShape(path)
        try:
            for event in yaml.parse(text, Loader=_spec_loader()):
                shape.take(event)
        except yaml.MarkedYAMLError as exc:
            if "maximum nesting depth" in str(exc.problem):
                # PyYAML 6.0.4 limits flow nesting itself, scanning ahead of the events taken here
                raise shape.fail(f"nesting deeper than {MAX_DEPTH} levels", exc.problem_mark) from None
            return  # the loader says what is wrong, at its line
        except yaml.YAMLError:
            return

    def _refuse_lone_surrogates(self, path: Path, data: Any) -> None:
        """A ``\\ud800`` escape without its pair decodes to a string no file can hold."""
        stack: list[tuple[Any, str]] = [(data, "")]
        while stack:
            node, pointer = stack.pop()
            items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
            for key, value in items:
                for text in (key, value):
                    if isinstance(text, str) and not text.isascii():
                        try:
                            text.encode("utf-8")
                        except UnicodeEncodeError:
                            at = join_pointer(pointer, key)
                            raise self.error(
                                "a string holds a lone surrogate escape (\\ud800-\\udfff without its pair)",
                                Location(path, at),
                            ) from None
                if isinstance(value, (dict, list)):
                    stack.append((value, join_pointer(pointer, key)))

    # -- lines ---------------------------------------------------------------------------------

    def line_of(self, path: Path, pointer: str) -> int | None:
        """Line of the deepest node on the way to ``pointer`` (a member's key line; found on demand, for
        errors and warnings). A JSON file is stepped through as text for its first few lookups (composing
        it as YAML nodes takes seconds and hundreds of MiB on a big spec), composed once after that."""
        path = path.resolve()
        if path.suffix.lower() == ".json" and path not in self._line_maps and path in self._raw:
            lookups = self._json_lookups[path] = self._json_lookups.get(path, 0) + 1
            if lookups <= _JSON_SCANS:
                scanned = _json_line(self._raw[path].decode("utf-8"), pointer)
                if scanned is not None:
                    return scanned
        if path not in self._line_maps:
            import yaml

            try:
                text = self._raw[path].decode("utf-8")
                self._line_maps[path] = yaml.compose(text, Loader=_spec_loader())
            except (KeyError, UnicodeDecodeError, yaml.YAMLError):
                self._line_maps[path] = None
        node = self._line_maps[path]
        if node is None:
            return None
        line: int = node.start_mark.line + 1
        for token in split_pointer(pointer):
            found = _yaml_child(node, token)
            if found is None:
                break
            node, line = found
        return line

    def lines_of(self, path: Path, pointers: list[str]) -> dict[str, int | None]:
        """``line_of`` for many pointers in one file (a run's warnings): a JSON file is stepped through
        once for all of them (a text on one line holds them all on line 1), never composed."""
        path = path.resolve()
        if path.suffix.lower() == ".json" and path not in self._line_maps and path in self._raw:
            try:
                text = self._raw[path].decode("utf-8")
            except UnicodeDecodeError:
                text = ""
            found = _json_lines(text, pointers) if text else None
            if found is not None:
                return dict(found)
        return {pointer: self.line_of(path, pointer) for pointer in pointers}

    def error(self, message: str, at: Location) -> SpecError:
        return SpecError(message, file=at.file, line=self.line_of(at.file, at.pointer), pointer=at.pointer)

    # -- references ----------------------------------------------------------------------------

    def resolve(self, ref: Any, at: Location, unparsed: bool = False) -> tuple[Any, Location]:
        """The node a ``$ref`` (found at ``at``) points to, and where that node lives: the same for every
        use of that ``$ref`` in that file (GitHub's spec: 9k uses of 1.5k references). A unit of the root file
        left unparsed (``Unparsed``) is parsed on the way, and where the node is one, unless ``unparsed``
        (a reader that knows it: ``check_refs``), which then gets it as it is (and so is it kept, until a reader
        that does not know it asks)."""
        if not isinstance(ref, str):
            raise self.error("$ref must be a string", at)
        known = self._resolved.get((at.file, ref))
        if known is None:
            known = self._resolved[(at.file, ref)] = self._resolve(ref, at)
        if type(known[0]) is Unparsed and not unparsed:
            known = self._resolved[(at.file, ref)] = (self.parsed(known[0]), known[1])
        return known

    def parsed(self, node: Any) -> Any:
        """``node``, or the data of the root file's unit it stands for (``walks.KeptWalks.value``)."""
        if type(node) is Unparsed:
            assert self._walks is not None, "units are left unparsed only where the root file is cut"
            return self._walks.value(node)
        return node

    def parse_all(self) -> None:
        """Every unit of the root file left unparsed is parsed now: for a reader of the whole data."""
        if self._walks is not None:
            self._walks.parse_all()

    def _resolve(self, ref: str, at: Location) -> tuple[Any, Location]:
        file_part, _, fragment = ref.partition("#")
        if "://" in file_part:
            raise self.error(f"remote $ref {ref!r} is not supported (refs must be local files)", at)
        target = at.file
        if file_part:
            target = (at.file.parent / unquote(file_part)).resolve()
            if not target.is_relative_to(self._base_dir):
                raise self.error(f"$ref {ref!r} leaves the spec's directory", at)
            if not target.is_file():
                raise self.error(f"$ref {ref!r}: file {file_part!r} does not exist", at)
        pointer = unquote(fragment)
        try:
            tokens = split_pointer(pointer)
        except ValueError:
            raise self.error(f"$ref {ref!r} has a malformed JSON pointer", at) from None
        node = self._node_at(target, tokens, ref, at)
        if target == self.root and (not tokens or tokens[0] == "paths"):
            self._into_paths = True
        return node, Location(target, pointer)

    def _node_at(self, file: Path, tokens: list[str], ref: str, at: Location) -> Any:
        """The node of ``file`` at ``tokens`` (``ref``'s, found at ``at``): a unit left unparsed on the way is
        parsed."""
        node = self.get(file)
        for token in tokens:
            if type(node) is Unparsed:
                node = self.parsed(node)
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                raise self.error(f"$ref target {ref!r} does not exist", at)
        return node

    def deref(self, node: Any, at: Location, unparsed: bool = False) -> tuple[Any, Location]:
        """Follow a chain of ``{$ref: ...}`` objects to the first node that is not a reference.

        Every link's end is remembered, so resolving each link of a chain of n costs n steps in all. With
        ``unparsed``, a unit of the root file left unparsed is followed by its summary and given as it is
        (``resolve``)."""
        if not unparsed:
            node = self.parsed(node)
        links: list[tuple[Location, str]] = []
        seen = [at]
        seen_set = {at}
        while (isinstance(node, dict) and "$ref" in node) or (type(node) is Unparsed and node.summary.ref is not None):
            ref: Any
            if isinstance(node, Unparsed):
                ref = node.summary.ref
            else:
                ref = node["$ref"]
            known = self._derefs.get((at, ref)) if isinstance(ref, str) else None
            if known is not None:
                node, at = known
                break
            node, target = self.resolve(ref, at, unparsed)
            if target in seen_set:
                chain = " -> ".join(f"#{loc.pointer}" for loc in [*seen, target])
                raise self.error(f"$ref cycle: {chain}", seen[0])
            links.append((at, ref))
            seen.append(target)
            seen_set.add(target)
            at = target
        for link in links:
            self._derefs[link] = (node, at)
        return (node if unparsed else self.parsed(node)), at

    def check_refs(self) -> None:
        """Resolve every ``$ref`` reachable from the root, so a missing target, a pure reference
        cycle or an ``allOf`` cycle (a schema extending itself) is reported before anything
        else looks at the spec. With the root file cut into units (``walks``), what the walk of a unit
        found is replayed where an earlier run recorded it, and only the other units are walked: the same
        references are followed in the same order, leaving the same state. Should anything fail on that
        way, the state is put back and the file walked whole, which says what failed as it always has."""
        walks = self._walks
        if walks is not None and walks.data is self._data.get(self.root):
            before = self._checked_state()
            try:
                self._check_refs(walks)
                return
            except Exception:
                self._put_back(before)
                walks.abandon()
        self.parse_all()  # walked whole
        self._check_refs(None)

    def _check_refs(self, walks: KeptWalks | None) -> None:
        pending = [self.root]
        visited: set[Path] = set()
        extends: dict[Location, list[tuple[Location, Location]]] = {}
        while pending:
            path = pending.pop()
            if path in visited:
                continue
            visited.add(path)
            # a reference resolves by its file and its text alone: each is followed once per file (lightsail:
            # 3,829 uses of ~700), and a use's pointer made only to say where it fails or what extends what
            refs = _Refs(path, {}, extends, visited, pending, [])
            self._compositions[path] = refs.compositions
            node, uses = self.get(path), None
            if walks is not None and path == self.root:
                if walks.replaying:
                    node = walks.skeleton
                else:  # no unit is known: the file is walked whole, its uses kept for the units' records
                    walks.parse_all()
                    uses = walks.uses = []
                    walks.compositions = refs.compositions
            self._follow(refs, _iter_refs(node, refs.compositions), uses)
        self._check_extension_cycles(extends)

    def _follow(self, refs: _Refs, found: Iterator[tuple[Any, Way]], uses: list[tuple[Any, Way]] | None) -> None:
        """Follows each reference ``found`` in ``refs.file`` (its first use, or each use under an ``allOf``),
        listing each use in ``uses`` (for a unit's record); a unit met in the skeleton is replayed or walked."""
        path, targets, extends, visited, pending = refs.file, refs.targets, refs.extends, refs.visited, refs.pending
        for ref, way in found:
            if type(ref) is Cut:
                self._unit(refs, ref, way)
                continue
            target = targets.get(ref) if isinstance(ref, str) else None
            under_all_of = way is not None and way[0] is not None and way[0][1] == "allOf"
            if target is None or under_all_of:
                at = Location(path, join_pointer("", *tokens_of(way)))
                if target is None:
                    _, target = self.deref({"$ref": ref}, at, unparsed=True)
                    if isinstance(ref, str):
                        targets[ref] = target
                if under_all_of:
                    extends.setdefault(Location(path, at.pointer.rsplit("/", 2)[0]), []).append((target, at))
            if uses is not None:
                uses.append((ref, way))
            if target.file not in visited:
                pending.append(target.file)

    def _unit(self, refs: _Refs, cut: Cut, way: Way) -> None:
        """A unit of the root met by the skeleton's walk: what an earlier run's walk of it found, replayed
        (``walks.WalkRecord``), or the unit walked now (its uses and compositions kept for its record)."""
        unit = cut.unit
        if unit.walked is None:
            self.parsed(unit.value)
            start = len(refs.compositions)
            unit.uses = []
            self._follow(refs, _iter_refs(unit.value, refs.compositions, way, cut.names, cut.within), unit.uses)
            unit.compositions = refs.compositions[start:]
            return
        firsts, lasts, all_of, compositions = unit.walked
        path, targets, visited = refs.file, refs.targets, refs.visited
        files: set[Path] = set()  # the files its references lead to
        for ref, below in firsts:
            target = targets.get(ref)
            if target is None:
                _, target = self.deref({"$ref": ref}, Location(path, unit.pointer + below), unparsed=True)
                targets[ref] = target
            files.add(target.file)
        for ref, below in all_of:
            at = Location(path, unit.pointer + below)
            refs.extends.setdefault(Location(path, at.pointer.rsplit("/", 2)[0]), []).append((targets[ref], at))
        # the files to walk after this one: pushed at each one's last use, which is all the stack's order
        # depends on (an earlier push of a file is popped after the last one, when the file is done)
        if not files <= visited:
            for index in lasts if lasts is not None else range(len(firsts)):
                file = targets[firsts[index][0]].file
                if file not in visited:
                    refs.pending.append(file)
        for tokens in compositions:
            below_way = way
            for token in tokens:
                below_way = (below_way, token)
            refs.compositions.append(below_way)

    def _checked_state(self) -> tuple[dict[Any, Any], ...]:
        """Copies of what ``check_refs`` may change (files read, references resolved, lines looked up)."""
        return tuple(
            dict(held)
            for held in (
                self._data,
                self._raw,
                self._derefs,
                self._resolved,
                self._compositions,
                self._line_maps,
                self._json_lookups,
                {"into_paths": self._into_paths},
            )
        )

    def _put_back(self, state: tuple[dict[Any, Any], ...]) -> None:
        data, raw, derefs, resolved, compositions, line_maps, json_lookups, flags = state
        self._data, self._raw, self._derefs, self._resolved = data, raw, derefs, resolved
        self._compositions, self._line_maps, self._json_lookups = compositions, line_maps, json_lookups
        self._into_paths = flags["into_paths"]

    def refers_into_paths(self) -> bool:
        """Whether some ``$ref`` leads into the root file's ``paths`` (or to the whole root): then what a
        component means can depend on an operation. Complete once ``check_refs`` has resolved every one."""
        return self._into_paths

    def single_file(self) -> bool:
        """Whether the spec is its root file alone: every reference stays in it (``check_refs`` has read every
        file one reaches)."""
        if self._single_file is not None:
            return self._single_file
        return all(path == self.root for path in self._data)

    def compositions(self, path: Path) -> list[Way]:
        """The ways down to the objects of a file that hold a ``oneOf`` or an ``anyOf``, in the order a walk
        of the file finds them (data and extensions, which hold no schema, left out); found by
        ``check_refs``, which walks every file a spec reaches."""
        return self._compositions.get(path.resolve(), [])

    def references_union_at(self, tokens: list[str | int]) -> tuple[str, tuple[Any, ...]] | None:
        """``references_union`` of the root file's node at ``tokens`` (a way of ``compositions``): in a unit left
        unparsed, from its summary."""
        node = self.get(self.root)
        for index in range(len(tokens) + 1):
            if type(node) is Unparsed:
                union = node.unit.union_at(tuple(tokens[index:]))
                if union is not False:
                    return union  # type: ignore[no-any-return]
                node = self.parsed(node)
            if index < len(tokens):
                node = node[tokens[index]]
        return references_union(node)

    def _check_extension_cycles(self, extends: dict[Location, list[tuple[Location, Location]]]) -> None:
        done: set[Location] = set()

        def visit(schema: Location, path: list[Location]) -> None:
            if schema in done:
                return
            for target, at in extends.get(schema, []):
                if target in path or target == schema:
                    raise self.error(f"allOf cycle: #{target.pointer} extends itself", at)
                visit(target, [*path, schema])
            done.add(schema)

        for schema in sorted(extends, key=lambda loc: (str(loc.file), loc.pointer)):
            visit(schema, [])

    def check_operation_ids(self) -> None:
        seen: dict[str, Location] = {}
        paths = self.get(self.root).get("paths") or {}
        for path, item in paths.items() if isinstance(paths, dict) else []:
            for method, op_id in _operation_ids(item):
                at = Location(self.root, join_pointer("", "paths", str(path), str(method), "operationId"))
                if op_id in seen:
                    raise self.error(f"duplicate operationId {op_id!r} (first used at #{seen[op_id].pointer})", at)
                seen[op_id] = at


def _operation_ids(item: Any) -> Iterator[tuple[str, str]]:
    """A path item's members' operationIds, as text, in order (a unit left unparsed: from its summary)."""
    if type(item) is Unparsed:
        yield from item.summary.operation_ids
    elif isinstance(item, dict):
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                yield method, str(operation["operationId"])


class _YamlShape:
    """Nesting depth and alias expansion of a YAML event stream, counted as it goes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.expanded: dict[str, int] = {}  # anchor -> nodes it stands for
        self.open_anchors: set[str] = set()
        # per open collection: [nodes so far, anchor, is a mapping, children so far, last key]
        self.stack: list[list[Any]] = []

    def take(self, event: yaml.Event) -> None:
        import yaml

        kind = type(event)
        if kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            if len(self.stack) >= MAX_DEPTH:
                raise self.fail(f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
            self.stack.append([1, event.anchor, kind is yaml.MappingStartEvent, 0, None])
            if event.anchor:
                self.open_anchors.add(event.anchor)
        elif kind is yaml.ScalarEvent:
            self.add(1, event.anchor, event, event.value)
        elif kind is yaml.AliasEvent:
            if event.anchor in self.open_anchors:
                message = f"alias *{event.anchor} is inside the node it names: it expands forever"
                raise self.fail(message, event.start_mark)
            self.add(self.expanded.get(event.anchor, 1), None, event, None)
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            nodes, anchor = self.stack.pop()[:2]
            self.open_anchors.discard(anchor)
            self.add(nodes, anchor, event, None)

    def add(self, nodes: int, anchor: str | None, event: yaml.Event, scalar: str | None) -> None:
        if anchor:
            self.expanded[anchor] = nodes
        if not self.stack:
            return
        parent = self.stack[-1]
        parent[0] += nodes
        if parent[0] > MAX_EXPANDED_NODES:
            raise self.fail(f"aliases expand this file past {MAX_EXPANDED_NODES:,} nodes", event.start_mark)
        if parent[2] and parent[3] % 2 == 0:  # a mapping's key
            parent[4] = scalar if scalar is not None else parent[3] // 2
        parent[3] += 1

    def fail(self, message: str, mark: yaml.Mark | None) -> SpecError:
        """``message`` at ``mark``'s line and the pointer of the node being read."""
        tokens = [str(key) if is_mapping else str(children) for _, _, is_mapping, children, key in self.stack]
        line = mark.line + 1 if mark is not None else None
        return SpecError(message, file=self.path, line=line, pointer=join_pointer("", *tokens))


def _utf8(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"not UTF-8 text (byte {exc.start})", file=path) from None


def _may_hold_lone_surrogates(text: str, is_json: bool, parsed_before: Callable[[int], bool] | None = None) -> bool:
    """Whether a file's text has an escape that may decode to a lone surrogate. In JSON only a lone one
    (a pair decodes to one character); YAML's reader decodes each escape alone. ``parsed_before``: whether a
    place in the text lies in a unit whose text an earlier run parsed (``walks``), which held none."""
    escapes = _SURROGATE_ESCAPE.finditer(text)
    if parsed_before is not None:
        escapes = (escape for escape in escapes if not parsed_before(escape.start()))
    if next(escapes, None) is None:
        return False
    return not is_json or _SURROGATE_ESCAPE.search(_JSON_PAIRED.sub("", text)) is not None


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether any node sits more than ``limit`` levels down (iterative: a deep file cannot exhaust
    the stack here)."""
    if type(data) is not dict and type(data) is not list:
        return False
    stack: list[tuple[Any, int]] = [(data, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if depth > limit:
            return True
        for child in node.values() if type(node) is dict else node:
            if type(child) is dict or type(child) is list:
                push((child, depth + 1))
    return False


def _deep_pointer(data: Any, limit: int) -> str:
    """The pointer of the first node ``limit`` levels down (the error path only)."""
    stack: list[tuple[Any, str, int]] = [(data, "", 1)]
    while stack:
        node, pointer, depth = stack.pop()
        if depth > limit:
            return pointer
        items = node.items() if isinstance(node, dict) else enumerate(node)
        stack.extend((v, join_pointer(pointer, k), depth + 1) for k, v in items if isinstance(v, (dict, list)))
    return ""


def _may_nest_deeper_than(text: str, limit: int) -> bool:
    """A cheap upper bound on a YAML text's nesting: every level is an opening bracket, or at least
    one column of indentation or of compact ``- ``/``? ``/``: `` indicators at a line's start."""
    if text.count("[") + text.count("{") > limit // 2:
        return True
    return max(map(len, re.findall(r"^[ \t?:-]*", text, re.MULTILINE)), default=0) > limit // 4


def _json_too_deep_line(text: str) -> int | None:
    """The line where a JSON text's brackets first go ``MAX_DEPTH`` deep (the error path only)."""
    depth = 0
    for token in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[{]|[\]}]', text):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return text.count("\n", 0, token.start()) + 1
        elif char in "]}":
            depth -= 1
    return None


# Lookups in one JSON file answered by stepping through its text; the file is composed after that (each
# step-through costs up to one C-speed decode of the file; composing, ~20 of them).
_JSON_SCANS = 8
_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_JSON_DECODER = json.JSONDecoder()
_JSON_STRING: Any = getattr(json.decoder, "scanstring")  # noqa: B009 - typeshed does not list it


def _json_line(text: str, pointer: str) -> int | None:
    """Line of the deepest node on the way to ``pointer`` in a JSON text (a member's key line, an item's
    first line), as ``_yaml_child`` gives from composed nodes. Values off the way are skipped by the C
    decoder. None when the text is not the JSON expected (the caller composes instead)."""
    try:
        tokens = split_pointer(pointer)
        at = line_at = _json_space(text, 0)
        for token in tokens:
            if text.startswith("{", at):
                found = _json_member(text, at, token)
            elif text.startswith("[", at) and token.isdigit():
                found = _json_item(text, at, int(token))
            else:
                break
            if found is None:
                break
            line_at, at = found
        return text.count("\n", 0, line_at) + 1
    except (ValueError, IndexError):
        return None


def _json_lines(text: str, pointers: list[str]) -> dict[str, int] | None:
    """``_json_line`` for each pointer, in one pass over a JSON text: the containers on the pointers' ways
    are stepped through, every other value is skipped by the C decoder. None when the text is not the JSON
    expected (the caller composes instead)."""
    if "\n" not in text and "\r" not in text:
        return dict.fromkeys(pointers, 1)
    wanted: dict[str, Any] = {}  # the pointers' tokens as a tree
    for pointer in pointers:
        node = wanted
        for token in split_pointer(pointer):
            node = node.setdefault(token, {})
    starts: dict[tuple[str, ...], int] = {}  # where each node on the ways starts: a member's key, an item
    try:
        starts[()] = _json_space(text, 0)
        _json_step(text, starts[()], wanted, (), starts)
    except (ValueError, IndexError, RecursionError):
        return None
    lines: dict[str, int] = {}
    for pointer in pointers:
        tokens = tuple(split_pointer(pointer))
        depth = len(tokens)
        while tokens[:depth] not in starts:  # the deepest node on the way that exists
            depth -= 1
        lines[pointer] = text.count("\n", 0, starts[tokens[:depth]]) + 1
    return lines


def _json_step(
    text: str, at: int, wanted: dict[str, Any], path: tuple[str, ...], starts: dict[tuple[str, ...], int]
) -> int:
    """Records where the nodes ``wanted`` inside the value at ``at`` start; returns where the value ends."""
    if wanted and text.startswith("{", at):
        return _json_members(text, at, wanted, path, starts)
    if wanted and text.startswith("[", at):
        return _json_items(text, at, wanted, path, starts)
    _, at = _JSON_DECODER.raw_decode(text, at)
    return int(at)


def _json_members(
    text: str, at: int, wanted: dict[str, Any], path: tuple[str, ...], starts: dict[tuple[str, ...], int]
) -> int:
    at = _json_space(text, at + 1)
    if text.startswith("}", at):
        return at + 1
    while text.startswith('"', at):
        key_at = at
        name, at = _json_key(text, at)
        at = _json_value(text, at, wanted.get(name), (*path, name), key_at, starts)
        at, closed = _json_next(text, at)
        if closed:
            return at
    raise ValueError("a member expected")


def _json_items(
    text: str, at: int, wanted: dict[str, Any], path: tuple[str, ...], starts: dict[tuple[str, ...], int]
) -> int:
    items = {int(token): (token, inner) for token, inner in wanted.items() if token.isdigit()}
    at = _json_space(text, at + 1)
    if text.startswith("]", at):
        return at + 1
    for index in itertools.count():
        token, inner = items.get(index, ("", None))
        at = _json_value(text, at, inner, (*path, token), at, starts)
        at, closed = _json_next(text, at)
        if closed:
            return at
    raise AssertionError("unreachable")


def _json_value(
    text: str,
    at: int,
    wanted: dict[str, Any] | None,
    where: tuple[str, ...],
    start: int,
    starts: dict[tuple[str, ...], int],
) -> int:
    """Past a member's or item's value at ``at``: when it is on the pointers' ways (``wanted``, and not a
    key written twice, whose first is the one), records ``start`` for ``where`` and steps through it."""
    if wanted is None or where in starts:
        _, end = _JSON_DECODER.raw_decode(text, at)
        return int(end)
    starts[where] = start
    return _json_step(text, at, wanted, where, starts)


def _json_next(text: str, at: int) -> tuple[int, bool]:
    """After a member or item: (where the next starts, False), or (just past the closing bracket, True)."""
    at = _json_space(text, at)
    if text.startswith(",", at):
        return _json_space(text, at + 1), False
    if text.startswith(("}", "]"), at):
        return at + 1, True
    raise ValueError("',' expected")


def _json_key(text: str, at: int) -> tuple[str, int]:
    """A member's key at ``at`` and where its value starts."""
    name, at = _JSON_STRING(text, at + 1)
    at = _json_space(text, at)
    if not text.startswith(":", at):
        raise ValueError("':' expected")
    return name, _json_space(text, at + 1)


def _json_member(text: str, at: int, key: str) -> tuple[int, int] | None:
    """(where the member's key starts, where its value starts) in the object at ``at``, or None."""
    at = _json_space(text, at + 1)
    while text.startswith('"', at):
        key_at = at
        name, at = _json_key(text, at)
        if name == key:
            return key_at, at
        at, closed = _json_skip(text, at)
        if closed:
            return None
    return None


def _json_item(text: str, at: int, index: int) -> tuple[int, int] | None:
    """(where the item starts, twice) in the array at ``at``, or None."""
    at = _json_space(text, at + 1)
    if text.startswith("]", at):
        return None
    for _ in range(index):
        at, closed = _json_skip(text, at)
        if closed:
            return None
    return at, at


def _json_skip(text: str, at: int) -> tuple[int, bool]:
    """Past the value at ``at``: (where the next member or item starts, False), or (just past the
    closing bracket, True)."""
    _, at = _JSON_DECODER.raw_decode(text, at)
    return _json_next(text, at)


def _json_space(text: str, at: int) -> int:
    return _JSON_SPACE.match(text, at).end()  # type: ignore[union-attr]


def _duplicate_key_place(text: str, key: str) -> tuple[int | None, str | None]:
    """Line and pointer of the second ``key`` in one JSON object (the error path only): JSON is read
    as YAML for its marks."""
    import yaml

    try:
        root = yaml.compose(text, Loader=_spec_loader())
    except (yaml.YAMLError, RecursionError):
        return None, None
    stack: list[tuple[yaml.Node, str]] = [(root, "")] if root is not None else []
    while stack:
        node, pointer = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value in node.value:
                name = str(key_node.value)
                if name == key and name in seen:
                    return key_node.start_mark.line + 1, join_pointer(pointer, name)
                seen.add(name)
                stack.append((value, join_pointer(pointer, name)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, join_pointer(pointer, i)) for i, child in enumerate(node.value))
    return None, None


# Values that are data, not spec: a "$ref" key inside them is the data's own (Kubernetes' JSON schema
# examples), never a reference.
_DATA_KEYS = frozenset({"example", "examples", "default", "enum", "const"})
_COMPOSITIONS = frozenset({"oneOf", "anyOf"})
_NESTED = (dict, list)


Way = tuple[Any, "str | int"] | None  # a node's way down: (its parent's way, its key); None where a walk began


class Cut(list[Any]):
    """Where a unit of the root file (``walks.Unit``: a path item, a component) stands in the skeleton that
    ``walks`` walks instead of the file: ``_iter_refs`` yields it in place of a reference, as it meets it,
    with the state its walk of the file would enter the unit in (``names``, ``within``). An empty list to
    everything else, so the skeleton is walked as the file would be, around the units."""

    __slots__ = ("names", "unit", "within")

    def __init__(self, unit: Any) -> None:
        super().__init__()
        self.unit = unit
        self.names = False
        self.within = ""


class Summary(NamedTuple):
    """What the loader and the normaliser read of a unit of the root file left ``Unparsed``, kept with the unit's
    record (``walks``) and made where the unit was last parsed."""

    is_object: bool  # else a list
    ref: str | None  # its own ``$ref``, where it is an object holding one (a text)
    operation_ids: tuple[tuple[str, str], ...]  # a path item's members' operationIds, as text, in order
    discriminated: bool  # it holds a ``discriminator`` object
    string_consts: tuple[tuple[str, str], ...]  # ``string_consts``' of it
    unions: tuple[tuple[str, tuple[Any, ...]] | None, ...]  # ``references_union`` of each composition of its record


class Unparsed:
    """A unit of the root file left as text: the very text an earlier run parsed at its place (found by its
    length and the digest of its place and text), whose record and summary the cache holds. It stands in the
    root's data where the unit's value would, until something asks for the value (``KeptWalks.value``): the
    loader's and the normaliser's readers that know it read the summary instead; ``LoadedSpec.data`` parses every
    unit left so first, so that no other reader meets one."""

    __slots__ = ("end", "start", "unit")

    def __init__(self, start: int, end: int) -> None:
        self.start, self.end = start, end
        self.unit: Any = None  # the ``walks.Unit`` it stands for, once the data is cut

    @property
    def summary(self) -> Summary:
        assert self.unit is not None and self.unit.summary is not None, "a unit is left unparsed with its summary"
        return self.unit.summary  # type: ignore[no-any-return]


def references_union(node: Any) -> tuple[str, tuple[Any, ...]] | None:
    """A ``oneOf`` (else an ``anyOf``) of two or more objects each holding a ``$ref``, in a node without a
    ``discriminator``: its keyword and the references (the const-tagged unions ``normalise.discriminators``
    looks for)."""
    if not isinstance(node, dict):
        return None
    keyword = "oneOf" if "oneOf" in node else "anyOf" if "anyOf" in node else None
    options = node.get(keyword) if keyword else None
    if not isinstance(options, list) or len(options) < 2 or "discriminator" in node:
        return None
    if not all(isinstance(option, dict) and "$ref" in option for option in options):
        return None
    return keyword, tuple(option["$ref"] for option in options)  # type: ignore[return-value]


def string_consts(node: Any) -> dict[str, str]:
    """A schema's properties whose ``const`` is a text, with it (a unit left unparsed: from its summary)."""
    if type(node) is Unparsed:
        return dict(node.summary.string_consts)
    if not isinstance(node, dict):
        return {}
    return {
        key: value["const"]
        for key, value in (node.get("properties") or {}).items()
        if isinstance(value, dict) and isinstance(value.get("const"), str)
    }


def _iter_refs(
    node: Any, compositions: list[Way], way: Way = None, names: bool = False, within: str = ""
) -> Iterator[tuple[Any, Way]]:
    """Every ``$ref`` below ``node`` with its way down (``tokens_of``), skipping data (examples, defaults,
    extensions) and the keys of ``properties`` maps, which are names: Kubernetes' ``JSONSchemaProps`` has a
    property ``$ref``. A node's way down is kept as links to its parent's, to be made a pointer only where
    one is needed (GitHub's spec: 9k references in 70k containers). The ways of the objects holding a
    ``oneOf`` or an ``anyOf`` are added to ``compositions`` as the walk meets them. ``way``, ``names`` and
    ``within`` are the state the walk of the whole file enters ``node`` in (a unit walked alone); a ``Cut``
    met is yielded in place of a reference."""
    stack: list[tuple[Any, Way, bool, str]] = [(node, way, names, within)]
    while stack:
        node, way, names, within = stack.pop()
        if isinstance(node, dict):
            if "$ref" in node and not names:
                yield node["$ref"], way
            if not _COMPOSITIONS.isdisjoint(node):
                compositions.append(way)
            for key, value in node.items():
                data = key in _DATA_KEYS and not (key == "default" and within == "responses")
                if not names and (data or str(key).startswith("x-")):
                    continue
                if isinstance(value, (dict, list)):
                    stack.append((value, (way, str(key)), not names and _names_below(key, way), str(key)))
        elif type(node) is Cut:
            node.names, node.within = names, within
            yield node, way
        elif isinstance(node, list):
            stack.extend(
                (value, (way, index), False, "") for index, value in enumerate(node) if isinstance(value, _NESTED)
            )


def _names_below(key: Any, way: Way) -> bool:
    """Whether the keys of the map under ``key`` are names: the properties of a schema, or the components of
    a file (a schema may be called ``default`` or ``example``, and holds references all the same)."""
    return key in ("properties", "patternProperties") or way == (None, "components")


def tokens_of(way: Way) -> list[str | int]:
    """The tokens of a node's way down, kept as ``(parent's way, key)`` links (None: where the walk began)."""
    tokens: list[str | int] = []
    while way is not None:
        way, token = way
        tokens.append(token)
    tokens.reverse()
    return tokens


class _Refs(NamedTuple):
    """One file's walk in ``check_refs``: the file, each reference's target (by its text), and what the walk
    of every file shares (what extends what, the files done and to do); where its compositions go."""

    file: Path
    targets: dict[Any, Location]
    extends: dict[Location, list[tuple[Location, Location]]]
    visited: set[Path]
    pending: list[Path]
    compositions: list[Way]


def _yaml_child(node: yaml.Node, token: str) -> tuple[yaml.Node, int] | None:
    """The composed child a pointer token names, with the line it starts on (a key's line for maps)."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if str(key.value) == token:
                return value, key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode) and token.isdigit() and int(token) < len(node.value):
        child = node.value[int(token)]
        return child, child.start_mark.line + 1
    return None
