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


def test_json_api_settings_in_the_file():
    """What the JSON API made possible is in the TOML too: ExplicitAuthFlows per client, users
    with a temporary password or disabled, groups with precedence and role."""
    config = parse_config({
        "clients": [{"id": "api", "explicit_auth_flows": ["ALLOW_USER_PASSWORD_AUTH"]}],
        "groups": [{"name": "admins", "precedence": 1,
                    "role_arn": "arn:aws:iam::123456789012:role/Admins"}],
        "users": [
            {"email": "new@example.com", "password": "Temp-pass-123", "temporary": True},
            {"email": "gone@example.com", "password": "Gone-pass-123", "enabled": False,
             "groups": ["admins"]},
        ],
    })
    client = config.clients[0]
    assert client.allows("USER_PASSWORD_AUTH")
    assert not client.allows("REFRESH_TOKEN_AUTH")
    assert not client.allows("ADMIN_USER_PASSWORD_AUTH")
    lc = LocalCognito(config)
    try:
        assert lc.user("new@example.com").status == "FORCE_CHANGE_PASSWORD"
        assert lc.user("gone@example.com").enabled is False
        group = lc.store.group("admins")
        assert group.precedence == 1
        assert group.role_arn.endswith("role/Admins")
    finally:
        lc.close()


@pytest.mark.parametrize(("flows", "message"), [
    (["ALLOW_MAGIC"], "unknown"),
    (["ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"], "cannot be mixed"),
])
def test_explicit_auth_flows_are_refused_as_cognito_refuses_them(flows, message):
    with pytest.raises(ConfigError, match=message):
        parse_config({"clients": [{"id": "api", "explicit_auth_flows": flows}]})


def test_the_demo_client_allows_the_password_and_refresh_api_flows():
    from cognito_gate.local import demo_pool

    client = demo_pool().clients[0]
    for flow in ("USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "REFRESH_TOKEN_AUTH"):
        assert client.allows(flow)
    assert client.allowed_flows == ("code",)


def test_older_data_files_gain_the_new_columns(tmp_path):
    """A data file written before users had a status keeps its users, confirmed or not."""
    import sqlite3

    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE users (sub TEXT PRIMARY KEY, username TEXT UNIQUE NOT NULL,
            email TEXT UNIQUE NOT NULL, password_hash TEXT NOT NULL, confirmed INTEGER NOT NULL,
            attributes TEXT NOT NULL);
        CREATE TABLE groups (name TEXT PRIMARY KEY, description TEXT NOT NULL);
        CREATE TABLE lineages (origin_jti TEXT PRIMARY KEY, client_id TEXT NOT NULL,
            sub TEXT NOT NULL, scopes TEXT NOT NULL, auth_time INTEGER NOT NULL,
            event_id TEXT NOT NULL, expires_at REAL NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
        INSERT INTO users VALUES ('s1', 'u1', 'old@example.com', 'x', 1, '{}');
        INSERT INTO users VALUES ('s2', 'u2', 'pending@example.com', 'x', 0, '{}');
    """)
    db.commit()
    db.close()
    lc = LocalCognito(data=str(path))
    try:
        assert lc.user("old@example.com").status == "CONFIRMED"
        assert lc.user("old@example.com").enabled is True
        assert lc.user("pending@example.com").status == "UNCONFIRMED"
    finally:
        lc.close()


def test_an_in_memory_store_starts_with_the_schema_of_a_new_data_file_and_shares_nothing(
    tmp_path,
):
    """In-memory stores are copied from one empty template (the backup API, for speed): the
    copy must have exactly a fresh data file's tables and indexes, and two copies must not
    see each other's rows."""
    from cognito_gate.local.store import Store

    def schema(store: Store) -> list[tuple[str, str]]:
        rows = store._db.execute("SELECT name, sql FROM sqlite_master ORDER BY name")
        return [tuple(row) for row in rows]

    on_disk, first, second = Store(str(tmp_path / "new.sqlite3")), Store(), Store()
    try:
        assert schema(first) == schema(on_disk)
        assert any(name == "users_pool_email" for name, _ in schema(first))
        first.set_meta("probe", "first")
        assert first.meta("probe") == "first"
        assert second.meta("probe") is None
        assert Store().meta("probe") is None
    finally:
        for store in (on_disk, first, second):
            store.close()
