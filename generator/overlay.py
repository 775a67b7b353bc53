"""OpenAPI Overlay 1.0: apply ``update`` / ``remove`` actions selected by JSONPath targets.

The JSONPath subset covers what overlays use in practice: ``$``, ``.name``, ``['name']``,
``[n]``, ``*`` / ``[*]``, recursive descent ``..name``, and filters ``[?(@.key == 'value')]``
(also ``!=``, and a bare ``[?(@.key)]`` for presence).
"""

from __future__ import annotations

import copy
import re
import sys
from collections.abc import Callable
from typing import Any

from generator.documents import Documents, Location
from generator.errors import display_path

# A path is a list of steps; each step maps one node to its selected children as
# (parent, key) pairs so that "remove" can delete from the parent.
Selection = list[tuple[Any, Any]]  # (parent container, key); the root is (None, None)
Step = Callable[[Any], list[tuple[Any, Any]]]

_TOKEN = re.compile(
    r"""\.\.(?P<descend>[A-Za-z_$][\w$-]*|\*)
      | \.(?P<name>[A-Za-z_$][\w$-]*|\*)
      | \[\s*(?P<quoted>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\s*\]
      | \[\s*(?P<index>-?\d+)\s*\]
      | \[\s*\*\s*\](?P<star>)
      | \[\s*\?\s*\(?\s*@(?P<filter>[^\]]*?)\)?\s*\]
    """,
    re.VERBOSE,
)
_FILTER = re.compile(
    r"""^\.(?P<key>[\w$-]+)\s*(?:(?P<op>==|!=)\s*(?P<value>'[^']*'|"[^"]*"|-?\d+(?:\.\d+)?|true|false|null))?\s*$"""
)


def _children(node: Any) -> list[tuple[Any, Any]]:
    if isinstance(node, dict):
        return [(node, k) for k in node]
    if isinstance(node, list):
        return [(node, i) for i in range(len(node))]
    return []


def _descendants(node: Any) -> list[Any]:
    out = [node]
    for parent, key in _children(node):
        out.extend(_descendants(parent[key]))
    return out


def _literal(text: str) -> Any:
    if text[0] in "'\"":
        return text[1:-1]
    if text in ("true", "false", "null"):
        return {"true": True, "false": False, "null": None}[text]
    return float(text) if "." in text else int(text)


def _descend_step(name: str) -> Step:
    def step(node: Any) -> list[tuple[Any, Any]]:
        return [
            (d, k)
            for d in _descendants(node)
            for (_, k) in _children(d)
            if name == "*" or (isinstance(d, dict) and k == name)
        ]

    return step


def _member_step(name: str) -> Step:
    def step(node: Any) -> list[tuple[Any, Any]]:
        return [(node, name)] if isinstance(node, dict) and name in node else []

    return step


def _index_step(index: int) -> Step:
    def step(node: Any) -> list[tuple[Any, Any]]:
        if isinstance(node, list) and -len(node) <= index < len(node):
            return [(node, index % len(node))]
        return []

    return step


def _filter_step(key: str, op: str | None, value: Any) -> Step:
    def keep(item: Any) -> bool:
        if not isinstance(item, dict) or key not in item:
            return False
        return op is None or (item[key] == value) == (op == "==")

    def step(node: Any) -> list[tuple[Any, Any]]:
        return [(p, k) for p, k in _children(node) if keep(p[k])]

    return step


def compile_path(expression: str) -> list[Step] | None:
    """Steps for a JSONPath expression, or None when it is outside the supported subset."""
    if not expression.startswith("$"):
        return None
    steps: list[Step] = []
    pos = 1
    while pos < len(expression):
        match = _TOKEN.match(expression, pos)
        if match is None:
            return None
        pos = match.end()
        if match.group("descend") is not None:
            steps.append(_descend_step(match.group("descend")))
        elif match.group("name") == "*" or match.group("star") is not None:
            steps.append(_children)
        elif match.group("name") is not None:
            steps.append(_member_step(match.group("name")))
        elif match.group("quoted") is not None:
            quoted = match.group("quoted")[1:-1]
            steps.append(_member_step(quoted.replace("\\'", "'").replace('\\"', '"')))
        elif match.group("index") is not None:
            steps.append(_index_step(int(match.group("index"))))
        else:
            parsed = _FILTER.match(match.group("filter"))
            if parsed is None:
                return None
            op = parsed.group("op")
            steps.append(_filter_step(parsed.group("key"), op, _literal(parsed.group("value")) if op else None))
    return steps


def select(document: Any, steps: list[Step]) -> Selection:
    selection: Selection = [(None, None)]
    for step in steps:
        nxt: Selection = []
        for parent, key in selection:
            node = document if parent is None else parent[key]
            nxt.extend(step(node))
        selection = nxt
    return selection


def _merge(target: Any, update: Any) -> Any:
    if isinstance(target, dict) and isinstance(update, dict):
        for key, value in update.items():
            target[key] = _merge(target[key], value) if key in target else copy.deepcopy(value)
        return target
    if isinstance(target, list):
        target.append(copy.deepcopy(update))
        return target
    return copy.deepcopy(update)


def apply_overlay(document: dict[str, Any], overlay: Documents) -> dict[str, Any]:
    """Apply one overlay document to ``document`` (modified in place and returned)."""
    root = Location(overlay.root, "")
    data = overlay.get(overlay.root)
    if not isinstance(data, dict) or not str(data.get("overlay", "")).startswith("1."):
        raise overlay.error("not an OpenAPI Overlay 1.x document (no 'overlay: 1.0.0')", root)
    actions = data.get("actions")
    if not isinstance(actions, list) or not actions:
        raise overlay.error("an overlay needs a non-empty 'actions' list", root.child("actions"))
    for index, action in enumerate(actions):
        document = _apply_action(document, action, root.child("actions", index), overlay)
    return document


def _apply_action(document: dict[str, Any], action: Any, at: Location, overlay: Documents) -> dict[str, Any]:
    if not isinstance(action, dict) or not isinstance(action.get("target"), str):
        raise overlay.error("each action needs a 'target' JSONPath string", at)
    steps = compile_path(action["target"])
    if steps is None:
        raise overlay.error(f"unsupported JSONPath {action['target']!r}", at.child("target"))
    matches = select(document, steps)
    if not matches:
        line = overlay.line_of(at.file, at.pointer + "/target")
        where = display_path(at.file) + (f":{line}" if line is not None else "")
        print(f"warning: {where}: #{at.pointer}/target: {action['target']!r} matched nothing", file=sys.stderr)
    if action.get("remove") is True:
        # Delete list items from the highest index down so earlier indexes stay valid.
        for parent, key in sorted(
            (m for m in matches if m[0] is not None),
            key=lambda m: m[1] if isinstance(m[1], int) else 0,
            reverse=True,
        ):
            del parent[key]
        return document
    if "update" not in action:
        raise overlay.error("an action needs 'update' or 'remove: true'", at)
    for parent, key in matches:
        if parent is None:
            document = _merge(document, action["update"])
        else:
            parent[key] = _merge(parent[key], action["update"])
    return document
