"""GitHub's regeneration, this checkout against another commit, in turns: ``python scripts/bench_ab.py BASE [-n N]``.

Each side regenerates its own copy of GitHub's spec (from the corpus: ``python scripts/corpus.py fetch``) into its
own output with its own cache, after a change to one operation's summary; the sides alternate (the order swapped
every round), so the machine's drift (~10% between series of runs on a shared 2-core VM) falls on both alike.
Printed: the medians of each side and of the paired differences, for the wall seen from outside and for the
parent's wall and CPU (user + system) taken at its ``os._exit``. A step worth ~5 ms needs n >= 24 to show.

BASE is checked out into ``.local/ab/base`` (a git worktree) and run through a shim on ``PYTHONPATH`` that names
its ``generator/`` ``clientgen`` (the templates are found beside it); this checkout runs as installed."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".local" / "ab"
# The parent's wall and CPU when it leaves (``cli.run`` ends with ``os._exit``), then the CLI as ``-m clientgen``.
RUNNER = """
import os, resource, sys, time
started = time.perf_counter()
leave, me = os._exit, os.getpid()
def measured(code):
    if os.getpid() == me:
        used = resource.getrusage(resource.RUSAGE_SELF)
        wall, cpu = (time.perf_counter() - started) * 1000, (used.ru_utime + used.ru_stime) * 1000
        sys.stderr.write(f"AB wall={wall:.0f} cpu={cpu:.0f}\\n")
    leave(code)
os._exit = measured
sys.argv = ["clientgen", *sys.argv[1:]]
from clientgen import cli
cli.run()
"""


class Side:
    def __init__(self, name: str, shim: Path | None, github: Path) -> None:
        self.name, self.shim = name, shim
        self.folder = WORK / f"run-{name}"
        self.spec = self.folder / github.name
        self.data: Any = None

    def reset(self, github: Path) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        shutil.copyfile(github, self.spec)
        self.data = json.loads(self.spec.read_text(encoding="utf-8"))

    def change(self, turn: str) -> None:
        operation = next(op for item in self.data["paths"].values() for key, op in item.items() if key == "get")
        operation["summary"] = f"changed {self.name} {turn} {time.time()}"
        self.spec.write_text(json.dumps(self.data), encoding="utf-8")

    def run(self) -> tuple[float, int, int]:
        environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        environment["CLIENTGEN_CACHE_DIR"] = str(self.folder / "cache")
        if self.shim is not None:
            environment["PYTHONPATH"] = str(self.shim)
        command = [sys.executable, "-c", RUNNER, "generate", str(self.spec), "-o", str(self.folder / "out")]
        started = time.perf_counter()
        done = subprocess.run([*command, "--package-name", "bench_client"], env=environment, capture_output=True)
        seconds = time.perf_counter() - started
        found = re.search(rb"AB wall=(\d+) cpu=(\d+)", done.stderr)
        if done.returncode or found is None:
            raise SystemExit(f"{self.name}: {done.stderr.decode(errors='replace')[-2000:]}")
        return seconds * 1000, int(found[1]), int(found[2])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("base", help="the commit to compare this checkout with")
    parser.add_argument("-n", type=int, default=24, help="regenerations per side")
    args = parser.parse_args()
    github = next((ROOT / ".local" / "corpus").glob("_octokit+openapi_*/package/generated/api.github.com.json"), None)
    if github is None:
        raise SystemExit("GitHub's spec comes with the corpus: python scripts/corpus.py fetch")
    tree = WORK / "base"
    subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), args.base], cwd=ROOT, check=True)
    shim = WORK / "shim"
    shim.mkdir(parents=True, exist_ok=True)
    (shim / "clientgen").unlink(missing_ok=True)
    (shim / "clientgen").symlink_to(tree / "generator")
    sides = [Side("base", shim, github), Side("here", None, github)]
    for side in sides:  # a cold run, then two changes: the third run on is a regeneration as users meet it
        side.reset(github)
        for turn in ("cold", "first", "second"):
            side.change(turn)
            side.run()
    figures: dict[str, list[tuple[float, int, int]]] = {side.name: [] for side in sides}
    for turn in range(args.n):
        for side in sides if turn % 2 == 0 else sides[::-1]:
            side.change(str(turn))
            figures[side.name].append(side.run())
    print(f"GitHub regenerations, {args.n} a side, in turns: {args.base} (base) and this checkout (here)")
    for index, label in enumerate(("wall from outside", "parent's wall", "parent's CPU")):
        base = [run[index] for run in figures["base"]]
        here = [run[index] for run in figures["here"]]
        paired = statistics.median(b - a for a, b in zip(base, here, strict=True))
        print(
            f"{label:18} base {statistics.median(base):6.0f} ms  here {statistics.median(here):6.0f} ms  "
            f"paired here-base {paired:+5.0f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
