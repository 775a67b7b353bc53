"""Re-record tests/fixtures/airflow-VERSION/ from a fresh, real Airflow (one command):

    python scripts/record_airflow_fixtures.py [--version 2.10.5|3.3.2] [SCENARIO ...]

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

from tests.airflow2.harness import FLAVORS, run_live  # noqa: E402


def main(argv: list[str]) -> int:
    version = "2.10.5"
    if argv[:1] == ["--version"]:
        version, argv = argv[1], argv[2:]
    flavor = FLAVORS[version]
    server = airflow_server.start(version)
    try:
        for name in argv or list(flavor.scenarios):
            started = time.perf_counter()
            exchanges = run_live(flavor, name, server.base_url, record=True)
            took = time.perf_counter() - started
            where = flavor.fixtures.relative_to(ROOT)
            print(f"{name}: {len(exchanges)} exchanges, {took:.1f} s -> {where}/{name}.json")
    finally:
        airflow_server.stop(version)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
