"""Issue 11: ``text/event-stream`` answers (Snowflake's Cortex specs) as a typed stream of server-sent events,
parsed by the WHATWG rules, sync and async."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import generated_package, type_check
from tests.normalise import HEAD

SPEC = """
paths:
  /complete:
    post:
      operationId: complete
      tags: [cortex]
      requestBody:
        content: {application/json: {schema: {type: object, properties: {prompt: {type: string}}}}}
      responses:
        "200":
          description: the completion, streamed
          content:
            text/event-stream:
              schema: {$ref: "#/components/schemas/Chunk"}
components:
  schemas:
    Chunk:
      type: object
      required: [text]
      properties:
        text: {type: string}
        index: {type: integer}
"""

# Every rule at once: CRLF and lone CR line ends, a comment, a field without a colon, two data lines
# joined, an event type, an id kept for later events, retry, a blank-data event that is not sent,
# a sentinel that is not JSON, and an unfinished event at the end (never dispatched).
STREAM = (
    b": keep-alive\r\n"
    b'data: {"text": "Hel", "index": 0}\r\n\r\n'
    b'event: delta\nid: 7\nretry: 1500\ndata: {"text":\ndata: "lo"}\n\n'
    b'data\rdata:{"text": "!"}\r\r'
    b"event: empty\n\n"
    b"data: [DONE]\n\n"
    b'data: {"text": "never ended"}'
)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Any]]:
    out = tmp_path_factory.mktemp("sse") / "out"
    with generated_package(HEAD + SPEC, out, "sse_client") as pkg:
        yield out, pkg


def client(pkg: Any, body: bytes, seen: list[httpx.Request] | None = None, **options: Any) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        (seen if seen is not None else []).append(request)
        return httpx.Response(200, content=body, headers={"Content-Type": "text/event-stream"})

    return pkg.Client("http://api.test", http_client=httpx.Client(transport=httpx.MockTransport(handler)), **options)


def test_events_by_the_whatwg_rules(generated: tuple[Path, Any]) -> None:
    _, pkg = generated
    seen: list[httpx.Request] = []
    events = list(client(pkg, STREAM, seen).cortex.complete_stream(prompt="hi"))
    assert [(e.event, e.data, e.id, e.retry) for e in events] == [
        ("message", '{"text": "Hel", "index": 0}', None, None),
        ("delta", '{"text":\n"lo"}', "7", 1500),
        ("message", '\n{"text": "!"}', "7", 1500),  # "data" alone is an empty data line
        ("message", "[DONE]", "7", 1500),
    ]
    assert seen[0].headers["accept"] == "text/event-stream"
    assert [e.json() for e in events[:3]] == [
        pkg.models.Chunk(text="Hel", index=0),
        pkg.models.Chunk(text="lo"),
        pkg.models.Chunk(text="!"),
    ]
    with pytest.raises(pkg.ResponseValidationError) as refused:
        events[3].json()  # the sentinel is not a Chunk
    assert refused.value.status == 200 and "not JSON" in str(refused.value)


def test_an_event_breaking_its_schema_raises_the_packages_error(generated: tuple[Path, Any]) -> None:
    _, pkg = generated
    (event,) = client(pkg, b'data: {"index": "x"}\n\n', strict=True).cortex.complete_stream()
    with pytest.raises(pkg.ResponseValidationError):
        event.json()


def test_an_endless_event_is_bounded(generated: tuple[Path, Any]) -> None:
    _, pkg = generated
    endless = b"data: " + b"x" * 5000 + b"\n" + b"data: more\n" * 2000
    with pytest.raises(pkg.ResponseTooLargeError):
        list(client(pkg, endless, max_response_bytes=4096).cortex.complete_stream())


def test_async_events(generated: tuple[Path, Any]) -> None:
    _, pkg = generated

    async def main() -> list[Any]:
        transport = httpx.MockTransport(
            lambda request: httpx.Response(200, content=STREAM, headers={"Content-Type": "text/event-stream"})
        )
        async with pkg.AsyncClient("http://api.test", http_client=httpx.AsyncClient(transport=transport)) as c:
            return [event async for event in c.cortex.complete_stream(prompt="hi")]

    events = asyncio.run(main())
    assert [e.event for e in events] == ["message", "delta", "message", "message"]
    assert events[1].json() == pkg.models.Chunk(text="lo")


def test_the_main_method_returns_the_whole_stream_as_text_and_the_package_type_checks(
    generated: tuple[Path, Any],
) -> None:
    out, pkg = generated
    assert client(pkg, b"data: 1\n\n").cortex.complete() == "data: 1\n\n"
    checked = type_check(out, "sse_client")
    assert checked.returncode == 0, checked.stdout
