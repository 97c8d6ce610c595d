"""``autograder lti``: register LMS platforms for LTI 1.3 launches and rotate the tool's key.

Registrations and keys live in the Redis of the running ``serve`` (found like ``keys``
finds it: --data-dir, --redis-url, AUTOGRADER_*; see autograder/target.py). Platform URLs
are checked with the callback rules (AUTOGRADER_CALLBACK_ALLOW_PRIVATE for loopback).
"""

from __future__ import annotations

import argparse
import sys

from autograder.target import add_data_options, connect_checked


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``lti`` subcommand and its actions."""
    parser = subparsers.add_parser(
        "lti",
        help="register LMS platforms (LTI 1.3) and rotate the tool's key",
        description="Register LMS platforms for LTI 1.3 launches and grade passback, list "
        "and remove them, and rotate the tool's signing key. The tool's URLs and public key "
        "are at /lti/setup and /lti/config of the running service (see docs/lms.md).",
    )
    add_data_options(parser)
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add-platform", help="register one deployment of a platform")
    for flag, what in (
        ("--issuer", "the platform's issuer, e.g. https://canvas.instructure.com"),
        ("--client-id", "the client id the platform gave this tool"),
        ("--deployment-id", "the deployment id of the tool in the platform"),
        ("--auth-url", "the platform's OIDC authorization endpoint"),
        ("--token-url", "the platform's OAuth 2 token endpoint (grade passback)"),
        ("--jwks-url", "the platform's public keyset URL"),
        ("--course", "the course id its launches and grades belong to"),
    ):
        add.add_argument(flag, required=True, help=what)
    add.set_defaults(func=add_platform)
    listing = actions.add_parser("list", help="list the registered platforms")
    listing.set_defaults(func=list_platforms)
    remove = actions.add_parser("remove", help="remove a registration by its id")
    remove.add_argument("registration_id", metavar="ID")
    remove.set_defaults(func=remove_platform)
    rotate = actions.add_parser(
        "rotate-key", help="make a new signing key; the old one stays published for 7 days"
    )
    rotate.set_defaults(func=rotate_key)


def _client(args: argparse.Namespace):
    from common.settings import Settings

    settings = Settings()
    return connect_checked(args, settings), settings


def add_platform(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from common.callback_urls import CallbackPolicy, CallbackURLError
    from common.lti import registry

    client, settings = _client(args)
    policy = CallbackPolicy.build(
        settings.callback_allowed_hosts,
        settings.callback_allow_private,
        settings.callback_allowed_networks,
    )
    try:
        registration = registry.new_registration(
            args.issuer,
            args.client_id,
            args.deployment_id,
            args.auth_url,
            args.token_url,
            args.jwks_url,
            args.course,
        )
        registry.check_platform_urls(registration, policy)
    except (CallbackURLError, ValidationError) as exc:
        print(f"autograder lti: {_one_line(exc)}", file=sys.stderr)
        return 2
    registry.save(client, registration)
    print(
        f"registered {registration.id}: {registration.issuer} client {registration.client_id} "
        f"deployment {registration.deployment_id} -> course {registration.course}"
    )
    return 0


def _one_line(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors())
    return str(exc)


def list_platforms(args: argparse.Namespace) -> int:
    from common.lti import registry

    client, _ = _client(args)
    for r in registry.all_registrations(client):
        print(
            f"{r.id}  {r.course:<16}  {r.issuer}  client={r.client_id}  "
            f"deployment={r.deployment_id}"
        )
    return 0


def remove_platform(args: argparse.Namespace) -> int:
    from common.lti import registry

    client, _ = _client(args)
    if registry.remove(client, args.registration_id):
        print(f"removed {args.registration_id}")
        return 0
    print(f"autograder lti: no registration with id {args.registration_id}", file=sys.stderr)
    return 1


def rotate_key(args: argparse.Namespace) -> int:
    from common.lti import toolkeys

    client, _ = _client(args)
    key = toolkeys.rotate(client)
    days = toolkeys.RETIRED_KEPT.days
    print(f"new signing key {key.kid}; the previous key stays in /lti/jwks.json for {days} days")
    return 0
