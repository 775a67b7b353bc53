"""Conventions inferred from the spec (generator/normalise/conventions.py): update_mask and its identity
fields, limit/offset paging, operations that end a session."""

from __future__ import annotations

from pathlib import Path

import pytest

from clientgen import ir
from clientgen.render import render_package
from tests.conftest import package_source
from tests.normalise import build, op, real


def test_update_mask_and_pagination(tmp_path: Path) -> None:
    api = build(
        tmp_path,
        """
paths:
  /pools:
    get:
      operationId: get_pools
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
        - {name: offset, in: query, schema: {type: integer}}
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {$ref: '#/components/schemas/PoolCollection'}}}
  /pools/{name}:
    patch:
      operationId: patch_pool
      parameters:
        - {name: name, in: path, required: true, schema: {type: string}}
        - {name: update_mask, in: query, style: form, explode: false, schema: {type: array, items: {type: string}}}
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Pool'}}}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Pool'}}}}
components:
  schemas:
    Pool: {type: object, properties: {name: {type: string}, slots: {type: integer}}}
    PoolCollection:
      allOf:
        - {type: object, properties: {pools: {type: array, items: {$ref: '#/components/schemas/Pool'}}}}
        - {type: object, properties: {total_entries: {type: integer}}}
""",
    )
    patch = op(api, "patch_pool")
    assert patch.update_mask is not None and patch.update_mask.wire_name == "update_mask"
    assert patch.pagination is None
    paging = op(api, "get_pools").pagination
    assert paging == ir.Pagination("iter_pools", "limit", "offset", "pools", "total_entries", ir.Ref("Pool", "model"))


IDENTITY_SPEC = """
paths:
  /pools/{pool_name}:
    patch:
      operationId: patch_pool
      parameters:
        - {name: pool_name, in: path, required: true, schema: {type: string}}
        - {name: update_mask, in: query, schema: {type: array, items: {type: string}}}
      requestBody:
        content: {application/json: {schema: {$ref: '#/components/schemas/Pool'}}}
      responses: {"200": {description: ok}}
    put:
      operationId: put_pool
      parameters:
        - {name: pool_name, in: path, required: true, schema: {type: string}}
      requestBody:
        content: {application/json: {schema: {$ref: '#/components/schemas/Pool'}}}
      responses: {"200": {description: ok}}
  /connections/{connection_id}:
    patch:
      operationId: patch_connection
      parameters:
        - {name: connection_id, in: path, required: true, schema: {type: string}}
        - {name: update_mask, in: query, schema: {type: array, items: {type: string}}}
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                connection_id: {type: string}
                host: {type: string}
                conn_type: {type: string}
      responses: {"200": {description: ok}}
  /dags/{dag_id}/runs/{dag_run_id}:
    patch:
      operationId: patch_run
      parameters:
        - {name: dag_id, in: path, required: true, schema: {type: string}}
        - {name: dag_run_id, in: path, required: true, schema: {type: string}}
        - {name: update_mask, in: query, schema: {type: array, items: {type: string}}}
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                id: {type: string}
                dag: {type: object, properties: {x: {type: string}}}
                note: {type: string}
      responses: {"200": {description: ok}}
  /variables/{variable_key}:
    patch:
      operationId: patch_variable
      parameters:
        - {name: variable_key, in: path, required: true, schema: {type: string}}
        - {name: update_mask, in: query, schema: {type: array, items: {type: string}}}
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                variable: {type: string, nullable: true}
                key: {type: array, items: {type: string}}
                value: {type: string}
      responses: {"200": {description: ok}}
components:
  schemas:
    Pool:
      type: object
      properties:
        name: {type: string}
        description: {type: string}
        slots: {type: integer}
"""


def test_identity_fields_are_decided_by_name_and_schema(tmp_path: Path) -> None:
    api = build(tmp_path, IDENTITY_SPEC)
    assert op(api, "patch_pool").update_mask_identity == (("name", "pool_name"),)
    assert op(api, "patch_connection").update_mask_identity == (("connection_id", "connection_id"),)
    # `id` could be dag_id's or dag_run_id's: the innermost resource (the last path parameter) wins;
    # `dag` is an object, never an identity.
    assert op(api, "patch_run").update_mask_identity == (("id", "dag_run_id"),)
    # `variable` is the stem of variable_key (a nullable string); `key` here is a list, so it is not
    assert op(api, "patch_variable").update_mask_identity == (("variable", "variable_key"),)
    # no update_mask, no identity
    assert op(api, "put_pool").update_mask_identity == ()


def test_identity_emitted_in_the_endpoint_only_when_present(tmp_path: Path) -> None:
    api = build(tmp_path, IDENTITY_SPEC)
    endpoints = package_source(render_package(api, "pkg"), "pkg", "_endpoints")
    assert 'identity={"name": "pool_name"},' in endpoints
    assert 'identity={"connection_id": "connection_id"},' in endpoints
    put_pool = endpoints.split("PUT_POOL")[1].split("\n)\n")[0]
    assert "identity" not in put_pool and "ends_session" not in put_pool and "secret_fields" not in endpoints


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (
            "2.10.5",
            {
                "patch_connection": {"connection_id": "connection_id"},
                "patch_pool": {"name": "pool_name"},
                "patch_variable": {"key": "variable_key"},
                "patch_user": {"username": "username"},
                "patch_role": {"name": "role_name"},
                "patch_dag": {},
                "patch_dags": {},
            },
        ),
        (
            "2.2.4",
            {
                "patch_connection": {"connection_id": "connection_id"},
                "patch_pool": {"name": "pool_name"},
                "patch_variable": {"key": "variable_key"},
            },
        ),
        (
            "3.3.2",
            {
                "patch_connection": {"connection_id": "connection_id"},
                "patch_pool": {"pool": "pool_name"},
                "patch_variable": {"key": "variable_key"},
                "patch_dag_run": {},
                "patch_task_instance": {},
            },
        ),
    ],
)
def test_identity_fields_of_the_airflow_specs(version: str, expected: dict[str, dict[str, str]]) -> None:
    api = real(version)
    for name, identity in expected.items():
        assert dict(op(api, name).update_mask_identity) == identity, name
    for operation in api.operations:
        assert not {"host", "description", "slots", "value"} & dict(operation.update_mask_identity).keys()


def test_ends_session_by_last_segment_or_operation_id(tmp_path: Path) -> None:
    api = build(
        tmp_path,
        """
paths:
  /auth/logout:
    get: {operationId: bye, responses: {"204": {description: ok}}}
  /session/sign-out:
    post: {operationId: end, responses: {"204": {description: ok}}}
  /me:
    delete: {operationId: LogOut, responses: {"204": {description: ok}}}
  /users/{logout}:
    get:
      operationId: get_user
      parameters: [{name: logout, in: path, required: true, schema: {type: string}}]
      responses: {"204": {description: ok}}
  /logouts:
    get: {operationId: list_logouts, responses: {"204": {description: ok}}}
""",
    )
    assert [o.operation_id for o in api.operations if o.ends_session] == ["bye", "end", "LogOut"]
    endpoints = package_source(render_package(api, "pkg"), "pkg", "_endpoints")
    assert endpoints.count("ends_session=True,") == 3


def test_airflow_3_logout_ends_the_session() -> None:
    api = real("3.3.2")
    assert [(o.operation_id, o.path) for o in api.operations if o.ends_session] == [("logout", "/api/v2/auth/logout")]
    assert not any(o.ends_session for o in real("2.10.5").operations)
