"""Validation with openapi-spec-validator: structural errors are fatal (one line, exit 2); harmless
schema-level slips (a default of the wrong type, a pattern that is not a Python regex, ``const`` or
``title`` where OpenAPI 3.0 has none) are warnings with their file, line and pointer, and the spec is
generated anyway. A verdict is cached by the spec's content hash and the validator's version.

The verdict has two passes: the document against the OAS schema (jsonschema), then openapi-spec-validator's
walk of its keywords. jsonschema-rs is asked first whether the document is clean against the OAS schema;
where it says so (and its verdict is jsonschema's: ``_clean_to_rust``), jsonschema's pass is skipped. For
OpenAPI 3.0 that pass is local to each path item and component (the OAS schema relates none of them to
another), so without jsonschema-rs a changed spec checks again only the units it changed: ``_SchemaUnits``
remembers the units of a document found clean, by content. The walk checks each schema against its
dialect; for OpenAPI 3.0's, jsonschema-rs is asked first there too (``_meta_clean_to_rust``)."""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import pickle
import re
import sys
import types
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path
from typing import Any

from .cache import keep_newest, read_entry, write_entry
from .documents import Documents, Location, join_pointer
from .errors import SpecError, display_path
from .ir import Diagnostic
from .loader import LoadedSpec
from .processes import Connection, Process, can_fork, die_with_parent, pipe

# A value that breaks its own schema is a slip wherever it sits under one of these keys.
_VALUE_KEYS = frozenset({"default", "example", "examples", "enum", "pattern", "const", "x-example"})
_VALUE_CHECKS = frozenset({"type", "format", "pattern", "enum", "uniqueItems", "minimum", "maximum", "const"})
# Keys OpenAPI 3.0 does not allow where they are written, but which only document (3.1 allows most).
_DOCUMENTING_KEYS = frozenset(
    {"const", "title", "summary", "examples", "$schema", "$id", "$comment", "contentMediaType", "contentEncoding"}
)
_QUOTED = re.compile(r"'([^']*)'")
_MAX_LOCATED = 20  # slips searched for in the document; later ones are said without a line


def validate_spec(spec: LoadedSpec) -> tuple[Diagnostic, ...]:
    """Raise the first structural error; return the harmless slips as warnings."""
    cached = _cached(spec)
    if cached is not None:
        return cached
    known = _KnownClean.of(spec)
    if known is not None and known.holds():
        write_entry("valid", _verdict_key(spec), b"[]")
        known.remember()
        return ()
    followed: set[str] | None = set() if known is not None else None
    result, replayed_clean = _validated_whole(spec, followed)
    if known is not None and followed is not None and replayed_clean and not result:
        if all(_outside_paths(ref) for ref in followed):
            known.remember()
    return result


def _validated_whole(spec: LoadedSpec, followed: set[str] | None) -> tuple[tuple[Diagnostic, ...], bool]:
    """``validate_spec``'s verdict, the document walked whole; and whether the OAS-schema pass had no error
    and the keyword walk was the replay's, clean (``followed`` then holds every reference it followed)."""
    _settings_without_pydantic()
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

    data, documents = spec.data, spec.documents
    is_31 = spec.openapi_version.startswith("3.1.")
    cls = OpenAPIV31SpecValidator if is_31 else OpenAPIV30SpecValidator
    validator = cls(data, base_uri=documents.root.as_uri())
    _index_visited_schemas(validator)
    oas_schema = _oas_schema(is_31)
    keys_plain, plain_30 = _plain_to_rust_30(data) if not is_31 else (False, False)
    clean_to_rust = _clean_to_rust(oas_schema, data, keys_plain)
    units = None if is_31 or clean_to_rust else _SchemaUnits.of(spec)
    slips: list[Diagnostic] = []
    nodes: list[tuple[str, Any]] = []  # the document's nodes, listed once when a slip needs them
    schema_errors: list[bool] = []  # one entry per error of the OAS-schema pass
    one_file_30 = not is_31 and documents.single_file()
    meta_clean = _meta_clean_in_plain_document() if plain_30 and one_file_30 else None
    oas_pass = None if clean_to_rust else oas_schema
    from .keyword_walk import replays

    replayed_before = replays["clean"]
    try:
        with (
            _crawled_roots(),
            _descents_made_once(),
            _paths_resolved_once(one_file_30),
            _extras_in_document_order(),
        ):
            for found in _errors(validator, oas_pass, units, schema_errors, one_file_30, meta_clean, followed):
                error = _deepest(found)
                if not _harmless(error):
                    where = join_pointer("", *error.absolute_path)
                    target = _follow(data, list(error.absolute_path))
                    if target is _MISSING or target != error.instance:  # a path relative to a schema
                        where = _locate(list(_walk(data, "")), error) or where
                    raise documents.error(f"invalid spec: {error.message}", Location(documents.root, where))
                pointer = None
                if len(slips) < _MAX_LOCATED:
                    nodes = nodes or list(_walk(data, ""))
                    pointer = _locate(nodes, error)
                line = documents.line_of(documents.root, pointer) if pointer is not None else None
                message = f"spec slip (generated anyway): {' '.join(str(error.message).split())[:300]}"
                slips.append(Diagnostic("warning", display_path(documents.root), line, pointer or "", message))
    except SpecError:
        raise
    except Exception as exc:  # the validator's own crash (a "$ref" key in an example...)
        # clientgen's own checks (references, cycles, operationIds) have passed: say what stopped the
        # validator and generate from those
        schema_errors.append(True)  # whatever it did not reach is not known clean
        text = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
        message = f"the validator stopped ({text}); the spec is generated from clientgen's own checks"
        slips.append(Diagnostic("warning", display_path(documents.root), None, "", message))
    result = tuple(dict.fromkeys(slips))
    rows = [[d.file, d.line, d.pointer, d.message] for d in result]
    write_entry("valid", _verdict_key(spec), json.dumps(rows).encode())
    if units is not None and not schema_errors:
        units.remember()
    return result, replays["clean"] > replayed_before and not schema_errors


# The settings modules of openapi-spec-validator 0.9.0 and openapi-schema-validator 0.9.0, as shipped (by
# sha256), each with the prefix of the environment variables it reads.
_SETTINGS_MODULES = {
    "openapi_spec_validator": (
        "4dcf2cefa5240b47eacb82aeaef02750c89514a5d716ed0e818fb8db70dd0f4a",
        "OPENAPI_SPEC_VALIDATOR_",
    ),
    "openapi_schema_validator": (
        "73d226357441df93e0515524fd9d7b84a7c07ee8d096efd9ba95c73ae4f0dc78",
        "OPENAPI_SCHEMA_VALIDATOR_",
    ),
}


def _settings_without_pydantic(folders: dict[str, Path] | None = None) -> list[str]:
    """Put ``_default_settings``' modules in place of the validators' settings modules where nothing
    could make them differ: the module is the one they were written from (by content) and none of its
    environment variables is set. The names of the modules stood in for. Both libraries read a few
    environment variables through pydantic-settings, whose import (pydantic with it) is ~0.14 s of
    CPU, over half of importing the validator, on the path of every run that validates; the
    validators themselves are untouched, and any other case imports the module as it is."""
    set_names = [name.upper() for name in os.environ]
    stood_in = []
    for package, (sha256, prefix) in _SETTINGS_MODULES.items():
        name = f"{package}.settings"
        if name in sys.modules or any(variable.startswith(prefix) for variable in set_names):
            continue
        folder = (folders or {}).get(package) or _package_folder(package)
        try:
            content = (folder / "settings.py").read_bytes() if folder is not None else b""
        except OSError:
            continue
        if hashlib.sha256(content).hexdigest() == sha256:
            sys.modules[name] = _default_settings(name)
            stood_in.append(name)
    return stood_in


def _package_folder(package: str) -> Path | None:
    from importlib.util import find_spec

    found = find_spec(package)  # finds the package without running it
    folders = list(found.submodule_search_locations or []) if found is not None else []
    return Path(folders[0]) if folders else None


def _default_settings(name: str) -> types.ModuleType:
    """What ``name`` holds when none of its environment variables is set."""
    module = types.ModuleType(name, "Stood in by clientgen.validation: the library's defaults, without pydantic.")
    if name == "openapi_spec_validator.settings":

        class OpenAPISpecValidatorSettings:
            resolved_cache_maxsize = 128
            schema_validator_backend = "auto"

        vars(module).update(
            ENV_PREFIX="OPENAPI_SPEC_VALIDATOR_",
            RESOLVED_CACHE_MAXSIZE_DEFAULT=128,
            SCHEMA_VALIDATOR_BACKEND_DEFAULT="auto",
            SCHEMA_VALIDATOR_BACKEND_ALLOWED={"auto", "jsonschema", "jsonschema-rs"},
            OpenAPISpecValidatorSettings=OpenAPISpecValidatorSettings,
            get_resolved_cache_maxsize=lambda: 128,
            get_schema_validator_backend=lambda: "auto",
        )
    else:

        class OpenAPISchemaValidatorSettings:
            compiled_validator_cache_max_size = 128

        settings = OpenAPISchemaValidatorSettings()
        vars(module).update(
            OpenAPISchemaValidatorSettings=OpenAPISchemaValidatorSettings,
            get_settings=lambda: settings,
            reset_settings_cache=lambda: None,
        )
    return module


def _oas_schema(is_31: bool) -> Any:
    from openapi_spec_validator.schemas import schema_v30, schema_v31

    return schema_v31 if is_31 else schema_v30


def _errors(
    validator: Any,
    oas_schema: Any | None,
    units: _SchemaUnits | None,
    schema_errors: list[bool],
    replay: bool,
    meta_clean: Callable[[Any], bool] | None = None,
    followed: set[str] | None = None,
) -> Iterator[Any]:
    """What ``validator.iter_errors()`` yields, in its order (the OAS-schema pass against ``oas_schema``,
    then the keyword walk; each error wrapped as it wraps them), the first pass left out when
    ``oas_schema`` is None (jsonschema-rs found the document clean) or ``units`` show it clean. The first
    pass is jsonschema's whichever backend the library would pick: its errors carry what a verdict is
    told from (the keyword that failed, the alternatives tried). ``schema_errors`` gets an entry for
    each error of the first pass. The walk is replayed over the data where ``replay`` holds
    (``keyword_walk``, with ``meta_clean``): the library walks only where the replay finds an error or
    meets the unusual. ``followed`` is handed to the replay (``walks_clean``)."""
    from jsonschema.validators import validator_for
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    from .keyword_walk import walk_errors  # imported where validation runs (the parent only forks it)

    passes = [walk_errors(validator, replay, meta_clean, followed)]
    if oas_schema is not None:
        schema_validator = validator_for(oas_schema)(oas_schema)  # as its jsonschema backend makes it
        if units is None or not units.clean(schema_validator):
            passes.insert(0, _counted(schema_validator.iter_errors(validator.schema), schema_errors))
    for found in (error for errors in passes for error in errors):
        yield found if isinstance(found, OpenAPIValidationError) else OpenAPIValidationError.create_from(found)


def _clean_to_rust(oas_schema: Any, document: Any, keys_plain: bool = False) -> bool:
    """Whether jsonschema-rs (openapi-spec-validator's other backend, compiled: ~500x faster here) finds
    ``document`` clean against ``oas_schema``, asked only where its verdict is jsonschema's. False when
    it is not installed, cannot read a value it checks, or finds an error: jsonschema then makes the
    pass, for its errors. The one place it is more lenient on the OAS schemas: a key ending in a newline
    under a pattern ending in ``$`` (Python's ``$`` matches before that newline, so jsonschema checks
    the key's value; jsonschema-rs's does not match, and where nothing forbids other keys it checks
    nothing). A document with such a key is left to jsonschema (``keys_plain``: known to have none, from
    ``_plain_to_rust_30``). scripts/compare_oas_pass.py compares the two on real specs."""
    try:
        import jsonschema_rs
    except ImportError:
        return False
    if type(document) is not dict or (not keys_plain and _judged_by_jsonschema_alone(document)):
        return False
    try:
        return bool(jsonschema_rs.validator_for(dict(oas_schema), validate_formats=False).is_valid(document))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # a value it does not read (a date, bytes, a str subclass), or its own panic
        return False  # (pyo3's PanicException is no Exception): jsonschema judges the document


_DRAFT_4 = "http://json-schema.org/draft-04/schema#"


def _rust_meta_validator(meta_schema: Any) -> Any:
    """jsonschema-rs's validator of a schema dialect whose verdict ``_meta_clean_to_rust`` can take for
    jsonschema's: OpenAPI 3.0's (draft 4's meta-schema, whose one format is ``regex``, on ``pattern``).
    None for any other dialect, or without jsonschema-rs."""
    try:
        import jsonschema_rs
    except ImportError:
        return None
    if not isinstance(meta_schema, dict) or meta_schema.get("id") != _DRAFT_4 or "$schema" not in meta_schema:
        return None
    formats = [
        (at, node["format"])
        for at, node in _walk(meta_schema, "")
        if type(node) is dict and type(node.get("format")) is str
    ]
    if formats != [("/properties/pattern", "regex")]:  # the one format this takes from jsonschema's checker
        return None
    try:
        return jsonschema_rs.validator_for(meta_schema, validate_formats=False)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # a meta-schema it does not compile, or its own panic (as in _clean_to_rust)
        return None


def _meta_clean_to_rust(rust: Any, schema: Any, format_checker: Any, within_plain: bool = False) -> bool:
    """Whether an OpenAPI 3.0 schema is clean against its dialect, told by jsonschema-rs (its formats off):
    every ``pattern`` string anywhere in the schema (more places than the meta-schema reaches) is also a
    ``regex`` to the format checker jsonschema would use, and no key ends in a newline (``_clean_to_rust``).
    False sends the schema to jsonschema, for its errors. Draft 4's integral floats (not integers), unique
    items (``1`` and ``1.0`` alike) and empty ``required`` are judged alike by both. ``within_plain``: the
    schema is part of a document ``_plain_to_rust_30`` found so, which holds for each of its parts."""
    if type(schema) is not dict or (not within_plain and _judged_by_jsonschema_alone(schema, format_checker)):
        return False
    try:
        return bool(rust.is_valid(schema))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # as in _clean_to_rust
        return False


def _plain_to_rust_30(document: Any) -> tuple[bool, bool]:
    """What jsonschema-rs reads of an OpenAPI 3.0 ``document`` as jsonschema would: no key ends in a newline
    (so ``_clean_to_rust`` can take its verdict) and, besides, every ``pattern`` string is a ``regex`` to
    the format checker openapi-spec-validator's 3.0 meta-check uses (so ``_meta_clean_to_rust`` can, for
    every part of it). One walk of the document, instead of one for it and one for each schema checked
    against its dialect (GitHub's spec: ~2,000 schemas, ~0.04 s of walks). (False, False) without
    jsonschema-rs: nothing asks."""
    try:
        import jsonschema_rs  # noqa: F401
    except ImportError:
        return False, False
    from openapi_schema_validator import OAS30Validator

    if type(document) is not dict:
        return False, False
    newline_key, not_regex = _misjudged(document, OAS30Validator.FORMAT_CHECKER, each=True)
    return not newline_key, not newline_key and not not_regex


def _meta_clean_in_plain_document() -> Callable[[Any], bool] | None:
    """``_meta_clean_to_rust`` for the schemas of an OpenAPI 3.0 document ``_plain_to_rust_30`` found plain,
    each not walked again: what the 3.0 meta-check (``check_schema`` in ``_crawled_roots``) concludes
    clean. For keyword_walk, which hands it only schemas it reached in the document through plain
    mappings and lists (so parts of what the walk of the document went through). None without
    jsonschema-rs."""
    from openapi_schema_validator import OAS30Validator

    rust = _rust_meta_validator(OAS30Validator.META_SCHEMA)
    if rust is None:
        return None
    checker = OAS30Validator.FORMAT_CHECKER
    return lambda schema: _meta_clean_to_rust(rust, schema, checker, within_plain=True)


def _judged_by_jsonschema_alone(document: dict[Any, Any], format_checker: Any = None) -> bool:
    """Whether something in ``document`` is one jsonschema-rs would judge otherwise: a key anywhere ending in
    a newline (``_clean_to_rust``) or, with ``format_checker``, a string under a ``pattern`` key that is no
    ``regex`` to it (``_meta_clean_to_rust``)."""
    return any(_misjudged(document, format_checker, each=False))


def _misjudged(  # noqa: C901 - one loop over every node of a document, kept whole: it is a hot path
    document: dict[Any, Any], format_checker: Any, each: bool
) -> tuple[bool, bool]:
    """(a key ending in a newline, a pattern that is no regex) found in ``document``: the walk stops at the
    first found, or with ``each`` once both are."""
    newline_key = not_regex = False
    stack: list[Any] = [document]
    push = stack.append
    while stack:
        node = stack.pop()
        if type(node) is dict:
            for key, value in node.items():
                if type(key) is str and key[-1:] == "\n":
                    newline_key = True
                    if not each:
                        return True, False
                if key == "pattern" and format_checker is not None and isinstance(value, str) and not not_regex:
                    if not format_checker.conforms(value, "regex"):
                        not_regex = True
                        if not each:
                            return False, True
                if type(value) is dict or type(value) is list:
                    push(value)
            if newline_key and (not_regex or format_checker is None):
                break  # both found (only ``each`` goes on after one)
        else:
            for value in node:
                if type(value) is dict or type(value) is list:
                    push(value)
    return newline_key, not_regex


def _counted(errors: Iterator[Any], seen: list[bool]) -> Iterator[Any]:
    for error in errors:
        seen.append(True)
        yield error


# Units checked alone at most: past this a changed spec is checked whole (as fast, and one pass).
_UNITS_CHECKED_ALONE = 200


class _SchemaUnits:
    """An OpenAPI 3.0 document cut into what the OAS schema checks independently: the document with
    empty ``paths`` and ``components``, each path item, each component. Each unit is a document of its
    own (with the ``openapi`` and ``info`` of the whole), so it is checked against the whole OAS schema:
    the whole is clean exactly when every unit is (the schema has no constraint across paths or
    components). Units found clean are remembered by content, per spec file, between runs."""

    def __init__(self, spec: LoadedSpec, units: dict[str, Any]) -> None:
        self.spec, self.units = spec, units

    @classmethod
    def of(cls, spec: LoadedSpec) -> _SchemaUnits | None:
        """The units of ``spec``'s document; None when it does not cut (not the shape the schema
        wants, or not plain JSON data): it is then checked whole."""
        data = spec.data
        if not isinstance(data, dict) or not isinstance(data.get("paths"), dict):
            return None
        components = data.get("components", {})
        if not isinstance(components, dict):
            return None
        frame: dict[str, Any] = {key: data[key] for key in ("openapi", "info") if key in data}
        rest = {**data, "paths": {}}
        if "components" in data:
            rest["components"] = {}
        documents = [rest]
        documents += ({**frame, "paths": {path: item}} for path, item in data["paths"].items())
        for kind, entries in components.items():
            if isinstance(entries, dict) and entries:
                documents += (
                    {**frame, "paths": {}, "components": {kind: {name: value}}} for name, value in entries.items()
                )
            else:
                documents.append({**frame, "paths": {}, "components": {kind: entries}})
        try:
            units = {hashlib.sha256(_canonical(document)).hexdigest(): document for document in documents}
        except (TypeError, ValueError, RecursionError):  # a cycle, or deeper than JSON text nests
            return None
        return cls(spec, units)

    def clean(self, schema_validator: Any) -> bool:
        """Whether every unit is known clean or, when few are not, checks clean alone."""
        known = self._known()
        unknown = [unit for key, unit in self.units.items() if key not in known]
        if not known or len(unknown) > _UNITS_CHECKED_ALONE:  # a first run, or much changed
            return False
        return all(_clean_alone(schema_validator, unit) for unit in unknown)

    def remember(self) -> None:
        """Every unit of the document is clean: remembered for the next run on this spec file."""
        write_entry("schema-units", self._key(), "\n".join(sorted(self.units)).encode())

    def _known(self) -> set[str]:
        stored = read_entry("schema-units", self._key())
        return set(stored.decode().split("\n")) if stored else set()

    def _key(self) -> str:
        return _validator_key(str(self.spec.documents.root.resolve()))


class _KnownClean:
    """What the last clean verdict on a spec file (no error, no slip) knew of it, by unit (``walks``): the
    skeleton's digest, each unit's digest and, for each path item, the digest of what the keyword walk reads
    of it (``keyword_walk.walked_part``). A later document whose skeleton is the same, whose units are the same but for
    path items whose walked part is the same, each of which checks clean against the OAS schema, is clean
    too, with no walk and no import of the library:

    - the OAS-schema pass of OpenAPI 3.0 is local to each path item and component (``_SchemaUnits``): the
      units unchanged are known clean, the changed path items are checked alone, by jsonschema-rs where
      its verdict is jsonschema's (``_clean_to_rust``) against the schema the library reads (by sha256);
    - the keyword walk reads the same values in the same order (the same skeleton, the same components,
      the same walked parts), so it makes the same checks: kept only where the walk was the replay's
      (``keyword_walk``, which reads what the library reads) and every reference it followed leads outside
      ``paths`` (none reads a path item's other parts). Objects are shared only through references in a
      JSON file (``walks`` cuts JSON only), so the walk's ``id``-keyed sets see the same.

    A summary or a description changed in an operation (GitHub's spec: validation ~270 ms of CPU beside the
    render, ~120 of them importing the library) then costs a check of one path item. Anything else (a
    component changed, a path added, a walked part changed, a slip or an error in the last verdict) is
    validated whole, as before."""

    KIND = "valid-units"

    def __init__(self, spec: LoadedSpec, walks: Any) -> None:
        self.spec, self.walks = spec, walks
        self._entry: tuple[bytes, list[bytes], dict[str, bytes]] | None = None

    @classmethod
    def of(cls, spec: LoadedSpec) -> _KnownClean | None:
        """None where the spec is not read by units: OpenAPI 3.1, a spec of several files, a YAML or small
        root file, no cache."""
        if not spec.openapi_version.startswith("3.0.") or not spec.documents.single_file():
            return None
        walks = spec.documents.walks()
        if walks is None or not walks.units or any(unit.digest is None for unit in walks.units):
            return None
        return cls(spec, walks)

    def holds(self) -> bool:
        """Whether the document is known clean from the last clean verdict and a check of its changed path
        items."""
        stored = self._stored()
        if stored is None:
            return False
        skeleton, digests, walked = stored
        units = self.walks.units
        if skeleton != self.walks.skeleton_digest() or len(digests) != len(units):
            return False
        changed: list[Any] = []
        for unit, digest in zip(units, digests, strict=True):
            if unit.digest == digest:
                continue
            place = unit.place
            if place[0] != "paths" or len(changed) == _UNITS_CHECKED_ALONE:
                return False
            value = self.walks.value(unit.value)  # a unit left unparsed, whose last clean verdict is older
            if walked.get(place[1]) != _walked_digest(value):
                return False
            changed.append((place[1], value))
        frame: dict[str, Any] = {key: self.spec.part(key) for key in ("openapi", "info") if key in self.spec.tree}
        return _clean_to_rust_by_unit(frame, changed)

    def remember(self) -> None:
        """The document is clean: its units are kept for the next run on this spec file. A path item whose digest is
        the one the last entry has at its place keeps its walked part's digest (equal digests, equal items: GitHub's
        812 path items were ~25 ms to walk and digest again)."""
        units = self.walks.units
        stored = self._stored()
        before = stored[1] if stored is not None and len(stored[1]) == len(units) else [None] * len(units)
        walked_before = stored[2] if stored is not None else {}
        walked = {}
        for unit, digest in zip(units, before, strict=True):
            if unit.place[0] == "paths":
                path = unit.place[1]
                known = walked_before.get(path) if digest == unit.digest else None
                walked[path] = known if type(known) is bytes else _walked_digest(self.walks.value(unit.value))
        entry = (self.walks.skeleton_digest(), [unit.digest for unit in units], walked)
        write_entry(self.KIND, self._key(), marshal.dumps(entry))
        keep_newest(self.KIND, _KNOWN_CLEAN_ENTRIES)

    def _stored(self) -> tuple[bytes, list[bytes], dict[str, bytes]] | None:
        if self._entry is None:
            self._entry = self._read()
        return self._entry

    def _read(self) -> tuple[bytes, list[bytes], dict[str, bytes]] | None:
        stored = read_entry(self.KIND, self._key())
        if stored is None:
            return None
        try:
            entry = marshal.loads(stored)  # noqa: S302 - an entry this user's clientgen wrote (its HMAC checked)
        except (ValueError, EOFError, TypeError):
            return None
        if type(entry) is not tuple or len(entry) != 3:
            return None
        skeleton, digests, walked = entry
        if type(skeleton) is not bytes or type(digests) is not list or type(walked) is not dict:
            return None
        return skeleton, digests, walked

    def _key(self) -> str:
        return _validator_key(f"units\0{self.spec.documents.root.resolve()}")


_KNOWN_CLEAN_ENTRIES = 16  # one per spec file: the specs being worked on


def _walked_digest(item: Any) -> bytes:
    from .keyword_walk import walked_part

    return hashlib.sha256(marshal.dumps(walked_part(item), 0)).digest()


def _outside_paths(ref: str) -> bool:
    """Whether a reference the keyword walk followed leads outside ``paths`` (and is not the whole file)."""
    return ref.startswith("#/") and ref != "#/paths" and not ref.startswith("#/paths/")


def _clean_to_rust_by_unit(frame: dict[str, Any], items: list[tuple[str, Any]]) -> bool:
    """Whether each path item of ``items``, as a document of its own (``_SchemaUnits``' unit: the whole's
    ``openapi`` and ``info``, ``frame``), is clean against the OAS 3.0 schema, told by jsonschema-rs."""
    if not items:
        return True
    schema = _oas_30_schema_as_shipped()
    if schema is None:
        return False
    return all(_clean_to_rust(schema, {**frame, "paths": {path: item}}) for path, item in items)


# openapi-spec-validator 0.9.0's OAS 3.0 schema file, by sha256: read as it reads it (``schemas.utils``).
_OAS_30_SCHEMA = (
    "resources/schemas/v3.0/schema.json",
    "43da9f20f670535ee9a214185d066a8796649420ccfd9422978f51b5281a5648",
)


@cache
def _oas_30_schema_as_shipped() -> Any:
    """The OAS 3.0 schema the library validates against, read from its file without importing the library
    (~0.1 s), or None where the file is not the one this reading was checked against."""
    content = shipped_file("openapi_spec_validator", *_OAS_30_SCHEMA)
    return json.loads(content) if content is not None else None


def shipped_file(package: str, name: str, sha256: str) -> bytes | None:
    """The content of a file of an installed package, where it is the one of ``sha256``; else None."""
    folder = _package_folder(package)
    try:
        content = (folder / name).read_bytes() if folder is not None else b""
    except OSError:
        return None
    return content if hashlib.sha256(content).hexdigest() == sha256 else None


def _clean_alone(schema_validator: Any, unit: Any) -> bool:
    return next(iter(schema_validator.iter_errors(unit)), None) is None


def _canonical(document: Any) -> bytes:
    """One text per content (keys in the document's order: a reordered spec only costs a check)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=repr).encode(
        "utf-8", "surrogatepass"
    )


_UNSET = object()


@contextmanager
def _crawled_roots() -> Iterator[None]:
    """While it lasts, jsonschema validators resolve against registries whose root schema is already
    crawled, and openapi-schema-validator checks every schema against its dialect with one validator
    per dialect instead of one per schema.

    jsonschema adds a validator's root schema to its registry uncrawled, and ``referencing`` crawls on
    an anchor miss but hands the crawled registry only to that one lookup: every ``$dynamicRef:
    "#meta"`` of the OpenAPI 3.1 dialect crawled its root again, and ``check_schema`` made a new
    validator, with a new uncrawled root, for each of a spec's schemas (Airflow 3.3.2's spec: 1,441
    crawls, 2.9 s of its 3.0 s of validation). The same ids and anchors are found, once."""
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for
    from openapi_schema_validator import validators as oas
    from openapi_schema_validator._specifications import REGISTRY as specifications
    from referencing import Registry

    original_root = Registry.resolver_with_root
    classes = [
        getattr(oas, name) for name in ("OAS30Validator", "OAS31Validator", "OAS32Validator") if hasattr(oas, name)
    ]
    original_checks = {cls: cls.__dict__.get("check_schema") for cls in classes}
    checkers: dict[tuple[Any, int], tuple[Any, Any, Any]] = {}  # the format checker kept alive with its id

    def resolver_with_root(registry: Any, resource: Any) -> Any:
        uri = resource.id() or ""
        return registry.with_resource(uri, resource).crawl().resolver(base_uri=uri)

    def check_schema(cls: Any, schema: Any, format_checker: Any = _UNSET) -> None:
        """openapi-schema-validator's ``check_openapi_schema``, its validator made once, and skipped where
        jsonschema-rs's verdict is its own (``_meta_clean_to_rust``)."""
        checker = cls.FORMAT_CHECKER if format_checker is _UNSET else format_checker
        key = (cls, id(checker))
        if key not in checkers:
            validator_class = validator_for(cls.META_SCHEMA, default=cls)
            metaschema = validator_class(cls.META_SCHEMA, format_checker=checker, registry=specifications)
            checkers[key] = (checker, metaschema, _rust_meta_validator(cls.META_SCHEMA))
        rust = checkers[key][2]
        if rust is not None and _meta_clean_to_rust(rust, schema, checker):
            return
        for error in checkers[key][1].iter_errors(schema):
            raise SchemaError.create_from(error)

    Registry.resolver_with_root = resolver_with_root  # type: ignore[method-assign,assignment]
    for cls in classes:
        cls.check_schema = classmethod(check_schema)
    try:
        yield
    finally:
        Registry.resolver_with_root = original_root  # type: ignore[method-assign]
        for cls, check in original_checks.items():
            if check is not None:
                cls.check_schema = check


@contextmanager
def _extras_in_document_order() -> Iterator[None]:
    """While it lasts, ``additionalProperties`` checks an object's extra properties in the object's order.

    jsonschema (4.x) and openapi-schema-validator (0.6-0.9) gather them in a set, whose order follows the
    process's string hashing (``PYTHONHASHSEED``): of two equal slips (two properties with the same pattern that
    is no regex), which one a meta-check raised first, and the order of the names in openapi-schema-validator's
    "Additional properties are not allowed (...)", changed from run to run, and so did the warning's pointer in
    the manifest and the error's line. The same checks, in an order of the document's."""
    from jsonschema import _keywords as drafts
    from openapi_schema_validator import _keywords as oas

    originals = {drafts.additionalProperties: _ordered(drafts), oas.additionalProperties: _ordered(oas)}
    swapped: list[tuple[dict[str, Any], Any]] = []
    for cls in _validator_classes():
        table = getattr(cls, "VALIDATORS", None)
        if not isinstance(table, dict):
            continue
        found = table.get("additionalProperties")
        if found in originals:
            swapped.append((table, found))
            table["additionalProperties"] = originals[found]
    try:
        yield
    finally:
        for table, found in swapped:
            table["additionalProperties"] = found


def _ordered(module: Any) -> Callable[..., Iterator[Any]]:
    """``module.additionalProperties`` with the extras in the instance's order: its ``set`` made an ordered one."""

    class _InOrder(dict[Any, None]):
        def __init__(self, items: Iterable[Any] = ()) -> None:
            super().__init__(dict.fromkeys(items))

    original = module.additionalProperties
    if original.__code__.co_freevars:  # a release written otherwise: checked as it comes
        return original  # type: ignore[no-any-return]
    namespace = {**original.__globals__, "set": _InOrder}
    return types.FunctionType(original.__code__, namespace, original.__name__, original.__defaults__)


@contextmanager
def _descents_made_once() -> Iterator[None]:
    """While it lasts, a reference is resolved and a schema's validator is made once per place they are
    needed from, instead of once per instance checked there.

    jsonschema builds a new validator (``evolve``: an attrs instance and its keyword list) for every
    subschema it descends into and resolves every ``$ref``/``$dynamicRef`` again through ``referencing``,
    for each instance: on GitHub's spec 766k validators and 224k resolutions (validation 14.5 s of CPU,
    9.1 s with this; Airflow 3.3.2's 3.3 s, 1.5 s). Both are functions of immutable inputs
    (``Resolver`` is frozen; the validator of a (parent validator, subschema, resolver) triple has no
    other state), so each is kept by those inputs' identities, with the inputs held so that no identity
    is reused while it lasts. A descent into a container found clean is not made again for an equal
    container (GitHub's spec: the OAS-schema pass 4.4 -> 1.9 s of CPU, the keyword walk 3.1 -> 2.2 s).
    Same verdicts (tests/test_validation_slips.py compares them on specs with errors and slips)."""
    from referencing._core import Resolver

    if not set(getattr(Resolver, "__slots__", ())) >= {"_base_uri", "_registry", "_previous"}:
        yield  # a referencing release laid out otherwise: validate as it comes
        return
    evolved: dict[tuple[int, int, int], tuple[Any, Any, Any, Any]] = {}
    patches = [(Resolver, "lookup", _lookup_made_once(Resolver.lookup))]
    patches += _subscriptable_check_per_type()
    patches += [(cls, "evolve", _evolve_made_once(cls.__dict__["evolve"], evolved)) for cls in _validator_classes()]
    contents = _Contents()
    clean: dict[tuple[int, int, int, int], tuple[Any, Any, Any]] = {}
    patches += [
        (cls, "descend", _clean_descents_once(cls.__dict__["descend"], contents, clean))
        for cls in _validator_classes()
        if "descend" in cls.__dict__
    ]
    originals = [(owner, name, owner.__dict__[name]) for owner, name, _ in patches]
    for owner, name, replacement in patches:
        setattr(owner, name, replacement)
    try:
        yield
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)


@contextmanager
def _paths_resolved_once(applies: bool) -> Iterator[None]:
    """While it lasts, each path of the spec the keyword walk reads is resolved once, from its parent's.

    openapi-spec-validator's walk reads the spec through jsonschema_path, which keeps whole paths in an LRU of
    128 (the walk reads far more: lightsail 16k misses in 71k reads) and resolves a miss from the longest
    prefix it kept, one part at a time: ``_get_subnode``, then ``_resolve_node`` with the resolver reached so
    far. Resolving a path from its parent's resolution is that same step. jsonschema_path also rebinds what it
    kept to its registry when the registry grows (a document retrieved), so that a document is not retrieved
    twice: without that, what is read is the same, but a spec of several files would be read again and again.
    Hence only ``applies`` (an OpenAPI 3.0 spec of one file, whose references all stay in it) is read so.
    Validation of lightsail 0.40 -> 0.21 s of CPU, of GitHub's spec 1.9 -> 1.2 s; the same verdicts
    (``tests/test_validation_slips.py``, ``scripts/fuzz_validation.py``)."""
    patch = _resolved_from_parents() if applies else None
    if patch is None:
        yield
        return
    owner, original, replacement = patch
    owner.get_resolved = replacement
    try:
        yield
    finally:
        owner.get_resolved = original


def _resolved_from_parents() -> tuple[Any, Any, Callable[[Any, Any], Any]] | None:
    try:
        from jsonschema_path.accessors import SchemaAccessor
        from jsonschema_path.nodes import SchemaNode
    except ImportError:
        return None
    original = SchemaAccessor.__dict__.get("get_resolved")
    get_subnode = getattr(SchemaNode, "_get_subnode", None)
    resolve_node = getattr(SchemaNode, "_resolve_node", None)
    if original is None or get_subnode is None or resolve_node is None:
        return None  # a jsonschema_path laid out otherwise: read as it comes
    tables: dict[int, tuple[Any, dict[tuple[Any, ...], Any]]] = {}  # per accessor (held), by path

    def get_resolved(accessor: Any, parts: Any) -> Any:
        held = tables.get(id(accessor))
        if held is None or held[0] is not accessor:
            held = tables[id(accessor)] = (accessor, {})
        key = parts if type(parts) is tuple else tuple(parts)
        try:
            known = held[1].get(key)
        except TypeError:  # a part that is no key of JSON: as jsonschema_path reads it
            return original(accessor, parts)
        if known is None:
            if key:
                parent = get_resolved(accessor, key[:-1])
                known = resolve_node(get_subnode(parent.contents, key[-1]), parent.resolver)
            else:
                known = original(accessor, key)
            held[1][key] = known
        return known

    return SchemaAccessor, original, get_resolved


def _subscriptable_check_per_type() -> list[tuple[Any, str, Any]]:
    """openapi-spec-validator reads the spec through ``pathable``, which asks ``isinstance(node,
    Subscriptable)`` of every node it steps through: a runtime-checkable Protocol, which Python 3.11 answers
    by listing the protocol's members again each time (GitHub's spec: 128k checks, ~8% of validation).
    A JSON value's answer depends only on its type (no instance attributes), so it is asked once per type."""
    try:
        from pathable import accessors
    except ImportError:
        return []
    protocol: Any = getattr(accessors, "Subscriptable", None)
    if not isinstance(protocol, type):
        return []
    json_types = frozenset({dict, list, str, int, float, bool, type(None)})
    answers: dict[type, bool] = {}

    class _OncePerType(type):
        def __instancecheck__(cls, instance: object) -> bool:
            kind = type(instance)
            if kind not in json_types:
                return isinstance(instance, protocol)
            known = answers.get(kind)
            if known is None:
                known = answers[kind] = isinstance(instance, protocol)
            return known

    return [(accessors, "Subscriptable", _OncePerType("Subscriptable", (), {}))]


def _validator_classes() -> list[Any]:
    """jsonschema's draft validators and openapi-schema-validator's, each class with its own ``evolve``."""
    from jsonschema import validators as drafts
    from openapi_schema_validator import validators as oas

    classes = [getattr(drafts, name) for name in dir(drafts) if name.startswith("Draft") and name.endswith("Validator")]
    classes += [getattr(oas, name) for name in dir(oas) if name.startswith("OAS") and name.endswith("Validator")]
    return [cls for cls in classes if isinstance(cls, type) and "evolve" in cls.__dict__]


def _lookup_made_once(original: Callable[[Any, str], Any]) -> Callable[[Any, str], Any]:
    resolved: dict[tuple[str, str, int, Any], tuple[Any, Any]] = {}

    def lookup(resolver: Any, ref: str) -> Any:
        key = (ref, resolver._base_uri, id(resolver._registry), resolver._previous)
        known = resolved.get(key)
        if known is None or known[1] is not resolver._registry:
            known = resolved[key] = (original(resolver, ref), resolver._registry)
        return known[0]

    return lookup


def _evolve_made_once(
    original: Callable[..., Any], evolved: dict[tuple[int, int, int], tuple[Any, Any, Any, Any]]
) -> Callable[..., Any]:
    def evolve(validator: Any, **changes: Any) -> Any:
        # descend() changes the schema and the resolver; is_valid() and friends the schema alone
        schema, resolver = changes.get("schema", _UNSET), changes.get("_resolver", _UNSET)
        if schema is _UNSET or len(changes) != (1 if resolver is _UNSET else 2):
            return original(validator, **changes)
        key = (id(validator), id(schema), id(resolver))
        known = evolved.get(key)
        if known is None or known[1] is not validator or known[2] is not schema or known[3] is not resolver:
            known = evolved[key] = (original(validator, **changes), validator, schema, resolver)
        return known[0]

    return evolve


class _Contents:
    """Each JSON container of a document (a dict or a list, by identity) as a number that equal
    contents share: equal subtrees are found without comparing them again. The containers are held, so
    that no identity is reused while this lasts."""

    _VISITING = -1

    def __init__(self) -> None:
        self.numbers: dict[int, int] = {}
        self.held: list[Any] = []
        self.interned: dict[tuple[Any, ...], int] = {}

    def of(self, node: Any) -> int | None:
        """``node``'s number; None when it has none: in a cycle, holding a value that cannot be hashed, or
        deeper than Python recurses (then never, nor has what was being numbered around it)."""
        try:
            number = self._number(node)
        except (TypeError, RecursionError):
            return None
        return None if number == self._VISITING else number

    def _number(self, node: Any) -> int:
        known = self.numbers.get(id(node))
        if known is not None:
            return known
        self.numbers[id(node)] = self._VISITING
        self.held.append(node)  # held from here: a node left visiting (a cycle, too deep) keeps its id
        if isinstance(node, dict):
            content = (dict, *((key.__class__, key, self._value(value)) for key, value in node.items()))
        else:
            content = (list, *(self._value(value) for value in node))
        number = self.interned.setdefault(content, len(self.interned))
        self.numbers[id(node)] = number
        return number

    def _value(self, value: Any) -> tuple[Any, Any]:
        if isinstance(value, (dict, list)):
            number = self._number(value)
            if number == self._VISITING:
                raise TypeError("a cycle")
            return (value.__class__, number)
        return (value.__class__, value)


def _clean_descents_once(
    original: Callable[..., Iterator[Any]],
    contents: _Contents,
    clean: dict[tuple[int, int, int, int], tuple[Any, Any, Any]],
) -> Callable[..., Iterator[Any]]:
    """``descend`` that checks a container against a subschema once per content: a descent found clean
    (no error, run to its end) is clean again for an equal container from the same validator, subschema
    and resolver (its result is a function of those and the container's content; GitHub's spec repeats
    60% of its nodes in equal subtrees). Errors are never kept: each is found where it is."""

    def descend(
        validator: Any, instance: Any, schema: Any, path: Any = None, schema_path: Any = None, resolver: Any = None
    ) -> Iterator[Any]:
        number = contents.of(instance) if isinstance(instance, (dict, list)) and instance else None  # [] and {}: cheap
        if number is None:
            yield from original(validator, instance, schema, path, schema_path, resolver)
            return
        key = (id(validator), id(schema), id(resolver), number)
        known = clean.get(key)
        if known is not None and known[0] is validator and known[1] is schema and known[2] is resolver:
            return
        found = False
        for error in original(validator, instance, schema, path, schema_path, resolver):
            found = True
            yield error
        if not found:
            clean[key] = (validator, schema, resolver)

    return descend


class _IdRegistry(list[int]):
    """openapi-spec-validator (0.7-0.9) remembers the schemas it has visited and meta-checked in lists,
    searched for every schema: quadratic (GitHub's spec: 15.3 s, 8.9 s with this). Same answers, kept in
    a set."""

    def __init__(self) -> None:
        super().__init__()
        self._ids: set[int] = set()

    def append(self, schema_id: int) -> None:
        self._ids.add(schema_id)

    def __contains__(self, schema_id: object) -> bool:
        return schema_id in self._ids


def _index_visited_schemas(validator: Any) -> None:
    registry = getattr(validator, "keyword_validators_registry", None)
    try:
        schemas = registry["schema"] if registry is not None else None
    except KeyError:
        return
    for name in ("visited_schema_ids", "meta_checked_schema_ids"):
        if isinstance(getattr(schemas, name, None), list):
            setattr(schemas, name, _IdRegistry())


def _verdict_key(spec: LoadedSpec) -> str:
    return _validator_key(spec.sha256)


def _validator_key(subject: str) -> str:
    """A cache key for what is known of ``subject`` (a spec's content, a spec file): it holds for this
    validator and this clientgen (which decides what is a slip)."""
    from .writer import fingerprint

    return hashlib.sha256(f"{subject}\0{_validator_version()}\0{fingerprint()}".encode()).hexdigest()


_VERSION_LINE = re.compile(r"""^__version__ = ["']([^"'\n]+)["']""", re.M)


@cache
def _validator_version() -> str:
    """openapi-spec-validator's ``__version__``, read from its ``__init__.py`` without running it: the
    parent only needs it for cache keys (importing the validator is ~0.1 s, ``importlib.metadata`` ~20 ms)."""
    folder = _package_folder("openapi_spec_validator")
    try:
        found = _VERSION_LINE.search((folder / "__init__.py").read_text(encoding="utf-8")) if folder else None
    except (OSError, UnicodeDecodeError):
        found = None
    if found is not None:
        return found.group(1)
    from importlib.metadata import version as dist_version

    return dist_version("openapi-spec-validator")


def _cached(spec: LoadedSpec) -> tuple[Diagnostic, ...] | None:
    """The verdict of an earlier run on the same inputs (it passed: errors are never stored), or None."""
    stored = read_entry("valid", _verdict_key(spec))
    if stored is None:
        return None
    try:
        rows = json.loads(stored)
        return tuple(Diagnostic("warning", str(f), line, str(p), str(m)) for f, line, p, m in rows)
    except (ValueError, TypeError):
        return None


def _harmless(error: Any) -> bool:
    path = [str(p) for p in error.absolute_path]
    if error.validator in _VALUE_CHECKS and (not path or path[-1] in _VALUE_KEYS):
        return True  # a value (default, example, enum, pattern) that breaks its own schema
    if error.validator == "additionalProperties":
        unexpected = _QUOTED.findall(str(error.message).split(" does not match", 1)[0].split(" was unexpected")[0])
        return bool(unexpected) and all(key in _DOCUMENTING_KEYS for key in unexpected)
    return False


def _locate(nodes: list[tuple[str, Any]], error: Any) -> str | None:
    """Where the slip is. The validator checks schemas one by one and reports paths relative to the
    schema (or to the value checked against it): find the node they lead to in the document."""
    path = list(error.absolute_path)
    for pointer, node in nodes:
        if path:
            target = _follow(node, path)
            if target is not _MISSING and target == error.instance and type(target) is type(error.instance):
                return join_pointer(pointer, *path)
        elif isinstance(node, dict):
            for key in ("default", "example", "const", "x-example"):
                value = node.get(key, _MISSING)
                if value is not _MISSING and value == error.instance and type(value) is type(error.instance):
                    if error.validator in ("type", "format") and node.get(error.validator) != error.validator_value:
                        continue
                    return join_pointer(pointer, key)
    return None


_MISSING = object()


def _follow(node: Any, path: list[Any]) -> Any:
    for step in path:
        if isinstance(node, dict) and str(step) in node:
            node = node[str(step)]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            return _MISSING
    return node


def _walk(node: Any, pointer: str) -> Iterator[tuple[str, Any]]:
    stack = [(pointer, node)]
    while stack:
        here, current = stack.pop()
        yield here, current
        if isinstance(current, dict):
            children = [(join_pointer(here, str(k)), v) for k, v in current.items()]
        elif isinstance(current, list):
            children = [(join_pointer(here, str(i)), v) for i, v in enumerate(current)]
        else:
            continue
        stack.extend(reversed(children))  # document order


# A spec handed to a validator forked early is pickled across (~4 ms per MB each way, measured): worth it up
# to this size, where importing the validator is a good share of its work; a bigger spec goes to a child
# forked after it is read, which shares the parsed spec with the parent.
EARLY_MAX_BYTES = 2 * 2**20


class EarlyValidator:
    """A validating child forked before the spec is read. Importing openapi-spec-validator is ~0.1 s of
    CPU, and reading the spec leaves the second core idle: the child imports it there, then validates the
    spec it is handed (``start_validation``), or is stopped (``stop``) when no validation is needed."""

    def __init__(self) -> None:
        _validator_key("")  # the child inherits what the parent needs anyway (the generator's fingerprint)
        spec_end, self.spec_sender = pipe(duplex=False)
        self.receiver, verdict_end = pipe(duplex=False)
        # The spec goes across in a file in memory both hold: through the pipe, a spec bigger than its
        # buffer held the parent until the child had imported the validator and read it (~80 ms).
        self.handover = _memory_file()
        self.process = Process(_validate_when_handed, (os.getpid(), spec_end, verdict_end, self.handover))
        self.process.start()
        spec_end.close()
        verdict_end.close()

    @classmethod
    def for_spec(cls, path: Path) -> EarlyValidator | None:
        """A child for the spec at ``path``, or None where fork is unavailable or the spec file is big."""
        try:
            small = path.stat().st_size <= EARLY_MAX_BYTES
        except OSError:
            small = False  # load_spec says what is wrong with it
        return cls() if small and can_fork() else None

    def hand(self, spec: LoadedSpec) -> None:
        documents = spec.documents
        # whether the spec is one file is known here, where check_refs read every file it reaches
        handed = (
            spec.path,
            documents.raw(documents.root),
            spec.data,
            spec.sha256,
            spec.openapi_version,
            documents.single_file(),
        )
        message: object = handed
        if self.handover is not None:
            payload = pickle.dumps(handed, protocol=pickle.HIGHEST_PROTOCOL)
            try:
                _write_all(self.handover, payload)
                message = len(payload)  # a few bytes: the pipe takes them without waiting
            except OSError:
                pass  # no room for it in memory: the pipe carries it
        try:
            self.spec_sender.send(message)
        except OSError:  # the child is gone: waiting for its verdict says so
            pass
        self._close_handover()
        self.spec_sender.close()

    def _close_handover(self) -> None:
        if self.handover is not None:
            os.close(self.handover)  # the child keeps the file, and its memory, until it has read it
            self.handover = None

    def stop(self) -> None:
        """Stops the child unless it has sent its verdict: no validation is needed after all (a cached
        verdict, an output up to date) or the run stopped first."""
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join()
        self._close_handover()
        self.spec_sender.close()
        self.receiver.close()


def _memory_file() -> int | None:
    """A descriptor of an anonymous file in memory (Linux), or None where there is none: the pipe carries
    the spec then."""
    create = getattr(os, "memfd_create", None)
    if create is None:
        return None
    try:
        return int(create("clientgen-spec", os.MFD_CLOEXEC))
    except OSError:
        return None


def _write_all(descriptor: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        view = view[os.pwrite(descriptor, view, len(payload) - len(view)) :]


def _read_all(descriptor: int, size: int) -> bytes:
    parts: list[bytes] = []
    done = 0
    while done < size:
        part = os.pread(descriptor, size - done, done)
        if not part:
            raise EOFError("the spec handed over is cut short")
        parts.append(part)
        done += len(part)
    return b"".join(parts)


def _validate_when_handed(parent: int, spec_end: Connection, verdict_end: Connection, handover: int | None) -> None:
    """An early validator's child: imports the validator, waits for the spec, sends its verdict."""
    die_with_parent(parent)
    _settings_without_pydantic()
    import jsonschema.validators  # noqa: F401  (what validate_spec and its helpers import)
    import openapi_schema_validator._specifications  # noqa: F401
    import openapi_spec_validator
    import openapi_spec_validator.validation.exceptions  # noqa: F401
    import referencing._core  # noqa: F401

    from . import keyword_walk  # noqa: F401

    with suppress(ImportError):
        import jsonschema_rs  # noqa: F401
    try:
        handed = spec_end.recv()
        if handover is not None:
            if isinstance(handed, int):
                # written by the parent into a file only the two of them hold, as a pipe's recv() unpickles
                handed = pickle.loads(_read_all(handover, handed))  # noqa: S301
            os.close(handover)
        path, raw, data, sha256, version, single_file = handed
    except (EOFError, OSError):  # the parent stopped before handing it over: it says what happened
        return
    documents = Documents.read_elsewhere(path, raw, data, single_file)
    _send_verdict(verdict_end, LoadedSpec(path, data, documents, sha256, version))


def _validate_forked(parent: int, verdict_end: Connection, spec: LoadedSpec) -> None:
    die_with_parent(parent)
    _send_verdict(verdict_end, spec)


def _send_verdict(verdict_end: Connection, spec: LoadedSpec) -> None:
    try:
        verdict_end.send(("ok", validate_spec(spec)))
    except SpecError as exc:
        verdict_end.send(("error", (exc.message, exc.file, exc.line, exc.pointer)))
    except BaseException as exc:  # the parent reports it; a child must not print tracebacks
        message = f"spec failed validation ({type(exc).__name__}: {exc})"
        verdict_end.send(("error", (message, spec.path, None, None)))


def start_validation(spec: LoadedSpec, early: EarlyValidator | None = None) -> Callable[[], tuple[Diagnostic, ...]]:
    """Validate in a forked child while the caller renders (``early``'s, when given); the returned function
    waits for the verdict, raises its SpecError or returns its warnings. Where fork is unavailable,
    validates right away."""
    cached = _cached(spec)
    if cached is not None:
        if early is not None:
            early.stop()
        known = cached
        return lambda: known
    if early is not None:
        early.hand(spec)
        receiver, process = early.receiver, early.process
    elif can_fork():
        receiver, verdict_end = pipe(duplex=False)
        process = Process(_validate_forked, (os.getpid(), verdict_end, spec))
        process.start()
        verdict_end.close()
    else:
        slips = validate_spec(spec)
        return lambda: slips

    def verdict() -> tuple[Diagnostic, ...]:
        try:
            kind, outcome = receiver.recv()
        except EOFError:
            kind, outcome = "error", ("validator process died", spec.path, None, None)
        finally:
            process.join()
            receiver.close()
        if kind == "error":
            message, file, line, pointer = outcome
            raise SpecError(message, file=file, line=line, pointer=pointer)
        return tuple(outcome)

    return verdict


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
