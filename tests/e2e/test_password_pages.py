"""The hosted UI's password pages in real headless Chromium, through the demo app: an
admin-created user (boto3, AdminCreateUser) changes the temporary password and lands signed in;
a user who forgot the password resets it by code. Screenshots of every page are kept."""

from __future__ import annotations

import re
import uuid

import boto3
import pytest
from playwright.sync_api import Page, expect

from cognito_gate.local import LocalCognito

from .conftest import ServedApp, Shots

NEW_PASSWORD = "Changed-pass-1"


def _to_hosted_sign_in(page: Page, lc: LocalCognito, demo: ServedApp) -> None:
    page.goto(demo.url + "/")
    page.get_by_role("link", name="Sign in (or sign up)").click()
    expect(page).to_have_url(re.compile(re.escape(lc.base_url) + "/login"))


def _new_password(page: Page, password: str) -> None:
    page.locator("#password").fill(password)
    page.locator("#confirm_password").fill(password)


@pytest.mark.e2e
def test_admin_created_user_changes_the_temporary_password(
    page: Page, lc: LocalCognito, demo: ServedApp, shots: Shots
) -> None:
    email = f"invited-{uuid.uuid4().hex[:8]}@example.com"
    idp = boto3.client("cognito-idp", endpoint_url=lc.base_url, region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="x")
    idp.admin_create_user(UserPoolId=lc.pool_id, Username=email, TemporaryPassword="Temp-pass-123")

    _to_hosted_sign_in(page, lc, demo)
    page.locator("#username").fill(email)
    page.locator("#password").fill("Temp-pass-123")
    page.locator("button[name=signInSubmitButton]").last.click()
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    shots(page, "change-password")

    _new_password(page, "too-weak")
    page.locator("button[name=changePasswordButton]").click()
    expect(page.locator("#form-errors")).to_contain_text("uppercase letter")
    shots(page, "change-password-refused")

    _new_password(page, NEW_PASSWORD)
    page.locator("button[name=changePasswordButton]").click()
    expect(page.get_by_role("heading", name=f"Signed in as {email}")).to_be_visible()
    shots(page, "signed-in")
    assert idp.admin_get_user(UserPoolId=lc.pool_id, Username=email)["UserStatus"] == "CONFIRMED"


@pytest.mark.e2e
def test_forgot_password_resets_by_code(
    page: Page, lc: LocalCognito, demo: ServedApp, shots: Shots
) -> None:
    email = f"forgetful-{uuid.uuid4().hex[:8]}@example.com"
    lc.add_user(email, "Old-password-1")

    _to_hosted_sign_in(page, lc, demo)
    shots(page, "sign-in-with-forgot-link")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    page.locator("#username").fill(email)
    shots(page, "forgot-password")
    page.locator("button[name=reset_my_password]").click()

    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    page.locator("#code").fill("000000" if lc.last_reset_code(email) != "000000" else "111111")
    _new_password(page, NEW_PASSWORD)
    page.locator("button[name=reset_password]").click()
    expect(page.locator("#form-errors")).to_contain_text("Invalid verification code")
    shots(page, "reset-wrong-code")
    code = lc.last_reset_code(email)
    assert code is not None
    page.locator("#code").fill(code)
    _new_password(page, NEW_PASSWORD)
    shots(page, "reset-password")
    page.locator("button[name=reset_password]").click()

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("[role=status]")).to_contain_text("Your password has been reset")
    shots(page, "reset-done")
    page.locator("#password").fill(NEW_PASSWORD)
    page.locator("button[name=signInSubmitButton]").last.click()
    expect(page.get_by_role("heading", name=f"Signed in as {email}")).to_be_visible()
