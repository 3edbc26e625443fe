"""mozilla-django-oidc, configured only through its documented settings (endpoints, RS256 with
the JWKS, PKCE on), signs a user into a Django site against Local Cognito on loopback: the code
exchange with the client secret, the ID token's signature and nonce, and userInfo for the
user's email, which its backend requires to create the Django user.

Django runs in a child process (django_rp.py): its settings are global per process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .local_op import EMAIL, served

pytestmark = pytest.mark.interop

REPO = Path(__file__).parents[2]
REDIRECT_URI = "http://localhost/oidc/callback/"


def test_mozilla_django_oidc_signs_a_django_user_in_with_pkce_and_userinfo() -> None:
    with served(REDIRECT_URI) as (lc, client):
        env = {**os.environ, "ISSUER": lc.issuer, "BASE_URL": lc.base_url,
               "CLIENT_ID": client.client_id, "CLIENT_SECRET": client.client_secret or ""}
        done = subprocess.run(
            [sys.executable, "-m", "tests.interop.django_rp"], cwd=REPO, env=env,
            capture_output=True, text=True, timeout=60, check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert "code_challenge_method=S256" in seen["authorize"]
    assert seen["callback_status"] == 302
    assert seen["landed"] == "/me"  # LOGIN_REDIRECT_URL: the backend accepted the user
    assert seen["me_status"] == 200
    assert seen["me"] == {"email": EMAIL, "oidc": True}
