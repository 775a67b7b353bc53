"""Rendering: escaping of spec text, a hostile spec, and golden output for a focused spec."""

from __future__ import annotations

import ast
import collections
import difflib
import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clientgen.render import docstring, py_literal
from tests.conftest import ROOT, groups_of, run_cli, write

GOLDEN = ROOT / "tests" / "golden" / "focused"
FOCUSED = ROOT / "tests" / "specs" / "focused.yaml"


@pytest.mark.parametrize(
    "value", ["plain", "it's", 'say "hi"', "both ' and \"", "back\\slash", "nl\nand\ttab", "\x00\x1f", "\u2028 é 🚀"]
)
def test_py_literal_round_trips(value: str) -> None:
    assert ast.literal_eval(py_literal(value)) == value


@pytest.mark.parametrize(
    "text",
    [
        'ends with a quote"',
        'has """ triple quotes """ inside',
        "trailing backslash \\",
        "\\N{BULLET} and \\x41 and \\u0041 are not escapes here",
        "*/ closes a C comment, not ours",
        "line one\r\nline two\rline three",
        "control \x07 bell",
    ],
)
def test_docstring_holds_any_text(text: str) -> None:
    source = f"def f():\n    {docstring(text)}\n"
    tree = ast.parse(source)
    fn = tree.body[0]
    assert isinstance(fn, ast.FunctionDef) and len(fn.body) == 1
    value = ast.get_docstring(fn, clean=True)
    expected = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x07", "").strip()
    assert value == expected


PAYLOAD = '__import__("os").system("echo pwned")'
HOSTILE = {
    "openapi": "3.0.3",
    "info": {
        "title": f'Evil """ title\'); {PAYLOAD} #',
        "version": f'1"; {PAYLOAD} #',
        "description": f'""" + {PAYLOAD} + """\\',
    },
    "paths": {
        f'/items/{{item_id}}"); {PAYLOAD}; ("': {
            "get": {
                "operationId": f'get"; {PAYLOAD}; "',
                "tags": [f'Tag"; {PAYLOAD}; "'],
                "summary": f'"""; {PAYLOAD}; """',
                "description": "ends with a backslash \\",
                "parameters": [
                    {"name": "item_id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {
                        "name": f'q"; {PAYLOAD}; "',
                        "in": "query",
                        "schema": {"type": "string", "enum": ['a"b', "c'd", "e\nf", "\\", f"{PAYLOAD}"]},
                    },
                ],
                "responses": {
                    "200": {
                        "description": '"""',
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Evil%22Name"}}},
                    }
                },
            }
        }
    },
    "components": {
        "schemas": {
            'Evil"Name': {
                "type": "object",
                "description": f'"""\n{PAYLOAD}\n"""',
                "properties": {
                    f"x'); {PAYLOAD.replace(chr(34), chr(39))}; ('": {
                        "type": "string",
                        "description": '"""',
                        "default": f"{PAYLOAD}",
                    },
                    "__class__": {"type": "string"},
                    "self": {"type": "integer"},
                },
            }
        }
    },
}

ALLOWED_IMPORTS = {
    "__future__", "datetime", "typing", "collections.abc", "msgspec", "msgspec.inspect", "httpx", "asyncio",
    "base64", "email.utils", "enum", "logging", "random", "re", "threading", "time", "dataclasses",
    "urllib.parse", "collections", "contextlib", "math", "pathlib", "types", "warnings", "weakref", "zlib",
    "functools", "importlib", "sys",
}  # fmt: skip


def test_hostile_spec_text_cannot_inject_code(tmp_path: Path) -> None:
    spec = tmp_path / "evil.json"
    spec.write_text(json.dumps(HOSTILE), encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("generate", spec, "-o", out, "--package-name", "evil_client")
    assert result.returncode == 0, result.stderr
    paths = sorted((out / "evil_client").rglob("*.py"))
    assert len(paths) > 10  # the models, resources and endpoints modules are checked too
    for path in paths:
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert all(alias.name in ALLOWED_IMPORTS for alias in node.names), (path, ast.dump(node))
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                assert node.module in ALLOWED_IMPORTS, (path, node.module)
            if isinstance(node, (ast.Name, ast.Attribute)):
                name = node.id if isinstance(node, ast.Name) else node.attr
                assert name not in {"os", "system", "__import__", "eval", "exec"}, (path, name)
    sys.path.insert(0, str(out))
    try:
        module = importlib.import_module("evil_client")
        client = module.Client("http://localhost")
        group = next(v for k, v in groups_of(client).items() if k.startswith("tag"))
        assert callable(next(getattr(group, n) for n in dir(group) if n.startswith("get")))
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m.startswith("evil_client")]:
            del sys.modules[name]


def test_property_names_the_decoder_cannot_map_are_a_warning_and_strict_refuses(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "spec.yaml",
        """
        openapi: 3.0.3
        info: {title: t, version: "1"}
        paths: {}
        components:
          schemas:
            Thing:
              type: object
              properties:
                'say "hi"': {type: string}
        """,
    )
    result = run_cli("generate", spec, "-o", tmp_path / "out", "--package-name", "c")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert 'spec.yaml:9: #/components/schemas/Thing/properties/say "hi": property name' in result.stderr
    assert result.stderr.startswith("warning: ")
    strict = run_cli("generate", spec, "-o", tmp_path / "strict", "--package-name", "c", "--strict")
    assert strict.returncode == 2 and not (tmp_path / "strict").exists()


def _tree(folder: Path) -> dict[str, str]:
    """Files by relative path; the manifest without the generator fingerprint, which changes with any
    edit to the generator even when the output does not (generated/ is held to it by --check). Bytecode
    Python wrote beside an imported copy (the behaviour test below imports the golden package) is no output."""
    tree = {
        p.relative_to(folder).as_posix(): p.read_text()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.relative_to(folder).parts
    }
    manifest = json.loads(tree[".clientgen-manifest.json"])
    del manifest["fingerprint"]
    tree[".clientgen-manifest.json"] = json.dumps(manifest, indent=2, sort_keys=True)
    return tree


def test_golden_output_of_the_focused_spec(tmp_path: Path) -> None:
    """The rendered package for tests/specs/focused.yaml, file by file. After an intended change:
    CLIENTGEN_UPDATE_GOLDEN=1 pytest tests/test_render.py, then review the diff of tests/golden/."""
    out = tmp_path / "focused"
    result = run_cli("generate", FOCUSED, "-o", out, "--package-name", "focused_client")
    assert result.returncode == 0, result.stderr
    if os.environ.get("CLIENTGEN_UPDATE_GOLDEN") == "1":
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(out, GOLDEN)
    produced, expected = _tree(out), _tree(GOLDEN)
    assert sorted(produced) == sorted(expected)
    for name in expected:
        if produced[name] != expected[name]:
            diff = "".join(
                difflib.unified_diff(expected[name].splitlines(True), produced[name].splitlines(True), name, name)
            )
            pytest.fail(f"{name} differs from the golden copy:\n{diff[:4000]}")


def test_focused_client_behaviour_matches_its_golden_layout() -> None:
    """The golden package is a working client: its pieces do what the layout promises."""
    import httpx

    sys.path.insert(0, str(GOLDEN))
    try:
        pkg = importlib.import_module("focused_client")
        sent: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            sent.append(request)
            if request.method == "DELETE":
                return httpx.Response(204)
            return httpx.Response(
                200, json={"name": "n", "schedule": {"kind": "Every", "seconds": 1.5}, "state": "new"}
            )

        client = pkg.Client("http://h", http_client=httpx.Client(transport=httpx.MockTransport(handler)))
        job = client.job.patch_job("a b", name="n")
        assert sent[-1].url.raw_path == b"/api/v1/jobs/a%20b?update_mask=name"
        assert isinstance(job.schedule, pkg.models.Every) and job.schedule.seconds == 1.5
        assert job.state == "new" and isinstance(job.state, pkg.models.JobState)
        assert client.job.delete_job("x") is None
        client.job.get_jobs(state=[pkg.models.JobState.QUEUED, "running"], x_trace="t-1")
        assert sent[-1].url.raw_path == b"/api/v1/jobs?state=queued&state=running"
        assert sent[-1].headers["x-trace"] == "t-1"
        assert not hasattr(pkg.models.JobRequest, "job_id") and not hasattr(pkg.models.JobRequest, "created")
    finally:
        sys.path.remove(str(GOLDEN))


SWARM = """
openapi: 3.0.3
info: {title: Swarm, version: "1.0"}
paths:
  /swarm/init:
    post:
      operationId: swarm_init
      tags: [Swarm]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/SwarmInitRequest"}
      responses:
        "200":
          description: node id
          content:
            application/json: {schema: {type: string}}
            text/plain: {schema: {type: string}}
components:
  schemas:
    SwarmInitRequest:
      type: object
      properties:
        ListenAddr: {type: string}
"""


def test_async_method_with_a_json_body_and_two_response_media_types(tmp_path: Path) -> None:
    """Docker's swarm_init: an overloaded (``accept=``) async method that builds a JSON body used to
    raise NameError (``merge_body`` was not imported by the async module); and a JSON string answer
    (``"node1"``) used to come back with its quotes, as text."""
    import asyncio

    import httpx

    result = run_cli(
        "generate", write(tmp_path / "swarm.yaml", SWARM), "-o", tmp_path / "out", "--package-name", "swarm_c"
    )
    assert result.returncode == 0, result.stderr
    sys.path.insert(0, str(tmp_path / "out"))
    try:
        swarm = importlib.import_module("swarm_c")
        sent: list[bytes] = []

        def handler(request: httpx.Request) -> httpx.Response:
            sent.append(request.content)
            if request.headers["accept"] == "text/plain":
                return httpx.Response(200, text="node1", headers={"content-type": "text/plain"})
            return httpx.Response(200, json="node1")

        async def main() -> list[str]:
            http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
            async with swarm.AsyncClient("http://docker.test", http_client=http) as client:
                return [
                    await client.swarm.swarm_init(listen_addr="0.0.0.0:2377"),
                    await client.swarm.swarm_init(listen_addr="0.0.0.0:2377", accept="text/plain"),
                ]

        assert asyncio.run(main()) == ["node1", "node1"]
        assert [json.loads(body) for body in sent] == [{"ListenAddr": "0.0.0.0:2377"}] * 2
    finally:
        sys.path.remove(str(tmp_path / "out"))


@pytest.mark.parametrize("lines_per_piece", [12, 150])
def test_formatting_in_pieces_is_byte_for_byte_black_on_the_whole_file(lines_per_piece: int) -> None:
    """Big files are formatted in pieces (generator/writer.py): cut at top-level definitions, between
    top-level assignments (the endpoint table) and between methods of a class (a resource group);
    joined, the pieces must be exactly what black makes of the whole file. Checked on Airflow 3.3.2's
    package cut into small and ~150-line pieces (classes, decorated overloads, aliases after classes,
    methods after docstrings and after other methods, endpoint declarations)."""
    from clientgen import writer
    from clientgen.loader import load_spec
    from clientgen.normalise import normalise
    from clientgen.render import render_package

    spec = load_spec(ROOT / "specs" / "airflow-3.3.2" / "v2-rest-api-generated.yaml", validate=False)
    files = render_package(normalise(spec), "airflow", "3.3.2")
    joints: collections.Counter[str] = collections.Counter()
    for name, text in sorted(files.items()):
        if not name.endswith(".py") or name.endswith("_runtime.py"):
            continue
        cuts = writer.split_for_black(text, lines_per_piece=lines_per_piece, attributes=True)
        joints.update(joint for joint, _ in cuts[1:])
        joints.update("class body" for joint, cut in cuts[1:] if not joint and cut.startswith(writer._CLASS_BODY_HEAD))
        pieces = [writer._format_piece(piece) or "" for _, piece in cuts]
        assert "" not in pieces, name
        joined = "".join(joint + writer._unwrapped(cut, text) for (joint, cut), text in zip(cuts, pieces, strict=True))
        assert joined == writer._format_one(text), name
    least = 20 if lines_per_piece < 50 else 1
    assert joints["\n\n"] >= least and joints[""] >= least and joints["\n"] >= least, joints
    assert joints["class body"] >= least  # inside a class, after a field or a mock's annotation split by black


def test_a_file_whose_pieces_black_cannot_take_alone_is_formatted_whole() -> None:
    """A cut can only be guessed from the lines; one that falls inside a string makes pieces black
    cannot parse, and the file is then formatted whole rather than failing or losing text."""
    from clientgen import writer

    method = "    def m{0}(self) -> int:\n        return {0}\n"
    text = "class A:\n" + "\n".join(method.format(i) for i in range(4))
    text += '    X = """\n\n' + "\n".join(method.format(i) for i in range(4, 8)) + '"""\n'
    cuts = writer.split_for_black(text, lines_per_piece=2)
    assert None in [writer._format_piece(piece) for _, piece in cuts]  # a cut fell inside the string
    assert writer.format_sources({"pkg/a.py": text})["pkg/a.py"] == writer._format_one(text)


def test_a_changed_operation_sends_black_only_the_pieces_it_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file's first line names the spec's sha256, so any spec change used to make every file's first
    piece new to black's cache (GitHub's spec: 237 pieces, ~5 s of a regeneration). A change to one
    operation's summary now reaches black in the pieces that hold it, and the files are still black's
    own text of the whole file, header included."""
    from clientgen import writer
    from clientgen.loader import load_spec
    from clientgen.normalise import normalise
    from clientgen.render import render_package

    monkeypatch.setenv("CLIENTGEN_CACHE_DIR", str(tmp_path / "cache"))
    source = (ROOT / "specs" / "airflow-2.10.5" / "v1.yaml").read_text(encoding="utf-8")
    spec_path = tmp_path / "v1.yaml"
    formatted_pieces: list[bytes] = []  # what black was given to format, as the cache receives it
    store = writer.write_entry

    def stored(kind: str, key: str, text: bytes) -> None:
        if kind.startswith("black-"):  # not the list of proven pieces
            formatted_pieces.append(text)
        store(kind, key, text)

    monkeypatch.setattr(writer, "write_entry", stored)
    outputs = []
    for text in (source, source.replace("summary: Get a pool\n", "summary: Get one pool\n", 1)):
        assert text.count("summary: Get one pool") <= 1
        spec_path.write_text(text, encoding="utf-8")
        files = render_package(normalise(load_spec(spec_path, validate=False)), "airflow", "2.10.5")
        formatted_pieces.clear()
        outputs.append((files, writer.format_sources(files)))
    (_, first), (files, second) = outputs
    changed = [name for name in files if first[name] != second[name]]
    # only the files that say the summary (no header names the spec: its sha256 is in the manifest)
    assert sorted(changed) == ["README.md", "airflow/resources/_pool.py"]
    # the get_pool method (sync, async), and the few lines that prove them in black's layout (layout_proof)
    assert len(formatted_pieces) <= 8, len(formatted_pieces)
    assert sum(piece.count(b"\n") for piece in formatted_pieces) <= 250  # of ~10,000 lines
    for name in changed:
        if name.endswith(".py") and not name.endswith("_runtime.py"):
            assert second[name] == writer._format_one(files[name]), name


def test_templates_are_compiled_once_and_kept_only_where_nobody_else_can_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compiled templates are kept beside them, as Python keeps compiled modules (compiling was ~0.15 s of
    every run); a kept entry is code, so a folder others can write to is not used, and a damaged entry is
    compiled again, never trusted."""
    import jinja2

    from clientgen import render
    from clientgen.loader import load_spec
    from clientgen.normalise import normalise

    templates = tmp_path / "templates"
    shutil.copytree(render.templates_dir(), templates, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(render, "templates_dir", lambda: templates)
    api = normalise(load_spec(ROOT / "specs" / "airflow-2.10.5" / "v1.yaml", validate=False))
    first = render.render_package(api, "airflow", "2.10.5")
    kept = sorted((templates / "__pycache__").glob("jinja-*.cache"))
    assert len(kept) >= 10
    compile_template = jinja2.Environment.compile

    def refused(*args: object, **kwargs: object) -> object:
        raise AssertionError("a template was compiled again")

    with monkeypatch.context() as patched:
        patched.setattr(jinja2.Environment, "compile", refused)
        assert render.render_package(api, "airflow", "2.10.5") == first
    kept[0].write_bytes(kept[0].read_bytes()[:40] + b"\0damaged")
    assert render.render_package(api, "airflow", "2.10.5") == first
    os.chmod(templates / "__pycache__", 0o777)
    assert render._compiled_templates() is None
    with monkeypatch.context() as patched:
        compiled: list[str] = []

        def counted(self: jinja2.Environment, source: str, *args: object, **kwargs: object) -> object:
            compiled.append(source)
            return compile_template(self, source, *args, **kwargs)

        patched.setattr(jinja2.Environment, "compile", counted)
        assert render.render_package(api, "airflow", "2.10.5") == first
        assert len(compiled) >= 10  # compiled again, the kept entries not read


def test_runtime_exports_are_the_runtime_s_own_all() -> None:
    """runtime_exports() parses only the ``__all__`` statement: the same names as the whole module's."""
    from clientgen.render import runtime_exports, runtime_source

    tree = ast.parse(runtime_source())
    assigned = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
    ]
    assert len(assigned) == 1
    names = ast.literal_eval(assigned[0])
    assert sorted(runtime_exports()) == sorted(names)
    assert runtime_exports()[0] == "UNSET"


MEDIA = """
openapi: 3.0.3
info: {title: Media, version: "1"}
paths:
  /things/{name}:
    get:
      operationId: get_thing
      parameters:
        - {name: name, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json: {schema: {$ref: "#/components/schemas/Thing"}}
            text/json: {schema: {type: string}}
            application/yaml: {schema: {type: string, format: binary}}
            text/plain: {schema: {type: string}}
            application/x-protobuf: {schema: {type: string, format: binary}}
  /notes:
    get:
      operationId: get_notes
      responses:
        "200":
          description: ok
          content:
            text/plain: {schema: {type: string}}
            text/markdown: {schema: {type: string}}
components:
  schemas:
    Thing:
      type: object
      properties:
        name: {type: string}
"""

MEDIA_USE = """
from media_c import Client, models

client = Client("http://media.test")
thing: models.Thing = client.default.get_thing("a")
text: str = client.default.get_thing("a", accept="text/json")
also_text: str = client.default.get_thing("a", accept="text/plain")
raw: bytes = client.default.get_thing("a", accept="application/x-protobuf")
notes: str = client.default.get_notes(accept="text/markdown")
"""


def test_media_types_with_one_answer_type_share_an_overload(tmp_path: Path) -> None:
    """A named output change (issue 13): one ``@overload`` per answer type, its ``accept`` a Literal of every
    media type giving that type, instead of one per media type (kubernetes' JSON/YAML/protobuf answers:
    231k -> 188k lines). Calls are typed as before (mypy --strict on a caller), the Accept header is the
    one chosen, and an operation whose media types all give one type has the one signature. A binary media
    type chosen beside a JSON default is its bytes, as typed (it was decoded as text: ``'x'``, typed bytes)."""
    import httpx

    out = tmp_path / "out"
    result = run_cli("generate", write(tmp_path / "media.yaml", MEDIA), "-o", out, "--package-name", "media_c")
    assert result.returncode == 0, result.stderr
    resources = "".join(p.read_text(encoding="utf-8") for p in sorted((out / "media_c" / "resources").glob("_*.py")))
    assert resources.count("@overload") == 3  # Thing, str, bytes: get_notes has none
    assert 'accept: Literal["application/json"] = "application/json",' in resources
    assert 'accept: Literal["text/json", "text/plain"],' in resources
    assert 'accept: Literal["application/yaml", "application/x-protobuf"],' in resources
    assert 'accept: Literal["text/plain", "text/markdown"] = "text/plain",' in resources
    env = {**os.environ, "MYPYPATH": str(out)}
    mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", str(tmp_path / "c"), "use.py"]
    outcomes = []
    for use in (MEDIA_USE, MEDIA_USE.replace("raw: bytes", "raw: str")):  # the second annotation is wrong
        (tmp_path / "use.py").write_text(use, encoding="utf-8")
        outcomes.append(subprocess.run(mypy, cwd=tmp_path, capture_output=True, text=True, env=env, check=False))
    right, wrong = outcomes
    assert right.returncode == 0, right.stdout + right.stderr
    assert wrong.returncode == 1 and "use.py:8" in wrong.stdout, wrong.stdout
    sys.path.insert(0, str(out))
    try:
        media = importlib.import_module("media_c")
        asked: list[str] = []

        def handler(request: httpx.Request) -> httpx.Response:
            asked.append(request.headers["accept"])
            return httpx.Response(200, content=b"x", headers={"content-type": request.headers["accept"]})

        client = media.Client("http://media.test", http_client=httpx.Client(transport=httpx.MockTransport(handler)))
        assert client.default.get_thing("a", accept="application/yaml") == b"x"
        assert client.default.get_thing("a", accept="text/plain") == "x"
        assert asked == ["application/yaml", "text/plain"]
    finally:
        sys.path.remove(str(out))
