"""An operation's method as text: its arguments, signature lines, overloads and call arguments, laid out
as black lays them out."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .. import ir
from ..render.text import LINE_LENGTH, docstring, py_literal


@dataclass(frozen=True)
class Arg:
    name: str
    annotation: str
    default: str | None  # None: required
    keyword_only: bool


def _optional(annotation: str) -> str:
    return f"{annotation} | UnsetType"


def op_args(op: ir.Operation, *, skip: frozenset[str] = frozenset()) -> list[Arg]:
    """The parameters of a generated method, in signature order (without self/accept/options)."""
    args: list[Arg] = []
    for p in op.path_params:
        args.append(Arg(p.py_name, ir.annotation(p.type, "models."), None, False))
    if op.body is not None:
        t = ir.annotation(op.body.type, "models.")
        if op.body.model:
            args.append(Arg("body", f"{t} | None", "None", False))
        elif op.body.required:
            args.append(Arg("body", t, None, False))
        else:
            args.append(Arg("body", _optional(t), "UNSET", False))
    for p in op.other_params:
        if p.py_name in skip:
            continue
        t = ir.annotation(p.type, "models.")
        if p.required:
            args.append(Arg(p.py_name, t, None, True))
        else:
            args.append(Arg(p.py_name, _optional(t), "UNSET", True))
    if op.body is not None:
        for f, name in zip(op.body.fields, op.body.field_args, strict=True):
            args.append(Arg(name, _optional(ir.annotation(f.type, "models.")), "UNSET", True))
    return args


def def_head(define: str, args: list[Arg], extra: list[Arg], returns: str, *, stub: bool = False) -> str:
    """``define(self, ...) -> returns:`` (``: ...`` for a stub), the parameters one per line as black lays a
    method's signature out, and the closing line as black wraps it when too long (``returning``)."""
    end = ": ..." if stub else ":"
    return f"{define}({signature(args, extra)}" + (returning("    ", returns, end) or f"    ) -> {returns}{end}")


def returning(pad: str, returns: str, end: str) -> str | None:
    """``) -> returns`` + ``end`` closing an exploded signature at ``pad``. Too long for a line, black puts the
    annotation in parentheses, on one line when it fits there, else one ``|`` operand per line. None for a
    subscript, or an operand too long for its own line (black splits inside them)."""
    line = f"{pad}) -> {returns}{end}"
    if len(line) <= LINE_LENGTH:
        return line
    if "[" in returns:
        return None  # black may split at the subscript's bracket instead (``-> Iterator[``), by rules not copied
    inner = pad + "    "
    if len(inner) + len(returns) <= LINE_LENGTH:
        return f"{pad}) -> (\n{inner}{returns}\n{pad}){end}"
    operands = _top_level(returns, "|")
    if len(operands) > 1 and all(len(inner) + 2 + len(operand) <= LINE_LENGTH for operand in operands):
        rest = "".join(f"{inner}| {operand}\n" for operand in operands[1:])
        return f"{pad}) -> (\n{inner}{operands[0]}\n{rest}{pad}){end}"
    return None


def signature(args: list[Arg], extra: list[Arg]) -> str:
    """The parameter list of a method, one parameter per line as black lays it out, up to the line that
    closes it (``returning``)."""
    lines = ["        self,\n"]
    star = False
    for arg in args:
        if arg.keyword_only and not star:
            lines.append("        *,\n")
            star = True
        lines.append(annotated_line(8, arg.name, arg.annotation, arg.default, suffix=",") + "\n")
    if extra and not star:
        lines.append("        *,\n")
    lines.extend(annotated_line(8, arg.name, arg.annotation, arg.default, suffix=",") + "\n" for arg in extra)
    return "\n" + "".join(lines)


_OPTIONS_ARG = Arg("options", "RequestOptions | None", "None", True)


def method_heads(op: ir.Operation, is_async: bool) -> list[str]:
    """The lines that open an operation's method: one ``@overload`` per media type the caller may
    ask for with ``accept=`` (each with its return type) and then the implementation, or the one
    signature. Blank lines included, as black separates them."""
    define = f"    {'async ' if is_async else ''}def {op.py_name}"
    args = op_args(op)
    chooser = content_type_arg(op)
    if len(op.accepts) <= 1:
        returns = ir.annotation(op.result_type, "models.")
        return ["", def_head(define, args, [*chooser, _OPTIONS_ARG], returns)]
    heads = []
    # a success answer without a body (a 204 beside the 200) is None whatever the caller accepts
    bodiless = ir.is_nullable(op.result_type)
    answers = [
        ir.annotation(ir.UnionOf((c.type, ir.NONE)) if bodiless and not ir.is_nullable(c.type) else c.type, "models.")
        for c in op.accepts
    ]
    # One overload per answer type, over every media type that gives it (ASP.NET specs answer the same
    # model as application/json and text/json; kubernetes as JSON, YAML and protobuf): the overloads
    # type each call as one per media type did (kubernetes: 231k -> 188k lines).
    by_answer: dict[str, list[str]] = {}
    for content, returns in zip(op.accepts, answers, strict=True):
        by_answer.setdefault(returns, []).append(py_literal(content.media_type))
    default = py_literal(op.accepts[0].media_type)  # the first answer type's first media type
    if len(by_answer) == 1:  # one overload alone is not allowed: the one signature
        accept = Arg("accept", f"Literal[{', '.join(by_answer[answers[0]])}]", default, True)
        return ["", def_head(define, args, [*chooser, accept, _OPTIONS_ARG], answers[0])]
    for index, (returns, media) in enumerate(by_answer.items()):
        accept = Arg("accept", f"Literal[{', '.join(media)}]", default if index == 0 else None, True)
        heads += [
            "",
            "    @overload",
            def_head(define, args, [*chooser, accept, _OPTIONS_ARG], returns, stub=True),
        ]
    returns = ir.annotation(
        (
            ir.UnionOf(tuple(dict.fromkeys(o for c in op.accepts for o in _options(c.type) if o != ir.NONE)))
            if len(op.accepts) > 1
            else op.accepts[0].type
        ),
        "models.",
    )
    if bodiless and not returns.endswith("| None"):
        returns += " | None"
    accept = Arg("accept", "str", py_literal(op.accepts[0].media_type), True)
    return [*heads, "", def_head(define, args, [*chooser, accept, _OPTIONS_ARG], returns)]


def content_type_arg(op: ir.Operation) -> list[Arg]:
    """``content_type: Literal[...] = <default>`` when the body may be sent as other media types."""
    if op.body is None or not op.body.alternatives:
        return []
    media = [op.body.media_type, *(v.media_type for v in op.body.alternatives)]
    return [Arg("content_type", f"Literal[{', '.join(map(py_literal, media))}]", py_literal(media[0]), True)]


def body_variant(variant: ir.BodyVariant) -> str:
    """A runtime ``BodyVariant(...)`` expression for ``_endpoints``."""
    args = [py_literal(variant.encoding)]
    if variant.form_styles:
        pairs = ", ".join(f"{py_literal(k)}: {py_literal(v)}" for k, v in variant.form_styles)
        args.append(f"form_styles={{{pairs}}}")
    if variant.json_parts:
        args.append(f"json_parts=({', '.join(map(py_literal, variant.json_parts))},)")
    return f"BodyVariant({', '.join(args)})"


# A request call's keyword for each parameter location, in the call's order.
_CALL_MAPPINGS = (("path", "path"), ("query", "query"), ("header", "headers"), ("cookie", "cookies"))


def call_mappings(op: ir.Operation, skip: Iterable[str] = ()) -> str:
    """A request call's ``path={...},`` ``query={...},`` ``headers={...},`` and ``cookies={...},`` arguments
    (those that have parameters once ``skip``'s are left out), each line ending in a newline."""
    skipped = set(skip)
    lines = []
    for location, keyword in _CALL_MAPPINGS:
        params = [p for p in op.parameters if p.location == location and p.py_name not in skipped]
        if params:
            lines.append(mapping_arg(keyword, params, 12) + "\n")
    return "".join(lines)


def mapping_arg(keyword: str, params: list[ir.Parameter], indent: int) -> str:
    """``keyword={"wire": name, ...},`` on one line when it fits, else one entry per line, the
    way black lays it out (so black has nothing to redo)."""
    pad = " " * indent
    entries = [f"{py_literal(p.wire_name)}: {p.py_name}" for p in params]
    one_line = f"{pad}{keyword}={{{', '.join(entries)}}},"
    if len(one_line) <= LINE_LENGTH:
        return one_line
    inner = "".join(f"{pad}    {entry},\n" for entry in entries)
    return f"{pad}{keyword}={{\n{inner}{pad}}},"


def literal_dict_arg(keyword: str, pairs: tuple[tuple[str, str], ...], indent: int) -> str:
    """``keyword={"a": "b", ...},`` of string literals, laid out as black does (one line when it
    fits, else one entry per line with a trailing comma)."""
    return _collection_arg(keyword, [f"{py_literal(k)}: {py_literal(v)}" for k, v in pairs], "{}", indent)


def literal_tuple_arg(keyword: str, values: tuple[str, ...], indent: int) -> str:
    """``keyword=("a", "b"),`` of string literals, laid out as black does."""
    return _collection_arg(keyword, [py_literal(v) for v in values], "()", indent)


def literal_tuple_assign(target: str, values: tuple[str, ...], indent: int) -> str:
    """``target = ("a", "b")`` of string literals, laid out as black does."""
    return _collection_arg(target, [py_literal(v) for v in values], "()", indent, assign=True)


def responses_arg(op: ir.Operation) -> str:
    """An endpoint's ``{status: decode target, ...},`` argument, laid out as black does."""
    return _collection_arg("", [f"{py_literal(status)}: {target}" for status, target in response_targets(op)], "{}", 4)


def body_variants_arg(op: ir.Operation) -> str:
    """An endpoint's ``body_variants={media type: BodyVariant(...), ...},`` argument, laid out as black does."""
    variants = op.body.alternatives if op.body is not None else ()
    return _collection_arg(
        "body_variants", [f"{py_literal(v.media_type)}: {body_variant(v)}" for v in variants], "{}", 4
    )


def _collection_arg(keyword: str, entries: list[str], brackets: str, indent: int, assign: bool = False) -> str:
    """``keyword=`` (``keyword = `` with ``assign``; nothing without a keyword) and a collection literal, on
    one line when it fits, else one entry per line with a trailing comma: black explodes a literal's
    brackets whole (a call's arguments it would first try on one line)."""
    pad, end = " " * indent, ("" if assign else ",")
    head = f"{keyword}{' = ' if assign else '='}" if keyword else ""
    inner = ", ".join(entries) + ("," if brackets == "()" and len(entries) == 1 else "")
    one_line = f"{pad}{head}{brackets[0]}{inner}{brackets[1]}{end}"
    if len(one_line) <= LINE_LENGTH:
        return one_line
    if len(entries) == 1 and brackets != "()":  # no comma to split at: black adds none (a one-tuple has its own)
        return f"{pad}{head}{brackets[0]}\n{pad}    {entries[0]}\n{pad}{brackets[1]}{end}"
    lines = "".join(f"{pad}    {entry},\n" for entry in entries)
    return f"{pad}{head}{brackets[0]}\n{lines}{pad}{brackets[1]}{end}"


def assignment_call(target: str, func: str, arg: str, indent: int) -> str:
    """``target = func(arg)`` (an operation's twin on a facade), whole when it fits. Else exploded with a
    trailing comma, which black keeps whatever the lengths, so the layout proof proves every such line
    with one shape instead of one per length (visualstudio: 209 proving units); black's own form of it
    where ``target = func(`` does not fit but the fully parenthesized form does."""
    pad = " " * indent
    line = f"{pad}{target} = {func}({arg})"
    if len(line) <= LINE_LENGTH:
        return line
    if len(f"{pad}{target} = {func}(") > LINE_LENGTH:
        wrapped = [f"{pad}{target} = (", f"{pad}    {func}(", f"{pad}        {arg},", f"{pad}    )", f"{pad})"]
        if all(len(part) <= LINE_LENGTH for part in wrapped):
            return "\n".join(wrapped)
    return f"{pad}{target} = {func}(\n{pad}    {arg},\n{pad})"


def atom_assignment(indent: int, target: str, value: str) -> str:
    """``target = value`` for an atom (a string or number literal), wrapped as black wraps it when too
    long: the value in parentheses on a line of its own where it fits there, else left whole (black
    cannot split an atom, and does not wrap one that would not fit)."""
    pad = " " * indent
    line = f"{pad}{target} = {value}"
    if len(line) <= LINE_LENGTH or len(f"{pad}{target} = (") > LINE_LENGTH or len(pad) + 4 + len(value) > LINE_LENGTH:
        return line
    return f"{pad}{target} = (\n{pad}    {value}\n{pad})"


def call_statement(indent: int, func: str, args: list[str]) -> str:
    """``func(args...)`` as a statement, wrapped as black wraps it (``_bracketed``)."""
    return _bracketed(" " * indent, func, args, "")


def _bracketed(pad: str, head: str, items: list[str], tail: str) -> str:
    """``head(items)tail`` as black wraps one bracket: whole when it fits; else the items on one
    indented line when they fit there; else one per line with a trailing comma."""
    joined = ", ".join(items)
    line = f"{pad}{head}({joined}){tail}"
    if len(line) <= LINE_LENGTH:
        return line
    if len(pad) + 4 + len(joined) <= LINE_LENGTH:
        return f"{pad}{head}(\n{pad}    {joined}\n{pad}){tail}"
    return f"{pad}{head}(\n" + "".join(f"{pad}    {item},\n" for item in items) + f"{pad}){tail}"


def endpoint_name(op: ir.Operation) -> str:
    return op.py_name.upper()


def decode_target(t: ir.TypeExpr) -> str:
    """The runtime's decode target for a response type (an expression in ``_endpoints``)."""
    if isinstance(t, ir.UnionOf) and t.by_fields:
        structs = [o for o in t.options if isinstance(o, ir.Ref) and o.kind == "model"]
        others = [o for o in t.options if o not in structs]
        options = ", ".join(ir.annotation(o, "models.") for o in structs)
        if not others:
            return f"FieldsUnion({options})"
        rest = ir.annotation(others[0] if len(others) == 1 else ir.UnionOf(tuple(others)), "models.")
        return f"FieldsUnion({options}, rest={rest})"
    if t == ir.NONE:
        return "None"
    return ir.annotation(t, "models.")


def response_targets(op: ir.Operation) -> list[tuple[str, str]]:
    out = []
    for response in op.responses:
        if not response.is_success and not response.status.startswith("3"):
            continue
        primary = response.primary
        if primary is None or response.status.startswith("3"):  # a declared redirect: no body
            out.append((response.status, "None"))
            continue
        out.append((response.status, decode_target(primary.type)))
    return out


def list_styles(op: ir.Operation) -> dict[str, str]:
    return {p.wire_name: p.list_style for p in op.other_params if p.list_style != "repeat" and _is_list(p.type)}


def _is_list(t: ir.TypeExpr) -> bool:
    return isinstance(t, ir.ListOf) or (isinstance(t, ir.UnionOf) and any(isinstance(o, ir.ListOf) for o in t.options))


def _options(t: ir.TypeExpr) -> tuple[ir.TypeExpr, ...]:
    return t.options if isinstance(t, ir.UnionOf) else (t,)


_NESTING = re.compile(r"[\"'\[\]()]")  # what _top_level must step over


def _top_level(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` outside brackets and string literals (``Literal["a,b"]``)."""
    if not _NESTING.search(text):
        return [part.strip() for part in text.split(separator)]
    parts, depth, start, quote, escaped = [], 0, 0, "", False
    for i, char in enumerate(text):
        if quote:
            escaped, quote = (False, quote) if escaped else (char == "\\", "" if char == quote else quote)
        elif char in "\"'":
            quote = char
        elif char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        elif depth == 0 and text.startswith(separator, i):
            parts.append(text[start:i].strip())
            start = i + len(separator)
    parts.append(text[start:].strip())
    return parts


_PLAIN_ATOM = re.compile(r'"[^"\\\n]*"|\d+')


def annotated_line(indent: int, name: str, annotation: str, value: str | None = None, suffix: str = "") -> str:
    """``name: annotation`` (``= value`` where given), wrapped as black wraps it when too long, so
    black has nothing to redo (a second black pass per changed piece was ~8 s of CPU on GitHub's
    spec). Shapes black decides otherwise (nested brackets, a too-long operand) are left on one line
    for black, which still formats every piece: a shape left alone costs time, not bytes. A shape
    laid out wrongly can cost bytes (black keeps some parentheses where it finds them), which is
    why the committed clients and GitHub's are compared byte for byte (docs/DEVELOPING.md).

    With an atom value: ``= (\\n    value\\n)`` when the line up to ``= (`` fits; else the
    annotation is split: inside its one bracket (``list[\\n    X\\n]``) when it is not a union,
    otherwise in parentheses, one ``|`` operand per line when it does not fit on one."""
    pad, inner_pad = " " * indent, " " * (indent + 4)
    tail = ("" if value is None else f" = {value}") + suffix
    line = f"{pad}{name}: {annotation}{tail}"
    if len(line) <= LINE_LENGTH:
        return line
    if value is not None and value.startswith("msgspec.field(") and value.endswith(")"):
        head = f"{pad}{name}: {annotation} = "
        if suffix or len(head) + 1 <= LINE_LENGTH:
            return _call_value_line(pad, head, value, suffix) or line
        if len(f"{pad}){tail}") > LINE_LENGTH:
            return line
        # The call cannot open on the first line: black splits the annotation instead.
        return _split_annotation(pad, f"{pad}{name}: ", annotation, tail, in_signature=False) or line
    if value is not None and not value.isidentifier() and not (suffix and _PLAIN_ATOM.fullmatch(value)):
        return line  # a string or number default is laid out here in a signature only (``content_type=``)
    # ``= (value)`` is black's for a statement only: a parameter's default (``suffix=","``) never is,
    # and black keeps such parentheses where we put them, so a wrong guess here would change bytes.
    if value is not None and not suffix and len(f"{pad}{name}: {annotation} = (") <= LINE_LENGTH:
        return f"{pad}{name}: {annotation} = (\n{inner_pad}{value}\n{pad})"
    return _split_annotation(pad, f"{pad}{name}: ", annotation, tail, in_signature=bool(suffix)) or line


def _split_annotation(pad: str, head: str, annotation: str, tail: str, *, in_signature: bool) -> str | None:
    """``head`` + an annotation split as black splits it (``annotated_line``), then ``tail``; None
    where black's choice is left to black."""
    inner_pad = pad + "    "
    operands = _top_level(annotation, "|")
    if len(operands) == 1 and annotation.endswith("]"):
        return _split_subscript(pad, head, annotation, tail, bare=not tail and not in_signature)
    if len(head) + 1 > LINE_LENGTH:
        return None  # even ``name: (`` is too long: black splits elsewhere (the value's call, say)
    if in_signature and len(operands) == 1:
        return None  # black leaves a parameter whose annotation is not a union or a subscript long
    if len(inner_pad) + len(annotation) <= LINE_LENGTH:
        return f"{head}(\n{inner_pad}{annotation}\n{pad}){tail}"
    widths = [len(operands[0])] + [2 + len(op) for op in operands[1:]]  # the rest start with '| '
    fits = all(len(inner_pad) + width <= LINE_LENGTH for width in widths)
    # An operand too long for its own line stays one when it has no bracket black could split at.
    if len(operands) > 1 and (fits or not any("[" in op for op in operands)):
        rest = "".join(f"{inner_pad}| {op}\n" for op in operands[1:])
        return f"{head}(\n{inner_pad}{operands[0]}\n{rest}{pad}){tail}"
    return None


def _split_subscript(pad: str, head: str, annotation: str, tail: str, *, bare: bool) -> str | None:
    """``_split_annotation`` for one subscript (``X[...]``): inside its bracket; for a ``bare`` annotation
    (no value, not a parameter) whose bracket would open past the line's end, in parentheses, or when
    even ``name: (`` is too long, inside its bracket all the same (black's last resort: the first line
    stays too long)."""
    inner_pad = pad + "    "
    opener = annotation.index("[")
    inside = annotation[opener + 1 : -1]
    split = f"{head}{annotation[: opener + 1]}\n{inner_pad}{inside}\n{pad}]{tail}"
    if len(head) + 1 > LINE_LENGTH:
        return split if bare and len(inner_pad) + len(inside) <= LINE_LENGTH else None
    if len(head) + opener >= LINE_LENGTH or len(f"{pad}]{tail}") > LINE_LENGTH:
        if not bare or len(inner_pad) + len(annotation) > LINE_LENGTH:
            return None  # black's layout there is odd (``) = (UNSET)``)
        return f"{head}(\n{inner_pad}{annotation}\n{pad})"
    if len(inner_pad) + len(inside) <= LINE_LENGTH:
        return split
    items = _top_level(inside, ",")
    if len(items) > 1 and all(len(inner_pad) + len(item) + 1 <= LINE_LENGTH for item in items):
        rest = "".join(f"{inner_pad}{item},\n" for item in items)  # one per line, and black's added comma
        return f"{head}{annotation[: opener + 1]}\n{rest}{pad}]{tail}"
    return None  # an item too long for its line: black splits it too


def _call_value_line(pad: str, head: str, call: str, suffix: str) -> str | None:
    """``head`` + a call too long for one line, as black splits it: inside the call's parentheses
    when the line up to them fits, else the call wrapped in parentheses of its own; None where
    neither fits (black decides). A model field's call (no ``suffix``) opened on its first line has
    one argument per line and a magic trailing comma, which black keeps whatever the lengths: the
    layout proof then proves all such fields with a few shapes instead of one per length (lightsail:
    286 proving units)."""
    opener = call.index("(")
    arguments = call[opener + 1 : -1]
    if not suffix and arguments and len(head) + opener + 1 <= LINE_LENGTH:
        one_per_line = "".join(f"{pad}    {argument},\n" for argument in _top_level(arguments, ","))
        return f"{head}{call[: opener + 1]}\n{one_per_line}{pad})"
    if len(head) + opener + 1 <= LINE_LENGTH and len(pad) + 4 + len(arguments) <= LINE_LENGTH:
        return f"{head}{call[: opener + 1]}\n{pad}    {arguments}\n{pad}){suffix}"
    if len(head) + 1 <= LINE_LENGTH and len(pad) + 4 + len(call) <= LINE_LENGTH:
        return f"{head}(\n{pad}    {call}\n{pad}){suffix}"
    return None


def union_alias(name: str, annotation: str) -> str:
    """``name = A | B | ...`` at module level, wrapped as black wraps it: the union in parentheses,
    on one line when it fits, else one ``|`` operand per line."""
    line = f"{name} = {annotation}"
    operands = _top_level(annotation, "|")
    if len(line) <= LINE_LENGTH or len(operands) < 2:
        return line
    if 4 + len(annotation) <= LINE_LENGTH:
        return f"{name} = (\n    {annotation}\n)"
    if 4 + len(operands[0]) > LINE_LENGTH or any(6 + len(op) > LINE_LENGTH for op in operands[1:]):
        return line
    rest = "".join(f"    | {op}\n" for op in operands[1:])
    return f"{name} = (\n    {operands[0]}\n{rest})"


def endpoint_head(name: str, result: str) -> str:
    """``NAME: Endpoint[T] = Endpoint(``, the first line of an endpoint's declaration, split inside
    ``Endpoint[...]`` as black splits it when even ``NAME: Endpoint[T] = (`` is too long, or with
    ``Endpoint[T]`` in parentheses when ``NAME: Endpoint[`` is too long too. (When ``= (`` fits,
    black wraps the whole call in parentheses instead: ``endpoint_declaration``.)"""
    line = f"{name}: Endpoint[{result}] = Endpoint("
    if len(line) <= LINE_LENGTH or len(f"{name}: Endpoint[{result}] = (") <= LINE_LENGTH:
        return line
    if 4 + len(result) > LINE_LENGTH or len(_top_level(result, ",")) > 1:
        return line
    if len(f"{name}: Endpoint[") > LINE_LENGTH and len(f"{name}: (") <= LINE_LENGTH:
        # the annotation in parentheses, when they open on the first line and it fits its own
        wrapped = f"    Endpoint[{result}]"
        return f"{name}: (\n{wrapped}\n) = Endpoint(" if len(wrapped) <= LINE_LENGTH else line
    # the bracket opens on the first line, or nothing does (black's last resort: that line stays too long)
    return f"{name}: Endpoint[\n    {result}\n] = Endpoint("


def endpoint_declaration(arguments: str, name: str, result: str) -> str:
    """``NAME: Endpoint[T] = Endpoint(`` + ``arguments`` (one per line, indented, each with its
    comma) + ``)``, laid out as black lays it out: when the first line is too long but
    ``NAME: Endpoint[T] = (`` fits, black wraps the whole call in parentheses."""
    body = arguments.rstrip("\n")
    if any(len(line) > LINE_LENGTH and _has_bracket(line) for line in body.split("\n")):
        return f"{name}: Endpoint[{result}] = Endpoint(\n{body}\n)"  # black splits an argument: left to it
    if len(f"{name}: Endpoint[{result}] = Endpoint(") > LINE_LENGTH >= len(f"{name}: Endpoint[{result}] = ("):
        inner = "\n".join(f"    {line}" if line else line for line in body.split("\n"))
        if any(len(line) > LINE_LENGTH for line in inner.split("\n")):  # laid out for one indent less: to black
            return f"{name}: Endpoint[{result}] = Endpoint(\n{body}\n)"
        return f"{name}: Endpoint[{result}] = (\n    Endpoint(\n{inner}\n    )\n)"
    return f"{endpoint_head(name, result)}\n{body}\n)"


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _has_bracket(line: str) -> bool:
    """Whether black could split ``line`` at a bracket (one outside its string literals)."""
    return any(b in _STRING.sub('""', line) for b in "([{")


def class_head(name: str, bases: str) -> str:
    """``class name(bases):``, wrapped as black wraps a head too long for one line."""
    line = f"class {name}({bases}):"
    if len(line) <= LINE_LENGTH or len(bases) + 4 > LINE_LENGTH:
        return line
    return f"class {name}(\n    {bases}\n):"


def mock_body_type(op: ir.Operation) -> str:
    """What ``MockCall.body`` holds for ``op`` in ``PKG.testing``: the request body decoded (its
    annotation), the bytes sent where it is not JSON, None without a body."""
    if op.body is None:
        return "None"
    optional = "" if op.body.required else " | None"
    if op.body.encoding != "json":
        return f"bytes{optional}"
    if decode_target(op.body.type).startswith("FieldsUnion"):
        return "Any"
    return ir.annotation(op.body.type, "models.") + optional


def mock_body_target(op: ir.Operation) -> str:
    """The runtime's decode target for ``op``'s request body in ``PKG.testing`` (see ``mock_body_type``)."""
    if op.body is None:
        return "None"
    if op.body.encoding != "json":
        return "bytes"
    target = decode_target(op.body.type)
    return "Any" if target.startswith("FieldsUnion") else target


def def_line(indent: int, name: str, params: list[str], returns: str) -> str:
    """``def name(params) -> returns:`` wrapped as black wraps it: whole when it fits; else the parameters on
    one indented line when there are several and they fit there, else one per line with a trailing comma
    (black adds one to a lone parameter); then the closing line as ``returning`` lays it out."""
    pad = " " * indent
    line = f"{pad}def {name}({', '.join(params)}) -> {returns}:"
    if len(line) <= LINE_LENGTH or len(f"{pad}def {name}(") > LINE_LENGTH:
        return line
    joined = ", ".join(params)
    if len(params) > 1 and len(pad) + 4 + len(joined) <= LINE_LENGTH:
        body = f"{pad}    {joined}\n"
    else:
        body = "".join(f"{pad}    {param},\n" for param in params)
    closing = returning(pad, returns, ":")
    # Left whole for black otherwise: the trailing comma above would keep black from its own layout.
    return line if closing is None else f"{pad}def {name}(\n{body}{closing}"


_AUTH_SIGNATURES: dict[str, tuple[str, list[str], list[str]]] = {
    # kind: (runtime class, parameters, arguments before the spec's settings)
    "basic": ("BasicAuth", ["username: str", "password: str"], ["username", "password"]),
    "bearer": (
        "BearerAuth",
        ["token: str | Callable[[], str]", "*", "extra_headers: Mapping[str, str] | None = None"],
        ["token"],
    ),
    "api_key": ("ApiKeyAuth", ["key: str"], ["key"]),
    "password": (
        "PasswordAuth",
        ["username: str", "password: str", "*", "form: bool = False"],
        ["username", "password"],
    ),
    "client_credentials": (
        "ClientCredentialsAuth",
        ["client_id: str", "client_secret: str", "*", "scopes: Sequence[str] = ()"],
        ["client_id", "client_secret"],
    ),
    "refresh_token": (
        "RefreshTokenAuth",
        [
            "refresh_token: str",
            "*",
            "access_token: str | None = None",
            "client_id: str | None = None",
            "client_secret: str | None = None",
            "scopes: Sequence[str] = ()",
            "on_token: Callable[[TokenSet], None] | None = None",
        ],
        ["refresh_token"],
    ),
}


def auth_constructor(option: ir.AuthOption) -> str:
    """The ``Auth`` class's static method for one ``ir.AuthOption``, laid out as black does."""
    cls, params, args = _AUTH_SIGNATURES[option.kind]
    args = list(args)
    if option.kind == "api_key":
        args.append(f"{option.location}={py_literal(option.name)}")
    if option.token_url:
        args.append(f"token_url={py_literal(option.token_url)}")
    keywords = [p.split(":")[0] for p in params if "=" in p]
    args += [f"{k}={k}" for k in keywords]
    doc = f"``{option.scheme}``: {option.summary}."
    if option.scopes:
        doc += " Scopes the spec lists: " + ", ".join(f"``{s}``" for s in option.scopes) + "."
    return "\n".join(
        [
            "    @staticmethod",
            def_line(4, option.py_name, params, cls),
            "        " + docstring(doc, 8),
            call_statement(8, f"return {cls}", args),
        ]
    )
