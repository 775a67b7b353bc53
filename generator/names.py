"""Python-safe names from spec names, with deterministic disambiguation."""

from __future__ import annotations

import builtins
import keyword
import re
import sys
import unicodedata
from functools import cache

_ACRONYM_BOUNDARY = re.compile(r"([A-Z]+)([A-Z][a-z])")
_WORD_BOUNDARY = re.compile(r"([a-z0-9])([A-Z])")
_NON_WORD = re.compile(r"[^0-9a-zA-Z]+")

# Names the generated code itself uses in annotations or signatures; a parameter or field with one
# of these names would shadow it, so it gets a trailing underscore (``type`` -> ``type_``).
RESERVED_VALUE_NAMES = frozenset(
    {
        "str",
        "int",
        "float",
        "bool",
        "bytes",
        "list",
        "dict",
        "object",
        "type",
        "None",
        "Any",
        "datetime",
        "msgspec",
        "UNSET",
        "UnsetType",
        "self",
        "cls",
        "options",
        "body",
        "accept",
        "models",
        "rt",
        # what a generated method's body refers to: a parameter with one of these names would hide it
        "ep",
        "merge_body",
        "warnings",
        "overload",
        # the paging helper's own argument
        "page_size",
        # what a group's class body calls to make its raw and async twins (an operation named like
        # one would replace it for every operation after it), and the module the async twins come from
        "raw_method",
        "async_raw_method",
        "awaitable_method",
        "async_iterator_method",
        "resources",
    }
)

# The generated ``Client``'s, ``AsyncClient``'s and ``testing.MockApi``'s public names (the runtime's
# and the package's): a group named like one of them would replace it (``client.<group>``,
# ``mock.<group>``). tests/test_hostile_names.py checks this list against the classes themselves.
CLIENT_MEMBERS = frozenset(
    {
        "aclose",
        "add",
        "async_client",
        "client",
        "operation",
        "replay",
        "transport",
        "unreplayed",
        "base_url",
        "close",
        "download",
        "follow_links",
        "max_response_bytes",
        "max_retries",
        "paginate",
        "request",
        "send",
        "strict",
        "stream_events",
        "stream_lines",
        "stream_read_timeout",
        "with_options",
        "with_raw_response",
    }
)
# What the generated client classes' bodies use (``@cached_property`` for each group, ``@staticmethod`` for each
# auth): a group or auth named like one would replace it for every one after it.
CLASS_BODY_NAMES = frozenset({"cached_property", "staticmethod"})
# Methods of the generated models' base class: a field named like one would hide it.
MODEL_MEMBERS = frozenset({"to_dict"})


def words(name: str) -> list[str]:
    return list(_words(name))


@cache  # the same names are cased again and again (GitHub's spec: 156k calls, 16k names)
def _words(name: str) -> tuple[str, ...]:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    spaced = _WORD_BOUNDARY.sub(r"\1 \2", _ACRONYM_BOUNDARY.sub(r"\1 \2", ascii_name))
    return tuple(w for w in _NON_WORD.split(spaced) if w)


@cache
def snake_case(name: str) -> str:
    return "_".join(w.lower() for w in words(name))


@cache
def pascal_case(name: str) -> str:
    """``dag_run`` -> ``DagRun``; words already capitalised (``DAGRun``) keep their case."""
    return "".join(w if w[0].isupper() else w[0].upper() + w[1:] for w in words(name))


def safe_identifier(candidate: str, fallback: str, reserved: frozenset[str] = frozenset()) -> str:
    """A valid, non-keyword identifier; reserved names and keywords get a trailing underscore."""
    name = candidate or fallback
    if name[0].isdigit():
        name = f"{fallback}_{name}"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in reserved:
        name += "_"
    return name


def value_name(wire: str) -> str:
    """Name of a parameter, field or keyword argument: snake_case, never shadowing our names."""
    return safe_identifier(snake_case(wire), "field", RESERVED_VALUE_NAMES)


def field_name(wire: str) -> str:
    """Name of a model field: a value name that does not hide a method of the models' base class."""
    return safe_identifier(snake_case(wire), "field", RESERVED_VALUE_NAMES | MODEL_MEMBERS)


def group_name(tag: str) -> str:
    """Attribute of a client holding one tag's operations: an identifier (``2fa`` -> ``group_2fa``,
    ``class`` -> ``class_``) that no member of the client has."""
    return safe_identifier(snake_case(tag), "group", CLIENT_MEMBERS | CLASS_BODY_NAMES)


_BUILTIN_NAMES = frozenset(dir(builtins))
# Names the generated modules import next to the model classes.
_RESERVED_CLASS_NAMES = frozenset(
    {
        "Model",
        "OpenEnum",
        "OpenIntEnum",
        "Endpoint",
        "FieldsUnion",
        "annotations",
        "File",
        "BinaryContent",
        "ClassVar",  # the models' own class variables are annotated with it (``__secret_fields__``)
    }
)


def class_name(wire: str) -> str:
    """Name of a model, enum or alias class."""
    name = pascal_case(wire)
    name = safe_identifier(name, "Model")
    if name in _BUILTIN_NAMES or name in RESERVED_VALUE_NAMES or name in _RESERVED_CLASS_NAMES:
        name += "Model"
    return name


def enum_member_name(value: str | int) -> str:
    text = str(value)
    name = "_".join(w.upper() for w in words(text))
    if text[:1] == "-" and text[1:2].isdigit():
        name = f"MINUS_{name}"  # words() drops the sign: -1 would be V_1, and 1 then V_1_2
    if not name:
        name = "EMPTY" if text == "" else "VALUE"
    if name[0].isdigit():
        name = f"V_{name}"
    return safe_identifier(name, "VALUE", frozenset({"NAME", "VALUE"}))


class NameAllocator:
    """Hands out unique names in request order: the first asker keeps the name, later ones get
    ``name2``, ``name3``... (``name_2`` for snake_case names). The same spec always asks in the
    same order, so the result is deterministic."""

    def __init__(self, taken: frozenset[str] | set[str] = frozenset()) -> None:
        self._taken = {n.lower() for n in taken}

    def taken(self, name: str) -> bool:
        return name.lower() in self._taken

    def copy(self) -> NameAllocator:
        """An allocator that has handed out what this one has, and goes on by itself."""
        twin = NameAllocator()
        twin._taken = set(self._taken)
        return twin

    def take(self, name: str) -> str:
        candidate, n = name, 1
        sep = "_" if "_" in name or name.islower() else ""
        while candidate.lower() in self._taken:
            n += 1
            candidate = f"{name}{sep}{n}"
        self._taken.add(candidate.lower())
        return candidate


# PEP 440's canonical public version (epoch, release, pre, post, dev), leading zeros allowed.
_PEP440 = re.compile(r"([0-9]+!)?[0-9]+(\.[0-9]+)*((a|b|rc)[0-9]+)?(\.post[0-9]+)?(\.dev[0-9]+)?")


def pep440_version(text: str) -> str | None:
    """``text`` as a PEP 440 version (``v1.2`` -> ``1.2``, ``2`` -> ``2``), or None when it is not one."""
    candidate = text.strip().lower().removeprefix("v")
    return candidate if _PEP440.fullmatch(candidate) else None


def default_package_version(spec_version: str) -> str:
    """A package version from a spec's ``info.version``: itself when PEP 440 (``v`` prefix dropped),
    else ``0.0.0``. Used when the target configures none."""
    return pep440_version(spec_version) or "0.0.0"


# A package name is also the distribution name (``name = "<package with - for _>"`` in pyproject.toml)
# and the top-level module the generated client is imported as: ASCII letters, digits and underscores,
# starting with a letter, is both a Python identifier and a PEP 508 name (a leading underscore is
# neither a public module nor a portable distribution name).
MAX_PACKAGE_NAME = 64
_PACKAGE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# Standard-library modules gone from newer Pythons that the generated package still supports (3.10+):
# ``sys.stdlib_module_names`` of the running Python lacks them, yet the name would shadow them there.
_REMOVED_STDLIB = frozenset(
    {
        # 3.12
        "asynchat",
        "asyncore",
        "distutils",
        "imp",
        "smtpd",
        # 3.13 (PEP 594) and lib2to3
        "aifc",
        "audioop",
        "cgi",
        "cgitb",
        "chunk",
        "crypt",
        "imghdr",
        "lib2to3",
        "mailcap",
        "msilib",
        "nis",
        "nntplib",
        "ossaudiodev",
        "pipes",
        "sndhdr",
        "spwd",
        "sunau",
        "telnetlib",
        "uu",
        "xdrlib",
    }
)
_STDLIB = frozenset(m.lower() for m in (*sys.stdlib_module_names, *_REMOVED_STDLIB))
# The generated client's runtime dependencies (pyproject.toml's ``dependencies``) and what they import
# themselves (httpx 0.27/0.28 on Python 3.10+): a package of the same name would shadow the module, and
# its distribution would replace theirs for pip (names compare case- and ``-``/``_``-insensitively).
RUNTIME_DEPENDENCIES = (
    "httpx",
    "msgspec",
    "httpcore",
    "h11",
    "anyio",
    "sniffio",
    "idna",
    "certifi",
    "exceptiongroup",
    "typing_extensions",
)


def package_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a generated package (the rule it breaks, as a message starting with the
    name shown), or None when it can."""
    shown = repr(name) if len(name) <= 40 else f"{name[:20]!r}..."
    if len(name) > MAX_PACKAGE_NAME:
        return f"package name {shown} is {len(name)} characters long: at most {MAX_PACKAGE_NAME}"
    if not _PACKAGE_NAME.fullmatch(name):
        return (
            f"package name {shown} is not a valid Python identifier and distribution name: ASCII letters, "
            "digits and underscores, starting with a letter"
        )
    if keyword.iskeyword(name):
        return f"package name {shown} is a Python keyword"
    folded = name.lower()
    if folded in _STDLIB:
        return f"package name {shown} would shadow the standard-library module of that name"
    dependency = next((d for d in RUNTIME_DEPENDENCIES if d.lower() == folded), None)
    if dependency is not None:
        return f"package name {shown} would shadow {dependency!r}, which the generated client depends on"
    return None
