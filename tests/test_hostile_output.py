"""Issue 12, the generator under hostile input: overlays that replace the root, remove a node twice or
select without end; and spec text (file names, keys, descriptions) that would forge lines on a terminal
or in ``clientgen diff``'s Markdown. Every line clientgen prints stays one inert line."""

from __future__ import annotations

import contextlib
import json
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from clientgen.cli import main
from clientgen.errors import printable
from clientgen.loader import load_spec
from clientgen.overlay import MAX_NODES, MAX_STEPS
from tests.conftest import MINIMAL, write

# Anything a terminal would act on or that would start another line: C0/C1 controls, DEL, line and
# paragraph separators, bidi overrides and other format characters.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
HOSTILE = "\n\x1b[2J\r\u2028\u202e"


class _Overran(Exception):
    pass


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail (instead of hanging the run) when the block takes more than ``seconds``: a bound far above
    the second these take, so a slow shared machine never fails them, while the unbounded code (hours)
    always does."""

    def overran(signum: int, frame: Any) -> None:
        raise _Overran(f"ran past {seconds} s")

    previous = signal.signal(signal.SIGALRM, overran)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def inert(text: str) -> list[str]:
    """The lines of ``text``, each asserted free of anything a terminal acts on."""
    lines = text.split("\n")
    assert lines[-1] == "", repr(text[-200:])
    for line in lines[:-1]:
        assert not CONTROL.search(line), repr(line)
    return lines[:-1]


def one_error(code: int, err: str, *parts: str) -> str:
    assert "Traceback" not in err
    lines = inert(err)
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), (code, err)
    for part in parts:
        assert part in lines[0], (part, lines[0])
    return lines[0]


def overlay(tmp_path: Path, actions: list[dict[str, Any]], name: str = "o.yaml") -> Path:
    text = yaml.safe_dump({"overlay": "1.0.0", "info": {"title": "o", "version": "1"}, "actions": actions})
    return write(tmp_path / name, text)


def validate(capsys: pytest.CaptureFixture[str], spec: Path, *overlays: Path) -> tuple[int, str, str]:
    return cli(capsys, "validate", spec, *[a for o in overlays for a in ("--overlay", o)])


def action_line(path: Path, index: int, field: str | None = None) -> int:
    """The line of ``actions[index]`` (or of its ``field``) in an overlay written by ``overlay()``."""
    node = yaml.compose(path.read_text())
    actions = next(v for k, v in node.value if k.value == "actions")
    action = actions.value[index]
    if field is not None:
        action = next(k for k, _ in action.value if k.value == field)
    return int(action.start_mark.line) + 1


def _loaded(spec: Path, o: Path) -> dict[str, Any]:
    return load_spec(spec, (o,), validate=False).data


# -- 1. overlays ---------------------------------------------------------------------------------


@pytest.mark.parametrize("update", [42, "text", [1, 2], None, True], ids=["int", "str", "list", "null", "bool"])
def test_an_update_replacing_the_root_with_a_non_mapping_is_one_line_at_the_action(
    capsys: pytest.CaptureFixture[str], minimal_spec: Path, tmp_path: Path, update: Any
) -> None:
    o = overlay(tmp_path, [{"target": "$.info", "update": {"x-a": 1}}, {"target": "$", "update": update}])
    code, _, err = validate(capsys, minimal_spec, o)
    line = one_error(code, err, f"o.yaml:{action_line(o, 1)}: #/actions/1", "mapping")
    assert "update" in line
    code, _, err = cli(capsys, "generate", minimal_spec, "-o", tmp_path / "out", "--package-name", "p", "--overlay", o)
    one_error(code, err, f"o.yaml:{action_line(o, 1)}: #/actions/1")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("update", [42, "text", [1, 2], None])
def test_an_update_that_is_not_a_mapping_for_a_mapping_target_is_one_line(
    capsys: pytest.CaptureFixture[str], minimal_spec: Path, tmp_path: Path, update: Any
) -> None:
    o = overlay(tmp_path, [{"target": "$.components.schemas.Item.properties.name", "update": update}])
    code, _, err = validate(capsys, minimal_spec, o)
    one_error(code, err, f"o.yaml:{action_line(o, 0)}: #/actions/0", "mapping")


def test_an_update_of_a_list_target_still_appends_and_a_scalar_target_is_replaced(
    capsys: pytest.CaptureFixture[str], minimal_spec: Path, tmp_path: Path
) -> None:
    o = overlay(
        tmp_path,
        [
            {"target": "$.paths['/items/{item_id}'].get.tags", "update": "Extra"},
            {"target": "$.info.title", "update": "Renamed"},
        ],
    )
    code, _, err = validate(capsys, minimal_spec, o)
    assert code == 0 and err == "", err
    data = _loaded(minimal_spec, o)
    assert data["paths"]["/items/{item_id}"]["get"]["tags"] == ["Item", "Extra"]
    assert data["info"]["title"] == "Renamed"


def test_remove_on_the_root_is_an_error_not_a_silent_no_op(
    capsys: pytest.CaptureFixture[str], minimal_spec: Path, tmp_path: Path
) -> None:
    o = overlay(tmp_path, [{"target": "$.info", "update": {"x-a": 1}}, {"target": "$", "remove": True}])
    code, _, err = validate(capsys, minimal_spec, o)
    line = one_error(code, err, f"o.yaml:{action_line(o, 1)}: #/actions/1")
    assert "root" in line and "remove" in line


SHARED = MINIMAL + """
x-shared:
  one: &a {k: 1, j: 2, items: [10, 20, 30]}
  two: *a
x-nest:
  a:
    a:
      b: 1
      items: [1, 2, 3]
    keep: 1
x-tree:
  a: [{b: 1, c: [1, 2]}, {d: 2}]
  e: {f: {g: [3, 4]}}
"""


@pytest.mark.parametrize(
    ("target", "check"),
    [
        # one node reached through two aliases of one anchor: two matches of one node
        ("$..k", lambda d: "k" not in d["x-shared"]["one"] and d["x-shared"]["two"] == d["x-shared"]["one"]),
        # $..a selects a and the a inside it, so ..b reaches the inner b twice
        ("$..a..b", lambda d: d["x-nest"] == {"a": {"a": {"items": [1, 2, 3]}, "keep": 1}}),
        # the same list item twice: only that item goes (today a second, innocent item went too)
        ("$..a..items[0]", lambda d: d["x-nest"]["a"]["a"]["items"] == [2, 3]),
        ("$['x-shared']..items[1]", lambda d: d["x-shared"]["one"]["items"] == [10, 30]),
        # a node and its own descendants: the descendants go with it, harmlessly
        ("$['x-tree']..*", lambda d: d["x-tree"] == {}),
        ("$['x-tree']..*..*", lambda d: d["x-tree"] == {"a": [], "e": {}}),
    ],
)
def test_removing_a_node_selected_twice_removes_it_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, target: str, check: Any
) -> None:
    spec = write(tmp_path / "spec.yaml", SHARED)
    o = overlay(tmp_path, [{"target": target, "remove": True}])
    assert check(_loaded(spec, o))
    code, _, err = validate(capsys, spec, o)
    assert code == 0 and "Traceback" not in err, err


def test_an_update_selected_twice_is_applied_once(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", SHARED)
    o = overlay(tmp_path, [{"target": "$..a..items", "update": 4}])
    data = _loaded(spec, o)
    assert data["x-nest"]["a"]["a"]["items"] == [1, 2, 3, 4]


def _nested(depth: int) -> str:
    return "x-chain: " + "{a: " * depth + "{}" + "}" * depth + "\n"


def test_ten_thousand_descent_steps_are_refused_at_once(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", MINIMAL + _nested(30))
    o = overlay(tmp_path, [{"target": "$" + "..a" * 10_000, "remove": True}])
    with deadline(30):
        code, _, err = validate(capsys, spec, o)
    line = one_error(code, err, f"o.yaml:{action_line(o, 0, 'target')}: #/actions/0/target")
    assert f"more than {MAX_STEPS} steps" in line


def test_a_few_overlapping_descents_on_a_deep_chain_stay_linear(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Without de-duplication ``$..a..a..a...`` selects C(depth + n, n) paths (hours for 40 steps)."""
    spec = write(tmp_path / "spec.yaml", MINIMAL + _nested(150))
    o = overlay(tmp_path, [{"target": "$" + "..a" * 40, "update": {"x-seen": True}}])
    with deadline(30):
        data = _loaded(spec, o)
    node, seen = data["x-chain"], 0
    while isinstance(node, dict):
        seen += node.pop("x-seen", False)
        node = node.get("a")
    assert seen == 150 - 40 + 1


def _big(width: int, depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"leaf": [1, 2]}
    for level in range(depth):
        node = {f"k{level}_{i}": node for i in range(width)}  # shared: no memory for a big document
    return node


def test_star_descents_on_a_big_document_are_bounded_with_a_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # 8**5 leaves, 136,000 nodes: each ..* walks and selects them all again (today: every path to every
    # node, hours); the work an action may do is bounded, so the time is too, however big the spec
    spec = write(tmp_path / "spec.json", json.dumps({**yaml.safe_load(MINIMAL), "x-big": _big(8, 5)}))
    o = overlay(tmp_path, [{"target": "$" + "..*" * 30, "update": {"x-a": 1}}])
    with deadline(30):
        code, _, err = validate(capsys, spec, o)
    line = one_error(code, err, f"o.yaml:{action_line(o, 0, 'target')}: #/actions/0/target")
    assert f"more than {MAX_NODES:,} nodes" in line


def test_a_single_descent_on_a_big_document_still_works(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.json", json.dumps({**yaml.safe_load(MINIMAL), "x-big": _big(8, 5)}))
    o = overlay(tmp_path, [{"target": "$['x-big']..leaf", "remove": True}])
    with deadline(30):
        data = _loaded(spec, o)
    assert "leaf" not in json.dumps(data)


def test_a_big_update_copied_to_many_places_is_bounded_with_a_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    spec = write(tmp_path / "spec.json", json.dumps({**yaml.safe_load(MINIMAL), "x-big": _big(4, 5)}))
    update = {"x-copy": [{"n": i} for i in range(1_000)]}  # 2,002 nodes to 4,436 places: 8.9M copied
    o = overlay(tmp_path, [{"target": "$['x-big']..*", "update": update}])
    with deadline(30):
        code, _, err = validate(capsys, spec, o)
    line = one_error(code, err, f"o.yaml:{action_line(o, 0)}: #/actions/0:")
    assert f"more than {MAX_NODES:,} nodes" in line


# -- 2. every printed line is inert --------------------------------------------------------------


def test_printable_is_the_one_escape() -> None:
    assert printable("a\nb\x1b[2J\u2028\u202e\x7f\x85 é ✓") == "a\\nb\\x1b[2J\\u2028\\u202e\\x7f\\x85 é ✓"
    assert printable(printable("\x1b\n")) == printable("\x1b\n")  # idempotent: safe to apply twice


def test_a_spec_file_named_with_a_newline_and_an_escape_is_one_inert_error_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / f"dir{HOSTILE}x"
    spec = write(folder / f"spec{HOSTILE}.yaml", "openapi: 3.0.3\ninfo: [unclosed\n")
    code, out, err = validate(capsys, spec)
    line = one_error(code, err, "\\n\\x1b[2J\\r\\u2028\\u202e.yaml:")
    assert out == "" and "invalid YAML" in line


DEGRADED = """
openapi: 3.1.0
info: {title: "T\\n\\e[2J", version: "1\\u2028"}
paths:
  "/things\\n\\e[2J\\r\\u202e":
    post:
      operationId: post_thing
      tags: [Thing]
      callbacks:
        done: {}
      responses:
        "204": {description: ok}
"""


def test_hostile_file_names_and_keys_in_warnings_summaries_and_the_change_list_stay_inert(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / f"in{HOSTILE}"
    spec = write(folder / f"spec{HOSTILE}.yaml", DEGRADED)
    out = tmp_path / f"out{HOSTILE}"
    missing = overlay(folder, [{"target": "$.nothing", "update": {"x": 1}}], name=f"o{HOSTILE}.yaml")

    code, stdout, stderr = cli(capsys, "generate", spec, "-o", out, "--package-name", "p", "--overlay", missing)
    assert code == 0, stderr
    summary = inert(stdout)
    assert len(summary) == 1 and summary[0].startswith("p: ") and "out\\n\\x1b[2J" in summary[0], summary
    warnings = inert(stderr)
    assert len(warnings) == 2, warnings
    assert warnings[0].startswith("warning: ") and "o\\n\\x1b[2J" in warnings[0] and "matched nothing" in warnings[0]
    assert "~1things\\n\\x1b[2J\\r\\u202e/post/callbacks: callbacks are not generated" in warnings[1]
    assert "spec\\n\\x1b[2J" in warnings[1]

    code, stdout, stderr = cli(capsys, "validate", spec, "--overlay", missing)
    assert code == 0
    (summary,) = inert(stdout)
    assert "spec\\n\\x1b[2J" in summary and summary.endswith("1 warning(s)")  # the overlay's is said, not counted
    assert len(inert(stderr)) == 2

    (out / "p" / "client.py").write_text("edited\n")
    code, stdout, stderr = cli(
        capsys, "generate", spec, "-o", out, "--package-name", "p", "--overlay", missing, "--check", "--force"
    )
    assert code == 1
    assert len(inert(stdout)) == 1
    lines = inert(stderr)
    assert "files that would change:" in lines
    assert any(line.startswith("  ") and "out\\n\\x1b[2J" in line and "client.py" in line for line in lines), lines


def test_an_error_at_a_hostile_key_of_a_hostile_file_is_one_inert_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    spec = write(
        tmp_path / f"s{HOSTILE}.yaml",
        MINIMAL.replace("Item:", '"Item\\n\\e[2J\\u2028":').replace("schemas/Item", "schemas/Item%0A%1B%5B2J%E2%80%A8")
        + '    "Gone\\n\\e[2J": {$ref: "#/components/schemas/Missing\\n\\e[2J"}\n',
    )
    code, _, err = validate(capsys, spec)
    line = one_error(code, err, "s\\n\\x1b[2J", "Gone\\n\\x1b[2J", "does not exist")
    assert re.match(r"error: \S*s\\n\\x1b\[2J\\r\\u2028\\u202e\.yaml:\d+: #/components/schemas/Gone", line), line


# -- 3. clientgen diff's Markdown ----------------------------------------------------------------

FORGE = "\n0 changes, 0 breaking.\n# heading\n| a | b |\n|---|---|\n`tick` <script>alert(1)</script> *x* [l](u)\n"
Q = json.dumps  # a YAML double-quoted scalar from a Python string

OLD = f"""
openapi: 3.0.3
info: {{title: {Q("Old" + FORGE)}, version: "1"}}
paths:
  /items:
    get:
      operationId: get_items
      summary: {Q("s" + FORGE)}
      description: {Q("d" + FORGE)}
      parameters:
        - {{name: {Q("q" + FORGE)}, in: query, schema: {{type: string}}}}
      responses:
        "200":
          description: {Q("ok" + FORGE)}
          content: {{application/json: {{schema: {{$ref: "#/components/schemas/Item"}}}}}}
components:
  schemas:
    Item:
      type: object
      description: {Q("i" + FORGE)}
      properties:
        name: {{type: string, enum: [{Q("a" + FORGE)}]}}
"""

NEW = f"""
openapi: 3.0.3
info: {{title: {Q("New" + FORGE)}, version: {Q("2" + FORGE)}}}
servers: [{{url: {Q("/v2" + FORGE)}}}]
paths:
  {Q("/things" + FORGE)}:
    get:
      operationId: get_items
      summary: {Q("s2" + FORGE)}
      description: {Q("d2" + FORGE)}
      parameters:
        - {{name: {Q("limit" + FORGE)}, in: query, required: true, schema: {{type: integer}}}}
      responses:
        "200":
          description: {Q("ok" + FORGE)}
          content: {{application/json: {{schema: {{$ref: "#/components/schemas/Item"}}}}}}
components:
  securitySchemes:
    {Q("key" + FORGE)}: {{type: apiKey, in: header, name: X-Key}}
  schemas:
    Item:
      type: object
      description: {Q("i2" + FORGE)}
      properties:
        name: {{type: string, enum: [{Q("b" + FORGE)}]}}
    {Q("Thing" + FORGE)}:
      type: object
      properties:
        a: {{type: string}}
"""


def _outside_code(line: str) -> str:
    """A Markdown line without its code spans (CommonMark: a run of n backticks up to the next run of n)."""
    out, pos = [], 0
    for opening in re.finditer(r"(?<!`)`+(?!`)", line):
        if opening.start() < pos:
            continue
        closing = re.compile(rf"(?<!`){opening.group()}(?!`)").search(line, opening.end())
        if closing is None:
            break
        out.append(line[pos : opening.start()])
        pos = closing.end()
    return "".join(out) + line[pos:]


def _check_markdown(markdown: str, changes: list[dict[str, Any]]) -> None:
    lines = inert(markdown)
    breaking = sum(c["breaking"] for c in changes)
    summaries = [line for line in lines if re.match(r"\W*\d+ changes", line)]
    assert summaries == [f"{len(changes)} changes, {breaking} breaking."], summaries
    kinds = {c["kind"] for c in changes}
    headings = [line for line in lines if line.startswith("#")]
    assert len(headings) == 1 + 2 + len(kinds), headings  # title, the two sections, one per kind
    rest = [line for line in lines if line and line not in headings and line not in summaries]
    assert all(line.startswith("- `") for line in rest) and len(rest) == len(changes), rest
    for line in lines:
        text = _outside_code(line)
        assert "`" not in text, line  # every code span closed where it should be
        assert not re.search(r"(?<!\\)[<\[\]*_|~$&]", text), line  # Markdown's inline syntax: escaped


@pytest.mark.parametrize(
    ("old", "new", "code"), [(OLD, NEW, 1), (OLD, OLD.replace("/items:", Q("/items" + FORGE) + ":"), 0)]
)
def test_diff_markdown_cannot_be_forged_by_spec_text(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, old: str, new: str, code: int
) -> None:
    a, b = write(tmp_path / "old.yaml", old), write(tmp_path / "new.yaml", new)
    got, as_json, err = cli(capsys, "diff", a, b, "--format", "json")
    assert got == code, err
    document = json.loads(as_json)  # valid JSON, with the spec's strings as they are
    changes = document["changes"]
    assert changes and document["breaking"] == sum(c["breaking"] for c in changes)
    assert FORGE in document["new"] and any(FORGE in c["detail"] + c["subject"] for c in changes)
    got, markdown, err = cli(capsys, "diff", a, b)
    assert got == code, err
    _check_markdown(markdown, changes)
    assert "\\<script>" in markdown and "0 changes, 0 breaking." in markdown  # the text is kept, escaped


def test_diff_markdown_keeps_ordinary_text_readable(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    new = MINIMAL.replace("/items/{item_id}:", "/things/{item_id}:")
    a, b = write(tmp_path / "old.yaml", MINIMAL), write(tmp_path / "new.yaml", new)
    got, markdown, _ = cli(capsys, "diff", a, b)
    assert got == 0
    assert "- `client.item.get_item`: GET /items/{item\\_id} -> GET /things/{item\\_id}" in markdown.splitlines()
