"""Issue 11: names from a spec that used to break the generated code (keywords and digits as tags, tags named
like the client's own members, parameters named like the module's imports, a property named like a model
method, ``page_size`` beside limit/offset)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from clientgen.names import CLIENT_MEMBERS
from tests.conftest import generated_package, groups_of, type_check
from tests.normalise import HEAD

TAGS = [
    "Global",
    "class",
    "1",
    "2fa",
    "send",
    "paginate",
    "max_retries",
    "with_raw_response",
    "stream_lines",
    "follow_links",
    "close",
    "client",
    "transport",
    "replay",
]


def _operations() -> str:
    lines = ["paths:"]
    for index, tag in enumerate(TAGS):
        lines += [
            f"  /t{index}:",
            "    get:",
            f"      operationId: op_{index}",
            f"      tags: [{tag!r}]",
            "      responses: {'204': {description: ok}}",
        ]
    lines += [
        "  /things:",
        "    get:",
        "      operationId: list_things",
        "      tags: [things]",
        "      parameters:",
        *(
            f"        - {{name: {name}, in: query, schema: {{type: string}}}}"
            for name in ("ep", "merge_body", "warnings", "models", "datetime", "overload")
        ),
        "        - {name: limit, in: query, schema: {type: integer}}",
        "        - {name: offset, in: query, schema: {type: integer}}",
        "        - {name: page_size, in: query, schema: {type: integer}}",
        "      responses:",
        "        '200':",
        "          description: ok",
        "          content:",
        "            application/json:",
        "              schema:",
        "                type: object",
        "                properties:",
        "                  total_entries: {type: integer}",
        "                  things: {type: array, items: {$ref: '#/components/schemas/Thing'}}",
        "components:",
        "  schemas:",
        "    Thing:",
        "      type: object",
        "      properties:",
        "        to_dict: {type: string}",
        "        name: {type: string}",
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Any]]:
    out = tmp_path_factory.mktemp("names") / "out"
    with generated_package(HEAD + _operations(), out, "names_client") as pkg:
        yield out, pkg


def test_every_tag_is_a_group_and_the_clients_members_survive(generated: tuple[Path, Any]) -> None:
    _, pkg = generated
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(204)

    client = pkg.Client("http://api.test", http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    groups = groups_of(client)
    assert len(groups) == len(TAGS) + 1
    for index in range(len(TAGS)):
        group = next(g for g in groups.values() if hasattr(g, f"op_{index}"))
        getattr(group, f"op_{index}")()
    assert calls == [f"/t{index}" for index in range(len(TAGS))]
    for member in ("send", "paginate", "follow_links", "stream_lines", "close"):
        assert callable(getattr(client, member)), member  # not replaced by a group
    assert isinstance(client.max_retries, int)
    assert type(client.with_raw_response).__name__ == "RawResponses"


def test_parameters_named_like_the_modules_imports_and_page_size(generated: tuple[Path, Any]) -> None:
    _, pkg = generated
    seen: list[httpx.QueryParams] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params)
        return httpx.Response(200, json={"total_entries": 1, "things": [{"to_dict": "x", "name": "n"}]})

    client = pkg.Client("http://api.test", http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    page = client.things.list_things(ep_="1", merge_body_="2", warnings_="3", models_="4", datetime_="5", overload_="6")
    assert dict(seen[0]) == {
        "ep": "1",
        "merge_body": "2",
        "warnings": "3",
        "models": "4",
        "datetime": "5",
        "overload": "6",
    }
    thing = page.things[0]
    assert thing.to_dict_ == "x" and thing.to_dict() == {"to_dict": "x", "name": "n"}  # the method survives
    items = list(client.things.iter_things(page_size_="7", page_size=50))
    assert items == [thing] and seen[-1]["page_size"] == "7" and seen[-1]["limit"] == "50"


def test_the_package_type_checks(generated: tuple[Path, Any]) -> None:
    out, _ = generated
    checked = type_check(out, "names_client")
    assert checked.returncode == 0, checked.stdout


def test_client_members_cover_the_generated_clients_public_names(generated: tuple[Path, Any]) -> None:
    _, pkg = generated
    for cls in (pkg.Client, pkg.AsyncClient):
        client = cls("http://api.test")
        groups = set(groups_of(client))
        public = {n for n in dir(client) if not n.startswith("_")} - groups
        assert public <= CLIENT_MEMBERS, public - CLIENT_MEMBERS
    testing = importlib.import_module(f"{pkg.__name__}.testing")
    mock = testing.MockApi()
    public = {n for n in dir(mock) if not n.startswith("_")} - set(groups_of(pkg.Client("http://api.test")))
    assert public <= CLIENT_MEMBERS, public - CLIENT_MEMBERS
    assert callable(mock.client) and callable(mock.replay) and isinstance(mock.transport, httpx.MockTransport)
