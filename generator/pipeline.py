"""One target through the whole flow: load -> validate -> normalise -> render -> format -> write."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from . import ir
from .config import Target
from .errors import SpecError, display_path
from .fetch import ensure_spec
from .ir import Diagnostic
from .loader import load_spec
from .names import default_package_version, package_name_problem
from .processes import left_to_exit
from .render import KeptText, Layout, part_digests
from .validation import EarlyValidator, start_validation
from .writer import (
    BASE,
    MANIFEST,
    MergeBase,
    OutputFiles,
    Reapplied,
    base_lines,
    base_parts,
    changes,
    check_ownership,
    file_bytes,
    format_sources,
    is_current,
    kept_escapes,
    manifest_text,
    output_digests,
    output_dir,
    preload_formatter,
    previous_package,
    read_manifest,
    read_merge_base,
    reapply_edits,
    recover,
    sha256_parts,
    write_tree,
)

if TYPE_CHECKING:
    from .normalise.kept import KeptComponents
    from .render.kept import KeptTexts

Status = Literal["written", "unchanged", "up to date", "would change"]
# Told the name of each stage as it starts: load, render (validation runs beside it), format, validate
# (what is left of it), write (or compare, with --check).
StageHook = Callable[[str], None]


def _no_stages(stage: str) -> None:
    pass


@dataclass
class Result:
    target: Target
    status: Status
    operations: int
    models: int
    files: int
    seconds: float
    changed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # files in the output clientgen did not write, left alone
    warnings: list[str] = field(default_factory=list)  # the IR's diagnostics, as printed
    edits: Reapplied = field(default_factory=Reapplied)  # hand edits re-applied (--keep-edits)


class StrictFailure(SpecError):
    """``--strict`` and the spec drew warnings: nothing is written."""

    def __init__(self, warnings: list[str]) -> None:
        super().__init__(f"{len(warnings)} warning(s) and --strict: nothing written")
        self.warnings = warnings


def check_package_name(name: str) -> None:
    """Refuse a package name that is not an importable ASCII identifier, not a PEP 508 distribution name,
    longer than 64 characters, or would shadow a standard-library module or a runtime dependency (the
    rules: ``names.package_name_problem``). Called for every target, from the command line or a config."""
    problem = package_name_problem(name)
    if problem is not None:
        raise SpecError(problem)


def generate(
    target: Target,
    *,
    check: bool = False,
    force: bool = False,
    strict: bool = False,
    keep_edits: bool = False,
    on_stage: StageHook = _no_stages,
) -> Result:
    started = time.perf_counter()
    on_stage("load")
    check_package_name(target.package)
    if not check and target.output.exists():
        try:
            recover(output_dir(target.output))  # a run killed mid-write is finished first
        except OSError as exc:
            raise SpecError(f"cannot finish an interrupted write: {exc.strerror or exc}", file=target.output) from None
    ownership = _Ownership(target.output, force or check, keep_edits)
    try:
        ensure_spec(target.spec, target.spec_source, target.spec_source_path, target.spec_sha256)
        early = EarlyValidator.for_spec(target.spec)  # imports the validator while the spec is read
        try:
            return _generate_read(target, early, ownership, started, check, force, strict, keep_edits, on_stage)
        finally:
            if early is not None:
                early.stop()  # nothing left to stop once its verdict is in
    except Exception:
        ownership.check()  # an output that is not clientgen's to write over says so first, as it always did
        raise


# An output whose merge base is this big is read beside the run (GitHub's client: 8.5 MB); a smaller one here,
# where a process costs more than reading it (Airflow's: 0.5 MB).
SCAN_BESIDE_BYTES = 2 * 2**20


class _Ownership:
    """``check_ownership`` for a target's output, its files read and hashed once (``output_digests``): for a big
    output in a process forked now, beside the spec's reading (GitHub's client: ~20 ms of the parent's), and
    checked once the spec is read; ``on_disk`` then holds the digests, which ``write_tree`` compares instead of
    reading the files again. Where no process can be had, or it fails, the files are read here."""

    def __init__(self, out: Path, force: bool, keep_edits: bool) -> None:
        from .processes import Forked, can_fork

        self.out, self.force, self.keep_edits = out, force, keep_edits
        self.on_disk: dict[str, str] | None = None
        self.merge_base: MergeBase | None = None  # ``BASE`` as read, where its digest is taken
        self._checked = False
        self._base: bytes | None = None
        self._scan: Forked[_Scanned] | None = None
        if not force and _big(out) and can_fork():
            # read here, hashed and split into lines there: the parent takes its lines (``kept_escapes``) from
            # the very bytes the digest is of, not hashing them again (GitHub's client: ~10 ms)
            self._base = read_merge_base(out)
            self._scan = Forked(partial(_scanned, out, self._base))

    def check(self) -> None:
        if self._checked:
            return
        self._checked = True
        scanned: _Scanned | None = None
        if self._scan is not None:
            scanned = self._scan.result()
        elif not self.force and self.out.is_dir():
            self._base = read_merge_base(self.out)
            try:
                scanned = _scanned(self.out, self._base)
            except (OSError, SpecError):  # said by check_ownership, which reads the output itself
                scanned = None
        if scanned is not None:
            self.on_disk, lines = scanned
            if self._base is not None and lines is not None and BASE in self.on_disk:
                self.merge_base = MergeBase(self._base, self.on_disk[BASE], lines)
        check_ownership(self.out, self.force, self.keep_edits, self.on_disk)


# The output's digests (``output_digests``) and where each file's line lies in ``BASE`` (``base_lines``)
_Scanned = tuple[dict[str, str], dict[str, tuple[int, int]] | None]


def _scanned(out: Path, base: bytes | None) -> _Scanned:
    return output_digests(out, base), base_lines(base) if base is not None else None


def _big(out: Path) -> bool:
    try:
        return (out / BASE).stat().st_size >= SCAN_BESIDE_BYTES
    except OSError:  # no output, or one without a merge base
        return False


def _generate_read(
    target: Target,
    early: EarlyValidator | None,
    ownership: _Ownership,
    started: float,
    check: bool,
    force: bool,
    strict: bool,
    keep_edits: bool,
    on_stage: StageHook,
) -> Result:
    with _collector_paused():  # the parsed spec lives as long as the run
        spec = load_spec(target.spec, target.overlays, validate=False, keep_walks=True)
    ownership.check()
    version, previous = _starting_version(target, spec.part("info"))
    meta = {"spec_sha256": spec.sha256, "package": target.package, "package_version": version, "layout": target.layout}

    left_to_exit(spec)  # the parsed spec: ~70k containers on GitHub's
    if is_current(target.output, meta, ownership.on_disk):
        gc.unfreeze()  # nothing else is made
        recorded = (read_manifest(target.output) or {}).get("summary", {})
        warnings = [_shown(w, target.spec.parent) for w in recorded.get("warnings", [])]
        if strict and warnings:
            raise StrictFailure(warnings)
        return Result(
            target,
            "up to date" if check else "unchanged",
            int(recorded.get("operations", 0)),
            int(recorded.get("models", 0)),
            int(recorded.get("files", 0)),
            time.perf_counter() - started,
            warnings=warnings,
        )

    from .normalise import normalise
    from .normalise.kept import KeptComponents

    # the caches' writers, waited for once the files are written (a writer killed mid-write would leave its file)
    with ExitStack() as finishing:
        # The spec, and then the IR and the rendered text, live until the files are written: kept out of
        # the collector's scans, here and in the processes forked to validate and format (which would
        # otherwise scan, and copy, every page of them).
        gc.freeze()
        try:
            on_stage("render")
            validation = start_validation(spec, early)  # runs beside the rendering below
            preload_formatter()
            kept = KeptComponents(part_digests)
            try:
                with _collector_paused():
                    api = normalise(spec, kept)
                left_to_exit(api)
                meta["spec_sha256"] = api.spec_sha256  # the files the normaliser read first included
                finishing.callback(kept.store_beside(also=spec.store_walks()))
                # the output's files as clientgen wrote them, where none is to be merged or compared
                on_disk = ownership.on_disk if not (check or keep_edits) else None
                base = ownership.merge_base if on_disk is not None else None
                texts, reused, version, unchanged = _package_texts(
                    api, target, version, previous is not None, on_stage, finishing, kept, on_disk, base
                )
                meta["package_version"] = version
            except Exception:
                validation()  # an invalid spec explains a failure better than the failure itself
                raise
            # made while the validator may still be at work: nothing here depends on its verdict
            made = {name: file_bytes(text, reused.get(name)) for name, text in sorted(texts.items())}
            files = {name: each.data for name, each in made.items()}
            left_to_exit(texts, made, kept)
            # the unchanged files' lines from BASE as the run read it, the manifest's (``_left_as_written``)
            base_file = base_parts(made, kept_escapes(target.output, unchanged, ownership.merge_base))
            on_stage("validate")
            slips = validation()
        finally:
            gc.unfreeze()
        diagnostics = sorted({*slips, *api.diagnostics}, key=_place)
        warnings = [str(d) for d in diagnostics]
        if strict and warnings:
            raise StrictFailure(warnings)
        models = len(api.models) + len(api.enums) + len(api.aliases)
        summary: dict[str, object] = {
            "operations": len(api.operations),
            "models": models,
            "files": len(files) + len(unchanged) + 2,  # BASE and the manifest too
        }
        if diagnostics:  # kept so an unchanged target still says them
            summary["warnings"] = [_recorded(d, target.spec.parent) for d in diagnostics]
        digests = {name: each.sha256 for name, each in made.items()} | unchanged | {BASE: sha256_parts(base_file)}
        files[MANIFEST] = manifest_text(digests, {**meta, "summary": summary}).encode("utf-8")
        output = OutputFiles(target.output, files, unchanged, {BASE: base_file})
        result = Result(target, "written", len(api.operations), models, len(output), 0.0, warnings=warnings)
        on_stage("compare" if check else "write")
        if keep_edits and not force:
            result.edits = reapply_edits(target.output, files)  # nothing is ``unchanged``: ``on_disk`` was None
        if check:
            result.changed = changes(target.output, output)
            result.status = "would change" if result.changed else "up to date"
        else:
            merged = {*result.edits.merged, *result.edits.conflicted}  # their text is no longer the digest's
            made_digests = {name: digest for name, digest in digests.items() if name not in merged}
            result.kept = write_tree(target.output, output, force, made_digests, ownership.on_disk)
        result.seconds = time.perf_counter() - started
        return result


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic collector off while it lasts, and what was made frozen at its end. The spec parsed, and the IR
    the normaliser makes (or reads back from the cache: ~200k objects on GitHub's spec), live until the files are
    written: each young collection scanned the objects made since the last, then again as they aged (~60-80 ms
    of a GitHub regeneration's ~250 ms of normalising, ~15 ms of reading its spec); they are kept out of every
    scan instead."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if collecting:
            gc.enable()


def _starting_version(target: Target, info: object) -> tuple[str, dict[str, object] | None]:
    """The package version to render with (the spec's ``info``), and for a ``semver`` target the manifest of
    its last output (whose version is the start, bumped by ``_package_texts``)."""
    spec_version = str(info.get("version") or "") if isinstance(info, dict) else ""
    version = target.package_version or default_package_version(spec_version)
    previous = read_manifest(target.output) if target.semver and target.output.exists() else None
    if previous is not None and isinstance(previous.get("package_version"), str):
        return str(previous["package_version"]), previous
    return version, None


def _package_texts(
    api: ir.Api,
    target: Target,
    version: str,
    follows_api: bool,
    on_stage: StageHook,
    finishing: ExitStack,
    known: KeptComponents,
    on_disk: Mapping[str, str] | None = None,
    merge_base: MergeBase | None = None,
) -> tuple[dict[str, str], Mapping[str, KeptText], str, dict[str, str]]:
    """The package's formatted files, those of them taken from the cache as it kept them, and the package's
    version: with ``follows_api`` (a ``semver`` target regenerated), ``version`` (the last one) bumped by what
    the package's API changed since. Files whose inputs an earlier run formatted are taken from the cache
    (``render.kept``; ``known``: the digests of IR values read back with the component pass); what is formatted
    anew is kept for the next run by a process ``finishing`` waits for. ``on_disk``: ``output_digests``' answer
    for the output, and ``merge_base`` its ``BASE`` as read; files made from a part whose inputs are those of the
    output's file, which is as clientgen wrote it, are left as they are: the last of the four returned, by name
    with their sha256, not in the texts."""
    from . import cache
    from .render import Rendered, render_files
    from .render.kept import KeptTexts
    from .render.parts import KeptParts

    layout: Layout = "package" if target.layout == "package" else "project"
    kept = KeptTexts(target.output) if cache.enabled() else None
    parts = KeptParts() if kept is not None else None
    written = None
    if kept is not None and not follows_api:
        written = _left_as_written(kept, on_disk, merge_base, target.output)
    gc.freeze()  # the IR, made since the last freeze (or read back from the cache: ~200k objects on GitHub's spec)

    def rendered_as(version: str, written: dict[str, tuple[str, str]] | None = None) -> Rendered:
        return render_files(
            api,
            target.package,
            version,
            layout,
            parallel=True,
            reuse=kept,
            known=known.digests,
            parts=parts,
            written=written,
            renamed_from=known.renamed_from,
        )

    rendered = rendered_as(version, written)
    gc.freeze()
    on_stage("format")

    def formatted(rendered: Rendered) -> dict[str, str]:
        texts = format_sources({name: text for name, text in rendered.texts.items() if name not in rendered.reused})
        return {name: texts.get(name, text) for name, text in rendered.texts.items()}

    texts = formatted(rendered)
    if follows_api:
        from .semver import bump, next_version

        implied = bump(previous_package(target.output), texts)
        if implied.level != "none":
            version = next_version(version, implied.level)
            rendered = rendered_as(version)
            texts = formatted(rendered)
    if kept is not None and parts is not None:
        finishing.callback(kept.store_beside(texts, rendered, also=parts.store))
    return texts, rendered.reused, version, rendered.unchanged


def _left_as_written(
    kept: KeptTexts, on_disk: Mapping[str, str] | None, merge_base: MergeBase | None, out: Path
) -> dict[str, tuple[str, str]]:
    """The files the last run on ``out`` made from a part (``KeptTexts.written``: the digest of their inputs and
    their sha256) that are there as it wrote them: the output's manifest lists that sha256, the file has it, and
    ``BASE`` as the run read it (``merge_base``) has the digest the manifest lists (``kept_escapes`` takes their
    texts' lines from it)."""
    if on_disk is None or merge_base is None:
        return {}
    listed = (read_manifest(output_dir(out)) or {}).get("files")
    if not isinstance(listed, dict) or merge_base.sha256 != listed.get(BASE):
        return {}
    return {name: kept for name, kept in kept.written().items() if on_disk.get(name) == kept[1] == listed.get(name)}


def _recorded(diagnostic: Diagnostic, spec_dir: Path) -> dict[str, object]:
    """A warning as the manifest keeps it: its file relative to the spec's folder, so the manifest's
    bytes do not depend on the directory clientgen ran from."""
    where = os.path.relpath(Path(diagnostic.file).absolute(), spec_dir.absolute())
    return {
        "file": Path(where).as_posix(),
        "line": diagnostic.line,
        "pointer": diagnostic.pointer,
        "message": diagnostic.message,
    }


def _shown(recorded: object, spec_dir: Path) -> str:
    """A recorded warning as this run prints it (an older manifest's text as it is)."""
    if not isinstance(recorded, dict):
        return str(recorded)
    line = recorded.get("line")
    return str(
        Diagnostic(
            "warning",
            display_path(spec_dir / str(recorded.get("file", ""))),
            line if isinstance(line, int) else None,
            str(recorded.get("pointer", "")),
            str(recorded.get("message", "")),
        )
    )


def _place(diagnostic: Diagnostic) -> tuple[str, str, str]:
    return (diagnostic.file, diagnostic.pointer, diagnostic.message)
