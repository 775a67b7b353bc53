"""Record exchanges with a real server into readable JSON fixtures, and replay them offline.

A fixture is the ordered list of request/response pairs one scenario produced against a live Airflow.
Replay serves the recorded responses in order and fails when the client sends anything other than what
was recorded (method, path, query, JSON body), so a replayed scenario checks the client's requests too.
Credentials never reach a fixture: Authorization/Cookie headers are dropped and any JSON field named
``password`` or ``access_token`` is replaced, in requests and responses alike.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

KEPT_REQUEST_HEADERS = ("accept", "content-type")
KEPT_RESPONSE_HEADERS = ("content-type", "location", "link", "retry-after", "www-authenticate")
SCRUBBED = "<scrubbed>"
SECRET_FIELDS = frozenset({"password", "access_token"})


def scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: SCRUBBED if k in SECRET_FIELDS else scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def _body(content: bytes, content_type: str) -> dict[str, Any]:
    if not content:
        return {}
    if "json" in content_type:
        return {"json": scrub(json.loads(content))}
    return {"text": content.decode("utf-8", errors="replace")}


def request_record(request: httpx.Request) -> dict[str, Any]:
    headers = {k: request.headers[k] for k in KEPT_REQUEST_HEADERS if k in request.headers}
    return {
        "method": request.method,
        "path": request.url.raw_path.split(b"?")[0].decode("ascii"),
        "query": [list(pair) for pair in request.url.params.multi_items()],
        "headers": headers,
        **_body(request.content, request.headers.get("content-type", "")),
    }


def response_record(response: httpx.Response) -> dict[str, Any]:
    headers = {k: response.headers[k] for k in KEPT_RESPONSE_HEADERS if k in response.headers}
    return {
        "status": response.status_code,
        "headers": headers,
        **_body(response.content, headers.get("content-type", "")),
    }


class RecordingTransport(httpx.BaseTransport):
    """Passes requests to a real transport and keeps a scrubbed record of each exchange."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner or httpx.HTTPTransport()
        self.exchanges: list[dict[str, Any]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        self.exchanges.append({"request": request_record(request), "response": response_record(response)})
        return response

    def close(self) -> None:
        self.inner.close()


class ReplayTransport(httpx.BaseTransport):
    """Serves a fixture's responses in order, checking each request against the recorded one."""

    def __init__(self, exchanges: list[dict[str, Any]]) -> None:
        self.exchanges = exchanges
        self.position = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.position >= len(self.exchanges):
            raise AssertionError(f"unrecorded extra request: {request.method} {request.url}")
        expected = self.exchanges[self.position]
        self.position += 1
        actual = request_record(request)
        for key in ("method", "path", "query", "json", "text"):
            if actual.get(key) != expected["request"].get(key):
                raise AssertionError(
                    f"request {self.position} differs in {key}: sent {actual.get(key)!r}, "
                    f"recorded {expected['request'].get(key)!r}"
                )
        recorded = expected["response"]
        if "json" in recorded:
            content = json.dumps(recorded["json"]).encode()
        else:
            content = recorded.get("text", "").encode()
        return httpx.Response(recorded["status"], headers=recorded["headers"], content=content, request=request)

    @property
    def finished(self) -> bool:
        return self.position == len(self.exchanges)


def save(path: Path, scenario: str, version: str, exchanges: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"scenario": scenario, "airflow": version, "exchanges": exchanges}
    path.write_text(json.dumps(document, indent=1, sort_keys=False) + "\n", encoding="utf-8")


def load(path: Path) -> list[dict[str, Any]]:
    exchanges: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["exchanges"]
    return exchanges
