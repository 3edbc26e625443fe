"""An independent client (panva's openid-client, npm) against Local Cognito on loopback.

Two implementations of one protocol catch each other's mistakes: if Local Cognito's discovery,
PKCE handling, token shapes, signatures, userInfo or refresh drift from the standards that
openid-client enforces, this test fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pytest

from cognito_gate.local import ClientConfig, LocalCognito

HERE = Path(__file__).parent
REDIRECT_URI = "http://localhost:8765/interop-callback"

pytestmark = pytest.mark.interop


def test_openid_client_completes_discovery_code_flow_userinfo_and_refresh(
    missing_tool: Callable[[str], NoReturn],
) -> None:
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "openid-client").is_dir():
        missing_tool("Node.js and tests/interop/node_modules are missing: scripts/test installs "
                     "them (sudo apt-get install nodejs npm; cd tests/interop && npm ci)")
    lc = LocalCognito()
    client = ClientConfig(
        client_id="interopclient",
        client_secret="interop-secret-value-0123456789",
        callback_urls=(REDIRECT_URI,),
        logout_urls=(),
        allowed_scopes=("openid", "email", "profile"),
    )
    lc.add_client(client)
    lc.add_user("interop@example.com", "Interop-password-1")
    with lc.serve():
        issuer = lc.issuer  # the issuer carries the port the server was given
        env = {
            **os.environ,
            "ISSUER": issuer,
            "CLIENT_ID": client.client_id,
            "CLIENT_SECRET": client.client_secret or "",
            "REDIRECT_URI": REDIRECT_URI,
            "USERNAME": "interop@example.com",
            "PASSWORD": "Interop-password-1",
        }
        done = subprocess.run(
            [node, str(HERE / "flow.mjs")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["issuer"] == issuer
    assert seen["email"] == "interop@example.com"
    assert seen["nonceMatched"] is True
    assert seen["userInfoSub"] == seen["sub"]
    assert seen["userInfoEmail"] == "interop@example.com"
    assert seen["userInfoEmailVerified"] == "true"  # Cognito's quirk: a string, not a boolean
    assert seen["refreshedSub"] == seen["sub"]
    assert seen["refreshedAccessTokenDiffers"] is True
    assert seen["refreshTokenReturnedOnRefresh"] is False  # rotation is off by default
