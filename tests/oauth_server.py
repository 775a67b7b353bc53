"""A loopback OAuth2 authorization server and protected resource that follow RFC 6749 and RFC 6750
to the letter, for the auth tests (no OAuth2 server runs from the package registries without a
database and a browser flow; this one is small enough to read against the RFCs).

Token endpoint (``POST /token``, RFC 6749 section 3.2): form-encoded parameters only (section 3.2),
client authentication by HTTP Basic with the id and secret form-encoded first (section 2.3.1) or
by ``client_id``/``client_secret`` in the body, never both (section 2.3). Grants: ``client_credentials``
(4.4), ``password`` (4.3), ``refresh_token`` (6, rotating: a used refresh token is revoked). Success:
``{"access_token", "token_type": "Bearer", "expires_in", "scope"?, "refresh_token"?}`` with
``Cache-Control: no-store`` and ``Pragma: no-cache`` (5.1). Errors: 400 with ``error`` of
``invalid_request``, ``unsupported_grant_type``, ``invalid_grant`` or ``invalid_scope``; 401
``invalid_client`` with ``WWW-Authenticate: Basic`` (5.2).

Protected resource (every other path): ``Authorization: Bearer <token>`` (RFC 6750 section 2.1) of
an issued, unexpired, unrevoked token; else 401 with ``WWW-Authenticate: Bearer
error="invalid_token"`` (section 3) at ``/api/v2/version`` (as Airflow 3 has it) and under
``/protected/``. Every path answers ``{"path", "query", "cookie", "x_key"}`` (and Airflow's version
fields) so API key placement can be checked.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlsplit


@dataclass
class OAuthServer:
    clients: dict[str, str] = field(default_factory=lambda: {"app": "s3cr:et/+ é"})  # id -> secret
    public_clients: frozenset[str] = frozenset({"spa"})
    users: dict[str, str] = field(default_factory=lambda: {"admin": "pw"})
    lifetime: float = 3600.0
    issue_refresh_tokens: bool = False
    token_delay: float = 0.0  # seconds each token request takes (for single-flight tests)
    tokens: dict[str, float] = field(default_factory=dict)  # access token -> expiry
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # refresh token -> client id
    grants: list[str] = field(default_factory=list)  # grant_type of each token request, in order
    resource_calls: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def start(self) -> OAuthServer:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode("utf-8")
                if urlsplit(self.path).path == "/token":
                    status, payload, headers = outer.token(self.headers, body)
                    self.reply(status, payload, {"Cache-Control": "no-store", "Pragma": "no-cache", **headers})
                else:
                    self.resource()

            def do_GET(self) -> None:
                self.resource()

            def resource(self) -> None:
                status, payload, headers = outer.resource(self.path, self.headers)
                self.reply(status, payload, headers)

            def reply(self, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- RFC 6749 ------------------------------------------------------------------------------

    def token(self, headers: Any, body: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        if headers.get("Content-Type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
            return 400, {"error": "invalid_request", "error_description": "form-encoded body required"}, {}
        pairs = parse_qsl(body, keep_blank_values=True)
        names = [k for k, _ in pairs]
        if len(names) != len(set(names)):
            return 400, {"error": "invalid_request", "error_description": "repeated parameter"}, {}
        form = dict(pairs)
        client, problem = self.authenticate(headers.get("Authorization"), form)
        if problem is not None:
            return 401, {"error": "invalid_client"}, {"WWW-Authenticate": 'Basic realm="token"'}
        grant = form.get("grant_type")
        with self.lock:
            self.grants.append(str(grant))
        time.sleep(self.token_delay)
        if grant == "client_credentials":
            if client is None or client in self.public_clients:
                return 401, {"error": "invalid_client"}, {"WWW-Authenticate": 'Basic realm="token"'}
        elif grant == "password":
            if self.users.get(form.get("username", "")) != form.get("password"):
                return 400, {"error": "invalid_grant"}, {}
        elif grant == "refresh_token":
            with self.lock:
                owner = self.refresh_tokens.pop(form.get("refresh_token", ""), None)  # rotation: used once
            if owner is None or owner != client:
                return 400, {"error": "invalid_grant"}, {}
        else:
            return 400, {"error": "unsupported_grant_type"}, {}
        scope = form.get("scope")
        if scope is not None and any(s not in ("read", "write") for s in scope.split(" ")):
            return 400, {"error": "invalid_scope"}, {}
        return 200, self.issue(client, scope), {}

    def authenticate(self, authorization: str | None, form: dict[str, str]) -> tuple[str | None, str | None]:
        """(client id, problem): Basic with form-encoded parts, or the body, never both (2.3)."""
        if authorization is not None and authorization.startswith("Basic "):
            if "client_secret" in form:
                return None, "two methods"
            decoded = base64.b64decode(authorization[6:]).decode("utf-8")
            raw_id, _, raw_secret = decoded.partition(":")
            client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
            return (client_id, None) if self.clients.get(client_id) == secret else (None, "bad secret")
        client_id = form.get("client_id")
        if client_id is None:
            return None, None  # no client authentication (password grant of an anonymous client)
        if client_id in self.public_clients and "client_secret" not in form:
            return client_id, None
        return (client_id, None) if self.clients.get(client_id) == form.get("client_secret") else (None, "bad")

    def issue(self, client: str | None, scope: str | None) -> dict[str, Any]:
        token = secrets.token_urlsafe(24)
        answer: dict[str, Any] = {"access_token": token, "token_type": "Bearer", "expires_in": self.lifetime}
        if scope is not None:
            answer["scope"] = scope
        with self.lock:
            self.tokens[token] = time.time() + self.lifetime
            if self.issue_refresh_tokens:
                refresh = secrets.token_urlsafe(24)
                self.refresh_tokens[refresh] = str(client)
                answer["refresh_token"] = refresh
        return answer

    def grant_refresh_token(self, client: str) -> str:
        """A refresh token as an authorization code exchange would have issued it."""
        refresh = secrets.token_urlsafe(24)
        with self.lock:
            self.refresh_tokens[refresh] = client
        return refresh

    def revoke(self, token: str) -> None:
        with self.lock:
            self.tokens.pop(token, None)

    # -- RFC 6750 ------------------------------------------------------------------------------

    def resource(self, target: str, headers: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
        parts = urlsplit(target)
        seen = {
            "path": parts.path,
            "query": parts.query,
            "cookie": headers.get("Cookie", ""),
            "x_key": headers.get("X-Key", ""),
            "authorization": headers.get("Authorization", ""),
        }
        with self.lock:
            self.resource_calls.append(seen)
        answer = {"version": "3.3.2", "git_version": None, **{k: v for k, v in seen.items() if k != "authorization"}}
        if not parts.path.startswith(("/api/v2/version", "/protected/")):
            return 200, answer, {}
        token = headers.get("Authorization", "").removeprefix("Bearer ")
        with self.lock:
            expiry = self.tokens.get(token)
        if expiry is None or expiry <= time.time():
            return 401, {"detail": "invalid token"}, {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        return 200, answer, {}
