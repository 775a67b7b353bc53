"""Install, start and stop a real Apache Airflow 2.10.5 for the live tests; 127.0.0.1 only.

    python scripts/airflow_server.py install     # project-local venv in .local/airflow-2.10.5 (reused)
    python scripts/airflow_server.py start       # fresh database, waits until the API answers; prints the URL
    python scripts/airflow_server.py stop        # SIGTERM by recorded PIDs, SIGKILL after a grace period

Facts behind the settings: ../shared/docs/AIRFLOW-FACTS.md. The tests import this module and call the
same functions (tests/live/conftest.py).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION = "2.10.5"
PINS = [f"apache-airflow=={VERSION}", "universal-pathlib<0.3"]  # without the pin an example DAG fails to import
USER, PASSWORD = "admin", "admin"
GRACE_SECONDS = 15.0


@dataclass(frozen=True)
class Server:
    base_url: str
    pids: tuple[int, ...]
    home: Path


def base_dir() -> Path:
    return ROOT / ".local" / f"airflow-{VERSION}"


def airflow_bin() -> Path:
    return base_dir() / "venv" / "bin" / "airflow"


def install() -> Path:
    """Create the venv and install Airflow unless an install is already there."""
    venv = base_dir() / "venv"
    marker = venv / ".clientgen-installed"
    if marker.exists() and marker.read_text() == " ".join(PINS):
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", *PINS], check=True)
    marker.write_text(" ".join(PINS))
    return venv


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(home: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        # the SequentialExecutor runs `airflow tasks run ...` by name
        PATH=f"{airflow_bin().parent}{os.pathsep}{env.get('PATH', '')}",
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="True",
        AIRFLOW__CORE__EXECUTOR="SequentialExecutor",
        AIRFLOW__API__AUTH_BACKENDS="airflow.api.auth.backend.basic_auth,airflow.api.auth.backend.session",
        AIRFLOW__WEBSERVER__WEB_SERVER_HOST="127.0.0.1",
        AIRFLOW__WEBSERVER__WEB_SERVER_PORT=str(port),
        AIRFLOW__WEBSERVER__WORKERS="2",
        AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC="1",
        AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK="False",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def _get(url: str, auth: bool = True) -> dict[str, object] | None:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 - http URL we built
    if auth:
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback URL we built
            return json.loads(response.read())  # type: ignore[no-any-return]
    except (urllib.error.URLError, OSError, ValueError):
        return None


def start(timeout: float = 180.0) -> Server:
    """A fresh Airflow: new database, admin user, example DAGs serialized, webserver + scheduler."""
    install()
    stop()
    home = base_dir() / "home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    logs = base_dir() / "logs"
    logs.mkdir(exist_ok=True)
    port = _free_port()
    env = _environment(home, port)
    airflow = str(airflow_bin())

    def run(*args: str) -> None:
        with open(logs / "setup.log", "a") as log:
            subprocess.run([airflow, *args], env=env, check=True, stdout=log, stderr=subprocess.STDOUT)

    run("db", "migrate")
    run("users", "create", "--username", USER, "--password", PASSWORD, "--role", "Admin",
        "--email", "admin@example.invalid", "--firstname", "Ada", "--lastname", "Admin")  # fmt: skip
    run("dags", "reserialize")  # otherwise the scheduler needs ~70 s to register the example DAGs
    pids = []
    for name, args in (("webserver", ["webserver"]), ("scheduler", ["scheduler", "--skip-serve-logs"])):
        log = open(logs / f"{name}.log", "w")
        process = subprocess.Popen(
            [airflow, *args], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        pids.append(process.pid)
    base_url = f"http://127.0.0.1:{port}"
    server = Server(base_url, tuple(pids), home)
    (base_dir() / "server.json").write_text(json.dumps({"base_url": base_url, "pids": pids}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dags = _get(f"{base_url}/api/v1/dags?limit=1")
        if dags and int(dags.get("total_entries", 0)) > 0 and _get(f"{base_url}/api/v1/health", auth=False):
            return server
        time.sleep(0.5)
    stop()
    raise RuntimeError(f"Airflow did not answer within {timeout:g} s; see {logs}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours counts as gone
        finished, _ = os.waitpid(pid, os.WNOHANG)
        return finished == 0
    except ChildProcessError:
        return True


def stop() -> None:
    """Stop what ``start`` recorded: SIGTERM to each process group, SIGKILL after the grace period."""
    state = base_dir() / "server.json"
    if not state.exists():
        return
    pids = json.loads(state.read_text())["pids"]
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.2)
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    state.unlink()


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "start"
    if command == "install":
        print(install())
    elif command == "start":
        print(start().base_url)
    elif command == "stop":
        stop()
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
