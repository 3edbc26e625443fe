"""Settings: every variable, alias, derived value and error message (FT-12 guardrails)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cognito_gate import ConfigError, Settings
from conftest import SECRET

ENV = {
    "COGNITO_DOMAIN": "auth.example.com",
    "COGNITO_CLIENT_ID": "abc123",
    "COGNITO_CLIENT_SECRET": "s3cr3t",
    "COGNITO_USER_POOL_ID": "eu-west-2_AbC123",
    "APP_URL": "https://app.example.com/",
    "SESSION_SECRET": SECRET,
}


def problems(env: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env, dotenv=None)
    return info.value.problems


def test_derived_values():
    s = Settings.from_env(ENV, dotenv=None)
    assert s.domain == "https://auth.example.com"
    assert s.region == "eu-west-2"
    assert s.issuer == "https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_AbC123"
    assert s.jwks_url == s.issuer + "/.well-known/jwks.json"
    assert s.authorize_url == "https://auth.example.com/oauth2/authorize"
    assert s.token_url == "https://auth.example.com/oauth2/token"
    assert s.revoke_url == "https://auth.example.com/oauth2/revoke"
    assert s.cognito_logout_url == "https://auth.example.com/logout"
    assert s.userinfo_url == "https://auth.example.com/oauth2/userInfo"
    assert s.redirect_uri == "https://app.example.com/callback/"
    assert s.logout_uri == "https://app.example.com/"
    assert s.scopes == ("openid", "email", "phone")
    assert s.secure_cookies
    assert s.leeway == 60


def test_aliases_issuer_override_and_loopback_http():
    env = {k: v for k, v in ENV.items() if k not in ("COGNITO_DOMAIN", "APP_URL")}
    env |= {"COGNITO_BASE_URI": "http://127.0.0.1:9229", "CF_PAGES_URL": "http://localhost:8000",
            "COGNITO_ISSUER": "http://127.0.0.1:9229/eu-west-2_AbC123",
            "COGNITO_SCOPES": "openid email", "SESSION_SECRET": f"{SECRET},{SECRET[::-1]}",
            "COGNITO_CALLBACK_PATH": "/auth/cb", "COGNITO_LEEWAY": "30"}
    s = Settings.from_env(env, dotenv=None)
    assert s.domain == "http://127.0.0.1:9229"
    assert s.issuer == "http://127.0.0.1:9229/eu-west-2_AbC123"
    assert s.redirect_uri == "http://localhost:8000/auth/cb"
    assert not s.secure_cookies
    assert len(s.session_secret) == 2
    assert s.scopes == ("openid", "email")
    assert s.leeway == 30


def test_dotenv_read_and_environment_wins(tmp_path: Path):
    dotenv = tmp_path / ".env"
    lines = [f'{k}="{v}"' for k, v in ENV.items()] + ["# comment", "export COGNITO_LEEWAY=10 # x"]
    dotenv.write_text("\n".join(lines))
    s = Settings.from_env({"COGNITO_CLIENT_ID": "fromenv"}, dotenv=dotenv)
    assert s.client_id == "fromenv"
    assert s.leeway == 10


def test_every_missing_variable_named():
    lines = problems({})
    assert [line.split(":")[0] for line in lines] == [
        "COGNITO_DOMAIN (or COGNITO_BASE_URI)", "COGNITO_CLIENT_ID", "COGNITO_CLIENT_SECRET",
        "COGNITO_USER_POOL_ID", "APP_URL (or CF_PAGES_URL)", "SESSION_SECRET"]
    assert all("is not set" in line for line in lines)


@pytest.mark.parametrize(("name", "value", "words"), [
    ("COGNITO_DOMAIN", "http://auth.example.com", "must use https://"),
    ("COGNITO_DOMAIN", "https://auth.example.com/path", "without a path"),
    ("COGNITO_DOMAIN", "https://auth.example.com:99999", "malformed"),
    ("APP_URL", "ftp://app.example.com", "must be a URL like"),
    ("APP_URL", "https://app.example.com/?x=1", "must not carry a query"),
    ("COGNITO_ISSUER", "http://cognito-idp.example.com/x", "must use https://"),
    ("COGNITO_LOGOUT_URI", "https://u:p@app.example.com/", "credentials"),
    ("COGNITO_CLIENT_ID", "has space", "app client id"),
    ("COGNITO_CLIENT_SECRET", "has space", "printable, no spaces"),
    ("COGNITO_USER_POOL_ID", "nounderscore", "user pool id"),
    ("SESSION_SECRET", "short", "at least 32 characters"),
    ("SESSION_SECRET", f"{SECRET},short", "at least 32 characters"),
    ("COGNITO_SCOPES", "email phone", "including openid"),
    ("COGNITO_CALLBACK_PATH", "callback", "path starting with a single /"),
    ("COGNITO_CALLBACK_PATH", "//evil/cb", "path starting with a single /"),
    ("COGNITO_LEEWAY", "301", "0 to 300"),
    ("COGNITO_LEEWAY", "-1", "0-300"),
])
def test_each_bad_value_has_one_clear_line(name: str, value: str, words: str):
    lines = problems({**ENV, name: value})
    assert len(lines) == 1
    assert lines[0].startswith(f"{name}: ")
    assert words in lines[0]


def test_several_problems_reported_together():
    lines = problems({**ENV, "APP_URL": "http://app.example.com", "SESSION_SECRET": "x"})
    assert [line.split(":")[0] for line in lines] == ["APP_URL", "SESSION_SECRET"]


def test_direct_construction_validates_with_field_names():
    with pytest.raises(ConfigError) as info:
        Settings(domain="auth.example.com", client_id="a", client_secret="b",
                 user_pool_id="us-east-1_X", app_url="https://a.example", session_secret="x",
                 leeway=500)
    assert [p.split(":")[0] for p in info.value.problems] == ["session_secret", "leeway"]


def test_missing_variable_does_not_hide_malformed_ones():
    """Each variable is checked on its own: a missing one never postpones another's problem."""
    env = {k: v for k, v in ENV.items() if k != "COGNITO_CLIENT_ID"}
    lines = problems({**env, "COGNITO_USER_POOL_ID": "nounderscore", "SESSION_SECRET": "short"})
    assert [line.split(":")[0] for line in lines] == [
        "COGNITO_CLIENT_ID", "COGNITO_USER_POOL_ID", "SESSION_SECRET"]
    assert "is not set" in lines[0]
    assert "user pool id" in lines[1]
    assert "at least 32 characters" in lines[2]


def test_non_loopback_http_reported_while_others_are_missing():
    lines = problems({"COGNITO_DOMAIN": "http://auth.example.com", "COGNITO_LEEWAY": "x"})
    assert lines[0].startswith("COGNITO_DOMAIN: must use https://")
    assert [line.split(":")[0] for line in lines[1:]] == [
        "COGNITO_CLIENT_ID", "COGNITO_CLIENT_SECRET", "COGNITO_USER_POOL_ID",
        "APP_URL (or CF_PAGES_URL)", "SESSION_SECRET", "COGNITO_LEEWAY"]


def test_a_malformed_value_names_the_variable_it_came_from():
    env = {k: v for k, v in ENV.items() if k != "COGNITO_DOMAIN"}
    lines = problems({**env, "COGNITO_BASE_URI": "http://auth.example.com"})
    assert len(lines) == 1
    assert lines[0].startswith("COGNITO_BASE_URI: must use https://")


@pytest.mark.parametrize("value", ["\u00b2", "\u0663", "9" * 5000, "1.5", "+5"])
def test_leeway_that_is_not_plain_ascii_digits_is_one_clear_line(value: str):
    lines = problems({**ENV, "COGNITO_LEEWAY": value})
    assert len(lines) == 1
    assert lines[0].startswith("COGNITO_LEEWAY: must be a whole number of seconds")


def test_direct_construction_reports_empty_and_malformed_fields_together():
    with pytest.raises(ConfigError) as info:
        Settings(domain="http://auth.example.com", client_id="", client_secret="b",
                 user_pool_id="nounderscore", app_url="https://a.example", session_secret="x")
    assert [p.split(":")[0] for p in info.value.problems] == [
        "domain", "client_id", "user_pool_id", "session_secret"]
