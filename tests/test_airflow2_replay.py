"""The Airflow 2.10.5 scenarios replayed from fixtures recorded against a real server (offline)."""

from __future__ import annotations

import pytest

from tests.airflow2.harness import FIXTURES, replay
from tests.airflow2.scenarios import SCENARIOS


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario_replayed_from_recording(name: str) -> None:
    transport = replay(name)
    assert transport.position > 0


def test_every_scenario_has_a_recording_and_no_credentials_leak() -> None:
    assert sorted(p.stem for p in FIXTURES.glob("*.json")) == sorted(SCENARIOS)
    for path in FIXTURES.glob("*.json"):
        text = path.read_text()
        assert "authorization" not in text.lower() and "Basic YWRtaW46" not in text
        for secret in ("s3cret", "pw-123456"):
            assert secret not in text, (path.name, secret)
