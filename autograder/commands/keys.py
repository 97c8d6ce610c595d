"""``autograder keys``: create, list and revoke API keys (stored hashed in Redis)."""

from __future__ import annotations

import argparse
import sys

from autograder.target import add_data_options, connect_checked


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``keys`` subcommand and its actions."""
    parser = subparsers.add_parser(
        "keys",
        help="manage API keys",
        description="Create, list and revoke API keys. Keys live in Redis: that of the "
        "running `autograder serve` (found by --data-dir or AUTOGRADER_DATA_DIR), or "
        "AUTOGRADER_REDIS_URL / --redis-url.",
    )
    add_data_options(parser)
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a key and print it (once)")
    create.add_argument("--role", choices=("admin", "integration"), required=True)
    create.add_argument("--course", required=True, help="course id; '*' = all (admins only)")
    create.add_argument("--name", default="", help="a note on who holds it")
    create.set_defaults(func=create_key)
    listing = actions.add_parser("list", help="list keys (ids, roles, courses; never the keys)")
    listing.set_defaults(func=list_keys)
    revoke = actions.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id")
    revoke.set_defaults(func=revoke_key)


def key_store(args: argparse.Namespace):
    """Return a KeyStore on the Redis that ``args`` point to."""
    from common.settings import Settings
    from service.keys import KeyStore

    return KeyStore(connect_checked(args, Settings()))


def create_key(args: argparse.Namespace) -> int:
    from common.lms import webhook_secret

    store = key_store(args)
    try:
        secret, key = store.create(args.role, args.course, args.name)
    except ValueError as exc:
        print(f"autograder keys: {exc}", file=sys.stderr)
        return 2
    print(f"key:    {secret}")
    print(f"webhook secret: {webhook_secret(store.client, key.id)}")
    print(f"id:     {key.id}   role: {key.role}   course: {key.course}")
    print("Both are shown only now. Send the key as 'Authorization: Bearer <key>'; the webhook")
    print("secret signs LMS webhooks and grade callbacks (see docs/lms.md).")
    return 0


def list_keys(args: argparse.Namespace) -> int:
    for key in key_store(args).all():
        print(f"{key.id}  {key.role:<11}  {key.course:<16}  {key.created_at:%Y-%m-%d}  {key.name}")
    return 0


def revoke_key(args: argparse.Namespace) -> int:
    if key_store(args).revoke(args.key_id):
        print(f"revoked {args.key_id}")
        return 0
    print(f"autograder keys: no key with id {args.key_id}", file=sys.stderr)
    return 1
