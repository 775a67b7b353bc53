"""Every user error: one line naming file, line and JSON pointer; exit code 2; nothing written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import MINIMAL, run_cli, write


def assert_one_line_error(result, file_name: str, line: int | None, pointer: str | None) -> str:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    message = lines[0]
    assert message.startswith("error: "), message
    assert file_name in message
    if line is not None:
        assert re.search(rf"{re.escape(file_name)}:{line}\b", message), message
    if pointer is not None:
        assert f"#{pointer}" in message, message
    return message


def generate(spec: Path, out: Path, *extra: str):
    return run_cli("generate", spec, "-o", out, "--package-name", "mini", *extra)


def test_invalid_yaml(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "bad.yaml",
        """
        openapi: 3.0.3
        info: {title: x, version: "1"}
        paths:
          /a: [unclosed
        """,
    )
    out = tmp_path / "out"
    message = assert_one_line_error(generate(spec, out), "bad.yaml", None, None)
    assert "invalid YAML" in message
    assert re.search(r"bad\.yaml:\d+", message)
    assert not out.exists()


def test_invalid_json(tmp_path: Path) -> None:
    spec = tmp_path / "bad.json"
    spec.write_text('{"openapi": "3.0.3",\n "info": {\n}}}', encoding="utf-8")
    message = assert_one_line_error(generate(spec, tmp_path / "out"), "bad.json", 3, None)
    assert "invalid JSON" in message


def test_spec_failing_validation_names_line_and_pointer(tmp_path: Path) -> None:
    bad = MINIMAL.replace(
        "- {name: item_id, in: path, required: true, schema: {type: string}}", "- {name: item_id, required: true}"
    )
    spec = write(tmp_path / "spec.yaml", bad)
    out = tmp_path / "out"
    message = assert_one_line_error(generate(spec, out), "spec.yaml", 9, "/paths/~1items~1{item_id}/get/parameters/0")
    assert "'in' is a required property" in message
    assert not out.exists()


def test_missing_ref_in_file(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", MINIMAL.replace('"#/components/schemas/Item"', '"#/components/schemas/Nope"'))
    message = assert_one_line_error(
        generate(spec, tmp_path / "out"),
        "spec.yaml",
        15,
        "/paths/~1items~1{item_id}/get/responses/200/content/application~1json/schema",
    )
    assert "'#/components/schemas/Nope' does not exist" in message


def test_missing_ref_across_files(tmp_path: Path) -> None:
    write(
        tmp_path / "common.yaml",
        """
        components:
          parameters:
            itemId: {name: item_id, in: path, required: true, schema: {type: string}}
        """,
    )
    spec = write(
        tmp_path / "spec.yaml",
        MINIMAL.replace(
            "- {name: item_id, in: path, required: true, schema: {type: string}}",
            "- $ref: 'common.yaml#/components/parameters/missing'",
        ),
    )
    message = assert_one_line_error(
        generate(spec, tmp_path / "out"), "spec.yaml", 9, "/paths/~1items~1{item_id}/get/parameters/0"
    )
    assert "common.yaml#/components/parameters/missing" in message


def test_missing_ref_inside_the_other_file(tmp_path: Path) -> None:
    write(
        tmp_path / "common.yaml",
        """
        components:
          parameters:
            itemId: {name: item_id, in: path, required: true, schema: {$ref: '#/components/schemas/Gone'}}
        """,
    )
    spec = write(
        tmp_path / "spec.yaml",
        MINIMAL.replace(
            "- {name: item_id, in: path, required: true, schema: {type: string}}",
            "- $ref: 'common.yaml#/components/parameters/itemId'",
        ),
    )
    assert_one_line_error(generate(spec, tmp_path / "out"), "common.yaml", 3, "/components/parameters/itemId/schema")


def test_ref_cycle(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "spec.yaml",
        MINIMAL + """
    A: {$ref: "#/components/schemas/B"}
    B: {$ref: "#/components/schemas/A"}
""",
    )
    message = assert_one_line_error(generate(spec, tmp_path / "out"), "spec.yaml", None, None)
    assert "$ref cycle" in message
    assert re.search(r"spec\.yaml:2[0-9]", message)


def test_all_of_cycle(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "spec.yaml",
        MINIMAL + """
    A: {allOf: [{$ref: "#/components/schemas/B"}, {properties: {a: {type: string}}}]}
    B: {allOf: [{$ref: "#/components/schemas/A"}, {properties: {b: {type: string}}}]}
""",
    )
    message = assert_one_line_error(generate(spec, tmp_path / "out"), "spec.yaml", None, "/components/schemas/")
    assert "allOf cycle" in message


def test_duplicate_operation_ids(tmp_path: Path) -> None:
    second_path = '  /other:\n    get:\n      operationId: get_item\n      responses: {"204": {description: gone}}\n'
    spec = write(tmp_path / "spec.yaml", MINIMAL.replace("components:", second_path + "components:"))
    message = assert_one_line_error(generate(spec, tmp_path / "out"), "spec.yaml", 18, "/paths/~1other/get/operationId")
    assert "duplicate operationId 'get_item'" in message


def test_output_directory_not_ours(tmp_path: Path, minimal_spec: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("mine")
    result = generate(minimal_spec, out)
    message = assert_one_line_error(result, "out", None, None)
    assert "--force" in message
    assert (out / "precious.txt").read_text() == "mine"
    assert sorted(p.name for p in out.iterdir()) == ["precious.txt"]
    forced = generate(minimal_spec, out, "--force")
    assert forced.returncode == 0, forced.stderr
    assert (out / "precious.txt").read_text() == "mine"  # --force writes into it; a user's file is never lost
    assert (out / "mini" / "client.py").is_file()


def test_failed_generation_leaves_previous_output_untouched(tmp_path: Path, minimal_spec: Path) -> None:
    out = tmp_path / "out"
    assert generate(minimal_spec, out).returncode == 0
    before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    minimal_spec.write_text(MINIMAL.replace('"#/components/schemas/Item"', '"#/components/schemas/Nope"').lstrip("\n"))
    assert generate(minimal_spec, out).returncode == 2
    after = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert after == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_unsupported_version(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", 'swagger: "2.0"\ninfo: {title: x, version: "1"}\npaths: {}\n')
    message = assert_one_line_error(generate(spec, tmp_path / "out"), "spec.yaml", 1, "")
    assert "unsupported OpenAPI version" in message


def test_bad_package_name(tmp_path: Path, minimal_spec: Path) -> None:
    result = run_cli("generate", minimal_spec, "-o", tmp_path / "out", "--package-name", "not-valid")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "not a valid Python identifier" in result.stderr


@pytest.mark.parametrize("target", ["http://example.com/x.yaml#/a", "../outside.yaml#/a"])
def test_refs_outside_the_spec_directory_are_refused(tmp_path: Path, target: str) -> None:
    spec = write(tmp_path / "dir" / "spec.yaml", MINIMAL.replace('"#/components/schemas/Item"', f'"{target}"'))
    write(tmp_path / "outside.yaml", "a: {type: string}\n")
    result = generate(spec, tmp_path / "out")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1


DEGRADED = """
openapi: 3.1.0
info: {title: Degraded, version: "1"}
paths:
  /things:
    post:
      operationId: post_thing
      tags: [Thing]
      parameters:
        - {name: "session id", in: cookie, schema: {type: string}}
      requestBody:
        content:
          application/json: {schema: {type: object, properties: {name: {type: string}}}}
          text/plain: {schema: {type: string}}
      callbacks:
        done: {}
      responses:
        "204": {description: ok}
webhooks:
  thingCreated: {}
"""


def test_skipped_and_degraded_parts_are_said_with_file_line_and_pointer(tmp_path: Path) -> None:
    spec = write(tmp_path / "degraded.yaml", DEGRADED)
    out = tmp_path / "out"
    result = run_cli("generate", spec, "-o", out, "--package-name", "degraded", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings == [  # sorted by place, each with its line
        "warning: degraded.yaml:14: #/paths/~1things/post/callbacks: callbacks are not generated",
        "warning: degraded.yaml:9: #/paths/~1things/post/parameters/0: cookie parameter 'session id' is not a "
        "valid cookie name (RFC 9110 token): not sent by the generated client",
        "warning: degraded.yaml:11: #/paths/~1things/post/requestBody/content: request body also offered as "
        "'text/plain' with another schema: the generated client sends 'application/json'",
        "warning: degraded.yaml:18: #/webhooks: 1 webhooks: the server sends them, so no client method; their JSON "
        "payload models are generated",
    ]
    again = run_cli("generate", spec, "-o", out, "--package-name", "degraded", cwd=tmp_path)
    assert "(unchanged)" in again.stdout and again.stderr.count("warning: ") == 4  # still said
    listed = run_cli("validate", spec, cwd=tmp_path)
    assert listed.returncode == 0 and "4 warning(s)" in listed.stdout and listed.stderr.count("warning: ") == 4
    assert run_cli("validate", spec, "--strict", cwd=tmp_path).returncode == 2


def test_strict_makes_warnings_fatal_and_writes_nothing(tmp_path: Path) -> None:
    spec = write(tmp_path / "degraded.yaml", DEGRADED)
    out = tmp_path / "out"
    result = run_cli("generate", spec, "-o", out, "--package-name", "degraded", "--strict", cwd=tmp_path)
    assert result.returncode == 2 and not out.exists()
    assert result.stderr.count("warning: ") == 4
    assert result.stderr.splitlines()[-1] == "error: 4 warning(s) and --strict: nothing written"
    assert "Traceback" not in result.stderr
    run_cli("generate", spec, "-o", out, "--package-name", "degraded", cwd=tmp_path)
    unchanged = run_cli("generate", spec, "-o", out, "--package-name", "degraded", "--strict", cwd=tmp_path)
    assert unchanged.returncode == 2  # an unchanged target is no excuse


@pytest.mark.parametrize("unbuffered", ["1", ""])
def test_output_to_a_pipe_its_reader_closed_ends_with_exit_1_and_no_traceback(tmp_path: Path, unbuffered: str) -> None:
    """The command leaves the process without the interpreter's shutdown (cli.run); what it says is flushed
    first, and a reader that went away is exit code 1, not a traceback or Python's "Exception ignored ...
    BrokenPipeError" and 120."""
    import os
    import subprocess
    import sys

    spec = write(tmp_path / "spec.yaml", MINIMAL)
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "clientgen", "validate", str(spec)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": unbuffered},  # the error comes from print or the last flush
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (1, "")
    said = run_cli("validate", spec)  # the same command, read: it says what it found
    assert said.returncode == 0 and said.stdout.strip()
