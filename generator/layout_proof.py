"""Which generated pieces are already in black's layout, proven with black on far less text than the pieces.

black formats every generated piece; on big specs that alone costs more CPU than a peer's whole run, although
the templates already emit black's layout. black turns a piece into logical lines, lays each out on its own
(``transform_line``: the line's tokens, depth and the mode; nothing around it) and puts blank lines between
them by their kinds (``EmptyLineTracker``: class, def, decorator, import, docstring, comment, flow control,
opening a block, depth, and the blank lines already there). So a piece is a fixed point of black when:
- every physical line of what is shaped without lengths fits (an element holding only a name or a plain
  string may not: black cannot split it), so no layout black picks by length differs between the piece and
  its *shape* below: black measures a candidate line against 88, our lines fit, and a longer candidate (a
  join) fits only in the shape, where black then changes it (the safe side);
- each logical line, as a *shape* (names -> ``a``, plain strings -> ``"a"``; where black decides by length,
  a line split without a magic trailing comma at every bracket opened at a line end, names and strings are
  masked to the same width instead), is a fixed point of black at its depth. One-line elements of exploded
  brackets (a magic trailing comma: black keeps one per line whatever their lengths), and elements black
  lays out by their own length (masked to the same width), are proven each on their own, inside a bracket of
  the same kind (parameters, arguments, subscript, list, dict, tuple, import), and in the line's shape stand
  as ``a,`` (runs of more than two as two: black splits at every comma alike); an element over several lines
  that black lays out whatever its lengths is outlined as a line is, and proven apart alike;
- its *skeleton* (each logical line replaced by a short line of the same kind, blank lines kept, runs of
  a repeated block as two; an attribute's docstring is a plain line there) is a fixed point of black;
- each docstring is what black's own docstring rules (``LineGenerator.visit_STRING``, black 26) leave as it is.
Shapes, elements and skeleton parts repeat across a package (GitHub's client: 195k lines of pieces, proven
with black on 343 texts of 20.5k lines), and black runs on those, through the writer's workers and cache.
A piece anything here cannot read is left to black, as is a piece whose proof fails.

Measured against black on every piece (``scripts/check_layout_proof.py``), and checked again in the
corpus CI stage with ``CLIENTGEN_CHECK_PROOFS=1``, which formats proven pieces too and fails on a difference.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from .compiled import DataclassMethods
from .render import LINE_LENGTH
from .writer import _black_mode, split_for_black

# Names black treats by their spelling (keywords, soft keywords): kept in shapes.
_KEPT_NAMES = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | {"print", "exec"}
_TOKEN = re.compile(
    r"(?P<str>[rRbBuUfF]{0,2}(?:\"\"\"(?:\\.|[^\\])*?\"\"\"|'''(?:\\.|[^\\])*?'''|\"(?:\\.|[^\"\\\n])*\""
    r"|'(?:\\.|[^'\\\n])*'))|(?P<com>#[^\n]*)|(?P<num>\b\d[\w.]*)|(?P<name>[A-Za-z_]\w*)|(?P<br>[()\[\]{}])"
    r"|(?P<other>[^\sA-Za-z_0-9#\"'()\[\]{}]+)|(?P<ws>[ \n]+)",
    re.S,
)
_TOKEN_TEXTS = re.compile(re.sub(r"\(\?P<\w+>", "(?:", _TOKEN.pattern), re.S)  # its matches, without their groups
_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_BLOCK_WORDS = frozenset({"if", "elif", "else", "for", "while", "with", "try", "except", "finally", "async"})
_PLACEHOLDERS = re.compile(r"(\n( +)(a: a,|a,))(?:\n\2\3)+")
_CHUNK = 200  # units per proving module at most
# lines per proving module at most: black takes ~0.35 ms a line of these, and one 500-line module of
# lines laid out by length was most of cloudfront's proving time, on one worker while the other waited
_CHUNK_LINES = 150
_HALVINGS = 3  # of a module black changes: each costs black that module's text again
_NAME = re.compile(r"[A-Za-z_]\w*")
# Logical lines already read (a package repeats most of its lines), with what each adds, and each token's
# parts in shapes (``_parts``); each cleared past the bound.
_READ: dict[tuple[int, bool, str], tuple[str | None, tuple[Unit, ...]]] = {}
_PARTS: dict[str, tuple[str, str] | None] = {}  # by the token's text, which tells its group
_TYPED: dict[str, Token] = {}  # each token's text with its group
_UNREAD: Any = object()
_READ_KEPT = 200_000
_ATOM = r"(?:[A-Za-z_][\w.]*|\"[^\"\\\n]*\")"
_DEF_HEAD = re.compile(r" *(?:async )?def [A-Za-z_]\w*\(")
_ATOM_ELEMENT = re.compile(rf" *{_ATOM}(?:: {_ATOM})?,")  # a name or plain string, or a dict entry of two
_OPENING_HEAD = re.compile(r" *[^()\[\]{}|#\"']*[(\[{]")  # a line ending in the only bracket it has

# The module an exploded bracket's element is proven in: the bracket's opening and its closing lines
# ("{pad}": the element's indentation, "{outer}": the bracket's).
_BRACKETS = {
    "def": ("def a(\n{pad}a,\n", "{outer}):\n{outer}    pass\n"),  # a first parameter: ``*,`` may follow
    "class": ("class a(\n", "{outer}):\n{outer}    pass\n"),
    "call": ("a(\n", "{outer})\n"),
    "subscript": ("a[\n{pad}a,\n", "{outer}]\n"),  # a second element: one's comma is not magic to black
    "list": ("a = [\n", "{outer}]\n"),
    "dict": ("a = {\n", "{outer}}\n"),
    "tuple": ("a = (\n{pad}a,\n", "{outer})\n"),  # nor a one-tuple's
    "import": ("from a import (\n", "{outer})\n"),
}

Token = tuple[str, str]  # group, text
# ("line", depth, shape, kind) for a logical line, ("element", bracket, indent, shape) for an element.
Unit = tuple[str, Any, Any, str]


# the methods ``dataclasses`` makes for the classes below, compiled once and kept (``compiled``)
_METHODS = DataclassMethods(__file__)


@dataclass(frozen=True)
class _Proof:
    units: tuple[Unit, ...]
    skeleton: tuple[str, ...]  # cut where black's blank lines do not depend on what precedes


@dataclass
class Known:
    """What black was shown to keep, carried from one ``proven_pieces`` call to the next in a run."""

    units: set[Unit] = field(default_factory=set)
    skeletons: set[str] = field(default_factory=set)


_METHODS.keep()


def proven_pieces(
    pieces: Iterable[str],
    black: Callable[[list[str]], dict[str, str | None]],
    mapper: Callable[[Callable[[str], _Proof | None], list[str]], Iterable[_Proof | None]] = map,
    known: Known | None = None,
) -> set[str]:
    """The pieces black would leave as they are. ``black`` formats a list of texts (None: not parsed);
    ``mapper`` maps the reading of each piece (over worker processes); ``known`` keeps what black was
    shown to keep for the next call (units and skeleton parts already proven are not proven again)."""
    known = Known() if known is None else known
    unique = list(dict.fromkeys(pieces))
    proofs = {piece: proof for piece, proof in zip(unique, mapper(_proof, unique), strict=True) if proof is not None}
    modules: dict[str, tuple[Unit, ...]] = {}
    grouped: dict[tuple[Any, ...], list[Unit]] = {}
    for unit in dict.fromkeys(u for proof in proofs.values() for u in proof.units if u not in known.units):
        # shapes with a line too long go apart: more of them are lines left for black to change, and a
        # module black changes is proven again in halves
        grouped.setdefault((*(unit[:2] if unit[0] == "line" else unit[:3]), _overlong(unit)), []).append(unit)
    for units in grouped.values():
        for chunk in _chunks(units):
            modules[_module(chunk)] = chunk
    parts = proofs.values()
    skeletons = list(dict.fromkeys(part for proof in parts for part in proof.skeleton if part not in known.skeletons))
    formatted = black([*modules, *skeletons])
    known.skeletons.update(skeleton for skeleton in skeletons if formatted.get(skeleton) == skeleton)
    for halving in range(_HALVINGS + 1):  # a module black changes is halved a few times, to keep the rest
        failed: dict[str, tuple[Unit, ...]] = {}
        for module, chunk in modules.items():
            if _nonblank(formatted.get(module)) == _nonblank(module):
                known.units.update(chunk)
            elif len(chunk) > 1 and halving < _HALVINGS:
                for half in (chunk[: len(chunk) // 2], chunk[len(chunk) // 2 :]):
                    failed[_module(half)] = half
        if not failed:
            break
        modules = failed
        formatted = black(list(modules))
    return {
        piece
        for piece, proof in proofs.items()
        if known.skeletons.issuperset(proof.skeleton) and known.units.issuperset(proof.units)
    }


def _chunks(units: list[Unit]) -> Iterator[tuple[Unit, ...]]:
    """``units`` cut into runs of at most ``_CHUNK`` units and, past their first unit, ``_CHUNK_LINES``
    lines of shapes."""
    start, lines = 0, 0
    for index, unit in enumerate(units):
        size = unit[-1 if unit[0] == "element" else 2].count("\n") + 1
        if index > start and (index - start >= _CHUNK or lines + size > _CHUNK_LINES):
            yield tuple(units[start:index])
            start, lines = index, 0
        lines += size
    if start < len(units):
        yield tuple(units[start:])


def _overlong(unit: Unit) -> bool:
    """Whether a unit's shape has a line too long where it stands (its first line at the unit's indentation,
    the others carry their own)."""
    indent, shape = (4 * unit[1], unit[2]) if unit[0] == "line" else (unit[2], unit[3])
    first, *rest = shape.split("\n")
    return indent + len(first) > LINE_LENGTH or any(len(line) > LINE_LENGTH for line in rest)


def _nonblank(text: str | None) -> list[str] | None:
    return None if text is None else [line for line in text.splitlines() if line.strip()]


# -- reading a piece ------------------------------------------------------------------------------


def _tokens(piece: str) -> list[str] | None:
    """The piece's tokens (``_TOKEN``'s matches), or None when they do not cover it."""
    found = _TOKEN_TEXTS.findall(piece)
    # the matches do not overlap: they cover the piece exactly when their lengths add up to its length
    return found if sum(map(len, found)) == len(piece) else None


def _typed(text: str) -> Token:
    if len(_TYPED) > _READ_KEPT:
        _TYPED.clear()
    token = _TYPED[text] = (_group(text), text)
    return token


def _group(text: str) -> str:
    """The ``_TOKEN`` group that matched a token, told by its text: each group's first characters are its own
    but a string's prefix letters, and a name never ends in a quote."""
    first = text[0]
    if first in " \n":
        return "ws"
    if first in "()[]{}":
        return "br"
    if first == "#":
        return "com"
    if first in "\"'" or (first in _NAME_START and text[-1] in "\"'"):
        return "str"
    if first in _NAME_START:
        return "name"
    return "num" if first in "0123456789" else "other"


def _piece_lines(piece: str) -> list[list[str]] | None:
    """The tokens of each of the piece's logical lines (``_logical_lines``); None where the piece cannot be
    read so."""
    found = _tokens(piece)
    if found is None or "fmt:" in piece or ("\\" in piece and any("\\" in t and _group(t) == "other" for t in found)):
        return None  # a backslash continuation joins lines this reading keeps apart
    return _logical_lines(found)


def _logical_lines(found: list[str]) -> list[list[str]] | None:
    """The tokens of each logical line, each ending with the whitespace after it (blank lines included); None
    where the brackets do not balance (no code black takes, and a shape of it would not read)."""
    lines: list[list[str]] = [[]]
    depth = 0
    for text in found:
        lines[-1].append(text)
        first = text[0]
        if first in "([{":
            depth += 1
        elif first in ")]}":
            depth -= 1
            if depth < 0:
                return None
        elif first in " \n" and depth == 0 and "\n" in text:
            lines.append([])
    return [line for line in lines if line] if depth == 0 else None


def _proof(piece: str) -> _Proof | None:
    """What proves ``piece`` black-stable, or None when it cannot be read so."""
    logical = _piece_lines(piece)
    if logical is None:
        return None
    units: list[Unit] = []
    skeleton: list[str] = []
    indent = 0
    opens_block = True  # a string first in the piece opens the module or a class-body piece's ``class _:``
    for line in logical:
        if line[0][0] in " \n":  # the piece's own leading whitespace
            if "\n" in line[0] or len(line) == 1:
                return None  # blank lines first, or nothing but blanks: black leaves nothing of them
            indent, line = len(line[0]), line[1:]
        trail = line[-1] if line[-1][0] in " \n" else ""
        code = line[:-1] if trail else line
        if not code or indent % 4 or (trail and "\n" not in trail) or " \n" in trail or trail.startswith(" "):
            return None  # trailing whitespace, which black takes off and the skeleton would not show
        key = (indent, opens_block, "".join(code))
        known = _READ.get(key)
        if known is None:
            added: list[Unit] = []
            typed = [_TYPED.get(text) or _typed(text) for text in code]
            known = _READ[key] = (_line_units(typed, indent, opens_block, added), tuple(added))
            if len(_READ) > _READ_KEPT:
                _READ.clear()
        stand_in = known[0]
        if stand_in is None:
            return None
        units.extend(known[1])
        if code[0][0] != "#":  # a comment
            opens_block = stand_in.endswith(":")
        skeleton.append(" " * indent + stand_in + "\n" * trail.count("\n"))
        indent = len(trail) - trail.rfind("\n") - 1 if trail else 0
    # black lays out each part of split_for_black's cuts as it lays it out in the whole (writer.py), so the
    # skeleton is black's when each part is: parts repeat across pieces far more than whole skeletons.
    return _Proof(tuple(units), tuple(part for _, part in split_for_black(_collapsed(skeleton), 1)))


def _collapsed(entries: list[str]) -> str:
    """The skeleton with each run of three or more identical blocks (of up to sixteen lines with their blank
    lines) cut to two: black's blank-line state entering the third is the one entering the second."""
    kept: list[str] = []
    for entry in entries:
        kept.append(entry)
        for period in range(1, 17):
            if (
                len(kept) >= 3 * period
                and kept[-period:] == kept[-2 * period : -period] == kept[-3 * period : -2 * period]
            ):
                del kept[-period:]
                break
    return "".join(kept)


def _fits(text: str, indent: int) -> bool:
    """Every physical line of a logical line fits, but one holding only a name or a plain string (or a dict
    entry of two) and a comma: an element black cannot split, which it leaves as it is; and a def's first
    line, ``def name(``: black splits a def at its first bracket (``left_hand_split``, unless the return
    annotation has a magic comma or is a long string, which the shape and the last line keep) and leaves
    that head as it is, however long the operation's name."""
    from black.strings import str_width

    lines = (" " * indent + text).split("\n")
    return all(
        str_width(line) <= LINE_LENGTH or _ATOM_ELEMENT.fullmatch(line) or (at == 0 and _DEF_HEAD.fullmatch(line))
        for at, line in enumerate(lines)
    )


def _line_units(code: list[Token], indent: int, opens_block: bool, units: list[Unit]) -> str | None:
    """Adds the units proving one logical line; returns its skeleton stand-in (None: cannot be read)."""
    group, text = code[0]
    if len(code) == 1 and group == "com":
        return text
    if len(code) == 1 and group == "str" and text.lstrip("rRuU").startswith(('"""', "'''")):
        return _docstring_stand_in(text, indent, opens_block)
    shape = _shape(code)
    if shape is None:
        return None
    outline, elements, must_fit = shape
    if must_fit is not None and not _fits(must_fit, indent):
        if "\n" not in must_fit or not _overlong_only_where_black_cannot_split(must_fit, indent):
            return None  # a line too long where black can split it: most likely left for black to lay out
        # laid out over several lines by their lengths, which the shape does not keep: proven at its widths
        widths = _at_widths(code, indent)
        if widths is None:
            return None
        outline, elements = widths
    units.extend(elements)
    word = text if group == "name" and text in _KEPT_NAMES else ""
    kind = _kind(group, text, word, outline)
    units.append(("line", indent // 4, outline, kind))
    return _stand_in(kind, word, outline)


def _kind(group: str, text: str, word: str, outline: str) -> str:
    if group == "other" and text.startswith("@"):
        return "decorator"
    if word in ("def", "class") or (word == "async" and outline.startswith("async def")):
        return "def" if word != "class" else "class"
    if word in ("import", "from"):
        return "import"
    if outline.endswith(":") and word in _BLOCK_WORDS:
        return "block"
    return "keyword" if word else "other"


def _stand_in(kind: str, word: str, outline: str) -> str:
    stub = " ..." if outline.endswith(": ...") else ""
    if kind == "decorator":
        return "@a"
    if kind == "class":
        return f"class a:{stub}"
    if kind == "def":
        return ("async " if word == "async" else "") + f"def a():{stub}"
    if kind == "import":
        return "import a" if word == "import" else "from a import a"
    if kind == "block":
        words = outline[:-1].split()
        head = " ".join(words[:2]) if word == "async" else words[0]
        return head + (" a:" if len(words) > (2 if word == "async" else 1) else ":")
    if kind == "keyword":
        return word + (" a" if outline.strip() != word else "")
    return "a"


def _docstring_stand_in(text: str, indent: int, docstring: bool) -> str | None:
    """A triple-quoted string alone on its line, kept by black (a docstring when it opens a block or the
    module): its stand-in, of the same kind. None when black would change it. black's blank lines go by a
    line's kind and its position (``EmptyLineTracker``; a docstring is one by position, ``is_docstring``),
    never by how many lines a string spans or by a line being a string: a docstring stands as a one-line
    docstring, any other string statement (an attribute's docstring) as a plain line."""
    if _black_string(text, indent // 4, docstring) != text:
        return None
    if not docstring:
        return "a"
    body = text.lstrip("rRuU")
    prefix, quotes = text[: len(text) - len(body)], body[:3]
    return f"{prefix}{quotes}a{quotes}"


# A one-line triple-quoted string black's rules below keep as it is: no prefix, no quote or backslash in it
# (quotes and escapes are what they normalise), no space at either end (a docstring is stripped), one line
# (only a docstring of several lines may have its closing quotes moved); most of a package's docstrings.
_PLAIN_ONE_LINE = re.compile(r'"""[!#-&(-\[\]-~](?:[ !#-&(-\[\]-~]*[!#-&(-\[\]-~])?"""')


def _black_string(value: str, depth: int, docstring: bool) -> str | None:
    """What black 26's ``LineGenerator.visit_STRING`` makes of a string statement at ``depth`` (a docstring
    when ``docstring``): its rules, with its own helpers. None for a kind this does not know."""
    if _PLAIN_ONE_LINE.fullmatch(value):
        return value
    from black.strings import (
        fix_multiline_docstring,
        get_string_prefix,
        has_triple_quotes,
        normalize_string_prefix,
        normalize_string_quotes,
        normalize_unicode_escape_sequences,
    )
    from blib2to3.pgen2 import token
    from blib2to3.pytree import Leaf

    mode = _black_mode()
    leaf = Leaf(token.STRING, value)
    normalize_unicode_escape_sequences(leaf)
    if set(get_string_prefix(leaf.value)) & set("bBfFtT"):
        return None
    if docstring and not re.search(r"\\\s*\n", leaf.value):
        text = normalize_string_quotes(normalize_string_prefix(leaf.value, mode))
        prefix = get_string_prefix(text)
        text = text[len(prefix) :]
        quote_char = text[0]
        quote_len = 1 if text[1] != quote_char else 3
        text = text[quote_len:-quote_len]
        started_empty = not text
        indent = " " * 4 * depth
        text = (
            fix_multiline_docstring(text, indent)
            if has_triple_quotes(leaf.value) and "\n" in leaf.value
            else text.strip()
        )
        trailing_backslash = False
        if text:
            if text[0] == quote_char:
                text = " " + text
            if text[-1] == quote_char:
                text += " "
            if text[-1] == "\\" and (len(text) - len(text.rstrip("\\"))) % 2:
                text += " "
                trailing_backslash = True
        elif not started_empty:
            text = " "
        quote = quote_char * quote_len
        lines = text.splitlines()
        last = len(lines[-1]) if text and not text.endswith("\n") else 0
        if (
            quote_len == 3
            and len(lines) > 1
            and last + quote_len > LINE_LENGTH
            and len(indent) + quote_len <= LINE_LENGTH
            and not trailing_backslash
            and leaf.value[-1 - quote_len] != "\n"
        ):
            leaf.value = prefix + quote + text + "\n" + indent + quote
        else:
            leaf.value = prefix + quote + text + quote
    return str(normalize_string_quotes(normalize_string_prefix(leaf.value, mode)))


# -- shapes ------------------------------------------------------------------------------------------


def _shape(code: list[Token]) -> tuple[str, list[Unit], str | None] | None:
    """A logical line's shape, the elements proven apart, and the text that must fit for the shape to prove
    it (None when the shape keeps every length black could look at; the whole result None: a token this
    does not shape)."""
    collapsed = _parts(code, collapse=True)
    if collapsed is None:
        return None
    real = [text for _, text in code]
    if not any(group == "ws" and "\n" in text for group, text in code):
        return "".join(collapsed), [], "".join(real)
    masked = _parts(code, collapse=False)  # None exactly where ``collapsed`` is
    if masked is None:
        return None
    outline = _outline(code, collapsed, masked, real)
    if outline is None:
        return (
            _def_masked_after_parameters(code, collapsed, masked, real)
            or _masked_to_last_bracket(code, collapsed, masked, real)
            or ("".join(masked), [], None)
        )
    return outline


def _def_masked_after_parameters(
    code: list[Token], collapsed: list[str], masked: list[str], real: list[str]
) -> tuple[str, list[Unit], str] | None:
    """A def whose parameters are exploded with a magic trailing comma and whose return annotation black
    lays out by its length (``) -> (`` and the annotation on a line of its own): black splits a def at its
    parameters' brackets (``left_hand_split``, taking no second opinion) and lays out the head, each
    parameter and the rest alone, so only the rest is masked to its widths; the name and the parameters are
    shaped as a line's are. None for any other line."""
    if any(group == "com" for group, _ in code):
        return None  # comments move between lines
    words = [text for group, text in code[:8] if group != "ws"][:4]
    start = 2 if words[:1] == ["async"] else 1
    if words[start - 1 : start] != ["def"] or len(words) <= start + 1 or words[start + 1] != "(":
        return None
    opening = next(index for index, (group, text) in enumerate(code) if group == "br")
    closing = _partner(code, opening)
    span = slice(opening, closing + 1)
    parameters = _outline(code[span], collapsed[span], masked[span], real[span], words[: start + 1])
    if parameters is None or not parameters[1]:
        return None
    shape, elements, fit = parameters
    rest = slice(closing + 1, len(code))
    annotation = [(group, text) for group, text in code[rest] if group != "ws"]
    if any(group == "str" for group, _ in annotation[1:2]) or any(
        text == "," and following[1] in ")]}" for (_, text), following in pairwise(annotation)
    ):
        return None  # black splits such a def with ``rhs`` (``should_split_funcdef_with_rhs``), not at its parameters
    return "".join(collapsed[:opening]) + shape + "".join(masked[rest]), elements, "".join(real[:opening]) + fit


def _partner(code: list[Token], index: int) -> int:
    """The index of the bracket matching the one at ``index`` (forward from an opening one, back from a
    closing one); the line's end where it has none (a logical line's brackets balance)."""
    step = 1 if code[index][1] in "([{" else -1
    depth = 0
    while 0 <= index + step < len(code):
        group, text = code[index]
        if group == "br":
            depth += 1 if (text in "([{") == (step == 1) else -1
            if depth == 0:
                return index
        index += step
    return index


def _masked_to_last_bracket(
    code: list[Token], collapsed: list[str], masked: list[str], real: list[str]
) -> tuple[str, list[Unit], str] | None:
    """A line laid out by its length that ends in a bracket exploded with a magic trailing comma, or in such
    a bracket and closing brackets (an endpoint's declaration: ``NAME: Endpoint[`` split by length, then
    the arguments one per line, maybe inside ``= (...)``): masked to its widths but for that bracket's
    elements, which are outlined and proven apart. black splits such a line around that bracket whatever
    the elements (``generate_trailers_to_omit`` stops at the magic comma; the choice of optional
    parentheses, ``_prefer_split_rhs_oop_over_rhs``, looks at heads only) and lays out each element alone; the
    elements' lengths count only in the "second opinion" taken where a first line does not fit, so every
    line before the elements must fit here. None when the line is not so (a comment in it: comments move)."""
    if any(group == "com" for group, _ in code):
        return None
    last = len(code) - 1
    while last >= 0 and code[last][0] in ("br", "ws") and (code[last][0] == "ws" or code[last][1] in ")]}"):
        last -= 1  # back over the closing brackets that end the line
    for closing in range(last + 1, len(code)):
        if code[closing][0] != "br":
            continue
        opening = _partner(code, closing)
        span = slice(opening, closing + 1)
        before = [text for group, text in code[:opening] if group != "ws"]
        bracket = _outline(code[span], collapsed[span], masked[span], real[span], before)
        if bracket is not None and bracket[1]:
            shape, elements, fit = bracket
            rest = slice(closing + 1, len(code))
            head, tail = "".join(masked[:opening]), "".join(masked[rest])
            return head + shape + tail, elements, "".join(real[:opening]) + fit + "".join(real[rest])
    return None


def _overlong_only_where_black_cannot_split(text: str, indent: int) -> bool:
    """Whether each line too long ends with the one bracket it opens and holds no operator (``name = f(``,
    ``NAME: Endpoint[``: black keeps such a head), or is an element of one name or string: lines black
    keeps too long. A line too long anywhere else is one the templates leave for black to lay out."""
    lines = (" " * indent + text).split("\n")
    return all(
        len(line) <= LINE_LENGTH or _OPENING_HEAD.fullmatch(line) or _ATOM_ELEMENT.fullmatch(line) for line in lines
    )


def _at_widths(code: list[Token], indent: int) -> tuple[str, list[Unit]] | None:
    """A line masked to its widths (a def only after its parameters, where what is left fits), and the
    elements proven apart."""
    masked, collapsed = _parts(code, collapse=False), _parts(code, collapse=True)
    if masked is None or collapsed is None:
        return None
    kept = _def_masked_after_parameters(code, collapsed, masked, [text for _, text in code])
    if kept is not None and _fits(kept[2], indent):
        return kept[0], kept[1]
    return "".join(masked), []


def _parts(code: list[Token], collapse: bool) -> list[str] | None:
    """Each token's part in the line's shape, collapsed or masked to its width; None when a token has none."""
    get = _PARTS.get
    found = [get(text, _UNREAD) for _, text in code]
    if _UNREAD in found:
        if len(_PARTS) > _READ_KEPT:
            _PARTS.clear()
        found = [
            _PARTS.setdefault(token[1], _token_parts(token)) if part is _UNREAD else part
            for token, part in zip(code, found, strict=True)
        ]
    if None in found:
        return None
    which = 0 if collapse else 1
    return [part[which] for part in found]


def _token_parts(token: Token) -> tuple[str, str] | None:
    group, text = token
    if group == "name":
        if not text.isascii():
            return None  # its width is not its length
        return (text, text) if text in _KEPT_NAMES else ("a", "a" * len(text))
    if group == "str":
        collapsed, masked = _string_shape(text, True), _string_shape(text, False)
        return None if collapsed is None or masked is None else (collapsed, masked)
    if group != "com" and not text.isascii():
        return None
    return text, text


def _string_shape(text: str, collapse: bool) -> str | None:
    body = text.lstrip("rRbBuUfF")
    prefix = text[: len(text) - len(body)]
    quotes = body[:3] if body.startswith(('"""', "'''")) else body[:1]
    inner = body[len(quotes) : -len(quotes)]
    if "\n" in inner:
        return None  # a string over several lines inside a statement: left to black
    # quotes and backslashes decide black's choice of quotes; braces only in an f-string
    if re.search(r"[\\\"'{}]" if "f" in prefix.lower() else r"[\\\"']", inner) or not inner.isascii():
        return text  # what decides its quotes or escapes is kept
    return prefix + quotes + ("a" if collapse else "a" * len(inner)) + quotes


def _length_free(code: list[Token]) -> bool:
    """Every bracket opened at a line end closes right after a comma: black keeps it one element per line
    whatever the lengths (a magic trailing comma)."""
    opened: list[bool] = []
    previous = ""
    for index, (group, text) in enumerate(code):
        if group == "br" and text in "([{":
            after = code[index + 1] if index + 1 < len(code) else ("", "")
            opened.append(after[0] == "ws" and "\n" in after[1])
        elif group == "br" and opened.pop() and previous != ",":
            return False
        if group not in ("ws", "com"):
            previous = text
    return True


def _outline(
    code: list[Token], collapsed: list[str], masked: list[str], real: list[str], before: list[str] | None = None
) -> tuple[str, list[Unit], str] | None:
    """The line with each element of an exploded bracket that is proven apart (``_element_shape``) as ``a,``
    (a dict's as ``a: a,``; runs of more than two as two), those elements as units, and the text that must
    fit. None when what is left is laid out by its length."""
    out: list[str] = []
    fit: list[str] = []
    left: list[Token] = []  # what the outline leaves of the line, for _length_free
    elements: list[Unit] = []
    brackets: list[str | None] = []  # each open bracket's kind when exploded
    before = [*(before or [])]  # the code tokens so far
    index = 0
    while index < len(code):
        group, text = code[index]
        end = None
        if brackets and brackets[-1] is not None and group == "ws" and "\n" in text:
            end = _element_end(code, index + 1)
        if end is not None:
            element, span = code[index + 1 : end + 1], slice(index + 1, end + 1)
            kind = brackets[-1]
            assert kind is not None
            placeholder = "a: a," if kind == "dict" else "a,"
            apart = _element_shape(element, collapsed[span], masked[span], real[span], placeholder)
            if apart is not None:
                shape, nested, element_fit = apart
                pad = len(text) - text.rfind("\n") - 1
                elements += [*nested, ("element", kind, pad, shape)]
                out += [collapsed[index], placeholder]
                fit += [real[index], element_fit]
                left += [code[index], ("name", "a"), ("other", ",")]
                before.extend(t for g, t in element if g not in ("ws", "com"))
                index = end + 1
                continue
        out.append(collapsed[index])
        fit.append(real[index])
        left.append(code[index])
        if group == "br" and text in "([{":
            after = code[index + 1] if index + 1 < len(code) else ("", "")
            brackets.append(_bracket_kind(before, text) if after[0] == "ws" and "\n" in after[1] else None)
        elif group == "br":
            brackets.pop()
        if group not in ("ws", "com"):
            before.append(text)
        index += 1
    if not _length_free(left):
        return None
    return _PLACEHOLDERS.sub(r"\1\n\2\3", "".join(out)), elements, "".join(fit)


def _element_shape(
    element: list[Token], collapsed: list[str], masked: list[str], real: list[str], placeholder: str
) -> tuple[str, list[Unit], str] | None:
    """An exploded bracket's element, proven apart from its line: its shape, the elements nested in it
    proven apart too, and its text that must fit. None: it stays in the line's outline."""
    if not any(group == "ws" and "\n" in text for group, text in element):
        return "".join(collapsed), [], "".join(real)
    if not _length_free(element):  # laid out by its length: masked to its widths, which keep what must fit
        return "".join(masked), [], placeholder
    # laid out whatever its length: outlined as a line is, its own one-line elements proven apart
    # (the elements of one outline repeat far more than whole elements do)
    return _outline(element, collapsed, masked, real)


def _element_end(code: list[Token], start: int) -> int | None:
    """The index of the comma ending an element that starts at ``start`` (None: the line is not an element
    ending in a comma at a line end: it closes the bracket)."""
    depth = 0
    for index in range(start, len(code)):
        group, text = code[index]
        if group == "br":
            depth += 1 if text in "([{" else -1
            if depth < 0:
                return None
        if group == "ws" and "\n" in text and depth == 0:
            previous = code[index - 1][1] if index > start else ""
            return index - 1 if previous == "," else None
    return None


def _bracket_kind(before: list[str], bracket: str) -> str:
    previous = before[-1] if before else ""
    follows_value = bool(previous) and (previous[-1] in ")]" or bool(_NAME.fullmatch(previous)))
    follows_value = follows_value and not keyword.iskeyword(previous)
    if bracket == "(":
        if len(before) >= 2 and before[-2] in ("def", "class"):
            return before[-2]
        if previous == "import":
            return "import"
        return "call" if follows_value else "tuple"
    if bracket == "[":
        return "subscript" if follows_value else "list"
    return "dict"


# -- proving modules ---------------------------------------------------------------------------------


def _module(chunk: tuple[Unit, ...]) -> str:
    """One text black formats to prove ``chunk`` (units of one depth, or elements of one bracket kind and
    indent): each stays as it is, blank lines aside, when the module does."""
    if chunk[0][0] == "element":
        # One bracket holds them all, as a piece's bracket holds its elements: black splits an exploded
        # bracket at its commas and lays each element out alone. A starred or ``/`` element has one of its
        # own (a second ``*,`` or a parameter after ``**a`` does not parse).
        _, kind, pad, _ = chunk[0]
        alone = [shape for *_, shape in chunk if shape.startswith(("*", "/"))]
        shared = [shape for *_, shape in chunk if not shape.startswith(("*", "/"))]
        return "".join(_element_module(kind, pad, group) for group in [[s] for s in alone] + [shared] if group)
    depth = chunk[0][1]
    return _context(depth) + "".join(_line_module(depth, shape, kind) for _, _, shape, kind in chunk)


def _context(depth: int) -> str:
    """Opens ``depth`` blocks (a class, then functions) and a first statement, so nothing after it is a
    docstring."""
    heads = [" " * 4 * level + ("class _:" if level == 0 else "def _(self):") for level in range(depth)]
    return "".join(f"{head}\n" for head in heads) + (" " * 4 * depth + "pass\n" if depth else "")


def _line_module(depth: int, shape: str, kind: str) -> str:
    pad = " " * 4 * depth
    first = shape.split(maxsplit=1)[0] if shape.strip() else ""
    opening = ""
    if first in ("else", "elif", "else:"):
        opening = f"{pad}if a:\n{pad}    pass\n"
    elif first in ("except", "except:", "finally:"):
        opening = f"{pad}try:\n{pad}    pass\n"
    body = ""
    if kind == "decorator":
        body = f"\n{pad}def a(): ..."
    elif shape.endswith(":"):
        body = f"\n{pad}    pass"
    return f"{opening}{pad}{shape}{body}\n"


def _element_module(kind: str, pad: int, shapes: list[str]) -> str:
    outer, spaces = " " * (pad - 4), " " * pad
    opening, closing = _BRACKETS[kind]
    opening, closing = opening.replace("{pad}", spaces), closing.replace("{outer}", outer)
    elements = "".join(f"{spaces}{shape}\n" for shape in shapes)
    return f"{_context((pad - 4) // 4)}{outer}{opening}{elements}{closing}"
