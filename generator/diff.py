"""``clientgen diff OLD NEW``: what changes for code that uses the generated client.

Compares two IRs (the client each spec produces, not the YAML text) and classifies every change as
breaking or not for a caller: a removed operation, field or enum value, a parameter made required, a
changed type or a newly nullable field break code; additions and deprecations do not.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

from . import ir
from .errors import printable


@dataclass(frozen=True)
class Change:
    kind: str  # e.g. "operation removed", "field type changed"
    subject: str  # what a caller writes: client.dag.get_dags, models.Pool.slots
    detail: str
    breaking: bool


def _ops(api: ir.Api) -> dict[str, ir.Operation]:
    return {op.operation_id: op for op in api.operations}


def _call(op: ir.Operation) -> str:
    return f"client.{op.group}.{op.py_name}"


def _type(t: ir.TypeExpr) -> str:
    return ir.annotation(t)


def _without_none(t: ir.TypeExpr) -> ir.TypeExpr:
    if isinstance(t, ir.UnionOf) and ir.NONE in t.options:
        rest = tuple(o for o in t.options if o != ir.NONE)
        return rest[0] if len(rest) == 1 else ir.UnionOf(rest, t.tagged, t.by_fields)
    return t


def _operations(old: ir.Api, new: ir.Api) -> list[Change]:
    changes: list[Change] = []
    before, after = _ops(old), _ops(new)
    for op_id in sorted(after.keys() - before.keys()):
        op = after[op_id]
        changes.append(Change("operation added", _call(op), f"{op.method} {op.path}", False))
    for op_id in sorted(before.keys() - after.keys()):
        op = before[op_id]
        changes.append(Change("operation removed", _call(op), f"{op.method} {op.path}", True))
    for op_id in sorted(before.keys() & after.keys()):
        a, b = before[op_id], after[op_id]
        subject = _call(b)
        if (a.group, a.py_name) != (b.group, b.py_name):
            changes.append(Change("operation moved", _call(a), f"now {subject}", True))
        if b.deprecated and not a.deprecated:
            changes.append(Change("operation deprecated", subject, "the spec marks it deprecated", False))
        if (a.method, a.path) != (b.method, b.path):
            changes.append(
                Change("operation path changed", subject, f"{a.method} {a.path} -> {b.method} {b.path}", False)
            )
        changes += _parameters(a, b, subject)
        old_media = {c.media_type for c in a.accepts}
        new_media = {c.media_type for c in b.accepts}
        for media in sorted(new_media - old_media):
            changes.append(Change("media type added", subject, media, False))
        for media in sorted(old_media - new_media):
            changes.append(Change("media type removed", subject, media, True))
        if _type(a.result_type) != _type(b.result_type):
            changes.append(
                Change("result type changed", subject, f"{_type(a.result_type)} -> {_type(b.result_type)}", True)
            )
    return changes


def _parameters(a: ir.Operation, b: ir.Operation, subject: str) -> list[Change]:
    changes: list[Change] = []
    before = {(p.location, p.wire_name): p for p in a.parameters}
    after = {(p.location, p.wire_name): p for p in b.parameters}
    for key in sorted(after.keys() - before.keys()):
        p = after[key]
        required = p.required
        kind = "required parameter added" if required else "parameter added"
        changes.append(
            Change(kind, f"{subject}({p.py_name}=)", f"{p.location} {p.wire_name}: {_type(p.type)}", required)
        )
    for key in sorted(before.keys() - after.keys()):
        p = before[key]
        changes.append(Change("parameter removed", f"{subject}({p.py_name}=)", f"{p.location} {p.wire_name}", True))
    for key in sorted(before.keys() & after.keys()):
        pa, pb = before[key], after[key]
        name = f"{subject}({pb.py_name}=)"
        if pa.py_name != pb.py_name:
            changes.append(Change("parameter renamed", name, f"{pa.py_name} -> {pb.py_name}", True))
        if pb.required and not pa.required:
            changes.append(Change("parameter made required", name, pb.wire_name, True))
        if _type(pa.type) != _type(pb.type):
            changes.append(Change("parameter type changed", name, f"{_type(pa.type)} -> {_type(pb.type)}", True))
    return changes


def _request_models(api: ir.Api) -> set[str]:
    """Models a caller builds: request bodies and every model inside them."""
    by_name = {m.name: m for m in api.models}
    seen: set[str] = set()
    pending = [op.body.type for op in api.operations if op.body is not None]
    while pending:
        t = pending.pop()
        if isinstance(t, ir.Ref) and t.kind == "model" and t.name not in seen and t.name in by_name:
            seen.add(t.name)
            pending += [f.type for f in by_name[t.name].fields]
        elif isinstance(t, ir.UnionOf):
            pending += list(t.options)
        elif isinstance(t, ir.ListOf):
            pending.append(t.item)
        elif isinstance(t, ir.MapOf):
            pending.append(t.value)
    return seen


def _models(old: ir.Api, new: ir.Api) -> list[Change]:
    changes: list[Change] = []
    built = _request_models(new)
    before = {m.name: m for m in old.models}
    after = {m.name: m for m in new.models}
    added, removed = sorted(after.keys() - before.keys()), sorted(before.keys() - after.keys())
    renamed: dict[str, str] = {}
    for gone in removed:  # a model that reappears under a new name with mostly the same fields
        gone_fields = {f.wire_name for f in before[gone].fields}
        best = max(
            added,
            key=lambda n: (_similarity(gone_fields, {f.wire_name for f in after[n].fields}), n.startswith(gone)),
            default=None,
        )
        if (
            best
            and best not in renamed.values()
            and _similarity(gone_fields, {f.wire_name for f in after[best].fields}) >= 0.6
        ):
            renamed[gone] = best
    for gone, now in renamed.items():
        changes.append(Change("model renamed", f"models.{gone}", f"now models.{now}", True))
        changes += _fields(before[gone], after[now], now in built)
    for name in added:
        if name not in renamed.values():
            changes.append(Change("model added", f"models.{name}", after[name].source, False))
    for name in removed:
        if name not in renamed:
            changes.append(Change("model removed", f"models.{name}", before[name].source, True))
    for name in sorted(before.keys() & after.keys()):
        changes += _fields(before[name], after[name], name in built)
    return changes


def _similarity(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def _fields(a: ir.Model, b: ir.Model, built_by_callers: bool) -> list[Change]:
    changes: list[Change] = []
    before = {f.wire_name: f for f in a.fields}
    after = {f.wire_name: f for f in b.fields}
    for wire in sorted(after.keys() - before.keys()):
        f = after[wire]
        # a new required field breaks code that builds this model; reading code never notices
        changes.append(
            Change("field added", f"models.{b.name}.{f.py_name}", _type(f.type), f.required and built_by_callers)
        )
    for wire in sorted(before.keys() - after.keys()):
        changes.append(
            Change("field removed", f"models.{a.name}.{before[wire].py_name}", _type(before[wire].type), True)
        )
    for wire in sorted(before.keys() & after.keys()):
        fa, fb = before[wire], after[wire]
        subject = f"models.{b.name}.{fb.py_name}"
        if _type(_without_none(fa.type)) != _type(_without_none(fb.type)):
            changes.append(Change("field type changed", subject, f"{_type(fa.type)} -> {_type(fb.type)}", True))
        elif ir.is_nullable(fb.type) != ir.is_nullable(fa.type):
            now = ir.is_nullable(fb.type)
            detail = "may now be None" if now else "no longer None"
            changes.append(Change("field nullability changed", subject, detail, now))
        if fb.required and not fa.required:
            detail = "must now be set when building the model" if built_by_callers else "always present in answers"
            changes.append(Change("field made required", subject, detail, built_by_callers))
    return changes


def _enums(old: ir.Api, new: ir.Api) -> list[Change]:
    changes: list[Change] = []
    before = {e.name: e for e in old.enums}
    after = {e.name: e for e in new.enums}
    for name in sorted(after.keys() - before.keys()):
        changes.append(
            Change("enum added", f"models.{name}", ", ".join(str(m.value) for m in after[name].members), False)
        )
    for name in sorted(before.keys() - after.keys()):
        changes.append(Change("enum removed", f"models.{name}", "", True))
    for name in sorted(before.keys() & after.keys()):
        a = {m.value: m for m in before[name].members}
        b = {m.value: m for m in after[name].members}
        for value in sorted(b.keys() - a.keys(), key=str):
            # clients tolerate unknown values, so a new one only needs handling where you match on it
            changes.append(Change("enum value added", f"models.{name}.{b[value].py_name}", repr(value), False))
        for value in sorted(a.keys() - b.keys(), key=str):
            changes.append(Change("enum value removed", f"models.{name}.{a[value].py_name}", repr(value), True))
    return changes


def _auth(old: ir.Api, new: ir.Api) -> list[Change]:
    before = {s.key: s for s in old.security_schemes}
    after = {s.key: s for s in new.security_schemes}
    changes = [
        Change("auth scheme added", k, f"{after[k].type} {after[k].scheme}".strip(), False)
        for k in sorted(after.keys() - before.keys())
    ]
    changes += [
        Change("auth scheme removed", k, f"{before[k].type} {before[k].scheme}".strip(), True)
        for k in sorted(before.keys() - after.keys())
    ]
    if old.base_path != new.base_path:
        changes.append(
            Change("base path changed", "Client(base_url)", f"{old.base_path or '/'} -> {new.base_path or '/'}", True)
        )
    return changes


def diff(old: ir.Api, new: ir.Api) -> list[Change]:
    return _operations(old, new) + _models(old, new) + _enums(old, new) + _auth(old, new)


def markdown(changes: list[Change], old_label: str, new_label: str) -> str:
    """The change list as Markdown. Every string from a spec (labels, subjects, details) stays inside
    its line and its code span or text: see ``_text`` and ``_code``."""
    breaking = [c for c in changes if c.breaking]
    lines = [
        f"# Client changes: {_text(old_label)} -> {_text(new_label)}",
        "",
        f"{len(changes)} changes, {len(breaking)} breaking.",
    ]
    for title, subset in (("Breaking", breaking), ("Not breaking", [c for c in changes if not c.breaking])):
        lines += ["", f"## {title} ({len(subset)})"]
        kinds: dict[str, list[Change]] = {}
        for change in subset:
            kinds.setdefault(change.kind, []).append(change)
        for kind, group in kinds.items():
            lines += ["", f"### {kind} ({len(group)})", ""]
            lines += [f"- {_code(c.subject)}" + (f": {_text(c.detail)}" if c.detail else "") for c in group]
    return "\n".join(lines) + "\n"


# Characters with a meaning inside a Markdown line (CommonMark, and GitHub's tables, strikethrough and
# math), escaped with a backslash as CommonMark allows for any ASCII punctuation: code, emphasis,
# links and images ([), raw HTML and autolinks (<; a lone > means nothing), entities, table cells.
# Block syntax (#, >, -, 1., ===) counts only at a line's start, where spec text never is: every line
# starts with clientgen's own text (and the title's labels end with clientgen's ")").
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]<|~$&])")


def _one_line(text: str) -> str:
    """Spec text on one line: line breaks (and other whitespace runs) collapsed to a space, then what
    is left unprintable (ESC, bidi overrides...) escaped."""
    return printable(" ".join(text.split()))


def _text(text: str) -> str:
    """Spec text as literal Markdown text inside a line."""
    return _MARKDOWN_INLINE.sub(r"\\\1", _one_line(text))


def _code(text: str) -> str:
    """Spec text as a Markdown code span, fenced by more backticks than any run it holds."""
    text = _one_line(text) or " "
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    pad = " " if "`" in text else ""  # `` `a` `` : one space each side is stripped again
    return f"{fence}{pad}{text}{pad}{fence}"


def as_json(changes: list[Change], old_label: str, new_label: str) -> str:
    document = {
        "old": old_label,
        "new": new_label,
        "breaking": sum(c.breaking for c in changes),
        "changes": [asdict(c) for c in changes],
    }
    return json.dumps(document, indent=2) + "\n"
