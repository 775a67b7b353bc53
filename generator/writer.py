"""Source text -> files: black in-process, a manifest, and a recoverable write of the package.

The manifest records the generator's fingerprint, the spec's sha256 and every file's hash. It is how
``generate`` recognises a directory as its own, how an unchanged target is skipped without rendering
anything, and the only list of files clientgen may ever replace or remove: anything else in the output
(the user's tests, a ``.git``) is kept.

A write stages every new file inside the output (``.clientgen-staging``, so a symlinked output is
written through and each move is a rename on one file system), then writes a journal
(``.clientgen-journal.json``), then moves the files into place and removes the ones the new package
no longer has. A run killed before the journal exists leaves the previous output untouched (the next
run drops the staging folder); one killed after is finished by the next run.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from json.encoder import encode_basestring
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from . import __version__
from .cache import enabled as cache_enabled
from .cache import keep_newest, newest_entries, read_entries, read_entry, write_entry
from .errors import SpecError
from .processes import FormatPool, can_fork, early_pool
from .render import HEADER_START, LINE_LENGTH, RUNTIME_FILE, KeptText, templates_dir

if TYPE_CHECKING:
    from .layout_proof import Known

MANIFEST = ".clientgen-manifest.json"
STAGING = ".clientgen-staging"
JOURNAL = ".clientgen-journal.json"
# Every file as generated (the manifest lists it too): the base a hand edit is merged from.
BASE = ".clientgen-base.json"
# Left behind by tools run on a generated package, or clientgen's own work in progress; never a difference.
_IGNORED_PARTS = frozenset(
    {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", "build", ".git", STAGING, JOURNAL}
)
_T = TypeVar("_T")
# Below this many lines to format, starting worker processes costs more than it saves.
_PARALLEL_MIN_LINES = 1500
# Lines per piece a big file is formatted in: small enough to spread over workers and to cache what a
# spec change leaves alone, big enough that per-call overhead stays negligible.
_PIECE_LINES = 50


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@cache
def fingerprint() -> str:
    """Identifies this generator's code, templates and formatter: equal fingerprints and equal
    inputs mean equal output. Taken from the files' content, and kept (cache kind ``fingerprint``) under what
    their stats say (size, times, inode: a file's ctime moves with any write to it), as Python keeps bytecode
    under its source's mtime and size: read back, ~4 ms less of every run."""
    return _kept_fingerprint(Path(__file__).resolve().parent, templates_dir())


def _kept_fingerprint(package: Path, templates: Path) -> str:
    head = f"clientgen {__version__}\0black {_black_version()}\n"
    stats = _source_stats(package, templates)
    key = hashlib.sha256(f"{head}{stats!r}".encode("utf-8", "surrogatepass")).hexdigest()
    kept = read_entry(FINGERPRINT_KIND, key) if cache_enabled() else None
    if kept is not None and re.fullmatch(rb"[0-9a-f]{64}", kept):
        return kept.decode()
    found = _fingerprint_of(head, package, templates)
    if cache_enabled() and _source_stats(package, templates) == stats:  # none written while they were read
        write_entry(FINGERPRINT_KIND, key, found.encode())
        keep_newest(FINGERPRINT_KIND, 8)
    return found


FINGERPRINT_KIND = "fingerprint"


def _fingerprint_of(head: str, package: Path, templates: Path) -> str:
    digest = hashlib.sha256(head.encode())
    for root in (package, templates):
        for path in sorted(root.rglob("*")):
            parts = path.relative_to(root).parts
            # An installed wheel keeps the templates inside the package: counted once, as templates,
            # so a wheel and a source checkout of one version have one fingerprint.
            if root == package and parts[0] == "templates" and templates.is_relative_to(package):
                continue
            if path.is_file() and path.suffix in (".py", ".jinja") and "__pycache__" not in parts:
                digest.update(f"{'/'.join(parts)}\0".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def _source_stats(*roots: Path) -> list[tuple[str, int, int, int, int]]:
    """Each file under ``roots`` but in ``__pycache__`` (every file ``_fingerprint_of`` reads, and more), with its
    size, modification and change times and inode, in order."""
    found = []
    for root in roots:
        for folder, folders, names in os.walk(root):
            folders[:] = sorted(name for name in folders if name != "__pycache__")
            for name in sorted(names):
                try:
                    facts = os.stat(os.path.join(folder, name))
                except OSError:  # a broken link: no file to read
                    continue
                found.append(
                    (os.path.join(folder, name), facts.st_size, facts.st_mtime_ns, facts.st_ctime_ns, facts.st_ino)
                )
    return found


# -- formatting ----------------------------------------------------------------------------------


@cache
def _black_version() -> str:
    """The version of the black that formats, from the one-line module black takes its ``__version__``
    from: importing ``importlib.metadata`` for it was ~20 ms of every run (its email parser)."""
    from importlib import import_module

    try:
        return str(import_module("_black_version").version)
    except (ImportError, AttributeError):  # a black built without it
        from importlib.metadata import version

        return version("black")


@cache
def _black_mode() -> Any:
    from black.mode import Mode, TargetVersion

    return Mode(line_length=LINE_LENGTH, target_versions={TargetVersion.PY310})


def preload_formatter() -> None:
    """Import black now, so the worker processes forked to format inherit it instead of each
    importing it again (about 60 ms of CPU apiece); not needed beside the CLI's early pool."""
    if early_pool() is None:
        load_formatter()


def load_formatter() -> None:
    """black, and the modules the formatting workers' tasks live in."""
    import black.mode
    import black.strings  # noqa: F401

    from . import layout_proof  # noqa: F401


def _format_one(text: str) -> str:
    import black

    return str(black.format_str(text, mode=_black_mode()))


def _format_once(text: str) -> str:
    """black's first pass over ``text``. ``format_str`` runs a second pass over any text the first one
    changed; a text that proves (``layout_proof``) is compared with the first pass only, which keeps a line
    exactly when black keeps it, so a proving module black spaces out costs one pass, not two."""
    import black

    once = getattr(black, "_format_str_once", None)  # black 26.10.1 is pinned; any other has format_str
    return str(once(text, mode=_black_mode()) if once is not None else black.format_str(text, mode=_black_mode()))


def format_sources(files: Mapping[str, str]) -> dict[str, str]:
    """Run every ``.py`` file through black (the verbatim runtime is kept as written: it is
    formatted in the repository). Big files are formatted in pieces (``split_for_black``): black's
    time grows faster than a piece's length, pieces spread evenly over the workers, only a piece black
    changes costs its second pass, and a changed spec reformats only the pieces it changed. Pieces
    already in black's layout are proven so and kept (``layout_proof``). Results are cached by content.
    A file whose pieces black cannot take alone is formatted whole."""
    out = dict(files)
    todo = [name for name in files if name.endswith(".py") and not name.endswith(RUNTIME_FILE)]
    masked = {name: _masked_header(files[name]) for name in todo}
    cuts = {name: split_for_black(masked[name][0]) for name in todo}
    formatted = _format_pieces([piece for name in todo for _, piece in cuts[name]])
    for name in todo:
        header = masked[name][1]
        joined = None
        if all(formatted[piece] is not None for _, piece in cuts[name]):
            joined = "".join(joint + _unwrapped(piece, formatted[piece] or "") for joint, piece in cuts[name])
        if joined is None or (header is not None and not joined.startswith(_header_mask(header))):
            out[name] = _format_one(files[name])
        else:
            out[name] = joined if header is None else header + joined[len(header) :]
    return out


# Every generated module opens with a comment naming clientgen's version, so without this a new version would
# make each file's first piece new to black's cache (which outlives versions: black decides those bytes). black
# keeps a plain comment line as it is and lays out the rest alike whatever the comment says, so pieces are
# formatted with that line masked (same length).
def _masked_header(text: str) -> tuple[str, str | None]:
    """``text`` with its clientgen header line masked, and that line (None when there is none)."""
    first, newline, rest = text.partition("\n")
    if not first.startswith(f"# {HEADER_START}") or not newline or first != first.rstrip():
        return text, None
    header = first + newline
    return _header_mask(header) + rest, header


def _header_mask(header: str) -> str:
    return "# " + "x" * (len(header) - 3) + "\n"


def _format_pieces(pieces: list[str]) -> dict[str, str | None]:
    """black's text for each piece. Pieces already in black's layout are proven so (``layout_proof``: black
    runs on their distinct shapes, far less text) and kept as they are; black formats the rest. black's texts
    are cached by content, the proven pieces as one list per run (``_remember_proven``)."""
    from .layout_proof import Known, proven_pieces

    keys = {piece: _piece_key(piece) for piece in pieces}
    remembered = _proven_before()
    proven = {piece for piece, key in keys.items() if key in remembered}
    formatted, pending = _cached_pieces([piece for piece in keys if piece not in proven])
    formatted.update((piece, piece) for piece in proven)
    if not pending:
        return formatted
    with _Workers(sum(p.count("\n") for p in pending)) as workers:
        black = _RunFormatter(workers, once=False)
        prove = _RunFormatter(workers, once=True)  # black's first pass, for the proof
        known = Known()  # what black kept, for the parts below
        newly_proven = proven_pieces(pending, prove, workers.map, known)
        formatted.update((piece, piece) for piece in newly_proven)
        left = [piece for piece in pending if piece not in newly_proven]
        texts, proven_parts = _formatted_in_parts(left, black, prove, workers, known)
        formatted.update(texts)
        kind = _cache_kind()
        for piece in left:  # a piece formatted in parts is cached whole, as black's pieces are
            text = texts[piece]
            if piece not in black.done and text is not None:
                write_entry(kind, keys[piece], text.encode("utf-8"))
        if os.environ.get("CLIENTGEN_CHECK_PROOFS"):
            _check_proofs(sorted(newly_proven | proven_parts), workers)
    if newly_proven:
        _remember_proven({keys[piece] for piece in proven | newly_proven})
    return formatted


class _RunFormatter:
    """``_black`` over the texts given, each text formatted once per run (``done``: what it made)."""

    def __init__(self, workers: _Workers, once: bool) -> None:
        self.workers, self.once = workers, once
        self.done: dict[str, str | None] = {}

    def __call__(self, texts: list[str]) -> dict[str, str | None]:
        new = [text for text in dict.fromkeys(texts) if text not in self.done]
        self.done.update(_black(new, self.workers, once=self.once))
        return {text: self.done[text] for text in texts}


def _formatted_in_parts(
    pieces: list[str],
    black: Callable[[list[str]], dict[str, str | None]],
    prove: Callable[[list[str]], dict[str, str | None]],
    workers: _Workers,
    known: Known,
) -> tuple[dict[str, str | None], set[str]]:
    """black's text for pieces the proof did not keep, each cut at every place ``split_for_black`` may cut:
    the parts the proof keeps are not formatted (a piece is often unproven for one line black lays out by
    length, or one shape the templates do not emit in black's layout), and black's text of the piece is
    its parts' texts joined, as the writer joins pieces. Also the parts proven (for CLIENTGEN_CHECK_PROOFS)."""
    from .layout_proof import proven_pieces

    cuts = {piece: split_for_black(piece, 1, attributes=True) for piece in pieces}
    parts = [part for piece in pieces if len(cuts[piece]) > 1 for _, part in cuts[piece]]
    proven = proven_pieces(parts, prove, workers.map, known) if parts else set()
    whole = [piece for piece in pieces if len(cuts[piece]) == 1]
    texts = black([*whole, *(part for part in parts if part not in proven)])
    texts.update((part, part) for part in proven)
    out: dict[str, str | None] = {}
    for piece in pieces:
        if len(cuts[piece]) == 1 or any(texts[part] is None for _, part in cuts[piece]):
            out[piece] = texts[piece] if piece in texts else black([piece])[piece]
            continue
        # the first part keeps the piece's own head (a class-body piece's ``class _:``); the others' heads go
        (_, first), rest = cuts[piece][0], cuts[piece][1:]
        out[piece] = (texts[first] or "") + "".join(joint + _unwrapped(part, texts[part] or "") for joint, part in rest)
    return out, proven


# Pieces proven in black's layout are remembered as one list of their keys per run, named by the generator's
# fingerprint (a proof is only as good as the code that made it), not as one cache entry each: GitHub's
# client proves ~2,600 pieces, and a file apiece cost ~1 s of a cold run in this process. The newest lists
# are kept, one per target formatted.
_PROVEN = "proven"
_PROVEN_KEPT = 16


def _proven_before() -> set[str]:
    """The keys of pieces proven by this generator in the runs remembered."""
    known: set[str] = set()
    for content in newest_entries(_PROVEN, f"{fingerprint()}-", _PROVEN_KEPT):
        known.update(content.decode("ascii", "replace").split("\n"))
    return known


def _remember_proven(keys: set[str]) -> None:
    content = "".join(f"{key}\n" for key in sorted(keys)).encode()
    write_entry(_PROVEN, f"{fingerprint()}-{sha256_bytes(content)}", content)
    keep_newest(_PROVEN, _PROVEN_KEPT)


def _cache_kind(once: bool = False) -> str:
    return f"black-{'once-' if once else ''}{_black_version()}"


def _cached_pieces(pieces: list[str], once: bool = False) -> tuple[dict[str, str | None], list[str]]:
    """The pieces' cached texts (of black's first pass only, ``once``), and the pieces not in the cache."""
    keys = {piece: _piece_key(piece) for piece in dict.fromkeys(pieces)}
    cached = read_entries(_cache_kind(once), list(keys.values()))
    formatted: dict[str, str | None] = {
        piece: cached[key].decode("utf-8") for piece, key in keys.items() if key in cached
    }
    return formatted, [piece for piece, key in keys.items() if key not in cached]


def _black(texts: list[str], workers: _Workers, once: bool = False) -> dict[str, str | None]:
    """black's text for each of ``texts`` (its first pass only, ``once``), from the cache or formatted on
    the workers (and cached)."""
    formatted, pending = _cached_pieces(texts, once)
    # Biggest first and one at a time, so the workers finish at about the same time (a chunk of the biggest
    # took 70% of GitHub's proving texts to one worker).
    pending.sort(key=len, reverse=True)
    task = _format_once_and_cache if once else _format_and_cache
    formatted.update(zip(pending, workers.map(task, pending, chunksize=1), strict=True))
    return formatted


def _check_proofs(proven: list[str], workers: _Workers) -> None:
    """With ``CLIENTGEN_CHECK_PROOFS`` set (the corpus CI stage): black on every proven piece too."""
    for piece, text in zip(proven, workers.map(_format_piece, proven), strict=True):
        if text != piece:
            raise RuntimeError(f"a piece proven in black's layout is not (layout_proof is wrong): {piece[:300]!r}")


class _Workers:
    """Maps a function over texts on the formatting workers: the pool the CLI forked early when there is one,
    else two forked now (with black imported) when there is enough work to pay for them, else in this
    process."""

    def __init__(self, lines: int) -> None:
        self.parallel = lines >= _PARALLEL_MIN_LINES and min(2, os.cpu_count() or 1) > 1 and can_fork()
        self.pool: FormatPool | None = None

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        if self.pool is not None:
            self.pool.close(abandon=kind is not None)

    def map(self, function: Callable[[str], _T], texts: Iterable[str], chunksize: int | None = None) -> Iterator[_T]:
        texts = list(texts)
        chunksize = chunksize or max(1, min(64, len(texts) // 16))
        early = early_pool()
        if early is not None and texts:
            return iter(early.map(function, texts, chunksize))
        if not self.parallel or len(texts) < 2:
            return map(function, texts)
        if self.pool is None:
            self.pool = FormatPool(load_formatter)
        return iter(self.pool.map(function, texts, chunksize))


def _format_and_cache(piece: str) -> str | None:
    """``_format_piece``, its text cached where it was made: beside the formatting, not after it."""
    text = _format_piece(piece)
    if text is not None:
        write_entry(_cache_kind(), _piece_key(piece), text.encode("utf-8"))
    return text


def _format_once_and_cache(text: str) -> str | None:
    """``_format_and_cache`` with black's first pass only (``_format_once``)."""
    from black.parsing import InvalidInput

    try:
        formatted = _format_once(text)
    except InvalidInput:
        return None
    write_entry(_cache_kind(once=True), _piece_key(text), formatted.encode("utf-8"))
    return formatted


def _format_piece(piece: str) -> str | None:
    """black's text for one piece, or None when black cannot parse it alone."""
    from black.parsing import InvalidInput

    try:
        return _format_one(piece)
    except InvalidInput:
        return None


def _piece_key(piece: str) -> str:
    return sha256_bytes(f"{LINE_LENGTH}\0{piece}".encode())


# A piece of a class body is formatted under this head (black formats a method alike whatever class
# it is in), which is then taken off again.
_CLASS_BODY_HEAD = "class _:\n"
_TOP_LEVEL_DEFINITION = ("class ", "def ", "async def ", "@")
_METHOD = ("    def ", "    async def ", "    @")
_ASSIGNMENT = re.compile(r"[A-Za-z_]\w*(?:: | = )")
_CLOSING_LINES = frozenset({")\n", "]\n", "}\n"})
_CLASS_ASSIGNMENT = re.compile(r"    [A-Za-z_]\w*(?:: | = )")
_CLASS_CLOSING_LINES = frozenset("    " + line for line in _CLOSING_LINES)


def _unwrapped(piece: str, formatted: str) -> str:
    return formatted[len(_CLASS_BODY_HEAD) :] if piece.startswith(_CLASS_BODY_HEAD) else formatted


def split_for_black(
    text: str, lines_per_piece: int = _PIECE_LINES, *, attributes: bool = False
) -> list[tuple[str, str]]:
    """``text`` cut into pieces of about ``lines_per_piece`` lines that black formats alike alone and
    in the file: ``"".join(joint + black(piece))`` (a class-body piece's head taken off) is black's
    text for the whole file. Each cut is where black's blank lines do not depend on what precedes:
    - before a top-level ``class``/``def``/decorator after exactly two blank lines (and no comment or
      decorator): black puts two blank lines there whatever precedes; joint ``"\n\n"``;
    - before a top-level assignment directly after a line closing a bracketed top-level statement that
      is not an import: black keeps no blank line there; joint ``""``;
    - inside a top-level class, before a method or its decorator after exactly one blank line (and
      no comment or decorator): the piece is formatted as the body of ``class _:``; joint ``"\n"``;
    - with ``attributes``, inside a top-level class, before an assignment directly after a line closing
      a bracketed one (a model's field, a mock's long annotation): black keeps no blank line there;
      formatted as the body of ``class _:``, joint ``""``. Only for a piece left to black, cut to its parts
      (``_formatted_in_parts``): the files' own pieces stay whole classes, which prove with less work.
    tests/test_render.py holds the equality byte for byte on real packages; a cut black cannot parse
    makes the file be formatted whole (``format_sources``)."""
    lines = text.splitlines(keepends=True)
    cuts: list[tuple[str, str]] = []
    joint, start, head = "", 0, ""
    statement_start = 0  # the line the current top-level statement started on
    in_class = False
    for i in range(len(lines)):
        line = lines[i]
        cut: str | None = None
        in_body = False  # the piece after the cut is a class body's
        if i - start >= lines_per_piece and i >= 3:
            if (
                line.startswith(_TOP_LEVEL_DEFINITION)
                and lines[i - 1] == "\n"
                and lines[i - 2] == "\n"
                and lines[i - 3] != "\n"
                and not lines[i - 3].startswith(("#", "@"))
            ):
                cut = "\n\n"
            elif (
                _ASSIGNMENT.match(line)
                and lines[i - 1] in _CLOSING_LINES
                and not lines[statement_start].startswith(("import ", "from "))
            ):
                cut = ""
            elif (
                in_class
                and line.startswith(_METHOD)
                and lines[i - 1] == "\n"
                and lines[i - 2] != "\n"
                and lines[i - 2].startswith("    ")
                and not lines[i - 2].lstrip().startswith(("#", "@"))
            ):
                cut, in_body = "\n", True
            elif attributes and in_class and _CLASS_ASSIGNMENT.match(line) and lines[i - 1] in _CLASS_CLOSING_LINES:
                cut, in_body = "", True
        if cut is not None:
            kept = len(cut)  # the blank lines before the cut belong to the joint
            cuts.append((joint, head + "".join(lines[start : i - kept])))
            joint, start = cut, i
            head = _CLASS_BODY_HEAD if in_body else ""
        if line[:1] not in ("", " ", "\t", "\n", ")", "]", "}"):
            statement_start = i
            if not line.startswith("@"):
                in_class = line.startswith("class ")
    cuts.append((joint, head + "".join(lines[start:])))
    return cuts


# -- manifest ------------------------------------------------------------------------------------


def manifest_text(digests: Mapping[str, str], meta: Mapping[str, Any]) -> str:
    """The manifest of the files whose sha256 ``digests`` lists (the manifest itself left out)."""
    body = {
        "generator": f"clientgen {__version__}",
        **meta,
        "fingerprint": fingerprint(),
        "files": {name: digests[name] for name in sorted(digests)},
    }
    return json.dumps(body, indent=2, sort_keys=True) + "\n"


def read_manifest(out_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not str(data.get("generator", "")).startswith("clientgen"):
        return None
    return data


def _existing_files(out_dir: Path) -> dict[str, Path]:
    """The output's files by their paths in it, as ``out_dir.rglob("*")`` finds them (a symbolic link to a file
    is one, a linked folder is not entered, nor one that cannot be read), less any under a name of
    ``_IGNORED_PARTS`` or ``*.egg-info``. Walked here: rglob's paths cost ~3 ms on GitHub's client, and it went
    through every ignored folder (a ``.git``) to leave out what it found there."""
    found: dict[str, Path] = {}
    if not out_dir.is_dir():
        return found
    folders = [(out_dir, "")]
    while folders:
        folder, prefix = folders.pop()
        try:
            with os.scandir(folder) as scanned:
                entries = list(scanned)
        except PermissionError:
            continue
        for entry in entries:
            name = entry.name
            if name in _IGNORED_PARTS or name.endswith(".egg-info"):
                continue
            if _is_folder(entry):
                folders.append((folder / name, f"{prefix}{name}/"))
            elif _is_file(entry):
                found[prefix + name] = folder / name
    return found


# The errors pathlib takes for "no such file" when it asks what a path is.
_NOT_THERE = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError as error:
        if error.errno not in _NOT_THERE:
            raise
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError as error:
        if error.errno not in _NOT_THERE:
            raise
        return False


def is_current(out_dir: Path, meta: Mapping[str, Any], on_disk: Mapping[str, str] | None = None) -> bool:
    """True when the directory holds what this generator would write for these inputs (files the
    user added beside them do not count). ``on_disk``: ``output_digests``' answer, its digests not taken again."""
    manifest = read_manifest(out_dir)
    if manifest is None or manifest.get("fingerprint") != fingerprint():
        return False
    if any(manifest.get(key) != value for key, value in meta.items()):
        return False
    if (out_dir / JOURNAL).exists() or (out_dir / STAGING).exists():
        return False  # an interrupted write: the next write finishes or drops it
    recorded: dict[str, str] = manifest.get("files", {})
    existing = _existing_files(out_dir)
    known = on_disk or {}
    return all(
        name in existing and (known.get(name) or sha256_bytes(_read(existing[name]))) == d
        for name, d in recorded.items()
    )


def changes(out_dir: Path, files: Mapping[str, bytes]) -> list[str]:
    """Files that writing ``files`` would add, change or remove (only files the previous manifest
    lists are ever removed)."""
    existing = _existing_files(out_dir)
    changed = [name for name, data in files.items() if name not in existing or _read(existing[name]) != data]
    changed += [name for name in _listed(out_dir) if name in existing and name not in files]
    return sorted(changed)


def _listed(out_dir: Path) -> dict[str, str]:
    """The files the output's manifest says clientgen wrote, with their sha256 (the manifest included)."""
    manifest = read_manifest(out_dir)
    listed = manifest.get("files") if manifest else None
    if not isinstance(listed, dict):
        return {}
    return {str(k): str(v) for k, v in listed.items() if _safe_name(str(k))} | {MANIFEST: ""}


def _safe_name(name: str) -> bool:
    """A relative path inside the output: a manifest naming ``../x`` or ``/etc/x`` names nothing."""
    parts = name.split("/")
    return bool(name) and not name.startswith("/") and all(p not in ("", ".", "..") for p in parts) and "\\" not in name


def output_dir(out_dir: Path) -> Path:
    """Where the package goes: a symlinked output is written through its link, never replaced."""
    if out_dir.is_symlink() and not out_dir.exists():
        raise SpecError("the output is a symbolic link to something that does not exist", file=out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise SpecError("output path exists and is not a directory", file=out_dir)
    return out_dir.resolve()


def check_ownership(
    out_dir: Path, force: bool, keep_edits: bool = False, on_disk: Mapping[str, str] | None = None
) -> None:
    """Refuse an output clientgen did not make, and one whose generated files were changed since
    (a hand edit, or a manifest copied from elsewhere): replacing them would lose someone's work.
    With ``keep_edits`` the edits are merged into the new text instead (``reapply_edits``). ``on_disk``:
    ``output_digests``' answer for the output, taken beside the run (none: the files are read here)."""
    if force or not out_dir.exists():
        return
    out = output_dir(out_dir)
    if read_manifest(out) is None:
        if any(p.name not in (STAGING, JOURNAL) for p in out.iterdir()):
            raise SpecError(
                "output directory is not empty and was not generated by clientgen "
                "(no .clientgen-manifest.json); pass --force to write into it",
                file=out_dir,
            )
        return
    edited = sorted(edited_files(out, on_disk))
    if edited and not keep_edits:
        shown = ", ".join(edited[:5]) + (f" and {len(edited) - 5} more" if len(edited) > 5 else "")
        raise SpecError(
            f"{shown} changed since clientgen wrote {'them' if len(edited) > 1 else 'it'} (a hand edit, or a "
            "manifest that is not this folder's): --keep-edits re-applies the edits to the new output, "
            "--force discards them",
            file=out_dir,
        )


def edited_files(out: Path, on_disk: Mapping[str, str] | None = None) -> dict[str, bytes]:
    """The generated files whose content is no longer what the manifest says clientgen wrote (a file made a
    symbolic link is edited; one that is gone, or no file, is not), with their content. ``on_disk``:
    ``output_digests``' answer, taken beside the run; else it is taken here."""
    found = output_digests(out) if on_disk is None else on_disk
    edited = {}
    folder = os.fspath(out)
    for name, digest in _listed(out).items():
        if name in (MANIFEST, BASE) or found.get(name, digest) == digest:
            continue  # unedited, or no file of the output's
        try:
            edited[name] = _read(f"{folder}/{name}")  # a safe name (``_listed``)
        except OSError as error:
            if error.errno not in _NOT_THERE:
                raise
    return edited


def output_digests(out_dir: Path, base: bytes | None = None) -> dict[str, str]:
    """The sha256 of each file the output's manifest lists, as it is on disk (``BASE``'s too; "" for a symbolic
    link to a file; none for one gone or of another kind, as ``edited_files`` tells them): what
    ``check_ownership`` and ``write_tree`` ask of the output, read once, in a process beside the run (GitHub's
    client: ~17 MB read and hashed, ~20 ms). ``base``: ``BASE`` as the caller read it, hashed instead of the file
    (``MergeBase``)."""
    out = output_dir(out_dir)
    folder = os.fspath(out)
    found = {}
    for name in _listed(out):
        if name == MANIFEST:
            continue
        path = f"{folder}/{name}"
        try:
            kind = os.lstat(path).st_mode
        except OSError as error:
            if error.errno not in _NOT_THERE:
                raise
            continue
        if stat.S_ISREG(kind):
            found[name] = sha256_bytes(base if name == BASE and base is not None else _read(path))
        elif stat.S_ISLNK(kind) and Path(path).is_file():
            found[name] = ""
    return found


def _read(path: str | Path, follow: bool = True) -> bytes:
    """``path.read_bytes()`` without the buffered file object: the output's files are read twice a run (hashed
    for ``check_ownership``, compared by ``write_tree``), ~1 ms each time on GitHub's 235 files. Not ``follow``:
    a symbolic link is not read (OSError)."""
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | (0 if follow else getattr(os, "O_NOFOLLOW", 0))
    descriptor = os.open(path, flags)
    try:
        chunks = []
        size = os.fstat(descriptor).st_size + 1  # a read of a byte more than there is takes the file whole
        while chunk := os.read(descriptor, size):
            chunks.append(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    finally:
        os.close(descriptor)


class FileBytes(NamedTuple):
    """A generated file as the writer takes it, made once from its text (``file_bytes``)."""

    data: bytes  # the file: its text in UTF-8
    sha256: str  # of ``data``, as the manifest lists it
    # the text as a JSON string (``json.dumps(text, ensure_ascii=False)``) in UTF-8, less its quotes (adding them
    # copied every file once more): its ``BASE`` entry
    escaped: bytes


# The bytes a JSON string escapes besides the line feed, quote and backslash. A text without them (nearly every
# generated file) is quoted by three replacements in its UTF-8 bytes, ~2.5x faster than json's escaping of the
# text; the bytes of a character past ASCII are never escaped (``ensure_ascii=False``), so they need no care.
_ESCAPED_CONTROLS = bytes(byte for byte in range(0x20) if byte != ord("\n"))


def file_bytes(text: str, kept: KeptText | None = None) -> FileBytes:
    """``text``'s bytes. ``kept``: the text as the cache kept it, with what this made of it then (used only when
    it is the very text given)."""
    data = text.encode("utf-8")  # a lone surrogate raises here, as writing the file would
    if kept is None or kept.text is not text:
        kept = KeptText(text, sha256_bytes(data), escapes_controls(data))
    if kept.escapes_controls:
        escaped = encode_basestring(text)[1:-1].encode("utf-8")
    else:
        escaped = data.replace(b"\\", b"\\\\").replace(b'"', b'\\"').replace(b"\n", b"\\n")
    return FileBytes(data, kept.sha256, escaped)


def escapes_controls(data: bytes) -> bool:
    """Whether the text whose UTF-8 bytes are ``data`` holds a control character other than the line feed (which
    its JSON string escapes as ``json`` does, not by ``file_bytes``'s replacements)."""
    return len(data.translate(None, _ESCAPED_CONTROLS)) != len(data)


def base_bytes(files: Mapping[str, FileBytes], escaped: Mapping[str, bytes | memoryview] | None = None) -> bytes:
    """``base_parts`` joined."""
    return b"".join(base_parts(files, escaped))


def base_parts(
    files: Mapping[str, FileBytes], escaped: Mapping[str, bytes | memoryview] | None = None
) -> list[bytes | memoryview]:
    """The ``BASE`` file for an output of ``files`` and of the files ``escaped`` gives the ``escaped`` text of
    (``kept_escapes``), in parts: each one's text, for a later three-way merge. Its bytes are
    ``json.dumps(texts, indent=0, sort_keys=True, ensure_ascii=False) + "\\n"``, made of each file's ``escaped``
    text: json's encoder escapes and joins one string of every text (~55 ms on GitHub's client, where one text past
    ASCII makes all 8.5 MB of it wide); the parts are hashed and written as they are (``OutputFiles``), never joined
    (~5 ms of new memory on GitHub's)."""
    more = escaped or {}
    names = sorted(name for name in [*files, *more] if name not in (MANIFEST, BASE))
    if not names:
        return [b"{}\n"]
    parts: list[bytes | memoryview] = [b"{\n"]
    for name in names:
        text = files[name].escaped if name in files else more[name]
        parts += (encode_basestring(name).encode("utf-8"), b': "', text, b'",\n')
    parts[-1] = b'"\n}\n'
    return parts


def sha256_parts(parts: Iterable[bytes | memoryview]) -> str:
    """``sha256_bytes`` of the parts joined."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return digest.hexdigest()


class MergeBase(NamedTuple):
    """``BASE`` as a run read it once (``read_merge_base``): its content, its sha256, and where each file's line
    holds the file's escaped text (``base_lines``)."""

    content: bytes
    sha256: str
    lines: dict[str, tuple[int, int]]


def read_merge_base(out_dir: Path) -> bytes | None:
    """The output's ``BASE``, read, not mapped: a file mapped changes under its views, and one cut short kills the
    process, when written meanwhile. None where there is none to read, or it is not a file of its own (a symbolic
    link is an edit, as ``output_digests`` tells it)."""
    try:
        return _read(output_dir(out_dir) / BASE, follow=False)
    except OSError:
        return None


def base_lines(content: bytes) -> dict[str, tuple[int, int]]:
    """Where each file's escaped text lies in ``content`` (a ``BASE`` file: a line per file, ``base_bytes``), for
    the files whose name JSON writes as it is (nearly all)."""
    found = {}
    at = content.find(b"\n") + 1  # past "{"
    while (end := content.find(b"\n", at)) >= 0:  # a file's line, or "}"
        sep = content.find(b'": "', at, end)
        name = content[at + 1 : sep].decode("utf-8", "replace") if sep > at else ""
        if content[at : at + 1] == b'"' and name and encode_basestring(name) == f'"{name}"':  # never escaped
            if content[end - 2 : end] == b'",':
                found[name] = (sep + 4, end - 2)
            elif content[end - 1 : end] == b'"':
                found[name] = (sep + 4, end - 1)
        at = end + 1
    return found


def kept_escapes(out_dir: Path, written: Mapping[str, str], base: MergeBase | None) -> dict[str, bytes | memoryview]:
    """``file_bytes``' ``escaped`` text of each file of the output ``written`` names (with its sha256: each is as
    clientgen wrote it, as ``output_digests`` found them): a view of its line of ``BASE`` as the run read it
    (``base``, the one clientgen wrote: its digest is the manifest's), copied once, into the new one, without the
    file's text being read, encoded and escaped again (GitHub's client: 8.5 MB, ~15 ms); else from the file
    itself."""
    if not written:
        return {}
    out = output_dir(out_dir)
    escaped: dict[str, bytes | memoryview] = {}
    view = memoryview(base.content) if base is not None else None
    for name, sha256 in written.items():
        span = base.lines.get(name) if base is not None else None
        if view is not None and span is not None:
            escaped[name] = view[span[0] : span[1]]
        else:
            escaped[name] = file_bytes(_as_written(out, name, sha256).decode("utf-8")).escaped
    return escaped


def _as_written(out: Path, name: str, sha256: str) -> bytes:
    """An output file known unchanged since clientgen wrote it (``sha256``), read; one changed since (while the
    run read it) fails the run rather than be taken for what clientgen wrote."""
    content = _read(out / name)
    if sha256_bytes(content) != sha256:
        raise SpecError(f"{name} changed while clientgen ran: run it again", file=out)
    return content


class OutputFiles(Mapping[str, bytes]):
    """The files to write: ``made`` as bytes, those ``joined`` as parts (``BASE``: written part by part, joined
    only where asked for), and those of the output ``written`` names (with their sha256), as they are there: read
    only where asked for (``write_tree`` writes none of them: their digests are the ones on disk)."""

    def __init__(
        self,
        out_dir: Path,
        made: dict[str, bytes],
        written: Mapping[str, str],
        joined: Mapping[str, Sequence[bytes | memoryview]] | None = None,
    ) -> None:
        self.out, self.made, self.written, self.joined = out_dir, made, written, joined or {}

    def __getitem__(self, name: str) -> bytes:
        if name in self.made:
            return self.made[name]
        if name in self.joined:
            return b"".join(self.joined[name])
        if name in self.written:
            return _as_written(output_dir(self.out), name, self.written[name])
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:  # Mapping's would read the file
        return name in self.made or name in self.joined or name in self.written

    def __iter__(self) -> Iterator[str]:
        yield from self.made
        yield from (name for name in self.joined if name not in self.made)
        yield from (name for name in self.written if name not in self.made and name not in self.joined)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def write(self, name: str, path: Path) -> None:
        """Writes the file ``name`` at ``path``."""
        parts = self.joined.get(name) if name not in self.made else None
        if parts is None or not hasattr(os, "writev"):
            path.write_bytes(self[name])
            return
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), 0o666)
        try:
            _write_all(descriptor, parts)
        finally:
            os.close(descriptor)


def _write_all(descriptor: int, parts: Sequence[bytes | memoryview]) -> None:
    """Every part written, in order: ``os.writev`` takes at most ``SC_IOV_MAX`` at once, and may write less."""
    views = [memoryview(part) for part in parts if len(part)]
    most, at = _iov_max(), 0
    while at < len(views):
        done = os.writev(descriptor, views[at : at + most])
        if done <= 0:
            raise OSError(errno.EIO, "nothing written")
        while done:
            size = len(views[at])
            if done >= size:
                done, at = done - size, at + 1
            else:
                views[at], done = views[at][done:], 0


def _iov_max() -> int:
    try:
        return max(16, int(os.sysconf("SC_IOV_MAX")))
    except (ValueError, OSError, AttributeError):
        return 16


@dataclass
class Reapplied:
    """What ``reapply_edits`` did: files whose edits merged cleanly, files with conflict markers,
    and edited files the new output no longer has (kept, now the user's own)."""

    merged: list[str] = field(default_factory=list)
    conflicted: list[str] = field(default_factory=list)
    orphaned: list[str] = field(default_factory=list)


def reapply_edits(out_dir: Path, files: dict[str, bytes]) -> Reapplied:
    """Each hand-edited file of the output merged (three-way, ``merge.merge3``) from the text
    clientgen wrote before (``BASE``) into its new text, in ``files``; the manifest in ``files``
    keeps the generated text's hash, so the file still counts as edited next time."""
    from .merge import merge3

    report = Reapplied()
    if not out_dir.exists():
        return report
    out = output_dir(out_dir)
    edited = edited_files(out)
    if not edited:
        return report
    previous = _previous_texts(out)
    listed = _listed(out)
    for name, ours in sorted(edited.items()):
        base = previous.get(name)
        if base is None or sha256_bytes(base.encode("utf-8")) != listed.get(name):
            raise SpecError(
                f"{name} was edited, and the text clientgen wrote before is not in {BASE} (an output of an "
                "older clientgen, or a base edited too): merge the edit by hand, or --force discards it",
                file=out_dir,
            )
        if name not in files:
            files[name] = ours  # not generated any more: left as it is, the user's own from now on
            report.orphaned.append(name)
            continue
        try:
            text, conflicts = merge3(base, ours.decode("utf-8"), files[name].decode("utf-8"))
        except UnicodeDecodeError:
            raise SpecError(
                f"{name} was edited into something that is not UTF-8 text: cannot merge it", file=out_dir
            ) from None
        files[name] = text.encode("utf-8")
        (report.conflicted if conflicts else report.merged).append(name)
    return report


def previous_package(out_dir: Path) -> dict[str, str]:
    """The text clientgen last wrote into ``out_dir`` (hand edits left out), by path; from the files
    themselves for an output written before ``BASE`` was kept."""
    out = output_dir(out_dir)
    texts = _previous_texts(out)
    if texts:
        return texts
    listed = (name for name in _listed(out) if name not in (MANIFEST, BASE) and (out / name).is_file())
    return {name: (out / name).read_text(encoding="utf-8", errors="replace") for name in listed}


def _previous_texts(out: Path) -> dict[str, str]:
    try:
        data = json.loads((out / BASE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def write_tree(
    out_dir: Path,
    files: Mapping[str, bytes],
    force: bool = False,
    digests: Mapping[str, str] | None = None,
    on_disk: Mapping[str, str] | None = None,
) -> list[str]:
    """Write the package into ``out_dir`` (see the module docstring); returns the files it kept
    that clientgen did not write. Any failure before the journal leaves the output as it was. A file is
    written where its content differs from the file there, told by ``digests`` (the sha256 of some of
    ``files``) against ``on_disk`` (``output_digests``' answer for the output) where both have it, else read."""
    out = output_dir(out_dir)
    try:
        recover(out)
        listed = _listed(out)
        existing = _existing_files(out)
        foreign = [name for name in files if name in existing and name not in listed]
        if foreign and not force:
            raise SpecError(
                f"{foreign[0]} is in the way: clientgen did not write it; move it or pass --force to replace it",
                file=out_dir,
            )
        out.mkdir(parents=True, exist_ok=True)
        staging = out / STAGING
        known, made = on_disk or {}, digests or {}

        def same_on_disk(name: str) -> bool:
            if known.get(name) and name in made:
                return known[name] == made[name]
            return _read(existing[name]) == files[name]

        writes = [name for name in files if name not in existing or not same_on_disk(name)]
        writes.sort(key=lambda name: name == MANIFEST)  # the manifest moves last
        try:
            for name in writes:
                target = staging / name
                target.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(files, OutputFiles):
                    files.write(name, target)
                else:
                    target.write_bytes(files[name])
            removals = sorted(name for name in listed if name in existing and name not in files)
            if writes or removals:
                _write_atomic(out / JOURNAL, json.dumps({"write": writes, "remove": removals}).encode())
        except BaseException:
            _drop(staging)
            raise
        recover(out)
    except OSError as exc:
        raise SpecError(f"cannot write the package: {exc.strerror or exc}", file=out_dir) from None
    return sorted(name for name in existing if name not in listed and name not in files)


def recover(out: Path) -> None:
    """Finish an interrupted write whose journal exists, or drop one that never got that far."""
    journal = out / JOURNAL
    staging = out / STAGING
    try:
        plan = json.loads(journal.read_bytes())
    except FileNotFoundError:
        _drop(staging)
        return
    except (OSError, ValueError):
        plan = {}
    writes = [n for n in plan.get("write", []) if isinstance(n, str) and _safe_name(n)]
    removals = [n for n in plan.get("remove", []) if isinstance(n, str) and _safe_name(n)]
    for name in writes:
        staged = staging / name
        if staged.exists():
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, out / name)
    for name in removals:
        (out / name).unlink(missing_ok=True)
        _prune_empty(out, (out / name).parent)
    journal.unlink()
    _drop(staging)


def _prune_empty(out: Path, folder: Path) -> None:
    while folder != out and folder.is_relative_to(out):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def _drop(staging: Path) -> None:
    if staging.is_symlink():
        staging.unlink()
    elif staging.exists():
        shutil.rmtree(staging)


def _write_atomic(path: Path, data: bytes) -> None:
    temporary = path.parent / STAGING / path.name
    temporary.parent.mkdir(exist_ok=True)
    temporary.write_bytes(data)
    os.replace(temporary, path)
