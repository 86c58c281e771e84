"""Delivery of the outbox: every electronic notice and reminder leaves, at least once.

The workflows write messages into ``outbox`` in the transaction of the step they report; the
dispatcher takes them from there. Each pass claims the messages that are due
(``FOR UPDATE SKIP LOCKED``, so several dispatchers never take the same one) and delivers each
to its recipient's active subscriptions whose kinds match it:

* a **webhook** gets an HTTP POST of the message as JSON, signed with the subscription's
  secret (``X-Procureflow-Signature: sha256=<HMAC-SHA256 of the body>``); any 2xx is success;
* an **email** address gets a plain-text rendering through the SMTP relay of the settings;
* a recipient without a matching subscription reads the message in its in-service inbox
  (the API's messages), so the message is delivered there at once.

A message is delivered when every subscription has it. A failed attempt leaves it pending
with an exponential, capped, jittered backoff (tenacity's wait strategy); after
``outbox_max_attempts`` attempts it is dead-lettered until an operator retries it
(:func:`retry_dead`). A subscription that already took a message is not sent it again when
another one failed, but a crash between sending and recording may repeat a delivery: receivers
deduplicate by ``X-Procureflow-Message-Id`` (email: the ``Message-ID`` header). Messages carry
no ordering guarantee. Every attempt is logged in ``deliveries``, and all writes for one
message happen in one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any, Literal, Protocol

import aiosmtplib
import asyncpg
import httpx
import tenacity

from procure.settings import Settings
from state_machines.models import REFERENCE_PATTERN

log = logging.getLogger("procure.dispatcher")

INBOX = "inbox"
CHANNELS = ("webhook", "email")
# Messages of one pass delivered at the same time (the database writes are serialized).
CONCURRENCY = 16

SIGNATURE_HEADER = "X-Procureflow-Signature"
MESSAGE_ID_HEADER = "X-Procureflow-Message-Id"
TIMESTAMP_HEADER = "X-Procureflow-Timestamp"

Outcome = Literal["delivered", "retried", "dead"]


class Clock(Protocol):
    async def now(self) -> datetime: ...


class DeliveryError(Exception):
    """A delivery that did not succeed, with the reason recorded in the delivery log."""


@dataclass
class DispatchReport:
    """What one pass did: messages delivered, left for a retry, and dead-lettered."""

    delivered: int = 0
    retried: int = 0
    dead: int = 0

    @property
    def total(self) -> int:
        return self.delivered + self.retried + self.dead

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


@dataclass(frozen=True)
class Subscription:
    subscription_id: int
    recipient: str
    channel: str
    target: str
    secret: str | None
    kinds: tuple[str, ...] | None
    reference: str | None = None  # one procurement's messages only; None: every one

    def takes(self, message: Message) -> bool:
        if self.reference is not None and self.reference != message.reference:
            return False
        return kind_matches(self.kinds, message.kind)


@dataclass(frozen=True)
class Message:
    message_id: int
    reference: str
    kind: str
    recipient: str
    content: Any
    created_at: datetime
    attempts: int


@dataclass(frozen=True)
class Attempt:
    subscription: Subscription | None
    ok: bool
    detail: str


def kind_matches(kinds: Iterable[str] | None, kind: str) -> bool:
    """Whether a subscription's kinds take a message kind: ``None`` takes every kind; a kind
    takes itself and its sub-kinds ('reminder' takes 'reminder:bid_opening@...')."""
    if kinds is None:
        return True
    return any(kind == k or kind.startswith(f"{k}:") for k in kinds)


def is_reminder(kind: str) -> bool:
    return kind_matches(("reminder",), kind)


# ---- rendering ------------------------------------------------------------------------------


def webhook_body(message: Message) -> bytes:
    """The exact bytes POSTed to a webhook, and signed."""
    payload = {
        "message_id": message.message_id,
        "reference": message.reference,
        "kind": message.kind,
        "recipient": message.recipient,
        "content": message.content,
        "created_at": message.created_at.isoformat(),
    }
    return json.dumps(payload, separators=(",", ":"), default=str).encode()


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: ``sha256=`` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def email_subject(message: Message) -> str:
    content = message.content if isinstance(message.content, dict) else {}
    topic = content.get("deadline") if is_reminder(message.kind) else None
    return f"[procureflow] {message.reference}: {topic or message.kind}"


REMINDER_OFFSETS = {
    "3_business_days_before": "due in 3 business days",
    "1_business_day_before": "due in 1 business day",
    "due": "due today",
    "overdue": "overdue",
}


def email_text(message: Message) -> str:
    """The plain-text body: a reminder names its deadline, when it is due, the citation and
    the duty; any other notice lists its content."""
    content = message.content if isinstance(message.content, dict) else {"content": message.content}
    if is_reminder(message.kind):
        offset = str(content.get("offset", ""))
        when = REMINDER_OFFSETS.get(offset, offset.replace("_", " "))
        lines = [
            f"Reminder: the deadline {content.get('deadline')} of procurement "
            f"{message.reference} is {when}.",
            "",
            f"Due:      {content.get('due_at')} (day {content.get('due_on')})",
            f"Citation: {content.get('citation')}",
        ]
        if content.get("description"):
            lines += ["", str(content["description"])]
    else:
        lines = [
            f"{message.kind.replace('_', ' ').capitalize()} for procurement {message.reference}.",
            "",
        ]
        for key, value in content.items():
            shown = value if isinstance(value, str) else json.dumps(value, indent=2, default=str)
            lines.append(f"{key}: {shown}")
    lines += [
        "",
        "-- ",
        f"procureflow message {message.message_id} ({message.kind}) "
        f"to {message.recipient}, written {message.created_at.isoformat()}",
    ]
    return "\n".join(lines) + "\n"


def email_message(message: Message, sender: str, to: str, at: datetime) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = email_subject(message)
    mail["Date"] = format_datetime(at)
    # The same Message-ID on every attempt, so a repeated delivery can be recognized.
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    mail["Message-ID"] = f"<procureflow.{message.message_id}@{domain}>"
    mail[MESSAGE_ID_HEADER] = str(message.message_id)
    mail.set_content(email_text(message))
    return mail


# ---- the dispatcher -------------------------------------------------------------------------

CLAIM = """
    SELECT message_id, reference, kind, recipient, content, created_at, attempts
    FROM outbox
    WHERE status = 'pending' AND next_attempt_at <= $2
    ORDER BY message_id
    LIMIT $1
    FOR UPDATE SKIP LOCKED
"""

RECORD_ATTEMPT = """
    INSERT INTO deliveries (message_id, subscription_id, attempt, at, ok, detail)
    VALUES ($1, $2, $3, $4, $5, $6)
"""

RECORD_OUTCOME = """
    UPDATE outbox SET
        status = $2,
        attempts = $3,
        delivered_at = $4,
        next_attempt_at = COALESCE($5, next_attempt_at),
        last_error = $6,
        channel = $7
    WHERE message_id = $1
"""


class Dispatcher:
    """Delivers due outbox messages; see the module's docstring.

    ``clock`` (anything with ``async now()``) gives the time of claims, attempts and
    backoffs; without one, PostgreSQL's clock does. ``http_client`` posts to webhooks; without
    one the dispatcher opens (and closes, in :meth:`aclose`) its own.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: Settings,
        *,
        clock: Clock | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.pool = pool
        self.settings = settings
        self.clock = clock
        self._http = http_client
        self._owns_http = http_client is None
        initial = settings.outbox_backoff_initial_seconds
        self._retrying = tenacity.AsyncRetrying(
            wait=tenacity.wait_exponential_jitter(
                multiplier=initial, max=settings.outbox_backoff_max_seconds, jitter=initial
            ),
            stop=tenacity.stop_after_attempt(settings.outbox_max_attempts),
        )

    # -- policy --------------------------------------------------------------------------------

    def _state(self, attempts: int) -> tenacity.RetryCallState:
        state = tenacity.RetryCallState(self._retrying, fn=None, args=(), kwargs={})
        state.attempt_number = attempts
        return state

    def backoff(self, attempts: int) -> timedelta:
        """The wait after a message's ``attempts``-th failed attempt: ``initial·2^(n-1)`` plus
        up to ``initial`` of jitter, never more than the maximum."""
        return timedelta(seconds=float(self._retrying.wait(self._state(attempts))))

    def exhausted(self, attempts: int) -> bool:
        """Whether a message that failed ``attempts`` times is dead-lettered."""
        return bool(self._retrying.stop(self._state(attempts)))

    # -- running -------------------------------------------------------------------------------

    async def run_once(self, limit: int = 100) -> DispatchReport:
        """One pass: claim up to ``limit`` due messages and attempt each once."""
        report = DispatchReport()
        async with self.pool.acquire() as conn, conn.transaction():
            db = asyncio.Lock()  # one connection: its queries take turns
            rows = await conn.fetch(CLAIM, limit, await self._now(conn, db))
            if not rows:
                return report
            messages = [
                Message(
                    message_id=r["message_id"],
                    reference=r["reference"],
                    kind=r["kind"],
                    recipient=r["recipient"],
                    content=r["content"],
                    created_at=r["created_at"],
                    attempts=r["attempts"],
                )
                for r in rows
            ]
            subscriptions = await self._subscriptions(conn, {m.recipient for m in messages})
            received = await self._received(conn, [m.message_id for m in messages])
            slots = asyncio.Semaphore(CONCURRENCY)
            async with asyncio.TaskGroup() as group:
                tasks = [
                    group.create_task(
                        self._dispatch(
                            conn,
                            db,
                            slots,
                            m,
                            subscriptions.get(m.recipient, []),
                            received.get(m.message_id, set()),
                        )
                    )
                    for m in messages
                ]
        for task in tasks:
            report.count(task.result())
        if report.total:
            log.info(
                "outbox: %d delivered, %d to retry, %d dead-lettered",
                report.delivered,
                report.retried,
                report.dead,
            )
        return report

    async def run_forever(self, stop: asyncio.Event, interval: float = 1.0) -> None:
        """Pass after pass until ``stop`` is set: right away while passes fill their batch,
        otherwise every ``interval`` seconds. A failed pass is logged and tried again."""
        limit = 100
        try:
            while not stop.is_set():
                full = False
                try:
                    full = (await self.run_once(limit)).total >= limit
                except Exception:
                    log.exception("outbox: dispatch pass failed; trying again")
                if not full:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), interval)
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http and self._http is not None:
            await self._http.aclose()
            self._http = None

    # -- one message ---------------------------------------------------------------------------

    async def _now(self, conn: asyncpg.Connection, db: asyncio.Lock) -> datetime:
        if self.clock is not None:
            return await self.clock.now()
        async with db:
            now: datetime = await conn.fetchval("SELECT clock_timestamp()")
            return now

    async def _subscriptions(
        self, conn: asyncpg.Connection, recipients: set[str]
    ) -> dict[str, list[Subscription]]:
        rows = await conn.fetch(
            """
            SELECT subscription_id, recipient, channel, target, secret, kinds, reference
            FROM subscriptions
            WHERE disabled_at IS NULL AND recipient = ANY($1::text[])
            ORDER BY subscription_id
            """,
            sorted(recipients),
        )
        out: dict[str, list[Subscription]] = {}
        for r in rows:
            out.setdefault(r["recipient"], []).append(
                Subscription(
                    subscription_id=r["subscription_id"],
                    recipient=r["recipient"],
                    channel=r["channel"],
                    target=r["target"],
                    secret=r["secret"],
                    kinds=None if r["kinds"] is None else tuple(r["kinds"]),
                    reference=r["reference"],
                )
            )
        return out

    async def _received(
        self, conn: asyncpg.Connection, message_ids: list[int]
    ) -> dict[int, set[int]]:
        """The subscriptions that already took each message (after a partial failure)."""
        rows = await conn.fetch(
            """
            SELECT DISTINCT message_id, subscription_id FROM deliveries
            WHERE ok AND subscription_id IS NOT NULL AND message_id = ANY($1::bigint[])
            """,
            message_ids,
        )
        out: dict[int, set[int]] = {}
        for r in rows:
            out.setdefault(r["message_id"], set()).add(r["subscription_id"])
        return out

    async def _dispatch(
        self,
        conn: asyncpg.Connection,
        db: asyncio.Lock,
        slots: asyncio.Semaphore,
        message: Message,
        subscriptions: list[Subscription],
        received: set[int],
    ) -> Outcome:
        matching = [s for s in subscriptions if s.takes(message)]
        if matching:
            channel = ",".join(sorted({s.channel for s in matching}))
            pending = [s for s in matching if s.subscription_id not in received]
            async with slots:
                started = await self._now(conn, db)
                attempts = list(
                    await asyncio.gather(*(self._deliver(s, message, started) for s in pending))
                )
        else:
            channel = INBOX
            started = await self._now(conn, db)
            attempts = [Attempt(None, True, "in-service inbox")]
        finished = await self._now(conn, db)

        number = message.attempts + 1 if attempts else message.attempts
        failures = [a for a in attempts if not a.ok]
        outcome: Outcome
        next_attempt_at: datetime | None = None
        last_error: str | None = None
        delivered_at: datetime | None = None
        if not failures:
            outcome, status, delivered_at = "delivered", "delivered", finished
        else:
            last_error = "; ".join(_describe(a) for a in failures)
            if self.exhausted(number):
                outcome, status = "dead", "dead"
                log.warning(
                    "outbox: message %d dead-lettered after %d attempts: %s",
                    message.message_id,
                    number,
                    last_error,
                )
            else:
                outcome, status = "retried", "pending"
                next_attempt_at = finished + self.backoff(number)

        async with db, conn.transaction():
            if attempts:
                await conn.executemany(
                    RECORD_ATTEMPT,
                    [
                        (
                            message.message_id,
                            a.subscription.subscription_id if a.subscription else None,
                            number,
                            started,
                            a.ok,
                            a.detail,
                        )
                        for a in attempts
                    ],
                )
            await conn.execute(
                RECORD_OUTCOME,
                message.message_id,
                status,
                number,
                delivered_at,
                next_attempt_at,
                last_error,
                channel,
            )
        return outcome

    async def _deliver(self, subscription: Subscription, message: Message, at: datetime) -> Attempt:
        try:
            if subscription.channel == "webhook":
                detail = await self._post(subscription, message, at)
            elif subscription.channel == "email":
                detail = await self._mail(subscription, message, at)
            else:
                raise DeliveryError(f"unknown channel {subscription.channel!r}")
        except (DeliveryError, httpx.HTTPError, aiosmtplib.SMTPException, OSError) as exc:
            return Attempt(subscription, False, _error(exc))
        except Exception as exc:
            log.exception(
                "outbox: message %d to subscription %d",
                message.message_id,
                subscription.subscription_id,
            )
            return Attempt(subscription, False, _error(exc))
        return Attempt(subscription, True, detail)

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(headers={"User-Agent": "procureflow"})
        return self._http

    async def _post(self, subscription: Subscription, message: Message, at: datetime) -> str:
        if not subscription.secret:
            raise DeliveryError("the webhook subscription has no secret to sign with")
        body = webhook_body(message)
        response = await self._client().post(
            subscription.target,
            content=body,
            headers={
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(subscription.secret, body),
                MESSAGE_ID_HEADER: str(message.message_id),
                TIMESTAMP_HEADER: str(int(at.timestamp())),
            },
            timeout=self.settings.webhook_timeout_seconds,
        )
        if not response.is_success:
            raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}".strip())
        return f"HTTP {response.status_code}"

    async def _mail(self, subscription: Subscription, message: Message, at: datetime) -> str:
        s = self.settings
        if not s.smtp_host:
            raise DeliveryError("email delivery is not configured: set PROCURE_SMTP_HOST")
        await aiosmtplib.send(
            email_message(message, s.smtp_sender, subscription.target, at),
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            start_tls=s.smtp_starttls,
            timeout=s.webhook_timeout_seconds,
        )
        return f"accepted by {s.smtp_host}:{s.smtp_port}"


def _error(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, DeliveryError):
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _describe(attempt: Attempt) -> str:
    s = attempt.subscription
    where = f"{s.channel} {s.target}" if s else INBOX
    return f"{where}: {attempt.detail}"


# ---- for operators (the CLI) ----------------------------------------------------------------


async def subscribe(
    pool: asyncpg.Pool,
    recipient: str,
    channel: str,
    target: str,
    secret: str | None,
    kinds: Sequence[str] | None,
    reference: str | None = None,
) -> int:
    """Send ``recipient``'s messages (of ``kinds``, or all; of one procurement, or of every
    one) to a webhook URL or an email address besides its inbox; returns the subscription's
    id."""
    if not recipient.strip():
        raise ValueError("a subscription needs a recipient")
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
    if channel == "webhook":
        url = httpx.URL(target)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"a webhook target is an http(s) URL, not {target!r}")
        if not secret:
            raise ValueError("a webhook subscription needs a secret to sign its requests")
    elif "@" not in parseaddr(target)[1]:
        raise ValueError(f"an email target is an address, not {target!r}")
    if reference is not None and not re.fullmatch(REFERENCE_PATTERN, reference):
        raise ValueError(f"reference: {reference!r} is not a procurement reference")
    chosen: list[str] | None = None
    if kinds is not None:
        chosen = [k.strip() for k in kinds if k.strip()]
        if not chosen:
            raise ValueError("kinds: name at least one kind, or none for every kind")
    subscription_id: int = await pool.fetchval(
        """
        INSERT INTO subscriptions (recipient, channel, target, secret, kinds, reference)
        VALUES ($1, $2, $3, $4, $5, $6) RETURNING subscription_id
        """,
        recipient,
        channel,
        target,
        secret,
        chosen,
        reference,
    )
    return subscription_id


async def unsubscribe(pool: asyncpg.Pool, subscription_id: int) -> bool:
    """Disable a subscription (it stays in the delivery log); False when none was active."""
    result: str = await pool.execute(
        "UPDATE subscriptions SET disabled_at = now() "
        "WHERE subscription_id = $1 AND disabled_at IS NULL",
        subscription_id,
    )
    return result != "UPDATE 0"


async def list_dead(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """The dead-lettered messages, oldest first, with their last error."""
    rows = await pool.fetch(
        """
        SELECT o.message_id, o.reference, o.kind, o.recipient, o.channel, o.attempts,
               o.last_error, o.created_at,
               (SELECT max(d.at) FROM deliveries d WHERE d.message_id = o.message_id)
                   AS last_attempt_at
        FROM outbox o
        WHERE o.status = 'dead'
        ORDER BY o.message_id
        """
    )
    return [
        {
            "message_id": r["message_id"],
            "reference": r["reference"],
            "kind": r["kind"],
            "recipient": r["recipient"],
            "channel": r["channel"],
            "attempts": r["attempts"],
            "last_error": r["last_error"],
            "created_at": r["created_at"].isoformat(),
            "last_attempt_at": r["last_attempt_at"].isoformat() if r["last_attempt_at"] else None,
        }
        for r in rows
    ]


async def retry_dead(pool: asyncpg.Pool, message_ids: list[int] | None) -> int:
    """Put dead messages (the given ones, or all when None) back to pending, due now and with
    a fresh series of attempts; returns how many."""
    if message_ids is None:
        result: str = await pool.execute(
            "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = now() "
            "WHERE status = 'dead'"
        )
    else:
        result = await pool.execute(
            "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = now() "
            "WHERE status = 'dead' AND message_id = ANY($1::bigint[])",
            message_ids,
        )
    return int(result.split()[-1])
