"""Prism (@stoplight/prism-cli 5 from npm), the spec-validating mock server, for the live tests.

    python scripts/prism.py install               # into the git-ignored .local/prism (reused)
    python scripts/prism.py start SPEC [PORT]     # mock SPEC on 127.0.0.1; prints the URL (Ctrl-C stops)

The tests import ``install`` / ``start`` / ``stop`` (tests/live/test_snowflake_prism.py).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "@stoplight/prism-cli@5"
PREFIX = ROOT / ".local" / "prism"


@dataclass(frozen=True)
class Prism:
    base_url: str
    process: subprocess.Popen[bytes]


def executable() -> Path:
    return PREFIX / "node_modules" / ".bin" / "prism"


def install() -> Path:
    if not executable().exists():
        PREFIX.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(PREFIX), PACKAGE], check=True
        )
    return executable()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(spec: Path, port: int | None = None, timeout: float = 60.0, dynamic: bool = True) -> Prism:
    """Mock ``spec`` (refs into sibling files followed) and wait until Prism accepts connections.

    ``dynamic`` answers with data generated from the schemas: the Snowflake spec's own examples break its
    date-time formats, so static answers would carry response violations that are not the client's."""
    binary = install()  # first: it creates .local/prism, where the log goes
    port = port or _free_port()
    log = open(PREFIX / f"prism-{port}.log", "w")  # closed when the process ends
    process = subprocess.Popen(
        [str(binary), "mock", str(spec), "-h", "127.0.0.1", "-p", str(port), *(["--dynamic"] if dynamic else [])],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"prism exited with {process.returncode}; see {log.name}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return Prism(f"http://127.0.0.1:{port}", process)
        except OSError:
            time.sleep(0.2)
    stop(Prism("", process))
    raise RuntimeError(f"prism did not listen within {timeout:g} s; see {log.name}")


def stop(prism: Prism) -> None:
    try:
        os.killpg(prism.process.pid, signal.SIGTERM)
        prism.process.wait(timeout=10)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(prism.process.pid, signal.SIGKILL)
        prism.process.wait()


def main(argv: list[str]) -> int:
    if argv[:1] == ["install"]:
        print(install())
        return 0
    if argv[:1] == ["start"] and len(argv) >= 2:
        prism = start(Path(argv[1]), int(argv[2]) if len(argv) > 2 else None)
        print(prism.base_url, flush=True)
        try:
            prism.process.wait()
        except KeyboardInterrupt:
            stop(prism)
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
