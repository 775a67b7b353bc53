"""``clientgen generate`` / ``clientgen validate``: user errors are one line on stderr, exit 2."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .cache import use_cache
from .config import Target, find_pyproject, load_targets, package_version
from .errors import SpecError, display_path, printable
from .fetch import DEFAULT_INDEX, INDEX_VARIABLE

if TYPE_CHECKING:
    from .pipeline import Result


def _version_text() -> str:
    """clientgen's version, and black's and openapi-spec-validator's: equal versions of the three (and
    an equal spec) give byte-identical output."""
    from importlib.metadata import PackageNotFoundError, version

    tools = []
    for tool in ("black", "openapi-spec-validator"):
        try:
            tools.append(f"{tool} {version(tool)}")
        except PackageNotFoundError:
            tools.append(f"{tool} not installed")
    return f"clientgen {__version__} ({', '.join(tools)})"


class _VersionAction(argparse.Action):
    """``--version``, reading the tools' metadata only when asked (not on every run)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(_version_text())
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clientgen", description="Typed Python clients from OpenAPI specs.")
    parser.add_argument(
        "--version",
        action=_VersionAction,
        nargs=0,
        help="the generator's version and those of the tools that decide the output's bytes",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    gen = commands.add_parser(
        "generate",
        help="generate client packages",
        description="With no SPEC, regenerate every target in pyproject.toml's [tool.clientgen].",
    )
    gen.add_argument("spec", nargs="?", type=Path, help="OpenAPI spec (YAML or JSON)")
    gen.add_argument("-o", "--output", type=Path, help="output directory (with SPEC)")
    gen.add_argument("--package-name", help="Python package name (with SPEC)")
    gen.add_argument(
        "--package-version", help="version of the generated package (with SPEC; default: the spec's info.version)"
    )
    gen.add_argument("--overlay", action="append", type=Path, default=[], help="OpenAPI Overlay to apply first")
    gen.add_argument(
        "--semver",
        action="store_true",
        help="with SPEC: the package version follows its API (bumped from the last output's by what changed)",
    )
    gen.add_argument(
        "--layout",
        choices=["project", "package"],
        help="project (default): an installable project around the package; package: DIR is the package "
        "itself, to vendor inside yours (relative imports, marked generated for ruff and mypy)",
    )
    gen.add_argument("--check", action="store_true", help="write nothing; exit 1 if any file would change")
    gen.add_argument(
        "--force",
        action="store_true",
        help="replace an output directory clientgen did not make, and discard hand edits",
    )
    gen.add_argument(
        "--keep-edits",
        action="store_true",
        help="re-apply hand edits of generated files to the new output (three-way merge; exit 1 on a conflict)",
    )
    gen.add_argument("--config", type=Path, help="pyproject.toml holding [tool.clientgen] (default: nearest)")
    gen.add_argument("--strict", action="store_true", help="warnings (skipped or degraded parts) are fatal: exit 2")
    gen.add_argument("--no-cache", action="store_true", help="read and write no cache entries")

    dif = commands.add_parser(
        "diff",
        help="what changes for code using the client when the spec goes from OLD to NEW",
        description="Compares the clients two specs produce; exits 1 when any change is breaking.",
    )
    dif.add_argument("old", type=Path)
    dif.add_argument("new", type=Path)
    dif.add_argument("--old-overlay", action="append", type=Path, default=[])
    dif.add_argument("--new-overlay", action="append", type=Path, default=[])
    dif.add_argument("--format", choices=["markdown", "json"], default="markdown")
    dif.add_argument(
        "--semver",
        action="store_true",
        help="print the version bump (major/minor/patch/none) the generated package's API change implies",
    )
    dif.add_argument(
        "--usage",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="your Python files or folders: list each line the change affects (exit 1 if any is breaking)",
    )
    dif.add_argument("--no-cache", action="store_true", help="read and write no cache entries")

    fet = commands.add_parser(
        "fetch",
        help="get a spec from a package on the index, a URL or a file, with its provenance",
        description=(
            "SOURCE is NAME==VERSION (apache-airflow==2.10.5: clientgen knows where Airflow 2.x and 3.x keep "
            "their spec), an https:// URL or a file; or give --package NAME==VERSION --path PATH for any package "
            "that ships a spec. Writes the spec and SPEC.provenance.json (source, version, sha256) beside it."
        ),
    )
    fet.add_argument("source", nargs="?", help="NAME==VERSION, URL or file")
    fet.add_argument("--package", help="NAME==VERSION of a package holding the spec (with --path)")
    fet.add_argument("--path", help="the spec's path inside the package's wheel or sdist")
    fet.add_argument("-o", "--output", help="file, or directory ending in /, to write (default: specs/NAME-VERSION/)")
    fet.add_argument("--sha256", help="refuse unless the spec's sha256 is this")
    fet.add_argument("--index-url", help=f"package index (PEP 503/691; default: ${INDEX_VARIABLE} or {DEFAULT_INDEX})")
    fet.add_argument("--force", action="store_true", help="replace an existing spec file with other content")
    fet.add_argument("--no-cache", action="store_true", help="read and write no cache entries")

    dri = commands.add_parser(
        "drift",
        help="where recorded answers of a real server disagree with the spec, and a draft overlay fixing it",
        description=(
            "RECORDINGS are clientgen's fixture files or HAR files. Prints each disagreement grouped by schema and "
            "field with counts; exits 1 when there is any."
        ),
    )
    dri.add_argument("spec", type=Path)
    dri.add_argument("recordings", nargs="+", type=Path)
    dri.add_argument("--overlay", action="append", type=Path, default=[], help="OpenAPI Overlay to apply first")
    dri.add_argument(
        "--draft", type=Path, help="write the draft OpenAPI Overlay here (default: printed after the report)"
    )
    dri.add_argument("--no-cache", action="store_true", help="read and write no cache entries")

    val = commands.add_parser("validate", help="validate a spec and report")
    val.add_argument("spec", type=Path)
    val.add_argument("--overlay", action="append", type=Path, default=[])
    val.add_argument("--strict", action="store_true", help="warnings are fatal: exit 2")
    val.add_argument("--no-cache", action="store_true", help="read and write no cache entries")
    return parser


def _targets(args: argparse.Namespace) -> list[Target]:
    if args.spec is not None:
        if args.output is None or not args.package_name:
            raise SpecError("generate SPEC needs -o DIR and --package-name NAME")
        version = package_version(args.package_version) if args.package_version is not None else None
        target = Target(args.package_name, args.spec, args.output, args.package_name, tuple(args.overlay), version)
        return [dataclasses.replace(target, layout=args.layout or "project", semver=args.semver)]
    if args.output or args.package_name or args.overlay or args.package_version or args.layout or args.semver:
        raise SpecError(
            "-o, --package-name, --package-version, --overlay, --layout and --semver go with a SPEC argument"
        )
    pyproject = args.config or find_pyproject(Path.cwd())
    if pyproject is None:
        raise SpecError("no SPEC given and no pyproject.toml with [tool.clientgen] targets found")
    return load_targets(pyproject)


def _generate(args: argparse.Namespace) -> int:
    from .processes import early_format_pool

    with early_format_pool(_formatting_imports):  # forked before the rest of clientgen is imported
        return _generate_targets(args)


def _formatting_imports() -> None:
    from .writer import load_formatter

    load_formatter()


def _generate_targets(args: argparse.Namespace) -> int:
    from .pipeline import generate

    if args.force and args.keep_edits:
        raise SpecError("--force discards hand edits and --keep-edits keeps them: give one")
    would_change: list[str] = []
    conflicted: list[str] = []
    for target in _targets(args):
        progress = _Progress(target.name) if sys.stderr.isatty() else None
        try:
            result = generate(
                target,
                check=args.check,
                force=args.force,
                strict=args.strict,
                keep_edits=args.keep_edits,
                on_stage=progress or _quiet,
            )
        finally:
            if progress is not None:
                progress.finish()
        _report(result)
        would_change += [display_path(target.output / name) for name in result.changed]
        conflicted += [display_path(target.output / name) for name in result.edits.conflicted]
    for heading, names in (
        ("edits that conflict with the new output (marked <<<<<<< your edit ... >>>>>>> generated now):", conflicted),
        ("files that would change:", would_change),
    ):
        if names:
            print(heading, file=sys.stderr)
            for name in names:
                print(f"  {printable(name)}", file=sys.stderr)
            return 1
    return 0


def _quiet(stage: str) -> None:
    pass


class _Progress:
    """On a terminal, a target taking longer than ``SHOW_AFTER`` seconds: the stage it is in (the
    ones before with their times), each next stage as it starts, and at the end every stage's time,
    on stderr. Nothing for a quicker target, nothing at all when stderr is not a terminal.

    A timer (SIGALRM, where the platform has one and this is the main thread) shows a long first
    stage while it runs; lines go straight to the descriptor, so one shown from the signal handler
    cannot collide with a write in progress. Elsewhere stages show as they start."""

    SHOW_AFTER = 1.0

    def __init__(self, name: str) -> None:
        self.name = printable(name)
        self.started = time.perf_counter()
        self.stages: list[tuple[str, float]] = []
        self.shown = 0  # stages whose time is already on screen
        self.visible = False
        self.previous_handler: Any = None
        if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
            self.previous_handler = signal.signal(signal.SIGALRM, self._alarm)
            signal.setitimer(signal.ITIMER_REAL, self.SHOW_AFTER)

    def __call__(self, stage: str) -> None:
        self.stages.append((stage, time.perf_counter()))
        if self.visible or time.perf_counter() - self.started >= self.SHOW_AFTER:
            self._show()

    def _alarm(self, signum: int, frame: object) -> None:
        if not self.visible and self.stages:
            self._show()

    def _show(self) -> None:
        self.visible = True
        done = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in self._timed()[self.shown : -1])
        self.shown = len(self.stages) - 1
        self._line(f"{self.name}: {done + '; ' if done else ''}{self.stages[-1][0]}...")

    def finish(self) -> None:
        if self.previous_handler is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous_handler)
        if self.visible:
            times = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in self._timed())
            self._line(f"{self.name}: {time.perf_counter() - self.started:.2f} s ({times})")

    def _timed(self) -> list[tuple[str, float]]:
        """Each stage with its duration (the last one's up to now)."""
        ends = [at for _, at in self.stages[1:]] + [time.perf_counter()]
        return [(name, end - at) for (name, at), end in zip(self.stages, ends, strict=True)]

    @staticmethod
    def _line(text: str) -> None:
        with contextlib.suppress(OSError):
            os.write(sys.stderr.fileno(), (text + "\n").encode("utf-8", "replace"))


def _report(result: Result) -> None:
    """A target's summary line, then what it kept and re-applied; its warnings on stderr."""
    target = result.target
    for warning in result.warnings:
        print(printable(warning), file=sys.stderr)  # recorded in a manifest, maybe by an older clientgen
    print(
        printable(
            f"{target.name}: {result.operations} operations, {result.models} models, "
            f"{result.files} files, {result.seconds:.2f} s -> {display_path(target.output)} ({result.status})"
        )
    )
    if result.kept:
        shown = ", ".join(result.kept[:5]) + (f" and {len(result.kept) - 5} more" if len(result.kept) > 5 else "")
        print(printable(f"{target.name}: kept {len(result.kept)} file(s) clientgen did not write: {shown}"))
    for label, names in (
        ("re-applied your edits to", result.edits.merged),
        ("edited and no longer generated, kept as your own", result.edits.orphaned),
    ):
        if names:
            print(printable(f"{target.name}: {label}: {', '.join(names)}"))


def _validate(args: argparse.Namespace) -> int:
    from .loader import load_spec
    from .normalise import normalise

    started = time.perf_counter()
    spec = load_spec(args.spec, tuple(args.overlay))
    api = normalise(spec)
    files = sorted({display_path(p) for p in spec.documents.files()})
    print(
        printable(
            f"{display_path(args.spec)}: valid OpenAPI {spec.openapi_version}; {len(api.operations)} operations, "
            f"{len(api.models)} models, {len(api.enums)} enums, {len(api.aliases)} unions; "
            f"files: {', '.join(files)}; sha256 {spec.sha256}; {time.perf_counter() - started:.2f} s; "
            f"{len(api.diagnostics)} warning(s)"
        )
    )
    for diagnostic in api.diagnostics:
        print(diagnostic, file=sys.stderr)
    return 2 if args.strict and api.diagnostics else 0


def _diff(args: argparse.Namespace) -> int:
    from .diff import as_json, diff, markdown
    from .loader import load_spec
    from .normalise import normalise

    old = normalise(load_spec(args.old, tuple(args.old_overlay)))
    new = normalise(load_spec(args.new, tuple(args.new_overlay)))
    if args.semver:
        from .render import render_package
        from .semver import bump

        implied = bump(render_package(old, "client", "0"), render_package(new, "client", "0"))
        print(implied.report(), end="")
        return 1 if implied.level == "major" else 0
    changes = diff(old, new)
    if args.usage:
        from .usage import affected, as_json_usage, report

        found = affected(old, changes, args.usage)
        print(as_json_usage(found) if args.format == "json" else report(found), end="")
        return 1 if any(a.change.breaking for a in found) else 0
    labels = (
        f"{display_path(args.old)} ({old.title} {old.version})",
        f"{display_path(args.new)} ({new.title} {new.version})",
    )
    print(as_json(changes, *labels) if args.format == "json" else markdown(changes, *labels), end="")
    return 1 if any(c.breaking for c in changes) else 0


def _fetch(args: argparse.Namespace) -> int:
    from .fetch import default_destination, fetch_source, shipped_overlays, store

    if args.package is not None:
        if args.source is not None:
            raise SpecError("give SOURCE or --package NAME==VERSION, not both")
        if args.path is None:
            raise SpecError("--package needs --path PATH (the spec's path inside the package)")
    source = args.package or args.source
    if source is None:
        raise SpecError("fetch needs SOURCE (NAME==VERSION, URL or file) or --package NAME==VERSION --path PATH")
    fetched = fetch_source(source, args.path, args.index_url)
    if args.sha256 is not None and fetched.provenance["sha256"] != args.sha256.lower():
        raise SpecError(f"{source}: sha256 {fetched.provenance['sha256']}, not {args.sha256}: nothing written")
    destination = default_destination(fetched, args.output)
    status = store(fetched, destination, force=args.force)
    origin = fetched.provenance.get("artifact") or fetched.provenance["source"]
    print(printable(f"{display_path(destination)}: {status} (sha256 {fetched.provenance['sha256']}, from {origin})"))
    overlays = shipped_overlays(fetched, destination.parent, force=args.force)
    if overlays:
        shown = " ".join(f"--overlay {display_path(path)}" for path in overlays)
        print(printable(f"corrections where this release's spec and server disagree, to generate with: {shown}"))
    return 0


def _drift(args: argparse.Namespace) -> int:
    from .drift import drift

    report = drift(args.spec, tuple(args.overlay), args.recordings)
    print(printable_lines(report.text()), end="")
    draft = report.draft(args.spec.name)
    if args.draft is None:
        print("\n# draft overlay (--draft FILE writes it):\n" + printable_lines(draft), end="")
    else:
        try:
            args.draft.write_text(draft, encoding="utf-8")
        except OSError as exc:
            raise SpecError(f"cannot write: {exc.strerror or exc}", file=args.draft) from None
        print(printable(f"draft overlay: {display_path(args.draft)}"))
    return 1 if report.findings else 0


def printable_lines(text: str) -> str:
    return "".join(printable(line) + "\n" for line in text.splitlines())


# A run's spec, IR and texts live until its files are written, so the cycle collector's scans (by default
# every 700 new container objects) find little and cost ~5% of a run: Airflow 2.10.5's spec 15 ms in the
# main process alone, GitHub's 0.25 s (measured with gc.callbacks). Scans this much rarer still bound what
# cycles are left behind: black's syntax trees in the formatting workers, jsonschema's error trees in the
# validating child (forked children inherit the thresholds).
_COLLECTOR_THRESHOLDS = (100_000, 20, 20)


def main(argv: list[str] | None = None) -> int:
    thresholds = gc.get_threshold()
    gc.set_threshold(*_COLLECTOR_THRESHOLDS)
    try:
        return _main(argv)
    finally:
        gc.set_threshold(*thresholds)


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(argv)
    use_cache(not args.no_cache)
    try:
        if args.command == "generate":
            return _generate(args)
        if args.command == "diff":
            return _diff(args)
        if args.command == "fetch":
            return _fetch(args)
        if args.command == "drift":
            return _drift(args)
        return _validate(args)
    except SpecError as exc:
        for warning in getattr(exc, "warnings", []):
            print(printable(str(warning)), file=sys.stderr)
        print(f"error: {printable(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def run() -> None:
    """The ``clientgen`` command: ``main``, then out of the process at once, without the interpreter's
    shutdown (modules torn down, objects freed, exit hooks run: ~40-50 ms after a 150-operation spec or
    GitHub's, measured; the hooks join children and pools that are already joined). Everything is written,
    closed and renamed by then; only the output streams are left to flush. An error or ``--help`` ends as
    usual."""
    from .processes import leave_to_exit

    leave_to_exit()
    try:
        code = main()
    except BrokenPipeError:  # its reader went away (``clientgen validate spec | head -c0``): nothing to say
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a pipe closed by its reader: what was not said is lost either way
            code = code or 1
    os._exit(code)
