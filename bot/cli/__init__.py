"""The `govmedia` command. Each subcommand lives in its own module of this package
(register(sub) adds its parser and sets `run`); COMMANDS lists them in help order."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from bot import logs, redact
from bot.audit import load_keyring, use_keys
from bot.cli import accounts, audit, db, org, precheck, remind, report, serve
from bot.config import Settings, load_settings, with_overrides
from bot.errors import ConfigError
from bot.policy import load_policy
from bot.rendering import msg

COMMANDS = (serve, org, audit, accounts, db, remind, precheck, report)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="govmedia", description=msg("cli.description"))
    top.add_argument("--config", help=msg("cli.config_help"))
    sub = top.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
    return top


def _settings(args: argparse.Namespace, environ: dict[str, str]) -> Settings:
    settings = load_settings(getattr(args, "sub_config", None) or args.config, environ)
    overrides = {k: v for k, v in (("port", getattr(args, "port", None)),
                                   ("host", getattr(args, "host", None))) if v is not None}
    if overrides:
        settings = with_overrides(settings, **overrides)
    load_policy(settings.policy)
    use_keys(load_keyring(settings.audit_key, settings.audit_key_file))
    return settings


def main(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = _settings(args, dict(os.environ if environ is None else environ))
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    redact.configure(redact.settings_secrets(settings))
    logs.configure(settings.log_level, settings.log_format)
    return int(args.run(settings, args))
