"""Names and shapes from a spec that broke the generated code, found by probing the generator (eighteenth
session): an operationId, tag or security scheme named like what the generated classes use in their bodies,
parameters named like the arguments the generator adds (``content_type``, ``destination``), a schema named
``ClassVar``, and a component ``oneOf`` of untagged objects (its calls raised msgspec's ``TypeError``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import generated_package, groups_of, type_check
from tests.normalise import HEAD

SPEC = """paths:
  /raw:
    get: {operationId: raw_method, tags: [things], responses: {'204': {description: ok}}}
  /awaitable:
    get: {operationId: awaitable_method, tags: [things], responses: {'204': {description: ok}}}
  /async-raw:
    get: {operationId: async_raw_method, tags: [things], responses: {'204': {description: ok}}}
  /resources:
    get: {operationId: resources, tags: [things], responses: {'204': {description: ok}}}
  /zeta:
    get: {operationId: zeta, tags: [things], responses: {'204': {description: ok}}}
  /property:
    get: {operationId: get_property, tags: [cached_property], responses: {'204': {description: ok}}}
  /upload:
    post:
      operationId: upload
      tags: [things]
      parameters: [{name: contentType, in: query, schema: {type: string}}]
      requestBody:
        content:
          application/json: {schema: {$ref: '#/components/schemas/Upload'}}
          application/x-www-form-urlencoded: {schema: {$ref: '#/components/schemas/Upload'}}
      responses: {'204': {description: ok}}
  /file:
    get:
      operationId: get_file
      tags: [things]
      parameters: [{name: destination, in: query, schema: {type: string}}]
      responses:
        '200': {description: ok, content: {application/octet-stream: {schema: {type: string, format: binary}}}}
  /pet:
    get:
      operationId: get_pet
      tags: [pets]
      responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}}
  /owner:
    get:
      operationId: get_owner
      tags: [pets]
      responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Owner'}}}}}
  /level:
    get:
      operationId: get_level
      tags: [levels]
      parameters: [{name: at, in: query, schema: {$ref: '#/components/schemas/Level'}}]
      responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Level'}}}}}
  /users:
    post:
      operationId: create_user
      tags: [users]
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/User'}}}}
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/ClassVar'}}}}
components:
  securitySchemes:
    staticmethod: {type: http, scheme: bearer}
    zbasic: {type: http, scheme: basic}
  schemas:
    Upload: {type: object, properties: {content_type: {type: string}, name: {type: string}}}
    Pet: {oneOf: [{$ref: '#/components/schemas/Cat'}, {$ref: '#/components/schemas/Dog'}]}
    Cat: {type: object, required: [meow], properties: {meow: {type: boolean}}}
    Dog: {type: object, required: [bark], properties: {bark: {type: string}}}
    Owner: {type: object, properties: {name: {type: string}, pet: {$ref: '#/components/schemas/Pet'}}}
    ClassVar: {type: object, properties: {name: {type: string}}}
    Level: {type: integer, enum: [-1, 0, 1, 2]}
    User: {type: object, properties: {name: {type: string}, password: {type: string, format: password}}}
"""


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Any]]:
    out = tmp_path_factory.mktemp("names_more") / "out"
    with generated_package(HEAD + SPEC, out, "names_more_client") as pkg:
        yield out, pkg


def _client(pkg: Any, handler: Any, **kwargs: Any) -> Any:
    return pkg.Client("http://api.test", http_client=httpx.Client(transport=httpx.MockTransport(handler)), **kwargs)


def test_operations_and_groups_named_like_what_the_classes_use_are_called(generated: tuple[Path, Any]) -> None:
    _, pkg = generated
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        return httpx.Response(204)

    client = _client(pkg, handler)
    groups = groups_of(client)
    things = next(g for g in groups.values() if hasattr(g, "zeta"))
    for name in ("raw_method_", "awaitable_method_", "async_raw_method_", "resources_", "zeta"):
        getattr(things, name)()
    assert sent == ["/raw", "/awaitable", "/async-raw", "/resources", "/zeta"]
    sent.clear()
    next(g for g in groups.values() if hasattr(g, "get_property")).get_property()
    assert sent == ["/property"]


def test_security_schemes_named_like_python_builtins_make_their_auths(generated: tuple[Path, Any]) -> None:
    _, pkg = generated
    auths = [getattr(pkg.Auth, name) for name in dir(pkg.Auth) if "basic" in name]
    assert len(auths) == 1
    made = auths[0]("user", "password1")
    assert type(made).__name__ == "BasicAuth"


def test_arguments_the_generator_adds_do_not_collide_with_the_specs_names(generated: tuple[Path, Any]) -> None:
    _, pkg = generated
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if request.url.path == "/file":
            return httpx.Response(200, content=b"bytes", headers={"content-type": "application/octet-stream"})
        return httpx.Response(204)

    things = next(g for g in groups_of(_client(pkg, handler)).values() if hasattr(g, "upload"))
    things.upload(content_type_2="q", body_content_type="b", name="n", content_type="application/x-www-form-urlencoded")
    assert sent[-1].url.params["contentType"] == "q"
    assert sent[-1].headers["content-type"] == "application/x-www-form-urlencoded"
    assert dict(httpx.QueryParams(sent[-1].content.decode())) == {"content_type": "b", "name": "n"}


def test_a_download_with_a_parameter_named_destination(generated: tuple[Path, Any], tmp_path: Path) -> None:
    _, pkg = generated
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, content=b"bytes", headers={"content-type": "application/octet-stream"})

    things = next(g for g in groups_of(_client(pkg, handler)).values() if hasattr(g, "get_file"))
    written = things.get_file_to_file(destination_2="there", destination=tmp_path / "file.bin")
    assert written == 5 and (tmp_path / "file.bin").read_bytes() == b"bytes"
    assert sent[-1].url.params["destination"] == "there"


def test_a_component_one_of_untagged_objects_is_decoded(generated: tuple[Path, Any]) -> None:
    _, pkg = generated
    answers = {"/pet": {"bark": "woof"}, "/owner": {"name": "ann", "pet": {"meow": True}}}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answers[request.url.path])

    pets = next(g for g in groups_of(_client(pkg, handler)).values() if hasattr(g, "get_pet"))
    pet = pets.get_pet()
    assert isinstance(pet, pkg.models.Dog) and pet.bark == "woof"
    owner = pets.get_owner()
    assert owner.name == "ann" and owner.pet == {"meow": True}  # kept as the JSON object, as an inline oneOf is


def test_a_schema_named_classvar_leaves_the_models_own_class_variables_alone(generated: tuple[Path, Any]) -> None:
    _, pkg = generated
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"name": "a"})

    users = next(g for g in groups_of(_client(pkg, handler)).values() if hasattr(g, "create_user"))
    users.create_user(name="a", password="secretpw")
    assert json.loads(sent[-1].content) == {"name": "a", "password": "secretpw"}


def test_negative_enum_values_keep_their_sign_in_their_names(generated: tuple[Path, Any]) -> None:
    _, pkg = generated
    level = pkg.models.Level
    assert {member.name: member.value for member in level} == {"MINUS_1": -1, "V_0": 0, "V_1": 1, "V_2": 2}
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=-1)

    levels = next(g for g in groups_of(_client(pkg, handler)).values() if hasattr(g, "get_level"))
    assert levels.get_level(at=level.V_1) is level.MINUS_1
    assert sent[-1].url.params["at"] == "1"


def test_the_package_type_checks(generated: tuple[Path, Any]) -> None:
    out, _ = generated
    checked = type_check(out, "names_more_client")
    assert checked.returncode == 0, checked.stdout
