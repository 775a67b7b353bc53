"""Issue 9, generator side, beyond the normaliser's passes (those are in tests/normalise/): the package
version, header values built from spec text, userinfo in spec URLs, the README quickstart."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from clientgen import __version__
from clientgen.render import header_value, pep440, quickstart, quickstart_operations, render_package
from tests.conftest import MINIMAL, run_cli, write
from tests.normalise import HEAD, build, op, real, targets
from tests.test_cli_errors import assert_one_line_error

# -- 6. package version from the target -------------------------------------------------------------


def test_configured_targets_carry_their_package_version() -> None:
    assert {name: t.package_version for name, t in targets().items()} == {
        "2.10.5": "2.10.5",
        "2.11.2": "2.11.2",
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
    result = run_cli("generate", spec, "-o", out, "--package-name", "paquet")
    assert result.returncode == 0, result.stderr
    agent = user_agent_of(out, "paquet")
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
