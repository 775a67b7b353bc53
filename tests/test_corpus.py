"""The public spec corpus (scripts/corpus.py), run by .ci/run with ``pytest -m corpus``: the pinned specs
are fetched from the npm registry, each is generated, checked for reachability, imported and type-checked,
and openapi-python-client runs on the same spec. The table is printed; the bar is issue 11's. Generation runs
with ``CLIENTGEN_CHECK_PROOFS=1``: black also formats every piece ``layout_proof`` proved already in black's
layout, and a difference stops that spec with a traceback (which fails this test)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / "scripts" / "corpus.py"


@pytest.mark.corpus
def test_the_public_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    subprocess.run([sys.executable, str(SCRIPT), "fetch"], check=True, capture_output=True)
    report = tmp_path / "corpus.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "run", "--peer", "--jobs", "2", "--json", str(report)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "CLIENTGEN_CHECK_PROOFS": "1"},
    )
    with capsys.disabled():
        print("\n" + done.stdout)
    results = json.loads(report.read_text())
    assert len(results) >= 150
    generated = [r for r in results if r["result"] not in ("refused", "traceback", "timeout")]
    assert len(generated) >= 0.99 * len(results)
    assert [r["spec"] for r in results if r["result"] in ("traceback", "timeout")] == []
    assert [r["spec"] for r in results if r["result"] in ("unreachable", "import", "mypy")] == []
    fewer = [r["spec"] for r in results if r["peer"] == "ok" and r["generated"] < r["peer_operations"]]
    assert fewer == []
