"""OpenAPI Overlay 1.0: apply ``update`` / ``remove`` actions selected by JSONPath targets.

The JSONPath subset covers what overlays use in practice: ``$``, ``.name``, ``['name']``,
``[n]``, ``*`` / ``[*]``, recursive descent ``..name``, and filters ``[?(@.key == 'value')]``
(also ``!=``, and a bare ``[?(@.key)]`` for presence).

Hostile overlays are bounded: a target has at most ``MAX_STEPS`` steps, and one action may walk,
select and copy at most ``MAX_NODES`` nodes (a ``..*`` on a big spec, or many overlapping
descents, is refused in well under a second instead of running for hours). A node is selected once
however many ways a target reaches it (``$..a..b`` with ``a`` inside ``a``, or two YAML aliases of
one anchor), so it is updated once and removed once.
"""

from __future__ import annotations

import copy
import gc
import re
import sys
from collections.abc import Callable
from typing import Any

from .documents import Documents, Location
from .errors import display_path
from .ir import Diagnostic

# Steps in one target: real overlays use about ten ($.paths['/a'].get.responses['200'].content...).
MAX_STEPS = 64
# Nodes one action may walk, select or copy: a whole large spec (about 1M nodes) walked once or twice.
MAX_NODES = 2_000_000

# A selection is a list of (parent container, key) pairs; the root is (None, None). A step maps the
# distinct containers selected so far to the pairs it selects below them.
Selection = list[tuple[Any, Any]]
Step = Callable[[list[Any], "_Budget"], Selection]

_TOKEN = re.compile(
    r"""\.\.(?P<descend>[A-Za-z_$][\w$-]*|\*)
      | \.(?P<name>[A-Za-z_$][\w$-]*|\*)
      | \[\s*(?P<quoted>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\s*\]
      | \[\s*(?P<index>-?\d+)\s*\]
      | \[\s*\*\s*\](?P<star>)
      | \[\s*\?(?P<filter>[^\]]*)\]
    """,
    re.VERBOSE,
)
_FILTER = re.compile(
    r"""^\.(?P<key>[\w$-]+)(?:\s*(?P<op>==|!=)\s*(?P<value>'[^']*'|"[^"]*"|-?\d+(?:\.\d+)?|true|false|null))?$"""
)


class TargetTooLarge(Exception):
    """A target with too many steps, or one that walks or selects too many nodes."""


class _Budget:
    """Nodes an action may still walk or select."""

    def __init__(self, nodes: int) -> None:
        self.limit = self.left = nodes

    def spend(self, nodes: int) -> None:
        self.left -= nodes
        if self.left < 0:
            raise TargetTooLarge(f"walks or selects more than {self.limit:,} nodes; narrow it")


def _children(nodes: list[Any], budget: _Budget) -> Selection:
    out: Selection = []
    for node in nodes:
        if isinstance(node, dict):
            out += [(node, k) for k in node]
        elif isinstance(node, list):
            out += [(node, i) for i in range(len(node))]
        budget.spend(1 + len(node))
    return out


def _literal(text: str) -> Any:
    if text[0] in "'\"":
        return text[1:-1]
    if text in ("true", "false", "null"):
        return {"true": True, "false": False, "null": None}[text]
    return float(text) if "." in text else int(text)


def _descend_step(name: str) -> Step:
    """``..name`` / ``..*``: every pair below the nodes (the nodes themselves included) whose key is
    ``name`` (any key for ``*``), in document order. Each container is walked once per step, however
    many selected nodes hold it (one inside another, or YAML aliases of one anchor)."""
    star = name == "*"

    def step(nodes: list[Any], budget: _Budget) -> Selection:
        out: Selection = []
        walked: set[int] = set()
        stack = nodes[::-1]
        spent = 0
        while stack:
            node = stack.pop()
            if id(node) in walked:
                continue
            walked.add(id(node))
            if type(node) is dict:
                if star:
                    out += [(node, k) for k in node]
                elif name in node:
                    out.append((node, name))
                stack += [v for v in reversed(node.values()) if type(v) is dict or type(v) is list]
            else:
                if star:
                    out += [(node, i) for i in range(len(node))]
                stack += [v for v in reversed(node) if type(v) is dict or type(v) is list]
            spent += 1 + (len(node) if star else 1)
            if spent > budget.left:
                budget.spend(spent)
        budget.spend(spent)
        return out

    return step


def _member_step(name: str) -> Step:
    def step(nodes: list[Any], budget: _Budget) -> Selection:
        budget.spend(len(nodes))
        return [(node, name) for node in nodes if isinstance(node, dict) and name in node]

    return step


def _index_step(index: int) -> Step:
    def step(nodes: list[Any], budget: _Budget) -> Selection:
        budget.spend(len(nodes))
        return [
            (node, index % len(node)) for node in nodes if isinstance(node, list) and -len(node) <= index < len(node)
        ]

    return step


def _filter_step(key: str, op: str | None, value: Any) -> Step:
    def keep(item: Any) -> bool:
        if not isinstance(item, dict) or key not in item:
            return False
        return op is None or (item[key] == value) == (op == "==")

    def step(nodes: list[Any], budget: _Budget) -> Selection:
        return [(p, k) for p, k in _children(nodes, budget) if keep(p[k])]

    return step


def compile_path(expression: str) -> list[Step] | None:
    """Steps for a JSONPath expression, or None when it is outside the supported subset.

    Raises TargetTooLarge past ``MAX_STEPS`` steps (without reading the rest of the expression)."""
    if not expression.startswith("$"):
        return None
    steps: list[Step] = []
    pos = 1
    while pos < len(expression):
        if len(steps) == MAX_STEPS:
            raise TargetTooLarge(f"has more than {MAX_STEPS} steps; clientgen follows at most {MAX_STEPS}")
        match = _TOKEN.match(expression, pos)
        step = _step(match) if match is not None else None
        if match is None or step is None:
            return None
        steps.append(step)
        pos = match.end()
    return steps


def _step(match: re.Match[str]) -> Step | None:
    if match.group("descend") is not None:
        return _descend_step(match.group("descend"))
    if match.group("name") == "*" or match.group("star") is not None:
        return _children
    if match.group("name") is not None:
        return _member_step(match.group("name"))
    if match.group("quoted") is not None:
        quoted = match.group("quoted")[1:-1]
        return _member_step(quoted.replace("\\'", "'").replace('\\"', '"'))
    if match.group("index") is not None:
        return _index_step(int(match.group("index")))
    test = match.group("filter").strip()  # [?(@.key == 'value')], [?@.key], [?(@.key)]
    if test.startswith("("):
        test = (test[1:-1] if test.endswith(")") else test[1:]).strip()
    parsed = _FILTER.match(test[1:].strip()) if test.startswith("@") else None
    if parsed is None:
        return None
    op = parsed.group("op")
    return _filter_step(parsed.group("key"), op, _literal(parsed.group("value")) if op else None)


def select(document: Any, steps: list[Step], nodes: int = MAX_NODES) -> Selection:
    """The (parent, key) pairs the steps select, each once, in document order. Raises TargetTooLarge
    when the steps walk or select more than ``nodes`` nodes in all."""
    budget = _Budget(nodes)
    selection: Selection = [(None, None)]
    collecting = gc.isenabled()
    gc.disable()  # a selection is a million small tuples: the cycle collector would triple the time
    try:
        for step in steps:
            budget.spend(len(selection))
            distinct: dict[int, Any] = {}  # a node two pairs lead to (YAML aliases) is stepped from once
            for parent, key in selection:
                node = document if parent is None else parent[key]
                if type(node) is dict or type(node) is list:
                    distinct.setdefault(id(node), node)
            selection = step(list(distinct.values()), budget)
    finally:
        if collecting:
            gc.enable()
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
    matches = _matches(document, action["target"], at.child("target"), overlay)
    if action.get("remove") is True:
        _remove(matches, at, overlay)
        return document
    if "update" not in action:
        raise overlay.error("an action needs 'update' or 'remove: true'", at)
    return _update(document, matches, action["update"], at, overlay)


def _matches(document: dict[str, Any], target: str, at: Location, overlay: Documents) -> Selection:
    try:
        steps = compile_path(target)
        if steps is None:
            raise overlay.error(f"unsupported JSONPath {_shown(target)}", at)
        matches = select(document, steps)
    except TargetTooLarge as exc:
        raise overlay.error(f"target {_shown(target)} {exc}", at) from None
    if not matches:
        line = overlay.line_of(at.file, at.pointer)
        warning = Diagnostic("warning", display_path(at.file), line, at.pointer, f"{_shown(target)} matched nothing")
        print(warning, file=sys.stderr)
    return matches


def _remove(matches: Selection, at: Location, overlay: Documents) -> None:
    if any(parent is None for parent, _ in matches):
        raise overlay.error("remove: true on the root ('$') would remove the whole document", at)
    # Delete list items from the highest index down so earlier indexes stay valid. A node whose
    # parent this action removed already goes from a detached copy: harmless.
    for parent, key in sorted(matches, key=lambda m: m[1] if isinstance(m[1], int) else 0, reverse=True):
        del parent[key]


def _update(
    document: dict[str, Any], matches: Selection, update: Any, at: Location, overlay: Documents
) -> dict[str, Any]:
    if not isinstance(update, dict):
        for parent, key in matches:
            if isinstance(document if parent is None else parent[key], dict):
                whole = " of the whole document ('$')" if parent is None else " of a mapping"
                raise overlay.error(f"'update' is {_kind(update)}: an update{whole} must be a mapping", at)
    if len(matches) > 1 and _size(update) * len(matches) > MAX_NODES:
        raise overlay.error(
            f"'update' copied to {len(matches):,} places would copy more than {MAX_NODES:,} nodes; narrow the target",
            at,
        )
    for parent, key in matches:
        if parent is None:
            document = _merge(document, update)
        else:
            parent[key] = _merge(parent[key], update)
    return document


def _shown(target: str) -> str:
    """A target as messages quote it: a pathological one shortened."""
    return repr(target) if len(target) <= 80 else f"{target[:60]!r}... ({len(target):,} characters)"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "a list" if isinstance(value, list) else "a string" if isinstance(value, str) else type(value).__name__


def _size(value: Any) -> int:
    """Nodes in a value, counted without recursion."""
    count, stack = 0, [value]
    while stack:
        node = stack.pop()
        count += 1
        if isinstance(node, dict):
            stack += node.values()
        elif isinstance(node, list):
            stack += node
    return count
