"""``cognito-gate doctor`` against a real Local Cognito on a loopback port: the exact report for a
right configuration and for each classic first-hour mistake, and the exit status."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cognito_gate import Settings
from cognito_gate.cli import main as cli
from cognito_gate.doctor import format_report, run_checks
from cognito_gate.local import ClientConfig, LocalCognito
from cognito_gate.testing import fast_local_cognito

STRONG = "Yq3vN8xK2pLm9RtZ4wBc7HsJ6dFg1AeU"
COOKIE = ("✔ session cookie about 3.8 KB of the 7 KB budget (room for about 185 groups of 12 "
          "letters per user)")
LOOPBACK = "✔ http:// only on loopback (COGNITO_DOMAIN, APP_URL, COGNITO_ISSUER): development only"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[LocalCognito, str]]:
    lc = fast_local_cognito()
    with lc.serve() as url:
        yield lc, url
    lc.close()


@pytest.fixture
def settings(served: tuple[LocalCognito, str]) -> Settings:
    lc, url = served
    client = lc.demo_client
    assert client.client_secret is not None
    return Settings(domain=url, client_id=client.client_id, client_secret=client.client_secret,
                    user_pool_id=lc.pool_id, issuer=lc.issuer, app_url="http://localhost:8000",
                    session_secret=(STRONG,))


async def report(settings: Settings, skew: float = 0) -> str:
    return format_report(await run_checks(settings, now=lambda: time.time() + skew))


async def test_a_right_configuration_passes_every_check(settings: Settings) -> None:
    url = settings.domain
    assert await report(settings) == "\n".join([
        f"✔ domain answers: {url}",
        f"✔ discovery loads; issuer {url}/us-east-1_LocalDemo matches the pool "
        "us-east-1_LocalDemo (region us-east-1)",
        "✔ JWKS loads: 2 RSA signing keys",
        "✔ client cognito-gate-demo authenticates at the token endpoint (a made-up code got "
        "invalid_grant)",
        "✔ callback URL accepted by the hosted UI: http://localhost:8000/callback/",
        "✔ sign-out URL accepted by the hosted UI: http://localhost:8000/",
        "✔ clock within 60 s of the provider's",
        "✔ SESSION_SECRET: 1 secret, at least about 191 bits",
        COOKIE,
        LOOPBACK,
    ])


async def test_a_wrong_client_secret_is_invalid_client(settings: Settings) -> None:
    lines = (await report(dataclasses.replace(settings, client_secret="wrong"))).splitlines()
    assert lines[3] == (
        "✖ client cognito-gate-demo is refused at the token endpoint (invalid_client) — check "
        "COGNITO_CLIENT_ID and COGNITO_CLIENT_SECRET; the app client must have a client secret "
        "(a confidential client)")
    assert [line[0] for line in lines] == list("✔✔✔✖✔✔✔✔✔✔")


async def test_an_unregistered_callback_and_sign_out_url_are_printed_to_register(
        settings: Settings) -> None:
    lines = (await report(dataclasses.replace(
        settings, app_url="https://app.example.com", logout_uri=None))).splitlines()
    assert lines[4:6] == [
        "✖ callback URL not registered: https://app.example.com/callback/ — add exactly this URL "
        "to the app client's Allowed callback URLs",
        "✖ sign-out URL not registered: https://app.example.com/ — add exactly this URL to the "
        "app client's Allowed sign-out URLs",
    ]
    assert lines[9] == ("✔ http:// only on loopback (COGNITO_DOMAIN, COGNITO_ISSUER): "
                        "development only")
    assert [line[0] for line in lines] == list("✔✔✔✔✖✖✔✔✔✔")


async def test_a_wrong_pool_id_fails_discovery_and_jwks(settings: Settings) -> None:
    url = settings.domain
    wrong = dataclasses.replace(settings, user_pool_id="us-east-1_Wrong",
                                issuer=f"{url}/us-east-1_Wrong")
    lines = (await report(wrong)).splitlines()
    assert lines[1:3] == [
        f"✖ discovery does not load: {url}/us-east-1_Wrong/.well-known/openid-configuration "
        "answered 404 — check COGNITO_USER_POOL_ID (now us-east-1_Wrong: region prefix and id, "
        "exactly as in the console) and COGNITO_ISSUER",
        f"✖ JWKS has no RSA keys: {url}/us-east-1_Wrong/.well-known/jwks.json answered 404 — "
        "check COGNITO_USER_POOL_ID and COGNITO_ISSUER: tokens cannot be verified without keys",
    ]
    assert [line[0] for line in lines] == list("✔✖✖✔✔✔✔✔✔✔")


async def test_an_issuer_of_another_pool_is_a_mismatch(settings: Settings) -> None:
    lines = (await report(dataclasses.replace(settings, user_pool_id="us-east-1_Other")))
    assert lines.splitlines()[1] == (
        f"✖ issuer {settings.issuer} does not match the pool us-east-1_Other — check "
        "COGNITO_USER_POOL_ID (now us-east-1_Other: region prefix and id, exactly as in the "
        "console) and COGNITO_ISSUER")


async def test_a_provider_that_is_down_fails_every_network_check(settings: Settings) -> None:
    down = "http://127.0.0.1:9"  # the discard port: nothing listens
    lines = (await report(dataclasses.replace(
        settings, domain=down, issuer=f"{down}/us-east-1_LocalDemo"))).splitlines()
    refused = "(All connection attempts failed)"
    assert lines[:7] == [
        f"✖ domain does not answer: cannot reach {down} {refused} — check COGNITO_DOMAIN (the "
        "pool's domain from the console, e.g. https://myapp.auth.us-east-1.amazoncognito.com), "
        "DNS and the network",
        f"✖ discovery does not load: cannot reach {down}/us-east-1_LocalDemo/.well-known/"
        f"openid-configuration {refused} — check COGNITO_USER_POOL_ID (now us-east-1_LocalDemo: "
        "region prefix and id, exactly as in the console) and COGNITO_ISSUER",
        f"✖ JWKS does not load: cannot reach {down}/us-east-1_LocalDemo/.well-known/jwks.json "
        f"{refused} — check COGNITO_USER_POOL_ID and COGNITO_ISSUER: tokens cannot be verified "
        "without keys",
        f"✖ the token endpoint did not answer usefully (token_ConnectError) — check "
        f"COGNITO_DOMAIN ({down}) and the network",
        f"✖ callback URL not checked: cannot reach {down}/oauth2/authorize {refused} — register "
        "http://localhost:8000/callback/ as an Allowed callback URL",
        f"✖ sign-out URL not checked: cannot reach {down}/logout {refused} — add exactly this "
        "URL to the app client's Allowed sign-out URLs",
        "✖ clock not checked: no Date header came back from the provider — run the doctor "
        "again once the provider answers",
    ]


GARBLED = {
    "deeply nested": {"status": 200, "headers": {"content-type": "application/json"},
                      "body": b"[" * 100_000 + b"]" * 100_000},
    "keys not a list": {"status": 200, "headers": {"content-type": "application/json"},
                        "body": b'{"issuer": 5, "keys": 5}'},
    "JSON as text/html": {"status": 200, "headers": {"content-type": "text/html"},
                          "body": b'{"issuer": "x", "keys": []}'},
    "over the size cap": {"status": 200, "body": "huge"},
}


@pytest.mark.parametrize("fault", GARBLED.values(), ids=GARBLED.keys())
async def test_garbled_discovery_and_jwks_are_reported_not_a_crash(
        served: tuple[LocalCognito, str], settings: Settings, fault: dict[str, object]) -> None:
    lc, _ = served
    lc.faults.set("discovery", times=1, **fault)
    lc.faults.set("jwks", times=1, **fault)
    lines = (await report(settings)).splitlines()
    assert lines[1].startswith("✖ discovery does not load:"), lines[1]
    assert lines[2].startswith(("✖ JWKS has no RSA keys:", "✖ JWKS does not load:")), lines[2]
    assert lines[3].startswith("✔ client"), lines[3]


async def test_a_skewed_clock_and_a_weak_secret_are_flagged(settings: Settings) -> None:
    weak = dataclasses.replace(settings, session_secret=("a" * 40,))
    lines = (await report(weak, skew=300)).splitlines()
    assert lines[6:8] == [
        "✖ clock about 300 s ahead of the provider's (leeway 60 s): fresh tokens will be "
        "refused — synchronise this machine's clock (NTP)",
        "✖ SESSION_SECRET is weak (1 secret, the weakest about 80 bits) — use a random one: "
        'python -c "import secrets; print(secrets.token_urlsafe(32))"',
    ]


def test_the_command_reads_the_env_file_and_exits_0_or_1(
        settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("COGNITO_DOMAIN", "COGNITO_BASE_URI", "COGNITO_CLIENT_ID",
                 "COGNITO_CLIENT_SECRET", "COGNITO_USER_POOL_ID", "COGNITO_ISSUER", "APP_URL",
                 "CF_PAGES_URL", "SESSION_SECRET", "COGNITO_SCOPES", "COGNITO_LOGOUT_URI"):
        monkeypatch.delenv(name, raising=False)
    env = tmp_path / "app.env"
    lines = [f"COGNITO_DOMAIN={settings.domain}", f"COGNITO_CLIENT_ID={settings.client_id}",
             f"COGNITO_CLIENT_SECRET={settings.client_secret}",
             f"COGNITO_USER_POOL_ID={settings.user_pool_id}", f"COGNITO_ISSUER={settings.issuer}",
             "APP_URL=http://localhost:8000", f"SESSION_SECRET={STRONG}"]
    env.write_text("\n".join(lines) + "\n")
    assert cli(["doctor", "--env-file", str(env)]) == 0
    out = capsys.readouterr().out
    assert out.count("✔") == 10
    assert settings.client_secret not in out
    env.write_text("\n".join(lines[:2]) + "\n")
    assert cli(["doctor", "--env-file", str(env)]) == 2  # unreadable settings: a usage error
    assert capsys.readouterr().out.splitlines()[0] == (
        "✖ COGNITO_CLIENT_SECRET: is not set; set it to the app client secret (a confidential "
        "client is required)")


PREFIXED = ClientConfig("prefixed-app", client_secret="prefixedappSecret1",
                        callback_urls=("http://localhost:8000/app/callback/",),
                        logout_urls=("http://localhost:8000/app/",))


@pytest.fixture
def prefixed(served: tuple[LocalCognito, str], settings: Settings) -> Settings:
    """The app client of an app mounted at /app: its URLs are registered under the prefix."""
    lc, _ = served
    if PREFIXED.client_id not in lc.clients:
        lc.add_client(PREFIXED)
    return dataclasses.replace(settings, client_id=PREFIXED.client_id,
                               client_secret=PREFIXED.client_secret)


async def test_under_a_mount_prefix_the_urls_the_app_sends_are_printed_and_checked(
        prefixed: Settings) -> None:
    lines = (await run_checks(prefixed, root_path="/app"))
    assert format_report(lines[4:6]) == "\n".join([
        "✔ callback URL accepted by the hosted UI: http://localhost:8000/app/callback/",
        "✔ sign-out URL accepted by the hosted UI: http://localhost:8000/app/",
    ])
    assert all(check.ok for check in lines)
    at_root = await run_checks(prefixed)  # the same client, the app checked at the root
    assert format_report(at_root[4:6]) == "\n".join([
        "✖ callback URL not registered: http://localhost:8000/callback/ — add exactly this URL "
        "to the app client's Allowed callback URLs",
        "✖ sign-out URL not registered: http://localhost:8000/ — add exactly this URL to the "
        "app client's Allowed sign-out URLs",
    ])


async def test_a_root_registered_client_is_flagged_with_the_prefixed_urls_to_register(
        settings: Settings) -> None:
    checks = await run_checks(settings, root_path="/app/")
    assert format_report(checks[4:6]) == "\n".join([
        "✖ callback URL not registered: http://localhost:8000/app/callback/ — add exactly this "
        "URL to the app client's Allowed callback URLs",
        "✖ sign-out URL not registered: http://localhost:8000/app/ — add exactly this URL to the "
        "app client's Allowed sign-out URLs",
    ])


async def test_a_set_logout_uri_is_kept_under_a_prefix_as_the_app_keeps_it(
        prefixed: Settings) -> None:
    chosen = dataclasses.replace(prefixed, logout_uri="http://localhost:8000/bye")
    checks = await run_checks(chosen, root_path="/app")
    assert checks[5].line() == (
        "✖ sign-out URL not registered: http://localhost:8000/bye — add exactly this URL to the "
        "app client's Allowed sign-out URLs")


def test_the_command_takes_the_prefix_from_root_path_or_uvicorns_variable(
        prefixed: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("COGNITO_DOMAIN", "COGNITO_BASE_URI", "COGNITO_CLIENT_ID",
                 "COGNITO_CLIENT_SECRET", "COGNITO_USER_POOL_ID", "COGNITO_ISSUER", "APP_URL",
                 "CF_PAGES_URL", "SESSION_SECRET", "COGNITO_SCOPES", "COGNITO_LOGOUT_URI",
                 "UVICORN_ROOT_PATH"):
        monkeypatch.delenv(name, raising=False)
    env = tmp_path / "app.env"
    env.write_text("\n".join([
        f"COGNITO_DOMAIN={prefixed.domain}", f"COGNITO_CLIENT_ID={prefixed.client_id}",
        f"COGNITO_CLIENT_SECRET={prefixed.client_secret}",
        f"COGNITO_USER_POOL_ID={prefixed.user_pool_id}", f"COGNITO_ISSUER={prefixed.issuer}",
        "APP_URL=http://localhost:8000", f"SESSION_SECRET={STRONG}"]) + "\n")
    assert cli(["doctor", "--env-file", str(env)]) == 1  # checked at the root: not registered
    capsys.readouterr()
    assert cli(["doctor", "--env-file", str(env), "--root-path", "/app"]) == 0
    assert "✔ callback URL accepted by the hosted UI: http://localhost:8000/app/callback/" in (
        capsys.readouterr().out.splitlines())
    monkeypatch.setenv("UVICORN_ROOT_PATH", "/app")
    assert cli(["doctor", "--env-file", str(env)]) == 0
    assert capsys.readouterr().out.count("✔") == 10
