"""Measure what "shape certification" would save black on a generated package, and check it is exact there.

A prototype for issue 13 (not used by `clientgen generate`): black formats every generated line, and that
alone costs more CPU than openapi-python-client's whole run. The idea: black's layout of a piece depends on
identifier names and plain string contents only through line lengths. So a piece whose every physical line
fits (outside docstrings) is black-stable exactly when its *shape* is: names (not keywords) replaced by
``a``, plain strings by ``"a"``, docstrings by a placeholder of the same kind (verified on their own, in a
context of the same depth). Shapes repeat (kubernetes' 1,224 methods per module share a few hundred), so
black runs once per distinct shape. Where lengths decide black's layout, they are kept: a logical line
split over lines without a magic trailing comma at every bracket opened at a line end (black may join it,
or wrap it in optional parentheses, depending on lengths) has its names and strings masked to the same
width instead of collapsed. A piece black cannot shape this way is left to black.

    python scripts/shape_certify.py GENERATED_PACKAGE_DIR... [--verify] [--show N]

Prints: pieces and lines, how many are shape-checkable, distinct shapes and their lines, docstrings, the
CPU of each step; with ``--verify``, black on every certified piece (any it would change is printed: the
idea is wrong there) and on the rest, for the end-to-end comparison. Findings: docs/DEVELOPING.md.
"""

from __future__ import annotations

import argparse
import difflib
import keyword
import re
import time
from collections.abc import Iterable
from pathlib import Path

from black.strings import str_width

from clientgen.writer import LINE_LENGTH, _format_piece, _masked_header, split_for_black

KEPT_NAMES = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | {"print", "exec", "overload"}
TOKEN = re.compile(
    r"(?P<str>[rRbBuUfF]{0,2}(?:\"\"\"(?:\\.|[^\\])*?\"\"\"|'''(?:\\.|[^\\])*?'''|\"(?:\\.|[^\"\\\n])*\""
    r"|'(?:\\.|[^'\\\n])*'))|(?P<com>#[^\n]*)|(?P<num>\b\d[\w.]*)|(?P<name>[A-Za-z_]\w*)|(?P<br>[()\[\]{}])"
    r"|(?P<other>[^\sA-Za-z_0-9#\"'()\[\]{}]+)|(?P<ws>\s+)",
    re.S,
)
Token = tuple[str, str, int]  # group, text, offset
Docstring = tuple[str, int, str]  # text, indent, "head" (after a line ending in ":") or "after"


def tokens(piece: str) -> list[Token] | None:
    found: list[Token] = []
    at = 0
    for match in TOKEN.finditer(piece):
        if match.start() != at:
            return None
        at = match.end()
        found.append((match.lastgroup or "", match.group(0), match.start()))
    return found if at == len(piece) else None


def logical_lines(found: list[Token]) -> list[list[int]]:
    lines: list[list[int]] = [[]]
    depth = 0
    for index, (group, text, _) in enumerate(found):
        lines[-1].append(index)
        if group == "br":
            depth += 1 if text in "([{" else -1
        elif group == "ws" and "\n" in text and depth == 0:
            lines.append([])
    return [line for line in lines if line]


def length_free(found: list[Token], line: list[int]) -> bool:
    """Every bracket opened at a line end closes right after a comma (black keeps it exploded)."""
    code = [i for i in line if found[i][0] not in ("ws", "com")]
    opened: list[bool] = []
    for k, i in enumerate(code):
        group, text, _ = found[i]
        if group == "br" and text in "([{":
            after = found[i + 1] if i + 1 < len(found) else ("", "", 0)
            opened.append(after[0] == "ws" and "\n" in after[1])
        elif group == "br" and opened.pop() and (k == 0 or found[code[k - 1]][1] != ","):
            return False
    return True


def docstring_shape(prefix: str, quotes: str, text: str, indent: int) -> str:
    pad = " " * indent
    if "\n" not in text:
        return f"{prefix}{quotes}a{quotes}"
    if text[: -len(quotes)].endswith("\n" + pad):
        return f"{prefix}{quotes}a\n\n{pad}a\n{pad}{quotes}"
    return f"{prefix}{quotes}a\n\n{pad}a{quotes}"


def string_shape(piece: str, token: Token, collapse: bool, docs: list[Docstring]) -> str | None:
    _, text, start = token
    body = text.lstrip("rRbBuUfF")
    prefix = text[: len(text) - len(body)]
    line_start = piece.rfind("\n", 0, start) + 1
    end = start + len(text)
    alone = not piece[line_start:start].strip() and piece[end : end + 1] in ("\n", "")
    quotes = body[:3] if body.startswith(('"""', "'''")) else body[:1]
    if len(quotes) == 3 and alone:
        indent = start - line_start
        before = piece[:line_start].rstrip("\n").rsplit("\n", 1)[-1]
        docs.append((text, indent, "head" if before.rstrip().endswith(":") else "after"))
        return docstring_shape(prefix, quotes, text, indent)
    if "\n" in text:
        return None
    inner = body[len(quotes) : -len(quotes)]
    if re.search(r"[\\\"'{}]", inner) or not inner.isascii():
        return text
    return prefix + quotes + ("a" if collapse else "a" * str_width(inner)) + quotes


def shape_of(piece: str) -> tuple[str, list[Docstring]] | None:
    found = tokens(piece)
    if found is None:
        return None
    docs: list[Docstring] = []
    out = [""] * len(found)
    for line in logical_lines(found):
        multi = any(found[i][0] == "ws" and "\n" in found[i][1] for i in line[:-1])
        collapse = not multi or length_free(found, line)
        for i in line:
            group, text, _ = found[i]
            if group == "name":
                out[i] = text if text in KEPT_NAMES else "a" if collapse else "a" * len(text)
            elif group == "str":
                shaped = string_shape(piece, found[i], collapse, docs)
                if shaped is None:
                    return None
                out[i] = shaped
            elif group != "com" and not text.isascii():
                return None
            else:
                out[i] = text
    return "".join(out), docs


def in_context(doc: Docstring) -> str:
    text, indent, kind = doc
    heads = [" " * 4 * depth + ("class _:" if depth == 0 else "def _(self):") for depth in range(indent // 4)]
    if kind == "after":
        heads.append(" " * indent + "a = 1")
    return "\n".join(heads) + "\n" + " " * indent + text + "\n"


def checkable(piece: str) -> tuple[str, list[Docstring]] | None:
    shaped = shape_of(piece)
    if shaped is None or shaped[0].lstrip().startswith(('"""', "'''")):
        return None  # a module docstring: left to black
    code = piece
    for text, _, _ in shaped[1]:
        code = code.replace(text, "", 1)
    return None if any(str_width(line) > LINE_LENGTH for line in code.split("\n")) else shaped


def lines(texts: Iterable[str]) -> int:
    return sum(text.count("\n") for text in texts)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("packages", nargs="+", type=Path)
    parser.add_argument("--verify", action="store_true")
    parser.add_argument("--show", type=int, default=0, help="print the first N shapes black changes")
    args = parser.parse_args()
    pieces = [
        piece
        for root in args.packages
        for path in sorted(root.rglob("*.py"))
        if path.name != "_runtime.py"
        for _, piece in split_for_black(_masked_header(path.read_text(encoding="utf-8"))[0], 1)
    ]
    started = time.process_time()
    shapes = {piece: shaped for piece in pieces if (shaped := checkable(piece)) is not None}
    shaping = time.process_time() - started
    distinct = dict.fromkeys(shape for shape, _ in shapes.values())
    docs = dict.fromkeys(in_context(doc) for _, found in shapes.values() for doc in found)
    print(
        f"{len(pieces)} pieces ({lines(pieces)} lines); shape-checkable {len(shapes)} ({lines(shapes)} lines); "
        f"distinct shapes {len(distinct)} ({lines(distinct)} lines); docstrings {len(docs)} ({lines(docs)} lines); "
        f"shaping {shaping:.2f} s CPU",
        flush=True,
    )
    started = time.process_time()
    stable, shown = set(), 0
    for shape in distinct:
        formatted = _format_piece(shape)
        if formatted == shape:
            stable.add(shape)
        elif shown < args.show:
            shown += 1
            print("".join(difflib.unified_diff(shape.splitlines(True), (formatted or "").splitlines(True), n=1)))
    on_shapes = time.process_time() - started
    started = time.process_time()
    docs_kept = {doc for doc in docs if _format_piece(doc) == doc}
    on_docs = time.process_time() - started
    certified = {
        p for p, (shape, found) in shapes.items() if shape in stable and all(in_context(d) in docs_kept for d in found)
    }
    rest = [piece for piece in pieces if piece not in certified]
    print(
        f"black on shapes {on_shapes:.2f} s, on docstrings {on_docs:.2f} s CPU; stable shapes {len(stable)} of "
        f"{len(distinct)}; certified {len(certified)} pieces ({lines(certified)} lines); left to black {len(rest)} "
        f"pieces ({lines(rest)} lines)",
        flush=True,
    )
    if not args.verify:
        return 0
    started = time.process_time()
    wrong = [piece for piece in certified if _format_piece(piece) != piece]
    on_certified = time.process_time() - started
    started = time.process_time()
    for piece in rest:
        _format_piece(piece)
    on_rest = time.process_time() - started
    print(
        f"verify: certified pieces black would change: {len(wrong)}; black on all pieces "
        f"{on_certified + on_rest:.2f} s CPU, shape path {shaping + on_shapes + on_docs + on_rest:.2f} s"
    )
    for piece in wrong[:3]:
        print("".join(difflib.unified_diff(piece.splitlines(True), (_format_piece(piece) or "").splitlines(True))))
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
