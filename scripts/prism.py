"""Prism (@stoplight/prism-cli from npm, pinned), the spec-validating mock server, for the live tests.

    python scripts/prism.py install               # into the git-ignored .local/prism (reused)
    python scripts/prism.py start SPEC [PORT]     # mock SPEC on 127.0.0.1; prints the URL (Ctrl-C stops)

The tests import ``install`` / ``start`` / ``stop`` (tests/live/test_snowflake_prism.py).

Prism as released keeps only the last of repeated form fields or multipart parts, so an array sent the way
OpenAPI says (one part per item, same name) fails with "must be array". ``install`` applies the fix proposed
upstream (stoplightio/prism pull request 2654, open since January 2025) to the pinned release's compiled
validator: repeated names become an array, and a lone value for an array property becomes a one-item array.
Nothing else in Prism's validation changes; each edit fails loudly if its anchor text is not found.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION = "5.14.2"  # depends on @stoplight/prism-http 5.12.0 exactly, whose compiled text the patch edits
PACKAGE = f"@stoplight/prism-cli@{VERSION}"
PREFIX = ROOT / ".local" / "prism"
BODY_VALIDATOR = PREFIX / "node_modules" / "@stoplight" / "prism-http" / "dist" / "validator" / "validators" / "body.js"
PATCH_MARK = "/* clientgen: repeated form names become arrays (stoplightio/prism#2654) */\n"

_COLLECT_REPEATED = """
        const [key, value] = [pair['name'], pair['data'].toString()];
        result[key] = Object.prototype.hasOwnProperty.call(result, key) ? [].concat(result[key], value) : value;
        return result;"""

# (anchor in prism-http 5.12.0's dist/validator/validators/body.js, replacement)
REPEATED_NAMES_PATCH = (
    (  # multipart parts
        """
        result[pair['name']] = pair['data'].toString();
        return result;""",
        _COLLECT_REPEATED,
    ),
    (  # url-encoded fields
        """
        const [key, ...rest] = pair.split('=');
        result[key] = rest.join('=');
        return result;""",
        """
        const [key, ...rest] = pair.split('=');
        const value = rest.join('=');
        result[key] = Object.prototype.hasOwnProperty.call(result, key) ? [].concat(result[key], value) : value;
        return result;""",
    ),
    (  # percent-decoding, item by item
        """
            result[decodeURIComponent(k)] = decodeURIComponent(v);""",
        """
            const decode = item => decodeURIComponent(item);
            result[decodeURIComponent(k)] = Array.isArray(v) ? v.map(decode) : decode(v);""",
    ),
    (
        """
                v = v.replaceAll('+', '%20');""",
        """
                v = Array.isArray(v) ? v.map(item => item.replaceAll('+', '%20')) : v.replaceAll('+', '%20');""",
    ),
    (  # one item of an array property
        """
            deserialized[property] = decodedUriParams[property];""",
        """
            const declared = schema.properties[property];
            const lone = decodedUriParams[property];
            const isArray = declared && declared.type === 'array';
            deserialized[property] = isArray && typeof lone === 'string' ? [lone] : lone;""",
    ),
)


@dataclass(frozen=True)
class Prism:
    base_url: str
    process: subprocess.Popen[bytes]


def executable() -> Path:
    return PREFIX / "node_modules" / ".bin" / "prism"


def installed_version() -> str | None:
    manifest = PREFIX / "node_modules" / "@stoplight" / "prism-cli" / "package.json"
    if not executable().exists() or not manifest.exists():
        return None
    return str(json.loads(manifest.read_text(encoding="utf-8")).get("version"))


def install() -> Path:
    if installed_version() != VERSION:
        PREFIX.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(PREFIX), PACKAGE], check=True
        )
    patch_repeated_names(BODY_VALIDATOR)
    return executable()


def patch_repeated_names(validator: Path) -> None:
    text = validator.read_text(encoding="utf-8")
    if text.startswith(PATCH_MARK):
        return
    for anchor, replacement in REPEATED_NAMES_PATCH:
        if text.count(anchor) != 1:
            raise RuntimeError(f"{validator}: the text the repeated-names patch replaces is not there once: {anchor!r}")
        text = text.replace(anchor, replacement)
    temporary = validator.with_suffix(".js.clientgen")
    temporary.write_text(PATCH_MARK + text, encoding="utf-8")
    temporary.replace(validator)


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
