"""Hostile and odd servers found by probing the committed Airflow 2.10.5 client (eighteenth session): each
answer here got a bare library error, a leaked credential, a silently short body or a false paging error
before its fix. Exact exchanges through httpx.MockTransport; a body given as a stream is read raw, as from
a socket."""

from __future__ import annotations

import asyncio
import base64
import copy
import gzip
import importlib
import math
import pickle
import sys
import zlib
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.conftest import COMMITTED

PASSWORD = "s3cretPassw0rd"


@pytest.fixture(scope="module")
def af() -> ModuleType:
    package, folder = COMMITTED["2.10.5"]
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    return importlib.import_module(package)


Handler = Callable[[httpx.Request], httpx.Response]


def client(af: ModuleType, handler: Handler, **kwargs: Any) -> Any:
    kwargs.setdefault("auth", af.BasicAuth("admin", PASSWORD))
    return af.Client("http://af.test:8080", http_client=httpx.Client(transport=httpx.MockTransport(handler)), **kwargs)


def async_client(af: ModuleType, handler: Handler, **kwargs: Any) -> Any:
    kwargs.setdefault("auth", af.BasicAuth("admin", PASSWORD))
    transport = httpx.MockTransport(handler)
    return af.AsyncClient("http://af.test:8080", http_client=httpx.AsyncClient(transport=transport), **kwargs)


class Raw(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body read chunk by chunk as it comes (httpx does not read it ahead)."""

    def __init__(self, *chunks: bytes) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks

    async def __aiter__(self) -> Any:
        for chunk in self.chunks:
            yield chunk


# -- error answers whose headers are not ASCII --------------------------------------------------------


def test_an_error_answer_with_a_header_past_ascii_is_the_packages_error(af: ModuleType) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = [(b"content-type", b"application/json"), (b"x-note", b"caf\xe9 " + PASSWORD.encode())]
        return httpx.Response(404, headers=headers, content=b'{"detail": "no"}')

    with pytest.raises(af.NotFoundError) as raised:
        client(af, handler).dag.get_dag("x")
    assert raised.value.headers["x-note"] == "caf\xe9 ***"  # kept as it came, the password redacted


def test_an_error_answer_with_a_utf8_header_is_the_packages_error_async(af: ModuleType) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = [(b"content-type", b"application/json"), (b"x-note", "zürich".encode())]
        return httpx.Response(503, headers=headers, content=b"{}")

    with pytest.raises(af.ServerError) as raised:
        asyncio.run(async_client(af, handler, max_retries=0).dag.get_dag("x"))
    assert raised.value.headers["x-note"] == "zürich"


# -- token auth ----------------------------------------------------------------------------------------


def test_the_token_endpoints_echo_of_the_clients_basic_credential_is_redacted(af: ModuleType) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            echo = "rejected " + request.headers["authorization"]
            return httpx.Response(401, json={"error": "invalid_client", "error_description": echo})
        return httpx.Response(200, json={"dag_id": "x"})

    auth = af.ClientCredentialsAuth("my-client", "client-Secret-XYZ", token_url="/token")
    with pytest.raises(af.ApiError) as raised:
        client(af, handler, auth=auth).dag.get_dag("x")
    text = f"{raised.value} {raised.value.body!r} {raised.value!r}"
    assert base64.b64encode(b"my-client:client-Secret-XYZ").decode() not in text
    assert "client-Secret-XYZ" not in text and "***" in text


def _jwt(claims: bytes) -> str:
    def part(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part(b'{}')}.{part(claims)}.signature"


@pytest.mark.parametrize(
    "claims",
    [b'{"exp": 1' + b"0" * 400 + b"}", b"[" * 100_000 + b"]" * 100_000, b'{"exp": -1e999}'],
    ids=["an exp past a float", "nested too deep", "an exp of minus infinity"],
)
def test_a_token_whose_claims_cannot_be_read_has_no_known_expiry(af: ModuleType, claims: bytes) -> None:
    token = _jwt(claims)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": token, "token_type": "bearer"})
        assert request.headers["authorization"] == f"Bearer {token}"
        return httpx.Response(200, json={"dag_id": "x"})

    auth = af.PasswordAuth("user", "pw12345", token_url="/token")
    assert client(af, handler, auth=auth).dag.get_dag("x").dag_id == "x"
    af.RefreshTokenAuth("rt12345", token_url="/token", access_token=token)  # no error either


# -- bodies ----------------------------------------------------------------------------------------------


def test_a_content_length_of_digits_past_ascii_is_no_bare_error(af: ModuleType) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = [(b"content-type", b"application/json"), (b"content-length", "²".encode("latin-1"))]
        return httpx.Response(200, headers=headers, stream=Raw(b'{"dag_id": "x"}'))

    assert client(af, handler).dag.get_dag("x").dag_id == "x"  # an unreadable length bounds nothing


def _log_answer(coding: str, body: bytes, *chunks: bytes) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/plain", "content-encoding": coding}
        return httpx.Response(200, headers=headers, stream=Raw(*(chunks or (body,))))

    return handler


LOG = ("".join(f"line {i}: task ran\n" for i in range(3000))).encode()


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_a_compressed_body_cut_short_is_an_error_not_a_short_answer(af: ModuleType, coding: str) -> None:
    whole = gzip.compress(LOG) if coding == "gzip" else zlib.compress(LOG)
    handler = _log_answer(coding, whole[: len(whole) // 2])
    with pytest.raises(af.ResponseValidationError, match="ends before"):
        client(af, handler).task_instance.get_log("d", "r", "t", 1, accept="text/plain")
    whole_answer = client(af, _log_answer(coding, whole)).task_instance.get_log("d", "r", "t", 1, accept="text/plain")
    assert whole_answer == LOG.decode()


def test_a_gzip_body_cut_short_is_an_error_async(af: ModuleType) -> None:
    whole = gzip.compress(LOG)
    handler = _log_answer("gzip", whole[:-8])  # all but the trailer: every byte of the text, no checksum
    with pytest.raises(af.ResponseValidationError, match="ends before"):
        asyncio.run(async_client(af, handler).task_instance.get_log("d", "r", "t", 1, accept="text/plain"))


def test_a_raw_deflate_body_is_read_whatever_its_first_chunk(af: ModuleType) -> None:
    squeezer = zlib.compressobj(wbits=-zlib.MAX_WBITS)  # headerless, as some servers send "deflate"
    raw = squeezer.compress(LOG) + squeezer.flush()
    for chunks in ((raw,), (raw[:1], raw[1:]), (raw[:2], raw[2:5], raw[5:])):
        handler = _log_answer("deflate", raw, *chunks)
        assert client(af, handler).task_instance.get_log("d", "r", "t", 1, accept="text/plain") == LOG.decode()


def test_an_error_answer_whose_body_cannot_be_read_keeps_its_status_and_retries(
    af: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(af._runtime.time, "sleep", lambda seconds: None)
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if request.url.path.endswith("/gone"):
            headers = {"content-type": "application/json", "content-encoding": "br"}  # a coding it does not read
            return httpx.Response(404, headers=headers, stream=Raw(b"\x1b\x03\x00"))
        headers = {"content-type": "application/json", "content-encoding": "gzip"}
        return httpx.Response(503, headers=headers, stream=Raw(b"not gzip at all"))

    with pytest.raises(af.NotFoundError):
        client(af, handler).dag.get_dag("gone")
    sent.clear()
    with pytest.raises(af.ServerError):
        client(af, handler, max_retries=2).dag.get_dag("x")
    assert len(sent) == 3  # a 503 is retried whatever its body


# -- redirects ----------------------------------------------------------------------------------------------


def test_a_redirect_to_a_location_httpx_cannot_parse_is_refused_sent_once(af: ModuleType) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(302, headers={"location": f"http://evil.test/\x01{PASSWORD}"})

    with pytest.raises(af.UnsafeLocationError, match="refusing a redirect") as raised:
        client(af, handler).dag.get_dag("x")
    assert len(sent) == 1  # not retried as a broken connection
    assert PASSWORD not in str(raised.value)


# -- the errors themselves ---------------------------------------------------------------------------------


def test_the_packages_errors_survive_pickle_and_copy(af: ModuleType) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"detail": f"no dag, {PASSWORD}"})

    with pytest.raises(af.NotFoundError) as raised:
        client(af, handler).dag.get_dag("x")
    connection = af.ApiConnectionError("connection failed: boom", method="GET", url="http://af.test/x")
    for error in (raised.value, connection):
        for again in (pickle.loads(pickle.dumps(error)), copy.copy(error), copy.deepcopy(error)):
            assert type(again) is type(error) and str(again) == str(error)
            assert again.__dict__ == error.__dict__ or repr(again) == repr(error)
    assert PASSWORD not in pickle.dumps(raised.value).decode("latin-1")


# -- timeouts -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("timeout", [math.inf, -1, 0, math.nan, httpx.Timeout(5.0, read=math.inf)])
def test_a_timeout_that_is_not_a_finite_positive_number_is_refused_when_given(af: ModuleType, timeout: Any) -> None:
    with pytest.raises(ValueError, match="timeout"):
        af.Client("http://af.test:8080", timeout=timeout)
    handler: Handler = lambda request: httpx.Response(200, json={"dag_id": "x"})  # noqa: E731
    with pytest.raises(ValueError, match="timeout"):
        client(af, handler).dag.get_dag("x", options=af.RequestOptions(timeout=timeout))


# -- paging --------------------------------------------------------------------------------------------------


def _runs_server(total: int, cap: int, ignore_offset: bool = False) -> Handler:
    """Airflow's dag runs list with its page cap; with ``fields=["state"]`` every run reads the same."""

    def handler(request: httpx.Request) -> httpx.Response:
        limit = min(int(request.url.params["limit"]), cap)
        offset = 0 if ignore_offset else int(request.url.params["offset"])
        runs = range(offset, min(offset + limit, total))
        fields = request.url.params.get_list("fields")
        items = [{"state": "success"} if fields == ["state"] else {"dag_run_id": f"r{i}", "state": "ok"} for i in runs]
        return httpx.Response(200, json={"dag_runs": items, "total_entries": total})

    return handler


def test_paging_with_fields_that_make_items_look_alike_yields_every_item(af: ModuleType) -> None:
    runs = list(client(af, _runs_server(250, cap=100)).dag_run.iter_dag_runs("d", fields=["state"]))
    assert len(runs) == 250 and {run.state for run in runs} == {"success"}


def test_a_server_ignoring_the_offset_is_still_caught(af: ModuleType) -> None:
    with pytest.raises(af.PagingError, match="repeats only items already seen"):
        list(client(af, _runs_server(250, cap=100, ignore_offset=True)).dag_run.iter_dag_runs("d"))
