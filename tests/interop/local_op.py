"""Local Cognito as the OpenID provider of an interop test, and the user's browser.

``served`` runs a pool with one confidential client and one user on 127.0.0.1;
``hosted_ui_sign_in`` is the browser: it follows the app's redirect to the hosted UI, fills in
the form and hands back the callback URL. The relying-party libraries do everything else.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from cognito_gate.local import ClientConfig, LocalCognito

EMAIL = "interop@example.com"
PASSWORD = "Interop-password-1"

_CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


def hosted_ui_sign_in(authorize_url: str, email: str = EMAIL, password: str = PASSWORD) -> str:
    """GET the authorize URL, POST the hosted-UI form, return the redirect to the app."""
    with httpx.Client(timeout=10) as browser:
        response = browser.get(authorize_url)
        assert response.status_code == 302, response.text
        login = httpx.URL(authorize_url).join(response.headers["location"])
        page = browser.get(login)
        assert page.status_code == 200, page.text
        match = _CSRF.search(page.text)
        assert match, "no _csrf field on the hosted UI"
        form = {"username": email, "password": password, "_csrf": match.group(1)}
        done = browser.post(login, data=form)
        assert done.status_code == 302, done.text
        return done.headers["location"]


@contextmanager
def served(redirect_uri: str) -> Iterator[tuple[LocalCognito, ClientConfig]]:
    """Local Cognito on loopback whose client ``interoprp`` calls back to ``redirect_uri``."""
    lc = LocalCognito()
    client = lc.add_client(
        ClientConfig(
            client_id="interoprp",
            client_secret="interop-secret-value-0123456789",
            callback_urls=(redirect_uri,),
            logout_urls=(),
            allowed_scopes=("openid", "email", "profile"),
        )
    )
    lc.add_user(EMAIL, PASSWORD)
    try:
        with lc.serve():
            yield lc, client
    finally:
        lc.close()
