"""The one exception type for mistakes in the user's input (spec, overlay, options, output dir)."""

from __future__ import annotations

import os
from pathlib import Path


class SpecError(Exception):
    """A user-facing error: printed on one line as ``file:line: #/pointer: message``, exit code 2."""

    def __init__(
        self,
        message: str,
        *,
        file: Path | None = None,
        line: int | None = None,
        pointer: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.pointer = pointer

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(place(self.file, self.line))
        if self.pointer is not None:
            where.append(f"#{printable(self.pointer)}")
        text = printable(" ".join(self.message.split()))  # one line, whatever the message held
        return f"{': '.join(where)}: {text}" if where else text


def display_path(path: Path) -> str:
    """How every message shows a path: relative to the working directory when it can be (``..``
    included), else as given. The one place paths are displayed."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)


def place(file: Path | str, line: int | None = None) -> str:
    """``file:line`` as a message shows it: a Path displayed by ``display_path`` (a str is taken as
    displayed already), made printable."""
    shown = display_path(file) if isinstance(file, Path) else file
    return printable(shown) + (f":{line}" if line is not None else "")


def printable(text: str) -> str:
    """Text from a spec or a path made safe for one terminal line: every character that is not
    printable (CR, LF, ESC, C1 controls, U+2028, bidi overrides such as U+202E, lone surrogates from
    undecodable file names...) is shown as its Python escape (``\\n``, ``\\x1b``, ``\\u202e``).
    The one place this is done: every line clientgen prints passes what it did not write itself
    through here. Idempotent (its output is printable), so applying it twice is harmless."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
