"""The hand-written runtime, tested once through the focused golden client (tests/golden/focused),
with httpx.MockTransport for exact exchanges and a loopback server for concurrency."""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import json
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "golden" / "focused"


@pytest.fixture(scope="module")
def pkg() -> Iterator[ModuleType]:
    sys.path.insert(0, str(GOLDEN))
    try:
        import focused_client

        yield focused_client
    finally:
        sys.path.remove(str(GOLDEN))


@pytest.fixture
def rt(pkg: ModuleType) -> ModuleType:
    return sys.modules["focused_client._runtime"]


@pytest.fixture
def sleeps(rt: ModuleType, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the runtime's sleeps instead of sleeping."""
    recorded: list[float] = []
    monkeypatch.setattr(rt.time, "sleep", recorded.append)
    return recorded


Handler = Callable[[httpx.Request], httpx.Response]
JOB = {"name": "n", "job_id": "j1", "state": "queued"}


def make(pkg: ModuleType, handler: Handler, **kwargs: Any) -> Any:
    transport = httpx.MockTransport(handler)
    return pkg.Client("http://api.test", http_client=httpx.Client(transport=transport), **kwargs)


def recorder(*responses: httpx.Response | Exception) -> tuple[list[httpx.Request], Handler]:
    """A handler answering with ``responses`` in turn (the last one repeats)."""
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        answer = responses[min(len(sent), len(responses)) - 1]
        if isinstance(answer, Exception):
            raise answer
        # a fresh copy: a response's body can be streamed once, and the last answer repeats
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    return sent, handler


# -- transport -------------------------------------------------------------------------------------


def test_context_manager_closes_its_own_http_client_only(pkg: ModuleType) -> None:
    with pkg.Client("http://api.test") as client:
        assert client._http is None  # nothing built until the first request
        own = client._http_client()
    assert own.is_closed
    supplied = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(204)))
    with pkg.Client("http://api.test", http_client=supplied) as client:
        assert client.job.delete_job("x") is None
    assert not supplied.is_closed


def test_base_url_gets_the_spec_server_path_once(pkg: ModuleType) -> None:
    assert pkg.Client("http://h:8080").base_url == "http://h:8080/api/v1"
    assert pkg.Client("http://h:8080/api/v1/").base_url == "http://h:8080/api/v1"


def test_tls_is_verified_and_redirects_are_not_followed_by_default(pkg: ModuleType) -> None:
    http = pkg.Client("https://api.test")._http_client()
    assert http._transport._pool._ssl_context.verify_mode.name == "CERT_REQUIRED"
    assert http.follow_redirects is False


# -- auth ------------------------------------------------------------------------------------------


def test_auth_is_sent_whatever_the_spec_security_says(pkg: ModuleType) -> None:
    sent, handler = recorder(httpx.Response(204))
    make(pkg, handler, auth=pkg.BasicAuth("admin", "pa:ss")).job.delete_job("x")
    assert sent[-1].headers["authorization"] == "Basic YWRtaW46cGE6c3M="


def test_bearer_token_callable_is_asked_per_request(pkg: ModuleType) -> None:
    tokens = iter(["t1", "t2"])
    sent, handler = recorder(httpx.Response(204))
    auth = pkg.BearerAuth(lambda: next(tokens), extra_headers={"X-Token-Type": "OAUTH"})
    client = make(pkg, handler, auth=auth)
    client.job.delete_job("a")
    client.job.delete_job("b")
    assert [r.headers["authorization"] for r in sent] == ["Bearer t1", "Bearer t2"]
    assert sent[0].headers["x-token-type"] == "OAUTH"


def test_api_key_auth(pkg: ModuleType) -> None:
    sent, handler = recorder(httpx.Response(204))
    make(pkg, handler, auth=pkg.ApiKeyAuth("k-123", header="X-Api-Key")).job.delete_job("a")
    assert sent[-1].headers["x-api-key"] == "k-123"


def test_credentials_never_shown(pkg: ModuleType, caplog: pytest.LogCaptureFixture) -> None:
    secret = "hunter2-secret"
    for auth in (pkg.BasicAuth("admin", secret), pkg.BearerAuth(secret), pkg.ApiKeyAuth(secret)):
        assert secret not in repr(auth)
    _, handler = recorder(httpx.Response(401, json={"title": "Unauthorized", "detail": None}))
    with pytest.raises(ValueError, match="user-info") as refused:
        pkg.Client(f"http://user:{secret}@api.test")
    assert secret not in str(refused.value)
    client = pkg.Client(
        "http://api.test",
        auth=pkg.BasicAuth("admin", secret),
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    assert secret not in repr(client)
    with caplog.at_level(logging.DEBUG, logger="focused_client"), pytest.raises(pkg.AuthenticationError) as err:
        client.job.get_jobs()
    assert secret not in str(err.value) and secret not in err.value.url and "user" not in err.value.url
    assert caplog.records and all(secret not in r.getMessage() for r in caplog.records)


# -- timeouts --------------------------------------------------------------------------------------


def test_finite_default_timeout_overridable_per_client_and_call(pkg: ModuleType) -> None:
    sent, handler = recorder(httpx.Response(204))
    client = make(pkg, handler)
    client.job.delete_job("a")
    default = sent[-1].extensions["timeout"]
    assert default == {"connect": 10.0, "read": 30.0, "write": 30.0, "pool": 30.0}
    make(pkg, handler, timeout=3.0).job.delete_job("a")
    assert sent[-1].extensions["timeout"]["read"] == 3.0
    client.job.delete_job("a", options=pkg.RequestOptions(timeout=httpx.Timeout(1.0, connect=0.5)))
    assert sent[-1].extensions["timeout"] == {"connect": 0.5, "read": 1.0, "write": 1.0, "pool": 1.0}


# -- retries ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_idempotent_calls_retry_transient_statuses(pkg: ModuleType, sleeps: list[float], status: int) -> None:
    sent, handler = recorder(httpx.Response(status), httpx.Response(204))
    assert make(pkg, handler).job.delete_job("j1") is None
    assert len(sent) == 2 and len(sleeps) == 1
    sent, handler = recorder(httpx.Response(status), httpx.Response(200, json=JOB))
    with pytest.raises(pkg.ApiError) as err:  # PATCH is not idempotent: not retried
        make(pkg, handler).job.patch_job("j1", name="n")
    assert err.value.status == status and len(sent) == 1


def test_retries_stop_after_max_and_zero_disables(pkg: ModuleType, sleeps: list[float]) -> None:
    sent, handler = recorder(httpx.Response(503, text="busy"))
    with pytest.raises(pkg.ServerError):
        make(pkg, handler, max_retries=3).job.delete_job("j1")
    assert len(sent) == 4 and len(sleeps) == 3
    sent, handler = recorder(httpx.Response(503))
    with pytest.raises(pkg.ServerError):
        make(pkg, handler, max_retries=0).job.delete_job("j1")
    assert len(sent) == 1
    sent, handler = recorder(httpx.Response(503))
    with pytest.raises(pkg.ServerError):
        make(pkg, handler).job.delete_job("j1", options=pkg.RequestOptions(max_retries=1))
    assert len(sent) == 2


def test_backoff_is_exponential_with_full_jitter(rt: ModuleType) -> None:
    for attempt in range(8):
        cap = min(rt.BACKOFF_CAP, rt.BACKOFF_BASE * 2**attempt)
        samples = [rt.backoff(attempt) for _ in range(200)]
        assert all(0.0 <= s <= cap for s in samples)
        assert max(samples) > cap / 2  # jitter spans the range, not a constant


def test_retry_after_seconds_and_http_date_capped(pkg: ModuleType, rt: ModuleType, sleeps: list[float]) -> None:
    _, handler = recorder(httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(204))
    make(pkg, handler).job.delete_job("a")
    assert sleeps == [7.0]
    when = email.utils.format_datetime(datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=30))
    _, handler = recorder(httpx.Response(503, headers={"Retry-After": when}), httpx.Response(204))
    make(pkg, handler).job.delete_job("a")
    assert 27.0 <= sleeps[-1] <= 30.0
    _, handler = recorder(httpx.Response(503, headers={"Retry-After": "86400"}), httpx.Response(204))
    make(pkg, handler).job.delete_job("a")
    assert sleeps[-1] == rt.MAX_RETRY_AFTER


def test_post_retried_only_when_it_never_reached_the_server(pkg: ModuleType, sleeps: list[float]) -> None:
    sent, handler = recorder(httpx.Response(503))
    with pytest.raises(pkg.ServerError):
        make(pkg, handler).job.post_job(name="n")
    assert len(sent) == 1  # a 503 to a POST may have done the work
    sent, handler = recorder(httpx.ConnectError("refused"), httpx.Response(200, json=JOB))
    assert make(pkg, handler).job.post_job(name="n").job_id == "j1"
    assert len(sent) == 2
    sent, handler = recorder(httpx.ReadTimeout("slow"), httpx.Response(200, json=JOB))
    with pytest.raises(pkg.ApiTimeoutError):
        make(pkg, handler).job.post_job(name="n")
    assert len(sent) == 1
    sent, handler = recorder(httpx.ReadTimeout("slow"), httpx.Response(204))
    make(pkg, handler).job.delete_job("a")  # DELETE is idempotent: a read timeout is retried
    assert len(sent) == 2


def test_network_failures_raise_their_own_types(pkg: ModuleType, sleeps: list[float]) -> None:
    _, handler = recorder(httpx.ConnectError("refused"))
    with pytest.raises(pkg.ApiConnectionError) as err:
        make(pkg, handler, max_retries=1).job.delete_job("a")
    assert not isinstance(err.value, pkg.ApiTimeoutError) and err.value.method == "DELETE"
    _, handler = recorder(httpx.ConnectTimeout("slow"))
    with pytest.raises(pkg.ApiTimeoutError):
        make(pkg, handler, max_retries=0).job.delete_job("a")


# -- errors ----------------------------------------------------------------------------------------

PROBLEM = {"type": "about:blank", "title": "Conflict", "status": 409, "detail": "exists", "instance": "/jobs/j1"}


@pytest.mark.parametrize(
    ("status", "name"),
    [
        (400, "BadRequestError"),
        (401, "AuthenticationError"),
        (403, "PermissionDeniedError"),
        (404, "NotFoundError"),
        (409, "ConflictError"),
        (422, "UnprocessableEntityError"),
        (429, "RateLimitError"),
        (500, "ServerError"),
        (503, "ServerError"),
        (418, "UnexpectedStatusError"),
    ],
)
def test_status_families_map_to_error_classes(pkg: ModuleType, status: int, name: str, sleeps: list[float]) -> None:
    _, handler = recorder(httpx.Response(status, json={"detail": "x"}, headers={"X-Request-ID": "req-9"}))
    with pytest.raises(getattr(pkg, name)) as err:
        make(pkg, handler, max_retries=0).job.get_jobs()
    error = err.value
    assert isinstance(error, pkg.ApiError)
    assert (error.method, error.url, error.status) == ("GET", "http://api.test/api/v1/jobs", status)
    assert error.headers["x-request-id"] == "req-9" and error.request_id == "req-9"


def test_problem_json_fastapi_and_text_bodies(pkg: ModuleType) -> None:
    _, handler = recorder(httpx.Response(409, json=PROBLEM, headers={"content-type": "application/problem+json"}))
    with pytest.raises(pkg.ConflictError) as conflict:
        make(pkg, handler).job.post_job(name="n")
    e = conflict.value
    assert (e.type, e.title, e.detail, e.instance, e.body) == ("about:blank", "Conflict", "exists", "/jobs/j1", PROBLEM)
    fastapi = {"detail": [{"type": "missing", "loc": ["body", "name"], "msg": "Field required"}]}
    _, handler = recorder(httpx.Response(422, json=fastapi))
    with pytest.raises(pkg.UnprocessableEntityError) as invalid:
        make(pkg, handler).job.post_job(name="n")
    assert invalid.value.detail[0]["loc"] == ["body", "name"]
    _, handler = recorder(httpx.Response(500, text="<html>Ooops</html>", headers={"content-type": "text/html"}))
    with pytest.raises(pkg.ServerError) as server:
        make(pkg, handler).job.post_job(name="n")
    assert server.value.body == "<html>Ooops</html>" and "Ooops" in str(server.value)


# -- content negotiation and encoding --------------------------------------------------------------


def test_accept_names_what_the_operation_declares(pkg: ModuleType) -> None:
    sent, handler = recorder(
        httpx.Response(200, json={"content": "c"}),
        httpx.Response(200, text="plain log", headers={"content-type": "text/plain"}),
    )
    client = make(pkg, handler)
    assert client.log.get_job_log("j").content == "c"
    assert client.log.get_job_log("j", accept="text/plain") == "plain log"
    assert [r.headers["accept"] for r in sent] == ["application/json", "text/plain"]
    assert all("*/*" not in r.headers["accept"] for r in sent)


@pytest.mark.parametrize(
    ("value", "segment"),
    [
        ("a/b", b"a%2Fb"),
        ("run+1:2", b"run%2B1%3A2"),
        ("100%", b"100%25"),
        ("has space", b"has%20space"),
        (".", b"%2E"),
        ("..", b"%2E%2E"),
        ("~", b"~"),
        ("manual__2026-11-21T04:17:58.936582+00:00", b"manual__2026-11-21T04%3A17%3A58.936582%2B00%3A00"),
    ],
)
def test_path_parameters_are_one_segment(pkg: ModuleType, value: str, segment: bytes) -> None:
    sent, handler = recorder(httpx.Response(204))
    make(pkg, handler).job.delete_job(value)
    assert sent[-1].url.raw_path == b"/api/v1/jobs/" + segment


@pytest.mark.parametrize(
    ("given", "segment"),
    [
        (lambda pkg: 7, b"7"),
        (lambda pkg: True, b"true"),
        (lambda pkg: pkg.models.JobState.QUEUED, b"queued"),  # a str enum is not type str
        (lambda pkg: "q\u00e9", b"q%C3%A9"),
    ],
)
def test_path_parameters_not_plain_strings_are_written_as_text(
    pkg: ModuleType, given: Callable[[ModuleType], object], segment: bytes
) -> None:
    sent, handler = recorder(httpx.Response(204))
    make(pkg, handler).job.delete_job(given(pkg))
    assert sent[-1].url.raw_path == b"/api/v1/jobs/" + segment


@pytest.mark.parametrize("missing", [None, "UNSET"])
def test_missing_path_parameter_refused_before_sending(pkg: ModuleType, missing: object) -> None:
    sent, handler = recorder(httpx.Response(204))
    with pytest.raises(ValueError, match="path parameter 'job_id' is required"):
        make(pkg, handler).job.delete_job(pkg.UNSET if missing == "UNSET" else missing)
    assert sent == []


def test_empty_path_parameter_refused_before_sending(pkg: ModuleType) -> None:
    sent, handler = recorder(httpx.Response(204))
    with pytest.raises(ValueError, match="must not be empty"):
        make(pkg, handler).job.delete_job("")
    assert sent == []


def test_query_serialisation(pkg: ModuleType) -> None:
    sent, handler = recorder(httpx.Response(200, json={"jobs": [], "total_entries": 0}))
    client = make(pkg, handler)
    client.job.get_jobs()
    assert sent[-1].url.query == b""  # nothing set, nothing sent
    client.job.get_jobs(limit=5, state=[pkg.models.JobState.QUEUED, "running"])
    assert sent[-1].url.query == b"limit=5&state=queued&state=running"
    sent, handler = recorder(httpx.Response(200, json=JOB))
    make(pkg, handler).job.patch_job("j", name="x", update_mask=["name", "state"])
    assert sent[-1].url.query == b"update_mask=name%2Cstate"


def test_booleans_and_datetimes_in_query(rt: ModuleType) -> None:
    aware = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    pairs = rt.build_query({"flag": True, "off": False, "since": aware, "skip": rt.UNSET}, {})
    assert pairs == [("flag", "true"), ("off", "false"), ("since", "2026-01-02T03:04:05+02:00")]
    with pytest.raises(ValueError, match="naive datetime"):
        rt.build_query({"since": datetime.datetime(2026, 1, 2)}, {})


# -- update_mask and bodies ------------------------------------------------------------------------


def test_update_mask_from_fields_set(pkg: ModuleType) -> None:
    sent, handler = recorder(httpx.Response(200, json=JOB))
    client = make(pkg, handler)
    client.job.patch_job("j1", state=None)
    assert sent[-1].url.params["update_mask"] == "state"
    assert json.loads(sent[-1].content) == {"state": None}
    client.job.patch_job("j1", pkg.models.JobPatch(name="new"))
    assert sent[-1].url.params["update_mask"] == "name" and json.loads(sent[-1].content) == {"name": "new"}
    client.job.patch_job("j1", pkg.models.JobPatch(name="new"), params={"a": 1})  # keywords add to the model
    assert sent[-1].url.params["update_mask"] == "name,params"
    client.job.patch_job("j1", name="x", update_mask=["name"])
    assert sent[-1].url.params["update_mask"] == "name"


def test_request_models_cannot_carry_read_only_fields(pkg: ModuleType) -> None:
    with pytest.raises(TypeError):
        pkg.models.JobRequest(name="n", job_id="j1")


# -- pagination ------------------------------------------------------------------------------------


def test_offset_pagination_until_total_or_short_page(pkg: ModuleType) -> None:
    def pages(total: int, reported: int | None) -> tuple[list[httpx.Request], Handler]:
        sent: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            sent.append(request)
            offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
            jobs = [{"name": f"j{i}"} for i in range(offset, min(total, offset + limit))]
            body: dict[str, Any] = {"jobs": jobs}
            if reported is not None:
                body["total_entries"] = reported
            return httpx.Response(200, json=body)

        return sent, handler

    sent, handler = pages(10, 10)
    assert [j.name for j in make(pkg, handler).job.iter_jobs(page_size=4)] == [f"j{i}" for i in range(10)]
    assert [r.url.params["offset"] for r in sent] == ["0", "4", "8"]
    sent, handler = pages(8, None)  # no total: stops at the first short page
    assert len(list(make(pkg, handler).job.iter_jobs(page_size=4))) == 8 and len(sent) == 3
    sent, handler = pages(8, 8)  # exact multiple: total stops it without an empty extra page
    assert len(list(make(pkg, handler).job.iter_jobs(page_size=4))) == 8 and len(sent) == 2


def test_async_pagination(pkg: ModuleType) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        jobs = [{"name": f"j{i}"} for i in range(offset, min(5, offset + 2))]
        return httpx.Response(200, json={"jobs": jobs, "total_entries": 5})

    async def collect() -> list[str]:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        async with pkg.AsyncClient("http://api.test", http_client=http) as client:
            return [job.name async for job in client.job.iter_jobs(page_size=2)]

    assert asyncio.run(collect()) == ["j0", "j1", "j2", "j3", "j4"]


def test_link_header_pagination(pkg: ModuleType) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        page = int(request.url.params.get("page", "1"))
        links = {"Link": f'</api/v1/exports?page={page + 1}>; rel="next", </api/v1/exports?page=1>; rel="first"'}
        return httpx.Response(200, json=[{"id": f"e{page}"}], headers=links if page < 3 else {})

    assert [e.id for e in make(pkg, handler).export.iter_exports(prefix="p")] == ["e1", "e2", "e3"]
    assert sent[0].url.params["prefix"] == "p" and sent[2].url.raw_path == b"/api/v1/exports?page=3"

    def foreign(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[{"id": "e1"}], headers={"Link": '<http://evil.test/steal>; rel="next"'})

    with pytest.raises(pkg.UnsafeLocationError):
        list(make(pkg, foreign).export.iter_exports())


# -- 202 Accepted ----------------------------------------------------------------------------------

ACCEPTED = {"code": "000000", "message": "accepted", "result_handle": "h1"}


def test_202_polls_the_location_until_done(pkg: ModuleType, sleeps: list[float]) -> None:
    sent, handler = recorder(
        httpx.Response(202, json=ACCEPTED, headers={"Location": "/api/v2/results/h1"}),
        httpx.Response(202, json=ACCEPTED),
        httpx.Response(202, json=ACCEPTED, headers={"Retry-After": "2"}),
        httpx.Response(200, json={"id": "e1", "rows": 3}, headers={"X-Request-ID": "r-1"}),
    )
    client = make(pkg, handler)
    result = client.with_raw_response.export.start_export()
    assert isinstance(result.data, pkg.models.ExportResult) and result.data.rows == 3
    assert result.status == 200 and result.request_id == "r-1"
    assert [(r.method, r.url.path) for r in sent] == [("POST", "/api/v1/exports")] + [("GET", "/api/v2/results/h1")] * 3
    assert sleeps[0] == 0.5 and sleeps[1] == 0.75 and sleeps[2] == 2.0  # growing waits, Retry-After honoured


def test_202_opt_out_returns_the_accepted_body(pkg: ModuleType) -> None:
    sent, handler = recorder(httpx.Response(202, json=ACCEPTED, headers={"Location": "/api/v2/results/h1"}))
    accepted = make(pkg, handler).export.start_export(options=pkg.RequestOptions(poll=False))
    assert isinstance(accepted, pkg.models.Accepted) and accepted.result_handle == "h1" and len(sent) == 1


@pytest.mark.parametrize("location", ["http://evil.test/api/v2/results/h1", "//evil.test/x", "http://api.test/x"])
def test_202_location_absolute_or_foreign_is_refused(pkg: ModuleType, location: str, sleeps: list[float]) -> None:
    sent, handler = recorder(httpx.Response(202, json=ACCEPTED, headers={"Location": location}))
    with pytest.raises(pkg.UnsafeLocationError):
        make(pkg, handler).export.start_export()
    assert len(sent) == 1


def test_202_polling_deadline(pkg: ModuleType, rt: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [0.0]
    monkeypatch.setattr(rt.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(rt.time, "sleep", lambda s: clock.__setitem__(0, clock[0] + s))
    _, handler = recorder(httpx.Response(202, json=ACCEPTED, headers={"Location": "/api/v2/results/h1"}))
    with pytest.raises(pkg.PollTimeoutError):
        make(pkg, handler).export.start_export(options=pkg.RequestOptions(poll_timeout=20))
    assert clock[0] <= 20


def test_call_deadline_bounds_202_polling(pkg: ModuleType, rt: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """``deadline`` covers the whole call: polling stops at it, long before ``poll_timeout``."""
    clock = [0.0]
    monkeypatch.setattr(rt.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(rt.time, "sleep", lambda s: clock.__setitem__(0, clock[0] + s))
    sent, handler = recorder(httpx.Response(202, json=ACCEPTED, headers={"Location": "/api/v2/results/h1"}))
    with pytest.raises(pkg.DeadlineExceededError):
        make(pkg, handler).export.start_export(options=pkg.RequestOptions(deadline=5, poll_timeout=300))
    assert clock[0] <= 5 and len(sent) >= 3


# -- raw access and logging ------------------------------------------------------------------------


def test_raw_response_sync_and_async(pkg: ModuleType) -> None:
    _, handler = recorder(httpx.Response(200, json=JOB, headers={"X-Request-ID": "abc"}))
    raw = make(pkg, handler).with_raw_response.job.patch_job("j1", name="n")
    assert (raw.status, raw.headers["x-request-id"], raw.request_id) == (200, "abc", "abc")
    assert raw.data.job_id == "j1"

    async def run() -> Any:
        async def ahandler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(204)

        http = httpx.AsyncClient(transport=httpx.MockTransport(ahandler))
        async with pkg.AsyncClient("http://api.test", http_client=http) as client:
            return await client.with_raw_response.job.delete_job("j1")

    raw = asyncio.run(run())
    assert raw.status == 204 and raw.data is None


def test_debug_log_line_per_request(pkg: ModuleType, caplog: pytest.LogCaptureFixture) -> None:
    _, handler = recorder(httpx.Response(204))
    with caplog.at_level(logging.DEBUG, logger="focused_client"):
        make(pkg, handler, auth=pkg.BearerAuth("tok-secret")).job.delete_job("j1")
    lines = [r.getMessage() for r in caplog.records if r.name == "focused_client"]
    assert len(lines) == 1
    assert lines[0].startswith("DELETE http://api.test/api/v1/jobs/j1 -> 204 (") and lines[0].endswith(" ms)")
    assert "tok-secret" not in caplog.text


# -- concurrency -----------------------------------------------------------------------------------


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_PATCH(self) -> None:
        length = int(self.headers.get("content-length", 0))
        body = json.loads(self.rfile.read(length))
        job_id = self.path.split("/")[4].split("?")[0]
        payload = json.dumps({"job_id": job_id, "name": body["name"]}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    request_queue_size = 512  # socketserver's default backlog of 5 resets bursts of connections
    daemon_threads = True


@pytest.fixture(scope="module")
def loopback() -> Iterator[str]:
    server = _Server(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_sync_client_shared_by_8_threads(pkg: ModuleType, loopback: str) -> None:
    with pkg.Client(loopback) as client:

        def call(i: int) -> tuple[int, str | None, str | None]:
            job = client.job.patch_job(f"job-{i}", name=f"name-{i}")
            return i, job.job_id, job.name

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(call, range(200)))
    assert results == [(i, f"job-{i}", f"name-{i}") for i in range(200)]


def test_async_client_with_200_concurrent_tasks(pkg: ModuleType, loopback: str) -> None:
    async def run() -> list[tuple[str | None, str | None]]:
        async with pkg.AsyncClient(loopback) as client:
            jobs = await asyncio.gather(*(client.job.patch_job(f"job-{i}", name=f"name-{i}") for i in range(200)))
            return [(job.job_id, job.name) for job in jobs]

    assert asyncio.run(run()) == [(f"job-{i}", f"name-{i}") for i in range(200)]


def test_unknown_union_variant_is_left_out_not_fatal(pkg: ModuleType, caplog: pytest.LogCaptureFixture) -> None:
    """A newer server may add a variant of a tagged union (a new schedule kind): the call still works;
    the optional field holding it is left out (with a warning), list items of it are dropped."""
    body = {"name": "n", "schedule": {"kind": "Weekly", "day": "mon"}, "state": "queued"}
    _, handler = recorder(httpx.Response(200, json=body))
    with caplog.at_level(logging.WARNING, logger="focused_client"):
        job = make(pkg, handler).job.patch_job("j1", name="n")
    assert job.name == "n" and job.schedule is pkg.UNSET and job.state == "queued"
    assert "unknown variant" in caplog.text
    _, handler = recorder(httpx.Response(200, json={"name": "n", "schedule": {"kind": "Every", "seconds": 2}}))
    assert make(pkg, handler).job.patch_job("j1", name="n").schedule == pkg.models.Every(seconds=2)
    _, handler = recorder(httpx.Response(200, json={"name": 7}))  # other mismatches still fail loudly
    with pytest.raises(Exception, match="Expected `str`"):
        make(pkg, handler).job.patch_job("j1", name="n")
