"""cognito-behaviour.md §5 (userInfo's WWW-Authenticate as documented) and §8 (an AWS-shaped
issuer from the command line, with the endpoints still local)."""

from __future__ import annotations

import httpx

from cognito_gate.local import cli

from .helpers import userinfo
from .test_cli_and_serve import parse

AWS = "https://cognito-idp.us-east-1.amazonaws.com"


async def test_s5_userinfo_errors_carry_the_documented_www_authenticate(lc, http):
    bad = await http.get("/oauth2/userInfo")
    assert bad.status_code == 400
    assert bad.headers["www-authenticate"] == (
        'error="invalid_request", error_description="Bad OAuth2 request at UserInfo Endpoint"'
    )
    expired = await userinfo(http, "not-a-token")
    assert expired.status_code == 401
    assert expired.headers["www-authenticate"] == (
        'error="invalid_token", error_description="Access token is expired, disabled, or '
        'deleted, or the user has globally signed out."'
    )


async def test_s8_issuer_base_url_flag_gives_an_aws_shaped_issuer():
    args = parse("--memory", "--issuer-base-url", AWS)
    lc = cli._open(args, cli.demo_pool(), "http://127.0.0.1:9229")
    transport = httpx.ASGITransport(app=lc.app)
    async with httpx.AsyncClient(transport=transport, base_url=lc.base_url) as http:
        doc = (await http.get(f"/{lc.pool_id}/.well-known/openid-configuration")).json()
    assert doc["issuer"] == lc.issuer == f"{AWS}/{lc.pool_id}"
    assert doc["token_endpoint"] == "http://127.0.0.1:9229/oauth2/token"
    assert lc.issuer in cli._banner(lc, args)
    lc.close()


def test_s8_issuer_base_url_must_be_an_http_url(capsys):
    assert cli.run(parse("--memory", "--issuer-base-url", "ftp://x")) == cli.EXIT_USAGE
    assert "--issuer-base-url" in capsys.readouterr().err
