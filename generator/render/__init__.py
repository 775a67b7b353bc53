"""IR -> source text. Jinja lays the IR out; the modules here turn IR values into Python text:
``text`` (literals, docstrings), ``methods`` (signatures), ``docs`` (docstrings, README), ``imports``.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import os
import stat
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, Literal, NamedTuple, Protocol

from .. import __version__, ir
from ..render.docs import (
    call_example,
    field_annotation,
    field_default,
    field_doc,
    field_line,
    model_doc,
    op_doc,
    quickstart,
    quickstart_operations,
    summary_line,
)
from ..render.imports import import_order, prune_imports
from ..render.methods import (
    annotated_line,
    assignment_call,
    atom_assignment,
    auth_constructor,
    body_variants_arg,
    call_mappings,
    call_statement,
    class_head,
    def_line,
    endpoint_declaration,
    endpoint_name,
    list_styles,
    literal_dict_arg,
    literal_tuple_arg,
    literal_tuple_assign,
    mapping_arg,
    mock_body_target,
    mock_body_type,
    responses_arg,
    union_alias,
)
from ..render.parts import ByGroup, KeptParts
from ..render.text import (
    HEADER_START,
    LINE_LENGTH,
    docstring,
    header,
    header_value,
    markdown_cell,
    pep440,
    py_literal,
    toml_string,
    user_agent,
)
from ..render.views import method_view

__all__ = [
    "HEADER_START",
    "LAYOUTS",
    "LINE_LENGTH",
    "Layout",
    "RUNTIME_FILE",
    "docstring",
    "header_value",
    "op_doc",
    "pep440",
    "py_literal",
    "quickstart",
    "quickstart_operations",
    "render_package",
    "runtime_exports",
    "runtime_source",
    "templates_dir",
]

RUNTIME_FILE = "_runtime.py"


def templates_dir() -> Path:
    """The templates: ``clientgen/templates`` in an installed wheel, ``templates/`` beside the
    package in a source checkout or an editable install."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "runtime" / RUNTIME_FILE).is_file():
            return candidate
    raise FileNotFoundError(f"clientgen templates not found next to {here}")


def _compiled_templates() -> Any:
    """Compiled templates kept beside the templates (``__pycache__``), as Python keeps compiled modules:
    compiling them was ~0.15 s of every run (a sixth of Airflow's). jinja compiles a template again when its
    source changed (it checks a checksum). Kept only in a folder of this user that nobody else can write to
    (the entries are code); None (compiled every run) otherwise, or when it cannot be written."""
    import jinja2

    class Kept(jinja2.FileSystemBytecodeCache):
        def load_bytecode(self, bucket: Any) -> None:
            try:
                super().load_bytecode(bucket)
            except Exception:  # a damaged entry (truncated, not jinja's): compiled again
                bucket.reset()

        def dump_bytecode(self, bucket: Any) -> None:
            try:
                super().dump_bytecode(bucket)
            except OSError:
                pass  # an unwritable install compiles every run

    folder = templates_dir() / "__pycache__"
    try:
        folder.mkdir(mode=0o755, exist_ok=True)
        facts = folder.lstat()
    except OSError:
        return None
    mine = not hasattr(os, "getuid") or facts.st_uid == os.getuid()
    if not stat.S_ISDIR(facts.st_mode) or not mine or facts.st_mode & 0o022 or not os.access(folder, os.W_OK):
        return None
    return Kept(str(folder), "jinja-%s.cache")


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        bytecode_cache=_compiled_templates(),
        autoescape=False,  # noqa: S701 - Python source, escaped by py_literal/docstring
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,  # an environment per package rendered: a template is loaded once, not stat'ed per file
    )
    env.filters.update(
        py=py_literal,
        docstring=docstring,
        annotation=ir.annotation,
        md=markdown_cell,
        field_annotation=field_annotation,
        field_default=field_default,
        field_line=field_line,
        field_doc=field_doc,
        import_entries=_import_entries,
        endpoint_declaration=endpoint_declaration,
        toml=toml_string,
    )
    env.globals.update(
        method_view=method_view,
        body_variants_arg=body_variants_arg,
        responses_arg=responses_arg,
        endpoint_name=endpoint_name,
        mock_body_type=mock_body_type,
        mock_body_target=mock_body_target,
        mapping_arg=mapping_arg,
        call_mappings=call_mappings,
        assignment_call=assignment_call,
        atom_assignment=atom_assignment,
        call_statement=call_statement,
        annotated_line=annotated_line,
        auth_constructor=auth_constructor,
        class_head=class_head,
        def_line=def_line,
        union_alias=union_alias,
        literal_dict_arg=literal_dict_arg,
        literal_tuple_arg=literal_tuple_arg,
        literal_tuple_assign=literal_tuple_assign,
        quickstart=quickstart,
        list_styles=list_styles,
        op_doc=op_doc,
        model_doc=model_doc,
        call_example=call_example,
        zip=zip,
        summary_line=summary_line,
        pep440=pep440,
        header=header,
        version=__version__,
    )
    return env


@cache
def runtime_source() -> str:
    return (templates_dir() / "runtime" / RUNTIME_FILE).read_text(encoding="utf-8")


@cache
def runtime_exports() -> tuple[str, ...]:
    """The runtime's ``__all__``, which the package re-exports: the list exists once, in the runtime.
    ``UNSET`` first, then by name (the order the package's ``__init__`` has always had)."""
    source = runtime_source()
    # Only the statement is parsed (parsing the whole runtime was ~50 ms of every run): it starts a line
    # and its list closes on a line of its own; tests/test_render.py holds this equal to the whole parse.
    start = source.find("\n__all__ = [\n") + 1
    end = source.find("\n]\n", start) + 2
    if start and end > start:
        statement = ast.parse(source[start:end]).body
        if len(statement) == 1 and isinstance(statement[0], ast.Assign):
            names = ast.literal_eval(statement[0].value)
            return tuple(sorted(names, key=lambda name: (name != "UNSET", name)))
    raise RuntimeError(f"{RUNTIME_FILE} has no __all__ = [...] statement of its own lines")


def _import_entries(entries: Iterable[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """(module, names) pairs in the order isort keeps them."""
    ordered = [(module, sorted(names, key=import_order)) for module, names in entries]
    return sorted(ordered, key=lambda entry: import_order(entry[0]))


def _member_names(module: ir.ModelModule) -> list[str]:
    return [e.name for e in module.enums] + [m.name for m in module.models] + [a.name for a in module.aliases]


def _sync_names(group: ir.Group) -> list[str]:
    return [group.class_name, f"{group.class_name}Raw"]


def _async_names(group: ir.Group) -> list[str]:
    return [f"{group.class_name}Async", f"{group.class_name}AsyncRaw"]


Layout = Literal["project", "package"]
LAYOUTS: tuple[Layout, ...] = ("project", "package")
# Each Python file of a vendored package says it is generated to the user's linters: ruff skips it
# (its blanket-noqa rule PGH004 included, which would flag the skip itself), mypy reports no error
# inside it (it still checks the user's calls against its types).
VENDORED_MARKERS = "# ruff: noqa: PGH004\n# ruff: noqa\n# mypy: ignore-errors\n"


def render_package(
    api: ir.Api,
    package: str,
    package_version: str | None = None,
    layout: Layout = "project",
    *,
    parallel: bool = False,
) -> dict[str, str]:
    """Every file of the package as text, keyed by path relative to the output directory.
    Python files are not formatted yet (see ``format_sources``). ``package_version`` is the
    target's (already PEP 440); by default the spec's ``info.version`` made PEP 440-safe.
    ``layout``: ``project`` is an installable project (``pyproject.toml``, ``README.md`` and the
    package folder); ``package`` the importable package alone, to vendor inside another package
    (its README inside it, every Python file marked generated for ruff and mypy). ``parallel``: a big
    package's files are rendered half here, half in a process forked for it (``_rendered``); the text
    is the same either way."""
    return render_files(api, package, package_version, layout, parallel=parallel).texts


class KeptText(NamedTuple):
    """A file's formatted text as a run kept it, with what the writer made of its bytes then (``writer.file_bytes``),
    so that a run taking the text again does not make it again."""

    text: str
    sha256: str  # of the text in UTF-8
    escapes_controls: bool  # its JSON string escapes a control character other than the line feed


class Rendered(NamedTuple):
    texts: dict[str, str]  # every file but those ``unchanged``: as rendered, or as formatted where it was reused
    inputs: dict[str, str]  # file -> the digest of everything its text is made from (files made of the whole API: none)
    reused: dict[str, KeptText]  # files whose formatted text ``reuse`` had for their inputs, as it had it
    # file -> what makes that digest, for files made from a part whose digest was not taken (nothing was kept)
    pending: dict[str, Callable[[], str]]
    # file -> the sha256 of its text, for files whose text is the output's file as it is (``render_files``' ``written``)
    unchanged: dict[str, str]


class Reuse(Protocol):
    """Formatted texts of files kept by the digest of their inputs."""

    def any_kept(self) -> bool:
        """Whether any text is kept at all (else no digest is worth taking before the files are made)."""

    def __call__(self, digests: list[str]) -> dict[str, KeptText]:
        """The texts kept for those of ``digests`` it has."""


def render_files(
    api: ir.Api,
    package: str,
    package_version: str | None = None,
    layout: Layout = "project",
    *,
    parallel: bool = False,
    reuse: Reuse | None = None,
    known: Mapping[int, tuple[object, str]] | None = None,
    parts: KeptParts | None = None,
    written: Mapping[str, tuple[str, str]] | None = None,
    renamed_from: Mapping[int, tuple[object, object, tuple[object, ...]]] | None = None,
) -> Rendered:
    """``render_package``, and where ``reuse`` is given, a file made from a part of the API alone (a group's
    modules: its operations; a models module: its models and the API's title) is not rendered when ``reuse``
    has its formatted text for a digest of that part: a regeneration renders what its change touched.
    ``known``: digests of IR values by identity (``ir.digest`` of each), not taken again. ``parts``: the files
    laid out with a part per group (README, ``testing.py``) are made of their parts, those of groups unchanged
    taken from the last run's (``render.parts``). ``written``: files of the output as they are, each with the
    digest of the inputs it was made from and its sha256 (``render.kept.KeptTexts.written``, the output's files
    checked against it); a regeneration that finds a file's inputs the same leaves it out of ``texts`` (it is
    ``unchanged``): its text is neither read back nor made. ``renamed_from``: operations renamed whose digest is
    not ``known``, digested from the operation as typed (``normalise.kept.KeptComponents.renamed``)."""
    jobs = _project_jobs(api, package, package_version, layout, known, parts, renamed_from)
    return _rendered(jobs, parallel, reuse, settled=bool(known), written=written)


class _Job(NamedTuple):
    """A file to render: its path, a weight (about its lines: what it costs to render), what makes its text,
    and for a file made from a part of the API alone, what makes the digest of that part."""

    name: str
    weight: int
    make: Callable[[], str]
    inputs: Callable[[], str] | None = None
    unit: str = ""  # jobs of one unit (a group's modules) are made by one process: their part is digested once


# Below this weight a fork costs more than rendering half the files saves (Airflow 2.10.5: ~10k, 0.07 s).
_PARALLEL_MIN_WEIGHT = 15_000


def _project_jobs(
    api: ir.Api,
    package: str,
    package_version: str | None,
    layout: Layout,
    known: Mapping[int, tuple[object, str]] | None = None,
    parts: KeptParts | None = None,
    renamed_from: Mapping[int, tuple[object, object, tuple[object, ...]]] | None = None,
) -> list[_Job]:
    env = _environment()
    version = package_version or pep440(api.version)
    package_names = ["AsyncClient", "Client", "TOKEN_URL", "models"] + (["Auth"] if api.auth_options else [])
    context = {
        "api": api,
        "layout": layout,
        "package": package,
        "package_version": version,
        "user_agent": user_agent(package, version),
        "runtime_exports": runtime_exports(),
        "package_exports": sorted((*runtime_exports(), *package_names), key=lambda n: (n != "UNSET", n)),
    }
    operations = len(api.operations)
    jobs = _Jobs(package, layout)
    digests = _Digests(known or {}, renamed_from)
    # README and testing.py: laid out with a part per group, made of their parts where ``parts`` keeps them
    by_group = ByGroup(env, context, parts, digests.of_part, api.groups, f"{package}\0{layout}\0{api.title}")

    def add(name: str, weight: int, template_name: str, prune: bool = True, **extra: Any) -> None:
        template = env.get_template(template_name)  # loaded here, before any fork: compiled once, cached once

        def make() -> str:
            text = template.render(**context, **extra)
            return prune_imports(text) if prune else text

        jobs.add(name, weight, make)

    def add_part(name: str, weight: int, template_name: str, unit: str = "", prune: bool = True, **inputs: Any) -> None:
        """A file made from ``inputs`` alone: its template sees nothing else (StrictUndefined: reading ``api``
        fails), so the digest of ``inputs`` stands for its text."""
        template = env.get_template(template_name)

        def digest(where: str) -> str:
            return digests.of_file(template_name, layout, where, inputs)

        def make() -> str:
            text = template.render(**inputs)
            return prune_imports(text) if prune else text

        jobs.add(name, weight, make, digest, unit)

    add(f"{package}/__init__.py", 50, "package/__init__.py.jinja")
    add(f"{package}/client.py", 50 + 4 * len(api.groups), "package/client.py.jinja")
    # Everything a group or a set of groups uses lives in modules of its own, behind lazy packages
    # (``_runtime.lazy_names``): importing the client loads none of them.
    lazy = "package/_lazy.py.jinja"
    model_doc = (
        f"Typed models of {api.title}.\n\nFields the server did not send, or the caller did not set, are "
        "``UNSET`` (distinct from ``None``, which is JSON null). Unknown fields are ignored; unknown enum "
        "values are kept. Each model is imported on first use."
    )
    members = [(m.name, _member_names(m)) for m in api.model_modules]  # put in isort's order where rendered
    names = len(api.models) + len(api.enums) + len(api.aliases)
    add_part(f"{package}/models/__init__.py", 3 * names, lazy, prune=False, doc=model_doc, members=members)
    for module in api.model_modules:
        weight = sum(4 + len(m.fields) for m in module.models) + sum(4 + len(e.members) for e in module.enums)
        weight += 2 * len(module.aliases)
        add_part(
            f"{package}/models/{module.name}.py",
            weight,
            "package/models/module.py.jinja",
            module=module,
            title=api.title,
        )
    endpoints_doc = (
        "What each operation sends and expects, as data for the runtime: a module per group, imported by its resources."
    )
    add(f"{package}/_endpoints/__init__.py", 10, "package/_package.py.jinja", prune=False, doc=endpoints_doc)
    for kind, doc, group_names in (
        ("resources", "Synchronous operations, grouped by the spec's first tag.", _sync_names),
        ("async_resources", "Asynchronous operations, grouped by the spec's first tag.", _async_names),
    ):
        members = [(f"_{group.attr}", group_names(group)) for group in api.groups]
        add_part(f"{package}/{kind}/__init__.py", 3 * len(api.groups), lazy, prune=False, doc=doc, members=members)
    for kind, per_operation in (("_endpoints", 8), ("resources", 40), ("async_resources", 20)):
        for group in api.groups:
            weight = per_operation * len(group.operations)
            group_template = f"package/{kind}.py.jinja"
            add_part(
                f"{package}/{kind}/_{group.attr}.py",
                weight,
                group_template,
                unit=f"group {group.attr}",
                groups=[group],
                module_name=f"_{group.attr}",
            )
    first = next((g for g in api.groups if g.operations), None)
    example = (first.attr, first.operations[0].py_name) if first is not None else None
    mock_class = ("package/_testing_parts.jinja", "mock_class")
    jobs.add(
        f"{package}/testing.py", 10 * operations, by_group.make("package/testing.py.jinja", mock_class, example=example)
    )
    runtime = runtime_source()
    jobs.add(f"{package}/{RUNTIME_FILE}", 0, lambda: f"{header()}\n{runtime}")
    jobs.add(f"{package}/py.typed", 0, lambda: f"{header()}\n")
    add("pyproject.toml", 20, "pyproject.toml.jinja", prune=False)
    operations_table = ("_readme_parts.jinja", "operations_table")
    jobs.add("README.md", 10 * operations, by_group.make("README.md.jinja", operations_table, prune=False))
    return jobs


class _Jobs(list[_Job]):
    """The jobs of one layout: the ``package`` layout is the package folder alone, its README inside, each
    Python file marked generated."""

    def __init__(self, package: str, layout: Layout) -> None:
        super().__init__()
        self.package, self.layout = package, layout

    def add(
        self,
        name: str,
        weight: int,
        make: Callable[[], str],
        digest: Callable[[str], str] | None = None,
        unit: str = "",
    ) -> None:
        """The project's file ``name``, where the layout has it; ``digest``: of its inputs, given its place."""
        if self.layout == "package" and name != "README.md":
            if not name.startswith(f"{self.package}/"):
                return
            name = name[len(self.package) + 1 :]
            if name.endswith(".py"):
                make = _marked(make)
        where = name
        self.append(_Job(where, weight, make, (lambda: digest(where)) if digest is not None else None, unit or where))


def _marked(make: Callable[[], str]) -> Callable[[], str]:
    def marked() -> str:
        first, _, rest = make().partition("\n")
        return f"{first}\n{VENDORED_MARKERS}{rest}"

    return marked


class _Digests:
    """The digest of what a file is made from: its template, place and layout, and its inputs, each by its
    ``repr`` (``ir.digest``), taken once per part (a group makes three files; every part lives as long as the
    API, so no id is met twice). A models module is digested by its members and a group by its operations,
    those ``known`` (read back with the component pass or replayed, by identity) not again."""

    def __init__(
        self,
        known: Mapping[int, tuple[object, str]],
        renamed_from: Mapping[int, tuple[object, object, tuple[object, ...]]] | None = None,
    ) -> None:
        self._parts: dict[int, tuple[object, str]] = dict(known)
        self._renamed_from = renamed_from or {}

    def of_file(self, template: str, layout: Layout, where: str, inputs: dict[str, Any]) -> str:
        parts = [f"{name}={self._of(value)}" for name, value in sorted(inputs.items())]
        return _sha256(f"{template}\0{layout}\0{where}\0{parts!r}")

    def of_part(self, value: object) -> str:
        """The digest of one part (a group: the digest its files are kept by)."""
        return self._of(value)

    def _of(self, value: object) -> str:
        if isinstance(value, list):  # a list made for one file: its parts' digests
            return repr([self._of(part) for part in value])
        known = self._parts.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        renamed = self._renamed_from.get(id(value))
        if renamed is not None and renamed[0] is value:
            digest = ir.renamed_digest(self._of(renamed[1]), renamed[2])
            self._parts[id(value)] = (value, digest)
            return digest
        members = _MEMBERS.get(type(value))
        if members is not None:  # each field as it is, but its members' by their digests
            digest = _sha256(
                repr(
                    [
                        (
                            (f.name, [self._of(member) for member in getattr(value, f.name)])
                            if f.name in members
                            else (f.name, getattr(value, f.name))
                        )
                        for f in dataclasses.fields(value)  # type: ignore[arg-type]
                    ]
                )
            )
        else:
            digest = ir.digest(value)
        self._parts[id(value)] = (value, digest)
        return digest


def part_digests(parts: tuple[object, ...], known: Mapping[int, tuple[object, str]]) -> list[str]:
    """Each part's digest as ``render_files`` keys the files made of it (a models module, a group), given the digests
    ``known`` of IR values by identity."""
    digests = _Digests(known)
    return [digests.of_part(part) for part in parts]


# The parts digested by their members: a models module's models, enums and aliases; a group's operations.
_MEMBERS: dict[type, frozenset[str]] = {
    ir.ModelModule: frozenset({"models", "enums", "aliases"}),
    ir.Group: frozenset({"operations"}),
}


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# What one process made of its jobs: each file's text, the digests of the inputs of those made from a part,
# and the files whose formatted text ``reuse`` had (their texts and what the writer made of them go back once:
# pickled together, each text is the one object in both).
_Made = tuple[dict[str, str], dict[str, str], dict[str, KeptText]]


def _made(
    jobs: list[_Job],
    digesting: bool,
    reuse: Reuse | None,
    written: Mapping[str, tuple[str, str]] | None = None,
    unchanged: dict[str, str] | None = None,
) -> _Made:
    digests, reused = _looked_up(jobs, reuse, written, unchanged) if digesting else ({}, {})
    texts = {name: kept.text for name, kept in reused.items()}
    texts.update((job.name, job.make()) for job in jobs if job.name not in reused and job.name not in (unchanged or {}))
    return texts, digests, reused


def _rendered(
    jobs: list[_Job],
    parallel: bool,
    reuse: Reuse | None = None,
    settled: bool = False,
    written: Mapping[str, tuple[str, str]] | None = None,
) -> Rendered:
    """Each job's text, in the jobs' order: taken from ``reuse`` where it has the text for the job's inputs,
    made otherwise. With ``parallel``, a big package is done on two cores: the heavier half of the jobs (by
    weight, greedily, a unit's jobs together) in a process forked with the IR and the templates already in it,
    the rest here; each side digests, looks up and makes its own. Where that process cannot be had, or fails,
    its jobs are done here: the text is the same. ``settled``: most parts' digests are known (a regeneration:
    the component state read back), so every file is looked up here first and only what is left is split, if
    it weighs enough (GitHub after a one-operation change: a fork and its answer cost ~60 ms, the files left
    ~15 ms). Files ``written`` whose inputs' digest is the same are ``unchanged``, but where split."""
    from ..processes import can_fork

    keeping, reuse = reuse is not None, reuse if reuse is not None and reuse.any_kept() else None
    unchanged: dict[str, str] = {}
    small = sum(job.weight for job in jobs) < _PARALLEL_MIN_WEIGHT
    serial = not parallel or small or (os.cpu_count() or 1) < 2 or not can_fork()
    # Digests are taken here where something is kept (to look up) or the work is split over two cores (they
    # are split with it); else the keeper's process takes them once the run no longer waits for it.
    digesting = reuse is not None or (keeping and not serial)
    if serial:
        texts, digests, reused = _made(jobs, digesting, reuse, written, unchanged)
    elif settled and reuse is not None:
        digests, reused = _looked_up(jobs, reuse, written or {}, unchanged)
        left = [job for job in jobs if job.name not in reused and job.name not in unchanged]
        # the files made of the whole API are light here: README's and testing.py's parts are kept by group
        split = sum(job.weight for job in left if job.inputs is not None) >= _PARALLEL_MIN_WEIGHT
        texts = (_split(left, False, None) if split else _made(left, False, None))[0]
        texts.update((name, kept.text) for name, kept in reused.items())
    else:
        texts, digests, reused = _split(jobs, digesting, reuse)
    pending = {job.name: job.inputs for job in jobs if keeping and job.inputs is not None and job.name not in digests}
    texts_in_order = {job.name: texts[job.name] for job in jobs if job.name not in unchanged}
    return Rendered(texts_in_order, digests, reused, pending, unchanged)


def _looked_up(
    jobs: list[_Job],
    reuse: Reuse | None,
    written: Mapping[str, tuple[str, str]] | None = None,
    unchanged: dict[str, str] | None = None,
) -> tuple[dict[str, str], dict[str, KeptText]]:
    """The digests of the jobs made from a part, and the texts ``reuse`` has for them (none without it). A file
    ``written`` from the same digest goes to ``unchanged`` (with its sha256) instead of being looked up."""
    digests = {job.name: job.inputs() for job in jobs if job.inputs is not None}
    wanted = digests
    if written and unchanged is not None:
        for name, digest in digests.items():
            kept = written.get(name)
            if kept is not None and kept[0] == digest:
                unchanged[name] = kept[1]
        wanted = {name: digest for name, digest in digests.items() if name not in unchanged}
    found = reuse(list(wanted.values())) if reuse is not None and wanted else {}
    return digests, {name: found[digest] for name, digest in wanted.items() if digest in found}


def _split(jobs: list[_Job], digesting: bool, reuse: Reuse | None) -> _Made:
    """``_made`` of the jobs on two cores: the heavier half (a unit's jobs together) in a forked process."""
    from ..processes import Forked

    units: dict[str, list[_Job]] = {}
    for job in jobs:
        units.setdefault(job.unit, []).append(job)
    sides: tuple[list[_Job], list[_Job]] = ([], [])
    loads = [0, 0]
    for unit in sorted(units.values(), key=lambda unit: -sum(job.weight for job in unit)):
        side = 0 if loads[0] <= loads[1] else 1
        sides[side].extend(unit)
        loads[side] += sum(job.weight for job in unit)
    theirs, mine = sides
    forked = Forked(lambda: _made(theirs, digesting, reuse))
    texts, digests, reused = _made(mine, digesting, reuse)
    got = forked.result()
    other = got if got is not None else _made(theirs, digesting, reuse)
    texts.update(other[0])
    digests.update(other[1])
    reused.update(other[2])
    return texts, digests, reused
