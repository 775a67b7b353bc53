"""Issue 9, generator side: facts the IR carries for the runtime (identity fields of an update_mask,
secret body fields, operations that end a session), spec defaults and untagged unions made visible,
the package version, header values built from spec text, userinfo in spec URLs."""

from __future__ import annotations

import ast
import importlib
import json
import re
import sys
from functools import cache
from pathlib import Path

import pytest

from generator import __version__, ir
from generator.config import Target, load_targets
from generator.loader import load_spec
from generator.normalise import normalise
from generator.render import header_value, op_doc, pep440, quickstart, quickstart_operations, render_package
from tests.conftest import MINIMAL, ROOT, run_cli, write
from tests.test_cli_errors import assert_one_line_error
from tests.test_ir import HEAD, build, op


def body_secrets(api: ir.Api, operation_id: str) -> tuple[str, ...]:
    """The secret fields of an operation's body model: what the runtime redacts from errors."""
    body = op(api, operation_id).body
    return next(m for m in api.models if m.name == body.model).secret_fields if body and body.model else ()


@cache
def targets() -> dict[str, Target]:
    return {t.name.removeprefix("airflow-"): t for t in load_targets(ROOT / "pyproject.toml")}


@cache
def real(version: str) -> ir.Api:
    """The IR of a configured Airflow target (overlays applied), as generation builds it."""
    target = targets()[version]
    return normalise(load_spec(target.spec, target.overlays, validate=False))


# -- 1. identity fields of an update_mask, by name -------------------------------------------------

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
    endpoints = render_package(api, "pkg")["pkg/_endpoints.py"]
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


# -- 2. secret body fields ---------------------------------------------------------------------------


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
    models = render_package(api, "pkg")["pkg/models.py"]
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
    models = render_package(real("2.10.5"), "pkg")["pkg/models.py"]
    connection = models.split("\nclass Connection(")[1].split("\nclass ")[0]
    assert '    __secret_fields__: ClassVar[tuple[str, ...]] = ("password",)\n' in connection


# -- 3. operations that end the session --------------------------------------------------------------


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
    endpoints = render_package(api, "pkg")["pkg/_endpoints.py"]
    assert endpoints.count("ends_session=True,") == 3


def test_airflow_3_logout_ends_the_session() -> None:
    api = real("3.3.2")
    assert [(o.operation_id, o.path) for o in api.operations if o.ends_session] == [("logout", "/api/v2/auth/logout")]
    assert not any(o.ends_session for o in real("2.10.5").operations)


# -- 4. spec defaults visible ------------------------------------------------------------------------


def test_defaults_of_query_parameters_and_body_fields_in_the_ir(tmp_path: Path) -> None:
    api = build(
        tmp_path,
        """
paths:
  /tasks/{task_id}:
    patch:
      operationId: patch_task
      parameters:
        - {name: task_id, in: path, required: true, schema: {type: string, default: x}}
        - {name: verbose, in: query, schema: {type: boolean, default: false}}
        - {name: order_by, in: query, schema: {type: array, items: {type: string}, default: [id, "-name"]}}
        - {name: free, in: query, schema: {type: string}}
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                dry_run: {type: boolean, default: true}
                note: {type: string, nullable: true, default: null}
                limit: {$ref: '#/components/schemas/Limit'}
                mode: {type: string, default: "it's \\"quoted\\""}
      responses: {"204": {description: ok}}
components:
  schemas:
    Limit: {type: integer, default: 100}
""",
    )
    operation = op(api, "patch_task")
    params = {p.wire_name: p.default for p in operation.parameters}
    assert params == {
        "task_id": None,  # a path parameter is always passed
        "verbose": ir.Default(False),
        "order_by": ir.Default(("id", "-name")),
        "free": None,
    }
    assert operation.body is not None
    defaults = {f.wire_name: f.default for f in operation.body.fields}
    # a null default is what "not sent" means already: not worth a word
    assert defaults == {
        "dry_run": ir.Default(True),
        "note": None,
        "limit": ir.Default(100),
        "mode": ir.Default('it\'s "quoted"'),
    }
    doc = " ".join(op_doc(operation).split())
    assert (
        "Server defaults applied when an argument is not passed: ``verbose=False``, "
        '``order_by=["id", "-name"]``, ``dry_run=True``, ``limit=100``, ``mode=\'it\\\'s "quoted"\'``.'
    ) in doc
    assert ast.literal_eval(doc.split("``mode=")[1].split("``")[0]) == 'it\'s "quoted"'


def test_airflow_dry_run_defaults_are_documented() -> None:
    for name in ("patch_task_instance", "post_set_task_instances_state", "post_clear_task_instances", "clear_dag_run"):
        assert "``dry_run=True``" in op_doc(op(real("2.10.5"), name)), name
    for name in ("post_clear_task_instances", "clear_dag_run"):
        assert "``dry_run=True``" in op_doc(op(real("3.3.2"), name)), name
    assert "Server defaults" not in op_doc(op(real("2.10.5"), "get_connection"))


def test_patch_task_instance_docstring_in_a_generated_package(tmp_path: Path) -> None:
    target = targets()["2.10.5"]
    out = tmp_path / "client"
    args: list[str | Path] = ["generate", target.spec, "-o", out, "--package-name", "af2"]
    for overlay in target.overlays:
        args += ["--overlay", overlay]
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    tree = ast.parse((out / "af2" / "resources.py").read_text())
    method = next(
        node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name == "patch_task_instance"
    )
    doc = ast.get_docstring(method) or ""
    assert "Server defaults applied when an argument is not passed: ``dry_run=True``." in doc


# -- 5. untagged struct unions that decode as dicts are documented ---------------------------------


UNTAGGED_SPEC = """
paths: {}
components:
  schemas:
    A: {type: object, properties: {a: {type: string}, when: {type: string, format: date-time}}}
    B: {type: object, properties: {b: {type: integer}}}
    Holder:
      type: object
      properties:
        items:
          type: array
          description: The things.
          items: {oneOf: [{$ref: '#/components/schemas/A'}, {$ref: '#/components/schemas/B'}]}
        one:
          nullable: true
          anyOf: [{$ref: '#/components/schemas/A'}, {$ref: '#/components/schemas/B'}]
        plain: {$ref: '#/components/schemas/A'}
"""


def test_untagged_struct_unions_are_recorded_on_the_field(tmp_path: Path) -> None:
    api = build(tmp_path, UNTAGGED_SPEC)
    holder = {f.wire_name: f for f in next(m for m in api.models if m.name == "Holder").fields}
    assert holder["items"].type == ir.ListOf(ir.MapOf(ir.ANY))
    assert holder["items"].untagged_options == ("A", "B")
    assert holder["one"].untagged_options == ("A", "B")
    assert holder["plain"].untagged_options == ()


def test_untagged_union_fields_say_why_they_are_dicts(tmp_path: Path) -> None:
    api = build(tmp_path, UNTAGGED_SPEC)
    out = tmp_path / "pkg"
    out.mkdir()
    source = render_package(api, "untagged_pkg")["untagged_pkg/models.py"]
    tree = ast.parse(source)
    holder = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Holder")
    docs = {}
    for prev, node in zip(holder.body, holder.body[1:], strict=False):
        if isinstance(prev, ast.AnnAssign) and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            assert isinstance(prev.target, ast.Name)
            docs[prev.target.id] = node.value.value
    assert docs["items"].startswith("The things.")
    assert "plain dicts" in docs["items"] and "A | B" in docs["items"]
    assert "no discriminator" in docs["items"]
    assert "msgspec.convert(item, models.A)" in docs["items"]
    assert "msgspec.convert(value, models.A)" in docs["one"]
    assert "plain" not in docs


def test_clear_task_instances_items_documented_and_convertible(tmp_path: Path) -> None:
    api = real("3.3.2")
    response = next(m for m in api.models if m.name == "ClearTaskInstanceCollectionResponse")
    items = next(f for f in response.fields if f.wire_name == "task_instances")
    assert items.untagged_options == ("TaskInstanceResponse", "NewTaskResponse")
    out = tmp_path / "client"
    target = targets()["3.3.2"]
    assert run_cli("generate", target.spec, "-o", out, "--package-name", "af3_models").returncode == 0
    text = (out / "af3_models" / "models.py").read_text()
    assert "msgspec.convert(item, models.TaskInstanceResponse)" in text
    assert "NewTaskResponse" in text.split("class ClearTaskInstanceCollectionResponse")[1].split("class ")[0]
    # the recipe the docstring gives works on a recorded item
    sys.path.insert(0, str(out))
    try:
        models = importlib.import_module("af3_models.models")
        import msgspec

        recorded = json.loads(
            (ROOT / "tests" / "fixtures" / "airflow-3.3.2" / "dag_runs_and_task_instances.json").read_text()
        )
        item = next(
            e["response"]["json"]["task_instances"][0]
            for e in recorded["exchanges"]
            if isinstance(e["response"].get("json"), dict) and e["response"]["json"].get("task_instances")
        )
        converted = msgspec.convert(item, models.TaskInstanceResponse)
        assert converted.task_id == item["task_id"]
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m.startswith("af3_models")]:
            del sys.modules[name]


# -- 6. package version from the target -------------------------------------------------------------


def test_configured_targets_carry_their_package_version() -> None:
    assert {name: t.package_version for name, t in targets().items()} == {
        "2.10.5": "2.10.5",
        "2.2.4": "2.2.4",
        "3.3.2": "3.3.2",
    }


def test_package_version_in_config_must_be_pep440(tmp_path: Path) -> None:
    pyproject = write(
        tmp_path / "pyproject.toml",
        """
        [[tool.clientgen.targets]]
        spec = "spec.yaml"
        output = "out"
        package-name = "mini"
        package-version = "1.0 beta"
        """,
    )
    write(tmp_path / "spec.yaml", MINIMAL)
    result = run_cli("generate", "--config", pyproject, cwd=tmp_path)
    message = assert_one_line_error(result, "pyproject.toml", None, None)
    assert "package-version" in message and "PEP 440" in message
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("spec_version", "expected"),
    [("2", "2"), ("1.0.0", "1.0.0"), ("v1.2", "1.2"), ("1.0rc1", "1.0rc1"), ("2024-05-01", "0.0.0"), ("", "0.0.0")],
)
def test_default_package_version_is_the_spec_version_made_pep440(spec_version: str, expected: str) -> None:
    assert pep440(spec_version) == expected


def user_agent_of(folder: Path, package: str) -> str:
    tree = ast.parse((folder / package / "client.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "USER_AGENT":
            value = ast.literal_eval(node.value)
            assert isinstance(value, str)
            return value
    raise AssertionError("no USER_AGENT")


def test_package_version_option_sets_pyproject_and_user_agent(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", MINIMAL.replace('version: "1.0"', 'version: "2"'))
    out = tmp_path / "out"
    result = run_cli("generate", spec, "-o", out, "--package-name", "mini", "--package-version", "3.3.2")
    assert result.returncode == 0, result.stderr
    assert 'version = "3.3.2"' in (out / "pyproject.toml").read_text()
    assert user_agent_of(out, "mini") == f"mini/3.3.2 clientgen/{__version__}"
    default = tmp_path / "default"
    assert run_cli("generate", spec, "-o", default, "--package-name", "mini").returncode == 0
    assert 'version = "2"' in (default / "pyproject.toml").read_text()
    assert user_agent_of(default, "mini") == f"mini/2 clientgen/{__version__}"
    bad = run_cli("generate", spec, "-o", tmp_path / "bad", "--package-name", "mini", "--package-version", "x y")
    assert "PEP 440" in assert_one_line_error(bad, "", None, None)
    assert not (tmp_path / "bad").exists()


def test_a_new_package_version_regenerates_an_unchanged_spec(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", MINIMAL)
    out = tmp_path / "out"

    def generate(version: str) -> str:
        result = run_cli("generate", spec, "-o", out, "--package-name", "mini", "--package-version", version)
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert "(written)" in generate("1.0")
    assert "(unchanged)" in generate("1.0")
    assert "(written)" in generate("1.1")
    assert 'version = "1.1"' in (out / "pyproject.toml").read_text()
    assert json.loads((out / ".clientgen-manifest.json").read_text())["package_version"] == "1.1"


def test_committed_target_package_versions_reach_pyproject_and_user_agent() -> None:
    target = targets()["3.3.2"]
    files = render_package(real("3.3.2"), target.package, target.package_version)
    assert 'version = "3.3.2"' in files["pyproject.toml"]
    assert f'USER_AGENT = "airflow_rest_3_3_2/3.3.2 clientgen/{__version__}"' in files["airflow_rest_3_3_2/client.py"]


# -- 7. header values from spec text are sanitised --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pkg/1.0 clientgen/0.1.0", "pkg/1.0 clientgen/0.1.0"),
        ("pkg/1.0\r\nX-Evil: 1", "pkg/1.0 X-Evil: 1"),
        ("pâquet/1\x00\x7f\t2", "paquet/1 2"),
        ("名前/1", "/1"),
    ],
)
def test_header_value_keeps_printable_ascii_only(text: str, expected: str) -> None:
    assert header_value(text) == expected


def test_hostile_spec_version_never_reaches_a_header(tmp_path: Path) -> None:
    hostile = "1.0\r\nX-Evil: 1 \u00e9\u2028"
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps({"openapi": "3.0.3", "info": {"title": "T", "version": hostile}, "paths": {}}), encoding="utf-8"
    )
    out = tmp_path / "out"
    result = run_cli("generate", spec, "-o", out, "--package-name", "pâquet")
    assert result.returncode == 0, result.stderr
    agent = user_agent_of(out, "pâquet")
    assert re.fullmatch(r"[\x20-\x7e]+", agent), agent
    assert agent == f"paquet/0.0.0 clientgen/{__version__}"
    assert 'version = "0.0.0"' in (out / "pyproject.toml").read_text()
    import httpx

    httpx.Request("GET", "http://h/", headers={"User-Agent": agent})  # a valid header value


# -- 8. userinfo in spec URLs is refused --------------------------------------------------------------


@pytest.mark.parametrize(
    ("snippet", "line", "pointer"),
    [
        ("servers: [{url: 'http://a@b/api/v1'}]\n", 3, "/servers/0/url"),
        ("servers:\n  - url: /ok\n  - url: 'https://u:p@host/'\n", 5, "/servers/1/url"),
        (
            "servers:\n  - url: 'https://{who}host/'\n    variables: {who: {default: 'me@'}}\n",
            4,
            "/servers/0/url",
        ),
        (
            "components:\n  securitySchemes:\n    oauth:\n      type: oauth2\n      flows:\n"
            "        password:\n          tokenUrl: 'http://user@evil/token'\n          scopes: {}\n",
            9,
            "/components/securitySchemes/oauth/flows/password/tokenUrl",
        ),
    ],
)
def test_userinfo_in_spec_urls_is_refused(tmp_path: Path, snippet: str, line: int, pointer: str) -> None:
    text = HEAD.lstrip("\n") + snippet + "paths: {}\n"
    spec = tmp_path / "spec.yaml"
    spec.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("generate", spec, "-o", out, "--package-name", "mini")
    message = assert_one_line_error(result, "spec.yaml", line, pointer)
    assert "userinfo" in message
    assert not out.exists()


def test_plain_server_and_token_urls_are_fine(tmp_path: Path) -> None:
    api = build(
        tmp_path,
        """
servers: [{url: 'https://host:8443/api/v1?a=b@c'}]
paths: {}
components:
  securitySchemes:
    oauth:
      type: oauth2
      flows: {password: {tokenUrl: /auth/token, scopes: {}}}
""",
    )
    assert api.base_path == "/api/v1" and api.token_url == "/auth/token"


# -- 9. the README quickstart, decided in the render view ---------------------------------------------


QUICKSTART_PATHS = """
paths:
  /things:
    get:
      operationId: get_things
      tags: [Thing]
      parameters: [{name: limit, in: query, schema: {type: integer}}]
      responses: {"200": {description: ok, content: {application/json: {schema: {type: array, items: {type: string}}}}}}
  /things/{thing_id}:
    get:
      operationId: get_thing
      tags: [Thing]
      parameters: [{name: thing_id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
  /alpha:
    get:
      operationId: get_alpha
      tags: [Alpha]
      responses: {"200": {description: ok}}
  /alpha/needs:
    get:
      operationId: get_alpha_needs
      tags: [Alpha]
      parameters: [{name: q, in: query, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
"""


@pytest.mark.parametrize(
    ("schemes", "imports", "auth"),
    [
        (
            "b: {type: http, scheme: basic}\n"
            "    o: {type: oauth2, flows: {password: {tokenUrl: /auth/token, scopes: {}}}}",
            "TOKEN_URL, Client, NotFoundError, PasswordAuth",
            'auth = PasswordAuth("admin", "admin", token_url=TOKEN_URL)',
        ),
        ("b: {type: http, scheme: basic}", "BasicAuth, Client, NotFoundError", 'auth = BasicAuth("admin", "admin")'),
        ("t: {type: http, scheme: bearer}", "BearerAuth, Client, NotFoundError", 'auth = BearerAuth("token")'),
        (
            "k: {type: apiKey, in: header, name: X-Key}",
            "ApiKeyAuth, Client, NotFoundError",
            'auth = ApiKeyAuth("key", header="X-Key")',
        ),
        ("k: {type: apiKey, in: query, name: key}", "Client, NotFoundError", None),
    ],
)
def test_quickstart_auth_and_calls_come_from_the_spec(
    tmp_path: Path, schemes: str, imports: str, auth: str | None
) -> None:
    api = build(tmp_path, QUICKSTART_PATHS + f"components:\n  securitySchemes:\n    {schemes}\n")
    code = quickstart(api, "pkg")
    compile(code, "README.md", "exec")
    lines = code.splitlines()
    assert lines[0] == f"from pkg import {imports}"
    assert (auth in lines) if auth else not any(line.startswith("auth =") for line in lines)
    client_line = 'with Client("http://localhost:8080"' + (", auth=auth" if auth else "") + ") as client:"
    assert client_line in lines
    # the list GET with an item GET wins over an alphabetically earlier GET without one
    assert "    print(client.thing.get_things())" in lines
    assert '        print(client.thing.get_thing("thing_id"))' in lines
    assert "    except NotFoundError as exc:  # the placeholder names no real item" in lines


def test_quickstart_without_an_argument_free_get_shows_a_placeholder_call(tmp_path: Path) -> None:
    api = build(
        tmp_path,
        """
paths:
  /dbs/{database}/tasks:
    get:
      operationId: list_tasks
      tags: [Task]
      parameters: [{name: database, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok, content: {application/json: {schema: {type: array, items: {type: string}}}}}}
    post:
      operationId: create_task
      tags: [Task]
      parameters: [{name: database, in: path, required: true, schema: {type: string}}]
      responses: {"204": {description: ok}}
""",
    )
    assert quickstart_operations(api) == (None, op(api, "list_tasks"))
    code = quickstart(api, "pkg")
    compile(code, "README.md", "exec")
    assert '        print(client.task.list_tasks("database"))' in code.splitlines()


def test_success_media_types_that_would_break_the_accept_header_are_refused(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "spec.yaml",
        MINIMAL.replace("application/json:", '"application/json\\r\\nX-Evil: 1":'),
    )
    out = tmp_path / "out"
    message = assert_one_line_error(
        run_cli("generate", spec, "-o", out, "--package-name", "mini"),
        "spec.yaml",
        14,
        "/paths/~1items~1{item_id}/get/responses/200/content/application~1json\\r\\nX-Evil: 1",
    )
    assert "Accept header" in message
    assert not out.exists()
