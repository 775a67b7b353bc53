"""``layout_proof``: a piece proven in black's layout is exactly what black makes of it, on real generated
clients and on pieces made to trip it (every spacing, quote, parenthesis, join, length, blank-line and
docstring rule black applies); what it cannot prove goes to black."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from clientgen import layout_proof, writer
from tests.conftest import ROOT


def black(texts: list[str]) -> dict[str, str | None]:
    return {text: writer._format_piece(text) for text in texts}


def proven(pieces: list[str]) -> set[str]:
    return layout_proof.proven_pieces(pieces, black)


def pieces_of(package: Path) -> list[str]:
    return [
        piece
        for path in sorted(package.rglob("*.py"))
        if path.name != "_runtime.py"
        for _, piece in writer.split_for_black(writer._masked_header(path.read_text(encoding="utf-8"))[0])
    ]


@pytest.mark.parametrize("package", ["airflow_rest_2_10_5", "airflow_rest_3_3_2"])
def test_every_piece_proven_in_a_committed_client_is_blacks_own(package: str) -> None:
    pieces = list(dict.fromkeys(pieces_of(ROOT / "generated" / package / package)))
    kept = proven(pieces)
    assert len(kept) >= 0.95 * len(pieces)  # the point: black runs on far less than every piece
    assert [piece for piece in kept if writer._format_piece(piece) != piece] == []


GENERATED_SHAPES = [
    # a model, an overload set and a call, as the templates write them
    'class DagRun(Model, kw_only=True):\n    """A DAG run.\n\n    Schema: v1.yaml#/components/schemas/DAGRun\n'
    '    """\n\n'
    "    dag_id: str\n    conf: dict[str, Any] | UnsetType = UNSET\n"
    '    start_date: datetime.datetime | None = msgspec.field(name="startDate")\n',
    "class _:\n    @overload\n    def get_dag(\n        self,\n        dag_id: str,\n        *,\n"
    '        accept: Literal["application/json"] = "application/json",\n'
    "        options: RequestOptions | None = None,\n    ) -> models.Dag: ...\n",
    "class _:\n    def get_dag(self, dag_id: str) -> models.Dag:\n"
    '        """Get a DAG.\n\n        GET /dags/{dag_id}\n        """\n'
    "        return self._client.request(\n            ep.GET_DAG,\n"
    '            path={"dag_id": dag_id},\n            query={\n                "fields": fields,\n'
    '                "limit": limit,\n            },\n            options=options,\n        )\n',
    "from ._shared import (\n    VeryLongModelNameThatDoesNotFitOnOneLineInAnyWayAtAllWhateverYouTryToDoWithItX,\n)\n",
    # a content_type parameter too long for its line (kubernetes): its media types one per line
    "class _:\n    def patch_namespaced_pod(\n        self,\n        *,\n        content_type: Literal[\n"
    '            "application/json-patch+json",\n            "application/merge-patch+json",\n'
    '            "application/strategic-merge-patch+json",\n            "application/apply-patch+yaml",\n'
    '        ] = "application/json-patch+json",\n    ) -> None:\n        pass\n',
    'X = (\n    "a",\n    "b",\n)\n',
]

# Each is valid Python that black changes, or that only a careful reading leaves alone.
TRAPS = [
    'x: Literal[\n    "a",\n]\n',  # one element: black's comma is not magic in a subscript
    'X = (\n    "a",\n)\n',
    "x=1\n",
    "x = f(a = 1)\n",
    "x = a [1]\n",
    "print( a )\n",
    "x = 'a'\n",
    'x = u"a"\n',
    'x = B"a"\n',
    'x = F"{a}"\n',
    'x = "\\xAB"\n',
    "x = 0XFF\n",
    "x = 1E5\n",
    "x = 1 #c\n",
    "#c\nx = 1\n",
    "x = 1  # fmt: skip\n",
    "def f():\n    return (a)\n",
    "x = (1)\n",
    "for (a) in b:\n    pass\n",
    "print((a))\n",
    "del (a, b)\n",
    "x = f(\n    a\n)\n",
    "x = [\n    1, 2\n]\n",
    "def f(\n    a\n):\n    pass\n",
    "f(a,)\n",
    "x = (1,)\n",
    "t: tuple[int,] = a\n",
    "x = " + "a" * 100 + "\n",
    "x = f(" + ", ".join(["argument"] * 12) + ")\n",
    "def f(a, b) -> " + "VeryLongReturnType" * 5 + ":\n    pass\n",
    "x = f(\n    " + "a" * 90 + ",\n)\n",
    "VALUE: Endpoint[models.SomethingLong] = Endpoint(\n    " + '"x",\n' * 2 + ")\n",
    "LONG_NAME_OF_AN_ENDPOINT_DECLARATION_THAT_IS_VERY_LONG_INDEED: Endpoint[models.A] = (\n"
    '    Endpoint(\n        "GET",\n        "/a",\n    )\n)\n',
    "x = 1\n\n\n\ny = 2\n",
    "def f():\n    pass\ndef g():\n    pass\n",
    "class A:\n\n    x = 1\n",
    "@d\n\ndef f():\n    pass\n",
    "import a\nx = 1\n",
    'class A:\n    """D."""\n    x: int\n',
    "def f():\n\n    return 1\n",
    "x = 1\n\n",
    'def f():\n    """Trailing spaces.   \n    """\n',
    'def f():\n    """  Leading spaces."""\n',
    "def f():\n    '''Single quotes.'''\n",
    'def f():\n    """Ends with a quote\\""""\n',
    'def f():\n    """Ends with a backslash\\\\"""\n',
    'def f():\n    """Tab\tinside.\n\tand a tab-indented line\n    """\n',
    'def f():\n    """A last line so long that the closing quotes do not fit on it any more, at all, really."""\n',
    'def f():\n    """Misindented.\n  line\n    """\n',
    'def f():\n    """Over-indented.\n            line\n    """\n',
    'def f():\n    r"""Raw \\d."""\n',
    'def f():\n    b"""Bytes."""\n',
    'class A:\n    x: int\n    """Attribute doc, not a docstring: \'quoted\'."""\n',
    "x = a ** 2\n",
    "x = a**-b\n",
    "x = - a\n",
    "x = a[1 : 2]\n",
    "x = a[b+1 :]\n",
    "match = 1\n",
    "if a:\n\tx = 1\n",
    "if a:\n  x = 1\n",
    "x = 1 + \\\n    2\n",
    "x = (a:=1)\n",
    "f = lambda x:x\n",
    "x = 1   \n",
    "x = 1\r\n",
    "x = a if b else c\n",
    "x = not(a)\n",
    "async def f():\n    await (a)\n",
    "class A():\n    pass\n",
    "class A: ...\nclass B: ...\n",
    "@overload\ndef f(): ...\n@overload\ndef f(x): ...\n",
    "try:\n    pass\nexcept(A):\n    pass\n",
    "with (open(a)) as f:\n    pass\n",
    'x = {\n    "a": 1,\n    "b": 2\n}\n',
    "x = {'a': 1}\n",
    "x = [\n    1,\n    2,\n]\ny = 3\n",
    "\n\nx = 1\n",
    "x = [  # comment\n    1,\n]\n",
    "é = 1\n",
    "x = '中文中文中文中文中文中文中文中文中文中文中文中文中文中文中文中文中文中文中文中文中文中文中文中文中文'\n",
    "x = f(\n    a,\n    b\n)\n",
    "def f(\n    a,\n    *,\n    b=1,\n    **kwargs,\n) -> None:\n    pass\n",
    "x = f(a)(\n    b,\n)\n",
    "return_value = self._client.request(ep.GET_DAG, path={'dag_id': dag_id}, options=options)\n",
]


@pytest.mark.parametrize("piece", GENERATED_SHAPES + TRAPS)
def test_a_proven_piece_is_what_black_makes_of_it(piece: str) -> None:
    formatted = writer._format_piece(piece)
    if piece in proven([piece]):
        assert formatted == piece


def test_the_generated_shapes_are_proven_and_most_traps_are_not() -> None:
    assert proven(GENERATED_SHAPES) == set(GENERATED_SHAPES)  # else the test above proves nothing
    changed_by_black = [trap for trap in TRAPS if writer._format_piece(trap) != trap]
    assert len(changed_by_black) >= 55
    assert proven(changed_by_black) == set()


def test_the_whole_package_is_formatted_as_black_formats_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Through ``format_sources``: proven pieces, black's pieces and cached pieces join into black's file."""
    monkeypatch.setenv("CLIENTGEN_CACHE_DIR", str(tmp_path))
    source = (ROOT / "generated" / "airflow_rest_2_10_5" / "airflow_rest_2_10_5" / "resources" / "_dag.py").read_text()
    messy = source.replace("        )\n\n    def ", "        )\n    def ", 3) + "\nx=1\n"
    files = {"pkg/resources/_dag.py": messy}
    assert writer.format_sources(files)["pkg/resources/_dag.py"] == writer._format_one(messy)
    assert writer.format_sources(files)["pkg/resources/_dag.py"] == writer._format_one(messy)  # from the cache


def test_check_proofs_stops_on_a_wrong_proof(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``CLIENTGEN_CHECK_PROOFS`` (the corpus CI stage) formats proven pieces too and stops on a difference."""
    monkeypatch.setenv("CLIENTGEN_CACHE_DIR", str(tmp_path))  # the wrong proof below is cached there
    monkeypatch.setattr(layout_proof, "proven_pieces", lambda pieces, black, mapper=map, known=None: set(pieces))
    monkeypatch.setenv("CLIENTGEN_CHECK_PROOFS", "1")
    with pytest.raises(RuntimeError, match="layout_proof is wrong"):
        writer.format_sources({"pkg/a.py": "x=1\n"})
    monkeypatch.delenv("CLIENTGEN_CHECK_PROOFS")
    assert writer.format_sources({"pkg/a.py": "x=1\n"})["pkg/a.py"] == "x=1\n"  # the wrong proof, unchecked


def test_black_formats_only_the_part_of_a_piece_the_proof_could_not_keep(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A piece left to black is cut at every place the writer may cut: black gets the part holding what the
    proof could not keep (kubernetes: 166 pieces, 9.8k lines, most of them fine), and the file is still
    black's text of the whole."""
    monkeypatch.setenv("CLIENTGEN_CACHE_DIR", str(tmp_path))
    method = (
        "    def get_{0}(self, name: str) -> Item:\n"
        '        """Get item {0}."""\n'
        '        return self._client.request(GET_{0}, path={{"name": name}})\n'
    )
    methods = [method.format(n) for n in range(40)]
    methods[25] = methods[25].replace('{"name": name}', '{"name":name}')  # black puts the space back
    text = "class Items:\n" + "\n".join(methods)
    shown: list[str] = []
    format_one = writer._format_one

    def recorded(source: str) -> str:
        shown.append(source)
        return format_one(source)

    monkeypatch.setattr(writer, "_format_one", recorded)
    monkeypatch.setattr(writer, "_PARALLEL_MIN_LINES", 10**9)  # in this process, so the calls are seen
    out = writer.format_sources({"pkg/items.py": text})["pkg/items.py"]
    assert out == format_one(text) and out != text
    whole = [source for source in shown if "get_25" in source]
    assert whole and all(source.count("    def ") == 1 for source in whole), whole


def test_elements_of_one_bracket_kind_are_proven_in_one_bracket() -> None:
    """Each exploded bracket's elements are proven inside a bracket of their kind: in one bracket for all of
    them (black splits an exploded bracket at its commas and lays each element out alone), not one module
    each (lightsail's 1,400-line proving text of parameters was 8 lines per parameter). A starred or ``/``
    element, which cannot share a parameter list, still has one of its own; what black changes is not proven."""
    annotations = ["int", "str | None = None", "list[str] = UNSET", "dict[str, Any] | UnsetType = UNSET"]
    annotations += [f"Literal[{', '.join(repr(str(n)) for n in range(k))}] = '0'" for k in range(1, 9)]
    annotations += [f"tuple[{', '.join(['int'] * k)}] | None = None" for k in range(1, 9)]
    signatures = [
        f"def call_{n}(\n    self,\n    *,\n    value_{n}: {annotation},\n    **extra: Any,\n) -> None:\n    pass\n"
        for n, annotation in enumerate(annotations)
    ]
    pieces = [signature.replace("'", '"') for signature in signatures]
    shown: list[str] = []

    def recorded(texts: list[str]) -> dict[str, str | None]:
        shown.extend(texts)
        return black(texts)

    assert layout_proof.proven_pieces(pieces, recorded) == set(pieces)
    assert all(writer._format_piece(piece) == piece for piece in pieces)
    elements = [text for text in shown if "def a(" in text]
    assert sum(text.count("\n") for text in elements) < 2 * len(annotations) + 40, elements
    wrong = "def wrong(\n    self,\n    value: int=1,\n) -> None:\n    pass\n"  # black spaces the `=`
    assert writer._format_piece(wrong) != wrong
    assert proven([wrong, *pieces[:3]]) <= set(pieces[:3])


def test_a_def_whose_name_is_longer_than_the_line_is_proven() -> None:
    """black splits a def at its first bracket and leaves ``def name(`` as it is whatever its length, so a
    long operation name (visualstudio's ``get_api_v1_geneva_actions_environments_storage_...``: 32 pieces
    left to black for it) does not stop the proof; any other line too long still does."""
    name = "get_api_v1_geneva_actions_environments_storage_environment_id_or_friendly_name_target_blob"
    piece = (
        "class _:\n"
        f"    def {name}(\n"
        "        self,\n"
        "        environment_id: str,\n"
        "        *,\n"
        "        options: RequestOptions | None = None,\n"
        "    ) -> list[models.Environment]:\n"
        '        """Get it."""\n'
        "        return self._client.request(\n"
        f"            ep.{name.upper()},\n"
        "            options=options,\n"
        "        )\n"
    )
    asynchronous = piece.replace("    def ", "    async def ").replace("return self", "return await self")
    called = piece.replace("        return self._client.request(\n", f"        return self._client.{name}_request(\n")
    assert all(writer._format_piece(text) == text for text in (piece, asynchronous, called))
    assert proven([piece, asynchronous, called]) == {piece, asynchronous, called}  # ``called`` at its widths
    long_return = piece.replace(") -> list[models.Environment]:", f") -> list[models.{'E' * 90}]:")
    assert writer._format_piece(long_return) != long_return
    assert long_return not in proven([long_return])


def shown_to_black(pieces: list[str]) -> tuple[set[str], list[str]]:
    """The pieces proven, and the texts the proof had black format to prove them."""
    shown: list[str] = []

    def recorded(texts: list[str]) -> dict[str, str | None]:
        shown.extend(texts)
        return black(texts)

    return layout_proof.proven_pieces(pieces, recorded), shown


def proving_lines_ratio(monkeypatch: pytest.MonkeyPatch, pieces: list[str], step: str) -> float:
    """The lines black formats to prove ``pieces`` (every one of them, both ways) with ``layout_proof``'s
    ``step`` over those without it."""

    def lines_shown() -> int:
        monkeypatch.setattr(layout_proof, "_READ", {})  # no line read before counts
        kept, shown = shown_to_black(pieces)
        assert kept == set(pieces)
        return sum(text.count("\n") for text in shown)

    with_step = lines_shown()
    monkeypatch.setattr(layout_proof, step, lambda *args: None)
    without_step = lines_shown()
    monkeypatch.undo()
    return with_step / without_step


def assert_unproven_where_black_changes(pieces: list[str], old: str, new: str) -> None:
    changed = [piece.replace(old, new) for piece in pieces]
    assert all(writer._format_piece(piece) != piece for piece in changed)
    assert proven(changed) == set()


def model(fields: list[tuple[str, str]]) -> str:
    """A model as the templates write it: a docstring, then fields, each with its attribute docstring."""
    lines = ["class Item(Model, kw_only=True):\n", '    """An item.\n\n    Schema: v1.yaml#/x\n    """\n\n']
    for name, doc in fields:
        lines.append(f"    {name}: str | UnsetType = UNSET\n")
        if doc:
            lines.append(f"    {doc}\n")
    return "".join(lines)


def test_attribute_docstrings_stand_as_plain_lines_in_the_skeleton() -> None:
    """black's blank lines go by a line's kind and position, never by how many lines a string statement
    spans or whether it is a string (a docstring is one by position: first in its block), so an attribute
    docstring stands in the skeleton as a plain line: models whose fields have docstrings of one line, of
    several, or none share one skeleton (Airflow 2.10.5's proving skeletons: 1,218 -> 386 lines). The
    text of each docstring is still proven by black's own string rules; blank lines black would change are
    not proven."""
    one, two = '"""One line."""', '"""Two\n\n    lines.\n    """'
    variants = [
        [("a", one), ("b", two), ("c", "")],
        [("a", two), ("b", ""), ("c", one), ("d", two)],
        [("a", ""), ("b", one), ("c", one)],
        [(f"f{n}", [one, two, ""][n % 3]) for n in range(9)],
    ]
    pieces = [model(fields) for fields in variants]
    assert all(writer._format_piece(piece) == piece for piece in pieces)
    kept, shown = shown_to_black(pieces)
    assert kept == set(pieces)
    skeletons = [text for text in shown if text.startswith("class a:")]
    assert len(skeletons) == 1, skeletons
    wrong = [
        model([("a", one)]).replace(f"    {one}\n", f"\n\n    {one}\n"),  # two blank lines in a class body
        model([("a", two)]) + "    def f(self):\n        pass\n    x = 1\n",  # black puts a blank line after f
        model([("a", "'''Single quotes.'''")]),  # black's quotes
        '"""Module docstring."""\nx = 1\n',  # black puts a blank line after a module docstring
        'x = 1\n"""Not a docstring."""\n\n\n\ny = 2\n',
    ]
    changed = [piece for piece in wrong if writer._format_piece(piece) != piece]
    assert len(changed) == len(wrong), [piece for piece in wrong if piece not in changed]
    assert proven(changed) == set()
    kept_as_is = [
        model([("a", one)]).replace(f"    {one}\n", f"\n    {one}\n"),
        model([("a", '"""Ends with a space, kept: not a docstring. """')]),
        'x = 1\n"""Not a docstring."""\n',
    ]
    assert all(writer._format_piece(piece) == piece for piece in kept_as_is)
    assert proven(kept_as_is) == set(kept_as_is)


def test_braces_in_a_string_are_masked_unless_it_is_an_f_string() -> None:
    """Only quotes and backslashes decide black's quotes for a plain string; braces matter in an f-string
    alone. So paths with parameters share a shape (Airflow's endpoint declarations each had their own),
    while an f-string's braces are kept and black's changes to it are not proven."""
    declaration = 'GET_{0}: Endpoint[models.A] = Endpoint(\n    "GET",\n    "{1}",\n    {{"dag_id": str}},\n)\n'
    paths = ["/dags/{dag_id}", "/dags/{dag_id}/dagRuns/{dag_run_id}", "/x/{a}/y/{b}/z/{c}/w"]
    pieces = [declaration.format(n, path) for n, path in enumerate(paths)]
    assert all(writer._format_piece(piece) == piece for piece in pieces)
    kept, shown = shown_to_black(pieces)
    assert kept == set(pieces)
    assert not any("dag_id}" in text or "{a}" in text for text in shown), shown
    f_string, changed = 'x = f(\n    f"{a}/{b}",\n    c,\n)\n', "x = f(\n    f'{a}',\n    b,\n)\n"
    assert writer._format_piece(f_string) == f_string and writer._format_piece(changed) != changed
    kept, shown = shown_to_black([f_string, changed])
    assert kept == {f_string} and any('f"{a}/{b}"' in text for text in shown)


def test_a_multi_line_element_is_outlined_as_a_line_is() -> None:
    """An element of an exploded bracket that is itself exploded (``query={...}`` in a call) is proven
    apart, its own one-line elements as ``a,`` (runs cut to two): calls that pass different sets of such
    arguments share their shapes (Airflow 2.10.5's method bodies: 138 -> 0 lines of whole-call shapes),
    and a difference black would make deep inside is still found."""
    from itertools import combinations

    def argument(name: str, size: int) -> str:
        entries = "".join(f'                "{name}_{n}": {name}_{n},\n' for n in range(size))
        return f"            {name}={{\n{entries}            }},\n"

    optional = [argument("path", 2), argument("query", 5), argument("headers", 3), "            json=body,\n"]
    head = "class _:\n    def f(self):\n        return self._client.request(\n            ep.X,\n"
    pieces = [
        head + "".join(chosen) + "            options=options,\n        )\n"
        for k in range(len(optional) + 1)
        for chosen in combinations(optional, k)
    ]
    assert all(writer._format_piece(piece) == piece for piece in pieces)
    kept, shown = shown_to_black(pieces)
    assert kept == set(pieces)
    assert sum(text.count("\n") for text in shown) < 40, shown
    deep = pieces[-1].replace('"query_3": query_3', '"query_3":query_3')
    assert writer._format_piece(deep) != deep
    assert proven([deep]) == set()


def test_facade_twins_share_one_proving_shape() -> None:
    """An operation's twin on a facade too long for its line is exploded with a magic trailing comma
    (``render.methods.assignment_call``): one shape proves them all, where each length had its own."""
    from clientgen.render.methods import assignment_call

    def twin(length: int) -> str:
        name = f"get_{'x' * length}"
        twin = assignment_call(name, "async_raw_method", f"resources.GroupApi.{name}", 4)
        return f"class GroupAsyncRaw:\n{twin}\n"

    pieces = [twin(length) for length in range(30, 60, 2)]
    assert all(writer._format_piece(piece) == piece for piece in pieces)
    kept, shown = shown_to_black(pieces)
    assert kept == set(pieces)
    assert sum(text.count("\n") for text in shown) < 20, shown
    longer = [twin(length) for length in range(60, 140, 7)]  # ``name = async_raw_method(`` too long: at its widths
    assert all(writer._format_piece(piece) == piece for piece in longer)
    assert proven(longer) == set(longer)


def test_a_line_laid_out_by_length_before_an_exploded_last_bracket_is_masked_only_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An endpoint's declaration too long for one line (``NAME: Endpoint[`` split by length, then the
    arguments one per line): masked to its widths up to the arguments, which are proven apart (visualstudio:
    1,140 -> 945 proving lines for 170 declarations). Where black's first line would not fit, black's
    "second opinion" weighs every line, the arguments' too: such a line is masked whole. Every piece proven
    is black's own, whatever the lengths of the name, the model and the path."""
    pieces = []
    for name_length, model_length, path_length in itertools.product((30, 50, 62, 70, 78, 84, 92), (10, 40), (10, 95)):
        raw = (
            f"{'N' * name_length}: Endpoint[models.{'M' * model_length}] = Endpoint(\n"
            f'    "GET",\n    "/{"p" * path_length}",\n    {{"a": str}},\n    aliases=("x", "y"),\n)\n'
        )
        pieces.append(writer._format_piece(raw) or "")
    pieces = list(dict.fromkeys(pieces))
    assert all(writer._format_piece(piece) == piece for piece in pieces)
    assert proving_lines_ratio(monkeypatch, pieces, "_masked_to_last_bracket") < 0.75
    assert_unproven_where_black_changes(pieces, '    aliases=("x", "y"),\n', '    aliases=("x","y"),\n')


def test_a_def_is_masked_only_after_its_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    """A def whose return annotation black lays out by its length (``) -> (`` and the annotation alone, or
    a line left too long): black splits a def at its parameters (``left_hand_split``, no second opinion),
    so the parameters are proven apart as any exploded bracket's and only what follows them is masked
    (kubernetes: 838 -> 90 proving lines for its 56 such defs)."""
    parameters = "".join(f"    p{n}: int | UnsetType = UNSET,\n" for n in range(14))
    pieces = []
    for length in (60, 70, 78, 82, 90, 100):
        raw = f"def get_x(\n    self,\n    *,\n{parameters}) -> models.{'M' * length} | bytes:\n    pass\n"
        pieces.append(writer._format_piece(raw) or "")
    assert all(writer._format_piece(piece) == piece for piece in pieces)
    assert any(") -> (\n" in piece for piece in pieces) and any(
        len(line) > 88 for p in pieces for line in p.split("\n")
    )
    assert proving_lines_ratio(monkeypatch, pieces, "_def_masked_after_parameters") < 0.6
    assert_unproven_where_black_changes(pieces, "p3: int | UnsetType = UNSET", "p3: int|UnsetType = UNSET")


def test_long_fields_share_one_proving_shape() -> None:
    """A model field whose ``msgspec.field(...)`` does not fit on its line has one argument per line and a
    magic trailing comma (``render.methods.annotated_line``): a few shapes prove them all, where each
    length of name, annotation and wire name had its own (lightsail: 286 proving units)."""
    from clientgen.render.methods import annotated_line

    def field(n: int) -> str:
        annotation, call = f"Type{'T' * (2 * n % 17)} | UnsetType", f'msgspec.field(name="w{"w" * n}", default=UNSET)'
        return annotated_line(4, f"field_{'x' * n}", annotation, call)

    pieces = [f"class Item(Model, kw_only=True):\n{field(n)}\n" for n in range(12, 40)]
    pieces = [piece for piece in pieces if ",\n    )" in piece]
    assert len(pieces) >= 20
    assert all(writer._format_piece(piece) == piece for piece in pieces)
    kept, shown = shown_to_black(pieces)
    assert kept == set(pieces)
    assert sum(text.count("\n") for text in shown) < 40, shown


def test_a_line_left_for_black_makes_no_proving_unit() -> None:
    """The templates leave some lines for black (too long, and black splits them at a bracket or an
    operator): such a piece is not proven, and its line is not put in a proving module either, where black
    would change the module and have it proven again in halves (Airflow 3.3.2: three extra rounds, ~0.6 s
    of CPU; kubernetes' return annotations too long for their line)."""
    unions = [" | ".join(f"models.Type{'T' * (20 + k)}{n}" for n in range(3)) for k in range(4)]
    left = [f"class _:\n    value: list[{union}]\n" for union in unions]
    left += [f'X: Endpoint[{union}] = Endpoint(\n    "GET",\n    "/a",\n)\n' for union in unions]
    # kubernetes: a return annotation too long for its line, which black puts in parentheses
    left += [f"def f(\n    a,\n    *,\n    b,\n) -> models.{'T' * (75 + k)} | bytes:\n    pass\n" for k in range(4)]
    kept_as_is = [GENERATED_SHAPES[0], GENERATED_SHAPES[2]]
    assert all(writer._format_piece(piece) != piece for piece in left)
    calls: list[list[str]] = []

    def recorded(texts: list[str]) -> dict[str, str | None]:
        calls.append(texts)
        return black(texts)

    assert layout_proof.proven_pieces([*left, *kept_as_is], recorded) == set(kept_as_is)
    assert len(calls) == 1, calls  # no module proven again in halves


TRICKY_TOKENS = [
    'rb"x" bar"x" f\'{a}\' Rb\'\'\'y\'\'\' u"""z""" fr"a\\"b" br x_1 _1 .5 1e5 0x1F 1_000 1.5j\n',
    "# a comment with 'quotes' and \"more\"\n@decorator(a=[1, {2: (3,)}])\n",
    "名前 = é + a名 # non-ASCII\n\tx = 1\r\n",  # a tab and a carriage return: not covered, the piece is unread
    "x = \"unterminated\ny = 'also\n",
    "a = b \\\n    + c\n",
    "def f(*args, **kw) -> None: ...\nclass C(A, metaclass=M): pass\n",
    "x = [a for a in b if a] + {k: v for k, v in d.items()} - ~y ** 2 // 3 @ z != w <= v >> 1\n",
    "\"\"\"doc\nwith lines\"\"\"\n'''other'''\n",
]


@pytest.mark.parametrize("text", TRICKY_TOKENS)
def test_a_tokens_group_is_told_by_its_text_as_the_pattern_tells_it(text: str) -> None:
    by_pattern = [(match.lastgroup, match.group()) for match in layout_proof._TOKEN.finditer(text)]
    by_text = [(layout_proof._group(token), token) for token in layout_proof._TOKEN_TEXTS.findall(text)]
    assert by_text == by_pattern
    covered = sum(len(token) for _, token in by_pattern) == len(text)
    assert (layout_proof._tokens(text) is not None) == covered


@pytest.mark.parametrize("package", ["airflow_rest_2_10_5", "airflow_rest_3_3_2"])
def test_every_token_of_a_committed_client_is_told_its_group(package: str) -> None:
    for piece in dict.fromkeys(pieces_of(ROOT / "generated" / package / package)):
        by_pattern = [(match.lastgroup, match.group()) for match in layout_proof._TOKEN.finditer(piece)]
        assert [(layout_proof._group(token), token) for token in layout_proof._TOKEN_TEXTS.findall(piece)] == by_pattern


def test_a_proof_made_with_blacks_first_pass_keeps_the_same_pieces() -> None:
    """The writer proves with black's first pass only (``format_str`` passes twice over what the first pass
    changed, and proving modules are spaced out by black): what it proves is what full black proves."""
    pieces = list(dict.fromkeys(pieces_of(ROOT / "generated" / "airflow_rest_2_10_5" / "airflow_rest_2_10_5")))

    def first_pass(texts: list[str]) -> dict[str, str | None]:
        return {text: writer._format_once(text) for text in texts}

    assert layout_proof.proven_pieces(pieces, first_pass) == proven(pieces)


def test_proving_costs_black_one_pass_over_each_proving_text(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Through ``format_sources``: a file the proof keeps whole is never given to black's two-pass
    ``format_str``, and each proving text goes through black's first pass once."""
    monkeypatch.setenv("CLIENTGEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(writer, "_PARALLEL_MIN_LINES", 10**9)  # in this process, so the calls are seen
    source = (ROOT / "generated" / "airflow_rest_2_10_5" / "airflow_rest_2_10_5" / "resources" / "_dag.py").read_text()
    full: list[str] = []
    once: list[str] = []
    format_one, format_once = writer._format_one, writer._format_once
    monkeypatch.setattr(writer, "_format_one", lambda text: full.append(text) or format_one(text))
    monkeypatch.setattr(writer, "_format_once", lambda text: once.append(text) or format_once(text))
    assert writer.format_sources({"pkg/resources/_dag.py": source})["pkg/resources/_dag.py"] == source
    assert full == []
    assert once and len(once) == len(set(once))
    spaced = [text for text in once if format_once(text) != text]
    assert spaced  # proving modules black spaces out: one pass each all the same


def test_proving_modules_are_cut_by_lines_as_well_as_units() -> None:
    """A group of long shapes is cut into modules of at most ``_CHUNK_LINES`` lines (one 500-line module was
    most of cloudfront's proving time, on one worker); a unit longer than that still goes, alone."""
    three = ("line", 1, "a: (\n    a\n) = a", "other")
    units = [three] * 120 + [("line", 1, "a" + "\n" * 200, "other")] + [three] * 3
    chunks = list(layout_proof._chunks(units))
    assert [unit for chunk in chunks for unit in chunk] == units
    sizes = [sum(unit[2].count("\n") + 1 for unit in chunk) for chunk in chunks]
    assert all(size <= layout_proof._CHUNK_LINES or len(chunk) == 1 for size, chunk in zip(sizes, chunks, strict=True))
    assert len(chunks) == 5 and sizes[:2] == [150, 150] and sizes[3] == 201
    assert all(len(chunk) <= layout_proof._CHUNK for chunk in layout_proof._chunks([("line", 0, "a", "other")] * 450))


@pytest.mark.parametrize(
    "piece",
    [
        ")\n",  # a bracket closed that was never opened
        "x = (\n    1,\n",  # one opened and never closed
        "a)(\n",
        "class A:\n    x: list[int]]\n",
        "def f(\n    a,\n):\n    return g(a))\n",
        "    ",  # blanks alone
        "    \n",
    ],
)
def test_a_piece_whose_brackets_do_not_balance_is_left_to_black_not_raised_on(piece: str) -> None:
    """The proof reads text that black has not parsed yet: a piece black cannot take is one it cannot prove
    (it used to raise IndexError from deep inside the shape of the line), and black then says why."""
    assert layout_proof._proof(piece) is None
    assert proven([piece, "x = 1\n"]) == {"x = 1\n"}


_ONE_LINE_DOCSTRINGS = [
    '"""Plain words, <code>tags</code> and (brackets) {braces} [lists] @ # $ % & * + - / : ; = ? ^ _ ` | ~."""',
    '"""x"""',
    '""" leading space"""',
    '"""trailing space """',
    '"""ends in a quote\'"""',
    '"""a "quoted" word"""',
    '"""it\'s"""',
    '"""back\\\\slash"""',
    '"""\\N{BULLET} escape"""',
    '"""caf\u00e9"""',
    '""""""',
    '"""  """',
    '"""tab\tinside"""',
    f'"""{"w" * 120}"""',
]


@pytest.mark.parametrize("docstring", _ONE_LINE_DOCSTRINGS)
@pytest.mark.parametrize("depth", [0, 1, 2])
def test_a_one_line_docstring_is_judged_as_black_formats_it(docstring: str, depth: int) -> None:
    """The plain one-line docstrings ``_black_string`` keeps without reading black's rules are the ones black
    keeps; the others still go through the rules. Each as a docstring (the module's or a function's) and
    after a statement."""
    import black

    pad = "    " * depth
    heads = "".join("    " * level + f"def f{level}():\n" for level in range(depth))
    for opening, is_docstring in ((f"{heads}{pad}", True), (f"{heads}{pad}a = 1\n{pad}", False)):
        text = f"{opening}{docstring}\n"
        formatted = black.format_str(text, mode=writer._black_mode())
        kept = formatted == text
        judged = layout_proof._black_string(docstring, depth, is_docstring)
        if layout_proof._PLAIN_ONE_LINE.fullmatch(docstring):
            assert kept and judged == docstring
        else:
            assert (judged == docstring) == kept, (text, formatted)
