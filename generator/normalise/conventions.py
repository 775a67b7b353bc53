"""Conventions inferred from the spec, each a named rule saying what in a spec triggers it."""

from __future__ import annotations

from .. import ir
from ..names import words
from ..normalise.base import STR
from ..normalise.schemas import Schemas
from ..normalise.unions import _options

# Path parameters named <field>_<word> name the resource that body field <field> names (pool_name/pool).
_IDENTITY_WORDS = ("id", "name", "key")
# Words an operation ending the session is named by (its last path segment or its operationId).
_SESSION_END = frozenset({"logout", "signout"})


class Conventions(Schemas):
    def _pagination(self, params: list[ir.Parameter], result: ir.TypeExpr) -> ir.Pagination | None:
        """limit/offset paging: both parameters, and a response model with ``total_entries`` and
        exactly one list field (the items)."""
        names = {p.wire_name: p for p in params if p.location == "query"}
        if "limit" not in names or "offset" not in names:
            return None
        if not (isinstance(result, ir.Ref) and result.kind == "model"):
            return None
        model = self.models[result.name]
        total = next((f for f in model.fields if f.wire_name == "total_entries"), None)
        lists = [(f, t) for f in model.fields for t in _options(f.type) if isinstance(t, ir.ListOf)]
        if total is None or len(lists) != 1:
            return None
        items, list_type = lists[0]
        return ir.Pagination(
            "", names["limit"].py_name, names["offset"].py_name, items.py_name, total.py_name, list_type.item
        )

    def _link_pagination(self, responses: tuple[ir.Response, ...]) -> ir.LinkPagination | None:
        ok = next((r for r in responses if r.status == "200"), None)
        if ok is None or "link" not in (h.lower() for h in ok.headers):
            return None
        json_types = [c.type for c in ok.contents if c.kind == "json"]
        if json_types and isinstance(json_types[0], ir.ListOf) and isinstance(json_types[0].item, ir.Ref):
            return ir.LinkPagination("", json_types[0].item)
        return None

    def _request_id_header(self, operations: list[ir.Operation]) -> str:
        names = sorted({h for op in operations for r in op.responses for h in r.headers})
        return next((h for h in names if h.lower().replace("_", "-").endswith("request-id")), "")


def _identity(params: list[ir.Parameter], fields: tuple[ir.Field, ...]) -> tuple[tuple[str, str], ...]:
    """Body fields of an update_mask operation that name the resource its path names, by name.

    Both the field and the path parameter must be strings or integers. A field matches the path
    parameter with its own wire name (``connection_id`` / ``connection_id``), else one named
    ``<stem>_<field>`` (``pool_name`` / ``name``, ``variable_key`` / ``key``, ``dag_id`` / ``id``)
    or ``<field>_id``, ``<field>_name``, ``<field>_key`` (``pool_name`` / ``pool``). When several
    path parameters match, the last one wins: it names the resource itself, the others its parents.
    Values never decide: a ``host`` equal to the connection id is still sent in the mask.
    """
    path = [p for p in params if p.location == "path" and _scalar(p.type)]
    pairs: list[tuple[str, str]] = []
    for field in fields:
        if not _scalar(field.type):
            continue
        name = field.wire_name
        exact = [p for p in path if p.wire_name == name]
        named = [
            p
            for p in path
            if (p.wire_name.endswith(f"_{name}") and len(p.wire_name) > len(name) + 1)
            or p.wire_name in {f"{name}_{word}" for word in _IDENTITY_WORDS}
        ]
        match = (exact or named)[-1:]
        if match:
            pairs.append((name, match[0].wire_name))
    return tuple(pairs)


def _ends_session(path: str, operation_id: str) -> bool:
    """An operation whose last path segment or operationId is logout, log_out, signout or sign_out
    (any case, any separators: ``/auth/logout``, ``/session/sign-out``, ``LogOut``)."""
    segments = [s for s in path.split("/") if s]
    names = [operation_id] + ([segments[-1]] if segments and "{" not in segments[-1] else [])
    return any("".join(words(n)).lower() in _SESSION_END for n in names)


def _scalar(t: ir.TypeExpr) -> bool:
    """A string or integer, nullable or not: a value that can name a resource."""
    options = [o for o in _options(t) if o != ir.NONE]
    return len(options) == 1 and options[0] in (STR, ir.Primitive("int"))
