"""The `cognito-gate` command: `demo` runs the demo app, `local` runs Local Cognito, `doctor`
checks the app's settings against its Cognito."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Exit codes: 0 done, 1 the action failed, 2 bad options or settings, 3 a port is taken."""
    from cognito_gate.local.cli import add_parser as add_local_parser

    parser = argparse.ArgumentParser(
        prog="cognito-gate", description="Sign-in through Amazon Cognito's hosted UI."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="run the demo app (with Local Cognito unless COGNITO_* settings are set)",
        description="Run the demo app. With no COGNITO_* settings in the environment or .env, "
        "Local Cognito runs alongside on http://127.0.0.1:9229 (--local-port moves it).",
    )
    demo.add_argument("--port", type=int, default=8000, help="port for the app (default 8000)")
    demo.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    demo.add_argument(
        "--local-port",
        type=int,
        default=9229,
        help="port for Local Cognito (default 9229; another one lets `cognito-gate local` run "
        "at the same time)",
    )
    demo.add_argument(
        "--workers",
        type=int,
        default=1,
        help="run the app in N processes sharing one port (needs SESSION_STORE_URL, a Redis or "
        "Valkey URL, so that they share sessions)",
    )
    demo.set_defaults(run=_run_demo)
    add_local_parser(commands)
    doctor = commands.add_parser(
        "doctor",
        help="check the app's COGNITO_* settings against the provider (exit 0: all good, 1: a "
        "check failed, 2: the settings cannot be read)",
        description="Read the settings as the app does (environment, then .env) and check them "
        "against the user pool, one line per check with the fix.",
    )
    doctor.add_argument("--env-file", default=".env", help="the .env file (default ./.env)")
    doctor.add_argument(
        "--root-path",
        metavar="PREFIX",
        help="the path prefix the app is served under (a Mount, or uvicorn --root-path): the "
        "callback and sign-out URLs are checked under it (default $UVICORN_ROOT_PATH, else none)",
    )
    doctor.set_defaults(run=_run_doctor)
    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


def _run_demo(args: argparse.Namespace) -> int:
    from cognito_gate.extras import MissingExtra, need

    try:
        need("fastapi", "demo", "cognito-gate demo")
        need("uvicorn", "demo", "cognito-gate demo")
    except MissingExtra as exc:
        print(exc, file=sys.stderr)
        return 2
    from cognito_gate import ConfigError
    from cognito_gate.demo.launch import run_demo
    from cognito_gate.demo.serve import PortInUse
    from cognito_gate.demo.workers import StoreUnreachable
    from cognito_gate.local import ConfigError as LocalConfigError
    from cognito_gate.local.cli import EXIT_OK, EXIT_PORT, EXIT_USAGE

    try:
        if args.workers < 1:
            raise ConfigError([f"--workers {args.workers}: must be 1 or more"])
        run_demo(args.host, args.port, args.local_port, args.workers)
    except (ConfigError, LocalConfigError) as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    except StoreUnreachable as exc:
        print(f"cognito-gate demo: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except PortInUse as exc:
        print(f"cognito-gate demo: {exc}", file=sys.stderr)
        return EXIT_PORT
    return EXIT_OK


def _run_doctor(args: argparse.Namespace) -> int:
    from cognito_gate.doctor import main as doctor

    return doctor(args.env_file, args.root_path)
