"""msgspec's union limits: alternatives flattened, merged per JSON kind, tagged or decoded by fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .. import ir
from ..normalise.base import STR
from ..normalise.discriminators import Discriminators


@dataclass(frozen=True)
class UnionFacts:
    """What deciding a union needs to know about the types already built: aliases (to flatten
    nested unions), enums (their JSON kind) and models (their discriminator tag)."""

    aliases: Mapping[str, ir.Alias]
    enums: Mapping[str, ir.EnumModel]
    models: Mapping[str, ir.Model]

    def tag_of(self, t: ir.TypeExpr) -> str | None:
        if isinstance(t, ir.Ref) and t.kind == "model" and t.name in self.models:
            tag = self.models[t.name].tag
            return tag[0] if tag else None
        return None


class Unions(Discriminators):
    def _union(self, options: list[ir.TypeExpr], tag_field: str | None = None) -> ir.TypeExpr:
        return decodable_union(options, UnionFacts(self.aliases, self.enums, self.models), tag_field)


# Flatten, then msgspec's one-alternative-per-JSON-kind rule, then the tag: one sequence.
def decodable_union(  # noqa: C901
    options: list[ir.TypeExpr], facts: UnionFacts, tag_field: str | None = None
) -> ir.TypeExpr:
    """IR -> IR: the alternatives of a oneOf/anyOf (or a nullable type) as a type msgspec can
    decode. Nested unions are flattened and duplicates dropped; ``Any`` absorbs everything;
    alternatives of one JSON kind merge (msgspec allows one per kind: strings and str enums become
    ``str``, ints and int enums ``int``, lists ``list[Any]``); models that share a discriminator
    tag stay a tagged union, other mixes of models decode by their fields, and models with maps
    become ``dict[str, Any]``."""
    flat: list[ir.TypeExpr] = []
    for option in options:
        resolved = (
            facts.aliases[option.name].type
            if isinstance(option, ir.Ref) and option.kind == "alias" and option.name in facts.aliases
            else option
        )
        if isinstance(resolved, ir.UnionOf):
            if resolved.tagged:
                tag_field = tag_field or resolved.tagged
            flat.extend(resolved.options)
        else:
            flat.append(option)
    flat = list(dict.fromkeys(flat))
    if ir.ANY in flat:
        return ir.ANY

    def is_str(o: ir.TypeExpr) -> bool:
        return (isinstance(o, ir.Primitive) and o.kind in ("str", "datetime", "date", "bytes")) or (
            isinstance(o, ir.Ref) and o.kind == "enum" and facts.enums[o.name].value_kind == "str"
        )

    def is_int(o: ir.TypeExpr) -> bool:
        return o == ir.Primitive("int") or (
            isinstance(o, ir.Ref) and o.kind == "enum" and facts.enums[o.name].value_kind == "int"
        )

    flat = _collapse([o for o in flat if is_str(o)], STR, flat)
    flat = _collapse([o for o in flat if is_int(o)], ir.Primitive("int"), flat)
    flat = _collapse([o for o in flat if isinstance(o, ir.ListOf)], ir.ListOf(ir.ANY), flat)
    structs = [o for o in flat if isinstance(o, ir.Ref) and o.kind == "model"]
    maps = [o for o in flat if isinstance(o, ir.MapOf)]
    tagged = None
    by_fields = False
    struct_tags = {facts.tag_of(o) for o in structs}
    common_tag = next(iter(struct_tags)) if len(struct_tags) == 1 else None
    if structs and common_tag and tag_field in (None, common_tag) and not maps:
        tagged = common_tag if len(structs) > 1 else None
    elif len(structs) + len(maps) > 1:
        if maps:
            flat = _collapse([*structs, *maps], ir.MapOf(ir.ANY), flat)
        else:
            by_fields = True
    non_null = [o for o in flat if o != ir.NONE]
    if len(flat) == 1:
        return flat[0]
    return ir.UnionOf(tuple(flat), tagged=tagged, by_fields=by_fields) if non_null else ir.NONE


def _collapse(group: list[ir.TypeExpr], replacement: ir.TypeExpr, options: list[ir.TypeExpr]) -> list[ir.TypeExpr]:
    """Replace the members of ``group`` by one ``replacement`` at the first member's place."""
    if len(group) < 2:
        return options
    first = options.index(group[0])
    kept = [o for o in options if o not in group]
    kept.insert(first, replacement)
    return kept


def _decodable(t: ir.TypeExpr) -> ir.TypeExpr:
    """msgspec cannot choose between untagged structs inside a struct (at any depth): such a union
    is kept as the JSON object it is."""
    if isinstance(t, ir.UnionOf):
        if t.by_fields:
            return ir.UnionOf((ir.MapOf(ir.ANY), ir.NONE)) if ir.NONE in t.options else ir.MapOf(ir.ANY)
        return ir.UnionOf(tuple(_decodable(o) for o in t.options), t.tagged, t.by_fields)
    if isinstance(t, ir.ListOf):
        return ir.ListOf(_decodable(t.item))
    if isinstance(t, ir.MapOf):
        return ir.MapOf(_decodable(t.value))
    return t


def _untagged_options(t: ir.TypeExpr) -> tuple[str, ...]:
    """The models of the untagged struct unions inside ``t`` (at any depth), in order."""
    found: list[str] = []
    if isinstance(t, ir.UnionOf):
        if t.by_fields:
            found += [o.name for o in t.options if isinstance(o, ir.Ref)]
        else:
            for o in t.options:
                found += _untagged_options(o)
    elif isinstance(t, ir.ListOf):
        found += _untagged_options(t.item)
    elif isinstance(t, ir.MapOf):
        found += _untagged_options(t.value)
    return tuple(dict.fromkeys(found))


def _options(t: ir.TypeExpr) -> tuple[ir.TypeExpr, ...]:
    return t.options if isinstance(t, ir.UnionOf) else (t,)
