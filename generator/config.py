"""Targets configured in ``pyproject.toml`` under ``[tool.clientgen]``."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .compiled import DataclassMethods
from .errors import SpecError
from .names import package_name_problem, pep440_version

# the methods ``dataclasses`` makes for the classes below, compiled once and kept (``compiled``)
_METHODS = DataclassMethods(__file__)


@dataclass(frozen=True)
class Target:
    name: str
    spec: Path
    output: Path
    package: str
    overlays: tuple[Path, ...] = ()
    # The generated package's version (pyproject.toml, User-Agent); None: the spec's info.version
    # made PEP 440-safe. Checked to be PEP 440 by ``package_version``.
    package_version: str | None = None
    # Where the spec comes from when ``spec`` is missing (``clientgen fetch``'s SOURCE, and its
    # --path inside a package), and the sha256 the spec file must have.
    spec_source: str | None = None
    spec_source_path: str | None = None
    spec_sha256: str | None = None
    # "project": an installable project around the package; "package": the package alone, to vendor.
    layout: str = "project"
    # The package version follows its API: each regeneration bumps the last one by what changed
    # (``semver.bump``); ``package_version`` (or the spec's) is the first.
    semver: bool = False


_METHODS.keep()


def package_version(value: object, file: Path | None = None, option: str = "--package-version") -> str:
    """A configured package version, normalised (``v1.0`` -> ``1.0``); refused unless PEP 440."""
    version = pep440_version(value) if isinstance(value, str) else None
    if version is None:
        raise SpecError(f"{option} {value!r} is not a PEP 440 version (like 1.2.3 or 2.0rc1)", file=file)
    return version


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` that has a ``[tool.clientgen]`` table."""
    for folder in [start, *start.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            tool = _load(candidate).get("tool")
            if isinstance(tool, dict) and "clientgen" in tool:
                return candidate
    return None


def _load(path: Path) -> dict[str, Any]:
    # imported here: a run given its spec reads no configuration (~5 ms of a regeneration's start)
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
        return data
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"cannot read configuration: {exc}", file=path) from None


_TOML_TYPES = {
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a float",
    list: "an array",
    dict: "a table",
}


def _wrong(pyproject: Path, key: str, expected: str, value: object) -> SpecError:
    """``KEY must be EXPECTED, not a string ('x')``: one line naming the file and the key."""
    kind = next((name for t, name in _TOML_TYPES.items() if isinstance(value, t)), f"a {type(value).__name__}")
    shown = repr(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return SpecError(f"{key} must be {expected}, not {kind}" + (f" ({shown})" if shown else ""), file=pyproject)


def _string(pyproject: Path, entry: dict[str, Any], name: str, key: str) -> str:
    value = entry[name]
    if not isinstance(value, str) or not value:
        raise _wrong(pyproject, f"{key}.{name}", "a non-empty string", value)
    return value


def _flag(pyproject: Path, entry: dict[str, Any], name: str, key: str) -> bool:
    value = entry.get(name, False)
    if not isinstance(value, bool):
        raise _wrong(pyproject, f"{key}.{name}", "a boolean", value)
    return value


def load_targets(pyproject: Path) -> list[Target]:
    """The targets of ``[tool.clientgen]``, every value's type checked: a wrong one is one line naming the
    file and the key (``tool.clientgen.targets[0].overlays``), before any target is generated."""
    data = _load(pyproject)
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise _wrong(pyproject, "tool", "a table", tool)
    table = tool.get("clientgen", {})
    if not isinstance(table, dict):
        raise _wrong(pyproject, "tool.clientgen", "a table", table)
    entries = table.get("targets", [])
    if not isinstance(entries, list):
        raise _wrong(pyproject, "tool.clientgen.targets", "an array of tables ([[tool.clientgen.targets]])", entries)
    targets = [_target(pyproject, index, entry) for index, entry in enumerate(entries)]
    if not targets:
        raise SpecError("[tool.clientgen] lists no targets", file=pyproject)
    return targets


def _target(pyproject: Path, index: int, entry: object) -> Target:
    """``tool.clientgen.targets[index]``, each value's type checked."""
    key = f"tool.clientgen.targets[{index}]"
    if not isinstance(entry, dict):
        raise _wrong(pyproject, key, "a table", entry)
    missing = [name for name in ("spec", "output", "package-name") if name not in entry]
    if missing:
        raise SpecError(f"{key} needs spec, output and package-name; missing: {', '.join(missing)}", file=pyproject)
    spec = _string(pyproject, entry, "spec", key)
    output = _string(pyproject, entry, "output", key)
    package = _string(pyproject, entry, "package-name", key)
    problem = package_name_problem(package)
    if problem is not None:
        raise SpecError(f"{key}.package-name: {problem}", file=pyproject)
    overlays = entry.get("overlays", [])
    if not isinstance(overlays, list):
        raise _wrong(pyproject, f"{key}.overlays", "an array of strings", overlays)
    for number, overlay in enumerate(overlays):
        if not isinstance(overlay, str) or not overlay:
            raise _wrong(pyproject, f"{key}.overlays[{number}]", "a non-empty string", overlay)
    source = _string(pyproject, entry, "spec-source", key) if "spec-source" in entry else None
    inner = _string(pyproject, entry, "spec-source-path", key) if "spec-source-path" in entry else None
    if inner is not None and source is None:
        raise SpecError(f"{key}.spec-source-path goes with spec-source (NAME==VERSION)", file=pyproject)
    pinned = _string(pyproject, entry, "spec-sha256", key).lower() if "spec-sha256" in entry else None
    if pinned is not None and not re.fullmatch(r"[0-9a-f]{64}", pinned):
        raise SpecError(f"{key}.spec-sha256 must be 64 hexadecimal digits", file=pyproject)
    layout = _string(pyproject, entry, "layout", key) if "layout" in entry else "project"
    if layout not in ("project", "package"):
        raise SpecError(f'{key}.layout must be "project" or "package", not {layout!r}', file=pyproject)
    root = pyproject.parent
    return Target(
        name=_string(pyproject, entry, "name", key) if "name" in entry else package,
        spec=root / spec,
        output=root / output,
        package=package,
        overlays=tuple(root / o for o in overlays),
        package_version=(
            package_version(entry["package-version"], pyproject, f"{key}.package-version")
            if "package-version" in entry
            else None
        ),
        spec_source=source,
        spec_source_path=inner,
        spec_sha256=pinned,
        layout=layout,
        semver=_flag(pyproject, entry, "semver", key),
    )
