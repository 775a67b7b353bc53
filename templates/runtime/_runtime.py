"""Client machinery shared by every operation: transport, auth, retries, errors, encoding, paging.

Hand-written once and copied verbatim into each generated package (no templating), so it is read,
reviewed and tested here rather than through every generated method.

Every call runs as a *plan*: a generator that yields what to do next (open a request, read a chunk
of its body, sleep, hand an item to the caller) and receives what happened. Retries, deadlines,
size limits, decompression, decoding, 202 polling, paging, ``Link`` following and line streams are
written once in plans; the sync and async transports only perform the steps.
"""

from __future__ import annotations

import base64
import datetime
import enum
import functools
import importlib
import logging
import math
import pathlib
import random
import re
import sys
import threading
import time
import types
import typing
import warnings
import weakref
import zlib
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from typing import Any, Concatenate, Generic, Literal, ParamSpec, TypeVar, overload
from urllib.parse import (
    quote,
    quote_plus,
    unquote,
    urlencode,
    urljoin,
    urlsplit,
    urlunsplit,
)

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
    "BinaryContent",
    "ClientCredentialsAuth",
    "ClientError",
    "ConflictError",
    "CredentialsError",
    "DeadlineExceededError",
    "Destination",
    "File",
    "NotFoundError",
    "OAuth2Auth",
    "PagingError",
    "PasswordAuth",
    "PermissionDeniedError",
    "PollTimeoutError",
    "RateLimitError",
    "RedirectError",
    "RefreshTokenAuth",
    "RequestOptions",
    "ResponseTooLargeError",
    "ResponseValidationError",
    "SchemeAuth",
    "ServerError",
    "ServerSentEvent",
    "SpecDriftWarning",
    "TokenSet",
    "UnexpectedStatusError",
    "UnprocessableEntityError",
    "UnsafeLocationError",
]

T = TypeVar("T")
R = TypeVar("R")
H = TypeVar("H", httpx.Client, httpx.AsyncClient)
Params = ParamSpec("Params")
S = TypeVar("S", bound=msgspec.Struct)

logger = logging.getLogger(__name__.rsplit(".", 1)[0])

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def _checked_timeout(timeout: Any) -> httpx.Timeout | None:
    """A timeout as httpx takes it (None: none at all, as httpx's). A number of seconds that is not
    finite and above 0 is refused where it is given, not met at the first call as the socket
    layer's error (``inf``: an ``OverflowError``; ``-1``, ``nan``: a ``ValueError``)."""
    if timeout is None:
        return None
    made = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
    for phase, seconds in made.as_dict().items():
        if seconds is None:
            continue
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, (int, float))
            or not math.isfinite(seconds)
            or seconds <= 0
        ):
            raise ValueError(
                f"timeout: {phase} must be a finite number of seconds above 0 (or None), "
                f"not {seconds!r}"
            )
    return made


# A stream may be quiet between lines by design (Airflow 3's wait endpoint sends its first line
# after ``interval`` seconds), so its read timeout is its own: the longest silence accepted.
DEFAULT_STREAM_READ_TIMEOUT = 600.0
DEFAULT_MAX_RETRIES = 2
# The most a decoded body (after gzip/deflate) or one streamed line may hold in memory.
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
RETRY_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})
MAX_RETRY_AFTER = 60.0
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0
POLL_FIRST_WAIT = 0.5
POLL_MAX_WAIT = 10.0
# A paging helper stops with PagingError after this many pages: a server that keeps growing (or
# ignores the page parameters in a way no other check catches) must not hold a loop forever.
MAX_PAGES = 10_000
# Content codings the client asks for and can decode with a bounded output (zlib's max_length).
ACCEPT_ENCODING = "gzip, deflate"
# A 403 that blames the credential, not a permission: Airflow 3's "Invalid JWT token", RFC 6750's
# error="invalid_token", "token expired", "revoked token".
_BLAMES_THE_TOKEN = re.compile(
    r"invalid_token|\b(invalid|expired|revoked)\b[\w ]{0,20}\btoken\b"
    r"|\btoken\b[\w ]{0,20}\b(invalid|expired|revoked)\b",
    re.IGNORECASE,
)

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


def _credential(value: str, what: str) -> str:
    """A credential that can travel in a header: no control characters (a key read from a file
    often ends in a newline, and the transport's error would quote the whole value)."""
    if any(ord(c) < 0x20 or c == "\x7f" for c in value):
        raise ValueError(f"{what} contains a control character (a trailing newline?)")
    return value


class BasicAuth(httpx.Auth):
    """HTTP basic auth. The password is kept only inside the encoded header and never shown."""

    def __init__(self, username: str, password: str) -> None:
        self.username = _credential(username, "username")
        password = _credential(password, "password")
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        self._header = f"Basic {token}"
        self._password = password

    def auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def secrets(self) -> tuple[str, ...]:
        """Values to redact from anything the client shows."""
        return (self._password,)

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r}, password='***')"


class BearerAuth(httpx.Auth):
    """``Authorization: Bearer <token>``; ``token`` may be a string or a callable returning a
    fresh one (called for every request, so it can refresh itself). ``extra_headers`` are sent
    with it (Snowflake's ``X-Snowflake-Authorization-Token-Type``, say)."""

    def __init__(
        self,
        token: str | Callable[[], str],
        *,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        self._token = token if callable(token) else _credential(token, "token")
        self._extra = dict(extra_headers or {})

    def auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        token = (
            _credential(self._token(), "token")
            if callable(self._token)
            else self._token
        )
        request.headers["Authorization"] = f"Bearer {token}"
        request.headers.update(self._extra)
        yield request

    def secrets(self) -> tuple[str, ...]:
        return () if callable(self._token) else (self._token,)

    def __repr__(self) -> str:
        return "BearerAuth(token='***')"


class TokenSet(msgspec.Struct, frozen=True):
    """What a token endpoint answered (RFC 6749 section 5.1), as an OAuth2 auth keeps it; given to
    ``on_token`` so an application can store a rotated refresh token. Never shows the tokens.
    """

    access_token: str
    refresh_token: str | None = None
    expires_at: float | None = None  # time.time() seconds; None: unknown
    scope: str | None = None

    def __repr__(self) -> str:
        refresh = "'***'" if self.refresh_token else "None"
        return (
            f"TokenSet(access_token='***', refresh_token={refresh}, "
            f"expires_at={self.expires_at!r}, scope={self.scope!r})"
        )


class OAuth2Auth(httpx.Auth):
    """Bearer tokens from an OAuth2 token endpoint (RFC 6749), for the grants below.

    A token is cached and renewed shortly before it expires (``expires_in``, else the JWT's
    ``exp``), when a request answers 401, and when a 403 blames it (a server restarted with a new
    secret refuses its old tokens so). Concurrent calls (threads of a sync client, tasks of an
    async one) share one token request. A ``refresh_token`` the endpoint gave is tried first
    (``grant_type=refresh_token``); when it is refused, the auth's own grant runs again.
    ``on_token`` is called with each new ``TokenSet``. The client authenticates to the token
    endpoint with HTTP Basic (``client_auth="basic"``, RFC 6749 section 2.3.1) or in the form
    body (``"body"``). Secrets are never shown or logged.

    A relative ``token_url`` (as specs give it: ``/auth/token``) is resolved against the client's
    base URL. An operation that ends the session (``logout``) drops the cached tokens.
    """

    EXPIRY_MARGIN = 30.0

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str | None = None,
        client_secret: str | None = None,
        scopes: Sequence[str] = (),
        client_auth: Literal["basic", "body"] = "basic",
        on_token: Callable[[TokenSet], None] | None = None,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.scopes = tuple(scopes)
        self._client_auth = client_auth
        self._on_token = on_token
        self._base_url: str | None = None
        self._token: str | None = None
        self._refresh: str | None = None
        self._renew_at: float | None = None
        self._lock = threading.Lock()  # guards the fields, never held across a request
        # one token request at a time: a lock for threads, one asyncio.Lock per event loop
        self._thread_gate = threading.Lock()
        self._task_gates: weakref.WeakKeyDictionary[Any, Any] = (
            weakref.WeakKeyDictionary()
        )

    # -- what a grant sends ------------------------------------------------------------------

    def _grant(self) -> dict[str, str] | None:
        """The form fields of this auth's own grant; None when it has none (refresh only)."""
        return None

    def _grant_as_json(self) -> bool:
        return False

    def _secret_values(self) -> tuple[str, ...]:
        return (self._client_secret,) if self._client_secret else ()

    # -- the client's hooks ------------------------------------------------------------------

    def secrets(self) -> tuple[str, ...]:
        with self._lock:
            held = tuple(t for t in (self._token, self._refresh) if t)
        return self._secret_values() + held

    def bind_base_url(self, base_url: str) -> None:
        """Called by the client: the URL a relative ``token_url`` is resolved against."""
        self._base_url = base_url

    def forget(self) -> None:
        """Drop the cached tokens (after a logout): the next request gets new ones."""
        with self._lock:
            self._token = self._refresh = self._renew_at = None

    def refused(
        self, request: httpx.Request, headers: httpx.Headers, content: bytes
    ) -> bool:
        """Whether a 403 blames the token ``request`` carried rather than a permission: Airflow 3
        answers "Invalid JWT token" for a token revoked elsewhere or signed before a restart changed
        its secret; RFC 6750 servers say ``error="invalid_token"``. That token is dropped (unless
        another call replaced it already), and the caller may send the request again, once.
        """
        said = (
            headers.get("www-authenticate", "")
            + " "
            + content[:4096].decode("utf-8", "replace")
        )
        if not _BLAMES_THE_TOKEN.search(said):
            return False
        used = request.headers.get("Authorization", "").removeprefix("Bearer ")
        with self._lock:
            if self._token == used:
                self._token = self._renew_at = None
        return True

    # -- token requests ----------------------------------------------------------------------

    def _url(self, request: httpx.Request) -> str:
        if urlsplit(self.token_url).scheme or self._base_url is None:
            return urljoin(str(request.url), self.token_url)
        return self._base_url.rstrip("/") + "/" + self.token_url.lstrip("/")

    def _token_request(
        self, request: httpx.Request, fields: dict[str, str], as_json: bool
    ) -> httpx.Request:
        # the API call's timeouts: a request without them would wait forever
        extensions = {
            "timeout": request.extensions.get("timeout", DEFAULT_TIMEOUT.as_dict())
        }
        headers = {"Accept": "application/json", "Accept-Encoding": "identity"}
        if as_json:
            return httpx.Request(
                "POST",
                self._url(request),
                json=fields,
                headers=headers,
                extensions=extensions,
            )
        form = dict(fields)
        if self.scopes and "scope" not in form:
            form["scope"] = " ".join(self.scopes)
        if self.client_id is not None:
            if self._client_auth == "basic" and self._client_secret is not None:
                # RFC 6749 2.3.1: each part form-encoded before it is Basic-encoded
                pair = f"{quote_plus(self.client_id)}:{quote_plus(self._client_secret)}"
                encoded = base64.b64encode(pair.encode()).decode("ascii")
                headers["Authorization"] = f"Basic {encoded}"
            else:
                form["client_id"] = self.client_id
                if self._client_secret is not None:
                    form["client_secret"] = self._client_secret
        return httpx.Request(
            "POST",
            self._url(request),
            data=form,
            headers=headers,
            extensions=extensions,
        )

    def _renewal(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        """The token requests that get a new token (each answer read whole before it is sent
        back): the refresh token first where there is one, then the auth's own grant."""
        with self._lock:
            refresh = self._refresh
        if refresh is not None:
            answer = yield self._token_request(
                request,
                {"grant_type": "refresh_token", "refresh_token": refresh},
                False,
            )
            # 400 invalid_grant (RFC 6749 5.2) or 401: the refresh token is spent
            if answer.status_code not in (400, 401) or self._grant() is None:
                self._store(answer, refresh)
                return
            with self._lock:  # refused (expired, revoked): the own grant starts over
                if self._refresh == refresh:
                    self._refresh = None
        grant = self._grant()
        if grant is None:
            raise ValueError(
                f"{type(self).__name__} has no token and no refresh token left to get one"
            )
        answer = yield self._token_request(request, grant, self._grant_as_json())
        self._store(answer, None)

    def _store(self, response: httpx.Response, refresh: str | None) -> None:
        url = redact_url(response.request.url)
        content = response.content
        if response.status_code >= 300:
            raise error_for(
                "POST",
                url,
                response.status_code,
                response.headers,
                content,
                # the token request's own credentials too (a client's Basic header, its parts)
                sent_secrets(response.request, self.secrets()),
            )
        try:
            answer = msgspec.json.decode(content)
        except (msgspec.DecodeError, RecursionError):
            answer = None
        token = answer.get("access_token") if isinstance(answer, dict) else None
        problem = None
        if not isinstance(token, str) or not _token_text(token):
            problem = (
                "$.access_token",
                "the token response carries no access_token string",
            )
        elif str(answer.get("token_type", "bearer")).lower() != "bearer":
            problem = ("$.token_type", "the token is not a bearer token")
        if (
            problem is not None
            or not isinstance(answer, dict)
            or not isinstance(token, str)
        ):
            raise ResponseValidationError(
                method="POST",
                url=url,
                status=response.status_code,
                headers=response.headers,
                body="<token response withheld>",
                path=problem[0] if problem else "$",
                reason=problem[1] if problem else "not a JSON object",
            )
        new_refresh = answer.get("refresh_token")
        # RFC 6749 section 6: without a new refresh token, the one used stays valid
        kept = new_refresh if _token_text(new_refresh) else refresh
        now = time.time()
        lifetime = answer.get("expires_in")
        expires_at = None
        if isinstance(lifetime, (int, float)) and not isinstance(lifetime, bool):
            if math.isfinite(lifetime) and lifetime > 0:
                expires_at = now + float(lifetime)
        if expires_at is None:
            expires_at = _jwt_expiry(token)
        renew_at = None
        if expires_at is not None:
            # a short-lived token is renewed halfway, not on every call
            renew_at = expires_at - min(
                self.EXPIRY_MARGIN, max(expires_at - now, 0) / 2
            )
        scope = answer.get("scope")
        tokens = TokenSet(
            token, kept, expires_at, scope if isinstance(scope, str) else None
        )
        with self._lock:
            self._token, self._refresh, self._renew_at = token, kept, renew_at
        if self._on_token is not None:
            self._on_token(tokens)

    def _needs_token(self, failed: str | None) -> bool:
        """Whether a token request is due: none yet, expiring, or still the one that failed."""
        with self._lock:
            if self._token is None or self._token == failed:
                return True
            return self._renew_at is not None and time.time() >= self._renew_at

    def _authorised(self, request: httpx.Request) -> tuple[httpx.Request, str | None]:
        with self._lock:
            token = self._token
        request.headers["Authorization"] = f"Bearer {token}"
        return request, token

    @staticmethod
    def _retry_with_new_token(response: httpx.Response, failed: str | None) -> bool:
        """A 401 (expired, or revoked early) is worth one new token and one retry. A 403 is how
        servers deny a permission; one that blames the token is seen by ``refused``, which reads
        its body."""
        return response.status_code == 401 and failed is None

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        failed: str | None = None
        while True:
            if self._needs_token(failed):
                with self._thread_gate:
                    if self._needs_token(failed):
                        renewal = self._renewal(request)
                        token_request = next(renewal, None)
                        while token_request is not None:
                            answer = yield token_request
                            _CappedStream(answer)
                            answer.read()
                            token_request = _next_step(renewal, answer)
            request, used = self._authorised(request)
            response = yield request
            if not self._retry_with_new_token(response, failed):
                return
            failed = used

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        import asyncio

        gate = self._task_gates.setdefault(asyncio.get_running_loop(), asyncio.Lock())
        failed: str | None = None
        while True:
            if self._needs_token(failed):
                async with gate:
                    if self._needs_token(failed):
                        renewal = self._renewal(request)
                        token_request = next(renewal, None)
                        while token_request is not None:
                            answer = yield token_request
                            _CappedStream(answer)
                            await answer.aread()
                            token_request = _next_step(renewal, answer)
            request, used = self._authorised(request)
            if not self._retry_with_new_token((yield request), failed):
                return
            failed = used


def _next_step(
    renewal: Generator[httpx.Request, httpx.Response, None], answer: httpx.Response
) -> httpx.Request | None:
    try:
        return renewal.send(answer)
    except StopIteration:
        return None


def _token_text(value: object) -> bool:
    """A token that can travel in a header as it is."""
    return (
        isinstance(value, str)
        and bool(value)
        and value == value.strip()
        and value.isprintable()
    )


class PasswordAuth(OAuth2Auth):
    """OAuth2 password grant: trade username and password for a token at ``token_url``.

    The default posts JSON ``{"username", "password"}``, as Airflow 3's ``/auth/token`` expects;
    ``form=True`` posts the standard form (``grant_type=password``, with ``scopes`` and the client's
    credentials where given). See ``OAuth2Auth`` for caching, renewal and concurrency.
    """

    def __init__(
        self,
        username: str,
        password: str,
        *,
        token_url: str,
        form: bool = False,
        client_id: str | None = None,
        client_secret: str | None = None,
        scopes: Sequence[str] = (),
        on_token: Callable[[TokenSet], None] | None = None,
    ) -> None:
        super().__init__(
            token_url=token_url,
            client_id=client_id,
            client_secret=client_secret,
            scopes=scopes,
            on_token=on_token,
        )
        self.username = username
        self._password = password
        self._form = form

    def __repr__(self) -> str:
        return f"PasswordAuth(username={self.username!r}, password='***', token_url={self.token_url!r})"

    def _grant(self) -> dict[str, str]:
        credentials = {"username": self.username, "password": self._password}
        return (
            credentials if not self._form else {"grant_type": "password", **credentials}
        )

    def _grant_as_json(self) -> bool:
        return not self._form

    def _secret_values(self) -> tuple[str, ...]:
        return (self._password,) + super()._secret_values()


class ClientCredentialsAuth(OAuth2Auth):
    """OAuth2 client credentials grant (RFC 6749 section 4.4): the client's own id and secret
    traded for a token at ``token_url``, for ``scopes``. See ``OAuth2Auth``."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        token_url: str,
        scopes: Sequence[str] = (),
        client_auth: Literal["basic", "body"] = "basic",
        on_token: Callable[[TokenSet], None] | None = None,
    ) -> None:
        super().__init__(
            token_url=token_url,
            client_id=_credential(client_id, "client_id"),
            client_secret=_credential(client_secret, "client_secret"),
            scopes=scopes,
            client_auth=client_auth,
            on_token=on_token,
        )

    def __repr__(self) -> str:
        return (
            f"ClientCredentialsAuth(client_id={self.client_id!r}, client_secret='***', "
            f"token_url={self.token_url!r})"
        )

    def _grant(self) -> dict[str, str]:
        return {"grant_type": "client_credentials"}


class RefreshTokenAuth(OAuth2Auth):
    """Tokens your application obtained (OAuth2 authorization code, OpenID Connect): the access
    token is sent until it expires, then renewed with the refresh token at ``token_url``
    (``client_id`` and, for a confidential client, ``client_secret`` sent as the endpoint wants,
    see ``OAuth2Auth``). ``on_token`` receives each new ``TokenSet``: store its ``refresh_token``,
    which servers may rotate. Without an access token the first call refreshes at once.
    """

    def __init__(
        self,
        refresh_token: str,
        *,
        token_url: str,
        access_token: str | None = None,
        expires_at: float | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        scopes: Sequence[str] = (),
        client_auth: Literal["basic", "body"] = "basic",
        on_token: Callable[[TokenSet], None] | None = None,
    ) -> None:
        super().__init__(
            token_url=token_url,
            client_id=client_id,
            client_secret=client_secret,
            scopes=scopes,
            client_auth=client_auth,
            on_token=on_token,
        )
        self._refresh = _credential(refresh_token, "refresh_token")
        if access_token is not None:
            self._token = _credential(access_token, "access_token")
            expiry = expires_at if expires_at is not None else _jwt_expiry(access_token)
            if expiry is not None:
                left = max(expiry - time.time(), 0)
                self._renew_at = expiry - min(self.EXPIRY_MARGIN, left / 2)

    def __repr__(self) -> str:
        return f"RefreshTokenAuth(refresh_token='***', token_url={self.token_url!r})"


class _CappedStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A token answer's raw body, refused past ``limit`` bytes (the token endpoint is the server too,
    and httpx reads auth answers whole). Token requests ask for no content coding, so raw is all.
    """

    LIMIT = 1 << 20

    def __init__(self, response: httpx.Response) -> None:
        self.inner: Any = response.stream
        self.response, self.size = response, 0
        coding = response.headers.get("content-encoding", "identity").strip().lower()
        if coding not in ("", "identity"):
            raise ResponseValidationError(
                method="POST",
                url=redact_url(response.request.url),
                status=response.status_code,
                headers=response.headers,
                body="<token response withheld>",
                reason=f"Content-Encoding {coding!r} where none was asked for",
            )
        response.stream = self

    def _count(self, chunk: bytes) -> bytes:
        self.size += len(chunk)
        if self.size > self.LIMIT:
            raise ResponseTooLargeError(
                method="POST",
                url=redact_url(self.response.request.url),
                status=self.response.status_code,
                headers=self.response.headers,
                limit=self.LIMIT,
            )
        return chunk

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner:
            yield self._count(chunk)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.inner:
            yield self._count(chunk)

    def close(self) -> None:
        self.inner.close()

    async def aclose(self) -> None:
        await self.inner.aclose()


def _jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT, read without verifying it (the server does that); None if absent."""
    try:
        payload = token.split(".")[1]
        claims = msgspec.json.decode(
            base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        )
        expiry = float(claims["exp"])
    except (
        IndexError,
        ValueError,
        KeyError,
        TypeError,
        OverflowError,  # an exp of 400 digits
        RecursionError,  # claims nested past the decoder's depth
        msgspec.DecodeError,
    ):
        return None
    return expiry if math.isfinite(expiry) else None


class ApiKeyAuth(httpx.Auth):
    """An API key, sent where the spec's ``apiKey`` scheme puts it: a header (``header=``, by
    default ``X-API-Key``), a query parameter (``query=``) or a cookie (``cookie=``)."""

    def __init__(
        self,
        key: str,
        *,
        header: str | None = None,
        query: str | None = None,
        cookie: str | None = None,
    ) -> None:
        self._key = _credential(key, "key")
        places = [
            (where, name)
            for where, name in (
                ("header", header),
                ("query", query),
                ("cookie", cookie),
            )
            if name is not None
        ]
        if len(places) > 1:
            raise ValueError("give one of header=, query= and cookie=")
        self.location, self.name = places[0] if places else ("header", "X-API-Key")
        if self.location == "cookie" and any(c in key for c in ';,"\\ '):
            raise ValueError(
                'key cannot travel in a cookie (it has ; , " \\ or a space)'
            )

    @property
    def header(self) -> str | None:
        return self.name if self.location == "header" else None

    def auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        if self.location == "header":
            request.headers[self.name] = self._key
        elif self.location == "query":
            request.url = request.url.copy_set_param(self.name, self._key)
        else:
            pair = f"{self.name}={self._key}"
            jar = request.headers.get("Cookie")
            request.headers["Cookie"] = f"{jar}; {pair}" if jar else pair
        yield request

    def secrets(self) -> tuple[str, ...]:
        return (self._key,)

    def __repr__(self) -> str:
        return f"ApiKeyAuth({self.location}={self.name!r}, key='***')"


# -- errors ------------------------------------------------------------------------------------------


class ClientError(Exception):
    """Base of every error this client raises."""

    def __reduce__(self) -> tuple[Any, ...]:
        # pickle and copy remake an exception as ``cls(*args)``, which keyword-only constructors
        # refuse: rebuilt from its message and attributes instead (for a process pool's results)
        return (_rebuilt_error, (type(self), self.args, dict(self.__dict__)))


def _rebuilt_error(
    cls: type[ClientError], args: tuple[Any, ...], state: dict[str, Any]
) -> ClientError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class SpecDriftWarning(UserWarning):
    """The server's answer breaks the spec in a way real servers often do (a ``null`` where the spec
    says non-nullable, a required field missing): tolerated, and said once per model and field.
    ``Client(strict=True)`` raises :class:`ResponseValidationError` instead."""


class ApiConnectionError(ClientError):
    """The server could not be reached, or the connection broke."""

    def __init__(self, message: str, *, method: str, url: str) -> None:
        super().__init__(f"{message} ({method} {url})")
        self.method = method
        self.url = url


class ApiTimeoutError(ApiConnectionError):
    """The request timed out."""


class DeadlineExceededError(ApiTimeoutError):
    """The call's ``RequestOptions(deadline=...)`` passed (retries, polling and paging included)."""


class PollTimeoutError(ApiTimeoutError):
    """A 202 Accepted operation did not finish before the polling deadline."""


class UnsafeLocationError(ClientError):
    """The server pointed the client at a URL it refuses to follow (absolute, or another host)."""


class PagingError(ClientError):
    """A paging helper could not go on safely: a page added nothing new (the server ignores the
    offset or repeats itself), or the number of pages passed ``MAX_PAGES``."""


class ApiError(ClientError):
    """The server answered with an error status, or with something the client cannot accept.

    ``body`` is the parsed JSON body when there is one, else the raw text (Airflow answers some
    bad run ids with an HTML page). Problem+json fields (``title``, ``detail``, ``type``,
    ``instance``) and FastAPI's ``{"detail": ...}`` are lifted onto the exception. Credentials the
    client sent are replaced by ``***`` wherever the server echoes them.
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
        self.code: str | None = _str_or_none(
            details.get("code") or details.get("error_code")
        )
        self.message: str | None = _str_or_none(details.get("message"))
        self.request_id: str | None = _str_or_none(details.get("request_id"))
        super().__init__(f"{method} {url} -> {status}" + self._summary(details))

    def _summary(self, details: Mapping[str, Any]) -> str:
        summary = (
            self.detail
            if self.detail not in (None, "")
            else self.title or details.get("message")
        )
        if summary is None and isinstance(self.body, str):
            summary = self.body.strip()[:200]
        return f": {summary}" if summary else ""


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


class RedirectError(UnexpectedStatusError):
    """A 3xx the operation does not declare. Redirects are never followed (they could carry
    credentials elsewhere); ``location`` is where the server pointed."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.location: str | None = self.headers.get("location")

    def _summary(self, details: Mapping[str, Any]) -> str:
        return f": redirect to {self.headers.get('location')!r} not followed"


class ResponseValidationError(ApiError):
    """A success answer that breaks the spec: not JSON where JSON is declared, invalid JSON, or a
    value of the wrong shape. ``body`` is the raw text, ``path`` the JSON path of the mismatch.
    """

    def __init__(self, *, path: str = "$", reason: str, **kwargs: Any) -> None:
        self.path = path
        self.reason = reason
        super().__init__(**kwargs)

    def _summary(self, details: Mapping[str, Any]) -> str:
        return f": {self.reason} at {self.path}"


class ResponseTooLargeError(ApiError):
    """The answer (after decompression) or one streamed line passed the client's size limit
    (``max_response_bytes``); reading stopped there, so memory stays bounded."""

    def __init__(self, *, limit: int, **kwargs: Any) -> None:
        self.limit = limit
        super().__init__(body=None, **kwargs)

    def _summary(self, details: Mapping[str, Any]) -> str:
        return f": answer larger than {self.limit} bytes"


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


_SECRET_HEADER = re.compile(r"auth|key|token|secret|cookie|password", re.IGNORECASE)
MIN_SECRET_LENGTH = 4  # shorter values would redact ordinary words


def sent_secrets(
    request: httpx.Request | None, *extra: Iterable[str]
) -> tuple[str, ...]:
    """The credentials a request carried (auth headers, the parts of a Basic header) and ``extra``
    values (passwords in its body), longest first: what error text must never show."""
    found: set[str] = set()
    for values in extra:
        found.update(v for v in values if isinstance(v, str))
    for name, value in request.headers.items() if request is not None else ():
        if not _SECRET_HEADER.search(name):
            continue
        scheme, _, credential = value.partition(" ")
        found.update((value, credential))
        if scheme.lower() == "basic":
            try:
                found.add(base64.b64decode(credential).decode().partition(":")[2])
            except (ValueError, UnicodeDecodeError):
                pass
    found |= {
        repr(s)[1:-1] for s in found
    }  # as error texts quote them (h11: b'...\\n')
    return tuple(
        sorted((s for s in found if len(s) >= MIN_SECRET_LENGTH), key=len, reverse=True)
    )


def redact(value: Any, secrets: tuple[str, ...]) -> Any:
    """``value`` with every secret replaced by ``***`` (strings, and inside lists and dicts)."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, "***")
        return value
    if isinstance(value, list):
        return [redact(v, secrets) for v in value]
    if isinstance(value, dict):
        return {redact(k, secrets): redact(v, secrets) for k, v in value.items()}
    return value


def _redact_headers(headers: httpx.Headers, secrets: tuple[str, ...]) -> httpx.Headers:
    if not secrets:
        return headers
    # in the encoding the values were read in: a server's header past ASCII is kept as it came
    return httpx.Headers(
        [(k, redact(v, secrets)) for k, v in headers.multi_items()],
        encoding=headers.encoding,
    )


def _text(content: bytes, headers: httpx.Headers) -> str:
    charset = "utf-8"
    for param in str(headers.get("content-type", "")).split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset" and value:
            charset = value.strip('"')
    try:
        return content.decode(charset, errors="replace")
    except (
        LookupError,
        UnicodeError,
    ):  # unknown, or a codec like idna that cannot "replace"
        return content.decode("utf-8", errors="replace")


# The request extension that carries an operation's security requirements to ``SchemeAuth``.
SECURITY_EXTENSION = "clientgen.security"


class CredentialsError(ClientError):
    """The operation needs a security scheme this client was given no auth for."""


class SchemeAuth(httpx.Auth):
    """Several of the spec's security schemes by name (``Client(auth={"ApiKey": ApiKeyAuth(...),
    "OAuth2": ClientCredentialsAuth(...)})``): each request gets the first alternative of its
    operation's requirements whose schemes are all given (all of them together where a requirement
    combines several). An operation that declares none, or may go without, gets the first scheme
    given: servers such as Airflow 2 declare ``security: []`` yet check credentials. One that needs
    schemes none of which is given raises ``CredentialsError`` before anything is sent.
    """

    def __init__(self, schemes: Mapping[str, httpx.Auth]) -> None:
        if not schemes:
            raise ValueError("auth={} names no scheme")
        self.schemes = dict(schemes)

    def __repr__(self) -> str:
        return f"SchemeAuth({self.schemes!r})"

    def _chosen(self, request: httpx.Request) -> list[httpx.Auth]:
        wanted: tuple[str, ...] = request.extensions.get(SECURITY_EXTENSION, ())
        for alternative in wanted:
            names = alternative.split()
            if names and all(name in self.schemes for name in names):
                return [self.schemes[name] for name in names]
        if not wanted or "" in wanted:
            return [next(iter(self.schemes.values()))]
        raise CredentialsError(
            f"{request.method} {redact_url(request.url)} needs "
            + " or ".join(" and ".join(a.split()) for a in wanted)
            + f"; this client has auth for {', '.join(self.schemes)}"
        )

    @staticmethod
    def _applied(auths: list[httpx.Auth], request: httpx.Request) -> httpx.Auth:
        """Each auth that only sets the request (basic, bearer, API key) put on it; the one left,
        whose flow may request tokens first (the last, when none does), is returned.
        """
        # a token flow goes last whatever its scheme's name: it is the one that is run
        *setters, last = sorted(auths, key=lambda auth: isinstance(auth, OAuth2Auth))
        for auth in setters:
            if isinstance(auth, OAuth2Auth):
                raise CredentialsError(
                    "one requirement combines two token flows: not supported"
                )
            flow = auth.sync_auth_flow(request)
            next(flow)
            flow.close()
        return last

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        auth = self._applied(self._chosen(request), request)
        yield from auth.sync_auth_flow(request)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        auth = self._applied(self._chosen(request), request)
        flow = auth.async_auth_flow(request)
        step = await flow.__anext__()
        while True:
            answer = yield step
            try:
                step = await flow.asend(answer)
            except StopAsyncIteration:
                return

    def _each(self, hook: str) -> list[Callable[..., Any]]:
        found = (getattr(auth, hook, None) for auth in self.schemes.values())
        return [f for f in found if callable(f)]

    def secrets(self) -> tuple[str, ...]:
        return tuple(secret for own in self._each("secrets") for secret in own())

    def bind_base_url(self, base_url: str) -> None:
        for bind in self._each("bind_base_url"):
            bind(base_url)

    def forget(self) -> None:
        for forget in self._each("forget"):
            forget()

    def refused(
        self, request: httpx.Request, headers: httpx.Headers, content: bytes
    ) -> bool:
        return any(
            [refused(request, headers, content) for refused in self._each("refused")]
        )


def error_for(
    method: str,
    url: str,
    status: int,
    headers: httpx.Headers,
    content: bytes,
    secrets: tuple[str, ...] = (),
    request_id_header: str | None = None,
) -> ApiError:
    """The typed error for an error answer, with the credentials the client sent redacted."""
    body: Any
    try:
        body = (
            msgspec.json.decode(content)
            if _is_json(headers)
            else _text(content, headers)
        )
    except (msgspec.DecodeError, RecursionError):
        body = _text(content, headers)
    cls = _ERRORS.get(status) or (
        ServerError if status >= 500 else UnexpectedStatusError
    )
    if 300 <= status < 400:
        cls = RedirectError
    try:
        body = redact(body, secrets)
    except (
        RecursionError
    ):  # nested deeper than redact can walk: kept as (redacted) text
        body = redact(_text(content, headers), secrets)
    error = cls(
        method=method,
        url=url,
        status=status,
        headers=_redact_headers(headers, secrets),
        body=body,
    )
    if request_id_header and headers.get(request_id_header):
        error.request_id = headers[request_id_header]
    return error


# -- endpoints and options ---------------------------------------------------------------------------


class FieldsUnion:
    """A union of untagged structs: a JSON object decodes to the option whose fields match it best;
    anything else to ``rest``, the union's other alternatives (``str``, ``None``...), if it has any.
    """

    def __init__(self, *options: type[msgspec.Struct], rest: Any = UNSET) -> None:
        self.options = options
        self.rest = rest
        # filled on first use, off the import path
        self._names: list[frozenset[str]] = []

    def choose(self, raw: Any) -> Any:
        if not isinstance(raw, dict):
            return self.options[0] if self.rest is UNSET else self.rest
        if not self._names:
            self._names = [
                frozenset(f.encode_name for f in msgspec.structs.fields(o))
                for o in self.options
            ]
        keys = set(raw)
        best = max(
            range(len(self.options)), key=lambda i: (len(keys & self._names[i]), -i)
        )
        return self.options[best]


class Paging(msgspec.Struct, frozen=True):
    """limit/offset paging of an operation: its query parameters (wire names) and the attributes
    of the decoded page holding the items and, when the page carries it, the total count.
    """

    items: str
    total: str | None = None
    limit: str = "limit"
    offset: str = "offset"


class BodyVariant(msgspec.Struct, frozen=True):
    """Another media type an operation's body may be sent as (``content_type=``)."""

    encoding: str
    form_styles: Mapping[str, str] = msgspec.field(default_factory=dict)
    json_parts: tuple[str, ...] = ()


class Endpoint(msgspec.Struct, Generic[T], frozen=True):
    """What a generated method knows about its operation, as data for the runtime."""

    method: str
    path: str
    # status ("200", "2XX", "307", "default") -> type to decode a JSON body into (None: no content)
    responses: Mapping[str, Any]
    accept: str
    list_styles: Mapping[str, str] = msgspec.field(
        default_factory=dict
    )  # wire name -> csv|ssv|pipes
    update_mask: str | None = (
        None  # wire name of a query parameter derived from the body
    )
    polls_location: bool = False
    # body field wire name -> path parameter wire name that names the same resource (decided by
    # name in the generator): left out of a derived update_mask when it repeats the path value
    identity: Mapping[str, str] = msgspec.field(default_factory=dict)
    # body field wire name -> the name the server wants for it in the update_mask, where they differ
    mask_names: Mapping[str, str] = msgspec.field(default_factory=dict)
    # the operation ends the session (logout): the auth's cached token is dropped after it
    ends_session: bool = False
    paging: Paging | None = None
    # how the request body goes on the wire: json, form, multipart, binary or text
    body_encoding: str = "json"
    content_type: str | None = (
        None  # the request body's media type where it is not JSON
    )
    # form field wire name -> deepObject|csv|ssv|pipes, where not OpenAPI's default (form, exploded)
    form_styles: Mapping[str, str] = msgspec.field(default_factory=dict)
    json_parts: tuple[str, ...] = ()  # multipart parts sent as JSON
    # the other media types the body may be sent as, chosen per call with content_type=
    body_variants: Mapping[str, BodyVariant] = msgspec.field(default_factory=dict)
    # the security requirements: alternatives, each the scheme names it needs together
    # (space-separated; "" for none); () where the spec declares none
    security: tuple[str, ...] = ()
    # the media types a caller may choose with accept= whose answer is returned as its bytes
    bytes_accepts: tuple[str, ...] = ()


class RequestOptions(msgspec.Struct, frozen=True, kw_only=True):
    """Per-call settings.

    - ``timeout``, ``max_retries``, ``headers``: the client's, for this call.
    - ``deadline``: seconds the whole call may take, retries, 202 polling and every page of a
      paging helper included (``DeadlineExceededError`` after it); None: no deadline.
    - ``poll``: whether an operation answering 202 Accepted is polled to completion (``False``:
      get the 202 back), for at most ``poll_timeout`` seconds.
    - ``stream_read_timeout``: for ``*_stream`` methods, the longest silence between two lines
      (default: the client's, 600 s).
    - ``max_response_bytes``: the size limit of the decoded answer (or of one streamed line).
    """

    timeout: TimeoutTypes | UnsetType = UNSET
    max_retries: int | None = None
    headers: Mapping[str, str] | None = None
    poll: bool = True
    poll_timeout: float = 300.0
    deadline: float | None = None
    stream_read_timeout: float | None = None
    max_response_bytes: int | None = None

    def __repr__(self) -> str:
        shown = {f: getattr(self, f) for f in self.__struct_fields__ if f != "headers"}
        if self.headers:
            shown["headers"] = {name: "***" for name in self.headers}
        return (
            "RequestOptions(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"
        )


_NO_OPTIONS = RequestOptions()
_HEADER_SETS_KEPT = 64


class ApiResponse(msgspec.Struct, Generic[T], frozen=True):
    """Status, headers and decoded body of one call (``client.with_raw_response.<group>.<op>()``)."""

    status: int
    headers: httpx.Headers
    data: T
    request_id: str | None = None


# -- encoding ----------------------------------------------------------------------------------------

_PATH_PARAM = re.compile(r"\{([^{}]+)\}")
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]+")


def _refuse_naive(value: datetime.datetime, where: str) -> None:
    if value.utcoffset() is None:
        raise ValueError(
            f"naive datetime {value.isoformat()} in {where}: pass a timezone-aware one"
        )


def to_text(value: Any) -> str:
    """A parameter value as the wire writes it: booleans lower-case, dates ISO 8601."""
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, datetime.datetime):
        _refuse_naive(value, "a parameter")
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return str(value)


def check_body(value: Any, where: str = "body") -> None:
    """Refuse naive datetimes anywhere in a request body, as parameters do: the server would read
    them in a timezone the caller did not choose (Airflow 3 answers 422)."""
    if isinstance(value, datetime.datetime):
        _refuse_naive(value, where)
    elif isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            check_body(getattr(value, name), f"{where}.{name}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            check_body(item, f"{where}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_body(item, f"{where}[{key!r}]")


# Real objects, not strings: models annotate fields with them and msgspec resolves those names.
FileContent: typing.TypeAlias = bytes | typing.IO[bytes] | pathlib.Path
File: typing.TypeAlias = (
    FileContent | tuple[str | None, FileContent] | tuple[str | None, FileContent, str]
)
"""A multipart file: its content (bytes, a binary file object, a path), or with its filename, or
with its filename and content type. Files are streamed, never copied into memory."""
BinaryContent: typing.TypeAlias = (
    bytes
    | typing.IO[bytes]
    | pathlib.Path
    | Iterable[bytes]
    | typing.AsyncIterable[bytes]
)
"""A whole binary request body: bytes, a binary file object, a path, or an iterator of chunks."""
Destination: typing.TypeAlias = str | pathlib.PurePath | typing.BinaryIO
_UNBOUNDED = 1 << 62  # the size limit of a download to a file nobody limited
"""Where a ``*_to_file`` method writes an answer: a path, or a binary file open for writing."""


class _Sink:
    """A download's destination. A path is written to a hidden sibling and renamed over it only
    when the answer is complete, so a failed download never leaves a partial file behind; a file
    object is written to as it is."""

    def __init__(self, destination: Destination) -> None:
        self.path: pathlib.Path | None = None
        self.file: typing.BinaryIO | None = None
        if isinstance(destination, (str, pathlib.PurePath)):
            self.path = pathlib.Path(destination)
            self.part = self.path.with_name(
                f".{self.path.name}.{random.getrandbits(32):08x}.part"
            )
        else:
            self.file = destination
        self.written = 0

    def write(self, data: bytes) -> None:
        if self.file is None:
            self.file = self.part.open("wb")
        self.file.write(data)
        self.written += len(data)

    def finish(self) -> int:
        if self.path is not None:
            if self.file is None:
                self.file = self.part.open("wb")  # an empty answer is an empty file
            self.file.close()
            self.part.replace(self.path)
        return self.written

    def abort(self) -> None:
        if self.path is not None:
            if self.file is not None:
                self.file.close()
            self.part.unlink(missing_ok=True)


_CHUNK = 64 * 1024


async def _async_chunks(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


class _Upload:
    """A streamed request body from a file object or a path: read in chunks, re-read from its start
    on a retry (a path is reopened), the same for the sync and the async transport."""

    def __init__(self, source: typing.IO[bytes] | pathlib.Path) -> None:
        self.source = source
        self.start = (
            source.tell()
            if not isinstance(source, pathlib.Path) and _seekable(source)
            else 0
        )

    @property
    def replayable(self) -> bool:
        return isinstance(self.source, pathlib.Path) or _seekable(self.source)

    def length(self) -> int | None:
        source = self.source
        if isinstance(source, pathlib.Path):
            return source.stat().st_size
        if not _seekable(source):
            return None
        end = source.seek(0, 2)
        source.seek(self.start)
        return end - self.start

    def __iter__(self) -> Iterator[bytes]:
        source = self.source
        if isinstance(source, pathlib.Path):
            with source.open("rb") as file:
                yield from iter(lambda: file.read(_CHUNK), b"")
            return
        if _seekable(source):
            source.seek(self.start)
        yield from iter(lambda: source.read(_CHUNK), b"")

    async def chunks(self) -> AsyncIterator[bytes]:
        for chunk in self:
            yield chunk


class _PathFile:
    """A path as the file object a multipart part reads: opened on the first read, closed at its
    end, reopened when rewound for a retry. Its size is known without opening it."""

    def __init__(self, path: pathlib.Path) -> None:
        self.path, self.name = path, path.name
        self._file: typing.IO[bytes] | None = None
        self._position = 0

    def read(self, size: int = -1) -> bytes:
        if self._file is None:
            self._file = self.path.open("rb")
            self._file.seek(self._position)
        chunk = self._file.read(size)
        if not chunk:
            self.close()
        return chunk

    def seek(self, offset: int, whence: int = 0) -> int:
        self.close()
        self._position = offset if whence == 0 else self.path.stat().st_size + offset
        return self._position

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _seekable(file: Any) -> bool:
    try:
        return bool(file.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _is_file(value: Any) -> bool:
    return isinstance(value, (bytes, bytearray, pathlib.Path)) or hasattr(value, "read")


def _file_part(name: str, value: Any) -> tuple[str | None, Any, str]:
    """httpx's ``(filename, file, content type)`` for a ``File``; bytes get the part's name as their
    filename, so servers see a file upload rather than a plain field."""
    filename, content, content_type = (None, value, None)
    if isinstance(value, tuple):
        filename, content, content_type = (*value, None)[:3]
    if isinstance(content, pathlib.Path):
        filename = filename if filename is not None else content.name
        content = _PathFile(content)
    elif isinstance(content, (bytes, bytearray)):
        filename = filename if filename is not None else name
        content = bytes(content)
    elif not hasattr(content, "read"):
        raise TypeError(
            f"{name}: a file is bytes, a binary file object or a path, not {type(content).__name__}"
        )
    elif filename is None:
        filename = pathlib.PurePath(str(getattr(content, "name", name))).name
    return filename, content, content_type or "application/octet-stream"


class _Payload(msgspec.Struct, frozen=True):
    """An encoded request body: what ``httpx`` sends, the headers that describe it, and whether it
    can be sent again on a retry."""

    content: Any = None
    data: Any = None
    files: Any = None
    headers: dict[str, str] = msgspec.field(default_factory=dict)
    replayable: bool = True


_NO_PAYLOAD = _Payload()


def encode_body(
    endpoint: Endpoint[Any], body: Any, content_type: str | None = None
) -> _Payload:
    """The request body on the wire as the spec's media type says (or the one of its other media
    types the caller chose): JSON, a form, multipart parts, raw bytes or text."""
    default = endpoint.content_type or "application/json"
    kind, styles, parts = (
        endpoint.body_encoding,
        endpoint.form_styles,
        endpoint.json_parts,
    )
    if content_type is not None and content_type != default:
        if content_type not in endpoint.body_variants:
            offered = ", ".join(repr(m) for m in [default, *endpoint.body_variants])
            raise ValueError(
                f"content_type {content_type!r} is not offered; the spec offers {offered}"
            )
        chosen = endpoint.body_variants[content_type]
        kind, styles, parts = chosen.encoding, chosen.form_styles, chosen.json_parts
    content_type = content_type or default
    if kind == "form":
        pairs = form_pairs(_plain(body), styles)
        return _Payload(
            urlencode(pairs).encode("ascii"), headers={"Content-Type": content_type}
        )
    if kind == "multipart":
        return _multipart(body, parts)
    if kind == "binary":
        return _binary(body, content_type)
    if kind == "text":
        if not isinstance(body, str):
            raise TypeError(
                f"a {content_type} body is a str, not {type(body).__name__}"
            )
        charset = "" if "charset=" in content_type.lower() else "; charset=utf-8"
        return _Payload(
            body.encode("utf-8"), headers={"Content-Type": content_type + charset}
        )
    return _Payload(msgspec.json.encode(body), headers={"Content-Type": content_type})


# How a list goes in one query or form value, by OpenAPI style (explode: false).
_LIST_SEPARATORS = {"csv": ",", "ssv": " ", "pipes": "|"}
_DATES = (datetime.datetime, datetime.date)  # kept as they are, for to_text's ISO 8601


def _plain(body: Any) -> dict[str, Any]:
    """A form body (a model or a mapping) as plain values, fields left ``UNSET`` dropped."""
    value = msgspec.to_builtins(body, builtin_types=_DATES)
    if not isinstance(value, dict):
        raise TypeError(
            f"a form body is a model or a mapping, not {type(body).__name__}"
        )
    return value


def form_pairs(
    values: Mapping[str, Any], styles: Mapping[str, str]
) -> list[tuple[str, str]]:
    """``application/x-www-form-urlencoded`` pairs by OpenAPI's rules: form style, exploded, unless
    ``styles`` says otherwise; deepObject nests with brackets at any depth (``a[b][0]=x``).
    """
    pairs: list[tuple[str, str]] = []
    for name, value in values.items():
        style = styles.get(name)
        if style == "deepObject":
            pairs.extend(_deep_pairs(name, value))
        elif isinstance(value, dict):
            exploded = [(str(k), _form_text(v)) for k, v in value.items()]
            pairs.extend(
                exploded
                if style is None
                else [(name, ",".join(f"{k},{v}" for k, v in exploded))]
            )
        elif isinstance(value, list):
            texts = [_form_text(v) for v in value]
            if style is None:
                pairs.extend((name, text) for text in texts)
            elif texts:
                pairs.append((name, _LIST_SEPARATORS[style].join(texts)))
        else:
            pairs.append((name, _form_text(value)))
    return pairs


def _deep_pairs(prefix: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _deep_pairs(f"{prefix}[{key}]", item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _deep_pairs(f"{prefix}[{index}]", item)
    else:
        yield prefix, _form_text(value)


def _form_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return msgspec.json.encode(value).decode()
    return to_text(value)


def _multipart(body: Any, json_parts: tuple[str, ...]) -> _Payload:
    """Parts of ``multipart/form-data``: files streamed (``File``), JSON parts where the spec says,
    every other value as text."""
    if isinstance(body, msgspec.Struct):
        names = zip(body.__struct_fields__, body.__struct_encode_fields__, strict=True)
        items = [(wire, getattr(body, name)) for name, wire in names]
    elif isinstance(body, Mapping):
        items = [(str(k), v) for k, v in body.items()]
    else:
        raise TypeError(
            f"a multipart body is a model or a mapping, not {type(body).__name__}"
        )
    # every part goes to httpx as a "file": text parts without a filename or Content-Type, so a
    # body with no file is still multipart (httpx would send plain fields form-encoded)
    # fields first, then files (what most clients send, and what some parsers, Prism's among them,
    # need: a text part after a file part is lost to them); each group in the spec's order
    parts: list[tuple[str, Any]] = []
    files: list[tuple[str, Any]] = []
    for name, value in items:
        if value is UNSET:
            continue
        if name in json_parts:
            parts.append((name, (None, msgspec.json.encode(value), "application/json")))
            continue
        for item in value if isinstance(value, list) else [value]:
            if _is_file(item) or isinstance(item, tuple):
                files.append((name, _file_part(name, item)))
            else:
                text = _form_text(msgspec.to_builtins(item, builtin_types=_DATES))
                parts.append((name, (None, text.encode("utf-8"), None)))
    parts += files
    if not parts:
        boundary = "clientgen-empty-form"
        return _Payload(
            f"--{boundary}--\r\n".encode(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
    replayable = all(
        isinstance(part[1], (bytes, _PathFile)) or _seekable(part[1])
        for _, part in parts
    )
    return _Payload(files=parts, replayable=replayable)


def _binary(body: Any, content_type: str) -> _Payload:
    headers = {"Content-Type": content_type}
    if isinstance(body, (bytes, bytearray, memoryview)):
        return _Payload(bytes(body), headers=headers)
    if isinstance(body, str):
        raise TypeError(
            f"a {content_type} body is binary content (BinaryContent), not str"
        )
    if isinstance(body, pathlib.Path) or hasattr(body, "read"):
        upload = _Upload(body)
        length = upload.length()
        if length is not None:
            headers["Content-Length"] = str(length)
        return _Payload(upload, headers=headers, replayable=upload.replayable)
    if isinstance(body, (Iterable, typing.AsyncIterable)):
        return _Payload(body, headers=headers, replayable=False)
    raise TypeError(
        f"a {content_type} body is binary content (BinaryContent), not {type(body).__name__}"
    )


# RFC 6265 cookie-octets; anything else (space, quote, comma, semicolon, backslash, %, non-ASCII) is
# percent-encoded so a value can never end the pair or start another.
_COOKIE_SAFE = "!#$&'()*+-./:<=>?@[]^_`{|}~"


def cookie_header(values: Mapping[str, Any]) -> str | None:
    """The ``Cookie`` header of an operation's cookie parameters (those left ``UNSET`` not sent)."""
    pairs = []
    for name, value in values.items():
        if value is UNSET:
            continue
        for item in value if isinstance(value, (list, tuple)) else [value]:
            text = "" if item is None else to_text(item)
            pairs.append(f"{name}={quote(text, safe=_COOKIE_SAFE)}")
    return "; ".join(pairs) or None


def encode_segment(name: str, value: Any) -> str:
    """One path segment, fully percent-encoded: ``/``, ``+``, ``:``, ``%``, spaces and
    dot-segments can never change the path."""
    if type(value) is str:
        text = value
    elif value is UNSET or value is None:
        raise ValueError(f"path parameter {name!r} is required")
    else:
        text = to_text(value)
    if _UNRESERVED.fullmatch(text) and text not in (".", ".."):
        return text  # what quote() would give, without encoding it to bytes and back
    if text == "":
        raise ValueError(f"path parameter {name!r} must not be empty")
    encoded = quote(text, safe="")
    if encoded in (".", ".."):
        encoded = encoded.replace(".", "%2E")
    return encoded


def build_path(template: str, values: Mapping[str, Any]) -> str:
    layout, names = _path_layout(template)
    if not names:
        return template
    return layout % tuple([encode_segment(name, values[name]) for name in names])


@functools.lru_cache(maxsize=1024)
def _path_layout(template: str) -> tuple[str, tuple[str, ...]]:
    """A path template as a ``%`` format and the names of its parameters (made once per path)."""
    parts = _PATH_PARAM.split(template)
    layout = "".join(
        "%s" if i % 2 else part.replace("%", "%%") for i, part in enumerate(parts)
    )
    return layout, tuple(parts[1::2])


QueryPairs = list[tuple[str, str | int | float | bool | None]]


def build_query(
    values: Mapping[str, Any], list_styles: Mapping[str, str]
) -> QueryPairs:
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
                sep = _LIST_SEPARATORS[style]
                pairs.append((name, sep.join(to_text(v) for v in value)))
        elif value is None:
            pairs.append((name, ""))
        else:
            pairs.append((name, to_text(value)))
    return pairs


def set_fields(
    body: msgspec.Struct,
    path: Mapping[str, Any] | None = None,
    identity: Mapping[str, str] | None = None,
) -> list[str]:
    """Wire names of the fields the caller set: the update_mask an update should carry.

    The field that names the resource (``identity``: body field -> path parameter, decided by name
    from the spec) is left out when it repeats the path value: servers refuse it in a mask. Every
    other field is in the mask whatever its value (a host may equal the connection id).
    """
    path = path or {}
    fields = []
    for f in msgspec.structs.fields(body):
        value = getattr(body, f.name)
        if value is UNSET:
            continue
        names = (identity or {}).get(f.encode_name)
        if (
            names is not None
            and names in path
            and to_text(value) == to_text(path[names])
        ):
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


# -- decoding ----------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _wants_json(accept: str) -> bool:
    """Whether an Accept header asks for JSON (or anything, which this client reads as JSON)."""
    media = accept.split(";")[0].strip().lower()
    return media in ("application/json", "*/*") or media.endswith("+json")


def _is_json(headers: httpx.Headers) -> bool:
    return _is_json_media(headers.get("content-type", ""))


@functools.lru_cache(maxsize=64)
def _is_json_media(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


_decoders: dict[Any, msgspec.json.Decoder[Any]] = {}
_decoders_lock = threading.Lock()
_drift_said: set[tuple[str, str, str]] = set()
_AT = re.compile(r" - at `\$([^`]*)`$")


def _decoder(target: Any) -> msgspec.json.Decoder[Any]:
    decoder = _decoders.get(target)
    if decoder is None:
        with _decoders_lock:
            decoder = _decoders.setdefault(target, msgspec.json.Decoder(target))
    return decoder


class _Mismatch(Exception):
    """A value that does not fit its declared type, at a JSON path."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(reason)
        self.path, self.reason = path, reason


class _UnknownVariant(_Mismatch):
    """A tagged union's tag this client does not know (a newer server added a variant)."""


def _is_struct(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, msgspec.Struct)


def _union_args(kind: Any) -> tuple[Any, ...]:
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        return typing.get_args(kind)
    return (kind,)


def _allows_null(kind: Any) -> bool:
    return kind is Any or any(a is type(None) or a is Any for a in _union_args(kind))


class _Lenient:
    """Converts decoded JSON to the declared types, tolerating the drift real servers show: a null
    in a non-nullable field (kept as None) and a missing required field (left UNSET), each said
    once per model and field with :class:`SpecDriftWarning` (``strict``: a mismatch instead). A
    variant of a tagged union the client does not know is left out of an optional field or a list
    with a warning. Anything else that does not fit raises, with its JSON path. Only runs after
    the fast decoder refused the body."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict

    def drift(self, model: type[Any], field: str, what: str, path: str) -> None:
        if self.strict:
            raise _Mismatch(path, f"{what} (field {model.__name__}.{field})")
        key = (model.__module__, model.__qualname__, field + what)
        if key not in _drift_said:
            _drift_said.add(key)
            warnings.warn(
                f"{model.__name__}.{field}: {what}, tolerated (spec drift; strict=True refuses it)",
                SpecDriftWarning,
                stacklevel=2,
            )

    def convert(self, value: Any, kind: Any, path: str) -> Any:
        try:
            return msgspec.convert(value, kind)
        except msgspec.ValidationError as exc:
            message = str(exc)
        match = _AT.search(message)
        where = path + (match.group(1) if match else "")
        reason = _AT.sub("", message)
        if _is_struct(kind) and isinstance(value, dict):
            return self.struct(value, kind, path)
        origin, args = typing.get_origin(kind), typing.get_args(kind)
        if origin is list and isinstance(value, list):
            return self.items(value, args[0], path)
        if origin is dict and isinstance(value, dict):
            return {
                k: self.convert(v, args[1], f"{path}.{k}") for k, v in value.items()
            }
        structs = [a for a in _union_args(kind) if _is_struct(a)]
        if structs and isinstance(value, dict):
            return self.convert(value, self.variant(value, structs, path), path)
        raise _Mismatch(where, reason)

    def variant(self, value: dict[str, Any], structs: list[Any], path: str) -> Any:
        configs = [s.__struct_config__ for s in structs]
        tag_field = configs[0].tag_field
        if tag_field is None:
            if len(structs) == 1:
                return structs[0]
            raise _Mismatch(path, "no option of the union fits")
        for struct, config in zip(structs, configs, strict=True):
            if config.tag == value.get(tag_field):
                return struct
        raise _UnknownVariant(
            path, f"unknown variant {tag_field}={value.get(tag_field)!r}"
        )

    def struct(self, value: dict[str, Any], kind: Any, path: str) -> Any:
        fields: dict[str, Any] = {}
        for f in msgspec.structs.fields(kind):
            where = f"{path}.{f.encode_name}"
            if f.encode_name not in value:
                if f.required:
                    self.drift(kind, f.name, "required field missing", where)
                    fields[f.name] = UNSET
                continue
            item = value[f.encode_name]
            if item is None and not _allows_null(f.type):
                self.drift(kind, f.name, "null where the spec says non-nullable", where)
                fields[f.name] = None
                continue
            try:
                fields[f.name] = self.convert(item, f.type, where)
            except _UnknownVariant as unknown:
                if f.required or self.strict:
                    raise
                logger.warning("left out %s: %s", where, unknown.reason)
        return kind(**fields)

    def items(self, values: list[Any], kind: Any, path: str) -> list[Any]:
        result = []
        for index, item in enumerate(values):
            try:
                result.append(self.convert(item, kind, f"{path}[{index}]"))
            except _UnknownVariant as unknown:
                if self.strict:
                    raise
                logger.warning("left out %s[%d]: %s", path, index, unknown.reason)
        return result


_NOT_DECLARED = object()


def decode_answer(
    responses: Mapping[str, Any],
    status: int,
    headers: httpx.Headers,
    content: bytes,
    *,
    wants_json: bool = True,
    wants_bytes: bool = False,
    strict: bool = False,
) -> Any:
    """The decoded body of a success answer; raises ``_Mismatch`` where it breaks the spec.

    A 204/205 or an empty body is None; a media type the caller asked for that is not JSON is
    text, or its bytes where the spec says binary (the status's type, or ``wants_bytes``: the
    caller chose a binary media type); where JSON is expected, anything else is refused.
    """
    code = str(status)
    target = responses.get(code, _NOT_DECLARED)
    if target is _NOT_DECLARED:
        target = responses.get(f"{code[0]}XX", _NOT_DECLARED)
        if target is _NOT_DECLARED:
            target = responses.get("default", Any)
    if status in (204, 205) or not content or target is None:
        return None
    if target is bytes or wants_bytes:
        return content
    if not wants_json or (target in (str, Any) and not _is_json(headers)):
        return _text(content, headers)
    if not _is_json(headers):
        kind = headers.get("content-type") or "no Content-Type"
        raise _Mismatch("$", f"expected application/json, got {kind!r}")
    try:
        if not isinstance(target, FieldsUnion):
            try:
                return _decoder(target).decode(content)
            except msgspec.ValidationError:
                pass  # the lenient walk below says where, or tolerates drift
        raw = msgspec.json.decode(content)
    except (msgspec.DecodeError, RecursionError) as exc:  # deep nesting: RecursionError
        raise _Mismatch("$", f"invalid JSON: {exc}") from None
    if isinstance(target, FieldsUnion):
        target = target.choose(raw)
    return _Lenient(strict).convert(raw, target, "$")


class _Decompressor:
    """One content coding undone with zlib's bounded output. gzip may come as several members
    (servers compress each flushed line); ``deflate`` is zlib-wrapped by the standard and raw by
    some servers, so both are read."""

    def __init__(self, coding: str) -> None:
        self.gzip = coding != "deflate"
        self.obj = self._new(zlib.MAX_WBITS | 16 if self.gzip else zlib.MAX_WBITS)
        self.started = False
        self.fed = False
        # deflate's first bytes, until there are two: zlib's header, which tells the wrapped kind
        # from the raw one, is two bytes, and a first chunk of one byte would pass for either
        self.head = b""

    @staticmethod
    def _new(wbits: int) -> Any:
        return zlib.decompressobj(wbits)

    def decompress(self, data: bytes, room: int) -> bytes:
        self.fed = self.fed or bool(data)
        if not self.gzip and not self.started:
            data, self.head = self.head + data, b""
            if len(data) < 2:
                self.head = data
                return b""
        out = bytearray()
        while data and len(out) <= room:
            try:
                out += self.obj.decompress(data, room + 1 - len(out))
            except zlib.error as exc:
                if self.gzip or self.started:
                    raise _Mismatch(
                        "$", f"undecodable compressed body: {exc}"
                    ) from None
                self.obj, self.started = self._new(-zlib.MAX_WBITS), True  # raw deflate
                continue
            self.started = True
            data = self.obj.unconsumed_tail  # left only when the output limit was hit
            if not data and self.obj.eof and self.obj.unused_data:
                if not self.gzip:
                    raise _Mismatch("$", "data after the end of the deflate stream")
                data, self.obj = self.obj.unused_data, self._new(zlib.MAX_WBITS | 16)
        return bytes(out)

    def finish(self) -> None:
        """At the body's end: a compressed stream not at its own end is a body cut short, whose bytes
        so far would pass for all of it (a body of no bytes at all is no body)."""
        if self.fed and not self.obj.eof:
            raise _Mismatch(
                "$", "the compressed body ends before its compressed stream does"
            )


class _Inflater:
    """Undoes the answer's ``Content-Encoding`` (gzip, deflate) with bounded output, and counts the
    decoded bytes: a gzip bomb or an endless body stops at the limit, memory bounded.
    ``cumulative=False`` (streams) bounds each chunk only; the line buffer is bounded by its user.
    """

    def __init__(
        self,
        headers: httpx.Headers,
        limit: int,
        *,
        decoded: bool,
        cumulative: bool = True,
        bodiless: bool = False,
    ) -> None:
        self._stages: list[_Decompressor] = []
        self.limit, self.size, self.cumulative = limit, 0, cumulative
        if decoded:  # httpx undid the coding already; feed() bounds what it read
            return
        codings = headers.get("content-encoding", "").split(",")
        for coding in reversed([c.strip().lower() for c in codings]):
            if not coding or coding == "identity":
                continue
            if coding not in ("gzip", "x-gzip", "deflate"):
                raise _Mismatch("$", f"unsupported Content-Encoding {coding!r}")
            self._stages.append(_Decompressor(coding))
        # A HEAD, 204 or 304 answer has no body whatever size its Content-Length announces.
        length = "" if bodiless else headers.get("content-length", "")
        if (
            cumulative
            and not self._stages
            and length.isascii()  # "²".isdigit(), but int() refuses it
            and length.isdigit()
            and int(length) > limit
        ):
            raise _TooLarge

    def feed(self, data: bytes) -> bytes:
        room = self.limit - self.size
        for stage in self._stages:
            data = stage.decompress(data, room)
            if len(data) > room:
                raise _TooLarge
        if len(data) > room:
            raise _TooLarge
        self.size += len(data) if self.cumulative else 0
        return data

    def finish(self) -> None:
        """At the body's end (raises ``_Mismatch`` for a compressed body cut short)."""
        for stage in self._stages:
            stage.finish()


def _bodiless(response: httpx.Response) -> bool:
    """An answer that has no body whatever its Content-Length says (HEAD, 204, 304)."""
    return response.status_code in (204, 304) or response.request.method == "HEAD"


class _TooLarge(Exception):
    """The decoded answer passed the size limit."""


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
    """Seconds from a ``Retry-After`` header (seconds or HTTP-date), capped at ``MAX_RETRY_AFTER``;
    None (use backoff) when absent or not a finite, non-negative number or a date."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        import email.utils  # only HTTP-dates need it; kept off the import path

        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc)
        seconds = max(
            0.0, (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
        )
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return min(seconds, MAX_RETRY_AFTER)


def backoff(attempt: int) -> float:
    """Exponential backoff with full jitter."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2**attempt))
    return random.uniform(0.0, ceiling)  # noqa: S311 - jitter, not a secret


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
        return isinstance(
            exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
        )
    return status in RETRY_STATUSES and method in IDEMPOTENT_METHODS


def _unreadable_location(exc: httpx.TransportError) -> bool:
    """httpx reads a 3xx's ``Location`` even when it follows no redirect, and one it cannot parse
    fails the send itself (before the answer reaches the client) with this error."""
    return isinstance(exc, httpx.RemoteProtocolError) and str(exc).startswith(
        "Invalid URL in location header"
    )


def _transport_error(
    exc: httpx.TransportError, method: str, url: str, secrets: tuple[str, ...]
) -> ApiConnectionError:
    """The package's error for a transport failure. Raised ``from None``: httpx's text can quote a
    header value (h11: "Illegal header value b'...'"), so only a redacted copy of it is kept.
    """
    cause = redact(f"{type(exc).__name__}: {exc}", secrets)
    if isinstance(exc, httpx.TimeoutException):
        return ApiTimeoutError(f"timed out: {cause}", method=method, url=url)
    return ApiConnectionError(f"connection failed: {cause}", method=method, url=url)


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


# -- plans -------------------------------------------------------------------------------------------
#
# A plan yields steps and receives outcomes: _Open -> _Received | TransportError, _Read -> the next
# raw chunk (b"" at the end) | TransportError, _Sleep -> None, _Emit -> None (the value goes to the
# caller of an iterator). The transports perform the steps and close what they opened.


class _Open(msgspec.Struct, frozen=True):
    method: str
    url: str
    params: QueryPairs
    headers: dict[str, str]
    content: Any  # bytes, an _Upload, an iterator of bytes, or None
    timeout: httpx.Timeout | None
    budget: float | None = (
        None  # seconds left before the call's deadline, when it has one
    )
    files: Any = None  # multipart parts, for httpx
    cookie: str | None = (
        None  # the operation's cookie parameters, sent beside the client's own cookies
    )
    security: tuple[str, ...] = ()  # the operation's Endpoint.security, for SchemeAuth
    # the headers come from the operation alone (no caller's header values): merged once and kept
    common_headers: bool = False


class _Received:
    """An answer whose status and headers arrived; its body is read chunk by chunk."""

    __slots__ = ("chunks", "content", "decoded", "response")

    def __init__(
        self,
        response: httpx.Response,
        chunks: Any,
        decoded: bool,
        content: bytes | None = None,
    ) -> None:
        self.response, self.chunks, self.decoded = response, chunks, decoded
        self.content = content  # the whole body, where it arrived already read


def _preread(response: httpx.Response) -> bytes | None:
    """The body of an answer that arrived already read and decoded (a ``MockTransport`` handler's,
    say), else None: it is streamed raw."""
    try:
        return response.content
    except httpx.ResponseNotRead:
        return None


def _poisoned(response: httpx.Response) -> Any:
    """The connection of a no-body answer (204, 205, 304) whose headers announce a body anyway: the
    bytes after it would be read as the next answer on this keep-alive connection, so it must not be
    reused. Its network stream, for the transport to close; else None."""
    if response.status_code not in (204, 205, 304):
        return None
    announced = response.headers.get("content-length", "0").strip() not in ("", "0")
    if announced or "transfer-encoding" in response.headers:
        return response.extensions.get("network_stream")
    return None


async def _once(content: bytes) -> AsyncIterator[bytes]:
    yield content


class _Read(msgspec.Struct, frozen=True):
    source: Any  # _Received


class _Sleep(msgspec.Struct, frozen=True):
    seconds: float


class _Emit(msgspec.Struct, frozen=True):
    value: Any


class _Answer(msgspec.Struct, frozen=True):
    status: int
    headers: httpx.Headers
    content: bytes
    request: httpx.Request


class _Call(msgspec.Struct, frozen=True):
    endpoint: Endpoint[Any]
    request: _Open
    max_retries: int
    poll: bool
    poll_timeout: float
    deadline: float | None  # time.monotonic() by which the whole call must be done
    max_bytes: int
    wants_json: bool
    wants_bytes: bool  # the caller chose one of the endpoint's bytes_accepts
    strict: bool
    body: Any  # the request body as given: its secret fields are read only if an error needs them


Step = _Open | _Read | _Sleep | _Emit
Plan = Generator[Step, Any, T]


class _Stepper:
    """Feeds an iterator's plan (it returns nothing: what it has, it emits) the outcome of its last
    step and asks for the next; keeps what was opened. ``_run`` steps a plan that returns inline.
    """

    def __init__(self, plan: Plan[Any]) -> None:
        self.plan = plan
        self.outcome: Any = None
        self.opened: list[httpx.Response] = []

    def step(self) -> Step | None:
        try:
            step = self.plan.send(self.outcome)
        except StopIteration:
            return None
        self.outcome = None
        return step

    def finish(self) -> list[httpx.Response]:
        """Close the plan; the responses still to close."""
        self.plan.close()
        opened, self.opened = self.opened, []
        return opened


def _remaining(call: _Call, method: str, url: str) -> float | None:
    if call.deadline is None:
        return None
    left = call.deadline - time.monotonic()
    if left <= 0:
        raise DeadlineExceededError(
            "deadline passed", method=method, url=redact_url(url)
        )
    return left


def _bounded(timeout: httpx.Timeout | None, left: float | None) -> httpx.Timeout | None:
    """Every phase's timeout cut to the time left before the deadline."""
    if left is None:
        return timeout
    limits: dict[str, float | None] = (
        dict(timeout.as_dict()) if timeout is not None else {}
    )
    phases = {}
    for phase in ("connect", "read", "write", "pool"):
        limit = limits.get(phase)
        phases[phase] = left if limit is None else min(limit, left)
    return httpx.Timeout(**phases)


def _wait(call: _Call, seconds: float, method: str, url: str) -> Plan[None]:
    left = _remaining(call, method, url)
    if left is not None and seconds >= left:
        raise DeadlineExceededError(
            f"a {seconds:.1f} s wait would pass the deadline",
            method=method,
            url=redact_url(url),
        )
    yield _Sleep(seconds)


class _Translating:
    """Within it, an answer that breaks the spec or the size limit raises the package's typed
    error (a class, not ``@contextmanager``: it wraps every call's read and decode)."""

    __slots__ = ("answer", "call", "client")

    def __init__(
        self, client: _BaseClient[Any], call: _Call, answer: _Answer | httpx.Response
    ) -> None:
        # an answer still being read is given as its Response (the body is not kept)
        self.client, self.call, self.answer = client, call, answer

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: object, problem: BaseException | None, trace: object
    ) -> None:
        if isinstance(problem, (_TooLarge, _Mismatch)):
            answer = self.answer
            if isinstance(answer, httpx.Response):
                answer = _Answer(
                    answer.status_code, answer.headers, b"", answer.request
                )
            raise self.client._translated(self.call, answer, problem) from None


class _BaseClient(Generic[H]):
    """What both transports share: preparing calls and every plan. ``H`` is the httpx client class."""

    def __init__(
        self,
        base_url: str,
        *,
        base_path: str,
        default_accept: str,
        auth: httpx.Auth | Mapping[str, httpx.Auth] | None,
        timeout: TimeoutTypes,
        headers: Mapping[str, str] | None,
        http_client: H | None,
        max_retries: int,
        user_agent: str,
        request_id_header: str | None = None,
        strict: bool = False,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        stream_read_timeout: float = DEFAULT_STREAM_READ_TIMEOUT,
    ) -> None:
        parts = urlsplit(base_url)
        if "@" in parts.netloc:
            raise ValueError(
                "base_url must not carry user-info (user:password@host): it would be logged and "
                "could send credentials to another host; pass auth=BasicAuth(...) instead"
            )
        try:
            httpx.URL(base_url).port  # noqa: B018 - parses the port too
        except (httpx.InvalidURL, ValueError):
            raise ValueError(f"base_url is not a valid URL: {base_url!r}") from None
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"base_url must be an http(s) URL with a host, not {base_url!r}"
            )
        if "?" in base_url or "#" in base_url:
            # The client appends each operation's path: a query or fragment would swallow it.
            # Not echoed: a query is where secrets (``?token=``) tend to be.
            raise ValueError(
                "base_url must not carry a query or fragment (text after '?' or '#')"
            )
        root = base_url.rstrip("/")
        if isinstance(auth, Mapping):
            auth = SchemeAuth(auth)
        bind = getattr(auth, "bind_base_url", None)
        if callable(bind):
            bind(root)
        if base_path and not root.endswith(base_path):
            root += base_path
        self.base_url = root
        self._origin = (parts.scheme, parts.netloc)
        self._auth = auth
        # what each request is sent with: ours, else whatever the http client was given
        self._auth_arg: Any = auth if auth is not None else httpx.USE_CLIENT_DEFAULT
        self._timeout = _checked_timeout(timeout)
        self._headers = {
            "User-Agent": user_agent,
            "Accept": default_accept,
            "Accept-Encoding": ACCEPT_ENCODING,
            **(headers or {}),
        }
        self.max_retries = max_retries
        self.strict = strict
        self.max_response_bytes = max_response_bytes
        self.stream_read_timeout = stream_read_timeout
        self._request_id_header = request_id_header
        self._owns_http = http_client is None
        # Created on first use: constructing an httpx client loads its connection machinery and
        # TLS context, which a client that is built but not yet used should not pay for.
        self._http: H | None = http_client
        self._http_lock = threading.Lock()
        # the http client's headers, ours over them, and each call's header set over both
        self._merged_headers: (
            tuple[
                list[tuple[bytes, bytes]],
                httpx.Headers,
                dict[tuple[tuple[str, str], ...], httpx.Headers],
            ]
            | None
        ) = None
        self._last_timeout: tuple[httpx.Timeout | None, dict[str, Any]] | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={redact_url(self.base_url)!r})"

    def _new_http_client(self, cls: type[H]) -> H:
        http = self._http
        if http is None:
            with self._http_lock:
                if self._http is None:
                    self._http = cls(timeout=self._timeout, follow_redirects=False)
                http = self._http
        return http

    def _build(self, http: H, step: _Open) -> httpx.Request:
        content = step.content
        if content is not None and isinstance(http, httpx.AsyncClient):
            # httpx's async transport takes only async iterators
            if isinstance(content, _Upload):
                content = content.chunks()
            elif isinstance(content, Iterable) and not isinstance(content, bytes):
                content = _async_chunks(content)
        # What http.build_request makes (the http client's headers, query and cookies under ours),
        # less its per-call copy and override of the client's headers: they are merged under ours
        # once, and again only when they change. The URL is absolute (base_url is checked).
        # [] would drop a query already in the URL
        params: httpx.QueryParams | list[tuple[str, Any]] | None = step.params or None
        if http.params:
            params = http.params.merge(params)
        headers = self._headers_for(http.headers, step.headers, step.common_headers)
        request = httpx.Request(
            step.method,
            step.url,
            params=params,
            headers=headers,
            content=content,
            files=step.files,
            cookies=http.cookies or None,
            extensions={
                "timeout": self._timeout_extension(step.timeout),
                SECURITY_EXTENSION: step.security,
            },
        )
        if step.cookie:
            jar = request.headers.get(
                "Cookie"
            )  # the http client's cookies for this URL, if any
            request.headers["Cookie"] = f"{jar}; {step.cookie}" if jar else step.cookie
        return request

    def _timeout_extension(self, timeout: httpx.Timeout | None) -> dict[str, Any]:
        """httpx's ``timeout`` extension for ``timeout`` (made once while calls share it)."""
        last = self._last_timeout
        if last is None or last[0] is not timeout:
            last = self._last_timeout = (timeout, httpx.Timeout(timeout).as_dict())
        return dict(last[1])

    def _headers_for(
        self,
        client_headers: httpx.Headers,
        call_headers: Mapping[str, str],
        common: bool,
    ) -> httpx.Headers:
        """The http client's headers, ours over them, the call's over both (a name given again
        replaces every earlier value). Calls mostly send the same few headers, so a ``common`` set
        (the operation's own, no caller's values: those may be secrets, or new on every call) is
        merged once and kept (a few dozen at most; ``httpx.Request`` copies what it is given).
        """
        raw = client_headers.raw
        merged = self._merged_headers
        if merged is None or merged[0] != raw:
            under = httpx.Headers(client_headers)
            under.update(self._headers)
            # swapped whole: a thread holding the last one only adds to its own table
            merged = self._merged_headers = (raw, under, {})
        _, under, made = merged
        key = tuple(call_headers.items()) if common else None
        headers = None if key is None else made.get(key)
        if headers is None:
            headers = httpx.Headers(under)
            headers.update(call_headers)
            if key is not None:
                if len(made) >= _HEADER_SETS_KEPT:
                    made.clear()
                made[key] = headers
        return headers

    def _prepare(
        self,
        endpoint: Endpoint[Any],
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        cookies: Mapping[str, Any] | None = None,
        body: Any = UNSET,
        content_type: str | None = None,
        options: RequestOptions | None = None,
        accept: str | None = None,
        stream: bool = False,
    ) -> _Call:
        """A call as data, everything checked before anything is sent."""
        options = options or _NO_OPTIONS
        if options.deadline is not None and not 0 < options.deadline < math.inf:
            raise ValueError(
                f"deadline must be a positive number of seconds, not {options.deadline!r}"
            )
        url = self.base_url + build_path(endpoint.path, path or {})
        mask = endpoint.update_mask
        if (
            mask
            and isinstance(body, msgspec.Struct)
            and (query or {}).get(mask, UNSET) is UNSET
        ):
            names = endpoint.mask_names
            query = {
                **(query or {}),
                mask: [
                    names.get(f, f) for f in set_fields(body, path, endpoint.identity)
                ],
            }
        accept = accept or endpoint.accept
        send_headers = {"Accept": accept}
        # a caller's header values (not kept with the operation's own: see _headers_for)
        common_headers = not options.headers
        if headers:
            given = {k: to_text(v) for k, v in headers.items() if v is not UNSET}
            if given:
                send_headers.update(given)
                common_headers = False
        payload = _NO_PAYLOAD
        if body is not UNSET:
            check_body(body)
            payload = encode_body(endpoint, body, content_type)
            send_headers.update(payload.headers)
        if options.headers:
            send_headers.update(options.headers)
        timeout = (
            self._timeout
            if options.timeout is UNSET
            else _checked_timeout(options.timeout)
        )
        if stream:
            read = options.stream_read_timeout or self.stream_read_timeout
            timeout = httpx.Timeout(
                **{**(timeout or DEFAULT_TIMEOUT).as_dict(), "read": read}
            )
        params = build_query(query, endpoint.list_styles) if query else []
        return _Call(
            endpoint,
            _Open(
                endpoint.method,
                url,
                params,
                send_headers,
                payload.content,
                timeout,
                files=payload.files,
                cookie=cookie_header(cookies) if cookies else None,
                security=endpoint.security,
                common_headers=common_headers,
            ),
            # a body that cannot be read again (an iterator) is sent once
            (
                (
                    self.max_retries
                    if options.max_retries is None
                    else options.max_retries
                )
                if payload.replayable
                else 0
            ),
            options.poll,
            options.poll_timeout,
            None if options.deadline is None else time.monotonic() + options.deadline,
            options.max_response_bytes or self.max_response_bytes,
            _wants_json(accept),
            accept in endpoint.bytes_accepts,
            self.strict,
            body,
        )

    # -- plans ---------------------------------------------------------------------------------

    def _fetch(self, call: _Call, request: _Open, stream: bool = False) -> Plan[Any]:
        """One request, retried where safe; the whole answer (``_Answer``), or with ``stream`` a
        success answer still to be read (``_Received``)."""
        attempt = 0
        reauthorised = False
        while True:
            started = time.perf_counter()
            left = (
                None
                if call.deadline is None
                else _remaining(call, request.method, request.url)
            )
            outcome = yield (
                request
                if left is None
                else msgspec.structs.replace(
                    request, timeout=_bounded(request.timeout, left), budget=left
                )
            )
            if not isinstance(outcome, httpx.TransportError):
                status = outcome.response.status_code
                if stream and 200 <= status < 300:
                    return outcome
                if outcome.content is None:
                    outcome = yield from self._read_all(call, outcome)
                else:
                    outcome = self._whole(call, outcome)
            if isinstance(outcome, httpx.TransportError):
                if _unreadable_location(outcome):
                    # no retry changes a server's answer: refused as any Location is that
                    # this client will not follow
                    raise UnsafeLocationError(
                        redact(
                            f"refusing a redirect: {outcome}", self._secrets(call, None)
                        )
                    ) from None
                _remaining(call, request.method, request.url)
                if should_retry(request.method, attempt, call.max_retries, exc=outcome):
                    yield from _wait(
                        call, backoff(attempt), request.method, request.url
                    )
                    attempt += 1
                    continue
                url = redact_url(request.url)
                raise _transport_error(
                    outcome, request.method, url, self._secrets(call, None)
                ) from None
            if logger.isEnabledFor(
                logging.DEBUG
            ):  # the URL is redacted only for a record kept
                elapsed = (time.perf_counter() - started) * 1000
                url = redact_url(outcome.request.url)
                logger.debug(
                    "%s %s -> %d (%.1f ms)",
                    request.method,
                    url,
                    outcome.status,
                    elapsed,
                )
            if (
                outcome.status == 403
                and not reauthorised
                and self._token_refused(outcome)
            ):
                reauthorised = True
                continue
            if outcome.status in RETRY_STATUSES and should_retry(
                request.method, attempt, call.max_retries, status=outcome.status
            ):
                url = redact_url(outcome.request.url)
                wait = retry_after(outcome.headers)
                yield from _wait(
                    call,
                    backoff(attempt) if wait is None else wait,
                    request.method,
                    url,
                )
                attempt += 1
                continue
            return outcome

    def _token_refused(self, answer: _Answer) -> bool:
        """Whether the auth saw its token blamed by this 403 (and dropped it): worth one retry."""
        refused = getattr(self._auth, "refused", None)
        return callable(refused) and bool(
            refused(answer.request, answer.headers, answer.content)
        )

    def _read_all(self, call: _Call, received: _Received) -> Plan[Any]:
        """The body of an answer, decompressed and bounded: an ``_Answer``, or the transport error
        that broke it."""
        response = received.response
        status = response.status_code
        body = bytearray()
        with _Translating(self, call, response):
            try:
                inflater = _Inflater(
                    response.headers,
                    call.max_bytes,
                    decoded=received.decoded,
                    bodiless=_bodiless(response),
                )
                while chunk := (yield _Read(received)):
                    if isinstance(chunk, httpx.TransportError):
                        return chunk
                    _remaining(call, call.request.method, call.request.url)
                    body += inflater.feed(chunk)
                inflater.finish()
            except _Mismatch:
                if 200 <= status < 300:
                    raise
                # an error answer keeps its status (its class, its retries); a body that cannot be
                # read is none
                body = bytearray()
        return _Answer(status, response.headers, bytes(body), response.request)

    def _whole(self, call: _Call, received: _Received) -> _Answer:
        """An answer that arrived read and decoded (``received.content``), bounded like any."""
        if call.deadline is not None:
            _remaining(call, call.request.method, call.request.url)
        response, content = received.response, received.content or b""
        if len(content) > call.max_bytes:
            with _Translating(self, call, response):
                raise _TooLarge
        return _Answer(
            response.status_code, response.headers, content, response.request
        )

    def _exchange(self, call: _Call) -> Plan[ApiResponse[Any]]:
        answer = yield from self._fetch(call, call.request)
        if call.endpoint.polls_location and answer.status == 202 and call.poll:
            location = answer.headers.get("location")
            if location:
                answer = yield from self._poll(call, location)
        return self._result(call, answer)

    def _data(self, call: _Call) -> Plan[Any]:
        response = yield from self._exchange(call)
        return response.data

    def _poll(self, call: _Call, location: str) -> Plan[_Answer]:
        """GET the Location of a 202 with growing waits until it answers something else."""
        url = self._same_origin(location, call.request.url, allow_absolute=False)
        deadline = time.monotonic() + call.poll_timeout
        headers = {"Accept": call.endpoint.accept}
        attempt = 0
        wait = _poll_wait(attempt)
        while True:
            if time.monotonic() + wait > deadline:
                raise PollTimeoutError(
                    f"still 202 Accepted after {call.poll_timeout:g} s",
                    method="GET",
                    url=redact_url(url),
                )
            yield from _wait(call, wait, "GET", url)
            poll = _Open(
                "GET",
                url,
                [],
                headers,
                None,
                call.request.timeout,
                security=call.request.security,
                common_headers=True,
            )
            answer: _Answer = yield from self._fetch(call, poll)
            if answer.status != 202:
                return answer
            attempt += 1
            # Retry-After may ask for more than the growing wait, never for less (0 would busy-loop)
            wait = max(retry_after(answer.headers) or 0.0, _poll_wait(attempt))
            moved = answer.headers.get("location")
            if moved:
                url = self._same_origin(moved, url, allow_absolute=False)

    def _pages(self, call: _Call, page_size: int) -> Plan[None]:
        """Every item of a limit/offset list: until the page's total is reached or a page is empty
        (a page shorter than asked ends only lists without a total: servers cap the page size).
        """
        paging = call.endpoint.paging
        assert paging is not None
        offset, seen = 0, _Seen()
        for _ in range(MAX_PAGES):
            params = [
                (paging.limit, page_size),
                (paging.offset, offset),
                *call.request.params,
            ]
            page_call = msgspec.structs.replace(
                call, request=msgspec.structs.replace(call.request, params=params)
            )
            page = yield from self._data(page_call)
            batch = _listed(getattr(page, paging.items, None))
            total = getattr(page, paging.total, None) if paging.total else None
            if not batch:
                return
            seen.check(batch, f"the page at offset {offset}")
            for item in batch:
                yield _Emit(item)
            offset += len(batch)
            if isinstance(total, int) and not isinstance(total, bool):
                if offset >= total:
                    return
            elif len(batch) < page_size:
                return
        raise PagingError(f"stopped after {MAX_PAGES} pages: the list keeps growing")

    def _links(self, call: _Call) -> Plan[None]:
        """Every item of a list that pages with ``Link: <...>; rel="next"`` (same origin only)."""
        visited, seen = set(), _Seen()
        for _ in range(MAX_PAGES):
            request = call.request
            visited.add(str(httpx.URL(request.url, params=request.params or None)))
            page = yield from self._exchange(call)
            batch = _listed(page.data)
            if batch:
                seen.check(batch, f"the page at {redact_url(request.url)}")
            for item in batch:
                yield _Emit(item)
            link = next_link(page.headers)
            if link is None:
                return
            url = self._same_origin(link, request.url, allow_absolute=True)
            if url in visited:
                raise PagingError(
                    f"the next link leads back to a page already read: {url!r}"
                )
            call = msgspec.structs.replace(
                call, request=msgspec.structs.replace(request, url=url, params=[])
            )
        raise PagingError(f"stopped after {MAX_PAGES} pages: the list keeps growing")

    def _lines(self, call: _Call, reader: _LineReader | None = None) -> Plan[None]:
        """What ``reader`` makes of each line of a streamed answer, as the lines arrive (by default
        newline-delimited JSON, one decoded value per line). Opening is retried like any call;
        once lines flow, a broken stream raises (it cannot resume mid-way)."""
        reader = reader or _JsonLines()
        opened = yield from self._fetch(call, call.request, stream=True)
        if isinstance(opened, _Answer):
            self._result(call, opened)  # raises for an error answer
            return
        response = opened.response
        reader.opened(response)
        buffer = bytearray()
        with _Translating(self, call, response):
            inflater = _Inflater(
                response.headers,
                call.max_bytes,
                decoded=opened.decoded,
                cumulative=False,
            )
            while True:
                chunk = yield _Read(opened)
                if isinstance(chunk, httpx.TransportError):
                    _remaining(
                        call, call.request.method, call.request.url
                    )  # a deadline says so
                    method, url = call.request.method, redact_url(call.request.url)
                    raise _transport_error(
                        chunk, method, url, self._secrets(call, None)
                    ) from None
                _remaining(call, call.request.method, call.request.url)
                search = len(
                    buffer
                )  # what is buffered holds no newline: search only what comes
                buffer += inflater.feed(chunk) if chunk else b"\n"
                start = 0
                while (end := buffer.find(b"\n", search)) != -1:
                    line, start = bytes(buffer[start:end]), end + 1
                    search = start
                    for value in reader.line(line):
                        yield _Emit(value)
                del buffer[:start]
                if len(buffer) > call.max_bytes:
                    raise _TooLarge
                if not chunk:
                    inflater.finish()
                    for value in reader.end():
                        yield _Emit(value)
                    return

    def _to_file(
        self, endpoint: Endpoint[Any], destination: Destination, call: Any
    ) -> Plan[int]:
        options = call.get("options") or RequestOptions()
        prepared = self._prepare(endpoint, stream=True, **call)
        if (
            options.max_response_bytes is None
        ):  # a file is not memory: only a caller's limit applies
            prepared = msgspec.structs.replace(prepared, max_bytes=_UNBOUNDED)
        return self._download(prepared, _Sink(destination))

    def _download(self, call: _Call, sink: _Sink) -> Plan[int]:
        """A success answer's body written to ``sink`` chunk by chunk as it arrives (decompressed,
        bounded only by the call's limit); an error answer raises as any call does."""
        try:
            opened = yield from self._fetch(call, call.request, stream=True)
            if isinstance(opened, _Answer):
                self._result(call, opened)  # raises for an error answer
                return sink.finish()
            response = opened.response
            with _Translating(self, call, response):
                inflater = _Inflater(
                    response.headers,
                    call.max_bytes,
                    decoded=opened.decoded,
                    bodiless=_bodiless(response),
                )
                while chunk := (yield _Read(opened)):
                    if isinstance(chunk, httpx.TransportError):
                        method, url = call.request.method, redact_url(call.request.url)
                        raise _transport_error(
                            chunk, method, url, self._secrets(call, None)
                        )
                    _remaining(call, call.request.method, call.request.url)
                    sink.write(inflater.feed(chunk))
                inflater.finish()
            return sink.finish()
        except BaseException:
            sink.abort()
            raise

    def _event_reader(self, call: _Call, event_type: Any) -> _Events:
        def error(problem: _Mismatch, data: str, response: httpx.Response) -> Exception:
            secrets = self._secrets(call, response.request)
            return ResponseValidationError(
                path=problem.path,
                reason=problem.reason,
                body=redact(data, secrets),
                method=call.request.method,
                url=redact_url(call.request.url),
                status=response.status_code,
                headers=_redact_headers(response.headers, secrets),
            )

        return _Events(_EventSource(event_type, call.strict, error), call.max_bytes)

    # -- answers -------------------------------------------------------------------------------

    def _secrets(self, call: _Call, request: httpx.Request | None) -> tuple[str, ...]:
        own = getattr(self._auth, "secrets", None)
        return sent_secrets(
            request, _body_secrets(call.body), own() if callable(own) else ()
        )

    def _translated(
        self, call: _Call, answer: _Answer, problem: _TooLarge | _Mismatch
    ) -> ApiError:
        """An answer that breaks the spec, or the size limit, as the package's typed error."""
        secrets = self._secrets(call, answer.request)
        common: dict[str, Any] = {
            "method": call.request.method,
            "url": redact_url(call.request.url),
            "status": answer.status,
            "headers": _redact_headers(answer.headers, secrets),
        }
        if isinstance(problem, _TooLarge):
            return ResponseTooLargeError(limit=call.max_bytes, **common)
        body = redact(_text(answer.content, answer.headers), secrets)
        return ResponseValidationError(
            path=problem.path, reason=problem.reason, body=body, **common
        )

    def _result(self, call: _Call, answer: _Answer) -> ApiResponse[Any]:
        status, endpoint = answer.status, call.endpoint
        if not 200 <= status < 300 and not (
            status < 400
            and status >= 300
            and (
                str(status) in endpoint.responses
                or f"{status // 100}XX" in endpoint.responses
            )
        ):
            raise error_for(
                call.request.method,
                redact_url(call.request.url),
                status,
                answer.headers,
                answer.content,
                self._secrets(call, answer.request),
                self._request_id_header,
            )
        if endpoint.ends_session:
            forget = getattr(self._auth, "forget", None)
            if callable(forget):
                forget()
        request_id = (
            answer.headers.get(self._request_id_header)
            if self._request_id_header
            else None
        )
        try:  # what _Translating does, without making one for every call
            data = decode_answer(
                endpoint.responses,
                status,
                answer.headers,
                answer.content,
                wants_json=call.wants_json,
                wants_bytes=call.wants_bytes,
                strict=call.strict,
            )
        except (_TooLarge, _Mismatch) as problem:
            raise self._translated(call, answer, problem) from None
        return ApiResponse(status, answer.headers, data, request_id)

    def _same_origin(
        self, target: str, relative_to: str, *, allow_absolute: bool
    ) -> str:
        """A URL the server handed us (Location, Link), resolved and checked: it must stay on this
        API's scheme, host and port; a Location must not be absolute at all."""
        try:
            parts = urlsplit(target)
            if any(
                ord(c) <= 0x20 or c == "\x7f" for c in target
            ):  # urlsplit drops some silently
                raise ValueError(target)
        except ValueError:
            raise UnsafeLocationError(
                f"refusing a malformed URL from the server: {target!r}"
            ) from None
        if parts.scheme or parts.netloc:
            if not allow_absolute:
                raise UnsafeLocationError(
                    f"refusing to follow an absolute URL from the server: {target!r}"
                )
            if (parts.scheme, parts.netloc) != self._origin:
                raise UnsafeLocationError(
                    f"refusing to follow a URL on another host: {target!r}"
                )
            return target
        return urljoin(relative_to, target)


def _poll_wait(attempt: int) -> float:
    return min(POLL_MAX_WAIT, POLL_FIRST_WAIT * (1.5**attempt))


def _body_secrets(value: Any) -> list[str]:
    """Values of a request body's secret fields at any depth, as each model lists them in its
    ``__secret_fields__`` (a bulk body nests connections with their passwords)."""
    found: list[str] = []
    if isinstance(value, msgspec.Struct):
        secret = set(getattr(type(value), "__secret_fields__", ()))
        for f in msgspec.structs.fields(value):
            item = getattr(value, f.name)
            if f.encode_name in secret and isinstance(item, str):
                found.append(item)
            else:
                found += _body_secrets(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            found += _body_secrets(item)
    elif isinstance(value, dict):
        for item in value.values():
            found += _body_secrets(item)
    return found


def _listed(items: Any) -> list[Any]:
    return list(items) if isinstance(items, (list, tuple)) else []


class _LineReader(typing.Protocol):
    def opened(self, response: httpx.Response) -> None: ...

    def line(self, line: bytes) -> Iterable[Any]: ...

    def end(self) -> Iterable[Any]: ...


class _JsonLines:
    """Newline-delimited JSON: one decoded value per non-blank line."""

    def opened(self, response: httpx.Response) -> None:
        pass

    def line(self, line: bytes) -> Iterable[Any]:
        if not line.strip():
            return ()
        try:
            return (msgspec.json.decode(line),)
        except (msgspec.DecodeError, RecursionError) as exc:
            raise _Mismatch("$", f"a streamed line is not JSON: {exc}") from None

    def end(self) -> Iterable[Any]:
        return ()


class ServerSentEvent(Generic[T]):
    """One event of a ``text/event-stream`` answer: its type (``message`` unless the server named
    one), its data (the ``data:`` lines joined by newlines), ``id`` and ``retry`` when sent.
    ``json()`` decodes the data as the spec's schema for the events says."""

    __slots__ = ("_source", "data", "event", "id", "retry")

    def __init__(
        self,
        event: str,
        data: str,
        id: str | None,
        retry: int | None,
        source: _EventSource[T],
    ) -> None:
        self.event, self.data, self.id, self.retry, self._source = (
            event,
            data,
            id,
            retry,
            source,
        )

    def json(self) -> T:
        """The data decoded and checked against the spec (``ResponseValidationError`` if it is
        not JSON or breaks the schema; a sentinel such as ``[DONE]`` is not JSON)."""
        return self._source.decode(self.data)

    def __repr__(self) -> str:
        return (
            f"ServerSentEvent(event={self.event!r}, data={self.data!r}, id={self.id!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServerSentEvent):
            return NotImplemented
        mine = (self.event, self.data, self.id, self.retry)
        return mine == (other.event, other.data, other.id, other.retry)

    __hash__ = None  # type: ignore[assignment]


class _EventSource(Generic[T]):
    """What an event's ``json()`` needs: the type of its data, and the answer it came in (for errors)."""

    def __init__(
        self,
        type_: Any,
        strict: bool,
        error: Callable[[_Mismatch, str, httpx.Response], Exception],
    ) -> None:
        self.type, self.strict, self.error = type_, strict, error
        self.response: httpx.Response | None = None  # the answer the events come in

    def decode(self, data: str) -> T:
        try:
            try:
                raw = msgspec.json.decode(data)
            except (msgspec.DecodeError, RecursionError) as exc:
                raise _Mismatch("$", f"an event's data is not JSON: {exc}") from None
            target = (
                self.type.choose(raw)
                if isinstance(self.type, FieldsUnion)
                else self.type
            )
            value: T = _Lenient(self.strict).convert(raw, target, "$")
            return value
        except _Mismatch as problem:
            assert (
                self.response is not None
            )  # events exist only once the answer arrived
            raise self.error(problem, data, self.response) from None


class _Events:
    """``text/event-stream`` lines to events, by the WHATWG rules: ``data:`` lines joined with
    newlines, ``event:``, ``id:`` (kept across events, ignored when it holds NUL), ``retry:``
    (digits only), ``:`` comments ignored, one leading space after the colon dropped, an event
    dispatched at a blank line and only when it has data."""

    def __init__(self, source: _EventSource[Any], limit: int) -> None:
        self.source, self.limit = source, limit
        self.data: list[str] = []
        self.size = 0
        self.event = ""
        self.last_id: str | None = None
        self.retry: int | None = None

    def opened(self, response: httpx.Response) -> None:
        self.source.response = response

    def line(self, raw: bytes) -> Iterable[Any]:
        out: list[Any] = []
        for part in raw.removesuffix(b"\r").split(
            b"\r"
        ):  # CRLF, LF and a lone CR all end a line
            out.extend(self._field(part.decode("utf-8", "replace")))
        return out

    def end(self) -> Iterable[Any]:
        return ()  # an event not ended by a blank line is incomplete: not dispatched (WHATWG)

    def _field(self, line: str) -> Iterable[Any]:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return ()
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self.size += len(value) + 1
            if self.size > self.limit:
                raise _TooLarge
            self.data.append(value)
        elif name == "event":
            self.event = value
        elif name == "id" and "\0" not in value:
            self.last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retry = int(value)
        return ()

    def _dispatch(self) -> Iterable[Any]:
        data, event = "\n".join(self.data), self.event or "message"
        had_data = bool(self.data)
        self.data, self.size, self.event = [], 0, ""
        if not had_data:
            return ()
        return (ServerSentEvent(event, data, self.last_id, self.retry, self.source),)


class _Seen:
    """Fingerprints of the items a paging helper yielded: a page of nothing new means the server
    ignores the page parameters (it would loop forever)."""

    def __init__(self) -> None:
        self._prints: set[int] = set()

    def check(self, batch: list[Any], where: str) -> None:
        prints = {hash(msgspec.json.encode(item)) for item in batch}
        # A page whose items are not told apart by their content (``fields=`` asking for a few of them,
        # a list of equal values) says nothing of a repeat: ``MAX_PAGES`` bounds such a list.
        if len(prints) == len(batch) and prints <= self._prints:
            raise PagingError(
                f"{where} repeats only items already seen: the server ignores paging"
            )
        self._prints |= prints


class BaseSyncClient(_BaseClient[httpx.Client]):
    """The synchronous transport: one pooled ``httpx.Client``, safe to share between threads."""

    def _http_client(self) -> httpx.Client:
        return self._new_http_client(httpx.Client)

    def close(self) -> None:
        if self._owns_http and self._http is not None:
            self._http.close()

    def __enter__(self: T) -> T:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _perform(
        self, step: _Open | _Read | _Sleep, opened: list[httpx.Response]
    ) -> Any:
        if isinstance(step, _Sleep):
            return time.sleep(step.seconds)
        try:
            if isinstance(step, _Read):
                return next(step.source.chunks, b"")
            http = self._http or self._http_client()
            request = self._build(http, step)
            response = http.send(
                request, auth=self._auth_arg, stream=True, follow_redirects=False
            )
            if (poisoned := _poisoned(response)) is not None:
                poisoned.close()
        except httpx.TransportError as exc:
            return exc
        opened.append(response)
        content = _preread(response)
        if content is not None:
            return _Received(response, iter((content,)), decoded=True, content=content)
        return _Received(response, response.iter_raw(), decoded=False)

    def _iterate(self, plan: Plan[Any]) -> Generator[Any, None, None]:
        stepper = _Stepper(plan)
        try:
            while (step := stepper.step()) is not None:
                if isinstance(step, _Emit):
                    yield step.value
                else:
                    stepper.outcome = self._perform(step, stepper.opened)
        finally:
            for response in stepper.finish():
                response.close()

    def _run(self, plan: Plan[T]) -> T:
        """What a plan that emits nothing (one call, a download) returns."""
        # _Stepper's loop, inlined: this is every single call's path
        opened: list[httpx.Response] = []
        outcome: Any = None
        try:
            while True:
                try:
                    step = plan.send(outcome)
                except StopIteration as done:
                    result: T = done.value
                    return result
                if isinstance(step, _Emit):
                    raise TypeError("a plan run for its result emitted a value")
                outcome = self._perform(step, opened)
        finally:
            plan.close()
            for response in opened:
                response.close()

    def send(self, endpoint: Endpoint[T], **call: Any) -> ApiResponse[T]:
        """One operation: status, headers and decoded body."""
        return self._run(self._exchange(self._prepare(endpoint, **call)))

    def request(self, endpoint: Endpoint[T], **call: Any) -> T:
        """One operation: the decoded body."""
        result: T = self._run(self._exchange(self._prepare(endpoint, **call))).data
        return result

    def paginate(
        self, endpoint: Endpoint[Any], *, page_size: int, **call: Any
    ) -> Iterator[Any]:
        """Every item of a limit/offset list operation, ``page_size`` per request."""
        return self._iterate(
            self._pages(self._prepare(endpoint, **call), _page_size(page_size))
        )

    def follow_links(self, endpoint: Endpoint[Any], **call: Any) -> Iterator[Any]:
        """Every item of a list operation, following ``Link: <...>; rel="next"`` pages."""
        return self._iterate(self._links(self._prepare(endpoint, **call)))

    def stream_lines(self, endpoint: Endpoint[Any], **call: Any) -> Iterator[Any]:
        """Each line of a newline-delimited JSON answer, decoded, as it arrives."""
        return self._iterate(self._lines(self._prepare(endpoint, stream=True, **call)))

    def download(
        self, endpoint: Endpoint[Any], *, destination: Destination, **call: Any
    ) -> int:
        """An answer written to ``destination`` as it arrives; the number of bytes written."""
        return self._run(self._to_file(endpoint, destination, call))

    def stream_events(
        self, endpoint: Endpoint[Any], *, event_type: Any, **call: Any
    ) -> Iterator[ServerSentEvent[Any]]:
        """Each event of a ``text/event-stream`` answer as it arrives."""
        prepared = self._prepare(endpoint, stream=True, **call)
        return self._iterate(
            self._lines(prepared, self._event_reader(prepared, event_type))
        )


class BaseAsyncClient(_BaseClient[httpx.AsyncClient]):
    """The asynchronous transport: one pooled ``httpx.AsyncClient``, safe for concurrent tasks."""

    def _http_client(self) -> httpx.AsyncClient:
        return self._new_http_client(httpx.AsyncClient)

    async def aclose(self) -> None:
        if self._owns_http and self._http is not None:
            await self._http.aclose()

    async def __aenter__(self: T) -> T:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _perform(
        self, step: _Open | _Read | _Sleep, opened: list[httpx.Response]
    ) -> Any:
        import asyncio  # here: sync users never load asyncio

        if isinstance(step, _Sleep):
            return await asyncio.sleep(step.seconds)
        try:
            if isinstance(step, _Read):
                return await anext(step.source.chunks, b"")
            http = self._http or self._http_client()
            request = self._build(http, step)
            send = http.send(
                request, auth=self._auth_arg, stream=True, follow_redirects=False
            )
            # the whole wait for the answer's head is bounded here (a server trickling its headers
            # never trips a per-read timeout); the sync transport can only bound each read
            response = await (
                send if step.budget is None else asyncio.wait_for(send, step.budget)
            )
            if (poisoned := _poisoned(response)) is not None:
                await poisoned.aclose()
        except httpx.TransportError as exc:
            return exc
        except asyncio.TimeoutError:
            return httpx.ReadTimeout(
                "the call's deadline passed while waiting for the answer"
            )
        opened.append(response)
        content = _preread(response)
        if content is not None:
            return _Received(response, _once(content), decoded=True, content=content)
        return _Received(response, response.aiter_raw(), decoded=False)

    async def _iterate(self, plan: Plan[Any]) -> AsyncGenerator[Any, None]:
        stepper = _Stepper(plan)
        try:
            while step := stepper.step():
                if not isinstance(step, _Emit):
                    stepper.outcome = await self._perform(step, stepper.opened)
                    continue
                yield step.value
        finally:
            for response in stepper.finish():
                await response.aclose()

    async def _run(self, plan: Plan[T]) -> T:
        """What a plan that emits nothing (one call, a download) returns."""
        # _Stepper's loop, inlined: this is every single call's path
        opened: list[httpx.Response] = []
        outcome: Any = None
        try:
            while True:
                try:
                    step = plan.send(outcome)
                except StopIteration as done:
                    result: T = done.value
                    return result
                if isinstance(step, _Emit):
                    raise TypeError("a plan run for its result emitted a value")
                outcome = await self._perform(step, opened)
        finally:
            plan.close()
            for response in opened:
                await response.aclose()

    def send(self, endpoint: Endpoint[T], **call: Any) -> Awaitable[ApiResponse[T]]:
        """One operation: status, headers and decoded body."""
        return self._run(self._exchange(self._prepare(endpoint, **call)))

    def request(self, endpoint: Endpoint[T], **call: Any) -> Awaitable[T]:
        """One operation: the decoded body (the call checked now, as the sync client does)."""
        return _data_of(self._run(self._exchange(self._prepare(endpoint, **call))))

    def paginate(
        self, endpoint: Endpoint[Any], *, page_size: int, **call: Any
    ) -> AsyncIterator[Any]:
        """Every item of a limit/offset list operation, ``page_size`` per request."""
        return self._iterate(
            self._pages(self._prepare(endpoint, **call), _page_size(page_size))
        )

    def follow_links(self, endpoint: Endpoint[Any], **call: Any) -> AsyncIterator[Any]:
        """Every item of a list operation, following ``Link: <...>; rel="next"`` pages."""
        return self._iterate(self._links(self._prepare(endpoint, **call)))

    def stream_lines(self, endpoint: Endpoint[Any], **call: Any) -> AsyncIterator[Any]:
        """Each line of a newline-delimited JSON answer, decoded, as it arrives."""
        return self._iterate(self._lines(self._prepare(endpoint, stream=True, **call)))

    def download(
        self, endpoint: Endpoint[Any], *, destination: Destination, **call: Any
    ) -> Awaitable[int]:
        """An answer written to ``destination`` as it arrives; the number of bytes written."""
        return self._run(self._to_file(endpoint, destination, call))

    def stream_events(
        self, endpoint: Endpoint[Any], *, event_type: Any, **call: Any
    ) -> AsyncIterator[ServerSentEvent[Any]]:
        """Each event of a ``text/event-stream`` answer as it arrives."""
        prepared = self._prepare(endpoint, stream=True, **call)
        return self._iterate(
            self._lines(prepared, self._event_reader(prepared, event_type))
        )


async def _data_of(answer: Awaitable[ApiResponse[T]]) -> T:
    return (await answer).data


def _page_size(page_size: int) -> int:
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    return page_size


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

    def request(
        self, endpoint: Endpoint[T], **kwargs: Any
    ) -> Awaitable[ApiResponse[T]]:
        return self._client.send(endpoint, **kwargs)


# -- method twins ------------------------------------------------------------------------------------
#
# A generated method only builds a request and hands it to ``self._client``. Run against another
# transport (async, raw) the same code returns something else; one descriptor reuses it, and the
# functions below give each kind of twin its signature type, so each operation is written once.


class Twin(Generic[Params, R]):
    """A method reused on another transport: same parameters, the transport's kind of result."""

    def __init__(self, method: Callable[..., Any]) -> None:
        self._method = method
        self.__doc__ = method.__doc__

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Twin[Params, R]: ...
    @overload
    def __get__(self, obj: object, owner: type[Any]) -> Callable[Params, R]: ...
    def __get__(self, obj: object | None, owner: type[Any]) -> Any:
        return self if obj is None else self._method.__get__(obj, owner)


def awaitable_method(
    method: Callable[Concatenate[Any, Params], R],
) -> Twin[Params, Awaitable[R]]:
    """The async twin of an operation method: same parameters, awaited."""
    return Twin(method)


def async_iterator_method(
    method: Callable[Concatenate[Any, Params], Iterator[T]],
) -> Twin[Params, AsyncIterator[T]]:
    """The async twin of a paging or streaming helper: the same items as an async iterator."""
    return Twin(method)


def lazy_names(
    package: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for a package whose names live in submodules imported on first
    use (``homes``: name -> submodule): a big client imports in milliseconds and each group loads
    only its own code and models. mypy and IDEs see the names through ``if TYPE_CHECKING`` imports.
    """
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{home}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *homes})

    return __getattr__, __dir__


def raw_method(
    method: Callable[Concatenate[Any, Params], R],
) -> Twin[Params, ApiResponse[R]]:
    """The raw twin of an operation method: status, headers and the decoded body."""
    return Twin(method)


def async_raw_method(
    method: Callable[Concatenate[Any, Params], R],
) -> Twin[Params, Awaitable[ApiResponse[R]]]:
    """The async raw twin of an operation method."""
    return Twin(method)


# -- test doubles (``PKG.testing``) -------------------------------------------------------------

B = TypeVar("B")

# An address no resolver answers: a mock's client can never reach a network.
MOCK_BASE_URL = "http://mock.invalid"


class UnexpectedCallError(AssertionError):
    """A call a ``MockApi`` was not told to expect: no operation of the spec has its method and
    path, or the operation was given no answer. An ``AssertionError``, so a test fails on it.
    """


class MockCall(msgspec.Struct, Generic[B], frozen=True):
    """One call as the server saw it, decoded: path parameters and query by their wire names, the
    body decoded into the operation's request type (the bytes sent where it is not JSON), and the
    headers, those that carry credentials shown as ``***``."""

    method: str
    path: Mapping[str, str]
    query: Mapping[str, list[str]]
    body: B
    headers: Mapping[str, str]


_MockAnswer = Callable[[httpx.Request], httpx.Response]


class OperationMock(Generic[T, B]):
    """One operation of a ``MockApi``: what it answers (``returns``, ``raises``, ``answers``: queued
    in order, the last one repeated) and every call it got (``calls``)."""

    def __init__(self, name: str, endpoint: Endpoint[T], body_type: Any) -> None:
        self.name = name
        self.endpoint = endpoint
        self.calls: list[MockCall[B]] = []
        self._body_type = body_type
        self._answers: list[_MockAnswer] = []
        # a threaded test's calls take the queued answers in turn
        self._lock = threading.Lock()

    def returns(
        self,
        value: T,
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> OperationMock[T, B]:
        """Answer ``value`` as the server would send it. It is encoded and decoded back as the
        client decodes this operation's answer now, so a value of the wrong shape fails here.
        """
        status = status or self._success_status()
        content = b"" if value is None else msgspec.json.encode(value)
        target = self.endpoint.responses.get(
            str(status), self.endpoint.responses.get(f"{status // 100}XX")
        )
        if target is not None and value is not None:
            try:
                _decoder(target).decode(content)
            except msgspec.ValidationError as exc:
                raise TypeError(
                    f"{self.name}.returns(): not what the spec declares for {status}: {exc}"
                ) from None
        kind = {"content-type": "application/json"} if content else {}
        return self.answers(status, content, headers={**kind, **(headers or {})})

    def raises(
        self,
        error: type[ApiError],
        *,
        detail: str = "",
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> OperationMock[T, B]:
        """Answer with an error status the client turns into ``error`` (``NotFoundError``: 404; a
        family without one status, such as ``ServerError``, needs ``status=``), with a
        problem+json body whose ``detail`` the error carries."""
        if status is None:
            found = [code for code, kind in _ERRORS.items() if kind is error]
            status = 500 if error is ServerError else found[0] if found else None
        if status is None:
            raise TypeError(f"{self.name}.raises({error.__name__}): give its status=")
        made = _ERRORS.get(status) or (
            ServerError if status >= 500 else UnexpectedStatusError
        )
        if 300 <= status < 400:
            made = RedirectError
        if not issubclass(made, error):
            raise TypeError(
                f"{self.name}.raises({error.__name__}, status={status}): "
                f"the client raises {made.__name__} for {status}"
            )
        problem = {"title": error.__name__, "status": status, "detail": detail}
        return self.answers(
            status,
            msgspec.json.encode(problem),
            headers={"content-type": "application/problem+json", **(headers or {})},
        )

    def answers(
        self,
        status: int,
        content: bytes = b"",
        *,
        headers: Mapping[str, str] | None = None,
    ) -> OperationMock[T, B]:
        """Answer exactly these bytes (what the spec does not describe: a server's slip)."""
        answer_headers = dict(headers or {})

        def answer(request: httpx.Request) -> httpx.Response:
            return httpx.Response(status, headers=answer_headers, content=content)

        with self._lock:
            self._answers.append(answer)
        return self

    @property
    def called(self) -> bool:
        return bool(self.calls)

    def _success_status(self) -> int:
        for status in self.endpoint.responses:
            if status[:1] == "2":
                return 200 if status == "2XX" else int(status)
        return 200

    def _answer(
        self,
        request: httpx.Request,
        path: dict[str, str],
        recorded: Callable[[httpx.Request], httpx.Response | None],
    ) -> httpx.Response:
        call = MockCall(
            request.method,
            path,
            {k: request.url.params.get_list(k) for k in request.url.params},
            self._decoded_body(request),
            {
                k: "***" if _SECRET_HEADER.search(k) else v
                for k, v in request.headers.items()
            },
        )
        with self._lock:
            self.calls.append(call)
            answer = None
            if self._answers:
                answer = self._answers[0]
                if len(self._answers) > 1:
                    self._answers.pop(0)
        if answer is None:
            replayed = recorded(request)
            if replayed is not None:
                return replayed
            raise UnexpectedCallError(
                f"{request.method} {request.url.path}: {self.name} was given no answer "
                f"(.returns(...), .raises(...) or .answers(...)) and no recorded exchange "
                f"left matches it"
            )
        return answer(request)

    def _decoded_body(self, request: httpx.Request) -> Any:
        content = request.read()
        if self._body_type is None or not content:
            return None
        if self._body_type is bytes:
            return content
        return _decoder(self._body_type).decode(content)


class MockApiBase:
    """Routes each request of a client made by ``client()`` / ``async_client()`` to the operation
    of the spec whose method and path it has (a literal segment before a parameter); anything else
    raises ``UnexpectedCallError``. Works through ``httpx.MockTransport``: the client's own
    encoding, decoding, errors and paging run as against a server."""

    base_url = MOCK_BASE_URL

    def __init__(self, base_path: str) -> None:
        self._base_path = base_path.rstrip("/")
        self._recorded: list[Mapping[str, Any]] = []
        self._recorded_lock = threading.Lock()
        self._routes: list[
            tuple[str, re.Pattern[str], tuple[str, ...], OperationMock[Any, Any]]
        ] = []
        self.transport = httpx.MockTransport(self._handle)

    def add(
        self, owner: object, name: str, endpoint: Endpoint[Any], body_type: Any
    ) -> None:
        """``owner.name``: the mock of the operation ``endpoint`` describes."""
        setattr(owner, name, self.operation(name, endpoint, body_type))

    def operation(
        self, name: str, endpoint: Endpoint[Any], body_type: Any
    ) -> OperationMock[Any, Any]:
        mock: OperationMock[Any, Any] = OperationMock(name, endpoint, body_type)
        names = tuple(_PATH_PARAM.findall(endpoint.path))
        pattern = "".join(
            "([^/]+)" if i % 2 else re.escape(part)
            for i, part in enumerate(_PATH_PARAM.split(endpoint.path))
        )
        self._routes.append(
            (
                endpoint.method,
                re.compile(re.escape(self._base_path) + pattern),
                names,
                mock,
            )
        )
        # literal segments win over parameters (``/dags/~`` over ``/dags/{dag_id}``)
        self._routes.sort(key=lambda route: (len(route[2]), -len(route[1].pattern)))
        return mock

    def replay(self, recording: str | pathlib.Path) -> None:
        """Also answer from a recorded session: clientgen's fixture format (``{"exchanges":
        [{"request": {"method", "path", "query": [[name, value], ...]}, "response": {"status",
        "headers", "json" | "text"}}, ...]}``) or a HAR file (what browsers and proxies export).
        A call an operation has no answer for takes the first unused exchange with its method,
        path and query; each is used once (``unreplayed`` lists the rest)."""
        document = msgspec.json.decode(pathlib.Path(recording).read_bytes())
        log = document.get("log") if isinstance(document, dict) else None
        if isinstance(log, dict) and isinstance(log.get("entries"), list):
            exchanges: Any = [_har_exchange(entry) for entry in log["entries"]]
        else:
            exchanges = (
                document.get("exchanges") if isinstance(document, dict) else None
            )
        if not isinstance(exchanges, list) or not all(
            isinstance(e, dict)
            and isinstance(e.get("request"), dict)
            and isinstance(e.get("response"), dict)
            for e in exchanges
        ):
            raise ValueError(
                f"{recording}: not a recording (clientgen's exchanges, or HAR)"
            )
        self._recorded.extend(exchanges)

    @property
    def unreplayed(self) -> list[Mapping[str, Any]]:
        """The recorded exchanges no call has used yet."""
        return list(self._recorded)

    def _replayed(self, request: httpx.Request) -> httpx.Response | None:
        path = request.url.raw_path.split(b"?", 1)[0].decode("ascii")
        query = [list(pair) for pair in request.url.params.multi_items()]
        sent = (request.method, path, query)
        with self._recorded_lock:
            found = next(
                (i for i, e in enumerate(self._recorded) if _sent(e) == sent), None
            )
            exchange = None if found is None else self._recorded.pop(found)
        if exchange is None:
            return None
        answer = exchange["response"]
        if "json" in answer:
            content = msgspec.json.encode(answer["json"])
        elif isinstance(answer.get("content"), bytes):
            content = answer["content"]
        else:
            content = str(answer.get("text", "")).encode()
        return httpx.Response(
            int(answer["status"]),
            headers=dict(answer.get("headers") or {}),
            content=content,
        )

    def _handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.raw_path.split(b"?", 1)[0].decode("ascii")
        for method, pattern, names, mock in self._routes:
            found = pattern.fullmatch(path) if method == request.method else None
            if found is not None:
                values = [unquote(v) for v in found.groups()]
                params = dict(zip(names, values, strict=True))
                return mock._answer(request, params, self._replayed)
        replayed = self._replayed(request)
        if replayed is not None:
            return replayed
        raise UnexpectedCallError(
            f"{request.method} {request.url.path}: no operation of the spec has this method and path"
        )


def _sent(exchange: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    """What a recorded exchange's request is matched by: method, path and query pairs."""
    request = exchange["request"]
    return request.get("method"), request.get("path"), request.get("query", [])


def _har_exchange(entry: Any) -> dict[str, Any]:
    """A HAR entry as an exchange of clientgen's format (its body bytes as recorded)."""
    if not isinstance(entry, dict):
        return {}
    request, response = entry.get("request") or {}, entry.get("response") or {}
    url = urlsplit(str(request.get("url", "")))
    query = [
        [k, v] for k, v in httpx.QueryParams(url.query).multi_items()
    ]  # as httpx reads a request's query
    content = response.get("content") or {}
    text = content.get("text") or ""
    body = (
        base64.b64decode(text)
        if content.get("encoding") == "base64"
        else str(text).encode()
    )
    headers = {
        str(h.get("name", "")).lower(): str(h.get("value", ""))
        for h in response.get("headers") or []
        if isinstance(h, dict)
        and str(h.get("name", "")).lower()
        not in ("content-encoding", "content-length", "transfer-encoding")
    }
    return {
        "request": {
            "method": str(request.get("method", "GET")).upper(),
            "path": url.path,
            "query": query,
        },
        "response": {
            "status": int(response.get("status", 0)),
            "headers": headers,
            "content": body,
        },
    }
