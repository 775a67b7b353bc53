"""Discriminated unions: which schemas are options of a tagged union, with their tag field and value."""

from __future__ import annotations

from typing import Any

from ..documents import Location, Unparsed, string_consts, tokens_of
from ..errors import SpecError
from ..loader import LoadedSpec
from ..normalise.base import NormaliserBase


class Discriminators(NormaliserBase):
    def __init__(self, spec: LoadedSpec) -> None:
        super().__init__(spec)
        self._tags = self._find_tagged_variants()

    def _find_tagged_variants(self) -> dict[Location, tuple[str, str]]:
        """Which schemas are options of a discriminated union, with their tag field and value.

        Covers both shapes: ``oneOf``/``anyOf`` + discriminator (Airflow's ScheduleInterval, tags
        implicit from the schema name) and a base schema with a discriminator whose subtypes extend
        it through ``allOf`` (Snowflake's TaskSchedule, tags from ``mapping``).
        """
        tags: dict[Location, tuple[str, str]] = {}
        components = list(self._component_schemas(unparsed=True))
        for key, schema, at in components:
            if type(schema) is Unparsed and schema.summary.discriminated:
                schema = self.docs.parsed(schema)
            if not isinstance(schema, dict) or not isinstance(schema.get("discriminator"), dict):
                continue
            for variant_at, value in self._variants(key, schema, at, components):
                tags.setdefault(variant_at, (schema["discriminator"]["propertyName"], value))
        for variant_at, tag in self._const_tagged_variants():
            tags.setdefault(variant_at, tag)
        return tags

    def _const_tagged_variants(self) -> list[tuple[Location, tuple[str, str]]]:
        """``oneOf``/``anyOf`` lists whose alternatives are objects told apart only by a property
        with a distinct ``const`` (OpenAPI 3.1, FastAPI's bulk actions: ``action: const create``):
        a discriminator in all but name."""
        found: list[tuple[Location, tuple[str, str]]] = []
        for way in self.docs.compositions(self.spec.root.file):
            tokens = tokens_of(way)
            union = self.docs.references_union_at(tokens)  # units left unparsed: read from their summaries
            if union is None:
                continue
            keyword, refs = union
            at = self.spec.root.child(*tokens)
            targets = [
                self.docs.deref({"$ref": ref}, at.child(keyword, i), unparsed=True) for i, ref in enumerate(refs)
            ]
            consts = [string_consts(t) for t, _ in targets]
            shared = set.intersection(*(set(c) for c in consts))
            for field in sorted(shared):
                values = [c[field] for c in consts]
                if len(set(values)) == len(values):
                    found += [(t_at, (field, value)) for (_, t_at), value in zip(targets, values, strict=True)]
                    break
        return found

    def _variants(
        self, key: str, schema: dict[str, Any], at: Location, components: list[tuple[str, Any, Location]]
    ) -> list[tuple[Location, str]]:
        by_target = self._mapping(schema["discriminator"], at.child("discriminator"))
        options = schema.get("oneOf") or schema.get("anyOf")
        if options:
            keyword = "oneOf" if "oneOf" in schema else "anyOf"
            found = []
            for i, option in enumerate(options):
                if isinstance(option, dict) and "$ref" in option:
                    _, target = self.docs.deref(option, at.child(keyword, i), unparsed=True)
                    found.append((target, by_target.get(target, target.pointer.rsplit("/", 1)[-1])))
            return found
        if by_target:
            return sorted(by_target.items(), key=lambda item: item[1])
        return self._subtypes(at, components)

    def _mapping(self, discriminator: dict[str, Any], at: Location) -> dict[Location, str]:
        """A discriminator's ``mapping``: target schema -> tag value (bare names mean components)."""
        by_target: dict[Location, str] = {}
        for value, ref in (discriminator.get("mapping") or {}).items():
            if "#" not in str(ref) and "/" not in str(ref):
                ref = f"#/components/schemas/{ref}"
            here = at.child("mapping", value)
            try:
                _, target = self.docs.resolve(ref, here)
            except SpecError as exc:
                self.warn(f"discriminator mapping {value!r}: {exc.message}; that variant is left out", here)
                continue
            by_target.setdefault(target, str(value))
        return by_target

    def _subtypes(self, base: Location, components: list[tuple[str, Any, Location]]) -> list[tuple[Location, str]]:
        """A base schema without mapping: its subtypes are the schemas that extend it via allOf."""
        found = []
        for sub_key, sub, sub_at in components:
            sub = self.docs.parsed(sub)
            for i, part in enumerate(sub.get("allOf", []) if isinstance(sub, dict) else []):
                if (
                    isinstance(part, dict)
                    and "$ref" in part
                    and self.docs.deref(part, sub_at.child("allOf", i), unparsed=True)[1] == base
                ):
                    found.append((sub_at, sub_key))
        return found

    def _tag_owner(self, variant: Location, base: Location) -> bool:
        schema, _ = self.docs.resolve("#" + variant.pointer, Location(variant.file, ""))
        for i, part in enumerate(schema.get("allOf", []) if isinstance(schema, dict) else []):
            if isinstance(part, dict) and "$ref" in part:
                if self.docs.deref(part, variant.child("allOf", i))[1] == base:
                    return True
        return False
