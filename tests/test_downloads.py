"""Issue 11: large binary answers written to a file as they arrive, never held whole in memory, and never
left half-written."""

from __future__ import annotations

import asyncio
import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import generated_package, type_check
from tests.normalise import HEAD

SPEC = """
paths:
  /exports/{id}:
    get:
      operationId: get_export
      tags: [exports]
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200": {description: the file, content: {application/octet-stream: {schema: {type: string, format: binary}}}}
"""
BLOB = bytes(range(256)) * 8192  # 2 MiB


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Any]]:
    out = tmp_path_factory.mktemp("downloads") / "out"
    with generated_package(HEAD + SPEC, out, "downloads_client") as pkg:
        yield out, pkg


def chunked(body: bytes, size: int = 65536, fail_after: int | None = None) -> Iterator[bytes]:
    for index, start in enumerate(range(0, len(body), size)):
        if fail_after is not None and index == fail_after:
            raise httpx.ReadError("connection reset")
        yield body[start : start + size]


def client(pkg: Any, handler: Any, **options: Any) -> Any:
    return pkg.Client("http://api.test", http_client=httpx.Client(transport=httpx.MockTransport(handler)), **options)


def test_a_download_larger_than_the_memory_limit_reaches_the_file(generated: tuple[Path, Any], tmp_path: Path) -> None:
    _, pkg = generated
    compressed = gzip.compress(BLOB)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=chunked(compressed, 4096), headers={"Content-Encoding": "gzip"})

    target = tmp_path / "export.bin"
    written = client(pkg, handler, max_response_bytes=1024).exports.get_export_to_file("a", destination=target)
    assert written == len(BLOB) and target.read_bytes() == BLOB
    assert seen[0].headers["accept"] == "application/octet-stream"
    assert list(tmp_path.iterdir()) == [target]  # no part file left beside it
    buffer = io.BytesIO()
    client(pkg, handler).exports.get_export_to_file("a", destination=buffer)
    assert buffer.getvalue() == BLOB


def test_a_failed_download_leaves_no_file(generated: tuple[Path, Any], tmp_path: Path) -> None:
    _, pkg = generated
    target = tmp_path / "export.bin"
    target.write_bytes(b"the previous export")
    broken = client(pkg, lambda request: httpx.Response(200, content=chunked(BLOB, fail_after=3)))
    with pytest.raises(pkg.ApiConnectionError):
        broken.exports.get_export_to_file("a", destination=target)
    limited = client(pkg, lambda request: httpx.Response(200, content=chunked(BLOB)))
    with pytest.raises(pkg.ResponseTooLargeError):
        options = pkg.RequestOptions(max_response_bytes=100_000)
        limited.exports.get_export_to_file("a", destination=target, options=options)
    refused = client(pkg, lambda request: httpx.Response(404, json={"detail": "no such export"}))
    with pytest.raises(pkg.NotFoundError):
        refused.exports.get_export_to_file("a", destination=target)
    assert target.read_bytes() == b"the previous export" and list(tmp_path.iterdir()) == [target]


def test_async_download(generated: tuple[Path, Any], tmp_path: Path) -> None:
    out, pkg = generated

    async def stream() -> Any:
        for piece in chunked(BLOB):
            yield piece

    async def main() -> int:
        transport = httpx.MockTransport(lambda request: httpx.Response(200, content=stream()))
        async with pkg.AsyncClient("http://api.test", http_client=httpx.AsyncClient(transport=transport)) as c:
            return int(await c.exports.get_export_to_file("a", destination=str(tmp_path / "a.bin")))

    assert asyncio.run(main()) == len(BLOB) and (tmp_path / "a.bin").read_bytes() == BLOB
    checked = type_check(out, "downloads_client")
    assert checked.returncode == 0, checked.stdout
