"""Unused-import pruning of rendered modules, keeping black's layout."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from ..render.text import LINE_LENGTH

_STRINGS_AND_COMMENTS = re.compile(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|#[^\n]*'
)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ALL = re.compile(r"^__all__ = \[(.*?)^\]", re.M | re.S)


def prune_imports(source: str, also_used: Iterable[str] = ()) -> str:
    """Drop imported names the module does not use, keeping black's layout.

    Templates import everything a module of their kind may need; a given spec uses only part of
    it, and an unused import is lint. Names listed in ``__all__`` count as used (re-exports). Only the
    import block is parsed; uses are the identifiers of the rest, strings and comments left out.
    ``also_used``: the names used by code that goes after the imports once they are pruned (statements
    kept apart: ``render.parts``).
    """
    lines = source.split("\n")
    first, last = _import_block(lines)
    imports = ast.parse("\n".join(lines[first : last + 1])).body
    used = used_names("\n".join(lines[last + 1 :]))
    used.update(also_used)
    edits: list[tuple[int, int, str | None]] = []
    for node in imports:
        if not isinstance(node, (ast.Import, ast.ImportFrom)) or getattr(node, "module", None) == "__future__":
            continue
        kept = [a for a in node.names if (a.asname or a.name).split(".")[0] in used]
        if len(kept) < len(node.names):
            end = node.end_lineno or node.lineno
            edits.append((first + node.lineno - 1, first + end, _import_text(node, kept) if kept else None))
    block_end = last + 1
    for begin, stop, text in reversed(edits):
        replacement = [] if text is None else text.split("\n")
        block_end += len(replacement) - (stop - begin)
        lines[begin:stop] = replacement
    if edits:
        _drop_double_blanks(lines, first, block_end)
    return "\n".join(lines)


def used_names(code: str) -> set[str]:
    """The names ``code`` (whole statements) uses: its identifiers outside strings and comments, and the
    names its ``__all__`` lists. Those of statements one after another are those each uses: no string
    or comment crosses from one statement to the next."""
    used = set(_IDENTIFIER.findall(_STRINGS_AND_COMMENTS.sub(" ", code)))
    for block in _ALL.findall(code):
        used |= set(re.findall(r'"([^"]+)"', block))
    return used


def _import_block(lines: list[str]) -> tuple[int, int]:
    """The first and last line of the module's import statements (parenthesised ones included)."""
    first = next(i for i, line in enumerate(lines) if line.startswith(("import ", "from ")))
    last = i = first
    while i < len(lines):
        if lines[i].startswith(("import ", "from ")):
            if lines[i].endswith("("):
                while not lines[i].startswith(")"):
                    i += 1
            last = i
        elif lines[i].strip():
            break
        i += 1
    return first, last


def _drop_double_blanks(lines: list[str], top: int, bottom: int) -> None:
    """A dropped statement can leave two blank lines inside the import block; keep one."""
    while top < bottom < len(lines) and bottom - top > 0:
        if lines[top] == "" and top + 1 < len(lines) and lines[top + 1] == "":
            del lines[top]
            bottom -= 1
        else:
            top += 1


def _import_text(node: ast.Import | ast.ImportFrom, names: list[ast.alias]) -> str:
    parts = [f"{a.name} as {a.asname}" if a.asname else a.name for a in names]
    if isinstance(node, ast.Import):
        return "\n".join(f"import {part}" for part in parts)
    module = "." * node.level + (node.module or "")
    line = f"from {module} import {', '.join(parts)}"
    if len(line) <= LINE_LENGTH:
        return line
    return f"from {module} import (\n" + "".join(f"    {part},\n" for part in parts) + ")"


def import_order(name: str) -> tuple[int, tuple[str | int, ...], tuple[str | int, ...]]:
    """isort's (ruff's ``I``) order for imported names and modules: constants, then classes, then
    the rest, each in natural order ignoring case (``Option2`` before ``Option10``)."""
    kind = 0 if len(name) > 1 and name.isupper() else 1 if name[:1].isupper() else 2
    return kind, _natural(name.lower()), _natural(name)


_DIGIT_RUNS = re.compile(r"(\d+)")


def _natural(text: str) -> tuple[str | int, ...]:
    # split with a group alternates text and digit runs, so equal positions hold equal types
    parts = _DIGIT_RUNS.split(text)
    if len(parts) == 1:  # most names: no digits
        return (text,)
    return tuple(int(part) if i % 2 else part for i, part in enumerate(parts))
