"""A generated client imports without building its models or its groups (issue 13: GitHub's client
took ~0.6 s to import, now ~30 ms): models live in one module per set of groups that use them,
resources and endpoints in one module per group, behind packages that import them on first use,
typed for mypy through ``if TYPE_CHECKING`` imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import generated_package, type_check

SPEC = """
openapi: 3.0.3
info: {title: lazy, version: "1"}
paths:
  /owners/{id}:
    get:
      operationId: getOwner
      tags: [owners]
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Owner"}}}}
  /pets:
    get:
      operationId: listPets
      tags: [pets]
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/PetList"}}}}
  /unused:
    get:
      operationId: getUnusedThing
      tags: [unused]
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Kind"}}}}
components:
  schemas:
    Kind: {type: string, enum: [cat, dog]}
    Owner:
      type: object
      properties: {name: {type: string}, kind: {$ref: "#/components/schemas/Kind"}}
    PetList:
      type: object
      properties: {pets: {type: array, items: {$ref: "#/components/schemas/Pet"}}}
    Pet:
      type: object
      properties: {owner: {$ref: "#/components/schemas/Owner"}, tag: {$ref: "#/components/schemas/Tag"}}
    Tag: {oneOf: [{type: string}, {type: integer}]}
    Orphan: {type: object, properties: {x: {type: integer}}}
"""


def test_models_live_in_the_module_of_the_groups_that_use_them(tmp_path: Path) -> None:
    with generated_package(SPEC, tmp_path / "out", "lazy_pkg") as pkg:
        models = tmp_path / "out" / "lazy_pkg" / "models"
        homes = {p.name: p.read_text() for p in models.glob("_*.py") if p.name != "__init__.py"}
        # Owner is used by owners and (through Pet) by pets; Kind also by the group named "unused",
        # which must not meet the module of models no operation uses.
        assert set(homes) == {"_pets.py", "_shared__" + _hash("owners,pets") + ".py",
                              "_shared__" + _hash("owners,pets,unused") + ".py", "_unused__models.py"}  # fmt: skip
        assert "class Pet(" in homes["_pets.py"] and "Tag = " in homes["_pets.py"]
        assert "class Orphan(" in homes["_unused__models.py"]
        client = pkg.Client("http://api.test", http_client=httpx.Client(transport=httpx.MockTransport(_answer)))
        pet = client.pets.list_pets().pets[0]
        assert isinstance(pet, pkg.models.Pet) and isinstance(pet.owner, pkg.models.Owner)
        assert pet.owner.kind is pkg.models.Kind.DOG and pet.tag == 7
        assert client.unused.get_unused_thing() == "cat"
        assert pkg.models.Orphan(x=1).x == 1 and "Orphan" in dir(pkg.models)
        from lazy_pkg.models import Owner  # a from-import goes through the lazy package

        assert Owner is pkg.models.Owner
    assert type_check(tmp_path / "out", "lazy_pkg").returncode == 0


def test_importing_the_client_loads_no_group_and_a_first_call_only_its_own(tmp_path: Path) -> None:
    with generated_package(SPEC, tmp_path / "out", "lazy_pkg"):
        pass
    code = """
import sys, httpx, lazy_pkg
c = lazy_pkg.Client("http://api.test", http_client=httpx.Client(transport=httpx.MockTransport(
    lambda r: httpx.Response(200, json={"name": "n", "kind": "dog"}))))
print(sorted(m for m in sys.modules if m.startswith("lazy_pkg.")))
c.owners.get_owner("1")
print(sorted(m for m in sys.modules if m.startswith("lazy_pkg.")))
"""
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path / "out", capture_output=True, text=True, check=True)
    at_import, after_call = (eval(line) for line in run.stdout.splitlines())  # our own print
    assert at_import == ["lazy_pkg._runtime", "lazy_pkg.async_resources", "lazy_pkg.client", "lazy_pkg.models",
                         "lazy_pkg.resources"]  # fmt: skip
    loaded = set(after_call) - set(at_import)
    assert loaded == {
        "lazy_pkg._endpoints", "lazy_pkg._endpoints._owners", "lazy_pkg.resources._owners",
        "lazy_pkg.models._shared__" + _hash("owners,pets"), "lazy_pkg.models._shared__" + _hash("owners,pets,unused"),
    }  # fmt: skip


def _answer(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/pets":
        return httpx.Response(200, json={"pets": [{"owner": {"name": "n", "kind": "dog"}, "tag": 7}]})
    return httpx.Response(200, json="cat")


def _hash(groups: str) -> str:
    import hashlib

    return hashlib.sha256(groups.encode()).hexdigest()[:8]


def test_groups_named_like_the_packages_that_hold_them_type_check(tmp_path: Path) -> None:
    """A tag ``resources`` makes a group property ``client.resources``: annotations in the client's
    class body must not resolve to it (the corpus's visualstudio.com spec: 18 mypy errors)."""
    spec = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n"
    for i, tag in enumerate(["resources", "async_resources", "models", "zeta"]):
        spec += f"  /p{i}:\n    get:\n      operationId: op{i}\n      tags: [{tag}]\n"
        spec += "      responses: {'204': {description: none}}\n"
    with generated_package(spec, tmp_path / "out", "named_pkg") as pkg:
        calls: list[str] = []
        http = httpx.Client(transport=httpx.MockTransport(lambda r: calls.append(r.url.path) or httpx.Response(204)))
        client = pkg.Client("http://api.test", http_client=http)
        client.resources.op0()
        client.zeta.op3()
        client.with_raw_response.models.op2()
        assert calls == ["/p0", "/p3", "/p2"]
    checked = type_check(tmp_path / "out", "named_pkg")
    assert checked.returncode == 0, checked.stdout
