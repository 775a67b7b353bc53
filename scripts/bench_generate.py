"""Benchmark `clientgen generate` on Airflow 2.10.5's spec; prints figures, asserts nothing.

Each run is a fresh `python -m clientgen` process, as a user runs it (with Python's bytecode cache, which an
installed package has, whatever this shell's PYTHONDONTWRITEBYTECODE says; a warm-up run writes it):
- cold: empty caches (no validation or black cache) and no previous output;
- warm caches: caches filled, no previous output (a spec seen before, a fresh checkout);
- unchanged: the output is already there and current (the manifest fast path).
The floor (import + parse + validate in one process) is measured in the same run, for the ratio.

Usage: python scripts/bench_generate.py [--runs N] [--spec PATH]

With ``--peer``, instead: clientgen and openapi-python-client (pinned as in scripts/corpus.py, installed into
the bench-only ``.local/bench/peer``) side by side in one run, cold (empty caches, no output), per spec:
Airflow 2.10.5 and 3.3.2, GitHub's and Stripe's (from scripts/corpus.py's packages), every other spec of the
corpus (scripts/corpus.py's rule) with at least 100 operations, and synthetic specs of 100, 1,000 and 5,000
operations (scripts/synthetic_spec.py): median wall seconds of each, the ratio, and each one's peak RSS (the
largest process of the run); then how many corpus specs of >= 100 operations are within the peer's time, the
scaling ratio 5k/1k, and GitHub's regeneration after a one-operation change with warm caches, as a share of cold.

    python scripts/bench_generate.py --peer [--runs N] [--only NAME]
"""

from __future__ import annotations

import argparse
import json
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


def measured(cmd: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak RSS in MiB (the largest process of the run) of one command."""
    outcome = attempt(cmd, env)
    if isinstance(outcome, str):
        raise SystemExit(f"{' '.join(cmd)} failed: {outcome}")
    return outcome


# Runs each measured command for this process. A child's peak RSS counts the memory it was born with,
# which for a child of this process (holding the synthetic specs, ~80 MiB) would hide the figure: the
# runner is started while this process is still small, and forks the commands itself.
RUNNER = r"""
import json, os, subprocess, sys, tempfile, time
for request in sys.stdin:
    cmd, env, cwd = json.loads(request)
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        errors.seek(max(0, errors.seek(0, 2) - 4096))
        lines = [line for line in errors.read().decode("utf-8", "replace").splitlines() if line.strip()]
    answer = [seconds, usage.ru_maxrss // 1024, os.waitstatus_to_exitcode(status), lines[-1][:150] if lines else ""]
    print(json.dumps(answer), flush=True)
"""
_runner: subprocess.Popen[str] | None = None


def start_runner() -> None:
    global _runner
    if _runner is None:
        _runner = subprocess.Popen(
            [sys.executable, "-c", RUNNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )


def attempt(cmd: list[str], env: dict[str, str]) -> tuple[float, int] | str:
    """``measured``'s figures, or the last line the command printed when it failed."""
    start_runner()
    assert _runner is not None and _runner.stdin is not None and _runner.stdout is not None
    _runner.stdin.write(json.dumps([cmd, env, str(ROOT)]) + "\n")
    _runner.stdin.flush()
    seconds, rss, code, last = json.loads(_runner.stdout.readline())
    if code != 0:
        return f"exit {code}: {last.strip() or 'no output'}"
    return float(seconds), int(rss)


def peer_tool() -> Path:
    sys.path.insert(0, str(ROOT / "scripts"))
    from corpus import PEER

    home = ROOT / ".local" / "bench" / "peer"
    tool = home / "bin" / "openapi-python-client"
    if not tool.exists():
        subprocess.run([sys.executable, "-m", "venv", str(home)], check=True)
        subprocess.run([str(home / "bin" / "pip"), "install", "--quiet", PEER], check=True)
    return tool


def bench_specs(work: Path, only: str | None) -> list[tuple[str, Path]]:
    sys.path.insert(0, str(ROOT / "scripts"))
    from corpus import HOME, chosen, fetch_specs, label, spec_operations
    from synthetic_spec import synthetic

    directory = Path(fetch_specs())
    github = next(Path(HOME).glob("_octokit+openapi_*/package/generated/api.github.com.json"))
    specs = [
        ("Airflow 2.10.5", ROOT / "specs" / "airflow-2.10.5" / "v1.yaml"),
        ("Airflow 3.3.2", ROOT / "specs" / "airflow-3.3.2" / "v2-rest-api-generated.yaml"),
        ("GitHub", github),
        ("Stripe", directory / "stripe.com.json"),
    ]
    # The "every spec of the corpus with >= 100 operations" (GitHub's is the row above).
    big = [(spec_operations(path), path) for path in chosen() if path != github]
    for operations, path in sorted((n, p) for n, p in big if n >= CORPUS_MIN_OPERATIONS):
        specs.append((f"{CORPUS_PREFIX}{label(path).removesuffix('.json')} ({operations})", path))
    for operations in (100, 1000, 5000):
        path = work / f"synthetic-{operations}.json"
        path.write_text(json.dumps(synthetic(operations)), encoding="utf-8")
        specs.append((f"synthetic {operations}", path))
    return [(name, path) for name, path in specs if only is None or only.lower() in name.lower()]


CORPUS_PREFIX = "corpus "
CORPUS_MIN_OPERATIONS = 100


# The targets (clientgen / openapi-python-client, cold wall time), per spec of the table.
TARGETS = {"Airflow 2.10.5": 0.5}
DEFAULT_TARGET = 1.0  # every spec of >= 100 operations: at most the peer's time


def compare(runs: int, only: str | None) -> int:
    start_runner()
    tool = peer_tool()
    work = Path(tempfile.mkdtemp(prefix="clientgen-bench-"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    rows: dict[str, tuple[float, float | None]] = {}
    memory: dict[str, int] = {}
    specs = bench_specs(work, only)
    width = max([16, *(len(name) for name, _ in specs)])
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; cold runs, median of {runs}")
    print(
        f"{'spec':{width}} {'clientgen s':>12} {'peer s':>8} {'ratio':>6} {'target':>7} "
        f"{'clientgen MiB':>14} {'peer MiB':>9}"
    )
    try:
        for name, spec in specs:
            ours, theirs, our_rss, their_rss = [], [], [], []
            failure = ""
            for run in range(runs):
                out = work / f"out-{run}"
                shutil.rmtree(out, ignore_errors=True)
                cache = {**env, "CLIENTGEN_CACHE_DIR": str(work / f"cache-{name}-{run}")}
                command = [sys.executable, "-m", "clientgen", "generate", str(spec), "-o", str(out)]
                seconds, rss = measured([*command, "--package-name", "bench_client"], cache)
                ours.append(seconds)
                our_rss.append(rss)
                if failure:
                    continue  # a failure is not a timing: the peer runs a failing spec once (Stripe: 4+ min)
                peer_out = work / f"peer-{run}"
                shutil.rmtree(peer_out, ignore_errors=True)
                peer = [str(tool), "generate", "--path", str(spec), "--output-path", str(peer_out), "--meta", "none"]
                outcome = attempt(peer, env)
                if isinstance(outcome, str):
                    failure = outcome
                else:
                    theirs.append(outcome[0])
                    their_rss.append(outcome[1])
            mine = statistics.median(ours)
            memory[name] = max(our_rss)
            target = TARGETS.get(name, DEFAULT_TARGET)
            if not theirs:
                rows[name] = (mine, None)
                print(f"{name:{width}} {mine:12.2f} {'failed':>8} {'-':>6} {'-':>7} {max(our_rss):14} {'-':>9}")
                print(f"{'':{width}} openapi-python-client failed on it ({failure})")
                continue
            peers = statistics.median(theirs)
            rows[name] = (mine, peers)
            ratio = mine / peers
            verdict = "met" if ratio <= target else "not met"
            print(
                f"{name:{width}} {mine:12.2f} {peers:8.2f} {ratio:5.2f}x {target:6.1f}x {max(our_rss):14} "
                f"{max(their_rss):9}   {verdict}",
                flush=True,
            )
            if name == "GitHub":
                lighter = "met" if max(our_rss) <= max(their_rss) else "not met"
                print(f"{'':{width}} peak memory on GitHub's spec <= the peer's: {lighter}")
        corpus = {name: row for name, row in rows.items() if name.startswith(CORPUS_PREFIX) or name == "GitHub"}
        if any(name.startswith(CORPUS_PREFIX) for name in corpus):
            compared = {name: mine / peers for name, (mine, peers) in corpus.items() if peers is not None}
            within = sum(ratio <= DEFAULT_TARGET for ratio in compared.values())
            failed = len(corpus) - len(compared)
            scope = "GitHub's included" if "GitHub" in corpus else "without GitHub"
            print(
                f"corpus specs with >= {CORPUS_MIN_OPERATIONS} operations "
                f"({scope}) at most the "
                f"peer's time: {within} of {len(compared)}"
                + (f" ({failed} more the peer failed on)" if failed else "")
                + (f"; ratios {min(compared.values()):.2f}x-{max(compared.values()):.2f}x" if compared else "")
                + f": {'met' if compared and within == len(compared) else 'not met'}"
            )
        if "synthetic 1000" in rows and "synthetic 5000" in rows:
            scale = rows["synthetic 5000"][0] / rows["synthetic 1000"][0]
            grown = memory["synthetic 5000"] / memory["synthetic 1000"]
            print(f"scaling, clientgen 5k / 1k operations: time {scale:.2f}x, memory {grown:.2f}x (target <= 5.5x)")
        if "GitHub" in rows:
            print(f"GitHub regeneration after a one-operation change, warm caches: {regenerate_github(work, env)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def regenerate_github(work: Path, env: dict[str, str]) -> str:
    """A user's regeneration: the same spec file, changed in one operation's summary, into the same output
    with the caches of the first run. (A copy under another name would change every model's docstring,
    which names the spec file: not one operation's change.)"""
    github = next(p for name, p in bench_specs(work, "GitHub"))
    cache = {**env, "CLIENTGEN_CACHE_DIR": str(work / "cache-regen")}
    spec = work / "regen" / github.name
    spec.parent.mkdir(exist_ok=True)
    shutil.copyfile(github, spec)
    command = [sys.executable, "-m", "clientgen", "generate", str(spec), "-o", str(work / "out-regen")]
    command += ["--package-name", "bench_client"]
    cold, _ = measured(command, cache)
    data = json.loads(spec.read_text(encoding="utf-8"))
    operation = next(op for item in data["paths"].values() for key, op in item.items() if key == "get")
    summary = operation.get("summary", "")
    warm = []
    # The first change is written by json.dumps, which lays the whole file out anew (the package's file is
    # indented, with its non-ASCII as it is): every unit's text is new to the caches. It is shown apart; the median
    # is of the three after it, each one operation's text changed, as a user's edit of the file changes it.
    for turn in range(4):
        operation["summary"] = f"{summary} (changed {turn})"
        spec.write_text(json.dumps(data), encoding="utf-8")
        warm.append(measured(command, cache)[0])
    relaid, changes = warm[0], warm[1:]
    middle = statistics.median(changes)
    shown = ", ".join(f"{seconds:.2f}" for seconds in changes)
    return (
        f"{middle:.2f} s (median of {shown}) after {cold:.2f} s cold: {middle / cold:.0%} (target <= 10%); "
        f"the first change, which also re-laid the whole file out: {relaid:.2f} s"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--peer", action="store_true", help="side by side with openapi-python-client")
    parser.add_argument("--only", help="with --peer: only specs whose name holds this")
    parser.add_argument("--spec", type=Path, default=ROOT / "specs/airflow-2.10.5/v1.yaml")
    parser.add_argument("--overlay", type=Path, default=ROOT / "specs/overlays/airflow-2-fixes.yaml")
    args = parser.parse_args()
    if args.peer:
        return compare(args.runs or 3, args.only)
    args.runs = args.runs or 7

    work = Path(tempfile.mkdtemp(prefix="clientgen-bench-"))
    out = work / "out"
    base = [
        sys.executable,
        "-m",
        "clientgen",
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
                        "import sys; from pathlib import Path; from clientgen.loader import load_spec; "
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
