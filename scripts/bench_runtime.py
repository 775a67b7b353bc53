"""Benchmark the generated Airflow 2.10.5 client's runtime; prints figures, asserts nothing.

1. Decoding a get_dags answer of 1000 DAGs with every field filled (about 1.1 MB) into typed models,
   against plain json.loads of the same bytes, in the same process and run.
2. Per call, over raw httpx with the same auth, both on httpx.MockTransport (the network out of it): a
   one-object GET (get_dag) and a 100-item list (get_dags), against httpx.Client.get + response.json().
3. Importing the package and constructing a Client, against importing httpx alone (fresh interpreters).
4. The same for a client of GitHub's spec (1,223 operations, generated into a temporary folder from the
   corpus's @octokit/openapi package), and the first call on one of its groups.

The import figures are measured with an interpreter whose environment holds only what a generated client
depends on (httpx and msgspec, at this environment's versions, in the git-ignored .local/bench/client-deps),
as a user's has: in clientgen's own environment, ``import httpx`` also imports click and pygments (httpx's
command line, found because black and pytest are installed), and the editable install adds its import
finder to every interpreter's start, ~45 ms together that are neither the client's nor httpx's own. That
environment's figures are printed too.

Usage: python scripts/bench_runtime.py [--runs N] [--no-github]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = ROOT / "generated" / "airflow_rest_2_10_5"


def dag(i: int) -> dict[str, object]:
    """One DAG as Airflow 2.10.5 serialises it, every field present and non-null."""
    when = f"2026-11-{1 + i % 28:02d}T04:{i % 60:02d}:58.936582+00:00"
    return {
        "dag_id": f"etl_pipeline_{i:04d}",
        "dag_display_name": f"ETL pipeline {i:04d}",
        "root_dag_id": f"etl_root_{i % 10}",
        "is_paused": i % 3 == 0,
        "is_active": True,
        "is_subdag": False,
        "last_parsed_time": when,
        "last_pickled": when,
        "last_expired": when,
        "scheduler_lock": False,
        "pickle_id": str(10_000 + i),
        "default_view": "grid",
        "fileloc": f"/opt/airflow/dags/team_{i % 7}/etl_pipeline_{i:04d}.py",
        "file_token": "Ii9vcHQvYWlyZmxvdy9kYWdzL2V0bC5weSI.8kzHKo5Fh9bG1Ld8K_P6cnW2Xhs" + str(i),
        "owners": ["data-eng", f"owner{i % 13}"],
        "description": f"Loads the daily extract {i} into the warehouse, refreshes the marts, notifies on-call.",
        "schedule_interval": {"__type": "CronExpression", "value": f"{i % 60} {i % 24} * * *"},
        "timetable_description": f"At {i % 60} minutes past the hour, at {i % 24:02d}:00",
        "tags": [{"name": "etl"}, {"name": f"team-{i % 7}"}, {"name": "daily"}],
        "max_active_tasks": 16,
        "max_active_runs": 1,
        "has_task_concurrency_limits": False,
        "has_import_errors": False,
        "next_dagrun": when,
        "next_dagrun_data_interval_start": when,
        "next_dagrun_data_interval_end": when,
        "next_dagrun_create_after": when,
        "max_consecutive_failed_dag_runs": 0,
    }


def median_time(fn: object, runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def fresh(code: str, runs: int, where: Path = PACKAGE_DIR, python: str = sys.executable) -> float:
    """Median wall time of a fresh interpreter running ``code``, with bytecode caching on (as users
    have it; a warm-up run writes the .pyc files) whatever this shell's PYTHONDONTWRITEBYTECODE says."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([python, "-c", code], cwd=where, check=True, env=env)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([python, "-c", code], cwd=where, check=True, env=env)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def fresh_pair(
    first: str, second: str, runs: int, python: str, where: Path = PACKAGE_DIR
) -> tuple[float, float, float]:
    """Median wall times of fresh interpreters running ``first`` and ``second`` in turns, and the median of
    each turn's difference: the machine's drift between two blocks of runs moved a difference of medians by
    +-6 ms between benches (+14 to +26 ms for one client), a turn's difference by under 1 ms."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def run(code: str) -> float:
        started = time.perf_counter()
        subprocess.run([python, "-c", code], cwd=where, check=True, env=env)
        return time.perf_counter() - started

    run(first), run(second)  # the .pyc files written
    pairs = [(run(first), run(second)) for _ in range(runs)]
    return (
        statistics.median(a for a, _ in pairs),
        statistics.median(b for _, b in pairs),
        statistics.median(b - a for a, b in pairs),
    )


# What a generated client depends on (its pyproject.toml's dependencies), installed at this environment's versions.
CLIENT_DEPENDENCIES = ("httpx", "msgspec")


def client_python() -> str:
    """An interpreter whose environment holds only the generated clients' dependencies, made on first use."""
    from importlib.metadata import version

    home = ROOT / ".local" / "bench" / "client-deps"
    wanted = [f"{name}=={version(name)}" for name in CLIENT_DEPENDENCIES]
    marker = home / "installed.txt"
    if not marker.exists() or marker.read_text(encoding="utf-8").split() != wanted:
        shutil.rmtree(home, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(home)], check=True)
        subprocess.run([str(home / "bin" / "pip"), "install", "--quiet", *wanted], check=True)
        marker.write_text("\n".join(wanted) + "\n", encoding="utf-8")
    return str(home / "bin" / "python")


def per_call(rounds: int) -> None:
    """The client's cost per call over raw httpx with the same auth, both on MockTransport. Measured in a
    fresh interpreter (after the decode bench's 1.1 MB of DAGs, blocks of the same call in one process
    drifted by tens of microseconds: 1.17x to 2.05x for one client), in paired turns: a block of calls of
    each, their order swapped every round, so the machine's drift falls on both sides of a round's ratio.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    command = [sys.executable, str(Path(__file__).resolve()), "--per-call-rounds", str(rounds)]
    subprocess.run(command, check=True, env=env)


def per_call_here(rounds: int) -> None:
    """``per_call``'s measurement, in this (fresh) interpreter."""
    sys.path.insert(0, str(PACKAGE_DIR))
    import httpx
    from airflow_rest_2_10_5 import BasicAuth, Client

    one = json.dumps(dag(7)).encode()
    page = json.dumps({"dags": [dag(i) for i in range(100)], "total_entries": 100}).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        body = page if request.url.path.endswith("/dags") else one
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    raw = httpx.Client(transport=httpx.MockTransport(handler), auth=httpx.BasicAuth("admin", "admin"))
    client = Client(
        "http://bench.test",
        auth=BasicAuth("admin", "admin"),
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    assert client.dag.get_dag("etl_pipeline_0007").dag_id == "etl_pipeline_0007"
    assert len(client.dag.get_dags(limit=100).dags) == 100
    rows: list[tuple[str, Callable[[], object], Callable[[], object], float, int]] = [
        (
            "one-object GET (get_dag)",
            lambda: raw.get("http://bench.test/api/v1/dags/etl_pipeline_0007").json(),
            lambda: client.dag.get_dag("etl_pipeline_0007"),
            1.1,
            50,
        ),
        (
            "100-item list (get_dags)",
            lambda: raw.get("http://bench.test/api/v1/dags", params={"limit": 100}).json(),
            lambda: client.dag.get_dags(limit=100),
            0.7,
            10,
        ),
    ]
    print(
        f"per call, a fresh interpreter, {rounds} rounds of paired blocks (MockTransport, BasicAuth on both;"
        " raw = httpx get + .json())"
    )
    for name, plain, typed, target, block in rows:
        for _ in range(200):  # warm-up
            plain()
            typed()
        ours, theirs, ratios = [], [], []
        for turn in range(rounds):
            first, second = (typed, plain) if turn % 2 else (plain, typed)
            spent = []
            for fn in (first, second):
                started = time.perf_counter()
                for _ in range(block):
                    fn()
                spent.append((time.perf_counter() - started) / block)
            mine, plain_time = (spent[0], spent[1]) if turn % 2 else (spent[1], spent[0])
            ours.append(mine)
            theirs.append(plain_time)
            ratios.append(mine / plain_time)
        ratio = statistics.median(ratios)
        verdict = "met" if ratio <= target else "not met"
        low, _, high = statistics.quantiles(ratios, n=4)
        print(
            f"  {name:26} client {statistics.median(ours) * 1e6:8.1f} us   raw httpx "
            f"{statistics.median(theirs) * 1e6:8.1f} us   ratio {ratio:.2f}x (quartiles {low:.2f}-{high:.2f})"
            f"   target <= {target}x   {verdict}"
        )


# In one fresh interpreter: seconds of the first call on a group, the client already made.
FIRST_CALL = """
import time, warnings, httpx, github_client as g
warnings.simplefilter("ignore")  # the mock's user is not a full one
t = httpx.MockTransport(lambda r: httpx.Response(200, json={"login": "octocat", "id": 1}))
c = g.Client("https://api.github.com", http_client=httpx.Client(transport=t))
started = time.perf_counter()
c.users.users_get_by_username("octocat")
print(time.perf_counter() - started)
"""


def github_client(runs: int, clean: str) -> None:
    """Import + Client(...) of a client of GitHub's spec, and the first call on a group, with ``clean`` (an
    interpreter with only the client's dependencies) and, for reference, this one."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from corpus import HOME

    found = sorted(Path(HOME).glob("_octokit+openapi_*/package/generated/api.github.com.json"))
    if not found:
        print("GitHub client: skipped (no @octokit/openapi in the corpus folder; run scripts/corpus.py once)")
        return
    work = Path(tempfile.mkdtemp(prefix="clientgen-bench-gh-"))
    try:
        out = work / "out"
        command = [sys.executable, "-m", "clientgen", "generate", str(found[-1]), "-o", str(out)]
        subprocess.run([*command, "--package-name", "github_client"], cwd=ROOT, check=True, capture_output=True)
        make_client = "import github_client as g; g.Client('https://api.github.com')"
        httpx_only = fresh("import httpx", runs, out, clean)
        imported = fresh(make_client, runs, out, clean)
        here_httpx, here_imported = fresh("import httpx", runs, out), fresh(make_client, runs, out)
        first_call = statistics.median(
            float(
                subprocess.run(
                    [clean, "-c", FIRST_CALL],
                    cwd=out,
                    check=True,
                    capture_output=True,
                    text=True,
                    env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
                ).stdout
            )
            for _ in range(runs)
        )
        print(
            f"GitHub client (1,223 operations), medians of {runs} fresh interpreters, only httpx and msgspec installed:"
        )
        print(f"  import httpx:                     {httpx_only * 1000:7.1f} ms")
        verdict = "met" if imported <= 0.150 else "not met"
        print(f"  import package + Client(...):     {imported * 1000:7.1f} ms   target <= 150 ms   {verdict}")
        here = f"{here_imported * 1000:7.1f} ms, import httpx {here_httpx * 1000:.1f} ms"
        print(f"    in clientgen's own environment: {here}")
        added = first_call
        verdict = "met" if added <= 0.030 else "not met"
        print(f"  + first call on a group (users):  {added * 1000:+7.1f} ms   target <= +30 ms   {verdict}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=51)
    parser.add_argument("--no-github", action="store_true", help="skip the GitHub client's import figures")
    parser.add_argument("--per-call-rounds", type=int, help=argparse.SUPPRESS)  # per_call's fresh interpreter
    args = parser.parse_args()
    if args.per_call_rounds:
        per_call_here(args.per_call_rounds)
        return 0

    sys.path.insert(0, str(PACKAGE_DIR))
    import httpx
    from airflow_rest_2_10_5 import Client, models

    body = json.dumps({"dags": [dag(i) for i in range(1000)], "total_entries": 1000}).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    client = Client("http://bench.test", http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    rt = sys.modules["airflow_rest_2_10_5._runtime"]
    endpoint = importlib.import_module("airflow_rest_2_10_5._endpoints._dag").GET_DAGS
    headers = httpx.Headers({"content-type": "application/json"})
    decoded = rt.decode_answer(endpoint.responses, 200, headers, body)
    assert isinstance(decoded, models.DAGCollection) and len(decoded.dags) == 1000
    assert decoded.dags[0].schedule_interval == models.CronExpression(value="0 0 * * *")

    baseline = median_time(lambda: json.loads(body), args.runs)
    typed = median_time(lambda: rt.decode_answer(endpoint.responses, 200, headers, body), args.runs)
    whole_call = median_time(lambda: client.dag.get_dags(limit=1000), max(5, args.runs // 5))

    import_runs = max(11, args.runs // 3)
    clean = client_python()
    make_client = "import airflow_rest_2_10_5 as p; p.Client('http://localhost:8080')"
    httpx_only, package, added = fresh_pair("import httpx", make_client, import_runs, clean)
    bare = fresh("pass", import_runs, python=clean)
    here_httpx, here_package, here_added = fresh_pair("import httpx", make_client, import_runs, sys.executable)

    print(f"body: {len(body) / 1e6:.2f} MB, 1000 DAGs, every field filled; medians of {args.runs} runs")
    print(f"json.loads:                         {baseline * 1000:7.2f} ms")
    print(f"decode into typed models:           {typed * 1000:7.2f} ms   ratio {typed / baseline:.2f}x json.loads"
          "   target <= 1.0x (peers: 5.3x, 11x, 105x)")  # fmt: skip
    print(f"whole get_dags call (mock transport): {whole_call * 1000:5.2f} ms")
    print("imports: fresh interpreters, only httpx and msgspec installed (.local/bench/client-deps)")
    print(f"python -c pass:                     {bare * 1000:7.1f} ms")
    print(f"import httpx:                       {httpx_only * 1000:7.1f} ms")
    verdict = "met" if added <= 0.020 else "not met"
    over = f"+{added * 1000:.1f} ms over httpx alone (median of {import_runs} turns)"
    print(f"import package + Client(...):       {package * 1000:7.1f} ms   {over}   target <= +20 ms   {verdict}")
    here = f"{here_package * 1000:7.1f} ms, import httpx {here_httpx * 1000:.1f} ms"
    print(f"  in clientgen's own environment:   {here}, +{here_added * 1000:.1f} ms")
    per_call(max(40, args.runs * 2))
    if not args.no_github:
        github_client(import_runs, clean)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
