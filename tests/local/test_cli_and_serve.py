"""`cognito-gate local` and `lc.serve()`: a real loopback server whose issuer names its port."""

from __future__ import annotations

import argparse

import httpx
import pytest

from cognito_gate.local import LocalCognito, cli

from .helpers import DEMO_EMAIL, DEMO_PASSWORD, authorize_params, csrf_of, query_of


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["local", *argv])


def test_cli_defaults():
    args = parse()
    assert (args.host, args.port, args.memory, args.admin_api) == ("127.0.0.1", 9229, False, False)
    assert args.data == str(cli.DEFAULT_DATA)
    with pytest.raises(SystemExit):
        parse("--data", "x.db", "--memory")


def test_cli_add_user_persists(tmp_path, capsys):
    data = str(tmp_path / "pool.sqlite3")
    args = parse(
        "add-user",
        "new@example.com",
        "--password",
        "New-password-1",
        "--group",
        "readers",
        "--data",
        data,
    )
    assert cli.run(args) == 0
    assert "new@example.com" in capsys.readouterr().out
    lc = LocalCognito(data=data)
    assert lc.user("new@example.com").groups == ("readers",)
    assert cli.run(args) == 1
    assert "already exists" in capsys.readouterr().err


def test_cli_add_user_checks_policy(tmp_path, capsys):
    args = parse("add-user", "weak@example.com", "--password", "weak", "--memory")
    assert cli.run(args) == 2
    assert "uppercase" in capsys.readouterr().err


def test_cli_bad_config_is_a_message_not_a_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[pool]\nid = 'x'\n")
    assert cli.run(parse("--config", str(bad), "--memory")) == 2
    err = capsys.readouterr().err
    assert "pool.id" in err
    assert "Traceback" not in err


def test_cli_banner_prints_what_a_developer_needs(capsys):
    lc = LocalCognito()
    banner = cli._banner(lc, parse("--memory"))
    for text in (
        lc.base_url,
        lc.issuer,
        lc.pool_id,
        lc.demo_client.client_id,
        lc.demo_client.client_secret,
        DEMO_EMAIL,
        DEMO_PASSWORD,
        f'boto3.client("cognito-idp", endpoint_url="{lc.base_url}"',
        'region_name="us-east-1"',
    ):
        assert text in banner


def test_cli_busy_port_is_a_message(capsys):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert cli.run(parse("--memory", "--port", str(port))) == cli.EXIT_PORT == 3
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port} (the port is in use)" in err
    assert "choose another port with --port" in err


def test_client_secret_flag_pins_the_secret_whatever_the_data_file(tmp_path, capsys):
    pinned = "my-local-secret-1"
    for folder in ("one", "two"):  # two directories: two data files, one secret
        args = parse("--data", str(tmp_path / folder / "local.sqlite3"),
                     "--client-secret", pinned)
        config = cli.pin_client_secret(cli.demo_pool(), args.client_secret)
        lc = cli._open(args, config, "http://127.0.0.1:9229")
        assert lc.demo_client.client_secret == pinned
        assert f"secret: {pinned}" in cli._banner(lc, args)
        lc.close()
    unpinned = LocalCognito(data=str(tmp_path / "one" / "local.sqlite3"))
    assert unpinned.demo_client.client_secret != pinned  # without the flag: the generated one


def test_app_url_flag_registers_that_apps_callback_and_sign_out_urls(capsys):
    args = parse("--memory", "--app-url", "http://localhost:3000", "--app-url",
                 "http://127.0.0.1:5000/")
    config = cli.demo_pool()
    for url in args.app_url:
        config = cli.with_app_url(config, url)
    client = config.clients[0]
    assert client.callback_urls == ("http://localhost:8000/callback/",
                                    "http://localhost:3000/callback/",
                                    "http://127.0.0.1:5000/callback/")
    assert client.logout_urls == ("http://localhost:8000/", "http://localhost:3000/",
                                  "http://127.0.0.1:5000/")
    assert cli.run(parse("--memory", "--app-url", "http://app.example.com")) == cli.EXIT_USAGE
    assert "http:// is allowed only for" in capsys.readouterr().err


def test_bad_client_secret_is_a_usage_error(capsys):
    assert cli.run(parse("--memory", "--client-secret", "has space")) == cli.EXIT_USAGE == 2
    assert "secret must be" in capsys.readouterr().err


def test_banner_points_at_the_console():
    lc = LocalCognito()
    assert f"Console:  {lc.base_url}/" in cli._banner(lc, parse("--memory"))


def test_banner_shows_the_data_file_as_an_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = parse()
    lc = cli._open(args, cli.demo_pool(), "http://127.0.0.1:9229")
    try:
        banner = cli._banner(lc, args)
    finally:
        lc.close()
    assert f"Data:     {tmp_path / '.cognito-gate' / 'local.sqlite3'}" in banner


def test_serve_on_a_real_port_with_matching_issuer():
    lc = LocalCognito()
    with lc.serve() as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url != "http://127.0.0.1:9229"
        assert lc.base_url == base_url
        assert lc.issuer == f"{base_url}/{lc.pool_id}"
        with httpx.Client(base_url=base_url) as http:
            doc = http.get(f"/{lc.pool_id}/.well-known/openid-configuration").json()
            assert doc["issuer"] == lc.issuer
            assert doc["token_endpoint"] == f"{base_url}/oauth2/token"
            params, verifier = authorize_params(lc.demo_client)
            login = http.get("/oauth2/authorize", params=params).headers["location"]
            page = http.get(login)
            done = http.post(
                login,
                data={"username": DEMO_EMAIL, "password": DEMO_PASSWORD, "_csrf": csrf_of(page)},
            )
            code = query_of(done.headers["location"])["code"]
            tokens = http.post(
                "/oauth2/token",
                auth=(lc.demo_client.client_id, lc.demo_client.client_secret),
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": params["redirect_uri"],
                    "code_verifier": verifier,
                },
            ).json()
            assert "id_token" in tokens
    assert lc.base_url == "http://127.0.0.1:9229"


def test_serve_keeps_a_localhost_base_url_host():
    lc = LocalCognito(base_url="http://localhost:9229")
    with lc.serve() as base_url:
        assert base_url.startswith("http://localhost:")


def test_drop_closes_a_real_connection():
    lc = LocalCognito()
    lc.faults.set("token", drop=True)
    with lc.serve() as base_url, httpx.Client(base_url=base_url) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.post("/oauth2/token")
        lc.faults.reset()
        assert http.post("/oauth2/token").status_code == 400  # the server lives on


def test_password_cost_flag_sets_the_scrypt_cost_of_new_hashes(tmp_path, capsys):
    data = str(tmp_path / "pool.sqlite3")
    args = parse("add-user", "cheap@example.com", "--password", "Cheap-password-1",
                 "--password-cost", "8", "--data", data)
    assert cli.run(args) == 0
    lc = LocalCognito(data=data)
    assert lc.store.user(email="cheap@example.com").password_hash.startswith("scrypt$256$8$1$")
    lc.close()
    assert parse().password_cost == 14
    for bad in ("0", "21", "eight"):
        with pytest.raises(SystemExit):
            parse("--password-cost", bad)
    assert "--password-cost: 'eight': a whole number of 1-20" in capsys.readouterr().err
