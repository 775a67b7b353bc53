"""Whole-output gates: type-checking, formatting, determinism, in-sync generated/, lint."""

from __future__ import annotations

import importlib
import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import COMMITTED, ROOT, SPECS, run_cli

OVERLAY = SPECS / "overlays" / "airflow-2-fixes.yaml"
# operations per Airflow version, as counted in ../shared/docs/AIRFLOW-FACTS.md
OTHER_2X = {"2.5.3": 73, "2.7.3": 74, "2.9.3": 81}


def tool(*args: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )


def mypy_strict(folders_and_packages: list[tuple[Path, str]], cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MYPYPATH": os.pathsep.join(str(f) for f, _ in folders_and_packages)}
    args: list[str | Path] = ["mypy", "--strict", "--no-incremental", "--cache-dir", cache]
    for _, package in folders_and_packages:
        args += ["-p", package]
    return tool(*args, cwd=cache.parent, env=env)


@pytest.mark.slow
def test_committed_clients_pass_mypy_strict(tmp_path: Path) -> None:
    targets = [(folder, package) for package, folder in COMMITTED.values()]
    targets.append((ROOT / "tests" / "golden" / "focused", "focused_client"))
    result = mypy_strict(targets, tmp_path / "cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout


@pytest.mark.slow
def test_other_airflow_2x_specs_generate_import_and_type_check(tmp_path: Path) -> None:
    targets = []
    for version, operations in OTHER_2X.items():
        package = "airflow_" + version.replace(".", "_")
        out = tmp_path / package
        result = run_cli(
            "generate",
            SPECS / f"airflow-{version}" / "v1.yaml",
            "-o",
            out,
            "--package-name",
            package,
            "--overlay",
            OVERLAY,
        )
        assert result.returncode == 0, result.stderr
        assert f"{operations} operations" in result.stdout
        targets.append((out, package))
        sys.path.insert(0, str(out))
        try:
            module = importlib.import_module(package)
            client = module.Client("http://localhost:8080", auth=module.BasicAuth("u", "p"))
            assert callable(client.dag.get_dags) and callable(client.dag_run.post_dag_run)
        finally:
            sys.path.remove(str(out))
    result = mypy_strict(targets, tmp_path / "cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_python_is_black_clean(tmp_path: Path) -> None:
    """Under black's defaults (an empty configuration: not this repository's), as a user vendoring the
    package runs it."""
    files = [p for _, folder in COMMITTED.values() for p in folder.rglob("*.py")]
    assert len(files) >= 14
    defaults = tmp_path / "pyproject.toml"
    defaults.write_text("")
    result = tool("black", "--check", "--config", defaults, *files)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("version", ["2.10.5"])
def test_templates_emit_black_layout_so_black_has_nothing_to_redo(version: str) -> None:
    """black runs a second full pass whenever its first changed anything: a template that drifts from
    black's layout doubles the cold-generation cost without any test failing otherwise. (3.3.2 still
    drifts where a union annotation is too long for one line: black wraps it in parentheses.)"""
    from clientgen.config import load_targets
    from clientgen.loader import load_spec
    from clientgen.normalise import normalise
    from clientgen.render import render_package
    from clientgen.writer import RUNTIME_FILE, _format_one

    (target,) = [t for t in load_targets(ROOT / "pyproject.toml") if t.name == f"airflow-{version}"]
    api = normalise(load_spec(target.spec, target.overlays, validate=False))
    files = render_package(api, target.package, target.package_version or "0")
    for name, text in files.items():
        if name.endswith(".py") and not name.endswith(RUNTIME_FILE):
            assert _format_one(text) == text, name


def test_runtime_source_is_black_clean() -> None:
    """The runtime is copied verbatim (not re-formatted), so it must already be formatted."""
    runtime = ROOT / "templates" / "runtime" / "_runtime.py"
    result = tool("black", "--check", "--line-length", "88", "--target-version", "py310", runtime)
    assert result.returncode == 0, result.stderr


def test_generate_check_is_clean_on_the_committed_output() -> None:
    result = run_cli("generate", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("(up to date)") == len(COMMITTED)


def test_generate_check_reports_stale_files_and_touches_nothing(tmp_path: Path) -> None:
    out = tmp_path / "client"
    spec = SPECS / "airflow-2.2.4" / "v1.yaml"
    assert run_cli("generate", spec, "-o", out, "--package-name", "c").returncode == 0
    models = out / "c" / "models" / "_dag.py"
    models.write_text(models.read_text() + "# local edit\n")
    (out / "c" / "stray.py").write_text("x = 1\n")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    result = run_cli("generate", spec, "-o", out, "--package-name", "c", "--check")
    assert result.returncode == 1
    assert "c/models/_dag.py" in result.stderr
    assert "c/stray.py" not in result.stderr  # the user's own file: generate would keep it, so no change
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_generation_is_byte_for_byte_deterministic(tmp_path: Path) -> None:
    """Two generations in fresh processes, different hash seeds, no caches: identical bytes,
    identical to what is committed."""
    from clientgen.config import load_targets

    target = next(t for t in load_targets(ROOT / "pyproject.toml") if t.name == "airflow-2.10.5")
    overlays = [arg for overlay in target.overlays for arg in ("--overlay", str(overlay))]
    committed = target.output
    trees = []
    for seed in ("1", "4242"):
        out = tmp_path / f"out-{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed, "CLIENTGEN_CACHE_DIR": str(tmp_path / f"cache-{seed}")}
        result = subprocess.run(
            [sys.executable, "-m", "clientgen", "generate", target.spec, "-o", out,
             "--package-name", target.package, *overlays],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        trees.append({p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    assert trees[0] == trees[1]
    for name, data in trees[0].items():
        assert (committed / name).read_bytes() == data, name


def test_generated_code_is_ruff_clean() -> None:
    """A fixed rule set (not the installed ruff's defaults), so a ruff upgrade cannot move the bar;
    line length is black's business (docstrings hold the spec's prose as written)."""
    folders = [folder for _, folder in COMMITTED.values()] + [ROOT / "tests" / "golden"]
    result = tool(
        "ruff", "check", "--isolated", "--select", "E,F,W,I,UP,B", "--ignore", "E501",
        "--target-version", "py310", "--line-length", "88", *folders,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout


def test_generator_is_ruff_and_mypy_clean() -> None:
    ruff = tool("ruff", "check", "generator", "tests", "scripts")
    assert ruff.returncode == 0, ruff.stdout
    mypy = tool("mypy")
    assert mypy.returncode == 0, mypy.stdout


@pytest.mark.slow
def test_installed_wheel_carries_the_templates(tmp_path: Path) -> None:
    """Built and installed like a user's `pip install clientgen`, run from outside the repository."""
    wheel_dir, venv = tmp_path / "wheel", tmp_path / "venv"
    built = tool("pip", "wheel", "--quiet", "--no-deps", "-w", wheel_dir, ROOT)
    assert built.returncode == 0, built.stderr
    (wheel,) = wheel_dir.glob("clientgen-*.whl")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    python = venv / "bin" / "python"
    # the generator's dependencies (black, jinja2...) from this interpreter's site-packages, listed
    # after the venv's own: a plain path entry, so this checkout's editable install is not loaded
    venv_site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    Path(venv_site, "clientgen-test-deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall", wheel], check=True)
    out = tmp_path / "client"
    result = subprocess.run(
        [python, "-m", "clientgen", "generate", SPECS / "airflow-2.2.4" / "v1.yaml", "-o", out, "--package-name", "w"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    where = subprocess.run(
        [python, "-c", "import clientgen.render as r; print(r.templates_dir())"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert str(venv) in where.stdout and "site-packages/clientgen/templates" in where.stdout
    listing = "from clientgen.fetch import overlays_dir as d; print(d(), *sorted(p.name for p in d().glob('*')))"
    shipped = subprocess.run(
        [python, "-c", listing],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    )  # fmt: skip
    folder, *names = shipped.stdout.split()
    assert str(venv) in folder and folder.endswith("site-packages/clientgen/overlays")
    assert [n for n in names if n.endswith(".yaml")] == sorted(p.name for p in (SPECS / "overlays").glob("*.yaml"))
    runtime = (out / "w" / "_runtime.py").read_text().split("\n", 1)[1]
    assert runtime == (ROOT / "templates" / "runtime" / "_runtime.py").read_text()
    # One version, one output: the wheel's package, manifest (fingerprint) included, is the checkout's
    # byte for byte, so `generate --check` agrees whichever of them a user's pre-commit installed.
    here = tmp_path / "from-checkout"
    assert run_cli("generate", SPECS / "airflow-2.2.4" / "v1.yaml", "-o", here, "--package-name", "w").returncode == 0
    assert files_of(out) == files_of(here)
    # The import name is clientgen: no generic top-level `generator` module lands in the environment.
    names = subprocess.run(
        [python, "-c", "import importlib.util as u; print(u.find_spec('generator'), u.find_spec('clientgen').name)"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert names.stdout.split() == ["None", "clientgen"]
    assert subprocess.run([python, "-m", "clientgen", "--version"], capture_output=True, text=True).stdout.startswith(
        "clientgen "
    )


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
