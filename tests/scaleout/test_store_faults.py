"""Redis down, hung or restarted: 503 + Retry-After with a stable code (never a 500, never a
sign-out), and the same cookies work again once Redis is back."""

from __future__ import annotations

import time

import httpx

from .cluster import sign_in
from .conftest import EMAIL, PASSWORD, Cluster
from .test_shared_sessions import me, warm


def assert_unavailable(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["retry-after"]) > 0
    assert answer.json()["error"] == "session_store_unavailable"
    assert "set-cookie" not in answer.headers  # the session is kept


def served_again(url: str, cookie: str, within: float = 10) -> float:
    began = time.monotonic()
    while (answer := me(url, cookie)).status_code != 200:
        assert answer.status_code == 503, answer.text
        assert time.monotonic() - began < within
        time.sleep(0.1)
    return time.monotonic() - began


def test_redis_stopped_answers_503_and_restarted_with_persistence_loses_no_session(
        cluster: Cluster):
    cookie = sign_in(cluster.app_url, EMAIL, PASSWORD)
    warm(cluster, cookie)
    cluster.redis.stop()
    for app in cluster.apps:  # the sign-out channel is gone: caches are not trusted either
        assert_unavailable(me(app.url, cookie))
    page = httpx.get(f"{cluster.apps[0].url}/protected", headers={"cookie": cookie}, timeout=30)
    assert page.status_code == 503
    assert "retry-after" in page.headers
    assert "session_store_unavailable" in page.text
    cluster.redis.start()  # same port, same append-only file
    for app in cluster.apps:
        served_again(app.url, cookie)


def test_redis_hung_fails_cache_misses_in_a_second_and_the_same_cookie_works_after(
        cluster: Cluster):
    cookie = sign_in(cluster.app_url, EMAIL, PASSWORD)
    cached, missing = cluster.apps[0], cluster.apps[2]
    while cached.state()["cached"] == 0:
        assert me(cached.url, cookie).status_code == 200
    cluster.redis.pause()
    try:
        began = time.monotonic()
        assert_unavailable(me(missing.url, cookie))
        assert time.monotonic() - began < 5  # every Redis call is bounded (2 s by default)
        assert me(cached.url, cookie).status_code == 200  # the hot path needs no Redis
    finally:
        cluster.redis.resume()
    served_again(missing.url, cookie)
