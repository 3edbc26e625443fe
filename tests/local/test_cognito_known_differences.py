"""The known differences listed in docs/local-cognito.md ("Differences from Amazon Cognito"),
each pinned to what Local Cognito does, named after the cognito-behaviour.md section."""

from __future__ import annotations

from urllib.parse import urlencode

from .helpers import authorize_params, client_auth, peek, sign_in, tokens_for


async def test_s1_2_lang_is_ignored_the_hosted_ui_is_english_only(lc, http):
    query, _ = authorize_params(lc.demo_client, lang="fr")
    response = await http.get(f"/oauth2/authorize?{urlencode(query)}")
    assert response.status_code == 302
    page = await http.get(response.headers["location"])
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    assert not any("lang" in name for name in page.cookies)


async def test_s1_2_prompt_select_account_and_consent_are_accepted_and_ignored(lc, http):
    await sign_in(http, lc)  # a live hosted-UI session
    for prompt in ("select_account", "consent"):
        auth = await sign_in(http, lc, prompt=prompt)  # answered silently, as without prompt
        assert auth.code


async def test_s9_2_id_token_carries_every_attribute_whatever_the_scopes(lc, http):
    tokens, _ = await tokens_for(http, lc, scope="openid email")
    _, claims = peek(tokens["id_token"])
    assert claims["email"] == "demo@example.com"
    assert claims["name"] == "Demo User"  # a profile attribute without the profile scope
    assert claims["phone_number"] == "+15550100"


async def test_s4_1_query_string_parameters_at_token_are_ignored(lc, http):
    auth = await sign_in(http, lc)
    params = {"grant_type": "authorization_code", "code": auth.code,
              "redirect_uri": auth.redirect_uri, "code_verifier": auth.verifier or ""}
    response = await http.post(
        f"/oauth2/token?{urlencode(params)}", data={}, headers=client_auth(auth.client)
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
