"""python -m rml_lab {up,down,status,release} — see --help of each."""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import control, release, signing

DEFAULT_DIR = os.environ.get("ROUTING_ML_LAB_DIR") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), ".lab")


def _env_int(name: str, default: int) -> int:
    """A whole number from the environment, or the default; anything else stops with its name."""
    value = os.environ.get(name, "")
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        sys.exit("rml_lab: %s=%r is not a whole number" % (name, value))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="rml_lab", description="The Routing ML local lab.")
    parser.add_argument("--dir", default=DEFAULT_DIR, help="lab folder (default: %(default)s; env ROUTING_ML_LAB_DIR)")
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="start the lab's hosts (idempotent)")
    p_up.add_argument("--octet", type=int, default=_env_int("ROUTING_ML_LAB_OCTET", 10),
                      help="hosts live on 127.0.OCTET.x (default %(default)s; env ROUTING_ML_LAB_OCTET)")
    p_up.add_argument("--farm", type=int, default=_env_int("ROUTING_ML_LAB_FARM", 4),
                      help="IIS farm stand-ins (default %(default)s; env ROUTING_ML_LAB_FARM)")
    p_up.add_argument("--dmz", type=int, default=_env_int("ROUTING_ML_LAB_DMZ", 2),
                      help="DMZ nginx nodes (default %(default)s; env ROUTING_ML_LAB_DMZ)")
    p_up.add_argument("--backend", type=int, default=_env_int("ROUTING_ML_LAB_BACKEND", 1),
                      help="backend hosts (default %(default)s; env ROUTING_ML_LAB_BACKEND)")
    p_up.add_argument("--quiet", action="store_true")
    sub.add_parser("down", help="stop everything the lab started")
    p_status = sub.add_parser("status", help="what is running")
    p_status.add_argument("--json", action="store_true")
    p_rel = sub.add_parser("release", help="build a sample release workspace")
    p_rel.add_argument("workspace")
    p_rel.add_argument("--version", required=True)
    p_rel.add_argument("--date", default="", help="YYYY-MM-DD (default: today)")
    p_rel.add_argument("--files", type=int, default=_env_int("ROUTING_ML_LAB_FILES", 2000),
                       help="files in the frontend bundle (default %(default)s; env ROUTING_ML_LAB_FILES)")
    for flag, text in (("--broken-build", "the npm build log shows TypeScript errors"),
                       ("--unchecked-qa", "one QA checklist item is unchecked"),
                       ("--unapproved-notes", "the release notes are not approved"),
                       ("--unhealthy", "the backend answers /api/health with 500"),
                       ("--crashing", "the backend's process dies on its first /api/health")):
        p_rel.add_argument(flag, action="store_true", help=text)
    p_sign = sub.add_parser("sign", help="sign a gate's approval statement as the lab's sample approver")
    p_sign.add_argument("workspace")
    p_sign.add_argument("--version", required=True)
    p_sign.add_argument("--gate", required=True, choices=sorted(signing.APPROVERS))
    p_sign.add_argument("--unblock", action="store_true",
                        help="sign the unblock statement of a rolled-back version (unblock.yml writes it) "
                             "as the Release Owner, instead of the gate's approval")
    args = parser.parse_args(argv)

    try:
        if args.command == "release":
            made = release.build(args.workspace, release.Options(
                version=args.version, date=args.date, files=args.files, broken_build=args.broken_build,
                unchecked_qa=args.unchecked_qa, unapproved_notes=args.unapproved_notes, unhealthy=args.unhealthy,
                crashing=args.crashing))
            print(json.dumps(made, indent=2))
        elif args.command == "sign":
            print(signing.sign_statement(args.dir, args.workspace, args.version, args.gate, unblock=args.unblock))
        elif args.command == "up":
            state = control.up(args.dir, args.octet, args.farm, args.dmz, args.backend, sys.executable)
            if not args.quiet:
                control.describe(state)
                print("up in %.1f s" % state["seconds"])
        elif args.command == "down":
            stopped = control.down(args.dir)
            print("stopped: %s" % (", ".join(stopped) or "nothing was running"))
        elif args.command == "status":
            rows = control.status(args.dir)
            if args.json:
                print(json.dumps(rows, indent=2))
            elif not rows:
                print("no lab in %s" % args.dir)
            else:
                for row in rows:
                    flags = " ".join("%s=%s" % (k, {True: "up", False: "DOWN", None: "not-installed"}[v])
                                     for k, v in row.items() if isinstance(v, bool) or v is None)
                    print("%-9s %-10s %-14s %s" % (row["name"], row["group"], row["address"], flags))
    except (RuntimeError, ValueError) as exc:
        print("rml_lab: %s" % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
