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
            where.append(display_path(self.file) + (f":{self.line}" if self.line is not None else ""))
        if self.pointer is not None:
            where.append(f"#{_printable(self.pointer)}")
        text = _printable(" ".join(self.message.split()))  # one line, whatever the message held
        return f"{': '.join(where)}: {text}" if where else text


def display_path(path: Path) -> str:
    """How every message shows a path: relative to the working directory when it can be (``..``
    included), else as given. The one place paths are displayed."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)


def _printable(text: str) -> str:
    """Spec text made safe for a terminal line: characters that are not printable (CR, LF, ESC...)
    are shown as Python escapes (``\\r``, ``\\x1b``)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
