"""Docstrings and the README: an operation's and a field's documentation, the quickstart."""

from __future__ import annotations

from .. import ir
from ..render.methods import _optional, annotated_line
from ..render.text import py_literal, py_value


def summary_line(op: ir.Operation) -> str:
    return op.summary or op.operation_id


def _wrap(words: list[str], width: int = 88) -> str:
    """Words (each kept whole: a ``literal`` never breaks) joined by spaces into lines of at most
    ``width`` characters where possible; the last word's trailing comma becomes a full stop."""
    words = [*words[:-1], words[-1].removesuffix(",") + ("." if words[-1].endswith(",") else "")]
    lines = [words[0]]
    for word in words[1:]:
        if len(lines[-1]) + 1 + len(word) > width:
            lines.append(word)
        else:
            lines[-1] += " " + word
    return "\n".join(lines)


def server_defaults(op: ir.Operation) -> list[str]:
    """``name=value`` for each argument the spec gives a default for (query and header parameters,
    then body fields), in signature order: what the server assumes when the caller leaves it out."""
    out = [f"{p.py_name}={py_value(p.default.value)}" for p in op.other_params if p.default is not None]
    if op.body is not None:
        for f, name in zip(op.body.fields, op.body.field_args, strict=True):
            if f.default is not None:
                out.append(f"{name}={py_value(f.default.value)}")
    return out


def op_doc(op: ir.Operation) -> str:
    parts = [summary_line(op)]
    if op.description and op.description.strip() != op.summary.strip():
        parts.append(op.description)
    defaults = server_defaults(op)
    if defaults:
        parts.append(
            _wrap(["Server defaults applied when an argument is not passed:", *(f"``{d}``," for d in defaults)])
        )
    if op.deprecated:
        parts.append("Deprecated: the spec marks this operation deprecated.")
    parts.append(f"{op.method} {op.path}")
    return "\n\n".join(p.strip() for p in parts)


def model_doc(description: str, source: str) -> str:
    return "\n\n".join(p for p in (description.strip(), f"Schema: {source}") if p)


def field_doc(f: ir.Field) -> str:
    """A field's docstring: the spec's description, then, when its type was degraded to dicts
    because of an untagged union of models, which models they are and how to convert one."""
    parts = [f.description.strip()]
    if f.untagged_options:
        union = " | ".join(f.untagged_options)
        t = next((o for o in (f.type.options if isinstance(f.type, ir.UnionOf) else (f.type,)) if o != ir.NONE), f.type)
        if isinstance(t, ir.ListOf):
            what, var = "Items are plain dicts", "item"
        elif isinstance(t, ir.MapOf) and isinstance(t.value, (ir.MapOf, ir.UnionOf)):
            what, var = "Values are plain dicts", "value"
        else:
            what, var = "The value is a plain dict", "value"
        parts.append(
            f"{what}, each one of {union}: the spec's union has no discriminator, so the decoder\n"
            f"cannot tell them apart. Convert one with ``msgspec.convert({var}, models.{f.untagged_options[0]})``."
        )
    return "\n\n".join(p for p in parts if p)


def field_annotation(f: ir.Field) -> str:
    t = ir.annotation(f.type)
    return t if f.required else _optional(t)


def field_line(f: ir.Field) -> str:
    """A model's field declaration, laid out as black lays it out."""
    return annotated_line(4, f.py_name, field_annotation(f), field_default(f).removeprefix(" = ") or None)


def field_default(f: ir.Field) -> str:
    if f.py_name != f.wire_name:
        default = "" if f.required else ", default=UNSET"
        return f" = msgspec.field(name={py_literal(f.wire_name)}{default})"
    return "" if f.required else " = UNSET"


def call_example(op: ir.Operation) -> str:
    values = []
    for p in op.path_params:
        values.append(py_literal(p.wire_name))
    for p in op.other_params:
        if p.required:
            values.append(f"{p.py_name}=...")
    return f"client.{op.group}.{op.py_name}({', '.join(values)})"


# Placeholder credentials in the quickstart (a development server's usual admin account).
QUICKSTART_USER, QUICKSTART_PASSWORD = "admin", "admin"


def quickstart_auth(api: ir.Api) -> tuple[list[str], str] | None:
    """The names to import and the auth expression the README quickstart uses, from the spec's
    security schemes, first match wins: an OAuth2 password flow (``PasswordAuth(user, password,
    token_url=TOKEN_URL)``), HTTP basic (``BasicAuth``), HTTP bearer (``BearerAuth``), an API key in
    a header (``ApiKeyAuth(key, header=...)``). None when the spec offers none of these."""
    user, password = py_literal(QUICKSTART_USER), py_literal(QUICKSTART_PASSWORD)
    schemes = api.security_schemes
    if api.token_url and any(s.type == "oauth2" and s.token_url for s in schemes):
        return ["TOKEN_URL", "PasswordAuth"], f"PasswordAuth({user}, {password}, token_url=TOKEN_URL)"
    if any(s.type == "http" and s.scheme == "basic" for s in schemes):
        return ["BasicAuth"], f"BasicAuth({user}, {password})"
    if any(s.type == "http" and s.scheme == "bearer" for s in schemes):
        return ["BearerAuth"], f"BearerAuth({py_literal('token')})"
    key = next((s for s in schemes if s.type == "apiKey" and s.location == "header" and s.param_name), None)
    if key is not None:
        return ["ApiKeyAuth"], f"ApiKeyAuth({py_literal('key')}, header={py_literal(key.param_name)})"
    return None


_STRING = ir.Primitive("str")


def _by_path_only(op: ir.Operation) -> bool:
    """A GET whose required arguments are string path parameters (placeholders can fill them)."""
    return (
        op.method == "GET"
        and (op.body is None or not op.body.required)
        and all(p.location == "path" and p.type == _STRING for p in op.parameters if p.required)
    )


def _items_by_collection(by_path: list[ir.Operation]) -> dict[str, ir.Operation]:
    """The GET reading one item of each collection path: its path is the collection's plus one ``/{param}``
    segment and that string path parameter is its only required argument (the first such GET, in the
    operations' order), among ``by_path``: the operations ``_by_path_only``, in order. One pass: looking it
    up per listing was quadratic (5,000 operations: ~10 s)."""
    items: dict[str, ir.Operation] = {}
    for op in by_path:
        if len(op.path_params) == 1:
            segment = f"/{{{op.path_params[0].wire_name}}}"
            if op.path.endswith(segment):
                items.setdefault(op.path[: -len(segment)], op)
    return items


def quickstart_operations(api: ir.Api) -> tuple[ir.Operation | None, ir.Operation | None]:
    """The README quickstart's example calls: a GET that needs no argument, then (when there is
    one) the GET of one item of the same collection, called with its path parameter's name as a
    placeholder string and wrapped to catch ``NotFoundError``.

    The rule: among GETs with no path parameter and no required argument, prefer one that has
    such an item GET, then a paged one (``iter_*``), then one answering a list; ties go to the
    group, then the method, in alphabetical order. When no GET goes without arguments, the second
    call alone is shown, with the first GET (same preferences) whose required arguments are all
    string path parameters."""

    def preference(op: ir.Operation) -> tuple[bool, bool, str, str]:
        paged = op.pagination is not None or op.link_pagination is not None
        return (not paged, not isinstance(op.result_type, ir.ListOf), op.group, op.py_name)

    by_path = [op for op in api.operations if _by_path_only(op)]  # asked once per operation (~6 ms on GitHub's)
    listings = [op for op in by_path if not op.path_params]
    if listings:
        item_of = _items_by_collection(by_path)
        listing = min(listings, key=lambda op: (op.path not in item_of, *preference(op)))
        return listing, item_of.get(listing.path)
    return None, min(by_path, key=preference) if by_path else None


def quickstart(api: ir.Api, package: str) -> str:
    """The README's quickstart: Python that runs as written against a server at localhost:8080
    (auth from ``quickstart_auth``, calls from ``quickstart_operations``)."""
    listing, item = quickstart_operations(api)
    auth = quickstart_auth(api)
    names = ["Client", *(auth[0] if auth else []), *(["NotFoundError"] if item else [])]
    names.sort(key=lambda n: (not n.isupper(), n))  # constants first, then classes (isort's order)
    lines = [f"from {package} import {', '.join(names)}", ""]
    if auth:
        lines.append(f"auth = {auth[1]}")
    lines.append(f'with Client("http://localhost:8080"{", auth=auth" if auth else ""}) as client:')
    if listing is not None:
        lines.append(f"    print(client.{listing.group}.{listing.py_name}())")
    if item is not None:
        args = ", ".join(py_literal(p.wire_name) for p in item.path_params)
        lines += [
            "    try:",
            f"        print(client.{item.group}.{item.py_name}({args}))",
            "    except NotFoundError as exc:  # the placeholder names no real item",
            "        print(exc.status, exc.detail)",
        ]
    if listing is None and item is None:
        lines.append("    print(client.base_url)")
    return "\n".join(lines)
