"""One app process of the scale-out tests: `python tests/scaleout/appserver.py < CONFIG_JSON`.

The integration tests' sample app behind a `CognitoAuth` whose sessions live in Redis
(`SESSION_STORE_URL`, read by `Settings.from_env` as an operator would set it), served by
uvicorn (uvloop + httptools, through the demo's `run_sites`) on a loopback socket the parent
bound and handed over by file descriptor. Prints `READY` once it accepts connections; stops on
SIGTERM (or dies on SIGKILL, which some tests do on purpose).

In front of the app, two test-only routes the parent uses (never load):
`POST /_test/clock?offset=S` sets this process's clock to wall time + S seconds (the parent moves
Local Cognito's clock by the same amount, so a session's refresh falls due without waiting), and
`GET /_test/state` says whether the process listens to the sign-out channel and how many sessions
its cache holds.
"""

from __future__ import annotations

import json
import logging
import socket
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for integration.harness

from cognito_gate import CognitoAuth, Settings
from cognito_gate.demo.serve import Site, run_sites
from integration.harness import sample_app

PROTECT = ("/protected", "/api")


class OffsetClock:
    """Wall-clock time plus an offset the parent sets."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset


class TestFront:
    """The two ``/_test/`` routes; everything else goes to the app untouched."""

    def __init__(self, app: ASGIApp, auth: CognitoAuth, clock: OffsetClock) -> None:
        self.app, self.auth, self.clock = app, auth, clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/_test/"):
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/_test/clock":
            query = parse_qs(scope["query_string"].decode())
            self.clock.offset = float(query["offset"][0])
        state = {"listening": self.auth._listening, "cached": len(self.auth.hot),
                 "offset": self.clock.offset}
        body = json.dumps(state).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


def build(cfg: dict[str, Any]) -> ASGIApp:
    env = {
        "COGNITO_DOMAIN": cfg["lc_url"],
        "COGNITO_CLIENT_ID": cfg["client_id"],
        "COGNITO_CLIENT_SECRET": cfg["client_secret"],
        "COGNITO_USER_POOL_ID": cfg["pool_id"],
        "COGNITO_ISSUER": cfg["issuer"],
        "APP_URL": cfg["app_url"],
        "SESSION_SECRET": cfg["session_secret"],
        "SESSION_STORE_URL": cfg["store_url"],
    }
    settings = Settings.from_env(env=env, dotenv=None)
    clock = OffsetClock()
    auth = CognitoAuth(settings, protect=PROTECT, clock=clock)
    return TestFront(auth.wrap(sample_app()), auth, clock)


def main() -> None:
    cfg = json.loads(sys.stdin.read())  # on stdin: the client secret stays out of `ps`
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s app%(process)d %(name)s %(message)s")
    logging.getLogger("cognito_gate").setLevel(logging.INFO)
    run_sites([Site(build(cfg), socket.socket(fileno=cfg["fd"]))],
              lambda: print("READY", flush=True))


if __name__ == "__main__":
    main()
