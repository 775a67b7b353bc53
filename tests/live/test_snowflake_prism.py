"""All 16 Snowflake Task operations against Prism, the spec-validating mock server (`pytest -m live`).

Prism is installed from npm by scripts/prism.py into .local/prism and started here on 127.0.0.1 from the
multi-file spec in ../shared. Every request is validated against the spec; a violation comes back in an
`sl-violations` header, and any violation fails the test. `Prefer: code=NNN` drives the 202 and error paths.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def prism_url(shared_snowflake: Path) -> Iterator[str]:
    sys.path.insert(0, str(ROOT / "scripts"))
    import prism

    server = prism.start(shared_snowflake)
    try:
        yield server.base_url
    finally:
        prism.stop(server)


@pytest.fixture
def violations() -> list[str]:
    return []


@pytest.fixture
def sf(snowflake_pkg: Any, prism_url: str, violations: list[str]) -> Any:
    def check(response: httpx.Response) -> None:
        if "sl-violations" in response.headers:
            violations.append(f"{response.request.method} {response.request.url}: {response.headers['sl-violations']}")

    http = httpx.Client(event_hooks={"response": [check]})
    auth = snowflake_pkg.BearerAuth("token", extra_headers={"X-Snowflake-Authorization-Token-Type": "KEYPAIR_JWT"})
    return snowflake_pkg.Client(prism_url, auth=auth, http_client=http, max_retries=0)


def test_all_sixteen_operations_without_violations(sf: Any, snowflake_pkg: Any, violations: list[str]) -> None:
    """Prism answers with data generated from the schemas. TaskSchedule.schedule_type is a free string
    there (only the discriminator mapping names CRON_TYPE / MINUTES_TYPE), so Prism may invent a tag no
    client knows: the client then leaves that optional field out instead of failing (as for a newer server)."""
    m = snowflake_pkg.models
    task = m.TaskRequest(
        name="clientgen_task", definition="select 1", warehouse="wh", schedule=m.MinutesSchedule(minutes=10)
    )
    results = {
        "list_tasks": sf.task.list_tasks("db", "sc", root_only=True, like="client%", show_limit=10, from_name="a"),
        "create_task": sf.task.create_task("db", "sc", task, create_mode=m.CreateMode.ERROR_IF_EXISTS),
        "create_or_alter_task": sf.task.create_or_alter_task("db", "sc", "clientgen_task", task),
        "fetch_task": sf.task.fetch_task("db", "sc", "clientgen_task"),
        "delete_task": sf.task.delete_task("db", "sc", "clientgen_task", if_exists=True),
        "execute_task": sf.task.execute_task("db", "sc", "clientgen_task", retry_last=False),
        "resume_task": sf.task.resume_task("db", "sc", "clientgen_task"),
        "suspend_task": sf.task.suspend_task("db", "sc", "clientgen_task"),
        "fetch_task_dependents": sf.task.fetch_task_dependents("db", "sc", "clientgen_task", recursive=True),
        "get_complete_graphs": sf.task.get_complete_graphs(
            "db", "sc", "clientgen_task", result_limit=5, error_only=False
        ),
        "get_current_graphs": sf.task.get_current_graphs("db", "sc", "clientgen_task"),
        "get_tags": sf.task.get_tags("db", "sc", "clientgen_task", with_lineage=True),
        "set_tags": sf.task.set_tags(
            "db", "sc", "clientgen_task", [m.TagAssignmentRequest(tag_name="team", tag_value="data")]
        ),
        "unset_tags": sf.task.unset_tags(
            "db", "sc", "clientgen_task", [m.TagReference(tag_name="team")], if_exists=True
        ),
    }
    with pytest.warns(DeprecationWarning):
        results["get_complete_graphs_deprecated"] = sf.task.get_complete_graphs_deprecated("db", "sc", "clientgen_task")
    with pytest.warns(DeprecationWarning):
        results["get_current_graphs_deprecated"] = sf.task.get_current_graphs_deprecated("db", "sc", "clientgen_task")
    assert len(results) == 16
    assert violations == []  # not one request or response Prism found at odds with the spec

    fetched = results["fetch_task"]
    assert isinstance(fetched, m.Task) and isinstance(fetched.name, str) and isinstance(fetched.definition, str)
    assert fetched.schedule is snowflake_pkg.UNSET or isinstance(fetched.schedule, (m.CronSchedule, m.MinutesSchedule))
    assert all(isinstance(t, m.Task) for t in results["list_tasks"] + results["fetch_task_dependents"])
    assert all(isinstance(r, m.TaskRun) for r in results["get_complete_graphs"])
    for name in ("create_task", "delete_task", "execute_task", "resume_task", "suspend_task", "set_tags", "unset_tags"):
        assert isinstance(results[name], m.SuccessResponse), name


def test_202_opt_out_through_prism(sf: Any, snowflake_pkg: Any, violations: list[str]) -> None:
    options = snowflake_pkg.RequestOptions(headers={"Prefer": "code=202"}, poll=False)
    raw = sf.with_raw_response.task.execute_task("db", "sc", "clientgen_task", async_exec=True, options=options)
    assert raw.status == 202 and isinstance(raw.data, snowflake_pkg.models.SuccessAcceptedResponse)
    assert raw.headers.get("location") and raw.request_id
    assert violations == []


@pytest.mark.parametrize(
    ("code", "error"),
    [(400, "BadRequestError"), (401, "AuthenticationError"), (403, "PermissionDeniedError"), (404, "NotFoundError"),
     (409, "ConflictError"), (429, "RateLimitError"), (500, "ServerError")],
)  # fmt: skip
def test_error_mapping_through_prism(sf: Any, snowflake_pkg: Any, violations: list[str], code: int, error: str) -> None:
    with pytest.raises(getattr(snowflake_pkg, error)) as err:
        sf.task.list_tasks("db", "sc", options=snowflake_pkg.RequestOptions(headers={"Prefer": f"code={code}"}))
    assert err.value.status == code and err.value.request_id  # X-Snowflake-Request-ID, on every error
    assert isinstance(err.value.body, dict)
    assert violations == []
