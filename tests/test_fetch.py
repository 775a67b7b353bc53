"""``clientgen fetch`` and configured spec sources, against a package index served over real HTTP on
127.0.0.1 (PEP 691 JSON and PEP 503 HTML pages, wheels and sdists built here). The real PyPI is used
by the marked ``releases`` test (tests/test_airflow_releases.py)."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from clientgen import fetch
from clientgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
SPEC = (ROOT / "specs" / "airflow-2.2.4" / "v1.yaml").read_bytes()
INNER = "petshop/openapi/spec.yaml"


def wheel(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def sdist(top: str, files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class Index:
    """Files served at /<path>; ``redirects`` maps a path to a Location answered with 302."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        self.redirects: dict[str, str] = {}
        self.requests: list[str] = []
        self.url = ""

    def add(self, path: str, data: bytes, content_type: str = "application/octet-stream") -> str:
        self.files[path] = (data, content_type)
        return f"{self.url}/{path}"

    def project(self, name: str, artifacts: dict[str, bytes], html: bool = False, digest: str | None = None) -> None:
        """A project page listing ``artifacts`` (served too), their sha256 given (or ``digest``)."""
        entries = []
        for filename, data in artifacts.items():
            self.add(f"files/{filename}", data)
            entries.append((filename, f"../../files/{filename}", digest or hashlib.sha256(data).hexdigest()))
        if html:
            links = "".join(f'<a href="{url}#sha256={sha}">{filename}</a><br/>' for filename, url, sha in entries)
            self.add(f"simple/{name}/", f"<html><body>{links}</body></html>".encode(), "text/html")
        else:
            page = {
                "meta": {"api-version": "1.0"},
                "name": name,
                "files": [{"filename": f, "url": u, "hashes": {"sha256": s}} for f, u, s in entries],
            }
            self.add(f"simple/{name}/", json.dumps(page).encode(), "application/vnd.pypi.simple.v1+json")


@pytest.fixture
def index(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Index]:
    served = Index()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.lstrip("/").split("?")[0]
            served.requests.append(self.path)
            if path in served.redirects:
                self.send_response(302)
                self.send_header("Location", served.redirects[path])
                self.end_headers()
                return
            if path not in served.files:
                self.send_error(404)
                return
            data, content_type = served.files[path]
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    served.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(fetch.INDEX_VARIABLE, f"{served.url}/simple")
    monkeypatch.setenv("CLIENTGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_spec_inside_a_wheel_is_written_with_its_provenance(index: Index, capsys: pytest.CaptureFixture[str]) -> None:
    data = wheel({INNER: SPEC, "petshop/__init__.py": b""})
    index.project("petshop", {"petshop-1.2.0-py3-none-any.whl": data, "petshop-1.1.0-py3-none-any.whl": b"x"})
    code, out, err = run(capsys, "fetch", "--package", "PetShop==1.2.0", "--path", INNER)
    assert (code, err) == (0, "")
    written = Path("specs/petshop-1.2.0/spec.yaml")
    assert written.read_bytes() == SPEC
    assert "written" in out and hashlib.sha256(SPEC).hexdigest() in out
    record = json.loads(Path("specs/petshop-1.2.0/spec.yaml.provenance.json").read_text())
    assert record == {
        "source": "PetShop==1.2.0",
        "kind": "package",
        "distribution": "PetShop",
        "version": "1.2.0",
        "path": INNER,
        "artifact": "petshop-1.2.0-py3-none-any.whl",
        "artifact_url": f"{index.url}/files/petshop-1.2.0-py3-none-any.whl",
        "artifact_sha256": hashlib.sha256(data).hexdigest(),
        "sha256": hashlib.sha256(SPEC).hexdigest(),
        "fetched_by": record["fetched_by"],
    }
    assert record["fetched_by"].startswith("clientgen ")
    # again: nothing to write, and the spec comes from the cache, not another download of the wheel
    downloads = sum("/files/" in r for r in index.requests)
    code, out, _ = run(capsys, "fetch", "--package", "PetShop==1.2.0", "--path", INNER)
    assert code == 0 and "unchanged" in out
    assert sum("/files/" in r for r in index.requests) == downloads


def test_a_pep_503_html_index_and_an_sdist_work(index: Index, capsys: pytest.CaptureFixture[str]) -> None:
    index.project("petshop", {"petshop-2.0.tar.gz": sdist("petshop-2.0", {INNER: SPEC})}, html=True)
    code, _, err = run(capsys, "fetch", "--package", "petshop==2.0", "--path", INNER, "-o", "here/")
    assert (code, err) == (0, "")
    assert Path("here/spec.yaml").read_bytes() == SPEC


def test_an_artifact_whose_sha256_is_not_the_indexs_is_refused(
    index: Index, capsys: pytest.CaptureFixture[str]
) -> None:
    index.project("petshop", {"petshop-1.0-py3-none-any.whl": wheel({INNER: SPEC})}, digest="0" * 64)
    code, out, err = run(capsys, "fetch", "--package", "petshop==1.0", "--path", INNER)
    assert code == 2 and out == ""
    assert err.startswith("error: petshop-1.0-py3-none-any.whl: sha256 ") and "not used" in err
    assert err.count("\n") == 1
    assert not Path("specs").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--package", "petshop==1.0", "--path", "../etc/passwd"], "must be a relative path inside the package"),
        (["--package", "petshop==1.0", "--path", "petshop/x.yaml"], f"holds no petshop/x.yaml; OpenAPI-looking files in it: {INNER}"),  # noqa: E501
        (["--package", "petshop==9.9", "--path", INNER], "petshop==9.9 has no wheel or sdist on http://127.0.0.1:"),
        (["--package", "petshop==1.0"], "--package needs --path"),
        (["somepackage==1.0"], "does not know where somepackage 1.0 keeps its spec"),
        (["petshop>=1.0"], "cannot read"),
    ],
)  # fmt: skip
def test_a_wrong_source_is_one_line_and_writes_nothing(
    index: Index, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    index.project("petshop", {"petshop-1.0-py3-none-any.whl": wheel({INNER: SPEC})})
    code, out, err = run(capsys, "fetch", *argv)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1, err
    assert not Path("specs").exists()


def test_a_url_is_fetched_without_following_redirects_or_recording_its_query(
    index: Index, capsys: pytest.CaptureFixture[str]
) -> None:
    url = index.add("api/openapi.yaml", SPEC, "application/yaml")
    code, out, err = run(capsys, "fetch", f"{url}?token=s3cret", "-o", "spec.yaml")
    assert (code, err) == (0, "")
    assert Path("spec.yaml").read_bytes() == SPEC and "s3cret" not in out
    record = Path("spec.yaml.provenance.json").read_text()
    assert json.loads(record)["source"] == url and "s3cret" not in record
    index.redirects["moved.yaml"] = f"{url}?token=s3cret"
    code, out, err = run(capsys, "fetch", f"{index.url}/moved.yaml", "-o", "moved.yaml")
    assert code == 2 and f"redirected (302) to {url}: clientgen follows no redirect" in err
    assert "s3cret" not in err and not Path("moved.yaml").exists()


def test_more_than_the_limit_is_not_read(
    index: Index, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch, "MAX_SPEC_BYTES", 1000)
    url = index.add("big.yaml", b"a: 1\n" * 1000)
    code, _, err = run(capsys, "fetch", url)
    assert code == 2 and "big.yaml: 5000 bytes is more than the 1000 bytes allowed" in err
    assert not Path("specs/big.yaml").exists()


def test_an_existing_spec_with_other_content_is_kept_unless_forced(
    index: Index, capsys: pytest.CaptureFixture[str]
) -> None:
    url = index.add("openapi.yaml", SPEC)
    Path("mine.yaml").write_bytes(b"my own edits\n")
    code, _, err = run(capsys, "fetch", url, "-o", "mine.yaml")
    assert code == 2 and "exists with other content: not replaced (--force replaces it)" in err
    assert Path("mine.yaml").read_bytes() == b"my own edits\n"
    code, _, _ = run(capsys, "fetch", url, "-o", "mine.yaml", "--force")
    assert code == 0 and Path("mine.yaml").read_bytes() == SPEC


def test_a_sha256_that_does_not_match_writes_nothing(index: Index, capsys: pytest.CaptureFixture[str]) -> None:
    url = index.add("openapi.yaml", SPEC)
    code, _, err = run(capsys, "fetch", url, "--sha256", "ab" * 32)
    assert code == 2 and f"sha256 {hashlib.sha256(SPEC).hexdigest()}, not {'ab' * 32}: nothing written" in err
    assert not Path("specs").exists()


def test_airflow_versions_name_their_spec_in_the_right_distribution() -> None:
    assert fetch.known_spec("apache-airflow", "2.0.2") == ("apache-airflow", "airflow/api_connexion/openapi/v1.yaml")
    core = ("apache-airflow-core", "airflow/api_fastapi/core_api/openapi/v2-rest-api-generated.yaml")
    assert fetch.known_spec("Apache_Airflow", "3.0.6") == core
    assert fetch.known_spec("apache-airflow-core", "3.3.2") == core


def configured(tmp: Path, **keys: str) -> None:
    lines = [f'{k} = "{v}"' for k, v in keys.items()]
    (tmp / "pyproject.toml").write_text(
        "[[tool.clientgen.targets]]\n"
        'spec = "specs/petshop/spec.yaml"\noutput = "out"\npackage-name = "petshop_client"\n' + "\n".join(lines) + "\n"
    )


@pytest.mark.slow
def test_generate_fetches_a_missing_pinned_spec_and_refuses_a_changed_one(
    index: Index, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    index.project("petshop", {"petshop-1.0-py3-none-any.whl": wheel({INNER: SPEC})})
    digest = hashlib.sha256(SPEC).hexdigest()
    configured(tmp_path, **{"spec-source": "petshop==1.0", "spec-source-path": INNER, "spec-sha256": "0" * 64})
    code, _, err = run(capsys, "generate")
    assert code == 2 and f"petshop==1.0 gives sha256 {digest}, but spec-sha256 pins {'0' * 64}: nothing written" in err
    assert not Path("specs").exists() and not Path("out").exists()

    configured(tmp_path, **{"spec-source": "petshop==1.0", "spec-source-path": INNER, "spec-sha256": digest})
    code, _, err = run(capsys, "generate")
    assert code == 0, err
    assert Path("specs/petshop/spec.yaml").read_bytes() == SPEC
    assert json.loads(Path("specs/petshop/spec.yaml.provenance.json").read_text())["sha256"] == digest
    assert Path("out/petshop_client/client.py").is_file()

    Path("specs/petshop/spec.yaml").write_bytes(SPEC + b"\n# edited\n")
    before = {p: p.read_bytes() for p in Path("out").rglob("*") if p.is_file()}
    code, _, err = run(capsys, "generate")
    assert code == 2 and f"but spec-sha256 pins {digest}: the spec changed" in err
    assert {p: p.read_bytes() for p in Path("out").rglob("*") if p.is_file()} == before


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"spec-sha256": "xyz"}, "spec-sha256 must be 64 hexadecimal digits"),
        ({"spec-source-path": "a/b.yaml"}, "spec-source-path goes with spec-source"),
    ],
)
def test_wrong_source_keys_are_refused(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    keys: dict[str, str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    configured(tmp_path, **keys)
    code, _, err = run(capsys, "generate")
    assert code == 2 and message in err and "pyproject.toml" in err
