"""Every error a person can meet in the demo gets a finished page in the demo's style (and the
CK-02 negative control: a SameSite=Strict transaction cookie would break the return)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cognito_gate.local import LocalCognito

from .conftest import Loopback, ServedApp, Shots, running_demo

DEMO_EMAIL, DEMO_PASSWORD = "demo@example.com", "Demo-password-1"


def sign_in(page: Page, demo: ServedApp, path: str = "/protected") -> None:
    """Sign in as the built-in demo user at the hosted UI, to come back to `path`."""
    page.goto(f"{demo.url}/login?return_to={path}")
    page.locator("#username").fill(DEMO_EMAIL)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("button[name=signInSubmitButton]").click()


def expect_error(page: Page, status: int, title: str) -> None:
    expect(page.locator(".card.error h1")).to_have_text(title)
    expect(page.locator(".card.error .eyebrow")).to_contain_text(str(status))


@pytest.mark.e2e
def test_cancelled_sign_in(page: Page, lc: LocalCognito, demo: ServedApp, shots: Shots) -> None:
    lc.faults.authorize(error="access_denied", times=1)
    sign_in(page, demo)
    expect_error(page, 400, "Sign-in was cancelled")
    shots(page, "cancelled")
    page.get_by_role("link", name="Sign in again").click()  # the hosted-UI session is reused
    expect(page.get_by_role("heading", name=f"Signed in as {DEMO_EMAIL}")).to_be_visible()


@pytest.mark.e2e
def test_expired_sign_in_link(page: Page, demo: ServedApp, shots: Shots) -> None:
    callbacks: list[str] = []
    page.on("request", lambda r: callbacks.append(r.url) if "/callback/?" in r.url else None)
    sign_in(page, demo)
    expect(page).to_have_url(demo.url + "/protected")
    page.context.clear_cookies()  # the used link opened again elsewhere (another browser)
    page.goto(callbacks[-1])
    expect_error(page, 400, "This sign-in link has expired")
    shots(page, "expired-link")


@pytest.mark.e2e
def test_provider_down_then_back(
    page: Page, lc: LocalCognito, demo: ServedApp, shots: Shots
) -> None:
    sign_in(page, demo)
    expect(page).to_have_url(demo.url + "/protected")
    lc.faults.set("token", status=503, times=1)  # down for one call; faults.reset() would
    # also undo lc.clock.advance (it resets the clock-offset switch)
    lc.clock.advance(3700)
    demo.clock.advance(3700)
    page.reload()
    expect_error(page, 503, "Sign-in service unavailable")
    shots(page, "provider-down")
    lc.clock.advance(30)  # "try again in a minute": past the library's short cool-off (RF-07)
    demo.clock.advance(30)
    page.get_by_role("link", name="Try again").click()
    expect(page).to_have_url(demo.url + "/protected")
    expect(page.locator("table.claims")).to_contain_text(DEMO_EMAIL)


@pytest.mark.e2e
def test_cross_site_sign_out_is_refused(
    page: Page, demo: ServedApp, loopback: Loopback, shots: Shots
) -> None:
    """LO-01 from a real browser: a form on another site posting to /logout ends nothing."""
    sign_in(page, demo, "/")
    expect(page.get_by_role("heading", name=f"Signed in as {DEMO_EMAIL}")).to_be_visible()
    loopback.pages["/attack"] = (
        f'<form method="post" action="{demo.url}/logout"><button>Win a prize</button></form>'
        "<script>document.forms[0].submit()</script>"
    )
    page.goto(loopback.url + "/attack")
    expect_error(page, 403, "Request refused")
    shots(page, "csrf-refused")
    page.goto(demo.url + "/")
    expect(page.get_by_role("heading", name=f"Signed in as {DEMO_EMAIL}")).to_be_visible()


@pytest.mark.e2e
def test_unknown_page(page: Page, demo: ServedApp, shots: Shots) -> None:
    page.goto(demo.url + "/no-such-page")
    expect_error(page, 404, "Page not found")
    shots(page, "not-found")


def strict_transaction_cookie(app: ASGIApp) -> ASGIApp:
    """Rewrite the pending-sign-in cookie to SameSite=Strict (a test-only misconfiguration)."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_strict(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (
                        k,
                        v.replace(b"SameSite=Lax", b"SameSite=Strict").replace(
                            b"samesite=lax", b"SameSite=Strict"
                        ),
                    )
                    if k.lower() == b"set-cookie" and b"cg_tx_" in v.split(b"=", 1)[0]
                    else (k, v)
                    for k, v in message["headers"]
                ]
            await send(message)

        await app(scope, receive, send_strict)

    return wrapped


@pytest.mark.e2e
def test_ck_02_strict_transaction_cookie_breaks_the_return(
    page: Page, lc: LocalCognito, shots: Shots
) -> None:
    """CK-02 negative control; the journey tests are the positive case (Lax works)."""
    with running_demo(lc, wrap=strict_transaction_cookie) as demo:
        sign_in(page, demo, "/")
        expect(page.locator(".card.error")).to_be_visible()
        shots(page, "strict-cookie-withheld")
        page.goto(demo.url + "/")
        expect(page.get_by_role("link", name="Sign in (or sign up)")).to_be_visible()
