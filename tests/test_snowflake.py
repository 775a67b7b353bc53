"""The Snowflake Task API client, generated from the multi-file spec in ../shared, offline.

Exact exchanges (202 polling sequences, errors) through httpx.MockTransport; the same operations run
against Prism in tests/live/test_snowflake_prism.py. Skipped with a reason when ../shared is absent.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from clientgen.loader import load_spec
from clientgen.normalise import normalise
from tests.conftest import run_cli

Handler = Callable[[httpx.Request], httpx.Response]
TASK = {
    "name": "t1",
    "definition": "select 1",
    "schedule": {"schedule_type": "CRON_TYPE", "cron_expr": "0 * * * *", "timezone": "UTC"},
}
ACCEPTED = {"code": "000000", "message": "accepted", "resultHandle": "01b6"}


def client(pkg: Any, handler: Handler, **kwargs: Any) -> Any:
    return pkg.Client(
        "https://org-account.snowflakecomputing.com",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        **kwargs,
    )


def replies(*responses: httpx.Response) -> tuple[list[httpx.Request], Handler]:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return responses[min(len(sent), len(responses)) - 1]

    return sent, handler


def test_sixteen_operations_from_the_multi_file_spec(shared_snowflake: Any, snowflake_pkg: Any) -> None:
    api = normalise(load_spec(shared_snowflake))
    assert len(api.operations) == 16
    task = snowflake_pkg.Client("https://x").task
    assert all(callable(getattr(task, op.py_name)) for op in api.operations)
    custom_verbs = sorted(op.path.rsplit(":", 1)[1] for op in api.operations if ":" in op.path.rsplit("/", 1)[1])
    assert custom_verbs == ["execute", "get-tags", "resume", "set-tags", "suspend", "unset-tags"]


def test_schedule_is_polymorphic_by_schedule_type(snowflake_pkg: Any) -> None:
    m = snowflake_pkg.models
    cron = msgspec.json.decode(json.dumps(TASK), type=m.Task)
    assert isinstance(cron.schedule, m.CronSchedule) and cron.schedule.cron_expr == "0 * * * *"
    minutes = msgspec.json.decode(
        b'{"name":"t","definition":"d","schedule":{"schedule_type":"MINUTES_TYPE","minutes":5}}', type=m.Task
    )
    assert isinstance(minutes.schedule, m.MinutesSchedule) and minutes.schedule.minutes == 5
    body = json.loads(
        msgspec.json.encode(m.TaskRequest(name="t", definition="d", schedule=m.MinutesSchedule(minutes=10)))
    )
    assert body["schedule"] == {"schedule_type": "MINUTES_TYPE", "minutes": 10}


def test_bearer_token_and_token_type_header(snowflake_pkg: Any) -> None:
    sent, handler = replies(httpx.Response(200, json=[TASK]))
    tokens = iter(["jwt-1", "jwt-2"])
    auth = snowflake_pkg.BearerAuth(
        lambda: next(tokens), extra_headers={"X-Snowflake-Authorization-Token-Type": "KEYPAIR_JWT"}
    )
    c = client(snowflake_pkg, handler, auth=auth)
    c.task.list_tasks("db", "sc")
    c.task.list_tasks("db", "sc")
    assert [r.headers["authorization"] for r in sent] == ["Bearer jwt-1", "Bearer jwt-2"]
    assert sent[0].headers["x-snowflake-authorization-token-type"] == "KEYPAIR_JWT"


def test_query_parameters_and_custom_verb_paths(snowflake_pkg: Any) -> None:
    sent, handler = replies(httpx.Response(200, json={"status": "ok"}))
    c = client(snowflake_pkg, handler)
    c.task.create_task(
        "db", "sc", snowflake_pkg.models.TaskRequest(name="t1", definition="select 1"), create_mode="orReplace"
    )
    assert sent[-1].url.raw_path == b"/api/v2/databases/db/schemas/sc/tasks?createMode=orReplace"
    c.task.execute_task("my db", "sc", "task:1", retry_last=True)
    assert sent[-1].url.raw_path == b"/api/v2/databases/my%20db/schemas/sc/tasks/task%3A1:execute?retryLast=true"
    c.task.delete_task("db", "sc", "t1", if_exists=True)
    assert (sent[-1].method, sent[-1].url.raw_path) == (
        "DELETE",
        b"/api/v2/databases/db/schemas/sc/tasks/t1?ifExists=true",
    )
    sent, handler = replies(httpx.Response(200, json=[TASK]))
    client(snowflake_pkg, handler).task.list_tasks("db", "sc", root_only=True, show_limit=10, like="t%")
    assert sent[-1].url.query == b"rootOnly=true&like=t%25&showLimit=10"


def test_deprecated_underscore_paths_warn(snowflake_pkg: Any) -> None:
    sent, handler = replies(httpx.Response(200, json=[]))
    c = client(snowflake_pkg, handler)
    with pytest.warns(DeprecationWarning, match="get_complete_graphs_deprecated is deprecated"):
        c.task.get_complete_graphs_deprecated("db", "sc", "t1")
    assert sent[-1].url.path.endswith("/tasks/t1/complete_graphs")
    c.task.get_complete_graphs("db", "sc", "t1")
    assert sent[-1].url.path.endswith("/tasks/t1/complete-graphs")
    assert "Deprecated" in (type(c.task).get_complete_graphs_deprecated.__doc__ or "")


def test_202_is_polled_at_the_relative_location(snowflake_pkg: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    rt = __import__("snowflake_tasks._runtime", fromlist=["_"])
    monkeypatch.setattr(rt.time, "sleep", lambda s: None)
    sent, handler = replies(
        httpx.Response(202, json=ACCEPTED, headers={"Location": "/api/v2/results/01b6"}),
        httpx.Response(202, json=ACCEPTED),
        httpx.Response(
            200, json={"status": "Statement executed successfully."}, headers={"X-Snowflake-Request-ID": "req-7"}
        ),
    )
    raw = client(snowflake_pkg, handler).with_raw_response.task.execute_task("db", "sc", "t1")
    assert [(r.method, r.url.path) for r in sent] == [
        ("POST", "/api/v2/databases/db/schemas/sc/tasks/t1:execute"),
        ("GET", "/api/v2/results/01b6"),
        ("GET", "/api/v2/results/01b6"),
    ]
    assert raw.status == 200 and raw.data.status == "Statement executed successfully." and raw.request_id == "req-7"


def test_202_opt_out_and_foreign_location(snowflake_pkg: Any) -> None:
    sent, handler = replies(httpx.Response(202, json=ACCEPTED, headers={"Location": "/api/v2/results/01b6"}))
    accepted = client(snowflake_pkg, handler).task.execute_task(
        "db", "sc", "t1", async_exec=True, options=snowflake_pkg.RequestOptions(poll=False)
    )
    assert isinstance(accepted, snowflake_pkg.models.SuccessAcceptedResponse) and len(sent) == 1
    assert sent[0].url.params["asyncExec"] == "true"
    for location in (
        "https://evil.example/api/v2/results/01b6",
        "https://org-account.snowflakecomputing.com/api/v2/results/x",
    ):
        _, handler = replies(httpx.Response(202, json=ACCEPTED, headers={"Location": location}))
        with pytest.raises(snowflake_pkg.UnsafeLocationError):
            client(snowflake_pkg, handler).task.resume_task("db", "sc", "t1")


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, "BadRequestError"), (404, "NotFoundError"), (409, "ConflictError"), (503, "ServerError")],
)
def test_error_response_mapping(snowflake_pkg: Any, status: int, error: str) -> None:
    body = {"message": "Compilation error!", "error_code": "390189", "request_id": "01afef9d"}
    _, handler = replies(httpx.Response(status, json=body, headers={"X-Snowflake-Request-ID": "hdr-1"}))
    with pytest.raises(getattr(snowflake_pkg, error)) as err:
        client(snowflake_pkg, handler, max_retries=0).task.fetch_task("db", "sc", "t1")
    e = err.value
    assert (e.status, e.code, e.message, e.request_id) == (status, "390189", "Compilation error!", "hdr-1")
    assert "Compilation error!" in str(e)


def test_link_header_paging_of_list_tasks(snowflake_pkg: Any) -> None:
    pages = {
        "/api/v2/databases/db/schemas/sc/tasks": (
            [{"name": "a", "definition": "d"}],
            '</api/v2/results/h1?page=1>; rel="next"',
        ),
        "/api/v2/results/h1": ([{"name": "b", "definition": "d"}], None),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        items, link = pages[request.url.path]
        return httpx.Response(200, json=items, headers={"Link": link} if link else {})

    assert [t.name for t in client(snowflake_pkg, handler).task.iter_tasks("db", "sc")] == ["a", "b"]


@pytest.mark.corpus
def test_every_snowflake_spec_generates_imports_and_type_checks(shared_snowflake: Path, tmp_path: Path) -> None:
    """All 47 of Snowflake's REST specs (seven used to be refused: "schema nesting too deep" from
    variants that only wrap their base, a discriminator mapping to a missing schema)."""
    specs = sorted(p for p in shared_snowflake.parent.glob("*.yaml") if not p.name.startswith("common"))
    assert len(specs) == 47

    def generate(spec: Path) -> tuple[Path, str, subprocess.CompletedProcess[str]]:
        package = "sf_" + spec.stem.replace("-", "_")
        out = tmp_path / spec.stem
        return out, package, run_cli("generate", spec, "-o", out, "--package-name", package)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(generate, specs))
    failed = {out.name: result.stderr.strip().splitlines()[-1:] for out, _, result in results if result.returncode != 0}
    assert failed == {}
    assert not [r.stderr for _, _, r in results if "Traceback" in r.stderr]
    for out, package, _ in results:
        sys.path.insert(0, str(out))
        try:
            module = importlib.import_module(package)
            with module.Client("http://localhost:1") as client:
                assert client.base_url.startswith("http://localhost:1")
        finally:
            sys.path.remove(str(out))
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / ".mypy_cache"),
         *(arg for _, package, _ in results for arg in ("-p", package))],
        env={**os.environ, "MYPYPATH": os.pathsep.join(str(out) for out, _, _ in results)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout[-3000:]
