import html
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse

from cognito_gate import CognitoAuth, Settings, User, get_user

settings = Settings.from_env()  # COGNITO_*, APP_URL, SESSION_SECRET from the environment or .env
auth = CognitoAuth(settings, protect=("/account",))  # path prefixes that need a signed-in user
api = FastAPI()


@api.get("/", response_class=HTMLResponse)
async def home(request: Request) -> str:
    user = get_user(request)  # the verified user, or None
    if user is None:
        return '<a href="/login">Sign in</a>'
    return (
        f"<p>Signed in as {html.escape(user.email or user.username)}</p>"
        '<form method="post" action="/logout">'
        f'<input type="hidden" name="csrf" value="{auth.csrf_token(request)}">'
        "<button>Sign out</button></form>"
    )


@api.get("/account", response_class=HTMLResponse)
async def account(request: Request) -> str:
    user = get_user(request)  # never None here: the middleware sent anonymous visitors to sign in
    assert user is not None
    return f"<p>{html.escape(user.sub)} is in {', '.join(user.groups) or 'no groups'}</p>"


@api.get("/api/me")
async def me(user: Annotated[User, Depends(auth.require_user)]) -> dict[str, object]:
    return {"sub": user.sub, "email": user.email, "groups": list(user.groups)}  # else 401 JSON


app = auth.wrap(api)  # the middleware, plus /login, /callback/ and /logout
