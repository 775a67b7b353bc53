"""msgspec's union limits: alternatives flattened, merged per JSON kind, tagged or decoded by fields."""

from __future__ import annotations

from generator import ir
from generator.normalise.base import STR
from generator.normalise.discriminators import Discriminators


class Unions(Discriminators):
    # Flatten, then msgspec's one-alternative-per-JSON-kind rule, then the tag: one sequence, to
    # become the IR->IR union pass when the normaliser is split into passes.
    def _union(self, options: list[ir.TypeExpr], tag_field: str | None = None) -> ir.TypeExpr:  # noqa: C901
        """Flatten, deduplicate and make the alternatives decodable by msgspec."""
        flat: list[ir.TypeExpr] = []
        for option in options:
            resolved = (
                self.aliases[option.name].type
                if isinstance(option, ir.Ref) and option.kind == "alias" and option.name in self.aliases
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

        # msgspec allows at most one alternative per JSON kind; merge alternatives that share one.
        def is_str(o: ir.TypeExpr) -> bool:
            return (isinstance(o, ir.Primitive) and o.kind in ("str", "datetime", "date", "bytes")) or (
                isinstance(o, ir.Ref) and o.kind == "enum" and self.enums[o.name].value_kind == "str"
            )

        def is_int(o: ir.TypeExpr) -> bool:
            return o == ir.Primitive("int") or (
                isinstance(o, ir.Ref) and o.kind == "enum" and self.enums[o.name].value_kind == "int"
            )

        flat = _collapse([o for o in flat if is_str(o)], STR, flat)
        flat = _collapse([o for o in flat if is_int(o)], ir.Primitive("int"), flat)
        flat = _collapse([o for o in flat if isinstance(o, ir.ListOf)], ir.ListOf(ir.ANY), flat)
        structs = [o for o in flat if isinstance(o, ir.Ref) and o.kind == "model"]
        maps = [o for o in flat if isinstance(o, ir.MapOf)]
        tagged = None
        by_fields = False
        struct_tags = {self._tags_of(o) for o in structs}
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
