"""The demo's pages say what is true: the header's sign-in status on error pages, and the words
an API caller gets without a session."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from .harness import World

PAGE = {"accept": "text/html"}
WHO_SIGNED_OUT = '<p class="who">Not signed in</p>'


async def test_signin_expired_page_shows_the_header_sign_in_status(demo: World) -> None:
    page = await demo.get("/callback/?state=old-state&code=old-code", headers=PAGE)
    assert page.status_code == 400
    assert "This sign-in link has expired" in page.text
    assert WHO_SIGNED_OUT in page.text


async def test_outage_page_does_not_claim_the_user_is_signed_out(demo: World) -> None:
    await demo.sign_in("/protected")
    demo.lc.faults.set("token", status=503, times=5)
    demo.advance(3700)  # the access token has expired: a refresh is due and fails
    page = await demo.get("/protected", headers=PAGE)
    assert page.status_code == 503
    assert 'class="who"' not in page.text  # unknown: neither "Not signed in" nor a name


async def test_api_401_json_speaks_of_signing_in_not_of_a_page(demo: World) -> None:
    answer = await demo.get("/api/me", headers={"accept": "application/json"})
    assert answer.status_code == 401
    body = answer.json()
    assert body["error"] == "login_required"
    assert "page" not in body["message"]
    assert "sign in" in body["message"].lower()


async def test_demo_serves_its_metrics_at_slash_metrics(demo: World) -> None:
    await demo.get("/protected", headers=PAGE)  # sent to sign in: one denial
    metrics = await demo.get("/metrics")
    assert metrics.status_code == 200
    denials = next(f for f in text_string_to_metric_families(metrics.text)
                   if f.name == "cognito_gate_denials")
    assert [(s.labels, s.value) for s in denials.samples] == [({"code": "login_required"}, 1)]
