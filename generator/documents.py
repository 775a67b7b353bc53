"""The files of one spec: parsed once, references resolved, JSON pointers mapped to lines.

Shared by the loader and the overlay engine (each imports this module, never the other). Line maps
are built lazily: they are needed only when an error must say where it is.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

from generator.errors import SpecError


class _SpecLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML loader that keeps timestamps as strings, so the data stays JSON-shaped."""


_SpecLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class Location:
    """Where a node lives: a file and a JSON pointer inside it ("" is the whole document)."""

    file: Path
    pointer: str

    def child(self, *tokens: str | int) -> Location:
        return Location(self.file, join_pointer(self.pointer, *tokens))


def join_pointer(pointer: str, *tokens: str | int) -> str:
    for token in tokens:
        pointer += "/" + str(token).replace("~", "~0").replace("/", "~1")
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

    # -- files ---------------------------------------------------------------------------------

    def get(self, path: Path) -> Any:
        path = path.resolve()
        if path not in self._data:
            self._data[path] = self._parse(path)
        return self._data[path]

    def replace(self, path: Path, data: Any) -> None:
        """Install modified data for a file (after overlays)."""
        self._data[path.resolve()] = data

    def files(self) -> list[Path]:
        return sorted(self._raw)

    def raw(self, path: Path) -> bytes:
        return self._raw[path.resolve()]

    def _parse(self, path: Path) -> Any:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise SpecError(f"cannot read spec file: {exc.strerror}", file=path) from None
        self._raw[path] = raw
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SpecError(f"not UTF-8 text (byte {exc.start})", file=path) from None
        if path.suffix.lower() == ".json":
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                raise SpecError(f"invalid JSON: {exc.msg}", file=path, line=exc.lineno) from None
        try:
            return yaml.load(text, Loader=_SpecLoader)  # noqa: S506 - a safe loader subclass
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            line = mark.line + 1 if mark is not None else None
            raise SpecError(f"invalid YAML: {problem}", file=path, line=line) from None

    # -- lines ---------------------------------------------------------------------------------

    def line_of(self, path: Path, pointer: str) -> int | None:
        """Line of the deepest node on the way to ``pointer`` (composed on demand, errors only)."""
        path = path.resolve()
        if path not in self._line_maps:
            try:
                text = self._raw[path].decode("utf-8")
                self._line_maps[path] = yaml.compose(text, Loader=_SpecLoader)
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

    def error(self, message: str, at: Location) -> SpecError:
        return SpecError(message, file=at.file, line=self.line_of(at.file, at.pointer), pointer=at.pointer)

    # -- references ----------------------------------------------------------------------------

    def resolve(self, ref: Any, at: Location) -> tuple[Any, Location]:
        """The node a ``$ref`` (found at ``at``) points to, and where that node lives."""
        if not isinstance(ref, str):
            raise self.error("$ref must be a string", at)
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
        node = self.get(target)
        pointer = unquote(fragment)
        try:
            tokens = split_pointer(pointer)
        except ValueError:
            raise self.error(f"$ref {ref!r} has a malformed JSON pointer", at) from None
        for token in tokens:
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                raise self.error(f"$ref target {ref!r} does not exist", at)
        return node, Location(target, pointer)

    def deref(self, node: Any, at: Location) -> tuple[Any, Location]:
        """Follow a chain of ``{$ref: ...}`` objects to the first node that is not a reference."""
        seen = [at]
        while isinstance(node, dict) and "$ref" in node:
            node, target = self.resolve(node["$ref"], at)
            if target in seen:
                chain = " -> ".join(f"#{loc.pointer}" for loc in [*seen, target])
                raise self.error(f"$ref cycle: {chain}", seen[0])
            seen.append(target)
            at = target
        return node, at

    def check_refs(self) -> None:
        """Resolve every ``$ref`` reachable from the root, so a missing target, a pure reference
        cycle or an ``allOf`` cycle (a schema extending itself) is reported before anything
        else looks at the spec."""
        pending = [self.root]
        visited: set[Path] = set()
        extends: dict[Location, list[tuple[Location, Location]]] = {}
        while pending:
            path = pending.pop()
            if path in visited:
                continue
            visited.add(path)
            for ref, at in _iter_refs(self.get(path), Location(path, "")):
                _, target = self.deref({"$ref": ref}, at)
                parts = at.pointer.rsplit("/", 2)
                if len(parts) == 3 and parts[1] == "allOf":
                    extends.setdefault(Location(at.file, parts[0]), []).append((target, at))
                if target.file not in visited:
                    pending.append(target.file)
        self._check_extension_cycles(extends)

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
            for method, operation in item.items() if isinstance(item, dict) else []:
                if not isinstance(operation, dict) or "operationId" not in operation:
                    continue
                at = Location(self.root, join_pointer("", "paths", str(path), str(method), "operationId"))
                op_id = str(operation["operationId"])
                if op_id in seen:
                    raise self.error(f"duplicate operationId {op_id!r} (first used at #{seen[op_id].pointer})", at)
                seen[op_id] = at


# Values that are data, not spec: a "$ref" key inside them is the data's own (Kubernetes' JSON schema
# examples), never a reference.
_DATA_KEYS = frozenset({"example", "examples", "default", "enum", "const"})


def _iter_refs(node: Any, at: Location) -> Iterator[tuple[Any, Location]]:
    """Every ``$ref`` below ``node``, skipping data (examples, defaults, extensions) and the keys of
    ``properties`` maps, which are names: Kubernetes' ``JSONSchemaProps`` has a property ``$ref``."""
    stack: list[tuple[Any, Location, bool, str]] = [(node, at, False, "")]
    while stack:
        node, at, names, within = stack.pop()
        if isinstance(node, dict):
            if "$ref" in node and not names:
                yield node["$ref"], at
            for key, value in node.items():
                data = key in _DATA_KEYS and not (key == "default" and within == "responses")
                if not names and (data or str(key).startswith("x-")):
                    continue
                if isinstance(value, (dict, list)):
                    is_names = not names and key in ("properties", "patternProperties")
                    stack.append((value, at.child(str(key)), is_names, str(key)))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, (dict, list)):
                    stack.append((value, at.child(index), False, ""))


def _yaml_child(node: yaml.Node, token: str) -> tuple[yaml.Node, int] | None:
    """The composed child a pointer token names, with the line it starts on (a key's line for maps)."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if str(key.value) == token:
                return value, key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode) and token.isdigit() and int(token) < len(node.value):
        child = node.value[int(token)]
        return child, child.start_mark.line + 1
    return None
