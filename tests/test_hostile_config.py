"""Issue 12, the generator under hostile input: the user's configuration and what a spec may put in
files and headers. A ``[tool.clientgen]`` table of the wrong shape, package names that are not
importable, not distribution names or would shadow another module, spec text that would break the
generated pyproject.toml or README, server URLs that would send requests (and credentials) to another
host, and an ``info.version`` that would break the User-Agent header."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from clientgen import __version__
from clientgen.cli import main
from clientgen.errors import SpecError
from clientgen.pipeline import check_package_name
from clientgen.render.text import markdown_cell, toml_string, user_agent
from tests.conftest import MINIMAL, generated_package, write
from tests.normalise import HEAD, build

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

# Anything a terminal would act on or that would start another line.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
# RFC 9110 token characters, and a User-Agent of products ``name/version`` made of them.
TCHAR = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]"
USER_AGENT = re.compile(rf"{TCHAR}+/{TCHAR}+ clientgen/{TCHAR}+")
# PEP 508's distribution name.
PEP508_NAME = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.IGNORECASE)


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error(code: int, err: str, *parts: str) -> str:
    """The one inert ``error:`` line, exit 2, holding each of ``parts``."""
    assert "Traceback" not in err
    lines = err.split("\n")
    assert lines[-1] == "" and len(lines) == 2, err
    assert code == 2 and lines[0].startswith("error: "), (code, err)
    assert not CONTROL.search(lines[0]), lines[0]
    for part in parts:
        assert part in lines[0], (part, lines[0])
    return lines[0]


# -- 1. [tool.clientgen] of the wrong shape ------------------------------------------------------------

TARGET = """
[[tool.clientgen.targets]]
spec = "spec.yaml"
output = "out"
package-name = "mini"
"""


def _target(**values: str) -> str:
    """One ``[[tool.clientgen.targets]]`` entry: the valid one with ``values`` (TOML text) set."""
    keys = {"spec": '"spec.yaml"', "output": '"out"', "package-name": '"mini"'}
    keys.update({key.replace("_", "-"): value for key, value in values.items()})
    return "[[tool.clientgen.targets]]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items())


WRONG_CONFIGS = [
    ('[tool]\nclientgen = "targets"\n', "tool.clientgen"),
    ("[tool]\nclientgen = 3\n", "tool.clientgen"),
    ("tool = 3\n", "tool"),
    ('[tool.clientgen]\ntargets = "spec.yaml"\n', "tool.clientgen.targets"),
    ("[tool.clientgen]\ntargets = 3\n", "tool.clientgen.targets"),
    ("[tool.clientgen.targets]\nspec = 'spec.yaml'\n", "tool.clientgen.targets"),
    ('[tool.clientgen]\ntargets = ["spec.yaml"]\n', "tool.clientgen.targets[0]"),
    ("[tool.clientgen]\ntargets = [[]]\n", "tool.clientgen.targets[0]"),
    (_target(spec="1"), "tool.clientgen.targets[0].spec"),
    (_target(spec='""'), "tool.clientgen.targets[0].spec"),
    (_target(output="[]"), "tool.clientgen.targets[0].output"),
    (_target(output="{a = 1}"), "tool.clientgen.targets[0].output"),
    (_target(package_name="5"), "tool.clientgen.targets[0].package-name"),
    (_target(package_name="true"), "tool.clientgen.targets[0].package-name"),
    (_target(name="3"), "tool.clientgen.targets[0].name"),
    (_target(overlays='"ab.yaml"'), "tool.clientgen.targets[0].overlays"),
    (_target(overlays="{a = 1}"), "tool.clientgen.targets[0].overlays"),
    (_target(overlays='["o.yaml", 1]'), "tool.clientgen.targets[0].overlays[1]"),
    (_target(overlays='[["o.yaml"]]'), "tool.clientgen.targets[0].overlays[0]"),
    (_target(package_version="1.0"), "tool.clientgen.targets[0].package-version"),
    (TARGET + _target(overlays='"o.yaml"'), "tool.clientgen.targets[1].overlays"),
]


@pytest.mark.parametrize(("config", "key"), WRONG_CONFIGS)
def test_a_wrongly_typed_config_is_one_line_naming_the_file_and_the_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, config: str, key: str
) -> None:
    pyproject = write(tmp_path / "pyproject.toml", config)
    write(tmp_path / "spec.yaml", MINIMAL)
    write(tmp_path / "o.yaml", "overlay: 1.0.0\ninfo: {title: o, version: '1'}\nactions: []\n")
    code, out, err = cli(capsys, "generate", "--config", pyproject)
    line = one_error(code, err, "pyproject.toml: ", key)
    assert re.search(re.escape(key) + r"(?![\[.\w-])", line), line  # the key itself, not a longer one
    assert out == "" and not (tmp_path / "out").exists()  # nothing generated, not even a valid target


def test_a_config_that_is_not_utf8_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_bytes(TARGET.encode() + b"name = '\xff\xfe'\n")
    code, _, err = cli(capsys, "generate", "--config", pyproject)
    one_error(code, err, "pyproject.toml: ", "cannot read configuration")


@pytest.mark.parametrize("tool", ["tool = 3\n", 'tool = "clientgen"\n', "[tool]\nclientgen = 3\n"])
def test_a_config_found_by_search_is_checked_too(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tool: str
) -> None:
    write(tmp_path / "pyproject.toml", tool)
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "generate")
    one_error(code, err)


def test_a_well_typed_config_still_generates(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = _target(name='"first"', overlays='["o.yaml"]', package_version='"2.0"')
    pyproject = write(tmp_path / "pyproject.toml", config)
    write(tmp_path / "spec.yaml", MINIMAL)
    write(
        tmp_path / "o.yaml",
        "overlay: 1.0.0\ninfo: {title: o, version: '1'}\nactions: [{target: $.info, update: {description: d}}]\n",
    )
    code, out, err = cli(capsys, "generate", "--config", pyproject)
    assert code == 0, err
    assert out.startswith("first: 1 operations") and (tmp_path / "out" / "mini" / "client.py").is_file()


# -- 2. package names --------------------------------------------------------------------------------

BAD_NAMES = [
    ("a" * 300, "64"),
    ("b" * 65, "64"),
    ("café", "ASCII"),
    ("\u01c5", "ASCII"),  # ǅ, a titlecase letter
    ("\u210c", "ASCII"),  # BLACK-LETTER CAPITAL H, which NFKD makes H
    ("__init__", "letter"),
    ("_private", "letter"),
    ("1st", "letter"),
    ("not-valid", "not a valid Python identifier"),
    ("a.b", "not a valid Python identifier"),
    ("", "not a valid Python identifier"),
    ("class", "keyword"),
    ("None", "keyword"),
    ("sys", "standard-library"),
    ("json", "standard-library"),
    ("typing", "standard-library"),
    ("distutils", "standard-library"),  # gone in 3.12, still there on 3.10 and 3.11
    ("httpx", "depends on"),
    ("msgspec", "depends on"),
    ("Httpx", "depends on"),  # the same distribution for pip
    ("httpcore", "depends on"),
    ("typing_extensions", "depends on"),
]


@pytest.mark.parametrize(("name", "rule"), BAD_NAMES)
def test_a_bad_package_name_is_one_line_saying_which_rule(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, minimal_spec: Path, name: str, rule: str
) -> None:
    code, _, err = cli(capsys, "generate", minimal_spec, "-o", tmp_path / "out", "--package-name", name)
    if name == "":
        assert code == 2 and "package-name" in err  # the CLI's own check: the option is required
    else:
        line = one_error(code, err, "package name", rule)
        assert len(line) < 400, line  # a 300-character name is not repeated whole
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("name", "rule"), [n for n in BAD_NAMES if n[0]][::3])
def test_a_bad_package_name_in_the_config_names_the_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, rule: str
) -> None:
    pyproject = write(tmp_path / "pyproject.toml", TARGET + _target(package_name=json.dumps(name), output='"out2"'))
    write(tmp_path / "spec.yaml", MINIMAL)
    code, _, err = cli(capsys, "generate", "--config", pyproject)
    one_error(code, err, "pyproject.toml: ", "tool.clientgen.targets[1].package-name", rule)
    assert not (tmp_path / "out").exists()  # refused before the first target is generated


@pytest.mark.parametrize(
    "name", ["mini", "x", "A1", "airflow_rest_3_3_2", "My_Client_2", "c" * 64, "test_client", "json_api", "match"]
)
def test_accepted_package_names_are_identifiers_and_distribution_names(name: str) -> None:
    check_package_name(name)
    assert name.isidentifier() and name.isascii()
    assert PEP508_NAME.fullmatch(name.replace("_", "-"))


def test_check_package_name_refuses_every_stdlib_module() -> None:
    for module in sorted(sys.stdlib_module_names):
        with pytest.raises(SpecError):
            check_package_name(module)


# -- 3. spec text in pyproject.toml and README.md --------------------------------------------------------

TITLES = [
    "Emoji \U0001f600 API",
    'Quotes "double" and \'single\' """',
    "Back\\slash \\u0041 \\",
    "New\nline",
    "Tab\there",
    "DEL\x7fhere",
    "Controls \x00\x01\x08\x0b\x0c\x1b[2J\r\x1f\x85 end",
    "Separators \u2028\u2029 and bidi \u202e override",
    "Title\n# Heading\n```\nfence\n```\n<script>x</script> | pipe",
    'All: \U0001f600 " \\ \n \t \x7f \x01 ``` # | <',
]


def _spec(title: str, version: str = "1.0", servers: str = "") -> str:
    """A small spec as JSON (any character can be written), with a path and a path parameter whose
    names hold Markdown's code-span and table syntax."""
    document: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": title, "version": version, "description": title},
        "paths": {
            "/items/{id`|x}`": {
                "get": {
                    "operationId": "get_item",
                    "tags": ["Item"],
                    "summary": title,
                    "parameters": [{"name": "id`|x", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {"204": {"description": "ok"}},
                }
            },
            "/items": {
                "get": {"operationId": "list_items", "tags": ["Item"], "responses": {"204": {"description": "ok"}}}
            },
        },
    }
    if servers:
        document["servers"] = [{"url": servers}]
    return json.dumps(document)


@pytest.mark.parametrize("title", TITLES)
def test_generated_pyproject_is_valid_toml_holding_the_spec_text(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, title: str
) -> None:
    spec = write(tmp_path / "spec.json", _spec(title, version=title))
    code, _, err = cli(capsys, "generate", spec, "-o", tmp_path / "out", "--package-name", "mini")
    assert code == 0, err
    text = (tmp_path / "out" / "pyproject.toml").read_text(encoding="utf-8")
    project = tomllib.loads(text)["project"]
    assert project["description"] == f"Typed Python client for {title} {title} (generated by clientgen)"
    assert project["name"] == "mini" and project["version"] == "0.0.0"
    for line in text.split("\n"):
        assert not CONTROL.search(line), line  # escaped, so the file reads as the lines it has
    _check_readme((tmp_path / "out" / "README.md").read_text(encoding="utf-8"), title)


def _code_spans(cell: str) -> tuple[list[str], str]:
    """A GFM table cell's code spans (CommonMark: a run of n backticks up to the next run of exactly n;
    one space stripped from each end when both are spaces) and the text outside them."""
    spans, outside, pos = [], [], 0
    while True:
        opening = re.compile(r"(?<!`)`+(?!`)").search(cell, pos)
        if opening is None:
            break
        closing = re.compile(rf"(?<!`){opening.group()}(?!`)").search(cell, opening.end())
        if closing is None:
            break
        outside.append(cell[pos : opening.start()])
        content = cell[opening.end() : closing.start()]
        if content.startswith(" ") and content.endswith(" ") and content.strip():
            content = content[1:-1]
        spans.append(content.replace("\\|", "|"))  # GFM: an escaped pipe inside a cell, code spans too
        pos = closing.end()
    return spans, "".join(outside) + cell[pos:]


def _check_readme(readme: str, title: str) -> None:
    """The README has the template's structure whatever the spec's text: one title line, the quickstart's
    fence, and a table whose code spans show exactly the call and the path."""
    lines = readme.split("\n")
    words = " ".join(title.split())
    assert [line for line in lines if line.startswith("#")] == [
        lines[1],
        "## Testing your code without a server",
        "## Operations (2)",
        "### `client.item`",
    ], readme
    assert lines[1].startswith("# mini: a typed client for ")
    for word in ("Emoji", "\U0001f600", "Quotes", "Back\\slash", "Heading", "script"):
        assert (word in lines[1]) == (word in words), (word, lines[1])
    assert [line for line in lines if line.lstrip().startswith(("```", "~~~"))] == ["```python", "```"] * 2
    assert not any(CONTROL.search(line) for line in lines), readme
    rows = [line for line in lines if line.startswith("| `")]
    assert len(rows) == 2, rows
    cells = [re.split(r"(?<!\\)\|", row)[1:-1] for row in rows]
    assert all(len(row) == 3 for row in cells), cells
    by_call = {_code_spans(row[0])[0][0]: row for row in cells}
    item = by_call['client.item.get_item("id`|x")']
    assert _code_spans(item[1]) == (["GET /items/{id`|x}`"], "  ")
    assert _code_spans(by_call["client.item.list_items()"][1]) == (["GET /items"], "  ")


def test_the_toml_and_markdown_filters_on_their_own() -> None:
    for text in [*TITLES, "\ud83d lone surrogate", "astral \U000e0001 tag", "x" * 1000]:
        assert tomllib.loads(f"a = {toml_string(text)}")["a"] == text.replace("\ud83d", "\ufffd")
        cell = markdown_cell(text)
        assert "\n" not in cell and not CONTROL.search(cell) and not re.search(r"(?<!\\)\|", cell)
        code = markdown_cell(text, code=True)
        spans, outside = _code_spans(code)
        assert len(spans) == 1 and outside == "" and not re.search(r"(?<!\\)\|", code), code
    assert toml_string('plain "ascii" \\ text\n') == json.dumps('plain "ascii" \\ text\n')  # unchanged output
    assert markdown_cell("GET /dags/{dag_id}", code=True) == "`GET /dags/{dag_id}`"


# -- 4 and 5. servers[0].url only adds a path; info.version in the User-Agent ----------------------------

CLEAN_PATH = re.compile(r"(/([A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-F]{2})+)*")


@pytest.mark.parametrize(
    ("url", "expected", "warned"),
    [
        ("/api/v1", "/api/v1", False),
        ("/api/v1/", "/api/v1", False),
        ("https://api.example.com:8443/base/v3/", "/base/v3", False),
        ("https://api.example.com", "", False),
        ("/", "", False),
        ("", "", False),
        ("v1", "/v1", False),
        ("api/v2/", "/api/v2", False),
        ("./v1", "/v1", False),
        ("@otherhost:8080/api", "/@otherhost:8080/api", False),
        (".evil.com/api", "/.evil.com/api", False),
        ("//evil.com/api", "/api", False),
        ("/api//v1/./x", "/api/v1/x", False),
        ("/a b/\u00fc/%zz/%41/{x}", "/a%20b/%C3%BC/%25zz/%41/%7Bx%7D", False),
        ("/v2\n0 changes\r\x1b[2J", "/v20%20changes%1B%5B2J", False),  # tabs and newlines removed, as WHATWG does
        ("\\\\evil.com\\api", "/%5C%5Cevil.com%5Capi", False),
        ("/api/v1?key=1", "/api/v1", True),
        ("/api/v1#top", "/api/v1", True),
        ("../admin", "", True),
        ("/api/../../admin", "", True),
        ("/api/%2E%2e/admin", "", True),
        ("localhost:8080/api", "", True),
        ("javascript:alert(1)", "", True),
        ("http:/api", "", True),
        ("http://[::1/api", "", True),
    ],
)
def test_a_server_url_contributes_only_a_clean_path(tmp_path: Path, url: str, expected: str, warned: bool) -> None:
    api = build(tmp_path, f"servers: [{{url: {json.dumps(url)}}}]\npaths: {{}}\n")
    assert api.base_path == expected
    assert CLEAN_PATH.fullmatch(api.base_path) and "//" not in api.base_path
    assert not {".", ".."} & set(api.base_path.split("/"))
    warnings = [d for d in api.diagnostics if d.pointer == "/servers/0/url"]
    assert len(warnings) == int(warned), warnings
    if warned:
        assert warnings[0].line == 3 and not CONTROL.search(str(warnings[0]))


def test_userinfo_in_an_unparsable_server_url_is_still_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    spec = write(tmp_path / "spec.yaml", HEAD + "servers: [{url: 'http://user@[::1/api'}]\npaths: {}\n")
    code, _, err = cli(capsys, "generate", spec, "-o", tmp_path / "out", "--package-name", "mini")
    one_error(code, err, "spec.yaml:3: #/servers/0/url: ", "userinfo")


def test_server_variables_and_other_shapes(tmp_path: Path) -> None:
    api = build(
        tmp_path,
        "servers:\n  - url: '{scheme}://{host}/{base}'\n"
        "    variables: {scheme: {default: https}, host: {default: h.example}, base: {default: api/v3}}\n"
        "paths: {}\n",
    )
    assert api.base_path == "/api/v3" and not api.diagnostics


@pytest.mark.parametrize(
    ("server", "package"),
    [("@otherhost:8080/api", "hostile_at_client"), (".evil.com/api", "hostile_dot_client")],
)
def test_a_generated_client_only_talks_to_the_callers_host(tmp_path: Path, server: str, package: str) -> None:
    hostile_version = "1.0\r\nX-Evil: 1 \u00e9\u2028"
    with generated_package(_spec("T", version=hostile_version, servers=server), tmp_path / "out", package) as pkg:
        seen: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(204)

        http = httpx.Client(transport=httpx.MockTransport(handler))
        client = pkg.Client("http://caller.test", auth=pkg.BasicAuth("user", "secret"), http_client=http)
        client.item.list_items()
        client.item.get_item("a/b")
    assert [(r.url.scheme, r.url.host, r.url.port) for r in seen] == [("http", "caller.test", None)] * 2
    assert [r.url.raw_path for r in seen] == [
        f"/{server}/items".replace("//", "/").encode(),
        f"/{server}/items/a%2Fb%60".replace("//", "/").encode(),
    ]
    for request in seen:
        assert request.headers["Authorization"].startswith("Basic ")
        agent = request.headers["User-Agent"]
        assert USER_AGENT.fullmatch(agent) and agent == f"{package}/0.0.0 clientgen/{__version__}", agent


@pytest.mark.parametrize(
    ("package", "version"),
    [
        ("mini", "1.0\r\nX-Evil: 1 \u00e9"),
        ("mini", "1.0 beta"),
        ("mini", "\u00e9\u2028\x00"),
        ("mini", ""),
        ("p\u00e2quet", "2 (x)"),
        ("\u540d\u524d", "1"),
    ],
)
def test_the_user_agent_is_products_of_rfc9110_tokens(package: str, version: str) -> None:
    agent = user_agent(package, version)
    assert USER_AGENT.fullmatch(agent), agent
    httpx.Request("GET", "http://h/", headers={"User-Agent": agent})  # a valid header value


def test_the_user_agent_of_ordinary_names_is_unchanged() -> None:
    assert user_agent("airflow_rest_3_3_2", "3.3.2") == f"airflow_rest_3_3_2/3.3.2 clientgen/{__version__}"
    assert user_agent("mini", "1!2.0rc1.post3.dev4") == f"mini/1!2.0rc1.post3.dev4 clientgen/{__version__}"


def test_a_markdown_cell_of_ascii_text_drops_what_the_per_character_rule_drops() -> None:
    """ASCII text (most of a spec's) takes a quicker way through ``markdown_cell``: every ASCII character, alone
    and among others, comes out as Unicode's categories say (controls dropped, whitespace made one space)."""
    import unicodedata

    def by_category(text: str) -> str:
        kept = "".join(c for c in " ".join(text.split()) if unicodedata.category(c) not in ("Cc", "Cf", "Cs"))
        return " ".join(kept.split()).replace("|", "\\|").replace("<", "&lt;")

    every = "".join(chr(code) for code in range(128))
    for text in [every, every[::-1], *(f"a{chr(code)}b {chr(code)}" for code in range(128))]:
        assert markdown_cell(text) == by_category(text), repr(text)
