"""Request bodies that are not JSON, generated from real specs of the public corpus (scripts/corpus.py) and
sent to Prism, which validates each request against its spec per media type (`pytest -m live`): a form
(anchore.io's OAuth token request), multipart with a file and an integer part (i-cue.solutions' file-to-json),
and a binary body (ETSI MEC 010-2's application package upload, application/zip). Any `sl-violations`
header, or a 4xx/5xx answer, fails the test.

An array of files (repeated parts of one name, OpenAPI's encoding) is checked with elevenlabs.io's voice
upload: Prism 5 as released keeps only the last of repeated parts and reports "must be array", so
scripts/prism.py applies the fix proposed upstream (stoplightio/prism pull request 2654, open) to the pinned
install; the control test below shows this Prism still refuses a body its spec refuses.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, generated_package, groups_of

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def corpus() -> Path:
    sys.path.insert(0, str(ROOT / "scripts"))
    import corpus

    return Path(corpus.fetch_specs())


@pytest.fixture
def mocked(corpus: Path, tmp_path: Path) -> Iterator[Callable[..., tuple[Any, Any, list[str]]]]:
    import prism

    servers: list[Any] = []

    def start(spec_name: str, package: str, **client: Any) -> tuple[Any, Any, list[str]]:
        spec = corpus / spec_name
        server = prism.start(spec, dynamic=False)
        servers.append(server)
        violations: list[str] = []

        def check(response: httpx.Response) -> None:
            response.read()
            if "sl-violations" in response.headers or response.status_code >= 400:
                violations.append(f"{response.status_code} {response.headers.get('sl-violations', '')}")

        stack = generated_package(spec.read_text(encoding="utf-8"), tmp_path / package, package)
        pkg = stack.__enter__()
        http = httpx.Client(event_hooks={"response": [check]})
        auth = client.pop("auth", None)
        return pkg, pkg.Client(server.base_url, http_client=http, max_retries=0, auth=auth and auth(pkg)), violations

    yield start
    for server in servers:
        prism.stop(server)


def group_with(client: Any, method: str) -> Any:
    return next(g for g in groups_of(client).values() if hasattr(g, method))


def test_a_form_body(mocked: Callable[..., tuple[Any, Any, list[str]]]) -> None:
    _, client, violations = mocked("anchore.io.json", "anchore_client")
    group_with(client, "get_oauth_token").get_oauth_token(username="admin", password="secret", grant_type="password")
    assert violations == []


def test_multipart_with_a_file_and_an_integer_part(mocked: Callable[..., tuple[Any, Any, list[str]]]) -> None:
    _, client, violations = mocked("i-cue.solutions.json", "icue_client")
    group = group_with(client, "post_administration_file_to_json")
    # no comma in the file: the spec gives the part `style: form`, and Prism splits a form-style value at commas
    group.post_administration_file_to_json(file=("series.csv", io.BytesIO(b"12\n15\n18\n"), "text/csv"), periodicity=12)
    assert violations == []


def test_multipart_with_a_file_array(mocked: Callable[..., tuple[Any, Any, list[str]]], tmp_path: Path) -> None:
    _, client, violations = mocked("elevenlabs.io.json", "elevenlabs_client")
    sample = tmp_path / "sample.mp3"
    sample.write_bytes(b"ID3 pretend audio")
    group_with(client, "add_voice_v1_voices_add_post").add_voice_v1_voices_add_post(
        name="Narrator",
        files=[sample, ("take2.mp3", b"ID3 second take", "audio/mpeg"), io.BytesIO(b"ID3 third take")],
        labels='{"accent": "scottish"}',
    )
    assert violations == []


def test_the_patched_prism_still_refuses_a_file_array_body_without_its_required_name(corpus: Path) -> None:
    import prism

    server = prism.start(corpus / "elevenlabs.io.json", dynamic=False)
    try:
        files = [("files", ("a.mp3", b"ID3 a", "audio/mpeg")), ("files", ("b.mp3", b"ID3 b", "audio/mpeg"))]
        answer = httpx.post(f"{server.base_url}/v1/voices/add", files=files)
        with_name = httpx.post(f"{server.base_url}/v1/voices/add", files=[*files, ("name", (None, b"Narrator"))])
    finally:
        prism.stop(server)
    # Prism answers a refused request with the spec's own 422 example; what it found is in sl-violations
    assert answer.status_code == 422
    assert "must have required property 'name'" in answer.headers["sl-violations"]
    assert with_name.status_code == 200 and "sl-violations" not in with_name.headers, with_name.headers


def test_a_binary_body(mocked: Callable[..., tuple[Any, Any, list[str]]], tmp_path: Path) -> None:
    _, client, violations = mocked("etsi.local/MEC010-2_AppPkgMgmt.json", "etsi_client")
    package = tmp_path / "package.zip"
    package.write_bytes(b"PK\x03\x04 pretend zip")
    group_with(client, "app_pkg_put").app_pkg_put("pkg1", package)
    assert violations == []
