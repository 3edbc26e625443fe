"""``cognito-gate local``: run Local Cognito on loopback, or add a user to its data file.

``cognito_gate.cli`` calls :func:`add_parser`; everything else here is private to the command.
"""

from __future__ import annotations

import argparse
import errno
import getpass
import logging
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit

from .config import (
    ConfigError,
    PoolConfig,
    demo_pool,
    load_config,
    pin_client_secret,
    with_app_url,
)
from .local_cognito import LocalCognito, UserExistsError
from .passwords import DEFAULT_COST, TEST_COST, policy_problems

__all__ = [
    "DEFAULT_DATA",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_PORT",
    "EXIT_USAGE",
    "add_parser",
    "cannot_listen",
    "run",
]

DEFAULT_DATA = Path(".cognito-gate") / "local.sqlite3"  # shared with `cognito-gate demo`

# The exit codes of every `cognito-gate` command (README, "The command line").
EXIT_OK = 0  # done, or stopped with Ctrl+C
EXIT_FAILED = 1  # the action itself failed (e.g. that user already exists)
EXIT_USAGE = 2  # bad options, settings or configuration file: nothing was started
EXIT_PORT = 3  # an address to listen on is taken or not allowed


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Register ``local`` (and ``local add-user``) on the ``cognito-gate`` sub-commands."""
    local = commands.add_parser(
        "local",
        help="run Local Cognito (offline Cognito hosted UI and OAuth endpoints)",
        description="Run Local Cognito: a Cognito user pool's hosted UI and OAuth 2.0/OIDC "
        "endpoints on this machine, for development and tests.",
    )
    local.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    local.add_argument("--port", type=int, default=9229, help="port (default 9229)")
    _pool_arguments(local)
    local.add_argument(
        "--client-secret",
        metavar="SECRET",
        help="use this secret for the first app client instead of the generated one "
        "(keeps an app's .env working with any data file)",
    )
    local.add_argument(
        "--app-url",
        metavar="URL",
        action="append",
        default=[],
        help="also accept the app at this origin: URL/callback/ as a callback URL and URL/ as a "
        "sign-out URL of the first app client (repeatable; the demo pool has "
        "http://localhost:8000)",
    )
    local.add_argument(
        "--issuer-base-url",
        metavar="URL",
        help="put this base in the tokens' iss and discovery's issuer, for apps that check its "
        "shape (e.g. https://cognito-idp.us-east-1.amazonaws.com); the endpoints stay local",
    )
    local.add_argument(
        "--admin-api", action="store_true", help="serve the /_local/* test control endpoints"
    )
    local.set_defaults(run=run)
    actions = local.add_subparsers(dest="local_command", metavar="ACTION")
    add_user = actions.add_parser("add-user", help="add a confirmed user to the data file")
    add_user.add_argument("email")
    add_user.add_argument("--password", help="the password (asked for when left out)")
    add_user.add_argument(
        "--group", action="append", default=[], help="a group to put the user in (repeatable)"
    )
    add_user.add_argument(
        "--username", help="the user's username (pools of real usernames, username_attributes = [])"
    )
    _pool_arguments(add_user)
    return local


def _pool_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="pool configuration (TOML)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--data",
        metavar="PATH",
        default=str(DEFAULT_DATA),
        help=f"SQLite file for users and keys (default {DEFAULT_DATA})",
    )
    where.add_argument("--memory", action="store_true", help="keep nothing after exit")
    parser.add_argument(
        "--password-cost",
        type=_password_cost,
        default=DEFAULT_COST,
        metavar="N",
        help=f"scrypt cost of new password hashes, log2 of N (1-20, default {DEFAULT_COST}); a "
        f"test suite signing in hundreds of times may use {TEST_COST}: the same KDF, cheaper",
    )


def _password_cost(text: str) -> int:
    """``--password-cost``: a whole number of 1-20, or argparse's usage error (exit 2)."""
    if not text.isdigit() or not 1 <= int(text) <= 20:
        raise argparse.ArgumentTypeError(f"{text!r}: a whole number of 1-20 (log2 of scrypt's N)")
    return int(text)


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config) if args.config else demo_pool()
        if args.local_command == "add-user":
            return _add_user(args, config)
        if args.client_secret is not None:
            config = pin_client_secret(config, args.client_secret)
        for app_url in args.app_url:
            config = with_app_url(config, app_url)
        return _serve(args, config)
    except ConfigError as exc:
        print(f"cognito-gate local: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _open(args: argparse.Namespace, config: PoolConfig, base_url: str) -> LocalCognito:
    data = ":memory:" if args.memory else args.data
    if data != ":memory:":
        Path(data).parent.mkdir(parents=True, exist_ok=True)
    return LocalCognito(
        config,
        data=data,
        base_url=base_url,
        issuer_base_url=_issuer_base_url(getattr(args, "issuer_base_url", None)),
        admin_api=getattr(args, "admin_api", False),
        password_cost=args.password_cost,
    )


def _issuer_base_url(url: str | None) -> str | None:
    """``--issuer-base-url``: an http(s) origin with an optional path, nothing else."""
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"--issuer-base-url: {url!r} is not an http(s) URL without query")
    return url


def _add_user(args: argparse.Namespace, config: PoolConfig) -> int:
    password = args.password or getpass.getpass(f"Password for {args.email}: ")
    problems = policy_problems(password)
    if problems:
        print("cognito-gate local: " + " ".join(problems), file=sys.stderr)
        return EXIT_USAGE
    lc = _open(args, config, "http://127.0.0.1:9229")
    try:
        sub = lc.add_user(
            args.email, password, groups=tuple(args.group), username=args.username
        )
    except (UserExistsError, ValueError) as exc:
        print(f"cognito-gate local: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        lc.close()
    print(f"Added {args.email} (sub {sub}) to {_where(args)}.")
    return EXIT_OK


def _serve(args: argparse.Namespace, config: PoolConfig) -> int:
    import uvicorn

    host = f"[{args.host}]" if ":" in args.host else args.host
    lc = _open(args, config, f"http://{host}:{args.port}")
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        print(f"cognito-gate local: {cannot_listen(args.host, args.port, exc, '--port')}",
              file=sys.stderr)
        return EXIT_PORT
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    print(_banner(lc, args), flush=True)
    server = uvicorn.Server(uvicorn.Config(lc.app, log_level="warning", lifespan="off"))
    server.run(sockets=[sock])
    return EXIT_OK


def cannot_listen(host: str, port: int, exc: OSError, flag: str) -> str:
    """One line saying why ``host:port`` cannot be used and which option picks another."""
    reason = "the port is in use" if exc.errno == errno.EADDRINUSE else exc.strerror or str(exc)
    return f"cannot listen on {host}:{port} ({reason}); choose another port with {flag}"


def _where(args: argparse.Namespace) -> str:
    """The data file as an absolute path (it is relative to where the command runs)."""
    return "memory (nothing is kept)" if args.memory else str(Path(args.data).resolve())


def _banner(lc: LocalCognito, args: argparse.Namespace) -> str:
    lines = [
        "",
        f"  Local Cognito is running: {lc.base_url}",
        f"  Console:  {lc.base_url}/   (clients, users, confirmation codes)",
        f"  Issuer:   {lc.issuer}",
        f"  Pool id:  {lc.pool_id}",
    ]
    for client in lc.clients.values():
        secret = client.client_secret or "(public client, no secret)"
        lines.append(f"  Client:   {client.client_id}   secret: {secret}")
    if lc.config.users:  # the configured demo user; its password is in the config anyway
        demo = lc.config.users[0]
        lines.append(f"  Sign in:  {demo.email} / {demo.password}")
    lines += [
        f'  boto3:    boto3.client("cognito-idp", endpoint_url="{lc.base_url}",',
        f'              region_name="{lc.config.region}", aws_access_key_id="x",'
        ' aws_secret_access_key="x")',
        f"  Data:     {_where(args)}",
    ]
    if args.admin_api:
        lines.append("  Admin API: /_local/faults, /_local/users, /_local/clock (tests only)")
    lines += ["  Confirmation codes for new sign-ups are printed below.", ""]
    return "\n".join(lines)
