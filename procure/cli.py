"""The ``procure`` command: ``dev``, ``api``, ``worker``, ``migrate``, ``deadline``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import get_args

from db.users import OPERATOR
from procure import stackfile
from procure.settings import Settings, get_settings
from state_machines.models import Category, Method, Role

METHOD_CHOICES = set(get_args(Method))
CATEGORY_CHOICES = set(get_args(Category))
# The roles of the Procurement Code, and the operator of the service itself.
ROLE_CHOICES = set(get_args(Role)) | {OPERATOR}


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
    api = sub.add_parser("api", help="serve the API (uses DATABASE_URL and TEMPORAL_ADDRESS)")
    api.add_argument(
        "--simulated-clock",
        action="store_true",
        help="TEMPORAL_ADDRESS is a time-skipping test server: read the time from its clock",
    )
    sub.add_parser("worker", help="run a Temporal worker (uses DATABASE_URL and TEMPORAL_ADDRESS)")
    sub.add_parser("migrate", help="apply the database schema to DATABASE_URL")
    plan = sub.add_parser("schedule", help="every statutory date of a planned procurement")
    plan.add_argument("--method", required=True, choices=sorted(METHOD_CHOICES))
    plan.add_argument("--publish", type=_date, required=True, help="planned publication date")
    plan.add_argument("--value", type=Decimal, default=None, help="estimated value, USD")
    plan.add_argument("--category", default="supplies", choices=sorted(CATEGORY_CHOICES))
    plan.add_argument("--award", type=_date, default=None, help="expected award date")
    plan.add_argument("--non-renewable", action="store_true")
    plan.add_argument("--term-months", type=int, default=None)
    plan.add_argument("--office", default="CPO-GS")
    users = sub.add_parser("users", help="identities and their tokens")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    create = users_sub.add_parser("create", help="issue a token (printed once, stored hashed)")
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=sorted(ROLE_CHOICES))
    create.add_argument(
        "--agency",
        help="for agency_buyer and spo: the agency; for member: the unit of local government",
    )
    create.add_argument("--vendor", help="for vendor: the vendor's name")
    users_sub.add_parser("list", help="every identity (never a token)")
    disable = users_sub.add_parser("disable", help="revoke an identity's token")
    disable.add_argument("user_id")
    audit = sub.add_parser("audit", help="the audit trail")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser("verify", help="recompute a procurement's hash chain")
    verify.add_argument("reference")
    reconcile = sub.add_parser(
        "reconcile", help="compare the read model with the workflows and repair drift"
    )
    reconcile.add_argument("references", nargs="*", help="also check these references")
    outbox = sub.add_parser("outbox", help="delivery of notices and reminders")
    outbox_sub = outbox.add_subparsers(dest="outbox_command", required=True)
    subscribe = outbox_sub.add_parser("subscribe", help="deliver a recipient's messages")
    subscribe.add_argument("recipient", help="a vendor's name, or agency:<agency name>")
    subscribe.add_argument("--webhook", help="URL to POST each message to, signed")
    subscribe.add_argument("--secret", help="HMAC key for the webhook's signature")
    subscribe.add_argument("--email", help="address to mail each message to")
    subscribe.add_argument("--kind", action="append", help="only these kinds (repeatable)")
    subscribe.add_argument("--reference", help="only this procurement's messages")
    outbox_sub.add_parser("dead", help="messages that exhausted their retries")
    retry = outbox_sub.add_parser("retry", help="put dead messages back to delivery")
    retry.add_argument("message_ids", nargs="*", type=int, help="none: every dead message")
    limits = sub.add_parser("limits", help="small purchase limits (30 ILCS 500/20-20)")
    limits_sub = limits.add_subparsers(dest="limits_command", required=True)
    limits_sub.add_parser("list", help="every limit with its effective date")
    add = limits_sub.add_parser("add", help="record a new limit, e.g. a July 1 CPI adjustment")
    add.add_argument("--effective", type=_date, required=True)
    add.add_argument("--amount", type=Decimal, required=True)
    add.add_argument("--citation", required=True)
    recip = sub.add_parser(
        "reciprocity", help="other states' resident preferences (30 ILCS 500/45-10(a))"
    )
    recip_sub = recip.add_subparsers(dest="reciprocity_command", required=True)
    recip_sub.add_parser("list", help="every version, each state with its law and source")
    load = recip_sub.add_parser(
        "load", help="record a version from a JSON file (format: rules/reciprocity.py)"
    )
    load.add_argument("file", type=Path)
    deadline = sub.add_parser("deadline", help="count days under 30 ILCS 500/15-45")
    deadline.add_argument("start", type=_date, metavar="START", help="YYYY-MM-DD (excluded)")
    deadline.add_argument("--days", type=_days, required=True, help="days the act allows")
    deadline.add_argument("--explain", action="store_true", help="list the days passed over")
    return parser


def _schedule(args: argparse.Namespace, settings: Settings) -> int:
    from rules.periods import PROTEST_RULES_BY_OFFICE
    from state_machines.preview import preview

    result = preview(
        method=args.method,
        publication_date=args.publish,
        rules=settings.calendar_rules(),
        protest_rules=PROTEST_RULES_BY_OFFICE[args.office],
        value=args.value,
        category=args.category,
        renewable=not args.non_renewable,
        term_months=args.term_months,
        award_date=args.award,
    ).as_dict()
    print(result["method_name"])
    for d in result["dates"]:
        print(f"  {d['date']}  {d['name']}  ({d['citation']})")
    for note in result["notes"]:
        print(f"  note: {note}")
    return 0


async def _users(args: argparse.Namespace, dsn: str) -> int:
    import asyncpg

    from db.users import create_user, disable

    conn = await asyncpg.connect(dsn)
    try:
        if args.users_command == "create":
            try:
                issued = await create_user(
                    conn, name=args.name, role=args.role, agency=args.agency, vendor=args.vendor
                )
            except ValueError as exc:
                print(f"procure users create: {exc}", file=sys.stderr)
                return 2
            print(f"user {issued.user_id} ({args.role})")
            print(f"token {issued.token}")
            print("The token is shown this once; only its hash is kept.", file=sys.stderr)
        elif args.users_command == "disable":
            if not await disable(conn, args.user_id):
                print(f"procure users disable: no active user {args.user_id}", file=sys.stderr)
                return 1
            print(f"user {args.user_id} disabled")
        else:
            for row in await conn.fetch("SELECT * FROM users ORDER BY created_at"):
                state = "disabled" if row["disabled_at"] else "active"
                acts_for = row["agency"] or row["vendor"] or "-"
                print(
                    f"{row['user_id']}  {row['role']:<12}  {state:<8}  {row['name']}  ({acts_for})"
                )
    finally:
        await conn.close()
    return 0


async def _audit(args: argparse.Namespace, dsn: str) -> int:
    import asyncpg

    from db.audit import verify

    conn = await asyncpg.connect(dsn)
    try:
        result = await verify(conn, args.reference)
    finally:
        await conn.close()
    if result.entries == 0:
        print(f"{args.reference}: no audit trail", file=sys.stderr)
        return 1
    if result.intact:
        print(f"{args.reference}: intact, {result.entries} entries")
        return 0
    print(
        f"{args.reference}: BROKEN at entry {result.first_broken} of {result.entries}: "
        f"{result.problem}"
    )
    return 1


async def _reconcile(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from db.pool import create_pool
    from procure.reconcile import reconcile
    from procure.temporal_client import connect

    client = await connect(
        _require(settings.temporal_address, "TEMPORAL_ADDRESS"), settings.temporal_namespace
    )
    pool = await create_pool(_require(settings.database_url, "DATABASE_URL"), max_size=2)
    try:
        report = await reconcile(client, pool, args.references)
    finally:
        await pool.close()
    print(json.dumps(report.as_dict(), indent=2))
    return 0


async def _outbox(args: argparse.Namespace, dsn: str) -> int:
    from db.pool import create_pool
    from procure import dispatcher

    pool = await create_pool(dsn, min_size=1, max_size=2)
    try:
        if args.outbox_command == "subscribe":
            if bool(args.webhook) == bool(args.email):
                print("procure outbox subscribe: give --webhook or --email", file=sys.stderr)
                return 2
            channel = "webhook" if args.webhook else "email"
            try:
                sid = await dispatcher.subscribe(
                    pool,
                    args.recipient,
                    channel,
                    args.webhook or args.email,
                    args.secret,
                    args.kind,
                    args.reference,
                )
            except ValueError as exc:
                print(f"procure outbox subscribe: {exc}", file=sys.stderr)
                return 2
            print(f"subscription {sid}: {args.recipient} -> {channel}")
        elif args.outbox_command == "dead":
            for row in await dispatcher.list_dead(pool):
                print(row)
        else:
            count = await dispatcher.retry_dead(pool, args.message_ids or None)
            print(f"{count} message(s) back to delivery")
    finally:
        await pool.close()
    return 0


async def _limits(args: argparse.Namespace, dsn: str) -> int:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        if args.limits_command == "add":
            await conn.execute(
                "INSERT INTO small_purchase_limits (effective_from, amount, citation) "
                "VALUES ($1, $2, $3)",
                args.effective,
                args.amount,
                args.citation,
            )
        for row in await conn.fetch(
            "SELECT effective_from, amount, citation FROM small_purchase_limits ORDER BY 1"
        ):
            print(f"{row['effective_from']}  {row['amount']:>14,.2f}  {row['citation']}")
    finally:
        await conn.close()
    return 0


async def _reciprocity(args: argparse.Namespace, dsn: str) -> int:
    from db import reciprocity as stored
    from db.pool import create_pool
    from rules import reciprocity

    pool = await create_pool(dsn, max_size=1)
    try:
        if args.reciprocity_command == "load":
            try:
                table = reciprocity.load(args.file)
            except (OSError, ValueError) as exc:
                sys.exit(f"procure reciprocity load: {exc}")
            count = await stored.load(pool, table)
            print(f"loaded {count} states in force from {table.effective_from}")
        for row in await stored.versions(pool):
            law = f"  {row['law']}" if row["law"] else ""
            print(
                f"{row['effective_from']}  {row['state']}  {row['percent']:>6}%{law}  "
                f"(read {row['read_on']}: {row['source']})"
            )
    finally:
        await pool.close()
    return 0


def _require(value: str | None, name: str) -> str:
    if not value:
        sys.exit(f"procure: set {name} (or use 'procure dev', which starts its own)")
    return value


# The commands that act on a running stack's data: they find a `procure dev` stack by itself.
OPERATOR_COMMANDS = ("users", "audit", "reconcile", "outbox", "limits", "reciprocity", "migrate")


def _find_the_stack(settings: Settings) -> None:
    """Take the running `procure dev` stack's addresses for what is not set (procure.stackfile)."""
    found = stackfile.running(settings.data_dir)
    if found is None:
        return
    settings.database_url = settings.database_url or found["database_url"]
    settings.temporal_address = settings.temporal_address or found["temporal_address"]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = get_settings()
    if args.command in OPERATOR_COMMANDS:
        _find_the_stack(settings)
    if args.command == "deadline":
        from rules.calendar import explain_deadline

        explained = explain_deadline(args.start, args.days, settings.calendar_rules())
        print(explained.deadline.isoformat())
        if args.explain:
            for day, reason in explained.skipped:
                print(f"  skipped {day.isoformat()}: {reason}")
        return 0
    if args.command == "schedule":
        return _schedule(args, settings)
    if args.command == "users":
        return asyncio.run(_users(args, _require(settings.database_url, "DATABASE_URL")))
    if args.command == "audit":
        return asyncio.run(_audit(args, _require(settings.database_url, "DATABASE_URL")))
    if args.command == "reconcile":
        return asyncio.run(_reconcile(args, settings))
    if args.command == "outbox":
        return asyncio.run(_outbox(args, _require(settings.database_url, "DATABASE_URL")))
    if args.command == "limits":
        return asyncio.run(_limits(args, _require(settings.database_url, "DATABASE_URL")))
    if args.command == "reciprocity":
        return asyncio.run(_reciprocity(args, _require(settings.database_url, "DATABASE_URL")))
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

            asyncio.run(serve_api(settings, simulated=args.simulated_clock))
        elif args.command == "worker":
            from procure.serve import run_worker

            asyncio.run(run_worker(settings))
    except KeyboardInterrupt:
        print("procure: stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
