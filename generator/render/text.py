"""Spec values as Python text: literals, docstrings, header values, version strings.

Spec text (descriptions, wire names, enum values, media types) reaches generated code only through
``py_literal`` (a ``repr``) or ``docstring`` (a sanitiser), never raw.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from .. import __version__, ir
from ..names import default_package_version

LINE_LENGTH = 88


def py_literal(value: Any) -> str:
    """A Python literal for a spec value (strings, numbers, booleans, None), quoted as black
    would quote it so formatting has nothing to redo."""
    if isinstance(value, str):
        text = repr(value)
        if text.startswith("'") and '"' not in value:
            text = '"' + text[1:-1].replace("\\'", "'") + '"'
        return text
    if isinstance(value, (int, float, bool)) or value is None:
        return repr(value)
    raise TypeError(f"not a literal: {type(value).__name__}")


def py_value(value: ir.JsonScalar | tuple[ir.JsonScalar, ...]) -> str:
    """A Python literal for a spec default: a scalar, or a list of scalars (kept as a tuple in the IR)."""
    if isinstance(value, tuple):
        return f"[{', '.join(py_literal(v) for v in value)}]"
    return py_literal(value)


_QUOTE_RUN = re.compile(r'"(?="|$)')
_UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SURROGATES = re.compile("[\ud800-\udfff]")  # unicodedata's category "Cs": no file can hold one


def docstring(text: str, indent: int = 4, fallback: str = "") -> str:
    """A triple-quoted docstring holding ``text`` verbatim, whatever it contains.

    Backslashes and quotes are escaped so nothing in the text can end the string early or form
    an escape sequence; control characters are dropped; lines are indented for their block.
    """
    text = (text or fallback).replace("\r\n", "\n").replace("\r", "\n")
    text = _SURROGATES.sub("", text)
    text = _UNSAFE_CHARS.sub("", text).strip()
    if not text:
        return ""
    text = text.replace("\\", "\\\\")
    # Escape each quote followed by another one or by the end: no three unescaped quotes in a row
    # can then occur, so nothing can close the string early.
    text = _QUOTE_RUN.sub('\\\\"', text)
    pad = " " * indent
    lines = [line.rstrip() for line in text.split("\n")]
    body = "\n".join(pad + line if line else "" for line in lines[1:])
    if len(lines) == 1:
        return f'"""{lines[0]}"""'
    return f'"""{lines[0]}\n{body}\n{pad}"""'


_MD_DROPPED = frozenset({"Cc", "Cf", "Cs"})  # controls, format characters (bidi overrides), surrogates
_BACKTICK_RUN = re.compile(r"`+")
_ASCII_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")


def markdown_cell(text: str, code: bool = False) -> str:
    """Spec text on one line of the README (its title, a table cell), unable to leave it: whitespace runs
    (newlines and line separators included) become one space, controls and format characters are dropped,
    ``|`` is escaped (a GFM table cell ends at an unescaped one, inside code spans too).

    As text, ``<`` becomes ``&lt;`` (no HTML). With ``code``, the text as one code span whose backtick
    fence is longer than any backtick run inside, so nothing in the text can close it early."""
    line = " ".join(text.split())
    if line.isascii():  # no format characters or surrogates there: its controls are the C0 ones and DEL
        line = _ASCII_CONTROLS.sub("", line)
    else:
        line = "".join(c for c in line if unicodedata.category(c) not in _MD_DROPPED)
    line = " ".join(line.split()).replace("|", "\\|")
    if not code:
        return line.replace("<", "&lt;")
    fence = "`" * (max((len(run) for run in _BACKTICK_RUN.findall(line)), default=0) + 1)
    pad = " " if line.startswith("`") or line.endswith("`") else ""
    return f"{fence}{pad}{line}{pad}{fence}"


_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


def header_value(text: str) -> str:
    """Text made safe as an HTTP header value: printable ASCII only (accents dropped, other
    non-ASCII characters removed), control characters (CR, LF, NUL, ...) and whitespace runs become
    one space. Applied to every header value built from spec or user text (the User-Agent)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(_HEADER_UNSAFE.sub(" ", ascii_text).split())


_NOT_TCHAR = re.compile(r"[^!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def http_token(text: str, fallback: str = "unknown") -> str:
    """``text`` as an RFC 9110 token: accents dropped, every run of other characters (spaces, ``/``, ``:``,
    controls, non-ASCII) one ``-``, none at either end; ``fallback`` when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_TCHAR.sub("-", ascii_text).strip("-") or fallback


def user_agent(package: str, package_version: str) -> str:
    """``<package>/<version> clientgen/<generator version>``: products (RFC 9110 ``token/token``) whatever
    the package name or version hold, so the header is always valid and says what it should."""
    return f"{http_token(package)}/{http_token(package_version)} clientgen/{http_token(__version__)}"


# How every generated file's first line begins (the writer recognises it).
HEADER_START = "Generated by clientgen "


def header(comment: str = "#") -> str:
    """Every generated file's first line. It names the generator, not the spec: the spec's sha256 is in the
    manifest, so a changed spec rewrites only the files whose text it changes (a vendored client's diff shows
    what changed, and a regeneration writes, and renders, only those files)."""
    line = f"{HEADER_START}{__version__}. Do not edit: regenerate instead."
    if comment == "<!--":
        return f"<!-- {line} -->"
    return f"{comment} {line}"


def pep440(version: str) -> str:
    """The spec's ``info.version`` as a package version (see ``names.default_package_version``)."""
    return default_package_version(version)


_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_string(value: str) -> str:
    """A TOML basic string holding ``value`` exactly: quotes, backslashes and the usual controls escaped as
    JSON would (so ASCII text reads as before), every other non-printable character (controls, DEL, line
    separators, bidi overrides) as ``\\uXXXX``/``\\UXXXXXXXX``, printable Unicode kept as it is. A lone
    surrogate, which no TOML string can hold, becomes U+FFFD."""
    out = ['"']
    for c in value:
        if c in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[c])
        elif unicodedata.category(c) == "Cs":
            out.append("\ufffd")
        elif c.isprintable():
            out.append(c)
        else:
            out.append(f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}")
    out.append('"')
    return "".join(out)
