"""Flask (``cognito_gate.flask``) and Django (``cognito_gate.django``) against Local Cognito, no
mocks: the same sign-in, refresh, sign-out and refusals as the ASGI middleware, decided by the
same core. Every scenario runs for both frameworks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from cognito_gate.flask import AuthProblem

from .django_site import create_django_app
from .flask_app import create_app
from .sync_world import SyncWorld, sync_world

APP = "http://localhost:8000"


@pytest.fixture(params=["flask", "django"])
def world(request: pytest.FixtureRequest) -> Iterator[SyncWorld]:
    with sync_world(create_app if request.param == "flask" else create_django_app) as w:
        yield w


def test_sign_in_comes_back_to_the_page_asked_for(world: SyncWorld) -> None:
    user = world.pool.user()
    first = world.browser.get("/protected?x=1")
    assert first.status_code == 303
    assert first.headers["location"] == f"{APP}/login?return_to=/protected%3Fx%3D1"
    callback = world.sign_in(user.email, user.password, return_to="/protected?x=1")
    assert callback.status_code == 303
    assert callback.headers["location"].endswith("/protected?x=1")
    page = world.browser.get("/protected")
    assert page.status_code == 200
    assert f"secret page for {user.email}" in page.text
    assert page.headers["cache-control"] == "no-store"
    home = world.browser.get("/")
    assert f"Signed in as {user.email}" in home.text


def test_an_anonymous_api_caller_gets_401_json(world: SyncWorld) -> None:
    answer = world.browser.get("/api/me", headers={"accept": "application/json"})
    assert answer.status_code == 401
    assert answer.json()["error"] == "login_required"
    assert answer.headers["www-authenticate"] == "Bearer"


def test_a_bearer_token_is_verified_by_the_same_core(world: SyncWorld) -> None:
    user = world.pool.user()
    token = world.pool.bearer_token(user)
    answer = world.browser.get("/api/me", headers={"authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert answer.json()["sub"] == user.sub


def test_require_scopes_admits_a_machine_caller_and_exposes_it(world: SyncWorld) -> None:
    robot = world.pool.machine(scopes=["orders/read"])
    token = world.pool.bearer_token(robot)
    answer = world.browser.get("/api/orders", headers={"authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert answer.json() == {"kind": "machine", "who": robot.client_id}


def test_a_machine_caller_without_the_scope_gets_403_json(world: SyncWorld) -> None:
    robot = world.pool.machine(scopes=["orders/write"])
    token = world.pool.bearer_token(robot)
    answer = world.browser.get("/api/orders", headers={"authorization": f"Bearer {token}"})
    assert answer.status_code == 403
    assert answer.json()["error"] == "forbidden"


def test_a_machine_caller_is_not_a_signed_in_user(world: SyncWorld) -> None:
    robot = world.pool.machine(scopes=["orders/read"])
    token = world.pool.bearer_token(robot)
    answer = world.browser.get("/api/me", headers={"authorization": f"Bearer {token}"})
    assert answer.status_code == 403
    assert answer.json()["error"] == "forbidden"


def test_a_scope_gated_api_without_a_token_gets_401_json(world: SyncWorld) -> None:
    answer = world.browser.get("/api/orders", headers={"accept": "application/json"})
    assert answer.status_code == 401
    assert answer.json()["error"] == "login_required"
    forged = world.browser.get("/api/orders", headers={"authorization": "Bearer not-a-token"})
    assert forged.status_code == 401
    assert forged.json()["error"] == "token_invalid"


def test_refresh_when_the_access_token_is_due(world: SyncWorld) -> None:
    user = world.pool.user()
    world.sign_in(user.email, user.password)
    assert world.browser.get("/protected").status_code == 200
    before = world.token_calls()
    world.pool.advance(3600 - 30)  # inside the refresh margin
    page = world.browser.get("/protected")
    assert page.status_code == 200
    assert user.email in page.text
    assert world.token_calls() == before + 1
    assert page.headers.get_list("set-cookie"), "the refreshed session goes out with the page"
    again = world.browser.get("/protected")
    assert again.status_code == 200
    assert world.token_calls() == before + 1


def test_refresh_failure_ends_the_session_and_asks_to_sign_in(world: SyncWorld) -> None:
    """The real cause of a refused refresh: an admin disabled the user (Local Cognito revokes
    their tokens and answers the refresh with ``invalid_grant``)."""
    user = world.pool.user()
    world.sign_in(user.email, user.password)
    assert world.browser.get("/protected").status_code == 200
    world.pool.lc.disable_user(user.email)
    world.pool.advance(3600 + 5)
    before = world.token_calls()
    page = world.browser.get("/protected")
    assert page.status_code == 303
    assert "/login?return_to=/protected" in page.headers["location"]
    assert world.token_calls() == before + 1, "the refresh was tried, and refused"
    assert page.headers.get_list("set-cookie"), "the dead session's cookies are cleared"
    api = world.browser.get("/api/me", headers={"accept": "application/json"})
    assert api.status_code == 401


def test_sign_out_needs_the_csrf_token_and_revokes(world: SyncWorld) -> None:
    user = world.pool.user()
    world.sign_in(user.email, user.password)
    home = world.browser.get("/")
    token = home.text.split('name=csrf\nvalue="')[1].split('"')[0]
    assert token
    refused = world.browser.post("/logout", data={"csrf": "wrong"})
    assert refused.status_code == 403
    assert world.browser.get("/protected").status_code == 200, "a refused sign-out changes nothing"
    revokes = world.revoke_calls()
    done = world.browser.post("/logout", data={"csrf": token})
    assert done.status_code == 303
    assert "/logout?" in done.headers["location"]
    assert world.revoke_calls() == revokes + 1
    assert world.browser.get("/protected").status_code == 303


def test_a_cross_site_post_is_refused(world: SyncWorld) -> None:
    user = world.pool.user()
    world.sign_in(user.email, user.password)
    forged = world.browser.post("/protected", headers={"origin": "https://evil.example"})
    assert forged.status_code == 403
    assert "csrf_failed" in forged.text
    same_site = world.browser.post("/protected", headers={"origin": APP})
    assert same_site.status_code == 200


def test_a_group_gated_page(world: SyncWorld) -> None:
    reader = world.pool.user(groups=["readers"])
    world.sign_in(reader.email, reader.password)
    refused = world.browser.get("/admins")
    assert refused.status_code == 403
    assert "forbidden" in refused.text
    admin_browser = world.new_browser()
    admin = world.pool.user(groups=["admins"])
    world.sign_in(admin.email, admin.password, browser=admin_browser)
    assert admin_browser.get("/admins").status_code == 200


def test_error_pages_are_overridable_with_flask_error_handlers() -> None:
    def app_with_handler(pool, loop) -> Flask:  # type: ignore[no-untyped-def]
        app = create_app(pool, loop)

        @app.errorhandler(AuthProblem)
        def styled(problem: AuthProblem) -> tuple[str, int]:
            return f"<h1>Our own page: {problem.error.code}</h1>", problem.code or 500

        return app

    with sync_world(app_with_handler) as w:
        user = w.pool.user(groups=["readers"])
        w.sign_in(user.email, user.password)
        page = w.browser.get("/admins")
        assert page.status_code == 403
        assert "Our own page: forbidden" in page.text
        callback = w.new_browser().get("/callback/?state=nope&code=x")  # no sign-in pending
        assert callback.status_code == 400
        assert "Our own page: signin_expired" in callback.text


def test_flask_counts_each_session_cache_look_up_once_for_the_metrics() -> None:
    with sync_world(create_app) as w:
        auth = w.app.extensions["cognito_gate"].auth
        user = w.pool.user()
        w.sign_in(user.email, user.password)
        assert w.browser.get("/protected").status_code == 200  # verified: a miss
        for _ in range(3):
            assert w.browser.get("/protected").status_code == 200  # the bridge's hits
        assert (auth.hot.misses, auth.hot.hits) == (1, 3)


def test_django_class_based_view_mixin_checks_groups() -> None:
    with sync_world(create_django_app) as w:
        assert w.browser.get("/editors").status_code == 303  # anonymous: sign in first
        reader = w.pool.user(groups=["readers"])
        w.sign_in(reader.email, reader.password)
        assert w.browser.get("/editors").status_code == 403
        editor_browser = w.new_browser()
        editor = w.pool.user(groups=["editors"])
        w.sign_in(editor.email, editor.password, browser=editor_browser)
        page = editor_browser.get("/editors")
        assert page.status_code == 200
        assert "editors only" in page.text


def test_django_error_pages_are_the_overridable_template() -> None:
    with sync_world(create_django_app) as w:
        page = w.browser.get("/callback/?state=nope&code=x")
        assert page.status_code == 400
        assert "<code>signin_expired</code>" in page.text  # cognito_gate/error.html
