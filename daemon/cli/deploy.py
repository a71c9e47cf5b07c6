"""`callrouter deploy freeswitch -c FILE --out DIR`: FreeSWITCH's side of the wiring.

Writes the dialplan context, the public-context snippet for company numbers,
event_socket.conf.xml, xml_curl.conf.xml, a trunk gateway placeholder and a README
into DIR, laid out like FreeSWITCH's conf directory (see daemon.fsconfig). The event
socket password and the directory credentials come from the config file; missing
ones are generated and saved there first (daemon/cli/deploy_secrets.py).
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from config.loader import ConfigError
from daemon.cli import deploy_secrets
from daemon.cli.check import add_config_argument, load_or_exit, report
from daemon.fsconfig import FsConfigError, generate, write_tree


def register(subparsers: argparse._SubParsersAction) -> None:
    deploy = subparsers.add_parser("deploy", help="generate configuration for the programs around callrouter")
    targets = deploy.add_subparsers(dest="target", metavar="TARGET")
    targets.required = True
    parser = targets.add_parser(
        "freeswitch", help="FreeSWITCH dialplan, event socket, xml_curl and trunk snippets",
        description="Write FreeSWITCH configuration for the company in the config file into DIR, "
                    "laid out like FreeSWITCH's conf directory. Same input, same bytes.")
    add_config_argument(parser)
    parser.add_argument("--out", required=True, metavar="DIR", type=Path, help="where to write the files")
    parser.add_argument("--daemon", action="append", default=[], metavar="HOST:PORT",
                        help="a daemon's outbound address, tried in the order given "
                             "(repeatable; default: daemon.listen of the config)")
    parser.add_argument("--directory-url", metavar="URL",
                        help="where mod_xml_curl fetches SIP accounts (default: http://<daemon.http>/directory)")
    parser.set_defaults(func=run_freeswitch)


def run_freeswitch(args: argparse.Namespace) -> int:
    snapshot = load_or_exit(args.config)
    generated = deploy_secrets.missing(snapshot)
    edit = None
    if generated:
        try:
            edit = deploy_secrets.save(snapshot.source, generated)
        except ConfigError as exc:
            report(exc, sys.stderr)
            return 1
        except OSError as exc:
            print(f"callrouter deploy freeswitch: cannot save the generated {deploy_secrets.describe(generated)} in "
                  f"{snapshot.source}: {exc}. Set them there yourself, then run this again.", file=sys.stderr)
            return 1
        snapshot = dataclasses.replace(edit.snapshot, source=snapshot.source)     # not the temp file's name
    try:
        files = generate(snapshot, daemons=args.daemon, directory_url=args.directory_url)
    except FsConfigError as exc:
        if edit is not None:
            edit.discard()
        print(f"callrouter deploy freeswitch: {exc}", file=sys.stderr)
        return 1
    if edit is not None:
        edit.commit()
        print(f"callrouter deploy freeswitch: generated {deploy_secrets.describe(generated)} and saved them in "
              f"{snapshot.source}; the daemon applies them on its next reload, FreeSWITCH once the files below are "
              f"in place and it is restarted", file=sys.stderr)
    try:
        written = write_tree(files, args.out)
    except OSError as exc:
        print(f"callrouter deploy freeswitch: cannot write {args.out}: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0
