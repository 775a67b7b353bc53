"""The semantic-version bump a change of a generated package implies, read from the package's Python
source itself (its syntax trees), not from the spec: what a user imports and calls is what counts.

The public surface is a flat map of names to what they promise:
- ``models.X`` (its bases: a tagged union's tag is part of it), ``models.X.field`` (annotation, and
  whether it has a default), ``models.E.MEMBER`` (value), ``models.A`` for an alias (its union);
- ``Class.method(param)`` for each parameter of a public method of the client and resource classes
  (kind, annotation, whether it has a default) and ``Class.method()->`` for its return annotation; an
  overloaded method is one entry, its overloads' signatures together;
- ``export.name`` for each name the package exports (``__all__``).

Removed or changed entries are a major bump (a new required parameter or field too); added entries,
and a parameter given a default, minor; any other change of the package's text, patch.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath


@dataclass
class Bump:
    level: str  # none, patch, minor or major
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)

    def report(self) -> str:
        lines = [self.level]
        for label, names in (("removed", self.removed), ("changed", self.changed), ("added", self.added)):
            lines += [f"  {label}: {name}" for name in names]
        return "\n".join(lines) + "\n"


def surface(files: Mapping[str, str]) -> dict[str, str]:
    """The public surface of a generated package's files (paths inside the package, or under one
    package folder as the project layout writes them)."""
    entries: dict[str, str] = {}
    for path, text in files.items():
        parts = PurePosixPath(path).parts
        if not path.endswith(".py") or "_endpoints" in parts or parts[-1] == "_runtime.py":
            continue
        tree = ast.parse(text)
        folder = parts[-2] if len(parts) > 1 else ""
        if folder == "models":
            _models(tree, entries)
        elif folder in ("resources", "async_resources") or parts[-1] == "client.py":
            _classes(tree, entries)
        if parts[-1] == "__init__.py" and folder not in ("models", "resources", "async_resources"):
            entries.update((f"export.{name}", "") for name in _exports(tree))
    return entries


def _models(tree: ast.Module, entries: dict[str, str]) -> None:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            bases = ", ".join([ast.unparse(b) for b in node.bases] + [ast.unparse(k) for k in node.keywords])
            entries[f"models.{node.name}"] = f"class({bases})"
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    default = "" if item.value is None else " = default"
                    entries[f"models.{node.name}.{item.target.id}"] = f"field: {ast.unparse(item.annotation)}{default}"
                elif isinstance(item, ast.Assign) and len(item.targets) == 1 and isinstance(item.targets[0], ast.Name):
                    entries[f"models.{node.name}.{item.targets[0].id}"] = f"member: {ast.unparse(item.value)}"
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if not name.startswith("_") and name != "__all__":
                entries[f"models.{name}"] = ast.unparse(node.value)


def _classes(tree: ast.Module, entries: dict[str, str]) -> None:
    for node in tree.body:
        if not isinstance(node, ast.ClassDef) or node.name.startswith("_"):
            continue
        methods: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                not item.name.startswith("_") or item.name == "__init__"
            ):
                methods.setdefault(item.name, []).append(item)
        for name, defs in methods.items():
            key = f"{node.name}.{name}"
            if len(defs) > 1:  # overloads: one promise, all of them
                entries[key] = " | ".join(_signature(d) for d in defs)
                continue
            (function,) = defs
            entries[f"{key}()->"] = ast.unparse(function.returns) if function.returns else ""
            for kind, arg, default in _parameters(function):
                annotation = ast.unparse(arg.annotation) if arg.annotation else ""
                entries[f"{key}({arg.arg})"] = f"{kind}: {annotation}" + (" = default" if default else "")


def _parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[str, ast.arg, bool]]:
    """(kind, parameter, has a default) for each parameter but ``self``."""
    args = function.args
    positional = args.posonlyargs + args.args
    defaults = [False] * (len(positional) - len(args.defaults)) + [True] * len(args.defaults)
    found = [("positional", a, d) for a, d in zip(positional, defaults, strict=True) if a.arg != "self"]
    found += [("keyword", a, d is not None) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)]
    if args.vararg:
        found.append(("*args", args.vararg, True))
    if args.kwarg:
        found.append(("**kwargs", args.kwarg, True))
    return found


def _signature(function: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    return f"({ast.unparse(function.args)}) -> {ast.unparse(function.returns) if function.returns else ''}"


def _exports(tree: ast.Module) -> list[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            value = ast.literal_eval(node.value)
            return [str(v) for v in value] if isinstance(value, (list, tuple)) else []
    return []


def bump(old_files: Mapping[str, str], new_files: Mapping[str, str]) -> Bump:
    """What going from the package ``old_files`` to ``new_files`` means for its version."""
    old, new = surface(old_files), surface(new_files)
    result = Bump("none")
    result.removed = sorted(old.keys() - new.keys())
    result.added = sorted(new.keys() - old.keys())
    result.changed = sorted(k for k in old.keys() & new.keys() if old[k] != new[k])
    made_optional = [k for k in result.changed if new[k] == old[k] + " = default"]
    required_added = [k for k in result.added if _required(k, new[k])]
    if result.removed or required_added or len(made_optional) < len(result.changed):
        result.level = "major"
    elif result.added or result.changed:
        result.level = "minor"
    elif _text(old_files) != _text(new_files):
        result.level = "patch"
    return result


def _required(key: str, promise: str) -> bool:
    """A new parameter or model field without a default: callers must now pass it."""
    if key.endswith(")"):
        return not promise.endswith("= default") and not promise.startswith(("*args", "**kwargs"))
    return promise.startswith("field: ") and not promise.endswith("= default")


def _text(files: Mapping[str, str]) -> dict[str, str]:
    """The files without their first line (the header names the spec's hash, which any change moves)."""
    return {k: v.split("\n", 1)[-1] for k, v in files.items() if k.endswith((".py", ".md", ".toml", ".typed"))}


def next_version(version: str, level: str) -> str:
    """``version`` (its leading ``X.Y.Z``) bumped by ``level``; unchanged for ``none``."""
    match = re.match(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?", version)
    if match is None or level == "none":
        return version
    major, minor, patch = (int(part or 0) for part in match.groups())
    if level == "major":
        return f"{major + 1}.0.0"
    if level == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"
