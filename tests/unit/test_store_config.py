"""SESSION_STORE_URL: Redis/Valkey URLs accepted, malformed ones one ConfigError line naming the
variable, a missing ``redis`` package one line naming the extra to install, and the store a
``CognitoAuth`` then builds by itself (no connection until it is used)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from test_config import ENV, problems

from cognito_gate import CognitoAuth, RedisStore, Settings, SharedSessionStore
from cognito_gate.stores.redis import redacted, redis_url


@pytest.mark.parametrize("url", [
    "redis://localhost:6379/0", "rediss://cache.example.com:6380", "redis://:pw@10.0.0.5/3",
    "valkey://localhost", "valkeys://user:pw@valkey.example.com:6380/1", "unix:///run/redis.sock",
])
def test_redis_and_valkey_urls_are_accepted(url: str):
    settings = Settings.from_env({**ENV, "SESSION_STORE_URL": url}, dotenv=None)
    assert settings.session_store_url == url


@pytest.mark.parametrize("url", [
    "http://localhost:6379", "redis://", "redis://localhost:port", "redis://localhost/x",
    "localhost:6379", "memcached://localhost",
])
def test_a_malformed_store_url_is_one_line_naming_the_variable(url: str):
    lines = problems({**ENV, "SESSION_STORE_URL": url})
    assert len(lines) == 1
    assert lines[0].startswith("SESSION_STORE_URL: must be a Redis/Valkey URL")


def test_valkey_schemes_are_read_as_redis_and_passwords_never_shown():
    assert redis_url("valkey://h:1/2") == "redis://h:1/2"
    assert redis_url("valkeys://h") == "rediss://h"
    assert redacted("redis://user:hunter2@h:1/0") == "redis://user:***@h:1/0"
    assert "hunter2" not in redacted("redis://:hunter2@h")


async def test_the_setting_alone_puts_sessions_in_redis_without_connecting():
    settings = Settings.from_env({**ENV, "SESSION_STORE_URL": "redis://127.0.0.1:1/0"},
                                 dotenv=None)
    auth = CognitoAuth(settings)
    assert isinstance(auth.store, RedisStore)
    assert isinstance(auth.store, SharedSessionStore)
    assert auth.sessions.store is auth.store
    await auth.aclose()


def test_without_the_redis_package_the_message_names_the_extra():
    code = ("import sys; sys.modules['redis'] = None\n"
            "from cognito_gate import CognitoAuth, Settings, ConfigError\n"
            f"env = {dict(ENV, SESSION_STORE_URL='redis://localhost')!r}\n"
            "try:\n"
            "    CognitoAuth(Settings.from_env(env, dotenv=None))\n"
            "except ConfigError as exc:\n"
            "    print(exc.problems[0])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == ("SESSION_STORE_URL: the Redis session store needs redis.asyncio, which "
                           "is not installed: pip install 'cognito-gate[redis]'")
