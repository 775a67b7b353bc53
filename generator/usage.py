"""``clientgen diff OLD NEW --usage PATH...``: which lines of the user's own code a client change
affects. The user's files are read as Python syntax trees (never run, never imported):

- calls of an operation, ``<anything>.<group>.<operation>(...)`` (or its ``iter_*`` helper) where the
  old client has that group and operation, with the keyword arguments passed;
- ``models.<Name>`` (and ``from ...models import Name``), with keywords passed to a model's constructor
  and enum members read (``models.TaskState.SENSING``);
- attribute reads where the model's type can be seen: a name assigned from an operation's call whose
  result is a model, or annotated with a model (a variable or a parameter), and reads straight off such
  a call.

Each use is matched to the changes ``diff`` found (their subjects are what a caller writes:
``client.dag.get_dags(limit=)``, ``models.Pool.used_slots``). Folders holding generated output (a
``.clientgen-manifest.json``) are skipped.
"""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from . import ir
from .diff import Change
from .errors import SpecError, display_path

_SKIPPED = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__", "site-packages", ".tox", ".nox"})


@dataclass(frozen=True)
class Affected:
    file: str
    line: int
    code: str  # what the line uses: client.dag.get_dags(limit=), models.Pool.used_slots
    change: Change


@dataclass(frozen=True)
class _Use:
    line: int
    subject: str  # in diff's terms
    keywords: tuple[str, ...] = ()  # passed to a call
    call: bool = False


def affected(old: ir.Api, changes: list[Change], paths: list[Path]) -> list[Affected]:
    """Every use in ``paths`` (files, or folders searched for ``.py`` files) that a change touches."""
    operations = {(op.group, op.py_name): op for op in old.operations}
    operations |= {(op.group, op.pagination.iterator_name): op for op in old.operations if op.pagination}
    models = {m.name for m in old.models} | {e.name for e in old.enums} | {a.name for a in old.aliases}
    by_subject: dict[str, list[Change]] = {}
    for change in changes:
        by_subject.setdefault(change.subject.split("(")[0], []).append(change)
    found: list[Affected] = []
    for file in _python_files(paths):
        try:
            tree = ast.parse(file.read_bytes(), filename=str(file))
        except (OSError, SyntaxError, ValueError) as exc:
            raise SpecError(f"cannot read as Python: {getattr(exc, 'msg', None) or exc}", file=file) from None
        uses = _Scanner(operations, models).uses(tree)
        for use in uses:
            for change in by_subject.get(use.subject, []) + _of_its_model(use, by_subject):
                code = _touches(use, change)
                if code is not None:
                    found.append(Affected(display_path(file), use.line, code, change))
    unique: dict[tuple[str, int, Change], Affected] = {}
    for a in sorted(found, key=lambda a: len(a.code)):  # a change once per line, said of the least code
        unique.setdefault((a.file, a.line, a.change), a)
    return sorted(unique.values(), key=lambda a: (a.file, a.line, a.code, a.change.kind))


_WHOLE_MODEL = frozenset({"model removed", "model renamed", "enum removed"})


def _of_its_model(use: _Use, by_subject: dict[str, list[Change]]) -> list[Change]:
    """For a field or member read (``models.Pool.used_slots``), its model's removal or renaming."""
    parts = use.subject.split(".")
    if parts[0] != "models" or len(parts) != 3:
        return []
    return [c for c in by_subject.get(".".join(parts[:2]), []) if c.kind in _WHOLE_MODEL]


def _touches(use: _Use, change: Change) -> str | None:
    """What of ``use`` the change touches (as shown), or None when it does not touch it."""
    if "(" not in change.subject:
        return use.subject + ("(...)" if use.call else "")
    parameter = change.subject.split("(", 1)[1].rstrip(")").rstrip("=")
    if parameter in use.keywords:
        return f"{use.subject}({parameter}=)"
    if change.breaking and change.kind in ("parameter added", "parameter made required"):
        return f"{use.subject}(...)"  # a call without the parameter it now needs
    return None


def _python_files(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_file():
            yield path
            continue
        if not path.is_dir():
            raise SpecError("no such file or folder", file=path)
        for folder, subfolders, files in os.walk(path):
            if (Path(folder) / ".clientgen-manifest.json").exists():
                subfolders[:] = []
                continue
            subfolders[:] = sorted(d for d in subfolders if d not in _SKIPPED and not d.startswith("."))
            yield from (Path(folder) / f for f in sorted(files) if f.endswith(".py"))


class _Scanner(ast.NodeVisitor):
    def __init__(self, operations: dict[tuple[str, str], ir.Operation], models: set[str]) -> None:
        self.operations = operations
        self.models = models
        self.found: list[_Use] = []
        self.imported: dict[str, str] = {}  # local name -> model name (from ...models import X as Y)
        self.typed: dict[str, str] = {}  # variable -> the model it holds, where that can be seen

    def uses(self, tree: ast.AST) -> list[_Use]:
        self.visit(tree)
        return self.found

    # -- what a name or an expression is --

    def model_of(self, node: ast.expr) -> str | None:
        """The model ``node`` names (``models.X``, an imported ``X``), if any."""
        if isinstance(node, ast.Attribute) and node.attr in self.models and _ends_in_models(node.value):
            return node.attr
        if isinstance(node, ast.Name):
            return self.imported.get(node.id)
        return None

    def operation_of(self, node: ast.expr) -> ir.Operation | None:
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute):
            return self.operations.get((node.value.attr, node.attr))
        return None

    def type_of(self, node: ast.expr) -> str | None:
        """The model an expression's value is, where that can be seen."""
        if isinstance(node, ast.Name):
            return self.typed.get(node.id)
        if isinstance(node, ast.Call):
            op = self.operation_of(node.func)
            result = op.result_type if op is not None else None
            if isinstance(result, ir.Ref) and result.kind == "model":
                return result.name
        if isinstance(node, ast.Await):
            return self.type_of(node.value)
        return None

    def annotation_model(self, node: ast.expr | None) -> str | None:
        if node is None:
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):  # models.X | None
            return self.annotation_model(node.left) or self.annotation_model(node.right)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                return self.annotation_model(ast.parse(node.value, mode="eval").body)
            except SyntaxError:
                return None
        return self.model_of(node)

    # -- visits --

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and (node.module == "models" or node.module.endswith(".models")):
            for alias in node.names:
                if alias.name in self.models:
                    self.imported[alias.asname or alias.name] = alias.name
                    self.found.append(_Use(node.lineno, f"models.{alias.name}"))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        keywords = tuple(k.arg for k in node.keywords if k.arg is not None)
        op = self.operation_of(node.func)
        if op is not None:
            self.found.append(_Use(node.lineno, f"client.{op.group}.{op.py_name}", keywords, call=True))
        model = self.model_of(node.func)
        if model is not None:
            self.found += [_Use(node.lineno, f"models.{model}.{k}") for k in keywords]
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        model = self.model_of(node)
        if model is not None:
            self.found.append(_Use(node.lineno, f"models.{model}"))
        owner = self.model_of(node.value) or self.type_of(node.value)
        if owner is not None:
            self.found.append(_Use(node.lineno, f"models.{owner}.{node.attr}"))
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load) and node.id in self.imported:
            self.found.append(_Use(node.lineno, f"models.{self.imported[node.id]}"))

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)  # the value first: ``x = x.y`` reads the old x
        model = self.type_of(node.value)
        for target in node.targets:
            if isinstance(target, ast.Name):
                if model is None:
                    self.typed.pop(target.id, None)
                else:
                    self.typed[target.id] = model
            self.visit(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        model = self.annotation_model(node.annotation)
        if isinstance(node.target, ast.Name) and model is not None:
            self.typed[node.target.id] = model
        self.generic_visit(node)

    def visit_arg(self, node: ast.arg) -> None:
        model = self.annotation_model(node.annotation)
        if model is not None:
            self.typed[node.arg] = model
        self.generic_visit(node)


def _ends_in_models(node: ast.expr) -> bool:
    """``models`` or ``<anything>.models``."""
    return (isinstance(node, ast.Name) and node.id == "models") or (
        isinstance(node, ast.Attribute) and node.attr == "models"
    )


def report(found: list[Affected]) -> str:
    """One line per affected use: ``file:line: code: kind (detail)``, breaking ones marked."""
    from .errors import printable

    lines = []
    for a in found:
        mark = "BREAKING " if a.change.breaking else ""
        detail = f" ({a.change.detail})" if a.change.detail else ""
        lines.append(printable(f"{a.file}:{a.line}: {mark}{a.code}: {a.change.kind}{detail}"))
    breaking = sum(a.change.breaking for a in found)
    lines.append(f"{len(found)} use(s) affected, {breaking} breaking.")
    return "\n".join(lines) + "\n"


def as_json_usage(found: list[Affected]) -> str:
    rows = [{"file": a.file, "line": a.line, "code": a.code, **asdict(a.change)} for a in found]
    return json.dumps({"breaking": sum(a.change.breaking for a in found), "uses": rows}, indent=2) + "\n"
