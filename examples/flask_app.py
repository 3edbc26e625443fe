"""The seed's system in Flask: a home page with a sign-in link (and who is signed in), a protected
page, sign-out, and error pages in the app's own style.

    uv run --extra flask flask --app examples/flask_app.py run --port 8000
    uv run --extra flask --with gunicorn gunicorn --chdir examples -k gthread --threads 8 \\
        -b 127.0.0.1:8000 flask_app:app

Settings (COGNITO_*, APP_URL, SESSION_SECRET) come from app.config, the environment or .env;
README "Flask" shows them for Local Cognito.
"""

from __future__ import annotations

from flask import Flask, render_template_string

from cognito_gate.flask import AuthProblem, CognitoGate, current_user, login_required

app = Flask(__name__)
gate = CognitoGate(app)

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
</head><body><nav><a href="/">Home</a> · <a href="/protected">Protected</a></nav><main>
{% if current_user %}
<p id="who">Signed in as {{ current_user.email }}</p>
<form method="post" action="{{ cognito_logout_url }}">
  <input type="hidden" name="csrf" value="{{ cognito_csrf }}"><button>Sign out</button>
</form>
{% else %}
<p id="who">Signed out. <a id="sign-in" href="{{ cognito_login_url() }}">Sign in</a></p>
{% endif %}
<h1 id="heading">{{ heading }}</h1>{% if detail %}<p>{{ detail }}</p>{% endif %}
{% if code %}<p>Error code: <code>{{ code }}</code></p>{% endif %}</main></body></html>"""


@app.get("/")
def home() -> str:
    return render_template_string(PAGE, title="Home", heading="Flask example")


@app.get("/protected")
@login_required
def protected() -> str:
    assert current_user is not None
    return render_template_string(PAGE, title="Protected",
                                  heading=f"Only for {current_user.email}")


@app.errorhandler(AuthProblem)
def auth_problem(problem: AuthProblem) -> tuple[str, int]:
    """The library's error pages, in this app's layout (the code is stable: README Errors)."""
    error = problem.error
    page = render_template_string(PAGE, title=error.title, heading=error.title,
                                  detail=error.message, code=error.code)
    return page, error.status
