"""Request bodies that are not JSON, generated from real specs of the public corpus (scripts/corpus.py) and
sent to Prism, which validates each request against its spec per media type (`pytest -m live`): a form
(anchore.io's OAuth token request), multipart with a file and an integer part (i-cue.solutions' file-to-json),
and a binary body (ETSI MEC 010-2's application package upload, application/zip). Any `sl-violations`
header, or a 4xx/5xx answer, fails the test.

An array of files (repeated parts of one name, OpenAPI's encoding) cannot be checked here: Prism 5 keeps
only the last of repeated parts and reports "must be array" (stoplightio/prism pull request 2654, open);
tests/test_request_bodies.py parses that encoding back with the standard library instead.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, generated_package

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
    return next(g for g in vars(client).values() if hasattr(g, method))


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


def test_a_binary_body(mocked: Callable[..., tuple[Any, Any, list[str]]], tmp_path: Path) -> None:
    _, client, violations = mocked("etsi.local/MEC010-2_AppPkgMgmt.json", "etsi_client")
    package = tmp_path / "package.zip"
    package.write_bytes(b"PK\x03\x04 pretend zip")
    group_with(client, "app_pkg_put").app_pkg_put("pkg1", package)
    assert violations == []
