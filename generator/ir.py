"""The intermediate model: every decision about the generated client, as plain frozen dataclasses.

Nothing here knows about YAML, JSON pointers or Jinja. Templates read these objects and lay them out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any, Literal, TypeVar, cast

from .compiled import DataclassMethods
from .errors import place, printable

# the methods ``dataclasses`` makes for the classes below, compiled once and kept (``compiled``): ~11 ms an import
_METHODS = DataclassMethods(__file__)

# "file": a multipart part's file (bytes, a binary file object, a path, or a (filename, content,
# content type) tuple); "binary": a whole binary request body (bytes, a file object, a path, or an
# iterator of bytes). Both only in request bodies, never decoded.
PrimitiveKind = Literal["str", "int", "float", "bool", "datetime", "date", "bytes", "file", "binary", "any", "none"]


@dataclass(frozen=True)
class Primitive:
    kind: PrimitiveKind


@dataclass(frozen=True)
class ListOf:
    item: TypeExpr


@dataclass(frozen=True)
class MapOf:
    """A JSON object with arbitrary keys (free-form, or ``additionalProperties: <schema>``)."""

    value: TypeExpr


@dataclass(frozen=True)
class Ref:
    """A named type of the models module: a struct, an enum or a union alias."""

    name: str
    kind: Literal["model", "enum", "alias"]


@dataclass(frozen=True)
class UnionOf:
    """Alternatives; ``Primitive("none")`` among them means nullable.

    ``tagged`` is the discriminator's wire name when every struct option carries its tag, so the
    decoder picks the option by tag. ``by_fields`` marks a union of untagged structs that the
    decoder cannot pick natively: the runtime picks the option whose fields match the body best.
    """

    options: tuple[TypeExpr, ...]
    tagged: str | None = None
    by_fields: bool = False


TypeExpr = Primitive | ListOf | MapOf | Ref | UnionOf

ANY = Primitive("any")
NONE = Primitive("none")

_PY_PRIMITIVES: dict[str, str] = {
    "str": "str",
    "int": "int",
    "float": "float",
    "bool": "bool",
    "datetime": "datetime.datetime",
    "date": "datetime.date",
    "bytes": "bytes",
    "file": "File",
    "binary": "BinaryContent",
    "any": "Any",
    "none": "None",
}


def annotation(t: TypeExpr, models_prefix: str = "") -> str:
    """The Python annotation for a type, naming models as ``{models_prefix}{Name}``."""
    if isinstance(t, Primitive):
        return _PY_PRIMITIVES[t.kind]
    if isinstance(t, ListOf):
        return f"list[{annotation(t.item, models_prefix)}]"
    if isinstance(t, MapOf):
        return f"dict[str, {annotation(t.value, models_prefix)}]"
    if isinstance(t, Ref):
        return f"{models_prefix}{t.name}"
    parts = [annotation(o, models_prefix) for o in t.options if o != NONE]
    if NONE in t.options:
        parts.append("None")
    return " | ".join(parts)


def is_nullable(t: TypeExpr) -> bool:
    return (isinstance(t, UnionOf) and NONE in t.options) or t == NONE


JsonScalar = str | int | float | bool


@dataclass(frozen=True)
class Default:
    """A default the spec gives (``default: true``): what the server assumes when it is not sent.
    Lists of scalars are kept as tuples; objects and nulls are not recorded."""

    value: JsonScalar | tuple[JsonScalar, ...]


@dataclass(frozen=True)
class Field:
    wire_name: str
    py_name: str
    type: TypeExpr
    required: bool
    read_only: bool = False
    write_only: bool = False
    deprecated: bool = False
    description: str = ""
    default: Default | None = None
    # Holds a secret (``format: password``, ``writeOnly``, or named like a password or token).
    secret: bool = False
    # The models of an untagged union this field's type was degraded from (msgspec cannot tell
    # untagged structs apart inside a struct, so they decode as dicts): documented on the field.
    untagged_options: tuple[str, ...] = ()
    # The name the server wants for this field in an update_mask when it is not the wire name
    # (``x-clientgen-update-mask-name``, set by an overlay: Airflow 2's variable ``value`` is ``val``).
    mask_name: str = ""


@dataclass(frozen=True)
class Model:
    """A struct. ``tag`` is (wire field, value) when it is one option of a tagged union."""

    name: str
    source: str  # the schema it came from, as "file#pointer" relative to the spec
    fields: tuple[Field, ...]
    description: str = ""
    tag: tuple[str, str] | None = None
    deprecated: bool = False

    @property
    def secret_fields(self) -> tuple[str, ...]:
        """Wire names of the fields holding secrets: the runtime redacts their values, at any depth
        of a request body, from error texts."""
        return tuple(f.wire_name for f in self.fields if f.secret)


@dataclass(frozen=True)
class EnumMember:
    py_name: str
    value: str | int


@dataclass(frozen=True)
class EnumModel:
    """An enum that tolerates values the spec does not list (a newer server may send them)."""

    name: str
    source: str
    members: tuple[EnumMember, ...]
    value_kind: Literal["str", "int"]
    description: str = ""


@dataclass(frozen=True)
class Alias:
    """A named union, e.g. ``ScheduleInterval = TimeDelta | RelativeDelta | CronExpression | None``."""

    name: str
    source: str
    type: TypeExpr
    description: str = ""


ParamLocation = Literal["path", "query", "header", "cookie"]


@dataclass(frozen=True)
class Parameter:
    wire_name: str
    py_name: str
    location: ParamLocation
    type: TypeExpr
    required: bool
    # How a list is written to the query: "repeat" (?a=1&a=2, form+explode) or "csv" (?a=1,2).
    list_style: Literal["repeat", "csv", "ssv", "pipes"] = "repeat"
    deprecated: bool = False
    description: str = ""
    default: Default | None = None


BodyEncoding = Literal["json", "form", "multipart", "binary", "text"]


@dataclass(frozen=True)
class BodyVariant:
    """Another media type the spec offers for the same body schema, chosen with ``content_type=``."""

    media_type: str
    encoding: BodyEncoding
    form_styles: tuple[tuple[str, str], ...] = ()
    json_parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Body:
    media_type: str
    type: TypeExpr
    required: bool
    # How the runtime encodes it: JSON; form (application/x-www-form-urlencoded, OpenAPI's form rules);
    # multipart/form-data parts; raw bytes sent as they are; text.
    encoding: BodyEncoding = "json"
    # The request struct whose top-level fields the method also takes as keyword arguments.
    model: str | None = None
    fields: tuple[Field, ...] = ()
    # Python names of those keyword arguments, parallel to ``fields``.
    field_args: tuple[str, ...] = ()
    # Form fields not sent the default way (form style, exploded: ``a=1&a=2``, an object's properties
    # as pairs of their own), by the spec's ``encoding``: "deepObject" (``name[key]=value`` at any
    # depth: how Stripe's API wants nested objects and arrays), "csv", "ssv" or "pipes" (one pair).
    form_styles: tuple[tuple[str, str], ...] = ()
    # Multipart parts whose ``encoding.contentType`` (or OpenAPI's default for objects) makes them JSON.
    json_parts: tuple[str, ...] = ()
    # the other media types offered for the same schema (``content_type=``), in the spec's order
    alternatives: tuple[BodyVariant, ...] = ()

    @property
    def declared_content_type(self) -> str | None:
        """The media type the runtime is told to send, where the default (JSON as application/json,
        no other choice) is not it."""
        if self.encoding == "json" and self.media_type == "application/json" and not self.alternatives:
            return None
        return self.media_type


ContentKind = Literal["json", "text", "bytes", "ndjson", "sse", "empty"]


@dataclass(frozen=True)
class Content:
    media_type: str
    kind: ContentKind
    type: TypeExpr
    # text/event-stream: the type of each event's data (the answer as a whole is text)
    event_type: TypeExpr | None = None


@dataclass(frozen=True)
class Response:
    status: str  # "200", "2XX", "default"
    description: str
    contents: tuple[Content, ...]
    headers: tuple[str, ...] = ()

    @property
    def is_success(self) -> bool:
        return self.status.startswith("2")

    @property
    def primary(self) -> Content | None:
        """The content the client decodes by default: JSON first, else the spec's first. The one
        place this choice is made (result types, decode targets)."""
        return min(self.contents, key=lambda c: c.kind != "json") if self.contents else None


@dataclass(frozen=True)
class Pagination:
    """limit/offset paging: keep asking with a larger offset until ``total`` items or a short page."""

    iterator_name: str  # the generated helper, e.g. iter_dags for get_dags
    limit_param: str
    offset_param: str
    items_field: str
    total_field: str
    item_type: TypeExpr


@dataclass(frozen=True)
class LinkPagination:
    """RFC 8288 paging: the server sends ``Link: <...>; rel="next"`` while more items remain."""

    iterator_name: str
    item_type: Ref


@dataclass(frozen=True)
class Download:
    """A binary answer, also offered as ``<op>_to_file``: written to a path or file as it arrives."""

    method_name: str
    media_type: str


@dataclass(frozen=True)
class Stream:
    """A streamed answer, offered as ``<op>_stream``: ``application/x-ndjson`` (one JSON value per
    line) or ``text/event-stream`` (server-sent events whose data is ``event_type``)."""

    method_name: str
    media_type: str
    kind: Literal["ndjson", "sse"] = "ndjson"
    event_type: TypeExpr = ANY


@dataclass(frozen=True)
class Operation:
    operation_id: str
    py_name: str
    group: str
    method: str
    path: str  # template with wire names: /dags/{dag_id}
    summary: str
    description: str
    deprecated: bool
    parameters: tuple[Parameter, ...]
    body: Body | None
    responses: tuple[Response, ...]
    # Alternative success media types the caller may ask for via ``accept=``; first is default.
    accepts: tuple[Content, ...]
    result_type: TypeExpr
    update_mask: Parameter | None = None  # the query parameter derived from the fields set
    pagination: Pagination | None = None
    link_pagination: LinkPagination | None = None
    stream: Stream | None = None
    download: Download | None = None
    polls_location: bool = False  # may answer 202 with a Location to poll
    # (body field wire name, path parameter wire name) pairs naming the same resource: left out of
    # a derived update_mask when the field repeats the path value (decided by name, never by value).
    update_mask_identity: tuple[tuple[str, str], ...] = ()
    # (body field wire name, name in the update_mask) where the server's differs
    update_mask_names: tuple[tuple[str, str], ...] = ()
    ends_session: bool = False  # a logout: the auth's cached token is dropped after it
    # The schemes the operation accepts (its own ``security`` or the spec's): alternatives, each the
    # scheme keys it needs together, space-separated; "" where no credentials are needed. () when the
    # spec declares none (the client's auth is sent as configured).
    security: tuple[str, ...] = ()

    @property
    def bytes_accepts(self) -> tuple[str, ...]:
        """The media types a caller may choose (``accept=``, of several) whose answer is typed bytes: the
        runtime returns their bytes whatever the status's own type."""
        if len(self.accepts) < 2:
            return ()
        return tuple(c.media_type for c in self.accepts if c.type == Primitive("bytes"))

    @property
    def default_accept(self) -> str:
        """The Accept header sent when the caller does not choose: the first of ``accepts``."""
        return self.accepts[0].media_type if self.accepts else "application/json"

    @property
    def path_params(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location == "path")

    @property
    def other_params(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location != "path")


@dataclass(frozen=True)
class Group:
    """Operations that share a first tag: ``client.<attr>``."""

    attr: str
    class_name: str
    tag: str
    operations: tuple[Operation, ...]


@dataclass(frozen=True)
class SecurityScheme:
    key: str
    type: str  # http, apiKey, oauth2, openIdConnect
    scheme: str = ""  # for http: basic, bearer, negotiate
    param_name: str = ""  # for apiKey
    location: str = ""  # for apiKey: header, query, cookie
    token_url: str = ""  # for oauth2 password flow


AuthKind = Literal["basic", "bearer", "api_key", "password", "client_credentials", "refresh_token"]


@dataclass(frozen=True)
class AuthOption:
    """One way to authenticate as a security scheme declares it, decided once: the runtime auth that
    sends it (``kind``) with what the spec fixes (a key's name and place, a token URL, scopes). The
    package's ``Auth`` class has a typed constructor per option, named ``py_name``."""

    py_name: str
    scheme: str  # the scheme's key in components.securitySchemes (Client(auth={key: ...}))
    kind: AuthKind
    summary: str
    location: str = ""  # api_key: header, query or cookie
    name: str = ""  # api_key: the header, parameter or cookie name
    token_url: str = ""  # password, client_credentials, refresh_token
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Diagnostic:
    """Something the generator skipped, guessed or degraded, said where it is in the spec."""

    severity: Literal["warning"]
    file: str  # as displayed (relative to the working directory when it can be)
    line: int | None
    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {place(self.file, self.line)}: #{printable(self.pointer)}: {printable(self.message)}"


@dataclass(frozen=True)
class ModelModule:
    """A module of the generated ``models`` package: the models, enums and aliases used by exactly
    one set of groups (directly or through other models), so a group's first call loads only what
    it uses. A module imports only from modules of strict supersets of its groups: no cycles."""

    name: str  # "_dag" (one group), "_shared__1a2b3c4d" (several), "_unused__models" (none)
    groups: tuple[str, ...]  # group attrs
    models: tuple[Model, ...]
    enums: tuple[EnumModel, ...]
    aliases: tuple[Alias, ...]
    imports: tuple[tuple[str, tuple[str, ...]], ...]  # (module, names) it takes from others


@dataclass(frozen=True)
class Api:
    title: str
    version: str
    description: str
    spec_sha256: str
    base_path: str  # path part of the first server URL, e.g. /api/v1 (empty when absolute paths)
    groups: tuple[Group, ...]
    models: tuple[Model, ...]
    enums: tuple[EnumModel, ...]
    aliases: tuple[Alias, ...]
    security_schemes: tuple[SecurityScheme, ...]
    # A response header the spec declares for request ids (X-Request-ID, X-Snowflake-Request-ID...):
    # surfaced on every response and error.
    request_id_header: str = ""
    # The OAuth2 password flow's token URL, when the spec offers one (PasswordAuth's default).
    token_url: str = ""
    # Each security scheme as the auth that sends it (the package's ``Auth`` constructors).
    auth_options: tuple[AuthOption, ...] = ()
    # What the generator skipped, guessed or degraded (printed as warnings; fatal with --strict).
    diagnostics: tuple[Diagnostic, ...] = ()
    # Where each model, enum and alias is defined (normalise/modules.py).
    model_modules: tuple[ModelModule, ...] = ()

    @property
    def operations(self) -> tuple[Operation, ...]:
        return tuple(op for group in self.groups for op in group.operations)


_METHODS.keep()


def digest(value: object) -> str:
    """The digest of an IR value: of its ``repr``, which holds every field, in order (the IR's values are
    frozen dataclasses, tuples and scalars; a float as it round-trips): equal digests, equal values."""
    return hashlib.sha256(repr(value).encode("utf-8", "surrogatepass")).hexdigest()


def renamed_digest(digest_of_typed: str, named: tuple[object, ...]) -> str:
    """The digest of an operation given its final names (``normalise.api``'s ``NAMED_FIELDS``, ``named``) from that of
    the operation as typed: equal digests, equal operations (the rest of it is the typed one's). Taken where the
    typed one's digest is known without its ``repr`` (``normalise.kept``), and alike where it is not (``render``), so
    a file's inputs have one digest whichever run took it."""
    return hashlib.sha256(f"{digest_of_typed}\0{named!r}".encode("utf-8", "surrogatepass")).hexdigest()


_K = TypeVar("_K")
_V = TypeVar("_V")
_SCALARS = frozenset({str, int, bool, type(None)})


class Sharing:
    """Equal IR values made one object, so that a state pickled for the next run holds each once: GitHub's
    component state holds 35k fields of 7.7k values, 7.8k unions of 1k, 7.7k enum members of 700, and reads back
    in half the time. Values are equal when their types and fields are, each scalar by its type too (``True`` and
    ``1``, ``1`` and ``1.0`` are equal in Python, not here) and a float by its ``repr`` (``0.0`` and ``-0.0``);
    so what is made one has one ``repr``, and renders alike. No IR value is told apart by its identity."""

    def __init__(self) -> None:
        self._pool: dict[tuple[object, ...], object] = {}
        self._plans: dict[type, tuple[tuple[str, bool], ...] | None] = {}

    def share(self, value: _V) -> _V:
        """``value``, or an equal value met before."""
        return cast(_V, self._shared(value)[0])

    def share_values(self, mapping: Mapping[_K, _V]) -> dict[_K, _V]:
        """``mapping``'s values shared."""
        return {key: self.share(value) for key, value in mapping.items()}

    def _shared(self, value: Any) -> tuple[Any, object]:
        """The value to keep, and a key that equal values share."""
        kind = type(value)
        if kind in _SCALARS:
            return value, (kind, value)
        if kind is float:
            return value, (kind, repr(value))
        if kind is tuple:
            parts = [self._shared(item) for item in value]
            same = all(part[0] is item for part, item in zip(parts, value, strict=True))
            return (value if same else tuple(part[0] for part in parts)), (tuple, tuple(part[1] for part in parts))
        if kind not in self._plans:
            self._plans[kind] = _plan(kind)
        plan = self._plans[kind]
        if plan is None:
            return value, ("id", id(value))  # not an IR value: kept as it is, never made one with another
        changed: dict[str, Any] = {}
        key: list[object] = [kind]
        for name, plain in plan:
            field_value = getattr(value, name)
            if plain:
                key.append(field_value)
                continue
            kept, part = self._shared(field_value)
            key.append(part)
            if kept is not field_value:
                changed[name] = kept
        found = self._pool.get(tuple(key))
        if found is None:
            found = self._pool[tuple(key)] = replace(value, **changed) if changed else value
        return found, ("id", id(found))


# Fields whose values are of one type (mypy holds them to it; ``int`` is not one: ``True`` is an int), so that a
# value stands for itself in a key.
_PLAIN_TYPES = frozenset({"str", "bool", "str | None"})


def _plan(kind: type) -> tuple[tuple[str, bool], ...] | None:
    """Each field of an IR dataclass, and whether its value stands for itself in a ``Sharing`` key; None for
    anything else."""
    if not is_dataclass(kind):
        return None
    return tuple((f.name, f.type in _PLAIN_TYPES) for f in fields(kind))
