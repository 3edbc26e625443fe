"""``CognitoBackend`` and ``CognitoAuthenticationMiddleware``: ``request.user`` and the Django
admin from the Cognito session, the Django user keyed by (issuer, sub), never by e-mail. Against
Local Cognito through the real hosted-UI sign-in, no mocks."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from cognito_gate.core.user import User

from .django_site import create_django_app
from .sync_world import SyncWorld, sync_world


@pytest.fixture
def world() -> Iterator[SyncWorld]:
    with sync_world(create_django_app) as w:
        yield w


def whoami(world: SyncWorld, browser: object = None) -> dict[str, object]:
    answer = (browser or world.browser).get("/whoami")  # type: ignore[attr-defined]
    assert answer.status_code == 200, answer.text
    result: dict[str, object] = answer.json()
    return result


def change_email(world: SyncWorld, old: str, new: str) -> None:
    """AdminUpdateUserAttributes at the provider (Local Cognito's implementation of it)."""
    accounts = world.pool.lc.accounts
    accounts.update_attributes(accounts.require(old), {"email": new, "email_verified": "true"})


def test_request_user_is_authenticated_after_sign_in_and_anonymous_after_sign_out(
        world: SyncWorld) -> None:
    assert whoami(world) == {"authenticated": False}
    user = world.pool.user(attributes={"given_name": "Ada"})
    world.sign_in(user.email, user.password)
    me = whoami(world)
    assert me["authenticated"] is True
    assert (me["email"], me["first_name"]) == (user.email, "Ada")
    assert me["username"] != user.email, "the key is (issuer, sub), not the address"
    token = world.browser.get("/").text.split('name=csrf\nvalue="')[1].split('"')[0]
    assert world.browser.post("/logout", data={"csrf": token}).status_code == 303
    assert whoami(world) == {"authenticated": False}


def test_an_email_change_at_the_provider_keeps_the_same_django_user(world: SyncWorld) -> None:
    user = world.pool.user()
    world.sign_in(user.email, user.password)
    before = whoami(world)
    change_email(world, user.email, "renamed@example.com")
    world.browser.cookies.clear()
    world.sign_in("renamed@example.com", user.password)
    after = whoami(world)
    assert after["pk"] == before["pk"]
    assert after["username"] == before["username"]
    assert after["email"] == "renamed@example.com", "the new address is copied over"


def test_the_same_email_with_another_sub_is_another_django_user(world: SyncWorld) -> None:
    first = world.pool.user(email="shared@example.com")
    world.sign_in(first.email, first.password)
    first_user = whoami(world)
    change_email(world, first.email, "moved-away@example.com")  # the address is free again
    second = world.pool.user(email="shared@example.com")
    assert second.sub != first.sub
    other = world.new_browser()
    world.sign_in(second.email, second.password, browser=other)
    second_user = whoami(world, other)
    assert second_user["email"] == first_user["email"] == "shared@example.com"
    assert second_user["pk"] != first_user["pk"]


def test_the_same_sub_from_two_issuers_is_two_django_users(world: SyncWorld) -> None:
    """Two pools never draw the same ``sub`` in Local Cognito (they are random UUIDs), so the
    backend is handed the two verified users the gate would build for such a pair."""
    from cognito_gate.django.backend import CognitoBackend

    create_django_app(world.pool, world.loop)  # Django and its database set up
    backend = CognitoBackend()

    def verified(issuer: str) -> User:
        claims = {"sub": "0a1b2c3d-same-sub", "iss": issuer, "email": "same@example.com",
                  "cognito:username": "same", "exp": 2e9}
        return User.from_claims(claims, claims)

    one = backend.user_for(verified("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_A"))
    two = backend.user_for(verified("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_B"))
    again = backend.user_for(verified("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_A"))
    assert one.pk != two.pk
    assert again.pk == one.pk


def test_a_bearer_token_request_keeps_the_profile_from_the_id_token(world: SyncWorld) -> None:
    user = world.pool.user(attributes={"given_name": "Grace"})
    world.sign_in(user.email, user.password)
    profile = whoami(world)
    api = world.new_browser().get(
        "/whoami", headers={"authorization": f"Bearer {world.pool.bearer_token(user)}"})
    assert api.json()["pk"] == profile["pk"]
    assert (api.json()["email"], api.json()["first_name"]) == (user.email, "Grace")


def test_the_admin_follows_the_cognito_groups(world: SyncWorld) -> None:
    anonymous = world.browser.get("/admin/")
    assert anonymous.status_code == 302
    to_sign_in = world.browser.get(anonymous.headers["location"])  # the admin's login page
    assert to_sign_in.status_code == 302
    assert to_sign_in.headers["location"] == "/login?return_to=/admin/"

    reader = world.pool.user(groups=["readers"])
    world.sign_in(reader.email, reader.password)
    assert whoami(world)["is_staff"] is False
    refused = world.browser.get(world.browser.get("/admin/").headers["location"])
    assert refused.status_code == 403, "signed in but not staff: no second sign-in loop"
    assert "forbidden" in refused.text

    admin_browser = world.new_browser()
    admin = world.pool.user(groups=["admins"])
    callback = world.sign_in(admin.email, admin.password, return_to="/admin/",
                             browser=admin_browser)
    assert callback.headers["location"].endswith("/admin/")
    assert admin_browser.get("/admin/").status_code == 200
    assert whoami(world, admin_browser)["is_superuser"] is True

    world.pool.lc.set_groups(admin.email, [])  # removed at the provider: gone at next sign-in
    admin_browser.cookies.clear()
    world.sign_in(admin.email, admin.password, browser=admin_browser)
    assert admin_browser.get("/admin/").status_code == 302
    assert whoami(world, admin_browser)["is_staff"] is False


def test_the_admins_log_out_is_the_librarys_sign_out(world: SyncWorld) -> None:
    admin = world.pool.user(groups=["admins"])
    world.sign_in(admin.email, admin.password)
    index = world.browser.get("/admin/")
    assert index.status_code == 200
    django_csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', index.text)
    assert django_csrf is not None, "the admin's logout form"
    refused = world.browser.post("/admin/logout/")  # without Django's CSRF token
    assert refused.status_code == 403
    assert whoami(world)["authenticated"] is True
    revokes = world.revoke_calls()
    out = world.browser.post("/admin/logout/",
                             data={"csrfmiddlewaretoken": django_csrf.group(1)})
    assert out.status_code == 303
    assert "/logout?" in out.headers["location"], "on through Cognito's logout"
    assert world.revoke_calls() == revokes + 1
    assert whoami(world) == {"authenticated": False}


def test_a_staff_group_gives_the_admin_without_superuser(world: SyncWorld) -> None:
    staff = world.pool.user(groups=["staff"])
    world.sign_in(staff.email, staff.password)
    me = whoami(world)
    assert (me["is_staff"], me["is_superuser"]) == (True, False)
    assert world.browser.get("/admin/").status_code == 200
