"""Fetch Airflow's OpenAPI specs from the official wheels on PyPI and record their provenance.

Usage: python scripts/fetch_specs.py [VERSION ...]   (default: every version listed in SOURCES)

Each spec lands in specs/airflow-<version>/ beside a PROVENANCE.md naming the wheel, the file inside
it, and both sha256 sums, so anyone can re-derive the committed spec from PyPI.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# version -> (distribution on PyPI, path of the spec inside the wheel, file name in specs/)
SOURCES: dict[str, tuple[str, str, str]] = {
    "2.2.4": ("apache-airflow", "airflow/api_connexion/openapi/v1.yaml", "v1.yaml"),
    "2.5.3": ("apache-airflow", "airflow/api_connexion/openapi/v1.yaml", "v1.yaml"),
    "2.7.3": ("apache-airflow", "airflow/api_connexion/openapi/v1.yaml", "v1.yaml"),
    "2.9.3": ("apache-airflow", "airflow/api_connexion/openapi/v1.yaml", "v1.yaml"),
    "2.10.5": ("apache-airflow", "airflow/api_connexion/openapi/v1.yaml", "v1.yaml"),
    "3.3.2": (
        "apache-airflow-core",
        "airflow/api_fastapi/core_api/openapi/v2-rest-api-generated.yaml",
        "v2-rest-api-generated.yaml",
    ),
}

NOTICE = """Apache Airflow, Copyright The Apache Software Foundation, licensed under the Apache License,
Version 2.0 (https://www.apache.org/licenses/LICENSE-2.0). The spec file is copied unmodified."""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(version: str) -> Path:
    dist, inner, name = SOURCES[version]
    target_dir = ROOT / "specs" / f"airflow-{version}"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--dest",
                tmp,
                f"{dist}=={version}",
            ],
            check=True,
        )
        (wheel,) = Path(tmp).glob("*.whl")
        with zipfile.ZipFile(wheel) as archive:
            data = archive.read(inner)
        target_dir.mkdir(parents=True, exist_ok=True)
        spec = target_dir / name
        spec.write_bytes(data)
        (target_dir / "PROVENANCE.md").write_text(
            f"# Provenance\n\n"
            f"- Airflow version: {version}\n"
            f"- Source: PyPI distribution `{dist}=={version}`, wheel `{wheel.name}`\n"
            f"- Wheel sha256: `{sha256(wheel)}`\n"
            f"- File inside the wheel: `{inner}`\n"
            f"- Spec sha256: `{sha256(spec)}`\n"
            f"- Fetched by: `python scripts/fetch_specs.py {version}`\n\n"
            f"## Licence\n\n{NOTICE}\n",
            encoding="utf-8",
        )
    return spec


def main(argv: list[str]) -> int:
    for version in argv or sorted(SOURCES):
        print(f"{version}: {fetch(version).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
