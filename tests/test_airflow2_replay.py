"""The Airflow 2.10.5 scenarios replayed from fixtures recorded against a real server (offline)."""

from __future__ import annotations

import pytest

from tests.airflow2.harness import AIRFLOW2, replay
from tests.airflow2.scenarios import SCENARIOS

FIXTURES = AIRFLOW2.fixtures


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario_replayed_from_recording(name: str) -> None:
    transport = replay(AIRFLOW2, name)
    assert transport.position > 0


def test_every_scenario_has_a_recording_and_no_credentials_leak() -> None:
    assert sorted(p.stem for p in FIXTURES.glob("*.json")) == sorted(SCENARIOS)
    for path in FIXTURES.glob("*.json"):
        text = path.read_text()
        assert "authorization" not in text.lower() and "Basic YWRtaW46" not in text
        for secret in ("s3cret", "pw-123456"):
            assert secret not in text, (path.name, secret)


def test_live_coverage_and_readme_table() -> None:
    import subprocess
    import sys

    from tests.airflow2.coverage import all_operations, exercised
    from tests.airflow2.harness import ROOT

    ops, used = all_operations(), exercised()
    assert len(ops) == 89
    assert len(used) >= 0.8 * len(ops), sorted(set(ops) - set(used))
    table = subprocess.run(
        [sys.executable, "scripts/airflow_coverage.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    readme = (ROOT / "README.md").read_text()
    start, end = "<!-- airflow-coverage:start -->\n", "\n<!-- airflow-coverage:end -->"
    assert readme[readme.index(start) + len(start) : readme.index(end)] == table, "run scripts/airflow_coverage.py"
