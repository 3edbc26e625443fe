"""cognito-behaviour.md §6 and §10: EnableTokenRevocation per client (TOML
``token_revocation``, default true). Disabled, /oauth2/revoke refuses with invalid_request and
the refresh token keeps working."""

from __future__ import annotations

import httpx

from cognito_gate.local import TEST_COST, LocalCognito
from cognito_gate.local.config import parse_config

from .conftest import KEYS
from .helpers import client_auth, refresh, tokens_for

CLIENT = {"id": "no-revoke", "secret": "noRevokeSecret1",
          "callback_urls": ["https://app.example.com/callback"]}
USER = {"email": "demo@example.com", "password": "Demo-password-1"}


def test_s10_token_revocation_defaults_to_enabled():
    config = parse_config({"clients": [{k: v for k, v in CLIENT.items() if k != "secret"}]})
    assert config.clients[0].token_revocation is True


async def test_s6_revoke_refuses_when_token_revocation_is_disabled():
    config = parse_config({"clients": [CLIENT | {"token_revocation": False}], "users": [USER]})
    lc = LocalCognito(config, password_cost=TEST_COST, key_factory=KEYS.factory())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=lc.app), base_url=lc.base_url
    ) as http:
        tokens, auth = await tokens_for(http, lc)
        refused = await http.post("/oauth2/revoke", data={"token": tokens["refresh_token"]},
                                  headers=client_auth(auth.client))
        assert refused.status_code == 400
        assert refused.json()["error"] == "invalid_request"
        assert (await refresh(http, auth.client, tokens["refresh_token"])).status_code == 200
    lc.close()
