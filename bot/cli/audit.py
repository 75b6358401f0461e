"""`govmedia audit verify [--head N:HASH]`, `audit export`, `audit head`."""

from __future__ import annotations

import argparse
import sys

from bot import audit
from bot.cli.common import Subparsers, db_command, err
from bot.config import Settings
from bot.rendering import msg


def register(sub: Subparsers) -> None:
    actions = sub.add_parser("audit", help=msg("cli.audit_help")).add_subparsers(
        dest="action", required=True)
    verify = actions.add_parser("verify", help=msg("cli.audit_verify_help"),
                                description=msg("audit.scope"))
    verify.add_argument("--head", help=msg("audit.cli_head_arg_help"))
    verify.set_defaults(run=db_command(_verify))
    actions.add_parser("export", help=msg("cli.audit_export_help")).set_defaults(
        run=db_command(_export))
    actions.add_parser("head", help=msg("audit.cli_head_help")).set_defaults(
        run=db_command(_head))


async def _verify(settings: Settings, args: argparse.Namespace) -> int:
    expect = None
    if args.head:
        try:
            expect = audit.parse_head(args.head)
        except ValueError:
            err(msg("audit.bad_head", value=args.head))
            return 2
    result = await audit.verify(expect=expect)
    if not result.ok:
        err(msg("audit.broken", seq=result.broken_at, reason=msg(f"audit.reason_{result.reason}"),
                count=result.count))
        err(msg("audit.scope"))
        return 1
    print(msg("audit.ok", count=result.count))
    print(msg("audit.detail", keyed=result.keyed, plain=result.plain,
              unchecked=result.unchecked, key=audit.keyring().current))
    if expect is not None:
        print(msg("audit.head_matched", count=expect.count))
    print(msg("audit.scope"))
    return 2 if result.unchecked else 0


async def _export(settings: Settings, args: argparse.Namespace) -> int:
    async for ev in audit.iter_events():
        sys.stdout.write(audit.canonical({"seq": ev.seq, "at": ev.at, "actor": ev.actor,
                                          "action": ev.action, "subject": ev.subject,
                                          "data": ev.data, "prev_hash": ev.prev_hash,
                                          "hash": ev.hash, "key_id": ev.key_id}) + "\n")
    return 0


async def _head(settings: Settings, args: argparse.Namespace) -> int:
    head = await audit.head()
    print(msg("audit.head", count=head.count, hash=head.hash, key=head.key_id, at=head.at,
              token=head.token))
    return 0
