"""Spec text built to hang, exhaust or crash the loader: each gives one inert line and exit 2 within
seconds, or generates as it should. Each case runs in its own interpreter, bounded in time and memory
(a failure here is a timeout or a memory error, never a stuck test run)."""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MINIMAL, ROOT, package_source, write

MEMORY_LIMIT = 1536 * 1024 * 1024
TIME_LIMIT = 60.0


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def bounded_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """``clientgen ARGS`` in a fresh interpreter limited to 1.5 GB and 60 s; its process group is
    killed if it runs over, so no child outlives the test."""
    process = subprocess.Popen(
        [sys.executable, "-m", "clientgen", *map(str, args)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_limit_memory,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=TIME_LIMIT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"clientgen {' '.join(map(str, args))} ran past {TIME_LIMIT:g} s")
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def one_line_error(result: subprocess.CompletedProcess[str], file_name: str) -> str:
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, (result.returncode, result.stderr[-2000:])
    assert lines[0].startswith("error: ") and file_name in lines[0], lines[0]
    return lines[0]


def generate(spec: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return bounded_cli("generate", spec, "-o", out, "--package-name", "mini")


BOMB = """x-bomb:
  a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
  g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
  h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
  i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""
BILLION_LAUGHS = 'openapi: 3.0.3\ninfo: {title: Mini, version: "1.0"}\n' + BOMB + "paths: {}\n"


def test_an_alias_bomb_in_a_spec_is_refused_at_its_line(tmp_path: Path) -> None:
    spec = write(tmp_path / "bomb.yaml", BILLION_LAUGHS)
    message = one_line_error(generate(spec, tmp_path / "out"), "bomb.yaml")
    assert re.search(r"bomb\.yaml:1[0-2]: #/x-bomb/[g-i]", message) and "alias" in message, message
    assert not (tmp_path / "out").exists()


def test_an_alias_bomb_in_an_overlay_and_in_either_side_of_diff(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", MINIMAL)
    overlay_text = (
        'overlay: 1.0.0\ninfo: {title: o, version: "1"}\n' + BOMB + "actions: [{target: $.info, update: {}}]\n"
    )
    overlay = write(tmp_path / "overlay.yaml", overlay_text)
    one_line_error(
        bounded_cli("generate", spec, "-o", tmp_path / "out", "--package-name", "mini", "--overlay", overlay),
        "overlay.yaml",
    )
    bomb = write(tmp_path / "bomb.yaml", BILLION_LAUGHS)
    one_line_error(bounded_cli("diff", spec, bomb), "bomb.yaml")
    one_line_error(bounded_cli("diff", bomb, spec), "bomb.yaml")


def test_an_alias_inside_its_own_anchor_is_refused(tmp_path: Path) -> None:
    spec = write(tmp_path / "loop.yaml", MINIMAL + "x-loop: &loop\n  again: [*loop]\n")
    message = one_line_error(generate(spec, tmp_path / "out"), "loop.yaml")
    assert "x-loop" in message and "alias" in message, message


def test_a_few_ordinary_aliases_still_load(tmp_path: Path) -> None:
    shared = "x-shared: &shared {type: string, maxLength: 10}\n"
    text = MINIMAL.replace("name: {type: string}", "name: *shared\n        other: *shared").replace(
        "paths:", shared + "paths:"
    )
    result = generate(write(tmp_path / "spec.yaml", text), tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "other: str" in package_source(tmp_path / "out", "mini", "models")


@pytest.mark.parametrize("depth", [10_000, 100_000])
def test_deep_yaml_is_refused_without_crashing(tmp_path: Path, depth: int) -> None:
    spec = write(tmp_path / "deep.yaml", MINIMAL + "x-deep: " + "[" * depth + "]" * depth + "\n")
    message = one_line_error(generate(spec, tmp_path / "out"), "deep.yaml")
    assert "deep" in message and "#/x-deep" in message, message


def test_deep_block_yaml_is_refused(tmp_path: Path) -> None:
    deep = "".join(f"{'  ' * i}k:\n" for i in range(400)) + "  " * 400 + "v: 1\n"
    spec = write(tmp_path / "deep.yaml", MINIMAL + "x-deep:\n" + "\n".join("  " + line for line in deep.splitlines()))
    one_line_error(generate(spec, tmp_path / "out"), "deep.yaml")


@pytest.mark.parametrize("depth", [300, 10_000, 100_000])
def test_deep_json_is_refused(tmp_path: Path, depth: int) -> None:
    data = json.loads(json.dumps(_minimal_json()))
    spec = tmp_path / "deep.json"
    text = json.dumps(data)[:-1] + ', "x-deep": ' + "[" * depth + "]" * depth + "}"
    spec.write_text(text, encoding="utf-8")
    message = one_line_error(generate(spec, tmp_path / "out"), "deep.json")
    assert "deep" in message, message


def test_a_deep_but_reasonable_schema_still_generates(tmp_path: Path) -> None:
    nested = "{type: string}"
    for _ in range(40):
        nested = f"{{type: object, properties: {{inner: {nested}}}}}"
    text = MINIMAL.replace("name: {type: string}", f"name: {nested}")
    result = generate(write(tmp_path / "spec.yaml", text), tmp_path / "out")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_a_100k_digit_integer_is_refused_at_its_line(tmp_path: Path, suffix: str) -> None:
    data = _minimal_json()
    lines = json.dumps(data, indent=1).splitlines()
    lines.insert(3, f' "x-big": {"9" * 100_000},')
    spec = tmp_path / f"big{suffix}"
    spec.write_text("\n".join(lines), encoding="utf-8")
    message = one_line_error(generate(spec, tmp_path / "out"), spec.name)
    assert f"{spec.name}:4" in message and "digits" in message, message


def test_a_spec_file_past_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    spec = tmp_path / "huge.json"
    with spec.open("wb") as handle:
        handle.truncate(300 * 1024 * 1024)  # sparse: no disk used
    message = one_line_error(generate(spec, tmp_path / "out"), "huge.json")
    assert "MB" in message, message


def _minimal_json() -> dict[str, object]:
    import yaml

    data: dict[str, object] = yaml.safe_load(MINIMAL)
    return data


def test_a_key_written_twice_is_refused_at_the_second(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "        name: {type: string}", "        name: {type: string}\n        name: {type: integer}"
    )
    spec = write(tmp_path / "dup.yaml", text)
    message = one_line_error(generate(spec, tmp_path / "out"), "dup.yaml")
    assert "dup.yaml:23" in message and "duplicate key 'name'" in message, message
    data = _minimal_json()
    lines = json.dumps(data, indent=1).splitlines()
    lines.insert(2, ' "info": {"title": "Again", "version": "2"},')
    spec = tmp_path / "dup.json"
    spec.write_text("\n".join(lines), encoding="utf-8")
    message = one_line_error(generate(spec, tmp_path / "out"), "dup.json")
    assert re.search(r"dup\.json:\d+: #/info: duplicate key 'info'", message), message


def test_yaml_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    text = MINIMAL.replace("paths:", "x-base: &base {type: string, maxLength: 3}\npaths:").replace(
        "name: {type: string}", "name: {<<: *base, maxLength: 5}"
    )
    assert generate(write(tmp_path / "spec.yaml", text), tmp_path / "out").returncode == 0


def test_yaml_keys_are_the_text_written(tmp_path: Path) -> None:
    from clientgen.loader import load_spec

    text = MINIMAL.replace("name: {type: string}", "true: {type: string}\n        null: {type: string}\n        on: {}")
    spec = load_spec(write(tmp_path / "spec.yaml", text))
    properties = spec.data["components"]["schemas"]["Item"]["properties"]
    assert list(properties) == ["id", "true", "null", "on"]
    assert list(spec.data["paths"]["/items/{item_id}"]["get"]["responses"]) == ["200"]


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_a_lone_surrogate_is_refused_at_its_pointer(tmp_path: Path, suffix: str) -> None:
    data = _minimal_json()
    text = json.dumps(data, indent=1).replace('"title": "Mini"', '"title": "Mini \\ud800"')
    spec = tmp_path / f"lone{suffix}"
    spec.write_text(text, encoding="utf-8")
    message = one_line_error(generate(spec, tmp_path / "out"), spec.name)
    if suffix == ".yaml":  # the YAML reader refuses the escape itself, at its line
        assert f"{spec.name}:4: invalid YAML" in message, message
        return
    assert "#/info/title" in message and "surrogate" in message, message
    paired = tmp_path / f"paired{suffix}"
    paired.write_text(text.replace("\\ud800", "\\ud83d\\ude00"), encoding="utf-8")
    assert generate(paired, tmp_path / "out2").returncode == 0


def test_a_3000_long_ref_chain_generates(tmp_path: Path) -> None:
    length = 3000
    chain = "".join(f"    Link{i}: {{$ref: '#/components/schemas/Link{i + 1}'}}\n" for i in range(length))
    chain += f"    Link{length}: {{$ref: '#/components/schemas/Item'}}\n"
    text = MINIMAL.replace('$ref: "#/components/schemas/Item"', "$ref: '#/components/schemas/Link0'")
    spec = write(tmp_path / "chain.yaml", text + chain)
    result = generate(spec, tmp_path / "out")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "def get_item" in package_source(tmp_path / "out", "mini", "resources")


@pytest.mark.parametrize(
    ("title", "lone"),
    [
        ("\\ud83d\\ude00", False),  # a pair: one character
        ("\\uD83D\\uDE00", False),
        ("\\ud800", True),
        ("\\ude00", True),
        ("\\ude00\\ud83d", True),  # low before high: two lone ones
        ("\\ud83d\\\\ude00", True),  # a high, then an escaped backslash and text
        ("\\\\ud83d\\ude00", True),  # a backslash and text, then a lone low
        ("\\\\ud800", False),  # a backslash and text
        ("\\\\\\ud83d\\ude00", False),  # a backslash, then a pair
        ("\\ud83d\\u0041", True),
    ],
)
def test_a_json_spec_is_walked_for_lone_surrogates_only_where_its_text_has_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, title: str, lone: bool
) -> None:
    """A JSON spec written with its non-ASCII text escaped (``json.dumps``' default) holds surrogate pairs
    (GitHub's: 0.3 s walking 13 MB for a lone one): the text tells where one may be lone, escaped
    backslashes counted."""
    from clientgen import documents
    from clientgen.errors import SpecError
    from clientgen.loader import load_spec

    text = json.dumps(_minimal_json()).replace('"title": "Mini"', f'"title": "Mini {title}"')
    spec = write(tmp_path / "spec.json", text)
    walked: list[Path] = []
    refuse = documents.Documents._refuse_lone_surrogates
    monkeypatch.setattr(
        documents.Documents,
        "_refuse_lone_surrogates",
        lambda self, path, data: walked.append(path) or refuse(self, path, data),
    )
    try:
        load_spec(spec, validate=False)
        refused = False
    except SpecError as error:
        refused = "surrogate" in str(error)
    assert refused is lone and bool(walked) is lone
