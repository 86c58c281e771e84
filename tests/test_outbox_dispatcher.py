"""The outbox dispatcher against the real PostgreSQL and real local receivers: a webhook
server (uvicorn, verifying the signature) and an SMTP server (aiosmtpd).

Time moves without waiting: a failed message's ``next_attempt_at`` is set back into the past
in SQL before the next pass; backoffs are measured against an injected fixed clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import socket
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest
import uvicorn
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from procure.dispatcher import (
    Dispatcher,
    kind_matches,
    list_dead,
    retry_dead,
    subscribe,
    unsubscribe,
)
from procure.settings import Settings
from tests.stack import free_port

SECRET = "s3cret-for-tests"
REMINDER_CONTENT = {
    "deadline": "bid_opening",
    "due_at": "2099-03-20T19:00:00+00:00",
    "due_on": "2099-03-20",
    "offset": "1_business_day_before",
    "citation": "30 ILCS 500/20-10(d)",
    "description": "Open the sealed bids publicly, in the presence of a witness.",
}


# ---- receivers ------------------------------------------------------------------------------


class _Server(uvicorn.Server):
    # Several servers come and go within one test: leave the process's signal handlers alone.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class WebhookReceiver:
    """Records the requests whose signature verifies; answers 500 to the first ``fail_first``."""

    secret: str = SECRET
    fail_first: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    failed: int = 0
    bad_signatures: int = 0
    url: str = ""

    async def handle(self, request: Request) -> JSONResponse:
        body = await request.body()
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(request.headers.get("x-procureflow-signature", ""), expected):
            self.bad_signatures += 1
            return JSONResponse({"error": "bad signature"}, status_code=401)
        if self.fail_first > 0:
            self.fail_first -= 1
            self.failed += 1
            return JSONResponse({"error": "try later"}, status_code=500)
        self.received.append(
            {"headers": dict(request.headers), "body": body, "payload": json.loads(body)}
        )
        return JSONResponse({"ok": True})

    def message_ids(self) -> list[int]:
        return [r["payload"]["message_id"] for r in self.received]


@contextlib.asynccontextmanager
async def webhook_receiver(**kwargs: Any) -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver(**kwargs)
    app = Starlette(routes=[Route("/hook", receiver.handle, methods=["POST"])])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    receiver.url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    server = _Server(uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        assert server.started, "the webhook receiver did not start"
        yield receiver
    finally:
        server.should_exit = True
        await task
        sock.close()


class MailCollector:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]


@pytest.fixture
async def smtp() -> AsyncIterator[tuple[MailCollector, int]]:
    collector = MailCollector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    await asyncio.to_thread(controller.start)
    yield collector, port
    await asyncio.to_thread(controller.stop)


# ---- helpers --------------------------------------------------------------------------------


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    async def now(self) -> datetime:
        return self.at


@pytest.fixture
async def recipient(pool: asyncpg.Pool) -> AsyncIterator[str]:
    """A recipient of this test alone; its subscriptions end with the test."""
    name = f"Vendor {uuid4().hex[:8]}"
    yield name
    await pool.execute(
        "UPDATE subscriptions SET disabled_at = now() WHERE recipient = $1 AND disabled_at IS NULL",
        name,
    )


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def reference() -> str:
    return f"OUTBOX-{uuid4().hex[:8].upper()}"


async def insert(
    pool: asyncpg.Pool,
    recipient: str,
    kind: str = "award_notice",
    content: dict[str, Any] | None = None,
    ref: str | None = None,
    seq: int = 1,
) -> int:
    ref = ref or reference()
    message_id: int = await pool.fetchval(
        """
        INSERT INTO outbox (reference, seq, kind, recipient, content, created_at)
        VALUES ($1, $2, $3, $4, $5, now()) RETURNING message_id
        """,
        ref,
        seq,
        kind,
        recipient,
        content if content is not None else {"reference": ref, "vendor": recipient},
    )
    return message_id


async def row(pool: asyncpg.Pool, message_id: int) -> asyncpg.Record:
    return await pool.fetchrow("SELECT * FROM outbox WHERE message_id = $1", message_id)


async def deliveries(pool: asyncpg.Pool, message_id: int) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT * FROM deliveries WHERE message_id = $1 ORDER BY delivery_id", message_id
    )


async def fixed_instant(pool: asyncpg.Pool) -> datetime:
    """An instant for a fixed clock: a minute ahead of the database's, so the messages a test
    writes are due at it."""
    now: datetime = await pool.fetchval("SELECT date_trunc('second', clock_timestamp())")
    return now + timedelta(minutes=1)


async def make_due(pool: asyncpg.Pool, message_id: int, at: datetime) -> None:
    """The time of the next attempt has come (set back, rather than waited for)."""
    await pool.execute(
        "UPDATE outbox SET next_attempt_at = $2 WHERE message_id = $1",
        message_id,
        at - timedelta(seconds=1),
    )


def settings(**overrides: Any) -> Settings:
    return Settings(**overrides)


# ---- tests ----------------------------------------------------------------------------------


def test_kinds_match_themselves_and_their_sub_kinds() -> None:
    assert kind_matches(None, "award_notice")
    assert kind_matches(["reminder"], "reminder:bid_opening@2099-03-20T19:00:00+00:00:due")
    assert kind_matches(["award_notice", "amendment"], "amendment")
    assert not kind_matches(["reminder"], "award_notice")
    assert not kind_matches(["reminder"], "reminders")
    assert not kind_matches([], "award_notice")


async def test_without_a_subscription_the_message_goes_to_the_inbox(
    pool: asyncpg.Pool, recipient: str
) -> None:
    message_id = await insert(pool, recipient)

    report = await Dispatcher(pool, settings()).run_once(limit=1000)

    assert report.delivered >= 1
    r = await row(pool, message_id)
    assert (r["status"], r["channel"], r["attempts"]) == ("delivered", "inbox", 1)
    assert r["delivered_at"] is not None and r["last_error"] is None
    [d] = await deliveries(pool, message_id)
    assert d["subscription_id"] is None and d["ok"] and d["attempt"] == 1


async def test_a_webhook_gets_the_message_signed(
    pool: asyncpg.Pool, recipient: str, http: httpx.AsyncClient
) -> None:
    async with webhook_receiver() as hook:
        subscription_id = await subscribe(pool, recipient, "webhook", hook.url, SECRET, None)
        ref = reference()
        message_id = await insert(pool, recipient, "amendment", {"number": 2}, ref=ref)

        await Dispatcher(pool, settings(), http_client=http).run_once(limit=1000)

    assert hook.bad_signatures == 0
    [got] = hook.received
    assert got["payload"] == {
        "message_id": message_id,
        "reference": ref,
        "kind": "amendment",
        "recipient": recipient,
        "content": {"number": 2},
        "created_at": got["payload"]["created_at"],
    }
    r = await row(pool, message_id)
    assert datetime.fromisoformat(got["payload"]["created_at"]) == r["created_at"]
    # The receiver checked the signature; check it once more from the exact bytes.
    expected = hmac.new(SECRET.encode(), got["body"], hashlib.sha256).hexdigest()
    assert got["headers"]["x-procureflow-signature"] == f"sha256={expected}"
    assert got["headers"]["x-procureflow-message-id"] == str(message_id)
    assert abs(int(got["headers"]["x-procureflow-timestamp"]) - r["delivered_at"].timestamp()) < 60
    assert (r["status"], r["channel"], r["attempts"]) == ("delivered", "webhook", 1)
    [d] = await deliveries(pool, message_id)
    assert (d["subscription_id"], d["ok"], d["detail"]) == (subscription_id, True, "HTTP 200")


async def test_failures_back_off_exponentially_within_the_cap_then_succeed(
    pool: asyncpg.Pool, recipient: str, http: httpx.AsyncClient
) -> None:
    initial, cap = 2.0, 5.0
    config = settings(
        outbox_backoff_initial_seconds=initial,
        outbox_backoff_max_seconds=cap,
        outbox_max_attempts=8,
    )
    now = await fixed_instant(pool)
    dispatcher = Dispatcher(pool, config, clock=FixedClock(now), http_client=http)
    async with webhook_receiver(fail_first=3) as hook:
        await subscribe(pool, recipient, "webhook", hook.url, SECRET, None)
        message_id = await insert(pool, recipient)

        delays: list[float] = []
        for attempt in (1, 2, 3):
            await dispatcher.run_once(limit=1000)
            r = await row(pool, message_id)
            assert (r["status"], r["attempts"]) == ("pending", attempt)
            assert "HTTP 500" in r["last_error"]
            delay = (r["next_attempt_at"] - now).total_seconds()
            base = min(initial * 2 ** (attempt - 1), cap)
            assert base <= delay <= min(base + initial, cap)
            delays.append(delay)

            # Not due yet: a pass leaves it alone.
            await dispatcher.run_once(limit=1000)
            assert (await row(pool, message_id))["attempts"] == attempt
            await make_due(pool, message_id, now)

        assert delays == sorted(delays) and delays[0] < delays[-1] == cap
        await dispatcher.run_once(limit=1000)

    assert hook.failed == 3 and hook.message_ids() == [message_id]
    r = await row(pool, message_id)
    assert (r["status"], r["attempts"], r["last_error"]) == ("delivered", 4, None)
    log = await deliveries(pool, message_id)
    assert [(d["attempt"], d["ok"]) for d in log] == [(1, False), (2, False), (3, False), (4, True)]
    assert all(d["at"] == now for d in log)


async def test_spent_retries_dead_letter_the_message_until_an_operator_retries_it(
    pool: asyncpg.Pool, recipient: str, http: httpx.AsyncClient
) -> None:
    now = await fixed_instant(pool)
    dispatcher = Dispatcher(
        pool, settings(outbox_max_attempts=3), clock=FixedClock(now), http_client=http
    )
    async with webhook_receiver(fail_first=10**6) as hook:
        await subscribe(pool, recipient, "webhook", hook.url, SECRET, ["award_notice"])
        message_id = await insert(pool, recipient)

        outcomes = []
        for _ in range(3):
            report = await dispatcher.run_once(limit=1000)
            outcomes.append((await row(pool, message_id))["status"])
            await make_due(pool, message_id, now)
        assert outcomes == ["pending", "pending", "dead"]
        assert report.dead >= 1

        # Dead: no pass takes it again, however due.
        await dispatcher.run_once(limit=1000)
        assert hook.failed == 3
        r = await row(pool, message_id)
        assert (r["status"], r["attempts"]) == ("dead", 3)
        [dead] = [d for d in await list_dead(pool) if d["message_id"] == message_id]
        assert dead["recipient"] == recipient and dead["attempts"] == 3
        assert "HTTP 500" in dead["last_error"] and dead["channel"] == "webhook"

        assert await retry_dead(pool, [message_id]) == 1
        assert await retry_dead(pool, [message_id]) == 0  # pending now, not dead
        r = await row(pool, message_id)
        assert (r["status"], r["attempts"]) == ("pending", 0)

        hook.fail_first = 0
        await make_due(pool, message_id, now)
        await dispatcher.run_once(limit=1000)

    assert hook.message_ids() == [message_id]
    assert (await row(pool, message_id))["status"] == "delivered"
    assert all(d["message_id"] != message_id for d in await list_dead(pool))


async def test_a_reminder_arrives_by_email(
    pool: asyncpg.Pool, smtp: tuple[MailCollector, int]
) -> None:
    collector, port = smtp
    recipient = f"agency:Department {uuid4().hex[:8]}"
    config = settings(smtp_host="127.0.0.1", smtp_port=port, smtp_sender="notices@procure.test")
    await subscribe(pool, recipient, "email", "buyer@agency.test", None, ["reminder"])
    ref = reference()
    kind = f"reminder:bid_opening@{REMINDER_CONTENT['due_at']}:1_business_day_before"
    message_id = await insert(pool, recipient, kind, {"reference": ref, **REMINDER_CONTENT}, ref)
    try:
        await Dispatcher(pool, config).run_once(limit=1000)
    finally:
        await unsubscribe_all(pool, recipient)

    [envelope] = collector.envelopes
    assert envelope.mail_from == "notices@procure.test"
    assert envelope.rcpt_tos == ["buyer@agency.test"]
    [mail] = collector.messages()
    assert mail["Subject"] == f"[procureflow] {ref}: bid_opening"
    assert mail["To"] == "buyer@agency.test"
    assert mail["Message-ID"] == f"<procureflow.{message_id}@procure.test>"
    body = mail.get_content()
    assert "bid_opening" in body
    assert "due in 1 business day" in body
    assert REMINDER_CONTENT["due_at"] in body
    assert REMINDER_CONTENT["citation"] in body
    assert REMINDER_CONTENT["description"] in body
    r = await row(pool, message_id)
    assert (r["status"], r["channel"]) == ("delivered", "email")


async def test_email_without_an_smtp_host_fails_clearly_and_retries(pool: asyncpg.Pool) -> None:
    recipient = f"Vendor {uuid4().hex[:8]}"
    await subscribe(pool, recipient, "email", "sales@vendor.test", None, None)
    message_id = await insert(pool, recipient)
    try:
        await Dispatcher(pool, settings(smtp_host=None)).run_once(limit=1000)
    finally:
        await unsubscribe_all(pool, recipient)

    r = await row(pool, message_id)
    assert (r["status"], r["attempts"]) == ("pending", 1)
    assert "PROCURE_SMTP_HOST" in r["last_error"]
    assert r["next_attempt_at"] > r["created_at"]


async def test_a_reminder_subscription_does_not_get_award_notices(
    pool: asyncpg.Pool, recipient: str, http: httpx.AsyncClient
) -> None:
    async with webhook_receiver() as hook:
        await subscribe(pool, recipient, "webhook", hook.url, SECRET, ["reminder"])
        ref = reference()
        award = await insert(pool, recipient, "award_notice", ref=ref)
        reminder = await insert(
            pool,
            recipient,
            "reminder:bid_opening@x:due",
            {"reference": ref, **REMINDER_CONTENT},
            ref,
        )
        await Dispatcher(pool, settings(), http_client=http).run_once(limit=1000)

    assert hook.message_ids() == [reminder]
    assert (await row(pool, award))["channel"] == "inbox"
    assert (await row(pool, reminder))["channel"] == "webhook"
    assert (
        (await row(pool, award))["status"] == (await row(pool, reminder))["status"] == "delivered"
    )


async def test_a_subscription_to_one_procurement_gets_only_its_messages(
    pool: asyncpg.Pool, recipient: str, http: httpx.AsyncClient
) -> None:
    watched, other = reference(), reference()
    async with webhook_receiver() as one, webhook_receiver() as every:
        await subscribe(pool, recipient, "webhook", one.url, SECRET, ["reminder"], watched)
        await subscribe(pool, recipient, "webhook", every.url, SECRET, ["reminder"])
        mine = await insert(
            pool, recipient, "reminder:bid_opening@x:due", {"reference": watched}, watched
        )
        theirs = await insert(
            pool, recipient, "reminder:bid_opening@x:due", {"reference": other}, other
        )
        await Dispatcher(pool, settings(), http_client=http).run_once(limit=1000)

    assert one.message_ids() == [mine]
    assert sorted(every.message_ids()) == sorted([mine, theirs])
    with pytest.raises(ValueError, match="reference"):
        await subscribe(pool, recipient, "webhook", one.url, SECRET, None, "not a reference!")


async def test_after_a_partial_failure_only_the_failed_subscription_is_sent_again(
    pool: asyncpg.Pool, recipient: str, http: httpx.AsyncClient
) -> None:
    now = await fixed_instant(pool)
    dispatcher = Dispatcher(pool, settings(), clock=FixedClock(now), http_client=http)
    async with webhook_receiver() as good, webhook_receiver(fail_first=1) as flaky:
        await subscribe(pool, recipient, "webhook", good.url, SECRET, None)
        await subscribe(pool, recipient, "webhook", flaky.url, SECRET, None)
        message_id = await insert(pool, recipient)

        await dispatcher.run_once(limit=1000)
        r = await row(pool, message_id)
        assert (r["status"], r["attempts"]) == ("pending", 1)
        assert flaky.url in r["last_error"] and good.url not in r["last_error"]

        await make_due(pool, message_id, now)
        await dispatcher.run_once(limit=1000)

    assert good.message_ids() == flaky.message_ids() == [message_id]
    assert (await row(pool, message_id))["status"] == "delivered"
    # The log follows the subscriptions' order: the good one once, the flaky one twice.
    log = await deliveries(pool, message_id)
    assert [(d["attempt"], d["ok"]) for d in log] == [(1, True), (1, False), (2, True)]


async def test_two_dispatchers_deliver_each_message_exactly_once(
    pool: asyncpg.Pool, recipient: str
) -> None:
    async with webhook_receiver() as hook:
        await subscribe(pool, recipient, "webhook", hook.url, SECRET, None)
        ref = reference()
        ids = {await insert(pool, recipient, ref=ref, seq=seq) for seq in range(50)}

        async def drain(dispatcher: Dispatcher) -> None:
            try:
                while (await dispatcher.run_once(limit=7)).total:
                    pass
            finally:
                await dispatcher.aclose()

        await asyncio.gather(
            drain(Dispatcher(pool, settings())), drain(Dispatcher(pool, settings()))
        )

    receipts = Counter(m for m in hook.message_ids() if m in ids)
    assert set(receipts) == ids
    assert set(receipts.values()) == {1}
    statuses = await pool.fetch(
        "SELECT status, count(*) AS n FROM outbox WHERE reference = $1 GROUP BY status", ref
    )
    assert [(s["status"], s["n"]) for s in statuses] == [("delivered", 50)]
    logged = await pool.fetchval(
        "SELECT count(*) FROM deliveries WHERE message_id = ANY($1::bigint[])", sorted(ids)
    )
    assert logged == 50


async def test_subscribe_refuses_what_it_cannot_deliver(pool: asyncpg.Pool) -> None:
    with pytest.raises(ValueError, match="channel"):
        await subscribe(pool, "Acme Supply", "fax", "555-0100", None, None)
    with pytest.raises(ValueError, match="secret"):
        await subscribe(pool, "Acme Supply", "webhook", "https://acme.test/hook", None, None)
    with pytest.raises(ValueError, match="URL"):
        await subscribe(pool, "Acme Supply", "webhook", "acme.test/hook", "k", None)
    with pytest.raises(ValueError, match="address"):
        await subscribe(pool, "Acme Supply", "email", "not an address", None, None)
    with pytest.raises(ValueError, match="kinds"):
        await subscribe(pool, "Acme Supply", "email", "a@acme.test", None, [])


async def unsubscribe_all(pool: asyncpg.Pool, recipient: str) -> None:
    for r in await pool.fetch(
        "SELECT subscription_id FROM subscriptions WHERE recipient = $1", recipient
    ):
        await unsubscribe(pool, r["subscription_id"])
