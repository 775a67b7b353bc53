"""Which module of the ``models`` package each model, enum and alias lives in.

Importing a big client must not build every model (GitHub's 6,579 took ~0.7 s): a model lives in the
module of the exact set of groups that use it, directly or through other models, and the package
resolves names on first use. A group's first call then loads only its own models. A model's
references are used by every group that uses the model, so they live in modules of the same set
(the same module) or of a strict superset: imports never form a cycle."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from operator import attrgetter
from typing import Any, TypeVar

from .. import ir

# Never a group's module: group attributes are snake_case words, which never hold "__".
UNUSED = "_unused__models"
_Named = TypeVar("_Named", ir.Model, ir.EnumModel, ir.Alias)


# The names each IR value refers to, by the identity of the value (held, so no id is met twice): those of values
# read back from the cache, kept with them (``normalise.kept``).
KnownReferences = Mapping[int, tuple[object, frozenset[str]]]


def model_modules(
    groups: Iterable[ir.Group],
    models: Iterable[ir.Model],
    enums: Iterable[ir.EnumModel],
    aliases: Iterable[ir.Alias],
    known: KnownReferences | None = None,
) -> tuple[ir.ModelModule, ...]:
    """The models modules; ``known``: the references of some of the values, not walked for again."""
    models, enums, aliases = tuple(models), tuple(enums), tuple(aliases)
    references_of = partial(_references_of, known or {})
    refers: dict[str, frozenset[str]] = {m.name: references_of(m) for m in models}
    refers |= {a.name: references_of(a) for a in aliases}
    refers |= {e.name: frozenset() for e in enums}
    users: dict[str, set[str]] = {name: set() for name in refers}
    for group in groups:
        seen: set[str] = set()
        todo = [name for op in group.operations for name in references_of(op) if name in refers]
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(refers[name] - seen)
        for name in seen:
            users[name].add(group.attr)
    home = {name: _module_name(groups_using) for name, groups_using in users.items()}
    # Each module's members gathered in one pass (a scan of every name per module was quadratic: 5,000
    # operations, ~2 s), in the order of the models, enums and aliases given.
    members: dict[str, list[str]] = {}
    for name, module in home.items():
        members.setdefault(module, []).append(name)
    models_in, enums_in, aliases_in = _by_module(models, home), _by_module(enums, home), _by_module(aliases, home)
    modules = []
    for module in sorted(members):
        imports: dict[str, set[str]] = {}
        for name in members[module]:
            for ref in refers[name]:
                if home[ref] != module:
                    imports.setdefault(home[ref], set()).add(ref)
        modules.append(
            ir.ModelModule(
                module,
                tuple(sorted(users[members[module][0]])),
                tuple(models_in.get(module, ())),
                tuple(enums_in.get(module, ())),
                tuple(aliases_in.get(module, ())),
                tuple((other, tuple(sorted(names))) for other, names in sorted(imports.items())),
            )
        )
    return tuple(modules)


def _by_module(items: tuple[_Named, ...], home: dict[str, str]) -> dict[str, list[_Named]]:
    grouped: dict[str, list[_Named]] = {}
    for item in items:
        grouped.setdefault(home[item.name], []).append(item)
    return grouped


def _module_name(groups: set[str]) -> str:
    if not groups:
        return UNUSED
    if len(groups) == 1:
        return f"_{next(iter(groups))}"
    return "_shared__" + hashlib.sha256(",".join(sorted(groups)).encode()).hexdigest()[:8]


def _references_of(known: KnownReferences, value: object) -> frozenset[str]:
    found = known.get(id(value))
    return found[1] if found is not None and found[0] is value else references(value)


def references(value: object) -> frozenset[str]:
    """The names of every model, enum and alias ``value`` (a model, an alias, an operation) refers to."""
    return frozenset(_refs(value))


def _refs(node: Any) -> Iterator[str]:
    """The names of every model, enum and alias ``node`` refers to (IR dataclasses, tuples)."""
    stack = [node]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is ir.Ref:
            yield item.name
        elif kind is tuple:
            stack.extend(item)
        else:
            values = _FIELDS.get(kind)
            if values is not None:
                if kind is ir.Body and item.model:
                    yield item.model  # the request struct its keyword arguments build
                stack.extend(values(item))


def _values(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The values of ``names`` of an object, as a tuple (``attrgetter`` gives one name's value bare)."""
    if len(names) == 1:
        only = attrgetter(names[0])
        return lambda item: (only(item),)
    return attrgetter(*names) if names else lambda item: ()


# The IR's dataclasses and the fields of each that can hold a reference (not plain text or numbers).
_FIELDS: dict[type, Callable[[Any], tuple[Any, ...]]] = {
    kind: _values(tuple(f.name for f in dataclasses.fields(kind) if f.type not in ("str", "bool", "int", "str | None")))
    for kind in vars(ir).values()
    if isinstance(kind, type) and dataclasses.is_dataclass(kind) and kind is not ir.Ref
}
