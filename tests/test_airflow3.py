"""OpenAPI 3.1 constructs (Airflow 3's spec) and the committed Airflow 3.3.2 client, offline."""

from __future__ import annotations

import base64
import importlib
import json
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import msgspec
import pytest

from clientgen import ir
from clientgen.loader import load_spec
from clientgen.normalise import normalise
from tests.conftest import COMMITTED, SPECS, write

SPEC_31 = """
openapi: 3.1.0
info: {title: T, version: "1"}
paths:
  /api/v2/items/{item_id}:
    get:
      operationId: get_item
      tags: [Item]
      parameters:
        - {name: item_id, in: path, required: true, schema: {anyOf: [{type: integer}, {type: 'null'}]}}
        - {name: Accept, in: header, schema: {type: string, enum: [application/json, application/x-ndjson]}}
        - {name: X-Trace, in: header, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json: {schema: {$ref: '#/components/schemas/Item_Out_'}}
            application/x-ndjson: {schema: {type: string}}
        "422":
          description: invalid
          content: {application/json: {schema: {$ref: '#/components/schemas/HTTPValidationError'}}}
components:
  schemas:
    Item_Out_:
      title: Item[Out]
      type: object
      additionalProperties: false
      required: [kind, note]
      properties:
        kind: {const: item}
        note: {anyOf: [{type: string}, {type: 'null'}]}
        tags: {type: [array, 'null'], items: {type: string}}
        extra: {type: object, additionalProperties: true}
        counts: {type: object, additionalProperties: {type: integer}}
        actions:
          type: array
          items:
            oneOf:
              - $ref: '#/components/schemas/Create'
              - $ref: '#/components/schemas/Delete'
    Create: {type: object, required: [action, name], properties: {action: {const: create}, name: {type: string}}}
    Delete:
      type: object
      required: [action, names]
      properties: {action: {const: delete}, names: {type: array, items: {type: string}}}
    HTTPValidationError: {type: object, properties: {detail: {type: array, items: {type: object}}}}
"""


def test_openapi_31_constructs(tmp_path: Path) -> None:
    api = normalise(load_spec(write(tmp_path / "spec.yaml", SPEC_31)))
    op = api.operations[0]
    params = {p.wire_name: p for p in op.parameters}
    assert "Accept" not in params  # content negotiation is the client's: accept= and <op>_stream
    assert ir.annotation(params["item_id"].type) == "int | None" and params["X-Trace"].location == "header"
    model = next(m for m in api.models if m.name == "ItemOut")  # schema key, not title
    fields = {f.wire_name: f for f in model.fields}
    assert fields["kind"].type == ir.Primitive("str") and fields["kind"].required
    assert ir.annotation(fields["note"].type) == "str | None" and fields["note"].required
    assert ir.annotation(fields["tags"].type) == "list[str] | None"
    assert fields["extra"].type == ir.MapOf(ir.ANY) and fields["counts"].type == ir.MapOf(ir.Primitive("int"))
    actions = fields["actions"].type
    assert isinstance(actions, ir.ListOf) and isinstance(actions.item, ir.UnionOf) and actions.item.tagged == "action"
    assert {m.name: m.tag for m in api.models if m.tag} == {
        "Create": ("action", "create"),
        "Delete": ("action", "delete"),
    }
    assert [c.media_type for c in op.accepts] == ["application/json"]
    assert op.stream is not None and op.stream.method_name == "get_item_stream"
    assert op.stream.media_type == "application/x-ndjson"


@pytest.fixture(scope="module")
def af3() -> ModuleType:
    package, folder = COMMITTED["3.3.2"]
    sys.path.insert(0, str(folder))
    return importlib.import_module(package)


def make(pkg: ModuleType, handler: Any, **kwargs: Any) -> Any:
    return pkg.Client(
        "http://af3.test:8080", http_client=httpx.Client(transport=httpx.MockTransport(handler)), **kwargs
    )


def test_all_128_operations_reachable(af3: ModuleType) -> None:
    api = normalise(load_spec(SPECS / "airflow-3.3.2" / "v2-rest-api-generated.yaml", validate=False))
    assert len(api.operations) == 128 and api.base_path == ""
    sync, async_ = af3.Client("http://x"), af3.AsyncClient("http://x")
    missing = [
        f"{op.group}.{op.py_name}"
        for op in api.operations
        for c in (sync, async_)
        if not callable(getattr(getattr(c, op.group), op.py_name, None))
    ]
    assert missing == []
    assert af3.TOKEN_URL == "/auth/token"


def test_bulk_actions_are_tagged_by_their_const(af3: ModuleType) -> None:
    m = af3.models
    body = m.BulkBodyPoolBody(
        actions=[
            m.BulkCreateActionPoolBody(entities=[m.PoolBody(name="p", slots=2)]),
            m.BulkDeleteActionPoolBody(entities=["old"]),
        ]
    )
    encoded = json.loads(msgspec.json.encode(body))
    assert [a["action"] for a in encoded["actions"]] == ["create", "delete"]
    back = msgspec.json.decode(msgspec.json.encode(body), type=m.BulkBodyPoolBody)
    assert isinstance(back.actions[1], m.BulkDeleteActionPoolBody)


def test_ndjson_streams_line_by_line(af3: ModuleType) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["accept"])
        return httpx.Response(
            200,
            content=b'{"state": "running"}\n\n{"state": "success", "results": {"op": 42}}\n',
            headers={"content-type": "application/x-ndjson"},
        )

    updates = list(make(af3, handler).dag_run.wait_dag_run_until_finished_stream("d", "r", interval=1))
    assert updates == [{"state": "running"}, {"state": "success", "results": {"op": 42}}]
    assert seen == ["application/x-ndjson"]


def test_fastapi_422_detail(af3: ModuleType) -> None:
    detail = [{"type": "missing", "loc": ["body", "name"], "msg": "Field required", "input": {}}]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"detail": detail})

    with pytest.raises(af3.UnprocessableEntityError) as err:
        make(af3, handler).pool.post_pool(name="p", slots=1)
    assert err.value.detail == detail and err.value.status == 422


def jwt(exp: float) -> str:
    part = base64.urlsafe_b64encode(json.dumps({"sub": "admin", "exp": exp}).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJIUzUxMiJ9.{part}.signature"


def test_password_auth_gets_refreshes_and_hides_the_token(af3: ModuleType) -> None:
    tokens = [jwt(time.time() + 3600), jwt(time.time() + 3600), jwt(time.time() + 10)]
    log: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/token":
            assert json.loads(request.content) == {"username": "admin", "password": "pw"}
            log.append("token")
            return httpx.Response(201, json={"access_token": tokens[len([x for x in log if x == "token"]) - 1]})
        log.append(request.headers["authorization"])
        if request.headers["authorization"] == f"Bearer {tokens[0]}" and log.count(f"Bearer {tokens[0]}") > 1:
            return httpx.Response(401, json={"detail": "Token expired"})
        return httpx.Response(200, json={"version": "3.3.2", "git_version": None})

    auth = af3.PasswordAuth("admin", "pw", token_url=af3.TOKEN_URL)
    client = make(af3, handler, auth=auth)
    assert client.version.get_version().version == "3.3.2"
    assert client.version.get_version().version == "3.3.2"  # 401 -> new token -> retried
    assert log == ["token", f"Bearer {tokens[0]}", f"Bearer {tokens[0]}", "token", f"Bearer {tokens[1]}"]
    assert "pw" not in repr(auth) and tokens[0] not in repr(auth)
    # A short-lived token is renewed halfway through its life (a fixed 30 s margin would fetch one
    # for every call), before it expires.
    tokens[1] = jwt(time.time() + 0.4)
    stored = httpx.Response(201, json={"access_token": tokens[1]}, request=httpx.Request("POST", "http://x/auth/token"))
    auth._store(stored, None)
    client.version.get_version()
    assert log[-1] == f"Bearer {tokens[1]}"
    time.sleep(0.25)
    client.version.get_version()
    assert log[-2:] == ["token", f"Bearer {tokens[2]}"]
