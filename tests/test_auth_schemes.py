"""Auth from the spec's security schemes (issue 15), against a loopback OAuth2 server that follows
RFC 6749/6750 exactly (tests/oauth_server.py) on real sockets: client credentials with caching,
renewal before expiry, single-flight renewal under threads and tasks, refresh tokens (rotated, and
the own grant again when one is refused), tokens brought by the application, API keys in a header, a
query or a cookie, and per-operation requirements (alternatives and AND-combinations) when several
schemes are configured. Secrets never appear in a repr or an error."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import generated_package
from tests.oauth_server import OAuthServer
from tests.test_runtime_edges import load

SECRET = "s3cr:et/+ é"  # characters RFC 6749 2.3.1's form-encoding must carry through Basic auth


@pytest.fixture
def server() -> Iterator[OAuthServer]:
    running = OAuthServer().start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def af3() -> ModuleType:
    return load("3.3.2")


def version_client(af3: ModuleType, server: OAuthServer, auth: Any) -> Any:
    """Airflow 3's client against the loopback server (its /api/v2/version needs a bearer token)."""
    return af3.Client(server.url, auth=auth, max_retries=0)


def test_client_credentials_token_is_cached_renewed_before_expiry_and_after_a_401(
    af3: ModuleType, server: OAuthServer
) -> None:
    auth = af3.ClientCredentialsAuth("app", SECRET, token_url="/token", scopes=["read"])
    client = version_client(af3, server, auth)
    client.version.get_version()
    client.version.get_version()
    assert server.grants == ["client_credentials"]  # one token for both calls
    assert SECRET not in repr(auth) and "***" in repr(auth)

    server.lifetime = 0.6  # the next token is renewed halfway through its life, before it expires
    server.revoke(next(iter(server.tokens)))  # and the cached one is revoked: 401, new token, one retry
    client.version.get_version()
    assert server.grants == ["client_credentials"] * 2
    time.sleep(0.35)
    client.version.get_version()
    assert server.grants == ["client_credentials"] * 3
    assert [c["authorization"] != "" for c in server.resource_calls] == [True] * len(server.resource_calls)


def test_client_credentials_in_the_body_and_a_refused_client(af3: ModuleType, server: OAuthServer) -> None:
    body = af3.ClientCredentialsAuth("app", SECRET, token_url=f"{server.url}/token", client_auth="body")
    version_client(af3, server, body).version.get_version()
    wrong = af3.ClientCredentialsAuth("app", "wrong-secret-123", token_url="/token")
    with pytest.raises(af3.AuthenticationError) as refused:
        version_client(af3, server, wrong).version.get_version()
    assert refused.value.status == 401 and "wrong-secret-123" not in str(refused.value) + repr(refused.value)
    scoped = af3.ClientCredentialsAuth("app", SECRET, token_url="/token", scopes=["admin"])
    with pytest.raises(af3.BadRequestError) as bad_scope:
        version_client(af3, server, scoped).version.get_version()
    assert bad_scope.value.body == {"error": "invalid_scope"}


def test_concurrent_first_calls_share_one_token_request(af3: ModuleType, server: OAuthServer) -> None:
    server.token_delay = 0.3
    auth = af3.ClientCredentialsAuth("app", SECRET, token_url="/token")
    client = version_client(af3, server, auth)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            client.version.get_version()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and server.grants == ["client_credentials"]

    async_auth = af3.ClientCredentialsAuth("app", SECRET, token_url="/token")

    async def tasks() -> None:
        async with af3.AsyncClient(server.url, auth=async_auth, max_retries=0) as aclient:
            await asyncio.gather(*(aclient.version.get_version() for _ in range(20)))

    asyncio.run(tasks())
    assert server.grants == ["client_credentials"] * 2


def test_refresh_tokens_are_used_rotated_and_replaced_when_refused(af3: ModuleType, server: OAuthServer) -> None:
    server.issue_refresh_tokens = True
    server.lifetime = 0.4
    seen: list[Any] = []
    auth = af3.ClientCredentialsAuth("app", SECRET, token_url="/token", on_token=seen.append)
    client = version_client(af3, server, auth)
    client.version.get_version()
    time.sleep(0.25)  # past halfway: renewed with the refresh token
    client.version.get_version()
    assert server.grants == ["client_credentials", "refresh_token"]
    assert seen[1].refresh_token != seen[0].refresh_token  # rotated: the new one is kept
    assert seen[0].refresh_token not in server.refresh_tokens and seen[1].refresh_token in server.refresh_tokens
    assert "refresh_token='***'" in repr(seen[1]) and seen[1].access_token not in repr(seen[1])
    server.refresh_tokens.clear()  # revoked: invalid_grant, so the client credentials grant runs again
    time.sleep(0.25)
    client.version.get_version()
    assert server.grants == ["client_credentials", "refresh_token", "refresh_token", "client_credentials"]


def test_tokens_the_application_brings_are_refreshed_and_handed_back(af3: ModuleType, server: OAuthServer) -> None:
    """Authorization code / OpenID Connect: the app has a refresh token (a public client: its id in
    the body, no secret); each rotation reaches ``on_token`` so the app can store it."""
    stored: list[Any] = []
    server.issue_refresh_tokens = True
    first = server.grant_refresh_token("spa")
    auth = af3.RefreshTokenAuth(first, token_url="/token", client_id="spa", client_auth="body", on_token=stored.append)
    client = version_client(af3, server, auth)
    client.version.get_version()
    assert server.grants == ["refresh_token"] and stored[0].refresh_token in server.refresh_tokens
    assert first not in repr(auth) and first not in server.refresh_tokens  # used once

    spent = af3.RefreshTokenAuth(first, token_url="/token", client_id="spa", client_auth="body")
    with pytest.raises(af3.BadRequestError) as refused:
        version_client(af3, server, spent).version.get_version()
    assert refused.value.body == {"error": "invalid_grant"} and first not in str(refused.value)

    token = next(iter(server.tokens))
    brought = af3.RefreshTokenAuth("unused", token_url="/token", access_token=token, expires_at=time.time() + 600)
    version_client(af3, server, brought).version.get_version()
    assert server.grants == ["refresh_token", "refresh_token"]  # the brought token was used as it is


def test_password_grant_as_a_form(af3: ModuleType, server: OAuthServer) -> None:
    auth = af3.PasswordAuth("admin", "pw", token_url="/token", form=True, client_id="app", client_secret=SECRET)
    version_client(af3, server, auth).version.get_version()
    assert server.grants == ["password"]


@pytest.mark.filterwarnings("ignore:HealthInfoResponse")  # the loopback server is no full Airflow
def test_api_keys_go_in_a_header_a_query_or_a_cookie(af3: ModuleType, server: OAuthServer) -> None:
    for auth, where, expected in (
        (af3.ApiKeyAuth("k-123", header="X-Key"), "x_key", "k-123"),
        (af3.ApiKeyAuth("k-123", query="api_key"), "query", "api_key=k-123"),
        (af3.ApiKeyAuth("k-123", cookie="session"), "cookie", "session=k-123"),
    ):
        client = af3.Client(server.url, auth=auth, max_retries=0)
        client.monitor.get_health()  # /api/v2/monitor/health: the server answers what it was sent
        assert server.resource_calls[-1][where] == expected
        assert "k-123" not in repr(auth)
    with pytest.raises(ValueError, match="one of"):
        af3.ApiKeyAuth("k", header="A", query="b")
    with pytest.raises(ValueError, match="cookie"):
        af3.ApiKeyAuth("a;b", cookie="session")


SCHEMES_SPEC = """
openapi: 3.0.3
info: {title: Schemes, version: "1"}
servers: [{url: /}]
security: [{Token: []}]
paths:
  /open/ping:
    get: {operationId: ping, tags: [t], security: [], responses: {"200": {$ref: "#/components/responses/Seen"}}}
  /key:
    get:
      operationId: by_key
      tags: [t]
      security: [{KeyHeader: []}]
      responses: {"200": {$ref: "#/components/responses/Seen"}}
  /either:
    get:
      operationId: either
      tags: [t]
      security: [{Token: []}, {KeyHeader: []}]
      responses: {"200": {$ref: "#/components/responses/Seen"}}
  /both:
    get:
      operationId: both
      tags: [t]
      security: [{KeyHeader: [], AppId: []}]
      responses: {"200": {$ref: "#/components/responses/Seen"}}
  /token-and-key:
    get:
      operationId: token_and_key
      tags: [t]
      security: [{Token: [], ZKey: []}]
      responses: {"200": {$ref: "#/components/responses/Seen"}}
  /protected/default:
    get: {operationId: by_default, tags: [t], responses: {"200": {$ref: "#/components/responses/Seen"}}}
components:
  securitySchemes:
    KeyHeader: {type: apiKey, in: header, name: X-Key}
    AppId: {type: apiKey, in: query, name: app_id}
    Session: {type: apiKey, in: cookie, name: session}
    Token: {type: oauth2, flows: {clientCredentials: {tokenUrl: /token, scopes: {read: r, write: w}}}}
    ZKey: {type: apiKey, in: header, name: X-Key}
    Digest: {type: http, scheme: digest}
  responses:
    Seen:
      description: what the server saw
      content:
        application/json:
          schema:
            type: object
            properties: {path: {type: string}, query: {type: string}, cookie: {type: string}, x_key: {type: string}}
"""


@pytest.fixture(scope="module")
def schemes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    with generated_package(SCHEMES_SPEC, tmp_path_factory.mktemp("schemes") / "out", "schemes_client") as pkg:
        yield pkg


def test_each_scheme_has_a_typed_constructor_on_auth(schemes: ModuleType) -> None:
    auth = schemes.Auth
    assert isinstance(auth.key_header("k"), schemes.ApiKeyAuth) and auth.key_header("k").name == "X-Key"
    assert auth.app_id("a").location == "query" and auth.session("s").location == "cookie"
    token = auth.token("app", SECRET, scopes=["read"])
    assert isinstance(token, schemes.ClientCredentialsAuth) and token.token_url == "/token"
    assert not hasattr(auth, "digest")  # HTTP digest: no runtime auth sends it (a warning says so)


def test_each_operation_gets_the_scheme_it_declares(schemes: ModuleType, server: OAuthServer) -> None:
    auth = schemes.Auth
    client = schemes.Client(
        server.url,
        auth={"KeyHeader": auth.key_header("k-1"), "AppId": auth.app_id("a-1"), "Token": auth.token("app", SECRET)},
        max_retries=0,
    )
    assert client.t.by_key().x_key == "k-1" and server.grants == []
    both = client.t.both()
    assert (both.x_key, both.query) == ("k-1", "app_id=a-1")  # AND: both schemes together
    assert client.t.either().x_key == ""  # the first alternative, Token, is configured
    assert client.t.by_default().path == "/protected/default"  # the spec's default (Token) on a real check
    assert server.grants == ["client_credentials"]
    # AND with a token flow whose scheme sorts first: the key is set, the token flow runs last
    keyed = schemes.Client(server.url, auth={"Token": auth.token("app", SECRET), "ZKey": auth.z_key("z-1")})
    assert keyed.t.token_and_key().x_key == "z-1" and server.resource_calls[-1]["authorization"].startswith("Bearer ")
    # security: [] says "none needed", yet servers such as Airflow 2 declare it and still check:
    # the first scheme given is sent
    assert client.t.ping().x_key == "k-1"


def test_an_operation_needing_a_scheme_not_given_fails_before_sending(schemes: ModuleType, server: OAuthServer) -> None:
    client = schemes.Client(server.url, auth={"AppId": schemes.Auth.app_id("a-1")}, max_retries=0)
    with pytest.raises(schemes.CredentialsError, match="needs KeyHeader; this client has auth for AppId"):
        client.t.by_key()
    with pytest.raises(schemes.CredentialsError, match="needs AppId and KeyHeader"):
        client.t.both()
    with pytest.raises(schemes.CredentialsError, match="needs Token or KeyHeader"):
        client.t.either()
    assert server.resource_calls == []  # nothing was sent


def test_airflow_3_declares_its_schemes_per_operation(af3: ModuleType) -> None:
    import importlib

    dag = importlib.import_module("airflow_rest_3_3_2._endpoints._dag")
    monitor = importlib.import_module("airflow_rest_3_3_2._endpoints._monitor")
    assert dag.GET_DAG.security == ("OAuth2PasswordBearer", "HTTPBearer")
    assert monitor.GET_HEALTH.security == ()  # no requirement: health is public
    auth = af3.Auth.oauth2_password_bearer("admin", "pw")
    assert isinstance(auth, af3.PasswordAuth) and auth.token_url == af3.TOKEN_URL == "/auth/token"
    assert isinstance(af3.Auth.http_bearer("t"), af3.BearerAuth)


def test_snowflake_clients_send_the_scheme_and_token_type_they_are_given(snowflake_pkg: Any) -> None:
    import httpx

    auth = snowflake_pkg.Auth
    assert sorted(o for o in dir(auth) if not o.startswith("_")) == [
        "external_oauth", "key_pair", "programmatic_access_token", "snowflake_oauth",
    ]  # fmt: skip
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    kind = {"X-Snowflake-Authorization-Token-Type": "KEYPAIR_JWT"}
    client = snowflake_pkg.Client(
        "https://org-account.snowflakecomputing.com",
        auth={"KeyPair": auth.key_pair("jwt-123", extra_headers=kind)},
        http_client=httpx.Client(transport=httpx.MockTransport(answer)),
    )
    client.task.list_tasks("db", "schema")
    assert seen[0].headers["authorization"] == "Bearer jwt-123"
    assert seen[0].headers["x-snowflake-authorization-token-type"] == "KEYPAIR_JWT"


def test_auth_constructor_names_join_oauth_only_as_a_word(tmp_path: Path) -> None:
    """``OAuth2Password`` reads ``oauth2_password``; ``PhotoAuth`` stays ``photo_auth`` (not ``photoauth``)."""
    spec = SCHEMES_SPEC.replace(
        "    Digest: {type: http, scheme: digest}",
        "    Digest: {type: http, scheme: digest}\n"
        "    PhotoAuth: {type: apiKey, in: header, name: X-Photo}\n"
        "    OAuth2Password: {type: oauth2, flows: {password: {tokenUrl: /token, scopes: {}}}}",
    )
    with generated_package(spec, tmp_path / "out", "names_auth") as pkg:
        assert pkg.Auth.photo_auth("p").name == "X-Photo"
        assert isinstance(pkg.Auth.oauth2_password("u", "p"), pkg.PasswordAuth)
