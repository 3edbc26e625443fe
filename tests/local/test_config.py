"""The TOML pool file: a full example parses; every mistake names its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from cognito_gate.local import ConfigError, LocalCognito, load_config
from cognito_gate.local.config import parse_config

DOCS = Path(__file__).parents[2] / "docs" / "local-cognito.md"

EXAMPLE = """
[pool]
id = "eu-central-1_MyApp"
code_ttl = "5m"
session_ttl = "1h"

[[groups]]
name = "admins"
description = "Can do everything"

[[clients]]
id = "my-web-app"
secret = "s3cretValue"
callback_urls = ["https://app.example.com/callback/", "http://localhost:8000/callback/"]
logout_urls = ["https://app.example.com/"]
scopes = ["openid", "email", "profile"]
id_token_validity = "1h"
access_token_validity = 900
refresh_token_validity = "30d"
rotation = true
rotation_grace_seconds = 10

[[clients]]
id = "spa"
callback_urls = ["https://spa.example.com/cb"]

[[users]]
email = "admin@example.com"
password = "Admin-password-1"
groups = ["admins"]
attributes = { name = "Ada Admin", "custom:level" = 3, "custom:beta" = true }
"""


def test_full_example_parses(tmp_path):
    path = tmp_path / "pool.toml"
    path.write_text(EXAMPLE)
    config = load_config(path)
    assert config.pool_id == "eu-central-1_MyApp"
    assert config.region == "eu-central-1"
    web, spa = config.clients
    assert web.client_secret == "s3cretValue"
    assert web.access_token_validity == 900
    assert web.refresh_token_validity == 30 * 86400
    assert web.rotation
    assert spa.client_secret is None
    assert spa.allowed_flows == ("code",)
    assert config.users[0].attributes == {
        "name": "Ada Admin",
        "custom:level": "3",
        "custom:beta": "true",
    }
    lc = LocalCognito(config)
    assert lc.user("admin@example.com").groups == ("admins",)


def test_documented_example_parses(tmp_path):
    text = DOCS.read_text()
    start = text.index("```toml\n") + len("```toml\n")
    example = text[start : text.index("```", start)]
    path = tmp_path / "doc.toml"
    path.write_text(example)
    LocalCognito(load_config(path))


@pytest.mark.parametrize(
    ("snippet", "names"),
    [
        ('[pool]\nid = "nounderscore"', "pool.id"),
        ('[pool]\nidd = "x"', "pool: unknown key(s) ['idd']"),
        ('[pool]\nunknown_scopes = "maybe"', "pool.unknown_scopes"),
        ('[pool]\ncode_ttl = "forever"', "pool.code_ttl"),
        ('[[clients]]\nid = "c"\ncallback_urls = ["http://example.com/cb"]', "callback_urls[0]"),
        ('[[clients]]\nid = "c"\ncallback_urls = ["https://a.example/cb#x"]', "fragment"),
        (
            '[[clients]]\nid = "c"\ncallback_urls = "https://a.example/cb"',
            "clients[0].callback_urls",
        ),
        ('[[clients]]\nid = "c"\nscopes = ["admin"]', "scopes"),
        ('[[clients]]\nid = "c"\nflows = ["password"]', "flows"),
        ('[[clients]]\nid = "c"\nid_token_validity = 60', "id_token_validity"),
        ('[[clients]]\nid = "c"\nrotation_grace_seconds = 90', "rotation_grace_seconds"),
        ('[[clients]]\nid = "c"\nrotation = "yes"', "clients[0].rotation"),
        ('[[clients]]\nid = "c"\nsecret = "has space"', "secret"),
        ('[[clients]]\nid = "c"\nflows = ["client_credentials", "code"]', "only flow"),
        ('[[clients]]\nid = "c"\nflows = ["client_credentials"]\nscopes = ["a/b"]', "secret"),
        ('[[users]]\nemail = "a@example.com"', "users[0]: needs both email and password"),
        (
            '[[users]]\nemail = "a@example.com"\npassword = "P"\ngroups = ["ghosts"]',
            "users[0].groups",
        ),
        ('[[users]]\nemail = "a@b.c"\npassword = "P"\nattributes = { x = [1] }', "attributes.x"),
        ("[[groups]]\ndescription = 'no name'", "groups[0].name"),
        ("clients = 3", "clients: must be an array of tables"),
        ("colour = 'blue'", "unknown key(s) ['colour']"),
    ],
)
def test_mistakes_name_the_key(tmp_path, snippet, names):
    path = tmp_path / "bad.toml"
    path.write_text(snippet)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert names in str(info.value)
    assert str(path) in str(info.value)


def test_unreadable_and_invalid_toml(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    (tmp_path / "bad.toml").write_text("[pool\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path / "bad.toml")


def test_defaults_are_cognitos():
    config = parse_config({"clients": [{"id": "c", "callback_urls": ["https://a.example/cb"]}]})
    client = config.clients[0]
    assert (client.id_token_validity, client.access_token_validity) == (3600, 3600)
    assert client.refresh_token_validity == 30 * 86400
    assert client.allowed_scopes == (
        "openid",
        "email",
        "phone",
        "profile",
        "aws.cognito.signin.user.admin",
    )
    assert config.code_ttl_seconds == 300
    assert config.session_ttl_seconds == 3600


def test_builtin_demo_pool():
    lc = LocalCognito()
    client = lc.demo_client
    assert lc.pool_id == "us-east-1_LocalDemo"
    assert client.client_id == "cognito-gate-demo"
    assert client.client_secret
    assert client.callback_urls == ("http://localhost:8000/callback/",)
    assert client.logout_urls == ("http://localhost:8000/",)
    assert lc.user("demo@example.com").groups == ("readers",)


def test_data_file_of_another_pool_is_refused(tmp_path):
    path = str(tmp_path / "x.sqlite3")
    LocalCognito(data=path).close()
    other = parse_config({"pool": {"id": "us-west-2_Other"}})
    with pytest.raises(ConfigError, match="holds pool"):
        LocalCognito(other, data=path)


def test_unopenable_data_path(tmp_path):
    with pytest.raises(ConfigError, match="data:"):
        LocalCognito(data=str(tmp_path / "no" / "such" / "dir" / "x.sqlite3"))


def test_add_user_checks(lc):
    with pytest.raises(ValueError, match="should be an email"):
        lc.add_user("nope", "Pass-word-1")
    with pytest.raises(ValueError, match="already exists"):
        lc.add_user("DEMO@example.com", "Pass-word-1")
    with pytest.raises(ValueError, match="does not exist in the schema"):
        lc.add_user("z@example.com", "Pass-word-1", attributes={"shoe_size": "9"})
