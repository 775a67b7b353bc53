"""Targets configured in ``pyproject.toml`` under ``[tool.clientgen]``."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.errors import SpecError
from generator.names import pep440_version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


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
        if candidate.is_file() and "clientgen" in _load(candidate).get("tool", {}):
            return candidate
    return None


def _load(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
        return data
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"cannot read configuration: {exc}", file=path) from None


def load_targets(pyproject: Path) -> list[Target]:
    table = _load(pyproject).get("tool", {}).get("clientgen", {})
    root = pyproject.parent
    targets = []
    for index, entry in enumerate(table.get("targets", [])):
        try:
            targets.append(
                Target(
                    name=str(entry.get("name") or entry["package-name"]),
                    spec=root / entry["spec"],
                    output=root / entry["output"],
                    package=str(entry["package-name"]),
                    overlays=tuple(root / o for o in entry.get("overlays", [])),
                    package_version=(
                        package_version(entry["package-version"], pyproject, f"targets[{index}] package-version")
                        if "package-version" in entry
                        else None
                    ),
                )
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise SpecError(
                f"[tool.clientgen] targets[{index}] needs spec, output and package-name ({exc})",
                file=pyproject,
            ) from None
    if not targets:
        raise SpecError("[tool.clientgen] lists no targets", file=pyproject)
    return targets
