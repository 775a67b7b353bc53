"""The renderer lays long lines out as black does, so black has nothing to redo (a second black pass
per changed piece was ~8 s of CPU on GitHub's spec). Each shape is swept across the line-length
boundary: the layout must be black's own, or the line left whole for black. A layout that is neither
is a bug even though black runs after it: black keeps some parentheses where it finds them (a
parameter's ``= (UNSET)``), so a wrong guess can change the output's bytes."""

from __future__ import annotations

import ast
import itertools

import black
import pytest

from clientgen.render.methods import (
    Arg,
    _collection_arg,
    _top_level,
    annotated_line,
    assignment_call,
    atom_assignment,
    call_statement,
    class_head,
    def_head,
    def_line,
    endpoint_declaration,
    literal_tuple_arg,
    union_alias,
)
from clientgen.writer import _black_mode


def formatted(source: str) -> str:
    return str(black.format_str(source, mode=_black_mode()))


# the fourth: ``name: (`` fits where ``name: OperationMock[`` does not (testing.py's bare annotations)
NAMES = ["x", "budget_alerting", "organization_self_hosted_runners_" + "n" * 12, "n" * 74, "n" * 90]
ATOMS = ["T" * n for n in (20, 45, 60, 75, 88, 93, 97)]


def annotations() -> list[str]:
    shapes = []
    for atom in ATOMS:
        shapes += [atom, f"{atom} | UnsetType", f"list[{atom}]", f"list[{atom}] | UnsetType"]
        shapes += [f"{atom} | None | UnsetType", f"dict[str, {atom}] | UnsetType", f"models.{atom} | None"]
        shapes += [f"OperationMock[{atom}, None]", f"OperationMock[models.{atom}, {atom[:30]} | None]"]
        shapes += [f"OperationMock[list[models.{atom[:40]}], {atom[:35]} | None]", f"dict[str, list[{atom}]]"]
        strings = [f'"{atom[: len(atom) // k].lower()}/{k}"' for k in (2, 3, 4)]  # media types, as content_type has
        shapes += [f"Literal[{', '.join(strings[:count])}]" for count in (1, 2, 3)]
    shapes += ['Literal["a, b", "c[d]", "e|f", "' + "i" * 60 + '"]']  # separators inside strings
    return shapes


VALUES = [None, "UNSET", "None", 'msgspec.field(name="type")', f'msgspec.field(name="{"w" * 80}", default=UNSET)']
CASES = list(itertools.product(NAMES, annotations(), VALUES))


def test_field_lines_are_blacks_or_left_whole() -> None:
    handled = bare = last_resort = magic = 0
    for name, annotation, value in CASES:
        ours = annotated_line(4, name, annotation, value)
        whole = f"    {name}: {annotation}" + ("" if value is None else f" = {value}")
        theirs = formatted(f"class A(Model):\n{whole}\n")
        exploded = ours.endswith(",\n    )") and ",\n" not in whole  # a field's call, magic comma added
        magic += exploded
        if exploded:  # black's for itself, and the same code
            assert formatted(f"class A(Model):\n{ours}\n") == f"class A(Model):\n{ours}\n", (name, annotation, value)
            assert "".join(ours.replace(",\n    )", ")").split()) == "".join(whole.split())
        else:
            assert f"class A(Model):\n{ours}\n" == theirs or ours == whole, (name, annotation, value)
        handled += ours != whole
        subscript = len(_top_level(annotation, "|")) == 1 and annotation.endswith("]")
        bare += value is None and subscript and ours.startswith(f"    {name}: (\n")
        last_resort += value is None and len(ours.split("\n")[0]) > 88 and ours != whole
    assert handled >= 150  # the sweep exercises the wrapping rules, not only one-liners
    assert magic >= 50  # a field's ``msgspec.field(`` call one argument per line, with a magic comma
    assert bare >= 4  # a bare annotation in parentheses (testing.py's mocks of long operation names)
    assert last_resort >= 20  # or split at its bracket when even ``name: (`` is too long


def test_parameters_are_blacks_or_left_whole() -> None:
    """In a signature black parenthesises the annotation, never the default."""
    head = "class C:\n    def f(\n        self,\n        *,\n"
    tail = "    ) -> None:\n        pass\n"
    handled = literals = 0
    defaults = [None, "UNSET", "None", "100", '"application/json"', '"' + "d" * 70 + '"']  # atoms, as generated
    for name, annotation, value in itertools.product(NAMES, annotations(), defaults):
        ours = annotated_line(8, name, annotation, value, suffix=",")
        whole = f"        {name}: {annotation}" + ("" if value is None else f" = {value}") + ","
        assert formatted(head + ours + "\n" + tail) == head + ours + "\n" + tail or ours == whole, (name, annotation)
        assert formatted(head + whole + "\n" + tail) == head + ours + "\n" + tail or ours == whole, (name, annotation)
        handled += ours != whole
        literals += ours != whole and annotation.startswith("Literal[")
    assert handled >= 50
    # content_type parameters too long for their line: 325 of kubernetes' pieces went to black for them
    assert literals >= 60


@pytest.mark.parametrize("name_length", [10, 40, 70, 76, 80, 85, 95])
def test_class_heads_unions_and_endpoint_heads(name_length: int) -> None:
    name = "N" * name_length
    for bases in ("OpenEnum", "Model, kw_only=True", 'Model, kw_only=True, tag_field="type", tag="x"'):
        whole = f"class {name}({bases}):\n    pass\n"
        ours = class_head(name, bases) + "\n    pass\n"
        assert formatted(whole) == ours or ours == whole
    for count in (2, 5, 12):
        union = " | ".join(f"Option{i}{'X' * name_length}" for i in range(count))
        whole = f"{name} = {union}\n"
        ours = union_alias(name, union) + "\n"
        assert formatted(whole) == ours or ours == whole
    wrapped = parenthesised = last_resort = 0
    results = ["models.Dag", "list[models.Dag]"] + ["models." + "R" * n for n in (40, 50, 55, 60, 65, 70, 80, 90)]
    for result in results:
        for path in ("/x", "/" + "p" * 80, "/" + "p" * 92):
            arguments = f'    "GET",\n    "{path}",\n    {{"200": {result}}},\n'
            whole = f"{name.upper()}: Endpoint[{result}] = Endpoint(\n{arguments})\n"
            ours = endpoint_declaration(arguments, name.upper(), result) + "\n"
            assert formatted(whole) == ours or ours == whole, (name, result, path)
            wrapped += ours.startswith(f"{name.upper()}: Endpoint[{result}] = (\n")
            parenthesised += ours.startswith(f"{name.upper()}: (\n    Endpoint[")
            last_resort += ours.startswith(f"{name.upper()}: Endpoint[\n") and name_length > 85
    assert wrapped or name_length != 10  # the whole call in parentheses is exercised
    assert parenthesised or name_length not in (80, 85)  # and the annotation in parentheses
    assert last_resort or name_length != 95  # and, when nothing fits, its bracket opened on a long line


def test_atom_assignments_are_blacks_or_left_whole() -> None:
    """Enum members (``V_9_UNABLE_TO_ALLOCATE = "9 (UnableToAllocate...)"``): the value in parentheses where
    black puts it there (18 of visualstudio's pieces went to black for it)."""
    handled = 0
    for target_length, value_length in itertools.product((10, 40, 70, 80, 84, 85, 90), range(4, 100, 3)):
        target = "V" * target_length
        for value in (f'"{"v" * value_length}"', "1" * value_length):
            ours = atom_assignment(4, target, value)
            whole = f"    {target} = {value}"
            theirs = formatted(f"class E(OpenEnum):\n{whole}\n")
            assert theirs == f"class E(OpenEnum):\n{ours}\n" or ours == whole, (target_length, value)
            handled += ours != whole
    assert handled >= 40


def test_facade_twins_are_blacks() -> None:
    """``name = raw_method(Group.name)`` on the facades: whole, or exploded with a magic trailing comma (one
    proving shape for all of them), or parenthesized whole where black does that instead."""
    forms = set()
    for target_length, arg_length in itertools.product(range(1, 140, 3), range(5, 140, 4)):
        for func in ("async_raw_method", "awaitable_method"):
            ours = assignment_call("t" * target_length, func, "resources.GroupApi." + "a" * arg_length, 4)
            source = f"class C:\n{ours}\n"
            assert formatted(source) == source, (target_length, arg_length, func)
            forms.add(ours.count("\n"))
    assert forms == {0, 2, 4}


@pytest.mark.parametrize("indent", [4, 8])
def test_call_statements_are_blacks(indent: int) -> None:
    for length in range(10, 110, 3):
        args = [f'"{"m" * length} is deprecated in the spec"', "DeprecationWarning", "stacklevel=2"]
        ours = call_statement(indent, "warnings.warn", args)
        body = "\n".join(line[indent - 4 :] if line else line for line in ours.split("\n"))
        source = "def f():\n" + body + "\n" if indent == 4 else "class C:\n    def f(self):\n" + ours + "\n"
        assert formatted(source) == source, length


def test_def_lines_are_blacks() -> None:
    """The ``Auth`` constructors' heads: whole, parameters on one line, or one per line."""
    for length in range(1, 90, 3):
        params = [f"{'u' * length}: str", "password: str", "*", "form: bool = False"]
        head = def_line(4, "oauth2_password_bearer", params, "PasswordAuth")
        source = f"class Auth:\n    @staticmethod\n{head}\n        pass\n"
        assert formatted(source) == source, length


@pytest.mark.parametrize("stub", [False, True])
def test_signatures_close_as_black_closes_them(stub: bool) -> None:
    """A return annotation too long for ``) -> T:`` (kubernetes' model names; 48 of its pieces went to
    black for it) is parenthesised, on one line or one ``|`` operand per line; a one-parameter ``def`` too
    long for its line (a client's group properties) takes black's trailing comma."""
    handled = 0
    for length, operands in itertools.product((10, 40, 60, 70, 76, 80, 84, 90), (1, 2, 3)):
        returns = " | ".join(f"models.{chr(65 + n) * length}" for n in range(operands))
        for candidate in (returns, f"list[{returns}]", f"{returns} | None", f"Iterator[{returns}]"):
            limit = [Arg("limit", "int", "100", True)]
            head = def_head("    def list_namespaced_pods", [], limit, candidate, stub=stub)
            source = f"class C:\n{head}\n" + ("" if stub else "        pass\n")
            whole = head.endswith(f") -> {candidate}{': ...' if stub else ':'}")
            assert formatted(source) == source or whole, candidate
            handled += not whole
            for params in (["self"], ["self", "other: int"], ["self", "x" * 80 + ": int"]):
                line = def_line(4, "admissionregistration_v1alpha1", params, candidate)
                source = f"class C:\n{line}\n        pass\n"
                assert formatted(source) == source or (line.endswith(f"-> {candidate}:") and "\n" not in line), line
    assert handled >= 12


def test_collection_arguments_are_blacks() -> None:
    """An endpoint's responses (positional), ``body_variants=`` and the string-literal ones: one line, or one
    entry per line with black's comma, and a lone entry without one (a comma there is magic: black would
    keep the layout it never makes itself, 3 of GitHub's endpoints)."""
    exploded = 0
    for length, count in itertools.product(range(10, 100, 6), (1, 2, 3)):
        entries = [f'"{200 + n}": models.{chr(65 + n) * length}' for n in range(count)]
        for keyword in ("", "body_variants"):
            line = _collection_arg(keyword, entries, "{}", 4)
            whole = f"    {keyword}{'=' if keyword else ''}{{{', '.join(entries)}}},"
            ours, theirs = (f'X = Endpoint(\n    "GET",\n{text}\n    accept="a",\n)\n' for text in (line, whole))
            assert formatted(theirs) == ours or any(len(entry) + 8 > 88 for entry in entries), line
            exploded += "\n" in line
        values = tuple("v" * length for _ in range(count))
        line = literal_tuple_arg("security", values, 4)
        whole = f"    security=({', '.join(map(repr, values)).replace(chr(39), chr(34))}{',' if count == 1 else ''}),"
        assert formatted(f"X = Endpoint(\n{whole}\n)\n") == f"X = Endpoint(\n{line}\n)\n" or length + 10 > 88, line
    assert exploded >= 40


def test_endpoint_declarations_with_long_arguments_are_blacks_or_left_to_black() -> None:
    """When black wraps a declaration's whole call in parentheses its arguments move one indent in: a dict
    laid out for the old indent no longer fits there, and is left to black (12 of kubernetes' declarations)."""
    handled = 0
    for name_length, length, count in itertools.product((20, 40, 60), range(20, 80, 7), (1, 2)):
        name, result = "N" * name_length, f"models.{'R' * 18}"
        entries = [f'"{200 + n}": models.{chr(65 + n) * length}' for n in range(count)]
        arguments = f'    "GET",\n{_collection_arg("", entries, "{}", 4)}\n    accept="a",\n'
        ours = endpoint_declaration(arguments, name, result)
        call = f'Endpoint(\n    "GET",\n    {{{", ".join(entries)}}},\n    accept="a",\n)\n'
        left = any(len(line) > 88 for line in ours.split("\n"))
        assert formatted(f"{name}: Endpoint[{result}] = {call}") == ours + "\n" or left, ours
        assert not (left and "= (\n    Endpoint(" in ours), ours  # a half-done layout: black's parts of it cost
        handled += not left and "\n    {\n" in ours
    assert handled >= 10


def test_a_field_split_at_its_commas_keeps_wire_names_whole() -> None:
    """A field's ``msgspec.field(...)`` is split one argument per line at its top-level commas: a wire name
    holding commas, quotes, brackets or backslashes (the spec's text) stays one argument, and the line is
    black's and the same code."""
    from clientgen.render.text import py_literal

    for wire in ["a, b", 'x", default=1, y="', "it's [a] (b)", "back\\slash,", "{c}, 'd'", "é, ü"]:
        value = f"msgspec.field(name={py_literal(wire + ' ' * 40)}, default=UNSET)"
        ours = annotated_line(4, "some_field_name", "list[str] | UnsetType", value)
        source = f"class A(Model):\n{ours}\n"
        assert ours.count("\n") == 3 and formatted(source) == source, wire
        tree = ast.parse(source)
        whole = ast.parse(f"class A(Model):\n    some_field_name: list[str] | UnsetType = {value}\n")
        assert ast.dump(tree) == ast.dump(whole), wire
