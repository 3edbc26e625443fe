"""The Flask and Django examples under gunicorn, as a person uses them, in headless Chromium:
sign in (coming back to the page asked for), the protected page, a refresh when the access token
is due, sign-out. Local Cognito on 127.0.0.1, the app on localhost: two sites, as in production."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from cognito_gate.local import LocalCognito
from frameworks.servers import free_port, gunicorn, settings_env

from .conftest import Shots

PASSWORD = "Journey-pass-1"


@pytest.mark.e2e
@pytest.mark.parametrize("framework", ["flask", "django"])
def test_sign_in_protected_refresh_sign_out(page: Page, lc: LocalCognito, shots: Shots,
                                            framework: str, tmp_path: Path) -> None:
    email = f"{framework}@example.com"
    lc.add_user(email, PASSWORD)
    port = free_port()
    with gunicorn(framework, settings_env(lc, f"http://localhost:{port}"), port,
                  cwd=tmp_path) as url:
        page.goto(url + "/")
        expect(page.locator("#who")).to_contain_text("Signed out")
        shots(page, "home-anonymous")

        page.goto(url + "/protected")  # anonymous: off to sign in, and back here after
        expect(page.locator("#username")).to_be_visible()
        page.locator("#username").fill(email)
        page.locator("#password").fill(PASSWORD)
        shots(page, "hosted-sign-in")
        # The access token this sign-in gets has 30 s left: due for refresh at once.
        lc.faults.access_token(shift={"exp": -(3600 - 30)}, times=1)
        tokens = lc.requests["token"]
        page.locator("button[name=signInSubmitButton]").click()
        expect(page).to_have_url(url + "/protected")
        expect(page.locator("#heading")).to_have_text(f"Only for {email}")
        assert lc.requests["token"] == tokens + 2, "the code exchange, then one refresh"
        shots(page, "protected-refreshed")

        page.reload()  # the refreshed session: no further token call
        expect(page.locator("#heading")).to_have_text(f"Only for {email}")
        assert lc.requests["token"] == tokens + 2
        shots(page, "protected-again")

        revoked = lc.requests["revoke"]
        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(re.compile(re.escape(url) + "/$"))
        expect(page.locator("#who")).to_contain_text("Signed out")
        assert lc.requests["revoke"] == revoked + 1
        shots(page, "home-signed-out")

        page.goto(url + "/protected")  # signed out: sign in again
        expect(page.locator("#username")).to_be_visible()
