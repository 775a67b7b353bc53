"""Install, start and stop a real Apache Airflow (2.10.5 or 3.3.2) for the live tests; 127.0.0.1 only.

    python scripts/airflow_server.py install [VERSION]   # project-local venv in .local/airflow-VERSION (reused)
    python scripts/airflow_server.py start [VERSION]     # fresh database, waits until the API answers; prints URL
    python scripts/airflow_server.py stop [VERSION]      # SIGTERM by recorded PIDs, SIGKILL after a grace period

VERSION defaults to 2.10.5.
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
DEFAULT_VERSION = "2.10.5"
PINS = {
    "2.10.5": ["apache-airflow==2.10.5", "universal-pathlib<0.3"],  # without the pin an example DAG fails to import
    "3.3.2": ["apache-airflow==3.3.2"],
}
USER, PASSWORD = "admin", "admin"
GRACE_SECONDS = 15.0
JWT_SECRET = "clientgen-live-tests-only"  # noqa: S105 - a throwaway secret for a loopback test server


@dataclass(frozen=True)
class Server:
    base_url: str
    pids: tuple[int, ...]
    home: Path


def base_dir(version: str = DEFAULT_VERSION) -> Path:
    return ROOT / ".local" / f"airflow-{version}"


def airflow_bin(version: str = DEFAULT_VERSION) -> Path:
    return base_dir(version) / "venv" / "bin" / "airflow"


def install(version: str = DEFAULT_VERSION) -> Path:
    """Create the venv and install Airflow unless an install is already there."""
    venv = base_dir(version) / "venv"
    marker = venv / ".clientgen-installed"
    pins = PINS[version]
    if marker.exists() and marker.read_text() == " ".join(pins):
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", *pins], check=True)
    marker.write_text(" ".join(pins))
    return venv


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(version: str, home: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        # the executors run `airflow tasks run ...` by name
        PATH=f"{airflow_bin(version).parent}{os.pathsep}{env.get('PATH', '')}",
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="True",
        PYTHONDONTWRITEBYTECODE="1",
    )
    base = f"http://127.0.0.1:{port}"
    if version.startswith("2."):
        env.update(
            AIRFLOW__CORE__EXECUTOR="SequentialExecutor",
            AIRFLOW__API__AUTH_BACKENDS="airflow.api.auth.backend.basic_auth,airflow.api.auth.backend.session",
            AIRFLOW__WEBSERVER__WEB_SERVER_HOST="127.0.0.1",
            AIRFLOW__WEBSERVER__WEB_SERVER_PORT=str(port),
            AIRFLOW__WEBSERVER__WORKERS="2",
            AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC="1",
            AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK="False",
        )
    else:
        env.update(
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=f"{USER}:admin",
            AIRFLOW__API__HOST="127.0.0.1",
            AIRFLOW__API__PORT=str(port),
            AIRFLOW__API__BASE_URL=base,
            AIRFLOW__API__WORKERS="1",
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{base}/execution/",
            AIRFLOW__API_AUTH__JWT_SECRET=JWT_SECRET,
            AIRFLOW__CORE__PARALLELISM="2",  # the default 32 forks 32 idle workers (~5 GiB)
            AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK="False",
        )
    return env


def _processes(version: str) -> list[tuple[str, list[str]]]:
    if version.startswith("2."):
        return [("webserver", ["webserver"]), ("scheduler", ["scheduler", "--skip-serve-logs"])]
    return [
        ("api-server", ["api-server"]),
        ("scheduler", ["scheduler", "--skip-serve-logs"]),
        ("dag-processor", ["dag-processor"]),
    ]


def _get(url: str, token: str | None = None, basic: bool = False) -> dict[str, object] | None:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 - http URL we built
    if basic:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode())
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback URL we built
            return json.loads(response.read())  # type: ignore[no-any-return]
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _token(base_url: str) -> str | None:
    body = json.dumps({"username": USER, "password": PASSWORD}).encode()
    request = urllib.request.Request(  # noqa: S310 - http URL we built
        f"{base_url}/auth/token", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback URL we built
            return str(json.loads(response.read())["access_token"])
    except (urllib.error.URLError, OSError, ValueError, KeyError):
        return None


def _ready(version: str, base_url: str) -> bool:
    if version.startswith("2."):
        dags = _get(f"{base_url}/api/v1/dags?limit=1", basic=True)
        return bool(dags and int(str(dags.get("total_entries", 0))) > 0 and _get(f"{base_url}/api/v1/health"))
    token = _token(base_url)
    dags = _get(f"{base_url}/api/v2/dags?limit=1", token=token) if token else None
    return bool(dags and int(str(dags.get("total_entries", 0))) > 50)


def _settled(version: str, base_url: str, polls: int = 6) -> None:
    """Wait until the example DAG count stops growing (Airflow 3's dag-processor parses them after start)."""
    if version.startswith("2."):
        return  # `dags reserialize` registered them all before the server started
    counts: list[int] = []
    while len(counts) < polls or len(set(counts[-polls:])) > 1:
        token = _token(base_url)
        dags = _get(f"{base_url}/api/v2/dags?limit=1", token=token) if token else None
        counts.append(int(str(dags.get("total_entries", 0))) if dags else 0)
        time.sleep(1.0)


def start(version: str = DEFAULT_VERSION, timeout: float = 240.0) -> Server:
    """A fresh Airflow: new database, admin user, example DAGs parsed, the server processes running."""
    install(version)
    stop(version)
    home = base_dir(version) / "home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    logs = base_dir(version) / "logs"
    logs.mkdir(exist_ok=True)
    port = _free_port()
    env = _environment(version, home, port)
    airflow = str(airflow_bin(version))

    def run(*args: str) -> None:
        with open(logs / "setup.log", "a") as log:
            subprocess.run([airflow, *args], env=env, check=True, stdout=log, stderr=subprocess.STDOUT)

    run("db", "migrate")
    if version.startswith("2."):
        # the project's own DAGs (tests/airflow2/dags/: shapes no example DAG has) beside the examples
        (home / "dags").mkdir(exist_ok=True)
        for dag in sorted((ROOT / "tests" / "airflow2" / "dags").glob("*.py")):
            shutil.copy(dag, home / "dags" / dag.name)
        run("users", "create", "--username", USER, "--password", PASSWORD, "--role", "Admin",
            "--email", "admin@example.invalid", "--firstname", "Ada", "--lastname", "Admin")  # fmt: skip
        run("dags", "reserialize")  # otherwise the scheduler needs ~70 s to register the example DAGs
    else:  # SimpleAuthManager reads passwords from here; written first so they are known
        (home / "simple_auth_manager_passwords.json.generated").write_text(json.dumps({USER: PASSWORD}))
    pids = []
    for name, args in _processes(version):
        log = open(logs / f"{name}.log", "w")
        process = subprocess.Popen(
            [airflow, *args], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        pids.append(process.pid)
    base_url = f"http://127.0.0.1:{port}"
    server = Server(base_url, tuple(pids), home)
    (base_dir(version) / "server.json").write_text(json.dumps({"base_url": base_url, "pids": pids}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _ready(version, base_url):
            _settled(version, base_url)
            return server
        time.sleep(0.5)
    stop(version)
    raise RuntimeError(f"Airflow {version} did not answer within {timeout:g} s; see {logs}")


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


def stop(version: str = DEFAULT_VERSION) -> None:
    """Stop what ``start`` recorded: SIGTERM to each process group, SIGKILL after the grace period."""
    state = base_dir(version) / "server.json"
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
    version = argv[1] if len(argv) > 1 else DEFAULT_VERSION
    if version not in PINS:
        print(f"unknown version {version}; known: {', '.join(PINS)}")
        return 2
    if command == "install":
        print(install(version))
    elif command == "start":
        print(start(version).base_url)
    elif command == "stop":
        stop(version)
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
