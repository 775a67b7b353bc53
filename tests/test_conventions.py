"""What a Python user's habits expect of the tool (issue 15): ``clientgen --version`` naming what decides
the output's bytes, stages shown on a terminal (and nothing when stderr is not one), and the
``clientgen-check`` pre-commit hook this repository offers. The import name is tested on the installed
wheel (tests/test_quality.py)."""

from __future__ import annotations

import os
import pty
import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

import clientgen
from tests.conftest import ROOT, SPECS, run_cli


def test_version_names_the_generator_and_the_tools_that_decide_the_bytes() -> None:
    result = run_cli("--version")
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout == (
        f"clientgen {clientgen.__version__} "
        f"(black {version('black')}, openapi-spec-validator {version('openapi-spec-validator')})\n"
    )


def test_the_installed_command_and_python_m_clientgen_are_the_same_tool() -> None:
    command = Path(sys.executable).parent / "clientgen"
    if not command.exists():
        pytest.skip(f"{command} not installed (pip install -e . puts it there)")
    assert subprocess.run([command, "--version"], capture_output=True, text=True, check=True).stdout == (
        run_cli("--version").stdout
    )


def on_a_terminal(*args: str | Path, env: dict[str, str]) -> tuple[int, str, str]:
    """Runs the CLI with stderr on a pseudo-terminal (stdout piped): exit code, stdout, stderr."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "clientgen", *map(str, args)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=terminal, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(terminal)
    seen = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # EIO: the terminal's last holder closed it
            break
        if not chunk:
            break
        seen += chunk
    os.close(controller)
    stdout = process.communicate(timeout=300)[0]
    return process.returncode, stdout.decode(), seen.decode().replace("\r\n", "\n")


@pytest.mark.slow
def test_a_long_generation_shows_its_stages_on_a_terminal_and_nothing_elsewhere(tmp_path: Path) -> None:
    """A synthetic spec of 1,000 operations cold (a few seconds; Airflow 3.3.2 now takes under one): the
    stage it is in after a second (with the ones before and their times), each next one as it starts,
    and a last line with every stage's time, all on stderr; stdout's summary line is the same as without
    a terminal."""
    spec = tmp_path / "synthetic.json"
    made = [sys.executable, str(ROOT / "scripts" / "synthetic_spec.py"), "1000", str(spec)]
    subprocess.run(made, check=True, capture_output=True)
    env = {**os.environ, "CLIENTGEN_CACHE_DIR": str(tmp_path / "cache")}
    code, stdout, stderr = on_a_terminal("generate", spec, "-o", tmp_path / "a", "--package-name", "af3", env=env)
    assert code == 0, stderr
    warned = [line for line in stderr.splitlines() if line.startswith("warning: ")]  # the spec's, as always
    lines = [line for line in stderr.splitlines() if not line.startswith("warning: ")]
    stage = r"(load|render|format|validate|write)"
    timed = rf"{stage} \d+\.\d\d s"
    assert all(re.fullmatch(rf"af3: ({timed}(, {timed})*; )?{stage}\.\.\.", line) for line in lines[:-1]), lines
    assert len(lines) >= 2
    assert re.fullmatch(
        r"af3: \d+\.\d\d s \(load [\d.]+ s, render [\d.]+ s, format [\d.]+ s, validate [\d.]+ s, write [\d.]+ s\)",
        lines[-1],
    ), lines[-1]
    # the stages shown starting are in the pipeline's order, the last of them write
    starting = [re.findall(rf"{stage}\.\.\.$", line)[0] for line in lines[:-1]]
    order = ["load", "render", "format", "validate", "write"]
    assert starting == sorted(set(starting), key=order.index) and starting[-1] == "write", starting
    assert re.fullmatch(r"af3: 1000 operations, \d+ models, \d+ files, [\d.]+ s -> .* \(written\)\n", stdout)

    piped = run_cli(
        "generate", spec, "-o", tmp_path / "b", "--package-name", "af3", "--no-cache"
    )  # as long, not a terminal
    assert piped.returncode == 0 and piped.stderr.splitlines() == warned
    assert re.sub(r"[\d.]+ s", "", piped.stdout).replace(str(tmp_path / "b"), "") == re.sub(
        r"[\d.]+ s", "", stdout
    ).replace(str(tmp_path / "a"), "")


def test_a_quick_generation_shows_nothing_extra_on_a_terminal(tmp_path: Path) -> None:
    """An up-to-date target takes a fraction of a second: no stage lines, no timings."""
    spec = SPECS / "airflow-2.2.4" / "v1.yaml"
    out = tmp_path / "a"
    assert run_cli("generate", spec, "-o", out, "--package-name", "af2").returncode == 0
    code, stdout, stderr = on_a_terminal("generate", spec, "-o", out, "--package-name", "af2", env=dict(os.environ))
    extra = [line for line in stderr.splitlines() if not line.startswith("warning: ")]  # the spec's, as always
    assert code == 0 and extra == [] and stdout.endswith("(unchanged)\n")


# -- the pre-commit hook ----------------------------------------------------------------------------


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo, check=True, capture_output=True,
    )  # fmt: skip


@pytest.mark.precommit
def test_the_pre_commit_hook_fails_on_a_stale_vendored_client_and_passes_on_a_fresh_one(tmp_path: Path) -> None:
    """A user's repository vendors Airflow 2.2.4's client (a [tool.clientgen] target) and runs this
    repository's ``clientgen-check`` hook, installed by pre-commit from this checkout into its own
    environment (``pre-commit try-repo``): fresh passes; a changed spec and a hand-edited generated file
    each fail naming the stale file; regenerating passes again."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    app = tmp_path / "app"
    (app / "spec").mkdir(parents=True)
    shutil.copy(SPECS / "airflow-2.2.4" / "v1.yaml", app / "spec" / "v1.yaml")
    (app / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "1"\n\n'
        "[[tool.clientgen.targets]]\n"
        'name = "airflow"\nspec = "spec/v1.yaml"\noutput = "vendor/airflow_client"\n'
        'package-name = "airflow_client"\nlayout = "package"\n'
    )
    assert run_cli("generate", cwd=app).returncode == 0
    git(app, "init", "-q")
    git(app, "add", ".")
    git(app, "commit", "-q", "-m", "vendored client")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env.pop("VIRTUAL_ENV", None)

    def hook() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "clientgen-check", "--all-files"],
            cwd=app, env=env, capture_output=True, text=True, timeout=900, check=False,
        )  # fmt: skip

    fresh = hook()
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert re.search(r"clientgen generate --check\.+Passed", fresh.stdout), fresh.stdout

    spec = app / "spec" / "v1.yaml"
    original = spec.read_text()
    spec.write_text(original.replace("summary: List pools", "summary: List every pool", 1))
    stale = hook()
    assert stale.returncode == 1 and "Failed" in stale.stdout, stale.stdout
    assert "files that would change:" in stale.stdout and "resources/_pool.py" in stale.stdout, stale.stdout

    spec.write_text(original)
    edited = app / "vendor" / "airflow_client" / "models" / "_pool.py"
    edited.write_text(edited.read_text() + "# a hand edit\n")
    assert hook().returncode == 1
    edited.write_text(edited.read_text().removesuffix("# a hand edit\n"))

    assert hook().returncode == 0
