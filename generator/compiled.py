"""The methods ``dataclasses`` makes for a module's classes, compiled once and kept beside its bytecode.

``dataclasses`` writes each method of each class (``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, a frozen
class's ``__setattr__`` and ``__delattr__``) as source text and compiles it, at every import: the IR's 27 classes
are 162 texts, ~11 ms of every run's start (a GitHub regeneration is ~400 ms). ``DataclassMethods`` makes the
module's ``exec`` answer those texts with the code objects kept in a file beside the module's bytecode
(``__pycache__``, as ``importlib`` names it), found by their very text, compiling and keeping the ones it lacks:
the same code, as Python's bytecode cache keeps a module's. A file that does not read as one (another Python, cut
short, garbled) is no file; it is written where bytecode would be (not with ``PYTHONDONTWRITEBYTECODE``), holding
the texts of this import only."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import marshal
import os
import sys
from types import CodeType
from typing import Any

_MARK = b"clientgen dataclass methods\0" + importlib.util.MAGIC_NUMBER


class DataclassMethods:
    """From its making to ``keep``: the methods of the classes ``dataclasses`` makes meanwhile compiled once."""

    def __init__(self, module_file: str) -> None:
        try:
            self.path: str | None = importlib.util.cache_from_source(module_file)[: -len(".pyc")] + ".dataclasses"
        except (NotImplementedError, ValueError):  # no bytecode cache for this module
            self.path = None
        self.known = _read(self.path) if self.path is not None else {}
        self.used: dict[str, CodeType] = {}
        self.compiled = 0
        setattr(dataclasses, "exec", self._exec)  # noqa: B010 - ``dataclasses`` takes ``exec`` from its globals

    def _exec(self, source: Any, globals: Any = None, locals: Any = None) -> None:
        if not isinstance(source, str):
            exec(source, globals, locals)  # noqa: S102 - what dataclasses itself runs
            return
        code = self.known.get(source)
        if code is None:
            # as ``exec`` compiles a text given from ``dataclasses``, whose code takes no ``__future__`` flags
            code = compile(source, "<string>", "exec", dont_inherit=True)
            self.compiled += 1
        self.used[source] = code
        exec(code, globals, locals)  # noqa: S102 - what dataclasses itself runs

    def keep(self) -> None:
        """Ends it; the file is written where a text was compiled."""
        if vars(dataclasses).get("exec") == self._exec:
            delattr(dataclasses, "exec")
        if self.compiled and self.path is not None and not sys.dont_write_bytecode:
            with contextlib.suppress(OSError, ValueError):  # where bytecode cannot be written either
                _write(self.path, _MARK + marshal.dumps(self.used))


def _read(path: str) -> dict[str, CodeType]:
    try:
        with open(path, "rb") as file:
            content = file.read()
    except OSError:
        return {}
    if not content.startswith(_MARK):
        return {}
    try:
        kept = marshal.loads(memoryview(content)[len(_MARK) :])  # noqa: S302 - beside the module's own bytecode
    except (ValueError, EOFError, TypeError):
        return {}
    if type(kept) is not dict or not all(type(k) is str and type(v) is CodeType for k, v in kept.items()):
        return {}
    return kept


def _write(path: str, content: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = f"{path}.{os.getpid()}"
    try:
        with open(temporary, "wb") as file:
            file.write(content)
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
