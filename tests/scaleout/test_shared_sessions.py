"""Sessions in Redis, served by every process: sign-in anywhere, served everywhere, and the hot
path (a session already verified by this process) costs no Redis command at all."""

from __future__ import annotations

import time

import httpx

from .cluster import sign_in
from .conftest import EMAIL, PASSWORD, Cluster

JSON = {"accept": "application/json"}


def me(url: str, cookie: str) -> httpx.Response:
    return httpx.get(f"{url}/api/me", headers={"cookie": cookie, **JSON}, timeout=30)


def warm(cluster: Cluster, cookie: str) -> None:
    """Until every process listens to the sign-out channel and holds the session in its cache."""
    deadline = time.monotonic() + 10
    for app in cluster.apps:
        while app.state()["cached"] == 0:
            assert time.monotonic() < deadline, app.state()
            assert me(app.url, cookie).status_code == 200
            time.sleep(0.05)


def test_a_session_signed_in_through_one_process_is_served_by_every_other(cluster: Cluster):
    cookie = sign_in(cluster.app_url, EMAIL, PASSWORD)
    assert cookie.startswith("cg.0=")
    for app in cluster.apps:
        answer = me(app.url, cookie)
        assert answer.status_code == 200, (app.url, answer.text)
        assert answer.json()["email"] == EMAIL
    keys = cluster.redis.client().keys("cognito-gate:s:*")
    assert len(keys) == 1
    ttl = cluster.redis.client().ttl(keys[0])
    assert 0 < ttl <= 12 * 3600  # every key expires, with the session
    stored = cluster.redis.client().get(keys[0])
    assert b"eyJ" not in stored
    assert EMAIL.encode() not in stored


def test_the_hot_path_makes_no_redis_command(cluster: Cluster):
    cookie = sign_in(cluster.app_url, EMAIL, PASSWORD)
    warm(cluster, cookie)
    before = cluster.redis.commands()
    for _ in range(20):
        for app in cluster.apps:
            assert me(app.url, cookie).status_code == 200
    after = cluster.redis.commands()
    made = {name: after[name] - before.get(name, 0) for name in after
            if name != "info" and after[name] != before.get(name, 0)}
    assert made == {}, made


def test_a_cache_miss_costs_one_get(cluster: Cluster):
    """A process that has not seen the session yet reads it with one GET, verifies it and keeps
    it: the next requests are served from its cache."""
    cookie = sign_in(cluster.app_url, EMAIL, PASSWORD)
    fresh = cluster.apps[2]
    deadline = time.monotonic() + 10
    while not fresh.state()["listening"]:  # listening starts with the first session it sees
        assert time.monotonic() < deadline
        assert me(fresh.url, "cg.0=nothing").status_code == 401
        time.sleep(0.05)
    before = cluster.redis.commands()
    assert me(fresh.url, cookie).status_code == 200
    after = cluster.redis.commands()
    made = {name: after[name] - before.get(name, 0) for name in after
            if name != "info" and after[name] != before.get(name, 0)}
    made.pop("hello", None)  # the handshake of the pool's first connection, if it opened now
    assert made == {"get": 1}, made
    assert fresh.state()["cached"] == 1
