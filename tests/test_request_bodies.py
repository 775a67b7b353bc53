"""Request bodies by media type (issue 11): form (OpenAPI's form rules, Stripe's deepObject nesting),
multipart (files streamed, file arrays, JSON parts), binary and text, typed in the IR and sent right by
a generated package, sync and async."""

from __future__ import annotations

import asyncio
import email.parser
import importlib
import inspect
import io
import itertools
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from clientgen import ir
from tests.conftest import generated_package, groups_of, run_cli, type_check, write
from tests.normalise import HEAD, build, fields, model, op

SPEC = """
paths:
  /v1/customers:
    post:
      operationId: PostCustomers
      tags: [customers]
      requestBody:
        required: true
        content:
          application/x-www-form-urlencoded:
            encoding:
              metadata: {explode: true, style: deepObject}
              items: {explode: true, style: deepObject}
              expand: {explode: true, style: deepObject}
              tags: {style: form, explode: false}
            schema:
              type: object
              required: [email]
              properties:
                email: {type: string}
                balance: {type: integer}
                tax_exempt: {type: boolean}
                metadata: {type: object, additionalProperties: {type: string}}
                expand: {type: array, items: {type: string}}
                tags: {type: array, items: {type: string}}
                labels: {type: array, items: {type: string}}
                items:
                  type: array
                  items:
                    type: object
                    properties:
                      price: {type: string}
                      quantity: {type: integer}
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object}}}}
  /upload:
    post:
      operationId: upload_documents
      tags: [files]
      requestBody:
        required: true
        content:
          multipart/form-data:
            encoding:
              settings: {contentType: application/json}
            schema:
              type: object
              required: [file]
              properties:
                file: {type: string, format: binary}
                attachments: {type: array, items: {type: string, format: binary}}
                title: {type: string}
                count: {type: integer}
                settings: {type: object, properties: {public: {type: boolean}}}
                cover: {allOf: [{type: string, format: binary}, {description: A cover image.}]}
      responses:
        "204": {description: stored}
  /blobs/{name}:
    put:
      operationId: put_blob
      tags: [files]
      parameters:
        - {name: name, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/octet-stream:
            schema: {type: string, format: binary}
      responses:
        "204": {description: stored}
  /notes:
    post:
      operationId: post_note
      tags: [files]
      requestBody:
        required: true
        content:
          text/plain:
            schema: {type: string}
      responses:
        "204": {description: stored}
"""


# -- the IR ------------------------------------------------------------------------------------------


def test_each_media_type_gets_its_encoding_and_types(tmp_path: Path) -> None:
    api = build(tmp_path, SPEC)
    form = op(api, "PostCustomers").body
    assert form is not None and form.encoding == "form" and form.media_type == "application/x-www-form-urlencoded"
    assert dict(form.form_styles) == {
        "expand": "deepObject",
        "items": "deepObject",
        "metadata": "deepObject",
        "tags": "csv",
    }
    upload = op(api, "upload_documents").body
    assert upload is not None and upload.encoding == "multipart" and upload.json_parts == ("settings",)
    parts = fields(model(api, upload.model or ""))
    assert parts["file"].type == ir.Primitive("file") and parts["file"].required
    assert parts["attachments"].type == ir.ListOf(ir.Primitive("file"))
    assert parts["cover"].type == ir.Primitive("file")  # a file described in place (allOf)
    assert parts["title"].type == ir.Primitive("str")
    blob = op(api, "put_blob").body
    assert blob is not None and (blob.encoding, blob.type) == ("binary", ir.Primitive("binary"))
    note = op(api, "post_note").body
    assert note is not None and (note.encoding, note.type) == ("text", ir.Primitive("str"))


def test_a_shared_schema_with_files_is_typed_apart_for_uploads(tmp_path: Path) -> None:
    api = build(
        tmp_path,
        """
paths:
  /a:
    post:
      operationId: upload
      requestBody:
        content: {multipart/form-data: {schema: {$ref: "#/components/schemas/Doc"}}}
      responses: {"204": {description: ok}}
    put:
      operationId: describe
      requestBody:
        content: {application/json: {schema: {$ref: "#/components/schemas/Doc"}}}
      responses: {"204": {description: ok}}
components:
  schemas:
    Doc:
      type: object
      properties:
        content: {type: string, format: binary}
        name: {type: string}
""",
    )
    assert op(api, "upload").body.model == "DocUpload"  # type: ignore[union-attr]
    assert fields(model(api, "DocUpload"))["content"].type == ir.Primitive("file")
    assert op(api, "describe").body.model == "Doc"  # type: ignore[union-attr]
    assert fields(model(api, "Doc"))["content"].type == ir.Primitive("bytes")


def test_other_request_media_types_are_reported(tmp_path: Path) -> None:
    api = build(
        tmp_path,
        """
paths:
  /a:
    post:
      operationId: create
      requestBody:
        content:
          application/json: {schema: {type: object}}
          application/x-www-form-urlencoded: {schema: {type: object, properties: {a: {type: string}}}}
          text/plain: {schema: {type: string}}
      responses: {"204": {description: ok}}
""",
    )
    body = op(api, "create").body
    assert body is not None and body.encoding == "json" and body.alternatives == ()
    (warning,) = api.diagnostics
    assert warning.pointer == "/paths/~1a/post/requestBody/content"
    assert "'application/x-www-form-urlencoded', 'text/plain' with another schema" in warning.message
    assert "sends 'application/json'" in warning.message


VARIANTS = """
paths:
  /pets:
    post:
      operationId: create_pet
      tags: [pets]
      requestBody:
        required: true
        content:
          application/json: {schema: {$ref: "#/components/schemas/Pet"}}
          application/x-www-form-urlencoded:
            schema: {$ref: "#/components/schemas/Pet"}
            encoding: {tags: {style: form, explode: false}}
          application/merge-patch+json: {schema: {$ref: "#/components/schemas/Pet"}}
      responses: {"204": {description: ok}}
components:
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        name: {type: string}
        tags: {type: array, items: {type: string}}
"""


def test_other_media_types_of_the_same_schema_are_chosen_with_content_type(tmp_path: Path) -> None:
    with generated_package(HEAD + VARIANTS, tmp_path / "out", "variants_client") as pkg:
        recorder = Recorder()
        pets = client(pkg, recorder).pets
        pets.create_pet(name="Rex", tags=["a", "b"])
        pets.create_pet(name="Rex", tags=["a", "b"], content_type="application/x-www-form-urlencoded")
        pets.create_pet(name="Rex", content_type="application/merge-patch+json")
        with pytest.raises(ValueError, match="not offered"):
            pets.create_pet(name="Rex", content_type="text/csv")
        sent = [(r.headers["content-type"], body) for r, body in recorder.requests]
        assert sent == [
            ("application/json", b'{"name":"Rex","tags":["a","b"]}'),
            ("application/x-www-form-urlencoded", b"name=Rex&tags=a%2Cb"),
            ("application/merge-patch+json", b'{"name":"Rex"}'),
        ]
        checked = type_check(tmp_path / "out", "variants_client")
        assert checked.returncode == 0, checked.stdout


def test_a_request_media_type_that_would_break_the_header_is_refused(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "spec.yaml",
        HEAD + """
paths:
  /a:
    post:
      operationId: create
      requestBody:
        content: {"text/plain\\r\\nX-Injected: 1": {schema: {type: string}}}
      responses: {"204": {description: ok}}
""",
    )
    result = run_cli("generate", spec, "-o", tmp_path / "out", "--package-name", "c")
    assert result.returncode == 2 and "Content-Type header" in result.stderr


# -- the generated package on the wire --------------------------------------------------------------


@pytest.fixture(scope="module")
def pkg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with generated_package(HEAD + SPEC, tmp_path_factory.mktemp("bodies") / "client", "bodies_client") as pkg:
        yield pkg


class Recorder:
    """A MockTransport handler that keeps each request with its body read (streams included)."""

    def __init__(self) -> None:
        self.requests: list[tuple[httpx.Request, bytes]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request, request.read()))
        return httpx.Response(
            200 if request.url.path.startswith("/v1") else 204, json={} if request.url.path.startswith("/v1") else None
        )

    async def handle_async(self, request: httpx.Request) -> httpx.Response:
        body = b"".join([chunk async for chunk in request.stream])  # type: ignore[union-attr]
        self.requests.append((request, body))
        return httpx.Response(204)


def client(pkg: Any, recorder: Recorder) -> Any:
    return pkg.Client("http://api.test", http_client=httpx.Client(transport=httpx.MockTransport(recorder)))


def parse_deep(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """How a Stripe-style server reads bracketed form keys back into nested values."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        names = re.findall(r"^[^\[]+|\[([^\]]*)\]", key)
        head, *path = [key.split("[")[0]] + [n for n in names[1:]]
        node: Any = out
        keys = [head, *path]
        for here, following in itertools.pairwise(keys):
            container: Any = [] if following.isdigit() else {}
            if isinstance(node, list):
                index = int(here)
                while len(node) <= index:
                    node.append(None)
                node[index] = node[index] if node[index] is not None else container
                node = node[index]
            else:
                node = node.setdefault(here, container)
        if isinstance(node, list):
            node.append(value)
        else:
            node[keys[-1]] = value
    return out


def test_a_stripe_style_nested_form_body_round_trips(pkg: Any) -> None:
    recorder = Recorder()
    client(pkg, recorder).customers.post_customers(
        email="ada@example.com",
        balance=-5,
        tax_exempt=False,
        metadata={"order": "6735", "note": "a&b=c d"},
        expand=["default_source", "invoice_settings"],
        items=[pkg.models.PostCustomersBodyItemsItem(price="price_1", quantity=2)],
        tags=["a", "b"],
        labels=["x", "y"],
    )
    request, body = recorder.requests[0]
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    pairs = parse_qsl(body.decode(), keep_blank_values=True)
    assert ("labels", "x") in pairs and ("labels", "y") in pairs  # form style, exploded: repeated
    assert ("tags", "a,b") in pairs  # explode: false
    sent = parse_deep([(k, v) for k, v in pairs if k not in ("labels", "tags")])
    assert sent == {
        "email": "ada@example.com",
        "balance": "-5",
        "tax_exempt": "false",
        "metadata": {"order": "6735", "note": "a&b=c d"},
        "expand": ["default_source", "invoice_settings"],
        "items": [{"price": "price_1", "quantity": "2"}],
    }
    assert "metadata%5Border%5D=6735" in body.decode()  # brackets percent-encoded, as form encoding does


def multipart_parts(request: httpx.Request, body: bytes) -> list[tuple[str, str | None, str | None, bytes]]:
    """(name, filename, content type, content) of each part, parsed by the standard library."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = email.parser.BytesParser().parsebytes(head + body)
    assert message.is_multipart()
    return [
        (
            part.get_param("name", header="content-disposition"),  # type: ignore[misc]
            part.get_filename(),
            part.get("content-type"),
            part.get_payload(decode=True),  # type: ignore[misc]
        )
        for part in message.get_payload()  # type: ignore[union-attr]
    ]


def test_multipart_with_files_a_file_array_and_a_json_part(pkg: Any, tmp_path: Path) -> None:
    report = write(tmp_path / "report.pdf", "%PDF-1.7 pretend")
    recorder = Recorder()
    client(pkg, recorder).files.upload_documents(
        file=report,
        attachments=[b"raw bytes", ("notes.txt", io.BytesIO(b"line 1\n"), "text/plain")],
        title="Q3",
        count=3,
        settings=pkg.models.UploadDocumentsBodySettings(public=True),
    )
    request, body = recorder.requests[0]
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert multipart_parts(request, body) == [  # fields first, then files, each in the spec's order
        ("title", None, None, b"Q3"),
        ("count", None, None, b"3"),
        ("settings", None, "application/json", b'{"public":true}'),
        ("file", "report.pdf", "application/octet-stream", b"%PDF-1.7 pretend"),
        ("attachments", "attachments", "application/octet-stream", b"raw bytes"),
        ("attachments", "notes.txt", "text/plain", b"line 1\n"),
    ]


def test_multipart_without_files_is_still_multipart(pkg: Any) -> None:
    recorder = Recorder()
    client(pkg, recorder).files.upload_documents(body=pkg.models.UploadDocumentsBody(file=b"x"), title="t")
    request, body = recorder.requests[0]
    assert request.headers["content-type"].startswith("multipart/form-data")
    assert [name for name, *_ in multipart_parts(request, body)] == ["title", "file"]


def test_binary_bodies_from_bytes_a_file_a_path_and_an_iterator(pkg: Any, tmp_path: Path) -> None:
    recorder = Recorder()
    c = client(pkg, recorder)
    path = tmp_path / "blob.bin"
    path.write_bytes(bytes(range(256)) * 1024)  # 256 KiB: several chunks
    c.files.put_blob("a", b"\x00\x01")
    with path.open("rb") as file:
        c.files.put_blob("b", file)
    c.files.put_blob("c", path)
    c.files.put_blob("d", iter([b"chunk1", b"chunk2"]))
    sent = [
        (r.url.path, r.headers["content-type"], r.headers.get("content-length"), body) for r, body in recorder.requests
    ]
    assert sent[0] == ("/blobs/a", "application/octet-stream", "2", b"\x00\x01")
    assert sent[1] == ("/blobs/b", "application/octet-stream", str(256 * 1024), path.read_bytes())
    assert sent[2] == ("/blobs/c", "application/octet-stream", str(256 * 1024), path.read_bytes())
    assert sent[3][1:] == ("application/octet-stream", None, b"chunk1chunk2")


def test_a_binary_body_is_never_json_encoded_and_str_is_refused(pkg: Any) -> None:
    recorder = Recorder()
    with pytest.raises(TypeError, match="BinaryContent"):
        client(pkg, recorder).files.put_blob("a", "text is not bytes")
    assert recorder.requests == []


def test_a_text_body_is_sent_as_utf8_text(pkg: Any) -> None:
    recorder = Recorder()
    client(pkg, recorder).files.post_note("héllo")
    request, body = recorder.requests[0]
    assert (request.headers["content-type"], body) == ("text/plain; charset=utf-8", "héllo".encode())


def test_a_file_body_is_sent_again_from_its_start_on_a_retry(pkg: Any, tmp_path: Path) -> None:
    attempts: list[bytes] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        attempts.append(request.read())
        if len(attempts) == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(204)

    c = pkg.Client("http://api.test", http_client=httpx.Client(transport=httpx.MockTransport(flaky)))
    c.files.put_blob("a", io.BytesIO(b"whole content"))
    assert attempts == [b"whole content", b"whole content"]


def test_an_iterator_body_is_not_retried(pkg: Any) -> None:
    attempts: list[bytes] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        attempts.append(request.read())
        raise httpx.ConnectError("refused", request=request)

    c = pkg.Client("http://api.test", http_client=httpx.Client(transport=httpx.MockTransport(refuse)))
    with pytest.raises(pkg.ApiConnectionError):
        c.files.put_blob("a", iter([b"once"]))
    assert attempts == [b"once"]


def test_async_uploads_stream_files_and_multipart(pkg: Any, tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "async content")
    recorder = Recorder()

    async def main() -> None:
        transport = httpx.MockTransport(recorder.handle_async)
        async with pkg.AsyncClient("http://api.test", http_client=httpx.AsyncClient(transport=transport)) as c:
            await c.files.put_blob("a", path)
            with path.open("rb") as file:
                await c.files.put_blob("b", file)
            await c.files.put_blob("c", iter([b"x", b"y"]))
            await c.files.upload_documents(file=path, title="t")

    asyncio.run(main())
    bodies = [body for _, body in recorder.requests]
    assert bodies[:3] == [b"async content", b"async content", b"xy"]
    request, body = recorder.requests[3]
    assert multipart_parts(request, body)[1] == ("file", "a.txt", "application/octet-stream", b"async content")


# -- cookie parameters --------------------------------------------------------------------------------

COOKIES = """
paths:
  /session:
    get:
      operationId: get_session
      parameters:
        - {name: session_id, in: cookie, required: true, schema: {type: string}}
        - {name: theme, in: cookie, schema: {type: string}}
        - {name: X-Trace, in: header, schema: {type: string}}
        - {name: "X Bad", in: header, schema: {type: string}}
      responses:
        "204": {description: ok}
"""


def test_cookie_parameters_are_sent_beside_the_clients_own_cookies(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", HEAD + COOKIES)
    result = run_cli("generate", spec, "-o", tmp_path / "out", "--package-name", "cookie_client")
    assert result.returncode == 0, result.stderr
    assert "'X Bad' is not a valid header name" in result.stderr  # said, and not a parameter
    sys.path.insert(0, str(tmp_path / "out"))
    try:
        pkg = importlib.import_module("cookie_client")
    finally:
        sys.path.remove(str(tmp_path / "out"))
    recorder = Recorder()
    http = httpx.Client(transport=httpx.MockTransport(recorder), cookies={"jar": "1"})
    c = pkg.Client("http://api.test", http_client=http)
    group = next(v for v in groups_of(c).values() if hasattr(v, "get_session"))
    group.get_session(session_id="a b;c=d,é", x_trace="t")
    group.get_session(session_id="plain", theme="dark")
    first, second = (r.headers["cookie"] for r, _ in recorder.requests)
    assert first == "jar=1; session_id=a%20b%3Bc=d%2C%C3%A9"  # nothing in a value can end the pair
    assert second == "jar=1; session_id=plain; theme=dark"
    assert recorder.requests[0][0].headers["x-trace"] == "t" and "x bad" not in recorder.requests[0][0].headers
    assert "x_bad" not in inspect.signature(group.get_session).parameters
