"""LO-04 across processes: a sign-out in one process ends the session in all of them, including
their session caches, within a fraction of a second — and a copied cookie is refused."""

from __future__ import annotations

import time

import httpx

from .cluster import sign_in
from .conftest import EMAIL, PASSWORD, Cluster
from .test_shared_sessions import me, warm


def test_sign_out_in_one_process_refuses_the_copied_cookie_in_every_other_within_1s(
        cluster: Cluster):
    cookie = sign_in(cluster.app_url, EMAIL, PASSWORD)
    warm(cluster, cookie)  # every process serves it from its cache: no Redis call to notice
    where, others = cluster.apps[1], [cluster.apps[0], cluster.apps[2]]
    out = httpx.post(f"{where.url}/logout", headers={"cookie": cookie,
                                                     "origin": cluster.app_url}, timeout=30)
    signed_out = time.monotonic()
    assert out.status_code == 303, out.text
    delays = []
    for app in others:
        while me(app.url, cookie).status_code != 401:
            assert time.monotonic() - signed_out < 1.0, "still served a second after sign-out"
        delays.append(time.monotonic() - signed_out)
    for app in cluster.apps:  # and it stays refused
        assert me(app.url, cookie).status_code == 401
        assert app.state()["listening"]
    keys = cluster.redis.client().keys("cognito-gate:s:*")
    assert [cluster.redis.client().get(k) for k in keys] == [b"-"]  # a tombstone, with a TTL
    assert cluster.redis.client().ttl(keys[0]) > 0
    print(f"\ncopied cookie refused by the other processes after {max(delays) * 1000:.0f} ms")
