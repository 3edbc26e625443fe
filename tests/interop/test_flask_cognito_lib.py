"""flask-cognito-lib (written for Cognito), configured only as its README documents — app
settings plus a ``Config`` subclass overriding ``issuer`` — signs in against Local Cognito 20
times in a row. Its PKCE verifiers are 35–43 characters (base64 with the non-alphanumerics
stripped); Cognito accepts them, so Local Cognito must too: no ``invalid_grant``.
"""

from __future__ import annotations

import pytest
from flask import Flask, jsonify, session
from flask.typing import ResponseReturnValue
from flask_cognito_lib import CognitoAuth
from flask_cognito_lib.config import Config
from flask_cognito_lib.decorators import auth_required, cognito_login, cognito_login_callback

from .local_op import EMAIL, hosted_ui_sign_in, served

pytestmark = pytest.mark.interop

APP = "http://localhost:8767"
REDIRECT_URI = f"{APP}/callback"
SIGN_INS = 20


def relying_party(base_url: str, issuer: str, pool_id: str, client_id: str, secret: str) -> Flask:
    class LocalIssuer(Config):
        """The README's ConfigOverride: the library builds an AWS issuer from region + pool."""

        @property
        def issuer(self) -> str:
            return issuer

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="interop-flask-secret",
        AWS_REGION="us-east-1",
        AWS_COGNITO_USER_POOL_ID=pool_id,
        AWS_COGNITO_DOMAIN=base_url,
        AWS_COGNITO_USER_POOL_CLIENT_ID=client_id,
        AWS_COGNITO_USER_POOL_CLIENT_SECRET=secret,
        AWS_COGNITO_REDIRECT_URL=REDIRECT_URI,
        AWS_COGNITO_LOGOUT_URL=f"{APP}/",
        AWS_COGNITO_SCOPES=["openid", "email", "profile"],
    )
    CognitoAuth(app, cfg=LocalIssuer())

    @app.route("/login")
    @cognito_login
    def login() -> ResponseReturnValue:
        return ""  # the decorator redirects to the hosted UI

    @app.route("/callback")
    @cognito_login_callback
    def callback() -> ResponseReturnValue:
        return jsonify(email=session["user_info"]["email"])

    @app.route("/private")
    @auth_required()
    def private() -> ResponseReturnValue:
        return jsonify(ok=True)

    return app


def test_flask_cognito_lib_signs_in_20_times_in_a_row_with_its_short_pkce_verifiers() -> None:
    with served(REDIRECT_URI) as (lc, client):
        app = relying_party(
            lc.base_url, lc.issuer, lc.pool_id, client.client_id, client.client_secret or ""
        )
        lengths = set()
        for attempt in range(SIGN_INS):
            with app.test_client() as rp:
                start = rp.get("/login")
                assert start.status_code == 302, start.text
                with rp.session_transaction() as sess:
                    lengths.add(len(sess["code_verifier"]))
                callback = hosted_ui_sign_in(start.headers["location"])
                assert callback.startswith(REDIRECT_URI), callback
                done = rp.get(callback.removeprefix(APP))
                assert done.status_code == 200, f"sign-in {attempt + 1}: {done.text[-500:]}"
                assert done.json == {"email": EMAIL}
                assert rp.get("/private").json == {"ok": True}
        assert min(lengths) < 43, f"no verifier below RFC 7636's 43 characters: {lengths}"
