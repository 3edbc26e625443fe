"""``GET /``: the local console shows the pool, its clients, users, groups and waiting
confirmation codes — to this machine only, and no secret the banner does not show."""

from __future__ import annotations

import re
from html import unescape

import httpx

from cognito_gate.local import LocalCognito

from .helpers import authorize_params, csrf_of

PASSWORD = "Signup-password-1"


async def signed_up(lc: LocalCognito, http: httpx.AsyncClient, email: str) -> str:
    """Sign a user up through the hosted UI; returns the confirmation code it waits for."""
    params, _ = authorize_params(lc.clients["web-client"])
    page = await http.get("/signup", params=params)
    await http.post(str(page.url), data={"email": email, "password": PASSWORD,
                                         "_csrf": csrf_of(page)})
    code = lc.last_confirmation_code(email)
    assert code is not None
    return code


async def test_console_shows_pool_clients_users_groups_and_codes(lc, http) -> None:
    code = await signed_up(lc, http, "newcomer@example.com")
    page = await http.get("/")
    assert page.status_code == 200
    text = unescape(page.text)
    for fact in (lc.pool_id, lc.issuer, lc.base_url):
        assert fact in text
    for client in lc.clients.values():
        assert client.client_id in text
        for url in (*client.callback_urls, *client.logout_urls):
            assert url in text
    for email in ("demo@example.com", "nogroups@example.com", "pending@example.com"):
        assert email in text
    assert re.search(r"<td>demo@example.com</td><td>confirmed</td><td>readers</td>", text)
    assert re.search(r"<td>newcomer@example.com</td><td>unconfirmed</td>", text)
    assert re.search(r"<td>readers</td><td>—</td><td>demo@example.com</td>", text)
    assert re.search(rf"<td>newcomer@example.com</td><td><code class=\"code\">{code}</code>", text)
    assert 'href="/static/hosted-ui.css"' in text  # styled like the hosted UI
    assert page.headers["cache-control"] == "no-store"


async def test_console_sign_in_link_opens_the_hosted_ui_for_that_client(lc, http) -> None:
    text = unescape((await http.get("/")).text)
    link = re.search(r'<a href="(/login\?client_id=web-client[^"]*)">Sign in through', text)
    assert link is not None
    form = await http.get(link.group(1))
    assert form.status_code == 200
    assert 'name="password"' in form.text
    assert "redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback" in link.group(1)
    assert "Sign in through machine-client" not in text  # no code flow, no sign-in link


async def test_console_shows_no_secret_the_banner_does_not(lc, http) -> None:
    text = (await http.get("/")).text
    user = lc.user("demo@example.com")
    assert user is not None
    assert user.password_hash not in text
    assert "Other-password-2" not in text
    assert "Pending-password-3" not in text
    assert "Demo-password-1" in text  # the first configured user: the banner shows it too
    signing_keys = lc.store.keys()
    assert signing_keys
    for key in signing_keys:
        assert key.kid not in text
    assert "BEGIN" not in text  # no key material


async def test_console_is_refused_to_other_machines_and_rebound_host_names(lc) -> None:
    remote = httpx.ASGITransport(app=lc.app, client=("192.0.2.7", 5000))
    async with httpx.AsyncClient(transport=remote, base_url=lc.base_url) as other:
        far = await other.get("/")
    local = httpx.ASGITransport(app=lc.app, client=("127.0.0.1", 5000))
    async with httpx.AsyncClient(transport=local, base_url="http://evil.example:9229") as rebound:
        rebinding = await rebound.get("/")
    for response in (far, rebinding):
        assert response.status_code == 403
        assert "only shown on this machine" in response.text
        assert "demo@example.com" not in response.text


async def test_console_lists_identity_providers_and_federated_users() -> None:
    from cognito_gate.local import TEST_COST, demo_pool

    from .conftest import KEYS

    lc = LocalCognito(demo_pool(), key_factory=KEYS.factory(), password_cost=TEST_COST)
    google = lc.federation.providers["Google"]
    lc.federation.sign_in(google, {"sub": "4242", "name": "No Mail"})  # the IdP gave no e-mail
    transport = httpx.ASGITransport(app=lc.app)
    async with httpx.AsyncClient(transport=transport, base_url=lc.base_url) as http:
        text = unescape((await http.get("/")).text)
    assert re.search(r"<td>Google</td><td>Google</td><td><code>username</code> ← <code>sub</code>",
                     text)
    assert "<td>Google_4242</td><td>external provider</td>" in text
    assert re.search(r"<td>us-east-1_LocalDemo_Google</td><td>[^<]+</td><td>Google_4242</td>", text)
    lc.close()


async def test_console_shows_resource_servers_and_client_settings(lc, http) -> None:
    import dataclasses

    web = lc.clients["web-client"]
    lc.add_client(dataclasses.replace(
        web, read_attributes=("email", "email_verified"), prevent_user_existence_errors="ENABLED",
        token_revocation=False))
    text = unescape((await http.get("/")).text)
    assert "<dt><code>orders</code></dt><dd>Orders API: orders/read orders/write</dd>" in text
    assert "<dt>Reads</dt><dd>email, email_verified</dd>" in text
    assert "<dt>Unknown users</dt><dd>hidden (ENABLED)</dd>" in text
    assert "<dt>Token revocation</dt><dd>off</dd>" in text
    assert "<dt>Identity providers</dt><dd>COGNITO</dd>" in text
