"""What a run made is freed when the run ends, for a library caller; the CLI, whose process ends right after its
runs (``os._exit``), leaves it to the exit instead of freeing ~300k objects one by one (``processes``)."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any

import pytest

from clientgen import ir, processes
from clientgen import normalise as normalise_package
from clientgen.config import Target
from tests.conftest import MINIMAL, write


def run_and_watch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> weakref.ref[ir.Api]:
    from clientgen.pipeline import generate

    made: list[weakref.ref[ir.Api]] = []
    real = normalise_package.normalise

    def watched(*args: Any, **kwargs: Any) -> ir.Api:
        api = real(*args, **kwargs)
        made.append(weakref.ref(api))
        return api

    monkeypatch.setattr(normalise_package, "normalise", watched)
    spec = write(tmp_path / "spec.yaml", MINIMAL)
    result = generate(Target(name="t", spec=spec, output=tmp_path / "out", package="left_client"))
    assert result.status == "written"
    gc.collect()
    return made[0]


def test_a_library_run_frees_what_it_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(processes, "_left", None)
    assert run_and_watch(tmp_path, monkeypatch)() is None


def test_the_cli_leaves_what_a_run_made_to_the_exit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(processes, "_left", None)
    processes.leave_to_exit()
    assert run_and_watch(tmp_path, monkeypatch)() is not None
