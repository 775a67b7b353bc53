"""Every Airflow minor release, as a user upgrading through them would meet it, with the installed CLI
only: ``clientgen fetch`` gets the last patch of each minor release from its wheel on PyPI, ``clientgen
generate`` makes each client with the overlays ``fetch`` put beside the spec, each imports and makes a
client, all pass ``mypy --strict`` together, and ``clientgen diff`` runs across each consecutive pair,
its counts matching the table in docs/airflow-releases.md. Needs the package index: marked
``releases`` (run by .ci/run), deselected by default."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from clientgen.fetch import AIRFLOW_OVERLAYS, airflow_overlays
from tests.conftest import ROOT
from tests.test_quality import mypy_strict

pytestmark = [pytest.mark.releases, pytest.mark.slow]

RELEASES = [
    "2.0.2", "2.1.4", "2.2.5", "2.3.4", "2.4.3", "2.5.3", "2.6.3", "2.7.3", "2.8.4", "2.9.3", "2.10.5", "2.11.2",
    "3.0.6", "3.1.8", "3.2.2", "3.3.2",
]  # fmt: skip
OVERLAYS = ROOT / "specs" / "overlays"
DOC = ROOT / "docs" / "airflow-releases.md"


def overlays_for(spec: Path) -> list[Path]:
    """The overlays ``clientgen fetch`` put beside a release's spec: the ones that concern it."""
    record = json.loads(spec.with_name(spec.name + ".provenance.json").read_text())
    return [spec.parent / name for name in airflow_overlays(record["version"])]


def clientgen(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a user runs it."""
    script = Path(sys.executable).parent / "clientgen"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "clientgen"]
    return subprocess.run([*command, *map(str, args)], cwd=cwd, capture_output=True, text=True, check=False)


def package(version: str) -> str:
    return "airflow_" + version.replace(".", "_")


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each release's spec, fetched, and its client generated: version -> spec path."""
    work = tmp_path_factory.mktemp("releases")
    specs = {}
    for version in RELEASES:
        fetched = clientgen("fetch", f"apache-airflow=={version}", "-o", f"specs/airflow-{version}/", cwd=work)
        assert fetched.returncode == 0, fetched.stderr
        folder = work / "specs" / f"airflow-{version}"
        (spec,) = (p for p in folder.glob("*.yaml") if "fixes" not in p.name)
        record = json.loads(spec.with_name(spec.name + ".provenance.json").read_text())
        assert record["version"] == version and record["artifact"].endswith("-py3-none-any.whl")
        shipped = overlays_for(spec)
        assert bool(shipped) == version.startswith("2.")  # every 2.x has the 2.x fixes; 3.x needs none yet
        for path in shipped:
            assert path.read_bytes() == (OVERLAYS / path.name).read_bytes()
            assert f"--overlay specs/airflow-{version}/{path.name}" in fetched.stdout
        overlays = [arg for path in shipped for arg in ("--overlay", path)]
        made = clientgen(
            "generate", spec, "-o", f"out/{package(version)}", "--package-name", package(version), *overlays, cwd=work
        )
        assert made.returncode == 0, made.stderr
        assert "matched nothing" not in made.stderr, made.stderr  # each overlay applies where it is said to
        specs[version] = spec
    return specs


def test_every_release_generates_imports_and_passes_mypy_strict(releases: dict[str, Path]) -> None:
    out = next(iter(releases.values())).parents[2] / "out"
    names = [package(v) for v in RELEASES]
    code = "".join(f"import {n}; {n}.Client('http://127.0.0.1:8080').close()\n" for n in names)
    path = os.pathsep.join(str(out / n) for n in names)
    environment = {**os.environ, "PYTHONPATH": path}
    imported = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=False
    )
    assert imported.returncode == 0, imported.stderr
    checked = mypy_strict([(out / n, n) for n in names], out.parent / "mypy-cache")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Success: no issues found" in checked.stdout


def test_the_diff_chain_runs_and_matches_the_documented_counts(releases: dict[str, Path]) -> None:
    work = next(iter(releases.values())).parents[2]
    measured = {}
    for old, new in itertools.pairwise(RELEASES):
        args: list[str | Path] = ["diff", releases[old], releases[new], "--format", "json"]
        args += [a for path in overlays_for(releases[old]) for a in ("--old-overlay", path)]
        args += [a for path in overlays_for(releases[new]) for a in ("--new-overlay", path)]
        result = clientgen(*args, cwd=work)
        assert result.returncode in (0, 1), result.stderr  # 1: something is breaking
        report = json.loads(result.stdout)
        assert (result.returncode == 1) == (report["breaking"] > 0)
        measured[(old, new)] = (len(report["changes"]), report["breaking"])
    documented = {
        (m["old"], m["new"]): (int(m["changes"]), int(m["breaking"]))
        for m in re.finditer(
            r"^\| (?P<old>[\d.]+) → (?P<new>[\d.]+) \| (?P<changes>\d+) \| (?P<breaking>\d+) \|", DOC.read_text(), re.M
        )
    }
    table = "\n".join(f"| {o} → {n} | {c} | {b} |" for (o, n), (c, b) in measured.items())
    assert documented == measured, f"docs/airflow-releases.md's table should read:\n{table}"


def test_the_documented_overlay_ranges_are_the_shipped_ones() -> None:
    text = DOC.read_text()
    for name, (first, last) in AIRFLOW_OVERLAYS.items():
        assert f"| `{name}` | {first[0]}.{first[1]} to {last[0]}.{last[1]} |" in text
    assert sorted(AIRFLOW_OVERLAYS) == sorted(p.name for p in OVERLAYS.glob("*.yaml"))
