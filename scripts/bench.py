"""Every performance target of the project from one command: generation side by side with
openapi-python-client (scripts/bench_generate.py --peer), then the runtime figures
(scripts/bench_runtime.py: decoding, per-call cost over raw httpx, import of the Airflow and GitHub
clients). Prints figures, ratios and whether each target is met; asserts nothing.

Usage: python scripts/bench.py [--runs N]   (N: cold generation runs per spec, default 3)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    generation = [sys.executable, str(SCRIPTS / "bench_generate.py"), "--peer", "--runs", str(args.runs)]
    runtime = [sys.executable, str(SCRIPTS / "bench_runtime.py")]
    print("== generation, cold, beside openapi-python-client", flush=True)
    first = subprocess.run(generation, check=False).returncode
    print("\n== runtime", flush=True)
    second = subprocess.run(runtime, check=False).returncode
    return first or second


if __name__ == "__main__":
    raise SystemExit(main())
