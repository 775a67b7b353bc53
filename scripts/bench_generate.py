"""Benchmark `clientgen generate` on Airflow 2.10.5's spec; prints figures, asserts nothing.

Each run is a fresh `python -m generator` process, as a user runs it (with Python's bytecode cache, which an
installed package has, whatever this shell's PYTHONDONTWRITEBYTECODE says; a warm-up run writes it):
- cold: empty caches (no validation or black cache) and no previous output;
- warm caches: caches filled, no previous output (a spec seen before, a fresh checkout);
- unchanged: the output is already there and current (the manifest fast path).
The floor (import + parse + validate in one process) is measured in the same run, for the ratio.

Usage: python scripts/bench_generate.py [--runs N] [--spec PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--spec", type=Path, default=ROOT / "specs/airflow-2.10.5/v1.yaml")
    parser.add_argument("--overlay", type=Path, default=ROOT / "specs/overlays/airflow-2-fixes.yaml")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="clientgen-bench-"))
    out = work / "out"
    base = [
        sys.executable,
        "-m",
        "generator",
        "generate",
        str(args.spec),
        "-o",
        str(out),
        "--package-name",
        "bench_client",
        "--overlay",
        str(args.overlay),
    ]
    cold, warm, unchanged, floor = [], [], [], []
    base_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    try:
        timed(base, {**base_env, "CLIENTGEN_CACHE_DIR": str(work / "warm-up")})
        for i in range(args.runs):
            env = {**base_env, "CLIENTGEN_CACHE_DIR": str(work / f"cache-{i}")}
            shutil.rmtree(out, ignore_errors=True)
            cold.append(timed(base, env))
            shutil.rmtree(out, ignore_errors=True)
            warm.append(timed(base, env))
            unchanged.append(timed(base, env))
            floor_env = {**env, "CLIENTGEN_CACHE_DIR": str(work / f"floor-{i}")}
            floor.append(
                timed(
                    [
                        sys.executable,
                        "-c",
                        "import sys; from pathlib import Path; from generator.loader import load_spec; "
                        "load_spec(Path(sys.argv[1]), (Path(sys.argv[2]),))",
                        str(args.spec),
                        str(args.overlay),
                    ],
                    floor_env,
                )
            )
        py_files = [p for p in out.rglob("*.py")]
        lines = sum(p.read_text().count("\n") for p in py_files)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def fmt(values: list[float]) -> str:
        return (
            f"median {statistics.median(values):.3f} s (min {min(values):.3f}, max {max(values):.3f}, n={len(values)})"
        )

    print(f"spec: {args.spec.relative_to(ROOT)}   machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"cold generate (empty caches, no output):   {fmt(cold)}   target <= 1.0 s")
    print(f"generate with warm caches (no output):     {fmt(warm)}")
    print(f"unchanged spec regenerated:                {fmt(unchanged)}   target <= 0.3 s")
    print(f"floor: import + parse + validate:          {fmt(floor)}")
    print(f"ratio cold / floor: {statistics.median(cold) / statistics.median(floor):.2f}x")
    print(
        f"generated Python: {lines} lines in {len(py_files)} files   target <= 12,000 "
        "(peers: openapi-python-client 34,506; openapi-generator 42,728; official client 53,255)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
