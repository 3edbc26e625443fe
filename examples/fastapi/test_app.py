import os

import pytest

from cognito_gate.testing import TEST_ENV

os.environ.update(TEST_ENV)  # app.py reads its settings at import; each test's pool replaces them
from app import api, auth


@pytest.fixture
def app(local_cognito):
    return local_cognito.wrap(api, like=auth)  # the app's own auth, pointed at this test's pool


async def test_anonymous_visitors_are_sent_to_sign_in(app, local_cognito):
    page = await local_cognito.client(app).get("/account")
    assert page.status_code == 303
    assert page.headers["location"].endswith("/login?return_to=/account")


async def test_a_signed_in_user_sees_their_groups(app, cognito_user, cognito_client):
    ada = cognito_user(groups=["admins"])
    client = await cognito_client(app, ada)  # the real hosted-UI sign-in, in-process
    page = await client.get("/account")
    assert page.status_code == 200
    assert f"{ada.sub} is in admins" in page.text


async def test_the_api_answers_401_json_without_a_session(app, local_cognito):
    me = await local_cognito.client(app).get("/api/me", headers={"accept": "application/json"})
    assert me.status_code == 401
    assert me.json()["error"] == "login_required"


async def test_the_api_accepts_a_bearer_access_token(app, local_cognito, cognito_user,
                                                   bearer_token):
    ada = cognito_user(groups=["readers"])
    me = await local_cognito.client(app).get(
        "/api/me", headers={"authorization": f"Bearer {bearer_token(ada)}"})
    assert me.json() == {"sub": ada.sub, "email": None, "groups": ["readers"]}  # no email claim


async def test_sessions_refresh_and_survive_an_outage(app, local_cognito, cognito_user,
                                                      cognito_client):
    client = await cognito_client(app, cognito_user())
    local_cognito.advance(3600 - 30)  # near expiry: the next request refreshes the tokens
    assert (await client.get("/account")).status_code == 200
    local_cognito.faults.set("token", status=503)  # Cognito's token endpoint goes down
    local_cognito.advance(3600)
    assert (await client.get("/account")).status_code == 503  # "try again", not signed out
    local_cognito.faults.reset()
    local_cognito.advance(10)  # the library waits 10 s before asking a down provider again
    assert (await client.get("/account")).status_code == 200


def test_the_starlette_test_client_works_too(app, cognito_user, cognito_test_client):
    client = cognito_test_client(app, cognito_user())
    assert client.get("/api/me").status_code == 200
