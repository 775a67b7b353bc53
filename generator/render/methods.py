"""An operation's method as text: its arguments, signature lines, overloads and call arguments, laid out
as black lays them out."""

from __future__ import annotations

from dataclasses import dataclass

from generator import ir
from generator.render.text import LINE_LENGTH, py_literal


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


def signature(args: list[Arg], extra: list[str]) -> str:
    """The parameter list of a method, one parameter per line as black lays it out."""
    parts = ["self"]
    star = False
    for arg in args:
        if arg.keyword_only and not star:
            parts.append("*")
            star = True
        default = f" = {arg.default}" if arg.default is not None else ""
        parts.append(f"{arg.name}: {arg.annotation}{default}")
    if extra and not star:
        parts.append("*")
    parts.extend(extra)
    return "\n" + "".join(f"        {part},\n" for part in parts) + "    "


_OPTIONS_ARG = "options: RequestOptions | None = None"


def method_heads(op: ir.Operation, is_async: bool) -> list[str]:
    """The lines that open an operation's method: one ``@overload`` per media type the caller may
    ask for with ``accept=`` (each with its return type) and then the implementation, or the one
    signature. Blank lines included, as black separates them."""
    define = f"    {'async ' if is_async else ''}def {op.py_name}"
    args = op_args(op)
    chooser = content_type_arg(op)
    if len(op.accepts) <= 1:
        returns = ir.annotation(op.result_type, "models.")
        return ["", f"{define}({signature(args, [*chooser, _OPTIONS_ARG])}) -> {returns}:"]
    heads = []
    # a success answer without a body (a 204 beside the 200) is None whatever the caller accepts
    bodiless = ir.is_nullable(op.result_type)
    answers = [
        ir.annotation(ir.UnionOf((c.type, ir.NONE)) if bodiless and not ir.is_nullable(c.type) else c.type, "models.")
        for c in op.accepts
    ]
    for index, (content, returns) in enumerate(zip(op.accepts, answers, strict=True)):
        media = py_literal(content.media_type)
        accept = f"accept: Literal[{media}]" + (f" = {media}" if index == 0 else "")
        heads += [
            "",
            "    @overload",
            f"{define}({signature(args, [*chooser, accept, _OPTIONS_ARG])}) -> {returns}: ...",
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
    accept = f"accept: str = {py_literal(op.accepts[0].media_type)}"
    return [*heads, "", f"{define}({signature(args, [*chooser, accept, _OPTIONS_ARG])}) -> {returns}:"]


def content_type_arg(op: ir.Operation) -> list[str]:
    """``content_type: Literal[...] = <default>`` when the body may be sent as other media types."""
    if op.body is None or not op.body.alternatives:
        return []
    media = [op.body.media_type, *(v.media_type for v in op.body.alternatives)]
    return [f"content_type: Literal[{', '.join(map(py_literal, media))}] = {py_literal(media[0])}"]


def body_variant(variant: ir.BodyVariant) -> str:
    """A runtime ``BodyVariant(...)`` expression for ``_endpoints``."""
    args = [py_literal(variant.encoding)]
    if variant.form_styles:
        pairs = ", ".join(f"{py_literal(k)}: {py_literal(v)}" for k, v in variant.form_styles)
        args.append(f"form_styles={{{pairs}}}")
    if variant.json_parts:
        args.append(f"json_parts=({', '.join(map(py_literal, variant.json_parts))},)")
    return f"BodyVariant({', '.join(args)})"


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


def _collection_arg(keyword: str, entries: list[str], brackets: str, indent: int, assign: bool = False) -> str:
    pad, equals, end = " " * indent, (" = " if assign else "="), ("" if assign else ",")
    inner = ", ".join(entries) + ("," if brackets == "()" and len(entries) == 1 else "")
    one_line = f"{pad}{keyword}{equals}{brackets[0]}{inner}{brackets[1]}{end}"
    if len(one_line) <= LINE_LENGTH:
        return one_line
    lines = "".join(f"{pad}    {entry},\n" for entry in entries)
    return f"{pad}{keyword}{equals}{brackets[0]}\n{lines}{pad}{brackets[1]}{end}"


def assignment_call(target: str, func: str, arg: str, indent: int) -> str:
    """``target = func(arg)``, wrapped the way black wraps it when too long."""
    pad = " " * indent
    line = f"{pad}{target} = {func}({arg})"
    if len(line) <= LINE_LENGTH:
        return line
    return f"{pad}{target} = {func}(\n{pad}    {arg}\n{pad})"


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
