"""The runtime at its edges (issue 9): paging past server caps, update masks by name, deadlines,
streams, token auth under concurrency, hostile servers and secrets. Exercised through the committed
Airflow clients (exact exchanges with httpx.MockTransport) and loopback servers where timing or real
sockets matter. Each test failed on the runtime before issue 9."""

from __future__ import annotations

import asyncio
import gzip
import importlib
import json
import logging
import sys
import threading
import time
import traceback
import tracemalloc
import types
import warnings
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any, ClassVar

import httpx
import pytest

from tests.conftest import COMMITTED


def load(version: str) -> ModuleType:
    package, folder = COMMITTED[version]
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    return importlib.import_module(package)


@pytest.fixture(scope="module")
def af2() -> ModuleType:
    return load("2.10.5")


@pytest.fixture(scope="module")
def af3() -> ModuleType:
    return load("3.3.2")


Handler = Callable[[httpx.Request], httpx.Response]


def client(pkg: ModuleType, handler: Handler, base: str = "http://af.test:8080", **kwargs: Any) -> Any:
    return pkg.Client(base, http_client=httpx.Client(transport=httpx.MockTransport(handler)), **kwargs)


def async_client(pkg: ModuleType, handler: Any, base: str = "http://af.test:8080", **kwargs: Any) -> Any:
    return pkg.AsyncClient(base, http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)), **kwargs)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The runtime's sleeps, recorded instead of slept (every committed package's runtime)."""
    recorded: list[float] = []
    for version in COMMITTED:
        monkeypatch.setattr(load(version)._runtime.time, "sleep", recorded.append)
    return recorded


def variables_server(total: int, cap: int = 100, ignore_offset: bool = False, grow: bool = False) -> Any:
    """Airflow's /variables with its page cap (``[api] maximum_page_limit``): ``limit`` above the
    cap answers ``cap`` items with the true ``total_entries``."""
    state = {"total": total, "requests": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        state["requests"] += 1
        limit = min(int(request.url.params["limit"]), cap)
        offset = 0 if ignore_offset else int(request.url.params["offset"])
        if grow:
            state["total"] += limit
        keys = [f"v{i:04d}" for i in range(offset, min(offset + limit, state["total"]))]
        body = {"variables": [{"key": k, "value": "x"} for k in keys], "total_entries": state["total"]}
        return httpx.Response(200, json=body)

    return state, handler


# -- paging ----------------------------------------------------------------------------------------


def test_paging_goes_past_the_server_page_cap(af2: ModuleType) -> None:
    state, handler = variables_server(total=250)
    keys = [v.key for v in client(af2, handler).variable.iter_variables(page_size=1000)]
    assert keys == [f"v{i:04d}" for i in range(250)] and state["requests"] == 3


def test_async_paging_goes_past_the_server_page_cap(af2: ModuleType) -> None:
    _, handler = variables_server(total=250)

    async def collect() -> list[str]:
        return [v.key async for v in async_client(af2, handler).variable.iter_variables(page_size=1000)]

    assert asyncio.run(collect()) == [f"v{i:04d}" for i in range(250)]


def test_paging_stops_on_an_empty_page_before_the_total(af2: ModuleType) -> None:
    pages: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        pages.append(offset)
        items = [{"key": f"v{offset + i}"} for i in range(2)] if offset < 4 else []  # 2 a page: capped
        return httpx.Response(200, json={"variables": items, "total_entries": 10})  # the list shrank

    assert len(list(client(af2, handler).variable.iter_variables(page_size=10))) == 4
    assert pages == [0, 2, 4]


def test_paging_server_that_ignores_offset_raises(af2: ModuleType) -> None:
    state, handler = variables_server(total=250, ignore_offset=True)
    seen = []
    with pytest.raises(af2.PagingError, match="offset 100 repeats only items already seen"):
        for variable in client(af2, handler).variable.iter_variables(page_size=1000):
            seen.append(variable.key)
    assert len(seen) == 100 and state["requests"] == 2


def test_paging_server_that_keeps_growing_is_bounded(af2: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(af2._runtime, "MAX_PAGES", 5)
    state, handler = variables_server(total=10, cap=10, grow=True)
    with pytest.raises(af2.PagingError, match="after 5 pages"):
        list(client(af2, handler).variable.iter_variables(page_size=10))
    assert state["requests"] == 5


def test_paging_without_a_total_stops_on_a_short_page(af2: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """A regression guard: the short-page rule still ends lists whose pages carry no total."""
    rt = af2._runtime
    endpoint = rt.Endpoint("GET", "/things", {"200": Any}, accept="application/json", paging=rt.Paging("items"))
    decode = rt.decode_answer
    monkeypatch.setattr(rt, "decode_answer", lambda *a, **k: types.SimpleNamespace(items=decode(*a, **k)))
    pages = []

    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        pages.append(offset)
        return httpx.Response(200, json=list(range(offset, min(offset + 3, 7))))

    assert list(client(af2, handler).paginate(endpoint, page_size=3)) == list(range(7))
    assert pages == [0, 3, 6]


def test_link_paging_loop_raises(af2: ModuleType) -> None:
    rt = af2._runtime
    endpoint = rt.Endpoint("GET", "/things", {"200": list[int]}, accept="application/json")

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        link = f'</api/v1/things?page={page % 2 + 1}>; rel="next"'
        return httpx.Response(200, json=[page], headers={"link": link})

    with pytest.raises(af2.PagingError):
        list(client(af2, handler).follow_links(endpoint))


# -- update_mask, defaults, datetimes ----------------------------------------------------------------


def test_update_mask_names_the_resource_by_name_not_by_value(af2: ModuleType) -> None:
    masks: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        masks.append(request.url.params.get("update_mask", ""))
        return httpx.Response(200, json=json.loads(request.content))

    c = client(af2, handler)
    c.connection.patch_connection("c1", body_connection_id="c1", conn_type="http", host="c1")
    c.pool.patch_pool("p1", name="p1", slots=3, description="p1")
    c.variable.patch_variable("k1", key="k1", value="v", description="k1")
    c.pool.patch_pool("p1", name="p2")  # a rename: the identity field differs from the path
    assert masks == ["conn_type,host", "slots,description", "description,val", "name"]  # val: the server's name


def test_set_fields_uses_the_identity_the_generator_decided(af2: ModuleType) -> None:
    rt, models = af2._runtime, af2.models
    body = models.Connection(connection_id="same", host="same", login="same")
    assert rt.set_fields(body, {"connection_id": "same"}, {"connection_id": "connection_id"}) == ["host", "login"]
    assert rt.set_fields(body, {"connection_id": "same"}, {}) == ["connection_id", "host", "login"]
    endpoint = importlib.import_module(f"{af2.__name__}._endpoints._connection").PATCH_CONNECTION
    assert dict(endpoint.identity) == {"connection_id": "connection_id"}


def test_naive_datetimes_are_refused_in_bodies_as_in_parameters(af2: ModuleType, af3: ModuleType) -> None:
    import datetime

    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    naive = datetime.datetime(2026, 11, 22, 12, 0)
    with pytest.raises(ValueError, match="naive datetime"):
        client(af2, handler).dag_run.post_dag_run("d", dag_run_id="r", logical_date=naive)
    with pytest.raises(ValueError, match="naive datetime"):
        client(af3, handler).dag_run.trigger_dag_run("d", logical_date=naive)
    with pytest.raises(ValueError, match="naive datetime"):
        client(af2, handler).dag_run.get_dag_runs("d", execution_date_gte=naive)
    assert sent == []
    aware = naive.replace(tzinfo=datetime.timezone.utc)
    client(af2, handler).dag_run.post_dag_run("d", dag_run_id="r", logical_date=aware)
    assert json.loads(sent[0].content)["logical_date"] == "2026-11-22T12:00:00Z"


# -- streams and deadlines -------------------------------------------------------------------------


class BrokenStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """One line, then the connection breaks."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __iter__(self) -> Iterator[bytes]:
        yield b'{"state": "running"}\n'
        raise self.error

    async def __aiter__(self) -> Any:
        yield b'{"state": "running"}\n'
        raise self.error


@pytest.mark.parametrize(
    "error, expected",
    [(httpx.ReadTimeout("slow"), "ApiTimeoutError"), (httpx.RemoteProtocolError("cut"), "ApiConnectionError")],
)
def test_streams_raise_the_packages_own_errors(af3: ModuleType, error: Exception, expected: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=BrokenStream(error), headers={"content-type": "application/x-ndjson"})

    got: list[Any] = []
    with pytest.raises(getattr(af3, expected)) as err:
        for update in client(af3, handler).dag_run.wait_dag_run_until_finished_stream("d", "r", interval=1):
            got.append(update)
    assert got == [{"state": "running"}] and type(err.value).__name__ == expected

    async def consume() -> None:
        c = async_client(af3, handler)
        async for _ in c.dag_run.wait_dag_run_until_finished_stream("d", "r", interval=1):
            pass

    with pytest.raises(getattr(af3, expected)):
        asyncio.run(consume())


def test_stream_connect_failure_is_typed(af3: ModuleType, sleeps: list[float]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(af3.ApiConnectionError):
        list(client(af3, handler).dag_run.wait_dag_run_until_finished_stream("d", "r", interval=1))


def test_stream_read_timeout_is_its_own_and_overridable(af3: ModuleType) -> None:
    timeouts: list[dict[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"])
        return httpx.Response(200, content=b"{}\n", headers={"content-type": "application/json"})

    c = client(af3, handler)
    list(c.dag_run.wait_dag_run_until_finished_stream("d", "r", interval=40))
    options = af3.RequestOptions(stream_read_timeout=90.0)
    list(c.dag_run.wait_dag_run_until_finished_stream("d", "r", interval=40, options=options))
    c.monitor.get_health()
    assert [t["read"] for t in timeouts] == [af3._runtime.DEFAULT_STREAM_READ_TIMEOUT, 90.0, 30.0]
    assert all(t["connect"] == 10.0 for t in timeouts)


class Loopback:
    """A real HTTP server on 127.0.0.1 whose handler writes raw bytes with pauses."""

    def __init__(self, respond: Callable[[BaseHTTPRequestHandler], None]) -> None:
        class H(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                try:
                    respond(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def quiet_then_lines(pause: float) -> Callable[[BaseHTTPRequestHandler], None]:
    def respond(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        time.sleep(pause)  # Airflow 3 sends the first line only after ``interval``
        for line in (b'{"state": "running"}\n', b'{"state": "success"}\n'):
            h.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
            h.wfile.flush()
        h.wfile.write(b"0\r\n\r\n")

    return respond


def test_a_quiet_stream_outlives_the_read_timeout_of_calls(af3: ModuleType) -> None:
    server = Loopback(quiet_then_lines(1.5))
    try:
        c = af3.Client(server.url, timeout=af3._runtime.httpx.Timeout(0.5, connect=2.0))
        updates = list(c.dag_run.wait_dag_run_until_finished_stream("d", "r", interval=2))
        assert [u["state"] for u in updates] == ["running", "success"]
        options = af3.RequestOptions(stream_read_timeout=0.3)
        with pytest.raises(af3.ApiTimeoutError):
            list(c.dag_run.wait_dag_run_until_finished_stream("d", "r", interval=2, options=options))
    finally:
        server.close()


def trickle(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", "100000")
    h.end_headers()
    for _ in range(200):  # one byte every 0.1 s: never a read timeout, never done
        h.wfile.write(b" ")
        h.wfile.flush()
        time.sleep(0.1)


def test_deadline_bounds_a_trickling_server(af3: ModuleType) -> None:
    server = Loopback(trickle)
    try:
        c = af3.Client(server.url)
        started = time.monotonic()
        with pytest.raises(af3.DeadlineExceededError):
            c.monitor.get_health(options=af3.RequestOptions(deadline=1.0))
        assert time.monotonic() - started < 3.0
    finally:
        server.close()


def test_deadline_covers_retries_and_paging(af2: ModuleType, sleeps: list[float]) -> None:
    def busy(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, headers={"retry-after": "30"})

    with pytest.raises(af2.DeadlineExceededError, match="would pass the deadline"):
        client(af2, busy).monitoring.get_health(options=af2.RequestOptions(deadline=5.0))
    assert sleeps == []  # it did not sleep 30 s to fail afterwards

    clock = {"now": 0.0}
    _, pages = variables_server(total=10_000)

    def slow_pages(request: httpx.Request) -> httpx.Response:
        clock["now"] += 1.0  # each page takes a second
        return pages(request)

    rt = af2._runtime
    real = rt.time.monotonic
    rt.time.monotonic = lambda: clock["now"]
    try:
        seen = []
        with pytest.raises(af2.DeadlineExceededError):
            for v in client(af2, slow_pages).variable.iter_variables(options=af2.RequestOptions(deadline=3.5)):
                seen.append(v)
    finally:
        rt.time.monotonic = real
    assert len(seen) == 300


# -- token auth ------------------------------------------------------------------------------------


def jwt(exp: float) -> str:
    import base64

    part = base64.urlsafe_b64encode(json.dumps({"sub": "admin", "exp": exp}).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJIUzUxMiJ9.{part}.signature"


def token_server(delay: float = 0.2) -> tuple[dict[str, Any], Handler]:
    state: dict[str, Any] = {"tokens": 0, "revoked": set(), "paths": []}
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        state["paths"].append(request.url.path)
        if request.url.path.endswith("/auth/token"):
            time.sleep(delay)  # slow enough that every first call is waiting for it
            with lock:
                state["tokens"] += 1
                token = jwt(time.time() + 3600) + str(state["tokens"])
            return httpx.Response(201, json={"access_token": token})
        auth = request.headers.get("authorization", "")
        if request.url.path.endswith("/auth/logout"):
            state["revoked"].add(auth)
            return httpx.Response(307, headers={"location": "/auth/login"})
        if auth in state["revoked"]:
            return httpx.Response(403, json={"detail": "Invalid JWT token"})
        return httpx.Response(200, json={"version": "3.3.2", "git_version": None})

    return state, handler


class TokenAndVersion(BaseHTTPRequestHandler):
    """A real Airflow 3 lookalike on a socket: a token endpoint and one authenticated operation. (Mock
    transports hand over answers already read; real ones stream them, which auth flows must handle.)"""

    protocol_version = "HTTP/1.1"
    token_body = b'{"access_token": "a.b.c"}'
    token_headers: ClassVar[dict[str, str]] = {}

    def answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        self.answer(201, self.token_body, self.token_headers)

    def do_GET(self) -> None:
        ok = self.headers.get("authorization") == "Bearer a.b.c"
        self.answer(200 if ok else 401, b'{"version": "3.3.2", "git_version": null}')

    def log_message(self, *args: Any) -> None:
        pass


def serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def test_password_auth_over_a_real_socket_sync_and_async(af3: ModuleType) -> None:
    server, url = serve(TokenAndVersion)
    try:
        auth = af3.PasswordAuth("admin", "admin", token_url=af3.TOKEN_URL)
        assert af3.Client(url, auth=auth).version.get_version().version == "3.3.2"

        async def main() -> str:
            async with af3.AsyncClient(url, auth=af3.PasswordAuth("admin", "admin", token_url="/auth/token")) as c:
                return str((await c.version.get_version()).version)

        assert asyncio.run(main()) == "3.3.2"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "body, headers, error",
    [
        (b'{"access_token": "' + b"x" * (2 << 20) + b'"}', {}, "ResponseTooLargeError"),
        (gzip.compress(b'{"access_token": "a.b.c"}'), {"Content-Encoding": "gzip"}, "ResponseValidationError"),
    ],
)
def test_token_answers_are_bounded(af3: ModuleType, body: bytes, headers: dict[str, str], error: str) -> None:
    handler = type("Hostile", (TokenAndVersion,), {"token_body": body, "token_headers": headers})
    server, url = serve(handler)
    try:
        client = af3.Client(url, auth=af3.PasswordAuth("admin", "admin", token_url=af3.TOKEN_URL))
        with pytest.raises(getattr(af3, error)):
            client.version.get_version()
    finally:
        server.shutdown()
        server.server_close()


def test_one_token_request_for_twenty_concurrent_first_calls_threads(af3: ModuleType) -> None:
    state, handler = token_server()
    c = client(af3, handler, auth=af3.PasswordAuth("admin", "admin", token_url=af3.TOKEN_URL))
    barrier = threading.Barrier(20)

    def call() -> str:
        barrier.wait()
        return str(c.version.get_version().version)

    threads_results: list[str] = []
    threads = [threading.Thread(target=lambda: threads_results.append(call())) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert threads_results == ["3.3.2"] * 20 and state["tokens"] == 1


def test_one_token_request_for_twenty_concurrent_first_calls_tasks(af3: ModuleType) -> None:
    state = {"tokens": 0}

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/token":
            await asyncio.sleep(0.2)
            state["tokens"] += 1
            return httpx.Response(201, json={"access_token": jwt(time.time() + 3600)})
        return httpx.Response(200, json={"version": "3.3.2", "git_version": None})

    async def main() -> list[Any]:
        c = async_client(af3, handler, auth=af3.PasswordAuth("admin", "admin", token_url=af3.TOKEN_URL))
        return await asyncio.gather(*(c.version.get_version() for _ in range(20)))

    assert [v.version for v in asyncio.run(main())] == ["3.3.2"] * 20 and state["tokens"] == 1


def test_logout_then_a_call_logs_in_again(af3: ModuleType) -> None:
    state, handler = token_server(delay=0)
    c = client(af3, handler, auth=af3.PasswordAuth("admin", "admin", token_url=af3.TOKEN_URL))
    c.version.get_version()
    assert c.login.logout() is None  # the spec declares its 307: the documented answer
    assert c.version.get_version().version == "3.3.2"
    assert state["tokens"] == 2 and state["paths"].count("/auth/token") == 2


def test_token_url_resolves_against_a_sub_path_base_url(af3: ModuleType) -> None:
    state, handler = token_server(delay=0)
    c = client(af3, handler, base="http://host.test/airflow", auth=af3.PasswordAuth("a", "b", token_url="/auth/token"))
    c.version.get_version()
    assert state["paths"] == ["/airflow/auth/token", "/airflow/api/v2/version"]


def test_token_request_has_a_finite_timeout(af3: ModuleType) -> None:
    seen: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions.get("timeout"))
        if request.url.path == "/auth/token":
            return httpx.Response(201, json={"access_token": jwt(time.time() + 3600)})
        return httpx.Response(200, json={"version": "3", "git_version": None})

    client(af3, handler, auth=af3.PasswordAuth("a", "b", token_url="/auth/token")).version.get_version()
    assert len(seen) == 2 and all(t and all(v is not None for v in t.values()) for t in seen)


# -- hostile servers -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_undeclared_redirects_raise_with_their_location(af2: ModuleType, status: int) -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        return httpx.Response(status, headers={"location": "http://elsewhere.test/steal"})

    c = client(af2, handler, auth=af2.BasicAuth("admin", "pw"))
    with pytest.raises(af2.RedirectError) as err:
        c.dag.get_dag("d")
    assert err.value.status == status and err.value.location == "http://elsewhere.test/steal"
    with pytest.raises(af2.RedirectError):
        c.pool.post_pool(name="p", slots=1)
    assert calls == ["GET", "POST"]  # never followed


@pytest.mark.parametrize(
    "content, headers, path, reason",
    [
        (b'{"dag_id": "d", "is_paused": tr', {"content-type": "application/json"}, "$", "invalid JSON"),
        (b"<html>login</html>", {"content-type": "text/html"}, "$", "expected application/json, got 'text/html'"),
        (b'{"dag_id": "d"}', {}, "$", "no Content-Type"),
        (b'{"dag_id": "d", "is_paused": "yes"}', {"content-type": "application/json"}, "$.is_paused", "bool"),
        (b'{"dag_id": "d", "tags": [{"name": 5}]}', {"content-type": "application/json"}, "$.tags[0].name", "str"),
    ],
)
def test_answers_breaking_the_spec_raise_a_typed_error(
    af2: ModuleType, content: bytes, headers: dict[str, str], path: str, reason: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=content, headers=headers)

    with pytest.raises(af2.ResponseValidationError) as err:
        client(af2, handler).dag.get_dag("d")
    error = err.value
    assert isinstance(error, af2.ApiError) and error.status == 200 and error.path == path
    assert reason in str(error) and error.body == content.decode() and error.headers is not None


def test_deeply_nested_json_and_malformed_links_raise_typed_errors(af2: ModuleType) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    json_headers = {"content-type": "application/json"}
    with pytest.raises(af2.ResponseValidationError, match="invalid JSON"):
        client(af2, lambda r: httpx.Response(200, content=deep, headers=json_headers)).dag.get_dags()
    with pytest.raises(af2.ServerError) as err:  # an error body is kept as text when it cannot be parsed
        client(af2, lambda r: httpx.Response(500, content=deep, headers=json_headers), max_retries=0).dag.get_dags()
    assert isinstance(err.value.body, str)
    rt = af2._runtime
    endpoint = rt.Endpoint("GET", "/things", {"200": list[int]}, accept="application/json")
    bad_link = {"link": '<http://[broken/x>; rel="next"'}
    with pytest.raises(af2.UnsafeLocationError, match="malformed"):
        list(client(af2, lambda r: httpx.Response(200, json=[1], headers=bad_link)).follow_links(endpoint))


def test_spec_drift_is_tolerated_once_per_field_and_refused_when_strict(af3: ModuleType) -> None:
    from airflow_rest_3_3_2 import SpecDriftWarning

    def handler(request: httpx.Request) -> httpx.Response:
        # VersionInfo: version is required and non-nullable, git_version required
        return httpx.Response(200, json={"version": None})

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = client(af3, handler).version.get_version()
        client(af3, handler).version.get_version()
    assert first.version is None and first.git_version is af3.UNSET
    drift = [str(w.message) for w in caught if issubclass(w.category, SpecDriftWarning)]
    assert len(drift) == 2 and any("VersionInfo.version" in m for m in drift)
    assert any("VersionInfo.git_version" in m for m in drift)
    with pytest.raises(af3.ResponseValidationError) as err:
        client(af3, handler, strict=True).version.get_version()
    assert err.value.path == "$.version"


class NoBodyWithABody(BaseHTTPRequestHandler):
    """A 204 that sends a body anyway, then honest answers, on one keep-alive connection."""

    protocol_version = "HTTP/1.1"

    def answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_DELETE(self) -> None:
        self.answer(204, b'{"name": "surprise", "slots": 1}')

    def do_POST(self) -> None:
        self.answer(200, self.rfile.read(int(self.headers["content-length"])))

    def log_message(self, *args: Any) -> None:
        pass


def test_a_204_with_a_body_is_not_decoded_and_does_not_poison_the_connection(af2: ModuleType) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), NoBodyWithABody)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        c = af2.Client(url, max_retries=0)  # a POST is never retried: the next answer must be its own
        for _ in range(2):
            assert c.pool.delete_pool("p") is None
            assert c.pool.post_pool(name="p", slots=2).slots == 2

        async def twice() -> list[Any]:
            async with af2.AsyncClient(url, max_retries=0) as ac:
                return [await ac.pool.delete_pool("p"), (await ac.pool.post_pool(name="q", slots=3)).name]

        assert asyncio.run(twice()) == [None, "q"]
    finally:
        server.shutdown()
        server.server_close()


class HugeHead(BaseHTTPRequestHandler):
    """Answers HEAD as a server of a 10 GB file does: the Content-Length of the body a GET would get."""

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(10 << 30))
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_a_head_answer_is_not_refused_for_the_size_of_the_body_it_describes(af2: ModuleType) -> None:
    # A HEAD answer (like 204 and 304) has no body whatever its Content-Length says: the size limit
    # is for bodies, so the size of the file it describes must not raise ResponseTooLargeError.
    rt = af2._runtime
    endpoint = rt.Endpoint("HEAD", "/files/big", {"200": None}, accept="*/*")
    server, url = serve(HugeHead)
    try:
        with af2.Client(url, max_retries=0) as c:
            answer = c.send(endpoint)
        assert (answer.status, answer.data) == (200, None)
        assert answer.headers["content-length"] == str(10 << 30)

        async def head() -> Any:
            async with af2.AsyncClient(url, max_retries=0) as ac:
                return await ac.send(endpoint)

        assert asyncio.run(head()).status == 200
    finally:
        server.shutdown()
        server.server_close()


def test_response_size_is_bounded_even_for_a_gzip_bomb(af2: ModuleType) -> None:
    limit = 1 << 20
    bomb = gzip.compress(b"[" + b" " * (200 << 20) + b"]", compresslevel=1)  # 200 MiB inflated
    assert len(bomb) < 1 << 20

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "application/json", "content-encoding": "gzip"}
        return httpx.Response(200, stream=httpx.ByteStream(bomb), headers=headers)

    c = client(af2, handler, max_response_bytes=limit)
    tracemalloc.start()
    try:
        with pytest.raises(af2.ResponseTooLargeError) as err:
            c.dag.get_dags()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert err.value.limit == limit and peak < 12 * limit + len(bomb)


def test_an_endless_body_stops_at_the_limit(af2: ModuleType) -> None:
    class Endless(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            while True:
                yield b"x" * 65536

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Endless(), headers={"content-type": "application/json"})

    with pytest.raises(af2.ResponseTooLargeError):
        client(af2, handler, max_response_bytes=1 << 20).dag.get_dags()
    with pytest.raises(af2.ResponseTooLargeError):
        opts = af2.RequestOptions(max_response_bytes=1000)
        client(af2, lambda r: httpx.Response(200, json={"dags": [{"dag_id": "d" * 2000}]})).dag.get_dags(options=opts)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("nan", "backoff"),
        ("inf", "backoff"),
        ("-inf", "backoff"),
        ("-5", "backoff"),
        ("garbage", "backoff"),
        ("Thu, 99 Foo 2026", "backoff"),
        ("1e300", "cap"),
        ("7", 7.0),
    ],
)
def test_retry_after_garbage_is_ignored_or_clamped(
    af2: ModuleType, sleeps: list[float], monkeypatch: pytest.MonkeyPatch, value: str, expected: Any
) -> None:
    rt = af2._runtime
    monkeypatch.setattr(rt, "backoff", lambda attempt: 0.25)
    answers = iter([httpx.Response(503, headers={"retry-after": value}), httpx.Response(200, json={})])
    client(af2, lambda r: next(answers)).monitoring.get_health()
    wanted = {"backoff": 0.25, "cap": rt.MAX_RETRY_AFTER}.get(expected, expected)
    assert sleeps == [wanted]


# -- secrets ---------------------------------------------------------------------------------------

SECRET = "hunter2-very-secret"


def echo_everything(status: int) -> Handler:
    """A server that repeats back every header and the body it was sent."""

    def handler(request: httpx.Request) -> httpx.Response:
        body = {
            "title": "echo",
            "detail": f"you sent {dict(request.headers)} and {request.content.decode()}",
            "headers": dict(request.headers),
        }
        return httpx.Response(status, json=body, headers={"x-echo": request.headers.get("authorization", "")})

    return handler


@pytest.mark.parametrize("status", [401, 422, 500])
def test_credentials_never_appear_in_errors_logs_or_tracebacks(
    af2: ModuleType, caplog: pytest.LogCaptureFixture, status: int, sleeps: list[float]
) -> None:
    auths = [af2.BasicAuth("admin", SECRET), af2.BearerAuth(SECRET), af2.ApiKeyAuth(SECRET, header="X-Key")]
    for auth in auths:
        c = client(af2, echo_everything(status), auth=auth, max_retries=0)
        with caplog.at_level(logging.DEBUG):
            with pytest.raises(af2.ApiError) as err:
                c.connection.post_connection(connection_id="c", conn_type="http", password="pw-" + SECRET[::-1])
        shown = [
            str(err.value),
            repr(err.value.body),
            repr(err.value.detail),
            repr(dict(err.value.headers)),
            "".join(traceback.format_exception(err.value)),
            caplog.text,
        ]
        for text in shown:
            assert SECRET not in text and SECRET[::-1] not in text
        assert "***" in str(err.value)


def test_password_auth_token_errors_do_not_echo_the_password(af3: ModuleType) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"detail": f"bad credentials {request.content.decode()}"})

    c = client(af3, handler, auth=af3.PasswordAuth("admin", SECRET, token_url=af3.TOKEN_URL))
    with pytest.raises(af3.AuthenticationError) as err:
        c.version.get_version()
    assert SECRET not in str(err.value) and SECRET not in repr(err.value.body)


def test_request_options_repr_hides_header_values(af2: ModuleType) -> None:
    options = af2.RequestOptions(headers={"Authorization": f"Bearer {SECRET}"}, deadline=5.0)
    assert SECRET not in repr(options) and "Authorization" in repr(options) and "deadline=5.0" in repr(options)


@pytest.mark.parametrize("url", ["http://a@b.test/", f"http://admin:{SECRET}@b.test", "http://@b.test"])
def test_base_urls_with_user_info_are_refused(af2: ModuleType, url: str) -> None:
    with pytest.raises(ValueError, match="user-info") as err:
        af2.Client(url, auth=af2.BasicAuth("admin", "pw"))
    assert SECRET not in str(err.value)


@pytest.mark.parametrize("version", list(COMMITTED))
def test_the_package_exports_the_runtime_list_once(version: str) -> None:
    """The runtime's ``__all__`` is the one list: the package re-exports exactly it (plus its own)."""
    pkg = load(version)
    own = {"AsyncClient", "Auth", "Client", "TOKEN_URL", "models"}  # Auth: the spec's schemes (all have some)
    assert set(pkg.__all__) - set(pkg._runtime.__all__) == own
    assert all(getattr(pkg, name) is getattr(pkg._runtime, name) for name in pkg._runtime.__all__)


# -- found by an adversarial review (each reproduced first) ----------------------------------------


def test_nested_passwords_are_redacted_too(af3: ModuleType) -> None:
    """FastAPI's 422 repeats the request in ``input``: a bulk body nests connections with passwords."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"detail": [{"msg": "bad", "input": json.loads(request.content)}]})

    models = af3.models
    entity = models.ConnectionBody(connection_id="c", conn_type="http", password=SECRET)
    body = models.BulkBodyConnectionBody(actions=[models.BulkCreateActionConnectionBody(entities=[entity])])
    with pytest.raises(af3.UnprocessableEntityError) as err:
        client(af3, handler).connection.bulk_connections(body)
    assert SECRET not in str(err.value) and SECRET not in repr(err.value.body) and "***" in str(err.value)


@pytest.mark.parametrize("make_auth", ["ApiKeyAuth", "BearerAuth", "BasicAuth"])
def test_credentials_with_control_characters_are_refused_before_sending(af2: ModuleType, make_auth: str) -> None:
    cls = getattr(af2, make_auth)
    with pytest.raises(ValueError, match="control character") as err:
        cls("admin", SECRET + "\n") if make_auth == "BasicAuth" else cls(SECRET + "\n")
    assert SECRET not in str(err.value)


def test_transport_errors_keep_their_cause_redacted_and_unchained(af2: ModuleType) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.LocalProtocolError(f"Illegal header value b'{request.headers['x-api-key']}\\n'")

    c = client(af2, handler, auth=af2.ApiKeyAuth(SECRET), max_retries=0)
    with pytest.raises(af2.ApiConnectionError) as err:
        c.monitoring.get_health()
    text = "".join(traceback.format_exception(err.value))
    assert SECRET not in text and "LocalProtocolError: Illegal header value" in str(err.value)
    assert err.value.__cause__ is None


@pytest.mark.parametrize("charset", ["idna", "punycode", "no-such-codec"])
def test_hostile_charsets_fall_back_to_utf8(af2: ModuleType, charset: str) -> None:
    headers = {"content-type": f"text/plain; charset={charset}"}
    with pytest.raises(af2.ServerError) as err:
        client(af2, lambda r: httpx.Response(500, content=b"oops\xff", headers=headers), max_retries=0).dag.get_dags()
    assert err.value.body.startswith("oops")


def test_deeply_nested_error_bodies_with_auth_stay_typed(af2: ModuleType) -> None:
    deep = b"[" * 900 + b"]" * 900
    answer = httpx.Response(400, content=deep, headers={"content-type": "application/json"})
    c = client(af2, lambda r: answer, auth=af2.BasicAuth("admin", SECRET))
    with pytest.raises(af2.BadRequestError):
        c.dag.get_dag("x")


@pytest.mark.parametrize("link", ["</api/v1/things?\tpage=2>", "</api/v1/things?page=2\x7f>"])
def test_control_characters_in_server_urls_are_refused(af2: ModuleType, link: str) -> None:
    endpoint = af2._runtime.Endpoint("GET", "/things", {"200": list[int]}, accept="application/json")
    c = client(af2, lambda r: httpx.Response(200, json=[1], headers={"link": f'{link}; rel="next"'}))
    with pytest.raises(af2.UnsafeLocationError):
        list(c.follow_links(endpoint))


def test_polling_never_busy_loops_on_retry_after_zero(af2: ModuleType, sleeps: list[float]) -> None:
    rt = af2._runtime
    endpoint = rt.Endpoint("POST", "/jobs", {"200": None, "202": None}, "application/json", polls_location=True)
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.method)
        if len(sent) < 5:
            return httpx.Response(202, headers={"location": "/api/v1/jobs/1", "retry-after": "0"})
        return httpx.Response(200)

    client(af2, handler).request(endpoint)
    assert sent == ["POST", "GET", "GET", "GET", "GET"]
    assert sleeps == [rt._poll_wait(n) for n in range(4)] and all(s >= rt.POLL_FIRST_WAIT for s in sleeps)


def test_streams_read_every_gzip_member_and_long_lines_in_linear_time(af3: ModuleType) -> None:
    members = b"".join(gzip.compress(b'{"n": %d}\r\n' % i) for i in range(5))
    headers = {"content-type": "application/x-ndjson", "content-encoding": "gzip"}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=httpx.ByteStream(members), headers=headers)

    lines = list(client(af3, handler).dag_run.wait_dag_run_until_finished_stream("d", "r", interval=1))
    assert lines == [{"n": i} for i in range(5)]

    class OneLongLine(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield b'{"log": "'
            for _ in range(4096):  # 16 MiB in 4 KiB chunks: quadratic splitting took minutes
                yield b"x" * 4096
            yield b'"}\n'

    long = client(af3, lambda r: httpx.Response(200, stream=OneLongLine()))
    started = time.monotonic()
    (line,) = list(long.dag_run.wait_dag_run_until_finished_stream("d", "r", interval=1))
    assert len(line["log"]) == 16 << 20 and time.monotonic() - started < 20


def test_raw_deflate_is_read(af2: ModuleType) -> None:
    import zlib

    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw = packer.compress(b'{"metadatabase": {"status": "healthy"}}') + packer.flush()
    headers = {"content-type": "application/json", "content-encoding": "deflate"}
    health = client(af2, lambda r: httpx.Response(200, stream=httpx.ByteStream(raw), headers=headers))
    assert health.monitoring.get_health().metadatabase.status == "healthy"


def test_bad_caller_arguments_are_value_errors(af2: ModuleType) -> None:
    with pytest.raises(ValueError, match="not a valid URL"):
        af2.Client("http://host:80x")
    for deadline in (float("inf"), float("nan"), 0, -1):
        with pytest.raises(ValueError, match="deadline"):
            client(af2, lambda r: httpx.Response(200, json={})).monitoring.get_health(
                options=af2.RequestOptions(deadline=deadline)
            )


def test_base_url_with_a_query_or_fragment_is_refused(af2: ModuleType) -> None:
    """``http://host/?x=1`` + ``/api/v1`` would send every call to ``/?x=1/api/v1``: refused up front."""
    for url in ("http://host/?token=s3cret", "http://host/airflow#s3cret", "http://host?", "http://host/#"):
        with pytest.raises(ValueError, match="query or fragment") as refused:
            af2.Client(url)
        assert "s3cret" not in str(refused.value)
    seen: list[str] = []
    ok = client(af2, lambda r: seen.append(str(r.url)) or httpx.Response(200, json={}), base="http://host/airflow/")
    ok.monitoring.get_health()
    assert seen == ["http://host/airflow/api/v1/health"]


def test_a_stream_past_its_deadline_says_so(af3: ModuleType) -> None:
    server = Loopback(quiet_then_lines(5.0))
    try:
        c = af3.Client(server.url)
        started = time.monotonic()
        with pytest.raises(af3.DeadlineExceededError):
            list(
                c.dag_run.wait_dag_run_until_finished_stream(
                    "d", "r", interval=5, options=af3.RequestOptions(deadline=1)
                )
            )
        assert time.monotonic() - started < 4
    finally:
        server.close()


def test_async_deadline_bounds_a_server_trickling_its_headers(af2: ModuleType) -> None:
    """No per-read timeout fires when each header byte comes in time; the async client bounds the whole
    wait for the head by the deadline (the sync one can bound each read only: see the README)."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def trickle() -> None:
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        for _ in range(40):
            time.sleep(0.25)
            try:
                conn.sendall(b"a")
            except OSError:
                break
        conn.close()

    threading.Thread(target=trickle, daemon=True).start()

    async def call() -> None:
        async with af2.AsyncClient(f"http://127.0.0.1:{listener.getsockname()[1]}", max_retries=0) as c:
            await c.dag.get_dag("a", options=af2.RequestOptions(deadline=1.0))

    started = time.monotonic()
    with pytest.raises(af2.DeadlineExceededError):
        asyncio.run(call())
    assert time.monotonic() - started < 3
    listener.close()


# -- issue 9: edges the first round left untested ---------------------------------------------------


@pytest.mark.parametrize("wbits", [15, -15], ids=["zlib-wrapped", "raw"])
def test_a_deflate_bomb_is_bounded_like_a_gzip_one(af2: ModuleType, wbits: int) -> None:
    """``deflate`` is the other coding the client offers (``Accept-Encoding: gzip, deflate``; no br),
    in both the standard zlib-wrapped form and the raw form some servers send."""
    import zlib

    limit = 1 << 20
    packer = zlib.compressobj(1, zlib.DEFLATED, wbits)
    bomb = packer.compress(b"[" + b" " * (200 << 20) + b"]") + packer.flush()  # 200 MiB inflated
    assert len(bomb) < 1 << 20

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["accept-encoding"] == "gzip, deflate"
        headers = {"content-type": "application/json", "content-encoding": "deflate"}
        return httpx.Response(200, stream=httpx.ByteStream(bomb), headers=headers)

    c = client(af2, handler, max_response_bytes=limit)
    tracemalloc.start()
    try:
        with pytest.raises(af2.ResponseTooLargeError) as err:
            c.dag.get_dags()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert err.value.limit == limit and peak < 12 * limit + len(bomb)


def test_the_default_size_limit_holds_without_any_setting(af2: ModuleType) -> None:
    """No ``max_response_bytes`` anywhere: the 64 MiB default still stops an endless body, and an
    announced Content-Length past it is refused before a byte is read."""
    chunks = 0

    class Endless(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            nonlocal chunks
            while True:
                chunks += 1
                yield b" " * (1 << 20)

    def endless(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Endless(), headers={"content-type": "application/json"})

    with pytest.raises(af2.ResponseTooLargeError) as err:
        client(af2, endless).dag.get_dags()
    assert err.value.limit == 64 * 1024 * 1024 == af2._runtime.DEFAULT_MAX_RESPONSE_BYTES
    assert 64 <= chunks <= 66  # stopped at the limit, not at the end of the (endless) body

    class Never(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            raise AssertionError("the body was read")

    def announced(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "application/json", "content-length": str((64 << 20) + 1)}
        return httpx.Response(200, stream=Never(), headers=headers)

    with pytest.raises(af2.ResponseTooLargeError):
        client(af2, announced).dag.get_dags()


def test_a_204_body_is_never_decoded_even_where_json_is_expected(af2: ModuleType) -> None:
    """``get_dag`` expects a JSON model; a 204 that carries broken JSON anyway is still no content."""
    headers = {"content-type": "application/json"}
    c = client(af2, lambda r: httpx.Response(204, content=b'{"dag_id": tr', headers=headers))
    assert c.dag.get_dag("d") is None
    c = client(af2, lambda r: httpx.Response(200, content=b'{"dag_id": tr', headers=headers))
    with pytest.raises(af2.ResponseValidationError):  # the same body on a 200 is refused
        c.dag.get_dag("d")


def test_async_stream_connect_failure_is_typed(af3: ModuleType, sleeps: list[float]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    async def consume() -> None:
        async with async_client(af3, handler) as c:
            async for _ in c.dag_run.wait_dag_run_until_finished_stream("d", "r", interval=1):
                pass

    with pytest.raises(af3.ApiConnectionError) as err:
        asyncio.run(consume())
    assert err.value.__cause__ is None or not isinstance(err.value.__cause__, httpx.HTTPError)


def restarted_server(secret: list[str]) -> tuple[dict[str, Any], Handler]:
    """An Airflow 3 api-server whose JWT secret changes on restart: every token signed before is
    answered 403 "Invalid JWT token" (AIRFLOW-FACTS: revoked or garbage JWT -> 403). ``forbidden``
    paths deny the permission to any valid token, as a role without it would."""
    state: dict[str, Any] = {"tokens": 0, "paths": []}

    def handler(request: httpx.Request) -> httpx.Response:
        state["paths"].append(request.url.path)
        if request.url.path == "/auth/token":
            state["tokens"] += 1
            return httpx.Response(201, json={"access_token": f"{jwt(time.time() + 3600)}.{secret[0]}{state['tokens']}"})
        if not request.headers.get("authorization", "").split(".")[-1].startswith(secret[0]):
            return httpx.Response(403, json={"detail": "Invalid JWT token"})
        if request.url.path.endswith("/pools"):
            return httpx.Response(403, json={"detail": "Forbidden"})
        return httpx.Response(200, json={"version": "3.3.2", "git_version": None})

    return state, handler


def test_a_token_the_server_stopped_honouring_is_replaced_once(af3: ModuleType) -> None:
    """The client did not log out, yet its cached token is now refused with a 403 (the api-server
    restarted with a new secret, or another holder of the token logged out). One new token and one
    retry make the call succeed; a client that kept the token would fail every call until restarted."""
    secret = ["one"]
    state, handler = restarted_server(secret)
    c = client(af3, handler, auth=af3.PasswordAuth("admin", "admin", token_url=af3.TOKEN_URL))
    assert c.version.get_version().version == "3.3.2"
    secret[0] = "two"  # the restart
    assert c.version.get_version().version == "3.3.2"
    assert c.version.get_version().version == "3.3.2"
    assert state["tokens"] == 2
    assert state["paths"].count("/api/v2/version") == 4  # one refused, then retried


def test_a_permission_denial_costs_no_token_request(af3: ModuleType) -> None:
    """A 403 that does not blame the token is a permission denial: raised as is, with no new token,
    whether the token is fresh or was honoured before (recorded Airflow 3: ``get_config`` answers
    403 when the configuration is not exposed)."""
    state, handler = restarted_server(["one"])
    c = client(af3, handler, auth=af3.PasswordAuth("admin", "admin", token_url=af3.TOKEN_URL))
    for _ in range(3):
        with pytest.raises(af3.PermissionDeniedError):
            c.pool.get_pools()
    assert c.version.get_version().version == "3.3.2"
    with pytest.raises(af3.PermissionDeniedError):
        c.pool.get_pools()
    assert state["tokens"] == 1 and state["paths"].count("/api/v2/pools") == 4

    async def calls() -> int:
        state, handler = restarted_server(["one"])
        async with async_client(af3, handler, auth=af3.PasswordAuth("a", "b", token_url=af3.TOKEN_URL)) as ac:
            await ac.version.get_version()
            for _ in range(3):
                with pytest.raises(af3.PermissionDeniedError):
                    await ac.pool.get_pools()
        return int(state["tokens"])

    assert asyncio.run(calls()) == 1


def test_a_token_still_refused_after_a_new_one_is_raised_not_looped(af3: ModuleType) -> None:
    """A server that calls every token invalid gets one new token and one retry per call, then the
    403 is raised: no loop, and the retry is not one of ``max_retries``."""
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        if request.url.path == "/auth/token":
            return httpx.Response(201, json={"access_token": jwt(time.time() + 3600)})
        headers = {"www-authenticate": 'Bearer error="invalid_token"'}
        return httpx.Response(403, json={"detail": "Forbidden"}, headers=headers)

    c = client(af3, handler, auth=af3.PasswordAuth("a", "b", token_url=af3.TOKEN_URL))
    with pytest.raises(af3.PermissionDeniedError):
        c.version.get_version()
    assert paths == ["/auth/token", "/api/v2/version", "/auth/token", "/api/v2/version"]


@pytest.mark.parametrize(
    "detail, blamed",
    [
        ("Invalid JWT token", True),
        ("Token has expired", True),
        ("revoked token", True),
        ("Forbidden", False),
        ("Your Airflow administrator chose not to expose the configuration, most likely for security reasons.", False),
        ("The token bucket of this pool is full; permission denied", False),
    ],
)
def test_which_403_bodies_blame_the_token(af3: ModuleType, detail: str, blamed: bool) -> None:
    auth = af3.PasswordAuth("a", "b", token_url="/auth/token")
    request = httpx.Request("GET", "http://h/api/v2/x", headers={"Authorization": "Bearer t"})
    body = json.dumps({"detail": detail}).encode()
    assert auth.refused(request, httpx.Headers(), body) is blamed


def test_an_async_client_replaces_a_token_the_server_stopped_honouring(af3: ModuleType) -> None:
    secret = ["one"]
    state, handler = restarted_server(secret)

    async def calls() -> list[str]:
        async with async_client(af3, handler, auth=af3.PasswordAuth("a", "b", token_url=af3.TOKEN_URL)) as ac:
            first = (await ac.version.get_version()).version
            secret[0] = "two"
            return [first, (await ac.version.get_version()).version]

    assert asyncio.run(calls()) == ["3.3.2", "3.3.2"] and state["tokens"] == 2


DAG = {"dag_id": "d", "is_paused": False, "tags": []}


def test_a_callers_http_client_keeps_its_headers_params_and_cookies_under_ours(af2: ModuleType) -> None:
    """What ``httpx.Client.build_request`` merges is still merged: the caller's http client's own
    headers (ours win where both set one), query parameters and cookies; and a header the caller
    changes between calls is sent as changed (the merge of its headers under ours is kept between
    calls, so it must notice)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=DAG)

    http = httpx.Client(
        transport=httpx.MockTransport(handler),
        headers={"X-Team": "a", "User-Agent": "theirs", "Accept": "text/plain"},
        params={"api_key": "k"},
        cookies={"jar": "1"},
    )
    c = af2.Client("http://af.test:8080", http_client=http, headers={"X-Mine": "m"})
    c.dag.get_dag("d")
    http.headers["X-Team"] = "b"
    c.dag.get_dag("d", options=af2.RequestOptions(headers={"X-Team": "per-call"}))
    c.dag.get_dag("d")
    first, second, third = seen
    assert first.headers["x-team"] == "a" and first.headers["x-mine"] == "m"
    assert first.headers["user-agent"].startswith("airflow_rest_2_10_5/")
    assert first.headers["accept"] == "application/json"
    assert first.url.params["api_key"] == "k" and first.headers["cookie"] == "jar=1"
    assert first.url.path == "/api/v1/dags/d"
    assert second.headers["x-team"] == "per-call"
    assert third.headers["x-team"] == "b" and third.headers["x-mine"] == "m"
    assert [r.headers.get_list("x-team") for r in seen] == [["a"], ["per-call"], ["b"]]  # never both


def test_per_call_headers_are_sent_as_given_whatever_calls_came_before(af2: ModuleType) -> None:
    """An operation's header set is merged once and kept: a later call with a caller's headers (or
    none) must not get another set's values, and no caller's header values are kept."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=DAG)

    c = client(af2, handler)
    for i in range(150):
        c.dag.get_dag("d", options=af2.RequestOptions(headers={"X-Request": str(i)}))
        c.dag.get_dag("d")
    c.dag.get_dag("d", options=af2.RequestOptions(headers={"X-Request": "7", "Accept": "*/*"}))
    sent = [(r.headers.get("x-request"), r.headers["accept"]) for r in seen]
    expected = [(value, "application/json") for i in range(150) for value in (str(i), None)]
    assert sent == [*expected, ("7", "*/*")]
    # only the operation's own set is kept: a caller's header values (a token, a request id) are not
    assert list(c._merged_headers[2]) == [(("Accept", "application/json"),)]


def test_an_async_callers_http_client_keeps_its_headers_params_and_cookies(af2: ModuleType) -> None:
    seen: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=DAG)

    async def main() -> None:
        http = httpx.AsyncClient(
            transport=httpx.MockTransport(handler), headers={"X-Team": "a"}, params={"api_key": "k"}
        )
        c = af2.AsyncClient("http://af.test:8080", http_client=http)
        await c.dag.get_dag("d")
        http.headers["X-Team"] = "b"
        await c.dag.get_dag("d")

    asyncio.run(main())
    assert [r.headers["x-team"] for r in seen] == ["a", "b"]
    assert all(r.url.params["api_key"] == "k" for r in seen)
