"""The Airflow 3.3.2 scenarios replayed from fixtures recorded against a real server (offline)."""

from __future__ import annotations

import pytest

from tests.airflow2.harness import AIRFLOW3, replay


@pytest.mark.parametrize("name", list(AIRFLOW3.scenarios))
def test_scenario_replayed_from_recording(name: str) -> None:
    assert replay(AIRFLOW3, name).position > 0


def test_recordings_hold_no_credentials() -> None:
    assert sorted(p.stem for p in AIRFLOW3.fixtures.glob("*.json")) == sorted(AIRFLOW3.scenarios)
    for path in AIRFLOW3.fixtures.glob("*.json"):
        text = path.read_text()
        assert "eyJhbGci" not in text, path.name  # no JWT (its header segment: {"alg": ...)
        assert '"password": "admin"' not in text and "authorization" not in text.lower()
