"""``ir.Sharing``: equal IR values made one object before a state is kept, so it reads back faster; values that
Python calls equal but that render apart (``True`` and ``1``, ``0.0`` and ``-0.0``) stay apart."""

from __future__ import annotations

from clientgen import ir


def _field(name: str, default: ir.Default | None = None) -> ir.Field:
    return ir.Field(name, name, ir.ListOf(ir.Ref("Pet", "model")), True, default=default)


def test_equal_values_become_one_object_and_keep_their_repr() -> None:
    sharing = ir.Sharing()
    first = ir.Model("A", "spec.yaml#/a", (_field("id"), _field("name")))
    second = ir.Model("B", "spec.yaml#/b", (_field("id"),))
    shared_first, shared_second = sharing.share(first), sharing.share(second)
    assert repr(shared_first) == repr(first) and repr(shared_second) == repr(second)
    assert shared_second.fields[0] is shared_first.fields[0]
    assert shared_first.fields[0].type is shared_first.fields[1].type


def test_values_python_calls_equal_but_that_render_apart_stay_apart() -> None:
    sharing = ir.Sharing()
    defaults = [ir.Default(True), ir.Default(1), ir.Default(1.0), ir.Default(0.0), ir.Default(-0.0), ir.Default((1,))]
    defaults.append(ir.Default((True,)))
    shared = [sharing.share(_field("x", default)) for default in defaults]
    assert [repr(field.default) for field in shared] == [repr(default) for default in defaults]
    assert len({id(field) for field in shared}) == len(defaults)
    members = [ir.EnumMember("ONE", 1), ir.EnumMember("ONE", "1")]
    assert [repr(sharing.share(member)) for member in members] == [repr(member) for member in members]


def test_a_value_that_is_no_ir_value_is_never_made_one_with_another() -> None:
    sharing = ir.Sharing()
    one, other = ir.Default(("a",)), ir.Default(("a",))
    assert sharing.share(one) is sharing.share(other)  # equal tuples of scalars
    assert sharing.share([1]) is not sharing.share([1])  # type: ignore[arg-type]
