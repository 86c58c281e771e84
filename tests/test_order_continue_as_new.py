"""Orders that continue as new: a held or placed order hands its state to a fresh run of the
same id, and nothing a member or the API sees changes, nothing is decided, written or sent
twice.

On the time-skipping server, with ``continue_as_new_events`` pinned low (20, the least the
settings allow) so an order hands over every day or two instead of every few thousand events.
Every test starts on Monday 2 March 2099, 09:00 in Chicago; daily re-checks fall at 15:00 UTC
(09:00 CST, 10:00 CDT from Sunday 8 March). Runs are listed by walking back from the newest
through each start event's ``continued_execution_run_id``.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from cooperative.models import OrderInput
from procure.settings import Settings
from procure.temporal_client import DATA_CONVERTER
from tests.conftest import BID_KEY, TASK_QUEUE, api_client
from tests.driver import chicago
from tests.test_cooperative import MICPA, Coop, outbox
from workflows import continuation
from workflows.order import OrderWorkflow

EVENTS = 20


@pytest.fixture
def settings() -> Settings:
    """The `api` fixture's settings, with the history length at which an order hands over
    pinned low."""
    return Settings(task_queue=TASK_QUEUE, bid_key=BID_KEY, continue_as_new_events=EVENTS)


@pytest.fixture
def coop(api: httpx.AsyncClient, env: WorkflowEnvironment) -> Coop:
    return Coop(api, env)


@dataclass
class Run:
    run_id: str
    history: WorkflowHistory
    input: OrderInput

    @property
    def events(self) -> list[HistoryEvent]:
        return list(self.history.events)

    @property
    def continued_as_new(self) -> bool:
        return self.events[-1].HasField("workflow_execution_continued_as_new_event_attributes")

    def activities(self, name: str) -> int:
        return sum(
            1
            for e in self.events
            if e.HasField("activity_task_scheduled_event_attributes")
            and e.activity_task_scheduled_event_attributes.activity_type.name == name
        )


async def runs(env: WorkflowEnvironment, reference: str) -> list[Run]:
    """Every run of the order's workflow, first to last."""
    found: list[Run] = []
    run_id: str | None = None
    while True:
        handle = env.client.get_workflow_handle(reference, run_id=run_id)
        history = await handle.fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        (order,) = await DATA_CONVERTER.decode(started.input.payloads, [OrderInput])
        found.append(Run(run_id or (await handle.describe()).run_id, history, order))
        run_id = started.continued_execution_run_id
        if not run_id:
            return found[::-1]


def activities(chain: list[Run], name: str) -> int:
    return sum(r.activities(name) for r in chain)


def chained(chain: list[Run]) -> Iterator[tuple[Run, Run]]:
    return itertools.pairwise(chain)


def assert_one_chain(chain: list[Run]) -> None:
    """Each run but the newest ended by continuing as new into the next, which carries the
    order's state and the pinned history length."""
    assert all(r.continued_as_new for r in chain[:-1])
    assert not chain[-1].continued_as_new
    for before, after in chained(chain):
        ended = before.events[-1].workflow_execution_continued_as_new_event_attributes
        assert ended.new_execution_run_id == after.run_id
    assert chain[0].input.carried is None
    assert all(r.input.carried is not None for r in chain[1:])
    assert {r.input.continue_as_new_events for r in chain} == {EVENTS}


async def held_district(coop: Coop, ends_on: str) -> tuple[str, str, str]:
    """A lead district's cooperative contract and a district without its MICPA yet."""
    lead = coop.name("Lead District")
    district = coop.name("Patient District")
    await coop.member(lead, "school_district")
    member_id = await coop.member(district, "school_district")
    contract = await coop.contract(
        reference=coop.ref("IT-SALT"),
        program="cooperative",
        lead=lead,
        actor=f"member:{lead}",
        ends_on=ends_on,
    )
    return district, member_id, contract


async def order_row(pool: asyncpg.Pool, reference: str) -> asyncpg.Record:
    row = await pool.fetchrow("SELECT * FROM orders WHERE reference = $1", reference)
    assert row is not None
    return row


def last_written(row: asyncpg.Record) -> datetime:
    """When the order's row was last written, to the minute (a step is written moments after
    the timer that woke it)."""
    at: datetime = row["updated_at"]
    return at.replace(second=0, microsecond=0)


async def test_a_held_order_continues_as_new_then_is_placed_once_and_reminded_once(
    coop: Coop, pool: asyncpg.Pool, env: WorkflowEnvironment
) -> None:
    district, member_id, contract = await held_district(coop, ends_on="2099-05-31")
    reference = coop.ref("PO-LONG")
    held = await coop.order(district, contract, "40", reference=reference)
    assert held.status_code == 201 and held.json()["state"] == "held", held.text

    # Held through five daily re-checks (3 to 7 March, 15:00 UTC), handing over as it goes.
    await coop.advance_to(chicago(2099, 3, 7, 12))
    chain = await runs(env, reference)
    assert len(chain) >= 3, [len(r.events) for r in chain]
    assert_one_chain(chain)
    assert all(r.input.carried and r.input.carried.state == "held" for r in chain[1:])
    # Decided once, then looked at once a day, however many runs the days fell in.
    assert activities(chain, "cooperative_order_facts") == 1 + 5
    assert activities(chain, "cooperative_persist_order") == 1
    view = (await coop.read(reference, f"member:{district}")).json()
    assert view["state"] == "held" and view["decision"]["code"] == "micpa_missing"
    assert [(h["command"], h["to_state"]) for h in view["history"]] == [("submit", "held")]

    # The same order sent again reaches the newest run by the order's id. Sent a few times,
    # it lengthens the history until the run hands over between two daily looks; the next
    # run keeps the look due at 15:00 UTC on 8 March, not a day from the hand-over.
    handed_over = len(chain)
    for _ in range(4):
        again = await coop.order(district, contract, "40", reference=reference)
        assert again.status_code == 200 and again.json()["state"] == "held", again.text
    await coop.advance_to(chicago(2099, 3, 7, 13))
    chain = await runs(env, reference)
    assert len(chain) > handed_over
    carried = chain[-1].input.carried
    assert carried is not None and carried.next_check is not None
    assert carried.next_check.replace(second=0, microsecond=0) == datetime(
        2099, 3, 8, 15, tzinfo=UTC
    )
    await coop.advance_to(chicago(2099, 3, 8, 12))  # 17:00 UTC, CDT now
    assert activities(await runs(env, reference), "cooperative_order_facts") == 1 + 6

    recorded = await coop.document(member_id, district, "micpa", dated="2099-03-03")
    assert recorded.status_code == 201, recorded.text
    rechecked = recorded.json()["orders_rechecked"]
    assert [(o["reference"], o["state"], o["citation"]) for o in rechecked] == [
        (reference, "placed", MICPA)
    ]
    placed = (await coop.read(reference, f"member:{district}")).json()
    assert placed["state"] == "placed" and placed["total"] == "3200.00"
    assert placed["created_at"] == view["created_at"]
    assert [
        (h["seq"], h["command"], h["from_state"], h["to_state"]) for h in placed["history"]
    ] == [
        (1, "submit", "received", "held"),
        (2, "documents_recorded", "held", "placed"),
    ]
    trail = await coop.api.get(
        f"/v1/orders/{reference}/audit", headers=await coop.headers(f"member:{district}")
    )
    assert trail.status_code == 200, trail.text
    assert trail.json()["verification"]["intact"] is True
    assert trail.json()["verification"]["entries"] == 2
    assert [(e["step_seq"], e["command"], e["to_state"]) for e in trail.json()["entries"]] == [
        (1, "submit", "held"),
        (2, "documents_recorded", "placed"),
    ]
    assert [
        m["recipient"] for m in await outbox(pool, reference=reference, kind="purchase_order")
    ] == ["Bolt Industries"]
    assert len(await outbox(pool, reference=reference, kind="order_held")) == 1
    assert len(await outbox(pool, reference=reference, kind="order_placed")) == 2

    # Sent again and recorded again once placed: the order as it stands, nothing more.
    assert (await coop.order(district, contract, "40", reference=reference)).status_code == 200
    twice = await coop.document(member_id, district, "micpa", dated="2099-03-03")
    assert twice.status_code == 200 and twice.json()["orders_rechecked"] == []
    report = await coop.api.get(
        "/v1/reports/contract-use", params={"contract": contract}, headers=await coop.headers("cpo")
    )
    (use,) = report.json()["contracts"]
    assert use["use"] == [
        {"member": district, "period": "2099-03", "orders": 1, "total": "3200.00"}
    ]
    assert use["used"] == "3200.00"

    # Its term reminders: 1 May (30 days before 31 May) and 1 June, each once.
    await coop.advance_to(chicago(2099, 5, 1, 12))
    ending = await outbox(pool, reference=contract, kind="reminder:contract_term_ending")
    assert [(m["recipient"], m["content"]["order"]) for m in ending] == [
        (f"member:{district}", reference)
    ]
    await coop.advance_to(chicago(2099, 6, 1, 12))
    assert await env.client.get_workflow_handle(reference).result() == "placed"
    ended = await outbox(pool, reference=contract, kind="reminder:contract_term_ended")
    assert [m["recipient"] for m in ended] == [f"member:{district}"]
    assert len(await outbox(pool, reference=contract, kind="reminder:contract_term_ending")) == 1

    chain = await runs(env, reference)
    assert_one_chain(chain)
    # Written four times in all (submit, placing, two reminders): no run wrote a step again.
    assert activities(chain, "cooperative_persist_order") == 4
    assert activities(chain, "cooperative_order_facts") == 1 + 6 + 1
    row = await order_row(pool, reference)
    assert row["state"] == "placed" and row["revision"] == 4
    assert last_written(row) == chicago(2099, 6, 1)  # the second reminder
    assert [h["command"] for h in row["snapshot"]["history"]] == ["submit", "documents_recorded"]
    assert (
        await coop.api.get(f"/v1/orders/{reference}/audit", headers=await coop.headers("cpo"))
    ).json()["verification"] == trail.json()["verification"]


async def test_a_placed_order_continues_as_new_between_term_reminders_and_sends_each_once(
    coop: Coop, pool: asyncpg.Pool, env: WorkflowEnvironment
) -> None:
    village = coop.name("Village of Patience")
    member_id = await coop.member(village, "municipality")
    await coop.document(member_id, village, "participation_resolution")
    contract = await coop.contract(ends_on="2099-05-31")
    reference = coop.ref("PO-TERM")
    placed = await coop.order(village, contract, "2", reference=reference)
    assert placed.status_code == 201 and placed.json()["state"] == "placed", placed.text

    await coop.advance_to(chicago(2099, 5, 1, 12))
    ending = await outbox(pool, reference=contract, kind="reminder:contract_term_ending")
    assert [m["recipient"] for m in ending] == [f"member:{village}"]
    before = await runs(env, reference)
    assert activities(before, "cooperative_persist_order") == 2

    # The same order sent again, and again: each confirm lengthens the history, and the run
    # hands over before the second reminder's day instead of waiting for it.
    for _ in range(4):
        again = await coop.order(village, contract, "2", reference=reference)
        assert again.status_code == 200 and again.json()["state"] == "placed", again.text
    await env.sleep(timedelta(hours=1))
    chain = await runs(env, reference)
    assert len(chain) > len(before)
    assert_one_chain(chain)
    newest = chain[-1].input.carried
    assert newest is not None
    assert (newest.state, newest.reminders_sent, newest.revision) == ("placed", 1, 2)
    snapshot = await env.client.get_workflow_handle(reference).query(OrderWorkflow.snapshot)
    assert snapshot["state"] == "placed" and len(snapshot["history"]) == 1

    await coop.advance_to(chicago(2099, 6, 1, 12))
    assert await env.client.get_workflow_handle(reference).result() == "placed"
    for kind in ("reminder:contract_term_ending", "reminder:contract_term_ended"):
        sent = await outbox(pool, reference=contract, kind=kind)
        assert [m["recipient"] for m in sent] == [f"member:{village}"], kind
    chain = await runs(env, reference)
    assert_one_chain(chain)
    # Placed once and each reminder written once, across every run.
    assert activities(chain, "cooperative_persist_order") == 3
    assert activities(chain, "cooperative_order_facts") == 1
    assert len(await outbox(pool, reference=reference, kind="purchase_order")) == 1
    row = await order_row(pool, reference)
    assert row["state"] == "placed" and row["revision"] == 3
    assert last_written(row) == chicago(2099, 6, 1)  # the second reminder
    trail = await coop.api.get(f"/v1/orders/{reference}/audit", headers=await coop.headers("cpo"))
    assert trail.json()["verification"]["entries"] == 1
    assert trail.json()["verification"]["intact"] is True


async def test_a_held_order_is_withdrawn_after_continuing_as_new(
    coop: Coop, pool: asyncpg.Pool, env: WorkflowEnvironment
) -> None:
    district, _, contract = await held_district(coop, ends_on="2099-12-31")
    reference = coop.ref("PO-WAIT")
    held = await coop.order(district, contract, "3", reference=reference)
    assert held.json()["state"] == "held", held.text
    await coop.advance_to(chicago(2099, 3, 5, 12))
    chain = await runs(env, reference)
    assert len(chain) >= 2
    assert activities(chain, "cooperative_order_facts") == 1 + 3  # 3, 4, 5 March

    withdrawn = await coop.api.post(
        f"/v1/orders/{reference}/withdraw",
        json={"reason": "The board will buy next season."},
        headers=await coop.headers(f"member:{district}"),
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["state"] == "withdrawn" and withdrawn.json()["allowed_actions"] == []
    assert await env.client.get_workflow_handle(reference).result() == "withdrawn"
    view = (await coop.read(reference, f"member:{district}")).json()
    assert [(h["command"], h["to_state"]) for h in view["history"]] == [
        ("submit", "held"),
        ("withdraw", "withdrawn"),
    ]
    assert view["withdrawal"]["reason"] == "The board will buy next season."
    assert len(await outbox(pool, reference=reference, kind="order_withdrawn")) == 1
    assert await outbox(pool, reference=reference, kind="purchase_order") == []
    final = await runs(env, reference)
    assert_one_chain(final)
    assert activities(final, "cooperative_persist_order") == 2
    assert (await order_row(pool, reference))["revision"] == 2


async def test_a_held_order_hands_over_before_temporals_update_limit(
    env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    database_url: str,
    worker: Worker,
) -> None:
    """With the default history length (10,000 events), 1,800 updates accepted in one run
    hand it over, before Temporal refuses an execution's 2,001st."""
    async with api_client(
        env, pool, database_url, Settings(task_queue=TASK_QUEUE, bid_key=BID_KEY)
    ) as api:
        coop = Coop(api, env)
        district, _, contract = await held_district(coop, ends_on="2099-12-31")
        reference = coop.ref("PO-BUSY")
        held = await coop.order(district, contract, "3", reference=reference)
        assert held.json()["state"] == "held", held.text
        digest = (await order_row(pool, reference))["digest"]
        handle = env.client.get_workflow_handle(reference)
        # The API's POST /v1/orders sends exactly this update; sent directly, 1,800 take
        # seconds instead of minutes. One came with the order itself.
        for _ in range(continuation.MAX_UPDATES // 50):
            outcomes = await asyncio.gather(
                *(handle.execute_update(OrderWorkflow.confirm, digest) for _ in range(50))
            )
            assert {o.state for o in outcomes} == {"held"}
        await env.sleep(timedelta(minutes=1))
        chain = await runs(env, reference)
        assert len(chain) == 2, [len(r.events) for r in chain]
        assert len(chain[0].events) < continuation.DEFAULT_EVENTS
        assert chain[0].continued_as_new and chain[1].input.continue_as_new_events is None
        again = await coop.order(district, contract, "3", reference=reference)
        assert again.status_code == 200 and again.json()["state"] == "held", again.text
        assert activities(chain, "cooperative_persist_order") == 1
