"""Source text -> files: black in-process, a manifest, an atomic swap of the whole package.

The manifest records the generator's fingerprint, the spec's sha256 and every file's hash. It is how
``generate`` recognises a directory as its own, and how an unchanged target is skipped without
rendering anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

from generator import __version__
from generator.cache import cache_dir
from generator.errors import SpecError
from generator.render import LINE_LENGTH, RUNTIME_FILE, templates_dir

MANIFEST = ".clientgen-manifest.json"
# Left behind by tools run on a generated package; never ours, never a difference.
_IGNORED_PARTS = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", "build"})
# Below this many lines to format, starting worker processes costs more than it saves.
_PARALLEL_MIN_LINES = 1500


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@cache
def fingerprint() -> str:
    """Identifies this generator's code, templates and formatter: equal fingerprints and equal
    inputs mean equal output."""
    digest = hashlib.sha256(f"clientgen {__version__}\0black {_black_version()}\n".encode())
    roots = [Path(__file__).resolve().parent, templates_dir()]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in (".py", ".jinja") and "__pycache__" not in path.parts:
                digest.update(f"{path.relative_to(root).as_posix()}\0".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


# -- formatting ----------------------------------------------------------------------------------


def _black_version() -> str:
    from importlib.metadata import version

    return version("black")


def _black_mode() -> Any:
    from black.mode import Mode, TargetVersion

    return Mode(line_length=LINE_LENGTH, target_versions={TargetVersion.PY310})


def preload_formatter() -> None:
    """Import black now, so the worker processes forked to format inherit it instead of each
    importing it again (about 60 ms of CPU apiece)."""
    import black
    import black.mode  # noqa: F401


def _format_one(text: str) -> str:
    import black

    return str(black.format_str(text, mode=_black_mode()))


def format_sources(files: Mapping[str, str]) -> dict[str, str]:
    """Run every ``.py`` file through black (the verbatim runtime is kept as written: it is
    formatted in the repository). Results are cached by content, and large batches are split
    over two worker processes."""
    out = dict(files)
    todo = [name for name in files if name.endswith(".py") and not name.endswith(RUNTIME_FILE)]
    black_cache = cache_dir() / "black" / _black_version()
    keys = {name: sha256_bytes(f"{LINE_LENGTH}\0{files[name]}".encode()) for name in todo}
    pending = []
    for name in todo:
        cached = black_cache / keys[name]
        try:
            out[name] = cached.read_text(encoding="utf-8")
        except OSError:
            pending.append(name)
    lines = sum(files[name].count("\n") for name in pending)
    if len(pending) > 1 and lines >= _PARALLEL_MIN_LINES and (os.cpu_count() or 1) > 1:
        # Biggest first, so the two workers finish at about the same time.
        pending.sort(key=lambda name: -len(files[name]))
        with ProcessPoolExecutor(max_workers=2, mp_context=_mp_context()) as pool:
            for name, text in zip(pending, pool.map(_format_one, [files[n] for n in pending]), strict=True):
                out[name] = text
    else:
        for name in pending:
            out[name] = _format_one(files[name])
    for name in pending:
        _store(black_cache / keys[name], out[name])
    return out


def _mp_context() -> Any:
    import multiprocessing

    # fork starts a worker in milliseconds with black already imported; elsewhere the default.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods and os.name == "posix" else None)


def _store(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass  # an unwritable cache only costs time


# -- manifest ------------------------------------------------------------------------------------


def manifest_text(files: Mapping[str, bytes], meta: Mapping[str, Any]) -> str:
    body = {
        "generator": f"clientgen {__version__}",
        **meta,
        "fingerprint": fingerprint(),
        "files": {name: sha256_bytes(files[name]) for name in sorted(files)},
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
    found: dict[str, Path] = {}
    if not out_dir.is_dir():
        return found
    for path in out_dir.rglob("*"):
        rel = path.relative_to(out_dir)
        if (
            path.is_file()
            and not (_IGNORED_PARTS & set(rel.parts))
            and not any(p.endswith(".egg-info") for p in rel.parts)
        ):
            found[rel.as_posix()] = path
    return found


def is_current(out_dir: Path, meta: Mapping[str, Any]) -> bool:
    """True when the directory holds exactly what this generator would write for these inputs."""
    manifest = read_manifest(out_dir)
    if manifest is None or manifest.get("fingerprint") != fingerprint():
        return False
    if any(manifest.get(key) != value for key, value in meta.items()):
        return False
    recorded: dict[str, str] = manifest.get("files", {})
    existing = _existing_files(out_dir)
    if set(existing) != set(recorded) | {MANIFEST}:
        return False
    return all(sha256_bytes(existing[name].read_bytes()) == digest for name, digest in recorded.items())


def changes(out_dir: Path, files: Mapping[str, bytes]) -> list[str]:
    """Files that writing ``files`` would add, change or remove."""
    existing = _existing_files(out_dir)
    changed = [name for name, data in files.items() if name not in existing or existing[name].read_bytes() != data]
    changed += [name for name in existing if name not in files]
    return sorted(changed)


def check_ownership(out_dir: Path, force: bool) -> None:
    if force or not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise SpecError("output path exists and is not a directory", file=out_dir)
    if read_manifest(out_dir) is None and any(out_dir.iterdir()):
        raise SpecError(
            "output directory is not empty and was not generated by clientgen "
            "(no .clientgen-manifest.json); pass --force to replace it",
            file=out_dir,
        )


def write_tree(out_dir: Path, files: Mapping[str, bytes]) -> None:
    """Write the whole package next to ``out_dir`` and swap it in: a failure at any point
    leaves the previous output as it was."""
    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=parent))
    try:
        for name, data in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old: Path | None = None
    if out_dir.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=parent))
        old.rmdir()
        out_dir.rename(old)
    try:
        staging.rename(out_dir)
    except BaseException:
        if old is not None:
            old.rename(out_dir)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
