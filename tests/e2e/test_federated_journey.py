"""Issue 15's federated journey in real headless Chromium: the demo's home → the hosted UI →
"Sign in with Google" → Local Cognito's simulated Google → back in the demo, signed in as the
federated user, the ``identities`` claim on the protected page. Then the demo's sign-out ends
the Cognito session but not Google's (cognito-behaviour.md §3): signing in again with Google
comes straight back without the IdP page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from cognito_gate.local import LocalCognito

from .conftest import ServedApp, Shots

SUBJECT = "117000000000000000042"


@pytest.mark.e2e
def test_sign_in_with_google(page: Page, lc: LocalCognito, demo: ServedApp, shots: Shots) -> None:
    page.goto(demo.url + "/")
    page.get_by_role("link", name="Sign in (or sign up)").click()
    expect(page).to_have_url(re.compile(re.escape(lc.base_url) + "/login"))
    google = page.get_by_role("link", name="Sign in with Google")
    expect(google).to_be_visible()
    shots(page, "hosted-sign-in-with-idp-button")

    google.click()
    expect(page).to_have_url(re.compile(re.escape(lc.base_url) + "/_idp/Google/authorize"))
    expect(page.get_by_role("heading", name="Sign in with Google")).to_be_visible()
    page.get_by_label("sub").fill(SUBJECT)
    page.get_by_label("email", exact=True).fill("river@gmail.example")
    page.get_by_label("name", exact=True).fill("River Example")
    shots(page, "simulated-google")
    page.set_viewport_size({"width": 390, "height": 800})
    shots(page, "simulated-google-phone")
    page.set_viewport_size({"width": 1100, "height": 800})
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(demo.url + "/")
    expect(page.get_by_role("heading", name="Signed in as river@gmail.example")).to_be_visible()
    page.get_by_role("link", name="Open the protected page").click()
    expect(page).to_have_url(demo.url + "/protected")
    expect(page.locator("#signed-in-with")).to_have_text("Google")
    claims = page.locator("table.claims")
    expect(claims).to_contain_text("identities")
    expect(claims).to_contain_text(f'"userId":"{SUBJECT}"')
    expect(claims).to_contain_text(f"Google_{SUBJECT}")
    expect(claims).to_contain_text(f"{lc.pool_id}_Google")
    shots(page, "protected-federated")

    # Sign out of the demo (and Cognito); Google's own session stays, as on Cognito.
    page.get_by_role("button", name="Sign out").first.click()
    expect(page).to_have_url(demo.url + "/")
    page.get_by_role("link", name="Sign in (or sign up)").click()
    page.get_by_role("link", name="Sign in with Google").click()
    expect(page).to_have_url(demo.url + "/")
    expect(page.get_by_role("heading", name="Signed in as river@gmail.example")).to_be_visible()
    shots(page, "signed-in-again-through-google-session")

    # Another browser (no cookies at all): Google asks again, offering the identity used before.
    page.context.clear_cookies()
    page.goto(demo.url + "/")
    page.get_by_role("link", name="Sign in (or sign up)").click()
    page.get_by_role("link", name="Sign in with Google").click()
    chosen = page.get_by_role("button", name=re.compile("River Example"))
    expect(chosen).to_be_visible()
    shots(page, "simulated-google-known-identity")
    chosen.click()
    expect(page).to_have_url(demo.url + "/")
    expect(page.get_by_role("heading", name="Signed in as river@gmail.example")).to_be_visible()
