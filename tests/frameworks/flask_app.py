"""The seed's system as a Flask app, for the tests: home, /protected, an API, a group page."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template_string

from cognito_gate.flask import (
    CognitoGate,
    current_caller,
    current_user,
    login_required,
    require_groups,
    require_scopes,
)
from cognito_gate.sync.loop import LoopThread
from cognito_gate.testing import LocalPool

from .answers import caller_of

HOME = """<p id=who>{% if current_user %}Signed in as {{ current_user.email }}
<form method=post action="{{ cognito_logout_url }}"><input type=hidden name=csrf
value="{{ cognito_csrf }}"><button>Sign out</button></form>
{% else %}Signed out <a href="{{ cognito_login_url('/') }}">Sign in</a>{% endif %}</p>"""


def create_app(pool: LocalPool, loop: LoopThread, **gate: Any) -> Flask:
    app = Flask(__name__)
    CognitoGate(app, settings=pool.settings(), http=pool.http, clock=pool.clock, loop=loop,
                **gate)

    @app.get("/")
    def home() -> str:
        return render_template_string(HOME)

    @app.route("/protected", methods=["GET", "POST"])
    @login_required
    def protected() -> str:
        assert current_user is not None
        return f"<p id=secret>secret page for {current_user.email}</p>"

    @app.get("/api/me")
    @login_required
    def me() -> Any:
        assert current_user is not None
        return jsonify(sub=current_user.sub, email=current_user.email)

    @app.get("/api/orders")
    @require_scopes("orders/read")
    def orders() -> Any:
        return jsonify(caller_of(current_caller))

    @app.get("/admins")
    @require_groups("admins")
    def admins() -> str:
        return "<p id=admins>admins only</p>"

    return app
