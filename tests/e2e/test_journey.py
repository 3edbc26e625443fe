"""Issue 3's journey through the demo app, as a person takes it, in real headless Chromium.

Also CK-02: the sign-in only completes because the transaction cookie (SameSite=Lax) comes
back on the cross-site return from Local Cognito (127.0.0.1) to the app (localhost).
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from cognito_gate.local import LocalCognito

from .conftest import ServedApp, Shots, sign_up_and_confirm

PASSWORD = "Journey-pass-1"


def expiry_text(page: Page) -> str:
    return page.locator("#expiry").inner_text()


@pytest.mark.e2e
def test_sign_up_refresh_sign_out(
    page: Page, lc: LocalCognito, demo: ServedApp, shots: Shots
) -> None:
    email = f"journey-{uuid.uuid4().hex[:8]}@example.com"

    page.goto(demo.url + "/")
    expect(page.get_by_role("link", name="Sign in (or sign up)")).to_be_visible()
    shots(page, "home-anonymous")

    page.get_by_role("link", name="Sign in (or sign up)").click()
    expect(page).to_have_url(re.compile(re.escape(lc.base_url) + "/login"))
    expect(page.locator("#username")).to_be_visible()
    shots(page, "hosted-sign-in")

    sign_up_and_confirm(page, lc, shots, email=email, password=PASSWORD, shot_prefix="hosted-")

    # Back at the app (CK-02: the Lax transaction cookie made it across), signed in.
    expect(page).to_have_url(demo.url + "/")
    expect(page.get_by_role("heading", name=f"Signed in as {email}")).to_be_visible()
    shots(page, "home-signed-in")

    page.get_by_role("link", name="Open the protected page").click()
    expect(page).to_have_url(demo.url + "/protected")
    expect(page.locator("table.claims")).to_contain_text(email)
    expect(page.locator("table.claims")).to_contain_text("token_use")
    first_expiry = expiry_text(page)
    shots(page, "protected")
    page.set_viewport_size({"width": 390, "height": 800})
    shots(page, "protected-phone")
    page.set_viewport_size({"width": 1100, "height": 800})

    # An hour and a bit later the access token has expired: the page is still served, refreshed.
    lc.clock.advance(3700)
    demo.clock.advance(3700)
    page.reload()
    expect(page).to_have_url(demo.url + "/protected")
    expect(page.locator("table.claims")).to_contain_text(email)
    assert expiry_text(page) != first_expiry
    assert "in 60 minutes" in expiry_text(page) or "in 59 minutes" in expiry_text(page)
    shots(page, "protected-after-refresh")

    page.get_by_role("button", name="Sign out").first.click()
    expect(page).to_have_url(demo.url + "/")
    expect(page.get_by_role("link", name="Sign in (or sign up)")).to_be_visible()
    shots(page, "home-signed-out")

    # LO-05: the hosted-UI session ended too, so the password is asked for again.
    page.goto(demo.url + "/protected")
    expect(page).to_have_url(re.compile(re.escape(lc.base_url) + "/login"))
    expect(page.locator("#password")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Sign in as"))).to_have_count(0)
    shots(page, "protected-asks-password-again")
