"""The ``procure`` command: ``dev``, ``api``, ``worker``, ``migrate``, ``deadline``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import date

from procure.settings import get_settings


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"START must be a date YYYY-MM-DD, not {text!r}") from exc


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--days must be a whole number, not {text!r}") from exc
    if value < 0:
        raise argparse.ArgumentTypeError("--days must be 0 or more")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="procure", description="Illinois procurements as durable workflows."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    dev = sub.add_parser("dev", help="run PostgreSQL, Temporal, a worker and the API together")
    dev.add_argument(
        "--simulated-clock",
        action="store_true",
        help="run on the time-skipping test server and expose /v1/dev/clock",
    )
    sub.add_parser("api", help="serve the API (uses DATABASE_URL and TEMPORAL_ADDRESS)")
    sub.add_parser("worker", help="run a Temporal worker (uses DATABASE_URL and TEMPORAL_ADDRESS)")
    sub.add_parser("migrate", help="apply the database schema to DATABASE_URL")
    deadline = sub.add_parser("deadline", help="count days under 30 ILCS 500/15-45")
    deadline.add_argument("start", type=_date, metavar="START", help="YYYY-MM-DD (excluded)")
    deadline.add_argument("--days", type=_days, required=True, help="days the act allows")
    deadline.add_argument("--explain", action="store_true", help="list the days passed over")
    return parser


def _require(value: str | None, name: str) -> str:
    if not value:
        sys.exit(f"procure: set {name} (or use 'procure dev', which starts its own)")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = get_settings()
    if args.command == "deadline":
        from rules.calendar import explain_deadline

        explained = explain_deadline(args.start, args.days, settings.calendar_rules())
        print(explained.deadline.isoformat())
        if args.explain:
            for day, reason in explained.skipped:
                print(f"  skipped {day.isoformat()}: {reason}")
        return 0
    if args.command == "migrate":
        from db.migrate import upgrade

        upgrade(_require(settings.database_url, "DATABASE_URL"))
        print("schema is up to date")
        return 0
    try:
        if args.command == "dev":
            from procure.devstack import run_dev

            asyncio.run(run_dev(settings, simulated=args.simulated_clock))
        elif args.command == "api":
            from procure.serve import serve_api

            asyncio.run(serve_api(settings))
        elif args.command == "worker":
            from procure.serve import run_worker

            asyncio.run(run_worker(settings))
    except KeyboardInterrupt:
        print("procure: stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
