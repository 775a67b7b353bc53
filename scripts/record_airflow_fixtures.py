"""Re-record tests/fixtures/airflow-2.10.5/ from a fresh, real Airflow 2.10.5 (one command):

    python scripts/record_airflow_fixtures.py [SCENARIO ...]

Starts the server with scripts/airflow_server.py (installing it on first use), runs each scenario of
tests/airflow2/scenarios.py through the generated client while recording, writes one JSON fixture per
scenario (credentials scrubbed), and stops the server.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import airflow_server  # noqa: E402

from tests.airflow2.harness import FIXTURES, run_live  # noqa: E402
from tests.airflow2.scenarios import SCENARIOS  # noqa: E402


def main(names: list[str]) -> int:
    server = airflow_server.start()
    try:
        for name in names or list(SCENARIOS):
            started = time.perf_counter()
            exchanges = run_live(name, server.base_url, record=True)
            took = time.perf_counter() - started
            print(f"{name}: {len(exchanges)} exchanges, {took:.1f} s -> {FIXTURES.relative_to(ROOT)}/{name}.json")
    finally:
        airflow_server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
