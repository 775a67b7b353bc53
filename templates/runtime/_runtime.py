"""Client machinery shared by every operation: transport, auth, retries, errors, encoding, paging.

Hand-written once and copied verbatim into each generated package (no templating), so it is read,
reviewed and tested here rather than through every generated method.
"""

from __future__ import annotations

import base64
import datetime
import enum
import logging
import random
import re
import threading
import time
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterator,
    Mapping,
    Sequence,
)
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import httpx
import msgspec
from msgspec import UNSET, UnsetType

__all__ = [
    "UNSET",
    "UnsetType",
    "ApiError",
    "ApiConnectionError",
    "ApiTimeoutError",
    "ApiKeyAuth",
    "ApiResponse",
    "AuthenticationError",
    "BadRequestError",
    "BasicAuth",
    "BearerAuth",
    "ClientError",
    "ConflictError",
    "NotFoundError",
    "PasswordAuth",
    "PermissionDeniedError",
    "PollTimeoutError",
    "RateLimitError",
    "RequestOptions",
    "ServerError",
    "UnexpectedStatusError",
    "UnprocessableEntityError",
    "UnsafeLocationError",
]

T = TypeVar("T")
P = TypeVar("P")
R = TypeVar("R")
H = TypeVar("H", httpx.Client, httpx.AsyncClient)
Params = ParamSpec("Params")
S = TypeVar("S", bound=msgspec.Struct)

logger = logging.getLogger(__name__.rsplit(".", 1)[0])

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_MAX_RETRIES = 2
RETRY_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})
MAX_RETRY_AFTER = 60.0
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0

TimeoutTypes = float | httpx.Timeout | None


# -- models support --------------------------------------------------------------------------------


class OpenEnum(str, enum.Enum):
    """A string enum that accepts values it does not list: a newer server may add states, and
    decoding its answer must not fail for that. Unknown values become pseudo-members whose
    ``name`` is the value itself; they compare equal to their string."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member

    def __str__(self) -> str:
        return str(self.value)


class OpenIntEnum(int, enum.Enum):
    """The integer counterpart of :class:`OpenEnum`."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        member = int.__new__(cls, value)
        member._name_ = str(value)
        member._value_ = value
        return member


class Model(msgspec.Struct, kw_only=True, repr_omit_defaults=True):
    """Base of generated models: fields default to ``UNSET`` (not sent) rather than ``None``
    (sent as null); unknown fields in answers are ignored."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON-shaped dict this model encodes to (unset fields left out)."""
        result: dict[str, Any] = msgspec.to_builtins(self)
        return result


# -- auth --------------------------------------------------------------------------------------------


class BasicAuth(httpx.Auth):
    """HTTP basic auth. The password is kept only inside the encoded header and never shown."""

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        self._header = f"Basic {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r}, password='***')"


class BearerAuth(httpx.Auth):
    """``Authorization: Bearer <token>``; ``token`` may be a string or a callable returning a
    fresh one (called for every request, so it can refresh itself). ``extra_headers`` are sent
    with it (Snowflake's ``X-Snowflake-Authorization-Token-Type``, say)."""

    def __init__(
        self, token: str | Callable[[], str], *, extra_headers: Mapping[str, str] | None = None
    ) -> None:
        self._token = token
        self._extra = dict(extra_headers or {})

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._token() if callable(self._token) else self._token
        request.headers["Authorization"] = f"Bearer {token}"
        request.headers.update(self._extra)
        yield request

    def __repr__(self) -> str:
        return "BearerAuth(token='***')"


class PasswordAuth(httpx.Auth):
    """OAuth2 password flow: trade username and password for a token at ``token_url`` (relative to
    the API's origin, as specs give it), send it as a bearer, and get a new one shortly before its JWT
    ``exp`` or when a request answers 401. The token and password are never shown or logged.

    ``form=True`` posts the standard OAuth2 form (``grant_type=password``); the default posts JSON, as
    Airflow 3's ``/auth/token`` expects."""

    requires_response_body = True
    EXPIRY_MARGIN = 30.0

    def __init__(self, username: str, password: str, *, token_url: str, form: bool = False) -> None:
        self.username = username
        self._password = password
        self.token_url = token_url
        self._form = form
        self._token: str | None = None
        self._expires_at: float | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"PasswordAuth(username={self.username!r}, password='***', token_url={self.token_url!r})"

    def _token_request(self, request: httpx.Request) -> httpx.Request:
        url = urljoin(str(request.url), self.token_url)
        credentials = {"username": self.username, "password": self._password}
        if self._form:
            return httpx.Request("POST", url, data={"grant_type": "password", **credentials})
        return httpx.Request("POST", url, json=credentials, headers={"Accept": "application/json"})

    def _store(self, response: httpx.Response) -> None:
        if response.status_code >= 400:
            raise error_for("POST", redact_url(response.request.url), response)
        token = str(msgspec.json.decode(response.content)["access_token"])
        with self._lock:
            self._token, self._expires_at = token, _jwt_expiry(token)

    def _fresh(self) -> bool:
        with self._lock:
            if self._token is None:
                return False
            return self._expires_at is None or time.time() < self._expires_at - self.EXPIRY_MARGIN

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if not self._fresh():
            self._store((yield self._token_request(request)))
        request.headers["Authorization"] = f"Bearer {self._token}"
        response = yield request
        if response.status_code == 401:  # expired or revoked early: one new token, one retry
            self._store((yield self._token_request(request)))
            request.headers["Authorization"] = f"Bearer {self._token}"
            yield request


def _jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT, read without verifying it (the server does that); None if absent."""
    try:
        payload = token.split(".")[1]
        claims = msgspec.json.decode(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"])
    except (IndexError, ValueError, KeyError, TypeError, msgspec.DecodeError):
        return None


class ApiKeyAuth(httpx.Auth):
    """An API key sent in a header of the caller's choosing."""

    def __init__(self, key: str, *, header: str = "X-API-Key") -> None:
        self._key = key
        self.header = header

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[self.header] = self._key
        yield request

    def __repr__(self) -> str:
        return f"ApiKeyAuth(header={self.header!r}, key='***')"


# -- errors ------------------------------------------------------------------------------------------


class ClientError(Exception):
    """Base of every error this client raises."""


class ApiConnectionError(ClientError):
    """The server could not be reached, or the connection broke."""

    def __init__(self, message: str, *, method: str, url: str) -> None:
        super().__init__(f"{message} ({method} {url})")
        self.method = method
        self.url = url


class ApiTimeoutError(ApiConnectionError):
    """The request timed out."""


class PollTimeoutError(ApiTimeoutError):
    """A 202 Accepted operation did not finish before the polling deadline."""


class UnsafeLocationError(ClientError):
    """The server pointed the client at a URL it refuses to follow (absolute, or another host)."""


class ApiError(ClientError):
    """The server answered with an error status.

    ``body`` is the parsed JSON body when there is one, else the raw text (Airflow answers some
    bad run ids with an HTML page). Problem+json fields (``title``, ``detail``, ``type``,
    ``instance``) and FastAPI's ``{"detail": ...}`` are lifted onto the exception.
    """

    def __init__(
        self, *, method: str, url: str, status: int, headers: httpx.Headers, body: Any
    ) -> None:
        self.method = method
        self.url = url
        self.status = status
        self.headers = headers
        self.body = body
        details = body if isinstance(body, dict) else {}
        self.title: str | None = _str_or_none(details.get("title"))
        self.detail: Any = details.get("detail")
        self.type: str | None = _str_or_none(details.get("type"))
        self.instance: str | None = _str_or_none(details.get("instance"))
        self.code: str | None = _str_or_none(details.get("code") or details.get("error_code"))
        self.message: str | None = _str_or_none(details.get("message"))
        self.request_id: str | None = _str_or_none(details.get("request_id"))
        summary = (
            self.detail if self.detail not in (None, "") else self.title or details.get("message")
        )
        if summary is None and isinstance(body, str):
            summary = body.strip()[:200]
        super().__init__(f"{method} {url} -> {status}" + (f": {summary}" if summary else ""))


class BadRequestError(ApiError):
    """400"""


class AuthenticationError(ApiError):
    """401"""


class PermissionDeniedError(ApiError):
    """403"""


class NotFoundError(ApiError):
    """404"""


class ConflictError(ApiError):
    """409"""


class UnprocessableEntityError(ApiError):
    """422"""


class RateLimitError(ApiError):
    """429"""


class ServerError(ApiError):
    """5xx"""


class UnexpectedStatusError(ApiError):
    """Any other status the client cannot treat as success."""


_ERRORS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def error_for(
    method: str, url: str, response: httpx.Response, request_id_header: str | None = None
) -> ApiError:
    body: Any
    try:
        body = msgspec.json.decode(response.content) if _is_json(response) else response.text
    except (msgspec.DecodeError, UnicodeDecodeError):
        body = response.text
    cls = _ERRORS.get(response.status_code) or (
        ServerError if response.status_code >= 500 else UnexpectedStatusError
    )
    error = cls(
        method=method, url=url, status=response.status_code, headers=response.headers, body=body
    )
    if request_id_header and response.headers.get(request_id_header):
        error.request_id = response.headers[request_id_header]
    return error


# -- endpoints and options ---------------------------------------------------------------------------


class FieldsUnion:
    """A union of untagged structs: decode to the option whose fields match the body best."""

    def __init__(self, *options: type[msgspec.Struct]) -> None:
        self.options = options
        self._names: list[frozenset[str]] = []  # filled on first use, off the import path

    def decode(self, content: bytes) -> Any:
        raw = msgspec.json.decode(content)
        if not isinstance(raw, dict):
            return msgspec.convert(raw, self.options[0])
        if not self._names:
            self._names = [
                frozenset(f.encode_name for f in msgspec.structs.fields(o)) for o in self.options
            ]
        keys = set(raw)
        best = max(range(len(self.options)), key=lambda i: (len(keys & self._names[i]), -i))
        return msgspec.convert(raw, self.options[best])


class Endpoint(msgspec.Struct, Generic[T], frozen=True):
    """What a generated method knows about its operation, as data for the runtime."""

    method: str
    path: str
    # status ("200", "2XX", "default") -> type to decode a JSON body into (None: no content)
    responses: Mapping[str, Any]
    accept: str
    list_styles: Mapping[str, str] = msgspec.field(
        default_factory=dict
    )  # wire name -> csv|ssv|pipes
    update_mask: str | None = None  # wire name of a query parameter derived from the body
    polls_location: bool = False


class RequestOptions(msgspec.Struct, frozen=True, kw_only=True):
    """Per-call settings: the client's timeout, retries and headers for one call; whether an
    operation answering 202 Accepted is polled to completion (``poll=False``: get the 202 back)
    and for how long."""

    timeout: TimeoutTypes | UnsetType = UNSET
    max_retries: int | None = None
    headers: Mapping[str, str] | None = None
    poll: bool = True
    poll_timeout: float = 300.0


class ApiResponse(msgspec.Struct, Generic[T], frozen=True):
    """Status, headers and decoded body of one call (``client.with_raw_response.<group>.<op>()``)."""

    status: int
    headers: httpx.Headers
    data: T
    request_id: str | None = None


# -- encoding ----------------------------------------------------------------------------------------

_PATH_PARAM = re.compile(r"\{([^{}]+)\}")


def to_text(value: Any) -> str:
    """A parameter value as the wire writes it: booleans lower-case, dates ISO 8601."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, datetime.datetime) and value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()}: pass a timezone-aware datetime")
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return str(value)


def encode_segment(name: str, value: Any) -> str:
    """One path segment, fully percent-encoded: ``/``, ``+``, ``:``, ``%``, spaces and
    dot-segments can never change the path."""
    if value is UNSET or value is None:
        raise ValueError(f"path parameter {name!r} is required")
    text = to_text(value)
    if text == "":
        raise ValueError(f"path parameter {name!r} must not be empty")
    encoded = quote(text, safe="")
    if encoded in (".", ".."):
        encoded = encoded.replace(".", "%2E")
    return encoded


def build_path(template: str, values: Mapping[str, Any]) -> str:
    return _PATH_PARAM.sub(lambda m: encode_segment(m.group(1), values[m.group(1)]), template)


QueryPairs = list[tuple[str, str | int | float | bool | None]]


def build_query(values: Mapping[str, Any], list_styles: Mapping[str, str]) -> QueryPairs:
    """Query pairs; parameters left ``UNSET`` are not sent (their defaults are the server's)."""
    pairs: QueryPairs = []
    for name, value in values.items():
        if value is UNSET:
            continue
        if isinstance(value, (list, tuple)):
            if not value:
                continue  # an empty list is no value (update_mask=[]: no mask at all)
            style = list_styles.get(name)
            if style is None:
                pairs.extend((name, to_text(v)) for v in value)
            else:
                sep = {"csv": ",", "ssv": " ", "pipes": "|"}[style]
                pairs.append((name, sep.join(to_text(v) for v in value)))
        elif value is None:
            pairs.append((name, ""))
        else:
            pairs.append((name, to_text(value)))
    return pairs


def set_fields(body: msgspec.Struct, path: Mapping[str, Any] | None = None) -> list[str]:
    """Wire names of the fields the caller set: the update_mask an update should carry.

    A field whose value repeats a path parameter (``key`` of the variable at ``/variables/{key}``)
    names the resource rather than changing it, and is left out: servers refuse it in a mask.
    """
    identity = {to_text(v) for v in (path or {}).values()}
    fields = []
    for f in msgspec.structs.fields(body):
        value = getattr(body, f.name)
        if value is UNSET or (isinstance(value, (str, int)) and to_text(value) in identity):
            continue
        fields.append(f.encode_name)
    return fields


def merge_body(
    model: type[S], body: S | None, fields: Mapping[str, Any], required: bool
) -> S | UnsetType:
    """The request body from a model, keyword arguments, or both (keywords win)."""
    given = {k: v for k, v in fields.items() if v is not UNSET}
    if body is not None:
        return msgspec.structs.replace(body, **given) if given else body
    if not given and not required:
        return UNSET
    return model(**given)


def _is_json(response: httpx.Response) -> bool:
    content_type = str(response.headers.get("content-type", "")).split(";")[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")


_decoders: dict[Any, msgspec.json.Decoder[Any]] = {}
_decoders_lock = threading.Lock()


def _decoder(target: Any) -> msgspec.json.Decoder[Any]:
    decoder = _decoders.get(target)
    if decoder is None:
        with _decoders_lock:
            decoder = _decoders.setdefault(target, msgspec.json.Decoder(target))
    return decoder


def decode_body(response: httpx.Response, responses: Mapping[str, Any]) -> Any:
    status = str(response.status_code)
    if status in responses:
        target = responses[status]
    else:
        target = responses.get(f"{status[0]}XX", responses.get("default", Any))
    if response.status_code == 204 or not response.content or target is None:
        return None
    if _is_json(response) and target is not str:
        if isinstance(target, FieldsUnion):
            return target.decode(response.content)
        try:
            return _decoder(target).decode(response.content)
        except msgspec.ValidationError:
            return _decode_tolerating_unknown_tags(response.content, target)
    if target is bytes:
        return response.content
    return response.text


def _decode_tolerating_unknown_tags(content: bytes, target: Any) -> Any:
    """Decode an answer that names a variant of a tagged union this client does not know (a newer
    server added one): the optional field or list item holding it is left out, with a warning, rather
    than failing the whole call. Any other mismatch still raises."""
    import msgspec.inspect as mi

    raw = msgspec.json.decode(content)

    def variants(kind: Any) -> list[Any]:
        options = kind.types if isinstance(kind, mi.UnionType) else (kind,)
        return [t for t in options if isinstance(t, mi.StructType) and t.tag_field]

    def known(value: Any, kind: Any) -> bool:
        tagged = variants(kind)
        if not tagged or not isinstance(value, dict):
            return True
        return value.get(tagged[0].tag_field) in {t.tag for t in tagged}

    def walk(value: Any, kind: Any) -> None:
        if isinstance(kind, mi.StructType) and isinstance(value, dict):
            for f in kind.fields:
                if f.encode_name not in value:
                    continue
                item = value[f.encode_name]
                if not known(item, f.type) and not f.required:
                    logger.warning(
                        "left out %s: unknown variant %r", f.encode_name, item.get("type", item)
                    )
                    del value[f.encode_name]
                else:
                    walk(item, f.type)
        elif isinstance(kind, mi.ListType) and isinstance(value, list):
            value[:] = [v for v in value if known(v, kind.item_type)]
            for item in value:
                walk(item, kind.item_type)
        elif isinstance(kind, mi.DictType) and isinstance(value, dict):
            for item in value.values():
                walk(item, kind.value_type)
        elif isinstance(kind, mi.UnionType) and isinstance(value, dict):
            for option in kind.types:
                if isinstance(option, mi.StructType) and (
                    not option.tag_field or value.get(option.tag_field) == option.tag
                ):
                    walk(value, option)

    walk(raw, mi.type_info(target))
    return msgspec.convert(raw, target)


def redact_url(url: httpx.URL | str) -> str:
    """The URL without user-info, safe for logs and exception text."""
    parts = urlsplit(str(url))
    if parts.username or parts.password:
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)


# -- retries -----------------------------------------------------------------------------------------


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds from a ``Retry-After`` header (seconds or HTTP-date), capped; None if absent."""
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        import email.utils  # only HTTP-dates need it; kept off the import path

        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc)
        seconds = (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def backoff(attempt: int) -> float:
    """Exponential backoff with full jitter."""
    return random.uniform(0.0, min(BACKOFF_CAP, BACKOFF_BASE * (2**attempt)))  # noqa: S311


def should_retry(
    method: str,
    attempt: int,
    max_retries: int,
    *,
    status: int | None = None,
    exc: Exception | None = None,
) -> bool:
    if attempt >= max_retries:
        return False
    if exc is not None:
        if method in IDEMPOTENT_METHODS:
            return isinstance(exc, (httpx.TransportError,))
        # POST/PATCH: only when the request provably never reached the server.
        return isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
    return status in RETRY_STATUSES and method in IDEMPOTENT_METHODS


# -- exchanges --------------------------------------------------------------------------------------
#
# One call is planned by a generator that yields what to do next (send a request, sleep) and receives
# what happened (a response or a transport error). Retries, Retry-After, 202 polling and the checks
# on server-given URLs are written once here; the sync and async transports only run the plan.


class _Send(msgspec.Struct, frozen=True):
    method: str
    url: str
    params: QueryPairs
    headers: dict[str, str]
    content: bytes | None
    timeout: Any


class _Sleep(msgspec.Struct, frozen=True):
    seconds: float


class _Call(msgspec.Struct, frozen=True):
    endpoint: Endpoint[Any]
    send: _Send
    max_retries: int
    poll: bool
    poll_timeout: float


Step = _Send | _Sleep
Outcome = httpx.Response | httpx.TransportError | None
Plan = Generator[Step, Outcome, T]

POLL_FIRST_WAIT = 0.5
POLL_MAX_WAIT = 10.0
_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]*)*)")


def next_link(headers: httpx.Headers) -> str | None:
    """The target of an RFC 8288 ``Link: <...>; rel="next"`` header, if any."""
    for value in headers.get_list("link"):
        for target, params in _LINK.findall(value):
            for param in params.split(";"):
                key, _, val = param.strip().partition("=")
                if (
                    key.strip().lower() == "rel"
                    and "next" in val.strip().strip('"').lower().split()
                ):
                    return str(target)
    return None


def _send_with_retries(send: _Send, max_retries: int) -> Plan[httpx.Response]:
    attempt = 0
    while True:
        started = time.perf_counter()
        outcome = yield send
        if isinstance(outcome, httpx.TransportError):
            if should_retry(send.method, attempt, max_retries, exc=outcome):
                yield _Sleep(backoff(attempt))
                attempt += 1
                continue
            raise _transport_error(outcome, send.method, redact_url(send.url)) from outcome
        assert isinstance(outcome, httpx.Response)
        logger.debug(
            "%s %s -> %d (%.1f ms)",
            send.method,
            redact_url(outcome.request.url),
            outcome.status_code,
            (time.perf_counter() - started) * 1000,
        )
        status = outcome.status_code
        if status in RETRY_STATUSES and should_retry(
            send.method, attempt, max_retries, status=status
        ):
            wait = retry_after(outcome.headers)
            yield _Sleep(backoff(attempt) if wait is None else wait)
            attempt += 1
            continue
        return outcome


class _BaseClient(Generic[H]):
    """What both transports share; ``H`` is the httpx client class they drive."""

    def __init__(
        self,
        base_url: str,
        *,
        base_path: str,
        default_accept: str,
        auth: httpx.Auth | None,
        timeout: TimeoutTypes,
        headers: Mapping[str, str] | None,
        http_client: H | None,
        max_retries: int,
        user_agent: str,
        request_id_header: str | None = None,
    ) -> None:
        root = base_url.rstrip("/")
        if base_path and not root.endswith(base_path):
            root += base_path
        self.base_url = root
        parts = urlsplit(root)
        self._origin = (parts.scheme, parts.netloc)
        self._auth = auth
        self._timeout = (
            timeout
            if isinstance(timeout, httpx.Timeout) or timeout is None
            else httpx.Timeout(timeout)
        )
        self._headers = {"User-Agent": user_agent, "Accept": default_accept, **(headers or {})}
        self.max_retries = max_retries
        self._request_id_header = request_id_header
        self._owns_http = http_client is None
        # Created on first use: constructing an httpx client loads its connection machinery and
        # TLS context, which a client that is built but not yet used should not pay for.
        self._http: H | None = http_client
        self._http_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={redact_url(self.base_url)!r})"

    def _call(
        self,
        endpoint: Endpoint[Any],
        path: Mapping[str, Any] | None,
        query: Mapping[str, Any] | None,
        headers: Mapping[str, Any] | None,
        body: Any,
        options: RequestOptions | None,
        accept: str | None,
    ) -> _Call:
        options = options or RequestOptions()
        url = self.base_url + build_path(endpoint.path, path or {})
        query = dict(query or {})
        mask = endpoint.update_mask
        if mask and query.get(mask, UNSET) is UNSET and isinstance(body, msgspec.Struct):
            query[mask] = set_fields(body, path)
        send_headers = {"Accept": accept or endpoint.accept}
        send_headers.update({k: to_text(v) for k, v in (headers or {}).items() if v is not UNSET})
        content: bytes | None = None
        if body is not UNSET:
            content = msgspec.json.encode(body)
            send_headers["Content-Type"] = "application/json"
        send_headers.update(options.headers or {})
        timeout = self._timeout if options.timeout is UNSET else options.timeout
        send = _Send(
            endpoint.method,
            url,
            build_query(query, endpoint.list_styles),
            send_headers,
            content,
            timeout,
        )
        retries = self.max_retries if options.max_retries is None else options.max_retries
        return _Call(endpoint, send, retries, options.poll, options.poll_timeout)

    def _same_origin(self, target: str, relative_to: str, *, allow_absolute: bool) -> str:
        """A URL the server handed us (Location, Link), resolved and checked: it must stay on this
        API's scheme, host and port; a Location must not be absolute at all."""
        parts = urlsplit(target)
        if parts.scheme or parts.netloc:
            if not allow_absolute:
                raise UnsafeLocationError(
                    f"refusing to follow an absolute URL from the server: {target!r}"
                )
            if (parts.scheme, parts.netloc) != self._origin:
                raise UnsafeLocationError(f"refusing to follow a URL on another host: {target!r}")
            return target
        return urljoin(relative_to, target)

    def _exchange(self, call: _Call) -> Plan[ApiResponse[Any]]:
        response = yield from _send_with_retries(call.send, call.max_retries)
        location = response.headers.get("location")
        if call.endpoint.polls_location and response.status_code == 202 and call.poll and location:
            response = yield from self._poll(call, location)
        return self._result(call, response)

    def _poll(self, call: _Call, location: str) -> Plan[httpx.Response]:
        """GET the Location of a 202 with growing waits until it answers something else."""
        url = self._same_origin(location, call.send.url, allow_absolute=False)
        deadline = time.monotonic() + call.poll_timeout
        headers = {"Accept": call.endpoint.accept}
        attempt = 0
        wait: float | None = None
        while True:
            if wait is None:
                wait = min(POLL_MAX_WAIT, POLL_FIRST_WAIT * (1.5**attempt))
            if time.monotonic() + wait > deadline:
                raise PollTimeoutError(
                    f"still 202 Accepted after {call.poll_timeout:g} s",
                    method="GET",
                    url=redact_url(url),
                )
            yield _Sleep(wait)
            poll = _Send("GET", url, [], headers, None, call.send.timeout)
            response = yield from _send_with_retries(poll, call.max_retries)
            if response.status_code != 202:
                return response
            attempt += 1
            wait = retry_after(response.headers)
            moved = response.headers.get("location")
            if moved:
                url = self._same_origin(moved, url, allow_absolute=False)

    def _result(self, call: _Call, response: httpx.Response) -> ApiResponse[Any]:
        method, url = call.send.method, redact_url(call.send.url)
        if response.status_code >= 400 or response.status_code < 200:
            raise error_for(method, url, response, self._request_id_header)
        request_id = (
            response.headers.get(self._request_id_header) if self._request_id_header else None
        )
        data = decode_body(response, call.endpoint.responses)
        return ApiResponse(response.status_code, response.headers, data, request_id)

    def _next_page(self, call: _Call, page: ApiResponse[Any], seen: set[str]) -> _Call | None:
        """The call for the page a ``rel="next"`` link names; None at the end, or when the link
        leads back to a page already fetched (a server bug must not loop the client forever)."""
        seen.add(str(httpx.URL(call.send.url, params=call.send.params or None)))
        link = next_link(page.headers)
        if link is None:
            return None
        url = self._same_origin(link, call.send.url, allow_absolute=True)
        if url in seen:
            return None
        return msgspec.structs.replace(
            call, send=msgspec.structs.replace(call.send, url=url, params=[])
        )


def _items(data: Any) -> list[Any]:
    return data if isinstance(data, list) else []


class BaseSyncClient(_BaseClient[httpx.Client]):
    """The synchronous transport: one pooled ``httpx.Client``, safe to share between threads."""

    def _http_client(self) -> httpx.Client:
        http = self._http
        if http is None:
            with self._http_lock:
                if self._http is None:
                    self._http = httpx.Client(timeout=self._timeout, follow_redirects=False)
                http = self._http
        return http

    def close(self) -> None:
        if self._owns_http and self._http is not None:
            self._http.close()

    def __enter__(self: T) -> T:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, plan: Plan[T]) -> T:
        try:
            step = next(plan)
            while True:
                if isinstance(step, _Sleep):
                    time.sleep(step.seconds)
                    step = plan.send(None)
                    continue
                try:
                    response = self._http_client().request(
                        step.method,
                        step.url,
                        params=step.params or None,  # [] would drop a query already in the URL
                        headers={**self._headers, **step.headers},
                        content=step.content,
                        auth=self._auth if self._auth is not None else httpx.USE_CLIENT_DEFAULT,
                        timeout=step.timeout,
                    )
                except httpx.TransportError as exc:
                    step = plan.send(exc)
                else:
                    step = plan.send(response)
        except StopIteration as stop:
            result: T = stop.value
            return result

    def send(
        self,
        endpoint: Endpoint[T],
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        body: Any = UNSET,
        options: RequestOptions | None = None,
        accept: str | None = None,
    ) -> ApiResponse[T]:
        """One operation: status, headers and decoded body."""
        call = self._call(endpoint, path, query, headers, body, options, accept)
        return self._run(self._exchange(call))

    def request(
        self,
        endpoint: Endpoint[T],
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        body: Any = UNSET,
        options: RequestOptions | None = None,
        accept: str | None = None,
    ) -> T:
        """One operation: the decoded body."""
        call = self._call(endpoint, path, query, headers, body, options, accept)
        result: T = self._run(self._exchange(call)).data
        return result

    def paginate(
        self,
        fetch: Callable[[int, int], P],
        items: Callable[[P], Sequence[T] | None | UnsetType],
        total: Callable[[P], int | None | UnsetType],
        page_size: int,
    ) -> Iterator[T]:
        """Yield items page by page until ``total`` items were seen or a page comes back short."""
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        offset = 0
        while True:
            page = fetch(page_size, offset)
            batch = items(page)
            batch = [] if batch is None or batch is UNSET else batch
            yield from batch
            offset += len(batch)
            expected = total(page)
            if len(batch) < page_size or (isinstance(expected, int) and offset >= expected):
                return

    def stream_lines(
        self,
        endpoint: Endpoint[Any],
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        body: Any = UNSET,
        options: RequestOptions | None = None,
        accept: str,
    ) -> Iterator[Any]:
        """Yield each line of a newline-delimited JSON answer, decoded, as it arrives (not retried:
        a stream cannot be replayed from the middle)."""
        send = self._call(endpoint, path, query, headers, body, options, accept).send
        with self._http_client().stream(
            send.method,
            send.url,
            params=send.params or None,
            headers={**self._headers, **send.headers},
            content=send.content,
            auth=self._auth if self._auth is not None else httpx.USE_CLIENT_DEFAULT,
            timeout=send.timeout,
        ) as response:
            if response.status_code >= 400:
                response.read()
                raise error_for(
                    send.method, redact_url(send.url), response, self._request_id_header
                )
            for line in response.iter_lines():
                if line.strip():
                    yield msgspec.json.decode(line)

    def follow_links(
        self,
        endpoint: Endpoint[Any],
        item_type: type[T],
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        options: RequestOptions | None = None,
    ) -> Iterator[T]:
        """Yield the items of a list operation, following ``Link: <...>; rel="next"`` pages."""
        call: _Call | None = self._call(endpoint, path, query, headers, UNSET, options, None)
        seen: set[str] = set()
        while call is not None:
            page = self._run(self._exchange(call))
            yield from _items(page.data)
            call = self._next_page(call, page, seen)


class BaseAsyncClient(_BaseClient[httpx.AsyncClient]):
    """The asynchronous transport: one pooled ``httpx.AsyncClient``, safe for concurrent tasks."""

    def _http_client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self._timeout, follow_redirects=False)
        return self._http

    async def aclose(self) -> None:
        if self._owns_http and self._http is not None:
            await self._http.aclose()

    async def __aenter__(self: T) -> T:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _run(self, plan: Plan[T]) -> T:
        import asyncio

        try:
            step = next(plan)
            while True:
                if isinstance(step, _Sleep):
                    await asyncio.sleep(
                        step.seconds
                    )  # imported here: sync users never load asyncio
                    step = plan.send(None)
                    continue
                try:
                    response = await self._http_client().request(
                        step.method,
                        step.url,
                        params=step.params or None,  # [] would drop a query already in the URL
                        headers={**self._headers, **step.headers},
                        content=step.content,
                        auth=self._auth if self._auth is not None else httpx.USE_CLIENT_DEFAULT,
                        timeout=step.timeout,
                    )
                except httpx.TransportError as exc:
                    step = plan.send(exc)
                else:
                    step = plan.send(response)
        except StopIteration as stop:
            result: T = stop.value
            return result

    async def send(
        self,
        endpoint: Endpoint[T],
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        body: Any = UNSET,
        options: RequestOptions | None = None,
        accept: str | None = None,
    ) -> ApiResponse[T]:
        """One operation: status, headers and decoded body."""
        call = self._call(endpoint, path, query, headers, body, options, accept)
        return await self._run(self._exchange(call))

    async def request(
        self,
        endpoint: Endpoint[T],
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        body: Any = UNSET,
        options: RequestOptions | None = None,
        accept: str | None = None,
    ) -> T:
        """One operation: the decoded body."""
        call = self._call(endpoint, path, query, headers, body, options, accept)
        result: T = (await self._run(self._exchange(call))).data
        return result

    async def paginate(
        self,
        fetch: Callable[[int, int], Awaitable[P]],
        items: Callable[[P], Sequence[T] | None | UnsetType],
        total: Callable[[P], int | None | UnsetType],
        page_size: int,
    ) -> AsyncIterator[T]:
        """Async counterpart of :meth:`BaseSyncClient.paginate`."""
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        offset = 0
        while True:
            page = await fetch(page_size, offset)
            batch = items(page)
            batch = [] if batch is None or batch is UNSET else batch
            for item in batch:
                yield item
            offset += len(batch)
            expected = total(page)
            if len(batch) < page_size or (isinstance(expected, int) and offset >= expected):
                return

    async def stream_lines(
        self,
        endpoint: Endpoint[Any],
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        body: Any = UNSET,
        options: RequestOptions | None = None,
        accept: str,
    ) -> AsyncIterator[Any]:
        """Async counterpart of :meth:`BaseSyncClient.stream_lines`."""
        send = self._call(endpoint, path, query, headers, body, options, accept).send
        async with self._http_client().stream(
            send.method,
            send.url,
            params=send.params or None,
            headers={**self._headers, **send.headers},
            content=send.content,
            auth=self._auth if self._auth is not None else httpx.USE_CLIENT_DEFAULT,
            timeout=send.timeout,
        ) as response:
            if response.status_code >= 400:
                await response.aread()
                raise error_for(
                    send.method, redact_url(send.url), response, self._request_id_header
                )
            async for line in response.aiter_lines():
                if line.strip():
                    yield msgspec.json.decode(line)

    async def follow_links(
        self,
        endpoint: Endpoint[Any],
        item_type: type[T],
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        options: RequestOptions | None = None,
    ) -> AsyncIterator[T]:
        """Async counterpart of :meth:`BaseSyncClient.follow_links`."""
        call: _Call | None = self._call(endpoint, path, query, headers, UNSET, options, None)
        seen: set[str] = set()
        while call is not None:
            page = await self._run(self._exchange(call))
            for item in _items(page.data):
                yield item
            call = self._next_page(call, page, seen)


class RawView:
    """The transport as ``client.with_raw_response`` sees it: calls return :class:`ApiResponse`."""

    def __init__(self, client: BaseSyncClient) -> None:
        self._client = client

    def request(self, endpoint: Endpoint[T], **kwargs: Any) -> ApiResponse[T]:
        return self._client.send(endpoint, **kwargs)


class AsyncRawView:
    """The async transport as ``client.with_raw_response`` sees it."""

    def __init__(self, client: BaseAsyncClient) -> None:
        self._client = client

    async def request(self, endpoint: Endpoint[T], **kwargs: Any) -> ApiResponse[T]:
        return await self._client.send(endpoint, **kwargs)


# -- method twins ------------------------------------------------------------------------------------
#
# A generated method only builds a request and hands it to ``self._client``. Run against another
# transport (async, raw) the same code returns something else; these descriptors reuse it and give
# the twin its own signature type, so each operation is written once.


class _Twin:
    def __init__(self, method: Callable[..., Any]) -> None:
        self._method = method
        self.__doc__ = method.__doc__

    def _bind(self, obj: object | None, owner: type[Any]) -> Any:
        return self if obj is None else self._method.__get__(obj, owner)


class awaitable_method(_Twin, Generic[Params, R]):
    """The async twin of an operation method: same parameters, awaited."""

    def __init__(self, method: Callable[Concatenate[Any, Params], R]) -> None:
        super().__init__(method)

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> awaitable_method[Params, R]: ...
    @overload
    def __get__(self, obj: object, owner: type[Any]) -> Callable[Params, Awaitable[R]]: ...
    def __get__(self, obj: object | None, owner: type[Any]) -> Any:
        return self._bind(obj, owner)


class async_iterator_method(_Twin, Generic[Params, T]):
    """The async twin of a paging helper: yields the same items as an async iterator."""

    def __init__(self, method: Callable[Concatenate[Any, Params], Iterator[T]]) -> None:
        super().__init__(method)

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> async_iterator_method[Params, T]: ...
    @overload
    def __get__(self, obj: object, owner: type[Any]) -> Callable[Params, AsyncIterator[T]]: ...
    def __get__(self, obj: object | None, owner: type[Any]) -> Any:
        return self._bind(obj, owner)


class raw_method(_Twin, Generic[Params, R]):
    """The raw twin of an operation method: returns status, headers and the decoded body."""

    def __init__(self, method: Callable[Concatenate[Any, Params], R]) -> None:
        super().__init__(method)

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> raw_method[Params, R]: ...
    @overload
    def __get__(self, obj: object, owner: type[Any]) -> Callable[Params, ApiResponse[R]]: ...
    def __get__(self, obj: object | None, owner: type[Any]) -> Any:
        return self._bind(obj, owner)


class async_raw_method(_Twin, Generic[Params, R]):
    """The async raw twin of an operation method."""

    def __init__(self, method: Callable[Concatenate[Any, Params], R]) -> None:
        super().__init__(method)

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> async_raw_method[Params, R]: ...
    @overload
    def __get__(
        self, obj: object, owner: type[Any]
    ) -> Callable[Params, Awaitable[ApiResponse[R]]]: ...
    def __get__(self, obj: object | None, owner: type[Any]) -> Any:
        return self._bind(obj, owner)


def _transport_error(exc: httpx.TransportError, method: str, url: str) -> ApiConnectionError:
    if isinstance(exc, httpx.TimeoutException):
        return ApiTimeoutError(f"timed out: {type(exc).__name__}", method=method, url=url)
    return ApiConnectionError(f"connection failed: {type(exc).__name__}", method=method, url=url)
